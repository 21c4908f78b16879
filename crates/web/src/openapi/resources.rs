//! The paths of the organisation records, derived from the resource tables
//! (`lianxin_domain::schema`) that also drive validation, storage and the forms: a field's
//! kind, limit, requiredness and filter flag become its JSON Schema here, so the document
//! cannot promise what the server refuses, nor leave out what it accepts.

use lianxin_domain::schema::{ALL, Field, Kind, Resource};
use lianxin_service::records::{MAX_FILTER_CHARS, MAX_PAGE, MAX_PER_PAGE};
use serde_json::{Map, Value, json};

/// Control characters the text parser refuses (all but tab, newline and carriage return).
const CONTROLS: &str = r"\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F";
/// What `str::trim` removes, and every control: a required text needs one character besides.
const BLANKS: &str = r"\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";
/// A search word or text filter: any text without control characters.
const SEARCHABLE: &str = r"^[^\u0000-\u001F\u007F-\u009F]*$";
/// Ids are 64-bit integers.
const MAX_ID: i64 = i64::MAX;
/// What `str::trim` treats as white space: a value of only these is "not given".
const SPACES: &str =
    r"\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";
/// The separators `Phone::parse` drops.
const PHONE_SEP: &str = "[ ()（）-]*";
/// A time of day as the parser takes it: `HH:MM`, 24-hour.
const TIME: &str = "^([01][0-9]|2[0-3]):[0-5][0-9]$";

pub(crate) fn text_pattern(required: bool) -> String {
    if required {
        format!("^[^{CONTROLS}]*[^{BLANKS}][^{CONTROLS}]*$")
    } else {
        format!("^[^{CONTROLS}]*$")
    }
}

/// What a client may send for `f`. A field that is not required may also be `null` (clears it).
fn input_schema(f: &Field) -> Value {
    let mut s = match f.kind {
        Kind::Text { max, .. } => {
            json!({"type": "string", "maxLength": max, "pattern": text_pattern(f.required)})
        }
        Kind::Int { min, max } => json!({"type": "integer", "minimum": min, "maximum": max}),
        Kind::Bool => json!({"type": "boolean"}),
        Kind::Date => json!({"type": "string", "format": "date"}),
        Kind::Time => json!({"type": "string", "pattern": TIME}),
        Kind::Choice(c) => json!({"type": "string", "enum": codes(c),
            "description": format!("可填代码或中文：{}", labels(c))}),
        Kind::Ref(_) => json!({"type": "integer", "minimum": 1, "maximum": MAX_ID}),
        Kind::RefMany { .. } => json!({"type": "array",
            "items": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}),
        Kind::Phone => json!({"type": "string", "pattern": phone_pattern(),
            "description": "11位手机号或带区号的固定电话"}),
    };
    s["title"] = json!(f.label);
    if f.required {
        return s;
    }
    match f.kind {
        // The parser reads a blank string as "not given" for these.
        Kind::Date | Kind::Time | Kind::Choice(_) | Kind::Phone => {
            let blank = json!({"type": "string", "pattern": format!("^[{SPACES}]*$")});
            json!({"title": f.label, "anyOf": [s, blank, {"type": "null"}]})
        }
        _ => {
            nullable(&mut s);
            s
        }
    }
}

fn phone_pattern() -> String {
    let d = format!("[0-9]{PHONE_SEP}");
    format!(
        "^{PHONE_SEP}(\\+{PHONE_SEP}8{PHONE_SEP}6{PHONE_SEP})?(1{PHONE_SEP}({d}){{10}}|0{PHONE_SEP}({d}){{9,11}})$"
    )
}

/// What the server answers for `f`: the stored value, `null` where none is stored.
fn output_schema(f: &Field) -> Value {
    let mut s = match f.kind {
        Kind::Text { .. } | Kind::Date | Kind::Time => json!({"type": "string"}),
        Kind::Int { .. } | Kind::Ref(_) => json!({"type": "integer"}),
        Kind::Bool => json!({"type": "boolean"}),
        Kind::Choice(c) => json!({"type": "string", "enum": codes(c)}),
        Kind::RefMany { .. } => json!({"type": "array", "items": {"type": "integer"}}),
        Kind::Phone => json!({"type": "string", "description": "手机号；列表与详情中为掩码"}),
    };
    s["title"] = json!(f.label);
    if !f.required {
        nullable(&mut s);
    }
    s
}

fn codes(c: &[(&str, &str)]) -> Vec<String> {
    c.iter().map(|(code, _)| code.to_string()).collect()
}

