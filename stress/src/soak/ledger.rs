//! The soak's bookkeeping: every message sent, every delivery seen, every delete that
//! succeeded, and the checks over them (nothing lost, nothing deleted twice, no delivery before
//! the previous one's visibility timeout ended, no delivery missed).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// How far two millisecond clocks (the engine's and the ledger's, both rounding down) can
/// disagree about one interval.
pub const RESOLUTION_MS: u64 = 2;

/// What the ledger knows of one message (keyed by its body, unique per message).
#[derive(Debug, Default)]
struct Entry {
    /// Successful deletes.
    deletes: u32,
    /// Deliveries seen.
    deliveries: u32,
    /// The latest delivery: its `nextVisibleTime` (s) and when its receive was sent (ms since
    /// the start, client clock).
    last: Option<(i64, u64)>,
}

/// The counters at the end of a soak.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Counts {
    /// Messages sent (acknowledged with a msgId).
    pub sent: u64,
    /// Deliveries seen (first ones and redeliveries).
    pub deliveries: u64,
    /// Deliveries of a message seen before.
    pub redeliveries: u64,
    /// Consumers that crashed (dropped what they held without deleting it).
    pub crashes: u64,
    /// Messages deleted at least once.
    pub deleted: u64,
    /// Sent messages never deleted.
    pub lost: u64,
    /// Messages deleted more than once.
    pub deleted_twice: u64,
    /// Redeliveries that came before the previous delivery's visibility timeout ended.
    pub early_redeliveries: u64,
    /// Deliveries whose `dequeueCount` was not one more than the deliveries seen before.
    pub dequeue_gaps: u64,
    /// Deliveries of a message the soak never sent.
    pub strangers: u64,
}

impl Counts {
    /// True when nothing was lost, duplicated or early.
    pub fn clean(&self) -> bool {
        self.lost == 0
            && self.deleted_twice == 0
            && self.early_redeliveries == 0
            && self.dequeue_gaps == 0
            && self.strangers == 0
    }
}

/// The shared ledger.
pub struct Ledger {
    start: Instant,
    visibility_s: i64,
    entries: Mutex<HashMap<String, Entry>>,
    counts: Mutex<Counts>,
}

impl Ledger {
    /// A ledger for a queue whose visibility timeout is `visibility_s`.
    pub fn new(visibility_s: i64) -> Self {
        Self {
            start: Instant::now(),
            visibility_s,
            entries: Mutex::new(HashMap::new()),
            counts: Mutex::new(Counts::default()),
        }
    }

    /// Milliseconds since the soak started (client clock).
    pub fn now_ms(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn with<T>(&self, f: impl FnOnce(&mut HashMap<String, Entry>, &mut Counts) -> T) -> T {
        let mut e = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let mut c = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut e, &mut c)
    }

    /// A message was sent.
    pub fn sent(&self, body: &str) {
        self.with(|e, c| {
            e.insert(body.to_owned(), Entry::default());
            c.sent += 1;
        });
    }

    /// A delivery arrived for a receive sent at `asked_ms` and answered at `got_ms`.
    pub fn delivered(
        &self,
        body: &str,
        next_visible_s: i64,
        dequeue_count: i64,
        asked_ms: u64,
        got_ms: u64,
    ) {
        let vis = self.visibility_s;
        self.with(|e, c| {
            c.deliveries += 1;
            let Some(entry) = e.get_mut(body) else {
                c.strangers += 1;
                return;
            };
            if let Some((prev_nv_s, prev_asked_ms)) = entry.last {
                c.redeliveries += 1;
                // The server received this one at `next_visible_s - vis` (whole seconds, rounded
                // down), and before `got_ms` (client clock); the previous one became due at or
                // after `prev_nv_s` and at or after `prev_asked_ms + vis`, give or take the
                // clocks' millisecond resolution (the engine counts whole milliseconds, and so
                // does this ledger): hence [`RESOLUTION_MS`] of slack on the client's side.
                let by_server = next_visible_s - vis < prev_nv_s;
                let due = prev_asked_ms + u64::try_from(vis * 1000).unwrap_or(0);
                let by_client = got_ms + RESOLUTION_MS < due;
                if by_server || by_client {
                    c.early_redeliveries += 1;
                    if std::env::var_os("SOAK_DEBUG").is_some() {
                        eprintln!(
                            "early {body}: dc {dequeue_count}, prev nv {prev_nv_s} asked {prev_asked_ms}; now nv {next_visible_s} asked {asked_ms} got {got_ms}; by_server {by_server} by_client {by_client}"
                        );
                    }
                }
            }
            if dequeue_count != i64::from(entry.deliveries) + 1 {
                c.dequeue_gaps += 1;
            }
            entry.deliveries += 1;
            entry.last = Some((next_visible_s, asked_ms));
        });
    }

    /// A consumer crashed holding messages.
    pub fn crashed(&self) {
        self.with(|_, c| c.crashes += 1);
    }

    /// A delete succeeded.
    pub fn deleted(&self, body: &str) {
        self.with(|e, c| {
            if let Some(entry) = e.get_mut(body) {
                entry.deletes += 1;
                match entry.deletes {
                    1 => c.deleted += 1,
                    2 => c.deleted_twice += 1,
                    _ => {}
                }
            }
        });
    }

    /// How many sent messages are deleted, and how many were sent.
    pub fn progress(&self) -> (u64, u64) {
        self.with(|_, c| (c.deleted, c.sent))
    }

    /// The final counters.
    pub fn counts(&self) -> Counts {
        self.with(|e, c| {
            let mut out = c.clone();
            out.lost = e.values().filter(|x| x.deletes == 0).count() as u64;
            out
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn early_redeliveries_gaps_and_double_deletes_are_counted() {
        let l = Ledger::new(2);
        l.sent("a");
        l.sent("b");
        // First delivery of a: asked at 1000 ms, visible again at second 12.
        l.delivered("a", 12, 1, 1_000, 1_001);
        // Redelivered by a server that thinks it is second 11 (< 12): early.
        l.delivered("a", 13, 2, 3_500, 3_501);
        // Redelivered properly (server second 12), but seen by the client 1.6 s after the
        // previous receive was asked at 3500: early by the client clock.
        l.delivered("a", 14, 3, 5_000, 5_100);
        // Within the clocks' resolution (2 ms) is not early.
        l.sent("c");
        l.delivered("c", 12, 1, 1_000, 1_001);
        l.delivered("c", 14, 2, 2_990, 2_998);
        // A dequeueCount that skips one.
        l.delivered("b", 20, 2, 6_000, 6_001);
        l.deleted("a");
        l.deleted("a");
        l.delivered("z", 1, 1, 0, 0);
        let c = l.counts();
        assert_eq!((c.sent, c.deliveries, c.redeliveries), (3, 7, 3));
        assert_eq!(c.early_redeliveries, 2);
        assert_eq!(c.dequeue_gaps, 1);
        assert_eq!((c.deleted, c.deleted_twice, c.lost), (1, 1, 2));
        assert_eq!(c.strangers, 1);
        assert!(!c.clean());
    }
}
