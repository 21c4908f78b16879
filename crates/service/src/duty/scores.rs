//! Scores from the duty log by the committee's rules of the year: the e-archive (电子档案,
//! 一人一档) and the rankings. Both — and the annual report — score through
//! [`scores_of_year`] / [`score_member`], so a member's total is the same everywhere.

use std::collections::HashSet;

use lianxin_domain::access::{Granted, JoinActivities, Role, ViewOrganisation};
use lianxin_domain::duty::in_force;
use lianxin_domain::scoring::{Entry, EntryRole, Line, RuleSet, Score, Total, score, total};
use lianxin_store::Conn;
use lianxin_store::duty::{self as store, EntryRow, MemberLine, Packed, PackedEntry, ScoredMember};
use lianxin_store::scoring_rules::{self as rules_store, RulesRow};

use crate::{App, Error, Result};

/// A committee's rules for a year as stored, parsed.
pub struct YearRules {
    pub rules: std::sync::Arc<RuleSet>,
    pub row: RulesRow,
}

impl YearRules {
    /// Once the year is closed its scores count the events up to the close only.
    pub fn upto(&self) -> Option<i64> {
        self.row.closed_upto_event
    }
}

/// The rules of a year, if the committee has made them.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn rules_of(c: &mut Conn<'_>, committee_id: i64, year: i64) -> Result<Option<YearRules>> {
    let Some(row) = rules_store::of_year(c, committee_id, year).await? else {
        return Ok(None);
    };
    // The consumer scores after every event: parse a year's file once, while it is unchanged.
    type Parsed = std::collections::HashMap<(i64, i64), (String, std::sync::Arc<RuleSet>)>;
    static PARSED: std::sync::Mutex<Option<Parsed>> = std::sync::Mutex::new(None);
    let key = (committee_id, year);
    let cached = PARSED.lock().ok().and_then(|p| {
        p.as_ref()
            .and_then(|m| m.get(&key))
            .filter(|(source, _)| *source == row.source)
            .map(|(_, r)| r.clone())
    });
    let rules = match cached {
        Some(r) => r,
        None => {
            // Stored rules were validated when saved; failing now means the engine changed.
            let r = std::sync::Arc::new(RuleSet::parse(&row.source).map_err(|e| {
                Error::internal(format!(
                    "stored scoring rules of {year} no longer parse: {}",
                    e.first().map(ToString::to_string).unwrap_or_default()
                ))
            })?);
            if let Ok(mut p) = PARSED.lock() {
                p.get_or_insert_with(Default::default)
                    .insert(key, (row.source.clone(), r.clone()));
            }
            r
        }
    };
    Ok(Some(YearRules { rules, row }))
}

/// What a year without rules says instead of a score of zero.
pub fn no_rules_message(year: i64) -> String {
    format!(
        "{year} 年度尚未制定评分规则，暂不计分。请委员会办公室在“评分规则”页面上传或编辑本年度规则。"
    )
}

pub fn no_rules(year: i64) -> Error {
    Error::conflict("scoring.no_rules", no_rules_message(year))
}

/// What scoring needs of one entry, borrowed from wherever it was read.
struct Row<'a> {
    id: i64,
    event_id: i64,
    reverses_event: i64,
    kind: &'a str,
    role: EntryRole,
    subject: &'a str,
    joint_count: i64,
    joint_index: i64,
}

impl<'a> From<&'a EntryRow> for Row<'a> {
    fn from(r: &'a EntryRow) -> Self {
        Row {
            id: r.id,
            event_id: r.event_id,
            reverses_event: r.reverses_event,
            kind: &r.kind,
            role: EntryRole::parse(&r.role).unwrap_or(EntryRole::Participant),
            subject: &r.subject,
            joint_count: r.joint_count,
            joint_index: r.joint_index,
        }
    }
}

/// The entries that count, as the engine takes them: corrections applied, and for a closed
/// year only what was logged by its close. Also says, row by row, whether it counts.
fn scorable<'a>(rows: &[Row<'a>], upto: Option<i64>) -> (Vec<Entry<'a>>, Vec<bool>) {
    let keys: Vec<(i64, &str, i64)> = rows
        .iter()
        .map(|r| (r.event_id, r.kind, r.reverses_event))
        .collect();
    let counts: Vec<bool> = in_force(&keys)
        .into_iter()
        .zip(rows)
        .map(|(f, r)| f && upto.is_none_or(|u| r.event_id <= u))
        .collect();
    let entries = rows
        .iter()
        .zip(&counts)
        .filter(|(_, c)| **c)
        .map(|(r, _)| Entry {
            id: r.id,
            kind: r.kind,
            role: r.role,
            subject: r.subject,
            joint_count: r.joint_count as u32,
            joint_index: r.joint_index as u32,
        })
        .collect();
    (entries, counts)
}

