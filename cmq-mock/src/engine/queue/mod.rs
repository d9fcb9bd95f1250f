//! One queue: its messages, their state machine, and long polling.
//!
//! # Layout
//!
//! Every message not yet gone lives in exactly one of two maps keyed by its sequence number:
//! `live` (active, inactive or delayed) or `retained` (deleted, kept for rewind). Sequence numbers
//! grow with the enqueue time (which never goes back within a queue), so both maps are also in
//! enqueue-time order: the retention deadline of their first entry is the earliest one, and
//! `minMsgTime` is the first live entry. Three indexes say where each live message stands:
//!
//! * `active: BTreeSet<seq>`: visible messages; a receive pops the smallest (production order);
//! * `inflight: BTreeSet<(next_visible_ms, seq)>`: received messages, by visibility deadline;
//! * `delayed: BTreeSet<(due_ms, seq)>`: delayed messages, by delay end.
//!
//! # Time
//!
//! Nothing runs in the background. Every operation first *settles* the queue: it applies, in
//! deadline order per kind, every time-driven transition that has come due (dead-letter TTL,
//! retention, delay end, visibility expiry, dead-letter receive count), popping from the front
//! of the deadline-ordered structures, so the cost is proportional to what became due. A settled
//! queue is exactly the queue an eager implementation would hold, so settling is never an
//! observable side effect.
//!
//! # Long polling
//!
//! A receive that finds nothing registers as a waiter and sleeps on the queue's [`Notify`] (woken
//! once per message that becomes available: sends, rewinds, dead letters arriving, deadline
//! transitions settled by other operations) and on its own window end. One waiter, the *timer
//! owner*, also sleeps until the queue's next time-driven deadline ([`Clock::sleep_until`], so a
//! manual clock's `advance` wakes it exactly); operations that create an earlier deadline poke it
//! through a second `Notify`. When the owner leaves, it hands the role to another waiter. A
//! dead-letter queue's owner also watches its source queues' next dead-letter deadlines.
//!
//! # Locks
//!
//! Each queue has its own `Mutex<QueueState>`; operations never hold two queue locks except a
//! source queue's followed by its dead-letter queue's (acyclic: dead-letter queues cannot nest).
//! Order: account control → account queue map → a queue's `dl_sources` → source state → DLQ state.

mod inspect;
mod messages;
mod persist;
mod settle;
mod state;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, Weak};

use tokio::sync::Notify;

pub use self::inspect::MessagePage;
#[cfg(test)]
pub(crate) use self::state::Msg;
use self::state::{DeadRule, QueueState};
use super::Ctx;
use super::error::{EngineResult, ErrorKind};
use super::ids;
use super::types::{QueueAttributes, QueueConfig, QueueCounters, QueueTraffic};
#[cfg(doc)]
use crate::clock::Clock;

/// A queue. Obtain one from [`Account::queue`](super::Account::queue); every operation is also
/// available by name on [`Account`](super::Account).
pub struct Queue {
    uid: u32,
    create_seq: u64,
    name: Box<str>,
    queue_id: Box<str>,
    ctx: Arc<Ctx>,
    state: Mutex<QueueState>,
    /// Wakes waiting receives: once per message that became available.
    notify: Notify,
    /// Wakes the timer owner when an earlier deadline appears.
    timer: Notify,
    /// As a dead-letter queue: its source queues.
    dl_sources: RwLock<Vec<Weak<Queue>>>,
    has_dl_sources: AtomicBool,
    /// How many times a waiting receive woke up (tests check there is no thundering herd).
    #[cfg(test)]
    pub(crate) wakeups: std::sync::atomic::AtomicUsize,
}

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queue")
            .field("name", &self.name)
            .field("queue_id", &self.queue_id)
            .finish()
    }
}

