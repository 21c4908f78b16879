//! The service's errors: each has a stable code for machines and a Chinese message for
//! people. The web layer maps them to status codes in one place.

use lianxin_domain::Invalid;
use lianxin_domain::access::Denied;
use lianxin_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Invalid(Invalid),
    #[error("{message}")]
    NotFound { code: &'static str, message: String },
    #[error("没有权限：{0}")]
    Forbidden(&'static str),
    #[error("请先登录")]
    Unauthorized {
        code: &'static str,
        message: &'static str,
    },
    #[error("{message}")]
    Conflict {
        code: &'static str,
        message: String,
        field: Option<String>,
    },
    #[error("{message}")]
    TooMany {
        message: String,
        retry_after_secs: u64,
    },
    /// Something that is not the caller's doing; the cause is kept (with its own sources)
    /// so that the log names the whole chain, never shown to the caller.
    #[error("internal error: {0}")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn not_found(code: &'static str, message: impl Into<String>) -> Error {
        Error::NotFound {
            code,
            message: message.into(),
        }
    }
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Error {
        Error::Conflict {
            code,
            message: message.into(),
            field: None,
        }
    }
    /// An internal error described in words (the cause has no error type of its own).
    pub fn internal(e: impl std::fmt::Display) -> Error {
        Error::Internal(e.to_string().into())
    }

    /// The internal error's cause and every source under it, outermost first, for the log.
    pub fn chain(&self) -> String {
        let mut out = self.to_string();
        let mut next = std::error::Error::source(self);
        while let Some(e) = next {
            let text = e.to_string();
            if !out.ends_with(&text) {
                out.push_str(": ");
                out.push_str(&text);
            }
            next = e.source();
        }
        out
    }
}

impl From<Invalid> for Error {
    fn from(e: Invalid) -> Self {
        Error::Invalid(e)
    }
}

impl From<Denied> for Error {
    fn from(e: Denied) -> Self {
        Error::Forbidden(e.permission)
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        if let Some(violated) = e.unique_violation() {
            let c = crate::constraints::of(&violated);
            return Error::Conflict {
                code: c.code,
                message: c.message.into(),
                field: Some(c.field.into()),
            };
        }
        if e.foreign_key_violation() {
            return Error::conflict(
                "conflict.in_use",
                "该记录仍被其他记录引用，或引用的记录不存在",
            );
        }
        Error::Internal(Box::new(e))
    }
}
