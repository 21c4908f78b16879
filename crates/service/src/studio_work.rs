//! Studios offline (R3) and services (R6): reception days people can book, the reception
//! log a studio lead keeps (a visit becomes a concern in one step), service offers people
//! book, deliveries the provider records and the people's ratings.

use chrono::{FixedOffset, Utc};
use lianxin_domain::Invalid;
use lianxin_domain::access::{Actor, Granted, RecordReception, RecordService, system_actor};
use lianxin_domain::concern::Rating;
use lianxin_domain::phone::Phone;
use lianxin_domain::text::{parse_date, parse_text};
use lianxin_store::Conn;
use lianxin_store::studios::{
    self as store, BookingRow, NewBooking, NewVisit, OfferRow, ServiceBookingRow, SlotRow, VisitRow,
};
use rand::RngCore;
use serde_json::json;

use crate::concerns::intake::{Origin, Submission, submit};
use crate::journal::{Change, begin, commit};
use crate::{App, Error, Result, now};

/// Today in China (Asia/Shanghai has no daylight saving: UTC+8 all year).
pub fn today() -> String {
    let cn = FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
    Utc::now().with_timezone(&cn).format("%Y-%m-%d").to_string()
}

fn required(field: &str, label: &str, raw: &str, max: usize) -> Result<String> {
    Ok(parse_text(field, label, raw, max, true)?.unwrap_or_default())
}

struct Person {
    name: String,
    phone: Phone,
    note: String,
}

fn person(name: &str, phone: &str, note: &str, note_label: &str) -> Result<Person> {
    let mut e = Invalid::default();
    let name = parse_text("name", "姓名", name, 30, true)
        .map_err(|x| e.0.extend(x.0))
        .ok()
        .flatten();
    let phone = Phone::parse("phone", phone)
        .map_err(|x| e.0.extend(x.0))
        .ok();
    let note = parse_text("topic", note_label, note, 500, true)
        .map_err(|x| e.0.extend(x.0))
        .ok()
        .flatten();
    match (name, phone, note) {
        (Some(name), Some(phone), Some(note)) if e.is_empty() => Ok(Person { name, phone, note }),
        _ => Err(e.into()),
    }
}

fn booking<'a>(app: &App, p: &'a Person, index: &'a str, masked: &'a str) -> NewBooking<'a> {
    NewBooking {
        person_name: &p.name,
        phone_enc: app.crypto.seal(p.phone.as_str()),
        phone_index: index,
        phone_masked: masked,
        note: &p.note,
    }
}

/// A studio's reception slots from today on, with how many places are booked.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn upcoming_slots(app: &App, committee_id: i64, studio_id: i64) -> Result<Vec<SlotRow>> {
    let mut conn = app.db.acquire().await?;
    Ok(store::slots(&mut conn.conn(), committee_id, studio_id, &today()).await?)
}

