//! The work the server does by itself — the duty log following the event stream, the audit
//! checkpoint, the session sweep, escalations and follow-ups — as one job system that is
//! safe on any number of nodes.
//!
//! Each job has a row in `jobs` with the time its next period is due. Every node looks once
//! a second; a node that finds a job due claims it with one atomic statement (see
//! `lianxin_store::jobs::claim`), so each period runs once however many nodes look. The claim
//! is a lease: a node that dies mid-run loses the job when the lease expires and another
//! takes the period over. A failed run is retried with a growing delay and stays visible
//! (`/office/jobs`) until a run succeeds.
//!
//! Why not apalis: its cron streams fire on every worker that runs them — its maintainers
//! advise a distributed lock for running once across instances (apalis-dev/apalis#281) — and
//! its SQL storages are one type and schema per database, where ours is one code path. What
//! we need of it — a lease per periodic job, retries, a visible state — is the one table
//! here. Each job's step is itself safe to repeat (the duty log reads from a cursor, an
//! escalation re-reads its row), so an expired lease costs at most repeated reading.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use lianxin_domain::access::{Granted, OperateServer};
use lianxin_store::jobs::{self as store, Claimed, Finished};
use serde_json::json;

use crate::journal::{Change, begin, commit};
use crate::{App, Error, Result};

/// How often a node looks for due jobs.
pub const TICK: Duration = Duration::from_secs(1);

/// Longest wait before a failed job is tried again.
const MAX_BACKOFF: Duration = Duration::from_secs(600);

/// The server's jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    DutyLog,
    AuditCheckpoint,
    SessionSweep,
    ConcernEscalation,
    ProposalEscalation,
    ConcernFollowUp,
}

impl Job {
    pub const ALL: [Job; 6] = [
        Job::DutyLog,
        Job::AuditCheckpoint,
        Job::SessionSweep,
        Job::ConcernEscalation,
        Job::ProposalEscalation,
        Job::ConcernFollowUp,
    ];

    /// The job's name in the `jobs` table, the log and URLs.
    pub fn name(self) -> &'static str {
        match self {
            Job::DutyLog => "duty_log",
            Job::AuditCheckpoint => "audit_checkpoint",
            Job::SessionSweep => "session_sweep",
            Job::ConcernEscalation => "concern_escalation",
            Job::ProposalEscalation => "proposal_escalation",
            Job::ConcernFollowUp => "concern_follow_up",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Job::DutyLog => "履职记录入档",
            Job::AuditCheckpoint => "审计链签名检查点",
            Job::SessionSweep => "清理过期会话",
            Job::ConcernEscalation => "诉求超期督办",
            Job::ProposalEscalation => "提案超期督办",
            Job::ConcernFollowUp => "诉求答复回访",
        }
    }

    /// What the count of a run means, for the operator's page.
    pub fn counts(self) -> &'static str {
        match self {
            Job::DutyLog => "读取事件",
            Job::AuditCheckpoint => "写入检查点",
            Job::SessionSweep => "—",
            Job::ConcernEscalation | Job::ProposalEscalation => "督办件数",
            Job::ConcernFollowUp => "回访件数",
        }
    }

    /// How often it runs. The duty log follows the event stream within seconds, so a member
    /// sees today's work in their archive at once.
    pub fn period(self) -> Duration {
        match self {
            Job::DutyLog => Duration::from_secs(2),
            Job::AuditCheckpoint => Duration::from_secs(24 * 3600),
            Job::SessionSweep
            | Job::ConcernEscalation
            | Job::ProposalEscalation
            | Job::ConcernFollowUp => Duration::from_secs(300),
        }
    }

    /// How long a claim holds: far longer than a run takes, so that only a dead node loses
    /// its job — and then within this time.
    pub fn lease(self) -> Duration {
        Duration::from_secs(120)
    }

    pub fn parse(name: &str) -> Option<Job> {
        Job::ALL.into_iter().find(|j| j.name() == name)
    }

    /// One run: what it did, counted.
    async fn run(self, app: &App, at: DateTime<Utc>) -> Result<i64> {
        let n = match self {
            Job::DutyLog => crate::duty::catch_up(app).await?,
            Job::AuditCheckpoint => usize::from(crate::audit::checkpoint(app).await?.is_some()),
            Job::SessionSweep => {
                crate::auth::sweep(app).await?;
                0
            }
            Job::ConcernEscalation => crate::concerns::jobs::escalate_overdue(app, at).await?,
            Job::ProposalEscalation => crate::proposals::jobs::escalate_overdue(app, at).await?,
            Job::ConcernFollowUp => crate::concerns::jobs::follow_up(app, at).await?,
        };
        Ok(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// When the next period starts after a successful run at `now_ms`: periods are aligned to
/// multiples of the period (since 1970, UTC), so every node agrees on them.
pub fn next_period(period_ms: i64, now_ms: i64) -> i64 {
    (now_ms / period_ms + 1) * period_ms
}

/// How long to wait after the `failures`-th failure in a row: 5 s, doubling, at most 10 min.
pub fn backoff(failures: i64) -> Duration {
    let exp = u32::try_from(failures.clamp(1, 16) - 1).unwrap_or(0);
    Duration::from_secs(5)
        .saturating_mul(2u32.saturating_pow(exp))
        .min(MAX_BACKOFF)
}

/// This node's name in leases and runs: the host and the process.
pub fn node_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "node".into());
    format!("{host}:{}", std::process::id())
}

