//! What sits behind a queue's mutex: the stored messages, their indexes and the queue's
//! settings, with the bookkeeping every operation shares.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::Queue;
use crate::engine::budget::{StoreBudget, cost};
use crate::engine::types::{QueueConfig, QueueCounters, QueueTraffic};

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
    pub(super) body: Box<str>,
    pub(super) msg_id: u64,
    pub(super) due_ms: u64,
    /// Its sequence number in the source queue.
    pub(super) seq: u64,
}

/// Everything behind a queue's mutex.
pub(crate) struct QueueState {
    pub(super) config: QueueConfig,
    pub(super) rule: Option<DeadRule>,
    /// The dead-letter queue (set together with `rule`).
    pub(super) dlq: Option<Arc<Queue>>,
    pub(super) create_ms: u64,
    pub(super) modify_ms: u64,
    pub(super) deleted: bool,
    pub(super) next_seq: u64,
    /// Messages handed out by receives since the queue was created (for the dashboard's rates).
    pub(super) received_total: u64,
    /// Messages deleted through a receipt handle since the queue was created.
    pub(super) deleted_total: u64,
    pub(super) last_enqueue_ms: u64,
    pub(super) live: BTreeMap<u64, Msg>,
    pub(super) retained: BTreeMap<u64, Msg>,
    pub(super) active: BTreeSet<u64>,
    pub(super) inflight: BTreeSet<(u64, u64)>,
    pub(super) delayed: BTreeSet<(u64, u64)>,
    /// Policy 1: every live message with a smaller seq has had its TTL checked.
    pub(super) ttl_cursor: u64,
    /// When the current dead-letter rule took effect (nothing is dead-lettered "before" it).
    pub(super) rule_since_ms: u64,
    /// Receives registered as waiting.
    pub(super) waiters: usize,
    pub(super) next_waiter_id: u64,
    /// The waiter that sleeps until the next deadline, and that deadline.
    pub(super) timer_owner: Option<u64>,
    pub(super) armed: Option<u64>,
    /// As a source: the dead-letter deadline last seen by the dead-letter queue.
    pub(super) dl_reported: u64,
    /// The engine's stored-message budget: every message entering `live` or `retained` is
    /// counted in it, every message leaving both is given back.
    pub(super) budget: Arc<StoreBudget>,
}

impl QueueState {
    /// Removes a live message from its map and index (and from the budget: a caller that
    /// keeps it as retained counts it again with [`QueueState::retain`]).
    pub(super) fn take_live(&mut self, seq: u64) -> Option<Msg> {
        let m = self.live.remove(&seq)?;
        self.budget.remove(1, cost(m.body.len()));
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

    pub(super) fn receive_limit(&self) -> Option<u32> {
        match self.rule {
            Some(DeadRule::ReceiveCount(n)) => Some(n),
            _ => None,
        }
    }

    /// Stores a new message. Returns true if it is visible at once.
    pub(super) fn push(
        &mut self,
        body: Box<str>,
        msg_id: u64,
        enqueue_ms: u64,
        due_ms: u64,
    ) -> bool {
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
    pub(super) fn next_wake(&self) -> u64 {
        let d = self.delayed.first().map_or(u64::MAX, |e| e.0);
        let i = self.inflight.first().map_or(u64::MAX, |e| e.0);
        d.min(i)
    }

    /// The next instant a message may be dead-lettered (may be early for policy 0).
    pub(super) fn dl_deadline(&self) -> u64 {
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

    pub(super) fn counters(&self) -> QueueCounters {
        QueueCounters {
            active_msg_num: self.active.len() as u64,
            inactive_msg_num: self.inflight.len() as u64,
            delay_msg_num: self.delayed.len() as u64,
            rewind_msg_num: self.retained.len() as u64,
            min_msg_time_ms: self.live.first_key_value().map_or(0, |(_, m)| m.enqueue_ms),
        }
    }

    /// What went through the queue since it was created.
    pub(super) fn traffic(&self) -> QueueTraffic {
        QueueTraffic {
            sent: self.next_seq - 1,
            received: self.received_total,
            deleted: self.deleted_total,
        }
    }

    /// Keeps a deleted message for rewind.
    pub(super) fn retain(&mut self, seq: u64, m: Msg) {
        self.budget.add(1, cost(m.body.len()));
        self.retained.insert(seq, m);
    }

    /// Forgets every retained message (rewind turned off).
    pub(super) fn clear_retained(&mut self) {
        let bytes: u64 = self.retained.values().map(|m| cost(m.body.len())).sum();
        self.budget.remove(self.retained.len() as u64, bytes);
        self.retained.clear();
    }

    /// Drops every message.
    pub(super) fn clear_messages(&mut self) {
        let bytes: u64 = self.live.values().map(|m| cost(m.body.len())).sum();
        self.budget.remove(self.live.len() as u64, bytes);
        self.live.clear();
        self.clear_retained();
        self.active.clear();
        self.inflight.clear();
        self.delayed.clear();
    }
}
