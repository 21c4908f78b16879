//! The event stream and the audit trail, written in the same transaction as the change.

use chrono::{DateTime, Utc};
use lianxin_domain::audit::{AuditContent, AuditKey, chain_mac};

use crate::db::{Conn, Param, Result};
use crate::{bind_params, exec, on};

pub struct NewEvent<'a> {
    pub committee_id: i64,
    pub kind: &'a str,
    pub actor_user_id: Option<i64>,
    pub subject_type: &'a str,
    pub subject_id: i64,
    pub payload: String,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct EventRow {
    pub id: i64,
    pub committee_id: i64,
    pub kind: String,
    pub actor_user_id: Option<i64>,
    pub subject_type: String,
    pub subject_id: i64,
    pub payload: String,
    pub occurred_at: DateTime<Utc>,
}

pub async fn append_event(c: &mut Conn<'_>, e: &NewEvent<'_>, now: DateTime<Utc>) -> Result<i64> {
    let q = "INSERT INTO events (committee_id, kind, actor_user_id, subject_type, subject_id, payload, occurred_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
    on!(c, |x| sqlx::query_scalar(q)
        .bind(e.committee_id)
        .bind(e.kind)
        .bind(e.actor_user_id)
        .bind(e.subject_type)
        .bind(e.subject_id)
        .bind(e.payload.clone())
        .bind(now)
        .fetch_one(&mut **x)
        .await)
    .map_err(Into::into)
}

/// Append several events in one statement, in order.
pub async fn append_events(
    c: &mut Conn<'_>,
    events: &[NewEvent<'_>],
    now: DateTime<Utc>,
) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let mut params = Vec::new();
    for e in events {
        params.push(Param::Int(e.committee_id));
        params.push(Param::Text(e.kind.to_string()));
        params.push(e.actor_user_id.map(Param::Int).unwrap_or(Param::NullInt));
        params.push(Param::Text(e.subject_type.to_string()));
        params.push(Param::Int(e.subject_id));
        params.push(Param::Text(e.payload.clone()));
        params.push(Param::Time(now));
    }
    let q = format!(
        "INSERT INTO events (committee_id, kind, actor_user_id, subject_type, subject_id, payload, occurred_at) VALUES {}",
        crate::db::values_rows(events.len(), 7)
    );
    exec!(c, |x| bind_params!(
        sqlx::query(sqlx::AssertSqlSafe(q)),
        &params
    )
    .execute(&mut **x)
    .await)?;
    Ok(())
}

pub async fn events_after(c: &mut Conn<'_>, after: i64, limit: i64) -> Result<Vec<EventRow>> {
    let q = "SELECT id, committee_id, kind, actor_user_id, subject_type, subject_id, payload, occurred_at \
             FROM events WHERE id > $1 ORDER BY id LIMIT $2";
    on!(c, |x| sqlx::query_as(q)
        .bind(after)
        .bind(limit)
        .fetch_all(&mut **x)
        .await)
    .map_err(Into::into)
}

pub async fn recent_events(
    c: &mut Conn<'_>,
    committee_id: i64,
    limit: i64,
) -> Result<Vec<EventRow>> {
    let q = "SELECT id, committee_id, kind, actor_user_id, subject_type, subject_id, payload, occurred_at \
             FROM events WHERE committee_id = $1 ORDER BY id DESC LIMIT $2";
    on!(c, |x| sqlx::query_as(q)
        .bind(committee_id)
        .bind(limit)
        .fetch_all(&mut **x)
        .await)
    .map_err(Into::into)
}

/// The newest event's id: the version of everything the events describe.
pub async fn head_event_id(c: &mut Conn<'_>) -> Result<i64> {
    let q = "SELECT COALESCE(MAX(id), 0) FROM events";
    on!(c, |x| sqlx::query_scalar(q).fetch_one(&mut **x).await).map_err(Into::into)
}

/// The organisation's version: changes with every change to it (not with concerns).
pub async fn organisation_version(c: &mut Conn<'_>) -> Result<i64> {
    let q = "SELECT value FROM versions WHERE name = 'organisation'";
    on!(c, |x| sqlx::query_scalar(q).fetch_one(&mut **x).await).map_err(Into::into)
}

pub async fn bump_organisation_version(c: &mut Conn<'_>) -> Result<()> {
    let q = "UPDATE versions SET value = value + 1 WHERE name = 'organisation'";
    exec!(c, |x| sqlx::query(q).execute(&mut **x).await)?;
    Ok(())
}

/// Where a consumer has read up to (0 before its first event).
pub async fn cursor(c: &mut Conn<'_>, consumer: &str) -> Result<i64> {
    let q = "SELECT position FROM event_cursors WHERE consumer = $1";
    let p: Option<i64> = on!(c, |x| sqlx::query_scalar(q)
        .bind(consumer)
        .fetch_optional(&mut **x)
        .await)?;
    Ok(p.unwrap_or(0))
}

