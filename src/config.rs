//! Configuration: `lianxin.toml` (optional), then `LIANXIN_*` environment variables, then
//! command-line flags — each later source wins. Secrets never reach logs or `Debug`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;

#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub database_url: Option<String>,
    pub addr: Option<String>,
    pub encryption_key: Option<String>,
    /// Other keys (base64) that may open sealed data while a key rotation runs.
    #[serde(default)]
    pub encryption_other_keys: Vec<String>,
    /// The blind index's own key (base64); the encryption key if unset.
    pub index_key: Option<String>,
    /// The audit chain's own key (base64, 32 bytes); derived from the encryption key if unset.
    pub audit_key: Option<String>,
    /// Earlier audit keys (base64), to check the chain written before a rotation.
    #[serde(default)]
    pub audit_retired_keys: Vec<String>,
    /// The append-only file of signed audit checkpoints.
    pub audit_checkpoints: Option<PathBuf>,
    pub public_url: Option<String>,
    pub secure_cookies: Option<bool>,
    pub trust_proxy: Option<bool>,
    pub log: Option<String>,
    /// On SIGTERM or Ctrl-C: how long requests in flight may take to finish (seconds,
    /// default 30) before what is left is closed.
    pub shutdown_grace_secs: Option<u64>,
    /// The bearer token `/metrics` asks for; unset, there is no `/metrics`.
    pub metrics_token: Option<String>,
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://lianxin.db";
pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`
pub fn redact_url(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://")
        && let Some((creds, host)) = rest.rsplit_once('@')
    {
        let user = creds.split(':').next().unwrap_or("");
        return format!("{scheme}://{user}:***@{host}");
    }
    url.to_string()
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field(
                "database_url",
                &self.database_url.as_deref().map(redact_url),
            )
            .field("addr", &self.addr)
            .field(
                "encryption_key",
                &self.encryption_key.as_ref().map(|_| "<redacted>"),
            )
            .field("encryption_other_keys", &self.encryption_other_keys.len())
            .field("index_key", &self.index_key.as_ref().map(|_| "<redacted>"))
            .field("audit_key", &self.audit_key.as_ref().map(|_| "<redacted>"))
            .field("audit_retired_keys", &self.audit_retired_keys.len())
            .field("audit_checkpoints", &self.audit_checkpoints)
            .field("public_url", &self.public_url)
            .field("secure_cookies", &self.secure_cookies)
            .field("trust_proxy", &self.trust_proxy)
            .field("shutdown_grace_secs", &self.shutdown_grace_secs)
            .field(
                "metrics_token",
                &self.metrics_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl Config {
    /// Read the file (if any) and the environment.
    pub fn load(file: Option<&Path>) -> Result<Config> {
        let path = file
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("lianxin.toml"));
        let mut c = if path.exists() {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("无法读取配置文件 {}", path.display()))?;
            toml::from_str::<Config>(&text)
                .with_context(|| format!("配置文件 {} 有误", path.display()))?
        } else if file.is_some() {
            bail!("配置文件 {} 不存在", path.display());
        } else {
            Config::default()
        };
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let flag = |k: &str| env(k).map(|v| matches!(v.as_str(), "1" | "true" | "yes"));
        c.database_url = env("LIANXIN_DATABASE_URL").or(c.database_url);
        c.addr = env("LIANXIN_ADDR").or(c.addr);
        c.encryption_key = env("LIANXIN_ENCRYPTION_KEY").or(c.encryption_key);
        c.audit_key = env("LIANXIN_AUDIT_KEY").or(c.audit_key);
        c.index_key = env("LIANXIN_INDEX_KEY").or(c.index_key);
        if let Some(keys) = env("LIANXIN_ENCRYPTION_OTHER_KEYS") {
            c.encryption_other_keys = keys.split(',').map(|k| k.trim().to_string()).collect();
        }
        if let Some(keys) = env("LIANXIN_AUDIT_RETIRED_KEYS") {
            c.audit_retired_keys = keys.split(',').map(|k| k.trim().to_string()).collect();
        }
        c.audit_checkpoints = env("LIANXIN_AUDIT_CHECKPOINTS")
            .map(PathBuf::from)
            .or(c.audit_checkpoints);
        c.public_url = env("LIANXIN_PUBLIC_URL").or(c.public_url);
        c.secure_cookies = flag("LIANXIN_SECURE_COOKIES").or(c.secure_cookies);
        c.trust_proxy = flag("LIANXIN_TRUST_PROXY").or(c.trust_proxy);
        c.log = env("LIANXIN_LOG").or(c.log);
        c.metrics_token = env("LIANXIN_METRICS_TOKEN").or(c.metrics_token);
        if let Some(v) = env("LIANXIN_SHUTDOWN_GRACE_SECS") {
            c.shutdown_grace_secs = Some(v.parse().with_context(|| {
                format!("LIANXIN_SHUTDOWN_GRACE_SECS 应为秒数（整数），而不是“{v}”")
            })?);
        }
        Ok(c)
    }

    pub fn database_url(&self) -> &str {
        self.database_url.as_deref().unwrap_or(DEFAULT_DATABASE_URL)
    }

    pub fn addr(&self) -> &str {
        self.addr.as_deref().unwrap_or(DEFAULT_ADDR)
    }

    /// See [`Config::shutdown_grace_secs`].
    pub fn shutdown_grace(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.shutdown_grace_secs.unwrap_or(30))
    }

    pub fn is_postgres(&self) -> bool {
        self.database_url().starts_with("postgres")
    }

    /// Where signed audit checkpoints go: as configured; on SQLite beside the database file;
    /// on PostgreSQL `lianxin-audit-checkpoints.jsonl` in the working directory (set a path
    /// on storage the database's administrators cannot rewrite).
    pub fn audit_checkpoints(&self) -> PathBuf {
        if let Some(p) = &self.audit_checkpoints {
            return p.clone();
        }
        match sqlite_file(self.database_url()) {
            Some(db) => PathBuf::from(format!("{}.audit-checkpoints.jsonl", db.display())),
            None => PathBuf::from("lianxin-audit-checkpoints.jsonl"),
        }
    }
}

/// The SQLite file behind a `sqlite://` URL (none for in-memory databases).
pub fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or("");
    if path.is_empty() || path.starts_with(":memory:") {
        return None;
    }
    Some(PathBuf::from(path))
}

