//! The office's side: review (立案 with a number and category, 不予立案 with a reason and
//! optionally converted, 并案), assignment (主办 + 会办, or 分办) and re-assignment after an
//! objection, extensions, key proposals and their oversight, excellent proposals.

use lianxin_domain::Invalid;
use lianxin_domain::access::{Granted, ManageProposals};
use lianxin_domain::proposal::{self as rules, Conversion, OversightKind, Status, Step, UnitRole};
use lianxin_domain::schema::Res;
use lianxin_domain::text::parse_date;
use lianxin_store::concerns::{NewMessage, queue_message};
use lianxin_store::opinions::{self as opinion_store, ReportRow};
use lianxin_store::proposals::{self as store, NewNote};
use lianxin_store::records::existing;
use serde_json::json;

use super::{Loaded, load_with_units, status_of, text};
use crate::journal::begin;
use crate::{App, Error, Result, now};

async fn loaded(
    tx: &mut lianxin_store::Tx,
    g: &Granted<ManageProposals>,
    id: i64,
) -> Result<Loaded> {
    load_with_units(tx, g.committee_id(), id).await
}

/// 立案: a number (the next free one when left empty) and a category.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn accept(
    app: &App,
    g: &Granted<ManageProposals>,
    id: i64,
    number: &str,
    category: &str,
    internal: bool,
) -> Result<()> {
    let category = text("category", "提案类别", category, 30)?;
    let number: Option<i64> = match number.trim() {
        "" => None,
        n => Some(n.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
            Error::from(Invalid::one("number", "invalid_number", "案号须为正整数"))
        })?),
    };
    let mut tx = begin(&app.db).await?;
    let mut l = loaded(&mut tx, g, id).await?;
    l.step(&Step::Accept)?;
    let number = match number {
        Some(n) => n,
        None => store::next_number(&mut tx.conn(), g.committee_id(), l.row.year).await?,
    };
    l.row.number = Some(number);
    l.row.category = Some(category.clone());
    l.row.internal = internal;
    l.row.reviewed_at = Some(now());
    let label = rules::number_label(l.row.year as i32, number);
    let before = store::accepted_as_lead(&mut tx.conn(), &l.row).await?;
    l.finish(
        tx,
        g.actor(),
        "proposal.accepted",
        json!({"number": number, "label": label, "category": category, "lead_accepted_before": before}),
    )
    .await
}

/// 不予立案 with a reason; optionally carried on as an opinion report (submitted for review,
/// with the same authors) or as a letter to a unit for reference.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn not_accept(
    app: &App,
    g: &Granted<ManageProposals>,
    id: i64,
    reason: &str,
    conversion: &str,
    letter_unit: Option<i64>,
) -> Result<()> {
    let reason = text("reason", "不予立案理由", reason, 1000)?;
    let conversion = match conversion.trim() {
        "" | "none" => None,
        c => Some(Conversion::parse(c).ok_or_else(|| {
            Error::from(Invalid::one(
                "conversion",
                "invalid_choice",
                "请选择转化方式",
            ))
        })?),
    };
    let mut tx = begin(&app.db).await?;
    let mut l = loaded(&mut tx, g, id).await?;
    l.step(&Step::NotAccept)?;
    let at = now();
    l.row.review_note = Some(reason.clone());
    l.row.reviewed_at = Some(at);
    l.row.conversion = conversion.map(|c| c.code().to_string());
    let mut converted = None;
    match conversion {
        Some(Conversion::OpinionReport) => {
            let row = &l.row;
            let report = ReportRow {
                id: 0,
                committee_id: row.committee_id,
                member_id: row.member_id,
                status: "submitted".into(),
                author_kind: "member".into(),
                collective_id: None,
                title: row.title.clone(),
                body: format!("{}\n{}", row.cause, row.analysis),
                suggestions: row.suggestions.clone(),
                version: 1,
                submitted_at: Some(at),
                reviewed_at: None,
                level: None,
                review_note: None,
                merged_into: None,
                published_title: None,
                published_body: None,
                bulletin_id: None,
                from_proposal_id: Some(row.id),
                created_at: at,
                updated_at: at,
            };
            let rid = opinion_store::insert(&mut tx.conn(), &report).await?;
            let mut authors = vec![(row.member_id, "lead")];
            for s in store::signers(&mut tx.conn(), row.id).await? {
                if s.status == "accepted" {
                    authors.push((s.member_id, "joint"));
                }
            }
            opinion_store::set_authors(&mut tx.conn(), rid, &authors).await?;
            converted = Some(rid);
        }
        Some(Conversion::Letter) => {
            let Some(unit) = letter_unit else {
                return Err(
                    Invalid::one("letter_unit_id", "required", "请选择转交参考的单位").into(),
                );
            };
            if existing(&mut tx.conn(), Res::HandlingUnit, g.committee_id(), &[unit])
                .await?
                .is_empty()
            {
                return Err(Invalid::one("letter_unit_id", "invalid_ref", "所选单位不存在").into());
            }
            l.row.letter_unit_id = Some(unit);
            let msg = NewMessage {
                committee_id: l.row.committee_id,
                channel: "unit",
                recipient_enc: None,
                recipient_masked: "承办单位",
                subject: "政协委员来信（供参考）",
                body: &format!(
                    "委员提出的“{}”未予立案，现转贵单位参考：{}",
                    l.row.title, l.row.suggestions
                ),
                concern_id: None,
            };
            queue_message(&mut tx.conn(), &msg, at).await?;
        }
        None => {}
    }
    l.finish(
        tx,
        g.actor(),
        "proposal.not_accepted",
        json!({"conversion": conversion.map(|c| c.code()), "opinion_report_id": converted}),
    )
    .await
}

