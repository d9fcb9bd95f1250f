//! A queue and the store: the records its changes become (each `log_*` is one branch and
//! nothing more when no store is attached), and how a queue is rebuilt from the store.
//!
//! What is written: sends, receives, deletes, dead letters moving, retention removing messages,
//! rewinds and setting changes. What is not: delays and visibility timeouts ending (they follow
//! from the stored times), waiters and timers (they belong to a running process).

use std::sync::Arc;

use super::Queue;
use super::state::{DeadRule, Msg, MsgState, QueueState};
use crate::engine::Ctx;
use crate::engine::types::QueueConfig;
use crate::store::Log;
use crate::store::records::{MsgRow, QueueConfigChange, QueueRow, Record, RowState};

fn row_state(s: MsgState) -> RowState {
    match s {
        MsgState::Active => RowState::Active,
        MsgState::Inflight => RowState::Inflight,
        MsgState::Delayed => RowState::Delayed,
        MsgState::Deleted => RowState::Deleted,
    }
}

fn msg_state(s: RowState) -> MsgState {
    match s {
        RowState::Active => MsgState::Active,
        RowState::Inflight => MsgState::Inflight,
        RowState::Delayed => MsgState::Delayed,
        RowState::Deleted => MsgState::Deleted,
    }
}

/// The row of message `seq` of queue `uid`.
fn row(uid: u32, seq: u64, m: &Msg) -> MsgRow {
    MsgRow {
        uid,
        seq,
        msg_id: m.msg_id,
        enqueue_ms: m.enqueue_ms,
        first_dequeue_ms: m.first_dequeue_ms,
        visible_ms: m.visible_ms,
        dequeue_count: m.dequeue_count,
        generation: m.generation,
        state: row_state(m.state),
        ttl_exempt: m.ttl_exempt,
        body: m.body.clone(),
    }
}

impl Queue {
    #[inline]
    fn log(&self) -> Option<&Arc<Log>> {
        self.ctx.log.get()
    }

    /// The queue's number, engine-wide (the high bits of its msgIds and receipt handles).
    pub(crate) fn uid(&self) -> u32 {
        self.uid
    }

    /// Message `seq` was just stored.
    #[inline]
    pub(super) fn log_put(&self, st: &QueueState, seq: u64) {
        if let Some(log) = self.log() {
            if let Some(m) = st.live.get(&seq) {
                log.submit(Record::MsgPut(row(self.uid, seq, m)));
            }
        }
    }

    /// Message `seq` was just received.
    #[inline]
    pub(super) fn log_received(&self, seq: u64, m: &Msg) {
        if let Some(log) = self.log() {
            log.submit(Record::MsgReceived {
                uid: self.uid,
                seq,
                visible_ms: m.visible_ms,
                first_dequeue_ms: m.first_dequeue_ms,
                dequeue_count: m.dequeue_count,
                generation: m.generation,
            });
        }
    }

    /// Message `seq` was deleted by a consumer (kept for rewind when `retained`).
    #[inline]
    pub(super) fn log_deleted(&self, seq: u64, retained: bool) {
        if let Some(log) = self.log() {
            let uid = self.uid;
            log.submit(if retained {
                Record::MsgRetained { uid, seq }
            } else {
                Record::MsgDeleted { uid, seq }
            });
        }
    }

    /// Retention removed messages: everything below the first message still held is gone.
    pub(super) fn log_expired(&self, st: &QueueState) {
        if let Some(log) = self.log() {
            let first = |m: Option<u64>| m.unwrap_or(st.next_seq);
            let below_seq = first(st.live.keys().next().copied())
                .min(first(st.retained.keys().next().copied()));
            log.submit(Record::Expired {
                uid: self.uid,
                below_seq,
            });
        }
    }

    /// Message `from_seq` of queue `from_uid` arrived here as message `seq`.
    pub(super) fn log_moved(&self, from_uid: u32, from_seq: u64, st: &QueueState, seq: u64) {
        if let (Some(log), Some(m)) = (self.log(), st.live.get(&seq)) {
            log.submit(Record::MsgMoved {
                from_uid,
                from_seq,
                row: row(self.uid, seq, m),
            });
        }
    }

    /// Dead letters that found their dead-letter queue deleted: gone from the source.
    pub(super) fn log_dropped(&self, from_uid: u32, seqs: impl Iterator<Item = u64>) {
        if let Some(log) = self.log() {
            for seq in seqs {
                log.submit(Record::MsgDeleted { uid: from_uid, seq });
            }
        }
    }

