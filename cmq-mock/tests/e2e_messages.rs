//! End to end: messages over time through the real SDK against a `CmqMock` on a manual clock:
//! visibility and receipt handles, long polls, delays, retention, rewind. Time only moves through
//! `mock.clock()`; nothing here sleeps to let time pass.

mod common;
use common::*;

use std::time::Duration;

use cmq_sdk::generated::ops::SetQueueAttributesInput;
use cmq_sdk::{Error, ErrorId};

#[tokio::test]
async fn visibility_timeout_and_receipt_handles() {
    let (mock, t0) = mock_with(|b| b.queue("q")).await;
    let q = client(&mock).queue("q");
    let t = secs(t0);
    let id = q.send("v").await.expect("send");
    assert_eq!(counters(&q).await, [1, 0, 0, 0, t]);
    let m1 = q
        .receive(Some(0))
        .await
        .expect("receive")
        .expect("a message");
    assert_eq!(
        (m1.msg_id.as_str(), m1.body.as_str(), m1.dequeue_count),
        (id.as_str(), "v", 1)
    );
    assert_eq!(
        (m1.enqueue_time, m1.first_dequeue_time, m1.next_visible_time),
        (t, t, t + 30)
    );
    assert_eq!(counters(&q).await, [0, 1, 0, 0, t]);
    assert!(q.receive(Some(0)).await.expect("receive").is_none());
    mock.clock().advance(Duration::from_millis(29_999));
    assert!(q.receive(Some(0)).await.expect("receive").is_none());
    assert_eq!(counters(&q).await, [0, 1, 0, 0, t]);
    mock.clock().advance(Duration::from_millis(1));
    assert_eq!(counters(&q).await, [1, 0, 0, 0, t]);
    let m2 = q
        .receive(Some(0))
        .await
        .expect("receive")
        .expect("visible again");
    assert_eq!((m2.msg_id.as_str(), m2.dequeue_count), (id.as_str(), 2));
    assert_eq!(
        (m2.enqueue_time, m2.first_dequeue_time, m2.next_visible_time),
        (t, t, t + 60)
    );
    assert_ne!(m1.receipt_handle, m2.receipt_handle);
    expect_err(
        q.delete_message(&m1.receipt_handle).await,
        ErrorId::InvalidReceiptHandle,
        "",
    );
    assert_eq!(counters(&q).await, [0, 1, 0, 0, t]);
    q.delete_message(&m2.receipt_handle)
        .await
        .expect("latest handle deletes");
    assert_eq!(counters(&q).await, [0, 0, 0, 0, 0]);
    expect_err(
        q.delete_message(&m2.receipt_handle).await,
        ErrorId::InvalidReceiptHandle,
        "",
    );
}

#[tokio::test]
async fn a_handle_expires_at_next_visible_time_and_belongs_to_its_queue() {
    let (mock, t0) = mock_with(|b| b.queue("q")).await;
    let q = client(&mock).queue("q");
    let t = secs(t0);
    mock.clock().advance(Duration::from_secs(30));
    // A handle stops working exactly at nextVisibleTime.
    q.send("w").await.expect("send");
    let m = q.receive(Some(0)).await.expect("receive").expect("message");
    assert_eq!((m.enqueue_time, m.next_visible_time), (t + 30, t + 60));
    mock.clock().advance(Duration::from_secs(30));
    expect_err(
        q.delete_message(&m.receipt_handle).await,
        ErrorId::InvalidReceiptHandle,
        "",
    );
    assert_eq!(counters(&q).await, [1, 0, 0, 0, t + 30]);
    // A malformed handle is another error.
    expect_err(
        q.delete_message("not-a-handle").await,
        ErrorId::ReceiptHandleError,
        "",
    );
    // A handle of another queue.
    let other = client(&mock).queue("other");
    other.create().await.expect("create");
    other.send("o").await.expect("send");
    let om = other
        .receive(Some(0))
        .await
        .expect("receive")
        .expect("message");
    expect_err(
        q.delete_message(&om.receipt_handle).await,
        ErrorId::InvalidReceiptHandle,
        "",
    );
    other
        .delete_message(&om.receipt_handle)
        .await
        .expect("own queue");
}

