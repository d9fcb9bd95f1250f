//! End to end: every `/_mock/` admin route over plain HTTP, fault injection over HTTP and in
//! process, and the lifecycle of `CmqMock` (isolation, Drop, both runtime flavors).

mod common;
use common::*;

use std::time::{Duration, Instant};

use cmq_mock::Clock;
use cmq_mock::CmqMock;
use cmq_mock::PushReceiver;
use cmq_sdk::retry::RetryPolicy;
use cmq_sdk::{Action, Client, Credentials, Error, ErrorId, ServiceError};
use serde_json::{Value, json};

// ------------------------------------------------------------------------------------ helpers

const WAIT: Duration = Duration::from_secs(10);

#[track_caller]
fn expect_err<T: std::fmt::Debug>(r: Result<T, Error>, e: ErrorId) -> ServiceError {
    match r {
        Err(Error::Service(s)) => {
            assert_eq!(
                (s.code, s.module_code, s.message.as_str()),
                (
                    e.code(),
                    Some(e.module()),
                    format!("({}){}", e.module(), e.message()).as_str()
                ),
                "{s:?}"
            );
            *s
        }
        other => panic!("expected {e:?}, got {other:?}"),
    }
}

/// One admin request: the status and the JSON answer.
async fn admin(mock: &CmqMock, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    admin_raw(mock, method, path, body.map(|b| b.to_string())).await
}

async fn admin_raw(mock: &CmqMock, method: &str, path: &str, body: Option<String>) -> (u16, Value) {
    let http = reqwest::Client::new();
    let url = format!("{}{}", mock.endpoint(), path);
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut rb = http.request(method, url);
    if let Some(b) = body {
        rb = rb.header("content-type", "application/json").body(b);
    } else {
        // A state-changing call without a body says it is meant (see the admin checks).
        rb = rb.header("x-cmq-mock", "1");
    }
    let r = rb.send().await.expect("admin request");
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert_eq!(ct, "application/json");
    let bytes = r.bytes().await.expect("body");
    let v = serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&bytes)));
    (status, v)
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

/// Waits until the armed rules of `mock` satisfy `done` (an explicit event: a call took its
/// rule before its latency), within a hang guard.
async fn wait_rules(mock: &CmqMock, done: impl Fn(&[cmq_mock::ArmedFault]) -> bool) {
    let started = Instant::now();
    while !done(&mock.faults().rules()) {
        assert!(started.elapsed() < WAIT, "{:?}", mock.faults().rules());
        tokio::task::yield_now().await;
    }
}

/// How long a test that must not hang may take before it counts as hung: a guard against a
/// deadlock, not a measure of speed.
const HANG_GUARD: Duration = Duration::from_secs(30);

/// Runs `body` on its own thread and fails if it does not return within [`HANG_GUARD`]
/// (a deadlocked runtime cannot report itself); its panic is the test's.
fn without_hanging(body: impl FnOnce() + Send + 'static) {
    let (done, finished) = std::sync::mpsc::channel();
    let worker = std::thread::spawn(move || {
        body();
        let _ = done.send(());
    });
    match finished.recv_timeout(HANG_GUARD) {
        Ok(()) | Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            if let Err(panic) = worker.join() {
                std::panic::resume_unwind(panic);
            }
        }
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("hung: not done after {HANG_GUARD:?}")
        }
    }
}

// ----------------------------------------------------------------------------------- routes