/// 并案: this proposal goes into `into`, which carries on.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn merge(app: &App, g: &Granted<ManageProposals>, id: i64, into: i64) -> Result<()> {
    let mut tx = begin(&app.db).await?;
    let target = super::load(&mut tx, g.committee_id(), into)
        .await
        .map_err(|_| Error::from(Invalid::one("into", "invalid_ref", "并案目标不存在")))?;
    let mut l = loaded(&mut tx, g, id).await?;
    rules::check_merge(id, into, status_of(&target))
        .map_err(|e| Error::conflict(e.code, e.message))?;
    l.step(&Step::Merge)?;
    l.row.merged_into = Some(into);
    l.row.reviewed_at = Some(now());
    l.finish(tx, g.actor(), "proposal.merged", json!({"into": into}))
        .await
}

/// Assign to units — or, after an objection, assign again. `units` are (unit id, role).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn assign(
    app: &App,
    g: &Granted<ManageProposals>,
    id: i64,
    units: &[(i64, &str)],
) -> Result<()> {
    let mut parsed = Vec::new();
    for (unit, role) in units {
        let role = UnitRole::parse(role).ok_or_else(|| {
            Error::from(Invalid::one(
                "units",
                "invalid_choice",
                "请选择主办、会办或分办",
            ))
        })?;
        parsed.push((*unit, role));
    }
    let mut tx = begin(&app.db).await?;
    let ids: Vec<i64> = parsed.iter().map(|u| u.0).collect();
    let mut known = existing(&mut tx.conn(), Res::HandlingUnit, g.committee_id(), &ids).await?;
    known.sort_unstable();
    known.dedup();
    let mut wanted = ids.clone();
    wanted.sort_unstable();
    wanted.dedup();
    if known != wanted {
        return Err(Invalid::one("units", "invalid_ref", "所选承办单位不存在").into());
    }
    let mut l = loaded(&mut tx, g, id).await?;
    let reassign = l.row.status == Status::Assigned.code();
    l.step(&Step::Assign(parsed.clone()))?;
    let at = now();
    let roles: Vec<(i64, &str)> = parsed.iter().map(|(u, r)| (*u, r.code())).collect();
    store::replace_units(&mut tx.conn(), id, &roles, at).await?;
    l.units = store::units(&mut tx.conn(), id).await?;
    let msg = NewMessage {
        committee_id: l.row.committee_id,
        channel: "unit",
        recipient_enc: None,
        recipient_masked: "承办单位",
        subject: "政协提案交办",
        body: &format!(
            "提案“{}”已交贵单位办理，请于{}前答复；如认为不属于本单位职责，请在10日内提出异议。",
            l.row.title,
            l.row
                .due_at
                .map(|d| crate::opinions::bulletins::china(d)
                    .format("%Y-%m-%d")
                    .to_string())
                .unwrap_or_default()
        ),
        concern_id: None,
    };
    queue_message(&mut tx.conn(), &msg, at).await?;
    let units_json: Vec<_> = parsed
        .iter()
        .map(|(u, r)| json!({"handling_unit_id": u, "role": r.code()}))
        .collect();
    let due = l.row.due_at;
    l.finish(
        tx,
        g.actor(),
        if reassign {
            "proposal.reassigned"
        } else {
            "proposal.assigned"
        },
        json!({"units": units_json, "due_at": due}),
    )
    .await
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn approve_extension(app: &App, g: &Granted<ManageProposals>, id: i64) -> Result<()> {
    let mut tx = begin(&app.db).await?;
    let mut l = loaded(&mut tx, g, id).await?;
    l.step(&Step::ApproveExtension)?;
    let due = l.row.due_at;
    let note = NewNote {
        proposal_id: id,
        kind: "extension_approved",
        handling_unit_id: None,
        body: "政协机关批准延期一个月",
        on_date: None,
        internal: false,
        actor: &g.actor().display_name,
    };
    store::add_note(&mut tx.conn(), &note, now()).await?;
    l.finish(
        tx,
        g.actor(),
        "proposal.extension_approved",
        json!({"due_at": due}),
    )
    .await
}

fn check_open(l: &Loaded, what: &str) -> Result<()> {
    if matches!(
        status_of(&l.row),
        Status::Draft | Status::Submitted | Status::NotAccepted | Status::Merged
    ) {
        return Err(Error::conflict(
            "proposal.not_accepted_yet",
            format!("只有已立案的提案才能{what}"),
        ));
    }
    Ok(())
}

/// 重点提案: chosen by the chairpersons' council, overseen by a leader.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn mark_key(
    app: &App,
    g: &Granted<ManageProposals>,
    id: i64,
    leader: &str,
) -> Result<()> {
    let leader = text("leader", "督办领导", leader, 50)?;
    let mut tx = begin(&app.db).await?;
    let mut l = loaded(&mut tx, g, id).await?;
    check_open(&l, "列为重点提案")?;
    if l.row.is_key {
        return Err(Error::conflict(
            "proposal.already_key",
            "该提案已是重点提案",
        ));
    }
    l.row.is_key = true;
    l.row.oversight_leader = Some(leader.clone());
    l.row.updated_at = now();
    l.finish(tx, g.actor(), "proposal.key", json!({"leader": leader}))
        .await
}

