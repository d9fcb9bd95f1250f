//! Plain data types going in and out of the engine's queues: limits, queue settings, the
//! dead-letter policy, attributes, received messages, listings and inspection snapshots. Times
//! are Unix milliseconds (each protocol rounds them as it answers); durations the service counts
//! in seconds (visibility timeout, retention, …) stay in seconds.

use cmq_sdk::generated::constraints::create_queue as cq;
use cmq_sdk::generated::constraints::shapes::dead_letter_policy as dlp;

use super::error::{EngineError, ErrorKind};

/// Smallest and largest `maxReceiveCount` of a policy-0 dead-letter rule (the spec's).
pub const MAX_RECEIVE_COUNT_RANGE: (u32, u32) = (
    u32_of(dlp::max_receive_count::MIN),
    u32_of(dlp::max_receive_count::MAX),
);
/// Smallest and largest `maxTimeToLive` (seconds) of a policy-1 dead-letter rule (the spec's).
pub const MAX_TIME_TO_LIVE_RANGE: (u32, u32) = (
    u32_of(dlp::max_time_to_live::MIN),
    u32_of(dlp::max_time_to_live::MAX),
);

/// A spec integer as a `u32`, saturating (the spec's lints keep these in range).
const fn u32_of(v: i64) -> u32 {
    if v < 0 {
        0
    } else if v > u32::MAX as i64 {
        u32::MAX
    } else {
        v as u32
    }
}

/// A spec integer as a `u64`, saturating at 0.
const fn u64_of(v: i64) -> u64 {
    if v < 0 { 0 } else { v as u64 }
}

/// A queue's dead-letter policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetterPolicy {
    /// The dead-letter queue's name (same account). Looked up case-insensitively; the engine
    /// stores and returns the queue's own spelling.
    pub dead_letter_queue: String,
    /// 0: dead-letter a message that was received `max_receive_count` times without being
    /// deleted, when it becomes visible again. 1: dead-letter a message that stayed
    /// `max_time_to_live` seconds in the queue without being deleted.
    pub policy: u32,
    /// Required for policy 0: within the spec's range
    /// (`cmq_sdk::generated::constraints::shapes::dead_letter_policy::max_receive_count`).
    pub max_receive_count: Option<u32>,
    /// Required for policy 1: within the spec's range in seconds
    /// (`cmq_sdk::generated::constraints::shapes::dead_letter_policy::max_time_to_live`) and less
    /// than `msgRetentionSeconds`.
    pub max_time_to_live: Option<u32>,
}

impl DeadLetterPolicy {
    /// Policy 0: dead-letter after `max_receive_count` receives without delete.
    pub fn receive_count(dead_letter_queue: impl Into<String>, max_receive_count: u32) -> Self {
        Self {
            dead_letter_queue: dead_letter_queue.into(),
            policy: 0,
            max_receive_count: Some(max_receive_count),
            max_time_to_live: None,
        }
    }

    /// Policy 1: dead-letter after `max_time_to_live` seconds in the queue without delete.
    pub fn time_to_live(dead_letter_queue: impl Into<String>, max_time_to_live: u32) -> Self {
        Self {
            dead_letter_queue: dead_letter_queue.into(),
            policy: 1,
            max_receive_count: None,
            max_time_to_live: Some(max_time_to_live),
        }
    }

    /// Checks the policy's own numbers against a queue keeping messages `retention_secs`.
    pub(crate) fn validate(&self, retention_secs: u32) -> Result<(), EngineError> {
        let err = |why: &str| {
            Err(EngineError::with_detail(
                ErrorKind::DeadLetterPolicyParamsError,
                why,
            ))
        };
        match self.policy {
            0 => match self.max_receive_count {
                Some(n) if (MAX_RECEIVE_COUNT_RANGE.0..=MAX_RECEIVE_COUNT_RANGE.1).contains(&n) => {
                    Ok(())
                }
                _ => err(&format!(
                    "maxReceiveCount must be {}-{}",
                    MAX_RECEIVE_COUNT_RANGE.0, MAX_RECEIVE_COUNT_RANGE.1
                )),
            },
            1 => match self.max_time_to_live {
                Some(t)
                    if (MAX_TIME_TO_LIVE_RANGE.0..=MAX_TIME_TO_LIVE_RANGE.1).contains(&t)
                        && t < retention_secs =>
                {
                    Ok(())
                }
                _ => err(&format!(
                    "maxTimeToLive must be {}-{} and less than msgRetentionSeconds",
                    MAX_TIME_TO_LIVE_RANGE.0, MAX_TIME_TO_LIVE_RANGE.1
                )),
            },
            _ => Err(EngineError::new(ErrorKind::DeadLetterPolicyMemberInvalid)),
        }
    }
}

