//! Topic and subscription management.

use std::time::Duration;

use super::*;
use crate::engine::topics::types::{
    SubscriptionAttributes, SubscriptionSummary, TopicAttributes, TopicSummary,
};
use crate::engine::{Page, SubscriptionUpdate};

// --- topics ------------------------------------------------------------------------------

#[test]
fn create_topic_defaults() {
    let h = harness();
    let id = h.a.create_topic(&topic("Orders")).unwrap();
    assert!(id.starts_with("topic-") && id.len() == 16, "{id}");
    assert!(
        id[6..]
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    );
    let a = h.a.topic_attributes("orders").unwrap();
    assert_eq!(
        a,
        TopicAttributes {
            topic_id: id,
            topic_name: "Orders".into(),
            msg_count: 0,
            max_msg_size: 65_536,
            msg_retention_seconds: 86_400,
            create_time_ms: T0,
            last_modify_time_ms: T0,
            filter_type: 1,
            qps: 5_000,
            create_uin: 100_000_000_001,
        }
    );
    h.a.create_topic(&CreateTopic {
        name: "r".into(),
        max_msg_size: Some(1024),
        filter_type: Some(2),
    })
    .unwrap();
    let a = h.a.topic_attributes("R").unwrap();
    assert_eq!((a.max_msg_size, a.filter_type), (1024, 2));
    h.a.create_topic(&CreateTopic {
        name: "big".into(),
        max_msg_size: Some(1_048_576),
        filter_type: Some(1),
    })
    .unwrap();
    assert_eq!(h.a.list_topics(None, 0, 20).total_count, 3);
}

