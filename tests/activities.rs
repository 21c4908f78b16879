//! Meetings and activities over HTTP, on SQLite and PostgreSQL: planning and invitations,
//! leave, QR check-in and its bad input, the consultation protocol, closing with final
//! attendance, public registration, calendar feeds and the policy library.

mod common;

use chrono::{Duration, Utc};
use common::{TestApp, hidden, location_id, text};
use lianxin_service::activities::attendance::code_at;
use serde_json::{Value, json};

async fn events(t: &TestApp, kind: &str) -> Vec<Value> {
    t.events(500)
        .await
        .into_iter()
        .filter(|e| e["kind"] == kind)
        .collect()
}

fn error_code(r: &reqwest::Response) -> String {
    r.headers()
        .get("x-lianxin-error")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

/// The demo member account's member id, and another member's.
async fn members(t: &TestApp) -> (i64, i64) {
    let mut conn = t.db.acquire().await.unwrap();
    let u = lianxin_store::accounts::user_by_username(&mut conn.conn(), "member")
        .await
        .unwrap()
        .unwrap();
    let me = u.member_id.unwrap();
    let other = lianxin_store::db::int(
        &mut conn.conn(),
        "SELECT MIN(id) FROM members WHERE id <> $1",
        &[lianxin_store::Param::Int(me)],
    )
    .await
    .unwrap();
    (me, other)
}

/// The id of a demo activity by title.
async fn activity(t: &TestApp, title: &str) -> i64 {
    let mut conn = t.db.acquire().await.unwrap();
    lianxin_store::db::int(
        &mut conn.conn(),
        "SELECT id FROM activities WHERE title = $1",
        &[lianxin_store::Param::Text(title.into())],
    )
    .await
    .unwrap()
}

async fn kind(t: &TestApp, code: &str) -> String {
    activity_kind(t, code).await.to_string()
}

async fn activity_kind(t: &TestApp, code: &str) -> i64 {
    let mut conn = t.db.acquire().await.unwrap();
    lianxin_store::db::int(
        &mut conn.conn(),
        "SELECT id FROM activity_kinds WHERE code = $1",
        &[lianxin_store::Param::Text(code.into())],
    )
    .await
    .unwrap()
}

fn china(t: chrono::DateTime<Utc>) -> String {
    (t + Duration::hours(8))
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

/// A published studio activity starting in 20 minutes with `named` invited; returns its id.
async fn planned(t: &TestApp, office: &reqwest::Client, title: &str, named: &[i64]) -> i64 {
    let k = kind(t, "studio_activity").await;
    let (s, e) = (
        china(Utc::now() + Duration::minutes(20)),
        china(Utc::now() + Duration::hours(3)),
    );
    let ids: Vec<String> = named.iter().map(|m| m.to_string()).collect();
    let mut f = vec![
        ("kind_id", k.as_str()),
        ("title", title),
        ("starts_at", &s),
        ("ends_at", &e),
        ("place", "滨江街道委员工作室"),
        ("agenda", "接待群众\n<b>现场答复</b>"),
        ("invite_scope", "named"),
    ];
    for id in &ids {
        f.push(("named", id));
    }
    let r = t
        .post_form(
            office,
            "/office/activities/new",
            "/office/activities/new",
            &f,
        )
        .await;
    assert_eq!(r.status(), 303, "planned");
    let id = location_id(&r);
    let page = format!("/office/activities/{id}");
    let r = t
        .post_form(office, &page, &format!("{page}/publish"), &[])
        .await;
    assert_eq!(r.status(), 303, "published");
    id
}

both_demo!(
    invited_member_confirms_and_checks_in_by_the_rotating_code,
    |t| {
        let office = t.signed_in("office").await;
        let member = t.signed_in("member").await;
        let (me, other) = members(&t).await;
        let id = planned(&t, &office, "<script>alert(1)</script>接待日", &[me, other]).await;

        // The invitation reaches the member, escaped.
        let (_, list) = text(&member, &t, "/me/activities").await;
        assert!(
            list.contains("&#60;script&#62;alert(1)&#60;/script&#62;接待日"),
            "{list}"
        );
        assert!(!list.contains("<script>alert(1)"));
        let page = format!("/me/activities/{id}");
        let r = t
            .post_form(&member, &page, &format!("{page}/confirm"), &[])
            .await;
        assert_eq!(r.status(), 303);
        let (_, html) = text(&member, &t, &page).await;
        assert!(html.contains("确认参加"), "{html}");
        assert!(html.contains("&#60;b&#62;现场答复"), "agenda escaped");

        // A forged code and yesterday's photo of the screen are refused, each with its reason.
        let token = t.token("member").await;
        let path = format!("/api/v1/activities/{id}/checkins");
        let (s, v) = t
            .post(&token, &path, &json!({"code": "00000000000000000000"}))
            .await;
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (409, Some("checkin.invalid_token")),
            "{v}"
        );
        let old = code_at(&t.app, id, Utc::now() - Duration::minutes(5));
        let (s, v) = t.post(&token, &path, &json!({"code": old})).await;
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (409, Some("checkin.expired_token")),
            "{v}"
        );
        assert!(v["error"]["message"].as_str().unwrap().contains("过期"));

        // Through the page, as after scanning: the link's code checks the member in; twice is once.
        let code = code_at(&t.app, id, Utc::now());
        let (s, html) = text(&member, &t, &format!("/checkin/{id}?t={code}")).await;
        assert_eq!(s, 200);
        assert!(html.contains("确认签到"));
        let r = t
            .post_form(
                &member,
                &format!("/checkin/{id}?t={code}"),
                &format!("/checkin/{id}"),
                &[("t", &code)],
            )
            .await;
        assert_eq!(r.status(), 200);
        assert!(r.text().await.unwrap().contains("签到成功"));
        let (s, v) = t.post(&token, &path, &json!({"code": code})).await;
        assert_eq!((s, v["status"].as_str()), (200, Some("already_checked_in")));
        let checked = events(&t, "activity.checked_in").await;
        assert_eq!(checked.len(), 1, "one check-in event");
        assert_eq!(checked[0]["payload"]["member_id"], me);
        assert_eq!(checked[0]["payload"]["kind"], "studio_activity");
        assert_eq!(checked[0]["payload"]["method"], "qr");

        // Checking someone else in is the organiser's: a member is refused, the office may.
        let (s, _) = t.post(&token, &path, &json!({"member_id": other})).await;
        assert_eq!(s, 403);
        let office_token = t.token("office").await;
        let (s, v) = t
            .post(&office_token, &path, &json!({"member_id": other}))
            .await;
        assert_eq!((s, v["status"].as_str()), (200, Some("checked_in")), "{v}");
        let (_, html) = text(&office, &t, &format!("/office/activities/{id}")).await;
        assert!(
            html.contains("代签（委员会办公室 周敏"),
            "manual check-in shows who did it"
        );

        // The screen's QR image is the organiser's alone.
        let r = member
            .get(t.url(&format!("/office/activities/{id}/qr.svg")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        let r = office
            .get(t.url(&format!("/office/activities/{id}/qr.svg")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
);

both_demo!(
    leave_follows_the_kind_and_the_clock_and_closing_fixes_attendance,
    |t| {
        let member = t.signed_in("member").await;
        let (me, _) = members(&t).await;
        // Plenary: leave is asked before the start, with a reason.
        let plenary = activity(&t, "市政协十四届五次全体会议").await;
        let page = format!("/me/activities/{plenary}");
        let r = t
            .post_form(&member, &page, &format!("{page}/leave"), &[("reason", "")])
            .await;
        assert_eq!(r.status(), 422, "a reason is required");
        let r = t
            .post_form(
                &member,
                &page,
                &format!("{page}/leave"),
                &[("reason", "出差外地")],
            )
            .await;
        assert_eq!(r.status(), 303);

        // A plenary group session planned by a special committee's staff: its leave is still the
        // office's to decide, and the organiser is told so.
        let staff = t.signed_in("committee-staff").await;
        let k = kind(&t, "group_session").await;
        let (s, e) = (
            china(Utc::now() + Duration::days(2)),
            china(Utc::now() + Duration::days(2) + Duration::hours(2)),
        );
        let me_s = me.to_string();
        let f = [
            ("kind_id", k.as_str()),
            ("title", "分组讨论（教育界）"),
            ("starts_at", &s),
            ("ends_at", &e),
            ("invite_scope", "named"),
            ("named", &me_s),
        ];
        let r = t
            .post_form(
                &staff,
                "/office/activities/new",
                "/office/activities/new",
                &f,
            )
            .await;
        assert_eq!(r.status(), 303);
        let group = location_id(&r);
        let op = format!("/office/activities/{group}");
        assert_eq!(
            t.post_form(&staff, &op, &format!("{op}/publish"), &[])
                .await
                .status(),
            303
        );
        let page = format!("/me/activities/{group}");
        assert_eq!(
            t.post_form(
                &member,
                &page,
                &format!("{page}/leave"),
                &[("reason", "出差外地")]
            )
            .await
            .status(),
            303
        );
        let decide = [
            ("member_id", me_s.as_str()),
            ("decision", "approve"),
            ("note", "同意"),
        ];
        let r = t
            .post_form(&staff, &op, &format!("{op}/leave"), &decide)
            .await;
        assert_eq!(
            (r.status().as_u16(), error_code(&r)),
            (409, "leave.office_only".to_string())
        );
        assert!(r.text().await.unwrap().contains("由委员会机关审批"));
        let office = t.signed_in("office").await;
        let r = t
            .post_form(&office, &op, &format!("{op}/leave"), &decide)
            .await;
        assert_eq!(r.status(), 303);
        let approved = events(&t, "leave.approved").await;
        assert_eq!(approved.len(), 1);
        assert_eq!(approved[0]["payload"]["member_id"], me);
        assert_eq!(approved[0]["payload"]["kind"], "group_session");
        // Someone else's activity is not the staff's to see at all.
        assert_eq!(
            staff
                .get(t.url(&format!("/office/activities/{plenary}")))
                .send()
                .await
                .unwrap()
                .status(),
            404
        );

        // A consultation under way: too late to ask online; the organiser records it instead.
        let under_way = activity(&t, "老旧小区加装电梯协商议事会").await;
        let page = format!("/me/activities/{under_way}");
        let r = t
            .post_form(
                &member,
                &page,
                &format!("{page}/leave"),
                &[("reason", "临时有事")],
            )
            .await;
        assert_eq!(
            (r.status().as_u16(), error_code(&r)),
            (409, "leave.after_start".to_string())
        );
        let op = format!("/office/activities/{under_way}");
        let r = t
            .post_form(
                &office,
                &op,
                &format!("{op}/record-leave"),
                &[("member_id", &me.to_string()), ("reason", "电话请假")],
            )
            .await;
        assert_eq!(r.status(), 303);

        // Closing fixes attendance: the member on leave is excused, the rest unexcused.
        let r = t
            .post_form(&office, &op, &format!("{op}/close"), &[("summary", "")])
            .await;
        assert_eq!(r.status(), 422, "a summary is required");
        let r = t
            .post_form(
                &office,
                &op,
                &format!("{op}/close"),
                &[("summary", "形成共识")],
            )
            .await;
        assert_eq!(r.status(), 303);
        let attended = events(&t, "activity.attended").await;
        let mine: Vec<&Value> = attended
            .iter()
            .filter(|e| e["payload"]["activity_id"] == under_way)
            .collect();
        assert_eq!(mine.len(), 13, "every invitee gets a final status");
        let me_status = mine
            .iter()
            .find(|e| e["payload"]["member_id"] == me)
            .unwrap();
        assert_eq!(me_status["payload"]["status"], "excused");
        assert_eq!(me_status["payload"]["kind"], "consultation");
        assert!(
            mine.iter()
                .filter(|e| e["payload"]["member_id"] != me)
                .all(|e| e["payload"]["status"] == "unexcused")
        );
        // Closed means final.
        let r = t
            .post_form(
                &office,
                &op,
                &format!("{op}/close"),
                &[("summary", "again")],
            )
            .await;
        assert_eq!(r.status(), 409);
        let r = t
            .post_form(
                &office,
                &op,
                &format!("{op}/checkin"),
                &[("member_id", &me.to_string())],
            )
            .await;
        assert_eq!(r.status(), 409);
    }
);

both_demo!(
    consultation_puts_people_first_and_records_every_position,
    |t| {
        let office = t.signed_in("office").await;
        let (me, _) = members(&t).await;
        let id = activity(&t, "老旧小区加装电梯协商议事会").await;
        let op = format!("/office/activities/{id}");
        let add =
            |role: &'static str, name: &'static str, interest: &'static str, member: String| {
                let (t, office, op) = (&t, &office, op.clone());
                async move {
                    t.post_form(
                        office,
                        &op,
                        &format!("{op}/participant"),
                        &[
                            ("role", role),
                            ("name", name),
                            ("interest", interest),
                            ("member_id", &member),
                        ],
                    )
                    .await
                }
            };
        assert_eq!(
            add("government", "市住建局", "", String::new())
                .await
                .status(),
            303
        );
        let r = add("stakeholder", "一楼住户代表", "", String::new()).await;
        assert_eq!(
            r.status(),
            422,
            "a stakeholder names the interest they represent"
        );
        assert_eq!(
            add("stakeholder", "一楼住户代表", "低层住户", String::new())
                .await
                .status(),
            303
        );
        assert_eq!(
            add("stakeholder", "电梯公司", "加装企业", String::new())
                .await
                .status(),
            303
        );
        assert_eq!(
            add("member", "本界别委员", "", me.to_string())
                .await
                .status(),
            303
        );
        assert_eq!(
            add("peoples_rep", "<i>王大爷</i>", "", String::new())
                .await
                .status(),
            303
        );
        let (_, html) = text(&office, &t, &op).await;
        let roles: Vec<&str> = html
            .split("data-role=\"")
            .skip(1)
            .map(|s| s.split('"').next().unwrap())
            .collect();
        assert_eq!(
            roles,
            [
                "peoples_rep",
                "stakeholder",
                "stakeholder",
                "member",
                "government"
            ],
            "people speak first"
        );
        assert!(html.contains("&#60;i&#62;王大爷"));

        // Speeches; a member's speech is duty work.
        let mut conn = t.db.acquire().await.unwrap();
        let ps = lianxin_store::activities::participants(&mut conn.conn(), id)
            .await
            .unwrap();
        drop(conn);
        for (p, position) in
            ps.iter()
                .zip(["support", "oppose", "suggestion", "concern", "suggestion"])
        {
            let pid = p.id.to_string();
            let r = t
                .post_form(
                    &office,
                    &op,
                    &format!("{op}/speech"),
                    &[
                        ("participant_id", &pid),
                        ("position", position),
                        ("summary", "发言要点"),
                    ],
                )
                .await;
            assert_eq!(r.status(), 303);
        }
        let spoke = events(&t, "activity.spoke").await;
        assert_eq!(spoke.len(), 1);
        assert_eq!(spoke[0]["payload"]["member_id"], me);
        assert_eq!(spoke[0]["payload"]["position"], "concern");

        // Reordering must list everyone once; a real reorder is recorded with who did it.
        let r = t
            .post_form(&office, &op, &format!("{op}/order"), &[("order", "1,2")])
            .await;
        assert_eq!(
            (r.status().as_u16(), error_code(&r)),
            (409, "consultation.bad_order".to_string())
        );
        let mut ids: Vec<String> = ps.iter().map(|p| p.id.to_string()).collect();
        ids.swap(0, 1);
        let r = t
            .post_form(
                &office,
                &op,
                &format!("{op}/order"),
                &[("order", &ids.join(","))],
            )
            .await;
        assert_eq!(r.status(), 303);
        let (_, html) = text(&office, &t, &op).await;
        assert!(html.contains("发言顺序已由委员会办公室 周敏调整"), "{html}");

        let r = t
            .post_form(
                &office,
                &op,
                &format!("{op}/close"),
                &[
                    ("summary", "各方充分协商"),
                    ("agreed_points", "先行试点"),
                    ("open_points", "费用分摊"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
        let (_, public) = text(&t.api, &t, &format!("/activities/{id}")).await;
        assert!(
            public.contains("一楼住户代表（利益相关方，低层住户）：反对"),
            "{public}"
        );
        assert!(public.contains("电梯公司（利益相关方，加装企业）：建议"));
        assert!(public.contains("先行试点") && public.contains("费用分摊"));

        // Follow-up tracked until done.
        let r = t
            .post_form(
                &office,
                &op,
                &format!("{op}/followup"),
                &[
                    ("title", "测算费用分摊方案"),
                    ("owner", "市住建局"),
                    ("due_on", "2027-02-30"),
                ],
            )
            .await;
        assert_eq!(r.status(), 422, "an impossible date");
        let r = t
            .post_form(
                &office,
                &op,
                &format!("{op}/followup"),
                &[
                    ("title", "测算费用分摊方案"),
                    ("owner", "市住建局"),
                    ("due_on", "2027-02-28"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);

        // The outcome becomes the member's opinion report draft in one step.
        let member = t.signed_in("member").await;
        let page = format!("/me/activities/{id}");
        let r = t
            .post_form(&member, &page, &format!("{page}/to-report"), &[])
            .await;
        assert_eq!(r.status(), 303);
        let loc = r.headers()["location"].to_str().unwrap().to_string();
        assert!(loc.starts_with("/me/reports/"), "{loc}");
        let (_, draft) = text(&member, &t, &loc).await;
        assert!(draft.contains("老旧小区加装电梯协商议事会") && draft.contains("先行试点"));
        let seen = t.assert_events_typed().await;
        assert!(seen.contains("activity.spoke"), "{seen:?}");
    }
);

both_demo!(people_register_once_and_a_full_activity_waitlists, |t| {
    let id = activity(&t, "“委员进社区”义诊志愿服务").await;
    let reg = |name: &'static str, phone: &'static str| {
        let t = &t;
        async move {
            t.api
                .post(t.url(&format!("/activities/{id}/register")))
                .form(&[("name", name), ("phone", phone)])
                .send()
                .await
                .unwrap()
        }
    };
    let r = reg("李梅", "13800001111").await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("报名成功"));
    let r = reg("李梅", "138 0000 1111").await;
    assert_eq!(
        (r.status().as_u16(), error_code(&r)),
        (409, "registration.duplicate".to_string())
    );
    let r = reg("王强", "12345").await;
    assert_eq!(r.status(), 422);
    assert_eq!(reg("王强", "13900002222").await.status(), 200);
    let r = reg("赵兰", "13700003333").await;
    assert_eq!(r.status(), 200);
    assert!(
        r.text().await.unwrap().contains("候补名单第 1 位"),
        "capacity 2: the third waits"
    );
    // Phones are sealed in the database and masked on the organiser's page.
    let mut conn = t.db.acquire().await.unwrap();
    let plain = lianxin_store::db::int(
        &mut conn.conn(),
        "SELECT COUNT(*) FROM activity_registrations WHERE phone_index = '13800001111' OR phone_masked = '13800001111'",
        &[],
    )
    .await
    .unwrap();
    assert_eq!(plain, 0);
    let office = t.signed_in("office").await;
    let (_, html) = text(&office, &t, &format!("/office/activities/{id}")).await;
    assert!(html.contains("138****1111") && !html.contains("13800001111"));
    assert!(html.contains("候补"));
    // A members-only activity takes no registrations.
    let plenary = activity(&t, "市政协十四届五次全体会议").await;
    let r = t
        .api
        .post(t.url(&format!("/activities/{plenary}/register")))
        .form(&[("name", "甲"), ("phone", "13600004444")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
});

fn parse_ical(text: &str) -> Vec<ical::parser::ical::component::IcalEvent> {
    let mut cals = ical::IcalParser::new(std::io::BufReader::new(text.as_bytes()));
    let cal = cals
        .next()
        .expect("one calendar")
        .expect("parses as iCalendar");
    assert!(cals.next().is_none());
    let version = cal
        .properties
        .iter()
        .find(|p| p.name == "VERSION")
        .and_then(|p| p.value.clone());
    assert_eq!(version.as_deref(), Some("2.0"));
    cal.events
}

fn prop(e: &ical::parser::ical::component::IcalEvent, name: &str) -> String {
    e.properties
        .iter()
        .find(|p| p.name == name)
        .and_then(|p| p.value.clone())
        .unwrap_or_default()
}

both_demo!(calendar_feeds_are_valid_icalendar_and_private, |t| {
    let member = t.signed_in("member").await;
    let (_, html) = text(&member, &t, "/me/activities").await;
    let url = common::hidden(
        &html.replace("id=\"ical-url\" readonly", "name=\"ical\""),
        "ical",
    );
    let path = url.trim_start_matches(&t.base).to_string();
    assert!(
        path.starts_with("/ical/") && path.ends_with(".ics"),
        "{path}"
    );
    let r = t.api.get(t.url(&path)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/calendar")
    );
    let body = r.text().await.unwrap();
    assert!(body.contains("\r\n"));
    let evs = parse_ical(&body);
    assert!(evs.len() >= 5, "every invitation");
    let plenary = evs
        .iter()
        .find(|e| prop(e, "SUMMARY").contains("全体会议"))
        .expect("the plenary");
    assert!(prop(plenary, "DTSTART").ends_with('Z'), "times in UTC");
    assert!(prop(plenary, "UID").starts_with("activity-"));
    // The demo planned it 10 days ahead at the time the feed gives (UTC): same instant.
    let mut conn = t.db.acquire().await.unwrap();
    let a = lianxin_store::activities::by_id_any(
        &mut conn.conn(),
        activity(&t, "市政协十四届五次全体会议").await,
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(
        prop(plenary, "DTSTART"),
        a.starts_at.format("%Y%m%dT%H%M%SZ").to_string()
    );

    // Another member's id with this token is not found, nor is a made-up token.
    let (me, other) = members(&t).await;
    let forged = path.replacen(&format!("/ical/{me}-"), &format!("/ical/{other}-"), 1);
    assert_eq!(
        t.api.get(t.url(&forged)).send().await.unwrap().status(),
        404
    );
    assert_eq!(
        t.api
            .get(t.url("/ical/1-abc.ics"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    let public = t.anonymous("/ical/public/1.ics").await;
    let evs = parse_ical(&public);
    assert!(evs.iter().any(|e| prop(e, "SUMMARY").contains("义诊")));
    assert!(
        !evs.iter().any(|e| prop(e, "SUMMARY").contains("全体会议")),
        "members-only stays off the public feed"
    );
});

both_demo!(times_are_typed_in_beijing_time_and_stored_in_utc, |t| {
    let office = t.signed_in("office").await;
    let k = kind(&t, "inspection").await;
    let f = [
        ("kind_id", k.as_str()),
        ("title", "河道治理视察"),
        ("starts_at", "2030-06-01T09:30"),
        ("ends_at", "2030-06-01T08:30"),
        ("invite_scope", "standing"),
    ];
    let r = t
        .post_form(
            &office,
            "/office/activities/new",
            "/office/activities/new",
            &f,
        )
        .await;
    assert_eq!(r.status(), 422, "ends before it starts");
    assert!(r.text().await.unwrap().contains("结束时间须晚于开始时间"));
    let mut f = f;
    f[3] = ("ends_at", "2030-06-01T11:30");
    let r = t
        .post_form(
            &office,
            "/office/activities/new",
            "/office/activities/new",
            &f,
        )
        .await;
    assert_eq!(r.status(), 303);
    let id = location_id(&r);
    let mut conn = t.db.acquire().await.unwrap();
    let a = lianxin_store::activities::by_id_any(&mut conn.conn(), id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.starts_at.to_rfc3339(), "2030-06-01T01:30:00+00:00");
    let (_, html) = text(&office, &t, &format!("/office/activities/{id}")).await;
    assert!(html.contains("2030年06月01日 09:30"));
    // Publishing invites the standing members only, and notifies each of them.
    let page = format!("/office/activities/{id}");
    let outbox = "SELECT COUNT(*) FROM outbox WHERE subject = '活动通知'";
    let queued = lianxin_store::db::int(&mut conn.conn(), outbox, &[])
        .await
        .unwrap();
    assert_eq!(
        t.post_form(&office, &page, &format!("{page}/publish"), &[])
            .await
            .status(),
        303
    );
    let standing = lianxin_store::db::int(
        &mut conn.conn(),
        "SELECT COUNT(*) FROM members WHERE is_standing = TRUE AND status = 'active'",
        &[],
    )
    .await
    .unwrap();
    let invited = lianxin_store::activities::invitations(&mut conn.conn(), id)
        .await
        .unwrap()
        .len() as i64;
    assert!(standing > 0);
    assert_eq!(invited, standing);
    let after = lianxin_store::db::int(&mut conn.conn(), outbox, &[])
        .await
        .unwrap();
    assert_eq!(
        after - queued,
        invited,
        "one notification per invited member"
    );
    // A member cannot plan.
    let member = t.signed_in("member").await;
    assert_eq!(
        member
            .get(t.url("/office/activities/new"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
});

both_demo!(kinds_are_data_a_committee_extends, |t| {
    let office = t.signed_in("office").await;
    let add = |code: &'static str, name: &'static str| {
        let (t, office) = (&t, &office);
        async move {
            t.post_form(
                office,
                "/office/activity-kinds",
                "/office/activity-kinds",
                &[
                    ("code", code),
                    ("name", name),
                    ("default_scope", "sector"),
                    ("leave_approver", "organiser"),
                    ("public_default", "on"),
                ],
            )
            .await
        }
    };
    assert_eq!(add("river_patrol", "河长制巡河").await.status(), 303);
    assert_eq!(
        add("river_patrol", "巡河").await.status(),
        422,
        "the code is taken"
    );
    assert_eq!(add("Bad Code", "某活动").await.status(), 422);
    let (_, form) = text(&office, &t, "/office/activities/new").await;
    assert!(form.contains("河长制巡河"));
    assert!(activity_kind(&t, "river_patrol").await > 0);
});

both_demo!(policy_library_tracks_required_reading, |t| {
    let office = t.signed_in("office").await;
    let page = office
        .get(t.url("/office/library"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = common::hidden(&page, "_csrf");
    let post = |file: Option<Vec<u8>>| {
        let mut form = reqwest::multipart::Form::new()
            .text("_csrf", csrf.clone())
            .text("title", "关于做好年度履职考核的通知")
            .text("category", "履职指南")
            .text("body", "请各位委员对照年度履职清单完成履职。")
            .text("required", "on");
        if let Some(b) = file {
            form = form.part(
                "attachment",
                reqwest::multipart::Part::bytes(b).file_name("通知.pdf"),
            );
        }
        office.post(t.url("/office/library")).multipart(form).send()
    };
    assert_eq!(
        post(Some(b"not a pdf".to_vec())).await.unwrap().status(),
        422
    );
    assert_eq!(
        post(Some(b"%PDF-1.4 demo".to_vec()))
            .await
            .unwrap()
            .status(),
        303
    );
    let member = t.signed_in("member").await;
    let (_, found) = text(
        &member,
        &t,
        "/library?q=%E5%B9%B4%E5%BA%A6%E5%B1%A5%E8%81%8C",
    )
    .await;
    assert!(found.contains("关于做好年度履职考核的通知"));
    let (_, none) = text(&member, &t, "/library?q=%25").await;
    assert!(
        !none.contains("关于做好年度履职考核的通知"),
        "a % is a character, not a wildcard"
    );
    let id: i64 = found
        .split("href=\"/library/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let (_, before) = text(&office, &t, &format!("/office/library/{id}")).await;
    let unread = |h: &str| -> i64 {
        h.split("id=\"unread\">")
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    let (s, doc) = text(&member, &t, &format!("/library/{id}")).await;
    assert_eq!(s, 200);
    assert!(doc.contains("下载附件"));
    text(&member, &t, &format!("/library/{id}")).await;
    let (_, after) = text(&office, &t, &format!("/office/library/{id}")).await;
    assert_eq!(unread(&after), unread(&before) - 1);
    assert_eq!(
        events(&t, "policy.read").await.len(),
        1,
        "read once, counted once"
    );
    let r = member
        .get(t.url(&format!("/library/{id}/attachment")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"%PDF-1.4 demo");
    assert_eq!(
        member
            .get(t.url("/office/library"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let seen = t.assert_events_typed().await;
    assert!(seen.contains("policy.read"), "{seen:?}");
});

both_demo!(html_typed_anywhere_is_shown_as_text, |t| {
    const X: &str = "<img src=x onerror=alert(1)>";
    let office = t.signed_in("office").await;
    let (me, _) = members(&t).await;
    let k = kind(&t, "reading").await;
    let (s, e) = (
        china(Utc::now() - Duration::minutes(10)),
        china(Utc::now() + Duration::hours(2)),
    );
    let me_s = me.to_string();
    let f = [
        ("kind_id", k.as_str()),
        ("title", X),
        ("description", X),
        ("place", X),
        ("agenda", X),
        ("books", X),
        ("starts_at", &s),
        ("ends_at", &e),
        ("invite_scope", "named"),
        ("named", &me_s),
        ("public_registration", "on"),
    ];
    let r = t
        .post_form(
            &office,
            "/office/activities/new",
            "/office/activities/new",
            &f,
        )
        .await;
    assert_eq!(r.status(), 303);
    let id = location_id(&r);
    let op = format!("/office/activities/{id}");
    for (step, fields) in [
        ("publish", vec![]),
        (
            "participant",
            vec![("role", "stakeholder"), ("name", X), ("interest", X)],
        ),
    ] {
        let r = t
            .post_form(&office, &op, &format!("{op}/{step}"), &fields)
            .await;
        assert_eq!(r.status(), 303, "{step}");
    }
    let mut conn = t.db.acquire().await.unwrap();
    let pid = lianxin_store::activities::participants(&mut conn.conn(), id)
        .await
        .unwrap()[0]
        .id
        .to_string();
    drop(conn);
    let r = t
        .post_form(
            &office,
            &op,
            &format!("{op}/speech"),
            &[
                ("participant_id", &pid),
                ("position", "concern"),
                ("summary", X),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let r = t
        .api
        .post(t.url(&format!("/activities/{id}/register")))
        .form(&[("name", X), ("phone", "13500005555")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let member = t.signed_in("member").await;
    let mp = format!("/me/activities/{id}");
    let r = t
        .post_form(
            &member,
            &mp,
            &format!("{mp}/note"),
            &[("book", X), ("body", X)],
        )
        .await;
    assert_eq!(r.status(), 303);
    let r = t
        .post_form(
            &office,
            &op,
            &format!("{op}/close"),
            &[
                ("summary", X),
                ("minutes", X),
                ("attending_orgs", X),
                ("agreed_points", X),
                ("open_points", X),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let r = t
        .post_form(
            &office,
            &op,
            &format!("{op}/followup"),
            &[("title", X), ("owner", X), ("due_on", "2030-01-01")],
        )
        .await;
    assert_eq!(r.status(), 303);
    for (c, path) in [
        (&office, op.clone()),
        (&member, mp.clone()),
        (&member, "/me/activities".into()),
    ] {
        let (_, html) = text(c, &t, &path).await;
        assert!(!html.contains(X), "{path} shows the raw HTML");
        assert!(
            html.matches("&#60;img src=x onerror=alert(1)&#62;").count() >= 2,
            "{path}"
        );
    }
    let (_, public) = text(&t.api, &t, &format!("/activities/{id}")).await;
    assert!(!public.contains(X));
    assert!(public.contains("&#60;img"));
});

both_demo!(files_of_an_activity_reach_only_who_may_see_it, |t| {
    let office = t.signed_in("office").await;
    let (me, _) = members(&t).await;
    let id = planned(&t, &office, "内部座谈会", &[me]).await;
    let page = format!("/office/activities/{id}");
    let (_, html) = text(&office, &t, &page).await;
    let form = reqwest::multipart::Form::new()
        .text("_csrf", hidden(&html, "_csrf"))
        .text("purpose", "material")
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"%PDF-1.4\n%agenda\n".to_vec()).file_name("议程.pdf"),
        );
    let r = office
        .post(t.url(&format!("{page}/files")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let fid = {
        let mut conn = t.db.acquire().await.unwrap();
        lianxin_store::db::int(
            &mut conn.conn(),
            "SELECT id FROM activity_files WHERE activity_id = $1",
            &[lianxin_store::Param::Int(id)],
        )
        .await
        .unwrap()
    };
    let path = format!("/activities/{id}/files/{fid}");
    // The organiser and a member of the committee read it.
    for who in ["office", "member"] {
        let c = t.signed_in(who).await;
        let r = c.get(t.url(&path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{who}");
    }
    // Not open to the public: nobody else, signed in or not, in this committee or another.
    t.second_committee().await;
    for who in ["citizen", "unit", "citizen2", "office2"] {
        let c = t.signed_in(who).await;
        let r = c.get(t.url(&path)).send().await.unwrap();
        assert_eq!(r.status(), 404, "{who}");
    }
    let r = t.api.get(t.url(&path)).send().await.unwrap();
    assert_eq!(r.status(), 404, "anonymous");
});
