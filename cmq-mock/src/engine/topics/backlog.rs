//! The backlog of one push channel: the messages a subscription still has to push, in publish
//! order, each with its attempts so far and the time its next attempt is due. Pure bookkeeping
//! (no I/O, no clock): [`super::push`] decides when to look and what to log.
//!
//! Which message goes next ([`Backlog::next`]): the oldest one that is due. With `holds_back`
//! (strictly serial delivery), only the oldest message may go, so one waiting for a retry holds
//! back every message behind it; without it, the messages behind it go while it waits.

use std::collections::VecDeque;
use std::sync::Arc;

use super::push::PushMessage;

/// One message of the backlog.
pub(super) struct Entry {
    pub(super) msg: Arc<PushMessage>,
    /// Attempts so far.
    pub(super) attempts: u32,
    /// When the next attempt may start (engine clock, Unix ms; 0 = at once).
    pub(super) due_ms: u64,
}

/// What the worker does next.
#[derive(Debug)]
pub(super) enum Next {
    /// Attempt this message (its attempt number, 1-based).
    Attempt(Arc<PushMessage>, u32),
    /// Nothing is due: look again at this time (or when a message arrives).
    WaitUntil(u64),
    /// The backlog is empty.
    Empty,
}

impl PartialEq for Next {
    /// The same step for the same message (compared by identity).
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Next::Attempt(a, n), Next::Attempt(b, m)) => Arc::ptr_eq(a, b) && n == m,
            (Next::WaitUntil(a), Next::WaitUntil(b)) => a == b,
            (Next::Empty, Next::Empty) => true,
            _ => false,
        }
    }
}

/// The messages of one channel, and the channel's worker state.
#[derive(Default)]
pub(super) struct Backlog {
    items: VecDeque<Entry>,
    /// A worker task is delivering (or about to).
    pub(super) worker_running: bool,
    /// That worker's id in the engine's `PushActivity`.
    pub(super) worker_id: u64,
    /// The channel stopped for good.
    pub(super) stopped: bool,
}

impl Backlog {
    /// Queues a message, due at once.
    pub(super) fn push(&mut self, msg: Arc<PushMessage>) {
        self.items.push_back(Entry {
            msg,
            attempts: 0,
            due_ms: 0,
        });
    }

    /// Appends a message read back from the data store, with its attempts so far and when its
    /// next attempt is due.
    pub(super) fn restore(&mut self, msg: Arc<PushMessage>, attempts: u32, due_ms: u64) {
        self.items.push_back(Entry {
            msg,
            attempts,
            due_ms,
        });
    }

    /// Queues a message like [`Backlog::push`], first making room when the backlog already
    /// holds `cap` messages: the oldest message that is not being attempted goes (a message
    /// counts as being attempted when it has attempts and its next attempt is due by `now_ms`,
    /// so the one in flight is never dropped). Returns the dropped message.
    pub(super) fn push_capped(
        &mut self,
        msg: Arc<PushMessage>,
        cap: usize,
        now_ms: u64,
    ) -> Option<Entry> {
        let mut dropped = None;
        if self.items.len() >= cap.max(1) {
            let in_flight = |e: &Entry| e.attempts > 0 && e.due_ms <= now_ms;
            let victim = self.items.iter().position(|e| !in_flight(e)).unwrap_or(0);
            dropped = self.items.remove(victim);
        }
        self.push(msg);
        dropped
    }

    /// Messages waiting (including one being attempted).
    pub(super) fn len(&self) -> usize {
        self.items.len()
    }

    /// Removes every message.
    pub(super) fn take_all(&mut self) -> VecDeque<Entry> {
        std::mem::take(&mut self.items)
    }

    /// Removes the messages whose expiry has come (`expires_ms <= now`), except `keep` (the one
    /// in flight, judged after its attempt). Messages are in publish order, so the expired ones
    /// are a prefix.
    pub(super) fn expire(&mut self, now_ms: u64, keep: Option<&Arc<PushMessage>>) -> Vec<Entry> {
        let mut out = Vec::new();
        let mut i = 0;
        while let Some(e) = self.items.get(i) {
            if e.msg.expires_ms > now_ms {
                break;
            }
            if keep.is_some_and(|k| Arc::ptr_eq(k, &e.msg)) {
                i += 1;
            } else if let Some(e) = self.items.remove(i) {
                out.push(e);
            }
        }
        out
    }

    /// The next expiry of a message other than `keep`.
    pub(super) fn next_expiry(&self, keep: Option<&Arc<PushMessage>>) -> Option<u64> {
        self.items
            .iter()
            .find(|e| !keep.is_some_and(|k| Arc::ptr_eq(k, &e.msg)))
            .map(|e| e.msg.expires_ms)
    }

