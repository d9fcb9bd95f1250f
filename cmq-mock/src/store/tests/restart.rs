//! An engine stopped and started again from its store is the same engine: every message state,
//! receipt handles, visibility deadlines, dead letters and bindings, rewind, retention, the
//! re-create block, counters, accounts, topics, subscriptions, the manual clock.

use std::time::Duration;

use super::*;
use crate::engine::{
    Account, CreateTopic, DeadLetterPolicy, ErrorKind, QueueConfigUpdate, Subscribe,
    SubscriptionUpdate,
};
use cmq_sdk::generated::types::Protocol;

fn adv(clock: &Clock, ms: u64) {
    clock.advance(Duration::from_millis(ms));
}

fn update(f: impl FnOnce(&mut QueueConfigUpdate)) -> QueueConfigUpdate {
    let mut u = QueueConfigUpdate::default();
    f(&mut u);
    u
}

async fn recv(a: &Account, q: &str) -> crate::engine::ReceivedMessage {
    a.receive_message(q, Some(0)).await.expect("a message")
}

async fn none(a: &Account, q: &str) {
    let r = a.receive_message(q, Some(0)).await;
    assert_eq!(r.err().map(|e| e.kind), Some(ErrorKind::NoMessage));
}

/// Rows of a table in a closed store.
fn rows(dir: &TempDir, table: &str) -> i64 {
    let c = rusqlite::Connection::open(dir.file()).expect("open");
    c.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .expect("count")
}

#[tokio::test]
async fn every_message_state_survives_a_restart() {
    let dir = TempDir::new("states");
    let clock = Clock::manual(T0);
    let (e, s) = boot(dir.path(), &clock);
    let a = e.add_account("AKIDstates", "key");
    let u = update(|u| {
        u.rewind_seconds = Some(3600);
        u.visibility_timeout = Some(30);
    });
    a.create_queue("Q", &u).unwrap();
    for b in ["a", "b", "c", "d"] {
        a.send_message("q", b, 0).unwrap();
    }
    a.send_message("q", "later", 120).unwrap();
    let ra = recv(&a, "q").await;
    let rb = recv(&a, "q").await;
    let _rc = recv(&a, "q").await;
    a.delete_message("q", &rb.receipt_handle).unwrap();
    adv(&clock, 31_000);
    let ra2 = recv(&a, "q").await; // "a" again (second receive, new generation)
    assert_eq!((ra2.msg_id == ra.msg_id, ra2.dequeue_count), (true, 2));
    let before = dump(&e);
    let (e, s, clock) = restart(dir.path(), e, s);
    assert_same(&before, &dump(&e));
    let a = e.account("AKIDstates").unwrap();
    assert_eq!(
        a.delete_message("q", &ra.receipt_handle).unwrap_err().kind,
        ErrorKind::InvalidReceiptHandle,
        "a stale handle stays stale"
    );
    a.delete_message("q", &ra2.receipt_handle).unwrap();
    // "c" is visible again (its first receive expired), then "d"; "later" is still delayed.
    for body in ["c", "d"] {
        let m = recv(&a, "q").await;
        assert_eq!(m.msg_body, body);
        a.delete_message("q", &m.receipt_handle).unwrap();
    }
    none(&a, "q").await;
    adv(&clock, 90_000);
    assert_eq!(recv(&a, "q").await.msg_body, "later");
    s.close();
}

#[tokio::test]
async fn in_flight_messages_come_back_when_their_visibility_ends() {
    let dir = TempDir::new("visibility");
    let clock = Clock::manual(T0);
    let (e, s) = boot(dir.path(), &clock);
    let a = e.add_account("AKIDvis", "key");
    a.create_queue("q", &update(|u| u.visibility_timeout = Some(30)))
        .unwrap();
    a.send_message("q", "x", 0).unwrap();
    let first = recv(&a, "q").await;
    adv(&clock, 10_000);
    let (e, s, clock) = restart(dir.path(), e, s);
    let a = e.account("AKIDvis").unwrap();
    none(&a, "q").await;
    adv(&clock, 19_999);
    none(&a, "q").await;
    adv(&clock, 1);
    let again = recv(&a, "q").await;
    assert_eq!(
        (
            again.msg_id,
            again.dequeue_count,
            again.first_dequeue_time_ms
        ),
        (first.msg_id, 2, first.first_dequeue_time_ms)
    );
    assert_ne!(again.receipt_handle, first.receipt_handle);
    s.close();
}

