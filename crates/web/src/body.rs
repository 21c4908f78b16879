//! Reading request bodies at the edge with our own errors: a JSON body must say it is JSON
//! (415), parse (400), be an object, and fit the limit (413); forms must be valid UTF-8.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use crate::error::edge;

async fn bytes_of(req: Request, limit_message: &str) -> Result<Bytes, Response> {
    Bytes::from_request(req, &()).await.map_err(|rej| {
        if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
            edge(
                StatusCode::PAYLOAD_TOO_LARGE,
                "request.too_large",
                limit_message,
            )
        } else {
            edge(
                StatusCode::BAD_REQUEST,
                "request.unreadable",
                "无法读取请求内容",
            )
        }
    })
}

fn content_type(req: &Request) -> String {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// A JSON object body.
pub struct JsonObject(pub Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for JsonObject {
    type Rejection = Response;
    async fn from_request(req: Request, _: &S) -> Result<Self, Response> {
        if !content_type(&req).starts_with("application/json") {
            return Err(edge(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "request.unsupported_media_type",
                "请求内容类型应为 application/json",
            ));
        }
        let bytes = bytes_of(req, "请求内容超过 1 MB 上限").await?;
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(m)) => Ok(JsonObject(m)),
            Ok(_) => Err(edge(
                StatusCode::UNPROCESSABLE_ENTITY,
                "request.not_an_object",
                "请求内容应为 JSON 对象",
            )),
            Err(_) => Err(edge(
                StatusCode::BAD_REQUEST,
                "request.malformed_json",
                "请求内容不是有效的 JSON（须为 UTF-8 编码）",
            )),
        }
    }
}

/// A JSON object read into a typed struct: a field of the wrong type or a missing one is a
/// 422 naming the field (never read as zero or empty). Take it after the route's permission
/// (`ApiGrant<P>`), so a caller without the right never learns what the input should be.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = Response;
    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        let JsonObject(m) = JsonObject::from_request(req, state).await?;
        serde_path_to_error::deserialize(Value::Object(m))
            .map(JsonBody)
            .map_err(|e| refused("字段", e))
    }
}

/// A typed API input that does not read: a 422 naming the field (`what`: 字段 or 参数).
fn refused<E: std::fmt::Display>(what: &str, e: serde_path_to_error::Error<E>) -> Response {
    let field = e.path().to_string();
    let message = format!("{what} {field} 的值无效：{}", e.inner());
    crate::error::ApiError(lianxin_service::Error::Invalid(
        lianxin_domain::Invalid::one(&field, "invalid", &message),
    ))
    .into_response()
}

/// A form body (`application/x-www-form-urlencoded`) as ordered pairs, repeats kept: for
/// forms whose fields are data (the organisation records' forms, driven by their tables).
#[derive(serde::Deserialize)]
#[serde(transparent)]
pub struct FormPairs(pub Vec<(String, String)>);

impl FormPairs {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

impl<S: Send + Sync> FromRequest<S> for FormPairs {
    type Rejection = Response;
    async fn from_request(req: Request, _: &S) -> Result<Self, Response> {
        if !content_type(&req).starts_with("application/x-www-form-urlencoded") {
            return Err(crate::ui::render_error("无法提交", "表单格式不正确")
                .into_response_with(StatusCode::UNSUPPORTED_MEDIA_TYPE));
        }
        let bytes = bytes_of(req, "提交内容超过 1 MB 上限").await?;
        if std::str::from_utf8(&bytes).is_err() {
            return Err(
                crate::ui::render_error("无法提交", "提交内容不是有效的 UTF-8 文本")
                    .into_response_with(StatusCode::BAD_REQUEST),
            );
        }
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
            .map(FormPairs)
            .map_err(|_| {
                crate::ui::render_error("无法提交", "表单内容无法解析")
                    .into_response_with(StatusCode::BAD_REQUEST)
            })
    }
}

/// A raw upload body (images, spreadsheets) under the upload limit.
pub struct Upload(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for Upload {
    type Rejection = Response;
    async fn from_request(req: Request, _: &S) -> Result<Self, Response> {
        let bytes = bytes_of(req, "上传文件超过 10 MB 上限").await?;
        // No file at all is a malformed request (400); a file that is wrong is the
        // handler's 422 with its reasons.
        if bytes.is_empty() {
            return Err(edge(
                StatusCode::BAD_REQUEST,
                "upload.empty",
                "上传的文件是空的",
            ));
        }
        Ok(Upload(bytes))
    }
}

pub trait WithStatus {
    fn into_response_with(self, status: StatusCode) -> Response;
}
impl<T: IntoResponse> WithStatus for T {
    fn into_response_with(self, status: StatusCode) -> Response {
        let mut r = self.into_response();
        *r.status_mut() = status;
        r
    }
}

/// A query string read into a typed struct: a value of the wrong type is a 422 naming the
/// parameter (never read as a default). Unknown parameters are ignored, as links carry them.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> axum::extract::FromRequestParts<S>
    for ApiQuery<T>
{
    type Rejection = Response;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Response> {
        let raw = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(raw.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|e| refused("参数", e))
    }
}
