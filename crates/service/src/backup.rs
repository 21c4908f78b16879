//! `lianxin backup` and `lianxin restore`: every table out of one snapshot into one portable
//! file, and such a file into an empty database of either kind — which is also how a
//! committee moves from SQLite to PostgreSQL.
//!
//! The file is JSON lines: a header (format, version, source database, schema version,
//! counts); per table a line naming its columns and their kinds, then one JSON array per
//! row (bytes in base64, times in RFC 3339); last an end line with the SHA-256 of every byte
//! before it. Tables come in an order where each follows the tables its foreign keys refer
//! to, so a restore loads them as they come. Encrypted columns are copied as sealed bytes:
//! the key is never in the file (keep it apart, see the README).

use std::io::{BufRead, Write};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Utc};
use lianxin_store::Db;
use lianxin_store::backup::{self as store, Cell, Kind, Table};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::{App, Error, Result};

pub const FORMAT: &str = "lianxin-backup";
pub const VERSION: i64 = 1;

/// Rows loaded per statement batch during a restore.
const LOAD_BATCH: usize = 500;

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    format: String,
    version: i64,
    database: String,
    schema: i64,
    created_at: DateTime<Utc>,
    tables: usize,
    rows: u64,
}

#[derive(Debug, Serialize, Deserialize)]
struct TableLine {
    table: String,
    columns: Vec<(String, Kind)>,
    rows: u64,
}

#[derive(Debug, Serialize, Deserialize)]
struct End {
    end: bool,
    rows: u64,
    sha256: String,
}

/// What a backup or a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub tables: usize,
    pub rows: u64,
    pub sha256: String,
}

fn bad_file(why: impl std::fmt::Display) -> Error {
    Error::Invalid(lianxin_domain::Invalid::one(
        "file",
        "backup.invalid",
        format!("备份文件无效：{why}"),
    ))
}

fn io(e: std::io::Error) -> Error {
    Error::internal(format!("写入备份失败：{e}"))
}

/// A writer that hashes what passes through it.
struct Hashing<'a> {
    out: &'a mut (dyn Write + Send),
    hash: Sha256,
}

impl Write for Hashing<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.out.write(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

fn line(w: &mut (impl Write + ?Sized), v: &impl Serialize) -> std::io::Result<()> {
    w.write_all(&serde_json::to_vec(v)?)?;
    w.write_all(b"\n")
}

fn cell_json(c: Cell) -> Value {
    match c {
        Cell::Null => Value::Null,
        Cell::Int(n) => json!(n),
        Cell::Real(f) => json!(f),
        Cell::Bool(b) => json!(b),
        Cell::Text(s) => json!(s),
        Cell::Bytes(b) => json!(B64.encode(b)),
        Cell::Time(t) => json!(t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)),
    }
}

fn json_cell(v: &Value, kind: Kind) -> std::result::Result<Cell, String> {
    let wrong = || format!("{v} is not a value of kind {kind:?}");
    if v.is_null() {
        return Ok(Cell::Null);
    }
    Ok(match kind {
        Kind::Int => Cell::Int(v.as_i64().ok_or_else(wrong)?),
        Kind::Real => Cell::Real(v.as_f64().ok_or_else(wrong)?),
        Kind::Bool => Cell::Bool(v.as_bool().ok_or_else(wrong)?),
        Kind::Text => Cell::Text(v.as_str().ok_or_else(wrong)?.to_string()),
        Kind::Bytes => Cell::Bytes(
            B64.decode(v.as_str().ok_or_else(wrong)?)
                .map_err(|_| wrong())?,
        ),
        Kind::Time => Cell::Time(
            DateTime::parse_from_rfc3339(v.as_str().ok_or_else(wrong)?)
                .map_err(|_| wrong())?
                .with_timezone(&Utc),
        ),
    })
}

async fn schema_of(db: &Db) -> Result<i64> {
    Ok(db.schema_versions().await?.1)
}

/// Write a consistent snapshot of every table to `out` while the server may be running;
/// `progress` hears (rows written, rows in all).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn backup(
    app: &App,
    out: &mut (dyn Write + Send),
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<Summary> {
    let mut tx = app.db.begin_read().await?;
    let tables = store::tables(&mut tx.conn()).await?;
    let order = store::load_order(&mut tx.conn(), &tables).await?;
    let tables: Vec<&Table> = order
        .iter()
        .filter_map(|name| tables.iter().find(|t| &t.name == name))
        .collect();
    let mut counts = vec![];
    for t in &tables {
        counts.push(store::count(&mut tx.conn(), &t.name).await?);
    }
    let all: u64 = counts.iter().sum();
    let mut w = Hashing {
        out,
        hash: Sha256::new(),
    };
    let header = Header {
        format: FORMAT.into(),
        version: VERSION,
        database: app.backend_name().into(),
        schema: schema_of(&app.db).await?,
        created_at: crate::now(),
        tables: tables.len(),
        rows: all,
    };
    line(&mut w, &header).map_err(io)?;
    let mut done = 0u64;
    progress(0, all);
    for (t, n) in tables.iter().zip(&counts) {
        let head = TableLine {
            table: t.name.clone(),
            columns: t.columns.clone(),
            rows: *n,
        };
        line(&mut w, &head).map_err(io)?;
        let written = store::each_row(&mut tx.conn(), t, &mut |cells| {
            done += 1;
            if done.is_multiple_of(5_000) {
                progress(done, all);
            }
            line(
                &mut w,
                &Value::Array(cells.into_iter().map(cell_json).collect()),
            )
        })
        .await?;
        if written != *n {
            // Impossible inside one snapshot; say so rather than write a file that lies.
            return Err(Error::internal(format!(
                "table {} changed during the backup",
                t.name
            )));
        }
    }
    progress(done, all);
    let sha256 = crate::crypto::hex(&w.hash.clone().finalize());
    let end = End {
        end: true,
        rows: done,
        sha256: sha256.clone(),
    };
    line(w.out, &end).map_err(io)?;
    w.flush().map_err(io)?;
    Ok(Summary {
        tables: tables.len(),
        rows: done,
        sha256,
    })
}

