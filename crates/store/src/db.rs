use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use lianxin_domain::audit::AuditKey;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgConnection, PgPool, Postgres, Sqlite, SqliteConnection, SqlitePool, Transaction};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL (use sqlite://… or postgres://…)")]
    BadUrl,
    /// Stored data that does not read as it was written.
    #[error("{0}")]
    Corrupt(String),
}

impl StoreError {
    /// The constraint a write violated, if that is what went wrong: the service turns it
    /// into a 409 naming the field rather than a 500.
    pub fn unique_violation(&self) -> Option<String> {
        match self {
            StoreError::Sql(sqlx::Error::Database(e)) if e.is_unique_violation() => Some(
                e.constraint()
                    .map(str::to_string)
                    .unwrap_or_else(|| e.message().to_string()),
            ),
            _ => None,
        }
    }
    /// The database cannot take the request now, through no fault of the caller's: the disk
    /// is full, the server is shutting down or away, the pool timed out. `full` or
    /// `unavailable`; the service answers 503 (and `/readyz` says so for a while).
    pub fn unavailable(&self) -> Option<&'static str> {
        let StoreError::Sql(e) = self else {
            return None;
        };
        match e {
            sqlx::Error::Database(d) => match d.code().as_deref() {
                // SQLite: SQLITE_FULL; PostgreSQL: disk_full, out of memory.
                Some("13") | Some("53100") => Some("full"),
                // SQLite: SQLITE_IOERR, SQLITE_BUSY; PostgreSQL: too many connections,
                // admin / crash shutdown, cannot connect now, connection exceptions.
                Some("10" | "5" | "53300" | "57P01" | "57P02" | "57P03") => Some("unavailable"),
                Some(c) if c.starts_with("08") => Some("unavailable"),
                _ => None,
            },
            sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::Protocol(_) => Some("unavailable"),
            _ => None,
        }
    }

    pub fn foreign_key_violation(&self) -> bool {
        matches!(self, StoreError::Sql(sqlx::Error::Database(e)) if e.is_foreign_key_violation())
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// A pooled connection still inside a transaction — its rollback failed (on a full disk, a
/// dropped link) — would refuse every transaction after ("begin at non-zero transaction
/// depth"); it is closed instead of handed out, and the pool opens a fresh one.
fn fit_for_use(c: &impl sqlx::Connection) -> bool {
    if c.is_in_transaction() {
        tracing::warn!("a pooled connection was left inside a transaction; closing it");
        return false;
    }
    true
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// How many PostgreSQL connections the server keeps open while idle: all 16. A plenary's
/// check-in burst needs every one of them at once; opening them during the burst put about
/// 150 ms on its slowest requests (`cargo bench --bench checkin_burst`).
pub const WARM_CONNECTIONS: u32 = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// The database, chosen once from its URL, with the key its audit chain is written under
/// (see `domain::audit`; set by [`Db::with_audit_key`] when the service is built).
#[derive(Clone, Debug)]
pub struct Db {
    pool: Pool,
    audit_key: Option<Arc<AuditKey>>,
}

/// The connection pool of whichever database the URL named.
#[derive(Clone, Debug)]
pub enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A connection of either kind; store functions take `&mut Conn` and run through [`on!`].
pub enum Conn<'a> {
    Sqlite(&'a mut SqliteConnection),
    Postgres(&'a mut PgConnection),
}

/// Run the same expression on whichever connection this is. Inside, `$c` is
/// `&mut &mut SqliteConnection` or `&mut &mut PgConnection`; use `&mut **$c` as executor.
#[macro_export]
macro_rules! on {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::Conn::Sqlite($c) => $body,
            $crate::db::Conn::Postgres($c) => $body,
        }
    };
}

/// Like [`on!`] for statements that return no rows: yields the number of rows affected.
#[macro_export]
macro_rules! exec {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::Conn::Sqlite($c) => $body.map(|r| r.rows_affected()),
            $crate::db::Conn::Postgres($c) => $body.map(|r| r.rows_affected()),
        }
    };
}

/// A transaction: every use case that changes something runs in exactly one.
pub struct Tx {
    inner: TxInner,
    audit_key: Option<Arc<AuditKey>>,
}

