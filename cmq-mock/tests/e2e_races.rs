//! Races that matter to users, and account isolation on every action, over HTTP with the SDK on
//! a manual clock. Each race asserts what must hold whatever the interleaving; each isolation
//! row the exact CMQ code (code and module) another account gets.

mod common;
use common::*;

use std::time::{Duration, Instant};

use cmq_mock::CmqMock;
use cmq_sdk::generated::ops::*;
use cmq_sdk::generated::types::DeadLetterPolicy;
use cmq_sdk::{Action, Client, Error, ErrorId};

const A: (&str, &str) = ("AKIDalpha", "key-a");
const B: (&str, &str) = ("AKIDbeta", "key-b");

async fn two_accounts() -> (CmqMock, u64, Client, Client) {
    let (mock, t0) = mock_with(|b| {
        b.account(A.0, A.1)
            .account(B.0, B.1)
            .route_addrs(vec!["10.0.0.1:6380".into()])
    })
    .await;
    let a = client_as(&mock, A.0, A.1);
    let b = client_as(&mock, B.0, B.1);
    (mock, t0, a, b)
}

/// The exact service error of `r` (code and module), or why not.
fn code_of<T: std::fmt::Debug>(r: &Result<T, Error>) -> Option<(i64, Option<i64>)> {
    match r {
        Err(Error::Service(s)) => Some((s.code, s.module_code)),
        _ => None,
    }
}

fn is(e: ErrorId) -> Option<(i64, Option<i64>)> {
    Some((e.code(), Some(e.module())))
}

// ------------------------------------------------------------------------------- isolation

/// Account A's world: queues `q` (rewindable, one received message), `dlq`, `src` bound to
/// `dlq`; topic `t` with subscription `s` on `q`. Returns A's receipt handle.
async fn world_of_a(a: &Client, mock: &CmqMock) -> String {
    for q in ["q", "dlq", "src"] {
        a.execute(CreateQueueInput::new().queue_name(q).rewind_seconds(3_600))
            .await
            .expect("create");
    }
    a.execute(
        SetQueueAttributesInput::new()
            .queue_name("src")
            .dead_letter_policy(policy("dlq")),
    )
    .await
    .expect("bind");
    a.execute(SendMessageInput::new().queue_name("q").msg_body("a's"))
        .await
        .expect("send");
    let got = a
        .execute(
            ReceiveMessageInput::new()
                .queue_name("q")
                .polling_wait_seconds(0),
        )
        .await
        .expect("receive");
    a.execute(CreateTopicInput::new().topic_name("t"))
        .await
        .expect("topic");
    a.execute(
        SubscribeInput::new()
            .topic_name("t")
            .subscription_name("s")
            .protocol("queue")
            .endpoint("q"),
    )
    .await
    .expect("subscribe");
    let _ = mock;
    got.receipt_handle
}

fn policy(dlq: &str) -> DeadLetterPolicy {
    DeadLetterPolicy {
        dead_letter_queue: Some(dlq.into()),
        policy: Some(0),
        max_receive_count: Some(3),
        max_time_to_live: None,
    }
}

