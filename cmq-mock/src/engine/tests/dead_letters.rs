//! Dead-letter queues: both policies, the binding rules, wake-ups.

use super::*;

fn with_policy(p: DeadLetterPolicy) -> QueueConfigUpdate {
    QueueConfigUpdate {
        dead_letter_policy: Some(p),
        ..Default::default()
    }
}

#[test]
fn policy_0_moves_after_max_receives_when_visible_again() {
    let (e, a) = setup();
    create(&a, "dlq", |_| {});
    create(&a, "src", |u| {
        u.visibility_timeout = Some(10);
        u.dead_letter_policy = Some(DeadLetterPolicy::receive_count("DLQ", 2));
    });
    let policy = a
        .get_queue_attributes("src")
        .unwrap()
        .config
        .dead_letter_policy;
    assert_eq!(
        policy,
        Some(DeadLetterPolicy::receive_count("dlq", 2)),
        "stored with the queue's spelling"
    );
    let id = a.send_message("src", "poison", 0).unwrap();
    assert_eq!(recv_now(&a, "src", 1).unwrap()[0].dequeue_count, 1);
    adv(&e, 10_000);
    assert_eq!(
        nums(&a, "src"),
        (1, 0, 0, 0),
        "one receive is below the limit"
    );
    let second = recv_now(&a, "src", 1).unwrap().remove(0);
    assert_eq!(second.dequeue_count, 2);
    adv(&e, 9_999);
    assert_eq!(nums(&a, "dlq"), (0, 0, 0, 0));
    adv(&e, 1);
    // Observed from the dead-letter queue first: it settles its sources.
    assert_eq!(nums(&a, "dlq"), (1, 0, 0, 0));
    assert_eq!(counters(&a, "dlq").min_msg_time_ms / 1000, T0S + 20);
    assert_eq!(nums(&a, "src"), (0, 0, 0, 0));
    assert_eq!(counters(&a, "src").min_msg_time_ms / 1000, 0);
    assert_eq!(
        kind(a.delete_message("src", &second.receipt_handle)),
        ErrorKind::InvalidReceiptHandle
    );
    let dead = recv_now(&a, "dlq", 1).unwrap().remove(0);
    assert_eq!(
        (dead.msg_id.as_str(), dead.msg_body.as_str()),
        (id.as_str(), "poison")
    );
    assert_eq!(
        (
            dead.enqueue_time_ms / 1000,
            dead.dequeue_count,
            dead.first_dequeue_time_ms / 1000
        ),
        (T0S + 20, 1, T0S + 20)
    );
    a.delete_message("dlq", &dead.receipt_handle).unwrap();
}

#[test]
fn policy_0_deleted_in_time_is_not_moved() {
    let (e, a) = setup();
    create(&a, "dlq", |_| {});
    create(&a, "src", |u| {
        u.visibility_timeout = Some(10);
        u.dead_letter_policy = Some(DeadLetterPolicy::receive_count("dlq", 1));
    });
    a.batch_send_message("src", ["ok", "bad"], 0).unwrap();
    let got = recv_now(&a, "src", 2).unwrap();
    a.delete_message("src", &got[0].receipt_handle).unwrap();
    adv(&e, 10_000);
    assert_eq!(nums(&a, "src"), (0, 0, 0, 0));
    let dead = recv_now(&a, "dlq", 16).unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].msg_body, "bad");
}

