//! The people's side of concerns and studio services, no account needed: the phone-first
//! form (from a studio's or member's page, or on its own), the status page at `/c/{code}`
//! with rating, reopening and the follow-up question; booking receptions and services.

use crate::routes::{Routes, get, post};
use askama::Template;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State as S};
use axum::response::{IntoResponse, Redirect, Response};
use lianxin_domain::access::Public;
use lianxin_domain::concern::{FollowUp, MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS, Rating, Status};
use lianxin_domain::schema::{MEMBER, STUDIO};
use lianxin_service::concerns::intake::{FormOptions, Origin, Submission, form_options, submit};
use lianxin_service::concerns::{steps, views};
use lianxin_service::rows::ServiceBookingRow;
use lianxin_service::{Error, overview, records, studio_work};

use super::{Nav, filters, page};
use crate::State;
use crate::api::query_pairs;
use crate::body::{FormPairs, WithStatus};
use crate::error::{PageError, describe, status_of};
use crate::session::{ClientIp, MaybeAuth, PublicMultipart, constant_eq};

type PageResult = Result<Response, PageError>;

pub fn routes() -> Routes {
    Routes::new()
        .route("/concerns/new", get(new_form))
        .route(
            "/concerns",
            // Five attachments of 10 MB each, and the text.
            post(create).layer(DefaultBodyLimit::max(
                MAX_ATTACHMENTS * MAX_ATTACHMENT_BYTES + 1024 * 1024,
            )),
        )
        .route("/c/{code}", get(status))
        .route("/c/{code}/rate", post(rate))
        .route("/c/{code}/reopen", post(reopen))
        .route("/c/{code}/follow-up", post(follow_up))
        .route("/reception/{slot}/book", post(book_reception))
        .route("/services/{offer}/book", post(book_service))
        .route("/s/{code}", get(service_booking).post(rate_service))
}

fn id_of(s: &str) -> Result<i64, PageError> {
    s.parse()
        .map_err(|_| PageError(Error::not_found("page.not_found", "页面不存在")))
}

#[derive(Template)]
#[template(path = "concern_new.html")]
struct NewConcern {
    nav: Nav,
    committee: String,
    options: FormOptions,
    /// "工作室：…" or "委员：…" when the form came from their page.
    to: String,
    origin: String,
    key: String,
    error: String,
    fields: Vec<(String, String)>,
}

impl NewConcern {
    fn value(&self, k: &str) -> &str {
        self.fields
            .iter()
            .find(|(x, _)| x == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }
    fn selected(&self, k: &str, id: &i64) -> bool {
        self.value(k) == id.to_string()
    }
}

/// `?studio=ID` or `?member=ID`: the form was opened from their page (or its QR code).
async fn origin_of(
    state: &State,
    cid: i64,
    pairs: &[(String, String)],
) -> Result<(Origin, String, String), PageError> {
    let get = |k: &str| pairs.iter().find(|(x, _)| x == k).map(|(_, v)| v.clone());
    if let Some(s) = get("studio").filter(|v| !v.is_empty()) {
        let id = id_of(&s)?;
        let item = records::public_get(&state.app, Public, cid, &STUDIO, id).await?;
        return Ok((
            Origin::Studio(id),
            format!("工作室：{}", item.title),
            format!("studio={id}"),
        ));
    }
    if let Some(m) = get("member").filter(|v| !v.is_empty()) {
        let id = id_of(&m)?;
        let item = records::public_get(&state.app, Public, cid, &MEMBER, id).await?;
        return Ok((
            Origin::Member(id),
            format!("委员：{}", item.title),
            format!("member={id}"),
        ));
    }
    Ok((Origin::Online, String::new(), String::new()))
}

async fn new_form(
    S(state): S<State>,
    MaybeAuth(auth): MaybeAuth,
    RawQuery(q): RawQuery,
) -> PageResult {
    let pairs = query_pairs(q).map_err(|e| PageError(e.0))?;
    let committee = overview::committee_of(&state.app, None).await?;
    let (_, to, origin) = origin_of(&state, committee.0, &pairs).await?;
    Ok(page(&NewConcern {
        nav: Nav::for_auth(auth.as_ref()),
        committee: committee.1.clone(),
        options: form_options(&state.app, committee.0).await?,
        to,
        origin,
        key: lianxin_service::crypto::random_token(),
        error: String::new(),
        fields: vec![("publish".into(), "on".into())],
    }))
}

/// The public concern form (也可匿名). Text is checked by the intake use case; the
/// category and sector must be ids of ours.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ConcernForm {
    title: String,
    detail: String,
    category_id: Option<i64>,
    area: String,
    sector_id: Option<i64>,
    name: String,
    phone: String,
    /// The box says "do not publish my concern".
    #[serde(deserialize_with = "crate::form::checkbox")]
    private: bool,
    idempotency_key: String,
    /// Hidden from people; a robot fills it in.
    website: String,
}

