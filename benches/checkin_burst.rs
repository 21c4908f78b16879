//! A plenary check-in burst (issue 5 figures): `cargo bench --bench checkin_burst`.
//!
//! For SQLite, then PostgreSQL (`LIANXIN_TEST_POSTGRES_URL`), on a fresh database with the
//! demo data grown to 2,000 members, each with a live session: a plenary session invites them
//! all, and every member checks in through `POST /api/v1/activities/{id}/checkins` with the
//! code of the screen, concurrently, within 60 seconds. Arrivals bunch at the doors' opening
//! the way they do at a real plenary: member i arrives at 60 s × (i/n)², so the first quarter
//! of the members arrive in under 4 seconds (a peak above 100 a second).
//!
//! The baseline, in the same run and on the same arrival schedule: a raw single-row INSERT of
//! the same check-in rows (member, time, method) into the same table, one autocommit
//! statement each, straight to the pool — what storing a check-in costs with no HTTP, no
//! session, no code check, no event and no audit record.
//!
//! Prints errors, p50, p99 and max of each, and the ratio HTTP / raw at p99.
//! `BENCH_MEMBERS` and `BENCH_WINDOW_SECS` change the size (defaults 2000 and 60),
//! `BENCH_BACKENDS=sqlite|postgres` runs one.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use lianxin_domain::access::{Granted, OrganiseActivities, system_actor};
use lianxin_service::App;
use lianxin_service::activities::attendance::code_at;
use lianxin_service::activities::planning::{self, ActivityInput};
use lianxin_service::crypto::{random_token, sha256_hex};
use lianxin_store::Db;
use lianxin_store::db::{Param, int, run};

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// Grow the demo committee to `n` active members, each with an account and a live session;
/// the bearer tokens.
async fn members_with_sessions(db: &Db, n: i64) -> Vec<String> {
    let now = chrono::Utc::now();
    let mut tx = db.begin_write().await.expect("tx");
    let have = int(
        &mut tx.conn(),
        "SELECT COUNT(*) FROM members WHERE committee_id = 1 AND status = 'active'",
        &[],
    )
    .await
    .expect("count");
    if have < n {
        run(&mut tx.conn(), "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $1) \
            INSERT INTO members (committee_id, name, sector_id, is_standing, status, created_at, updated_at) \
            SELECT 1, '签到委员' || i, (SELECT MIN(id) FROM sectors WHERE committee_id = 1), FALSE, 'active', $2, $2 FROM s",
            &[Param::Int(n - have), Param::Time(now)]).await.expect("members");
    }
    run(&mut tx.conn(), "INSERT INTO users (committee_id, username, display_name, role, password_hash, member_id, created_at, updated_at) \
        SELECT 1, 'bench-' || m.id, m.name, 'member', 'no-login', m.id, $1, $1 FROM members m \
        WHERE m.committee_id = 1 AND m.status = 'active' AND NOT EXISTS (SELECT 1 FROM users u WHERE u.member_id = m.id)",
        &[Param::Time(now)]).await.expect("users");
    let users: Vec<(i64,)> = lianxin_store::db::all(
        &mut tx.conn(),
        "SELECT u.id FROM users u JOIN members m ON m.id = u.member_id \
        WHERE m.committee_id = 1 AND m.status = 'active' ORDER BY u.id LIMIT $1",
        &[Param::Int(n)],
    )
    .await
    .expect("ids");
    let mut tokens = Vec::new();
    for (uid,) in users {
        let token = random_token();
        lianxin_store::accounts::insert_session(
            &mut tx.conn(),
            &sha256_hex(&token),
            uid,
            "bench",
            now,
            now + chrono::Duration::hours(4),
        )
        .await
        .expect("session");
        tokens.push(token);
    }
    tx.commit().await.expect("commit");
    tokens
}

/// When member i (of n) arrives: bunched at the start.
fn arrival(i: usize, n: usize, window: Duration) -> Duration {
    window.mul_f64((i as f64 / n as f64).powi(2))
}

struct Outcome {
    latencies: Vec<Duration>,
    errors: usize,
    took: Duration,
}

