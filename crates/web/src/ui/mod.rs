//! Server-rendered pages in Chinese, mobile-first. Templates escape every value (askama's
//! HTML escaping is on for `.html`); no page builds HTML from strings by hand.

pub mod account;
pub mod activities;
pub mod appraisal;
pub mod archive;
pub mod concerns;
pub mod duty_member;
pub mod duty_year;
pub mod forms;
pub mod jobs;
pub mod library;
pub mod office;
pub mod office_concerns;
pub mod opinions;
pub mod proposals;
pub mod public;
pub mod workspace;

use crate::routes::{Routes, get};
use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use lianxin_domain::access::{
    AnswerConcerns, AppraisePeers, ConfirmDuty, DraftProposals, HandleAssignments, HandleConcerns,
    JoinActivities, ManageDutyYear, ManageLibrary, ManageOpen311, ManageProposals, ManageUsers,
    OrganiseActivities, ReviewOpinionReports, Role, ViewAudit, ViewOrganisation,
};
use qrcode::QrCode;
use qrcode::render::svg;

use crate::session::Auth;

pub fn routes() -> Routes {
    Routes::new()
        .route("/static/app.css", get(css))
        .merge(public::routes())
        .merge(concerns::routes())
        .merge(workspace::routes())
        .merge(opinions::routes())
        .merge(proposals::routes())
        .merge(activities::routes())
        .merge(archive::routes())
        .merge(duty_year::routes())
        .merge(duty_member::routes())
        .merge(appraisal::routes())
        .merge(library::routes())
        .merge(account::routes())
        .merge(jobs::routes())
        .merge(office_concerns::routes())
        .merge(office::routes())
}

async fn css() -> Response {
    let mut r = include_str!("../../static/app.css").into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    r
}

/// Template filters: times are stored in UTC and shown in China's time (UTC+8, no daylight
/// saving), e.g. `{{ c.submitted_at|cn("%Y-%m-%d %H:%M") }}`.
pub mod filters {
    use chrono::{DateTime, FixedOffset, Utc};

    /// A UTC time however many references deep a template holds it.
    pub trait Instant {
        fn instant(&self) -> DateTime<Utc>;
    }
    impl Instant for DateTime<Utc> {
        fn instant(&self) -> DateTime<Utc> {
            *self
        }
    }
    impl<T: Instant + ?Sized> Instant for &T {
        fn instant(&self) -> DateTime<Utc> {
            (**self).instant()
        }
    }

    pub fn cn<T: Instant>(t: T, _: &dyn askama::Values, fmt: &str) -> askama::Result<String> {
        let china = FixedOffset::east_opt(8 * 3600).ok_or(askama::Error::Fmt)?;
        Ok(t.instant().with_timezone(&china).format(fmt).to_string())
    }
}

/// The navigation a person sees: only what their role may use.
#[derive(Debug, Clone, Default)]
pub struct Nav {
    pub user: Option<String>,
    pub role: String,
    pub csrf: String,
    pub links: Vec<(String, String)>,
}