#[tokio::test]
async fn receipt_handles_issued_before_a_restart_keep_working() {
    let dir = TempDir::new("handles");
    let clock = Clock::manual(T0);
    let (e, s) = boot(dir.path(), &clock);
    let a = e.add_account("AKIDh", "key");
    a.create_queue("q", &QueueConfigUpdate::default()).unwrap();
    a.batch_send_message("q", ["1", "2", "3"], 0).unwrap();
    let got = a.batch_receive_message("q", 3, Some(0)).await.unwrap();
    let (e, s, _) = restart(dir.path(), e, s);
    let a = e.account("AKIDh").unwrap();
    let handles: Vec<&str> = got.iter().map(|m| m.receipt_handle.as_str()).collect();
    let results = a.batch_delete_message("q", &handles).unwrap();
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(
        a.get_queue_attributes("q")
            .unwrap()
            .counters
            .inactive_msg_num,
        0
    );
    let (e, s, _) = restart(dir.path(), e, s);
    let a = e.account("AKIDh").unwrap();
    none(&a, "q").await;
    assert_eq!(
        a.delete_message("q", handles[0]).unwrap_err().kind,
        ErrorKind::InvalidReceiptHandle
    );
    s.close();
}

#[tokio::test]
async fn ids_and_sequence_numbers_never_repeat_after_a_restart() {
    let dir = TempDir::new("ids");
    let clock = Clock::manual(T0);
    let (e, s) = boot(dir.path(), &clock);
    let a = e.add_account("AKIDids", "key");
    a.create_queue("q1", &QueueConfigUpdate::default()).unwrap();
    a.create_queue("q2", &QueueConfigUpdate::default()).unwrap();
    let old = a.send_message("q1", "x", 0).unwrap();
    let q2_id = a.send_message("q2", "y", 0).unwrap();
    let m = recv(&a, "q1").await;
    a.delete_message("q1", &m.receipt_handle).unwrap();
    a.delete_queue("q2").unwrap();
    let (e, s, _) = restart(dir.path(), e, s);
    let a = e.account("AKIDids").unwrap();
    let new = a.send_message("q1", "x", 0).unwrap();
    assert_eq!(new.parse::<u64>().unwrap(), old.parse::<u64>().unwrap() + 1);
    let m2 = recv(&a, "q1").await;
    assert_ne!(m2.receipt_handle, m.receipt_handle);
    assert_eq!(
        a.delete_message("q1", &m.receipt_handle).unwrap_err().kind,
        ErrorKind::InvalidReceiptHandle
    );
    a.create_queue("q3", &QueueConfigUpdate::default()).unwrap();
    let q3_id: u64 = a.send_message("q3", "z", 0).unwrap().parse().unwrap();
    assert!(
        q3_id >> 40 > q2_id.parse::<u64>().unwrap() >> 40,
        "queue uids are not reused"
    );
    s.close();
}

