//! A member's year of duty on their phone: the duty menu with what they have done of it and
//! sign-up for items with places (`/me/duty`), offline work reported with evidence, and the
//! duty report drafted from their archive (`/me/duty-report`).

use crate::routes::{Routes, get, post};
use askama::Template;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State as S};
use axum::response::Response;
use lianxin_domain::access::JoinActivities;
use lianxin_domain::duty::SELF_REPORTABLE;
use lianxin_service::duty::menu::{self, MyMenu};
use lianxin_service::duty::offline::{self, SelfReportInput};
use lianxin_service::duty::statement::{self, Statement};

use super::archive::{format_points, year_of};
use super::workspace::id_of;
use super::{Nav, after_step, filters, page};
use crate::error::PageError;
use crate::form::{GrantedForm, Year};
use crate::session::{Auth, CsrfMultipart, PageAuth};
use crate::{State, UPLOAD_LIMIT};

type PageResult = Result<Response, PageError>;

pub fn routes() -> Routes {
    Routes::new()
        .route("/me/duty", get(my_duty))
        .route("/me/duty/items/{id}/sign-up", post(sign_up))
        .route(
            "/me/duty/self-reports",
            post(self_report).layer(DefaultBodyLimit::max(UPLOAD_LIMIT + 256 * 1024)),
        )
        .route("/me/duty-report", get(duty_report).post(save_duty_report))
}

#[derive(Template)]
#[template(path = "my_duty.html")]
struct DutyPage {
    nav: Nav,
    m: MyMenu,
    error: String,
    saved: bool,
    /// The kind chosen for the self-report form (from a menu item's link).
    kind: String,
}

impl DutyPage {
    fn reportable(&self) -> Vec<(&'static str, &'static str)> {
        SELF_REPORTABLE
            .iter()
            .map(|k| (*k, lianxin_domain::scoring::entry_label(k)))
            .collect()
    }
    fn kind_label(&self, k: &str) -> &'static str {
        lianxin_domain::scoring::entry_label(k)
    }
    fn points(&self, centi: &i64) -> String {
        format_points(*centi)
    }
}

async fn duty_page(
    state: &State,
    a: &Auth,
    year: i64,
    error: String,
    saved: bool,
    kind: String,
) -> PageResult {
    let g = a.actor.grant::<JoinActivities>()?;
    let m = menu::my_menu(&state.app, &g, year).await?;
    Ok(page(&DutyPage {
        nav: Nav::for_auth(Some(a)),
        m,
        error,
        saved,
        kind,
    }))
}

async fn my_duty(S(state): S<State>, PageAuth(a): PageAuth, RawQuery(q): RawQuery) -> PageResult {
    a.actor.grant::<JoinActivities>()?;
    let pairs = super::opinions::pairs_of(q.clone())?;
    let saved = super::opinions::get_of(&pairs, "saved").is_some();
    let kind = super::opinions::get_of(&pairs, "kind")
        .unwrap_or("")
        .to_string();
    duty_page(&state, &a, year_of(q)?, String::new(), saved, kind).await
}

/// The year of the page a button was pressed on, to go back to (the item knows its own).
#[derive(serde::Deserialize)]
struct BackTo {
    year: Option<Year>,
}

async fn sign_up(
    S(state): S<State>,
    Path(id): Path<String>,
    f: GrantedForm<JoinActivities, BackTo>,
) -> PageResult {
    let id = id_of(&id)?;
    let year = match f.form.year {
        Some(Year(y)) => y,
        None => year_of(None)?,
    };
    let r = menu::sign_up(&state.app, &f.granted, id).await;
    after_step(r, format!("/me/duty?year={year}&saved=1"), |msg| {
        duty_page(&state, &f.auth, year, msg, false, String::new())
    })
    .await
}

/// The content type of an evidence file, by its name: photos and PDFs; anything else is
/// kept as bytes and downloaded as such.
fn content_type(name: &str) -> &'static str {
    let lower = name.to_ascii_lowercase();
    match lower.rsplit('.').next() {
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("png") => "image/png",
        Some("pdf") => "application/pdf",
        Some("heic") => "image/heic",
        _ => "application/octet-stream",
    }
}

/// A member's own report of duty done offline (线下履职自报), with its evidence file.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct SelfReport {
    year: Option<Year>,
    kind: String,
    item_id: Option<i64>,
    done_on: String,
    description: String,
    evidence_note: String,
}

async fn self_report(S(state): S<State>, m: CsrfMultipart<JoinActivities>) -> PageResult {
    let g = m.granted.clone();
    let f: SelfReport = m.typed()?;
    let file = m
        .file("evidence")
        .map(|(name, bytes)| (name, content_type(name), bytes));
    let i = SelfReportInput {
        kind: &f.kind,
        item_id: f.item_id,
        done_on: &f.done_on,
        description: &f.description,
        evidence_note: &f.evidence_note,
        evidence_file: file,
    };
    // The page it came from; the report's own date decides the year it counts in.
    let year = match f.year {
        Some(Year(y)) => y,
        None => year_of(None)?,
    };
    let r = offline::report(&state.app, &g, &i).await.map(|_| ());
    after_step(r, format!("/me/duty?year={year}&saved=1"), |msg| {
        duty_page(&state, &m.auth, year, msg, false, f.kind.clone())
    })
    .await
}

#[derive(Template)]
#[template(path = "duty_report.html")]
struct StatementPage {
    nav: Nav,
    s: Statement,
    error: String,
    saved: bool,
}

async fn statement_page(
    state: &State,
    a: &Auth,
    year: i64,
    typed: Option<String>,
    error: String,
    saved: bool,
) -> PageResult {
    let g = a.actor.grant::<JoinActivities>()?;
    let mut s = statement::mine(&state.app, &g, year).await?;
    if let Some(t) = typed {
        s.body = t;
    }
    Ok(page(&StatementPage {
        nav: Nav::for_auth(Some(a)),
        s,
        error,
        saved,
    }))
}

async fn duty_report(
    S(state): S<State>,
    PageAuth(a): PageAuth,
    RawQuery(q): RawQuery,
) -> PageResult {
    a.actor.grant::<JoinActivities>()?;
    let saved = q.as_deref().is_some_and(|q| q.contains("saved"));
    statement_page(&state, &a, year_of(q)?, None, String::new(), saved).await
}

/// The member's duty report (述职报告) of a year; `submit=1` hands it in, else it is kept
/// as a draft.
#[derive(serde::Deserialize)]
struct StatementForm {
    year: Year,
    #[serde(default)]
    body: String,
    #[serde(default)]
    submit: String,
}

async fn save_duty_report(
    S(state): S<State>,
    f: GrantedForm<JoinActivities, StatementForm>,
) -> PageResult {
    let Year(year) = f.form.year;
    let body = f.form.body;
    let submit = f.form.submit == "1";
    let r = statement::save(&state.app, &f.granted, year, &body, submit).await;
    after_step(r, format!("/me/duty-report?year={year}&saved=1"), |msg| {
        statement_page(&state, &f.auth, year, Some(body.clone()), msg, false)
    })
    .await
}