impl Nav {
    pub fn for_auth(auth: Option<&Auth>) -> Nav {
        let mut links: Vec<(String, String)> = vec![
            ("/".into(), "首页".into()),
            ("/members".into(), "委员风采".into()),
            ("/studios".into(), "委员工作室".into()),
            ("/proposals".into(), "提案公开".into()),
            ("/activities".into(), "公开活动".into()),
        ];
        let Some(a) = auth else {
            return Nav {
                links,
                ..Nav::default()
            };
        };
        let actor = &a.actor;
        if actor.can::<ViewOrganisation>() {
            links = vec![("/office".into(), "工作台".into())];
            for r in lianxin_domain::schema::ALL {
                links.push((format!("/office/{}", r.path), r.label.to_string()));
            }
        }
        if actor.can::<HandleConcerns>() {
            links.insert(1, ("/office/concerns".into(), "群众诉求".into()));
            links.push(("/office/outbox".into(), "通知发件箱".into()));
        }
        if actor.can::<ReviewOpinionReports>() {
            links.insert(2, ("/office/reports".into(), "社情民意".into()));
        }
        if actor.can::<ManageProposals>() {
            links.insert(3, ("/office/proposals".into(), "提案".into()));
        }
        if actor.can::<HandleAssignments>() {
            links.push(("/unit/proposals".into(), "交办提案".into()));
            links.push(("/unit/reports".into(), "转办信息".into()));
        }
        if actor.can::<OrganiseActivities>() {
            links.push(("/office/activities".into(), "会议活动".into()));
        }
        if actor.can::<ViewOrganisation>() {
            links.push(("/office/rankings".into(), "履职排名".into()));
            links.push(("/office/duty-reports".into(), "述职报告".into()));
        }
        if actor.can::<ManageDutyYear>() {
            links.push(("/office/scoring".into(), "评分规则".into()));
            links.push(("/office/duty-menu".into(), "履职菜单".into()));
            links.push(("/office/appraisal".into(), "民主测评".into()));
        }
        if actor.can::<ConfirmDuty>() {
            links.push(("/office/self-reports".into(), "履职补报".into()));
        }
        if actor.can::<ManageLibrary>() {
            links.push(("/office/library".into(), "知情明政".into()));
        }
        if actor.can::<ManageOpen311>() {
            links.push(("/office/open311".into(), "Open311".into()));
        }
        if actor.member_id.is_some() {
            links.push(("/me".into(), "我的履职".into()));
            links.push(("/me/archive".into(), "履职档案".into()));
            links.push(("/me/duty".into(), "履职菜单".into()));
        }
        if actor.member_id.is_some() && actor.can::<AnswerConcerns>() {
            links.push(("/me/concerns".into(), "诉求办理".into()));
            links.push(("/me/reports".into(), "社情民意".into()));
        }
        if actor.member_id.is_some() && actor.can::<DraftProposals>() {
            links.push(("/me/proposals".into(), "提案".into()));
        }
        if actor.member_id.is_some() && actor.can::<AppraisePeers>() {
            links.push(("/me/appraisal".into(), "民主测评".into()));
        }
        if actor.member_id.is_some() && actor.can::<JoinActivities>() {
            links.push(("/me/activities".into(), "活动".into()));
            links.push(("/library".into(), "知情明政".into()));
        }
        if actor.role == Role::Constituent {
            links.push(("/concerns/new".into(), "反映诉求".into()));
            links.push(("/me/mine".into(), "我的诉求".into()));
        }
        if actor.can::<ManageUsers>() {
            links.push(("/office/users".into(), "账号".into()));
        }
        if actor.can::<ViewAudit>() {
            links.push(("/office/audit".into(), "审计".into()));
        }
        if a.operates_server {
            links.push(("/office/jobs".into(), "后台任务".into()));
        }
        if !actor.can::<ViewOrganisation>() {
            links.push(("/members".into(), "委员风采".into()));
            links.push(("/studios".into(), "委员工作室".into()));
        }
        Nav {
            user: Some(actor.display_name.clone()),
            role: actor.role.label().into(),
            csrf: a.csrf.clone(),
            links,
        }
    }
}

/// After a step on a form: on success go to `ok`; a refused step (conflict or invalid input)
/// shows the page again with the reason, the matching status and the stable error code in
/// the `X-Lianxin-Error` header; anything else is an error.
pub async fn after_step<F, Fut>(
    r: lianxin_service::Result<()>,
    ok: String,
    redisplay: F,
) -> Result<Response, crate::error::PageError>
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = Result<Response, crate::error::PageError>>,
{
    use lianxin_service::Error;
    match r {
        Ok(()) => Ok(axum::response::Redirect::to(&ok).into_response()),
        Err(e @ (Error::Conflict { .. } | Error::Invalid(_))) => {
            let status = crate::error::status_of(&e);
            let (code, message, _) = crate::error::describe(&e);
            let mut res = redisplay(message).await?;
            *res.status_mut() = status;
            // The stable code for machines, beside the Chinese message for people.
            if let Ok(v) = HeaderValue::from_str(&code) {
                res.headers_mut().insert("x-lianxin-error", v);
            }
            Ok(res)
        }
        Err(e) => Err(e.into()),
    }
}

/// Render a template, or a plain error if the template itself fails.
pub fn page<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!("template error: {e}");
            (StatusCode::INTERNAL_SERVER_ERROR, "页面渲染失败").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    nav: Nav,
    title: &'a str,
    message: &'a str,
}

pub fn render_error(title: &str, message: &str) -> Response {
    page(&ErrorPage {
        nav: Nav::for_auth(None),
        title,
        message,
    })
}

/// An SVG QR code of a public URL, for print and screens alike.
pub fn qr_svg(url: &str) -> Result<Response, crate::error::PageError> {
    let code = QrCode::new(url.as_bytes()).map_err(lianxin_service::Error::internal)?;
    let svg = code
        .render::<svg::Color>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build();
    let mut r = svg.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("image/svg+xml"),
    );
    Ok(r)
}

/// A stored file as a download: its type, and a file name reduced to safe ASCII (`fallback`
/// when nothing is left of it).
pub fn download(name: &str, mime: &str, bytes: Vec<u8>, fallback: &str) -> Response {
    let mut r = bytes.into_response();
    if let Ok(v) = HeaderValue::from_str(mime) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    let ascii: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || ".-_".contains(*c))
        .collect();
    let name = if ascii.is_empty() {
        fallback.to_string()
    } else {
        ascii
    };
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r
}
