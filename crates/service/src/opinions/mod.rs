//! Opinion reports (社情民意信息, R5): members draft and submit; the office reviews (adopt at a
//! level, decline, merge, return), edits for publication, compiles the bulletin, forwards,
//! records leaders' instructions and units' feedback; the outcome flows back to the authors
//! and to the people whose concerns the report grew from.

pub mod bulletins;
pub mod drafting;
pub mod review;
pub mod views;

use lianxin_domain::opinion::{self as rules, Status, Step};
use lianxin_domain::text::parse_text;
use lianxin_store::Tx;
use lianxin_store::opinions::{self as store, ReportRow};
use serde_json::{Value, json};

use crate::journal::{Change, commit};
use crate::{Error, Result, now};

pub fn not_found() -> Error {
    Error::not_found("opinion.not_found", "未找到该社情民意信息")
}

pub(crate) fn status_of(row: &ReportRow) -> Status {
    Status::parse(&row.status).unwrap_or(Status::Draft)
}

/// Move `row` by `step`, or refuse with the machine's reason (409).
pub(crate) fn advance(row: &mut ReportRow, step: Step) -> Result<Status> {
    let next =
        rules::apply(status_of(row), step).map_err(|e| Error::conflict(e.code, e.message))?;
    row.status = next.code().into();
    row.updated_at = now();
    Ok(next)
}

pub(crate) async fn load(tx: &mut Tx, committee_id: i64, id: i64) -> Result<ReportRow> {
    store::by_id(&mut tx.conn(), committee_id, id)
        .await?
        .ok_or_else(not_found)
}

/// A report as the office may see it: one that was submitted at least once. A draft is its
/// authors' alone, so to anyone else it does not exist (404, like another committee's).
pub(crate) async fn load_submitted(tx: &mut Tx, committee_id: i64, id: i64) -> Result<ReportRow> {
    let row = load(tx, committee_id, id).await?;
    if status_of(&row) == Status::Draft {
        return Err(not_found());
    }
    Ok(row)
}

/// Every author with their role, as events name them (the duty log scores from this).
pub(crate) async fn authors_json(tx: &mut Tx, row: &ReportRow) -> Result<Value> {
    let authors = store::authors(&mut tx.conn(), row.id).await?;
    Ok(Value::Array(
        authors
            .into_iter()
            .map(|(member_id, _, role)| json!({"member_id": member_id, "role": role}))
            .collect(),
    ))
}

/// Save the row, write the event (naming the authors) and the audit record, commit.
pub(crate) async fn finish(
    mut tx: Tx,
    actor: &lianxin_domain::access::Actor,
    row: &ReportRow,
    kind: &str,
    before: &str,
    extra: Value,
) -> Result<()> {
    store::save(&mut tx.conn(), row).await?;
    let mut payload = json!({
        "report_id": row.id,
        "status": row.status,
        "author_kind": row.author_kind,
        "authors": authors_json(&mut tx, row).await?,
    });
    if let (Some(obj), Value::Object(more)) = (payload.as_object_mut(), extra) {
        obj.extend(more);
    }
    let change = Change {
        committee_id: row.committee_id,
        kind,
        subject_type: "opinion_report",
        subject_id: row.id,
        before: json!({"status": before}),
        after: payload,
    };
    commit(tx, actor, change).await?;
    Ok(())
}

pub(crate) fn text(field: &str, label: &str, raw: &str, max: usize) -> Result<String> {
    Ok(parse_text(field, label, raw, max, true)?.unwrap_or_default())
}

pub(crate) fn optional(field: &str, label: &str, raw: &str, max: usize) -> Result<Option<String>> {
    Ok(parse_text(field, label, raw, max, false)?)
}
