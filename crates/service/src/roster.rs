//! The member roster in and out of spreadsheets (XLSX or CSV, the columns an office keeps).
//! Import first previews: every bad row is reported with its row number, column and reason,
//! and nothing is written unless the whole file is valid. Members already present (same
//! name and phone) are updated, not duplicated.

use std::collections::HashMap;
use std::io::Cursor;

use calamine::{Reader, Xlsx, open_workbook_from_rs};
use lianxin_domain::access::{Granted, ManageOrganisation, RevealPhone};
use lianxin_domain::record::{Record, Value};
use lianxin_domain::roster::{COLUMNS, RosterRow, RowError, header_positions, parse_row};
use lianxin_domain::schema::{MEMBER, Res};
use lianxin_domain::text::{formula_like, neutralise_cell, restore_cell};
use lianxin_store::Conn;
use lianxin_store::records::{self as store, Cell, Filter};
use serde_json::json;

use crate::journal::{Change, begin, commit};
use crate::records::to_write;
use crate::{App, Error, Result, now};

pub const MAX_ROWS: usize = 20_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Update,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Planned {
    pub line: usize,
    pub name: String,
    pub sector: String,
    pub action: Action,
    #[serde(skip)]
    pub existing: Option<i64>,
    #[serde(skip)]
    pub record: Record,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Plan {
    pub rows: Vec<Planned>,
    pub errors: Vec<RowError>,
}

impl Plan {
    pub fn creates(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| r.action == Action::Create)
            .count()
    }
    pub fn updates(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| r.action == Action::Update)
            .count()
    }
}

fn unsupported() -> Error {
    Error::Invalid(lianxin_domain::Invalid::one(
        "file",
        "roster.unsupported_file",
        "无法识别的文件：请上传 Excel（.xlsx）或 CSV（UTF-8 编码）格式的花名册",
    ))
}

/// The file's cells, whatever its format; recognised by content, not by name.
pub fn read_cells(bytes: &[u8]) -> Result<Vec<Vec<String>>> {
    if bytes.starts_with(b"PK\x03\x04") {
        let mut wb: Xlsx<_> =
            open_workbook_from_rs(Cursor::new(bytes.to_vec())).map_err(|_| unsupported())?;
        let range = wb
            .worksheet_range_at(0)
            .ok_or_else(unsupported)?
            .map_err(|_| unsupported())?;
        return Ok(range
            .rows()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect());
    }
    let text = std::str::from_utf8(bytes).map_err(|_| unsupported())?;
    if text.contains('\0') {
        return Err(unsupported());
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|_| unsupported())?;
        rows.push(rec.iter().map(|c| restore_cell(c).to_string()).collect());
    }
    Ok(rows)
}

fn to_record(row: &RosterRow, sector_id: i64, special: Vec<i64>) -> Record {
    let mut r = Record::default();
    let text = |s: &str| {
        if s.is_empty() {
            Value::Null
        } else {
            Value::Text(s.to_string())
        }
    };
    r.set("name", Value::Text(row.name.clone()));
    r.set(
        "gender",
        row.gender
            .map(|g| Value::Text(g.into()))
            .unwrap_or(Value::Null),
    );
    r.set("ethnicity", text(&row.ethnicity));
    r.set("party", text(&row.party));
    r.set("sector_id", Value::Int(sector_id));
    r.set("special_committee_ids", Value::Ids(special));
    r.set("employer", text(&row.employer));
    r.set(
        "phone",
        row.phone.clone().map(Value::Phone).unwrap_or(Value::Null),
    );
    r.set("is_standing", Value::Bool(row.is_standing));
    r
}

