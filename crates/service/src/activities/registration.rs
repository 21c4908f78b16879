//! People (界别群众) register for a public activity with name and phone; the phone is sealed
//! and shown masked; the same phone registers once; a full activity puts people on a waiting
//! list and says where they stand.

use lianxin_domain::access::{Actor, system_actor};
use lianxin_domain::activity::{self as rules, RegistrationStatus, Status};
use lianxin_domain::phone::Phone;
use lianxin_store::activities::{self as store, NewRegistration};
use serde_json::json;

use super::{about_with, kind_of, not_found, status_of, text};
use crate::journal::{Change, begin, commit};
use crate::{App, Error, Result, now};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Registered {
    pub status: RegistrationStatus,
    /// The place on the waiting list (1 = next in line), when waitlisted.
    pub place: Option<i64>,
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn register(
    app: &App,
    id: i64,
    name: &str,
    phone: &str,
    user: Option<&Actor>,
) -> Result<Registered> {
    let name = text("name", "姓名", name, 50)?;
    let phone = Phone::parse("phone", phone)?;
    let mut tx = begin(&app.db).await?;
    let a = store::by_id_any(&mut tx.conn(), id)
        .await?
        .ok_or_else(not_found)?;
    if !a.public_registration || status_of(&a) == Status::Draft {
        return Err(not_found());
    }
    if status_of(&a) != Status::Published || a.ends_at <= now() {
        return Err(Error::conflict("registration.closed", "报名已截止"));
    }
    let k = kind_of(&mut tx, &a).await?;
    let taken = store::registered_count(&mut tx.conn(), a.id).await?;
    let status = rules::registration_outcome(a.capacity, taken);
    let reg = NewRegistration {
        activity_id: a.id,
        name: &name,
        phone_enc: app.crypto.seal(phone.as_str()),
        phone_index: app.crypto.blind_index(phone.as_str()),
        phone_masked: phone.masked(),
        status: status.code(),
    };
    let rid = match store::register(&mut tx.conn(), reg, now()).await {
        Ok(rid) => rid,
        Err(e) if e.unique_violation().is_some() => {
            return Err(Error::conflict(
                "registration.duplicate",
                "该手机号已报名本活动，无需重复报名",
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let place = if status == RegistrationStatus::Waitlisted {
        Some(store::waitlist_place(&mut tx.conn(), a.id, rid).await?)
    } else {
        None
    };
    let actor = user
        .cloned()
        .unwrap_or_else(|| system_actor(a.committee_id));
    let change = Change {
        committee_id: a.committee_id,
        kind: "activity.registered",
        subject_type: "activity",
        subject_id: a.id,
        before: json!(null),
        // The person's name and phone stay out of the event stream and the audit trail.
        after: about_with(
            &a,
            &k,
            json!({"registration_id": rid, "status": status.code()}),
        ),
    };
    commit(tx, &actor, change).await?;
    Ok(Registered { status, place })
}
