//! Opinion reports and proposals over HTTP, on SQLite and PostgreSQL: the whole road from a
//! draft to a result, and the bad input each step must refuse without writing anything.

mod common;

use common::{TestApp, hidden, location_id, text};
use serde_json::Value;

/// The newest events of the committee (newest first).
async fn events(t: &TestApp) -> Vec<Value> {
    t.events(200).await
}

async fn user(t: &TestApp, name: &str) -> lianxin_store::accounts::UserRow {
    let mut conn = t.db.acquire().await.unwrap();
    lianxin_store::accounts::user_by_username(&mut conn.conn(), name)
        .await
        .unwrap()
        .unwrap()
}

const PROPOSAL: [(&str, &str); 4] = [
    ("title", "关于建设社区嵌入式托育点的提案"),
    ("cause", "双职工家庭三岁以下婴幼儿照护难。"),
    ("analysis", "普惠托位少，收费高，社区场地闲置。"),
    (
        "suggestions",
        "利用社区闲置用房建设嵌入式托育点，给予运营补贴。",
    ),
];

/// A drafted proposal's id, as `member` (joint with `cosigner` if given).
async fn draft(t: &TestApp, member: &reqwest::Client, cosigner: Option<i64>) -> i64 {
    let co = cosigner.map(|c| c.to_string()).unwrap_or_default();
    let mut f: Vec<(&str, &str)> = PROPOSAL.to_vec();
    if cosigner.is_some() {
        f.push(("kind", "joint"));
        f.push(("cosigner", &co));
    } else {
        f.push(("kind", "individual"));
    }
    let r = t
        .post_form(member, "/me/proposals/new", "/me/proposals/new", &f)
        .await;
    assert_eq!(r.status(), 303, "draft");
    location_id(&r)
}

