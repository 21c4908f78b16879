//! Raising a concern: validated at the edge of the domain, limited per address, made
//! idempotent, routed at once — in one transaction.

use chrono::Duration;
use lianxin_domain::Invalid;
use lianxin_domain::access::{Actor, system_actor};
use lianxin_domain::concern::{self as rules, Facts, Status, Target};
use lianxin_domain::phone::Phone;
use lianxin_domain::text::parse_text;
use lianxin_store::concerns::{self as store, ConcernRow, NewMessage};
use rand::RngCore;
use serde_json::json;

use super::assign;
use crate::crypto::sha256_hex;
use crate::journal::{Change, Pending, events, record_audits};
use crate::{App, Error, Result, now};

/// New concerns allowed per address per hour.
pub const PER_HOUR: i64 = 5;

/// Where a concern comes from; a studio's or member's page routes to them directly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Online,
    Studio(i64),
    Member(i64),
    /// Written down at a reception: (studio, reception-log entry).
    Reception(i64, i64),
    Open311(i64),
}

impl Origin {
    fn code(self) -> &'static str {
        match self {
            Origin::Online => "online",
            Origin::Studio(_) => "studio_page",
            Origin::Member(_) => "member_page",
            Origin::Reception(..) => "reception",
            Origin::Open311(_) => "open311",
        }
    }
}

