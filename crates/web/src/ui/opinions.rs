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
use crate::session::{Auth, CsrfForm, PageAuth};

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
pub fn page_no(pairs: &[(String, String)]) -> i64 {
    get_of(pairs, "page")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
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
    let lines = views::mine(&state.app, &g, page_no(&q)).await?;
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
    let lines = views::office_list(&state.app, &g, &f, page_no(&q)).await?;
    Ok(list_page(&a, "office", lines, q))
}

async fn unit_list(S(state): S<State>, PageAuth(a): PageAuth, RawQuery(q): RawQuery) -> PageResult {
    let g = a.actor.grant::<HandleAssignments>()?;
    let q = pairs_of(q)?;
    let lines = views::unit_list(&state.app, &g, page_no(&q)).await?;
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

fn input_of(f: &CsrfForm) -> ReportInput<'_> {
    let get = |k: &str| f.form.get(k).unwrap_or("");
    let kind = get("author_kind");
    ReportInput {
        title: get("title"),
        body: get("body"),
        suggestions: get("suggestions"),
        author_kind: kind,
        collective_id: get(&format!("collective_{kind}")).parse().ok(),
        co_authors: ids_of(f, "co_author"),
    }
}

pub fn ids_of(f: &CsrfForm, key: &str) -> Vec<i64> {
    f.form
        .0
        .iter()
        .filter(|(k, _)| k == key)
        .filter_map(|(_, v)| v.trim().parse().ok())
        .collect()
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

async fn create(S(state): S<State>, f: CsrfForm) -> PageResult {
    let g = f.auth.actor.grant::<DraftOpinionReports>()?;
    let input = input_of(&f);
    match drafting::draft(&state.app, &g, &input).await {
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

/// Concerns from the member's inbox become a draft (the inbox's "整理为社情民意信息").
async fn draft_from_concerns(S(state): S<State>, f: CsrfForm) -> PageResult {
    let g = f.auth.actor.grant::<AnswerConcerns>()?;
    let id = concern_views::draft_opinion_report(&state.app, &g, &ids_of(&f, "concern_id")).await?;
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

async fn edit(S(state): S<State>, Path(id): Path<String>, f: CsrfForm) -> PageResult {
    let id = id_of(&id)?;
    let g = f.auth.actor.grant::<DraftOpinionReports>()?;
    let r = drafting::edit(&state.app, &g, id, &input_of(&f)).await;
    after(&state, &f.auth, "member", id, r).await
}

async fn submit(S(state): S<State>, Path(id): Path<String>, f: CsrfForm) -> PageResult {
    let id = id_of(&id)?;
    let g = f.auth.actor.grant::<DraftOpinionReports>()?;
    let r = drafting::submit(&state.app, &g, id).await;
    after(&state, &f.auth, "member", id, r).await
}

async fn decide(S(state): S<State>, Path(id): Path<String>, f: CsrfForm) -> PageResult {
    let id = id_of(&id)?;
    let g = f.auth.actor.grant::<ReviewOpinionReports>()?;
    let get = |k: &str| f.form.get(k).unwrap_or("").to_string();
    let decision = match get("decision").as_str() {
        "adopt" => match Level::parse(&get("level")) {
            Some(l) => Ok(Decision::Adopt(l)),
            None => Err(
                lianxin_domain::Invalid::one("level", "invalid_choice", "请选择采用层级").into(),
            ),
        },
        "decline" => Ok(Decision::Decline {
            reason: get("reason"),
        }),
        "return" => Ok(Decision::Return {
            reason: get("reason"),
        }),
        "merge" => match get("into").trim().parse() {
            Ok(into) => Ok(Decision::Merge { into }),
            Err(_) => {
                Err(lianxin_domain::Invalid::one("into", "required", "请填写合并目标的编号").into())
            }
        },
        _ => {
            Err(lianxin_domain::Invalid::one("decision", "invalid_choice", "请选择审核结果").into())
        }
    };
    let r = match decision {
        Ok(d) => review::review(&state.app, &g, id, &d).await,
        Err(e) => Err(e),
    };
    after(&state, &f.auth, "office", id, r).await
}

async fn publication(S(state): S<State>, Path(id): Path<String>, f: CsrfForm) -> PageResult {
    let id = id_of(&id)?;
    let g = f.auth.actor.grant::<ReviewOpinionReports>()?;
    let get = |k: &str| f.form.get(k).unwrap_or("");
    let r = review::edit_for_publication(
        &state.app,
        &g,
        id,
        get("published_title"),
        get("published_body"),
    )
    .await;
    after(&state, &f.auth, "office", id, r).await
}

async fn forward(S(state): S<State>, Path(id): Path<String>, f: CsrfForm) -> PageResult {
    let id = id_of(&id)?;
    let g = f.auth.actor.grant::<ReviewOpinionReports>()?;
    let get = |k: &str| f.form.get(k).unwrap_or("");
    let unit = get("handling_unit_id").parse().ok();
    let r = review::forward(&state.app, &g, id, unit, get("target"), get("note")).await;
    after(&state, &f.auth, "office", id, r).await
}

async fn instruction(S(state): S<State>, Path(id): Path<String>, f: CsrfForm) -> PageResult {
    let id = id_of(&id)?;
    let g = f.auth.actor.grant::<ReviewOpinionReports>()?;
    let get = |k: &str| f.form.get(k).unwrap_or("");
    let i = InstructionInput {
        leader: get("leader"),
        level: get("level"),
        on_date: get("on_date"),
        text: get("text"),
    };
    let r = review::instruct(&state.app, &g, id, &i).await;
    after(&state, &f.auth, "office", id, r).await
}

async fn office_feedback(S(state): S<State>, Path(id): Path<String>, f: CsrfForm) -> PageResult {
    let id = id_of(&id)?;
    let g = f.auth.actor.grant::<ReviewOpinionReports>()?;
    let get = |k: &str| f.form.get(k).unwrap_or("");
    let r = review::feedback_by_office(&state.app, &g, id, get("body"), get("public_text")).await;
    after(&state, &f.auth, "office", id, r).await
}

async fn unit_feedback(S(state): S<State>, Path(id): Path<String>, f: CsrfForm) -> PageResult {
    let id = id_of(&id)?;
    let g = f.auth.actor.grant::<HandleAssignments>()?;
    let get = |k: &str| f.form.get(k).unwrap_or("");
    let r = review::feedback_by_unit(&state.app, &g, id, get("body"), get("public_text")).await;
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

async fn compile(S(state): S<State>, f: CsrfForm) -> PageResult {
    let g = f.auth.actor.grant::<ReviewOpinionReports>()?;
    let r = bulletins::compile(
        &state.app,
        &g,
        f.form.get("title").unwrap_or(""),
        &ids_of(&f, "report_id"),
    )
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
