//! End to end: topics, subscriptions, filtering, fan-out to queues and HTTP push with its retry
//! schedules, driven through the real SDK over HTTP against a `CmqMock` on a manual clock, with
//! `cmq_mock::PushReceiver` as the push endpoint. Retry waits are crossed by moving the
//! clock to the next deadline, never by sleeping.

mod common;
use common::*;

use std::time::{Duration, Instant};

use cmq_mock::Clock;
use cmq_mock::PushConfig;
use cmq_mock::{Action, CmqMock, WireParams};
use cmq_mock::{DeliveryOutcome, DeliveryRecord, PushFailure};
use cmq_mock::{PushReceiver, ReceivedPush, Reply};
use cmq_sdk::generated::ops::{
    CreateTopicInput, PublishMessageInput, SetSubscriptionAttributesInput, SubscribeInput,
};
use cmq_sdk::generated::types::{NotifyContentFormat, NotifyStrategy, Protocol};
use cmq_sdk::{Client, Credentials, ErrorId, SubscriptionSpec};
use futures_util::TryStreamExt;

// ------------------------------------------------------------------------------------ helpers

const WAIT: Duration = Duration::from_secs(10);

fn secs(s: u64) -> i64 {
    i64::try_from(s).unwrap_or(i64::MAX)
}

async fn wait_deadline(clock: &Clock, want: u64) {
    let started = Instant::now();
    while clock.next_deadline_ms() != Some(want) {
        assert!(
            started.elapsed() < WAIT,
            "no sleeper at {want}; next deadline {:?}",
            clock.next_deadline_ms()
        );
        tokio::task::yield_now().await;
    }
}

async fn record(
    mock: &CmqMock,
    what: &str,
    pred: impl Fn(&DeliveryRecord) -> bool,
) -> DeliveryRecord {
    match mock.deliveries().wait_for(pred, WAIT).await {
        Some(r) => r,
        None => panic!(
            "no delivery record: {what}; log: {:#?}",
            mock.deliveries().records()
        ),
    }
}

fn push_ids(pushes: &[ReceivedPush]) -> Vec<String> {
    pushes
        .iter()
        .map(|p| p.header("x-cmq-message-id").unwrap_or("").to_owned())
        .collect()
}

async fn bodies(c: &Client, queue: &str) -> Vec<String> {
    c.queue(queue)
        .batch_receive(16, Some(0))
        .await
        .expect("receive")
        .into_iter()
        .map(|m| m.body)
        .collect()
}

// --------------------------------------------------------------------------- topic management

#[tokio::test]
async fn topic_create_list_get_set_delete() {
    let (mock, t0) = mock_with(|b| b.queue("q")).await;
    let c = client(&mock);
    let names = ["events", "Events-2", "routed", "other"];
    let mut ids = Vec::new();
    for n in names {
        let input = if n == "routed" {
            CreateTopicInput::new().filter_type(2)
        } else {
            CreateTopicInput::new()
        };
        let id = c.topic(n).create_with(input).await.expect("create");
        assert!(id.starts_with("topic-"), "{id}");
        ids.push(id);
    }
    for n in ["EVENTS", "events"] {
        expect_err(c.topic(n).create().await, ErrorId::TopicAlreadyExists, "");
    }
    let all = c.list_topic().send().await.expect("list");
    assert_eq!(all.total_count, 4);
    let listed: Vec<&str> = all
        .topic_list
        .iter()
        .map(|t| t.topic_name.as_str())
        .collect();
    assert_eq!(listed, names);
    let listed_ids: Vec<&str> = all.topic_list.iter().map(|t| t.topic_id.as_str()).collect();
    assert_eq!(listed_ids, ids);
    let page = c
        .list_topic()
        .search_word("EVENTS")
        .offset(1)
        .limit(5)
        .send()
        .await
        .expect("list");
    assert_eq!(page.total_count, 2);
    assert_eq!(page.topic_list.len(), 1);
    assert_eq!(page.topic_list[0].topic_name, "Events-2");
    let streamed: Vec<String> = c
        .list_topics(None)
        .map_ok(|t| t.topic_name)
        .try_collect()
        .await
        .expect("stream");
    assert_eq!(streamed, names);

    let a = c.topic("events").attributes().await.expect("attributes");
    let t = secs(t0);
    assert_eq!(
        (
            a.msg_count,
            a.max_msg_size,
            a.msg_retention_seconds,
            a.filter_type
        ),
        (0, 65_536, 86_400, 1)
    );
    assert_eq!((a.create_time, a.last_modify_time), (t, t));
    assert_eq!(a.topic_id.as_deref(), Some(ids[0].as_str()));
    assert_eq!(
        c.topic("routed").attributes().await.expect("a").filter_type,
        2
    );

    mock.clock().advance(Duration::from_secs(3));
    c.topic("events").set_max_msg_size(1024).await.expect("set");
    let a = c.topic("events").attributes().await.expect("attributes");
    assert_eq!(
        (a.max_msg_size, a.create_time, a.last_modify_time),
        (1024, t, t + 3)
    );
    expect_err(
        unvalidated(&mock)
            .topic("events")
            .set_max_msg_size(1023)
            .await,
        ErrorId::ValueOutOfRange,
        "maxMsgSize",
    );
    c.topic("events")
        .subscribe_queue("to-q", "q")
        .await
        .expect("subscribe");
    c.topic("events")
        .publish("a".repeat(1024))
        .await
        .expect("exactly maxMsgSize");
    expect_err(
        c.topic("events").publish("a".repeat(1025)).await,
        ErrorId::MessageTooLarge,
        "",
    );

    // Deleting needs the subscriptions gone first.
    expect_err(
        c.topic("events").delete().await,
        ErrorId::TopicHasSubscriptions,
        "",
    );
    c.topic("events")
        .subscription("to-q")
        .unsubscribe()
        .await
        .expect("unsubscribe");
    c.topic("EVENTS").delete().await.expect("delete");
    expect_err(
        c.topic("events").attributes().await,
        ErrorId::TopicNotExist,
        "",
    );
    expect_err(
        c.topic("events").publish("x").await,
        ErrorId::TopicNotExist,
        "",
    );
    expect_err(c.topic("events").delete().await, ErrorId::TopicNotExist, "");
    expect_err(
        c.topic("events").subscribe_queue("s", "q").await,
        ErrorId::TopicNotExist,
        "",
    );
    assert_eq!(c.list_topic().send().await.expect("list").total_count, 3);
    // The name is blocked for 10 s.
    expect_err(
        c.topic("events").create().await,
        ErrorId::TopicReleasing,
        "",
    );
    mock.clock().advance(Duration::from_millis(9_999));
    expect_err(
        c.topic("Events").create().await,
        ErrorId::TopicReleasing,
        "",
    );
    mock.clock().advance(Duration::from_millis(1));
    c.topic("events").create().await.expect("created again");
    // Bad inputs the mock refuses itself.
    let raw = unvalidated(&mock);
    expect_err(
        raw.topic("bad")
            .create_with(CreateTopicInput::new().filter_type(3))
            .await,
        ErrorId::ValueOutOfRange,
        "filterType",
    );
    expect_err(
        raw.topic("9lives").create().await,
        ErrorId::TopicNameFormat,
        "",
    );
}

