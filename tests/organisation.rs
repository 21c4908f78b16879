//! Organisation records through the API: create, list with filters, get, update, tenancy,
//! personal data — on SQLite and PostgreSQL.

mod common;

use serde_json::{Value, json};

both_demo!(office_creates_finds_and_updates_a_member, |t| {
    let office = t.token("office").await;
    let edu = t.sector_id(&office, "教育界").await;
    let body = json!({"name": "测试委员", "gender": "女", "sector_id": edu, "status": "active", "phone": "139 1234 5678", "employer": "江川实验中学", "is_standing": true});
    let (s, created) = t.post(&office, "/api/v1/members", &body).await;
    assert_eq!(s, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["sector"], "教育界");
    assert_eq!(created["gender"], "female");
    // The phone is masked wherever it is listed.
    assert_eq!(created["phone"], "139****5678");
    let (s, page) = t
        .get(
            &office,
            &format!("/api/v1/members?sector_id={edu}&is_standing=true&per_page=100"),
        )
        .await;
    assert_eq!(s, 200);
    let items = page["items"].as_array().unwrap();
    assert!(
        items
            .iter()
            .all(|m| m["sector_id"] == edu && m["is_standing"] == true)
    );
    assert!(items.iter().any(|m| m["id"] == id));
    assert!(!page.to_string().contains("12345678"));
    let (s, v) = t.get(&office, "/api/v1/members?colour=red").await;
    assert_eq!(s, 422);
    assert_eq!(v["error"]["code"], "validation.unknown_filter");
    let (s, updated) = t
        .patch(
            &office,
            &format!("/api/v1/members/{id}"),
            &json!({"job_title": "副校长", "status": "suspended"}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(updated["job_title"], "副校长");
    assert_eq!(updated["name"], "测试委员");
    assert_eq!(
        updated["phone"], "139****5678",
        "a partial update keeps the phone"
    );
    // The full number is stored encrypted, and staff who may see it get it (audited).
    let (s, v) = t.get(&office, &format!("/api/v1/members/{id}/phone")).await;
    assert_eq!(s, 200);
    assert_eq!(v["phone"], "13912345678");
    let (_, audit) = t.get(&t.token("admin").await, "/api/v1/audit").await;
    assert!(
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["action"] == "member.phone_viewed")
    );
});

both_demo!(phones_are_encrypted_at_rest, |t| {
    let office = t.token("office").await;
    let edu = t.sector_id(&office, "教育界").await;
    let (_, created) = t
        .post(
            &office,
            "/api/v1/members",
            &json!({"name": "密文", "sector_id": edu, "status": "active", "phone": "13700001111"}),
        )
        .await;
    let id = created["id"].as_i64().unwrap();
    let mut conn = t.db.acquire().await.unwrap();
    let row = lianxin_store::records::get(&mut conn.conn(), &lianxin_domain::schema::MEMBER, 1, id)
        .await
        .unwrap()
        .unwrap();
    let lianxin_store::records::Cell::Phone {
        sealed: Some(sealed),
        masked,
    } = row.cells["phone"].clone()
    else {
        panic!("no phone")
    };
    assert!(
        !sealed.windows(4).any(|w| w == b"0000"),
        "no plaintext digits in the sealed bytes"
    );
    assert_eq!(masked.as_deref(), Some("137****1111"));
    assert_eq!(
        lianxin_service::Crypto::from_base64(&t.key)
            .unwrap()
            .open(&sealed)
            .as_deref(),
        Some("13700001111")
    );
});

both_demo!(the_same_member_twice_is_a_conflict, |t| {
    let office = t.token("office").await;
    let edu = t.sector_id(&office, "教育界").await;
    let body =
        json!({"name": "重复", "sector_id": edu, "status": "active", "phone": "13800001111"});
    assert_eq!(t.post(&office, "/api/v1/members", &body).await.0, 201);
    let (s, v) = t.post(&office, "/api/v1/members", &body).await;
    assert_eq!(s, 409);
    assert_eq!(v["error"]["code"], "member.duplicate");
    // Same name, another phone: two people.
    let other =
        json!({"name": "重复", "sector_id": edu, "status": "active", "phone": "13800002222"});
    assert_eq!(t.post(&office, "/api/v1/members", &other).await.0, 201);
    // A duplicate sector name is a conflict on the database constraint.
    let (s, v) = t
        .post(
            &office,
            "/api/v1/sectors",
            &json!({"name": "教育界", "sector_group": "local"}),
        )
        .await;
    assert_eq!(s, 409, "{v}");
});

both_demo!(references_must_exist_in_the_same_committee, |t| {
    let office = t.token("office").await;
    let (s, v) = t
        .post(
            &office,
            "/api/v1/members",
            &json!({"name": "无界别", "sector_id": 999999, "status": "active"}),
        )
        .await;
    // Well formed, but it names a record that is not there: a conflict with what is stored.
    assert_eq!(s, 409, "{v}");
    assert_eq!(v["error"]["code"], "validation.invalid_ref");
    assert_eq!(v["error"]["fields"][0]["field"], "sector_id");
    assert!(v["error"]["message"].as_str().unwrap().contains("界别"));
});

both_demo!(another_committees_records_are_not_found, |t| {
    let admin = t.token("admin").await;
    // Admin of the city committee creates a county committee under it: 34 sectors built in.
    let (s, county) = t
        .post(
            &admin,
            "/api/v1/committees",
            &json!({"name": "政协江川县委员会", "level": "county"}),
        )
        .await;
    assert_eq!(s, 201, "{county}");
    let county_id = county["id"].as_i64().unwrap();
    let g = lianxin_domain::access::system_actor(county_id)
        .grant()
        .unwrap();
    let input = lianxin_service::auth::UserInput {
        username: "county-office",
        display_name: "县政协办公室",
        role: "office",
        password: "county-password",
        member_id: None,
        handling_unit_id: None,
    };
    lianxin_service::auth::add_user(&t.app, &g, &input, false)
        .await
        .unwrap();
    let r = t
        .api
        .post(t.url("/api/v1/session"))
        .json(&json!({"username": "county-office", "password": "county-password"}))
        .send()
        .await
        .unwrap();
    let county_token = r.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, sectors) = t.get(&county_token, "/api/v1/sectors?per_page=100").await;
    assert_eq!(sectors["total"], 34);
    // The city's member 1 does not exist for the county, in reading or writing.
    let (s, v) = t.get(&county_token, "/api/v1/members/1").await;
    assert_eq!(s, 404);
    assert_eq!(v["error"]["code"], "member.not_found");
    assert_eq!(
        t.patch(&county_token, "/api/v1/members/1", &json!({"bio": "x"}))
            .await
            .0,
        404
    );
    let (_, page) = t.get(&county_token, "/api/v1/members").await;
    assert_eq!(page["total"], 0);
    // Office may not create committees.
    let office = t.token("office").await;
    assert_eq!(
        t.post(
            &office,
            "/api/v1/committees",
            &json!({"name": "x", "level": "county"})
        )
        .await
        .0,
        403
    );
});

