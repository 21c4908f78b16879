//! The proposer's side: draft (individual, joint with invited co-signers, or collective),
//! revise, co-signers accept or decline, submit within a window, rate the answer. And the
//! office's submission windows.

use chrono::{Datelike, NaiveDate};
use lianxin_domain::Invalid;
use lianxin_domain::access::{Actor, DraftProposals, Granted, ManageProposals};
use lianxin_domain::concern::Rating;
use lianxin_domain::proposal::{
    self as rules, CollectiveBody, Kind, SignerStatus, Step, Window, WindowKind,
};
use lianxin_domain::schema::Res;
use lianxin_domain::text::parse_date;
use lianxin_store::Tx;
use lianxin_store::concerns::{NewMessage, queue_message};
use lianxin_store::proposals::{self as store, ProposalRow, VersionRow};
use lianxin_store::records::existing;
use serde_json::json;

use super::{Loaded, load_with_units, not_found, optional, text};
use crate::journal::{Change, begin, commit};
use crate::opinions::bulletins::china;
use crate::{App, Error, Result, now};

pub const MAX_COSIGNERS: usize = 50;

/// What the proposer types into the form.
#[derive(Debug, Clone, Default)]
pub struct ProposalInput<'a> {
    pub title: &'a str,
    pub cause: &'a str,
    pub analysis: &'a str,
    pub suggestions: &'a str,
    pub kind: &'a str,
    pub collective_body: &'a str,
    pub collective_name: &'a str,
    pub cosigners: Vec<i64>,
}

struct Parsed {
    title: String,
    cause: String,
    analysis: String,
    suggestions: String,
    kind: Kind,
    collective: Option<(CollectiveBody, String)>,
    cosigners: Vec<i64>,
}

async fn parse(tx: &mut Tx, committee_id: i64, me: i64, i: &ProposalInput<'_>) -> Result<Parsed> {
    let mut errors = Invalid::default();
    let mut keep = |r: Result<String>| match r {
        Ok(v) => v,
        Err(Error::Invalid(e)) => {
            errors.0.extend(e.0);
            String::new()
        }
        Err(_) => String::new(),
    };
    let title = keep(text("title", "案由（标题）", i.title, 100));
    let cause = keep(text("cause", "提案理由", i.cause, 5_000));
    let analysis = keep(text("analysis", "问题分析", i.analysis, 10_000));
    let suggestions = keep(text("suggestions", "具体建议", i.suggestions, 10_000));
    let kind = Kind::parse(i.kind).unwrap_or(Kind::Individual);
    let collective = if kind == Kind::Collective {
        let body = CollectiveBody::parse(i.collective_body);
        let name = keep(text(
            "collective_name",
            "提案集体名称",
            i.collective_name,
            50,
        ));
        if body.is_none() {
            errors.push(
                "collective_body",
                "invalid_choice",
                "请选择以界别、党派团体或专门委员会名义提出",
            );
        }
        body.map(|b| (b, name))
    } else {
        None
    };
    let mut cosigners: Vec<i64> = if kind == Kind::Joint {
        i.cosigners.iter().copied().filter(|m| *m != me).collect()
    } else {
        vec![]
    };
    cosigners.sort_unstable();
    cosigners.dedup();
    if cosigners.len() > MAX_COSIGNERS {
        errors.push(
            "cosigners",
            "too_many",
            format!("联名委员最多{MAX_COSIGNERS}位"),
        );
    } else if existing(&mut tx.conn(), Res::Member, committee_id, &cosigners)
        .await?
        .len()
        != cosigners.len()
    {
        errors.push("cosigners", "invalid_ref", "邀请联名的委员不存在");
    }
    if !errors.is_empty() {
        return Err(errors.into());
    }
    Ok(Parsed {
        title,
        cause,
        analysis,
        suggestions,
        kind,
        collective,
        cosigners,
    })
}

fn apply_parsed(row: &mut ProposalRow, p: &Parsed) {
    row.title = p.title.clone();
    row.cause = p.cause.clone();
    row.analysis = p.analysis.clone();
    row.suggestions = p.suggestions.clone();
    row.kind = p.kind.code().into();
    row.collective_body = p.collective.as_ref().map(|c| c.0.code().to_string());
    row.collective_name = p.collective.as_ref().map(|c| c.1.clone());
}

