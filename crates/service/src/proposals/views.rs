//! Reading proposals: the proposer's and co-signers' workspace, the office's lists and file,
//! a unit's assigned proposals, the public's accepted proposals with their answers, and the
//! per-unit league table.

use lianxin_domain::access::Public;
use lianxin_domain::access::{
    Actor, DraftProposals, Granted, HandleAssignments, ManageProposals, ViewDashboard,
};
use lianxin_domain::concern::Rating;
use lianxin_domain::proposal::{self as rules, AnswerClass, Kind, Ranked, Status, UnitTally};
use lianxin_store::Conn;
use lianxin_store::proposals::{
    self as store, AnswerRow, Filter, ListRow, NoteRow, ProposalRow, SignerRow, UnitRow, VersionRow,
};

use super::{handling_of, load, not_found, status_of};
use crate::paged::Paged;
use crate::{App, Result, now};

pub const PER_PAGE: i64 = 20;

#[derive(Debug, Clone)]
pub struct ProposalView {
    pub row: ProposalRow,
    pub status: Status,
    pub kind: Kind,
    /// "2026年第012号" once accepted.
    pub number: Option<String>,
    /// The lead proposer's name, or the body's for a collective proposal.
    pub proposer: String,
    pub signers: Vec<SignerRow>,
    pub units: Vec<UnitRow>,
    pub answers: Vec<AnswerRow>,
    pub notes: Vec<NoteRow>,
    pub versions: Vec<VersionRow>,
    pub overdue: bool,
}

impl ProposalView {
    pub fn class_label(&self, code: &str) -> &'static str {
        AnswerClass::parse(code).map(|c| c.label()).unwrap_or("")
    }
    pub fn rating_label(&self) -> &'static str {
        self.row
            .rating
            .as_deref()
            .and_then(Rating::parse)
            .map(|r| r.label())
            .unwrap_or("")
    }
    pub fn role_label(&self, code: &str) -> &'static str {
        lianxin_domain::proposal::UnitRole::parse(code)
            .map(|r| r.label())
            .unwrap_or("")
    }
    pub fn signer_label(&self, code: &str) -> &'static str {
        lianxin_domain::proposal::SignerStatus::parse(code)
            .map(|s| s.label())
            .unwrap_or("")
    }
    pub fn note_label(&self, kind: &str) -> &'static str {
        match kind {
            "objection" => "交办异议",
            "co_opinion" => "会办意见",
            "extension_request" => "延期申请",
            "extension_approved" => "批准延期",
            "visit" => "督办走访",
            "progress" => "进展情况",
            _ => "记录",
        }
    }
    pub fn editable(&self) -> bool {
        matches!(self.status, Status::Draft | Status::Submitted)
    }
    pub fn all_signed(&self) -> bool {
        self.signers.iter().all(|s| s.status == "accepted")
    }
    /// The handling units' names, lead first.
    pub fn unit_names(&self) -> String {
        self.units
            .iter()
            .map(|u| format!("{}（{}）", u.unit_name, self.role_label(&u.role)))
            .collect::<Vec<_>>()
            .join("、")
    }
}

async fn view_of(c: &mut Conn<'_>, row: ProposalRow) -> Result<ProposalView> {
    let units = store::units(c, row.id).await?;
    let overdue = handling_of(&row, &units).is_overdue(now());
    let proposer = match &row.collective_name {
        Some(name) => name.clone(),
        None => store::member_name(c, row.member_id).await?,
    };
    Ok(ProposalView {
        status: status_of(&row),
        kind: Kind::parse(&row.kind).unwrap_or(Kind::Individual),
        number: row.number.map(|n| rules::number_label(row.year as i32, n)),
        proposer,
        signers: store::signers(c, row.id).await?,
        answers: store::answers(c, row.id).await?,
        notes: store::notes(c, row.id).await?,
        versions: store::versions(c, row.id).await?,
        units,
        overdue,
        row,
    })
}

fn is_author(v: &ProposalView, actor: &Actor) -> bool {
    actor
        .member_id
        .is_some_and(|m| v.row.member_id == m || v.signers.iter().any(|s| s.member_id == m))
}

/// For the lead proposer and invited co-signers; anyone else: not found.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn for_member(app: &App, g: &Granted<DraftProposals>, id: i64) -> Result<ProposalView> {
    let mut tx = app.db.begin_read().await?;
    let row = load(&mut tx, g.committee_id(), id).await?;
    let mut v = view_of(&mut tx.conn(), row).await?;
    if !is_author(&v, g.actor()) {
        return Err(not_found());
    }
    v.notes.retain(|n| !n.internal);
    Ok(v)
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn for_office(app: &App, g: &Granted<ManageProposals>, id: i64) -> Result<ProposalView> {
    let mut tx = app.db.begin_read().await?;
    let row = load(&mut tx, g.committee_id(), id).await?;
    if row.status == Status::Draft.code() {
        // Drafts are their authors' alone.
        return Err(not_found());
    }
    view_of(&mut tx.conn(), row).await
}

/// For a unit the proposal is assigned to: the proposal, the units, co-handling opinions
/// (the lead unit needs them) and answers; not the office's internal notes.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn for_unit(app: &App, g: &Granted<HandleAssignments>, id: i64) -> Result<ProposalView> {
    let mut tx = app.db.begin_read().await?;
    let (l, _) = super::units::load_assigned(&mut tx, g, id).await?;
    let mut v = view_of(&mut tx.conn(), l.row).await?;
    v.notes.retain(|n| {
        matches!(
            n.kind.as_str(),
            "co_opinion" | "objection" | "extension_request" | "extension_approved"
        )
    });
    v.versions.clear();
    Ok(v)
}

