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

use super::opinions::{get_of, page_no, pairs_of};
use super::workspace::id_of;
use super::{Nav, after_step, filters, page};
use crate::error::PageError;
use crate::form::{Button, GrantedForm};
use crate::session::{Auth, CsrfMultipart, MaybeAuth, PageAuth};
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
    // The office's steps and the units' steps: a route and a typed form each.
    routes
        .route("/office/proposals/{id}/accept", post(accept))
        .route("/office/proposals/{id}/not-accept", post(not_accept))
        .route("/office/proposals/{id}/merge", post(merge))
        .route("/office/proposals/{id}/assign", post(assign))
        .route(
            "/office/proposals/{id}/approve-extension",
            post(approve_extension),
        )
        .route("/office/proposals/{id}/key", post(mark_key))
        .route("/office/proposals/{id}/oversight", post(oversight))
        .route("/office/proposals/{id}/excellent", post(excellent))
        .route("/unit/proposals/{id}/object", post(object))
        .route("/unit/proposals/{id}/extension", post(extension))
        .route("/unit/proposals/{id}/co-opinion", post(co_opinion))
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
    let lines = views::mine(&state.app, &g, page_no(&q)?).await?;
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
    let lines = views::office_list(&state.app, &g, &f, page_no(&q)?).await?;
    Ok(list_page(Some(&a), "office", lines, vec![], q))
}

async fn unit_list(S(state): S<State>, PageAuth(a): PageAuth, RawQuery(q): RawQuery) -> PageResult {
    let g = a.actor.grant::<HandleAssignments>()?;
    let q = pairs_of(q)?;
    let lines = views::unit_list(&state.app, &g, page_no(&q)?).await?;
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
        page_no(&q)?,
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

/// The proposal form: its four parts, individual or collective, and the co-signers ticked.
#[derive(serde::Deserialize)]
struct ProposalForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    cause: String,
    #[serde(default)]
    analysis: String,
    #[serde(default)]
    suggestions: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    collective_body: String,
    #[serde(default)]
    collective_name: String,
    #[serde(default)]
    cosigner: Vec<i64>,
}

