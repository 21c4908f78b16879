//! The smallest typst world that prints our documents: one in-memory template, the Noto CJK
//! fonts from disk, data through `sys.inputs`, no files and no packages.

use std::path::{Path, PathBuf};

use chrono::{Datelike, Utc};
use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Dict, IntoValue};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt};
use typst_layout::PagedDocument;

use crate::ReportError;

/// Where the CJK fonts are looked for: `LIANXIN_FONT_DIR`, then Debian's `fonts-noto-cjk`.
pub fn font_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Ok(d) = std::env::var("LIANXIN_FONT_DIR") {
        dirs.push(PathBuf::from(d));
    }
    dirs.push(PathBuf::from("/usr/share/fonts/opentype/noto"));
    dirs
}

/// The fonts, read once (they are large) and shared by every document.
pub struct Fonts {
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

fn wanted(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    // Regular and bold of the serif and sans CJK families are all a document uses.
    name.contains("CJK")
        && (name.contains("-Regular.") || name.contains("-Bold."))
        && (name.ends_with(".ttc") || name.ends_with(".otf"))
}

impl Fonts {
    pub fn load() -> Result<Fonts, ReportError> {
        let mut fonts = Vec::new();
        for dir in font_dirs() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
            paths.sort();
            for p in paths.into_iter().filter(|p| wanted(p)) {
                if let Ok(bytes) = std::fs::read(&p) {
                    fonts.extend(Font::iter(Bytes::new(bytes)));
                }
            }
            if !fonts.is_empty() {
                break;
            }
        }
        if fonts.is_empty() {
            return Err(ReportError::NoFonts);
        }
        let book = FontBook::from_fonts(&fonts);
        Ok(Fonts {
            book: LazyHash::new(book),
            fonts,
        })
    }
}

struct World<'a> {
    library: LazyHash<Library>,
    fonts: &'a Fonts,
    main: Source,
}

impl typst::World for World<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &self.library
    }
    fn book(&self) -> &LazyHash<FontBook> {
        &self.fonts.book
    }
    fn main(&self) -> FileId {
        self.main.id()
    }
    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else {
            Err(FileError::NotFound(id.vpath().get_without_slash().into()))
        }
    }
    fn file(&self, id: FileId) -> FileResult<Bytes> {
        Err(FileError::NotFound(id.vpath().get_without_slash().into()))
    }
    fn font(&self, index: usize) -> Option<Font> {
        self.fonts.fonts.get(index).cloned()
    }
    fn today(&self, offset: Option<typst::foundations::Duration>) -> Option<Datetime> {
        let hours = offset.map(|o| o.hours() as i64).unwrap_or(8);
        let d = (Utc::now() + chrono::Duration::hours(hours)).date_naive();
        Datetime::from_ymd(d.year(), d.month() as u8, d.day() as u8)
    }
}

/// Typeset `template` with `data` (JSON, as `sys.inputs.data`) and export a PDF.
pub fn render(fonts: &Fonts, template: &str, data: &str) -> Result<Vec<u8>, ReportError> {
    let mut inputs = Dict::new();
    inputs.insert("data".into(), data.into_value());
    let library = Library::builder().with_inputs(inputs).build();
    let vpath = VirtualPath::new("main.typ").map_err(|e| ReportError::Typeset(format!("{e:?}")))?;
    let id = RootedPath::new(VirtualRoot::Project, vpath).intern();
    let world = World {
        library: LazyHash::new(library),
        fonts,
        main: Source::new(id, template.to_string()),
    };
    let result = typst::compile::<PagedDocument>(&world).output;
    // A long-running server must not keep every document's memoised layout.
    comemo::evict(10);
    let doc = result.map_err(|errs| {
        ReportError::Typeset(
            errs.iter()
                .map(|e| e.message.to_string())
                .collect::<Vec<_>>()
                .join("; "),
        )
    })?;
    typst_pdf::pdf(&doc, &typst_pdf::PdfOptions::default()).map_err(|errs| {
        ReportError::Export(
            errs.iter()
                .map(|e| e.message.to_string())
                .collect::<Vec<_>>()
                .join("; "),
        )
    })
}
