//! Plain data types going in and out of the engine's topics and subscriptions. Times are Unix
//! milliseconds; the enumerated values are the generated [`Protocol`], [`NotifyStrategy`] and
//! [`NotifyContentFormat`] (a protocol adapter parses the wire text into them).

use cmq_sdk::generated::constraints::create_topic::max_msg_size as topic_size;
use cmq_sdk::generated::types::{NotifyContentFormat, NotifyStrategy, Protocol};

/// The appId (`topicOwner`) of the engine's default account.
pub const DEFAULT_APP_ID: &str = "1250000000";
/// The uin every account reports as `createUin` of its topics.
pub const CREATE_UIN: u64 = 100_000_000_001;
/// The `qps` a topic reports (not enforced; the spec's `default_qps`).
pub const TOPIC_QPS: u64 = cmq_sdk::generated::facts::DEFAULT_QPS as u64;
/// The smallest topic maxMsgSize accepted (the spec's).
pub const MIN_TOPIC_MSG_SIZE: u64 = topic_size::MIN as u64;
/// The largest topic maxMsgSize accepted (the spec's).
pub const MAX_TOPIC_MSG_SIZE: u64 = topic_size::MAX as u64;
/// A topic's maxMsgSize when its creation leaves it out (the spec's default).
pub const DEFAULT_TOPIC_MSG_SIZE: u64 = topic_size::DEFAULT as u64;

/// Topic creation parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateTopic {
    /// The name.
    pub name: String,
    /// The largest body (the spec's range of CreateTopic's maxMsgSize; its default when left
    /// out).
    pub max_msg_size: Option<i64>,
    /// 1: tags, 2: routing keys (default 1).
    pub filter_type: Option<i64>,
}

/// One item of a topic listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicSummary {
    /// The topic's id.
    pub topic_id: String,
    /// The name as created.
    pub topic_name: String,
}

/// A topic's attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicAttributes {
    /// The topic's id.
    pub topic_id: String,
    /// The name as created.
    pub topic_name: String,
    /// Messages still waiting to be pushed to at least one `http` subscription.
    pub msg_count: u64,
    /// The largest body accepted.
    pub max_msg_size: u64,
    /// How long a message waits for delivery before it is dropped, in seconds.
    pub msg_retention_seconds: u64,
    /// When it was created (Unix ms).
    pub create_time_ms: u64,
    /// When its attributes last changed (Unix ms).
    pub last_modify_time_ms: u64,
    /// 1 (tags) or 2 (routing keys).
    pub filter_type: u8,
    /// The reported qps.
    pub qps: u64,
    /// The creator's uin.
    pub create_uin: u64,
}

/// Subscription parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscribe {
    /// The subscription's name.
    pub name: String,
    /// `http` or `queue`.
    pub protocol: Protocol,
    /// A URL (http) or a queue name (queue).
    pub endpoint: String,
    /// The retry strategy (default EXPONENTIAL_DECAY_RETRY).
    pub notify_strategy: Option<NotifyStrategy>,
    /// The push body format (default JSON for http, SIMPLIFIED for queue).
    pub notify_content_format: Option<NotifyContentFormat>,
    /// Filter tags.
    pub filter_tags: Vec<String>,
    /// Binding keys (required on routing-key topics).
    pub binding_keys: Vec<String>,
}

impl Subscribe {
    /// A subscription with every optional parameter left out.
    pub fn new(name: impl Into<String>, protocol: Protocol, endpoint: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            protocol,
            endpoint: endpoint.into(),
            notify_strategy: None,
            notify_content_format: None,
            filter_tags: Vec::new(),
            binding_keys: Vec::new(),
        }
    }
}

/// One item of a subscription listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionSummary {
    /// The subscription's id.
    pub subscription_id: String,
    /// The name as created.
    pub subscription_name: String,
    /// `http` or `queue`.
    pub protocol: Protocol,
    /// The endpoint.
    pub endpoint: String,
}

/// A subscription's attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionAttributes {
    /// The subscription's id.
    pub subscription_id: String,
    /// The name as created.
    pub subscription_name: String,
    /// The account's appId.
    pub topic_owner: String,
    /// This subscription's messages still waiting to be pushed (always 0 for `queue`).
    pub msg_count: u64,
    /// `http` or `queue`.
    pub protocol: Protocol,
    /// The endpoint.
    pub endpoint: String,
    /// The retry strategy.
    pub notify_strategy: NotifyStrategy,
    /// The push body format.
    pub notify_content_format: NotifyContentFormat,
    /// When it was created (Unix ms).
    pub create_time_ms: u64,
    /// When its attributes last changed (Unix ms).
    pub last_modify_time_ms: u64,
    /// Binding keys (empty when none).
    pub binding_keys: Vec<String>,
    /// Filter tags (empty when none).
    pub filter_tags: Vec<String>,
}

/// Subscription changes: `None` leaves a value as it is; a list replaces the old one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubscriptionUpdate {
    /// The retry strategy.
    pub notify_strategy: Option<NotifyStrategy>,
    /// The push body format.
    pub notify_content_format: Option<NotifyContentFormat>,
    /// Replaces every filter tag.
    pub filter_tags: Option<Vec<String>>,
    /// Replaces every binding key.
    pub binding_keys: Option<Vec<String>>,
}
