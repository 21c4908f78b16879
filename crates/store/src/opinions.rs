//! Opinion reports (社情民意信息): the report, its authors, versions, linked concerns, what
//! happened after review (forwarding, instructions, feedback) and the bulletins that publish
//! them.

use chrono::{DateTime, Utc};

use crate::db::{Conn, Param, Result, Where, all, int, opt, opt_int, opt_text, opt_time, run};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ReportRow {
    pub id: i64,
    pub committee_id: i64,
    /// The lead author (who drafted it).
    pub member_id: i64,
    pub status: String,
    pub author_kind: String,
    pub collective_id: Option<i64>,
    pub title: String,
    pub body: String,
    pub suggestions: String,
    pub version: i64,
    pub submitted_at: Option<DateTime<Utc>>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub level: Option<String>,
    pub review_note: Option<String>,
    pub merged_into: Option<i64>,
    pub published_title: Option<String>,
    pub published_body: Option<String>,
    pub bulletin_id: Option<i64>,
    pub from_proposal_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLS: &str = "id, committee_id, member_id, status, author_kind, collective_id, title, body, suggestions, \
    version, submitted_at, reviewed_at, level, review_note, merged_into, published_title, published_body, \
    bulletin_id, from_proposal_id, created_at, updated_at";

pub async fn insert(c: &mut Conn<'_>, r: &ReportRow) -> Result<i64> {
    let q = "INSERT INTO opinion_reports (committee_id, member_id, status, author_kind, collective_id, title, body, \
             suggestions, version, submitted_at, from_proposal_id, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id";
    int(
        c,
        q,
        &[
            Param::Int(r.committee_id),
            Param::Int(r.member_id),
            Param::Text(r.status.clone()),
            Param::Text(r.author_kind.clone()),
            opt_int(r.collective_id),
            Param::Text(r.title.clone()),
            Param::Text(r.body.clone()),
            Param::Text(r.suggestions.clone()),
            Param::Int(r.version),
            opt_time(r.submitted_at),
            opt_int(r.from_proposal_id),
            Param::Time(r.created_at),
        ],
    )
    .await
}

/// Write back everything a step can change.
pub async fn save(c: &mut Conn<'_>, r: &ReportRow) -> Result<()> {
    let q = "UPDATE opinion_reports SET status = $1, author_kind = $2, collective_id = $3, title = $4, body = $5, \
             suggestions = $6, version = $7, submitted_at = $8, reviewed_at = $9, level = $10, review_note = $11, \
             merged_into = $12, published_title = $13, published_body = $14, bulletin_id = $15, updated_at = $16 \
             WHERE id = $17";
    run(
        c,
        q,
        &[
            Param::Text(r.status.clone()),
            Param::Text(r.author_kind.clone()),
            opt_int(r.collective_id),
            Param::Text(r.title.clone()),
            Param::Text(r.body.clone()),
            Param::Text(r.suggestions.clone()),
            Param::Int(r.version),
            opt_time(r.submitted_at),
            opt_time(r.reviewed_at),
            opt_text(&r.level),
            opt_text(&r.review_note),
            opt_int(r.merged_into),
            opt_text(&r.published_title),
            opt_text(&r.published_body),
            opt_int(r.bulletin_id),
            Param::Time(r.updated_at),
            Param::Int(r.id),
        ],
    )
    .await?;
    Ok(())
}

pub async fn by_id(c: &mut Conn<'_>, committee_id: i64, id: i64) -> Result<Option<ReportRow>> {
    let q = format!("SELECT {COLS} FROM opinion_reports WHERE id = $1 AND committee_id = $2");
    opt(c, &q, &[Param::Int(id), Param::Int(committee_id)]).await
}

/// (member id, name, role) of a report's authors, lead first.
pub async fn authors(c: &mut Conn<'_>, report_id: i64) -> Result<Vec<(i64, String, String)>> {
    let q = "SELECT a.member_id, m.name, a.role FROM opinion_report_authors a JOIN members m ON m.id = a.member_id \
             WHERE a.report_id = $1 ORDER BY CASE a.role WHEN 'lead' THEN 0 WHEN 'collective' THEN 0 ELSE 1 END, m.id";
    all(c, q, &[Param::Int(report_id)]).await
}

/// Replace a report's authors.
pub async fn set_authors(c: &mut Conn<'_>, report_id: i64, list: &[(i64, &str)]) -> Result<()> {
    run(
        c,
        "DELETE FROM opinion_report_authors WHERE report_id = $1",
        &[Param::Int(report_id)],
    )
    .await?;
    add_authors(c, report_id, list).await
}

/// Add authors, keeping those already there (a merge gives the survivor the other's authors).
pub async fn add_authors(c: &mut Conn<'_>, report_id: i64, list: &[(i64, &str)]) -> Result<()> {
    for (member, role) in list {
        run(
            c,
            "INSERT INTO opinion_report_authors (report_id, member_id, role) VALUES ($1, $2, $3) \
             ON CONFLICT (report_id, member_id) DO NOTHING",
            &[
                Param::Int(report_id),
                Param::Int(*member),
                Param::Text(role.to_string()),
            ],
        )
        .await?;
    }
    Ok(())
}

pub async fn link_concerns(c: &mut Conn<'_>, report_id: i64, ids: &[i64]) -> Result<()> {
    for id in ids {
        run(
            c,
            "INSERT INTO opinion_report_concerns (report_id, concern_id) VALUES ($1, $2) \
             ON CONFLICT (report_id, concern_id) DO NOTHING",
            &[Param::Int(report_id), Param::Int(*id)],
        )
        .await?;
    }
    Ok(())
}

/// (id, code, title) of the concerns a report grew from.
pub async fn concerns_of(c: &mut Conn<'_>, report_id: i64) -> Result<Vec<(i64, String, String)>> {
    let q = "SELECT k.id, k.code, k.title FROM concerns k JOIN opinion_report_concerns l ON l.concern_id = k.id \
             WHERE l.report_id = $1 ORDER BY k.id";
    all(c, q, &[Param::Int(report_id)]).await
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct VersionRow {
    pub version: i64,
    pub title: String,
    pub body: String,
    pub suggestions: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

pub async fn add_version(c: &mut Conn<'_>, report_id: i64, v: &VersionRow) -> Result<()> {
    run(
        c,
        "INSERT INTO opinion_report_versions (report_id, version, title, body, suggestions, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            Param::Int(report_id),
            Param::Int(v.version),
            Param::Text(v.title.clone()),
            Param::Text(v.body.clone()),
            Param::Text(v.suggestions.clone()),
            Param::Text(v.created_by.clone()),
            Param::Time(v.created_at),
        ],
    )
    .await?;
    Ok(())
}

pub async fn versions(c: &mut Conn<'_>, report_id: i64) -> Result<Vec<VersionRow>> {
    let q = "SELECT version, title, body, suggestions, created_by, created_at FROM opinion_report_versions \
             WHERE report_id = $1 ORDER BY version DESC";
    all(c, q, &[Param::Int(report_id)]).await
}

/// Something that happened to a report after review.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ActionRow {
    pub id: i64,
    pub report_id: i64,
    /// `forward`, `instruction`, `feedback`
    pub kind: String,
    pub handling_unit_id: Option<i64>,
    /// Forwarded to (a body's name), or the leader who gave an instruction.
    pub target: Option<String>,
    pub level: Option<String>,
    pub on_date: Option<String>,
    pub body: String,
    /// Feedback in plain words for the people whose concerns the report grew from.
    pub public_text: Option<String>,
    pub actor: String,
    pub created_at: DateTime<Utc>,
}

pub async fn add_action(c: &mut Conn<'_>, a: &ActionRow) -> Result<i64> {
    int(
        c,
        "INSERT INTO opinion_report_actions (report_id, kind, handling_unit_id, target, level, on_date, body, \
         public_text, actor, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        &[
            Param::Int(a.report_id),
            Param::Text(a.kind.clone()),
            opt_int(a.handling_unit_id),
            opt_text(&a.target),
            opt_text(&a.level),
            opt_text(&a.on_date),
            Param::Text(a.body.clone()),
            opt_text(&a.public_text),
            Param::Text(a.actor.clone()),
            Param::Time(a.created_at),
        ],
    )
    .await
}

