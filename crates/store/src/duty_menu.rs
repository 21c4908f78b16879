//! The duty menu (云菜单) of a year, its sign-ups, and self-reported offline work.

use chrono::{DateTime, Utc};

use crate::db::{Conn, Param, Result, all, int, opt, opt_int, opt_text, run};

/// When the year's menu was published (None: not yet, or no menu).
pub async fn published_at(
    c: &mut Conn<'_>,
    committee_id: i64,
    year: i64,
) -> Result<Option<DateTime<Utc>>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        published_at: Option<DateTime<Utc>>,
    }
    Ok(opt::<Row>(
        c,
        "SELECT published_at FROM duty_menus WHERE committee_id = $1 AND year = $2",
        &[Param::Int(committee_id), Param::Int(year)],
    )
    .await?
    .and_then(|r| r.published_at))
}

pub async fn publish(
    c: &mut Conn<'_>,
    committee_id: i64,
    year: i64,
    at: DateTime<Utc>,
) -> Result<()> {
    run(
        c,
        "INSERT INTO duty_menus (committee_id, year, published_at) VALUES ($1, $2, $3) \
         ON CONFLICT (committee_id, year) DO UPDATE SET published_at = excluded.published_at",
        &[Param::Int(committee_id), Param::Int(year), Param::Time(at)],
    )
    .await?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ItemRow {
    pub id: i64,
    pub committee_id: i64,
    pub year: i64,
    pub kind: String,
    pub title: String,
    pub description: String,
    pub evidence: String,
    pub confirmer: String,
    pub places: Option<i64>,
    pub created_at: DateTime<Utc>,
    /// Members signed up so far.
    pub taken: i64,
}

const ITEM: &str = "SELECT i.id, i.committee_id, i.year, i.kind, i.title, i.description, i.evidence, i.confirmer, \
                    i.places, i.created_at, (SELECT COUNT(*) FROM duty_menu_signups s WHERE s.item_id = i.id) AS taken \
                    FROM duty_menu_items i";

pub async fn items(c: &mut Conn<'_>, committee_id: i64, year: i64) -> Result<Vec<ItemRow>> {
    let q = format!("{ITEM} WHERE i.committee_id = $1 AND i.year = $2 ORDER BY i.id");
    all(c, &q, &[Param::Int(committee_id), Param::Int(year)]).await
}

pub async fn item(c: &mut Conn<'_>, committee_id: i64, id: i64) -> Result<Option<ItemRow>> {
    let q = format!("{ITEM} WHERE i.id = $1 AND i.committee_id = $2");
    opt(c, &q, &[Param::Int(id), Param::Int(committee_id)]).await
}

pub async fn add_item(c: &mut Conn<'_>, i: &ItemRow) -> Result<i64> {
    int(
        c,
        "INSERT INTO duty_menu_items (committee_id, year, kind, title, description, evidence, confirmer, places, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        &[
            Param::Int(i.committee_id),
            Param::Int(i.year),
            Param::Text(i.kind.clone()),
            Param::Text(i.title.clone()),
            Param::Text(i.description.clone()),
            Param::Text(i.evidence.clone()),
            Param::Text(i.confirmer.clone()),
            opt_int(i.places),
            Param::Time(i.created_at),
        ],
    )
    .await
}

/// The items a member signed up for, of a year.
pub async fn signed_up(c: &mut Conn<'_>, member_id: i64, year: i64) -> Result<Vec<i64>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        item_id: i64,
    }
    Ok(all::<Row>(
        c,
        "SELECT s.item_id FROM duty_menu_signups s JOIN duty_menu_items i ON i.id = s.item_id \
         WHERE s.member_id = $1 AND i.year = $2",
        &[Param::Int(member_id), Param::Int(year)],
    )
    .await?
    .into_iter()
    .map(|r| r.item_id)
    .collect())
}

