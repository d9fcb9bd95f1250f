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

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, Weak};

use tokio::sync::Notify;

use super::Ctx;
use super::error::{EngineError, EngineResult, ErrorKind};
use super::ids;
use super::types::{
    MessageState, MessageView, QueueAttributes, QueueConfig, QueueCounters, QueueSnapshot,
    ReceivedMessage,
};
#[cfg(doc)]
use crate::clock::Clock;

/// The state of a stored message (one byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum MsgState {
    Active,
    Inflight,
    Delayed,
    Deleted,
}

/// A stored message: 64 bytes (the flag sits in padding) plus the body's heap block. No strings besides the body; the msgId
/// and receipt handles are numbers formatted at the API boundary.
#[derive(Debug)]
pub(crate) struct Msg {
    pub(crate) body: Box<str>,
    /// Numeric msgId (kept when the message moves to a dead-letter queue).
    pub(crate) msg_id: u64,
    pub(crate) enqueue_ms: u64,
    pub(crate) first_dequeue_ms: u64,
    /// Inflight: when it becomes visible again; delayed: when the delay ends; active: when it
    /// became visible; deleted: unchanged from its last receive.
    pub(crate) visible_ms: u64,
    pub(crate) dequeue_count: u32,
    /// Receives so far, wrapping; part of the receipt handle (0 = never received).
    pub(crate) generation: u32,
    pub(crate) state: MsgState,
    /// Restored by a rewind after its dead-letter TTL had passed: the TTL rule skips it.
    pub(crate) ttl_exempt: bool,
}

/// The resolved dead-letter rule of a source queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DeadRule {
    /// Policy 0: dead-letter on becoming visible after this many receives.
    ReceiveCount(u32),
    /// Policy 1: dead-letter this many milliseconds after the enqueue time.
    TimeToLive(u64),
}

impl DeadRule {
    pub(crate) fn of(config: &QueueConfig) -> Option<Self> {
        let p = config.dead_letter_policy.as_ref()?;
        match p.policy {
            0 => Some(Self::ReceiveCount(p.max_receive_count.unwrap_or(1))),
            _ => Some(Self::TimeToLive(
                u64::from(p.max_time_to_live.unwrap_or(0)) * 1000,
            )),
        }
    }
}

/// A message leaving for the dead-letter queue, with the instant it became due.
pub(crate) struct DeadLetter {
    body: Box<str>,
    msg_id: u64,
    due_ms: u64,
}

/// Everything behind a queue's mutex.
pub(crate) struct QueueState {
    pub(crate) config: QueueConfig,
    rule: Option<DeadRule>,
    /// The dead-letter queue (set together with `rule`).
    dlq: Option<Arc<Queue>>,
    create_ms: u64,
    modify_ms: u64,
    deleted: bool,
    next_seq: u64,
    last_enqueue_ms: u64,
    live: BTreeMap<u64, Msg>,
    retained: BTreeMap<u64, Msg>,
    active: BTreeSet<u64>,
    inflight: BTreeSet<(u64, u64)>,
    delayed: BTreeSet<(u64, u64)>,
    /// Policy 1: every live message with a smaller seq has had its TTL checked.
    ttl_cursor: u64,
    /// When the current dead-letter rule took effect (nothing is dead-lettered "before" it).
    rule_since_ms: u64,
    /// Receives registered as waiting.
    waiters: usize,
    next_waiter_id: u64,
    /// The waiter that sleeps until the next deadline, and that deadline.
    timer_owner: Option<u64>,
    armed: Option<u64>,
    /// As a source: the dead-letter deadline last seen by the dead-letter queue.
    dl_reported: u64,
}

impl QueueState {
    /// Removes a live message from its map and index.
    fn take_live(&mut self, seq: u64) -> Option<Msg> {
        let m = self.live.remove(&seq)?;
        match m.state {
            MsgState::Active => {
                self.active.remove(&seq);
            }
            MsgState::Inflight => {
                self.inflight.remove(&(m.visible_ms, seq));
            }
            MsgState::Delayed => {
                self.delayed.remove(&(m.visible_ms, seq));
            }
            MsgState::Deleted => {}
        }
        Some(m)
    }