impl Queue {
    pub(crate) fn new(
        ctx: Arc<Ctx>,
        name: &str,
        create_seq: u64,
        config: QueueConfig,
        dlq: Option<Arc<Queue>>,
    ) -> Arc<Self> {
        let uid = ctx.next_queue_uid();
        Self::build(ctx, uid, ids::new_queue_id(), name, create_seq, config, dlq)
    }

    /// A queue with the given identity: a new one, or one read back from the store.
    pub(crate) fn build(
        ctx: Arc<Ctx>,
        uid: u32,
        queue_id: String,
        name: &str,
        create_seq: u64,
        config: QueueConfig,
        dlq: Option<Arc<Queue>>,
    ) -> Arc<Self> {
        let now = ctx.clock.now_ms();
        let rule = dlq.as_ref().and(DeadRule::of(&config));
        let budget = ctx.budget.clone();
        Arc::new(Self {
            uid,
            create_seq,
            name: name.into(),
            queue_id: queue_id.into_boxed_str(),
            ctx,
            state: Mutex::new(QueueState {
                config,
                rule,
                dlq,
                create_ms: now,
                modify_ms: now,
                deleted: false,
                next_seq: 1,
                received_total: 0,
                deleted_total: 0,
                last_enqueue_ms: 0,
                live: BTreeMap::new(),
                retained: BTreeMap::new(),
                active: BTreeSet::new(),
                inflight: BTreeSet::new(),
                delayed: BTreeSet::new(),
                ttl_cursor: 0,
                rule_since_ms: now,
                waiters: 0,
                next_waiter_id: 0,
                timer_owner: None,
                armed: None,
                dl_reported: u64::MAX,
                budget,
            }),
            notify: Notify::new(),
            timer: Notify::new(),
            dl_sources: RwLock::new(Vec::new()),
            has_dl_sources: AtomicBool::new(false),
            #[cfg(test)]
            wakeups: std::sync::atomic::AtomicUsize::new(0),
        })
    }

    /// The queue's name as created.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The queue's id (`queue-…`).
    pub fn queue_id(&self) -> &str {
        &self.queue_id
    }

    pub(crate) fn create_seq(&self) -> u64 {
        self.create_seq
    }

    fn lock(&self) -> MutexGuard<'_, QueueState> {
        // Every update keeps the state consistent between statements that can panic, so a
        // poisoned lock is still safe to use.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Settles the sources (if this is a dead-letter queue), locks, checks the queue still exists
    /// and settles it. Returns the time and the guard.
    fn begin(&self) -> EngineResult<(u64, MutexGuard<'_, QueueState>)> {
        self.settle_sources();
        let mut st = self.lock();
        if st.deleted {
            return Err(ErrorKind::QueueNotExist.into());
        }
        let now = self.ctx.clock.now_ms();
        self.settle(&mut st, now);
        Ok((now, st))
    }

    // ---------------------------------------------------------------- attributes, inspection

    fn attributes_locked(&self, st: &QueueState) -> QueueAttributes {
        QueueAttributes {
            queue_id: self.queue_id.to_string(),
            queue_name: self.name.to_string(),
            config: st.config.clone(),
            create_time_ms: st.create_ms,
            last_modify_time_ms: st.modify_ms,
            counters: st.counters(),
        }
    }

    /// GetQueueAttributes: settings, times and exact counters.
    pub fn attributes(&self) -> EngineResult<QueueAttributes> {
        let (_, st) = self.begin()?;
        Ok(self.attributes_locked(&st))
    }

    /// The counters alone.
    pub fn counters(&self) -> EngineResult<QueueCounters> {
        let (_, st) = self.begin()?;
        Ok(st.counters())
    }

    /// How many messages were sent to, received from and deleted from the queue since it was
    /// created (monotonic: the dashboard turns them into rates).
    pub fn traffic(&self) -> EngineResult<QueueTraffic> {
        let (_, st) = self.begin()?;
        Ok(st.traffic())
    }

