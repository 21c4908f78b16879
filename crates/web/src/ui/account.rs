//! Signing in and out, the member's own page, accounts and the audit trail (admin).

use crate::routes::{Routes, get};
use askama::Template;
use axum::extract::{RawQuery, State as S};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use lianxin_domain::access::Public;
use lianxin_domain::access::{ManageUsers, Role, ViewAudit, ViewOrganisation};
use lianxin_domain::schema::MEMBER;
use lianxin_service::present::Item;
use lianxin_service::rows::AuditRow;
use lianxin_service::rows::UserRow;
use lianxin_service::{Error, auth, events, overview, records};

use super::{Nav, page};
use crate::State;
use crate::body::{FormPairs, WithStatus};
use crate::error::{PageError, describe};
use crate::form::{Button, GrantedForm};
use crate::session::{
    ClientIp, CsrfForm, LOGIN_CSRF_COOKIE, MaybeAuth, PageAuth, constant_eq, cookie, session_cookie,
};

pub fn routes() -> Routes {
    Routes::new()
        .route("/login", get(login_form).post(login))
        .route("/logout", crate::routes::post(logout))
        .route("/me", get(me))
        .route("/office/users", get(users).post(add_user))
        .route("/office/audit", get(audit))
}

#[derive(Template)]
#[template(path = "login.html")]
struct Login {
    nav: Nav,
    csrf: String,
    next: String,
    username: String,
    error: String,
}

/// Only our own paths: never send someone to another site after login (see
/// `domain::redirect`); anything else goes to the person's home page.
fn safe_next(next: &str) -> String {
    lianxin_domain::redirect::same_site_path(next)
        .unwrap_or_default()
        .to_string()
}

fn with_login_cookie(state: &State, mut res: Response, token: &str) -> Response {
    let secure = if state.https() { "; Secure" } else { "" };
    let c = format!(
        "{LOGIN_CSRF_COOKIE}={token}; Path=/login; HttpOnly; SameSite=Strict; Max-Age=3600{secure}"
    );
    if let Ok(v) = HeaderValue::from_str(&c) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

async fn login_form(
    S(state): S<State>,
    MaybeAuth(auth): MaybeAuth,
    RawQuery(q): RawQuery,
    headers: axum::http::HeaderMap,
) -> Response {
    if auth.is_some() {
        return Redirect::to("/office").into_response();
    }
    let next: Vec<(String, String)> =
        serde_urlencoded::from_str(q.as_deref().unwrap_or("")).unwrap_or_default();
    let next = next
        .iter()
        .find(|(k, _)| k == "next")
        .map(|(_, v)| safe_next(v))
        .unwrap_or_default();
    let token =
        cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_else(lianxin_service::crypto::random_token);
    let res = page(&Login {
        nav: Nav::for_auth(None),
        csrf: token.clone(),
        next,
        username: String::new(),
        error: String::new(),
    });
    with_login_cookie(&state, res, &token)
}

fn home_of(role: Role) -> &'static str {
    match role {
        Role::Admin | Role::Office | Role::CommitteeStaff | Role::Convenor => "/office",
        Role::Member | Role::StudioLead => "/me",
        _ => "/",
    }
}

/// The login form. Its token is the login cookie's (there is no session yet).
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct LoginForm {
    username: String,
    password: String,
    next: String,
    #[serde(rename = "_csrf")]
    csrf: String,
}

async fn login(
    S(state): S<State>,
    ClientIp(ip): ClientIp,
    headers: axum::http::HeaderMap,
    FormPairs(pairs): FormPairs,
) -> Response {
    // Every field is text; only a field sent twice cannot be read.
    let form: LoginForm = match crate::form::typed(&pairs) {
        Ok(f) => f,
        Err(inv) => return PageError(Error::Invalid(inv)).into_response(),
    };
    let username = form.username.clone();
    let next = safe_next(&form.next);
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    let sent = form.csrf.as_str();
    let fail = |msg: String, status: StatusCode| {
        let token = lianxin_service::crypto::random_token();
        let res = page(&Login {
            nav: Nav::for_auth(None),
            csrf: token.clone(),
            next: next.clone(),
            username: username.clone(),
            error: msg,
        });
        with_login_cookie(&state, res.into_response_with(status), &token)
    };
    if expected.is_empty() || !constant_eq(sent, &expected) {
        return fail("页面已过期，请重新登录".into(), StatusCode::FORBIDDEN);
    }
    match auth::login(&state.app, &username, &form.password, &ip).await {
        Ok(s) => {
            let to = if next.is_empty() {
                home_of(s.actor.role).to_string()
            } else {
                next.clone()
            };
            let mut res = Redirect::to(&to).into_response();
            if let Ok(v) = HeaderValue::from_str(&session_cookie(
                &state,
                &s.token,
                auth::SESSION_HOURS * 3600,
            )) {
                res.headers_mut().insert(header::SET_COOKIE, v);
            }
            res
        }
        Err(e) => {
            let status = crate::error::status_of(&e);
            let (_, message, _) = describe(&e);
            let mut res = fail(message, status);
            if let Error::TooMany {
                retry_after_secs, ..
            } = e
                && let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string())
            {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            res
        }
    }
}

