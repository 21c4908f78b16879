//! Activity pages: the organiser's planning, record and check-in screen
//! (`/office/activities…`), kinds (`/office/activity-kinds`), a member's invitations and
//! check-in (`/me/activities…`, `/checkin/{id}`), the public's open activities and
//! registration (`/activities…`), and calendar feeds (`/ical/…`).

mod member;
mod organiser;

use crate::routes::{Routes, get, post};
use askama::Template;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State as S};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use lianxin_domain::access::Public;
use lianxin_domain::access::{
    DraftOpinionReports, DraftProposals, JoinActivities, ManageOrganisation, OrganiseActivities,
};
use lianxin_domain::activity::{
    Attendance, InviteScope, LeaveApprover, OrganiserType, ParticipantRole, Position,
    RegistrationStatus, Response as Answer, Status,
};
use lianxin_service::activities::attendance::{self, CheckedIn};
use lianxin_service::activities::planning::{self, ActivityInput, Choices, KindInput};
use lianxin_service::activities::views::{self, ActivityView};
use lianxin_service::activities::{calendar, registration};
use lianxin_service::paged::Paged;
use lianxin_service::rows::{ActivityRow, KindRow, MyInvitation};

use super::opinions::{get_of, page_no, pairs_of};
use super::workspace::id_of;
use super::{Nav, after_step, download, filters, page};
use crate::error::PageError;
use crate::form::GrantedForm;
use crate::session::{Auth, CsrfMultipart, MaybeAuth, PageAuth};
use crate::{State, UPLOAD_LIMIT};

type PageResult = Result<Response, PageError>;

pub fn routes() -> Routes {
    let routes = Routes::new()
        .route("/office/activities", get(organised))
        .route("/office/activities/new", get(new_form).post(create))
        .route("/office/activities/{id}", get(organiser_detail))
        .route("/office/activities/{id}/edit", get(edit_form).post(edit))
        .route("/office/activities/{id}/screen", get(screen))
        .route("/office/activities/{id}/qr.svg", get(qr))
        .route(
            "/office/activities/{id}/files",
            post(attach).layer(DefaultBodyLimit::max(UPLOAD_LIMIT + 256 * 1024)),
        )
        .route("/office/activity-kinds", get(kinds).post(add_kind))
        .route("/me/activities", get(mine))
        .route("/me/activities/{id}", get(member_detail))
        .route("/checkin/{id}", get(checkin_page).post(checkin))
        .route("/activities", get(public_list))
        .route("/activities/{id}", get(public_detail))
        .route("/activities/{id}/register", post(register))
        .route("/activities/{id}/files/{fid}", get(file))
        .route("/ical/public/{file}", get(public_ical))
        .route("/ical/{file}", get(member_ical));
    // The organiser's steps and the member's: a route and a typed form each.
    routes
        .route("/office/activities/{id}/publish", post(organiser::publish))
        .route("/office/activities/{id}/cancel", post(organiser::cancel))
        .route("/office/activities/{id}/leave", post(organiser::leave))
        .route(
            "/office/activities/{id}/record-leave",
            post(organiser::record_leave),
        )
        .route("/office/activities/{id}/checkin", post(organiser::check_in))
        .route("/office/activities/{id}/mark", post(organiser::mark))
        .route(
            "/office/activities/{id}/participant",
            post(organiser::participant),
        )
        .route("/office/activities/{id}/order", post(organiser::order))
        .route("/office/activities/{id}/speech", post(organiser::speech))
        .route("/office/activities/{id}/close", post(organiser::close))
        .route(
            "/office/activities/{id}/followup",
            post(organiser::followup),
        )
        .route(
            "/office/activities/{id}/followup-done",
            post(organiser::followup_done),
        )
        .route("/me/activities/{id}/to-report", post(member::to_report))
        .route("/me/activities/{id}/to-proposal", post(member::to_proposal))
        .route("/me/activities/{id}/confirm", post(member::confirm))
        .route("/me/activities/{id}/leave", post(member::leave))
        .route("/me/activities/{id}/note", post(member::note))
}

