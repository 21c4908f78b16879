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
use crate::session::{Auth, CsrfForm, CsrfMultipart, PageAuth};
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
    let pairs = super::opinions::pairs_of(q.clone())?;
    let saved = super::opinions::get_of(&pairs, "saved").is_some();
    let kind = super::opinions::get_of(&pairs, "kind")
        .unwrap_or("")
        .to_string();
    duty_page(&state, &a, year_of(q)?, String::new(), saved, kind).await
}

async fn sign_up(S(state): S<State>, Path(id): Path<String>, f: CsrfForm) -> PageResult {
    let g = f.auth.actor.grant::<JoinActivities>()?;
    let year = year_of(f.form.get("year").map(|y| format!("year={y}")))?;
    let r = menu::sign_up(&state.app, &g, id_of(&id)?).await;
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

async fn self_report(S(state): S<State>, m: CsrfMultipart<JoinActivities>) -> PageResult {
    let g = m.granted.clone();
    let get = |k: &str| m.field(k);
    let file = m
        .file("evidence")
        .map(|(name, bytes)| (name, content_type(name), bytes));
    let i = SelfReportInput {
        kind: get("kind"),
        item_id: get("item_id").parse().ok(),
        done_on: get("done_on"),
        description: get("description"),
        evidence_note: get("evidence_note"),
        evidence_file: file,
    };
    let year = year_of(Some(format!("year={}", get("year"))))?;
    let r = offline::report(&state.app, &g, &i).await.map(|_| ());
    after_step(r, format!("/me/duty?year={year}&saved=1"), |msg| {
        duty_page(&state, &m.auth, year, msg, false, get("kind").to_string())
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
    let saved = q.as_deref().is_some_and(|q| q.contains("saved"));
    statement_page(&state, &a, year_of(q)?, None, String::new(), saved).await
}

async fn save_duty_report(S(state): S<State>, f: CsrfForm) -> PageResult {
    let g = f.auth.actor.grant::<JoinActivities>()?;
    let year = year_of(f.form.get("year").map(|y| format!("year={y}")))?;
    let body = f.form.get("body").unwrap_or("").to_string();
    let submit = f.form.get("submit") == Some("1");
    let r = statement::save(&state.app, &g, year, &body, submit).await;
    after_step(r, format!("/me/duty-report?year={year}&saved=1"), |msg| {
        statement_page(&state, &f.auth, year, Some(body.clone()), msg, false)
    })
    .await
}
