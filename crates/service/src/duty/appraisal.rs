//! The democratic appraisal (民主测评) of a year: the office opens a round once the duty
//! reports are in; each member grades the submitted reports of the peers of their sector,
//! once each and never their own; the office closes the round and the results go beside the
//! scores in the annual report. Ballots are secret: the store keeps who voted on whom and
//! the grades as counts, never the two together — so the audit record of a vote names the
//! member graded, not the grade.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use lianxin_domain::Invalid;
use lianxin_domain::access::{AppraisePeers, Granted, ManageDutyYear};
use lianxin_domain::appraisal::{Grade, Tally};
use lianxin_store::Conn;
use lianxin_store::appraisal::{self as store, RoundRow};
use lianxin_store::duty::{self as log_store, MemberLine};
use lianxin_store::duty_menu as reports_store;
use serde_json::json;

use super::scores::archive_not_found;
use crate::journal::{Change, begin, commit};
use crate::{App, Error, Result, now};

/// Where a year's round stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    NotOpened,
    Open,
    Closed,
}

impl Stage {
    fn of(r: &Option<RoundRow>) -> Stage {
        match r {
            None => Stage::NotOpened,
            Some(r) if r.closed_at.is_none() => Stage::Open,
            Some(_) => Stage::Closed,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Stage::NotOpened => "未开始",
            Stage::Open => "进行中",
            Stage::Closed => "已结束",
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            Stage::NotOpened => "not_opened",
            Stage::Open => "open",
            Stage::Closed => "closed",
        }
    }
}

/// Every member's grades of a year.
pub(crate) async fn tallies(
    c: &mut Conn<'_>,
    committee_id: i64,
    year: i64,
    member_id: Option<i64>,
) -> Result<HashMap<i64, Tally>> {
    let mut out: HashMap<i64, Tally> = HashMap::new();
    for r in store::tallies(c, committee_id, year, member_id).await? {
        if let Some(g) = Grade::parse(&r.grade) {
            out.entry(r.member_id).or_default().add(g, r.votes);
        }
    }
    Ok(out)
}

/// The active members whose duty report of the year is submitted: who can be graded.
async fn appraisable(c: &mut Conn<'_>, committee_id: i64, year: i64) -> Result<Vec<MemberLine>> {
    let submitted: HashSet<i64> = reports_store::duty_reports(c, committee_id, year)
        .await?
        .into_iter()
        .filter(|r| r.status == "submitted")
        .map(|r| r.member_id)
        .collect();
    let mut members = log_store::members(c, committee_id).await?;
    members.retain(|m| submitted.contains(&m.id));
    Ok(members)
}

/// A member's line in the office's results.
pub struct ResultLine {
    pub member: MemberLine,
    /// Ballots cast on this member so far (the turnout, never the grades).
    pub votes_cast: i64,
    /// The grades: only once the round is closed, and only from [`lianxin_domain::appraisal::MIN_VOTES`] votes on. A
    /// running count would let anyone watching it tie each new vote to the voter who just
    /// voted.
    pub tally: Option<Tally>,
    /// Peers who may vote on this member (the active members of the sector but them).
    pub voters: usize,
}