#[tokio::test]
async fn clock_routes_read_advance_and_set_a_manual_clock() {
    let (mock, t0) = mock_with(|b| b.queue("q")).await;
    let t0 = t0 * 1000;
    let (status, v) = admin(&mock, "GET", "/_mock/clock", None).await;
    assert_eq!((status, v), (200, json!({"now_ms": t0, "manual": true})));
    let (status, v) = admin(
        &mock,
        "POST",
        "/_mock/clock",
        Some(json!({"advance_ms": 1500})),
    )
    .await;
    assert_eq!(
        (status, v),
        (200, json!({"now_ms": t0 + 1500, "manual": true}))
    );
    assert_eq!(mock.clock().now_ms(), t0 + 1500);
    let (status, v) = admin(
        &mock,
        "POST",
        "/_mock/clock",
        Some(json!({"set_ms": t0 + 60_000})),
    )
    .await;
    assert_eq!((status, v["now_ms"].as_u64()), (200, Some(t0 + 60_000)));
    // Never backwards.
    let (status, v) = admin(&mock, "POST", "/_mock/clock", Some(json!({"set_ms": t0}))).await;
    assert_eq!((status, v["now_ms"].as_u64()), (200, Some(t0 + 60_000)));
    // Bad bodies.
    let (status, v) = admin(&mock, "POST", "/_mock/clock", Some(json!({"jump": 1}))).await;
    assert_eq!(status, 400);
    assert!(
        v["error"]
            .as_str()
            .is_some_and(|e| e.contains("advance_ms")),
        "{v}"
    );
    let (status, v) = admin_raw(&mock, "POST", "/_mock/clock", Some("not json".into())).await;
    assert_eq!(status, 400);
    assert!(v["error"].is_string());
    // Moving the clock over HTTP wakes what is due: a delayed message becomes visible.
    let q = client(&mock).queue("q");
    q.send_delayed("later", 5).await.expect("send");
    let waiting = tokio::spawn({
        let q = q.clone();
        async move { q.receive(Some(30)).await }
    });
    wait_deadline(mock.clock(), t0 + 65_000).await;
    let (status, _) = admin(
        &mock,
        "POST",
        "/_mock/clock",
        Some(json!({"advance_ms": 5000})),
    )
    .await;
    assert_eq!(status, 200);
    let got = tokio::time::timeout(WAIT, waiting)
        .await
        .expect("answered")
        .expect("task")
        .expect("receive");
    assert_eq!(got.map(|m| m.body).as_deref(), Some("later"));
}

#[tokio::test]
async fn the_clock_cannot_be_moved_on_a_system_clock() {
    let mock = CmqMock::start().await;
    let (status, v) = admin(&mock, "GET", "/_mock/clock", None).await;
    assert_eq!(status, 200);
    assert_eq!(v["manual"], json!(false));
    let now = v["now_ms"].as_u64().expect("now_ms");
    let wall = wall_secs() * 1000;
    assert!(now.abs_diff(wall) < 5_000, "{now} vs {wall}");
    for body in [json!({"advance_ms": 1000}), json!({"set_ms": 1})] {
        let (status, v) = admin(&mock, "POST", "/_mock/clock", Some(body)).await;
        assert_eq!(status, 400);
        assert!(
            v["error"]
                .as_str()
                .is_some_and(|e| e.contains("system clock")),
            "{v}"
        );
    }
    assert_eq!(mock.clock().next_deadline_ms(), None);
    assert!(!mock.clock().is_manual());
}

/// A mock with accounts AKIDzulu (the default: queues `first` and `delayed`, the latter with a
/// 60 s visibility timeout and rewind) and AKIDalpha (queue `theirs`); the start second.
async fn two_accounts() -> (CmqMock, u64) {
    mock_with(|b| {
        b.account("AKIDzulu", "kz")
            .account("AKIDalpha", "ka")
            .queue("first")
            .queue_with(
                json!({"queueName": "delayed", "visibilityTimeout": 60, "rewindSeconds": 600}),
            )
            .queue_with(json!({"queueName": "theirs", "account": "AKIDalpha"}))
    })
    .await
}

/// In queue `delayed`: one message of each state (sent and received, delayed 30 s, received and
/// deleted, then one second later sent); their ids as (inactive, delayed, deleted, active).
async fn one_of_each_state(mock: &CmqMock) -> (String, String, String, String) {
    let c = client(mock);
    let q = c.queue("delayed");
    let inactive = q.send("inactive").await.expect("send");
    let delayed = q.send_delayed("delayed", 30).await.expect("send");
    let deleted = q.send("deleted").await.expect("send");
    let got = q.batch_receive(16, Some(0)).await.expect("receive");
    assert_eq!(got.len(), 2);
    let to_delete = got.iter().find(|m| m.body == "deleted").expect("deleted");
    q.delete_message(&to_delete.receipt_handle)
        .await
        .expect("delete");
    mock.clock().advance(Duration::from_secs(1));
    let active = q.send("active").await.expect("send");
    (inactive, delayed, deleted, active)
}

