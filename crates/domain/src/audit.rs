//! The audit trail's chain. Each record's hash covers the previous hash and the record's own
//! content, so changing or deleting any stored record breaks every hash after it and
//! `lianxin audit verify` finds the first broken one.
//!
//! The hash is a keyed MAC (HMAC-SHA256) under the audit key, which lives outside the
//! database (the configuration or a key file). Someone who can write to the database but
//! does not hold the key can delete or edit records, but cannot compute the chain again so
//! that it verifies. What a MAC cannot show — the newest records cut off together with the
//! head — signed checkpoints of the head, kept outside the database, show (see
//! [`Checkpoint`]).
//!
//! Databases written before the key existed have an unkeyed SHA-256 chain up to the record
//! before `keyed_from`; verification checks that part the old way, and the first signed
//! checkpoint records where it ends, so moving the boundary is caught too.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// The secret the audit chain is keyed with (32 bytes). Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct AuditKey([u8; 32]);

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(<redacted>)")
    }
}

impl AuditKey {
    pub fn from_bytes(bytes: [u8; 32]) -> AuditKey {
        AuditKey(bytes)
    }
    /// The secret itself, for the operator who pins it in the configuration.
    pub fn secret(&self) -> &[u8; 32] {
        &self.0
    }
    /// A secret derived from this key for another purpose (`label` says which), so that one
    /// configured key serves several uses without any two sharing bytes.
    pub fn derive(&self, label: &str) -> [u8; 32] {
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC takes any key");
        m.update(label.as_bytes());
        m.finalize().into_bytes().into()
    }
    /// A short public name of the key, to tell which key a checkpoint was made with.
    pub fn id(&self) -> String {
        hex(&self.derive("lianxin audit key id")[..8])
    }
}

/// Lower-case hexadecimal text of some bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

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

/// The keyed hash of a record after `prev`.
pub fn chain_mac(key: &AuditKey, prev: &str, c: &AuditContent) -> String {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&key.0).expect("HMAC takes any key");
    for part in parts(prev, c) {
        m.update(&part);
    }
    hex(&m.finalize().into_bytes())
}

/// The unkeyed hash of the records written before the audit key existed.
pub fn legacy_hash(prev: &str, c: &AuditContent) -> String {
    let mut h = Sha256::new();
    for part in parts(prev, c) {
        h.update(&part);
    }
    hex(&h.finalize())
}

/// The bytes a record's hash covers. Every part is length-prefixed so that moving bytes
/// between fields changes the hash.
fn parts(prev: &str, c: &AuditContent) -> Vec<Vec<u8>> {
    let mut out = Vec::with_capacity(18);
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
        out.push((part.len() as u64).to_be_bytes().to_vec());
        out.push(part.as_bytes().to_vec());
    }
    out
}

/// The outcome of checking a chain.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Ok { records: usize },
    Broken { seq: i64, reason: &'static str },
}

/// From which record on a key chains the audit trail. A rotation adds an epoch; the records
/// before it stay under the key they were written with.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Epoch {
    pub from: i64,
    /// [`AuditKey::id`] of the key.
    pub key_id: String,
}

/// How the chain is keyed: unkeyed before `keyed_from`, then each epoch's key from its
/// first record on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keying<'a> {
    pub keyed_from: i64,
    pub epochs: &'a [Epoch],
    /// Every key at hand (the current one and retired ones).
    pub keys: &'a [AuditKey],
}

impl Keying<'_> {
    /// The key of record `seq`: `Ok(None)` before the keyed chain, `Err` when the epoch's key
    /// is not at hand.
    fn key_of(&self, seq: i64) -> Result<Option<&AuditKey>, ()> {
        if seq < self.keyed_from {
            return Ok(None);
        }
        let epoch = self.epochs.iter().rev().find(|e| e.from <= seq).ok_or(())?;
        self.keys
            .iter()
            .find(|k| k.id() == epoch.key_id)
            .map(Some)
            .ok_or(())
    }
}

/// Check records given in sequence order with their stored `prev` and `hash`: records from
/// `keyed_from` on against their epoch's key, earlier ones against the unkeyed hash.
pub fn verify<'a>(
    keying: &Keying<'_>,
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
        let h = match keying.key_of(content.seq) {
            Ok(Some(key)) => chain_mac(key, &prev, content),
            Ok(None) => legacy_hash(&prev, content),
            Err(()) => {
                return Verdict::Broken {
                    seq: content.seq,
                    reason: "the key of this part of the chain is not at hand (add it to audit_retired_keys)",
                };
            }
        };
        if h != stored_hash {
            // The content matches a hash anyone can compute: the chain was made again by
            // someone without the key.
            let reason = if legacy_hash(&prev, content) == stored_hash {
                "chain recomputed without the audit key"
            } else {
                "content does not match its hash"
            };
            return Verdict::Broken {
                seq: content.seq,
                reason,
            };
        }
        prev = h;
        count += 1;
    }
    Verdict::Ok { records: count }
}

