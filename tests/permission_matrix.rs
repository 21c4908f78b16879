//! The permission matrix: every route of the server × every role, in the demo committee and
//! in a second committee, with the answer each must get — one table, `permissions.txt`.
//!
//! Each principal (anonymous, the eight demo roles, and the same eight roles of another
//! committee) gets a fresh demo of its own with the same fixtures (an internal proposal
//! answer with a file, a member's draft report, a non-public activity with a file, a
//! self-report, a duty-log entry …), so what one principal's writes change cannot move
//! another's answers. Reads go first, then writes with an empty body (the permission must
//! be checked before the input: a caller without rights gets 403/404, never the validation
//! error that would tell them the object exists), then the writes that end the session.
//!
//! The test fails when a route the router registers has no row, when a row names a route
//! that does not exist, when any answer is a 500, and when any answer differs from the
//! table. `MATRIX_RECORD=1` rewrites the table's answers from what the server does, for a
//! person to review in the diff.

mod common;

use std::collections::{BTreeSet, HashMap};

use common::{Backend, TestApp, hidden};
use lianxin_domain::access::{ManageUsers, system_actor};
use lianxin_store::db::{Param, int, run};
use serde_json::json;

const TABLE: &str = include_str!("permissions.txt");

/// The columns of the table, in order.
const PRINCIPALS: [&str; 17] = [
    "anon",
    "admin",
    "office",
    "committee-staff",
    "convenor",
    "member",
    "studio-lead",
    "unit",
    "citizen",
    "x-admin",
    "x-office",
    "x-staff",
    "x-convenor",
    "x-member",
    "x-lead",
    "x-unit",
    "x-citizen",
];

#[derive(Debug, Clone)]
struct Row {
    method: String,
    template: String,
    path: String,
    expected: Vec<String>,
}

fn rows() -> Vec<Row> {
    TABLE
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            assert!(
                f.len() == 3 + PRINCIPALS.len() || f.len() == 3,
                "bad row: {l}"
            );
            Row {
                method: f[0].into(),
                template: f[1].into(),
                path: f[2].into(),
                expected: f[3..].iter().map(|s| s.to_string()).collect(),
            }
        })
        .collect()
}

/// Writes that end the caller's session run last.
fn ends_session(r: &Row) -> bool {
    r.template == "/logout" || (r.method == "DELETE" && r.template == "/api/v1/session")
}

