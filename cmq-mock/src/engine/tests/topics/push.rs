//! Push to `http` subscriptions: bodies, headers, retry schedules, timeouts, order, expiry.

use super::*;
use crate::engine::{DeliveryOutcome, PushFailure, SubscriptionUpdate};
use crate::receiver::{PushReceiver, Reply};

/// A receiver answering every push with `reply`.
async fn receiver(reply: Reply) -> PushReceiver {
    let rx = PushReceiver::start().await.expect("receiver");
    rx.set_default(reply);
    rx
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_json_headers_and_body_are_exact() {
    let h = harness();
    let rx = receiver(Reply::Status(200)).await;
    h.a.create_topic(&topic("Orders")).unwrap();
    h.a.subscribe("orders", &http("Web", &rx.url("/hook/a")))
        .unwrap();
    let id =
        h.a.publish("orders", "hello \"world\"", &strs(&["a", "b"]), None)
            .unwrap();
    let rec = record(&h.log, |r| r.msg_id == id).await;
    assert_eq!(rec.outcome, DeliveryOutcome::Delivered { status: 200 });
    assert_eq!(
        (
            rec.attempt,
            rec.time_ms,
            rec.latency_ms,
            rec.next_attempt_ms
        ),
        (1, T0, Some(0), None)
    );
    assert_eq!(
        (rec.topic.as_str(), rec.subscription.as_str(), &rec.protocol),
        ("Orders", "Web", &Protocol::Http)
    );
    let got = rx.pushes();
    assert_eq!(got.len(), 1);
    let req = &got[0];
    assert_eq!(
        (req.method.as_str(), req.path.as_str()),
        ("POST", "/hook/a")
    );
    assert_eq!(req.header("content-type"), Some("text/plain"));
    assert_eq!(
        req.header("user-agent"),
        Some("Qcloud Notification Service Agent")
    );
    assert_eq!(req.header("x-cmq-message-id"), Some(id.as_str()));
    assert_eq!(req.header("x-cmq-message-tag"), Some("a, b"));
    assert_eq!(req.header("x-cmq-request-id"), rec.request_id.as_deref());
    assert!(rec.request_id.as_ref().is_some_and(|r| !r.is_empty()));
    let expected = format!(
        r#"{{"TopicOwner":"1250000000","topicName":"Orders","subscriptionName":"Web","msgId":"{id}","msgBody":"hello \"world\"","publishTime":{}}}"#,
        T0 / 1000
    );
    assert_eq!(req.body, expected);
    assert_eq!(msg_count(&h, "orders"), 0);
    assert_eq!(sub_count(&h, "orders", "web"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_simplified_body_without_tags() {
    let h = harness();
    let rx = receiver(Reply::Status(204)).await;
    h.a.create_topic(&topic("t")).unwrap();
    let mut s = http("s", &rx.url("/"));
    s.notify_content_format = Some(NotifyContentFormat::Simplified);
    h.a.subscribe("t", &s).unwrap();
    let id = h.a.publish("t", "raw body ✓", &[], None).unwrap();
    let rec = record(&h.log, |r| r.msg_id == id).await;
    assert_eq!(rec.outcome, DeliveryOutcome::Delivered { status: 204 });
    let req = &rx.pushes()[0];
    assert_eq!(req.body, "raw body ✓");
    assert!(req.header("x-cmq-message-tag").is_none());
    assert_eq!(req.header("x-cmq-message-id"), Some(id.as_str()));
    assert_eq!(req.header("content-type"), Some("text/plain"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_2xx_succeeds_and_3xx_fails() {
    let h = harness();
    h.a.create_topic(&topic("t")).unwrap();
    let mut receivers = Vec::new();
    for code in [201, 299, 302] {
        let rx = receiver(Reply::Status(code)).await;
        let sub = http(&format!("s{code}"), &rx.url(&format!("/{code}")));
        h.a.subscribe("t", &sub).unwrap();
        receivers.push(rx);
    }
    let id = h.a.publish("t", "m", &[], None).unwrap();
    let outcome = |s: &'static str| {
        let id = id.clone();
        let log = h.log.clone();
        async move {
            record(&log, move |r| r.msg_id == id && r.subscription == s)
                .await
                .outcome
        }
    };
    assert_eq!(
        outcome("s201").await,
        DeliveryOutcome::Delivered { status: 201 }
    );
    assert_eq!(
        outcome("s299").await,
        DeliveryOutcome::Delivered { status: 299 }
    );
    assert_eq!(
        outcome("s302").await,
        DeliveryOutcome::Failed(PushFailure::Status(302))
    );
    assert_eq!(msg_count(&h, "t"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exponential_decay_retry_schedule_is_exact() {
    let h = harness();
    let rx = receiver(Reply::Status(500)).await;
    h.a.create_topic(&topic("t")).unwrap();
    h.a.subscribe("t", &http("s", &rx.url("/fail"))).unwrap();
    let id = h.a.publish("t", "m", &[], None).unwrap();
    assert_eq!((msg_count(&h, "t"), sub_count(&h, "t", "s")), (1, 1));
    let mut expected_at = T0;
    for attempt in 1..=177u32 {
        let rec = record(&h.log, |r| {
            r.attempt == attempt && matches!(r.outcome, DeliveryOutcome::Failed(_))
        })
        .await;
        assert_eq!(
            rec.outcome,
            DeliveryOutcome::Failed(PushFailure::Status(500))
        );
        assert_eq!(rec.time_ms, expected_at, "attempt {attempt}");
        if attempt == 177 {
            assert_eq!(rec.next_attempt_ms, None);
            break;
        }
        let wait = if attempt <= 10 {
            1000 << (attempt - 1)
        } else {
            512_000
        };
        let wait = wait.min(512_000);
        assert_eq!(
            rec.next_attempt_ms,
            Some(expected_at + wait),
            "attempt {attempt}"
        );
        assert_eq!(
            next_deadline(&h).await,
            Some(expected_at + wait),
            "attempt {attempt}"
        );
        expected_at += wait;
        // One millisecond early changes nothing.
        if attempt <= 2 {
            h.clock.set_ms(expected_at - 1);
            h.idle().await;
            assert!(h.log.matching(|r| r.attempt == attempt + 1).is_empty());
        }
        h.clock.set_ms(expected_at);
    }
    assert_eq!(expected_at - T0, 86_015_000);
    let dropped = record(&h.log, |r| r.outcome == DeliveryOutcome::Dropped).await;
    assert_eq!(
        (dropped.attempt, dropped.time_ms, dropped.msg_id.as_str()),
        (177, T0 + 86_015_000, id.as_str())
    );
    assert_eq!(rx.pushes().len(), 177);
    assert_eq!((msg_count(&h, "t"), sub_count(&h, "t", "s")), (0, 0));
    assert_eq!(next_deadline(&h).await, None);
    assert_eq!(h.workers(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backoff_retry_schedule_is_three_seeded_waits() {
    let h = harness();
    let rx = receiver(Reply::Status(503)).await;
    h.a.create_topic(&topic("t")).unwrap();
    h.a.subscribe("t", &backoff(http("s", &rx.url("/"))))
        .unwrap();
    h.a.publish("t", "m", &[], None).unwrap();
    let mut rng = fastrand::Rng::with_seed(42);
    let waits: Vec<u64> = (0..3).map(|_| rng.u64(10_000..=20_000)).collect();
    let mut at = T0;
    for attempt in 1..=4u32 {
        let rec = record(&h.log, |r| {
            r.attempt == attempt && matches!(r.outcome, DeliveryOutcome::Failed(_))
        })
        .await;
        assert_eq!(
            rec.outcome,
            DeliveryOutcome::Failed(PushFailure::Status(503))
        );
        assert_eq!(rec.time_ms, at);
        if attempt == 4 {
            assert_eq!(rec.next_attempt_ms, None);
            break;
        }
        let w = waits[attempt as usize - 1];
        assert!((10_000..=20_000).contains(&w));
        assert_eq!(rec.next_attempt_ms, Some(at + w));
        assert_eq!(next_deadline(&h).await, Some(at + w));
        at += w;
        h.clock.set_ms(at);
    }
    let dropped = record(&h.log, |r| r.outcome == DeliveryOutcome::Dropped).await;
    assert_eq!((dropped.attempt, dropped.time_ms), (4, at));
    assert_eq!(rx.pushes().len(), 4);
    assert_eq!(msg_count(&h, "t"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_answer_within_15_s_is_a_failure() {
    let h = harness();
    let rx = receiver(Reply::Hang).await;
    h.a.create_topic(&topic("t")).unwrap();
    h.a.subscribe("t", &http("s", &rx.url("/slow"))).unwrap();
    h.a.publish("t", "m", &[], None).unwrap();
    assert_eq!(rx.wait_for(1, WAIT).await.map(|p| p.len()), Some(1));
    assert_eq!(h.clock.next_deadline_ms(), Some(T0 + 15_000));
    h.clock.advance(Duration::from_millis(14_999));
    // The attempt's only timer (its 15 s timeout) has not fired, and nothing else can end it
    // (the endpoint never answers): no record yet, exactly.
    assert_eq!(h.clock.next_deadline_ms(), Some(T0 + 15_000));
    assert!(h.log.records().is_empty());
    h.clock.advance(Duration::from_millis(1));
    let rec = record(&h.log, |_| true).await;
    assert_eq!(rec.outcome, DeliveryOutcome::Failed(PushFailure::Timeout));
    assert_eq!(
        (rec.time_ms, rec.latency_ms, rec.next_attempt_ms),
        (T0 + 15_000, Some(15_000), Some(T0 + 16_000))
    );
    // The retry goes out at +1 s and times out again 15 s later.
    h.clock.set_ms(T0 + 16_000);
    assert_eq!(rx.wait_for(2, WAIT).await.map(|p| p.len()), Some(2));
    // The attempt is in flight (not idle): its timeout is the clock's only timer.
    let guard = tokio::time::Instant::now() + WAIT;
    while h.clock.next_deadline_ms() != Some(T0 + 31_000) {
        assert!(
            tokio::time::Instant::now() < guard,
            "{:?}",
            h.clock.next_deadline_ms()
        );
        tokio::task::yield_now().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_refused_is_a_failure() {
    let h = harness();
    let port = {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        l.local_addr().unwrap().port()
    };
    h.a.create_topic(&topic("t")).unwrap();
    h.a.subscribe(
        "t",
        &backoff(http("s", &format!("http://127.0.0.1:{port}/"))),
    )
    .unwrap();
    h.a.publish("t", "m", &[], None).unwrap();
    let rec = record(&h.log, |_| true).await;
    assert!(
        matches!(
            rec.outcome,
            DeliveryOutcome::Failed(PushFailure::Transport(_))
        ),
        "{rec:?}"
    );
    assert!(rec.next_attempt_ms.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serial_delivery_is_fifo_per_subscription() {
    let h = serial_harness();
    let rx = receiver(Reply::Status(200)).await;
    rx.script([Reply::Status(500)]);
    h.a.create_topic(&topic("t")).unwrap();
    h.a.subscribe("t", &http("s", &rx.url("/"))).unwrap();
    let ids: Vec<String> = ["m1", "m2", "m3"]
        .iter()
        .map(|b| h.a.publish("t", b, &[], None).unwrap())
        .collect();
    assert_eq!((msg_count(&h, "t"), sub_count(&h, "t", "s")), (3, 3));
    let fail = record(&h.log, |_| true).await;
    assert_eq!(
        (fail.msg_id.as_str(), fail.next_attempt_ms),
        (ids[0].as_str(), Some(T0 + 1000))
    );
    // Nothing overtakes the failed head while it waits for its retry.
    h.idle().await;
    assert!(h.log.matching(|r| r.msg_id != ids[0]).is_empty());
    assert_eq!(rx.pushes().len(), 1);
    h.clock.set_ms(T0 + 1000);
    let done = h
        .log
        .wait_for_count(
            3,
            |r| matches!(r.outcome, DeliveryOutcome::Delivered { .. }),
            WAIT,
        )
        .await
        .unwrap();
    assert_eq!(
        done.iter().map(|r| r.msg_id.clone()).collect::<Vec<_>>(),
        ids
    );
    assert_eq!(pushed_bodies(&rx), strs(&["m1", "m1", "m2", "m3"]));
    assert_eq!((msg_count(&h, "t"), sub_count(&h, "t", "s")), (0, 0));
}

/// The JSON push bodies `rx` received, in order.
fn pushed_bodies(rx: &PushReceiver) -> Vec<String> {
    rx.pushes()
        .into_iter()
        .map(|r| {
            let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
            v["msgBody"].as_str().unwrap().to_string()
        })
        .collect()
}

/// The default (spec decision `push order and retries`): a message waiting for its retry does
/// not hold back the ones behind it; it goes again, ahead of newer ones, once due.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_waiting_for_a_retry_does_not_hold_back_the_others() {
    let h = harness();
    let rx = receiver(Reply::Status(200)).await;
    rx.script([Reply::Status(500)]);
    h.a.create_topic(&topic("t")).unwrap();
    h.a.subscribe("t", &http("s", &rx.url("/"))).unwrap();
    let ids: Vec<String> = ["m1", "m2", "m3"]
        .iter()
        .map(|b| h.a.publish("t", b, &[], None).unwrap())
        .collect();
    let fail = record(&h.log, |r| matches!(r.outcome, DeliveryOutcome::Failed(_))).await;
    assert_eq!(
        (fail.msg_id.as_str(), fail.next_attempt_ms),
        (ids[0].as_str(), Some(T0 + 1000))
    );
    // m2 and m3 go at once, on the virtual clock's T0, while m1 waits.
    let done = h
        .log
        .wait_for_count(2, |r| r.outcome.is_final(), WAIT)
        .await
        .unwrap();
    let got: Vec<(&str, u64)> = done
        .iter()
        .map(|r| (r.msg_id.as_str(), r.time_ms))
        .collect();
    assert_eq!(got, [(ids[1].as_str(), T0), (ids[2].as_str(), T0)]);
    assert_eq!((msg_count(&h, "t"), sub_count(&h, "t", "s")), (1, 1));
    assert_eq!(next_deadline(&h).await, Some(T0 + 1000));
    h.clock.set_ms(T0 + 1000);
    let retry = record(&h.log, |r| r.msg_id == ids[0] && r.outcome.is_final()).await;
    assert_eq!(
        (retry.attempt, retry.time_ms, &retry.outcome),
        (2, T0 + 1000, &DeliveryOutcome::Delivered { status: 200 })
    );
    assert_eq!(pushed_bodies(&rx), strs(&["m1", "m2", "m3", "m1"]));
    assert_eq!((msg_count(&h, "t"), sub_count(&h, "t", "s")), (0, 0));
}

/// BACKOFF_RETRY: a message whose retries fail is dropped and delivery moves on; meanwhile the
/// ones behind it were delivered, and a message published later goes at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_message_lets_delivery_move_on() {
    let h = harness();
    let rx = receiver(Reply::Status(200)).await;
    let fail = Reply::Status(503);
    rx.script([
        fail.clone(),
        Reply::Status(200),
        fail.clone(),
        fail.clone(),
        fail,
    ]);
    h.a.create_topic(&topic("t")).unwrap();
    h.a.subscribe("t", &backoff(http("s", &rx.url("/"))))
        .unwrap();
    let bad = h.a.publish("t", "bad", &[], None).unwrap();
    let good = h.a.publish("t", "good", &[], None).unwrap();
    // "good" goes at T0, while "bad" waits for its first retry.
    let first_good = record(&h.log, |r| r.msg_id == good).await;
    assert_eq!(
        (first_good.time_ms, &first_good.outcome),
        (T0, &DeliveryOutcome::Delivered { status: 200 })
    );
    let mut cursor = 0;
    loop {
        let rec = h
            .log
            .wait_for_from(cursor, |r| r.msg_id == bad, WAIT)
            .await
            .expect("record");
        cursor = rec.seq + 1;
        if rec.outcome == DeliveryOutcome::Dropped {
            assert_eq!(rec.attempt, 4);
            break;
        }
        if let Some(next) = rec.next_attempt_ms {
            h.clock.set_ms(next);
        }
    }
    let later = h.a.publish("t", "later", &[], None).unwrap();
    let rec = record(&h.log, |r| r.msg_id == later).await;
    assert_eq!(rec.outcome, DeliveryOutcome::Delivered { status: 200 });
    assert_eq!(
        pushed_bodies(&rx),
        strs(&["bad", "good", "bad", "bad", "bad", "later"])
    );
    assert_eq!((msg_count(&h, "t"), sub_count(&h, "t", "s")), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn msg_count_tracks_pending_http_deliveries() {
    let h = serial_harness();
    let rx = receiver(Reply::Status(200)).await;
    let bad = receiver(Reply::Status(500)).await;
    h.a.create_topic(&topic("t")).unwrap();
    h.a.subscribe("t", &http("ok", &rx.url("/ok"))).unwrap();
    h.a.subscribe("t", &backoff(http("bad", &bad.url("/bad"))))
        .unwrap();
    h.a.subscribe("t", &queue("q", "q0")).unwrap();
    h.a.subscribe("t", &tagged(http("never", &rx.url("/ok")), &["zzz"]))
        .unwrap();
    let ids = h.a.batch_publish("t", &["a", "b"], &[], None).unwrap();
    assert_eq!(msg_count(&h, "t"), 2);
    assert_eq!(sub_count(&h, "t", "q"), 0);
    assert_eq!(sub_count(&h, "t", "never"), 0);
    h.log
        .wait_for_count(2, |r| r.subscription == "ok" && r.outcome.is_final(), WAIT)
        .await
        .unwrap();
    assert_eq!(sub_count(&h, "t", "ok"), 0);
    assert_eq!(sub_count(&h, "t", "bad"), 2);
    assert_eq!(msg_count(&h, "t"), 2);
    // Drive "bad" until both messages are dropped.
    let mut cursor = 0;
    for (i, id) in ids.iter().enumerate() {
        loop {
            let rec = h
                .log
                .wait_for_from(cursor, |r| r.subscription == "bad", WAIT)
                .await
                .expect("record");
            cursor = rec.seq + 1;
            assert_eq!(&rec.msg_id, id);
            if rec.outcome == DeliveryOutcome::Dropped {
                break;
            }
            if let Some(next) = rec.next_attempt_ms {
                h.clock.set_ms(next);
            }
        }
        assert_eq!(msg_count(&h, "t"), 1 - i as u64);
        assert_eq!(sub_count(&h, "t", "bad"), 1 - i as u64);
    }
    assert_eq!(h.bodies("q0"), strs(&["a", "b"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undelivered_messages_expire_86400_s_after_publishing() {
    let h = serial_harness();
    let rx = receiver(Reply::Status(500)).await;
    h.a.create_topic(&topic("t")).unwrap();
    h.a.subscribe("t", &http("s", &rx.url("/"))).unwrap();
    let ids =
        h.a.batch_publish("t", &["m1", "m2", "m3"], &[], None)
            .unwrap();
    let expiry = T0 + 86_400_000;
    // Step through every retry until every message has a final record.
    let mut finals = Vec::new();
    let mut cursor = 0;
    while finals.len() < 3 {
        let rec = h
            .log
            .wait_for_from(cursor, |_| true, WAIT)
            .await
            .expect("record");
        cursor = rec.seq + 1;
        if rec.outcome.is_final() {
            finals.push(rec);
        } else if let Some(next) = rec.next_attempt_ms {
            let target = next.min(expiry);
            assert_eq!(next_deadline(&h).await, Some(target));
            if rec.msg_id == ids[0] {
                assert_eq!(msg_count(&h, "t"), 3);
            } else {
                assert_eq!(msg_count(&h, "t"), 2);
            }
            h.clock.set_ms(target);
        }
    }
    assert_eq!(
        (finals[0].msg_id.as_str(), &finals[0].outcome),
        (ids[0].as_str(), &DeliveryOutcome::Dropped)
    );
    assert_eq!(finals[0].time_ms, T0 + 86_015_000);
    // m2 was tried at 86015, 86016, 86018, …, 86270 s; its next retry (86526 s) is too late.
    assert_eq!(
        (finals[1].msg_id.as_str(), &finals[1].outcome),
        (ids[1].as_str(), &DeliveryOutcome::Expired)
    );
    assert_eq!((finals[1].time_ms, finals[1].attempt), (expiry, 9));
    // m3 never reached the head.
    assert_eq!(
        (finals[2].msg_id.as_str(), &finals[2].outcome),
        (ids[2].as_str(), &DeliveryOutcome::Expired)
    );
    assert_eq!((finals[2].time_ms, finals[2].attempt), (expiry, 0));
    let m2_times: Vec<u64> = h
        .log
        .matching(|r| r.msg_id == ids[1] && !r.outcome.is_final())
        .iter()
        .map(|r| (r.time_ms - T0) / 1000)
        .collect();
    assert_eq!(
        m2_times,
        vec![
            86_015, 86_016, 86_018, 86_022, 86_030, 86_046, 86_078, 86_142, 86_270
        ]
    );
    assert_eq!((msg_count(&h, "t"), sub_count(&h, "t", "s")), (0, 0));
    assert_eq!(rx.pushes().len(), 177 + 9);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsubscribe_stops_delivery() {
    let h = serial_harness();
    let rx = receiver(Reply::Status(500)).await;
    h.a.create_topic(&topic("t")).unwrap();
    h.a.subscribe("t", &http("s", &rx.url("/"))).unwrap();
    h.a.subscribe("t", &queue("q", "q0")).unwrap();
    h.a.publish("t", "m1", &[], None).unwrap();
    h.a.publish("t", "m2", &[], None).unwrap();
    let fail = record(&h.log, |r| r.protocol == Protocol::Http).await;
    assert_eq!(msg_count(&h, "t"), 2);
    assert_eq!(next_deadline(&h).await, fail.next_attempt_ms);
    h.a.unsubscribe("t", "s").unwrap();
    assert_eq!(msg_count(&h, "t"), 0);
    h.clock.set_ms(T0 + 1000);
    let from = h.log.cursor();
    h.idle().await;
    assert!(h.log.matching(|r| r.seq >= from).is_empty());
    assert_eq!(rx.pushes().len(), 1);
    assert_eq!(h.workers(), 0);
    assert_eq!(h.clock.next_deadline_ms(), None);
    assert_eq!(
        kind(h.a.subscription_attributes("t", "s")),
        K::SubscriptionNotExist
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsubscribe_cancels_an_attempt_in_flight() {
    let h = harness();
    let rx = receiver(Reply::Hang).await;
    h.a.create_topic(&topic("t")).unwrap();
    h.a.subscribe("t", &http("s", &rx.url("/"))).unwrap();
    h.a.publish("t", "m", &[], None).unwrap();
    rx.wait_for(1, WAIT).await.expect("a push");
    h.a.unsubscribe("t", "s").unwrap();
    h.a.delete_topic("t").unwrap();
    h.clock.advance(Duration::from_secs(20));
    h.idle().await;
    assert!(h.log.records().is_empty());
    assert_eq!(h.workers(), 0);
    assert_eq!(h.clock.next_deadline_ms(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strategy_change_applies_to_the_next_failure_and_reset_stops_all() {
    let h = harness();
    let rx = receiver(Reply::Status(500)).await;
    h.a.create_topic(&topic("t")).unwrap();
    h.a.subscribe("t", &http("s", &rx.url("/"))).unwrap();
    h.a.publish("t", "m", &[], None).unwrap();
    let first = record(&h.log, |_| true).await;
    assert_eq!(first.next_attempt_ms, Some(T0 + 1000));
    let update = SubscriptionUpdate {
        notify_strategy: Some(NotifyStrategy::BackoffRetry),
        ..Default::default()
    };
    h.a.set_subscription_attributes("t", "s", &update).unwrap();
    h.clock.set_ms(T0 + 1000);
    let second = record(&h.log, |r| r.attempt == 2).await;
    let wait = second.next_attempt_ms.unwrap() - (T0 + 1000);
    assert!((10_000..=20_000).contains(&wait), "{wait}");
    h.a.reset();
    assert_eq!(h.a.list_topics(None, 0, 10).total_count, 0);
    h.clock.set_ms(second.next_attempt_ms.unwrap());
    h.idle().await;
    assert!(h.log.matching(|r| r.attempt == 3).is_empty());
    assert_eq!(h.workers(), 0);
    // A name removed by reset can be created again at once.
    h.a.create_topic(&topic("t")).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_publishers_deliver_everything_once_per_subscription() {
    let h = Arc::new(harness());
    let rx = receiver(Reply::Status(200)).await;
    h.a.create_topic(&topic("t")).unwrap();
    h.a.subscribe("t", &http("a", &rx.url("/a"))).unwrap();
    h.a.subscribe("t", &http("b", &rx.url("/b"))).unwrap();
    h.a.subscribe("t", &queue("q", "q0")).unwrap();
    let mut tasks = Vec::new();
    for p in 0..4 {
        let h = h.clone();
        tasks.push(tokio::spawn(async move {
            (0..25)
                .map(|i| h.a.publish("t", &format!("p{p}-{i}"), &[], None).unwrap())
                .collect::<Vec<_>>()
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.extend(t.await.unwrap());
    }
    assert_eq!(ids.len(), 100);
    let delivered = h
        .log
        .wait_for_count(
            200,
            |r| matches!(r.outcome, DeliveryOutcome::Delivered { .. }),
            WAIT,
        )
        .await
        .unwrap();
    for sub in ["a", "b"] {
        let mut got: Vec<String> = delivered
            .iter()
            .filter(|r| r.subscription == sub)
            .map(|r| r.msg_id.clone())
            .collect();
        got.sort();
        let mut want = ids.clone();
        want.sort();
        assert_eq!(got, want, "{sub}");
    }
    assert_eq!(h.bodies("q0").len(), 100);
    assert_eq!(rx.pushes().len(), 200);
    assert_eq!(msg_count(&h, "t"), 0);
    // Per publisher, each subscription saw the messages in publish order.
    for sub in ["/a", "/b"] {
        for p in 0..4 {
            let prefix = format!("p{p}-");
            let seq: Vec<usize> = rx
                .pushes()
                .into_iter()
                .filter(|r| r.path == sub)
                .filter_map(|r| {
                    let v: serde_json::Value = serde_json::from_str(&r.body).ok()?;
                    v["msgBody"].as_str()?.strip_prefix(&prefix)?.parse().ok()
                })
                .collect();
            assert_eq!(seq, (0..25).collect::<Vec<_>>());
        }
    }
}
