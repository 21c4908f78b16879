//! A validated organisation record: the values of a [`Resource`]'s fields, parsed from JSON
//! (strictly typed, for API clients) or from a form (strings, for people).

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json};

use crate::Invalid;
use crate::phone::Phone;
use crate::schema::{Field, Kind, Resource};
use crate::text::{parse_date, parse_text, parse_time};

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Text(String),
    Int(i64),
    Bool(bool),
    Ids(Vec<i64>),
    Phone(Phone),
}

/// Field name → validated value. Only fields that were given are present, so the same type
/// serves create (all required fields present) and partial update.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Record(pub BTreeMap<&'static str, Value>);

impl Record {
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }
    pub fn text(&self, name: &str) -> Option<&str> {
        match self.0.get(name) {
            Some(Value::Text(s)) => Some(s),
            _ => None,
        }
    }
    pub fn set(&mut self, name: &'static str, v: Value) {
        self.0.insert(name, v);
    }
}

/// Whether absent fields are an error (create) or left as they are (update).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Create,
    Update,
}

/// Parse a JSON object. Unknown fields are refused so that a typo does not silently drop data.
pub fn from_json(res: &Resource, body: &Map<String, Json>, mode: Mode) -> Result<Record, Invalid> {
    let mut errors = Invalid::default();
    for (key, v) in body {
        if key == "id" {
            // A client may send back the id it read; it is ignored, but must be an id.
            if v.as_i64().is_none_or(|n| n < 1) {
                errors.push("id", "wrong_type", "编号应为正整数");
            }
        } else if res.field(key).is_none() {
            errors.push(key, "unknown_field", format!("未知字段：{key}"));
        }
    }
    let mut rec = Record::default();
    for field in res.fields {
        match body.get(field.name) {
            None => {
                if mode == Mode::Create && field.required {
                    errors.push(field.name, "required", format!("请填写{}", field.label));
                }
            }
            Some(v) => match json_value(field, v) {
                Ok(value) => {
                    if value == Value::Null && field.required {
                        errors.push(field.name, "required", format!("请填写{}", field.label));
                    } else {
                        rec.0.insert(field.name, value);
                    }
                }
                Err(e) => errors.0.extend(e.0),
            },
        }
    }
    if errors.is_empty() {
        Ok(rec)
    } else {
        Err(errors)
    }
}

fn wrong_type(field: &Field, expected: &str) -> Invalid {
    Invalid::one(
        field.name,
        "wrong_type",
        format!("{}应为{expected}", field.label),
    )
}

fn json_value(field: &Field, v: &Json) -> Result<Value, Invalid> {
    if v.is_null() {
        return Ok(Value::Null);
    }
    match field.kind {
        Kind::Text { .. } | Kind::Date | Kind::Time | Kind::Choice(_) | Kind::Phone => {
            match v.as_str() {
                Some(s) => text_value(field, s),
                None => Err(wrong_type(field, "字符串")),
            }
        }
        Kind::Int { .. } | Kind::Ref(_) => match v.as_i64() {
            Some(n) => int_value(field, n),
            None => Err(wrong_type(field, "整数")),
        },
        Kind::Bool => v
            .as_bool()
            .map(Value::Bool)
            .ok_or_else(|| wrong_type(field, "true 或 false")),
        Kind::RefMany { .. } => {
            let items = v.as_array().ok_or_else(|| wrong_type(field, "编号数组"))?;
            let ids: Option<Vec<i64>> = items
                .iter()
                .map(|i| i.as_i64().filter(|n| *n > 0))
                .collect();
            ids.map(dedup)
                .map(Value::Ids)
                .ok_or_else(|| wrong_type(field, "编号数组"))
        }
    }
}

fn dedup(mut ids: Vec<i64>) -> Vec<i64> {
    ids.sort_unstable();
    ids.dedup();
    ids
}

fn int_value(field: &Field, n: i64) -> Result<Value, Invalid> {
    match field.kind {
        Kind::Int { min, max } if n < min || n > max => Err(Invalid::one(
            field.name,
            "out_of_range",
            format!("{}应在{min}到{max}之间", field.label),
        )),
        Kind::Ref(_) if n <= 0 => Err(Invalid::one(
            field.name,
            "invalid_ref",
            format!("{}编号无效", field.label),
        )),
        _ => Ok(Value::Int(n)),
    }
}

