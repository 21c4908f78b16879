//! The office's year of duty: the scoring rules of each year (edited or uploaded, errors by
//! line, closing the year), the duty menu, members' self-reports to confirm, corrections to
//! the duty log, the members' duty reports and the annual report to the standing committee.

use crate::routes::{Routes, get, post};
use askama::Template;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State as S};
use axum::response::{IntoResponse, Redirect, Response};
use lianxin_domain::access::{ConfirmDuty, ManageDutyYear, ViewOrganisation};
use lianxin_service::duty::annual::{self, Format};
use lianxin_service::duty::menu::{self, CONFIRMERS, ItemInput, MenuView};
use lianxin_service::duty::offline::{self, CorrectionInput};
use lianxin_service::duty::rules::{self, RulesView};
use lianxin_service::duty::statement::{self, StatementLine};
use lianxin_service::rows::SelfReportRow;

use super::archive::year_of;
use super::opinions::{get_of, pairs_of};
use super::workspace::id_of;
use super::{Nav, after_step, download, filters, page};
use crate::error::PageError;
use crate::form::{GrantedForm, Year};
use crate::session::{Auth, CsrfMultipart, PageAuth};
use crate::{State, UPLOAD_LIMIT};

type PageResult = Result<Response, PageError>;

pub fn routes() -> Routes {
    Routes::new()
        .route(
            "/office/scoring",
            get(scoring)
                .post(save_rules)
                .layer(DefaultBodyLimit::max(UPLOAD_LIMIT)),
        )
        .route("/office/scoring/close", post(close_year))
        .route("/office/duty-menu", get(duty_menu).post(add_item))
        .route("/office/duty-menu/publish", post(publish_menu))
        .route("/office/self-reports", get(self_reports))
        .route("/office/self-reports/{id}/decide", post(decide))
        .route("/office/self-reports/{id}/evidence", get(evidence))
        .route("/office/duty/entries/{id}/correct", post(correct))
        .route("/office/duty-reports", get(duty_reports))
        .route("/office/annual-report", get(annual_report))
}

/// The year a form is about: its `year` field, checked like the query's.

#[derive(Template)]
#[template(path = "scoring.html")]
struct ScoringPage {
    nav: Nav,
    v: RulesView,
    errors: Vec<String>,
    saved: bool,
}

async fn scoring_page(
    state: &State,
    a: &Auth,
    year: i64,
    typed: Option<String>,
    errors: Vec<String>,
    saved: bool,
) -> PageResult {
    let g = a.actor.grant::<ManageDutyYear>()?;
    let mut v = rules::view(&state.app, &g, year).await?;
    if let Some(t) = typed {
        v.source = t;
    }
    let status = if errors.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut r = page(&ScoringPage {
        nav: Nav::for_auth(Some(a)),
        v,
        errors,
        saved,
    });
    *r.status_mut() = status;
    Ok(r)
}

async fn scoring(S(state): S<State>, PageAuth(a): PageAuth, RawQuery(q): RawQuery) -> PageResult {
    a.actor.grant::<ManageDutyYear>()?;
    let saved = q.as_deref().is_some_and(|q| q.contains("saved"));
    scoring_page(&state, &a, year_of(q)?, None, vec![], saved).await
}

/// Save the rules typed in the editor, or the uploaded file when one is given. Every error
/// is listed with its line and nothing is saved.
async fn save_rules(S(state): S<State>, m: CsrfMultipart<ManageDutyYear>) -> PageResult {
    let g = m.granted.clone();
    let Year(year) = m.typed::<OfYear>()?.year;
    let source = match m.file("file") {
        Some((_, bytes)) => String::from_utf8_lossy(bytes).into_owned(),
        None => m.field("source").to_string(),
    };
    match rules::save(&state.app, &g, year, &source).await {
        Ok(()) => Ok(Redirect::to(&format!("/office/scoring?year={year}&saved=1")).into_response()),
        Err(lianxin_service::Error::Invalid(e)) => {
            let errors = e.0.into_iter().map(|f| f.message).collect();
            let mut r = scoring_page(&state, &m.auth, year, Some(source), errors, false).await?;
            r.headers_mut().insert(
                "x-lianxin-error",
                axum::http::HeaderValue::from_static("scoring.invalid_rules"),
            );
            Ok(r)
        }
        Err(e) => {
            after_step(Err(e), String::new(), |msg| {
                scoring_page(&state, &m.auth, year, Some(source), vec![msg], false)
            })
            .await
        }
    }
}

