//! The democratic appraisal (民主测评) of the duty reports: the office opens and closes the
//! year's round and reads the results (`/office/appraisal`); a member grades the reports of
//! the peers of their sector (`/me/appraisal`) and, once the round is over, sees their own.

use crate::routes::{Routes, get, post};
use askama::Template;
use axum::extract::{Path, RawQuery, State as S};
use axum::response::Response;
use lianxin_domain::access::{AppraisePeers, ManageDutyYear};
use lianxin_domain::appraisal::{Grade, Tally};
use lianxin_service::duty::appraisal::{self, Mine, PeerReport, Round};

use super::archive::year_of;
use super::duty_year::OfYear;
use super::workspace::id_of;
use super::{Nav, after_step, filters, page};
use crate::State;
use crate::error::PageError;
use crate::form::{GrantedForm, Year};
use crate::session::{Auth, PageAuth};

type PageResult = Result<Response, PageError>;

pub fn routes() -> Routes {
    Routes::new()
        .route("/office/appraisal", get(office))
        .route("/office/appraisal/open", post(open))
        .route("/office/appraisal/close", post(close))
        .route("/me/appraisal", get(mine))
        .route("/me/appraisal/{id}", get(peer).post(vote))
}

/// A vote: the year of the round and the grade given.
#[derive(serde::Deserialize)]
struct Vote {
    year: Year,
    #[serde(default)]
    grade: String,
}

/// A rate as shown: "62.5%", or a dash without votes.
fn rate(r: Option<f64>) -> String {
    r.map_or_else(|| "—".into(), |r| format!("{r}%"))
}

/// The grades, for headers and radio buttons: (code, label).
fn grades() -> Vec<(&'static str, &'static str)> {
    Grade::ALL.iter().map(|g| (g.code(), g.label())).collect()
}

/// Votes per grade, in the order of [`grades`].
fn votes(t: &Tally) -> Vec<i64> {
    Grade::ALL.iter().map(|g| t.of(*g)).collect()
}

#[derive(Template)]
#[template(path = "appraisal.html")]
struct OfficePage {
    nav: Nav,
    r: Round,
    error: String,
    saved: bool,
    min_votes: i64,
}

impl OfficePage {
    fn grades(&self) -> Vec<(&'static str, &'static str)> {
        grades()
    }
    fn votes(&self, t: &Tally) -> Vec<i64> {
        votes(t)
    }
    fn rate(&self, r: Option<f64>) -> String {
        rate(r)
    }
}

async fn office_page(state: &State, a: &Auth, year: i64, error: String, saved: bool) -> PageResult {
    let g = a.actor.grant::<ManageDutyYear>()?;
    let r = appraisal::round(&state.app, &g, year).await?;
    Ok(page(&OfficePage {
        nav: Nav::for_auth(Some(a)),
        r,
        error,
        saved,
        min_votes: lianxin_domain::appraisal::MIN_VOTES,
    }))
}

async fn office(S(state): S<State>, PageAuth(a): PageAuth, RawQuery(q): RawQuery) -> PageResult {
    a.actor.grant::<ManageDutyYear>()?;
    let saved = q.as_deref().is_some_and(|q| q.contains("saved"));
    office_page(&state, &a, year_of(q)?, String::new(), saved).await
}

async fn open(S(state): S<State>, f: GrantedForm<ManageDutyYear, OfYear>) -> PageResult {
    let Year(year) = f.form.year;
    let r = appraisal::open(&state.app, &f.granted, year).await;
    after_step(r, format!("/office/appraisal?year={year}&saved=1"), |msg| {
        office_page(&state, &f.auth, year, msg, false)
    })
    .await
}

async fn close(S(state): S<State>, f: GrantedForm<ManageDutyYear, OfYear>) -> PageResult {
    let Year(year) = f.form.year;
    let r = appraisal::close(&state.app, &f.granted, year).await;
    after_step(r, format!("/office/appraisal?year={year}&saved=1"), |msg| {
        office_page(&state, &f.auth, year, msg, false)
    })
    .await
}

#[derive(Template)]
#[template(path = "appraisal_mine.html")]
struct MinePage {
    nav: Nav,
    m: Mine,
    saved: bool,
    min_votes: i64,
}

impl MinePage {
    /// (grade, votes) of one's result.
    fn by_grade(&self, t: &Tally) -> Vec<(&'static str, i64)> {
        Grade::ALL.iter().map(|g| (g.label(), t.of(*g))).collect()
    }
    fn rate(&self, r: Option<f64>) -> String {
        rate(r)
    }
    fn open(&self) -> bool {
        self.m.stage == appraisal::Stage::Open
    }
}

async fn mine(S(state): S<State>, PageAuth(a): PageAuth, RawQuery(q): RawQuery) -> PageResult {
    let g = a.actor.grant::<AppraisePeers>()?;
    let saved = q.as_deref().is_some_and(|q| q.contains("saved"));
    let m = appraisal::mine(&state.app, &g, year_of(q)?).await?;
    Ok(page(&MinePage {
        nav: Nav::for_auth(Some(&a)),
        m,
        saved,
        min_votes: lianxin_domain::appraisal::MIN_VOTES,
    }))
}

#[derive(Template)]
#[template(path = "appraisal_peer.html")]
struct PeerPage {
    nav: Nav,
    p: PeerReport,
    error: String,
    grade: String,
}

impl PeerPage {
    fn grades(&self) -> Vec<(&'static str, &'static str)> {
        grades()
    }
    fn open(&self) -> bool {
        self.p.stage == appraisal::Stage::Open
    }
}

async fn peer_page(
    state: &State,
    a: &Auth,
    year: i64,
    id: i64,
    error: String,
    grade: String,
) -> PageResult {
    let g = a.actor.grant::<AppraisePeers>()?;
    let p = appraisal::peer(&state.app, &g, year, id).await?;
    Ok(page(&PeerPage {
        nav: Nav::for_auth(Some(a)),
        p,
        error,
        grade,
    }))
}

async fn peer(
    S(state): S<State>,
    PageAuth(a): PageAuth,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> PageResult {
    a.actor.grant::<AppraisePeers>()?;
    peer_page(
        &state,
        &a,
        year_of(q)?,
        id_of(&id)?,
        String::new(),
        String::new(),
    )
    .await
}

async fn vote(
    S(state): S<State>,
    Path(id): Path<String>,
    f: GrantedForm<AppraisePeers, Vote>,
) -> PageResult {
    let Year(year) = f.form.year;
    let id = id_of(&id)?;
    let grade = f.form.grade;
    let r = appraisal::vote(&state.app, &f.granted, year, id, &grade).await;
    after_step(r, format!("/me/appraisal?year={year}&saved=1"), |msg| {
        peer_page(&state, &f.auth, year, id, msg, grade.clone())
    })
    .await
}
