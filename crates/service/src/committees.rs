//! Committees form a tree (national → province → city → county); each is a tenant. A new
//! committee starts with the 34 national sectors built in.

use lianxin_domain::access::{Actor, Granted, ManageCommittees};
use lianxin_domain::record::Record;
use lianxin_domain::schema::COMMITTEE;
use lianxin_domain::sectors::NATIONAL_SECTORS;
use lianxin_store::Conn;
use lianxin_store::records as store;
use serde_json::{Value as Json, json};

use crate::journal::{Change, begin, commit};
use crate::present::{Audience, Item};
use crate::records::{item, to_write};
use crate::{App, Result, now};

async fn seed_sectors(c: &mut Conn<'_>, committee_id: i64) -> Result<()> {
    let at = now();
    for (i, (name, group)) in NATIONAL_SECTORS.iter().enumerate() {
        store::insert_builtin_sector(c, committee_id, name, group, (i + 1) as i64, at).await?;
    }
    Ok(())
}

/// A committee below the actor's own.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create(app: &App, g: &Granted<ManageCommittees>, rec: Record) -> Result<Item> {
    let parent = g.committee_id();
    let mut tx = begin(&app.db).await?;
    let id = store::insert(
        &mut tx.conn(),
        &COMMITTEE,
        parent,
        &to_write(app, &COMMITTEE, &rec),
        now(),
    )
    .await?;
    seed_sectors(&mut tx.conn(), id).await?;
    let after = item(&mut tx.conn(), &COMMITTEE, parent, id, Audience::Staff).await?;
    let change = Change {
        committee_id: parent,
        kind: "committee.created",
        subject_type: "committee",
        subject_id: id,
        before: Json::Null,
        after: Json::Object(after.json.clone()),
    };
    commit(tx, g.actor(), change).await?;
    Ok(after)
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn update(
    app: &App,
    g: &Granted<ManageCommittees>,
    id: i64,
    rec: Record,
) -> Result<Item> {
    let parent = g.committee_id();
    let mut tx = begin(&app.db).await?;
    let before = item(&mut tx.conn(), &COMMITTEE, parent, id, Audience::Staff).await?;
    store::update(
        &mut tx.conn(),
        &COMMITTEE,
        parent,
        id,
        &to_write(app, &COMMITTEE, &rec),
        now(),
    )
    .await?;
    let after = item(&mut tx.conn(), &COMMITTEE, parent, id, Audience::Staff).await?;
    let change = Change {
        committee_id: parent,
        kind: "committee.updated",
        subject_type: "committee",
        subject_id: id,
        before: Json::Object(before.json),
        after: Json::Object(after.json.clone()),
    };
    commit(tx, g.actor(), change).await?;
    Ok(after)
}

/// The first committee of an installation (no parent), made by the CLI or the demo loader.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create_root(app: &App, name: &str, level: &str, region: &str) -> Result<i64> {
    let mut tx = begin(&app.db).await?;
    let id = store::insert_root_committee(&mut tx.conn(), name, level, region, now()).await?;
    seed_sectors(&mut tx.conn(), id).await?;
    let actor = lianxin_domain::access::system_actor(id);
    let change = Change {
        committee_id: id,
        kind: "committee.created",
        subject_type: "committee",
        subject_id: id,
        before: Json::Null,
        after: json!({"name": name, "level": level, "region": region}),
    };
    commit(tx, &actor, change).await?;
    Ok(id)
}

/// (id, name, level) of a committee.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn get(app: &App, id: i64) -> Result<Option<(i64, String, String)>> {
    let mut conn = app.db.acquire().await?;
    Ok(store::committee(&mut conn.conn(), id).await?)
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn all(app: &App) -> Result<Vec<(i64, String, String)>> {
    let mut conn = app.db.acquire().await?;
    Ok(store::committees_all(&mut conn.conn()).await?)
}

/// The committee the public pages show when none is named: the first one.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn default_public(app: &App) -> Result<Option<i64>> {
    Ok(all(app).await?.first().map(|c| c.0))
}

pub fn actor_label(a: &Actor) -> String {
    format!("{}（{}）", a.display_name, a.role.label())
}