    /// Drops every stored message, in every state (rewind-retained ones included); the queue,
    /// its settings and its dead-letter bindings stay, and so do the traffic totals. Returns how
    /// many messages were dropped. (The admin API's purge: API 2.0 has no such action.)
    pub fn purge(&self) -> EngineResult<u64> {
        let (_, mut st) = self.begin()?;
        let dropped = (st.live.len() + st.retained.len()) as u64;
        st.clear_messages();
        st.ttl_cursor = 0;
        // With a data store: every message below the next sequence number is gone.
        self.log_expired(&st);
        // The deadline the timer sleeps to is gone: let its owner re-arm.
        self.timer.notify_waiters();
        Ok(dropped)
    }

    /// True once the queue was deleted (or its account reset).
    pub fn is_deleted(&self) -> bool {
        self.lock().deleted
    }

    /// Receives waiting (long polling) on this queue now.
    pub fn waiting_receives(&self) -> usize {
        self.lock().waiters
    }

    // ---------------------------------------------------------------- control (account only)

    pub(crate) fn config(&self) -> EngineResult<QueueConfig> {
        let st = self.lock();
        if st.deleted {
            return Err(ErrorKind::QueueNotExist.into());
        }
        Ok(st.config.clone())
    }

    /// Installs a validated config and its resolved dead-letter queue (the account checked and
    /// recorded the binding). Settles with the old config first.
    pub(crate) fn apply_config(
        &self,
        config: QueueConfig,
        dlq: Option<Arc<Queue>>,
    ) -> EngineResult<()> {
        let (now, mut st) = self.begin()?;
        let old_rule = st.rule;
        let old_rewind = st.config.rewind_seconds;
        let rule = dlq.as_ref().and(DeadRule::of(&config));
        if config.rewind_seconds == 0 && st.config.rewind_seconds > 0 {
            st.clear_retained();
        }
        let dlq_changed = match (&st.dlq, &dlq) {
            (Some(a), Some(b)) => !Arc::ptr_eq(a, b),
            (None, None) => false,
            _ => true,
        };
        if rule != old_rule {
            st.ttl_cursor = 0;
            st.rule_since_ms = now;
            for m in st.live.values_mut() {
                m.ttl_exempt = false;
            }
        }
        st.config = config;
        st.rule = rule;
        st.dlq = dlq;
        st.modify_ms = now;
        if rule != old_rule || dlq_changed {
            st.dl_reported = u64::MAX;
        }
        self.report_dl(&mut st);
        self.log_config(&st, old_rule, old_rewind);
        Ok(())
    }

    /// Marks the queue deleted, drops its messages and ends every pending receive with
    /// [`ErrorKind::QueueNotExist`].
    pub(crate) fn mark_deleted(&self) {
        self.clear_dl_sources();
        let mut st = self.lock();
        st.deleted = true;
        st.clear_messages();
        st.dlq = None;
        st.rule = None;
        self.notify.notify_waiters();
        self.timer.notify_waiters();
    }

    pub(crate) fn add_dl_source(&self, source: &Arc<Queue>) {
        let mut v = self.dl_sources.write().unwrap_or_else(|e| e.into_inner());
        v.retain(|w| w.strong_count() > 0);
        v.push(Arc::downgrade(source));
        self.has_dl_sources.store(true, Ordering::Release);
    }

    pub(crate) fn remove_dl_source(&self, source: &Queue) {
        let mut v = self.dl_sources.write().unwrap_or_else(|e| e.into_inner());
        v.retain(|w| w.strong_count() > 0 && !std::ptr::eq(w.as_ptr(), source));
        self.has_dl_sources.store(!v.is_empty(), Ordering::Release);
    }

    fn clear_dl_sources(&self) {
        let mut v = self.dl_sources.write().unwrap_or_else(|e| e.into_inner());
        v.clear();
        self.has_dl_sources.store(false, Ordering::Release);
    }
}