/// One member's score from their entries of the year, every point explained, and which of
/// the entries count.
pub fn score_member(y: &YearRules, rows: &[EntryRow], standing: bool) -> (Score, Vec<bool>) {
    let rows: Vec<Row> = rows.iter().map(Row::from).collect();
    let (entries, counts) = scorable(&rows, y.upto());
    (score(&y.rules, &entries, standing), counts)
}

/// One member's total from their entries of the year (no lines: the consumer keeps it after
/// every duty event).
fn total_member(y: &YearRules, rows: &[EntryRow], standing: bool) -> Total {
    let rows: Vec<Row> = rows.iter().map(Row::from).collect();
    let (entries, _) = scorable(&rows, y.upto());
    total(&y.rules, &entries, standing)
}

/// Every active member's score for a year: (member id, total, entries logged). The same engine
/// as [`score_member`] without the lines, over the whole year's log read straight through,
/// members scored in parallel.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn scores_of_year(
    c: &mut Conn<'_>,
    committee_id: i64,
    y: &YearRules,
) -> Result<Vec<(i64, Total, usize)>> {
    let members = store::scored_members(c, committee_id).await?;
    let packed = store::packed_year(c, committee_id, y.row.year).await?;
    let (rules, upto) = (y.rules.clone(), y.upto());
    tokio::task::spawn_blocking(move || score_packed(&rules, upto, members, packed))
        .await
        .map_err(Error::internal)
}

fn score_packed(
    rules: &RuleSet,
    upto: Option<i64>,
    members: Vec<ScoredMember>,
    mut p: Packed,
) -> Vec<(i64, Total, usize)> {
    use rayon::prelude::*;
    let mut entries = std::mem::take(&mut p.entries);
    entries.par_sort_unstable_by_key(|e| (e.member_id, e.id));
    let roles: Vec<EntryRole> = p
        .roles
        .iter()
        .map(|r| EntryRole::parse(r).unwrap_or(EntryRole::Participant))
        .collect();
    // Both are ordered by member: walk them side by side.
    let mut groups = entries
        .chunk_by(|a, b| a.member_id == b.member_id)
        .peekable();
    let mut work: Vec<(ScoredMember, &[PackedEntry])> = Vec::with_capacity(members.len());
    for m in members {
        while groups.next_if(|g| g[0].member_id < m.id).is_some() {}
        let mine = groups.next_if(|g| g[0].member_id == m.id).unwrap_or(&[]);
        work.push((m, mine));
    }
    work.into_par_iter()
        .map(|(m, mine)| {
            let rows: Vec<Row> = mine
                .iter()
                .map(|e| Row {
                    id: e.id,
                    event_id: e.event_id,
                    reverses_event: e.reverses_event,
                    kind: p.kind(e),
                    role: roles[e.role as usize],
                    subject: p.subject(e),
                    joint_count: e.joint_count,
                    joint_index: e.joint_index,
                })
                .collect();
            let (scored, _) = scorable(&rows, upto);
            let t = total(rules, &scored, m.is_standing);
            let logged = rows.iter().filter(|r| r.reverses_event == 0).count();
            (m.id, t, logged)
        })
        .collect()
}

/// A member's score of a year as kept: what rankings and the annual report read.
#[derive(Debug, Clone)]
pub struct Kept {
    pub total_centi: i64,
    pub tier: String,
    pub passed: bool,
    pub missing: Vec<String>,
}

impl From<&Total> for Kept {
    fn from(s: &Total) -> Self {
        Kept {
            total_centi: s.total_centi,
            tier: s.tier.clone(),
            passed: s.passed,
            missing: s.missing.clone(),
        }
    }
}

/// Score members of a year from their entries and keep the scores (every active member
/// with None). Without rules for the year there is nothing to keep (rules are never
/// deleted, so nothing was kept before either): this runs after every duty event.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn keep_scores(
    c: &mut Conn<'_>,
    committee_id: i64,
    year: i64,
    only: Option<&[i64]>,
) -> Result<usize> {
    let Some(y) = rules_of(c, committee_id, year).await? else {
        return Ok(0);
    };
    let scored: Vec<(i64, Total, usize)> = match only {
        None => scores_of_year(c, committee_id, &y).await?,
        Some(ids) => {
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                let Some(m) = store::member(c, committee_id, *id).await? else {
                    continue;
                };
                let rows = store::of_member(c, *id, year).await?;
                let t = total_member(&y, &rows, m.is_standing);
                let n = rows.iter().filter(|r| r.reverses_event == 0).count();
                out.push((m.id, t, n));
            }
            out
        }
    };
    save_kept(c, committee_id, year, &scored).await
}

