//! Messages: send, receive (with long polling), delete and rewind.

use super::Queue;
use super::state::{DeadRule, MsgState, QueueState};
use crate::engine::error::{EngineError, EngineResult, ErrorKind};
use crate::engine::ids;
use crate::engine::types::ReceivedMessage;

impl Queue {
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
        if limits.delay_within_retention && delay_seconds > st.config.msg_retention_seconds {
            return Err(EngineError::with_detail(
                ErrorKind::DelaySecondsOutOfRange,
                format!(
                    "delaySeconds {delay_seconds} > msgRetentionSeconds {}",
                    st.config.msg_retention_seconds
                ),
            ));
        }
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
        let bytes: u64 = bodies
            .iter()
            .map(|b| crate::engine::budget::cost(b.len()))
            .sum();
        st.budget.try_add(bodies.len() as u64, bytes, now / 1000)?;
        let due = now.saturating_add(u64::from(delay_seconds) * 1000);
        let mut ids = Vec::with_capacity(bodies.len());
        let mut visible = 0;
        for body in bodies {
            let seq = st.next_seq;
            let id = ids::msg_id(self.uid, seq);
            if st.push(body, id, now, due) {
                visible += 1;
            }
            self.log_put(&st, seq);
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
            self.log_received(seq, m);
            out.push(ReceivedMessage {
                msg_body: m.body.to_string(),
                msg_id: m.msg_id.to_string(),
                receipt_handle: ids::receipt_handle(self.uid, seq, m.generation).to_string(),
                enqueue_time_ms: m.enqueue_ms,
                first_dequeue_time_ms: m.first_dequeue_ms,
                next_visible_time_ms: next_visible,
                dequeue_count: m.dequeue_count,
            });
            st.inflight.insert((next_visible, seq));
        }
        if !out.is_empty() {
            st.received_total += out.len() as u64;
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
            self.wakeups
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
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
        st.deleted_total += 1;
        if let Some(mut m) = st.take_live(h.seq) {
            if st.config.rewind_seconds > 0 {
                m.state = MsgState::Deleted;
                st.retain(h.seq, m);
            }
        }
        self.log_deleted(h.seq, st.config.rewind_seconds > 0);
        Ok(())
    }

    /// ClearCmqQueue: deletes every message that is not yet deleted (visible, in flight and
    /// delayed), so receipt handles minted earlier stop working; the deleted messages kept for
    /// rewinding stay (spec decision U11). Returns how many messages were deleted.
    pub fn clear(&self) -> EngineResult<u64> {
        let (_, mut st) = self.begin()?;
        let seqs: Vec<u64> = st.live.keys().copied().collect();
        for &seq in &seqs {
            st.take_live(seq);
        }
        for &seq in &seqs {
            self.log_deleted(seq, false);
        }
        Ok(seqs.len() as u64)
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
        self.log_rewound(&st, first, now);
        Ok(())
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
