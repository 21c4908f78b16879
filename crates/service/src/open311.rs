//! Open311 GeoReport v2 (the FixMyStreet server is the reference): concern categories are
//! the services, concerns are the service requests. Clients post with an API key the office
//! issues (stored hashed); reading is public but shows only concerns the person allowed to
//! be published, and never personal data.

use chrono::{DateTime, Duration, Utc};
use lianxin_domain::Invalid;
use lianxin_domain::access::{Granted, ManageOpen311};
use lianxin_domain::concern::Status;
use lianxin_domain::schema::Res;
use lianxin_store::concerns::{self as store, CategoryRow, Filter};
use lianxin_store::records::titles;
use rand::RngCore;

use crate::concerns::intake::{Origin, Submission, submit};
use crate::crypto::sha256_hex;
use crate::journal::{Change, begin, commit};
use crate::{App, Error, Result, now};

/// The longest window `GET requests` answers, and the most requests it returns.
pub const MAX_WINDOW_DAYS: i64 = 90;
pub const MAX_RESULTS: i64 = 1000;

fn hash_key(key: &str) -> String {
    sha256_hex(&format!("lianxin-open311:{key}"))
}

fn bad_key() -> Error {
    Error::Forbidden("open311.api_key")
}

/// The client and committee behind an API key.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn client(app: &App, api_key: Option<&str>) -> Result<(i64, i64)> {
    let key = api_key
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 200)
        .ok_or_else(bad_key)?;
    let mut conn = app.db.acquire().await?;
    store::open311_client(&mut conn.conn(), &hash_key(key))
        .await?
        .ok_or_else(bad_key)
}

/// A new key for a client system; shown once, stored only as a hash.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn issue_key(app: &App, g: &Granted<ManageOpen311>, name: &str) -> Result<String> {
    let name =
        lianxin_domain::text::parse_text("name", "客户端名称", name, 60, true)?.unwrap_or_default();
    let mut b = [0u8; 24];
    rand::rng().fill_bytes(&mut b);
    let key = format!("lx311-{}", crate::crypto::hex(&b));
    add_key(app, g, &name, &key).await?;
    Ok(key)
}

/// Register a given key (the demo's fixed key; tests).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn add_key(app: &App, g: &Granted<ManageOpen311>, name: &str, key: &str) -> Result<i64> {
    let mut tx = begin(&app.db).await?;
    let id = store::add_open311_client(
        &mut tx.conn(),
        g.committee_id(),
        name,
        &hash_key(key),
        now(),
    )
    .await?;
    let change = Change {
        committee_id: g.committee_id(),
        kind: "open311.key_issued",
        subject_type: "open311_client",
        subject_id: id,
        before: serde_json::Value::Null,
        after: serde_json::json!({"name": name}),
    };
    commit(tx, g.actor(), change).await?;
    Ok(id)
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn clients(app: &App, g: &Granted<ManageOpen311>) -> Result<Vec<(i64, String, bool)>> {
    let mut conn = app.db.acquire().await?;
    Ok(store::open311_clients(&mut conn.conn(), g.committee_id()).await?)
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn services(app: &App, committee_id: i64) -> Result<Vec<CategoryRow>> {
    let mut conn = app.db.acquire().await?;
    Ok(store::categories(&mut conn.conn(), committee_id).await?)
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn service(app: &App, committee_id: i64, code: &str) -> Result<CategoryRow> {
    services(app, committee_id)
        .await?
        .into_iter()
        .find(|c| c.service_code == code)
        .ok_or_else(|| {
            Error::not_found(
                "open311.unknown_service",
                format!("没有服务代码为“{code}”的服务"),
            )
        })
}

/// The fields of a POST, as sent.
#[derive(Debug, Clone, Default)]
pub struct Post {
    pub service_code: String,
    pub description: String,
    pub address_string: String,
    pub lat: String,
    pub long: String,
    pub first_name: String,
    pub last_name: String,
    pub phone: String,
}

/// Create a service request; returns (service_request_id, tracking code).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn post(app: &App, client_id: i64, committee_id: i64, p: &Post) -> Result<(i64, String)> {
    let code = p.service_code.trim();
    if code.is_empty() {
        return Err(
            Invalid::one("service_code", "open311.service_code", "缺少 service_code").into(),
        );
    }
    let routing = crate::concerns::routing(app, committee_id).await?;
    let cat = routing
        .categories
        .iter()
        .find(|c| c.service_code == code)
        .cloned()
        .ok_or_else(|| {
            Invalid::one(
                "service_code",
                "open311.unknown_service",
                format!("未知的 service_code：{code}"),
            )
        })?;
    let num = |s: &str, lo: f64, hi: f64| {
        s.trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && (lo..=hi).contains(v))
    };
    let (lat, lon) = (num(&p.lat, -90.0, 90.0), num(&p.long, -180.0, 180.0));
    let has_point = lat.is_some() && lon.is_some();
    if !has_point && p.address_string.trim().is_empty() {
        return Err(Invalid::one(
            "address_string",
            "open311.location",
            "需要 lat/long 或 address_string",
        )
        .into());
    }
    let area = if p.address_string.trim().is_empty() {
        format!(
            "{:.5},{:.5}",
            lat.unwrap_or_default(),
            lon.unwrap_or_default()
        )
    } else {
        p.address_string.clone()
    };
    let title: String = p.description.trim().chars().take(30).collect();
    let s = Submission {
        title: if title.is_empty() {
            cat.name.clone()
        } else {
            title
        },
        detail: p.description.clone(),
        category_id: Some(cat.id),
        area,
        name: format!("{}{}", p.last_name.trim(), p.first_name.trim()),
        phone: p.phone.clone(),
        publish: true,
        lat,
        lon,
        ..Submission::default()
    };
    let done = submit(app, committee_id, s, Origin::Open311(client_id), "", None).await?;
    Ok((done.id, done.code))
}

