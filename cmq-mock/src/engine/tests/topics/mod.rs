//! Topic tests: the engine's topics, subscriptions, fan-out and push, on a manual clock, with
//! the public [`crate::receiver::PushReceiver`] as the HTTP endpoint.

mod fanout;
mod manage;
mod push;

use std::sync::Arc;
use std::time::Duration;

use cmq_sdk::generated::types::{NotifyContentFormat, NotifyStrategy, Protocol};

use super::T0;
use crate::clock::Clock;
use crate::engine::topics::check_http_endpoint;
use crate::engine::{
    Account, CreateTopic, DeliveryLog, DeliveryRecord, Engine, EngineError, ErrorKind, Limits,
    PushConfig, Subscribe,
};
use ErrorKind as K;
use cmq_sdk::generated::profiles::Profile;

/// A hang guard for events that must come (real time; it never asserts speed).
const WAIT: Duration = Duration::from_secs(30);

/// An engine on a manual clock at [`T0`] with one account holding queues `q0`, `q1`, `q2`.
struct H {
    _engine: Engine,
    a: Arc<Account>,
    clock: Clock,
    log: Arc<DeliveryLog>,
}

impl H {
    /// Waits until no push can happen before the clock moves (every worker finished or parked
    /// until a time still ahead): what is absent from the log then stays absent at this time.
    async fn idle(&self) {
        tokio::time::timeout(WAIT, self._engine.pushes_idle())
            .await
            .expect("the push workers never went idle");
    }

    /// The number of live push workers (running or parked).
    fn workers(&self) -> usize {
        self._engine.inner.ctx.pusher.activity.live()
    }

    /// The bodies of the visible messages of queue `q`, in order.
    fn bodies(&self, q: &str) -> Vec<String> {
        let snap = self.a.inspect_queue(q).expect("queue");
        snap.active.into_iter().map(|m| m.body).collect()
    }
}

fn harness_with(limits: Limits, push: PushConfig) -> H {
    let clock = Clock::manual(T0);
    let engine = Engine::with_config(clock.clone(), limits, push);
    let a = engine.add_account("AKIDtopics", "key");
    for q in ["q0", "q1", "q2"] {
        a.create_queue(q, &Default::default()).expect("queue");
    }
    H {
        log: engine.deliveries().clone(),
        _engine: engine,
        a,
        clock,
    }
}

fn harness() -> H {
    harness_with(
        Limits::default(),
        PushConfig {
            seed: Some(42),
            ..PushConfig::default()
        },
    )
}

