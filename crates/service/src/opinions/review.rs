//! The office's side: review (adopt at a level, decline, merge, return for revision), edit
//! for publication, forward, record leaders' instructions; and feedback, from the office or
//! from the handling unit a report was forwarded to.

use lianxin_domain::Invalid;
use lianxin_domain::access::{Actor, Granted, HandleAssignments, ReviewOpinionReports};
use lianxin_domain::opinion::{self as rules, InstructionLevel, Level, Status, Step};
use lianxin_domain::schema::Res;
use lianxin_domain::text::parse_date;
use lianxin_store::concerns::{NewMessage, queue_message};
use lianxin_store::opinions::{self as store, ActionRow};
use lianxin_store::records::existing;
use serde_json::json;

use super::{advance, finish, load_submitted, not_found, optional, status_of, text};
use crate::journal::begin;
use crate::{App, Error, Result, now};

/// What the office decides about a submitted report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Adopt(Level),
    Decline { reason: String },
    Merge { into: i64 },
    Return { reason: String },
}

/// Decide about a submitted report. Two reviewers deciding at once: the first wins, the
/// second is refused (409) because the report is no longer under review.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn review(
    app: &App,
    g: &Granted<ReviewOpinionReports>,
    id: i64,
    decision: &Decision,
) -> Result<()> {
    let actor = g.actor();
    let mut tx = begin(&app.db).await?;
    let mut row = load_submitted(&mut tx, actor.committee_id, id).await?;
    let before = row.status.clone();
    let at = now();
    let (kind, extra) = match decision {
        Decision::Adopt(level) => {
            advance(&mut row, Step::Adopt(*level))?;
            row.level = Some(level.code().into());
            ("opinion.adopted", json!({"level": level.code()}))
        }
        Decision::Decline { reason } => {
            let reason = text("reason", "不采用理由", reason, 1000)?;
            advance(&mut row, Step::Decline)?;
            row.review_note = Some(reason);
            ("opinion.declined", json!({}))
        }
        Decision::Return { reason } => {
            let reason = text("reason", "退回修改意见", reason, 1000)?;
            advance(&mut row, Step::ReturnForRevision)?;
            row.review_note = Some(reason);
            ("opinion.returned", json!({}))
        }
        Decision::Merge { into } => {
            let target = load_submitted(&mut tx, actor.committee_id, *into)
                .await
                .map_err(|_| Error::from(Invalid::one("into", "invalid_ref", "合并目标不存在")))?;
            rules::check_merge(row.id, target.id, status_of(&target))
                .map_err(|e| Error::conflict(e.code, e.message))?;
            advance(&mut row, Step::Merge)?;
            row.merged_into = Some(target.id);
            // Both authors keep credit: the survivor lists the merged report's authors too.
            let authors = store::authors(&mut tx.conn(), row.id).await?;
            let list: Vec<(i64, &str)> = authors.iter().map(|a| (a.0, "joint")).collect();
            store::add_authors(&mut tx.conn(), target.id, &list).await?;
            let concerns: Vec<i64> = store::concerns_of(&mut tx.conn(), row.id)
                .await?
                .iter()
                .map(|c| c.0)
                .collect();
            store::link_concerns(&mut tx.conn(), target.id, &concerns).await?;
            ("opinion.merged", json!({"into": target.id}))
        }
    };
    row.reviewed_at = Some(at);
    tell_authors(&mut tx, &row, kind).await?;
    finish(tx, actor, &row, kind, &before, extra).await
}

