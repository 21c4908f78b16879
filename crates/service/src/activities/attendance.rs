//! An invited member's answer and leave, the organiser's decision on leave, and check-in:
//! by the rotating QR code on the screen, or by the organiser's hand (recorded as such).

use chrono::{DateTime, Duration, Utc};
use lianxin_domain::Invalid;
use lianxin_domain::access::{
    Actor, Granted, JoinActivities, OrganiseActivities, SuperviseActivities,
};
use lianxin_domain::activity::{self as rules, CheckinMethod, Response, Status};
use lianxin_store::Tx;
use lianxin_store::activities::{self as store, ActivityRow, InvitationRow, KindRow};
use lianxin_store::concerns::{NewMessage, queue_message};
use serde_json::json;

use super::{
    about_with, is_organiser, kind_of, load, load_organised, member_of, not_found, refused,
    rules_of, status_of, text,
};
use crate::journal::{Change, begin, commit};
use crate::{App, Error, Result, now};

/// A member's answer to an invitation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer<'a> {
    Confirm,
    Leave { reason: &'a str },
}

async fn invitation_of(tx: &mut Tx, activity_id: i64, member_id: i64) -> Result<InvitationRow> {
    store::invitation(&mut tx.conn(), activity_id, member_id)
        .await?
        .ok_or_else(not_found)
}

/// Save the invitation and write one event about this member, with the audit record.
async fn finish(
    mut tx: Tx,
    actor: &Actor,
    (a, k, inv): (&ActivityRow, &KindRow, &InvitationRow),
    before: &str,
    kind: &str,
    more: serde_json::Value,
) -> Result<()> {
    store::save_invitation(&mut tx.conn(), inv).await?;
    let mut after = about_with(
        a,
        k,
        json!({"member_id": inv.member_id, "response": inv.response}),
    );
    if let (Some(o), serde_json::Value::Object(m)) = (after.as_object_mut(), more) {
        o.extend(m);
    }
    let change = Change {
        committee_id: a.committee_id,
        kind,
        subject_type: "activity",
        subject_id: a.id,
        before: json!({"member_id": inv.member_id, "response": before}),
        after,
    };
    commit(tx, actor, change).await?;
    Ok(())
}

/// Confirm attendance or ask for leave, before the start.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn respond(
    app: &App,
    g: &Granted<JoinActivities>,
    id: i64,
    answer: Answer<'_>,
) -> Result<()> {
    let actor = g.actor();
    let me = member_of(actor)?;
    let reason = match answer {
        Answer::Leave { reason } => Some(text("reason", "请假事由", reason, 500)?),
        Answer::Confirm => None,
    };
    let mut tx = begin(&app.db).await?;
    let a = load(&mut tx, actor.committee_id, id).await?;
    let mut inv = invitation_of(&mut tx, a.id, me).await?;
    if status_of(&a) == Status::Draft {
        return Err(not_found());
    }
    rules::may_answer(now(), a.starts_at, status_of(&a)).map_err(refused)?;
    let k = kind_of(&mut tx, &a).await?;
    let before = inv.response.clone();
    inv.responded_at = Some(now());
    let kind = match reason {
        None => {
            inv.response = Response::Confirmed.code().into();
            "activity.confirmed"
        }
        Some(r) => {
            if inv.response == Response::LeaveApproved.code() {
                return Err(Error::conflict("leave.already_approved", "请假已获批准"));
            }
            inv.response = Response::LeaveRequested.code().into();
            inv.leave_reason = Some(r);
            inv.leave_decided_by = None;
            inv.leave_decided_at = None;
            "leave.requested"
        }
    };
    finish(
        tx,
        actor,
        (&a, &k, &inv),
        &before,
        kind,
        json!({"reason": inv.leave_reason}),
    )
    .await
}

/// Whether this actor decides leave for this activity (plenary leave is the office's).
fn may_decide(actor: &Actor, a: &ActivityRow, k: &KindRow) -> Result<()> {
    if rules::may_decide_leave(
        rules_of(k).leave_approver,
        actor.can::<SuperviseActivities>(),
        is_organiser(actor, a),
    ) {
        Ok(())
    } else {
        Err(Error::conflict(
            "leave.office_only",
            format!("{}的请假由委员会机关审批", k.name),
        ))
    }
}

