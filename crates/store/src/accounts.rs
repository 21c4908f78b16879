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
    attempts_before: DateTime<Utc>,
) -> Result<()> {
    let q = "DELETE FROM sessions WHERE expires_at <= $1";
    exec!(c, |x| sqlx::query(q).bind(now).execute(&mut **x).await)?;
    let q = "DELETE FROM login_attempts WHERE at < $1";
    exec!(c, |x| sqlx::query(q)
        .bind(attempts_before)
        .execute(&mut **x)
        .await)?;
    Ok(())
}

pub async fn record_attempt(
    c: &mut Conn<'_>,
    username: &str,
    ip: &str,
    ok: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    let q = "INSERT INTO login_attempts (username, ip, succeeded, at) VALUES ($1, $2, $3, $4)";
    exec!(c, |x| sqlx::query(q)
        .bind(username)
        .bind(ip)
        .bind(ok)
        .bind(now)
        .execute(&mut **x)
        .await)?;
    Ok(())
}

/// Failed attempts since `since` for this account and for this address, and the oldest
/// counted failure's time (to say when the lock lifts).
pub async fn failures_since(
    c: &mut Conn<'_>,
    username: &str,
    ip: &str,
    since: DateTime<Utc>,
) -> Result<(i64, i64, Option<DateTime<Utc>>)> {
    let q =
        "SELECT COUNT(*) FROM login_attempts WHERE username = $1 AND succeeded = FALSE AND at > $2";
    let by_user: i64 = on!(c, |x| sqlx::query_scalar(q)
        .bind(username)
        .bind(since)
        .fetch_one(&mut **x)
        .await)?;
    let q = "SELECT COUNT(*) FROM login_attempts WHERE ip = $1 AND succeeded = FALSE AND at > $2";
    let by_ip: i64 = on!(c, |x| sqlx::query_scalar(q)
        .bind(ip)
        .bind(since)
        .fetch_one(&mut **x)
        .await)?;
    let q = "SELECT MIN(at) FROM login_attempts WHERE (username = $1 OR ip = $2) AND succeeded = FALSE AND at > $3";
    let oldest: Option<DateTime<Utc>> = on!(c, |x| sqlx::query_scalar(q)
        .bind(username)
        .bind(ip)
        .bind(since)
        .fetch_one(&mut **x)
        .await)?;
    Ok((by_user, by_ip, oldest))
}
