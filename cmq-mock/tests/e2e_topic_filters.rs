//! End to end: tag filtering (filterType 1) and routing keys against binding keys (filterType 2),
//! through the real SDK over HTTP against a `CmqMock`.

mod common;
use common::*;

use cmq_sdk::generated::ops::{
    CreateTopicInput, PublishMessageInput, SetSubscriptionAttributesInput,
};
use cmq_sdk::{Client, ErrorId, SubscriptionSpec};

/// Tag topic `tagged` (refusing a publish while it has no subscription) with queue subscriptions
/// `all` (no filter), `tag-a` (a) and `tags-bc` (b, c), each to the queue of its name.
async fn tagged_topic(c: &Client) -> cmq_sdk::Topic {
    let topic = c.topic("tagged");
    topic.create().await.expect("create");
    expect_err(
        topic.publish("nobody").await,
        ErrorId::TopicHasNoSubscription,
        "",
    );
    topic
        .subscribe_queue("all", "all")
        .await
        .expect("subscribe");
    topic
        .subscribe("tag-a", SubscriptionSpec::queue("tag-a").filter_tags(["a"]))
        .await
        .expect("subscribe");
    topic
        .subscribe(
            "tags-bc",
            SubscriptionSpec::queue("tags-bc").filter_tags(["b", "c"]),
        )
        .await
        .expect("subscribe");
    topic
}

#[tokio::test]
async fn tag_filtering_and_publish_without_a_match() {
    let (mock, _) = mock_with(|b| b.queue("all").queue("tag-a").queue("tags-bc")).await;
    let c = client(&mock);
    let topic = tagged_topic(&c).await;
    topic.publish("untagged").await.expect("publish");
    // ("A" checks that tags compare exactly.)
    let tagged: [(&str, &[&str]); 5] = [
        ("a", &["a"]),
        ("c-z", &["c", "z"]),
        ("a-b", &["a", "b"]),
        ("z", &["z"]),
        ("A", &["A"]),
    ];
    for (body, tags) in tagged {
        let tags = tags.iter().copied();
        topic.publish_with_tags(body, tags).await.expect("publish");
    }
    topic
        .batch_publish_with_tags(["batch-1", "batch-2"], ["b"])
        .await
        .expect("batch");
    assert_eq!(
        bodies(&c, "all").await,
        [
            "untagged", "a", "c-z", "a-b", "z", "A", "batch-1", "batch-2"
        ]
    );
    assert_eq!(bodies(&c, "tag-a").await, ["a", "a-b"]);
    assert_eq!(
        bodies(&c, "tags-bc").await,
        ["c-z", "a-b", "batch-1", "batch-2"]
    );
    // Without the catch-all subscription, a message nobody wants is refused.
    c.subscription("tagged", "all")
        .unsubscribe()
        .await
        .expect("unsubscribe");
    let unmatched = [
        topic.publish_with_tags("z", ["z"]).await.map(|_| ()),
        topic.publish("untagged").await.map(|_| ()),
        topic
            .batch_publish_with_tags(["x"], ["q"])
            .await
            .map(|_| ()),
    ];
    for r in unmatched {
        expect_err(r, ErrorId::NoSubscriptionMatched, "");
    }
    topic
        .publish_with_tags("b", ["b"])
        .await
        .expect("still matches");
    // Too many tags.
    expect_err(
        unvalidated(&mock)
            .topic("tagged")
            .publish_with_tags("x", ["1", "2", "3", "4", "5", "6"])
            .await,
        ErrorId::TooManyMsgTags,
        "",
    );
    c.subscription("tagged", "tag-a")
        .unsubscribe()
        .await
        .expect("unsubscribe");
    c.subscription("tagged", "tags-bc")
        .unsubscribe()
        .await
        .expect("unsubscribe");
    expect_err(
        topic.publish_with_tags("b", ["b"]).await,
        ErrorId::TopicHasNoSubscription,
        "",
    );
    // Nothing refused reached a queue.
    assert_eq!(bodies(&c, "tags-bc").await, ["b"]);
    assert!(bodies(&c, "tag-a").await.is_empty());
}