/// A person books a place at a reception.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn book_reception(
    app: &App,
    committee_id: i64,
    slot_id: i64,
    name: &str,
    phone: &str,
    topic: &str,
) -> Result<()> {
    let p = person(name, phone, topic, "想反映的事项")?;
    let index = app.crypto.blind_index(p.phone.as_str());
    let masked = p.phone.masked();
    let mut tx = begin(&app.db).await?;
    let slot = store::slot(&mut tx.conn(), committee_id, slot_id)
        .await?
        .ok_or_else(|| Error::not_found("reception_slot.not_found", "未找到该接待时段"))?;
    if slot.day < today() {
        return Err(Error::conflict("reception.past", "该接待时段已经过去"));
    }
    if slot.booked >= slot.capacity {
        return Err(Error::conflict(
            "reception.full",
            "该时段已约满，请选择其他时段",
        ));
    }
    let id = match store::add_reception_booking(
        &mut tx.conn(),
        slot_id,
        &booking(app, &p, &index, &masked),
        now(),
    )
    .await
    {
        Ok(id) => id,
        Err(e) if e.unique_violation().is_some() => {
            return Err(Error::conflict(
                "reception.already_booked",
                "该手机号已预约此时段",
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let change = Change {
        committee_id,
        kind: "reception.booked",
        subject_type: "reception_slot",
        subject_id: slot_id,
        before: serde_json::Value::Null,
        after: json!({"booking_id": id, "studio_id": slot.studio_id, "member_id": slot.member_id, "phone": masked}),
    };
    commit(tx, &system_actor(committee_id), change).await?;
    Ok(())
}

/// The studios whose log this person keeps: the office all of them, a studio lead their own.
async fn may_record(c: &mut Conn<'_>, actor: &Actor, studio_id: i64) -> Result<bool> {
    use lianxin_domain::access::ManageOrganisation;
    if actor.can::<ManageOrganisation>() {
        return Ok(!lianxin_store::records::existing(
            c,
            lianxin_domain::schema::Res::Studio,
            actor.committee_id,
            &[studio_id],
        )
        .await?
        .is_empty());
    }
    let Some(member) = actor.member_id else {
        return Ok(false);
    };
    Ok(store::studios_led_by(c, actor.committee_id, member)
        .await?
        .contains(&studio_id))
}

fn studio_not_found() -> Error {
    Error::not_found("studio.not_found", "未找到该委员工作室")
}

/// The studios a studio lead keeps the log of (the office: none listed here; it uses the office pages).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn my_studios(app: &App, actor: &Actor) -> Result<Vec<i64>> {
    let Some(member) = actor.member_id else {
        return Ok(vec![]);
    };
    let mut conn = app.db.acquire().await?;
    Ok(store::studios_led_by(&mut conn.conn(), actor.committee_id, member).await?)
}

/// The reception log of a studio: visits, bookings and the duty rota.
pub struct Log {
    pub visits: Vec<VisitRow>,
    pub bookings: Vec<BookingRow>,
    pub slots: Vec<SlotRow>,
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn log(app: &App, g: &Granted<RecordReception>, studio_id: i64) -> Result<Log> {
    let mut conn = app.db.acquire().await?;
    let c = &mut conn.conn();
    if !may_record(c, g.actor(), studio_id).await? {
        return Err(studio_not_found());
    }
    Ok(Log {
        visits: store::visits(c, g.committee_id(), studio_id).await?,
        bookings: store::reception_bookings(c, g.committee_id(), studio_id).await?,
        slots: store::slots(c, g.committee_id(), studio_id, "0000-00-00").await?,
    })
}

pub struct VisitInput<'a> {
    pub visited_on: &'a str,
    pub member_id: Option<i64>,
    pub visitor: &'a str,
    pub topic: &'a str,
    pub summary: &'a str,
    pub outcome: &'a str,
}

/// Record an offline visit in the studio's reception log (接待台账).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn log_visit(
    app: &App,
    g: &Granted<RecordReception>,
    studio_id: i64,
    v: &VisitInput<'_>,
) -> Result<i64> {
    let mut e = Invalid::default();
    let day = parse_date("visited_on", "接待日期", v.visited_on, true)
        .map_err(|x| e.0.extend(x.0))
        .ok()
        .flatten();
    let visitor = parse_text("visitor", "来访人", v.visitor, 30, false)
        .map_err(|x| e.0.extend(x.0))
        .ok()
        .flatten();
    let topic = parse_text("topic", "反映事项", v.topic, 100, true)
        .map_err(|x| e.0.extend(x.0))
        .ok()
        .flatten();
    let summary = parse_text("summary", "接待情况", v.summary, 2000, true)
        .map_err(|x| e.0.extend(x.0))
        .ok()
        .flatten();
    let outcome = parse_text("outcome", "处理结果", v.outcome, 200, false)
        .map_err(|x| e.0.extend(x.0))
        .ok()
        .flatten();
    let (Some(day), Some(topic), Some(summary), true) = (day, topic, summary, e.is_empty()) else {
        return Err(e.into());
    };
    let actor = g.actor();
    let mut tx = begin(&app.db).await?;
    if !may_record(&mut tx.conn(), actor, studio_id).await? {
        return Err(studio_not_found());
    }
    let member = match v.member_id.or(actor.member_id) {
        Some(m)
            if !lianxin_store::records::existing(
                &mut tx.conn(),
                lianxin_domain::schema::Res::Member,
                actor.committee_id,
                &[m],
            )
            .await?
            .is_empty() =>
        {
            Some(m)
        }
        Some(_) => return Err(Invalid::one("member_id", "invalid_ref", "所选委员不存在").into()),
        None => None,
    };
    let visit = NewVisit {
        studio_id,
        member_id: member,
        visited_on: &day,
        visitor: visitor.as_deref(),
        topic: &topic,
        summary: &summary,
        outcome: outcome.as_deref(),
    };
    let id = store::add_visit(&mut tx.conn(), actor.committee_id, &visit, now()).await?;
    let change = Change {
        committee_id: actor.committee_id,
        kind: "reception.held",
        subject_type: "reception_visit",
        subject_id: id,
        before: serde_json::Value::Null,
        after: json!({"visit_id": id, "studio_id": studio_id, "member_id": member, "visited_on": day}),
    };
    commit(tx, actor, change).await?;
    Ok(id)
}

/// Turn a logged visit into a concern routed to the studio, in one step. Returns its code.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn visit_to_concern(
    app: &App,
    g: &Granted<RecordReception>,
    visit_id: i64,
    category_id: Option<i64>,
    area: &str,
) -> Result<String> {
    let actor = g.actor();
    let visit = {
        let mut conn = app.db.acquire().await?;
        let v = store::visit(&mut conn.conn(), actor.committee_id, visit_id)
            .await?
            .ok_or_else(|| Error::not_found("visit.not_found", "未找到该接待记录"))?;
        if !may_record(&mut conn.conn(), actor, v.studio_id).await? {
            return Err(Error::not_found("visit.not_found", "未找到该接待记录"));
        }
        v
    };
    if visit.concern_id.is_some() {
        return Err(Error::conflict(
            "visit.already_concern",
            "该接待记录已转为诉求",
        ));
    }
    let s = Submission {
        title: visit.topic.clone(),
        detail: visit.summary.clone(),
        category_id,
        area: area.to_string(),
        name: visit.visitor.clone().unwrap_or_default(),
        ..Submission::default()
    };
    let done = submit(
        app,
        actor.committee_id,
        s,
        Origin::Reception(visit.studio_id, visit.id),
        "",
        Some(actor),
    )
    .await?;
    Ok(done.code)
}

fn new_code() -> String {
    let mut b = [0u8; lianxin_domain::concern::CODE_LEN];
    rand::rng().fill_bytes(&mut b);
    lianxin_domain::concern::code_from_random(&b)
}

/// A person books a service; returns the code that lets them rate it later.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn book_service(
    app: &App,
    committee_id: i64,
    offer_id: i64,
    name: &str,
    phone: &str,
    note: &str,
) -> Result<String> {
    let p = person(name, phone, note, "需求说明")?;
    let index = app.crypto.blind_index(p.phone.as_str());
    let masked = p.phone.masked();
    let mut tx = begin(&app.db).await?;
    let offer = offer_or_404(&mut tx.conn(), committee_id, offer_id).await?;
    if !offer.active {
        return Err(Error::conflict("service.closed", "该服务项目暂停预约"));
    }
    let code = new_code();
    let id = store::add_service_booking(
        &mut tx.conn(),
        offer_id,
        &code,
        &booking(app, &p, &index, &masked),
        now(),
    )
    .await?;
    let change = Change {
        committee_id,
        kind: "service.booked",
        subject_type: "service_offer",
        subject_id: offer_id,
        before: serde_json::Value::Null,
        after: json!({"booking_id": id, "studio_id": offer.studio_id, "member_id": offer.provider_member_id}),
    };
    commit(tx, &system_actor(committee_id), change).await?;
    Ok(code)
}

