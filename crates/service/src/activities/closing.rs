//! After the activity: the closing report (attendee count, organisations, minutes, summary,
//! for a consultation the agreed and open points), which fixes everyone's attendance;
//! follow-up items tracked until done; reading notes; and outcomes turned into an opinion
//! report or a proposal draft in one step.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use lianxin_domain::Invalid;
use lianxin_domain::access::{
    DraftOpinionReports, DraftProposals, Granted, JoinActivities, OrganiseActivities,
};
use lianxin_domain::activity::{self as rules, Attendance, Response, Status};
use lianxin_store::activities::{self as store, ActivityRow};
use serde_json::json;

use super::{
    about_with, is_organiser, kind_of, load, load_organised, member_of, not_found, optional,
    status_of, text,
};
use crate::journal::{Change, begin, commit, events};
use crate::opinions::bulletins::china;
use crate::opinions::drafting::{self as report_drafting, ReportInput};
use crate::proposals::drafting::{self as proposal_drafting, ProposalInput};
use crate::{App, Error, Result, now};

/// The closing report as typed.
#[derive(Debug, Clone, Default)]
pub struct ClosingInput<'a> {
    pub attendee_count: &'a str,
    pub attending_orgs: &'a str,
    pub minutes: &'a str,
    pub summary: &'a str,
    pub agreed_points: &'a str,
    pub open_points: &'a str,
}

/// Close the activity: the report is saved and every invited member's attendance becomes
/// final, each with an `activity.attended{status}` event.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn close(
    app: &App,
    g: &Granted<OrganiseActivities>,
    id: i64,
    i: &ClosingInput<'_>,
) -> Result<()> {
    let actor = g.actor();
    let mut errors = Invalid::default();
    let mut keep = |r: Result<Option<String>>| match r {
        Ok(v) => v,
        Err(Error::Invalid(e)) => {
            errors.0.extend(e.0);
            None
        }
        Err(_) => None,
    };
    let summary = keep(text("summary", "活动总结", i.summary, 5_000).map(Some));
    let minutes = keep(optional("minutes", "会议纪要", i.minutes, 50_000));
    let orgs = keep(optional(
        "attending_orgs",
        "参加单位",
        i.attending_orgs,
        2_000,
    ));
    let agreed = keep(optional(
        "agreed_points",
        "达成的共识",
        i.agreed_points,
        5_000,
    ));
    let open = keep(optional(
        "open_points",
        "尚待解决的问题",
        i.open_points,
        5_000,
    ));
    let count = match i.attendee_count.trim() {
        "" => None,
        c => match c.parse::<i64>() {
            Ok(n) if (0..=1_000_000).contains(&n) => Some(n),
            _ => {
                errors.push("attendee_count", "invalid_number", "参加人数应为非负整数");
                None
            }
        },
    };
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let mut tx = begin(&app.db).await?;
    let mut a = load_organised(&mut tx, actor, id).await?;
    if status_of(&a) != Status::Published {
        return Err(Error::conflict(
            "activity.not_open",
            "只有已发布、未结束的活动可以结束",
        ));
    }
    if now() < a.starts_at {
        return Err(Error::conflict(
            "activity.not_started",
            "活动尚未开始，不能结束",
        ));
    }
    let k = kind_of(&mut tx, &a).await?;
    let invitations = store::invitations(&mut tx.conn(), a.id).await?;
    let mut by_status: BTreeMap<&'static str, Vec<i64>> = BTreeMap::new();
    let mut pending = vec![];
    for inv in &invitations {
        let status = rules::final_attendance(
            Response::parse(&inv.response).unwrap_or(Response::Pending),
            inv.checked_in_at.is_some(),
            inv.late,
            inv.left_early,
        );
        by_status
            .entry(status.code())
            .or_default()
            .push(inv.member_id);
        pending.push((inv.member_id, status));
    }
    for (status, members) in &by_status {
        store::set_attendance(&mut tx.conn(), a.id, status, members).await?;
    }
    let checked_in = pending
        .iter()
        .filter(|(_, s)| {
            matches!(
                s,
                Attendance::Attended | Attendance::Late | Attendance::LeftEarly
            )
        })
        .count() as i64;
    let at = now();
    a.status = Status::Closed.code().into();
    a.closed_at = Some(at);
    a.attendee_count = Some(count.unwrap_or(checked_in));
    a.attending_orgs = orgs;
    a.minutes = minutes;
    a.summary = summary;
    a.agreed_points = agreed;
    a.open_points = open;
    a.updated_at = at;
    store::save(&mut tx.conn(), &a).await?;
    let payloads: Vec<serde_json::Value> = pending
        .iter()
        .map(|(m, s)| about_with(&a, &k, json!({"member_id": m, "status": s.code()})))
        .collect();
    let list: Vec<_> = payloads
        .into_iter()
        .map(|p| {
            (
                actor,
                a.committee_id,
                "activity.attended",
                ("activity", a.id),
                p,
            )
        })
        .collect();
    for chunk in list.chunks(500) {
        events(&mut tx, chunk).await?;
    }
    let tally: BTreeMap<&str, usize> = by_status.iter().map(|(k, v)| (*k, v.len())).collect();
    let change = Change {
        committee_id: a.committee_id,
        kind: "activity.closed",
        subject_type: "activity",
        subject_id: a.id,
        before: json!({"status": "published"}),
        after: about_with(
            &a,
            &k,
            json!({"attendance": tally, "attendee_count": a.attendee_count}),
        ),
    };
    commit(tx, actor, change).await?;
    Ok(())
}

