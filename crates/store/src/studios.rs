//! Studios' offline work (R3, R6): reception slots and bookings, the reception log,
//! service bookings, deliveries and ratings.

use chrono::{DateTime, Utc};

use crate::db::{Conn, Result};
use crate::{exec, on};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SlotRow {
    pub id: i64,
    pub studio_id: i64,
    pub day: String,
    pub starts_at: String,
    pub ends_at: String,
    pub capacity: i64,
    pub member_id: Option<i64>,
    pub member_name: Option<String>,
    pub note: Option<String>,
    pub booked: i64,
}

const SLOT: &str = "SELECT s.id, s.studio_id, s.day, s.starts_at, s.ends_at, s.capacity, s.member_id, m.name AS member_name, s.note, \
    (SELECT COUNT(*) FROM reception_bookings b WHERE b.slot_id = s.id) AS booked \
    FROM reception_slots s LEFT JOIN members m ON m.id = s.member_id";

/// A studio's reception slots from `from_day` on (the duty rota: who is on duty when).
pub async fn slots(
    c: &mut Conn<'_>,
    committee_id: i64,
    studio_id: i64,
    from_day: &str,
) -> Result<Vec<SlotRow>> {
    let q = format!(
        "{SLOT} WHERE s.committee_id = $1 AND s.studio_id = $2 AND s.day >= $3 ORDER BY s.day, s.starts_at, s.id"
    );
    on!(c, |x| sqlx::query_as(sqlx::AssertSqlSafe(q))
        .bind(committee_id)
        .bind(studio_id)
        .bind(from_day)
        .fetch_all(&mut **x)
        .await)
    .map_err(Into::into)
}

pub async fn slot(c: &mut Conn<'_>, committee_id: i64, id: i64) -> Result<Option<SlotRow>> {
    let q = format!("{SLOT} WHERE s.committee_id = $1 AND s.id = $2");
    on!(c, |x| sqlx::query_as(sqlx::AssertSqlSafe(q))
        .bind(committee_id)
        .bind(id)
        .fetch_optional(&mut **x)
        .await)
    .map_err(Into::into)
}

pub struct NewBooking<'a> {
    pub person_name: &'a str,
    pub phone_enc: Vec<u8>,
    pub phone_index: &'a str,
    pub phone_masked: &'a str,
    pub note: &'a str,
}

