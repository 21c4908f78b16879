//! The annual statistical report on members' duty to the standing committee (R10), as one
//! data model printed three ways: PDF (typst), XLSX (one sheet per section) and HTML.

use serde::Serialize;

use crate::{Fonts, ReportError, world};

/// A table cell: text, or a number a spreadsheet can sum.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Cell {
    Text(String),
    Num(f64),
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }
    pub fn int(n: i64) -> Cell {
        Cell::Num(n as f64)
    }
    /// Shown as printed: whole numbers without decimals, others with two.
    pub fn shown(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Num(n) if n.fract() == 0.0 => format!("{n:.0}"),
            Cell::Num(n) => format!("{n:.2}"),
        }
    }
}

/// A bar chart drawn from two columns of the section's table.
#[derive(Debug, Clone, Serialize)]
pub struct Chart {
    pub title: String,
    pub label_column: usize,
    pub value_column: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Section {
    /// The sheet's name in the workbook (≤ 31 characters).
    pub sheet: String,
    pub title: String,
    pub note: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    pub chart: Option<Chart>,
}

impl Section {
    /// The bars of the chart: (label, value, share of the longest bar 0–1).
    pub fn bars(&self) -> Vec<(String, f64, f64)> {
        let Some(c) = &self.chart else {
            return vec![];
        };
        let values: Vec<(String, f64)> = self
            .rows
            .iter()
            .map(|r| {
                let label = r.get(c.label_column).map(Cell::shown).unwrap_or_default();
                let v = match r.get(c.value_column) {
                    Some(Cell::Num(n)) => *n,
                    _ => 0.0,
                };
                (label, v)
            })
            .collect();
        let max = values.iter().map(|v| v.1).fold(0.0, f64::max);
        values
            .into_iter()
            .map(|(l, v)| (l, v, if max > 0.0 { v / max } else { 0.0 }))
            .collect()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Annual {
    pub committee: String,
    pub year: i64,
    pub title: String,
    pub generated: String,
    pub rules_name: String,
    /// Said on the cover: closed (frozen) or provisional.
    pub status: String,
    /// (label, value) pairs of the overview.
    pub overview: Vec<(String, String)>,
    pub sections: Vec<Section>,
}

const ANNUAL: &str = include_str!("annual.typ");

/// The most rows of one table a PDF prints: a national committee's appendix would run to
/// thousands of pages; the workbook keeps every row.
pub const PDF_ROWS: usize = 3_000;

/// The report as a PDF.
pub fn annual_pdf(fonts: &Fonts, a: &Annual) -> Result<Vec<u8>, ReportError> {
    #[derive(Serialize)]
    struct WithBars<'a> {
        #[serde(flatten)]
        a: &'a Annual,
        bars: Vec<Vec<(String, f64, f64)>>,
        cells: Vec<Vec<Vec<String>>>,
    }
    let mut a = a.clone();
    for s in a.sections.iter_mut().filter(|s| s.rows.len() > PDF_ROWS) {
        let note = format!(
            "共 {} 行，PDF 列出前 {PDF_ROWS} 行，完整表格见 Excel 版。",
            s.rows.len()
        );
        s.note = [s.note.as_str(), note.as_str()].concat();
        s.rows.truncate(PDF_ROWS);
    }
    let data = WithBars {
        a: &a,
        bars: a.sections.iter().map(Section::bars).collect(),
        cells: a
            .sections
            .iter()
            .map(|s| {
                s.rows
                    .iter()
                    .map(|r| r.iter().map(Cell::shown).collect())
                    .collect()
            })
            .collect(),
    };
    let json = serde_json::to_string(&data).map_err(|e| ReportError::Typeset(e.to_string()))?;
    world::render(fonts, ANNUAL, &json)
}

/// The report as a workbook: an overview sheet, then one sheet per section.
pub fn annual_xlsx(a: &Annual) -> Result<Vec<u8>, ReportError> {
    use rust_xlsxwriter::{Format, Workbook};
    let err = |e: rust_xlsxwriter::XlsxError| ReportError::Export(e.to_string());
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let ws = wb.add_worksheet();
    ws.set_name("概况").map_err(err)?;
    ws.write_string_with_format(0, 0, &a.title, &bold)
        .map_err(err)?;
    for (i, (k, v)) in a.overview.iter().enumerate() {
        let row = i as u32 + 2;
        ws.write_string(row, 0, k).map_err(err)?;
        ws.write_string(row, 1, v).map_err(err)?;
    }
    ws.set_column_width(0, 28).map_err(err)?;
    ws.set_column_width(1, 24).map_err(err)?;
    for s in &a.sections {
        let ws = wb.add_worksheet();
        ws.set_name(&s.sheet).map_err(err)?;
        ws.write_string_with_format(0, 0, &s.title, &bold)
            .map_err(err)?;
        for (c, h) in s.headers.iter().enumerate() {
            ws.write_string_with_format(2, c as u16, h, &bold)
                .map_err(err)?;
            ws.set_column_width(c as u16, 16).map_err(err)?;
        }
        for (r, row) in s.rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r, c) = (r as u32 + 3, c as u16);
                match cell {
                    // Names and titles people typed: never a formula.
                    Cell::Text(t) if t.starts_with(['=', '+', '-', '@', '\t', '\r']) => ws
                        .write_string_with_format(r, c, t, &Format::new().set_quote_prefix())
                        .map_err(err)?,
                    Cell::Text(t) => ws.write_string(r, c, t).map_err(err)?,
                    Cell::Num(n) => ws.write_number(r, c, *n).map_err(err)?,
                };
            }
        }
    }
    wb.save_to_buffer().map_err(err)
}

