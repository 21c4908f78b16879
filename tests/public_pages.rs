//! Pages and API for people without an account, and uploads.

mod common;

use serde_json::Value;

both_demo!(directory_by_sector_and_profiles, |t| {
    let office = t.token("office").await;
    let edu = t.sector_id(&office, "教育界").await;
    let html = t.anonymous(&format!("/members?sector_id={edu}")).await;
    assert!(html.contains("委员风采"));
    let (_, page) = t
        .get(
            &office,
            &format!("/api/v1/members?sector_id={edu}&status=active&per_page=100"),
        )
        .await;
    let names: Vec<String> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap().to_string())
        .collect();
    assert!(!names.is_empty());
    for n in &names {
        assert!(html.contains(n.as_str()), "{n} missing from the directory");
    }
    // The profile shows who the member is and how to reach them, never the phone.
    let id = page["items"][0]["id"].as_i64().unwrap();
    let html = t.anonymous(&format!("/members/{id}")).await;
    assert!(html.contains(&names[0]) && html.contains("教育界") && html.contains("怎样联系我"));
    assert!(!html.contains("****"));
    let (s, v) = {
        let r = t
            .api
            .get(t.url(&format!("/api/v1/public/members/{id}")))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json::<Value>().await.unwrap())
    };
    assert_eq!(s, 200);
    assert!(v.get("phone").is_none() && v.get("status").is_none(), "{v}");
});

both_demo!(members_who_left_are_not_public, |t| {
    let office = t.token("office").await;
    let (_, page) = t.get(&office, "/api/v1/members?status=left").await;
    let id = page["items"][0]["id"].as_i64().unwrap();
    assert_eq!(
        t.api
            .get(t.url(&format!("/members/{id}")))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        t.api
            .get(t.url(&format!("/api/v1/public/members/{id}")))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    // Non-public resources are not served publicly.
    assert_eq!(
        t.api
            .get(t.url("/api/v1/public/handling-units"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
});

both_demo!(studio_page_has_a_qr_code_of_its_url, |t| {
    let html = t.anonymous("/studios/1").await;
    assert!(html.contains("滨江街道委员联系服务界别群众工作室"));
    assert!(html.contains(&format!("{}/studios/1", t.base)));
    let r = t.api.get(t.url("/studios/1/qr.svg")).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "image/svg+xml");
    let svg = r.text().await.unwrap();
    assert!(svg.starts_with("<?xml") && svg.contains("<svg"));
    assert_eq!(
        t.api
            .get(t.url("/studios/999/qr.svg"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
});

both_demo!(photos_are_checked_by_content_and_size, |t| {
    let office = t.token("office").await;
    let put = |body: Vec<u8>| {
        let r = t
            .api
            .put(t.url("/api/v1/members/5/photo"))
            .bearer_auth(&office)
            .header("content-type", "image/jpeg")
            .body(body);
        async move {
            let r = r.send().await.unwrap();
            let s = r.status().as_u16();
            (s, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    // An executable named as a JPEG.
    let (s, v) = put(b"MZ\x90\x00 this is an exe".to_vec()).await;
    assert_eq!(s, 422);
    assert_eq!(v["error"]["code"], "validation.not_an_image");
    let (s, v) = put(vec![0xFF; 10 * 1024 * 1024 + 1]).await;
    assert_eq!(s, 413);
    assert_eq!(v["error"]["code"], "request.too_large");
    let png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89".to_vec();
    assert_eq!(put(png.clone()).await.0, 204);
    let r = t.api.get(t.url("/members/5/photo")).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.bytes().await.unwrap().to_vec(), png);
    let html = t.anonymous("/members/5").await;
    assert!(html.contains("/members/5/photo"));
});

both_demo!(
    healthz_is_alive_and_readyz_checks_database_and_migrations,
    |t| {
        let v: Value = t
            .api
            .get(t.url("/healthz"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(v["status"], "ok");
        let expected = match t.backend {
            common::Backend::Sqlite => "sqlite",
            common::Backend::Postgres => "postgres",
        };
        assert_eq!(v["database"], expected);
        // Ready: the database answers and the migrations are current …
        let r = t.api.get(t.url("/readyz")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.json::<Value>().await.unwrap()["status"], "ready");
        // … and a database migrated by a newer binary is not.
        let checksum = match t.backend {
            common::Backend::Sqlite => "X'00'",
            common::Backend::Postgres => "'\\x00'::bytea",
        };
        t.exec_sql(&format!(
        "INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time) \
         VALUES (99999, 'from a newer binary', CURRENT_TIMESTAMP, TRUE, {checksum}, 0)"
    ))
    .await;
        let r = t.api.get(t.url("/readyz")).send().await.unwrap();
        assert_eq!(r.status(), 503);
        let v: Value = r.json().await.unwrap();
        assert_eq!(
            (v["status"].as_str(), v["reason"].as_str()),
            (Some("not_ready"), Some("migrations"))
        );
        // Alive all the same: a liveness probe must not restart it for that.
        assert_eq!(
            t.api.get(t.url("/healthz")).send().await.unwrap().status(),
            200
        );
    }
);

both_demo!(office_dashboard_shows_real_counts, |t| {
    t.browser_login("office", "lianxin-demo").await;
    let html = t.browse("/office").await;
    let office = t.token("office").await;
    let (_, active) = t
        .get(&office, "/api/v1/members?status=active&per_page=1")
        .await;
    assert!(
        html.contains(&format!(
            "<strong id=\"count-members\">{}</strong>",
            active["total"]
        )),
        "dashboard count"
    );
    assert!(html.contains("<strong id=\"count-studios\">12</strong>"));
    // The navigation shows office things to the office, not to a member.
    assert!(html.contains("href=\"/office/members\""));
    let member = t.signed_in("member").await;
    let html = member
        .get(t.url("/me"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("href=\"/office/members\"") && html.contains("我的履职"));
});

both_demo!(office_uploads_a_photo_from_the_member_page, |t| {
    t.browser_login("office", "lianxin-demo").await;
    let page = t.browse("/office/members/7").await;
    assert!(page.contains("上传照片"));
    let csrf = common::hidden(&page, "_csrf");
    let png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89".to_vec();
    let send = |bytes: Vec<u8>, token: String| {
        let form = reqwest::multipart::Form::new().text("_csrf", token).part(
            "photo",
            reqwest::multipart::Part::bytes(bytes).file_name("me.jpg"),
        );
        t.browser
            .post(t.url("/office/members/7/photo"))
            .multipart(form)
            .send()
    };
    let r = send(b"MZ not an image".to_vec(), csrf.clone())
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("JPEG 或 PNG"));
    let r = send(png.clone(), "wrong".into()).await.unwrap();
    assert_eq!(r.status(), 403);
    let r = send(png.clone(), csrf).await.unwrap();
    assert_eq!(r.status(), 303);
    let got = t
        .api
        .get(t.url("/members/7/photo"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(got.to_vec(), png);
});
