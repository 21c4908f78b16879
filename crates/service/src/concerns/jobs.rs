//! Work the server does by itself, every few minutes: escalate overdue concerns to the
//! office, and ask 14 days after an answer (with no rating) whether the problem was solved.

use chrono::{DateTime, Duration, Utc};
use lianxin_domain::access::system_actor;
use lianxin_domain::concern::FOLLOW_UP_DAYS;
use lianxin_store::concerns::{self as store, NewMessage};
use serde_json::json;

use super::note;
use crate::journal::{Change, begin, commit};
use crate::{App, Result};

/// Escalate every concern past its deadline; returns how many.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn escalate_overdue(app: &App, at: DateTime<Utc>) -> Result<usize> {
    let due = {
        let mut conn = app.db.acquire().await?;
        store::to_escalate(&mut conn.conn(), at).await?
    };
    let mut done = 0;
    for listed in due {
        let mut tx = begin(&app.db).await?;
        // Read again under the write lock: another run may have escalated it meanwhile.
        let Some(mut row) = store::by_id(&mut tx.conn(), listed.committee_id, listed.id).await?
        else {
            continue;
        };
        if row.escalated_at.is_some() {
            continue;
        }
        row.escalated_at = Some(at);
        row.updated_at = at;
        store::save(&mut tx.conn(), &row).await?;
        note(
            &mut tx.conn(),
            &row,
            "escalated",
            false,
            "已超过办理时限，提交委员会机关督办",
            None,
            "系统",
        )
        .await?;
        let msg = NewMessage {
            committee_id: row.committee_id,
            channel: "office",
            recipient_enc: None,
            recipient_masked: "委员会机关",
            subject: "诉求超期未办结",
            body: &format!("诉求 #{}“{}”已超过办理时限，请督办。", row.id, row.title),
            concern_id: Some(row.id),
        };
        store::queue_message(&mut tx.conn(), &msg, at).await?;
        let member = super::responsible_member(&mut tx.conn(), &row).await?;
        let change = Change {
            committee_id: row.committee_id,
            kind: "concern.escalated",
            subject_type: "concern",
            subject_id: row.id,
            before: json!({"escalated_at": null}),
            after: json!({"concern_id": row.id, "member_id": member, "due_at": row.due_at}),
        };
        commit(tx, &system_actor(row.committee_id), change).await?;
        done += 1;
    }
    Ok(done)
}

/// Ask about every concern answered 14 days ago without a rating; returns how many.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn follow_up(app: &App, at: DateTime<Utc>) -> Result<usize> {
    let due = {
        let mut conn = app.db.acquire().await?;
        store::to_follow_up(&mut conn.conn(), at - Duration::days(FOLLOW_UP_DAYS)).await?
    };
    let mut done = 0;
    for listed in due {
        let mut tx = begin(&app.db).await?;
        // Read again under the write lock: another run may have asked already, or the
        // person rated the answer meanwhile.
        let Some(mut row) = store::by_id(&mut tx.conn(), listed.committee_id, listed.id).await?
        else {
            continue;
        };
        if row.followup_sent_at.is_some() || row.rating.is_some() {
            continue;
        }
        row.followup_sent_at = Some(at);
        row.updated_at = at;
        store::save(&mut tx.conn(), &row).await?;
        note(
            &mut tx.conn(),
            &row,
            "follow_up",
            true,
            "回访：问题解决了吗？请在本页告诉我们。",
            None,
            "系统",
        )
        .await?;
        if let Some(sealed) = &row.phone_enc {
            let msg = NewMessage {
                committee_id: row.committee_id,
                channel: "sms",
                recipient_enc: Some(sealed.clone()),
                recipient_masked: row.phone_masked.as_deref().unwrap_or(""),
                subject: "回访",
                body: &format!(
                    "【连心】您反映的“{}”已答复两周，问题解决了吗？请凭查询码 {} 告诉我们。",
                    row.title, row.code
                ),
                concern_id: Some(row.id),
            };
            store::queue_message(&mut tx.conn(), &msg, at).await?;
        }
        let change = Change {
            committee_id: row.committee_id,
            kind: "concern.follow_up_sent",
            subject_type: "concern",
            subject_id: row.id,
            before: serde_json::Value::Null,
            after: json!({"concern_id": row.id}),
        };
        commit(tx, &system_actor(row.committee_id), change).await?;
        done += 1;
    }
    Ok(done)
}
