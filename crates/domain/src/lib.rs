//! Lianxin's domain: types, rules and permissions. No I/O, no HTTP, no SQL.
//!
//! Organisation records (R1) are described once, as data, in [`schema`]; that one
//! description drives validation here, the SQL in the store, the forms, the JSON API and the
//! OpenAPI document, so none of them can drift from the others.

pub mod access;
pub mod activity;
pub mod appraisal;
pub mod audit;
pub mod concern;
pub mod disclosure;
pub mod duty;
pub mod error;
pub mod event;
pub mod ical;
pub mod labels;
pub mod opinion;
pub mod phone;
pub mod proposal;
pub mod record;
pub mod redirect;
pub mod roster;
pub mod schema;
pub mod scoring;
pub mod sectors;
pub mod text;

pub use error::{FieldError, Invalid};
