//! What handles take to create or change queues, topics and subscriptions, the same whichever
//! API serves the call; each converts into the API 2.0 input and the API 3.0 request (and the
//! API 2.0 inputs convert into it, so `create_with(CreateQueueInput::new()…)` keeps working).
//! The values are checked by the serving API's constraint table: where the generations differ
//! (a queue's `msg_retention_seconds`: 30–43200 s of unacknowledged time on TDMQ, 60–1296000 s
//! of retention on legacy CMQ), the service's own rule applies.

use crate::Open;
use crate::generated::ops::{
    CreateQueueInput, CreateTopicInput, SetQueueAttributesInput, SetSubscriptionAttributesInput,
    SetTopicAttributesInput,
};
use crate::generated::types::{DeadLetterPolicy, NotifyContentFormat, NotifyStrategy};
use crate::generated::v3::ops::{
    CreateCmqQueueRequest, CreateCmqTopicRequest, ModifyCmqQueueAttributeRequest,
    ModifyCmqSubscriptionAttributeRequest, ModifyCmqTopicAttributeRequest,
};

/// A queue's settings for [`Queue::create_with`](crate::Queue::create_with) and
/// [`Queue::set_attributes`](crate::Queue::set_attributes): only what is set is sent.
///
/// ```
/// use cmq_sdk::handles::QueueSettings;
/// let s = QueueSettings::new().visibility_timeout(60).polling_wait_seconds(10);
/// assert_eq!(s.visibility_timeout, Some(60));
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QueueSettings {
    /// The most messages the queue may hold.
    pub max_msg_heap_num: Option<i64>,
    /// The default long-poll wait of a receive, in seconds (0–30).
    pub polling_wait_seconds: Option<i64>,
    /// How long a received message stays invisible, in seconds (1–43200).
    pub visibility_timeout: Option<i64>,
    /// The largest message body, in bytes.
    pub max_msg_size: Option<i64>,
    /// TDMQ: the longest a message may stay unacknowledged (30–43200 s); legacy CMQ: how long
    /// a message is kept (60–1296000 s).
    pub msg_retention_seconds: Option<i64>,
    /// How far back the queue can be rewound, in seconds (0: off).
    pub rewind_seconds: Option<i64>,
    /// The dead-letter policy to bind.
    pub dead_letter_policy: Option<DeadLetterPolicy>,
}

macro_rules! setters {
    ($($field:ident: $doc:literal),* $(,)?) => {$(
        #[doc = $doc]
        #[must_use]
        pub fn $field(mut self, v: i64) -> Self {
            self.$field = Some(v);
            self
        }
    )*};
}

impl QueueSettings {
    /// No settings (the service's defaults).
    pub fn new() -> Self {
        Self::default()
    }

    setters!(
        max_msg_heap_num: "Sets the most messages the queue may hold.",
        polling_wait_seconds: "Sets the default long-poll wait, in seconds.",
        visibility_timeout: "Sets the visibility timeout, in seconds.",
        max_msg_size: "Sets the largest message body, in bytes.",
        msg_retention_seconds: "Sets `msgRetentionSeconds` / `MsgRetentionSeconds` (see the field).",
        rewind_seconds: "Sets the rewind window, in seconds.",
    );

    /// Sets the dead-letter policy.
    #[must_use]
    pub fn dead_letter_policy(mut self, p: DeadLetterPolicy) -> Self {
        self.dead_letter_policy = Some(p);
        self
    }

    /// The API 2.0 `CreateQueue` input for queue `name`.
    pub fn to_create_queue(&self, name: &str) -> CreateQueueInput {
        let mut i = CreateQueueInput::new().queue_name(name);
        i.max_msg_heap_num = self.max_msg_heap_num;
        i.polling_wait_seconds = self.polling_wait_seconds;
        i.visibility_timeout = self.visibility_timeout;
        i.max_msg_size = self.max_msg_size;
        i.msg_retention_seconds = self.msg_retention_seconds;
        i.rewind_seconds = self.rewind_seconds;
        i.dead_letter_policy = self.dead_letter_policy.clone();
        i
    }