enum TxInner {
    /// SQLite transactions are begun IMMEDIATE: they hold the one write lock throughout.
    /// The head is the audit chain's (seq, hash) once this transaction has read it.
    Sqlite(Transaction<'static, Sqlite>, Option<Head>),
    /// On PostgreSQL the head is read with `FOR UPDATE`: having it means holding the lock.
    Postgres(Transaction<'static, Postgres>, Option<Head>),
}

/// The audit chain's head: the newest record's sequence number and hash.
pub type Head = (i64, String);

pub enum PoolConn {
    Sqlite(sqlx::pool::PoolConnection<Sqlite>),
    Postgres(sqlx::pool::PoolConnection<Postgres>),
}

impl PoolConn {
    pub fn conn(&mut self) -> Conn<'_> {
        match self {
            PoolConn::Sqlite(c) => Conn::Sqlite(c),
            PoolConn::Postgres(c) => Conn::Postgres(c),
        }
    }
}

impl Tx {
    /// The key this transaction's audit records are chained under; a database handle made
    /// without one (a bare test or tool connection) cannot write the audit trail.
    pub fn audit_key(&self) -> Result<Arc<AuditKey>> {
        self.audit_key.clone().ok_or_else(|| {
            StoreError::Corrupt("no audit key: the audit trail cannot be written".into())
        })
    }

    pub fn conn(&mut self) -> Conn<'_> {
        match &mut self.inner {
            TxInner::Sqlite(t, _) => Conn::Sqlite(t),
            TxInner::Postgres(t, _) => Conn::Postgres(t),
        }
    }
    pub async fn commit(self) -> Result<()> {
        match self.inner {
            TxInner::Sqlite(t, _) => t.commit().await?,
            TxInner::Postgres(t, _) => t.commit().await?,
        }
        Ok(())
    }
    /// Remember the head after this transaction appended an audit record.
    pub fn advance_head(&mut self, head: Head) {
        match &mut self.inner {
            TxInner::Sqlite(_, h) | TxInner::Postgres(_, h) => *h = Some(head),
        }
    }

    /// Take the journal lock and read the audit head, once per transaction: events and the
    /// audit record are appended under it, so event ids grow in commit order.
    pub async fn lock_journal(&mut self) -> Result<Head> {
        match &mut self.inner {
            TxInner::Sqlite(t, head) => match head {
                Some(h) => Ok(h.clone()),
                None => {
                    let h: Head = sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
                        .fetch_one(&mut **t)
                        .await?;
                    *head = Some(h.clone());
                    Ok(h)
                }
            },
            TxInner::Postgres(t, head) => match head {
                Some(h) => Ok(h.clone()),
                None => {
                    let h: Head =
                        sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE")
                            .fetch_one(&mut **t)
                            .await?;
                    *head = Some(h.clone());
                    Ok(h)
                }
            },
        }
    }
}

/// A value bound to a query. NULLs carry their type because PostgreSQL wants one.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Text(String),
    Int(i64),
    Real(f64),
    Bool(bool),
    Bytes(Vec<u8>),
    Time(chrono::DateTime<chrono::Utc>),
    NullText,
    NullInt,
    NullReal,
    NullBool,
    NullBytes,
    NullTime,
}

/// Bind a list of [`Param`]s; expanded inside [`on!`] so it types for either database.
#[macro_export]
macro_rules! bind_params {
    ($q:expr, $params:expr) => {{
        let mut q = $q;
        for p in $params {
            q = match p {
                $crate::db::Param::Text(s) => q.bind(s.clone()),
                $crate::db::Param::Int(n) => q.bind(*n),
                $crate::db::Param::Real(f) => q.bind(*f),
                $crate::db::Param::Bool(b) => q.bind(*b),
                $crate::db::Param::Bytes(b) => q.bind(b.clone()),
                $crate::db::Param::Time(t) => q.bind(*t),
                $crate::db::Param::NullText => q.bind(None::<String>),
                $crate::db::Param::NullInt => q.bind(None::<i64>),
                $crate::db::Param::NullReal => q.bind(None::<f64>),
                $crate::db::Param::NullBool => q.bind(None::<bool>),
                $crate::db::Param::NullBytes => q.bind(None::<Vec<u8>>),
                $crate::db::Param::NullTime => q.bind(None::<chrono::DateTime<chrono::Utc>>),
            };
        }
        q
    }};
}

