//! When the database cannot take a request: a full disk on SQLite, PostgreSQL's backends
//! killed under the app. Writes are refused with a 503 in Chinese (never a 500 or a hang),
//! reads go on, `/readyz` says so, and the app recovers by itself when the cause is gone.
//! (Each failure is one database's own: a full file is SQLite's, terminated backends are
//! PostgreSQL's.)

mod common;

use std::time::{Duration, Instant};

use common::Backend;
use serde_json::{Value, json};

/// Set `PRAGMA max_page_count` on every connection of the app's SQLite pool (the pragma is a
/// connection's own): `None` holds the file at its present size, as a full disk would.
async fn limit_pages(t: &common::TestApp, pages: Option<i64>) {
    let mut held = vec![];
    for _ in 0..8 {
        held.push(t.db.acquire().await.unwrap());
    }
    for c in &mut held {
        let lianxin_store::Conn::Sqlite(x) = c.conn() else {
            unreachable!()
        };
        let now: i64 = sqlx::query_scalar("PRAGMA page_count")
            .fetch_one(&mut *x)
            .await
            .unwrap();
        let q = format!("PRAGMA max_page_count = {}", pages.unwrap_or(now));
        sqlx::query(sqlx::AssertSqlSafe(q))
            .execute(&mut *x)
            .await
            .unwrap();
    }
}

async fn add_member(t: &common::TestApp, token: &str, n: usize) -> (u16, Value) {
    let sector = t.sector_id(token, "教育界").await;
    t.post(
        token,
        "/api/v1/members",
        &json!({"name": format!("满盘测试{n}"), "status": "active", "sector_id": sector,
                "employer": "第一中学".repeat(20), "bio": "履历".repeat(400)}),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_disk_full_refuses_writes_keeps_reads_and_recovers() {
    let t = common::spawn_demo(Backend::Sqlite).await;
    let office = t.token("office").await;
    limit_pages(&t, None).await;
    let mut refused = None;
    for n in 0..300 {
        let (s, v) = add_member(&t, &office, n).await;
        assert!(s == 201 || s == 503, "never a 500: {s} {v}");
        if s == 503 {
            refused = Some(v);
            break;
        }
    }
    let v = refused.expect("the full database refused a write");
    assert_eq!(v["error"]["code"], "storage.full", "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("存储空间已满")
    );
    // Reads go on; the node says it is not ready.
    let (s, _) = t.get(&office, "/api/v1/members?per_page=5").await;
    assert_eq!(s, 200);
    let r = t.api.get(t.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 503);
    assert_eq!(r.json::<Value>().await.unwrap()["reason"], "storage");
    // Space again: the next write goes through (no connection is stuck in the failed
    // transaction), and the file is sound.
    limit_pages(&t, Some(1_073_741_823)).await;
    let (s, v) = add_member(&t, &office, 1000).await;
    assert_eq!(s, 201, "{v}");
    let (s, _) = t
        .patch(&office, "/api/v1/members/3", &json!({"employer": "恢复后"}))
        .await;
    assert_eq!(s, 200);
    let mut c = t.db.acquire().await.unwrap();
    let lianxin_store::Conn::Sqlite(x) = c.conn() else {
        unreachable!()
    };
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut *x)
        .await
        .unwrap();
    assert_eq!(check, "ok");
    drop(c);
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_lianxin"))
        .args(["--database-url", &t.url, "audit", "verify"])
        .env("LIANXIN_ENCRYPTION_KEY", &t.key)
        .env("LIANXIN_AUDIT_CHECKPOINTS", &t.checkpoints)
        .env_remove("LIANXIN_DATABASE_URL")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_backends_killed_under_the_app_are_replaced() {
    let t = common::spawn_demo(Backend::Postgres).await;
    let office = t.token("office").await;
    // Warm the pool, then terminate every connection the app holds.
    for _ in 0..5 {
        t.get(&office, "/api/v1/members?per_page=5").await;
    }
    let admin = sqlx::PgPool::connect(&t.url).await.unwrap();
    let killed: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .fetch_all(&admin)
    .await
    .unwrap();
    assert!(!killed.is_empty());
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let start = Instant::now();
    let mut recovered = None;
    for i in 0..50 {
        let r = client
            .patch(t.url("/api/v1/members/3"))
            .bearer_auth(&office)
            .json(&json!({"employer": format!("重连后{i}")}))
            .send()
            .await
            .expect("an answer, not a hang");
        let s = r.status().as_u16();
        let v: Value = r.json().await.unwrap_or(Value::Null);
        assert!(s == 200 || s == 503, "never a 500: {s} {v}");
        if s == 503 {
            assert!(
                v["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("暂时不可用")
            );
        }
        if s == 200 {
            recovered = Some(start.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let took = recovered.expect("the app recovered");
    assert!(took < Duration::from_secs(5), "{took:?}");
    let (s, v) = t.get(&office, "/api/v1/members/3").await;
    assert_eq!(s, 200);
    assert!(v["employer"].as_str().unwrap().starts_with("重连后"));
}

// A transaction whose COMMIT fails (here a deferred foreign key; on a full disk, the write
// of the log) must not leave its connection inside the transaction: handed out again, it
// would refuse every transaction ("begin at non-zero transaction depth") until a restart.
// sqlx rolls such a transaction back when it is dropped; the pool also closes any
// connection found still inside one (`fit_for_use` in store/src/db.rs).
both_demo!(a_failed_commit_leaves_no_connection_unusable, |t| {
    for _ in 0..3 {
        let mut tx = t.db.begin_append().await.unwrap();
        let q = match t.backend {
            Backend::Sqlite => "PRAGMA defer_foreign_keys = ON",
            Backend::Postgres => "SET CONSTRAINTS ALL DEFERRED",
        };
        lianxin_store::db::run(&mut tx.conn(), q, &[])
            .await
            .unwrap();
        // A session of a user that does not exist: refused at COMMIT only (SQLite defers
        // it by the pragma; PostgreSQL would refuse at once, which is also fine here).
        let insert = lianxin_store::db::run(
            &mut tx.conn(),
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) \
             VALUES ('x', 999999, 'y', '2026-01-01T00:00:00+00:00', '2026-01-02T00:00:00+00:00')",
            &[],
        )
        .await;
        if insert.is_ok() {
            assert!(tx.commit().await.is_err(), "the commit is refused");
        }
    }
    // Every connection of the pool still begins a transaction (held at once: read ones, so
    // that SQLite's one writer is not waited for) …
    let mut open = vec![];
    for _ in 0..8 {
        open.push(t.db.begin_read().await.expect("a usable connection"));
    }
    drop(open);
    // … and writes go on.
    for _ in 0..3 {
        let tx = t.db.begin_append().await.expect("a usable connection");
        tx.commit().await.unwrap();
    }
    let (s, _) = t.get(&t.token("admin").await, "/api/v1/me").await;
    assert_eq!(s, 200);
});
