//! Proposals (提案, R13): drafting with co-signers, submission windows, review (立案 / 不予立案
//! / 并案), assignment to handling units, objections, extensions, answers, the proposer's
//! rating and one re-handling, oversight of key proposals, publication and per-unit figures.
//!
//! Each step loads the proposal into the domain's [`Handling`], lets the state machine decide,
//! and writes back what changed — rows, one event naming every author, one audit record — in
//! one transaction.

pub mod drafting;
pub mod jobs;
pub mod review;
pub mod units;
pub mod views;

use chrono::{DateTime, Utc};
use lianxin_domain::access::Actor;
use lianxin_domain::proposal::{
    self as rules, AnswerClass, Handling, Kind, SignerStatus, Status, Step, UnitRole, UnitTask,
};
use lianxin_store::Tx;
use lianxin_store::proposals::{self as store, ProposalRow, UnitRow};
use serde_json::{Value, json};

use crate::journal::{Change, commit};
use crate::{Error, Result, now};

pub fn not_found() -> Error {
    Error::not_found("proposal.not_found", "未找到该提案")
}

pub(crate) async fn load(tx: &mut Tx, committee_id: i64, id: i64) -> Result<ProposalRow> {
    store::by_id(&mut tx.conn(), committee_id, id)
        .await?
        .ok_or_else(not_found)
}

pub(crate) fn status_of(row: &ProposalRow) -> Status {
    Status::parse(&row.status).unwrap_or(Status::Draft)
}

/// The proposal as the state machine sees it.
pub(crate) fn handling_of(row: &ProposalRow, units: &[UnitRow]) -> Handling {
    Handling {
        status: status_of(row),
        units: units
            .iter()
            .map(|u| UnitTask {
                unit_id: u.handling_unit_id,
                role: UnitRole::parse(&u.role).unwrap_or(UnitRole::Co),
                objected: u.objected_at.is_some(),
                opinion_sent: u.opinion_at.is_some(),
                answer: u.answer_class.as_deref().and_then(AnswerClass::parse),
            })
            .collect(),
        assigned_at: row.assigned_at,
        clock_start: row.clock_start,
        due_at: row.due_at,
        extension_requested: row.extension_requested,
        extended: row.extended,
        rehandled: row.rehandled,
    }
}

/// A proposal loaded with its active units, ready for a step.
pub(crate) struct Loaded {
    pub row: ProposalRow,
    pub units: Vec<UnitRow>,
    pub before: String,
}

pub(crate) async fn load_with_units(tx: &mut Tx, committee_id: i64, id: i64) -> Result<Loaded> {
    let row = load(tx, committee_id, id).await?;
    let units = store::units(&mut tx.conn(), id).await?;
    Ok(Loaded {
        before: row.status.clone(),
        row,
        units,
    })
}

impl Loaded {
    /// Apply `step` through the state machine and copy the outcome back onto the rows.
    pub fn step(&mut self, step: &Step) -> Result<Handling> {
        let at = now();
        let h = handling_of(&self.row, &self.units);
        let next = rules::apply(&h, step, at).map_err(|e| Error::conflict(e.code, e.message))?;
        write_back(&mut self.row, &mut self.units, &next, at);
        Ok(next)
    }

    /// Save the proposal and its units, write the event (naming the authors) and commit.
    pub async fn finish(self, mut tx: Tx, actor: &Actor, kind: &str, extra: Value) -> Result<()> {
        store::save(&mut tx.conn(), &self.row).await?;
        for u in &self.units {
            store::save_unit(&mut tx.conn(), u).await?;
        }
        let mut payload = json!({
            "proposal_id": self.row.id,
            "status": self.row.status,
            "kind": self.row.kind,
            "authors": authors_json(&mut tx, &self.row).await?,
        });
        if let (Some(obj), Value::Object(more)) = (payload.as_object_mut(), extra) {
            obj.extend(more);
        }
        let change = Change {
            committee_id: self.row.committee_id,
            kind,
            subject_type: "proposal",
            subject_id: self.row.id,
            before: json!({"status": self.before}),
            after: payload,
        };
        commit(tx, actor, change).await?;
        Ok(())
    }
}

fn write_back(row: &mut ProposalRow, units: &mut [UnitRow], h: &Handling, at: DateTime<Utc>) {
    let was_answered = row.status == Status::Answered.code();
    row.status = h.status.code().into();
    row.assigned_at = h.assigned_at;
    row.clock_start = h.clock_start;
    row.due_at = h.due_at;
    row.extension_requested = h.extension_requested;
    row.extended = h.extended;
    row.rehandled = h.rehandled;
    if h.status == Status::Answered && !was_answered {
        row.answered_at = Some(at);
    }
    row.updated_at = at;
    for u in units.iter_mut() {
        let Some(t) = h.units.iter().find(|t| t.unit_id == u.handling_unit_id) else {
            continue;
        };
        u.objected_at = if t.objected {
            u.objected_at.or(Some(at))
        } else {
            None
        };
        u.opinion_at = if t.opinion_sent {
            u.opinion_at.or(Some(at))
        } else {
            None
        };
        u.answer_class = t.answer.map(|c| c.code().to_string());
        u.answered_at = if t.answer.is_some() {
            u.answered_at.or(Some(at))
        } else {
            None
        };
    }
}

/// The role the lead proposer holds in events: `lead`, or `collective` for a body's proposal.
pub(crate) fn lead_role(row: &ProposalRow) -> &'static str {
    if row.kind == Kind::Collective.code() {
        "collective"
    } else {
        "lead"
    }
}

/// Every author with their role (lead / joint / collective): the duty log scores from this.
pub(crate) async fn authors_json(tx: &mut Tx, row: &ProposalRow) -> Result<Value> {
    let mut list = vec![json!({"member_id": row.member_id, "role": lead_role(row)})];
    for s in store::signers(&mut tx.conn(), row.id).await? {
        if s.status == SignerStatus::Accepted.code() {
            list.push(json!({"member_id": s.member_id, "role": "joint"}));
        }
    }
    if let Some(body) = &row.collective_body {
        list[0]["collective"] = json!({"body": body, "name": row.collective_name});
    }
    Ok(Value::Array(list))
}

pub(crate) fn text(field: &str, label: &str, raw: &str, max: usize) -> Result<String> {
    Ok(lianxin_domain::text::parse_text(field, label, raw, max, true)?.unwrap_or_default())
}

pub(crate) fn optional(field: &str, label: &str, raw: &str, max: usize) -> Result<Option<String>> {
    Ok(lianxin_domain::text::parse_text(
        field, label, raw, max, false,
    )?)
}
