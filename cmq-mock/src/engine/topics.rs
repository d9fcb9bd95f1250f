//! Topics and subscriptions of one account: the state behind CreateTopic … ClearSubscriptionFilterTags,
//! PublishMessage and BatchPublishMessage (ref §6.3–6.5, §7, §9).
//!
//! A [`TopicStore`] holds an account's topics in a `RwLock<HashMap<lower-cased name, Arc<Topic>>>`;
//! each topic has its own lock, and each subscription its own, so publishing to one topic never
//! waits for another. Publishing fans a message out to every matching subscription
//! ([`super::routing`]): a `queue` subscription gets it at once through the account's
//! [`QueueSink`] (the path SendMessage uses), an `http` subscription through its push channel
//! ([`super::push`]). Every fan-out and push attempt lands in the engine's
//! [`super::deliveries::DeliveryLog`].
//!
//! The store does not depend on the queue half of the engine: the account implements
//! [`QueueSink`] for it.
//!
//! Choices where the reference is silent (each also noted where it is made):
//! * Topic **and subscription** names are unique case-insensitively, and every lookup by name is
//!   case-insensitive; responses carry the name as created.
//! * A `queue` subscription whose queue does not exist is refused with **IllegalEndpoint**
//!   (4000/10630); a queue deleted later makes each fan-out fail, logged as `EnqueueFailed`.
//! * Parameter checks run before state checks: name formats, endpoint, content format, tag and
//!   key counts and lengths, then the topic's existence, then BindingKeyMissing / RoutingKeyMissing,
//!   then message sizes, then uniqueness and quotas (Subscribe) or TopicHasNoSubscription /
//!   NoSubscriptionMatched (publish).
//! * `protocol`, `notifyStrategy` and `notifyContentFormat` parse with their exact spelling
//!   (`http`, `queue`, `BACKOFF_RETRY`, `JSON`, …), like the spec's enums. `https://` endpoints
//!   are accepted for protocol `http` (spec decision), and the scheme may be in any case.
//! * Filter tags given to a filterType 2 topic's subscription (and binding keys on a filterType 1
//!   topic) are stored and reported but play no part in matching.
//! * The publish-side limits are checked here too: at most 5 msgTag (TooManyMsgTags 4000/10720),
//!   each ≤ 16 characters; a routingKey ≤ 64 bytes, ≤ 15 dots (TooManyDelimiters 4000/10691), no
//!   wildcards; subscribe-side: ≤ 5 filterTag (FilterTagNumberExceeded 4000/10490), ≤ 5 bindingKey
//!   (TooManyBindingKeys 4000/10680). Lengths and wildcards answer ValueOutOfRange (4000/10350).
//! * A batch publish with 0 or more than 16 bodies answers BatchSizeOutOfRange (4000/10370); an
//!   empty body answers MessageBodyEmpty (4000/10120); the batch total counts msgBody bytes only.
//! * `msgCount` of GetTopicAttributes counts messages that at least one `http` subscription still
//!   has to push; `msgCount` of GetSubscriptionAttributes counts that subscription's queued
//!   messages (always 0 for `queue` subscriptions, which receive synchronously).
//! * A topic whose name was deleted less than `recreate_cooldown` (10 s) ago cannot be created
//!   again (TopicReleasing 6040/10660); a zero cooldown relaxes the rule.
//! * `topicId` is `topic-` + 10 random lower-case letters/digits, `subscriptionId` is
//!   `subscription-` + 10 of them; msgIds are decimal strings from a per-store counter that
//!   starts at a random 13-digit number.
//! * SetTopicAttributes / SetSubscriptionAttributes / ClearSubscriptionFilterTags update
//!   `lastModifyTime` even when no value changes.
//! * SetSubscriptionAttributes with `bindingKey` given as an empty list on a filterType 2 topic
//!   answers BindingKeyMissing; on a filterType 1 topic it clears the binding keys.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Duration;

use super::deliveries::{DeliveryLog, DeliveryOutcome, DeliveryRecord};
use super::push::{PushChannel, PushMessage, PushSettings, Pusher};
use super::routing::{self, FilterType, KeyProblem, MAX_TAGS};
use crate::clock::Clock;

// ---------------------------------------------------------------------------------------------
// The queue side, as seen from topics.

/// What the topic store needs from the account's queues. The account implements it; tests use
/// a fake.
pub trait QueueSink: Send + Sync {
    /// Puts `body` into queue `queue_name` exactly as SendMessage would; returns the new msgId.
    fn enqueue(&self, queue_name: &str, body: &str) -> Result<String, SinkError>;
    /// Whether queue `queue_name` exists in this account (case-insensitively, like queue names).
    fn queue_exists(&self, queue_name: &str) -> bool;
}

/// A queue's refusal of a fanned-out message (logged, never returned to the publisher).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("({code}) {message}")]
pub struct SinkError {
    /// The CMQ top-level code the queue answered with (e.g. 4440 queue not found, 4410 full).
    pub code: u32,
    /// The error text.
    pub message: String,
}

impl SinkError {
    /// A sink error with `code` and `message`.
    pub fn new(code: u32, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Enumerated parameters.

/// A subscription's `protocol`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// `http`: push to an `http://` or `https://` endpoint.
    Http,
    /// `queue`: put into a queue of the same account.
    Queue,
}

impl Protocol {
    /// The canonical wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Http => "http",
            Protocol::Queue => "queue",
        }
    }

    /// Parses `http` / `queue` (exact spelling, as the spec's enum); anything else is UndefinedProtocol (4000/10510).
    pub fn parse(s: &str) -> Result<Self, TopicError> {
        if s == "http" {
            Ok(Protocol::Http)
        } else if s == "queue" {
            Ok(Protocol::Queue)
        } else {
            Err(TopicError::new(TopicErrorKind::UndefinedProtocol))
        }
    }
}

/// A subscription's `notifyStrategy` (retry policy for `http` pushes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum NotifyStrategy {
    /// `BACKOFF_RETRY`: 3 retries after random 10–20 s waits.
    BackoffRetry,
    /// `EXPONENTIAL_DECAY_RETRY` (the default): 176 retries after 1, 2, 4, …, 512, 512, … s.
    #[default]
    ExponentialDecayRetry,
}

impl NotifyStrategy {
    /// The canonical wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            NotifyStrategy::BackoffRetry => "BACKOFF_RETRY",
            NotifyStrategy::ExponentialDecayRetry => "EXPONENTIAL_DECAY_RETRY",
        }
    }

    /// Parses the wire value (exact spelling); anything else is UndefinedNotifyStrategy (4000/10520).
    pub fn parse(s: &str) -> Result<Self, TopicError> {
        if s == "BACKOFF_RETRY" {
            Ok(NotifyStrategy::BackoffRetry)
        } else if s == "EXPONENTIAL_DECAY_RETRY" {
            Ok(NotifyStrategy::ExponentialDecayRetry)
        } else {
            Err(TopicError::new(TopicErrorKind::UndefinedNotifyStrategy))
        }
    }
}

/// A subscription's `notifyContentFormat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotifyContentFormat {
    /// `JSON`: the push body is a JSON document with the message and its metadata.
    Json,
    /// `SIMPLIFIED`: the push body is the raw message body.
    Simplified,
}

impl NotifyContentFormat {
    /// The canonical wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            NotifyContentFormat::Json => "JSON",
            NotifyContentFormat::Simplified => "SIMPLIFIED",
        }
    }

    /// Parses the wire value (exact spelling); anything else is UndefinedNotifyContentFormat (4000/10530).
    pub fn parse(s: &str) -> Result<Self, TopicError> {
        if s == "JSON" {
            Ok(NotifyContentFormat::Json)
        } else if s == "SIMPLIFIED" {
            Ok(NotifyContentFormat::Simplified)
        } else {
            Err(TopicError::new(
                TopicErrorKind::UndefinedNotifyContentFormat,
            ))
        }
    }

    /// The default for a protocol: JSON for `http`, SIMPLIFIED for `queue`.
    pub fn default_for(protocol: Protocol) -> Self {
        match protocol {
            Protocol::Http => NotifyContentFormat::Json,
            Protocol::Queue => NotifyContentFormat::Simplified,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Errors.

macro_rules! error_kinds {
    ($( $(#[$doc:meta])* $name:ident; )*) => {
        /// The errors of the topic store, named like the spec's error ids (`spec/errors.json`);
        /// code, module code and text come from the generated table.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum TopicErrorKind {
            $( $(#[$doc])* $name, )*
        }

        impl TopicErrorKind {
            /// Every kind.
            pub const ALL: &'static [TopicErrorKind] = &[$(TopicErrorKind::$name),*];

            /// The spec's error.
            pub const fn error_id(self) -> cmq_sdk::generated::errors::ErrorId {
                match self { $(TopicErrorKind::$name => cmq_sdk::generated::errors::ErrorId::$name,)* }
            }

            /// The top-level `code` of the response envelope.
            pub fn code(self) -> u32 {
                u32::try_from(self.error_id().code()).unwrap_or(u32::MAX)
            }

            /// The module error code (the number in parentheses in `message`).
            pub fn module_code(self) -> u32 {
                u32::try_from(self.error_id().module()).unwrap_or(u32::MAX)
            }

            /// The spec error id, e.g. `"TopicNotExist"`.
            pub fn id(self) -> &'static str {
                self.error_id().id()
            }

            /// The documented English text (`%s` stands for a parameter name).
            pub fn text(self) -> &'static str {
                self.error_id().message()
            }
        }
    };
}

error_kinds! {
    /// 4440/10600: the topic does not exist (or was deleted).
    TopicNotExist;
    /// 4460/10550: a topic of that name (case-insensitively) exists.
    TopicAlreadyExists;
    /// 4450/10610: the account has as many topics as its quota allows.
    TopicQuotaExceeded;
    /// 6040/10660: the name was deleted less than 10 s ago.
    TopicReleasing;
    /// 4000/10590: a topic name breaks the name rule.
    TopicNameFormat;
    /// 4000/10580: a subscription name breaks the name rule.
    SubscriptionNameFormat;
    /// 4490/10470: the topic already has a subscription of that name.
    SubscriptionAlreadyExists;
    /// 4000/10560: no such subscription on the topic.
    SubscriptionNotExist;
    /// 4500/10480: the topic has as many subscriptions as its quota allows.
    SubscriptionQuotaExceeded;
    /// 4000/10540: DeleteTopic while subscriptions exist.
    TopicHasSubscriptions;
    /// 6030/10650: publishing to a topic without subscriptions.
    TopicHasNoSubscription;
    /// 6030/10730: publishing a message no subscription matches.
    NoSubscriptionMatched;
    /// 4000/10700: publishing to a filterType 2 topic without routingKey.
    RoutingKeyMissing;
    /// 4000/10710: subscribing to a filterType 2 topic without bindingKey.
    BindingKeyMissing;
    /// 4000/10500: the endpoint does not fit the protocol (not http(s)://, bad URL, > 500 chars,
    /// bad queue name).
    EndpointFormatError;
    /// 4000/10630: the endpoint names no existing queue (protocol `queue`).
    IllegalEndpoint;
    /// 4510/10570: the URL contains whitespace.
    UrlContainsBlank;
    /// 4000/10510: protocol is neither `http` nor `queue`.
    UndefinedProtocol;
    /// 4000/10520: unknown notifyStrategy.
    UndefinedNotifyStrategy;
    /// 4000/10530: unknown notifyContentFormat.
    UndefinedNotifyContentFormat;
    /// 4000/10640: protocol `queue` with notifyContentFormat JSON.
    QueueProtocolRequiresSimplified;
    /// 4000/10490: more than 5 filterTag (the spec's choice among 10490/10670/10740).
    FilterTagNumberExceeded;
    /// 4000/10680: more than 5 bindingKey.
    TooManyBindingKeys;
    /// 4000/10720: more than 5 msgTag.
    TooManyMsgTags;
    /// 4000/10691: a routingKey or bindingKey with more than 15 dots.
    TooManyDelimiters;
    /// 4400/10230: a message body larger than the topic's maxMsgSize.
    MessageTooLarge;
    /// 4470/10300: a batch whose bodies total more than 65 536 bytes.
    BatchTotalSizeTooLarge;
    /// 4000/10370: a batch of 0 or more than 16 bodies.
    BatchSizeOutOfRange;
    /// 4000/10120: an empty message body.
    MessageBodyEmpty;
    /// 4000/10350: a value or length out of range (maxMsgSize, filterType, tag or key length, …).
    ValueOutOfRange;
    /// 6000/10050: an internal error.
    InternalError;
}

/// An error of the topic store: a kind plus the message text (`%s` filled in).
/// `Display` renders the CMQ message form `(moduleCode)text`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("({}){}", .kind.module_code(), .message)]
pub struct TopicError {
    /// What went wrong.
    pub kind: TopicErrorKind,
    /// The English text, without the module code.
    pub message: String,
}

impl TopicError {
    /// An error with the kind's documented text.
    pub fn new(kind: TopicErrorKind) -> Self {
        Self {
            kind,
            message: kind.text().to_string(),
        }
    }

    /// An error whose text names parameter `param` (for the `%s` texts).
    pub fn param(kind: TopicErrorKind, param: &str) -> Self {
        Self {
            kind,
            message: kind.text().replace("%s", param),
        }
    }

    /// The top-level code.
    pub fn code(&self) -> u32 {
        self.kind.code()
    }

    /// The module code.
    pub fn module_code(&self) -> u32 {
        self.kind.module_code()
    }
}

fn e(kind: TopicErrorKind) -> TopicError {
    TopicError::new(kind)
}

// ---------------------------------------------------------------------------------------------
// Configuration and plain in/out types.

/// Per-account settings of a [`TopicStore`]. [`Default`] is the TDMQ-generation service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicStoreConfig {
    /// The account's appId: `topicOwner` of GetSubscriptionAttributes and `TopicOwner` of pushes.
    pub owner: String,
    /// The account's uin: `createUin` of GetTopicAttributes.
    pub create_uin: u64,
    /// Most topics per account (10 000).
    pub topic_quota: usize,
    /// Most subscriptions per topic (1 000).
    pub subscription_quota: usize,
    /// How long a deleted topic's name stays blocked (10 s; zero = relaxed, no block).
    pub recreate_cooldown: Duration,
    /// `qps` reported by GetTopicAttributes (5 000; not enforced here).
    pub qps: u64,
    /// The smallest maxMsgSize accepted (1 024).
    pub min_msg_size: u64,
    /// The largest maxMsgSize accepted (1 048 576, spec decision).
    pub max_msg_size: u64,
    /// maxMsgSize when CreateTopic leaves it out (65 536).
    pub default_msg_size: u64,
    /// Most bodies per BatchPublishMessage (16).
    pub batch_max_messages: usize,
    /// Most msgBody bytes per BatchPublishMessage (65 536).
    pub batch_max_bytes: usize,
}

impl Default for TopicStoreConfig {
    fn default() -> Self {
        Self {
            owner: "1250000000".to_string(),
            create_uin: 100_000_000_001,
            topic_quota: 10_000,
            subscription_quota: 1_000,
            recreate_cooldown: Duration::from_secs(10),
            qps: 5_000,
            min_msg_size: 1_024,
            max_msg_size: 1_048_576,
            default_msg_size: 65_536,
            batch_max_messages: 16,
            batch_max_bytes: 65_536,
        }
    }
}

/// CreateTopic parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateTopic {
    /// `topicName`.
    pub name: String,
    /// `maxMsgSize` (1024..=1048576, default 65536).
    pub max_msg_size: Option<i64>,
    /// `filterType` (1 or 2, default 1).
    pub filter_type: Option<i64>,
}

/// One item of ListTopic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicSummary {
    /// `topicId`.
    pub topic_id: String,
    /// `topicName`.
    pub topic_name: String,
}

