//! Signing in, sessions, CSRF, throttling, roles — on SQLite and PostgreSQL.

mod common;

use chrono::{Duration, Utc};
use lianxin_service::crypto::sha256_hex;
use serde_json::{Value, json};

/// `POST /api/v1/session` with this body, as an API client would.
async fn session_attempt(t: &common::TestApp, body: Value) -> reqwest::Response {
    t.api
        .post(t.url("/api/v1/session"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

both_demo!(login_gives_a_token_that_works_and_logout_ends_it, |t| {
    let token = t.token("office").await;
    let (s, me) = t.get(&token, "/api/v1/me").await;
    assert_eq!(s, 200);
    assert_eq!(me["role"], "office");
    assert_eq!(me["role_label"], "委员会机关");
    let r = t
        .api
        .delete(t.url("/api/v1/session"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let (s, body) = t.get(&token, "/api/v1/me").await;
    assert_eq!(s, 401);
    assert_eq!(body["error"]["code"], "auth.required");
});

both_demo!(wrong_password_is_refused_in_chinese, |t| {
    let r = session_attempt(&t, json!({"username": "office", "password": "nope-nope"})).await;
    assert_eq!(r.status(), 401);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "auth.invalid_credentials");
    assert_eq!(v["error"]["message"], "用户名或密码错误");
    // An unknown user gets exactly the same answer.
    let r = session_attempt(&t, json!({"username": "ghost", "password": "nope-nope"})).await;
    assert_eq!(r.status(), 401);
});

both_demo!(five_failures_lock_the_account_for_a_while, |t| {
    for _ in 0..5 {
        let r = session_attempt(
            &t,
            json!({"username": "member", "password": "wrong-password"}),
        )
        .await;
        assert_eq!(r.status(), 401);
    }
    // Even the right password is refused now, with a Chinese message and Retry-After.
    let r = session_attempt(
        &t,
        json!({"username": "member", "password": "lianxin-demo"}),
    )
    .await;
    assert_eq!(r.status(), 429);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 0 && retry <= 15 * 60, "{retry}");
    let v: Value = r.json().await.unwrap();
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("登录失败次数过多")
    );
    // The login page says the same to a person.
    let r = t.browser_login("member", "lianxin-demo").await;
    assert_eq!(r.status(), 429);
    assert!(r.text().await.unwrap().contains("登录失败次数过多"));
});

both_demo!(forged_and_expired_sessions_are_refused, |t| {
    let (s, _) = t.get("forged-token-value", "/api/v1/me").await;
    assert_eq!(s, 401);
    // A session whose time is up no longer works, though it is still in the table.
    let office = lianxin_store::accounts::user_by_username(
        &mut t.db.acquire().await.unwrap().conn(),
        "office",
    )
    .await
    .unwrap()
    .unwrap();
    let token = "expired-session-token";
    let then = Utc::now() - Duration::hours(13);
    let mut conn = t.db.acquire().await.unwrap();
    lianxin_store::accounts::insert_session(
        &mut conn.conn(),
        &sha256_hex(token),
        office.id,
        "csrf",
        then,
        then + Duration::hours(12),
    )
    .await
    .unwrap();
    let (s, _) = t.get(token, "/api/v1/me").await;
    assert_eq!(s, 401);
    // The same row with a live expiry works: the refusal was the expiry.
    let live = "live-session-token";
    lianxin_store::accounts::insert_session(
        &mut conn.conn(),
        &sha256_hex(live),
        office.id,
        "csrf",
        Utc::now(),
        Utc::now() + Duration::hours(1),
    )
    .await
    .unwrap();
    let (s, _) = t.get(live, "/api/v1/me").await;
    assert_eq!(s, 200);
});

both_demo!(cookie_writes_need_the_csrf_token, |t| {
    let r = t
        .browser
        .post(t.url("/api/v1/session"))
        .json(&json!({"username": "office", "password": "lianxin-demo"}))
        .send()
        .await
        .unwrap();
    let set_cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"),
        "{set_cookie}"
    );
    let csrf = r.json::<Value>().await.unwrap()["csrf_token"]
        .as_str()
        .unwrap()
        .to_string();
    let body = json!({"name": "新专委会"});
    let r = t
        .browser
        .post(t.url("/api/v1/special-committees"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "auth.csrf"
    );
    let r = t
        .browser
        .post(t.url("/api/v1/special-committees"))
        .header("x-csrf-token", "wrong")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = t
        .browser
        .post(t.url("/api/v1/special-committees"))
        .header("x-csrf-token", &csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    // Reading needs no token.
    let r = t
        .browser
        .get(t.url("/api/v1/special-committees"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
});

both_demo!(forms_without_csrf_are_refused_and_change_nothing, |t| {
    let r = t.browser_login("office", "lianxin-demo").await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/office");
    let r = t
        .browser
        .post(t.url("/office/special-committees"))
        .form(&[("name", "无令牌专委会")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let page = t.browse("/office/special-committees").await;
    assert!(!page.contains("无令牌专委会"));
    let csrf = common::hidden(&page, "_csrf");
    let r = t
        .browser
        .post(t.url("/office/special-committees"))
        .form(&[("name", "有令牌专委会"), ("_csrf", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let page = t.browse("/office/special-committees").await;
    assert!(page.contains("有令牌专委会"));
});

both_demo!(login_form_without_its_token_is_refused, |t| {
    let r = t
        .browser
        .post(t.url("/login"))
        .form(&[("username", "office"), ("password", "lianxin-demo")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("页面已过期"));
});

both_demo!(members_and_people_are_refused_office_things, |t| {
    for who in ["member", "citizen", "unit", "studio-lead"] {
        let token = t.token(who).await;
        let (s, v) = t.get(&token, "/api/v1/members").await;
        assert_eq!(s, 403, "{who}");
        assert_eq!(v["error"]["code"], "auth.forbidden");
        let (s, _) = t
            .post(&token, "/api/v1/special-committees", &json!({"name": "x"}))
            .await;
        assert_eq!(s, 403, "{who}");
    }
    // Office may not manage accounts; admin may.
    let office = t.token("office").await;
    assert_eq!(t.get(&office, "/api/v1/users").await.0, 403);
    let admin = t.token("admin").await;
    assert_eq!(t.get(&admin, "/api/v1/users").await.0, 200);
    // A member signed in on the web gets the refusal page for the office.
    let r = t.browser_login("member", "lianxin-demo").await;
    assert_eq!(r.headers()["location"], "/me");
    let r = t.browser.get(t.url("/office")).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("没有权限"));
});

both_demo!(pages_need_a_session, |t| {
    let r = t
        .browser
        .get(t.url("/office/members"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/login?next=")
    );
});

both_demo!(accounts_are_unique_and_passwords_checked, |t| {
    let admin = t.token("admin").await;
    let body = json!({"username": "zhou", "display_name": "周", "role": "office", "password": "long-enough-1"});
    assert_eq!(t.post(&admin, "/api/v1/users", &body).await.0, 201);
    let (s, v) = t.post(&admin, "/api/v1/users", &body).await;
    assert_eq!(s, 409);
    assert_eq!(v["error"]["code"], "user.duplicate");
    let (s, v) = t
        .post(
            &admin,
            "/api/v1/users",
            &json!({"username": "li", "display_name": "李", "role": "office", "password": "short"}),
        )
        .await;
    assert_eq!(s, 422);
    assert_eq!(v["error"]["fields"][0]["field"], "password");
    let (s, _) = t.post(&admin, "/api/v1/users", &json!({"username": "li", "display_name": "李", "role": "king", "password": "long-enough-1"})).await;
    assert_eq!(s, 422);
    // The new account signs in, and its password hash is Argon2id.
    let r = session_attempt(&t, json!({"username": "zhou", "password": "long-enough-1"})).await;
    assert_eq!(r.status(), 200);
    let row = lianxin_store::accounts::user_by_username(
        &mut t.db.acquire().await.unwrap().conn(),
        "zhou",
    )
    .await
    .unwrap()
    .unwrap();
    assert!(
        row.password_hash.starts_with("$argon2id$"),
        "{}",
        row.password_hash
    );
});

both_demo!(a_new_password_ends_live_sessions, |t| {
    let token = t.token("office").await;
    assert_eq!(t.get(&token, "/api/v1/me").await.0, 200);
    assert_eq!(
        t.get(&token, "/api/v1/me").await.0,
        200,
        "read twice: the session is now cached"
    );
    let g = lianxin_domain::access::system_actor(1).grant().unwrap();
    lianxin_service::auth::set_password(&t.app, &g, "office", "a-brand-new-password")
        .await
        .unwrap();
    assert_eq!(t.get(&token, "/api/v1/me").await.0, 401);
});

// A parallel burst of wrong passwords: each attempt is claimed with one atomic statement
// before its password is checked, so at most five are evaluated (the rest are 429 at once),
// and then even the right password waits.
both_demo!(fifty_parallel_guesses_get_five_tries, |t| {
    let guesses = (0..50).map(|i| {
        let (api, url) = (t.api.clone(), t.url("/api/v1/session"));
        tokio::spawn(async move {
            api.post(url)
                .json(&json!({"username": "member", "password": format!("guess-{i}")}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    });
    let mut statuses = Vec::new();
    for g in guesses {
        statuses.push(g.await.unwrap());
    }
    let evaluated = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(evaluated + refused, 50, "{statuses:?}");
    assert!(evaluated <= 5, "{evaluated} guesses were checked");
    let r = session_attempt(
        &t,
        json!({"username": "member", "password": "lianxin-demo"}),
    )
    .await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
});

// After login only a path of this site is followed: tabs, newlines, backslashes and
// protocol-relative tricks send the person home instead (never a 500, never elsewhere).
both_demo!(login_redirects_only_to_our_own_paths, |t| {
    for next in [
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r\nSet-Cookie: x=1",
        "//evil.example",
        "/\\evil.example",
        "/%2F/evil.example",
        "https://evil.example/",
    ] {
        let c = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let login = format!("/login?next={}", common::urlenc(next));
        let (_, page) = common::text(&c, &t, &login).await;
        assert!(
            !page.contains("evil.example"),
            "{next:?} is not carried into the form"
        );
        let r = c
            .post(t.url("/login"))
            .form(&[
                ("username", "office"),
                ("password", "lianxin-demo"),
                ("_csrf", &common::hidden(&page, "_csrf")),
                ("next", next),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "{next:?}");
        assert_eq!(r.headers()["location"], "/office", "{next:?}");
    }
    // A path of ours is followed.
    let page = t
        .browse("/login?next=/office/reports%3Fstatus%3Dsubmitted")
        .await;
    let r = t
        .browser
        .post(t.url("/login"))
        .form(&[
            ("username", "office"),
            ("password", "lianxin-demo"),
            ("_csrf", &common::hidden(&page, "_csrf")),
            ("next", &common::hidden(&page, "next")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/office/reports?status=submitted");
});

// What a signed-in person is shown is never kept by a browser or proxy; public pages may be.
both_demo!(personal_answers_are_not_stored_by_caches, |t| {
    let office = t.signed_in("office").await;
    for path in ["/office", "/office/members", "/me"] {
        let r = office.get(t.url(path)).send().await.unwrap();
        assert_eq!(r.headers()["cache-control"], "no-store", "{path}");
    }
    let token = t.token("office").await;
    let r = t.api.get(t.url("/api/v1/members")).bearer_auth(&token);
    let r = r.send().await.unwrap();
    assert_eq!(r.headers()["cache-control"], "no-store");
    let r = t.browser_login("member", "lianxin-demo").await;
    assert_eq!(
        r.headers()["cache-control"],
        "no-store",
        "the sign-in answer"
    );
    let r = t.api.get(t.url("/members")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers().get("cache-control").is_none(),
        "the public directory"
    );
    assert!(
        r.headers().get("strict-transport-security").is_none(),
        "no HSTS over plain HTTP"
    );
});

// Behind HTTPS (the public URL says so) cookies are Secure and HSTS is on.
both_demo!(behind_https_cookies_are_secure_and_hsts_is_on, |t| {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = lianxin_web::State {
        app: t.app.clone(),
        public_url: "https://lianxin.example.gov.cn".into(),
        secure_cookies: false,
        trust_proxy: false,
    };
    tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            lianxin_web::router(state)
                .into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await;
    });
    let c = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = c.get(format!("{base}/login")).send().await.unwrap();
    assert!(
        r.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .contains("max-age=31536000")
    );
    let cookies: Vec<String> = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    assert!(
        !cookies.is_empty() && cookies.iter().all(|c| c.contains("; Secure")),
        "{cookies:?}"
    );
    let page = r.text().await.unwrap();
    let login_cookie = cookies[0].split(';').next().unwrap().to_string();
    let r = c
        .post(format!("{base}/login"))
        .header("cookie", login_cookie)
        .form(&[
            ("username", "office"),
            ("password", "lianxin-demo"),
            ("_csrf", &common::hidden(&page, "_csrf")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let session = r.headers()["set-cookie"].to_str().unwrap();
    assert!(
        session.starts_with("lianxin_session=") && session.contains("; Secure"),
        "{session}"
    );
});

// A typed body: a field of the wrong type is a 422 naming the field, never read as empty or
// zero — and only for a caller who holds the route's permission (the rest get 403 first).
both_demo!(a_wrong_type_names_its_field_after_the_permission, |t| {
    let admin = t.token("admin").await;
    let bad = json!({"username": "li", "display_name": "李", "role": "office",
                     "password": "long-enough-1", "member_id": "十四"});
    let (s, v) = t.post(&admin, "/api/v1/users", &bad).await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(v["error"]["fields"][0]["field"], "member_id");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("member_id"),
        "{v}"
    );
    let office = t.token("office").await;
    let (s, _) = t.post(&office, "/api/v1/users", &bad).await;
    assert_eq!(s, 403, "no permission: refused before the input is read");
    let member = t.token("member").await;
    let (s, v) = t
        .post(
            &member,
            "/api/v1/activities/1/checkins",
            &json!({"member_id": [1]}),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(v["error"]["fields"][0]["field"], "member_id");
    // A query is input too: the events need their permission before `limit` is read.
    let (s, v) = t.get(&office, "/api/v1/events?limit=abc").await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(v["error"]["fields"][0]["field"], "limit");
    let convenor = t.token("convenor").await;
    let (s, _) = t.get(&convenor, "/api/v1/events?limit=abc").await;
    assert_eq!(s, 403, "no permission: refused before the query is read");
});
