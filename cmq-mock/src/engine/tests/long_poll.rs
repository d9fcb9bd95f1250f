//! Long polling: every wake-up source, exact timing, no thundering herd.

use tokio::task::JoinHandle;

use super::*;

fn poll(
    a: &Arc<Account>,
    q: &str,
    n: usize,
    wait: Option<u32>,
) -> JoinHandle<EngineResult<Vec<ReceivedMessage>>> {
    let a = a.clone();
    let q = q.to_owned();
    tokio::spawn(async move { a.batch_receive_message(&q, n, wait).await })
}

#[tokio::test]
async fn wakes_on_send() {
    let (e, a) = setup();
    create(&a, "q", |_| {});
    let p = poll(&a, "q", 16, Some(30));
    spin().await;
    assert!(!p.is_finished());
    adv(&e, 3_000);
    spin().await;
    assert!(!p.is_finished());
    a.send_message("q", "hi", 0).unwrap();
    let got = done(p).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].msg_body, "hi");
    assert_eq!(got[0].first_dequeue_time_ms / 1000, T0S + 3);
    assert_eq!(nums(&a, "q"), (0, 1, 0, 0));
}

#[tokio::test]
async fn times_out_exactly_at_the_window_end() {
    let (e, a) = setup();
    create(&a, "q", |u| u.polling_wait_seconds = Some(7));
    let explicit = poll(&a, "q", 1, Some(5));
    let from_queue = poll(&a, "q", 1, None);
    spin().await;
    assert_eq!(
        e.clock().next_deadline_ms(),
        Some(T0 + 5_000),
        "one timer per queue, at the earliest"
    );
    adv(&e, 4_999);
    spin().await;
    assert!(!explicit.is_finished() && !from_queue.is_finished());
    adv(&e, 1);
    spin().await;
    assert!(explicit.is_finished());
    assert_eq!(kind(done(explicit).await), ErrorKind::NoMessage);
    assert!(!from_queue.is_finished());
    adv(&e, 1_999);
    spin().await;
    assert!(!from_queue.is_finished());
    adv(&e, 1);
    assert_eq!(kind(done(from_queue).await), ErrorKind::NoMessage);
    assert_eq!(e.clock().next_deadline_ms(), None, "nothing left sleeping");
}

#[tokio::test]
async fn wakes_on_visibility_expiry_exactly() {
    let (e, a) = setup();
    create(&a, "q", |u| u.visibility_timeout = Some(10));
    a.send_message("q", "x", 0).unwrap();
    let first = recv(&a, "q").await;
    let p = poll(&a, "q", 1, Some(30));
    spin().await;
    assert_eq!(e.clock().next_deadline_ms(), Some(T0 + 10_000));
    adv(&e, 9_999);
    spin().await;
    assert!(!p.is_finished());
    adv(&e, 1);
    let got = done(p).await.unwrap().remove(0);
    assert_eq!(got.msg_id, first.msg_id);
    assert_eq!(got.dequeue_count, 2);
    assert_eq!(got.next_visible_time_ms / 1000, T0S + 20);
}

#[tokio::test]
async fn wakes_on_delay_end_exactly() {
    let (e, a) = setup();
    create(&a, "q", |_| {});
    let p = poll(&a, "q", 1, Some(30));
    spin().await;
    a.send_message("q", "later", 12).unwrap();
    spin().await;
    assert!(!p.is_finished());
    assert_eq!(
        e.clock().next_deadline_ms(),
        Some(T0 + 12_000),
        "the owner re-armed for the delay"
    );
    adv(&e, 11_999);
    spin().await;
    assert!(!p.is_finished());
    adv(&e, 1);
    let got = done(p).await.unwrap();
    assert_eq!(got[0].msg_body, "later");
    assert_eq!(got[0].first_dequeue_time_ms / 1000, T0S + 12);
}

#[tokio::test]
async fn an_earlier_visibility_deadline_rearms_the_owner() {
    let (e, a) = setup();
    create(&a, "q", |u| u.visibility_timeout = Some(5));
    let p = poll(&a, "q", 1, Some(30));
    spin().await;
    assert_eq!(e.clock().next_deadline_ms(), Some(T0 + 30_000));
    // Another consumer grabs a message right after it is sent... (the poller is woken too, but
    // we take it first by receiving synchronously before yielding).
    a.send_message("q", "x", 0).unwrap();
    let taken = recv_now(&a, "q", 1).unwrap().remove(0);
    spin().await;
    assert!(!p.is_finished());
    assert_eq!(e.clock().next_deadline_ms(), Some(T0 + 5_000));
    adv(&e, 5_000);
    let got = done(p).await.unwrap().remove(0);
    assert_eq!(got.msg_id, taken.msg_id);
    assert_eq!(got.dequeue_count, 2);
}

