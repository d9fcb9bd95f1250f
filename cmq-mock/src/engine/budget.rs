//! The engine-wide ceiling on stored messages: however many queues and however large their
//! `maxMsgHeapNum`, the engine holds at most [`Limits::max_messages`] messages and
//! [`Limits::max_memory`] bytes, counting every message a queue stores (active, in flight,
//! delayed, and deleted ones kept for rewind) as its body's length plus
//! [`MESSAGE_OVERHEAD_BYTES`] of bookkeeping.
//!
//! A send that would go over answers like a full queue (4410/10240, [`ErrorKind::QueueFull`]);
//! dead letters moving between queues are never refused (they were already counted). Counting is
//! two relaxed atomic additions per stored or forgotten message, shared by every queue.
//!
//! [`Limits::max_messages`]: super::Limits::max_messages
//! [`Limits::max_memory`]: super::Limits::max_memory
//! [`ErrorKind::QueueFull`]: super::ErrorKind::QueueFull

use std::sync::atomic::{AtomicU64, Ordering};

use super::error::{EngineError, ErrorKind};

/// What one stored message costs the memory budget beyond its body: about what the engine
/// spends per message (see the table in the engine's module docs; measured 137–207 B).
pub const MESSAGE_OVERHEAD_BYTES: u64 = 160;

/// The budget's counters (one per engine).
#[derive(Debug)]
pub(crate) struct StoreBudget {
    max_messages: u64,
    max_bytes: u64,
    messages: AtomicU64,
    bytes: AtomicU64,
    /// The clock second of the last warning (one a minute at most).
    warned_at: AtomicU64,
}

/// The budget cost of a body of `len` bytes.
pub(crate) fn cost(len: usize) -> u64 {
    len as u64 + MESSAGE_OVERHEAD_BYTES
}

impl StoreBudget {
    pub(crate) fn new(max_messages: u64, max_bytes: u64) -> Self {
        Self {
            max_messages,
            max_bytes,
            messages: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            warned_at: AtomicU64::new(0),
        }
    }

    /// Takes `n` messages of `bytes` in total from the budget, or refuses (taking nothing) with
    /// the error a full queue answers. `now_s` (clock seconds) spaces out the warnings.
    pub(crate) fn try_add(&self, n: u64, bytes: u64, now_s: u64) -> Result<(), EngineError> {
        let msgs = self.messages.fetch_add(n, Ordering::Relaxed) + n;
        let total = self.bytes.fetch_add(bytes, Ordering::Relaxed) + bytes;
        if msgs <= self.max_messages && total <= self.max_bytes {
            return Ok(());
        }
        self.remove(n, bytes);
        let detail = format!(
            "the engine's budget is full: {} messages (most {}), {} bytes (most {})",
            msgs - n,
            self.max_messages,
            total - bytes,
            self.max_bytes
        );
        let last = self.warned_at.load(Ordering::Relaxed);
        if now_s >= last.saturating_add(60)
            && self
                .warned_at
                .compare_exchange(last, now_s, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            tracing::warn!(
                "cmq-mock: refusing sends (answered as a full queue, 4410): {detail}; raise --max-messages / --max-memory or delete messages"
            );
        }
        Err(EngineError::with_detail(ErrorKind::QueueFull, detail))
    }

    /// Counts messages that must be stored whatever the budget (dead letters).
    pub(crate) fn add(&self, n: u64, bytes: u64) {
        self.messages.fetch_add(n, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Gives back what forgotten messages took.
    pub(crate) fn remove(&self, n: u64, bytes: u64) {
        self.messages.fetch_sub(n, Ordering::Relaxed);
        self.bytes.fetch_sub(bytes, Ordering::Relaxed);
    }

    /// Messages stored now.
    pub(crate) fn messages(&self) -> u64 {
        self.messages.load(Ordering::Relaxed)
    }

    /// Bytes stored now (bodies plus the per-message overhead).
    pub(crate) fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_past_either_ceiling_and_takes_nothing() {
        let b = StoreBudget::new(3, 10_000);
        assert!(b.try_add(2, cost(10) * 2, 0).is_ok());
        let e = b.try_add(2, cost(10) * 2, 0).err();
        assert_eq!(e.map(|e| e.kind), Some(ErrorKind::QueueFull));
        assert_eq!((b.messages(), b.bytes()), (2, cost(10) * 2));
        assert!(b.try_add(1, cost(10), 0).is_ok());
        b.remove(3, cost(10) * 3);
        assert_eq!((b.messages(), b.bytes()), (0, 0));
        let small = StoreBudget::new(100, 500);
        assert!(small.try_add(1, cost(300), 0).is_ok());
        assert!(small.try_add(1, cost(100), 0).is_err());
        small.add(1, cost(100));
        assert_eq!(small.messages(), 2);
    }
}
