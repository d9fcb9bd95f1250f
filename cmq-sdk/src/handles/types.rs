//! What handles return, the same whichever API served the call (see
//! [`ManagementApi`](super::ManagementApi)). Where the APIs differ, the handle reconciles:
//!
//! * **times** are Unix **seconds** (API 2.0 and the data plane send seconds; API 3.0 sends
//!   `CreateTime`/`LastModifyTime` in milliseconds, converted here);
//! * **absent values** are `None` or 0, never JSON `null`; empty filter-tag and binding-key lists
//!   are `None`;
//! * **`msg_retention_seconds`** of a queue is what the service reports: on TDMQ (API 3.0) the
//!   longest time a message may stay unacknowledged (30 to 43200 s), on legacy CMQ (API 2.0) the
//!   retention period (60 to 1296000 s) — the two generations give the attribute different
//!   meanings;
//! * the dead-letter policy is [`DeadLetterPolicy`] either way (API 3.0's flat fields and
//!   `CmqDeadLetterPolicy` map onto it; a count or time of 0 is `None`).

use crate::generated::ops::{
    GetQueueAttributesOutput, GetSubscriptionAttributesOutput, GetTopicAttributesOutput,
};
use crate::generated::types::{
    DeadLetterPolicy, QueueListItem, SubscriptionListItem, TopicListItem,
};
use crate::generated::v3::models::{
    CmqDeadLetterPolicy, CmqDeadLetterSource, CmqQueue, CmqSubscription, CmqTopic,
};

/// Unix milliseconds as Unix seconds.
pub(crate) fn ms_to_s(ms: i64) -> i64 {
    ms.div_euclid(1000)
}

fn non_empty(v: Option<Vec<String>>) -> Option<Vec<String>> {
    v.filter(|x| !x.is_empty())
}

/// A queue's attributes and counters ([`Queue::attributes`](crate::Queue::attributes)).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QueueAttributes {
    /// The queue's id, when the service reports it (API 3.0 always does).
    pub queue_id: Option<String>,
    /// The queue's name, when the service reports it (API 3.0 always does).
    pub queue_name: Option<String>,
    /// The most messages the queue may hold.
    pub max_msg_heap_num: i64,
    /// The default long-poll wait of a receive, in seconds.
    pub polling_wait_seconds: i64,
    /// How long a received message stays invisible, in seconds.
    pub visibility_timeout: i64,
    /// The largest message body, in bytes.
    pub max_msg_size: i64,
    /// On TDMQ (API 3.0): the longest a message may stay unacknowledged; on legacy CMQ (API
    /// 2.0): how long a message is kept. In seconds (see the module docs).
    pub msg_retention_seconds: i64,
    /// When the queue was created, Unix seconds.
    pub create_time: i64,
    /// When the attributes last changed, Unix seconds.
    pub last_modify_time: i64,
    /// About how many messages are visible.
    pub active_msg_num: i64,
    /// About how many messages are in flight (received, not deleted).
    pub inactive_msg_num: i64,
    /// How far back the queue can be rewound, in seconds (0: off).
    pub rewind_seconds: i64,
    /// Deleted messages kept for rewinding.
    pub rewind_msg_num: i64,
    /// The oldest unconsumed message's time, Unix seconds.
    pub min_msg_time: i64,
    /// How many messages are delayed.
    pub delay_msg_num: i64,
    /// The dead-letter policy, if one is bound.
    pub dead_letter_policy: Option<DeadLetterPolicy>,
}

impl From<GetQueueAttributesOutput> for QueueAttributes {
    fn from(o: GetQueueAttributesOutput) -> Self {
        QueueAttributes {
            queue_id: o.queue_id,
            queue_name: o.queue_name,
            max_msg_heap_num: o.max_msg_heap_num,
            polling_wait_seconds: o.polling_wait_seconds,
            visibility_timeout: o.visibility_timeout,
            max_msg_size: o.max_msg_size,
            msg_retention_seconds: o.msg_retention_seconds,
            create_time: o.create_time,
            last_modify_time: o.last_modify_time,
            active_msg_num: o.active_msg_num,
            inactive_msg_num: o.inactive_msg_num,
            rewind_seconds: o.rewind_seconds,
            rewind_msg_num: o.rewind_msg_num,
            min_msg_time: o.min_msg_time,
            delay_msg_num: o.delay_msg_num,
            dead_letter_policy: o.dead_letter_policy,
        }
    }
}

