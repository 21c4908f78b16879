//! Which events are duty work (R8): the duty log (云日志) is written by a consumer of the event
//! stream, and this is its dictionary — an event in, the duty-log entries it gives each member
//! out. Pure: the same event always gives the same entries, which is what lets a rebuild
//! reproduce the log exactly.
//!
//! Entry kinds are those the scoring rules know ([`crate::scoring::ENTRY_KINDS`]).

use serde_json::Value;

use crate::event::{Author, Corrected, DomainEvent};
use crate::scoring::EntryRole;

/// One duty-log entry an event gives a member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DutyEntry {
    pub member_id: i64,
    pub kind: &'static str,
    pub role: EntryRole,
    /// What it is about (`proposal:12`, `activity:7`): links to the source and is the unit of
    /// "count once".
    pub subject: String,
    pub joint_count: u32,
    pub joint_index: u32,
    /// For a correction: the event whose entry of this kind this one reverses (0: none).
    pub reverses_event: i64,
}

/// What a member may report themselves for work done offline (with evidence, confirmed by
/// the office before it counts). Meetings, proposals and reports are logged from the work
/// itself and are not reported by hand.
pub const SELF_REPORTABLE: &[&str] = &[
    "activity.attended",
    "inspection.attended",
    "reception.held",
    "service.volunteer",
    "service.sustained",
    "speech.written",
    "reading.note",
    "honour.national",
    "honour.provincial",
    "honour.prefecture",
    "honour.city",
];

/// The entry kind as the static name the scoring rules know, if it is one.
pub fn known_kind(kind: &str) -> Option<&'static str> {
    crate::scoring::ENTRY_KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(k, _)| *k)
}

/// Which of a member's entries are in force: a correction's reversing entry cancels the entry
/// it names (same event, same kind), and neither counts. Entries are (event, kind, reverses).
pub fn in_force(entries: &[(i64, &str, i64)]) -> Vec<bool> {
    // Corrections are rare: most members have none to look up.
    if entries.iter().all(|(_, _, r)| *r == 0) {
        return vec![true; entries.len()];
    }
    let reversed: std::collections::HashSet<(i64, &str)> = entries
        .iter()
        .filter(|(_, _, r)| *r != 0)
        .map(|(_, k, r)| (*r, *k))
        .collect();
    entries
        .iter()
        .map(|(e, k, r)| *r == 0 && !reversed.contains(&(*e, *k)))
        .collect()
}

fn one(member_id: i64, kind: &'static str, subject: String) -> DutyEntry {
    DutyEntry {
        member_id,
        kind,
        role: EntryRole::Participant,
        subject,
        joint_count: 0,
        joint_index: 0,
        reverses_event: 0,
    }
}

/// Every author of a proposal or report, the lead first, with their place among the joint
/// authors.
fn authored(authors: &[Author], kind: &'static str, subject: String) -> Vec<DutyEntry> {
    let joint: Vec<i64> = authors
        .iter()
        .filter(|a| a.role == "joint")
        .map(|a| a.member_id)
        .collect();
    authors
        .iter()
        .filter_map(|a| {
            let role = EntryRole::parse(&a.role)?;
            let joint_index = joint.iter().position(|m| *m == a.member_id).unwrap_or(0) as u32;
            Some(DutyEntry {
                member_id: a.member_id,
                kind,
                role,
                subject: subject.clone(),
                joint_count: joint.len() as u32,
                joint_index,
                reverses_event: 0,
            })
        })
        .collect()
}

