//! The service's limits as the engine applies them, built once from the spec's generated layer
//! for one service generation ([`Profile`]): quotas, the re-create block and the delay rule from
//! [`Profile::facts`], the name rule from the profile's constraint table, the batch limits from
//! the typed constants. The engine reads them as plain fields on its hot path; nothing here is a
//! number typed by hand.

use std::time::Duration;

use cmq_sdk::constraints::{CharPattern, ParamSpec};
use cmq_sdk::generated::constraints::{
    batch_delete_message, batch_receive_message, batch_send_message, create_queue, create_topic,
    subscribe,
};
use cmq_sdk::generated::profiles::Profile;

/// The name rule of one kind of name (queues, topics, subscriptions): the pattern and length
/// bounds of its parameter in the profile's constraint table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameRule {
    /// Allowed characters (`None`: any).
    pub pattern: Option<CharPattern>,
    /// Fewest characters.
    pub min_len: usize,
    /// Most characters (`None`: no bound).
    pub max_len: Option<usize>,
}

impl NameRule {
    /// The rule of parameter `wire` in `table` (no rule when the table lacks it: the engine then
    /// accepts what the protocol layer let through).
    pub fn of(table: &[ParamSpec], wire: &str) -> NameRule {
        let spec = table.iter().find(|p| p.wire == wire);
        NameRule {
            pattern: spec.and_then(|p| p.pattern),
            min_len: spec.and_then(|p| p.min_len).unwrap_or(0),
            max_len: spec.and_then(|p| p.max_len),
        }
    }

    /// True when `name` follows the rule.
    pub fn allows(&self, name: &str) -> bool {
        let len = name.chars().count();
        len >= self.min_len
            && self.max_len.is_none_or(|m| len <= m)
            && self.pattern.is_none_or(|p| p.matches(name))
    }
}

/// Service limits that are quotas or rules of the service generation rather than static ranges
/// of a parameter (those are the protocol layer's), for queues and topics alike.
/// [`Limits::default`] is the real service of the default profile; [`Limits::for_profile`] the
/// real service of any profile; [`Limits::relax`] lifts the quotas for tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// The service generation these limits were built for.
    pub profile: Profile,
    /// Queues per account (4450/10220 beyond it).
    pub max_queues_per_account: usize,
    /// Topics per account (4450/10610 beyond it).
    pub max_topics_per_account: usize,
    /// Subscriptions per topic (4500/10480 beyond it).
    pub max_subscriptions_per_topic: usize,
    /// Messages per batch call (send, receive, delete; a protocol rule, never lifted).
    pub max_batch_size: usize,
    /// Sum of the message body bytes of one batch send (4470/10300 beyond it).
    pub max_batch_body_bytes: usize,
    /// Delayed messages a queue may hold before receives answer 6070/10690: receiving fails
    /// while a queue holds more than this many delayed messages.
    pub max_delayed_messages: usize,
    /// How long a deleted queue's or topic's name stays blocked (6040/10660); zero disables it.
    pub recreate_block: Duration,
    /// Source queues one dead-letter queue may serve (4000/10780 beyond it).
    pub max_dead_letter_sources: usize,
    /// Queue names (4000/10020 otherwise).
    pub queue_name: NameRule,
    /// Topic names (4000/10590 otherwise).
    pub topic_name: NameRule,
    /// Subscription names (4000/10580 otherwise).
    pub subscription_name: NameRule,
    /// Whether a send's delaySeconds must not exceed the queue's msgRetentionSeconds
    /// (4000/10692 otherwise).
    pub delay_within_retention: bool,
    /// Whether an `http` subscription's endpoint may start with `https://`.
    pub https_endpoints: bool,
    /// Messages the whole engine may store (every queue, every state, retained ones included);
    /// a send beyond it answers like a full queue (4410/10240). Not a service quota but the
    /// mock's own ceiling: [`Limits::relax`] keeps it.
    pub max_messages: u64,
    /// Bytes the whole engine may store, each message counted as its body's length plus
    /// [`MESSAGE_OVERHEAD_BYTES`](super::budget::MESSAGE_OVERHEAD_BYTES); a send beyond it
    /// answers like a full queue. [`Limits::relax`] keeps it.
    pub max_memory: u64,
}

/// The default of [`Limits::max_messages`] (the mock's own ceiling, not a service fact).
pub const DEFAULT_MAX_MESSAGES: u64 = 10_000_000;
/// The default of [`Limits::max_memory`]: 2 GiB (the mock's own ceiling, not a service fact).
pub const DEFAULT_MAX_MEMORY: u64 = 2 << 30;

