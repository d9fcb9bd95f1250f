//! Fault injection against a scripted local HTTP server: connection resets, HTTP 500/502,
//! garbage JSON, slow answers, throttling, internal errors, "no message", and the handles'
//! treatment of answers (7000, 6010/6020, Base64 bodies, paging). Every test asserts how many
//! requests the server saw.

mod scripted;

use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt};

use cmq_sdk::generated::ops::{GetQueueAttributesInput, SendMessageInput};
use cmq_sdk::retry::RetryPolicy;
use cmq_sdk::timeouts::Timeouts;
use cmq_sdk::{Client, Credentials, Error, SubscriptionSpec};
use scripted::{
    Recorded, Reply, SECRET_ID, Server, builder, client, envelope, failure, fast_retries, message,
    queue_attributes,
};

// ---------------------------------------------------------------- transport faults

#[tokio::test]
async fn connection_reset_is_a_transport_error_retried_for_idempotent_actions() {
    let server = Server::start(vec![Reply::Reset]).await;
    let err = client(&server).queue("q").attributes().await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(err.is_retryable());
    assert_eq!(server.hits(), 3, "3 attempts (the default policy)");
    let text = err.to_string();
    assert!(
        text.starts_with("transport: ") && text.len() > "transport: ".len(),
        "{text}"
    );
}

