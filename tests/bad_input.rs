//! Bad input at the edge: clear errors with stable codes, nothing half-written.

mod common;

use serde_json::{Value, json};

async fn raw(
    t: &common::TestApp,
    token: &str,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    let r = t
        .api
        .post(t.url(path))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

both_demo!(malformed_bodies_get_json_errors, |t| {
    let office = t.token("office").await;
    let (s, v) = raw(
        &t,
        &office,
        "/api/v1/special-committees",
        "application/json",
        b"{\"name\": ".to_vec(),
    )
    .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (400, Some("request.malformed_json"))
    );
    let (s, v) = raw(
        &t,
        &office,
        "/api/v1/special-committees",
        "text/plain",
        b"{}".to_vec(),
    )
    .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (415, Some("request.unsupported_media_type"))
    );
    let (s, v) = raw(
        &t,
        &office,
        "/api/v1/special-committees",
        "application/json",
        vec![b'"', 0xff, 0xfe, b'"'],
    )
    .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (400, Some("request.malformed_json"))
    );
    let (s, v) = raw(
        &t,
        &office,
        "/api/v1/special-committees",
        "application/json",
        b"[1,2]".to_vec(),
    )
    .await;
    assert_eq!(s, 422, "{v}");
    let mut big = b"{\"name\": \"".to_vec();
    big.extend(std::iter::repeat_n(b'a', 1024 * 1024 + 10));
    big.extend(b"\"}");
    let (s, v) = raw(
        &t,
        &office,
        "/api/v1/special-committees",
        "application/json",
        big,
    )
    .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (413, Some("request.too_large"))
    );
    // Nothing above was written.
    let (_, page) = t.get(&office, "/api/v1/special-committees").await;
    assert_eq!(page["total"], 8);
});

both_demo!(wrong_types_missing_and_long_fields_are_named, |t| {
    let office = t.token("office").await;
    let (s, v) = t
        .post(
            &office,
            "/api/v1/members",
            &json!({"name": 12, "sector_id": "三", "status": "active"}),
        )
        .await;
    assert_eq!(s, 422);
    let fields: Vec<&str> = v["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["name", "sector_id"]);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("姓名应为字符串")
    );
    let (s, v) = t.post(&office, "/api/v1/members", &json!({})).await;
    assert_eq!(s, 422);
    assert_eq!(v["error"]["code"], "validation.required");
    let (s, v) = t
        .post(
            &office,
            "/api/v1/special-committees",
            &json!({"name": "长".repeat(61)}),
        )
        .await;
    assert_eq!(s, 422);
    assert_eq!(v["error"]["code"], "validation.too_long");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("不能超过60个字")
    );
    let (s, v) = t
        .post(
            &office,
            "/api/v1/terms",
            &json!({"name": "x", "number": 11, "starts_on": "2026-02-30"}),
        )
        .await;
    assert_eq!(s, 422);
    assert_eq!(v["error"]["code"], "validation.invalid_date");
    let (s, _) = t
        .post(
            &office,
            "/api/v1/members",
            &json!({"name": "a", "sector_id": 1, "status": "active", "phone": "110"}),
        )
        .await;
    assert_eq!(s, 422);
    // Unknown ids and unknown resources are 404.
    assert_eq!(t.get(&office, "/api/v1/members/abc").await.0, 404);
    assert_eq!(t.get(&office, "/api/v1/members/99999999").await.0, 404);
    assert_eq!(t.get(&office, "/api/v1/planets").await.0, 404);
});

both_demo!(html_and_sql_are_stored_as_given_and_shown_escaped, |t| {
    let office = t.token("office").await;
    let edu = t.sector_id(&office, "教育界").await;
    let evil_name = "<script>alert('x')</script>";
    let evil_bio = "Robert'); DROP TABLE members;-- <img src=x onerror=alert(1)> 50% _ \\";
    let (s, m) = t.post(&office, "/api/v1/members", &json!({"name": evil_name, "sector_id": edu, "status": "active", "bio": evil_bio, "employer": "\"><b>单位</b>"})).await;
    assert_eq!(s, 201);
    let id = m["id"].as_i64().unwrap();
    assert_eq!(m["name"], evil_name);
    assert_eq!(m["bio"], evil_bio);
    // The members table is still there, and search for the metacharacters finds the row literally.
    let (_, found) = t
        .get(
            &office,
            &format!("/api/v1/members?q={}", common::urlenc("'); DROP")),
        )
        .await;
    assert_eq!(found["total"], 0, "bio is not a search column");
    let (_, found) = t
        .get(
            &office,
            &format!("/api/v1/members?q={}", common::urlenc("<script>")),
        )
        .await;
    assert_eq!(found["total"], 1);
    let (_, pct) = t
        .get(
            &office,
            &format!("/api/v1/members?q={}", common::urlenc("%")),
        )
        .await;
    assert_eq!(pct["total"], 0, "% is matched literally, not as a wildcard");
    // Every page that shows these strings shows them escaped.
    for path in [
        format!("/members/{id}"),
        format!("/members?sector_id={edu}&q={}", common::urlenc("<script>")),
    ] {
        let html = t.anonymous(&path).await;
        assert!(!html.contains("<script>alert"), "{path}");
        assert!(
            html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;")
                || html.contains("&#60;script&#62;"),
            "{path}"
        );
        assert!(!html.contains("<img src=x"), "{path}");
    }
    let r = t.browser_login("office", "lianxin-demo").await;
    assert_eq!(r.status(), 303);
    for path in [
        format!("/office/members/{id}"),
        "/office/members?q=%3Cscript%3E".to_string(),
    ] {
        let html = t.browse(&path).await;
        assert!(
            !html.contains("<script>alert") && !html.contains("<b>单位</b>"),
            "{path}"
        );
    }
});

