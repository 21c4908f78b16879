//! Personal data at rest: phone numbers sealed with AES-256-GCM under the configured key,
//! plus a keyed blind index (HMAC-SHA256) so that the same number can be found or
//! de-duplicated without decrypting every row.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use lianxin_domain::audit::AuditKey;
use rand::RngCore;
use sha2::Sha256;

pub struct Crypto {
    key: [u8; 32],
    /// The audit chain's key: its own if configured, else derived from the encryption key
    /// (one secret to keep, none of its bytes shared between the two uses).
    audit: AuditKey,
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
}

fn signer_of(k: &AuditKey) -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&k.derive("lianxin audit checkpoint signing v1"))
}

impl Crypto {
    pub fn from_base64(text: &str) -> Result<Crypto, KeyError> {
        let bytes = B64.decode(text.trim()).map_err(|_| KeyError::BadKey)?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| KeyError::BadKey)?;
        let audit =
            AuditKey::from_bytes(AuditKey::from_bytes(key).derive("lianxin audit chain v1"));
        Ok(Crypto {
            key,
            audit,
            retired: vec![],
        })
    }

    fn audit_key_of(text: &str) -> Result<AuditKey, KeyError> {
        let bytes = B64.decode(text.trim()).map_err(|_| KeyError::BadKey)?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| KeyError::BadKey)?;
        Ok(AuditKey::from_bytes(key))
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
        self.mac("key-id", "v1")[..16].to_string()
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

    pub fn open(&self, sealed: &[u8]) -> Option<String> {
        if sealed.len() < 12 {
            return None;
        }
        let cipher = Aes256Gcm::new(&self.key.into());
        let plain = cipher
            .decrypt(Nonce::from_slice(&sealed[..12]), &sealed[12..])
            .ok()?;
        String::from_utf8(plain).ok()
    }

    pub fn blind_index(&self, plain: &str) -> String {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(b"lianxin-phone-index:");
        mac.update(plain.as_bytes());
        hex(&mac.finalize().into_bytes())
    }
}

impl Crypto {
    /// A keyed digest for one purpose (check-in codes, calendar tokens): unforgeable without
    /// the key, and different purposes never yield the same value for the same data.
    pub fn mac(&self, purpose: &str, data: &str) -> String {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(b"lianxin-");
        mac.update(purpose.as_bytes());
        mac.update(b":");
        mac.update(data.as_bytes());
        hex(&mac.finalize().into_bytes())
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
