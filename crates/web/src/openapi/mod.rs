//! `GET /api/openapi.json`: the OpenAPI 3.1 document, derived from code rather than written
//! beside it. The fixed operations come from their handlers' `#[utoipa::path]` and DTO types;
//! the organisation records from the resource tables (`resources`). The statuses every
//! operation can answer with because of how it is reached (sign-in, permission, an id in the
//! path, a body, a query) are added by one rule (`edge_statuses`), as the extractors add them.

mod resources;

pub(crate) use resources::text_pattern;

use axum::Json;
use serde_json::{Map, Value, json};
use utoipa::openapi::OpenApi as Document;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::api;

#[derive(OpenApi)]
#[openapi(
    info(title = "连心 Lianxin API",
        description = "政协委员联系服务界别群众平台的 JSON 接口。错误统一为 {\"error\":{\"code\",\"message\",\"fields\"}}：code 为稳定代码，message 为中文说明。"),
    paths(
        api::login, api::logout, api::me, api::users, api::create_user,
        api::reveal_phone, api::put_photo, api::import, api::export,
        api::list_events, api::audit, api::check_in,
    ),
    components(schemas(api::ErrorBody)),
    security(("bearer" = []), ("cookie" = [])),
    modifiers(&Security),
)]
struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("lianxin_session"))),
        );
    }
}

/// Statuses an operation answers with because of how it is reached, added where the
/// handler's own list leaves them out.
fn edge_statuses(paths: &mut Map<String, Value>) {
    let error = |description: &str| {
        json!({"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}})
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for op in item.values_mut().filter_map(Value::as_object_mut) {
            let params = op.get("parameters").and_then(Value::as_array);
            let has_query = params.is_some_and(|ps| ps.iter().any(|p| p["in"] == "query"));
            let names_committee =
                params.is_some_and(|ps| ps.iter().any(|p| p["name"] == "committee"));
            let mut add = vec![];
            // No own `security` means the document's: a session or token is needed.
            if !op.contains_key("security") {
                add.push(("401", "未登录或会话已过期"));
                add.push(("403", "没有执行此操作的权限"));
            }
            if path.contains('{') || names_committee {
                add.push(("404", "记录不存在，或不在本会"));
            }
            if op.contains_key("requestBody") {
                add.push(("400", "请求内容无法解析"));
                add.push(("413", "请求内容超过上限"));
                add.push(("415", "请求内容类型不对"));
                add.push(("422", "填写有误：逐项说明"));
            }
            if has_query {
                add.push(("422", "查询参数有误：逐项说明"));
            }
            if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
                for (status, description) in add {
                    responses
                        .entry(status)
                        .or_insert_with(|| error(description));
                }
            }
        }
    }
}

/// The whole document: the handlers' part from utoipa, the records' part from the resource
/// tables, then the edge statuses over both.
pub fn build() -> Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_else(|_| json!({}));
    let (paths, schemas) = resources::paths_and_schemas();
    if let Some(p) = doc["paths"].as_object_mut() {
        p.extend(paths);
        edge_statuses(p);
    }
    if let Some(s) = doc["components"]["schemas"].as_object_mut() {
        s.extend(schemas);
    }
    doc
}

pub async fn document() -> Json<Value> {
    Json(build())
}
