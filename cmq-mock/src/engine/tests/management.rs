//! Queue management: create, list, attributes, delete, limits.

use super::*;

#[test]
fn create_with_defaults() {
    let (e, a) = setup();
    let id = a
        .create_queue("Orders", &QueueConfigUpdate::default())
        .unwrap();
    assert!(id.starts_with("queue-") && id.len() == 16, "{id}");
    let at = a.get_queue_attributes("orders").unwrap();
    assert_eq!(at.queue_id, id);
    assert_eq!(at.queue_name, "Orders");
    assert_eq!(at.config, QueueConfig::default());
    assert_eq!(at.config.max_msg_heap_num, 100_000_000);
    assert_eq!(at.config.polling_wait_seconds, 0);
    assert_eq!(at.config.visibility_timeout, 30);
    assert_eq!(at.config.max_msg_size, 65_536);
    assert_eq!(at.config.msg_retention_seconds, 345_600);
    assert_eq!(at.config.rewind_seconds, 0);
    assert_eq!(at.config.dead_letter_policy, None);
    assert_eq!(at.create_time_ms / 1000, T0S);
    assert_eq!(at.last_modify_time_ms / 1000, T0S);
    assert_eq!(at.counters, QueueCounters::default());
    adv(&e, 5_000);
    let u = QueueConfigUpdate {
        visibility_timeout: Some(7),
        polling_wait_seconds: Some(3),
        ..Default::default()
    };
    let at = a.set_queue_attributes("ORDERS", &u).unwrap();
    assert_eq!(at.config.visibility_timeout, 7);
    assert_eq!(at.config.polling_wait_seconds, 3);
    assert_eq!(at.config.max_msg_size, 65_536, "untouched values stay");
    assert_eq!(at.create_time_ms / 1000, T0S);
    assert_eq!(at.last_modify_time_ms / 1000, T0S + 5);
    assert_ne!(
        a.create_queue("other", &QueueConfigUpdate::default())
            .unwrap(),
        id
    );
}

#[test]
fn create_with_settings() {
    let (_e, a) = setup();
    let u = QueueConfigUpdate {
        max_msg_heap_num: Some(1_000_000),
        polling_wait_seconds: Some(30),
        visibility_timeout: Some(43_200),
        max_msg_size: Some(1_048_576),
        msg_retention_seconds: Some(60),
        rewind_seconds: Some(60),
        dead_letter_policy: None,
    };
    a.create_queue("q", &u).unwrap();
    let c = a.get_queue_attributes("q").unwrap().config;
    assert_eq!(
        (
            c.max_msg_heap_num,
            c.polling_wait_seconds,
            c.visibility_timeout,
            c.max_msg_size
        ),
        (1_000_000, 30, 43_200, 1_048_576)
    );
    assert_eq!((c.msg_retention_seconds, c.rewind_seconds), (60, 60));
}

#[test]
fn names_are_unique_case_insensitively_and_checked() {
    let (_e, a) = setup();
    create(&a, "MyQueue", |_| {});
    let d = QueueConfigUpdate::default();
    assert_eq!(
        kind(a.create_queue("myqueue", &d)),
        ErrorKind::QueueAlreadyExists
    );
    assert_eq!(
        kind(a.create_queue("MYQUEUE", &d)),
        ErrorKind::QueueAlreadyExists
    );
    for bad in ["", "1q", "-q", "q q", "q.q", &"a".repeat(65)] {
        assert_eq!(
            kind(a.create_queue(bad, &d)),
            ErrorKind::QueueNameFormat,
            "{bad:?}"
        );
    }
    create(&a, &"a".repeat(64), |_| {});
    create(&a, "a-b_c9", |_| {});
    assert!(a.queue("mYqUeUe").is_some());
}

#[test]
fn rewind_seconds_may_not_exceed_retention() {
    let (_e, a) = setup();
    let u = QueueConfigUpdate {
        msg_retention_seconds: Some(100),
        rewind_seconds: Some(101),
        ..Default::default()
    };
    assert_eq!(
        kind(a.create_queue("q", &u)),
        ErrorKind::RewindSecondsGreaterThanRetention
    );
    assert!(a.queue("q").is_none());
    create(&a, "q", |u| {
        u.msg_retention_seconds = Some(100);
        u.rewind_seconds = Some(100);
    });
    // Against the resulting values: lowering retention below the current rewind fails.
    let lower = QueueConfigUpdate {
        msg_retention_seconds: Some(99),
        ..Default::default()
    };
    assert_eq!(
        kind(a.set_queue_attributes("q", &lower)),
        ErrorKind::RewindSecondsGreaterThanRetention
    );
    let both = QueueConfigUpdate {
        msg_retention_seconds: Some(99),
        rewind_seconds: Some(10),
        ..Default::default()
    };
    let c = a.set_queue_attributes("q", &both).unwrap().config;
    assert_eq!((c.msg_retention_seconds, c.rewind_seconds), (99, 10));
}

