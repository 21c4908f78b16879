//! Proposal pages: the proposer's and co-signers' workspace (`/me/proposals`), the office's
//! review, assignment, oversight, windows and league table (`/office/proposals…`), a unit's
//! assigned proposals (`/unit/proposals`), and the public's accepted proposals
//! (`/proposals`).

use crate::routes::{Routes, get, post};
use askama::Template;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State as S};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Datelike;
use lianxin_domain::access::Public;
use lianxin_domain::access::{DraftProposals, HandleAssignments, ManageProposals, ViewDashboard};
use lianxin_domain::proposal::{
    AnswerClass, CollectiveBody, Conversion, Kind, OversightKind, Ranked, Status, WindowKind,
};
use lianxin_service::concerns::views as concern_views;
use lianxin_service::proposals::drafting::{self, ProposalInput};
use lianxin_service::proposals::review;
use lianxin_service::proposals::units::{self, AnswerInput};
use lianxin_service::proposals::views::{self, Lines, ProposalView};
use lianxin_service::rows::ProposalFilter as Filter;

use super::opinions::{get_of, ids_of, page_no, pairs_of};
use super::workspace::id_of;
use super::{Nav, after_step, filters, page};
use crate::error::PageError;
use crate::session::{Auth, CsrfForm, CsrfMultipart, MaybeAuth, PageAuth};
use crate::{State, UPLOAD_LIMIT};

type PageResult = Result<Response, PageError>;

pub fn routes() -> Routes {
    let routes = Routes::new()
        .route("/me/proposals", get(mine))
        .route("/me/proposals/new", get(new_form).post(create))
        .route("/me/proposals/{id}", get(member_detail))
        .route("/me/proposals/{id}/edit", post(edit))
        .route("/me/proposals/{id}/submit", post(submit))
        .route("/me/proposals/{id}/respond", post(respond))
        .route("/me/proposals/{id}/rate", post(rate))
        .route("/office/proposals", get(office_list))
        .route("/office/proposals/{id}", get(office_detail))
        .route("/office/proposal-windows", get(windows).post(set_window))
        .route("/office/proposal-stats", get(stats))
        .route("/unit/proposals", get(unit_list))
        .route("/unit/proposals/{id}", get(unit_detail))
        .route(
            "/unit/proposals/{id}/answer",
            post(answer).layer(DefaultBodyLimit::max(UPLOAD_LIMIT + 256 * 1024)),
        )
        .route("/proposals", get(public_list))
        .route("/proposals/{id}", get(public_detail))
        .route("/proposals/{id}/answers/{aid}", get(attachment));
    let routes = crate::actions!(
        routes,
        "/office/proposals",
        office_step,
        [
            "accept",
            "not-accept",
            "merge",
            "assign",
            "approve-extension",
            "key",
            "oversight",
            "excellent"
        ]
    );
    crate::actions!(
        routes,
        "/unit/proposals",
        unit_step,
        ["object", "extension", "co-opinion"]
    )
}

#[derive(Template)]
#[template(path = "proposals.html")]
struct ListPage {
    nav: Nav,
    audience: &'static str,
    lines: Lines,
    invitations: Vec<(i64, String, String)>,
    q: Vec<(String, String)>,
    statuses: Vec<(&'static str, &'static str)>,
}

impl ListPage {
    fn q(&self, k: &str) -> &str {
        get_of(&self.q, k).unwrap_or("")
    }
    fn status_label(&self, code: &str) -> &'static str {
        Status::parse(code).map(|s| s.label()).unwrap_or("")
    }
    fn kind_label(&self, code: &str) -> &'static str {
        Kind::parse(code).map(|s| s.label()).unwrap_or("")
    }
    fn number(&self, year: &i64, n: &Option<i64>) -> String {
        n.map(|n| lianxin_domain::proposal::number_label(*year as i32, n))
            .unwrap_or_default()
    }
    fn overdue(&self, status: &str, due: &Option<chrono::DateTime<chrono::Utc>>) -> bool {
        matches!(status, "assigned" | "rehandling") && due.is_some_and(|d| d < chrono::Utc::now())
    }
    fn base(&self) -> &'static str {
        match self.audience {
            "office" => "/office/proposals",
            "unit" => "/unit/proposals",
            "public" => "/proposals",
            _ => "/me/proposals",
        }
    }
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