/// A follow-up item with its owner and due date.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn add_followup(
    app: &App,
    g: &Granted<OrganiseActivities>,
    id: i64,
    title: &str,
    owner: &str,
    due_on: &str,
) -> Result<i64> {
    let actor = g.actor();
    let mut errors = Invalid::default();
    let title = text("title", "跟进事项", title, 200).unwrap_or_else(|e| {
        if let Error::Invalid(e) = e {
            errors.0.extend(e.0);
        }
        String::new()
    });
    let owner = text("owner", "责任人或单位", owner, 100).unwrap_or_else(|e| {
        if let Error::Invalid(e) = e {
            errors.0.extend(e.0);
        }
        String::new()
    });
    let due = match lianxin_domain::text::parse_date("due_on", "完成期限", due_on, true) {
        Ok(d) => d.unwrap_or_default(),
        Err(e) => {
            errors.0.extend(e.0);
            String::new()
        }
    };
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let mut tx = begin(&app.db).await?;
    let a = load_organised(&mut tx, actor, id).await?;
    if !matches!(status_of(&a), Status::Published | Status::Closed) {
        return Err(Error::conflict("activity.not_open", "活动未发布或已取消"));
    }
    let k = kind_of(&mut tx, &a).await?;
    let fid = store::add_followup(&mut tx.conn(), a.id, &title, &owner, &due, now()).await?;
    let change = Change {
        committee_id: a.committee_id,
        kind: "activity.followup_added",
        subject_type: "activity",
        subject_id: a.id,
        before: json!(null),
        after: about_with(
            &a,
            &k,
            json!({"followup_id": fid, "title": title, "owner": owner, "due_on": due}),
        ),
    };
    commit(tx, actor, change).await?;
    Ok(fid)
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn finish_followup(
    app: &App,
    g: &Granted<OrganiseActivities>,
    id: i64,
    fid: Option<i64>,
    note: &str,
) -> Result<()> {
    let actor = g.actor();
    let note = text("note", "完成情况", note, 2_000)?;
    let mut tx = begin(&app.db).await?;
    let a = load_organised(&mut tx, actor, id).await?;
    let k = kind_of(&mut tx, &a).await?;
    let fid = super::chosen(fid, "followup_id", "事项")?;
    if !store::finish_followup(&mut tx.conn(), a.id, fid, &note, now()).await? {
        return Err(Error::conflict("followup.done", "该事项不存在或已完成"));
    }
    let change = Change {
        committee_id: a.committee_id,
        kind: "activity.followup_done",
        subject_type: "activity",
        subject_id: a.id,
        before: json!({"followup_id": fid, "done": false}),
        after: about_with(&a, &k, json!({"followup_id": fid, "note": note})),
    };
    commit(tx, actor, change).await?;
    Ok(())
}

/// A member's reading notes (读书心得) on a reading activity.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn submit_note(
    app: &App,
    g: &Granted<JoinActivities>,
    id: i64,
    book: &str,
    body: &str,
) -> Result<i64> {
    let actor = g.actor();
    let me = member_of(actor)?;
    let book = text("book", "书名", book, 100)?;
    let body = text("body", "读书心得", body, 10_000)?;
    let mut tx = begin(&app.db).await?;
    let a = load(&mut tx, actor.committee_id, id).await?;
    let k = kind_of(&mut tx, &a).await?;
    if !k.reading || !matches!(status_of(&a), Status::Published | Status::Closed) {
        return Err(not_found());
    }
    let nid = store::add_note(&mut tx.conn(), a.id, me, &book, &body, now()).await?;
    let change = Change {
        committee_id: a.committee_id,
        kind: "reading.note_submitted",
        subject_type: "activity",
        subject_id: a.id,
        before: json!(null),
        after: about_with(
            &a,
            &k,
            json!({"member_id": me, "note_id": nid, "book": book}),
        ),
    };
    commit(tx, actor, change).await?;
    Ok(nid)
}

