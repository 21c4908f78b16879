//! What an operator's monitoring sees: request ids, `/metrics` behind its token.

mod common;

use lianxin_service::jobs;

both_demo!(requests_carry_an_id_and_metrics_need_the_token, |t| {
    // An id is made for each request and returned; one the caller sent is kept.
    let r = t.api.get(t.url("/members")).send().await.unwrap();
    let made = r.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(made.len(), 16, "{made}");
    let again = t.api.get(t.url("/members")).send().await.unwrap();
    assert_ne!(again.headers()["x-request-id"].to_str().unwrap(), made);
    let r = t
        .api
        .get(t.url("/healthz"))
        .header("X-Request-Id", "lb-7f3a")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "lb-7f3a");

    // Without the token, or with a person's own API token, no metrics.
    assert_eq!(
        t.api.get(t.url("/metrics")).send().await.unwrap().status(),
        401
    );
    let office = t.token("office").await;
    let r = t
        .api
        .get(t.url("/metrics"))
        .bearer_auth(&office)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    jobs::run_due(&t.app, "node-a").await.unwrap();
    let r = t
        .api
        .get(t.url("/metrics"))
        .bearer_auth(common::METRICS_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = r.text().await.unwrap();
    // Requests by route template (never the path with its ids) and status, with latency.
    let count = text
        .lines()
        .find(|l| {
            l.starts_with("lianxin_http_requests_total{")
                && l.contains("route=\"/members\"")
                && l.contains("status=\"200\"")
        })
        .unwrap_or_else(|| panic!("{text}"));
    let n: f64 = count.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(n >= 2.0, "{count}");
    assert!(
        text.contains("lianxin_http_request_duration_seconds_bucket{"),
        "{text}"
    );
    assert!(!text.contains("route=\"/members/1\""));
    for gauge in [
        "lianxin_db_pool_connections{state=\"open\"}",
        "lianxin_outbox_messages{state=\"waiting\"}",
        "lianxin_job_runs{job=\"concern_escalation\"}",
        "lianxin_job_failing{job=\"duty_log\"} 0",
        "lianxin_build_info{",
    ] {
        assert!(text.contains(gauge), "{gauge} in\n{text}");
    }
});
