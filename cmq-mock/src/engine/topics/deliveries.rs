//! The delivery log: every push attempt and every fan-out to a queue, with its outcome.
//!
//! One log is shared by an engine (all accounts, all topics). Tests observe deliveries through
//! it without polling: [`DeliveryLog::wait_for`] returns the first record matching a predicate
//! (already logged or logged later), [`DeliveryLog::expect_none`] asserts that no matching record
//! exists or appears within a window. Both wait on a [`tokio::sync::Notify`] that every new
//! record fires; their timeouts are real tokio time (they are test helpers), while every time
//! *inside* a record is the engine clock's.
//!
//! The log keeps the most recent [`DeliveryLog::DEFAULT_CAPACITY`] records (configurable);
//! older ones are forgotten, but sequence numbers keep counting.

use std::collections::VecDeque;
use std::pin::pin;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::Notify;

use cmq_sdk::generated::types::Protocol;

/// Why a push attempt failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushFailure {
    /// The endpoint answered with a non-2xx status.
    Status(u16),
    /// No answer within the push timeout (15 s on the engine clock).
    Timeout,
    /// A connection or protocol error (refused, reset, bad URL, …), as text.
    Transport(String),
}

/// The outcome of one logged event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// An HTTP push answered 2xx; the message is done for this subscription.
    Delivered {
        /// The 2xx status.
        status: u16,
    },
    /// An HTTP push failed; `next_attempt_ms` on the record says when it is retried (or `None`
    /// when retries are exhausted, in which case a [`DeliveryOutcome::Dropped`] record follows).
    Failed(PushFailure),
    /// Retries exhausted; the message is discarded for this subscription.
    Dropped,
    /// The message reached the end of its lifetime (86 400 s after publishing) before it was
    /// delivered; it is discarded for this subscription.
    Expired,
    /// Fanned out to a `queue` subscription: the queue accepted it under `queue_msg_id`.
    Enqueued {
        /// The message id the queue assigned.
        queue_msg_id: String,
    },
    /// Fanned out to a `queue` subscription, but the queue refused it (deleted, full, …).
    EnqueueFailed {
        /// The queue's error, as text.
        error: String,
    },
}

impl DeliveryOutcome {
    /// True for the terminal outcomes that end a message's life on a subscription.
    pub fn is_final(&self) -> bool {
        !matches!(self, DeliveryOutcome::Failed(_))
    }
}

/// One logged event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecord {
    /// Position in the log (0, 1, 2, …), assigned when logged.
    pub seq: u64,
    /// The topic owner (appId) of the account.
    pub owner: String,
    /// The topic's name.
    pub topic: String,
    /// The subscription's name.
    pub subscription: String,
    /// The subscription's protocol.
    pub protocol: Protocol,
    /// The subscription's endpoint (URL, or queue name).
    pub endpoint: String,
    /// The published message's id.
    pub msg_id: String,
    /// The attempt number: 1 for the first push, 2 for the first retry, …; for `Dropped` and
    /// `Expired` the number of attempts made (0 if none was); 1 for queue fan-out.
    pub attempt: u32,
    /// When it happened (engine clock, Unix ms): for an attempt, when the answer (or the timeout)
    /// came.
    pub time_ms: u64,
    /// For an HTTP attempt, engine-clock milliseconds between sending and the outcome.
    pub latency_ms: Option<u64>,
    /// For an HTTP attempt, the `x-cmq-request-id` it carried.
    pub request_id: Option<String>,
    /// For a failed attempt that will be retried, when (engine clock, Unix ms).
    pub next_attempt_ms: Option<u64>,
    /// What happened.
    pub outcome: DeliveryOutcome,
}

struct LogState {
    records: VecDeque<DeliveryRecord>,
    next_seq: u64,
    capacity: usize,
}

/// The shared, append-only delivery log. See the module docs.
pub struct DeliveryLog {
    state: Mutex<LogState>,
    notify: Notify,
}

impl Default for DeliveryLog {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for DeliveryLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let st = self.lock();
        write!(
            f,
            "DeliveryLog({} records, next seq {})",
            st.records.len(),
            st.next_seq
        )
    }
}

impl DeliveryLog {
    /// How many records a log keeps by default.
    pub const DEFAULT_CAPACITY: usize = 100_000;

