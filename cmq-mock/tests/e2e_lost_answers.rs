//! What the SDK does when an answer is lost: for every API 2.0 action (the list is
//! `Action::ALL`, generated from the spec), the mock carries the first request out and closes the
//! connection without its answer (`drop_answer`), and the SDK, with its default retry policy
//! (backoff zero), must do what the spec's facts say (`Action::idempotent`,
//! `Action::settled_by_retry`):
//!
//! * not idempotent: one attempt, the transport error returned, the work done once;
//! * idempotent: resent; when the retry answers one of the action's "already done" errors the
//!   call succeeds with a `settled_by_retry` note holding that answer, otherwise it succeeds
//!   plainly.
//!
//! The inputs come from an exhaustive `match` over `Action`, so a new action in the spec does not
//! compile until it has a row here. The journal proves how many attempts reached the mock and
//! that the lost one was carried out (code 0).

mod common;

use std::time::Duration;

use cmq_mock::{CmqMock, JournalRecord};
use cmq_sdk::generated::ops::*;
use cmq_sdk::generated::types::{DeadLetterPolicy, NotifyStrategy};
use cmq_sdk::retry::{RetryClass, RetryPolicy, SettledByRetry};
use cmq_sdk::{Action, Client, Error, ErrorId};
use common::mock_with;

/// The outcome of one call: `Ok(note)` (`None` for outputs without a note field, or no note).
type Outcome = Result<Option<SettledByRetry>, Error>;

/// Runs an input whose output has no `settled_by_retry` field.
macro_rules! plain {
    ($c:expr, $input:expr) => {
        $c.execute($input).await.map(|_| None)
    };
}

/// Runs an input whose output has a `settled_by_retry` field.
macro_rules! noted {
    ($c:expr, $input:expr) => {
        $c.execute($input).await.map(|o| o.settled_by_retry)
    };
}

/// The default retry policy (3 attempts, idempotent actions only) without waiting between them.
fn retrying(mock: &CmqMock, policy: RetryPolicy) -> Client {
    Client::builder()
        .endpoint(mock.endpoint())
        .credentials(mock.credentials())
        .profile(mock.profile())
        .retry_policy(policy)
        .build()
        .expect("client")
}

fn default_policy() -> RetryPolicy {
    RetryPolicy::default().with_base_delay(Duration::ZERO)
}

/// Receipt handles and times the inputs need.
struct Fixture {
    /// A handle of a received message of `q` (for DeleteMessage).
    handle: String,
    /// Two more (for BatchDeleteMessage).
    batch: Vec<String>,
    /// A start time inside `q`'s rewind window.
    rewind_to: i64,
}

/// Queues `q` (rewindable, 5 messages: 3 received), `spare`, `fan`, `src` bound to `dlq`; topic
/// `t` with subscription `s` (queue `fan`), empty topic `empty`.
async fn fixture(c: &Client, mock: &CmqMock) -> Fixture {
    for q in ["q", "spare", "fan", "dlq", "src"] {
        c.execute(
            CreateQueueInput::new()
                .queue_name(q)
                .visibility_timeout(60)
                .rewind_seconds(3_600),
        )
        .await
        .expect("CreateQueue");
    }
    c.execute(
        SetQueueAttributesInput::new()
            .queue_name("src")
            .dead_letter_policy(DeadLetterPolicy {
                dead_letter_queue: Some("dlq".into()),
                policy: Some(0),
                max_receive_count: Some(3),
                max_time_to_live: None,
            }),
    )
    .await
    .expect("bind the dead-letter queue");
    c.execute(
        BatchSendMessageInput::new()
            .queue_name("q")
            .msg_body(["1", "2", "3", "4", "5"]),
    )
    .await
    .expect("BatchSendMessage");
    let one = c
        .execute(
            ReceiveMessageInput::new()
                .queue_name("q")
                .polling_wait_seconds(0),
        )
        .await
        .expect("ReceiveMessage");
    let two = c
        .execute(
            BatchReceiveMessageInput::new()
                .queue_name("q")
                .num_of_msg(2)
                .polling_wait_seconds(0),
        )
        .await
        .expect("BatchReceiveMessage");
    for t in ["t", "empty"] {
        c.execute(CreateTopicInput::new().topic_name(t))
            .await
            .expect("CreateTopic");
    }
    c.execute(
        SubscribeInput::new()
            .topic_name("t")
            .subscription_name("s")
            .protocol("queue")
            .endpoint("fan"),
    )
    .await
    .expect("Subscribe");
    Fixture {
        handle: one.receipt_handle,
        batch: two
            .msg_info_list
            .into_iter()
            .map(|m| m.receipt_handle)
            .collect(),
        rewind_to: i64::try_from(mock.clock().now_secs()).unwrap_or(0) - 60,
    }
}

