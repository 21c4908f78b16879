//! Personal data at rest: phone numbers sealed with AES-256-GCM under the configured key,
//! plus a keyed blind index (HMAC-SHA256) so that the same number can be found or
//! de-duplicated without decrypting every row.
//!
//! Three secrets, so that the sealing key can be changed without touching the others: the
//! sealing key (with other keys that may still open what is sealed, while a rotation
//! runs), the index key (blind indexes, check-in codes, calendar links: changing it would
//! break every stored index and every link handed out) and the audit key. The index and
//! audit keys default to ones derived from the sealing key; a rotation needs them pinned.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use lianxin_domain::audit::AuditKey;
use rand::RngCore;
use sha2::Sha256;

pub struct Crypto {
    /// Seals new values; opens them first.
    key: [u8; 32],
    /// Other keys that may open sealed values: the previous key while a rotation re-seals,
    /// or the next one while nodes are being given it.
    openers: Vec<[u8; 32]>,
    /// Keys the blind index and the purpose digests; the sealing key unless pinned.
    index: [u8; 32],
    index_pinned: bool,
    /// The audit chain's key: its own if configured, else derived from the encryption key
    /// (one secret to keep, none of its bytes shared between the two uses).
    audit: AuditKey,
    audit_pinned: bool,
    /// Earlier audit keys, to check the parts of the chain written before a rotation.
    retired: Vec<AuditKey>,
}

// The key must never reach a log.
impl std::fmt::Debug for Crypto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Crypto(<redacted>)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("加密密钥应为 32 字节的 base64 文本（可用 `openssl rand -base64 32` 生成）")]
    BadKey,
    #[error(
        "配置了其他加密密钥（encryption_other_keys）时必须固定索引密钥 index_key 和审计密钥 audit_key：请先在原密钥下运行 `lianxin keys pin`。Pin index_key and audit_key before changing the encryption key."
    )]
    Unpinned,
}

fn key_bytes(text: &str) -> Result<[u8; 32], KeyError> {
    let bytes = B64.decode(text.trim()).map_err(|_| KeyError::BadKey)?;
    bytes.try_into().map_err(|_| KeyError::BadKey)
}

fn key_id_of(key: &[u8; 32]) -> String {
    digest(key, "key-id", "v1")[..16].to_string()
}

fn digest(key: &[u8; 32], purpose: &str, data: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(b"lianxin-");
    mac.update(purpose.as_bytes());
    mac.update(b":");
    mac.update(data.as_bytes());
    hex(&mac.finalize().into_bytes())
}

fn open_with(key: &[u8; 32], sealed: &[u8]) -> Option<String> {
    if sealed.len() < 12 {
        return None;
    }
    let cipher = Aes256Gcm::new(key.into());
    let plain = cipher
        .decrypt(Nonce::from_slice(&sealed[..12]), &sealed[12..])
        .ok()?;
    String::from_utf8(plain).ok()
}

/// What opened a sealed value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opened {
    /// The sealing key: nothing to do.
    Current,
    /// Another configured key: re-seal it.
    Other,
    /// No key this node holds.
    Unreadable,
}

fn signer_of(k: &AuditKey) -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&k.derive("lianxin audit checkpoint signing v1"))
}

impl Crypto {
    pub fn from_base64(text: &str) -> Result<Crypto, KeyError> {
        let key = key_bytes(text)?;
        let audit =
            AuditKey::from_bytes(AuditKey::from_bytes(key).derive("lianxin audit chain v1"));
        Ok(Crypto {
            key,
            openers: vec![],
            index: key,
            index_pinned: false,
            audit,
            audit_pinned: false,
            retired: vec![],
        })
    }

    fn audit_key_of(text: &str) -> Result<AuditKey, KeyError> {
        Ok(AuditKey::from_bytes(key_bytes(text)?))
    }

    /// Key the blind index and purpose digests with their own key (base64, 32 bytes).
    pub fn with_index_key(self, text: &str) -> Result<Crypto, KeyError> {
        Ok(Crypto {
            index: key_bytes(text)?,
            index_pinned: true,
            ..self
        })
    }

