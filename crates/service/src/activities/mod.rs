//! Meetings and activities (R11, R12): planning and publishing with invitations, answers and
//! leave, QR check-in, public registration, the consultation protocol, closing with minutes
//! and final attendance, follow-up items, reading notes and calendar feeds.
//!
//! Every step is one transaction writing rows, its events and one audit record. The events
//! name the member and the activity's kind (`activity.attended{status}`, `activity.spoke`,
//! `activity.organised`, `leave.approved`, `reading.note_submitted`), so the duty log can
//! score attendance, absences and speeches without reading these tables.

pub mod attendance;
pub mod batch;
pub mod calendar;
pub mod closing;
pub mod consultation;
pub mod planning;
pub mod registration;
pub mod views;

use lianxin_domain::Invalid;
use lianxin_domain::access::{Actor, SuperviseActivities};
use lianxin_domain::activity::{KindRules, LeaveApprover, Status};
use lianxin_store::Tx;
use lianxin_store::activities::{self as store, ActivityRow, KindRow};
use serde_json::{Value, json};

use crate::{Error, Result};

pub fn not_found() -> Error {
    Error::not_found("activity.not_found", "未找到该活动")
}

pub(crate) async fn load(tx: &mut Tx, committee_id: i64, id: i64) -> Result<ActivityRow> {
    store::by_id(&mut tx.conn(), committee_id, id)
        .await?
        .ok_or_else(not_found)
}

pub(crate) async fn kind_of(tx: &mut Tx, a: &ActivityRow) -> Result<KindRow> {
    store::kind(&mut tx.conn(), a.committee_id, a.kind_id)
        .await?
        .ok_or_else(|| Error::internal("activity kind missing"))
}

pub fn rules_of(k: &KindRow) -> KindRules {
    use lianxin_domain::activity::InviteScope;
    KindRules {
        default_scope: InviteScope::parse(&k.default_scope).unwrap_or(InviteScope::Named),
        leave_approver: LeaveApprover::parse(&k.leave_approver).unwrap_or(LeaveApprover::Office),
        public_default: k.public_default,
        consultation: k.consultation,
        reading: k.reading,
    }
}

pub(crate) fn status_of(a: &ActivityRow) -> Status {
    Status::parse(&a.status).unwrap_or(Status::Draft)
}

/// The office supervises every activity; anyone else organises only what they created.
pub fn is_organiser(actor: &Actor, a: &ActivityRow) -> bool {
    actor.can::<SuperviseActivities>() || a.created_by == actor.user_id
}

/// Load an activity the actor organises; another's is not found (it is not theirs to see).
pub(crate) async fn load_organised(tx: &mut Tx, actor: &Actor, id: i64) -> Result<ActivityRow> {
    let a = load(tx, actor.committee_id, id).await?;
    if !is_organiser(actor, &a) {
        return Err(not_found());
    }
    Ok(a)
}

pub(crate) fn member_of(actor: &Actor) -> Result<i64> {
    actor.member_id.ok_or_else(|| {
        Invalid::one("member_id", "no_member", "当前账号未关联委员，不能参加活动").into()
    })
}

/// What every activity event carries: the activity and its kind, so a consumer can score it
/// without a lookup.
pub(crate) fn about(a: &ActivityRow, k: &KindRow) -> Value {
    json!({
        "activity_id": a.id,
        "kind": k.code,
        "kind_name": k.name,
        "title": a.title,
        "organiser_type": a.organiser_type,
        "organiser_id": a.organiser_id,
        "starts_at": a.starts_at,
    })
}

/// `about` plus more fields.
pub(crate) fn about_with(a: &ActivityRow, k: &KindRow, more: Value) -> Value {
    let mut v = about(a, k);
    if let (Some(obj), Value::Object(more)) = (v.as_object_mut(), more) {
        obj.extend(more);
    }
    v
}

pub(crate) fn text(field: &str, label: &str, raw: &str, max: usize) -> Result<String> {
    Ok(lianxin_domain::text::parse_text(field, label, raw, max, true)?.unwrap_or_default())
}

/// The person or item a step is about, chosen on the form. Checked after the activity was
/// found in the caller's committee, so that another committee's caller is told "not found"
/// whatever the form holds.
pub(crate) fn chosen(id: Option<i64>, field: &str, what: &str) -> Result<i64> {
    id.ok_or_else(|| Invalid::one(field, "required", format!("请选择{what}")).into())
}

pub(crate) fn optional(field: &str, label: &str, raw: &str, max: usize) -> Result<Option<String>> {
    Ok(lianxin_domain::text::parse_text(
        field, label, raw, max, false,
    )?)
}

/// Refusals of the domain become conflicts with their code.
pub(crate) fn refused(r: lianxin_domain::activity::Refusal) -> Error {
    Error::conflict(r.code, r.message)
}
