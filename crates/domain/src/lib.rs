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

/// Read a type from a form's or query's text through its own `parse`, so a value the domain
/// does not know is refused at the edge rather than read as some default.
#[macro_export]
macro_rules! deserialize_by_parse {
    ($t:ty, $what:literal) => {
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <String as serde::Deserialize>::deserialize(d)?;
                <$t>::parse(&s)
                    .ok_or_else(|| serde::de::Error::custom(format!("not {}: {s}", $what)))
            }
        }
    };
}