#[test]
fn quota_and_recreate_block() {
    let limits = Limits {
        max_queues_per_account: 2,
        ..Limits::default()
    };
    let e = Engine::with_limits(Clock::manual(T0), limits);
    let a = e.add_account("id", "key");
    let b = e.add_account("id2", "key");
    create(&a, "q1", |_| {});
    create(&a, "q2", |_| {});
    let d = QueueConfigUpdate::default();
    assert_eq!(
        kind(a.create_queue("q3", &d)),
        ErrorKind::QueueQuotaExceeded
    );
    create(&b, "q3", |_| {}); // quotas are per account
    a.delete_queue("q1").unwrap();
    assert_eq!(kind(a.get_queue_attributes("q1")), ErrorKind::QueueNotExist);
    assert_eq!(kind(a.delete_queue("q1")), ErrorKind::QueueNotExist);
    adv(&e, ms_of(e.limits().recreate_block) - 1);
    assert_eq!(kind(a.create_queue("Q1", &d)), ErrorKind::QueueReleasing);
    create(&a, "q4", |_| {}); // other names are fine
    a.delete_queue("q4").unwrap();
    adv(&e, 1);
    create(&a, "Q1", |_| {});
    assert_eq!(kind(a.create_queue("q4", &d)), ErrorKind::QueueReleasing);

    let relaxed = Engine::with_limits(Clock::manual(T0), Limits::relaxed());
    let r = relaxed.add_account("id", "key");
    for i in 0..50 {
        create(&r, &format!("q{i}"), |_| {});
    }
    r.delete_queue("q0").unwrap();
    create(&r, "q0", |_| {});
}

#[test]
fn list_filters_pages_and_keeps_creation_order() {
    let (_e, a) = setup();
    for n in ["zeta", "Alpha", "beta-orders", "gamma", "orders-2"] {
        create(&a, n, |_| {});
    }
    let all = a.list_queues(None, 0, 50);
    assert_eq!(all.total_count, 5);
    let names: Vec<_> = all.items.iter().map(|q| q.queue_name.as_str()).collect();
    assert_eq!(names, ["zeta", "Alpha", "beta-orders", "gamma", "orders-2"]);
    assert_eq!(
        all.items[1].queue_id,
        a.get_queue_attributes("alpha").unwrap().queue_id
    );
    let page = a.list_queues(None, 1, 2);
    assert_eq!(page.total_count, 5);
    let names: Vec<_> = page.items.iter().map(|q| q.queue_name.as_str()).collect();
    assert_eq!(names, ["Alpha", "beta-orders"]);
    let found = a.list_queues(Some("ORDERS"), 0, 20);
    assert_eq!(found.total_count, 2);
    let names: Vec<_> = found.items.iter().map(|q| q.queue_name.as_str()).collect();
    assert_eq!(names, ["beta-orders", "orders-2"]);
    let past = a.list_queues(Some("a"), 10, 20);
    assert_eq!((past.total_count, past.items.len()), (4, 0));
    assert_eq!(a.list_queues(Some(""), 0, 1).total_count, 5);
    a.delete_queue("alpha").unwrap();
    assert_eq!(a.list_queues(None, 0, 50).total_count, 4);
    assert_eq!(
        a.queue_names(),
        ["zeta", "beta-orders", "gamma", "orders-2"]
    );
}

