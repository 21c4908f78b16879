//! Accounts and sessions: Argon2id password hashes, server-side sessions in the database,
//! login throttled per account and per address.

use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use chrono::Duration;
use lianxin_domain::access::{Actor, Granted, ManageUsers, Role};
use lianxin_domain::{Invalid, text::parse_text};
use lianxin_store::accounts::{self as store, NewUser, UserRow};
use serde_json::{Value as Json, json};

use crate::crypto::{random_token, sha256_hex};
use crate::journal::{Change, begin, commit};
use crate::{App, Error, Result, now};

/// How long a session lives without a new login.
pub const SESSION_HOURS: i64 = 12;
/// Failures allowed per account or address within the window before logins are refused.
pub const MAX_FAILURES: i64 = 5;
pub const FAILURE_WINDOW_MINUTES: i64 = 15;

pub fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(Error::internal)
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Spent on unknown usernames so that a wrong name takes as long as a wrong password.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| hash_password("lianxin-timing-equaliser").unwrap_or_default());

pub fn validate_password(p: &str) -> std::result::Result<(), Invalid> {
    let n = p.chars().count();
    if !(8..=128).contains(&n) {
        return Err(Invalid::one(
            "password",
            "weak_password",
            "密码长度应为8到128个字符",
        ));
    }
    Ok(())
}

fn parse_username(u: &str) -> std::result::Result<String, Invalid> {
    let u = u.trim();
    if u.is_empty()
        || u.len() > 40
        || !u
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(Invalid::one(
            "username",
            "invalid_username",
            "用户名只能包含字母、数字和 - _ .，最长40个字符",
        ));
    }
    Ok(u.to_lowercase())
}

pub fn actor_of(u: &UserRow) -> Actor {
    Actor {
        user_id: u.id,
        username: u.username.clone(),
        display_name: u.display_name.clone(),
        committee_id: u.committee_id,
        role: Role::parse(&u.role).unwrap_or(Role::Constituent),
        member_id: u.member_id,
        handling_unit_id: u.handling_unit_id,
    }
}

#[derive(Debug, Clone)]
pub struct Session {
    pub actor: Actor,
    pub csrf: String,
    /// Whether the actor operates the server (an admin of the installation's committee):
    /// what the menu needs to offer the jobs page.
    pub operates_server: bool,
}

/// A new session: the token goes to the client; only its hash is stored.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token: String,
    pub csrf: String,
    pub actor: Actor,
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn login(app: &App, username: &str, password: &str, ip: &str) -> Result<NewSession> {
    let username = username.trim().to_lowercase();
    if username.is_empty() || password.is_empty() || username.len() > 100 || password.len() > 1024 {
        return Err(Error::Unauthorized {
            code: "auth.invalid_credentials",
            message: "用户名或密码错误",
        });
    }
    let at = now();
    let keys = [format!("user:{username}"), format!("ip:{ip}")];
    // Claim this attempt before the password is looked at: each claim is one atomic
    // statement, so of 50 parallel guesses exactly the first MAX_FAILURES are checked.
    let mut conn = app.db.acquire().await?;
    let window = FAILURE_WINDOW_MINUTES * 60;
    let (now_secs, expired) = (at.timestamp(), at.timestamp() - window);
    let mut refused_until = None;
    for key in &keys {
        let (n, start) = store::claim_attempt(&mut conn.conn(), key, now_secs, expired).await?;
        if n > MAX_FAILURES {
            refused_until = refused_until.max(Some(start + window));
        }
    }
    if let Some(until) = refused_until {
        let secs = (until - now_secs).max(1) as u64;
        return Err(Error::TooMany {
            message: format!("登录失败次数过多，请{}分钟后再试", secs.div_ceil(60)),
            retry_after_secs: secs,
        });
    }
    let user = store::user_by_username(&mut conn.conn(), &username).await?;
    // No connection is held while the hash is computed (tens of milliseconds of CPU, off
    // the async runtime's threads).
    drop(conn);
    let (hash, known) = match &user {
        Some(u) if !u.disabled => (u.password_hash.clone(), true),
        _ => (DUMMY_HASH.clone(), false),
    };
    let password = password.to_string();
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(Error::internal)?
        && known;
    let (Some(user), true) = (user, ok) else {
        // The claimed attempt stays counted: it failed.
        return Err(Error::Unauthorized {
            code: "auth.invalid_credentials",
            message: "用户名或密码错误",
        });
    };
    let mut tx = app.db.begin_write().await?;
    store::clear_attempts(&mut tx.conn(), &keys[0]).await?;
    store::release_attempt(&mut tx.conn(), &keys[1]).await?;
    let token = random_token();
    let csrf = random_token();
    store::insert_session(
        &mut tx.conn(),
        &sha256_hex(&token),
        user.id,
        &csrf,
        at,
        at + Duration::hours(SESSION_HOURS),
    )
    .await?;
    let actor = actor_of(&user);
    let change = Change {
        committee_id: user.committee_id,
        kind: "user.logged_in",
        subject_type: "user",
        subject_id: user.id,
        before: Json::Null,
        after: json!({"ip": ip}),
    };
    commit(tx, &actor, change).await?;
    Ok(NewSession { token, csrf, actor })
}