#[tokio::test]
async fn accounts_and_queue_routes() {
    let (mock, _) = two_accounts().await;
    let (status, v) = admin(&mock, "GET", "/_mock/accounts", None).await;
    assert_eq!((status, v), (200, json!(["AKIDalpha", "AKIDzulu"])));
    // The first account is the default.
    let (status, v) = admin(&mock, "GET", "/_mock/queues", None).await;
    assert_eq!((status, v), (200, json!(["first", "delayed"])));
    let (status, v) = admin(&mock, "GET", "/_mock/queues?account=AKIDalpha", None).await;
    assert_eq!((status, v), (200, json!(["theirs"])));
    let (status, v) = admin(&mock, "GET", "/_mock/queues?account=AKIDnobody", None).await;
    assert_eq!(status, 404);
    assert!(v["error"].is_string());

    // Another account's queue, a missing queue.
    let (status, v) = admin(&mock, "GET", "/_mock/queues/theirs?account=AKIDalpha", None).await;
    assert_eq!((status, &v["queueName"]), (200, &json!("theirs")));
    let (status, v) = admin(&mock, "GET", "/_mock/queues/theirs", None).await;
    assert_eq!(status, 404);
    assert!(
        v["error"].as_str().is_some_and(|e| e.contains("theirs")),
        "{v}"
    );
    // Unknown routes.
    let (status, v) = admin(&mock, "GET", "/_mock/nothing-here", None).await;
    assert_eq!(status, 404);
    assert!(v["error"].is_string());
    let (status, _) = admin(&mock, "DELETE", "/_mock/clock", None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn queue_snapshot_route_shows_every_message_by_state() {
    let (mock, t0) = two_accounts().await;
    let t = t0 * 1000;
    let (inactive, delayed, deleted, active) = one_of_each_state(&mock).await;
    let q = client(&mock).queue("delayed");
    let (status, snap) = admin(&mock, "GET", "/_mock/queues/delayed", None).await;
    assert_eq!(status, 200);
    assert_eq!(snap["queueName"], "delayed");
    assert!(
        snap["queueId"]
            .as_str()
            .is_some_and(|id| id.starts_with("queue-"))
    );
    let settings = [
        "visibilityTimeout",
        "pollingWaitSeconds",
        "maxMsgSize",
        "msgRetentionSeconds",
        "rewindSeconds",
        "createTime",
    ]
    .map(|k| &snap[k]);
    let want = [60, 0, 65_536, 345_600, 600, t0].map(|v| json!(v));
    assert_eq!(settings, want.each_ref());
    assert_eq!(
        snap["counters"],
        json!({"activeMsgNum": 1, "inactiveMsgNum": 1, "delayMsgNum": 1, "rewindMsgNum": 1, "minMsgTime": t0})
    );
    let ids = |state: &str| -> Vec<String> {
        snap["messages"][state]
            .as_array()
            .expect("list")
            .iter()
            .map(|m| m["msgId"].as_str().unwrap_or("").to_owned())
            .collect()
    };
    assert_eq!(ids("active"), [active.as_str()]);
    assert_eq!(ids("inactive"), [inactive.as_str()]);
    assert_eq!(ids("delayed"), [delayed.as_str()]);
    assert_eq!(ids("deleted"), [deleted.as_str()]);
    assert_eq!(
        snap["messages"]["inactive"][0],
        json!({
            "msgId": inactive,
            "msgBody": "inactive",
            "msgBodySize": 8,
            "state": "inactive",
            "enqueueTimeMs": t,
            "firstDequeueTimeMs": t,
            "nextVisibleTimeMs": t + 60_000,
            "dequeueCount": 1,
        })
    );
    assert_eq!(
        snap["messages"]["active"][0],
        json!({
            "msgId": active,
            "msgBody": "active",
            "msgBodySize": 6,
            "state": "active",
            "enqueueTimeMs": t + 1000,
            "firstDequeueTimeMs": 0,
            "nextVisibleTimeMs": t + 1000,
            "dequeueCount": 0,
        })
    );
    let d = &snap["messages"]["delayed"][0];
    assert_eq!(
        (&d["state"], &d["nextVisibleTimeMs"], &d["dequeueCount"]),
        (&json!("delayed"), &json!(t + 30_000), &json!(0))
    );
    assert_eq!(snap["messages"]["deleted"][0]["state"], "deleted");
    // Inspection has no side effect: the counters over the API are the same, the handles work.
    assert_eq!(counters(&q).await[..4], [1, 1, 1, 1]);
    // The same snapshot in process.
    let s = mock.queue_snapshot("delayed").expect("snapshot");
    assert_eq!((s.active.len(), s.inactive.len()), (1, 1));
    assert_eq!(s.attributes.counters.rewind_msg_num, 1);
}

#[tokio::test]
async fn deliveries_route_lists_and_clears() {
    let (mock, t0) = mock_with(|b| b.queue("q")).await;
    let rx = PushReceiver::start().await.expect("receiver");
    let c = client(&mock);
    let topic = c.topic("t");
    topic.create().await.expect("create");
    topic.subscribe_queue("to-q", "q").await.expect("subscribe");
    topic
        .subscribe_http("hook", rx.url("/h"))
        .await
        .expect("subscribe");
    let id = topic.publish("hi").await.expect("publish");
    mock.deliveries()
        .wait_for_count(2, |r| r.msg_id == id, WAIT)
        .await
        .expect("two records");
    let (status, v) = admin(&mock, "GET", "/_mock/deliveries", None).await;
    assert_eq!(status, 200);
    let list = v.as_array().expect("array");
    assert_eq!(list.len(), 2, "{v}");
    let owner = c
        .subscription("t", "hook")
        .attributes()
        .await
        .expect("a")
        .topic_owner;
    let queue_rec = list
        .iter()
        .find(|r| r["protocol"] == "queue")
        .expect("queue record");
    assert_eq!(queue_rec["subscription"], "to-q");
    assert_eq!(queue_rec["endpoint"], "q");
    assert_eq!(queue_rec["outcome"], "enqueued");
    assert!(queue_rec["detail"]["queueMsgId"].is_string());
    let http_rec = list
        .iter()
        .find(|r| r["protocol"] == "http")
        .expect("http record");
    assert_eq!(
        (
            &http_rec["account"],
            &http_rec["topic"],
            &http_rec["subscription"],
            &http_rec["endpoint"],
            &http_rec["msgId"],
            &http_rec["attempt"],
            &http_rec["timeMs"],
            &http_rec["outcome"],
            &http_rec["detail"],
        ),
        (
            &json!(owner),
            &json!("t"),
            &json!("hook"),
            &json!(rx.url("/h")),
            &json!(id),
            &json!(1),
            &json!(t0 * 1000),
            &json!("delivered"),
            &json!({"status": 200}),
        )
    );
    assert!(http_rec["seq"].is_u64());
    let (status, v) = admin(&mock, "DELETE", "/_mock/deliveries", None).await;
    assert_eq!((status, v), (200, json!({})));
    let (_, v) = admin(&mock, "GET", "/_mock/deliveries", None).await;
    assert_eq!(v, json!([]));
    assert!(mock.deliveries().records().is_empty());
}

#[tokio::test]
async fn fault_routes_arm_list_and_clear() {
    let (mock, _) = mock_with(|b| b.queue("q")).await;
    let q = client(&mock).queue("q");
    // An error, twice, then normal.
    let (status, v) = admin(
        &mock,
        "POST",
        "/_mock/faults",
        Some(json!({"action": "SendMessage", "times": 2, "error": "QueueFull"})),
    )
    .await;
    assert_eq!(status, 200);
    let id = v["id"].as_u64().expect("id");
    let (_, v) = admin(&mock, "GET", "/_mock/faults", None).await;
    assert_eq!(
        v,
        json!([{"id": id, "action": "SendMessage", "times": 2, "error": "QueueFull"}])
    );
    // Other actions are untouched.
    q.attributes().await.expect("attributes");
    expect_err(q.send("1").await, ErrorId::QueueFull);
    let (_, v) = admin(&mock, "GET", "/_mock/faults", None).await;
    assert_eq!(v[0]["times"], json!(1));
    expect_err(q.send("2").await, ErrorId::QueueFull);
    let (_, v) = admin(&mock, "GET", "/_mock/faults", None).await;
    assert_eq!(v, json!([]));
    q.send("3").await.expect("normal again");
    assert_eq!(q.attributes().await.expect("a").active_msg_num, 1);

    // A raw code and message for every action, until cleared.
    let (status, _) = admin(
        &mock,
        "POST",
        "/_mock/faults",
        Some(json!({"code": 6000, "message": "(10050)boom"})),
    )
    .await;
    assert_eq!(status, 200);
    for _ in 0..3 {
        match q.attributes().await {
            Err(Error::Service(s)) => {
                assert_eq!(
                    (s.code, s.module_code, s.message.as_str()),
                    (6000, Some(10050), "(10050)boom")
                );
            }
            other => panic!("{other:?}"),
        }
    }
    let (status, v) = admin(&mock, "DELETE", "/_mock/faults", None).await;
    assert_eq!((status, v), (200, json!({})));
    q.attributes().await.expect("cleared");
}

#[tokio::test]
async fn fault_routes_latency_dropped_connections_and_refused_rules() {
    let (mock, _) = mock_with(|b| b.queue("q")).await;
    let q = client(&mock).queue("q");
    q.send("3").await.expect("send");
    // Latency (real time) for one call: the call takes the rule and still succeeds.
    admin(
        &mock,
        "POST",
        "/_mock/faults",
        Some(json!({"action": null, "latency_ms": 200, "times": 1})),
    )
    .await;
    q.attributes().await.expect("slow but fine");
    let (_, v) = admin(&mock, "GET", "/_mock/faults", None).await;
    assert_eq!(v, json!([]), "used up by that call");
    // That a latency holds its call back, by events rather than a stopwatch: a call that took
    // an hour's latency is still waiting after another call came and went.
    admin(
        &mock,
        "POST",
        "/_mock/faults",
        Some(json!({"action": "ListQueue", "latency_ms": 3_600_000, "times": 1})),
    )
    .await;
    let c = client(&mock);
    let slow = tokio::spawn(async move { c.list_queue().send().await });
    wait_rules(&mock, <[_]>::is_empty).await;
    q.attributes().await.expect("another call is not delayed");
    assert!(!slow.is_finished(), "the delayed call answered early");
    slow.abort();

    // A dropped connection.
    admin(
        &mock,
        "POST",
        "/_mock/faults",
        Some(json!({"action": "ReceiveMessage", "drop_connection": true, "times": 1})),
    )
    .await;
    let r = q.receive(Some(0)).await;
    assert!(matches!(r, Err(Error::Transport { .. })), "{r:?}");
    assert!(r.as_ref().is_err_and(Error::is_retryable));
    let m = q.receive(Some(0)).await.expect("receive").expect("message");
    assert_eq!(m.body, "3");

    // Refused rules.
    for bad in [
        json!({"action": "SendMessage", "times": 0, "error": "QueueFull"}),
        json!({"action": "NoSuchAction", "error": "QueueFull"}),
        json!({"error": "NoSuchError"}),
        json!({"error": "QueueFull", "latency_ms": 5}),
        json!({"times": 1}),
    ] {
        let (status, v) = admin(&mock, "POST", "/_mock/faults", Some(bad.clone())).await;
        assert_eq!(status, 400, "{bad}: {v}");
        assert!(v["error"].is_string());
    }
    let (_, v) = admin(&mock, "GET", "/_mock/faults", None).await;
    assert_eq!(v, json!([]));
}

#[tokio::test]
async fn faults_through_the_in_process_api() {
    let (mock, _) = mock_with(|b| b.queue("q")).await;
    let c = client(&mock);
    let q = c.queue("q");
    let id = mock
        .faults()
        .fail_next(Some(Action::SendMessage), 2, ErrorId::QueueFull);
    assert_eq!(mock.faults().rules().len(), 1);
    assert_eq!(mock.faults().rules()[0].id, id);
    expect_err(q.send("a").await, ErrorId::QueueFull);
    expect_err(q.send("b").await, ErrorId::QueueFull);
    q.send("c").await.expect("third works");
    // Faults do not use up on requests refused before (a bad signature).
    mock.faults().fail_next(None, 1, ErrorId::InternalError);
    let bad = Client::builder()
        .endpoint(mock.endpoint())
        .credentials(Credentials::new(mock.secret_id(), "wrong"))
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("client");
    expect_err(
        bad.queue("q").send("x").await,
        ErrorId::AuthenticationFailed,
    );
    expect_err(q.attributes().await, ErrorId::InternalError);
    // The SDK's default policy retries idempotent calls through a transient 6000.
    mock.faults()
        .fail_next(Some(Action::GetQueueAttributes), 1, ErrorId::InternalError);
    let retrying = Client::builder()
        .endpoint(mock.endpoint())
        .credentials(mock.credentials())
        .retry_policy(RetryPolicy::new().with_base_delay(Duration::from_millis(1)))
        .build()
        .expect("client");
    let a = retrying.queue("q").attributes().await.expect("retried");
    assert_eq!(a.active_msg_num, 1);
    // Raw envelopes, latency and drops.
    mock.faults()
        .fail_next_raw(Some(Action::ListQueue), 1, 4420, "(10250)qps throttling");
    let e = c.list_queue().send().await.expect_err("throttled");
    assert!(e.is_throttled(), "{e:?}");
    // A latency rule holds back every call it matches until removed (events, not a stopwatch):
    // two calls take it (its count goes down by two) and are still waiting after another action
    // came and went; once it is removed, the next call is not held back.
    let rule = mock.faults().delay(
        Some(Action::ListQueue),
        Duration::from_secs(3600),
        Some(100),
    );
    let held: Vec<_> = (0..2)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.list_queue().send().await })
        })
        .collect();
    wait_rules(&mock, |r| r.len() == 1 && r[0].rule.times == Some(98)).await;
    q.attributes().await.expect("another action is not delayed");
    assert!(held.iter().all(|h| !h.is_finished()), "answered early");
    assert!(mock.faults().remove(rule));
    assert!(!mock.faults().remove(rule));
    c.list_queue().send().await.expect("not held back any more");
    held.iter().for_each(tokio::task::JoinHandle::abort);
    mock.faults().drop_next(Some(Action::ReceiveMessage), 1);
    assert!(matches!(
        q.receive(Some(0)).await,
        Err(Error::Transport { .. })
    ));
    assert_eq!(
        q.receive(Some(0))
            .await
            .expect("receive")
            .map(|m| m.body)
            .as_deref(),
        Some("c")
    );
    // Cleared, and visible over HTTP.
    mock.faults().fail_next(None, 5, ErrorId::InternalError);
    let (_, v) = admin(&mock, "GET", "/_mock/faults", None).await;
    assert_eq!(v.as_array().map(Vec::len), Some(1));
    mock.faults().clear();
    let (_, v) = admin(&mock, "GET", "/_mock/faults", None).await;
    assert_eq!(v, json!([]));
    q.attributes().await.expect("normal");
}

