//! The JSON API under `/api/v1`. Every organisation resource has list (paginated,
//! filterable), get, create and update (PATCH: only the fields sent change).

use crate::routes::{Routes, get, post, put};
use axum::Json;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State as S};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lianxin_domain::access::Public;
use lianxin_domain::access::{
    ManageOrganisation, ManageUsers, RevealPhone, ViewAudit, ViewOrganisation,
};
use lianxin_domain::record::{Mode, from_json};
use lianxin_domain::schema::{Resource, by_path};
use lianxin_service::records::{Page, parse_query};
use lianxin_service::{Error, auth, events, records, roster};
use serde_json::{Value, json};

use crate::body::{JsonBody, JsonObject, Upload};
use crate::error::ApiError;
use crate::session::{ApiAuth, ApiGrant, ClientIp, session_cookie};
use crate::{State, UPLOAD_LIMIT};

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
        .route("/api/v1/public/{resource}", get(public_list))
        .route("/api/v1/public/{resource}/{id}", get(public_get))
        .route("/api/v1/{resource}", get(list).post(create))
        .route("/api/v1/{resource}/{id}", get(get_one).patch(update))
}

pub async fn healthz(S(state): S<State>) -> Response {
    let backend = state.app.backend_name();
    match state.app.ping().await {
        Ok(()) => Json(json!({"status": "ok", "database": backend})).into_response(),
        Err(e) => {
            tracing::error!("health check failed: {e}");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "unavailable", "database": backend})),
            )
                .into_response()
        }
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

