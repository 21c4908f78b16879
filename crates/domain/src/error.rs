//! Validation errors: a stable machine code plus a message in Chinese, per field.

use serde::Serialize;

/// One field that failed validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub code: &'static str,
    pub message: String,
}

/// Every field error found in one input, so a person can fix them all at once.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Invalid(pub Vec<FieldError>);

impl Invalid {
    pub fn one(field: &str, code: &'static str, message: impl Into<String>) -> Self {
        Invalid(vec![FieldError {
            field: field.to_string(),
            code,
            message: message.into(),
        }])
    }
    pub fn push(&mut self, field: &str, code: &'static str, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.to_string(),
            code,
            message: message.into(),
        });
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// The first error's message, for places that show one line.
    pub fn summary(&self) -> String {
        self.0
            .iter()
            .map(|e| e.message.clone())
            .collect::<Vec<_>>()
            .join("；")
    }
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.summary())
    }
}
impl std::error::Error for Invalid {}
