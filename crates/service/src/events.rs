//! Reading the event stream with a stored cursor, and the newest events and audit records.
//!
//! A consumer (duty log, notifications, search …) handles events in order; its own writes
//! and its cursor move in one transaction, so an event is handled exactly once even if the
//! process dies mid-batch.

use lianxin_domain::access::{Granted, ReadEvents, ViewAudit, ViewDashboard};
use lianxin_domain::disclosure;
use lianxin_store::Conn;
use lianxin_store::journal::{self as store, EventRow};

use crate::{App, Result};

pub trait Consumer {
    /// The cursor's name; stable across releases.
    fn name(&self) -> &'static str;
    /// Handle one event, writing through `c` (the batch's transaction).
    fn handle(
        &self,
        c: &mut Conn<'_>,
        event: &EventRow,
    ) -> impl std::future::Future<Output = Result<()>> + Send;
}

/// Handle up to `batch` new events; returns how many were handled.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn run_once<C: Consumer + Sync>(app: &App, consumer: &C, batch: i64) -> Result<usize> {
    let mut tx = app.db.begin_write().await?;
    let from = store::cursor(&mut tx.conn(), consumer.name()).await?;
    let events = store::events_after(&mut tx.conn(), from, batch).await?;
    for e in &events {
        consumer.handle(&mut tx.conn(), e).await?;
    }
    if let Some(last) = events.last() {
        store::set_cursor(&mut tx.conn(), consumer.name(), last.id).await?;
    }
    tx.commit().await?;
    Ok(events.len())
}

/// The newest events of the committee in their public form (see `domain::disclosure`).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn recent(app: &App, g: &Granted<ReadEvents>, limit: i64) -> Result<Vec<EventRow>> {
    let mut conn = app.db.acquire().await?;
    let mut rows = store::recent_events(&mut conn.conn(), g.committee_id(), limit).await?;
    for e in &mut rows {
        e.payload = serde_json::from_str::<serde_json::Value>(&e.payload)
            .map(|p| disclosure::public_payload(&p).to_string())
            .unwrap_or_else(|_| "null".into());
        if !disclosure::names_actor(&e.kind) {
            // A ballot: no voter, and no time finer than the day to line it up with.
            e.actor_user_id = None;
            e.occurred_at = e
                .occurred_at
                .date_naive()
                .and_hms_opt(0, 0, 0)
                .map(|t| t.and_utc())
                .unwrap_or(e.occurred_at);
        }
    }
    Ok(rows)
}

/// What happened lately, for the dashboard: kinds and subjects, no payloads, no actors.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn recent_kinds(
    app: &App,
    g: &Granted<ViewDashboard>,
    limit: i64,
) -> Result<Vec<EventRow>> {
    let mut conn = app.db.acquire().await?;
    let mut rows = store::recent_events(&mut conn.conn(), g.committee_id(), limit).await?;
    for e in &mut rows {
        e.payload = "null".into();
        e.actor_user_id = None;
    }
    Ok(rows)
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn recent_audit(
    app: &App,
    g: &Granted<ViewAudit>,
    limit: i64,
) -> Result<Vec<store::AuditRow>> {
    let mut conn = app.db.acquire().await?;
    Ok(store::audit_recent(&mut conn.conn(), g.committee_id(), limit).await?)
}
