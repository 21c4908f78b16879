//! The JSON API under `/api/v1`: one module per area, DTOs beside their handlers; the
//! OpenAPI document (`crate::openapi`) is derived from those types and the resource tables.

mod feeds;
mod members;
mod records;
mod session;

use crate::routes::{Routes, get, post, put};
use axum::Json;
use axum::extract::{DefaultBodyLimit, State as S};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lianxin_domain::schema::{Resource, by_path};
use lianxin_service::Error;
use lianxin_service::records::Page;
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::{State, UPLOAD_LIMIT};

pub use feeds::*;
pub use members::*;
pub use session::*;

type ApiResult<T> = Result<T, ApiError>;

pub fn routes() -> Routes {
    Routes::new()
        .route("/api/v1/session", post(login).delete(logout))
        .route("/api/v1/me", get(me))
        .route("/api/v1/users", get(users).post(create_user))
        .route("/api/v1/members/{id}/phone", get(reveal_phone))
        .route(
            "/api/v1/members/{id}/photo",
            put(put_photo).layer(DefaultBodyLimit::max(UPLOAD_LIMIT)),
        )
        .route(
            "/api/v1/members/import",
            post(import).layer(DefaultBodyLimit::max(UPLOAD_LIMIT)),
        )
        .route("/api/v1/members/export", get(export))
        .route("/api/v1/events", get(list_events))
        .route("/api/v1/activities/{id}/checkins", post(check_in))
        .route("/api/v1/audit", get(audit))
        .route("/api/v1/public/{resource}", get(records::public_list))
        .route("/api/v1/public/{resource}/{id}", get(records::public_get))
        .route(
            "/api/v1/{resource}",
            get(records::list).post(records::create),
        )
        .route(
            "/api/v1/{resource}/{id}",
            get(records::get_one).patch(records::update),
        )
}

/// Alive: the process answers (a liveness probe must not restart the app because the
/// database is away; that is `/readyz`'s to say).
pub async fn healthz(S(state): S<State>) -> Response {
    Json(json!({"status": "ok", "database": state.app.backend_name()})).into_response()
}

/// Ready: the database answers and its migrations are the binary's. A load balancer sends
/// no traffic to a node that answers 503 here.
pub async fn readyz(S(state): S<State>) -> Response {
    let database = state.app.backend_name();
    match state.app.readiness().await {
        Ok(()) => Json(json!({"status": "ready", "database": database})).into_response(),
        Err(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "not_ready", "reason": reason, "database": database})),
        )
            .into_response(),
    }
}

fn resource(path: &str) -> ApiResult<&'static Resource> {
    by_path(path).ok_or_else(|| ApiError(Error::not_found("resource.not_found", "没有这种资源")))
}

fn parse_id(res: &Resource, id: &str) -> ApiResult<i64> {
    id.parse::<i64>()
        .map_err(|_| ApiError(records_not_found(res)))
}

fn records_not_found(res: &Resource) -> Error {
    Error::not_found("record.not_found", format!("未找到该{}", res.label))
}

pub fn query_pairs(raw: Option<String>) -> ApiResult<Vec<(String, String)>> {
    serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).map_err(|_| {
        ApiError(Error::Invalid(lianxin_domain::Invalid::one(
            "query",
            "malformed_query",
            "查询参数无法解析",
        )))
    })
}

/// Every API error: a stable code for machines, a Chinese message for people, and for a
/// refused input the fields at fault.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// 稳定的错误代码，如 `validation.required`、`auth.forbidden`。
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldProblem>,
}

#[derive(Serialize, serde::Deserialize, ToSchema)]
pub struct FieldProblem {
    pub field: String,
    pub code: String,
    pub message: String,
}

/// A list page as JSON. The body is serialised once per cached page and reused after.
fn page_json(p: &Page) -> Response {
    #[derive(serde::Serialize)]
    struct Body<'a> {
        items: Vec<&'a serde_json::Map<String, Value>>,
        total: i64,
        page: i64,
        per_page: i64,
    }
    let body = p.body.get_or_init(|| {
        let b = Body {
            items: p.items.iter().map(|i| &i.json).collect(),
            total: p.total,
            page: p.page,
            per_page: p.per_page,
        };
        serde_json::to_vec(&b).unwrap_or_default()
    });
    let mut res = body.clone().into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    res
}

/// Which committee the public pages and API show: `?committee=ID`, else the first.
pub async fn public_committee(state: &State, pairs: &[(String, String)]) -> Result<i64, Error> {
    let given = pairs
        .iter()
        .find(|(k, v)| k == "committee" && !v.trim().is_empty());
    let asked = match given {
        Some((_, v)) => Some(
            v.trim()
                .parse::<i64>()
                .map_err(|_| Error::not_found("committee.not_found", "未找到该政协组织"))?,
        ),
        None => None,
    };
    Ok(lianxin_service::overview::committee_of(&state.app, asked)
        .await?
        .0)
}

pub fn file_response(bytes: Vec<u8>, mime: &'static str, filename: &str) -> Response {
    let mut res = bytes.into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    let disp = format!(
        "attachment; filename=\"roster\"; filename*=UTF-8''{}",
        crate::session::urlencode(filename)
    );
    if let Ok(v) = HeaderValue::from_str(&disp) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