/// The authors learn the outcome in their workspace; the outbox carries it to their phones.
async fn tell_authors(
    tx: &mut lianxin_store::Tx,
    row: &store::ReportRow,
    kind: &str,
) -> Result<()> {
    let what = match kind {
        "opinion.adopted" => "已被采用",
        "opinion.declined" => "未被采用",
        "opinion.returned" => "被退回修改",
        "opinion.merged" => "已与同类信息合并",
        _ => return Ok(()),
    };
    let msg = NewMessage {
        committee_id: row.committee_id,
        channel: "member",
        recipient_enc: None,
        recipient_masked: "作者",
        subject: "社情民意信息审核结果",
        body: &format!(
            "您的社情民意信息“{}”{what}，详见“我的履职—社情民意”。",
            row.title
        ),
        concern_id: None,
    };
    Ok(queue_message(&mut tx.conn(), &msg, now()).await?)
}

/// Edit an adopted report's title and text for publication (the authors' text stays).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn edit_for_publication(
    app: &App,
    g: &Granted<ReviewOpinionReports>,
    id: i64,
    title: &str,
    body: &str,
) -> Result<()> {
    let actor = g.actor();
    let title = text("published_title", "刊发标题", title, 100)?;
    let body = text("published_body", "刊发正文", body, 20_000)?;
    let mut tx = begin(&app.db).await?;
    let mut row = load_submitted(&mut tx, actor.committee_id, id).await?;
    if !matches!(
        status_of(&row),
        Status::Adopted | Status::Forwarded | Status::Concluded
    ) {
        return Err(Error::conflict(
            "opinion.not_adopted",
            "只有已采用的信息才能编辑刊发稿",
        ));
    }
    let before = row.status.clone();
    row.published_title = Some(title);
    row.published_body = Some(body);
    row.updated_at = now();
    finish(
        tx,
        actor,
        &row,
        "opinion.edited_for_publication",
        &before,
        json!({}),
    )
    .await
}

/// Forward an adopted report to a handling unit or a named body (党委、政府办公室 …).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn forward(
    app: &App,
    g: &Granted<ReviewOpinionReports>,
    id: i64,
    unit_id: Option<i64>,
    target: &str,
    note: &str,
) -> Result<()> {
    let actor = g.actor();
    let target = optional("target", "报送单位", target, 100)?;
    let note = optional("note", "报送说明", note, 1000)?.unwrap_or_default();
    if unit_id.is_none() && target.is_none() {
        return Err(Invalid::one("target", "required", "请选择承办单位或填写报送单位").into());
    }
    let mut tx = begin(&app.db).await?;
    if let Some(u) = unit_id
        && existing(&mut tx.conn(), Res::HandlingUnit, actor.committee_id, &[u])
            .await?
            .is_empty()
    {
        return Err(Invalid::one("handling_unit_id", "invalid_ref", "所选承办单位不存在").into());
    }
    let mut row = load_submitted(&mut tx, actor.committee_id, id).await?;
    let before = row.status.clone();
    advance(&mut row, Step::Forward)?;
    let action = ActionRow {
        id: 0,
        report_id: row.id,
        kind: "forward".into(),
        handling_unit_id: unit_id,
        target: target.clone(),
        level: None,
        on_date: None,
        body: note,
        public_text: None,
        actor: actor.display_name.clone(),
        created_at: now(),
    };
    store::add_action(&mut tx.conn(), &action).await?;
    if unit_id.is_some() {
        let msg = NewMessage {
            committee_id: row.committee_id,
            channel: "unit",
            recipient_enc: None,
            recipient_masked: target.as_deref().unwrap_or("承办单位"),
            subject: "政协社情民意信息转办",
            body: &format!("请办理社情民意信息“{}”，并反馈办理情况。", row.title),
            concern_id: None,
        };
        queue_message(&mut tx.conn(), &msg, now()).await?;
    }
    finish(
        tx,
        actor,
        &row,
        "opinion.forwarded",
        &before,
        json!({"handling_unit_id": unit_id, "target": target}),
    )
    .await
}

