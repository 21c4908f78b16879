//! The figures an operator's monitoring scrapes (`/metrics`): the connection pool, the jobs,
//! the outbox. Counts only — no personal data, no committee's content — and served only to
//! whoever presents the configured metrics token.

use lianxin_store::jobs::JobRow;

use crate::crypto::constant_eq;
use crate::{App, Error, Result};

/// The state of the node and the installation at one scrape.
#[derive(Debug, Clone)]
pub struct Vitals {
    pub backend: &'static str,
    /// Connections open in this node's pool, and of those idle.
    pub pool_open: u32,
    pub pool_idle: usize,
    pub jobs: Vec<JobRow>,
    /// Messages waiting in the outbox, and sent.
    pub outbox_waiting: i64,
    pub outbox_sent: i64,
}

/// The vitals, for the bearer of the metrics token. Without a token configured there are no
/// metrics to see (not found); with a wrong or missing one, unauthorised.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn read(app: &App, presented: Option<&str>) -> Result<Vitals> {
    let Some(token) = &app.metrics_token else {
        return Err(Error::not_found(
            "metrics.off",
            "未启用监控指标（配置 metrics_token）",
        ));
    };
    if !presented.is_some_and(|p| constant_eq(p, token)) {
        return Err(Error::Unauthorized {
            code: "metrics.token",
            message: "需要监控令牌（Authorization: Bearer …）",
        });
    }
    let (pool_open, pool_idle) = app.db.pool_stats();
    let mut conn = app.db.acquire().await?;
    let jobs = lianxin_store::jobs::all(&mut conn.conn()).await?;
    let (outbox_waiting, outbox_sent) =
        lianxin_store::concerns::outbox_counts(&mut conn.conn()).await?;
    Ok(Vitals {
        backend: app.backend_name(),
        pool_open,
        pool_idle,
        jobs,
        outbox_waiting,
        outbox_sent,
    })
}
