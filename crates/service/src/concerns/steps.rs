//! What members, the office and the person do to a concern. Every step goes through the
//! domain state machine; an illegal step is a 409 with a stable code.

use lianxin_domain::Invalid;
use lianxin_domain::access::{Actor, AnswerConcerns, Granted, HandleConcerns, system_actor};
use lianxin_domain::concern::{self as rules, CloseReason, FollowUp, Rating, Status, Step, Target};
use lianxin_domain::schema::Res;
use lianxin_domain::text::parse_text;
use lianxin_store::Tx;
use lianxin_store::concerns::{self as store, ConcernRow, NewMessage};
use lianxin_store::records::existing;
use serde_json::json;

use super::{assign, not_found, note, responsible_member, routed_to};
use crate::journal::{Change, begin, commit};
use crate::{App, Error, Result, now};

fn status_of(row: &ConcernRow) -> Status {
    Status::parse(&row.status).unwrap_or(Status::Submitted)
}

/// Move `row` by `step`, or refuse with the machine's reason.
fn advance(row: &mut ConcernRow, step: Step) -> Result<Status> {
    let at = now();
    let next = rules::apply(status_of(row), step, at, row.answered_at)
        .map_err(|e| Error::conflict(e.code, e.message))?;
    row.status = next.code().into();
    row.updated_at = at;
    Ok(next)
}

async fn load(tx: &mut Tx, committee_id: i64, id: i64) -> Result<ConcernRow> {
    store::by_id(&mut tx.conn(), committee_id, id)
        .await?
        .ok_or_else(not_found)
}

/// A concern a member may act on (routed to them or their studio); any other is not found.
async fn load_routed(tx: &mut Tx, actor: &Actor, id: i64) -> Result<ConcernRow> {
    let row = load(tx, actor.committee_id, id).await?;
    if !routed_to(&mut tx.conn(), actor, &row).await? {
        return Err(not_found());
    }
    Ok(row)
}

/// Save the row, write the event and audit, commit.
async fn done(
    mut tx: Tx,
    actor: &Actor,
    row: &ConcernRow,
    kind: &str,
    before: &str,
    payload: serde_json::Value,
) -> Result<()> {
    store::save(&mut tx.conn(), row).await?;
    let change = Change {
        committee_id: row.committee_id,
        kind,
        subject_type: "concern",
        subject_id: row.id,
        before: json!({"status": before}),
        after: payload,
    };
    commit(tx, actor, change).await?;
    Ok(())
}

fn text(field: &str, label: &str, raw: &str, max: usize) -> Result<String> {
    Ok(parse_text(field, label, raw, max, true)?.unwrap_or_default())
}

/// How a member's reply counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    /// Only staff and members see it.
    InternalNote,
    /// The person sees it; the concern is being worked on.
    Public,
    /// The person sees it, and it answers the concern.
    Answer,
}

/// A member replies to a concern routed to them (or writes an internal note).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn reply(
    app: &App,
    g: &Granted<AnswerConcerns>,
    id: i64,
    body: &str,
    how: Reply,
) -> Result<()> {
    let actor = g.actor();
    let body = text("body", "答复内容", body, 5000)?;
    let mut tx = begin(&app.db).await?;
    let mut row = load_routed(&mut tx, actor, id).await?;
    let before = row.status.clone();
    let at = now();
    let kind = match how {
        Reply::InternalNote => {
            note(
                &mut tx.conn(),
                &row,
                "note",
                false,
                &body,
                Some(actor),
                &actor.display_name,
            )
            .await?;
            "concern.noted"
        }
        Reply::Public | Reply::Answer => {
            if how == Reply::Answer {
                advance(&mut row, Step::Answer)?;
                row.answered_at = Some(at);
            } else {
                advance(&mut row, Step::Start)?;
            }
            row.first_reply_at.get_or_insert(at);
            note(
                &mut tx.conn(),
                &row,
                "reply",
                true,
                &body,
                Some(actor),
                &actor.display_name,
            )
            .await?;
            if how == Reply::Answer {
                "concern.answered"
            } else {
                "concern.replied"
            }
        }
    };
    if kind == "concern.answered" {
        notify_person(
            &mut tx,
            &row,
            "诉求已答复",
            &format!(
                "【连心】您的诉求“{}”已有答复，请凭查询码 {} 查看并评价。",
                row.title, row.code
            ),
        )
        .await?;
    }
    let member = actor.member_id;
    done(
        tx,
        actor,
        &row,
        kind,
        &before,
        json!({"concern_id": row.id, "member_id": member, "status": row.status}),
    )
    .await
}

async fn notify_person(tx: &mut Tx, row: &ConcernRow, subject: &str, body: &str) -> Result<()> {
    let Some(sealed) = &row.phone_enc else {
        return Ok(());
    };
    let msg = NewMessage {
        committee_id: row.committee_id,
        channel: "sms",
        recipient_enc: Some(sealed.clone()),
        recipient_masked: row.phone_masked.as_deref().unwrap_or(""),
        subject,
        body,
        concern_id: Some(row.id),
    };
    Ok(store::queue_message(&mut tx.conn(), &msg, now()).await?)
}