fn base(state: &State) -> String {
    state.public_url.trim_end_matches('/').to_string()
}

// ----- the organiser -----

#[derive(Template)]
#[template(path = "activities.html")]
struct ListPage {
    nav: Nav,
    audience: &'static str,
    rows: Vec<ActivityRow>,
    mine: Vec<MyInvitation>,
    paged: Paged<ActivityRow>,
    kinds: Vec<KindRow>,
    status: String,
    statuses: Vec<(&'static str, &'static str)>,
    ical: String,
}

impl ListPage {
    fn kind_name(&self, id: &i64) -> &str {
        self.kinds
            .iter()
            .find(|k| k.id == *id)
            .map(|k| k.name.as_str())
            .unwrap_or("")
    }
    fn status_label(&self, code: &str) -> &'static str {
        Status::parse(code).map(|s| s.label()).unwrap_or("")
    }
    fn answer_label(&self, code: &str) -> &'static str {
        Answer::parse(code).map(|s| s.label()).unwrap_or("")
    }
    fn attendance_label(&self, code: &Option<String>) -> &'static str {
        code.as_deref()
            .and_then(Attendance::parse)
            .map(|s| s.label())
            .unwrap_or("")
    }
}

fn list_page(a: Option<&Auth>, audience: &'static str) -> ListPage {
    ListPage {
        nav: Nav::for_auth(a),
        audience,
        rows: vec![],
        mine: vec![],
        paged: Paged::default(),
        kinds: vec![],
        status: String::new(),
        statuses: Status::options(),
        ical: String::new(),
    }
}

async fn organised(S(state): S<State>, PageAuth(a): PageAuth, RawQuery(q): RawQuery) -> PageResult {
    let g = a.actor.grant::<OrganiseActivities>()?;
    let q = pairs_of(q)?;
    let status = get_of(&q, "status").map(str::to_string);
    let paged = views::organised(&state.app, &g, status.clone(), page_no(&q)?).await?;
    let mut p = list_page(Some(&a), "organiser");
    p.kinds = views::kinds(&state.app, a.actor.committee_id).await?;
    p.status = status.unwrap_or_default();
    p.paged = paged;
    Ok(page(&p))
}

#[derive(Template)]
#[template(path = "activity_form.html")]
struct FormPage {
    nav: Nav,
    action: String,
    v: FormValues,
    choices: Choices,
    organisers: Vec<(&'static str, &'static str)>,
    scopes: Vec<(&'static str, &'static str)>,
    error: String,
}

/// The form's values as text (what was typed, or the activity's current values). Posted,
/// the text is read by the planning use case, which gives each field its message; the
/// members named must be ids.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
struct FormValues {
    kind_id: String,
    title: String,
    description: String,
    organiser_type: String,
    organiser_id: String,
    starts_at: String,
    ends_at: String,
    place: String,
    online_url: String,
    agenda: String,
    books: String,
    capacity: String,
    invite_scope: String,
    invite_ref_id: String,
    named: Vec<i64>,
    #[serde(deserialize_with = "crate::form::checkbox")]
    public_registration: bool,
}

impl FormPage {
    fn named(&self, id: &i64) -> bool {
        self.v.named.contains(id)
    }
}

fn input_of(v: &FormValues) -> ActivityInput<'_> {
    ActivityInput {
        kind_id: &v.kind_id,
        title: &v.title,
        description: &v.description,
        organiser_type: &v.organiser_type,
        organiser_id: &v.organiser_id,
        starts_at: &v.starts_at,
        ends_at: &v.ends_at,
        place: &v.place,
        online_url: &v.online_url,
        agenda: &v.agenda,
        books: &v.books,
        capacity: &v.capacity,
        invite_scope: &v.invite_scope,
        invite_ref_id: &v.invite_ref_id,
        named: v.named.clone(),
        public_registration: Some(v.public_registration),
    }
}

