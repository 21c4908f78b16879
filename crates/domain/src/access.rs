//! Who may do what, in one place.
//!
//! A use case that changes or reveals something takes a [`Granted<P>`]. The only way to get
//! one is [`Actor::grant`], which checks the role table below, so a handler that forgets the
//! check does not compile. A `Granted` also carries the committee it was granted in: every
//! query is scoped by it (another committee's record is simply not found).

use std::marker::PhantomData;

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Office,
    CommitteeStaff,
    Convenor,
    Member,
    StudioLead,
    HandlingUnit,
    Constituent,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Admin,
        Role::Office,
        Role::CommitteeStaff,
        Role::Convenor,
        Role::Member,
        Role::StudioLead,
        Role::HandlingUnit,
        Role::Constituent,
    ];
    pub fn code(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Office => "office",
            Role::CommitteeStaff => "committee_staff",
            Role::Convenor => "convenor",
            Role::Member => "member",
            Role::StudioLead => "studio_lead",
            Role::HandlingUnit => "handling_unit",
            Role::Constituent => "constituent",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "系统管理员",
            Role::Office => "委员会机关",
            Role::CommitteeStaff => "专委会工作人员",
            Role::Convenor => "界别召集人",
            Role::Member => "委员",
            Role::StudioLead => "工作室负责人",
            Role::HandlingUnit => "承办单位",
            Role::Constituent => "界别群众",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL
            .into_iter()
            .find(|r| r.code() == s || r.label() == s)
    }
}

/// The person behind a request, as established by their session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub committee_id: i64,
    pub role: Role,
    pub member_id: Option<i64>,
    /// The handling unit a unit's account speaks for.
    pub handling_unit_id: Option<i64>,
}

/// A permission: a name for errors and the roles that hold it.
pub trait Permission {
    const NAME: &'static str;
    const ROLES: &'static [Role];
}