    /// RewindQueue at `now`: retained messages from `restore_from` on came back, and every
    /// in-flight one.
    pub(super) fn log_rewound(&self, st: &QueueState, restore_from: Option<u64>, now: u64) {
        if let Some(log) = self.log() {
            let ttl_ms = match st.rule {
                Some(DeadRule::TimeToLive(ttl)) => Some(ttl),
                _ => None,
            };
            log.submit(Record::Rewound {
                uid: self.uid,
                restore_from,
                now_ms: now,
                ttl_ms,
            });
        }
    }

    /// New settings were installed (the old rule and rewind window say what else changed).
    pub(super) fn log_config(&self, st: &QueueState, old_rule: Option<DeadRule>, old_rewind: u32) {
        if let Some(log) = self.log() {
            log.submit(Record::QueueConfig(Box::new(QueueConfigChange {
                uid: self.uid,
                config: st.config.clone(),
                modify_ms: st.modify_ms,
                rule_since_ms: st.rule_since_ms,
                rule_changed: st.rule != old_rule,
                drop_retained: old_rewind > 0 && st.config.rewind_seconds == 0,
            })));
        }
    }

    /// The queue as a row of account `account` (for its creation record).
    pub(crate) fn row(&self, account: &str) -> QueueRow {
        let st = self.lock();
        QueueRow {
            uid: self.uid,
            account: account.to_owned(),
            name: self.name.to_string(),
            queue_id: self.queue_id.to_string(),
            create_seq: self.create_seq,
            create_ms: st.create_ms,
            modify_ms: st.modify_ms,
            rule_since_ms: st.rule_since_ms,
            next_seq: st.next_seq,
            last_enqueue_ms: st.last_enqueue_ms,
            config: st.config.clone(),
        }
    }

    // ---------------------------------------------------------------- rebuilding from the store

    /// The queue of a stored row, without its dead-letter queue (see [`Queue::restore_dlq`])
    /// and messages (see [`Queue::restore_rows`]).
    pub(crate) fn restore(ctx: Arc<Ctx>, row: &QueueRow) -> Arc<Queue> {
        let config: QueueConfig = row.config.clone();
        let q = Queue::build(
            ctx,
            row.uid,
            row.queue_id.clone(),
            &row.name,
            row.create_seq,
            config,
            None,
        );
        {
            let mut st = q.lock();
            st.create_ms = row.create_ms;
            st.modify_ms = row.modify_ms;
            st.rule_since_ms = row.rule_since_ms;
            st.next_seq = row.next_seq.max(1);
            st.last_enqueue_ms = row.last_enqueue_ms;
        }
        q
    }

    /// Installs the dead-letter queue the stored policy names (the account resolved it).
    pub(crate) fn restore_dlq(&self, dlq: Arc<Queue>) {
        let mut st = self.lock();
        st.rule = DeadRule::of(&st.config);
        st.dlq = Some(dlq);
    }

    /// Stores messages read back from the store (in production order), each in its state's
    /// map and index. Refuses a sequence number at or beyond the queue's next one, or seen twice.
    pub(crate) fn restore_rows(&self, rows: &mut Vec<MsgRow>) -> Result<(), String> {
        let mut st = self.lock();
        for r in rows.drain(..) {
            if r.seq == 0 || r.seq >= st.next_seq {
                return Err(format!(
                    "seq {} is outside the queue's range (next seq {})",
                    r.seq, st.next_seq
                ));
            }
            let seq = r.seq;
            // Restored messages count against the engine's budget like sent ones (never
            // refused: nothing stored is lost, a lower budget only refuses later sends).
            let bytes = super::super::budget::cost(r.body.len());
            let m = Msg {
                body: r.body,
                msg_id: r.msg_id,
                enqueue_ms: r.enqueue_ms,
                first_dequeue_ms: r.first_dequeue_ms,
                visible_ms: r.visible_ms,
                dequeue_count: r.dequeue_count,
                generation: r.generation,
                state: msg_state(r.state),
                ttl_exempt: r.ttl_exempt,
            };
            if !st.restore_msg(seq, m) {
                return Err(format!("seq {seq} is stored twice"));
            }
            st.budget.add(1, bytes);
        }
        Ok(())
    }
}

impl QueueState {
    /// Puts a message read back from the store where its state says; false if `seq` is taken.
    fn restore_msg(&mut self, seq: u64, m: Msg) -> bool {
        if self.live.contains_key(&seq) || self.retained.contains_key(&seq) {
            return false;
        }
        match m.state {
            MsgState::Active => {
                self.active.insert(seq);
            }
            MsgState::Inflight => {
                self.inflight.insert((m.visible_ms, seq));
            }
            MsgState::Delayed => {
                self.delayed.insert((m.visible_ms, seq));
            }
            MsgState::Deleted => {
                self.retained.insert(seq, m);
                return true;
            }
        }
        self.live.insert(seq, m);
        true
    }
}