#[test]
fn policy_1_moves_after_the_time_to_live_in_any_state() {
    let (e, a) = setup();
    create(&a, "dlq", |u| u.max_msg_heap_num = Some(1));
    a.send_message("dlq", "already here", 0).unwrap();
    create(&a, "src", |u| {
        u.visibility_timeout = Some(43_200);
        u.dead_letter_policy = Some(DeadLetterPolicy::time_to_live("dlq", 300));
    });
    a.send_message("src", "deleted", 0).unwrap();
    let rd = recv_now(&a, "src", 1).unwrap().remove(0);
    assert_eq!(rd.msg_body, "deleted");
    a.delete_message("src", &rd.receipt_handle).unwrap();
    let ida = a.send_message("src", "inflight", 0).unwrap();
    let ra = recv_now(&a, "src", 1).unwrap().remove(0);
    adv(&e, 100_000);
    a.send_message("src", "active", 0).unwrap();
    adv(&e, 100_000);
    a.send_message("src", "delayed", 3_600).unwrap();
    assert_eq!(nums(&a, "src"), (1, 1, 1, 0));
    adv(&e, 99_999); // T0 + 299.999 s
    assert_eq!(nums(&a, "dlq"), (1, 0, 0, 0));
    adv(&e, 1);
    assert_eq!(
        nums(&a, "dlq"),
        (2, 0, 0, 0),
        "dead letters bypass the heap limit"
    );
    assert_eq!(nums(&a, "src"), (1, 0, 1, 0));
    assert_eq!(
        kind(a.delete_message("src", &ra.receipt_handle)),
        ErrorKind::InvalidReceiptHandle
    );
    adv(&e, 100_000);
    assert_eq!(nums(&a, "src"), (0, 0, 1, 0));
    adv(&e, 100_000);
    assert_eq!(nums(&a, "src"), (0, 0, 0, 0));
    let got = recv_now(&a, "dlq", 16).unwrap();
    let seen: Vec<(&str, u64)> = got
        .iter()
        .map(|m| (m.msg_body.as_str(), m.enqueue_time_ms / 1000))
        .collect();
    assert_eq!(
        seen,
        [
            ("already here", T0S),
            ("inflight", T0S + 300),
            ("active", T0S + 400),
            ("delayed", T0S + 500)
        ]
    );
    assert_eq!(got[1].msg_id, ida);
}

#[test]
fn a_policy_added_later_applies_to_stored_messages() {
    let (e, a) = setup();
    create(&a, "dlq", |_| {});
    create(&a, "src", |_| {});
    a.send_message("src", "old", 0).unwrap();
    adv(&e, 400_000);
    a.set_queue_attributes(
        "src",
        &with_policy(DeadLetterPolicy::time_to_live("dlq", 300)),
    )
    .unwrap();
    assert_eq!(nums(&a, "src"), (0, 0, 0, 0));
    let m = recv_now(&a, "dlq", 1).unwrap().remove(0);
    assert_eq!(
        m.enqueue_time_ms / 1000,
        T0S + 400,
        "moved when the policy took effect"
    );
}

#[tokio::test]
async fn dead_letter_queue_polls_wake_on_ttl_moves_of_an_idle_source() {
    let (e, a) = setup();
    create(&a, "dlq", |_| {});
    create(&a, "src", |u| {
        u.dead_letter_policy = Some(DeadLetterPolicy::time_to_live("dlq", 300))
    });
    let a2 = a.clone();
    let p = tokio::spawn(async move { a2.batch_receive_message("dlq", 16, Some(400)).await });
    spin().await;
    assert_eq!(e.clock().next_deadline_ms(), Some(T0 + 400_000));
    // A first message in the source brings its dead-letter deadline forward: the poll re-arms.
    a.send_message("src", "x", 0).unwrap();
    spin().await;
    assert_eq!(e.clock().next_deadline_ms(), Some(T0 + 300_000));
    adv(&e, 299_999);
    spin().await;
    assert!(!p.is_finished());
    adv(&e, 1);
    let got = done(p).await.unwrap();
    assert_eq!(
        (got[0].msg_body.as_str(), got[0].enqueue_time_ms / 1000),
        ("x", T0S + 300)
    );
}

#[tokio::test]
async fn dead_letter_queue_polls_wake_on_receive_count_moves() {
    let (e, a) = setup();
    create(&a, "dlq", |_| {});
    create(&a, "src", |u| {
        u.visibility_timeout = Some(10);
        u.dead_letter_policy = Some(DeadLetterPolicy::receive_count("dlq", 1));
    });
    a.send_message("src", "x", 0).unwrap();
    recv(&a, "src").await;
    let a2 = a.clone();
    let p = tokio::spawn(async move { a2.receive_message("dlq", Some(30)).await });
    spin().await;
    assert_eq!(e.clock().next_deadline_ms(), Some(T0 + 10_000));
    adv(&e, 10_000);
    assert_eq!(done(p).await.unwrap().msg_body, "x");
}