macro_rules! permission {
    ($(#[$doc:meta])* $name:ident, $code:literal, [$($role:ident),*]) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name;
        impl Permission for $name {
            const NAME: &'static str = $code;
            const ROLES: &'static [Role] = &[$(Role::$role),*];
        }
    };
}

permission!(
    /// See every organisation record of the committee (phones masked).
    ViewOrganisation, "organisation.view", [Admin, Office, CommitteeStaff, Convenor]);
permission!(
    /// Create and change terms, sectors, members, studios, handling units, contacts.
    ManageOrganisation, "organisation.manage", [Admin, Office]);
permission!(
    /// Create and change the committees below one's own.
    ManageCommittees, "committees.manage", [Admin]);
permission!(
    /// Create accounts and set passwords.
    ManageUsers, "users.manage", [Admin]);
permission!(
    /// See a constituent's or member's full phone number (each view is audited).
    RevealPhone, "phone.reveal", [Admin, Office]);
permission!(
    /// The office dashboard with the committee's figures.
    ViewDashboard, "dashboard.view", [Admin, Office, CommitteeStaff, Convenor]);
permission!(
    /// See every concern of the committee, re-route, close and resolve them.
    HandleConcerns, "concerns.handle", [Admin, Office, CommitteeStaff]);
permission!(
    /// Answer the concerns routed to oneself or one's studios.
    AnswerConcerns, "concerns.answer", [Member, StudioLead, Convenor]);
permission!(
    /// Keep a studio's reception log and see its bookings (one's own studios; office: all).
    RecordReception, "reception.record", [Admin, Office, StudioLead]);
permission!(
    /// Record services delivered (one's own offers; office: all).
    RecordService, "service.record", [Admin, Office, StudioLead, Member, Convenor]);
permission!(
    /// Draft, submit and revise one's own opinion reports.
    DraftOpinionReports, "opinion_reports.draft", [Member, StudioLead, Convenor]);
permission!(
    /// Review opinion reports (adopt, decline, merge, return), compile bulletins, forward
    /// them and record instructions and feedback.
    ReviewOpinionReports, "opinion_reports.review", [Admin, Office, CommitteeStaff]);
permission!(
    /// Draft, co-sign, submit one's own proposals and rate their answers.
    DraftProposals, "proposals.draft", [Member, StudioLead, Convenor]);
permission!(
    /// Review, accept, assign and oversee proposals; windows; extensions.
    ManageProposals, "proposals.manage", [Admin, Office, CommitteeStaff]);
permission!(
    /// A handling unit's work: what is assigned or forwarded to that unit, and nothing else.
    HandleAssignments, "assignments.handle", [HandlingUnit]);
permission!(
    /// Plan and run activities: one's own (a special committee's staff, a sector convenor, a
    /// studio lead), or every activity of the committee with [`SuperviseActivities`].
    OrganiseActivities, "activities.organise", [Admin, Office, CommitteeStaff, Convenor, StudioLead]);
permission!(
    /// The office's hold on every activity: manage any of them, decide leave for plenary and
    /// standing-committee meetings, record leave after the start.
    SuperviseActivities, "activities.supervise", [Admin, Office]);
permission!(
    /// Answer invitations, ask for leave, check in, write reading notes.
    JoinActivities, "activities.join", [Member, StudioLead, Convenor]);
permission!(
    /// Read the policy library (知情明政).
    ReadLibrary, "library.read", [Admin, Office, CommitteeStaff, Convenor, Member, StudioLead]);
permission!(
    /// Publish documents to the policy library, mark required reading, see who has read it.
    ManageLibrary, "library.manage", [Admin, Office]);
permission!(
    /// The year of duty: scoring rules, closing the year, the duty menu, corrections to the
    /// duty log, the annual report to the standing committee.
    ManageDutyYear, "duty_year.manage", [Admin, Office]);
permission!(
    /// Confirm or reject members' self-reported offline work (a convenor: their sector's;
    /// never one's own).
    ConfirmDuty, "duty.confirm", [Admin, Office, Convenor]);
permission!(
    /// Grade the duty reports of the peers of one's sector in the year's democratic appraisal
    /// (民主测评), once each, never one's own.
    AppraisePeers, "appraisal.vote", [Member, StudioLead, Convenor]);
permission!(
    /// Issue Open311 API keys.
    ManageOpen311, "open311.manage", [Admin, Office]);
permission!(
    /// Read the committee's event stream (`/api/v1/events`), in its public form: for the
    /// office's own systems. Convenors and staff see their figures on the dashboard instead.
    ReadEvents, "events.read", [Admin, Office]);
permission!(
    /// Watch and nudge the installation's background jobs (`/office/jobs`): only the admins
    /// of the installation's own committee, since the jobs serve every committee.
    OperateServer, "server.operate", [Admin]);
permission!(
    /// Read the audit trail.
    ViewAudit, "audit.view", [Admin]);

/// The explicit mark of a use case anyone may run — a public page, the public API, a person
/// with their tracking code. A use case takes either a [`Granted`] naming its permission or
/// this, so that which of the two it is stands in its signature and at every call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Public;

/// Proof that `actor` holds permission `P` in `committee_id`. Private fields: only
/// [`Actor::grant`] makes one.
#[derive(Debug, Clone)]
pub struct Granted<P> {
    actor: Actor,
    _p: PhantomData<P>,
}

impl<P> Granted<P> {
    pub fn actor(&self) -> &Actor {
        &self.actor
    }
    pub fn committee_id(&self) -> i64 {
        self.actor.committee_id
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied {
    pub permission: &'static str,
}

impl Actor {
    pub fn can<P: Permission>(&self) -> bool {
        P::ROLES.contains(&self.role)
    }
    pub fn grant<P: Permission>(&self) -> Result<Granted<P>, Denied> {
        if self.can::<P>() {
            Ok(Granted {
                actor: self.clone(),
                _p: PhantomData,
            })
        } else {
            Err(Denied {
                permission: P::NAME,
            })
        }
    }
}

/// The system itself acting (CLI import, demo loader): it holds every permission in the
/// committee it is run for. Only the binary's own commands call this.
pub fn system_actor(committee_id: i64) -> Actor {
    Actor {
        user_id: 0,
        username: "system".into(),
        display_name: "系统".into(),
        committee_id,
        role: Role::Admin,
        member_id: None,
        handling_unit_id: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role) -> Actor {
        Actor {
            user_id: 1,
            username: "u".into(),
            display_name: "u".into(),
            committee_id: 7,
            role,
            member_id: None,
            handling_unit_id: None,
        }
    }

    #[test]
    fn office_manages_members_may_not_manage_users() {
        let office = actor(Role::Office);
        assert!(office.grant::<ManageOrganisation>().is_ok());
        assert_eq!(
            office.grant::<ManageUsers>().unwrap_err().permission,
            "users.manage"
        );
    }

    #[test]
    fn members_and_people_get_no_office_permissions() {
        for role in [
            Role::Member,
            Role::StudioLead,
            Role::HandlingUnit,
            Role::Constituent,
        ] {
            let a = actor(role);
            assert!(a.grant::<ViewOrganisation>().is_err(), "{role:?}");
            assert!(a.grant::<ManageOrganisation>().is_err(), "{role:?}");
            assert!(a.grant::<ViewDashboard>().is_err(), "{role:?}");
        }
    }

    #[test]
    fn grant_carries_the_committee() {
        assert_eq!(
            actor(Role::Admin)
                .grant::<ManageCommittees>()
                .unwrap()
                .committee_id(),
            7
        );
    }

    #[test]
    fn roles_parse_from_code_and_label() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.code()), Some(r));
            assert_eq!(Role::parse(r.label()), Some(r));
        }
    }
}