fn member_of(actor: &Actor) -> Result<i64> {
    actor.member_id.ok_or_else(|| {
        Invalid::one("member_id", "no_member", "当前账号未关联委员，不能提出提案").into()
    })
}

/// A proposal the actor leads; anyone else's is not found.
async fn load_led(tx: &mut Tx, actor: &Actor, id: i64) -> Result<Loaded> {
    let l = load_with_units(tx, actor.committee_id, id).await?;
    if Some(l.row.member_id) != actor.member_id {
        return Err(not_found());
    }
    Ok(l)
}

fn this_year() -> i64 {
    i64::from(china(now()).year())
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn draft(
    app: &App,
    g: &Granted<DraftProposals>,
    input: &ProposalInput<'_>,
) -> Result<i64> {
    let actor = g.actor();
    let me = member_of(actor)?;
    let mut tx = begin(&app.db).await?;
    let p = parse(&mut tx, actor.committee_id, me, input).await?;
    let at = now();
    let mut row = ProposalRow {
        id: 0,
        committee_id: actor.committee_id,
        year: this_year(),
        kind: String::new(),
        collective_body: None,
        collective_name: None,
        member_id: me,
        status: "draft".into(),
        title: String::new(),
        cause: String::new(),
        analysis: String::new(),
        suggestions: String::new(),
        version: 1,
        window_kind: None,
        submitted_at: None,
        number: None,
        category: None,
        reviewed_at: None,
        review_note: None,
        conversion: None,
        letter_unit_id: None,
        merged_into: None,
        assigned_at: None,
        clock_start: None,
        due_at: None,
        extension_requested: false,
        extended: false,
        rehandled: false,
        answered_at: None,
        rating: None,
        rating_comment: None,
        rated_at: None,
        is_key: false,
        oversight_leader: None,
        is_excellent: false,
        internal: false,
        escalated_at: None,
        created_at: at,
        updated_at: at,
    };
    apply_parsed(&mut row, &p);
    row.id = store::insert(&mut tx.conn(), &row).await?;
    store::set_signers(&mut tx.conn(), row.id, &p.cosigners, at).await?;
    invite(&mut tx, &row, &p.cosigners, actor).await?;
    let id = row.id;
    let l = Loaded {
        before: String::new(),
        row,
        units: vec![],
    };
    l.finish(
        tx,
        actor,
        "proposal.drafted",
        json!({"invited": p.cosigners}),
    )
    .await?;
    Ok(id)
}

async fn invite(tx: &mut Tx, row: &ProposalRow, members: &[i64], actor: &Actor) -> Result<()> {
    if members.is_empty() {
        return Ok(());
    }
    let msg = NewMessage {
        committee_id: row.committee_id,
        channel: "member",
        recipient_enc: None,
        recipient_masked: "受邀联名委员",
        subject: "联名提案邀请",
        body: &format!(
            "{}邀请您联名提案“{}”，请在“我的履职—提案”中确认。",
            actor.display_name, row.title
        ),
        concern_id: None,
    };
    Ok(queue_message(&mut tx.conn(), &msg, now()).await?)
}

/// Revise a draft (co-signers may change; new ones are invited) or a submitted proposal
/// not yet reviewed (a new version; earlier versions stay readable).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn edit(
    app: &App,
    g: &Granted<DraftProposals>,
    id: i64,
    input: &ProposalInput<'_>,
) -> Result<()> {
    let actor = g.actor();
    let me = member_of(actor)?;
    let mut tx = begin(&app.db).await?;
    let mut l = load_led(&mut tx, actor, id).await?;
    l.step(&Step::Edit)?;
    let p = parse(&mut tx, actor.committee_id, me, input).await?;
    let submitted = l.row.submitted_at.is_some();
    if submitted && p.kind.code() != l.row.kind {
        return Err(Error::conflict(
            "proposal.kind_fixed",
            "提交后不能更改提案类型",
        ));
    }
    apply_parsed(&mut l.row, &p);
    if submitted {
        l.row.version += 1;
        store::add_version(&mut tx.conn(), id, &snapshot(&l.row, actor)).await?;
    } else {
        let before: Vec<i64> = store::signers(&mut tx.conn(), id)
            .await?
            .iter()
            .map(|s| s.member_id)
            .collect();
        store::set_signers(&mut tx.conn(), id, &p.cosigners, now()).await?;
        let new: Vec<i64> = p
            .cosigners
            .iter()
            .copied()
            .filter(|m| !before.contains(m))
            .collect();
        invite(&mut tx, &l.row, &new, actor).await?;
    }
    let version = l.row.version;
    l.finish(
        tx,
        actor,
        "proposal.edited",
        json!({"version": version, "versioned": submitted}),
    )
    .await
}

