//! The organisation records (R1) over JSON: list (paginated, filterable), get, create and
//! update (PATCH: only the fields sent change), for staff and — where a resource is public —
//! for anyone. Their OpenAPI paths are derived from the same resource tables
//! (`openapi::resources`).

use axum::Json;
use axum::extract::{Path, RawQuery, State as S};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lianxin_domain::access::{Public, ViewOrganisation};
use lianxin_domain::record::{Mode, from_json};
use lianxin_service::records::{self, parse_query};
use serde_json::Value;

use super::{ApiResult, page_json, parse_id, public_committee, query_pairs, resource};
use crate::State;
use crate::body::JsonObject;
use crate::session::ApiAuth;

pub async fn list(
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

pub async fn get_one(
    S(state): S<State>,
    ApiAuth(a): ApiAuth,
    Path((path, id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let res = resource(&path)?;
    let g = a.actor.grant::<ViewOrganisation>()?;
    let item = records::get(&state.app, &g, res, parse_id(res, &id)?).await?;
    Ok(Json(Value::Object(item.json)))
}

pub async fn create(
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

pub async fn update(
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

pub async fn public_list(
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

pub async fn public_get(
    S(state): S<State>,
    Path((path, id)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    let res = resource(&path)?;
    let cid = public_committee(&state, &query_pairs(q)?).await?;
    let item = records::public_get(&state.app, Public, cid, res, parse_id(res, &id)?).await?;
    Ok(Json(Value::Object(item.json)))
}
