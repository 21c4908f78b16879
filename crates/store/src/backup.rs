//! Reading every table out of one snapshot, and loading tables into an empty database of
//! either kind — the storage half of `lianxin backup` and `lianxin restore`. Which tables
//! and columns there are is read from the database itself (SQLite's `pragma_table_info`,
//! PostgreSQL's `information_schema`): a migration that adds a table needs no change here.
//! This is one of the few places with a query per dialect, since the catalogues differ.

use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use sqlx::{Row, ValueRef};

use crate::db::{Param, Result, insert_rows};
use crate::{Conn, StoreError, exec, on};

/// What a column holds, in the backup's terms. SQLite keeps times as text; PostgreSQL as
/// `timestamptz`: a value moves between the two by the target column's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Int,
    Real,
    Bool,
    Text,
    Bytes,
    Time,
}

impl Kind {
    /// From a declared type (SQLite) or a `data_type` (PostgreSQL).
    fn of_declared(t: &str) -> Kind {
        let t = t.to_ascii_uppercase();
        if t.contains("INT") || t.contains("SERIAL") {
            Kind::Int
        } else if t.contains("BOOL") {
            Kind::Bool
        } else if t.contains("BLOB") || t.contains("BYTEA") {
            Kind::Bytes
        } else if t.contains("REAL") || t.contains("DOUBLE") || t.contains("FLOAT") {
            Kind::Real
        } else if t.contains("TIMESTAMP") {
            Kind::Time
        } else {
            Kind::Text
        }
    }
}

/// One value of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    Real(f64),
    Bool(bool),
    Text(String),
    Bytes(Vec<u8>),
    Time(DateTime<Utc>),
}

/// A table as the database describes it.
#[derive(Debug, Clone)]
pub struct Table {
    pub name: String,
    pub columns: Vec<(String, Kind)>,
}

/// Every table of the schema except the migration log, with its columns in order.
pub async fn tables(c: &mut Conn<'_>) -> Result<Vec<Table>> {
    let names: Vec<String> = match c {
        Conn::Sqlite(x) => {
            sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations' ORDER BY name",
            )
            .fetch_all(&mut **x)
            .await?
        }
        Conn::Postgres(x) => {
            sqlx::query_scalar(
                "SELECT table_name::text FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
                 AND table_name <> '_sqlx_migrations' ORDER BY table_name",
            )
            .fetch_all(&mut **x)
            .await?
        }
    };
    let mut out = vec![];
    for name in names {
        let cols: Vec<(String, String)> = match c {
            Conn::Sqlite(x) => {
                sqlx::query_as("SELECT name, type FROM pragma_table_info($1) ORDER BY cid")
                    .bind(&name)
                    .fetch_all(&mut **x)
                    .await?
            }
            Conn::Postgres(x) => {
                sqlx::query_as(
                    "SELECT column_name::text, data_type::text FROM information_schema.columns \
                     WHERE table_schema = current_schema() AND table_name = $1 \
                     ORDER BY ordinal_position",
                )
                .bind(&name)
                .fetch_all(&mut **x)
                .await?
            }
        };
        out.push(Table {
            columns: cols
                .into_iter()
                .map(|(n, t)| (n, Kind::of_declared(&t)))
                .collect(),
            name,
        });
    }
    Ok(out)
}

/// Read a row's values by the table's column kinds.
trait ReadCells {
    fn cells(&self, kinds: &[Kind]) -> Result<Vec<Cell>>;
}

