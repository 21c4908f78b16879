//! The member's workspace: the concerns routed to them (filters, reply, internal notes,
//! re-routing requests, opinion-report drafts), the studio lead's reception log, and the
//! services they provide.

use crate::routes::{Routes, get, post};
use askama::Template;
use axum::extract::{Path, RawQuery, State as S};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use lianxin_domain::access::Public;
use lianxin_domain::access::{AnswerConcerns, RecordReception, RecordService};
use lianxin_domain::concern::Status;
use lianxin_service::concerns::intake::{FormOptions, form_options};
use lianxin_service::concerns::steps::{self, Reply};
use lianxin_service::concerns::views::{self, Lines, StaffView};
use lianxin_service::rows::ConcernFilter as Filter;
use lianxin_service::rows::{OfferRow, ServiceBookingRow};
use lianxin_service::{Error, studio_work};

use super::{Nav, filters, page};
use crate::State;
use crate::api::query_pairs;
use crate::error::PageError;
use crate::form::GrantedForm;
use crate::session::{Auth, PageAuth};

type PageResult = Result<Response, PageError>;

pub fn routes() -> Routes {
    Routes::new()
        .route("/me/concerns", get(inbox))
        .route("/me/concerns/{id}", get(detail))
        .route("/me/concerns/{id}/reply", post(reply))
        .route("/me/concerns/{id}/reroute", post(request_reroute))
        .route("/me/concerns/{id}/attachments/{aid}", get(attachment))
        .route("/me/mine", get(mine))
        .route("/me/studio/{id}", get(studio_log))
        .route("/me/studio/{id}/visits", post(add_visit))
        .route("/me/visits/{id}/concern", post(visit_to_concern))
        .route("/me/services/{id}", get(service_work).post(record_delivery))
}

pub fn id_of(s: &str) -> Result<i64, PageError> {
    s.parse()
        .map_err(|_| PageError(Error::not_found("page.not_found", "页面不存在")))
}

/// Filters from a query string: status, category, sector, overdue.
pub fn filter_of(pairs: &[(String, String)]) -> Filter {
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(x, _)| x == k)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    };
    let int = |k: &str| get(k).and_then(|v| v.parse::<i64>().ok());
    let date = |k: &str| {
        get(k)
            .and_then(|v| chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").ok())
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| d.and_utc())
    };
    Filter {
        status: get("status")
            .and_then(Status::parse)
            .map(|s| s.code().to_string()),
        category_id: int("category_id"),
        sector_id: int("sector_id"),
        studio_id: int("studio_id"),
        member_id: int("member_id"),
        overdue_at: get("overdue").map(|_| Utc::now()),
        from: date("from"),
        to: date("to").map(|d| d + chrono::Duration::days(1)),
        ..Filter::default()
    }
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct Inbox {
    nav: Nav,
    lines: Lines,
    options: FormOptions,
    statuses: Vec<(&'static str, &'static str)>,
    q: Vec<(String, String)>,
}

