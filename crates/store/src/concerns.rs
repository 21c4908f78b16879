//! Concerns, their history and attachments, routing rules, the intake rate limit, the
//! notification outbox and Open311 clients.

use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;

use crate::db::{Conn, Param, Result};
use crate::{bind_params, exec, on};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ConcernRow {
    pub id: i64,
    pub committee_id: i64,
    pub code: String,
    pub title: String,
    pub detail: String,
    pub category_id: i64,
    pub area: String,
    pub sector_id: Option<i64>,
    pub person_name: Option<String>,
    pub phone_enc: Option<Vec<u8>>,
    pub phone_index: Option<String>,
    pub phone_masked: Option<String>,
    pub publish: bool,
    pub status: String,
    pub close_reason: Option<String>,
    pub duplicate_of: Option<i64>,
    pub referred_unit_id: Option<i64>,
    pub studio_id: Option<i64>,
    pub member_id: Option<i64>,
    pub special_committee_id: Option<i64>,
    pub source: String,
    pub submitted_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub first_reply_at: Option<DateTime<Utc>>,
    pub answered_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub escalated_at: Option<DateTime<Utc>>,
    pub rating: Option<String>,
    pub rating_comment: Option<String>,
    pub rated_at: Option<DateTime<Utc>>,
    pub followup_sent_at: Option<DateTime<Utc>>,
    pub followup_answer: Option<String>,
    pub user_id: Option<i64>,
    pub idempotency_key: Option<String>,
    pub open311_client_id: Option<i64>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub updated_at: DateTime<Utc>,
}

const COLS: &str = "id, committee_id, code, title, detail, category_id, area, sector_id, person_name, phone_enc, \
    phone_index, phone_masked, publish, status, close_reason, duplicate_of, referred_unit_id, studio_id, member_id, \
    special_committee_id, source, submitted_at, due_at, first_reply_at, answered_at, resolved_at, closed_at, \
    escalated_at, rating, rating_comment, rated_at, followup_sent_at, followup_answer, user_id, idempotency_key, \
    open311_client_id, lat, lon, updated_at";

pub async fn insert(c: &mut Conn<'_>, r: &ConcernRow) -> Result<i64> {
    let q = "INSERT INTO concerns (committee_id, code, title, detail, category_id, area, sector_id, person_name, \
             phone_enc, phone_index, phone_masked, publish, status, source, submitted_at, due_at, user_id, \
             idempotency_key, open311_client_id, lat, lon, studio_id, member_id, special_committee_id, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $15) \
             RETURNING id";
    on!(c, |x| sqlx::query_scalar(q)
        .bind(r.committee_id)
        .bind(r.code.clone())
        .bind(r.title.clone())
        .bind(r.detail.clone())
        .bind(r.category_id)
        .bind(r.area.clone())
        .bind(r.sector_id)
        .bind(r.person_name.clone())
        .bind(r.phone_enc.clone())
        .bind(r.phone_index.clone())
        .bind(r.phone_masked.clone())
        .bind(r.publish)
        .bind(r.status.clone())
        .bind(r.source.clone())
        .bind(r.submitted_at)
        .bind(r.due_at)
        .bind(r.user_id)
        .bind(r.idempotency_key.clone())
        .bind(r.open311_client_id)
        .bind(r.lat)
        .bind(r.lon)
        .bind(r.studio_id)
        .bind(r.member_id)
        .bind(r.special_committee_id)
        .fetch_one(&mut **x)
        .await)
    .map_err(Into::into)
}

