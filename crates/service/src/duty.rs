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
    /// The rules' categories: (code, name).
    pub category_names: Vec<(String, String)>,
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

/// The default rules, parsed once (they are compiled in; a test proves them valid).
fn default_rules() -> Result<&'static lianxin_domain::scoring::RuleSet> {
    use lianxin_domain::scoring::RuleSet;
    static RULES: std::sync::OnceLock<Option<RuleSet>> = std::sync::OnceLock::new();
    RULES
        .get_or_init(|| RuleSet::parse(RuleSet::default_rules()).ok())
        .as_ref()
        .ok_or_else(|| crate::Error::internal("the default scoring rules do not parse"))
}

fn archive_not_found() -> crate::Error {
    crate::Error::not_found("member.not_found", "未找到该委员")
}

/// The archive of `member_id` for `year`, scored by the default rules (a committee's own rule
/// files come with the rest of issue 6). Who may see it is the caller's check.
async fn archive_of(app: &App, committee_id: i64, member_id: i64, year: i64) -> Result<Archive> {
    use lianxin_domain::scoring::{Entry, EntryRole, score};
    let mut conn = app.db.acquire().await?;
    let m = store::member(&mut conn.conn(), committee_id, member_id)
        .await?
        .ok_or_else(archive_not_found)?;
    let (name, standing) = (m.name, m.is_standing);
    let rows = store::of_member(&mut conn.conn(), member_id, year).await?;
    let rules = default_rules()?;
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
    let s = score(rules, &entries, standing);
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
        category_names: rules
            .categories
            .iter()
            .map(|c| (c.code.clone(), c.name.clone()))
            .collect(),
        rules_name: rules.name.clone(),
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
        let same =
            store::same_sector(&mut conn.conn(), member_id, actor.member_id.unwrap_or(0)).await?;
        if !same {
            return Err(archive_not_found());
        }
    }
    archive_of(app, g.committee_id(), member_id, year).await
}

/// One member's line in the year's ranking.
#[derive(Debug, Clone)]
pub struct Ranked {
    pub member_id: i64,
    pub name: String,
    pub sector: String,
    pub total_centi: i64,
    pub tier: String,
    pub passed: bool,
    pub missing: usize,
    /// Place in the committee and within the sector (ties share a place).
    pub place: usize,
    pub sector_place: usize,
    /// Below the pass mark last year too.
    pub twice_below: bool,
}

/// The year's ranking of every active member of the committee, best first, with the tier
/// counts. Each total is the archive's total: both come from `scores_of_year`.
pub struct Ranking {
    pub year: i64,
    pub rows: Vec<Ranked>,
    pub tiers: Vec<(String, usize)>,
}

/// Every active member's score for a year: (member, score).
async fn scores_of_year(
    app: &App,
    committee_id: i64,
    year: i64,
) -> Result<Vec<(store::MemberLine, lianxin_domain::scoring::Score)>> {
    use lianxin_domain::scoring::{Entry, EntryRole, score};
    let rules = default_rules()?;
    let mut conn = app.db.acquire().await?;
    let members = store::members(&mut conn.conn(), committee_id).await?;
    let rows = store::of_year(&mut conn.conn(), committee_id, year).await?;
    let mut by_member: std::collections::HashMap<i64, Vec<Entry>> =
        std::collections::HashMap::new();
    for r in rows {
        by_member.entry(r.member_id).or_default().push(Entry {
            id: r.id,
            kind: r.kind,
            role: EntryRole::parse(&r.role).unwrap_or(EntryRole::Participant),
            subject: r.subject,
            joint_count: r.joint_count as u32,
            joint_index: r.joint_index as u32,
        });
    }
    Ok(members
        .into_iter()
        .map(|m| {
            let s = score(
                rules,
                by_member.get(&m.id).map(Vec::as_slice).unwrap_or(&[]),
                m.is_standing,
            );
            (m, s)
        })
        .collect())
}

/// Places by total, best first; equal totals share a place.
fn places(totals: &[i64]) -> Vec<usize> {
    let mut out = Vec::with_capacity(totals.len());
    for (i, t) in totals.iter().enumerate() {
        out.push(if i > 0 && totals[i - 1] == *t {
            out[i - 1]
        } else {
            i + 1
        });
    }
    out
}

pub async fn ranking(
    app: &App,
    g: &lianxin_domain::access::Granted<lianxin_domain::access::ViewOrganisation>,
    year: i64,
) -> Result<Ranking> {
    let mut scored = scores_of_year(app, g.committee_id(), year).await?;
    // A sector convenor sees their own sector.
    let actor = g.actor();
    if actor.role == lianxin_domain::access::Role::Convenor {
        let mut conn = app.db.acquire().await?;
        let own = match actor.member_id {
            Some(m) => store::member(&mut conn.conn(), g.committee_id(), m)
                .await?
                .map(|m| m.sector),
            None => None,
        };
        scored.retain(|(m, _)| Some(&m.sector) == own.as_ref());
    }
    let last_year: std::collections::HashSet<i64> = scores_of_year(app, g.committee_id(), year - 1)
        .await?
        .into_iter()
        .filter(|(_, s)| !s.passed)
        .map(|(m, _)| m.id)
        .collect();
    scored.sort_by(|a, b| {
        b.1.total_centi
            .cmp(&a.1.total_centi)
            .then(a.0.id.cmp(&b.0.id))
    });
    let totals: Vec<i64> = scored.iter().map(|(_, s)| s.total_centi).collect();
    let committee_places = places(&totals);
    let mut sector_places = vec![0; scored.len()];
    let mut sectors: std::collections::BTreeMap<&str, Vec<usize>> =
        std::collections::BTreeMap::new();
    for (i, (m, _)) in scored.iter().enumerate() {
        sectors.entry(m.sector.as_str()).or_default().push(i);
    }
    for idxs in sectors.values() {
        let t: Vec<i64> = idxs.iter().map(|i| totals[*i]).collect();
        for (i, p) in idxs.iter().zip(places(&t)) {
            sector_places[*i] = p;
        }
    }
    let rules = default_rules()?;
    let tiers = rules
        .tiers
        .iter()
        .map(|t| {
            (
                t.name.clone(),
                scored.iter().filter(|(_, s)| s.tier == t.name).count(),
            )
        })
        .collect();
    let rows = scored
        .into_iter()
        .enumerate()
        .map(|(i, (m, s))| Ranked {
            twice_below: !s.passed && last_year.contains(&m.id),
            member_id: m.id,
            name: m.name,
            sector: m.sector,
            total_centi: s.total_centi,
            tier: s.tier,
            passed: s.passed,
            missing: s.missing.len(),
            place: committee_places[i],
            sector_place: sector_places[i],
        })
        .collect();
    Ok(Ranking { year, rows, tiers })
}