/// One string as typed by a person or sent by a client.
fn text_value(field: &Field, s: &str) -> Result<Value, Invalid> {
    let required = field.required;
    let none_or = |o: Option<String>| o.map(Value::Text).unwrap_or(Value::Null);
    match field.kind {
        Kind::Text { max, .. } => {
            parse_text(field.name, field.label, s, max, required).map(none_or)
        }
        Kind::Date => parse_date(field.name, field.label, s, required).map(none_or),
        Kind::Time => parse_time(field.name, field.label, s, required).map(none_or),
        Kind::Choice(choices) => {
            let s = s.trim();
            if s.is_empty() {
                return if required {
                    Err(Invalid::one(
                        field.name,
                        "required",
                        format!("请选择{}", field.label),
                    ))
                } else {
                    Ok(Value::Null)
                };
            }
            choices
                .iter()
                .find(|(code, label)| *code == s || *label == s)
                .map(|(code, _)| Value::Text(code.to_string()))
                .ok_or_else(|| {
                    let allowed: Vec<&str> = choices.iter().map(|(_, l)| *l).collect();
                    Invalid::one(
                        field.name,
                        "invalid_choice",
                        format!("{}只能是：{}", field.label, allowed.join("、")),
                    )
                })
        }
        Kind::Phone => {
            if s.trim().is_empty() {
                return if required {
                    Err(Invalid::one(field.name, "required", "请填写手机号码"))
                } else {
                    Ok(Value::Null)
                };
            }
            Phone::parse(field.name, s).map(Value::Phone)
        }
        Kind::Int { .. } | Kind::Ref(_) => {
            let s = s.trim();
            if s.is_empty() {
                return if required {
                    Err(Invalid::one(
                        field.name,
                        "required",
                        format!("请填写{}", field.label),
                    ))
                } else {
                    Ok(Value::Null)
                };
            }
            match s.parse::<i64>() {
                Ok(n) => int_value(field, n),
                Err(_) => Err(wrong_type(field, "整数")),
            }
        }
        Kind::Bool => Ok(Value::Bool(matches!(s.trim(), "on" | "true" | "1" | "是"))),
        Kind::RefMany { .. } => Err(wrong_type(field, "编号数组")),
    }
}

/// Parse an HTML form (every field present; an unchecked box is absent and means false).
pub fn from_form(res: &Resource, pairs: &[(String, String)]) -> Result<Record, Invalid> {
    let mut errors = Invalid::default();
    let mut rec = Record::default();
    for field in res.fields {
        let values: Vec<&str> = pairs
            .iter()
            .filter(|(k, _)| k == field.name)
            .map(|(_, v)| v.as_str())
            .collect();
        let result = match field.kind {
            Kind::Bool => Ok(Value::Bool(
                values.iter().any(|v| matches!(*v, "on" | "true" | "1")),
            )),
            Kind::RefMany { .. } => {
                let ids: Result<Vec<i64>, _> = values
                    .iter()
                    .filter(|v| !v.trim().is_empty())
                    .map(|v| v.trim().parse::<i64>())
                    .collect();
                ids.map(|i| Value::Ids(dedup(i)))
                    .map_err(|_| wrong_type(field, "编号数组"))
            }
            _ => text_value(field, values.first().copied().unwrap_or("")),
        };
        match result {
            Ok(v) => {
                rec.0.insert(field.name, v);
            }
            Err(e) => errors.0.extend(e.0),
        }
    }
    if errors.is_empty() {
        Ok(rec)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::MEMBER;
    use serde_json::json;

    fn obj(v: Json) -> Map<String, Json> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn create_needs_required_fields_and_reports_all_of_them() {
        let err = from_json(&MEMBER, &obj(json!({})), Mode::Create).unwrap_err();
        let fields: Vec<&str> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["name", "sector_id", "status"]);
        assert!(err.0[0].message.contains("姓名"));
    }

    #[test]
    fn update_may_omit_fields_but_not_null_required_ones() {
        let rec = from_json(&MEMBER, &obj(json!({"bio": "新简介"})), Mode::Update).unwrap();
        assert_eq!(rec.text("bio"), Some("新简介"));
        assert!(from_json(&MEMBER, &obj(json!({"name": null})), Mode::Update).is_err());
    }

    #[test]
    fn wrong_types_are_named() {
        let err = from_json(
            &MEMBER,
            &obj(json!({"name": 5, "sector_id": "x", "is_standing": "yes", "status": "active"})),
            Mode::Create,
        )
        .unwrap_err();
        let codes: Vec<(&str, &str)> = err.0.iter().map(|e| (e.field.as_str(), e.code)).collect();
        assert_eq!(
            codes,
            vec![
                ("name", "wrong_type"),
                ("sector_id", "wrong_type"),
                ("is_standing", "wrong_type")
            ]
        );
    }

    #[test]
    fn unknown_fields_are_refused() {
        let err = from_json(&MEMBER, &obj(json!({"nmae": "张三"})), Mode::Update).unwrap_err();
        assert_eq!(err.0[0].code, "unknown_field");
    }

    #[test]
    fn choices_accept_code_or_chinese_label() {
        let a = from_json(&MEMBER, &obj(json!({"gender": "女"})), Mode::Update).unwrap();
        let b = from_json(&MEMBER, &obj(json!({"gender": "female"})), Mode::Update).unwrap();
        assert_eq!(a, b);
        assert!(from_json(&MEMBER, &obj(json!({"gender": "x"})), Mode::Update).is_err());
    }

    #[test]
    fn html_is_kept_as_given() {
        let rec = from_json(
            &MEMBER,
            &obj(json!({"bio": "<script>alert(1)</script>"})),
            Mode::Update,
        )
        .unwrap();
        assert_eq!(rec.text("bio"), Some("<script>alert(1)</script>"));
    }

    #[test]
    fn form_checkbox_and_multi_select() {
        let pairs: Vec<(String, String)> = [
            ("name", "李四"),
            ("sector_id", "3"),
            ("status", "active"),
            ("special_committee_ids", "2"),
            ("special_committee_ids", "1"),
            ("special_committee_ids", "2"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        let rec = from_form(&MEMBER, &pairs).unwrap();
        assert_eq!(rec.get("is_standing"), Some(&Value::Bool(false)));
        assert_eq!(
            rec.get("special_committee_ids"),
            Some(&Value::Ids(vec![1, 2]))
        );
        assert_eq!(rec.get("phone"), Some(&Value::Null));
    }
}
