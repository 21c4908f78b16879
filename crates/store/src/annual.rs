//! The figures of a committee's year for the annual report to the standing committee (R10),
//! read as plain rows and counted by the service, the same on both databases.

use chrono::{DateTime, Utc};

use crate::db::{Conn, Param, Result, all};

/// A half-open time range: the year in China's time.
pub struct Span {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConcernLine {
    pub status: String,
    pub submitted_at: DateTime<Utc>,
    pub first_reply_at: Option<DateTime<Utc>>,
    pub rating: Option<String>,
    pub studio_id: Option<i64>,
}

pub async fn concerns(c: &mut Conn<'_>, committee_id: i64, s: &Span) -> Result<Vec<ConcernLine>> {
    all(
        c,
        "SELECT status, submitted_at, first_reply_at, rating, studio_id FROM concerns \
         WHERE committee_id = $1 AND submitted_at >= $2 AND submitted_at < $3",
        &[
            Param::Int(committee_id),
            Param::Time(s.from),
            Param::Time(s.to),
        ],
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Counted {
    pub key: Option<String>,
    pub n: i64,
}

/// Opinion reports submitted in the year by status and level ("status|level").
pub async fn opinion_reports(
    c: &mut Conn<'_>,
    committee_id: i64,
    s: &Span,
) -> Result<Vec<Counted>> {
    all(
        c,
        "SELECT status || '|' || COALESCE(level, '') AS key, COUNT(*) AS n FROM opinion_reports \
         WHERE committee_id = $1 AND submitted_at >= $2 AND submitted_at < $3 GROUP BY status, level",
        &[Param::Int(committee_id), Param::Time(s.from), Param::Time(s.to)],
    )
    .await
}

/// Leaders' instructions on the year's reports, by level.
pub async fn instructions(c: &mut Conn<'_>, committee_id: i64, s: &Span) -> Result<Vec<Counted>> {
    all(
        c,
        "SELECT x.level AS key, COUNT(*) AS n FROM opinion_report_actions x JOIN opinion_reports r ON r.id = x.report_id \
         WHERE r.committee_id = $1 AND x.kind = 'instruction' AND x.created_at >= $2 AND x.created_at < $3 GROUP BY x.level",
        &[Param::Int(committee_id), Param::Time(s.from), Param::Time(s.to)],
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProposalLine {
    pub status: String,
    pub accepted: bool,
    pub rating: Option<String>,
    pub is_key: bool,
    pub is_excellent: bool,
}

/// The year's submitted proposals.
pub async fn proposals(
    c: &mut Conn<'_>,
    committee_id: i64,
    year: i64,
) -> Result<Vec<ProposalLine>> {
    all(
        c,
        "SELECT status, number IS NOT NULL AS accepted, rating, is_key, is_excellent FROM proposals \
         WHERE committee_id = $1 AND year = $2 AND submitted_at IS NOT NULL",
        &[Param::Int(committee_id), Param::Int(year)],
    )
    .await
}

/// The units' answers to the year's proposals by class (A, B, C).
pub async fn answer_classes(
    c: &mut Conn<'_>,
    committee_id: i64,
    year: i64,
) -> Result<Vec<Counted>> {
    all(
        c,
        "SELECT a.answer_class AS key, COUNT(*) AS n FROM proposal_answers a JOIN proposals p ON p.id = a.proposal_id \
         WHERE p.committee_id = $1 AND p.year = $2 GROUP BY a.answer_class",
        &[Param::Int(committee_id), Param::Int(year)],
    )
    .await
}

/// Final attendance at the year's closed activities, by kind ("kind name|attendance").
pub async fn attendance(c: &mut Conn<'_>, committee_id: i64, s: &Span) -> Result<Vec<Counted>> {
    all(
        c,
        "SELECT k.name || '|' || COALESCE(i.attendance, '') AS key, COUNT(*) AS n FROM activity_invitations i \
         JOIN activities a ON a.id = i.activity_id JOIN activity_kinds k ON k.id = a.kind_id \
         WHERE a.committee_id = $1 AND a.status = 'closed' AND a.starts_at >= $2 AND a.starts_at < $3 \
         GROUP BY k.name, i.attendance",
        &[Param::Int(committee_id), Param::Time(s.from), Param::Time(s.to)],
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StudioLine {
    pub id: i64,
    pub name: String,
    pub receptions: i64,
}

/// Every studio with its reception days of the year (`visited_on` is a date).
pub async fn studios(c: &mut Conn<'_>, committee_id: i64, year: i64) -> Result<Vec<StudioLine>> {
    all(
        c,
        "SELECT s.id, s.name, (SELECT COUNT(*) FROM reception_visits v WHERE v.studio_id = s.id \
         AND v.visited_on >= $2 AND v.visited_on < $3) AS receptions FROM studios s WHERE s.committee_id = $1 ORDER BY s.id",
        &[
            Param::Int(committee_id),
            Param::Text(format!("{year}-01-01")),
            Param::Text(format!("{}-01-01", year + 1)),
        ],
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Membership {
    pub member_id: i64,
    pub name: String,
}

/// Which special committee each member serves on (a member may serve on several).
pub async fn special_committees(c: &mut Conn<'_>, committee_id: i64) -> Result<Vec<Membership>> {
    all(
        c,
        "SELECT x.member_id, s.name FROM member_special_committees x JOIN special_committees s \
         ON s.id = x.special_committee_id WHERE s.committee_id = $1 ORDER BY s.id, x.member_id",
        &[Param::Int(committee_id)],
    )
    .await
}