/// Check a backup file's checksum and structure without loading it (a restore does this
/// first); its summary.
pub fn check(input: &mut dyn BufRead) -> Result<Summary> {
    let mut hash = Sha256::new();
    let mut buf = Vec::new();
    let mut tables = 0;
    let mut rows = 0u64;
    let mut first = true;
    loop {
        buf.clear();
        let n = input.read_until(b'\n', &mut buf).map_err(bad_file)?;
        if n == 0 {
            return Err(bad_file("文件不完整（没有结束行），可能在写入时中断"));
        }
        if first {
            let h: Header = serde_json::from_slice(&buf).map_err(|_| bad_file("不是连心的备份"))?;
            if h.format != FORMAT || h.version != VERSION {
                return Err(bad_file(format!(
                    "格式 {} 版本 {} 无法识别",
                    h.format, h.version
                )));
            }
            first = false;
        } else if buf.starts_with(b"{\"end\"") {
            let end: End = serde_json::from_slice(&buf).map_err(bad_file)?;
            let sum = crate::crypto::hex(&hash.finalize());
            if end.sha256 != sum || end.rows != rows {
                return Err(bad_file("校验和不符，文件已损坏或被改动"));
            }
            return Ok(Summary {
                tables,
                rows,
                sha256: sum,
            });
        } else if buf.starts_with(b"{") {
            tables += 1;
        } else {
            rows += 1;
        }
        hash.update(&buf);
    }
}

/// Load a checked backup into `db`, which must be migrated and empty, in one transaction: a
/// failure leaves the target as empty as it was. `progress` hears (rows loaded, rows in all).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn restore(
    app: &App,
    input: &mut dyn BufRead,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<Summary> {
    let db = &app.db;
    let mut tx = db.begin_write().await?;
    if !store::is_empty(&mut tx.conn()).await? {
        return Err(Error::conflict(
            "backup.target_not_empty",
            "目标数据库不是空的：恢复只写入新建的空数据库，不会覆盖已有数据",
        ));
    }
    let targets = store::tables(&mut tx.conn()).await?;
    let mut text = String::new();
    input.read_line(&mut text).map_err(bad_file)?;
    let header: Header = serde_json::from_str(&text).map_err(|_| bad_file("不是连心的备份"))?;
    let schema = schema_of(db).await?;
    if header.schema != schema {
        return Err(bad_file(format!(
            "备份的数据库结构版本为 {}，本程序为 {schema}：请用制作备份的版本恢复，再升级",
            header.schema
        )));
    }
    // The rows the migrations seeded give way to the backup's own.
    for t in &targets {
        store::clear(&mut tx.conn(), &t.name).await?;
    }
    let mut loaded = 0u64;
    let mut tables = 0;
    let mut current: Option<(TableLine, &Table)> = None;
    let mut batch: Vec<Vec<Cell>> = vec![];
    progress(0, header.rows);
    loop {
        text.clear();
        if input.read_line(&mut text).map_err(bad_file)? == 0 {
            return Err(bad_file("文件不完整（没有结束行）"));
        }
        let is_row = text.starts_with('[');
        if !is_row && let Some((t, target)) = &current {
            store::load(&mut tx.conn(), target, &names(t), &batch).await?;
            loaded += batch.len() as u64;
            batch.clear();
        }
        if text.starts_with("{\"end\"") {
            break;
        }
        if is_row {
            let Some((t, target)) = &current else {
                return Err(bad_file("数据行前没有表头"));
            };
            let values: Vec<Value> = serde_json::from_str(&text).map_err(bad_file)?;
            if values.len() != t.columns.len() {
                return Err(bad_file(format!("表 {} 的一行列数不对", t.table)));
            }
            let cells = values
                .iter()
                .zip(&t.columns)
                .map(|(v, (_, k))| json_cell(v, *k))
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(bad_file)?;
            batch.push(cells);
            if batch.len() >= LOAD_BATCH {
                store::load(&mut tx.conn(), target, &names(t), &batch).await?;
                loaded += batch.len() as u64;
                batch.clear();
                progress(loaded, header.rows);
            }
        } else {
            let t: TableLine = serde_json::from_str(&text).map_err(bad_file)?;
            let target = targets
                .iter()
                .find(|x| x.name == t.table)
                .ok_or_else(|| bad_file(format!("表 {} 在本程序的数据库结构中不存在", t.table)))?;
            tables += 1;
            current = Some((t, target));
        }
    }
    store::reset_sequences(&mut tx.conn()).await?;
    // The data is sealed under the key that made it: restored under another key, every
    // phone would read as missing.
    if let Some(theirs) =
        lianxin_store::stats::setting(&mut tx.conn(), crate::keys::SETTING).await?
        && theirs != app.crypto.key_id()
    {
        return Err(Error::conflict(
            "backup.key_mismatch",
            format!(
                "备份中的数据是用另一把加密密钥（指纹 {theirs}）加密的：请用原来的 encryption_key 运行 restore"
            ),
        ));
    }
    tx.commit().await?;
    progress(loaded, header.rows);
    Ok(Summary {
        tables,
        rows: loaded,
        sha256: String::new(),
    })
}

fn names(t: &TableLine) -> Vec<String> {
    t.columns.iter().map(|(n, _)| n.clone()).collect()
}
