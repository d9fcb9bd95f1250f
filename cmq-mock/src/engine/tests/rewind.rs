//! Rewind: retained messages, the valid window, production order, wake-ups.

use super::*;

/// A queue with rewind over 1 hour; sends m0..m{n-1} one second apart (m_i at T0 + i s), then
/// receives and deletes them all. Returns the msgIds.
fn consumed_queue(e: &Engine, a: &Account, n: u64) -> Vec<String> {
    create(a, "q", |u| {
        u.rewind_seconds = Some(3_600);
        u.visibility_timeout = Some(30);
    });
    let mut ids = Vec::new();
    for i in 0..n {
        if i > 0 {
            adv(e, 1_000);
        }
        ids.push(a.send_message("q", format!("m{i}"), 0).unwrap());
    }
    while let Ok(got) = recv_now(a, "q", 16) {
        for m in got {
            a.delete_message("q", &m.receipt_handle).unwrap();
        }
    }
    ids
}

#[test]
fn deleted_messages_come_back_in_production_order() {
    let (e, a) = setup();
    let ids = consumed_queue(&e, &a, 4);
    assert_eq!(nums(&a, "q"), (0, 0, 0, 4));
    assert_eq!(counters(&a, "q").min_msg_time_ms / 1000, 0);
    adv(&e, 10_000);
    a.rewind_queue("q", T0S + 1).unwrap();
    assert_eq!(nums(&a, "q"), (3, 0, 0, 1));
    assert_eq!(counters(&a, "q").min_msg_time_ms / 1000, T0S + 1);
    let got = recv_now(&a, "q", 16).unwrap();
    assert_eq!(
        got.iter().map(|m| m.msg_body.as_str()).collect::<Vec<_>>(),
        ["m1", "m2", "m3"]
    );
    assert_eq!(
        got.iter().map(|m| m.msg_id.clone()).collect::<Vec<_>>(),
        ids[1..]
    );
    assert!(
        got.iter().all(|m| m.dequeue_count == 2),
        "dequeueCount keeps counting"
    );
    assert_eq!(
        got[0].first_dequeue_time_ms / 1000,
        T0S + 3,
        "firstDequeueTime is kept"
    );
    // Then consumption continues normally.
    a.send_message("q", "new", 0).unwrap();
    assert_eq!(recv_now(&a, "q", 16).unwrap()[0].msg_body, "new");
    for m in &got {
        a.delete_message("q", &m.receipt_handle).unwrap();
    }
    assert_eq!(nums(&a, "q"), (0, 1, 0, 4));
}

#[test]
fn rewind_window_is_checked() {
    let (e, a) = setup();
    create(&a, "off", |_| {});
    assert_eq!(
        kind(a.rewind_queue("off", T0S)),
        ErrorKind::QueueCannotRewind
    );
    assert_eq!(
        kind(a.rewind_queue("missing", T0S)),
        ErrorKind::QueueNotExist
    );
    create(&a, "q", |u| u.rewind_seconds = Some(100));
    adv(&e, 500_000); // now = T0S + 500
    let now = T0S + 500;
    // Nothing unconsumed: the window is [now − 100, now].
    assert_eq!(
        kind(a.rewind_queue("q", now - 101)),
        ErrorKind::InvalidRewindTime
    );
    assert_eq!(
        kind(a.rewind_queue("q", now + 1)),
        ErrorKind::InvalidRewindTime
    );
    a.rewind_queue("q", now - 100).unwrap();
    a.rewind_queue("q", now).unwrap();
    // With an unconsumed message the upper bound is its enqueue time.
    a.send_message("q", "x", 0).unwrap();
    adv(&e, 20_000);
    let now = now + 20;
    let err = a.rewind_queue("q", now - 19).unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidRewindTime);
    assert_eq!(err.code(), 4000);
    assert_eq!(err.module_code(), 10680);
    a.rewind_queue("q", now - 20).unwrap();
    a.rewind_queue("q", now - 100).unwrap();
    assert_eq!(
        kind(a.rewind_queue("q", now - 101)),
        ErrorKind::InvalidRewindTime
    );
}

#[test]
fn rewind_returns_in_flight_messages_and_kills_their_handles() {
    let (e, a) = setup();
    create(&a, "q", |u| u.rewind_seconds = Some(3_600));
    a.send_message("q", "a", 0).unwrap();
    adv(&e, 1_000);
    a.send_message("q", "b", 0).unwrap();
    let ra = recv_now(&a, "q", 1).unwrap().remove(0);
    a.delete_message("q", &ra.receipt_handle).unwrap();
    let rb = recv_now(&a, "q", 1).unwrap().remove(0);
    assert_eq!(nums(&a, "q"), (0, 1, 0, 1));
    a.rewind_queue("q", T0S).unwrap();
    assert_eq!(nums(&a, "q"), (2, 0, 0, 0));
    assert_eq!(
        kind(a.delete_message("q", &rb.receipt_handle)),
        ErrorKind::InvalidReceiptHandle
    );
    let got = recv_now(&a, "q", 16).unwrap();
    assert_eq!(
        got.iter().map(|m| m.msg_body.as_str()).collect::<Vec<_>>(),
        ["a", "b"]
    );
}

#[test]
fn rewind_keeps_delays() {
    let (e, a) = setup();
    create(&a, "q", |u| u.rewind_seconds = Some(3_600));
    a.send_message("q", "d", 60).unwrap();
    a.rewind_queue("q", T0S).unwrap();
    assert_eq!(nums(&a, "q"), (0, 0, 1, 0));
    adv(&e, 60_000);
    assert_eq!(nums(&a, "q"), (1, 0, 0, 0));
}

#[test]
fn retained_messages_expire_with_retention() {
    let (e, a) = setup();
    create(&a, "q", |u| {
        u.rewind_seconds = Some(100);
        u.msg_retention_seconds = Some(120);
    });
    a.send_message("q", "old", 0).unwrap();
    adv(&e, 30_000);
    a.send_message("q", "young", 0).unwrap();
    for m in recv_now(&a, "q", 16).unwrap() {
        a.delete_message("q", &m.receipt_handle).unwrap();
    }
    assert_eq!(nums(&a, "q").3, 2);
    adv(&e, 90_000); // now T0 + 120 s: "old" reaches its retention
    assert_eq!(nums(&a, "q").3, 1);
    assert_eq!(
        kind(a.rewind_queue("q", T0S + 19)),
        ErrorKind::InvalidRewindTime
    );
    a.rewind_queue("q", T0S + 20).unwrap();
    let got = recv_now(&a, "q", 16).unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].msg_body, "young");
    adv(&e, 30_000);
    assert_eq!(nums(&a, "q"), (0, 0, 0, 0));
}

#[tokio::test]
async fn rewind_wakes_long_polls() {
    let (e, a) = setup();
    consumed_queue(&e, &a, 2);
    let a2 = a.clone();
    let p = tokio::spawn(async move { a2.batch_receive_message("q", 16, Some(30)).await });
    spin().await;
    assert!(!p.is_finished());
    a.rewind_queue("q", T0S).unwrap();
    let got = done(p).await.unwrap();
    assert_eq!(
        got.iter().map(|m| m.msg_body.as_str()).collect::<Vec<_>>(),
        ["m0", "m1"]
    );
}
