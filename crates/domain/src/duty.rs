//! Which events are duty work (R8): the duty log (云日志) is written by a consumer of the event
//! stream, and this is its dictionary — an event in, the duty-log entries it gives each member
//! out. Pure: the same event always gives the same entries, which is what lets a rebuild
//! reproduce the log exactly.
//!
//! Entry kinds are those the scoring rules know ([`crate::scoring::ENTRY_KINDS`]).

use serde_json::Value;

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

/// Every author of a proposal or report (`authors: [{member_id, role}]`), the lead first,
/// with their place among the joint authors.
fn authored(payload: &Value, kind: &'static str, subject: String) -> Vec<DutyEntry> {
    let Some(list) = payload["authors"].as_array() else {
        return vec![];
    };
    let joint: Vec<i64> = list
        .iter()
        .filter(|a| a["role"] == "joint")
        .filter_map(|a| a["member_id"].as_i64())
        .collect();
    list.iter()
        .filter_map(|a| {
            let member_id = a["member_id"].as_i64()?;
            let role = EntryRole::parse(a["role"].as_str().unwrap_or(""))?;
            let joint_index = joint.iter().position(|m| *m == member_id).unwrap_or(0) as u32;
            Some(DutyEntry {
                member_id,
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

/// The duty-log entries an event gives, member by member (none if it is not duty work).
pub fn entries_of(
    kind: &str,
    subject_type: &str,
    subject_id: i64,
    payload: &Value,
) -> Vec<DutyEntry> {
    let subject = format!("{subject_type}:{subject_id}");
    let member = payload["member_id"].as_i64();
    match kind {
        "activity.attended" => match member {
            Some(m) => attendance(
                payload["kind"].as_str().unwrap_or(""),
                payload["status"].as_str().unwrap_or(""),
            )
            .iter()
            .map(|k| one(m, k, subject.clone()))
            .collect(),
            None => vec![],
        },
        "activity.spoke" => member
            .map(|m| vec![one(m, "speech.written", subject)])
            .unwrap_or_default(),
        "reading.note_submitted" => member
            .map(|m| vec![one(m, "reading.note", subject)])
            .unwrap_or_default(),
        "policy.read" if payload["required"] == true => member
            .map(|m| vec![one(m, "policy.required_read", subject)])
            .unwrap_or_default(),
        "concern.answered" => member
            .map(|m| vec![one(m, "concern.answered", subject)])
            .unwrap_or_default(),
        "reception.held" => member
            .map(|m| vec![one(m, "reception.held", subject)])
            .unwrap_or_default(),
        "service.delivered" => member
            .map(|m| vec![one(m, "service.volunteer", subject)])
            .unwrap_or_default(),
        "proposal.submitted" => authored(payload, "proposal.submitted", subject),
        "proposal.accepted" => {
            let mut out = authored(payload, "proposal.accepted", subject.clone());
            // Each accepted proposal after the first as first proposer earns a bonus; the
            // count is in the event, so a replay gives the same answer.
            if payload["lead_accepted_before"].as_i64().unwrap_or(0) > 0 {
                out.extend(
                    authored(payload, "proposal.extra_accepted", subject)
                        .into_iter()
                        .filter(|e| e.role == EntryRole::Lead),
                );
            }
            out
        }
        "self_report.confirmed" => {
            match (member, known_kind(payload["kind"].as_str().unwrap_or(""))) {
                (Some(m), Some(k)) => vec![one(m, k, subject)],
                _ => vec![],
            }
        }
        "duty.corrected" => corrected(member, payload),
        "proposal.key" => authored(payload, "proposal.key", subject),
        "proposal.excellent" => authored(payload, "proposal.excellent", subject),
        "opinion.submitted" => authored(payload, "opinion.submitted", subject),
        "opinion.adopted" => {
            let mut out = authored(payload, "opinion.adopted", subject.clone());
            let extra = match payload["level"].as_str() {
                Some("upper_committee" | "party_government") => Some("opinion.adopted_upper"),
                Some("national") => Some("opinion.adopted_national"),
                _ => None,
            };
            if let Some(k) = extra {
                out.extend(authored(payload, k, subject));
            }
            out
        }
        "opinion.instructed" => match payload["level"].as_str() {
            Some("central") => authored(payload, "opinion.instructed_central", subject),
            Some("city" | "province") => authored(payload, "opinion.instructed_city", subject),
            _ => vec![],
        },
        _ => vec![],
    }
}

/// A correction (`duty.corrected`): an entry reversing the one it names and, for an
/// amendment, the entry that replaces it — never an edit in place.
fn corrected(member: Option<i64>, payload: &Value) -> Vec<DutyEntry> {
    let r = &payload["reverses"];
    let (Some(m), Some(event), Some(kind), Some(role)) = (
        member,
        r["event_id"].as_i64(),
        known_kind(r["kind"].as_str().unwrap_or("")),
        EntryRole::parse(r["role"].as_str().unwrap_or("")),
    ) else {
        return vec![];
    };
    let subject = r["subject"].as_str().unwrap_or("").to_string();
    let reversal = DutyEntry {
        member_id: m,
        kind,
        role,
        subject: subject.clone(),
        joint_count: r["joint_count"].as_u64().unwrap_or(0) as u32,
        joint_index: r["joint_index"].as_u64().unwrap_or(0) as u32,
        reverses_event: event,
    };
    let a = &payload["amend"];
    let amended = match (
        known_kind(a["kind"].as_str().unwrap_or("")),
        EntryRole::parse(a["role"].as_str().unwrap_or("")),
    ) {
        (Some(kind), Some(role)) => Some(DutyEntry {
            kind,
            role,
            reverses_event: 0,
            ..reversal.clone()
        }),
        _ => None,
    };
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