async fn offer_or_404(c: &mut Conn<'_>, committee_id: i64, id: i64) -> Result<OfferRow> {
    store::offer(c, committee_id, id)
        .await?
        .ok_or_else(|| Error::not_found("service_offer.not_found", "未找到该服务项目"))
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn service_booking(app: &App, code: &str) -> Result<ServiceBookingRow> {
    let not_found = || Error::not_found("service_booking.not_found", "未找到该预约");
    if !lianxin_domain::concern::looks_like_code(code) {
        return Err(not_found());
    }
    let mut conn = app.db.acquire().await?;
    store::service_booking_by_code(&mut conn.conn(), code)
        .await?
        .ok_or_else(not_found)
}

/// The person rates the service they booked (once).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn rate_service(app: &App, code: &str, rating: &str, comment: &str) -> Result<()> {
    let rating = Rating::parse(rating)
        .ok_or_else(|| Invalid::one("rating", "invalid_choice", "请选择满意、基本满意或不满意"))?;
    let comment = parse_text("comment", "评价意见", comment, 1000, false)?.unwrap_or_default();
    let b = service_booking(app, code).await?;
    if b.rating.is_some() {
        return Err(Error::conflict("service.already_rated", "您已评价过此服务"));
    }
    let mut tx = begin(&app.db).await?;
    let offer = offer_or_404(&mut tx.conn(), b.committee_id, b.offer_id).await?;
    store::rate_service_booking(&mut tx.conn(), b.id, rating.code(), &comment, now()).await?;
    let change = Change {
        committee_id: b.committee_id,
        kind: "service.rated",
        subject_type: "service_offer",
        subject_id: b.offer_id,
        before: serde_json::Value::Null,
        after: json!({"booking_id": b.id, "rating": rating, "member_id": offer.provider_member_id}),
    };
    commit(tx, &system_actor(b.committee_id), change).await?;
    Ok(())
}

