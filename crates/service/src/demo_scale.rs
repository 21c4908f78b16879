//! Bulk demo data for measuring the year of duty at a committee's real size: `lianxin demo
//! --scale city|province|national` adds members to the demo committee and this year's duty-log
//! entries for them (about 33 each), written straight into the tables in set-based batches —
//! generating 20 million events through the use cases would take hours, and the scoring being
//! measured reads the duty log only. A rebuild of the log replaces these rows with what the
//! events give.

use chrono::Datelike;
use lianxin_store::scale as store;

use crate::opinions::bulletins::china;
use crate::{App, Error, Result, now};

/// How big.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// 20,000 members, 660,000 entries: what SQLite handles comfortably.
    City,
    /// 100,000 members, 3,300,000 entries.
    Province,
    /// 600,000 members, 20,000,000 entries (PostgreSQL).
    National,
}

impl Scale {
    pub fn parse(s: &str) -> Option<Scale> {
        match s {
            "city" => Some(Scale::City),
            "province" => Some(Scale::Province),
            "national" => Some(Scale::National),
            _ => None,
        }
    }
    pub fn members(self) -> i64 {
        match self {
            Scale::City => 20_000,
            Scale::Province => 100_000,
            Scale::National => 600_000,
        }
    }
    pub fn entries(self) -> i64 {
        match self {
            Scale::City => 660_000,
            Scale::Province => 3_300_000,
            Scale::National => 20_000_000,
        }
    }
}

/// Rows per statement: large enough that the statement overhead vanishes.
const BATCH: i64 = 50_000;

/// The mix of a year's duty, as entry kinds with their subjects; the weights follow what a
/// member's year holds (many activities and answers, few proposals).
const MIX: &[(&str, &str)] = &[
    ("activity.attended", "activity"),
    ("activity.attended", "activity"),
    ("activity.attended", "activity"),
    ("activity.attended", "activity"),
    ("activity.attended", "activity"),
    ("concern.answered", "concern"),
    ("concern.answered", "concern"),
    ("concern.answered", "concern"),
    ("meeting.attended", "activity"),
    ("meeting.attended", "activity"),
    ("policy.required_read", "policy_document"),
    ("policy.required_read", "policy_document"),
    ("opinion.submitted", "opinion_report"),
    ("opinion.submitted", "opinion_report"),
    ("reading.note", "activity"),
    ("reception.held", "reception_visit"),
    ("service.volunteer", "service_delivery"),
    ("inspection.attended", "activity"),
    ("proposal.submitted", "proposal"),
    ("plenary.attended", "activity"),
];

/// Add the members and entries to committee 1 (the demo must be loaded); `progress` hears
/// (rows written, rows in all).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn load(app: &App, scale: Scale, progress: &dyn Fn(i64, i64)) -> Result<()> {
    let year = i64::from(china(now()).year());
    let (members, entries) = (scale.members(), scale.entries());
    let all_rows = members + entries;
    let (sectors, first) = {
        let mut conn = app.db.acquire().await?;
        (
            store::sector_ids(&mut conn.conn(), 1).await?,
            store::next_member_id(&mut conn.conn()).await?,
        )
    };
    if sectors.is_empty() {
        return Err(Error::conflict(
            "demo.not_loaded",
            "请先加载演示数据（lianxin demo）",
        ));
    }
    let mut done = 0;
    for start in (0..members).step_by(BATCH as usize) {
        let k = BATCH.min(members - start);
        let mut tx = app.db.begin_append().await?;
        store::insert_members(&mut tx.conn(), 1, start, k, &sectors, now()).await?;
        tx.commit().await?;
        done += k;
        progress(done, all_rows);
    }
    let spread = store::EntrySpread {
        committee_id: 1,
        year,
        first,
        members,
        mix: MIX,
    };
    for start in (0..entries).step_by(BATCH as usize) {
        let k = BATCH.min(entries - start);
        let mut tx = app.db.begin_append().await?;
        store::insert_entries(&mut tx.conn(), &spread, start, k, now()).await?;
        tx.commit().await?;
        done += k;
        progress(done, all_rows);
    }
    // Fresh statistics after a bulk load, as an operator (or PostgreSQL's autovacuum, a while
    // later) would take them: without them the planner guesses at millions of new rows.
    {
        let mut conn = app.db.acquire().await?;
        store::analyze(&mut conn.conn()).await?;
    }
    // The rows bypassed the consumer: keep everyone's score once, as a rebuild does.
    let mut tx = app.db.begin_write().await?;
    crate::duty::scores::keep_scores(&mut tx.conn(), 1, year, None).await?;
    tx.commit().await?;
    Ok(())
}
