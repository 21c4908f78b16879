//! Whether the database took this node's last requests: a write refused for a full disk or
//! a lost connection marks the node not ready for a while, so that `/readyz` (and the load
//! balancer behind it) hears of a failure that a read-only ping would not notice. One flag
//! per process, which is one node.

use std::sync::atomic::{AtomicI64, Ordering};

/// How long after the last storage failure the node still reports it.
const REPORTED_FOR_MS: i64 = 15_000;

static LAST_FAILURE_MS: AtomicI64 = AtomicI64::new(i64::MIN);

/// A request just failed because the database could not take it.
pub fn storage_failed() {
    LAST_FAILURE_MS.store(crate::now().timestamp_millis(), Ordering::Relaxed);
}

/// The database refused this node something in the last seconds.
pub fn storage_failing() -> bool {
    let last = LAST_FAILURE_MS.load(Ordering::Relaxed);
    last != i64::MIN && crate::now().timestamp_millis() - last < REPORTED_FOR_MS
}