#[test]
fn create_topic_errors() {
    let h = harness_with(
        Limits {
            max_topics_per_account: 2,
            ..Limits::default()
        },
        PushConfig::default(),
    );
    for bad in ["", "1a", "a.b", "a b", &"a".repeat(65)] {
        assert_eq!(
            kind(h.a.create_topic(&topic(bad))),
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
        assert_eq!(kind(h.a.create_topic(&req)), K::ValueOutOfRange, "{size}");
    }
    for ft in [0, 3, -1] {
        let req = CreateTopic {
            name: "t".into(),
            max_msg_size: None,
            filter_type: Some(ft),
        };
        let err = h.a.create_topic(&req).unwrap_err();
        assert_eq!(err.kind, K::ValueOutOfRange);
        assert!(err.detail.as_deref().unwrap_or("").contains("filterType"));
    }
    h.a.create_topic(&topic("t")).unwrap();
    assert_eq!(kind(h.a.create_topic(&topic("T"))), K::TopicAlreadyExists);
    h.a.create_topic(&topic("u")).unwrap();
    assert_eq!(kind(h.a.create_topic(&topic("v"))), K::TopicQuotaExceeded);
    assert_eq!(kind(h.a.topic_attributes("nope")), K::TopicNotExist);
}

#[test]
fn recreate_cooldown() {
    let h = harness();
    h.a.create_topic(&topic("t")).unwrap();
    h.a.delete_topic("T").unwrap();
    assert_eq!(kind(h.a.create_topic(&topic("t"))), K::TopicReleasing);
    let block = Limits::default().recreate_block;
    h.clock.advance(block - Duration::from_millis(1));
    assert_eq!(kind(h.a.create_topic(&topic("T"))), K::TopicReleasing);
    h.a.create_topic(&topic("other")).unwrap();
    h.clock.advance(Duration::from_millis(1));
    h.a.create_topic(&topic("t")).unwrap();

    let relaxed = harness_with(
        Limits {
            recreate_block: Duration::ZERO,
            ..Limits::default()
        },
        PushConfig::default(),
    );
    relaxed.a.create_topic(&topic("t")).unwrap();
    relaxed.a.delete_topic("t").unwrap();
    relaxed.a.create_topic(&topic("t")).unwrap();
}

#[test]
fn list_topics_pages_in_creation_order() {
    let h = harness();
    for n in ["zeta", "alpha", "Beta", "alphabet", "gamma"] {
        h.a.create_topic(&topic(n)).unwrap();
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
        names(h.a.list_topics(None, 0, 20)),
        (5, strs(&["zeta", "alpha", "Beta", "alphabet", "gamma"]))
    );
    assert_eq!(
        names(h.a.list_topics(Some(""), 1, 2)),
        (5, strs(&["alpha", "Beta"]))
    );
    assert_eq!(
        names(h.a.list_topics(Some("ALPHA"), 0, 20)),
        (2, strs(&["alpha", "alphabet"]))
    );
    assert_eq!(
        names(h.a.list_topics(Some("et"), 0, 20)),
        (3, strs(&["zeta", "Beta", "alphabet"]))
    );
    assert_eq!(names(h.a.list_topics(None, 10, 20)), (5, vec![]));
    assert_eq!(names(h.a.list_topics(None, 0, 0)), (5, vec![]));
    let page = h.a.list_topics(Some("gamma"), 0, 20);
    assert_eq!(
        page.items[0].topic_id,
        h.a.topic_attributes("gamma").unwrap().topic_id
    );
}

#[test]
fn set_topic_attributes() {
    let h = harness();
    h.a.create_topic(&topic("t")).unwrap();
    h.clock.advance(Duration::from_secs(5));
    h.a.set_topic_attributes("T", Some(2048)).unwrap();
    let a = h.a.topic_attributes("t").unwrap();
    assert_eq!(
        (a.max_msg_size, a.create_time_ms, a.last_modify_time_ms),
        (2048, T0, T0 + 5_000)
    );
    h.clock.advance(Duration::from_secs(5));
    h.a.set_topic_attributes("t", None).unwrap();
    assert_eq!(
        h.a.topic_attributes("t").unwrap().last_modify_time_ms,
        T0 + 10_000
    );
    assert_eq!(
        kind(h.a.set_topic_attributes("t", Some(1))),
        K::ValueOutOfRange
    );
    assert_eq!(
        kind(h.a.set_topic_attributes("nope", Some(2048))),
        K::TopicNotExist
    );
    assert_eq!(h.a.topic_attributes("t").unwrap().max_msg_size, 2048);
}

#[test]
fn delete_topic_requires_no_subscriptions() {
    let h = harness();
    h.a.create_topic(&topic("t")).unwrap();
    h.a.subscribe("t", &queue("s", "q0")).unwrap();
    assert_eq!(kind(h.a.delete_topic("t")), K::TopicHasSubscriptions);
    h.a.unsubscribe("t", "S").unwrap();
    h.a.delete_topic("t").unwrap();
    assert_eq!(kind(h.a.delete_topic("t")), K::TopicNotExist);
    assert_eq!(kind(h.a.topic_attributes("t")), K::TopicNotExist);
    assert_eq!(
        kind(h.a.subscribe("t", &queue("s", "q0"))),
        K::TopicNotExist
    );
    assert_eq!(kind(h.a.publish("t", "x", &[], None)), K::TopicNotExist);
    assert_eq!(h.a.list_topics(None, 0, 20).total_count, 0);
}

// --- subscriptions -----------------------------------------------------------------------

#[test]
fn subscribe_defaults_and_attributes() {
    let h = harness();
    h.a.create_topic(&topic("t")).unwrap();
    h.clock.advance(Duration::from_secs(3));
    let id =
        h.a.subscribe("t", &http("web", "http://127.0.0.1:1/x"))
            .unwrap();
    assert!(id.starts_with("subscription-") && id.len() == 23, "{id}");
    let a = h.a.subscription_attributes("T", "WEB").unwrap();
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
            create_time_ms: T0 + 3_000,
            last_modify_time_ms: T0 + 3_000,
            binding_keys: vec![],
            filter_tags: vec![],
        }
    );
    let mut q = tagged(bound(queue("toQueue", "Q1"), &["a.#"]), &["x", "y"]);
    q.notify_strategy = Some(NotifyStrategy::BackoffRetry);
    h.a.subscribe("t", &q).unwrap();
    let a = h.a.subscription_attributes("t", "toqueue").unwrap();
    assert_eq!(a.protocol, Protocol::Queue);
    assert_eq!(a.endpoint, "Q1");
    assert_eq!(a.notify_content_format, NotifyContentFormat::Simplified);
    assert_eq!(a.notify_strategy, NotifyStrategy::BackoffRetry);
    assert_eq!(a.filter_tags, strs(&["x", "y"]));
    assert_eq!(a.binding_keys, strs(&["a.#"]));
    let mut s = http("simple", "http://example.com/hook");
    s.notify_content_format = Some(NotifyContentFormat::Simplified);
    h.a.subscribe("t", &s).unwrap();
    assert_eq!(
        h.a.subscription_attributes("t", "simple")
            .unwrap()
            .notify_content_format,
        NotifyContentFormat::Simplified
    );
}