async fn http_burst(
    app: &App,
    base: &str,
    id: i64,
    tokens: &[String],
    window: Duration,
) -> Outcome {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()
        .expect("client");
    let url = format!("{base}/api/v1/activities/{id}/checkins");
    let start = Instant::now();
    let n = tokens.len();
    let mut tasks = Vec::with_capacity(n);
    for (i, token) in tokens.iter().enumerate() {
        let (client, url, token, app) = (client.clone(), url.clone(), token.clone(), app.clone());
        let at = start + arrival(i, n, window);
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep_until(at.into()).await;
            // Every fourth phone read the screen just before the code turned over.
            let seen = if i % 4 == 0 {
                chrono::Utc::now() - chrono::Duration::seconds(30)
            } else {
                chrono::Utc::now()
            };
            let body = serde_json::json!({"code": code_at(&app, id, seen)});
            let t = Instant::now();
            let r = client
                .post(&url)
                .bearer_auth(&token)
                .json(&body)
                .send()
                .await;
            let ok = match r {
                Ok(r) if r.status() == 200 => r
                    .json::<serde_json::Value>()
                    .await
                    .is_ok_and(|v| v["status"] == "checked_in"),
                _ => false,
            };
            (t.elapsed(), ok)
        }));
    }
    let mut out = Outcome {
        latencies: Vec::with_capacity(n),
        errors: 0,
        took: Duration::ZERO,
    };
    for t in tasks {
        let (d, ok) = t.await.expect("task");
        out.latencies.push(d);
        out.errors += usize::from(!ok);
    }
    out.took = start.elapsed();
    out
}

async fn raw_burst(db: &Db, id: i64, members: &[i64], window: Duration) -> Outcome {
    let start = Instant::now();
    let n = members.len();
    let db = Arc::new(db.clone());
    let mut tasks = Vec::with_capacity(n);
    for (i, m) in members.iter().enumerate() {
        let (db, m) = (db.clone(), *m);
        let at = start + arrival(i, n, window);
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep_until(at.into()).await;
            let t = Instant::now();
            let mut conn = db.acquire().await.expect("conn");
            let r = run(&mut conn.conn(), "INSERT INTO activity_invitations (activity_id, member_id, response, checked_in_at, \
                checkin_method, checked_in_by, late, left_early) VALUES ($1, $2, 'confirmed', $3, 'qr', 'bench', FALSE, FALSE)",
                &[Param::Int(id), Param::Int(m), Param::Time(chrono::Utc::now())]).await;
            (t.elapsed(), r.is_ok())
        }));
    }
    let mut out = Outcome {
        latencies: Vec::with_capacity(n),
        errors: 0,
        took: Duration::ZERO,
    };
    for t in tasks {
        let (d, ok) = t.await.expect("task");
        out.latencies.push(d);
        out.errors += usize::from(!ok);
    }
    out.took = start.elapsed();
    out
}

fn line(name: &str, o: &mut Outcome) -> f64 {
    let (p50, p99, max) = (
        support::pct(&mut o.latencies, 0.5),
        support::pct(&mut o.latencies, 0.99),
        support::pct(&mut o.latencies, 1.0),
    );
    println!(
        "  {name:<34} {:>5} in {:>5.1} s  errors {:>3}  p50 {p50:>7.2} ms  p99 {p99:>7.2} ms  max {max:>7.2} ms",
        o.latencies.len(),
        o.took.as_secs_f64(),
        o.errors
    );
    p99
}