    /// Other keys (base64) that may open sealed values. Refused unless the index and audit
    /// keys are pinned: derived from a sealing key that is being changed, they would change
    /// with it (every stored index lost, the audit chain unverifiable).
    pub fn with_other_keys(self, texts: &[String]) -> Result<Crypto, KeyError> {
        if texts.is_empty() {
            return Ok(self);
        }
        if !self.index_pinned || !self.audit_pinned {
            return Err(KeyError::Unpinned);
        }
        let openers = texts
            .iter()
            .map(|t| key_bytes(t))
            .collect::<Result<_, _>>()?;
        Ok(Crypto { openers, ..self })
    }

    /// The index key, as base64 text (for pinning it before the sealing key changes).
    pub fn index_key_base64(&self) -> String {
        B64.encode(self.index)
    }

    /// Fingerprints of the other keys that may open sealed values.
    pub fn other_key_ids(&self) -> Vec<String> {
        self.openers.iter().map(key_id_of).collect()
    }

    /// Keep earlier audit keys (base64) to check the chain written under them.
    pub fn with_retired_audit_keys(self, texts: &[String]) -> Result<Crypto, KeyError> {
        let retired = texts
            .iter()
            .map(|t| Crypto::audit_key_of(t))
            .collect::<Result<_, _>>()?;
        Ok(Crypto { retired, ..self })
    }

    /// The current audit key first, then the retired ones.
    pub fn audit_keys(&self) -> Vec<AuditKey> {
        std::iter::once(self.audit.clone())
            .chain(self.retired.iter().cloned())
            .collect()
    }

    /// The audit key in use, as base64 text (for pinning it before the encryption key it
    /// is derived from changes).
    pub fn audit_key_base64(&self) -> String {
        B64.encode(self.audit.secret())
    }

    /// Key the audit chain with its own key (base64, 32 bytes) instead of one derived from
    /// the encryption key.
    pub fn with_audit_key(self, text: &str) -> Result<Crypto, KeyError> {
        Ok(Crypto {
            audit: Crypto::audit_key_of(text)?,
            audit_pinned: true,
            ..self
        })
    }

    pub fn audit_key(&self) -> &AuditKey {
        &self.audit
    }

    /// The Ed25519 key checkpoints of the audit chain are signed with, derived from the
    /// audit key: whoever holds the public half can check a checkpoint without any secret.
    pub fn checkpoint_signer(&self) -> ed25519_dalek::SigningKey {
        signer_of(&self.audit)
    }

    /// The public halves of the current and the retired keys' checkpoint signers.
    pub fn checkpoint_verifiers(&self) -> Vec<ed25519_dalek::VerifyingKey> {
        self.audit_keys()
            .iter()
            .map(|k| signer_of(k).verifying_key())
            .collect()
    }

    /// The key's fingerprint, recorded in the database: it names the key without revealing
    /// it (a keyed digest of a fixed text).
    pub fn key_id(&self) -> String {
        key_id_of(&self.key)
    }

    /// A fresh random key, as base64 text.
    pub fn generate_key() -> String {
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        B64.encode(key)
    }

    /// nonce (12 bytes) ‖ ciphertext
    pub fn seal(&self, plain: &str) -> Vec<u8> {
        let cipher = Aes256Gcm::new(&self.key.into());
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let mut out = nonce.to_vec();
        // Encryption with a valid key and nonce cannot fail for inputs this small.
        if let Ok(ct) = cipher.encrypt(Nonce::from_slice(&nonce), plain.as_bytes()) {
            out.extend(ct);
        }
        out
    }

    /// Open with the sealing key, else with any other key held.
    pub fn open(&self, sealed: &[u8]) -> Option<String> {
        open_with(&self.key, sealed)
            .or_else(|| self.openers.iter().find_map(|k| open_with(k, sealed)))
    }