async fn logout(S(state): S<State>, f: CsrfForm<Button>) -> Result<Response, PageError> {
    auth::logout(&state.app, &f.auth.actor, &f.auth.token).await?;
    let mut res = Redirect::to("/").into_response();
    if let Ok(v) = HeaderValue::from_str(&session_cookie(&state, "", 0)) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(res)
}

#[derive(Template)]
#[template(path = "me.html")]
struct Me {
    nav: Nav,
    name: String,
    role: String,
    member: Option<Item>,
    studios: Vec<(i64, String)>,
    led: Vec<(i64, String)>,
    offers: Vec<(i64, String)>,
}

async fn me(S(state): S<State>, PageAuth(a): PageAuth) -> Result<Response, PageError> {
    let cid = a.actor.committee_id;
    let (member, studios) = match a.actor.member_id {
        Some(mid) => (
            Some(records::public_get(&state.app, Public, cid, &MEMBER, mid).await?),
            overview::member_studios(&state.app, cid, mid).await?,
        ),
        None => (None, vec![]),
    };
    let (led, offers) = lianxin_service::studio_work::my_work(&state.app, &a.actor).await?;
    Ok(page(&Me {
        nav: Nav::for_auth(Some(&a)),
        name: a.actor.display_name.clone(),
        role: a.actor.role.label().into(),
        member,
        studios,
        led,
        offers,
    }))
}

#[derive(Template)]
#[template(path = "users.html")]
struct Users {
    nav: Nav,
    users: Vec<(UserRow, &'static str)>,
    roles: Vec<(&'static str, &'static str)>,
    error: String,
    saved: bool,
}

fn role_label(code: &str) -> &'static str {
    Role::parse(code).map(|r| r.label()).unwrap_or("")
}

async fn users_page(
    state: &State,
    a: &crate::session::Auth,
    error: String,
    saved: bool,
) -> Result<Response, PageError> {
    let g = a.actor.grant::<ManageUsers>()?;
    let users = auth::list_users(&state.app, &g)
        .await?
        .into_iter()
        .map(|u| {
            let label = role_label(&u.role);
            (u, label)
        })
        .collect();
    let roles = Role::ALL.iter().map(|r| (r.code(), r.label())).collect();
    let status = if error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(page(&Users {
        nav: Nav::for_auth(Some(a)),
        users,
        roles,
        error,
        saved,
    })
    .into_response_with(status))
}

async fn users(
    S(state): S<State>,
    PageAuth(a): PageAuth,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    users_page(
        &state,
        &a,
        String::new(),
        q.is_some_and(|q| q.contains("saved")),
    )
    .await
}

/// A new account: who, in which role, and the member or unit it speaks for.
#[derive(serde::Deserialize)]
struct NewUser {
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
    member_id: Option<i64>,
    handling_unit_id: Option<i64>,
}

async fn add_user(
    S(state): S<State>,
    f: GrantedForm<ManageUsers, NewUser>,
) -> Result<Response, PageError> {
    let u = &f.form;
    let input = auth::UserInput {
        username: &u.username,
        display_name: &u.display_name,
        role: &u.role,
        password: &u.password,
        member_id: u.member_id,
        handling_unit_id: u.handling_unit_id,
    };
    match auth::add_user(&state.app, &f.granted, &input, false).await {
        Ok(_) => Ok(Redirect::to("/office/users?saved=1").into_response()),
        Err(e @ (Error::Invalid(_) | Error::Conflict { .. })) => {
            users_page(&state, &f.auth, describe(&e).1, false).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "audit.html")]
struct Audit {
    nav: Nav,
    rows: Vec<AuditRow>,
}

async fn audit(S(state): S<State>, PageAuth(a): PageAuth) -> Result<Response, PageError> {
    let g = a.actor.grant::<ViewAudit>()?;
    let rows = events::recent_audit(&state.app, &g, 200).await?;
    Ok(page(&Audit {
        nav: Nav::for_auth(Some(&a)),
        rows,
    }))
}

/// Staff pages need this; everyone else gets the 403 page.
pub fn staff(
    a: &crate::session::Auth,
) -> Result<lianxin_domain::access::Granted<ViewOrganisation>, PageError> {
    Ok(a.actor.grant::<ViewOrganisation>()?)
}
