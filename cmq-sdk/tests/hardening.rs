//! The SDK against hostile or broken servers: the response size limit, no redirects, and the
//! deadline of a call across its retries (no URL or secret in errors and logs: `redaction.rs`). Timing tests run on
//! paused time (auto-advanced while every task waits), so they assert error kinds and attempt
//! counts, never wall-clock durations.

mod scripted;

use std::time::Duration;

use cmq_sdk::retry::RetryPolicy;
use cmq_sdk::timeouts::Timeouts;
use cmq_sdk::{Credentials, Error, HttpMethod};
use scripted::{
    Reply, SECRET_ID, SECRET_KEY, Server, builder, client, envelope, fast_retries, queue_attributes,
};

// ---------------------------------------------------------------- response size limit

#[tokio::test]
async fn a_declared_length_over_the_limit_is_refused_and_not_retried() {
    let server = Server::start(vec![Reply::Big {
        len: 4096,
        declared: true,
    }])
    .await;
    let c = builder(&server).max_response_bytes(1024).build().unwrap();
    let err = c.queue("q").attributes().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::ResponseTooLarge {
                limit: 1024,
                status: 200
            }
        ),
        "{err:?}"
    );
    assert!(!err.is_retryable());
    assert_eq!(
        server.hits(),
        1,
        "GetQueueAttributes is idempotent, but not retried"
    );
    let text = err.to_string();
    assert!(
        text.contains("1024") && text.contains("too large"),
        "{text}"
    );
}

#[tokio::test]
async fn a_chunked_body_is_cut_off_at_the_limit() {
    let server = Server::start(vec![Reply::Big {
        len: 3 << 20,
        declared: false,
    }])
    .await;
    let c = builder(&server)
        .max_response_bytes(1 << 20)
        .build()
        .unwrap();
    let err = c.queue("q").delete().await.unwrap_err();
    assert!(
        matches!(err, Error::ResponseTooLarge { limit, .. } if limit == 1 << 20),
        "{err:?}"
    );
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn a_body_of_exactly_the_limit_is_read() {
    for declared in [true, false] {
        let server = Server::start(vec![
            Reply::Big {
                len: 1024,
                declared,
            },
            Reply::Big {
                len: 1025,
                declared,
            },
        ])
        .await;
        let c = builder(&server).max_response_bytes(1024).build().unwrap();
        let q = c.queue("q");
        q.delete()
            .await
            .unwrap_or_else(|e| panic!("declared {declared}: {e}"));
        let err = q.delete().await.unwrap_err();
        assert!(
            matches!(err, Error::ResponseTooLarge { .. }),
            "declared {declared}: {err:?}"
        );
    }
}

/// The default limit takes BatchReceiveMessage's largest answer: 16 messages of 1 MiB.
#[tokio::test]
async fn the_default_limit_takes_sixteen_messages_of_one_mebibyte() {
    let body = "b".repeat(1 << 20);
    let items: Vec<String> = (0..16)
        .map(|i| {
            format!(
                r#"{{"msgBody":"{body}","msgId":"m-{i}","receiptHandle":"h-{i}","enqueueTime":1,"firstDequeueTime":2,"nextVisibleTime":3,"dequeueCount":1}}"#
            )
        })
        .collect();
    let answer = envelope(&format!(r#""msgInfoList":[{}]"#, items.join(",")));
    assert!(answer.len() > 16 << 20);
    let server = Server::start(vec![Reply::Json(answer)]).await;
    let got = client(&server)
        .queue("q")
        .batch_receive(16, Some(0))
        .await
        .unwrap();
    assert_eq!(got.len(), 16);
    assert!(got.iter().all(|m| m.body.len() == 1 << 20));
}

// ---------------------------------------------------------------- redirects

#[tokio::test]
async fn a_redirect_is_an_http_status_and_the_signed_request_is_not_resent() {
    for method in [HttpMethod::Post, HttpMethod::Get] {
        let elsewhere = Server::start(vec![Reply::Json(queue_attributes())]).await;
        let target = format!("{}/v2/index.php", elsewhere.url());
        let server = Server::start(vec![Reply::Redirect(target)]).await;
        let c = builder(&server).http_method(method).build().unwrap();
        let err = c.queue("q").attributes().await.unwrap_err();
        assert!(
            matches!(err, Error::HttpStatus { status: 307, .. }),
            "{method:?}: {err:?}"
        );
        assert_eq!(server.hits(), 1, "{method:?}: a 307 is not retried");
        assert_eq!(
            elsewhere.hits(),
            0,
            "{method:?}: the redirect target was called"
        );
        // A non-idempotent action: the same.
        let err = c.queue("q").send("x").await.unwrap_err();
        assert!(
            matches!(err, Error::HttpStatus { status: 307, .. }),
            "{err:?}"
        );
        assert_eq!(elsewhere.hits(), 0);
    }
}

// ---------------------------------------------------------------- no secrets in Debug

const TOKEN: &str = "sts-token-must-not-leak-7f3a";

#[test]
fn client_debug_shows_no_secret() {
    let c = cmq_sdk::Client::builder()
        .endpoint("http://127.0.0.1:8641")
        .credentials(Credentials::new(SECRET_ID, SECRET_KEY).with_token(TOKEN))
        .build()
        .unwrap();
    let text = format!("{c:?}");
    assert!(text.contains(SECRET_ID), "{text}");
    assert!(
        !text.contains(SECRET_KEY) && !text.contains(TOKEN),
        "{text}"
    );
}

// ---------------------------------------------------------------- the deadline of a call

fn paused(request: Duration) -> Timeouts {
    Timeouts::new()
        .with_connect(Duration::from_secs(3600))
        .with_request(request)
}

/// An idempotent call against a server that never answers: attempt 1 times out after 30 s,
/// attempt 2 is cut at the deadline (30 s + the 10 s retry budget), attempt 3 never starts.
#[tokio::test(start_paused = true)]
async fn a_hanging_server_gets_one_attempt_plus_the_retry_budget() {
    let server = Server::start(vec![Reply::Hang]).await;
    let c = builder(&server)
        .timeouts(paused(Duration::from_secs(30)))
        .build()
        .unwrap();
    let started = tokio::time::Instant::now();
    let err = c.queue("q").attributes().await.unwrap_err();
    match err {
        Error::Timeout {
            after,
            deadline,
            attempts,
        } => {
            assert_eq!(after, Duration::from_secs(40));
            assert!(deadline);
            assert_eq!(attempts, 2);
        }
        ref other => panic!("{other:?}"),
    }
    assert!(err.is_retryable());
    assert_eq!(server.requests().len(), 2);
    let text = err.to_string();
    assert!(text.contains("deadline") && text.contains("40s"), "{text}");
    // Virtual time, so exact: the deadline, not 3 × 30 s plus backoff.
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_secs(40) && elapsed < Duration::from_secs(41),
        "{elapsed:?}"
    );
}

/// A 30 s long poll retried on timeouts (opted in) took up to 3 × 35 s + backoff; now 35 s + the
/// 10 s budget.
#[tokio::test(start_paused = true)]
async fn a_retried_long_poll_ends_at_its_deadline() {
    let server = Server::start(vec![Reply::Hang]).await;
    let c = builder(&server)
        .timeouts(paused(Duration::from_secs(30)))
        .retry_policy(fast_retries().with_retry_non_idempotent(true))
        .build()
        .unwrap();
    let err = c.queue("q").receive(Some(30)).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout { after, deadline: true, attempts: 2 } if after == Duration::from_secs(45)
        ),
        "{err:?}"
    );
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn the_retry_budget_is_configurable() {
    // No budget: one attempt, then no retry fits.
    let server = Server::start(vec![Reply::Hang]).await;
    let c = builder(&server)
        .timeouts(paused(Duration::from_secs(30)).with_retry_budget(Duration::ZERO))
        .build()
        .unwrap();
    let err = c.queue("q").attributes().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout { after, deadline: false, attempts: 1 } if after == Duration::from_secs(30)
        ),
        "{err:?}"
    );
    assert_eq!(server.requests().len(), 1);

    // A budget larger than the attempts need: the policy's 3 attempts, each timing out alone.
    let server = Server::start(vec![Reply::Hang]).await;
    let c = builder(&server)
        .timeouts(paused(Duration::from_secs(30)).with_retry_budget(Duration::from_secs(3600)))
        .build()
        .unwrap();
    let err = c.queue("q").attributes().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout { after, deadline: false, attempts: 3 } if after == Duration::from_secs(30)
        ),
        "{err:?}"
    );
    assert_eq!(server.requests().len(), 3);
}