#[tokio::test]
async fn journal_route_redacts_signatures_and_clears() {
    let (mock, t0) = mock_with(|b| b.queue("q")).await;
    let q = client(&mock).queue("q");
    let msg_id = q.send("journaled").await.expect("send");
    q.attributes().await.expect("attributes");
    let bad = Client::builder()
        .endpoint(mock.endpoint())
        .credentials(Credentials::new(mock.secret_id(), "wrong"))
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("client");
    expect_err(
        bad.queue("q").send("x").await,
        ErrorId::AuthenticationFailed,
    );
    let (status, v) = admin(&mock, "GET", "/_mock/journal", None).await;
    assert_eq!(status, 200);
    let records = v.as_array().expect("array");
    assert_eq!(records.len(), 3, "{v}");
    let send = &records[0];
    assert_eq!(send["action"], "SendMessage");
    assert_eq!(send["account"], json!(mock.secret_id()));
    assert_eq!(send["code"], 0);
    assert_eq!(send["time_ms"], json!(t0 * 1000));
    assert!(send["request_id"].as_str().is_some_and(|r| !r.is_empty()));
    let params: Vec<(String, String)> =
        serde_json::from_value(send["params"].clone()).expect("pairs");
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(get("Signature"), Some("***"));
    assert_eq!(get("msgBody"), Some("journaled"));
    assert_eq!(get("queueName"), Some("q"));
    assert_eq!(get("SecretId"), Some(mock.secret_id()));
    assert!(!v.to_string().contains(mock.secret_key()));
    assert_eq!(records[1]["action"], "GetQueueAttributes");
    // A refused request is journaled without an account.
    assert_eq!(records[2]["code"], 4100);
    assert_eq!(records[2]["account"], Value::Null);
    // The in-process journal holds the same.
    let recs = mock.journal().records();
    assert_eq!(recs.len(), 3);
    assert_eq!(recs[0].param("Signature"), Some("***"));
    assert_eq!(recs[0].param("msgBody"), Some("journaled"));
    let _ = msg_id;
    let (status, v) = admin(&mock, "DELETE", "/_mock/journal", None).await;
    assert_eq!((status, v), (200, json!({})));
    let (_, v) = admin(&mock, "GET", "/_mock/journal", None).await;
    assert_eq!(v, json!([]));
    // Admin requests themselves are not journaled.
    assert!(mock.journal().records().is_empty());
}

