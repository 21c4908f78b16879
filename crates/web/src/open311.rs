//! Open311 GeoReport v2 endpoints, in JSON and XML (the spec requires XML). Responses are
//! built once as records of (field, value) and written in either format; XML text is
//! escaped. Errors follow the spec: `[{"code":400,"description":"…"}]` or `<errors>`.

use crate::routes::{Routes, get};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State as S};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lianxin_service::open311 as svc;
use lianxin_service::{Error, overview};

use crate::State;
use crate::error::describe;

pub fn routes() -> Routes {
    Routes::new()
        .route("/open311/v2/{file}", get(top_get).post(top_post))
        .route("/open311/v2/services/{file}", get(service_definition))
        .route("/open311/v2/requests/{file}", get(one_request))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Xml,
}

/// `requests.json` → ("requests", Json)
fn split(file: &str) -> Option<(&str, Format)> {
    let (name, ext) = file.rsplit_once('.')?;
    match ext {
        "json" => Some((name, Format::Json)),
        "xml" => Some((name, Format::Xml)),
        _ => None,
    }
}

type Record = Vec<(&'static str, String)>;

pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot carry at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

fn render(
    format: Format,
    root: &str,
    item: &str,
    records: &[Record],
    status: StatusCode,
) -> Response {
    let (body, mime) = match format {
        Format::Json => {
            let list: Vec<serde_json::Value> = records
                .iter()
                .map(|r| {
                    serde_json::Value::Object(
                        r.iter()
                            .map(|(k, v)| {
                                // The spec's error code is a number; everything else is text.
                                let value = match (*k, v.parse::<u16>()) {
                                    ("code", Ok(n)) => serde_json::Value::from(n),
                                    _ => serde_json::Value::String(v.clone()),
                                };
                                (k.to_string(), value)
                            })
                            .collect(),
                    )
                })
                .collect();
            (
                serde_json::Value::Array(list).to_string(),
                "application/json; charset=utf-8",
            )
        }
        Format::Xml => {
            let mut x = format!("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<{root}>");
            for r in records {
                x.push_str(&format!("<{item}>"));
                for (k, v) in r {
                    x.push_str(&format!("<{k}>{}</{k}>", xml_escape(v)));
                }
                x.push_str(&format!("</{item}>"));
            }
            x.push_str(&format!("</{root}>"));
            (x, "text/xml; charset=utf-8")
        }
    };
    let mut res = (status, body).into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    res
}

/// An error in the spec's shape; the HTTP status is the error's code.
fn error(format: Format, e: &Error) -> Response {
    let status = match e {
        Error::Forbidden(_) => StatusCode::FORBIDDEN,
        Error::NotFound { code, .. } if *code != "open311.unknown_service" => StatusCode::NOT_FOUND,
        Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        Error::TooMany { .. } => StatusCode::TOO_MANY_REQUESTS,
        Error::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    };
    let description = match e {
        Error::Forbidden(_) => "api_key 缺失或无效".to_string(),
        other => describe(other).1,
    };
    render(
        format,
        "errors",
        "error",
        &[vec![
            ("code", status.as_u16().to_string()),
            ("description", description),
        ]],
        status,
    )
}

fn not_found(format: Format) -> Response {
    error(
        format,
        &Error::not_found("open311.not_found", "没有这个资源"),
    )
}

fn pairs(raw: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str(raw).unwrap_or_default()
}

async fn committee(state: &State, pairs: &[(String, String)]) -> Result<i64, Error> {
    let asked = pairs
        .iter()
        .find(|(k, _)| k == "jurisdiction_id")
        .and_then(|(_, v)| v.parse().ok());
    Ok(overview::committee_of(&state.app, asked).await?.0)
}

async fn top_get(S(state): S<State>, Path(file): Path<String>, RawQuery(q): RawQuery) -> Response {
    let Some((name, format)) = split(&file) else {
        return not_found(Format::Json);
    };
    let p = pairs(q.as_deref().unwrap_or(""));
    let result = match name {
        "discovery" => Ok(discovery(&state, format)),
        "services" => services(&state, format, &p).await,
        "requests" => list_requests(&state, format, &p).await,
        _ => return not_found(format),
    };
    result.unwrap_or_else(|e| error(format, &e))
}

fn discovery(state: &State, format: Format) -> Response {
    let url = format!("{}/open311/v2/", state.public_url.trim_end_matches('/'));
    match format {
        Format::Json => {
            let body = serde_json::json!({
                "changeset": "2026-11-26T00:00:00Z",
                "contact": "委员会机关",
                "key_service": "向委员会机关申请 API 密钥",
                "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2", "url": url,
                    "changeset": "2026-11-26T00:00:00Z", "type": "production", "formats": ["application/json", "text/xml"]}]
            });
            axum::Json(body).into_response()
        }
        Format::Xml => {
            let x = format!(
                "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<discovery><changeset>2026-11-26T00:00:00Z</changeset><contact>委员会机关</contact>\
                 <key_service>向委员会机关申请 API 密钥</key_service><endpoints><endpoint><specification>http://wiki.open311.org/GeoReport_v2</specification>\
                 <url>{}</url><changeset>2026-11-26T00:00:00Z</changeset><type>production</type><formats><format>application/json</format>\
                 <format>text/xml</format></formats></endpoint></endpoints></discovery>",
                xml_escape(&url)
            );
            let mut r = x.into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/xml; charset=utf-8"),
            );
            r
        }
    }
}

