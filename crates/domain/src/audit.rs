//! The audit trail's hash chain. Each record's hash covers the previous hash and the
//! record's own content, so changing or deleting any stored record breaks every hash after it
//! and `lianxin audit verify` finds the first broken one.

use sha2::{Digest, Sha256};

/// The hash before the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What an audit record says; the stored row adds the chain hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditContent {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub committee_id: i64,
    pub action: String,
    pub subject: String,
    pub before: String,
    pub after: String,
}

pub fn chain_hash(prev: &str, c: &AuditContent) -> String {
    let mut h = Sha256::new();
    // Length-prefix every part so that moving bytes between fields changes the hash.
    for part in [
        prev,
        &c.seq.to_string(),
        &c.at,
        &c.actor,
        &c.committee_id.to_string(),
        &c.action,
        &c.subject,
        &c.before,
        &c.after,
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The outcome of checking a chain.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Ok { records: usize },
    Broken { seq: i64, reason: &'static str },
}

/// Check records given in sequence order with their stored `prev` and `hash`.
pub fn verify<'a>(
    records: impl IntoIterator<Item = (&'a AuditContent, &'a str, &'a str)>,
) -> Verdict {
    let mut prev = GENESIS.to_string();
    let mut count = 0;
    for (expected_seq, (content, stored_prev, stored_hash)) in (1..).zip(records) {
        if content.seq != expected_seq {
            return Verdict::Broken {
                seq: content.seq,
                reason: "sequence gap (a record was removed)",
            };
        }
        if stored_prev != prev {
            return Verdict::Broken {
                seq: content.seq,
                reason: "previous hash does not match",
            };
        }
        let h = chain_hash(&prev, content);
        if h != stored_hash {
            return Verdict::Broken {
                seq: content.seq,
                reason: "content does not match its hash",
            };
        }
        prev = h;
        count += 1;
    }
    Verdict::Ok { records: count }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<(AuditContent, String, String)> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|seq| {
                let c = AuditContent {
                    seq,
                    at: "2026-01-01T00:00:00Z".into(),
                    actor: "office".into(),
                    committee_id: 1,
                    action: "member.update".into(),
                    subject: format!("member:{seq}"),
                    before: "{}".into(),
                    after: "{\"name\":\"张三\"}".into(),
                };
                let h = chain_hash(&prev, &c);
                let row = (c, prev.clone(), h.clone());
                prev = h;
                row
            })
            .collect()
    }

    fn check(rows: &[(AuditContent, String, String)]) -> Verdict {
        verify(rows.iter().map(|(c, p, h)| (c, p.as_str(), h.as_str())))
    }

    #[test]
    fn intact_chain_verifies() {
        assert_eq!(check(&chain(5)), Verdict::Ok { records: 5 });
    }

    #[test]
    fn edited_record_is_found() {
        let mut rows = chain(5);
        rows[2].0.after = "{\"name\":\"李四\"}".into();
        assert_eq!(
            check(&rows),
            Verdict::Broken {
                seq: 3,
                reason: "content does not match its hash"
            }
        );
    }

    #[test]
    fn deleted_record_is_found() {
        let mut rows = chain(5);
        rows.remove(1);
        assert!(matches!(check(&rows), Verdict::Broken { seq: 3, .. }));
    }
}
