//! Reading opinion reports: the authors' workspace, the office's lists and review page (with
//! the most similar earlier reports), a unit's forwarded reports, and the plain-words outcome
//! on the status page of the concerns a report grew from.

use lianxin_domain::access::{
    DraftOpinionReports, Granted, HandleAssignments, ReviewOpinionReports,
};
use lianxin_domain::opinion::{self as rules, InstructionLevel, Level, Outcome, Status};
use lianxin_store::Conn;
use lianxin_store::opinions::{self as store, ActionRow, Filter, ListRow, ReportRow, VersionRow};

use super::drafting::load_authored;
use super::{load_submitted, not_found};
use crate::paged::Paged;
use crate::{App, Result};

pub const PER_PAGE: i64 = 20;
/// How many earlier reports the similarity search reads (newest first).
pub const SIMILAR_SCAN: i64 = 3000;

/// One report with everything around it.
#[derive(Debug, Clone)]
pub struct ReportView {
    pub row: ReportRow,
    pub status: Status,
    pub level: Option<Level>,
    /// (member id, name, role)
    pub authors: Vec<(i64, String, String)>,
    /// (concern id, tracking code, title)
    pub concerns: Vec<(i64, String, String)>,
    pub versions: Vec<VersionRow>,
    pub actions: Vec<ActionRow>,
    /// The one-issue-per-report warning, if the body is long.
    pub warning: Option<String>,
    /// (id, title, score) — for the office only.
    pub similar: Vec<(i64, String, f64)>,
    /// "2026年第3期" if compiled into a bulletin.
    pub bulletin: Option<String>,
}

impl ReportView {
    pub fn editable(&self) -> bool {
        matches!(
            self.status,
            Status::Draft | Status::Returned | Status::Submitted
        )
    }
    pub fn submittable(&self) -> bool {
        matches!(self.status, Status::Draft | Status::Returned)
    }
    pub fn adopted(&self) -> bool {
        matches!(
            self.status,
            Status::Adopted | Status::Forwarded | Status::Concluded
        )
    }
    pub fn author_names(&self) -> String {
        self.authors
            .iter()
            .map(|a| a.1.as_str())
            .collect::<Vec<_>>()
            .join("、")
    }
    pub fn instruction_level(&self, a: &ActionRow) -> &'static str {
        a.level
            .as_deref()
            .and_then(InstructionLevel::parse)
            .map(|l| l.label())
            .unwrap_or("")
    }
}

async fn view_of(c: &mut Conn<'_>, row: ReportRow) -> Result<ReportView> {
    let bulletin = match row.bulletin_id {
        Some(b) => store::bulletin(c, row.committee_id, b)
            .await?
            .map(|b| format!("{}年第{}期", b.year, b.number)),
        None => None,
    };
    Ok(ReportView {
        status: super::status_of(&row),
        level: row.level.as_deref().and_then(Level::parse),
        authors: store::authors(c, row.id).await?,
        concerns: store::concerns_of(c, row.id).await?,
        versions: store::versions(c, row.id).await?,
        actions: store::actions(c, &[row.id]).await?,
        warning: rules::length_warning(&row.body),
        similar: vec![],
        bulletin,
        row,
    })
}

/// A report for one of its authors.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn for_author(
    app: &App,
    g: &Granted<DraftOpinionReports>,
    id: i64,
) -> Result<ReportView> {
    let mut tx = app.db.begin_read().await?;
    let row = load_authored(&mut tx, g.actor(), id).await?;
    view_of(&mut tx.conn(), row).await
}

/// A report for the office, with the most similar earlier reports.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn for_office(
    app: &App,
    g: &Granted<ReviewOpinionReports>,
    id: i64,
) -> Result<ReportView> {
    let mut tx = app.db.begin_read().await?;
    let row = load_submitted(&mut tx, g.committee_id(), id).await?;
    let texts = store::texts(&mut tx.conn(), g.committee_id(), id, SIMILAR_SCAN).await?;
    let me = format!("{}\n{}", row.title, row.body);
    let joined: Vec<(i64, String)> = texts
        .iter()
        .map(|(i, t, b)| (*i, format!("{t}\n{b}")))
        .collect();
    let top = rules::most_similar(&me, joined.iter().map(|(i, t)| (*i, t.as_str())), 5, 0.15);
    let mut v = view_of(&mut tx.conn(), row).await?;
    v.similar = top
        .into_iter()
        .filter_map(|(i, s)| texts.iter().find(|t| t.0 == i).map(|t| (i, t.1.clone(), s)))
        .collect();
    Ok(v)
}