#[tokio::test]
async fn dead_letters_and_bindings_survive() {
    let dir = TempDir::new("dead");
    let clock = Clock::manual(T0);
    let (e, s) = boot(dir.path(), &clock);
    let a = e.add_account("AKIDdl", "key");
    a.create_queue("dl", &QueueConfigUpdate::default()).unwrap();
    let policy0 = DeadLetterPolicy::receive_count("DL", 1);
    let u = update(|u| {
        u.visibility_timeout = Some(10);
        u.dead_letter_policy = Some(policy0);
    });
    a.create_queue("src", &u).unwrap();
    let u = update(|u| u.dead_letter_policy = Some(DeadLetterPolicy::time_to_live("dl", 300)));
    a.create_queue("src2", &u).unwrap();
    let moved_id = a.send_message("src", "one", 0).unwrap();
    a.send_message("src2", "ttl", 0).unwrap();
    recv(&a, "src").await;
    adv(&clock, 10_000);
    assert_eq!(
        a.get_queue_attributes("dl")
            .unwrap()
            .counters
            .active_msg_num,
        1
    );
    let before = dump(&e);
    let (e, s, clock) = restart(dir.path(), e, s);
    assert_same(&before, &dump(&e));
    let a = e.account("AKIDdl").unwrap();
    assert_eq!(
        a.delete_queue("dl").unwrap_err().kind,
        ErrorKind::DeleteDeadLetterQueueNotAllowed
    );
    let m = recv(&a, "dl").await;
    assert_eq!((m.msg_id, m.msg_body.as_str()), (moved_id, "one"));
    a.delete_message("dl", &m.receipt_handle).unwrap();
    // The bindings still act: policy 1 moves "ttl" at 300 s, policy 0 a new message.
    adv(&clock, 290_000);
    assert_eq!(recv(&a, "dl").await.msg_body, "ttl");
    a.send_message("src", "two", 0).unwrap();
    recv(&a, "src").await;
    adv(&clock, 10_000);
    assert_eq!(recv(&a, "dl").await.msg_body, "two");
    let before = dump(&e);
    let (e, s, _) = restart(dir.path(), e, s);
    assert_same(&before, &dump(&e));
    s.close();
}

#[tokio::test]
async fn rewind_retained_messages_survive_and_rewind_after_a_restart() {
    let dir = TempDir::new("rewind");
    let clock = Clock::manual(T0);
    let (e, s) = boot(dir.path(), &clock);
    let a = e.add_account("AKIDrw", "key");
    a.create_queue("q", &update(|u| u.rewind_seconds = Some(3600)))
        .unwrap();
    for b in ["a", "b", "c"] {
        a.send_message("q", b, 0).unwrap();
        adv(&clock, 1_000);
    }
    for _ in 0..3 {
        let m = recv(&a, "q").await;
        a.delete_message("q", &m.receipt_handle).unwrap();
    }
    let (e, s, clock) = restart(dir.path(), e, s);
    let a = e.account("AKIDrw").unwrap();
    assert_eq!(
        a.get_queue_attributes("q").unwrap().counters.rewind_msg_num,
        3
    );
    a.rewind_queue("q", T0 / 1000 + 1).unwrap();
    let before = dump(&e);
    let (e, s, _) = restart(dir.path(), e, s);
    assert_same(&before, &dump(&e));
    let a = e.account("AKIDrw").unwrap();
    assert_eq!(recv(&a, "q").await.msg_body, "b");
    assert_eq!(recv(&a, "q").await.msg_body, "c");
    // Turning rewind off drops the retained messages, on disk too.
    a.set_queue_attributes("q", &update(|u| u.rewind_seconds = Some(0)))
        .unwrap();
    drop(clock);
    let (e, s, _) = restart(dir.path(), e, s);
    assert_eq!(
        e.account("AKIDrw")
            .unwrap()
            .get_queue_attributes("q")
            .unwrap()
            .counters
            .rewind_msg_num,
        0
    );
    drop(e);
    s.close();
    assert_eq!(rows(&dir, "messages"), 2, "b and c, in flight");
}

#[tokio::test]
async fn retention_removes_messages_from_the_store_too() {
    let dir = TempDir::new("retention");
    let clock = Clock::manual(T0);
    let (e, s) = boot(dir.path(), &clock);
    let a = e.add_account("AKIDret", "key");
    a.create_queue("q", &update(|u| u.msg_retention_seconds = Some(60)))
        .unwrap();
    for i in 0..5 {
        a.send_message("q", format!("m{i}"), 0).unwrap();
    }
    adv(&clock, 30_000);
    a.send_message("q", "young", 0).unwrap();
    adv(&clock, 31_000);
    assert_eq!(
        a.get_queue_attributes("q").unwrap().counters.active_msg_num,
        1
    );
    drop(a);
    drop(e);
    s.close();
    assert_eq!(rows(&dir, "messages"), 1);
}

