//! What the benchmarks share: a fresh database per backend, the server on a free port, and
//! percentiles.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use lianxin_service::{App, Crypto, demo};
use lianxin_store::Db;

/// A URL for a new, empty database: a temporary SQLite file, or `lianxin_bench_{name}` on the
/// PostgreSQL server of `LIANXIN_TEST_POSTGRES_URL` (dropped and made anew).
pub async fn fresh(name: &str, postgres: bool) -> String {
    if !postgres {
        let dir = std::env::temp_dir().join(format!("lianxin-bench-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        return format!("sqlite://{}", dir.join(format!("{name}.db")).display());
    }
    let admin = std::env::var("LIANXIN_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let pool = sqlx::PgPool::connect(&admin)
        .await
        .expect("PostgreSQL for the benchmark");
    let db = format!("lianxin_bench_{name}");
    for q in [
        format!("DROP DATABASE IF EXISTS {db}"),
        format!("CREATE DATABASE {db}"),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(q.clone()))
            .execute(&pool)
            .await
            .expect("database");
    }
    format!(
        "{}/{db}",
        admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin)
    )
}

/// A fresh database of this backend, migrated, with the demo committee loaded; connected as
/// `lianxin serve` connects.
pub async fn demo_app(name: &str, postgres: bool) -> (Db, App) {
    let url = fresh(name, postgres).await;
    let db = Db::connect_with(&url, lianxin_store::db::WARM_CONNECTIONS)
        .await
        .expect("connect");
    db.migrate().await.expect("migrate");
    let app = App::new(
        db.clone(),
        Crypto::from_base64(&Crypto::generate_key()).expect("key"),
    );
    demo::load(&app).await.expect("demo");
    (db, app)
}

/// Serve the app on a free local port; its base URL.
pub async fn serve(app: &App) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let state = lianxin_web::State {
        app: app.clone(),
        public_url: base.clone(),
        secure_cookies: false,
        trust_proxy: false,
    };
    tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            lianxin_web::router(state).into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await;
    });
    base
}

/// A cookie-keeping client signed in to the server at `base` as `username` (demo password).
pub async fn signed_in(base: &str, username: &str) -> reqwest::Client {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("client");
    let login = client
        .get(format!("{base}/login"))
        .send()
        .await
        .expect("login")
        .text()
        .await
        .expect("text");
    let csrf = login
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or("")
        .to_string();
    let r = client
        .post(format!("{base}/login"))
        .form(&[
            ("username", username),
            ("password", demo::PASSWORD),
            ("_csrf", &csrf),
        ])
        .send()
        .await
        .expect("sign in");
    assert!(r.status().is_success() || r.status().is_redirection());
    client
}

/// The `p` quantile (0–1) of the latencies, in milliseconds.
pub fn pct(l: &mut [Duration], p: f64) -> f64 {
    if l.is_empty() {
        return 0.0;
    }
    l.sort_unstable();
    let i = ((l.len() as f64 * p).ceil() as usize).clamp(1, l.len()) - 1;
    l[i].as_secs_f64() * 1000.0
}
