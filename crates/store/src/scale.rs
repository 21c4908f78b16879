//! Set-based bulk rows for measuring at scale (`lianxin demo --scale`): members and duty-log
//! entries generated inside the database, a batch per statement. Every value in the SQL is a
//! number or a constant of ours, formatted here; no input reaches it.

use chrono::{DateTime, Utc};

use crate::db::{Conn, Param, Result, all, int, run};

/// `seq(n)` for 1..=k, in SQL both databases run.
fn seq(k: i64) -> String {
    format!(
        "WITH RECURSIVE seq(n) AS (SELECT CAST(1 AS BIGINT) UNION ALL SELECT n + 1 FROM seq WHERE n < {k}) "
    )
}

/// `CASE n % len WHEN 0 THEN v0 …` over the given SQL values.
fn cycle(values: &[String]) -> String {
    format!(
        "CASE n % {} {} END",
        values.len(),
        values
            .iter()
            .enumerate()
            .map(|(i, v)| format!("WHEN {i} THEN {v}"))
            .collect::<Vec<_>>()
            .join(" ")
    )
}

pub async fn sector_ids(c: &mut Conn<'_>, committee_id: i64) -> Result<Vec<i64>> {
    #[derive(sqlx::FromRow)]
    struct Id {
        id: i64,
    }
    Ok(all::<Id>(
        c,
        "SELECT id FROM sectors WHERE committee_id = $1 ORDER BY id",
        &[Param::Int(committee_id)],
    )
    .await?
    .into_iter()
    .map(|r| r.id)
    .collect())
}

pub async fn next_member_id(c: &mut Conn<'_>) -> Result<i64> {
    int(c, "SELECT COALESCE(MAX(id), 0) + 1 FROM members", &[]).await
}

/// `k` active members numbered from `start`, spread over `sectors`, one in ten standing.
pub async fn insert_members(
    c: &mut Conn<'_>,
    committee_id: i64,
    start: i64,
    k: i64,
    sectors: &[i64],
    at: DateTime<Utc>,
) -> Result<u64> {
    let sector = cycle(&sectors.iter().map(i64::to_string).collect::<Vec<_>>());
    let q = format!(
        "{} INSERT INTO members (committee_id, name, sector_id, is_standing, status, created_at, updated_at) \
         SELECT {committee_id}, '规模委员' || (n + {start}), {sector}, (n % 10 = 0), 'active', $1, $1 FROM seq",
        seq(k)
    );
    run(c, &q, &[Param::Time(at)]).await
}

/// Where the generated entries go.
pub struct EntrySpread<'a> {
    pub committee_id: i64,
    pub year: i64,
    /// Members `first .. first + members` receive them.
    pub first: i64,
    pub members: i64,
    /// (entry kind, subject type), cycled through.
    pub mix: &'a [(&'a str, &'a str)],
}

/// `k` entries numbered from `start`: entry n goes to member (n · 7919 mod members), so every
/// member gets some; every 40th is as lead; subjects repeat over 50,000 per type.
pub async fn insert_entries(
    c: &mut Conn<'_>,
    s: &EntrySpread<'_>,
    start: i64,
    k: i64,
    at: DateTime<Utc>,
) -> Result<u64> {
    let kinds = cycle(
        &s.mix
            .iter()
            .map(|m| format!("'{}'", m.0))
            .collect::<Vec<_>>(),
    );
    let subjects = cycle(
        &s.mix
            .iter()
            .map(|m| format!("'{}'", m.1))
            .collect::<Vec<_>>(),
    );
    let q = format!(
        "{seq} INSERT INTO duty_log (committee_id, member_id, year, kind, role, subject, joint_count, joint_index, \
         event_id, attested_by, occurred_at, reverses_event) \
         SELECT {c}, {first} + ((n + {start}) * 7919) % {members}, {year}, {kinds}, \
         CASE WHEN n % 40 = 18 THEN 'lead' ELSE 'participant' END, \
         {subjects} || ':' || ((n + {start}) % 50000), 0, 0, 2000000000 + n + {start}, NULL, $1, 0 FROM seq",
        seq = seq(k),
        c = s.committee_id,
        first = s.first,
        members = s.members,
        year = s.year,
    );
    run(c, &q, &[Param::Time(at)]).await
}

/// Refresh the planner's statistics (both databases spell it the same).
pub async fn analyze(c: &mut Conn<'_>) -> Result<()> {
    run(c, "ANALYZE", &[]).await?;
    Ok(())
}
