//! A handling unit's side: it sees only the proposals assigned to it. It may object to an
//! assignment within 10 days, ask once for an extension, send its co-handling opinion to the
//! lead unit, and answer (A/B/C, a letter and an attachment). It never passes a proposal on.

use lianxin_domain::Invalid;
use lianxin_domain::access::{Granted, HandleAssignments};
use lianxin_domain::concern::sniff_attachment;
use lianxin_domain::proposal::{AnswerClass, Step};
use lianxin_store::Tx;
use lianxin_store::concerns::{NewMessage, queue_message};
use lianxin_store::proposals::{self as store, NewNote};
use serde_json::json;

use super::{Loaded, load_with_units, not_found, text};
use crate::journal::begin;
use crate::{App, Error, Result, now};

/// The largest answer attachment.
pub const MAX_ATTACHMENT: usize = 10 * 1024 * 1024;

/// The unit's own id, and the proposal if it is actively assigned to that unit.
pub(crate) async fn load_assigned(
    tx: &mut Tx,
    g: &Granted<HandleAssignments>,
    id: i64,
) -> Result<(Loaded, i64)> {
    let unit = g.actor().handling_unit_id.ok_or_else(not_found)?;
    let l = load_with_units(tx, g.committee_id(), id).await?;
    if !l.units.iter().any(|u| u.handling_unit_id == unit) {
        return Err(not_found());
    }
    Ok((l, unit))
}

async fn note(tx: &mut Tx, id: i64, kind: &str, unit: i64, body: &str, actor: &str) -> Result<()> {
    let n = NewNote {
        proposal_id: id,
        kind,
        handling_unit_id: Some(unit),
        body,
        on_date: None,
        internal: true,
        actor,
    };
    Ok(store::add_note(&mut tx.conn(), &n, now()).await?)
}

async fn tell_office(tx: &mut Tx, l: &Loaded, subject: &str, body: &str) -> Result<()> {
    let msg = NewMessage {
        committee_id: l.row.committee_id,
        channel: "office",
        recipient_enc: None,
        recipient_masked: "提案委员会",
        subject,
        body,
        concern_id: None,
    };
    Ok(queue_message(&mut tx.conn(), &msg, now()).await?)
}

/// Object to the assignment (not our remit) within 10 days; the office then re-assigns.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn object(
    app: &App,
    g: &Granted<HandleAssignments>,
    id: i64,
    reason: &str,
) -> Result<()> {
    let reason = text("reason", "异议理由", reason, 1000)?;
    let mut tx = begin(&app.db).await?;
    let (mut l, unit) = load_assigned(&mut tx, g, id).await?;
    l.step(&Step::Object(unit))?;
    note(
        &mut tx,
        id,
        "objection",
        unit,
        &reason,
        &g.actor().display_name,
    )
    .await?;
    let body = format!(
        "{}对提案“{}”的交办提出异议：{reason}",
        g.actor().display_name,
        l.row.title
    );
    tell_office(&mut tx, &l, "承办单位对交办提出异议", &body).await?;
    l.finish(
        tx,
        g.actor(),
        "proposal.objected",
        json!({"handling_unit_id": unit}),
    )
    .await
}

/// Ask the office for the one extension a proposal may have.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn request_extension(
    app: &App,
    g: &Granted<HandleAssignments>,
    id: i64,
    reason: &str,
) -> Result<()> {
    let reason = text("reason", "延期理由", reason, 1000)?;
    let mut tx = begin(&app.db).await?;
    let (mut l, unit) = load_assigned(&mut tx, g, id).await?;
    l.step(&Step::RequestExtension(unit))?;
    note(
        &mut tx,
        id,
        "extension_request",
        unit,
        &reason,
        &g.actor().display_name,
    )
    .await?;
    let body = format!(
        "{}申请延期办理提案“{}”：{reason}",
        g.actor().display_name,
        l.row.title
    );
    tell_office(&mut tx, &l, "提案延期申请", &body).await?;
    l.finish(
        tx,
        g.actor(),
        "proposal.extension_requested",
        json!({"handling_unit_id": unit}),
    )
    .await
}

/// A co-handling unit sends its opinion to the lead unit.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn co_opinion(
    app: &App,
    g: &Granted<HandleAssignments>,
    id: i64,
    body: &str,
) -> Result<()> {
    let body = text("body", "会办意见", body, 5000)?;
    let mut tx = begin(&app.db).await?;
    let (mut l, unit) = load_assigned(&mut tx, g, id).await?;
    l.step(&Step::CoOpinion(unit))?;
    note(
        &mut tx,
        id,
        "co_opinion",
        unit,
        &body,
        &g.actor().display_name,
    )
    .await?;
    l.finish(
        tx,
        g.actor(),
        "proposal.co_opinion",
        json!({"handling_unit_id": unit}),
    )
    .await
}

/// An answer letter with an optional attachment (PDF or image, recognised by content).
pub struct AnswerInput<'a> {
    pub class: &'a str,
    pub body: &'a str,
    /// (file name, bytes)
    pub attachment: Option<(&'a str, &'a [u8])>,
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn answer(
    app: &App,
    g: &Granted<HandleAssignments>,
    id: i64,
    i: &AnswerInput<'_>,
) -> Result<()> {
    let mut errors = Invalid::default();
    let class = AnswerClass::parse(i.class);
    if class.is_none() {
        errors.push(
            "answer_class",
            "invalid_choice",
            "请选择答复类别（A、B、C）",
        );
    }
    let body = text("body", "答复内容", i.body, 10_000)
        .map_err(|e| {
            if let Error::Invalid(inv) = e {
                errors.0.extend(inv.0)
            }
        })
        .ok();
    let mut file = None;
    if let Some((name, bytes)) = i.attachment.filter(|(_, b)| !b.is_empty()) {
        if bytes.len() > MAX_ATTACHMENT {
            errors.push("attachment", "too_large", "附件不能超过10MB");
        } else if let Some(mime) = sniff_attachment(bytes) {
            let name: String = name.chars().filter(|c| !c.is_control()).take(100).collect();
            file = Some((name, mime, bytes));
        } else {
            errors.push(
                "attachment",
                "bad_type",
                "附件只能是PDF或图片（JPEG、PNG、GIF、WebP）",
            );
        }
    }
    let (Some(class), Some(body), true) = (class, body, errors.is_empty()) else {
        return Err(errors.into());
    };
    let mut tx = begin(&app.db).await?;
    let (mut l, unit) = load_assigned(&mut tx, g, id).await?;
    let h = l.step(&Step::Answer(unit, class))?;
    store::add_answer(
        &mut tx.conn(),
        id,
        unit,
        class.code(),
        &body,
        file.as_ref().map(|(n, m, b)| (n.as_str(), *m, *b)),
        now(),
    )
    .await?;
    if h.status == lianxin_domain::proposal::Status::Answered {
        let msg = NewMessage {
            committee_id: l.row.committee_id,
            channel: "member",
            recipient_enc: None,
            recipient_masked: "提案人",
            subject: "提案已答复",
            body: &format!(
                "您的提案“{}”已答复，请在“我的履职—提案”中查看并评价。",
                l.row.title
            ),
            concern_id: None,
        };
        queue_message(&mut tx.conn(), &msg, now()).await?;
    }
    l.finish(
        tx,
        g.actor(),
        "proposal.answered",
        json!({"handling_unit_id": unit, "class": class.code()}),
    )
    .await
}