    /// The API 2.0 `SetQueueAttributes` input for queue `name`.
    pub fn to_set_queue_attributes(&self, name: &str) -> SetQueueAttributesInput {
        let c = self.to_create_queue(name);
        let mut i = SetQueueAttributesInput::new().queue_name(name);
        i.max_msg_heap_num = c.max_msg_heap_num;
        i.polling_wait_seconds = c.polling_wait_seconds;
        i.visibility_timeout = c.visibility_timeout;
        i.max_msg_size = c.max_msg_size;
        i.msg_retention_seconds = c.msg_retention_seconds;
        i.rewind_seconds = c.rewind_seconds;
        i.dead_letter_policy = c.dead_letter_policy;
        i
    }

    /// The API 3.0 `CreateCmqQueue` request for queue `name` (the dead-letter policy as its flat
    /// fields).
    pub fn to_create_cmq_queue(&self, name: &str) -> CreateCmqQueueRequest {
        let mut r = CreateCmqQueueRequest::new().queue_name(name);
        r.max_msg_heap_num = self.max_msg_heap_num;
        r.polling_wait_seconds = self.polling_wait_seconds;
        r.visibility_timeout = self.visibility_timeout;
        r.max_msg_size = self.max_msg_size;
        r.msg_retention_seconds = self.msg_retention_seconds;
        r.rewind_seconds = self.rewind_seconds;
        if let Some(p) = &self.dead_letter_policy {
            r.dead_letter_queue_name = p.dead_letter_queue.clone();
            r.policy = p.policy;
            r.max_receive_count = p.max_receive_count;
            r.max_time_to_live = p.max_time_to_live;
        }
        r
    }

    /// The API 3.0 `ModifyCmqQueueAttribute` request for queue `name`.
    pub fn to_modify_cmq_queue(&self, name: &str) -> ModifyCmqQueueAttributeRequest {
        let c = self.to_create_cmq_queue(name);
        let mut r = ModifyCmqQueueAttributeRequest::new().queue_name(name);
        r.max_msg_heap_num = c.max_msg_heap_num;
        r.polling_wait_seconds = c.polling_wait_seconds;
        r.visibility_timeout = c.visibility_timeout;
        r.max_msg_size = c.max_msg_size;
        r.msg_retention_seconds = c.msg_retention_seconds;
        r.rewind_seconds = c.rewind_seconds;
        r.dead_letter_queue_name = c.dead_letter_queue_name;
        r.policy = c.policy;
        r.max_receive_count = c.max_receive_count;
        r.max_time_to_live = c.max_time_to_live;
        r
    }
}

impl From<CreateQueueInput> for QueueSettings {
    /// Takes the attributes (the queue name is the handle's).
    fn from(i: CreateQueueInput) -> Self {
        QueueSettings {
            max_msg_heap_num: i.max_msg_heap_num,
            polling_wait_seconds: i.polling_wait_seconds,
            visibility_timeout: i.visibility_timeout,
            max_msg_size: i.max_msg_size,
            msg_retention_seconds: i.msg_retention_seconds,
            rewind_seconds: i.rewind_seconds,
            dead_letter_policy: i.dead_letter_policy,
        }
    }
}

impl From<SetQueueAttributesInput> for QueueSettings {
    /// Takes the attributes (the queue name is the handle's).
    fn from(i: SetQueueAttributesInput) -> Self {
        QueueSettings {
            max_msg_heap_num: i.max_msg_heap_num,
            polling_wait_seconds: i.polling_wait_seconds,
            visibility_timeout: i.visibility_timeout,
            max_msg_size: i.max_msg_size,
            msg_retention_seconds: i.msg_retention_seconds,
            rewind_seconds: i.rewind_seconds,
            dead_letter_policy: i.dead_letter_policy,
        }
    }
}

/// A topic's settings for [`Topic::create_with`](crate::Topic::create_with) and
/// [`Topic::set_attributes`](crate::Topic::set_attributes).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TopicSettings {
    /// The largest message body, in bytes.
    pub max_msg_size: Option<i64>,
    /// 1: subscriptions filter by tags; 2: by binding keys (at creation only).
    pub filter_type: Option<i64>,
}

impl TopicSettings {
    /// No settings (the service's defaults).
    pub fn new() -> Self {
        Self::default()
    }

    setters!(
        max_msg_size: "Sets the largest message body, in bytes.",
        filter_type: "Sets the filter type (1: tags, 2: routing keys; at creation only).",
    );

    /// The API 2.0 `CreateTopic` input for topic `name`.
    pub fn to_create_topic(&self, name: &str) -> CreateTopicInput {
        let mut i = CreateTopicInput::new().topic_name(name);
        i.max_msg_size = self.max_msg_size;
        i.filter_type = self.filter_type;
        i
    }