/// What one look at the schedule ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ran {
    pub job: Job,
    /// The count, or the error message.
    pub outcome: std::result::Result<i64, String>,
}

/// Run every job that is due and not held by another node, once each, one after another.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn run_due(app: &App, node: &str) -> Result<Vec<Ran>> {
    let now_ms = crate::now().timestamp_millis();
    let rows = {
        let mut conn = app.db.acquire().await?;
        let mut rows = store::all(&mut conn.conn()).await?;
        if Job::ALL
            .iter()
            .any(|j| !rows.iter().any(|r| r.name == j.name()))
        {
            // A new installation, or an upgrade that added a job: it is first due now.
            for j in Job::ALL {
                store::ensure(&mut conn.conn(), j.name(), ms(j.period()), now_ms).await?;
            }
            rows = store::all(&mut conn.conn()).await?;
        }
        rows
    };
    let mut ran = vec![];
    for job in Job::ALL {
        let free = |r: &store::JobRow| r.lease_until_ms.is_none_or(|t| t < now_ms);
        if !rows
            .iter()
            .any(|r| r.name == job.name() && r.next_run_ms <= now_ms && free(r))
        {
            continue;
        }
        if let Some(outcome) = run_one(app, node, job).await? {
            ran.push(Ran { job, outcome });
        }
    }
    Ok(ran)
}

/// Claim the job and run it; `None` if another node claimed it first.
async fn run_one(
    app: &App,
    node: &str,
    job: Job,
) -> Result<Option<std::result::Result<i64, String>>> {
    let at = crate::now();
    let claimed: Option<Claimed> = {
        let mut tx = crate::journal::begin_append(&app.db).await?;
        let k = store::claim(
            &mut tx.conn(),
            job.name(),
            node,
            at.timestamp_millis(),
            ms(job.lease()),
        )
        .await?;
        tx.commit().await?;
        k
    };
    let Some(k) = claimed else {
        return Ok(None);
    };
    let started = Instant::now();
    // Its own task, so that a panic fails this run instead of the job loop.
    let body = {
        let app = app.clone();
        tokio::spawn(async move { job.run(&app, at).await })
    };
    let outcome = match body.await {
        Ok(Ok(n)) => Ok(n),
        Ok(Err(e)) => Err(e.chain()),
        Err(e) => Err(format!("任务异常中止：{e}")),
    };
    let duration_ms = ms(started.elapsed());
    let end_ms = crate::now().timestamp_millis();
    let next_run_ms = match &outcome {
        Ok(_) => next_period(ms(job.period()), end_ms),
        Err(_) => end_ms + ms(backoff(k.consecutive_failures + 1)),
    };
    match &outcome {
        Ok(n) if *n > 0 => tracing::info!(job = job.name(), count = n, duration_ms, "job ran"),
        Ok(_) => tracing::debug!(job = job.name(), duration_ms, "job ran"),
        Err(e) => tracing::warn!(job = job.name(), duration_ms, "job failed: {e}"),
    }
    let f = Finished {
        due_ms: k.due_ms,
        at_ms: end_ms,
        duration_ms,
        outcome: outcome.as_ref().map(|n| *n).map_err(String::as_str),
        next_run_ms,
    };
    let mut tx = crate::journal::begin_append(&app.db).await?;
    if !store::finish(&mut tx.conn(), job.name(), node, &f).await? {
        tracing::warn!(
            job = job.name(),
            "job ran past its lease; another node took the period over"
        );
    }
    tx.commit().await?;
    Ok(Some(outcome))
}

