//! Duty done offline, reported by the member with evidence (a photo, a file or a written
//! account) and logged only when the office — or the member's sector convenor — confirms it;
//! a rejection carries its reason. And corrections: a new entry that reverses (or amends) an
//! earlier one, never an edit in place. Both reach the duty log as events, like all duty.

use chrono::Datelike;
use lianxin_domain::Invalid;
use lianxin_domain::access::{ConfirmDuty, Granted, JoinActivities, ManageDutyYear, Role};
use lianxin_domain::duty::{SELF_REPORTABLE, known_kind};
use lianxin_domain::scoring::EntryRole;
use lianxin_domain::text::parse_date;
use lianxin_store::Conn;
use lianxin_store::duty as log_store;
use lianxin_store::duty_menu::{self as store, NewSelfReport, SelfReportRow};
use lianxin_store::scoring_rules as rules_store;
use serde_json::json;

use super::scores::archive_not_found;
use crate::activities::{optional, text};
use crate::journal::{Change, begin, commit};
use crate::opinions::bulletins::china;
use crate::{App, Error, Result, now};

/// A self-report as typed.
#[derive(Debug, Default)]
pub struct SelfReportInput<'a> {
    pub kind: &'a str,
    pub item_id: Option<i64>,
    pub done_on: &'a str,
    pub description: &'a str,
    pub evidence_note: &'a str,
    /// (file name, content type, bytes)
    pub evidence_file: Option<(&'a str, &'a str, &'a [u8])>,
}

async fn refuse_closed(c: &mut Conn<'_>, committee_id: i64, year: i64) -> Result<()> {
    if rules_store::of_year(c, committee_id, year)
        .await?
        .is_some_and(|r| r.closed_at.is_some())
    {
        return Err(Error::conflict(
            "scoring.year_closed",
            format!("{year} 年度已关闭，积分已冻结，不能再补报或更正"),
        ));
    }
    Ok(())
}

/// Report work done offline; it waits for confirmation.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn report(
    app: &App,
    g: &Granted<JoinActivities>,
    i: &SelfReportInput<'_>,
) -> Result<i64> {
    let me = g.actor().member_id.ok_or_else(archive_not_found)?;
    let mut errors = Invalid::default();
    let kind = known_kind(i.kind.trim()).filter(|k| SELF_REPORTABLE.contains(k));
    if kind.is_none() {
        errors.push(
            "kind",
            "invalid_choice",
            "请选择履职类别（会议、提案等由系统自动记录，无需补报）",
        );
    }
    let done_on = match parse_date("done_on", "履职日期", i.done_on, true) {
        Ok(d) => d,
        Err(e) => {
            errors.0.extend(e.0);
            None
        }
    };
    let today = china(now()).date();
    let date = done_on
        .as_deref()
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    if date.is_some_and(|d| d > today) {
        errors.push("done_on", "in_future", "履职日期不能晚于今天");
    }
    let description = match text("description", "履职内容", i.description, 2_000) {
        Ok(d) => d,
        Err(Error::Invalid(e)) => {
            errors.0.extend(e.0);
            String::new()
        }
        Err(e) => return Err(e),
    };
    let note = match optional("evidence_note", "佐证说明", i.evidence_note, 2_000) {
        Ok(n) => n,
        Err(Error::Invalid(e)) => {
            errors.0.extend(e.0);
            None
        }
        Err(e) => return Err(e),
    };
    let file = i.evidence_file.filter(|(_, _, b)| !b.is_empty());
    if note.is_none() && file.is_none() {
        errors.push(
            "evidence",
            "self_report.no_evidence",
            "请提供佐证：上传照片或文件，或写明佐证说明（如通知文号、见证人）",
        );
    }
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let year = i64::from(date.map(|d| d.year()).unwrap_or(today.year()));
    let mut tx = begin(&app.db).await?;
    refuse_closed(&mut tx.conn(), g.committee_id(), year).await?;
    if let Some(item) = i.item_id {
        store::item(&mut tx.conn(), g.committee_id(), item)
            .await?
            .ok_or_else(|| Error::not_found("duty_menu.not_found", "未找到该履职项目"))?;
    }
    let kind = kind.unwrap_or_default();
    let row = NewSelfReport {
        committee_id: g.committee_id(),
        member_id: me,
        year,
        kind,
        item_id: i.item_id,
        done_on: done_on.as_deref().unwrap_or_default(),
        description: &description,
        evidence_note: note,
        evidence_file: file,
        at: now(),
    };
    let id = store::add_self_report(&mut tx.conn(), &row).await?;
    let change = Change {
        committee_id: g.committee_id(),
        kind: "self_report.submitted",
        subject_type: "self_report",
        subject_id: id,
        before: json!(null),
        after: json!({"member_id": me, "kind": kind, "done_on": row.done_on, "description": description,
                      "evidence_file": file.map(|f| f.0)}),
    };
    commit(tx, g.actor(), change).await?;
    Ok(id)
}

fn not_found() -> Error {
    Error::not_found("self_report.not_found", "未找到该履职补报")
}

/// A report the confirmer may see: of their committee, and for a convenor of their sector.
async fn visible(c: &mut Conn<'_>, g: &Granted<ConfirmDuty>, id: i64) -> Result<SelfReportRow> {
    let r = store::self_report(c, g.committee_id(), id)
        .await?
        .ok_or_else(not_found)?;
    let actor = g.actor();
    if actor.role == Role::Convenor
        && !log_store::same_sector(c, r.member_id, actor.member_id.unwrap_or(0)).await?
    {
        return Err(not_found());
    }
    Ok(r)
}