/// A page of a list: `totalCount` (all matches) and the items in `[offset, offset + limit)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// `totalCount`: how many items match the search word, before offset/limit.
    pub total_count: usize,
    /// The page.
    pub items: Vec<T>,
}

/// GetTopicAttributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicAttributes {
    /// `topicId`.
    pub topic_id: String,
    /// The name as created.
    pub topic_name: String,
    /// `msgCount`: messages still waiting to be pushed to at least one `http` subscription.
    pub msg_count: u64,
    /// `maxMsgSize`.
    pub max_msg_size: u64,
    /// `msgRetentionSeconds` (86 400).
    pub msg_retention_seconds: u64,
    /// `createTime` (Unix s).
    pub create_time: u64,
    /// `lastModifyTime` (Unix s).
    pub last_modify_time: u64,
    /// `filterType` (1 or 2).
    pub filter_type: u8,
    /// `qps`.
    pub qps: u64,
    /// `createUin`.
    pub create_uin: u64,
}

/// Subscribe parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscribe {
    /// `subscriptionName`.
    pub name: String,
    /// `protocol`.
    pub protocol: Protocol,
    /// `endpoint`: a URL (http) or a queue name (queue).
    pub endpoint: String,
    /// `notifyStrategy` (default EXPONENTIAL_DECAY_RETRY).
    pub notify_strategy: Option<NotifyStrategy>,
    /// `notifyContentFormat` (default JSON for http, SIMPLIFIED for queue).
    pub notify_content_format: Option<NotifyContentFormat>,
    /// `filterTag.n` (≤ 5).
    pub filter_tags: Vec<String>,
    /// `bindingKey.n` (≤ 5; required on filterType 2 topics).
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

/// One item of ListSubscriptionByTopic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionSummary {
    /// `subscriptionId`.
    pub subscription_id: String,
    /// `subscriptionName`.
    pub subscription_name: String,
    /// `protocol`.
    pub protocol: Protocol,
    /// `endpoint`.
    pub endpoint: String,
}

/// GetSubscriptionAttributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionAttributes {
    /// `subscriptionId` (not in the documented response; here for convenience).
    pub subscription_id: String,
    /// The name as created.
    pub subscription_name: String,
    /// `topicOwner` (the appId, a string).
    pub topic_owner: String,
    /// `msgCount`: this subscription's messages still waiting to be pushed.
    pub msg_count: u64,
    /// `protocol`.
    pub protocol: Protocol,
    /// `endpoint`.
    pub endpoint: String,
    /// `notifyStrategy`.
    pub notify_strategy: NotifyStrategy,
    /// `notifyContentFormat`.
    pub notify_content_format: NotifyContentFormat,
    /// `createTime` (Unix s).
    pub create_time: u64,
    /// `lastModifyTime` (Unix s).
    pub last_modify_time: u64,
    /// `bindingKey` (empty when none; the wire layer decides between `[]` and `null`).
    pub binding_keys: Vec<String>,
    /// `filterTags` (empty when none).
    pub filter_tags: Vec<String>,
}

/// SetSubscriptionAttributes parameters: `None` leaves a value as it is; a list replaces.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubscriptionUpdate {
    /// `notifyStrategy`.
    pub notify_strategy: Option<NotifyStrategy>,
    /// `notifyContentFormat`.
    pub notify_content_format: Option<NotifyContentFormat>,
    /// `filterTag.n`: replaces every filter tag.
    pub filter_tags: Option<Vec<String>>,
    /// `bindingKey.n`: replaces every binding key.
    pub binding_keys: Option<Vec<String>>,
}

// ---------------------------------------------------------------------------------------------
// State.

struct Subscription {
    id: String,
    name: String,
    protocol: Protocol,
    endpoint: String,
    create_time: u64,
    state: Mutex<SubState>,
    /// The push channel (protocol `http` only).
    push: Option<Arc<PushChannel>>,
}

struct SubState {
    strategy: NotifyStrategy,
    format: NotifyContentFormat,
    filter_tags: Vec<String>,
    binding_keys: Vec<String>,
    last_modify_time: u64,
}

impl Subscription {
    fn lock(&self) -> MutexGuard<'_, SubState> {
        // Updates are plain assignments; a poisoned lock is still consistent.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

struct Topic {
    id: String,
    name: String,
    filter_type: FilterType,
    create_time: u64,
    seq: u64,
    /// Messages still waiting for at least one http subscription (`msgCount`).
    backlog: Arc<AtomicU64>,
    state: Mutex<TopicState>,
}

struct TopicState {
    max_msg_size: u64,
    last_modify_time: u64,
    deleted: bool,
    /// In creation order.
    subs: Vec<Arc<Subscription>>,
}

impl Topic {
    fn lock(&self) -> MutexGuard<'_, TopicState> {
        // Every critical section leaves the state consistent; a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl TopicState {
    fn find(&self, name: &str) -> Option<&Arc<Subscription>> {
        self.subs.iter().find(|s| s.name.eq_ignore_ascii_case(name))
    }
}

/// The topics and subscriptions of one account. See the module docs.
pub struct TopicStore {
    config: TopicStoreConfig,
    sink: Arc<dyn QueueSink>,
    pusher: Arc<Pusher>,
    topics: RwLock<HashMap<String, Arc<Topic>>>,
    /// Lower-cased name → when it was deleted (Unix ms), for the re-create cooldown.
    deleted: Mutex<HashMap<String, u64>>,
    next_seq: AtomicU64,
    next_msg_id: AtomicU64,
}

impl std::fmt::Debug for TopicStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TopicStore")
            .field("owner", &self.config.owner)
            .field("topics", &self.read().len())
            .finish_non_exhaustive()
    }
}

impl Drop for TopicStore {
    fn drop(&mut self) {
        self.reset();
    }
}

/// The name rule (spec decision): a letter, then letters, digits, `-` or `_`; ≤ 64 characters.
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= 64
        && chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The longest `http` endpoint accepted (characters).
pub const MAX_ENDPOINT_CHARS: usize = 500;

/// Checks an `http` endpoint: no whitespace (UrlContainsBlank 4510/10570), else `http://` or
/// `https://` (any case), a URL with a host, ≤ 500 characters (EndpointFormatError 4000/10500).
pub fn check_http_endpoint(endpoint: &str) -> Result<(), TopicError> {
    if endpoint.chars().any(char::is_whitespace) {
        return Err(e(TopicErrorKind::UrlContainsBlank));
    }
    let lower = endpoint.get(..8).unwrap_or(endpoint).to_ascii_lowercase();
    let scheme_ok = lower.starts_with("http://") || lower.starts_with("https://");
    let url_ok =
        reqwest::Url::parse(endpoint).is_ok_and(|u| u.host_str().is_some_and(|h| !h.is_empty()));
    if !scheme_ok || !url_ok || endpoint.chars().count() > MAX_ENDPOINT_CHARS {
        return Err(e(TopicErrorKind::EndpointFormatError));
    }
    Ok(())
}

fn random_id(prefix: &str) -> String {
    const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut s = String::with_capacity(prefix.len() + 10);
    s.push_str(prefix);
    for _ in 0..10 {
        s.push(char::from(ALNUM[fastrand::usize(..ALNUM.len())]));
    }
    s
}

fn check_tags(tags: &[String], too_many: TopicErrorKind, param: &str) -> Result<(), TopicError> {
    if tags.len() > MAX_TAGS {
        return Err(e(too_many));
    }
    if tags.iter().any(|t| routing::check_tag(t).is_err()) {
        return Err(TopicError::param(TopicErrorKind::ValueOutOfRange, param));
    }
    Ok(())
}

fn key_error(problem: KeyProblem, param: &str) -> TopicError {
    match problem {
        KeyProblem::TooManyDots => e(TopicErrorKind::TooManyDelimiters),
        KeyProblem::TooLong | KeyProblem::Wildcard => {
            TopicError::param(TopicErrorKind::ValueOutOfRange, param)
        }
    }
}

fn check_binding_keys(keys: &[String]) -> Result<(), TopicError> {
    if keys.len() > MAX_TAGS {
        return Err(e(TopicErrorKind::TooManyBindingKeys));
    }
    for k in keys {
        routing::check_binding_key(k).map_err(|p| key_error(p, "bindingKey"))?;
    }
    Ok(())
}

fn page<T, U>(
    items: impl Iterator<Item = T>,
    offset: usize,
    limit: usize,
    f: impl Fn(T) -> U,
) -> Page<U> {
    let all: Vec<T> = items.collect();
    let total_count = all.len();
    let items = all.into_iter().skip(offset).take(limit).map(f).collect();
    Page { total_count, items }
}

fn matches_search(name: &str, search_word: Option<&str>) -> bool {
    search_word
        .filter(|w| !w.is_empty())
        .is_none_or(|w| name.to_lowercase().contains(&w.to_lowercase()))
}

impl TopicStore {
    /// A store for one account. `sink` reaches the account's queues; `pusher` (shared by the
    /// engine) supplies the clock, the delivery log and the HTTP client.
    pub fn new(config: TopicStoreConfig, sink: Arc<dyn QueueSink>, pusher: Arc<Pusher>) -> Self {
        let start = 1_000_000_000_000 + fastrand::u64(..8_000_000_000_000);
        Self {
            config,
            sink,
            pusher,
            topics: RwLock::new(HashMap::new()),
            deleted: Mutex::new(HashMap::new()),
            next_seq: AtomicU64::new(0),
            next_msg_id: AtomicU64::new(start),
        }
    }

    /// The settings.
    pub fn config(&self) -> &TopicStoreConfig {
        &self.config
    }

    /// The engine clock.
    pub fn clock(&self) -> &Clock {
        self.pusher.clock()
    }