/// Write back everything a step can change.
pub async fn save(c: &mut Conn<'_>, r: &ConcernRow) -> Result<()> {
    let q = "UPDATE concerns SET status = $1, close_reason = $2, duplicate_of = $3, referred_unit_id = $4, \
             studio_id = $5, member_id = $6, special_committee_id = $7, first_reply_at = $8, answered_at = $9, \
             resolved_at = $10, closed_at = $11, escalated_at = $12, rating = $13, rating_comment = $14, \
             rated_at = $15, followup_sent_at = $16, followup_answer = $17, updated_at = $18 WHERE id = $19";
    exec!(c, |x| sqlx::query(q)
        .bind(r.status.clone())
        .bind(r.close_reason.clone())
        .bind(r.duplicate_of)
        .bind(r.referred_unit_id)
        .bind(r.studio_id)
        .bind(r.member_id)
        .bind(r.special_committee_id)
        .bind(r.first_reply_at)
        .bind(r.answered_at)
        .bind(r.resolved_at)
        .bind(r.closed_at)
        .bind(r.escalated_at)
        .bind(r.rating.clone())
        .bind(r.rating_comment.clone())
        .bind(r.rated_at)
        .bind(r.followup_sent_at)
        .bind(r.followup_answer.clone())
        .bind(r.updated_at)
        .bind(r.id)
        .execute(&mut **x)
        .await)?;
    Ok(())
}

async fn one(c: &mut Conn<'_>, tail: &str, params: &[Param]) -> Result<Option<ConcernRow>> {
    let q = format!("SELECT {COLS} FROM concerns {tail}");
    on!(c, |x| bind_params!(
        sqlx::query_as(AssertSqlSafe(q)),
        params
    )
    .fetch_optional(&mut **x)
    .await)
    .map_err(Into::into)
}

pub async fn by_code(c: &mut Conn<'_>, code: &str) -> Result<Option<ConcernRow>> {
    one(c, "WHERE code = $1", &[Param::Text(code.into())]).await
}

pub async fn by_id(c: &mut Conn<'_>, committee_id: i64, id: i64) -> Result<Option<ConcernRow>> {
    one(
        c,
        "WHERE id = $1 AND committee_id = $2",
        &[Param::Int(id), Param::Int(committee_id)],
    )
    .await
}

pub async fn by_idempotency_key(
    c: &mut Conn<'_>,
    committee_id: i64,
    key: &str,
) -> Result<Option<ConcernRow>> {
    one(
        c,
        "WHERE committee_id = $1 AND idempotency_key = $2",
        &[Param::Int(committee_id), Param::Text(key.into())],
    )
    .await
}

/// Which concerns a list shows.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub status: Option<String>,
    pub category_id: Option<i64>,
    pub sector_id: Option<i64>,
    pub studio_id: Option<i64>,
    pub member_id: Option<i64>,
    /// A member's inbox: routed to the member or to one of these studios.
    pub inbox: Option<(i64, Vec<i64>)>,
    pub overdue_at: Option<DateTime<Utc>>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub user_id: Option<i64>,
    pub open311_client_id: Option<i64>,
    /// Any of these statuses.
    pub status_in: Option<Vec<&'static str>>,
    /// Only concerns the person allowed to be published.
    pub published_only: bool,
    /// Only these ids.
    pub ids: Option<Vec<i64>>,
}

fn where_of(committee_id: i64, f: &Filter) -> (String, Vec<Param>) {
    let mut p = vec![Param::Int(committee_id)];
    let mut w = String::from(" WHERE committee_id = $1");
    let add = |w: &mut String, p: &mut Vec<Param>, sql: &str, v: Param| {
        p.push(v);
        w.push_str(&sql.replace('?', &format!("${}", p.len())));
    };
    if let Some(s) = &f.status {
        add(&mut w, &mut p, " AND status = ?", Param::Text(s.clone()));
    }
    if let Some(v) = f.category_id {
        add(&mut w, &mut p, " AND category_id = ?", Param::Int(v));
    }
    if let Some(v) = f.sector_id {
        add(&mut w, &mut p, " AND sector_id = ?", Param::Int(v));
    }
    if let Some(v) = f.studio_id {
        add(&mut w, &mut p, " AND studio_id = ?", Param::Int(v));
    }
    if let Some(v) = f.member_id {
        add(&mut w, &mut p, " AND member_id = ?", Param::Int(v));
    }
    if let Some(v) = f.user_id {
        add(&mut w, &mut p, " AND user_id = ?", Param::Int(v));
    }
    if let Some(v) = f.open311_client_id {
        add(&mut w, &mut p, " AND open311_client_id = ?", Param::Int(v));
    }
    if let Some(at) = f.overdue_at {
        w.push_str(" AND status IN ('submitted', 'assigned', 'in_progress')");
        add(&mut w, &mut p, " AND due_at < ?", Param::Time(at));
    }
    if let Some((member, studios)) = &f.inbox {
        p.push(Param::Int(*member));
        let mut cond = format!(" AND (member_id = ${}", p.len());
        for s in studios {
            p.push(Param::Int(*s));
            cond.push_str(&format!(" OR studio_id = ${}", p.len()));
        }
        cond.push(')');
        w.push_str(&cond);
    }
    if let Some(list) = &f.status_in {
        let quoted: Vec<String> = list.iter().map(|s| format!("'{s}'")).collect();
        w.push_str(&format!(" AND status IN ({})", quoted.join(", ")));
    }
    if f.published_only {
        w.push_str(" AND publish = TRUE");
    }
    if let Some(ids) = &f.ids {
        if ids.is_empty() {
            w.push_str(" AND FALSE");
        } else {
            let mut marks = Vec::new();
            for id in ids {
                p.push(Param::Int(*id));
                marks.push(format!("${}", p.len()));
            }
            w.push_str(&format!(" AND id IN ({})", marks.join(", ")));
        }
    }
    if let Some(at) = f.from {
        add(&mut w, &mut p, " AND submitted_at >= ?", Param::Time(at));
    }
    if let Some(at) = f.to {
        add(&mut w, &mut p, " AND submitted_at < ?", Param::Time(at));
    }
    (w, p)
}

