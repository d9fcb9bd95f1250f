//! Topics and subscriptions of an account, publishing, fan-out and push.
//!
//! An account keeps its topics in a `RwLock<HashMap<lower-cased name, Arc<Topic>>>`; each topic
//! has its own lock, and each subscription its own, so publishing to one topic never waits for
//! another. Publishing ([`fanout`]) sends a message to every matching subscription ([`filter`]):
//! a `queue` subscription gets it at once through the account's own send path (the one
//! SendMessage uses), an `http` subscription through its push channel ([`push`]). Every fan-out
//! and push attempt lands in the engine's delivery log ([`deliveries`]).
//!
//! * [`topic`]: create, list, attributes, delete.
//! * [`subscription`]: subscribe, list, attributes, change, clear filter tags, unsubscribe.
//!
//! Choices where the service's documentation is silent:
//! * Topic **and subscription** names are unique case-insensitively, and every lookup by name is
//!   case-insensitive; answers carry the name as created.
//! * A `queue` subscription whose queue does not exist is refused with IllegalEndpoint
//!   (4000/10630); a queue deleted later makes each fan-out fail, logged as `EnqueueFailed`.
//! * Parameter checks run before state checks: the enumerated values, name formats, endpoint,
//!   content format, tag and key counts and lengths, then the topic's existence, then
//!   BindingKeyMissing / RoutingKeyMissing, then message sizes, then uniqueness and quotas
//!   (subscribe) or TopicHasNoSubscription / NoSubscriptionMatched (publish).
//! * A protocol, strategy or format the spec does not know (`Other`) answers UndefinedProtocol,
//!   UndefinedNotifyStrategy or UndefinedNotifyContentFormat. An `http` endpoint must start with
//!   `http://`, or `https://` where [`Limits::https_endpoints`] allows it (the spec refuses it on
//!   every profile; cmq-mock can allow it); the scheme may be in any case.
//! * Names follow the profile's rule ([`Limits::topic_name`], [`Limits::subscription_name`]; a
//!   queue subscription's endpoint [`Limits::queue_name`]).
//! * Filter tags given to a routing-key topic's subscription (and binding keys on a tag topic)
//!   are stored and reported but play no part in matching.
//! * Publishing: too many message tags answer TooManyMsgTags (4000/10720), too many dots in a
//!   routing key TooManyDelimiters (4000/10691). Subscribing: too many filter tags
//!   FilterTagNumberExceeded (4000/10490), too many binding keys TooManyBindingKeys (4000/10680).
//!   Lengths and wildcards answer ValueOutOfRange (4000/10350). The limits are the spec's
//!   ([`filter`]'s constants).
//! * A batch publish with no body or more than the batch limit answers BatchSizeOutOfRange
//!   (4000/10370); an empty body answers MessageBodyEmpty (4000/10120); the batch total counts
//!   body bytes only.
//! * A topic's `msg_count` counts messages that at least one `http` subscription still has to
//!   push; a subscription's counts its queued messages (always 0 for `queue` subscriptions,
//!   which receive synchronously).
//! * A topic whose name was deleted less than [`Limits::recreate_block`] ago cannot be
//!   created again (TopicReleasing 6040/10660); a zero block relaxes the rule.
//! * Topic ids are `topic-` + 10 random lower-case letters/digits, subscription ids
//!   `subscription-` + 10 of them; message ids are decimal strings from a per-account counter that
//!   starts at a random 13-digit number.
//! * Changing a topic's or subscription's attributes, or clearing its filter tags, updates its
//!   last-modify time even when no value changes.
//! * Binding keys changed to an empty list on a routing-key topic answer BindingKeyMissing; on a
//!   tag topic they clear the binding keys.
//!
//! [`Limits::recreate_block`]: crate::engine::Limits::recreate_block
//! [`Limits::https_endpoints`]: crate::engine::Limits::https_endpoints
//! [`Limits::topic_name`]: crate::engine::Limits::topic_name
//! [`Limits::subscription_name`]: crate::engine::Limits::subscription_name
//! [`Limits::queue_name`]: crate::engine::Limits::queue_name