impl Db {
    /// Connect to `sqlite://path` (created if missing) or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Db> {
        Db::connect_with(url, 0).await
    }

    /// Connect, keeping at least `warm` PostgreSQL connections open even when idle: the
    /// server does, so that a burst (a plenary's check-in) does not wait for many new
    /// connections to be set up and authenticated at once. (SQLite's are local files.)
    pub async fn connect_with(url: &str, warm: u32) -> Result<Db> {
        if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // An acknowledged write must survive a power cut.
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                // SQLite's default page cache is 2 MB: a year's duty log of a large committee
                // is read through the OS on every ranking. Map the file and keep 32 MB per
                // connection instead.
                .pragma("cache_size", "-32768")
                .pragma("mmap_size", "1073741824");
            // An embedded file does not drop connections: skip sqlx's ping on every acquire.
            let pool = SqlitePoolOptions::new()
                .test_before_acquire(false)
                .before_acquire(|c, _| Box::pin(async move { Ok(fit_for_use(c)) }))
                .max_connections(8)
                .connect_with(opts)
                .await?;
            Ok(Db::of(Pool::Sqlite(pool)))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let opts = PgConnectOptions::from_str(url)?;
            // One plain connection first: a server that is down or refuses us answers at
            // once with its reason, where the pool would retry for its whole timeout and
            // then only say that it timed out.
            let first = tokio::time::timeout(
                Duration::from_secs(10),
                <PgConnection as sqlx::Connection>::connect_with(&opts),
            )
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)??;
            sqlx::Connection::close(first).await?;
            let pool = PgPoolOptions::new()
                .before_acquire(|c, _| Box::pin(async move { Ok(fit_for_use(c)) }))
                .max_connections(16)
                .min_connections(warm)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await?;
            Ok(Db::of(Pool::Postgres(pool)))
        } else {
            Err(StoreError::BadUrl)
        }
    }

    fn of(pool: Pool) -> Db {
        Db {
            pool,
            audit_key: None,
        }
    }

    /// The same database, writing its audit chain under `key`.
    pub fn with_audit_key(&self, key: AuditKey) -> Db {
        Db {
            pool: self.pool.clone(),
            audit_key: Some(Arc::new(key)),
        }
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    fn tx(&self, inner: TxInner) -> Tx {
        Tx {
            inner,
            audit_key: self.audit_key.clone(),
        }
    }

    pub fn backend(&self) -> Backend {
        match &self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    pub async fn migrate(&self) -> Result<()> {
        match &self.pool {
            Pool::Sqlite(p) => {
                // sqlx takes no lock on SQLite: two processes starting on a new file would
                // both apply the first migration. A lock file beside the database, held
                // while migrating, lets one migrate and the other find it done.
                let file = p.connect_options().get_filename().to_path_buf();
                let _held = if file.as_os_str().is_empty() || file.starts_with(":memory:") {
                    None
                } else {
                    let lock = std::path::PathBuf::from(format!("{}.migrate-lock", file.display()));
                    Some(
                        tokio::task::spawn_blocking(move || -> std::io::Result<std::fs::File> {
                            let f = std::fs::OpenOptions::new()
                                .create(true)
                                .truncate(false)
                                .write(true)
                                .open(&lock)?;
                            f.lock()?;
                            Ok(f)
                        })
                        .await
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?
                        .map_err(|e| StoreError::Corrupt(format!("migration lock: {e}")))?,
                    )
                };
                SQLITE_MIGRATIONS.run(p).await?
            }
            // sqlx holds a PostgreSQL advisory lock while it migrates: two nodes starting at
            // the same moment run each migration once.
            Pool::Postgres(p) => POSTGRES_MIGRATIONS.run(p).await?,
        }
        Ok(())
    }

    /// The newest migration applied to this database (`None`: none yet) and the newest this
    /// binary knows. Applied above known means the database was upgraded by a newer binary.
    pub async fn schema_versions(&self) -> Result<(Option<i64>, i64)> {
        let known = |m: &sqlx::migrate::Migrator| m.iter().map(|m| m.version).max().unwrap_or(0);
        let q = "SELECT MAX(version) FROM _sqlx_migrations WHERE success";
        // A database never migrated has no such table: nothing applied.
        Ok(match &self.pool {
            Pool::Sqlite(p) => (
                sqlx::query_scalar(q).fetch_one(p).await.unwrap_or(None),
                known(&SQLITE_MIGRATIONS),
            ),
            Pool::Postgres(p) => (
                sqlx::query_scalar(q).fetch_one(p).await.unwrap_or(None),
                known(&POSTGRES_MIGRATIONS),
            ),
        })
    }

    pub async fn acquire(&self) -> Result<PoolConn> {
        Ok(match &self.pool {
            Pool::Sqlite(p) => PoolConn::Sqlite(p.acquire().await?),
            Pool::Postgres(p) => PoolConn::Postgres(p.acquire().await?),
        })
    }

    /// A transaction that will write. It takes the audit chain's head first, so writers are
    /// serialised in one order: event ids then grow in commit order (a reader with a cursor
    /// never misses an event committed late) and the audit chain has no forks.
    pub async fn begin_write(&self) -> Result<Tx> {
        let mut tx = self.begin_append().await?;
        tx.lock_journal().await?;
        Ok(tx)
    }

    /// A transaction that only adds new rows (a new concern, a booking): it takes the journal
    /// lock late, when it appends its events, so such transactions run side by side until then.
    /// Anything that reads a row and changes it uses [`Db::begin_write`] instead.
    pub async fn begin_append(&self) -> Result<Tx> {
        Ok(self.tx(match &self.pool {
            // IMMEDIATE takes SQLite's write lock now instead of failing on upgrade later.
            Pool::Sqlite(p) => TxInner::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?, None),
            Pool::Postgres(p) => TxInner::Postgres(p.begin().await?, None),
        }))
    }

    /// A read-only transaction, for a consistent view across several queries: one snapshot
    /// (SQLite's WAL read snapshot from the first read; on PostgreSQL `REPEATABLE READ`, since
    /// its default gives each statement a snapshot of its own).
    pub async fn begin_read(&self) -> Result<Tx> {
        Ok(self.tx(match &self.pool {
            Pool::Sqlite(p) => TxInner::Sqlite(p.begin().await?, None),
            Pool::Postgres(p) => TxInner::Postgres(
                p.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await?,
                None,
            ),
        }))
    }

    /// (connections open, of which idle), for the metrics.
    pub fn pool_stats(&self) -> (u32, usize) {
        match &self.pool {
            Pool::Sqlite(p) => (p.size(), p.num_idle()),
            Pool::Postgres(p) => (p.size(), p.num_idle()),
        }
    }

    pub async fn ping(&self) -> Result<()> {
        match &self.pool {
            Pool::Sqlite(p) => sqlx::query("SELECT 1").execute(p).await?.rows_affected(),
            Pool::Postgres(p) => sqlx::query("SELECT 1").execute(p).await?.rows_affected(),
        };
        Ok(())
    }

    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
        }
    }
}

