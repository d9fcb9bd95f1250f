//! Store tests: record encoding, restarts of the engine from a store (every state), damaged and
//! foreign files, group commit. All on a manual clock, in temporary directories.

mod damage;
mod group;
mod model;
mod push;
mod records;
mod restart;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::{Store, attach};
use crate::clock::Clock;
use crate::engine::{Engine, Limits};

/// The manual clock's start.
pub(super) const T0: u64 = 1_700_000_000_000;

/// A fresh directory under the system's temporary directory, removed on drop.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn new(tag: &str) -> Self {
        static N: AtomicU64 = AtomicU64::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("cmq-mock-store-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temporary directory");
        Self(dir)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }

    /// The store file in it.
    pub(crate) fn file(&self) -> PathBuf {
        self.0.join(super::schema::FILE_NAME)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// An engine (relaxed limits) on `clock`, rebuilt from the store in `dir` and writing to it.
pub(super) fn boot(dir: &Path, clock: &Clock) -> (Engine, Store) {
    boot_with(dir, clock, Limits::relaxed())
}

pub(super) fn boot_with(dir: &Path, clock: &Clock, limits: Limits) -> (Engine, Store) {
    let engine = Engine::with_limits(clock.clone(), limits);
    let store = attach(&engine, clock, dir).expect("open the store");
    (engine, store)
}

/// Stops `engine` and its store (everything pending committed), then starts a new engine on a
/// manual clock at the same time from the same directory.
pub(super) fn restart(dir: &Path, engine: Engine, store: Store) -> (Engine, Store, Clock) {
    let now = engine.clock().now_ms();
    drop(engine);
    store.close();
    let clock = Clock::manual(now);
    let (e, s) = boot(dir, &clock);
    (e, s, clock)
}

/// Everything an engine shows, one line per fact, in a stable order: accounts, queues
/// (attributes, counters, every message by state), dead-letter sources, topics and their
/// attributes, subscriptions and theirs.
pub(super) fn dump(engine: &Engine) -> Vec<String> {
    let mut out = Vec::new();
    for id in engine.account_ids() {
        let Some(a) = engine.account(&id) else {
            continue;
        };
        out.push(format!(
            "account {id} key {} app {}",
            a.secret_key(),
            a.app_id()
        ));
        for q in a.queue_names() {
            out.push(format!("queue {:?}", a.inspect_queue(&q)));
            let sources = a.list_dead_letter_source_queues(&q, None, 0, usize::MAX);
            out.push(format!("  sources {sources:?}"));
        }
        let topics = a.list_topics(None, 0, usize::MAX);
        out.push(format!("topics {topics:?}"));
        for t in topics.items {
            out.push(format!("topic {:?}", a.topic_attributes(&t.topic_name)));
            let subs = a
                .list_subscriptions(&t.topic_name, None, 0, usize::MAX)
                .expect("subscriptions");
            for s in subs.items {
                let attrs = a.subscription_attributes(&t.topic_name, &s.subscription_name);
                out.push(format!("  subscription {attrs:?}"));
            }
        }
    }
    out
}

/// Asserts two dumps are equal, showing the first difference.
pub(super) fn assert_same(before: &[String], after: &[String]) {
    for (i, (b, a)) in before.iter().zip(after).enumerate() {
        assert_eq!(b, a, "line {i} differs after the restart");
    }
    assert_eq!(before.len(), after.len(), "dumps differ in length");
}
