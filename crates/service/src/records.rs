//! Use cases for the organisation records of R1 (everything but committees, which have
//! their own module): list, get, create, update — for staff and, for public records, for
//! anyone.

use lianxin_domain::access::Public;
use std::sync::Arc;

use lianxin_domain::access::{Granted, ManageOrganisation, ViewOrganisation};
use lianxin_domain::record::{Record, Value};
use lianxin_domain::schema::{Field, Kind, Res, Resource};
use lianxin_domain::{Invalid, access::Actor};
use lianxin_store::records::{self as store, Filter, Stored, Write};
use lianxin_store::{Conn, Param};
use serde_json::Value as Json;

use crate::journal::{Change, begin, commit};
use crate::present::{Audience, Item, load_titles, present};
use crate::{App, Error, Result, now};

pub const MAX_PER_PAGE: i64 = 100;
/// A text filter longer than any stored value of its field can only miss.
pub const MAX_FILTER_CHARS: usize = 200;
/// No list has this many pages; the bound keeps `(page - 1) * per_page` far from overflow.
pub const MAX_PAGE: i64 = 100_000;

#[derive(Debug, Clone, serde::Serialize)]
pub struct Page {
    pub items: Vec<Item>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
    /// The page as an API response body, made once: a cached page is served many times.
    #[serde(skip)]
    pub body: std::sync::OnceLock<Vec<u8>>,
}

impl Page {
    pub fn pages(&self) -> i64 {
        ((self.total + self.per_page - 1) / self.per_page).max(1)
    }
}

/// A list request: filters by field, a search text and the page.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub filters: Vec<Filter>,
    pub page: i64,
    pub per_page: i64,
}

/// Read `?sector_id=3&q=张&page=2` against a resource's filterable fields.
pub fn parse_query(
    res: &'static Resource,
    pairs: &[(String, String)],
) -> std::result::Result<ListQuery, Invalid> {
    let mut errors = Invalid::default();
    let mut q = ListQuery {
        filters: vec![],
        page: 1,
        per_page: 20,
    };
    for (k, v) in pairs {
        // Spaces around a value are forgiven, but not control characters: `str::trim` would
        // also eat U+0085 (a C1 control that is White_Space) and let it pass unseen.
        let v = v.trim_matches(|c: char| c.is_whitespace() && !c.is_control());
        if v.is_empty() {
            continue;
        }
        match k.as_str() {
            "page" => match v.parse::<i64>() {
                Ok(n) if (1..=MAX_PAGE).contains(&n) => q.page = n,
                _ => errors.push(
                    "page",
                    "invalid_page",
                    format!("页码应为1到{MAX_PAGE}之间的整数"),
                ),
            },
            "per_page" => match v.parse::<i64>() {
                Ok(n) if (1..=MAX_PER_PAGE).contains(&n) => q.per_page = n,
                _ => errors.push(
                    "per_page",
                    "invalid_per_page",
                    format!("每页条数应在1到{MAX_PER_PAGE}之间"),
                ),
            },
            "q" => {
                if v.chars().count() > 50 {
                    errors.push("q", "too_long", "搜索词不能超过50个字");
                } else if has_control(v) {
                    errors.push("q", "control_char", "搜索词含有不可见的控制字符");
                } else {
                    q.filters.push(Filter::Search(v.to_string()));
                }
            }
            name => match res.field(name).filter(|f| f.filter) {
                Some(f) => match filter_for(f, v) {
                    Ok(flt) => q.filters.push(flt),
                    Err(e) => errors.0.extend(e.0),
                },
                None => errors.push(name, "unknown_filter", format!("不支持按“{name}”筛选")),
            },
        }
    }
    if errors.is_empty() {
        Ok(q)
    } else {
        Err(errors)
    }
}

/// No stored text holds a control character (the text parser refuses them), so a search or
/// filter with one can only miss — and PostgreSQL cannot even take a NUL in a text parameter.
fn has_control(v: &str) -> bool {
    v.chars().any(char::is_control)
}

