//! What the engine hands the store: one [`Record`] per change, in the order the engine made the
//! changes, and the rows they become. Times are Unix milliseconds on the engine's clock.
//!
//! A message row is keyed by `uid << 40 | seq` (the queue's engine-wide number and the message's
//! sequence number in that queue, the same split as a msgId), so a queue's messages are one
//! contiguous key range in production order. Each row carries a CRC-32 of what never changes
//! after the send ([`body_crc`]: the msgId, the enqueue time and the body), checked on every
//! restart: SQLite checksums its log, not its pages.

use std::sync::Arc;

use crate::engine::QueueConfig;

/// The key of message `seq` of queue `uid` in the `messages` table.
pub(crate) fn msg_key(uid: u32, seq: u64) -> i64 {
    ((u64::from(uid) << 40) | (seq & ((1 << 40) - 1))) as i64
}

/// The first key of queue `uid` (its messages are `queue_start(uid)..queue_start(uid + 1)`).
pub(crate) fn queue_start(uid: u32) -> i64 {
    (u64::from(uid) << 40) as i64
}

/// The (queue uid, seq) of a message key.
pub(crate) fn split_key(key: i64) -> (u32, u64) {
    let k = key as u64;
    ((k >> 40) as u32, k & ((1 << 40) - 1))
}

/// The checksum stored with every message: CRC-32 (IEEE) over the msgId and the enqueue time
/// (little-endian) and the body's bytes.
pub(crate) fn body_crc(msg_id: u64, enqueue_ms: u64, body: &str) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&msg_id.to_le_bytes());
    h.update(&enqueue_ms.to_le_bytes());
    h.update(body.as_bytes());
    h.finalize()
}

/// A message's state on disk (the `state` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum RowState {
    /// Visible (or visible again once its deadline passes: see the module docs of the engine's
    /// queue: visibility and delay ends are not written, they follow from the times).
    Active = 0,
    /// Received; invisible until `visible_ms`.
    Inflight = 1,
    /// Delayed until `visible_ms`.
    Delayed = 2,
    /// Deleted and kept for rewind.
    Deleted = 3,
}

impl RowState {
    /// The state of a stored code, if it is one.
    pub(crate) fn from_code(code: i64) -> Option<Self> {
        Some(match code {
            0 => Self::Active,
            1 => Self::Inflight,
            2 => Self::Delayed,
            3 => Self::Deleted,
            _ => return None,
        })
    }
}

/// `flags` bit: restored by a rewind after its dead-letter time to live had passed.
pub(crate) const FLAG_TTL_EXEMPT: i64 = 1;

/// One stored message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MsgRow {
    pub(crate) uid: u32,
    pub(crate) seq: u64,
    pub(crate) msg_id: u64,
    pub(crate) enqueue_ms: u64,
    pub(crate) first_dequeue_ms: u64,
    pub(crate) visible_ms: u64,
    pub(crate) dequeue_count: u32,
    pub(crate) generation: u32,
    pub(crate) state: RowState,
    pub(crate) ttl_exempt: bool,
    pub(crate) body: Box<str>,
}

/// One account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AccountRow {
    pub(crate) secret_id: String,
    pub(crate) secret_key: String,
    pub(crate) app_id: String,
    /// The next topic message id (0 until the account first publishes).
    pub(crate) next_topic_msg_id: u64,
}

/// One queue, without its messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QueueRow {
    pub(crate) uid: u32,
    pub(crate) account: String,
    pub(crate) name: String,
    pub(crate) queue_id: String,
    pub(crate) create_seq: u64,
    pub(crate) create_ms: u64,
    pub(crate) modify_ms: u64,
    /// When the dead-letter rule in force took effect.
    pub(crate) rule_since_ms: u64,
    /// The next message sequence number (never reused, even after deletes).
    pub(crate) next_seq: u64,
    /// The latest enqueue time (enqueue times never go back within a queue).
    pub(crate) last_enqueue_ms: u64,
    pub(crate) config: QueueConfig,
}

/// A name deleted recently (the re-create block).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DeletedRow {
    pub(crate) account: String,
    pub(crate) kind: NameKind,
    /// The lower-cased name.
    pub(crate) key: String,
    pub(crate) at_ms: u64,
}

/// What a deleted name was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NameKind {
    Queue = 0,
    Topic = 1,
}

/// One topic, without its subscriptions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TopicRow {
    pub(crate) topic_id: String,
    pub(crate) account: String,
    pub(crate) name: String,
    pub(crate) filter_type: u8,
    pub(crate) create_ms: u64,
    pub(crate) modify_ms: u64,
    /// Listing order within the account.
    pub(crate) seq: u64,
    pub(crate) max_msg_size: u64,
}

/// One subscription. The enumerated values are their wire spelling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SubRow {
    pub(crate) sub_id: String,
    pub(crate) topic_id: String,
    pub(crate) name: String,
    pub(crate) protocol: String,
    pub(crate) endpoint: String,
    pub(crate) strategy: String,
    pub(crate) format: String,
    pub(crate) filter_tags: Vec<String>,
    pub(crate) binding_keys: Vec<String>,
    pub(crate) create_ms: u64,
    pub(crate) modify_ms: u64,
}