pub async fn list(
    c: &mut Conn<'_>,
    committee_id: i64,
    f: &Filter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<ConcernRow>, i64)> {
    let (w, p) = where_of(committee_id, f);
    let count = format!("SELECT COUNT(*) FROM concerns{w}");
    let total: i64 = on!(c, |x| bind_params!(
        sqlx::query_scalar(AssertSqlSafe(count)),
        &p
    )
    .fetch_one(&mut **x)
    .await)?;
    let n = p.len();
    let q = format!(
        "SELECT {COLS} FROM concerns{w} ORDER BY id DESC LIMIT ${} OFFSET ${}",
        n + 1,
        n + 2
    );
    let rows = on!(c, |x| bind_params!(sqlx::query_as(AssertSqlSafe(q)), &p)
        .bind(limit)
        .bind(offset)
        .fetch_all(&mut **x)
        .await)?;
    Ok((rows, total))
}

/// The times and ratings statistics need, for every concern that matches.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Timing {
    pub status: String,
    pub category_id: i64,
    pub submitted_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub first_reply_at: Option<DateTime<Utc>>,
    pub answered_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub rating: Option<String>,
}

pub async fn timings(c: &mut Conn<'_>, committee_id: i64, f: &Filter) -> Result<Vec<Timing>> {
    let (w, p) = where_of(committee_id, f);
    let q = format!(
        "SELECT status, category_id, submitted_at, due_at, first_reply_at, answered_at, resolved_at, rating FROM concerns{w}"
    );
    on!(c, |x| bind_params!(sqlx::query_as(AssertSqlSafe(q)), &p)
        .fetch_all(&mut **x)
        .await)
    .map_err(Into::into)
}

/// Pending concerns past their deadline and not yet escalated.
pub async fn to_escalate(c: &mut Conn<'_>, now: DateTime<Utc>) -> Result<Vec<ConcernRow>> {
    let q = format!(
        "SELECT {COLS} FROM concerns WHERE status IN ('submitted', 'assigned', 'in_progress') \
         AND due_at < $1 AND escalated_at IS NULL ORDER BY id LIMIT 500"
    );
    on!(c, |x| sqlx::query_as(AssertSqlSafe(q))
        .bind(now)
        .fetch_all(&mut **x)
        .await)
    .map_err(Into::into)
}

