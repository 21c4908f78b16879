//! The duty log (云日志, R8), written by the system: a consumer of the event stream turns
//! every event that is duty work into entries for each member involved (the dictionary is
//! `domain::duty`). Its writes and its cursor move in one transaction, and an entry is unique
//! per (event, member, kind), so an event is never counted twice — not when it is delivered
//! again, not when the process dies mid-batch. No page writes entries.
//!
//! A rebuild replays the events into a cleared log and produces exactly the same entries.

use chrono::Datelike;
use lianxin_domain::duty::entries_of;
use lianxin_store::Conn;
use lianxin_store::duty::{self as store, NewEntry};
use lianxin_store::journal::{self as journal, EventRow};

use crate::events::{Consumer, run_once};
use crate::opinions::bulletins::china;
use crate::{App, Result};

/// The cursor's name.
pub const CONSUMER: &str = "duty_log";
const BATCH: i64 = 500;

pub struct DutyLog;

/// Write the entries one event gives; how many rows were added.
async fn write(c: &mut Conn<'_>, e: &EventRow, only_year: Option<i64>) -> Result<usize> {
    let year = i64::from(china(e.occurred_at).year());
    if only_year.is_some_and(|y| y != year) {
        return Ok(0);
    }
    let Ok(payload) = serde_json::from_str::<serde_json::Value>(&e.payload) else {
        return Ok(0);
    };
    let mut added = 0;
    for d in entries_of(&e.kind, &e.subject_type, e.subject_id, &payload) {
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
        };
        added += usize::from(store::add(c, &row).await?);
    }
    Ok(added)
}

impl Consumer for DutyLog {
    fn name(&self) -> &'static str {
        CONSUMER
    }
    async fn handle(&self, c: &mut Conn<'_>, event: &EventRow) -> Result<()> {
        write(c, event, None).await.map(|_| ())
    }
}

/// Handle every event not yet in the log; how many events were read.
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
            written += write(&mut tx.conn(), e, year).await?;
        }
        after = last;
        progress(after.min(upto), upto);
        if after >= upto {
            break;
        }
    }
    tx.commit().await?;
    Ok(written)
}

/// An entry with the points it earned (hundredths) and the rule's line in the rule file.
pub type Scored = (store::EntryRow, i64, Option<usize>);

/// A member's year as their e-archive (电子档案) shows it: every entry with the points it
/// earned, the score, and what the minimum requirements still need.
pub struct Archive {
    pub member_id: i64,
    pub member_name: String,
    pub year: i64,
    pub rules_name: String,
    /// (entry, points in hundredths, the rule's line) in time order.
    pub entries: Vec<Scored>,
    pub score: lianxin_domain::scoring::Score,
}

impl Archive {
    /// Entries grouped by kind (label, entries), in the order kinds first occur.
    pub fn groups(&self) -> Vec<(&'static str, Vec<&Scored>)> {
        let mut out: Vec<(&'static str, Vec<&Scored>)> = Vec::new();
        for e in &self.entries {
            let label = lianxin_domain::scoring::entry_label(&e.0.kind);
            match out.iter_mut().find(|(l, _)| *l == label) {
                Some((_, v)) => v.push(e),
                None => out.push((label, vec![e])),
            }
        }
        out
    }
}

fn archive_not_found() -> crate::Error {
    crate::Error::not_found("member.not_found", "未找到该委员")
}

/// The archive of `member_id` for `year`, scored by the default rules (a committee's own rule
/// files come with the rest of issue 6). Who may see it is the caller's check.
async fn archive_of(app: &App, committee_id: i64, member_id: i64, year: i64) -> Result<Archive> {
    use lianxin_domain::scoring::{Entry, EntryRole, RuleSet, score};
    let mut conn = app.db.acquire().await?;
    let member: Option<(String, bool)> = lianxin_store::db::opt(
        &mut conn.conn(),
        "SELECT name, is_standing FROM members WHERE id = $1 AND committee_id = $2",
        &[
            lianxin_store::Param::Int(member_id),
            lianxin_store::Param::Int(committee_id),
        ],
    )
    .await?;
    let (name, standing) = member.ok_or_else(archive_not_found)?;
    let rows = store::of_member(&mut conn.conn(), member_id, year).await?;
    let rules = RuleSet::parse(RuleSet::default_rules())
        .map_err(|e| crate::Error::internal(format!("default rules: {e:?}")))?;
    let entries: Vec<Entry> = rows
        .iter()
        .map(|r| Entry {
            id: r.id,
            kind: r.kind.clone(),
            role: EntryRole::parse(&r.role).unwrap_or(EntryRole::Participant),
            subject: r.subject.clone(),
            joint_count: r.joint_count as u32,
            joint_index: r.joint_index as u32,
        })
        .collect();
    let s = score(&rules, &entries, standing);
    let with_points = rows
        .into_iter()
        .map(|r| {
            let lines: Vec<&lianxin_domain::scoring::Line> = s
                .lines
                .iter()
                .filter(|l| l.entry_id == Some(r.id))
                .collect();
            let points = lines.iter().map(|l| l.centi).sum();
            (r, points, lines.first().and_then(|l| l.rule_line))
        })
        .collect();
    Ok(Archive {
        member_id,
        member_name: name,
        year,
        rules_name: rules.name,
        entries: with_points,
        score: s,
    })
}

/// One's own archive.
pub async fn my_archive(
    app: &App,
    g: &lianxin_domain::access::Granted<lianxin_domain::access::JoinActivities>,
    year: i64,
) -> Result<Archive> {
    let me = g.actor().member_id.ok_or_else(archive_not_found)?;
    archive_of(app, g.committee_id(), me, year).await
}

/// Another member's archive: the office sees everyone's, a sector convenor their sector's.
pub async fn member_archive(
    app: &App,
    g: &lianxin_domain::access::Granted<lianxin_domain::access::ViewOrganisation>,
    member_id: i64,
    year: i64,
) -> Result<Archive> {
    let actor = g.actor();
    if actor.role == lianxin_domain::access::Role::Convenor {
        let mut conn = app.db.acquire().await?;
        let same = lianxin_store::db::int(
            &mut conn.conn(),
            "SELECT COUNT(*) FROM members a JOIN members b ON a.sector_id = b.sector_id WHERE a.id = $1 AND b.id = $2",
            &[
                lianxin_store::Param::Int(member_id),
                lianxin_store::Param::Int(actor.member_id.unwrap_or(0)),
            ],
        )
        .await?;
        if same == 0 {
            return Err(archive_not_found());
        }
    }
    archive_of(app, g.committee_id(), member_id, year).await
}
