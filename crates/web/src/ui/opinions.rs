//! Opinion-report pages: the member's drafts and outcomes (`/me/reports`), the office's
//! review, publication, forwarding and bulletins (`/office/reports`, `/office/bulletins`),
//! and a handling unit's forwarded reports (`/unit/reports`).

use crate::routes::{Routes, get, post};
use askama::Template;
use axum::extract::{Path, RawQuery, State as S};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use lianxin_domain::access::{
    AnswerConcerns, DraftOpinionReports, HandleAssignments, ReviewOpinionReports,
};
use lianxin_domain::opinion::{AuthorKind, InstructionLevel, Level, Status};
use lianxin_service::concerns::views as concern_views;
use lianxin_service::opinions::bulletins;
use lianxin_service::opinions::drafting::{self, ReportInput};
use lianxin_service::opinions::review::{self, Decision, InstructionInput};
use lianxin_service::opinions::views::{self, Lines, ReportView};
use lianxin_service::rows::{BulletinRow, OpinionFilter as Filter};

use super::workspace::id_of;
use super::{Nav, after_step, filters, page};
use crate::State;
use crate::api::query_pairs;
use crate::error::PageError;
use crate::form::{Button, GrantedForm};
use crate::session::{Auth, PageAuth};

type PageResult = Result<Response, PageError>;

pub fn routes() -> Routes {
    Routes::new()
        .route("/me/reports", get(mine).post(draft_from_concerns))
        .route("/me/reports/new", get(new_form).post(create))
        .route("/me/reports/{id}", get(authored))
        .route("/me/reports/{id}/edit", post(edit))
        .route("/me/reports/{id}/submit", post(submit))
        .route("/office/reports", get(office_list))
        .route("/office/reports/{id}", get(office_detail))
        .route("/office/reports/{id}/review", post(decide))
        .route("/office/reports/{id}/publication", post(publication))
        .route("/office/reports/{id}/forward", post(forward))
        .route("/office/reports/{id}/instruction", post(instruction))
        .route("/office/reports/{id}/feedback", post(office_feedback))
        .route("/office/bulletins", get(bulletin_list).post(compile))
        .route("/office/bulletins/{id}/pdf", get(bulletin_pdf))
        .route("/unit/reports", get(unit_list))
        .route("/unit/reports/{id}", get(unit_detail))
        .route("/unit/reports/{id}/feedback", post(unit_feedback))
}

/// A query string as pairs, and one value of it.
pub fn pairs_of(q: Option<String>) -> Result<Vec<(String, String)>, PageError> {
    query_pairs(q).map_err(|e| PageError(e.0))
}
pub fn get_of<'a>(pairs: &'a [(String, String)], k: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(x, _)| x == k)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}
/// The page of a list: `?page=N` from 1 to `records::MAX_PAGE`, else the first when not
/// given; anything else is refused (422), never shown as page 1.
pub fn page_no(pairs: &[(String, String)]) -> Result<i64, PageError> {
    let max = lianxin_service::records::MAX_PAGE;
    match get_of(pairs, "page") {
        None => Ok(1),
        Some(v) => v
            .parse()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| {
                PageError(lianxin_service::Error::Invalid(
                    lianxin_domain::Invalid::one(
                        "page",
                        "invalid_page",
                        format!("页码应为1到{max}之间的整数"),
                    ),
                ))
            }),
    }
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ListPage {
    nav: Nav,
    audience: &'static str,
    lines: Lines,
    q: Vec<(String, String)>,
    statuses: Vec<(&'static str, &'static str)>,
    levels: Vec<(&'static str, &'static str)>,
    saved: bool,
}

