//! The background jobs' schedule and leases (migration 0013). A node runs a period of a job
//! only after [`claim`] moved the job's row to itself in one atomic `UPDATE … RETURNING`:
//! on SQLite the write lock and on PostgreSQL the row lock let exactly one claimant through,
//! so with any number of nodes each period runs once. Times are milliseconds since 1970.

use crate::db::Result;
use crate::{Conn, exec, on};

/// A job's schedule and the outcome of its last run.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JobRow {
    pub name: String,
    pub period_ms: i64,
    pub next_run_ms: i64,
    pub lease_holder: Option<String>,
    pub lease_until_ms: Option<i64>,
    pub last_started_ms: Option<i64>,
    pub last_finished_ms: Option<i64>,
    pub last_outcome: Option<String>,
    pub last_error: Option<String>,
    pub last_duration_ms: Option<i64>,
    pub last_count: Option<i64>,
    pub runs: i64,
    pub failures: i64,
    pub consecutive_failures: i64,
}

/// One run of a job: which period, on which node, how it ended (`outcome` is NULL while
/// it runs, or when its node died before finishing).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RunRow {
    pub name: String,
    pub due_ms: i64,
    pub node: String,
    pub started_ms: i64,
    pub finished_ms: Option<i64>,
    pub outcome: Option<String>,
    pub error: Option<String>,
    pub count: Option<i64>,
}

/// A period this node won: when it was due, and how many runs before it failed in a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct Claimed {
    pub due_ms: i64,
    pub consecutive_failures: i64,
}

/// How a run ended, for [`finish`].
pub struct Finished<'a> {
    pub due_ms: i64,
    pub at_ms: i64,
    pub duration_ms: i64,
    /// `Err(message)` for a failed run.
    pub outcome: std::result::Result<i64, &'a str>,
    pub next_run_ms: i64,
}

/// How many runs of each job the operator's page keeps.
pub const RUNS_KEPT: i64 = 20;

/// Make sure the job has its row; a new job is first due at `first_due_ms`. A period changed
/// by an upgrade takes effect, the schedule already set stays.
pub async fn ensure(c: &mut Conn<'_>, name: &str, period_ms: i64, first_due_ms: i64) -> Result<()> {
    let q = "INSERT INTO jobs (name, period_ms, next_run_ms) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET period_ms = $2";
    exec!(c, |x| sqlx::query(q)
        .bind(name)
        .bind(period_ms)
        .bind(first_due_ms)
        .execute(&mut **x)
        .await)?;
    Ok(())
}

/// Take the job for `node` if a period is due and nobody holds an unexpired lease on it.
/// `None`: not due yet, or another node has it.
pub async fn claim(
    c: &mut Conn<'_>,
    name: &str,
    node: &str,
    now_ms: i64,
    lease_ms: i64,
) -> Result<Option<Claimed>> {
    let q = "UPDATE jobs SET lease_holder = $2, lease_until_ms = $3, last_started_ms = $4 \
             WHERE name = $1 AND next_run_ms <= $4 \
               AND (lease_until_ms IS NULL OR lease_until_ms < $4) \
             RETURNING next_run_ms AS due_ms, consecutive_failures";
    let claimed: Option<Claimed> = on!(c, |x| sqlx::query_as(q)
        .bind(name)
        .bind(node)
        .bind(now_ms + lease_ms)
        .bind(now_ms)
        .fetch_optional(&mut **x)
        .await)?;
    if let Some(k) = claimed {
        // A period taken over from a node that died keeps one row, now this node's.
        let q = "INSERT INTO job_runs (name, due_ms, node, started_ms) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (name, due_ms) DO UPDATE SET node = $3, started_ms = $4, \
                   finished_ms = NULL, outcome = NULL, error = NULL, count = NULL";
        exec!(c, |x| sqlx::query(q)
            .bind(name)
            .bind(k.due_ms)
            .bind(node)
            .bind(now_ms)
            .execute(&mut **x)
            .await)?;
    }
    Ok(claimed)
}

/// Record how the run ended, schedule the next and release the lease. `false`: this node
/// had lost its lease (it ran past it and another node took the period over), so nothing
/// was recorded.
pub async fn finish(c: &mut Conn<'_>, name: &str, node: &str, f: &Finished<'_>) -> Result<bool> {
    let (ok, count, error) = match f.outcome {
        Ok(n) => (true, Some(n), None),
        Err(e) => (false, None, Some(e)),
    };
    let outcome = if ok { "ok" } else { "failed" };
    let q = "UPDATE jobs SET lease_holder = NULL, lease_until_ms = NULL, \
               last_finished_ms = $3, last_outcome = $4, last_error = $5, last_duration_ms = $6, \
               last_count = $7, next_run_ms = $8, runs = runs + 1, \
               failures = failures + $9, \
               consecutive_failures = CASE WHEN $9 = 0 THEN 0 ELSE consecutive_failures + 1 END \
             WHERE name = $1 AND lease_holder = $2";
    let n = exec!(c, |x| sqlx::query(q)
        .bind(name)
        .bind(node)
        .bind(f.at_ms)
        .bind(outcome)
        .bind(error)
        .bind(f.duration_ms)
        .bind(count)
        .bind(f.next_run_ms)
        .bind(i64::from(!ok))
        .execute(&mut **x)
        .await)?;
    if n == 0 {
        return Ok(false);
    }
    let q = "UPDATE job_runs SET finished_ms = $4, outcome = $5, error = $6, count = $7 \
             WHERE name = $1 AND due_ms = $2 AND node = $3";
    exec!(c, |x| sqlx::query(q)
        .bind(name)
        .bind(f.due_ms)
        .bind(node)
        .bind(f.at_ms)
        .bind(outcome)
        .bind(error)
        .bind(count)
        .execute(&mut **x)
        .await)?;
    let q = "DELETE FROM job_runs WHERE name = $1 AND due_ms < \
               (SELECT due_ms FROM job_runs WHERE name = $1 ORDER BY due_ms DESC LIMIT 1 OFFSET $2)";
    exec!(c, |x| sqlx::query(q)
        .bind(name)
        .bind(RUNS_KEPT - 1)
        .execute(&mut **x)
        .await)?;
    Ok(true)
}

/// Make the job due now ("retry now"); `false` if there is no such job.
pub async fn due_now(c: &mut Conn<'_>, name: &str, now_ms: i64) -> Result<bool> {
    let q = "UPDATE jobs SET next_run_ms = $2 WHERE name = $1";
    let n = exec!(c, |x| sqlx::query(q)
        .bind(name)
        .bind(now_ms)
        .execute(&mut **x)
        .await)?;
    Ok(n > 0)
}

pub async fn all(c: &mut Conn<'_>) -> Result<Vec<JobRow>> {
    let q = "SELECT name, period_ms, next_run_ms, lease_holder, lease_until_ms, last_started_ms, \
               last_finished_ms, last_outcome, last_error, last_duration_ms, last_count, runs, \
               failures, consecutive_failures FROM jobs ORDER BY name";
    on!(c, |x| sqlx::query_as(q).fetch_all(&mut **x).await).map_err(Into::into)
}

/// The runs kept, newest first.
pub async fn runs(c: &mut Conn<'_>) -> Result<Vec<RunRow>> {
    let q = "SELECT name, due_ms, node, started_ms, finished_ms, outcome, error, count \
             FROM job_runs ORDER BY name, due_ms DESC";
    on!(c, |x| sqlx::query_as(q).fetch_all(&mut **x).await).map_err(Into::into)
}