/// Move a consumer's cursor. Call it in the same transaction as the consumer's own writes,
/// so a crash either keeps both or neither: no event is handled twice or skipped.
pub async fn set_cursor(c: &mut Conn<'_>, consumer: &str, position: i64) -> Result<()> {
    let q = "INSERT INTO event_cursors (consumer, position) VALUES ($1, $2) \
             ON CONFLICT (consumer) DO UPDATE SET position = excluded.position";
    exec!(c, |x| sqlx::query(q)
        .bind(consumer)
        .bind(position)
        .execute(&mut **x)
        .await)?;
    Ok(())
}

pub struct NewAudit<'a> {
    pub at: &'a str,
    pub actor: &'a str,
    pub committee_id: i64,
    pub action: &'a str,
    pub subject: &'a str,
    pub before: &'a str,
    pub after: &'a str,
}

/// Append several records to the hash chain in one statement, chained in order after
/// `head`; the trigger leaves the head at the last one. Returns the new head.
pub async fn append_audits(
    c: &mut Conn<'_>,
    key: &AuditKey,
    head: &crate::db::Head,
    list: &[NewAudit<'_>],
) -> Result<crate::db::Head> {
    let (mut seq, mut prev) = head.clone();
    let mut params = Vec::new();
    for a in list {
        let content = AuditContent {
            seq: seq + 1,
            at: a.at.to_string(),
            actor: a.actor.to_string(),
            committee_id: a.committee_id,
            action: a.action.to_string(),
            subject: a.subject.to_string(),
            before: a.before.to_string(),
            after: a.after.to_string(),
        };
        let hash = chain_mac(key, &prev, &content);
        params.extend([
            Param::Int(content.seq),
            Param::Text(content.at),
            Param::Text(content.actor),
            Param::Int(content.committee_id),
            Param::Text(content.action),
            Param::Text(content.subject),
            Param::Text(content.before),
            Param::Text(content.after),
            Param::Text(prev.clone()),
            Param::Text(hash.clone()),
        ]);
        seq += 1;
        prev = hash;
    }
    if list.is_empty() {
        return Ok((seq, prev));
    }
    let q = format!(
        "INSERT INTO audit_log (seq, at, actor, committee_id, action, subject, before_data, after_data, prev_hash, hash) VALUES {}",
        crate::db::values_rows(list.len(), 10)
    );
    exec!(c, |x| bind_params!(
        sqlx::query(sqlx::AssertSqlSafe(q)),
        &params
    )
    .execute(&mut **x)
    .await)?;
    Ok((seq, prev))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditRow {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub committee_id: i64,
    pub action: String,
    pub subject: String,
    pub before_data: String,
    pub after_data: String,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditRow {
    pub fn content(&self) -> AuditContent {
        AuditContent {
            seq: self.seq,
            at: self.at.clone(),
            actor: self.actor.clone(),
            committee_id: self.committee_id,
            action: self.action.clone(),
            subject: self.subject.clone(),
            before: self.before_data.clone(),
            after: self.after_data.clone(),
        }
    }
}

const AUDIT_COLS: &str =
    "seq, at, actor, committee_id, action, subject, before_data, after_data, prev_hash, hash";

/// A page of the chain in order, for verification.
pub async fn audit_page(c: &mut Conn<'_>, after_seq: i64, limit: i64) -> Result<Vec<AuditRow>> {
    let q = format!("SELECT {AUDIT_COLS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2");
    on!(c, |x| sqlx::query_as(sqlx::AssertSqlSafe(q))
        .bind(after_seq)
        .bind(limit)
        .fetch_all(&mut **x)
        .await)
    .map_err(Into::into)
}

pub async fn audit_recent(
    c: &mut Conn<'_>,
    committee_id: i64,
    limit: i64,
) -> Result<Vec<AuditRow>> {
    let q = format!(
        "SELECT {AUDIT_COLS} FROM audit_log WHERE committee_id = $1 ORDER BY seq DESC LIMIT $2"
    );
    on!(c, |x| sqlx::query_as(sqlx::AssertSqlSafe(q))
        .bind(committee_id)
        .bind(limit)
        .fetch_all(&mut **x)
        .await)
    .map_err(Into::into)
}

pub async fn audit_head(c: &mut Conn<'_>) -> Result<(i64, String)> {
    let q = "SELECT seq, hash FROM audit_head WHERE id = 1";
    on!(c, |x| sqlx::query_as(q).fetch_one(&mut **x).await).map_err(Into::into)
}