/// A closed activity the member took part in (invited, organised or spoke at).
async fn outcome_of(
    app: &App,
    actor: &lianxin_domain::access::Actor,
    id: i64,
) -> Result<ActivityRow> {
    let me = member_of(actor)?;
    let mut tx = app.db.begin_read().await?;
    let a = load(&mut tx, actor.committee_id, id).await?;
    let took_part =
        is_organiser(actor, &a) || store::invitation(&mut tx.conn(), a.id, me).await?.is_some();
    if !took_part {
        return Err(not_found());
    }
    if status_of(&a) != Status::Closed {
        return Err(Error::conflict(
            "activity.not_closed",
            "活动结束并填写总结后，才能据此起草",
        ));
    }
    Ok(a)
}

fn outcome_text(a: &ActivityRow) -> (String, String) {
    let day = china(a.starts_at).date();
    let mut body = format!(
        "{}，{}在{}举行“{}”。\n{}",
        NaiveDate::from_ymd_opt(day.year(), day.month(), day.day())
            .map(|d| d.format("%Y年%m月%d日").to_string())
            .unwrap_or_default(),
        a.organiser_name,
        if a.place.is_empty() {
            "线上"
        } else {
            &a.place
        },
        a.title,
        a.summary.clone().unwrap_or_default()
    );
    if let Some(o) = &a.open_points {
        body.push_str(&format!("\n尚待解决的问题：{o}"));
    }
    (body, a.agreed_points.clone().unwrap_or_default())
}

fn clip(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// The activity's outcome as an opinion report draft of this member's; returns its id.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn to_opinion_report(
    app: &App,
    g: &Granted<DraftOpinionReports>,
    id: i64,
) -> Result<i64> {
    let a = outcome_of(app, g.actor(), id).await?;
    let (body, agreed) = outcome_text(&a);
    let title = clip(&format!("关于{}有关情况的反映", a.title), 100);
    let input = ReportInput {
        title: &title,
        body: &body,
        suggestions: &agreed,
        author_kind: "member",
        collective_id: None,
        co_authors: vec![],
    };
    report_drafting::draft(app, g, &input).await
}

/// The activity's outcome as a proposal draft of this member's; returns its id.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn to_proposal(app: &App, g: &Granted<DraftProposals>, id: i64) -> Result<i64> {
    let a = outcome_of(app, g.actor(), id).await?;
    let (body, agreed) = outcome_text(&a);
    let title = clip(&format!("关于{}的提案", a.title), 100);
    let suggestions = if agreed.is_empty() {
        "（请填写具体建议）".to_string()
    } else {
        agreed
    };
    let input = ProposalInput {
        title: &title,
        cause: &body,
        analysis: a.open_points.as_deref().unwrap_or("（请填写问题分析）"),
        suggestions: &suggestions,
        kind: "individual",
        ..ProposalInput::default()
    };
    proposal_drafting::draft(app, g, &input).await
}
