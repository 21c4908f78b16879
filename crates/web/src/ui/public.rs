//! Pages anyone can open without an account: the member directory by sector, member
//! profiles (亮明身份), studios with their QR code.

use crate::routes::{Routes, get};
use askama::Template;
use axum::extract::{Path, RawQuery, State as S};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use lianxin_domain::access::Public;
use lianxin_domain::schema::{MEMBER, STUDIO};
use lianxin_service::present::Item;
use lianxin_service::records::{parse_query, public_get, public_list};
use lianxin_service::{Error, committees, overview, records};

use super::{Nav, page, qr_svg};
use crate::State;
use crate::api::{public_committee, query_pairs};
use crate::error::PageError;
use crate::session::MaybeAuth;

type PageResult = Result<Response, PageError>;

pub fn routes() -> Routes {
    Routes::new()
        .route("/", get(home))
        .route("/members", get(directory))
        .route("/members/{id}", get(profile))
        .route("/members/{id}/photo", get(photo))
        .route("/members/{id}/qr.svg", get(member_qr))
        .route("/studios", get(studios))
        .route("/studios/{id}", get(studio))
        .route("/studios/{id}/qr.svg", get(studio_qr))
}

fn pairs(q: Option<String>) -> Result<Vec<(String, String)>, PageError> {
    query_pairs(q).map_err(|e| PageError(e.0))
}

fn id_of(s: &str) -> Result<i64, PageError> {
    s.parse()
        .map_err(|_| PageError(Error::not_found("page.not_found", "页面不存在")))
}

async fn committee_name(state: &State, cid: i64) -> Result<String, PageError> {
    Ok(committees::get(&state.app, cid)
        .await?
        .map(|c| c.1)
        .unwrap_or_default())
}

/// `?committee=ID` if given (a bad one is a 404).
fn asked_committee(p: &[(String, String)]) -> Result<Option<i64>, PageError> {
    match p.iter().find(|(k, _)| k == "committee") {
        Some((_, v)) => Ok(Some(id_of(v)?)),
        None => Ok(None),
    }
}

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    nav: Nav,
    home: std::sync::Arc<overview::Home>,
    members_total: i64,
}