/// Read a column from a row of either database.
pub trait RowGet {
    fn text(&self, col: &str) -> Result<Option<String>>;
    fn int(&self, col: &str) -> Result<Option<i64>>;
    fn boolean(&self, col: &str) -> Result<Option<bool>>;
    fn bytes(&self, col: &str) -> Result<Option<Vec<u8>>>;
}

macro_rules! row_get {
    ($row:ty) => {
        impl RowGet for $row {
            fn text(&self, col: &str) -> Result<Option<String>> {
                Ok(sqlx::Row::try_get(self, col)?)
            }
            fn int(&self, col: &str) -> Result<Option<i64>> {
                Ok(sqlx::Row::try_get(self, col)?)
            }
            fn boolean(&self, col: &str) -> Result<Option<bool>> {
                Ok(sqlx::Row::try_get(self, col)?)
            }
            fn bytes(&self, col: &str) -> Result<Option<Vec<u8>>> {
                Ok(sqlx::Row::try_get(self, col)?)
            }
        }
    };
}
row_get!(sqlx::sqlite::SqliteRow);
row_get!(sqlx::postgres::PgRow);

/// How many rows of `cols` values one multi-row statement should carry. Binding parameters
/// on SQLite costs time growing with the square of their number in one statement (measured:
/// 20,000 rows of 8 values took 1.35 s in statements of 1,000 rows, 0.18 s in statements of
/// 100), so there statements stay near 400 parameters; PostgreSQL takes up to 65,535 and
/// gains from fewer round trips.
pub fn rows_per_statement(c: &Conn<'_>, cols: usize) -> usize {
    let params = match c {
        Conn::Sqlite(_) => 400,
        Conn::Postgres(_) => 8_000,
    };
    (params / cols.max(1)).max(1)
}

