//! The test app (after zero2prod's `tests/api/helpers.rs`): each test starts Lianxin on a
//! random port with its own fresh database — a temporary SQLite file, or a new PostgreSQL
//! database on the server named by `LIANXIN_TEST_POSTGRES_URL` (default: the local
//! `postgres://postgres@127.0.0.1:5432/postgres`). A PostgreSQL test whose server cannot be
//! reached fails; it is never skipped.

#![allow(dead_code)]

use std::net::SocketAddr;

use lianxin_service::{App, Crypto, demo};
use lianxin_store::Db;
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub base: String,
    pub app: App,
    /// The same database, for tests that look behind the pages (the app keeps its own
    /// handle private).
    pub db: Db,
    pub backend: Backend,
    /// A client that keeps cookies, like a browser.
    pub browser: reqwest::Client,
    /// A client without cookies, like an API client.
    pub api: reqwest::Client,
    pub url: String,
    pub key: String,
    /// The app's file of signed audit checkpoints.
    pub checkpoints: std::path::PathBuf,
}

/// The token the test servers serve `/metrics` to.
pub const METRICS_TOKEN: &str = "test-metrics-token";

pub fn postgres_admin_url() -> String {
    std::env::var("LIANXIN_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn unique() -> String {
    let n: u64 = rand_u64();
    format!("{}_{n:x}", std::process::id())
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.finish()
}

/// A URL for a new, empty database of this backend.
pub async fn fresh_database(backend: Backend) -> String {
    match backend {
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join("lianxin-tests");
            std::fs::create_dir_all(&dir).expect("temp dir");
            format!(
                "sqlite://{}",
                dir.join(format!("t_{}.db", unique())).display()
            )
        }
        Backend::Postgres => {
            let admin = postgres_admin_url();
            let name = format!("lianxin_test_{}", unique());
            let pool = sqlx::PgPool::connect(&admin).await.unwrap_or_else(|e| {
                panic!(
                    "PostgreSQL tests need a server at {admin} (set LIANXIN_TEST_POSTGRES_URL): {e}"
                )
            });
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&pool)
                .await
                .expect("create test database");
            pool.close().await;
            let base = admin
                .rsplit_once('/')
                .map(|(b, _)| b.to_string())
                .unwrap_or(admin.clone());
            format!("{base}/{name}")
        }
    }
}

pub async fn spawn(backend: Backend) -> TestApp {
    let url = fresh_database(backend).await;
    let db = Db::connect(&url).await.expect("connect");
    db.migrate().await.expect("migrate");
    let key = Crypto::generate_key();
    let checkpoints = std::env::temp_dir()
        .join("lianxin-tests")
        .join(format!("audit_{}.jsonl", unique()));
    std::fs::create_dir_all(checkpoints.parent().expect("dir")).expect("temp dir");
    let app = App::new(db.clone(), Crypto::from_base64(&key).expect("key"))
        .with_checkpoints(checkpoints.clone())
        .with_metrics_token(Some(METRICS_TOKEN.into()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let base = format!("http://{addr}");
    let state = lianxin_web::State {
        app: app.clone(),
        public_url: base.clone(),
        secure_cookies: false,
        trust_proxy: false,
    };
    let router = lianxin_web::router(state);
    tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await;
    });
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let api = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    TestApp {
        base,
        app,
        db,
        backend,
        browser,
        api,
        url,
        key,
        checkpoints,
    }
}

/// Run the `lianxin` binary on the test app's database with its key, plus `env`.
pub fn cli(t: &TestApp, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_lianxin"));
    cmd.args(["--database-url", &t.url])
        .args(args)
        .env("LIANXIN_ENCRYPTION_KEY", &t.key)
        .env("LIANXIN_AUDIT_CHECKPOINTS", &t.checkpoints)
        .env_remove("LIANXIN_DATABASE_URL")
        .current_dir(std::env::temp_dir());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run lianxin")
}

