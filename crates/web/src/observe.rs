//! Watching the server: every request gets an id (taken from `X-Request-Id` or made, and
//! returned in the response) and a span carrying it, so each log line the request causes
//! names it; requests are counted and timed by route template and status; `/metrics`
//! renders them with the pool, job and outbox figures in Prometheus text format, for the
//! bearer of the metrics token only. The parts are tower-http's request-id and trace layers
//! and the `metrics` crate with its Prometheus exporter.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State as S};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tower_http::request_id::{MakeRequestId, RequestId};
use tracing::Span;

use crate::State;
use crate::error::ApiError;

pub const REQUESTS: &str = "lianxin_http_requests_total";
pub const LATENCY: &str = "lianxin_http_request_duration_seconds";

/// The process's one recorder: installed by the first router built (a test process builds
/// many), `None` if some other recorder was installed first.
fn prometheus() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full(LATENCY.into()),
                    &[
                        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                    ],
                )
                .ok()?
                .install_recorder()
                .ok()
        })
        .as_ref()
}

/// Install the recorder now, so that the first requests are counted too.
pub fn install() {
    let _ = prometheus();
}

/// Request ids: 16 random hex digits.
#[derive(Clone, Copy, Default)]
pub struct MakeId;

impl MakeRequestId for MakeId {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        HeaderValue::from_str(&format!("{:016x}", rand::random::<u64>()))
            .ok()
            .map(RequestId::new)
    }
}

/// The span of one request: its id, method and route template. Never the path or the
/// query, which can hold a tracking code or a search for a person's name.
pub fn span(req: &axum::http::Request<axum::body::Body>) -> Span {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() <= 64)
        .unwrap_or("");
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(MatchedPath::as_str)
        .unwrap_or("unmatched");
    tracing::info_span!("request", request_id = %id, method = %req.method(), route = %route)
}

/// Count and time each request by method, route template and status.
pub async fn record(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().as_str().to_owned();
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!(REQUESTS, &labels).increment(1);
    metrics::histogram!(LATENCY, &labels).record(start.elapsed().as_secs_f64());
    res
}

/// `GET /metrics`, for the bearer of the metrics token.
pub async fn metrics(S(state): S<State>, headers: axum::http::HeaderMap) -> Response {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let v = match lianxin_service::vitals::read(&state.app, presented).await {
        Ok(v) => v,
        Err(e) => return ApiError(e).into_response(),
    };
    let Some(handle) = prometheus() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "metrics recorder unavailable",
        )
            .into_response();
    };
    metrics::gauge!("lianxin_db_pool_connections", "state" => "open").set(f64::from(v.pool_open));
    metrics::gauge!("lianxin_db_pool_connections", "state" => "idle").set(v.pool_idle as f64);
    metrics::gauge!("lianxin_outbox_messages", "state" => "waiting").set(v.outbox_waiting as f64);
    metrics::gauge!("lianxin_outbox_messages", "state" => "sent").set(v.outbox_sent as f64);
    for j in &v.jobs {
        let name = j.name.clone();
        metrics::gauge!("lianxin_job_runs", "job" => name.clone()).set(j.runs as f64);
        metrics::gauge!("lianxin_job_failures", "job" => name.clone()).set(j.failures as f64);
        metrics::gauge!("lianxin_job_failing", "job" => name.clone())
            .set(if j.consecutive_failures > 0 { 1.0 } else { 0.0 });
        metrics::gauge!("lianxin_job_last_duration_seconds", "job" => name)
            .set(j.last_duration_ms.unwrap_or(0) as f64 / 1000.0);
    }
    metrics::gauge!(
        "lianxin_build_info",
        "version" => env!("CARGO_PKG_VERSION"),
        "database" => v.backend
    )
    .set(1.0);
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        handle.render(),
    )
        .into_response()
}
