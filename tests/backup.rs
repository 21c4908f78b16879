//! Backup and restore through the `lianxin` binary: the demo on SQLite is backed up,
//! restored into PostgreSQL (a committee moving), backed up there, restored into SQLite, and
//! every table comes back identical; the audit chain verifies and phones still open on each.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::Backend;

fn lianxin(url: &str, key: &str, checkpoints: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lianxin"))
        .args(["--database-url", url])
        .args(args)
        .env("LIANXIN_ENCRYPTION_KEY", key)
        .env("LIANXIN_AUDIT_CHECKPOINTS", checkpoints)
        .env_remove("LIANXIN_DATABASE_URL")
        .current_dir(std::env::temp_dir())
        .output()
        .expect("run lianxin")
}

fn said(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn file(name: &str) -> PathBuf {
    std::env::temp_dir().join("lianxin-tests").join(format!(
        "{name}_{}_{}.lxb",
        std::process::id(),
        rand_tag()
    ))
}

fn rand_tag() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

/// The table and row lines of a backup: everything but the header (time made, source
/// database) and the end line (its checksum covers the header).
fn body(p: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(p).expect("backup file");
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() > 2, "{} lines", lines.len());
    lines[1..lines.len() - 1]
        .iter()
        .map(|l| l.to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_to_postgres_and_back_is_identical() {
    let t = common::spawn_demo(Backend::Sqlite).await;
    // Some change after the demo, so that the duty log, the audit chain and sequences are in
    // the middle of things rather than at a loader's clean end.
    let office = t.token("office").await;
    let (s, _) = t
        .patch(
            &office,
            "/api/v1/members/3",
            &serde_json::json!({"employer": "迁移前的单位"}),
        )
        .await;
    assert_eq!(s, 200);
    let key = t.key.clone();
    let cp = t.checkpoints.clone();

    let one = file("one");
    let o = lianxin(&t.url, &key, &cp, &["backup", "-o", one.to_str().unwrap()]);
    assert!(o.status.success(), "{}", said(&o));
    assert!(said(&o).contains("已备份"), "{}", said(&o));
    assert!(!PathBuf::from(format!("{}.partial", one.display())).exists());

    // Into PostgreSQL: an empty database, made by the restore itself.
    let pg = common::fresh_database(Backend::Postgres).await;
    let o = lianxin(&pg, &key, &cp, &["restore", one.to_str().unwrap()]);
    assert!(o.status.success(), "{}", said(&o));
    let o = lianxin(&pg, &key, &cp, &["audit", "verify"]);
    assert!(
        o.status.success(),
        "audit verify on PostgreSQL: {}",
        said(&o)
    );
    // A second restore into the same database is refused: it is not empty any more.
    let o = lianxin(&pg, &key, &cp, &["restore", one.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(said(&o).contains("目标数据库不是空的"), "{}", said(&o));
    let two = file("two");
    let o = lianxin(&pg, &key, &cp, &["backup", "-o", two.to_str().unwrap()]);
    assert!(o.status.success(), "{}", said(&o));

    // And back into a new SQLite file.
    let back = common::fresh_database(Backend::Sqlite).await;
    let o = lianxin(&back, &key, &cp, &["restore", two.to_str().unwrap()]);
    assert!(o.status.success(), "{}", said(&o));
    let o = lianxin(&back, &key, &cp, &["audit", "verify"]);
    assert!(
        o.status.success(),
        "audit verify after the round trip: {}",
        said(&o)
    );
    let three = file("three");
    let o = lianxin(&back, &key, &cp, &["backup", "-o", three.to_str().unwrap()]);
    assert!(o.status.success(), "{}", said(&o));

    let (a, b) = (body(&one), body(&three));
    assert_eq!(a.len(), b.len(), "same number of tables and rows");
    let first_difference = a.iter().zip(&b).position(|(x, y)| x != y);
    assert_eq!(
        first_difference,
        None,
        "{:?}",
        first_difference.map(|i| (&a[i], &b[i]))
    );
    // Phones are still sealed and still open with the key: the roster export shows them
    // (after the comparison: an export is itself an audited change).
    let csv = file("roster").with_extension("csv");
    let o = lianxin(
        &back,
        &key,
        &cp,
        &["export", "members", csv.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", said(&o));
    let roster = std::fs::read_to_string(&csv).unwrap();
    assert!(
        roster.contains("迁移前的单位") && roster.contains("138"),
        "{roster:.300}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_backup_or_another_key_is_refused_before_anything_is_written() {
    let t = common::spawn_demo(Backend::Postgres).await;
    let one = file("damaged");
    let o = lianxin(
        &t.url,
        &t.key,
        &t.checkpoints,
        &["backup", "-o", one.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", said(&o));
    let o = lianxin(
        &t.url,
        &t.key,
        &t.checkpoints,
        &["restore", "--check", one.to_str().unwrap()],
    );
    assert!(
        o.status.success() && said(&o).contains("备份文件完好"),
        "{}",
        said(&o)
    );

    // One changed character in a row: the checksum catches it.
    let text = std::fs::read_to_string(&one).unwrap();
    let changed = text.replacen("委员", "伪员", 1);
    assert_ne!(text, changed);
    let bad = file("changed");
    std::fs::write(&bad, changed).unwrap();
    let target = common::fresh_database(Backend::Sqlite).await;
    let o = lianxin(
        &target,
        &t.key,
        &t.checkpoints,
        &["restore", bad.to_str().unwrap()],
    );
    assert!(!o.status.success());
    assert!(said(&o).contains("校验和不符"), "{}", said(&o));
    // Cut short (an interrupted copy): no end line.
    let cut = file("cut");
    std::fs::write(&cut, &text[..text.len() / 2]).unwrap();
    let o = lianxin(
        &target,
        &t.key,
        &t.checkpoints,
        &["restore", cut.to_str().unwrap()],
    );
    assert!(!o.status.success());
    assert!(said(&o).contains("文件不完整"), "{}", said(&o));
    // Restored under another encryption key: refused, and the target stays empty.
    let other = lianxin_service::Crypto::generate_key();
    let o = lianxin(
        &target,
        &other,
        &t.checkpoints,
        &["restore", one.to_str().unwrap()],
    );
    assert!(!o.status.success());
    assert!(said(&o).contains("另一把加密密钥"), "{}", said(&o));
    let fresh = lianxin_store::Db::connect(&target).await.unwrap();
    let mut conn = fresh.acquire().await.unwrap();
    assert!(
        lianxin_store::backup::is_empty(&mut conn.conn())
            .await
            .unwrap()
    );
}