#[tokio::test]
async fn topics_are_isolated_per_account() {
    let (mock, _) = mock_with(|b| b.account("AKIDone", "k1").account("AKIDtwo", "k2")).await;
    let one = client(&mock);
    let two = Client::new(&mock.endpoint(), Credentials::new("AKIDtwo", "k2")).expect("client");
    one.topic("t").create().await.expect("create");
    two.topic("t")
        .create()
        .await
        .expect("same name in another account");
    one.queue("q").create().await.expect("queue");
    two.queue("q").create().await.expect("queue");
    one.topic("t")
        .subscribe_queue("s", "q")
        .await
        .expect("subscribe");
    expect_err(
        two.topic("t").publish("x").await,
        ErrorId::TopicHasNoSubscription,
        "",
    );
    two.topic("t")
        .subscribe_queue("s", "q")
        .await
        .expect("subscribe");
    one.topic("t").publish("for one").await.expect("publish");
    two.topic("t").publish("for two").await.expect("publish");
    assert_eq!(bodies(&one, "q").await, ["for one"]);
    assert_eq!(bodies(&two, "q").await, ["for two"]);
    let o1 = one
        .subscription("t", "s")
        .attributes()
        .await
        .expect("a")
        .topic_owner;
    let o2 = two
        .subscription("t", "s")
        .attributes()
        .await
        .expect("a")
        .topic_owner;
    assert_ne!(o1, o2);
    for o in [&o1, &o2] {
        assert!(
            !o.is_empty() && o.bytes().all(|b| b.is_ascii_digit()),
            "{o}"
        );
    }
}