both_demo!(every_resource_lists_gets_creates_and_updates, |t| {
    let office = t.token("office").await;
    let (_, members) = t.get(&office, "/api/v1/members?per_page=1").await;
    let member_id = members["items"][0]["id"].as_i64().unwrap();
    let cases = [
        (
            "terms",
            json!({"name": "第十一届", "number": 11, "starts_on": "2027-01-10"}),
            json!({"ends_on": "2032-01-09"}),
        ),
        (
            "sectors",
            json!({"name": "新社会阶层人士", "sector_group": "local", "sort_order": 40}),
            json!({"sort_order": 41}),
        ),
        (
            "special-committees",
            json!({"name": "港澳台侨委员会"}),
            json!({"description": "联系港澳台侨界"}),
        ),
        (
            "studios",
            json!({"name": "新工作室", "address": "江川市新区1号", "lead_member_id": member_id, "member_ids": [member_id]}),
            json!({"opening_hours": "每周五"}),
        ),
        (
            "handling-units",
            json!({"name": "市应急管理局", "unit_type": "政府部门"}),
            json!({"contact_person": "王强"}),
        ),
        (
            "employer-contacts",
            json!({"member_id": member_id, "contact_date": "2026-03-01", "unit": "江川市第一中学", "discussed": "支持委员参加调研"}),
            json!({"staff": "周敏"}),
        ),
    ];
    for (path, create, change) in cases {
        let (s, created) = t.post(&office, &format!("/api/v1/{path}"), &create).await;
        assert_eq!(s, 201, "{path}: {created}");
        let id = created["id"].as_i64().unwrap();
        let (s, got) = t.get(&office, &format!("/api/v1/{path}/{id}")).await;
        assert_eq!(s, 200);
        assert_eq!(got, created, "{path}");
        let (s, updated) = t
            .patch(&office, &format!("/api/v1/{path}/{id}"), &change)
            .await;
        assert_eq!(s, 200, "{path}: {updated}");
        for (k, v) in change.as_object().unwrap() {
            assert_eq!(&updated[k], v, "{path}.{k}");
        }
        let (s, page) = t
            .get(&office, &format!("/api/v1/{path}?per_page=100"))
            .await;
        assert_eq!(s, 200);
        assert!(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["id"] == id),
            "{path}"
        );
    }
});