macro_rules! read_cells {
    ($row:ty) => {
        impl ReadCells for $row {
            fn cells(&self, kinds: &[Kind]) -> Result<Vec<Cell>> {
                let mut out = Vec::with_capacity(kinds.len());
                for (i, kind) in kinds.iter().enumerate() {
                    if self.try_get_raw(i)?.is_null() {
                        out.push(Cell::Null);
                        continue;
                    }
                    out.push(match kind {
                        Kind::Int => Cell::Int(self.try_get(i)?),
                        Kind::Real => Cell::Real(self.try_get(i)?),
                        Kind::Bool => Cell::Bool(self.try_get(i)?),
                        Kind::Bytes => Cell::Bytes(self.try_get(i)?),
                        Kind::Time => Cell::Time(self.try_get(i)?),
                        Kind::Text => Cell::Text(self.try_get(i)?),
                    });
                }
                Ok(out)
            }
        }
    };
}
read_cells!(sqlx::sqlite::SqliteRow);
read_cells!(sqlx::postgres::PgRow);

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Stream every row of `t` (in the order of its first column, so that a parent row comes
/// before the rows that refer to it) to `each`.
pub async fn each_row(
    c: &mut Conn<'_>,
    t: &Table,
    each: &mut (dyn FnMut(Vec<Cell>) -> std::io::Result<()> + Send),
) -> Result<u64> {
    let cols: Vec<String> = t.columns.iter().map(|(n, _)| quoted(n)).collect();
    let q = format!(
        "SELECT {} FROM {} ORDER BY 1",
        cols.join(", "),
        quoted(&t.name)
    );
    let kinds: Vec<Kind> = t.columns.iter().map(|(_, k)| *k).collect();
    let mut n = 0;
    on!(c, |x| {
        let mut rows = sqlx::query(sqlx::AssertSqlSafe(q)).fetch(&mut **x);
        while let Some(row) = rows.try_next().await? {
            each(row.cells(&kinds)?).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            n += 1;
        }
    });
    Ok(n)
}

/// How many rows a table has.
pub async fn count(c: &mut Conn<'_>, table: &str) -> Result<u64> {
    let q = format!("SELECT COUNT(*) FROM {}", quoted(table));
    let n: i64 = on!(c, |x| sqlx::query_scalar(sqlx::AssertSqlSafe(q))
        .fetch_one(&mut **x)
        .await)?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Whether the database holds anything of a committee's (restore refuses such a target).
pub async fn is_empty(c: &mut Conn<'_>) -> Result<bool> {
    let q = "SELECT (SELECT COUNT(*) FROM committees) + (SELECT COUNT(*) FROM audit_log)";
    let n: i64 = on!(c, |x| sqlx::query_scalar(q).fetch_one(&mut **x).await)?;
    Ok(n == 0)
}

/// The order to load tables in: a table after the tables its foreign keys refer to.
pub async fn load_order(c: &mut Conn<'_>, tables: &[Table]) -> Result<Vec<String>> {
    let mut refs: Vec<(String, String)> = vec![];
    for t in tables {
        let to: Vec<String> = match c {
            Conn::Sqlite(x) => {
                sqlx::query_scalar("SELECT \"table\" FROM pragma_foreign_key_list($1)")
                    .bind(&t.name)
                    .fetch_all(&mut **x)
                    .await?
            }
            Conn::Postgres(x) => {
                sqlx::query_scalar(
                    "SELECT DISTINCT ccu.table_name::text FROM information_schema.table_constraints tc \
                     JOIN information_schema.constraint_column_usage ccu \
                       ON tc.constraint_name = ccu.constraint_name AND tc.table_schema = ccu.table_schema \
                     WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = current_schema() \
                       AND tc.table_name = $1",
                )
                .bind(&t.name)
                .fetch_all(&mut **x)
                .await?
            }
        };
        refs.extend(to.into_iter().map(|to| (t.name.clone(), to)));
    }
    let mut left: Vec<String> = tables.iter().map(|t| t.name.clone()).collect();
    let mut order = vec![];
    while !left.is_empty() {
        let ready: Vec<String> = left
            .iter()
            .filter(|t| {
                !refs
                    .iter()
                    .any(|(from, to)| from == *t && to != *t && left.contains(to))
            })
            .cloned()
            .collect();
        if ready.is_empty() {
            return Err(StoreError::Corrupt(format!(
                "foreign keys form a cycle among {left:?}"
            )));
        }
        left.retain(|t| !ready.contains(t));
        order.extend(ready);
    }
    Ok(order)
}

/// Before loading: empty the rows migrations seeded (the audit head, the version counters,
/// the default activity kinds), so the backup's own rows take their place.
pub async fn clear(c: &mut Conn<'_>, table: &str) -> Result<()> {
    let q = format!("DELETE FROM {}", quoted(table));
    exec!(c, |x| sqlx::query(sqlx::AssertSqlSafe(q))
        .execute(&mut **x)
        .await)?;
    Ok(())
}

/// A text time as SQLite holds it (sqlx writes RFC 3339; `CURRENT_TIMESTAMP` writes
/// `YYYY-MM-DD HH:MM:SS` in UTC).
fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f")
                .ok()
                .map(|n| n.and_utc())
        })
}