/// Look for due jobs every [`TICK`] until `stop` turns true; a run in progress then finishes
/// (its step commits or rolls back) before this returns.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn run(app: App, node: String, mut stop: tokio::sync::watch::Receiver<bool>) {
    tracing::info!(node, "jobs started");
    loop {
        if *stop.borrow() {
            break;
        }
        if let Err(e) = run_due(&app, &node).await {
            tracing::warn!("jobs: {}", e.chain());
        }
        tokio::select! {
            _ = tokio::time::sleep(TICK) => {}
            _ = stop.changed() => {}
        }
    }
    tracing::info!(node, "jobs stopped");
}

/// A job as the operator's page shows it.
#[derive(Debug, Clone)]
pub struct JobView {
    pub job: Job,
    pub row: Option<store::JobRow>,
    pub runs: Vec<store::RunRow>,
}

impl JobView {
    /// Failing now: the last run failed (the job is retried with backoff).
    pub fn failing(&self) -> bool {
        self.row
            .as_ref()
            .is_some_and(|r| r.consecutive_failures > 0)
    }
}

/// The installation's jobs are every committee's: only the admins of the installation's own
/// committee (the first) see them.
async fn check_installation(app: &App, g: &Granted<OperateServer>) -> Result<()> {
    if app.installation_committee().await? == Some(g.committee_id()) {
        Ok(())
    } else {
        Err(Error::Forbidden("server.operate"))
    }
}

/// Every job with its schedule, last outcome and kept runs.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn overview(app: &App, g: &Granted<OperateServer>) -> Result<Vec<JobView>> {
    check_installation(app, g).await?;
    let mut conn = app.db.acquire().await?;
    let rows = store::all(&mut conn.conn()).await?;
    let runs = store::runs(&mut conn.conn()).await?;
    Ok(Job::ALL
        .into_iter()
        .map(|job| JobView {
            job,
            row: rows.iter().find(|r| r.name == job.name()).cloned(),
            runs: runs
                .iter()
                .filter(|r| r.name == job.name())
                .cloned()
                .collect(),
        })
        .collect())
}

/// "Retry now": the job is due at once; the next look of any node runs it.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn run_now(app: &App, g: &Granted<OperateServer>, name: &str) -> Result<Job> {
    check_installation(app, g).await?;
    let job = Job::parse(name).ok_or_else(|| Error::not_found("job.not_found", "没有这个任务"))?;
    let mut tx = begin(&app.db).await?;
    let at = crate::now().timestamp_millis();
    if !store::due_now(&mut tx.conn(), job.name(), at).await? {
        store::ensure(&mut tx.conn(), job.name(), ms(job.period()), at).await?;
    }
    let change = Change {
        committee_id: g.committee_id(),
        kind: "job.run_requested",
        subject_type: "job",
        subject_id: 0,
        before: serde_json::Value::Null,
        after: json!({"job": job.name()}),
    };
    commit(tx, g.actor(), change).await?;
    Ok(job)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_aligned_so_nodes_agree() {
        assert_eq!(next_period(300_000, 0), 300_000);
        assert_eq!(next_period(300_000, 299_999), 300_000);
        assert_eq!(next_period(300_000, 300_000), 600_000);
        assert_eq!(next_period(2_000, 1_000_001), 1_002_000);
    }

    #[test]
    fn failures_back_off_up_to_ten_minutes() {
        assert_eq!(backoff(1), Duration::from_secs(5));
        assert_eq!(backoff(2), Duration::from_secs(10));
        assert_eq!(backoff(4), Duration::from_secs(40));
        assert_eq!(backoff(9), Duration::from_secs(600));
        assert_eq!(backoff(1000), Duration::from_secs(600));
    }

    #[test]
    fn every_job_reads_back_by_name() {
        for j in Job::ALL {
            assert_eq!(Job::parse(j.name()), Some(j));
        }
        assert_eq!(Job::parse("nope"), None);
    }
}