/// One call of `action` with a valid input against the fixture.
async fn call(c: &Client, action: Action, f: &Fixture) -> Outcome {
    match action {
        Action::CreateQueue => plain!(c, CreateQueueInput::new().queue_name("newq")),
        Action::DeleteQueue => noted!(c, DeleteQueueInput::new().queue_name("spare")),
        Action::ListQueue => plain!(c, ListQueueInput::new()),
        Action::GetQueueAttributes => plain!(c, GetQueueAttributesInput::new().queue_name("q")),
        Action::SetQueueAttributes => plain!(
            c,
            SetQueueAttributesInput::new()
                .queue_name("q")
                .visibility_timeout(30)
        ),
        Action::RewindQueue => plain!(
            c,
            RewindQueueInput::new()
                .queue_name("q")
                .start_consume_time(f.rewind_to)
        ),
        Action::ListDeadLetterSourceQueues => plain!(
            c,
            ListDeadLetterSourceQueuesInput::new().dead_letter_queue_name("dlq")
        ),
        Action::UnbindDeadLetterQueue => {
            noted!(c, UnbindDeadLetterQueueInput::new().queue_name("src"))
        }
        Action::SendMessage => plain!(c, SendMessageInput::new().queue_name("spare").msg_body("x")),
        Action::BatchSendMessage => plain!(
            c,
            BatchSendMessageInput::new()
                .queue_name("spare")
                .msg_body(["x", "y"])
        ),
        Action::ReceiveMessage => plain!(
            c,
            ReceiveMessageInput::new()
                .queue_name("q")
                .polling_wait_seconds(0)
        ),
        Action::BatchReceiveMessage => plain!(
            c,
            BatchReceiveMessageInput::new()
                .queue_name("q")
                .num_of_msg(16)
                .polling_wait_seconds(0)
        ),
        Action::DeleteMessage => noted!(
            c,
            DeleteMessageInput::new()
                .queue_name("q")
                .receipt_handle(f.handle.clone())
        ),
        Action::BatchDeleteMessage => noted!(
            c,
            BatchDeleteMessageInput::new()
                .queue_name("q")
                .receipt_handle(f.batch.clone())
        ),
        Action::CreateTopic => plain!(c, CreateTopicInput::new().topic_name("newt")),
        Action::DeleteTopic => noted!(c, DeleteTopicInput::new().topic_name("empty")),
        Action::ListTopic => plain!(c, ListTopicInput::new()),
        Action::GetTopicAttributes => plain!(c, GetTopicAttributesInput::new().topic_name("t")),
        Action::SetTopicAttributes => plain!(
            c,
            SetTopicAttributesInput::new()
                .topic_name("t")
                .max_msg_size(1_048_576)
        ),
        Action::PublishMessage => {
            plain!(c, PublishMessageInput::new().topic_name("t").msg_body("p"))
        }
        Action::BatchPublishMessage => plain!(
            c,
            BatchPublishMessageInput::new()
                .topic_name("t")
                .msg_body(["p", "q"])
        ),
        Action::Subscribe => plain!(
            c,
            SubscribeInput::new()
                .topic_name("t")
                .subscription_name("s2")
                .protocol("queue")
                .endpoint("fan")
        ),
        Action::Unsubscribe => noted!(
            c,
            UnsubscribeInput::new()
                .topic_name("t")
                .subscription_name("s")
        ),
        Action::ListSubscriptionByTopic => {
            plain!(c, ListSubscriptionByTopicInput::new().topic_name("t"))
        }
        Action::GetSubscriptionAttributes => plain!(
            c,
            GetSubscriptionAttributesInput::new()
                .topic_name("t")
                .subscription_name("s")
        ),
        Action::SetSubscriptionAttributes => plain!(
            c,
            SetSubscriptionAttributesInput::new()
                .topic_name("t")
                .subscription_name("s")
                .notify_strategy(NotifyStrategy::BackoffRetry)
        ),
        Action::ClearSubscriptionFilterTags => plain!(
            c,
            ClearSubscriptionFilterTagsInput::new()
                .topic_name("t")
                .subscription_name("s")
        ),
        Action::QueryQueueRoute => plain!(c, QueryQueueRouteInput::new().queue_name("q")),
        Action::QueryTopicRoute => plain!(c, QueryTopicRouteInput::new().topic_name("t")),
    }
}

