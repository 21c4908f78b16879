//! Form fields for any organisation resource, built from its schema.

use std::collections::HashMap;

use lianxin_domain::FieldError;
use lianxin_domain::schema::{Kind, Res, Resource};
use serde_json::{Map, Value};

#[derive(Debug, Clone)]
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Debug, Clone)]
pub struct FormField {
    pub name: &'static str,
    pub label: &'static str,
    /// text, textarea, number, date, checkbox, select, multi, tel
    pub input: &'static str,
    pub value: String,
    pub checked: bool,
    pub options: Vec<Opt>,
    pub required: bool,
    pub max: usize,
    pub error: String,
}

/// The fields with current values (from a record's JSON or the posted form) and errors.
pub fn build(
    res: &Resource,
    current: &Map<String, Value>,
    posted: Option<&[(String, String)]>,
    options: &HashMap<Res, Vec<(i64, String)>>,
    errors: &[FieldError],
) -> Vec<FormField> {
    res.fields
        .iter()
        .map(|f| {
            let posted_vals: Option<Vec<String>> = posted.map(|p| {
                p.iter()
                    .filter(|(k, _)| k == f.name)
                    .map(|(_, v)| v.clone())
                    .collect()
            });
            let cur = current.get(f.name).cloned().unwrap_or(Value::Null);
            let value = match &posted_vals {
                Some(v) => v.first().cloned().unwrap_or_default(),
                None => match &cur {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    _ => String::new(),
                },
            };
            let selected_ids: Vec<String> = match &posted_vals {
                Some(v) => v.clone(),
                None => match &cur {
                    Value::Array(a) => a.iter().map(|x| x.to_string()).collect(),
                    Value::Number(n) => vec![n.to_string()],
                    _ => vec![],
                },
            };
            let (input, opts, max) = match f.kind {
                Kind::Text { max, multiline } => {
                    (if multiline { "textarea" } else { "text" }, vec![], max)
                }
                Kind::Int { .. } => ("number", vec![], 20),
                Kind::Bool => ("checkbox", vec![], 0),
                Kind::Date => ("date", vec![], 10),
                Kind::Time => ("time", vec![], 5),
                Kind::Phone => ("tel", vec![], 20),
                Kind::Choice(c) => (
                    "select",
                    c.iter()
                        .map(|(code, label)| Opt {
                            value: code.to_string(),
                            label: label.to_string(),
                            selected: value == *code,
                        })
                        .collect(),
                    0,
                ),
                Kind::Ref(t) | Kind::RefMany { target: t, .. } => (
                    if matches!(f.kind, Kind::Ref(_)) {
                        "select"
                    } else {
                        "multi"
                    },
                    options
                        .get(&t)
                        .map(|o| {
                            o.iter()
                                .map(|(id, name)| {
                                    let v = id.to_string();
                                    Opt {
                                        selected: selected_ids.contains(&v),
                                        value: v,
                                        label: name.clone(),
                                    }
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                    0,
                ),
            };
            let checked = match &posted_vals {
                Some(v) => v.iter().any(|x| x == "on" || x == "true"),
                None => cur == Value::Bool(true),
            };
            let error = errors
                .iter()
                .filter(|e| e.field == f.name)
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join("；");
            // The phone field is shown masked; leave it empty so that saving keeps it.
            let value = if f.kind == Kind::Phone && posted.is_none() {
                String::new()
            } else {
                value
            };
            FormField {
                name: f.name,
                label: f.label,
                input,
                value,
                checked,
                options: opts,
                required: f.required,
                max,
                error,
            }
        })
        .collect()
}