#[tokio::test]
async fn subscriptions_create_list_get_set_clear_delete() {
    let (mock, t0) = mock_with(|b| b.queue("q1").queue("q2")).await;
    let c = client(&mock);
    let topic = c.topic("events");
    topic.create().await.expect("create");
    let sub = topic
        .subscribe_queue("to-q1", "q1")
        .await
        .expect("subscribe");
    assert!(
        sub.id().is_some_and(|id| id.starts_with("subscription-")),
        "{:?}",
        sub.id()
    );
    topic
        .subscribe(
            "hook",
            SubscriptionSpec::http("http://127.0.0.1:9/hook")
                .notify_strategy(NotifyStrategy::BackoffRetry)
                .filter_tags(["a", "b"]),
        )
        .await
        .expect("subscribe http");
    topic
        .subscribe_queue("To-Q2", "q2")
        .await
        .expect("subscribe");
    expect_err(
        topic.subscribe_queue("TO-Q1", "q2").await,
        ErrorId::SubscriptionAlreadyExists,
        "",
    );
    let list = c
        .list_subscription_by_topic()
        .topic_name("events")
        .send()
        .await
        .expect("list");
    assert_eq!(list.total_count, 3);
    let items: Vec<(String, String, String)> = list
        .subscription_list
        .unwrap_or_default()
        .into_iter()
        .map(|s| (s.subscription_name, s.protocol, s.endpoint))
        .collect();
    assert_eq!(
        items,
        [
            ("to-q1".into(), "queue".into(), "q1".into()),
            (
                "hook".into(),
                "http".into(),
                "http://127.0.0.1:9/hook".into()
            ),
            ("To-Q2".into(), "queue".into(), "q2".into()),
        ]
    );
    let page = c
        .list_subscription_by_topic()
        .topic_name("events")
        .search_word("to-q")
        .offset(1)
        .limit(1)
        .send()
        .await
        .expect("list");
    assert_eq!(page.total_count, 2);
    assert_eq!(
        page.subscription_list.unwrap_or_default()[0].subscription_name,
        "To-Q2"
    );
    let streamed: Vec<String> = topic
        .subscriptions()
        .map_ok(|s| s.subscription_name)
        .try_collect()
        .await
        .expect("stream");
    assert_eq!(streamed, ["to-q1", "hook", "To-Q2"]);

    let t = secs(t0);
    let a = c
        .subscription("events", "to-q1")
        .attributes()
        .await
        .expect("attributes");
    assert_eq!(
        (
            a.protocol.as_str(),
            a.endpoint.as_str(),
            a.notify_strategy.as_str(),
            a.notify_content_format.as_str(),
            a.msg_count,
            a.create_time,
            a.last_modify_time
        ),
        (
            "queue",
            "q1",
            "EXPONENTIAL_DECAY_RETRY",
            "SIMPLIFIED",
            0,
            t,
            t
        )
    );
    assert!(!a.topic_owner.is_empty() && a.topic_owner.bytes().all(|b| b.is_ascii_digit()));
    let h = c
        .subscription("events", "HOOK")
        .attributes()
        .await
        .expect("attributes");
    assert_eq!(
        (h.notify_strategy.as_str(), h.notify_content_format.as_str()),
        ("BACKOFF_RETRY", "JSON")
    );
    assert_eq!(h.filter_tags, Some(vec!["a".to_owned(), "b".to_owned()]));

    mock.clock().advance(Duration::from_secs(2));
    c.subscription("events", "hook")
        .set_attributes(
            SetSubscriptionAttributesInput::new()
                .notify_strategy(NotifyStrategy::ExponentialDecayRetry)
                .notify_content_format(NotifyContentFormat::Simplified)
                .filter_tag(["c"]),
        )
        .await
        .expect("set");
    let h = c
        .subscription("events", "hook")
        .attributes()
        .await
        .expect("attributes");
    assert_eq!(
        (
            h.notify_strategy.as_str(),
            h.notify_content_format.as_str(),
            h.last_modify_time
        ),
        ("EXPONENTIAL_DECAY_RETRY", "SIMPLIFIED", t + 2)
    );
    assert_eq!(h.filter_tags, Some(vec!["c".to_owned()]));
    c.subscription("events", "hook")
        .clear_filter_tags()
        .await
        .expect("clear");
    let h = c
        .subscription("events", "hook")
        .attributes()
        .await
        .expect("attributes");
    assert_eq!(h.filter_tags.unwrap_or_default(), Vec::<String>::new());

    // Refusals.
    expect_err(
        c.subscription("events", "nope").attributes().await,
        ErrorId::SubscriptionNotExist,
        "",
    );
    expect_err(
        c.subscription("events", "nope").unsubscribe().await,
        ErrorId::SubscriptionNotExist,
        "",
    );
    expect_err(
        topic.subscribe_queue("ghost", "no-such-queue").await,
        ErrorId::IllegalEndpoint,
        "",
    );
    expect_err(
        topic
            .subscribe(
                "json-queue",
                SubscriptionSpec::queue("q1").notify_content_format(NotifyContentFormat::Json),
            )
            .await,
        ErrorId::QueueProtocolRequiresSimplified,
        "",
    );
    let raw = unvalidated(&mock);
    expect_err(
        raw.topic("events")
            .subscribe_http("blank", "http://a b/")
            .await,
        ErrorId::UrlContainsBlank,
        "",
    );
    expect_err(
        raw.topic("events")
            .subscribe_http("ftp", "ftp://example.com/")
            .await,
        ErrorId::EndpointFormatError,
        "",
    );
    let six: Vec<String> = (0..6).map(|i| format!("t{i}")).collect();
    expect_err(
        raw.topic("events")
            .subscribe("many", SubscriptionSpec::queue("q1").filter_tags(six))
            .await,
        ErrorId::FilterTagNumberExceeded,
        "",
    );
    let r = raw
        .execute(
            SubscribeInput::new()
                .topic_name("events")
                .subscription_name("proto")
                .protocol(Protocol::Queue)
                .endpoint("q1")
                .notify_strategy(NotifyStrategy::BackoffRetry),
        )
        .await;
    assert!(r.is_ok(), "{r:?}");

    c.subscription("events", "to-q1")
        .unsubscribe()
        .await
        .expect("unsubscribe");
    let left: Vec<String> = topic
        .subscriptions()
        .map_ok(|s| s.subscription_name)
        .try_collect()
        .await
        .expect("stream");
    assert_eq!(left, ["hook", "To-Q2", "proto"]);
}