/// Quick failures still use every attempt the policy allows within the budget.
#[tokio::test(start_paused = true)]
async fn quick_failures_are_retried_within_the_deadline() {
    let server = Server::start(vec![
        Reply::Reset,
        Reply::Reset,
        Reply::Json(queue_attributes()),
    ])
    .await;
    let c = builder(&server)
        .timeouts(paused(Duration::from_secs(30)).with_retry_budget(Duration::ZERO))
        .retry_policy(
            RetryPolicy::new()
                .with_base_delay(Duration::from_millis(10))
                .with_max_delay(Duration::from_millis(10)),
        )
        .build()
        .unwrap();
    let attrs = c.queue("q").attributes().await.unwrap();
    assert_eq!(attrs.active_msg_num, 3);
    assert_eq!(server.hits(), 3);
}

// ---------------------------------------------------------------- blocking

#[cfg(feature = "blocking")]
#[test]
fn the_blocking_client_has_the_same_hardening() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let elsewhere = rt.block_on(Server::start(vec![Reply::Json(queue_attributes())]));
    let target = format!("{}/v2/index.php", elsewhere.url());
    let server = rt.block_on(Server::start(vec![
        Reply::Redirect(target),
        Reply::Big {
            len: 4096,
            declared: false,
        },
    ]));
    let c =
        cmq_sdk::blocking::Client::from_builder(builder(&server).max_response_bytes(1024)).unwrap();
    let q = c.queue("q");
    let err = q.attributes().unwrap_err();
    assert!(
        matches!(err, Error::HttpStatus { status: 307, .. }),
        "{err:?}"
    );
    assert_eq!(elsewhere.hits(), 0);
    let err = q.attributes().unwrap_err();
    assert!(
        matches!(err, Error::ResponseTooLarge { limit: 1024, .. }),
        "{err:?}"
    );
    assert_eq!(server.hits(), 2);
}
