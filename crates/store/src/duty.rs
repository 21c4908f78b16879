//! The duty log's rows. Only the event consumer writes them (see `service::duty`).

use chrono::{DateTime, Utc};

use crate::db::{Conn, Param, Result, all, int, opt, opt_int, run};

pub struct NewEntry<'a> {
    pub committee_id: i64,
    pub member_id: i64,
    pub year: i64,
    pub kind: &'a str,
    pub role: &'a str,
    pub subject: &'a str,
    pub joint_count: i64,
    pub joint_index: i64,
    pub event_id: i64,
    pub attested_by: Option<i64>,
    pub occurred_at: DateTime<Utc>,
    pub reverses_event: i64,
}

/// Add an entry once: a second delivery of the same event changes nothing, and a member who
/// is not of the event's committee gets nothing. True if a row was added.
pub async fn add(c: &mut Conn<'_>, e: &NewEntry<'_>) -> Result<bool> {
    Ok(run(
        c,
        "INSERT INTO duty_log (committee_id, member_id, year, kind, role, subject, joint_count, joint_index, event_id, \
         attested_by, occurred_at, reverses_event) \
         SELECT $1, id, $2, $3, $4, $5, $6, $7, $8, $9, $10, $12 FROM members WHERE id = $11 AND committee_id = $1 \
         ON CONFLICT (event_id, member_id, kind, reverses_event) DO NOTHING",
        &[
            Param::Int(e.committee_id),
            Param::Int(e.year),
            Param::Text(e.kind.into()),
            Param::Text(e.role.into()),
            Param::Text(e.subject.into()),
            Param::Int(e.joint_count),
            Param::Int(e.joint_index),
            Param::Int(e.event_id),
            opt_int(e.attested_by),
            Param::Time(e.occurred_at),
            Param::Int(e.member_id),
            Param::Int(e.reverses_event),
        ],
    )
    .await?
        > 0)
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct EntryRow {
    pub id: i64,
    pub member_id: i64,
    pub year: i64,
    pub kind: String,
    pub role: String,
    pub subject: String,
    pub joint_count: i64,
    pub joint_index: i64,
    pub event_id: i64,
    pub attested_by: Option<i64>,
    pub occurred_at: DateTime<Utc>,
    pub reverses_event: i64,
}

const COLS: &str = "id, member_id, year, kind, role, subject, joint_count, joint_index, event_id, attested_by, \
                    occurred_at, reverses_event";

/// A member's entries of a year, oldest first.
pub async fn of_member(c: &mut Conn<'_>, member_id: i64, year: i64) -> Result<Vec<EntryRow>> {
    let q = format!("SELECT {COLS} FROM duty_log WHERE member_id = $1 AND year = $2 ORDER BY id");
    all(c, &q, &[Param::Int(member_id), Param::Int(year)]).await
}

/// One entry of the committee, for a correction.
pub async fn entry(c: &mut Conn<'_>, committee_id: i64, id: i64) -> Result<Option<EntryRow>> {
    let q = format!("SELECT {COLS} FROM duty_log WHERE id = $1 AND committee_id = $2");
    opt(c, &q, &[Param::Int(id), Param::Int(committee_id)]).await
}

/// Every entry of a committee's year, by member then id.
pub async fn of_year(c: &mut Conn<'_>, committee_id: i64, year: i64) -> Result<Vec<EntryRow>> {
    let q = format!(
        "SELECT {COLS} FROM duty_log WHERE committee_id = $1 AND year = $2 ORDER BY member_id, id"
    );
    all(c, &q, &[Param::Int(committee_id), Param::Int(year)]).await
}

/// What scoring needs of an entry (no times, no attestation: the year's ranking reads
/// millions of these).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ScoringRow {
    pub id: i64,
    pub member_id: i64,
    pub kind: String,
    pub role: String,
    pub subject: String,
    pub joint_count: i64,
    pub joint_index: i64,
    pub event_id: i64,
    pub reverses_event: i64,
}

impl From<&EntryRow> for ScoringRow {
    fn from(e: &EntryRow) -> Self {
        ScoringRow {
            id: e.id,
            member_id: e.member_id,
            kind: e.kind.clone(),
            role: e.role.clone(),
            subject: e.subject.clone(),
            joint_count: e.joint_count,
            joint_index: e.joint_index,
            event_id: e.event_id,
            reverses_event: e.reverses_event,
        }
    }
}

/// Every entry of a committee's year as scoring reads it, by member then id.
pub async fn scoring_rows(
    c: &mut Conn<'_>,
    committee_id: i64,
    year: i64,
) -> Result<Vec<ScoringRow>> {
    all(
        c,
        "SELECT id, member_id, kind, role, subject, joint_count, joint_index, event_id, reverses_event FROM duty_log \
         WHERE committee_id = $1 AND year = $2 ORDER BY member_id, id",
        &[Param::Int(committee_id), Param::Int(year)],
    )
    .await
}

/// Remove the entries of a year (every year with None), before a rebuild.
pub async fn clear(c: &mut Conn<'_>, year: Option<i64>) -> Result<u64> {
    match year {
        Some(y) => run(c, "DELETE FROM duty_log WHERE year = $1", &[Param::Int(y)]).await,
        None => run(c, "DELETE FROM duty_log", &[]).await,
    }
}

/// A member as the ranking shows them.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MemberLine {
    pub id: i64,
    pub name: String,
    pub sector: String,
    pub is_standing: bool,
}

/// Every active member of the committee.
pub async fn members(c: &mut Conn<'_>, committee_id: i64) -> Result<Vec<MemberLine>> {
    all(
        c,
        "SELECT m.id, m.name, s.name AS sector, m.is_standing FROM members m JOIN sectors s ON s.id = m.sector_id \
         WHERE m.committee_id = $1 AND m.status = 'active' ORDER BY m.id",
        &[Param::Int(committee_id)],
    )
    .await
}

/// One member of the committee (any status).
pub async fn member(
    c: &mut Conn<'_>,
    committee_id: i64,
    member_id: i64,
) -> Result<Option<MemberLine>> {
    opt(
        c,
        "SELECT m.id, m.name, s.name AS sector, m.is_standing FROM members m JOIN sectors s ON s.id = m.sector_id \
         WHERE m.id = $1 AND m.committee_id = $2",
        &[Param::Int(member_id), Param::Int(committee_id)],
    )
    .await
}

/// Whether two members are of the same sector.
pub async fn same_sector(c: &mut Conn<'_>, a: i64, b: i64) -> Result<bool> {
    Ok(int(
        c,
        "SELECT COUNT(*) FROM members a JOIN members b ON a.sector_id = b.sector_id WHERE a.id = $1 AND b.id = $2",
        &[Param::Int(a), Param::Int(b)],
    )
    .await?
        > 0)
}
