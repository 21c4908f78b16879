//! Events and the audit trail: written with every change, in the same transaction;
//! read with a cursor; the hash chain detects tampering.

mod common;

use lianxin_domain::audit::Verdict;
use lianxin_service::events::{Consumer, run_once, verify_audit};
use lianxin_store::Conn;
use lianxin_store::journal::EventRow;
use serde_json::json;

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
    assert_eq!(s, 422);
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
