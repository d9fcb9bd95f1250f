//! Publishing and fan-out to queue subscriptions.

use super::*;
use crate::engine::topics::filter;
use crate::engine::{DeliveryOutcome, SubscriptionUpdate};

// --- publishing and fan-out to queues ----------------------------------------------------

#[test]
fn publish_errors() {
    let h = harness();
    h.a.create_topic(&topic("t")).unwrap();
    h.a.create_topic(&routing_topic("r")).unwrap();
    assert_eq!(kind(h.a.publish("nope", "x", &[], None)), K::TopicNotExist);
    assert_eq!(
        kind(h.a.publish("t", "x", &[], None)),
        K::TopicHasNoSubscription
    );
    assert_eq!(kind(h.a.publish("r", "x", &[], None)), K::RoutingKeyMissing);
    assert_eq!(
        kind(h.a.publish("r", "x", &[], Some("a"))),
        K::TopicHasNoSubscription
    );
    h.a.subscribe("t", &tagged(queue("s", "q0"), &["a"]))
        .unwrap();
    assert_eq!(
        kind(h.a.publish("t", "x", &[], None)),
        K::NoSubscriptionMatched
    );
    assert_eq!(
        kind(h.a.publish("t", "x", &strs(&["b"]), None)),
        K::NoSubscriptionMatched
    );
    assert_eq!(
        kind(h.a.publish("t", "", &strs(&["a"]), None)),
        K::MessageBodyEmpty
    );
    assert_eq!(
        kind(h.a.publish("t", "x", &strs(&["1", "2", "3", "4", "5", "a"]), None)),
        K::TooManyMsgTags
    );
    assert_eq!(
        kind(h.a.publish("t", "x", &strs(&["a", "0123456789abcdefg"]), None)),
        K::ValueOutOfRange
    );
    assert_eq!(
        kind(h.a.publish("t", &"x".repeat(65_537), &strs(&["a"]), None)),
        K::MessageTooLarge
    );
    h.a.publish("t", &"x".repeat(65_536), &strs(&["a"]), None)
        .unwrap();
    h.a.set_topic_attributes("t", Some(1024)).unwrap();
    assert_eq!(
        kind(h.a.publish("t", &"x".repeat(1025), &strs(&["a"]), None)),
        K::MessageTooLarge
    );
    h.a.publish("t", &"x".repeat(1024), &strs(&["a"]), None)
        .unwrap();
    // Routing keys.
    h.a.subscribe("r", &bound(queue("star", "q1"), &["*"]))
        .unwrap();
    assert_eq!(
        kind(h.a.publish("r", "x", &[], Some(""))),
        K::NoSubscriptionMatched
    );
    assert_eq!(
        kind(h.a.publish("r", "x", &[], Some("a.*"))),
        K::ValueOutOfRange
    );
    assert_eq!(
        kind(h.a.publish("r", "x", &[], Some("a.#"))),
        K::ValueOutOfRange
    );
    assert_eq!(
        kind(h.a.publish("r", "x", &[], Some(&["a"; 17].join(".")))),
        K::TooManyDelimiters
    );
    assert_eq!(
        kind(h.a.publish("r", "x", &[], Some(&"a".repeat(65)))),
        K::ValueOutOfRange
    );
    h.a.publish("r", "x", &[], Some("a")).unwrap();
    h.a.subscribe("r", &bound(queue("hash", "q2"), &["#"]))
        .unwrap();
    // An empty routing key is present: it matches `#` but not `*`.
    h.a.publish("r", "empty", &[], Some("")).unwrap();
    assert_eq!(h.bodies("q2"), strs(&["empty"]));
    assert_eq!(h.bodies("q1"), strs(&["x"]));
}

#[test]
fn batch_publish_limits() {
    let h = harness();
    h.a.create_topic(&CreateTopic {
        max_msg_size: Some(1_048_576),
        ..topic("t")
    })
    .unwrap();
    h.a.subscribe("t", &queue("s", "q0")).unwrap();
    let none: [&str; 0] = [];
    assert_eq!(
        kind(h.a.batch_publish("t", &none, &[], None)),
        K::BatchSizeOutOfRange
    );
    let seventeen = vec!["m"; 17];
    let err = h.a.batch_publish("t", &seventeen, &[], None).unwrap_err();
    assert_eq!(
        (err.kind, err.message_text().as_str()),
        (
            K::BatchSizeOutOfRange,
            "msgBody parameter batch size is out of range"
        )
    );
    assert_eq!(
        kind(h.a.batch_publish("t", &["a", ""], &[], None)),
        K::MessageBodyEmpty
    );
    // The profile's batch total (1 MiB on tdmq, 64 KiB on legacy), exactly, then a byte more.
    let half = "x".repeat(Limits::default().max_batch_body_bytes / 2);
    let ids =
        h.a.batch_publish("t", &[half.as_str(), half.as_str()], &[], None)
            .unwrap();
    assert_eq!(ids.len(), 2);
    let over = [half.clone(), half.clone(), "y".to_string()];
    assert_eq!(
        kind(h.a.batch_publish("t", &over, &[], None)),
        K::BatchTotalSizeTooLarge
    );
    h.a.set_topic_attributes("t", Some(1024)).unwrap();
    assert_eq!(
        kind(h.a.batch_publish("t", &["a".repeat(1025)], &[], None)),
        K::MessageTooLarge
    );
    assert_eq!(
        kind(h.a.batch_publish("nope", &["a"], &[], None)),
        K::TopicNotExist
    );
    let sixteen: Vec<String> = (0..16).map(|i| format!("m{i}")).collect();
    let ids = h.a.batch_publish("t", &sixteen, &[], None).unwrap();
    assert_eq!(ids.len(), 16);
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 16);
    assert!(ids.iter().all(|id| id.parse::<u64>().is_ok()));
    // The queue holds the sixteen last, whatever it kept of the large bodies before.
    let bodies = h.bodies("q0");
    assert_eq!(bodies[bodies.len() - 16..], sixteen[..]);
}