/// What a command printed, stdout then stderr.
pub fn printed(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A test app with the demo committee loaded.
pub async fn spawn_demo(backend: Backend) -> TestApp {
    let t = spawn(backend).await;
    demo::load(&t.app).await.expect("demo loads");
    t
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Log in through the API and return the bearer token.
    pub async fn token(&self, username: &str) -> String {
        let r = self
            .api
            .post(self.url("/api/v1/session"))
            .json(&json!({"username": username, "password": demo::PASSWORD}))
            .send()
            .await
            .expect("login request");
        assert_eq!(r.status(), 200, "login as {username}");
        let v: Value = r.json().await.expect("json");
        v["token"].as_str().expect("token").to_string()
    }

    /// Send an API request with a bearer token: (status, JSON body or null).
    pub async fn call(&self, req: reqwest::RequestBuilder, token: &str) -> (u16, Value) {
        let r = req.bearer_auth(token).send().await.expect("request");
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, token: &str, path: &str) -> (u16, Value) {
        self.call(self.api.get(self.url(path)), token).await
    }

    pub async fn post(&self, token: &str, path: &str, body: &Value) -> (u16, Value) {
        self.call(self.api.post(self.url(path)).json(body), token)
            .await
    }

    pub async fn patch(&self, token: &str, path: &str, body: &Value) -> (u16, Value) {
        self.call(self.api.patch(self.url(path)).json(body), token)
            .await
    }

    /// The text of a page fetched with the browser's cookies.
    pub async fn browse(&self, path: &str) -> String {
        self.browser
            .get(self.url(path))
            .send()
            .await
            .expect("request")
            .text()
            .await
            .expect("text")
    }

    /// The text of a page fetched without any session.
    pub async fn anonymous(&self, path: &str) -> String {
        self.api
            .get(self.url(path))
            .send()
            .await
            .expect("request")
            .text()
            .await
            .expect("text")
    }

    /// Sign in through the login page like a person, keeping the cookies.
    pub async fn browser_login(&self, username: &str, password: &str) -> reqwest::Response {
        let page = self
            .browser
            .get(self.url("/login"))
            .send()
            .await
            .expect("login page")
            .text()
            .await
            .expect("text");
        let csrf = hidden(&page, "_csrf");
        self.browser
            .post(self.url("/login"))
            .form(&[
                ("username", username),
                ("password", password),
                ("_csrf", &csrf),
                ("next", ""),
            ])
            .send()
            .await
            .expect("login post")
    }

    /// A separate browser (its own cookies) signed in as the demo account `username`.
    pub async fn signed_in(&self, username: &str) -> reqwest::Client {
        self.signed_in_with(username, demo::PASSWORD).await
    }

    /// A separate browser (its own cookies) signed in with this password.
    pub async fn signed_in_with(&self, username: &str, password: &str) -> reqwest::Client {
        sign_in_at(&self.base, username, password).await
    }
}

/// A browser (its own cookies) signed in through the login page of the server at `base` —
/// this test's, or another `serve` process on the same database.
pub async fn sign_in_at(base: &str, username: &str, password: &str) -> reqwest::Client {
    let url = |path: &str| format!("{base}{path}");
    let c = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let login = c
        .get(url("/login"))
        .send()
        .await
        .expect("login page")
        .text()
        .await
        .expect("text");
    let r = c
        .post(url("/login"))
        .form(&[
            ("username", username),
            ("password", password),
            ("_csrf", &hidden(&login, "_csrf")),
        ])
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), 303, "sign in as {username}");
    c
}

impl TestApp {
    /// The id of a sector by name in the committee.
    pub async fn sector_id(&self, token: &str, name: &str) -> i64 {
        let (_, v) = self
            .get(
                token,
                &format!("/api/v1/sectors?q={}&per_page=100", urlenc(name)),
            )
            .await;
        v["items"]
            .as_array()
            .and_then(|a| a.iter().find(|s| s["name"] == name))
            .and_then(|s| s["id"].as_i64())
            .expect("sector")
    }
}

pub fn urlenc(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .expect("enc")
        .trim_start_matches('=')
        .to_string()
}

/// The value of a hidden input in a page.
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    html.split(&marker)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or("")
        .to_string()
}

/// Run the same test body on SQLite and on PostgreSQL, with the app made by `$spawn`.
#[macro_export]
macro_rules! on_both {
    ($spawn:ident, $name:ident, |$t:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run($t: common::TestApp) $body
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run(common::$spawn(common::Backend::Sqlite).await).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                run(common::$spawn(common::Backend::Postgres).await).await
            }
        }
    };
}