/// What a leader's instruction (批示) says.
#[derive(Debug, Clone, Default)]
pub struct InstructionInput<'a> {
    pub leader: &'a str,
    pub level: &'a str,
    pub on_date: &'a str,
    pub text: &'a str,
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn instruct(
    app: &App,
    g: &Granted<ReviewOpinionReports>,
    id: i64,
    i: &InstructionInput<'_>,
) -> Result<()> {
    let actor = g.actor();
    let mut errors = Invalid::default();
    let leader = text("leader", "批示领导", i.leader, 50)
        .map_err(|e| collect(&mut errors, e))
        .ok();
    let level = InstructionLevel::parse(i.level);
    if level.is_none() {
        errors.push(
            "level",
            "invalid_choice",
            "请选择批示领导的层级（县级、市级、省级、中央）",
        );
    }
    let on_date = parse_date("on_date", "批示日期", i.on_date, true)
        .map_err(|e| errors.0.extend(e.0))
        .ok()
        .flatten();
    let body = text("text", "批示内容", i.text, 2000)
        .map_err(|e| collect(&mut errors, e))
        .ok();
    let (Some(leader), Some(level), Some(on_date), Some(body), true) =
        (leader, level, on_date, body, errors.is_empty())
    else {
        return Err(errors.into());
    };
    let mut tx = begin(&app.db).await?;
    let mut row = load_submitted(&mut tx, actor.committee_id, id).await?;
    let before = row.status.clone();
    advance(&mut row, Step::Instruct)?;
    let action = ActionRow {
        id: 0,
        report_id: row.id,
        kind: "instruction".into(),
        handling_unit_id: None,
        target: Some(leader.clone()),
        level: Some(level.code().into()),
        on_date: Some(on_date.clone()),
        body,
        public_text: None,
        actor: actor.display_name.clone(),
        created_at: now(),
    };
    store::add_action(&mut tx.conn(), &action).await?;
    finish(
        tx,
        actor,
        &row,
        "opinion.instructed",
        &before,
        json!({"level": level.code(), "leader": leader, "on_date": on_date}),
    )
    .await
}

fn collect(errors: &mut Invalid, e: Error) {
    if let Error::Invalid(inv) = e {
        errors.0.extend(inv.0);
    }
}

/// Feedback on how a forwarded report was handled: `body` in full for the office and the
/// authors, `public_text` in plain words for the people whose concerns it grew from.
async fn feedback(
    app: &App,
    actor: &Actor,
    id: i64,
    unit: Option<i64>,
    body: &str,
    public_text: &str,
) -> Result<()> {
    let body = text("body", "办理情况", body, 5000)?;
    let public_text = optional("public_text", "向群众公开的办理结果", public_text, 500)?;
    let mut tx = begin(&app.db).await?;
    let mut row = load_submitted(&mut tx, actor.committee_id, id).await?;
    if let Some(u) = unit
        && !store::forwarded_to(&mut tx.conn(), row.id, u).await?
    {
        return Err(not_found());
    }
    let before = row.status.clone();
    advance(&mut row, Step::Feedback)?;
    let action = ActionRow {
        id: 0,
        report_id: row.id,
        kind: "feedback".into(),
        handling_unit_id: unit,
        target: None,
        level: None,
        on_date: None,
        body,
        public_text,
        actor: actor.display_name.clone(),
        created_at: now(),
    };
    store::add_action(&mut tx.conn(), &action).await?;
    finish(
        tx,
        actor,
        &row,
        "opinion.feedback",
        &before,
        json!({"handling_unit_id": unit}),
    )
    .await
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn feedback_by_office(
    app: &App,
    g: &Granted<ReviewOpinionReports>,
    id: i64,
    body: &str,
    public_text: &str,
) -> Result<()> {
    feedback(app, g.actor(), id, None, body, public_text).await
}

/// A unit answers for a report forwarded to it; any other report is not found.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn feedback_by_unit(
    app: &App,
    g: &Granted<HandleAssignments>,
    id: i64,
    body: &str,
    public_text: &str,
) -> Result<()> {
    let unit = g.actor().handling_unit_id.ok_or_else(not_found)?;
    feedback(app, g.actor(), id, Some(unit), body, public_text).await
}