/// Sign up while places are left, in one statement so two members cannot take the last
/// place together. True if the member got a place.
pub async fn sign_up(
    c: &mut Conn<'_>,
    item_id: i64,
    member_id: i64,
    at: DateTime<Utc>,
) -> Result<bool> {
    Ok(run(
        c,
        "INSERT INTO duty_menu_signups (item_id, member_id, created_at) \
         SELECT i.id, $2, $3 FROM duty_menu_items i WHERE i.id = $1 AND i.places IS NOT NULL \
         AND (SELECT COUNT(*) FROM duty_menu_signups s WHERE s.item_id = i.id) < i.places \
         ON CONFLICT (item_id, member_id) DO NOTHING",
        &[Param::Int(item_id), Param::Int(member_id), Param::Time(at)],
    )
    .await?
        > 0)
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SelfReportRow {
    pub id: i64,
    pub committee_id: i64,
    pub member_id: i64,
    pub member_name: String,
    pub year: i64,
    pub kind: String,
    pub item_id: Option<i64>,
    pub done_on: String,
    pub description: String,
    pub evidence_note: Option<String>,
    pub evidence_name: Option<String>,
    pub status: String,
    pub reason: Option<String>,
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

const REPORT: &str = "SELECT r.id, r.committee_id, r.member_id, m.name AS member_name, r.year, r.kind, r.item_id, \
                      r.done_on, r.description, r.evidence_note, r.evidence_name, r.status, r.reason, r.decided_by, \
                      r.decided_at, r.created_at FROM self_reports r JOIN members m ON m.id = r.member_id";

pub struct NewSelfReport<'a> {
    pub committee_id: i64,
    pub member_id: i64,
    pub year: i64,
    pub kind: &'a str,
    pub item_id: Option<i64>,
    pub done_on: &'a str,
    pub description: &'a str,
    pub evidence_note: Option<String>,
    /// (file name, content type, bytes)
    pub evidence_file: Option<(&'a str, &'a str, &'a [u8])>,
    pub at: DateTime<Utc>,
}

pub async fn add_self_report(c: &mut Conn<'_>, r: &NewSelfReport<'_>) -> Result<i64> {
    let (name, ty, bytes) = match r.evidence_file {
        Some((n, t, b)) => (
            Param::Text(n.into()),
            Param::Text(t.into()),
            Param::Bytes(b.to_vec()),
        ),
        None => (Param::NullText, Param::NullText, Param::NullBytes),
    };
    int(
        c,
        "INSERT INTO self_reports (committee_id, member_id, year, kind, item_id, done_on, description, evidence_note, \
         evidence_name, evidence_type, evidence_bytes, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'pending', $12) RETURNING id",
        &[
            Param::Int(r.committee_id),
            Param::Int(r.member_id),
            Param::Int(r.year),
            Param::Text(r.kind.into()),
            opt_int(r.item_id),
            Param::Text(r.done_on.into()),
            Param::Text(r.description.into()),
            opt_text(&r.evidence_note),
            name,
            ty,
            bytes,
            Param::Time(r.at),
        ],
    )
    .await
}

pub async fn self_report(
    c: &mut Conn<'_>,
    committee_id: i64,
    id: i64,
) -> Result<Option<SelfReportRow>> {
    let q = format!("{REPORT} WHERE r.id = $1 AND r.committee_id = $2");
    opt(c, &q, &[Param::Int(id), Param::Int(committee_id)]).await
}

/// The reports waiting for a decision (oldest first), then the latest decided ones.
pub async fn self_reports(
    c: &mut Conn<'_>,
    committee_id: i64,
    sector_of: Option<i64>,
) -> Result<Vec<SelfReportRow>> {
    let (cond, params) = match sector_of {
        Some(m) => (
            " AND m.sector_id = (SELECT sector_id FROM members WHERE id = $2)",
            vec![Param::Int(committee_id), Param::Int(m)],
        ),
        None => ("", vec![Param::Int(committee_id)]),
    };
    let q = format!(
        "{REPORT} WHERE r.committee_id = $1{cond} ORDER BY CASE WHEN r.status = 'pending' THEN 0 ELSE 1 END, \
         CASE WHEN r.status = 'pending' THEN r.id ELSE -r.id END LIMIT 200"
    );
    all(c, &q, &params).await
}

pub async fn member_self_reports(
    c: &mut Conn<'_>,
    member_id: i64,
    year: i64,
) -> Result<Vec<SelfReportRow>> {
    let q = format!("{REPORT} WHERE r.member_id = $1 AND r.year = $2 ORDER BY r.id DESC");
    all(c, &q, &[Param::Int(member_id), Param::Int(year)]).await
}

/// Decide a pending report; false if it was already decided.
pub async fn decide(
    c: &mut Conn<'_>,
    id: i64,
    status: &str,
    reason: Option<String>,
    by: i64,
    at: DateTime<Utc>,
) -> Result<bool> {
    Ok(run(
        c,
        "UPDATE self_reports SET status = $2, reason = $3, decided_by = $4, decided_at = $5 \
         WHERE id = $1 AND status = 'pending'",
        &[
            Param::Int(id),
            Param::Text(status.into()),
            opt_text(&reason),
            Param::Int(by),
            Param::Time(at),
        ],
    )
    .await?
        > 0)
}

/// The evidence file: (name, content type, bytes).
pub async fn evidence(
    c: &mut Conn<'_>,
    committee_id: i64,
    id: i64,
) -> Result<Option<(String, String, Vec<u8>)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        evidence_name: Option<String>,
        evidence_type: Option<String>,
        evidence_bytes: Option<Vec<u8>>,
    }
    Ok(opt::<Row>(
        c,
        "SELECT evidence_name, evidence_type, evidence_bytes FROM self_reports WHERE id = $1 AND committee_id = $2",
        &[Param::Int(id), Param::Int(committee_id)],
    )
    .await?
    .and_then(|r| Some((r.evidence_name?, r.evidence_type?, r.evidence_bytes?))))
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DutyReportRow {
    pub member_id: i64,
    pub year: i64,
    pub body: String,
    pub status: String,
    pub updated_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
}

pub async fn duty_report(
    c: &mut Conn<'_>,
    member_id: i64,
    year: i64,
) -> Result<Option<DutyReportRow>> {
    opt(
        c,
        "SELECT member_id, year, body, status, updated_at, submitted_at FROM duty_reports WHERE member_id = $1 AND year = $2",
        &[Param::Int(member_id), Param::Int(year)],
    )
    .await
}

pub async fn duty_reports(
    c: &mut Conn<'_>,
    committee_id: i64,
    year: i64,
) -> Result<Vec<DutyReportRow>> {
    all(
        c,
        "SELECT member_id, year, body, status, updated_at, submitted_at FROM duty_reports WHERE committee_id = $1 AND year = $2",
        &[Param::Int(committee_id), Param::Int(year)],
    )
    .await
}

/// Save the member's report; a submitted one stays submitted (returns false).
pub async fn save_duty_report(
    c: &mut Conn<'_>,
    committee_id: i64,
    r: &DutyReportRow,
) -> Result<bool> {
    Ok(run(
        c,
        "INSERT INTO duty_reports (committee_id, year, member_id, body, status, updated_at, submitted_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (committee_id, year, member_id) DO UPDATE SET \
         body = excluded.body, status = excluded.status, updated_at = excluded.updated_at, \
         submitted_at = excluded.submitted_at WHERE duty_reports.status = 'draft'",
        &[
            Param::Int(committee_id),
            Param::Int(r.year),
            Param::Int(r.member_id),
            Param::Text(r.body.clone()),
            Param::Text(r.status.clone()),
            Param::Time(r.updated_at),
            crate::db::opt_time(r.submitted_at),
        ],
    )
    .await?
        > 0)
}