    /// Which key opens `sealed`, and, if it is not the sealing key, the value sealed anew.
    pub fn reseal(&self, sealed: &[u8]) -> (Opened, Option<Vec<u8>>) {
        if open_with(&self.key, sealed).is_some() {
            return (Opened::Current, None);
        }
        match self.openers.iter().find_map(|k| open_with(k, sealed)) {
            Some(plain) => (Opened::Other, Some(self.seal(&plain))),
            None => (Opened::Unreadable, None),
        }
    }

    pub fn blind_index(&self, plain: &str) -> String {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.index).expect("HMAC takes any key length");
        mac.update(b"lianxin-phone-index:");
        mac.update(plain.as_bytes());
        hex(&mac.finalize().into_bytes())
    }
}

impl Crypto {
    /// A keyed digest for one purpose (check-in codes, calendar tokens): unforgeable without
    /// the key, and different purposes never yield the same value for the same data.
    pub fn mac(&self, purpose: &str, data: &str) -> String {
        digest(&self.index, purpose, data)
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A random token for sessions, CSRF and the like: 32 bytes, URL-safe.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// Compare secrets without an early exit that leaks how much matched.
pub fn constant_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

pub fn sha256_hex(s: &str) -> String {
    use sha2::Digest;
    hex(&Sha256::digest(s.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_and_open() {
        let c = Crypto::from_base64(&Crypto::generate_key()).unwrap();
        let sealed = c.seal("13800138000");
        assert!(!sealed.windows(11).any(|w| w == b"13800138000"));
        assert_eq!(c.open(&sealed).as_deref(), Some("13800138000"));
        // Two seals differ (random nonce) but index the same.
        assert_ne!(c.seal("13800138000"), sealed);
        assert_eq!(c.blind_index("13800138000"), c.blind_index("13800138000"));
    }

    #[test]
    fn wrong_key_cannot_open() {
        let a = Crypto::from_base64(&Crypto::generate_key()).unwrap();
        let b = Crypto::from_base64(&Crypto::generate_key()).unwrap();
        assert_eq!(b.open(&a.seal("13800138000")), None);
    }

    #[test]
    fn a_new_key_reseals_what_the_old_one_sealed_and_keeps_the_index() {
        let old_text = Crypto::generate_key();
        let old = Crypto::from_base64(&old_text).unwrap();
        let sealed = old.seal("13800138000");
        let new_text = Crypto::generate_key();
        // Without pinning, the index would follow the new key: refused.
        assert!(matches!(
            Crypto::from_base64(&new_text)
                .unwrap()
                .with_other_keys(std::slice::from_ref(&old_text)),
            Err(KeyError::Unpinned)
        ));
        let new = Crypto::from_base64(&new_text)
            .unwrap()
            .with_index_key(&old.index_key_base64())
            .unwrap()
            .with_audit_key(&old.audit_key_base64())
            .unwrap()
            .with_other_keys(&[old_text])
            .unwrap();
        assert_eq!(new.open(&sealed).as_deref(), Some("13800138000"));
        assert_eq!(
            new.blind_index("13800138000"),
            old.blind_index("13800138000")
        );
        assert_eq!(new.mac("ical", "7"), old.mac("ical", "7"));
        assert_ne!(new.key_id(), old.key_id());
        assert_eq!(new.other_key_ids(), vec![old.key_id()]);
        let (how, fresh) = new.reseal(&sealed);
        assert_eq!(how, Opened::Other);
        let fresh = fresh.unwrap();
        assert_eq!(old.open(&fresh), None, "re-sealed under the new key only");
        assert_eq!(new.reseal(&fresh), (Opened::Current, None));
        let stranger = Crypto::from_base64(&Crypto::generate_key()).unwrap();
        assert_eq!(new.reseal(&stranger.seal("1")), (Opened::Unreadable, None));
    }

    #[test]
    fn bad_keys_are_refused() {
        assert!(Crypto::from_base64("short").is_err());
        assert!(
            format!(
                "{:?}",
                Crypto::from_base64(&Crypto::generate_key()).unwrap()
            )
            .contains("redacted")
        );
    }
}