impl From<CmqQueue> for QueueAttributes {
    fn from(q: CmqQueue) -> Self {
        QueueAttributes {
            queue_id: Some(q.queue_id),
            queue_name: Some(q.queue_name),
            max_msg_heap_num: q.max_msg_heap_num,
            polling_wait_seconds: q.polling_wait_seconds,
            visibility_timeout: q.visibility_timeout,
            max_msg_size: q.max_msg_size,
            msg_retention_seconds: q.msg_retention_seconds,
            create_time: ms_to_s(q.create_time),
            last_modify_time: ms_to_s(q.last_modify_time),
            active_msg_num: q.active_msg_num,
            inactive_msg_num: q.inactive_msg_num,
            rewind_seconds: q.rewind_seconds,
            rewind_msg_num: q.rewind_msg_num.unwrap_or(0),
            min_msg_time: q.min_msg_time.unwrap_or(0),
            delay_msg_num: q.delay_msg_num.unwrap_or(0),
            dead_letter_policy: q.dead_letter_policy.map(DeadLetterPolicy::from),
        }
    }
}

impl From<CmqDeadLetterPolicy> for DeadLetterPolicy {
    /// API 3.0 reports 0 for the count or time a policy does not use; those become `None`.
    fn from(p: CmqDeadLetterPolicy) -> Self {
        DeadLetterPolicy {
            dead_letter_queue: Some(p.dead_letter_queue),
            policy: Some(p.policy),
            max_receive_count: (p.max_receive_count > 0).then_some(p.max_receive_count),
            max_time_to_live: (p.max_time_to_live > 0).then_some(p.max_time_to_live),
        }
    }
}

/// A topic's attributes ([`Topic::attributes`](crate::Topic::attributes)).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TopicAttributes {
    /// The topic's id, when the service reports it (API 3.0 always does).
    pub topic_id: Option<String>,
    /// How many messages the topic holds.
    pub msg_count: i64,
    /// The largest message body, in bytes.
    pub max_msg_size: i64,
    /// How long a message stays in the topic, in seconds.
    pub msg_retention_seconds: i64,
    /// When the topic was created, Unix seconds.
    pub create_time: i64,
    /// When the attributes last changed, Unix seconds.
    pub last_modify_time: i64,
    /// 1: subscriptions filter by tags; 2: by binding keys.
    pub filter_type: i64,
    /// The creator's account id, when reported.
    pub create_uin: Option<i64>,
    /// The publish rate limit, when reported.
    pub qps: Option<i64>,
}

impl From<GetTopicAttributesOutput> for TopicAttributes {
    fn from(o: GetTopicAttributesOutput) -> Self {
        TopicAttributes {
            topic_id: o.topic_id,
            msg_count: o.msg_count,
            max_msg_size: o.max_msg_size,
            msg_retention_seconds: o.msg_retention_seconds,
            create_time: o.create_time,
            last_modify_time: o.last_modify_time,
            filter_type: o.filter_type,
            create_uin: o.create_uin,
            qps: o.qps,
        }
    }
}

impl From<CmqTopic> for TopicAttributes {
    fn from(t: CmqTopic) -> Self {
        TopicAttributes {
            topic_id: Some(t.topic_id),
            msg_count: t.msg_count,
            max_msg_size: t.max_msg_size,
            msg_retention_seconds: t.msg_retention_seconds,
            create_time: ms_to_s(t.create_time),
            last_modify_time: ms_to_s(t.last_modify_time),
            filter_type: t.filter_type,
            create_uin: t.create_uin,
            qps: Some(t.qps),
        }
    }
}

/// A subscription's attributes ([`Subscription::attributes`](crate::Subscription::attributes)).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SubscriptionAttributes {
    /// The subscription owner's APPID (a number on API 3.0, text on API 2.0; here text).
    pub topic_owner: String,
    /// How many messages wait to be delivered.
    pub msg_count: i64,
    /// `http` or `queue`.
    pub protocol: String,
    /// The push URL (http) or the queue's name (queue).
    pub endpoint: String,
    /// `BACKOFF_RETRY` or `EXPONENTIAL_DECAY_RETRY`.
    pub notify_strategy: String,
    /// `JSON` or `SIMPLIFIED`.
    pub notify_content_format: String,
    /// When the subscription was created, Unix seconds.
    pub create_time: i64,
    /// When the attributes last changed, Unix seconds.
    pub last_modify_time: i64,
    /// The binding keys; `None` when there are none.
    pub binding_key: Option<Vec<String>>,
    /// The filter tags; `None` when there are none.
    pub filter_tags: Option<Vec<String>>,
}