impl Inbox {
    fn q(&self, k: &str) -> &str {
        self.q
            .iter()
            .find(|(x, _)| x == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }
}

pub fn statuses() -> Vec<(&'static str, &'static str)> {
    Status::ALL.iter().map(|s| (s.code(), s.label())).collect()
}

async fn inbox(S(state): S<State>, PageAuth(a): PageAuth, RawQuery(q): RawQuery) -> PageResult {
    let g = a.actor.grant::<AnswerConcerns>()?;
    let pairs = query_pairs(q).map_err(|e| PageError(e.0))?;
    let page_no = pairs
        .iter()
        .find(|(k, _)| k == "page")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(1);
    let lines = views::inbox(&state.app, &g, &filter_of(&pairs), page_no).await?;
    let options = form_options(&state.app, a.actor.committee_id).await?;
    Ok(page(&Inbox {
        nav: Nav::for_auth(Some(&a)),
        lines,
        options,
        statuses: statuses(),
        q: pairs,
    }))
}

#[derive(Template)]
#[template(path = "concern_member.html")]
struct Detail {
    nav: Nav,
    v: StaffView,
    saved: bool,
    error: String,
}

async fn detail_page(state: &State, a: &Auth, id: i64, saved: bool, error: String) -> PageResult {
    let g = a.actor.grant::<AnswerConcerns>()?;
    let v = views::for_member(&state.app, &g, id).await?;
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

/// After a step: back to the page, or the page again with the reason.
async fn after(
    state: &State,
    a: &Auth,
    id: i64,
    r: lianxin_service::Result<()>,
    back: String,
) -> PageResult {
    super::after_step(r, back, |msg| detail_page(state, a, id, false, msg)).await
}

/// A member's reply: the text and who sees it.
#[derive(serde::Deserialize)]
struct ReplyForm {
    #[serde(default)]
    body: String,
    #[serde(default)]
    how: How,
}

/// The radio buttons of the reply form.
#[derive(serde::Deserialize, Default)]
#[serde(rename_all = "snake_case")]
enum How {
    Answer,
    #[default]
    Public,
    Note,
}

async fn reply(
    S(state): S<State>,
    Path(id): Path<String>,
    f: GrantedForm<AnswerConcerns, ReplyForm>,
) -> PageResult {
    let id = id_of(&id)?;
    let how = match f.form.how {
        How::Answer => Reply::Answer,
        How::Note => Reply::InternalNote,
        How::Public => Reply::Public,
    };
    let r = steps::reply(&state.app, &f.granted, id, &f.form.body, how).await;
    after(&state, &f.auth, id, r, format!("/me/concerns/{id}?saved=1")).await
}

/// Asking the office to send a concern elsewhere, and why.
#[derive(serde::Deserialize)]
struct RerouteRequest {
    #[serde(default)]
    reason: String,
}

async fn request_reroute(
    S(state): S<State>,
    Path(id): Path<String>,
    f: GrantedForm<AnswerConcerns, RerouteRequest>,
) -> PageResult {
    let id = id_of(&id)?;
    let r = steps::request_reroute(&state.app, &f.granted, id, &f.form.reason).await;
    after(&state, &f.auth, id, r, format!("/me/concerns/{id}?saved=1")).await
}

/// An attachment, for the member handling the concern or the office.
async fn attachment(
    S(state): S<State>,
    PageAuth(a): PageAuth,
    Path((id, aid)): Path<(String, String)>,
) -> PageResult {
    let (mime, bytes) = views::attachment(&state.app, &a.actor, id_of(&id)?, id_of(&aid)?).await?;
    let mut r = bytes.into_response();
    if let Ok(v) = HeaderValue::from_str(&mime) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    // Shown as a download or inline image, never as a page that could run script.
    r.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("inline"),
    );
    Ok(r)
}

#[derive(Template)]
#[template(path = "my_concerns.html")]
struct Mine {
    nav: Nav,
    lines: Lines,
}

/// A registered person's own concerns.
async fn mine(S(state): S<State>, PageAuth(a): PageAuth) -> PageResult {
    let lines = views::mine(&state.app, &a.actor).await?;
    Ok(page(&Mine {
        nav: Nav::for_auth(Some(&a)),
        lines,
    }))
}

#[derive(Template)]
#[template(path = "studio_log.html")]
struct StudioLog {
    nav: Nav,
    studio_id: i64,
    studio: String,
    log: studio_work::Log,
    options: FormOptions,
    today: String,
    saved: bool,
}

async fn studio_log(
    S(state): S<State>,
    PageAuth(a): PageAuth,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> PageResult {
    let id = id_of(&id)?;
    let g = a.actor.grant::<RecordReception>()?;
    let log = studio_work::log(&state.app, &g, id).await?;
    let studio = lianxin_service::records::public_get(
        &state.app,
        Public,
        a.actor.committee_id,
        &lianxin_domain::schema::STUDIO,
        id,
    )
    .await?
    .title;
    Ok(page(&StudioLog {
        nav: Nav::for_auth(Some(&a)),
        studio_id: id,
        studio,
        log,
        options: form_options(&state.app, a.actor.committee_id).await?,
        today: studio_work::today(),
        saved: q.is_some_and(|q| q.contains("saved")),
    }))
}

/// A visit received at a studio (接待), as the studio log's form sends it.
#[derive(serde::Deserialize)]
struct Visit {
    #[serde(default)]
    visited_on: String,
    member_id: Option<i64>,
    #[serde(default)]
    visitor: String,
    #[serde(default)]
    topic: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    outcome: String,
}

async fn add_visit(
    S(state): S<State>,
    Path(id): Path<String>,
    f: GrantedForm<RecordReception, Visit>,
) -> PageResult {
    let id = id_of(&id)?;
    let v = &f.form;
    let v = studio_work::VisitInput {
        visited_on: &v.visited_on,
        member_id: v.member_id,
        visitor: &v.visitor,
        topic: &v.topic,
        summary: &v.summary,
        outcome: &v.outcome,
    };
    studio_work::log_visit(&state.app, &f.granted, id, &v).await?;
    Ok(Redirect::to(&format!("/me/studio/{id}?saved=1")).into_response())
}

/// Turning a visit into a concern: its category and area.
#[derive(serde::Deserialize)]
struct VisitConcern {
    category_id: Option<i64>,
    #[serde(default)]
    area: String,
}

async fn visit_to_concern(
    S(state): S<State>,
    Path(id): Path<String>,
    f: GrantedForm<RecordReception, VisitConcern>,
) -> PageResult {
    let code = studio_work::visit_to_concern(
        &state.app,
        &f.granted,
        id_of(&id)?,
        f.form.category_id,
        &f.form.area,
    )
    .await?;
    Ok(Redirect::to(&format!("/c/{code}")).into_response())
}

#[derive(Template)]
#[template(path = "service_work.html")]
struct ServiceWork {
    nav: Nav,
    offer: OfferRow,
    bookings: Vec<ServiceBookingRow>,
    deliveries: Vec<(String, i64, String)>,
    today: String,
    saved: bool,
}

impl ServiceWork {
    fn rating_label(&self, code: &str) -> &'static str {
        lianxin_domain::concern::Rating::parse(code)
            .map(|r| r.label())
            .unwrap_or("")
    }
}

async fn service_work(
    S(state): S<State>,
    PageAuth(a): PageAuth,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> PageResult {
    let g = a.actor.grant::<RecordService>()?;
    let (offer, bookings, deliveries) =
        studio_work::offer_work(&state.app, &g, id_of(&id)?).await?;
    Ok(page(&ServiceWork {
        nav: Nav::for_auth(Some(&a)),
        offer,
        bookings,
        deliveries,
        today: studio_work::today(),
        saved: q.is_some_and(|q| q.contains("saved")),
    }))
}

/// One delivery of a service offer: when, for how many people, what was done.
#[derive(serde::Deserialize)]
struct Delivery {
    #[serde(default)]
    delivered_on: String,
    #[serde(default)]
    people_count: String,
    #[serde(default)]
    summary: String,
}

async fn record_delivery(
    S(state): S<State>,
    Path(id): Path<String>,
    f: GrantedForm<RecordService, Delivery>,
) -> PageResult {
    let id = id_of(&id)?;
    let d = &f.form;
    studio_work::record_delivery(
        &state.app,
        &f.granted,
        id,
        &d.delivered_on,
        &d.people_count,
        &d.summary,
    )
    .await?;
    Ok(Redirect::to(&format!("/me/services/{id}?saved=1")).into_response())
}