/// A form about one duty year and nothing else (closing it, publishing its menu).
#[derive(serde::Deserialize)]
pub(super) struct OfYear {
    pub year: Year,
}

async fn close_year(S(state): S<State>, f: GrantedForm<ManageDutyYear, OfYear>) -> PageResult {
    let Year(year) = f.form.year;
    let r = rules::close(&state.app, &f.granted, year).await.map(|_| ());
    after_step(r, format!("/office/scoring?year={year}&saved=1"), |msg| {
        scoring_page(&state, &f.auth, year, None, vec![msg], false)
    })
    .await
}

#[derive(Template)]
#[template(path = "duty_menu.html")]
struct MenuPage {
    nav: Nav,
    m: MenuView,
    error: String,
    saved: bool,
}

impl MenuPage {
    fn kinds(&self) -> &'static [(&'static str, &'static str)] {
        lianxin_domain::scoring::ENTRY_KINDS
    }
    fn confirmers(&self) -> &'static [(&'static str, &'static str)] {
        CONFIRMERS
    }
    fn kind_label(&self, k: &str) -> &'static str {
        lianxin_domain::scoring::entry_label(k)
    }
    fn confirmer_label(&self, c: &str) -> &'static str {
        menu::confirmer_label(c)
    }
}

async fn menu_page(state: &State, a: &Auth, year: i64, error: String, saved: bool) -> PageResult {
    let g = a.actor.grant::<ManageDutyYear>()?;
    let m = menu::office_menu(&state.app, &g, year).await?;
    Ok(page(&MenuPage {
        nav: Nav::for_auth(Some(a)),
        m,
        error,
        saved,
    }))
}

async fn duty_menu(S(state): S<State>, PageAuth(a): PageAuth, RawQuery(q): RawQuery) -> PageResult {
    a.actor.grant::<ManageDutyYear>()?;
    let saved = q.as_deref().is_some_and(|q| q.contains("saved"));
    menu_page(&state, &a, year_of(q)?, String::new(), saved).await
}

/// An item of the duty menu (履职菜单): what, what counts as evidence, who confirms it.
#[derive(serde::Deserialize)]
struct Item {
    year: Year,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    evidence: String,
    #[serde(default)]
    confirmer: String,
    #[serde(default)]
    places: String,
}

async fn add_item(S(state): S<State>, f: GrantedForm<ManageDutyYear, Item>) -> PageResult {
    let it = &f.form;
    let Year(year) = it.year;
    let i = ItemInput {
        kind: &it.kind,
        title: &it.title,
        description: &it.description,
        evidence: &it.evidence,
        confirmer: &it.confirmer,
        places: &it.places,
    };
    let r = menu::add_item(&state.app, &f.granted, year, &i)
        .await
        .map(|_| ());
    after_step(r, format!("/office/duty-menu?year={year}&saved=1"), |msg| {
        menu_page(&state, &f.auth, year, msg, false)
    })
    .await
}

async fn publish_menu(S(state): S<State>, f: GrantedForm<ManageDutyYear, OfYear>) -> PageResult {
    let Year(year) = f.form.year;
    let r = menu::publish(&state.app, &f.granted, year).await;
    after_step(r, format!("/office/duty-menu?year={year}&saved=1"), |msg| {
        menu_page(&state, &f.auth, year, msg, false)
    })
    .await
}

#[derive(Template)]
#[template(path = "self_reports.html")]
struct ReportsPage {
    nav: Nav,
    reports: Vec<SelfReportRow>,
    error: String,
}

impl ReportsPage {
    fn kind_label(&self, k: &str) -> &'static str {
        lianxin_domain::scoring::entry_label(k)
    }
    fn pending(&self) -> usize {
        self.reports
            .iter()
            .filter(|r| r.status == "pending")
            .count()
    }
}