#[tokio::test]
async fn deleted_names_stay_blocked_across_a_restart() {
    let dir = TempDir::new("block");
    let clock = Clock::manual(T0);
    let (e, s) = boot_with(dir.path(), &clock, Limits::default());
    let a = e.add_account("AKIDblk", "key");
    a.create_queue("q", &QueueConfigUpdate::default()).unwrap();
    a.create_topic(&CreateTopic {
        name: "t".into(),
        ..CreateTopic::default()
    })
    .unwrap();
    a.delete_queue("q").unwrap();
    a.delete_topic("t").unwrap();
    let block = crate::engine::ms_of(Limits::default().recreate_block);
    adv(&clock, block / 2);
    let now = e.clock().now_ms();
    drop(e);
    s.close();
    let clock = Clock::manual(now);
    let (e, s) = boot_with(dir.path(), &clock, Limits::default());
    let a = e.account("AKIDblk").unwrap();
    let none = QueueConfigUpdate::default();
    assert_eq!(
        a.create_queue("Q", &none).unwrap_err().kind,
        ErrorKind::QueueReleasing
    );
    let t = CreateTopic {
        name: "T".into(),
        ..CreateTopic::default()
    };
    assert_eq!(
        a.create_topic(&t).unwrap_err().kind,
        ErrorKind::TopicReleasing
    );
    adv(&clock, block - block / 2);
    a.create_queue("Q", &none).unwrap();
    a.create_topic(&t).unwrap();
    s.close();
}

#[tokio::test]
async fn accounts_topics_and_subscriptions_survive() {
    let dir = TempDir::new("topics");
    let clock = Clock::manual(T0);
    let (e, s) = boot(dir.path(), &clock);
    let a = e.add_account("AKIDfirst", "k1");
    let b = e.add_account("AKIDsecond", "k2");
    e.add_account("AKIDsecond", "k2-new");
    a.create_queue("inbox", &QueueConfigUpdate::default())
        .unwrap();
    for (name, filter) in [("tags", 1), ("keys", 2)] {
        let t = CreateTopic {
            name: name.into(),
            max_msg_size: Some(4096),
            filter_type: Some(filter),
        };
        a.create_topic(&t).unwrap();
    }
    b.create_topic(&CreateTopic {
        name: "other".into(),
        ..CreateTopic::default()
    })
    .unwrap();
    let mut sub = Subscribe::new("toq", Protocol::Queue, "inbox");
    sub.filter_tags = vec!["x".into()];
    a.subscribe("tags", &sub).unwrap();
    let mut sub = Subscribe::new("bykey", Protocol::Queue, "inbox");
    sub.binding_keys = vec!["a.*".into()];
    a.subscribe("keys", &sub).unwrap();
    adv(&clock, 2_000);
    a.set_topic_attributes("tags", Some(8192)).unwrap();
    let change = SubscriptionUpdate {
        binding_keys: Some(vec!["a.#".into(), "b".into()]),
        ..SubscriptionUpdate::default()
    };
    a.set_subscription_attributes("keys", "bykey", &change)
        .unwrap();
    a.clear_subscription_filter_tags("tags", "toq").unwrap();
    let id1: u64 = a.publish("tags", "hi", &[], None).unwrap().parse().unwrap();
    let before = dump(&e);
    let (e, s, _) = restart(dir.path(), e, s);
    assert_same(&before, &dump(&e));
    assert_eq!(e.default_account().unwrap().secret_id(), "AKIDfirst");
    let a = e.account("AKIDfirst").unwrap();
    let id2: u64 = a
        .publish("keys", "k", &[], Some("a.b.c"))
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        id2 > id1,
        "topic message ids keep growing: {id1} then {id2}"
    );
    assert_eq!(a.inspect_queue("inbox").unwrap().active.len(), 2);
    s.close();
}

