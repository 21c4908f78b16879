//! The organiser's steps on an activity's page, one route and one typed form each. Every
//! step needs `OrganiseActivities`, granted before the form is read, and comes back to the
//! activity's page: on success with "saved", otherwise with the reason.

use axum::extract::{Path, State as S};
use lianxin_domain::Invalid;
use lianxin_domain::access::OrganiseActivities;
use lianxin_service::activities::closing::{self, ClosingInput};
use lianxin_service::activities::consultation::{self, ParticipantInput};
use lianxin_service::activities::{attendance, planning};
use serde::Deserialize;

use super::{PageResult, organiser_page};
use crate::State;
use crate::form::{Button, GrantedForm};
use crate::ui::after_step;
use crate::ui::workspace::id_of;

type Form<T> = GrantedForm<OrganiseActivities, T>;

/// Back to the activity's page after a step.
async fn done<T>(
    state: &State,
    f: &Form<T>,
    id: i64,
    r: lianxin_service::Result<()>,
) -> PageResult {
    after_step(r, format!("/office/activities/{id}?saved=1"), |msg| {
        organiser_page(state, &f.auth, id, false, msg)
    })
    .await
}

pub(super) async fn publish(
    S(state): S<State>,
    Path(id): Path<String>,
    f: Form<Button>,
) -> PageResult {
    let id = id_of(&id)?;
    let r = planning::publish(&state.app, &f.granted, id).await;
    done(&state, &f, id, r).await
}

#[derive(Deserialize)]
pub(super) struct Reason {
    #[serde(default)]
    reason: String,
}

pub(super) async fn cancel(
    S(state): S<State>,
    Path(id): Path<String>,
    f: Form<Reason>,
) -> PageResult {
    let id = id_of(&id)?;
    let r = planning::cancel(&state.app, &f.granted, id, &f.form.reason).await;
    done(&state, &f, id, r).await
}

/// Deciding a member's request for leave (请假).
#[derive(Deserialize)]
pub(super) struct LeaveDecision {
    member_id: Option<i64>,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    note: String,
}

pub(super) async fn leave(
    S(state): S<State>,
    Path(id): Path<String>,
    f: Form<LeaveDecision>,
) -> PageResult {
    let id = id_of(&id)?;
    let d = &f.form;
    let approve = d.decision == "approve";
    let r =
        attendance::decide_leave(&state.app, &f.granted, id, d.member_id, approve, &d.note).await;
    done(&state, &f, id, r).await
}

/// Leave the organiser records for a member (who asked by phone, say).
#[derive(Deserialize)]
pub(super) struct LeaveRecord {
    member_id: Option<i64>,
    #[serde(default)]
    reason: String,
}

pub(super) async fn record_leave(
    S(state): S<State>,
    Path(id): Path<String>,
    f: Form<LeaveRecord>,
) -> PageResult {
    let id = id_of(&id)?;
    let l = &f.form;
    let r = attendance::record_leave(&state.app, &f.granted, id, l.member_id, &l.reason).await;
    done(&state, &f, id, r).await
}

#[derive(Deserialize)]
pub(super) struct Member {
    member_id: Option<i64>,
}

pub(super) async fn check_in(
    S(state): S<State>,
    Path(id): Path<String>,
    f: Form<Member>,
) -> PageResult {
    let id = id_of(&id)?;
    let r = attendance::check_in_by_hand(&state.app, &f.granted, id, f.form.member_id)
        .await
        .map(|_| ());
    done(&state, &f, id, r).await
}

/// Marking a member late or gone early.
#[derive(Deserialize)]
pub(super) struct Mark {
    member_id: Option<i64>,
    #[serde(default, deserialize_with = "crate::form::checkbox")]
    late: bool,
    #[serde(default, deserialize_with = "crate::form::checkbox")]
    left_early: bool,
}

pub(super) async fn mark(S(state): S<State>, Path(id): Path<String>, f: Form<Mark>) -> PageResult {
    let id = id_of(&id)?;
    let m = &f.form;
    let r = attendance::mark(
        &state.app,
        &f.granted,
        id,
        m.member_id,
        m.late,
        m.left_early,
    )
    .await;
    done(&state, &f, id, r).await
}

/// A participant of a consultation (协商): their role, name, the interest they speak for.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Participant {
    role: String,
    name: String,
    interest: String,
    member_id: String,
}