/// A queue's settings with every value resolved. `default()` holds the spec's defaults (the
/// CreateQueue parameters' `DEFAULT` constants).
///
/// The engine checks only cross-field rules (rewindSeconds ≤ msgRetentionSeconds, the dead-letter
/// rules); the static ranges of each number belong to the protocol layer (the spec), so tests may
/// use values such as a heap of 3 messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueConfig {
    /// Most messages (active + inactive + delayed) the queue holds.
    pub max_msg_heap_num: u64,
    /// Default long-poll window of receives, seconds.
    pub polling_wait_seconds: u32,
    /// How long a received message stays invisible, seconds.
    pub visibility_timeout: u32,
    /// Largest message body in bytes.
    pub max_msg_size: u32,
    /// How long a message is kept, consumed or not, seconds.
    pub msg_retention_seconds: u32,
    /// Rewind window in seconds; 0 disables rewind (and keeping deleted messages).
    pub rewind_seconds: u32,
    /// The dead-letter policy, if any.
    pub dead_letter_policy: Option<DeadLetterPolicy>,
}

impl QueueConfig {
    /// The spec's defaults, as a constant.
    pub const DEFAULT: QueueConfig = QueueConfig {
        max_msg_heap_num: u64_of(cq::max_msg_heap_num::DEFAULT),
        polling_wait_seconds: u32_of(cq::polling_wait_seconds::DEFAULT),
        visibility_timeout: u32_of(cq::visibility_timeout::DEFAULT),
        max_msg_size: u32_of(cq::max_msg_size::DEFAULT),
        msg_retention_seconds: u32_of(cq::msg_retention_seconds::DEFAULT),
        rewind_seconds: u32_of(cq::rewind_seconds::DEFAULT),
        dead_letter_policy: None,
    };
}

impl Default for QueueConfig {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl QueueConfig {
    /// This config with the values present in `update` replaced.
    pub fn apply(&self, update: &QueueConfigUpdate) -> Self {
        Self {
            max_msg_heap_num: update.max_msg_heap_num.unwrap_or(self.max_msg_heap_num),
            polling_wait_seconds: update
                .polling_wait_seconds
                .unwrap_or(self.polling_wait_seconds),
            visibility_timeout: update.visibility_timeout.unwrap_or(self.visibility_timeout),
            max_msg_size: update.max_msg_size.unwrap_or(self.max_msg_size),
            msg_retention_seconds: update
                .msg_retention_seconds
                .unwrap_or(self.msg_retention_seconds),
            rewind_seconds: update.rewind_seconds.unwrap_or(self.rewind_seconds),
            dead_letter_policy: update
                .dead_letter_policy
                .clone()
                .or_else(|| self.dead_letter_policy.clone()),
        }
    }

    /// The cross-field rules: rewindSeconds ≤ msgRetentionSeconds (10700), then the dead-letter
    /// policy's numbers (10720).
    pub(crate) fn validate(&self) -> Result<(), EngineError> {
        if self.rewind_seconds > self.msg_retention_seconds {
            return Err(ErrorKind::RewindSecondsGreaterThanRetention.into());
        }
        if let Some(p) = &self.dead_letter_policy {
            p.validate(self.msg_retention_seconds)?;
        }
        Ok(())
    }
}

/// Queue settings to create a queue with or to change: `None` keeps the current (or default)
/// value. A present `dead_letter_policy` binds or re-binds the dead-letter queue; removing it is
/// [`Account::unbind_dead_letter_queue`](super::Account::unbind_dead_letter_queue).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueConfigUpdate {
    /// See [`QueueConfig::max_msg_heap_num`].
    pub max_msg_heap_num: Option<u64>,
    /// See [`QueueConfig::polling_wait_seconds`].
    pub polling_wait_seconds: Option<u32>,
    /// See [`QueueConfig::visibility_timeout`].
    pub visibility_timeout: Option<u32>,
    /// See [`QueueConfig::max_msg_size`].
    pub max_msg_size: Option<u32>,
    /// See [`QueueConfig::msg_retention_seconds`].
    pub msg_retention_seconds: Option<u32>,
    /// See [`QueueConfig::rewind_seconds`].
    pub rewind_seconds: Option<u32>,
    /// See [`QueueConfig::dead_letter_policy`].
    pub dead_letter_policy: Option<DeadLetterPolicy>,
}

