//! The `lianxin` binary's commands, on SQLite and PostgreSQL.

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn lianxin(t: &common::TestApp, args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lianxin"));
    cmd.args(["--database-url", &t.url]).args(args);
    cmd.env("LIANXIN_ENCRYPTION_KEY", &t.key)
        .env("LIANXIN_AUDIT_CHECKPOINTS", &t.checkpoints)
        .env_remove("LIANXIN_DATABASE_URL")
        .current_dir(std::env::temp_dir());
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run lianxin");
    if let Some(mut input) = child.stdin.take() {
        input
            .write_all(stdin.unwrap_or("").as_bytes())
            .expect("stdin");
    }
    child.wait_with_output().expect("wait")
}

fn out(o: &Output) -> String {
    common::printed(o)
}

both!(set_up_a_committee_users_roster_and_verify_the_audit, |t| {
    let o = lianxin(
        &t,
        &["committee", "add", "政协测试市委员会", "--level", "city"],
        None,
    );
    assert!(o.status.success(), "{}", out(&o));
    assert!(out(&o).contains("34"));
    let o = lianxin(
        &t,
        &[
            "user",
            "add",
            "chief",
            "--role",
            "admin",
            "--name",
            "管理员",
        ],
        Some("a-good-password\n"),
    );
    assert!(o.status.success(), "{}", out(&o));
    let o = lianxin(
        &t,
        &["user", "add", "chief", "--role", "admin"],
        Some("a-good-password\n"),
    );
    assert!(!o.status.success());
    assert!(out(&o).contains("已被使用"), "{}", out(&o));
    let o = lianxin(&t, &["user", "list"], None);
    assert!(out(&o).contains("chief") && out(&o).contains("系统管理员"));
    // The demo refuses a database that holds real data.
    let o = lianxin(&t, &["demo"], None);
    assert!(!o.status.success());
    assert!(out(&o).contains("拒绝加载演示数据"), "{}", out(&o));

    let dir = std::env::temp_dir().join(format!("lianxin-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "姓名,性别,民族,党派,界别,专委会,工作单位及职务,手机,是否常委\n张三,男,汉族,,教育界,,,12,否\n").unwrap();
    let o = lianxin(&t, &["import", "members", bad.to_str().unwrap()], None);
    assert!(!o.status.success());
    assert!(out(&o).contains("第 2 行 [手机]"), "{}", out(&o));
    let good = dir.join("good.csv");
    std::fs::write(&good, "姓名,性别,民族,党派,界别,专委会,工作单位及职务,手机,是否常委\n张三,男,汉族,,教育界,,,13600000000,否\n").unwrap();
    let o = lianxin(&t, &["import", "members", good.to_str().unwrap()], None);
    assert!(o.status.success(), "{}", out(&o));
    assert!(out(&o).contains("已新增 1 名"));
    let xlsx = dir.join("out.xlsx");
    let o = lianxin(&t, &["export", "members", xlsx.to_str().unwrap()], None);
    assert!(o.status.success(), "{}", out(&o));
    assert!(std::fs::read(&xlsx).unwrap().starts_with(b"PK"));

    let o = lianxin(&t, &["user", "passwd", "chief"], Some("another-password\n"));
    assert!(o.status.success(), "{}", out(&o));
    let o = lianxin(&t, &["audit", "checkpoint"], None);
    assert!(o.status.success(), "{}", out(&o));
    assert!(out(&o).contains("已写入检查点"), "{}", out(&o));
    let o = lianxin(&t, &["audit", "checkpoint"], None);
    assert!(out(&o).contains("未重复写入"), "{}", out(&o));
    let o = lianxin(&t, &["audit", "verify"], None);
    assert!(o.status.success(), "{}", out(&o));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("OK"));
    // The same database under another audit key does not verify.
    let other = lianxin_service::Crypto::generate_key();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lianxin"));
    let o = cmd
        .args(["--database-url", &t.url, "audit", "verify"])
        .env("LIANXIN_ENCRYPTION_KEY", &t.key)
        .env("LIANXIN_AUDIT_KEY", &other)
        .env("LIANXIN_AUDIT_CHECKPOINTS", &t.checkpoints)
        .current_dir(std::env::temp_dir())
        .output()
        .unwrap();
    assert!(!o.status.success(), "{}", out(&o));
});

both!(audit_verify_fails_on_a_broken_chain, |t| {
    lianxin(
        &t,
        &["committee", "add", "政协测试县委员会", "--level", "county"],
        None,
    );
    lianxin(
        &t,
        &["user", "add", "u1", "--role", "office"],
        Some("a-good-password"),
    );
    let mut conn = t.db.acquire().await.unwrap();
    match conn.conn() {
        lianxin_store::Conn::Sqlite(x) => {
            sqlx::query("DROP TRIGGER audit_log_no_delete")
                .execute(&mut *x)
                .await
                .unwrap();
            sqlx::query("DELETE FROM audit_log WHERE seq = 1")
                .execute(&mut *x)
                .await
                .unwrap();
        }
        lianxin_store::Conn::Postgres(x) => {
            sqlx::query("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
                .execute(&mut *x)
                .await
                .unwrap();
            sqlx::query("DELETE FROM audit_log WHERE seq = 1")
                .execute(&mut *x)
                .await
                .unwrap();
        }
    }
    let o = lianxin(&t, &["audit", "verify"], None);
    assert!(!o.status.success());
    assert!(out(&o).contains("第 2 条"), "{}", out(&o));
});

#[test]
fn config_example_is_annotated_and_postgres_needs_a_key() {
    let o = Command::new(env!("CARGO_BIN_EXE_lianxin"))
        .args(["config", "example"])
        .output()
        .unwrap();
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("database_url") && text.contains("encryption_key") && text.contains('#'));
    let o = Command::new(env!("CARGO_BIN_EXE_lianxin"))
        .args(["--database-url", &common::postgres_admin_url(), "migrate"])
        .env_remove("LIANXIN_ENCRYPTION_KEY")
        .current_dir(std::env::temp_dir())
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("必须配置加密密钥"));
}