async fn services(
    state: &State,
    format: Format,
    p: &[(String, String)],
) -> Result<Response, Error> {
    let cid = committee(state, p).await?;
    let records: Vec<Record> = svc::services(&state.app, cid)
        .await?
        .into_iter()
        .map(|c| {
            vec![
                ("service_code", c.service_code),
                ("service_name", c.name.clone()),
                ("description", c.description.unwrap_or_default()),
                ("metadata", "false".into()),
                ("type", "realtime".into()),
                ("keywords", String::new()),
                ("group", c.name),
            ]
        })
        .collect();
    Ok(render(
        format,
        "services",
        "service",
        &records,
        StatusCode::OK,
    ))
}

async fn service_definition(
    S(state): S<State>,
    Path(file): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let Some((code, format)) = split(&file) else {
        return not_found(Format::Json);
    };
    let p = pairs(q.as_deref().unwrap_or(""));
    let result = async {
        let cid = committee(&state, &p).await?;
        let c = svc::service(&state.app, cid, code).await?;
        Ok::<_, Error>(match format {
            Format::Json => axum::Json(serde_json::json!({"service_code": c.service_code, "attributes": []})).into_response(),
            Format::Xml => {
                let x = format!(
                    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<service_definition><service_code>{}</service_code><attributes></attributes></service_definition>",
                    xml_escape(&c.service_code)
                );
                let mut r = x.into_response();
                r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml; charset=utf-8"));
                r
            }
        })
    }
    .await;
    result.unwrap_or_else(|e| match e {
        Error::NotFound { .. } => not_found(format),
        e => error(format, &e),
    })
}

fn request_record(r: svc::Request) -> Record {
    let t = |d: chrono::DateTime<chrono::Utc>| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    vec![
        ("service_request_id", r.id.to_string()),
        ("status", r.status.to_string()),
        ("status_notes", r.status_notes),
        ("service_name", r.service_name),
        ("service_code", r.service_code),
        ("description", r.description),
        ("agency_responsible", r.agency_responsible),
        ("service_notice", String::new()),
        ("requested_datetime", t(r.requested)),
        ("updated_datetime", t(r.updated)),
        ("expected_datetime", t(r.expected)),
        ("address", r.address),
        ("address_id", String::new()),
        ("zipcode", String::new()),
        ("lat", r.lat.map(|v| v.to_string()).unwrap_or_default()),
        ("long", r.long.map(|v| v.to_string()).unwrap_or_default()),
        ("media_url", String::new()),
    ]
}

async fn list_requests(
    state: &State,
    format: Format,
    p: &[(String, String)],
) -> Result<Response, Error> {
    let cid = committee(state, p).await?;
    let q = svc::parse_query(p)?;
    let records: Vec<Record> = svc::requests(&state.app, cid, &q)
        .await?
        .into_iter()
        .map(request_record)
        .collect();
    Ok(render(
        format,
        "service_requests",
        "request",
        &records,
        StatusCode::OK,
    ))
}

async fn one_request(
    S(state): S<State>,
    Path(file): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let Some((id, format)) = split(&file) else {
        return not_found(Format::Json);
    };
    let Ok(id) = id.parse::<i64>() else {
        return not_found(format);
    };
    let p = pairs(q.as_deref().unwrap_or(""));
    let result = async {
        let cid = committee(&state, &p).await?;
        let q = svc::Query {
            ids: Some(vec![id]),
            ..svc::Query::default()
        };
        let found = svc::requests(&state.app, cid, &q).await?;
        if found.is_empty() {
            return Ok(not_found(format));
        }
        let records: Vec<Record> = found.into_iter().map(request_record).collect();
        Ok::<_, Error>(render(
            format,
            "service_requests",
            "request",
            &records,
            StatusCode::OK,
        ))
    }
    .await;
    result.unwrap_or_else(|e| error(format, &e))
}

/// `POST requests.{json,xml}`: form-encoded, with `api_key`.
async fn top_post(S(state): S<State>, Path(file): Path<String>, body: Bytes) -> Response {
    let Some(("requests", format)) = split(&file) else {
        return not_found(Format::Json);
    };
    let Ok(text) = std::str::from_utf8(&body) else {
        return error(
            format,
            &Error::Invalid(lianxin_domain::Invalid::one(
                "body",
                "open311.encoding",
                "请求内容应为 UTF-8",
            )),
        );
    };
    let p = pairs(text);
    let get = |k: &str| {
        p.iter()
            .find(|(x, _)| x == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let result = async {
        let (client, cid) = svc::client(&state.app, Some(&get("api_key"))).await?;
        let post = svc::Post {
            service_code: get("service_code"),
            description: get("description"),
            address_string: get("address_string"),
            lat: get("lat"),
            long: get("long"),
            first_name: get("first_name"),
            last_name: get("last_name"),
            phone: get("phone"),
        };
        let (id, code) = svc::post(&state.app, client, cid, &post).await?;
        let notice = format!(
            "查询码 {code}，进展见 {}/c/{code}",
            state.public_url.trim_end_matches('/')
        );
        Ok::<_, Error>(render(
            format,
            "service_requests",
            "request",
            &[vec![
                ("service_request_id", id.to_string()),
                ("service_notice", notice),
                ("account_id", String::new()),
            ]],
            StatusCode::CREATED,
        ))
    }
    .await;
    result.unwrap_or_else(|e| error(format, &e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_is_escaped() {
        assert_eq!(
            xml_escape("<script>&\"'"),
            "&lt;script&gt;&amp;&quot;&apos;"
        );
        assert_eq!(xml_escape("a\u{1}b"), "ab");
    }
}