/// What account B gets for `action` aimed at A's resources (B owns only queue `mine`):
/// `Ok(None)` for a success, `Ok(Some(names))` for a listing, `Err(code)` for an error.
async fn as_b(
    b: &Client,
    action: Action,
    handle: &str,
    t0: u64,
) -> Result<Vec<String>, Option<(i64, Option<i64>)>> {
    macro_rules! run {
        ($input:expr) => {{
            let r = b.execute($input).await;
            match r {
                Ok(_) => Ok(Vec::new()),
                Err(_) => Err(code_of(&r)),
            }
        }};
    }
    match action {
        // A name is per account: B creates its own (and removes it, so that the rows after
        // this one still aim at A's names only).
        Action::CreateQueue => {
            let r = run!(CreateQueueInput::new().queue_name("q"));
            b.execute(DeleteQueueInput::new().queue_name("q"))
                .await
                .expect("b deletes its own q");
            r
        }
        Action::CreateTopic => {
            let r = run!(CreateTopicInput::new().topic_name("t"));
            b.execute(DeleteTopicInput::new().topic_name("t"))
                .await
                .expect("b deletes its own t");
            r
        }
        Action::ListQueue => b
            .execute(ListQueueInput::new())
            .await
            .map(|l| l.queue_list.into_iter().map(|q| q.queue_name).collect())
            .map_err(|e| code_of(&Err::<(), _>(e))),
        Action::ListTopic => b
            .execute(ListTopicInput::new())
            .await
            .map(|l| l.topic_list.into_iter().map(|t| t.topic_name).collect())
            .map_err(|e| code_of(&Err::<(), _>(e))),
        Action::DeleteQueue => run!(DeleteQueueInput::new().queue_name("src")),
        Action::GetQueueAttributes => run!(GetQueueAttributesInput::new().queue_name("src")),
        Action::SetQueueAttributes => run!(
            SetQueueAttributesInput::new()
                .queue_name("mine")
                .dead_letter_policy(policy("dlq"))
        ),
        Action::RewindQueue => run!(
            RewindQueueInput::new()
                .queue_name("q")
                .start_consume_time(i64::try_from(t0).unwrap_or(0) - 10)
        ),
        Action::ListDeadLetterSourceQueues => {
            run!(ListDeadLetterSourceQueuesInput::new().dead_letter_queue_name("dlq"))
        }
        Action::UnbindDeadLetterQueue => run!(UnbindDeadLetterQueueInput::new().queue_name("src")),
        Action::SendMessage => run!(SendMessageInput::new().queue_name("q").msg_body("b's")),
        Action::BatchSendMessage => {
            run!(
                BatchSendMessageInput::new()
                    .queue_name("q")
                    .msg_body(["b's"])
            )
        }
        Action::ReceiveMessage => run!(
            ReceiveMessageInput::new()
                .queue_name("q")
                .polling_wait_seconds(0)
        ),
        Action::BatchReceiveMessage => run!(
            BatchReceiveMessageInput::new()
                .queue_name("q")
                .num_of_msg(16)
                .polling_wait_seconds(0)
        ),
        // A's handle on B's own queue.
        Action::DeleteMessage => run!(
            DeleteMessageInput::new()
                .queue_name("mine")
                .receipt_handle(handle)
        ),
        Action::BatchDeleteMessage => run!(
            BatchDeleteMessageInput::new()
                .queue_name("mine")
                .receipt_handle([handle.to_owned()])
        ),
        Action::DeleteTopic => run!(DeleteTopicInput::new().topic_name("t")),
        Action::GetTopicAttributes => run!(GetTopicAttributesInput::new().topic_name("t")),
        Action::SetTopicAttributes => run!(
            SetTopicAttributesInput::new()
                .topic_name("t")
                .max_msg_size(1024)
        ),
        Action::PublishMessage => run!(PublishMessageInput::new().topic_name("t").msg_body("b")),
        Action::BatchPublishMessage => {
            run!(
                BatchPublishMessageInput::new()
                    .topic_name("t")
                    .msg_body(["b"])
            )
        }
        Action::Subscribe => run!(
            SubscribeInput::new()
                .topic_name("t")
                .subscription_name("s2")
                .protocol("queue")
                .endpoint("mine")
        ),
        Action::Unsubscribe => run!(
            UnsubscribeInput::new()
                .topic_name("t")
                .subscription_name("s")
        ),
        Action::ListSubscriptionByTopic => {
            run!(ListSubscriptionByTopicInput::new().topic_name("t"))
        }
        Action::GetSubscriptionAttributes => run!(
            GetSubscriptionAttributesInput::new()
                .topic_name("t")
                .subscription_name("s")
        ),
        Action::SetSubscriptionAttributes => run!(
            SetSubscriptionAttributesInput::new()
                .topic_name("t")
                .subscription_name("s")
                .filter_tag(["x"])
        ),
        Action::ClearSubscriptionFilterTags => run!(
            ClearSubscriptionFilterTagsInput::new()
                .topic_name("t")
                .subscription_name("s")
        ),
        Action::QueryQueueRoute => run!(QueryQueueRouteInput::new().queue_name("q")),
        Action::QueryTopicRoute => run!(QueryTopicRouteInput::new().topic_name("t")),
    }
}

/// What B must get for each action (the exact error, or success / a listing without A's
/// names).
fn expected(action: Action) -> Result<(), ErrorId> {
    use ErrorId as E;
    match action {
        Action::CreateQueue | Action::CreateTopic | Action::ListQueue | Action::ListTopic => Ok(()),
        Action::QueryTopicRoute => Err(E::TopicNotExist),
        Action::QueryQueueRoute
        | Action::DeleteQueue
        | Action::GetQueueAttributes
        | Action::RewindQueue
        | Action::ListDeadLetterSourceQueues
        | Action::UnbindDeadLetterQueue
        | Action::SendMessage
        | Action::BatchSendMessage
        | Action::ReceiveMessage
        | Action::BatchReceiveMessage => Err(E::QueueNotExist),
        Action::SetQueueAttributes => Err(E::DeadLetterQueueNotExist),
        Action::DeleteMessage => Err(E::InvalidReceiptHandle),
        Action::BatchDeleteMessage => Err(E::BatchDeleteMessageFailed),
        Action::DeleteTopic
        | Action::GetTopicAttributes
        | Action::SetTopicAttributes
        | Action::PublishMessage
        | Action::BatchPublishMessage
        | Action::Subscribe
        | Action::Unsubscribe
        | Action::ListSubscriptionByTopic
        | Action::GetSubscriptionAttributes
        | Action::SetSubscriptionAttributes
        | Action::ClearSubscriptionFilterTags => Err(E::TopicNotExist),
    }
}