/// The demo, a second committee with one account per role, and the objects the table's
/// paths name (`$name` in a path).
async fn world(backend: Backend) -> (TestApp, HashMap<String, String>) {
    let t = common::spawn_demo(backend).await;
    let mut v: HashMap<String, String> = HashMap::new();
    // The second committee: a member and a handling unit to give its accounts.
    let cid = lianxin_service::committees::create_root(&t.app, "政协临江县委员会", "county", "")
        .await
        .unwrap();
    let g = system_actor(cid).grant::<ManageUsers>().unwrap();
    let add = |name: &'static str, role: &'static str, member: Option<i64>, unit: Option<i64>| {
        let (app, g) = (t.app.clone(), g.clone());
        async move {
            let input = lianxin_service::auth::UserInput {
                username: name,
                display_name: name,
                role,
                password: lianxin_service::demo::PASSWORD,
                member_id: member,
                handling_unit_id: unit,
            };
            lianxin_service::auth::add_user(&app, &g, &input, false)
                .await
                .unwrap();
        }
    };
    add("x-admin", "admin", None, None).await;
    let admin2 = t.token("x-admin").await;
    let sector = sql_int(
        &t,
        "SELECT MIN(id) FROM sectors WHERE committee_id = $1",
        cid,
    )
    .await;
    let (s, m) = t
        .post(
            &admin2,
            "/api/v1/members",
            &json!({"name": "临江委员", "sector_id": sector, "status": "active"}),
        )
        .await;
    assert_eq!(s, 201, "{m}");
    let (s, u) = t
        .post(
            &admin2,
            "/api/v1/handling-units",
            &json!({"name": "临江县住建局"}),
        )
        .await;
    assert_eq!(s, 201, "{u}");
    let (m2, u2) = (m["id"].as_i64(), u["id"].as_i64());
    add("x-office", "office", None, None).await;
    add("x-staff", "committee_staff", None, None).await;
    add("x-convenor", "convenor", m2, None).await;
    add("x-member", "member", m2, None).await;
    add("x-lead", "studio_lead", m2, None).await;
    add("x-unit", "handling_unit", None, u2).await;
    add("x-citizen", "constituent", None, None).await;

    // The demo's own objects.
    let user = |name: &'static str| {
        let t = &t;
        async move {
            let mut conn = t.db.acquire().await.unwrap();
            lianxin_store::accounts::user_by_username(&mut conn.conn(), name)
                .await
                .unwrap()
                .unwrap()
        }
    };
    let me = user("member").await.member_id.unwrap();
    let peer = user("member2").await.member_id.unwrap();
    let lead = user("studio-lead").await.member_id.unwrap();
    let convenor = user("convenor").await.member_id.unwrap();
    let unit = user("unit").await.handling_unit_id.unwrap();
    v.insert("member".into(), me.to_string());
    v.insert("peer".into(), peer.to_string());
    let far = sql_int(
        &t,
        "SELECT MIN(id) FROM members WHERE committee_id = 1 AND sector_id <> (SELECT sector_id FROM members WHERE id = $1) \
         AND sector_id <> (SELECT sector_id FROM members WHERE id = 14)",
        convenor,
    )
    .await;
    v.insert("far_member".into(), far.to_string());
    v.insert(
        "sector_member".into(),
        sql_int(
            &t,
            "SELECT MIN(id) FROM members WHERE sector_id = (SELECT sector_id FROM members WHERE id = $1) AND id <> $1",
            convenor,
        )
        .await
        .to_string(),
    );
    let studio = sql_int(
        &t,
        "SELECT MIN(studio_id) FROM studio_members WHERE member_id = $1",
        lead,
    )
    .await;
    v.insert("studio".into(), studio.to_string());
    v.insert(
        "other_studio".into(),
        sql_int(
            &t,
            "SELECT MIN(id) FROM studios WHERE committee_id = 1 AND id <> $1",
            studio,
        )
        .await
        .to_string(),
    );
    // A concern routed to `member`, with a photo.
    let concern = sql_int(&t, "SELECT MIN(id) FROM concerns WHERE member_id = $1", me).await;
    let concern = if concern > 0 {
        concern
    } else {
        sql_int(
            &t,
            "SELECT MIN(id) FROM concerns WHERE committee_id = $1",
            1,
        )
        .await
    };
    exec(
        &t,
        "UPDATE concerns SET member_id = $1 WHERE id = $2",
        &[Param::Int(me), Param::Int(concern)],
    )
    .await;
    exec(
        &t,
        "INSERT INTO concern_attachments (concern_id, filename, mime, size, bytes, created_at) VALUES ($1, 'p.png', 'image/png', 4, $2, $3)",
        &[Param::Int(concern), Param::Bytes(common::PNG.to_vec()), Param::Time(chrono::Utc::now())],
    )
    .await;
    v.insert("concern".into(), concern.to_string());
    v.insert(
        "concern_att".into(),
        sql_int(
            &t,
            "SELECT MAX(id) FROM concern_attachments WHERE concern_id = $1",
            concern,
        )
        .await
        .to_string(),
    );
    v.insert("code".into(), {
        let mut conn = t.db.acquire().await.unwrap();
        let q = "SELECT code FROM concerns WHERE id = $1";
        match conn.conn() {
            lianxin_store::Conn::Sqlite(x) => {
                sqlx::query_scalar(q).bind(concern).fetch_one(&mut *x).await
            }
            lianxin_store::Conn::Postgres(x) => {
                sqlx::query_scalar(q).bind(concern).fetch_one(&mut *x).await
            }
        }
        .unwrap()
    });
    v.insert(
        "slot".into(),
        sql_int(
            &t,
            "SELECT MIN(id) FROM reception_slots WHERE studio_id = $1",
            studio,
        )
        .await
        .to_string(),
    );
    v.insert(
        "offer".into(),
        sql_int(&t, "SELECT MIN(id) FROM service_offers WHERE id > $1", 0)
            .await
            .to_string(),
    );
    // Opinion reports: the demo's forwarded and submitted ones, and a draft of `member`'s.
    let member = t.signed_in("member").await;
    let r = t
        .post_form(
            &member,
            "/me/reports/new",
            "/me/reports/new",
            &[("title", "草稿：社区停车难"), ("body", "小区停车位不足。")],
        )
        .await;
    v.insert("draft_report".into(), common::location_id(&r).to_string());
    v.insert(
        "report".into(),
        sql_int(
            &t,
            "SELECT MIN(id) FROM opinion_reports WHERE status = 'submitted' AND id > $1",
            0,
        )
        .await
        .to_string(),
    );
    v.insert(
        "forwarded_report".into(),
        sql_int(
            &t,
            "SELECT MIN(id) FROM opinion_reports WHERE status = 'forwarded' AND id > $1",
            0,
        )
        .await
        .to_string(),
    );
    // Proposals: the one assigned to `unit`, and the answered one made internal with a file.
    v.insert(
        "proposal".into(),
        sql_int(
            &t,
            "SELECT MIN(proposal_id) FROM proposal_units WHERE handling_unit_id = $1",
            unit,
        )
        .await
        .to_string(),
    );
    let answer = sql_int(&t, "SELECT MIN(id) FROM proposal_answers WHERE id > $1", 0).await;
    exec(
        &t,
        "UPDATE proposal_answers SET attachment = $1, attachment_name = 'a.pdf', attachment_type = 'application/pdf' WHERE id = $2",
        &[Param::Bytes(b"%PDF-1.4\n".to_vec()), Param::Int(answer)],
    )
    .await;
    let answered = sql_int(
        &t,
        "SELECT proposal_id FROM proposal_answers WHERE id = $1",
        answer,
    )
    .await;
    exec(
        &t,
        "UPDATE proposals SET internal = TRUE WHERE id = $1",
        &[Param::Int(answered)],
    )
    .await;
    v.insert("internal_proposal".into(), answered.to_string());
    v.insert("answer".into(), answer.to_string());
    v.insert(
        "draft_proposal".into(),
        sql_int(
            &t,
            "SELECT MIN(id) FROM proposals WHERE status = 'draft' AND id > $1",
            0,
        )
        .await
        .to_string(),
    );
    // Activities: a non-public one with a file, and a public one.
    let private = sql_int(
        &t,
        "SELECT MIN(id) FROM activities WHERE public_registration = FALSE AND status = 'published' AND id > $1",
        0,
    )
    .await;
    exec(
        &t,
        "INSERT INTO activity_files (activity_id, purpose, name, content_type, bytes, uploaded_at) VALUES ($1, 'material', 'm.pdf', 'application/pdf', $2, $3)",
        &[Param::Int(private), Param::Bytes(b"%PDF-1.4\n".to_vec()), Param::Time(chrono::Utc::now())],
    )
    .await;
    v.insert("activity".into(), private.to_string());
    v.insert(
        "activity_file".into(),
        sql_int(
            &t,
            "SELECT MAX(id) FROM activity_files WHERE activity_id = $1",
            private,
        )
        .await
        .to_string(),
    );
    v.insert(
        "public_activity".into(),
        sql_int(
            &t,
            "SELECT MIN(id) FROM activities WHERE public_registration = TRUE AND id > $1",
            0,
        )
        .await
        .to_string(),
    );
    v.insert(
        "doc".into(),
        sql_int(
            &t,
            "SELECT MIN(id) FROM policy_documents WHERE committee_id = $1",
            1,
        )
        .await
        .to_string(),
    );
    // A self-report of `member` with evidence, and the duty log written from the events.
    exec(
        &t,
        "INSERT INTO self_reports (committee_id, member_id, year, kind, done_on, description, evidence_note, evidence_name, evidence_type, evidence_bytes, status, created_at) \
         VALUES (1, $1, $2, 'volunteer_service', '2026-03-01', '社区义诊', NULL, 'e.png', 'image/png', $3, 'pending', $4)",
        &[
            Param::Int(me),
            Param::Int(i64::from(chrono::Datelike::year(&chrono::Utc::now()))),
            Param::Bytes(common::PNG.to_vec()),
            Param::Time(chrono::Utc::now()),
        ],
    )
    .await;
    v.insert(
        "self_report".into(),
        sql_int(
            &t,
            "SELECT MAX(id) FROM self_reports WHERE member_id = $1",
            me,
        )
        .await
        .to_string(),
    );
    lianxin_service::duty::catch_up(&t.app).await.unwrap();
    v.insert(
        "entry".into(),
        sql_int(
            &t,
            "SELECT COALESCE(MIN(id), 999999) FROM duty_log WHERE member_id = $1",
            me,
        )
        .await
        .to_string(),
    );
    v.insert(
        "ical".into(),
        format!(
            "{}.ics",
            lianxin_service::activities::calendar::token_of(&t.app, me)
        ),
    );
    (t, v)
}