both_demo!(form_errors_keep_what_was_typed, |t| {
    t.browser_login("office", "lianxin-demo").await;
    let page = t.browse("/office/members/new").await;
    let csrf = common::hidden(&page, "_csrf");
    let r = t
        .browser
        .post(t.url("/office/members"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("name", ""),
            ("employer", "保留的单位"),
            ("status", "active"),
            ("phone", "12"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("请填写姓名"));
    assert!(html.contains("手机号码格式不正确"));
    assert!(html.contains("value=\"保留的单位\""));
    let (_, page) = t
        .get(&t.token("office").await, "/api/v1/members?per_page=1")
        .await;
    assert_eq!(page["total"], 300, "nothing was written");
});

// Every text field of every resource, filled with markup, is stored as given and never
// reaches a page unescaped — in office lists, office record pages and public pages.
both_demo!(markup_in_every_text_field_is_escaped_everywhere, |t| {
    use lianxin_domain::schema::{ALL, Kind, Res};
    let office = t.token("office").await;
    let admin = t.token("admin").await;
    let (_, members) = t
        .get(&office, "/api/v1/members?per_page=1&status=active")
        .await;
    let member_id = members["items"][0]["id"].as_i64().unwrap();
    let sector_id = t.sector_id(&office, "教育界").await;
    let mark = "<script>x()</script>";
    for r in ALL {
        let mut body = serde_json::Map::new();
        for f in r.fields {
            let v = match f.kind {
                Kind::Text { max, .. } => json!(format!(
                    "{mark}{}",
                    "字".repeat(max.min(20).saturating_sub(mark.len() + 1).min(3))
                )),
                Kind::Date => json!("2026-01-02"),
                Kind::Time => json!(if f.name == "ends_at" {
                    "17:00"
                } else {
                    "09:00"
                }),
                Kind::Choice(c) => json!(c[0].0),
                Kind::Int { min, .. } => json!(min + 50),
                Kind::Bool => json!(true),
                Kind::Ref(Res::Sector) => json!(sector_id),
                Kind::Ref(Res::Member) => json!(member_id),
                // A routing rule has one target: the member above.
                Kind::Ref(Res::Studio) if r.res == Res::RoutingRule => continue,
                Kind::Ref(Res::Studio) => json!(1),
                Kind::Ref(_) => continue,
                Kind::RefMany { .. } => json!([]),
                Kind::Phone => json!("13912340000"),
            };
            body.insert(f.name.into(), v);
        }
        let token = if r.res == Res::Committee {
            &admin
        } else {
            &office
        };
        let (s, created) = t
            .post(token, &format!("/api/v1/{}", r.path), &json!(body))
            .await;
        assert_eq!(s, 201, "{}: {created}", r.path);
        let id = created["id"].as_i64().unwrap();
        for f in r
            .fields
            .iter()
            .filter(|f| matches!(f.kind, Kind::Text { .. }))
        {
            assert!(
                created[f.name].as_str().unwrap().starts_with(mark),
                "{}.{} stored as given",
                r.path,
                f.name
            );
        }
        let mut pages = vec![
            format!("/office/{}?q=script", r.path),
            format!("/office/{}/{id}", r.path),
        ];
        if matches!(r.res, Res::Member | Res::Studio) {
            pages.push(format!("/{}/{id}", r.path));
        }
        let c = t.signed_in("admin").await;
        for p in &pages {
            let r2 = c.get(t.url(p)).send().await.unwrap();
            assert_eq!(r2.status(), 200, "{p}");
            let html = r2.text().await.unwrap();
            assert!(!html.contains(mark), "{p} shows markup unescaped");
            assert!(
                html.contains("&lt;script&gt;x()&lt;/script&gt;")
                    || html.contains("&#60;script&#62;"),
                "{p} shows the text, escaped"
            );
        }
    }
    // The public directory and studio list, where these records appear too.
    for p in ["/", "/members", "/studios"] {
        assert!(!t.anonymous(p).await.contains(mark), "{p}");
    }
});

both_demo!(form_bodies_that_are_not_utf8_are_refused, |t| {
    t.browser_login("office", "lianxin-demo").await;
    let r = t
        .browser
        .post(t.url("/office/special-committees"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(vec![b'n', b'a', b'm', b'e', b'=', 0xff, 0xfe])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("UTF-8"));
});
