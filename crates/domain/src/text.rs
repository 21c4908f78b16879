//! Parsing free text typed by people: trimmed, length-limited by characters (not bytes,
//! since most input is Chinese), control characters refused.

use crate::Invalid;

/// Trim and check one text value. `label` is the Chinese field name used in messages.
pub fn parse_text(
    field: &str,
    label: &str,
    raw: &str,
    max_chars: usize,
    required: bool,
) -> Result<Option<String>, Invalid> {
    // Tabs and newlines are fine in long text; other control characters only break exports.
    // Checked before trimming, so the rule is the same wherever in the text they stand.
    if raw
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(Invalid::one(
            field,
            "control_char",
            format!("{label}含有不可见的控制字符"),
        ));
    }
    let value = raw.trim();
    if value.is_empty() {
        return if required {
            Err(Invalid::one(field, "required", format!("请填写{label}")))
        } else {
            Ok(None)
        };
    }
    // The limit counts what was sent, blanks at either end included: that is what a form's
    // `maxlength` and the API schema's `maxLength` count, so a value the schema refuses is
    // never stored trimmed.
    let count = raw.chars().count();
    if count > max_chars {
        let blanks = if count == value.chars().count() {
            ""
        } else {
            "，含首尾空白"
        };
        return Err(Invalid::one(
            field,
            "too_long",
            format!("{label}不能超过{max_chars}个字（现为{count}个字{blanks}）"),
        ));
    }
    Ok(Some(value.to_string()))
}

/// A calendar date as `YYYY-MM-DD`.
pub fn parse_date(
    field: &str,
    label: &str,
    raw: &str,
    required: bool,
) -> Result<Option<String>, Invalid> {
    let value = raw.trim();
    if value.is_empty() {
        return if required {
            Err(Invalid::one(field, "required", format!("请填写{label}")))
        } else {
            Ok(None)
        };
    }
    match chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        Ok(d) => Ok(Some(d.format("%Y-%m-%d").to_string())),
        Err(_) => Err(Invalid::one(
            field,
            "invalid_date",
            format!("{label}应为日期，格式如 2024-01-31"),
        )),
    }
}

/// A time of day as `HH:MM` (24-hour).
pub fn parse_time(
    field: &str,
    label: &str,
    raw: &str,
    required: bool,
) -> Result<Option<String>, Invalid> {
    let value = raw.trim();
    if value.is_empty() {
        return if required {
            Err(Invalid::one(field, "required", format!("请填写{label}")))
        } else {
            Ok(None)
        };
    }
    match chrono::NaiveTime::parse_from_str(value, "%H:%M") {
        Ok(t) => Ok(Some(t.format("%H:%M").to_string())),
        Err(_) => Err(Invalid::one(
            field,
            "invalid_time",
            format!("{label}应为时间，格式如 09:30"),
        )),
    }
}

/// China's time zone: UTC+8 all year (no daylight saving since 1991).
pub fn china_offset() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(8 * 3600)
        .unwrap_or_else(|| chrono::FixedOffset::east_opt(0).expect("UTC"))
}

/// A date and time typed in China's time (`2026-03-01T09:30` from a `datetime-local` input,
/// or `2026-03-01 09:30`), as the UTC instant everything is stored in.
pub fn parse_china_datetime(
    field: &str,
    label: &str,
    raw: &str,
) -> Result<chrono::DateTime<chrono::Utc>, Invalid> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(Invalid::one(field, "required", format!("请填写{label}")));
    }
    let parsed = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(value, f).ok());
    match parsed.and_then(|n| n.and_local_timezone(china_offset()).single()) {
        Some(t) => Ok(t.with_timezone(&chrono::Utc)),
        None => Err(Invalid::one(
            field,
            "invalid_datetime",
            format!("{label}应为北京时间的日期和时刻，格式如 2026-03-01 09:30"),
        )),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn china_time_is_stored_as_utc() {
        let t = super::parse_china_datetime("t", "时间", "2026-03-01T09:30").expect("parses");
        assert_eq!(t.to_rfc3339(), "2026-03-01T01:30:00+00:00");
        assert!(super::parse_china_datetime("t", "时间", "明天上午").is_err());
    }

    use super::*;

    #[test]
    fn counts_characters_not_bytes() {
        let ten_chinese = "政协委员联系界别群众";
        assert_eq!(
            parse_text("n", "姓名", ten_chinese, 10, true)
                .unwrap()
                .as_deref(),
            Some(ten_chinese)
        );
        let err = parse_text("n", "姓名", "政协委员联系界别群众啊", 10, true).unwrap_err();
        assert_eq!(err.0[0].code, "too_long");
        assert!(err.0[0].message.contains("11"));
    }

    #[test]
    fn blanks_at_the_ends_count_toward_the_limit() {
        // The API schema's maxLength counts them, so the parser must refuse what it refuses.
        let err = parse_text("n", "名称", "\t政协委员联系界别群众", 10, true).unwrap_err();
        assert_eq!(err.0[0].code, "too_long");
        assert!(
            err.0[0].message.contains("含首尾空白"),
            "{}",
            err.0[0].message
        );
        assert_eq!(
            parse_text("n", "名称", " 政协委员 ", 10, true).unwrap(),
            Some("政协委员".to_string())
        );
    }

    #[test]
    fn required_and_blank() {
        assert_eq!(
            parse_text("n", "姓名", "   ", 10, true).unwrap_err().0[0].code,
            "required"
        );
        assert_eq!(parse_text("n", "姓名", "  ", 10, false).unwrap(), None);
    }

    #[test]
    fn refuses_control_characters_but_keeps_newlines() {
        assert!(parse_text("b", "简介", "a\u{0}b", 100, false).is_err());
        assert!(parse_text("b", "简介", "第一行\n第二行", 100, false).is_ok());
    }

    #[test]
    fn dates() {
        assert_eq!(
            parse_date("d", "日期", "2024-2-3", true)
                .unwrap()
                .as_deref(),
            Some("2024-02-03")
        );
        assert!(parse_date("d", "日期", "2024-13-01", true).is_err());
        assert!(parse_date("d", "日期", "明天", true).is_err());
    }
}

/// First characters that make a spreadsheet read a cell as a formula (CSV injection).
const FORMULA_LEAD: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether a spreadsheet would take this text for a formula.
pub fn formula_like(cell: &str) -> bool {
    cell.starts_with(FORMULA_LEAD)
}

/// A cell for a CSV file that no spreadsheet runs: text that would start a formula gets a
/// leading `'` (Excel and LibreOffice show the text itself). Reading our own files back goes
/// through [`restore_cell`].
pub fn neutralise_cell(cell: &str) -> std::borrow::Cow<'_, str> {
    if formula_like(cell) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// The text [`neutralise_cell`] was given.
pub fn restore_cell(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if formula_like(rest) => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod cell_tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised_and_restored() {
        for c in [
            "=1+1",
            "+86 137",
            "-2",
            "@SUM(A1)",
            "\tx",
            "=HYPERLINK(\"http://x\")",
        ] {
            let n = neutralise_cell(c);
            assert!(n.starts_with('\''), "{c:?}");
            assert_eq!(restore_cell(&n), c);
        }
        for c in ["张三", "13700001111", "'quoted", ""] {
            assert_eq!(neutralise_cell(c), c);
            assert_eq!(restore_cell(c), c);
        }
    }
}
