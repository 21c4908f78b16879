//! Changing the encryption key while the service runs (README, “更换加密密钥”): the index
//! and audit keys are pinned first, nodes are given the new key with the old one still able
//! to open, `keys rotate` re-seals every value — also those sealed under the old key after
//! it began, so a run that stopped is finished by the next — and moves the fingerprint.
//! Afterwards the old key alone is refused, the new key alone reads every phone, finds
//! people by their phone and verifies the audit chain. SQLite and PostgreSQL.

mod common;

use common::{cli, printed};
use lianxin_service::Crypto;

fn ok(o: &std::process::Output) -> String {
    assert!(o.status.success(), "{}", printed(o));
    printed(o)
}

/// The value of `name = "…"` among the lines `keys pin` printed.
fn pinned(text: &str, name: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} = \"")))
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or_else(|| panic!("{name} in {text}"))
        .to_string()
}

fn export(t: &common::TestApp, env: &[(&str, &str)], name: &str) -> String {
    let file = std::env::temp_dir().join(format!("lianxin-keys-{}-{name}.csv", std::process::id()));
    let path = file.to_str().expect("path").to_string();
    ok(&cli(t, &["export", "members", &path], env));
    let text = std::fs::read_to_string(&file).expect("export");
    let _ = std::fs::remove_file(&file);
    text
}

const HEADER: &str = "姓名,性别,民族,党派,界别,专委会,工作单位及职务,手机,是否常委\n";

both_demo!(the_encryption_key_is_changed_without_losing_a_phone, |t| {
    // Every sealed column of the schema is one the rotation knows.
    {
        let mut conn = t.db.acquire().await.expect("conn");
        let mut known: Vec<(String, String)> = lianxin_store::sealed::COLUMNS
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        known.sort();
        let schema = lianxin_store::sealed::schema_columns(&mut conn.conn())
            .await
            .expect("schema");
        assert_eq!(schema, known);
    }
    let before = export(&t, &[], "before");
    assert!(
        before.contains("13"),
        "the demo's members have phones:\n{before}"
    );

    let pins = ok(&cli(&t, &["keys", "pin"], &[]));
    let index = pinned(&pins, "index_key");
    let audit = pinned(&pins, "audit_key");
    let new = Crypto::generate_key();
    let old = t.key.clone();

    // The new key with the old one beside it, but nothing pinned: refused, since the index
    // and the audit chain would change with it.
    let o = cli(
        &t,
        &["keys", "rotate"],
        &[
            ("LIANXIN_ENCRYPTION_KEY", &new),
            ("LIANXIN_ENCRYPTION_OTHER_KEYS", &old),
        ],
    );
    assert!(!o.status.success());
    assert!(printed(&o).contains("keys pin"), "{}", printed(&o));

    // First the nodes learn the next key while still sealing with the old one.
    let phase_a = [
        ("LIANXIN_INDEX_KEY", index.as_str()),
        ("LIANXIN_AUDIT_KEY", audit.as_str()),
        ("LIANXIN_ENCRYPTION_OTHER_KEYS", new.as_str()),
    ];
    assert_eq!(export(&t, &phase_a, "a"), before);
    // Then they seal with the new one. A member added now is sealed under the new key; a
    // concern under the old one (a node not yet restarted): a mixed database, as a
    // rotation that stopped halfway leaves it.
    let phase_b = [
        ("LIANXIN_ENCRYPTION_KEY", new.as_str()),
        ("LIANXIN_INDEX_KEY", index.as_str()),
        ("LIANXIN_AUDIT_KEY", audit.as_str()),
        ("LIANXIN_ENCRYPTION_OTHER_KEYS", old.as_str()),
    ];
    let file = std::env::temp_dir().join(format!("lianxin-keys-{}.csv", std::process::id()));
    std::fs::write(
        &file,
        format!("{HEADER}钥匙测试,男,汉族,,教育界,,,13600001111,否\n"),
    )
    .expect("csv");
    let csv = file.to_str().expect("path").to_string();
    assert!(ok(&cli(&t, &["import", "members", &csv], &phase_b)).contains("已新增 1 名"));
    let category = t.category("城乡建设").await.to_string();
    let r = t
        .raise(
            &[
                ("title", "路灯不亮"),
                ("detail", "小区门口的路灯坏了一个月。"),
                ("category_id", &category),
                ("area", "江川市西湖街道8号"),
                ("name", "李四"),
                ("phone", "13900002222"),
            ],
            vec![],
        )
        .await;
    assert_eq!(r.status(), 303);
    let code = common::TestApp::code_of(&r);

    let first = ok(&cli(&t, &["keys", "rotate"], &phase_b));
    assert!(first.contains("个加密值改用当前密钥"), "{first}");
    // A second run finds nothing left to do.
    let again = ok(&cli(&t, &["keys", "rotate"], &phase_b));
    assert!(again.contains("已完成：0 个"), "{again}");

    // The old key alone no longer opens the database; the new one alone does everything.
    let o = cli(&t, &["audit", "verify"], &[]);
    assert!(!o.status.success());
    assert!(
        printed(&o).contains("加密密钥与数据库不符"),
        "{}",
        printed(&o)
    );
    let after = [
        ("LIANXIN_ENCRYPTION_KEY", new.as_str()),
        ("LIANXIN_INDEX_KEY", index.as_str()),
        ("LIANXIN_AUDIT_KEY", audit.as_str()),
    ];
    let exported = export(&t, &after, "after");
    assert!(exported.contains("13600001111"), "{exported}");
    for line in before.lines() {
        assert!(exported.contains(line), "{line} kept");
    }
    let sole = Crypto::from_base64(&new).expect("key");
    let (sealed, total) = {
        let mut conn = t.db.acquire().await.expect("conn");
        let mut opened = 0;
        let mut total = 0;
        for col in lianxin_store::sealed::COLUMNS {
            for (_, v) in lianxin_store::sealed::batch(&mut conn.conn(), *col, 0, 100_000)
                .await
                .expect("read")
            {
                total += 1;
                opened += usize::from(sole.open(&v).is_some());
            }
        }
        (opened, total)
    };
    assert_eq!(
        sealed, total,
        "every sealed value opens with the new key alone"
    );
    let row = t.concern(&code).await;
    assert_eq!(
        sole.open(row.phone_enc.as_deref().expect("sealed"))
            .as_deref(),
        Some("13900002222")
    );
    // The pinned index still finds the member by name and phone: a second import updates.
    assert!(ok(&cli(&t, &["import", "members", &csv], &after)).contains("更新 1 名"));
    assert!(ok(&cli(&t, &["audit", "verify"], &after)).starts_with("OK"));
    let rotated = t
        .count_sql("SELECT COUNT(*) FROM audit_log WHERE action = 'keys.rotated'")
        .await;
    assert_eq!(rotated, 2);
    let _ = std::fs::remove_file(&file);
});