#[test]
fn subscribe_errors() {
    let h = harness_with(
        Limits {
            max_subscriptions_per_topic: 2,
            ..Limits::default()
        },
        PushConfig::default(),
    );
    h.a.create_topic(&topic("t")).unwrap();
    h.a.create_topic(&routing_topic("r")).unwrap();
    let cases: Vec<(Subscribe, ErrorKind)> = vec![
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
        assert_eq!(kind(h.a.subscribe("t", &req)), want, "{req:?}");
    }
    let mut json_queue = queue("s", "q0");
    json_queue.notify_content_format = Some(NotifyContentFormat::Json);
    assert_eq!(
        kind(h.a.subscribe("t", &json_queue)),
        K::QueueProtocolRequiresSimplified
    );
    assert_eq!(
        kind(h.a.subscribe("nope", &queue("s", "q0"))),
        K::TopicNotExist
    );
    assert_eq!(
        kind(h.a.subscribe("r", &queue("s", "q0"))),
        K::BindingKeyMissing
    );
    h.a.subscribe("r", &bound(queue("s", "q0"), &["#"]))
        .unwrap();
    h.a.subscribe("t", &queue("s", "q0")).unwrap();
    assert_eq!(
        kind(h.a.subscribe("t", &http("S", "http://a.com"))),
        K::SubscriptionAlreadyExists
    );
    h.a.subscribe("t", &http("s2", "http://a.com")).unwrap();
    assert_eq!(
        kind(h.a.subscribe("t", &http("s3", "http://a.com"))),
        K::SubscriptionQuotaExceeded
    );
    // The same name on another topic is fine.
    h.a.subscribe("r", &bound(queue("s2", "q0"), &["#"]))
        .unwrap();
}

#[test]
fn unknown_subscriptions_and_topics() {
    let h = harness();
    h.a.create_topic(&topic("t")).unwrap();
    h.a.subscribe("t", &queue("s", "q0")).unwrap();
    assert_eq!(kind(h.a.unsubscribe("t", "nope")), K::SubscriptionNotExist);
    assert_eq!(kind(h.a.unsubscribe("nope", "s")), K::TopicNotExist);
    assert_eq!(
        kind(h.a.subscription_attributes("t", "nope")),
        K::SubscriptionNotExist
    );
    assert_eq!(
        kind(h.a.subscription_attributes("nope", "s")),
        K::TopicNotExist
    );
    assert_eq!(
        kind(h.a.clear_subscription_filter_tags("t", "nope")),
        K::SubscriptionNotExist
    );
}

#[test]
fn list_subscriptions_pages_in_creation_order() {
    let h = harness();
    h.a.create_topic(&topic("t")).unwrap();
    let ids: Vec<String> = ["web1", "queue1", "web2"]
        .iter()
        .map(|n| {
            let req = if n.starts_with("web") {
                http(n, "http://a.com/h")
            } else {
                queue(n, "q1")
            };
            h.a.subscribe("t", &req).unwrap()
        })
        .collect();
    let page = h.a.list_subscriptions("T", None, 0, 20).unwrap();
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
        names(h.a.list_subscriptions("t", Some("WEB"), 0, 20).unwrap()),
        (2, strs(&["web1", "web2"]))
    );
    assert_eq!(
        names(h.a.list_subscriptions("t", None, 1, 1).unwrap()),
        (3, strs(&["queue1"]))
    );
    assert_eq!(
        names(h.a.list_subscriptions("t", None, 5, 1).unwrap()),
        (3, vec![])
    );
    assert_eq!(
        kind(h.a.list_subscriptions("nope", None, 0, 20)),
        K::TopicNotExist
    );
}