#[derive(askama::Template)]
#[template(path = "annual.html")]
struct Html<'a> {
    a: &'a Annual,
}

/// The report as one HTML page (every value escaped).
pub fn annual_html(a: &Annual) -> Result<String, ReportError> {
    askama::Template::render(&Html { a }).map_err(|e| ReportError::Typeset(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Annual {
        Annual {
            committee: "政协江川市委员会".into(),
            year: 2026,
            title: "2026年度委员履职情况统计报告".into(),
            generated: "2026年11月27日".into(),
            rules_name: "委员履职积分办法".into(),
            status: "年度未关闭，数据截至生成时".into(),
            overview: vec![("委员人数".into(), "2".into())],
            sections: vec![Section {
                sheet: "界别".into(),
                title: "各界别履职情况 <b>#set</b>".into(),
                note: String::new(),
                headers: vec!["界别".into(), "平均积分".into()],
                rows: vec![
                    vec![Cell::text("经济界"), Cell::Num(72.5)],
                    vec![Cell::text("教育界"), Cell::int(0)],
                ],
                chart: Some(Chart {
                    title: "平均积分".into(),
                    label_column: 0,
                    value_column: 1,
                }),
            }],
        }
    }

    #[test]
    fn bars_are_shares_of_the_longest() {
        let s = &sample().sections[0];
        let b = s.bars();
        assert_eq!(b[0].2, 1.0);
        assert_eq!(b[1].2, 0.0);
        assert_eq!(Cell::Num(72.5).shown(), "72.50");
        assert_eq!(Cell::int(3).shown(), "3");
    }

    #[test]
    fn html_escapes_and_the_workbook_has_a_sheet_per_section() {
        let a = sample();
        let html = annual_html(&a).expect("html");
        assert!(html.contains("经济界"));
        assert!(!html.contains("<b>#set</b>"));
        let x = annual_xlsx(&a).expect("xlsx");
        assert!(x.starts_with(b"PK"));
    }

    #[test]
    fn the_pdf_typesets() {
        let fonts = Fonts::load().expect("fonts-noto-cjk is installed by scripts/test.sh");
        let pdf = annual_pdf(&fonts, &sample()).expect("pdf");
        assert!(pdf.starts_with(b"%PDF-"));
    }
}
