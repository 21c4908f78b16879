//! PDF documents in Chinese, typeset by typst with the Noto CJK fonts from Debian's
//! `fonts-noto-cjk`. Kept in a crate of its own because typst is the heaviest dependency:
//! editing the web or domain code does not rebuild it.
//!
//! Also the workbooks and HTML of the annual report, which share its data model.
//!
//! Data reaches a template only as JSON through `sys.inputs`, never pasted into markup, so
//! whatever people typed (`#`, `*`, `<script>`) is printed as text and cannot run as typst.

mod annual;
mod world;

pub use annual::{Annual, Cell, Chart, Section, annual_html, annual_pdf, annual_xlsx};

pub use world::{Fonts, font_dirs};

/// Why a document could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("未找到中文字体（请安装 fonts-noto-cjk，或用 LIANXIN_FONT_DIR 指定字体目录）")]
    NoFonts,
    #[error("排版失败：{0}")]
    Typeset(String),
    #[error("导出 PDF 失败：{0}")]
    Export(String),
}

/// One item of a bulletin issue.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BulletinItem {
    pub title: String,
    pub body: String,
    pub authors: String,
}

/// An issue of the bulletin 《社情民意》.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Bulletin {
    pub committee: String,
    pub year: i64,
    pub number: i64,
    /// Issue number within the year as printed: "2026年第3期".
    pub issue: String,
    pub title: String,
    pub date: String,
    pub items: Vec<BulletinItem>,
}

const BULLETIN: &str = include_str!("bulletin.typ");

/// The bulletin issue as a PDF.
pub fn bulletin_pdf(fonts: &Fonts, b: &Bulletin) -> Result<Vec<u8>, ReportError> {
    let data = serde_json::to_string(b).map_err(|e| ReportError::Typeset(e.to_string()))?;
    world::render(fonts, BULLETIN, &data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bulletin_is_a_pdf_with_the_chinese_text_embedded() {
        let fonts = Fonts::load().expect("fonts-noto-cjk is installed by scripts/test.sh");
        let b = Bulletin {
            committee: "政协江川市委员会".into(),
            year: 2026,
            number: 3,
            issue: "2026年第3期".into(),
            title: "社情民意".into(),
            date: "2026年11月27日".into(),
            items: vec![BulletinItem {
                title: "关于加快老旧小区加装电梯的建议 #set text(red) <script>".into(),
                body: "群众反映：\n\n加装电梯*进度慢*。".into(),
                authors: "王伟、李娜".into(),
            }],
        };
        let pdf = bulletin_pdf(&fonts, &b).expect("pdf");
        assert!(pdf.starts_with(b"%PDF-"));
        assert!(pdf.len() > 2000);
    }
}
