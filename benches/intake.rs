//! Concern intake throughput (issue 3 figures): `cargo bench --bench intake`.
//!
//! For SQLite, then PostgreSQL (`LIANXIN_TEST_POSTGRES_URL`, default the local server), on a
//! fresh database with the demo data, in one run on this machine:
//! 1. raw: the same concern rows inserted in a loop with plain SQL, one transaction each,
//!    with the same durability settings (SQLite WAL + synchronous=FULL; PostgreSQL defaults);
//! 2. intake: `POST /open311/v2/requests.json` over HTTP with 16 concurrent clients —
//!    validation, routing by the rules, insert, events and audit, as every intake does;
//! 3. p99 latency at half the maximum intake rate (an open loop at a fixed rate).
//!
//! Prints requests/s, the ratio intake / raw (target ≥ 0.5) and latencies.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use lianxin_store::Db;
use lianxin_store::concerns::{ConcernRow, insert};

const KEY: &str = lianxin_service::demo_concerns::OPEN311_KEY;
const CONCURRENCY: usize = 16;

fn seconds() -> u64 {
    std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(8)
}

fn row(i: u64, category: i64) -> ConcernRow {
    let at = Utc::now();
    ConcernRow {
        id: 0,
        committee_id: 1,
        code: format!("raw{i:09}"),
        title: "楼道照明坏了".into(),
        detail: "三单元楼道灯坏了两周，老人夜里上下楼不安全。".into(),
        category_id: category,
        area: "滨江街道望江社区".into(),
        sector_id: None,
        person_name: None,
        phone_enc: None,
        phone_index: None,
        phone_masked: None,
        publish: true,
        status: "assigned".into(),
        close_reason: None,
        duplicate_of: None,
        referred_unit_id: None,
        studio_id: Some(1),
        member_id: None,
        special_committee_id: None,
        source: "raw".into(),
        submitted_at: at,
        due_at: at,
        first_reply_at: None,
        answered_at: None,
        resolved_at: None,
        closed_at: None,
        escalated_at: None,
        rating: None,
        rating_comment: None,
        rated_at: None,
        followup_sent_at: None,
        followup_answer: None,
        user_id: None,
        idempotency_key: None,
        open311_client_id: None,
        lat: None,
        lon: None,
        updated_at: at,
    }
}

/// Rows per second of plain inserts, each its own transaction, for `secs` seconds.
async fn raw(db: &Db, secs: u64) -> f64 {
    let mut conn = db.acquire().await.expect("conn");
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < Duration::from_secs(secs) {
        insert(&mut conn.conn(), &row(n, 1)).await.expect("insert");
        n += 1;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn form(i: u64) -> Vec<(&'static str, String)> {
    vec![
        ("api_key", KEY.into()),
        ("service_code", "urban".into()),
        (
            "description",
            format!("楼道照明坏了（第{i}条），三单元楼道灯坏了两周，老人夜里上下楼不安全。"),
        ),
        ("address_string", "江川市滨江街道望江社区".into()),
    ]
}

struct Run {
    rate: f64,
    errors: u64,
    latencies: Vec<Duration>,
}

/// Closed loop: as fast as `CONCURRENCY` clients go.
async fn flat_out(url: &str, secs: u64) -> Run {
    let client = reqwest::Client::new();
    let stop = Arc::new(AtomicBool::new(false));
    let counter = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENCY {
        let (client, stop, counter, errors, url) = (
            client.clone(),
            stop.clone(),
            counter.clone(),
            errors.clone(),
            url.to_string(),
        );
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let i = counter.fetch_add(1, Ordering::Relaxed);
                let t = Instant::now();
                match client.post(&url).form(&form(i)).send().await {
                    Ok(r) if r.status() == 201 => lat.push(t.elapsed()),
                    _ => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            lat
        }));
    }
    tokio::time::sleep(Duration::from_secs(secs)).await;
    stop.store(true, Ordering::Relaxed);
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await.expect("task"));
    }
    let rate = latencies.len() as f64 / start.elapsed().as_secs_f64();
    Run {
        rate,
        errors: errors.load(Ordering::Relaxed),
        latencies,
    }
}

/// Open loop: one request every 1/rate seconds, whatever the answers do.
async fn at_rate(url: &str, rate: f64, secs: u64) -> Run {
    let client = reqwest::Client::new();
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
    let errors = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    let mut i = 1_000_000u64;
    while start.elapsed() < Duration::from_secs(secs) {
        tick.tick().await;
        i += 1;
        let (client, url, errors) = (client.clone(), url.to_string(), errors.clone());
        tasks.push(tokio::spawn(async move {
            let t = Instant::now();
            match client.post(&url).form(&form(i)).send().await {
                Ok(r) if r.status() == 201 => Some(t.elapsed()),
                _ => {
                    errors.fetch_add(1, Ordering::Relaxed);
                    None
                }
            }
        }));
    }
    let mut latencies = Vec::new();
    for t in tasks {
        if let Some(l) = t.await.expect("task") {
            latencies.push(l);
        }
    }
    let rate = latencies.len() as f64 / start.elapsed().as_secs_f64();
    Run {
        rate,
        errors: errors.load(Ordering::Relaxed),
        latencies,
    }
}

async fn bench(postgres: bool) {
    let (db, app) = support::demo_app("intake", postgres).await;
    let base = support::serve(&app).await;
    let secs = seconds();
    let endpoint = format!("{base}/open311/v2/requests.json");
    // Warm up connections and caches.
    let _ = flat_out(&endpoint, 1).await;
    let raw_rate = raw(&db, secs).await;
    let mut full = flat_out(&endpoint, secs).await;
    let mut half = at_rate(&endpoint, full.rate / 2.0, secs).await;
    let name = if postgres { "PostgreSQL" } else { "SQLite" };
    println!("{name}:");
    println!("  raw insert loop (plain SQL, one transaction per row) {raw_rate:>9.1} rows/s");
    println!(
        "  HTTP intake, {CONCURRENCY} clients                     {:>9.1} req/s  p50 {:.1} ms  p99 {:.1} ms  errors {}",
        full.rate,
        support::pct(&mut full.latencies, 0.50),
        support::pct(&mut full.latencies, 0.99),
        full.errors
    );
    println!(
        "  HTTP intake at half that rate ({:.0}/s)             {:>9.1} req/s  p50 {:.1} ms  p99 {:.1} ms  errors {}",
        full.rate / 2.0,
        half.rate,
        support::pct(&mut half.latencies, 0.50),
        support::pct(&mut half.latencies, 0.99),
        half.errors
    );
    println!(
        "  ratio intake / raw = {:.2}   (target ≥ 0.5)",
        full.rate / raw_rate
    );
    db.close().await;
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else to parse.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        println!(
            "Lianxin concern intake — {}s per measurement, on this machine",
            seconds()
        );
        // BENCH_BACKENDS=sqlite or =postgres runs one; both by default.
        let only = std::env::var("BENCH_BACKENDS").unwrap_or_default();
        if only != "postgres" {
            bench(false).await;
        }
        if only != "sqlite" {
            bench(true).await;
        }
    });
}
