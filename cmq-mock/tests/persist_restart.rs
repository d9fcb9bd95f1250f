//! `CmqMock::builder().data_dir(..)` in process: stopped and started again, the mock is the same
//! mock (queues, messages in every state, dead letters, rewind-retained messages, topics,
//! subscriptions, push backlogs, the API 3.0-only settings: tags, `Trace`, the transaction
//! policy, `RetentionSizeInMB`, a topic's `MsgRetentionSeconds`), receipt handles keep working,
//! the manual clock resumes, and a damaged store refuses the start. The binary's `--data-dir` refuses a damaged store too.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use cmq_mock::{Clock, CmqMock, CmqMockBuilder, PushReceiver, Reply, StartError};
use serde_json::{Value, json};

use cmq_sdk::Client;
use cmq_sdk::generated::v3::models::{CmqQueue, CmqTopic, Filter, Tag};

use common::{client, client3};

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

/// The `extras` rows of the store in `dir` (read with the mock stopped): (kind, id).
fn extras_rows(dir: &Path) -> Vec<(i64, String)> {
    let conn = rusqlite::Connection::open(dir.join("cmq-mock.sqlite")).unwrap();
    let mut st = conn
        .prepare("SELECT kind, id FROM extras ORDER BY kind, id")
        .unwrap();
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

async fn queue3(c: &Client, name: &str) -> CmqQueue {
    let d = c.describe_cmq_queue_detail().queue_name(name).send().await;
    d.expect("DescribeCmqQueueDetail").queue_describe
}

async fn topic3(c: &Client, name: &str) -> CmqTopic {
    let d = c.describe_cmq_topic_detail().topic_name(name).send().await;
    d.expect("DescribeCmqTopicDetail").topic_describe
}

/// The queues of a tag filter over API 3.0.
async fn tagged_queues(c: &Client, key: &str, value: &str) -> Vec<String> {
    let filter = Filter {
        name: Some(format!("tag:{key}")),
        values: Some(vec![value.to_owned()]),
    };
    let l = c
        .describe_cmq_queues()
        .is_tag_filter(true)
        .filters([filter])
        .send()
        .await
        .expect("DescribeCmqQueues");
    l.queue_list.into_iter().map(|q| q.queue_name).collect()
}

fn tag(k: &str, v: &str) -> Tag {
    Tag::new().tag_key(k).tag_value(v)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api3_only_settings_survive_a_restart_and_go_with_their_resource() {
    let dir = Dir::new("extras");
    let start = || {
        CmqMock::builder()
            .clock(Clock::manual(T0))
            .data_dir(&dir.0)
            .start()
    };
    let mock = start().await.expect("start");
    let c = client3(&mock);
    let q = c
        .create_cmq_queue()
        .queue_name("tx")
        .tags([tag("env", "test"), tag("team", "blue")])
        .trace(true)
        .transaction(1)
        .first_query_interval(5)
        .max_query_count(3)
        .retention_size_in_mb(10)
        .send()
        .await
        .expect("CreateCmqQueue");
    c.modify_cmq_queue_attribute()
        .queue_name("tx")
        .max_query_count(7)
        .send()
        .await
        .expect("ModifyCmqQueueAttribute");
    let t = c
        .create_cmq_topic()
        .topic_name("news")
        .tags([tag("env", "test")])
        .trace(true)
        .msg_retention_seconds(3600)
        .send()
        .await
        .expect("CreateCmqTopic");
    c.modify_cmq_topic_attribute()
        .topic_name("news")
        .msg_retention_seconds(120)
        .send()
        .await
        .expect("ModifyCmqTopicAttribute");
    // Created over API 3.0 with settings, deleted over API 2.0 (which knows nothing of them).
    c.create_cmq_queue()
        .queue_name("gone")
        .tags([tag("env", "test")])
        .send()
        .await
        .expect("CreateCmqQueue");
    client(&mock)
        .queue("gone")
        .delete()
        .await
        .expect("DeleteQueue");
    let (queue_before, topic_before) = (queue3(&c, "tx").await, topic3(&c, "news").await);
    assert_eq!(queue_before.trace, Some(true));
    assert_eq!(queue_before.retention_size_in_mb, 10);
    let policy = queue_before.transaction_policy.clone().expect("a policy");
    assert_eq!(
        (policy.first_query_interval, policy.max_query_count),
        (5, 7)
    );
    assert_eq!(queue_before.tags.as_ref().map(Vec::len), Some(2));
    assert_eq!(topic_before.msg_retention_seconds, 120);
    assert_eq!(tagged_queues(&c, "team", "blue").await, ["tx"]);
    mock.shutdown().await;
    assert_eq!(
        extras_rows(&dir.0),
        [(0, q.queue_id.clone()), (1, t.topic_id.clone())],
        "one row per live resource: none for the queue deleted over API 2.0"
    );

    let mock = start().await.expect("restart");
    let c = client3(&mock);
    assert_eq!(queue3(&c, "tx").await, queue_before);
    assert_eq!(topic3(&c, "news").await, topic_before);
    assert_eq!(tagged_queues(&c, "team", "blue").await, ["tx"]);
    // Changes after the restart are written too.
    c.modify_cmq_queue_attribute()
        .queue_name("tx")
        .trace(false)
        .send()
        .await
        .expect("ModifyCmqQueueAttribute");
    mock.shutdown().await;

    let mock = start().await.expect("second restart");
    let c = client3(&mock);
    let after = queue3(&c, "tx").await;
    assert_eq!(after.trace, Some(false));
    assert_eq!(after.tags, queue_before.tags);
    c.delete_cmq_queue()
        .queue_name("tx")
        .send()
        .await
        .expect("DeleteCmqQueue");
    c.delete_cmq_topic()
        .topic_name("news")
        .send()
        .await
        .expect("DeleteCmqTopic");
    mock.shutdown().await;
    assert_eq!(extras_rows(&dir.0), [], "deleted with their resources");

    let mock = start().await.expect("third restart");
    let c = client3(&mock);
    assert!(tagged_queues(&c, "env", "test").await.is_empty());
    assert!(
        c.describe_cmq_queue_detail()
            .queue_name("tx")
            .send()
            .await
            .is_err()
    );
    mock.shutdown().await;
}
