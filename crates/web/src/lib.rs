//! The web edge: JSON API under `/api/v1`, server-rendered Chinese pages (askama), public
//! pages without login. Handlers only parse input, call one service function and render;
//! errors are turned into responses in one place (`error.rs`).

pub mod api;
pub mod body;
pub mod error;
pub mod form;
pub mod open311;
pub mod openapi;
pub mod routes;
pub mod session;
pub mod ui;

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use lianxin_service::App;
use routes::{Routes, get};

/// JSON and form bodies; uploads have their own, larger limit.
pub const BODY_LIMIT: usize = 1024 * 1024;
pub const UPLOAD_LIMIT: usize = 10 * 1024 * 1024;

#[derive(Clone)]
pub struct State {
    pub app: App,
    /// Base URL people reach this server at (for QR codes and links).
    pub public_url: String,
    /// Send cookies with `Secure` (behind HTTPS).
    pub secure_cookies: bool,
    /// Take the client address from `X-Forwarded-For` (behind a trusted proxy).
    pub trust_proxy: bool,
}

impl State {
    /// Served over HTTPS (the public URL says so, or the operator set secure cookies):
    /// cookies are `Secure` and browsers are told to use HTTPS only (HSTS).
    pub fn https(&self) -> bool {
        self.secure_cookies || self.public_url.starts_with("https://")
    }
}

/// Every route of the server, with the list of what it routes.
pub fn routes() -> Routes {
    Routes::new()
        .route("/healthz", get(api::healthz))
        .route("/api/openapi.json", get(openapi::document))
        .merge(api::routes())
        .merge(open311::routes())
        .merge(ui::routes())
}

/// (method, path template) of every route the server answers.
pub fn route_table() -> Vec<(&'static str, &'static str)> {
    routes().table().to_vec()
}

pub fn router(state: State) -> Router {
    routes()
        .into_router()
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(
            state.https(),
            security_headers,
        ))
        .layer(axum::middleware::from_fn(request_scope))
        .with_state(state)
}

/// Headers every response carries: no sniffing, no framing, a strict content policy (the
/// pages load only our own scripts and styles); HSTS behind HTTPS. A response to anyone
/// signed in (a session cookie or a bearer token came with the request) or one that sets a
/// cookie is never stored by a browser or a proxy: it may hold personal data, and a shared
/// computer's back button must not show it after logout.
async fn security_headers(
    axum::extract::State(https): axum::extract::State<bool>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let personal = req.headers().contains_key(header::AUTHORIZATION)
        || session::cookie(req.headers(), session::COOKIE).is_some();
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    // Shared static assets (the style sheet) say `public` themselves and stay cacheable.
    let public_asset = h
        .get(header::CACHE_CONTROL)
        .is_some_and(|v| v.as_bytes().starts_with(b"public"));
    if (personal || h.contains_key(header::SET_COOKIE)) && !public_asset {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if https {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'"),
    );
    res
}

/// Each request reads the data version at most once (see `lianxin_service::cache`).
async fn request_scope(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    lianxin_service::cache::request_scope(next.run(req)).await
}

/// Background work inside `serve` (no second process to forget): remove expired sessions,
/// escalate overdue concerns and proposals, send the 14-day follow-ups. Every node may run it: each step
/// is its own transaction and skips what another node already did.
pub fn spawn_jobs(app: App) {
    // The duty log follows the event stream within seconds: a member sees today's work in
    // their archive at once.
    let duty = app.clone();
    tokio::spawn(async move {
        loop {
            if let Err(e) = lianxin_service::duty::catch_up(&duty).await {
                tracing::warn!("duty log failed: {e}");
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
    });
    // A signed checkpoint of the audit chain at start and every day after (see
    // `lianxin_service::audit`).
    let audit = app.clone();
    tokio::spawn(async move {
        loop {
            match lianxin_service::audit::checkpoint(&audit).await {
                Ok(Some(cp)) => tracing::info!("audit checkpoint at record {}", cp.seq),
                Ok(None) => {}
                Err(e) => tracing::warn!("audit checkpoint failed: {e}"),
            }
            tokio::time::sleep(Duration::from_secs(24 * 3600)).await;
        }
    });
    tokio::spawn(async move {
        loop {
            if let Err(e) = lianxin_service::auth::sweep(&app).await {
                tracing::warn!("session sweep failed: {e}");
            }
            let at = chrono::Utc::now();
            match lianxin_service::concerns::jobs::escalate_overdue(&app, at).await {
                Ok(n) if n > 0 => tracing::info!("escalated {n} overdue concerns"),
                Ok(_) => {}
                Err(e) => tracing::warn!("escalation failed: {e}"),
            }
            match lianxin_service::proposals::jobs::escalate_overdue(&app, at).await {
                Ok(n) if n > 0 => tracing::info!("escalated {n} overdue proposals"),
                Ok(_) => {}
                Err(e) => tracing::warn!("proposal escalation failed: {e}"),
            }
            match lianxin_service::concerns::jobs::follow_up(&app, at).await {
                Ok(n) if n > 0 => tracing::info!("sent {n} follow-ups"),
                Ok(_) => {}
                Err(e) => tracing::warn!("follow-up failed: {e}"),
            }
            tokio::time::sleep(Duration::from_secs(300)).await;
        }
    });
}
