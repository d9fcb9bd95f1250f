//! Message filtering for topics: pure functions, no state.
//!
//! A topic's `filterType` decides which mechanism **all** of its subscriptions use:
//!
//! * `1` — tags. A subscription without filter tags receives every message, tagged or not. A
//!   subscription with filter tags receives a message only when the message's tags and its
//!   filter tags intersect, so it never receives an untagged message. Tags compare by exact
//!   string equality.
//! * `2` — routing. A message carries one routing key (no wildcards), a subscription up to five
//!   binding keys, and the subscription receives the message when any binding key matches under
//!   RabbitMQ topic-exchange rules: words are separated by `.`, `*` matches exactly one word and
//!   `#` matches zero or more words. An empty routing key has zero words, so it matches `#` but
//!   not `*`. `1.#.0` matches `1.0` and `1.2.3.4.4.2.2.0`; `#` alone matches everything.
//!
//! Choices where the reference is silent (RabbitMQ behaviour in every case):
//! * A non-empty key is split on every `.`, so `a..b` has three words, the middle one empty,
//!   and `*` matches that empty word (`a.*.b` matches `a..b`). Only the empty key as a whole has
//!   zero words.
//! * `*` and `#` are wildcards only as whole words; `a*` or `#b` are literal words.
//! * An empty binding key matches only the empty routing key.
//! * On a filterType 1 topic binding keys and routing keys are ignored, and on a filterType 2
//!   topic tags are ignored.

use cmq_sdk::generated::constraints::{publish_message as publish, subscribe};

/// The most bytes a routing key may hold (the spec's `routingKey`).
pub const MAX_ROUTING_KEY_BYTES: usize = publish::routing_key::MAX_LEN;
/// The most `.` separators a routing key may hold.
pub const MAX_ROUTING_KEY_DOTS: usize = publish::routing_key::MAX_DOTS;
/// The most bytes a binding key may hold (the spec's `bindingKey`).
pub const MAX_BINDING_KEY_BYTES: usize = subscribe::binding_key::MAX_LEN;
/// The most `.` separators a binding key may hold.
pub const MAX_BINDING_KEY_DOTS: usize = subscribe::binding_key::MAX_DOTS;
/// The most binding keys per subscription.
pub const MAX_BINDING_KEYS: usize = subscribe::binding_key::MAX_ITEMS;
/// The most characters a message tag may hold (the spec's `msgTag`).
pub const MAX_MSG_TAG_CHARS: usize = publish::msg_tag::MAX_LEN;
/// The most tags per message.
pub const MAX_MSG_TAGS: usize = publish::msg_tag::MAX_ITEMS;
/// The most characters a filter tag may hold (the spec's `filterTag`).
pub const MAX_FILTER_TAG_CHARS: usize = subscribe::filter_tag::MAX_LEN;
/// The most filter tags per subscription.
pub const MAX_FILTER_TAGS: usize = subscribe::filter_tag::MAX_ITEMS;

/// How a topic routes its messages (`filterType`, fixed at creation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FilterType {
    /// `1`: `msgTag` against the subscriptions' `filterTag` (the default).
    #[default]
    Tags,
    /// `2`: `routingKey` against the subscriptions' `bindingKey`.
    Routing,
}

impl FilterType {
    /// The wire value, `1` or `2`.
    pub fn as_int(self) -> u8 {
        match self {
            FilterType::Tags => 1,
            FilterType::Routing => 2,
        }
    }

    /// Parses the wire value; anything but `1` or `2` is `None`.
    pub fn from_int(v: i64) -> Option<Self> {
        match v {
            1 => Some(FilterType::Tags),
            2 => Some(FilterType::Routing),
            _ => None,
        }
    }
}

/// Tag filtering (filterType 1): does a subscription with `filter_tags` receive a message
/// tagged `msg_tags`? Empty `filter_tags` receive everything; otherwise the sets must intersect.
pub fn tags_match<F: AsRef<str>, M: AsRef<str>>(filter_tags: &[F], msg_tags: &[M]) -> bool {
    filter_tags.is_empty()
        || filter_tags
            .iter()
            .any(|f| msg_tags.iter().any(|m| m.as_ref() == f.as_ref()))
}