#[test]
fn set_subscription_attributes_replaces() {
    let h = harness();
    h.a.create_topic(&topic("t")).unwrap();
    h.a.create_topic(&routing_topic("r")).unwrap();
    h.a.subscribe("t", &tagged(http("s", "http://a.com"), &["a", "b"]))
        .unwrap();
    h.clock.advance(Duration::from_secs(7));
    let update = SubscriptionUpdate {
        notify_strategy: Some(NotifyStrategy::BackoffRetry),
        notify_content_format: Some(NotifyContentFormat::Simplified),
        filter_tags: Some(strs(&["c"])),
        binding_keys: Some(strs(&["x.*"])),
    };
    h.a.set_subscription_attributes("t", "S", &update).unwrap();
    let a = h.a.subscription_attributes("t", "s").unwrap();
    assert_eq!(a.notify_strategy, NotifyStrategy::BackoffRetry);
    assert_eq!(a.notify_content_format, NotifyContentFormat::Simplified);
    assert_eq!(a.filter_tags, strs(&["c"]));
    assert_eq!(a.binding_keys, strs(&["x.*"]));
    assert_eq!((a.create_time_ms, a.last_modify_time_ms), (T0, T0 + 7_000));
    // Leaving everything out changes nothing but lastModifyTime.
    h.clock.advance(Duration::from_secs(1));
    h.a.set_subscription_attributes("t", "s", &SubscriptionUpdate::default())
        .unwrap();
    let b = h.a.subscription_attributes("t", "s").unwrap();
    assert_eq!(
        (b.filter_tags.clone(), b.last_modify_time_ms),
        (strs(&["c"]), T0 + 8_000)
    );
    h.a.clear_subscription_filter_tags("t", "s").unwrap();
    assert!(
        h.a.subscription_attributes("t", "s")
            .unwrap()
            .filter_tags
            .is_empty()
    );

    let too_many = SubscriptionUpdate {
        filter_tags: Some(strs(&["1", "2", "3", "4", "5", "6"])),
        ..Default::default()
    };
    assert_eq!(
        kind(h.a.set_subscription_attributes("t", "s", &too_many)),
        K::FilterTagNumberExceeded
    );
    let too_many = SubscriptionUpdate {
        binding_keys: Some(strs(&["1", "2", "3", "4", "5", "6"])),
        ..Default::default()
    };
    assert_eq!(
        kind(h.a.set_subscription_attributes("t", "s", &too_many)),
        K::TooManyBindingKeys
    );
    h.a.subscribe("t", &queue("q", "q0")).unwrap();
    let json = SubscriptionUpdate {
        notify_content_format: Some(NotifyContentFormat::Json),
        ..Default::default()
    };
    assert_eq!(
        kind(h.a.set_subscription_attributes("t", "q", &json)),
        K::QueueProtocolRequiresSimplified
    );
    h.a.subscribe("r", &bound(queue("q", "q0"), &["#"]))
        .unwrap();
    let empty = SubscriptionUpdate {
        binding_keys: Some(vec![]),
        ..Default::default()
    };
    assert_eq!(
        kind(h.a.set_subscription_attributes("r", "q", &empty)),
        K::BindingKeyMissing
    );
    h.a.set_subscription_attributes("t", "s", &empty).unwrap();
    assert_eq!(
        kind(h.a.set_subscription_attributes("t", "nope", &empty)),
        K::SubscriptionNotExist
    );
    assert_eq!(
        kind(h.a.set_subscription_attributes("nope", "s", &empty)),
        K::TopicNotExist
    );
}
