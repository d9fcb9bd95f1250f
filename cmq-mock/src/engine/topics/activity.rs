//! What the push workers are doing, so that a test can prove that nothing is pushed until the
//! clock moves, instead of watching a window of real time.
//!
//! Every worker is either **running** (spawned and not yet parked, or attempting a push) or
//! **parked** until a time of the engine clock (a retry or an expiry). The pushes are *idle*
//! when every live worker is parked until a time the clock has not reached: on a manual clock
//! nothing can then be pushed, retried, expired or dropped until the clock moves or a message
//! arrives. A parked worker whose time has come counts as busy until it runs again, so the
//! moment between a clock advance and the worker's wake-up is never mistaken for idleness.
//!
//! Transitions happen under the channel's backlog lock where they race with `enqueue` (spawn,
//! park, the wake-up by a new message), so a message that arrives while its worker decides to
//! park always marks the worker running again before anyone can see it idle.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use tokio::sync::Notify;

use crate::clock::Clock;

/// The state of every live push worker of one engine.
#[derive(Debug, Default)]
pub(crate) struct PushActivity {
    state: Mutex<State>,
    changed: Notify,
}

#[derive(Debug, Default)]
struct State {
    next_id: u64,
    /// Live workers: `None` running, `Some(t)` parked until clock time `t` (Unix ms).
    workers: HashMap<u64, Option<u64>>,
}

impl PushActivity {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Every update is one map operation: a poisoned lock is still consistent.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A worker is about to be spawned: it counts as running from now on. Returns its id.
    pub(crate) fn spawned(&self) -> u64 {
        let mut st = self.lock();
        st.next_id += 1;
        let id = st.next_id;
        st.workers.insert(id, None);
        id
    }

    /// Worker `id` sleeps until clock time `at_ms` unless woken earlier.
    pub(crate) fn park(&self, id: u64, at_ms: u64) {
        if let Some(w) = self.lock().workers.get_mut(&id) {
            *w = Some(at_ms);
        }
        self.changed.notify_waiters();
    }

    /// Worker `id` runs again (its time came, or a message arrived).
    pub(crate) fn unpark(&self, id: u64) {
        if let Some(w) = self.lock().workers.get_mut(&id) {
            *w = None;
        }
    }

    /// Worker `id` is gone (nothing left to push, or its channel stopped).
    pub(crate) fn exited(&self, id: u64) {
        self.lock().workers.remove(&id);
        self.changed.notify_waiters();
    }

    /// Whether every live worker is parked until after `now_ms`.
    pub(crate) fn is_idle_at(&self, now_ms: u64) -> bool {
        self.lock()
            .workers
            .values()
            .all(|w| w.is_some_and(|at| at > now_ms))
    }

    /// The number of live workers (running or parked).
    #[cfg(test)]
    pub(crate) fn live(&self) -> usize {
        self.lock().workers.len()
    }

    /// Completes once the pushes are idle at the clock's current time (see the module docs).
    pub(crate) async fn idle(&self, clock: &Clock) {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if self.is_idle_at(clock.now_ms()) {
                return;
            }
            changed.await;
        }
    }
}

/// Marks its worker gone when the worker's task ends, whichever way it ends.
pub(crate) struct WorkerGuard<'a> {
    pub(crate) activity: &'a PushActivity,
    pub(crate) id: u64,
}

impl Drop for WorkerGuard<'_> {
    fn drop(&mut self) {
        self.activity.exited(self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn idle_only_when_every_worker_is_parked_in_the_future() {
        let a = PushActivity::default();
        assert!(a.is_idle_at(0), "no worker: idle");
        let w1 = a.spawned();
        assert!(!a.is_idle_at(0), "spawned: running");
        a.park(w1, 1_000);
        assert!(a.is_idle_at(999));
        assert!(
            !a.is_idle_at(1_000),
            "its time has come: busy until it runs"
        );
        let w2 = a.spawned();
        assert!(!a.is_idle_at(0));
        a.park(w2, 5_000);
        assert!(a.is_idle_at(999));
        a.unpark(w1);
        assert!(!a.is_idle_at(0));
        a.exited(w1);
        assert!(a.is_idle_at(999));
        a.exited(w2);
        a.exited(w2);
        a.park(w2, 1);
        a.unpark(w2);
        assert!(a.is_idle_at(u64::MAX), "a gone worker counts for nothing");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn idle_wakes_when_the_last_worker_parks() {
        let a = std::sync::Arc::new(PushActivity::default());
        let clock = Clock::manual(0);
        let id = a.spawned();
        let (a2, c2) = (a.clone(), clock.clone());
        let waiter = tokio::spawn(async move { a2.idle(&c2).await });
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        a.park(id, 10);
        tokio::time::timeout(Duration::from_secs(30), waiter)
            .await
            .expect("woken by the park")
            .expect("no panic");
    }
}