fn snapshot(row: &ProposalRow, by: &Actor) -> VersionRow {
    VersionRow {
        version: row.version,
        title: row.title.clone(),
        cause: row.cause.clone(),
        analysis: row.analysis.clone(),
        suggestions: row.suggestions.clone(),
        created_by: by.display_name.clone(),
        created_at: now(),
    }
}

/// An invited member accepts or declines to co-sign a draft.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn respond(app: &App, g: &Granted<DraftProposals>, id: i64, accept: bool) -> Result<()> {
    let actor = g.actor();
    let me = actor.member_id.ok_or_else(not_found)?;
    let mut tx = begin(&app.db).await?;
    let l = load_with_units(&mut tx, actor.committee_id, id).await?;
    let signers = store::signers(&mut tx.conn(), id).await?;
    let Some(mine) = signers.iter().find(|s| s.member_id == me) else {
        return Err(not_found());
    };
    if super::status_of(&l.row) != rules::Status::Draft {
        return Err(Error::conflict(
            "proposal.already_submitted",
            "提案已提交，联名名单不能再变更",
        ));
    }
    let status = if accept {
        SignerStatus::Accepted
    } else {
        SignerStatus::Declined
    };
    if mine.status == status.code() {
        return Ok(());
    }
    store::respond(&mut tx.conn(), id, me, status.code(), now()).await?;
    let kind = if accept {
        "proposal.cosign_accepted"
    } else {
        "proposal.cosign_declined"
    };
    l.finish(tx, actor, kind, json!({"member_id": me})).await
}

/// Submit within a window; a joint proposal only once every co-signer has accepted.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn submit(app: &App, g: &Granted<DraftProposals>, id: i64) -> Result<()> {
    let actor = g.actor();
    let mut tx = begin(&app.db).await?;
    let mut l = load_led(&mut tx, actor, id).await?;
    let kind = Kind::parse(&l.row.kind).unwrap_or(Kind::Individual);
    let signers: Vec<SignerStatus> = store::signers(&mut tx.conn(), id)
        .await?
        .iter()
        .filter_map(|s| SignerStatus::parse(&s.status))
        .collect();
    rules::check_signers(kind, &signers).map_err(|e| Error::conflict(e.code, e.message))?;
    let today = china(now()).date();
    let year = i64::from(today.year());
    let windows = windows_of(&mut tx, actor.committee_id, year).await?;
    let window =
        rules::window_for(today, &windows).map_err(|e| Error::conflict(e.code, e.message))?;
    l.step(&Step::Submit)?;
    l.row.year = year;
    l.row.window_kind = Some(window.code().into());
    l.row.submitted_at = Some(now());
    store::add_version(&mut tx.conn(), id, &snapshot(&l.row, actor)).await?;
    let msg = NewMessage {
        committee_id: l.row.committee_id,
        channel: "office",
        recipient_enc: None,
        recipient_masked: "提案委员会",
        subject: "新提案待审查",
        body: &format!(
            "{}提交了提案“{}”，请审查。",
            actor.display_name, l.row.title
        ),
        concern_id: None,
    };
    queue_message(&mut tx.conn(), &msg, now()).await?;
    l.finish(
        tx,
        actor,
        "proposal.submitted",
        json!({"window": window.code(), "year": year}),
    )
    .await
}

async fn windows_of(tx: &mut Tx, committee_id: i64, year: i64) -> Result<Vec<Window>> {
    let rows = store::windows(&mut tx.conn(), committee_id, year).await?;
    Ok(rows
        .into_iter()
        .filter_map(|(kind, opens, closes)| {
            Some(Window {
                kind: WindowKind::parse(&kind)?,
                opens: NaiveDate::parse_from_str(&opens, "%Y-%m-%d").ok()?,
                closes: NaiveDate::parse_from_str(&closes, "%Y-%m-%d").ok()?,
            })
        })
        .collect())
}