impl ListPage {
    fn q(&self, k: &str) -> &str {
        get_of(&self.q, k).unwrap_or("")
    }
    fn status_label(&self, code: &str) -> &'static str {
        Status::parse(code).map(|s| s.label()).unwrap_or("")
    }
    fn level_label(&self, code: &Option<String>) -> &'static str {
        code.as_deref()
            .and_then(Level::parse)
            .map(|l| l.label())
            .unwrap_or("")
    }
    fn base(&self) -> &'static str {
        match self.audience {
            "office" => "/office/reports",
            "unit" => "/unit/reports",
            _ => "/me/reports",
        }
    }
    /// The query string for another page of the same list.
    fn page_link(&self, page: i64) -> String {
        let mut pairs: Vec<(String, String)> = self
            .q
            .iter()
            .filter(|(k, _)| k != "page")
            .cloned()
            .collect();
        pairs.push(("page".into(), page.to_string()));
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

fn list_page(a: &Auth, audience: &'static str, lines: Lines, q: Vec<(String, String)>) -> Response {
    let saved = get_of(&q, "saved").is_some();
    page(&ListPage {
        nav: Nav::for_auth(Some(a)),
        audience,
        lines,
        q,
        statuses: Status::options()
            .into_iter()
            .filter(|s| s.0 != "draft")
            .collect(),
        levels: Level::options(),
        saved,
    })
}

async fn mine(S(state): S<State>, PageAuth(a): PageAuth, RawQuery(q): RawQuery) -> PageResult {
    let g = a.actor.grant::<DraftOpinionReports>()?;
    let q = pairs_of(q)?;
    let lines = views::mine(&state.app, &g, page_no(&q)?).await?;
    Ok(list_page(&a, "member", lines, q))
}

async fn office_list(
    S(state): S<State>,
    PageAuth(a): PageAuth,
    RawQuery(q): RawQuery,
) -> PageResult {
    let g = a.actor.grant::<ReviewOpinionReports>()?;
    let q = pairs_of(q)?;
    let f = Filter {
        status: get_of(&q, "status")
            .and_then(Status::parse)
            .map(|s| s.code().into()),
        level: get_of(&q, "level")
            .and_then(Level::parse)
            .map(|l| l.code().into()),
        q: get_of(&q, "q").map(str::to_string),
        year: get_of(&q, "year").and_then(|y| y.parse().ok()),
        ..Filter::default()
    };
    let lines = views::office_list(&state.app, &g, &f, page_no(&q)?).await?;
    Ok(list_page(&a, "office", lines, q))
}

async fn unit_list(S(state): S<State>, PageAuth(a): PageAuth, RawQuery(q): RawQuery) -> PageResult {
    let g = a.actor.grant::<HandleAssignments>()?;
    let q = pairs_of(q)?;
    let lines = views::unit_list(&state.app, &g, page_no(&q)?).await?;
    Ok(list_page(&a, "unit", lines, q))
}

/// The form's choices: members (for co-authors) and the bodies a report may speak for.
struct Choices {
    members: Vec<(i64, String)>,
    sectors: Vec<(i64, String)>,
    studios: Vec<(i64, String)>,
    specials: Vec<(i64, String)>,
}

async fn choices(state: &State, committee_id: i64) -> Result<Choices, PageError> {
    let (studios, members, specials, _) = concern_views::targets(&state.app, committee_id).await?;
    let sectors = lianxin_service::concerns::intake::form_options(&state.app, committee_id)
        .await?
        .sectors;
    Ok(Choices {
        members,
        sectors,
        studios,
        specials,
    })
}

#[derive(Template)]
#[template(path = "report_form.html")]
struct FormPage {
    nav: Nav,
    action: String,
    title: String,
    body: String,
    suggestions: String,
    author_kind: String,
    collective_id: Option<i64>,
    co_authors: Vec<i64>,
    choices: Choices,
    kinds: Vec<(&'static str, &'static str)>,
    error: String,
}

impl FormPage {
    fn chosen(&self, id: &i64) -> bool {
        self.co_authors.contains(id)
    }
    fn collective_is(&self, id: &i64) -> bool {
        self.collective_id == Some(*id)
    }
}

/// The report form: its text, in whose name, and the co-authors ticked.
#[derive(serde::Deserialize)]
struct ReportForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    suggestions: String,
    #[serde(default)]
    author_kind: String,
    // One select per collective kind; the one of the chosen kind counts.
    collective_sector: Option<i64>,
    collective_studio: Option<i64>,
    collective_special_committee: Option<i64>,
    #[serde(default)]
    co_author: Vec<i64>,
}

impl ReportForm {
    fn input(&self) -> ReportInput<'_> {
        ReportInput {
            title: &self.title,
            body: &self.body,
            suggestions: &self.suggestions,
            author_kind: &self.author_kind,
            collective_id: match self.author_kind.as_str() {
                "sector" => self.collective_sector,
                "studio" => self.collective_studio,
                "special_committee" => self.collective_special_committee,
                _ => None,
            },
            co_authors: self.co_author.clone(),
        }
    }
}