/// Routing topic `routed` with queue subscriptions binding `1.#.0`, `a.*.c`, `#` and `a.*` (each
/// to the queue of its name: one-hash-zero, a-star-c, hash, a-star); the topic's handle.
async fn routed_topic(c: &Client) -> cmq_sdk::Topic {
    let topic = c.topic("routed");
    topic
        .create_with(CreateTopicInput::new().filter_type(2))
        .await
        .expect("create");
    // A subscription on a routing topic needs a binding key.
    expect_err(
        topic.subscribe_queue("none", "hash").await,
        ErrorId::BindingKeyMissing,
        "",
    );
    for (name, key) in [
        ("one-hash-zero", "1.#.0"),
        ("a-star-c", "a.*.c"),
        ("hash", "#"),
        ("a-star", "a.*"),
    ] {
        topic
            .subscribe(name, SubscriptionSpec::queue(name).binding_keys([key]))
            .await
            .expect("subscribe");
    }
    topic
}

#[tokio::test]
async fn routing_keys_match_binding_keys_with_star_and_hash() {
    let (mock, _) = mock_with(|b| {
        b.queue("one-hash-zero")
            .queue("a-star-c")
            .queue("hash")
            .queue("a-star")
    })
    .await;
    let c = client(&mock);
    let topic = routed_topic(&c).await;
    for key in [
        "1.0",
        "1.2.3.4.4.2.2.0",
        "a.b.c",
        "a.b",
        "a",
        "a.b.c.d",
        "1.0.1",
        "",
    ] {
        topic
            .publish_with_routing_key(format!("k={key}"), key)
            .await
            .expect("publish");
    }
    topic
        .batch_publish_with_routing_key(["batch"], "1.x.0")
        .await
        .expect("batch");
    assert_eq!(
        bodies(&c, "one-hash-zero").await,
        ["k=1.0", "k=1.2.3.4.4.2.2.0", "batch"]
    );
    assert_eq!(bodies(&c, "a-star-c").await, ["k=a.b.c"]);
    assert_eq!(bodies(&c, "a-star").await, ["k=a.b"]);
    assert_eq!(
        bodies(&c, "hash").await,
        [
            "k=1.0",
            "k=1.2.3.4.4.2.2.0",
            "k=a.b.c",
            "k=a.b",
            "k=a",
            "k=a.b.c.d",
            "k=1.0.1",
            "k=",
            "batch"
        ]
    );
}

#[tokio::test]
async fn routing_key_refusals_and_binding_key_changes() {
    let (mock, _) = mock_with(|b| {
        b.queue("one-hash-zero")
            .queue("a-star-c")
            .queue("hash")
            .queue("a-star")
    })
    .await;
    let c = client(&mock);
    let topic = routed_topic(&c).await;
    // Without `#`, an unmatched key is refused.
    c.subscription("routed", "hash")
        .unsubscribe()
        .await
        .expect("unsubscribe");
    for key in ["x.y", ""] {
        let r = topic.publish_with_routing_key("x", key).await;
        expect_err(r, ErrorId::NoSubscriptionMatched, "");
    }
    // A routing topic needs a routing key; keys have limits.
    expect_err(
        topic.publish("no key").await,
        ErrorId::RoutingKeyMissing,
        "",
    );
    let raw = unvalidated(&mock);
    expect_err(
        raw.topic("routed")
            .publish_with_routing_key("x", ["w"; 17].join("."))
            .await,
        ErrorId::TooManyDelimiters,
        "",
    );
    let r = raw
        .execute(
            PublishMessageInput::new()
                .topic_name("routed")
                .msg_body("x")
                .routing_key("a.*"),
        )
        .await;
    expect_err(r, ErrorId::ValueOutOfRange, "routingKey");
    // Binding keys can be changed.
    c.subscription("routed", "a-star")
        .set_attributes(SetSubscriptionAttributesInput::new().binding_key(["x.#"]))
        .await
        .expect("set");
    topic
        .publish_with_routing_key("x.y", "x.y")
        .await
        .expect("publish");
    assert_eq!(bodies(&c, "a-star").await, ["x.y"]);
    let a = c
        .subscription("routed", "a-star")
        .attributes()
        .await
        .expect("attributes");
    assert_eq!(a.binding_key, Some(vec!["x.#".to_owned()]));
}