/// Who may record deliveries of an offer: the office, its provider, its studio's lead.
async fn may_deliver(c: &mut Conn<'_>, actor: &Actor, offer: &OfferRow) -> Result<bool> {
    use lianxin_domain::access::ManageOrganisation;
    if actor.can::<ManageOrganisation>() {
        return Ok(true);
    }
    let Some(member) = actor.member_id else {
        return Ok(false);
    };
    Ok(offer.provider_member_id == Some(member)
        || store::studios_led_by(c, actor.committee_id, member)
            .await?
            .contains(&offer.studio_id))
}

/// The provider records what was delivered, to how many people.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn record_delivery(
    app: &App,
    g: &Granted<RecordService>,
    offer_id: i64,
    day: &str,
    people: &str,
    summary: &str,
) -> Result<i64> {
    let mut e = Invalid::default();
    let day = parse_date("delivered_on", "服务日期", day, true)
        .map_err(|x| e.0.extend(x.0))
        .ok()
        .flatten();
    let people = match people.trim().parse::<i64>() {
        Ok(n) if (1..=100_000).contains(&n) => Some(n),
        _ => {
            e.push(
                "people_count",
                "out_of_range",
                "服务人数应为1到100000之间的整数",
            );
            None
        }
    };
    let summary = required("summary", "服务内容", summary, 2000)
        .map_err(|x| {
            if let Error::Invalid(i) = x {
                e.0.extend(i.0)
            }
        })
        .ok();
    let (Some(day), Some(people), Some(summary), true) = (day, people, summary, e.is_empty())
    else {
        return Err(e.into());
    };
    let actor = g.actor();
    let mut tx = begin(&app.db).await?;
    let offer = offer_or_404(&mut tx.conn(), actor.committee_id, offer_id).await?;
    if !may_deliver(&mut tx.conn(), actor, &offer).await? {
        return Err(Error::not_found(
            "service_offer.not_found",
            "未找到该服务项目",
        ));
    }
    let id = store::add_delivery(
        &mut tx.conn(),
        offer_id,
        &day,
        people,
        &summary,
        actor.user_id,
        now(),
    )
    .await?;
    let change = Change {
        committee_id: actor.committee_id,
        kind: "service.delivered",
        subject_type: "service_offer",
        subject_id: offer_id,
        before: serde_json::Value::Null,
        after: json!({"delivery_id": id, "studio_id": offer.studio_id, "member_id": offer.provider_member_id.or(actor.member_id), "people": people, "kind": offer.kind}),
    };
    commit(tx, actor, change).await?;
    Ok(id)
}

/// (id, name).
pub type Named = (i64, String);

/// One delivery of a service: (delivered on, people, summary).
pub type Delivery = (String, i64, String);

/// An offer's bookings and deliveries, for its provider or the office.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn offer_work(
    app: &App,
    g: &Granted<RecordService>,
    offer_id: i64,
) -> Result<(OfferRow, Vec<ServiceBookingRow>, Vec<Delivery>)> {
    let mut conn = app.db.acquire().await?;
    let c = &mut conn.conn();
    let offer = offer_or_404(c, g.committee_id(), offer_id).await?;
    if !may_deliver(c, g.actor(), &offer).await? {
        return Err(Error::not_found(
            "service_offer.not_found",
            "未找到该服务项目",
        ));
    }
    let bookings = store::service_bookings(c, offer_id).await?;
    let deliveries = store::deliveries(c, offer_id).await?;
    Ok((offer, bookings, deliveries))
}

/// What a member's own page links to: studios they lead (id, name) and offers they serve.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn my_work(app: &App, actor: &Actor) -> Result<(Vec<Named>, Vec<Named>)> {
    let Some(member) = actor.member_id else {
        return Ok((vec![], vec![]));
    };
    let mut conn = app.db.acquire().await?;
    let c = &mut conn.conn();
    let led = store::studios_led_by(c, actor.committee_id, member).await?;
    let names = lianxin_store::records::titles(
        c,
        lianxin_domain::schema::Res::Studio,
        actor.committee_id,
        &led,
    )
    .await?;
    let studios = led
        .iter()
        .map(|id| (*id, names.get(id).cloned().unwrap_or_default()))
        .collect();
    let offers = store::offers_of_member(c, actor.committee_id, member).await?;
    Ok((studios, offers))
}