/// Run the same test body on SQLite and on PostgreSQL, each with an empty database.
#[macro_export]
macro_rules! both {
    ($name:ident, |$t:ident| $body:block) => {
        on_both!(spawn, $name, |$t| $body);
    };
}

/// Like [`both!`] with the demo data loaded.
#[macro_export]
macro_rules! both_demo {
    ($name:ident, |$t:ident| $body:block) => {
        on_both!(spawn_demo, $name, |$t| $body);
    };
}

/// The smallest valid PNG.
pub const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89";

impl TestApp {
    /// Post the public concern form (multipart) without cookies, like a person on a phone.
    pub async fn raise(
        &self,
        fields: &[(&str, &str)],
        files: Vec<(&str, Vec<u8>)>,
    ) -> reqwest::Response {
        let mut form = reqwest::multipart::Form::new();
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        for (name, bytes) in files {
            form = form.part(
                "attachments",
                reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
            );
        }
        self.api
            .post(self.url("/concerns"))
            .multipart(form)
            .send()
            .await
            .expect("post concern")
    }

    /// The tracking code from the redirect after a successful submission.
    pub fn code_of(r: &reqwest::Response) -> String {
        let loc = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        loc.trim_start_matches("/c/")
            .split('?')
            .next()
            .unwrap_or_default()
            .to_string()
    }

