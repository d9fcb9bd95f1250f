//! The store's format is versioned (`PRAGMA user_version`), and a store written by an earlier
//! build still opens: `tests/fixtures/store-v1/cmq-mock.sqlite` was written by format 1 and is
//! committed; this test opens a copy of it and checks every kind of state it holds. When the
//! format changes, the old fixture stays (and must still open, through the migration) and a
//! new one is added with `cargo test -p cmq-mock --test persist_format -- --ignored`.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use cmq_mock::{Clock, CmqMock, MessageState, QueueSnapshot};
use cmq_sdk::ErrorId;
use serde_json::json;

use common::client;

const T0: u64 = 1_700_000_000_000;
const FIXTURE: &str = "tests/fixtures/store-v1";

fn fixture_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(FIXTURE)
        .join("cmq-mock.sqlite")
}

fn temp_dir(tag: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("cmq-mock-format-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).expect("temp dir");
    p
}

fn bodies(s: &QueueSnapshot, state: MessageState) -> Vec<&str> {
    let list = match state {
        MessageState::Active => &s.active,
        MessageState::Inactive => &s.inactive,
        MessageState::Delayed => &s.delayed,
        MessageState::Deleted => &s.deleted,
    };
    list.iter().map(|m| m.body.as_str()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_format_1_store_still_opens() {
    let dir = temp_dir("v1");
    std::fs::copy(fixture_file(), dir.join("cmq-mock.sqlite")).expect("copy the fixture");
    let mock = CmqMock::builder()
        .manual_clock()
        .data_dir(&dir)
        .start()
        .await
        .expect("the format 1 store opens");
    assert_eq!(
        mock.clock().now_ms(),
        T0 + 61_000,
        "its manual clock resumed"
    );
    let orders = mock.queue_snapshot("orders").expect("orders");
    assert_eq!(
        bodies(&orders, MessageState::Active),
        ["active-1", "fanned"]
    );
    assert_eq!(bodies(&orders, MessageState::Inactive), ["inflight-1"]);
    assert_eq!(bodies(&orders, MessageState::Delayed), ["delayed-1"]);
    assert_eq!(bodies(&orders, MessageState::Deleted), ["deleted-1"]);
    let a = &orders.attributes.config;
    assert_eq!((a.rewind_seconds, a.visibility_timeout), (3600, 30));
    let policy = a.dead_letter_policy.as_ref().expect("policy");
    assert_eq!(
        (policy.dead_letter_queue.as_str(), policy.max_receive_count),
        ("dlq", Some(2))
    );
    let dlq = mock.queue_snapshot("dlq").expect("dlq");
    assert_eq!(bodies(&dlq, MessageState::Active), ["dead-1"]);
    let c = client(&mock);
    let topic = c.topic("events").attributes().await.unwrap();
    assert_eq!((topic.filter_type, topic.msg_count), (2, 1));
    let hook = c.subscription("events", "hook").attributes().await.unwrap();
    assert_eq!(
        (hook.msg_count, hook.notify_strategy.as_str()),
        (1, "BACKOFF_RETRY")
    );
    let sub = c
        .subscription("events", "to-orders")
        .attributes()
        .await
        .unwrap();
    assert_eq!(sub.binding_key, Some(vec!["order.#".to_owned()]));
    // A receipt handle minted by format 1: queue uid 2, seq 2, first receive.
    let handle = ((2u128 << 96) | (2 << 32) | 1).to_string();
    c.queue("orders")
        .delete_message(handle)
        .await
        .expect("the old handle works");
    let err = c
        .queue("old")
        .create()
        .await
        .expect_err("the name is still blocked");
    assert_eq!(err.code(), Some(ErrorId::QueueReleasing.code()));
    mock.shutdown().await;
    let conn = rusqlite::Connection::open(dir.join("cmq-mock.sqlite")).unwrap();
    let v: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, 1);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Writes the fixture above (run it when the format changes, into a new directory).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "writes tests/fixtures/store-v1; run when adding a format"]
async fn write_the_format_1_fixture() {
    let dir = temp_dir("write");
    let mock = CmqMock::builder()
        .clock(Clock::manual(T0))
        .data_dir(&dir)
        .queue_with(json!({"queueName": "dlq"}))
        .queue_with(json!({
            "queueName": "orders", "rewindSeconds": 3600, "visibilityTimeout": 30,
            "deadLetterPolicy": "{\"deadLetterQueue\":\"dlq\",\"policy\":0,\"maxReceiveCount\":2}"
        }))
        .queue_with(json!({"queueName": "old"}))
        .topic_with(json!({"topicName": "events", "filterType": 2}))
        .subscription_with(
            json!({"topicName": "events", "subscriptionName": "to-orders",
            "protocol": "queue", "endpoint": "orders", "bindingKey": ["order.#"]}),
        )
        .subscription_with(json!({"topicName": "events", "subscriptionName": "hook",
            "protocol": "http", "endpoint": "http://127.0.0.1:9/hook",
            "notifyStrategy": "BACKOFF_RETRY", "bindingKey": ["#"]}))
        .start()
        .await
        .unwrap();
    let c = client(&mock);
    let orders = c.queue("orders");
    orders.send("dead-1").await.unwrap();
    for _ in 0..2 {
        orders.receive(Some(0)).await.unwrap().unwrap();
        mock.clock().advance(Duration::from_secs(30));
    }
    for b in ["inflight-1", "deleted-1", "active-1"] {
        orders.send(b).await.unwrap();
    }
    orders.send_delayed("delayed-1", 600).await.unwrap();
    orders.receive(Some(0)).await.unwrap().unwrap(); // inflight-1
    let d = orders.receive(Some(0)).await.unwrap().unwrap();
    orders.delete_message(&d.receipt_handle).await.unwrap();
    c.queue("old").delete().await.unwrap();
    mock.clock().advance(Duration::from_secs(1));
    let publish = cmq_sdk::generated::ops::PublishMessageInput {
        topic_name: Some("events".into()),
        msg_body: Some("fanned".into()),
        routing_key: Some("order.x".into()),
        ..Default::default()
    };
    c.execute(publish).await.unwrap();
    mock.deliveries()
        .wait_for(
            |r| r.subscription == "hook" && r.next_attempt_ms.is_some(),
            Duration::from_secs(10),
        )
        .await
        .expect("the push failed once");
    mock.shutdown().await;
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURE);
    std::fs::create_dir_all(&target).unwrap();
    std::fs::copy(dir.join("cmq-mock.sqlite"), target.join("cmq-mock.sqlite")).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