/// Keep these scores of a year: (member, total, entries logged).
pub(crate) async fn save_kept(
    c: &mut Conn<'_>,
    committee_id: i64,
    year: i64,
    scored: &[(i64, Total, usize)],
) -> Result<usize> {
    use lianxin_store::member_scores::{self as kept, KeptRow};
    let rows: Vec<KeptRow> = scored
        .iter()
        .map(|(id, s, n)| KeptRow {
            member_id: *id,
            total_centi: s.total_centi,
            tier: s.tier.clone(),
            passed: s.passed,
            missing: s.missing.join("\n"),
            entries: *n as i64,
        })
        .collect();
    kept::save(c, committee_id, year, &rows).await?;
    Ok(rows.len())
}

/// Every active member's kept score of a year: (member, score, entries logged). A member with
/// nothing kept (new since the rules were saved, no duty yet) has the score of no entries.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn kept_scores(
    c: &mut Conn<'_>,
    committee_id: i64,
    y: &YearRules,
) -> Result<Vec<(MemberLine, Kept, usize)>> {
    let members = store::members(c, committee_id).await?;
    let kept = lianxin_store::member_scores::of_year(c, committee_id, y.row.year).await?;
    let mut kept = kept.into_iter().peekable();
    let mut out = Vec::with_capacity(members.len());
    for m in members {
        while kept.next_if(|k| k.member_id < m.id).is_some() {}
        let line = match kept.next_if(|k| k.member_id == m.id) {
            Some(k) => (
                Kept {
                    total_centi: k.total_centi,
                    tier: k.tier,
                    passed: k.passed,
                    missing: k.missing.lines().map(str::to_string).collect(),
                },
                k.entries as usize,
            ),
            None => (Kept::from(&total(&y.rules, &[], m.is_standing)), 0),
        };
        out.push((m, line.0, line.1));
    }
    Ok(out)
}

/// An entry with the points it earned (hundredths), the rule's line in the rule file, and
/// whether it counts (a reversed entry and its reversal do not).
pub struct Scored {
    pub entry: EntryRow,
    pub centi: i64,
    pub rule_line: Option<usize>,
    pub counts: bool,
}

/// A member's year as their e-archive shows it: every entry with the points it earned, the
/// score, and what the minimum requirements still need. Without rules for the year, the
/// entries and `no_rules` instead of a score.
pub struct Archive {
    pub member_id: i64,
    pub member_name: String,
    pub sector: String,
    pub year: i64,
    pub rules_name: String,
    /// The rules' categories: (code, name).
    pub category_names: Vec<(String, String)>,
    pub entries: Vec<Scored>,
    pub score: Option<Score>,
    pub no_rules: String,
    pub closed: bool,
}

impl Archive {
    /// Entries grouped by kind (label, entries), in the order kinds first occur.
    pub fn groups(&self) -> Vec<(&'static str, Vec<&Scored>)> {
        let mut out: Vec<(&'static str, Vec<&Scored>)> = Vec::new();
        for e in &self.entries {
            let label = lianxin_domain::scoring::entry_label(&e.entry.kind);
            match out.iter_mut().find(|(l, _)| *l == label) {
                Some((_, v)) => v.push(e),
                None => out.push((label, vec![e])),
            }
        }
        out
    }
    pub fn category_name(&self, code: &str) -> String {
        self.category_names
            .iter()
            .find(|(c, _)| c == code)
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| code.to_string())
    }
}

pub(crate) fn archive_not_found() -> Error {
    Error::not_found("member.not_found", "未找到该委员")
}

/// The archive of `member_id` for `year`. Who may see it is the caller's check.
pub(crate) async fn archive_of(
    app: &App,
    committee_id: i64,
    member_id: i64,
    year: i64,
) -> Result<Archive> {
    let mut conn = app.db.acquire().await?;
    let c = &mut conn.conn();
    let m = store::member(c, committee_id, member_id)
        .await?
        .ok_or_else(archive_not_found)?;
    let rows = store::of_member(c, member_id, year).await?;
    let y = rules_of(c, committee_id, year).await?;
    let (s, counts) = match &y {
        Some(y) => {
            let (s, counts) = score_member(y, &rows, m.is_standing);
            (Some(s), counts)
        }
        None => (None, vec![true; rows.len()]),
    };
    let lines: &[Line] = s.as_ref().map(|s| s.lines.as_slice()).unwrap_or(&[]);
    let entries = rows
        .into_iter()
        .zip(counts)
        .map(|(r, counts)| {
            let mine: Vec<&Line> = lines.iter().filter(|l| l.entry_id == Some(r.id)).collect();
            Scored {
                centi: mine.iter().map(|l| l.centi).sum(),
                rule_line: mine.first().and_then(|l| l.rule_line),
                entry: r,
                counts,
            }
        })
        .collect();
    Ok(Archive {
        member_id,
        member_name: m.name,
        sector: m.sector,
        year,
        rules_name: y.as_ref().map(|y| y.rules.name.clone()).unwrap_or_default(),
        category_names: y
            .as_ref()
            .map(|y| {
                y.rules
                    .categories
                    .iter()
                    .map(|c| (c.code.clone(), c.name.clone()))
                    .collect()
            })
            .unwrap_or_default(),
        closed: y.as_ref().is_some_and(|y| y.row.closed_at.is_some()),
        no_rules: if y.is_none() {
            no_rules_message(year)
        } else {
            String::new()
        },
        entries,
        score: s,
    })
}

