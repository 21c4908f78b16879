//! `GET /api/openapi.json`: an OpenAPI 3.1 document generated from the same resource schema
//! the API serves, so a resource cannot be served without being documented.

use axum::Json;
use lianxin_domain::schema::{ALL, Field, Kind, Resource};
use serde_json::{Map, Value, json};

fn field_schema(f: &Field) -> Value {
    let mut s = match f.kind {
        Kind::Text { max, .. } => json!({"type": "string", "maxLength": max}),
        Kind::Int { min, max } => json!({"type": "integer", "minimum": min, "maximum": max}),
        Kind::Bool => json!({"type": "boolean"}),
        Kind::Date => json!({"type": "string", "format": "date"}),
        Kind::Time => json!({"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"}),
        Kind::Choice(c) => {
            json!({"type": "string", "enum": c.iter().map(|(code, _)| *code).collect::<Vec<_>>()})
        }
        Kind::Ref(_) => json!({"type": "integer", "minimum": 1}),
        Kind::RefMany { .. } => {
            json!({"type": "array", "items": {"type": "integer", "minimum": 1}})
        }
        Kind::Phone => json!({"type": "string", "description": "手机号；读取时为掩码"}),
    };
    s["title"] = json!(f.label);
    s
}

fn schemas(r: &Resource) -> (Value, Value) {
    let mut props = Map::new();
    let mut required = Vec::new();
    for f in r.fields {
        props.insert(f.name.into(), field_schema(f));
        if f.required {
            required.push(f.name);
        }
    }
    let input = json!({"type": "object", "properties": props.clone(), "required": required, "additionalProperties": false});
    let mut out_props = props;
    out_props.insert("id".into(), json!({"type": "integer"}));
    let output = json!({"type": "object", "title": r.label, "properties": out_props});
    (input, output)
}

fn error_responses(codes: &[&str]) -> Map<String, Value> {
    let mut m = Map::new();
    for c in codes {
        m.insert((*c).into(), json!({"description": "错误", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}));
    }
    m
}

fn ok(desc: &str, schema: Value) -> Value {
    json!({"description": desc, "content": {"application/json": {"schema": schema}}})
}

fn op(summary: &str, tag: &str, status: &str, response: Value, errors: &[&str]) -> Value {
    let mut responses = error_responses(errors);
    responses.insert(status.into(), response);
    json!({"summary": summary, "tags": [tag], "responses": responses})
}