#[tokio::test]
async fn reset_route_empties_everything_but_the_accounts() {
    let (mock, _) = mock_with(|b| b.account("AKIDx", "kx").account("AKIDy", "ky")).await;
    let c = client(&mock);
    c.queue("q").create().await.expect("create");
    c.queue("q").send("m").await.expect("send");
    let topic = c.topic("t");
    topic.create().await.expect("create");
    topic.subscribe_queue("s", "q").await.expect("subscribe");
    topic.publish("p").await.expect("publish");
    mock.faults()
        .fail_next(Some(Action::DeleteQueue), 1, ErrorId::InternalError);
    assert!(!mock.deliveries().records().is_empty());
    assert!(!mock.journal().records().is_empty());
    let (status, v) = admin(&mock, "POST", "/_mock/reset", None).await;
    assert_eq!((status, v), (200, json!({})));
    assert!(mock.faults().rules().is_empty());
    assert!(mock.deliveries().records().is_empty());
    assert!(mock.journal().records().is_empty());
    let (_, v) = admin(&mock, "GET", "/_mock/queues", None).await;
    assert_eq!(v, json!([]));
    let (_, v) = admin(&mock, "GET", "/_mock/accounts", None).await;
    assert_eq!(v, json!(["AKIDx", "AKIDy"]));
    assert_eq!(c.list_queue().send().await.expect("list").total_count, 0);
    assert_eq!(c.list_topic().send().await.expect("list").total_count, 0);
    // Names are free at once (no re-create block after a reset).
    c.queue("q").create().await.expect("create again");
    c.topic("t").create().await.expect("create again");
    // The in-process reset does the same.
    c.queue("q").send("again").await.expect("send");
    mock.reset();
    assert_eq!(c.list_queue().send().await.expect("list").total_count, 0);
}