/// Answered before `answered_before`, not rated, not yet asked how it went.
pub async fn to_follow_up(
    c: &mut Conn<'_>,
    answered_before: DateTime<Utc>,
) -> Result<Vec<ConcernRow>> {
    let q = format!(
        "SELECT {COLS} FROM concerns WHERE status IN ('answered', 'resolved') AND answered_at <= $1 \
         AND rating IS NULL AND followup_sent_at IS NULL ORDER BY id LIMIT 500"
    );
    on!(c, |x| sqlx::query_as(AssertSqlSafe(q))
        .bind(answered_before)
        .fetch_all(&mut **x)
        .await)
    .map_err(Into::into)
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct UpdateRow {
    pub id: i64,
    pub kind: String,
    pub public: bool,
    pub body: String,
    pub status_after: Option<String>,
    pub actor_label: String,
    pub created_at: DateTime<Utc>,
}

pub struct NewUpdate<'a> {
    pub concern_id: i64,
    pub kind: &'a str,
    pub public: bool,
    pub body: &'a str,
    pub status_after: Option<&'a str>,
    pub actor_user_id: Option<i64>,
    pub actor_label: &'a str,
}

pub async fn add_update(c: &mut Conn<'_>, u: &NewUpdate<'_>, at: DateTime<Utc>) -> Result<()> {
    let q = "INSERT INTO concern_updates (concern_id, kind, public, body, status_after, actor_user_id, actor_label, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    exec!(c, |x| sqlx::query(q)
        .bind(u.concern_id)
        .bind(u.kind)
        .bind(u.public)
        .bind(u.body)
        .bind(u.status_after)
        .bind(u.actor_user_id)
        .bind(u.actor_label)
        .bind(at)
        .execute(&mut **x)
        .await)?;
    Ok(())
}

