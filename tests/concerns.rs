//! The people's concerns through the web, on SQLite and PostgreSQL.

mod common;

use chrono::{Duration, Utc};
use common::{PNG, TestApp};
use lianxin_service::concerns::jobs;
use serde_json::Value;

async fn events(t: &TestApp) -> Vec<Value> {
    t.events(500).await
}

fn basic<'a>(category: &'a str, area: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("title", "楼道照明坏了"),
        ("detail", "三单元楼道灯坏了两周，老人夜里上下楼不安全。"),
        ("category_id", category),
        ("area", area),
    ]
}

both_demo!(
    a_person_raises_a_concern_from_a_studio_page_and_follows_it,
    |t| {
        let form = t.anonymous("/concerns/new?studio=1").await;
        assert!(form.contains("直接交给工作室：滨江街道委员联系服务界别群众工作室"));
        let cat = t.category("城乡建设").await.to_string();
        let mut fields = basic(&cat, "江川市西湖街道8号");
        fields.extend([
            ("origin", "studio=1"),
            ("phone", "13911112222"),
            ("name", "王阿姨"),
            ("idempotency_key", "k-1"),
        ]);
        let r = t.raise(&fields, vec![("楼道.png", PNG.to_vec())]).await;
        assert_eq!(r.status(), 303);
        let code = TestApp::code_of(&r);
        assert_eq!(code.len(), 12);
        let page = t.anonymous(&format!("/c/{code}?new=1")).await;
        assert!(page.contains(&code) && page.contains("楼道照明坏了") && page.contains("已分派"));
        assert!(
            page.contains("已分派至滨江街道委员联系服务界别群众工作室"),
            "the page it came from decides"
        );
        assert!(
            !page.contains("1391") && !page.contains("2222") && !page.contains("王阿姨"),
            "no personal data on the status page"
        );
        let row = t.concern(&code).await;
        assert_eq!(row.studio_id, Some(1));
        assert_eq!(row.phone_masked.as_deref(), Some("139****2222"));
        assert!(
            !row.phone_enc
                .clone()
                .unwrap()
                .windows(4)
                .any(|w| w == b"2222"),
            "phone encrypted at rest"
        );

        // The member of that studio finds it in their inbox, with the photo, and answers.
        let member = t.signed_in("member").await;
        let inbox = member
            .get(t.url("/me/concerns"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(inbox.contains("楼道照明坏了"));
        let detail = member
            .get(t.url(&format!("/me/concerns/{}", row.id)))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(detail.contains("楼道.png") && detail.contains("139****2222"));
        let photo = member
            .get(t.url(&format!("/me/concerns/{}/attachments/1", row.id)))
            .send()
            .await
            .unwrap();
        assert_eq!(photo.headers()["content-type"], "image/png");
        let note = t
            .post_form(
                &member,
                &format!("/me/concerns/{}", row.id),
                &format!("/me/concerns/{}/reply", row.id),
                &[("body", "内部：已联系物业经理"), ("how", "note")],
            )
            .await;
        assert_eq!(note.status(), 303);
        let r = t
            .post_form(
                &member,
                &format!("/me/concerns/{}", row.id),
                &format!("/me/concerns/{}/reply", row.id),
                &[("body", "已联系物业，本周五前修好。"), ("how", "answer")],
            )
            .await;
        assert_eq!(r.status(), 303);

        // The person sees the answer (not the internal note) and rates it.
        let page = t.anonymous(&format!("/c/{code}")).await;
        assert!(page.contains("已联系物业，本周五前修好。") && page.contains("已答复"));
        assert!(!page.contains("内部：已联系物业经理"));
        let r = t
            .api
            .post(t.url(&format!("/c/{code}/rate")))
            .form(&[("rating", "satisfied"), ("comment", "很及时")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        assert!(t.anonymous(&format!("/c/{code}")).await.contains("满意"));
        let r = t
            .api
            .post(t.url(&format!("/c/{code}/rate")))
            .form(&[("rating", "dissatisfied")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 409, "rated once only");

        // Every step is an event naming the member responsible.
        let ev = events(&t).await;
        let of = |k: &str| {
            ev.iter()
                .find(|e| e["kind"] == k && e["subject_id"] == row.id)
                .cloned()
                .unwrap_or(Value::Null)
        };
        assert_eq!(of("concern.submitted")["payload"]["source"], "studio_page");
        assert!(
            of("concern.assigned")["payload"]["member_id"]
                .as_i64()
                .is_some(),
            "the studio's lead answers for it"
        );
        let me: Value = member
            .get(t.url("/api/v1/me"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            of("concern.answered")["payload"]["member_id"],
            me["member_id"]
        );
        assert_eq!(of("concern.rated")["payload"]["rating"], "satisfied");
        // The person was told by SMS (the outbox), with the masked number only shown.
        let office = t.signed_in("office").await;
        let outbox = office
            .get(t.url("/office/outbox"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            outbox.contains("139****2222")
                && outbox.contains("诉求已受理")
                && outbox.contains("诉求已答复")
        );
    }
);

both_demo!(
    concerns_are_routed_by_the_rules_and_rerouted_by_the_office,
    |t| {
        let urban = t.category("城乡建设").await.to_string();
        let health = t.category("卫生计生").await.to_string();
        let r = t
            .raise(&basic(&urban, "江川市东城街道文昌社区"), vec![])
            .await;
        let by_area = t.concern(&TestApp::code_of(&r)).await;
        assert_eq!(by_area.studio_id, Some(2), "东城街道 → its studio");
        let r = t.raise(&basic(&health, "外地"), vec![]).await;
        assert_eq!(
            t.concern(&TestApp::code_of(&r)).await.studio_id,
            Some(9),
            "health → the hospital studio"
        );
        let r = t.raise(&basic(&urban, "外地"), vec![]).await;
        let default = t.concern(&TestApp::code_of(&r)).await;
        assert!(default.special_committee_id.is_some(), "the default rule");
        // The decision is recorded with the rule that made it.
        let office = t.signed_in("office").await;
        let page = office
            .get(t.url(&format!("/office/concerns/{}", by_area.id)))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("分办规则 #"));
        // The office re-routes to a member; the person sees it.
        let r = t
            .post_form(
                &office,
                &format!("/office/concerns/{}", default.id),
                &format!("/office/concerns/{}/reroute", default.id),
                &[("target", "member:14"), ("why", "该委员熟悉情况")],
            )
            .await;
        assert_eq!(r.status(), 303);
        let row = t.concern(&default.code).await;
        assert_eq!((row.member_id, row.special_committee_id), (Some(14), None));
        assert!(
            t.anonymous(&format!("/c/{}", default.code))
                .await
                .contains("已改派至")
        );
    }
);

both_demo!(flooding_spam_and_bad_input_are_refused, |t| {
    let cat = t.category("城乡建设").await.to_string();
    let before = t.concern_count().await;
    // A robot fills the hidden field.
    let mut spam = basic(&cat, "滨江街道");
    spam.push(("website", "http://spam.example"));
    assert_eq!(t.raise(&spam, vec![]).await.status(), 422);
    // Empty and oversized fields, each named.
    let r = t
        .raise(
            &[
                ("title", ""),
                ("detail", ""),
                ("category_id", ""),
                ("area", ""),
            ],
            vec![],
        )
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("请填写标题") || html.contains("请填写"),
        "{}",
        &html[..200.min(html.len())]
    );
    let long = "长".repeat(5001);
    let mut f = basic(&cat, "滨江街道");
    f[1] = ("detail", &long);
    let r = t.raise(&f, vec![]).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("不能超过5000个字"));
    // A ".jpg" that is really a program; too many files; one too large.
    let r = t
        .raise(
            &basic(&cat, "滨江街道"),
            vec![("photo.jpg", b"MZ\x90\x00\x03 this is an exe".to_vec())],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("不是图片或 PDF"));
    let six: Vec<(&str, Vec<u8>)> = (0..6).map(|_| ("p.png", PNG.to_vec())).collect();
    assert_eq!(t.raise(&basic(&cat, "滨江街道"), six).await.status(), 422);
    let big = [PNG.to_vec(), vec![0u8; 10 * 1024 * 1024]].concat();
    assert_eq!(
        t.raise(&basic(&cat, "滨江街道"), vec![("big.png", big)])
            .await
            .status(),
        422
    );
    assert_eq!(t.concern_count().await, before, "nothing was written");
    // A double-clicked submit (same idempotency key) makes one concern.
    let mut once = basic(&cat, "滨江街道");
    once.push(("idempotency_key", "same-click"));
    let a = TestApp::code_of(&t.raise(&once, vec![]).await);
    let b = TestApp::code_of(&t.raise(&once, vec![]).await);
    assert_eq!(a, b);
    assert_eq!(t.concern_count().await, before + 1);
    // Five an hour from one address; the sixth is refused in Chinese with Retry-After.
    for i in 0..4 {
        let title = format!("第{i}条");
        let mut f = basic(&cat, "滨江街道");
        f[0] = ("title", &title);
        assert_eq!(t.raise(&f, vec![]).await.status(), 303);
    }
    let r = t.raise(&basic(&cat, "滨江街道"), vec![]).await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    assert!(r.text().await.unwrap().contains("每小时最多提交5条"));
});

both_demo!(markup_in_every_field_is_shown_escaped, |t| {
    let cat = t.category("城乡建设").await.to_string();
    let x = "<script>alert(1)</script>";
    let r = t
        .raise(
            &[
                ("title", x),
                ("detail", x),
                ("category_id", &cat),
                ("area", x),
                ("name", x),
                ("origin", "studio=1"),
            ],
            vec![],
        )
        .await;
    assert_eq!(r.status(), 303);
    let code = TestApp::code_of(&r);
    let row = t.concern(&code).await;
    assert_eq!(row.title, x, "stored as given");
    let member = t.signed_in("member").await;
    let office = t.signed_in("office").await;
    let pages = [
        t.anonymous(&format!("/c/{code}")).await,
        member
            .get(t.url("/me/concerns"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        member
            .get(t.url(&format!("/me/concerns/{}", row.id)))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        office
            .get(t.url("/office/concerns"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        office
            .get(t.url(&format!("/office/concerns/{}", row.id)))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    ];
    for p in pages {
        assert!(!p.contains("<script>alert"));
        assert!(
            p.contains("&lt;script&gt;alert(1)&lt;/script&gt;") || p.contains("&#60;script&#62;")
        );
    }
});

both_demo!(tracking_codes_cannot_be_guessed, |t| {
    for code in [
        "aaaaaaaaaaaa",
        "short",
        "000000000000",
        "<script>",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    ] {
        let r = t
            .api
            .get(t.url(&format!("/c/{}", common::urlenc(code))))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{code}");
        assert!(r.text().await.unwrap().contains("未找到该诉求"));
        let r = t
            .api
            .post(t.url(&format!("/c/{}/rate", common::urlenc(code))))
            .form(&[("rating", "satisfied")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
    }
});

both_demo!(members_only_reach_the_concerns_routed_to_them, |t| {
    let health = t.category("卫生计生").await.to_string();
    let r = t
        .raise(&basic(&health, "外地"), vec![("x.png", PNG.to_vec())])
        .await;
    let row = t.concern(&TestApp::code_of(&r)).await;
    assert_eq!(row.studio_id, Some(9), "not the demo member's studio");
    let member = t.signed_in("member").await;
    assert_eq!(
        member
            .get(t.url(&format!("/me/concerns/{}", row.id)))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        member
            .get(t.url(&format!("/me/concerns/{}/attachments/1", row.id)))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let r = t
        .post_form(
            &member,
            "/me/concerns",
            &format!("/me/concerns/{}/reply", row.id),
            &[("body", "越权答复"), ("how", "answer")],
        )
        .await;
    assert_eq!(r.status(), 404);
    assert!(
        !t.anonymous(&format!("/c/{}", row.code))
            .await
            .contains("越权答复")
    );
    // And people without office rights get no office concern pages.
    assert_eq!(
        member
            .get(t.url("/office/concerns"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
});

both_demo!(illegal_steps_are_refused_with_reasons, |t| {
    let cat = t.category("城乡建设").await.to_string();
    let mut f = basic(&cat, "滨江街道");
    f.push(("origin", "studio=1"));
    let code = TestApp::code_of(&t.raise(&f, vec![]).await);
    let row = t.concern(&code).await;
    let r = t
        .api
        .post(t.url(&format!("/c/{code}/rate")))
        .form(&[("rating", "satisfied")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    assert!(r.text().await.unwrap().contains("尚未答复"));
    let office = t.signed_in("office").await;
    let page = format!("/office/concerns/{}", row.id);
    let r = t
        .post_form(
            &office,
            &page,
            &format!("/office/concerns/{}/resolve", row.id),
            &[],
        )
        .await;
    assert_eq!(r.status(), 409);
    // Duplicate needs the original; closing works; nothing more after that.
    let r = t
        .post_form(
            &office,
            &page,
            &format!("/office/concerns/{}/close", row.id),
            &[("reason", "duplicate")],
        )
        .await;
    assert_eq!(r.status(), 422);
    let r = t
        .post_form(
            &office,
            &page,
            &format!("/office/concerns/{}/close", row.id),
            &[("reason", "duplicate"), ("duplicate_of", "1")],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert!(
        t.anonymous(&format!("/c/{code}"))
            .await
            .contains("重复诉求")
    );
    assert_eq!(t.concern(&code).await.duplicate_of, Some(1));
    let member = t.signed_in("member").await;
    let r = t
        .post_form(
            &member,
            "/me/concerns",
            &format!("/me/concerns/{}/reply", row.id),
            &[("body", "迟到的答复"), ("how", "answer")],
        )
        .await;
    assert_eq!(r.status(), 409);
});

async fn answered(t: &TestApp) -> (String, lianxin_store::concerns::ConcernRow) {
    let cat = t.category("城乡建设").await.to_string();
    let mut f = basic(&cat, "滨江街道");
    f.push(("origin", "studio=1"));
    let code = TestApp::code_of(&t.raise(&f, vec![]).await);
    let row = t.concern(&code).await;
    let member = t.signed_in("member").await;
    t.post_form(
        &member,
        "/me/concerns",
        &format!("/me/concerns/{}/reply", row.id),
        &[("body", "已处理"), ("how", "answer")],
    )
    .await;
    (code.clone(), t.concern(&code).await)
}

both_demo!(reopening_only_within_thirty_days, |t| {
    let (code, _) = answered(&t).await;
    let r = t
        .api
        .post(t.url(&format!("/c/{code}/reopen")))
        .form(&[("reason", "灯又坏了")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(t.anonymous(&format!("/c/{code}")).await.contains("办理中"));
    let (code, mut row) = answered(&t).await;
    row.answered_at = Some(Utc::now() - Duration::days(31));
    lianxin_store::concerns::save(&mut t.db.acquire().await.unwrap().conn(), &row)
        .await
        .unwrap();
    let r = t
        .api
        .post(t.url(&format!("/c/{code}/reopen")))
        .form(&[("reason", "还是没修")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    assert!(r.text().await.unwrap().contains("超过30天"));
});

both_demo!(
    overdue_concerns_are_escalated_and_answers_followed_up,
    |t| {
        // Past the category's deadline: escalated to the office, flagged in lists, counted.
        let cat = t.category("城乡建设").await.to_string();
        let mut f = basic(&cat, "滨江街道");
        f.push(("origin", "studio=1"));
        let code = TestApp::code_of(&t.raise(&f, vec![]).await);
        let row = t.concern(&code).await;
        let past = Utc::now() - Duration::days(1);
        let mut conn = t.db.acquire().await.unwrap();
        match conn.conn() {
            lianxin_store::Conn::Sqlite(x) => {
                sqlx::query("UPDATE concerns SET due_at = $1 WHERE id = $2")
                    .bind(past)
                    .bind(row.id)
                    .execute(&mut *x)
                    .await
                    .unwrap();
            }
            lianxin_store::Conn::Postgres(x) => {
                sqlx::query("UPDATE concerns SET due_at = $1 WHERE id = $2")
                    .bind(past)
                    .bind(row.id)
                    .execute(&mut *x)
                    .await
                    .unwrap();
            }
        };
        drop(conn);
        assert!(jobs::escalate_overdue(&t.app, Utc::now()).await.unwrap() >= 1);
        assert!(t.concern(&code).await.escalated_at.is_some());
        assert_eq!(
            jobs::escalate_overdue(&t.app, Utc::now()).await.unwrap(),
            0,
            "once only"
        );
        let office = t.signed_in("office").await;
        let list = office
            .get(t.url("/office/concerns?overdue=1&studio_id=1"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(list.contains("楼道照明坏了") && list.contains("超期"));
        assert!(
            office
                .get(t.url("/office/outbox"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
                .contains("诉求超期未办结")
        );
        assert!(t.anonymous(&format!("/c/{code}")).await.contains("已超期"));
        // Fourteen days after an answer without a rating, the person is asked; "solved" resolves it.
        let (code, mut row) = answered(&t).await;
        row.answered_at = Some(Utc::now() - Duration::days(15));
        lianxin_store::concerns::save(&mut t.db.acquire().await.unwrap().conn(), &row)
            .await
            .unwrap();
        assert!(jobs::follow_up(&t.app, Utc::now()).await.unwrap() >= 1);
        let page = t.anonymous(&format!("/c/{code}")).await;
        assert!(page.contains("问题解决了吗") && page.contains("只收到了“已收到”之类的回复"));
        let r = t
            .api
            .post(t.url(&format!("/c/{code}/follow-up")))
            .form(&[("answer", "solved")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        assert!(t.anonymous(&format!("/c/{code}")).await.contains("已解决"));
    }
);

both_demo!(receptions_visits_and_services, |t| {
    // A person books a reception slot from the studio page; capacity and repeats are enforced.
    let studio = t.anonymous("/studios/1").await;
    assert!(studio.contains("接待日预约") && studio.contains("律师委员免费法律咨询"));
    let slot = studio
        .split("/reception/")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .unwrap()
        .to_string();
    let book = |phone: &'static str| {
        t.api
            .post(t.url(&format!("/reception/{slot}/book")))
            .form(&[
                ("studio", "1"),
                ("name", "张三"),
                ("phone", phone),
                ("topic", "咨询养老补贴"),
            ])
            .send()
    };
    assert_eq!(book("13900000001").await.unwrap().status(), 200);
    let again = book("13900000001").await.unwrap();
    assert_eq!(again.status(), 409);
    assert!(again.text().await.unwrap().contains("已预约"));
    for p in [
        "13900000002",
        "13900000003",
        "13900000004",
        "13900000005",
        "13900000006",
    ] {
        assert_eq!(book(p).await.unwrap().status(), 200);
    }
    let full = book("13900000007").await.unwrap();
    assert_eq!(full.status(), 409);
    assert!(full.text().await.unwrap().contains("已约满"));
    // The studio lead logs a visit and turns it into a concern in one step.
    let lead = t.signed_in("studio-lead").await;
    let log = lead
        .get(t.url("/me/studio/1"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        log.contains("张三") && log.contains("139****0001"),
        "bookings with masked phones"
    );
    let r = t
        .post_form(
            &lead,
            "/me/studio/1",
            "/me/studio/1/visits",
            &[
                ("visited_on", "2026-11-20"),
                ("visitor", "李大爷"),
                ("topic", "小区门口路灯不亮"),
                ("summary", "反映路灯坏了一个月"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let log = lead
        .get(t.url("/me/studio/1"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let visit = log
        .split("/me/visits/")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .unwrap()
        .to_string();
    let cat = t.category("城乡建设").await.to_string();
    let r = t
        .post_form(
            &lead,
            "/me/studio/1",
            &format!("/me/visits/{visit}/concern"),
            &[("category_id", &cat), ("area", "滨江街道")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let code = r.headers()["location"]
        .to_str()
        .unwrap()
        .trim_start_matches("/c/")
        .to_string();
    let row = t.concern(&code).await;
    assert_eq!(
        (row.studio_id, row.source.as_str(), row.title.as_str()),
        (Some(1), "reception", "小区门口路灯不亮")
    );
    assert!(
        lead.get(t.url("/me/studio/1"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
            .contains(&format!("已转（#{}）", row.id))
    );
    // Another studio's log is not theirs.
    assert_eq!(
        lead.get(t.url("/me/studio/5"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    // A person books a service, the provider records it, the person rates it once.
    let offer = studio
        .split("/services/")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .unwrap()
        .to_string();
    let r = t
        .api
        .post(t.url(&format!("/services/{offer}/book")))
        .form(&[
            ("studio", "1"),
            ("name", "赵女士"),
            ("phone", "13700000000"),
            ("note", "劳动合同纠纷"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let booking = r.headers()["location"]
        .to_str()
        .unwrap()
        .trim_start_matches("/s/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let r = lead
        .get(t.url(&format!("/me/services/{offer}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("赵女士"));
    let r = t
        .post_form(
            &lead,
            &format!("/me/services/{offer}"),
            &format!("/me/services/{offer}"),
            &[
                ("delivered_on", "2026-11-21"),
                ("people_count", "12"),
                ("summary", "现场解答劳动合同问题"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let r = t
        .api
        .post(t.url(&format!("/s/{booking}")))
        .form(&[("rating", "basically_satisfied")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let r = t
        .api
        .post(t.url(&format!("/s/{booking}")))
        .form(&[("rating", "satisfied")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let ev = events(&t).await;
    for kind in [
        "reception.booked",
        "reception.held",
        "service.booked",
        "service.delivered",
        "service.rated",
    ] {
        assert!(ev.iter().any(|e| e["kind"] == kind), "{kind}");
    }
    let delivered = ev
        .iter()
        .find(|e| e["kind"] == "service.delivered")
        .unwrap();
    assert_eq!(delivered["payload"]["people"], 12);
    assert!(delivered["payload"]["member_id"].as_i64().is_some());
    let seen = t.assert_events_typed().await;
    assert!(seen.contains("reception.held"), "{seen:?}");
    assert!(seen.contains("service.delivered"), "{seen:?}");
});

both_demo!(concerns_become_an_opinion_report_draft, |t| {
    let (code, row) = answered(&t).await;
    let member = t.signed_in("member").await;
    let r = t
        .post_form(
            &member,
            "/me/concerns",
            "/me/reports",
            &[("concern_id", &row.id.to_string())],
        )
        .await;
    assert_eq!(r.status(), 303);
    let reports = member
        .get(t.url("/me/reports"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(reports.contains("关于楼道照明坏了的情况反映") && reports.contains("草稿"));
    assert!(
        t.anonymous(&format!("/c/{code}"))
            .await
            .contains("整理为社情民意信息")
    );
    // Not someone else's concern.
    let health = t.category("卫生计生").await.to_string();
    let other = t
        .concern(&TestApp::code_of(
            &t.raise(&basic(&health, "外地"), vec![]).await,
        ))
        .await;
    let r = t
        .post_form(
            &member,
            "/me/concerns",
            "/me/reports",
            &[("concern_id", &other.id.to_string())],
        )
        .await;
    assert_eq!(r.status(), 404);
});

both_demo!(a_registered_person_sees_their_own_concerns, |t| {
    let citizen = t.signed_in("citizen").await;
    let form = citizen
        .get(t.url("/concerns/new"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = common::hidden(&form, "_csrf");
    let cat = t.category("环境保护").await.to_string();
    let f = reqwest::multipart::Form::new()
        .text("_csrf", csrf)
        .text("title", "夜间施工噪声")
        .text("detail", "工地晚上十一点还在施工")
        .text("category_id", cat)
        .text("area", "高新区");
    let r = citizen
        .post(t.url("/concerns"))
        .multipart(f)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let mine = citizen
        .get(t.url("/me/mine"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(mine.contains("夜间施工噪声"));
    // The office figures page shows satisfaction from the demo's ratings.
    let office = t.signed_in("office").await;
    let page = office
        .get(t.url("/office/concerns"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("满意率") && page.contains("平均首次答复"));
});

both_demo!(a_new_routing_rule_applies_to_the_next_concern, |t| {
    let cat = t.category("交通运输").await;
    let cat_s = cat.to_string();
    // Warm the routing snapshot, then change the rules.
    let r = t.raise(&basic(&cat_s, "外地"), vec![]).await;
    let before = t.concern(&TestApp::code_of(&r)).await;
    assert!(before.special_committee_id.is_some());
    let office = t.token("office").await;
    let body =
        serde_json::json!({"category_id": cat, "studio_id": 6, "note": "交通问题交高新区工作室"});
    let (s, rule) = t.post(&office, "/api/v1/routing-rules", &body).await;
    assert_eq!(s, 201, "{rule}");
    let r = t.raise(&basic(&cat_s, "外地"), vec![]).await;
    let after = t.concern(&TestApp::code_of(&r)).await;
    assert_eq!(after.studio_id, Some(6));
    // A rule needs exactly one target.
    let two = serde_json::json!({"category_id": cat, "studio_id": 6, "member_id": 3});
    let (s, v) = t.post(&office, "/api/v1/routing-rules", &two).await;
    assert_eq!(s, 422);
    assert_eq!(v["error"]["code"], "validation.routing_rule.one_target");
});

both_demo!(
    concurrent_intake_loses_nothing_and_duplicates_nothing,
    |t| {
        use lianxin_service::concerns::intake::{Origin, Submission, submit};
        let cat = t.category("城乡建设").await;
        let before = t.concern_count().await;
        let (seq_before, _) =
            lianxin_store::journal::audit_head(&mut t.db.acquire().await.unwrap().conn())
                .await
                .unwrap();
        let mut tasks = Vec::new();
        for i in 0..45 {
            let app = t.app.clone();
            tasks.push(tokio::spawn(async move {
                // Forty distinct concerns, and five double-clicks of one more.
                let key = if i < 40 {
                    format!("k-{i}")
                } else {
                    "same".to_string()
                };
                let s = Submission {
                    title: format!("并发诉求{i}"),
                    detail: "并发写入测试".into(),
                    category_id: Some(cat),
                    area: "滨江街道".into(),
                    idempotency_key: key,
                    ..Submission::default()
                };
                submit(&app, 1, s, Origin::Open311(1), "", None)
                    .await
                    .unwrap()
            }));
        }
        let mut codes = Vec::new();
        for task in tasks {
            codes.push(task.await.unwrap());
        }
        assert_eq!(t.concern_count().await, before + 41);
        let same: std::collections::HashSet<_> =
            codes[40..].iter().map(|s| s.code.clone()).collect();
        assert_eq!(same.len(), 1, "one concern for the double-clicks");
        // Each concern has its own audit record, and the chain is whole.
        let (seq_after, _) =
            lianxin_store::journal::audit_head(&mut t.db.acquire().await.unwrap().conn())
                .await
                .unwrap();
        assert_eq!(seq_after - seq_before, 41);
        assert!(matches!(
            lianxin_service::audit::verify(&t.app).await.unwrap(),
            lianxin_domain::audit::Verdict::Ok { .. }
        ));
        let ev = events(&t).await;
        let submitted = ev
            .iter()
            .filter(|e| e["kind"] == "concern.submitted" && e["payload"]["source"] == "open311")
            .count();
        assert_eq!(submitted, 41);
    }
);

/// The stable code a refused page step carries beside its Chinese message.
fn error_code(r: &reqwest::Response) -> String {
    r.headers()
        .get("x-lianxin-error")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

// Page forms are read into typed structs: a value of the wrong type is refused with the
// field named, never read as a default (an id that is not a number used to become "none"
// or 0); a caller without the right is refused before the form is looked at; and a refused
// form changes nothing.
both_demo!(page_forms_refuse_wrong_types_after_the_permission, |t| {
    let cat = t.category("城乡建设").await.to_string();
    let mut f = basic(&cat, "滨江街道");
    f.push(("origin", "studio=1"));
    let code = TestApp::code_of(&t.raise(&f, vec![]).await);
    let row = t.concern(&code).await;
    let office = t.signed_in("office").await;
    let page = format!("/office/concerns/{}", row.id);
    let close = format!("/office/concerns/{}/close", row.id);
    // Reading the events signs in (a `user.logged_in` event): count the concern's own.
    let concern_events = |all: Vec<Value>| {
        all.into_iter()
            .filter(|e| e["subject_type"] == "concern")
            .count()
    };
    let before = concern_events(t.events(500).await);

    for (fields, field) in [
        (
            vec![("reason", "referred"), ("unit_id", "第三个")],
            "unit_id",
        ),
        (
            vec![("reason", "duplicate"), ("duplicate_of", "1x")],
            "duplicate_of",
        ),
        (vec![("reason", "gone_fishing")], "reason"),
    ] {
        let r = t.post_form(&office, &page, &close, &fields).await;
        assert_eq!(r.status(), 422, "{fields:?}");
        assert_eq!(error_code(&r), "validation.invalid", "{fields:?}");
        let body = r.text().await.unwrap();
        assert!(body.contains(&format!("「{field}」")), "{field}: {body}");
    }
    let r = t
        .post_form(
            &office,
            &page,
            &format!("/office/concerns/{}/reroute", row.id),
            &[("target", "studio:abc")],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert_eq!(t.concern(&code).await.status, row.status, "nothing changed");
    assert_eq!(
        concern_events(t.events(500).await),
        before,
        "no event written"
    );

    // The member's reply: a visibility that is not one of the three is refused, not
    // published as the default.
    let member = t.signed_in("member").await;
    let r = t
        .post_form(
            &member,
            "/me/concerns",
            &format!("/me/concerns/{}/reply", row.id),
            &[("body", "我们已经联系了物业"), ("how", "shout")],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert_eq!(t.concern(&code).await.status, row.status);

    // Permission first: a member may not close concerns, whatever the form holds.
    let r = t
        .post_form(
            &member,
            "/me/concerns",
            &close,
            &[("reason", "referred"), ("unit_id", "第三个")],
        )
        .await;
    assert_eq!(r.status(), 403);

    // A well-typed form still goes through.
    let r = t
        .post_form(
            &office,
            &page,
            &close,
            &[
                ("reason", "duplicate"),
                ("duplicate_of", "1"),
                ("unit_id", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(t.concern(&code).await.duplicate_of, Some(1));
});