/// The lead proposer rates the answer; 不满意 sends it back to the units once.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn rate(
    app: &App,
    g: &Granted<DraftProposals>,
    id: i64,
    rating: &str,
    comment: &str,
) -> Result<()> {
    let actor = g.actor();
    let Some(rating) = Rating::parse(rating) else {
        return Err(
            Invalid::one("rating", "invalid_choice", "请选择满意、基本满意或不满意").into(),
        );
    };
    let comment = optional("comment", "评价意见", comment, 1000)?;
    let mut tx = begin(&app.db).await?;
    let mut l = load_led(&mut tx, actor, id).await?;
    let h = l.step(&Step::Rate(rating))?;
    l.row.rating = Some(rating.code().into());
    l.row.rating_comment = comment;
    l.row.rated_at = Some(now());
    let rehandling = h.status == rules::Status::Rehandling;
    if rehandling {
        let msg = NewMessage {
            committee_id: l.row.committee_id,
            channel: "unit",
            recipient_enc: None,
            recipient_masked: "承办单位",
            subject: "提案退回重办",
            body: &format!(
                "提案“{}”的提案人对答复不满意，请重新办理并答复。",
                l.row.title
            ),
            concern_id: None,
        };
        queue_message(&mut tx.conn(), &msg, now()).await?;
    }
    l.finish(
        tx,
        actor,
        "proposal.rated",
        json!({"rating": rating.code(), "rehandling": rehandling}),
    )
    .await
}

/// Set a year's plenary or regular window.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn set_window(
    app: &App,
    g: &Granted<ManageProposals>,
    year: &str,
    kind: &str,
    opens: &str,
    closes: &str,
) -> Result<()> {
    let mut errors = Invalid::default();
    let year: Option<i64> = year
        .trim()
        .parse()
        .ok()
        .filter(|y| (2000..=2100).contains(y));
    if year.is_none() {
        errors.push("year", "invalid_year", "请填写年度（如 2026）");
    }
    let kind = WindowKind::parse(kind);
    if kind.is_none() {
        errors.push("kind", "invalid_choice", "请选择大会提案或平时提案");
    }
    let opens = parse_date("opens_on", "开始日期", opens, true)
        .map_err(|e| errors.0.extend(e.0))
        .ok()
        .flatten();
    let closes = parse_date("closes_on", "截止日期", closes, true)
        .map_err(|e| errors.0.extend(e.0))
        .ok()
        .flatten();
    if let (Some(o), Some(c)) = (&opens, &closes)
        && o > c
    {
        errors.push("closes_on", "before_open", "截止日期不能早于开始日期");
    }
    let (Some(year), Some(kind), Some(opens), Some(closes), true) =
        (year, kind, opens, closes, errors.is_empty())
    else {
        return Err(errors.into());
    };
    let actor = g.actor();
    let mut tx = begin(&app.db).await?;
    store::set_window(
        &mut tx.conn(),
        actor.committee_id,
        year,
        kind.code(),
        &opens,
        &closes,
        now(),
    )
    .await?;
    let change = Change {
        committee_id: actor.committee_id,
        kind: "proposal.window_set",
        subject_type: "committee",
        subject_id: actor.committee_id,
        before: serde_json::Value::Null,
        after: json!({"year": year, "kind": kind.code(), "opens_on": opens, "closes_on": closes}),
    };
    commit(tx, actor, change).await?;
    Ok(())
}

/// (year, kind label, opens, closes) of every window.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn windows(
    app: &App,
    g: &Granted<ManageProposals>,
) -> Result<Vec<(i64, &'static str, String, String)>> {
    let mut conn = app.db.acquire().await?;
    Ok(store::all_windows(&mut conn.conn(), g.committee_id())
        .await?
        .into_iter()
        .map(|(y, k, o, c)| {
            (
                y,
                WindowKind::parse(&k).map(|k| k.label()).unwrap_or(""),
                o,
                c,
            )
        })
        .collect())
}
