//! Finishing a use case: the event and the audit record go into the same transaction as
//! the change, then it commits. Nothing else commits a write transaction.

use lianxin_domain::access::Actor;
use lianxin_store::journal::{NewAudit, NewEvent, append_event, append_events};
use lianxin_store::{Db, Tx};
use serde_json::Value;

use crate::{Result, now};

/// What a use case did, for the event stream and the audit trail.
pub struct Change<'a> {
    pub committee_id: i64,
    /// `member.created`, `user.password_changed` …
    pub kind: &'a str,
    pub subject_type: &'a str,
    pub subject_id: i64,
    pub before: Value,
    pub after: Value,
}

/// Open the one write transaction of a use case.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn begin(db: &Db) -> Result<Tx> {
    Ok(db.begin_write().await?)
}

/// Open the transaction of a use case that only adds rows (see `Db::begin_append`).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn begin_append(db: &Db) -> Result<Tx> {
    Ok(db.begin_append().await?)
}

/// One event to append: who, in which committee, what, about what, with what payload.
pub type Pending<'a> = (&'a Actor, i64, &'a str, (&'a str, i64), Value);

/// The events of a use case that emits several (`concern.submitted`, then
/// `concern.assigned`) — or of several use cases written together — appended in order in
/// one statement; finish with [`commit_audit`] or [`record_audits`].
#[tracing::instrument(level = "debug", skip_all)]
pub async fn events(tx: &mut Tx, list: &[Pending<'_>]) -> Result<()> {
    tx.lock_journal().await?;
    let rows: Vec<NewEvent<'_>> = list
        .iter()
        .map(
            |(actor, committee_id, kind, (subject_type, subject_id), payload)| NewEvent {
                committee_id: *committee_id,
                kind,
                actor_user_id: (actor.user_id > 0).then_some(actor.user_id),
                subject_type,
                subject_id: *subject_id,
                payload: stored_payload(payload),
            },
        )
        .collect();
    append_events(&mut tx.conn(), &rows, now()).await?;
    Ok(())
}

/// An event is stored in its public form: consumers get what they act on (ids, kinds,
/// roles, statuses), never people's words or personal data, which stay in the audit
/// record of the change (see `domain::disclosure`).
fn stored_payload(payload: &Value) -> String {
    lianxin_domain::disclosure::public_payload(payload).to_string()
}

/// Record the change (event + audit) and commit, all or nothing.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn commit(mut tx: Tx, actor: &Actor, change: Change<'_>) -> Result<i64> {
    tx.lock_journal().await?;
    let at = now();
    let event_id = append_event(
        &mut tx.conn(),
        &NewEvent {
            committee_id: change.committee_id,
            kind: change.kind,
            actor_user_id: (actor.user_id > 0).then_some(actor.user_id),
            subject_type: change.subject_type,
            subject_id: change.subject_id,
            payload: stored_payload(&change.after),
        },
        at,
    )
    .await?;
    commit_audit(tx, actor, change).await?;
    Ok(event_id)
}

/// Changes that never alter the organisation, its categories, rules or keys: they leave the
/// organisation's version alone, so caches of it survive the busy stream of concerns. Any
/// other change bumps it — a kind missing here costs cache hits, never correctness.
fn leaves_organisation(kind: &str) -> bool {
    kind.starts_with("concern.")
        || kind.starts_with("reception.")
        || kind.starts_with("service.")
        || kind.starts_with("opinion.")
        || kind.starts_with("proposal.")
        || kind.starts_with("activity.")
        || kind.starts_with("leave.")
        || kind.starts_with("reading.")
        || kind.starts_with("policy.")
        || kind.starts_with("self_report.")
        || kind.starts_with("duty_report.")
        || kind.starts_with("duty_menu.")
        || kind.starts_with("duty.")
        || kind.starts_with("job.")
        || matches!(
            kind,
            "user.logged_in" | "user.logged_out" | "member.phone_viewed" | "member.roster_exported"
        )
}

/// Write the audit record and commit; the use case appended its events with [`event`].
#[tracing::instrument(level = "debug", skip_all)]
pub async fn commit_audit(mut tx: Tx, actor: &Actor, change: Change<'_>) -> Result<()> {
    record_audit(&mut tx, actor, change).await?;
    tx.commit().await?;
    crate::cache::forget_request_version();
    Ok(())
}

/// Append the audit record of one use case.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn record_audit(tx: &mut Tx, actor: &Actor, change: Change<'_>) -> Result<()> {
    record_audits(tx, &[(actor, change)]).await
}

/// Append the audit records of several use cases written together (group commit), in order.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn record_audits(tx: &mut Tx, list: &[(&Actor, Change<'_>)]) -> Result<()> {
    let head = tx.lock_journal().await?;
    if list.iter().any(|(_, c)| !leaves_organisation(c.kind)) {
        lianxin_store::journal::bump_organisation_version(&mut tx.conn()).await?;
    }
    let at = now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let texts: Vec<(String, String, String, String)> = list
        .iter()
        .map(|(actor, c)| {
            (
                format!("{}#{}", actor.username, actor.user_id),
                format!("{}:{}", c.subject_type, c.subject_id),
                c.before.to_string(),
                c.after.to_string(),
            )
        })
        .collect();
    let records: Vec<NewAudit<'_>> = list
        .iter()
        .zip(&texts)
        .map(|((_, c), (actor, subject, before, after))| NewAudit {
            at: &at,
            actor,
            committee_id: c.committee_id,
            action: c.kind,
            subject,
            before,
            after,
        })
        .collect();
    let key = tx.audit_key()?;
    let new_head =
        lianxin_store::journal::append_audits(&mut tx.conn(), &key, &head, &records).await?;
    tx.advance_head(new_head);
    Ok(())
}