#[tokio::test]
async fn a_long_poll_is_woken_at_once_by_a_send() {
    let (mock, t0) = mock_with(|b| b.queue("q")).await;
    let c = client(&mock);
    let q = c.queue("q");
    let waiting = tokio::spawn({
        let q = q.clone();
        async move { q.receive(Some(10)).await }
    });
    wait_deadline(mock.clock(), t0 * 1000 + 10_000).await;
    let id = q.send("wake up").await.expect("send");
    let got = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("answered without the clock moving")
        .expect("task")
        .expect("receive")
        .expect("a message");
    assert_eq!((got.msg_id, got.body.as_str()), (id, "wake up"));
    assert_eq!(mock.clock().now_ms(), t0 * 1000);
    assert_eq!(mock.clock().next_deadline_ms(), None);
    // Batch receives too, and a batch long poll takes what is there when it wakes.
    let waiting = tokio::spawn({
        let q = q.clone();
        async move { q.batch_receive(16, Some(20)).await }
    });
    wait_deadline(mock.clock(), t0 * 1000 + 20_000).await;
    q.batch_send(["a", "b", "c"]).await.expect("send");
    let got = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("answered")
        .expect("task")
        .expect("receive");
    let bodies: Vec<&str> = got.iter().map(|m| m.body.as_str()).collect();
    assert_eq!(bodies, ["a", "b", "c"]);
}

#[tokio::test]
async fn a_long_poll_ends_with_4440_when_its_queue_is_deleted() {
    let (mock, t0) = mock_with(|b| b.queue("q")).await;
    let c = client(&mock);
    let waiting = tokio::spawn({
        let q = c.queue("q");
        async move { q.receive(Some(30)).await }
    });
    wait_deadline(mock.clock(), t0 * 1000 + 30_000).await;
    c.queue("q").delete().await.expect("delete");
    let r = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("answered without the clock moving")
        .expect("task");
    expect_err(r, ErrorId::QueueNotExist, "");
}

#[tokio::test]
async fn a_long_poll_is_woken_by_a_visibility_expiry() {
    let (mock, t0) =
        mock_with(|b| b.queue_with(serde_json::json!({"queueName": "q", "visibilityTimeout": 5})))
            .await;
    let q = client(&mock).queue("q");
    q.send("again").await.expect("send");
    let first = q.receive(Some(0)).await.expect("receive").expect("message");
    let waiting = tokio::spawn({
        let q = q.clone();
        async move { q.receive(Some(20)).await }
    });
    // The waiter sleeps until the visibility timeout ends, not until its window ends.
    wait_deadline(mock.clock(), t0 * 1000 + 5_000).await;
    mock.clock().advance(Duration::from_millis(4_999));
    settle_io().await;
    assert!(!waiting.is_finished());
    mock.clock().advance(Duration::from_millis(1));
    let got = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("answered")
        .expect("task")
        .expect("receive")
        .expect("a message");
    assert_eq!((got.msg_id, got.dequeue_count), (first.msg_id, 2));
    assert_eq!(got.next_visible_time, secs(t0) + 10);
}

#[tokio::test]
async fn a_long_poll_is_woken_by_a_delay_ending() {
    let (mock, t0) = mock_with(|b| b.queue("q")).await;
    let q = client(&mock).queue("q");
    let id = q.send_delayed("later", 7).await.expect("send");
    let waiting = tokio::spawn({
        let q = q.clone();
        async move { q.receive(Some(30)).await }
    });
    wait_deadline(mock.clock(), t0 * 1000 + 7_000).await;
    mock.clock().advance(Duration::from_secs(7));
    let got = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("answered")
        .expect("task")
        .expect("receive")
        .expect("a message");
    assert_eq!((got.msg_id, got.enqueue_time), (id, secs(t0)));
    assert_eq!(got.first_dequeue_time, secs(t0) + 7);
}