    /// The API 2.0 `SetTopicAttributes` input for topic `name` (the filter type is fixed).
    pub fn to_set_topic_attributes(&self, name: &str) -> SetTopicAttributesInput {
        let mut i = SetTopicAttributesInput::new().topic_name(name);
        i.max_msg_size = self.max_msg_size;
        i
    }

    /// The API 3.0 `CreateCmqTopic` request for topic `name`.
    pub fn to_create_cmq_topic(&self, name: &str) -> CreateCmqTopicRequest {
        let mut r = CreateCmqTopicRequest::new().topic_name(name);
        r.max_msg_size = self.max_msg_size;
        r.filter_type = self.filter_type;
        r
    }

    /// The API 3.0 `ModifyCmqTopicAttribute` request for topic `name`.
    pub fn to_modify_cmq_topic(&self, name: &str) -> ModifyCmqTopicAttributeRequest {
        let mut r = ModifyCmqTopicAttributeRequest::new().topic_name(name);
        r.max_msg_size = self.max_msg_size;
        r
    }
}

impl From<CreateTopicInput> for TopicSettings {
    /// Takes the attributes (the topic name is the handle's).
    fn from(i: CreateTopicInput) -> Self {
        TopicSettings {
            max_msg_size: i.max_msg_size,
            filter_type: i.filter_type,
        }
    }
}

/// What [`Subscription::set_attributes`](crate::Subscription::set_attributes) changes: only
/// what is set; tags and keys replace the old ones.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SubscriptionUpdate {
    /// The retry strategy for failed pushes.
    pub notify_strategy: Option<Open<NotifyStrategy>>,
    /// The push body format.
    pub notify_content_format: Option<Open<NotifyContentFormat>>,
    /// The filter tags (topics with filter type 1).
    pub filter_tags: Option<Vec<String>>,
    /// The binding keys (topics with filter type 2).
    pub binding_keys: Option<Vec<String>>,
}

impl SubscriptionUpdate {
    /// No change.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the retry strategy.
    #[must_use]
    pub fn notify_strategy(mut self, s: NotifyStrategy) -> Self {
        self.notify_strategy = Some(s.into());
        self
    }

    /// Sets the push body format.
    #[must_use]
    pub fn notify_content_format(mut self, f: NotifyContentFormat) -> Self {
        self.notify_content_format = Some(f.into());
        self
    }

    /// Replaces the filter tags.
    #[must_use]
    pub fn filter_tags(mut self, tags: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.filter_tags = Some(super::strings(tags));
        self
    }

    /// Replaces the binding keys.
    #[must_use]
    pub fn binding_keys(mut self, keys: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.binding_keys = Some(super::strings(keys));
        self
    }

    /// The API 2.0 input for subscription `name` of topic `topic`.
    pub fn to_set_subscription_attributes(
        &self,
        topic: &str,
        name: &str,
    ) -> SetSubscriptionAttributesInput {
        let mut i = SetSubscriptionAttributesInput::new()
            .topic_name(topic)
            .subscription_name(name);
        i.notify_strategy = self.notify_strategy.clone();
        i.notify_content_format = self.notify_content_format.clone();
        i.filter_tag = self.filter_tags.clone();
        i.binding_key = self.binding_keys.clone();
        i
    }

    /// The API 3.0 request for subscription `name` of topic `topic`.
    pub fn to_modify_cmq_subscription(
        &self,
        topic: &str,
        name: &str,
    ) -> ModifyCmqSubscriptionAttributeRequest {
        let mut r = ModifyCmqSubscriptionAttributeRequest::new()
            .topic_name(topic)
            .subscription_name(name);
        r.notify_strategy = self.notify_strategy.clone();
        r.notify_content_format = self.notify_content_format.clone();
        r.filter_tags = self.filter_tags.clone();
        r.binding_key = self.binding_keys.clone();
        r
    }
}

impl From<SetSubscriptionAttributesInput> for SubscriptionUpdate {
    /// Takes the changes (the names are the handle's).
    fn from(i: SetSubscriptionAttributesInput) -> Self {
        SubscriptionUpdate {
            notify_strategy: i.notify_strategy,
            notify_content_format: i.notify_content_format,
            filter_tags: i.filter_tag,
            binding_keys: i.binding_key,
        }
    }
}
