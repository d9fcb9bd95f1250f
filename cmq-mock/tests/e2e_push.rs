//! End to end: HTTP push to subscriptions and its retry schedules, driven through the real SDK
//! against a `CmqMock` on a manual clock, with `cmq_mock::PushReceiver` as the push endpoint.
//! Retry waits are crossed by moving the clock to the next deadline, never by sleeping.

mod common;
use common::*;

use std::time::Duration;

use cmq_mock::{DeliveryOutcome, PushConfig, PushFailure, PushReceiver, ReceivedPush, Reply};
use cmq_sdk::SubscriptionSpec;
use cmq_sdk::generated::types::{NotifyContentFormat, NotifyStrategy};

/// Topic `events` with the subscription `hook` made from `spec`; the topic's handle.
async fn topic_with_hook(c: &cmq_sdk::Client, spec: SubscriptionSpec) -> cmq_sdk::Topic {
    let topic = c.topic("events");
    topic.create().await.expect("create");
    topic.subscribe("hook", spec).await.expect("subscribe");
    topic
}

/// `msgCount` of topic `events` and of its subscription `hook`.
async fn msg_counts(c: &cmq_sdk::Client) -> (i64, i64) {
    let topic = c.topic("events").attributes().await.expect("topic");
    let sub = c
        .subscription("events", "hook")
        .attributes()
        .await
        .expect("sub");
    (topic.msg_count, sub.msg_count)
}

fn push_ids(pushes: &[ReceivedPush]) -> Vec<String> {
    pushes
        .iter()
        .map(|p| p.header("x-cmq-message-id").unwrap_or("").to_owned())
        .collect()
}

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
    // Nothing more arrives: the worker is done, and nothing is left to push.
    assert!(mock.pushes_idle(WAIT).await, "the pushes never went idle");
    assert!(
        mock.deliveries()
            .matching(|r| r.msg_id == id && r.attempt > 1)
            .is_empty()
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
    let spec =
        SubscriptionSpec::http(rx.url("/hook")).notify_strategy(NotifyStrategy::BackoffRetry);
    let topic = topic_with_hook(&c, spec).await;
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
        assert_eq!(msg_counts(&c).await, (1, 1));
        // One millisecond early, it still sleeps for that deadline and has not retried (explicit
        // events, no real-time window).
        mock.clock().advance(Duration::from_millis(wait - 1));
        assert_eq!(
            mock.clock().next_deadline_ms(),
            Some(at + wait),
            "retried early"
        );
        let early = |r: &cmq_mock::DeliveryRecord| r.msg_id == id && r.attempt == attempt + 1;
        assert!(
            mock.deliveries().matching(early).is_empty(),
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
    // The attempt's timeout has not fired (it is still the clock's next timer), and the
    // endpoint never answers: nothing can be logged yet.
    assert_eq!(mock.clock().next_deadline_ms(), Some(start + 15_000));
    assert!(mock.deliveries().matching(|r| r.msg_id == id).is_empty());
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

/// Each subscription pushes in publish order; a message waiting for its retry holds back
/// neither another subscription nor the messages behind it (spec decision `push order and
/// retries`): they go meanwhile, and it goes again once its wait is over.
#[tokio::test]
async fn a_failing_push_holds_back_neither_other_subscriptions_nor_later_messages() {
    let (mock, t0) = mock_with(|b| b).await;
    let failing = PushReceiver::start().await.expect("receiver");
    failing.script([Reply::Status(500)]);
    let healthy = PushReceiver::start().await.expect("receiver");
    let c = client(&mock);
    let topic = c.topic("events");
    topic.create().await.expect("create");
    for (name, rx) in [("slow", &failing), ("fast", &healthy)] {
        topic
            .subscribe_http(name, rx.url("/"))
            .await
            .expect("subscribe");
    }
    let mut ids = Vec::new();
    for body in ["m1", "m2", "m3"] {
        ids.push(topic.publish(body).await.expect("publish"));
    }
    let fast = healthy.wait_for(3, WAIT).await.expect("three pushes");
    assert_eq!(push_ids(&fast), ids);
    // On "slow", m1 failed and waits a second for its retry; m2 and m3 go meanwhile.
    let slow = failing.wait_for(3, WAIT).await.expect("three pushes");
    assert_eq!(push_ids(&slow), ids);
    record(&mock, "m3 delivered on slow", |r| {
        r.msg_id == ids[2]
            && r.subscription == "slow"
            && matches!(r.outcome, DeliveryOutcome::Delivered { .. })
    })
    .await;
    let sub = |name: &'static str| c.subscription("events", name);
    assert_eq!(sub("slow").attributes().await.expect("a").msg_count, 1);
    assert_eq!(sub("fast").attributes().await.expect("a").msg_count, 0);
    assert_eq!(topic.attributes().await.expect("a").msg_count, 1);
    wait_deadline(mock.clock(), t0 * 1000 + 1_000).await;
    mock.clock().advance(Duration::from_secs(1));
    let slow = failing.wait_for(4, WAIT).await.expect("four pushes");
    assert_eq!(push_ids(&slow)[3], ids[0]);
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
    assert_eq!(order, [ids[1].as_str(), &ids[2], &ids[0]]);
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
    assert!(mock.pushes_idle(WAIT).await, "the pushes never went idle");
    assert!(
        mock.deliveries()
            .matching(|r| r.msg_id == id && r.attempt > 1)
            .is_empty()
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
    assert!(mock.pushes_idle(WAIT).await, "the pushes never went idle");
    assert!(
        mock.deliveries()
            .matching(|r| r.msg_id == id && r.attempt > 6)
            .is_empty()
    );
    assert_eq!(rx.pushes().len(), 6);
}
