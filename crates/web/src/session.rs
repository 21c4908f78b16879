//! Who is asking: a session from the `lianxin_session` cookie (browsers) or an
//! `Authorization: Bearer` token (API clients), looked up in the database. State-changing
//! requests that rely on the cookie must also prove they came from our own page: forms carry
//! `_csrf`, API calls the `X-CSRF-Token` header. Extractors enforce that, so a handler
//! cannot forget it.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use lianxin_domain::access::{Actor, Granted, Permission};

use crate::State;
use crate::error::{ApiError, PageError, edge};

pub const COOKIE: &str = "lianxin_session";
pub const LOGIN_CSRF_COOKIE: &str = "lianxin_login_csrf";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Cookie,
    Bearer,
}

#[derive(Debug, Clone)]
pub struct Auth {
    pub actor: Actor,
    pub csrf: String,
    /// An admin of the installation's committee (the menu offers the jobs page).
    pub operates_server: bool,
    pub via: Via,
    pub token: String,
}

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == name).then(|| v.to_string())
        })
}

fn credentials(headers: &HeaderMap) -> Option<(String, Via)> {
    if let Some(auth) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        && let Some(token) = auth.strip_prefix("Bearer ")
    {
        return Some((token.trim().to_string(), Via::Bearer));
    }
    cookie(headers, COOKIE).map(|t| (t, Via::Cookie))
}

/// The session if there is one; never rejects.
pub struct MaybeAuth(pub Option<Auth>);

impl FromRequestParts<State> for MaybeAuth {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &State) -> Result<Self, Response> {
        let Some((token, via)) = credentials(&parts.headers) else {
            return Ok(MaybeAuth(None));
        };
        match lianxin_service::auth::session(&state.app, &token).await {
            Ok(Some(s)) => Ok(MaybeAuth(Some(Auth {
                actor: s.actor,
                csrf: s.csrf,
                operates_server: s.operates_server,
                via,
                token,
            }))),
            Ok(None) => Ok(MaybeAuth(None)),
            Err(e) => Err(ApiError(e).into_response()),
        }
    }
}

fn is_write(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// An API caller holding permission `P`, checked before anything reads the body: a handler
/// that takes `ApiGrant<P>` ahead of its typed body (`JsonBody<T>`) refuses a caller without
/// the right (403) before their input is looked at.
pub struct ApiGrant<P: Permission>(pub Granted<P>);

impl<P: Permission + Send + Sync> FromRequestParts<State> for ApiGrant<P> {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &State) -> Result<Self, Response> {
        let ApiAuth(auth) = ApiAuth::from_request_parts(parts, state).await?;
        auth.actor
            .grant::<P>()
            .map(ApiGrant)
            .map_err(|d| ApiError(d.into()).into_response())
    }
}

/// An API caller with a live session; writes through the cookie need `X-CSRF-Token`.
pub struct ApiAuth(pub Auth);

impl FromRequestParts<State> for ApiAuth {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &State) -> Result<Self, Response> {
        let MaybeAuth(auth) = MaybeAuth::from_request_parts(parts, state).await?;
        let Some(auth) = auth else {
            return Err(edge(
                StatusCode::UNAUTHORIZED,
                "auth.required",
                "请先登录（会话不存在或已过期）",
            ));
        };
        if auth.via == Via::Cookie && is_write(&parts.method) {
            let sent = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !constant_eq(sent, &auth.csrf) {
                return Err(edge(
                    StatusCode::FORBIDDEN,
                    "auth.csrf",
                    "缺少或错误的 CSRF 令牌",
                ));
            }
        }
        Ok(ApiAuth(auth))
    }
}

/// A signed-in person on a page holding permission `P`: the grant every page form and upload
/// takes before it reads its body.
pub struct PageGrant<P: Permission>(pub Auth, pub Granted<P>);

impl<P: Permission + Send + Sync> FromRequestParts<State> for PageGrant<P> {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &State) -> Result<Self, Response> {
        let PageAuth(auth) = PageAuth::from_request_parts(parts, state).await?;
        let granted = auth
            .actor
            .grant::<P>()
            .map_err(|d| PageError::from(d).into_response())?;
        Ok(PageGrant(auth, granted))
    }
}

/// A signed-in person on a page; anyone else is sent to the login page.
pub struct PageAuth(pub Auth);

impl FromRequestParts<State> for PageAuth {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &State) -> Result<Self, Response> {
        match MaybeAuth::from_request_parts(parts, state).await? {
            MaybeAuth(Some(a)) => Ok(PageAuth(a)),
            MaybeAuth(None) => {
                let back = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/office");
                let to = format!("/login?next={}", urlencode(back));
                Err(Redirect::to(&to).into_response())
            }
        }
    }
}

pub use crate::form::CsrfForm;
pub use lianxin_service::crypto::constant_eq;

/// The client's address, for login throttling.
pub struct ClientIp(pub String);