fn filter_for(f: &'static Field, v: &str) -> std::result::Result<Filter, Invalid> {
    let bad = || Invalid::one(f.name, "invalid_filter", format!("{}筛选值无效", f.label));
    let int = |min: i64, max: i64| {
        v.parse::<i64>()
            .ok()
            .filter(|n| (min..=max).contains(n))
            .ok_or_else(bad)
    };
    Ok(match f.kind {
        Kind::Ref(_) => Filter::Eq(f.name, Param::Int(int(1, i64::MAX)?)),
        Kind::Int { min, max } => Filter::Eq(f.name, Param::Int(int(min, max)?)),
        Kind::RefMany { .. } => Filter::Has(f, int(1, i64::MAX)?),
        Kind::Bool => Filter::Eq(
            f.name,
            Param::Bool(match v {
                "true" | "1" | "是" => true,
                "false" | "0" | "否" => false,
                _ => return Err(bad()),
            }),
        ),
        Kind::Choice(choices) => {
            let code = choices
                .iter()
                .find(|(c, l)| *c == v || *l == v)
                .map(|(c, _)| *c)
                .ok_or_else(bad)?;
            Filter::Eq(f.name, Param::Text(code.to_string()))
        }
        _ if v.chars().count() > MAX_FILTER_CHARS || has_control(v) => return Err(bad()),
        _ => Filter::Eq(f.name, Param::Text(v.to_string())),
    })
}

pub(crate) fn not_found(res: &Resource) -> Error {
    Error::not_found(
        match res.res {
            Res::Committee => "committee.not_found",
            Res::Term => "term.not_found",
            Res::Sector => "sector.not_found",
            Res::SpecialCommittee => "special_committee.not_found",
            Res::Member => "member.not_found",
            Res::Studio => "studio.not_found",
            Res::HandlingUnit => "handling_unit.not_found",
            Res::EmployerContact => "employer_contact.not_found",
            Res::ConcernCategory => "concern_category.not_found",
            Res::RoutingRule => "routing_rule.not_found",
            Res::ReceptionSlot => "reception_slot.not_found",
            Res::ServiceOffer => "service_offer.not_found",
        },
        format!("未找到该{}", res.label),
    )
}

async fn page_of(
    c: &mut Conn<'_>,
    res: &'static Resource,
    scope: i64,
    q: &ListQuery,
    audience: Audience,
) -> Result<Page> {
    let per_page = if q.per_page == 0 { 20 } else { q.per_page };
    let page = q.page.max(1);
    let (rows, total) =
        store::list(c, res, scope, &q.filters, per_page, (page - 1) * per_page).await?;
    let titles = load_titles(c, res, scope, &rows).await?;
    let items = rows
        .iter()
        .map(|r| present(res, r, &titles, audience))
        .collect();
    Ok(Page {
        items,
        total,
        page,
        per_page,
        body: Default::default(),
    })
}

pub(crate) async fn item(
    c: &mut Conn<'_>,
    res: &'static Resource,
    scope: i64,
    id: i64,
    audience: Audience,
) -> Result<Item> {
    let row = store::get(c, res, scope, id)
        .await?
        .ok_or_else(|| not_found(res))?;
    if audience == Audience::Public && !publicly_visible(res, &row) {
        return Err(not_found(res));
    }
    let titles = load_titles(c, res, scope, std::slice::from_ref(&row)).await?;
    Ok(present(res, &row, &titles, audience))
}

