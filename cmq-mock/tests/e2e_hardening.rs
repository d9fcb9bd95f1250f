//! End to end, on a manual clock: the mock as a long-running shared service. Long polls at
//! shutdown, the stored-message budget, the push backlog cap, paged admin inspection, the
//! journal's value budget, Nonce and AKID rules, budgets from a config file, and secrets kept
//! out of `Debug`.

mod common;
use common::*;

use std::time::{Duration, Instant};

use cmq_mock::{
    Budgets, CmqMock, DeliveryOutcome, MESSAGE_OVERHEAD_BYTES, MockConfig, PushConfig, PushFailure,
    PushReceiver, Reply, StartError,
};
use cmq_sdk::ErrorId;
use serde_json::{Value, json};

/// Waits (yielding, bounded by `WAIT`) until `cond` holds.
async fn until(what: &str, cond: impl Fn() -> bool) {
    let started = Instant::now();
    while !cond() {
        assert!(started.elapsed() < WAIT, "never: {what}");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

async fn admin_get(mock: &CmqMock, path: &str) -> Value {
    let r = reqwest::get(format!("{}{path}", mock.endpoint()))
        .await
        .expect("GET");
    assert_eq!(r.status().as_u16(), 200);
    serde_json::from_slice(&r.bytes().await.expect("body")).expect("JSON")
}

#[tokio::test]
async fn shutdown_answers_pending_long_polls_with_7000() {
    let (mock, _) = mock_with(|b| b.queue("q")).await;
    let raw = Raw::new(&mock);
    let p = raw.signed(
        "POST",
        "/v2/index.php",
        raw.params(
            "ReceiveMessage",
            &[("queueName", "q"), ("pollingWaitSeconds", "30")],
        ),
    );
    let poll = tokio::spawn(async move { raw.post(&p).await });
    let engine = mock.engine().clone();
    until("the receive waits", || engine.waiting_receives() == 1).await;
    // Nothing moves the manual clock: only the shutdown can end this long poll.
    mock.shutdown().await;
    let (status, v) = poll.await.expect("the poll task");
    assert_eq!(status, 200);
    assert_eq!(
        (v["code"].as_i64(), v["message"].as_str()),
        (Some(7000), Some("(10200)no message"))
    );
}

#[tokio::test]
async fn the_stored_message_budget_answers_like_a_full_queue() {
    let (mock, _) = mock_with(|b| b.queue("q").max_messages(3)).await;
    let q = client(&mock).queue("q");
    for i in 0..3 {
        q.send(format!("m{i}")).await.expect("within the budget");
    }
    expect_err(q.send("one too many").await, ErrorId::QueueFull, "");
    // A batch that does not fit is refused whole.
    let m = q.receive(Some(0)).await.expect("receive").expect("message");
    q.delete_message(&m.receipt_handle).await.expect("delete");
    expect_err(q.batch_send(["a", "b"]).await, ErrorId::QueueFull, "");
    q.send("fits again").await.expect("room after a delete");
    let stats = admin_get(&mock, "/_mock/stats").await;
    assert_eq!(stats["storedMessages"], 3);
    assert_eq!(stats["maxMessages"], 3);
    // Deleting the queue gives everything back.
    q.delete().await.expect("delete queue");
    assert_eq!(mock.engine().stored(), (0, 0));
}

#[tokio::test]
async fn the_memory_budget_counts_bodies_and_overhead() {
    let body = "x".repeat(100);
    let each = 100 + MESSAGE_OVERHEAD_BYTES;
    let (mock, _) = mock_with(|b| b.queue("q").max_memory(2 * each)).await;
    let q = client(&mock).queue("q");
    q.send(body.clone()).await.expect("first");
    q.send(body.clone()).await.expect("second");
    expect_err(q.send(body.clone()).await, ErrorId::QueueFull, "");
    assert!(q.send("").await.is_err(), "an empty body is refused anyway");
    assert_eq!(mock.engine().stored(), (2, 2 * each));
}

#[tokio::test]
async fn a_full_push_backlog_drops_its_oldest_waiting_message() {
    let rx = PushReceiver::start().await.expect("receiver");
    rx.set_default(Reply::Hang);
    let (mock, _) = mock_with(|b| b.push_backlog(2)).await;
    let t = client(&mock).topic("t");
    t.create().await.expect("topic");
    t.subscribe_http("hook", rx.url("/h")).await.expect("sub");
    let first = t.publish("m1").await.expect("publish");
    // The first push is in flight (the endpoint hangs), so it stays at the head.
    rx.wait_for(1, WAIT).await.expect("first push arrives");
    let mut ids = Vec::new();
    for body in ["m2", "m3", "m4"] {
        ids.push(t.publish(body).await.expect("publish"));
    }
    let dropped = mock
        .deliveries()
        .wait_for_count(2, |r| r.outcome == DeliveryOutcome::Dropped, WAIT)
        .await
        .expect("two dropped");
    let dropped: Vec<&str> = dropped.iter().map(|r| r.msg_id.as_str()).collect();
    assert_eq!(dropped, [ids[0].as_str(), ids[1].as_str()]);
    assert!(!dropped.contains(&first.as_str()));
    assert_eq!(
        mock.deliveries()
            .matching(|r| r.outcome == DeliveryOutcome::Dropped)
            .len(),
        2
    );
}

#[tokio::test]
async fn a_hanging_endpoint_cannot_stall_a_manual_clock_forever() {
    let rx = PushReceiver::start().await.expect("receiver");
    rx.set_default(Reply::Hang);
    // Nobody advances the manual clock: only the real-time limit ends the attempt.
    let (mock, _) = mock_with(|b| {
        b.push_config(PushConfig {
            real_time_limit: Duration::from_millis(200),
            ..PushConfig::default()
        })
    })
    .await;
    let t = client(&mock).topic("t");
    t.create().await.expect("topic");
    t.subscribe_http("hook", rx.url("/h")).await.expect("sub");
    let id = t.publish("m").await.expect("publish");
    let rec = mock
        .deliveries()
        .wait_for(|r| r.msg_id == id, WAIT)
        .await
        .expect("the attempt ends");
    assert_eq!(rec.outcome, DeliveryOutcome::Failed(PushFailure::Timeout));
}

#[tokio::test]
async fn admin_inspection_is_paged_with_body_previews() {
    let (mock, _) = mock_with(|b| b.queue("q")).await;
    let q = client(&mock).queue("q");
    for i in 0..5 {
        q.send(format!("{i}{}", "x".repeat(299)))
            .await
            .expect("send");
    }
    let v = admin_get(&mock, "/_mock/queues/q?state=active&offset=1&limit=2").await;
    let list = v["messages"]["active"].as_array().expect("active");
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["msgBody"].as_str().map(str::len), Some(256));
    assert!(
        list[0]["msgBody"]
            .as_str()
            .is_some_and(|b| b.starts_with('1'))
    );
    assert_eq!(
        (&list[0]["msgBodySize"], &list[0]["msgBodyTruncated"]),
        (&json!(300), &json!(true))
    );
    assert_eq!(v["totals"], json!({"active": 5}));
    assert_eq!(v["page"]["nextOffset"], json!({"active": 3}));
    assert!(v["messages"].get("inactive").is_none());
    let v = admin_get(&mock, "/_mock/queues/q?offset=4&limit=10&bodies=full").await;
    let last = &v["messages"]["active"][0];
    assert_eq!(last["msgBody"].as_str().map(str::len), Some(300));
    assert!(last.get("msgBodyTruncated").is_none());
    assert_eq!(v["page"]["nextOffset"]["active"], Value::Null);
    assert_eq!(v["totals"]["deleted"], 0);
    let r = reqwest::get(format!("{}/_mock/queues/q?limit=many", mock.endpoint()))
        .await
        .expect("GET");
    assert_eq!(r.status().as_u16(), 400);
    // The journal and the delivery log page the same way (a plain GET gets up to 10,000).
    let all = admin_get(&mock, "/_mock/journal").await;
    assert_eq!(all.as_array().map(Vec::len), Some(5));
    let page = admin_get(&mock, "/_mock/journal?offset=1&limit=2").await;
    assert_eq!(page.as_array().map(Vec::len), Some(2));
    assert_eq!(page[0]["request_id"], all[1]["request_id"]);
    assert_eq!(
        admin_get(&mock, "/_mock/deliveries?limit=1").await,
        json!([])
    );
}

#[tokio::test]
async fn the_journal_cuts_long_values_with_a_marker() {
    let (mock, _) = mock_with(|b| b.queue("q").journal_budget(100, 1 << 20, 64)).await;
    client(&mock)
        .queue("q")
        .send("y".repeat(1000))
        .await
        .expect("send");
    let rec = mock.journal().records_of("SendMessage");
    let want = format!("{}…[truncated: 1000 bytes]", "y".repeat(64));
    assert_eq!(rec[0].param("msgBody"), Some(want.as_str()));
    assert!(mock.journal().bytes() < 2048);
}

#[tokio::test]
async fn nonce_is_required_and_secret_ids_start_with_akid() {
    let (mock, _) = mock_with(|b| b.queue("q")).await;
    let raw = Raw::new(&mock);
    let p = without_param(raw.params("ListQueue", &[]), "Nonce");
    let (_, v) = raw.post(&raw.signed("POST", "/v2/index.php", p)).await;
    assert_eq!(
        (v["code"].as_i64(), v["message"].as_str()),
        (
            Some(4000),
            Some("(10390)lacked of required parameter Nonce")
        )
    );
    let stranger = Raw::as_account(&mock, "XYZnotakid", "whatever");
    let p = stranger.signed("POST", "/v2/index.php", stranger.params("ListQueue", &[]));
    let (_, v) = stranger.post(&p).await;
    assert_eq!(
        (v["code"].as_i64(), v["message"].as_str()),
        (Some(4000), Some("(10450)secret id dosen't begin with AKID"))
    );
    // An account whose id could never authenticate is refused at start.
    match CmqMock::builder().account("test", "k").start().await {
        Err(StartError::Config(m)) => {
            assert!(m.contains("\"test\" does not start with AKID"), "{m}")
        }
        other => panic!("expected a configuration error, got {other:?}"),
    }
}

#[tokio::test]
async fn budgets_and_admin_settings_from_a_config_file() {
    let cfg: MockConfig = serde_json::from_value(json!({
        "queues": [{"queueName": "q"}],
        "budgets": {"max_params": 8, "journal_bytes": "64KiB"},
        "admin": {"enabled": false},
    }))
    .expect("config");
    let mock = CmqMock::builder().config(cfg).start().await.expect("start");
    assert_eq!(mock.journal().byte_budget(), 64 << 10);
    let raw = Raw::new(&mock);
    let (_, v) = raw
        .post(&raw.signed("POST", "/v2/index.php", raw.params("ListQueue", &[])))
        .await;
    assert_eq!(v["code"], 0, "6 parameters fit: {v}");
    let p = raw.params("ListQueue", &[("a", "1"), ("b", "2"), ("c", "3")]);
    let (_, v) = raw.post(&raw.signed("POST", "/v2/index.php", p)).await;
    assert_eq!(
        v["message"],
        "(10000)invalid request parameters: more than 8 parameters in one request"
    );
    let r = reqwest::get(format!("{}/_mock/queues", mock.endpoint()))
        .await
        .expect("GET");
    assert_eq!(r.status().as_u16(), 404);
    assert_eq!(Budgets::default().max_params, 256);
}

#[tokio::test]
async fn debug_output_holds_no_secret() {
    let builder = CmqMock::builder()
        .account("AKIDdebug", "key-that-must-not-show")
        .admin_token("token-that-must-not-show");
    let text = format!("{builder:?}");
    assert!(text.contains("AKIDdebug"), "{text}");
    assert!(!text.contains("must-not-show"), "{text}");
    let mock = builder.start().await.expect("start");
    let text = format!("{mock:?}");
    assert!(!text.contains("must-not-show"), "{text}");
    let cfg: MockConfig = serde_json::from_value(json!({
        "accounts": [{"secret_id": "AKIDx", "secret_key": "key-that-must-not-show"}],
    }))
    .expect("config");
    assert!(!format!("{cfg:?}").contains("must-not-show"));
}