async fn plan_in(app: &App, c: &mut Conn<'_>, scope: i64, bytes: &[u8]) -> Result<Plan> {
    let cells = read_cells(bytes)?;
    let mut errors = Vec::new();
    let Some((header, data)) = cells.split_first() else {
        return Ok(Plan {
            rows: vec![],
            errors: vec![RowError::new(1, "", "文件是空的")],
        });
    };
    if data.len() > MAX_ROWS {
        return Ok(Plan {
            rows: vec![],
            errors: vec![RowError::new(1, "", format!("一次最多导入{MAX_ROWS}行"))],
        });
    }
    let pos = match header_positions(header) {
        Ok(p) => p,
        Err(e) => {
            return Ok(Plan {
                rows: vec![],
                errors: vec![e],
            });
        }
    };
    let sectors: HashMap<String, i64> = store::all_titles(c, Res::Sector, scope)
        .await?
        .into_iter()
        .map(|(id, n)| (n, id))
        .collect();
    let specials: HashMap<String, i64> = store::all_titles(c, Res::SpecialCommittee, scope)
        .await?
        .into_iter()
        .map(|(id, n)| (n, id))
        .collect();
    let mut rows = Vec::new();
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    for (i, cells) in data.iter().enumerate() {
        let line = i + 2;
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let row = match parse_row(line, &pos, cells) {
            Ok(r) => r,
            Err(e) => {
                errors.extend(e);
                continue;
            }
        };
        let mut row_ok = true;
        let sector_id = sectors.get(&row.sector).copied();
        if sector_id.is_none() {
            errors.push(RowError::new(
                line,
                "界别",
                format!("没有名为“{}”的界别", row.sector),
            ));
            row_ok = false;
        }
        let mut special = Vec::new();
        for name in &row.special_committees {
            match specials.get(name) {
                Some(id) => special.push(*id),
                None => {
                    errors.push(RowError::new(
                        line,
                        "专委会",
                        format!("没有名为“{name}”的专门委员会"),
                    ));
                    row_ok = false;
                }
            }
        }
        let phone_index = row
            .phone
            .as_ref()
            .map(|p| app.crypto.blind_index(p.as_str()));
        let key = (row.name.clone(), phone_index.clone().unwrap_or_default());
        if let Some(first) = seen.insert(key, line) {
            errors.push(RowError::new(
                line,
                "姓名",
                format!("与第{first}行重复（同名同手机号）"),
            ));
            row_ok = false;
        }
        if !row_ok {
            continue;
        }
        let existing =
            store::member_by_name_phone(c, scope, &row.name, phone_index.as_deref()).await?;
        special.sort_unstable();
        rows.push(Planned {
            line,
            name: row.name.clone(),
            sector: row.sector.clone(),
            action: if existing.is_some() {
                Action::Update
            } else {
                Action::Create
            },
            existing,
            record: to_record(&row, sector_id.unwrap_or_default(), special),
        });
    }
    Ok(Plan { rows, errors })
}

/// What an import would do, without doing it.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn preview(app: &App, g: &Granted<ManageOrganisation>, bytes: &[u8]) -> Result<Plan> {
    let mut conn = app.db.acquire().await?;
    plan_in(app, &mut conn.conn(), g.committee_id(), bytes).await
}

/// Import all rows in one transaction, or nothing if any row is bad.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn import(app: &App, g: &Granted<ManageOrganisation>, bytes: &[u8]) -> Result<Plan> {
    let scope = g.committee_id();
    let mut tx = begin(&app.db).await?;
    let plan = plan_in(app, &mut tx.conn(), scope, bytes).await?;
    if !plan.errors.is_empty() {
        return Ok(plan);
    }
    let at = now();
    let mut created = Vec::new();
    let mut updated = Vec::new();
    for row in &plan.rows {
        let mut rec = row.record.clone();
        match row.existing {
            Some(id) => {
                store::update(
                    &mut tx.conn(),
                    &MEMBER,
                    scope,
                    id,
                    &to_write(app, &MEMBER, &rec),
                    at,
                )
                .await?;
                updated.push(id);
            }
            None => {
                rec.set("status", Value::Text("active".into()));
                created.push(
                    store::insert(
                        &mut tx.conn(),
                        &MEMBER,
                        scope,
                        &to_write(app, &MEMBER, &rec),
                        at,
                    )
                    .await?,
                );
            }
        }
    }
    let change = Change {
        committee_id: scope,
        kind: "member.roster_imported",
        subject_type: "committee",
        subject_id: scope,
        before: serde_json::Value::Null,
        after: json!({"created": created, "updated": updated}),
    };
    commit(tx, g.actor(), change).await?;
    Ok(plan)
}