pub async fn actions(c: &mut Conn<'_>, report_ids: &[i64]) -> Result<Vec<ActionRow>> {
    if report_ids.is_empty() {
        return Ok(vec![]);
    }
    let q = format!(
        "SELECT id, report_id, kind, handling_unit_id, target, level, on_date, body, public_text, actor, created_at \
         FROM opinion_report_actions WHERE report_id IN ({}) ORDER BY id",
        crate::db::placeholders(1, report_ids.len())
    );
    let p: Vec<Param> = report_ids.iter().map(|i| Param::Int(*i)).collect();
    all(c, &q, &p).await
}

/// Whether a report was forwarded to this unit (what a unit may read).
pub async fn forwarded_to(c: &mut Conn<'_>, report_id: i64, unit_id: i64) -> Result<bool> {
    let q = "SELECT COUNT(*) FROM opinion_report_actions WHERE report_id = $1 AND handling_unit_id = $2 AND kind = 'forward'";
    Ok(int(c, q, &[Param::Int(report_id), Param::Int(unit_id)]).await? > 0)
}

/// Which reports a list shows.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub status: Option<String>,
    pub level: Option<String>,
    /// Reports this member is an author of.
    pub author: Option<i64>,
    /// Reports forwarded to this handling unit.
    pub unit: Option<i64>,
    pub bulletin_id: Option<i64>,
    /// Adopted reports not yet in any bulletin.
    pub unpublished: bool,
    /// In the title.
    pub q: Option<String>,
    pub year: Option<i32>,
    pub exclude_drafts: bool,
}