/// A visit or a progress note on a key proposal's oversight.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn oversight_note(
    app: &App,
    g: &Granted<ManageProposals>,
    id: i64,
    kind: &str,
    on_date: &str,
    body: &str,
) -> Result<()> {
    let kind = OversightKind::parse(kind).ok_or_else(|| {
        Error::from(Invalid::one(
            "kind",
            "invalid_choice",
            "请选择督办走访或进展情况",
        ))
    })?;
    let on_date = parse_date("on_date", "日期", on_date, true)?.unwrap_or_default();
    let body = text("body", "督办情况", body, 2000)?;
    let mut tx = begin(&app.db).await?;
    let mut l = loaded(&mut tx, g, id).await?;
    if !l.row.is_key {
        return Err(Error::conflict(
            "proposal.not_key",
            "只有重点提案记录督办情况",
        ));
    }
    let note = NewNote {
        proposal_id: id,
        kind: kind.code(),
        handling_unit_id: None,
        body: &body,
        on_date: Some(&on_date),
        internal: true,
        actor: &g.actor().display_name,
    };
    store::add_note(&mut tx.conn(), &note, now()).await?;
    l.row.updated_at = now();
    l.finish(
        tx,
        g.actor(),
        "proposal.oversight_noted",
        json!({"kind": kind.code(), "on_date": on_date}),
    )
    .await
}

/// 优秀提案, at year end: only a proposal that was answered.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn mark_excellent(app: &App, g: &Granted<ManageProposals>, id: i64) -> Result<()> {
    let mut tx = begin(&app.db).await?;
    let mut l = loaded(&mut tx, g, id).await?;
    if !matches!(status_of(&l.row), Status::Answered | Status::Closed) {
        return Err(Error::conflict(
            "proposal.not_answered",
            "只有已答复或已办结的提案才能评为优秀提案",
        ));
    }
    if l.row.is_excellent {
        return Err(Error::conflict(
            "proposal.already_excellent",
            "该提案已评为优秀提案",
        ));
    }
    l.row.is_excellent = true;
    l.row.updated_at = now();
    let year = l.row.year;
    l.finish(tx, g.actor(), "proposal.excellent", json!({"year": year}))
        .await
}
