//! Events and the audit trail: written with every change, in the same transaction;
//! read with a cursor; the hash chain detects tampering.

mod common;

use lianxin_domain::audit::Verdict;
use lianxin_service::audit::verify as verify_audit;
use lianxin_service::events::{Consumer, run_once};
use lianxin_store::Conn;
use lianxin_store::journal::EventRow;
use serde_json::{Value, json};

both_demo!(every_change_writes_one_event_and_one_audit_record, |t| {
    let office = t.token("office").await;
    let (_, before) = t.get(&office, "/api/v1/events?limit=500").await;
    let (_, sc) = t
        .post(
            &office,
            "/api/v1/special-committees",
            &json!({"name": "审计专委会"}),
        )
        .await;
    let id = sc["id"].as_i64().unwrap();
    t.patch(
        &office,
        &format!("/api/v1/special-committees/{id}"),
        &json!({"description": "新职责"}),
    )
    .await;
    let (_, after) = t.get(&office, "/api/v1/events?limit=500").await;
    let new: Vec<_> = after["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| !before["items"].as_array().unwrap().contains(e))
        .collect();
    let kinds: Vec<&str> = new.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        vec!["special_committee.updated", "special_committee.created"]
    );
    assert!(
        new.windows(2)
            .all(|w| w[0]["id"].as_i64() > w[1]["id"].as_i64()),
        "ids grow"
    );
    let (_, audit) = t.get(&t.token("admin").await, "/api/v1/audit").await;
    let rec = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action"] == "special_committee.updated")
        .unwrap()
        .clone();
    assert_eq!(rec["before"]["description"], serde_json::Value::Null);
    assert_eq!(rec["after"]["description"], "新职责");
    assert!(rec["actor"].as_str().unwrap().starts_with("office#"));
    assert_eq!(
        verify_audit(&t.app).await.unwrap(),
        Verdict::Ok {
            records: audit_count(&t).await
        }
    );
});

async fn audit_count(t: &common::TestApp) -> usize {
    let (seq, _) = lianxin_store::journal::audit_head(&mut t.db.acquire().await.unwrap().conn())
        .await
        .unwrap();
    seq as usize
}

both_demo!(a_failed_change_leaves_no_event_or_audit, |t| {
    let office = t.token("office").await;
    let seq = audit_count(&t).await;
    let (s, _) = t
        .post(
            &office,
            "/api/v1/members",
            &json!({"name": "无效", "sector_id": 999999, "status": "active"}),
        )
        .await;
    assert_eq!(
        s, 409,
        "a sector that does not exist conflicts with what is stored"
    );
    let (s, _) = t
        .post(
            &office,
            "/api/v1/sectors",
            &json!({"name": "教育界", "sector_group": "local"}),
        )
        .await;
    assert_eq!(s, 409);
    assert_eq!(audit_count(&t).await, seq);
});

/// Counts events into a setting: the consumer's own write, in the cursor's transaction.
struct Counter;
impl Consumer for Counter {
    fn name(&self) -> &'static str {
        "test-counter"
    }
    async fn handle(&self, c: &mut Conn<'_>, _e: &EventRow) -> lianxin_service::Result<()> {
        let n: i64 = lianxin_store::stats::setting(c, "test-count")
            .await?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        lianxin_store::stats::set_setting(c, "test-count", &(n + 1).to_string()).await?;
        Ok(())
    }
}

