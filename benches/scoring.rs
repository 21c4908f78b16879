//! The year of duty at scale (issue 6), each against a plain `SELECT member_id, SUM(points) …
//! GROUP BY member_id` over the same duty log in the same run: ranking every member (from the
//! kept scores) and changing the year's rules, which scores every member again from every
//! entry and keeps the new scores, in one transaction with its audit record; one member's
//! score page (p95, over HTTP); the annual report's generation.
//!
//! `cargo bench --bench scoring`. SQLite gets `city` scale (20,000 members, 660,000 entries);
//! PostgreSQL gets `BENCH_SCALE` (default `province`: 100,000 / 3.3 million; `national`: 600,000 /
//! 20 million). `BENCH_BACKENDS=sqlite|postgres` runs one.

mod support;

use std::time::{Duration, Instant};

use chrono::Datelike;
use lianxin_domain::scoring::RuleSet;
use lianxin_service::demo_scale::{self, Scale};
use lianxin_service::duty::{annual, rules, scores};
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
    // Two versions of the rules that differ in the activities' cap, saved in turn: each save
    // changes the totals of the many members who reach the cap, as a real change of rules does.
    let g = lianxin_domain::access::system_actor(1)
        .grant()
        .expect("system grant");
    let versions = [
        RuleSet::default_rules().to_string(),
        RuleSet::default_rules().replacen(
            "cap = 10       # 桐城 2019: activities cap 10",
            "cap = 14       # a change of rules, for the benchmark",
            1,
        ),
    ];
    assert_ne!(versions[0], versions[1], "the benchmark changes the rules");
    let (mut raw, mut ours, mut full) = (vec![], vec![], vec![]);
    for i in 0..3 {
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
        // The office saves changed rules: every member scored again from every entry.
        let t = Instant::now();
        rules::save(&app, &g, year, &versions[(i + 1) % 2])
            .await
            .expect("save rules");
        full.push(t.elapsed());
    }
    let after = scores::ranking_of(&mut conn.conn(), 1, year)
        .await
        .expect("ranking");
    assert_ne!(
        after.rows.iter().map(|r| r.total_centi).sum::<i64>(),
        ranked.rows.iter().map(|r| r.total_centi).sum::<i64>(),
        "the changed rules changed the kept scores"
    );
    let t = Instant::now();
    let packed = lianxin_store::duty::packed_year(&mut conn.conn(), 1, year)
        .await
        .expect("rows");
    let read = t.elapsed();
    // For the record: PostgreSQL's plan for the plain query is its own choice; the same query
    // held to sequential scans, which is sometimes much faster, is printed beside it.
    let seq = if postgres {
        let c = &mut conn.conn();
        lianxin_store::db::run(c, "SET enable_indexscan = off", &[])
            .await
            .expect("set");
        lianxin_store::db::run(c, "SET enable_bitmapscan = off", &[])
            .await
            .expect("set");
        let mut v = vec![];
        for _ in 0..3 {
            let t = Instant::now();
            plain_sql(c, year).await;
            v.push(t.elapsed());
        }
        lianxin_store::db::run(c, "RESET ALL", &[])
            .await
            .expect("reset");
        Some(median(v))
    } else {
        None
    };
    drop(conn);
    let (raw, ours, full) = (median(raw), median(ours), median(full));
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("  plain SUM(points) GROUP BY member_id: {:.0} ms", ms(raw));
    if let Some(seq) = seq {
        println!(
            "    (the same query held to sequential scans: {:.0} ms; changing the rules is {:.2}× that)",
            ms(seq),
            ms(full) / ms(seq)
        );
    }
    println!(
        "  ranking every member (kept scores, places, tiers, last year): {:.0} ms — {:.2}× the plain query",
        ms(ours),
        ms(ours) / ms(raw)
    );
    println!(
        "  changing the rules: every member scored again from all {} entries and kept: {:.0} ms — {:.2}× (reading the entries: {:.0} ms)",
        packed.entries.len(),
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
    let report = annual::build(
        &app,
        &lianxin_domain::access::system_actor(1)
            .grant()
            .expect("system"),
        year,
    )
    .await
    .expect("report");
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
