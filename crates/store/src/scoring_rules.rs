//! A committee's scoring rules per year (R9) and the scores frozen when a year is closed.

use chrono::{DateTime, Utc};

use crate::db::{Conn, Param, Result, all, insert_rows, opt, opt_int, run};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RulesRow {
    pub committee_id: i64,
    pub year: i64,
    pub source: String,
    pub updated_by: Option<i64>,
    pub updated_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub closed_by: Option<i64>,
    pub closed_upto_event: Option<i64>,
}

const COLS: &str =
    "committee_id, year, source, updated_by, updated_at, closed_at, closed_by, closed_upto_event";

pub async fn of_year(c: &mut Conn<'_>, committee_id: i64, year: i64) -> Result<Option<RulesRow>> {
    let q = format!("SELECT {COLS} FROM scoring_rules WHERE committee_id = $1 AND year = $2");
    opt(c, &q, &[Param::Int(committee_id), Param::Int(year)]).await
}

/// The years that have rules, newest first.
pub async fn years(c: &mut Conn<'_>, committee_id: i64) -> Result<Vec<RulesRow>> {
    let q = format!("SELECT {COLS} FROM scoring_rules WHERE committee_id = $1 ORDER BY year DESC");
    all(c, &q, &[Param::Int(committee_id)]).await
}

/// Every committee's years with rules.
pub async fn all_years(c: &mut Conn<'_>) -> Result<Vec<RulesRow>> {
    let q = format!("SELECT {COLS} FROM scoring_rules ORDER BY committee_id, year");
    all(c, &q, &[]).await
}

/// Write a year's rules (the caller has checked the year is open).
pub async fn save(
    c: &mut Conn<'_>,
    committee_id: i64,
    year: i64,
    source: &str,
    by: Option<i64>,
    at: DateTime<Utc>,
) -> Result<()> {
    run(
        c,
        "INSERT INTO scoring_rules (committee_id, year, source, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (committee_id, year) DO UPDATE SET source = excluded.source, updated_by = excluded.updated_by, \
         updated_at = excluded.updated_at",
        &[
            Param::Int(committee_id),
            Param::Int(year),
            Param::Text(source.into()),
            opt_int(by),
            Param::Time(at),
        ],
    )
    .await?;
    Ok(())
}

/// Close a year: from now on its scores count the events up to `upto` only.
pub async fn close(
    c: &mut Conn<'_>,
    committee_id: i64,
    year: i64,
    by: Option<i64>,
    at: DateTime<Utc>,
    upto: i64,
) -> Result<u64> {
    run(
        c,
        "UPDATE scoring_rules SET closed_at = $3, closed_by = $4, closed_upto_event = $5 \
         WHERE committee_id = $1 AND year = $2 AND closed_at IS NULL",
        &[
            Param::Int(committee_id),
            Param::Int(year),
            Param::Time(at),
            opt_int(by),
            Param::Int(upto),
        ],
    )
    .await
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SnapshotRow {
    pub member_id: i64,
    pub total_centi: i64,
    pub tier: String,
    pub passed: bool,
}

/// Keep every member's score as it stood at the close.
pub async fn snapshot(
    c: &mut Conn<'_>,
    committee_id: i64,
    year: i64,
    rows: &[SnapshotRow],
) -> Result<()> {
    insert_rows(
        c,
        "INSERT INTO score_snapshots (committee_id, year, member_id, total_centi, tier, passed)",
        "",
        6,
        rows,
        |r| {
            vec![
                Param::Int(committee_id),
                Param::Int(year),
                Param::Int(r.member_id),
                Param::Int(r.total_centi),
                Param::Text(r.tier.clone()),
                Param::Bool(r.passed),
            ]
        },
    )
    .await
}

pub async fn snapshots(c: &mut Conn<'_>, committee_id: i64, year: i64) -> Result<Vec<SnapshotRow>> {
    all(
        c,
        "SELECT member_id, total_centi, tier, passed FROM score_snapshots WHERE committee_id = $1 AND year = $2 \
         ORDER BY member_id",
        &[Param::Int(committee_id), Param::Int(year)],
    )
    .await
}
