//! What the activity pages show: the organiser's list and record, a member's invitations and
//! activity page, the public's activities.

use lianxin_domain::access::Public;
use std::collections::BTreeMap;

use lianxin_domain::access::{
    Actor, Granted, JoinActivities, OrganiseActivities, SuperviseActivities,
};
use lianxin_domain::activity::{Attendance, ParticipantRole, Position, Response, Status};
use lianxin_store::activities::{
    self as store, ActivityRow, FileRow, Filter, FollowupRow, InvitationRow, KindRow, MyInvitation,
    NoteRow, ParticipantRow, RegistrationRow, SpeechRow,
};

use super::{is_organiser, not_found, rules_of, status_of};
use crate::paged::Paged;
use crate::{App, Result, now};

pub const PER_PAGE: i64 = 20;

/// A participant with what they said, in speaking order.
#[derive(Debug, Clone)]
pub struct Speaker {
    pub p: ParticipantRow,
    pub speeches: Vec<SpeechRow>,
}

impl Speaker {
    pub fn role_label(&self) -> &'static str {
        ParticipantRole::parse(&self.p.role)
            .map(|r| r.label())
            .unwrap_or("")
    }
    pub fn positions(&self) -> String {
        let mut v: Vec<&str> = self
            .speeches
            .iter()
            .filter_map(|s| Position::parse(&s.position).map(|p| p.label()))
            .collect();
        v.dedup();
        v.join("、")
    }
}

/// Everything on an activity's page.
#[derive(Debug, Clone)]
pub struct ActivityView {
    pub a: ActivityRow,
    pub kind: KindRow,
    pub files: Vec<FileRow>,
    pub speakers: Vec<Speaker>,
    pub followups: Vec<FollowupRow>,
    pub notes: Vec<NoteRow>,
    /// Organiser only: the invitation list and the people registered.
    pub invitations: Vec<InvitationRow>,
    pub registrations: Vec<RegistrationRow>,
    /// This member's own invitation (member's page).
    pub mine: Option<InvitationRow>,
    /// May decide leave (and record leave after the start) for this activity.
    pub decides_leave: bool,
}

impl ActivityView {
    pub fn status(&self) -> Status {
        status_of(&self.a)
    }
    pub fn started(&self) -> bool {
        now() >= self.a.starts_at
    }
    pub fn agenda_items(&self) -> Vec<&str> {
        lines(&self.a.agenda)
    }
    pub fn book_list(&self) -> Vec<&str> {
        lines(&self.a.books)
    }
    /// Answers and attendance counted by label, for the organiser's summary line.
    pub fn tally(&self) -> Vec<(&'static str, usize)> {
        let mut m: BTreeMap<&'static str, usize> = BTreeMap::new();
        for i in &self.invitations {
            let label = match i.attendance.as_deref().and_then(Attendance::parse) {
                Some(a) => a.label(),
                None if i.checked_in_at.is_some() => "已签到",
                None => Response::parse(&i.response)
                    .map(|r| r.label())
                    .unwrap_or(""),
            };
            *m.entry(label).or_default() += 1;
        }
        m.into_iter().collect()
    }
    pub fn checked_in(&self) -> usize {
        self.invitations
            .iter()
            .filter(|i| i.checked_in_at.is_some())
            .count()
    }
    pub fn waitlisted(&self) -> usize {
        self.registrations
            .iter()
            .filter(|r| r.status == "waitlisted")
            .count()
    }
    pub fn registered(&self) -> usize {
        self.registrations.len() - self.waitlisted()
    }
}

fn lines(s: &str) -> Vec<&str> {
    s.lines().map(str::trim).filter(|l| !l.is_empty()).collect()
}

async fn assemble(
    app: &App,
    a: ActivityRow,
    organiser: bool,
    member: Option<i64>,
) -> Result<ActivityView> {
    let mut conn = app.db.acquire().await?;
    let c = &mut conn.conn();
    let kind = store::kind(c, a.committee_id, a.kind_id)
        .await?
        .ok_or_else(not_found)?;
    let participants = store::participants(c, a.id).await?;
    let speeches = store::speeches(c, a.id).await?;
    let speakers = participants
        .into_iter()
        .map(|p| Speaker {
            speeches: speeches
                .iter()
                .filter(|s| s.participant_id == p.id)
                .cloned()
                .collect(),
            p,
        })
        .collect();
    let (invitations, registrations) = if organiser {
        (
            store::invitations(c, a.id).await?,
            store::registrations(c, a.id).await?,
        )
    } else {
        (vec![], vec![])
    };
    let mine = match member {
        Some(m) => store::invitation(c, a.id, m).await?,
        None => None,
    };
    Ok(ActivityView {
        files: store::files(c, a.id).await?,
        followups: store::followups(c, a.id).await?,
        notes: if kind.reading {
            store::notes(c, a.id).await?
        } else {
            vec![]
        },
        kind,
        speakers,
        invitations,
        registrations,
        mine,
        decides_leave: false,
        a,
    })
}