fn list_page(
    a: Option<&Auth>,
    audience: &'static str,
    lines: Lines,
    invitations: Vec<(i64, String, String)>,
    q: Vec<(String, String)>,
) -> Response {
    page(&ListPage {
        nav: Nav::for_auth(a),
        audience,
        lines,
        invitations,
        q,
        statuses: Status::options()
            .into_iter()
            .filter(|s| s.0 != "draft")
            .collect(),
    })
}

async fn mine(S(state): S<State>, PageAuth(a): PageAuth, RawQuery(q): RawQuery) -> PageResult {
    let g = a.actor.grant::<DraftProposals>()?;
    let q = pairs_of(q)?;
    let lines = views::mine(&state.app, &g, page_no(&q)).await?;
    let inv = views::invitations(&state.app, &g).await?;
    Ok(list_page(Some(&a), "member", lines, inv, q))
}

fn this_year() -> i64 {
    i64::from(lianxin_service::opinions::bulletins::china(chrono::Utc::now()).year())
}

async fn office_list(
    S(state): S<State>,
    PageAuth(a): PageAuth,
    RawQuery(q): RawQuery,
) -> PageResult {
    let g = a.actor.grant::<ManageProposals>()?;
    let q = pairs_of(q)?;
    let f = Filter {
        year: get_of(&q, "year").and_then(|y| y.parse().ok()),
        status: get_of(&q, "status")
            .and_then(Status::parse)
            .map(|s| s.code().into()),
        category: get_of(&q, "category").map(str::to_string),
        key_only: get_of(&q, "key").is_some(),
        overdue_at: get_of(&q, "overdue").map(|_| chrono::Utc::now()),
        q: get_of(&q, "q").map(str::to_string),
        ..Filter::default()
    };
    let lines = views::office_list(&state.app, &g, &f, page_no(&q)).await?;
    Ok(list_page(Some(&a), "office", lines, vec![], q))
}

async fn unit_list(S(state): S<State>, PageAuth(a): PageAuth, RawQuery(q): RawQuery) -> PageResult {
    let g = a.actor.grant::<HandleAssignments>()?;
    let q = pairs_of(q)?;
    let lines = views::unit_list(&state.app, &g, page_no(&q)).await?;
    Ok(list_page(Some(&a), "unit", lines, vec![], q))
}

async fn public_committee(state: &State, auth: &Option<Auth>) -> Result<i64, PageError> {
    match auth {
        Some(a) => Ok(a.actor.committee_id),
        None => lianxin_service::committees::default_public(&state.app)
            .await?
            .ok_or_else(|| PageError(views_not_found())),
    }
}

fn views_not_found() -> lianxin_service::Error {
    lianxin_service::proposals::not_found()
}

async fn public_list(
    S(state): S<State>,
    MaybeAuth(a): MaybeAuth,
    RawQuery(q): RawQuery,
) -> PageResult {
    let q = pairs_of(q)?;
    let cid = public_committee(&state, &a).await?;
    let lines = views::public_list(
        &state.app,
        Public,
        cid,
        get_of(&q, "q").map(str::to_string),
        page_no(&q),
    )
    .await?;
    Ok(list_page(a.as_ref(), "public", lines, vec![], q))
}

#[derive(Template)]
#[template(path = "proposal_form.html")]
struct FormPage {
    nav: Nav,
    action: String,
    title: String,
    cause: String,
    analysis: String,
    suggestions: String,
    kind: String,
    collective_body: String,
    collective_name: String,
    cosigners: Vec<i64>,
    members: Vec<(i64, String)>,
    kinds: Vec<(&'static str, &'static str)>,
    bodies: Vec<(&'static str, &'static str)>,
    fixed_kind: bool,
    error: String,
}