async fn form_page(
    state: &State,
    a: &Auth,
    action: String,
    i: &ReportInput<'_>,
    error: String,
) -> PageResult {
    let mut r = page(&FormPage {
        nav: Nav::for_auth(Some(a)),
        action,
        title: i.title.into(),
        body: i.body.into(),
        suggestions: i.suggestions.into(),
        author_kind: if i.author_kind.is_empty() {
            "member".into()
        } else {
            i.author_kind.into()
        },
        collective_id: i.collective_id,
        co_authors: i.co_authors.clone(),
        choices: choices(state, a.actor.committee_id).await?,
        kinds: AuthorKind::options(),
        error: error.clone(),
    });
    if !error.is_empty() {
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

async fn new_form(S(state): S<State>, PageAuth(a): PageAuth) -> PageResult {
    a.actor.grant::<DraftOpinionReports>()?;
    form_page(
        &state,
        &a,
        "/me/reports/new".into(),
        &ReportInput::default(),
        String::new(),
    )
    .await
}

async fn create(S(state): S<State>, f: GrantedForm<DraftOpinionReports, ReportForm>) -> PageResult {
    let input = f.form.input();
    match drafting::draft(&state.app, &f.granted, &input).await {
        Ok(id) => Ok(Redirect::to(&format!("/me/reports/{id}?saved=1")).into_response()),
        Err(e @ (lianxin_service::Error::Invalid(_) | lianxin_service::Error::Conflict { .. })) => {
            form_page(
                &state,
                &f.auth,
                "/me/reports/new".into(),
                &input,
                crate::error::describe(&e).1,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// The concerns ticked in the member's inbox.
#[derive(serde::Deserialize)]
struct ConcernsPicked {
    #[serde(default)]
    concern_id: Vec<i64>,
}

/// Concerns from the member's inbox become a draft (the inbox's "整理为社情民意信息").
async fn draft_from_concerns(
    S(state): S<State>,
    f: GrantedForm<AnswerConcerns, ConcernsPicked>,
) -> PageResult {
    let id =
        concern_views::draft_opinion_report(&state.app, &f.granted, &f.form.concern_id).await?;
    Ok(Redirect::to(&format!("/me/reports/{id}?saved=1")).into_response())
}

#[derive(Template)]
#[template(path = "report.html")]
struct DetailPage {
    nav: Nav,
    audience: &'static str,
    v: ReportView,
    levels: Vec<(&'static str, &'static str)>,
    instruction_levels: Vec<(&'static str, &'static str)>,
    units: Vec<(i64, String)>,
    form: Option<FormPage>,
    saved: bool,
    error: String,
}

impl DetailPage {
    fn action_label(&self, kind: &str) -> &'static str {
        match kind {
            "forward" => "报送",
            "instruction" => "领导批示",
            "feedback" => "办理反馈",
            _ => "",
        }
    }
}

async fn detail_page(
    state: &State,
    a: &Auth,
    audience: &'static str,
    id: i64,
    saved: bool,
    error: String,
) -> PageResult {
    let app = &state.app;
    let (v, units, form) = match audience {
        "office" => {
            let g = a.actor.grant::<ReviewOpinionReports>()?;
            let units = concern_views::targets(app, a.actor.committee_id).await?.3;
            (views::for_office(app, &g, id).await?, units, None)
        }
        "unit" => {
            let g = a.actor.grant::<HandleAssignments>()?;
            (views::for_unit(app, &g, id).await?, vec![], None)
        }
        _ => {
            let g = a.actor.grant::<DraftOpinionReports>()?;
            let v = views::for_author(app, &g, id).await?;
            let form = if v.editable() {
                let i = ReportInput {
                    title: &v.row.title,
                    body: &v.row.body,
                    suggestions: &v.row.suggestions,
                    author_kind: &v.row.author_kind,
                    collective_id: v.row.collective_id,
                    co_authors: v
                        .authors
                        .iter()
                        .filter(|x| x.2 == "joint")
                        .map(|x| x.0)
                        .collect(),
                };
                Some(FormPage {
                    nav: Nav::default(),
                    action: format!("/me/reports/{id}/edit"),
                    title: i.title.into(),
                    body: i.body.into(),
                    suggestions: i.suggestions.into(),
                    author_kind: i.author_kind.into(),
                    collective_id: i.collective_id,
                    co_authors: i.co_authors,
                    choices: choices(state, a.actor.committee_id).await?,
                    kinds: AuthorKind::options(),
                    error: String::new(),
                })
            } else {
                None
            };
            (v, vec![], form)
        }
    };
    let status = if error.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::CONFLICT
    };
    let mut r = page(&DetailPage {
        nav: Nav::for_auth(Some(a)),
        audience,
        v,
        levels: Level::options(),
        instruction_levels: InstructionLevel::options(),
        units,
        form,
        saved,
        error,
    });
    *r.status_mut() = status;
    Ok(r)
}

fn saved_in(q: &Option<String>) -> bool {
    q.as_deref().is_some_and(|q| q.contains("saved"))
}

async fn authored(
    S(state): S<State>,
    PageAuth(a): PageAuth,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> PageResult {
    detail_page(
        &state,
        &a,
        "member",
        id_of(&id)?,
        saved_in(&q),
        String::new(),
    )
    .await
}
async fn office_detail(
    S(state): S<State>,
    PageAuth(a): PageAuth,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> PageResult {
    detail_page(
        &state,
        &a,
        "office",
        id_of(&id)?,
        saved_in(&q),
        String::new(),
    )
    .await
}
async fn unit_detail(
    S(state): S<State>,
    PageAuth(a): PageAuth,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> PageResult {
    detail_page(&state, &a, "unit", id_of(&id)?, saved_in(&q), String::new()).await
}

/// After a step: back to the page (saved), or the page again with the reason (409/422).
async fn after(
    state: &State,
    a: &Auth,
    audience: &'static str,
    id: i64,
    r: lianxin_service::Result<()>,
) -> PageResult {
    let base = match audience {
        "office" => "/office/reports",
        "unit" => "/unit/reports",
        _ => "/me/reports",
    };
    after_step(r, format!("{base}/{id}?saved=1"), |msg| {
        detail_page(state, a, audience, id, false, msg)
    })
    .await
}

async fn edit(
    S(state): S<State>,
    Path(id): Path<String>,
    f: GrantedForm<DraftOpinionReports, ReportForm>,
) -> PageResult {
    let id = id_of(&id)?;
    let r = drafting::edit(&state.app, &f.granted, id, &f.form.input()).await;
    after(&state, &f.auth, "member", id, r).await
}

async fn submit(
    S(state): S<State>,
    Path(id): Path<String>,
    f: GrantedForm<DraftOpinionReports, Button>,
) -> PageResult {
    let id = id_of(&id)?;
    let r = drafting::submit(&state.app, &f.granted, id).await;
    after(&state, &f.auth, "member", id, r).await
}

/// The review form: one of four outcomes, with what that outcome needs.
#[derive(serde::Deserialize)]
struct Review {
    #[serde(default, deserialize_with = "serde_html_form::de::empty_as_none")]
    decision: Option<Outcome>,
    #[serde(default)]
    level: String,
    #[serde(default)]
    reason: String,
    into: Option<i64>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "snake_case")]
enum Outcome {
    Adopt,
    Decline,
    Return,
    Merge,
}

async fn decide(
    S(state): S<State>,
    Path(id): Path<String>,
    f: GrantedForm<ReviewOpinionReports, Review>,
) -> PageResult {
    let id = id_of(&id)?;
    let Review {
        decision,
        level,
        reason,
        into,
    } = f.form;
    let invalid = |field, code, message| Err(lianxin_domain::Invalid::one(field, code, message));
    let decision = match decision {
        Some(Outcome::Adopt) => match Level::parse(&level) {
            Some(l) => Ok(Decision::Adopt(l)),
            None => invalid("level", "invalid_choice", "请选择采用层级"),
        },
        Some(Outcome::Decline) => Ok(Decision::Decline { reason }),
        Some(Outcome::Return) => Ok(Decision::Return { reason }),
        Some(Outcome::Merge) => match into {
            Some(into) => Ok(Decision::Merge { into }),
            None => invalid("into", "required", "请填写合并目标的编号"),
        },
        None => invalid("decision", "invalid_choice", "请选择审核结果"),
    };
    let r = match decision {
        Ok(d) => review::review(&state.app, &f.granted, id, &d).await,
        Err(e) => Err(e.into()),
    };
    after(&state, &f.auth, "office", id, r).await
}

/// The text of a report as the bulletin will print it.
#[derive(serde::Deserialize)]
struct Publication {
    #[serde(default)]
    published_title: String,
    #[serde(default)]
    published_body: String,
}

async fn publication(
    S(state): S<State>,
    Path(id): Path<String>,
    f: GrantedForm<ReviewOpinionReports, Publication>,
) -> PageResult {
    let id = id_of(&id)?;
    let p = &f.form;
    let r = review::edit_for_publication(
        &state.app,
        &f.granted,
        id,
        &p.published_title,
        &p.published_body,
    )
    .await;
    after(&state, &f.auth, "office", id, r).await
}

/// Sending an adopted report on: to a handling unit of ours, or to a named body.
#[derive(serde::Deserialize)]
struct Forward {
    handling_unit_id: Option<i64>,
    #[serde(default)]
    target: String,
    #[serde(default)]
    note: String,
}

async fn forward(
    S(state): S<State>,
    Path(id): Path<String>,
    f: GrantedForm<ReviewOpinionReports, Forward>,
) -> PageResult {
    let id = id_of(&id)?;
    let w = &f.form;
    let r = review::forward(
        &state.app,
        &f.granted,
        id,
        w.handling_unit_id,
        &w.target,
        &w.note,
    )
    .await;
    after(&state, &f.auth, "office", id, r).await
}

/// A leader's written instruction (领导批示) on a report.
#[derive(serde::Deserialize)]
struct Instruction {
    #[serde(default)]
    leader: String,
    #[serde(default)]
    level: String,
    #[serde(default)]
    on_date: String,
    #[serde(default)]
    text: String,
}

async fn instruction(
    S(state): S<State>,
    Path(id): Path<String>,
    f: GrantedForm<ReviewOpinionReports, Instruction>,
) -> PageResult {
    let id = id_of(&id)?;
    let i = &f.form;
    let i = InstructionInput {
        leader: &i.leader,
        level: &i.level,
        on_date: &i.on_date,
        text: &i.text,
    };
    let r = review::instruct(&state.app, &f.granted, id, &i).await;
    after(&state, &f.auth, "office", id, r).await
}

/// What came of a report: the whole account and the part the public may read.
#[derive(serde::Deserialize)]
struct Feedback {
    #[serde(default)]
    body: String,
    #[serde(default)]
    public_text: String,
}

async fn office_feedback(
    S(state): S<State>,
    Path(id): Path<String>,
    f: GrantedForm<ReviewOpinionReports, Feedback>,
) -> PageResult {
    let id = id_of(&id)?;
    let b = &f.form;
    let r = review::feedback_by_office(&state.app, &f.granted, id, &b.body, &b.public_text).await;
    after(&state, &f.auth, "office", id, r).await
}

async fn unit_feedback(
    S(state): S<State>,
    Path(id): Path<String>,
    f: GrantedForm<HandleAssignments, Feedback>,
) -> PageResult {
    let id = id_of(&id)?;
    let b = &f.form;
    let r = review::feedback_by_unit(&state.app, &f.granted, id, &b.body, &b.public_text).await;
    after(&state, &f.auth, "unit", id, r).await
}

#[derive(Template)]
#[template(path = "bulletins.html")]
struct BulletinsPage {
    nav: Nav,
    bulletins: Vec<BulletinRow>,
    candidates: Lines,
    saved: bool,
    error: String,
}

async fn bulletins_page(state: &State, a: &Auth, saved: bool, error: String) -> PageResult {
    let g = a.actor.grant::<ReviewOpinionReports>()?;
    let f = Filter {
        unpublished: true,
        ..Filter::default()
    };
    let mut r = page(&BulletinsPage {
        nav: Nav::for_auth(Some(a)),
        bulletins: bulletins::list(&state.app, &g).await?,
        candidates: views::office_list(&state.app, &g, &f, 1).await?,
        saved,
        error: error.clone(),
    });
    if !error.is_empty() {
        *r.status_mut() = axum::http::StatusCode::CONFLICT;
    }
    Ok(r)
}

async fn bulletin_list(
    S(state): S<State>,
    PageAuth(a): PageAuth,
    RawQuery(q): RawQuery,
) -> PageResult {
    bulletins_page(&state, &a, saved_in(&q), String::new()).await
}

/// A new bulletin issue: its title and the reports ticked for it.
#[derive(serde::Deserialize)]
struct Compile {
    #[serde(default)]
    title: String,
    #[serde(default)]
    report_id: Vec<i64>,
}

async fn compile(S(state): S<State>, f: GrantedForm<ReviewOpinionReports, Compile>) -> PageResult {
    let r = bulletins::compile(&state.app, &f.granted, &f.form.title, &f.form.report_id)
        .await
        .map(|_| ());
    after_step(r, "/office/bulletins?saved=1".into(), |msg| {
        bulletins_page(&state, &f.auth, false, msg)
    })
    .await
}

async fn bulletin_pdf(
    S(state): S<State>,
    PageAuth(a): PageAuth,
    Path(id): Path<String>,
) -> PageResult {
    let g = a.actor.grant::<ReviewOpinionReports>()?;
    let id = id_of(&id)?;
    let pdf = bulletins::pdf(&state.app, &g, id).await?;
    let mut r = pdf.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"bulletin-{id}.pdf\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}