/// One message waiting in an `http` subscription's push backlog, with its retry state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PushRow {
    pub(crate) sub_id: Arc<str>,
    pub(crate) msg_id: String,
    pub(crate) body: String,
    pub(crate) tags: Vec<String>,
    pub(crate) publish_ms: u64,
    pub(crate) expires_ms: u64,
    /// Failed attempts so far.
    pub(crate) attempts: u32,
    /// When the next attempt is due after a failure (`None`: at once).
    pub(crate) next_attempt_ms: Option<u64>,
}

/// One change, as the engine made it. The writer applies them in order; a group of them
/// commits as one transaction.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Record {
    /// An account was added, or its key replaced.
    Account(Box<AccountRow>),
    /// An account was removed with everything it held.
    AccountRemoved { secret_id: String },
    /// An account was emptied (queues, topics, subscriptions, backlogs, deleted names).
    AccountReset { secret_id: String },
    /// A queue was created (no messages yet).
    QueueCreated(Box<QueueRow>),
    /// A queue's settings changed.
    QueueConfig(Box<QueueConfigChange>),
    /// A queue was deleted (its messages with it); its name is blocked from `at_ms`.
    QueueDeleted {
        uid: u32,
        account: String,
        key: String,
        at_ms: u64,
    },
    /// A message was stored.
    MsgPut(MsgRow),
    /// A message was received.
    MsgReceived {
        uid: u32,
        seq: u64,
        visible_ms: u64,
        first_dequeue_ms: u64,
        dequeue_count: u32,
        generation: u32,
    },
    /// A message was deleted for good.
    MsgDeleted { uid: u32, seq: u64 },
    /// A message was deleted and is kept for rewind.
    MsgRetained { uid: u32, seq: u64 },
    /// A message moved to a dead-letter queue (one atomic change).
    MsgMoved {
        from_uid: u32,
        from_seq: u64,
        row: MsgRow,
    },
    /// Retention: every message of the queue below `below_seq` is gone.
    Expired { uid: u32, below_seq: u64 },
    /// RewindQueue at `now_ms`: retained messages from `restore_from` on and the in-flight ones
    /// become active; a restored message whose dead-letter TTL (`ttl_ms`) passed is exempt.
    Rewound {
        uid: u32,
        restore_from: Option<u64>,
        now_ms: u64,
        ttl_ms: Option<u64>,
    },
    /// A topic was created or changed.
    TopicPut(Box<TopicRow>),
    /// A topic was deleted; its name is blocked from `at_ms`.
    TopicDeleted {
        account: String,
        key: String,
        topic_id: String,
        at_ms: u64,
    },
    /// A subscription was created or changed.
    SubPut(Box<SubRow>),
    /// A subscription was removed (its push backlog with it).
    SubDeleted { sub_id: String },
    /// The account's next topic message id is at least `next`.
    TopicMsgIds { account: String, next: u64 },
    /// A message joined a push backlog.
    PushPut(Box<PushRow>),
    /// A message left a push backlog (delivered, dropped or expired).
    PushDone { sub_id: Arc<str>, msg_id: String },
    /// A push attempt failed; the next one is due at `next_attempt_ms`.
    PushRetry {
        sub_id: Arc<str>,
        msg_id: String,
        attempts: u32,
        next_attempt_ms: u64,
    },
    /// The manual clock moved to this time (`None`: the mock runs on the system clock).
    ManualClock(Option<u64>),
    /// The API 3.0-only settings of queue or topic `id` (`kind`) are now `json` (the JSON of
    /// `protocol::v3::extras::Extras`). Written only while the resource exists in the store;
    /// its row goes with the resource's deletion.
    ExtrasPut {
        kind: NameKind,
        id: String,
        json: String,
    },
}

/// The API 3.0-only settings of one queue or topic, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExtrasRow {
    pub(crate) kind: NameKind,
    pub(crate) id: String,
    pub(crate) json: String,
}

/// A queue's new settings (SetQueueAttributes, a dead-letter binding or unbinding).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QueueConfigChange {
    pub(crate) uid: u32,
    pub(crate) config: QueueConfig,
    pub(crate) modify_ms: u64,
    pub(crate) rule_since_ms: u64,
    /// The dead-letter rule changed: every message's TTL exemption is cleared.
    pub(crate) rule_changed: bool,
    /// Rewind was turned off: the retained messages are dropped.
    pub(crate) drop_retained: bool,
}

/// A list of strings as stored (a JSON array).
pub(crate) fn list_to_text(list: &[String]) -> String {
    serde_json::to_string(list).unwrap_or_else(|_| "[]".to_owned())
}

/// A stored list, or why it is not one.
pub(crate) fn list_from_text(text: &str) -> Result<Vec<String>, String> {
    serde_json::from_str(text).map_err(|e| format!("not a JSON list of strings: {e}"))
}