async fn sql_int(t: &TestApp, q: &str, p: i64) -> i64 {
    let mut conn = t.db.acquire().await.unwrap();
    int(&mut conn.conn(), q, &[Param::Int(p)])
        .await
        .unwrap_or(0)
}

async fn exec(t: &TestApp, q: &str, params: &[Param]) {
    let mut conn = t.db.acquire().await.unwrap();
    run(&mut conn.conn(), q, params).await.unwrap();
}

fn fill(path: &str, v: &HashMap<String, String>) -> String {
    let mut out = path.to_string();
    let mut keys: Vec<&String> = v.keys().collect();
    // Longest names first, so `$report` does not eat the start of `$report_x`.
    keys.sort_by_key(|k| std::cmp::Reverse(k.len()));
    for k in keys {
        out = out.replace(&format!("${k}"), &v[k]);
    }
    assert!(!out.contains('$'), "unknown fixture in {path}");
    out
}

/// Every row's answer for one principal, in table order.
async fn answers(backend: Backend, who: &'static str, rows: Vec<Row>) -> Vec<u16> {
    let (t, v) = world(backend).await;
    let signed_in = who != "anon";
    let browser = if signed_in {
        t.signed_in(who).await
    } else {
        t.api.clone()
    };
    let token = if signed_in {
        Some(t.token(who).await)
    } else {
        None
    };
    // The session's CSRF token, from a page of ours (the login form's for anonymous).
    let page = if signed_in { "/me" } else { "/login" };
    let csrf = hidden(&common::text(&browser, &t, page).await.1, "_csrf");
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by_key(|&i| {
        let r = &rows[i];
        (r.method != "GET", ends_session(r))
    });
    let mut out = vec![0u16; rows.len()];
    for i in order {
        let r = &rows[i];
        let url = t.url(&fill(&r.path, &v));
        let method = reqwest::Method::from_bytes(r.method.as_bytes()).unwrap();
        let api = r.path.starts_with("/api/") || r.path.starts_with("/open311/");
        let req = if api {
            let mut q = t.api.request(method.clone(), &url);
            if let Some(tok) = &token {
                q = q.bearer_auth(tok);
            }
            if method != reqwest::Method::GET {
                q = q.json(&json!({}));
            }
            q
        } else {
            let q = browser.request(method.clone(), &url);
            if method == reqwest::Method::GET {
                q
            } else {
                q.form(&[("_csrf", csrf.as_str())])
            }
        };
        out[i] = req.send().await.unwrap().status().as_u16();
    }
    out
}

