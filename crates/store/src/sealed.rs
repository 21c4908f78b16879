//! The columns that hold personal data sealed with the encryption key, read and rewritten
//! in batches by a key rotation. Each batch is read by id order after the last id seen, so
//! a rotation that stopped resumes where the data still needs it, and rows written while
//! it runs are never skipped for being new.

use sqlx::AssertSqlSafe;

use crate::db::Result;
use crate::{Conn, exec, on};

/// Every sealed column, as (table, column). A migration that adds one must add it here;
/// `tests/keys.rs` fails if a `*_enc` column of the schema is missing.
pub const COLUMNS: &[(&str, &str)] = &[
    ("members", "phone_enc"),
    ("concerns", "phone_enc"),
    ("outbox", "recipient_enc"),
    ("reception_bookings", "phone_enc"),
    ("service_bookings", "phone_enc"),
    ("activity_registrations", "phone_enc"),
];

/// The sealed values of `table.column` with an id above `after`, lowest ids first.
pub async fn batch(
    c: &mut Conn<'_>,
    (table, column): (&str, &str),
    after: i64,
    limit: i64,
) -> Result<Vec<(i64, Vec<u8>)>> {
    // Table and column come from `COLUMNS`, never from input.
    let q = format!(
        "SELECT id, {column} FROM {table} WHERE {column} IS NOT NULL AND id > $1 ORDER BY id LIMIT $2"
    );
    on!(c, |x| sqlx::query_as(AssertSqlSafe(q.clone()))
        .bind(after)
        .bind(limit)
        .fetch_all(&mut **x)
        .await)
    .map_err(Into::into)
}

/// Replace one sealed value, only if it is still the one read (a row changed meanwhile
/// was sealed afresh by its writer and is left alone). Whether it was replaced.
pub async fn replace(
    c: &mut Conn<'_>,
    (table, column): (&str, &str),
    id: i64,
    was: &[u8],
    now: &[u8],
) -> Result<bool> {
    let q = format!("UPDATE {table} SET {column} = $1 WHERE id = $2 AND {column} = $3");
    let n = exec!(c, |x| sqlx::query(AssertSqlSafe(q.clone()))
        .bind(now)
        .bind(id)
        .bind(was)
        .execute(&mut **x)
        .await)?;
    Ok(n > 0)
}

/// How many values `table.column` holds.
pub async fn count(c: &mut Conn<'_>, (table, column): (&str, &str)) -> Result<i64> {
    let q = format!("SELECT COUNT(*) FROM {table} WHERE {column} IS NOT NULL");
    on!(c, |x| sqlx::query_scalar(AssertSqlSafe(q.clone()))
        .fetch_one(&mut **x)
        .await)
    .map_err(Into::into)
}

/// Every `*_enc` column of the schema, as (table, column), to check `COLUMNS` against.
pub async fn schema_columns(c: &mut Conn<'_>) -> Result<Vec<(String, String)>> {
    let mut out = vec![];
    for t in crate::backup::tables(c).await? {
        for (col, _) in &t.columns {
            if col.ends_with("_enc") {
                out.push((t.name.clone(), col.clone()));
            }
        }
    }
    out.sort();
    Ok(out)
}