    fn receive_limit(&self) -> Option<u32> {
        match self.rule {
            Some(DeadRule::ReceiveCount(n)) => Some(n),
            _ => None,
        }
    }

    /// Stores a new message. Returns true if it is visible at once.
    fn push(&mut self, body: Box<str>, msg_id: u64, enqueue_ms: u64, due_ms: u64) -> bool {
        let seq = self.next_seq;
        self.next_seq += 1;
        let enqueue_ms = enqueue_ms.max(self.last_enqueue_ms);
        self.last_enqueue_ms = enqueue_ms;
        let delayed = due_ms > enqueue_ms;
        let state = if delayed {
            MsgState::Delayed
        } else {
            MsgState::Active
        };
        let visible_ms = if delayed { due_ms } else { enqueue_ms };
        self.live.insert(
            seq,
            Msg {
                body,
                msg_id,
                enqueue_ms,
                first_dequeue_ms: 0,
                visible_ms,
                dequeue_count: 0,
                generation: 0,
                state,
                ttl_exempt: false,
            },
        );
        if delayed {
            self.delayed.insert((due_ms, seq));
        } else {
            self.active.insert(seq);
        }
        !delayed
    }

    /// The next instant a message may become visible by itself.
    fn next_wake(&self) -> u64 {
        let d = self.delayed.first().map_or(u64::MAX, |e| e.0);
        let i = self.inflight.first().map_or(u64::MAX, |e| e.0);
        d.min(i)
    }

    /// The next instant a message may be dead-lettered (may be early for policy 0).
    fn dl_deadline(&self) -> u64 {
        match self.rule {
            None => u64::MAX,
            Some(DeadRule::TimeToLive(ttl)) => self
                .live
                .range(self.ttl_cursor..)
                .next()
                .map_or(u64::MAX, |(_, m)| m.enqueue_ms.saturating_add(ttl)),
            Some(DeadRule::ReceiveCount(_)) => self.inflight.first().map_or(u64::MAX, |e| e.0),
        }
    }

    fn counters(&self) -> QueueCounters {
        QueueCounters {
            active_msg_num: self.active.len() as u64,
            inactive_msg_num: self.inflight.len() as u64,
            delay_msg_num: self.delayed.len() as u64,
            rewind_msg_num: self.retained.len() as u64,
            min_msg_time: self
                .live
                .first_key_value()
                .map_or(0, |(_, m)| m.enqueue_ms / 1000),
        }
    }