/// The session behind a token, if it is live. Sessions are read through the data-version
/// cache: every change that ends a session before its time (logout, new password) writes an
/// event, and expiry is checked against the clock here.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn session(app: &App, token: &str) -> Result<Option<Session>> {
    if token.is_empty() || token.len() > 200 {
        return Ok(None);
    }
    let hash = sha256_hex(token);
    let found = app
        .cached(format!("session|{hash}"), || async {
            let mut conn = app.db.acquire().await?;
            Ok(store::session_user(&mut conn.conn(), &hash, now()).await?)
        })
        .await?;
    Ok(match found.as_ref() {
        Some((u, csrf, expires)) if *expires > now() => {
            let actor = actor_of(u);
            let operates_server = actor.can::<lianxin_domain::access::OperateServer>()
                && app.installation_committee().await? == Some(actor.committee_id);
            Some(Session {
                actor,
                csrf: csrf.clone(),
                operates_server,
            })
        }
        _ => None,
    })
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn logout(app: &App, actor: &Actor, token: &str) -> Result<()> {
    let mut tx = begin(&app.db).await?;
    store::delete_session(&mut tx.conn(), &sha256_hex(token)).await?;
    let change = Change {
        committee_id: actor.committee_id,
        kind: "user.logged_out",
        subject_type: "user",
        subject_id: actor.user_id,
        before: Json::Null,
        after: Json::Null,
    };
    commit(tx, actor, change).await?;
    Ok(())
}

/// Remove expired sessions and old login attempts (run periodically by `serve`).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn sweep(app: &App) -> Result<()> {
    let mut conn = app.db.acquire().await?;
    let at = now();
    let windows_before = at.timestamp() - FAILURE_WINDOW_MINUTES * 60;
    store::delete_expired(&mut conn.conn(), at, windows_before).await?;
    Ok(())
}