async fn bench(postgres: bool, n: usize, window: Duration) {
    let (db, app) = support::demo_app("checkin", postgres).await;
    let tokens = members_with_sessions(&db, n as i64).await;
    assert_eq!(tokens.len(), n, "members with sessions");

    let g: Granted<OrganiseActivities> = system_actor(1).grant().expect("grant");
    let china = |t: chrono::DateTime<chrono::Utc>| {
        (t + chrono::Duration::hours(8))
            .format("%Y-%m-%dT%H:%M")
            .to_string()
    };
    let now = chrono::Utc::now();
    let (s, e) = (
        china(now + chrono::Duration::minutes(10)),
        china(now + chrono::Duration::hours(4)),
    );
    let mut conn = db.acquire().await.expect("conn");
    let plenary_kind = int(
        &mut conn.conn(),
        "SELECT id FROM activity_kinds WHERE code = 'plenary'",
        &[],
    )
    .await
    .expect("kind")
    .to_string();
    drop(conn);
    let input = |title: &'static str, scope: &'static str| ActivityInput {
        kind_id: &plenary_kind,
        title,
        starts_at: &s,
        ends_at: &e,
        place: "市政协礼堂",
        invite_scope: scope,
        ..ActivityInput::default()
    };
    let plenary = planning::create(&app, &g, &input("全体会议（签到压力测试）", "all_members"))
        .await
        .expect("plan");
    planning::publish(&app, &g, plenary).await.expect("publish");
    // The baseline's rows go to an unpublished twin, which has no invitations of its own.
    let twin = planning::create(&app, &g, &input("基线（原始插入）", "none"))
        .await
        .expect("plan twin");
    let mut conn = db.acquire().await.expect("conn");
    let members: Vec<(i64,)> = lianxin_store::db::all(
        &mut conn.conn(),
        "SELECT u.member_id FROM users u JOIN members m ON m.id = u.member_id \
        WHERE m.committee_id = 1 AND m.status = 'active' ORDER BY u.id LIMIT $1",
        &[Param::Int(n as i64)],
    )
    .await
    .expect("members");
    let invited = int(
        &mut conn.conn(),
        "SELECT COUNT(*) FROM activity_invitations WHERE activity_id = $1",
        &[Param::Int(plenary)],
    )
    .await
    .expect("invited");
    drop(conn);
    let base = support::serve(&app).await;

    println!(
        "{}: {n} members invited ({invited} active in the committee), arrivals over {} s",
        if postgres { "PostgreSQL" } else { "SQLite" },
        window.as_secs()
    );
    let idle = |db: &Db| match db.pool() {
        lianxin_store::db::Pool::Sqlite(p) => (p.size(), p.num_idle()),
        lianxin_store::db::Pool::Postgres(p) => (p.size(), p.num_idle()),
    };
    let mut http = http_burst(&app, &base, plenary, &tokens, window).await;
    let members: Vec<i64> = members.into_iter().map(|m| m.0).collect();
    let mut raw = raw_burst(&db, twin, &members, window).await;
    let hp99 = line("HTTP check-in (event + audit)", &mut http);
    let rp99 = line("raw INSERT of the same rows", &mut raw);
    println!("  ratio HTTP / raw at p99: {:.2}", hp99 / rp99);

    let mut conn = db.acquire().await.expect("conn");
    let checked = int(&mut conn.conn(), "SELECT COUNT(*) FROM activity_invitations WHERE activity_id = $1 AND checked_in_at IS NOT NULL", &[Param::Int(plenary)]).await.expect("checked");
    let events = int(
        &mut conn.conn(),
        "SELECT COUNT(*) FROM events WHERE kind = 'activity.checked_in' AND subject_id = $1",
        &[Param::Int(plenary)],
    )
    .await
    .expect("events");
    println!("  checked in: {checked}, check-in events: {events}");
    assert_eq!(checked as usize, n - http.errors);
    assert_eq!(events, checked, "one event per check-in");
    drop(conn);
    let size = idle(&db).0;
    // A connection is handed back to the pool by a task after its last use: wait for it.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        idle(&db).1 as u32,
        size,
        "no connection held after the burst"
    );
    println!("  pool: {size} connections, all idle after the burst");
    if tokio::time::timeout(Duration::from_secs(10), db.close())
        .await
        .is_err()
    {
        println!("  (the pool did not close within 10 s)");
    }
}

fn main() {
    let n = env_or("BENCH_MEMBERS", 2000) as usize;
    let window = Duration::from_secs(env_or("BENCH_WINDOW_SECS", 60));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        println!("Lianxin plenary check-in burst — {n} members through HTTP, on this machine");
        let only = std::env::var("BENCH_BACKENDS").unwrap_or_default();
        if only != "postgres" {
            bench(false, n, window).await;
        }
        if only != "sqlite" {
            bench(true, n, window).await;
        }
    });
}
