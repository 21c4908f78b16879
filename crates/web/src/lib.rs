//! The web edge: JSON API under `/api/v1`, server-rendered Chinese pages (askama), public
//! pages without login. Handlers only parse input, call one service function and render;
//! errors are turned into responses in one place (`error.rs`).

pub mod api;
pub mod body;
pub mod error;
pub mod form;
pub mod observe;
pub mod open311;
pub mod openapi;
pub mod routes;
pub mod session;
pub mod ui;

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
        .route("/readyz", get(api::readyz))
        .route("/metrics", get(observe::metrics))
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
    use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
    use tower_http::trace::{DefaultOnResponse, TraceLayer};
    observe::install();
    let trace = TraceLayer::new_for_http()
        .make_span_with(observe::span as fn(&axum::http::Request<axum::body::Body>) -> _)
        .on_response(
            DefaultOnResponse::new()
                .level(tracing::Level::INFO)
                .latency_unit(tower_http::LatencyUnit::Micros),
        );
    routes()
        .into_router()
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(
            state.https(),
            security_headers,
        ))
        .layer(axum::middleware::from_fn(request_scope))
        // Inside the route (so the route template is known), outside everything else of it.
        .layer(axum::middleware::from_fn(observe::record))
        .layer(trace)
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(observe::MakeId))
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