    /// The delivery log.
    pub fn log(&self) -> &Arc<DeliveryLog> {
        self.pusher.log()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, Arc<Topic>>> {
        // Map operations are single inserts/removes; a poisoned lock is still consistent.
        self.topics.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, Arc<Topic>>> {
        self.topics.write().unwrap_or_else(|e| e.into_inner())
    }

    fn topic(&self, name: &str) -> Result<Arc<Topic>, TopicError> {
        self.read()
            .get(&name.to_lowercase())
            .cloned()
            .ok_or_else(|| e(TopicErrorKind::TopicNotExist))
    }

    fn subscription(
        &self,
        topic: &str,
        name: &str,
    ) -> Result<(Arc<Topic>, Arc<Subscription>), TopicError> {
        let t = self.topic(topic)?;
        let s = {
            let st = t.lock();
            if st.deleted {
                return Err(e(TopicErrorKind::TopicNotExist));
            }
            st.find(name)
                .cloned()
                .ok_or_else(|| e(TopicErrorKind::SubscriptionNotExist))?
        };
        Ok((t, s))
    }

    fn message_lifetime_ms(&self) -> u64 {
        u64::try_from(self.pusher.config().message_lifetime.as_millis()).unwrap_or(u64::MAX)
    }

    // --- topics ------------------------------------------------------------------------------

    /// CreateTopic → `topicId`.
    ///
    /// Errors: TopicNameFormat 4000/10590, ValueOutOfRange 4000/10350 (maxMsgSize outside
    /// 1024..=1048576, filterType not 1/2), TopicAlreadyExists 4460/10550 (case-insensitive),
    /// TopicReleasing 6040/10660, TopicQuotaExceeded 4450/10610.
    pub fn create_topic(&self, req: &CreateTopic) -> Result<String, TopicError> {
        if !valid_name(&req.name) {
            return Err(e(TopicErrorKind::TopicNameFormat));
        }
        let max_msg_size = match req.max_msg_size {
            None => self.config.default_msg_size,
            Some(v) => u64::try_from(v)
                .ok()
                .filter(|v| (self.config.min_msg_size..=self.config.max_msg_size).contains(v))
                .ok_or_else(|| TopicError::param(TopicErrorKind::ValueOutOfRange, "maxMsgSize"))?,
        };
        let filter_type = match req.filter_type {
            None => FilterType::Tags,
            Some(v) => FilterType::from_int(v)
                .ok_or_else(|| TopicError::param(TopicErrorKind::ValueOutOfRange, "filterType"))?,
        };
        let key = req.name.to_lowercase();
        let now_ms = self.clock().now_ms();
        let mut topics = self.write();
        if topics.contains_key(&key) {
            return Err(e(TopicErrorKind::TopicAlreadyExists));
        }
        {
            let mut deleted = self.deleted.lock().unwrap_or_else(|e| e.into_inner());
            let cooldown =
                u64::try_from(self.config.recreate_cooldown.as_millis()).unwrap_or(u64::MAX);
            deleted.retain(|_, at| now_ms < at.saturating_add(cooldown));
            if deleted.contains_key(&key) {
                return Err(e(TopicErrorKind::TopicReleasing));
            }
        }
        if topics.len() >= self.config.topic_quota {
            return Err(e(TopicErrorKind::TopicQuotaExceeded));
        }
        let id = random_id("topic-");
        let now = now_ms / 1000;
        topics.insert(
            key,
            Arc::new(Topic {
                id: id.clone(),
                name: req.name.clone(),
                filter_type,
                create_time: now,
                seq: self.next_seq.fetch_add(1, Ordering::Relaxed),
                backlog: Arc::new(AtomicU64::new(0)),
                state: Mutex::new(TopicState {
                    max_msg_size,
                    last_modify_time: now,
                    deleted: false,
                    subs: Vec::new(),
                }),
            }),
        );
        Ok(id)
    }

    /// ListTopic: topics whose name contains `search_word` (case-insensitively; `None` or empty
    /// = all), in creation order, `limit` of them from `offset`.
    pub fn list_topics(
        &self,
        search_word: Option<&str>,
        offset: usize,
        limit: usize,
    ) -> Page<TopicSummary> {
        let mut all: Vec<Arc<Topic>> = self
            .read()
            .values()
            .filter(|t| matches_search(&t.name, search_word))
            .cloned()
            .collect();
        all.sort_by_key(|t| t.seq);
        page(all.into_iter(), offset, limit, |t| TopicSummary {
            topic_id: t.id.clone(),
            topic_name: t.name.clone(),
        })
    }

    /// GetTopicAttributes. Errors: TopicNotExist 4440/10600.
    pub fn topic_attributes(&self, topic: &str) -> Result<TopicAttributes, TopicError> {
        let t = self.topic(topic)?;
        let st = t.lock();
        Ok(TopicAttributes {
            topic_id: t.id.clone(),
            topic_name: t.name.clone(),
            msg_count: t.backlog.load(Ordering::Acquire),
            max_msg_size: st.max_msg_size,
            msg_retention_seconds: self.message_lifetime_ms() / 1000,
            create_time: t.create_time,
            last_modify_time: st.last_modify_time,
            filter_type: t.filter_type.as_int(),
            qps: self.config.qps,
            create_uin: self.config.create_uin,
        })
    }

    /// SetTopicAttributes (`maxMsgSize` only; filterType cannot change).
    /// Errors: ValueOutOfRange 4000/10350, TopicNotExist 4440/10600.
    pub fn set_topic_attributes(
        &self,
        topic: &str,
        max_msg_size: Option<i64>,
    ) -> Result<(), TopicError> {
        let size = max_msg_size
            .map(|v| {
                u64::try_from(v)
                    .ok()
                    .filter(|v| (self.config.min_msg_size..=self.config.max_msg_size).contains(v))
                    .ok_or_else(|| TopicError::param(TopicErrorKind::ValueOutOfRange, "maxMsgSize"))
            })
            .transpose()?;
        let t = self.topic(topic)?;
        let mut st = t.lock();
        if let Some(size) = size {
            st.max_msg_size = size;
        }
        st.last_modify_time = self.clock().now_secs();
        Ok(())
    }

    /// DeleteTopic. Errors: TopicNotExist 4440/10600, TopicHasSubscriptions 4000/10540.
    pub fn delete_topic(&self, topic: &str) -> Result<(), TopicError> {
        let key = topic.to_lowercase();
        let mut topics = self.write();
        let t = topics
            .get(&key)
            .cloned()
            .ok_or_else(|| e(TopicErrorKind::TopicNotExist))?;
        {
            let mut st = t.lock();
            if !st.subs.is_empty() {
                return Err(e(TopicErrorKind::TopicHasSubscriptions));
            }
            st.deleted = true;
        }
        topics.remove(&key);
        let now = self.clock().now_ms();
        self.deleted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, now);
        Ok(())
    }

    // --- subscriptions -----------------------------------------------------------------------

    /// Subscribe → `subscriptionId`.
    ///
    /// Errors: SubscriptionNameFormat 4000/10580; UrlContainsBlank 4510/10570 and
    /// EndpointFormatError 4000/10500 (http endpoint; also a queue endpoint that is not a valid
    /// queue name); QueueProtocolRequiresSimplified 4000/10640; FilterTagNumberExceeded 4000/10490;
    /// TooManyBindingKeys 4000/10680; TooManyDelimiters 4000/10691; ValueOutOfRange 4000/10350;
    /// TopicNotExist 4440/10600; BindingKeyMissing 4000/10710 (filterType 2 topic);
    /// IllegalEndpoint 4000/10630 (no such queue); SubscriptionAlreadyExists 4490/10470;
    /// SubscriptionQuotaExceeded 4500/10480.
    pub fn subscribe(&self, topic: &str, req: &Subscribe) -> Result<String, TopicError> {
        if !valid_name(&req.name) {
            return Err(e(TopicErrorKind::SubscriptionNameFormat));
        }
        match req.protocol {
            Protocol::Http => check_http_endpoint(&req.endpoint)?,
            Protocol::Queue => {
                if !valid_name(&req.endpoint) {
                    return Err(e(TopicErrorKind::EndpointFormatError));
                }
            }
        }
        let format = req
            .notify_content_format
            .unwrap_or(NotifyContentFormat::default_for(req.protocol));
        if req.protocol == Protocol::Queue && format != NotifyContentFormat::Simplified {
            return Err(e(TopicErrorKind::QueueProtocolRequiresSimplified));
        }
        check_tags(
            &req.filter_tags,
            TopicErrorKind::FilterTagNumberExceeded,
            "filterTag",
        )?;
        check_binding_keys(&req.binding_keys)?;
        let t = self.topic(topic)?;
        if t.filter_type == FilterType::Routing && req.binding_keys.is_empty() {
            return Err(e(TopicErrorKind::BindingKeyMissing));
        }
        if req.protocol == Protocol::Queue && !self.sink.queue_exists(&req.endpoint) {
            return Err(e(TopicErrorKind::IllegalEndpoint));
        }
        let strategy = req.notify_strategy.unwrap_or_default();
        let mut st = t.lock();
        if st.deleted {
            return Err(e(TopicErrorKind::TopicNotExist));
        }
        if st.find(&req.name).is_some() {
            return Err(e(TopicErrorKind::SubscriptionAlreadyExists));
        }
        if st.subs.len() >= self.config.subscription_quota {
            return Err(e(TopicErrorKind::SubscriptionQuotaExceeded));
        }
        let id = random_id("subscription-");
        let now = self.clock().now_secs();
        let push = (req.protocol == Protocol::Http).then(|| {
            PushChannel::new(
                self.config.owner.clone(),
                t.name.clone(),
                req.name.clone(),
                req.endpoint.clone(),
                PushSettings { strategy, format },
            )
        });
        st.subs.push(Arc::new(Subscription {
            id: id.clone(),
            name: req.name.clone(),
            protocol: req.protocol,
            endpoint: req.endpoint.clone(),
            create_time: now,
            state: Mutex::new(SubState {
                strategy,
                format,
                filter_tags: req.filter_tags.clone(),
                binding_keys: req.binding_keys.clone(),
                last_modify_time: now,
            }),
            push,
        }));
        Ok(id)
    }

    /// Unsubscribe: removes the subscription, stops its push worker and discards its pending
    /// messages. Errors: TopicNotExist 4440/10600, SubscriptionNotExist 4000/10560.
    pub fn unsubscribe(&self, topic: &str, subscription: &str) -> Result<(), TopicError> {
        let t = self.topic(topic)?;
        let removed = {
            let mut st = t.lock();
            let pos = st
                .subs
                .iter()
                .position(|s| s.name.eq_ignore_ascii_case(subscription))
                .ok_or_else(|| e(TopicErrorKind::SubscriptionNotExist))?;
            st.subs.remove(pos)
        };
        if let Some(ch) = &removed.push {
            ch.stop();
        }
        Ok(())
    }

    /// ListSubscriptionByTopic: subscriptions whose name contains `search_word`
    /// (case-insensitively), in creation order, `limit` of them from `offset`.
    /// Errors: TopicNotExist 4440/10600.
    pub fn list_subscriptions(
        &self,
        topic: &str,
        search_word: Option<&str>,
        offset: usize,
        limit: usize,
    ) -> Result<Page<SubscriptionSummary>, TopicError> {
        let t = self.topic(topic)?;
        let subs: Vec<Arc<Subscription>> = t
            .lock()
            .subs
            .iter()
            .filter(|s| matches_search(&s.name, search_word))
            .cloned()
            .collect();
        Ok(page(subs.into_iter(), offset, limit, |s| {
            SubscriptionSummary {
                subscription_id: s.id.clone(),
                subscription_name: s.name.clone(),
                protocol: s.protocol,
                endpoint: s.endpoint.clone(),
            }
        }))
    }

    /// GetSubscriptionAttributes. Errors: TopicNotExist 4440/10600, SubscriptionNotExist 4000/10560.
    pub fn subscription_attributes(
        &self,
        topic: &str,
        subscription: &str,
    ) -> Result<SubscriptionAttributes, TopicError> {
        let (_, s) = self.subscription(topic, subscription)?;
        let st = s.lock();
        Ok(SubscriptionAttributes {
            subscription_id: s.id.clone(),
            subscription_name: s.name.clone(),
            topic_owner: self.config.owner.clone(),
            msg_count: s.push.as_ref().map_or(0, |p| p.pending() as u64),
            protocol: s.protocol,
            endpoint: s.endpoint.clone(),
            notify_strategy: st.strategy,
            notify_content_format: st.format,
            create_time: s.create_time,
            last_modify_time: st.last_modify_time,
            binding_keys: st.binding_keys.clone(),
            filter_tags: st.filter_tags.clone(),
        })
    }

    /// SetSubscriptionAttributes: each given value replaces the old one (lists included).
    /// Errors: as Subscribe for the values given, plus TopicNotExist 4440/10600,
    /// SubscriptionNotExist 4000/10560.
    pub fn set_subscription_attributes(
        &self,
        topic: &str,
        subscription: &str,
        update: &SubscriptionUpdate,
    ) -> Result<(), TopicError> {
        if let Some(tags) = &update.filter_tags {
            check_tags(tags, TopicErrorKind::FilterTagNumberExceeded, "filterTag")?;
        }
        if let Some(keys) = &update.binding_keys {
            check_binding_keys(keys)?;
        }
        let (t, s) = self.subscription(topic, subscription)?;
        if s.protocol == Protocol::Queue
            && update.notify_content_format == Some(NotifyContentFormat::Json)
        {
            return Err(e(TopicErrorKind::QueueProtocolRequiresSimplified));
        }
        if t.filter_type == FilterType::Routing
            && update.binding_keys.as_ref().is_some_and(Vec::is_empty)
        {
            return Err(e(TopicErrorKind::BindingKeyMissing));
        }
        let mut st = s.lock();
        if let Some(v) = update.notify_strategy {
            st.strategy = v;
        }
        if let Some(v) = update.notify_content_format {
            st.format = v;
        }
        if let Some(v) = &update.filter_tags {
            st.filter_tags = v.clone();
        }
        if let Some(v) = &update.binding_keys {
            st.binding_keys = v.clone();
        }
        st.last_modify_time = self.clock().now_secs();
        if let Some(ch) = &s.push {
            ch.set_settings(PushSettings {
                strategy: st.strategy,
                format: st.format,
            });
        }
        Ok(())
    }

    /// ClearSubscriptionFilterTags. Errors: TopicNotExist 4440/10600, SubscriptionNotExist 4000/10560.
    pub fn clear_subscription_filter_tags(
        &self,
        topic: &str,
        subscription: &str,
    ) -> Result<(), TopicError> {
        let (_, s) = self.subscription(topic, subscription)?;
        let mut st = s.lock();
        st.filter_tags.clear();
        st.last_modify_time = self.clock().now_secs();
        Ok(())
    }

    // --- publishing --------------------------------------------------------------------------

    /// PublishMessage → `msgId`. `tags` are the msgTag list; `routing_key` `None` means the
    /// parameter was left out (an empty string counts as present).
    ///
    /// Errors: MessageBodyEmpty 4000/10120; TooManyMsgTags 4000/10720; ValueOutOfRange
    /// 4000/10350; TooManyDelimiters 4000/10691; TopicNotExist 4440/10600; RoutingKeyMissing
    /// 4000/10700; MessageTooLarge 4400/10230; TopicHasNoSubscription 6030/10650;
    /// NoSubscriptionMatched 6030/10730.
    pub fn publish(
        &self,
        topic: &str,
        body: &str,
        tags: &[String],
        routing_key: Option<&str>,
    ) -> Result<String, TopicError> {
        let mut ids = self.publish_all(topic, &[body], tags, routing_key)?;
        ids.pop().ok_or_else(|| e(TopicErrorKind::InternalError))
    }

    /// BatchPublishMessage → the `msgId`s, in body order. `tags` and `routing_key` apply to every
    /// message. Errors: as [`Self::publish`], plus BatchSizeOutOfRange 4000/10370 (0 or > 16
    /// bodies) and BatchTotalSizeTooLarge 4470/10300 (> 65 536 bytes in all).
    pub fn batch_publish<B: AsRef<str>>(
        &self,
        topic: &str,
        bodies: &[B],
        tags: &[String],
        routing_key: Option<&str>,
    ) -> Result<Vec<String>, TopicError> {
        if bodies.is_empty() || bodies.len() > self.config.batch_max_messages {
            return Err(TopicError::param(
                TopicErrorKind::BatchSizeOutOfRange,
                "msgBody",
            ));
        }
        let bodies: Vec<&str> = bodies.iter().map(AsRef::as_ref).collect();
        if bodies.iter().any(|b| b.is_empty()) {
            return Err(e(TopicErrorKind::MessageBodyEmpty));
        }
        if bodies.iter().map(|b| b.len()).sum::<usize>() > self.config.batch_max_bytes {
            return Err(e(TopicErrorKind::BatchTotalSizeTooLarge));
        }
        self.publish_all(topic, &bodies, tags, routing_key)
    }

    fn publish_all(
        &self,
        topic: &str,
        bodies: &[&str],
        tags: &[String],
        routing_key: Option<&str>,
    ) -> Result<Vec<String>, TopicError> {
        if bodies.iter().any(|b| b.is_empty()) {
            return Err(e(TopicErrorKind::MessageBodyEmpty));
        }
        check_tags(tags, TopicErrorKind::TooManyMsgTags, "msgTag")?;
        if let Some(rk) = routing_key {
            routing::check_routing_key(rk).map_err(|p| key_error(p, "routingKey"))?;
        }
        let t = self.topic(topic)?;
        if t.filter_type == FilterType::Routing && routing_key.is_none() {
            return Err(e(TopicErrorKind::RoutingKeyMissing));
        }
        let (max_size, any_subs, targets) = {
            let st = t.lock();
            if st.deleted {
                return Err(e(TopicErrorKind::TopicNotExist));
            }
            let targets: Vec<Arc<Subscription>> = st
                .subs
                .iter()
                .filter(|s| {
                    let ss = s.lock();
                    routing::subscription_matches(
                        t.filter_type,
                        &ss.filter_tags,
                        &ss.binding_keys,
                        tags,
                        routing_key,
                    )
                })
                .cloned()
                .collect();
            (st.max_msg_size, !st.subs.is_empty(), targets)
        };
        if bodies.iter().any(|b| b.len() as u64 > max_size) {
            return Err(e(TopicErrorKind::MessageTooLarge));
        }
        if !any_subs {
            return Err(e(TopicErrorKind::TopicHasNoSubscription));
        }
        if targets.is_empty() {
            return Err(e(TopicErrorKind::NoSubscriptionMatched));
        }
        let http_targets = targets.iter().filter(|s| s.push.is_some()).count();
        let lifetime = self.message_lifetime_ms();
        let mut ids = Vec::with_capacity(bodies.len());
        for body in bodies {
            let msg_id = self.next_msg_id.fetch_add(1, Ordering::Relaxed).to_string();
            let now = self.clock().now_ms();
            let msg = PushMessage::new(
                msg_id.clone(),
                body.to_string(),
                tags.to_vec(),
                now,
                now.saturating_add(lifetime),
                http_targets,
                t.backlog.clone(),
            );
            for s in &targets {
                match &s.push {
                    Some(ch) => ch.enqueue(msg.clone(), &self.pusher),
                    None => self.fan_out_to_queue(&t, s, &msg_id, body, now),
                }
            }
            ids.push(msg_id);
        }
        Ok(ids)
    }

    fn fan_out_to_queue(&self, t: &Topic, s: &Subscription, msg_id: &str, body: &str, now_ms: u64) {
        let outcome = match self.sink.enqueue(&s.endpoint, body) {
            Ok(queue_msg_id) => DeliveryOutcome::Enqueued { queue_msg_id },
            Err(err) => DeliveryOutcome::EnqueueFailed {
                error: err.to_string(),
            },
        };
        self.log().record(DeliveryRecord {
            seq: 0,
            owner: self.config.owner.clone(),
            topic: t.name.clone(),
            subscription: s.name.clone(),
            protocol: Protocol::Queue,
            endpoint: s.endpoint.clone(),
            msg_id: msg_id.to_string(),
            attempt: 1,
            time_ms: now_ms,
            latency_ms: None,
            request_id: None,
            next_attempt_ms: None,
            outcome,
        });
    }

    // --- housekeeping ------------------------------------------------------------------------

    /// Removes every topic and subscription at once (no cooldown), stopping every push worker.
    pub fn reset(&self) {
        let topics: Vec<Arc<Topic>> = self.write().drain().map(|(_, t)| t).collect();
        for t in topics {
            let subs = {
                let mut st = t.lock();
                st.deleted = true;
                std::mem::take(&mut st.subs)
            };
            for s in subs {
                if let Some(ch) = &s.push {
                    ch.stop();
                }
            }
        }
        self.deleted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::deliveries::PushFailure;
    use crate::engine::push::PushConfig;
    use crate::engine::push::test_receiver::{Receiver, Reply};
    use TopicErrorKind as K;

    const T0: u64 = 1_700_000_000_000;
    const WAIT: Duration = Duration::from_secs(20);
    const QUIET: Duration = Duration::from_millis(150);

    /// A fake account: queues are names in a map; each enqueue appends the body.
    #[derive(Default)]
    struct FakeSink {
        queues: Mutex<HashMap<String, Vec<String>>>,
        next: AtomicU64,
    }

    impl FakeSink {
        fn with_queues(names: &[&str]) -> Arc<Self> {
            let sink = Self::default();
            for n in names {
                sink.queues
                    .lock()
                    .unwrap()
                    .insert(n.to_lowercase(), Vec::new());
            }
            Arc::new(sink)
        }
        fn bodies(&self, q: &str) -> Vec<String> {
            self.queues
                .lock()
                .unwrap()
                .get(&q.to_lowercase())
                .cloned()
                .unwrap_or_default()
        }
        fn delete(&self, q: &str) {
            self.queues.lock().unwrap().remove(&q.to_lowercase());
        }
    }

    impl QueueSink for FakeSink {
        fn enqueue(&self, queue_name: &str, body: &str) -> Result<String, SinkError> {
            let mut qs = self.queues.lock().unwrap();
            let q = qs
                .get_mut(&queue_name.to_lowercase())
                .ok_or_else(|| SinkError::new(4440, "queue is not existed"))?;
            q.push(body.to_string());
            Ok(format!("q{}", self.next.fetch_add(1, Ordering::Relaxed)))
        }
        fn queue_exists(&self, queue_name: &str) -> bool {
            self.queues
                .lock()
                .unwrap()
                .contains_key(&queue_name.to_lowercase())
        }
    }

    struct H {
        store: TopicStore,
        sink: Arc<FakeSink>,
        clock: Clock,
        log: Arc<DeliveryLog>,
    }

    fn harness_with(config: TopicStoreConfig, push: PushConfig) -> H {
        let clock = Clock::manual(T0);
        let log = Arc::new(DeliveryLog::new());
        let pusher = Arc::new(Pusher::new(push, clock.clone(), log.clone()));
        let sink = FakeSink::with_queues(&["q0", "q1", "q2"]);
        let store = TopicStore::new(config, sink.clone(), pusher);
        H {
            store,
            sink,
            clock,
            log,
        }
    }

    fn harness() -> H {
        harness_with(
            TopicStoreConfig::default(),
            PushConfig {
                seed: Some(42),
                ..PushConfig::default()
            },
        )
    }

    fn topic(name: &str) -> CreateTopic {
        CreateTopic {
            name: name.into(),
            ..CreateTopic::default()
        }
    }

    fn routing_topic(name: &str) -> CreateTopic {
        CreateTopic {
            name: name.into(),
            filter_type: Some(2),
            ..CreateTopic::default()
        }
    }

    fn strs(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn kind<T: std::fmt::Debug>(r: Result<T, TopicError>) -> TopicErrorKind {
        r.expect_err("expected an error").kind
    }

    fn http(name: &str, url: &str) -> Subscribe {
        Subscribe::new(name, Protocol::Http, url)
    }

    fn queue(name: &str, q: &str) -> Subscribe {
        Subscribe::new(name, Protocol::Queue, q)
    }

    fn tagged(mut s: Subscribe, tags: &[&str]) -> Subscribe {
        s.filter_tags = strs(tags);
        s
    }

    fn bound(mut s: Subscribe, keys: &[&str]) -> Subscribe {
        s.binding_keys = strs(keys);
        s
    }

    fn backoff(mut s: Subscribe) -> Subscribe {
        s.notify_strategy = Some(NotifyStrategy::BackoffRetry);
        s
    }

    async fn record(log: &DeliveryLog, pred: impl Fn(&DeliveryRecord) -> bool) -> DeliveryRecord {
        log.wait_for(pred, WAIT)
            .await
            .expect("no matching delivery record")
    }

    /// Waits (briefly, real time) until the worker has registered its next sleep on the clock.
    async fn next_deadline(clock: &Clock) -> Option<u64> {
        for _ in 0..2000 {
            if let Some(d) = clock.next_deadline_ms() {
                return Some(d);
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        None
    }

    fn msg_count(h: &H, t: &str) -> u64 {
        h.store.topic_attributes(t).unwrap().msg_count
    }

    fn sub_count(h: &H, t: &str, s: &str) -> u64 {
        h.store.subscription_attributes(t, s).unwrap().msg_count
    }

    // --- errors ------------------------------------------------------------------------------

    #[test]
    fn error_codes_match_the_reference() {
        let table = [
            (K::TopicNotExist, 4440, 10600),
            (K::TopicAlreadyExists, 4460, 10550),
            (K::TopicQuotaExceeded, 4450, 10610),
            (K::SubscriptionAlreadyExists, 4490, 10470),
            (K::SubscriptionNotExist, 4000, 10560),
            (K::SubscriptionQuotaExceeded, 4500, 10480),
            (K::TopicHasSubscriptions, 4000, 10540),
            (K::TopicHasNoSubscription, 6030, 10650),
            (K::NoSubscriptionMatched, 6030, 10730),
            (K::RoutingKeyMissing, 4000, 10700),
            (K::BindingKeyMissing, 4000, 10710),
            (K::EndpointFormatError, 4000, 10500),
            (K::UrlContainsBlank, 4510, 10570),
            (K::QueueProtocolRequiresSimplified, 4000, 10640),
            (K::MessageTooLarge, 4400, 10230),
            (K::BatchTotalSizeTooLarge, 4470, 10300),
            (K::TopicReleasing, 6040, 10660),
            (K::IllegalEndpoint, 4000, 10630),
            (K::UndefinedProtocol, 4000, 10510),
            (K::UndefinedNotifyStrategy, 4000, 10520),
            (K::UndefinedNotifyContentFormat, 4000, 10530),
            (K::FilterTagNumberExceeded, 4000, 10490),
            (K::TooManyBindingKeys, 4000, 10680),
            (K::TooManyMsgTags, 4000, 10720),
            (K::TooManyDelimiters, 4000, 10691),
            (K::TopicNameFormat, 4000, 10590),
            (K::SubscriptionNameFormat, 4000, 10580),
            (K::BatchSizeOutOfRange, 4000, 10370),
            (K::MessageBodyEmpty, 4000, 10120),
            (K::ValueOutOfRange, 4000, 10350),
            (K::InternalError, 6000, 10050),
        ];
        assert_eq!(table.len(), K::ALL.len());
        for (k, code, module) in table {
            assert_eq!((k.code(), k.module_code()), (code, module), "{}", k.id());
            assert!(!k.text().is_empty());
        }
        assert_eq!(K::TopicNotExist.id(), "TopicNotExist");
        let err = TopicError::new(K::TopicNotExist);
        assert_eq!(err.to_string(), "(10600)topic is not existed, or deleted");
        assert_eq!((err.code(), err.module_code()), (4440, 10600));
        let err = TopicError::param(K::ValueOutOfRange, "maxMsgSize");
        assert_eq!(
            err.to_string(),
            "(10350)parameter maxMsgSize value or length is out of range"
        );
        assert_eq!(SinkError::new(4440, "gone").to_string(), "(4440) gone");
    }

    #[test]
    fn enum_parsing() {
        assert_eq!(Protocol::parse("http"), Ok(Protocol::Http));
        assert_eq!(kind(Protocol::parse("HTTP")), K::UndefinedProtocol);
        assert_eq!(Protocol::parse("queue"), Ok(Protocol::Queue));
        assert_eq!(kind(Protocol::parse("https")), K::UndefinedProtocol);
        assert_eq!(kind(Protocol::parse("")), K::UndefinedProtocol);
        assert_eq!(
            NotifyStrategy::parse("BACKOFF_RETRY"),
            Ok(NotifyStrategy::BackoffRetry)
        );
        assert_eq!(
            kind(NotifyStrategy::parse("exponential_decay_retry")),
            K::UndefinedNotifyStrategy
        );
        assert_eq!(
            kind(NotifyStrategy::parse("RETRY")),
            K::UndefinedNotifyStrategy
        );
        assert_eq!(
            kind(NotifyContentFormat::parse("simplified")),
            K::UndefinedNotifyContentFormat
        );
        assert_eq!(
            NotifyContentFormat::parse("JSON"),
            Ok(NotifyContentFormat::Json)
        );
        assert_eq!(
            kind(NotifyContentFormat::parse("XML")),
            K::UndefinedNotifyContentFormat
        );
        for p in [Protocol::Http, Protocol::Queue] {
            assert_eq!(Protocol::parse(p.as_str()), Ok(p));
        }
        for s in [
            NotifyStrategy::BackoffRetry,
            NotifyStrategy::ExponentialDecayRetry,
        ] {
            assert_eq!(NotifyStrategy::parse(s.as_str()), Ok(s));
        }
        for f in [NotifyContentFormat::Json, NotifyContentFormat::Simplified] {
            assert_eq!(NotifyContentFormat::parse(f.as_str()), Ok(f));
        }
        assert_eq!(
            NotifyStrategy::default(),
            NotifyStrategy::ExponentialDecayRetry
        );
    }

    #[test]
    fn names_and_endpoints() {
        assert!(valid_name("a"));
        assert!(valid_name("Topic-1_x"));
        assert!(valid_name(&"a".repeat(64)));
        assert!(!valid_name(&"a".repeat(65)));
        assert!(!valid_name(""));
        assert!(!valid_name("1abc"));
        assert!(!valid_name("a.b"));
        assert!(!valid_name("a b"));
        assert!(check_http_endpoint("http://127.0.0.1:8080/path?x=1").is_ok());
        assert!(check_http_endpoint("https://example.com").is_ok());
        assert!(check_http_endpoint("HTTP://example.com").is_ok());
        assert_eq!(kind(check_http_endpoint("http://a b")), K::UrlContainsBlank);
        assert_eq!(kind(check_http_endpoint(" http://ab")), K::UrlContainsBlank);
        assert_eq!(
            kind(check_http_endpoint("http://ab/\tx")),
            K::UrlContainsBlank
        );
        assert_eq!(
            kind(check_http_endpoint("ftp://ab")),
            K::EndpointFormatError
        );
        assert_eq!(
            kind(check_http_endpoint("example.com")),
            K::EndpointFormatError
        );
        assert_eq!(kind(check_http_endpoint("http://")), K::EndpointFormatError);
        let long = format!("http://a.com/{}", "x".repeat(500 - 13));
        assert_eq!(long.len(), 500);
        assert!(check_http_endpoint(&long).is_ok());
        assert_eq!(
            kind(check_http_endpoint(&format!("{long}x"))),
            K::EndpointFormatError
        );
    }

    // --- topics ------------------------------------------------------------------------------

    #[test]
    fn create_topic_defaults() {
        let h = harness();
        let id = h.store.create_topic(&topic("Orders")).unwrap();
        assert!(id.starts_with("topic-") && id.len() == 16, "{id}");
        assert!(
            id[6..]
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        );
        let a = h.store.topic_attributes("orders").unwrap();
        assert_eq!(
            a,
            TopicAttributes {
                topic_id: id,
                topic_name: "Orders".into(),
                msg_count: 0,
                max_msg_size: 65_536,
                msg_retention_seconds: 86_400,
                create_time: T0 / 1000,
                last_modify_time: T0 / 1000,
                filter_type: 1,
                qps: 5_000,
                create_uin: 100_000_000_001,
            }
        );
        h.store
            .create_topic(&CreateTopic {
                name: "r".into(),
                max_msg_size: Some(1024),
                filter_type: Some(2),
            })
            .unwrap();
        let a = h.store.topic_attributes("R").unwrap();
        assert_eq!((a.max_msg_size, a.filter_type), (1024, 2));
        h.store
            .create_topic(&CreateTopic {
                name: "big".into(),
                max_msg_size: Some(1_048_576),
                filter_type: Some(1),
            })
            .unwrap();
        assert!(format!("{:?}", h.store).contains("topics: 3"));
    }

    #[test]
    fn create_topic_errors() {
        let h = harness_with(
            TopicStoreConfig {
                topic_quota: 2,
                ..TopicStoreConfig::default()
            },
            PushConfig::default(),
        );
        for bad in ["", "1a", "a.b", "a b", &"a".repeat(65)] {
            assert_eq!(
                kind(h.store.create_topic(&topic(bad))),
                K::TopicNameFormat,
                "{bad:?}"
            );
        }
        for size in [0, 1023, 1_048_577, -1] {
            let req = CreateTopic {
                name: "t".into(),
                max_msg_size: Some(size),
                filter_type: None,
            };
            assert_eq!(
                kind(h.store.create_topic(&req)),
                K::ValueOutOfRange,
                "{size}"
            );
        }
        for ft in [0, 3, -1] {
            let req = CreateTopic {
                name: "t".into(),
                max_msg_size: None,
                filter_type: Some(ft),
            };
            let err = h.store.create_topic(&req).unwrap_err();
            assert_eq!(err.kind, K::ValueOutOfRange);
            assert!(err.message.contains("filterType"));
        }
        h.store.create_topic(&topic("t")).unwrap();
        assert_eq!(
            kind(h.store.create_topic(&topic("T"))),
            K::TopicAlreadyExists
        );
        h.store.create_topic(&topic("u")).unwrap();
        assert_eq!(
            kind(h.store.create_topic(&topic("v"))),
            K::TopicQuotaExceeded
        );
        assert_eq!(kind(h.store.topic_attributes("nope")), K::TopicNotExist);
    }

    #[test]
    fn recreate_cooldown() {
        let h = harness();
        h.store.create_topic(&topic("t")).unwrap();
        h.store.delete_topic("T").unwrap();
        assert_eq!(kind(h.store.create_topic(&topic("t"))), K::TopicReleasing);
        h.clock.advance(Duration::from_millis(9_999));
        assert_eq!(kind(h.store.create_topic(&topic("T"))), K::TopicReleasing);
        h.store.create_topic(&topic("other")).unwrap();
        h.clock.advance(Duration::from_millis(1));
        h.store.create_topic(&topic("t")).unwrap();

        let relaxed = harness_with(
            TopicStoreConfig {
                recreate_cooldown: Duration::ZERO,
                ..TopicStoreConfig::default()
            },
            PushConfig::default(),
        );
        relaxed.store.create_topic(&topic("t")).unwrap();
        relaxed.store.delete_topic("t").unwrap();
        relaxed.store.create_topic(&topic("t")).unwrap();
    }

    #[test]
    fn list_topics_pages_in_creation_order() {
        let h = harness();
        for n in ["zeta", "alpha", "Beta", "alphabet", "gamma"] {
            h.store.create_topic(&topic(n)).unwrap();
        }
        let names = |p: Page<TopicSummary>| {
            (
                p.total_count,
                p.items
                    .into_iter()
                    .map(|t| t.topic_name)
                    .collect::<Vec<_>>(),
            )
        };
        assert_eq!(
            names(h.store.list_topics(None, 0, 20)),
            (5, strs(&["zeta", "alpha", "Beta", "alphabet", "gamma"]))
        );
        assert_eq!(
            names(h.store.list_topics(Some(""), 1, 2)),
            (5, strs(&["alpha", "Beta"]))
        );
        assert_eq!(
            names(h.store.list_topics(Some("ALPHA"), 0, 20)),
            (2, strs(&["alpha", "alphabet"]))
        );
        assert_eq!(
            names(h.store.list_topics(Some("et"), 0, 20)),
            (3, strs(&["zeta", "Beta", "alphabet"]))
        );
        assert_eq!(names(h.store.list_topics(None, 10, 20)), (5, vec![]));
        assert_eq!(names(h.store.list_topics(None, 0, 0)), (5, vec![]));
        let page = h.store.list_topics(Some("gamma"), 0, 20);
        assert_eq!(
            page.items[0].topic_id,
            h.store.topic_attributes("gamma").unwrap().topic_id
        );
    }

    #[test]
    fn set_topic_attributes() {
        let h = harness();
        h.store.create_topic(&topic("t")).unwrap();
        h.clock.advance(Duration::from_secs(5));
        h.store.set_topic_attributes("T", Some(2048)).unwrap();
        let a = h.store.topic_attributes("t").unwrap();
        assert_eq!(
            (a.max_msg_size, a.create_time, a.last_modify_time),
            (2048, T0 / 1000, T0 / 1000 + 5)
        );
        h.clock.advance(Duration::from_secs(5));
        h.store.set_topic_attributes("t", None).unwrap();
        assert_eq!(
            h.store.topic_attributes("t").unwrap().last_modify_time,
            T0 / 1000 + 10
        );
        assert_eq!(
            kind(h.store.set_topic_attributes("t", Some(1))),
            K::ValueOutOfRange
        );
        assert_eq!(
            kind(h.store.set_topic_attributes("nope", Some(2048))),
            K::TopicNotExist
        );
        assert_eq!(h.store.topic_attributes("t").unwrap().max_msg_size, 2048);
    }

    #[test]
    fn delete_topic_requires_no_subscriptions() {
        let h = harness();
        h.store.create_topic(&topic("t")).unwrap();
        h.store.subscribe("t", &queue("s", "q0")).unwrap();
        assert_eq!(kind(h.store.delete_topic("t")), K::TopicHasSubscriptions);
        h.store.unsubscribe("t", "S").unwrap();
        h.store.delete_topic("t").unwrap();
        assert_eq!(kind(h.store.delete_topic("t")), K::TopicNotExist);
        assert_eq!(kind(h.store.topic_attributes("t")), K::TopicNotExist);
        assert_eq!(
            kind(h.store.subscribe("t", &queue("s", "q0"))),
            K::TopicNotExist
        );
        assert_eq!(kind(h.store.publish("t", "x", &[], None)), K::TopicNotExist);
        assert_eq!(h.store.list_topics(None, 0, 20).total_count, 0);
    }

    // --- subscriptions -----------------------------------------------------------------------

    #[test]
    fn subscribe_defaults_and_attributes() {
        let h = harness();
        h.store.create_topic(&topic("t")).unwrap();
        h.clock.advance(Duration::from_secs(3));
        let id = h
            .store
            .subscribe("t", &http("web", "http://127.0.0.1:1/x"))
            .unwrap();
        assert!(id.starts_with("subscription-") && id.len() == 23, "{id}");
        let a = h.store.subscription_attributes("T", "WEB").unwrap();
        assert_eq!(
            a,
            SubscriptionAttributes {
                subscription_id: id,
                subscription_name: "web".into(),
                topic_owner: "1250000000".into(),
                msg_count: 0,
                protocol: Protocol::Http,
                endpoint: "http://127.0.0.1:1/x".into(),
                notify_strategy: NotifyStrategy::ExponentialDecayRetry,
                notify_content_format: NotifyContentFormat::Json,
                create_time: T0 / 1000 + 3,
                last_modify_time: T0 / 1000 + 3,
                binding_keys: vec![],
                filter_tags: vec![],
            }
        );
        let mut q = tagged(bound(queue("toQueue", "Q1"), &["a.#"]), &["x", "y"]);
        q.notify_strategy = Some(NotifyStrategy::BackoffRetry);
        h.store.subscribe("t", &q).unwrap();
        let a = h.store.subscription_attributes("t", "toqueue").unwrap();
        assert_eq!(a.protocol, Protocol::Queue);
        assert_eq!(a.endpoint, "Q1");
        assert_eq!(a.notify_content_format, NotifyContentFormat::Simplified);
        assert_eq!(a.notify_strategy, NotifyStrategy::BackoffRetry);
        assert_eq!(a.filter_tags, strs(&["x", "y"]));
        assert_eq!(a.binding_keys, strs(&["a.#"]));
        let mut s = http("simple", "https://example.com/hook");
        s.notify_content_format = Some(NotifyContentFormat::Simplified);
        h.store.subscribe("t", &s).unwrap();
        assert_eq!(
            h.store
                .subscription_attributes("t", "simple")
                .unwrap()
                .notify_content_format,
            NotifyContentFormat::Simplified
        );
    }

    #[test]
    fn subscribe_errors() {
        let h = harness_with(
            TopicStoreConfig {
                subscription_quota: 2,
                ..TopicStoreConfig::default()
            },
            PushConfig::default(),
        );
        h.store.create_topic(&topic("t")).unwrap();
        h.store.create_topic(&routing_topic("r")).unwrap();
        let cases: Vec<(Subscribe, TopicErrorKind)> = vec![
            (http("1bad", "http://a.com"), K::SubscriptionNameFormat),
            (http("s", "http://a .com"), K::UrlContainsBlank),
            (http("s", "http://a.com/\n"), K::UrlContainsBlank),
            (http("s", "ftp://a.com"), K::EndpointFormatError),
            (http("s", "a.com"), K::EndpointFormatError),
            (http("s", "http://"), K::EndpointFormatError),
            (
                http("s", &format!("http://a.com/{}", "x".repeat(500))),
                K::EndpointFormatError,
            ),
            (queue("s", "http://a.com"), K::EndpointFormatError),
            (queue("s", "no-such-queue"), K::IllegalEndpoint),
            (
                tagged(http("s", "http://a.com"), &["1", "2", "3", "4", "5", "6"]),
                K::FilterTagNumberExceeded,
            ),
            (
                tagged(http("s", "http://a.com"), &["0123456789abcdefg"]),
                K::ValueOutOfRange,
            ),
            (
                bound(http("s", "http://a.com"), &["1", "2", "3", "4", "5", "6"]),
                K::TooManyBindingKeys,
            ),
            (
                bound(http("s", "http://a.com"), &[&["a"; 17].join(".")]),
                K::TooManyDelimiters,
            ),
            (
                bound(http("s", "http://a.com"), &[&"a".repeat(65)]),
                K::ValueOutOfRange,
            ),
        ];
        for (req, want) in cases {
            assert_eq!(kind(h.store.subscribe("t", &req)), want, "{req:?}");
        }
        let mut json_queue = queue("s", "q0");
        json_queue.notify_content_format = Some(NotifyContentFormat::Json);
        assert_eq!(
            kind(h.store.subscribe("t", &json_queue)),
            K::QueueProtocolRequiresSimplified
        );
        assert_eq!(
            kind(h.store.subscribe("nope", &queue("s", "q0"))),
            K::TopicNotExist
        );
        assert_eq!(
            kind(h.store.subscribe("r", &queue("s", "q0"))),
            K::BindingKeyMissing
        );
        h.store
            .subscribe("r", &bound(queue("s", "q0"), &["#"]))
            .unwrap();
        h.store.subscribe("t", &queue("s", "q0")).unwrap();
        assert_eq!(
            kind(h.store.subscribe("t", &http("S", "http://a.com"))),
            K::SubscriptionAlreadyExists
        );
        h.store.subscribe("t", &http("s2", "http://a.com")).unwrap();
        assert_eq!(
            kind(h.store.subscribe("t", &http("s3", "http://a.com"))),
            K::SubscriptionQuotaExceeded
        );
        // The same name on another topic is fine.
        h.store
            .subscribe("r", &bound(queue("s2", "q0"), &["#"]))
            .unwrap();
        assert_eq!(
            kind(h.store.unsubscribe("t", "nope")),
            K::SubscriptionNotExist
        );
        assert_eq!(kind(h.store.unsubscribe("nope", "s")), K::TopicNotExist);
        assert_eq!(
            kind(h.store.subscription_attributes("t", "nope")),
            K::SubscriptionNotExist
        );
        assert_eq!(
            kind(h.store.subscription_attributes("nope", "s")),
            K::TopicNotExist
        );
        assert_eq!(
            kind(h.store.clear_subscription_filter_tags("t", "nope")),
            K::SubscriptionNotExist
        );
    }

    #[test]
    fn list_subscriptions_pages_in_creation_order() {
        let h = harness();
        h.store.create_topic(&topic("t")).unwrap();
        let ids: Vec<String> = ["web1", "queue1", "web2"]
            .iter()
            .map(|n| {
                let req = if n.starts_with("web") {
                    http(n, "http://a.com/h")
                } else {
                    queue(n, "q1")
                };
                h.store.subscribe("t", &req).unwrap()
            })
            .collect();
        let page = h.store.list_subscriptions("T", None, 0, 20).unwrap();
        assert_eq!(page.total_count, 3);
        assert_eq!(
            page.items[1],
            SubscriptionSummary {
                subscription_id: ids[1].clone(),
                subscription_name: "queue1".into(),
                protocol: Protocol::Queue,
                endpoint: "q1".into()
            }
        );
        let names = |p: Page<SubscriptionSummary>| {
            (
                p.total_count,
                p.items
                    .into_iter()
                    .map(|s| s.subscription_name)
                    .collect::<Vec<_>>(),
            )
        };
        assert_eq!(
            names(h.store.list_subscriptions("t", Some("WEB"), 0, 20).unwrap()),
            (2, strs(&["web1", "web2"]))
        );
        assert_eq!(
            names(h.store.list_subscriptions("t", None, 1, 1).unwrap()),
            (3, strs(&["queue1"]))
        );
        assert_eq!(
            names(h.store.list_subscriptions("t", None, 5, 1).unwrap()),
            (3, vec![])
        );
        assert_eq!(
            kind(h.store.list_subscriptions("nope", None, 0, 20)),
            K::TopicNotExist
        );
    }

    #[test]
    fn set_subscription_attributes_replaces() {
        let h = harness();
        h.store.create_topic(&topic("t")).unwrap();
        h.store.create_topic(&routing_topic("r")).unwrap();
        h.store
            .subscribe("t", &tagged(http("s", "http://a.com"), &["a", "b"]))
            .unwrap();
        h.clock.advance(Duration::from_secs(7));
        let update = SubscriptionUpdate {
            notify_strategy: Some(NotifyStrategy::BackoffRetry),
            notify_content_format: Some(NotifyContentFormat::Simplified),
            filter_tags: Some(strs(&["c"])),
            binding_keys: Some(strs(&["x.*"])),
        };
        h.store
            .set_subscription_attributes("t", "S", &update)
            .unwrap();
        let a = h.store.subscription_attributes("t", "s").unwrap();
        assert_eq!(a.notify_strategy, NotifyStrategy::BackoffRetry);
        assert_eq!(a.notify_content_format, NotifyContentFormat::Simplified);
        assert_eq!(a.filter_tags, strs(&["c"]));
        assert_eq!(a.binding_keys, strs(&["x.*"]));
        assert_eq!(
            (a.create_time, a.last_modify_time),
            (T0 / 1000, T0 / 1000 + 7)
        );
        // Leaving everything out changes nothing but lastModifyTime.
        h.clock.advance(Duration::from_secs(1));
        h.store
            .set_subscription_attributes("t", "s", &SubscriptionUpdate::default())
            .unwrap();
        let b = h.store.subscription_attributes("t", "s").unwrap();
        assert_eq!(
            (b.filter_tags.clone(), b.last_modify_time),
            (strs(&["c"]), T0 / 1000 + 8)
        );
        h.store.clear_subscription_filter_tags("t", "s").unwrap();
        assert!(
            h.store
                .subscription_attributes("t", "s")
                .unwrap()
                .filter_tags
                .is_empty()
        );

        let too_many = SubscriptionUpdate {
            filter_tags: Some(strs(&["1", "2", "3", "4", "5", "6"])),
            ..Default::default()
        };
        assert_eq!(
            kind(h.store.set_subscription_attributes("t", "s", &too_many)),
            K::FilterTagNumberExceeded
        );
        let too_many = SubscriptionUpdate {
            binding_keys: Some(strs(&["1", "2", "3", "4", "5", "6"])),
            ..Default::default()
        };
        assert_eq!(
            kind(h.store.set_subscription_attributes("t", "s", &too_many)),
            K::TooManyBindingKeys
        );
        h.store.subscribe("t", &queue("q", "q0")).unwrap();
        let json = SubscriptionUpdate {
            notify_content_format: Some(NotifyContentFormat::Json),
            ..Default::default()
        };
        assert_eq!(
            kind(h.store.set_subscription_attributes("t", "q", &json)),
            K::QueueProtocolRequiresSimplified
        );
        h.store
            .subscribe("r", &bound(queue("q", "q0"), &["#"]))
            .unwrap();
        let empty = SubscriptionUpdate {
            binding_keys: Some(vec![]),
            ..Default::default()
        };
        assert_eq!(
            kind(h.store.set_subscription_attributes("r", "q", &empty)),
            K::BindingKeyMissing
        );
        h.store
            .set_subscription_attributes("t", "s", &empty)
            .unwrap();
        assert_eq!(
            kind(h.store.set_subscription_attributes("t", "nope", &empty)),
            K::SubscriptionNotExist
        );
        assert_eq!(
            kind(h.store.set_subscription_attributes("nope", "s", &empty)),
            K::TopicNotExist
        );
    }

    // --- publishing and fan-out to queues ----------------------------------------------------

    #[test]
    fn publish_errors() {
        let h = harness();
        h.store.create_topic(&topic("t")).unwrap();
        h.store.create_topic(&routing_topic("r")).unwrap();
        assert_eq!(
            kind(h.store.publish("nope", "x", &[], None)),
            K::TopicNotExist
        );
        assert_eq!(
            kind(h.store.publish("t", "x", &[], None)),
            K::TopicHasNoSubscription
        );
        assert_eq!(
            kind(h.store.publish("r", "x", &[], None)),
            K::RoutingKeyMissing
        );
        assert_eq!(
            kind(h.store.publish("r", "x", &[], Some("a"))),
            K::TopicHasNoSubscription
        );
        h.store
            .subscribe("t", &tagged(queue("s", "q0"), &["a"]))
            .unwrap();
        assert_eq!(
            kind(h.store.publish("t", "x", &[], None)),
            K::NoSubscriptionMatched
        );
        assert_eq!(
            kind(h.store.publish("t", "x", &strs(&["b"]), None)),
            K::NoSubscriptionMatched
        );
        assert_eq!(
            kind(h.store.publish("t", "", &strs(&["a"]), None)),
            K::MessageBodyEmpty
        );
        assert_eq!(
            kind(
                h.store
                    .publish("t", "x", &strs(&["1", "2", "3", "4", "5", "a"]), None)
            ),
            K::TooManyMsgTags
        );
        assert_eq!(
            kind(
                h.store
                    .publish("t", "x", &strs(&["a", "0123456789abcdefg"]), None)
            ),
            K::ValueOutOfRange
        );
        assert_eq!(
            kind(
                h.store
                    .publish("t", &"x".repeat(65_537), &strs(&["a"]), None)
            ),
            K::MessageTooLarge
        );
        h.store
            .publish("t", &"x".repeat(65_536), &strs(&["a"]), None)
            .unwrap();
        h.store.set_topic_attributes("t", Some(1024)).unwrap();
        assert_eq!(
            kind(h.store.publish("t", &"x".repeat(1025), &strs(&["a"]), None)),
            K::MessageTooLarge
        );
        h.store
            .publish("t", &"x".repeat(1024), &strs(&["a"]), None)
            .unwrap();
        // Routing keys.
        h.store
            .subscribe("r", &bound(queue("star", "q1"), &["*"]))
            .unwrap();
        assert_eq!(
            kind(h.store.publish("r", "x", &[], Some(""))),
            K::NoSubscriptionMatched
        );
        assert_eq!(
            kind(h.store.publish("r", "x", &[], Some("a.*"))),
            K::ValueOutOfRange
        );
        assert_eq!(
            kind(h.store.publish("r", "x", &[], Some("a.#"))),
            K::ValueOutOfRange
        );
        assert_eq!(
            kind(h.store.publish("r", "x", &[], Some(&["a"; 17].join(".")))),
            K::TooManyDelimiters
        );
        assert_eq!(
            kind(h.store.publish("r", "x", &[], Some(&"a".repeat(65)))),
            K::ValueOutOfRange
        );
        h.store.publish("r", "x", &[], Some("a")).unwrap();
        h.store
            .subscribe("r", &bound(queue("hash", "q2"), &["#"]))
            .unwrap();
        // An empty routing key is present: it matches `#` but not `*`.
        h.store.publish("r", "empty", &[], Some("")).unwrap();
        assert_eq!(h.sink.bodies("q2"), strs(&["empty"]));
        assert_eq!(h.sink.bodies("q1"), strs(&["x"]));
    }

    #[test]
    fn batch_publish_limits() {
        let h = harness();
        h.store.create_topic(&topic("t")).unwrap();
        h.store.subscribe("t", &queue("s", "q0")).unwrap();
        let none: [&str; 0] = [];
        assert_eq!(
            kind(h.store.batch_publish("t", &none, &[], None)),
            K::BatchSizeOutOfRange
        );
        let seventeen = vec!["m"; 17];
        let err = h
            .store
            .batch_publish("t", &seventeen, &[], None)
            .unwrap_err();
        assert_eq!(
            (err.kind, err.message.as_str()),
            (
                K::BatchSizeOutOfRange,
                "msgBody parameter batch size is out of range"
            )
        );
        assert_eq!(
            kind(h.store.batch_publish("t", &["a", ""], &[], None)),
            K::MessageBodyEmpty
        );
        let half = "x".repeat(32_768);
        let ids = h
            .store
            .batch_publish("t", &[half.as_str(), half.as_str()], &[], None)
            .unwrap();
        assert_eq!(ids.len(), 2);
        let over = [half.clone(), half.clone(), "y".to_string()];
        assert_eq!(
            kind(h.store.batch_publish("t", &over, &[], None)),
            K::BatchTotalSizeTooLarge
        );
        h.store.set_topic_attributes("t", Some(1024)).unwrap();
        assert_eq!(
            kind(h.store.batch_publish("t", &["a".repeat(1025)], &[], None)),
            K::MessageTooLarge
        );
        assert_eq!(
            kind(h.store.batch_publish("nope", &["a"], &[], None)),
            K::TopicNotExist
        );
        let sixteen: Vec<String> = (0..16).map(|i| format!("m{i}")).collect();
        let ids = h.store.batch_publish("t", &sixteen, &[], None).unwrap();
        assert_eq!(ids.len(), 16);
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 16);
        assert!(ids.iter().all(|id| id.parse::<u64>().is_ok()));
        assert_eq!(h.sink.bodies("q0")[2..], sixteen[..]);
    }

    #[test]
    fn fan_out_to_queue_subscriptions_by_tag() {
        let h = harness();
        h.store.create_topic(&topic("t")).unwrap();
        h.store.subscribe("t", &queue("all", "q0")).unwrap();
        h.store
            .subscribe("t", &tagged(queue("a", "Q1"), &["a", "z"]))
            .unwrap();
        h.store
            .subscribe("t", &tagged(queue("b", "q2"), &["b"]))
            .unwrap();
        let id = h.store.publish("t", "tag-a", &strs(&["a"]), None).unwrap();
        h.store.publish("t", "untagged", &[], None).unwrap();
        h.store
            .batch_publish("t", &["b1", "b2"], &strs(&["b", "x"]), None)
            .unwrap();
        h.store
            .publish("t", "ab", &strs(&["b", "a"]), None)
            .unwrap();
        assert_eq!(
            h.sink.bodies("q0"),
            strs(&["tag-a", "untagged", "b1", "b2", "ab"])
        );
        assert_eq!(h.sink.bodies("q1"), strs(&["tag-a", "ab"]));
        assert_eq!(h.sink.bodies("q2"), strs(&["b1", "b2", "ab"]));
        let recs = h.log.matching(|r| r.msg_id == id);
        assert_eq!(recs.len(), 2);
        assert!(
            recs.iter()
                .all(|r| r.protocol == Protocol::Queue && r.attempt == 1 && r.time_ms == T0)
        );
        assert!(matches!(&recs[0].outcome, DeliveryOutcome::Enqueued { .. }));
        assert_eq!(
            (recs[0].subscription.as_str(), recs[0].endpoint.as_str()),
            ("all", "q0")
        );
        assert_eq!(recs[1].endpoint, "Q1");
        assert_eq!(recs[0].owner, "1250000000");
        // Queue subscriptions never count as backlog.
        assert_eq!(msg_count(&h, "t"), 0);
        assert_eq!(sub_count(&h, "t", "all"), 0);
        // Re-tagging replaces the tags.
        h.store
            .set_subscription_attributes(
                "t",
                "a",
                &SubscriptionUpdate {
                    filter_tags: Some(strs(&["b"])),
                    ..Default::default()
                },
            )
            .unwrap();
        h.store.publish("t", "only-b", &strs(&["b"]), None).unwrap();
        h.store.publish("t", "only-a", &strs(&["a"]), None).unwrap();
        assert_eq!(h.sink.bodies("q1"), strs(&["tag-a", "ab", "only-b"]));
        h.store.clear_subscription_filter_tags("t", "a").unwrap();
        h.store.publish("t", "any", &[], None).unwrap();
        assert_eq!(h.sink.bodies("q1").last().map(String::as_str), Some("any"));
    }

    #[test]
    fn fan_out_by_routing_key() {
        let h = harness();
        h.store.create_topic(&routing_topic("r")).unwrap();
        h.store
            .subscribe("r", &bound(queue("hash", "q0"), &["#"]))
            .unwrap();
        h.store
            .subscribe("r", &bound(queue("star", "q1"), &["*.x", "nope"]))
            .unwrap();
        h.store
            .subscribe(
                "r",
                &tagged(bound(queue("mid", "q2"), &["1.#.0"]), &["ignored"]),
            )
            .unwrap();
        for key in ["", "a.x", "1.0", "1.2.3.4.4.2.2.0", "a.b.x", "1.x"] {
            let body = if key.is_empty() { "empty-key" } else { key };
            h.store
                .publish("r", body, &strs(&["t"]), Some(key))
                .unwrap();
        }
        assert_eq!(h.sink.bodies("q0").len(), 6);
        assert_eq!(h.sink.bodies("q1"), strs(&["a.x", "1.x"]));
        assert_eq!(h.sink.bodies("q2"), strs(&["1.0", "1.2.3.4.4.2.2.0"]));
        assert_eq!(
            kind(h.store.publish("r", "x", &[], None)),
            K::RoutingKeyMissing
        );
        h.store.unsubscribe("r", "hash").unwrap();
        assert_eq!(
            kind(h.store.publish("r", "zz", &[], Some("z"))),
            K::NoSubscriptionMatched
        );
        h.store
            .batch_publish("r", &["k1", "k2"], &[], Some("k.x"))
            .unwrap();
        assert_eq!(h.sink.bodies("q1")[2..], strs(&["k1", "k2"])[..]);
    }

    #[test]
    fn fan_out_failure_is_logged_not_returned() {
        let h = harness();
        h.store.create_topic(&topic("t")).unwrap();
        h.store.subscribe("t", &queue("s", "q0")).unwrap();
        h.sink.delete("q0");
        let id = h.store.publish("t", "x", &[], None).unwrap();
        let recs = h.log.matching(|r| r.msg_id == id);
        assert_eq!(recs.len(), 1);
        assert_eq!(
            recs[0].outcome,
            DeliveryOutcome::EnqueueFailed {
                error: "(4440) queue is not existed".into()
            }
        );
    }

    // --- push --------------------------------------------------------------------------------

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn push_json_headers_and_body_are_exact() {
        let h = harness();
        let rx = Receiver::always(200).await;
        h.store.create_topic(&topic("Orders")).unwrap();
        h.store
            .subscribe("orders", &http("Web", &rx.url("/hook/a")))
            .unwrap();
        let id = h
            .store
            .publish("orders", "hello \"world\"", &strs(&["a", "b"]), None)
            .unwrap();
        let rec = record(&h.log, |r| r.msg_id == id).await;
        assert_eq!(rec.outcome, DeliveryOutcome::Delivered { status: 200 });
        assert_eq!(
            (
                rec.attempt,
                rec.time_ms,
                rec.latency_ms,
                rec.next_attempt_ms
            ),
            (1, T0, Some(0), None)
        );
        assert_eq!(
            (rec.topic.as_str(), rec.subscription.as_str(), rec.protocol),
            ("Orders", "Web", Protocol::Http)
        );
        let got = rx.received();
        assert_eq!(got.len(), 1);
        let req = &got[0];
        assert_eq!(
            (req.method.as_str(), req.path.as_str()),
            ("POST", "/hook/a")
        );
        assert_eq!(
            req.headers.get("content-type").map(String::as_str),
            Some("text/plain")
        );
        assert_eq!(
            req.headers.get("user-agent").map(String::as_str),
            Some("Qcloud Notification Service Agent")
        );
        assert_eq!(req.headers.get("x-cmq-message-id"), Some(&id));
        assert_eq!(
            req.headers.get("x-cmq-message-tag").map(String::as_str),
            Some("a, b")
        );
        assert_eq!(req.headers.get("x-cmq-request-id"), rec.request_id.as_ref());
        assert!(rec.request_id.as_ref().is_some_and(|r| !r.is_empty()));
        let expected = format!(
            r#"{{"TopicOwner":"1250000000","topicName":"Orders","subscriptionName":"Web","msgId":"{id}","msgBody":"hello \"world\"","publishTime":{}}}"#,
            T0 / 1000
        );
        assert_eq!(req.body, expected);
        assert_eq!(msg_count(&h, "orders"), 0);
        assert_eq!(sub_count(&h, "orders", "web"), 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn push_simplified_body_without_tags() {
        let h = harness();
        let rx = Receiver::always(204).await;
        h.store.create_topic(&topic("t")).unwrap();
        let mut s = http("s", &rx.url("/"));
        s.notify_content_format = Some(NotifyContentFormat::Simplified);
        h.store.subscribe("t", &s).unwrap();
        let id = h.store.publish("t", "raw body ✓", &[], None).unwrap();
        let rec = record(&h.log, |r| r.msg_id == id).await;
        assert_eq!(rec.outcome, DeliveryOutcome::Delivered { status: 204 });
        let req = &rx.received()[0];
        assert_eq!(req.body, "raw body ✓");
        assert!(!req.headers.contains_key("x-cmq-message-tag"));
        assert_eq!(req.headers.get("x-cmq-message-id"), Some(&id));
        assert_eq!(
            req.headers.get("content-type").map(String::as_str),
            Some("text/plain")
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn any_2xx_succeeds_and_3xx_fails() {
        let h = harness();
        let rx = Receiver::start(|r| match r.path.as_str() {
            "/201" => Reply::Status(201),
            "/299" => Reply::Status(299),
            _ => Reply::Status(302),
        })
        .await;
        h.store.create_topic(&topic("t")).unwrap();
        for p in ["201", "299", "302"] {
            h.store
                .subscribe("t", &http(&format!("s{p}"), &rx.url(&format!("/{p}"))))
                .unwrap();
        }
        let id = h.store.publish("t", "m", &[], None).unwrap();
        let outcome = |s: &'static str| {
            let id = id.clone();
            let log = h.log.clone();
            async move {
                record(&log, move |r| r.msg_id == id && r.subscription == s)
                    .await
                    .outcome
            }
        };
        assert_eq!(
            outcome("s201").await,
            DeliveryOutcome::Delivered { status: 201 }
        );
        assert_eq!(
            outcome("s299").await,
            DeliveryOutcome::Delivered { status: 299 }
        );
        assert_eq!(
            outcome("s302").await,
            DeliveryOutcome::Failed(PushFailure::Status(302))
        );
        assert_eq!(msg_count(&h, "t"), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn exponential_decay_retry_schedule_is_exact() {
        let h = harness();
        let rx = Receiver::always(500).await;
        h.store.create_topic(&topic("t")).unwrap();
        h.store
            .subscribe("t", &http("s", &rx.url("/fail")))
            .unwrap();
        let id = h.store.publish("t", "m", &[], None).unwrap();
        assert_eq!((msg_count(&h, "t"), sub_count(&h, "t", "s")), (1, 1));
        let mut expected_at = T0;
        for attempt in 1..=177u32 {
            let rec = record(&h.log, |r| {
                r.attempt == attempt && matches!(r.outcome, DeliveryOutcome::Failed(_))
            })
            .await;
            assert_eq!(
                rec.outcome,
                DeliveryOutcome::Failed(PushFailure::Status(500))
            );
            assert_eq!(rec.time_ms, expected_at, "attempt {attempt}");
            if attempt == 177 {
                assert_eq!(rec.next_attempt_ms, None);
                break;
            }
            let wait = if attempt <= 10 {
                1000 << (attempt - 1)
            } else {
                512_000
            };
            let wait = wait.min(512_000);
            assert_eq!(
                rec.next_attempt_ms,
                Some(expected_at + wait),
                "attempt {attempt}"
            );
            assert_eq!(
                next_deadline(&h.clock).await,
                Some(expected_at + wait),
                "attempt {attempt}"
            );
            expected_at += wait;
            // One millisecond early changes nothing.
            if attempt <= 2 {
                h.clock.set_ms(expected_at - 1);
                assert!(
                    h.log
                        .expect_none(|r| r.attempt == attempt + 1, QUIET)
                        .await
                        .is_none()
                );
            }
            h.clock.set_ms(expected_at);
        }
        assert_eq!(expected_at - T0, 86_015_000);
        let dropped = record(&h.log, |r| r.outcome == DeliveryOutcome::Dropped).await;
        assert_eq!(
            (dropped.attempt, dropped.time_ms, dropped.msg_id.as_str()),
            (177, T0 + 86_015_000, id.as_str())
        );
        assert_eq!(rx.received().len(), 177);
        assert_eq!((msg_count(&h, "t"), sub_count(&h, "t", "s")), (0, 0));
        assert_eq!(next_deadline_now(&h.clock).await, None);
    }

    /// The clock's next deadline once the worker has settled (used when none is expected).
    async fn next_deadline_now(clock: &Clock) -> Option<u64> {
        tokio::time::sleep(QUIET).await;
        clock.next_deadline_ms()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn backoff_retry_schedule_is_three_seeded_waits() {
        let h = harness();
        let rx = Receiver::always(503).await;
        h.store.create_topic(&topic("t")).unwrap();
        h.store
            .subscribe("t", &backoff(http("s", &rx.url("/"))))
            .unwrap();
        h.store.publish("t", "m", &[], None).unwrap();
        let mut rng = fastrand::Rng::with_seed(42);
        let waits: Vec<u64> = (0..3).map(|_| rng.u64(10_000..=20_000)).collect();
        let mut at = T0;
        for attempt in 1..=4u32 {
            let rec = record(&h.log, |r| {
                r.attempt == attempt && matches!(r.outcome, DeliveryOutcome::Failed(_))
            })
            .await;
            assert_eq!(
                rec.outcome,
                DeliveryOutcome::Failed(PushFailure::Status(503))
            );
            assert_eq!(rec.time_ms, at);
            if attempt == 4 {
                assert_eq!(rec.next_attempt_ms, None);
                break;
            }
            let w = waits[attempt as usize - 1];
            assert!((10_000..=20_000).contains(&w));
            assert_eq!(rec.next_attempt_ms, Some(at + w));
            assert_eq!(next_deadline(&h.clock).await, Some(at + w));
            at += w;
            h.clock.set_ms(at);
        }
        let dropped = record(&h.log, |r| r.outcome == DeliveryOutcome::Dropped).await;
        assert_eq!((dropped.attempt, dropped.time_ms), (4, at));
        assert_eq!(rx.received().len(), 4);
        assert_eq!(msg_count(&h, "t"), 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_answer_within_15_s_is_a_failure() {
        let h = harness();
        let rx = Receiver::start(|_| Reply::Hang).await;
        h.store.create_topic(&topic("t")).unwrap();
        h.store
            .subscribe("t", &http("s", &rx.url("/slow")))
            .unwrap();
        h.store.publish("t", "m", &[], None).unwrap();
        assert_eq!(rx.wait_count(1, WAIT).await.len(), 1);
        assert_eq!(h.clock.next_deadline_ms(), Some(T0 + 15_000));
        h.clock.advance(Duration::from_millis(14_999));
        assert!(h.log.expect_none(|_| true, QUIET).await.is_none());
        h.clock.advance(Duration::from_millis(1));
        let rec = record(&h.log, |_| true).await;
        assert_eq!(rec.outcome, DeliveryOutcome::Failed(PushFailure::Timeout));
        assert_eq!(
            (rec.time_ms, rec.latency_ms, rec.next_attempt_ms),
            (T0 + 15_000, Some(15_000), Some(T0 + 16_000))
        );
        // The retry goes out at +1 s and times out again 15 s later.
        h.clock.set_ms(T0 + 16_000);
        assert_eq!(rx.wait_count(2, WAIT).await.len(), 2);
        assert_eq!(next_deadline(&h.clock).await, Some(T0 + 31_000));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn connection_refused_is_a_failure() {
        let h = harness();
        let port = {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            l.local_addr().unwrap().port()
        };
        h.store.create_topic(&topic("t")).unwrap();
        h.store
            .subscribe(
                "t",
                &backoff(http("s", &format!("http://127.0.0.1:{port}/"))),
            )
            .unwrap();
        h.store.publish("t", "m", &[], None).unwrap();
        let rec = record(&h.log, |_| true).await;
        assert!(
            matches!(
                rec.outcome,
                DeliveryOutcome::Failed(PushFailure::Transport(_))
            ),
            "{rec:?}"
        );
        assert!(rec.next_attempt_ms.is_some());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn delivery_is_fifo_per_subscription() {
        let h = harness();
        let mut first = true;
        let rx = Receiver::start(move |_| {
            let r = if first {
                Reply::Status(500)
            } else {
                Reply::Status(200)
            };
            first = false;
            r
        })
        .await;
        h.store.create_topic(&topic("t")).unwrap();
        h.store.subscribe("t", &http("s", &rx.url("/"))).unwrap();
        let ids: Vec<String> = ["m1", "m2", "m3"]
            .iter()
            .map(|b| h.store.publish("t", b, &[], None).unwrap())
            .collect();
        assert_eq!((msg_count(&h, "t"), sub_count(&h, "t", "s")), (3, 3));
        let fail = record(&h.log, |_| true).await;
        assert_eq!(
            (fail.msg_id.as_str(), fail.next_attempt_ms),
            (ids[0].as_str(), Some(T0 + 1000))
        );
        // Nothing overtakes the failed head while it waits for its retry.
        assert!(
            h.log
                .expect_none(|r| r.msg_id != ids[0], QUIET)
                .await
                .is_none()
        );
        assert_eq!(rx.received().len(), 1);
        h.clock.set_ms(T0 + 1000);
        let done = h
            .log
            .wait_for_count(
                3,
                |r| matches!(r.outcome, DeliveryOutcome::Delivered { .. }),
                WAIT,
            )
            .await
            .unwrap();
        assert_eq!(
            done.iter().map(|r| r.msg_id.clone()).collect::<Vec<_>>(),
            ids
        );
        let bodies: Vec<String> = rx
            .received()
            .into_iter()
            .map(|r| {
                serde_json::from_str::<serde_json::Value>(&r.body).unwrap()["msgBody"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(bodies, strs(&["m1", "m1", "m2", "m3"]));
        assert_eq!((msg_count(&h, "t"), sub_count(&h, "t", "s")), (0, 0));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn msg_count_tracks_pending_http_deliveries() {
        let h = harness();
        let rx = Receiver::start(|r| {
            if r.path == "/ok" {
                Reply::Status(200)
            } else {
                Reply::Status(500)
            }
        })
        .await;
        h.store.create_topic(&topic("t")).unwrap();
        h.store.subscribe("t", &http("ok", &rx.url("/ok"))).unwrap();
        h.store
            .subscribe("t", &backoff(http("bad", &rx.url("/bad"))))
            .unwrap();
        h.store.subscribe("t", &queue("q", "q0")).unwrap();
        h.store
            .subscribe("t", &tagged(http("never", &rx.url("/ok")), &["zzz"]))
            .unwrap();
        let ids = h.store.batch_publish("t", &["a", "b"], &[], None).unwrap();
        assert_eq!(msg_count(&h, "t"), 2);
        assert_eq!(sub_count(&h, "t", "q"), 0);
        assert_eq!(sub_count(&h, "t", "never"), 0);
        h.log
            .wait_for_count(2, |r| r.subscription == "ok" && r.outcome.is_final(), WAIT)
            .await
            .unwrap();
        assert_eq!(sub_count(&h, "t", "ok"), 0);
        assert_eq!(sub_count(&h, "t", "bad"), 2);
        assert_eq!(msg_count(&h, "t"), 2);
        // Drive "bad" until both messages are dropped.
        let mut cursor = 0;
        for (i, id) in ids.iter().enumerate() {
            loop {
                let rec = h
                    .log
                    .wait_for_from(cursor, |r| r.subscription == "bad", WAIT)
                    .await
                    .expect("record");
                cursor = rec.seq + 1;
                assert_eq!(&rec.msg_id, id);
                if rec.outcome == DeliveryOutcome::Dropped {
                    break;
                }
                if let Some(next) = rec.next_attempt_ms {
                    h.clock.set_ms(next);
                }
            }
            assert_eq!(msg_count(&h, "t"), 1 - i as u64);
            assert_eq!(sub_count(&h, "t", "bad"), 1 - i as u64);
        }
        assert_eq!(h.sink.bodies("q0"), strs(&["a", "b"]));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn undelivered_messages_expire_86400_s_after_publishing() {
        let h = harness();
        let rx = Receiver::always(500).await;
        h.store.create_topic(&topic("t")).unwrap();
        h.store.subscribe("t", &http("s", &rx.url("/"))).unwrap();
        let ids = h
            .store
            .batch_publish("t", &["m1", "m2", "m3"], &[], None)
            .unwrap();
        let expiry = T0 + 86_400_000;
        // Step through every retry until every message has a final record.
        let mut finals = Vec::new();
        let mut cursor = 0;
        while finals.len() < 3 {
            let rec = h
                .log
                .wait_for_from(cursor, |_| true, WAIT)
                .await
                .expect("record");
            cursor = rec.seq + 1;
            if rec.outcome.is_final() {
                finals.push(rec);
            } else if let Some(next) = rec.next_attempt_ms {
                let target = next.min(expiry);
                assert_eq!(next_deadline(&h.clock).await, Some(target));
                if rec.msg_id == ids[0] {
                    assert_eq!(msg_count(&h, "t"), 3);
                } else {
                    assert_eq!(msg_count(&h, "t"), 2);
                }
                h.clock.set_ms(target);
            }
        }
        assert_eq!(
            (finals[0].msg_id.as_str(), &finals[0].outcome),
            (ids[0].as_str(), &DeliveryOutcome::Dropped)
        );
        assert_eq!(finals[0].time_ms, T0 + 86_015_000);
        // m2 was tried at 86015, 86016, 86018, …, 86270 s; its next retry (86526 s) is too late.
        assert_eq!(
            (finals[1].msg_id.as_str(), &finals[1].outcome),
            (ids[1].as_str(), &DeliveryOutcome::Expired)
        );
        assert_eq!((finals[1].time_ms, finals[1].attempt), (expiry, 9));
        // m3 never reached the head.
        assert_eq!(
            (finals[2].msg_id.as_str(), &finals[2].outcome),
            (ids[2].as_str(), &DeliveryOutcome::Expired)
        );
        assert_eq!((finals[2].time_ms, finals[2].attempt), (expiry, 0));
        let m2_times: Vec<u64> = h
            .log
            .matching(|r| r.msg_id == ids[1] && !r.outcome.is_final())
            .iter()
            .map(|r| (r.time_ms - T0) / 1000)
            .collect();
        assert_eq!(
            m2_times,
            vec![
                86_015, 86_016, 86_018, 86_022, 86_030, 86_046, 86_078, 86_142, 86_270
            ]
        );
        assert_eq!((msg_count(&h, "t"), sub_count(&h, "t", "s")), (0, 0));
        assert_eq!(rx.received().len(), 177 + 9);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn unsubscribe_stops_delivery() {
        let h = harness();
        let rx = Receiver::always(500).await;
        h.store.create_topic(&topic("t")).unwrap();
        h.store.subscribe("t", &http("s", &rx.url("/"))).unwrap();
        h.store.subscribe("t", &queue("q", "q0")).unwrap();
        h.store.publish("t", "m1", &[], None).unwrap();
        h.store.publish("t", "m2", &[], None).unwrap();
        let fail = record(&h.log, |r| r.protocol == Protocol::Http).await;
        assert_eq!(msg_count(&h, "t"), 2);
        assert_eq!(next_deadline(&h.clock).await, fail.next_attempt_ms);
        h.store.unsubscribe("t", "s").unwrap();
        assert_eq!(msg_count(&h, "t"), 0);
        h.clock.set_ms(T0 + 1000);
        let from = h.log.cursor();
        assert!(
            h.log
                .expect_none_from(from, |_| true, QUIET)
                .await
                .is_none()
        );
        assert_eq!(rx.received().len(), 1);
        assert_eq!(next_deadline_now(&h.clock).await, None);
        assert_eq!(
            kind(h.store.subscription_attributes("t", "s")),
            K::SubscriptionNotExist
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn unsubscribe_cancels_an_attempt_in_flight() {
        let h = harness();
        let rx = Receiver::start(|_| Reply::Hang).await;
        h.store.create_topic(&topic("t")).unwrap();
        h.store.subscribe("t", &http("s", &rx.url("/"))).unwrap();
        h.store.publish("t", "m", &[], None).unwrap();
        rx.wait_count(1, WAIT).await;
        h.store.unsubscribe("t", "s").unwrap();
        h.store.delete_topic("t").unwrap();
        h.clock.advance(Duration::from_secs(20));
        assert!(h.log.expect_none(|_| true, QUIET).await.is_none());
        assert_eq!(h.clock.next_deadline_ms(), None);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn strategy_change_applies_to_the_next_failure_and_reset_stops_all() {
        let h = harness();
        let rx = Receiver::always(500).await;
        h.store.create_topic(&topic("t")).unwrap();
        h.store.subscribe("t", &http("s", &rx.url("/"))).unwrap();
        h.store.publish("t", "m", &[], None).unwrap();
        let first = record(&h.log, |_| true).await;
        assert_eq!(first.next_attempt_ms, Some(T0 + 1000));
        let update = SubscriptionUpdate {
            notify_strategy: Some(NotifyStrategy::BackoffRetry),
            ..Default::default()
        };
        h.store
            .set_subscription_attributes("t", "s", &update)
            .unwrap();
        h.clock.set_ms(T0 + 1000);
        let second = record(&h.log, |r| r.attempt == 2).await;
        let wait = second.next_attempt_ms.unwrap() - (T0 + 1000);
        assert!((10_000..=20_000).contains(&wait), "{wait}");
        h.store.reset();
        assert_eq!(h.store.list_topics(None, 0, 10).total_count, 0);
        h.clock.set_ms(second.next_attempt_ms.unwrap());
        assert!(h.log.expect_none(|r| r.attempt == 3, QUIET).await.is_none());
        // A name removed by reset can be created again at once.
        h.store.create_topic(&topic("t")).unwrap();
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// Fan-out to queue subscriptions agrees with the tag rules, message by message, in order.
        #[test]
        fn fan_out_agrees_with_tag_rules(
            filters in proptest::collection::vec(proptest::collection::vec("[abc]", 0..3), 1..4),
            msgs in proptest::collection::vec(proptest::collection::vec("[abcd]", 0..3), 1..8),
        ) {
            let h = harness();
            h.store.create_topic(&topic("t")).unwrap();
            let queues = ["q0", "q1", "q2", "q3"];
            h.sink.queues.lock().unwrap().insert("q3".into(), Vec::new());
            for (i, f) in filters.iter().enumerate() {
                let mut req = queue(&format!("s{i}"), queues[i]);
                req.filter_tags = f.clone();
                h.store.subscribe("t", &req).unwrap();
            }
            let mut expected: Vec<Vec<String>> = vec![Vec::new(); filters.len()];
            for (n, tags) in msgs.iter().enumerate() {
                let body = format!("m{n}");
                let hits: Vec<usize> =
                    (0..filters.len()).filter(|&i| routing::tags_match(&filters[i], tags)).collect();
                let res = h.store.publish("t", &body, tags, None);
                if hits.is_empty() {
                    proptest::prop_assert_eq!(res.map_err(|e| e.kind), Err(K::NoSubscriptionMatched));
                } else {
                    proptest::prop_assert!(res.is_ok());
                    for i in hits {
                        expected[i].push(body.clone());
                    }
                }
            }
            for (i, want) in expected.iter().enumerate() {
                proptest::prop_assert_eq!(&h.sink.bodies(queues[i]), want);
            }
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_publishers_deliver_everything_once_per_subscription() {
        let h = Arc::new(harness());
        let rx = Receiver::always(200).await;
        h.store.create_topic(&topic("t")).unwrap();
        h.store.subscribe("t", &http("a", &rx.url("/a"))).unwrap();
        h.store.subscribe("t", &http("b", &rx.url("/b"))).unwrap();
        h.store.subscribe("t", &queue("q", "q0")).unwrap();
        let mut tasks = Vec::new();
        for p in 0..4 {
            let h = h.clone();
            tasks.push(tokio::spawn(async move {
                (0..25)
                    .map(|i| {
                        h.store
                            .publish("t", &format!("p{p}-{i}"), &[], None)
                            .unwrap()
                    })
                    .collect::<Vec<_>>()
            }));
        }
        let mut ids = Vec::new();
        for t in tasks {
            ids.extend(t.await.unwrap());
        }
        assert_eq!(ids.len(), 100);
        let delivered = h
            .log
            .wait_for_count(
                200,
                |r| matches!(r.outcome, DeliveryOutcome::Delivered { .. }),
                WAIT,
            )
            .await
            .unwrap();
        for sub in ["a", "b"] {
            let mut got: Vec<String> = delivered
                .iter()
                .filter(|r| r.subscription == sub)
                .map(|r| r.msg_id.clone())
                .collect();
            got.sort();
            let mut want = ids.clone();
            want.sort();
            assert_eq!(got, want, "{sub}");
        }
        assert_eq!(h.sink.bodies("q0").len(), 100);
        assert_eq!(rx.received().len(), 200);
        assert_eq!(msg_count(&h, "t"), 0);
        // Per publisher, each subscription saw the messages in publish order.
        for sub in ["/a", "/b"] {
            for p in 0..4 {
                let prefix = format!("p{p}-");
                let seq: Vec<usize> = rx
                    .received()
                    .into_iter()
                    .filter(|r| r.path == sub)
                    .filter_map(|r| {
                        let v: serde_json::Value = serde_json::from_str(&r.body).ok()?;
                        v["msgBody"].as_str()?.strip_prefix(&prefix)?.parse().ok()
                    })
                    .collect();
                assert_eq!(seq, (0..25).collect::<Vec<_>>());
            }
        }
    }
}