// -------------------------------------------------------------------------------- lifecycle

#[tokio::test]
async fn two_mocks_in_one_test_are_isolated() {
    let (a, t0) = mock_with(|b| b.queue("q")).await;
    let b = CmqMock::builder()
        .manual_clock()
        .queue("q")
        .start()
        .await
        .expect("second mock");
    let b0 = b.clock().now_ms();
    assert!(b.clock().is_manual());
    assert_ne!(a.addr(), b.addr());
    client(&a).queue("q").send("for a").await.expect("send");
    assert!(
        client(&b)
            .queue("q")
            .receive(Some(0))
            .await
            .expect("receive")
            .is_none()
    );
    a.clock().advance(Duration::from_secs(30));
    assert_eq!(b.clock().now_ms(), b0);
    a.faults().fail_next(None, 1, ErrorId::InternalError);
    client(&b)
        .queue("q")
        .attributes()
        .await
        .expect("b has no faults");
    assert_eq!(b.journal().records().len(), 2);
    let (_, va) = admin(&a, "GET", "/_mock/clock", None).await;
    let (_, vb) = admin(&b, "GET", "/_mock/clock", None).await;
    assert_eq!(va["now_ms"].as_u64(), Some(t0 * 1000 + 30_000));
    assert_eq!(vb["now_ms"].as_u64(), Some(b0));
    drop(b);
    expect_err(
        client(&a).queue("q").attributes().await,
        ErrorId::InternalError,
    );
    assert_eq!(
        client(&a)
            .queue("q")
            .receive(Some(0))
            .await
            .expect("receive")
            .map(|m| m.body)
            .as_deref(),
        Some("for a")
    );
}