/// An activity's attendance as entry kinds, by the activity's kind (kinds a committee adds
/// itself count as activities).
fn attendance(kind: &str, status: &str) -> &'static [&'static str] {
    let present = matches!(status, "attended" | "late" | "left_early");
    let marked = matches!(status, "late" | "left_early");
    match (kind, status) {
        ("plenary", _) if present && marked => &["plenary.attended", "plenary.late"],
        ("plenary", _) if present => &["plenary.attended"],
        ("plenary", "excused") => &["plenary.excused"],
        ("plenary", _) => &["plenary.unexcused"],
        ("group_session", _) if present && marked => &["meeting.attended", "plenary.late"],
        ("standing_meeting", _) if present => &["standing.attended"],
        ("standing_meeting", "excused") => &["standing.excused"],
        ("standing_meeting", _) => &["standing.unexcused"],
        ("group_session" | "chairs_council", _) if present => &["meeting.attended"],
        ("group_session" | "chairs_council", "excused") => &[],
        ("group_session" | "chairs_council", _) => &["meeting.unexcused"],
        ("inspection" | "pollution_inspection" | "conduct_oversight", _) if present => {
            &["inspection.attended"]
        }
        ("volunteer", _) if present => &["service.volunteer"],
        (_, _) if present => &["activity.attended"],
        (_, "excused") => &[],
        (_, _) => &["activity.unexcused"],
    }
}

/// The duty-log entries an event stored as `kind` with `payload` gives, member by member
/// (none if it is not duty work).
pub fn entries_of(
    kind: &str,
    subject_type: &str,
    subject_id: i64,
    payload: &Value,
) -> Vec<DutyEntry> {
    entries_of_event(
        &DomainEvent::read(kind, payload),
        format!("{subject_type}:{subject_id}"),
    )
}

/// The duty-log entries an event gives, member by member, about `subject`.
pub fn entries_of_event(event: &DomainEvent, subject: String) -> Vec<DutyEntry> {
    use DomainEvent as E;
    let single = |m: Option<i64>, kind: &'static str| -> Vec<DutyEntry> {
        m.map(|m| vec![one(m, kind, subject.clone())])
            .unwrap_or_default()
    };
    match event {
        E::ActivityAttended(a) => match a.member_id {
            Some(m) => attendance(&a.kind, &a.status)
                .iter()
                .map(|k| one(m, k, subject.clone()))
                .collect(),
            None => vec![],
        },
        E::ActivitySpoke(e) => single(e.member_id, "speech.written"),
        E::ReadingNoteSubmitted(e) => single(e.member_id, "reading.note"),
        E::PolicyRead(e) if e.required => single(e.member_id, "policy.required_read"),
        E::PolicyRead(_) => vec![],
        E::ConcernAnswered(e) => single(e.member_id, "concern.answered"),
        E::ReceptionHeld(e) => single(e.member_id, "reception.held"),
        E::ServiceDelivered(e) => single(e.member_id, "service.volunteer"),
        E::ProposalSubmitted(a) => authored(&a.authors, "proposal.submitted", subject),
        E::ProposalAccepted(a) => {
            let mut out = authored(&a.authors, "proposal.accepted", subject.clone());
            // Each accepted proposal after the first as first proposer earns a bonus; the
            // count is in the event, so a replay gives the same answer.
            if a.lead_accepted_before > 0 {
                out.extend(
                    authored(&a.authors, "proposal.extra_accepted", subject)
                        .into_iter()
                        .filter(|e| e.role == EntryRole::Lead),
                );
            }
            out
        }
        E::SelfReportConfirmed(r) => match (r.member_id, known_kind(&r.kind)) {
            (Some(m), Some(k)) => vec![one(m, k, subject)],
            _ => vec![],
        },
        E::DutyCorrected(c) => corrected(c),
        E::ProposalKey(a) => authored(&a.authors, "proposal.key", subject),
        E::ProposalExcellent(a) => authored(&a.authors, "proposal.excellent", subject),
        E::OpinionSubmitted(a) => authored(&a.authors, "opinion.submitted", subject),
        E::OpinionAdopted(a) => {
            let mut out = authored(&a.authors, "opinion.adopted", subject.clone());
            let extra = match a.level.as_deref() {
                Some("upper_committee" | "party_government") => Some("opinion.adopted_upper"),
                Some("national") => Some("opinion.adopted_national"),
                _ => None,
            };
            if let Some(k) = extra {
                out.extend(authored(&a.authors, k, subject));
            }
            out
        }
        E::OpinionInstructed(a) => match a.level.as_deref() {
            Some("central") => authored(&a.authors, "opinion.instructed_central", subject),
            Some("city" | "province") => authored(&a.authors, "opinion.instructed_city", subject),
            _ => vec![],
        },
        E::Other => vec![],
    }
}