async fn matrix(backend: Backend) {
    let rows = rows();
    // Every registered route has a row, and every row a route.
    let registered: BTreeSet<(String, String)> = lianxin_web::route_table()
        .into_iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    let listed: BTreeSet<(String, String)> = rows
        .iter()
        .map(|r| (r.method.clone(), r.template.clone()))
        .collect();
    let missing: Vec<_> = registered.difference(&listed).collect();
    assert!(
        missing.is_empty(),
        "routes with no row in permissions.txt: {missing:?}"
    );
    let stale: Vec<_> = listed.difference(&registered).collect();
    assert!(
        stale.is_empty(),
        "rows for routes that do not exist: {stale:?}"
    );

    let started = std::time::Instant::now();
    let mut tasks = Vec::new();
    for who in PRINCIPALS {
        let rows = rows.clone();
        tasks.push(tokio::spawn(answers(backend, who, rows)));
    }
    let mut got: Vec<Vec<u16>> = Vec::new();
    for task in tasks {
        got.push(task.await.unwrap());
    }
    println!(
        "permission matrix on {backend:?}: {} rows × {} principals = {} requests in {:.1} s",
        rows.len(),
        PRINCIPALS.len(),
        rows.len() * PRINCIPALS.len(),
        started.elapsed().as_secs_f64()
    );
    if std::env::var("MATRIX_RECORD").is_ok() {
        record(&rows, &got);
        return;
    }
    let mut wrong = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        for (p, who) in PRINCIPALS.iter().enumerate() {
            let answer = got[p][i];
            assert_ne!(answer, 500, "{} {} as {who}: 500", r.method, r.path);
            let expected = &r.expected[p];
            if expected != "-" && *expected != answer.to_string() {
                wrong.push(format!(
                    "{} {} as {who}: {answer}, expected {expected}",
                    r.method, r.path
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} answers differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// Rewrite the table's answer columns from what the server did.
fn record(rows: &[Row], got: &[Vec<u16>]) {
    let mut out: Vec<String> = TABLE
        .lines()
        .take_while(|l| l.starts_with('#'))
        .map(str::to_string)
        .collect();
    for (i, r) in rows.iter().enumerate() {
        let codes: Vec<String> = (0..PRINCIPALS.len())
            .map(|p| got[p][i].to_string())
            .collect();
        out.push(format!(
            "{:<6} {:<40} {:<52} {}",
            r.method,
            r.template,
            r.path,
            codes.join(" ")
        ));
    }
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/permissions.txt");
    std::fs::write(path, out.join("\n") + "\n").unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite() {
    matrix(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres() {
    matrix(Backend::Postgres).await
}
