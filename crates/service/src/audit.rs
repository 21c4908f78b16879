//! The audit trail as evidence: checking the keyed chain, and signed checkpoints of its head
//! kept where the database cannot rewrite them.
//!
//! A checkpoint is one JSON line appended to a file outside the database (`serve` writes one
//! at start and every day; `lianxin audit checkpoint` writes one at once): the head's
//! sequence number and hash, where the keyed chain begins, the time, and an Ed25519
//! signature. The file is only ever appended to. Someone who rewrites the database cannot
//! rewrite the file's past lines without the signing key, so `verify` finds a tail cut off
//! (the chain now ends before a checkpoint's record) or a chain made again (a checkpoint's
//! record has another hash).

use std::io::Write;
use std::path::Path;

use ed25519_dalek::{Signature, Signer, Verifier, VerifyingKey};
use lianxin_domain::audit::{
    AuditContent, Checkpoint, Epoch, GENESIS, Keying, Verdict, hex, verify as verify_chain,
};
use lianxin_store::journal as store;
use serde::{Deserialize, Serialize};

use crate::{App, Error, Result, now};

/// Where the keyed chain begins (records before it were written before the key existed).
const KEYED_FROM: &str = "audit_keyed_from";
/// The key epochs (JSON list of `{from, key_id}`), written at the first start and by a
/// rotation.
const EPOCHS: &str = "audit_key_epochs";

/// A checkpoint as stored: the statement and its signature, with the public key that checks
/// it (so that anyone can, without the secret).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Line {
    #[serde(flatten)]
    checkpoint: Checkpoint,
    public_key: String,
    signature: String,
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    s.len()
        .is_multiple_of(2)
        .then(|| {
            (0..s.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
                .collect()
        })
        .flatten()
}

/// Every checkpoint in the file, oldest first (none if there is no file yet).
fn read_lines(path: &Path) -> Result<Vec<Line>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
        Err(e) => return Err(Error::internal(format!("{}: {e}", path.display()))),
    };
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str(l).map_err(|e| {
                Error::internal(format!("{}: bad checkpoint line: {e}", path.display()))
            })
        })
        .collect()
}

/// Whether a stored checkpoint was signed by one of this installation's keys (the current
/// audit key's signer, or a retired one's).
fn signed_by(line: &Line, keys: &[VerifyingKey]) -> bool {
    let Some(sig) = unhex(&line.signature).and_then(|b| <[u8; 64]>::try_from(b).ok()) else {
        return false;
    };
    keys.iter().any(|key| {
        hex(key.as_bytes()) == line.public_key
            && key
                .verify(&line.checkpoint.message(), &Signature::from_bytes(&sig))
                .is_ok()
    })
}

async fn keyed_from(app: &App) -> Result<i64> {
    let mut conn = app.db.acquire().await?;
    Ok(lianxin_store::stats::setting(&mut conn.conn(), KEYED_FROM)
        .await?
        .and_then(|v| v.parse().ok())
        .unwrap_or(1))
}

/// The stored key epochs; none stored yet means one epoch, of the current key.
async fn epochs(app: &App) -> Result<(Vec<Epoch>, bool)> {
    let mut conn = app.db.acquire().await?;
    let stored = lianxin_store::stats::setting(&mut conn.conn(), EPOCHS).await?;
    drop(conn);
    match stored {
        Some(text) => Ok((
            serde_json::from_str(&text).map_err(|e| Error::internal(format!("{EPOCHS}: {e}")))?,
            true,
        )),
        None => Ok((
            vec![Epoch {
                from: keyed_from(app).await?,
                key_id: app.crypto.audit_key().id(),
            }],
            false,
        )),
    }
}

async fn save_epochs(tx: &mut lianxin_store::Tx, epochs: &[Epoch]) -> Result<()> {
    let text = serde_json::to_string(epochs).map_err(Error::internal)?;
    lianxin_store::stats::set_setting(&mut tx.conn(), EPOCHS, &text).await?;
    Ok(())
}

/// At start: the audit key this node holds must be the one the chain is written under now.
/// A node with a missing or different key would write records no one can verify, so it
/// refuses to start instead (the first start records the key's epoch).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn check_key(app: &App) -> Result<()> {
    let (epochs, stored) = epochs(app).await?;
    let mine = app.crypto.audit_key().id();
    if !stored {
        let mut tx = app.db.begin_write().await?;
        save_epochs(&mut tx, &epochs).await?;
        tx.commit().await?;
        return Ok(());
    }
    match epochs.last() {
        Some(e) if e.key_id == mine => Ok(()),
        Some(e) => Err(Error::Conflict {
            code: "audit.key_mismatch",
            field: None,
            message: format!(
                "审计密钥与数据库不符：数据库的审计链当前使用密钥 {}，本节点的密钥为 {mine}。请配置原密钥（audit_key / LIANXIN_AUDIT_KEY，或原加密密钥）；如需更换密钥，请先停止所有节点，再运行 `lianxin audit rotate`。",
                e.key_id
            ),
        }),
        None => Ok(()),
    }
}

/// Rotate the audit key: from the next record on, the chain is keyed with the key this
/// node now holds. The old key must be given as retired (to check the chain so far); the
/// chain must verify; then the new epoch is recorded under the journal lock (no record can
/// slip in between) and a checkpoint signed with the new key is written.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn rotate(app: &App) -> Result<Epoch> {
    let (mut epochs, _) = epochs(app).await?;
    let mine = app.crypto.audit_key().id();
    if epochs.last().is_some_and(|e| e.key_id == mine) {
        return Err(Error::conflict(
            "audit.same_key",
            "当前配置的审计密钥就是正在使用的密钥：请把新密钥配置为 audit_key，原密钥配置在 audit_retired_keys 中",
        ));
    }
    if let Verdict::Broken { seq, reason } = verify(app).await? {
        return Err(Error::Conflict {
            code: "audit.broken",
            field: None,
            message: format!("审计链在第 {seq} 条记录处校验失败（{reason}），不能更换密钥"),
        });
    }
    let mut tx = app.db.begin_write().await?;
    let (head, _) = tx.lock_journal().await?;
    let epoch = Epoch {
        from: head + 1,
        key_id: mine,
    };
    epochs.push(epoch.clone());
    save_epochs(&mut tx, &epochs).await?;
    tx.commit().await?;
    checkpoint_now(app).await?;
    Ok(epoch)
}