/// A value for a target column of `kind`.
fn param(cell: &Cell, kind: Kind) -> Result<Param> {
    Ok(match (cell, kind) {
        (Cell::Null, Kind::Int) => Param::NullInt,
        (Cell::Null, Kind::Bool) => Param::NullBool,
        (Cell::Null, Kind::Bytes) => Param::NullBytes,
        (Cell::Null, Kind::Time) => Param::NullTime,
        (Cell::Null, Kind::Real) => Param::NullReal,
        (Cell::Null, Kind::Text) => Param::NullText,
        (Cell::Int(n), Kind::Bool) => Param::Bool(*n != 0),
        (Cell::Int(n), _) => Param::Int(*n),
        (Cell::Real(f), _) => Param::Real(*f),
        (Cell::Bool(b), Kind::Int) => Param::Int(i64::from(*b)),
        (Cell::Bool(b), _) => Param::Bool(*b),
        (Cell::Bytes(b), _) => Param::Bytes(b.clone()),
        (Cell::Time(t), _) => Param::Time(*t),
        (Cell::Text(s), Kind::Time) => Param::Time(
            parse_time(s).ok_or_else(|| StoreError::Corrupt(format!("not a time: {s:?}")))?,
        ),
        (Cell::Text(s), _) => Param::Text(s.clone()),
    })
}

/// Insert rows of the backup's `columns` into `target` (the same table of this database).
pub async fn load(
    c: &mut Conn<'_>,
    target: &Table,
    columns: &[String],
    rows: &[Vec<Cell>],
) -> Result<()> {
    let kinds: Vec<Kind> = columns
        .iter()
        .map(|name| {
            target
                .columns
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, k)| *k)
                .ok_or_else(|| {
                    StoreError::Corrupt(format!(
                        "column {}.{name} of the backup is not in this database",
                        target.name
                    ))
                })
        })
        .collect::<Result<_>>()?;
    let head = format!(
        "INSERT INTO {} ({})",
        quoted(&target.name),
        columns
            .iter()
            .map(|n| quoted(n))
            .collect::<Vec<_>>()
            .join(", ")
    );
    // Convert first: a bad value fails before anything is sent.
    let params: Vec<Vec<Param>> = rows
        .iter()
        .map(|r| {
            r.iter()
                .zip(&kinds)
                .map(|(cell, k)| param(cell, *k))
                .collect::<Result<Vec<_>>>()
        })
        .collect::<Result<_>>()?;
    insert_rows(c, &head, "", columns.len(), &params, |p| p.clone()).await
}

/// After loading on PostgreSQL: move each serial column's sequence past the highest id
/// loaded, so that new rows do not collide with restored ones. (SQLite's AUTOINCREMENT
/// follows explicit ids by itself.)
pub async fn reset_sequences(c: &mut Conn<'_>) -> Result<()> {
    let Conn::Postgres(x) = c else {
        return Ok(());
    };
    let serials: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text FROM information_schema.columns \
         WHERE table_schema = current_schema() AND column_default LIKE 'nextval(%'",
    )
    .fetch_all(&mut **x)
    .await?;
    for (table, column) in serials {
        let q = format!(
            "SELECT setval(pg_get_serial_sequence('{t}', '{column}'), COALESCE(MAX({c}), 0) + 1, false) FROM {qt}",
            t = table.replace('\'', "''"),
            column = column.replace('\'', "''"),
            c = quoted(&column),
            qt = quoted(&table),
        );
        sqlx::query(sqlx::AssertSqlSafe(q))
            .fetch_one(&mut **x)
            .await?;
    }
    Ok(())
}
