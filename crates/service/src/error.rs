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
    /// The database cannot take the request just now (a full disk, a restart, a dropped
    /// link): try again later. Nothing was written.
    #[error("{message}")]
    Unavailable {
        code: &'static str,
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
        if let Some(kind) = e.unavailable() {
            tracing::warn!("database unavailable ({kind}): {e}");
            crate::readiness::storage_failed();
            return Error::Unavailable {
                code: if kind == "full" {
                    "storage.full"
                } else {
                    "storage.unavailable"
                },
                message: if kind == "full" {
                    "数据库存储空间已满，暂时无法保存（未写入任何内容，已有内容仍可查看）。请联系管理员。".into()
                } else {
                    "数据库暂时不可用，请稍后再试（未写入任何内容）".into()
                },
                retry_after_secs: 5,
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