/// [`harness`] with strictly serial pushes: a message waiting for a retry holds back the
/// messages behind it (`PushConfig::retry_holds_back`).
fn serial_harness() -> H {
    harness_with(
        Limits::default(),
        PushConfig {
            seed: Some(42),
            retry_holds_back: true,
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

fn kind<T: std::fmt::Debug>(r: Result<T, EngineError>) -> ErrorKind {
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

/// The clock's next deadline once the push workers are idle (parked until a future time) and
/// their sleeps registered; `None` when no worker is left.
async fn next_deadline(h: &H) -> Option<u64> {
    h.idle().await;
    let guard = tokio::time::Instant::now() + WAIT;
    // A parked worker registers its sleep on the clock when its task next polls it.
    while h.workers() > 0 && h.clock.next_deadline_ms().is_none() {
        assert!(
            tokio::time::Instant::now() < guard,
            "a parked worker never slept"
        );
        tokio::task::yield_now().await;
    }
    h.clock.next_deadline_ms()
}

fn msg_count(h: &H, t: &str) -> u64 {
    h.a.topic_attributes(t).unwrap().msg_count
}

fn sub_count(h: &H, t: &str, s: &str) -> u64 {
    h.a.subscription_attributes(t, s).unwrap().msg_count
}

// --- errors and enumerated values --------------------------------------------------------

#[test]
fn error_codes_match_the_reference() {
    let table = [
        (K::QueueNameFormat, 4000, 10020),
        (K::QueueNotExist, 4440, 10100),
        (K::QueueAlreadyExists, 4460, 10210),
        (K::QueueQuotaExceeded, 4450, 10220),
        (K::QueueFull, 4410, 10240),
        (K::InvalidReceiptHandle, 4430, 10260),
        (K::ReceiptHandleError, 4000, 10470),
        (K::NoMessage, 7000, 10200),
        (K::TooManyUnackedMessages, 6070, 10690),
        (K::QueueReleasing, 6040, 10660),
        (K::QueueCannotRewind, 6050, 10670),
        (K::InvalidRewindTime, 4000, 10680),
        (K::RewindSecondsGreaterThanRetention, 4000, 10700),
        (K::DeadLetterPolicyParamsError, 4000, 10720),
        (K::DeadLetterQueueNotExist, 4000, 10730),
        (K::DeadLetterQueueNesting, 4000, 10740),
        (K::DeleteDeadLetterQueueNotAllowed, 4000, 10750),
        (K::DeadLetterPolicyMemberInvalid, 4000, 10770),
        (K::DeadLetterQueueBindTooMany, 4000, 10780),
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
        (K::DelaySecondsOutOfRange, 4000, 10692),
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
    let err = EngineError::new(K::TopicNotExist);
    assert_eq!(err.to_string(), "(10600)topic is not existed, or deleted");
    assert_eq!((err.code(), err.module_code()), (4440, 10600));
    let err = EngineError::with_detail(K::ValueOutOfRange, "maxMsgSize");
    assert_eq!(
        err.to_string(),
        "(10350)parameter maxMsgSize value or length is out of range"
    );
}

/// Wire text becomes the generated (closed) enums at the protocol edge, so a value the spec does
/// not know never reaches the engine: it does not parse (the dispatcher answers it with the
/// documented Undefined* error, pinned by the conformance corpus). Every known value round-trips
/// through its wire text and the engine accepts it.
#[test]
fn enumerated_values_are_closed_at_the_edge() {
    let h = harness();
    h.a.create_topic(&topic("t")).unwrap();
    for p in ["HTTP", "https", ""] {
        assert_eq!(Protocol::from_wire(p), None, "{p:?}");
    }
    for s in ["exponential_decay_retry", "RETRY"] {
        assert_eq!(NotifyStrategy::from_wire(s), None, "{s:?}");
    }
    for f in ["simplified", "XML"] {
        assert_eq!(NotifyContentFormat::from_wire(f), None, "{f:?}");
    }
    let with = |name: String| Subscribe::new(name, Protocol::Http, "http://a.com");
    for (i, p) in Protocol::ALL.iter().enumerate() {
        assert_eq!(Protocol::from_wire(p.as_str()), Some(*p));
        let endpoint = if *p == Protocol::Queue {
            "q0"
        } else {
            "http://a.com"
        };
        let req = Subscribe::new(format!("p{i}"), *p, endpoint);
        h.a.subscribe("t", &req).expect("known protocol");
    }
    for (i, s) in NotifyStrategy::ALL.iter().enumerate() {
        assert_eq!(NotifyStrategy::from_wire(s.as_str()), Some(*s));
        let mut req = with(format!("s{i}"));
        req.notify_strategy = Some(*s);
        h.a.subscribe("t", &req).expect("known strategy");
    }
    for (i, f) in NotifyContentFormat::ALL.iter().enumerate() {
        assert_eq!(NotifyContentFormat::from_wire(f.as_str()), Some(*f));
        let mut req = with(format!("f{i}"));
        req.notify_content_format = Some(*f);
        h.a.subscribe("t", &req).expect("known format");
    }
    // Left out, the strategy is EXPONENTIAL_DECAY_RETRY.
    let a = h.a.subscription_attributes("t", "p0").unwrap();
    assert_eq!(a.notify_strategy, NotifyStrategy::ExponentialDecayRetry);
}

#[test]
fn names_follow_the_profile() {
    for p in Profile::ALL {
        let l = Limits::for_profile(*p);
        for rule in [l.topic_name, l.subscription_name] {
            assert!(rule.allows("a") && rule.allows("Topic-1x"));
            assert!(rule.allows(&"a".repeat(64)) && !rule.allows(&"a".repeat(65)));
            for bad in ["", "1abc", "a.b", "a b"] {
                assert!(!rule.allows(bad), "{p} {bad:?}");
            }
            assert_eq!(rule.allows("Topic_1"), *p == Profile::Tdmq, "{p}");
        }
    }
}

#[test]
fn http_endpoints() {
    let check = |e: &str| check_http_endpoint(e, false);
    assert!(check("http://127.0.0.1:8080/path?x=1").is_ok());
    assert!(check("HTTP://example.com").is_ok());
    assert_eq!(kind(check("https://example.com")), K::EndpointFormatError);
    assert!(check_http_endpoint("https://example.com", true).is_ok());
    assert!(check_http_endpoint("HTTPS://example.com", true).is_ok());
    assert_eq!(kind(check("http://a b")), K::UrlContainsBlank);
    assert_eq!(kind(check(" http://ab")), K::UrlContainsBlank);
    assert_eq!(kind(check("http://ab/\tx")), K::UrlContainsBlank);
    assert_eq!(kind(check("ftp://ab")), K::EndpointFormatError);
    assert_eq!(kind(check("example.com")), K::EndpointFormatError);
    assert_eq!(kind(check("http://")), K::EndpointFormatError);
    let long = format!("http://a.com/{}", "x".repeat(500 - 13));
    assert_eq!(long.len(), 500);
    assert!(check(&long).is_ok());
    assert_eq!(kind(check(&format!("{long}x"))), K::EndpointFormatError);
}