#[tokio::test]
async fn a_poll_on_the_dead_letter_queue_wakes_when_an_active_source_moves() {
    let (e, a) = setup();
    create(&a, "dlq", |_| {});
    create(&a, "src", |u| {
        u.visibility_timeout = Some(10);
        u.dead_letter_policy = Some(DeadLetterPolicy::receive_count("dlq", 1));
    });
    let a2 = a.clone();
    let p = tokio::spawn(async move { a2.receive_message("dlq", Some(30)).await });
    spin().await;
    a.send_message("src", "x", 0).unwrap();
    recv(&a, "src").await;
    adv(&e, 10_000);
    // The source is settled by its own operation; the move wakes the poll.
    assert_eq!(nums(&a, "src"), (0, 0, 0, 0));
    assert_eq!(done(p).await.unwrap().msg_body, "x");
}

#[test]
fn binding_rules() {
    let (_e, a) = setup();
    create(&a, "dlq", |_| {});
    create(&a, "src", |u| {
        u.dead_letter_policy = Some(DeadLetterPolicy::receive_count("dlq", 3))
    });
    let d = |p: DeadLetterPolicy| with_policy(p);
    // Missing queue.
    assert_eq!(
        kind(a.create_queue("x", &d(DeadLetterPolicy::receive_count("nope", 1)))),
        ErrorKind::DeadLetterQueueNotExist
    );
    // Nesting: a queue with a dead-letter queue cannot be one; a dead-letter queue cannot get one;
    // a queue cannot be its own.
    assert_eq!(
        kind(a.create_queue("x", &d(DeadLetterPolicy::receive_count("src", 1)))),
        ErrorKind::DeadLetterQueueNesting
    );
    create(&a, "other", |_| {});
    assert_eq!(
        kind(a.set_queue_attributes("dlq", &d(DeadLetterPolicy::receive_count("other", 1)))),
        ErrorKind::DeadLetterQueueNesting
    );
    assert_eq!(
        kind(a.set_queue_attributes("other", &d(DeadLetterPolicy::receive_count("OTHER", 1)))),
        ErrorKind::DeadLetterQueueNesting
    );
    assert!(a.queue("x").is_none());
    // Parameters.
    for bad in [
        DeadLetterPolicy::receive_count("dlq", 0),
        DeadLetterPolicy::receive_count("dlq", 1001),
        DeadLetterPolicy::time_to_live("dlq", 299),
        DeadLetterPolicy::time_to_live("dlq", 43_201),
        DeadLetterPolicy {
            max_receive_count: None,
            ..DeadLetterPolicy::receive_count("dlq", 1)
        },
        DeadLetterPolicy {
            max_time_to_live: None,
            ..DeadLetterPolicy::time_to_live("dlq", 300)
        },
    ] {
        assert_eq!(
            kind(a.create_queue("x", &d(bad.clone()))),
            ErrorKind::DeadLetterPolicyParamsError,
            "{bad:?}"
        );
    }
    let bad_policy = DeadLetterPolicy {
        policy: 2,
        ..DeadLetterPolicy::receive_count("dlq", 1)
    };
    assert_eq!(
        kind(a.create_queue("x", &d(bad_policy))),
        ErrorKind::DeadLetterPolicyMemberInvalid
    );
    let mut ttl_vs_retention = d(DeadLetterPolicy::time_to_live("dlq", 300));
    ttl_vs_retention.msg_retention_seconds = Some(300);
    assert_eq!(
        kind(a.create_queue("x", &ttl_vs_retention)),
        ErrorKind::DeadLetterPolicyParamsError
    );
    ttl_vs_retention.msg_retention_seconds = Some(301);
    a.create_queue("x", &ttl_vs_retention).unwrap();
    let shorter = QueueConfigUpdate {
        msg_retention_seconds: Some(300),
        ..Default::default()
    };
    assert_eq!(
        kind(a.set_queue_attributes("x", &shorter)),
        ErrorKind::DeadLetterPolicyParamsError
    );
    // Range ends are fine.
    a.create_queue("y", &d(DeadLetterPolicy::receive_count("dlq", 1000)))
        .unwrap();
    a.create_queue("z", &d(DeadLetterPolicy::time_to_live("dlq", 43_200)))
        .unwrap();
}