/// A report forwarded to the unit's account; any other is not found.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn for_unit(app: &App, g: &Granted<HandleAssignments>, id: i64) -> Result<ReportView> {
    let unit = g.actor().handling_unit_id.ok_or_else(not_found)?;
    let mut tx = app.db.begin_read().await?;
    let row = load_submitted(&mut tx, g.committee_id(), id).await?;
    if !store::forwarded_to(&mut tx.conn(), id, unit).await? {
        return Err(not_found());
    }
    let mut v = view_of(&mut tx.conn(), row).await?;
    // A unit reads the report and what it was asked; not the office's review notes.
    v.row.review_note = None;
    v.versions.clear();
    Ok(v)
}

pub type Lines = Paged<ListRow>;

async fn page_of(app: &App, committee_id: i64, f: &Filter, page: i64) -> Result<Lines> {
    let page = page.max(1);
    let mut conn = app.db.acquire().await?;
    let (items, total) = store::list(
        &mut conn.conn(),
        committee_id,
        f,
        PER_PAGE,
        (page - 1) * PER_PAGE,
    )
    .await?;
    Ok(Paged {
        items,
        total,
        page,
        per_page: PER_PAGE,
    })
}

/// The member's own reports (as any author).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn mine(app: &App, g: &Granted<DraftOpinionReports>, page: i64) -> Result<Lines> {
    let Some(me) = g.actor().member_id else {
        return Ok(Paged::default());
    };
    let f = Filter {
        author: Some(me),
        ..Filter::default()
    };
    page_of(app, g.committee_id(), &f, page).await
}

/// Every report of the committee (drafts stay private to their authors).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn office_list(
    app: &App,
    g: &Granted<ReviewOpinionReports>,
    f: &Filter,
    page: i64,
) -> Result<Lines> {
    if f.status.as_deref() == Some("draft") {
        return Ok(Paged::default());
    }
    // Drafts are their authors' alone.
    let f = Filter {
        exclude_drafts: true,
        ..f.clone()
    };
    page_of(app, g.committee_id(), &f, page).await
}

/// Reports forwarded to the unit.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn unit_list(app: &App, g: &Granted<HandleAssignments>, page: i64) -> Result<Lines> {
    let Some(unit) = g.actor().handling_unit_id else {
        return Ok(Paged::default());
    };
    let f = Filter {
        unit: Some(unit),
        ..Filter::default()
    };
    page_of(app, g.committee_id(), &f, page).await
}

/// What the person who raised a concern reads about the reports it grew into. A merged
/// report is followed to the one that survived.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn outcome_lines(c: &mut Conn<'_>, concern_id: i64) -> Result<Vec<String>> {
    let mut lines = Vec::new();
    for (id, status, level, merged) in store::of_concern(c, concern_id).await? {
        let (mut id, mut status, mut level, mut merged) = (id, status, level, merged);
        // Follow merges (a merged report is never a merge target, so this ends quickly).
        for _ in 0..5 {
            let Some(next) = merged else { break };
            let Some((s, l, m)) = store::status_of(c, next).await? else {
                break;
            };
            (id, status, level, merged) = (next, s, l, m);
        }
        let status = Status::parse(&status);
        if status == Some(Status::Draft) {
            lines.push(rules::public_lines(&Outcome::default())[0].clone());
            continue;
        }
        let actions = store::actions(c, &[id]).await?;
        let outcome = Outcome {
            status,
            level: level.as_deref().and_then(Level::parse),
            instructions: actions
                .iter()
                .filter(|a| a.kind == "instruction")
                .filter_map(|a| a.level.as_deref().and_then(InstructionLevel::parse))
                .collect(),
            public_feedback: actions
                .iter()
                .filter(|a| a.kind == "feedback")
                .filter_map(|a| a.public_text.clone())
                .collect(),
        };
        lines.extend(rules::public_lines(&outcome));
    }
    lines.dedup();
    Ok(lines)
}
