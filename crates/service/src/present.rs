//! Turning stored records into what people and API clients see: references shown by name,
//! choices by their Chinese label, phones masked, non-public fields left out for the public.

use std::collections::HashMap;

use lianxin_domain::schema::{Field, Kind, Res, Resource, choice_label};
use lianxin_store::Conn;
use lianxin_store::records::{Cell, Stored, titles};
use serde_json::{Map, Value, json};

use crate::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Anyone, no account: public fields only, no phone.
    Public,
    /// Committee staff: every field, phone masked.
    Staff,
}

/// One field as shown on a page.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Shown {
    pub name: &'static str,
    pub label: &'static str,
    pub text: String,
    /// `(path, id)` of referenced records, for links.
    pub refs: Vec<(&'static str, i64, String)>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Item {
    pub id: i64,
    pub title: String,
    pub json: Map<String, Value>,
    pub shown: Vec<Shown>,
}

impl Item {
    pub fn shown(&self, name: &str) -> Option<&Shown> {
        self.shown.iter().find(|s| s.name == name)
    }
    pub fn text(&self, name: &str) -> String {
        self.shown(name).map(|s| s.text.clone()).unwrap_or_default()
    }
}

pub type Titles = HashMap<(Res, i64), String>;

/// Look up the names of every record referenced by these rows, one query per kind.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn load_titles(
    c: &mut Conn<'_>,
    res: &Resource,
    scope: i64,
    rows: &[Stored],
) -> Result<Titles> {
    let mut wanted: HashMap<Res, Vec<i64>> = HashMap::new();
    for f in res.fields {
        let target = match f.kind {
            Kind::Ref(t) => t,
            Kind::RefMany { target, .. } => target,
            _ => continue,
        };
        for r in rows {
            match r.cells.get(f.name) {
                Some(Cell::Int(id)) => wanted.entry(target).or_default().push(*id),
                Some(Cell::Ids(ids)) => wanted.entry(target).or_default().extend(ids),
                _ => {}
            }
        }
    }
    let mut out = Titles::new();
    for (target, mut ids) in wanted {
        ids.sort_unstable();
        ids.dedup();
        for (id, t) in titles(c, target, scope, &ids).await? {
            out.insert((target, id), t);
        }
    }
    Ok(out)
}

fn ref_key(f: &Field) -> String {
    // `sector_id` → `sector`, `special_committee_ids` → `special_committees`
    if let Some(s) = f.name.strip_suffix("_ids") {
        format!("{s}s")
    } else {
        f.name.strip_suffix("_id").unwrap_or(f.name).to_string()
    }
}

pub fn present(res: &Resource, row: &Stored, titles: &Titles, audience: Audience) -> Item {
    let mut json = Map::new();
    json.insert("id".into(), json!(row.id));
    let mut shown = Vec::new();
    for f in res.fields {
        if audience == Audience::Public && !f.public {
            continue;
        }
        let cell = row.cells.get(f.name).cloned().unwrap_or(Cell::Null);
        let (value, text, refs) = match (&f.kind, cell) {
            (_, Cell::Null) => (Value::Null, String::new(), vec![]),
            (Kind::Choice(choices), Cell::Text(code)) => {
                let label = choice_label(choices, &code).unwrap_or("").to_string();
                (json!(code), label, vec![])
            }
            (Kind::Ref(target), Cell::Int(id)) => {
                let t = titles.get(&(*target, id)).cloned().unwrap_or_default();
                json.insert(ref_key(f), json!(t));
                (
                    json!(id),
                    t.clone(),
                    vec![(lianxin_domain::schema::resource(*target).path, id, t)],
                )
            }
            (Kind::RefMany { target, .. }, Cell::Ids(ids)) => {
                let names: Vec<String> = ids
                    .iter()
                    .map(|id| titles.get(&(*target, *id)).cloned().unwrap_or_default())
                    .collect();
                json.insert(ref_key(f), json!(names));
                let path = lianxin_domain::schema::resource(*target).path;
                let refs = ids
                    .iter()
                    .zip(names.iter())
                    .map(|(id, n)| (path, *id, n.clone()))
                    .collect();
                (json!(ids), names.join("、"), refs)
            }
            (_, Cell::Bool(b)) => (json!(b), if b { "是" } else { "否" }.to_string(), vec![]),
            (_, Cell::Int(n)) => (json!(n), n.to_string(), vec![]),
            (_, Cell::Text(s)) => (json!(s), s, vec![]),
            (_, Cell::Phone { masked, .. }) => (json!(masked), masked.unwrap_or_default(), vec![]),
            (_, Cell::Ids(ids)) => (json!(ids), String::new(), vec![]),
        };
        json.insert(f.name.to_string(), value);
        shown.push(Shown {
            name: f.name,
            label: f.label,
            text,
            refs,
        });
    }
    let title = row.text(res.title_field()).unwrap_or_default().to_string();
    Item {
        id: row.id,
        title,
        json,
        shown,
    }
}