#[tokio::test]
async fn resets_and_removed_accounts_are_written() {
    let dir = TempDir::new("reset");
    let clock = Clock::manual(T0);
    let (e, s) = boot(dir.path(), &clock);
    let a = e.add_account("AKIDkeep", "k");
    let b = e.add_account("AKIDgone", "k");
    a.create_queue("q", &QueueConfigUpdate::default()).unwrap();
    a.send_message("q", "m", 0).unwrap();
    b.create_queue("q", &QueueConfigUpdate::default()).unwrap();
    e.remove_account("AKIDgone");
    e.reset();
    let (e, s, _) = restart(dir.path(), e, s);
    assert_eq!(e.account_ids(), vec!["AKIDkeep".to_owned()]);
    assert!(e.account("AKIDkeep").unwrap().queue_names().is_empty());
    drop(e);
    s.close();
    assert_eq!((rows(&dir, "queues"), rows(&dir, "messages")), (0, 0));
}

#[tokio::test]
async fn the_manual_clock_resumes_where_it_stopped() {
    let dir = TempDir::new("clock");
    let clock = Clock::manual(T0);
    let (e, s) = boot(dir.path(), &clock);
    clock.advance(Duration::from_secs(3600));
    drop(e);
    s.close();
    let later = Clock::manual(T0 + 10 * 86_400_000);
    let (_e, s) = boot(dir.path(), &later);
    assert_eq!(later.now_ms(), T0 + 3_600_000);
    s.close();
    // A system-clock run forgets it: a manual run after that starts from its own time.
    let (_e, s) = boot(dir.path(), &Clock::system());
    s.close();
    let again = Clock::manual(T0 + 42);
    let (_e, s) = boot(dir.path(), &again);
    assert_eq!(again.now_ms(), T0 + 42);
    s.close();
}

#[tokio::test]
async fn restored_messages_count_against_the_engine_budget() {
    let dir = TempDir::new("budget");
    let clock = Clock::manual(T0);
    let (e, s) = boot(dir.path(), &clock);
    let a = e.add_account("AKIDbudget", "key");
    a.create_queue("q", &QueueConfigUpdate::default()).unwrap();
    for b in ["a", "b", "c"] {
        a.send_message("q", b, 0).unwrap();
    }
    let now = e.clock().now_ms();
    drop(e);
    s.close();
    // Started again with room for four messages: the three stored ones take three of them,
    // so one more send fits and the next is answered like a full queue.
    let clock = Clock::manual(now);
    let mut limits = Limits::relaxed();
    limits.max_messages = 4;
    let (e, _s) = boot_with(dir.path(), &clock, limits);
    let a = e.account("AKIDbudget").expect("account restored");
    a.send_message("q", "d", 0).unwrap();
    let full = a.send_message("q", "e", 0).unwrap_err();
    assert_eq!(full.kind, ErrorKind::QueueFull, "{full:?}");
    // Nothing stored was lost to the lower budget.
    let c = a.get_queue_attributes("q").unwrap().counters;
    assert_eq!(c.active_msg_num, 4, "{c:?}");
}

#[tokio::test]
async fn a_purged_queue_stays_empty_after_a_restart() {
    let dir = TempDir::new("purge");
    let clock = Clock::manual(T0);
    let (e, s) = boot(dir.path(), &clock);
    let a = e.add_account("AKIDpurge", "key");
    a.create_queue("q", &update(|u| u.rewind_seconds = Some(3600)))
        .unwrap();
    for b in ["a", "b", "c"] {
        a.send_message("q", b, 0).unwrap();
    }
    let r = recv(&a, "q").await;
    a.delete_message("q", &r.receipt_handle).unwrap(); // kept for rewind
    assert_eq!(a.queue("q").unwrap().purge().unwrap(), 3);
    a.send_message("q", "after", 0).unwrap();
    let (e, _s, _clock) = restart(dir.path(), e, s);
    let a = e.account("AKIDpurge").expect("account restored");
    let c = a.get_queue_attributes("q").unwrap().counters;
    assert_eq!((c.active_msg_num, c.rewind_msg_num), (1, 0), "{c:?}");
    assert_eq!(&*recv(&a, "q").await.msg_body, "after");
}