    /// The id of a demo category by name.
    pub async fn category(&self, name: &str) -> i64 {
        let v: Value = self
            .api
            .get(self.url("/api/v1/public/concern-categories?per_page=100"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .and_then(|c| c["id"].as_i64())
            .expect("category")
    }

    /// The concern behind a code, straight from the store.
    pub async fn concern(&self, code: &str) -> lianxin_store::concerns::ConcernRow {
        let mut conn = self.db.acquire().await.unwrap();
        lianxin_store::concerns::by_code(&mut conn.conn(), code)
            .await
            .unwrap()
            .expect("concern")
    }

    pub async fn concern_count(&self) -> i64 {
        let mut conn = self.db.acquire().await.unwrap();
        lianxin_store::concerns::list(&mut conn.conn(), 1, &Default::default(), 1, 0)
            .await
            .unwrap()
            .1
    }

    /// Post a form from a page of ours, with that page's CSRF token.
    pub async fn post_form(
        &self,
        c: &reqwest::Client,
        page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let html = c
            .get(self.url(page))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = hidden(&html, "_csrf");
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("_csrf", &csrf));
        c.post(self.url(action)).form(&all).send().await.unwrap()
    }
}

impl TestApp {
    /// A second committee beside the demo's, with its own `admin2`, `office2` and `citizen2`
    /// (demo password): for trying to cross from one committee into the other.
    pub async fn second_committee(&self) -> i64 {
        use lianxin_domain::access::{ManageUsers, system_actor};
        let cid =
            lianxin_service::committees::create_root(&self.app, "政协临江县委员会", "county", "")
                .await
                .expect("second committee");
        let g = system_actor(cid)
            .grant::<ManageUsers>()
            .expect("system grants");
        for (name, role) in [
            ("admin2", "admin"),
            ("office2", "office"),
            ("citizen2", "constituent"),
        ] {
            let input = lianxin_service::auth::UserInput {
                username: name,
                display_name: name,
                role,
                password: demo::PASSWORD,
                member_id: None,
                handling_unit_id: None,
            };
            lianxin_service::auth::add_user(&self.app, &g, &input, false)
                .await
                .expect("second committee's account");
        }
        cid
    }
}

/// The id in a redirect to `/{area}/{things}/{id}…`.
pub fn location_id(r: &reqwest::Response) -> i64 {
    let loc = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    loc.split('/')
        .nth(3)
        .and_then(|s| s.split('?').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no id in redirect {loc:?}"))
}

/// A page's status and text, fetched with this client's cookies.
pub async fn text(c: &reqwest::Client, t: &TestApp, path: &str) -> (u16, String) {
    let r = c.get(t.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

impl TestApp {
    /// The newest events of the committee (up to `limit`, newest first), as the office sees them.
    pub async fn events(&self, limit: usize) -> Vec<Value> {
        let office = self.token("office").await;
        self.get(&office, &format!("/api/v1/events?limit={limit}"))
            .await
            .1["items"]
            .as_array()
            .unwrap()
            .clone()
    }
}

impl TestApp {
    /// Every stored event of a kind a consumer acts on reads as its typed variant (never
    /// `Other`): the contract between the writers' JSON and the consumers' types. Returns the
    /// kinds seen.
    pub async fn assert_events_typed(&self) -> std::collections::BTreeSet<String> {
        use lianxin_domain::event::DomainEvent;
        let events = {
            let mut conn = self.db.acquire().await.expect("conn");
            lianxin_store::journal::events_after(&mut conn.conn(), 0, 1_000_000)
                .await
                .expect("events")
        };
        let mut seen = std::collections::BTreeSet::new();
        for e in &events {
            let payload: Value = serde_json::from_str(&e.payload).expect("payload");
            let typed = DomainEvent::read(&e.kind, &payload);
            if typed != DomainEvent::Other {
                seen.insert(e.kind.clone());
            } else {
                assert!(
                    !DomainEvent::TYPED_KINDS.contains(&e.kind.as_str()),
                    "{} does not read as its type: {}",
                    e.kind,
                    e.payload
                );
            }
        }
        seen
    }
}

impl TestApp {
    /// Run one SQL statement without parameters (for setting up a state no use case makes,
    /// such as concerns long past their deadline); how many rows it changed.
    pub async fn exec_sql(&self, q: &str) -> u64 {
        let mut conn = self.db.acquire().await.expect("conn");
        let q = sqlx::AssertSqlSafe(q.to_string());
        match conn.conn() {
            lianxin_store::Conn::Sqlite(x) => sqlx::query(q)
                .execute(&mut *x)
                .await
                .map(|r| r.rows_affected()),
            lianxin_store::Conn::Postgres(x) => sqlx::query(q)
                .execute(&mut *x)
                .await
                .map(|r| r.rows_affected()),
        }
        .expect("statement")
    }

    /// The one number a `SELECT COUNT(*) …` (or any one-integer query) answers.
    pub async fn count_sql(&self, q: &str) -> i64 {
        let mut conn = self.db.acquire().await.expect("conn");
        let q = sqlx::AssertSqlSafe(q.to_string());
        match conn.conn() {
            lianxin_store::Conn::Sqlite(x) => sqlx::query_scalar(q).fetch_one(&mut *x).await,
            lianxin_store::Conn::Postgres(x) => sqlx::query_scalar(q).fetch_one(&mut *x).await,
        }
        .expect("query")
    }
}

impl TestApp {
    /// Make `n` open concerns overdue and `m` answered ones due a follow-up; returns how many of
    /// each the jobs must handle.
    pub async fn due_work(&self, n: usize, m: usize) -> (i64, i64) {
        self.exec_sql(&format!(
            "UPDATE concerns SET due_at = '2020-01-01T00:00:00+00:00' WHERE id IN \
             (SELECT id FROM concerns WHERE status IN ('submitted', 'assigned', 'in_progress') \
              AND escalated_at IS NULL ORDER BY id LIMIT {n})"
        ))
        .await;
        self.exec_sql(&format!(
            "UPDATE concerns SET answered_at = '2020-01-01T00:00:00+00:00' WHERE id IN \
             (SELECT id FROM concerns WHERE status IN ('answered', 'resolved') AND rating IS NULL \
              AND followup_sent_at IS NULL ORDER BY id LIMIT {m})"
        ))
        .await;
        let mut conn = self.db.acquire().await.unwrap();
        let escalate = lianxin_store::concerns::to_escalate(&mut conn.conn(), chrono::Utc::now())
            .await
            .unwrap()
            .len();
        let ask = lianxin_store::concerns::to_follow_up(
            &mut conn.conn(),
            chrono::Utc::now() - chrono::Duration::days(14),
        )
        .await
        .unwrap()
        .len();
        (escalate as i64, ask as i64)
    }

    /// (events of `kind`, distinct subjects among them)
    pub async fn events_of(&self, kind: &str) -> (i64, i64) {
        (
            self.count_sql(&format!(
                "SELECT COUNT(*) FROM events WHERE kind = '{kind}'"
            ))
            .await,
            self.count_sql(&format!(
                "SELECT COUNT(DISTINCT subject_id) FROM events WHERE kind = '{kind}'"
            ))
            .await,
        )
    }
}
