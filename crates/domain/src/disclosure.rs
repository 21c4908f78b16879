//! What an event may show outside the transaction that wrote it.
//!
//! The journal stores every event in this form (`service::journal`): the full record of a
//! change is the audit trail's, which only admins read.
//!
//! Events are read by consumers inside the system (the duty log scores from them) and, through
//! `/api/v1/events`, by the office's other systems. The second audience gets the event's
//! public form: free text people wrote (a self-report's account, a concern's details, a
//! rejection's reason) and personal data (names, phones, addresses) are taken out, and the
//! actor of a secret ballot is not named.

use serde_json::Value;

/// Payload fields that carry people's own words or personal data, at any depth.
pub const PRIVATE_FIELDS: &[&str] = &[
    "answer",
    "body",
    "description",
    "display_name",
    "evidence_note",
    "interest",
    "ip",
    "name",
    "note",
    "phone",
    "reason",
    "summary",
    "text",
    "username",
    "voter_id",
];

/// Event kinds whose actor must not be named: the voter of a secret ballot.
const ANONYMOUS_KINDS: &[&str] = &["appraisal.voted"];

/// The payload without private fields (removed at every depth).
pub fn public_payload(payload: &Value) -> Value {
    match payload {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !PRIVATE_FIELDS.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), public_payload(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(public_payload).collect()),
        v => v.clone(),
    }
}

/// Whether an event of this kind may name who caused it.
pub fn names_actor(kind: &str) -> bool {
    !ANONYMOUS_KINDS.contains(&kind)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn personal_fields_go_at_every_depth_the_rest_stays() {
        let p = json!({"member_id": 3, "description": "在社区义诊", "items": [{"name": "张三", "kind": "x"}],
                       "evidence_file": 7});
        assert_eq!(
            public_payload(&p),
            json!({"member_id": 3, "items": [{"kind": "x"}], "evidence_file": 7})
        );
    }

    #[test]
    fn a_ballot_does_not_name_its_voter() {
        assert!(!names_actor("appraisal.voted"));
        assert!(names_actor("concern.answered"));
    }
}
