//! `CmqMock::builder().data_dir(..)` in process: stopped and started again, the mock is the same
//! mock (queues, messages in every state, dead letters, rewind-retained messages, topics,
//! subscriptions, push backlogs), receipt handles keep working, the manual clock resumes, and a
//! damaged store refuses the start. The binary's `--data-dir` refuses a damaged store too.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use cmq_mock::{Clock, CmqMock, CmqMockBuilder, PushReceiver, Reply, StartError};
use serde_json::{Value, json};

use common::client;

/// A fresh directory, removed on drop.
struct Dir(PathBuf);

impl Dir {
    fn new(tag: &str) -> Self {
        let p = std::env::temp_dir().join(format!("cmq-mock-restart-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        Dir(p)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const T0: u64 = 1_700_000_000_000;

/// The builder of every start: the same configuration each time (resources that the data
/// directory already holds are left as they are).
fn builder(dir: &Path, clock_ms: u64, push_url: &str) -> CmqMockBuilder {
    CmqMock::builder()
        .clock(Clock::manual(clock_ms))
        .data_dir(dir)
        .queue_with(json!({"queueName": "dlq"}))
        .queue_with(json!({
            "queueName": "orders",
            "rewindSeconds": 3600,
            "visibilityTimeout": 30,
            "deadLetterPolicy": "{\"deadLetterQueue\":\"dlq\",\"policy\":0,\"maxReceiveCount\":2}"
        }))
        .topic_with(json!({"topicName": "events"}))
        .subscription_with(json!({
            "topicName": "events", "subscriptionName": "to-orders",
            "protocol": "queue", "endpoint": "orders"
        }))
        .subscription_with(json!({
            "topicName": "events", "subscriptionName": "hook",
            "protocol": "http", "endpoint": push_url
        }))
}

/// Everything the mock shows about its queues and topics.
async fn view(mock: &CmqMock) -> Vec<String> {
    let c = client(mock);
    let mut out = Vec::new();
    for q in ["orders", "dlq"] {
        out.push(format!("{:?}", mock.queue_snapshot(q)));
    }
    out.push(format!(
        "{:?}",
        c.topic("events")
            .attributes()
            .await
            .map(|a| (a.msg_count, a.max_msg_size, a.create_time))
    ));
    for s in ["to-orders", "hook"] {
        let a = c
            .subscription("events", s)
            .attributes()
            .await
            .expect("subscription");
        out.push(format!("{a:?}"));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_mock_is_the_same_mock() {
    let dir = Dir::new("same");
    let rx = PushReceiver::start().await.expect("receiver");
    rx.set_default(Reply::Status(500));
    let url = rx.url("/hook");
    let mock = builder(&dir.0, T0, &url).start().await.expect("start");
    let c = client(&mock);
    let orders = c.queue("orders");
    for b in ["a", "b", "c", "d"] {
        orders.send(b).await.unwrap();
    }
    c.topic("events").publish("fanned").await.unwrap();
    let a = orders.receive(Some(0)).await.unwrap().unwrap();
    orders.delete_message(&a.receipt_handle).await.unwrap(); // kept for rewind
    let b = orders.receive(Some(0)).await.unwrap().unwrap();
    mock.clock().advance(Duration::from_secs(30)); // b visible again (1 receive of 2)
    let b2 = orders.receive(Some(0)).await.unwrap().unwrap();
    assert_eq!((b2.msg_id == b.msg_id, b2.dequeue_count), (true, 2));
    mock.clock().advance(Duration::from_secs(30)); // b → dlq
    let c_msg = orders.receive(Some(0)).await.unwrap().unwrap();
    // The push to the hook failed once and waits for its retry.
    mock.deliveries()
        .wait_for(
            |r| r.subscription == "hook" && r.next_attempt_ms.is_some(),
            Duration::from_secs(10),
        )
        .await
        .expect("a failed push");
    let before = view(&mock).await;
    mock.shutdown().await;

    let now = T0 + 60_000;
    let mock = builder(&dir.0, now + 5, &url)
        .start()
        .await
        .expect("restart");
    assert_eq!(mock.clock().now_ms(), now, "the manual clock resumed");
    assert_eq!(view(&mock).await, before);
    let c = client(&mock);
    let orders = c.queue("orders");
    orders
        .delete_message(&c_msg.receipt_handle)
        .await
        .expect("a handle from before");
    assert_eq!(
        c.queue("dlq")
            .receive(Some(0))
            .await
            .unwrap()
            .map(|m| m.msg_id),
        Some(b.msg_id)
    );
    assert_eq!(
        orders.attributes().await.unwrap().rewind_msg_num,
        2,
        "a and c"
    );
    mock.shutdown().await;
}

#[tokio::test]
async fn the_manual_clock_resumes_after_moving_over_the_admin_api() {
    let dir = Dir::new("clock");
    let mock = CmqMock::builder()
        .manual_clock()
        .data_dir(&dir.0)
        .start()
        .await
        .unwrap();
    let url = format!("{}/_mock/clock", mock.endpoint());
    let http = reqwest::Client::new();
    let answer = http
        .post(&url)
        .header("content-type", "application/json")
        .body(json!({"set_ms": T0 + 123_456}).to_string())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let moved: Value = serde_json::from_slice(&answer).unwrap();
    let at = moved["now_ms"].as_u64().expect("now_ms");
    drop(mock); // no shutdown: the answer above already meant "on disk"
    let mock = loop {
        match CmqMock::builder()
            .manual_clock()
            .data_dir(&dir.0)
            .start()
            .await
        {
            Ok(m) => break m,
            Err(StartError::Store(e)) if e.to_string().contains("in use") => continue,
            Err(e) => panic!("{e}"),
        }
    };
    assert_eq!(mock.clock().now_ms(), at);
}

#[tokio::test]
async fn a_damaged_store_refuses_the_start_and_is_left_alone() {
    let dir = Dir::new("damaged");
    std::fs::create_dir_all(&dir.0).unwrap();
    let file = dir.0.join("cmq-mock.sqlite");
    std::fs::write(
        &file,
        b"not a database at all, but someone's notes".repeat(100),
    )
    .unwrap();
    let e = CmqMock::builder()
        .data_dir(&dir.0)
        .start()
        .await
        .expect_err("refused");
    let text = e.to_string();
    assert!(matches!(e, StartError::Store(_)), "{e:?}");
    assert!(text.contains(&file.display().to_string()), "{text}");
    assert!(text.contains("not a cmq-mock data store"), "{text}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cmq-mock"))
        .arg("--data-dir")
        .arg(&dir.0)
        .args(["--listen", "127.0.0.1:0"])
        .output()
        .expect("run the binary");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not a cmq-mock data store"), "{stderr}");
    assert_eq!(
        std::fs::read(&file).unwrap(),
        b"not a database at all, but someone's notes".repeat(100)
    );
}