/// A statement of the chain's head at a moment, signed (Ed25519, by the service) and kept
/// outside the database, one JSON line each in an append-only file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: String,
    /// The first record of the keyed chain (earlier ones are unkeyed).
    pub keyed_from: i64,
    pub at: String,
    /// [`AuditKey::id`] of the key the chain is keyed with now (and that signed this line).
    pub key_id: String,
    /// Every key epoch so far, so that moving a boundary in the database is caught.
    pub epochs: Vec<Epoch>,
}

impl Checkpoint {
    /// The exact bytes signed.
    pub fn message(&self) -> Vec<u8> {
        let epochs: Vec<String> = self
            .epochs
            .iter()
            .map(|e| format!("{}:{}", e.from, e.key_id))
            .collect();
        format!(
            "lianxin-audit-checkpoint-v1\n{}\n{}\n{}\n{}\n{}\n{}",
            self.seq,
            self.hash,
            self.keyed_from,
            self.at,
            self.key_id,
            epochs.join(",")
        )
        .into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> AuditKey {
        AuditKey::from_bytes([7; 32])
    }

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
                let h = chain_mac(&key(), &prev, &c);
                let row = (c, prev.clone(), h.clone());
                prev = h;
                row
            })
            .collect()
    }

    fn epochs(from: i64, k: &AuditKey) -> Vec<Epoch> {
        vec![Epoch {
            from,
            key_id: k.id(),
        }]
    }

    fn check_with(
        keyed_from: i64,
        epochs: &[Epoch],
        keys: &[AuditKey],
        rows: &[(AuditContent, String, String)],
    ) -> Verdict {
        let keying = Keying {
            keyed_from,
            epochs,
            keys,
        };
        verify(
            &keying,
            rows.iter().map(|(c, p, h)| (c, p.as_str(), h.as_str())),
        )
    }

    fn check(rows: &[(AuditContent, String, String)]) -> Verdict {
        check_with(1, &epochs(1, &key()), &[key()], rows)
    }

    #[test]
    fn a_rotated_key_keys_the_records_after_its_epoch() {
        let old = key();
        let new = AuditKey::from_bytes([9; 32]);
        let mut rows = chain(2);
        let mut prev = rows[1].2.clone();
        for seq in 3..=4 {
            let mut c = rows[0].0.clone();
            c.seq = seq;
            let h = chain_mac(&new, &prev, &c);
            rows.push((c, prev.clone(), h.clone()));
            prev = h;
        }
        let both = vec![
            Epoch {
                from: 1,
                key_id: old.id(),
            },
            Epoch {
                from: 3,
                key_id: new.id(),
            },
        ];
        assert_eq!(
            check_with(1, &both, &[new.clone(), old.clone()], &rows),
            Verdict::Ok { records: 4 }
        );
        // Without the retired key the old part cannot be checked, and says so.
        assert!(matches!(
            check_with(1, &both, std::slice::from_ref(&new), &rows),
            Verdict::Broken { seq: 1, .. }
        ));
        // A boundary moved (the new key claimed from record 2) breaks at record 2.
        let moved = vec![
            both[0].clone(),
            Epoch {
                from: 2,
                key_id: new.id(),
            },
        ];
        assert!(matches!(
            check_with(1, &moved, &[new, old], &rows),
            Verdict::Broken { seq: 2, .. }
        ));
    }

    #[test]
    fn a_chain_made_again_without_the_key_is_found() {
        let mut rows = chain(4);
        let mut prev = GENESIS.to_string();
        for r in &mut rows {
            r.1 = prev.clone();
            r.2 = legacy_hash(&prev, &r.0);
            prev = r.2.clone();
        }
        assert_eq!(
            check(&rows),
            Verdict::Broken {
                seq: 1,
                reason: "chain recomputed without the audit key"
            }
        );
        // The same rows are a valid legacy chain where the key had not come yet.
        let v = check_with(5, &epochs(5, &key()), &[key()], &rows);
        assert_eq!(v, Verdict::Ok { records: 4 });
    }

    #[test]
    fn another_key_does_not_verify() {
        let rows = chain(3);
        let other = AuditKey::from_bytes([8; 32]);
        let v = check_with(1, &epochs(1, &other), std::slice::from_ref(&other), &rows);
        assert!(matches!(v, Verdict::Broken { seq: 1, .. }));
        assert_ne!(key().id(), other.id());
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
