//! The member roster as an office keeps it in a spreadsheet: one row per member, these
//! columns, Chinese headers. Parsing here checks each cell; names of sectors and special
//! committees are resolved against the database by the service.

use crate::phone::Phone;

pub const COLUMNS: [&str; 9] = [
    "姓名",
    "性别",
    "民族",
    "党派",
    "界别",
    "专委会",
    "工作单位及职务",
    "手机",
    "是否常委",
];

#[derive(Debug, Clone, PartialEq)]
pub struct RosterRow {
    /// Spreadsheet row number (the header is row 1), for messages.
    pub line: usize,
    pub name: String,
    pub gender: Option<&'static str>,
    pub ethnicity: String,
    pub party: String,
    pub sector: String,
    pub special_committees: Vec<String>,
    pub employer: String,
    pub phone: Option<Phone>,
    pub is_standing: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RowError {
    pub line: usize,
    pub column: String,
    pub message: String,
}

impl RowError {
    pub fn new(line: usize, column: &str, message: impl Into<String>) -> Self {
        RowError {
            line,
            column: column.to_string(),
            message: message.into(),
        }
    }
}

/// Where each known column sits in the header row.
pub fn header_positions(header: &[String]) -> Result<[usize; 9], RowError> {
    let mut pos = [0usize; 9];
    for (i, col) in COLUMNS.iter().enumerate() {
        match header.iter().position(|h| h.trim() == *col) {
            Some(p) => pos[i] = p,
            None => {
                return Err(RowError::new(
                    1,
                    col,
                    format!("表头缺少“{col}”列；应包含：{}", COLUMNS.join("、")),
                ));
            }
        }
    }
    Ok(pos)
}

fn limit(errors: &mut Vec<RowError>, line: usize, col: &str, v: &str, max: usize) {
    if v.chars().count() > max {
        errors.push(RowError::new(line, col, format!("不能超过{max}个字")));
    }
}

/// Check one data row. `line` is its spreadsheet row number.
pub fn parse_row(
    line: usize,
    pos: &[usize; 9],
    cells: &[String],
) -> Result<RosterRow, Vec<RowError>> {
    let cell = |i: usize| {
        cells
            .get(pos[i])
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let mut errors = Vec::new();
    let name = cell(0);
    if name.is_empty() {
        errors.push(RowError::new(line, "姓名", "姓名不能为空"));
    }
    limit(&mut errors, line, "姓名", &name, 30);
    let gender = match cell(1).as_str() {
        "" => None,
        "男" | "male" => Some("male"),
        "女" | "female" => Some("female"),
        other => {
            errors.push(RowError::new(
                line,
                "性别",
                format!("性别应为“男”或“女”，而不是“{other}”"),
            ));
            None
        }
    };
    let ethnicity = cell(2);
    limit(&mut errors, line, "民族", &ethnicity, 20);
    let party = cell(3);
    limit(&mut errors, line, "党派", &party, 30);
    let sector = cell(4);
    if sector.is_empty() {
        errors.push(RowError::new(line, "界别", "界别不能为空"));
    }
    let special_committees: Vec<String> = cell(5)
        .split(['、', ',', '，', ';', '；'])
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    let employer = cell(6);
    limit(&mut errors, line, "工作单位及职务", &employer, 100);
    let phone = match cell(7).as_str() {
        "" => None,
        raw => match Phone::parse("phone", raw) {
            Ok(p) => Some(p),
            Err(e) => {
                errors.push(RowError::new(line, "手机", e.summary()));
                None
            }
        },
    };
    let is_standing = match cell(8).as_str() {
        "" | "否" | "0" | "false" => false,
        "是" | "1" | "true" => true,
        other => {
            errors.push(RowError::new(
                line,
                "是否常委",
                format!("应填“是”或“否”，而不是“{other}”"),
            ));
            false
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(RosterRow {
        line,
        name,
        gender,
        ethnicity,
        party,
        sector,
        special_committees,
        employer,
        phone,
        is_standing,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn header_in_any_order() {
        let mut h = s(&COLUMNS);
        h.reverse();
        let pos = header_positions(&h).unwrap();
        assert_eq!(pos[0], 8);
    }

    #[test]
    fn missing_column_is_named() {
        let err = header_positions(&s(&["姓名"])).unwrap_err();
        assert_eq!(err.column, "性别");
    }

    #[test]
    fn good_row() {
        let pos = header_positions(&s(&COLUMNS)).unwrap();
        let row = parse_row(
            2,
            &pos,
            &s(&[
                "王芳",
                "女",
                "汉族",
                "民盟",
                "教育界",
                "教科卫体委员会、提案委员会",
                "市一中 校长",
                "13800138000",
                "是",
            ]),
        )
        .unwrap();
        assert_eq!(row.special_committees.len(), 2);
        assert!(row.is_standing);
        assert_eq!(row.gender, Some("female"));
    }

    #[test]
    fn every_bad_cell_is_reported_with_row_and_column() {
        let pos = header_positions(&s(&COLUMNS)).unwrap();
        let errs = parse_row(
            7,
            &pos,
            &s(&["", "未知", "", "", "", "", "", "123", "也许"]),
        )
        .unwrap_err();
        let cols: Vec<&str> = errs.iter().map(|e| e.column.as_str()).collect();
        assert_eq!(cols, vec!["姓名", "性别", "界别", "手机", "是否常委"]);
        assert!(errs.iter().all(|e| e.line == 7));
    }
}