/// A correction: an entry reversing the one it names and, for an amendment, the entry that
/// replaces it — never an edit in place.
fn corrected(c: &Corrected) -> Vec<DutyEntry> {
    let r = &c.reverses;
    let (Some(m), Some(kind), Some(role)) =
        (c.member_id, known_kind(&r.kind), EntryRole::parse(&r.role))
    else {
        return vec![];
    };
    let reversal = DutyEntry {
        member_id: m,
        kind,
        role,
        subject: r.subject.clone(),
        joint_count: r.joint_count,
        joint_index: r.joint_index,
        reverses_event: r.event_id,
    };
    let amended = c.amend.as_ref().and_then(|a| {
        Some(DutyEntry {
            kind: known_kind(&a.kind)?,
            role: EntryRole::parse(&a.role)?,
            reverses_event: 0,
            ..reversal.clone()
        })
    });
    std::iter::once(reversal).chain(amended).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn kinds(v: &[DutyEntry]) -> Vec<(i64, &'static str)> {
        v.iter().map(|e| (e.member_id, e.kind)).collect()
    }

    #[test]
    fn attendance_by_the_activitys_kind() {
        let at = |kind: &str, status: &str| {
            kinds(&entries_of(
                "activity.attended",
                "activity",
                7,
                &json!({"member_id": 3, "kind": kind, "status": status}),
            ))
        };
        assert_eq!(at("plenary", "attended"), [(3, "plenary.attended")]);
        assert_eq!(
            at("plenary", "late"),
            [(3, "plenary.attended"), (3, "plenary.late")]
        );
        assert_eq!(at("plenary", "excused"), [(3, "plenary.excused")]);
        assert_eq!(at("plenary", "unexcused"), [(3, "plenary.unexcused")]);
        assert_eq!(
            at("standing_meeting", "unexcused"),
            [(3, "standing.unexcused")]
        );
        assert_eq!(at("inspection", "attended"), [(3, "inspection.attended")]);
        assert_eq!(at("volunteer", "left_early"), [(3, "service.volunteer")]);
        assert_eq!(at("consultation", "unexcused"), [(3, "activity.unexcused")]);
        assert_eq!(
            at("river_patrol", "attended"),
            [(3, "activity.attended")],
            "a committee's own kind"
        );
        assert!(at("reading", "excused").is_empty());
    }

    #[test]
    fn authors_with_roles_and_joint_places() {
        let p = json!({"authors": [{"member_id": 1, "role": "lead"}, {"member_id": 2, "role": "joint"}, {"member_id": 3, "role": "joint"}]});
        let es = entries_of("proposal.accepted", "proposal", 9, &p);
        assert_eq!(es.len(), 3);
        assert_eq!((es[0].role, es[0].joint_count), (EntryRole::Lead, 2));
        assert_eq!((es[2].member_id, es[2].joint_index), (3, 1));
        assert!(es.iter().all(|e| e.subject == "proposal:9"));
        let adopted = entries_of(
            "opinion.adopted",
            "opinion_report",
            4,
            &json!({"level": "national", "authors": [{"member_id": 5, "role": "lead"}]}),
        );
        assert_eq!(
            kinds(&adopted),
            [(5, "opinion.adopted"), (5, "opinion.adopted_national")]
        );
        let central = entries_of(
            "opinion.instructed",
            "opinion_report",
            4,
            &json!({"level": "central", "authors": [{"member_id": 5, "role": "lead"}]}),
        );
        assert_eq!(kinds(&central), [(5, "opinion.instructed_central")]);
    }

    #[test]
    fn only_duty_work_gives_entries() {
        assert!(entries_of("user.logged_in", "user", 1, &json!({})).is_empty());
        assert!(
            entries_of(
                "activity.checked_in",
                "activity",
                1,
                &json!({"member_id": 2})
            )
            .is_empty(),
            "attendance counts once, at the close"
        );
        assert!(
            entries_of(
                "policy.read",
                "policy_document",
                1,
                &json!({"member_id": 2, "required": false})
            )
            .is_empty()
        );
        assert_eq!(
            kinds(&entries_of(
                "policy.read",
                "policy_document",
                1,
                &json!({"member_id": 2, "required": true})
            )),
            [(2, "policy.required_read")]
        );
        assert_eq!(
            kinds(&entries_of(
                "activity.spoke",
                "activity",
                1,
                &json!({"member_id": 2})
            )),
            [(2, "speech.written")]
        );
        assert!(
            entries_of("activity.spoke", "activity", 1, &json!({"member_id": null})).is_empty()
        );
    }

    #[test]
    fn corrections_reverse_and_amend_and_reversed_entries_drop_out() {
        let es = entries_of(
            "duty.corrected",
            "duty_entry",
            40,
            &json!({"member_id": 3, "reverses": {"event_id": 17, "kind": "proposal.accepted", "role": "lead", "subject": "proposal:2"},
                    "amend": {"kind": "proposal.accepted", "role": "joint"}}),
        );
        assert_eq!(es.len(), 2);
        assert_eq!((es[0].reverses_event, es[0].role), (17, EntryRole::Lead));
        assert_eq!((es[1].reverses_event, es[1].role), (0, EntryRole::Joint));
        assert_eq!(es[1].subject, "proposal:2");
        // The original (event 17), its reversal and the amendment: only the amendment counts.
        let force = in_force(&[
            (17, "proposal.accepted", 0),
            (40, "proposal.accepted", 17),
            (40, "proposal.accepted", 0),
            (18, "proposal.accepted", 0),
        ]);
        assert_eq!(force, [false, false, true, true]);
        let confirmed = entries_of(
            "self_report.confirmed",
            "self_report",
            5,
            &json!({"member_id": 3, "kind": "service.volunteer"}),
        );
        assert_eq!(kinds(&confirmed), [(3, "service.volunteer")]);
        assert!(
            entries_of(
                "self_report.confirmed",
                "self_report",
                5,
                &json!({"member_id": 3, "kind": "made.up"})
            )
            .is_empty()
        );
    }

    #[test]
    fn a_further_accepted_proposal_earns_the_lead_a_bonus() {
        let p = json!({"lead_accepted_before": 1, "authors": [{"member_id": 1, "role": "lead"}, {"member_id": 2, "role": "joint"}]});
        assert_eq!(
            kinds(&entries_of("proposal.accepted", "proposal", 9, &p)),
            [
                (1, "proposal.accepted"),
                (2, "proposal.accepted"),
                (1, "proposal.extra_accepted")
            ]
        );
    }

    /// Every kind this dictionary writes is one the scoring rules know.
    #[test]
    fn every_entry_kind_is_scorable() {
        for k in SELF_REPORTABLE {
            assert!(known_kind(k).is_some(), "{k}");
        }
        let statuses = ["attended", "late", "left_early", "excused", "unexcused"];
        let kinds_ = [
            "plenary",
            "group_session",
            "standing_meeting",
            "chairs_council",
            "inspection",
            "volunteer",
            "consultation",
            "x",
        ];
        for k in kinds_ {
            for s in statuses {
                for e in attendance(k, s) {
                    assert!(
                        crate::scoring::ENTRY_KINDS.iter().any(|(x, _)| x == e),
                        "{e}"
                    );
                }
            }
        }
    }
}