#[tokio::test]
async fn connection_reset_then_success() {
    let server = Server::start(vec![Reply::Reset, Reply::Json(queue_attributes())]).await;
    let attrs = client(&server).queue("q").attributes().await.unwrap();
    assert_eq!(attrs.active_msg_num, 3);
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn connection_reset_of_send_message_is_not_retried() {
    let server = Server::start(vec![Reply::Reset, Reply::Json(envelope(r#""msgId":"m""#))]).await;
    let err = client(&server).queue("q").send("body").await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert_eq!(
        server.hits(),
        1,
        "a SendMessage that may have arrived is not repeated"
    );
}

#[tokio::test]
async fn http_500_is_retried_then_reported_with_status_and_body() {
    let server = Server::start(vec![Reply::Status(500, "internal oops".into())]).await;
    let err = client(&server)
        .list_queues(None)
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    match &err {
        Error::HttpStatus { status, body } => {
            assert_eq!(*status, 500);
            assert_eq!(body, "internal oops");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(server.hits(), 3);
    let text = err.to_string();
    assert!(
        text.contains("500") && text.contains("internal oops"),
        "{text}"
    );
}

#[tokio::test]
async fn http_502_then_success() {
    let server = Server::start(vec![
        Reply::Status(502, "<html>bad gateway</html>".into()),
        Reply::Json(envelope("")),
    ])
    .await;
    client(&server).queue("q").delete().await.unwrap();
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn http_502_for_send_message_is_not_retried() {
    let server = Server::start(vec![Reply::Status(502, "bad gateway".into())]).await;
    let err = client(&server).queue("q").send("x").await.unwrap_err();
    assert!(
        matches!(err, Error::HttpStatus { status: 502, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("502"), "{err}");
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn garbage_json_is_a_decode_error_and_not_retried() {
    let server = Server::start(vec![Reply::Json("{this is not json".into())]).await;
    let err = client(&server).queue("q").attributes().await.unwrap_err();
    match &err {
        Error::Decode { body, .. } => assert_eq!(body, "{this is not json"),
        other => panic!("{other:?}"),
    }
    assert!(!err.is_retryable());
    assert_eq!(server.hits(), 1);
    let text = err.to_string();
    assert!(
        text.starts_with("decoding: ") && text.contains("{this is not json"),
        "{text}"
    );
}

/// Paused time (auto-advanced while every task waits): deterministic on a loaded machine. The
/// connect timeout is out of the way so that only the request timeout can fire.
fn paused_timeouts(request: Duration) -> Timeouts {
    Timeouts::new()
        .with_connect(Duration::from_secs(3600))
        .with_request(request)
}

#[tokio::test(start_paused = true)]
async fn a_server_that_never_answers_times_out() {
    let server = Server::start(vec![Reply::Hang]).await;
    let c = builder(&server)
        .timeouts(paused_timeouts(Duration::from_millis(200)))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let started = tokio::time::Instant::now();
    let err = c.queue("q").attributes().await.unwrap_err();
    let elapsed = started.elapsed();
    match &err {
        Error::Timeout {
            after,
            deadline,
            attempts,
        } => {
            assert_eq!(*after, Duration::from_millis(200));
            assert!(!deadline);
            assert_eq!(*attempts, 1);
        }
        other => panic!("{other:?}"),
    }
    // Virtual time: exactly the timeout, give or take the scheduling of the timers.
    assert!(elapsed >= Duration::from_millis(200), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(300), "{elapsed:?}");
    assert!(err.is_retryable());
    assert_eq!(server.hits(), 1);
    assert!(err.to_string().contains("200ms"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn timeouts_of_idempotent_actions_are_retried() {
    let server = Server::start(vec![Reply::Hang]).await;
    let c = builder(&server)
        .timeouts(paused_timeouts(Duration::from_millis(100)))
        .build()
        .unwrap();
    let err = c.queue("q").attributes().await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert_eq!(server.hits(), 3);
    // ...and of SendMessage not.
    let server = Server::start(vec![Reply::Hang]).await;
    let c = builder(&server)
        .timeouts(paused_timeouts(Duration::from_millis(100)))
        .build()
        .unwrap();
    let err = c.queue("q").send("x").await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert_eq!(server.hits(), 1);
}

// ---------------------------------------------------------------- service codes and retries

#[tokio::test]
async fn throttling_is_retried_even_for_send_message() {
    let server = Server::start(vec![
        Reply::Json(failure(4420, "(10250)qps throttling")),
        Reply::Json(envelope(r#""msgId":"m-2""#)),
    ])
    .await;
    let id = client(&server).queue("q").send("x").await.unwrap();
    assert_eq!(id, "m-2");
    assert_eq!(server.hits(), 2, "succeeds on attempt 2");
}

#[tokio::test]
async fn internal_error_then_success_for_an_idempotent_action() {
    let server = Server::start(vec![
        Reply::Json(failure(6000, "(10050)server internal error")),
        Reply::Json(queue_attributes()),
    ])
    .await;
    let attrs = client(&server)
        .execute(GetQueueAttributesInput::new().queue_name("q"))
        .await
        .unwrap();
    assert_eq!(attrs.visibility_timeout, 30);
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn internal_error_for_send_message_is_not_retried_unless_opted_in() {
    let script = vec![
        Reply::Json(failure(6000, "(10090)send message failed")),
        Reply::Json(envelope(r#""msgId":"m-3""#)),
    ];
    let server = Server::start(script.clone()).await;
    let err = client(&server).queue("q").send("x").await.unwrap_err();
    assert_eq!(err.code(), Some(6000));
    assert_eq!(err.service().unwrap().module_code, Some(10090));
    assert_eq!(server.hits(), 1);

    let server = Server::start(script).await;
    let c = builder(&server)
        .retry_policy(fast_retries().with_retry_non_idempotent(true))
        .build()
        .unwrap();
    assert_eq!(c.queue("q").send("x").await.unwrap(), "m-3");
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn retries_stop_after_the_attempt_budget() {
    let server = Server::start(vec![Reply::Json(failure(
        6000,
        "(10050)server internal error",
    ))])
    .await;
    let c = builder(&server)
        .retry_policy(fast_retries().with_max_attempts(5))
        .build()
        .unwrap();
    let err = c.queue("q").attributes().await.unwrap_err();
    assert_eq!(err.code(), Some(6000));
    assert_eq!(server.hits(), 5);
}

#[tokio::test]
async fn permanent_errors_are_not_retried() {
    let server = Server::start(vec![Reply::Json(failure(
        4440,
        "(10100)queue is not existed, or deleted",
    ))])
    .await;
    let err = client(&server).queue("q").attributes().await.unwrap_err();
    assert_eq!(err.code(), Some(4440));
    assert_eq!(server.hits(), 1);
    let text = err.to_string();
    for part in [
        "GetQueueAttributes",
        "4440",
        "10100",
        "queue is not existed",
        "r-4440",
    ] {
        assert!(text.contains(part), "{part} not in {text}");
    }
}

// ---------------------------------------------------------------- receive

#[tokio::test]
async fn no_message_is_none_not_an_error() {
    let server = Server::start(vec![Reply::Json(failure(7000, "(10200)no message"))]).await;
    let q = client(&server).queue("q");
    assert_eq!(q.receive(Some(0)).await.unwrap(), None);
    assert_eq!(server.hits(), 1, "7000 is not retried");
    assert!(q.batch_receive(16, Some(1)).await.unwrap().is_empty());
    assert_eq!(server.hits(), 2);
    let reqs = server.requests();
    assert_eq!(reqs[0].get("Action"), Some("ReceiveMessage"));
    assert_eq!(reqs[0].get("pollingWaitSeconds"), Some("0"));
    assert_eq!(reqs[1].get("Action"), Some("BatchReceiveMessage"));
    assert_eq!(reqs[1].get("numOfMsg"), Some("16"));
    assert_eq!(reqs[1].get("pollingWaitSeconds"), Some("1"));
}

#[tokio::test]
async fn receive_returns_the_message() {
    let server = Server::start(vec![Reply::Json(envelope(&message("hello")))]).await;
    let m = client(&server)
        .queue("q")
        .receive(None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        m,
        cmq_sdk::Message {
            msg_id: "m-1".into(),
            body: "hello".into(),
            receipt_handle: "h-1".into(),
            enqueue_time: 10,
            first_dequeue_time: 11,
            next_visible_time: 40,
            dequeue_count: 1,
        }
    );
    // No wait given: the parameter is left out (the queue's setting applies).
    assert_eq!(server.requests()[0].get("pollingWaitSeconds"), None);
}

#[tokio::test]
async fn receive_errors_other_than_no_message_stay_errors() {
    let server = Server::start(vec![Reply::Json(failure(
        6070,
        "(10690)too many unacked(inactive) messages or delayed messages",
    ))])
    .await;
    let err = client(&server)
        .queue("q")
        .receive(Some(1))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(6070));
    assert_eq!(server.hits(), 1, "ReceiveMessage is not idempotent");
}

#[tokio::test]
async fn base64_bodies_are_encoded_on_send_and_decoded_on_receive() {
    let server = Server::start(vec![
        Reply::Json(envelope(r#""msgId":"m-1""#)),
        Reply::Json(envelope(r#""msgList":[{"msgId":"a"},{"msgId":"b"}]"#)),
        Reply::Json(envelope(&message("aMOpbGxv"))),
        Reply::Json(envelope(&message("not base64!"))),
    ])
    .await;
    let q = client(&server).queue("q").with_base64(true);
    assert!(q.base64());
    q.send("héllo").await.unwrap();
    assert_eq!(q.batch_send(["a", "b"]).await.unwrap(), ["a", "b"]);
    let m = q.receive(Some(0)).await.unwrap().unwrap();
    assert_eq!(m.body, "héllo");
    let err = q.receive(Some(0)).await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    assert!(err.to_string().contains("Base64"), "{err}");
    let reqs = server.requests();
    assert_eq!(reqs[0].get("msgBody"), Some("aMOpbGxv"));
    assert_eq!(reqs[1].get("msgBody.1"), Some("YQ=="));
    assert_eq!(reqs[1].get("msgBody.2"), Some("Yg=="));
    assert_eq!(server.hits(), 4);
}

#[tokio::test]
async fn topic_base64_publish() {
    let server = Server::start(vec![Reply::Json(envelope(r#""msgId":"p-1""#))]).await;
    let t = client(&server).topic("t").with_base64(true);
    assert_eq!(t.publish_with_tags("hi", ["x"]).await.unwrap(), "p-1");
    let r = &server.requests()[0];
    assert_eq!(r.get("msgBody"), Some("aGk="));
    assert_eq!(r.get("msgTag.1"), Some("x"));
}

// ---------------------------------------------------------------- long polls

/// With paused time: a receive with `pollingWaitSeconds = W` gets a deadline larger than `W`
/// (`Timeouts::for_receive`), while an ordinary call gets the request timeout.
#[tokio::test(start_paused = true)]
async fn long_poll_deadline_outlasts_the_polling_window() {
    let server = Server::start(vec![Reply::Hang]).await;
    let timeouts = Timeouts::new()
        .with_connect(Duration::from_secs(3600))
        .with_request(Duration::from_secs(1))
        .with_long_poll_margin(Duration::from_secs(5));
    let c = builder(&server)
        .timeouts(timeouts)
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let q = c.queue("q");
    for (wait, want) in [
        (Some(20), Duration::from_secs(25)),
        (Some(30), Duration::from_secs(35)),
        (None, Duration::from_secs(35)),
    ] {
        let started = tokio::time::Instant::now();
        let err = q.receive(wait).await.unwrap_err();
        match err {
            Error::Timeout { after, .. } => {
                assert_eq!(after, want, "wait {wait:?}");
                assert_eq!(after, timeouts.for_receive(wait));
                if let Some(w) = wait {
                    assert!(after > Duration::from_secs(u64::from(w)));
                }
            }
            other => panic!("{other:?}"),
        }
        assert!(started.elapsed() >= want, "{:?}", started.elapsed());
    }
    let err = q.batch_receive(16, Some(10)).await.unwrap_err();
    assert!(
        matches!(err, Error::Timeout { after, .. } if after == Duration::from_secs(15)),
        "{err:?}"
    );
    let err = q.attributes().await.unwrap_err();
    assert!(
        matches!(err, Error::Timeout { after, .. } if after == Duration::from_secs(1)),
        "{err:?}"
    );
}

/// With paused time (the server's delay runs on the same clock): an answer after 400 ms reaches
/// a long poll although the request timeout is 100 ms, while an ordinary call with the same
/// timeout gives up.
#[tokio::test(start_paused = true)]
async fn a_long_poll_is_not_cut_short_by_the_request_timeout() {
    let server = Server::start(vec![
        Reply::Delayed(Duration::from_millis(400), envelope(&message("late"))),
        Reply::Delayed(Duration::from_millis(400), queue_attributes()),
    ])
    .await;
    let c = builder(&server)
        .timeouts(
            paused_timeouts(Duration::from_millis(100))
                .with_long_poll_margin(Duration::from_secs(2)),
        )
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let q = c.queue("q");
    // pollingWaitSeconds 0: the deadline is max(100 ms, 0 s + 2 s margin) = 2 s.
    let m = q.receive(Some(0)).await.unwrap().unwrap();
    assert_eq!(m.body, "late");
    let err = q.attributes().await.unwrap_err();
    assert!(
        matches!(err, Error::Timeout { after, .. } if after == Duration::from_millis(100)),
        "{err:?}"
    );
    assert_eq!(server.hits(), 2);
}

// ---------------------------------------------------------------- batch delete reports

#[tokio::test]
async fn batch_delete_partial_failure_is_a_report() {
    let server = Server::start(vec![Reply::Json(
        r#"{"code":6010,"message":"delete message partially failed","requestId":"r-6010","errorList":[{"code":4430,"message":"invalid receiptHandle","receiptHandle":"h-2"}]}"#.into(),
    )])
    .await;
    let report = client(&server)
        .queue("q")
        .batch_delete(["h-1", "h-2", "h-3"])
        .await
        .unwrap();
    assert_eq!(report.code, 6010);
    assert_eq!(report.request_id.as_deref(), Some("r-6010"));
    assert_eq!(report.deleted, ["h-1", "h-3"]);
    assert_eq!(
        report.failed,
        vec![cmq_sdk::BatchDeleteFailure {
            receipt_handle: "h-2".into(),
            code: 4430,
            message: "invalid receiptHandle".into(),
        }]
    );
    assert!(!report.is_complete());
    assert_eq!(report.failed_handles().collect::<Vec<_>>(), ["h-2"]);
    assert_eq!(server.hits(), 1);
    let r = &server.requests()[0];
    assert_eq!(r.get("receiptHandle.1"), Some("h-1"));
    assert_eq!(r.get("receiptHandle.3"), Some("h-3"));
}

#[tokio::test]
async fn batch_delete_total_failure_is_a_report() {
    let server = Server::start(vec![
        Reply::Json(
            r#"{"code":6020,"message":"(10290)batch delete message failed","requestId":"r","errorList":[{"code":4430,"message":"invalid receiptHandle","receiptHandle":"a"},{"code":4430,"message":"invalid receiptHandle","receiptHandle":"b"}]}"#.into(),
        ),
        Reply::Json(failure(6020, "(10290)batch delete message failed")),
    ])
    .await;
    let q = client(&server).queue("q");
    let report = q.batch_delete(["a", "b"]).await.unwrap();
    assert_eq!(report.code, 6020);
    assert!(report.deleted.is_empty());
    assert_eq!(report.failed_handles().collect::<Vec<_>>(), ["a", "b"]);
    // Without a list, every handle failed with the answer's code and message.
    let report = q.batch_delete(["c", "d"]).await.unwrap();
    assert!(report.deleted.is_empty());
    assert_eq!(report.failed.len(), 2);
    assert!(
        report
            .failed
            .iter()
            .all(|f| f.code == 6020 && f.message.contains("batch delete"))
    );
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn batch_delete_success_and_other_errors() {
    let server = Server::start(vec![
        Reply::Json(envelope("")),
        Reply::Json(failure(4440, "(10100)queue is not existed, or deleted")),
    ])
    .await;
    let q = client(&server).queue("q");
    let report = q
        .batch_delete(vec!["x".to_owned(), "y".to_owned()])
        .await
        .unwrap();
    assert!(report.is_complete());
    assert_eq!(report.code, 0);
    assert_eq!(report.deleted, ["x", "y"]);
    let err = q.batch_delete(["z"]).await.unwrap_err();
    assert_eq!(err.code(), Some(4440));
    assert_eq!(server.hits(), 2);
}

// ---------------------------------------------------------------- handles on the wire

#[tokio::test]
async fn handle_requests_carry_their_parameters_and_verify() {
    let server = Server::start(vec![
        Reply::Json(envelope(r#""queueId":"queue-1""#)),
        Reply::Json(envelope(r#""msgId":"m-1""#)),
        Reply::Json(envelope(r#""msgList":[{"msgId":"m-2"},{"msgId":"m-3"}]"#)),
        Reply::Json(envelope("")),
        Reply::Json(envelope("")),
        Reply::Json(envelope("")),
        Reply::Json(envelope("")),
    ])
    .await;
    let q = client(&server).queue("orders");
    assert_eq!(q.name(), "orders");
    assert_eq!(q.create().await.unwrap(), "queue-1");
    assert_eq!(q.send_delayed("later", 30).await.unwrap(), "m-1");
    assert_eq!(
        q.batch_send_delayed(["a", "b"], 5).await.unwrap(),
        ["m-2", "m-3"]
    );
    q.delete_message("h-9").await.unwrap();
    q.rewind(1_700_000_000).await.unwrap();
    q.set_dead_letter_policy(cmq_sdk::generated::types::DeadLetterPolicy {
        dead_letter_queue: Some("dlq".into()),
        policy: Some(0),
        max_receive_count: Some(3),
        max_time_to_live: None,
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    q.unbind_dead_letter_queue().await.unwrap();
    let reqs = server.requests();
    assert_eq!(reqs.len(), 7);
    let actions: Vec<&str> = reqs.iter().map(|r| r.get("Action").unwrap()).collect();
    assert_eq!(
        actions,
        [
            "CreateQueue",
            "SendMessage",
            "BatchSendMessage",
            "DeleteMessage",
            "RewindQueue",
            "SetQueueAttributes",
            "UnbindDeadLetterQueue",
        ]
    );
    assert!(reqs.iter().all(|r| r.get("queueName") == Some("orders")));
    assert_eq!(reqs[1].get("delaySeconds"), Some("30"));
    assert_eq!(reqs[1].get("msgBody"), Some("later"));
    assert_eq!(reqs[2].get("delaySeconds"), Some("5"));
    assert_eq!(reqs[3].get("receiptHandle"), Some("h-9"));
    assert_eq!(reqs[4].get("startConsumeTime"), Some("1700000000"));
    assert_eq!(
        reqs[5].get("deadLetterPolicy"),
        Some(r#"{"deadLetterQueue":"dlq","policy":0,"maxReceiveCount":3}"#)
    );
    assert_eq!(
        reqs[5].params.len(),
        9,
        "only queueName and deadLetterPolicy + 7 common"
    );
    for r in &reqs {
        assert_eq!(r.method, "POST");
        assert_eq!(r.path, "/v2/index.php");
        assert_eq!(r.get("SecretId"), Some(SECRET_ID));
        assert!(r.signature_verifies(), "{r:?}");
    }
}

#[tokio::test]
async fn handle_validation_happens_before_sending() {
    let server = Server::start(vec![Reply::Json(envelope(r#""msgId":"m""#))]).await;
    let q = client(&server).queue("q");
    let err = q.send_delayed("", 6_048_001).await.unwrap_err();
    assert_eq!(err.violations().map(|v| v.len()), Some(2), "{err}");
    let err = q.batch_receive(17, Some(31)).await.unwrap_err();
    assert_eq!(err.violations().map(|v| v.len()), Some(2), "{err}");
    assert_eq!(server.hits(), 0);
}

#[tokio::test]
async fn topic_and_subscription_handles() {
    let server = Server::start(vec![
        Reply::Json(envelope(r#""topicId":"topic-1""#)),
        Reply::Json(envelope(r#""subscriptionId":"sub-1""#)),
        Reply::Json(envelope(r#""subscriptionId":"sub-2""#)),
        Reply::Json(envelope(r#""msgId":"p-1""#)),
        Reply::Json(envelope(r#""msgList":[{"msgId":"p-2"},{"msgId":"p-3"}]"#)),
        Reply::Json(envelope("")),
        Reply::Json(envelope("")),
        Reply::Json(envelope("")),
        Reply::Json(envelope("")),
    ])
    .await;
    let c = client(&server);
    let t = c.topic("events");
    assert_eq!(
        t.create_with(cmq_sdk::generated::ops::CreateTopicInput::new().filter_type(2))
            .await
            .unwrap(),
        "topic-1"
    );
    let sub = t.subscribe_queue("to-audit", "audit").await.unwrap();
    assert_eq!(
        (sub.topic_name(), sub.name(), sub.id()),
        ("events", "to-audit", Some("sub-1"))
    );
    let hook = t
        .subscribe(
            "hook",
            SubscriptionSpec::http("http://example.com/hook").binding_keys(["order.*"]),
        )
        .await
        .unwrap();
    assert_eq!(hook.id(), Some("sub-2"));
    assert_eq!(
        t.publish_with_routing_key("b", "order.created")
            .await
            .unwrap(),
        "p-1"
    );
    assert_eq!(
        t.batch_publish_with_routing_key(["x", "y"], "order.paid")
            .await
            .unwrap(),
        ["p-2", "p-3"]
    );
    t.set_max_msg_size(2048).await.unwrap();
    sub.clear_filter_tags().await.unwrap();
    sub.unsubscribe().await.unwrap();
    t.delete().await.unwrap();

    let reqs = server.requests();
    let actions: Vec<&str> = reqs.iter().map(|r| r.get("Action").unwrap()).collect();
    assert_eq!(
        actions,
        [
            "CreateTopic",
            "Subscribe",
            "Subscribe",
            "PublishMessage",
            "BatchPublishMessage",
            "SetTopicAttributes",
            "ClearSubscriptionFilterTags",
            "Unsubscribe",
            "DeleteTopic",
        ]
    );
    assert!(reqs.iter().all(|r| r.get("topicName") == Some("events")));
    assert_eq!(reqs[0].get("filterType"), Some("2"));
    assert_eq!(reqs[1].get("subscriptionName"), Some("to-audit"));
    assert_eq!(reqs[1].get("protocol"), Some("queue"));
    assert_eq!(reqs[1].get("endpoint"), Some("audit"));
    assert_eq!(reqs[1].get("notifyContentFormat"), Some("SIMPLIFIED"));
    assert_eq!(reqs[2].get("protocol"), Some("http"));
    assert_eq!(reqs[2].get("endpoint"), Some("http://example.com/hook"));
    assert_eq!(reqs[2].get("bindingKey.1"), Some("order.*"));
    assert_eq!(reqs[3].get("routingKey"), Some("order.created"));
    assert_eq!(reqs[3].get("msgTag.1"), None);
    assert_eq!(reqs[4].get("msgBody.2"), Some("y"));
    assert_eq!(reqs[5].get("maxMsgSize"), Some("2048"));
    assert_eq!(reqs[6].get("subscriptionName"), Some("to-audit"));
    assert!(reqs.iter().all(Recorded::signature_verifies));
}

#[tokio::test]
async fn list_streams_page_until_the_total() {
    let server = Server::start(vec![
        Reply::Json(envelope(
            r#""totalCount":3,"queueList":[{"queueId":"1","queueName":"a"},{"queueId":"2","queueName":"b"}]"#,
        )),
        Reply::Json(envelope(r#""totalCount":3,"queueList":[{"queueId":"3","queueName":"c"}]"#)),
    ])
    .await;
    let c = client(&server);
    // The stream owns what it needs: it outlives the search word, the client and the task.
    let stream = {
        let word = String::from("ab");
        c.clone().list_queues(Some(&word))
    };
    drop(c);
    let names = tokio::spawn(stream.map_ok(|q| q.queue_name).try_collect::<Vec<_>>())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(names, ["a", "b", "c"]);
    assert_eq!(server.hits(), 2);
    let reqs = server.requests();
    assert_eq!(reqs[0].get("searchWord"), Some("ab"));
    assert_eq!(reqs[0].get("offset"), Some("0"));
    assert_eq!(reqs[0].get("limit"), Some("50"));
    assert_eq!(reqs[1].get("offset"), Some("2"));
}

#[tokio::test]
async fn topic_subscription_and_dead_letter_streams() {
    let server = Server::start(vec![
        Reply::Json(envelope(
            r#""totalCount":1,"subscriptionList":[{"subscriptionId":"s","subscriptionName":"n","protocol":"queue","endpoint":"q"}]"#,
        )),
        Reply::Json(envelope(r#""totalCount":1,"queueList":[{"queueId":"1","queueName":"src"}]"#)),
        Reply::Json(envelope(r#""totalCount":0,"topicList":[]"#)),
        Reply::Json(failure(4440, "(10600)topic is not existed")),
    ])
    .await;
    let c = client(&server);
    let subs: Vec<_> = c.topic("t").subscriptions().try_collect().await.unwrap();
    assert_eq!(subs[0].endpoint, "q");
    let sources: Vec<_> = c
        .queue("dlq")
        .dead_letter_sources()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(sources[0].queue_name, "src");
    let topics: Vec<_> = c.list_topics(None).try_collect().await.unwrap();
    assert!(topics.is_empty());
    // A failing page ends the stream with the error.
    let mut s = Box::pin(c.topic("gone").subscriptions());
    let first = s.next().await.unwrap().unwrap_err();
    assert_eq!(first.code(), Some(4440));
    assert!(s.next().await.is_none());
    let reqs = server.requests();
    assert_eq!(reqs[0].get("Action"), Some("ListSubscriptionByTopic"));
    assert_eq!(reqs[1].get("deadLetterQueueName"), Some("dlq"));
    assert_eq!(reqs[2].get("searchWord"), None);
    assert_eq!(server.hits(), 4);
}

// ---------------------------------------------------------------- Display of every kind

#[tokio::test]
async fn display_of_every_error_kind_shows_code_or_status_and_message() {
    // Validation
    let server = Server::start(vec![Reply::Json(failure(
        4000,
        "(10110)request parameters error",
    ))])
    .await;
    let c = client(&server);
    let e = c
        .execute(SendMessageInput::new().msg_body("m"))
        .await
        .unwrap_err();
    let s = e.to_string();
    assert!(
        s.starts_with("validation: ") && s.contains("queueName"),
        "{s}"
    );
    // Service
    let e = c.queue("q").attributes().await.unwrap_err();
    let s = e.to_string();
    assert!(
        s.contains("code 4000") && s.contains("10110") && s.contains("request parameters error"),
        "{s}"
    );
    // Config
    let e = Client::builder().build().unwrap_err();
    assert_eq!(e.to_string(), "configuration: no endpoint set");
    let e = Client::builder()
        .endpoint("ftp://x")
        .credentials(Credentials::new("AKIDx", "k"))
        .build()
        .unwrap_err();
    assert!(e.to_string().starts_with("configuration: "), "{e}");
    // HttpStatus, Decode, Timeout and Transport are shown in their own tests above; one more
    // time together here for the record.
    let e = Error::HttpStatus {
        status: 503,
        body: "busy".into(),
    };
    assert_eq!(e.to_string(), "unexpected HTTP status 503: busy");
    let e = Error::Timeout {
        after: Duration::from_millis(250),
        deadline: false,
        attempts: 1,
    };
    assert_eq!(e.to_string(), "timeout: no answer after 250ms");
    let e = Error::Decode {
        message: "missing field `msgId`".into(),
        body: "{}".into(),
    };
    assert_eq!(e.to_string(), "decoding: missing field `msgId` in {}");
    let e = Error::Transport {
        message: "connection reset".into(),
        source: None,
    };
    assert_eq!(e.to_string(), "transport: connection reset");
}

// ---------------------------------------------------------------- blocking

#[cfg(feature = "blocking")]
#[test]
fn blocking_client_and_handles() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = rt.block_on(Server::start(vec![
        Reply::Json(envelope(r#""msgId":"m-1""#)),
        Reply::Json(failure(7000, "(10200)no message")),
        Reply::Json(envelope(&message("hi"))),
        Reply::Json(envelope(
            r#""totalCount":1,"queueList":[{"queueId":"1","queueName":"a"}]"#,
        )),
        Reply::Json(envelope(r#""subscriptionId":"s-1""#)),
        Reply::Json(envelope(r#""msgId":"m-5""#)),
        Reply::Json(failure(6010, "partially failed")),
    ]));
    let client = cmq_sdk::blocking::Client::from_builder(builder(&server)).unwrap();
    let q = client.queue("q");
    assert_eq!(q.send("hi").unwrap(), "m-1");
    assert_eq!(q.receive(Some(0)).unwrap(), None);
    assert_eq!(q.receive(Some(0)).unwrap().unwrap().body, "hi");
    let names: Vec<String> = client
        .list_queues(None)
        .map(|r| r.map(|q| q.queue_name))
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(names, ["a"]);
    let sub = client.topic("t").subscribe_queue("s", "q").unwrap();
    assert_eq!(sub.id(), Some("s-1"));
    let out = client
        .execute(SendMessageInput::new().queue_name("q").msg_body("x"))
        .unwrap();
    assert_eq!(out.msg_id, "m-5");
    let report = q.batch_delete(["h"]).unwrap();
    assert_eq!(report.code, 6010);
    assert_eq!(server.hits(), 7);
    // Clones share the runtime and work from other threads.
    let c2 = client.clone();
    std::thread::spawn(move || {
        let err = c2.queue("q").send("x").unwrap_err();
        assert_eq!(err.code(), Some(6010));
    })
    .join()
    .unwrap();
    assert_eq!(server.hits(), 8);
}
