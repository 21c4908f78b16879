//! Figures for the office dashboard and the public home page.

use lianxin_domain::access::{Granted, ViewDashboard};
use lianxin_store::stats::{self, Overview};

use crate::{App, Result};

pub async fn dashboard(
    app: &App,
    g: &Granted<ViewDashboard>,
) -> Result<(Overview, Vec<(i64, String, i64)>)> {
    let mut conn = app.db.acquire().await?;
    let o = stats::overview(&mut conn.conn(), g.committee_id()).await?;
    let by_sector = stats::members_by_sector(&mut conn.conn(), g.committee_id()).await?;
    Ok((o, by_sector))
}

/// Sectors with their number of active members, for the public directory.
pub async fn public_sectors(app: &App, committee_id: i64) -> Result<Vec<(i64, String, i64)>> {
    let mut conn = app.db.acquire().await?;
    Ok(stats::members_by_sector(&mut conn.conn(), committee_id).await?)
}

/// The studios a member sits in (public: shown on the member's profile).
pub async fn member_studios(
    app: &App,
    committee_id: i64,
    member_id: i64,
) -> Result<Vec<(i64, String)>> {
    let mut conn = app.db.acquire().await?;
    Ok(stats::studio_memberships(&mut conn.conn(), committee_id, member_id).await?)
}

/// Which of these members have a photo.
pub async fn with_photo(app: &App, committee_id: i64, ids: &[i64]) -> Result<Vec<i64>> {
    let mut conn = app.db.acquire().await?;
    Ok(lianxin_store::records::members_with_photo(&mut conn.conn(), committee_id, ids).await?)
}