pub(crate) mod activity;
mod backlog;
pub mod deliveries;
mod fanout;
pub mod filter;
pub(crate) mod persist;
pub mod push;
mod subscription;
mod topic;
pub mod types;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use cmq_sdk::generated::types::{NotifyContentFormat, NotifyStrategy, Protocol};

use self::filter::{FilterType, KeyProblem, MAX_BINDING_KEYS};
use self::push::PushChannel;
use super::error::{EngineError, EngineResult, ErrorKind};

/// One subscription of a topic.
pub(crate) struct Subscription {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) protocol: Protocol,
    pub(crate) endpoint: String,
    pub(crate) create_ms: u64,
    state: Mutex<SubState>,
    /// The push channel (protocol `http` only).
    pub(crate) push: Option<Arc<PushChannel>>,
}

/// What a subscription's attributes change.
pub(crate) struct SubState {
    pub(crate) strategy: NotifyStrategy,
    pub(crate) format: NotifyContentFormat,
    pub(crate) filter_tags: Vec<String>,
    pub(crate) binding_keys: Vec<String>,
    pub(crate) modify_ms: u64,
}

impl Subscription {
    pub(crate) fn lock(&self) -> MutexGuard<'_, SubState> {
        // Updates are plain assignments; a poisoned lock is still consistent.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One topic.
pub(crate) struct Topic {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) filter_type: FilterType,
    pub(crate) create_ms: u64,
    seq: u64,
    /// Messages still waiting for at least one http subscription (`msg_count`).
    pub(crate) backlog: Arc<AtomicU64>,
    state: Mutex<TopicState>,
}

/// What a topic's attributes and subscriptions change.
pub(crate) struct TopicState {
    pub(crate) max_msg_size: u64,
    pub(crate) modify_ms: u64,
    pub(crate) deleted: bool,
    /// In creation order.
    pub(crate) subs: Vec<Arc<Subscription>>,
}

impl Topic {
    pub(crate) fn lock(&self) -> MutexGuard<'_, TopicState> {
        // Every critical section leaves the state consistent; a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl TopicState {
    pub(crate) fn find(&self, name: &str) -> Option<&Arc<Subscription>> {
        self.subs.iter().find(|s| s.name.eq_ignore_ascii_case(name))
    }
}

/// The topics of one account (the account's methods in [`topic`], [`subscription`] and
/// [`fanout`] work on them).
pub(crate) struct Topics {
    map: RwLock<HashMap<String, Arc<Topic>>>,
    /// Lower-cased name → when it was deleted (Unix ms), for the re-create block.
    deleted: Mutex<HashMap<String, u64>>,
    next_seq: AtomicU64,
    next_msg_id: AtomicU64,
}

impl Default for Topics {
    fn default() -> Self {
        Self {
            map: RwLock::new(HashMap::new()),
            deleted: Mutex::new(HashMap::new()),
            next_seq: AtomicU64::new(0),
            next_msg_id: AtomicU64::new(1_000_000_000_000 + fastrand::u64(..8_000_000_000_000)),
        }
    }
}

impl Drop for Topics {
    fn drop(&mut self) {
        self.reset();
    }
}

impl Topics {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, Arc<Topic>>> {
        // Map operations are single inserts/removes; a poisoned lock is still consistent.
        self.map.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, Arc<Topic>>> {
        self.map.write().unwrap_or_else(|e| e.into_inner())
    }

    fn deleted(&self) -> MutexGuard<'_, HashMap<String, u64>> {
        self.deleted.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The topic called `name` (case-insensitively).
    pub(crate) fn get(&self, name: &str) -> EngineResult<Arc<Topic>> {
        self.read()
            .get(&name.to_lowercase())
            .cloned()
            .ok_or_else(|| e(ErrorKind::TopicNotExist))
    }

    /// The subscription `name` of topic `topic`, with its topic.
    pub(crate) fn subscription(
        &self,
        topic: &str,
        name: &str,
    ) -> EngineResult<(Arc<Topic>, Arc<Subscription>)> {
        let t = self.get(topic)?;
        let s = {
            let st = t.lock();
            if st.deleted {
                return Err(e(ErrorKind::TopicNotExist));
            }
            st.find(name)
                .cloned()
                .ok_or_else(|| e(ErrorKind::SubscriptionNotExist))?
        };
        Ok((t, s))
    }