#[tokio::test]
async fn the_queue_polling_wait_is_the_default_window_and_7000_comes_at_its_end() {
    let (mock, t0) =
        mock_with(|b| b.queue_with(serde_json::json!({"queueName": "q", "pollingWaitSeconds": 5})))
            .await;
    let c = client(&mock);
    let waiting = tokio::spawn({
        let c = c.clone();
        // No pollingWaitSeconds: the queue's 5 s apply.
        async move { c.receive_message().queue_name("q").send().await }
    });
    wait_deadline(mock.clock(), t0 * 1000 + 5_000).await;
    mock.clock().advance(Duration::from_millis(4_999));
    settle_io().await;
    assert!(!waiting.is_finished(), "answered before the window ended");
    mock.clock().advance(Duration::from_millis(1));
    let r = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("answered")
        .expect("task");
    expect_err(r, ErrorId::NoMessage, "");
    // The handle reports "no message" as None; an explicit 0 answers at once.
    assert!(
        c.queue("q")
            .receive(Some(0))
            .await
            .expect("receive")
            .is_none()
    );
    let r = c
        .batch_receive_message()
        .queue_name("q")
        .num_of_msg(3)
        .polling_wait_seconds(0)
        .send()
        .await;
    expect_err(r, ErrorId::NoMessage, "");
    // A request's own window overrides the queue's.
    let waiting = tokio::spawn({
        let c = c.clone();
        async move { c.queue("q").batch_receive(2, Some(2)).await }
    });
    let now = mock.clock().now_ms();
    wait_deadline(mock.clock(), now + 2_000).await;
    mock.clock().advance(Duration::from_secs(2));
    let got = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("answered")
        .expect("task")
        .expect("receive");
    assert!(got.is_empty());
}

#[tokio::test]
async fn delayed_messages_and_their_counters() {
    let (mock, t0) = mock_with(|b| b.queue("q")).await;
    let q = client(&mock).queue("q");
    let t = secs(t0);
    q.send_delayed("d60", 60).await.expect("send");
    assert_eq!(counters(&q).await, [0, 0, 1, 0, t]);
    assert!(q.receive(Some(0)).await.expect("receive").is_none());
    q.batch_send_delayed(["x", "y"], 30).await.expect("send");
    q.send("now").await.expect("send");
    assert_eq!(counters(&q).await, [1, 0, 3, 0, t]);
    let m = q.receive(Some(0)).await.expect("receive").expect("message");
    assert_eq!(m.body, "now");
    assert_eq!(counters(&q).await, [0, 1, 3, 0, t]);
    mock.clock().advance(Duration::from_millis(29_999));
    assert_eq!(counters(&q).await, [0, 1, 3, 0, t]);
    mock.clock().advance(Duration::from_millis(1));
    // x, y and "now" (its visibility timeout ended too) are visible; d60 is still delayed.
    assert_eq!(counters(&q).await, [3, 0, 1, 0, t]);
    let got = q.batch_receive(16, Some(0)).await.expect("receive");
    let bodies: Vec<&str> = got.iter().map(|m| m.body.as_str()).collect();
    // Production order: "now" (visible again after its 30 s), then x and y.
    assert_eq!(bodies, ["x", "y", "now"]);
    assert!(got.iter().all(|m| m.enqueue_time == t));
    q.batch_delete(got.iter().map(|m| m.receipt_handle.clone()))
        .await
        .expect("delete");
    assert_eq!(counters(&q).await, [0, 0, 1, 0, t]);
    mock.clock().advance(Duration::from_secs(30));
    assert_eq!(counters(&q).await, [1, 0, 0, 0, t]);
    let m = q.receive(Some(0)).await.expect("receive").expect("message");
    assert_eq!((m.body.as_str(), m.first_dequeue_time), ("d60", t + 60));
    // delaySeconds above the default (TDMQ) profile's 6048000 is refused by the mock as well
    // as by the SDK.
    assert!(matches!(
        q.send_delayed("x", 6_048_001).await,
        Err(Error::Validation(_))
    ));
    expect_err(
        unvalidated(&mock)
            .queue("q")
            .send_delayed("x", 6_048_001)
            .await,
        ErrorId::DelaySecondsOutOfRange,
        "",
    );
}