/// The encryption key: configured, or on SQLite generated once and kept beside the database
/// file (mode 0600). PostgreSQL deployments must configure it: a key made up on one node
/// would not be known to the others.
pub fn encryption_key(c: &Config) -> Result<String> {
    if let Some(k) = &c.encryption_key {
        return Ok(k.clone());
    }
    if c.is_postgres() {
        bail!(
            "使用 PostgreSQL 时必须配置加密密钥：设置 LIANXIN_ENCRYPTION_KEY 或 lianxin.toml 中的 encryption_key（可用 `openssl rand -base64 32` 生成）"
        );
    }
    let Some(db) = sqlite_file(c.database_url()) else {
        return Ok(lianxin_service::Crypto::generate_key());
    };
    let key_path = PathBuf::from(format!("{}.key", db.display()));
    if key_path.exists() {
        return std::fs::read_to_string(&key_path)
            .with_context(|| format!("无法读取密钥文件 {}", key_path.display()));
    }
    let key = lianxin_service::Crypto::generate_key();
    write_private(&key_path, &key)?;
    tracing::info!("generated encryption key at {}", key_path.display());
    Ok(key)
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("无法创建密钥文件 {}", path.display()))?;
    f.write_all(text.as_bytes())?;
    Ok(())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text)?;
    Ok(())
}

pub const EXAMPLE: &str = r#"# lianxin.toml — 连心配置示例（所有项均可省略；环境变量 LIANXIN_* 和命令行参数优先）

# 数据库：默认内嵌 SQLite 文件；生产环境使用 PostgreSQL。
# 环境变量：LIANXIN_DATABASE_URL
database_url = "sqlite://lianxin.db"
# database_url = "postgres://lianxin:密码@127.0.0.1:5432/lianxin"

# 监听地址。环境变量：LIANXIN_ADDR
addr = "127.0.0.1:8080"

# 群众与委员手机号的加密密钥（32 字节，base64）。生成：openssl rand -base64 32
# SQLite 下未配置时首次启动自动生成，保存在数据库文件旁（lianxin.db.key，权限 0600）；
# PostgreSQL 下必须配置，并在所有节点上相同。丢失密钥将无法解密已存的手机号。
# 环境变量：LIANXIN_ENCRYPTION_KEY
# encryption_key = "..."

