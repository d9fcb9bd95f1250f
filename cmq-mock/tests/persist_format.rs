//! The store's format is versioned (`PRAGMA user_version`), and a store written by an earlier
//! build still opens: `tests/fixtures/store-v<N>/cmq-mock.sqlite` was written by format N and is
//! committed; these tests open a copy of each and check every kind of state it holds, and that
//! opening migrated it to the current format. When the format changes, the old fixtures stay
//! (and must still open, through the migration) and a new one is added with
//! `cargo test -p cmq-mock --test persist_format -- --ignored` (after pointing
//! `write_the_current_fixture` at the new directory).
//!
//! Format 1 → 2 added the API 3.0-only settings of queues and topics (the `extras` table): a
//! format-1 store opens with none, a format-2 store with the ones it holds.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use cmq_mock::{Clock, CmqMock, MessageState, QueueSnapshot};
use cmq_sdk::ErrorId;
use cmq_sdk::generated::v3::models::Tag;
use serde_json::json;

use common::{client, client3};

const T0: u64 = 1_700_000_000_000;
const FIXTURE_V1: &str = "tests/fixtures/store-v1";
const FIXTURE_V2: &str = "tests/fixtures/store-v2";
/// The format this build writes (`PRAGMA user_version` after opening any fixture).
const CURRENT_FORMAT: i64 = 2;

fn fixture_file(fixture: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(fixture)
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

/// The store's format version (read with the mock stopped).
fn user_version(dir: &Path) -> i64 {
    let conn = rusqlite::Connection::open(dir.join("cmq-mock.sqlite")).unwrap();
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap()
}

/// Starts a mock on a copy of `fixture` and checks the state every fixture holds (written by
/// [`write_the_current_fixture`]'s API 2.0 part); the running mock and its directory.
async fn open_and_check_the_common_state(fixture: &str, tag: &str) -> (CmqMock, PathBuf) {
    let dir = temp_dir(tag);
    std::fs::copy(fixture_file(fixture), dir.join("cmq-mock.sqlite")).expect("copy the fixture");
    let mock = CmqMock::builder()
        .manual_clock()
        .data_dir(&dir)
        .start()
        .await
        .unwrap_or_else(|e| panic!("the {fixture} store opens: {e}"));
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
    (mock, dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_format_1_store_still_opens() {
    let (mock, dir) = open_and_check_the_common_state(FIXTURE_V1, "v1").await;
    // Format 1 had no API 3.0-only settings: the defaults.
    let c = client3(&mock);
    let q = c.describe_cmq_queue_detail().queue_name("orders").send();
    let q = q.await.unwrap().queue_describe;
    assert_eq!(
        (q.tags, q.trace, q.retention_size_in_mb),
        (None, Some(false), 0)
    );
    // … and the migrated store keeps new ones.
    c.create_cmq_queue()
        .queue_name("after")
        .tags([Tag::new().tag_key("env").tag_value("v1")])
        .send()
        .await
        .expect("CreateCmqQueue");
    mock.shutdown().await;
    assert_eq!(user_version(&dir), CURRENT_FORMAT, "migrated");
    let mock = CmqMock::builder()
        .manual_clock()
        .data_dir(&dir)
        .start()
        .await
        .expect("the migrated store opens");
    let c = client3(&mock);
    let q = c.describe_cmq_queue_detail().queue_name("after").send();
    let tags = q.await.unwrap().queue_describe.tags.expect("tags kept");
    assert_eq!(tags[0].tag_value.as_deref(), Some("v1"));
    mock.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_format_2_store_still_opens() {
    let (mock, dir) = open_and_check_the_common_state(FIXTURE_V2, "v2").await;
    let c = client3(&mock);
    let q = c.describe_cmq_queue_detail().queue_name("tagged").send();
    let q = q.await.unwrap().queue_describe;
    let tags = q.tags.expect("tags");
    assert_eq!(
        (tags[0].tag_key.as_deref(), tags[0].tag_value.as_deref()),
        (Some("env"), Some("fixture"))
    );
    assert_eq!((q.trace, q.retention_size_in_mb), (Some(true), 20));
    let policy = q.transaction_policy.expect("a transaction queue");
    assert_eq!(
        (policy.first_query_interval, policy.max_query_count),
        (4, 6)
    );
    let t = c
        .describe_cmq_topic_detail()
        .topic_name("tagged-topic")
        .send();
    let t = t.await.unwrap().topic_describe;
    assert_eq!((t.trace, t.msg_retention_seconds), (Some(true), 600));
    assert_eq!(t.tags.map(|t| t.len()), Some(1));
    mock.shutdown().await;
    assert_eq!(user_version(&dir), CURRENT_FORMAT);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Writes the fixture of the current format (run it when the format changes, pointed at a new
/// directory: the fixtures of earlier formats are never rewritten). Format 1's was written by
/// this same sequence without the API 3.0 part.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "writes tests/fixtures/store-v2; run when adding a format"]
async fn write_the_current_fixture() {
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
    let c3 = client3(&mock);
    c3.create_cmq_queue()
        .queue_name("tagged")
        .tags([Tag::new().tag_key("env").tag_value("fixture")])
        .trace(true)
        .transaction(1)
        .first_query_interval(4)
        .max_query_count(6)
        .retention_size_in_mb(20)
        .send()
        .await
        .unwrap();
    c3.create_cmq_topic()
        .topic_name("tagged-topic")
        .tags([Tag::new().tag_key("env").tag_value("fixture")])
        .trace(true)
        .msg_retention_seconds(600)
        .send()
        .await
        .unwrap();
    mock.shutdown().await;
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURE_V2);
    std::fs::create_dir_all(&target).unwrap();
    std::fs::copy(dir.join("cmq-mock.sqlite"), target.join("cmq-mock.sqlite")).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
