//! Accounts, server-side sessions and login attempts (for throttling). Sessions and
//! attempts live in the database, not in process memory, so several `lianxin serve` nodes
//! behind a load balancer agree on them.

use chrono::{DateTime, Utc};

use crate::db::{Conn, Result};
use crate::{exec, on};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub committee_id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub password_hash: String,
    pub member_id: Option<i64>,
    pub handling_unit_id: Option<i64>,
    pub is_demo: bool,
    pub disabled: bool,
}

const USER_COLS: &str = "u.id, u.committee_id, u.username, u.display_name, u.role, u.password_hash, u.member_id, u.handling_unit_id, u.is_demo, u.disabled";

pub struct NewUser<'a> {
    pub committee_id: i64,
    pub username: &'a str,
    pub display_name: &'a str,
    pub role: &'a str,
    pub password_hash: &'a str,
    pub member_id: Option<i64>,
    pub handling_unit_id: Option<i64>,
    pub is_demo: bool,
}

pub async fn insert_user(c: &mut Conn<'_>, u: &NewUser<'_>, now: DateTime<Utc>) -> Result<i64> {
    let q = "INSERT INTO users (committee_id, username, display_name, role, password_hash, member_id, handling_unit_id, is_demo, disabled, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, FALSE, $9, $9) RETURNING id";
    on!(c, |x| sqlx::query_scalar(q)
        .bind(u.committee_id)
        .bind(u.username)
        .bind(u.display_name)
        .bind(u.role)
        .bind(u.password_hash)
        .bind(u.member_id)
        .bind(u.handling_unit_id)
        .bind(u.is_demo)
        .bind(now)
        .fetch_one(&mut **x)
        .await)
    .map_err(Into::into)
}

pub async fn user_by_username(c: &mut Conn<'_>, username: &str) -> Result<Option<UserRow>> {
    let q = const_format("WHERE u.username = $1");
    on!(c, |x| sqlx::query_as(sqlx::AssertSqlSafe(q))
        .bind(username)
        .fetch_optional(&mut **x)
        .await)
    .map_err(Into::into)
}

pub async fn user_by_id(c: &mut Conn<'_>, id: i64) -> Result<Option<UserRow>> {
    let q = const_format("WHERE u.id = $1");
    on!(c, |x| sqlx::query_as(sqlx::AssertSqlSafe(q))
        .bind(id)
        .fetch_optional(&mut **x)
        .await)
    .map_err(Into::into)
}

pub async fn users_of(c: &mut Conn<'_>, committee_id: i64) -> Result<Vec<UserRow>> {
    let q = const_format("WHERE u.committee_id = $1 ORDER BY u.id");
    on!(c, |x| sqlx::query_as(sqlx::AssertSqlSafe(q))
        .bind(committee_id)
        .fetch_all(&mut **x)
        .await)
    .map_err(Into::into)
}

pub async fn all_users(c: &mut Conn<'_>) -> Result<Vec<UserRow>> {
    let q = const_format("ORDER BY u.id");
    on!(c, |x| sqlx::query_as(sqlx::AssertSqlSafe(q))
        .fetch_all(&mut **x)
        .await)
    .map_err(Into::into)
}

fn const_format(tail: &str) -> String {
    format!("SELECT {USER_COLS} FROM users u {tail}")
}

pub async fn set_password(
    c: &mut Conn<'_>,
    user_id: i64,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    let q = "UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3";
    let r = exec!(c, |x| sqlx::query(q)
        .bind(hash)
        .bind(now)
        .bind(user_id)
        .execute(&mut **x)
        .await)?;
    // A new password ends every session that knew the old one.
    let d = "DELETE FROM sessions WHERE user_id = $1";
    exec!(c, |x| sqlx::query(d).bind(user_id).execute(&mut **x).await)?;
    Ok(r == 1)
}

pub async fn insert_session(
    c: &mut Conn<'_>,
    token_hash: &str,
    user_id: i64,
    csrf: &str,
    now: DateTime<Utc>,
    expires: DateTime<Utc>,
) -> Result<()> {
    let q = "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)";
    exec!(c, |x| sqlx::query(q)
        .bind(token_hash)
        .bind(user_id)
        .bind(csrf)
        .bind(now)
        .bind(expires)
        .execute(&mut **x)
        .await)?;
    Ok(())
}

/// The live session's user and CSRF token; expired sessions and disabled users are not found.
pub async fn session_user(
    c: &mut Conn<'_>,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<(UserRow, String, DateTime<Utc>)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        user: UserRow,
        csrf_token: String,
        expires_at: DateTime<Utc>,
    }
    let q = format!(
        "SELECT {USER_COLS}, s.csrf_token, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.disabled = FALSE"
    );
    let row: Option<Row> = on!(c, |x| sqlx::query_as(sqlx::AssertSqlSafe(q))
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&mut **x)
        .await)?;
    Ok(row.map(|r| (r.user, r.csrf_token, r.expires_at)))
}

pub async fn delete_session(c: &mut Conn<'_>, token_hash: &str) -> Result<()> {
    let q = "DELETE FROM sessions WHERE token_hash = $1";
    exec!(c, |x| sqlx::query(q)
        .bind(token_hash)
        .execute(&mut **x)
        .await)?;
    Ok(())
}

pub async fn delete_expired(
    c: &mut Conn<'_>,
    now: DateTime<Utc>,
    windows_before: i64,
) -> Result<()> {
    let q = "DELETE FROM sessions WHERE expires_at <= $1";
    exec!(c, |x| sqlx::query(q).bind(now).execute(&mut **x).await)?;
    let q = "DELETE FROM login_throttle WHERE window_start < $1";
    exec!(c, |x| sqlx::query(q)
        .bind(windows_before)
        .execute(&mut **x)
        .await)?;
    Ok(())
}

/// Count one attempt against `key` in its window and return (attempts in the window, the
/// window's start in seconds). One statement: concurrent attempts each get their own count,
/// so exactly the first `limit` of a burst see a count within the limit. A window that
/// started at or before `expired_before` starts again with this attempt.
pub async fn claim_attempt(
    c: &mut Conn<'_>,
    key: &str,
    now_secs: i64,
    expired_before: i64,
) -> Result<(i64, i64)> {
    let q = "INSERT INTO login_throttle (key, window_start, attempts) VALUES ($1, $2, 1) \
             ON CONFLICT (key) DO UPDATE SET \
               attempts = CASE WHEN login_throttle.window_start <= $3 THEN 1 ELSE login_throttle.attempts + 1 END, \
               window_start = CASE WHEN login_throttle.window_start <= $3 THEN $2 ELSE login_throttle.window_start END \
             RETURNING attempts, window_start";
    let row: (i64, i64) = on!(c, |x| sqlx::query_as(q)
        .bind(key)
        .bind(now_secs)
        .bind(expired_before)
        .fetch_one(&mut **x)
        .await)?;
    Ok(row)
}

/// An attempt under `key` succeeded: it no longer counts.
pub async fn release_attempt(c: &mut Conn<'_>, key: &str) -> Result<()> {
    let q = "UPDATE login_throttle SET attempts = attempts - 1 WHERE key = $1 AND attempts > 0";
    exec!(c, |x| sqlx::query(q).bind(key).execute(&mut **x).await)?;
    Ok(())
}

/// A successful sign-in clears the account's count.
pub async fn clear_attempts(c: &mut Conn<'_>, key: &str) -> Result<()> {
    let q = "DELETE FROM login_throttle WHERE key = $1";
    exec!(c, |x| sqlx::query(q).bind(key).execute(&mut **x).await)?;
    Ok(())
}
