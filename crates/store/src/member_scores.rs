//! Each member's score of a year as last computed from the duty log (see `service::duty`).

use crate::db::{Conn, Param, Result, all, insert_rows};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct KeptRow {
    pub member_id: i64,
    pub total_centi: i64,
    pub tier: String,
    pub passed: bool,
    /// One requirement per line.
    pub missing: String,
    pub entries: i64,
}

/// Keep these scores (insert or replace).
pub async fn save(c: &mut Conn<'_>, committee_id: i64, year: i64, rows: &[KeptRow]) -> Result<()> {
    insert_rows(
        c,
        "INSERT INTO member_scores (committee_id, year, member_id, total_centi, tier, passed, missing, entries)",
        "ON CONFLICT (committee_id, year, member_id) DO UPDATE SET total_centi = excluded.total_centi, \
         tier = excluded.tier, passed = excluded.passed, missing = excluded.missing, entries = excluded.entries",
        8,
        rows,
        |r| {
            vec![
                Param::Int(committee_id),
                Param::Int(year),
                Param::Int(r.member_id),
                Param::Int(r.total_centi),
                Param::Text(r.tier.clone()),
                Param::Bool(r.passed),
                Param::Text(r.missing.clone()),
                Param::Int(r.entries),
            ]
        },
    )
    .await
}

/// The kept scores of a year, by member.
pub async fn of_year(c: &mut Conn<'_>, committee_id: i64, year: i64) -> Result<Vec<KeptRow>> {
    all(
        c,
        "SELECT member_id, total_centi, tier, passed, missing, entries FROM member_scores \
         WHERE committee_id = $1 AND year = $2 ORDER BY member_id",
        &[Param::Int(committee_id), Param::Int(year)],
    )
    .await
}