async fn started() -> CmqMock {
    let routes = vec!["10.0.0.1:6380".to_owned()];
    mock_with(|b| b.route_addrs(routes)).await.0
}

fn codes(records: &[JournalRecord]) -> Vec<Option<i64>> {
    records.iter().map(|r| r.code).collect()
}

/// Checks one action's outcome against the spec's facts; returns a description of what went
/// wrong, if anything.
async fn lost_answer(action: Action) -> Result<(), String> {
    let mock = started().await;
    let c = retrying(&mock, default_policy());
    let f = fixture(&c, &mock).await;
    mock.journal().clear();
    mock.faults().drop_answer_next(Some(action), 1);
    let outcome = call(&c, action, &f).await;
    let seen = mock.journal().records_of(action.as_str());
    let fail = |what: String| Err(format!("{action}: {what}; journal {:?}", codes(&seen)));
    if seen.first().map(|r| r.code) != Some(Some(0)) {
        return fail("the lost attempt was not carried out with code 0".into());
    }
    if !action.idempotent() {
        return match outcome {
            Err(Error::Transport { .. }) if seen.len() == 1 => Ok(()),
            other => fail(format!(
                "not idempotent: expected one attempt and the transport error, got {other:?}"
            )),
        };
    }
    if seen.len() != 2 {
        return fail(format!(
            "idempotent: expected 2 attempts, outcome {outcome:?}"
        ));
    }
    let settles = action.settled_by_retry();
    match outcome {
        Ok(None) if settles.is_empty() && seen[1].code == Some(0) => Ok(()),
        Ok(Some(note)) if !settles.is_empty() => {
            let matched = settles.iter().any(|s| s.matches(&note.answer));
            let ok = matched
                && note.lost == RetryClass::Transport
                && note.attempts == 2
                && Some(note.answer.code) == seen[1].code
                && note.answer.action == action;
            if ok {
                Ok(())
            } else {
                fail(format!("a note that does not fit the spec: {note:?}"))
            }
        }
        other => fail(format!(
            "idempotent (settled by {settles:?}): unexpected {other:?}"
        )),
    }
}

