//! The encryption key a node holds must be the one the database's personal data is sealed
//! with. A node with a missing or another key (a lost key file, a typo in the environment)
//! would read every phone as missing and seal new ones no other node can open, so it
//! refuses to start instead; the database records the key's fingerprint at the first start.

use lianxin_store::stats;

use crate::{App, Error, Result};

/// The setting that holds the key's fingerprint.
pub const SETTING: &str = "encryption_key_id";

fn mismatch(stored: &str, mine: &str) -> Error {
    Error::Conflict {
        code: "keys.mismatch",
        field: None,
        message: format!(
            "加密密钥与数据库不符（数据库的密钥指纹 {stored}，本节点 {mine}）：请配置加密数据时所用的密钥 encryption_key / LIANXIN_ENCRYPTION_KEY（SQLite 默认在数据库文件旁的 .key 文件中）。The encryption key does not match the database's: configure the key its data was encrypted with."
        ),
    }
}

/// Check this node's encryption key against the database, recording its fingerprint at the
/// first start (or the first start after fingerprints were introduced, if the key opens
/// what is already sealed).
pub async fn check_encryption_key(app: &App) -> Result<()> {
    let mine = app.crypto.key_id();
    // The write lock: two nodes starting at once record one fingerprint.
    let mut tx = app.db.begin_write().await?;
    match stats::setting(&mut tx.conn(), SETTING).await? {
        Some(stored) if stored == mine => Ok(()),
        // An empty database (say, the target of a restore tried with the wrong key first)
        // has nothing sealed yet: the key it is opened with now is its key.
        Some(_) if lianxin_store::backup::is_empty(&mut tx.conn()).await? => {
            stats::set_setting(&mut tx.conn(), SETTING, &mine).await?;
            tx.commit().await?;
            Ok(())
        }
        Some(stored) => Err(mismatch(&stored, &mine)),
        None => {
            if let Some(sample) = stats::sealed_sample(&mut tx.conn()).await?
                && app.crypto.open(&sample).is_none()
            {
                return Err(mismatch("（未记录）", &mine));
            }
            stats::set_setting(&mut tx.conn(), SETTING, &mine).await?;
            tx.commit().await?;
            Ok(())
        }
    }
}