/// Waits until nothing listens on `addr` any more.
async fn wait_closed(addr: std::net::SocketAddr) {
    let started = Instant::now();
    while tokio::net::TcpStream::connect(addr).await.is_ok() {
        assert!(started.elapsed() < WAIT, "{addr} still accepts connections");
        tokio::task::yield_now().await;
    }
}

/// Dropping the mock while a long poll waits on its clock returns (within a hang guard, not a
/// stopwatch) and closes the listener.
#[test]
fn drop_does_not_block_with_a_long_poll_in_flight_current_thread() {
    without_hanging(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let (mock, t0) = mock_with(|b| b.queue("q")).await;
            let addr = mock.addr();
            let q = client(&mock).queue("q");
            let waiting = tokio::spawn(async move { q.receive(Some(30)).await });
            wait_deadline(mock.clock(), t0 * 1000 + 30_000).await;
            drop(mock);
            wait_closed(addr).await;
            waiting.abort();
        });
    });
}

/// Dropping the mock while a long poll waits on its clock returns (within a hang guard, not a
/// stopwatch) and closes the listener.
#[test]
fn drop_does_not_block_with_a_long_poll_in_flight_multi_thread() {
    without_hanging(|| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let (mock, t0) = mock_with(|b| b.queue("q")).await;
            let addr = mock.addr();
            let q = client(&mock).queue("q");
            let waiting = tokio::spawn(async move { q.receive(Some(30)).await });
            wait_deadline(mock.clock(), t0 * 1000 + 30_000).await;
            drop(mock);
            wait_closed(addr).await;
            waiting.abort();
        });
    });
}