/// The roster as rows of strings (header first), phones in full for the office's own file.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn export_rows(app: &App, g: &Granted<RevealPhone>) -> Result<Vec<Vec<String>>> {
    let scope = g.committee_id();
    let mut tx = begin(&app.db).await?;
    let mut out = vec![COLUMNS.iter().map(|s| s.to_string()).collect::<Vec<_>>()];
    let sectors: HashMap<i64, String> = store::all_titles(&mut tx.conn(), Res::Sector, scope)
        .await?
        .into_iter()
        .collect();
    let specials: HashMap<i64, String> =
        store::all_titles(&mut tx.conn(), Res::SpecialCommittee, scope)
            .await?
            .into_iter()
            .collect();
    let mut page = 0;
    loop {
        let (rows, _) = store::list(
            &mut tx.conn(),
            &MEMBER,
            scope,
            &[] as &[Filter],
            1000,
            page * 1000,
        )
        .await?;
        if rows.is_empty() {
            break;
        }
        for m in &rows {
            let phone = match m.cells.get("phone") {
                Some(Cell::Phone {
                    sealed: Some(s), ..
                }) => app.crypto.open(s).unwrap_or_default(),
                _ => String::new(),
            };
            let gender = match m.text("gender") {
                Some("male") => "男",
                Some("female") => "女",
                _ => "",
            };
            let employer = [
                m.text("employer").unwrap_or(""),
                m.text("job_title").unwrap_or(""),
            ]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" ");
            let special: Vec<String> = m
                .ids("special_committee_ids")
                .iter()
                .filter_map(|i| specials.get(i).cloned())
                .collect();
            out.push(vec![
                m.text("name").unwrap_or("").to_string(),
                gender.to_string(),
                m.text("ethnicity").unwrap_or("").to_string(),
                m.text("party").unwrap_or("").to_string(),
                m.int("sector_id")
                    .and_then(|i| sectors.get(&i).cloned())
                    .unwrap_or_default(),
                special.join("、"),
                employer,
                phone,
                if matches!(m.cells.get("is_standing"), Some(Cell::Bool(true))) {
                    "是"
                } else {
                    "否"
                }
                .to_string(),
            ]);
        }
        page += 1;
    }
    let change = Change {
        committee_id: scope,
        kind: "member.roster_exported",
        subject_type: "committee",
        subject_id: scope,
        before: serde_json::Value::Null,
        after: json!({"rows": out.len() - 1}),
    };
    commit(tx, g.actor(), change).await?;
    Ok(out)
}

pub fn to_csv(rows: &[Vec<String>]) -> Result<Vec<u8>> {
    // A byte-order mark so that Excel opens the UTF-8 file as Chinese text.
    let mut buf = "\u{feff}".as_bytes().to_vec();
    {
        let mut w = csv::Writer::from_writer(&mut buf);
        for r in rows {
            w.write_record(r.iter().map(|c| neutralise_cell(c).into_owned()))
                .map_err(Error::internal)?;
        }
        w.flush().map_err(Error::internal)?;
    }
    Ok(buf)
}

pub fn to_xlsx(rows: &[Vec<String>]) -> Result<Vec<u8>> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let sheet = wb.add_worksheet();
    sheet.set_name("委员花名册").map_err(Error::internal)?;
    // Text that looks like a formula is marked as text (the quote prefix), never run.
    let text = rust_xlsxwriter::Format::new().set_quote_prefix();
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            if formula_like(v) {
                sheet.write_string_with_format(r as u32, c as u16, v, &text)
            } else {
                sheet.write_string(r as u32, c as u16, v)
            }
            .map_err(Error::internal)?;
        }
    }
    wb.save_to_buffer().map_err(Error::internal)
}
