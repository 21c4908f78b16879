//! The job system: each period of a job runs once however many nodes look, a failure stays
//! visible and is retried, and the operator's page shows it and can run a job now.

mod common;

use lianxin_domain::access::{OperateServer, system_actor};
use lianxin_service::jobs::{self, Job};

/// The card of one job on the jobs page.
fn job_card<'a>(page: &'a str, job: &str) -> &'a str {
    page.split(&format!("id=\"job-{job}\""))
        .nth(1)
        .and_then(|rest| rest.split("</section>").next())
        .unwrap_or_else(|| panic!("no card for {job}"))
}

both_demo!(a_period_runs_once_however_many_nodes_look, |t| {
    let (escalate, ask) = t.due_work(40, 30).await;
    assert!(escalate >= 40 && ask > 0, "{escalate} {ask}");
    // Three nodes look at the same moment: each job runs on exactly one of them.
    let (a, b, c) = tokio::join!(
        jobs::run_due(&t.app, "node-a"),
        jobs::run_due(&t.app, "node-b"),
        jobs::run_due(&t.app, "node-c"),
    );
    let ran: Vec<_> = [a.unwrap(), b.unwrap(), c.unwrap()].concat();
    for job in Job::ALL {
        let runs: Vec<_> = ran.iter().filter(|r| r.job == job).collect();
        assert_eq!(runs.len(), 1, "{job:?} ran {runs:?}");
        assert!(runs[0].outcome.is_ok(), "{runs:?}");
    }
    assert_eq!(t.events_of("concern.escalated").await, (escalate, escalate));
    assert_eq!(t.events_of("concern.follow_up_sent").await, (ask, ask));
    let office_messages = t
        .count_sql("SELECT COUNT(*) FROM outbox WHERE subject = '诉求超期未办结'")
        .await;
    assert_eq!(office_messages, escalate, "one office message per concern");
    // Until its next period nothing runs again (the duty log's period is 2 s, so it may).
    let again = jobs::run_due(&t.app, "node-b").await.unwrap();
    assert!(again.iter().all(|r| r.job == Job::DutyLog), "{again:?}");
    // The runs are kept with the node that ran them.
    let g = system_actor(1).grant::<OperateServer>().unwrap();
    let views = jobs::overview(&t.app, &g).await.unwrap();
    let esc = views
        .iter()
        .find(|v| v.job == Job::ConcernEscalation)
        .unwrap();
    assert_eq!(esc.runs.len(), 1);
    assert!(esc.runs[0].node.starts_with("node-"));
    assert_eq!(esc.runs[0].count, Some(escalate));
    assert_eq!(
        esc.row.as_ref().unwrap().last_outcome.as_deref(),
        Some("ok")
    );
});