async fn basic_round_trip() {
    let (mock, t0) = mock_with(|b| b.queue("q")).await;
    let q = client(&mock).queue("q");
    q.send_delayed("hello", 60).await.expect("send");
    assert!(q.receive(Some(0)).await.expect("receive").is_none());
    let waiting = tokio::spawn({
        let q = q.clone();
        async move { q.receive(Some(30)).await }
    });
    wait_deadline(mock.clock(), t0 * 1000 + 30_000).await;
    mock.clock().advance(Duration::from_secs(30));
    let r = tokio::time::timeout(WAIT, waiting)
        .await
        .expect("answered")
        .expect("task");
    assert!(r.expect("receive").is_none());
    mock.clock().advance(Duration::from_secs(30));
    let m = q.receive(Some(0)).await.expect("receive").expect("message");
    assert_eq!(m.body, "hello");
    q.delete_message(&m.receipt_handle).await.expect("delete");
    let (_, v) = admin(&mock, "GET", "/_mock/queues/q", None).await;
    assert_eq!(v["counters"]["activeMsgNum"], 0);
    let addr = mock.addr();
    mock.shutdown().await;
    wait_closed(addr).await;
}

#[tokio::test(flavor = "current_thread")]
async fn works_on_a_current_thread_runtime() {
    basic_round_trip().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn works_on_a_multi_thread_runtime() {
    basic_round_trip().await;
}

#[test]
fn works_on_runtimes_built_by_hand_and_dropped() {
    for _ in 0..2 {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let mock = rt.block_on(async {
            let (mock, _) = mock_with(|b| b.queue("q")).await;
            client(&mock).queue("q").send("x").await.expect("send");
            mock
        });
        // Dropping the mock outside the runtime, then the runtime, must not hang (a guard,
        // not a stopwatch) or panic.
        without_hanging(move || {
            drop(mock);
            drop(rt);
        });
    }
}