/// Members who have left or are suspended are not shown to the public.
fn publicly_visible(res: &Resource, row: &Stored) -> bool {
    res.public && (res.res != Res::Member || row.text("status") == Some("active"))
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn list(
    app: &App,
    g: &Granted<ViewOrganisation>,
    res: &'static Resource,
    q: &ListQuery,
) -> Result<Arc<Page>> {
    let scope = scope_of(res, g.actor());
    app.cached(cache_key("staff", res, scope, q), || async move {
        let mut conn = app.db.acquire().await?;
        page_of(&mut conn.conn(), res, scope, q, Audience::Staff).await
    })
    .await
}

fn cache_key(audience: &str, res: &Resource, scope: i64, q: &ListQuery) -> String {
    format!(
        "list|{audience}|{}|{scope}|{}|{}|{:?}",
        res.path, q.page, q.per_page, q.filters
    )
}

/// Choices for every reference field of `res` (sectors for a member, …), one query per
/// target, from the committee the grant was given in.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn ref_options(
    app: &App,
    g: &Granted<ViewOrganisation>,
    res: &Resource,
) -> Result<std::collections::HashMap<Res, Vec<(i64, String)>>> {
    let mut out = std::collections::HashMap::new();
    let mut conn = app.db.acquire().await?;
    for f in res.fields {
        let target = match f.kind {
            Kind::Ref(t) => t,
            Kind::RefMany { target, .. } => target,
            _ => continue,
        };
        if let std::collections::hash_map::Entry::Vacant(e) = out.entry(target) {
            e.insert(store::all_titles(&mut conn.conn(), target, g.committee_id()).await?);
        }
    }
    Ok(out)
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn get(
    app: &App,
    g: &Granted<ViewOrganisation>,
    res: &'static Resource,
    id: i64,
) -> Result<Item> {
    staff_item(app, g.actor(), res, id).await
}

/// A record as staff see it, in the actor's committee (another committee's is not found).
async fn staff_item(app: &App, actor: &Actor, res: &'static Resource, id: i64) -> Result<Item> {
    let mut conn = app.db.acquire().await?;
    item(
        &mut conn.conn(),
        res,
        scope_of(res, actor),
        id,
        Audience::Staff,
    )
    .await
}

/// The public directory: only public resources, only public fields, only active members.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn public_list(
    app: &App,
    _: Public,
    committee_id: i64,
    res: &'static Resource,
    q: &ListQuery,
) -> Result<Arc<Page>> {
    if !res.public {
        return Err(not_found(res));
    }
    let mut q = q.clone();
    if res.res == Res::Member {
        q.filters
            .push(Filter::Eq("status", Param::Text("active".into())));
    }
    app.cached(cache_key("public", res, committee_id, &q), || async {
        let mut conn = app.db.acquire().await?;
        page_of(&mut conn.conn(), res, committee_id, &q, Audience::Public).await
    })
    .await
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn public_get(
    app: &App,
    _: Public,
    committee_id: i64,
    res: &'static Resource,
    id: i64,
) -> Result<Item> {
    let mut conn = app.db.acquire().await?;
    item(&mut conn.conn(), res, committee_id, id, Audience::Public).await
}

/// Committees are scoped by their parent; everything else by the owning committee.
pub(crate) fn scope_of(_res: &Resource, actor: &Actor) -> i64 {
    actor.committee_id
}

/// Columns and links to write for a validated record; phones sealed and indexed here.
pub(crate) fn to_write(app: &App, res: &Resource, rec: &Record) -> Write {
    let mut w = Write::default();
    for (name, value) in &rec.0 {
        let Some(f) = res.field(name) else { continue };
        match (&f.kind, value) {
            (Kind::RefMany { .. }, Value::Ids(ids)) => w.links.push((f, ids.clone())),
            (Kind::RefMany { .. }, _) => w.links.push((f, vec![])),
            (Kind::Phone, Value::Phone(p)) => {
                w.columns
                    .push(("phone_enc", Param::Bytes(app.crypto.seal(p.as_str()))));
                w.columns.push((
                    "phone_index",
                    Param::Text(app.crypto.blind_index(p.as_str())),
                ));
                w.columns.push(("phone_masked", Param::Text(p.masked())));
            }
            (Kind::Phone, _) => {
                w.columns.push(("phone_enc", Param::NullBytes));
                w.columns.push(("phone_index", Param::NullText));
                w.columns.push(("phone_masked", Param::NullText));
            }
            (_, Value::Text(s)) => w.columns.push((f.name, Param::Text(s.clone()))),
            (_, Value::Int(n)) => w.columns.push((f.name, Param::Int(*n))),
            (_, Value::Bool(b)) => w.columns.push((f.name, Param::Bool(*b))),
            (Kind::Int { .. } | Kind::Ref(_), _) => w.columns.push((f.name, Param::NullInt)),
            (Kind::Bool, _) => w.columns.push((f.name, Param::Bool(false))),
            (_, _) => w.columns.push((f.name, Param::NullText)),
        }
    }
    w
}

/// Every reference must name a record of the same committee.
pub(crate) async fn check_refs(
    c: &mut Conn<'_>,
    res: &Resource,
    scope: i64,
    rec: &Record,
) -> Result<()> {
    let mut errors = Invalid::default();
    for f in res.fields {
        let (target, ids) = match (&f.kind, rec.get(f.name)) {
            (Kind::Ref(t), Some(Value::Int(id))) => (*t, vec![*id]),
            (Kind::RefMany { target, .. }, Some(Value::Ids(ids))) => (*target, ids.clone()),
            _ => continue,
        };
        let found = store::existing(c, target, scope, &ids).await?;
        if found.len() != ids.len() {
            let missing: Vec<String> = ids
                .iter()
                .filter(|i| !found.contains(i))
                .map(|i| i.to_string())
                .collect();
            errors.push(
                f.name,
                "invalid_ref",
                format!("所选{}不存在（编号 {}）", f.label, missing.join("、")),
            );
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.into())
    }
}

async fn check_duplicate_member(
    app: &App,
    c: &mut Conn<'_>,
    scope: i64,
    rec: &Record,
    except: Option<i64>,
) -> Result<()> {
    let (Some(name), Some(Value::Phone(p))) = (rec.text("name"), rec.get("phone")) else {
        return Ok(());
    };
    let existing =
        store::member_by_name_phone(c, scope, name, Some(&app.crypto.blind_index(p.as_str())))
            .await?;
    match existing {
        Some(id) if Some(id) != except => Err(Error::Conflict {
            code: "member.duplicate",
            message: format!("已有同名同手机号的委员（编号 {id}）"),
            field: Some("name".into()),
        }),
        _ => Ok(()),
    }
}

fn staff_json(item: &Item) -> Json {
    Json::Object(item.json.clone())
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn create(
    app: &App,
    g: &Granted<ManageOrganisation>,
    res: &'static Resource,
    rec: Record,
) -> Result<Item> {
    if res.res == Res::Committee {
        return Err(Error::Forbidden("committees.manage"));
    }
    let scope = g.committee_id();
    let mut tx = begin(&app.db).await?;
    check_refs(&mut tx.conn(), res, scope, &rec).await?;
    if res.res == Res::Member {
        check_duplicate_member(app, &mut tx.conn(), scope, &rec, None).await?;
    }
    let id = store::insert(&mut tx.conn(), res, scope, &to_write(app, res, &rec), now()).await?;
    let after = item(&mut tx.conn(), res, scope, id, Audience::Staff).await?;
    lianxin_domain::schema::check_record(res.res, &after.json)?;
    let kind = format!("{}.created", res.res.code());
    let change = Change {
        committee_id: scope,
        kind: &kind,
        subject_type: res.res.code(),
        subject_id: id,
        before: Json::Null,
        after: staff_json(&after),
    };
    commit(tx, g.actor(), change).await?;
    Ok(after)
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn update(
    app: &App,
    g: &Granted<ManageOrganisation>,
    res: &'static Resource,
    id: i64,
    rec: Record,
) -> Result<Item> {
    if res.res == Res::Committee {
        return Err(Error::Forbidden("committees.manage"));
    }
    let scope = g.committee_id();
    let mut tx = begin(&app.db).await?;
    let before = item(&mut tx.conn(), res, scope, id, Audience::Staff).await?;
    check_refs(&mut tx.conn(), res, scope, &rec).await?;
    if res.res == Res::Member {
        let mut merged = rec.clone();
        if merged.get("name").is_none() {
            merged.set("name", Value::Text(before.title.clone()));
        }
        check_duplicate_member(app, &mut tx.conn(), scope, &merged, Some(id)).await?;
    }
    if !store::update(
        &mut tx.conn(),
        res,
        scope,
        id,
        &to_write(app, res, &rec),
        now(),
    )
    .await?
    {
        return Err(not_found(res));
    }
    let after = item(&mut tx.conn(), res, scope, id, Audience::Staff).await?;
    lianxin_domain::schema::check_record(res.res, &after.json)?;
    let kind = format!("{}.updated", res.res.code());
    let change = Change {
        committee_id: scope,
        kind: &kind,
        subject_type: res.res.code(),
        subject_id: id,
        before: staff_json(&before),
        after: staff_json(&after),
    };
    commit(tx, g.actor(), change).await?;
    Ok(after)
}

/// A member's full phone number, for staff who need to call. The view itself is audited.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn reveal_phone(
    app: &App,
    g: &Granted<lianxin_domain::access::RevealPhone>,
    member_id: i64,
) -> Result<Option<String>> {
    let scope = g.committee_id();
    let mut tx = begin(&app.db).await?;
    let row = store::get(
        &mut tx.conn(),
        &lianxin_domain::schema::MEMBER,
        scope,
        member_id,
    )
    .await?
    .ok_or_else(|| not_found(&lianxin_domain::schema::MEMBER))?;
    let phone = match row.cells.get("phone") {
        Some(store::Cell::Phone {
            sealed: Some(s), ..
        }) => app.crypto.open(s),
        _ => None,
    };
    let change = Change {
        committee_id: scope,
        kind: "member.phone_viewed",
        subject_type: "member",
        subject_id: member_id,
        before: Json::Null,
        after: serde_json::json!({"viewed_by": g.actor().username}),
    };
    commit(tx, g.actor(), change).await?;
    Ok(phone)
}

/// Photos of members: JPEG or PNG, recognised by content, at most 10 MB.
pub fn sniff_image(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else {
        None
    }
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn set_photo(
    app: &App,
    g: &Granted<ManageOrganisation>,
    member_id: i64,
    bytes: &[u8],
) -> Result<()> {
    let mime = sniff_image(bytes).ok_or_else(|| {
        Invalid::one(
            "photo",
            "not_an_image",
            "照片须为 JPEG 或 PNG 图片（按文件内容识别，而非扩展名）",
        )
    })?;
    let scope = g.committee_id();
    let mut tx = begin(&app.db).await?;
    if !store::set_member_photo(&mut tx.conn(), scope, member_id, bytes, mime).await? {
        return Err(not_found(&lianxin_domain::schema::MEMBER));
    }
    let change = Change {
        committee_id: scope,
        kind: "member.photo_changed",
        subject_type: "member",
        subject_id: member_id,
        before: Json::Null,
        after: serde_json::json!({"bytes": bytes.len(), "type": mime}),
    };
    commit(tx, g.actor(), change).await?;
    Ok(())
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn photo(
    app: &App,
    _: Public,
    committee_id: i64,
    member_id: i64,
) -> Result<(Vec<u8>, String)> {
    let mut conn = app.db.acquire().await?;
    let mut c = conn.conn();
    // Only a member the public may see has a public photo.
    item(
        &mut c,
        &lianxin_domain::schema::MEMBER,
        committee_id,
        member_id,
        Audience::Public,
    )
    .await?;
    store::member_photo(&mut c, committee_id, member_id)
        .await?
        .ok_or_else(|| Error::not_found("photo.not_found", "该委员没有照片"))
}

/// Refuse a caller who may not write `res` — or, for an existing record, one not in their
/// committee (404) — before their input is looked at: an answer about the input would tell
/// them what exists.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn check_writable(
    app: &App,
    actor: &Actor,
    res: &'static Resource,
    id: Option<i64>,
) -> Result<()> {
    use lianxin_domain::access::ManageCommittees;
    if res.res == Res::Committee {
        actor.grant::<ManageCommittees>()?;
        return Ok(());
    }
    let g = actor.grant::<ManageOrganisation>()?;
    if let Some(id) = id {
        staff_item(app, g.actor(), res, id).await?;
    }
    Ok(())
}

/// Create (`id` None) or update any organisation record, with the permission its kind needs:
/// committees need `ManageCommittees`, everything else `ManageOrganisation`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn save(
    app: &App,
    actor: &Actor,
    res: &'static Resource,
    id: Option<i64>,
    rec: Record,
) -> Result<Item> {
    use lianxin_domain::access::ManageCommittees;
    match (res.res, id) {
        (Res::Committee, None) => {
            crate::committees::create(app, &actor.grant::<ManageCommittees>()?, rec).await
        }
        (Res::Committee, Some(id)) => {
            crate::committees::update(app, &actor.grant::<ManageCommittees>()?, id, rec).await
        }
        (_, None) => create(app, &actor.grant::<ManageOrganisation>()?, res, rec).await,
        (_, Some(id)) => update(app, &actor.grant::<ManageOrganisation>()?, res, id, rec).await,
    }
}
