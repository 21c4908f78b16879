//! The year of duty (issue 6) on SQLite and PostgreSQL: scoring rules per year checked line by
//! line and frozen with the scores when the year is closed; a year without rules; offline work
//! reported with evidence and confirmed by someone else; corrections as reversing entries; the
//! duty menu with sign-up; the duty report; the annual report; and the same total everywhere.

mod common;

use chrono::{Datelike, Utc};
use common::{TestApp, text};
use lianxin_domain::access::{ManageDutyYear, ViewOrganisation, system_actor};
use lianxin_domain::scoring::RuleSet;
use lianxin_service::duty::{self, annual, rules, scores};
use lianxin_store::db::{Param, int};
use serde_json::Value;

fn year() -> i64 {
    i64::from((Utc::now() + chrono::Duration::hours(8)).year())
}

fn today() -> String {
    (Utc::now() + chrono::Duration::hours(8))
        .format("%Y-%m-%d")
        .to_string()
}

/// The 1-based line of the first line containing `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("{needle} not in the rules"))
}

async fn member_of(t: &TestApp, username: &str) -> i64 {
    let mut conn = t.db.acquire().await.unwrap();
    lianxin_store::accounts::user_by_username(&mut conn.conn(), username)
        .await
        .unwrap()
        .unwrap()
        .member_id
        .unwrap()
}

async fn stored_rules(t: &TestApp, y: i64) -> String {
    let mut conn = t.db.acquire().await.unwrap();
    lianxin_store::scoring_rules::of_year(&mut conn.conn(), 1, y)
        .await
        .unwrap()
        .map(|r| r.source)
        .unwrap_or_default()
}

/// Post a multipart form from one of our pages, with its CSRF token and optionally a file.
async fn post_multipart(
    t: &TestApp,
    c: &reqwest::Client,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
    file: Option<(&str, &str, Vec<u8>)>,
) -> reqwest::Response {
    let (_, html) = text(c, t, page).await;
    let mut form = reqwest::multipart::Form::new().text("_csrf", common::hidden(&html, "_csrf"));
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    if let Some((field, name, bytes)) = file {
        form = form.part(
            field.to_string(),
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
        );
    }
    c.post(t.url(action)).multipart(form).send().await.unwrap()
}

/// The demo's consultation under way.
async fn consultation(t: &TestApp) -> i64 {
    let mut conn = t.db.acquire().await.unwrap();
    int(
        &mut conn.conn(),
        "SELECT id FROM activities WHERE title = $1",
        &[Param::Text("老旧小区加装电梯协商议事会".into())],
    )
    .await
    .unwrap()
}

/// The office closes the consultation, which fixes everyone's attendance.
async fn close_consultation(t: &TestApp, office: &reqwest::Client, id: i64) {
    let op = format!("/office/activities/{id}");
    let r = t
        .post_form(
            office,
            &op,
            &format!("{op}/close"),
            &[("summary", "形成共识")],
        )
        .await;
    assert_eq!(r.status(), 303);
}

