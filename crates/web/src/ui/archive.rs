//! The e-archive (电子档案, 一人一档): a member's year of duty as a timeline grouped by kind,
//! each entry with its points and a link to its source, the score and what the minimum
//! requirements still need. Members see their own (`/me/archive`); the office and sector
//! convenors see members' (`/office/members/{id}/archive`).

use askama::Template;
use axum::Router;
use axum::extract::{Path, RawQuery, State as S};
use axum::response::Response;
use axum::routing::get;
use chrono::Datelike;
use lianxin_domain::access::{JoinActivities, ViewOrganisation};
use lianxin_service::duty::{self, Archive, Ranking};

use super::opinions::{get_of, pairs_of};
use super::workspace::id_of;
use super::{Nav, filters, page};
use crate::State;
use crate::error::PageError;
use crate::session::PageAuth;

type PageResult = Result<Response, PageError>;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/me/archive", get(mine))
        .route("/office/members/{id}/archive", get(member))
        .route("/office/rankings", get(rankings))
}

#[derive(Template)]
#[template(path = "archive.html")]
struct ArchivePage {
    nav: Nav,
    a: Archive,
    office: bool,
}

impl ArchivePage {
    fn points(&self, centi: &i64) -> String {
        format_points(*centi)
    }
    fn total(&self) -> String {
        format_points(self.a.score.total_centi)
    }
    fn category_name(&self, code: &str) -> String {
        lianxin_domain::scoring::RuleSet::parse(lianxin_domain::scoring::RuleSet::default_rules())
            .ok()
            .and_then(|r| {
                r.categories
                    .into_iter()
                    .find(|c| c.code == code)
                    .map(|c| c.name)
            })
            .unwrap_or_else(|| code.to_string())
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
            _ => String::new(),
        }
    }
}

fn format_points(centi: i64) -> String {
    if centi % 100 == 0 {
        format!("{}", centi / 100)
    } else {
        format!("{:.2}", centi as f64 / 100.0)
    }
}

fn year_of(q: Option<String>) -> Result<i64, PageError> {
    let q = pairs_of(q)?;
    let this = i64::from(lianxin_service::opinions::bulletins::china(chrono::Utc::now()).year());
    Ok(get_of(&q, "year")
        .and_then(|y| y.parse().ok())
        .filter(|y| (2000..=this + 1).contains(y))
        .unwrap_or(this))
}

async fn mine(S(state): S<State>, PageAuth(a): PageAuth, RawQuery(q): RawQuery) -> PageResult {
    let g = a.actor.grant::<JoinActivities>()?;
    let archive = duty::my_archive(&state.app, &g, year_of(q)?).await?;
    Ok(page(&ArchivePage {
        nav: Nav::for_auth(Some(&a)),
        a: archive,
        office: false,
    }))
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
    }))
}

#[derive(Template)]
#[template(path = "rankings.html")]
struct RankingPage {
    nav: Nav,
    r: Ranking,
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
    }))
}