async fn home(S(state): S<State>, MaybeAuth(auth): MaybeAuth, RawQuery(q): RawQuery) -> PageResult {
    let asked = asked_committee(&pairs(q)?)?;
    let home = match overview::home(&state.app, Public, asked).await {
        Ok(h) => h,
        Err(Error::NotFound { .. }) if asked.is_none() => {
            return Ok(super::render_error(
                "尚未建立政协组织",
                "请管理员先运行 `lianxin demo` 或 `lianxin committee add`。",
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let members_total = home.sectors.iter().map(|s| s.2).sum();
    Ok(page(&Home {
        nav: Nav::for_auth(auth.as_ref()),
        home,
        members_total,
    }))
}

#[derive(Template)]
#[template(path = "directory.html")]
struct DirectoryPage {
    nav: Nav,
    d: std::sync::Arc<overview::Directory>,
    sector_id: i64,
    q: String,
    query_base: String,
}

async fn directory(
    S(state): S<State>,
    MaybeAuth(auth): MaybeAuth,
    RawQuery(q): RawQuery,
) -> PageResult {
    let mut p = pairs(q)?;
    let asked = asked_committee(&p)?;
    p.retain(|(k, _)| matches!(k.as_str(), "sector_id" | "q" | "page"));
    let sector_id = p
        .iter()
        .find(|(k, _)| k == "sector_id")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let text = p
        .iter()
        .find(|(k, _)| k == "q")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let mut query = parse_query(&MEMBER, &p)?;
    query.per_page = 30;
    let d = overview::directory(&state.app, Public, asked, &query).await?;
    let base: Vec<(String, String)> = p.iter().filter(|(k, _)| k != "page").cloned().collect();
    Ok(page(&DirectoryPage {
        nav: Nav::for_auth(auth.as_ref()),
        d,
        sector_id,
        q: text,
        query_base: serde_urlencoded::to_string(&base).unwrap_or_default(),
    }))
}

#[derive(Template)]
#[template(path = "member.html")]
struct Profile {
    nav: Nav,
    m: Item,
    studios: Vec<(i64, String)>,
    has_photo: bool,
}

async fn profile(
    S(state): S<State>,
    MaybeAuth(auth): MaybeAuth,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> PageResult {
    let cid = public_committee(&state, &pairs(q)?).await?;
    let id = id_of(&id)?;
    let m = public_get(&state.app, Public, cid, &MEMBER, id).await?;
    let has_photo = !overview::with_photo(&state.app, cid, &[id])
        .await?
        .is_empty();
    Ok(page(&Profile {
        nav: Nav::for_auth(auth.as_ref()),
        studios: overview::member_studios(&state.app, cid, id).await?,
        m,
        has_photo,
    }))
}

async fn photo(S(state): S<State>, Path(id): Path<String>, RawQuery(q): RawQuery) -> PageResult {
    let cid = public_committee(&state, &pairs(q)?).await?;
    let (bytes, mime) = records::photo(&state.app, Public, cid, id_of(&id)?).await?;
    let mut r = bytes.into_response();
    if let Ok(v) = HeaderValue::from_str(&mime) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    Ok(r)
}

#[derive(Template)]
#[template(path = "studios.html")]
struct Studios {
    nav: Nav,
    committee: String,
    studios: Vec<Item>,
}

async fn studios(
    S(state): S<State>,
    MaybeAuth(auth): MaybeAuth,
    RawQuery(q): RawQuery,
) -> PageResult {
    let cid = public_committee(&state, &pairs(q)?).await?;
    let q = parse_query(&STUDIO, &[("per_page".into(), "100".into())])?;
    let studios = public_list(&state.app, Public, cid, &STUDIO, &q)
        .await?
        .items
        .clone();
    Ok(page(&Studios {
        nav: Nav::for_auth(auth.as_ref()),
        committee: committee_name(&state, cid).await?,
        studios,
    }))
}

#[derive(Template)]
#[template(path = "studio.html")]
struct StudioPage {
    nav: Nav,
    s: Item,
    url: String,
    slots: Vec<lianxin_service::rows::SlotRow>,
    offers: Vec<Item>,
}

fn studio_url(state: &State, id: i64) -> String {
    format!("{}/studios/{id}", state.public_url.trim_end_matches('/'))
}

async fn studio(
    S(state): S<State>,
    MaybeAuth(auth): MaybeAuth,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> PageResult {
    let cid = public_committee(&state, &pairs(q)?).await?;
    let id = id_of(&id)?;
    let s = public_get(&state.app, Public, cid, &STUDIO, id).await?;
    let slots = lianxin_service::studio_work::upcoming_slots(&state.app, cid, id).await?;
    let q = parse_query(
        &lianxin_domain::schema::SERVICE_OFFER,
        &[
            ("studio_id".into(), id.to_string()),
            ("active".into(), "true".into()),
            ("per_page".into(), "50".into()),
        ],
    )?;
    let offers = public_list(
        &state.app,
        Public,
        cid,
        &lianxin_domain::schema::SERVICE_OFFER,
        &q,
    )
    .await?
    .items
    .clone();
    Ok(page(&StudioPage {
        nav: Nav::for_auth(auth.as_ref()),
        url: studio_url(&state, id),
        s,
        slots,
        offers,
    }))
}

/// The studio's QR code: its public page's URL.
async fn studio_qr(
    S(state): S<State>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> PageResult {
    let cid = public_committee(&state, &pairs(q)?).await?;
    let id = id_of(&id)?;
    public_get(&state.app, Public, cid, &STUDIO, id).await?;
    qr_svg(&studio_url(&state, id))
}

/// A member's QR code (亮明身份): their profile, where people raise a concern with them.
async fn member_qr(
    S(state): S<State>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> PageResult {
    let cid = public_committee(&state, &pairs(q)?).await?;
    let id = id_of(&id)?;
    public_get(&state.app, Public, cid, &MEMBER, id).await?;
    qr_svg(&format!(
        "{}/members/{id}",
        state.public_url.trim_end_matches('/')
    ))
}