impl ConcernForm {
    fn submission(self, files: &[(String, String, Vec<u8>)]) -> Submission {
        Submission {
            title: self.title,
            detail: self.detail,
            category_id: self.category_id,
            area: self.area,
            sector_id: self.sector_id,
            name: self.name,
            phone: self.phone,
            publish: !self.private,
            attachments: files
                .iter()
                .filter(|(n, _, _)| n == "attachments")
                .map(|(_, f, b)| (f.clone(), b.clone()))
                .collect(),
            idempotency_key: self.idempotency_key,
            honeypot: self.website,
            lat: None,
            lon: None,
        }
    }
}

async fn create(
    S(state): S<State>,
    MaybeAuth(auth): MaybeAuth,
    ClientIp(ip): ClientIp,
    m: PublicMultipart,
) -> PageResult {
    let get = |k: &str| {
        m.fields
            .iter()
            .find(|(x, _)| x == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let committee = overview::committee_of(&state.app, None).await?;
    let origin_pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(&get("origin")).unwrap_or_default();
    let (origin, to, origin_q) = origin_of(&state, committee.0, &origin_pairs).await?;
    // A signed-in person's concern is theirs only if the form came from our page in their session.
    let user = auth
        .as_ref()
        .filter(|a| constant_eq(&get("_csrf"), &a.csrf))
        .map(|a| &a.actor);
    // A field of the wrong type is shown on the form like any other mistake.
    let r = match crate::form::typed::<ConcernForm>(&m.fields) {
        Ok(f) => {
            let s = f.submission(&m.files);
            submit(&state.app, committee.0, s, origin, &ip, user).await
        }
        Err(inv) => Err(Error::Invalid(inv)),
    };
    match r {
        Ok(done) => Ok(Redirect::to(&format!("/c/{}?new=1", done.code)).into_response()),
        Err(e @ (Error::Invalid(_) | Error::TooMany { .. })) => {
            let status = status_of(&e);
            let mut fields = m.fields.clone();
            fields.retain(|(k, _)| k != "website");
            let res = page(&NewConcern {
                nav: Nav::for_auth(auth.as_ref()),
                committee: committee.1.clone(),
                options: form_options(&state.app, committee.0).await?,
                to,
                origin: origin_q,
                key: get("idempotency_key"),
                error: describe(&e).1,
                fields,
            });
            let mut res = res.into_response_with(status);
            if let Error::TooMany {
                retry_after_secs, ..
            } = e
                && let Ok(v) = axum::http::HeaderValue::from_str(&retry_after_secs.to_string())
            {
                res.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
            }
            Ok(res)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "concern_status.html")]
struct StatusPage {
    nav: Nav,
    c: views::PublicView,
    new: bool,
    error: String,
    ratings: Vec<(&'static str, &'static str)>,
    follow_ups: Vec<(&'static str, &'static str)>,
}

impl StatusPage {
    fn status_class(&self) -> &'static str {
        match self.c.status {
            Status::Resolved => "done",
            Status::Closed => "closed",
            Status::Answered => "answered",
            _ => "open",
        }
    }
}

async fn status_page(
    state: &State,
    auth: Option<&crate::session::Auth>,
    code: &str,
    new: bool,
    error: String,
) -> PageResult {
    let c = views::public_view(&state.app, Public, code).await?;
    let status = if error.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::CONFLICT
    };
    Ok(page(&StatusPage {
        nav: Nav::for_auth(auth),
        c,
        new,
        error,
        ratings: Rating::ALL.iter().map(|r| (r.code(), r.label())).collect(),
        follow_ups: FollowUp::ALL
            .iter()
            .map(|f| (f.code(), f.label()))
            .collect(),
    })
    .into_response_with(status))
}

async fn status(
    S(state): S<State>,
    MaybeAuth(auth): MaybeAuth,
    Path(code): Path<String>,
    RawQuery(q): RawQuery,
) -> PageResult {
    status_page(
        &state,
        auth.as_ref(),
        &code,
        q.is_some_and(|q| q.contains("new=1")),
        String::new(),
    )
    .await
}

/// After a step by the person: back to the page, or the page with the reason it failed.
async fn after(
    state: &State,
    auth: Option<&crate::session::Auth>,
    code: &str,
    r: lianxin_service::Result<()>,
) -> PageResult {
    match r {
        Ok(()) => Ok(Redirect::to(&format!("/c/{code}")).into_response()),
        Err(e @ (Error::Conflict { .. } | Error::Invalid(_))) => {
            let status = status_of(&e);
            Ok(status_page(state, auth, code, false, describe(&e).1)
                .await?
                .into_response_with(status))
        }
        Err(e) => Err(e.into()),
    }
}

async fn rate(
    S(state): S<State>,
    MaybeAuth(auth): MaybeAuth,
    Path(code): Path<String>,
    f: FormPairs,
) -> PageResult {
    let r = steps::rate(
        &state.app,
        &code,
        f.get("rating").unwrap_or(""),
        f.get("comment").unwrap_or(""),
    )
    .await;
    after(&state, auth.as_ref(), &code, r).await
}

async fn reopen(
    S(state): S<State>,
    MaybeAuth(auth): MaybeAuth,
    Path(code): Path<String>,
    f: FormPairs,
) -> PageResult {
    let r = steps::reopen(&state.app, &code, f.get("reason").unwrap_or("")).await;
    after(&state, auth.as_ref(), &code, r).await
}

async fn follow_up(
    S(state): S<State>,
    MaybeAuth(auth): MaybeAuth,
    Path(code): Path<String>,
    f: FormPairs,
) -> PageResult {
    let r = steps::answer_follow_up(&state.app, &code, f.get("answer").unwrap_or("")).await;
    after(&state, auth.as_ref(), &code, r).await
}

#[derive(Template)]
#[template(path = "message.html")]
struct Message {
    nav: Nav,
    title: String,
    body: String,
    back: String,
}

fn message(
    auth: Option<&crate::session::Auth>,
    title: &str,
    body: String,
    back: String,
    status: axum::http::StatusCode,
) -> Response {
    page(&Message {
        nav: Nav::for_auth(auth),
        title: title.into(),
        body,
        back,
    })
    .into_response_with(status)
}

/// A booking the rules refused (full, booked already, bad input): the reason, and the way back.
fn refused(auth: Option<&crate::session::Auth>, e: &Error, back: String) -> Response {
    message(auth, "未能预约", describe(e).1, back, status_of(e))
}

async fn book_reception(
    S(state): S<State>,
    MaybeAuth(auth): MaybeAuth,
    Path(slot): Path<String>,
    f: FormPairs,
) -> PageResult {
    let committee = overview::committee_of(&state.app, None).await?;
    let back = format!("/studios/{}", f.get("studio").unwrap_or(""));
    let r = studio_work::book_reception(
        &state.app,
        committee.0,
        id_of(&slot)?,
        f.get("name").unwrap_or(""),
        f.get("phone").unwrap_or(""),
        f.get("topic").unwrap_or(""),
    )
    .await;
    Ok(match r {
        Ok(()) => message(
            auth.as_ref(),
            "预约成功",
            "接待日当天请按时到工作室，委员将当面听取您的意见。".into(),
            back,
            axum::http::StatusCode::OK,
        ),
        Err(e @ (Error::Conflict { .. } | Error::Invalid(_))) => refused(auth.as_ref(), &e, back),
        Err(e) => return Err(e.into()),
    })
}

async fn book_service(
    S(state): S<State>,
    MaybeAuth(auth): MaybeAuth,
    Path(offer): Path<String>,
    f: FormPairs,
) -> PageResult {
    let committee = overview::committee_of(&state.app, None).await?;
    let back = format!("/studios/{}", f.get("studio").unwrap_or(""));
    let r = studio_work::book_service(
        &state.app,
        committee.0,
        id_of(&offer)?,
        f.get("name").unwrap_or(""),
        f.get("phone").unwrap_or(""),
        f.get("note").unwrap_or(""),
    )
    .await;
    Ok(match r {
        Ok(code) => Redirect::to(&format!("/s/{code}?new=1")).into_response(),
        Err(e @ (Error::Conflict { .. } | Error::Invalid(_))) => refused(auth.as_ref(), &e, back),
        Err(e) => return Err(e.into()),
    })
}

#[derive(Template)]
#[template(path = "service_booking.html")]
struct ServiceBookingPage {
    nav: Nav,
    b: ServiceBookingRow,
    code: String,
    new: bool,
    error: String,
    ratings: Vec<(&'static str, &'static str)>,
}

async fn service_page(
    state: &State,
    auth: Option<&crate::session::Auth>,
    code: &str,
    new: bool,
    error: String,
) -> PageResult {
    let b = studio_work::service_booking(&state.app, code).await?;
    Ok(page(&ServiceBookingPage {
        nav: Nav::for_auth(auth),
        b,
        code: code.into(),
        new,
        error,
        ratings: Rating::ALL.iter().map(|r| (r.code(), r.label())).collect(),
    }))
}

async fn service_booking(
    S(state): S<State>,
    MaybeAuth(auth): MaybeAuth,
    Path(code): Path<String>,
    RawQuery(q): RawQuery,
) -> PageResult {
    service_page(
        &state,
        auth.as_ref(),
        &code,
        q.is_some_and(|q| q.contains("new=1")),
        String::new(),
    )
    .await
}

async fn rate_service(
    S(state): S<State>,
    MaybeAuth(auth): MaybeAuth,
    Path(code): Path<String>,
    f: FormPairs,
) -> PageResult {
    match studio_work::rate_service(
        &state.app,
        &code,
        f.get("rating").unwrap_or(""),
        f.get("comment").unwrap_or(""),
    )
    .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/s/{code}")).into_response()),
        Err(e @ (Error::Conflict { .. } | Error::Invalid(_))) => {
            let status = status_of(&e);
            Ok(
                service_page(&state, auth.as_ref(), &code, false, describe(&e).1)
                    .await?
                    .into_response_with(status),
            )
        }
        Err(e) => Err(e.into()),
    }
}