/// Exact message counters of a queue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueCounters {
    /// Visible messages (`activeMsgNum`).
    pub active_msg_num: u64,
    /// Received, not yet deleted, still invisible (`inactiveMsgNum`).
    pub inactive_msg_num: u64,
    /// Sent with a delay that has not ended (`delayMsgNum`).
    pub delay_msg_num: u64,
    /// Deleted messages kept for rewind (`rewindMsgNum`).
    pub rewind_msg_num: u64,
    /// Enqueue time (Unix ms) of the oldest message not deleted; 0 when none (`minMsgTime`).
    pub min_msg_time_ms: u64,
}

/// What went through a queue since it was created: monotonic totals (the difference of two
/// readings over their interval is a rate).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueTraffic {
    /// Messages enqueued: sent, fanned out from a topic, or moved in as dead letters.
    pub sent: u64,
    /// Messages handed out by receives (a message received twice counts twice).
    pub received: u64,
    /// Messages deleted through a receipt handle.
    pub deleted: u64,
}

/// A queue's attributes: its settings, times and counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueAttributes {
    /// `queueId`.
    pub queue_id: String,
    /// The queue's name as created.
    pub queue_name: String,
    /// The settings.
    pub config: QueueConfig,
    /// When the queue was created (Unix ms).
    pub create_time_ms: u64,
    /// When its attributes last changed (Unix ms; the creation time until the first change).
    pub last_modify_time_ms: u64,
    /// The counters.
    pub counters: QueueCounters,
}

/// One received message. Times are Unix milliseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMessage {
    /// `msgBody`.
    pub msg_body: String,
    /// `msgId`.
    pub msg_id: String,
    /// `receiptHandle`: valid for one delete until `next_visible_time`.
    pub receipt_handle: String,
    /// When it was enqueued.
    pub enqueue_time_ms: u64,
    /// When it was first received.
    pub first_dequeue_time_ms: u64,
    /// When it becomes visible again unless deleted.
    pub next_visible_time_ms: u64,
    /// `dequeueCount`: how many times it was received, this time included.
    pub dequeue_count: u32,
}

/// One item of a queue listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueSummary {
    /// `queueId`.
    pub queue_id: String,
    /// `queueName`.
    pub queue_name: String,
}

/// A page of a listing: how many items match, and the items in `[offset, offset + limit)`, in
/// creation order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// Every match, not just this page.
    pub total_count: usize,
    /// This page.
    pub items: Vec<T>,
}

impl<T> Default for Page<T> {
    fn default() -> Self {
        Self {
            total_count: 0,
            items: Vec::new(),
        }
    }
}

impl<T> Page<T> {
    /// The page `[offset, offset + limit)` of `all`, counting every item.
    pub(crate) fn of<U>(all: Vec<U>, offset: usize, limit: usize, f: impl Fn(U) -> T) -> Self {
        let total_count = all.len();
        let items = all.into_iter().skip(offset).take(limit).map(f).collect();
        Self { total_count, items }
    }
}

/// The state of a stored message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageState {
    /// Visible, waiting for a consumer.
    Active,
    /// Received and invisible until its next-visible time.
    Inactive,
    /// Sent with a delay that has not ended.
    Delayed,
    /// Deleted but kept for rewind.
    Deleted,
}

/// A stored message seen by inspection. Times are Unix milliseconds (0 = never).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageView {
    /// Per-queue sequence number (production order).
    pub seq: u64,
    /// `msgId`.
    pub msg_id: String,
    /// The body (cut to a prefix in paged previews, see [`MessageView::body_len`]).
    pub body: String,
    /// The body's whole length in bytes.
    pub body_len: usize,
    /// State.
    pub state: MessageState,
    /// When it was enqueued.
    pub enqueue_time_ms: u64,
    /// When it was first received (0 = never).
    pub first_dequeue_time_ms: u64,
    /// Inactive: when it becomes visible again. Delayed: when its delay ends. Active: when it
    /// became visible. Deleted: the last next-visible time it had.
    pub next_visible_time_ms: u64,
    /// Receives so far.
    pub dequeue_count: u32,
}

/// A side-effect-free view of a queue: its attributes and its messages grouped by state, each
/// group in production order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueSnapshot {
    /// The attributes (counters included).
    pub attributes: QueueAttributes,
    /// Visible messages, in the order receives will return them.
    pub active: Vec<MessageView>,
    /// Received messages not yet deleted nor visible again.
    pub inactive: Vec<MessageView>,
    /// Delayed messages.
    pub delayed: Vec<MessageView>,
    /// Deleted messages kept for rewind.
    pub deleted: Vec<MessageView>,
}