impl FormPage {
    fn chosen(&self, id: &i64) -> bool {
        self.cosigners.contains(id)
    }
}

fn input_of(f: &CsrfForm) -> ProposalInput<'_> {
    let get = |k: &str| f.form.get(k).unwrap_or("");
    ProposalInput {
        title: get("title"),
        cause: get("cause"),
        analysis: get("analysis"),
        suggestions: get("suggestions"),
        kind: get("kind"),
        collective_body: get("collective_body"),
        collective_name: get("collective_name"),
        cosigners: ids_of(f, "cosigner"),
    }
}

async fn form_of(
    state: &State,
    a: &Auth,
    action: String,
    i: &ProposalInput<'_>,
    fixed_kind: bool,
    error: String,
) -> Result<FormPage, PageError> {
    let members = concern_views::targets(&state.app, a.actor.committee_id)
        .await?
        .1;
    Ok(FormPage {
        nav: Nav::for_auth(Some(a)),
        action,
        title: i.title.into(),
        cause: i.cause.into(),
        analysis: i.analysis.into(),
        suggestions: i.suggestions.into(),
        kind: if i.kind.is_empty() {
            "individual".into()
        } else {
            i.kind.into()
        },
        collective_body: i.collective_body.into(),
        collective_name: i.collective_name.into(),
        cosigners: i.cosigners.clone(),
        members: members
            .into_iter()
            .filter(|m| Some(m.0) != a.actor.member_id)
            .collect(),
        kinds: Kind::options(),
        bodies: CollectiveBody::options(),
        fixed_kind,
        error,
    })
}

async fn new_form(S(state): S<State>, PageAuth(a): PageAuth) -> PageResult {
    a.actor.grant::<DraftProposals>()?;
    Ok(page(
        &form_of(
            &state,
            &a,
            "/me/proposals/new".into(),
            &ProposalInput::default(),
            false,
            String::new(),
        )
        .await?,
    ))
}

