//! Domain events as types, for the consumers that act on them.
//!
//! An event is stored as a kind (`proposal.accepted`) and a JSON payload, written in the
//! same transaction as the change. A consumer reads it back as one [`DomainEvent`] variant
//! with typed fields and matches on it, instead of reading fields of a JSON value by name.
//!
//! Schema versions: every kind below is at version 1. A field added later gets a serde
//! default, so rows written before still read; a change that old rows cannot be read as
//! becomes a new kind. Kinds no consumer acts on read as [`DomainEvent::Other`].

use serde::Deserialize;
use serde_json::Value;

/// An event about one member (a speech, a reading note).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ByMember {
    pub member_id: Option<i64>,
}

/// A member's attendance of an activity, fixed when it was closed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Attended {
    pub member_id: Option<i64>,
    /// The activity's kind (`plenary`, `inspection` …).
    #[serde(default)]
    pub kind: String,
    /// `present`, `late`, `left_early`, `excused`, `absent`.
    #[serde(default)]
    pub status: String,
}

/// A member read a document of the policy library.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PolicyRead {
    pub member_id: Option<i64>,
    #[serde(default)]
    pub required: bool,
}

/// One author of a proposal or an opinion report, with their role.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Author {
    pub member_id: i64,
    /// `lead`, `joint` or `collective`.
    pub role: String,
}

/// A step of a proposal or an opinion report, naming every author.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Authored {
    #[serde(default)]
    pub authors: Vec<Author>,
    /// For an acceptance: how many proposals the lead author had accepted before this one.
    #[serde(default)]
    pub lead_accepted_before: i64,
    /// For an adoption or an instruction: at which level.
    #[serde(default)]
    pub level: Option<String>,
}

/// Offline work the office confirmed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SelfReportConfirmed {
    pub member_id: Option<i64>,
    /// The entry kind the work is logged as.
    #[serde(default)]
    pub kind: String,
}

/// The entry a correction reverses.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Reversed {
    pub event_id: i64,
    pub kind: String,
    pub role: String,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub joint_count: u32,
    #[serde(default)]
    pub joint_index: u32,
}

/// What an amendment puts in the reversed entry's place.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Amendment {
    pub kind: String,
    pub role: String,
}

/// A correction of the duty log: a reversal, and for an amendment the replacement.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Corrected {
    pub member_id: Option<i64>,
    pub reverses: Reversed,
    #[serde(default)]
    pub amend: Option<Amendment>,
}

/// The events a consumer acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DomainEvent {
    ActivityAttended(Attended),
    ActivitySpoke(ByMember),
    ReadingNoteSubmitted(ByMember),
    PolicyRead(PolicyRead),
    ConcernAnswered(ByMember),
    ReceptionHeld(ByMember),
    ServiceDelivered(ByMember),
    ProposalSubmitted(Authored),
    ProposalAccepted(Authored),
    ProposalKey(Authored),
    ProposalExcellent(Authored),
    OpinionSubmitted(Authored),
    OpinionAdopted(Authored),
    OpinionInstructed(Authored),
    SelfReportConfirmed(SelfReportConfirmed),
    DutyCorrected(Corrected),
    /// Any other kind, or a payload that does not read as its kind's type.
    Other,
}

impl DomainEvent {
    /// Every kind read as a typed variant.
    pub const TYPED_KINDS: [&'static str; 16] = [
        "activity.attended",
        "activity.spoke",
        "reading.note_submitted",
        "policy.read",
        "concern.answered",
        "reception.held",
        "service.delivered",
        "proposal.submitted",
        "proposal.accepted",
        "proposal.key",
        "proposal.excellent",
        "opinion.submitted",
        "opinion.adopted",
        "opinion.instructed",
        "self_report.confirmed",
        "duty.corrected",
    ];

    /// The event stored as `kind` with `payload`.
    pub fn read(kind: &str, payload: &Value) -> DomainEvent {
        fn as_<T: serde::de::DeserializeOwned>(p: &Value, f: fn(T) -> DomainEvent) -> DomainEvent {
            T::deserialize(p).map(f).unwrap_or(DomainEvent::Other)
        }
        use DomainEvent as E;
        match kind {
            "activity.attended" => as_(payload, E::ActivityAttended),
            "activity.spoke" => as_(payload, E::ActivitySpoke),
            "reading.note_submitted" => as_(payload, E::ReadingNoteSubmitted),
            "policy.read" => as_(payload, E::PolicyRead),
            "concern.answered" => as_(payload, E::ConcernAnswered),
            "reception.held" => as_(payload, E::ReceptionHeld),
            "service.delivered" => as_(payload, E::ServiceDelivered),
            "proposal.submitted" => as_(payload, E::ProposalSubmitted),
            "proposal.accepted" => as_(payload, E::ProposalAccepted),
            "proposal.key" => as_(payload, E::ProposalKey),
            "proposal.excellent" => as_(payload, E::ProposalExcellent),
            "opinion.submitted" => as_(payload, E::OpinionSubmitted),
            "opinion.adopted" => as_(payload, E::OpinionAdopted),
            "opinion.instructed" => as_(payload, E::OpinionInstructed),
            "self_report.confirmed" => as_(payload, E::SelfReportConfirmed),
            "duty.corrected" => as_(payload, E::DutyCorrected),
            _ => E::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn stored_payloads_read_as_their_variant() {
        let e = DomainEvent::read(
            "proposal.accepted",
            &json!({"authors": [{"member_id": 3, "role": "lead"}], "lead_accepted_before": 2, "extra": 1}),
        );
        let DomainEvent::ProposalAccepted(a) = e else {
            panic!("{e:?}")
        };
        assert_eq!(a.authors[0].member_id, 3);
        assert_eq!(a.lead_accepted_before, 2);
        // A row written before a field existed still reads (serde defaults).
        assert_eq!(
            DomainEvent::read("policy.read", &json!({"member_id": 5})),
            DomainEvent::PolicyRead(PolicyRead {
                member_id: Some(5),
                required: false
            })
        );
    }

    #[test]
    fn every_typed_kind_is_read() {
        // A kind listed but not matched in `read` would always be `Other`. This payload
        // has every field of every variant (extra fields are ignored).
        let full = json!({"member_id": 1, "kind": "x", "status": "present", "required": true,
            "authors": [], "reverses": {"event_id": 1, "kind": "a", "role": "lead"}});
        for k in DomainEvent::TYPED_KINDS {
            assert_ne!(DomainEvent::read(k, &full), DomainEvent::Other, "{k}");
        }
    }

    #[test]
    fn unknown_kinds_and_unreadable_payloads_are_other() {
        assert_eq!(
            DomainEvent::read("user.logged_in", &json!({})),
            DomainEvent::Other
        );
        assert_eq!(
            DomainEvent::read("duty.corrected", &json!({"member_id": 1})),
            DomainEvent::Other
        );
    }
}
