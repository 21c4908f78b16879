//! A member drafts, revises and submits an opinion report (alone, with co-authors, or for a
//! sector, studio or special committee). Drafts are private to their authors; an edit after
//! the first submission is a new version, and earlier versions stay readable.

use lianxin_domain::Invalid;
use lianxin_domain::access::{Actor, DraftOpinionReports, Granted};
use lianxin_domain::opinion::{AuthorKind, Step};
use lianxin_domain::schema::Res;
use lianxin_store::Tx;
use lianxin_store::concerns::{NewMessage, queue_message};
use lianxin_store::opinions::{self as store, ReportRow, VersionRow};
use lianxin_store::records::existing;
use serde_json::json;

use super::{advance, finish, load, not_found, optional, text};
use crate::journal::begin;
use crate::{Error, Result, now};

/// What a member types into the report form.
#[derive(Debug, Clone, Default)]
pub struct ReportInput<'a> {
    pub title: &'a str,
    pub body: &'a str,
    pub suggestions: &'a str,
    /// `member` (default), `sector`, `studio`, `special_committee`.
    pub author_kind: &'a str,
    pub collective_id: Option<i64>,
    pub co_authors: Vec<i64>,
}

struct Parsed {
    title: String,
    body: String,
    suggestions: String,
    kind: AuthorKind,
    collective_id: Option<i64>,
    co_authors: Vec<i64>,
}

pub const MAX_CO_AUTHORS: usize = 20;

/// Validate the whole form at once, so the person sees every mistake together.
async fn parse(tx: &mut Tx, committee_id: i64, me: i64, i: &ReportInput<'_>) -> Result<Parsed> {
    let mut errors = Invalid::default();
    let mut keep = |r: Result<String>| match r {
        Ok(v) => v,
        Err(Error::Invalid(e)) => {
            errors.0.extend(e.0);
            String::new()
        }
        Err(_) => String::new(),
    };
    let title = keep(text("title", "标题", i.title, 100));
    let body = keep(text("body", "正文", i.body, 20_000));
    let suggestions =
        keep(optional("suggestions", "建议", i.suggestions, 5_000).map(Option::unwrap_or_default));
    let kind = if i.author_kind.trim().is_empty() {
        Some(AuthorKind::Member)
    } else {
        AuthorKind::parse(i.author_kind)
    };
    let Some(kind) = kind else {
        errors.push("author_kind", "invalid_choice", "请选择署名方式");
        return Err(errors.into());
    };
    let collective_id = match (kind, i.collective_id) {
        (AuthorKind::Member, _) => None,
        (_, None) => {
            errors.push(
                "collective_id",
                "required",
                "集体署名须选择界别、工作室或专委会",
            );
            None
        }
        (k, Some(id)) => {
            let res = match k {
                AuthorKind::Sector => Res::Sector,
                AuthorKind::Studio => Res::Studio,
                _ => Res::SpecialCommittee,
            };
            if existing(&mut tx.conn(), res, committee_id, &[id])
                .await?
                .is_empty()
            {
                errors.push("collective_id", "invalid_ref", "所选集体不存在");
            }
            Some(id)
        }
    };
    let mut co_authors: Vec<i64> = i.co_authors.iter().copied().filter(|m| *m != me).collect();
    co_authors.sort_unstable();
    co_authors.dedup();
    if co_authors.len() > MAX_CO_AUTHORS {
        errors.push(
            "co_authors",
            "too_many",
            format!("联合署名委员最多{MAX_CO_AUTHORS}位"),
        );
    } else if existing(&mut tx.conn(), Res::Member, committee_id, &co_authors)
        .await?
        .len()
        != co_authors.len()
    {
        errors.push("co_authors", "invalid_ref", "联合署名的委员不存在");
    }
    if !errors.is_empty() {
        return Err(errors.into());
    }
    Ok(Parsed {
        title,
        body,
        suggestions,
        kind,
        collective_id,
        co_authors,
    })
}

fn member_of(actor: &Actor) -> Result<i64> {
    actor.member_id.ok_or_else(|| {
        Invalid::one(
            "member_id",
            "no_member",
            "当前账号未关联委员，不能撰写社情民意信息",
        )
        .into()
    })
}

async fn set_authors(tx: &mut Tx, id: i64, me: i64, p: &Parsed) -> Result<()> {
    let lead = if p.kind == AuthorKind::Member {
        "lead"
    } else {
        "collective"
    };
    let mut list = vec![(me, lead)];
    list.extend(p.co_authors.iter().map(|m| (*m, "joint")));
    Ok(store::set_authors(&mut tx.conn(), id, &list).await?)
}

