//! The client validates with the profile of its endpoint: TDMQ hosts follow `tdmq`, legacy CMQ
//! hosts `legacy`, any other host the builder's choice (default `tdmq`). Validation fails before
//! anything is sent, so no server is needed.

use cmq_sdk::generated::constraints::send_message;
use cmq_sdk::{Client, Credentials, Error, ErrorId, Profile};

fn client(endpoint: &str, profile: Option<Profile>) -> Client {
    let mut b = Client::builder()
        .endpoint(endpoint)
        .credentials(Credentials::new("AKIDprofiles", "key"));
    if let Some(p) = profile {
        b = b.profile(p);
    }
    b.build().expect("client")
}

/// The first violation's error id, or `None` when the request is valid for the client.
fn first_violation(c: &Client, queue: &str, delay: i64) -> Option<ErrorId> {
    let input = cmq_sdk::generated::ops::SendMessageInput::new()
        .queue_name(queue)
        .msg_body("x")
        .delay_seconds(delay);
    match input.validate_for(c.profile()) {
        Ok(()) => None,
        Err(v) => v.iter().next().map(|v| v.error),
    }
}

#[test]
fn the_endpoint_picks_the_profile() {
    let cases = [
        ("https://cmq-gz.public.tencenttdmq.com", None, Profile::Tdmq),
        (
            "http://sh.mqadapter.cmq.tencentyun.com",
            None,
            Profile::Tdmq,
        ),
        ("https://cmq-queue-gz.api.qcloud.com", None, Profile::Legacy),
        (
            "http://cmq-topic-bj.api.tencentyun.com",
            None,
            Profile::Legacy,
        ),
        ("http://127.0.0.1:8641", None, Profile::DEFAULT),
        (
            "http://127.0.0.1:8641",
            Some(Profile::Legacy),
            Profile::Legacy,
        ),
        // An explicit profile wins over the host.
        (
            "https://cmq-gz.public.tencenttdmq.com",
            Some(Profile::Legacy),
            Profile::Legacy,
        ),
    ];
    for (endpoint, set, want) in cases {
        assert_eq!(client(endpoint, set).profile(), want, "{endpoint} {set:?}");
    }
    assert_eq!(Profile::DEFAULT, Profile::Tdmq);
}

#[test]
fn legacy_refuses_underscores_and_long_delays_tdmq_accepts_them() {
    let tdmq = client("https://cmq-gz.public.tencenttdmq.com", None);
    let legacy = client("https://cmq-queue-gz.api.qcloud.com", None);
    assert_eq!(first_violation(&tdmq, "a_b", 3601), None);
    assert_eq!(
        first_violation(&legacy, "a_b", 0),
        Some(ErrorId::QueueNameFormat)
    );
    assert_eq!(
        first_violation(&legacy, "a-b", 3601),
        Some(ErrorId::DelaySecondsOutOfRange)
    );
    assert_eq!(first_violation(&legacy, "a-b", 3600), None);
    // tdmq has its own static bound (the table of its profile).
    let tdmq_max = send_message::table(Profile::Tdmq)
        .iter()
        .find(|p| p.wire == "delaySeconds")
        .and_then(|p| p.max)
        .expect("a maximum");
    assert_eq!(first_violation(&tdmq, "a_b", tdmq_max), None);
    assert_eq!(
        first_violation(&tdmq, "a_b", tdmq_max + 1),
        Some(ErrorId::DelaySecondsOutOfRange)
    );
}

/// `execute` validates with the client's profile: a legacy client refuses `a_b` before sending
/// (the endpoint is never contacted), a TDMQ client sends it (and fails on the network here).
#[tokio::test]
async fn execute_validates_with_the_clients_profile() {
    let legacy = client("http://127.0.0.1:9", Some(Profile::Legacy));
    let err = legacy
        .send_message()
        .queue_name("a_b")
        .msg_body("x")
        .send()
        .await
        .expect_err("refused");
    match err {
        Error::Validation(v) => assert_eq!(
            v.iter().next().map(|v| v.error),
            Some(ErrorId::QueueNameFormat)
        ),
        other => panic!("expected a validation error, got {other:?}"),
    }
    let tdmq = client("http://127.0.0.1:9", None);
    let err = tdmq
        .send_message()
        .queue_name("a_b")
        .msg_body("x")
        .send()
        .await
        .expect_err("no server");
    assert!(!matches!(err, Error::Validation(_)), "{err:?}");
}

/// A body longer than any maxMsgSize names the size error the server answers (4400/10230), not
/// "message body can't be empty"; an empty one still does.
#[test]
fn an_oversized_body_is_a_size_error() {
    let max = cmq_sdk::generated::constraints::send_message::msg_body::MAX_LEN;
    let input = |body: String| {
        cmq_sdk::generated::ops::SendMessageInput::new()
            .queue_name("q")
            .msg_body(body)
    };
    let err = input("a".repeat(max + 1)).validate().expect_err("too long");
    let v = err.iter().next().expect("a violation");
    assert_eq!(v.error, ErrorId::MessageTooLarge);
    assert_eq!((v.error.code(), v.error.module()), (4400, 10230));
    let err = input(String::new()).validate().expect_err("empty");
    assert_eq!(
        err.iter().next().map(|v| v.error),
        Some(ErrorId::MessageBodyEmpty)
    );
    assert!(input("a".repeat(max)).validate().is_ok());
}
