//! The e-archive (电子档案, 一人一档): a member's year of duty as a timeline grouped by kind,
//! each entry with its points and a link to its source, the score and what the minimum
//! requirements still need. Members see their own (`/me/archive`); the office and sector
//! convenors see members' (`/office/members/{id}/archive`).

use crate::routes::{Routes, get};
use askama::Template;
use axum::extract::{Path, RawQuery, State as S};
use axum::response::Response;
use chrono::Datelike;
use lianxin_domain::access::{JoinActivities, ViewOrganisation};
use lianxin_service::duty::{self, Archive, Ranking};

use super::opinions::pairs_of;
use super::workspace::id_of;
use super::{Nav, download, filters, page};
use crate::State;
use crate::error::PageError;
use crate::form::Year;
use crate::session::PageAuth;

type PageResult = Result<Response, PageError>;

pub fn routes() -> Routes {
    Routes::new()
        .route("/me/archive", get(mine))
        .route("/me/archive.pdf", get(mine_pdf))
        .route("/office/members/{id}/archive", get(member))
        .route("/office/members/{id}/archive.pdf", get(member_pdf))
        .route("/office/rankings", get(rankings))
}

#[derive(Template)]
#[template(path = "archive.html")]
struct ArchivePage {
    nav: Nav,
    a: Archive,
    office: bool,
    /// May correct entries (the office).
    manage: bool,
}

impl ArchivePage {
    fn kinds(&self) -> &'static [(&'static str, &'static str)] {
        lianxin_domain::scoring::ENTRY_KINDS
    }
    fn pdf_link(&self) -> String {
        if self.office {
            format!(
                "/office/members/{}/archive.pdf?year={}",
                self.a.member_id, self.a.year
            )
        } else {
            format!("/me/archive.pdf?year={}", self.a.year)
        }
    }
    fn points(&self, centi: &i64) -> String {
        format_points(*centi)
    }
    fn category_name(&self, code: &str) -> String {
        self.a.category_name(code)
    }
    /// Where an entry's source is, for whoever is looking.
    fn source(&self, subject: &str) -> String {
        let (kind, id) = subject.split_once(':').unwrap_or(("", ""));
        match (kind, self.office) {
            ("activity", false) => format!("/me/activities/{id}"),
            ("activity", true) => format!("/office/activities/{id}"),
            ("proposal", false) => format!("/me/proposals/{id}"),
            ("proposal", true) => format!("/office/proposals/{id}"),
            ("opinion_report", false) => format!("/me/reports/{id}"),
            ("opinion_report", true) => format!("/office/reports/{id}"),
            ("policy_document", _) => format!("/library/{id}"),
            ("concern", true) => format!("/office/concerns/{id}"),
            ("concern", false) => format!("/me/concerns/{id}"),
            ("self_report", false) => "/me/duty#my-reports".to_string(),
            ("self_report", true) => "/office/self-reports".to_string(),
            _ => String::new(),
        }
    }
}

pub(super) fn format_points(centi: i64) -> String {
    if centi % 100 == 0 {
        format!("{}", centi / 100)
    } else {
        format!("{:.2}", centi as f64 / 100.0)
    }
}

/// The year a page shows: `?year=` when given (and then it must be a year: `?year=去年` is a
/// 422, not this year's page under a wrong heading), else this year. Take the page's
/// permission first.
pub(super) fn year_of(q: Option<String>) -> Result<i64, PageError> {
    #[derive(serde::Deserialize)]
    struct OfYear {
        year: Option<Year>,
    }
    let mut pairs = pairs_of(q)?;
    // A filter form sends its empty fields: empty means not given.
    pairs.retain(|(_, v)| !v.is_empty());
    match crate::form::typed::<OfYear>(&pairs).map_err(|inv| PageError(inv.into()))? {
        OfYear {
            year: Some(Year(y)),
        } => Ok(y),
        OfYear { year: None } => Ok(i64::from(
            lianxin_service::opinions::bulletins::china(chrono::Utc::now()).year(),
        )),
    }
}

async fn mine(S(state): S<State>, PageAuth(a): PageAuth, RawQuery(q): RawQuery) -> PageResult {
    let g = a.actor.grant::<JoinActivities>()?;
    let archive = duty::my_archive(&state.app, &g, year_of(q)?).await?;
    Ok(page(&ArchivePage {
        nav: Nav::for_auth(Some(&a)),
        a: archive,
        office: false,
        manage: false,
    }))
}

/// The archive as a PDF download.
async fn archive_download(archive: Archive) -> PageResult {
    let name = format!("archive-{}-{}.pdf", archive.member_id, archive.year);
    let bytes = duty::annual::archive_pdf(archive).await?;
    Ok(download(&name, "application/pdf", bytes, "archive.pdf"))
}

async fn mine_pdf(S(state): S<State>, PageAuth(a): PageAuth, RawQuery(q): RawQuery) -> PageResult {
    let g = a.actor.grant::<JoinActivities>()?;
    archive_download(duty::my_archive(&state.app, &g, year_of(q)?).await?).await
}

async fn member_pdf(
    S(state): S<State>,
    PageAuth(a): PageAuth,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> PageResult {
    let g = a.actor.grant::<ViewOrganisation>()?;
    archive_download(duty::member_archive(&state.app, &g, id_of(&id)?, year_of(q)?).await?).await
}

async fn member(
    S(state): S<State>,
    PageAuth(a): PageAuth,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> PageResult {
    let g = a.actor.grant::<ViewOrganisation>()?;
    let archive = duty::member_archive(&state.app, &g, id_of(&id)?, year_of(q)?).await?;
    Ok(page(&ArchivePage {
        nav: Nav::for_auth(Some(&a)),
        a: archive,
        office: true,
        manage: a.actor.can::<lianxin_domain::access::ManageDutyYear>(),
    }))
}

#[derive(Template)]
#[template(path = "rankings.html")]
struct RankingPage {
    nav: Nav,
    r: Ranking,
    /// May download the annual report.
    manage: bool,
}

impl RankingPage {
    fn points(&self, centi: &i64) -> String {
        format_points(*centi)
    }
    fn below(&self) -> usize {
        self.r.rows.iter().filter(|x| !x.passed).count()
    }
}

/// The year's ranking within the committee and within each sector, the tier counts, and the
/// members below the pass mark (a talk with their convenor; twice in a row flagged).
async fn rankings(S(state): S<State>, PageAuth(a): PageAuth, RawQuery(q): RawQuery) -> PageResult {
    let g = a.actor.grant::<ViewOrganisation>()?;
    let r = duty::ranking(&state.app, &g, year_of(q)?).await?;
    Ok(page(&RankingPage {
        nav: Nav::for_auth(Some(&a)),
        r,
        manage: a.actor.can::<lianxin_domain::access::ManageDutyYear>(),
    }))
}