/// The open activity, its kind and the member's invitation, for a leave decision that this
/// actor may take.
async fn for_leave(
    tx: &mut Tx,
    actor: &Actor,
    id: i64,
    member_id: Option<i64>,
) -> Result<(ActivityRow, KindRow, InvitationRow)> {
    let a = load(tx, actor.committee_id, id).await?;
    let k = kind_of(tx, &a).await?;
    may_decide(actor, &a, &k)?;
    if status_of(&a) != Status::Published {
        return Err(Error::conflict("activity.closed", "活动已结束，考勤已确定"));
    }
    let member_id = super::chosen(member_id, "member_id", "委员")?;
    let inv = invitation_of(tx, a.id, member_id).await?;
    Ok((a, k, inv))
}

/// Approve or refuse a leave request.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn decide_leave(
    app: &App,
    g: &Granted<OrganiseActivities>,
    id: i64,
    member_id: Option<i64>,
    approve: bool,
    note: &str,
) -> Result<()> {
    let actor = g.actor();
    let note = super::optional("note", "审批意见", note, 500)?;
    let mut tx = begin(&app.db).await?;
    let (a, k, mut inv) = for_leave(&mut tx, actor, id, member_id).await?;
    if inv.response != Response::LeaveRequested.code() {
        return Err(Error::conflict(
            "leave.not_requested",
            "该委员没有待审批的请假",
        ));
    }
    let before = inv.response.clone();
    inv.response = if approve {
        Response::LeaveApproved
    } else {
        Response::LeaveRejected
    }
    .code()
    .into();
    inv.leave_decided_by = Some(actor.display_name.clone());
    inv.leave_decided_at = Some(now());
    inv.leave_note = note;
    let kind = if approve {
        "leave.approved"
    } else {
        "leave.rejected"
    };
    let msg = NewMessage {
        committee_id: a.committee_id,
        channel: "member",
        recipient_enc: None,
        recipient_masked: &inv.member_name,
        subject: if approve {
            "请假已批准"
        } else {
            "请假未获批准"
        },
        body: &format!(
            "您为“{}”的请假{}{}",
            a.title,
            if approve {
                "已批准"
            } else {
                "未获批准，请按时参加"
            },
            inv.leave_note
                .as_ref()
                .map(|n| format!("。意见：{n}"))
                .unwrap_or_default()
        ),
        concern_id: None,
    };
    queue_message(&mut tx.conn(), &msg, now()).await?;
    finish(
        tx,
        actor,
        (&a, &k, &inv),
        &before,
        kind,
        json!({"decided_by": actor.user_id}),
    )
    .await
}

/// Record leave the member could not ask for online (after the start, by telephone): only
/// whoever decides leave for this kind may, and only until the activity is closed.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn record_leave(
    app: &App,
    g: &Granted<OrganiseActivities>,
    id: i64,
    member_id: Option<i64>,
    reason: &str,
) -> Result<()> {
    let actor = g.actor();
    let reason = text("reason", "请假事由", reason, 500)?;
    let mut tx = begin(&app.db).await?;
    let (a, k, mut inv) = for_leave(&mut tx, actor, id, member_id).await?;
    let before = inv.response.clone();
    inv.response = Response::LeaveApproved.code().into();
    inv.leave_reason = Some(reason);
    inv.leave_decided_by = Some(actor.display_name.clone());
    inv.leave_decided_at = Some(now());
    inv.responded_at = inv.responded_at.or(Some(now()));
    finish(
        tx,
        actor,
        (&a, &k, &inv),
        &before,
        "leave.approved",
        json!({"recorded": true, "decided_by": actor.user_id}),
    )
    .await
}

/// The code the screen shows in a given minute.
pub fn code_at(app: &App, activity_id: i64, at: DateTime<Utc>) -> String {
    code_for_slot(app, activity_id, rules::slot_of(at))
}

fn code_for_slot(app: &App, activity_id: i64, slot: i64) -> String {
    // 80 bits: short enough for a small QR code, far too many to guess in a minute.
    app.crypto.mac("checkin", &format!("{activity_id}:{slot}"))[..20].to_string()
}

/// Which minute's code this is, searching back a day (so an old photo of the screen is told
/// "expired", not "invalid").
fn slot_of_code(app: &App, activity_id: i64, code: &str, now: DateTime<Utc>) -> Option<i64> {
    let code = code.trim();
    if code.len() != 20 {
        return None;
    }
    let current = rules::slot_of(now);
    let oldest = rules::slot_of(now - Duration::hours(24));
    (oldest..=current + 1)
        .rev()
        .find(|s| crate::crypto::constant_eq(&code_for_slot(app, activity_id, *s), code))
}