fn where_of(committee_id: i64, f: &Filter) -> Where {
    let mut w = Where::default();
    w.and("r.committee_id = ?", Param::Int(committee_id));
    if let Some(s) = &f.status {
        w.and("r.status = ?", Param::Text(s.clone()));
    }
    if let Some(l) = &f.level {
        w.and("r.level = ?", Param::Text(l.clone()));
    }
    if let Some(m) = f.author {
        w.and(
            "r.id IN (SELECT report_id FROM opinion_report_authors WHERE member_id = ?)",
            Param::Int(m),
        );
    }
    if let Some(u) = f.unit {
        w.and(
            "r.id IN (SELECT report_id FROM opinion_report_actions WHERE kind = 'forward' AND handling_unit_id = ?)",
            Param::Int(u),
        );
    }
    if let Some(b) = f.bulletin_id {
        w.and("r.bulletin_id = ?", Param::Int(b));
    }
    if f.exclude_drafts {
        w.raw("r.status <> 'draft'");
    }
    if f.unpublished {
        w.raw("r.bulletin_id IS NULL AND r.status IN ('adopted', 'forwarded', 'concluded')");
    }
    if let Some(q) = &f.q {
        w.and("r.title LIKE ?", Param::Text(format!("%{q}%")));
    }
    if let Some(y) = f.year {
        w.and("r.created_at >= ?", Param::Time(year_start(y)));
        w.and("r.created_at < ?", Param::Time(year_start(y + 1)));
    }
    w
}

/// Midnight of 1 January in China's time, in UTC.
pub fn year_start(y: i32) -> DateTime<Utc> {
    chrono::NaiveDate::from_ymd_opt(y, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc() - chrono::Duration::hours(8))
        .unwrap_or_default()
}

/// A line of a report list.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ListRow {
    pub id: i64,
    pub title: String,
    pub status: String,
    pub level: Option<String>,
    pub author: String,
    pub author_kind: String,
    pub submitted_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