/// Append a signed checkpoint of the chain's head, unless the newest one already names it.
/// Returns the checkpoint written.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn checkpoint(app: &App) -> Result<Option<Checkpoint>> {
    let Some(path) = app.checkpoints.clone() else {
        return Ok(None);
    };
    let seq = {
        let mut conn = app.db.acquire().await?;
        store::audit_head(&mut conn.conn()).await?.0
    };
    if read_lines(&path)?
        .last()
        .is_some_and(|l| l.checkpoint.seq == seq)
    {
        return Ok(None);
    }
    checkpoint_now(app).await
}

async fn checkpoint_now(app: &App) -> Result<Option<Checkpoint>> {
    let Some(path) = app.checkpoints.clone() else {
        return Ok(None);
    };
    let (seq, hash) = {
        let mut conn = app.db.acquire().await?;
        store::audit_head(&mut conn.conn()).await?
    };
    let signer = app.crypto.checkpoint_signer();
    let checkpoint = Checkpoint {
        seq,
        hash,
        keyed_from: keyed_from(app).await?,
        at: now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        key_id: app.crypto.audit_key().id(),
        epochs: epochs(app).await?.0,
    };
    let line = Line {
        signature: hex(&signer.sign(&checkpoint.message()).to_bytes()),
        public_key: hex(signer.verifying_key().as_bytes()),
        checkpoint: checkpoint.clone(),
    };
    let text = serde_json::to_string(&line).map_err(Error::internal)?;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path.as_path())
        .map_err(|e| Error::internal(format!("{}: {e}", path.display())))?;
    writeln!(f, "{text}")
        .and_then(|_| f.sync_all())
        .map_err(|e| Error::internal(format!("{}: {e}", path.display())))?;
    Ok(Some(checkpoint))
}

/// Walk the whole chain and check every record against the key, the head, and every signed
/// checkpoint.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn verify(app: &App) -> Result<Verdict> {
    let lines = match &app.checkpoints {
        Some(p) => read_lines(p)?,
        None => vec![],
    };
    let public = app.crypto.checkpoint_verifiers();
    if let Some(bad) = lines.iter().find(|l| !signed_by(l, &public)) {
        return Ok(Verdict::Broken {
            seq: bad.checkpoint.seq,
            reason: "a checkpoint is not signed with this installation's key",
        });
    }
    // Where the keyed chain begins: as the first signed checkpoint says, if there is one.
    let stored_from = keyed_from(app).await?;
    let keyed_from = lines
        .first()
        .map_or(stored_from, |l| l.checkpoint.keyed_from);
    if keyed_from != stored_from {
        return Ok(Verdict::Broken {
            seq: keyed_from,
            reason: "where the keyed chain begins was changed in the database",
        });
    }
    // The key epochs: the newest checkpoint's must be where the stored ones begin.
    let (epochs, _) = epochs(app).await?;
    if let Some(l) = lines.last()
        && !epochs.starts_with(&l.checkpoint.epochs)
    {
        return Ok(Verdict::Broken {
            seq: l.checkpoint.epochs.last().map_or(keyed_from, |e| e.from),
            reason: "the key epochs were changed in the database",
        });
    }
    let mut conn = app.db.acquire().await?;
    let mut rows: Vec<(AuditContent, String, String)> = Vec::new();
    let mut after = 0;
    loop {
        let page = store::audit_page(&mut conn.conn(), after, 5000).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        rows.extend(
            page.iter()
                .map(|r| (r.content(), r.prev_hash.clone(), r.hash.clone())),
        );
    }
    let keys = app.crypto.audit_keys();
    let keying = Keying {
        keyed_from,
        epochs: &epochs,
        keys: &keys,
    };
    let verdict = verify_chain(
        &keying,
        rows.iter().map(|(c, p, h)| (c, p.as_str(), h.as_str())),
    );
    let Verdict::Ok { .. } = verdict else {
        return Ok(verdict);
    };
    // The head must agree with the last record, or the newest records were cut off.
    let (seq, hash) = store::audit_head(&mut conn.conn()).await?;
    let (last_seq, last_hash) = rows
        .last()
        .map(|(c, _, h)| (c.seq, h.clone()))
        .unwrap_or((0, GENESIS.into()));
    if seq != last_seq || hash != last_hash {
        return Ok(Verdict::Broken {
            seq: last_seq + 1,
            reason: "records after this point were removed",
        });
    }
    // Every checkpoint's record is still there, with the hash it had.
    for l in &lines {
        let cp = &l.checkpoint;
        if cp.seq > last_seq {
            return Ok(Verdict::Broken {
                seq: last_seq + 1,
                reason: "records after this point were removed (a signed checkpoint names a later one)",
            });
        }
        let stored = usize::try_from(cp.seq - 1)
            .ok()
            .and_then(|i| rows.get(i))
            .map_or(GENESIS, |r| r.2.as_str());
        if stored != cp.hash {
            return Ok(Verdict::Broken {
                seq: cp.seq,
                reason: "the record differs from its signed checkpoint (the chain was made again)",
            });
        }
    }
    Ok(verdict)
}