/// The words of a routing or binding key: none for the empty key, else the `.`-separated parts
/// (possibly empty words, as in RabbitMQ).
pub fn key_words(key: &str) -> Vec<&str> {
    if key.is_empty() {
        Vec::new()
    } else {
        key.split('.').collect()
    }
}

/// Routing (filterType 2): does `binding_key` (may hold `*` / `#` words) match `routing_key`?
///
/// Dynamic programming over (pattern word, key word) positions: O(p·k) time, no backtracking.
pub fn binding_matches(binding_key: &str, routing_key: &str) -> bool {
    let pat = key_words(binding_key);
    let key = key_words(routing_key);
    let (p, k) = (pat.len(), key.len());
    // row[j]: does pat[i..] match key[j..]? Computed from i = p down to 0.
    let mut row = vec![false; k + 1];
    row[k] = true;
    for i in (0..p).rev() {
        let mut next = vec![false; k + 1];
        match pat[i] {
            "#" => {
                // `#` takes zero words (row[j]) or one more word (next[j + 1]).
                next[k] = row[k];
                for j in (0..k).rev() {
                    next[j] = row[j] || next[j + 1];
                }
            }
            "*" => {
                next[..k].copy_from_slice(&row[1..]);
            }
            lit => {
                for j in 0..k {
                    next[j] = key[j] == lit && row[j + 1];
                }
            }
        }
        row = next;
    }
    row[0]
}

/// Routing (filterType 2): does any of `binding_keys` match `routing_key`?
pub fn any_binding_matches<B: AsRef<str>>(binding_keys: &[B], routing_key: &str) -> bool {
    binding_keys
        .iter()
        .any(|b| binding_matches(b.as_ref(), routing_key))
}

/// Does a subscription receive a message on a topic of `filter_type`?
///
/// `routing_key` `None` (absent) matches nothing on a filterType 2 topic; the publish path
/// refuses such messages before it gets here (RoutingKeyMissing).
pub fn subscription_matches<F: AsRef<str>, B: AsRef<str>, M: AsRef<str>>(
    filter_type: FilterType,
    filter_tags: &[F],
    binding_keys: &[B],
    msg_tags: &[M],
    routing_key: Option<&str>,
) -> bool {
    match filter_type {
        FilterType::Tags => tags_match(filter_tags, msg_tags),
        FilterType::Routing => routing_key.is_some_and(|rk| any_binding_matches(binding_keys, rk)),
    }
}

/// Why a key or tag was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyProblem {
    /// Longer than the key's or tag's limit.
    TooLong,
    /// More dots than the key's limit.
    TooManyDots,
    /// A routing key holding `*` or `#`.
    Wildcard,
}

/// Checks a routing key: at most [`MAX_ROUTING_KEY_BYTES`] bytes and [`MAX_ROUTING_KEY_DOTS`]
/// dots, no `*` or `#`.
pub fn check_routing_key(key: &str) -> Result<(), KeyProblem> {
    check_key(key, MAX_ROUTING_KEY_BYTES, MAX_ROUTING_KEY_DOTS)?;
    if key.contains(['*', '#']) {
        return Err(KeyProblem::Wildcard);
    }
    Ok(())
}

/// Checks a binding key: at most [`MAX_BINDING_KEY_BYTES`] bytes and [`MAX_BINDING_KEY_DOTS`]
/// dots (wildcards allowed).
pub fn check_binding_key(key: &str) -> Result<(), KeyProblem> {
    check_key(key, MAX_BINDING_KEY_BYTES, MAX_BINDING_KEY_DOTS)
}

fn check_key(key: &str, max_bytes: usize, max_dots: usize) -> Result<(), KeyProblem> {
    if key.len() > max_bytes {
        return Err(KeyProblem::TooLong);
    }
    if key.bytes().filter(|&b| b == b'.').count() > max_dots {
        return Err(KeyProblem::TooManyDots);
    }
    Ok(())
}

