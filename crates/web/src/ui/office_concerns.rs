//! The office's concern pages: every concern with filters and figures, one concern with
//! re-routing, closing and resolving; the notification outbox; Open311 keys.

use crate::routes::{Routes, get, post};
use askama::Template;
use axum::extract::{Path, RawQuery, State as S};
use axum::response::Response;
use lianxin_domain::access::{HandleConcerns, ManageOpen311};
use lianxin_domain::concern::{CloseReason, Status, Target};
use lianxin_service::concerns::intake::{FormOptions, form_options};
use lianxin_service::concerns::steps;
use lianxin_service::concerns::views::{self, Figures, Lines, MIN_RATED, StaffView};
use lianxin_service::rows::MessageRow;
use lianxin_service::{Error, open311};

use super::workspace::{filter_of, id_of, statuses};
use super::{Nav, filters, page};
use crate::State;
use crate::api::query_pairs;
use crate::error::PageError;
use crate::form::{Button, GrantedForm};
use crate::session::{Auth, PageAuth};

type PageResult = Result<Response, PageError>;

pub fn routes() -> Routes {
    Routes::new()
        .route("/office/concerns", get(list))
        .route("/office/concerns/{id}", get(detail))
        .route("/office/concerns/{id}/reroute", post(reroute))
        .route("/office/concerns/{id}/close", post(close))
        .route("/office/concerns/{id}/resolve", post(resolve))
        .route("/office/outbox", get(outbox))
        .route("/office/open311", get(keys).post(issue_key))
}

type Options = Vec<(i64, String)>;

#[derive(Template)]
#[template(path = "office_concerns.html")]
struct List {
    nav: Nav,
    lines: Lines,
    figures: Figures,
    min_rated: usize,
    options: FormOptions,
    studios: Options,
    statuses: Vec<(&'static str, &'static str)>,
    q: Vec<(String, String)>,
    query_base: String,
}

impl List {
    fn q(&self, k: &str) -> &str {
        self.q
            .iter()
            .find(|(x, _)| x == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }
    fn pages(&self) -> i64 {
        ((self.lines.total + self.lines.per_page - 1) / self.lines.per_page).max(1)
    }
    fn hours(v: &Option<f64>) -> String {
        v.map(|h| {
            if h < 48.0 {
                format!("{h:.1} 小时")
            } else {
                format!("{:.1} 天", h / 24.0)
            }
        })
        .unwrap_or_else(|| "—".into())
    }
}

async fn list(S(state): S<State>, PageAuth(a): PageAuth, RawQuery(q): RawQuery) -> PageResult {
    let g = a.actor.grant::<HandleConcerns>()?;
    let pairs = query_pairs(q).map_err(|e| PageError(e.0))?;
    let page_no = pairs
        .iter()
        .find(|(k, _)| k == "page")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(1);
    let f = filter_of(&pairs);
    let lines = views::office_list(&state.app, &g, &f, page_no).await?;
    let figures = views::figures(&state.app, &g, &f).await?;
    let (studios, _, _, _) = views::targets(&state.app, g.committee_id()).await?;
    let base: Vec<(String, String)> = pairs.iter().filter(|(k, _)| k != "page").cloned().collect();
    Ok(page(&List {
        nav: Nav::for_auth(Some(&a)),
        lines,
        figures,
        min_rated: MIN_RATED,
        options: form_options(&state.app, g.committee_id()).await?,
        studios,
        statuses: statuses(),
        q: pairs,
        query_base: serde_urlencoded::to_string(&base).unwrap_or_default(),
    }))
}

#[derive(Template)]
#[template(path = "office_concern.html")]
struct Detail {
    nav: Nav,
    v: StaffView,
    saved: bool,
    error: String,
    studios: Options,
    members: Options,
    specials: Options,
    units: Options,
    reasons: Vec<(&'static str, &'static str)>,
}

async fn detail_page(state: &State, a: &Auth, id: i64, saved: bool, error: String) -> PageResult {
    let g = a.actor.grant::<HandleConcerns>()?;
    let v = views::for_office(&state.app, &g, id).await?;
    let (studios, members, specials, units) = views::targets(&state.app, g.committee_id()).await?;
    let reasons = [
        CloseReason::NotResponsible,
        CloseReason::Duplicate,
        CloseReason::Referred,
    ]
    .iter()
    .map(|r| (r.code(), r.label()))
    .collect();
    let status = if error.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::CONFLICT
    };
    let mut r = page(&Detail {
        nav: Nav::for_auth(Some(a)),
        v,
        saved,
        error,
        studios,
        members,
        specials,
        units,
        reasons,
    });
    *r.status_mut() = status;
    Ok(r)
}