/// The reports waiting for the confirmer, then the latest decided.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn queue(app: &App, g: &Granted<ConfirmDuty>) -> Result<Vec<SelfReportRow>> {
    let mut conn = app.db.acquire().await?;
    let actor = g.actor();
    let sector_of = (actor.role == Role::Convenor).then_some(actor.member_id.unwrap_or(0));
    Ok(store::self_reports(&mut conn.conn(), g.committee_id(), sector_of).await?)
}

/// Confirm a report (it becomes a duty-log entry) or reject it with a reason. Nobody
/// decides their own.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn decide(
    app: &App,
    g: &Granted<ConfirmDuty>,
    id: i64,
    confirm: bool,
    reason: &str,
) -> Result<()> {
    let actor = g.actor();
    let mut tx = begin(&app.db).await?;
    // Whether the report is theirs to decide comes before what they wrote.
    let r = visible(&mut tx.conn(), g, id).await?;
    let reason = if confirm {
        optional("reason", "意见", reason, 500)?
    } else {
        Some(text("reason", "退回理由", reason, 500)?)
    };
    if actor.member_id == Some(r.member_id) {
        return Err(Error::conflict(
            "self_report.own",
            "不能确认或退回本人报送的履职记录，请由办公室或其他确认人处理",
        ));
    }
    refuse_closed(&mut tx.conn(), g.committee_id(), r.year).await?;
    let status = if confirm { "confirmed" } else { "rejected" };
    if !store::decide(
        &mut tx.conn(),
        id,
        status,
        reason.clone(),
        actor.user_id,
        now(),
    )
    .await?
    {
        return Err(Error::conflict("self_report.decided", "该补报已处理过"));
    }
    let change = Change {
        committee_id: g.committee_id(),
        kind: if confirm {
            "self_report.confirmed"
        } else {
            "self_report.rejected"
        },
        subject_type: "self_report",
        subject_id: id,
        before: json!({"status": "pending"}),
        after: json!({"member_id": r.member_id, "kind": r.kind, "duty_year": r.year, "done_on": r.done_on,
                      "reason": reason}),
    };
    commit(tx, actor, change).await?;
    Ok(())
}

/// The evidence file of a report, for its confirmer.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn evidence(
    app: &App,
    g: &Granted<ConfirmDuty>,
    id: i64,
) -> Result<(String, String, Vec<u8>)> {
    let mut conn = app.db.acquire().await?;
    visible(&mut conn.conn(), g, id).await?;
    store::evidence(&mut conn.conn(), g.committee_id(), id)
        .await?
        .ok_or_else(not_found)
}

/// A correction as typed: reverse the entry, or amend it to another kind or role.
#[derive(Debug, Default)]
pub struct CorrectionInput<'a> {
    pub action: &'a str,
    pub kind: &'a str,
    pub role: &'a str,
    pub reason: &'a str,
}

/// Correct an entry of the log. Returns the member whose entry it was.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn correct(
    app: &App,
    g: &Granted<ManageDutyYear>,
    entry_id: i64,
    i: &CorrectionInput<'_>,
) -> Result<i64> {
    let mut tx = begin(&app.db).await?;
    let not_found = || Error::not_found("duty.entry_not_found", "未找到该履职记录");
    // Whether the entry is in the caller's committee comes before what they wrote.
    let e = log_store::entry(&mut tx.conn(), g.committee_id(), entry_id)
        .await?
        .ok_or_else(not_found)?;
    let reason = text("reason", "更正理由", i.reason, 500)?;
    let amend = match i.action {
        "reverse" => None,
        "amend" => {
            let mut errors = Invalid::default();
            let role = EntryRole::parse(i.role.trim());
            if role.is_none() {
                errors.push("role", "invalid_choice", "请选择角色");
            }
            if !errors.is_empty() {
                return Err(errors.into());
            }
            Some((i.kind.trim(), role))
        }
        _ => {
            return Err(Invalid::one("action", "invalid_choice", "请选择冲销或改为").into());
        }
    };
    refuse_closed(&mut tx.conn(), g.committee_id(), e.year).await?;
    let rows = log_store::of_member(&mut tx.conn(), e.member_id, e.year).await?;
    let already = e.reverses_event != 0
        || rows
            .iter()
            .any(|r| r.reverses_event == e.event_id && r.kind == e.kind);
    if already {
        return Err(Error::conflict(
            "duty.already_corrected",
            "该记录已更正过，请更正新的记录",
        ));
    }
    let amend = match amend {
        Some((kind, role)) => {
            let kind = if kind.is_empty() {
                Some(e.kind.as_str())
            } else {
                known_kind(kind)
            }
            .ok_or_else(|| Error::from(Invalid::one("kind", "invalid_choice", "请选择记分类别")))?;
            let role = role.map(|r| r.code()).unwrap_or("participant");
            if kind == e.kind && role == e.role {
                return Err(
                    Invalid::one("kind", "unchanged", "更正后的类别和角色与原记录相同").into(),
                );
            }
            json!({"kind": kind, "role": role})
        }
        None => json!(null),
    };
    let change = Change {
        committee_id: g.committee_id(),
        kind: "duty.corrected",
        subject_type: "duty_entry",
        subject_id: e.id,
        before: json!({"kind": e.kind, "role": e.role}),
        after: json!({
            "member_id": e.member_id,
            "duty_year": e.year,
            "reverses": {"event_id": e.event_id, "kind": e.kind, "role": e.role, "subject": e.subject,
                         "joint_count": e.joint_count, "joint_index": e.joint_index},
            "amend": amend,
            "reason": reason,
        }),
    };
    commit(tx, g.actor(), change).await?;
    Ok(e.member_id)
}