pub async fn add_reception_booking(
    c: &mut Conn<'_>,
    slot_id: i64,
    b: &NewBooking<'_>,
    at: DateTime<Utc>,
) -> Result<i64> {
    let q = "INSERT INTO reception_bookings (slot_id, person_name, phone_enc, phone_index, phone_masked, topic, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
    on!(c, |x| sqlx::query_scalar(q)
        .bind(slot_id)
        .bind(b.person_name)
        .bind(b.phone_enc.clone())
        .bind(b.phone_index)
        .bind(b.phone_masked)
        .bind(b.note)
        .bind(at)
        .fetch_one(&mut **x)
        .await)
    .map_err(Into::into)
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct BookingRow {
    pub id: i64,
    pub day: String,
    pub starts_at: String,
    pub person_name: String,
    pub phone_masked: String,
    pub topic: String,
}

pub async fn reception_bookings(
    c: &mut Conn<'_>,
    committee_id: i64,
    studio_id: i64,
) -> Result<Vec<BookingRow>> {
    let q = "SELECT b.id, s.day, s.starts_at, b.person_name, b.phone_masked, b.topic FROM reception_bookings b \
             JOIN reception_slots s ON s.id = b.slot_id WHERE s.committee_id = $1 AND s.studio_id = $2 \
             ORDER BY s.day DESC, s.starts_at, b.id LIMIT 200";
    on!(c, |x| sqlx::query_as(q)
        .bind(committee_id)
        .bind(studio_id)
        .fetch_all(&mut **x)
        .await)
    .map_err(Into::into)
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct VisitRow {
    pub id: i64,
    pub studio_id: i64,
    pub member_id: Option<i64>,
    pub visited_on: String,
    pub visitor: Option<String>,
    pub topic: String,
    pub summary: String,
    pub outcome: Option<String>,
    pub concern_id: Option<i64>,
}

pub struct NewVisit<'a> {
    pub studio_id: i64,
    pub member_id: Option<i64>,
    pub visited_on: &'a str,
    pub visitor: Option<&'a str>,
    pub topic: &'a str,
    pub summary: &'a str,
    pub outcome: Option<&'a str>,
}

pub async fn add_visit(
    c: &mut Conn<'_>,
    committee_id: i64,
    v: &NewVisit<'_>,
    at: DateTime<Utc>,
) -> Result<i64> {
    let q = "INSERT INTO reception_visits (committee_id, studio_id, member_id, visited_on, visitor, topic, summary, outcome, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id";
    on!(c, |x| sqlx::query_scalar(q)
        .bind(committee_id)
        .bind(v.studio_id)
        .bind(v.member_id)
        .bind(v.visited_on)
        .bind(v.visitor)
        .bind(v.topic)
        .bind(v.summary)
        .bind(v.outcome)
        .bind(at)
        .fetch_one(&mut **x)
        .await)
    .map_err(Into::into)
}

const VISIT: &str = "SELECT id, studio_id, member_id, visited_on, visitor, topic, summary, outcome, concern_id FROM reception_visits";

pub async fn visits(c: &mut Conn<'_>, committee_id: i64, studio_id: i64) -> Result<Vec<VisitRow>> {
    let q = format!(
        "{VISIT} WHERE committee_id = $1 AND studio_id = $2 ORDER BY visited_on DESC, id DESC LIMIT 200"
    );
    on!(c, |x| sqlx::query_as(sqlx::AssertSqlSafe(q))
        .bind(committee_id)
        .bind(studio_id)
        .fetch_all(&mut **x)
        .await)
    .map_err(Into::into)
}

pub async fn visit(c: &mut Conn<'_>, committee_id: i64, id: i64) -> Result<Option<VisitRow>> {
    let q = format!("{VISIT} WHERE committee_id = $1 AND id = $2");
    on!(c, |x| sqlx::query_as(sqlx::AssertSqlSafe(q))
        .bind(committee_id)
        .bind(id)
        .fetch_optional(&mut **x)
        .await)
    .map_err(Into::into)
}

/// Link a visit to the concern made from it; false if it was already linked.
pub async fn link_visit_concern(
    c: &mut Conn<'_>,
    id: i64,
    concern_id: i64,
    at: DateTime<Utc>,
) -> Result<bool> {
    let q = "UPDATE reception_visits SET concern_id = $1, updated_at = $2 WHERE id = $3 AND concern_id IS NULL";
    let n = exec!(c, |x| sqlx::query(q)
        .bind(concern_id)
        .bind(at)
        .bind(id)
        .execute(&mut **x)
        .await)?;
    Ok(n == 1)
}

/// (studio, lead member) of every studio of a committee.
pub async fn studio_leads(c: &mut Conn<'_>, committee_id: i64) -> Result<Vec<(i64, Option<i64>)>> {
    let q = "SELECT id, lead_member_id FROM studios WHERE committee_id = $1";
    on!(c, |x| sqlx::query_as(q)
        .bind(committee_id)
        .fetch_all(&mut **x)
        .await)
    .map_err(Into::into)
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct OfferRow {
    pub id: i64,
    pub studio_id: i64,
    pub title: String,
    pub kind: String,
    pub provider_member_id: Option<i64>,
    pub active: bool,
}

pub async fn offer(c: &mut Conn<'_>, committee_id: i64, id: i64) -> Result<Option<OfferRow>> {
    let q = "SELECT id, studio_id, title, kind, provider_member_id, active FROM service_offers WHERE committee_id = $1 AND id = $2";
    on!(c, |x| sqlx::query_as(q)
        .bind(committee_id)
        .bind(id)
        .fetch_optional(&mut **x)
        .await)
    .map_err(Into::into)
}

pub async fn add_service_booking(
    c: &mut Conn<'_>,
    offer_id: i64,
    code: &str,
    b: &NewBooking<'_>,
    at: DateTime<Utc>,
) -> Result<i64> {
    let q = "INSERT INTO service_bookings (offer_id, code, person_name, phone_enc, phone_index, phone_masked, note, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id";
    on!(c, |x| sqlx::query_scalar(q)
        .bind(offer_id)
        .bind(code)
        .bind(b.person_name)
        .bind(b.phone_enc.clone())
        .bind(b.phone_index)
        .bind(b.phone_masked)
        .bind(b.note)
        .bind(at)
        .fetch_one(&mut **x)
        .await)
    .map_err(Into::into)
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ServiceBookingRow {
    pub id: i64,
    pub offer_id: i64,
    pub committee_id: i64,
    pub title: String,
    pub person_name: String,
    pub phone_masked: String,
    pub note: Option<String>,
    pub rating: Option<String>,
    pub rating_comment: Option<String>,
    pub created_at: DateTime<Utc>,
}

const SB: &str = "SELECT b.id, b.offer_id, o.committee_id, o.title, b.person_name, b.phone_masked, b.note, b.rating, b.rating_comment, b.created_at \
    FROM service_bookings b JOIN service_offers o ON o.id = b.offer_id";

pub async fn service_booking_by_code(
    c: &mut Conn<'_>,
    code: &str,
) -> Result<Option<ServiceBookingRow>> {
    let q = format!("{SB} WHERE b.code = $1");
    on!(c, |x| sqlx::query_as(sqlx::AssertSqlSafe(q))
        .bind(code)
        .fetch_optional(&mut **x)
        .await)
    .map_err(Into::into)
}

pub async fn service_bookings(c: &mut Conn<'_>, offer_id: i64) -> Result<Vec<ServiceBookingRow>> {
    let q = format!("{SB} WHERE b.offer_id = $1 ORDER BY b.id DESC LIMIT 200");
    on!(c, |x| sqlx::query_as(sqlx::AssertSqlSafe(q))
        .bind(offer_id)
        .fetch_all(&mut **x)
        .await)
    .map_err(Into::into)
}

pub async fn rate_service_booking(
    c: &mut Conn<'_>,
    id: i64,
    rating: &str,
    comment: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    let q =
        "UPDATE service_bookings SET rating = $1, rating_comment = $2, rated_at = $3 WHERE id = $4";
    exec!(c, |x| sqlx::query(q)
        .bind(rating)
        .bind(comment)
        .bind(at)
        .bind(id)
        .execute(&mut **x)
        .await)?;
    Ok(())
}

pub async fn add_delivery(
    c: &mut Conn<'_>,
    offer_id: i64,
    delivered_on: &str,
    people: i64,
    summary: &str,
    recorded_by: i64,
    at: DateTime<Utc>,
) -> Result<i64> {
    let q = "INSERT INTO service_deliveries (offer_id, delivered_on, people_count, summary, recorded_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
    on!(c, |x| sqlx::query_scalar(q)
        .bind(offer_id)
        .bind(delivered_on)
        .bind(people)
        .bind(summary)
        .bind(recorded_by)
        .bind(at)
        .fetch_one(&mut **x)
        .await)
    .map_err(Into::into)
}

/// (date, people, summary) of an offer's deliveries.
pub async fn deliveries(c: &mut Conn<'_>, offer_id: i64) -> Result<Vec<(String, i64, String)>> {
    let q = "SELECT delivered_on, people_count, summary FROM service_deliveries WHERE offer_id = $1 ORDER BY delivered_on DESC, id DESC";
    on!(c, |x| sqlx::query_as(q)
        .bind(offer_id)
        .fetch_all(&mut **x)
        .await)
    .map_err(Into::into)
}

/// The studios a member leads or sits in.
pub async fn studios_of_member(
    c: &mut Conn<'_>,
    committee_id: i64,
    member_id: i64,
) -> Result<Vec<i64>> {
    let q = "SELECT id FROM studios WHERE committee_id = $1 AND (lead_member_id = $2 \
             OR id IN (SELECT studio_id FROM studio_members WHERE member_id = $2)) ORDER BY id";
    on!(c, |x| sqlx::query_scalar(q)
        .bind(committee_id)
        .bind(member_id)
        .fetch_all(&mut **x)
        .await)
    .map_err(Into::into)
}

/// The studios a member leads.
pub async fn studios_led_by(
    c: &mut Conn<'_>,
    committee_id: i64,
    member_id: i64,
) -> Result<Vec<i64>> {
    let q = "SELECT id FROM studios WHERE committee_id = $1 AND lead_member_id = $2 ORDER BY id";
    on!(c, |x| sqlx::query_scalar(q)
        .bind(committee_id)
        .bind(member_id)
        .fetch_all(&mut **x)
        .await)
    .map_err(Into::into)
}

/// The lead member of a studio.
pub async fn studio_lead(
    c: &mut Conn<'_>,
    committee_id: i64,
    studio_id: i64,
) -> Result<Option<i64>> {
    let q = "SELECT lead_member_id FROM studios WHERE committee_id = $1 AND id = $2";
    let r: Option<Option<i64>> = on!(c, |x| sqlx::query_scalar(q)
        .bind(committee_id)
        .bind(studio_id)
        .fetch_optional(&mut **x)
        .await)?;
    Ok(r.flatten())
}

/// (id, title) of the offers a member provides or that belong to studios they lead.
pub async fn offers_of_member(
    c: &mut Conn<'_>,
    committee_id: i64,
    member_id: i64,
) -> Result<Vec<(i64, String)>> {
    let q = "SELECT id, title FROM service_offers WHERE committee_id = $1 AND (provider_member_id = $2 \
             OR studio_id IN (SELECT id FROM studios WHERE committee_id = $1 AND lead_member_id = $2)) ORDER BY id";
    on!(c, |x| sqlx::query_as(q)
        .bind(committee_id)
        .bind(member_id)
        .fetch_all(&mut **x)
        .await)
    .map_err(Into::into)
}