async fn detail(
    S(state): S<State>,
    PageAuth(a): PageAuth,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> PageResult {
    detail_page(
        &state,
        &a,
        id_of(&id)?,
        q.is_some_and(|q| q.contains("saved")),
        String::new(),
    )
    .await
}

async fn after(state: &State, a: &Auth, id: i64, r: lianxin_service::Result<()>) -> PageResult {
    super::after_step(r, format!("/office/concerns/{id}?saved=1"), |msg| {
        detail_page(state, a, id, false, msg)
    })
    .await
}

/// The re-routing form: where to (`studio:3`, `member:12`, `special_committee:2`) and why.
#[derive(serde::Deserialize)]
struct Reroute {
    #[serde(default, deserialize_with = "serde_html_form::de::empty_as_none")]
    target: Option<Target>,
    #[serde(default)]
    why: String,
}

async fn reroute(
    S(state): S<State>,
    Path(id): Path<String>,
    f: GrantedForm<HandleConcerns, Reroute>,
) -> PageResult {
    let id = id_of(&id)?;
    let r = match f.form.target {
        Some(t) => steps::reroute(&state.app, &f.granted, id, t, &f.form.why).await,
        None => Err(Error::Invalid(lianxin_domain::Invalid::one(
            "target",
            "required",
            "请选择分派对象",
        ))),
    };
    after(&state, &f.auth, id, r).await
}

/// Closing a concern without an answer: why, and what it duplicates or who took it over.
#[derive(serde::Deserialize)]
struct Close {
    #[serde(default, deserialize_with = "serde_html_form::de::empty_as_none")]
    reason: Option<CloseReason>,
    duplicate_of: Option<i64>,
    unit_id: Option<i64>,
    #[serde(default)]
    explanation: String,
}

async fn close(
    S(state): S<State>,
    Path(id): Path<String>,
    f: GrantedForm<HandleConcerns, Close>,
) -> PageResult {
    let id = id_of(&id)?;
    let c = f.form;
    let r = match c.reason {
        Some(reason) => {
            steps::close(
                &state.app,
                &f.granted,
                id,
                reason,
                c.duplicate_of,
                c.unit_id,
                &c.explanation,
            )
            .await
        }
        None => Err(Error::Invalid(lianxin_domain::Invalid::one(
            "reason",
            "required",
            "请选择关闭原因",
        ))),
    };
    after(&state, &f.auth, id, r).await
}

async fn resolve(
    S(state): S<State>,
    Path(id): Path<String>,
    f: GrantedForm<HandleConcerns, Button>,
) -> PageResult {
    let id = id_of(&id)?;
    let r = steps::resolve(&state.app, &f.granted, id).await;
    after(&state, &f.auth, id, r).await
}

#[derive(Template)]
#[template(path = "outbox.html")]
struct Outbox {
    nav: Nav,
    messages: Vec<MessageRow>,
}

async fn outbox(S(state): S<State>, PageAuth(a): PageAuth) -> PageResult {
    let g = a.actor.grant::<HandleConcerns>()?;
    let messages = views::outbox(&state.app, &g).await?;
    Ok(page(&Outbox {
        nav: Nav::for_auth(Some(&a)),
        messages,
    }))
}

#[derive(Template)]
#[template(path = "open311_keys.html")]
struct Keys {
    nav: Nav,
    clients: Vec<(i64, String, bool)>,
    new_key: String,
}

async fn keys(S(state): S<State>, PageAuth(a): PageAuth) -> PageResult {
    let g = a.actor.grant::<ManageOpen311>()?;
    let clients = open311::clients(&state.app, &g).await?;
    Ok(page(&Keys {
        nav: Nav::for_auth(Some(&a)),
        clients,
        new_key: String::new(),
    }))
}

/// A new Open311 client: its name.
#[derive(serde::Deserialize)]
struct NewClient {
    #[serde(default)]
    name: String,
}

async fn issue_key(S(state): S<State>, f: GrantedForm<ManageOpen311, NewClient>) -> PageResult {
    let g = f.granted;
    let new_key = open311::issue_key(&state.app, &g, &f.form.name).await?;
    let clients = open311::clients(&state.app, &g).await?;
    Ok(page(&Keys {
        nav: Nav::for_auth(Some(&f.auth)),
        clients,
        new_key,
    }))
}

#[allow(dead_code)]
fn _status_in_templates(s: Status) -> &'static str {
    s.label()
}
