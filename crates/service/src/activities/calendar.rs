//! Calendar feeds (RFC 5545): each member's invitations at `/ical/{token}.ics`, where the
//! token is a keyed digest of the member id (nothing to store, unguessable, and another
//! member's id with this token is simply not found); and each committee's public activities.

use lianxin_domain::access::Public;
use lianxin_domain::ical::{self, Event};
use lianxin_store::activities::{self as store, Filter};
use lianxin_store::db::{Param, opt};

use crate::crypto::constant_eq;
use crate::{App, Error, Result, now};

/// The member's calendar token: `{member_id}-{digest}`.
pub fn token_of(app: &App, member_id: i64) -> String {
    format!(
        "{member_id}-{}",
        &app.crypto.mac("ical", &member_id.to_string())[..32]
    )
}

fn member_of_token(app: &App, token: &str) -> Option<i64> {
    let (id, _) = token.split_once('-')?;
    let id: i64 = id.parse().ok()?;
    constant_eq(&token_of(app, id), token).then_some(id)
}

fn not_found() -> Error {
    Error::not_found("calendar.not_found", "日历订阅地址无效")
}

/// The member's feed: the activities they are invited to (the last 200), with cancellations.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn member_feed(app: &App, token: &str, base_url: &str) -> Result<String> {
    let member_id = member_of_token(app, token).ok_or_else(not_found)?;
    let mut conn = app.db.acquire().await?;
    let name: Option<(String,)> = opt(
        &mut conn.conn(),
        "SELECT name FROM members WHERE id = $1 AND status = 'active'",
        &[Param::Int(member_id)],
    )
    .await?;
    let (name,) = name.ok_or_else(not_found)?;
    let rows = store::member_invitations(&mut conn.conn(), member_id, 200).await?;
    let host = host_of(base_url);
    let events: Vec<Event> = rows
        .iter()
        .map(|r| Event {
            uid: format!("activity-{}@{host}", r.activity_id),
            starts_at: r.starts_at,
            ends_at: r.ends_at,
            summary: format!("{}：{}", r.kind_name, r.title),
            location: r.place.clone(),
            description: format!(
                "{}{}",
                r.description,
                r.online_url
                    .as_ref()
                    .map(|u| format!("\n线上参加：{u}"))
                    .unwrap_or_default()
            ),
            url: Some(format!("{base_url}/me/activities/{}", r.activity_id)),
            cancelled: r.status == "cancelled",
            updated_at: r.updated_at,
        })
        .collect();
    Ok(ical::calendar(&format!("{name}的政协活动"), &events, now()))
}

/// The committee's public activities from 30 days ago on.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn public_feed(
    app: &App,
    _: Public,
    committee_id: i64,
    base_url: &str,
) -> Result<String> {
    let mut conn = app.db.acquire().await?;
    let committee: Option<(String,)> = opt(
        &mut conn.conn(),
        "SELECT name FROM committees WHERE id = $1",
        &[Param::Int(committee_id)],
    )
    .await?;
    let (committee,) =
        committee.ok_or_else(|| Error::not_found("committee.not_found", "未找到该政协"))?;
    let f = Filter {
        public_only: true,
        from: Some(now() - chrono::Duration::days(30)),
        ..Filter::default()
    };
    let (rows, _) = store::list(&mut conn.conn(), committee_id, &f, 500, 0).await?;
    let host = host_of(base_url);
    let events: Vec<Event> = rows
        .iter()
        .map(|r| Event {
            uid: format!("activity-{}@{host}", r.id),
            starts_at: r.starts_at,
            ends_at: r.ends_at,
            summary: r.title.clone(),
            location: r.place.clone(),
            description: r.description.clone(),
            url: Some(format!("{base_url}/activities/{}", r.id)),
            cancelled: false,
            updated_at: r.updated_at,
        })
        .collect();
    Ok(ical::calendar(
        &format!("{committee}公开活动"),
        &events,
        now(),
    ))
}

fn host_of(base_url: &str) -> String {
    base_url
        .split("://")
        .nth(1)
        .unwrap_or(base_url)
        .split('/')
        .next()
        .unwrap_or("lianxin")
        .to_string()
}