/// Checks a tag: at most `max_chars` characters ([`MAX_MSG_TAG_CHARS`] for message tags,
/// [`MAX_FILTER_TAG_CHARS`] for filter tags).
pub fn check_tag(tag: &str, max_chars: usize) -> Result<(), KeyProblem> {
    if tag.chars().count() > max_chars {
        Err(KeyProblem::TooLong)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn tag_table() {
        let none: Vec<String> = Vec::new();
        let cases: &[(&[&str], &[&str], bool)] = &[
            (&[], &[], true),
            (&[], &["a"], true),
            (&[], &["a", "b", "c"], true),
            (&["a"], &[], false),
            (&["a"], &["a"], true),
            (&["a"], &["b"], false),
            (&["a", "b"], &["b", "c"], true),
            (&["a", "b"], &["c", "d"], false),
            (&["A"], &["a"], false),
            (&["x"], &["x", "x"], true),
        ];
        for (filter, msg, want) in cases {
            assert_eq!(
                tags_match(&s(filter), &s(msg)),
                *want,
                "filter {filter:?} msg {msg:?}"
            );
        }
        assert!(tags_match(&none, &none));
    }

    #[test]
    fn binding_table() {
        let cases: &[(&str, &str, bool)] = &[
            ("#", "", true),
            ("#", "a", true),
            ("#", "a.b.c.d", true),
            ("*", "", false),
            ("*", "a", true),
            ("*", "a.b", false),
            ("*.*", "a.b", true),
            ("*.*", "a", false),
            ("1.#.0", "1.0", true),
            ("1.#.0", "1.2.3.4.4.2.2.0", true),
            ("1.#.0", "1.2.3", false),
            ("1.#.0", "0.1", false),
            ("1.*.0", "1.0", false),
            ("1.*.0", "1.2.0", true),
            ("1.*.0", "1.2.3.0", false),
            ("a.b", "a.b", true),
            ("a.b", "a.b.c", false),
            ("a.b", "a", false),
            ("a.#", "a", true),
            ("a.#", "a.b.c", true),
            ("a.#", "b.a", false),
            ("#.a", "a", true),
            ("#.a", "x.y.a", true),
            ("#.a", "x.y.b", false),
            ("#.#", "", true),
            ("#.#", "a.b", true),
            ("#.*", "", false),
            ("#.*", "a", true),
            ("*.#", "a.b.c", true),
            ("a.*.#.b", "a.x.b", true),
            ("a.*.#.b", "a.b", false),
            ("a.*.b", "a..b", true),
            ("", "", true),
            ("", "a", false),
            ("a", "", false),
            ("a*", "ab", false),
            ("a*", "a*", true),
            ("usa.#", "usa.news.weather", true),
            ("#.weather", "usa.news.weather", true),
            ("*.news.*", "usa.news.weather", true),
            ("*.news.*", "news.weather", false),
            ("Quick.*", "quick.brown", false),
        ];
        for (b, r, want) in cases {
            assert_eq!(binding_matches(b, r), *want, "binding {b:?} routing {r:?}");
        }
    }

    #[test]
    fn any_binding_and_subscription_matches() {
        assert!(any_binding_matches(&s(&["x", "a.*"]), "a.b"));
        assert!(!any_binding_matches(&s(&["x", "a.*"]), "b.b"));
        assert!(!any_binding_matches(&s(&[]), ""));
        let none: Vec<String> = Vec::new();
        // filterType 1 ignores keys; filterType 2 ignores tags.
        assert!(subscription_matches(
            FilterType::Tags,
            &none,
            &s(&["nomatch"]),
            &none,
            Some("zzz")
        ));
        assert!(subscription_matches(
            FilterType::Routing,
            &s(&["t"]),
            &s(&["#"]),
            &none,
            Some("")
        ));
        assert!(!subscription_matches(
            FilterType::Routing,
            &none,
            &s(&["#"]),
            &none,
            None
        ));
        assert!(!subscription_matches(
            FilterType::Tags,
            &s(&["t"]),
            &none,
            &s(&["u"]),
            None
        ));
    }

    #[test]
    fn key_checks() {
        let (bytes, dots) = (MAX_ROUTING_KEY_BYTES, MAX_ROUTING_KEY_DOTS);
        assert_eq!(check_routing_key(""), Ok(()));
        assert_eq!(check_routing_key(&"a".repeat(bytes)), Ok(()));
        assert_eq!(
            check_routing_key(&"a".repeat(bytes + 1)),
            Err(KeyProblem::TooLong)
        );
        assert_eq!(check_routing_key(&vec!["a"; dots + 1].join(".")), Ok(()));
        assert_eq!(
            check_routing_key(&vec!["a"; dots + 2].join(".")),
            Err(KeyProblem::TooManyDots)
        );
        assert_eq!(check_routing_key("a.*"), Err(KeyProblem::Wildcard));
        assert_eq!(check_routing_key("a.#"), Err(KeyProblem::Wildcard));
        assert_eq!(check_binding_key("a.#.*"), Ok(()));
        let n = MAX_MSG_TAG_CHARS;
        assert_eq!(check_tag(&"a".repeat(n), n), Ok(()));
        assert_eq!(check_tag(&"a".repeat(n + 1), n), Err(KeyProblem::TooLong));
        assert_eq!(
            check_tag(&"标".repeat(n), n),
            Ok(()),
            "characters, not bytes"
        );
        assert_eq!(FilterType::from_int(1), Some(FilterType::Tags));
        assert_eq!(FilterType::from_int(2).map(FilterType::as_int), Some(2));
        assert_eq!(FilterType::from_int(0), None);
    }

    /// An independent, naive backtracking matcher to check the DP against.
    fn reference(pat: &[&str], key: &[&str]) -> bool {
        match pat.split_first() {
            None => key.is_empty(),
            Some((&"#", rest)) => (0..=key.len()).any(|n| reference(rest, &key[n..])),
            Some((&"*", rest)) => !key.is_empty() && reference(rest, &key[1..]),
            Some((w, rest)) => key.first() == Some(w) && reference(rest, &key[1..]),
        }
    }

    fn word() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("a".to_string()),
            Just("b".to_string()),
            Just("c".to_string()),
            Just(String::new())
        ]
    }

    fn pat_word() -> impl Strategy<Value = String> {
        prop_oneof![word(), Just("*".to_string()), Just("#".to_string())]
    }

    fn join(words: &[String]) -> String {
        words.join(".")
    }

    proptest! {
        #[test]
        fn dp_agrees_with_reference(pat in proptest::collection::vec(pat_word(), 0..7),
                                    key in proptest::collection::vec(word(), 0..8)) {
            let (b, r) = (join(&pat), join(&key));
            let want = reference(&key_words(&b), &key_words(&r));
            prop_assert_eq!(binding_matches(&b, &r), want, "binding {:?} routing {:?}", b, r);
        }

        #[test]
        fn hash_matches_everything(key in proptest::collection::vec("[a-z0-9]{0,4}", 0..10)) {
            prop_assert!(binding_matches("#", &key.join(".")));
        }

        #[test]
        fn a_key_matches_itself(key in proptest::collection::vec("[a-z0-9]{0,4}", 0..10)) {
            let k = key.join(".");
            prop_assert!(binding_matches(&k, &k));
        }

        #[test]
        fn stars_count_words(n in 1usize..8, key in proptest::collection::vec("[a-z]{1,3}", 0..10)) {
            let pat = vec!["*"; n].join(".");
            prop_assert_eq!(binding_matches(&pat, &key.join(".")), key.len() == n);
        }

        /// Generalising a key (words → `*`, runs of words → `#`) always keeps the match.
        #[test]
        fn generalised_key_matches(key in proptest::collection::vec("[a-z]{1,3}", 1..10),
                                   ops in proptest::collection::vec(0u8..4, 10)) {
            let mut pat: Vec<String> = Vec::new();
            let mut i = 0;
            let mut o = 0;
            while i < key.len() {
                match if o < ops.len() { ops[o] } else { 3 } {
                    0 => { pat.push("*".into()); i += 1; }
                    1 => { pat.push("#".into()); i += 1 + usize::from(i + 1 < key.len()); }
                    2 => { pat.push("#".into()); }
                    _ => { pat.push(key[i].clone()); i += 1; }
                }
                o += 1;
            }
            let (b, r) = (pat.join("."), key.join("."));
            prop_assert!(binding_matches(&b, &r), "binding {:?} routing {:?}", b, r);
        }

        #[test]
        fn tags_match_is_set_intersection(f in proptest::collection::vec("[abc]", 0..4),
                                          m in proptest::collection::vec("[abcd]", 0..4)) {
            let want = f.is_empty() || f.iter().any(|x| m.contains(x));
            prop_assert_eq!(tags_match(&f, &m), want);
        }
    }
}