#[test]
fn fan_out_to_queue_subscriptions_by_tag() {
    let h = harness();
    h.a.create_topic(&topic("t")).unwrap();
    h.a.subscribe("t", &queue("all", "q0")).unwrap();
    h.a.subscribe("t", &tagged(queue("a", "Q1"), &["a", "z"]))
        .unwrap();
    h.a.subscribe("t", &tagged(queue("b", "q2"), &["b"]))
        .unwrap();
    let id = h.a.publish("t", "tag-a", &strs(&["a"]), None).unwrap();
    h.a.publish("t", "untagged", &[], None).unwrap();
    h.a.batch_publish("t", &["b1", "b2"], &strs(&["b", "x"]), None)
        .unwrap();
    h.a.publish("t", "ab", &strs(&["b", "a"]), None).unwrap();
    assert_eq!(
        h.bodies("q0"),
        strs(&["tag-a", "untagged", "b1", "b2", "ab"])
    );
    assert_eq!(h.bodies("q1"), strs(&["tag-a", "ab"]));
    assert_eq!(h.bodies("q2"), strs(&["b1", "b2", "ab"]));
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
    h.a.set_subscription_attributes(
        "t",
        "a",
        &SubscriptionUpdate {
            filter_tags: Some(strs(&["b"])),
            ..Default::default()
        },
    )
    .unwrap();
    h.a.publish("t", "only-b", &strs(&["b"]), None).unwrap();
    h.a.publish("t", "only-a", &strs(&["a"]), None).unwrap();
    assert_eq!(h.bodies("q1"), strs(&["tag-a", "ab", "only-b"]));
    h.a.clear_subscription_filter_tags("t", "a").unwrap();
    h.a.publish("t", "any", &[], None).unwrap();
    assert_eq!(h.bodies("q1").last().map(String::as_str), Some("any"));
}

#[test]
fn fan_out_by_routing_key() {
    let h = harness();
    h.a.create_topic(&routing_topic("r")).unwrap();
    h.a.subscribe("r", &bound(queue("hash", "q0"), &["#"]))
        .unwrap();
    h.a.subscribe("r", &bound(queue("star", "q1"), &["*.x", "nope"]))
        .unwrap();
    h.a.subscribe(
        "r",
        &tagged(bound(queue("mid", "q2"), &["1.#.0"]), &["ignored"]),
    )
    .unwrap();
    for key in ["", "a.x", "1.0", "1.2.3.4.4.2.2.0", "a.b.x", "1.x"] {
        let body = if key.is_empty() { "empty-key" } else { key };
        h.a.publish("r", body, &strs(&["t"]), Some(key)).unwrap();
    }
    assert_eq!(h.bodies("q0").len(), 6);
    assert_eq!(h.bodies("q1"), strs(&["a.x", "1.x"]));
    assert_eq!(h.bodies("q2"), strs(&["1.0", "1.2.3.4.4.2.2.0"]));
    assert_eq!(kind(h.a.publish("r", "x", &[], None)), K::RoutingKeyMissing);
    h.a.unsubscribe("r", "hash").unwrap();
    assert_eq!(
        kind(h.a.publish("r", "zz", &[], Some("z"))),
        K::NoSubscriptionMatched
    );
    h.a.batch_publish("r", &["k1", "k2"], &[], Some("k.x"))
        .unwrap();
    assert_eq!(h.bodies("q1")[2..], strs(&["k1", "k2"])[..]);
}

#[test]
fn fan_out_failure_is_logged_not_returned() {
    let h = harness();
    h.a.create_topic(&topic("t")).unwrap();
    h.a.subscribe("t", &queue("s", "q0")).unwrap();
    h.a.delete_queue("q0").unwrap();
    let id = h.a.publish("t", "x", &[], None).unwrap();
    let recs = h.log.matching(|r| r.msg_id == id);
    assert_eq!(recs.len(), 1);
    assert_eq!(
        recs[0].outcome,
        DeliveryOutcome::EnqueueFailed {
            error: "(4440) (10100)queue is not existed, or deleted".into()
        }
    );
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
        h.a.create_topic(&topic("t")).unwrap();
        let queues = ["q0", "q1", "q2", "q3"];
        h.a.create_queue("q3", &Default::default()).unwrap();
        for (i, f) in filters.iter().enumerate() {
            let mut req = queue(&format!("s{i}"), queues[i]);
            req.filter_tags = f.clone();
            h.a.subscribe("t", &req).unwrap();
        }
        let mut expected: Vec<Vec<String>> = vec![Vec::new(); filters.len()];
        for (n, tags) in msgs.iter().enumerate() {
            let body = format!("m{n}");
            let hits: Vec<usize> =
                (0..filters.len()).filter(|&i| filter::tags_match(&filters[i], tags)).collect();
            let res = h.a.publish("t", &body, tags, None);
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
            proptest::prop_assert_eq!(&h.bodies(queues[i]), want);
        }
    }
}