/// What a person submits, as typed.
#[derive(Debug, Clone, Default)]
pub struct Submission {
    pub title: String,
    pub detail: String,
    pub category_id: Option<i64>,
    pub area: String,
    pub sector_id: Option<i64>,
    pub name: String,
    pub phone: String,
    pub publish: bool,
    pub attachments: Vec<(String, Vec<u8>)>,
    pub idempotency_key: String,
    /// A field people never see; only robots fill it in.
    pub honeypot: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct Submitted {
    pub id: i64,
    pub code: String,
    /// This was a repeat of an earlier submission (double click): nothing new was made.
    pub repeated: bool,
}

struct Valid {
    title: String,
    detail: String,
    area: String,
    name: Option<String>,
    phone: Option<Phone>,
    files: Vec<(String, &'static str, Vec<u8>)>,
}

fn validate(s: &Submission) -> std::result::Result<Valid, Invalid> {
    let mut e = Invalid::default();
    let title = parse_text("title", "标题", &s.title, 100, true)
        .map_err(|x| e.0.extend(x.0))
        .ok()
        .flatten();
    let detail = parse_text(
        "detail",
        "具体情况",
        &s.detail,
        rules::MAX_DETAIL_CHARS,
        true,
    )
    .map_err(|x| e.0.extend(x.0))
    .ok()
    .flatten();
    let area = parse_text("area", "所在地区", &s.area, 100, true)
        .map_err(|x| e.0.extend(x.0))
        .ok()
        .flatten();
    let name = parse_text("name", "姓名", &s.name, 30, false)
        .map_err(|x| e.0.extend(x.0))
        .ok()
        .flatten();
    let phone = if s.phone.trim().is_empty() {
        None
    } else {
        Phone::parse("phone", &s.phone)
            .map_err(|x| e.0.extend(x.0))
            .ok()
    };
    if s.category_id.is_none() {
        e.push("category_id", "required", "请选择诉求类别");
    }
    if s.attachments.len() > rules::MAX_ATTACHMENTS {
        e.push(
            "attachments",
            "too_many",
            format!("最多上传{}个附件", rules::MAX_ATTACHMENTS),
        );
    }
    let mut files = Vec::new();
    for (name, bytes) in s.attachments.iter().take(rules::MAX_ATTACHMENTS) {
        if bytes.len() > rules::MAX_ATTACHMENT_BYTES {
            e.push(
                "attachments",
                "too_large",
                format!("附件“{name}”超过 10 MB"),
            );
        } else if let Some(mime) = rules::sniff_attachment(bytes) {
            let clean: String = name
                .chars()
                .filter(|c| !c.is_control() && *c != '/' && *c != '\\')
                .take(100)
                .collect();
            files.push((clean, mime, bytes.clone()));
        } else {
            e.push(
                "attachments",
                "bad_type",
                format!("附件“{name}”不是图片或 PDF（按文件内容识别）"),
            );
        }
    }
    if s.idempotency_key.len() > 100 {
        e.push("idempotency_key", "too_long", "请求标识过长");
    }
    match (title, detail, area, e.is_empty()) {
        (Some(title), Some(detail), Some(area), true) => Ok(Valid {
            title,
            detail,
            area,
            name,
            phone,
            files,
        }),
        _ => Err(e),
    }
}

fn new_code() -> String {
    let mut b = [0u8; rules::CODE_LEN];
    rand::rng().fill_bytes(&mut b);
    rules::code_from_random(&b)
}

/// Raise a concern. `ip` is the person's address (flood limit); `user` a signed-in person.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn submit(
    app: &App,
    committee_id: i64,
    s: Submission,
    origin: Origin,
    ip: &str,
    user: Option<&Actor>,
) -> Result<Submitted> {
    if !s.honeypot.trim().is_empty() {
        return Err(Invalid::one("website", "concern.rejected", "提交未被接受").into());
    }
    let v = validate(&s)?;
    let key = s.idempotency_key.trim().to_string();
    if !key.is_empty() {
        let mut conn = app.db.acquire().await?;
        if let Some(done) = store::by_idempotency_key(&mut conn.conn(), committee_id, &key).await? {
            return Ok(Submitted {
                id: done.id,
                code: done.code,
                repeated: true,
            });
        }
    }
    let at = now();
    let ip_hash = sha256_hex(&format!("lianxin-intake:{ip}"));
    let limited = matches!(
        origin,
        Origin::Online | Origin::Studio(_) | Origin::Member(_)
    );
    // Everything intake reads comes from the versioned snapshot, outside the transaction.
    let routing = super::routing(app, committee_id).await?;
    let Some(category) = routing
        .categories
        .iter()
        .find(|c| Some(c.id) == s.category_id)
    else {
        return Err(Invalid::one("category_id", "invalid_ref", "所选诉求类别不存在").into());
    };
    if s.sector_id
        .is_some_and(|sector| !routing.sectors.contains(&sector))
    {
        return Err(Invalid::one("sector_id", "invalid_ref", "所选界别不存在").into());
    }
    let mut row = ConcernRow {
        id: 0,
        committee_id,
        code: new_code(),
        title: v.title,
        detail: v.detail,
        category_id: category.id,
        area: v.area,
        sector_id: s.sector_id,
        person_name: v.name,
        phone_enc: v.phone.as_ref().map(|p| app.crypto.seal(p.as_str())),
        phone_index: v.phone.as_ref().map(|p| app.crypto.blind_index(p.as_str())),
        phone_masked: v.phone.as_ref().map(Phone::masked),
        publish: s.publish,
        status: Status::Submitted.code().into(),
        close_reason: None,
        duplicate_of: None,
        referred_unit_id: None,
        studio_id: None,
        member_id: None,
        special_committee_id: None,
        source: origin.code().into(),
        submitted_at: at,
        due_at: rules::due_at(at, category.deadline_days),
        first_reply_at: None,
        answered_at: None,
        resolved_at: None,
        closed_at: None,
        escalated_at: None,
        rating: None,
        rating_comment: None,
        rated_at: None,
        followup_sent_at: None,
        followup_answer: None,
        user_id: user.map(|u| u.user_id),
        idempotency_key: (!key.is_empty()).then(|| key.clone()),
        open311_client_id: match origin {
            Origin::Open311(c) => Some(c),
            _ => None,
        },
        lat: s.lat,
        lon: s.lon,
        updated_at: at,
    };
    // Route at once: the page it came from, else the committee's rules.
    let (target, decided_by, rule_id) = match origin {
        Origin::Studio(id) => (
            Some(Target::Studio(id)),
            "提交页面（工作室）".to_string(),
            None,
        ),
        Origin::Reception(id, _) => (Some(Target::Studio(id)), "工作室接待".to_string(), None),
        Origin::Member(id) => (
            Some(Target::Member(id)),
            "提交页面（委员）".to_string(),
            None,
        ),
        Origin::Online | Origin::Open311(_) => {
            let facts = Facts {
                category_id: row.category_id,
                area: &row.area,
                sector_id: row.sector_id,
            };
            match lianxin_domain::concern::route(&routing.rules, &facts) {
                Some(r) => (Some(r.target), format!("分办规则 #{}", r.id), Some(r.id)),
                None => (None, String::new(), None),
            }
        }
    };
    if let Some(t) = target {
        row.status = rules::apply(Status::Submitted, rules::Step::Assign, at, None)
            .map_err(|e| Error::conflict(e.code, e.message))?
            .code()
            .into();
        assign(&mut row, t);
    }

    let prepared = Prepared {
        assigned_label: target.map(|t| format!("已分派至{}", routing.label(t))),
        responsible: target.and_then(|t| routing.responsible(t)),
        actor: user.cloned().unwrap_or_else(|| system_actor(committee_id)),
        row,
        files: v.files,
        key,
        ip_hash,
        limited,
        origin,
        target,
        decided_by,
        rule_id,
    };
    super::batch::write(app, prepared).await
}

/// A validated, routed concern, ready to be written (alone or with others: group commit).
pub(crate) struct Prepared {
    pub row: ConcernRow,
    files: Vec<(String, &'static str, Vec<u8>)>,
    pub key: String,
    ip_hash: String,
    limited: bool,
    origin: Origin,
    target: Option<Target>,
    decided_by: String,
    rule_id: Option<i64>,
    assigned_label: Option<String>,
    responsible: Option<i64>,
    actor: Actor,
}

/// Why writing one concern did not happen.
pub(crate) enum Fail {
    /// Refused before anything was written for it (the transaction is still good).
    Refused(Error),
    /// The same idempotency key was written by another request.
    Duplicate,
    /// A statement failed: the transaction must be abandoned.
    Abort(Error),
}

impl From<crate::Error> for Fail {
    fn from(e: Error) -> Fail {
        Fail::Abort(e)
    }
}

impl From<lianxin_store::StoreError> for Fail {
    fn from(e: lianxin_store::StoreError) -> Fail {
        Fail::Abort(e.into())
    }
}

/// What a concern written by [`write_rows`] still owes the journal.
pub(crate) struct Written {
    pub done: Submitted,
    events: Vec<(&'static str, serde_json::Value)>,
    submitted: serde_json::Value,
}

/// Write one concern's own rows (concern, attachments, history, notification) into `tx`.
pub(crate) async fn write_rows(
    tx: &mut lianxin_store::Tx,
    p: &mut Prepared,
) -> std::result::Result<Written, Fail> {
    let at = p.row.submitted_at;
    let committee_id = p.row.committee_id;
    if p.limited
        && store::intake_count(&mut tx.conn(), &p.ip_hash, at - Duration::hours(1)).await?
            >= PER_HOUR
    {
        return Err(Fail::Refused(Error::TooMany {
            message: format!("提交过于频繁：每小时最多提交{PER_HOUR}条诉求，请稍后再试"),
            retry_after_secs: 3600,
        }));
    }
    p.row.id = match store::insert(&mut tx.conn(), &p.row).await {
        Ok(id) => id,
        Err(e) if e.unique_violation().is_some() && !p.key.is_empty() => {
            return Err(Fail::Duplicate);
        }
        Err(e) => return Err(e.into()),
    };
    let row = &p.row;
    for (name, mime, bytes) in &p.files {
        store::add_attachment(&mut tx.conn(), row.id, name, mime, bytes, at).await?;
    }
    if p.limited {
        store::log_intake(&mut tx.conn(), &p.ip_hash, at).await?;
    }
    if let Origin::Reception(_, visit) = p.origin
        && !lianxin_store::studios::link_visit_concern(&mut tx.conn(), visit, row.id, at).await?
    {
        return Err(Fail::Abort(Error::conflict(
            "visit.already_concern",
            "该接待记录已转为诉求",
        )));
    }
    let entry = |kind, body, label| store::NewUpdate {
        concern_id: row.id,
        kind,
        public: true,
        body,
        status_after: Some(&row.status),
        actor_user_id: None,
        actor_label: label,
    };
    let mut history = vec![entry("submitted", "诉求已提交", "群众")];
    if let Some(body) = &p.assigned_label {
        history.push(entry("assigned", body, &p.decided_by));
    }
    store::add_updates(&mut tx.conn(), &history, at).await?;
    if let Some(sealed) = &row.phone_enc {
        let body = format!(
            "【连心】您的诉求“{}”已受理，查询码 {}，可在“诉求查询”页面查看办理进展。",
            row.title, row.code
        );
        let msg = NewMessage {
            committee_id,
            channel: "sms",
            recipient_enc: Some(sealed.clone()),
            recipient_masked: row.phone_masked.as_deref().unwrap_or(""),
            subject: "诉求已受理",
            body: &body,
            concern_id: Some(row.id),
        };
        store::queue_message(&mut tx.conn(), &msg, at).await?;
    }
    let submitted = json!({"concern_id": row.id, "category_id": row.category_id, "sector_id": row.sector_id,
        "source": row.source, "attachments": p.files.len()});
    let mut events = vec![("concern.submitted", submitted.clone())];
    if let Some(t) = p.target {
        let payload = json!({"concern_id": row.id, "target": t, "member_id": p.responsible,
            "rule_id": p.rule_id, "decided_by": p.decided_by});
        events.push(("concern.assigned", payload));
    }
    Ok(Written {
        done: Submitted {
            id: row.id,
            code: row.code.clone(),
            repeated: false,
        },
        events,
        submitted,
    })
}

/// The events and audit records of concerns written together, in order, in `tx`.
pub(crate) async fn journal(
    tx: &mut lianxin_store::Tx,
    written: &[(&Prepared, &Written)],
) -> std::result::Result<(), Fail> {
    let mut list: Vec<Pending<'_>> = Vec::new();
    for (p, w) in written {
        for (kind, payload) in &w.events {
            list.push((
                &p.actor,
                p.row.committee_id,
                kind,
                ("concern", p.row.id),
                payload.clone(),
            ));
        }
    }
    events(tx, &list).await?;
    let audits: Vec<(&Actor, Change<'_>)> = written
        .iter()
        .map(|(p, w)| {
            let change = Change {
                committee_id: p.row.committee_id,
                kind: "concern.submitted",
                subject_type: "concern",
                subject_id: p.row.id,
                before: serde_json::Value::Null,
                after: w.submitted.clone(),
            };
            (&p.actor, change)
        })
        .collect();
    record_audits(tx, &audits).await?;
    Ok(())
}

/// Write one concern — rows, history, events and its audit record — into `tx`.
pub(crate) async fn write_one(
    tx: &mut lianxin_store::Tx,
    p: &mut Prepared,
) -> std::result::Result<Submitted, Fail> {
    let w = write_rows(tx, p).await?;
    journal(tx, &[(p, &w)]).await?;
    Ok(w.done)
}

/// What the public form offers: categories (id, name, days), sectors (id, name), known areas.
pub struct FormOptions {
    pub categories: Vec<(i64, String, i64)>,
    pub sectors: Vec<(i64, String)>,
    pub areas: Vec<String>,
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn form_options(app: &App, committee_id: i64) -> Result<FormOptions> {
    let mut conn = app.db.acquire().await?;
    let c = &mut conn.conn();
    let categories = store::categories(c, committee_id)
        .await?
        .into_iter()
        .map(|k| (k.id, k.name, k.deadline_days))
        .collect();
    let sectors =
        lianxin_store::records::all_titles(c, lianxin_domain::schema::Res::Sector, committee_id)
            .await?;
    let mut areas: Vec<String> = store::rules(c, committee_id)
        .await?
        .into_iter()
        .filter_map(|r| r.area)
        .collect();
    areas.sort();
    areas.dedup();
    Ok(FormOptions {
        categories,
        sectors,
        areas,
    })
}