#[tokio::test]
async fn another_account_reaches_nothing_of_a_on_any_action() {
    let (mock, t0, a, b) = two_accounts().await;
    let handle = world_of_a(&a, &mock).await;
    b.execute(CreateQueueInput::new().queue_name("mine"))
        .await
        .expect("b's queue");
    let mut wrong = Vec::new();
    for action in Action::ALL {
        let got = as_b(&b, *action, &handle, t0).await;
        let ok = match (expected(*action), &got) {
            (Ok(()), Ok(names)) => !names.iter().any(|n| n == "src" || n == "dlq"),
            (Err(e), Err(code)) => *code == is(e),
            _ => false,
        };
        if !ok {
            wrong.push(format!(
                "{action}: expected {:?}, got {got:?}",
                expected(*action)
            ));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    // A's world is untouched: its handle still deletes its message, the policy is still bound,
    // the subscription still fans out to `q`, and nothing of B's arrived in A's queues.
    a.execute(
        DeleteMessageInput::new()
            .queue_name("q")
            .receipt_handle(handle),
    )
    .await
    .expect("a's handle still works");
    let sources = a
        .execute(ListDeadLetterSourceQueuesInput::new().dead_letter_queue_name("dlq"))
        .await
        .expect("sources");
    assert_eq!(sources.total_count, 1);
    a.execute(PublishMessageInput::new().topic_name("t").msg_body("a2"))
        .await
        .expect("publish");
    let got = a
        .execute(
            BatchReceiveMessageInput::new()
                .queue_name("q")
                .num_of_msg(16)
                .polling_wait_seconds(0),
        )
        .await
        .expect("receive");
    let bodies: Vec<&str> = got
        .msg_info_list
        .iter()
        .map(|m| m.msg_body.as_str())
        .collect();
    assert_eq!(bodies, ["a2"]);
    let sub = a
        .execute(
            GetSubscriptionAttributesInput::new()
                .topic_name("t")
                .subscription_name("s"),
        )
        .await
        .expect("subscription");
    assert_eq!(sub.filter_tags.unwrap_or_default(), Vec::<String>::new());
}

// ----------------------------------------------------------------------------------- races

/// The same receipt handle deleted twice at once: exactly one succeeds; the other answers
/// 4430/10260 (the handle no longer names a message in flight), whichever comes first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_handle_deleted_twice_at_once_succeeds_once() {
    let (mock, _, a, _) = two_accounts().await;
    a.execute(CreateQueueInput::new().queue_name("q"))
        .await
        .expect("q");
    for round in 0..20 {
        a.execute(
            SendMessageInput::new()
                .queue_name("q")
                .msg_body(format!("m{round}")),
        )
        .await
        .expect("send");
        let h = a
            .execute(
                ReceiveMessageInput::new()
                    .queue_name("q")
                    .polling_wait_seconds(0),
            )
            .await
            .expect("receive")
            .receipt_handle;
        let del = |h: String| {
            let a = a.clone();
            tokio::spawn(async move {
                a.execute(DeleteMessageInput::new().queue_name("q").receipt_handle(h))
                    .await
            })
        };
        let (x, y) = (del(h.clone()), del(h));
        let results = [x.await.expect("task"), y.await.expect("task")];
        let ok = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(ok, 1, "round {round}: {results:?}");
        let failed = results.iter().find(|r| r.is_err()).expect("one failed");
        assert_eq!(code_of(failed), is(ErrorId::InvalidReceiptHandle));
    }
    let snap = mock.queue_snapshot("q").expect("q");
    assert_eq!(snap.attributes.counters.inactive_msg_num, 0, "{snap:?}");
    assert_eq!(snap.attributes.counters.active_msg_num, 0, "{snap:?}");
}

/// Delete against visibility expiry, at the exact deadline: one millisecond before it the
/// handle deletes; at nextVisibleTime the message is visible again and the handle answers 4430,
/// whether or not another consumer received it first.
#[tokio::test]
async fn delete_at_the_visibility_deadline() {
    let (mock, _, a, _) = two_accounts().await;
    a.execute(
        CreateQueueInput::new()
            .queue_name("q")
            .visibility_timeout(30),
    )
    .await
    .expect("q");
    for (offset_ms, receive_first, deleted) in
        [(-1_i64, false, true), (0, false, false), (0, true, false)]
    {
        // Receive on a whole second, so nextVisibleTime (seconds) is the exact deadline.
        let now = mock.clock().now_ms();
        mock.clock().set_ms((now / 1000 + 1) * 1000);
        a.execute(SendMessageInput::new().queue_name("q").msg_body("m"))
            .await
            .expect("send");
        let got = a
            .execute(
                ReceiveMessageInput::new()
                    .queue_name("q")
                    .polling_wait_seconds(0),
            )
            .await
            .expect("receive");
        let deadline_ms = u64::try_from(got.next_visible_time).unwrap_or(0) * 1000;
        mock.clock()
            .set_ms(deadline_ms.saturating_add_signed(offset_ms));
        if receive_first {
            let again = a
                .execute(
                    ReceiveMessageInput::new()
                        .queue_name("q")
                        .polling_wait_seconds(0),
                )
                .await
                .expect("visible again at the deadline");
            assert_eq!(again.msg_id, got.msg_id);
            assert_eq!(again.dequeue_count, 2);
        }
        let r = a
            .execute(
                DeleteMessageInput::new()
                    .queue_name("q")
                    .receipt_handle(got.receipt_handle),
            )
            .await;
        if deleted {
            r.expect("deleted before the deadline");
        } else {
            assert_eq!(code_of(&r), is(ErrorId::InvalidReceiptHandle), "{r:?}");
            // Clean up: take the message and delete it with its new handle.
            mock.clock().advance(Duration::from_secs(60));
            let m = a
                .execute(
                    ReceiveMessageInput::new()
                        .queue_name("q")
                        .polling_wait_seconds(0),
                )
                .await
                .expect("the message is still there");
            a.execute(
                DeleteMessageInput::new()
                    .queue_name("q")
                    .receipt_handle(m.receipt_handle),
            )
            .await
            .expect("delete");
        }
    }
}

/// Rewind against receive: a rewind makes a received message visible again at once and its
/// handle stops working; the next receive gets it with a new handle that works.
#[tokio::test]
async fn rewind_against_a_received_message() {
    let (_mock, t0, a, _) = two_accounts().await;
    a.execute(
        CreateQueueInput::new()
            .queue_name("q")
            .rewind_seconds(3_600),
    )
    .await
    .expect("q");
    a.execute(SendMessageInput::new().queue_name("q").msg_body("m"))
        .await
        .expect("send");
    let first = a
        .execute(
            ReceiveMessageInput::new()
                .queue_name("q")
                .polling_wait_seconds(0),
        )
        .await
        .expect("receive");
    a.execute(
        RewindQueueInput::new()
            .queue_name("q")
            .start_consume_time(i64::try_from(t0).unwrap_or(0)),
    )
    .await
    .expect("rewind");
    let again = a
        .execute(
            ReceiveMessageInput::new()
                .queue_name("q")
                .polling_wait_seconds(0),
        )
        .await
        .expect("visible again after the rewind");
    assert_eq!(again.msg_id, first.msg_id);
    let stale = a
        .execute(
            DeleteMessageInput::new()
                .queue_name("q")
                .receipt_handle(first.receipt_handle),
        )
        .await;
    assert_eq!(code_of(&stale), is(ErrorId::InvalidReceiptHandle));
    a.execute(
        DeleteMessageInput::new()
            .queue_name("q")
            .receipt_handle(again.receipt_handle),
    )
    .await
    .expect("the new handle works");
}

/// Deleting a queue answers the long polls waiting on it at once, without the clock moving:
/// each with 4440 (the queue no longer exists), as a receive sent after the deletion would.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_queue_answers_its_waiting_long_polls() {
    let (mock, t0, a, _) = two_accounts().await;
    a.execute(CreateQueueInput::new().queue_name("q"))
        .await
        .expect("q");
    let polls: Vec<_> = (0..3)
        .map(|_| {
            let a = a.clone();
            tokio::spawn(async move {
                a.execute(
                    ReceiveMessageInput::new()
                        .queue_name("q")
                        .polling_wait_seconds(30),
                )
                .await
            })
        })
        .collect();
    let guard = Instant::now();
    while mock.engine().waiting_receives() < 3 {
        assert!(guard.elapsed() < WAIT, "the polls never waited");
        tokio::task::yield_now().await;
    }
    a.execute(DeleteQueueInput::new().queue_name("q"))
        .await
        .expect("delete");
    for p in polls {
        let r = tokio::time::timeout(WAIT, p)
            .await
            .expect("a waiting poll was not answered")
            .expect("task");
        assert_eq!(code_of(&r), is(ErrorId::QueueNotExist), "{r:?}");
    }
    assert_eq!(mock.clock().now_secs(), t0, "the clock did not move");
}
