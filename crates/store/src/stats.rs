//! Counts for the dashboard and settings.

use crate::db::{Conn, Result};
use crate::{exec, on};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overview {
    pub members_active: i64,
    pub members_standing: i64,
    pub members_total: i64,
    pub studios: i64,
    pub sectors: i64,
    pub special_committees: i64,
    pub handling_units: i64,
    pub users: i64,
}

async fn count(c: &mut Conn<'_>, sql: &'static str, committee_id: i64) -> Result<i64> {
    on!(c, |x| sqlx::query_scalar(sql)
        .bind(committee_id)
        .fetch_one(&mut **x)
        .await)
    .map_err(Into::into)
}

pub async fn overview(c: &mut Conn<'_>, committee_id: i64) -> Result<Overview> {
    Ok(Overview {
        members_active: count(c, "SELECT COUNT(*) FROM members WHERE committee_id = $1 AND status = 'active'", committee_id).await?,
        members_standing: count(
            c,
            "SELECT COUNT(*) FROM members WHERE committee_id = $1 AND status = 'active' AND is_standing = TRUE",
            committee_id,
        )
        .await?,
        members_total: count(c, "SELECT COUNT(*) FROM members WHERE committee_id = $1", committee_id).await?,
        studios: count(c, "SELECT COUNT(*) FROM studios WHERE committee_id = $1", committee_id).await?,
        sectors: count(c, "SELECT COUNT(*) FROM sectors WHERE committee_id = $1", committee_id).await?,
        special_committees: count(c, "SELECT COUNT(*) FROM special_committees WHERE committee_id = $1", committee_id).await?,
        handling_units: count(c, "SELECT COUNT(*) FROM handling_units WHERE committee_id = $1", committee_id).await?,
        users: count(c, "SELECT COUNT(*) FROM users WHERE committee_id = $1", committee_id).await?,
    })
}

/// (sector id, sector name, active members) for every sector, in the sector order.
pub async fn members_by_sector(
    c: &mut Conn<'_>,
    committee_id: i64,
) -> Result<Vec<(i64, String, i64)>> {
    let q = "SELECT s.id, s.name, COUNT(m.id) FROM sectors s \
             LEFT JOIN members m ON m.sector_id = s.id AND m.status = 'active' \
             WHERE s.committee_id = $1 GROUP BY s.id, s.name, s.sort_order ORDER BY s.sort_order, s.id";
    on!(c, |x| sqlx::query_as(q)
        .bind(committee_id)
        .fetch_all(&mut **x)
        .await)
    .map_err(Into::into)
}

/// (studio id, member id) pairs of a committee: which studios each member sits in.
pub async fn studio_memberships(
    c: &mut Conn<'_>,
    committee_id: i64,
    member_id: i64,
) -> Result<Vec<(i64, String)>> {
    let q = "SELECT s.id, s.name FROM studios s JOIN studio_members sm ON sm.studio_id = s.id \
             WHERE s.committee_id = $1 AND sm.member_id = $2 ORDER BY s.id";
    on!(c, |x| sqlx::query_as(q)
        .bind(committee_id)
        .bind(member_id)
        .fetch_all(&mut **x)
        .await)
    .map_err(Into::into)
}

pub async fn setting(c: &mut Conn<'_>, key: &str) -> Result<Option<String>> {
    let q = "SELECT value FROM settings WHERE key = $1";
    on!(c, |x| sqlx::query_scalar(q)
        .bind(key)
        .fetch_optional(&mut **x)
        .await)
    .map_err(Into::into)
}

/// One value sealed under the encryption key, if the database holds any (a member's or a
/// constituent's phone): to tell whether a key is the one the data was sealed with.
pub async fn sealed_sample(c: &mut Conn<'_>) -> Result<Option<Vec<u8>>> {
    let q = "SELECT phone_enc FROM members WHERE phone_enc IS NOT NULL \
             UNION ALL SELECT phone_enc FROM concerns WHERE phone_enc IS NOT NULL LIMIT 1";
    on!(c, |x| sqlx::query_scalar(q).fetch_optional(&mut **x).await).map_err(Into::into)
}

pub async fn set_setting(c: &mut Conn<'_>, key: &str, value: &str) -> Result<()> {
    let q = "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value";
    exec!(c, |x| sqlx::query(q)
        .bind(key)
        .bind(value)
        .execute(&mut **x)
        .await)?;
    Ok(())
}

/// Whether the database holds anything not made by the demo loader (demo mode refuses then).
pub async fn has_non_demo_data(c: &mut Conn<'_>) -> Result<bool> {
    let q = "SELECT COUNT(*) FROM committees";
    let committees: i64 = on!(c, |x| sqlx::query_scalar(q).fetch_one(&mut **x).await)?;
    Ok(committees > 0
        && setting(c, "demo").await?.is_none()
        && setting(c, "demo_loading").await?.is_none())
}

/// Set `key` only if it is not set yet; whether this call set it. One statement: of several
/// callers at once, exactly one gets `true`.
pub async fn claim_setting(c: &mut Conn<'_>, key: &str, value: &str) -> Result<bool> {
    let q = "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING";
    let n = exec!(c, |x| sqlx::query(q)
        .bind(key)
        .bind(value)
        .execute(&mut **x)
        .await)?;
    Ok(n == 1)
}
