//! What people see of concerns: the person's status page (never personal data), the staff
//! view, lists with filters, and the office's figures.

use lianxin_domain::access::Public;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use lianxin_domain::access::{Actor, AnswerConcerns, Granted, HandleConcerns};
use lianxin_domain::concern::{self as rules, CloseReason, FollowUp, Rating, Status, Target};
use lianxin_domain::schema::Res;
use lianxin_store::Conn;
use lianxin_store::concerns::{self as store, ConcernRow, Filter, UpdateRow};
use lianxin_store::records::{all_titles, titles};
use lianxin_store::studios;

use super::{not_found, routed_to};
use crate::{App, Result, now};

#[tracing::instrument(level = "debug", skip_all)]
pub async fn target_label(c: &mut Conn<'_>, committee_id: i64, t: Target) -> Result<String> {
    let (res, id, kind) = match t {
        Target::Studio(i) => (Res::Studio, i, ""),
        Target::Member(i) => (Res::Member, i, "委员"),
        Target::SpecialCommittee(i) => (Res::SpecialCommittee, i, ""),
    };
    let name = titles(c, res, committee_id, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default();
    Ok(format!("{name}{kind}"))
}

fn target_of(row: &ConcernRow) -> Option<Target> {
    row.studio_id
        .map(Target::Studio)
        .or(row.member_id.map(Target::Member))
        .or(row.special_committee_id.map(Target::SpecialCommittee))
}

/// A concern as its own page shows it, to the person holding the code.
#[derive(Debug, Clone)]
pub struct PublicView {
    pub code: String,
    pub title: String,
    pub detail: String,
    pub category: String,
    pub status: Status,
    pub submitted_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub overdue: bool,
    pub handled_by: String,
    pub updates: Vec<UpdateRow>,
    pub rating: Option<Rating>,
    pub can_rate: bool,
    pub can_reopen: bool,
    pub follow_up: bool,
    pub follow_up_answer: Option<FollowUp>,
    /// What became of the opinion reports it grew into, in plain words.
    pub reports: Vec<String>,
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn public_view(app: &App, _: Public, code: &str) -> Result<PublicView> {
    let mut conn = app.db.acquire().await?;
    let c = &mut conn.conn();
    let row = super::lookup_code(c, code).await?;
    let status = Status::parse(&row.status).unwrap_or(Status::Submitted);
    let at = now();
    let category = titles(
        c,
        Res::ConcernCategory,
        row.committee_id,
        &[row.category_id],
    )
    .await?
    .remove(&row.category_id)
    .unwrap_or_default();
    let handled_by = match target_of(&row) {
        Some(t) => target_label(c, row.committee_id, t).await?,
        None => "待分派".into(),
    };
    let reopen_ok = rules::apply(status, rules::Step::Reopen, at, row.answered_at).is_ok();
    Ok(PublicView {
        code: row.code.clone(),
        title: row.title.clone(),
        detail: row.detail.clone(),
        category,
        status,
        submitted_at: row.submitted_at,
        due_at: row.due_at,
        overdue: rules::is_overdue(status, row.due_at, at),
        handled_by,
        updates: store::updates(c, row.id, true).await?,
        rating: row.rating.as_deref().and_then(Rating::parse),
        can_rate: matches!(status, Status::Answered | Status::Resolved) && row.rating.is_none(),
        can_reopen: reopen_ok,
        follow_up: row.followup_sent_at.is_some() && row.followup_answer.is_none(),
        follow_up_answer: row.followup_answer.as_deref().and_then(FollowUp::parse),
        reports: crate::opinions::views::outcome_lines(c, row.id).await?,
    })
}

/// A concern as staff and the responsible member see it.
#[derive(Debug, Clone)]
pub struct StaffView {
    pub row: ConcernRow,
    pub status: Status,
    pub category: String,
    pub sector: String,
    pub handled_by: String,
    pub overdue: bool,
    pub updates: Vec<UpdateRow>,
    pub attachments: Vec<(i64, String, String, i64)>,
    pub close_reason: Option<CloseReason>,
}

async fn staff_view(c: &mut Conn<'_>, row: ConcernRow) -> Result<StaffView> {
    let status = Status::parse(&row.status).unwrap_or(Status::Submitted);
    let category = titles(
        c,
        Res::ConcernCategory,
        row.committee_id,
        &[row.category_id],
    )
    .await?
    .remove(&row.category_id)
    .unwrap_or_default();
    let sector = match row.sector_id {
        Some(s) => titles(c, Res::Sector, row.committee_id, &[s])
            .await?
            .remove(&s)
            .unwrap_or_default(),
        None => String::new(),
    };
    let handled_by = match target_of(&row) {
        Some(t) => target_label(c, row.committee_id, t).await?,
        None => "待分派".into(),
    };
    Ok(StaffView {
        status,
        category,
        sector,
        handled_by,
        overdue: rules::is_overdue(status, row.due_at, now()),
        updates: store::updates(c, row.id, false).await?,
        attachments: store::attachments(c, row.id).await?,
        close_reason: row.close_reason.as_deref().and_then(CloseReason::parse),
        row,
    })
}

/// The office's view of any concern of the committee.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn for_office(app: &App, g: &Granted<HandleConcerns>, id: i64) -> Result<StaffView> {
    let mut conn = app.db.acquire().await?;
    let row = store::by_id(&mut conn.conn(), g.committee_id(), id)
        .await?
        .ok_or_else(not_found)?;
    staff_view(&mut conn.conn(), row).await
}

/// A member's view of a concern routed to them; any other concern is not found.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn for_member(app: &App, g: &Granted<AnswerConcerns>, id: i64) -> Result<StaffView> {
    let mut conn = app.db.acquire().await?;
    let row = store::by_id(&mut conn.conn(), g.committee_id(), id)
        .await?
        .ok_or_else(not_found)?;
    if !routed_to(&mut conn.conn(), g.actor(), &row).await? {
        return Err(not_found());
    }
    staff_view(&mut conn.conn(), row).await
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn attachment(
    app: &App,
    actor: &Actor,
    concern_id: i64,
    id: i64,
) -> Result<(String, Vec<u8>)> {
    let mut conn = app.db.acquire().await?;
    let row = store::by_id(&mut conn.conn(), actor.committee_id, concern_id)
        .await?
        .ok_or_else(not_found)?;
    let allowed = actor.can::<HandleConcerns>() || routed_to(&mut conn.conn(), actor, &row).await?;
    if !allowed {
        return Err(not_found());
    }
    store::attachment(&mut conn.conn(), concern_id, id)
        .await?
        .ok_or_else(not_found)
}

/// One line of a list.
#[derive(Debug, Clone)]
pub struct Line {
    pub id: i64,
    pub code: String,
    pub title: String,
    pub category: String,
    pub area: String,
    pub status: Status,
    pub handled_by: String,
    pub submitted_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub overdue: bool,
    pub rating: Option<Rating>,
    pub person: String,
}

#[derive(Debug, Clone)]
pub struct Lines {
    pub lines: Vec<Line>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

async fn lines(
    c: &mut Conn<'_>,
    committee_id: i64,
    f: &Filter,
    page: i64,
    per_page: i64,
) -> Result<Lines> {
    let page = page.max(1);
    let (rows, total) = store::list(c, committee_id, f, per_page, (page - 1) * per_page).await?;
    let cats: HashMap<i64, String> = all_titles(c, Res::ConcernCategory, committee_id)
        .await?
        .into_iter()
        .collect();
    let studio_ids: Vec<i64> = rows.iter().filter_map(|r| r.studio_id).collect();
    let member_ids: Vec<i64> = rows.iter().filter_map(|r| r.member_id).collect();
    let sc_ids: Vec<i64> = rows.iter().filter_map(|r| r.special_committee_id).collect();
    let st = titles(c, Res::Studio, committee_id, &studio_ids).await?;
    let mb = titles(c, Res::Member, committee_id, &member_ids).await?;
    let sc = titles(c, Res::SpecialCommittee, committee_id, &sc_ids).await?;
    let at = now();
    let lines = rows
        .into_iter()
        .map(|r| {
            let status = Status::parse(&r.status).unwrap_or(Status::Submitted);
            let handled_by = match target_of(&r) {
                Some(Target::Studio(i)) => st.get(&i).cloned().unwrap_or_default(),
                Some(Target::Member(i)) => {
                    format!("{}委员", mb.get(&i).cloned().unwrap_or_default())
                }
                Some(Target::SpecialCommittee(i)) => sc.get(&i).cloned().unwrap_or_default(),
                None => "待分派".into(),
            };
            Line {
                id: r.id,
                overdue: rules::is_overdue(status, r.due_at, at),
                category: cats.get(&r.category_id).cloned().unwrap_or_default(),
                rating: r.rating.as_deref().and_then(Rating::parse),
                person: r.person_name.clone().unwrap_or_else(|| "匿名".into())
                    + &r.phone_masked.map(|p| format!(" {p}")).unwrap_or_default(),
                code: r.code,
                title: r.title,
                area: r.area,
                status,
                handled_by,
                submitted_at: r.submitted_at,
                due_at: r.due_at,
            }
        })
        .collect();
    Ok(Lines {
        lines,
        total,
        page,
        per_page,
    })
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn office_list(
    app: &App,
    g: &Granted<HandleConcerns>,
    f: &Filter,
    page: i64,
) -> Result<Lines> {
    let mut conn = app.db.acquire().await?;
    lines(&mut conn.conn(), g.committee_id(), f, page, 30).await
}

/// A member's inbox: concerns routed to them or to their studios.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn inbox(app: &App, g: &Granted<AnswerConcerns>, f: &Filter, page: i64) -> Result<Lines> {
    let actor = g.actor();
    let Some(member) = actor.member_id else {
        return Ok(Lines {
            lines: vec![],
            total: 0,
            page: 1,
            per_page: 30,
        });
    };
    let mut conn = app.db.acquire().await?;
    let studio_ids =
        studios::studios_of_member(&mut conn.conn(), actor.committee_id, member).await?;
    let mut f = f.clone();
    f.inbox = Some((member, studio_ids));
    lines(&mut conn.conn(), actor.committee_id, &f, page, 30).await
}

/// A registered person's own concerns.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn mine(app: &App, actor: &Actor) -> Result<Lines> {
    let mut conn = app.db.acquire().await?;
    let f = Filter {
        user_id: Some(actor.user_id),
        ..Filter::default()
    };
    lines(&mut conn.conn(), actor.committee_id, &f, 1, 100).await
}

/// The office's figures for the concerns a filter selects.
#[derive(Debug, Clone)]
pub struct Figures {
    pub total: usize,
    pub by_status: Vec<(Status, usize)>,
    pub by_category: Vec<(String, usize)>,
    pub overdue: usize,
    /// Mean hours from submission to the first public reply, where there is one.
    pub hours_to_first_reply: Option<f64>,
    /// Mean hours from submission to resolution, where resolved.
    pub hours_to_resolution: Option<f64>,
    pub rated: usize,
    /// Share rated 满意 or 基本满意 — only with at least [`MIN_RATED`] ratings.
    pub satisfaction: Option<f64>,
}

/// Fewer ratings than this say nothing about satisfaction.
pub const MIN_RATED: usize = 5;

pub fn figures_of(
    timings: &[store::Timing],
    categories: &HashMap<i64, String>,
    at: DateTime<Utc>,
) -> Figures {
    let hours = |a: DateTime<Utc>, b: DateTime<Utc>| (b - a).num_seconds() as f64 / 3600.0;
    let mean = |v: Vec<f64>| {
        if v.is_empty() {
            None
        } else {
            Some(v.iter().sum::<f64>() / v.len() as f64)
        }
    };
    let by_status = Status::ALL
        .iter()
        .map(|s| (*s, timings.iter().filter(|t| t.status == s.code()).count()))
        .collect();
    let mut by_category: Vec<(String, usize)> = categories
        .iter()
        .map(|(id, name)| {
            (
                name.clone(),
                timings.iter().filter(|t| t.category_id == *id).count(),
            )
        })
        .filter(|(_, n)| *n > 0)
        .collect();
    by_category.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let ratings: Vec<Rating> = timings
        .iter()
        .filter_map(|t| t.rating.as_deref().and_then(Rating::parse))
        .collect();
    Figures {
        total: timings.len(),
        by_status,
        by_category,
        overdue: timings
            .iter()
            .filter(|t| {
                rules::is_overdue(
                    Status::parse(&t.status).unwrap_or(Status::Submitted),
                    t.due_at,
                    at,
                )
            })
            .count(),
        hours_to_first_reply: mean(
            timings
                .iter()
                .filter_map(|t| t.first_reply_at.map(|r| hours(t.submitted_at, r)))
                .collect(),
        ),
        hours_to_resolution: mean(
            timings
                .iter()
                .filter_map(|t| t.resolved_at.map(|r| hours(t.submitted_at, r)))
                .collect(),
        ),
        rated: ratings.len(),
        satisfaction: (ratings.len() >= MIN_RATED).then(|| {
            ratings.iter().filter(|r| r.is_satisfied()).count() as f64 / ratings.len() as f64
        }),
    }
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn figures(app: &App, g: &Granted<HandleConcerns>, f: &Filter) -> Result<Figures> {
    let mut conn = app.db.acquire().await?;
    let timings = store::timings(&mut conn.conn(), g.committee_id(), f).await?;
    let cats: HashMap<i64, String> =
        all_titles(&mut conn.conn(), Res::ConcernCategory, g.committee_id())
            .await?
            .into_iter()
            .collect();
    Ok(figures_of(&timings, &cats, now()))
}

/// Turn concerns of a member's inbox into an opinion-report draft (the opinion-report work
/// takes it from there). Returns the draft's id.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn draft_opinion_report(
    app: &App,
    g: &Granted<AnswerConcerns>,
    ids: &[i64],
) -> Result<i64> {
    use crate::journal::{Change, begin, commit};
    let actor = g.actor();
    let member = actor.member_id.ok_or_else(not_found)?;
    if ids.is_empty() || ids.len() > 50 {
        return Err(
            lianxin_domain::Invalid::one("concern_ids", "required", "请选择1到50条诉求").into(),
        );
    }
    let mut tx = begin(&app.db).await?;
    let mut rows = Vec::new();
    for id in ids {
        let row = store::by_id(&mut tx.conn(), actor.committee_id, *id)
            .await?
            .ok_or_else(not_found)?;
        if !routed_to(&mut tx.conn(), actor, &row).await? {
            return Err(not_found());
        }
        rows.push(row);
    }
    let title = if rows.len() == 1 {
        format!("关于{}的情况反映", rows[0].title)
    } else {
        format!("关于{}等{}个问题的情况反映", rows[0].title, rows.len())
    };
    let title: String = title.chars().take(100).collect();
    let mut body = String::from("群众反映：\n");
    for r in &rows {
        body.push_str(&format!("\n· {}（{}）：{}\n", r.title, r.area, r.detail));
    }
    let at = now();
    let report = store::add_opinion_draft(
        &mut tx.conn(),
        actor.committee_id,
        member,
        &title,
        &body,
        ids,
        at,
    )
    .await?;
    for r in &rows {
        super::note(
            &mut tx.conn(),
            r,
            "report",
            true,
            "委员已将此诉求整理为社情民意信息",
            Some(actor),
            &actor.display_name,
        )
        .await?;
    }
    let change = Change {
        committee_id: actor.committee_id,
        kind: "opinion.drafted",
        subject_type: "opinion_report",
        subject_id: report,
        before: serde_json::Value::Null,
        after: serde_json::json!({"report_id": report, "member_id": member, "concern_ids": ids}),
    };
    commit(tx, actor, change).await?;
    Ok(report)
}

/// The notification outbox (SMS, e-mail and office messages waiting to be sent).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn outbox(app: &App, g: &Granted<HandleConcerns>) -> Result<Vec<store::MessageRow>> {
    let mut conn = app.db.acquire().await?;
    Ok(store::messages(&mut conn.conn(), g.committee_id(), 200).await?)
}