impl Default for Limits {
    fn default() -> Self {
        Self::for_profile(Profile::DEFAULT)
    }
}

impl Limits {
    /// The real service's limits on `profile`.
    pub fn for_profile(profile: Profile) -> Self {
        let f = profile.facts();
        let queues = create_queue::table(profile);
        Self {
            profile,
            max_queues_per_account: f.queues_per_account,
            max_topics_per_account: f.topics_per_account,
            max_subscriptions_per_topic: f.subscriptions_per_topic,
            max_batch_size: batch_send_message::msg_body::MAX_ITEMS,
            max_batch_body_bytes: f.max_batch_body_bytes,
            max_delayed_messages: f.max_delayed_messages,
            recreate_block: f.recreate_block,
            max_dead_letter_sources: f.dead_letter_sources,
            queue_name: NameRule::of(queues, create_queue::QUEUE_NAME.wire),
            topic_name: NameRule::of(create_topic::table(profile), create_topic::TOPIC_NAME.wire),
            subscription_name: NameRule::of(
                subscribe::table(profile),
                subscribe::SUBSCRIPTION_NAME.wire,
            ),
            delay_within_retention: f.delay_within_retention,
            https_endpoints: f.https_endpoints,
            max_messages: DEFAULT_MAX_MESSAGES,
            max_memory: DEFAULT_MAX_MEMORY,
        }
    }

    /// The real service's limits (same as `default()`).
    pub fn strict() -> Self {
        Self::default()
    }

    /// The default profile's limits, relaxed (see [`Limits::relax`]).
    pub fn relaxed() -> Self {
        Self::default().relax()
    }

    /// These limits with the quotas lifted for tests: unlimited queues, topics, subscriptions,
    /// batch body total, delayed messages and dead-letter sources, and no re-create block. The
    /// batch size, the name rules and the delay rule stay (protocol rules), and so do the
    /// engine's own ceilings ([`Limits::max_messages`], [`Limits::max_memory`]).
    pub fn relax(self) -> Self {
        Self {
            max_queues_per_account: usize::MAX,
            max_topics_per_account: usize::MAX,
            max_subscriptions_per_topic: usize::MAX,
            max_batch_body_bytes: usize::MAX,
            max_delayed_messages: usize::MAX,
            recreate_block: Duration::ZERO,
            max_dead_letter_sources: usize::MAX,
            ..self
        }
    }
}

/// Every batch call of the spec allows the same number of items, which the engine keeps as one
/// limit ([`Limits::max_batch_size`]).
const _: () = {
    let n = batch_send_message::msg_body::MAX_ITEMS;
    assert!(batch_delete_message::receipt_handle::MAX_ITEMS == n);
    assert!(batch_receive_message::num_of_msg::MAX == n as i64);
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_profile_has_its_facts_and_name_rules() {
        for &p in Profile::ALL {
            let l = Limits::for_profile(p);
            let f = p.facts();
            assert_eq!(l.profile, p);
            assert_eq!(
                (l.max_queues_per_account, l.recreate_block),
                (f.queues_per_account, f.recreate_block)
            );
            for rule in [l.queue_name, l.topic_name, l.subscription_name] {
                assert!(rule.pattern.is_some() && rule.max_len.is_some(), "{p}");
                assert!(rule.allows("a-1") && !rule.allows("1a") && !rule.allows(""));
                let longest = "a".repeat(rule.max_len.unwrap_or(0));
                assert!(rule.allows(&longest) && !rule.allows(&format!("{longest}a")));
            }
        }
        let (tdmq, legacy) = (
            Limits::for_profile(Profile::Tdmq),
            Limits::for_profile(Profile::Legacy),
        );
        assert!(tdmq.queue_name.allows("a_b") && !legacy.queue_name.allows("a_b"));
        assert_eq!(Limits::default(), tdmq);
    }

    #[test]
    fn relax_lifts_quotas_not_rules() {
        let r = Limits::for_profile(Profile::Legacy).relax();
        assert_eq!(r.max_queues_per_account, usize::MAX);
        assert_eq!(r.recreate_block, Duration::ZERO);
        assert_eq!(r.max_batch_size, batch_send_message::msg_body::MAX_ITEMS);
        assert!(!r.queue_name.allows("a_b"));
        assert_eq!(r.profile, Profile::Legacy);
    }

    #[test]
    fn a_rule_missing_from_the_table_accepts_anything() {
        let rule = NameRule::of(&[], "nope");
        assert!(rule.allows("") && rule.allows("any thing"));
    }
}
