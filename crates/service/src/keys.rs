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
            "加密密钥与数据库不符（数据库的密钥指纹 {stored}，本节点 {mine}）：请配置加密数据时所用的密钥 encryption_key / LIANXIN_ENCRYPTION_KEY（SQLite 默认在数据库文件旁的 .key 文件中；更换密钥期间原密钥列在 encryption_other_keys 中）。The encryption key does not match the database's: configure the key its data was encrypted with."
        ),
    }
}

/// Check this node's encryption key against the database, recording its fingerprint at the
/// first start (or the first start after fingerprints were introduced, if the key opens
/// what is already sealed).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn check_encryption_key(app: &App) -> Result<()> {
    let mine = app.crypto.key_id();
    // The write lock: two nodes starting at once record one fingerprint.
    let mut tx = app.db.begin_write().await?;
    match stats::setting(&mut tx.conn(), SETTING).await? {
        Some(stored) if stored == mine => Ok(()),
        // A rotation under way: the data is still (partly) under a key this node can open;
        // `keys rotate` moves the fingerprint when everything is under the current key.
        Some(stored) if app.crypto.other_key_ids().contains(&stored) => Ok(()),
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

/// How far a rotation got.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rotation {
    /// Values re-sealed under the current key by this run.
    pub resealed: u64,
    /// Values already under the current key.
    pub current: u64,
    /// Values no key of this node opens (left as they are; the fingerprint is not moved).
    pub unreadable: u64,
}

/// Values re-sealed per transaction: short enough not to hold writers up, long enough that
/// a city's data takes seconds.
const BATCH: i64 = 500;

/// Re-seal every value still under another key with the current one, then record the
/// current key's fingerprint. Runs beside serving nodes (one short transaction per batch);
/// stopped at any point, a second run finishes the job, since values under the current key
/// are skipped. `progress` hears (done, total) after each batch.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn rotate(app: &App, mut progress: impl FnMut(u64, u64)) -> Result<Rotation> {
    use lianxin_store::sealed;
    let mut total = 0u64;
    {
        let mut conn = app.db.acquire().await?;
        for col in sealed::COLUMNS {
            total += sealed::count(&mut conn.conn(), *col).await? as u64;
        }
    }
    let mut r = Rotation::default();
    for col in sealed::COLUMNS {
        let mut after = 0;
        loop {
            let mut tx = app.db.begin_write().await?;
            let rows = sealed::batch(&mut tx.conn(), *col, after, BATCH).await?;
            let Some(&(last, _)) = rows.last() else {
                break;
            };
            for (id, was) in &rows {
                match app.crypto.reseal(was) {
                    (crate::crypto::Opened::Other, Some(now)) => {
                        if sealed::replace(&mut tx.conn(), *col, *id, was, &now).await? {
                            r.resealed += 1;
                        }
                    }
                    (crate::crypto::Opened::Unreadable, _) => r.unreadable += 1,
                    _ => r.current += 1,
                }
            }
            tx.commit().await?;
            after = last;
            progress(r.resealed + r.current + r.unreadable, total.max(1));
        }
    }
    if r.unreadable > 0 {
        return Err(Error::Conflict {
            code: "keys.unreadable",
            field: None,
            message: format!(
                "有 {} 个加密值不能用已配置的任何密钥解开，已保留原样，密钥指纹未更新：请把加密它们的密钥加入 encryption_other_keys 后重新运行",
                r.unreadable
            ),
        });
    }
    record_rotation(app, &r).await?;
    Ok(r)
}

/// The fingerprint moves to the current key, in the audit trail too.
async fn record_rotation(app: &App, r: &Rotation) -> Result<()> {
    let mine = app.crypto.key_id();
    let mut tx = app.db.begin_write().await?;
    let before = stats::setting(&mut tx.conn(), SETTING).await?;
    stats::set_setting(&mut tx.conn(), SETTING, &mine).await?;
    let committee_id = lianxin_store::records::installation_committee(&mut tx.conn())
        .await?
        .unwrap_or(0);
    let change = crate::journal::Change {
        committee_id,
        kind: "keys.rotated",
        subject_type: "installation",
        subject_id: 0,
        before: serde_json::json!({"key_id": before}),
        after: serde_json::json!({"key_id": mine, "resealed": r.resealed}),
    };
    let actor = lianxin_domain::access::system_actor(committee_id);
    crate::journal::commit_audit(tx, &actor, change).await
}