/// The stable error code a refused step carries beside its Chinese message.
fn code(r: &reqwest::Response) -> String {
    r.headers()
        .get("x-lianxin-error")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

both_demo!(
    rule_files_are_checked_by_line_and_a_closed_year_is_frozen,
    |t| {
        let y = year();
        let office = t.signed_in("office").await;
        let page = format!("/office/scoring?year={y}");
        let (s, html) = text(&office, &t, &page).await;
        assert_eq!(s, 200);
        assert!(
            html.contains("履职积分默认规则"),
            "the year's rules are shown"
        );
        let default = RuleSet::default_rules();

        // Each bad file: refused with the line of the problem, and nothing saved.
        let syntax = default.replacen("pass = 60", "pass = = 60", 1);
        let unknown = default.replacen(
            "entry = \"plenary.attended\"",
            "entry = \"plenary.napping\"",
            1,
        );
        let negative = default.replacen("cap = 50", "cap = -50", 1);
        let tiny_cap = default.replacen("cap = 10 ", "cap = 0.5 ", 1);
        let cases = [
            (&syntax, Some(line_of(&syntax, "pass = = 60"))),
            (&unknown, Some(line_of(&unknown, "plenary.napping"))),
            (&negative, Some(line_of(&negative, "cap = -50"))),
            (&tiny_cap, None),
        ];
        for (source, line) in cases {
            let r = post_multipart(
                &t,
                &office,
                &page,
                "/office/scoring",
                &[("year", &y.to_string()), ("source", source)],
                None,
            )
            .await;
            assert_eq!(r.status(), 422);
            assert_eq!(code(&r), "scoring.invalid_rules");
            let body = r.text().await.unwrap();
            assert!(body.contains("未保存"), "{body}");
            match line {
                Some(l) => assert!(body.contains(&format!("第 {l} 行")), "line {l}: {body}"),
                None => assert!(
                    body.contains("超过"),
                    "a cap below one item's points: {body}"
                ),
            }
            assert_eq!(stored_rules(&t, y).await, default, "nothing saved");
        }

        // A good file, uploaded: saved, and the archive scores by it.
        let ours = default.replacen(
            "name = \"履职积分默认规则",
            "name = \"江川市政协委员履职积分办法",
            1,
        );
        let r = post_multipart(
            &t,
            &office,
            &page,
            "/office/scoring",
            &[("year", &y.to_string()), ("source", "")],
            Some(("file", "rules.toml", ours.clone().into_bytes())),
        )
        .await;
        assert_eq!(r.status(), 303);
        assert_eq!(stored_rules(&t, y).await, ours);
        let member = t.signed_in("member").await;
        assert!(
            text(&member, &t, "/me/archive")
                .await
                .1
                .contains("江川市政协委员履职积分办法")
        );

        // Close the year: every member's score is kept, and nothing changes it afterwards.
        let r = t
            .post_form(
                &office,
                &page,
                "/office/scoring/close",
                &[("year", &y.to_string())],
            )
            .await;
        assert_eq!(r.status(), 303);
        let frozen: Vec<(i64, i64)> = {
            let mut conn = t.db.acquire().await.unwrap();
            lianxin_store::scoring_rules::snapshots(&mut conn.conn(), 1, y)
                .await
                .unwrap()
                .into_iter()
                .map(|s| (s.member_id, s.total_centi))
                .collect()
        };
        let active = {
            let mut conn = t.db.acquire().await.unwrap();
            lianxin_store::duty::members(&mut conn.conn(), 1)
                .await
                .unwrap()
                .len()
        };
        assert_eq!(frozen.len(), active, "every active member's score is kept");
        let ranked = |t: &TestApp| {
            let db = t.db.clone();
            async move {
                let mut conn = db.acquire().await.unwrap();
                let mut v: Vec<(i64, i64)> = scores::ranking_of(&mut conn.conn(), 1, y)
                    .await
                    .unwrap()
                    .rows
                    .into_iter()
                    .map(|r| (r.member_id, r.total_centi))
                    .collect();
                v.sort();
                v
            }
        };
        assert_eq!(ranked(&t).await, frozen);
        // Work logged after the close does not move the frozen scores.
        let activity = consultation(&t).await;
        close_consultation(&t, &office, activity).await;
        assert!(duty::catch_up(&t.app).await.unwrap() > 0);
        assert_eq!(
            ranked(&t).await,
            frozen,
            "the closed year's scores are frozen"
        );

        // Changing the rules, reporting or closing again: refused.
        let r = post_multipart(
            &t,
            &office,
            &page,
            "/office/scoring",
            &[("year", &y.to_string()), ("source", default)],
            None,
        )
        .await;
        assert_eq!(r.status(), 409);
        assert_eq!(code(&r), "scoring.year_closed");
        assert_eq!(stored_rules(&t, y).await, ours);
        let r = post_multipart(
            &t,
            &member,
            "/me/duty",
            "/me/duty/self-reports",
            &[
                ("kind", "service.volunteer"),
                ("done_on", &today()),
                ("description", "社区义诊"),
                ("evidence_note", "社区居委会证明"),
            ],
            None,
        )
        .await;
        assert_eq!(r.status(), 409);
        assert_eq!(code(&r), "scoring.year_closed");
        let g = system_actor(1).grant::<ManageDutyYear>().unwrap();
        assert!(rules::close(&t.app, &g, y).await.is_err());
    }
);

both_demo!(a_year_without_rules_says_so_instead_of_scoring_zero, |t| {
    let member = t.signed_in("member").await;
    let (s, html) = text(&member, &t, "/me/archive?year=2020").await;
    assert_eq!(s, 200);
    assert!(html.contains("2020 年度尚未制定评分规则"), "{html}");
    assert!(!html.contains("id=\"total\""), "no score of zero");
    let office = t.signed_in("office").await;
    let r = office
        .get(t.url("/office/rankings?year=2020"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    assert!(r.text().await.unwrap().contains("尚未制定评分规则"));
    let r = office
        .get(t.url("/office/annual-report?year=2020&format=pdf"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let (_, html) = text(&office, &t, "/office/scoring?year=2020").await;
    assert!(html.contains("id=\"no-rules\""));
});

both_demo!(
    offline_work_counts_only_when_someone_else_confirms_it,
    |t| {
        let y = year();
        let member = t.signed_in("member").await;
        let report = |c: reqwest::Client,
                      fields: Vec<(&'static str, String)>,
                      file: Option<Vec<u8>>| {
            let t = &t;
            async move {
                let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
                post_multipart(
                    t,
                    &c,
                    "/me/duty",
                    "/me/duty/self-reports",
                    &f,
                    file.map(|b| ("evidence", "义诊.png", b)),
                )
                .await
            }
        };
        let base = |desc: &str| {
            vec![
                ("kind", "service.volunteer".to_string()),
                ("done_on", today()),
                ("description", desc.to_string()),
                ("year", y.to_string()),
            ]
        };
        // Without evidence: refused, nothing stored.
        let r = report(member.clone(), base("社区义诊"), None).await;
        assert_eq!(r.status(), 422);
        assert_eq!(code(&r), "validation.self_report.no_evidence");
        assert!(r.text().await.unwrap().contains("请提供佐证"));
        let count = |t: &TestApp| {
            let db = t.db.clone();
            async move {
                let mut conn = db.acquire().await.unwrap();
                int(&mut conn.conn(), "SELECT COUNT(*) FROM self_reports", &[])
                    .await
                    .unwrap()
            }
        };
        assert_eq!(count(&t).await, 0);
        // With a photo, and with a written account.
        let r = report(member.clone(), base("社区义诊"), Some(common::PNG.to_vec())).await;
        assert_eq!(r.status(), 303);
        let mut with_note = base("走访困难群众");
        with_note.push(("evidence_note", "街道办证明".into()));
        assert_eq!(report(member.clone(), with_note, None).await.status(), 303);
        let ids: Vec<i64> = {
            let mut conn = t.db.acquire().await.unwrap();
            lianxin_store::duty_menu::member_self_reports(
                &mut conn.conn(),
                member_of(&t, "member").await,
                y,
            )
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .rev()
            .collect()
        };
        assert_eq!(ids.len(), 2);

        // A member may not confirm anything; a convenor may not confirm their own.
        let (s, _) = text(&member, &t, "/office/self-reports").await;
        assert_eq!(s, 403);
        let convenor = t.signed_in("convenor").await;
        let mut own = base("教师节慰问");
        own.push(("evidence_note", "学校证明".into()));
        assert_eq!(report(convenor.clone(), own, None).await.status(), 303);
        let own_id = {
            let mut conn = t.db.acquire().await.unwrap();
            int(&mut conn.conn(), "SELECT MAX(id) FROM self_reports", &[])
                .await
                .unwrap()
        };
        let r = t
            .post_form(
                &convenor,
                "/office/self-reports",
                &format!("/office/self-reports/{own_id}/decide"),
                &[("decision", "confirm")],
            )
            .await;
        assert_eq!(r.status(), 409);
        assert_eq!(code(&r), "self_report.own");

        // The office: a rejection needs its reason; a confirmation becomes an entry.
        let office = t.signed_in("office").await;
        let decide = |id: i64, fields: Vec<(&'static str, &'static str)>| {
            let (t, office) = (&t, office.clone());
            async move {
                t.post_form(
                    &office,
                    "/office/self-reports",
                    &format!("/office/self-reports/{id}/decide"),
                    &fields,
                )
                .await
            }
        };
        let r = decide(ids[1], vec![("decision", "reject")]).await;
        assert_eq!(r.status(), 422);
        let r = decide(
            ids[1],
            vec![("decision", "reject"), ("reason", "请补充走访对象名单")],
        )
        .await;
        assert_eq!(r.status(), 303);
        let r = decide(ids[0], vec![("decision", "confirm")]).await;
        assert_eq!(r.status(), 303);
        assert_eq!(
            decide(ids[0], vec![("decision", "confirm")]).await.status(),
            409
        );
        let ev = office
            .get(t.url(&format!("/office/self-reports/{}/evidence", ids[0])))
            .send()
            .await
            .unwrap();
        assert_eq!(ev.bytes().await.unwrap().as_ref(), common::PNG);

        duty::catch_up(&t.app).await.unwrap();
        let me = member_of(&t, "member").await;
        let office_user = {
            let mut conn = t.db.acquire().await.unwrap();
            lianxin_store::accounts::user_by_username(&mut conn.conn(), "office")
                .await
                .unwrap()
                .unwrap()
                .id
        };
        let rows = {
            let mut conn = t.db.acquire().await.unwrap();
            lianxin_store::duty::of_member(&mut conn.conn(), me, y)
                .await
                .unwrap()
        };
        let confirmed: Vec<_> = rows
            .iter()
            .filter(|r| r.subject == format!("self_report:{}", ids[0]))
            .collect();
        assert_eq!(
            confirmed.len(),
            1,
            "one entry, for the confirmed report only"
        );
        assert_eq!(confirmed[0].kind, "service.volunteer");
        assert_eq!(confirmed[0].attested_by, Some(office_user), "谁确认谁记录");
        assert!(
            !rows
                .iter()
                .any(|r| r.subject == format!("self_report:{}", ids[1]))
        );
        let (_, page) = text(&member, &t, "/me/duty").await;
        assert!(page.contains("请补充走访对象名单"), "the member sees why");

        // A correction reverses the entry: it stays on record, counts no more, and cannot be
        // corrected twice.
        let g = t.app.clone();
        let archive = |g: lianxin_service::App| async move {
            let a = system_actor(1).grant::<ViewOrganisation>().unwrap();
            scores::member_archive(&g, &a, me, y).await.unwrap()
        };
        let before = archive(g.clone()).await;
        let entry = before
            .entries
            .iter()
            .find(|e| e.entry.id == confirmed[0].id)
            .unwrap();
        assert!(entry.counts && entry.centi > 0);
        let page = format!("/office/members/{me}/archive");
        let (_, html) = text(&office, &t, &page).await;
        assert!(html.contains(&format!("/office/duty/entries/{}/correct", entry.entry.id)));
        let path = format!("/office/duty/entries/{}/correct", entry.entry.id);
        let r = t
            .post_form(
                &office,
                &page,
                &path,
                &[("action", "reverse"), ("reason", "重复报送")],
            )
            .await;
        assert_eq!(r.status(), 303);
        duty::catch_up(&t.app).await.unwrap();
        let after = archive(g.clone()).await;
        let was = after
            .entries
            .iter()
            .find(|e| e.entry.id == confirmed[0].id)
            .unwrap();
        assert!(!was.counts, "the reversed entry no longer counts");
        assert!(
            after
                .entries
                .iter()
                .any(|e| e.entry.reverses_event == confirmed[0].event_id)
        );
        let (b, a) = (
            before.score.unwrap().total_centi,
            after.score.unwrap().total_centi,
        );
        assert!(a < b, "{a} < {b}");
        let r = t
            .post_form(
                &office,
                &page,
                &path,
                &[("action", "reverse"), ("reason", "再次")],
            )
            .await;
        assert_eq!(r.status(), 409);
        assert_eq!(code(&r), "duty.already_corrected");
        // A rebuild reproduces the correction.
        let log_before = {
            let mut conn = t.db.acquire().await.unwrap();
            lianxin_store::duty::of_member(&mut conn.conn(), me, y)
                .await
                .unwrap()
                .len()
        };
        duty::rebuild(&t.app, Some(y), &|_, _| {}).await.unwrap();
        let again = archive(g.clone()).await;
        assert_eq!(again.entries.len(), log_before);
        assert_eq!(again.score.unwrap().total_centi, a);
        let seen = t.assert_events_typed().await;
        assert!(seen.contains("self_report.confirmed"), "{seen:?}");
        assert!(seen.contains("duty.corrected"), "{seen:?}");
    }
);

both_demo!(
    a_member_of_another_committee_gets_no_entry_and_is_not_found,
    |t| {
        let y = year();
        let other =
            lianxin_service::committees::create_root(&t.app, "政协邻县委员会", "county", "邻县")
                .await
                .unwrap();
        // One of the consultation's invitees moves to the other committee before it closes.
        let activity = consultation(&t).await;
        let moved = {
            let mut conn = t.db.acquire().await.unwrap();
            let m = int(
                &mut conn.conn(),
                "SELECT MAX(member_id) FROM activity_invitations WHERE activity_id = $1",
                &[Param::Int(activity)],
            )
            .await
            .unwrap();
            lianxin_store::db::run(
                &mut conn.conn(),
                "UPDATE members SET committee_id = $1 WHERE id = $2",
                &[Param::Int(other), Param::Int(m)],
            )
            .await
            .unwrap();
            m
        };
        let office = t.signed_in("office").await;
        close_consultation(&t, &office, activity).await;
        duty::catch_up(&t.app).await.unwrap();
        let mut conn = t.db.acquire().await.unwrap();
        let rows = lianxin_store::duty::of_member(&mut conn.conn(), moved, y)
            .await
            .unwrap();
        drop(conn);
        assert!(
            rows.is_empty(),
            "no entry for a member of another committee: {rows:?}"
        );
        let (s, _) = text(&office, &t, &format!("/office/members/{moved}/archive")).await;
        assert_eq!(s, 404);
        let (s, _) = text(&office, &t, &format!("/office/members/{moved}/archive.pdf")).await;
        assert_eq!(s, 404);
        let r = t
            .post_form(
                &office,
                "/office/self-reports",
                "/office/duty/entries/999999/correct",
                &[("action", "reverse"), ("reason", "x")],
            )
            .await;
        assert_eq!(r.status(), 404);
    }
);

both_demo!(the_menu_shows_what_is_done_and_places_run_out, |t| {
    let y = year();
    let office = t.signed_in("office").await;
    let page = format!("/office/duty-menu?year={y}");
    let add = |fields: Vec<(&'static str, String)>| {
        let (t, office, page) = (&t, office.clone(), page.clone());
        async move {
            let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            t.post_form(&office, &page, "/office/duty-menu", &f).await
        }
    };
    let item = |kind: &str, title: &str, places: &str| {
        vec![
            ("year", y.to_string()),
            ("kind", kind.to_string()),
            ("title", title.to_string()),
            ("evidence", "签到记录".to_string()),
            ("confirmer", "organiser".to_string()),
            ("places", places.to_string()),
        ]
    };
    let r = add(item("made.up", "乱填", "")).await;
    assert_eq!(r.status(), 422);
    let r = add(item("service.volunteer", "义诊", "-3")).await;
    assert_eq!(r.status(), 422);
    let member = t.signed_in("member").await;
    assert!(
        text(&member, &t, "/me/duty")
            .await
            .1
            .contains("id=\"no-menu\"")
    );
    assert_eq!(
        add(item("activity.attended", "参加协商议事", ""))
            .await
            .status(),
        303
    );
    assert_eq!(
        add(item("service.volunteer", "“委员进社区”义诊", "1"))
            .await
            .status(),
        303
    );
    let r = t
        .post_form(
            &office,
            &page,
            "/office/duty-menu/publish",
            &[("year", &y.to_string())],
        )
        .await;
    assert_eq!(r.status(), 303);

    // The member attends the consultation: that item shows as done, with its points.
    let activity = consultation(&t).await;
    let token = t.token("member").await;
    let (s, _) = t
        .post(
            &token,
            &format!("/api/v1/activities/{activity}/checkins"),
            &serde_json::json!({"code": lianxin_service::activities::attendance::code_at(&t.app, activity, Utc::now())}),
        )
        .await;
    assert_eq!(s, 200);
    close_consultation(&t, &office, activity).await;
    duty::catch_up(&t.app).await.unwrap();
    let (_, html) = text(&member, &t, "/me/duty").await;
    assert!(html.contains("已完成 1 次 · 2 分"), "{html}");
    assert!(html.contains("id=\"done-count\">1<"));

    // One place: the member takes it, the next member finds it full.
    let items = {
        let mut conn = t.db.acquire().await.unwrap();
        lianxin_store::duty_menu::items(&mut conn.conn(), 1, y)
            .await
            .unwrap()
    };
    let limited = items.iter().find(|i| i.places == Some(1)).unwrap().id;
    let path = format!("/me/duty/items/{limited}/sign-up");
    let r = t
        .post_form(&member, "/me/duty", &path, &[("year", &y.to_string())])
        .await;
    assert_eq!(r.status(), 303);
    let r = t
        .post_form(&member, "/me/duty", &path, &[("year", &y.to_string())])
        .await;
    assert_eq!(code(&r), "duty_menu.already_signed_up");
    let convenor = t.signed_in("convenor").await;
    let r = t
        .post_form(&convenor, "/me/duty", &path, &[("year", &y.to_string())])
        .await;
    assert_eq!(r.status(), 409);
    assert_eq!(code(&r), "duty_menu.full");
    assert!(text(&member, &t, "/me/duty").await.1.contains("已报名"));
});

both_demo!(
    the_duty_report_is_drafted_from_the_archive_and_submitted_once,
    |t| {
        let y = year();
        let member = t.signed_in("member").await;
        let (s, html) = text(&member, &t, "/me/duty-report").await;
        assert_eq!(s, 200);
        assert!(
            html.contains("现将履职情况报告如下"),
            "a draft from the archive"
        );
        assert!(html.contains("履职积分"), "with the score");
        let page = "/me/duty-report";
        let r = t
            .post_form(
                &member,
                page,
                page,
                &[("year", &y.to_string()), ("body", ""), ("submit", "1")],
            )
            .await;
        assert_eq!(r.status(), 422);
        let r = t
            .post_form(
                &member,
                page,
                page,
                &[
                    ("year", &y.to_string()),
                    ("body", "本年度认真履职。<script>x</script>"),
                    ("submit", "1"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
        let (_, html) = text(&member, &t, page).await;
        assert!(html.contains("id=\"submitted\""));
        assert!(!html.contains("<script>x"), "escaped");
        let r = t
            .post_form(
                &member,
                page,
                page,
                &[
                    ("year", &y.to_string()),
                    ("body", "改一改"),
                    ("submit", "0"),
                ],
            )
            .await;
        assert_eq!(r.status(), 409);
        assert_eq!(code(&r), "duty_report.submitted");
        let office = t.signed_in("office").await;
        let (s, html) = text(&office, &t, &format!("/office/duty-reports?year={y}")).await;
        assert_eq!(s, 200);
        assert!(html.contains("本年度认真履职"));
    }
);

// Random work for random members, scored: each member's total is the same in the archive,
// the ranking, the annual report's appendix (XLSX) and the snapshot kept at the close.
both_demo!(the_total_is_the_same_everywhere_on_random_data, |t| {
    use rand::{Rng, SeedableRng};
    let y = year();
    let seed: u64 = rand::random();
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let members: Vec<i64> = {
        let mut conn = t.db.acquire().await.unwrap();
        lianxin_store::duty::members(&mut conn.conn(), 1)
            .await
            .unwrap()
            .into_iter()
            .take(40)
            .map(|m| m.id)
            .collect()
    };
    let kinds: Vec<&str> = lianxin_domain::scoring::ENTRY_KINDS
        .iter()
        .map(|(k, _)| *k)
        .collect();
    // Entries name events the log has read, as real ones do (a closed year counts those).
    duty::catch_up(&t.app).await.unwrap();
    let last_event = {
        let mut conn = t.db.acquire().await.unwrap();
        int(&mut conn.conn(), "SELECT MAX(id) FROM events", &[])
            .await
            .unwrap()
    };
    {
        let mut tx = t.db.begin_write().await.unwrap();
        for _ in 0..600 {
            let m = members[rng.random_range(0..members.len())];
            let role = ["lead", "joint", "participant"][rng.random_range(0..3)];
            let jc = rng.random_range(0..4);
            let e = lianxin_store::duty::NewEntry {
                committee_id: 1,
                member_id: m,
                year: y,
                kind: kinds[rng.random_range(0..kinds.len())],
                role,
                subject: &format!("proposal:{}", rng.random_range(0..20)),
                joint_count: jc,
                joint_index: rng.random_range(0..=jc.max(1) - 1),
                event_id: rng.random_range(1..=last_event),
                attested_by: None,
                occurred_at: Utc::now(),
                reverses_event: 0,
            };
            lianxin_store::duty::add(&mut tx.conn(), &e).await.unwrap();
        }
        // Written past the consumer, as `demo --scale` does: keep the scores the same way.
        scores::keep_scores(&mut tx.conn(), 1, y, None)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    // Scoring everyone reads the log packed (each database its own way): the same entries.
    {
        let mut conn = t.db.acquire().await.unwrap();
        let p = lianxin_store::duty::packed_year(&mut conn.conn(), 1, y)
            .await
            .unwrap();
        let mut packed: Vec<_> = p
            .entries
            .iter()
            .map(|e| {
                let role = p.roles[e.role as usize].clone();
                let (kind, subject) = (p.kind(e).to_string(), p.subject(e).to_string());
                (
                    e.member_id,
                    e.id,
                    kind,
                    role,
                    subject,
                    e.joint_count,
                    e.joint_index,
                    e.event_id,
                )
            })
            .collect();
        packed.sort();
        let rows = lianxin_store::duty::of_year(&mut conn.conn(), 1, y)
            .await
            .unwrap();
        let mut plain: Vec<_> = rows
            .into_iter()
            .map(|r| {
                let (kind, role, subject) = (r.kind, r.role, r.subject);
                (
                    r.member_id,
                    r.id,
                    kind,
                    role,
                    subject,
                    r.joint_count,
                    r.joint_index,
                    r.event_id,
                )
            })
            .collect();
        plain.sort();
        assert!(plain.len() >= 600);
        assert_eq!(packed, plain, "seed {seed}");
    }
    let g = system_actor(1).grant::<ViewOrganisation>().unwrap();
    let ranking = scores::ranking(&t.app, &g, y).await.unwrap();
    let report = annual::build(&t.app, &system_actor(1).grant().unwrap(), y)
        .await
        .unwrap();
    let xlsx = annual::render(report, annual::Format::Xlsx).await.unwrap();
    let path = std::env::temp_dir().join(format!("lianxin-annual-{seed}.xlsx"));
    std::fs::write(&path, &xlsx).unwrap();
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&path).unwrap();
    use calamine::{DataType, Reader};
    let sheet = wb.worksheet_range("委员积分").unwrap();
    let mut in_report: Vec<(String, i64)> = sheet
        .rows()
        .skip(3)
        .map(|r| {
            (
                r[0].to_string(),
                (r[3].get_float().unwrap_or(0.0) * 100.0).round() as i64,
            )
        })
        .collect();
    std::fs::remove_file(&path).ok();
    let mut in_ranking: Vec<(String, i64)> = ranking
        .rows
        .iter()
        .map(|r| (r.name.clone(), r.total_centi))
        .collect();
    in_report.sort();
    in_ranking.sort();
    assert_eq!(in_report, in_ranking, "seed {seed}");
    for m in &members {
        let a = scores::member_archive(&t.app, &g, *m, y).await.unwrap();
        let row = ranking.rows.iter().find(|r| r.member_id == *m).unwrap();
        assert_eq!(
            a.score.unwrap().total_centi,
            row.total_centi,
            "seed {seed}, member {m}"
        );
    }
    let office = system_actor(1).grant::<ManageDutyYear>().unwrap();
    rules::close(&t.app, &office, y).await.unwrap();
    let mut conn = t.db.acquire().await.unwrap();
    let frozen = lianxin_store::scoring_rules::snapshots(&mut conn.conn(), 1, y)
        .await
        .unwrap();
    for s in frozen {
        let row = ranking
            .rows
            .iter()
            .find(|r| r.member_id == s.member_id)
            .unwrap();
        assert_eq!(s.total_centi, row.total_centi, "seed {seed}");
    }
});

both_demo!(the_annual_report_downloads_as_pdf_xlsx_and_html, |t| {
    let y = year();
    let office = t.signed_in("office").await;
    let (_, html) = text(&office, &t, "/office/rankings").await;
    assert!(html.contains("id=\"annual-pdf\""));
    for (format, magic) in [
        ("pdf", &b"%PDF-"[..]),
        ("xlsx", &b"PK"[..]),
        ("html", &b"<!doctype"[..]),
    ] {
        let r = office
            .get(t.url(&format!("/office/annual-report?year={y}&format={format}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{format}");
        let bytes = r.bytes().await.unwrap();
        assert!(bytes.starts_with(magic), "{format}");
        if format == "html" {
            let s = String::from_utf8_lossy(&bytes);
            for section in [
                "各界别履职参与与积分分布",
                "界别群众诉求办理",
                "提案提交、立案与办理",
                "附表：每位委员的履职积分",
            ] {
                assert!(s.contains(section), "{section}");
            }
        }
    }
    let r = office
        .get(t.url(&format!("/office/annual-report?year={y}&format=doc")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let member = t.signed_in("member").await;
    let (s, _) = text(&member, &t, &format!("/office/annual-report?year={y}")).await;
    assert_eq!(s, 403);
    // The member's archive as a PDF.
    let r = member.get(t.url("/me/archive.pdf")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.bytes().await.unwrap().starts_with(b"%PDF-"));
});

/// A member of the same sector as `member_id` other than them, and one of another sector.
async fn peers_of(t: &TestApp, member_id: i64) -> (i64, i64) {
    let mut conn = t.db.acquire().await.unwrap();
    let all = lianxin_store::duty::members(&mut conn.conn(), 1)
        .await
        .unwrap();
    let me = all.iter().find(|m| m.id == member_id).unwrap();
    let same = all
        .iter()
        .find(|m| m.sector == me.sector && m.id != me.id)
        .expect("a peer in the member's sector");
    let other = all.iter().find(|m| m.sector != me.sector).unwrap();
    (same.id, other.id)
}

/// Every other active member of `member_id`'s sector.
async fn same_sector(t: &TestApp, member_id: i64) -> Vec<i64> {
    let mut conn = t.db.acquire().await.unwrap();
    let all = lianxin_store::duty::members(&mut conn.conn(), 1)
        .await
        .unwrap();
    let sector = all
        .iter()
        .find(|m| m.id == member_id)
        .unwrap()
        .sector
        .clone();
    let same: Vec<i64> = all
        .iter()
        .filter(|m| m.sector == sector && m.id != member_id)
        .map(|m| m.id)
        .collect();
    assert!(same.len() >= 3, "three peers in the member's sector");
    same
}

/// An account for a member, signed in.
async fn account_for(t: &TestApp, username: &str, member_id: i64) -> reqwest::Client {
    let g = system_actor(1).grant().unwrap();
    let input = lianxin_service::auth::UserInput {
        username,
        display_name: username,
        role: "member",
        password: "peer-password-1",
        member_id: Some(member_id),
        handling_unit_id: None,
    };
    lianxin_service::auth::add_user(&t.app, &g, &input, false)
        .await
        .unwrap();
    t.signed_in_with(username, "peer-password-1").await
}

async fn submit_report(t: &TestApp, c: &reqwest::Client, body: &str) {
    let page = "/me/duty-report";
    let y = year().to_string();
    let fields = [("year", y.as_str()), ("body", body), ("submit", "1")];
    assert_eq!(t.post_form(c, page, page, &fields).await.status(), 303);
}

// The democratic appraisal: peers of the sector grade submitted reports once each, never
// their own, only while the office has the round open; the ballot is secret; the results
// reach the office's page, the member (after the close) and the annual report.
both_demo!(peers_grade_duty_reports_once_in_secret, |t| {
    let y = year();
    let ys = y.to_string();
    let me = member_of(&t, "member").await;
    let (peer_id, stranger_id) = peers_of(&t, me).await;
    let member = t.signed_in("member").await;
    let peer = account_for(&t, "peer", peer_id).await;
    let office = t.signed_in("office").await;
    let vote = |c: &reqwest::Client, id: i64, grade: &str| {
        let (c, action, grade, ys) = (
            c.clone(),
            format!("/me/appraisal/{id}"),
            grade.to_string(),
            ys.clone(),
        );
        let t = &t;
        async move {
            let fields = [("year", ys.as_str()), ("grade", grade.as_str())];
            t.post_form(&c, "/me/duty-report", &action, &fields).await
        }
    };
    submit_report(&t, &member, "本人全年参加会议六次，接待群众二十人。").await;

    // Before the round: the peer's report is listed nowhere yet, and no vote counts.
    let (s, html) = text(&member, &t, &format!("/me/appraisal?year={y}")).await;
    assert_eq!(s, 200);
    assert!(html.contains("data-stage=\"not_opened\""));
    let r = vote(&member, peer_id, "excellent").await;
    assert_eq!(
        (r.status().as_u16(), code(&r)),
        (404, "appraisal.no_report".into())
    );
    submit_report(&t, &peer, "本人牵头提交提案两件。").await;
    let r = vote(&member, peer_id, "excellent").await;
    assert_eq!(
        (r.status().as_u16(), code(&r)),
        (409, "appraisal.not_open".into())
    );

    // The office opens the round, once.
    let open = |c: &reqwest::Client| {
        let (c, ys, t) = (c.clone(), ys.clone(), &t);
        async move {
            t.post_form(
                &c,
                "/office/appraisal",
                "/office/appraisal/open",
                &[("year", ys.as_str())],
            )
            .await
        }
    };
    assert_eq!(open(&office).await.status(), 303);
    let r = open(&office).await;
    assert_eq!(
        (r.status().as_u16(), code(&r)),
        (409, "appraisal.opened_before".into())
    );
    assert_eq!(
        open(&member).await.status(),
        403,
        "members do not run the round"
    );

    // Bad votes: no grade, oneself, another sector.
    let r = vote(&member, peer_id, "great").await;
    assert_eq!(
        (r.status().as_u16(), code(&r)),
        (422, "validation.invalid_choice".into())
    );
    let r = vote(&member, me, "excellent").await;
    assert_eq!(
        (r.status().as_u16(), code(&r)),
        (409, "appraisal.own".into())
    );
    let r = vote(&member, stranger_id, "excellent").await;
    assert_eq!(r.status(), 404, "another sector's member is not found");

    // One vote each, final.
    let (_, html) = text(&member, &t, &format!("/me/appraisal/{peer_id}?year={y}")).await;
    assert!(
        html.contains("本人牵头提交提案两件"),
        "the voter reads the report"
    );
    assert!(html.contains("id=\"vote-form\""));
    assert_eq!(vote(&member, peer_id, "excellent").await.status(), 303);
    let r = vote(&member, peer_id, "incompetent").await;
    assert_eq!(
        (r.status().as_u16(), code(&r)),
        (409, "appraisal.voted".into())
    );
    assert_eq!(vote(&peer, me, "basic").await.status(), 303);
    let (_, html) = text(&member, &t, &format!("/me/appraisal?year={y}")).await;
    assert!(html.contains("已测评"));
    assert!(
        !html.contains("id=\"my-result\""),
        "no result while the round is open"
    );

    // Two more peers grade `member`: three votes, enough for a result once closed.
    let others = same_sector(&t, me).await;
    let (p2, p3) = (
        account_for(&t, "peer2", others[1]).await,
        account_for(&t, "peer3", others[2]).await,
    );
    assert_eq!(vote(&p2, me, "excellent").await.status(), 303);
    assert_eq!(vote(&p3, me, "competent").await.status(), 303);

    // While the round is open nobody sees a grade: the office sees the turnout only.
    let (s, html) = text(&office, &t, &format!("/office/appraisal?year={y}")).await;
    assert_eq!(s, 200);
    let row = |html: &str, id: i64| {
        let at = html.find(&format!("data-member=\"{id}\"")).unwrap();
        html[at..at + html[at..].find("</tr>").unwrap()].to_string()
    };
    assert!(
        row(&html, me).contains("<td class=\"votes\">3 / "),
        "{}",
        row(&html, me)
    );
    assert!(row(&html, peer_id).contains("<td class=\"votes\">1 / "));
    for id in [me, peer_id] {
        assert!(
            row(&html, id).contains("测评结束后公布"),
            "{}",
            row(&html, id)
        );
        assert!(!row(&html, id).contains('%'), "no rate while open");
    }
    let report = annual::build(&t.app, &system_actor(1).grant().unwrap(), y)
        .await
        .unwrap();
    let open_rows = &report
        .sections
        .iter()
        .find(|s| s.sheet == "民主测评")
        .unwrap()
        .rows;
    assert!(
        open_rows
            .iter()
            .all(|r| r[3..].iter().all(|c| format!("{c:?}").contains('—'))),
        "no grades in the annual report while open: {open_rows:?}"
    );
    // The event stream: no grade, no voter, no time finer than the day.
    let events = t.events(100).await;
    let votes: Vec<&Value> = events
        .iter()
        .filter(|e| e["kind"] == "appraisal.voted")
        .collect();
    assert_eq!(votes.len(), 4);
    for e in &votes {
        assert!(e["actor_user_id"].is_null(), "{e}");
        assert!(
            e["occurred_at"].as_str().unwrap().contains("T00:00:00"),
            "{e}"
        );
        let text = e.to_string();
        for g in [
            "excellent",
            "competent",
            "basic",
            "incompetent",
            "优秀",
            "称职",
        ] {
            assert!(!text.contains(g), "{e}");
        }
    }
    // Convenors and staff do not read the event stream at all.
    for who in ["convenor", "committee-staff"] {
        let tok = t.token(who).await;
        assert_eq!(t.get(&tok, "/api/v1/events").await.0, 403, "{who}");
    }
    // Neither the audit trail nor the stored events name a grade beside a voter.
    {
        let mut conn = t.db.acquire().await.unwrap();
        let n = int(
            &mut conn.conn(),
            "SELECT COUNT(*) FROM events WHERE kind = 'appraisal.voted' AND payload NOT LIKE '%excellent%' \
             AND payload NOT LIKE '%basic%' AND payload NOT LIKE '%competent%'",
            &[],
        )
        .await
        .unwrap();
        assert_eq!(n, 4, "four votes recorded, none with its grade");
        let n = int(
            &mut conn.conn(),
            "SELECT COUNT(*) FROM audit_log WHERE action = 'appraisal.voted' AND (after_data LIKE '%excellent%' \
             OR after_data LIKE '%basic%' OR after_data LIKE '%competent%')",
            &[],
        )
        .await
        .unwrap();
        assert_eq!(n, 0, "no grade in the audit trail");
        // The tally rows of a member are made together at the first vote, so their order
        // says nothing about who voted what first.
        let n = int(
            &mut conn.conn(),
            "SELECT COUNT(*) FROM appraisal_tallies WHERE member_id = $1",
            &[lianxin_store::Param::Int(peer_id)],
        )
        .await
        .unwrap();
        assert_eq!(n, 4, "one row per grade, the zeros too");
    }

    // Closed: no more votes; the member sees their result; the annual report has it.
    let close = t
        .post_form(
            &office,
            "/office/appraisal",
            "/office/appraisal/close",
            &[("year", ys.as_str())],
        )
        .await;
    assert_eq!(close.status(), 303);
    let r = vote(&peer, me, "excellent").await;
    assert_eq!(
        (r.status().as_u16(), code(&r)),
        (409, "appraisal.not_open".into())
    );
    let (_, html) = text(&member, &t, &format!("/me/appraisal?year={y}")).await;
    assert!(html.contains("id=\"my-result\""));
    assert!(
        html.contains("优秀 1 票") && html.contains("称职 1 票") && html.contains("基本称职 1 票"),
        "{html}"
    );
    // One vote is no result: it would tell the peer what `member` chose.
    let (_, html) = text(&peer, &t, &format!("/me/appraisal?year={y}")).await;
    assert!(
        html.contains("id=\"too-few\"") && !html.contains("优秀 1 票"),
        "{html}"
    );
    let (_, html) = text(&office, &t, &format!("/office/appraisal?year={y}")).await;
    assert!(
        row(&html, me).contains("<td class=\"competent\">66.67%</td>"),
        "{}",
        row(&html, me)
    );
    assert!(row(&html, peer_id).contains("不足3票"));
    let report = annual::build(&t.app, &system_actor(1).grant().unwrap(), y)
        .await
        .unwrap();
    let s = report
        .sections
        .iter()
        .find(|s| s.sheet == "民主测评")
        .expect("an appraisal section");
    assert_eq!(s.rows.len(), 2, "the two members with submitted reports");
    assert!(s.note.contains("已结束"));
});

// An action on a year names the year: a form without it (or with something that is not a
// year) is refused and changes nothing — closing a year is never guessed.
both_demo!(actions_on_a_year_need_the_year, |t| {
    let office = t.signed_in("office").await;
    for (page, action) in [
        ("/office/scoring", "/office/scoring/close"),
        ("/office/appraisal", "/office/appraisal/open"),
        ("/office/duty-menu", "/office/duty-menu/publish"),
    ] {
        for year in [None, Some("去年"), Some("1999")] {
            let fields: Vec<(&str, &str)> = year.map(|y| vec![("year", y)]).unwrap_or_default();
            let r = t.post_form(&office, page, action, &fields).await;
            assert_eq!(r.status(), 422, "{action} {year:?}");
            assert_eq!(code(&r), "validation.invalid_year", "{action}");
        }
    }
    let closed = {
        let mut conn = t.db.acquire().await.unwrap();
        int(
            &mut conn.conn(),
            "SELECT COUNT(*) FROM scoring_rules WHERE closed_at IS NOT NULL",
            &[],
        )
        .await
        .unwrap()
    };
    assert_eq!(closed, 0, "no year was closed");
    let (_, html) = text(&office, &t, "/office/appraisal").await;
    assert!(html.contains("data-stage=\"not_opened\""));
});

// A page's year and page number, when given, must be what they say: `?year=去年` is refused
// rather than showing this year under a wrong heading, and `?page=abc` rather than page 1.
// Left out (or empty, as a filter form sends it) they are this year and the first page. The
// page's permission comes first: a member asking an office page with a bad year is told no.
both_demo!(a_page_refuses_a_year_or_page_that_is_not_one, |t| {
    let member = t.signed_in("member").await;
    let office = t.signed_in("office").await;
    let this = i64::from(Utc::now().year());
    for path in [
        "/me/duty?year=去年",
        "/me/archive?year=1999",
        "/me/duty-report?year=20x6",
    ] {
        let (s, html) = text(&member, &t, path).await;
        assert_eq!(s, 422, "{path}");
        assert!(html.contains("请选择有效的年度"), "{path}");
    }
    for path in ["/me/duty", "/me/duty?year=", "/me/archive?saved=1"] {
        let (s, html) = text(&member, &t, path).await;
        assert_eq!(s, 200, "{path}");
        assert!(html.contains(&this.to_string()), "{path}");
    }
    let (s, _) = text(&member, &t, &format!("/me/archive?year={}", this - 1)).await;
    assert_eq!(s, 200);
    let (s, html) = text(&office, &t, "/office/reports?page=abc").await;
    assert_eq!(s, 422);
    assert!(html.contains("页码"));
    assert_eq!(text(&office, &t, "/office/reports?page=").await.0, 200);
    assert_eq!(text(&office, &t, "/office/reports?page=2").await.0, 200);
    // Permission before input.
    assert_eq!(text(&member, &t, "/office/scoring?year=去年").await.0, 403);
    assert_eq!(
        text(&member, &t, "/office/appraisal?year=去年").await.0,
        403
    );
});