async fn reports_page(state: &State, a: &Auth, error: String) -> PageResult {
    let g = a.actor.grant::<ConfirmDuty>()?;
    let reports = offline::queue(&state.app, &g).await?;
    Ok(page(&ReportsPage {
        nav: Nav::for_auth(Some(a)),
        reports,
        error,
    }))
}

async fn self_reports(S(state): S<State>, PageAuth(a): PageAuth) -> PageResult {
    reports_page(&state, &a, String::new()).await
}

/// Confirming or refusing a member's self-report; a refusal says why.
#[derive(serde::Deserialize)]
struct Decision {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
}

async fn decide(
    S(state): S<State>,
    Path(id): Path<String>,
    f: GrantedForm<ConfirmDuty, Decision>,
) -> PageResult {
    let confirm = f.form.decision == "confirm";
    let r = offline::decide(&state.app, &f.granted, id_of(&id)?, confirm, &f.form.reason).await;
    after_step(r, "/office/self-reports".into(), |msg| {
        reports_page(&state, &f.auth, msg)
    })
    .await
}

async fn evidence(S(state): S<State>, PageAuth(a): PageAuth, Path(id): Path<String>) -> PageResult {
    let g = a.actor.grant::<ConfirmDuty>()?;
    let (name, mime, bytes) = offline::evidence(&state.app, &g, id_of(&id)?).await?;
    Ok(download(&name, &mime, bytes, "evidence"))
}

/// A correction from the member's archive, back to the archive.
/// A correction of one duty-log entry: what to do to it, and why.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Correction {
    action: String,
    kind: String,
    role: String,
    reason: String,
}

async fn correct(
    S(state): S<State>,
    Path(id): Path<String>,
    f: GrantedForm<ManageDutyYear, Correction>,
) -> PageResult {
    let c = &f.form;
    let i = CorrectionInput {
        action: &c.action,
        kind: &c.kind,
        role: &c.role,
        reason: &c.reason,
    };
    let member = offline::correct(&state.app, &f.granted, id_of(&id)?, &i).await?;
    Ok(Redirect::to(&format!("/office/members/{member}/archive")).into_response())
}

#[derive(Template)]
#[template(path = "duty_reports.html")]
struct DutyReportsPage {
    nav: Nav,
    year: i64,
    lines: Vec<StatementLine>,
}

impl DutyReportsPage {
    fn missing_standing(&self) -> usize {
        self.lines
            .iter()
            .filter(|l| l.standing && !l.submitted())
            .count()
    }
    fn submitted(&self) -> usize {
        self.lines.iter().filter(|l| l.submitted()).count()
    }
}

async fn duty_reports(
    S(state): S<State>,
    PageAuth(a): PageAuth,
    RawQuery(q): RawQuery,
) -> PageResult {
    let g = a.actor.grant::<ViewOrganisation>()?;
    let year = year_of(q)?;
    let lines = statement::all(&state.app, &g, year).await?;
    Ok(page(&DutyReportsPage {
        nav: Nav::for_auth(Some(&a)),
        year,
        lines,
    }))
}

/// The annual report as a file: `?year=2026&format=pdf|xlsx|html`.
async fn annual_report(
    S(state): S<State>,
    PageAuth(a): PageAuth,
    RawQuery(q): RawQuery,
) -> PageResult {
    let g = a.actor.grant::<ManageDutyYear>()?;
    let pairs = pairs_of(q.clone())?;
    let format = Format::parse(get_of(&pairs, "format").unwrap_or("pdf")).ok_or_else(|| {
        PageError(lianxin_service::Error::not_found(
            "report.unknown_format",
            "报告格式应为 pdf、xlsx 或 html",
        ))
    })?;
    let year = year_of(q)?;
    let (mime, ext) = (format.mime(), format.extension());
    let bytes = annual::download(&state.app, &g, year, format).await?;
    Ok(download(
        &format!("annual-report-{year}.{ext}"),
        mime,
        bytes,
        "annual-report",
    ))
}