both_demo!(pagination_and_search, |t| {
    let office = t.token("office").await;
    let (_, p1) = t.get(&office, "/api/v1/members?per_page=10&page=1").await;
    let (_, p2) = t.get(&office, "/api/v1/members?per_page=10&page=2").await;
    assert_eq!(p1["total"], 300);
    assert_eq!(p1["items"].as_array().unwrap().len(), 10);
    assert_ne!(p1["items"][0]["id"], p2["items"][0]["id"]);
    let (s, _) = t.get(&office, "/api/v1/members?per_page=1000").await;
    assert_eq!(s, 422);
    let (s, _) = t.get(&office, "/api/v1/members?page=0").await;
    assert_eq!(s, 422);
    // Chinese substring search over names and employers.
    let (_, found) = t
        .get(
            &office,
            &format!("/api/v1/members?q={}", common::urlenc("第一中学")),
        )
        .await;
    assert!(found["total"].as_i64().unwrap() > 0);
    assert!(found["items"].as_array().unwrap().iter().all(|m| {
        m["employer"].as_str().unwrap_or("").contains("第一中学")
            || m["name"].as_str().unwrap().contains("第一中学")
    }));
    // A search word or text filter with a control character (a NUL, which PostgreSQL cannot
    // take in a text parameter) is refused and named, on both databases alike.
    for path in [
        "/api/v1/members?q=%E4%B8%AD%00",
        "/api/v1/members?q=a%0Ab",
        "/api/v1/public/members?q=%00",
        // U+0085 (NEL) at the start: a C1 control that `trim` would have eaten unseen.
        "/api/v1/studios?q=%C2%85%C3%B0",
        "/api/v1/members?q=%0A",
    ] {
        let (s, v) = t.get(&office, path).await;
        assert_eq!(s, 422, "{path}: {v}");
        assert_eq!(v["error"]["fields"][0]["field"], "q", "{path}");
    }
});

both_demo!(lists_show_a_change_at_once, |t| {
    let office = t.token("office").await;
    let edu = t.sector_id(&office, "教育界").await;
    let list = format!("/api/v1/members?sector_id={edu}&per_page=100");
    let public = format!("/api/v1/public/members?sector_id={edu}&per_page=100");
    let page = format!("/members?sector_id={edu}");
    // Read everything twice so that the second reading comes from the read cache.
    for _ in 0..2 {
        t.get(&office, &list).await;
        t.anonymous(&public).await;
        t.anonymous(&page).await;
    }
    let (_, before) = t.get(&office, &list).await;
    let id = before["items"][0]["id"].as_i64().unwrap();
    let (s, _) = t
        .patch(
            &office,
            &format!("/api/v1/members/{id}"),
            &json!({"employer": "刚改的单位"}),
        )
        .await;
    assert_eq!(s, 200);
    let (_, after) = t.get(&office, &list).await;
    assert_eq!(after["items"][0]["employer"], "刚改的单位");
    assert!(t.anonymous(&public).await.contains("刚改的单位"));
    assert!(t.anonymous(&page).await.contains("刚改的单位"));
    // A member who leaves disappears from the public directory at once.
    t.patch(
        &office,
        &format!("/api/v1/members/{id}"),
        &json!({"status": "left"}),
    )
    .await;
    assert!(!t.anonymous(&page).await.contains("刚改的单位"));
    let (_, staff) = t.get(&office, &list).await;
    assert_eq!(
        staff["items"][0]["status"], "left",
        "staff still see the member"
    );
});

// A duplicate is told in the same words on both databases (PostgreSQL names the constraint,
// SQLite its columns; one table in the service maps both).
both_demo!(a_duplicate_is_told_the_same_on_both_databases, |t| {
    let office = t.token("office").await;
    let (s, v) = t
        .post(
            &office,
            "/api/v1/sectors",
            &json!({"name": "教育界", "sector_group": "local"}),
        )
        .await;
    assert_eq!(s, 409, "{v}");
    assert_eq!(v["error"]["code"], "conflict.duplicate");
    assert_eq!(v["error"]["message"], "已有同名界别");
    assert_eq!(v["error"]["fields"][0]["field"], "name");
    let (_, units) = t.get(&office, "/api/v1/handling-units?per_page=1").await;
    let name = units["items"][0]["name"].as_str().unwrap().to_string();
    let (s, v) = t
        .post(&office, "/api/v1/handling-units", &json!({"name": name}))
        .await;
    assert_eq!(s, 409, "{v}");
    assert_eq!(v["error"]["message"], "已有同名承办单位");
});
