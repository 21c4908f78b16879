//! Signing in and out, who am I, and the committee's accounts (`/api/v1/session`, `/me`,
//! `/users`). The DTOs here are the wire format; the OpenAPI document is derived from them.

use axum::Json;
use axum::extract::State as S;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lianxin_domain::access::ManageUsers;
use lianxin_service::auth;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ApiResult;
use crate::State;
use crate::body::JsonBody;
use crate::session::{ApiAuth, ApiGrant, ClientIp, session_cookie};

/// 用户名与密码。
#[derive(Deserialize, ToSchema)]
pub struct Credentials {
    #[schema(min_length = 1, max_length = 64)]
    username: String,
    #[schema(min_length = 1, max_length = 256)]
    password: String,
}

/// 登录结果：令牌用于 `Authorization: Bearer`，同时写入会话 Cookie。
#[derive(Serialize, ToSchema)]
pub struct SessionOut {
    token: String,
    /// 以 Cookie 调用写操作时放入 `x-csrf-token` 头。
    csrf_token: String,
    user: SignedIn,
}

#[derive(Serialize, ToSchema)]
pub struct SignedIn {
    username: String,
    role: String,
    committee_id: i64,
}

/// `POST /api/v1/session`.
#[utoipa::path(post, path = "/api/v1/session", tag = "会话", summary = "登录，取得令牌",
    security(()),
    request_body = Credentials,
    responses(
        (status = 200, description = "令牌", body = SessionOut),
        (status = 401, description = "用户名或密码错误", body = super::ErrorBody),
        (status = 429, description = "尝试过多，稍后再试（见 Retry-After）", body = super::ErrorBody),
    ))]
pub async fn login(
    S(state): S<State>,
    ClientIp(ip): ClientIp,
    JsonBody(c): JsonBody<Credentials>,
) -> ApiResult<Response> {
    let s = auth::login(&state.app, &c.username, &c.password, &ip).await?;
    let body = SessionOut {
        token: s.token.clone(),
        csrf_token: s.csrf,
        user: SignedIn {
            username: s.actor.username.clone(),
            role: s.actor.role.code().to_string(),
            committee_id: s.actor.committee_id,
        },
    };
    let mut res = Json(body).into_response();
    let cookie = session_cookie(&state, &s.token, auth::SESSION_HOURS * 3600);
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(res)
}

#[utoipa::path(delete, path = "/api/v1/session", tag = "会话", summary = "退出登录",
    responses((status = 204, description = "已退出")))]
pub async fn logout(S(state): S<State>, ApiAuth(a): ApiAuth) -> ApiResult<Response> {
    auth::logout(&state.app, &a.actor, &a.token).await?;
    let mut res = StatusCode::NO_CONTENT.into_response();
    if let Ok(v) = HeaderValue::from_str(&session_cookie(&state, "", 0)) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(res)
}

/// 当前登录的用户。
#[derive(Serialize, ToSchema)]
pub struct MeOut {
    id: i64,
    username: String,
    display_name: String,
    role: String,
    role_label: String,
    committee_id: i64,
    member_id: Option<i64>,
    csrf_token: String,
}

#[utoipa::path(get, path = "/api/v1/me", tag = "会话", summary = "当前用户",
    responses((status = 200, description = "用户", body = MeOut)))]
pub async fn me(ApiAuth(a): ApiAuth) -> Json<MeOut> {
    let x = &a.actor;
    Json(MeOut {
        id: x.user_id,
        username: x.username.clone(),
        display_name: x.display_name.clone(),
        role: x.role.code().to_string(),
        role_label: x.role.label().to_string(),
        committee_id: x.committee_id,
        member_id: x.member_id,
        csrf_token: a.csrf,
    })
}

/// 一个账号（不含密码）。
#[derive(Serialize, ToSchema)]
pub struct UserOut {
    id: i64,
    username: String,
    display_name: String,
    role: String,
    member_id: Option<i64>,
    disabled: bool,
}

#[derive(Serialize, ToSchema)]
pub struct UserList {
    items: Vec<UserOut>,
    total: usize,
}

#[utoipa::path(get, path = "/api/v1/users", tag = "账号", summary = "账号列表",
    responses((status = 200, description = "本会的账号", body = UserList)))]
pub async fn users(S(state): S<State>, ApiAuth(a): ApiAuth) -> ApiResult<Json<UserList>> {
    let list = auth::list_users(&state.app, &a.actor.grant::<ManageUsers>()?).await?;
    let items: Vec<UserOut> = list
        .into_iter()
        .map(|u| UserOut {
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            role: u.role,
            member_id: u.member_id,
            disabled: u.disabled,
        })
        .collect();
    let total = items.len();
    Ok(Json(UserList { items, total }))
}

/// 新账号：服务层逐项检查并以中文说明问题。
#[derive(Deserialize, ToSchema)]
pub struct NewUser {
    /// 字母、数字和 `-_.`（不区分大小写）。
    #[schema(pattern = "^[A-Za-z0-9._-]{1,40}$")]
    username: String,
    #[schema(schema_with = display_name_schema)]
    display_name: String,
    #[schema(inline)]
    role: RoleCode,
    #[schema(min_length = 8, max_length = 128)]
    password: String,
    member_id: Option<i64>,
    handling_unit_id: Option<i64>,
}

/// A person's name as the service takes it: up to 30 characters, not blank.
fn display_name_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .max_length(Some(30))
        .pattern(Some(crate::openapi::text_pattern(true)))
        .build()
}

/// A role by its code (`office`, `member` …), read with the same table the service uses.
pub struct RoleCode(lianxin_domain::access::Role);

impl<'de> Deserialize<'de> for RoleCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use lianxin_domain::access::Role;
        let code = String::deserialize(d)?;
        Role::parse(&code).map(RoleCode).ok_or_else(|| {
            let all: Vec<&str> = Role::ALL.iter().map(|r| r.code()).collect();
            serde::de::Error::custom(format!("角色只能是：{}", all.join("、")))
        })
    }
}

impl utoipa::PartialSchema for RoleCode {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use lianxin_domain::access::Role;
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(Role::ALL.iter().map(|r| r.code())))
            .description(Some("角色代码"))
            .into()
    }
}

impl ToSchema for RoleCode {}

#[derive(Serialize, ToSchema)]
pub struct UserCreated {
    id: i64,
    username: String,
}

#[utoipa::path(post, path = "/api/v1/users", tag = "账号", summary = "新建账号",
    request_body = NewUser,
    responses(
        (status = 201, description = "已创建", body = UserCreated),
        (status = 409, description = "用户名已被使用，或所选委员、单位不存在", body = super::ErrorBody),
    ))]
pub async fn create_user(
    S(state): S<State>,
    ApiGrant(g): ApiGrant<ManageUsers>,
    JsonBody(u): JsonBody<NewUser>,
) -> ApiResult<Response> {
    let input = auth::UserInput {
        username: &u.username,
        display_name: &u.display_name,
        role: u.role.0.code(),
        password: &u.password,
        member_id: u.member_id,
        handling_unit_id: u.handling_unit_id,
    };
    let id = auth::add_user(&state.app, &g, &input, false).await?;
    let body = UserCreated {
        id,
        username: input.username.trim().to_lowercase(),
    };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}
