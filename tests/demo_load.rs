//! Loading the demo safely: two nodes starting `--demo` together give one demo, and a load
//! cut short is said to be one instead of being taken for a demo whose accounts may not exist.

mod common;

use lianxin_service::demo;

both!(two_loads_at_once_give_one_whole_demo, |t| {
    let (a, b) = tokio::join!(demo::load(&t.app), demo::load(&t.app));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert!(a.created ^ b.created, "exactly one of them loaded");
    assert_eq!(a.committee_id, b.committee_id);
    assert_eq!(t.count_sql("SELECT COUNT(*) FROM committees").await, 1);
    // Every printed account exists and signs in.
    for (username, _, _) in demo::ACCOUNTS {
        t.token(username).await;
    }
    // A third start finds the demo there.
    assert!(!demo::load(&t.app).await.unwrap().created);
});

both!(a_load_cut_short_is_said_and_not_taken_for_a_demo, |t| {
    // What a `serve --demo` killed midway leaves: its claim, a committee, no end mark.
    let node = lianxin_service::jobs::node_name();
    let (host, _) = node.rsplit_once(':').unwrap();
    t.exec_sql(&format!(
        "INSERT INTO settings (key, value) VALUES ('demo_loading', '{host}:999999999')"
    ))
    .await;
    lianxin_service::committees::create_root(&t.app, "政协江川市委员会", "city", "江川市")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let e = demo::load(&t.app).await.err().expect("refused");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "said at once"
    );
    let said = e.to_string();
    assert!(
        said.contains("演示数据没有加载完整") && said.contains("空数据库"),
        "{said}"
    );
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_lianxin"))
        .args([
            "--database-url",
            &t.url,
            "serve",
            "--demo",
            "--addr",
            "127.0.0.1:0",
        ])
        .env("LIANXIN_ENCRYPTION_KEY", &t.key)
        .env("LIANXIN_AUDIT_CHECKPOINTS", &t.checkpoints)
        .env_remove("LIANXIN_DATABASE_URL")
        .current_dir(std::env::temp_dir())
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("演示数据没有加载完整"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
});