#[test]
fn a_dead_letter_queue_serves_at_most_six_sources() {
    let (_e, a) = setup();
    create(&a, "dlq", |_| {});
    for i in 0..6 {
        create(&a, &format!("s{i}"), |u| {
            u.dead_letter_policy = Some(DeadLetterPolicy::receive_count("dlq", 1))
        });
    }
    let seventh = with_policy(DeadLetterPolicy::receive_count("dlq", 1));
    assert_eq!(
        kind(a.create_queue("s6", &seventh)),
        ErrorKind::DeadLetterQueueBindTooMany
    );
    create(&a, "s6", |_| {});
    assert_eq!(
        kind(a.set_queue_attributes("s6", &seventh)),
        ErrorKind::DeadLetterQueueBindTooMany
    );
    // Re-binding an existing source to the same queue is not a new binding.
    a.set_queue_attributes(
        "s0",
        &with_policy(DeadLetterPolicy::time_to_live("dlq", 600)),
    )
    .unwrap();
    a.unbind_dead_letter_queue("s5").unwrap();
    a.set_queue_attributes("s6", &seventh).unwrap();

    let relaxed = Engine::with_limits(Clock::manual(T0), Limits::relaxed());
    let r = relaxed.add_account("id", "key");
    create(&r, "dlq", |_| {});
    for i in 0..10 {
        create(&r, &format!("s{i}"), |u| {
            u.dead_letter_policy = Some(DeadLetterPolicy::receive_count("dlq", 1))
        });
    }
    assert_eq!(
        r.list_dead_letter_source_queues("dlq", None, 0, 50)
            .unwrap()
            .total_count,
        10
    );
}

#[test]
fn list_unbind_rebind_and_delete() {
    let (e, a) = setup();
    create(&a, "dlq1", |_| {});
    create(&a, "dlq2", |_| {});
    for n in ["orders-a", "orders-b", "misc"] {
        create(&a, n, |u| {
            u.dead_letter_policy = Some(DeadLetterPolicy::receive_count("dlq1", 1))
        });
    }
    let l = a
        .list_dead_letter_source_queues("DLQ1", None, 0, 20)
        .unwrap();
    assert_eq!(l.total_count, 3);
    let names: Vec<_> = l.items.iter().map(|q| q.queue_name.as_str()).collect();
    assert_eq!(names, ["orders-a", "orders-b", "misc"]);
    assert_eq!(
        l.items[0].queue_id,
        a.get_queue_attributes("orders-a").unwrap().queue_id
    );
    let l = a
        .list_dead_letter_source_queues("dlq1", Some("orders"), 1, 20)
        .unwrap();
    assert_eq!(l.total_count, 2);
    assert_eq!(l.items.len(), 1);
    assert_eq!(l.items[0].queue_name, "orders-b");
    assert_eq!(
        a.list_dead_letter_source_queues("dlq2", None, 0, 20)
            .unwrap(),
        Page::default()
    );
    assert_eq!(
        kind(a.list_dead_letter_source_queues("nope", None, 0, 20)),
        ErrorKind::QueueNotExist
    );

    assert_eq!(
        kind(a.delete_queue("dlq1")),
        ErrorKind::DeleteDeadLetterQueueNotAllowed
    );
    // Re-bind misc to dlq2.
    a.set_queue_attributes(
        "misc",
        &with_policy(DeadLetterPolicy::receive_count("dlq2", 2)),
    )
    .unwrap();
    assert_eq!(
        a.list_dead_letter_source_queues("dlq1", None, 0, 20)
            .unwrap()
            .total_count,
        2
    );
    assert_eq!(
        a.list_dead_letter_source_queues("dlq2", None, 0, 20)
            .unwrap()
            .items[0]
            .queue_name,
        "misc"
    );
    // Unbind.
    adv(&e, 3_000);
    a.unbind_dead_letter_queue("orders-a").unwrap();
    let at = a.get_queue_attributes("orders-a").unwrap();
    assert_eq!(at.config.dead_letter_policy, None);
    assert_eq!(at.last_modify_time_ms / 1000, T0S + 3);
    assert_eq!(
        kind(a.unbind_dead_letter_queue("orders-a")),
        ErrorKind::DeadLetterQueueNotExist
    );
    assert_eq!(
        kind(a.unbind_dead_letter_queue("nope")),
        ErrorKind::QueueNotExist
    );
    // Deleting a source frees its binding.
    a.delete_queue("orders-b").unwrap();
    a.delete_queue("dlq1").unwrap();
    assert_eq!(
        kind(a.delete_queue("dlq2")),
        ErrorKind::DeleteDeadLetterQueueNotAllowed
    );
}