pub(super) async fn participant(
    S(state): S<State>,
    Path(id): Path<String>,
    f: Form<Participant>,
) -> PageResult {
    let id = id_of(&id)?;
    let p = &f.form;
    let i = ParticipantInput {
        role: &p.role,
        name: &p.name,
        interest: &p.interest,
        member_id: &p.member_id,
    };
    let r = consultation::add_participant(&state.app, &f.granted, id, &i)
        .await
        .map(|_| ());
    done(&state, &f, id, r).await
}

/// The speaking order, as participant numbers separated by commas or spaces.
#[derive(Deserialize)]
pub(super) struct Order {
    #[serde(default)]
    order: String,
}

/// `3,1，2 4` → `[3, 1, 2, 4]`; a token that is not a number is refused, not skipped.
fn speaking_order(text: &str) -> Result<Vec<i64>, Invalid> {
    text.split([',', '，', ' '])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| {
            t.parse().map_err(|_| {
                Invalid::one(
                    "order",
                    "invalid",
                    format!("发言顺序应为编号，用逗号分隔（「{t}」不是编号）"),
                )
            })
        })
        .collect()
}

pub(super) async fn order(
    S(state): S<State>,
    Path(id): Path<String>,
    f: Form<Order>,
) -> PageResult {
    let id = id_of(&id)?;
    let r = match speaking_order(&f.form.order) {
        Ok(wanted) => consultation::reorder(&state.app, &f.granted, id, &wanted).await,
        Err(inv) => Err(inv.into()),
    };
    done(&state, &f, id, r).await
}

/// What a participant said (发言): their position and a summary.
#[derive(Deserialize)]
pub(super) struct Speech {
    participant_id: Option<i64>,
    #[serde(default)]
    position: String,
    #[serde(default)]
    summary: String,
}

pub(super) async fn speech(
    S(state): S<State>,
    Path(id): Path<String>,
    f: Form<Speech>,
) -> PageResult {
    let id = id_of(&id)?;
    let p = &f.form;
    let r = consultation::record_speech(
        &state.app,
        &f.granted,
        id,
        p.participant_id,
        &p.position,
        &p.summary,
    )
    .await;
    done(&state, &f, id, r).await
}

/// Closing an activity: who came, the minutes, what was agreed and what is still open.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Closing {
    attendee_count: String,
    attending_orgs: String,
    minutes: String,
    summary: String,
    agreed_points: String,
    open_points: String,
}

pub(super) async fn close(
    S(state): S<State>,
    Path(id): Path<String>,
    f: Form<Closing>,
) -> PageResult {
    let id = id_of(&id)?;
    let c = &f.form;
    let i = ClosingInput {
        attendee_count: &c.attendee_count,
        attending_orgs: &c.attending_orgs,
        minutes: &c.minutes,
        summary: &c.summary,
        agreed_points: &c.agreed_points,
        open_points: &c.open_points,
    };
    let r = closing::close(&state.app, &f.granted, id, &i).await;
    done(&state, &f, id, r).await
}

/// A follow-up task (后续事项): what, who, by when.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Followup {
    title: String,
    owner: String,
    due_on: String,
}

pub(super) async fn followup(
    S(state): S<State>,
    Path(id): Path<String>,
    f: Form<Followup>,
) -> PageResult {
    let id = id_of(&id)?;
    let t = &f.form;
    let r = closing::add_followup(&state.app, &f.granted, id, &t.title, &t.owner, &t.due_on)
        .await
        .map(|_| ());
    done(&state, &f, id, r).await
}

#[derive(Deserialize)]
pub(super) struct FollowupDone {
    followup_id: Option<i64>,
    #[serde(default)]
    note: String,
}

pub(super) async fn followup_done(
    S(state): S<State>,
    Path(id): Path<String>,
    f: Form<FollowupDone>,
) -> PageResult {
    let id = id_of(&id)?;
    let d = &f.form;
    let r = closing::finish_followup(&state.app, &f.granted, id, d.followup_id, &d.note).await;
    done(&state, &f, id, r).await
}

#[cfg(test)]
mod tests {
    use super::speaking_order;

    #[test]
    fn the_speaking_order_reads_numbers_and_refuses_anything_else() {
        assert_eq!(speaking_order("3,1，2 4").unwrap(), vec![3, 1, 2, 4]);
        assert_eq!(speaking_order(" ").unwrap(), Vec::<i64>::new());
        let e = speaking_order("3,张三").unwrap_err();
        assert!(e.0[0].message.contains("张三"));
    }
}