/// A member asks the office to route a concern elsewhere.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn request_reroute(
    app: &App,
    g: &Granted<AnswerConcerns>,
    id: i64,
    reason: &str,
) -> Result<()> {
    let actor = g.actor();
    let reason = text("reason", "原因", reason, 500)?;
    let mut tx = begin(&app.db).await?;
    let row = load_routed(&mut tx, actor, id).await?;
    note(
        &mut tx.conn(),
        &row,
        "reroute_request",
        false,
        &format!("申请改派：{reason}"),
        Some(actor),
        &actor.display_name,
    )
    .await?;
    let msg = NewMessage {
        committee_id: row.committee_id,
        channel: "office",
        recipient_enc: None,
        recipient_masked: "委员会机关",
        subject: "委员申请改派诉求",
        body: &format!(
            "{}申请改派诉求 #{}“{}”：{reason}",
            actor.display_name, row.id, row.title
        ),
        concern_id: Some(row.id),
    };
    store::queue_message(&mut tx.conn(), &msg, now()).await?;
    let before = row.status.clone();
    done(
        tx,
        actor,
        &row,
        "concern.reroute_requested",
        &before,
        json!({"concern_id": row.id, "member_id": actor.member_id, "reason": reason}),
    )
    .await
}

/// The office routes a concern (again) to a studio, member or special committee.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn reroute(
    app: &App,
    g: &Granted<HandleConcerns>,
    id: i64,
    target: Target,
    why: &str,
) -> Result<()> {
    let actor = g.actor();
    let mut tx = begin(&app.db).await?;
    let mut row = load(&mut tx, actor.committee_id, id).await?;
    let (res, tid) = match target {
        Target::Studio(i) => (Res::Studio, i),
        Target::Member(i) => (Res::Member, i),
        Target::SpecialCommittee(i) => (Res::SpecialCommittee, i),
    };
    if existing(&mut tx.conn(), res, actor.committee_id, &[tid])
        .await?
        .is_empty()
    {
        return Err(Invalid::one("target", "invalid_ref", "所选分派对象不存在").into());
    }
    let before = row.status.clone();
    advance(&mut row, Step::Assign)?;
    assign(&mut row, target);
    let whom = super::views::target_label(&mut tx.conn(), actor.committee_id, target).await?;
    let why = why.trim();
    let body = if why.is_empty() {
        format!("已改派至{whom}")
    } else {
        format!("已改派至{whom}（{why}）")
    };
    note(
        &mut tx.conn(),
        &row,
        "assigned",
        true,
        &body,
        Some(actor),
        &actor.display_name,
    )
    .await?;
    let member = responsible_member(&mut tx.conn(), &row).await?;
    done(tx, actor, &row, "concern.assigned", &before, json!({"concern_id": row.id, "target": target, "member_id": member, "decided_by": actor.username})).await
}

/// The office closes a concern: not ours, a duplicate (of another concern), or referred to a unit.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn close(
    app: &App,
    g: &Granted<HandleConcerns>,
    id: i64,
    reason: CloseReason,
    duplicate_of: Option<i64>,
    unit: Option<i64>,
    explanation: &str,
) -> Result<()> {
    let actor = g.actor();
    let mut tx = begin(&app.db).await?;
    let mut row = load(&mut tx, actor.committee_id, id).await?;
    match reason {
        CloseReason::Duplicate => {
            let original = duplicate_of
                .ok_or_else(|| Invalid::one("duplicate_of", "required", "请填写原诉求编号"))?;
            if original == row.id
                || store::by_id(&mut tx.conn(), actor.committee_id, original)
                    .await?
                    .is_none()
            {
                return Err(Invalid::one("duplicate_of", "invalid_ref", "原诉求不存在").into());
            }
            row.duplicate_of = Some(original);
        }
        CloseReason::Referred => {
            let u = unit.ok_or_else(|| Invalid::one("unit_id", "required", "请选择承办单位"))?;
            if existing(&mut tx.conn(), Res::HandlingUnit, actor.committee_id, &[u])
                .await?
                .is_empty()
            {
                return Err(Invalid::one("unit_id", "invalid_ref", "所选承办单位不存在").into());
            }
            row.referred_unit_id = Some(u);
        }
        CloseReason::NotResponsible => {}
    }
    let before = row.status.clone();
    advance(&mut row, Step::Close(reason))?;
    row.close_reason = Some(reason.code().into());
    row.closed_at = Some(now());
    let expl = explanation.trim();
    let body = if expl.is_empty() {
        format!("已关闭：{}", reason.label())
    } else {
        format!("已关闭：{}。{expl}", reason.label())
    };
    note(
        &mut tx.conn(),
        &row,
        "closed",
        true,
        &body,
        Some(actor),
        &actor.display_name,
    )
    .await?;
    done(tx, actor, &row, "concern.closed", &before, json!({"concern_id": row.id, "reason": reason, "duplicate_of": row.duplicate_of, "unit_id": row.referred_unit_id})).await
}