/// Insert `rows`, a batch of them per statement: `head` is `INSERT INTO t (…)`, `tail` what
/// follows the values (an `ON CONFLICT …` clause, or nothing), and `params_of` gives a row's
/// `cols` values in order.
pub async fn insert_rows<T>(
    c: &mut Conn<'_>,
    head: &str,
    tail: &str,
    cols: usize,
    rows: &[T],
    params_of: impl Fn(&T) -> Vec<Param>,
) -> Result<()> {
    for chunk in rows.chunks(rows_per_statement(c, cols)) {
        let q = format!("{head} VALUES {} {tail}", values_rows(chunk.len(), cols));
        let params: Vec<Param> = chunk.iter().flat_map(&params_of).collect();
        run(c, &q, &params).await?;
    }
    Ok(())
}

/// `($1, $2, …), ($k, …)` for a multi-row INSERT of `rows` rows of `cols` values each.
pub fn values_rows(rows: usize, cols: usize) -> String {
    (0..rows)
        .map(|r| format!("({})", placeholders(r * cols + 1, cols)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `$from, $from+1, …` placeholders for an IN list.
pub fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A row type that both databases can decode.
pub trait Rowed:
    for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
    + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
    + Send
    + Unpin
{
}
impl<T> Rowed for T where
    T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
        + Send
        + Unpin
{
}

/// A row being read: its columns by position, borrowed from the row.
pub trait RowRef {
    fn int_at(&self, i: usize) -> Result<i64>;
    fn str_at(&self, i: usize) -> Result<&str>;
}

macro_rules! row_ref {
    ($row:ty) => {
        impl RowRef for $row {
            fn int_at(&self, i: usize) -> Result<i64> {
                Ok(sqlx::Row::try_get(self, i)?)
            }
            fn str_at(&self, i: usize) -> Result<&str> {
                Ok(sqlx::Row::try_get(self, i)?)
            }
        }
    };
}
row_ref!(sqlx::sqlite::SqliteRow);
row_ref!(sqlx::postgres::PgRow);

/// Hand each row of `q` to `f` as it arrives, keeping none: for reads of millions of rows,
/// where decoding each into owned strings would cost more than the database's own work.
pub async fn each_row<F>(c: &mut Conn<'_>, q: &str, params: &[Param], mut f: F) -> Result<()>
where
    F: FnMut(&dyn RowRef) -> Result<()> + Send,
{
    use futures_util::TryStreamExt;
    let q = q.to_string();
    match c {
        Conn::Sqlite(x) => {
            let mut rows =
                bind_params!(sqlx::query(sqlx::AssertSqlSafe(q)), params).fetch(&mut **x);
            while let Some(r) = rows.try_next().await? {
                f(&r)?;
            }
        }
        Conn::Postgres(x) => {
            let mut rows =
                bind_params!(sqlx::query(sqlx::AssertSqlSafe(q)), params).fetch(&mut **x);
            while let Some(r) = rows.try_next().await? {
                f(&r)?;
            }
        }
    }
    Ok(())
}

/// Every row of `q` with `params`, on either database.
pub async fn all<T: Rowed>(c: &mut Conn<'_>, q: &str, params: &[Param]) -> Result<Vec<T>> {
    let q = q.to_string();
    on!(c, |x| bind_params!(
        sqlx::query_as::<_, T>(sqlx::AssertSqlSafe(q)),
        params
    )
    .fetch_all(&mut **x)
    .await)
    .map_err(Into::into)
}

/// The first row of `q`, if any.
pub async fn opt<T: Rowed>(c: &mut Conn<'_>, q: &str, params: &[Param]) -> Result<Option<T>> {
    let q = q.to_string();
    on!(c, |x| bind_params!(
        sqlx::query_as::<_, T>(sqlx::AssertSqlSafe(q)),
        params
    )
    .fetch_optional(&mut **x)
    .await)
    .map_err(Into::into)
}

/// One integer (an id from `RETURNING id`, a count).
pub async fn int(c: &mut Conn<'_>, q: &str, params: &[Param]) -> Result<i64> {
    let q = q.to_string();
    on!(c, |x| bind_params!(
        sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(q)),
        params
    )
    .fetch_one(&mut **x)
    .await)
    .map_err(Into::into)
}

/// Run a statement; the number of rows it changed.
pub async fn run(c: &mut Conn<'_>, q: &str, params: &[Param]) -> Result<u64> {
    let q = q.to_string();
    exec!(c, |x| bind_params!(
        sqlx::query(sqlx::AssertSqlSafe(q)),
        params
    )
    .execute(&mut **x)
    .await)
    .map_err(Into::into)
}

/// Save a row's changeable columns (`cols`, bound from `values` in order) and its
/// `updated_at`, by id.
pub async fn update_row(
    c: &mut Conn<'_>,
    table: &str,
    cols: &[&str],
    mut values: Vec<Param>,
    updated_at: chrono::DateTime<chrono::Utc>,
    id: i64,
) -> Result<()> {
    let sets: Vec<String> = cols
        .iter()
        .enumerate()
        .map(|(i, col)| format!("{col} = ${}", i + 1))
        .collect();
    let n = cols.len();
    let q = format!(
        "UPDATE {table} SET {}, updated_at = ${} WHERE id = ${}",
        sets.join(", "),
        n + 1,
        n + 2
    );
    values.push(Param::Time(updated_at));
    values.push(Param::Int(id));
    run(c, &q, &values).await?;
    Ok(())
}

/// A WHERE clause built from optional filters: `and("status = ?", v)` numbers the
/// placeholder itself, so filters can be added in any order. Every `?` of one condition
/// stands for the same value.
#[derive(Debug, Clone, Default)]
pub struct Where {
    pub sql: String,
    pub params: Vec<Param>,
}

impl Where {
    pub fn and(&mut self, cond: &str, v: Param) -> &mut Self {
        self.params.push(v);
        let n = self.params.len();
        let cond = cond.replace('?', &format!("${n}"));
        self.raw(&cond)
    }
    /// A condition without a value (written by us, never from input).
    pub fn raw(&mut self, cond: &str) -> &mut Self {
        self.sql.push_str(if self.sql.is_empty() {
            " WHERE "
        } else {
            " AND "
        });
        self.sql.push_str(cond);
        self
    }
    /// `$n, $n+1` for the next two parameters (LIMIT and OFFSET).
    pub fn page(&self) -> String {
        let n = self.params.len();
        format!(" LIMIT ${} OFFSET ${}", n + 1, n + 2)
    }
    pub fn with_page(&self, limit: i64, offset: i64) -> Vec<Param> {
        let mut p = self.params.clone();
        p.push(Param::Int(limit));
        p.push(Param::Int(offset));
        p
    }
}

/// `Some(x)` as a typed parameter, `None` as a NULL of that type.
pub fn opt_text(v: &Option<String>) -> Param {
    v.clone().map(Param::Text).unwrap_or(Param::NullText)
}
pub fn opt_int(v: Option<i64>) -> Param {
    v.map(Param::Int).unwrap_or(Param::NullInt)
}
pub fn opt_time(v: Option<chrono::DateTime<chrono::Utc>>) -> Param {
    v.map(Param::Time).unwrap_or(Param::NullTime)
}