/// (id, name) lists of where a concern can go: studios, members, special committees, units.
pub type RouteTargets = (
    Vec<(i64, String)>,
    Vec<(i64, String)>,
    Vec<(i64, String)>,
    Vec<(i64, String)>,
);

/// Where the office can route to: studios, members (active), special committees.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn targets(app: &App, committee_id: i64) -> Result<RouteTargets> {
    let mut conn = app.db.acquire().await?;
    let c = &mut conn.conn();
    Ok((
        all_titles(c, Res::Studio, committee_id).await?,
        all_titles(c, Res::Member, committee_id).await?,
        all_titles(c, Res::SpecialCommittee, committee_id).await?,
        all_titles(c, Res::HandlingUnit, committee_id).await?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn timing(status: &str, rating: Option<&str>, reply_hours: Option<i64>) -> store::Timing {
        let at = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        store::Timing {
            status: status.into(),
            category_id: 1,
            submitted_at: at,
            due_at: at + Duration::days(10),
            first_reply_at: reply_hours.map(|h| at + Duration::hours(h)),
            answered_at: None,
            resolved_at: None,
            rating: rating.map(str::to_string),
        }
    }

    #[test]
    fn satisfaction_needs_five_ratings() {
        let cats: HashMap<i64, String> = [(1, "城乡建设".to_string())].into();
        let mut t: Vec<store::Timing> = (0..4)
            .map(|_| timing("answered", Some("satisfied"), Some(2)))
            .collect();
        let at = t[0].submitted_at;
        let f = figures_of(&t, &cats, at);
        assert_eq!((f.rated, f.satisfaction), (4, None));
        t.push(timing("answered", Some("dissatisfied"), Some(4)));
        let f = figures_of(&t, &cats, at);
        assert_eq!(f.satisfaction, Some(0.8));
        assert_eq!(f.hours_to_first_reply, Some(2.4));
        assert_eq!(f.by_category, vec![("城乡建设".to_string(), 5)]);
    }

    #[test]
    fn overdue_counts_only_pending() {
        let cats = HashMap::new();
        let t = vec![
            timing("assigned", None, None),
            timing("answered", None, Some(1)),
        ];
        let late = t[0].due_at + Duration::days(1);
        assert_eq!(figures_of(&t, &cats, late).overdue, 1);
        assert_eq!(figures_of(&t, &cats, t[0].submitted_at).overdue, 0);
        assert_eq!(figures_of(&t, &cats, late).hours_to_resolution, None);
    }
}