pub async fn list(
    c: &mut Conn<'_>,
    committee_id: i64,
    f: &Filter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<ListRow>, i64)> {
    let w = where_of(committee_id, f);
    let total = int(
        c,
        &format!("SELECT COUNT(*) FROM opinion_reports r{}", w.sql),
        &w.params,
    )
    .await?;
    let q = format!(
        "SELECT r.id, r.title, r.status, r.level, m.name AS author, r.author_kind, r.submitted_at, r.updated_at \
         FROM opinion_reports r JOIN members m ON m.id = r.member_id{} ORDER BY r.id DESC{}",
        w.sql,
        w.page()
    );
    let rows = all(c, &q, &w.with_page(limit, offset)).await?;
    Ok((rows, total))
}

/// (id, title + body) of the newest reviewed-or-pending reports other than `except`, for
/// finding similar ones.
pub async fn texts(
    c: &mut Conn<'_>,
    committee_id: i64,
    except: i64,
    limit: i64,
) -> Result<Vec<(i64, String, String)>> {
    let q = "SELECT id, title, body FROM opinion_reports WHERE committee_id = $1 AND id <> $2 AND status <> 'draft' \
             ORDER BY id DESC LIMIT $3";
    all(
        c,
        q,
        &[
            Param::Int(committee_id),
            Param::Int(except),
            Param::Int(limit),
        ],
    )
    .await
}

/// (report id, status, level, merged into) of the reports a concern grew into.
pub async fn of_concern(
    c: &mut Conn<'_>,
    concern_id: i64,
) -> Result<Vec<(i64, String, Option<String>, Option<i64>)>> {
    let q = "SELECT r.id, r.status, r.level, r.merged_into FROM opinion_reports r \
             JOIN opinion_report_concerns l ON l.report_id = r.id WHERE l.concern_id = $1 ORDER BY r.id";
    all(c, q, &[Param::Int(concern_id)]).await
}

/// (status, level, merged into) of one report, for following a merge.
pub async fn status_of(
    c: &mut Conn<'_>,
    id: i64,
) -> Result<Option<(String, Option<String>, Option<i64>)>> {
    let q = "SELECT status, level, merged_into FROM opinion_reports WHERE id = $1";
    opt(c, q, &[Param::Int(id)]).await
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct BulletinRow {
    pub id: i64,
    pub committee_id: i64,
    pub year: i64,
    pub number: i64,
    pub title: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

pub async fn next_bulletin_number(c: &mut Conn<'_>, committee_id: i64, year: i64) -> Result<i64> {
    let q =
        "SELECT COALESCE(MAX(number), 0) + 1 FROM bulletins WHERE committee_id = $1 AND year = $2";
    int(c, q, &[Param::Int(committee_id), Param::Int(year)]).await
}

pub async fn add_bulletin(c: &mut Conn<'_>, b: &BulletinRow) -> Result<i64> {
    int(
        c,
        "INSERT INTO bulletins (committee_id, year, number, title, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        &[
            Param::Int(b.committee_id),
            Param::Int(b.year),
            Param::Int(b.number),
            Param::Text(b.title.clone()),
            Param::Text(b.created_by.clone()),
            Param::Time(b.created_at),
        ],
    )
    .await
}

pub async fn bulletins(c: &mut Conn<'_>, committee_id: i64) -> Result<Vec<BulletinRow>> {
    let q = "SELECT id, committee_id, year, number, title, created_by, created_at FROM bulletins \
             WHERE committee_id = $1 ORDER BY year DESC, number DESC";
    all(c, q, &[Param::Int(committee_id)]).await
}

pub async fn bulletin(c: &mut Conn<'_>, committee_id: i64, id: i64) -> Result<Option<BulletinRow>> {
    let q = "SELECT id, committee_id, year, number, title, created_by, created_at FROM bulletins \
             WHERE id = $1 AND committee_id = $2";
    opt(c, q, &[Param::Int(id), Param::Int(committee_id)]).await
}

/// The reports of a bulletin, in the order they were compiled.
pub async fn in_bulletin(c: &mut Conn<'_>, bulletin_id: i64) -> Result<Vec<ReportRow>> {
    let q = format!("SELECT {COLS} FROM opinion_reports WHERE bulletin_id = $1 ORDER BY id");
    all(c, &q, &[Param::Int(bulletin_id)]).await
}