async fn counted(t: &common::TestApp) -> i64 {
    lianxin_store::stats::setting(&mut t.db.acquire().await.unwrap().conn(), "test-count")
        .await
        .unwrap()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

both_demo!(a_consumer_sees_each_event_once, |t| {
    let total =
        lianxin_store::journal::events_after(&mut t.db.acquire().await.unwrap().conn(), 0, 10_000)
            .await
            .unwrap()
            .len();
    let mut handled = 0;
    loop {
        let n = run_once(&t.app, &Counter, 3).await.unwrap();
        if n == 0 {
            break;
        }
        handled += n;
    }
    assert_eq!(handled, total);
    assert_eq!(counted(&t).await, total as i64);
    // New events are picked up; old ones are not handled again.
    let office = t.token("office").await;
    t.post(
        &office,
        "/api/v1/special-committees",
        &json!({"name": "又一个"}),
    )
    .await;
    let n = run_once(&t.app, &Counter, 100).await.unwrap();
    assert_eq!(n, 2, "login and creation");
    assert_eq!(counted(&t).await, total as i64 + 2);
    assert_eq!(run_once(&t.app, &Counter, 100).await.unwrap(), 0);
});

both_demo!(the_audit_trail_refuses_edits_and_detects_tampering, |t| {
    let mut conn = t.db.acquire().await.unwrap();
    let c = &mut conn.conn();
    let edit = "UPDATE audit_log SET after_data = '{}' WHERE seq = 3";
    let refused = match c {
        Conn::Sqlite(x) => sqlx::query(edit).execute(&mut **x).await.is_err(),
        Conn::Postgres(x) => sqlx::query(edit).execute(&mut **x).await.is_err(),
    };
    assert!(refused, "the database refuses to edit the audit trail");
    assert!(matches!(
        verify_audit(&t.app).await.unwrap(),
        Verdict::Ok { .. }
    ));
    // Someone with the database's owner rights disables the guard and edits a record.
    match c {
        Conn::Sqlite(x) => {
            sqlx::query("DROP TRIGGER audit_log_no_update")
                .execute(&mut **x)
                .await
                .unwrap();
            sqlx::query(edit).execute(&mut **x).await.unwrap();
        }
        Conn::Postgres(x) => {
            sqlx::query("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
                .execute(&mut **x)
                .await
                .unwrap();
            sqlx::query(edit).execute(&mut **x).await.unwrap();
        }
    }
    assert_eq!(
        verify_audit(&t.app).await.unwrap(),
        Verdict::Broken {
            seq: 3,
            reason: "content does not match its hash"
        }
    );
});

/// Run SQL as someone with the database owner's rights would: the append-only guards of the
/// audit trail switched off first.
async fn as_owner(t: &common::TestApp, statements: &[String]) {
    let mut conn = t.db.acquire().await.unwrap();
    match &mut conn.conn() {
        Conn::Sqlite(x) => {
            for s in [
                "DROP TRIGGER IF EXISTS audit_log_no_update",
                "DROP TRIGGER IF EXISTS audit_log_no_delete",
            ] {
                sqlx::query(s).execute(&mut **x).await.unwrap();
            }
            for s in statements {
                sqlx::query(sqlx::AssertSqlSafe(s.clone()))
                    .execute(&mut **x)
                    .await
                    .unwrap();
            }
        }
        Conn::Postgres(x) => {
            sqlx::query("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
                .execute(&mut **x)
                .await
                .unwrap();
            for s in statements {
                sqlx::query(sqlx::AssertSqlSafe(s.clone()))
                    .execute(&mut **x)
                    .await
                    .unwrap();
            }
        }
    }
}

both_demo!(a_deleted_middle_record_is_found, |t| {
    assert!(matches!(
        verify_audit(&t.app).await.unwrap(),
        Verdict::Ok { .. }
    ));
    as_owner(&t, &["DELETE FROM audit_log WHERE seq = 10".into()]).await;
    assert_eq!(
        verify_audit(&t.app).await.unwrap(),
        Verdict::Broken {
            seq: 11,
            reason: "sequence gap (a record was removed)"
        }
    );
});

// Cutting off the newest records and moving the head back leaves a chain that is whole in
// itself; the signed checkpoint outside the database still names a later record.
both_demo!(a_truncated_tail_is_found_against_the_last_checkpoint, |t| {
    let office = t.token("office").await;
    t.post(
        &office,
        "/api/v1/special-committees",
        &json!({"name": "检查点前"}),
    )
    .await;
    let cp = lianxin_service::audit::checkpoint(&t.app)
        .await
        .unwrap()
        .expect("a checkpoint");
    assert!(
        lianxin_service::audit::checkpoint(&t.app)
            .await
            .unwrap()
            .is_none(),
        "no second checkpoint of the same head"
    );
    let line = std::fs::read_to_string(&t.checkpoints).unwrap();
    assert!(line.contains(&cp.hash) && line.contains("\"signature\""));
    let keep = cp.seq - 3;
    let (_, hash) = {
        let mut conn = t.db.acquire().await.unwrap();
        let page = lianxin_store::journal::audit_page(&mut conn.conn(), keep - 1, 1)
            .await
            .unwrap();
        (page[0].seq, page[0].hash.clone())
    };
    as_owner(
        &t,
        &[
            format!("DELETE FROM audit_log WHERE seq > {keep}"),
            format!("UPDATE audit_head SET seq = {keep}, hash = '{hash}' WHERE id = 1"),
        ],
    )
    .await;
    assert_eq!(
        verify_audit(&t.app).await.unwrap(),
        Verdict::Broken {
            seq: keep + 1,
            reason: "records after this point were removed (a signed checkpoint names a later one)"
        }
    );
    // A forged checkpoint line (not signed with the key) is refused, too.
    std::fs::write(&t.checkpoints, line.replace(&cp.hash, &hash)).unwrap();
    assert!(matches!(
        verify_audit(&t.app).await.unwrap(),
        Verdict::Broken {
            reason: "a checkpoint is not signed with this installation's key",
            ..
        }
    ));
});

// Someone with the database but without the key edits a record and computes every hash
// again, as the old unkeyed chain was computed: the keyed MAC does not match.
both_demo!(a_chain_recomputed_without_the_key_is_found, |t| {
    use lianxin_domain::audit::{GENESIS, legacy_hash};
    lianxin_service::audit::checkpoint(&t.app).await.unwrap();
    let rows = {
        let mut conn = t.db.acquire().await.unwrap();
        lianxin_store::journal::audit_page(&mut conn.conn(), 0, 100_000)
            .await
            .unwrap()
    };
    let mut prev = GENESIS.to_string();
    let mut sql = Vec::new();
    for r in &rows {
        let mut c = r.content();
        if c.seq == 5 {
            c.after = "{\"name\":\"改过的\"}".into();
            sql.push(format!(
                "UPDATE audit_log SET after_data = '{}' WHERE seq = 5",
                c.after
            ));
        }
        let h = legacy_hash(&prev, &c);
        sql.push(format!(
            "UPDATE audit_log SET prev_hash = '{prev}', hash = '{h}' WHERE seq = {}",
            c.seq
        ));
        prev = h;
    }
    sql.push(format!(
        "UPDATE audit_head SET hash = '{prev}' WHERE id = 1"
    ));
    as_owner(&t, &sql).await;
    assert_eq!(
        verify_audit(&t.app).await.unwrap(),
        Verdict::Broken {
            seq: 1,
            reason: "chain recomputed without the audit key"
        }
    );
    // Claiming the whole chain predates the key is caught by the first signed checkpoint.
    as_owner(
        &t,
        &["UPDATE settings SET value = '1000000' WHERE key = 'audit_keyed_from'".into()],
    )
    .await;
    assert_eq!(
        verify_audit(&t.app).await.unwrap(),
        Verdict::Broken {
            seq: 1,
            reason: "where the keyed chain begins was changed in the database"
        }
    );
});

// Events are stored in their public form: no event of the whole demo (concerns, proposals,
// opinion reports, activities with named participants, self-reports, accounts …) keeps a
// field with people's words or personal data. The full change stays in the audit trail.
both_demo!(stored_events_carry_no_personal_fields, |t| {
    let events = {
        let mut conn = t.db.acquire().await.unwrap();
        lianxin_store::journal::events_after(&mut conn.conn(), 0, 1_000_000)
            .await
            .unwrap()
    };
    assert!(events.len() > 50, "{}", events.len());
    fn private_keys(v: &Value, found: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    if lianxin_domain::disclosure::PRIVATE_FIELDS.contains(&k.as_str()) {
                        found.push(k.clone());
                    }
                    private_keys(v, found);
                }
            }
            Value::Array(a) => a.iter().for_each(|v| private_keys(v, found)),
            _ => {}
        }
    }
    for e in &events {
        let payload: Value = serde_json::from_str(&e.payload).unwrap();
        let mut found = vec![];
        private_keys(&payload, &mut found);
        assert!(found.is_empty(), "{} keeps {found:?}: {payload}", e.kind);
    }
    // The audit trail keeps what the events leave out (here the accounts' names).
    assert!(
        t.count_sql("SELECT COUNT(*) FROM audit_log WHERE after_data LIKE '%display_name%'")
            .await
            > 0
    );
});