fn labels(c: &[(&str, &str)]) -> String {
    c.iter()
        .map(|(code, label)| format!("{code}={label}"))
        .collect::<Vec<_>>()
        .join("，")
}

fn nullable(s: &mut Value) {
    if let Some(t) = s.get("type").cloned() {
        s["type"] = json!([t, "null"]);
    }
    if let Some(e) = s.get_mut("enum").and_then(Value::as_array_mut) {
        e.push(Value::Null);
    }
}

/// A list filter `?name=value` as the query parser reads it.
fn filter_schema(f: &Field) -> Value {
    match f.kind {
        Kind::Ref(_) | Kind::RefMany { .. } => {
            json!({"type": "integer", "minimum": 1, "maximum": MAX_ID})
        }
        Kind::Int { min, max } => json!({"type": "integer", "minimum": min, "maximum": max}),
        Kind::Bool => json!({"type": "boolean"}),
        Kind::Choice(c) => json!({"type": "string", "enum": codes(c)}),
        _ => json!({"type": "string", "maxLength": MAX_FILTER_CHARS, "pattern": SEARCHABLE}),
    }
}

pub(super) fn schema_name(r: &Resource) -> String {
    r.path
        .split('-')
        .map(|w| w[..1].to_uppercase() + &w[1..])
        .collect()
}

/// `(input for create, input for update, output)`.
pub(super) fn schemas(r: &Resource) -> (Value, Value, Value) {
    let mut input = Map::new();
    let mut output = Map::new();
    let mut required = Vec::new();
    for f in r.fields {
        input.insert(f.name.into(), input_schema(f));
        output.insert(f.name.into(), output_schema(f));
        if f.required {
            required.push(f.name);
        }
    }
    // A client may send back the `id` it read; it is ignored.
    input.insert(
        "id".into(),
        json!({"type": "integer", "minimum": 1, "maximum": MAX_ID,
        "description": "忽略（以路径中的编号为准）"}),
    );
    output.insert("id".into(), json!({"type": "integer"}));
    let create = json!({"type": "object", "properties": input.clone(), "required": required,
        "additionalProperties": false});
    let update = json!({"type": "object", "properties": input, "additionalProperties": false,
        "description": "只改所给字段"});
    let out = json!({"type": "object", "title": r.label, "properties": output,
        "required": ["id"]});
    (create, update, out)
}

fn id_param() -> Value {
    json!({"name": "id", "in": "path", "required": true,
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}})
}

fn list_params(r: &Resource) -> Vec<Value> {
    let mut p = vec![
        json!({"name": "page", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}}),
        json!({"name": "per_page", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE}}),
        json!({"name": "q", "in": "query", "required": false, "description": "按名称等搜索",
            "schema": {"type": "string", "maxLength": 50, "pattern": SEARCHABLE}}),
    ];
    for f in r.fields.iter().filter(|f| f.filter) {
        p.push(
            json!({"name": f.name, "in": "query", "required": false, "description": f.label,
            "schema": filter_schema(f)}),
        );
    }
    // A filter form sends its blank fields too; the list reads an empty value as not given.
    for param in &mut p {
        param["allowEmptyValue"] = json!(true);
    }
    p
}

fn page_of(name: &str) -> Value {
    json!({"type": "object", "required": ["items", "total", "page", "per_page"], "properties": {
        "items": {"type": "array", "items": {"$ref": format!("#/components/schemas/{name}")}},
        "total": {"type": "integer"}, "page": {"type": "integer"}, "per_page": {"type": "integer"}}})
}

fn ok(desc: &str, schema: Value) -> Value {
    json!({"description": desc, "content": {"application/json": {"schema": schema}}})
}

fn op(summary: String, tag: &str, status: &str, response: Value) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("summary".into(), json!(summary));
    m.insert("tags".into(), json!([tag]));
    m.insert("responses".into(), json!({ status: response }));
    m
}