/// The office's page of a year's appraisal.
pub struct Round {
    pub year: i64,
    pub stage: Stage,
    pub opened_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub lines: Vec<ResultLine>,
    /// Active members whose report is not submitted (they cannot be graded yet).
    pub not_submitted: usize,
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn round(app: &App, g: &Granted<ManageDutyYear>, year: i64) -> Result<Round> {
    let mut conn = app.db.acquire().await?;
    let c = &mut conn.conn();
    round_of(c, g.committee_id(), year).await
}

pub(crate) async fn round_of(c: &mut Conn<'_>, committee_id: i64, year: i64) -> Result<Round> {
    let r = store::round(c, committee_id, year).await?;
    let all = log_store::members(c, committee_id).await?;
    let mut per_sector: HashMap<&str, usize> = HashMap::new();
    for m in &all {
        *per_sector.entry(m.sector.as_str()).or_insert(0) += 1;
    }
    let members = appraisable(c, committee_id, year).await?;
    let stage = Stage::of(&r);
    let cast = store::ballots_per_member(c, committee_id, year).await?;
    let mut tallies = if stage == Stage::Closed {
        tallies(c, committee_id, year, None).await?
    } else {
        HashMap::new()
    };
    let lines: Vec<ResultLine> = members
        .into_iter()
        .map(|m| ResultLine {
            votes_cast: cast.get(&m.id).copied().unwrap_or(0),
            tally: tallies.remove(&m.id).and_then(Tally::disclosed),
            voters: per_sector
                .get(m.sector.as_str())
                .map_or(0, |n| n.saturating_sub(1)),
            member: m,
        })
        .collect();
    Ok(Round {
        year,
        stage,
        opened_at: r.as_ref().map(|r| r.opened_at),
        closed_at: r.as_ref().and_then(|r| r.closed_at),
        not_submitted: all.len() - lines.len(),
        lines,
    })
}

fn not_open(year: i64) -> Error {
    Error::conflict(
        "appraisal.not_open",
        format!("{year} 年度民主测评未开始或已结束"),
    )
}

/// Open the year's round (once: a closed round stays closed).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn open(app: &App, g: &Granted<ManageDutyYear>, year: i64) -> Result<()> {
    let mut tx = begin(&app.db).await?;
    let actor = g.actor();
    if !store::open(
        &mut tx.conn(),
        g.committee_id(),
        year,
        Some(actor.user_id),
        now(),
    )
    .await?
    {
        return Err(Error::conflict(
            "appraisal.opened_before",
            format!("{year} 年度民主测评已开启过，不能重复开启"),
        ));
    }
    commit(tx, actor, round_change(g, "appraisal.opened", year)).await?;
    Ok(())
}

/// The audit record of opening or closing a year's round.
fn round_change(g: &Granted<ManageDutyYear>, kind: &'static str, year: i64) -> Change<'static> {
    Change {
        committee_id: g.committee_id(),
        kind,
        subject_type: "appraisal",
        subject_id: year,
        before: json!({"stage": if kind == "appraisal.opened" { "not_opened" } else { "open" }}),
        after: json!({"year": year}),
    }
}

/// Close the year's open round: no more votes; members see their result.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn close(app: &App, g: &Granted<ManageDutyYear>, year: i64) -> Result<()> {
    let mut tx = begin(&app.db).await?;
    let actor = g.actor();
    if !store::close(
        &mut tx.conn(),
        g.committee_id(),
        year,
        Some(actor.user_id),
        now(),
    )
    .await?
    {
        return Err(not_open(year));
    }
    commit(tx, actor, round_change(g, "appraisal.closed", year)).await?;
    Ok(())
}

/// A peer on a member's appraisal page.
pub struct Peer {
    pub member: MemberLine,
    pub voted: bool,
}

/// A member's appraisal page: the peers to grade and, once the round is closed, their own
/// result.
pub struct Mine {
    pub year: i64,
    pub stage: Stage,
    pub peers: Vec<Peer>,
    /// Once the round is closed: the votes received, and the tally when there were at least
    /// [`lianxin_domain::appraisal::MIN_VOTES`].
    pub result: Option<(i64, Option<Tally>)>,
}