impl ProposalForm {
    fn input(&self) -> ProposalInput<'_> {
        ProposalInput {
            title: &self.title,
            cause: &self.cause,
            analysis: &self.analysis,
            suggestions: &self.suggestions,
            kind: &self.kind,
            collective_body: &self.collective_body,
            collective_name: &self.collective_name,
            cosigners: self.cosigner.clone(),
        }
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

async fn create(S(state): S<State>, f: GrantedForm<DraftProposals, ProposalForm>) -> PageResult {
    let input = f.form.input();
    match drafting::draft(&state.app, &f.granted, &input).await {
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

async fn edit(
    S(state): S<State>,
    Path(id): Path<String>,
    f: GrantedForm<DraftProposals, ProposalForm>,
) -> PageResult {
    let id = id_of(&id)?;
    let r = drafting::edit(&state.app, &f.granted, id, &f.form.input()).await;
    after(&state, &f.auth, "member", id, r).await
}

async fn submit(
    S(state): S<State>,
    Path(id): Path<String>,
    f: GrantedForm<DraftProposals, Button>,
) -> PageResult {
    let id = id_of(&id)?;
    let r = drafting::submit(&state.app, &f.granted, id).await;
    after(&state, &f.auth, "member", id, r).await
}

/// A co-signer's answer to an invitation: `accept=yes` joins, anything else declines.
#[derive(serde::Deserialize)]
struct Invitation {
    #[serde(default)]
    accept: String,
}

async fn respond(
    S(state): S<State>,
    Path(id): Path<String>,
    f: GrantedForm<DraftProposals, Invitation>,
) -> PageResult {
    let id = id_of(&id)?;
    let accept = f.form.accept == "yes";
    let r = drafting::respond(&state.app, &f.granted, id, accept).await;
    after(&state, &f.auth, "member", id, r).await
}

/// The proposer's satisfaction with the answer.
#[derive(serde::Deserialize)]
struct RateForm {
    #[serde(default)]
    rating: String,
    #[serde(default)]
    comment: String,
}

async fn rate(
    S(state): S<State>,
    Path(id): Path<String>,
    f: GrantedForm<DraftProposals, RateForm>,
) -> PageResult {
    let id = id_of(&id)?;
    let r = drafting::rate(&state.app, &f.granted, id, &f.form.rating, &f.form.comment).await;
    after(&state, &f.auth, "member", id, r).await
}

type OfficeForm<T> = GrantedForm<ManageProposals, T>;
type UnitForm<T> = GrantedForm<HandleAssignments, T>;

/// Filing (立案): the number, the category, and whether it is for internal handling.
#[derive(serde::Deserialize)]
struct Accept {
    #[serde(default)]
    number: String,
    #[serde(default)]
    category: String,
    internal: Option<String>,
}

async fn accept(S(state): S<State>, Path(id): Path<String>, f: OfficeForm<Accept>) -> PageResult {
    let id = id_of(&id)?;
    let a = &f.form;
    let internal = a.internal.as_deref() == Some("on");
    let r = review::accept(&state.app, &f.granted, id, &a.number, &a.category, internal).await;
    after(&state, &f.auth, "office", id, r).await
}

/// Not filed: why, what it becomes instead, and to which unit a letter goes.
#[derive(serde::Deserialize)]
struct NotAccept {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    conversion: String,
    letter_unit_id: Option<i64>,
}

async fn not_accept(
    S(state): S<State>,
    Path(id): Path<String>,
    f: OfficeForm<NotAccept>,
) -> PageResult {
    let id = id_of(&id)?;
    let n = &f.form;
    let r = review::not_accept(
        &state.app,
        &f.granted,
        id,
        &n.reason,
        &n.conversion,
        n.letter_unit_id,
    )
    .await;
    after(&state, &f.auth, "office", id, r).await
}

/// Merging (并案) into another proposal, by its number.
#[derive(serde::Deserialize)]
struct Merge {
    into: Option<i64>,
}

async fn merge(S(state): S<State>, Path(id): Path<String>, f: OfficeForm<Merge>) -> PageResult {
    let id = id_of(&id)?;
    let r = match f.form.into {
        Some(into) => review::merge(&state.app, &f.granted, id, into).await,
        None => {
            Err(lianxin_domain::Invalid::one("into", "required", "请填写并案目标的编号").into())
        }
    };
    after(&state, &f.auth, "office", id, r).await
}

/// The units of an assignment: a lead plus co-handling units, or separate units.
#[derive(serde::Deserialize)]
struct Assign {
    #[serde(default)]
    mode: String,
    lead_unit: Option<i64>,
    #[serde(default)]
    co_unit: Vec<i64>,
    #[serde(default)]
    separate_unit: Vec<i64>,
}

impl Assign {
    fn units(&self) -> Vec<(i64, &'static str)> {
        if self.mode == "separate" {
            return self
                .separate_unit
                .iter()
                .map(|&u| (u, "separate"))
                .collect();
        }
        let lead = self.lead_unit.map(|u| (u, "lead"));
        lead.into_iter()
            .chain(self.co_unit.iter().map(|&u| (u, "co")))
            .collect()
    }
}

async fn assign(S(state): S<State>, Path(id): Path<String>, f: OfficeForm<Assign>) -> PageResult {
    let id = id_of(&id)?;
    let r = review::assign(&state.app, &f.granted, id, &f.form.units()).await;
    after(&state, &f.auth, "office", id, r).await
}

async fn approve_extension(
    S(state): S<State>,
    Path(id): Path<String>,
    f: OfficeForm<Button>,
) -> PageResult {
    let id = id_of(&id)?;
    let r = review::approve_extension(&state.app, &f.granted, id).await;
    after(&state, &f.auth, "office", id, r).await
}

/// A key proposal (重点提案) and the leader who oversees it.
#[derive(serde::Deserialize)]
struct KeyProposal {
    #[serde(default)]
    leader: String,
}

async fn mark_key(
    S(state): S<State>,
    Path(id): Path<String>,
    f: OfficeForm<KeyProposal>,
) -> PageResult {
    let id = id_of(&id)?;
    let r = review::mark_key(&state.app, &f.granted, id, &f.form.leader).await;
    after(&state, &f.auth, "office", id, r).await
}

/// A note of oversight (督办): what kind, when, and what was found.
#[derive(serde::Deserialize)]
struct Oversight {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    on_date: String,
    #[serde(default)]
    body: String,
}

async fn oversight(
    S(state): S<State>,
    Path(id): Path<String>,
    f: OfficeForm<Oversight>,
) -> PageResult {
    let id = id_of(&id)?;
    let o = &f.form;
    let r = review::oversight_note(&state.app, &f.granted, id, &o.kind, &o.on_date, &o.body).await;
    after(&state, &f.auth, "office", id, r).await
}

async fn excellent(
    S(state): S<State>,
    Path(id): Path<String>,
    f: OfficeForm<Button>,
) -> PageResult {
    let id = id_of(&id)?;
    let r = review::mark_excellent(&state.app, &f.granted, id).await;
    after(&state, &f.auth, "office", id, r).await
}

/// A unit's objection to an assignment, or its request for more time: the reason.
#[derive(serde::Deserialize)]
struct Reason {
    #[serde(default)]
    reason: String,
}

async fn object(S(state): S<State>, Path(id): Path<String>, f: UnitForm<Reason>) -> PageResult {
    let id = id_of(&id)?;
    let r = units::object(&state.app, &f.granted, id, &f.form.reason).await;
    after(&state, &f.auth, "unit", id, r).await
}

async fn extension(S(state): S<State>, Path(id): Path<String>, f: UnitForm<Reason>) -> PageResult {
    let id = id_of(&id)?;
    let r = units::request_extension(&state.app, &f.granted, id, &f.form.reason).await;
    after(&state, &f.auth, "unit", id, r).await
}

/// A co-handling unit's opinion for the lead unit.
#[derive(serde::Deserialize)]
struct CoOpinion {
    #[serde(default)]
    body: String,
}

async fn co_opinion(
    S(state): S<State>,
    Path(id): Path<String>,
    f: UnitForm<CoOpinion>,
) -> PageResult {
    let id = id_of(&id)?;
    let r = units::co_opinion(&state.app, &f.granted, id, &f.form.body).await;
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

/// A submission window (征集期) of a year.
#[derive(serde::Deserialize)]
struct Window {
    #[serde(default)]
    year: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    opens_on: String,
    #[serde(default)]
    closes_on: String,
}

async fn set_window(S(state): S<State>, f: OfficeForm<Window>) -> PageResult {
    let w = &f.form;
    let r = drafting::set_window(
        &state.app,
        &f.granted,
        &w.year,
        &w.kind,
        &w.opens_on,
        &w.closes_on,
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
