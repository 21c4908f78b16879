//! A committee's scoring rules per year, as a readable TOML file the office uploads or edits
//! (R9): validated with line-numbered errors before anything is saved, and frozen with the
//! year's scores when the year is closed.

use lianxin_domain::Invalid;
use lianxin_domain::access::{Granted, ManageDutyYear};
use lianxin_domain::scoring::RuleSet;
use lianxin_store::journal as journal_store;
use lianxin_store::scoring_rules::{self as store, RulesRow, SnapshotRow};
use serde_json::json;

use super::CONSUMER;
use super::scores::{no_rules, rules_of, scores_of_year};
use crate::journal::{Change, begin, commit};
use crate::{App, Error, Result, now};

/// The rules page of a year: what is in force (or, for a year without rules, the published
/// default as a starting point) and whether the year is closed.
pub struct RulesView {
    pub year: i64,
    pub source: String,
    pub saved: Option<RulesRow>,
    /// Other years with rules, newest first.
    pub years: Vec<RulesRow>,
}

impl RulesView {
    pub fn closed(&self) -> bool {
        self.saved.as_ref().is_some_and(|r| r.closed_at.is_some())
    }
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn view(app: &App, g: &Granted<ManageDutyYear>, year: i64) -> Result<RulesView> {
    let mut conn = app.db.acquire().await?;
    let saved = store::of_year(&mut conn.conn(), g.committee_id(), year).await?;
    let years = store::years(&mut conn.conn(), g.committee_id()).await?;
    Ok(RulesView {
        year,
        source: saved
            .as_ref()
            .map(|r| r.source.clone())
            .unwrap_or_else(|| RuleSet::default_rules().to_string()),
        saved,
        years,
    })
}

fn year_closed(year: i64) -> Error {
    Error::conflict(
        "scoring.year_closed",
        format!("{year} 年度已关闭，评分规则和积分已冻结，不能再修改"),
    )
}

/// Every problem of a rule file as field errors on `source`, each with its line.
fn invalid(errors: Vec<lianxin_domain::scoring::RuleError>) -> Error {
    let mut out = Invalid::default();
    for e in errors {
        out.push("source", "scoring.invalid_rules", e.to_string());
    }
    out.into()
}

/// Save a year's rules: refused whole when the file has any error or the year is closed.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn save(app: &App, g: &Granted<ManageDutyYear>, year: i64, source: &str) -> Result<()> {
    if source.len() > 200_000 {
        return Err(Invalid::one("source", "too_long", "规则文件过大（上限 200 KB）").into());
    }
    let rules = RuleSet::parse(source).map_err(invalid)?;
    let mut tx = begin(&app.db).await?;
    let before = store::of_year(&mut tx.conn(), g.committee_id(), year).await?;
    if before.as_ref().is_some_and(|r| r.closed_at.is_some()) {
        return Err(year_closed(year));
    }
    let actor = g.actor();
    store::save(
        &mut tx.conn(),
        g.committee_id(),
        year,
        source,
        Some(actor.user_id),
        now(),
    )
    .await?;
    // Every member's kept score follows the new rules at once.
    super::scores::keep_scores(&mut tx.conn(), g.committee_id(), year, None).await?;
    let change = Change {
        committee_id: g.committee_id(),
        kind: "scoring.rules_saved",
        subject_type: "scoring_rules",
        subject_id: year,
        before: json!({"source": before.map(|r| r.source)}),
        after: json!({"year": year, "name": rules.name, "source": source}),
    };
    commit(tx, actor, change).await?;
    Ok(())
}

/// Close a year: the duty log is brought up to date, every member's score is kept as a
/// snapshot, and from then on the rules cannot change and the scores count only what was
/// logged by now. Returns how many members' scores were kept.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn close(app: &App, g: &Granted<ManageDutyYear>, year: i64) -> Result<usize> {
    super::catch_up(app).await?;
    let mut tx = begin(&app.db).await?;
    let c = g.committee_id();
    let Some(y) = rules_of(&mut tx.conn(), c, year).await? else {
        return Err(no_rules(year));
    };
    if y.row.closed_at.is_some() {
        return Err(year_closed(year));
    }
    let upto = journal_store::cursor(&mut tx.conn(), CONSUMER).await?;
    let actor = g.actor();
    let at = now();
    store::close(&mut tx.conn(), c, year, Some(actor.user_id), at, upto).await?;
    // Scored with the cut-off in place, exactly as every page will score the closed year.
    let y = rules_of(&mut tx.conn(), c, year)
        .await?
        .ok_or_else(|| no_rules(year))?;
    let scores = scores_of_year(&mut tx.conn(), c, &y).await?;
    let rows: Vec<SnapshotRow> = scores
        .iter()
        .map(|(id, s, _)| SnapshotRow {
            member_id: *id,
            total_centi: s.total_centi,
            tier: s.tier.clone(),
            passed: s.passed,
        })
        .collect();
    store::snapshot(&mut tx.conn(), c, year, &rows).await?;
    super::scores::save_kept(&mut tx.conn(), c, year, &scores).await?;
    let change = Change {
        committee_id: c,
        kind: "scoring.year_closed",
        subject_type: "scoring_rules",
        subject_id: year,
        before: json!({"closed": false}),
        after: json!({"year": year, "upto_event": upto, "members": rows.len()}),
    };
    commit(tx, actor, change).await?;
    Ok(rows.len())
}
