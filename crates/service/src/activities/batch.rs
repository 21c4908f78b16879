//! Group commit for check-ins. At a plenary, hundreds of phones check in within seconds of
//! the doors opening; each check-in is validated in its request's task (the code, the
//! window), and its write goes to one writer task per node, which writes whatever has queued
//! up in one transaction: one journal lock and one fsync for many. Every check-in still writes
//! its own row change, event and audit record. If any statement of a batch fails, the batch
//! is rolled back and each check-in is written again in a transaction of its own.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::OnceLock;

use lianxin_domain::access::Actor;
use lianxin_domain::activity::{self as rules, CheckinMethod, Status};
use lianxin_store::Tx;
use lianxin_store::activities::{self as store, ActivityRow, KindRow};
use serde_json::json;
use tokio::sync::{mpsc, oneshot};

use super::about_with;
use super::attendance::CheckedIn;
use crate::journal::{Change, events, record_audits};
use crate::{App, Error, Result, now};

/// The most check-ins one transaction carries.
const MAX_BATCH: usize = 128;

/// A validated check-in waiting to be written.
pub(crate) struct CheckIn {
    pub actor: Actor,
    pub activity: ActivityRow,
    pub kind: KindRow,
    pub member_id: i64,
    pub method: &'static str,
}

struct Job {
    c: CheckIn,
    reply: oneshot::Sender<Result<CheckedIn>>,
}

/// The writer's queue, started on first use.
#[derive(Default)]
pub struct Queue(OnceLock<mpsc::Sender<Job>>);

fn sender(app: &App) -> mpsc::Sender<Job> {
    app.checkins
        .0
        .get_or_init(|| {
            let (tx, rx) = mpsc::channel(4096);
            tokio::spawn(writer(app.clone(), rx));
            tx
        })
        .clone()
}

/// Write a check-in (with whatever else is waiting) and return what it did.
pub(crate) async fn write(app: &App, c: CheckIn) -> Result<CheckedIn> {
    let (reply, answer) = oneshot::channel();
    sender(app)
        .send(Job { c, reply })
        .await
        .map_err(|_| Error::internal("check-in writer stopped"))?;
    let result = answer
        .await
        .map_err(|_| Error::internal("check-in writer dropped a check-in"))?;
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
        let checkins: Vec<&CheckIn> = jobs.iter().map(|j| &j.c).collect();
        match in_one(&app, &checkins).await {
            Ok(outcomes) => {
                for (j, o) in jobs.into_iter().zip(outcomes) {
                    let _ = j.reply.send(o);
                }
            }
            // Something in the batch failed: each one alone, so one bad row fails only itself.
            Err(_) if jobs.len() > 1 => {
                for j in jobs {
                    let o = in_one(&app, &[&j.c]).await.and_then(|mut v| {
                        v.pop()
                            .unwrap_or_else(|| Err(Error::internal("no outcome")))
                    });
                    let _ = j.reply.send(o);
                }
            }
            Err(e) => {
                for j in jobs {
                    let _ = j.reply.send(Err(Error::internal(&e)));
                }
            }
        }
    }
}

/// Write these check-ins in one transaction; each one's outcome.
async fn in_one(app: &App, list: &[&CheckIn]) -> Result<Vec<Result<CheckedIn>>> {
    let mut tx = app.db.begin_append().await?;
    let outcomes = write_rows(&mut tx, list).await?;
    let done: Vec<(&CheckIn, serde_json::Value)> = list
        .iter()
        .zip(&outcomes)
        .filter_map(|(c, o)| match o {
            Ok(CheckedIn::Now { late }) => Some((
                *c,
                about_with(
                    &c.activity,
                    &c.kind,
                    json!({"member_id": c.member_id, "method": c.method, "late": late, "by": c.actor.user_id}),
                ),
            )),
            _ => None,
        })
        .collect();
    if !done.is_empty() {
        let pending: Vec<_> = done
            .iter()
            .map(|(c, p)| {
                (
                    &c.actor,
                    c.activity.committee_id,
                    "activity.checked_in",
                    ("activity", c.activity.id),
                    p.clone(),
                )
            })
            .collect();
        events(&mut tx, &pending).await?;
        let audits: Vec<(&Actor, Change<'_>)> = done
            .iter()
            .map(|(c, p)| {
                (
                    &c.actor,
                    Change {
                        committee_id: c.activity.committee_id,
                        kind: "activity.checked_in",
                        subject_type: "activity",
                        subject_id: c.activity.id,
                        before: json!(null),
                        after: p.clone(),
                    },
                )
            })
            .collect();
        record_audits(&mut tx, &audits).await?;
    }
    tx.commit().await?;
    Ok(outcomes)
}

/// The rows, a few statements for the whole batch: for each activity (still open — it may
/// have closed since the request checked) and way of checking in, walk-ins get an invitation
/// and one UPDATE checks everyone in who was not yet. The check-in time is the batch's.
async fn write_rows(tx: &mut Tx, list: &[&CheckIn]) -> Result<Vec<Result<CheckedIn>>> {
    let at = now();
    let mut out: Vec<Option<Result<CheckedIn>>> = list.iter().map(|_| None).collect();
    let mut groups: BTreeMap<(i64, &str, Option<String>), Vec<usize>> = BTreeMap::new();
    for (i, c) in list.iter().enumerate() {
        // Checking oneself in needs no "by"; the organiser's hand is recorded.
        let by = (c.method != CheckinMethod::Qr.code())
            .then(|| format!("{}#{}", c.actor.display_name, c.actor.user_id));
        groups
            .entry((c.activity.id, c.method, by))
            .or_default()
            .push(i);
    }
    let mut open: HashMap<i64, bool> = HashMap::new();
    for ((activity_id, method, by), idxs) in groups {
        let a = &list[idxs[0]].activity;
        let is_open = match open.get(&activity_id) {
            Some(o) => *o,
            None => {
                let row = store::by_id(&mut tx.conn(), a.committee_id, activity_id).await?;
                let o = row.is_some_and(|r| r.status == Status::Published.code());
                open.insert(activity_id, o);
                o
            }
        };
        if !is_open {
            for i in idxs {
                out[i] = Some(Err(Error::conflict(
                    "checkin.not_open",
                    "活动未发布、已结束或已取消，不能签到",
                )));
            }
            continue;
        }
        let mut members: Vec<i64> = idxs.iter().map(|i| list[*i].member_id).collect();
        members.sort_unstable();
        members.dedup();
        if method == CheckinMethod::Qr.code() {
            store::walk_in(&mut tx.conn(), activity_id, a.committee_id, &members).await?;
        }
        let late = rules::is_late(at, a.starts_at);
        let mut now_in: HashSet<i64> = store::check_in(
            &mut tx.conn(),
            activity_id,
            &members,
            at,
            method,
            by.as_deref(),
            late,
        )
        .await?
        .into_iter()
        .collect();
        for i in idxs {
            // The same member twice in one batch: the first is the check-in, the second a repeat.
            let first = now_in.remove(&list[i].member_id);
            out[i] = Some(Ok(if first {
                CheckedIn::Now { late }
            } else {
                CheckedIn::Already
            }));
        }
    }
    Ok(out
        .into_iter()
        .map(|o| o.unwrap_or_else(|| Err(Error::internal("check-in without an outcome"))))
        .collect())
}
