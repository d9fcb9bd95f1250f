//! End to end: topics, subscriptions, tag and routing-key filtering and fan-out to queues, driven
//! through the real SDK over HTTP against a `CmqMock` on a manual clock.

mod common;
use common::*;

use std::time::Duration;

use cmq_mock::{Action, DeliveryOutcome, WireParams};
use cmq_sdk::generated::ops::{CreateTopicInput, SetSubscriptionAttributesInput, SubscribeInput};
use cmq_sdk::generated::types::{NotifyContentFormat, NotifyStrategy, Protocol};
use cmq_sdk::{Client, Credentials, ErrorId, Profile, SubscriptionSpec};
use futures_util::TryStreamExt;

/// Creates topics `events`, `Events-2`, `routed` (routing keys) and `other`; their names and
/// ids.
async fn four_topics(c: &Client) -> ([&'static str; 4], Vec<String>) {
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
    (names, ids)
}

#[tokio::test]
async fn topics_are_created_and_listed() {
    let (mock, _) = mock().await;
    let c = client(&mock);
    let (names, ids) = four_topics(&c).await;
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
}

#[tokio::test]
async fn topic_attributes_and_message_size() {
    let (mock, t0) = mock_with(|b| b.queue("q")).await;
    let c = client(&mock);
    let (_, ids) = four_topics(&c).await;
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
}

#[tokio::test]
async fn topic_deletion_and_the_name_block() {
    let (mock, _) = mock_with(|b| b.queue("q")).await;
    let c = client(&mock);
    four_topics(&c).await;
    c.topic("events")
        .subscribe_queue("to-q", "q")
        .await
        .expect("subscribe");
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
    let events = c.topic("events");
    let gone = [
        events.attributes().await.map(|_| ()),
        events.publish("x").await.map(|_| ()),
        events.delete().await,
        events.subscribe_queue("s", "q").await.map(|_| ()),
    ];
    for r in gone {
        expect_err(r, ErrorId::TopicNotExist, "");
    }
    assert_eq!(c.list_topic().send().await.expect("list").total_count, 3);
    // The name is blocked for the profile's re-create block (tdmq, the default: 30 s).
    expect_err(
        c.topic("events").create().await,
        ErrorId::TopicReleasing,
        "",
    );
    let block = mock.profile().facts().recreate_block;
    mock.clock().advance(block - Duration::from_millis(1));
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

/// Topic `events` with subscriptions `to-q1` (queue q1), `hook` (http, BACKOFF_RETRY, tags a
/// and b) and `To-Q2` (queue q2); the topic's handle.
async fn three_subscriptions(c: &Client) -> cmq_sdk::Topic {
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
    topic
}

#[tokio::test]
async fn subscriptions_are_created_and_listed() {
    let (mock, _) = mock_with(|b| b.queue("q1").queue("q2")).await;
    let c = client(&mock);
    let topic = three_subscriptions(&c).await;
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
}

#[tokio::test]
async fn subscription_attributes_change_and_clear() {
    let (mock, t0) = mock_with(|b| b.queue("q1").queue("q2")).await;
    let c = client(&mock);
    three_subscriptions(&c).await;
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
}

#[tokio::test]
async fn subscription_refusals_and_unsubscribe() {
    let (mock, _) = mock_with(|b| b.queue("q1").queue("q2")).await;
    let c = client(&mock);
    let topic = three_subscriptions(&c).await;
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
}

#[tokio::test]
async fn batch_publish_holds_16_bodies_and_64_kib_on_legacy() {
    let (mock, _) = mock_with(|b| b.queue("q").profile(Profile::Legacy)).await;
    let c = client(&mock);
    let topic = c.topic("busy");
    topic.create().await.expect("create");
    topic.subscribe_queue("s", "q").await.expect("subscribe");
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