#[tokio::test]
async fn every_action_after_a_lost_answer_does_what_the_spec_says() {
    let mut failures = Vec::new();
    for action in Action::ALL {
        if let Err(e) = lost_answer(*action).await {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    // The table is not empty on either side: some actions settle, some are not resent.
    assert!(Action::ALL.iter().any(|a| !a.settled_by_retry().is_empty()));
    assert!(Action::ALL.iter().any(|a| !a.idempotent()));
}

/// The deletions' notes carry the exact answer of the retry.
#[tokio::test]
async fn the_note_holds_the_retrys_answer() {
    let mock = started().await;
    let c = retrying(&mock, default_policy());
    let f = fixture(&c, &mock).await;
    mock.faults()
        .drop_answer_next(Some(Action::DeleteMessage), 1);
    let note = call(&c, Action::DeleteMessage, &f)
        .await
        .expect("settled")
        .expect("a note");
    let e = ErrorId::InvalidReceiptHandle;
    assert_eq!(
        (note.answer.code, note.answer.module_code),
        (e.code(), Some(e.module()))
    );
    assert_eq!(
        note.answer.message,
        format!("({}){}", e.module(), e.message())
    );
    assert!(note.answer.request_id.is_some());
    // The message is gone: nothing left in flight but the batch's two.
    let snap = mock.queue_snapshot("q").expect("q");
    assert_eq!(snap.inactive.len(), 2, "{snap:?}");

    mock.faults()
        .drop_answer_next(Some(Action::BatchDeleteMessage), 1);
    let note = call(&c, Action::BatchDeleteMessage, &f)
        .await
        .expect("settled")
        .expect("a note");
    assert_eq!(note.answer.code, ErrorId::BatchDeleteMessageFailed.code());
    let items: Vec<(&str, i64)> = note
        .answer
        .error_list
        .iter()
        .map(|i| (i.receipt_handle.as_str(), i.code))
        .collect();
    let want: Vec<(&str, i64)> = f
        .batch
        .iter()
        .map(|h| (h.as_str(), ErrorId::InvalidReceiptHandleItem.code()))
        .collect();
    assert_eq!(items, want);
}

/// The handle API reports a settled batch delete as all deleted, with the note.
#[tokio::test]
async fn batch_delete_report_carries_the_note() {
    let mock = started().await;
    let c = retrying(&mock, default_policy());
    let f = fixture(&c, &mock).await;
    mock.faults()
        .drop_answer_next(Some(Action::BatchDeleteMessage), 1);
    let report = c
        .queue("q")
        .batch_delete(f.batch.clone())
        .await
        .expect("a report");
    assert_eq!(report.deleted, f.batch);
    assert!(report.failed.is_empty());
    assert!(report.settled_by_retry.is_some());
}

/// The "already done" answer is an error when no answer was lost: on a first attempt, and after
/// a failure that proves the server did not act (throttling).
#[tokio::test]
async fn the_same_answer_without_a_lost_answer_stays_an_error() {
    let mock = started().await;
    let c = retrying(&mock, default_policy());
    let first = c
        .execute(DeleteQueueInput::new().queue_name("never"))
        .await
        .expect_err("no such queue");
    assert_eq!(first.code(), Some(ErrorId::QueueNotExist.code()));
    mock.faults()
        .fail_next(Some(Action::DeleteQueue), 1, ErrorId::QpsThrottling);
    let throttled = c
        .execute(DeleteQueueInput::new().queue_name("never"))
        .await
        .expect_err("no such queue");
    assert_eq!(throttled.code(), Some(ErrorId::QueueNotExist.code()));
    assert_eq!(mock.journal().records_of("DeleteQueue").len(), 3);
}

/// Opting in to resending non-idempotent calls gives the retry's own answer: a queue the lost
/// attempt created answers 4460, and a resent message is stored twice (why it is off by default).
#[tokio::test]
async fn opting_in_resends_and_returns_the_retrys_answer() {
    let mock = started().await;
    let c = retrying(&mock, default_policy().with_retry_non_idempotent(true));
    mock.faults().drop_answer_next(Some(Action::CreateQueue), 1);
    let e = c
        .execute(CreateQueueInput::new().queue_name("dup"))
        .await
        .expect_err("4460 from the retry");
    assert_eq!(e.code(), Some(ErrorId::QueueAlreadyExists.code()));
    mock.faults().drop_answer_next(Some(Action::SendMessage), 1);
    c.execute(SendMessageInput::new().queue_name("dup").msg_body("m"))
        .await
        .expect("the resend is answered");
    let snap = mock.queue_snapshot("dup").expect("dup");
    assert_eq!(snap.active.len(), 2, "stored twice: {snap:?}");
}
