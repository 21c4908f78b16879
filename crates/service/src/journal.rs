//! Finishing a use case: the event and the audit record go into the same transaction as
//! the change, then it commits. Nothing else commits a write transaction.

use lianxin_domain::access::Actor;
use lianxin_store::journal::{NewAudit, NewEvent, append_audit, append_event, append_events};
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
pub async fn begin(db: &Db) -> Result<Tx> {
    Ok(db.begin_write().await?)
}

/// Open the transaction of a use case that only adds rows (see `Db::begin_append`).
pub async fn begin_append(db: &Db) -> Result<Tx> {
    Ok(db.begin_append().await?)
}

/// The events of a use case that emits several (`concern.submitted`, then
/// `concern.assigned`), appended in order in one statement; finish with [`commit_audit`].
pub async fn events(
    tx: &mut Tx,
    actor: &Actor,
    committee_id: i64,
    list: &[(&str, (&str, i64), Value)],
) -> Result<()> {
    tx.lock_journal().await?;
    let rows: Vec<NewEvent<'_>> = list
        .iter()
        .map(|(kind, (subject_type, subject_id), payload)| NewEvent {
            committee_id,
            kind,
            actor_user_id: (actor.user_id > 0).then_some(actor.user_id),
            subject_type,
            subject_id: *subject_id,
            payload: payload.to_string(),
        })
        .collect();
    append_events(&mut tx.conn(), &rows, now()).await?;
    Ok(())
}

/// Record the change (event + audit) and commit, all or nothing.
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
            payload: change.after.to_string(),
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
        || matches!(
            kind,
            "user.logged_in" | "user.logged_out" | "member.phone_viewed" | "member.roster_exported"
        )
}

/// Write the audit record and commit; the use case appended its events with [`event`].
pub async fn commit_audit(mut tx: Tx, actor: &Actor, change: Change<'_>) -> Result<()> {
    record_audit(&mut tx, actor, change).await?;
    tx.commit().await?;
    crate::cache::forget_request_version();
    Ok(())
}

/// Append the audit record of one use case (several may share a transaction: group commit).
pub async fn record_audit(tx: &mut Tx, actor: &Actor, change: Change<'_>) -> Result<()> {
    let head = tx.lock_journal().await?;
    if !leaves_organisation(change.kind) {
        lianxin_store::journal::bump_organisation_version(&mut tx.conn()).await?;
    }
    let at = now();
    let actor_name = format!("{}#{}", actor.username, actor.user_id);
    let subject = format!("{}:{}", change.subject_type, change.subject_id);
    let new_head = append_audit(
        &mut tx.conn(),
        &head,
        &NewAudit {
            at: &at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            actor: &actor_name,
            committee_id: change.committee_id,
            action: change.kind,
            subject: &subject,
            before: &change.before.to_string(),
            after: &change.after.to_string(),
        },
    )
    .await?;
    tx.advance_head(new_head);
    Ok(())
}