impl From<GetSubscriptionAttributesOutput> for SubscriptionAttributes {
    fn from(o: GetSubscriptionAttributesOutput) -> Self {
        SubscriptionAttributes {
            topic_owner: o.topic_owner,
            msg_count: o.msg_count,
            protocol: o.protocol,
            endpoint: o.endpoint,
            notify_strategy: o.notify_strategy,
            notify_content_format: o.notify_content_format,
            create_time: o.create_time,
            last_modify_time: o.last_modify_time,
            binding_key: non_empty(o.binding_key),
            filter_tags: non_empty(o.filter_tags),
        }
    }
}

impl From<CmqSubscription> for SubscriptionAttributes {
    fn from(s: CmqSubscription) -> Self {
        SubscriptionAttributes {
            topic_owner: s.topic_owner.map(|o| o.to_string()).unwrap_or_default(),
            msg_count: s.msg_count,
            protocol: s.protocol,
            endpoint: s.endpoint,
            notify_strategy: s.notify_strategy,
            notify_content_format: s.notify_content_format,
            create_time: ms_to_s(s.create_time),
            last_modify_time: ms_to_s(s.last_modify_time),
            binding_key: non_empty(s.binding_key),
            filter_tags: non_empty(Some(s.filter_tags)),
        }
    }
}

/// A queue in a list ([`Client::list_queues`](crate::Client::list_queues)).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct QueueSummary {
    /// The queue's id (may be empty for a dead-letter source API 3.0 reports without one).
    pub queue_id: String,
    /// The queue's name.
    pub queue_name: String,
}

impl From<QueueListItem> for QueueSummary {
    fn from(q: QueueListItem) -> Self {
        QueueSummary {
            queue_id: q.queue_id,
            queue_name: q.queue_name,
        }
    }
}

impl From<CmqQueue> for QueueSummary {
    fn from(q: CmqQueue) -> Self {
        QueueSummary {
            queue_id: q.queue_id,
            queue_name: q.queue_name,
        }
    }
}

impl From<CmqDeadLetterSource> for QueueSummary {
    fn from(q: CmqDeadLetterSource) -> Self {
        QueueSummary {
            queue_id: q.queue_id.unwrap_or_default(),
            queue_name: q.queue_name,
        }
    }
}

/// A topic in a list ([`Client::list_topics`](crate::Client::list_topics)).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct TopicSummary {
    /// The topic's id.
    pub topic_id: String,
    /// The topic's name.
    pub topic_name: String,
}

impl From<TopicListItem> for TopicSummary {
    fn from(t: TopicListItem) -> Self {
        TopicSummary {
            topic_id: t.topic_id,
            topic_name: t.topic_name,
        }
    }
}

impl From<CmqTopic> for TopicSummary {
    fn from(t: CmqTopic) -> Self {
        TopicSummary {
            topic_id: t.topic_id,
            topic_name: t.topic_name,
        }
    }
}

/// A subscription in a list ([`Topic::subscriptions`](crate::Topic::subscriptions)).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct SubscriptionSummary {
    /// The subscription's id.
    pub subscription_id: String,
    /// The subscription's name.
    pub subscription_name: String,
    /// `http` or `queue`.
    pub protocol: String,
    /// The push URL (http) or the queue's name (queue).
    pub endpoint: String,
}

impl From<SubscriptionListItem> for SubscriptionSummary {
    fn from(s: SubscriptionListItem) -> Self {
        SubscriptionSummary {
            subscription_id: s.subscription_id,
            subscription_name: s.subscription_name,
            protocol: s.protocol,
            endpoint: s.endpoint,
        }
    }
}

impl From<CmqSubscription> for SubscriptionSummary {
    fn from(s: CmqSubscription) -> Self {
        SubscriptionSummary {
            subscription_id: s.subscription_id,
            subscription_name: s.subscription_name,
            protocol: s.protocol,
            endpoint: s.endpoint,
        }
    }
}