    /// The message to attempt at `now` (counting the attempt), or when to look again.
    pub(super) fn next(&mut self, now_ms: u64, holds_back: bool) -> Next {
        let candidates = if holds_back { 1 } else { self.items.len() };
        let due = self
            .items
            .iter_mut()
            .take(candidates)
            .find(|e| e.due_ms <= now_ms);
        if let Some(e) = due {
            e.attempts += 1;
            return Next::Attempt(e.msg.clone(), e.attempts);
        }
        let wake = self.items.iter().take(candidates).map(|e| e.due_ms).min();
        match (wake, self.next_expiry(None)) {
            (None, _) => Next::Empty,
            (Some(w), Some(x)) => Next::WaitUntil(w.min(x)),
            (Some(w), None) => Next::WaitUntil(w),
        }
    }

    /// Removes `msg`; false when it is no longer there.
    pub(super) fn remove(&mut self, msg: &Arc<PushMessage>) -> bool {
        match self.items.iter().position(|e| Arc::ptr_eq(&e.msg, msg)) {
            Some(i) => self.items.remove(i).is_some(),
            None => false,
        }
    }

    /// Sets when `msg`'s next attempt is due; false when it is no longer there.
    pub(super) fn set_due(&mut self, msg: &Arc<PushMessage>, due_ms: u64) -> bool {
        match self.items.iter_mut().find(|e| Arc::ptr_eq(&e.msg, msg)) {
            Some(e) => {
                e.due_ms = due_ms;
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;

    fn msg(id: &str, expires_ms: u64) -> Arc<PushMessage> {
        let backlog = Arc::new(AtomicU64::new(0));
        PushMessage::new(id.into(), "b".into(), vec![], 0, expires_ms, 1, backlog)
    }

    fn ids(b: &Backlog) -> Vec<String> {
        b.items.iter().map(|e| e.msg.msg_id.clone()).collect()
    }

    #[test]
    fn a_message_waiting_for_a_retry_holds_back_only_when_asked() {
        for holds_back in [false, true] {
            let mut b = Backlog::default();
            let (m1, m2) = (msg("1", 1000), msg("2", 1000));
            b.push(m1.clone());
            b.push(m2.clone());
            assert_eq!(b.next(0, holds_back), Next::Attempt(m1.clone(), 1));
            assert!(b.set_due(&m1, 50));
            if holds_back {
                assert_eq!(b.next(10, true), Next::WaitUntil(50));
            } else {
                assert_eq!(b.next(10, false), Next::Attempt(m2.clone(), 1));
                assert!(b.set_due(&m2, 70));
                assert_eq!(b.next(10, false), Next::WaitUntil(50));
            }
            // The older message goes first once due.
            assert_eq!(b.next(50, holds_back), Next::Attempt(m1.clone(), 2));
            assert!(b.remove(&m1) && !b.remove(&m1));
            assert_eq!(ids(&b), ["2"]);
        }
    }

    #[test]
    fn a_full_backlog_drops_its_oldest_message_not_in_flight() {
        let mut b = Backlog::default();
        let (m1, m2, m3) = (msg("1", 1000), msg("2", 1000), msg("3", 1000));
        assert!(b.push_capped(m1.clone(), 2, 0).is_none());
        assert!(b.push_capped(m2.clone(), 2, 0).is_none());
        // m1 is in flight (attempted, due now): m2 goes instead.
        assert_eq!(b.next(0, false), Next::Attempt(m1.clone(), 1));
        let gone = b.push_capped(m3.clone(), 2, 0).expect("one dropped");
        assert!(Arc::ptr_eq(&gone.msg, &m2));
        assert_eq!(ids(&b), ["1", "3"]);
        // m1 now waits for a retry (due later): it is the oldest not in flight.
        assert!(b.set_due(&m1, 50));
        let gone = b.push_capped(msg("4", 1000), 2, 10).expect("one dropped");
        assert!(Arc::ptr_eq(&gone.msg, &m1));
        assert_eq!(ids(&b), ["3", "4"]);
    }

    #[test]
    fn expiry_keeps_the_message_in_flight_and_bounds_the_wait() {
        let mut b = Backlog::default();
        let (m1, m2, m3) = (msg("1", 100), msg("2", 100), msg("3", 300));
        for m in [&m1, &m2, &m3] {
            b.push(m.clone());
        }
        assert!(b.set_due(&m1, 500) && b.set_due(&m2, 500) && b.set_due(&m3, 500));
        assert_eq!(b.next(0, false), Next::WaitUntil(100));
        assert_eq!(b.next_expiry(Some(&m1)), Some(100));
        let gone = b.expire(100, Some(&m1));
        assert_eq!(gone.len(), 1);
        assert_eq!(ids(&b), ["1", "3"]);
        assert_eq!(b.expire(100, None).len(), 1);
        assert_eq!(b.next_expiry(None), Some(300));
        assert_eq!(b.next(200, false), Next::WaitUntil(300));
        assert_eq!(b.expire(300, None).len(), 1);
        assert_eq!(b.next(300, false), Next::Empty);
        assert!(!b.set_due(&m3, 1));
        assert_eq!(b.len(), 0);
    }
}
