//! The duty log (issue 6 groundwork) on SQLite and PostgreSQL: written from the event stream
//! by its consumer, never twice for one event, and rebuilt exactly.

mod common;

use chrono::{Datelike, Utc};
use common::TestApp;
use lianxin_service::activities::attendance::code_at;
use lianxin_service::duty;
use lianxin_store::db::{Param, int};
use serde_json::json;

/// Every entry as (member, kind, role, subject, joint count, joint index, event), sorted.
async fn snapshot(t: &TestApp) -> Vec<(i64, String, String, String, i64, i64, i64)> {
    let mut conn = t.db.acquire().await.unwrap();
    let year = i64::from((Utc::now() + chrono::Duration::hours(8)).year());
    let mut v: Vec<_> = lianxin_store::duty::of_year(&mut conn.conn(), 1, year)
        .await
        .unwrap()
        .into_iter()
        .map(|e| {
            (
                e.member_id,
                e.kind,
                e.role,
                e.subject,
                e.joint_count,
                e.joint_index,
                e.event_id,
            )
        })
        .collect();
    v.sort();
    v
}

async fn activity(t: &TestApp, title: &str) -> i64 {
    let mut conn = t.db.acquire().await.unwrap();
    int(
        &mut conn.conn(),
        "SELECT id FROM activities WHERE title = $1",
        &[Param::Text(title.into())],
    )
    .await
    .unwrap()
}

both_demo!(the_log_follows_the_events_once_and_rebuilds_exactly, |t| {
    // Work done through the pages: the member checks in to the consultation under way, the
    // office closes it.
    let id = activity(&t, "老旧小区加装电梯协商议事会").await;
    let member = t.token("member").await;
    let (s, _) = t
        .post(
            &member,
            &format!("/api/v1/activities/{id}/checkins"),
            &json!({"code": code_at(&t.app, id, Utc::now())}),
        )
        .await;
    assert_eq!(s, 200);
    let office = t.signed_in("office").await;
    let op = format!("/office/activities/{id}");
    let r = t
        .post_form(
            &office,
            &op,
            &format!("{op}/close"),
            &[("summary", "形成共识")],
        )
        .await;
    assert_eq!(r.status(), 303);

    assert!(duty::catch_up(&t.app).await.unwrap() > 0);
    let log = snapshot(&t).await;
    let me = {
        let mut conn = t.db.acquire().await.unwrap();
        lianxin_store::accounts::user_by_username(&mut conn.conn(), "member")
            .await
            .unwrap()
            .unwrap()
            .member_id
            .unwrap()
    };
    let subject = format!("activity:{id}");
    assert!(
        log.iter()
            .any(|e| e.0 == me && e.1 == "activity.attended" && e.3 == subject),
        "the member's attendance is in the log"
    );
    assert_eq!(
        log.iter()
            .filter(|e| e.3 == subject && e.1 == "activity.unexcused")
            .count(),
        12,
        "the other invitees are absent without leave"
    );
    assert!(
        log.iter().any(|e| e.1 == "proposal.submitted"),
        "the demo's proposals"
    );
    assert!(
        log.iter()
            .any(|e| e.1 == "speech.written" || e.1 == "activity.unexcused")
    );

    // Delivered again — the consumer restarted before its cursor moved — nothing doubles.
    assert_eq!(duty::catch_up(&t.app).await.unwrap(), 0);
    let mut conn = t.db.acquire().await.unwrap();
    lianxin_store::db::run(
        &mut conn.conn(),
        "UPDATE event_cursors SET position = 0 WHERE consumer = $1",
        &[Param::Text(duty::CONSUMER.into())],
    )
    .await
    .unwrap();
    drop(conn);
    assert!(duty::catch_up(&t.app).await.unwrap() > 0);
    assert_eq!(snapshot(&t).await, log, "an event is never counted twice");

    // A rebuild, of everything or of this year, gives exactly the same log.
    let seen = std::sync::Mutex::new(Vec::new());
    let n = duty::rebuild(&t.app, None, &|done, all| {
        seen.lock().unwrap().push((done, all))
    })
    .await
    .unwrap();
    assert_eq!(n, log.len());
    assert_eq!(snapshot(&t).await, log);
    let steps = seen.lock().unwrap().clone();
    assert!(
        !steps.is_empty() && steps.last().is_some_and(|(d, a)| d == a),
        "progress ends at 100 %: {steps:?}"
    );
    let year = i64::from((Utc::now() + chrono::Duration::hours(8)).year());
    duty::rebuild(&t.app, Some(year), &|_, _| {}).await.unwrap();
    assert_eq!(snapshot(&t).await, log);
});