    /// A fresh message id.
    pub(crate) fn next_msg_id(&self) -> String {
        self.next_msg_id.fetch_add(1, Ordering::Relaxed).to_string()
    }

    /// Removes every topic and subscription at once (no re-create block), stopping every push
    /// worker.
    pub(crate) fn reset(&self) {
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
        self.deleted().clear();
    }
}

pub(crate) fn e(kind: ErrorKind) -> EngineError {
    EngineError::new(kind)
}

/// An error whose text names parameter `param` (for the `%s` texts).
pub(crate) fn param(kind: ErrorKind, param: &str) -> EngineError {
    EngineError::with_detail(kind, param)
}

/// The longest `http` endpoint accepted (characters; the spec's `endpoint`).
pub(crate) const MAX_ENDPOINT_CHARS: usize =
    cmq_sdk::generated::constraints::subscribe::endpoint::MAX_LEN;

/// Checks an `http` endpoint: no whitespace (UrlContainsBlank 4510/10570), else `http://` (or
/// `https://` when `https` allows it; any case), a URL with a host, at most
/// [`MAX_ENDPOINT_CHARS`] characters (EndpointFormatError 4000/10500).
pub(crate) fn check_http_endpoint(endpoint: &str, https: bool) -> EngineResult<()> {
    if endpoint.chars().any(char::is_whitespace) {
        return Err(e(ErrorKind::UrlContainsBlank));
    }
    let lower = endpoint.get(..8).unwrap_or(endpoint).to_ascii_lowercase();
    let scheme_ok = lower.starts_with("http://") || (https && lower.starts_with("https://"));
    let url_ok =
        reqwest::Url::parse(endpoint).is_ok_and(|u| u.host_str().is_some_and(|h| !h.is_empty()));
    if !scheme_ok || !url_ok || endpoint.chars().count() > MAX_ENDPOINT_CHARS {
        return Err(e(ErrorKind::EndpointFormatError));
    }
    Ok(())
}

pub(crate) fn random_id(prefix: &str) -> String {
    const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut s = String::with_capacity(prefix.len() + 10);
    s.push_str(prefix);
    for _ in 0..10 {
        s.push(char::from(ALNUM[fastrand::usize(..ALNUM.len())]));
    }
    s
}

/// Checks tags against a limit of `(items, characters)`: too many answers `too_many`, a tag too
/// long ValueOutOfRange about `name`.
pub(crate) fn check_tags(
    tags: &[String],
    (max_items, max_chars): (usize, usize),
    too_many: ErrorKind,
    name: &str,
) -> EngineResult<()> {
    if tags.len() > max_items {
        return Err(e(too_many));
    }
    if tags
        .iter()
        .any(|t| filter::check_tag(t, max_chars).is_err())
    {
        return Err(param(ErrorKind::ValueOutOfRange, name));
    }
    Ok(())
}

pub(crate) fn key_error(problem: KeyProblem, name: &str) -> EngineError {
    match problem {
        KeyProblem::TooManyDots => e(ErrorKind::TooManyDelimiters),
        KeyProblem::TooLong | KeyProblem::Wildcard => param(ErrorKind::ValueOutOfRange, name),
    }
}

pub(crate) fn check_binding_keys(keys: &[String]) -> EngineResult<()> {
    if keys.len() > MAX_BINDING_KEYS {
        return Err(e(ErrorKind::TooManyBindingKeys));
    }
    for k in keys {
        filter::check_binding_key(k).map_err(|p| key_error(p, "bindingKey"))?;
    }
    Ok(())
}

/// A case-insensitive substring match (an absent or empty search word matches everything).
pub(crate) fn matches_search(name: &str, search_word: Option<&str>) -> bool {
    search_word
        .filter(|w| !w.is_empty())
        .is_none_or(|w| name.to_lowercase().contains(&w.to_lowercase()))
}

/// The content format a subscription gets when it names none: JSON for `http`, SIMPLIFIED for
/// `queue`.
pub(crate) fn default_format(protocol: &Protocol) -> NotifyContentFormat {
    match protocol {
        Protocol::Queue => NotifyContentFormat::Simplified,
        _ => NotifyContentFormat::Json,
    }
}
