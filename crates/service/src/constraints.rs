//! Database constraint violations as user errors, from one table keyed by constraint name.
//!
//! PostgreSQL names the violated constraint; SQLite names its columns instead
//! ("UNIQUE constraint failed: sectors.committee_id, sectors.name"). Each row below gives
//! both, so the same violation gives the same answer on either database.

/// A unique constraint and what a person is told when a write would break it.
pub struct Constraint {
    /// The name in the migrations (PostgreSQL reports it).
    pub name: &'static str,
    /// `table.column, table.column` as SQLite reports them.
    pub columns: &'static str,
    pub code: &'static str,
    /// The form field to point at.
    pub field: &'static str,
    pub message: &'static str,
}

const fn c(
    name: &'static str,
    columns: &'static str,
    field: &'static str,
    message: &'static str,
) -> Constraint {
    Constraint {
        name,
        columns,
        code: "conflict.duplicate",
        field,
        message,
    }
}

pub const TABLE: &[Constraint] = &[
    c(
        "users_username",
        "users.username",
        "username",
        "该用户名已被使用",
    ),
    c(
        "sectors_committee_name",
        "sectors.committee_id, sectors.name",
        "name",
        "已有同名界别",
    ),
    c(
        "special_committees_committee_name",
        "special_committees.committee_id, special_committees.name",
        "name",
        "已有同名专门委员会",
    ),
    c(
        "handling_units_committee_name",
        "handling_units.committee_id, handling_units.name",
        "name",
        "已有同名承办单位",
    ),
    c(
        "terms_committee_number",
        "terms.committee_id, terms.number",
        "number",
        "该届次已存在",
    ),
    c(
        "concern_categories_committee_name",
        "concern_categories.committee_id, concern_categories.name",
        "name",
        "已有同名诉求类别",
    ),
    c(
        "concern_categories_committee_code",
        "concern_categories.committee_id, concern_categories.service_code",
        "service_code",
        "该类别代码已被使用",
    ),
    c(
        "proposal_windows_committee_year_kind",
        "proposal_windows.committee_id, proposal_windows.year, proposal_windows.kind",
        "kind",
        "该年度已设置此类提案征集期",
    ),
    c(
        "proposals_committee_year_number",
        "proposals.committee_id, proposals.year, proposals.number",
        "number",
        "该提案编号已被使用",
    ),
    c(
        "bulletins_committee_year_number",
        "bulletins.committee_id, bulletins.year, bulletins.number",
        "number",
        "该期号已存在",
    ),
    c(
        "activity_registrations_phone",
        "activity_registrations.activity_id, activity_registrations.phone_index",
        "phone",
        "该手机号已报名本次活动",
    ),
    c(
        "reception_bookings_slot_phone",
        "reception_bookings.slot_id, reception_bookings.phone_index",
        "phone",
        "该手机号已预约此时段",
    ),
];

/// Any other unique constraint: a duplicate, with the field its name ends in.
const OTHER: Constraint = c("", "", "", "与已有记录重复");

/// The row for a violation as the database reported it (a constraint name, or SQLite's
/// "UNIQUE constraint failed: …" text).
pub fn of(reported: &str) -> Constraint {
    let columns = reported
        .strip_prefix("UNIQUE constraint failed: ")
        .unwrap_or(reported);
    match TABLE
        .iter()
        .find(|c| c.name == reported || c.columns == columns)
    {
        Some(c) => Constraint { ..*c },
        None => Constraint {
            // `table_…_column` or `table.column`: the last word names the field.
            field: last_word(columns),
            ..OTHER
        },
    }
}

fn last_word(s: &str) -> &'static str {
    // The field names a person sees come from this fixed list; an unknown one points at no
    // particular field rather than leaking a column name.
    const KNOWN: &[&str] = &[
        "name", "number", "code", "username", "phone", "kind", "title",
    ];
    let last = s.rsplit(['_', '.', ' ']).next().unwrap_or("");
    KNOWN.iter().find(|k| **k == last).copied().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_databases_words_give_one_answer() {
        let pg = of("sectors_committee_name");
        let sqlite = of("UNIQUE constraint failed: sectors.committee_id, sectors.name");
        assert_eq!((pg.field, pg.message), (sqlite.field, sqlite.message));
        assert_eq!(pg.message, "已有同名界别");
    }

    #[test]
    fn every_named_constraint_is_in_the_migrations() {
        let pg = concat!(
            include_str!("../../store/migrations/postgres/0001_foundation.sql"),
            include_str!("../../store/migrations/postgres/0002_concerns.sql"),
            include_str!("../../store/migrations/postgres/0005_direct_channel.sql"),
            include_str!("../../store/migrations/postgres/0006_activities.sql"),
        );
        for c in TABLE {
            assert!(
                pg.contains(&format!("CONSTRAINT {} UNIQUE", c.name)),
                "{}",
                c.name
            );
        }
    }

    #[test]
    fn an_unknown_constraint_is_a_plain_duplicate() {
        let o = of("UNIQUE constraint failed: things.committee_id, things.title");
        assert_eq!((o.code, o.field), ("conflict.duplicate", "title"));
        assert_eq!(of("concerns_code").field, "code");
    }
}