/// The office marks an answered concern resolved.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn resolve(app: &App, g: &Granted<HandleConcerns>, id: i64) -> Result<()> {
    let actor = g.actor();
    let mut tx = begin(&app.db).await?;
    let mut row = load(&mut tx, actor.committee_id, id).await?;
    let before = row.status.clone();
    advance(&mut row, Step::Resolve)?;
    row.resolved_at = Some(now());
    note(
        &mut tx.conn(),
        &row,
        "resolved",
        true,
        "问题已解决",
        Some(actor),
        &actor.display_name,
    )
    .await?;
    done(
        tx,
        actor,
        &row,
        "concern.resolved",
        &before,
        json!({"concern_id": row.id}),
    )
    .await
}

/// The person's own concern, by its tracking code.
async fn by_code(tx: &mut Tx, code: &str) -> Result<ConcernRow> {
    if !rules::looks_like_code(code) {
        // Same answer as an unknown code: codes cannot be probed for their shape.
        return Err(not_found());
    }
    store::by_code(&mut tx.conn(), code)
        .await?
        .ok_or_else(not_found)
}

/// The person rates the answer (once).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn rate(app: &App, code: &str, rating: &str, comment: &str) -> Result<()> {
    let rating = Rating::parse(rating)
        .ok_or_else(|| Invalid::one("rating", "invalid_choice", "请选择满意、基本满意或不满意"))?;
    let comment = parse_text("comment", "评价意见", comment, 1000, false)?.unwrap_or_default();
    let mut tx = begin(&app.db).await?;
    let mut row = by_code(&mut tx, code).await?;
    if !matches!(status_of(&row), Status::Answered | Status::Resolved) {
        return Err(Error::conflict(
            "concern.not_answered",
            "诉求尚未答复，暂不能评价",
        ));
    }
    if row.rating.is_some() {
        return Err(Error::conflict("concern.already_rated", "您已评价过此诉求"));
    }
    row.rating = Some(rating.code().into());
    row.rating_comment = (!comment.is_empty()).then_some(comment.clone());
    row.rated_at = Some(now());
    row.updated_at = now();
    let body = if comment.is_empty() {
        format!("群众评价：{}", rating.label())
    } else {
        format!("群众评价：{}。{comment}", rating.label())
    };
    note(&mut tx.conn(), &row, "rated", true, &body, None, "群众").await?;
    let member = responsible_member(&mut tx.conn(), &row).await?;
    let before = row.status.clone();
    let actor = system_actor(row.committee_id);
    done(
        tx,
        &actor,
        &row,
        "concern.rated",
        &before,
        json!({"concern_id": row.id, "rating": rating, "member_id": member}),
    )
    .await
}

/// The person reopens an answered concern, within 30 days of the answer.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn reopen(app: &App, code: &str, reason: &str) -> Result<()> {
    let reason = text("reason", "重新打开的原因", reason, 1000)?;
    let mut tx = begin(&app.db).await?;
    let mut row = by_code(&mut tx, code).await?;
    let before = row.status.clone();
    advance(&mut row, Step::Reopen)?;
    row.resolved_at = None;
    note(
        &mut tx.conn(),
        &row,
        "reopened",
        true,
        &format!("群众重新打开：{reason}"),
        None,
        "群众",
    )
    .await?;
    let member = responsible_member(&mut tx.conn(), &row).await?;
    let actor = system_actor(row.committee_id);
    done(
        tx,
        &actor,
        &row,
        "concern.reopened",
        &before,
        json!({"concern_id": row.id, "member_id": member}),
    )
    .await
}

/// The person answers the follow-up question; "solved" resolves an answered concern.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn answer_follow_up(app: &App, code: &str, answer: &str) -> Result<()> {
    let answer = FollowUp::parse(answer)
        .ok_or_else(|| Invalid::one("answer", "invalid_choice", "请选择一项"))?;
    let mut tx = begin(&app.db).await?;
    let mut row = by_code(&mut tx, code).await?;
    if row.followup_answer.is_some() {
        return Err(Error::conflict(
            "concern.follow_up_answered",
            "您已回答过回访问题",
        ));
    }
    let before = row.status.clone();
    row.followup_answer = Some(answer.code().into());
    row.updated_at = now();
    if answer == FollowUp::Solved && status_of(&row) == Status::Answered {
        advance(&mut row, Step::Resolve)?;
        row.resolved_at = Some(now());
    }
    note(
        &mut tx.conn(),
        &row,
        "follow_up_answer",
        true,
        &format!("回访：{}", answer.label()),
        None,
        "群众",
    )
    .await?;
    let member = responsible_member(&mut tx.conn(), &row).await?;
    let actor = system_actor(row.committee_id);
    done(
        tx,
        &actor,
        &row,
        "concern.follow_up_answered",
        &before,
        json!({"concern_id": row.id, "answer": answer, "member_id": member}),
    )
    .await
}
