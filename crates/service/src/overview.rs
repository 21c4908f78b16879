//! Figures for the office dashboard and the data of the public pages.

use lianxin_domain::access::Public;
use std::sync::Arc;

use lianxin_domain::access::{Granted, ViewDashboard};
use lianxin_domain::schema::{MEMBER, STUDIO};
use lianxin_store::records as store;
use lianxin_store::stats::{self, Overview};

use crate::present::Item;
use crate::records::{ListQuery, Page, public_list};
use crate::{App, Error, Result};

/// (sector id, name, members).
pub type SectorCount = (i64, String, i64);

#[tracing::instrument(level = "debug", skip_all)]
pub async fn dashboard(
    app: &App,
    g: &Granted<ViewDashboard>,
) -> Result<(Overview, Vec<SectorCount>)> {
    let mut conn = app.db.acquire().await?;
    let o = stats::overview(&mut conn.conn(), g.committee_id()).await?;
    let by_sector = stats::members_by_sector(&mut conn.conn(), g.committee_id()).await?;
    Ok((o, by_sector))
}

/// Which committee the public pages show: the one asked for, else the first.
async fn public_committee(app: &App, asked: Option<i64>) -> Result<(i64, String)> {
    let mut conn = app.db.acquire().await?;
    let found = match asked {
        Some(id) => store::committee(&mut conn.conn(), id).await?,
        None => store::committees_all(&mut conn.conn())
            .await?
            .into_iter()
            .next(),
    };
    found
        .map(|(id, name, _)| (id, name))
        .ok_or_else(|| Error::not_found("committee.not_found", "未找到该政协组织"))
}

/// Sectors with their number of active members, in order; only those with members.
async fn sectors_with_members(app: &App, committee_id: i64) -> Result<Vec<(i64, String, i64)>> {
    let mut conn = app.db.acquire().await?;
    let all = stats::members_by_sector(&mut conn.conn(), committee_id).await?;
    Ok(all.into_iter().filter(|s| s.2 > 0).collect())
}

/// Everything the public member directory shows.
#[derive(Debug)]
pub struct Directory {
    pub committee_id: i64,
    pub committee: String,
    pub sectors: Vec<(i64, String, i64)>,
    pub page: Arc<Page>,
    /// Members on this page that have a photo.
    pub with_photo: Vec<i64>,
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn directory(
    app: &App,
    _: Public,
    committee: Option<i64>,
    q: &ListQuery,
) -> Result<Arc<Directory>> {
    let key = format!(
        "directory|{committee:?}|{}|{}|{:?}",
        q.page, q.per_page, q.filters
    );
    app.cached(key, || async {
        let (committee_id, name) = public_committee(app, committee).await?;
        let page = public_list(app, Public, committee_id, &MEMBER, q).await?;
        let ids: Vec<i64> = page.items.iter().map(|i| i.id).collect();
        let with_photo = with_photo(app, committee_id, &ids).await?;
        let sectors = sectors_with_members(app, committee_id).await?;
        Ok(Directory {
            committee_id,
            committee: name,
            sectors,
            page,
            with_photo,
        })
    })
    .await
}

/// Everything the public home page shows.
#[derive(Debug)]
pub struct Home {
    pub committee_id: i64,
    pub committee: String,
    pub sectors: Vec<(i64, String, i64)>,
    pub studios: Vec<Item>,
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn home(app: &App, _: Public, committee: Option<i64>) -> Result<Arc<Home>> {
    app.cached(format!("home|{committee:?}"), || async {
        let (committee_id, name) = public_committee(app, committee).await?;
        let q = ListQuery {
            filters: vec![],
            page: 1,
            per_page: 100,
        };
        let studios = public_list(app, Public, committee_id, &STUDIO, &q)
            .await?
            .items
            .clone();
        let sectors = sectors_with_members(app, committee_id).await?;
        Ok(Home {
            committee_id,
            committee: name,
            sectors,
            studios,
        })
    })
    .await
}

/// The committee (id, name) behind a public request.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn committee_of(app: &App, committee: Option<i64>) -> Result<Arc<(i64, String)>> {
    app.cached(format!("committee|{committee:?}"), || {
        public_committee(app, committee)
    })
    .await
}

/// The studios a member sits in (public: shown on the member's profile).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn member_studios(
    app: &App,
    committee_id: i64,
    member_id: i64,
) -> Result<Vec<(i64, String)>> {
    let mut conn = app.db.acquire().await?;
    Ok(stats::studio_memberships(&mut conn.conn(), committee_id, member_id).await?)
}

/// Which of these members have a photo.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn with_photo(app: &App, committee_id: i64, ids: &[i64]) -> Result<Vec<i64>> {
    let mut conn = app.db.acquire().await?;
    Ok(store::members_with_photo(&mut conn.conn(), committee_id, ids).await?)
}
