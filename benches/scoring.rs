//! The year of duty at scale (issue 6), each against a plain `SELECT member_id, SUM(points) …
//! GROUP BY member_id` over the same duty log in the same run: ranking every member (from the
//! kept scores) and scoring every member again from every entry (what a rules change does);
//! one member's score page (p95, over HTTP); the annual report's generation.
//!
//! `cargo bench --bench scoring`. SQLite gets `city` scale (20,000 members, 660,000 entries);
//! PostgreSQL gets `BENCH_SCALE` (default `province`: 100,000 / 3.3 million; `national`: 600,000 /
//! 20 million). `BENCH_BACKENDS=sqlite|postgres` runs one.

mod support;

use std::time::{Duration, Instant};

use chrono::Datelike;
use lianxin_domain::scoring::RuleSet;
use lianxin_service::demo_scale::{self, Scale};
use lianxin_service::duty::{annual, scores};
use lianxin_store::db::{Param, all};

#[derive(sqlx::FromRow)]
struct Sum {
    #[allow(dead_code)]
    member_id: i64,
    points: i64,
}

/// The baseline: each entry's points by its kind (the default rules' first rule for it), summed
/// per member — no roles, caps, splits, gate or tiers.
async fn plain_sql(c: &mut lianxin_store::Conn<'_>, year: i64) -> Vec<Sum> {
    let rules = RuleSet::parse(RuleSet::default_rules()).expect("default rules");
    let mut seen = std::collections::HashSet::new();
    let cases: Vec<String> = rules
        .rules
        .iter()
        .filter(|r| seen.insert(r.entry.clone()))
        .map(|r| format!("WHEN '{}' THEN {}", r.entry, r.centi))
        .collect();
    let q = format!(
        "SELECT member_id, CAST(SUM(CASE kind {} ELSE 0 END) AS BIGINT) AS points FROM duty_log \
         WHERE committee_id = 1 AND year = $1 GROUP BY member_id",
        cases.join(" ")
    );
    all(c, &q, &[Param::Int(year)]).await.expect("plain sql")
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort_unstable();
    v[v.len() / 2]
}

async fn bench(postgres: bool, scale: Scale) {
    let name = if postgres { "PostgreSQL" } else { "SQLite" };
    let (db, app) = support::demo_app("scoring", postgres).await;
    let t = Instant::now();
    demo_scale::load(&app, scale, &|_, _| {})
        .await
        .expect("scale");
    println!(
        "\n{name}: {} members, {} duty-log entries written in {:.1} s",
        scale.members(),
        scale.entries(),
        t.elapsed().as_secs_f64()
    );
    let year = i64::from(lianxin_service::opinions::bulletins::china(chrono::Utc::now()).year());
    let mut conn = db.acquire().await.expect("conn");
    // Warm both once (page cache, plans), then three of each, alternating.
    let warm = plain_sql(&mut conn.conn(), year).await;
    let ranked = scores::ranking_of(&mut conn.conn(), 1, year)
        .await
        .expect("ranking");
    assert!(warm.len() >= scale.members() as usize);
    assert!(ranked.rows.len() >= scale.members() as usize);
    assert!(warm.iter().any(|s| s.points > 0));
    let (mut raw, mut ours, mut full) = (vec![], vec![], vec![]);
    for _ in 0..3 {
        let t = Instant::now();
        let r = plain_sql(&mut conn.conn(), year).await;
        raw.push(t.elapsed());
        assert_eq!(r.len(), warm.len());
        let t = Instant::now();
        let r = scores::ranking_of(&mut conn.conn(), 1, year)
            .await
            .expect("ranking");
        ours.push(t.elapsed());
        assert_eq!(r.rows.len(), ranked.rows.len());
        // Scoring every member again from every entry, as saving the rules does.
        let t = Instant::now();
        let n = scores::keep_scores(&mut conn.conn(), 1, year, None)
            .await
            .expect("keep");
        full.push(t.elapsed());
        assert_eq!(n, ranked.rows.len());
    }
    let t = Instant::now();
    let rows = lianxin_store::duty::scoring_rows(&mut conn.conn(), 1, year)
        .await
        .expect("rows");
    let read = t.elapsed();
    drop(conn);
    let (raw, ours, full) = (median(raw), median(ours), median(full));
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("  plain SUM(points) GROUP BY member_id: {:.0} ms", ms(raw));
    println!(
        "  ranking every member (kept scores, places, tiers, last year): {:.0} ms — {:.2}× the plain query",
        ms(ours),
        ms(ours) / ms(raw)
    );
    println!(
        "  scoring every member again from all {} entries (a rules change): {:.0} ms — {:.2}× (reading the rows: {:.0} ms)",
        rows.len(),
        ms(full),
        ms(full) / ms(raw),
        ms(read)
    );

    // One member's score page, as the office opens it, over HTTP.
    let base = support::serve(&app).await;
    let client = support::signed_in(&base, "office").await;
    let ids: Vec<i64> = ranked
        .rows
        .iter()
        .step_by((ranked.rows.len() / 200).max(1))
        .map(|r| r.member_id)
        .take(200)
        .collect();
    let mut pages = vec![];
    for id in &ids {
        let t = Instant::now();
        let r = client
            .get(format!("{base}/office/members/{id}/archive"))
            .send()
            .await
            .expect("page");
        assert_eq!(r.status(), 200);
        let body = r.text().await.expect("body");
        pages.push(t.elapsed());
        assert!(body.contains("id=\"total\""));
    }
    println!(
        "  one member's score page over HTTP ({} members): p50 {:.1} ms, p95 {:.1} ms",
        pages.len(),
        support::pct(&mut pages, 0.5),
        support::pct(&mut pages, 0.95)
    );

    // The annual report to the standing committee.
    let t = Instant::now();
    let report = annual::build(&app, 1, year).await.expect("report");
    let built = t.elapsed();
    let t = Instant::now();
    let pdf = annual::render(report.clone(), annual::Format::Pdf)
        .await
        .expect("pdf");
    let pdf_time = t.elapsed();
    let t = Instant::now();
    let xlsx = annual::render(report, annual::Format::Xlsx)
        .await
        .expect("xlsx");
    println!(
        "  annual report: figures {:.1} s; PDF {:.1} s ({} KB); XLSX {:.1} s ({} KB, every member)",
        built.as_secs_f64(),
        pdf_time.as_secs_f64(),
        pdf.len() / 1024,
        t.elapsed().as_secs_f64(),
        xlsx.len() / 1024
    );
}

fn main() {
    let scale = Scale::parse(&std::env::var("BENCH_SCALE").unwrap_or_else(|_| "province".into()))
        .expect("BENCH_SCALE: city, province or national");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        println!("Lianxin year of duty at scale, on this machine");
        let only = std::env::var("BENCH_BACKENDS").unwrap_or_default();
        if only != "postgres" {
            bench(false, Scale::City).await;
        }
        if only != "sqlite" {
            bench(true, scale).await;
        }
    });
}