pub struct UserInput<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub role: &'a str,
    pub password: &'a str,
    pub member_id: Option<i64>,
    /// For a handling unit's account: the unit it speaks for.
    pub handling_unit_id: Option<i64>,
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn add_user(
    app: &App,
    g: &Granted<ManageUsers>,
    input: &UserInput<'_>,
    is_demo: bool,
) -> Result<i64> {
    let mut errors = Invalid::default();
    let username = parse_username(input.username)
        .map_err(|e| errors.0.extend(e.0))
        .ok();
    let display = parse_text("display_name", "姓名", input.display_name, 30, true)
        .map_err(|e| errors.0.extend(e.0))
        .ok();
    let role = Role::parse(input.role);
    if role.is_none() {
        let all: Vec<&str> = Role::ALL.iter().map(|r| r.code()).collect();
        errors.push(
            "role",
            "invalid_role",
            format!("角色只能是：{}", all.join("、")),
        );
    }
    if let Err(e) = validate_password(input.password) {
        errors.0.extend(e.0);
    }
    let (Some(username), Some(Some(display)), Some(role), true) =
        (username, display, role, errors.is_empty())
    else {
        return Err(errors.into());
    };
    let hash = hash_password(input.password)?;
    let committee_id = g.committee_id();
    let mut tx = begin(&app.db).await?;
    if let Some(m) = input.member_id
        && lianxin_store::records::existing(
            &mut tx.conn(),
            lianxin_domain::schema::Res::Member,
            committee_id,
            &[m],
        )
        .await?
        .is_empty()
    {
        return Err(Invalid::one("member_id", "invalid_ref", "所选委员不存在").into());
    }
    if role == Role::HandlingUnit && input.handling_unit_id.is_none() {
        return Err(Invalid::one(
            "handling_unit_id",
            "required",
            "承办单位账号须关联一个承办单位",
        )
        .into());
    }
    if let Some(u) = input.handling_unit_id
        && lianxin_store::records::existing(
            &mut tx.conn(),
            lianxin_domain::schema::Res::HandlingUnit,
            committee_id,
            &[u],
        )
        .await?
        .is_empty()
    {
        return Err(Invalid::one("handling_unit_id", "invalid_ref", "所选承办单位不存在").into());
    }
    if store::user_by_username(&mut tx.conn(), &username)
        .await?
        .is_some()
    {
        return Err(Error::Conflict {
            code: "user.duplicate",
            message: format!("用户名“{username}”已被使用"),
            field: Some("username".into()),
        });
    }
    let new = NewUser {
        committee_id,
        username: &username,
        display_name: &display,
        role: role.code(),
        password_hash: &hash,
        member_id: input.member_id,
        handling_unit_id: input.handling_unit_id,
        is_demo,
    };
    let id = store::insert_user(&mut tx.conn(), &new, now()).await?;
    let change = Change {
        committee_id,
        kind: "user.created",
        subject_type: "user",
        subject_id: id,
        before: Json::Null,
        after: json!({"username": username, "role": role.code(), "display_name": display}),
    };
    commit(tx, g.actor(), change).await?;
    Ok(id)
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn set_password(
    app: &App,
    g: &Granted<ManageUsers>,
    username: &str,
    password: &str,
) -> Result<()> {
    validate_password(password)?;
    let hash = hash_password(password)?;
    let mut tx = begin(&app.db).await?;
    let user = store::user_by_username(&mut tx.conn(), &username.trim().to_lowercase())
        .await?
        .filter(|u| u.committee_id == g.committee_id() || g.actor().user_id == 0)
        .ok_or_else(|| Error::not_found("user.not_found", "未找到该用户"))?;
    store::set_password(&mut tx.conn(), user.id, &hash, now()).await?;
    let change = Change {
        committee_id: user.committee_id,
        kind: "user.password_changed",
        subject_type: "user",
        subject_id: user.id,
        before: Json::Null,
        after: json!({"username": user.username}),
    };
    commit(tx, g.actor(), change).await?;
    Ok(())
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn list_users(app: &App, g: &Granted<ManageUsers>) -> Result<Vec<UserRow>> {
    let mut conn = app.db.acquire().await?;
    Ok(store::users_of(&mut conn.conn(), g.committee_id()).await?)
}

/// Every account of every committee, for the operator's CLI (which runs as the system actor).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list_all_users(app: &App, _g: &Granted<ManageUsers>) -> Result<Vec<UserRow>> {
    let mut conn = app.db.acquire().await?;
    Ok(store::all_users(&mut conn.conn()).await?)
}