fn china_input(t: chrono::DateTime<chrono::Utc>) -> String {
    lianxin_service::opinions::bulletins::china(t)
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

async fn form_page(
    state: &State,
    a: &Auth,
    action: String,
    v: FormValues,
    error: String,
) -> PageResult {
    let mut r = page(&FormPage {
        nav: Nav::for_auth(Some(a)),
        action,
        v,
        choices: planning::choices(&state.app, a.actor.committee_id).await?,
        organisers: OrganiserType::options(),
        scopes: InviteScope::options(),
        error: error.clone(),
    });
    if !error.is_empty() {
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

async fn new_form(S(state): S<State>, PageAuth(a): PageAuth) -> PageResult {
    a.actor.grant::<OrganiseActivities>()?;
    let v = FormValues {
        invite_scope: String::new(),
        ..FormValues::default()
    };
    form_page(
        &state,
        &a,
        "/office/activities/new".into(),
        v,
        String::new(),
    )
    .await
}

async fn create(S(state): S<State>, f: GrantedForm<OrganiseActivities, FormValues>) -> PageResult {
    let v = f.form;
    match planning::create(&state.app, &f.granted, &input_of(&v)).await {
        Ok(id) => Ok(Redirect::to(&format!("/office/activities/{id}?saved=1")).into_response()),
        Err(e @ (lianxin_service::Error::Invalid(_) | lianxin_service::Error::Conflict { .. })) => {
            form_page(
                &state,
                &f.auth,
                "/office/activities/new".into(),
                v,
                crate::error::describe(&e).1,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

async fn edit_form(
    S(state): S<State>,
    PageAuth(a): PageAuth,
    Path(id): Path<String>,
) -> PageResult {
    let g = a.actor.grant::<OrganiseActivities>()?;
    let id = id_of(&id)?;
    let view = views::for_organiser(&state.app, &g, id).await?;
    let r = &view.a;
    let v = FormValues {
        kind_id: r.kind_id.to_string(),
        title: r.title.clone(),
        description: r.description.clone(),
        organiser_type: r.organiser_type.clone(),
        organiser_id: r.organiser_id.map(|x| x.to_string()).unwrap_or_default(),
        starts_at: china_input(r.starts_at),
        ends_at: china_input(r.ends_at),
        place: r.place.clone(),
        online_url: r.online_url.clone().unwrap_or_default(),
        agenda: r.agenda.clone(),
        books: r.books.clone(),
        capacity: r.capacity.map(|x| x.to_string()).unwrap_or_default(),
        invite_scope: r.invite_scope.clone(),
        invite_ref_id: r.invite_ref_id.map(|x| x.to_string()).unwrap_or_default(),
        named: view.invitations.iter().map(|i| i.member_id).collect(),
        public_registration: r.public_registration,
    };
    form_page(
        &state,
        &a,
        format!("/office/activities/{id}/edit"),
        v,
        String::new(),
    )
    .await
}

async fn edit(
    S(state): S<State>,
    Path(id): Path<String>,
    f: GrantedForm<OrganiseActivities, FormValues>,
) -> PageResult {
    let id = id_of(&id)?;
    let v = f.form;
    match planning::edit(&state.app, &f.granted, id, &input_of(&v)).await {
        Ok(()) => Ok(Redirect::to(&format!("/office/activities/{id}?saved=1")).into_response()),
        Err(e @ (lianxin_service::Error::Invalid(_) | lianxin_service::Error::Conflict { .. })) => {
            form_page(
                &state,
                &f.auth,
                format!("/office/activities/{id}/edit"),
                v,
                crate::error::describe(&e).1,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "activity.html")]
struct DetailPage {
    nav: Nav,
    audience: &'static str,
    v: ActivityView,
    saved: bool,
    error: String,
    roles: Vec<(&'static str, &'static str)>,
    positions: Vec<(&'static str, &'static str)>,
    seats_left: Option<i64>,
    notice: String,
    can_draft_report: bool,
    can_draft_proposal: bool,
}

impl DetailPage {
    fn answer_label(&self, code: &str) -> &'static str {
        Answer::parse(code).map(|s| s.label()).unwrap_or("")
    }
    fn attendance_label(&self, code: &Option<String>) -> &'static str {
        code.as_deref()
            .and_then(Attendance::parse)
            .map(|s| s.label())
            .unwrap_or("")
    }
    fn position_label(&self, code: &str) -> &'static str {
        Position::parse(code).map(|s| s.label()).unwrap_or("")
    }
    fn approver(&self) -> &'static str {
        LeaveApprover::parse(&self.v.kind.leave_approver)
            .map(|s| s.label())
            .unwrap_or("")
    }
    fn scope_label(&self) -> &'static str {
        InviteScope::parse(&self.v.a.invite_scope)
            .map(|s| s.label())
            .unwrap_or("")
    }
    fn registration_label(&self, code: &str) -> &'static str {
        RegistrationStatus::parse(code)
            .map(|s| s.label())
            .unwrap_or("")
    }
    fn order_ids(&self) -> String {
        self.v
            .speakers
            .iter()
            .map(|s| s.p.id.to_string())
            .collect::<Vec<_>>()
            .join(",")
    }
    fn stakeholders(&self) -> Vec<&lianxin_service::activities::views::Speaker> {
        self.v
            .speakers
            .iter()
            .filter(|s| s.p.role != ParticipantRole::Government.code() || !s.speeches.is_empty())
            .collect()
    }
}

fn detail(a: Option<&Auth>, audience: &'static str, v: ActivityView) -> DetailPage {
    DetailPage {
        nav: Nav::for_auth(a),
        audience,
        v,
        saved: false,
        error: String::new(),
        roles: ParticipantRole::options(),
        positions: Position::options(),
        seats_left: None,
        notice: String::new(),
        can_draft_report: a
            .is_some_and(|a| a.actor.member_id.is_some() && a.actor.can::<DraftOpinionReports>()),
        can_draft_proposal: a
            .is_some_and(|a| a.actor.member_id.is_some() && a.actor.can::<DraftProposals>()),
    }
}

async fn organiser_page(
    state: &State,
    a: &Auth,
    id: i64,
    saved: bool,
    error: String,
) -> PageResult {
    let g = a.actor.grant::<OrganiseActivities>()?;
    let v = views::for_organiser(&state.app, &g, id).await?;
    let mut p = detail(Some(a), "organiser", v);
    p.saved = saved;
    p.error = error;
    Ok(page(&p))
}

fn saved_in(q: &Option<String>) -> bool {
    q.as_deref().is_some_and(|q| q.contains("saved"))
}

async fn organiser_detail(
    S(state): S<State>,
    PageAuth(a): PageAuth,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> PageResult {
    organiser_page(&state, &a, id_of(&id)?, saved_in(&q), String::new()).await
}

async fn attach(
    S(state): S<State>,
    Path(id): Path<String>,
    m: CsrfMultipart<OrganiseActivities>,
) -> PageResult {
    let id = id_of(&id)?;
    let g = m.granted.clone();
    let purpose = m
        .fields
        .iter()
        .find(|(k, _)| k == "purpose")
        .map(|(_, v)| v.as_str())
        .unwrap_or("material");
    let r = match m
        .files
        .iter()
        .find(|(n, _, b)| n == "file" && !b.is_empty())
    {
        Some((_, name, bytes)) => {
            let mime = mime_of(name);
            planning::attach(&state.app, &g, id, purpose, (name, mime, bytes)).await
        }
        None => Err(lianxin_domain::Invalid::one("file", "required", "请选择要上传的文件").into()),
    };
    after_step(r, format!("/office/activities/{id}?saved=1"), |msg| {
        organiser_page(&state, &m.auth, id, false, msg)
    })
    .await
}

fn mime_of(name: &str) -> &'static str {
    let lower = name.to_lowercase();
    match lower.rsplit('.').next().unwrap_or("") {
        "pdf" => "application/pdf",
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "mp4" => "video/mp4",
        _ => "application/octet-stream",
    }
}

#[derive(Template)]
#[template(path = "activity_screen.html")]
struct ScreenPage {
    a: ActivityRow,
    /// The minute the code belongs to: the image URL changes with it, so no cache serves an
    /// old code.
    slot: i64,
    url: String,
    checked_in: usize,
    invited: usize,
}

/// The check-in screen: a QR code of the check-in link, renewed every 30 seconds.
async fn screen(S(state): S<State>, PageAuth(a): PageAuth, Path(id): Path<String>) -> PageResult {
    let g = a.actor.grant::<OrganiseActivities>()?;
    let v = views::for_organiser(&state.app, &g, id_of(&id)?).await?;
    let url = checkin_url(&state, v.a.id);
    Ok(page(&ScreenPage {
        checked_in: v.checked_in(),
        invited: v.invitations.len(),
        a: v.a,
        url,
        slot: lianxin_domain::activity::slot_of(chrono::Utc::now()),
    }))
}

fn checkin_url(state: &State, id: i64) -> String {
    let code = attendance::code_at(&state.app, id, chrono::Utc::now());
    format!("{}/checkin/{id}?t={code}", base(state))
}

/// The QR code itself (only the organiser may fetch it: the code admits check-ins).
async fn qr(S(state): S<State>, PageAuth(a): PageAuth, Path(id): Path<String>) -> PageResult {
    let g = a.actor.grant::<OrganiseActivities>()?;
    let v = views::for_organiser(&state.app, &g, id_of(&id)?).await?;
    let mut r = super::qr_svg(&checkin_url(&state, v.a.id))?;
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

#[derive(Template)]
#[template(path = "activity_kinds.html")]
struct KindsPage {
    nav: Nav,
    kinds: Vec<KindRow>,
    scopes: Vec<(&'static str, &'static str)>,
    approvers: Vec<(&'static str, &'static str)>,
    saved: bool,
    error: String,
}

impl KindsPage {
    fn scope_label(&self, code: &str) -> &'static str {
        InviteScope::parse(code).map(|s| s.label()).unwrap_or("")
    }
    fn approver_label(&self, code: &str) -> &'static str {
        LeaveApprover::parse(code).map(|s| s.label()).unwrap_or("")
    }
}

async fn kinds_page(state: &State, a: &Auth, saved: bool, error: String) -> PageResult {
    a.actor.grant::<ManageOrganisation>()?;
    Ok(page(&KindsPage {
        nav: Nav::for_auth(Some(a)),
        kinds: views::kinds(&state.app, a.actor.committee_id).await?,
        scopes: InviteScope::options(),
        approvers: LeaveApprover::options(),
        saved,
        error,
    }))
}

async fn kinds(S(state): S<State>, PageAuth(a): PageAuth, RawQuery(q): RawQuery) -> PageResult {
    kinds_page(&state, &a, saved_in(&q), String::new()).await
}

/// A kind of activity the committee holds (调研、协商、读书…), and its defaults.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Kind {
    code: String,
    name: String,
    default_scope: String,
    leave_approver: String,
    #[serde(deserialize_with = "crate::form::checkbox")]
    public_default: bool,
    #[serde(deserialize_with = "crate::form::checkbox")]
    consultation: bool,
    #[serde(deserialize_with = "crate::form::checkbox")]
    reading: bool,
}

async fn add_kind(S(state): S<State>, f: GrantedForm<ManageOrganisation, Kind>) -> PageResult {
    let k = &f.form;
    let i = KindInput {
        code: &k.code,
        name: &k.name,
        default_scope: &k.default_scope,
        leave_approver: &k.leave_approver,
        public_default: k.public_default,
        consultation: k.consultation,
        reading: k.reading,
    };
    let r = planning::add_kind(&state.app, &f.granted, &i)
        .await
        .map(|_| ());
    after_step(r, "/office/activity-kinds?saved=1".into(), |msg| {
        kinds_page(&state, &f.auth, false, msg)
    })
    .await
}

// ----- the member -----

async fn mine(S(state): S<State>, PageAuth(a): PageAuth) -> PageResult {
    let g = a.actor.grant::<JoinActivities>()?;
    let mut p = list_page(Some(&a), "member");
    p.mine = views::invitations(&state.app, &g).await?;
    if let Some(m) = a.actor.member_id {
        p.ical = format!(
            "{}/ical/{}.ics",
            base(&state),
            calendar::token_of(&state.app, m)
        );
    }
    Ok(page(&p))
}

async fn member_page(state: &State, a: &Auth, id: i64, saved: bool, error: String) -> PageResult {
    let g = a.actor.grant::<JoinActivities>()?;
    let v = views::for_member(&state.app, &g, id).await?;
    let mut p = detail(Some(a), "member", v);
    p.saved = saved;
    p.error = error;
    Ok(page(&p))
}

async fn member_detail(
    S(state): S<State>,
    PageAuth(a): PageAuth,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> PageResult {
    member_page(&state, &a, id_of(&id)?, saved_in(&q), String::new()).await
}

#[derive(Template)]
#[template(path = "checkin.html")]
struct CheckinPage {
    nav: Nav,
    a: ActivityRow,
    code: String,
    /// After the attempt: what happened (empty before).
    outcome: String,
    ok: bool,
}

/// Opening the link from the QR code: a page with one button (a GET never checks in).
async fn checkin_page(
    S(state): S<State>,
    PageAuth(a): PageAuth,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> PageResult {
    let g = a.actor.grant::<JoinActivities>()?;
    let act = views::checkin_target(&state.app, &g, id_of(&id)?).await?;
    let q = pairs_of(q)?;
    Ok(page(&CheckinPage {
        nav: Nav::for_auth(Some(&a)),
        a: act,
        code: get_of(&q, "t").unwrap_or("").chars().take(40).collect(),
        outcome: String::new(),
        ok: false,
    }))
}

/// The check-in button's form: the code from the QR link.
#[derive(serde::Deserialize)]
struct Checkin {
    #[serde(default)]
    t: String,
}

async fn checkin(
    S(state): S<State>,
    Path(id): Path<String>,
    f: GrantedForm<JoinActivities, Checkin>,
) -> PageResult {
    let id = id_of(&id)?;
    let g = f.granted;
    let act = views::checkin_target(&state.app, &g, id).await?;
    let code = f.form.t;
    let r = attendance::check_in_by_code(&state.app, &g, id, &code).await;
    let (outcome, ok) = match &r {
        Ok(CheckedIn::Now { late: false }) => ("签到成功".to_string(), true),
        Ok(CheckedIn::Now { late: true }) => ("签到成功（迟到）".to_string(), true),
        Ok(CheckedIn::Already) => ("您已签到，无需重复签到".to_string(), true),
        Err(e) => (crate::error::describe(e).1, false),
    };
    let status = match &r {
        Ok(_) => axum::http::StatusCode::OK,
        Err(e) => crate::error::status_of(e),
    };
    if let Err(
        e @ (lianxin_service::Error::NotFound { .. } | lianxin_service::Error::Internal(_)),
    ) = r
    {
        return Err(e.into());
    }
    let mut resp = page(&CheckinPage {
        nav: Nav::for_auth(Some(&f.auth)),
        a: act,
        code,
        outcome,
        ok,
    });
    *resp.status_mut() = status;
    Ok(resp)
}

// ----- the public -----

async fn public_list(S(state): S<State>, MaybeAuth(a): MaybeAuth) -> PageResult {
    let cid = match &a {
        Some(a) => a.actor.committee_id,
        None => lianxin_service::committees::default_public(&state.app)
            .await?
            .ok_or_else(|| PageError(lianxin_service::activities::not_found()))?,
    };
    let mut p = list_page(a.as_ref(), "public");
    p.rows = views::public_list(&state.app, Public, cid).await?;
    p.kinds = views::kinds(&state.app, cid).await?;
    p.ical = format!("{}/ical/public/{cid}.ics", base(&state));
    Ok(page(&p))
}

async fn public_page(
    state: &State,
    a: Option<&Auth>,
    id: i64,
    notice: String,
    error: String,
) -> PageResult {
    let (v, left) = views::public_detail(&state.app, Public, id).await?;
    let mut p = detail(a, "public", v);
    p.seats_left = left;
    p.notice = notice;
    p.error = error;
    Ok(page(&p))
}

async fn public_detail(
    S(state): S<State>,
    MaybeAuth(a): MaybeAuth,
    Path(id): Path<String>,
) -> PageResult {
    public_page(
        &state,
        a.as_ref(),
        id_of(&id)?,
        String::new(),
        String::new(),
    )
    .await
}

/// A person registers (no account needed). The form carries no session, so no CSRF token:
/// it changes nothing but the person's own registration.
async fn register(
    S(state): S<State>,
    MaybeAuth(a): MaybeAuth,
    Path(id): Path<String>,
    axum::extract::Form(form): axum::extract::Form<Vec<(String, String)>>,
) -> PageResult {
    let id = id_of(&id)?;
    let get = |k: &str| get_of(&form, k).unwrap_or("");
    let r = registration::register(
        &state.app,
        id,
        get("name"),
        get("phone"),
        a.as_ref().map(|a| &a.actor),
    )
    .await;
    match r {
        Ok(reg) => {
            let notice = match reg.place {
                Some(n) => format!("名额已满，您已列入候补名单第 {n} 位；有空位时组织方会联系您。"),
                None => "报名成功，请按时参加。".to_string(),
            };
            public_page(&state, a.as_ref(), id, notice, String::new()).await
        }
        Err(e @ (lianxin_service::Error::Invalid(_) | lianxin_service::Error::Conflict { .. })) => {
            let status = crate::error::status_of(&e);
            let (code, msg, _) = crate::error::describe(&e);
            let mut resp = public_page(&state, a.as_ref(), id, String::new(), msg).await?;
            *resp.status_mut() = status;
            if let Ok(v) = HeaderValue::from_str(&code) {
                resp.headers_mut().insert("x-lianxin-error", v);
            }
            Ok(resp)
        }
        Err(e) => Err(e.into()),
    }
}

/// A material or media file: anyone for a public activity, else a signed-in person of the
/// committee.
async fn file(
    S(state): S<State>,
    MaybeAuth(a): MaybeAuth,
    Path((id, fid)): Path<(String, String)>,
) -> PageResult {
    let (id, fid) = (id_of(&id)?, id_of(&fid)?);
    let viewer = a.as_ref().map(|a| &a.actor);
    let (name, mime, bytes) = views::file(&state.app, viewer, id, fid).await?;
    Ok(download(&name, &mime, bytes, "file"))
}

fn ics(text: String) -> Response {
    let mut r = text.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/calendar; charset=utf-8"),
    );
    r
}

async fn member_ical(S(state): S<State>, Path(file): Path<String>) -> PageResult {
    let token = file.strip_suffix(".ics").unwrap_or(&file);
    Ok(ics(
        calendar::member_feed(&state.app, token, &base(&state)).await?
    ))
}

async fn public_ical(S(state): S<State>, Path(file): Path<String>) -> PageResult {
    let id = id_of(file.strip_suffix(".ics").unwrap_or(&file))?;
    Ok(ics(calendar::public_feed(
        &state.app,
        Public,
        id,
        &base(&state),
    )
    .await?))
}
