//! Use cases: one function each. Each checks its permission (by taking a `Granted`),
//! validates, and runs one transaction that writes the rows, one domain event and one audit
//! record. This is the only layer that opens transactions.

pub mod activities;
pub mod auth;
pub mod cache;
pub mod committees;
pub mod concerns;
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
pub mod journal;
pub mod library;
pub mod open311;
pub mod opinions;
pub mod overview;
pub mod paged;
pub mod present;
pub mod proposals;
pub mod records;
pub mod roster;
pub mod studio_work;

use std::sync::Arc;

pub use crypto::Crypto;
pub use error::{Error, Result};
pub use lianxin_domain as domain;
pub use lianxin_store as store;
use lianxin_store::Db;

/// Everything a use case needs: the database and the key for personal data.
#[derive(Clone)]
pub struct App {
    pub db: Db,
    pub crypto: Arc<Crypto>,
    pub cache: Arc<cache::ReadCache>,
    /// Intake's group-commit writer (see `concerns::batch`).
    pub intake: Arc<concerns::batch::Queue>,
    /// Check-ins' group-commit writer (see `activities::batch`).
    pub checkins: Arc<activities::batch::Queue>,
}

impl App {
    pub fn new(db: Db, crypto: Crypto) -> App {
        App {
            db,
            crypto: Arc::new(crypto),
            cache: Arc::default(),
            intake: Arc::default(),
            checkins: Arc::default(),
        }
    }
}

pub fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}
