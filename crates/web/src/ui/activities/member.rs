//! The member's steps on an activity: answering the invitation, asking for leave, a reading
//! note, and turning the activity into a draft report or proposal. One route and one typed
//! form each; the permission is granted before the form is read.

use axum::extract::{Path, State as S};
use axum::response::{IntoResponse, Redirect};
use lianxin_domain::access::{DraftOpinionReports, DraftProposals, JoinActivities};
use lianxin_service::activities::{attendance, closing};
use serde::Deserialize;

use super::{PageResult, member_page};
use crate::State;
use crate::form::{Button, GrantedForm};
use crate::session::Auth;
use crate::ui::after_step;
use crate::ui::workspace::id_of;

/// Back to the activity's page after a step.
async fn done(state: &State, a: &Auth, id: i64, r: lianxin_service::Result<()>) -> PageResult {
    after_step(r, format!("/me/activities/{id}?saved=1"), |msg| {
        member_page(state, a, id, false, msg)
    })
    .await
}

/// On to the new draft, or back to the activity with the reason.
async fn to_draft(
    state: &State,
    a: &Auth,
    id: i64,
    r: lianxin_service::Result<i64>,
    path: &str,
) -> PageResult {
    match r {
        Ok(new) => Ok(Redirect::to(&format!("{path}/{new}?saved=1")).into_response()),
        Err(e) => {
            after_step(Err(e), String::new(), |msg| {
                member_page(state, a, id, false, msg)
            })
            .await
        }
    }
}

pub(super) async fn to_report(
    S(state): S<State>,
    Path(id): Path<String>,
    f: GrantedForm<DraftOpinionReports, Button>,
) -> PageResult {
    let id = id_of(&id)?;
    let r = closing::to_opinion_report(&state.app, &f.granted, id).await;
    to_draft(&state, &f.auth, id, r, "/me/reports").await
}

pub(super) async fn to_proposal(
    S(state): S<State>,
    Path(id): Path<String>,
    f: GrantedForm<DraftProposals, Button>,
) -> PageResult {
    let id = id_of(&id)?;
    let r = closing::to_proposal(&state.app, &f.granted, id).await;
    to_draft(&state, &f.auth, id, r, "/me/proposals").await
}

pub(super) async fn confirm(
    S(state): S<State>,
    Path(id): Path<String>,
    f: GrantedForm<JoinActivities, Button>,
) -> PageResult {
    let id = id_of(&id)?;
    let r = attendance::respond(&state.app, &f.granted, id, attendance::Answer::Confirm).await;
    done(&state, &f.auth, id, r).await
}

#[derive(Deserialize)]
pub(super) struct Leave {
    #[serde(default)]
    reason: String,
}

pub(super) async fn leave(
    S(state): S<State>,
    Path(id): Path<String>,
    f: GrantedForm<JoinActivities, Leave>,
) -> PageResult {
    let id = id_of(&id)?;
    let answer = attendance::Answer::Leave {
        reason: &f.form.reason,
    };
    let r = attendance::respond(&state.app, &f.granted, id, answer).await;
    done(&state, &f.auth, id, r).await
}

/// A reading note (读书笔记) on one of the activity's books.
#[derive(Deserialize)]
pub(super) struct Note {
    #[serde(default)]
    book: String,
    #[serde(default)]
    body: String,
}

pub(super) async fn note(
    S(state): S<State>,
    Path(id): Path<String>,
    f: GrantedForm<JoinActivities, Note>,
) -> PageResult {
    let id = id_of(&id)?;
    let r = closing::submit_note(&state.app, &f.granted, id, &f.form.book, &f.form.body)
        .await
        .map(|_| ());
    done(&state, &f.auth, id, r).await
}