// ---------------------------------------------------------------------------------- filtering

#[tokio::test]
async fn tag_filtering_and_publish_without_a_match() {
    let (mock, _) = mock_with(|b| b.queue("all").queue("tag-a").queue("tags-bc")).await;
    let c = client(&mock);
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
    topic.publish("untagged").await.expect("publish");
    topic.publish_with_tags("a", ["a"]).await.expect("publish");
    topic
        .publish_with_tags("c-z", ["c", "z"])
        .await
        .expect("publish");
    topic
        .publish_with_tags("a-b", ["a", "b"])
        .await
        .expect("publish");
    topic.publish_with_tags("z", ["z"]).await.expect("publish");
    // Tags compare exactly.
    topic.publish_with_tags("A", ["A"]).await.expect("publish");
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
    expect_err(
        topic.publish_with_tags("z", ["z"]).await,
        ErrorId::NoSubscriptionMatched,
        "",
    );
    expect_err(
        topic.publish("untagged").await,
        ErrorId::NoSubscriptionMatched,
        "",
    );
    expect_err(
        topic.batch_publish_with_tags(["x"], ["q"]).await,
        ErrorId::NoSubscriptionMatched,
        "",
    );
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
    // Without `#`, an unmatched key is refused.
    c.subscription("routed", "hash")
        .unsubscribe()
        .await
        .expect("unsubscribe");
    expect_err(
        topic.publish_with_routing_key("x", "x.y").await,
        ErrorId::NoSubscriptionMatched,
        "",
    );
    expect_err(
        topic.publish_with_routing_key("x", "").await,
        ErrorId::NoSubscriptionMatched,
        "",
    );
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

// ------------------------------------------------------------------------------------ fan-out

#[tokio::test]
async fn fan_out_to_every_queue_subscription() {
    let (mock, t0) = mock_with(|b| b.queue("q1").queue("q2").queue("q3")).await;
    let c = client(&mock);
    let topic = c.topic("fan");
    topic.create().await.expect("create");
    for q in ["q1", "q2", "q3"] {
        topic
            .subscribe_queue(format!("to-{q}"), q)
            .await
            .expect("subscribe");
    }
    let id = topic.publish("hello all").await.expect("publish");
    let ids = topic.batch_publish(["b1", "b2"]).await.expect("batch");
    assert_eq!(ids.len(), 2);
    for q in ["q1", "q2", "q3"] {
        let got = c
            .queue(q)
            .batch_receive(16, Some(0))
            .await
            .expect("receive");
        let b: Vec<&str> = got.iter().map(|m| m.body.as_str()).collect();
        assert_eq!(b, ["hello all", "b1", "b2"], "{q}");
        assert!(got.iter().all(|m| m.enqueue_time == secs(t0)));
    }
    let recs = mock
        .deliveries()
        .matching(|r| r.msg_id == id && r.topic == "fan");
    assert_eq!(recs.len(), 3);
    let subs: Vec<&str> = recs.iter().map(|r| r.subscription.as_str()).collect();
    assert_eq!(subs, ["to-q1", "to-q2", "to-q3"]);
    for r in &recs {
        assert_eq!((r.attempt, r.time_ms), (1, t0 * 1000));
        assert!(
            matches!(r.outcome, DeliveryOutcome::Enqueued { .. }),
            "{r:?}"
        );
    }
    // Topic msgCount counts only pending pushes: queue fan-out is immediate.
    assert_eq!(topic.attributes().await.expect("a").msg_count, 0);
    // A deleted queue makes its fan-out fail (logged), the publish still succeeds.
    c.queue("q2").delete().await.expect("delete");
    let id = topic.publish("after").await.expect("publish");
    let failed = record(&mock, "enqueue failure", |r| {
        r.msg_id == id && matches!(r.outcome, DeliveryOutcome::EnqueueFailed { .. })
    })
    .await;
    assert_eq!(failed.subscription, "to-q2");
    assert_eq!(bodies(&c, "q1").await, ["after"]);
    assert_eq!(bodies(&c, "q3").await, ["after"]);
}

// ------------------------------------------------------------------------------------ HTTP push

#[tokio::test]
async fn http_push_json_body_and_headers() {
    let (mock, t0) = mock_with(|b| b).await;
    let rx = PushReceiver::start().await.expect("receiver");
    let c = client(&mock);
    let topic = c.topic("events");
    topic.create().await.expect("create");
    topic
        .subscribe_http("hook", rx.url("/hook"))
        .await
        .expect("subscribe");
    let id = topic
        .publish_with_tags("hello \"push\"", ["a", "b"])
        .await
        .expect("publish");
    let pushes = rx.wait_for(1, WAIT).await.expect("a push");
    let p = &pushes[0];
    assert_eq!(p.path, "/hook");
    assert_eq!(p.header("content-type"), Some("text/plain"));
    assert_eq!(
        p.header("user-agent"),
        Some("Qcloud Notification Service Agent")
    );
    assert_eq!(p.header("x-cmq-message-id"), Some(id.as_str()));
    assert_eq!(p.header("x-cmq-message-tag"), Some("a, b"));
    let request_id = p.header("x-cmq-request-id").expect("request id").to_owned();
    assert!(!request_id.is_empty());
    let owner = c
        .subscription("events", "hook")
        .attributes()
        .await
        .expect("a")
        .topic_owner;
    let expected = serde_json::json!({
        "TopicOwner": owner,
        "topicName": "events",
        "subscriptionName": "hook",
        "msgId": id,
        "msgBody": "hello \"push\"",
        "publishTime": t0,
    });
    assert_eq!(p.json(), Some(expected));
    // The exact key order of the documented example.
    let keys = [
        "\"TopicOwner\":",
        "\"topicName\":",
        "\"subscriptionName\":",
        "\"msgId\":",
        "\"msgBody\":",
        "\"publishTime\":",
    ];
    let positions: Vec<usize> = keys
        .iter()
        .map(|k| {
            p.body
                .find(k)
                .unwrap_or_else(|| panic!("{k} in {}", p.body))
        })
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{}", p.body);
    let rec = record(&mock, "delivered", |r| {
        r.msg_id == id && matches!(r.outcome, DeliveryOutcome::Delivered { .. })
    })
    .await;
    assert_eq!(rec.outcome, DeliveryOutcome::Delivered { status: 200 });
    assert_eq!((rec.attempt, rec.time_ms), (1, t0 * 1000));
    assert_eq!(rec.request_id.as_deref(), Some(request_id.as_str()));
    assert_eq!(rec.subscription, "hook");
    assert_eq!(rec.owner, owner);
    // Nothing more arrives.
    assert!(
        mock.deliveries()
            .expect_none(
                |r| r.msg_id == id && r.attempt > 1,
                Duration::from_millis(100)
            )
            .await
            .is_none()
    );
    assert_eq!(rx.pushes().len(), 1);
}

#[tokio::test]
async fn http_push_simplified_body_is_the_bare_message() {
    let (mock, _) = mock_with(|b| b).await;
    let rx = PushReceiver::start().await.expect("receiver");
    let c = client(&mock);
    let topic = c.topic("events");
    topic.create().await.expect("create");
    topic
        .subscribe(
            "hook",
            SubscriptionSpec::http(rx.url("/plain"))
                .notify_content_format(NotifyContentFormat::Simplified),
        )
        .await
        .expect("subscribe");
    let id = topic
        .publish("{\"not\":\"wrapped\"} ü")
        .await
        .expect("publish");
    let pushes = rx.wait_for(1, WAIT).await.expect("a push");
    assert_eq!(pushes[0].body, "{\"not\":\"wrapped\"} ü");
    assert_eq!(pushes[0].path, "/plain");
    assert_eq!(pushes[0].header("x-cmq-message-id"), Some(id.as_str()));
    assert_eq!(pushes[0].header("x-cmq-message-tag"), None);
    assert!(
        pushes[0]
            .header("x-cmq-request-id")
            .is_some_and(|r| !r.is_empty())
    );
}

#[tokio::test]
async fn backoff_retry_is_three_retries_10_to_20_s_apart_then_dropped() {
    let seed = 7;
    let (mock, t0) = mock_with(|b| {
        b.push_config(PushConfig {
            seed: Some(seed),
            ..PushConfig::default()
        })
    })
    .await;
    let rx = PushReceiver::start().await.expect("receiver");
    rx.set_default(Reply::Status(500));
    let c = client(&mock);
    let topic = c.topic("events");
    topic.create().await.expect("create");
    topic
        .subscribe(
            "hook",
            SubscriptionSpec::http(rx.url("/hook")).notify_strategy(NotifyStrategy::BackoffRetry),
        )
        .await
        .expect("subscribe");
    let id = topic.publish("doomed").await.expect("publish");
    // The pusher draws every wait from one RNG seeded with `seed`.
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut at = t0 * 1000;
    for attempt in 1..=4 {
        let rec = record(&mock, &format!("attempt {attempt}"), |r| {
            r.msg_id == id
                && r.attempt == attempt
                && matches!(r.outcome, DeliveryOutcome::Failed(_))
        })
        .await;
        assert_eq!(
            rec.outcome,
            DeliveryOutcome::Failed(PushFailure::Status(500))
        );
        assert_eq!(rec.time_ms, at, "attempt {attempt}");
        if attempt == 4 {
            assert_eq!(rec.next_attempt_ms, None);
            break;
        }
        let wait = rng.u64(10_000..=20_000);
        assert_eq!(rec.next_attempt_ms, Some(at + wait), "attempt {attempt}");
        // The worker sleeps until exactly then.
        wait_deadline(mock.clock(), at + wait).await;
        assert_eq!(topic.attributes().await.expect("a").msg_count, 1);
        assert_eq!(
            c.subscription("events", "hook")
                .attributes()
                .await
                .expect("a")
                .msg_count,
            1
        );
        mock.clock().advance(Duration::from_millis(wait - 1));
        assert!(
            mock.deliveries()
                .expect_none(
                    |r| r.msg_id == id && r.attempt == attempt + 1,
                    Duration::from_millis(50)
                )
                .await
                .is_none(),
            "retried early"
        );
        mock.clock().advance(Duration::from_millis(1));
        at += wait;
    }
    let dropped = record(&mock, "dropped", |r| {
        r.msg_id == id && r.outcome == DeliveryOutcome::Dropped
    })
    .await;
    assert_eq!((dropped.attempt, dropped.time_ms), (4, at));
    let pushes = rx.pushes();
    assert_eq!(push_ids(&pushes), vec![id.clone(); 4]);
    let mut request_ids: Vec<&str> = pushes
        .iter()
        .filter_map(|p| p.header("x-cmq-request-id"))
        .collect();
    request_ids.sort_unstable();
    request_ids.dedup();
    assert_eq!(request_ids.len(), 4, "a fresh request id per attempt");
    assert_eq!(topic.attributes().await.expect("a").msg_count, 0);
    // Delivery moves on to the next message.
    rx.set_default(Reply::Status(200));
    let next = topic.publish("fine").await.expect("publish");
    let rec = record(&mock, "next delivered", |r| {
        r.msg_id == next && matches!(r.outcome, DeliveryOutcome::Delivered { .. })
    })
    .await;
    assert_eq!((rec.attempt, rec.time_ms), (1, at));
}

#[tokio::test]
async fn exponential_decay_retry_doubles_up_to_512_s() {
    let (mock, t0) = mock_with(|b| b).await;
    let rx = PushReceiver::start().await.expect("receiver");
    // 12 failures, then success: waits 1, 2, 4, …, 256, 512, 512, 512 s.
    rx.script(std::iter::repeat_n(Reply::Status(503), 12));
    let c = client(&mock);
    let topic = c.topic("events");
    topic.create().await.expect("create");
    // EXPONENTIAL_DECAY_RETRY is the default strategy.
    topic
        .subscribe_http("hook", rx.url("/hook"))
        .await
        .expect("subscribe");
    let id = topic.publish("persistent").await.expect("publish");
    let mut at = t0 * 1000;
    for attempt in 1..=12u32 {
        let rec = record(&mock, &format!("attempt {attempt}"), |r| {
            r.msg_id == id
                && r.attempt == attempt
                && matches!(r.outcome, DeliveryOutcome::Failed(_))
        })
        .await;
        assert_eq!(
            rec.outcome,
            DeliveryOutcome::Failed(PushFailure::Status(503))
        );
        assert_eq!(rec.time_ms, at, "attempt {attempt}");
        let wait = 1000 * (1u64 << (attempt - 1)).min(512);
        assert_eq!(rec.next_attempt_ms, Some(at + wait), "attempt {attempt}");
        wait_deadline(mock.clock(), at + wait).await;
        mock.clock().set_ms(at + wait);
        at += wait;
    }
    let rec = record(&mock, "delivered", |r| {
        r.msg_id == id && matches!(r.outcome, DeliveryOutcome::Delivered { .. })
    })
    .await;
    assert_eq!((rec.attempt, rec.time_ms), (13, at));
    assert_eq!(at - t0 * 1000, 1000 * (511 + 3 * 512));
    assert_eq!(rx.pushes().len(), 13);
}

#[tokio::test]
async fn a_push_without_an_answer_times_out_after_15_s_of_mock_time() {
    let (mock, t0) = mock_with(|b| b).await;
    let rx = PushReceiver::start().await.expect("receiver");
    rx.script([Reply::Hang]);
    let c = client(&mock);
    let topic = c.topic("events");
    topic.create().await.expect("create");
    topic
        .subscribe_http("hook", rx.url("/slow"))
        .await
        .expect("subscribe");
    let id = topic.publish("slow").await.expect("publish");
    rx.wait_for(1, WAIT).await.expect("first push arrived");
    let start = t0 * 1000;
    wait_deadline(mock.clock(), start + 15_000).await;
    mock.clock().advance(Duration::from_millis(14_999));
    assert!(
        mock.deliveries()
            .expect_none(|r| r.msg_id == id, Duration::from_millis(50))
            .await
            .is_none()
    );
    mock.clock().advance(Duration::from_millis(1));
    let rec = record(&mock, "timeout", |r| r.msg_id == id).await;
    assert_eq!(rec.outcome, DeliveryOutcome::Failed(PushFailure::Timeout));
    assert_eq!((rec.attempt, rec.time_ms), (1, start + 15_000));
    assert_eq!(rec.latency_ms, Some(15_000));
    assert_eq!(rec.next_attempt_ms, Some(start + 16_000));
    wait_deadline(mock.clock(), start + 16_000).await;
    mock.clock().advance(Duration::from_secs(1));
    let rec = record(&mock, "delivered on retry", |r| {
        r.msg_id == id && matches!(r.outcome, DeliveryOutcome::Delivered { .. })
    })
    .await;
    assert_eq!((rec.attempt, rec.time_ms), (2, start + 16_000));
}

#[tokio::test]
async fn pushes_are_delivered_in_order_per_subscription() {
    let (mock, t0) = mock_with(|b| b).await;
    let failing = PushReceiver::start().await.expect("receiver");
    failing.script([Reply::Status(500)]);
    let healthy = PushReceiver::start().await.expect("receiver");
    let c = client(&mock);
    let topic = c.topic("events");
    topic.create().await.expect("create");
    topic
        .subscribe_http("slow", failing.url("/a"))
        .await
        .expect("subscribe");
    topic
        .subscribe_http("fast", healthy.url("/b"))
        .await
        .expect("subscribe");
    let ids = [
        topic.publish("m1").await.expect("publish"),
        topic.publish("m2").await.expect("publish"),
        topic.publish("m3").await.expect("publish"),
    ];
    // The healthy subscription is not held back by the failing one.
    let fast = healthy.wait_for(3, WAIT).await.expect("three pushes");
    assert_eq!(push_ids(&fast), ids);
    record(&mock, "m1 failed once", |r| {
        r.msg_id == ids[0]
            && r.subscription == "slow"
            && matches!(r.outcome, DeliveryOutcome::Failed(_))
    })
    .await;
    // m2 waits behind m1's retry on the failing subscription.
    assert!(
        mock.deliveries()
            .expect_none(
                |r| r.subscription == "slow" && r.msg_id != ids[0],
                Duration::from_millis(200)
            )
            .await
            .is_none()
    );
    assert_eq!(
        c.subscription("events", "slow")
            .attributes()
            .await
            .expect("a")
            .msg_count,
        3
    );
    assert_eq!(
        c.subscription("events", "fast")
            .attributes()
            .await
            .expect("a")
            .msg_count,
        0
    );
    assert_eq!(topic.attributes().await.expect("a").msg_count, 3);
    wait_deadline(mock.clock(), t0 * 1000 + 1_000).await;
    mock.clock().advance(Duration::from_secs(1));
    let slow = failing.wait_for(4, WAIT).await.expect("four pushes");
    assert_eq!(
        push_ids(&slow),
        [ids[0].as_str(), &ids[0], &ids[1], &ids[2]]
    );
    let delivered = mock
        .deliveries()
        .wait_for_count(
            3,
            |r| r.subscription == "slow" && matches!(r.outcome, DeliveryOutcome::Delivered { .. }),
            WAIT,
        )
        .await
        .expect("three deliveries");
    let order: Vec<&str> = delivered.iter().map(|r| r.msg_id.as_str()).collect();
    assert_eq!(order, ids);
    assert_eq!(topic.attributes().await.expect("a").msg_count, 0);
}

#[tokio::test]
async fn unsubscribing_stops_pending_pushes() {
    let (mock, t0) = mock_with(|b| b).await;
    let rx = PushReceiver::start().await.expect("receiver");
    rx.set_default(Reply::Status(500));
    let c = client(&mock);
    let topic = c.topic("events");
    topic.create().await.expect("create");
    topic
        .subscribe_http("hook", rx.url("/"))
        .await
        .expect("subscribe");
    let id = topic.publish("x").await.expect("publish");
    record(&mock, "first failure", |r| r.msg_id == id).await;
    wait_deadline(mock.clock(), t0 * 1000 + 1_000).await;
    c.subscription("events", "hook")
        .unsubscribe()
        .await
        .expect("unsubscribe");
    assert_eq!(topic.attributes().await.expect("a").msg_count, 0);
    mock.clock().advance(Duration::from_secs(60));
    assert!(
        mock.deliveries()
            .expect_none(
                |r| r.msg_id == id && r.attempt > 1,
                Duration::from_millis(100)
            )
            .await
            .is_none()
    );
    assert_eq!(rx.pushes().len(), 1);
    topic.delete().await.expect("no subscriptions left");
}

#[tokio::test]
async fn a_message_that_outlives_its_lifetime_is_expired_at_that_instant() {
    let (mock, t0) = mock_with(|b| {
        b.push_config(PushConfig {
            message_lifetime: Duration::from_secs(60),
            ..PushConfig::default()
        })
    })
    .await;
    let rx = PushReceiver::start().await.expect("receiver");
    rx.set_default(Reply::Status(500));
    let c = client(&mock);
    let topic = c.topic("events");
    topic.create().await.expect("create");
    topic
        .subscribe_http("hook", rx.url("/"))
        .await
        .expect("subscribe");
    let id = topic.publish("short-lived").await.expect("publish");
    // Attempts at 0, 1, 3, 7, 15, 31 s; the next would be at 63 s, after the 60 s lifetime.
    let start = t0 * 1000;
    for (attempt, at) in [(1u32, 0u64), (2, 1), (3, 3), (4, 7), (5, 15), (6, 31)] {
        let rec = record(&mock, &format!("attempt {attempt}"), |r| {
            r.msg_id == id && r.attempt == attempt
        })
        .await;
        assert_eq!(rec.time_ms, start + at * 1000, "attempt {attempt}");
        let next = rec.next_attempt_ms.expect("a retry is scheduled");
        if attempt == 6 {
            assert_eq!(next, start + 63_000);
            break;
        }
        wait_deadline(mock.clock(), next).await;
        mock.clock().set_ms(next);
    }
    // The worker wakes at the expiry, before the retry.
    wait_deadline(mock.clock(), start + 60_000).await;
    assert_eq!(topic.attributes().await.expect("a").msg_count, 1);
    mock.clock().set_ms(start + 60_000);
    let rec = record(&mock, "expired", |r| {
        r.msg_id == id && r.outcome == DeliveryOutcome::Expired
    })
    .await;
    assert_eq!((rec.attempt, rec.time_ms), (6, start + 60_000));
    assert_eq!(topic.attributes().await.expect("a").msg_count, 0);
    mock.clock().advance(Duration::from_secs(10));
    assert!(
        mock.deliveries()
            .expect_none(
                |r| r.msg_id == id && r.attempt > 6,
                Duration::from_millis(100)
            )
            .await
            .is_none()
    );
    assert_eq!(rx.pushes().len(), 6);
}

#[tokio::test]
async fn topic_and_subscription_quotas_and_batch_total() {
    let (mock, _) = mock_with(|b| b.queue("q")).await;
    let c = client(&mock);
    // Filling the quotas over HTTP would take long in a debug build; `call` runs the same
    // actions in process (decoded and validated exactly like requests).
    let id = mock.secret_id();
    for i in 0..10_000 {
        let p = WireParams::from_pairs([("topicName", format!("t{i}"))]);
        mock.call(id, Action::CreateTopic, &p)
            .await
            .expect("create");
    }
    assert_eq!(
        c.list_topic()
            .limit(1)
            .send()
            .await
            .expect("list")
            .total_count,
        10_000
    );
    expect_err(
        c.topic("one-more").create().await,
        ErrorId::TopicQuotaExceeded,
        "",
    );
    c.topic("t9999").delete().await.expect("delete");
    let topic = c.topic("busy");
    topic.create().await.expect("room again");
    for i in 0..1_000 {
        let p = WireParams::from_pairs([
            ("topicName", "busy".to_owned()),
            ("subscriptionName", format!("s{i}")),
            ("protocol", "queue".to_owned()),
            ("endpoint", "q".to_owned()),
        ]);
        mock.call(id, Action::Subscribe, &p)
            .await
            .expect("subscribe");
    }
    expect_err(
        topic.subscribe_queue("one-more", "q").await,
        ErrorId::SubscriptionQuotaExceeded,
        "",
    );
    let list = c
        .list_subscription_by_topic()
        .topic_name("busy")
        .limit(100)
        .offset(1000)
        .send()
        .await
        .expect("list");
    assert_eq!(
        (
            list.total_count,
            list.subscription_list.unwrap_or_default().len()
        ),
        (1000, 0)
    );
    // One publish fans out to a thousand subscriptions of the same queue.
    topic.publish("x").await.expect("publish");
    assert_eq!(
        c.queue("q").attributes().await.expect("a").active_msg_num,
        1000
    );
    // A batch publish holds at most 64 KiB of bodies.
    let half = "h".repeat(32_768);
    expect_err(
        topic
            .batch_publish([half.clone(), half.clone(), "x".to_owned()])
            .await,
        ErrorId::BatchTotalSizeTooLarge,
        "",
    );
    let ids = topic
        .batch_publish([half.clone(), half])
        .await
        .expect("exactly 64 KiB");
    assert_eq!(ids.len(), 2);
    let seventeen: Vec<String> = (0..17).map(|i| i.to_string()).collect();
    expect_err(
        unvalidated(&mock)
            .topic("busy")
            .batch_publish(seventeen)
            .await,
        ErrorId::BatchSizeOutOfRange,
        "msgBody",
    );
}
