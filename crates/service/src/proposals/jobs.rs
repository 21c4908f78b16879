//! Proposals past their handling deadline are flagged in every list and escalated to the
//! office once (an outbox message and a `proposal.escalated` event), by the server's jobs.

use chrono::{DateTime, Utc};
use lianxin_domain::access::system_actor;
use lianxin_store::concerns::{NewMessage, queue_message};
use lianxin_store::proposals as store;
use serde_json::json;

use super::load_with_units;
use crate::journal::begin;
use crate::{App, Result};

#[tracing::instrument(level = "debug", skip_all)]
pub async fn escalate_overdue(app: &App, at: DateTime<Utc>) -> Result<usize> {
    let due = {
        let mut conn = app.db.acquire().await?;
        store::to_escalate(&mut conn.conn(), at).await?
    };
    for row in &due {
        let mut tx = begin(&app.db).await?;
        let mut l = load_with_units(&mut tx, row.committee_id, row.id).await?;
        if l.row.escalated_at.is_some() {
            continue;
        }
        l.row.escalated_at = Some(at);
        l.row.updated_at = at;
        let msg = NewMessage {
            committee_id: row.committee_id,
            channel: "office",
            recipient_enc: None,
            recipient_masked: "提案委员会",
            subject: "提案超期未答复",
            body: &format!(
                "提案“{}”（{}）已超过办理期限，请督办。",
                l.row.title,
                l.units
                    .iter()
                    .map(|u| u.unit_name.as_str())
                    .collect::<Vec<_>>()
                    .join("、")
            ),
            concern_id: None,
        };
        queue_message(&mut tx.conn(), &msg, at).await?;
        let units: Vec<i64> = l.units.iter().map(|u| u.handling_unit_id).collect();
        let due_at = l.row.due_at;
        l.finish(
            tx,
            &system_actor(row.committee_id),
            "proposal.escalated",
            json!({"units": units, "due_at": due_at}),
        )
        .await?;
    }
    Ok(due.len())
}
