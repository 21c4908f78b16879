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
    #[error("internal error: {0}")]
    Internal(String),
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
    pub fn internal(e: impl std::fmt::Display) -> Error {
        Error::Internal(e.to_string())
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
        if let Some(constraint) = e.unique_violation() {
            // Constraint names are `<table>_<columns>`; the last part names the field.
            let field = constraint.rsplit('_').next().map(str::to_string);
            return Error::Conflict {
                code: "conflict.duplicate",
                message: "与已有记录重复".into(),
                field,
            };
        }
        if e.foreign_key_violation() {
            return Error::conflict(
                "conflict.in_use",
                "该记录仍被其他记录引用，或引用的记录不存在",
            );
        }
        Error::Internal(e.to_string())
    }
}
