//! Read-outs of what happened (the domain event stream and the audit record) and the one
//! activity action a phone makes over the API: checking in.

use axum::Json;
use axum::extract::{Path, State as S};
use lianxin_domain::Invalid;
use lianxin_domain::access::{JoinActivities, OrganiseActivities, ReadEvents, ViewAudit};
use lianxin_service::activities::attendance::{self, CheckedIn};
use lianxin_service::{Error, events};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::ApiResult;
use crate::State;
use crate::body::{ApiQuery, JsonBody};
use crate::session::{ApiAuth, ApiGrant};

pub const MAX_EVENTS: u32 = 500;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// 最多返回多少条（默认50）。
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
}

/// 一条领域事件；`payload` 只含该角色可见的内容。
#[derive(Serialize, ToSchema)]
pub struct EventOut {
    id: i64,
    kind: String,
    subject_type: String,
    subject_id: i64,
    actor_user_id: Option<i64>,
    occurred_at: String,
    #[schema(value_type = Option<Object>)]
    payload: Value,
}

#[derive(Serialize, ToSchema)]
pub struct EventList {
    items: Vec<EventOut>,
}

#[utoipa::path(get, path = "/api/v1/events", tag = "事件", summary = "事件流（最近的领域事件）",
    params(EventsQuery),
    responses((status = 200, description = "事件，新的在前", body = EventList)))]
pub async fn list_events(
    S(state): S<State>,
    ApiGrant(g): ApiGrant<ReadEvents>,
    ApiQuery(q): ApiQuery<EventsQuery>,
) -> ApiResult<Json<EventList>> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=MAX_EVENTS).contains(&limit) {
        return Err(Error::Invalid(Invalid::one(
            "limit",
            "out_of_range",
            format!("条数应在1到{MAX_EVENTS}之间"),
        ))
        .into());
    }
    let list = events::recent(&state.app, &g, i64::from(limit)).await?;
    let items = list
        .into_iter()
        .map(|e| EventOut {
            id: e.id,
            kind: e.kind,
            subject_type: e.subject_type,
            subject_id: e.subject_id,
            actor_user_id: e.actor_user_id,
            occurred_at: e
                .occurred_at
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
            payload: serde_json::from_str(&e.payload).unwrap_or(Value::Null),
        })
        .collect();
    Ok(Json(EventList { items }))
}

/// 一条审计记录：谁、何时、对什么做了什么，改前改后，以及链上的校验值。
#[derive(Serialize, ToSchema)]
pub struct AuditOut {
    seq: i64,
    at: String,
    actor: String,
    action: String,
    subject: String,
    /// 改前的内容；新建时为空。
    #[schema(value_type = Option<Object>)]
    before: Value,
    /// 改后的内容；删除时为空。
    #[schema(value_type = Option<Object>)]
    after: Value,
    hash: String,
}

#[derive(Serialize, ToSchema)]
pub struct AuditList {
    items: Vec<AuditOut>,
}

#[utoipa::path(get, path = "/api/v1/audit", tag = "审计", summary = "审计记录（最近200条）",
    responses((status = 200, description = "审计记录，新的在前", body = AuditList)))]
pub async fn audit(S(state): S<State>, ApiAuth(a): ApiAuth) -> ApiResult<Json<AuditList>> {
    let g = a.actor.grant::<ViewAudit>()?;
    let list = events::recent_audit(&state.app, &g, 200).await?;
    let items = list
        .into_iter()
        .map(|r| AuditOut {
            seq: r.seq,
            at: r.at,
            actor: r.actor,
            action: r.action,
            subject: r.subject,
            before: serde_json::from_str(&r.before_data).unwrap_or(Value::Null),
            after: serde_json::from_str(&r.after_data).unwrap_or(Value::Null),
            hash: r.hash,
        })
        .collect();
    Ok(Json(AuditList { items }))
}

/// `{"code": …}` with the code from the screen checks the caller in; `{"member_id": …}` checks
/// someone else in, which only the activity's organiser may.
#[derive(Deserialize, ToSchema)]
pub struct CheckInBody {
    /// 现场二维码中的签到码。
    #[serde(default)]
    #[schema(max_length = 64)]
    code: String,
    /// 代签的委员编号（仅组织方）。
    member_id: Option<i64>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckInStatus {
    CheckedIn,
    AlreadyCheckedIn,
}

#[derive(Serialize, ToSchema)]
pub struct CheckInOut {
    status: CheckInStatus,
    /// 是否迟到（已签到过时不返回）。
    #[serde(skip_serializing_if = "Option::is_none")]
    late: Option<bool>,
}

#[utoipa::path(post, path = "/api/v1/activities/{id}/checkins", tag = "活动",
    summary = "活动签到：带现场二维码中的签到码为本人签到，或由组织方为指定委员代签",
    params(("id" = i64, Path, description = "活动编号")),
    request_body = CheckInBody,
    responses(
        (status = 200, description = "签到结果", body = CheckInOut),
        (status = 409, description = "活动未在签到时段、签到码不对或委员不在名单中", body = super::ErrorBody),
    ))]
pub async fn check_in(
    S(state): S<State>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<CheckInBody>,
) -> ApiResult<Json<CheckInOut>> {
    let id: i64 = id
        .parse()
        .map_err(|_| lianxin_service::activities::not_found())?;
    let r = match body.member_id {
        Some(m) if Some(m) != a.actor.member_id => {
            let g = a.actor.grant::<OrganiseActivities>()?;
            attendance::check_in_by_hand(&state.app, &g, id, Some(m)).await?
        }
        _ => {
            let g = a.actor.grant::<JoinActivities>()?;
            attendance::check_in_by_code(&state.app, &g, id, &body.code).await?
        }
    };
    Ok(Json(match r {
        CheckedIn::Now { late } => CheckInOut {
            status: CheckInStatus::CheckedIn,
            late: Some(late),
        },
        CheckedIn::Already => CheckInOut {
            status: CheckInStatus::AlreadyCheckedIn,
            late: None,
        },
    }))
}