/// One service request as Open311 shows it.
#[derive(Debug, Clone)]
pub struct Request {
    pub id: i64,
    pub status: &'static str,
    pub status_notes: String,
    pub service_name: String,
    pub service_code: String,
    pub description: String,
    pub agency_responsible: String,
    pub requested: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub expected: DateTime<Utc>,
    pub address: String,
    pub lat: Option<f64>,
    pub long: Option<f64>,
}

#[derive(Debug, Clone, Default)]
pub struct Query {
    pub ids: Option<Vec<i64>>,
    pub service_code: Option<String>,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub status: Option<String>,
}

fn parse_time(field: &str, v: &str) -> std::result::Result<DateTime<Utc>, Invalid> {
    DateTime::parse_from_rfc3339(v.trim())
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| {
            Invalid::one(
                field,
                "open311.bad_date",
                format!("{field} 应为 W3C 日期时间，如 2026-01-01T00:00:00Z"),
            )
        })
}

/// Read the query string of `GET requests`.
pub fn parse_query(pairs: &[(String, String)]) -> std::result::Result<Query, Invalid> {
    let mut q = Query::default();
    for (k, v) in pairs {
        match k.as_str() {
            "service_request_id" => {
                let ids: std::result::Result<Vec<i64>, _> =
                    v.split(',').map(|s| s.trim().parse::<i64>()).collect();
                q.ids = Some(ids.map_err(|_| {
                    Invalid::one(
                        k,
                        "open311.bad_id",
                        "service_request_id 应为以逗号分隔的编号",
                    )
                })?);
            }
            "service_code" => q.service_code = Some(v.clone()),
            "start_date" => q.start = Some(parse_time(k, v)?),
            "end_date" => q.end = Some(parse_time(k, v)?),
            "status" => match v.as_str() {
                "open" | "closed" => q.status = Some(v.clone()),
                _ => {
                    return Err(Invalid::one(
                        k,
                        "open311.bad_status",
                        "status 只能是 open 或 closed",
                    ));
                }
            },
            _ => {}
        }
    }
    if let (Some(s), Some(e)) = (q.start, q.end) {
        if e < s {
            return Err(Invalid::one(
                "end_date",
                "open311.bad_window",
                "end_date 早于 start_date",
            ));
        }
        if e - s > Duration::days(MAX_WINDOW_DAYS) {
            return Err(Invalid::one(
                "end_date",
                "open311.window_too_long",
                format!("时间范围不能超过{MAX_WINDOW_DAYS}天"),
            ));
        }
    }
    Ok(q)
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn requests(app: &App, committee_id: i64, q: &Query) -> Result<Vec<Request>> {
    let at = now();
    // Without dates: the last 90 days; with one end: 90 days from it.
    let (from, to) = match (q.start, q.end) {
        (Some(s), Some(e)) => (s, e),
        (Some(s), None) => (s, s + Duration::days(MAX_WINDOW_DAYS)),
        (None, Some(e)) => (e - Duration::days(MAX_WINDOW_DAYS), e),
        (None, None) => (
            at - Duration::days(MAX_WINDOW_DAYS),
            at + Duration::seconds(1),
        ),
    };
    let cats = services(app, committee_id).await?;
    let mut f = Filter {
        published_only: true,
        ids: q.ids.clone(),
        ..Filter::default()
    };
    if q.ids.is_none() {
        f.from = Some(from);
        f.to = Some(to);
    }
    if let Some(code) = &q.service_code {
        f.category_id = Some(
            cats.iter()
                .find(|c| &c.service_code == code)
                .map(|c| c.id)
                .unwrap_or(-1),
        );
    }
    f.status_in = q.status.as_deref().map(|s| {
        Status::ALL
            .iter()
            .filter(|x| x.open311() == s)
            .map(|x| x.code())
            .collect()
    });
    let mut conn = app.db.acquire().await?;
    let c = &mut conn.conn();
    let (rows, _) = store::list(c, committee_id, &f, MAX_RESULTS, 0).await?;
    let studio_ids: Vec<i64> = rows.iter().filter_map(|r| r.studio_id).collect();
    let studios = titles(c, Res::Studio, committee_id, &studio_ids).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut notes = store::last_public_notes(c, &ids).await?;
    let mut out = Vec::new();
    for r in rows {
        let cat = cats.iter().find(|x| x.id == r.category_id);
        let status = Status::parse(&r.status).unwrap_or(Status::Submitted);
        out.push(Request {
            id: r.id,
            status: status.open311(),
            status_notes: notes.remove(&r.id).unwrap_or_default(),
            service_name: cat.map(|x| x.name.clone()).unwrap_or_default(),
            service_code: cat.map(|x| x.service_code.clone()).unwrap_or_default(),
            description: r.detail,
            agency_responsible: r
                .studio_id
                .and_then(|s| studios.get(&s).cloned())
                .unwrap_or_default(),
            requested: r.submitted_at,
            updated: r.updated_at,
            expected: r.due_at,
            address: r.area,
            lat: r.lat,
            long: r.lon,
        });
    }
    Ok(out)
}