/// Submitted, accepted and assigned to the `unit` account's unit; returns its id.
async fn assigned(t: &TestApp) -> i64 {
    let member = t.signed_in("member").await;
    let id = draft(t, &member, None).await;
    let page = format!("/me/proposals/{id}");
    let r = t
        .post_form(&member, &page, &format!("{page}/submit"), &[])
        .await;
    assert_eq!(r.status(), 303);
    let office = t.signed_in("office").await;
    let op = format!("/office/proposals/{id}");
    let r = t
        .post_form(
            &office,
            &op,
            &format!("{op}/accept"),
            &[("category", "城乡建设")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let unit = user(t, "unit").await.handling_unit_id.unwrap().to_string();
    let r = t
        .post_form(
            &office,
            &op,
            &format!("{op}/assign"),
            &[("mode", "lead"), ("lead_unit", &unit)],
        )
        .await;
    assert_eq!(r.status(), 303);
    id
}

async fn answer(
    t: &TestApp,
    unit: &reqwest::Client,
    id: i64,
    class: &str,
    file: Option<Vec<u8>>,
) -> reqwest::Response {
    let page = unit
        .get(t.url("/unit/proposals"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut form = reqwest::multipart::Form::new()
        .text("_csrf", hidden(&page, "_csrf"))
        .text("answer_class", class.to_string())
        .text("body", "已将托育点建设纳入明年民生实事项目，首批建设20个。");
    if let Some(bytes) = file {
        form = form.part(
            "attachment",
            reqwest::multipart::Part::bytes(bytes).file_name("答复函.pdf"),
        );
    }
    unit.post(t.url(&format!("/unit/proposals/{id}/answer")))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

both_demo!(a_joint_proposal_goes_from_draft_to_a_rated_answer, |t| {
    let member = t.signed_in("member").await;
    let lead_member = user(&t, "studio-lead").await.member_id.unwrap();
    let id = draft(&t, &member, Some(lead_member)).await;
    let page = format!("/me/proposals/{id}");

    // The co-signer has not accepted: submission is refused, nothing changes.
    let r = t
        .post_form(&member, &page, &format!("{page}/submit"), &[])
        .await;
    assert_eq!(r.status(), 409);
    assert!(r.text().await.unwrap().contains("未同意联名"));

    let cosigner = t.signed_in("studio-lead").await;
    let (_, inv) = text(&cosigner, &t, "/me/proposals").await;
    assert!(inv.contains("联名邀请") && inv.contains(PROPOSAL[0].1));
    let r = t
        .post_form(
            &cosigner,
            &page,
            &format!("{page}/respond"),
            &[("accept", "yes")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let r = t
        .post_form(&member, &page, &format!("{page}/submit"), &[])
        .await;
    assert_eq!(r.status(), 303);

    // The office accepts (twice is refused) and assigns to the housing bureau.
    let office = t.signed_in("office").await;
    let op = format!("/office/proposals/{id}");
    let r = t
        .post_form(
            &office,
            &op,
            &format!("{op}/accept"),
            &[("category", "社会保障")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let r = t
        .post_form(
            &office,
            &op,
            &format!("{op}/accept"),
            &[("category", "社会保障")],
        )
        .await;
    assert_eq!(r.status(), 409);
    let unit_id = user(&t, "unit").await.handling_unit_id.unwrap();
    let r = t
        .post_form(
            &office,
            &op,
            &format!("{op}/assign"),
            &[("mode", "lead"), ("lead_unit", &unit_id.to_string())],
        )
        .await;
    assert_eq!(r.status(), 303);

    // The unit answers class A with a PDF letter.
    let unit = t.signed_in("unit").await;
    let (s, list) = text(&unit, &t, "/unit/proposals").await;
    assert_eq!(s, 200);
    assert!(list.contains(PROPOSAL[0].1));
    let r = answer(
        &t,
        &unit,
        id,
        "A",
        Some(b"%PDF-1.4\n%demo answer\n".to_vec()),
    )
    .await;
    assert_eq!(r.status(), 303);

    // Someone else cannot rate it; the proposer can.
    let other = t.signed_in("convenor").await;
    let r = t
        .post_form(
            &other,
            "/me/proposals",
            &format!("{page}/rate"),
            &[("rating", "satisfied")],
        )
        .await;
    assert_eq!(r.status(), 404);
    let r = t
        .post_form(
            &member,
            &page,
            &format!("{page}/rate"),
            &[("rating", "satisfied"), ("comment", "答复具体")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, detail) = text(&member, &t, &page).await;
    assert!(detail.contains("已办结") && detail.contains("满意"));

    // The public reads it with its answer; the attachment downloads.
    let public = t.anonymous(&format!("/proposals/{id}")).await;
    assert!(public.contains("A类") && public.contains("民生实事"));
    assert!(
        !public.contains("答复具体"),
        "the proposer's comment stays private"
    );

    let ev = events(&t).await;
    let of = |k: &str| {
        ev.iter()
            .find(|e| e["kind"] == k)
            .cloned()
            .unwrap_or_else(|| panic!("{k}"))
    };
    assert_eq!(of("proposal.answered")["payload"]["class"], "A");
    let authors = of("proposal.rated")["payload"]["authors"].clone();
    let roles: Vec<(i64, String)> = authors
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["member_id"].as_i64().unwrap(),
                a["role"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let me = user(&t, "member").await.member_id.unwrap();
    assert_eq!(
        roles,
        vec![(me, "lead".to_string()), (lead_member, "joint".to_string())]
    );
});

both_demo!(
    proposals_refuse_bad_steps_and_leave_nothing_half_written,
    |t| {
        let id = assigned(&t).await;
        let unit = t.signed_in("unit").await;
        let page = format!("/unit/proposals/{id}");
        // One extension only.
        let r = t
            .post_form(
                &unit,
                &page,
                &format!("{page}/extension"),
                &[("reason", "需要跨部门协调")],
            )
            .await;
        assert_eq!(r.status(), 303);
        let r = t
            .post_form(
                &unit,
                &page,
                &format!("{page}/extension"),
                &[("reason", "再延一次")],
            )
            .await;
        assert_eq!(r.status(), 409);
        // An objection after ten days is refused.
        let mut conn = t.db.acquire().await.unwrap();
        let mut c = conn.conn();
        let mut row = lianxin_store::proposals::by_id(&mut c, 1, id)
            .await
            .unwrap()
            .unwrap();
        row.assigned_at = Some(chrono::Utc::now() - chrono::Duration::days(11));
        lianxin_store::proposals::save(&mut c, &row).await.unwrap();
        drop(conn);
        let r = t
            .post_form(
                &unit,
                &page,
                &format!("{page}/object"),
                &[("reason", "不属于本单位职责")],
            )
            .await;
        assert_eq!(r.status(), 409);
        assert_eq!(r.headers()["x-lianxin-error"], "proposal.objection_late");
        assert!(r.text().await.unwrap().contains("超过10天"));

        // A unit cannot read a proposal not assigned to it.
        let other = {
            let member = t.signed_in("member").await;
            draft(&t, &member, None).await
        };
        let (s, _) = text(&unit, &t, &format!("/unit/proposals/{other}")).await;
        assert_eq!(s, 404);
        // Answering before assignment is illegal, for the office's state machine too.
        let r = answer(&t, &unit, other, "A", None).await;
        assert_eq!(r.status(), 404);

        // An attachment that is not a PDF or picture is refused, and no answer is stored.
        let r = answer(
            &t,
            &unit,
            id,
            "A",
            Some(b"MZ\x90\x00 not a document".to_vec()),
        )
        .await;
        assert_eq!(r.status(), 422);
        let mut conn = t.db.acquire().await.unwrap();
        assert!(
            lianxin_store::proposals::answers(&mut conn.conn(), id)
                .await
                .unwrap()
                .is_empty()
        );
        drop(conn);
        // Oversized: refused at the edge.
        let r = answer(&t, &unit, id, "A", Some(vec![b'%'; 11 * 1024 * 1024])).await;
        assert!(matches!(r.status().as_u16(), 413 | 422), "{}", r.status());

        // Merge cycles: A into B, then B into A is refused.
        let member = t.signed_in("member").await;
        let office = t.signed_in("office").await;
        let a = draft(&t, &member, None).await;
        let b = draft(&t, &member, None).await;
        for p in [a, b] {
            let pp = format!("/me/proposals/{p}");
            assert_eq!(
                t.post_form(&member, &pp, &format!("{pp}/submit"), &[])
                    .await
                    .status(),
                303
            );
        }
        let oa = format!("/office/proposals/{a}");
        let ob = format!("/office/proposals/{b}");
        let r = t
            .post_form(
                &office,
                &oa,
                &format!("{oa}/merge"),
                &[("into", &b.to_string())],
            )
            .await;
        assert_eq!(r.status(), 303);
        let r = t
            .post_form(
                &office,
                &ob,
                &format!("{ob}/merge"),
                &[("into", &a.to_string())],
            )
            .await;
        assert_eq!(r.status(), 409);
        assert!(r.text().await.unwrap().contains("并入其他提案"));
    }
);

both_demo!(an_internal_answer_is_read_by_its_own_committee_only, |t| {
    let id = assigned(&t).await;
    {
        let mut conn = t.db.acquire().await.unwrap();
        let mut c = conn.conn();
        let mut row = lianxin_store::proposals::by_id(&mut c, 1, id)
            .await
            .unwrap()
            .unwrap();
        row.internal = true;
        lianxin_store::proposals::save(&mut c, &row).await.unwrap();
    }
    let unit = t.signed_in("unit").await;
    let pdf = b"%PDF-1.4\n%internal answer\n".to_vec();
    let r = answer(&t, &unit, id, "A", Some(pdf.clone())).await;
    assert_eq!(r.status(), 303);
    let aid = {
        let mut conn = t.db.acquire().await.unwrap();
        lianxin_store::proposals::answers(&mut conn.conn(), id)
            .await
            .unwrap()[0]
            .id
    };
    let path = format!("/proposals/{id}/answers/{aid}");
    let office = t.signed_in("office").await;
    let r = office.get(t.url(&path)).send().await.unwrap();
    assert_eq!(r.status(), 200, "the committee's own office reads it");
    assert_eq!(r.bytes().await.unwrap().to_vec(), pdf);
    let r = t.api.get(t.url(&path)).send().await.unwrap();
    assert_eq!(r.status(), 404, "not published: not for the public");
    // The office and the admin of another committee find nothing there.
    t.second_committee().await;
    for who in ["office2", "admin2", "citizen2"] {
        let other = t.signed_in(who).await;
        let r = other.get(t.url(&path)).send().await.unwrap();
        assert_eq!(r.status(), 404, "{who}");
        let (s, _) = text(&other, &t, &format!("/office/proposals/{id}")).await;
        assert!(matches!(s, 403 | 404), "{who}: {s}");
    }
});

both_demo!(submission_outside_any_window_is_refused, |t| {
    let office = t.signed_in("office").await;
    let year = (chrono::Utc::now() + chrono::Duration::hours(8))
        .format("%Y")
        .to_string();
    // Close this year's windows before today.
    for kind in ["plenary", "regular"] {
        let r = t
            .post_form(
                &office,
                "/office/proposal-windows",
                "/office/proposal-windows",
                &[
                    ("year", &year),
                    ("kind", kind),
                    ("opens_on", &format!("{year}-01-01")),
                    ("closes_on", &format!("{year}-01-02")),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
    }
    let member = t.signed_in("member").await;
    let id = draft(&t, &member, None).await;
    let page = format!("/me/proposals/{id}");
    let r = t
        .post_form(&member, &page, &format!("{page}/submit"), &[])
        .await;
    assert_eq!(r.status(), 409);
    assert!(r.text().await.unwrap().contains("不在提案征集期内"));
    let (_, p) = text(&member, &t, &page).await;
    assert!(p.contains("草稿"), "still a draft");
    // A window that closes before it opens is refused with the field named.
    let r = t
        .post_form(
            &office,
            "/office/proposal-windows",
            "/office/proposal-windows",
            &[
                ("year", &year),
                ("kind", "regular"),
                ("opens_on", "2026-05-01"),
                ("closes_on", "2026-04-01"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
});

both_demo!(markup_in_every_field_is_shown_as_text, |t| {
    let member = t.signed_in("member").await;
    let evil = "<script>alert(1)</script><b>粗</b>";
    let f: Vec<(&str, &str)> = vec![
        ("title", evil),
        ("cause", evil),
        ("analysis", evil),
        ("suggestions", evil),
        ("kind", "individual"),
    ];
    let r = t
        .post_form(&member, "/me/proposals/new", "/me/proposals/new", &f)
        .await;
    let id = location_id(&r);
    let (_, page) = text(&member, &t, &format!("/me/proposals/{id}")).await;
    assert!(!page.contains("<script>alert(1)"));
    assert!(page.contains("&#60;script&#62;alert(1)"));
    let f: Vec<(&str, &str)> = vec![("title", evil), ("body", evil), ("suggestions", evil)];
    let r = t
        .post_form(&member, "/me/reports/new", "/me/reports/new", &f)
        .await;
    let rid = location_id(&r);
    let (_, page) = text(&member, &t, &format!("/me/reports/{rid}")).await;
    assert!(!page.contains("<script>alert(1)") && page.contains("&#60;b&#62;粗"));
});

both_demo!(
    an_opinion_report_from_a_concern_flows_back_to_the_person,
    |t| {
        // A person raises a concern at the first studio; the member answers it.
        let cat = t.category("城乡建设").await.to_string();
        let f = vec![
            ("title", "路口红绿灯时间太短"),
            ("detail", "学校门口路口绿灯只有15秒，老人孩子过不去。"),
            ("category_id", cat.as_str()),
            ("area", "滨江街道"),
            ("origin", "studio=1"),
        ];
        let code = TestApp::code_of(&t.raise(&f, vec![]).await);
        let concern = t.concern(&code).await;
        let member = t.signed_in("member").await;
        let r = t
            .post_form(
                &member,
                "/me/concerns",
                "/me/reports",
                &[("concern_id", &concern.id.to_string())],
            )
            .await;
        assert_eq!(r.status(), 303);
        let id = location_id(&r);
        let page = format!("/me/reports/{id}");
        // Drafts are private: the office does not see them.
        let office = t.signed_in("office").await;
        let (s, body) = text(&office, &t, &format!("/office/reports/{id}")).await;
        assert_eq!(s, 404, "a draft is its authors' alone");
        assert!(!body.contains("路口红绿灯"));
        let (_, list) = text(&office, &t, "/office/reports").await;
        assert!(
            !list.contains("路口红绿灯"),
            "drafts are not listed to the office"
        );

        assert_eq!(
            t.post_form(&member, &page, &format!("{page}/submit"), &[])
                .await
                .status(),
            303
        );
        let (s, body) = text(&office, &t, &format!("/office/reports/{id}")).await;
        assert_eq!(s, 200, "submitted: the office reads it");
        assert!(body.contains("路口红绿灯"));
        // An edit after submission is a new version; the first stays readable.
        let r = t
            .post_form(
                &member,
                &page,
                &format!("{page}/edit"),
                &[
                    ("title", "关于学校路口红绿灯时长过短的情况反映"),
                    ("body", "学校门口路口绿灯只有15秒。"),
                    ("suggestions", "延长至30秒"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
        let (_, p) = text(&member, &t, &page).await;
        assert!(p.contains("第2版") && p.contains("历史版本") && p.contains("第1版"));

        let op = format!("/office/reports/{id}");
        let (_, review_page) = text(&office, &t, &op).await;
        assert!(review_page.contains("审核"));
        let r = t
            .post_form(
                &office,
                &op,
                &format!("{op}/review"),
                &[("decision", "adopt"), ("level", "party_government")],
            )
            .await;
        assert_eq!(r.status(), 303);
        let unit = user(&t, "unit").await.handling_unit_id.unwrap().to_string();
        let r = t
            .post_form(
                &office,
                &op,
                &format!("{op}/forward"),
                &[("handling_unit_id", &unit), ("note", "请研究办理")],
            )
            .await;
        assert_eq!(r.status(), 303);
        let r = t
            .post_form(
                &office,
                &op,
                &format!("{op}/instruction"),
                &[
                    ("leader", "市长"),
                    ("level", "city"),
                    ("on_date", "2026-11-20"),
                    ("text", "请交通部门尽快调整。"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
        let unit_c = t.signed_in("unit").await;
        let up = format!("/unit/reports/{id}");
        let r = t
            .post_form(
                &unit_c,
                &up,
                &format!("{up}/feedback"),
                &[
                    ("body", "已会同交警调整信号配时，内部编号JT-77。"),
                    ("public_text", "路口绿灯已延长到30秒"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);

        // The person sees it in plain words, without internal details.
        let status = t.anonymous(&format!("/c/{code}")).await;
        assert!(status.contains("采用层级：同级党委政府"), "{status}");
        assert!(status.contains("市级领导批示"));
        assert!(status.contains("路口绿灯已延长到30秒"));
        assert!(!status.contains("JT-77") && !status.contains("市长"));
        // The author sees the outcome in the workspace.
        let (_, p) = text(&member, &t, &page).await;
        assert!(p.contains("已反馈") && p.contains("请交通部门尽快调整"));

        // Compiled into the bulletin and printed as a PDF in Chinese.
        let r = t
            .post_form(
                &office,
                "/office/bulletins",
                "/office/bulletins",
                &[("title", "社情民意"), ("report_id", &id.to_string())],
            )
            .await;
        assert_eq!(r.status(), 303);
        let (_, b) = text(&office, &t, "/office/bulletins").await;
        let year = (chrono::Utc::now() + chrono::Duration::hours(8))
            .format("%Y")
            .to_string();
        assert!(b.contains(&format!("{year}年第1期")));
        let pdf_link = b
            .split("href=\"/office/bulletins/")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let pdf = office
            .get(t.url(&format!("/office/bulletins/{pdf_link}")))
            .send()
            .await
            .unwrap();
        assert_eq!(pdf.headers()["content-type"], "application/pdf");
        let bytes = pdf.bytes().await.unwrap();
        let path = std::env::temp_dir().join(format!("bulletin-{}-{id}.pdf", std::process::id()));
        std::fs::write(&path, &bytes).unwrap();
        let out = std::process::Command::new("pdftotext")
            .arg(&path)
            .arg("-")
            .output()
            .expect("pdftotext (poppler-utils) is installed by scripts/test.sh");
        let words = String::from_utf8_lossy(&out.stdout).replace(' ', "");
        assert!(
            words.contains("关于学校路口红绿灯时长过短的情况反映"),
            "{words}"
        );
        // Once published it cannot go into another issue.
        let r = t
            .post_form(
                &office,
                "/office/bulletins",
                "/office/bulletins",
                &[("report_id", &id.to_string())],
            )
            .await;
        assert_eq!(r.status(), 409);
    }
);

both_demo!(
    concurrent_reviews_one_wins_and_nothing_is_half_written,
    |t| {
        let member = t.signed_in("member").await;
        let r = t
            .post_form(
                &member,
                "/me/reports/new",
                "/me/reports/new",
                &[
                    ("title", "关于夜市噪音扰民的情况反映"),
                    ("body", "夜市营业到凌晨两点，噪音扰民。"),
                ],
            )
            .await;
        let id = location_id(&r);
        let page = format!("/me/reports/{id}");
        assert_eq!(
            t.post_form(&member, &page, &format!("{page}/submit"), &[])
                .await
                .status(),
            303
        );
        let a = t.signed_in("office").await;
        let b = t.signed_in("committee-staff").await;
        let op = format!("/office/reports/{id}");
        let pa = a
            .get(t.url(&op))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let pb = b
            .get(t.url(&op))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let fa = [
            ("decision", "adopt".to_string()),
            ("level", "committee".to_string()),
            ("_csrf", hidden(&pa, "_csrf")),
        ];
        let fb = [
            ("decision", "decline".to_string()),
            ("reason", "已有同类信息".to_string()),
            ("_csrf", hidden(&pb, "_csrf")),
        ];
        let (ra, rb) = tokio::join!(
            a.post(t.url(&format!("{op}/review"))).form(&fa).send(),
            b.post(t.url(&format!("{op}/review"))).form(&fb).send()
        );
        let mut codes = vec![ra.unwrap().status().as_u16(), rb.unwrap().status().as_u16()];
        codes.sort_unstable();
        assert_eq!(codes, vec![303, 409]);
        let ev = events(&t).await;
        let decided = ev
            .iter()
            .filter(|e| {
                e["subject_id"] == id
                    && (e["kind"] == "opinion.adopted" || e["kind"] == "opinion.declined")
            })
            .count();
        assert_eq!(decided, 1);
        let (_, p) = text(&a, &t, &op).await;
        assert!(p.contains("已采用") ^ p.contains("未采用"));
    }
);

both_demo!(the_unit_league_table_ranks_only_from_five_items, |t| {
    let (s, page) = text(&t.signed_in("office").await, &t, "/office/proposal-stats").await;
    assert_eq!(s, 200);
    // The demo assigns one or two proposals per unit: too few to rank anyone.
    assert!(page.contains("不排名") && page.contains("不足5件"));
    let unit = t.signed_in("unit").await;
    let (s, _) = text(&unit, &t, "/office/proposal-stats").await;
    assert_eq!(s, 403);
});