#[tokio::test]
async fn messages_expire_after_the_retention_period() {
    let (mock, t0) = mock_with(|b| {
        b.queue_with(serde_json::json!({
            "queueName": "q", "msgRetentionSeconds": 60, "rewindSeconds": 60,
        }))
    })
    .await;
    let q = client(&mock).queue("q");
    let t = secs(t0);
    q.send("a").await.expect("send");
    q.send("inflight").await.expect("send");
    mock.clock().advance(Duration::from_secs(30));
    q.send("b").await.expect("send");
    let a = q.receive(Some(0)).await.expect("receive").expect("a");
    assert_eq!(a.body, "a");
    q.delete_message(&a.receipt_handle).await.expect("delete");
    let inflight = q
        .receive(Some(0))
        .await
        .expect("receive")
        .expect("inflight");
    assert_eq!(inflight.body, "inflight");
    assert_eq!(counters(&q).await, [1, 1, 0, 1, t]);
    mock.clock().advance(Duration::from_millis(29_999));
    assert_eq!(counters(&q).await, [1, 1, 0, 1, t]);
    // At 60 s the deleted (retained) one and the in-flight one are gone.
    mock.clock().advance(Duration::from_millis(1));
    assert_eq!(counters(&q).await, [1, 0, 0, 0, t + 30]);
    expect_err(
        q.delete_message(&inflight.receipt_handle).await,
        ErrorId::InvalidReceiptHandle,
        "",
    );
    mock.clock().advance(Duration::from_secs(30));
    assert_eq!(counters(&q).await, [0, 0, 0, 0, 0]);
    assert!(q.receive(Some(0)).await.expect("receive").is_none());
}

#[tokio::test]
async fn signed_requests_keep_working_after_days_of_virtual_time() {
    // The default retention is 4 days; the SDK signs with the wall clock all along.
    let (mock, t0) = mock_with(|b| b.queue("q")).await;
    let q = client(&mock).queue("q");
    q.send("old").await.expect("send");
    mock.clock().advance(Duration::from_secs(345_599));
    assert_eq!(counters(&q).await, [1, 0, 0, 0, secs(t0)]);
    mock.clock().advance(Duration::from_secs(1));
    assert_eq!(counters(&q).await, [0, 0, 0, 0, 0]);
    q.send("new").await.expect("send");
    let m = q.receive(Some(0)).await.expect("receive").expect("new");
    assert_eq!(m.enqueue_time, secs(t0) + 345_600);
    // The Timestamp window is the wall clock's: a request stamped with the virtual time is
    // four days off.
    let raw = Raw::new(&mock);
    let p = raw.signed(
        "POST",
        "/v2/index.php",
        raw.params_at("ListQueue", &[], mock.clock().now_secs()),
    );
    let (_, v) = raw.post(&p).await;
    assert_code(&v, 4100, &text(ErrorId::AuthenticationFailed));
}

