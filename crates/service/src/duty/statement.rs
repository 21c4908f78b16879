//! The duty report (述职): drafted by the system from the member's archive — what they did,
//! with numbers — then edited and submitted by the member. Standing members must submit one;
//! the office sees who has.

use std::collections::BTreeMap;

use lianxin_domain::access::{Granted, JoinActivities, ViewOrganisation};
use lianxin_domain::scoring::entry_label;
use lianxin_store::duty as log_store;
use lianxin_store::duty_menu::{self as store, DutyReportRow};
use serde_json::json;

use super::scores::{Archive, archive_not_found, archive_of};
use crate::activities::text;
use crate::journal::{Change, begin, commit};
use crate::{App, Error, Result, now};

/// The draft: the year's work counted by kind, the score and what is still missing.
pub fn draft(a: &Archive) -> String {
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for e in a.entries.iter().filter(|e| e.counts) {
        *kinds.entry(e.entry.kind.as_str()).or_insert(0) += 1;
    }
    let mut out = format!(
        "{}年度，本人认真履行政协委员职责，积极参加政协组织的各项活动，密切联系界别群众。现将履职情况报告如下：\n\n",
        a.year
    );
    if kinds.is_empty() {
        out.push_str("一、本年度系统中尚无履职记录。\n");
    } else {
        out.push_str("一、履职情况（据履职档案统计）\n");
        for (i, (k, n)) in kinds.iter().enumerate() {
            out.push_str(&format!("{}. {}：{} 项\n", i + 1, entry_label(k), n));
        }
    }
    if let Some(s) = &a.score {
        out.push_str(&format!(
            "\n二、履职积分\n按“{}”计，本年度积分 {} 分，等次为{}。",
            a.rules_name,
            s.total_centi as f64 / 100.0,
            s.tier
        ));
        if s.missing.is_empty() {
            out.push_str("已达到“三个一”等基本要求。\n");
        } else {
            out.push_str(&format!("尚未达到：{}。\n", s.missing.join("；")));
        }
    }
    out.push_str("\n三、存在的不足和今后打算\n（请委员本人填写）\n");
    out
}

/// A member's duty report page.
pub struct Statement {
    pub year: i64,
    pub body: String,
    pub status: String,
    pub submitted_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Standing members must submit.
    pub required: bool,
    pub saved: bool,
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn mine(app: &App, g: &Granted<JoinActivities>, year: i64) -> Result<Statement> {
    let me = g.actor().member_id.ok_or_else(archive_not_found)?;
    let mut conn = app.db.acquire().await?;
    let saved = store::duty_report(&mut conn.conn(), me, year).await?;
    let m = log_store::member(&mut conn.conn(), g.committee_id(), me)
        .await?
        .ok_or_else(archive_not_found)?;
    drop(conn);
    let body = match &saved {
        Some(r) => r.body.clone(),
        None => draft(&archive_of(app, g.committee_id(), me, year).await?),
    };
    Ok(Statement {
        year,
        body,
        status: saved
            .as_ref()
            .map(|r| r.status.clone())
            .unwrap_or_else(|| "draft".into()),
        submitted_at: saved.as_ref().and_then(|r| r.submitted_at),
        required: m.is_standing,
        saved: saved.is_some(),
    })
}

/// Save the report, or submit it (after which it cannot change).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn save(
    app: &App,
    g: &Granted<JoinActivities>,
    year: i64,
    body: &str,
    submit: bool,
) -> Result<()> {
    let me = g.actor().member_id.ok_or_else(archive_not_found)?;
    let body = text("body", "述职报告", body, 20_000)?;
    let at = now();
    let row = DutyReportRow {
        member_id: me,
        year,
        body: body.clone(),
        status: if submit { "submitted" } else { "draft" }.into(),
        updated_at: at,
        submitted_at: submit.then_some(at),
    };
    let mut tx = begin(&app.db).await?;
    if !store::save_duty_report(&mut tx.conn(), g.committee_id(), &row).await? {
        return Err(Error::conflict(
            "duty_report.submitted",
            "述职报告已提交，不能再修改",
        ));
    }
    let change = Change {
        committee_id: g.committee_id(),
        kind: if submit {
            "duty_report.submitted"
        } else {
            "duty_report.saved"
        },
        subject_type: "duty_report",
        subject_id: me,
        before: json!(null),
        after: json!({"member_id": me, "year": year, "chars": body.chars().count()}),
    };
    commit(tx, g.actor(), change).await?;
    Ok(())
}

/// A member's line on the office's list of duty reports.
pub struct StatementLine {
    pub member_id: i64,
    pub name: String,
    pub sector: String,
    pub standing: bool,
    pub report: Option<DutyReportRow>,
}

impl StatementLine {
    pub fn submitted(&self) -> bool {
        self.report
            .as_ref()
            .is_some_and(|r| r.status == "submitted")
    }
}

/// Every member with their report of the year, standing members first; a convenor sees
/// their sector.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn all(
    app: &App,
    g: &Granted<ViewOrganisation>,
    year: i64,
) -> Result<Vec<StatementLine>> {
    let mut conn = app.db.acquire().await?;
    let c = &mut conn.conn();
    let reports = store::duty_reports(c, g.committee_id(), year).await?;
    let mut members = log_store::members(c, g.committee_id()).await?;
    let actor = g.actor();
    if actor.role == lianxin_domain::access::Role::Convenor {
        let own = match actor.member_id {
            Some(m) => log_store::member(c, g.committee_id(), m)
                .await?
                .map(|m| m.sector),
            None => None,
        };
        members.retain(|m| Some(&m.sector) == own.as_ref());
    }
    let mut out: Vec<StatementLine> = members
        .into_iter()
        .map(|m| StatementLine {
            report: reports.iter().find(|r| r.member_id == m.id).cloned(),
            member_id: m.id,
            name: m.name,
            sector: m.sector,
            standing: m.is_standing,
        })
        .collect();
    out.sort_by_key(|l| (!l.standing, l.member_id));
    Ok(out)
}
