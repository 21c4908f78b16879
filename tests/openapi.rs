//! The OpenAPI document covers every `/api/v1` route the server registers.

mod common;

use std::collections::BTreeSet;

use lianxin_domain::schema::ALL;
use serde_json::Value;

/// Every route path the server registers under `/api/v1`, with `{resource}` expanded.
fn registered() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (_, path) in lianxin_web::route_table() {
        if !path.starts_with("/api/v1") {
            continue;
        }
        if path.contains("{resource}") {
            for r in ALL {
                if path.starts_with("/api/v1/public/") && !r.public {
                    continue;
                }
                out.insert(path.replace("{resource}", r.path));
            }
        } else {
            out.insert(path.to_string());
        }
    }
    out
}

both!(document_is_openapi_3_and_covers_every_route, |t| {
    let doc: Value = t
        .api
        .get(t.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    let documented: BTreeSet<String> = paths.keys().cloned().collect();
    let routes = registered();
    assert!(routes.len() > 20, "{routes:?}");
    let missing: Vec<_> = routes.difference(&documented).collect();
    assert!(missing.is_empty(), "undocumented routes: {missing:?}");
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            assert!(
                ["get", "post", "patch", "put", "delete"].contains(&method.as_str()),
                "{path} {method}"
            );
            assert!(
                op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{path} {method} has no responses"
            );
        }
    }
    // Every $ref points at a component that exists.
    let text = doc.to_string();
    for r in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = r.split('"').next().unwrap();
        assert!(
            doc["components"]["schemas"].get(name).is_some(),
            "dangling $ref {name}"
        );
    }
    // And every documented path answers (no route missing from the server either).
    for path in &documented {
        let url = t.url(&path.replace("{id}", "1"));
        let r = t.api.get(&url).send().await.unwrap();
        let body = r.text().await.unwrap_or_default();
        assert!(
            body.starts_with('{') || body.is_empty(),
            "{path}: a JSON answer, not the router's 404/405 text: {body}"
        );
    }
});
