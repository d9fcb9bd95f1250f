//! Time: every operation first settles its queue, applying each time-driven transition that
//! has come due (dead-letter time to live, retention, delays ending, visibility timeouts ending,
//! dead-letter receive counts), and wakes the receives waiting for what became visible.

use std::sync::Weak;
use std::sync::atomic::Ordering;

use super::Queue;
use super::state::{DeadLetter, DeadRule, MsgState, QueueState};
use crate::engine::budget::cost;

impl QueueState {
    /// Dead-letter policy 1: time to live since the enqueue, whatever the state.
    fn settle_time_to_live(&mut self, now: u64, dead: &mut Vec<DeadLetter>) {
        let Some(DeadRule::TimeToLive(ttl)) = self.rule else {
            return;
        };
        while let Some((&seq, m)) = self.live.range(self.ttl_cursor..).next() {
            let due_ms = m.enqueue_ms.saturating_add(ttl);
            if due_ms > now {
                break;
            }
            let due_ms = due_ms.max(self.rule_since_ms);
            self.ttl_cursor = seq + 1;
            if m.ttl_exempt {
                continue;
            }
            if let Some(m) = self.take_live(seq) {
                dead.push(DeadLetter {
                    body: m.body,
                    msg_id: m.msg_id,
                    due_ms,
                    seq,
                });
            }
        }
    }

    /// Retention, consumed or not (retained deleted messages too).
    fn settle_retention(&mut self, now: u64, dead: &mut Vec<DeadLetter>) {
        let keep_ms = u64::from(self.config.msg_retention_seconds) * 1000;
        let limit = self.receive_limit();
        while let Some((&seq, m)) = self.live.first_key_value() {
            let expiry = m.enqueue_ms.saturating_add(keep_ms);
            if expiry > now {
                break;
            }
            if let Some(m) = self.take_live(seq) {
                // A policy-0 move that fell due before the retention end happens first.
                if m.state == MsgState::Inflight
                    && m.visible_ms <= expiry
                    && limit.is_some_and(|max| m.dequeue_count >= max)
                {
                    dead.push(DeadLetter {
                        body: m.body,
                        msg_id: m.msg_id,
                        due_ms: m.visible_ms,
                        seq,
                    });
                }
            }
        }
        while let Some(e) = self.retained.first_entry() {
            if e.get().enqueue_ms.saturating_add(keep_ms) > now {
                break;
            }
            let m = e.remove();
            self.budget.remove(1, cost(m.body.len()));
        }
    }

    /// Delays ending; returns how many messages became visible.
    fn settle_delays(&mut self, now: u64) -> usize {
        let mut visible = 0;
        while let Some(&(due, seq)) = self.delayed.first() {
            if due > now {
                break;
            }
            self.delayed.pop_first();
            if let Some(m) = self.live.get_mut(&seq) {
                m.state = MsgState::Active;
                self.active.insert(seq);
                visible += 1;
            }
        }
        visible
    }

    /// Visibility timeouts ending (policy 0 dead-letters here); returns how many messages
    /// became visible.
    fn settle_visibility(&mut self, now: u64, dead: &mut Vec<DeadLetter>) -> usize {
        let limit = self.receive_limit();
        let mut visible = 0;
        while let Some(&(nv, seq)) = self.inflight.first() {
            if nv > now {
                break;
            }
            self.inflight.pop_first();
            let Some(m) = self.live.get_mut(&seq) else {
                continue;
            };
            if limit.is_some_and(|max| m.dequeue_count >= max) {
                if let Some(m) = self.live.remove(&seq) {
                    self.budget.remove(1, cost(m.body.len()));
                    dead.push(DeadLetter {
                        body: m.body,
                        msg_id: m.msg_id,
                        due_ms: nv,
                        seq,
                    });
                }
            } else {
                m.state = MsgState::Active;
                self.active.insert(seq);
                visible += 1;
            }
        }
        visible
    }
}

impl Queue {
    /// Applies every time-driven transition due at `now`, in this order: dead-letter time to
    /// live, retention, delays ending, visibility timeouts ending; wakes a waiting receive per
    /// message that became visible and hands the dead letters to the dead-letter queue.
    pub(super) fn settle(&self, st: &mut QueueState, now: u64) {
        let mut dead: Vec<DeadLetter> = Vec::new();
        st.settle_time_to_live(now, &mut dead);
        let held = st.live.len() + st.retained.len();
        st.settle_retention(now, &mut dead);
        if st.live.len() + st.retained.len() < held {
            self.log_expired(st);
        }
        let visible = st.settle_delays(now) + st.settle_visibility(now, &mut dead);
        if visible > 0 {
            self.wake(st, visible);
        }
        if !dead.is_empty() {
            if let Some(dlq) = st.dlq.clone() {
                dlq.accept_dead_letters(self.uid, dead);
            }
        }
    }

    /// As a dead-letter queue: settles every source (moving what is due into this queue) and
    /// returns the earliest next dead-letter deadline among them. Must be called without this
    /// queue's lock.
    pub(super) fn settle_sources(&self) -> u64 {
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
    pub(super) fn report_dl(&self, st: &mut QueueState) {
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
    pub(super) fn accept_dead_letters(&self, from_uid: u32, dead: Vec<DeadLetter>) {
        let mut st = self.lock();
        if st.deleted {
            self.log_dropped(from_uid, dead.iter().map(|d| d.seq));
            return;
        }
        let n = dead.len();
        let bytes: u64 = dead.iter().map(|d| cost(d.body.len())).sum();
        st.budget.add(n as u64, bytes);
        for d in dead {
            let seq = st.next_seq;
            st.push(d.body, d.msg_id, d.due_ms, 0);
            self.log_moved(from_uid, d.seq, &st, seq);
        }
        self.wake(&mut st, n);
    }

    /// Wakes up to `n` waiting receives.
    pub(super) fn wake(&self, st: &mut QueueState, n: usize) {
        for _ in 0..n.min(st.waiters) {
            self.notify.notify_one();
        }
    }

    /// A new deadline at `at`: wakes the timer owner if it sleeps longer.
    pub(super) fn poke_timer(&self, st: &mut QueueState, at: u64) {
        if st.armed.is_some_and(|armed| at < armed) {
            st.armed = Some(at);
            self.timer.notify_one();
        }
    }
}