/// Oneself as a member of the committee, with one's sector.
async fn me(c: &mut Conn<'_>, g: &Granted<AppraisePeers>) -> Result<MemberLine> {
    let id = g.actor().member_id.ok_or_else(archive_not_found)?;
    log_store::member(c, g.committee_id(), id)
        .await?
        .ok_or_else(archive_not_found)
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn mine(app: &App, g: &Granted<AppraisePeers>, year: i64) -> Result<Mine> {
    let mut conn = app.db.acquire().await?;
    let c = &mut conn.conn();
    let me = me(c, g).await?;
    let stage = Stage::of(&store::round(c, g.committee_id(), year).await?);
    let voted: HashSet<i64> = store::voted_by(c, g.committee_id(), year, me.id)
        .await?
        .into_iter()
        .collect();
    let peers = appraisable(c, g.committee_id(), year)
        .await?
        .into_iter()
        .filter(|m| m.sector == me.sector && m.id != me.id)
        .map(|m| Peer {
            voted: voted.contains(&m.id),
            member: m,
        })
        .collect();
    // Results are shown once the round is over, so that no one votes by the running count.
    let result = if stage == Stage::Closed {
        let t = tallies(c, g.committee_id(), year, Some(me.id))
            .await?
            .remove(&me.id)
            .unwrap_or_default();
        Some((t.total(), t.disclosed()))
    } else {
        None
    };
    Ok(Mine {
        year,
        stage,
        peers,
        result,
    })
}

/// A peer's submitted report as the voter reads it.
pub struct PeerReport {
    pub year: i64,
    pub stage: Stage,
    pub member: MemberLine,
    pub body: String,
    pub voted: bool,
}

/// The peer `member_id` if a voter may grade them: of the voter's sector, active, with the
/// year's report submitted; anyone else is not found. Grading oneself is its own error.
async fn peer_of(
    c: &mut Conn<'_>,
    g: &Granted<AppraisePeers>,
    year: i64,
    member_id: i64,
) -> Result<(MemberLine, MemberLine, String)> {
    let me = me(c, g).await?;
    if member_id == me.id {
        return Err(Error::conflict("appraisal.own", "不能为自己测评"));
    }
    let peer = log_store::members(c, g.committee_id())
        .await?
        .into_iter()
        .find(|m| m.id == member_id && m.sector == me.sector)
        .ok_or_else(archive_not_found)?;
    let report = reports_store::duty_report(c, member_id, year)
        .await?
        .filter(|r| r.status == "submitted")
        .ok_or_else(|| Error::not_found("appraisal.no_report", "该委员尚未提交本年度述职报告"))?;
    Ok((me, peer, report.body))
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn peer(
    app: &App,
    g: &Granted<AppraisePeers>,
    year: i64,
    member_id: i64,
) -> Result<PeerReport> {
    let mut conn = app.db.acquire().await?;
    let c = &mut conn.conn();
    let (me, member, body) = peer_of(c, g, year, member_id).await?;
    let stage = Stage::of(&store::round(c, g.committee_id(), year).await?);
    let voted = store::voted_by(c, g.committee_id(), year, me.id)
        .await?
        .contains(&member_id);
    Ok(PeerReport {
        year,
        stage,
        member,
        body,
        voted,
    })
}

/// Grade a peer's report, once, while the round is open.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn vote(
    app: &App,
    g: &Granted<AppraisePeers>,
    year: i64,
    member_id: i64,
    grade: &str,
) -> Result<()> {
    let grade = Grade::parse(grade).ok_or_else(|| {
        Error::from(Invalid::one(
            "grade",
            "invalid_choice",
            "请选择测评等次：优秀、称职、基本称职或不称职",
        ))
    })?;
    let mut tx = begin(&app.db).await?;
    let c = g.committee_id();
    let (me, _, _) = peer_of(&mut tx.conn(), g, year, member_id).await?;
    if Stage::of(&store::round(&mut tx.conn(), c, year).await?) != Stage::Open {
        return Err(not_open(year));
    }
    if !store::add_ballot(&mut tx.conn(), c, year, member_id, me.id).await? {
        return Err(Error::conflict(
            "appraisal.voted",
            "您已对该委员测评，不能重复测评",
        ));
    }
    let all = Grade::ALL.map(Grade::code);
    store::count_vote(&mut tx.conn(), c, year, member_id, grade.code(), &all).await?;
    let change = Change {
        committee_id: c,
        kind: "appraisal.voted",
        subject_type: "member",
        subject_id: member_id,
        before: json!(null),
        // No grade here: the ballot is secret.
        after: json!({"year": year, "member_id": member_id}),
    };
    commit(tx, g.actor(), change).await?;
    Ok(())
}