/// A report one of whose authors is the actor; anyone else's is not found.
pub(crate) async fn load_authored(tx: &mut Tx, actor: &Actor, id: i64) -> Result<ReportRow> {
    let row = load(tx, actor.committee_id, id).await?;
    let me = actor.member_id.ok_or_else(not_found)?;
    let authors = store::authors(&mut tx.conn(), id).await?;
    if !authors.iter().any(|a| a.0 == me) {
        return Err(not_found());
    }
    Ok(row)
}

/// A new draft; returns its id.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn draft(
    app: &crate::App,
    g: &Granted<DraftOpinionReports>,
    input: &ReportInput<'_>,
) -> Result<i64> {
    let actor = g.actor();
    let me = member_of(actor)?;
    let mut tx = begin(&app.db).await?;
    let p = parse(&mut tx, actor.committee_id, me, input).await?;
    let at = now();
    let mut row = ReportRow {
        id: 0,
        committee_id: actor.committee_id,
        member_id: me,
        status: "draft".into(),
        author_kind: p.kind.code().into(),
        collective_id: p.collective_id,
        title: p.title.clone(),
        body: p.body.clone(),
        suggestions: p.suggestions.clone(),
        version: 1,
        submitted_at: None,
        reviewed_at: None,
        level: None,
        review_note: None,
        merged_into: None,
        published_title: None,
        published_body: None,
        bulletin_id: None,
        from_proposal_id: None,
        created_at: at,
        updated_at: at,
    };
    row.id = store::insert(&mut tx.conn(), &row).await?;
    set_authors(&mut tx, row.id, me, &p).await?;
    finish(tx, actor, &row, "opinion.drafted", "", json!({})).await?;
    Ok(row.id)
}

fn snapshot(row: &ReportRow, by: &Actor) -> VersionRow {
    VersionRow {
        version: row.version,
        title: row.title.clone(),
        body: row.body.clone(),
        suggestions: row.suggestions.clone(),
        created_by: by.display_name.clone(),
        created_at: now(),
    }
}

/// Revise a draft, a returned report, or one still waiting for review. After the first
/// submission every edit is a new version; the earlier ones stay readable.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn edit(
    app: &crate::App,
    g: &Granted<DraftOpinionReports>,
    id: i64,
    input: &ReportInput<'_>,
) -> Result<()> {
    let actor = g.actor();
    member_of(actor)?;
    let mut tx = begin(&app.db).await?;
    let mut row = load_authored(&mut tx, actor, id).await?;
    let before = row.status.clone();
    advance(&mut row, Step::Edit)?;
    let p = parse(&mut tx, actor.committee_id, row.member_id, input).await?;
    row.title = p.title.clone();
    row.body = p.body.clone();
    row.suggestions = p.suggestions.clone();
    row.author_kind = p.kind.code().into();
    row.collective_id = p.collective_id;
    let versioned = row.submitted_at.is_some();
    if versioned {
        row.version += 1;
        store::add_version(&mut tx.conn(), row.id, &snapshot(&row, actor)).await?;
    }
    let lead = row.member_id;
    set_authors(&mut tx, row.id, lead, &p).await?;
    finish(
        tx,
        actor,
        &row,
        "opinion.edited",
        &before,
        json!({"version": row.version, "versioned": versioned}),
    )
    .await
}

/// Submit for review (again, after a return).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn submit(app: &crate::App, g: &Granted<DraftOpinionReports>, id: i64) -> Result<()> {
    let actor = g.actor();
    let mut tx = begin(&app.db).await?;
    let mut row = load_authored(&mut tx, actor, id).await?;
    let before = row.status.clone();
    advance(&mut row, Step::Submit)?;
    if row.submitted_at.is_none() {
        store::add_version(&mut tx.conn(), row.id, &snapshot(&row, actor)).await?;
    }
    row.submitted_at = Some(now());
    let msg = NewMessage {
        committee_id: row.committee_id,
        channel: "office",
        recipient_enc: None,
        recipient_masked: "委员会机关",
        subject: "新的社情民意信息待审核",
        body: &format!(
            "{}提交了社情民意信息 #{}“{}”，请审核。",
            actor.display_name, row.id, row.title
        ),
        concern_id: None,
    };
    queue_message(&mut tx.conn(), &msg, now()).await?;
    finish(
        tx,
        actor,
        &row,
        "opinion.submitted",
        &before,
        json!({"version": row.version}),
    )
    .await
}