/// `POST /api/v1/session`.
#[derive(serde::Deserialize)]
struct Credentials {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

async fn login(
    S(state): S<State>,
    ClientIp(ip): ClientIp,
    JsonBody(c): JsonBody<Credentials>,
) -> ApiResult<Response> {
    let s = auth::login(&state.app, &c.username, &c.password, &ip).await?;
    let mut res = Json(json!({
        "token": s.token,
        "csrf_token": s.csrf,
        "user": {"username": s.actor.username, "role": s.actor.role.code(), "committee_id": s.actor.committee_id},
    }))
    .into_response();
    let cookie = session_cookie(&state, &s.token, auth::SESSION_HOURS * 3600);
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(res)
}

async fn logout(S(state): S<State>, ApiAuth(a): ApiAuth) -> ApiResult<Response> {
    auth::logout(&state.app, &a.actor, &a.token).await?;
    let mut res = StatusCode::NO_CONTENT.into_response();
    if let Ok(v) = HeaderValue::from_str(&session_cookie(&state, "", 0)) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(res)
}

async fn me(ApiAuth(a): ApiAuth) -> Json<Value> {
    let x = &a.actor;
    Json(json!({
        "id": x.user_id, "username": x.username, "display_name": x.display_name,
        "role": x.role.code(), "role_label": x.role.label(), "committee_id": x.committee_id, "member_id": x.member_id,
        "csrf_token": a.csrf,
    }))
}

async fn list(
    S(state): S<State>,
    ApiAuth(a): ApiAuth,
    Path(path): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    let res = resource(&path)?;
    let g = a.actor.grant::<ViewOrganisation>()?;
    let q = parse_query(res, &query_pairs(q)?)?;
    Ok(page_json(&*records::list(&state.app, &g, res, &q).await?))
}

async fn get_one(
    S(state): S<State>,
    ApiAuth(a): ApiAuth,
    Path((path, id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let res = resource(&path)?;
    let g = a.actor.grant::<ViewOrganisation>()?;
    let item = records::get(&state.app, &g, res, parse_id(res, &id)?).await?;
    Ok(Json(Value::Object(item.json)))
}

async fn create(
    S(state): S<State>,
    ApiAuth(a): ApiAuth,
    Path(path): Path<String>,
    JsonObject(body): JsonObject,
) -> ApiResult<Response> {
    let res = resource(&path)?;
    records::check_writable(&state.app, &a.actor, res, None).await?;
    let rec = from_json(res, &body, Mode::Create)?;
    let item = records::save(&state.app, &a.actor, res, None, rec).await?;
    Ok((StatusCode::CREATED, Json(Value::Object(item.json))).into_response())
}

async fn update(
    S(state): S<State>,
    ApiAuth(a): ApiAuth,
    Path((path, id)): Path<(String, String)>,
    JsonObject(body): JsonObject,
) -> ApiResult<Json<Value>> {
    let res = resource(&path)?;
    let id = parse_id(res, &id)?;
    records::check_writable(&state.app, &a.actor, res, Some(id)).await?;
    let rec = from_json(res, &body, Mode::Update)?;
    let item = records::save(&state.app, &a.actor, res, Some(id), rec).await?;
    Ok(Json(Value::Object(item.json)))
}

/// Which committee the public pages and API show: `?committee=ID`, else the first.
pub async fn public_committee(state: &State, pairs: &[(String, String)]) -> Result<i64, Error> {
    let asked = match pairs.iter().find(|(k, _)| k == "committee") {
        Some((_, v)) => Some(
            v.parse::<i64>()
                .map_err(|_| Error::not_found("committee.not_found", "未找到该政协组织"))?,
        ),
        None => None,
    };
    Ok(lianxin_service::overview::committee_of(&state.app, asked)
        .await?
        .0)
}

async fn public_list(
    S(state): S<State>,
    Path(path): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    let res = resource(&path)?;
    let mut pairs = query_pairs(q)?;
    let cid = public_committee(&state, &pairs).await?;
    pairs.retain(|(k, _)| k != "committee");
    let q = parse_query(res, &pairs)?;
    Ok(page_json(
        &*records::public_list(&state.app, Public, cid, res, &q).await?,
    ))
}

async fn public_get(
    S(state): S<State>,
    Path((path, id)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    let res = resource(&path)?;
    let cid = public_committee(&state, &query_pairs(q)?).await?;
    let item = records::public_get(&state.app, Public, cid, res, parse_id(res, &id)?).await?;
    Ok(Json(Value::Object(item.json)))
}

async fn reveal_phone(
    S(state): S<State>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let id = parse_id(&lianxin_domain::schema::MEMBER, &id)?;
    let phone = records::reveal_phone(&state.app, &a.actor.grant::<RevealPhone>()?, id).await?;
    Ok(Json(json!({"id": id, "phone": phone})))
}

async fn put_photo(
    S(state): S<State>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<String>,
    Upload(bytes): Upload,
) -> ApiResult<StatusCode> {
    let id = parse_id(&lianxin_domain::schema::MEMBER, &id)?;
    records::set_photo(
        &state.app,
        &a.actor.grant::<ManageOrganisation>()?,
        id,
        &bytes,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn import(
    S(state): S<State>,
    ApiAuth(a): ApiAuth,
    RawQuery(q): RawQuery,
    Upload(bytes): Upload,
) -> ApiResult<Response> {
    let g = a.actor.grant::<ManageOrganisation>()?;
    let dry_run = query_pairs(q)?
        .iter()
        .any(|(k, v)| k == "dry_run" && (v == "true" || v == "1"));
    let plan = if dry_run {
        roster::preview(&state.app, &g, &bytes).await?
    } else {
        roster::import(&state.app, &g, &bytes).await?
    };
    let body = json!({
        "valid": plan.errors.is_empty(),
        "written": !dry_run && plan.errors.is_empty(),
        "create": plan.creates(),
        "update": plan.updates(),
        "rows": plan.rows,
        "errors": plan.errors,
    });
    let status = if plan.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, Json(body)).into_response())
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

async fn export(
    S(state): S<State>,
    ApiAuth(a): ApiAuth,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    let xlsx = query_pairs(q)?
        .iter()
        .any(|(k, v)| k == "format" && v == "xlsx");
    Ok(roster_file(&state, &a.actor.grant::<RevealPhone>()?, xlsx).await?)
}

/// The roster as a download, for the API and the office page alike.
pub async fn roster_file(
    state: &State,
    g: &lianxin_domain::access::Granted<RevealPhone>,
    xlsx: bool,
) -> Result<Response, Error> {
    let rows = roster::export_rows(&state.app, g).await?;
    Ok(if xlsx {
        file_response(roster::to_xlsx(&rows)?, XLSX, "委员花名册.xlsx")
    } else {
        file_response(
            roster::to_csv(&rows)?,
            "text/csv; charset=utf-8",
            "委员花名册.csv",
        )
    })
}

async fn users(S(state): S<State>, ApiAuth(a): ApiAuth) -> ApiResult<Json<Value>> {
    let list = auth::list_users(&state.app, &a.actor.grant::<ManageUsers>()?).await?;
    let items: Vec<Value> = list
        .iter()
        .map(|u| json!({"id": u.id, "username": u.username, "display_name": u.display_name, "role": u.role, "member_id": u.member_id, "disabled": u.disabled}))
        .collect();
    Ok(Json(json!({"items": items, "total": items.len()})))
}

/// `POST /api/v1/users`: the service checks each field and answers in Chinese.
#[derive(serde::Deserialize)]
struct NewUser {
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
    member_id: Option<i64>,
    handling_unit_id: Option<i64>,
}

async fn create_user(
    S(state): S<State>,
    ApiGrant(g): ApiGrant<ManageUsers>,
    JsonBody(u): JsonBody<NewUser>,
) -> ApiResult<Response> {
    let input = auth::UserInput {
        username: &u.username,
        display_name: &u.display_name,
        role: &u.role,
        password: &u.password,
        member_id: u.member_id,
        handling_unit_id: u.handling_unit_id,
    };
    let id = auth::add_user(&state.app, &g, &input, false).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": id, "username": input.username.trim().to_lowercase()})),
    )
        .into_response())
}

async fn list_events(
    S(state): S<State>,
    ApiAuth(a): ApiAuth,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    let g = a.actor.grant::<lianxin_domain::access::ReadEvents>()?;
    let limit = query_pairs(q)?
        .iter()
        .find(|(k, _)| k == "limit")
        .and_then(|(_, v)| v.parse::<i64>().ok())
        .unwrap_or(50)
        .clamp(1, 500);
    let list = events::recent(&state.app, &g, limit).await?;
    let items: Vec<Value> = list
        .iter()
        .map(|e| json!({"id": e.id, "kind": e.kind, "subject_type": e.subject_type, "subject_id": e.subject_id,
            "actor_user_id": e.actor_user_id, "occurred_at": e.occurred_at, "payload": serde_json::from_str::<Value>(&e.payload).unwrap_or(Value::Null)}))
        .collect();
    Ok(Json(json!({"items": items})))
}

async fn audit(S(state): S<State>, ApiAuth(a): ApiAuth) -> ApiResult<Json<Value>> {
    let g = a.actor.grant::<ViewAudit>()?;
    let list = events::recent_audit(&state.app, &g, 200).await?;
    let items: Vec<Value> = list
        .iter()
        .map(|r| json!({"seq": r.seq, "at": r.at, "actor": r.actor, "action": r.action, "subject": r.subject,
            "before": serde_json::from_str::<Value>(&r.before_data).unwrap_or(Value::Null),
            "after": serde_json::from_str::<Value>(&r.after_data).unwrap_or(Value::Null), "hash": r.hash}))
        .collect();
    Ok(Json(json!({"items": items})))
}

/// Check in to an activity: `{"code": …}` with the code from the screen checks the caller in;
/// `{"member_id": …}` checks someone else in, which only the activity's organiser may.
/// `POST /api/v1/activities/{id}/checkins`.
#[derive(serde::Deserialize)]
struct CheckInBody {
    #[serde(default)]
    code: String,
    member_id: Option<i64>,
}

async fn check_in(
    S(state): S<State>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<CheckInBody>,
) -> ApiResult<Json<Value>> {
    use lianxin_domain::access::{JoinActivities, OrganiseActivities};
    use lianxin_service::activities::attendance::{self, CheckedIn};
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError(lianxin_service::activities::not_found()))?;
    let someone = body.member_id;
    let r = match someone {
        Some(m) if Some(m) != a.actor.member_id => {
            let g = a.actor.grant::<OrganiseActivities>()?;
            attendance::check_in_by_hand(&state.app, &g, id, m).await?
        }
        _ => {
            let g = a.actor.grant::<JoinActivities>()?;
            attendance::check_in_by_code(&state.app, &g, id, &body.code).await?
        }
    };
    Ok(Json(match r {
        CheckedIn::Now { late } => json!({"status": "checked_in", "late": late}),
        CheckedIn::Already => json!({"status": "already_checked_in"}),
    }))
}