#[test]
fn turning_rewind_off_drops_retained_messages() {
    let (_e, a) = setup();
    create(&a, "q", |u| u.rewind_seconds = Some(600));
    a.batch_send_message("q", ["a", "b"], 0).unwrap();
    let got = futures_util::FutureExt::now_or_never(a.batch_receive_message("q", 2, Some(0)))
        .unwrap()
        .unwrap();
    for m in &got {
        a.delete_message("q", &m.receipt_handle).unwrap();
    }
    assert_eq!(nums(&a, "q"), (0, 0, 0, 2));
    let keep = QueueConfigUpdate {
        rewind_seconds: Some(300),
        ..Default::default()
    };
    a.set_queue_attributes("q", &keep).unwrap();
    assert_eq!(nums(&a, "q"), (0, 0, 0, 2));
    let off = QueueConfigUpdate {
        rewind_seconds: Some(0),
        ..Default::default()
    };
    let at = a.set_queue_attributes("q", &off).unwrap();
    assert_eq!(at.counters.rewind_msg_num, 0);
    assert_eq!(kind(a.rewind_queue("q", T0S)), ErrorKind::QueueCannotRewind);
}

#[test]
fn inspection_groups_messages_by_state() {
    let (e, a) = setup();
    create(&a, "q", |u| {
        u.rewind_seconds = Some(3600);
        u.visibility_timeout = Some(10);
    });
    let ids = a
        .batch_send_message("q", ["one", "two", "three"], 0)
        .unwrap();
    let later = a.send_message("q", "later", 20).unwrap();
    adv(&e, 1_000);
    let r1 = futures_util::FutureExt::now_or_never(a.receive_message("q", Some(0)))
        .unwrap()
        .unwrap();
    let r2 = futures_util::FutureExt::now_or_never(a.receive_message("q", Some(0)))
        .unwrap()
        .unwrap();
    a.delete_message("q", &r2.receipt_handle).unwrap();
    let s = a.inspect_queue("q").unwrap();
    let s2 = a.inspect_queue("Q").unwrap();
    assert_eq!(s, s2, "inspection changes nothing");
    assert_eq!(s.active.len(), 1);
    assert_eq!(s.active[0].body, "three");
    assert_eq!(s.active[0].msg_id, ids[2]);
    assert_eq!(s.active[0].state, MessageState::Active);
    assert_eq!(s.active[0].dequeue_count, 0);
    assert_eq!(s.active[0].first_dequeue_time_ms, 0);
    assert_eq!(s.inactive.len(), 1);
    let i = &s.inactive[0];
    assert_eq!(
        (i.body.as_str(), i.msg_id.as_str(), i.dequeue_count),
        ("one", r1.msg_id.as_str(), 1)
    );
    assert_eq!(i.first_dequeue_time_ms, T0 + 1_000);
    assert_eq!(i.next_visible_time_ms, T0 + 11_000);
    assert_eq!(i.enqueue_time_ms, T0);
    assert_eq!(s.delayed.len(), 1);
    assert_eq!(
        (
            s.delayed[0].msg_id.as_str(),
            s.delayed[0].next_visible_time_ms
        ),
        (later.as_str(), T0 + 20_000)
    );
    assert_eq!(s.deleted.len(), 1);
    assert_eq!(
        (s.deleted[0].body.as_str(), s.deleted[0].state),
        ("two", MessageState::Deleted)
    );
    assert_eq!(
        s.attributes.counters,
        QueueCounters {
            active_msg_num: 1,
            inactive_msg_num: 1,
            delay_msg_num: 1,
            rewind_msg_num: 1,
            min_msg_time_ms: T0,
        }
    );
    assert!(s.active[0].seq > s.deleted[0].seq);
    assert_eq!(kind(a.inspect_queue("none")), ErrorKind::QueueNotExist);
}

/// Queue names follow the profile's rule: `_` on tdmq only.
#[test]
fn queue_names_follow_the_profile() {
    for p in Profile::ALL {
        let e = Engine::with_limits(Clock::manual(T0), Limits::for_profile(*p));
        let a = e.add_account("AKIDtest", "secret");
        let d = QueueConfigUpdate::default();
        let underscore = a.create_queue("a_b", &d);
        match p {
            Profile::Tdmq => assert!(underscore.is_ok()),
            Profile::Legacy => assert_eq!(kind(underscore), ErrorKind::QueueNameFormat),
        }
        for bad in ["", "1a", "-a", "a b", "aé"] {
            assert_eq!(
                kind(a.create_queue(bad, &d)),
                ErrorKind::QueueNameFormat,
                "{p} {bad:?}"
            );
        }
        let max = e.limits().queue_name.max_len.expect("a maximum");
        a.create_queue(&"a".repeat(max), &d).unwrap();
        assert_eq!(
            kind(a.create_queue(&"b".repeat(max + 1), &d)),
            ErrorKind::QueueNameFormat
        );
    }
}