/// What anyone may read: accepted proposals not marked internal, with their answers.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn public(app: &App, _: Public, committee_id: i64, id: i64) -> Result<ProposalView> {
    let mut tx = app.db.begin_read().await?;
    let row = load(&mut tx, committee_id, id).await?;
    let published = matches!(
        status_of(&row),
        Status::Accepted
            | Status::Assigned
            | Status::Answered
            | Status::Rehandling
            | Status::Closed
    ) && !row.internal;
    if !published {
        return Err(not_found());
    }
    let mut v = view_of(&mut tx.conn(), row).await?;
    v.notes.clear();
    v.versions.clear();
    v.signers.retain(|s| s.status == "accepted");
    v.row.review_note = None;
    v.row.rating_comment = None;
    Ok(v)
}

pub type Lines = Paged<ListRow>;

async fn page_of(app: &App, committee_id: i64, f: &Filter, page: i64) -> Result<Lines> {
    let page = page.max(1);
    let mut conn = app.db.acquire().await?;
    let (items, total) = store::list(
        &mut conn.conn(),
        committee_id,
        f,
        PER_PAGE,
        (page - 1) * PER_PAGE,
    )
    .await?;
    Ok(Paged {
        items,
        total,
        page,
        per_page: PER_PAGE,
    })
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn mine(app: &App, g: &Granted<DraftProposals>, page: i64) -> Result<Lines> {
    let Some(me) = g.actor().member_id else {
        return Ok(Paged::default());
    };
    let f = Filter {
        member: Some(me),
        ..Filter::default()
    };
    page_of(app, g.committee_id(), &f, page).await
}

/// (proposal id, title, lead proposer) of drafts inviting the member to co-sign.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn invitations(
    app: &App,
    g: &Granted<DraftProposals>,
) -> Result<Vec<(i64, String, String)>> {
    let Some(me) = g.actor().member_id else {
        return Ok(vec![]);
    };
    let mut conn = app.db.acquire().await?;
    Ok(store::invitations(&mut conn.conn(), me).await?)
}

/// The office's list. Drafts are their authors' alone and never listed.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn office_list(
    app: &App,
    g: &Granted<ManageProposals>,
    f: &Filter,
    page: i64,
) -> Result<Lines> {
    if f.status.as_deref() == Some(Status::Draft.code()) {
        return Ok(Paged::default());
    }
    let mut f = f.clone();
    f.not_draft = true;
    page_of(app, g.committee_id(), &f, page).await
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn unit_list(app: &App, g: &Granted<HandleAssignments>, page: i64) -> Result<Lines> {
    let Some(unit) = g.actor().handling_unit_id else {
        return Ok(Paged::default());
    };
    let f = Filter {
        unit: Some(unit),
        ..Filter::default()
    };
    page_of(app, g.committee_id(), &f, page).await
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn public_list(
    app: &App,
    _: Public,
    committee_id: i64,
    q: Option<String>,
    page: i64,
) -> Result<Lines> {
    let f = Filter {
        public_only: true,
        q,
        ..Filter::default()
    };
    page_of(app, committee_id, &f, page).await
}

/// The league table of handling units for a year.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn unit_league(app: &App, g: &Granted<ViewDashboard>, year: i64) -> Result<Vec<Ranked>> {
    let mut conn = app.db.acquire().await?;
    let rows = store::tallies(&mut conn.conn(), g.committee_id(), year).await?;
    Ok(rules::league(
        rows.into_iter()
            .map(|t| UnitTally {
                unit_id: t.unit_id,
                name: t.name,
                count: t.count,
                answered: t.answered,
                on_time: t.on_time,
                class_a: t.class_a,
                class_b: t.class_b,
                class_c: t.class_c,
                rated: t.rated,
                satisfied: t.satisfied,
            })
            .collect(),
    ))
}

/// An answer's attachment, for whoever may read the proposal: the public if it is published,
/// its authors, the office, the units it is assigned to — each in their own committee only
/// (the read itself is scoped by the committee, so another committee's file is not found).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn attachment(
    app: &App,
    actor: Option<&Actor>,
    committee_id: i64,
    id: i64,
    answer_id: i64,
) -> Result<(String, String, Vec<u8>)> {
    // A signed-in person reads in their own committee, whatever the page asked for.
    let committee_id = actor.map(|a| a.committee_id).unwrap_or(committee_id);
    let allowed = public(app, Public, committee_id, id).await.is_ok()
        || match actor {
            Some(a) => may_read(app, a, id).await,
            None => false,
        };
    if !allowed {
        return Err(not_found());
    }
    let mut conn = app.db.acquire().await?;
    store::answer_attachment(&mut conn.conn(), committee_id, id, answer_id)
        .await?
        .ok_or_else(not_found)
}

/// Whether a signed-in person may read a proposal that is not published: the office of its
/// committee, its authors, a unit it is assigned to.
async fn may_read(app: &App, a: &Actor, id: i64) -> bool {
    if let Ok(g) = a.grant::<ManageProposals>() {
        for_office(app, &g, id).await.is_ok()
    } else if let Ok(g) = a.grant::<DraftProposals>() {
        for_member(app, &g, id).await.is_ok()
    } else if let Ok(g) = a.grant::<HandleAssignments>() {
        for_unit(app, &g, id).await.is_ok()
    } else {
        false
    }
}
