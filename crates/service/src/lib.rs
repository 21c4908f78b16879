//! Use cases: one function each. Each checks its permission (by taking a `Granted`),
//! validates, and runs one transaction that writes the rows, one domain event and one audit
//! record. This is the only layer that opens transactions.

pub mod activities;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod cache;
pub mod committees;
pub mod concerns;
pub mod constraints;
pub mod crypto;
pub mod demo;
pub mod demo_activities;
pub mod demo_concerns;
pub mod demo_direct;
pub mod demo_duty;
pub mod demo_scale;
pub mod duty;
pub mod error;
pub mod events;
pub mod jobs;
pub mod journal;
pub mod keys;
pub mod library;
pub mod open311;
pub mod opinions;
pub mod overview;
pub mod paged;
pub mod present;
pub mod proposals;
pub mod readiness;
pub mod records;
pub mod roster;
pub mod studio_work;
pub mod vitals;

use std::sync::Arc;

pub use crypto::Crypto;
pub use error::{Error, Result};
pub use lianxin_domain as domain;
use lianxin_store::Db;

/// The row types the pages and the API render. Only the types: the store's functions, its
/// connections and transactions stay behind this layer, so the web edge cannot read or
/// write anything except through a use case that checked its permission.
pub mod rows {
    pub use lianxin_store::accounts::UserRow;
    pub use lianxin_store::activities::{ActivityRow, KindRow, MyInvitation};
    pub use lianxin_store::concerns::{Filter as ConcernFilter, MessageRow};
    pub use lianxin_store::duty_menu::SelfReportRow;
    pub use lianxin_store::journal::{AuditRow, EventRow};
    pub use lianxin_store::library::{DocumentRow, Reader};
    pub use lianxin_store::opinions::{BulletinRow, Filter as OpinionFilter};
    pub use lianxin_store::proposals::Filter as ProposalFilter;
    pub use lianxin_store::stats::Overview;
    pub use lianxin_store::studios::{OfferRow, ServiceBookingRow, SlotRow};
}

/// Everything a use case needs: the database and the key for personal data.
///
/// Every field is private to this crate: a caller gets at the data only through a use case
/// (`App` cannot be taken apart), and a use case that reads or writes anything not public
/// takes a [`domain::access::Granted`] proof.
#[derive(Clone)]
pub struct App {
    pub(crate) db: Db,
    pub(crate) crypto: Arc<Crypto>,
    pub(crate) cache: Arc<cache::ReadCache>,
    /// Intake's group-commit writer (see `concerns::batch`).
    pub(crate) intake: Arc<concerns::batch::Queue>,
    /// Check-ins' group-commit writer (see `activities::batch`).
    pub(crate) checkins: Arc<activities::batch::Queue>,
    /// The append-only file the audit chain's signed checkpoints go to (see `audit`).
    pub(crate) checkpoints: Option<Arc<std::path::PathBuf>>,
    /// The bearer token `/metrics` asks for; none: metrics are not served.
    pub(crate) metrics_token: Option<Arc<str>>,
    /// The installation's own committee, once there is one (it never changes after).
    pub(crate) installation: Arc<std::sync::OnceLock<i64>>,
}

impl App {
    pub fn new(db: Db, crypto: Crypto) -> App {
        App {
            db: db.with_audit_key(crypto.audit_key().clone()),
            crypto: Arc::new(crypto),
            cache: Arc::default(),
            intake: Arc::default(),
            checkins: Arc::default(),
            checkpoints: None,
            metrics_token: None,
            installation: Arc::default(),
        }
    }

    /// The installation's own committee: the first without a parent. Its admins operate
    /// the server (jobs); read once, then kept.
    pub(crate) async fn installation_committee(&self) -> Result<Option<i64>> {
        if let Some(id) = self.installation.get() {
            return Ok(Some(*id));
        }
        let mut conn = self.db.acquire().await?;
        let id = lianxin_store::records::installation_committee(&mut conn.conn()).await?;
        if let Some(id) = id {
            let _ = self.installation.set(id);
        }
        Ok(id)
    }

    /// Serve the metrics to whoever presents this bearer token (see `vitals`).
    pub fn with_metrics_token(mut self, token: Option<String>) -> App {
        self.metrics_token = token.filter(|t| !t.is_empty()).map(Arc::from);
        self
    }

    /// The audit key in use, as base64 (see `Crypto::audit_key_base64`).
    pub fn audit_key_base64(&self) -> String {
        self.crypto.audit_key_base64()
    }

    /// The index key in use, as base64 (see `Crypto::index_key_base64`).
    pub fn index_key_base64(&self) -> String {
        self.crypto.index_key_base64()
    }

    /// Write the audit chain's signed checkpoints to `path` (appended, never rewritten).
    pub fn with_checkpoints(mut self, path: std::path::PathBuf) -> App {
        self.checkpoints = Some(Arc::new(path));
        self
    }

    /// `sqlite` or `postgres`.
    pub fn backend_name(&self) -> &'static str {
        self.db.backend().name()
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<()> {
        Ok(self.db.ping().await?)
    }

    /// Ready to serve (for `/readyz`): the database answers and its schema is the one this
    /// binary was built for, and it took this node's writes of the last seconds. `Err`
    /// names what is not (`database`, `storage`, `migrations`).
    pub async fn readiness(&self) -> std::result::Result<(), &'static str> {
        if let Err(e) = self.db.ping().await {
            tracing::warn!("not ready: the database does not answer: {e}");
            return Err("database");
        }
        if readiness::storage_failing() {
            return Err("storage");
        }
        match self.db.schema_versions().await {
            Ok((Some(applied), known)) if applied == known => Ok(()),
            Ok((applied, known)) => {
                tracing::warn!(?applied, known, "not ready: migrations are not current");
                Err("migrations")
            }
            Err(e) => {
                tracing::warn!("not ready: {e}");
                Err("database")
            }
        }
    }

    /// Close the pool (at shutdown).
    pub async fn close(&self) {
        self.db.close().await
    }
}

/// The present, to the microsecond: PostgreSQL keeps no finer time, so a time reads back
/// as it was written on both databases (and survives a move from one to the other).
pub fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 6)
}