both_demo!(
    the_archive_shows_each_entry_with_its_points_and_the_same_total,
    |t| {
        let id = activity(&t, "老旧小区加装电梯协商议事会").await;
        let member = t.token("member").await;
        let (s, _) = t
            .post(
                &member,
                &format!("/api/v1/activities/{id}/checkins"),
                &json!({"code": code_at(&t.app, id, Utc::now())}),
            )
            .await;
        assert_eq!(s, 200);
        let office = t.signed_in("office").await;
        let op = format!("/office/activities/{id}");
        assert_eq!(
            t.post_form(
                &office,
                &op,
                &format!("{op}/close"),
                &[("summary", "形成共识")]
            )
            .await
            .status(),
            303
        );
        duty::catch_up(&t.app).await.unwrap();

        let browser = t.signed_in("member").await;
        let (s, html) = common::text(&browser, &t, "/me/archive").await;
        assert_eq!(s, 200);
        assert!(html.contains("data-kind=\"activity.attended\""), "{html}");
        assert!(
            html.contains(&format!("/me/activities/{id}")),
            "links to the source"
        );
        assert!(html.contains("2 分"));
        // The page's total is the engine's total over the same entries.
        let me = {
            let mut conn = t.db.acquire().await.unwrap();
            lianxin_store::accounts::user_by_username(&mut conn.conn(), "member")
                .await
                .unwrap()
                .unwrap()
                .member_id
                .unwrap()
        };
        let year = i64::from((Utc::now() + chrono::Duration::hours(8)).year());
        let mut conn = t.db.acquire().await.unwrap();
        let rows = lianxin_store::duty::of_member(&mut conn.conn(), me, year)
            .await
            .unwrap();
        drop(conn);
        use lianxin_domain::scoring::{Entry, EntryRole, RuleSet, score};
        let rules = RuleSet::parse(RuleSet::default_rules()).unwrap();
        let entries: Vec<Entry> = rows
            .iter()
            .map(|r| Entry {
                id: r.id,
                kind: &r.kind,
                role: EntryRole::parse(&r.role).unwrap(),
                subject: &r.subject,
                joint_count: r.joint_count as u32,
                joint_index: r.joint_index as u32,
            })
            .collect();
        let centi = score(&rules, &entries, false).total_centi;
        let total = if centi % 100 == 0 {
            (centi / 100).to_string()
        } else {
            format!("{:.2}", centi as f64 / 100.0)
        };
        let shown = html
            .split("id=\"total\">")
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap();
        assert_eq!(shown, total);
        assert!(
            html.contains("尚未达到"),
            "the minimum requirements are not all met yet"
        );

        // The office sees it too; a member cannot see another's; a convenor only their sector's.
        let (s, office_view) =
            common::text(&office, &t, &format!("/office/members/{me}/archive")).await;
        assert_eq!(s, 200);
        assert!(office_view.contains(&format!("/office/activities/{id}")));
        let (s, _) = common::text(&browser, &t, &format!("/office/members/{me}/archive")).await;
        assert_eq!(s, 403);
        let convenor = t.signed_in("convenor").await;
        let (s, _) = common::text(&convenor, &t, &format!("/office/members/{me}/archive")).await;
        assert_eq!(s, 404, "the demo member is not of the convenor's sector");
    }
);

both_demo!(rankings_agree_with_every_archive, |t| {
    // Some work for some members: check-ins by hand, then the close.
    let id = activity(&t, "老旧小区加装电梯协商议事会").await;
    let office_token = t.token("office").await;
    let mut conn = t.db.acquire().await.unwrap();
    let invited = lianxin_store::activities::invitations(&mut conn.conn(), id)
        .await
        .unwrap();
    drop(conn);
    for inv in invited.iter().step_by(3) {
        let (s, _) = t
            .post(
                &office_token,
                &format!("/api/v1/activities/{id}/checkins"),
                &json!({"member_id": inv.member_id}),
            )
            .await;
        assert_eq!(s, 200);
    }
    let office = t.signed_in("office").await;
    let op = format!("/office/activities/{id}");
    assert_eq!(
        t.post_form(
            &office,
            &op,
            &format!("{op}/close"),
            &[("summary", "形成共识")]
        )
        .await
        .status(),
        303
    );
    duty::catch_up(&t.app).await.unwrap();

    let (s, html) = common::text(&office, &t, "/office/rankings").await;
    assert_eq!(s, 200);
    let rows: Vec<(i64, String)> = html
        .split("<tr data-member=\"")
        .skip(1)
        .map(|r| {
            let id: i64 = r.split('"').next().unwrap().parse().unwrap();
            let total = r
                .split("class=\"total\">")
                .nth(1)
                .unwrap()
                .split('<')
                .next()
                .unwrap()
                .to_string();
            (id, total)
        })
        .collect();
    assert!(rows.len() >= 290, "every active member is ranked");
    // The total in the ranking is the total on each member's archive page.
    for (member, total) in rows
        .iter()
        .filter(|(m, _)| invited.iter().any(|i| i.member_id == *m))
    {
        let (_, archive) =
            common::text(&office, &t, &format!("/office/members/{member}/archive")).await;
        let shown = archive
            .split("id=\"total\">")
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap();
        assert_eq!(shown, total, "member {member}");
    }
    // Best first.
    let totals: Vec<f64> = rows.iter().map(|(_, t)| t.parse().unwrap()).collect();
    assert!(totals.windows(2).all(|w| w[0] >= w[1]), "{totals:?}");
    assert!(html.contains("低于及格线"));
    // A member may not see the ranking.
    let member = t.signed_in("member").await;
    assert_eq!(common::text(&member, &t, "/office/rankings").await.0, 403);
});

// The contract between the writers of events (JSON payloads) and the consumers (typed
// variants), on what the demo writes; the flow tests check it on what they write.
both_demo!(every_duty_event_the_demo_writes_reads_as_its_type, |t| {
    let seen = t.assert_events_typed().await;
    for k in [
        "activity.attended",
        "proposal.submitted",
        "proposal.accepted",
        "opinion.submitted",
        "opinion.adopted",
    ] {
        assert!(seen.contains(k), "{k} in {seen:?}");
    }
});