/// The organiser's list: the office sees every activity, others those they created.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn organised(
    app: &App,
    g: &Granted<OrganiseActivities>,
    status: Option<String>,
    page: i64,
) -> Result<Paged<ActivityRow>> {
    let actor = g.actor();
    let f = Filter {
        status: status.filter(|s| Status::parse(s).is_some()),
        created_by: (!actor.can::<SuperviseActivities>()).then_some(actor.user_id),
        ..Filter::default()
    };
    let page = page.max(1);
    let mut conn = app.db.acquire().await?;
    let (items, total) = store::list(
        &mut conn.conn(),
        actor.committee_id,
        &f,
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
pub async fn for_organiser(
    app: &App,
    g: &Granted<OrganiseActivities>,
    id: i64,
) -> Result<ActivityView> {
    let actor = g.actor();
    let mut conn = app.db.acquire().await?;
    let a = store::by_id(&mut conn.conn(), actor.committee_id, id)
        .await?
        .ok_or_else(not_found)?;
    drop(conn);
    if !is_organiser(actor, &a) {
        return Err(not_found());
    }
    let mut v = assemble(app, a, true, None).await?;
    v.decides_leave = lianxin_domain::activity::may_decide_leave(
        rules_of(&v.kind).leave_approver,
        actor.can::<SuperviseActivities>(),
        true,
    );
    Ok(v)
}

/// A member's activity page: one they are invited to, or any published one of their
/// committee (they may walk in and check in).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn for_member(app: &App, g: &Granted<JoinActivities>, id: i64) -> Result<ActivityView> {
    let actor = g.actor();
    let mut conn = app.db.acquire().await?;
    let a = store::by_id(&mut conn.conn(), actor.committee_id, id)
        .await?
        .ok_or_else(not_found)?;
    drop(conn);
    if status_of(&a) == Status::Draft {
        return Err(not_found());
    }
    assemble(app, a, false, actor.member_id).await
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn invitations(app: &App, g: &Granted<JoinActivities>) -> Result<Vec<MyInvitation>> {
    let Some(m) = g.actor().member_id else {
        return Ok(vec![]);
    };
    let mut conn = app.db.acquire().await?;
    Ok(store::member_invitations(&mut conn.conn(), m, 100).await?)
}

/// The public's list: open activities of the committee from 30 days ago on.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn public_list(app: &App, _: Public, committee_id: i64) -> Result<Vec<ActivityRow>> {
    let f = Filter {
        public_only: true,
        from: Some(now() - chrono::Duration::days(30)),
        ..Filter::default()
    };
    let mut conn = app.db.acquire().await?;
    Ok(store::list(&mut conn.conn(), committee_id, &f, 100, 0)
        .await?
        .0)
}

/// A public activity's page with the number of seats left (None: no limit).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn public_detail(app: &App, _: Public, id: i64) -> Result<(ActivityView, Option<i64>)> {
    let mut conn = app.db.acquire().await?;
    let a = store::by_id_any(&mut conn.conn(), id)
        .await?
        .ok_or_else(not_found)?;
    if !a.public_registration || !matches!(status_of(&a), Status::Published | Status::Closed) {
        return Err(not_found());
    }
    let taken = store::registered_count(&mut conn.conn(), a.id).await?;
    drop(conn);
    let left = a.capacity.map(|c| (c - taken).max(0));
    Ok((assemble(app, a, false, None).await?, left))
}

/// The activity behind a check-in link, for the confirmation page (a member of its committee).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn checkin_target(
    app: &App,
    g: &Granted<JoinActivities>,
    id: i64,
) -> Result<ActivityRow> {
    let mut conn = app.db.acquire().await?;
    let a = store::by_id(&mut conn.conn(), g.committee_id(), id)
        .await?
        .ok_or_else(not_found)?;
    if status_of(&a) == Status::Draft {
        return Err(not_found());
    }
    Ok(a)
}

/// One file of an activity (materials, media), for whoever may see the activity: anyone when
/// it is open to the public, a member of its committee once it is published, its organiser
/// (drafts too). To anyone else the file does not exist.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn file(
    app: &App,
    viewer: Option<&Actor>,
    id: i64,
    file_id: i64,
) -> Result<(String, String, Vec<u8>)> {
    let mut conn = app.db.acquire().await?;
    let a = store::by_id_any(&mut conn.conn(), id)
        .await?
        .ok_or_else(not_found)?;
    if !may_see(viewer, &a) {
        return Err(not_found());
    }
    store::file(&mut conn.conn(), a.id, file_id)
        .await?
        .ok_or_else(not_found)
}

/// Who may see an activity and what it carries.
fn may_see(viewer: Option<&Actor>, a: &ActivityRow) -> bool {
    let status = status_of(a);
    let public = a.public_registration && matches!(status, Status::Published | Status::Closed);
    public
        || viewer.is_some_and(|v| {
            v.committee_id == a.committee_id
                && ((v.can::<JoinActivities>() && status != Status::Draft)
                    || (v.can::<OrganiseActivities>() && is_organiser(v, a)))
        })
}

/// The kinds of the committee (built-in and its own).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn kinds(app: &App, committee_id: i64) -> Result<Vec<KindRow>> {
    let mut conn = app.db.acquire().await?;
    Ok(store::kinds(&mut conn.conn(), committee_id).await?)
}
