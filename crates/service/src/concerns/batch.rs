//! Group commit for intake. Concerns are validated and routed in the requests' own tasks;
//! their writes go to one writer task per node, which writes whatever has queued up in one
//! transaction: one journal lock and one fsync for many. Every concern still writes its own
//! rows, events and audit record, all or nothing: if any statement of a batch fails, the
//! batch is rolled back and each concern is written again in a transaction of its own.

use std::sync::OnceLock;

use tokio::sync::{mpsc, oneshot};

use super::intake::{Fail, Prepared, Submitted, Written, journal, write_one, write_rows};
use crate::{App, Error, Result};

/// The most concerns one transaction carries.
const MAX_BATCH: usize = 64;

struct Job {
    prepared: Prepared,
    reply: oneshot::Sender<Result<Submitted>>,
}

/// The writer's queue, started on first use.
#[derive(Default)]
pub struct Queue(OnceLock<mpsc::Sender<Job>>);

fn sender(app: &App) -> mpsc::Sender<Job> {
    app.intake
        .0
        .get_or_init(|| {
            let (tx, rx) = mpsc::channel(1024);
            tokio::spawn(writer(app.clone(), rx));
            tx
        })
        .clone()
}

/// Write a prepared concern (with whatever else is waiting) and return its outcome.
pub(crate) async fn write(app: &App, prepared: Prepared) -> Result<Submitted> {
    let (reply, answer) = oneshot::channel();
    sender(app)
        .send(Job { prepared, reply })
        .await
        .map_err(|_| Error::internal("intake writer stopped"))?;
    let result = answer
        .await
        .map_err(|_| Error::internal("intake writer dropped a concern"))?;
    crate::cache::forget_request_version();
    result
}

async fn writer(app: App, mut rx: mpsc::Receiver<Job>) {
    while let Some(first) = rx.recv().await {
        let mut jobs = vec![first];
        while jobs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => jobs.push(j),
                Err(_) => break,
            }
        }
        if jobs.len() == 1 {
            for j in jobs {
                alone(&app, j).await;
            }
        } else {
            together(&app, jobs).await;
        }
    }
}

/// One concern in its own transaction.
async fn alone(app: &App, mut job: Job) {
    let result = async {
        let mut tx = app.db.begin_append().await?;
        match write_one(&mut tx, &mut job.prepared).await {
            Ok(done) => {
                tx.commit().await?;
                Ok(done)
            }
            Err(Fail::Refused(e)) | Err(Fail::Abort(e)) => Err(e),
            // Another request wrote the same idempotency key: its concern is the answer.
            Err(Fail::Duplicate) => {
                drop(tx);
                let p = &job.prepared;
                let mut conn = app.db.acquire().await?;
                let done = lianxin_store::concerns::by_idempotency_key(
                    &mut conn.conn(),
                    p.row.committee_id,
                    &p.key,
                )
                .await?
                .ok_or_else(super::not_found)?;
                Ok(Submitted {
                    id: done.id,
                    code: done.code,
                    repeated: true,
                })
            }
        }
    }
    .await;
    let _ = job.reply.send(result);
}

/// Several concerns in one transaction — their rows first, then all their events in one
/// statement and all their audit records in another; any failure falls back to one at a time.
async fn together(app: &App, mut jobs: Vec<Job>) {
    let Ok(mut tx) = app.db.begin_append().await else {
        for j in jobs {
            alone(app, j).await;
        }
        return;
    };
    let mut outcomes: Vec<std::result::Result<Written, Error>> = Vec::with_capacity(jobs.len());
    for job in jobs.iter_mut() {
        match write_rows(&mut tx, &mut job.prepared).await {
            Ok(w) => outcomes.push(Ok(w)),
            Err(Fail::Refused(e)) => outcomes.push(Err(e)),
            Err(Fail::Duplicate) | Err(Fail::Abort(_)) => {
                drop(tx);
                for j in jobs {
                    alone(app, j).await;
                }
                return;
            }
        }
    }
    let written: Vec<(&Prepared, &Written)> = jobs
        .iter()
        .zip(&outcomes)
        .filter_map(|(j, o)| o.as_ref().ok().map(|w| (&j.prepared, w)))
        .collect();
    let journaled = journal(&mut tx, &written).await.is_ok();
    if !journaled || tx.commit().await.is_err() {
        for j in jobs {
            alone(app, j).await;
        }
        return;
    }
    for (job, outcome) in jobs.into_iter().zip(outcomes) {
        let _ = job.reply.send(outcome.map(|w| w.done));
    }
}
