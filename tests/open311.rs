//! Open311 GeoReport v2 with a real HTTP client, JSON and XML, on SQLite and PostgreSQL.

mod common;

use serde_json::Value;

const KEY: &str = "lianxin-demo-open311";

async fn post(t: &common::TestApp, ext: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let r = t
        .api
        .post(t.url(&format!("/open311/v2/requests.{ext}")))
        .form(fields)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

both_demo!(discovery_and_services_in_json_and_xml, |t| {
    let d: Value = serde_json::from_str(&t.anonymous("/open311/v2/discovery.json").await).unwrap();
    assert_eq!(
        d["endpoints"][0]["specification"],
        "http://wiki.open311.org/GeoReport_v2"
    );
    assert!(
        t.anonymous("/open311/v2/discovery.xml")
            .await
            .contains("<discovery>")
    );
    let s: Value = serde_json::from_str(&t.anonymous("/open311/v2/services.json").await).unwrap();
    let codes: Vec<&str> = s
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["service_code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"urban") && codes.contains(&"health"));
    let x = t.anonymous("/open311/v2/services.xml").await;
    assert!(x.starts_with("<?xml") && x.contains("<service><service_code>urban</service_code>"));
    assert!(
        t.anonymous("/open311/v2/services/urban.xml")
            .await
            .contains("<service_definition><service_code>urban")
    );
    assert_eq!(
        t.api
            .get(t.url("/open311/v2/services/nope.json"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
});

both_demo!(posting_needs_a_key_a_known_service_and_a_place, |t| {
    let base = [
        ("service_code", "urban"),
        ("description", "路灯不亮"),
        ("address_string", "滨江街道"),
    ];
    let (s, body) = post(&t, "json", &base).await;
    assert_eq!(s, 403);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v[0]["code"], 403);
    let mut wrong = base.to_vec();
    wrong.push(("api_key", "guess"));
    let (s, body) = post(&t, "xml", &wrong).await;
    assert_eq!(s, 403);
    assert!(body.contains("<errors><error><code>403</code>"));
    let (s, body) = post(
        &t,
        "json",
        &[
            ("api_key", KEY),
            ("service_code", "nope"),
            ("description", "x"),
            ("address_string", "y"),
        ],
    )
    .await;
    assert_eq!(s, 400, "{body}");
    assert!(body.contains("service_code"));
    let (s, _) = post(
        &t,
        "json",
        &[
            ("api_key", KEY),
            ("service_code", "urban"),
            ("description", "x"),
        ],
    )
    .await;
    assert_eq!(s, 400, "a place is required");
});

both_demo!(a_request_round_trips_in_json_and_xml, |t| {
    let desc = "<script>alert('x')</script> 路灯不亮 & 积水";
    let (s, body) = post(
        &t,
        "json",
        &[
            ("api_key", KEY),
            ("service_code", "urban"),
            ("description", desc),
            ("lat", "30.25"),
            ("long", "120.16"),
            ("first_name", "明"),
            ("last_name", "王"),
            ("phone", "13812345678"),
        ],
    )
    .await;
    assert_eq!(s, 201, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    let id = v[0]["service_request_id"].as_str().unwrap().to_string();
    let one: Value = serde_json::from_str(
        &t.anonymous(&format!("/open311/v2/requests/{id}.json"))
            .await,
    )
    .unwrap();
    assert_eq!(one[0]["description"], desc);
    assert_eq!(one[0]["status"], "open");
    assert_eq!(one[0]["service_code"], "urban");
    assert_eq!(one[0]["lat"], "30.25");
    let text = one.to_string();
    assert!(
        !text.contains("13812345678") && !text.contains("王明"),
        "no personal data"
    );
    let xml = t
        .anonymous(&format!("/open311/v2/requests.xml?service_request_id={id}"))
        .await;
    assert!(xml.contains(&format!("<service_request_id>{id}</service_request_id>")));
    assert!(xml.contains("&lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt; 路灯不亮 &amp; 积水"));
    assert!(!xml.contains("<script>"));
    // Its state moves with the concern: closed once the office closes it.
    let office = t.signed_in("office").await;
    let r = t
        .post_form(
            &office,
            &format!("/office/concerns/{id}"),
            &format!("/office/concerns/{id}/close"),
            &[("reason", "not_responsible")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let closed: Value =
        serde_json::from_str(&t.anonymous("/open311/v2/requests.json?status=closed").await)
            .unwrap();
    assert!(
        closed
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["service_request_id"] == id.as_str())
    );
    assert!(
        closed
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"] == "closed")
    );
    // Each listed request carries its newest public note (the reason it was closed), the
    // same as the request's own page.
    let newest = {
        let mut conn = t.db.acquire().await.unwrap();
        lianxin_store::concerns::updates(&mut conn.conn(), id.parse().unwrap(), true)
            .await
            .unwrap()
            .pop()
            .expect("a public note")
            .body
    };
    let listed = closed
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["service_request_id"] == id.as_str())
        .unwrap();
    assert_eq!(listed["status_notes"], newest.as_str());
    let one: Value = serde_json::from_str(
        &t.anonymous(&format!("/open311/v2/requests/{id}.json"))
            .await,
    )
    .unwrap();
    assert_eq!(one[0]["status_notes"], newest.as_str());
});

both_demo!(listing_limits_and_privacy, |t| {
    let (s, body) = {
        let r = t.api.get(t.url("/open311/v2/requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z")).send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    };
    assert_eq!(s, 400);
    assert!(body.contains("90"));
    assert_eq!(
        t.api
            .get(t.url("/open311/v2/requests.json?status=maybe"))
            .send()
            .await
            .unwrap()
            .status(),
        400
    );
    let all: Value = serde_json::from_str(&t.anonymous("/open311/v2/requests.json").await).unwrap();
    let n = all.as_array().unwrap().len();
    assert!(n > 100 && n <= 1000, "{n}");
    // A concern the person asked not to publish is not listed, not even by id.
    let cat = t.category("城乡建设").await.to_string();
    let r = t
        .raise(
            &[
                ("title", "不公开的事"),
                ("detail", "x"),
                ("category_id", &cat),
                ("area", "滨江街道"),
                ("private", "on"),
            ],
            vec![],
        )
        .await;
    let row = t.concern(&common::TestApp::code_of(&r)).await;
    assert!(!row.publish);
    assert_eq!(
        t.api
            .get(t.url(&format!("/open311/v2/requests/{}.json", row.id)))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let all: Value = serde_json::from_str(&t.anonymous("/open311/v2/requests.json").await).unwrap();
    assert!(!all.to_string().contains("不公开的事"));
});