#[test]
fn an_unbound_queue_no_longer_dead_letters() {
    let (e, a) = setup();
    create(&a, "dlq3", |_| {});
    create(&a, "s", |u| {
        u.visibility_timeout = Some(1);
        u.dead_letter_policy = Some(DeadLetterPolicy::receive_count("dlq3", 1));
    });
    a.send_message("s", "x", 0).unwrap();
    recv_now(&a, "s", 1).unwrap();
    a.unbind_dead_letter_queue("s").unwrap();
    adv(&e, 1_000);
    assert_eq!(nums(&a, "s"), (1, 0, 0, 0));
    assert_eq!(nums(&a, "dlq3"), (0, 0, 0, 0));
}

#[test]
fn a_visibility_end_at_the_retention_end_dead_letters_first() {
    let (e, a) = setup();
    create(&a, "dlq", |_| {});
    create(&a, "src", |u| {
        u.msg_retention_seconds = Some(60);
        u.visibility_timeout = Some(10);
        u.dead_letter_policy = Some(DeadLetterPolicy::receive_count("dlq", 1));
    });
    a.batch_send_message("src", ["tie", "expires"], 0).unwrap();
    adv(&e, 50_000);
    recv_now(&a, "src", 1).unwrap(); // "tie": visible again at T0 + 60 s, its retention end
    adv(&e, 10_000);
    assert_eq!(nums(&a, "src"), (0, 0, 0, 0));
    let got = recv_now(&a, "dlq", 16).unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(
        (got[0].msg_body.as_str(), got[0].enqueue_time_ms / 1000),
        ("tie", T0S + 60)
    );
}

#[tokio::test]
async fn dead_letters_wake_as_many_waiters_as_they_bring() {
    let (e, a) = setup();
    create(&a, "dlq", |_| {});
    create(&a, "src", |u| {
        u.visibility_timeout = Some(10);
        u.dead_letter_policy = Some(DeadLetterPolicy::receive_count("dlq", 1));
    });
    a.batch_send_message("src", ["a", "b", "c"], 0).unwrap();
    recv_now(&a, "src", 3).unwrap();
    let polls: Vec<_> = (0..3)
        .map(|_| {
            let a = a.clone();
            tokio::spawn(async move { a.receive_message("dlq", Some(30)).await })
        })
        .collect();
    spin().await;
    adv(&e, 10_000);
    let mut bodies = Vec::new();
    for p in polls {
        bodies.push(done(p).await.unwrap().msg_body);
    }
    bodies.sort();
    assert_eq!(bodies, ["a", "b", "c"]);
}

#[test]
fn rewound_messages_are_not_dead_lettered_by_a_ttl_that_passed_while_deleted() {
    let (e, a) = setup();
    create(&a, "dlq", |_| {});
    create(&a, "src", |u| {
        u.rewind_seconds = Some(3_600);
        u.dead_letter_policy = Some(DeadLetterPolicy::time_to_live("dlq", 300));
    });
    a.send_message("src", "consumed", 0).unwrap();
    let m = recv_now(&a, "src", 1).unwrap().remove(0);
    a.delete_message("src", &m.receipt_handle).unwrap();
    adv(&e, 200_000);
    a.send_message("src", "pending", 0).unwrap();
    let p = recv_now(&a, "src", 1).unwrap().remove(0);
    a.delete_message("src", &p.receipt_handle).unwrap();
    adv(&e, 200_000); // T0 + 400 s: "consumed" is past its TTL, "pending" is not (T0 + 500 s)
    a.rewind_queue("src", T0S).unwrap();
    assert_eq!(nums(&a, "src"), (2, 0, 0, 0));
    assert_eq!(nums(&a, "dlq"), (0, 0, 0, 0));
    adv(&e, 99_999);
    assert_eq!(nums(&a, "src"), (2, 0, 0, 0));
    adv(&e, 1);
    // "pending" reaches its TTL undeleted: it moves; "consumed" stays.
    assert_eq!(nums(&a, "src"), (1, 0, 0, 0));
    assert_eq!(recv_now(&a, "dlq", 16).unwrap()[0].msg_body, "pending");
    assert_eq!(recv_now(&a, "src", 16).unwrap()[0].msg_body, "consumed");
}