impl FromRequestParts<State> for ClientIp {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, state: &State) -> Result<Self, Self::Rejection> {
        if state.trust_proxy
            && let Some(ip) = parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
        {
            return Ok(ClientIp(ip.trim().to_string()));
        }
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_default();
        Ok(ClientIp(ip))
    }
}

pub fn session_cookie(state: &State, token: &str, max_age_secs: i64) -> String {
    let secure = if state.https() { "; Secure" } else { "" };
    format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}")
}

pub fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|e| e.trim_start_matches('=').to_string())
        .unwrap_or_default()
}

/// A multipart form (file uploads) posted by a signed-in person from our pages: the
/// `_csrf` part must match. Parts are read whole, within the upload limit.
///
/// The route's permission `P` is checked before the body is read: a caller without it is
/// refused (403) whatever they sent, so no validation answer tells them anything.
pub struct CsrfMultipart<P: Permission> {
    pub auth: Auth,
    /// Proof of the route's permission, taken before the body was read.
    pub granted: Granted<P>,
    pub fields: Vec<(String, String)>,
    /// (field name, file name, bytes)
    pub files: Vec<(String, String, Vec<u8>)>,
}

impl<P: Permission> CsrfMultipart<P> {
    /// The text fields read into `T`, as a page form is (`crate::form::typed`).
    pub fn typed<T: serde::de::DeserializeOwned>(&self) -> Result<T, PageError> {
        crate::form::typed(&self.fields).map_err(|inv| PageError(inv.into()))
    }
    /// A text field's value; "" when it was not sent.
    pub fn field(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }
    /// The first non-empty file sent in `name`: (file name, bytes).
    pub fn file(&self, name: &str) -> Option<(&str, &[u8])> {
        self.files
            .iter()
            .find(|(n, _, b)| n == name && !b.is_empty())
            .map(|(_, f, b)| (f.as_str(), b.as_slice()))
    }
}

impl<P: Permission + Send + Sync> FromRequest<State> for CsrfMultipart<P> {
    type Rejection = Response;
    async fn from_request(req: Request, state: &State) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let PageGrant(auth, granted) =
            PageGrant::<P>::from_request_parts(&mut parts, state).await?;
        let (fields, files) = read_multipart(Request::from_parts(parts, body), state).await?;
        let sent = fields
            .iter()
            .find(|(k, _)| k == "_csrf")
            .map(|(_, v)| v.as_str())
            .unwrap_or("");
        if !constant_eq(sent, &auth.csrf) {
            return Err(PageError(lianxin_service::Error::Forbidden("csrf")).into_response());
        }
        Ok(CsrfMultipart {
            auth,
            granted,
            fields,
            files,
        })
    }
}

/// Fields and files of a multipart body, read whole within the route's body limit.
pub type FormParts = (Vec<(String, String)>, Vec<(String, String, Vec<u8>)>);

pub async fn read_multipart(req: Request, state: &State) -> Result<FormParts, Response> {
    let bad = |m: &str| {
        PageError(lianxin_service::Error::Invalid(
            lianxin_domain::Invalid::one("file", "upload.invalid", m),
        ))
        .into_response()
    };
    let mut mp = axum::extract::Multipart::from_request(req, state)
        .await
        .map_err(|_| bad("上传格式不正确"))?;
    let mut fields = Vec::new();
    let mut files = Vec::new();
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large()),
            Err(_) => return Err(bad("上传中断或格式不正确")),
        };
        let name = field.name().unwrap_or("").to_string();
        let file_name = field.file_name().map(str::to_string);
        let data = match field.bytes().await {
            Ok(d) => d,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large()),
            Err(_) => return Err(bad("上传中断或格式不正确")),
        };
        match file_name {
            // An empty file input sends a part with no name and no bytes: nothing chosen.
            Some(f) if f.is_empty() && data.is_empty() => {}
            Some(f) => files.push((name, f, data.to_vec())),
            None => fields.push((name, String::from_utf8_lossy(&data).into_owned())),
        }
    }
    Ok((fields, files))
}

fn too_large() -> Response {
    PageError(lianxin_service::Error::Invalid(
        lianxin_domain::Invalid::one("file", "request.too_large", "上传内容超过大小上限"),
    ))
    .into_response_with_status(StatusCode::PAYLOAD_TOO_LARGE)
}

/// A multipart form anyone may post (the public concern form): no session needed.
pub struct PublicMultipart {
    pub fields: Vec<(String, String)>,
    pub files: Vec<(String, String, Vec<u8>)>,
}

impl FromRequest<State> for PublicMultipart {
    type Rejection = Response;
    async fn from_request(req: Request, state: &State) -> Result<Self, Response> {
        let (fields, files) = read_multipart(req, state).await?;
        Ok(PublicMultipart { fields, files })
    }
}

trait StatusOverride {
    fn into_response_with_status(self, s: StatusCode) -> Response;
}
impl<T: IntoResponse> StatusOverride for T {
    fn into_response_with_status(self, s: StatusCode) -> Response {
        let mut r = self.into_response();
        *r.status_mut() = s;
        r
    }
}
