//! Send, receive, delete, visibility, delay, retention, limits.

use super::*;

#[test]
fn send_receive_delete_with_exact_fields_and_counters() {
    let (e, a) = setup();
    create(&a, "q", |u| u.visibility_timeout = Some(30));
    let id = a.send_message("q", "hello", 0).unwrap();
    assert!(id.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(nums(&a, "q"), (1, 0, 0, 0));
    assert_eq!(counters(&a, "q").min_msg_time_ms / 1000, T0S);
    adv(&e, 2_500);
    let m = recv_now(&a, "q", 1).unwrap().remove(0);
    assert_eq!(m.msg_body, "hello");
    assert_eq!(m.msg_id, id);
    assert_eq!(m.enqueue_time_ms / 1000, T0S);
    assert_eq!(m.first_dequeue_time_ms / 1000, T0S + 2);
    assert_eq!(m.next_visible_time_ms / 1000, T0S + 32);
    assert_eq!(m.dequeue_count, 1);
    assert!(m.receipt_handle.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(nums(&a, "q"), (0, 1, 0, 0));
    assert_eq!(
        counters(&a, "q").min_msg_time_ms / 1000,
        T0S,
        "a received message is still unconsumed"
    );
    assert_eq!(kind(recv_now(&a, "q", 1)), ErrorKind::NoMessage);
    a.delete_message("q", &m.receipt_handle).unwrap();
    assert_eq!(nums(&a, "q"), (0, 0, 0, 0));
    assert_eq!(counters(&a, "q").min_msg_time_ms / 1000, 0);
    assert_eq!(
        kind(a.delete_message("q", &m.receipt_handle)),
        ErrorKind::InvalidReceiptHandle
    );
    // Nothing comes back after the visibility timeout: it is gone.
    adv(&e, 60_000);
    assert_eq!(kind(recv_now(&a, "q", 1)), ErrorKind::NoMessage);
    assert_eq!(
        kind(a.send_message("nope", "x", 0)),
        ErrorKind::QueueNotExist
    );
    assert_eq!(kind(recv_now(&a, "nope", 1)), ErrorKind::QueueNotExist);
    assert_eq!(
        kind(a.delete_message("nope", &m.receipt_handle)),
        ErrorKind::QueueNotExist
    );
}

#[test]
fn visibility_expiry_redelivers_with_a_fresh_handle() {
    let (e, a) = setup();
    create(&a, "q", |u| u.visibility_timeout = Some(10));
    let id = a.send_message("q", "x", 0).unwrap();
    let first = recv_now(&a, "q", 1).unwrap().remove(0);
    adv(&e, 9_999);
    assert_eq!(nums(&a, "q"), (0, 1, 0, 0));
    assert_eq!(kind(recv_now(&a, "q", 1)), ErrorKind::NoMessage);
    adv(&e, 1);
    assert_eq!(
        nums(&a, "q"),
        (1, 0, 0, 0),
        "visible again exactly at nextVisibleTime"
    );
    // The handle died with the visibility timeout, even before anyone receives again.
    assert_eq!(
        kind(a.delete_message("q", &first.receipt_handle)),
        ErrorKind::InvalidReceiptHandle
    );
    adv(&e, 3_000);
    let second = recv_now(&a, "q", 1).unwrap().remove(0);
    assert_eq!(second.msg_id, id);
    assert_eq!(second.dequeue_count, 2);
    assert_eq!(second.first_dequeue_time_ms / 1000, T0S, "set once");
    assert_eq!(second.next_visible_time_ms / 1000, T0S + 23);
    assert_ne!(second.receipt_handle, first.receipt_handle);
    assert_eq!(
        kind(a.delete_message("q", &first.receipt_handle)),
        ErrorKind::InvalidReceiptHandle
    );
    // The latest handle works until just before nextVisibleTime.
    adv(&e, 9_999);
    a.delete_message("q", &second.receipt_handle).unwrap();
    assert_eq!(nums(&a, "q"), (0, 0, 0, 0));
}

#[test]
fn a_handle_expires_at_next_visible_time() {
    let (e, a) = setup();
    create(&a, "q", |u| u.visibility_timeout = Some(5));
    a.send_message("q", "x", 0).unwrap();
    let m = recv_now(&a, "q", 1).unwrap().remove(0);
    adv(&e, 5_000);
    assert_eq!(
        kind(a.delete_message("q", &m.receipt_handle)),
        ErrorKind::InvalidReceiptHandle
    );
    assert_eq!(nums(&a, "q"), (1, 0, 0, 0));
}

#[test]
fn handles_are_checked() {
    let (_e, a) = setup();
    create(&a, "q", |_| {});
    create(&a, "other", |_| {});
    a.send_message("q", "x", 0).unwrap();
    a.send_message("other", "y", 0).unwrap();
    let m = recv_now(&a, "q", 1).unwrap().remove(0);
    for bad in ["", "abc", "12-3", "１２", &"1".repeat(40)] {
        assert_eq!(
            kind(a.delete_message("q", bad)),
            ErrorKind::ReceiptHandleError,
            "{bad:?}"
        );
    }
    assert_eq!(
        kind(a.delete_message("q", "283748239349283")),
        ErrorKind::InvalidReceiptHandle
    );
    // A handle of one queue is not valid in another.
    assert_eq!(
        kind(a.delete_message("other", &m.receipt_handle)),
        ErrorKind::InvalidReceiptHandle
    );
    assert_eq!(nums(&a, "other"), (1, 0, 0, 0));
    a.delete_message("q", &m.receipt_handle).unwrap();
}

#[test]
fn batch_delete_reports_each_handle() {
    let (_e, a) = setup();
    create(&a, "q", |_| {});
    a.batch_send_message("q", ["a", "b", "c"], 0).unwrap();
    let got = recv_now(&a, "q", 16).unwrap();
    assert_eq!(got.len(), 3);
    let handles = [
        got[0].receipt_handle.clone(),
        "bogus".to_owned(),
        got[1].receipt_handle.clone(),
        got[0].receipt_handle.clone(),
        "1".to_owned(),
    ];
    let res = a.batch_delete_message("q", &handles).unwrap();
    let kinds: Vec<Option<ErrorKind>> = res
        .iter()
        .map(|r| r.as_ref().err().map(|e| e.kind))
        .collect();
    assert_eq!(
        kinds,
        [
            None,
            Some(ErrorKind::ReceiptHandleError),
            None,
            Some(ErrorKind::InvalidReceiptHandle),
            Some(ErrorKind::InvalidReceiptHandle),
        ]
    );
    assert_eq!(nums(&a, "q"), (0, 1, 0, 0));
    let none: [&str; 0] = [];
    assert_eq!(
        kind(a.batch_delete_message("q", &none)),
        ErrorKind::BatchSizeOutOfRange
    );
    let many = vec!["1"; 17];
    assert_eq!(
        kind(a.batch_delete_message("q", &many)),
        ErrorKind::BatchSizeOutOfRange
    );
}

#[test]
fn batches_keep_order_and_limits() {
    let (_e, a) = setup();
    create(&a, "q", |_| {});
    let bodies: Vec<String> = (0..16).map(|i| format!("m{i}")).collect();
    let ids = a.batch_send_message("q", bodies.clone(), 0).unwrap();
    assert_eq!(ids.len(), 16);
    let got = recv_now(&a, "q", 10).unwrap();
    assert_eq!(
        got.iter().map(|m| m.msg_body.as_str()).collect::<Vec<_>>(),
        bodies[..10]
    );
    assert_eq!(
        got.iter().map(|m| m.msg_id.clone()).collect::<Vec<_>>(),
        ids[..10]
    );
    let rest = recv_now(&a, "q", 16).unwrap();
    assert_eq!(rest.len(), 6, "fewer than asked when fewer are visible");
    assert_eq!(rest[0].msg_body, "m10");
    let seventeen: Vec<String> = (0..17).map(|i| i.to_string()).collect();
    assert_eq!(
        kind(a.batch_send_message("q", seventeen, 0)),
        ErrorKind::BatchSizeOutOfRange
    );
    assert_eq!(
        kind(a.batch_send_message("q", Vec::<String>::new(), 0)),
        ErrorKind::BatchSizeOutOfRange
    );
    assert_eq!(kind(recv_now(&a, "q", 0)), ErrorKind::BatchSizeOutOfRange);
    assert_eq!(kind(recv_now(&a, "q", 17)), ErrorKind::BatchSizeOutOfRange);
    assert_eq!(
        kind(a.batch_send_message("q", ["a", ""], 0)),
        ErrorKind::MessageBodyEmpty
    );
    assert_eq!(
        kind(a.send_message("q", "", 0)),
        ErrorKind::MessageBodyEmpty
    );
}

#[test]
fn size_and_heap_limits() {
    let (e, a) = setup();
    create(&a, "q", |u| {
        u.max_msg_size = Some(1024);
        u.max_msg_heap_num = Some(3);
    });
    a.send_message("q", "x".repeat(1024), 0).unwrap();
    assert_eq!(
        kind(a.send_message("q", "x".repeat(1025), 0)),
        ErrorKind::MessageTooLarge
    );
    let err = a
        .batch_send_message("q", ["ok".to_owned(), "x".repeat(1025)], 0)
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::MessageTooLarge);
    assert_eq!(err.to_string(), "(10230)exceed maximum message size");
    assert_eq!(nums(&a, "q").0, 1, "a failed batch stores nothing");
    // Three messages fit; active + inactive + delayed all count.
    a.send_message("q", "delayed", 100).unwrap();
    let m = recv_now(&a, "q", 1).unwrap().remove(0);
    assert_eq!(
        kind(a.batch_send_message("q", ["a", "b"], 0)),
        ErrorKind::QueueFull
    );
    a.send_message("q", "third", 0).unwrap();
    assert_eq!(nums(&a, "q"), (1, 1, 1, 0));
    assert_eq!(kind(a.send_message("q", "fourth", 0)), ErrorKind::QueueFull);
    a.delete_message("q", &m.receipt_handle).unwrap();
    a.send_message("q", "fourth", 0).unwrap();

    // Batch total (the profile's: 1 MiB on tdmq, 64 KiB on legacy): 16 bodies one byte over
    // a sixteenth of it exceed it even though each fits the queue's maxMsgSize.
    let total = e.limits().max_batch_body_bytes;
    create(&a, "big", |u| u.max_msg_size = Some(1_048_576));
    let bodies: Vec<String> = (0..16).map(|_| "y".repeat(total / 16 + 1)).collect();
    assert_eq!(
        kind(a.batch_send_message("big", bodies, 0)),
        ErrorKind::BatchTotalSizeTooLarge
    );
    let bodies: Vec<String> = (0..16).map(|_| "y".repeat(total / 16)).collect();
    a.batch_send_message("big", bodies, 0).unwrap();
    // A single send is limited by maxMsgSize only.
    create(&a, "huge", |u| u.max_msg_size = Some(1_048_576));
    a.send_message("huge", "z".repeat(100_000), 0).unwrap();
}

#[test]
fn delayed_messages_wait_exactly() {
    let (e, a) = setup();
    create(&a, "q", |_| {});
    let id = a.send_message("q", "later", 5).unwrap();
    a.send_message("q", "now", 0).unwrap();
    assert_eq!(nums(&a, "q"), (1, 0, 1, 0));
    assert_eq!(
        counters(&a, "q").min_msg_time_ms / 1000,
        T0S,
        "delayed messages are unconsumed"
    );
    assert_eq!(recv_now(&a, "q", 16).unwrap()[0].msg_body, "now");
    adv(&e, 4_999);
    assert_eq!(kind(recv_now(&a, "q", 1)), ErrorKind::NoMessage);
    adv(&e, 1);
    assert_eq!(nums(&a, "q"), (1, 1, 0, 0));
    let m = recv_now(&a, "q", 1).unwrap().remove(0);
    assert_eq!(
        (
            m.msg_id,
            m.enqueue_time_ms / 1000,
            m.first_dequeue_time_ms / 1000
        ),
        (id, T0S, T0S + 5)
    );
    // A batch shares one delay.
    a.batch_send_message("q", ["d1", "d2"], 2).unwrap();
    assert_eq!(nums(&a, "q").2, 2);
    adv(&e, 2_000);
    assert_eq!(recv_now(&a, "q", 16).unwrap().len(), 2);
}

#[test]
fn too_many_delayed_messages_block_receives() {
    let limits = Limits {
        max_delayed_messages: 2,
        ..Limits::default()
    };
    let e = Engine::with_limits(Clock::manual(T0), limits);
    let a = e.add_account("id", "key");
    create(&a, "q", |_| {});
    a.send_message("q", "visible", 0).unwrap();
    a.batch_send_message("q", ["d1", "d2"], 10).unwrap();
    assert_eq!(recv_now(&a, "q", 1).unwrap()[0].msg_body, "visible");
    a.send_message("q", "d3", 20).unwrap();
    a.send_message("q", "v2", 0).unwrap();
    assert_eq!(
        kind(recv_now(&a, "q", 1)),
        ErrorKind::TooManyUnackedMessages
    );
    assert_eq!(nums(&a, "q"), (1, 1, 3, 0), "sends are still accepted");
    adv(&e, 10_000);
    let got = recv_now(&a, "q", 16).unwrap();
    assert_eq!(
        got.iter().map(|m| m.msg_body.as_str()).collect::<Vec<_>>(),
        ["d1", "d2", "v2"]
    );
}

#[test]
fn retention_removes_messages_in_any_state() {
    // Legacy CMQ: a delay may outlive the queue's retention (tdmq refuses such a delay).
    let e = Engine::with_limits(Clock::manual(T0), Limits::for_profile(Profile::Legacy));
    let a = e.add_account("AKIDtest", "secret");
    create(&a, "q", |u| {
        u.msg_retention_seconds = Some(60);
        u.rewind_seconds = Some(60);
        u.visibility_timeout = Some(100);
    });
    a.batch_send_message("q", ["deleted", "inflight"], 0)
        .unwrap();
    adv(&e, 1_000);
    a.send_message("q", "active", 0).unwrap();
    a.send_message("q", "delayed", 3_600).unwrap();
    let got = recv_now(&a, "q", 2).unwrap();
    a.delete_message("q", &got[0].receipt_handle).unwrap();
    assert_eq!(nums(&a, "q"), (1, 1, 1, 1));
    assert_eq!(counters(&a, "q").min_msg_time_ms / 1000, T0S);
    adv(&e, 58_999);
    assert_eq!(nums(&a, "q"), (1, 1, 1, 1));
    adv(&e, 1);
    // The first two (enqueued at T0) are gone, consumed or not.
    assert_eq!(nums(&a, "q"), (1, 0, 1, 0));
    assert_eq!(counters(&a, "q").min_msg_time_ms / 1000, T0S + 1);
    assert_eq!(
        kind(a.delete_message("q", &got[1].receipt_handle)),
        ErrorKind::InvalidReceiptHandle
    );
    adv(&e, 1_000);
    assert_eq!(nums(&a, "q"), (0, 0, 0, 0));
    assert_eq!(counters(&a, "q").min_msg_time_ms / 1000, 0);
}

#[test]
fn changing_retention_applies_to_stored_messages() {
    let (e, a) = setup();
    create(&a, "q", |_| {});
    a.send_message("q", "x", 0).unwrap();
    adv(&e, 120_000);
    let short = QueueConfigUpdate {
        msg_retention_seconds: Some(60),
        ..Default::default()
    };
    let at = a.set_queue_attributes("q", &short).unwrap();
    assert_eq!(at.counters.active_msg_num, 0);
}

#[test]
fn queue_level_polling_wait_is_the_default_window() {
    let (_e, a) = setup();
    create(&a, "q", |u| u.polling_wait_seconds = Some(0));
    assert_eq!(kind(recv_now(&a, "q", 1)), ErrorKind::NoMessage);
    let r = futures_util::FutureExt::now_or_never(a.receive_message("q", None)).unwrap();
    assert_eq!(kind(r), ErrorKind::NoMessage);
}

/// The tdmq profile's delay rule (spec fact `delay_within_retention`): a send's delay must not
/// exceed the queue's msgRetentionSeconds; legacy CMQ has no such rule (its static 0-3600 range
/// is the protocol layer's).
#[test]
fn the_delay_rule_follows_the_profile() {
    for p in Profile::ALL {
        let e = Engine::with_limits(Clock::manual(T0), Limits::for_profile(*p));
        let a = e.add_account("AKIDtest", "secret");
        create(&a, "q", |u| u.msg_retention_seconds = Some(120));
        a.send_message("q", "at the limit", 120).unwrap();
        a.batch_send_message("q", ["a", "b"], 120).unwrap();
        let over = a.send_message("q", "over", 121);
        let batch_over = a.batch_send_message("q", ["a"], 121);
        if p.facts().delay_within_retention {
            assert_eq!(kind(over), ErrorKind::DelaySecondsOutOfRange, "{p}");
            assert_eq!(kind(batch_over), ErrorKind::DelaySecondsOutOfRange, "{p}");
            assert_eq!(nums(&a, "q").2, 3, "nothing stored");
        } else {
            over.unwrap();
            batch_over.unwrap();
        }
    }
    assert!(Profile::Tdmq.facts().delay_within_retention);
    assert!(!Profile::Legacy.facts().delay_within_retention);
}