# 更换加密密钥期间，能解开已存数据的其他密钥（原密钥，或即将启用的新密钥）。
# 配置它之前须先固定 index_key 和 audit_key（`lianxin keys pin`）。步骤见 README“更换加密密钥”。
# 环境变量：LIANXIN_ENCRYPTION_OTHER_KEYS（逗号分隔）
# encryption_other_keys = ["..."]

# 手机号检索索引、签到码和日历链接的密钥（32 字节，base64）。未配置时即加密密钥；
# 更换加密密钥前须固定为原值，否则已存的索引和已发出的链接全部失效。环境变量：LIANXIN_INDEX_KEY
# index_key = "..."

# 审计链的密钥（32 字节，base64）。未配置时由加密密钥派生；单独配置后可独立于加密密钥保管。
# 审计记录以此密钥做 HMAC 链接，没有密钥的人改动数据库后无法重新计算出能通过校验的链。
# 环境变量：LIANXIN_AUDIT_KEY
# audit_key = "..."

# 更换审计密钥后，原密钥列在这里，用于校验更换前的审计链。环境变量：LIANXIN_AUDIT_RETIRED_KEYS（逗号分隔）
# audit_retired_keys = ["..."]

# 审计链签名检查点文件（只追加）。serve 启动时及每天写入一条，`lianxin audit checkpoint` 立即写入。
# 默认：SQLite 在数据库文件旁（lianxin.db.audit-checkpoints.jsonl）；PostgreSQL 在工作目录。
# 请放在数据库管理员无法改写的位置（如只追加的文件系统或另一台机器的挂载点）。
# 环境变量：LIANXIN_AUDIT_CHECKPOINTS
# audit_checkpoints = "/var/lib/lianxin/audit-checkpoints.jsonl"

# 对外访问地址，用于工作室二维码和链接。环境变量：LIANXIN_PUBLIC_URL
# public_url = "https://lianxin.example.gov.cn"

# 在 HTTPS 之后运行时设为 true，Cookie 带 Secure 标志。环境变量：LIANXIN_SECURE_COOKIES
secure_cookies = false

# 在可信反向代理之后运行时设为 true，以 X-Forwarded-For 识别客户端地址（登录限流用）。
# 环境变量：LIANXIN_TRUST_PROXY
trust_proxy = false

# 日志级别（tracing 过滤表达式）。环境变量：LIANXIN_LOG
log = "info"

# 收到 SIGTERM 或 Ctrl-C 后，等待进行中的请求完成的最长秒数，超时后关闭剩余连接。
# 环境变量：LIANXIN_SHUTDOWN_GRACE_SECS
shutdown_grace_secs = 30

# 监控指标 /metrics（Prometheus 文本格式）的访问令牌；未配置时不提供 /metrics。
# 抓取时带 Authorization: Bearer <令牌>。生成：openssl rand -hex 32
# 环境变量：LIANXIN_METRICS_TOKEN
# metrics_token = "..."
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_parses() {
        let c: Config = toml::from_str(EXAMPLE).unwrap();
        assert_eq!(c.database_url(), DEFAULT_DATABASE_URL);
    }

    #[test]
    fn secrets_are_redacted() {
        let c = Config {
            database_url: Some("postgres://lx:s3cret@db/lianxin".into()),
            encryption_key: Some("KEYMATERIAL".into()),
            ..Config::default()
        };
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("s3cret") && !shown.contains("KEYMATERIAL"),
            "{shown}"
        );
    }

    #[test]
    fn sqlite_paths() {
        assert_eq!(
            sqlite_file("sqlite://lianxin.db"),
            Some(PathBuf::from("lianxin.db"))
        );
        assert_eq!(
            sqlite_file("sqlite:///var/lib/lx.db?mode=rwc"),
            Some(PathBuf::from("/var/lib/lx.db"))
        );
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://x"), None);
    }

    #[test]
    fn postgres_without_key_is_an_error() {
        let c = Config {
            database_url: Some("postgres://x@y/z".into()),
            ..Config::default()
        };
        assert!(encryption_key(&c).is_err());
    }
}