#[tokio::test]
async fn rewind_replays_from_start_consume_time_in_production_order() {
    let (mock, t0) = mock_with(|b| {
        b.queue_with(serde_json::json!({
            "queueName": "q", "rewindSeconds": 3600, "msgRetentionSeconds": 7200,
        }))
    })
    .await;
    let q = client(&mock).queue("q");
    let t = secs(t0);
    let m1 = q.send("m1").await.expect("send");
    mock.clock().advance(Duration::from_secs(1));
    let m2 = q.send("m2").await.expect("send");
    mock.clock().advance(Duration::from_secs(1));
    let m3 = q.send("m3").await.expect("send");
    // Consume in reverse deletion order to show that production order is what counts.
    let got = q.batch_receive(16, Some(0)).await.expect("receive");
    assert_eq!(got.len(), 3);
    for m in got.iter().rev() {
        q.delete_message(&m.receipt_handle).await.expect("delete");
    }
    assert_eq!(counters(&q).await, [0, 0, 0, 3, 0]);
    q.rewind(t + 1).await.expect("rewind");
    assert_eq!(counters(&q).await, [2, 0, 0, 1, t + 1]);
    let r2 = q.receive(Some(0)).await.expect("receive").expect("m2");
    assert_eq!((r2.msg_id.as_str(), r2.dequeue_count), (m2.as_str(), 2));
    assert_eq!(counters(&q).await, [1, 1, 0, 1, t + 1]);
    // Rewinding again, further back: m1 comes back, the in-flight m2 is visible again at once
    // (its handle dies), and consumption restarts in production order.
    q.rewind(t).await.expect("rewind");
    assert_eq!(counters(&q).await, [3, 0, 0, 0, t]);
    expect_err(
        q.delete_message(&r2.receipt_handle).await,
        ErrorId::InvalidReceiptHandle,
        "",
    );
    let again = q.batch_receive(16, Some(0)).await.expect("receive");
    let ids: Vec<&str> = again.iter().map(|m| m.msg_id.as_str()).collect();
    assert_eq!(ids, [m1.as_str(), m2.as_str(), m3.as_str()]);
    let counts: Vec<i64> = again.iter().map(|m| m.dequeue_count).collect();
    assert_eq!(counts, [2, 3, 2]);
    assert!(
        q.batch_delete(again.iter().map(|m| m.receipt_handle.clone()))
            .await
            .expect("delete")
            .is_complete()
    );
    assert_eq!(counters(&q).await, [0, 0, 0, 3, 0]);
    // Turning rewind off drops the retained messages at once.
    q.set_attributes(SetQueueAttributesInput::new().rewind_seconds(0))
        .await
        .expect("set");
    assert_eq!(counters(&q).await, [0, 0, 0, 0, 0]);
    expect_err(q.rewind(t).await, ErrorId::QueueCannotRewind, "");
}

#[tokio::test]
async fn rewind_window_and_disabled_rewind() {
    let (mock, t0) = mock_with(|b| {
        b.queue("plain").queue_with(serde_json::json!({
            "queueName": "q", "rewindSeconds": 60, "msgRetentionSeconds": 600,
        }))
    })
    .await;
    let c = client(&mock);
    let t = secs(t0);
    expect_err(
        c.queue("plain").rewind(t).await,
        ErrorId::QueueCannotRewind,
        "",
    );
    let q = c.queue("q");
    mock.clock().advance(Duration::from_secs(100));
    let now = t + 100;
    // Nothing unconsumed: the window is [now - 60, now].
    expect_err(q.rewind(now - 61).await, ErrorId::InvalidRewindTime, "");
    expect_err(q.rewind(now + 1).await, ErrorId::InvalidRewindTime, "");
    q.rewind(now - 60).await.expect("oldest allowed");
    q.rewind(now).await.expect("newest allowed");
    // With an unconsumed message enqueued at T, the newest allowed time is T (minMsgTime).
    mock.clock().advance(Duration::from_secs(10));
    q.send("x").await.expect("send");
    mock.clock().advance(Duration::from_secs(5));
    let now = t + 115;
    assert_eq!(counters(&q).await, [1, 0, 0, 0, t + 110]);
    expect_err(q.rewind(t + 111).await, ErrorId::InvalidRewindTime, "");
    q.rewind(t + 110).await.expect("minMsgTime");
    q.rewind(now - 60).await.expect("oldest");
    expect_err(q.rewind(now - 61).await, ErrorId::InvalidRewindTime, "");
}