both_demo!(
    the_annual_report_and_the_scale_demo_from_the_command_line,
    |t| {
        let year = (chrono::Utc::now() + chrono::Duration::hours(8))
            .format("%Y")
            .to_string();
        let dir = std::env::temp_dir().join(format!("lianxin-cli-report-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join(format!("annual-{}.xlsx", t.url.len()));
        let path = file.to_string_lossy().to_string();
        let o = lianxin(
            &t,
            &[
                "report", "annual", "--year", &year, "--format", "xlsx", "-o", &path,
            ],
            None,
        );
        assert!(o.status.success(), "{}", out(&o));
        assert!(
            out(&o).contains("3/3"),
            "progress lines when not on a terminal"
        );
        let bytes = std::fs::read(&file).unwrap();
        assert!(bytes.starts_with(b"PK"));
        std::fs::remove_file(&file).ok();
        // A year without rules, an unknown format: a clear message and a failing exit code.
        let o = lianxin(
            &t,
            &[
                "report", "annual", "--year", "2020", "--format", "pdf", "-o", &path,
            ],
            None,
        );
        assert!(!o.status.success());
        assert!(out(&o).contains("2020 年度尚未制定评分规则"), "{}", out(&o));
        let o = lianxin(
            &t,
            &[
                "report", "annual", "--year", &year, "--format", "doc", "-o", &path,
            ],
            None,
        );
        assert!(!o.status.success());
        assert!(out(&o).contains("pdf、xlsx 或 html"));
        let o = lianxin(&t, &["demo", "--scale", "town"], None);
        assert!(!o.status.success());
        assert!(out(&o).contains("city、province 或 national"));
    }
);

/// `lianxin` with extra environment (an audit key, retired keys).
fn lianxin_env(t: &common::TestApp, args: &[&str], env: &[(&str, &str)]) -> Output {
    common::cli(t, args, env)
}

// Rotating the audit key: a node with another key refuses to start; `audit rotate`, run with
// the new key and the old one retired, keys the chain with the new key from the next record
// on; the old part still verifies with the retired key, and only with it.
both!(the_audit_key_is_rotated_and_a_wrong_key_refused, |t| {
    let o = lianxin(
        &t,
        &["committee", "add", "政协测试县委员会", "--level", "county"],
        None,
    );
    assert!(o.status.success(), "{}", out(&o));
    let o = lianxin(&t, &["audit", "checkpoint"], None);
    assert!(o.status.success(), "{}", out(&o));
    let old = String::from_utf8_lossy(&lianxin(&t, &["audit", "show-key"], None).stdout)
        .trim()
        .to_string();
    assert_eq!(old.len(), 44, "a base64 key: {old}");
    let new = lianxin_service::Crypto::generate_key();

    // A node with the new key and nothing else is refused, in one clear line.
    let o = lianxin_env(&t, &["audit", "checkpoint"], &[("LIANXIN_AUDIT_KEY", &new)]);
    assert!(!o.status.success());
    assert!(out(&o).contains("审计密钥与数据库不符"), "{}", out(&o));
    // Rotating without the old key at hand is refused (the chain cannot be checked).
    let o = lianxin_env(&t, &["audit", "rotate"], &[("LIANXIN_AUDIT_KEY", &new)]);
    assert!(!o.status.success(), "{}", out(&o));

    let with_both = [
        ("LIANXIN_AUDIT_KEY", new.as_str()),
        ("LIANXIN_AUDIT_RETIRED_KEYS", old.as_str()),
    ];
    let o = lianxin_env(&t, &["audit", "rotate"], &with_both);
    assert!(o.status.success(), "{}", out(&o));
    assert!(out(&o).contains("已更换审计密钥"), "{}", out(&o));
    // New records under the new key; the whole chain verifies with both keys at hand.
    let o = lianxin_env(
        &t,
        &["committee", "add", "政协又一县委员会", "--level", "county"],
        &with_both,
    );
    assert!(o.status.success(), "{}", out(&o));
    let o = lianxin_env(&t, &["audit", "verify"], &with_both);
    assert!(o.status.success(), "{}", out(&o));
    // Without the retired key the old part cannot be checked; the old key alone is refused.
    let o = lianxin_env(&t, &["audit", "verify"], &[("LIANXIN_AUDIT_KEY", &new)]);
    assert!(!o.status.success(), "{}", out(&o));
    let o = lianxin(&t, &["audit", "checkpoint"], None);
    assert!(
        !o.status.success(),
        "the old key no longer writes: {}",
        out(&o)
    );
});

// A node with another encryption key (a lost key file, a typo) refuses to start in one line,
// rather than reading every phone as missing: first on a database from before fingerprints
// (the key must open what is sealed), then against the fingerprint recorded at first start.
both_demo!(a_node_with_another_encryption_key_refuses_to_start, |t| {
    let other = lianxin_service::Crypto::generate_key();
    let file = std::env::temp_dir()
        .join("lianxin-tests")
        .join(format!("roster_{}.csv", std::process::id()));
    let file = file.to_str().unwrap();
    for _ in 0..2 {
        let o = lianxin_env(
            &t,
            &["export", "members", file],
            &[("LIANXIN_ENCRYPTION_KEY", &other)],
        );
        assert!(!o.status.success());
        let said = out(&o);
        assert!(said.contains("加密密钥与数据库不符"), "{said}");
        assert_eq!(said.trim().lines().count(), 1, "one line: {said}");
        // With the right key it works (and the fingerprint is recorded).
        let o = lianxin(&t, &["export", "members", file], None);
        assert!(o.status.success(), "{}", out(&o));
        let csv = std::fs::read_to_string(file).unwrap();
        assert!(
            csv.contains("138"),
            "phones are read: {}",
            &csv[..200.min(csv.len())]
        );
    }
    let o = lianxin_env(
        &t,
        &["serve", "--addr", "127.0.0.1:0"],
        &[("LIANXIN_ENCRYPTION_KEY", &other)],
    );
    assert!(!o.status.success());
    assert!(out(&o).contains("加密密钥与数据库不符"), "{}", out(&o));
});

// Bad configuration is said in one line that names what to fix.
both!(start_up_errors_are_one_line, |t| {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    let o = lianxin(&t, &["serve", "--addr", &addr], None);
    assert!(!o.status.success());
    let said = out(&o);
    assert!(
        said.contains("无法监听") && said.contains("端口已被占用"),
        "{said}"
    );
    assert_eq!(said.trim().lines().count(), 1, "{said}");
    let refused = match t.backend {
        common::Backend::Sqlite => "sqlite:///nonexistent-dir/x/lianxin.db".to_string(),
        common::Backend::Postgres => "postgres://postgres@127.0.0.1:1/lianxin".to_string(),
    };
    let started = std::time::Instant::now();
    let o = Command::new(env!("CARGO_BIN_EXE_lianxin"))
        .args(["--database-url", &refused, "migrate"])
        .env("LIANXIN_ENCRYPTION_KEY", &t.key)
        .env_remove("LIANXIN_DATABASE_URL")
        .current_dir(std::env::temp_dir())
        .output()
        .unwrap();
    assert!(!o.status.success());
    let said = out(&o);
    assert!(said.contains("无法连接数据库"), "{said}");
    assert_eq!(said.trim().lines().count(), 1, "{said}");
    if t.backend == common::Backend::Postgres {
        assert!(
            said.contains("refused"),
            "the reason, not a pool timeout: {said}"
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }
});