    /// Drops every message (rewind turned off drops only the retained ones).
    fn clear_messages(&mut self) {
        self.live.clear();
        self.retained.clear();
        self.active.clear();
        self.inflight.clear();
        self.delayed.clear();
    }
}

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
        let now = ctx.clock.now_ms();
        let uid = ctx.next_queue_uid();
        let rule = dlq.as_ref().and(DeadRule::of(&config));
        Arc::new(Self {
            uid,
            create_seq,
            name: name.into(),
            queue_id: ids::new_queue_id().into_boxed_str(),
            ctx,
            state: Mutex::new(QueueState {
                config,
                rule,
                dlq,
                create_ms: now,
                modify_ms: now,
                deleted: false,
                next_seq: 1,
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

    /// Applies every time-driven transition due at `now`.
    fn settle(&self, st: &mut QueueState, now: u64) {
        let mut dead: Vec<DeadLetter> = Vec::new();
        // 1. Dead-letter policy 1: time to live since the enqueue, whatever the state.
        if let Some(DeadRule::TimeToLive(ttl)) = st.rule {
            while let Some((&seq, m)) = st.live.range(st.ttl_cursor..).next() {
                let due_ms = m.enqueue_ms.saturating_add(ttl);
                if due_ms > now {
                    break;
                }
                let due_ms = due_ms.max(st.rule_since_ms);
                st.ttl_cursor = seq + 1;
                if m.ttl_exempt {
                    continue;
                }
                if let Some(m) = st.take_live(seq) {
                    dead.push(DeadLetter {
                        body: m.body,
                        msg_id: m.msg_id,
                        due_ms,
                    });
                }
            }
        }
        // 2. Retention, consumed or not.
        let keep_ms = u64::from(st.config.msg_retention_seconds) * 1000;
        let limit = st.receive_limit();
        while let Some((&seq, m)) = st.live.first_key_value() {
            let expiry = m.enqueue_ms.saturating_add(keep_ms);
            if expiry > now {
                break;
            }
            if let Some(m) = st.take_live(seq) {
                // A policy-0 move that fell due before the retention end happens first.
                if m.state == MsgState::Inflight
                    && m.visible_ms <= expiry
                    && limit.is_some_and(|max| m.dequeue_count >= max)
                {
                    dead.push(DeadLetter {
                        body: m.body,
                        msg_id: m.msg_id,
                        due_ms: m.visible_ms,
                    });
                }
            }
        }
        while let Some(e) = st.retained.first_entry() {
            if e.get().enqueue_ms.saturating_add(keep_ms) > now {
                break;
            }
            e.remove();
        }
        // 3. Delays ending.
        let mut visible = 0usize;
        while let Some(&(due, seq)) = st.delayed.first() {
            if due > now {
                break;
            }
            st.delayed.pop_first();
            if let Some(m) = st.live.get_mut(&seq) {
                m.state = MsgState::Active;
                st.active.insert(seq);
                visible += 1;
            }
        }
        // 4. Visibility timeouts ending (policy 0 dead-letters here).
        while let Some(&(nv, seq)) = st.inflight.first() {
            if nv > now {
                break;
            }
            st.inflight.pop_first();
            let Some(m) = st.live.get_mut(&seq) else {
                continue;
            };
            if limit.is_some_and(|max| m.dequeue_count >= max) {
                if let Some(m) = st.live.remove(&seq) {
                    dead.push(DeadLetter {
                        body: m.body,
                        msg_id: m.msg_id,
                        due_ms: nv,
                    });
                }
            } else {
                m.state = MsgState::Active;
                st.active.insert(seq);
                visible += 1;
            }
        }
        if visible > 0 {
            self.wake(st, visible);
        }
        if !dead.is_empty() {
            if let Some(dlq) = st.dlq.clone() {
                dlq.accept_dead_letters(dead);
            }
        }
    }

    /// As a dead-letter queue: settles every source (moving what is due into this queue) and
    /// returns the earliest next dead-letter deadline among them. Must be called without this
    /// queue's lock.
    fn settle_sources(&self) -> u64 {
        if !self.has_dl_sources.load(Ordering::Acquire) {
            return u64::MAX;
        }
        let sources = self.dl_sources.read().unwrap_or_else(|e| e.into_inner());
        let mut earliest = u64::MAX;
        for src in sources.iter().filter_map(Weak::upgrade) {
            let mut st = src.lock();
            if st.deleted {
                continue;
            }
            let now = self.ctx.clock.now_ms();
            src.settle(&mut st, now);
            let d = st.dl_deadline();
            st.dl_reported = d;
            earliest = earliest.min(d);
        }
        earliest
    }

    /// As a source: tells the dead-letter queue's timer owner if the next dead-letter deadline
    /// moved earlier than it last saw.
    fn report_dl(&self, st: &mut QueueState) {
        if let Some(dlq) = &st.dlq {
            let d = st.dl_deadline();
            if d < st.dl_reported {
                st.dl_reported = d;
                dlq.timer.notify_one();
            }
        }
    }

    /// Enqueues dead letters from a source queue (whose lock the caller holds). They bypass this
    /// queue's size and heap limits, keep their msgId and start over as new messages enqueued at
    /// the instant they became due.
    fn accept_dead_letters(&self, dead: Vec<DeadLetter>) {
        let mut st = self.lock();
        if st.deleted {
            return;
        }
        let n = dead.len();
        for d in dead {
            st.push(d.body, d.msg_id, d.due_ms, 0);
        }
        self.wake(&mut st, n);
    }

    /// Wakes up to `n` waiting receives.
    fn wake(&self, st: &mut QueueState, n: usize) {
        for _ in 0..n.min(st.waiters) {
            self.notify.notify_one();
        }
    }

    /// A new deadline at `at`: wakes the timer owner if it sleeps longer.
    fn poke_timer(&self, st: &mut QueueState, at: u64) {
        if st.armed.is_some_and(|armed| at < armed) {
            st.armed = Some(at);
            self.timer.notify_one();
        }
    }

    // ---------------------------------------------------------------- messages

    /// Sends `bodies` (one delay for all). `batch` selects the batch rules (total body size).
    /// Returns the numeric msgIds in order.
    pub(crate) fn send_bodies(
        &self,
        bodies: Vec<Box<str>>,
        delay_seconds: u32,
        batch: bool,
    ) -> EngineResult<Vec<u64>> {
        let limits = &self.ctx.limits;
        if bodies.is_empty() || bodies.len() > limits.max_batch_size {
            return Err(EngineError::with_detail(
                ErrorKind::BatchSizeOutOfRange,
                "msgBody",
            ));
        }
        if bodies.iter().any(|b| b.is_empty()) {
            return Err(ErrorKind::MessageBodyEmpty.into());
        }
        let (now, mut st) = self.begin()?;
        let max_size = st.config.max_msg_size as usize;
        if let Some(b) = bodies.iter().find(|b| b.len() > max_size) {
            return Err(EngineError::with_detail(
                ErrorKind::MessageTooLarge,
                format!("{} bytes > maxMsgSize {max_size}", b.len()),
            ));
        }
        if batch {
            let total: usize = bodies.iter().map(|b| b.len()).sum();
            if total > limits.max_batch_body_bytes {
                return Err(EngineError::with_detail(
                    ErrorKind::BatchTotalSizeTooLarge,
                    format!("{total} bytes > {}", limits.max_batch_body_bytes),
                ));
            }
        }
        let held = st.live.len() as u64;
        if held.saturating_add(bodies.len() as u64) > st.config.max_msg_heap_num {
            return Err(EngineError::with_detail(
                ErrorKind::QueueFull,
                format!(
                    "{held} messages held, maxMsgHeapNum {}",
                    st.config.max_msg_heap_num
                ),
            ));
        }
        let due = now.saturating_add(u64::from(delay_seconds) * 1000);
        let mut ids = Vec::with_capacity(bodies.len());
        let mut visible = 0;
        for body in bodies {
            let id = ids::msg_id(self.uid, st.next_seq);
            if st.push(body, id, now, due) {
                visible += 1;
            }
            ids.push(id);
        }
        if visible > 0 {
            self.wake(&mut st, visible);
        }
        if delay_seconds > 0 {
            self.poke_timer(&mut st, due);
        }
        self.report_dl(&mut st);
        Ok(ids)
    }

    /// SendMessage: enqueues one body with an optional delay; returns the msgId.
    pub fn send_message(
        &self,
        body: impl Into<Box<str>>,
        delay_seconds: u32,
    ) -> EngineResult<String> {
        let ids = self.send_bodies(vec![body.into()], delay_seconds, false)?;
        Ok(ids[0].to_string())
    }

    /// BatchSendMessage: enqueues 1–16 bodies with one delay; returns the msgIds in order.
    pub fn batch_send_message<I, B>(
        &self,
        bodies: I,
        delay_seconds: u32,
    ) -> EngineResult<Vec<String>>
    where
        I: IntoIterator<Item = B>,
        B: Into<Box<str>>,
    {
        let bodies: Vec<Box<str>> = bodies.into_iter().map(Into::into).collect();
        let ids = self.send_bodies(bodies, delay_seconds, true)?;
        Ok(ids.into_iter().map(|id| id.to_string()).collect())
    }

    /// Takes up to `n` visible messages in production order and makes them inactive.
    fn take_visible(&self, st: &mut QueueState, n: usize, now: u64) -> Vec<ReceivedMessage> {
        let next_visible = now.saturating_add(u64::from(st.config.visibility_timeout) * 1000);
        let mut out = Vec::with_capacity(n.min(st.active.len()));
        while out.len() < n {
            let Some(seq) = st.active.pop_first() else {
                break;
            };
            let Some(m) = st.live.get_mut(&seq) else {
                continue;
            };
            m.state = MsgState::Inflight;
            m.dequeue_count = m.dequeue_count.saturating_add(1);
            if m.dequeue_count == 1 {
                m.first_dequeue_ms = now;
            }
            m.generation = m.generation.wrapping_add(1);
            m.visible_ms = next_visible;
            out.push(ReceivedMessage {
                msg_body: m.body.to_string(),
                msg_id: m.msg_id.to_string(),
                receipt_handle: ids::receipt_handle(self.uid, seq, m.generation).to_string(),
                enqueue_time: m.enqueue_ms / 1000,
                first_dequeue_time: m.first_dequeue_ms / 1000,
                next_visible_time: next_visible / 1000,
                dequeue_count: m.dequeue_count,
            });
            st.inflight.insert((next_visible, seq));
        }
        if !out.is_empty() {
            self.poke_timer(st, next_visible);
        }
        out
    }

    /// (Batch)ReceiveMessage: up to `n` (1–16) messages. Waits up to `polling_wait_seconds` (else
    /// the queue's `pollingWaitSeconds`) for one to become available, then answers
    /// [`ErrorKind::NoMessage`]. Fails with [`ErrorKind::TooManyUnackedMessages`] while the queue
    /// holds more delayed messages than [`Limits::max_delayed_messages`](super::Limits), and with
    /// [`ErrorKind::QueueNotExist`] if the queue is deleted while waiting.
    pub async fn receive(
        &self,
        n: usize,
        polling_wait_seconds: Option<u32>,
    ) -> EngineResult<Vec<ReceivedMessage>> {
        let limits = &self.ctx.limits;
        if n == 0 || n > limits.max_batch_size {
            return Err(EngineError::with_detail(
                ErrorKind::BatchSizeOutOfRange,
                "numOfMsg",
            ));
        }
        let clock = &self.ctx.clock;
        let mut waiter = Waiter {
            queue: self,
            id: 0,
            joined: false,
        };
        let mut window_end: Option<u64> = None;
        loop {
            let sources_due = self.settle_sources();
            let notified = self.notify.notified();
            let timer = self.timer.notified();
            tokio::pin!(notified, timer);
            let (owner, sleep_to) = {
                let mut st = self.lock();
                if st.deleted {
                    waiter.leave(&mut st);
                    return Err(ErrorKind::QueueNotExist.into());
                }
                let now = clock.now_ms();
                self.settle(&mut st, now);
                if st.delayed.len() > limits.max_delayed_messages {
                    waiter.leave(&mut st);
                    return Err(ErrorKind::TooManyUnackedMessages.into());
                }
                let got = self.take_visible(&mut st, n, now);
                if !got.is_empty() {
                    waiter.leave(&mut st);
                    self.report_dl(&mut st);
                    return Ok(got);
                }
                let wait = polling_wait_seconds.unwrap_or(st.config.polling_wait_seconds);
                let end = *window_end.get_or_insert(now.saturating_add(u64::from(wait) * 1000));
                if now >= end {
                    waiter.leave(&mut st);
                    return Err(ErrorKind::NoMessage.into());
                }
                let id = waiter.join(&mut st);
                notified.as_mut().enable();
                if st.timer_owner.is_none_or(|o| o == id) {
                    st.timer_owner = Some(id);
                    let at = st.next_wake().min(sources_due).min(end);
                    st.armed = Some(at);
                    timer.as_mut().enable();
                    (true, at)
                } else {
                    (false, end)
                }
            };
            let sleep = clock.sleep_until(sleep_to);
            tokio::select! {
                biased;
                _ = &mut notified => {}
                _ = &mut timer, if owner => {}
                _ = sleep => {}
            }
            #[cfg(test)]
            self.wakeups.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// DeleteMessage / BatchDeleteMessage: one result per handle, in order. A handle deletes its
    /// message only if it is the latest one minted for it and its next-visible time has not come.
    pub fn delete_messages<S: AsRef<str>>(
        &self,
        handles: &[S],
    ) -> EngineResult<Vec<EngineResult<()>>> {
        if handles.is_empty() || handles.len() > self.ctx.limits.max_batch_size {
            return Err(EngineError::with_detail(
                ErrorKind::BatchSizeOutOfRange,
                "receiptHandle",
            ));
        }
        let (now, mut st) = self.begin()?;
        Ok(handles
            .iter()
            .map(|h| self.delete_one(&mut st, h.as_ref(), now))
            .collect())
    }

    /// DeleteMessage with one handle.
    pub fn delete_message(&self, receipt_handle: &str) -> EngineResult<()> {
        let handle = ids::parse_handle(receipt_handle)?;
        let (now, mut st) = self.begin()?;
        self.delete_parsed(&mut st, handle, receipt_handle, now)
    }

    fn delete_one(&self, st: &mut QueueState, handle: &str, now: u64) -> EngineResult<()> {
        let parsed = ids::parse_handle(handle)?;
        self.delete_parsed(st, parsed, handle, now)
    }

    fn delete_parsed(
        &self,
        st: &mut QueueState,
        h: ids::Handle,
        raw: &str,
        now: u64,
    ) -> EngineResult<()> {
        let valid = h.uid == self.uid
            && st.live.get(&h.seq).is_some_and(|m| {
                m.state == MsgState::Inflight && m.generation == h.generation && now < m.visible_ms
            });
        if !valid {
            return Err(EngineError::with_detail(
                ErrorKind::InvalidReceiptHandle,
                raw.to_owned(),
            ));
        }
        if let Some(mut m) = st.take_live(h.seq) {
            if st.config.rewind_seconds > 0 {
                m.state = MsgState::Deleted;
                st.retained.insert(h.seq, m);
            }
        }
        Ok(())
    }

    /// RewindQueue: consumers receive again every retained message produced at or after
    /// `start_consume_time` (Unix seconds), in production order, then continue normally.
    ///
    /// Valid iff rewind is enabled and `now − rewindSeconds ≤ t ≤ minMsgTime`, where the upper
    /// bound is `now` when no message is unconsumed. Deleted messages at/after `t` become active;
    /// inactive messages become active at once and their handles stop working; delayed messages
    /// keep their delay. `dequeueCount` and `firstDequeueTime` keep counting.
    pub fn rewind(&self, start_consume_time: u64) -> EngineResult<()> {
        let (now, mut st) = self.begin()?;
        let window = u64::from(st.config.rewind_seconds);
        if window == 0 {
            return Err(ErrorKind::QueueCannotRewind.into());
        }
        let now_s = now / 1000;
        let lower = now_s.saturating_sub(window);
        let upper = st
            .live
            .first_key_value()
            .map_or(now_s, |(_, m)| m.enqueue_ms / 1000);
        if start_consume_time < lower || start_consume_time > upper {
            return Err(EngineError::with_detail(
                ErrorKind::InvalidRewindTime,
                format!("valid range {lower}..={upper}"),
            ));
        }
        let from_ms = start_consume_time.saturating_mul(1000);
        // Retained messages are in enqueue order: restore the suffix at/after `from_ms`.
        let first = st
            .retained
            .iter()
            .rev()
            .take_while(|(_, m)| m.enqueue_ms >= from_ms)
            .last()
            .map(|(&seq, _)| seq);
        let mut made_visible = 0;
        if let Some(first) = first {
            let restored = st.retained.split_off(&first);
            let ttl = match st.rule {
                Some(DeadRule::TimeToLive(ttl)) => Some(ttl),
                _ => None,
            };
            for (seq, mut m) in restored {
                // A TTL that passed while the message was deleted does not dead-letter it now.
                m.ttl_exempt = ttl.is_some_and(|ttl| m.enqueue_ms.saturating_add(ttl) <= now);
                m.state = MsgState::Active;
                m.visible_ms = now;
                st.active.insert(seq);
                st.live.insert(seq, m);
                made_visible += 1;
            }
        }
        // Every unconsumed message is at/after t (t ≤ minMsgTime): in-flight ones come back now.
        // Their handles die with the state change (a handle deletes only an inactive message,
        // and the next receive mints a new generation).
        let inflight = std::mem::take(&mut st.inflight);
        for (_, seq) in inflight {
            if let Some(m) = st.live.get_mut(&seq) {
                m.state = MsgState::Active;
                m.visible_ms = now;
                st.active.insert(seq);
                made_visible += 1;
            }
        }
        if made_visible > 0 {
            self.wake(&mut st, made_visible);
        }
        self.report_dl(&mut st);
        Ok(())
    }

    // ---------------------------------------------------------------- attributes, inspection

    fn attributes_locked(&self, st: &QueueState) -> QueueAttributes {
        QueueAttributes {
            queue_id: self.queue_id.to_string(),
            queue_name: self.name.to_string(),
            config: st.config.clone(),
            create_time: st.create_ms / 1000,
            last_modify_time: st.modify_ms / 1000,
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

    /// Every stored message grouped by state, with the attributes. Receives, deletes and counts
    /// nothing; it only settles transitions that are already due (as every operation does).
    pub fn snapshot(&self) -> EngineResult<QueueSnapshot> {
        let (_, st) = self.begin()?;
        let view = |seq: u64, m: &Msg, state: MessageState| MessageView {
            seq,
            msg_id: m.msg_id.to_string(),
            body: m.body.to_string(),
            state,
            enqueue_time_ms: m.enqueue_ms,
            first_dequeue_time_ms: m.first_dequeue_ms,
            next_visible_time_ms: m.visible_ms,
            dequeue_count: m.dequeue_count,
        };
        let mut snap = QueueSnapshot {
            attributes: self.attributes_locked(&st),
            active: Vec::with_capacity(st.active.len()),
            inactive: Vec::with_capacity(st.inflight.len()),
            delayed: Vec::with_capacity(st.delayed.len()),
            deleted: st
                .retained
                .iter()
                .map(|(&s, m)| view(s, m, MessageState::Deleted))
                .collect(),
        };
        for (&seq, m) in &st.live {
            match m.state {
                MsgState::Active => snap.active.push(view(seq, m, MessageState::Active)),
                MsgState::Inflight => snap.inactive.push(view(seq, m, MessageState::Inactive)),
                MsgState::Delayed => snap.delayed.push(view(seq, m, MessageState::Delayed)),
                MsgState::Deleted => snap.deleted.push(view(seq, m, MessageState::Deleted)),
            }
        }
        Ok(snap)
    }

    /// True once the queue was deleted (or its account reset).
    pub fn is_deleted(&self) -> bool {
        self.lock().deleted
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
        let rule = dlq.as_ref().and(DeadRule::of(&config));
        if config.rewind_seconds == 0 && st.config.rewind_seconds > 0 {
            st.retained.clear();
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

/// A receive's registration as a waiter; unregisters (and hands over the timer) when dropped.
struct Waiter<'a> {
    queue: &'a Queue,
    id: u64,
    joined: bool,
}

impl Waiter<'_> {
    fn join(&mut self, st: &mut QueueState) -> u64 {
        if !self.joined {
            self.id = st.next_waiter_id;
            st.next_waiter_id += 1;
            st.waiters += 1;
            self.joined = true;
        }
        self.id
    }

    fn leave(&mut self, st: &mut QueueState) {
        if !self.joined {
            return;
        }
        self.joined = false;
        st.waiters -= 1;
        if st.timer_owner == Some(self.id) {
            st.timer_owner = None;
            st.armed = None;
            if st.waiters > 0 {
                // Someone else must watch the deadlines now.
                self.queue.notify.notify_one();
            }
        }
    }
}

impl Drop for Waiter<'_> {
    fn drop(&mut self) {
        if self.joined {
            let queue = self.queue;
            let mut st = queue.lock();
            self.leave(&mut st);
        }
    }
}