    /// An empty log keeping [`Self::DEFAULT_CAPACITY`] records.
    pub fn new() -> Self {
        Self::with_capacity(Self::DEFAULT_CAPACITY)
    }

    /// An empty log keeping the most recent `capacity` records (at least 1).
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            state: Mutex::new(LogState {
                records: VecDeque::new(),
                next_seq: 0,
                capacity: capacity.max(1),
            }),
            notify: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, LogState> {
        // Every update is a push/pop plus a counter increment; a poisoned lock is still consistent.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Appends a record (its `seq` is overwritten) and wakes every waiter. Returns the seq.
    pub(crate) fn record(&self, mut rec: DeliveryRecord) -> u64 {
        let seq = {
            let mut st = self.lock();
            rec.seq = st.next_seq;
            st.next_seq += 1;
            if st.records.len() >= st.capacity {
                st.records.pop_front();
            }
            st.records.push_back(rec);
            st.next_seq - 1
        };
        self.notify.notify_waiters();
        seq
    }

    /// A snapshot of the retained records, oldest first.
    pub fn records(&self) -> Vec<DeliveryRecord> {
        self.lock().records.iter().cloned().collect()
    }

    /// Up to `limit` retained records from the `offset`-th oldest on, and how many are retained.
    pub fn page(&self, offset: usize, limit: usize) -> (Vec<DeliveryRecord>, usize) {
        let st = self.lock();
        let page = st
            .records
            .iter()
            .skip(offset)
            .take(limit)
            .cloned()
            .collect();
        (page, st.records.len())
    }

    /// The retained records matching `pred`, oldest first.
    pub fn matching(&self, pred: impl Fn(&DeliveryRecord) -> bool) -> Vec<DeliveryRecord> {
        self.lock()
            .records
            .iter()
            .filter(|r| pred(r))
            .cloned()
            .collect()
    }

    /// The seq the next record will get: pass it to [`Self::wait_for_from`] /
    /// [`Self::expect_none_from`] to look only at records logged from now on.
    pub fn cursor(&self) -> u64 {
        self.lock().next_seq
    }

    /// Forgets every record (sequence numbers keep counting).
    pub fn clear(&self) {
        self.lock().records.clear();
    }

    fn find_from(
        &self,
        from: u64,
        pred: &impl Fn(&DeliveryRecord) -> bool,
    ) -> (Option<DeliveryRecord>, u64) {
        let st = self.lock();
        let hit = st
            .records
            .iter()
            .filter(|r| r.seq >= from)
            .find(|r| pred(r))
            .cloned();
        (hit, st.next_seq)
    }

    /// The first record (retained, or logged within `timeout` of real time) matching `pred`.
    pub async fn wait_for(
        &self,
        pred: impl Fn(&DeliveryRecord) -> bool,
        timeout: Duration,
    ) -> Option<DeliveryRecord> {
        self.wait_for_from(0, pred, timeout).await
    }

    /// Like [`Self::wait_for`], looking only at records with `seq >= from`.
    pub async fn wait_for_from(
        &self,
        from: u64,
        pred: impl Fn(&DeliveryRecord) -> bool,
        timeout: Duration,
    ) -> Option<DeliveryRecord> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut from = from;
        loop {
            let mut notified = pin!(self.notify.notified());
            notified.as_mut().enable();
            let (hit, next) = self.find_from(from, &pred);
            if hit.is_some() {
                return hit;
            }
            from = next;
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.find_from(from, &pred).0;
            }
        }
    }

    /// Waits until `count` records matching `pred` exist (retained or logged within `timeout`)
    /// and returns the first `count` of them; `None` on timeout.
    pub async fn wait_for_count(
        &self,
        count: usize,
        pred: impl Fn(&DeliveryRecord) -> bool,
        timeout: Duration,
    ) -> Option<Vec<DeliveryRecord>> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let mut notified = pin!(self.notify.notified());
            notified.as_mut().enable();
            let found = self.matching(&pred);
            if found.len() >= count {
                return Some(found.into_iter().take(count).collect());
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                let found = self.matching(&pred);
                return (found.len() >= count).then(|| found.into_iter().take(count).collect());
            }
        }
    }

    /// Asserts a negative: returns `None` when no record matching `pred` is retained or logged
    /// within `window` of real time, else the first offending record (at once).
    pub async fn expect_none(
        &self,
        pred: impl Fn(&DeliveryRecord) -> bool,
        window: Duration,
    ) -> Option<DeliveryRecord> {
        self.wait_for_from(0, pred, window).await
    }

    /// Like [`Self::expect_none`], looking only at records with `seq >= from`.
    pub async fn expect_none_from(
        &self,
        from: u64,
        pred: impl Fn(&DeliveryRecord) -> bool,
        window: Duration,
    ) -> Option<DeliveryRecord> {
        self.wait_for_from(from, pred, window).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn rec(msg: &str, outcome: DeliveryOutcome) -> DeliveryRecord {
        DeliveryRecord {
            seq: 99,
            owner: "1".into(),
            topic: "t".into(),
            subscription: "s".into(),
            protocol: Protocol::Http,
            endpoint: "http://x/".into(),
            msg_id: msg.into(),
            attempt: 1,
            time_ms: 0,
            latency_ms: None,
            request_id: None,
            next_attempt_ms: None,
            outcome,
        }
    }

    #[tokio::test]
    async fn wait_for_sees_past_and_future_records() {
        let log = Arc::new(DeliveryLog::new());
        assert_eq!(log.record(rec("a", DeliveryOutcome::Dropped)), 0);
        let hit = log
            .wait_for(|r| r.msg_id == "a", Duration::from_millis(10))
            .await;
        assert_eq!(hit.map(|r| r.seq), Some(0));

        let l2 = log.clone();
        let waiter = tokio::spawn(async move {
            l2.wait_for(|r| r.msg_id == "b", Duration::from_secs(10))
                .await
        });
        tokio::task::yield_now().await;
        log.record(rec("x", DeliveryOutcome::Expired));
        log.record(rec("b", DeliveryOutcome::Delivered { status: 200 }));
        let got = waiter.await.ok().flatten();
        assert_eq!(
            got.map(|r| (r.seq, r.outcome)),
            Some((2, DeliveryOutcome::Delivered { status: 200 }))
        );
        assert_eq!(log.records().len(), 3);
        assert_eq!(log.cursor(), 3);
    }

    #[tokio::test]
    async fn wait_for_times_out_and_expect_none() {
        let log = DeliveryLog::new();
        assert!(
            log.wait_for(|_| true, Duration::from_millis(20))
                .await
                .is_none()
        );
        assert!(
            log.expect_none(|_| true, Duration::from_millis(20))
                .await
                .is_none()
        );
        log.record(rec("a", DeliveryOutcome::Dropped));
        assert!(
            log.expect_none(|r| r.msg_id == "a", Duration::from_millis(20))
                .await
                .is_some()
        );
        let from = log.cursor();
        assert!(
            log.expect_none_from(from, |r| r.msg_id == "a", Duration::from_millis(20))
                .await
                .is_none()
        );
        assert!(
            log.wait_for_from(from, |_| true, Duration::from_millis(5))
                .await
                .is_none()
        );
    }

    #[tokio::test]
    async fn wait_for_count_and_capacity() {
        let log = Arc::new(DeliveryLog::with_capacity(2));
        let l2 = log.clone();
        let waiter = tokio::spawn(async move {
            l2.wait_for_count(2, |r| r.msg_id == "m", Duration::from_secs(10))
                .await
        });
        tokio::task::yield_now().await;
        log.record(rec("m", DeliveryOutcome::Dropped));
        log.record(rec("m", DeliveryOutcome::Expired));
        let got = waiter.await.ok().flatten().unwrap_or_default();
        assert_eq!(got.iter().map(|r| r.seq).collect::<Vec<_>>(), vec![0, 1]);
        log.record(rec("n", DeliveryOutcome::Dropped));
        assert_eq!(
            log.records().iter().map(|r| r.seq).collect::<Vec<_>>(),
            vec![1, 2]
        );
        assert!(
            log.wait_for_count(3, |_| true, Duration::from_millis(5))
                .await
                .is_none()
        );
        log.clear();
        assert!(log.records().is_empty());
        assert_eq!(log.cursor(), 3);
        assert!(DeliveryOutcome::Dropped.is_final());
        assert!(!DeliveryOutcome::Failed(PushFailure::Timeout).is_final());
    }
}