#[tokio::test]
async fn wakes_only_as_many_waiters_as_messages() {
    let (_e, a) = setup();
    create(&a, "q", |_| {});
    let polls: Vec<_> = (0..3).map(|_| poll(&a, "q", 1, Some(30))).collect();
    spin().await;
    let q = a.queue("q").unwrap();
    assert_eq!(q.wakeups.load(std::sync::atomic::Ordering::Relaxed), 0);
    a.send_message("q", "one", 0).unwrap();
    spin().await;
    let finished: Vec<bool> = polls.iter().map(|p| p.is_finished()).collect();
    assert_eq!(finished.iter().filter(|d| **d).count(), 1, "{finished:?}");
    // The one woken (the timer owner, first in line) took it and handed the timer to one other.
    assert_eq!(q.wakeups.load(std::sync::atomic::Ordering::Relaxed), 2);
    a.batch_send_message("q", ["two", "three"], 0).unwrap();
    let mut bodies = Vec::new();
    for p in polls {
        bodies.push(done(p).await.unwrap().remove(0).msg_body);
    }
    bodies.sort();
    assert_eq!(bodies, ["one", "three", "two"]);
    assert_eq!(nums(&a, "q"), (0, 3, 0, 0));
}

#[tokio::test]
async fn a_batch_poller_takes_what_arrives() {
    let (_e, a) = setup();
    create(&a, "q", |_| {});
    let p = poll(&a, "q", 16, Some(30));
    spin().await;
    a.batch_send_message("q", ["a", "b", "c"], 0).unwrap();
    let got = done(p).await.unwrap();
    assert_eq!(
        got.iter().map(|m| m.msg_body.as_str()).collect::<Vec<_>>(),
        ["a", "b", "c"]
    );
}

#[tokio::test]
async fn a_cancelled_owner_hands_the_timer_over() {
    let (e, a) = setup();
    create(&a, "q", |_| {});
    let owner = poll(&a, "q", 1, Some(30));
    spin().await;
    let other = poll(&a, "q", 1, Some(30));
    spin().await;
    a.send_message("q", "later", 10).unwrap();
    spin().await;
    owner.abort();
    spin().await;
    assert_eq!(
        e.clock().next_deadline_ms(),
        Some(T0 + 10_000),
        "the other waiter armed the timer"
    );
    adv(&e, 10_000);
    assert_eq!(done(other).await.unwrap()[0].msg_body, "later");
}

#[tokio::test]
async fn deleting_the_queue_ends_pending_polls() {
    let (_e, a) = setup();
    create(&a, "q", |_| {});
    let p1 = poll(&a, "q", 1, Some(30));
    let p2 = poll(&a, "q", 16, Some(30));
    spin().await;
    a.delete_queue("q").unwrap();
    assert_eq!(kind(done(p1).await), ErrorKind::QueueNotExist);
    assert_eq!(kind(done(p2).await), ErrorKind::QueueNotExist);
}

#[tokio::test]
async fn zero_wait_answers_at_once() {
    let (e, a) = setup();
    create(&a, "q", |u| u.polling_wait_seconds = Some(30));
    assert_eq!(
        kind(a.receive_message("q", Some(0)).await),
        ErrorKind::NoMessage
    );
    assert_eq!(e.clock().next_deadline_ms(), None);
}

#[tokio::test]
async fn a_new_visibility_deadline_rearms_the_owner_even_when_another_waiter_was_woken() {
    let (e, a) = setup();
    create(&a, "q", |u| u.visibility_timeout = Some(5));
    let first = poll(&a, "q", 1, Some(30));
    spin().await;
    let second = poll(&a, "q", 1, Some(30));
    spin().await;
    // The owner re-arms for the delay and so queues up behind the other waiter.
    a.send_message("q", "later", 20).unwrap();
    spin().await;
    assert_eq!(e.clock().next_deadline_ms(), Some(T0 + 20_000));
    // The send wakes the other waiter, but a synchronous consumer takes the message first.
    a.send_message("q", "x", 0).unwrap();
    let taken = recv_now(&a, "q", 1).unwrap().remove(0);
    spin().await;
    assert!(!first.is_finished() && !second.is_finished());
    assert_eq!(
        e.clock().next_deadline_ms(),
        Some(T0 + 5_000),
        "the owner was poked"
    );
    adv(&e, 5_000);
    spin().await;
    let (winner, loser) = if first.is_finished() {
        (first, second)
    } else {
        (second, first)
    };
    let got = done(winner).await.unwrap().remove(0);
    assert_eq!((got.msg_id, got.dequeue_count), (taken.msg_id, 2));
    adv(&e, 15_000);
    assert_eq!(done(loser).await.unwrap()[0].msg_body, "later");
}
