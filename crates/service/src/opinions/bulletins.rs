//! 《社情民意》: adopted reports, edited for publication, compiled into numbered issues of the
//! committee's bulletin (year + number) and printed as PDF.

use std::sync::OnceLock;

use chrono::Datelike;
use lianxin_domain::Invalid;
use lianxin_domain::access::{Granted, ReviewOpinionReports};
use lianxin_domain::opinion::Status;
use lianxin_report::{Bulletin, BulletinItem, Fonts};
use lianxin_store::opinions::{self as store, BulletinRow};
use serde_json::json;

use super::{authors_json, optional, status_of};
use crate::journal::{Change, begin, commit};
use crate::{App, Error, Result, now};

pub const MAX_ITEMS: usize = 30;

/// China's time is UTC+8 all year.
pub fn china(t: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDateTime {
    (t + chrono::Duration::hours(8)).naive_utc()
}

/// Compile adopted, not yet published reports into the next issue of this year; returns
/// the bulletin's id.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn compile(
    app: &App,
    g: &Granted<ReviewOpinionReports>,
    title: &str,
    report_ids: &[i64],
) -> Result<i64> {
    let actor = g.actor();
    let title = optional("title", "本期标题", title, 50)?.unwrap_or_else(|| "社情民意".into());
    let mut ids = report_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() || ids.len() > MAX_ITEMS {
        return Err(Invalid::one(
            "report_ids",
            "required",
            format!("每期请选择1到{MAX_ITEMS}篇已采用的信息"),
        )
        .into());
    }
    let mut tx = begin(&app.db).await?;
    let year = i64::from(china(now()).year());
    let number = store::next_bulletin_number(&mut tx.conn(), actor.committee_id, year).await?;
    let at = now();
    let bulletin = BulletinRow {
        id: 0,
        committee_id: actor.committee_id,
        year,
        number,
        title,
        created_by: actor.display_name.clone(),
        created_at: at,
    };
    let bid = store::add_bulletin(&mut tx.conn(), &bulletin).await?;
    let mut items = Vec::new();
    for id in &ids {
        let mut row = super::load_submitted(&mut tx, actor.committee_id, *id).await?;
        if !matches!(
            status_of(&row),
            Status::Adopted | Status::Forwarded | Status::Concluded
        ) || row.bulletin_id.is_some()
        {
            return Err(Error::conflict(
                "opinion.not_publishable",
                format!("“{}”不是已采用且未刊发的信息，不能编入本期", row.title),
            ));
        }
        row.bulletin_id = Some(bid);
        row.updated_at = at;
        store::save(&mut tx.conn(), &row).await?;
        items.push(json!({"report_id": row.id, "authors": authors_json(&mut tx, &row).await?}));
    }
    let change = Change {
        committee_id: actor.committee_id,
        kind: "opinion.published",
        subject_type: "bulletin",
        subject_id: bid,
        before: serde_json::Value::Null,
        after: json!({"bulletin_id": bid, "year": year, "number": number, "reports": items}),
    };
    commit(tx, actor, change).await?;
    Ok(bid)
}

/// The bulletins of the committee, newest first.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list(app: &App, g: &Granted<ReviewOpinionReports>) -> Result<Vec<BulletinRow>> {
    let mut conn = app.db.acquire().await?;
    Ok(store::bulletins(&mut conn.conn(), g.committee_id()).await?)
}

/// The fonts are large: read them once per process, on the first PDF.
pub(crate) fn fonts() -> Result<&'static Fonts> {
    static FONTS: OnceLock<std::result::Result<Fonts, String>> = OnceLock::new();
    FONTS
        .get_or_init(|| Fonts::load().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(Error::internal)
}

/// The issue's content as it is printed.
async fn document(app: &App, committee_id: i64, id: i64) -> Result<Bulletin> {
    let committee = crate::committees::get(app, committee_id)
        .await?
        .map(|c| c.1)
        .unwrap_or_default();
    let mut conn = app.db.acquire().await?;
    let c = &mut conn.conn();
    let b = store::bulletin(c, committee_id, id)
        .await?
        .ok_or_else(|| Error::not_found("bulletin.not_found", "未找到该期《社情民意》"))?;
    let mut items = Vec::new();
    for r in store::in_bulletin(c, id).await? {
        let authors = store::authors(c, r.id).await?;
        items.push(BulletinItem {
            title: r.published_title.clone().unwrap_or(r.title.clone()),
            body: r.published_body.clone().unwrap_or_else(|| {
                if r.suggestions.is_empty() {
                    r.body.clone()
                } else {
                    format!("{}\n建议：\n{}", r.body, r.suggestions)
                }
            }),
            authors: authors
                .iter()
                .map(|a| a.1.as_str())
                .collect::<Vec<_>>()
                .join("、"),
        });
    }
    Ok(Bulletin {
        committee,
        year: b.year,
        number: b.number,
        issue: format!("{}年第{}期", b.year, b.number),
        title: b.title,
        date: china(b.created_at).format("%Y年%m月%d日").to_string(),
        items,
    })
}

/// The issue as a PDF (typeset off the async runtime: it takes a moment).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn pdf(app: &App, g: &Granted<ReviewOpinionReports>, id: i64) -> Result<Vec<u8>> {
    let doc = document(app, g.committee_id(), id).await?;
    tokio::task::spawn_blocking(move || {
        let fonts = fonts()?;
        lianxin_report::bulletin_pdf(fonts, &doc).map_err(Error::internal)
    })
    .await
    .map_err(Error::internal)?
}
