//! Storage for Lianxin: one code path on SQLite (default, embedded) and PostgreSQL.
//!
//! We use sqlx directly rather than an ORM: every query is written once, as text that both
//! databases accept (`$1` placeholders, `RETURNING`, portable types), and [`on!`] runs that
//! same text on whichever pool the URL chose at start. Dialect differences are confined to
//! `db.rs` and to the two migration folders, which a test keeps in step.

pub mod accounts;
pub mod activities;
pub mod annual;
pub mod appraisal;
pub mod backup;
pub mod concerns;
pub mod db;
pub mod duty;
pub mod duty_menu;
pub mod jobs;
pub mod journal;
pub mod library;
pub mod member_scores;
pub mod opinions;
pub mod proposals;
pub mod records;
pub mod scale;
pub mod scoring_rules;
pub mod sealed;
pub mod stats;
pub mod studios;

pub use db::{Backend, Conn, Db, Param, PoolConn, StoreError, Tx};