/// Several history entries of one concern in one statement.
pub async fn add_updates(
    c: &mut Conn<'_>,
    list: &[NewUpdate<'_>],
    at: DateTime<Utc>,
) -> Result<()> {
    if list.is_empty() {
        return Ok(());
    }
    let mut params = Vec::new();
    for u in list {
        params.push(Param::Int(u.concern_id));
        params.push(Param::Text(u.kind.to_string()));
        params.push(Param::Bool(u.public));
        params.push(Param::Text(u.body.to_string()));
        params.push(
            u.status_after
                .map(|s| Param::Text(s.to_string()))
                .unwrap_or(Param::NullText),
        );
        params.push(u.actor_user_id.map(Param::Int).unwrap_or(Param::NullInt));
        params.push(Param::Text(u.actor_label.to_string()));
        params.push(Param::Time(at));
    }
    let q = format!(
        "INSERT INTO concern_updates (concern_id, kind, public, body, status_after, actor_user_id, actor_label, created_at) VALUES {}",
        crate::db::values_rows(list.len(), 8)
    );
    exec!(c, |x| bind_params!(sqlx::query(AssertSqlSafe(q)), &params)
        .execute(&mut **x)
        .await)?;
    Ok(())
}

pub async fn updates(
    c: &mut Conn<'_>,
    concern_id: i64,
    public_only: bool,
) -> Result<Vec<UpdateRow>> {
    let q = if public_only {
        "SELECT id, kind, public, body, status_after, actor_label, created_at FROM concern_updates WHERE concern_id = $1 AND public = TRUE ORDER BY id"
    } else {
        "SELECT id, kind, public, body, status_after, actor_label, created_at FROM concern_updates WHERE concern_id = $1 ORDER BY id"
    };
    on!(c, |x| sqlx::query_as(q)
        .bind(concern_id)
        .fetch_all(&mut **x)
        .await)
    .map_err(Into::into)
}

/// The newest public update's text of each concern of `ids` that has one: one query for a
/// whole list (the Open311 list shows it for up to 1,000 concerns).
pub async fn last_public_notes(
    c: &mut Conn<'_>,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, String>> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let marks: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
    let q = format!(
        "SELECT concern_id, body FROM concern_updates WHERE public = TRUE AND concern_id IN ({}) ORDER BY id",
        marks.join(", ")
    );
    let rows: Vec<(i64, String)> = on!(c, |x| {
        let mut query = sqlx::query_as(AssertSqlSafe(q.clone()));
        for id in ids {
            query = query.bind(*id);
        }
        query.fetch_all(&mut **x).await
    })?;
    // In id order, so a later update of the same concern replaces an earlier one.
    Ok(rows.into_iter().collect())
}

pub async fn add_attachment(
    c: &mut Conn<'_>,
    concern_id: i64,
    filename: &str,
    mime: &str,
    bytes: &[u8],
    at: DateTime<Utc>,
) -> Result<()> {
    let q = "INSERT INTO concern_attachments (concern_id, filename, mime, size, bytes, created_at) VALUES ($1, $2, $3, $4, $5, $6)";
    exec!(c, |x| sqlx::query(q)
        .bind(concern_id)
        .bind(filename)
        .bind(mime)
        .bind(bytes.len() as i64)
        .bind(bytes.to_vec())
        .bind(at)
        .execute(&mut **x)
        .await)?;
    Ok(())
}

/// (id, file name, type, size) of a concern's attachments.
pub async fn attachments(
    c: &mut Conn<'_>,
    concern_id: i64,
) -> Result<Vec<(i64, String, String, i64)>> {
    let q = "SELECT id, filename, mime, size FROM concern_attachments WHERE concern_id = $1 ORDER BY id";
    on!(c, |x| sqlx::query_as(q)
        .bind(concern_id)
        .fetch_all(&mut **x)
        .await)
    .map_err(Into::into)
}

pub async fn attachment(
    c: &mut Conn<'_>,
    concern_id: i64,
    id: i64,
) -> Result<Option<(String, Vec<u8>)>> {
    let q = "SELECT mime, bytes FROM concern_attachments WHERE concern_id = $1 AND id = $2";
    on!(c, |x| sqlx::query_as(q)
        .bind(concern_id)
        .bind(id)
        .fetch_optional(&mut **x)
        .await)
    .map_err(Into::into)
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct RuleRow {
    pub id: i64,
    pub category_id: Option<i64>,
    pub area: Option<String>,
    pub sector_id: Option<i64>,
    pub studio_id: Option<i64>,
    pub member_id: Option<i64>,
    pub special_committee_id: Option<i64>,
}

pub async fn rules(c: &mut Conn<'_>, committee_id: i64) -> Result<Vec<RuleRow>> {
    let q = "SELECT id, category_id, area, sector_id, studio_id, member_id, special_committee_id FROM routing_rules \
             WHERE committee_id = $1 ORDER BY id";
    on!(c, |x| sqlx::query_as(q)
        .bind(committee_id)
        .fetch_all(&mut **x)
        .await)
    .map_err(Into::into)
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CategoryRow {
    pub id: i64,
    pub name: String,
    pub deadline_days: i64,
    pub service_code: String,
    pub description: Option<String>,
}

pub async fn categories(c: &mut Conn<'_>, committee_id: i64) -> Result<Vec<CategoryRow>> {
    let q = "SELECT id, name, deadline_days, service_code, description FROM concern_categories WHERE committee_id = $1 ORDER BY id";
    on!(c, |x| sqlx::query_as(q)
        .bind(committee_id)
        .fetch_all(&mut **x)
        .await)
    .map_err(Into::into)
}

/// Requests from one address since `since` (the flood limit), and log this one.
pub async fn intake_count(c: &mut Conn<'_>, ip_hash: &str, since: DateTime<Utc>) -> Result<i64> {
    let q = "SELECT COUNT(*) FROM intake_log WHERE ip_hash = $1 AND at > $2";
    on!(c, |x| sqlx::query_scalar(q)
        .bind(ip_hash)
        .bind(since)
        .fetch_one(&mut **x)
        .await)
    .map_err(Into::into)
}

pub async fn log_intake(c: &mut Conn<'_>, ip_hash: &str, at: DateTime<Utc>) -> Result<()> {
    let q = "INSERT INTO intake_log (ip_hash, at) VALUES ($1, $2)";
    exec!(c, |x| sqlx::query(q)
        .bind(ip_hash)
        .bind(at)
        .execute(&mut **x)
        .await)?;
    Ok(())
}

pub struct NewMessage<'a> {
    pub committee_id: i64,
    pub channel: &'a str,
    pub recipient_enc: Option<Vec<u8>>,
    pub recipient_masked: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    pub concern_id: Option<i64>,
}

/// Queue a notification (SMS / email / the office's inbox); a sender drains the outbox.
pub async fn queue_message(c: &mut Conn<'_>, m: &NewMessage<'_>, at: DateTime<Utc>) -> Result<()> {
    let q = "INSERT INTO outbox (committee_id, channel, recipient_enc, recipient_masked, subject, body, concern_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    exec!(c, |x| sqlx::query(q)
        .bind(m.committee_id)
        .bind(m.channel)
        .bind(m.recipient_enc.clone())
        .bind(m.recipient_masked)
        .bind(m.subject)
        .bind(m.body)
        .bind(m.concern_id)
        .bind(at)
        .execute(&mut **x)
        .await)?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct MessageRow {
    pub id: i64,
    pub channel: String,
    pub recipient_masked: String,
    pub subject: String,
    pub body: String,
    pub concern_id: Option<i64>,
    pub created_at: DateTime<Utc>,
}

/// (waiting, sent) messages in the outbox of every committee, for the metrics.
pub async fn outbox_counts(c: &mut Conn<'_>) -> Result<(i64, i64)> {
    let q = "SELECT COUNT(*) - COUNT(sent_at), COUNT(sent_at) FROM outbox";
    on!(c, |x| sqlx::query_as(q).fetch_one(&mut **x).await).map_err(Into::into)
}

pub async fn messages(c: &mut Conn<'_>, committee_id: i64, limit: i64) -> Result<Vec<MessageRow>> {
    let q = "SELECT id, channel, recipient_masked, subject, body, concern_id, created_at FROM outbox \
             WHERE committee_id = $1 ORDER BY id DESC LIMIT $2";
    on!(c, |x| sqlx::query_as(q)
        .bind(committee_id)
        .bind(limit)
        .fetch_all(&mut **x)
        .await)
    .map_err(Into::into)
}

pub async fn add_open311_client(
    c: &mut Conn<'_>,
    committee_id: i64,
    name: &str,
    key_hash: &str,
    at: DateTime<Utc>,
) -> Result<i64> {
    let q = "INSERT INTO open311_clients (committee_id, name, key_hash, revoked, created_at) VALUES ($1, $2, $3, FALSE, $4) RETURNING id";
    on!(c, |x| sqlx::query_scalar(q)
        .bind(committee_id)
        .bind(name)
        .bind(key_hash)
        .bind(at)
        .fetch_one(&mut **x)
        .await)
    .map_err(Into::into)
}

/// (client id, committee id) of a live key.
pub async fn open311_client(c: &mut Conn<'_>, key_hash: &str) -> Result<Option<(i64, i64)>> {
    let q = "SELECT id, committee_id FROM open311_clients WHERE key_hash = $1 AND revoked = FALSE";
    on!(c, |x| sqlx::query_as(q)
        .bind(key_hash)
        .fetch_optional(&mut **x)
        .await)
    .map_err(Into::into)
}

pub async fn open311_clients(
    c: &mut Conn<'_>,
    committee_id: i64,
) -> Result<Vec<(i64, String, bool)>> {
    let q = "SELECT id, name, revoked FROM open311_clients WHERE committee_id = $1 ORDER BY id";
    on!(c, |x| sqlx::query_as(q)
        .bind(committee_id)
        .fetch_all(&mut **x)
        .await)
    .map_err(Into::into)
}

/// A member's opinion-report draft made from concerns; returns its id.
pub async fn add_opinion_draft(
    c: &mut Conn<'_>,
    committee_id: i64,
    member_id: i64,
    title: &str,
    body: &str,
    concern_ids: &[i64],
    at: DateTime<Utc>,
) -> Result<i64> {
    let q = "INSERT INTO opinion_reports (committee_id, member_id, status, title, body, created_at, updated_at) \
             VALUES ($1, $2, 'draft', $3, $4, $5, $5) RETURNING id";
    let id: i64 = on!(c, |x| sqlx::query_scalar(q)
        .bind(committee_id)
        .bind(member_id)
        .bind(title)
        .bind(body)
        .bind(at)
        .fetch_one(&mut **x)
        .await)?;
    crate::opinions::set_authors(c, id, &[(member_id, "lead")]).await?;
    for cid in concern_ids {
        let q = "INSERT INTO opinion_report_concerns (report_id, concern_id) VALUES ($1, $2)";
        exec!(c, |x| sqlx::query(q)
            .bind(id)
            .bind(*cid)
            .execute(&mut **x)
            .await)?;
    }
    Ok(id)
}
