//! Helpers shared by the end-to-end tests (each test crate uses the ones it needs).
#![allow(dead_code, unused_imports)]

pub mod raw;
pub mod server;
pub mod sock;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use cmq_mock::{Clock, CmqMock, CmqMockBuilder, DeliveryRecord};
use cmq_sdk::generated::types::DeadLetterPolicy;
use cmq_sdk::retry::RetryPolicy;
use cmq_sdk::{Client, Credentials, Error, ErrorId, Queue, ServiceError, ValidationMode};
use serde_json::Value;

pub use raw::{Pairs, Raw, form, with_param, without_param};

/// How long (real time) a test waits for something that should happen at once.
pub const WAIT: Duration = Duration::from_secs(30);

/// The wall clock in Unix seconds.
pub fn wall_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A mock on a manual clock that starts at the current wall-clock second (so CMQ's
/// second-resolution times are exact); that second.
pub async fn mock_with(f: impl FnOnce(CmqMockBuilder) -> CmqMockBuilder) -> (CmqMock, u64) {
    let t0 = wall_secs();
    let mock = f(CmqMock::builder().clock(Clock::manual(t0 * 1000)))
        .start()
        .await
        .expect("mock starts");
    (mock, t0)
}

/// A mock on a manual clock at the current wall-clock second with the defaults; that second.
pub async fn mock() -> (CmqMock, u64) {
    mock_with(|b| b).await
}

/// An SDK client for the mock's account, without retries.
pub fn client(mock: &CmqMock) -> Client {
    client_as(mock, mock.secret_id(), mock.secret_key())
}

/// An SDK client that manages over API 3.0 on the mock's port (a region set), no retries.
pub fn client3(mock: &CmqMock) -> Client {
    Client::builder()
        .endpoint(mock.endpoint())
        .credentials(mock.credentials())
        .profile(mock.profile())
        .region(cmq_mock::MOCK_REGION)
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("client")
}

/// An SDK client signing as `id` with `key`, without retries, of the mock's profile.
pub fn client_as(mock: &CmqMock, id: &str, key: &str) -> Client {
    Client::builder()
        .endpoint(mock.endpoint())
        .credentials(Credentials::new(id, key))
        .profile(mock.profile())
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("client")
}

/// Like [`client`], with validation off (to send what the SDK would refuse).
pub fn unvalidated(mock: &CmqMock) -> Client {
    Client::builder()
        .endpoint(mock.endpoint())
        .credentials(mock.credentials())
        .retry_policy(RetryPolicy::none())
        .validation(ValidationMode::Off)
        .build()
        .expect("client")
}

/// The service error `e` with its exact code, module code and message (`%s` filled with
/// `subject`) and a request id.
#[track_caller]
pub fn expect_err<T: std::fmt::Debug>(
    r: Result<T, Error>,
    e: ErrorId,
    subject: &str,
) -> ServiceError {
    match r {
        Err(Error::Service(s)) => {
            let want = format!("({}){}", e.module(), e.message().replace("%s", subject));
            assert_eq!(
                (s.code, s.module_code, s.message.as_str()),
                (e.code(), Some(e.module()), want.as_str()),
                "{s:?}"
            );
            assert!(s.request_id.as_deref().is_some_and(|r| !r.is_empty()));
            *s
        }
        other => panic!("expected {e:?}, got {other:?}"),
    }
}

/// The CMQ message of `e` without a `%s`.
pub fn text(e: ErrorId) -> String {
    format!("({}){}", e.module(), e.message())
}

/// Seconds as the SDK's integer type.
pub fn secs(s: u64) -> i64 {
    i64::try_from(s).unwrap_or(i64::MAX)
}

/// [activeMsgNum, inactiveMsgNum, delayMsgNum, rewindMsgNum, minMsgTime].
pub async fn counters(q: &Queue) -> [i64; 5] {
    let a = q.attributes().await.expect("attributes");
    [
        a.active_msg_num,
        a.inactive_msg_num,
        a.delay_msg_num,
        a.rewind_msg_num,
        a.min_msg_time,
    ]
}

/// The bodies of up to 16 visible messages of `queue` (received, so they turn invisible).
pub async fn bodies(c: &Client, queue: &str) -> Vec<String> {
    c.queue(queue)
        .batch_receive(16, Some(0))
        .await
        .expect("receive")
        .into_iter()
        .map(|m| m.body)
        .collect()
}

/// Waits (yielding, bounded by [`WAIT`] of real time) until the earliest sleeper of the manual
/// clock is at `want` ms.
pub async fn wait_deadline(clock: &Clock, want: u64) {
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

/// Lets other tasks (and the HTTP round trips they wait on) run for a moment of real time.
pub async fn settle_io() {
    for _ in 0..50 {
        tokio::task::yield_now().await;
    }
    tokio::time::sleep(Duration::from_millis(30)).await;
}

/// The first delivery record matching `pred` (waiting up to [`WAIT`]); panics with the log.
pub async fn record(
    mock: &CmqMock,
    what: &str,
    pred: impl Fn(&DeliveryRecord) -> bool,
) -> DeliveryRecord {
    match mock.deliveries().wait_for(pred, WAIT).await {
        Some(r) => r,
        None => panic!(
            "no delivery record: {what}; log: {:#?}",
            mock.deliveries().records()
        ),
    }
}

/// A receive-count dead-letter policy.
pub fn policy0(dlq: &str, max_receive_count: i64) -> DeadLetterPolicy {
    DeadLetterPolicy {
        dead_letter_queue: Some(dlq.into()),
        policy: Some(0),
        max_receive_count: Some(max_receive_count),
        max_time_to_live: None,
    }
}

/// A success envelope: code 0, empty message, a request id.
#[track_caller]
pub fn assert_ok(v: &Value) {
    assert_eq!(
        (v["code"].as_i64(), v["message"].as_str()),
        (Some(0), Some("")),
        "{v}"
    );
    assert!(
        v["requestId"].as_str().is_some_and(|r| !r.is_empty()),
        "{v}"
    );
}

/// An error envelope with exactly this code and message, and a request id.
#[track_caller]
pub fn assert_code(v: &Value, code: i64, message: &str) {
    assert_eq!(
        (v["code"].as_i64(), v["message"].as_str()),
        (Some(code), Some(message)),
        "{v}"
    );
    assert!(
        v["requestId"].as_str().is_some_and(|r| !r.is_empty()),
        "{v}"
    );
}