fn conflict() -> Value {
    json!({"description": "与现有数据冲突：重复，或所引用的记录不存在", "content": {"application/json":
        {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}})
}

/// Every resource path (staff and public) and the schemas they refer to.
pub(super) fn paths_and_schemas() -> (Map<String, Value>, Map<String, Value>) {
    let mut paths = Map::new();
    let mut components = Map::new();
    for r in ALL {
        let name = schema_name(r);
        let (create_in, update_in, output) = schemas(r);
        components.insert(format!("{name}Create"), create_in);
        components.insert(format!("{name}Update"), update_in);
        components.insert(name.clone(), output);
        let item = json!({"$ref": format!("#/components/schemas/{name}")});
        let body = |schema: &str| {
            json!({"required": true, "content": {"application/json": {"schema":
                {"$ref": format!("#/components/schemas/{name}{schema}")}}}})
        };
        let mut list = op(
            format!("列出{}", r.label),
            r.label,
            "200",
            ok("分页列表", page_of(&name)),
        );
        list.insert("parameters".into(), json!(list_params(r)));
        let mut create = op(
            format!("新建{}", r.label),
            r.label,
            "201",
            ok("已创建", item.clone()),
        );
        create.insert("requestBody".into(), body("Create"));
        create["responses"]["409"] = conflict();
        paths.insert(
            format!("/api/v1/{}", r.path),
            json!({"get": list, "post": create}),
        );
        let mut get = op(
            format!("查看{}", r.label),
            r.label,
            "200",
            ok("记录", item.clone()),
        );
        get.insert("parameters".into(), json!([id_param()]));
        let mut patch = op(
            format!("修改{}（只改所给字段）", r.label),
            r.label,
            "200",
            ok("已修改", item.clone()),
        );
        patch.insert("parameters".into(), json!([id_param()]));
        patch.insert("requestBody".into(), body("Update"));
        patch["responses"]["409"] = conflict();
        paths.insert(
            format!("/api/v1/{}/{{id}}", r.path),
            json!({"get": get, "patch": patch}),
        );
        if r.public {
            let public = json!([]);
            let committee = json!({"name": "committee", "in": "query", "required": false, "allowEmptyValue": true,
                "description": "哪个政协组织（默认第一个）",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}});
            let mut pl = op(
                format!("公开：{}列表", r.label),
                "公开",
                "200",
                ok("分页列表", page_of(&name)),
            );
            let mut params = list_params(r);
            params.push(committee.clone());
            pl.insert("parameters".into(), json!(params));
            pl.insert("security".into(), public.clone());
            paths.insert(format!("/api/v1/public/{}", r.path), json!({"get": pl}));
            let mut pg = op(
                format!("公开：{}", r.label),
                "公开",
                "200",
                ok("记录", item),
            );
            pg.insert("parameters".into(), json!([id_param(), committee]));
            pg.insert("security".into(), public);
            paths.insert(
                format!("/api/v1/public/{}/{{id}}", r.path),
                json!({"get": pg}),
            );
        }
    }
    (paths, components)
}

#[cfg(test)]
mod tests {
    //! The patterns promise what the parsers do: a string the schema allows is taken, one it
    //! forbids is refused, for strings made of the characters that tell them apart.
    use super::*;
    use lianxin_domain::phone::Phone;
    use lianxin_domain::text::{parse_text, parse_time};
    use proptest::prelude::*;
    use regex::Regex;

    fn tricky() -> impl Strategy<Value = String> {
        let chars = prop::sample::select(vec![
            'a', '张', '0', '1', '9', ':', ' ', '\t', '\n', '\r', '\u{0}', '\u{7}', '\u{1c}',
            '\u{7f}', '\u{85}', '\u{a0}', '\u{3000}', '\u{2028}', '\u{feff}', '+', '-', '(', '）',
            '8', '6',
        ]);
        prop::collection::vec(chars, 0..16).prop_map(|v| v.into_iter().collect())
    }

    proptest! {
        #[test]
        fn text_patterns_match_the_text_parser(s in tricky(), required in any::<bool>()) {
            let re = Regex::new(&text_pattern(required)).unwrap();
            let parsed = parse_text("f", "字段", &s, 1000, required);
            prop_assert_eq!(re.is_match(&s), parsed.is_ok(), "{:?}", s);
        }

        #[test]
        fn the_phone_pattern_matches_the_phone_parser(s in tricky()) {
            let re = Regex::new(&phone_pattern()).unwrap();
            prop_assert_eq!(re.is_match(&s), Phone::parse("phone", &s).is_ok(), "{:?}", s);
        }

        #[test]
        fn the_time_pattern_matches_the_time_parser(h in 0u32..40, m in 0u32..70) {
            let s = format!("{h:02}:{m:02}");
            let re = Regex::new(TIME).unwrap();
            prop_assert_eq!(re.is_match(&s), parse_time("t", "时间", &s, true).is_ok(), "{}", s);
        }
    }

    #[test]
    fn every_resource_has_a_schema_for_create_update_and_output() {
        let (paths, schemas) = paths_and_schemas();
        for r in ALL {
            let name = schema_name(r);
            for suffix in ["", "Create", "Update"] {
                assert!(
                    schemas.contains_key(&format!("{name}{suffix}")),
                    "{name}{suffix}"
                );
            }
            assert!(paths.contains_key(&format!("/api/v1/{}", r.path)));
        }
    }
}
