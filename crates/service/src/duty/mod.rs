//! The duty log (云日志, R8), written by the system: a consumer of the event stream turns
//! every event that is duty work into entries for each member involved (the dictionary is
//! `domain::duty`). Its writes and its cursor move in one transaction, and an entry is unique
//! per (event, member, kind), so an event is never counted twice — not when it is delivered
//! again, not when the process dies mid-batch. No page writes entries.
//!
//! A rebuild replays the events into a cleared log and produces exactly the same entries.

use chrono::Datelike;
use lianxin_domain::duty::entries_of_event;
use lianxin_domain::event::DomainEvent;
use lianxin_store::Conn;
use lianxin_store::duty::{self as store, NewEntry};
use lianxin_store::journal::{self as journal, EventRow};

use crate::events::{Consumer, run_once};
use crate::opinions::bulletins::china;
use crate::{App, Result};

pub mod annual;
pub mod appraisal;
pub mod menu;
pub mod offline;
pub mod rules;
pub mod scores;
pub mod statement;

pub use scores::{Archive, Ranked, Ranking, member_archive, my_archive, ranking};

/// The cursor's name.
pub const CONSUMER: &str = "duty_log";
const BATCH: i64 = 500;

pub struct DutyLog;

/// Write the entries one event gives; how many rows were added. With `keep`, the scores of
/// the members who got entries are computed again and kept (the consumer; a rebuild keeps
/// every score once at the end).
async fn write(
    c: &mut Conn<'_>,
    e: &EventRow,
    only_year: Option<i64>,
    keep: bool,
) -> Result<usize> {
    let Ok(payload) = serde_json::from_str::<serde_json::Value>(&e.payload) else {
        return Ok(0);
    };
    // Work confirmed or corrected later belongs to the year it was done in.
    let year = payload["duty_year"]
        .as_i64()
        .unwrap_or_else(|| i64::from(china(e.occurred_at).year()));
    if only_year.is_some_and(|y| y != year) {
        return Ok(0);
    }
    let mut added = 0;
    let mut members: Vec<i64> = Vec::new();
    // The event as its type; the dictionary matches on the variant.
    let event = DomainEvent::read(&e.kind, &payload);
    let subject = format!("{}:{}", e.subject_type, e.subject_id);
    for d in entries_of_event(&event, subject) {
        let row = NewEntry {
            committee_id: e.committee_id,
            member_id: d.member_id,
            year,
            kind: d.kind,
            role: d.role.code(),
            subject: &d.subject,
            joint_count: i64::from(d.joint_count),
            joint_index: i64::from(d.joint_index),
            event_id: e.id,
            attested_by: e.actor_user_id,
            occurred_at: e.occurred_at,
            reverses_event: d.reverses_event,
        };
        if store::add(c, &row).await? {
            added += 1;
            if !members.contains(&d.member_id) {
                members.push(d.member_id);
            }
        }
    }
    // A member's own record changed (standing, sector): standing-only rules may now apply.
    if e.subject_type == "member" && e.kind.starts_with("member.") {
        members.push(e.subject_id);
    }
    if keep && !members.is_empty() {
        scores::keep_scores(c, e.committee_id, year, Some(&members)).await?;
    }
    Ok(added)
}

impl Consumer for DutyLog {
    fn name(&self) -> &'static str {
        CONSUMER
    }
    async fn handle(&self, c: &mut Conn<'_>, event: &EventRow) -> Result<()> {
        write(c, event, None, true).await.map(|_| ())
    }
}

/// Handle every event not yet in the log; how many events were read.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn catch_up(app: &App) -> Result<usize> {
    let mut total = 0;
    loop {
        let n = run_once(app, &DutyLog, BATCH).await?;
        total += n;
        if n < BATCH as usize {
            return Ok(total);
        }
    }
}

/// Clear the log (of one year, or all) and replay the events the consumer has handled, in one
/// transaction; `progress` hears (events read, events in all). Returns the entries written.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn rebuild(app: &App, year: Option<i64>, progress: &dyn Fn(i64, i64)) -> Result<usize> {
    let mut tx = app.db.begin_write().await?;
    let upto = journal::cursor(&mut tx.conn(), CONSUMER).await?;
    store::clear(&mut tx.conn(), year).await?;
    let mut after = 0;
    let mut written = 0;
    loop {
        let events = journal::events_after(&mut tx.conn(), after, BATCH).await?;
        let Some(last) = events.last().map(|e| e.id) else {
            break;
        };
        for e in events.iter().filter(|e| e.id <= upto) {
            written += write(&mut tx.conn(), e, year, false).await?;
        }
        after = last;
        progress(after.min(upto), upto);
        if after >= upto {
            break;
        }
    }
    for r in lianxin_store::scoring_rules::all_years(&mut tx.conn()).await? {
        if year.is_none_or(|y| y == r.year) {
            scores::keep_scores(&mut tx.conn(), r.committee_id, r.year, None).await?;
        }
    }
    tx.commit().await?;
    Ok(written)
}