async fn create(S(state): S<State>, f: CsrfForm) -> PageResult {
    let g = f.auth.actor.grant::<DraftProposals>()?;
    let input = input_of(&f);
    match drafting::draft(&state.app, &g, &input).await {
        Ok(id) => Ok(Redirect::to(&format!("/me/proposals/{id}?saved=1")).into_response()),
        Err(e @ (lianxin_service::Error::Invalid(_) | lianxin_service::Error::Conflict { .. })) => {
            let form = form_of(
                &state,
                &f.auth,
                "/me/proposals/new".into(),
                &input,
                false,
                crate::error::describe(&e).1,
            )
            .await?;
            let mut r = page(&form);
            *r.status_mut() = crate::error::status_of(&e);
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "proposal.html")]
struct DetailPage {
    nav: Nav,
    audience: &'static str,
    v: ProposalView,
    me: Option<i64>,
    unit: Option<i64>,
    form: Option<FormPage>,
    units: Vec<(i64, String)>,
    classes: Vec<(&'static str, &'static str)>,
    conversions: Vec<(&'static str, &'static str)>,
    oversight: Vec<(&'static str, &'static str)>,
    saved: bool,
    error: String,
}

impl DetailPage {
    fn is_lead(&self) -> bool {
        self.me == Some(self.v.row.member_id)
    }
    fn invited(&self) -> bool {
        self.me.is_some_and(|m| {
            self.v
                .signers
                .iter()
                .any(|s| s.member_id == m && s.status == "invited")
        })
    }
    /// This unit's role in the proposal, if assigned.
    fn my_role(&self) -> &str {
        self.v
            .units
            .iter()
            .find(|u| Some(u.handling_unit_id) == self.unit)
            .map(|u| u.role.as_str())
            .unwrap_or("")
    }
    fn handling(&self) -> bool {
        matches!(self.v.status, Status::Assigned | Status::Rehandling)
    }
}

async fn detail_page(
    state: &State,
    a: Option<&Auth>,
    audience: &'static str,
    id: i64,
    saved: bool,
    error: String,
) -> PageResult {
    let app = &state.app;
    let mut units = vec![];
    let mut form = None;
    let v = match (audience, a) {
        ("office", Some(a)) => {
            let g = a.actor.grant::<ManageProposals>()?;
            units = concern_views::targets(app, a.actor.committee_id).await?.3;
            views::for_office(app, &g, id).await?
        }
        ("unit", Some(a)) => {
            views::for_unit(app, &a.actor.grant::<HandleAssignments>()?, id).await?
        }
        ("member", Some(a)) => {
            let v = views::for_member(app, &a.actor.grant::<DraftProposals>()?, id).await?;
            if v.editable() && Some(v.row.member_id) == a.actor.member_id {
                let signers: Vec<i64> = v.signers.iter().map(|s| s.member_id).collect();
                let i = ProposalInput {
                    title: &v.row.title,
                    cause: &v.row.cause,
                    analysis: &v.row.analysis,
                    suggestions: &v.row.suggestions,
                    kind: &v.row.kind,
                    collective_body: v.row.collective_body.as_deref().unwrap_or(""),
                    collective_name: v.row.collective_name.as_deref().unwrap_or(""),
                    cosigners: signers,
                };
                form = Some(
                    form_of(
                        state,
                        a,
                        format!("/me/proposals/{id}/edit"),
                        &i,
                        v.row.submitted_at.is_some(),
                        String::new(),
                    )
                    .await?,
                );
            }
            v
        }
        _ => {
            let cid = public_committee(state, &a.cloned()).await?;
            views::public(app, Public, cid, id).await?
        }
    };
    let status = if error.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::CONFLICT
    };
    let mut r = page(&DetailPage {
        nav: Nav::for_auth(a),
        audience,
        me: a.and_then(|a| a.actor.member_id),
        unit: a.and_then(|a| a.actor.handling_unit_id),
        v,
        form,
        units,
        classes: AnswerClass::options(),
        conversions: Conversion::options(),
        oversight: OversightKind::options(),
        saved,
        error,
    });
    *r.status_mut() = status;
    Ok(r)
}

fn saved_in(q: &Option<String>) -> bool {
    q.as_deref().is_some_and(|q| q.contains("saved"))
}

