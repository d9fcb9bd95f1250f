//! Helpers shared by the end-to-end tests (each test crate uses the ones it needs).
#![allow(dead_code)]

use std::time::{SystemTime, UNIX_EPOCH};

use cmq_mock::Clock;
use cmq_mock::{CmqMock, CmqMockBuilder};
use cmq_sdk::retry::RetryPolicy;
use cmq_sdk::{Client, Error, ErrorId, ServiceError, ValidationMode};

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

/// An SDK client for the mock's account, without retries.
pub fn client(mock: &CmqMock) -> Client {
    Client::builder()
        .endpoint(mock.endpoint())
        .credentials(mock.credentials())
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