both_demo!(a_failing_job_is_shown_retried_and_run_on_request, |t| {
    let admin = t.signed_in("admin").await;
    // Break what the session sweep needs; the failure is recorded, not lost in a log.
    t.exec_sql("ALTER TABLE login_throttle RENAME TO login_throttle_away")
        .await;
    let ran = jobs::run_due(&t.app, "node-a").await.unwrap();
    let sweep = ran.iter().find(|r| r.job == Job::SessionSweep).unwrap();
    assert!(sweep.outcome.is_err(), "{sweep:?}");
    assert!(
        ran.iter()
            .filter(|r| r.job != Job::SessionSweep)
            .all(|r| r.outcome.is_ok()),
        "one job failing stops no other: {ran:?}"
    );
    let (status, page) = common::text(&admin, &t, "/office/jobs").await;
    assert_eq!(status, 200);
    let card = job_card(&page, "session_sweep");
    assert!(card.contains("失败，等待重试"), "{card}");
    assert!(
        card.contains("login_throttle"),
        "the error is shown: {card}"
    );
    // Retried with backoff: not due again at once …
    let ran = jobs::run_due(&t.app, "node-a").await.unwrap();
    assert!(!ran.iter().any(|r| r.job == Job::SessionSweep), "{ran:?}");
    // … but "run now" makes it due, and once repaired it succeeds.
    t.exec_sql("ALTER TABLE login_throttle_away RENAME TO login_throttle")
        .await;
    let r = t
        .post_form(
            &admin,
            "/office/jobs",
            "/office/jobs/session_sweep/run",
            &[],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, page) = common::text(&admin, &t, r.headers()["location"].to_str().unwrap()).await;
    assert!(page.contains("已安排“清理过期会话”立即运行"), "{page}");
    let ran = jobs::run_due(&t.app, "node-a").await.unwrap();
    let sweep = ran.iter().find(|r| r.job == Job::SessionSweep).unwrap();
    assert_eq!(sweep.outcome, Ok(0));
    let (_, page) = common::text(&admin, &t, "/office/jobs").await;
    let card = job_card(&page, "session_sweep");
    assert!(
        card.contains("正常") && card.contains("失败 1 次"),
        "{card}"
    );
    // The request is in the audit trail; other roles and unknown jobs are refused.
    assert_eq!(
        t.count_sql("SELECT COUNT(*) FROM audit_log WHERE action = 'job.run_requested'")
            .await,
        1
    );
    let office = t.signed_in("office").await;
    assert_eq!(common::text(&office, &t, "/office/jobs").await.0, 403);
    let r = t
        .post_form(&admin, "/office/jobs", "/office/jobs/nope/run", &[])
        .await;
    assert_eq!(r.status(), 404);
    // The jobs serve every committee: a second committee's admin does not see them, nor a
    // link to them in the menu, which the installation's admin has.
    assert!(
        page.contains("href=\"/office/jobs\""),
        "the menu links the page"
    );
    t.second_committee().await;
    let admin2 = t.signed_in("admin2").await;
    assert_eq!(common::text(&admin2, &t, "/office/jobs").await.0, 403);
    let (_, home) = common::text(&admin2, &t, "/office").await;
    assert!(
        home.contains("账号") && !home.contains("后台任务"),
        "{home}"
    );
});

both_demo!(a_dead_nodes_job_is_taken_over_when_its_lease_expires, |t| {
    let (escalate, _) = t.due_work(10, 0).await;
    // Create the schedule, then leave it as a node killed mid-run leaves it: the period
    // claimed by `dead-node`, its lease running a little longer.
    jobs::run_due(&t.app, "node-a").await.unwrap();
    t.exec_sql("DELETE FROM events WHERE kind = 'concern.escalated'")
        .await;
    t.exec_sql("UPDATE concerns SET escalated_at = NULL").await;
    let now = chrono::Utc::now().timestamp_millis();
    t.exec_sql(&format!(
        "UPDATE jobs SET lease_holder = 'dead-node', lease_until_ms = {}, next_run_ms = {} \
         WHERE name = 'concern_escalation'",
        now + 1500,
        now - 1000
    ))
    .await;
    t.exec_sql(&format!(
        "INSERT INTO job_runs (name, due_ms, node, started_ms) VALUES ('concern_escalation', {}, 'dead-node', {})",
        now - 1000,
        now - 900
    ))
    .await;
    // While the lease holds, nobody else runs it …
    let ran = jobs::run_due(&t.app, "node-b").await.unwrap();
    assert!(
        !ran.iter().any(|r| r.job == Job::ConcernEscalation),
        "{ran:?}"
    );
    // … once it has expired, the next node to look finishes the period.
    tokio::time::sleep(std::time::Duration::from_millis(1700)).await;
    let ran = jobs::run_due(&t.app, "node-b").await.unwrap();
    let esc = ran
        .iter()
        .find(|r| r.job == Job::ConcernEscalation)
        .expect("taken over");
    assert_eq!(esc.outcome, Ok(escalate));
    assert_eq!(t.events_of("concern.escalated").await, (escalate, escalate));
    let g = system_actor(1).grant::<OperateServer>().unwrap();
    let views = jobs::overview(&t.app, &g).await.unwrap();
    let v = views
        .iter()
        .find(|v| v.job == Job::ConcernEscalation)
        .unwrap();
    let run = v.runs.iter().find(|r| r.due_ms == now - 1000).unwrap();
    assert_eq!(
        (run.node.as_str(), run.outcome.as_deref()),
        ("node-b", Some("ok"))
    );
});
