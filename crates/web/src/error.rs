//! One error type for the edge. API errors are JSON
//! `{"error":{"code":"…","message":"中文说明","fields":[…]}}`; page errors are a Chinese page.
//! A 500 logs its cause with a request id and shows only the id.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lianxin_service::Error;
use serde_json::json;

use crate::api::{ErrorBody, ErrorDetail};

#[derive(Debug)]
pub struct ApiError(pub Error);

impl<E: Into<Error>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

pub fn status_of(e: &Error) -> StatusCode {
    match e {
        Error::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        Error::NotFound { .. } => StatusCode::NOT_FOUND,
        Error::Forbidden(_) => StatusCode::FORBIDDEN,
        Error::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
        Error::Conflict { .. } => StatusCode::CONFLICT,
        Error::TooMany { .. } => StatusCode::TOO_MANY_REQUESTS,
        Error::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
        Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// (code, message, field errors) for any error.
pub fn describe(e: &Error) -> (String, String, serde_json::Value) {
    match e {
        Error::Invalid(inv) => {
            let code = inv
                .0
                .first()
                .map(|f| format!("validation.{}", f.code))
                .unwrap_or_else(|| "validation.failed".into());
            (code, inv.summary(), json!(inv.0))
        }
        Error::NotFound { code, message } => (code.to_string(), message.clone(), json!([])),
        Error::Forbidden(p) => (
            "auth.forbidden".into(),
            format!("没有执行此操作的权限（{p}）"),
            json!([]),
        ),
        Error::Unauthorized { code, message } => (code.to_string(), message.to_string(), json!([])),
        Error::Conflict {
            code,
            message,
            field,
        } => {
            let fields = field
                .as_ref()
                .map(|f| json!([{"field": f, "code": code, "message": message}]))
                .unwrap_or(json!([]));
            (code.to_string(), message.clone(), fields)
        }
        Error::TooMany { message, .. } => ("rate_limited".into(), message.clone(), json!([])),
        Error::Unavailable { code, message, .. } => (code.to_string(), message.clone(), json!([])),
        Error::Internal(_) => {
            let id = request_id();
            tracing::error!(request_id = %id, "{}", e.chain());
            (
                "internal".into(),
                format!("服务器内部错误，请联系管理员（请求编号 {id}）"),
                json!([]),
            )
        }
    }
}

fn request_id() -> String {
    lianxin_service::crypto::random_token()
        .chars()
        .take(12)
        .collect()
}

fn retry_after(e: &Error, res: &mut Response) {
    if let Error::TooMany {
        retry_after_secs, ..
    }
    | Error::Unavailable {
        retry_after_secs, ..
    } = e
        && let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string())
    {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
}

/// The API's status for an error. A refused input that names only records which do not
/// exist (a dangling `sector_id`) is well formed and conflicts with what is stored: 409, as
/// for a duplicate. 422 stays for input that is wrong whatever the database holds.
pub fn api_status_of(e: &Error) -> StatusCode {
    match e {
        Error::Invalid(inv)
            if !inv.0.is_empty() && inv.0.iter().all(|f| f.code == "invalid_ref") =>
        {
            StatusCode::CONFLICT
        }
        _ => status_of(e),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = api_status_of(&self.0);
        let (code, message, fields) = describe(&self.0);
        let fields = serde_json::from_value(fields).unwrap_or_default();
        let body = ErrorBody {
            error: ErrorDetail {
                code,
                message,
                fields,
            },
        };
        let mut res = (status, Json(body)).into_response();
        retry_after(&self.0, &mut res);
        res
    }
}

/// An API error made at the edge itself (bad body, wrong content type …).
pub fn edge(status: StatusCode, code: &str, message: &str) -> Response {
    let body = ErrorBody {
        error: ErrorDetail {
            code: code.into(),
            message: message.into(),
            fields: vec![],
        },
    };
    (status, Json(body)).into_response()
}

/// A page error: the same information as a Chinese page.
#[derive(Debug)]
pub struct PageError(pub Error);

impl<E: Into<Error>> From<E> for PageError {
    fn from(e: E) -> Self {
        PageError(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if let Error::Unauthorized { .. } = self.0 {
            return axum::response::Redirect::to("/login").into_response();
        }
        let status = status_of(&self.0);
        let (code, message, _) = describe(&self.0);
        let title = match status {
            StatusCode::NOT_FOUND => "页面不存在",
            StatusCode::FORBIDDEN => "没有权限",
            StatusCode::TOO_MANY_REQUESTS => "请稍后再试",
            StatusCode::SERVICE_UNAVAILABLE => "暂时无法办理",
            StatusCode::UNPROCESSABLE_ENTITY => "填写有误",
            _ => "出错了",
        };
        let mut res = (status, crate::ui::render_error(title, &message)).into_response();
        retry_after(&self.0, &mut res);
        // The stable code for machines, as on a refused form (never for internal errors,
        // whose code says nothing a caller can act on).
        if !matches!(self.0, Error::Internal(_))
            && let Ok(v) = axum::http::HeaderValue::from_str(&code)
        {
            res.headers_mut().insert("x-lianxin-error", v);
        }
        res
    }
}