/// One's own archive.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn my_archive(app: &App, g: &Granted<JoinActivities>, year: i64) -> Result<Archive> {
    let me = g.actor().member_id.ok_or_else(archive_not_found)?;
    archive_of(app, g.committee_id(), me, year).await
}

/// Whether the actor may see this member's duty: the office everyone's, a sector convenor
/// their sector's (another committee's member is not found either way).
pub(crate) async fn may_see(
    c: &mut Conn<'_>,
    g: &Granted<ViewOrganisation>,
    member_id: i64,
) -> Result<()> {
    let actor = g.actor();
    if actor.role == Role::Convenor
        && !store::same_sector(c, member_id, actor.member_id.unwrap_or(0)).await?
    {
        return Err(archive_not_found());
    }
    Ok(())
}

/// Another member's archive.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn member_archive(
    app: &App,
    g: &Granted<ViewOrganisation>,
    member_id: i64,
    year: i64,
) -> Result<Archive> {
    {
        let mut conn = app.db.acquire().await?;
        may_see(&mut conn.conn(), g, member_id).await?;
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
/// counts.
pub struct Ranking {
    pub year: i64,
    pub rows: Vec<Ranked>,
    pub tiers: Vec<(String, usize)>,
    pub closed: bool,
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

/// The ranking of a committee's year, everyone (the caller narrows it).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn ranking_of(c: &mut Conn<'_>, committee_id: i64, year: i64) -> Result<Ranking> {
    let y = rules_of(c, committee_id, year)
        .await?
        .ok_or_else(|| no_rules(year))?;
    let mut scored = kept_scores(c, committee_id, &y).await?;
    let last_year: HashSet<i64> = match rules_of(c, committee_id, year - 1).await? {
        Some(prev) => kept_scores(c, committee_id, &prev)
            .await?
            .into_iter()
            .filter(|(_, s, _)| !s.passed)
            .map(|(m, _, _)| m.id)
            .collect(),
        None => HashSet::new(),
    };
    scored.sort_by(|a, b| {
        b.1.total_centi
            .cmp(&a.1.total_centi)
            .then(a.0.id.cmp(&b.0.id))
    });
    let totals: Vec<i64> = scored.iter().map(|(_, s, _)| s.total_centi).collect();
    let committee_places = places(&totals);
    let mut sector_places = vec![0; scored.len()];
    let mut sectors: std::collections::BTreeMap<&str, Vec<usize>> =
        std::collections::BTreeMap::new();
    for (i, (m, _, _)) in scored.iter().enumerate() {
        sectors.entry(m.sector.as_str()).or_default().push(i);
    }
    for idxs in sectors.values() {
        let t: Vec<i64> = idxs.iter().map(|i| totals[*i]).collect();
        for (i, p) in idxs.iter().zip(places(&t)) {
            sector_places[*i] = p;
        }
    }
    let tiers = y
        .rules
        .tiers
        .iter()
        .map(|t| {
            (
                t.name.clone(),
                scored.iter().filter(|(_, s, _)| s.tier == t.name).count(),
            )
        })
        .collect();
    let rows = scored
        .into_iter()
        .enumerate()
        .map(|(i, (m, s, _))| Ranked {
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
    Ok(Ranking {
        year,
        rows,
        tiers,
        closed: y.row.closed_at.is_some(),
    })
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn ranking(app: &App, g: &Granted<ViewOrganisation>, year: i64) -> Result<Ranking> {
    let mut conn = app.db.acquire().await?;
    let c = &mut conn.conn();
    let mut r = ranking_of(c, g.committee_id(), year).await?;
    // A sector convenor sees their own sector.
    let actor = g.actor();
    if actor.role == Role::Convenor {
        let own = match actor.member_id {
            Some(m) => store::member(c, g.committee_id(), m)
                .await?
                .map(|m| m.sector),
            None => None,
        };
        r.rows.retain(|x| Some(&x.sector) == own.as_ref());
        for (name, n) in r.tiers.iter_mut() {
            *n = r.rows.iter().filter(|x| &x.tier == name).count();
        }
    }
    Ok(r)
}