fn id_param() -> Value {
    json!({"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}})
}

fn list_params(r: &Resource) -> Vec<Value> {
    let mut p = vec![
        json!({"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}}),
        json!({"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}}),
        json!({"name": "q", "in": "query", "description": "按名称等搜索", "schema": {"type": "string", "maxLength": 50}}),
    ];
    for f in r.fields.iter().filter(|f| f.filter) {
        p.push(json!({"name": f.name, "in": "query", "description": f.label, "schema": {"type": "string"}}));
    }
    p
}

fn page_of(name: &str) -> Value {
    json!({"type": "object", "properties": {
        "items": {"type": "array", "items": {"$ref": format!("#/components/schemas/{name}")}},
        "total": {"type": "integer"}, "page": {"type": "integer"}, "per_page": {"type": "integer"}}})
}

fn schema_name(r: &Resource) -> String {
    r.path
        .split('-')
        .map(|w| w[..1].to_uppercase() + &w[1..])
        .collect()
}

pub fn build() -> Value {
    let mut paths = Map::new();
    let mut components = Map::new();
    components.insert(
        "Error".into(),
        json!({"type": "object", "required": ["error"], "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
            "code": {"type": "string"}, "message": {"type": "string"}, "fields": {"type": "array", "items": {"type": "object"}}}}}}),
    );
    let any = json!({"type": "object"});
    for r in ALL {
        let name = schema_name(r);
        let (input, output) = schemas(r);
        components.insert(format!("{name}Input"), input);
        components.insert(name.clone(), output);
        let item_ref = json!({"$ref": format!("#/components/schemas/{name}")});
        let body = |required: bool| {
            json!({"required": true, "content": {"application/json": {"schema":
            if required { json!({"$ref": format!("#/components/schemas/{name}Input")}) } else { json!({"type": "object"}) }}}})
        };
        let mut list = op(
            &format!("列出{}", r.label),
            r.label,
            "200",
            ok("分页列表", page_of(&name)),
            &["400", "401", "403", "422"],
        );
        list["parameters"] = json!(list_params(r));
        let mut create = op(
            &format!("新建{}", r.label),
            r.label,
            "201",
            ok("已创建", item_ref.clone()),
            &["400", "401", "403", "409", "413", "415", "422"],
        );
        create["requestBody"] = body(true);
        paths.insert(
            format!("/api/v1/{}", r.path),
            json!({"get": list, "post": create}),
        );
        let mut get = op(
            &format!("查看{}", r.label),
            r.label,
            "200",
            ok("记录", item_ref.clone()),
            &["401", "403", "404"],
        );
        get["parameters"] = json!([id_param()]);
        let mut patch = op(
            &format!("修改{}（只改所给字段）", r.label),
            r.label,
            "200",
            ok("已修改", item_ref.clone()),
            &["400", "401", "403", "404", "409", "413", "415", "422"],
        );
        patch["parameters"] = json!([id_param()]);
        patch["requestBody"] = body(false);
        paths.insert(
            format!("/api/v1/{}/{{id}}", r.path),
            json!({"get": get, "patch": patch}),
        );
        if r.public {
            let mut pl = op(
                &format!("公开：{}列表", r.label),
                "公开",
                "200",
                ok("分页列表", page_of(&name)),
                &["404", "422"],
            );
            let mut params = list_params(r);
            params.push(json!({"name": "committee", "in": "query", "schema": {"type": "integer"}}));
            pl["parameters"] = json!(params);
            paths.insert(format!("/api/v1/public/{}", r.path), json!({"get": pl}));
            let mut pg = op(
                &format!("公开：{}", r.label),
                "公开",
                "200",
                ok("记录", item_ref),
                &["404"],
            );
            pg["parameters"] = json!([id_param()]);
            paths.insert(
                format!("/api/v1/public/{}/{{id}}", r.path),
                json!({"get": pg}),
            );
        }
    }
    let mut login = op(
        "登录，取得令牌",
        "会话",
        "200",
        ok(
            "令牌",
            json!({"type": "object", "properties": {"token": {"type": "string"}, "csrf_token": {"type": "string"}}}),
        ),
        &["400", "401", "415", "429"],
    );
    login["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["username", "password"],
        "properties": {"username": {"type": "string"}, "password": {"type": "string"}}}}}});
    let logout = json!({"summary": "退出登录", "tags": ["会话"], "responses": {"204": {"description": "已退出"}, "401": {"description": "未登录"}}});
    paths.insert(
        "/api/v1/session".into(),
        json!({"post": login, "delete": logout}),
    );
    paths.insert(
        "/api/v1/me".into(),
        json!({"get": op("当前用户", "会话", "200", ok("用户", any.clone()), &["401"])}),
    );
    let mut add_user = op(
        "新建账号",
        "账号",
        "201",
        ok("已创建", any.clone()),
        &["401", "403", "409", "415", "422"],
    );
    add_user["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["username", "display_name", "role", "password"]}}}});
    paths.insert("/api/v1/users".into(), json!({"get": op("账号列表", "账号", "200", ok("账号", any.clone()), &["401", "403"]), "post": add_user}));
    let mut phone = op(
        "查看委员完整手机号（留痕）",
        "委员",
        "200",
        ok("手机号", any.clone()),
        &["401", "403", "404"],
    );
    phone["parameters"] = json!([id_param()]);
    paths.insert("/api/v1/members/{id}/phone".into(), json!({"get": phone}));
    let mut photo = json!({"summary": "上传委员照片（JPEG/PNG，≤10 MB）", "tags": ["委员"], "parameters": [id_param()],
        "requestBody": {"required": true, "content": {"image/jpeg": {}, "image/png": {}}},
        "responses": {"204": {"description": "已保存"}}});
    if let Some(m) = photo["responses"].as_object_mut() {
        m.extend(error_responses(&["401", "403", "404", "413", "422"]));
    }
    paths.insert("/api/v1/members/{id}/photo".into(), json!({"put": photo}));
    let mut import = op(
        "导入花名册（XLSX 或 CSV；dry_run=true 只预览）",
        "委员",
        "200",
        ok("导入结果", any.clone()),
        &["401", "403", "413", "422"],
    );
    import["parameters"] =
        json!([{"name": "dry_run", "in": "query", "schema": {"type": "boolean"}}]);
    import["requestBody"] =
        json!({"required": true, "content": {"text/csv": {}, super::api::XLSX: {}}});
    paths.insert("/api/v1/members/import".into(), json!({"post": import}));
    let mut export = json!({"summary": "导出花名册", "tags": ["委员"], "responses": {"200": {"description": "文件", "content": {"text/csv": {}, super::api::XLSX: {}}}}});
    export["parameters"] = json!([{"name": "format", "in": "query", "schema": {"type": "string", "enum": ["csv", "xlsx"]}}]);
    if let Some(m) = export["responses"].as_object_mut() {
        m.extend(error_responses(&["401", "403"]));
    }
    paths.insert("/api/v1/members/export".into(), json!({"get": export}));
    let mut ev = op(
        "事件流（最近的领域事件）",
        "事件",
        "200",
        ok("事件", any.clone()),
        &["401", "403"],
    );
    ev["parameters"] = json!([{"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}}]);
    paths.insert("/api/v1/events".into(), json!({"get": ev}));
    let mut checkin = op(
        "活动签到：带现场二维码中的签到码为本人签到，或由组织方为指定委员代签",
        "活动",
        "200",
        ok("签到结果", any.clone()),
        &["401", "403", "404", "409"],
    );
    checkin["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": {
        "type": "object", "properties": {"code": {"type": "string"}, "member_id": {"type": "integer"}}}}}});
    paths.insert(
        "/api/v1/activities/{id}/checkins".into(),
        json!({"post": checkin}),
    );
    paths.insert(
        "/api/v1/audit".into(),
        json!({"get": op("审计记录", "审计", "200", ok("审计记录", any), &["401", "403"])}),
    );
    json!({
        "openapi": "3.1.0",
        "info": {"title": "连心 Lianxin API", "version": env!("CARGO_PKG_VERSION"),
            "description": "政协委员联系服务界别群众平台的 JSON 接口。错误统一为 {\"error\":{\"code\",\"message\"}}。"},
        "servers": [{"url": "/"}],
        "components": {"schemas": components, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"},
            "cookie": {"type": "apiKey", "in": "cookie", "name": "lianxin_session"}}},
        "security": [{"bearer": []}, {"cookie": []}],
        "paths": paths,
    })
}

pub async fn document() -> Json<Value> {
    Json(build())
}
