//! Crash points for the crash trials: `SPROUT_FAILPOINT=NAME:N` makes the process abort the
//! `N`-th time it reaches the point `NAME` (as a SIGKILL would stop it: no destructors, no
//! flushes). Unset, a point costs one load of a cached value.
//!
//! Points: `storage.commit.before_write` (a block's write batch is built, not yet written) and
//! `storage.commit.after_write` (written, not yet visible to the rest of the node).

use std::sync::{
    OnceLock,
    atomic::{AtomicU64, Ordering},
};

/// The environment variable naming the point and the hit to abort at.
pub const FAILPOINT_ENV: &str = "SPROUT_FAILPOINT";

static ARMED: OnceLock<Option<(String, u64)>> = OnceLock::new();
static HITS: AtomicU64 = AtomicU64::new(0);

fn armed() -> Option<&'static (String, u64)> {
    ARMED
        .get_or_init(|| {
            let spec = std::env::var(FAILPOINT_ENV).ok()?;
            let (name, nth) = spec.rsplit_once(':')?;
            Some((name.to_string(), nth.parse().ok()?))
        })
        .as_ref()
}

/// Aborts the process if `SPROUT_FAILPOINT` names `name` and this is its `N`-th hit.
pub fn hit(name: &str) {
    let Some((armed, nth)) = armed() else {
        return;
    };
    if armed == name && HITS.fetch_add(1, Ordering::SeqCst) + 1 == *nth {
        eprintln!("{FAILPOINT_ENV}: aborting at {name} (hit {nth})");
        std::process::abort();
    }
}