async fn member_detail(
    S(state): S<State>,
    PageAuth(a): PageAuth,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> PageResult {
    detail_page(
        &state,
        Some(&a),
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
        Some(&a),
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
    detail_page(
        &state,
        Some(&a),
        "unit",
        id_of(&id)?,
        saved_in(&q),
        String::new(),
    )
    .await
}
async fn public_detail(
    S(state): S<State>,
    MaybeAuth(a): MaybeAuth,
    Path(id): Path<String>,
) -> PageResult {
    detail_page(
        &state,
        a.as_ref(),
        "public",
        id_of(&id)?,
        false,
        String::new(),
    )
    .await
}

async fn after(
    state: &State,
    a: &Auth,
    audience: &'static str,
    id: i64,
    r: lianxin_service::Result<()>,
) -> PageResult {
    let base = match audience {
        "office" => "/office/proposals",
        "unit" => "/unit/proposals",
        _ => "/me/proposals",
    };
    after_step(r, format!("{base}/{id}?saved=1"), |msg| {
        detail_page(state, Some(a), audience, id, false, msg)
    })
    .await
}

async fn edit(S(state): S<State>, Path(id): Path<String>, f: CsrfForm) -> PageResult {
    let id = id_of(&id)?;
    let g = f.auth.actor.grant::<DraftProposals>()?;
    let r = drafting::edit(&state.app, &g, id, &input_of(&f)).await;
    after(&state, &f.auth, "member", id, r).await
}

async fn submit(S(state): S<State>, Path(id): Path<String>, f: CsrfForm) -> PageResult {
    let id = id_of(&id)?;
    let g = f.auth.actor.grant::<DraftProposals>()?;
    let r = drafting::submit(&state.app, &g, id).await;
    after(&state, &f.auth, "member", id, r).await
}

async fn respond(S(state): S<State>, Path(id): Path<String>, f: CsrfForm) -> PageResult {
    let id = id_of(&id)?;
    let g = f.auth.actor.grant::<DraftProposals>()?;
    let accept = f.form.get("accept") == Some("yes");
    let r = drafting::respond(&state.app, &g, id, accept).await;
    after(&state, &f.auth, "member", id, r).await
}

async fn rate(S(state): S<State>, Path(id): Path<String>, f: CsrfForm) -> PageResult {
    let id = id_of(&id)?;
    let g = f.auth.actor.grant::<DraftProposals>()?;
    let get = |k: &str| f.form.get(k).unwrap_or("");
    let r = drafting::rate(&state.app, &g, id, get("rating"), get("comment")).await;
    after(&state, &f.auth, "member", id, r).await
}

/// The units of an assignment from the form: a lead plus co-handling units, or separate units.
fn assignment_of(f: &CsrfForm) -> Vec<(i64, &'static str)> {
    if f.form.get("mode") == Some("separate") {
        return ids_of(f, "separate_unit")
            .into_iter()
            .map(|u| (u, "separate"))
            .collect();
    }
    let mut list: Vec<(i64, &'static str)> = f
        .form
        .get("lead_unit")
        .and_then(|v| v.parse().ok())
        .map(|u| vec![(u, "lead")])
        .unwrap_or_default();
    list.extend(ids_of(f, "co_unit").into_iter().map(|u| (u, "co")));
    list
}

async fn office_step(
    S(state): S<State>,
    Path(id): Path<String>,
    step: &'static str,
    f: CsrfForm,
) -> PageResult {
    let id = id_of(&id)?;
    let g = f.auth.actor.grant::<ManageProposals>()?;
    let app = &state.app;
    let get = |k: &str| f.form.get(k).unwrap_or("");
    let r = match step {
        "accept" => {
            review::accept(
                app,
                &g,
                id,
                get("number"),
                get("category"),
                get("internal") == "on",
            )
            .await
        }
        "not-accept" => {
            review::not_accept(
                app,
                &g,
                id,
                get("reason"),
                get("conversion"),
                get("letter_unit_id").parse().ok(),
            )
            .await
        }
        "merge" => match get("into").trim().parse() {
            Ok(into) => review::merge(app, &g, id, into).await,
            Err(_) => {
                Err(lianxin_domain::Invalid::one("into", "required", "请填写并案目标的编号").into())
            }
        },
        "assign" => review::assign(app, &g, id, &assignment_of(&f)).await,
        "approve-extension" => review::approve_extension(app, &g, id).await,
        "key" => review::mark_key(app, &g, id, get("leader")).await,
        "oversight" => {
            review::oversight_note(app, &g, id, get("kind"), get("on_date"), get("body")).await
        }
        "excellent" => review::mark_excellent(app, &g, id).await,
        _ => {
            return Err(PageError(lianxin_service::Error::not_found(
                "page.not_found",
                "页面不存在",
            )));
        }
    };
    after(&state, &f.auth, "office", id, r).await
}

async fn unit_step(
    S(state): S<State>,
    Path(id): Path<String>,
    step: &'static str,
    f: CsrfForm,
) -> PageResult {
    let id = id_of(&id)?;
    let g = f.auth.actor.grant::<HandleAssignments>()?;
    let app = &state.app;
    let get = |k: &str| f.form.get(k).unwrap_or("");
    let r = match step {
        "object" => units::object(app, &g, id, get("reason")).await,
        "extension" => units::request_extension(app, &g, id, get("reason")).await,
        "co-opinion" => units::co_opinion(app, &g, id, get("body")).await,
        _ => {
            return Err(PageError(lianxin_service::Error::not_found(
                "page.not_found",
                "页面不存在",
            )));
        }
    };
    after(&state, &f.auth, "unit", id, r).await
}

/// The answer letter, with an optional attachment (multipart).
async fn answer(
    S(state): S<State>,
    Path(id): Path<String>,
    m: CsrfMultipart<HandleAssignments>,
) -> PageResult {
    let id = id_of(&id)?;
    let g = m.granted.clone();
    let get = |k: &str| m.field(k);
    let file = m
        .files
        .iter()
        .find(|(n, _, b)| n == "attachment" && !b.is_empty())
        .map(|(_, name, bytes)| (name.as_str(), bytes.as_slice()));
    let i = AnswerInput {
        class: get("answer_class"),
        body: get("body"),
        attachment: file,
    };
    let r = units::answer(&state.app, &g, id, &i).await;
    after(&state, &m.auth, "unit", id, r).await
}

async fn attachment(
    S(state): S<State>,
    MaybeAuth(a): MaybeAuth,
    Path((id, aid)): Path<(String, String)>,
) -> PageResult {
    let cid = public_committee(&state, &a).await?;
    let (name, mime, bytes) = views::attachment(
        &state.app,
        a.as_ref().map(|a| &a.actor),
        cid,
        id_of(&id)?,
        id_of(&aid)?,
    )
    .await?;
    Ok(super::download(&name, &mime, bytes, "answer"))
}

#[derive(Template)]
#[template(path = "proposal_windows.html")]
struct WindowsPage {
    nav: Nav,
    windows: Vec<(i64, &'static str, String, String)>,
    kinds: Vec<(&'static str, &'static str)>,
    year: i64,
    saved: bool,
    error: String,
}

async fn windows_page(state: &State, a: &Auth, saved: bool, error: String) -> PageResult {
    let g = a.actor.grant::<ManageProposals>()?;
    let mut r = page(&WindowsPage {
        nav: Nav::for_auth(Some(a)),
        windows: drafting::windows(&state.app, &g).await?,
        kinds: WindowKind::options(),
        year: this_year(),
        saved,
        error: error.clone(),
    });
    if !error.is_empty() {
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

async fn windows(S(state): S<State>, PageAuth(a): PageAuth, RawQuery(q): RawQuery) -> PageResult {
    windows_page(&state, &a, saved_in(&q), String::new()).await
}

async fn set_window(S(state): S<State>, f: CsrfForm) -> PageResult {
    let g = f.auth.actor.grant::<ManageProposals>()?;
    let get = |k: &str| f.form.get(k).unwrap_or("");
    let r = drafting::set_window(
        &state.app,
        &g,
        get("year"),
        get("kind"),
        get("opens_on"),
        get("closes_on"),
    )
    .await;
    after_step(r, "/office/proposal-windows?saved=1".into(), |msg| {
        windows_page(&state, &f.auth, false, msg)
    })
    .await
}

#[derive(Template)]
#[template(path = "proposal_stats.html")]
struct StatsPage {
    nav: Nav,
    year: i64,
    rows: Vec<Ranked>,
    min: i64,
}

impl StatsPage {
    fn pct(&self, v: &Option<f64>) -> String {
        v.map(|x| format!("{:.0}%", x * 100.0))
            .unwrap_or_else(|| "—".into())
    }
}

async fn stats(S(state): S<State>, PageAuth(a): PageAuth, RawQuery(q): RawQuery) -> PageResult {
    let g = a.actor.grant::<ViewDashboard>()?;
    let q = pairs_of(q)?;
    let year = get_of(&q, "year")
        .and_then(|y| y.parse().ok())
        .unwrap_or_else(this_year);
    let rows = views::unit_league(&state.app, &g, year).await?;
    Ok(page(&StatsPage {
        nav: Nav::for_auth(Some(&a)),
        year,
        rows,
        min: lianxin_domain::proposal::MIN_RANKED,
    }))
}