/// What a check-in did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckedIn {
    Now {
        late: bool,
    },
    /// Already checked in: nothing changed.
    Already,
}

/// A member checks themselves in with the code from the screen. A member of the committee
/// who was not invited (a walk-in at an open activity) is added and checked in.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn check_in_by_code(
    app: &App,
    g: &Granted<JoinActivities>,
    id: i64,
    code: &str,
) -> Result<CheckedIn> {
    let actor = g.actor();
    let me = member_of(actor)?;
    let at = now();
    let (a, k) = open_activity(app, actor.committee_id, id).await?;
    rules::judge_checkin(
        at,
        a.starts_at,
        a.ends_at,
        slot_of_code(app, a.id, code, at),
    )
    .map_err(refused)?;
    check_in(app, actor, a, k, me, CheckinMethod::Qr).await
}

/// The organiser checks a member in by hand (the member has no phone, the screen failed).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn check_in_by_hand(
    app: &App,
    g: &Granted<OrganiseActivities>,
    id: i64,
    member_id: Option<i64>,
) -> Result<CheckedIn> {
    let actor = g.actor();
    let (a, k) = open_activity(app, actor.committee_id, id).await?;
    if !is_organiser(actor, &a) {
        return Err(not_found());
    }
    let member_id = super::chosen(member_id, "member_id", "委员")?;
    let mut conn = app.db.acquire().await?;
    if store::invitation(&mut conn.conn(), a.id, member_id)
        .await?
        .is_none()
    {
        return Err(Error::not_found(
            "member.not_found",
            "该委员不在本次活动的名单上",
        ));
    }
    drop(conn);
    check_in(app, actor, a, k, member_id, CheckinMethod::Manual).await
}

/// The activity and its kind, if it is open for check-in (read outside any transaction: the
/// writer checks again that it is still open).
async fn open_activity(app: &App, committee_id: i64, id: i64) -> Result<(ActivityRow, KindRow)> {
    let mut conn = app.db.acquire().await?;
    let a = store::by_id(&mut conn.conn(), committee_id, id)
        .await?
        .ok_or_else(not_found)?;
    if status_of(&a) != Status::Published {
        return Err(Error::conflict(
            "checkin.not_open",
            "活动未发布、已结束或已取消，不能签到",
        ));
    }
    let k = store::kind(&mut conn.conn(), a.committee_id, a.kind_id)
        .await?
        .ok_or_else(|| Error::internal("activity kind missing"))?;
    Ok((a, k))
}

async fn check_in(
    app: &App,
    actor: &Actor,
    a: ActivityRow,
    k: KindRow,
    member_id: i64,
    method: CheckinMethod,
) -> Result<CheckedIn> {
    let c = super::batch::CheckIn {
        actor: actor.clone(),
        activity: a,
        kind: k,
        member_id,
        method: method.code(),
    };
    super::batch::write(app, c).await
}

/// Record that a member arrived late or left early (or take it back), until the close.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn mark(
    app: &App,
    g: &Granted<OrganiseActivities>,
    id: i64,
    member_id: Option<i64>,
    late: bool,
    left_early: bool,
) -> Result<()> {
    let actor = g.actor();
    let mut tx = begin(&app.db).await?;
    let a = load_organised(&mut tx, actor, id).await?;
    if status_of(&a) != Status::Published {
        return Err(Error::conflict("activity.closed", "活动已结束，考勤已确定"));
    }
    let k = kind_of(&mut tx, &a).await?;
    let member_id = super::chosen(member_id, "member_id", "委员")?;
    let mut inv = invitation_of(&mut tx, a.id, member_id).await?;
    if inv.checked_in_at.is_none() {
        return Err(Invalid::one(
            "member_id",
            "not_checked_in",
            "该委员尚未签到，不能记录迟到或早退",
        )
        .into());
    }
    let before = inv.response.clone();
    inv.late = late;
    inv.left_early = left_early;
    finish(
        tx,
        actor,
        (&a, &k, &inv),
        &before,
        "activity.marked",
        json!({"late": late, "left_early": left_early}),
    )
    .await
}
