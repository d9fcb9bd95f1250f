//! Record encoding: keys, checksums, codes, lists; and every record kind written by the writer
//! and read back as the rows it stands for.

use std::sync::Arc;

use super::*;
use crate::engine::{DeadLetterPolicy, QueueConfig};
use crate::store::records::*;
use crate::store::{Opened, Recovered};

/// CRC-32 (IEEE, reflected, 0xEDB88320), bit by bit: an independent check of `body_crc`.
fn crc32_reference(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn keys_split_back_and_order_queue_by_queue() {
    for (uid, seq) in [(1, 1), (7, 123_456), (u32::MAX >> 9, (1 << 40) - 1)] {
        assert_eq!(split_key(msg_key(uid, seq)), (uid, seq));
    }
    assert!(msg_key(1, (1 << 40) - 1) < msg_key(2, 1));
    assert!(msg_key(2, 1) < msg_key(2, 2));
    assert_eq!(queue_start(3), msg_key(3, 0));
    assert!(msg_key(3, 5) < queue_start(4));
}

#[test]
fn body_checksum_is_crc32_of_id_time_and_body() {
    assert_eq!(
        crc32_reference(b"123456789"),
        0xCBF4_3926,
        "the reference is CRC-32"
    );
    let mut bytes = 42u64.to_le_bytes().to_vec();
    bytes.extend_from_slice(&T0.to_le_bytes());
    bytes.extend_from_slice("héllo".as_bytes());
    assert_eq!(body_crc(42, T0, "héllo"), crc32_reference(&bytes));
    assert_ne!(body_crc(42, T0, "hello"), body_crc(43, T0, "hello"));
    assert_ne!(body_crc(42, T0, "hello"), body_crc(42, T0 + 1, "hello"));
}

#[test]
fn state_codes_and_lists() {
    for s in [
        RowState::Active,
        RowState::Inflight,
        RowState::Delayed,
        RowState::Deleted,
    ] {
        assert_eq!(RowState::from_code(s as i64), Some(s));
    }
    assert_eq!(RowState::from_code(4), None);
    assert_eq!(RowState::from_code(-1), None);
    let l = vec!["a".to_owned(), "b,c\"".to_owned(), String::new()];
    assert_eq!(list_from_text(&list_to_text(&l)), Ok(l));
    assert_eq!(list_to_text(&[]), "[]");
    assert!(list_from_text("{\"x\":1}").is_err());
}

fn msg(uid: u32, seq: u64, state: RowState, body: &str) -> MsgRow {
    MsgRow {
        uid,
        seq,
        msg_id: (u64::from(uid) << 40) | seq,
        enqueue_ms: T0 + seq,
        first_dequeue_ms: 0,
        visible_ms: T0 + seq,
        dequeue_count: 0,
        generation: 0,
        state,
        ttl_exempt: false,
        body: body.into(),
    }
}

fn queue(uid: u32, name: &str) -> QueueRow {
    QueueRow {
        uid,
        account: "AKIDrec".into(),
        name: name.into(),
        queue_id: format!("queue-{name}"),
        create_seq: u64::from(uid),
        create_ms: T0,
        modify_ms: T0,
        rule_since_ms: T0,
        next_seq: 1,
        last_enqueue_ms: 0,
        config: QueueConfig::default(),
    }
}

/// Writes `records`, closes, reopens: (everything but messages, the messages).
fn round_trip(records: Vec<Record>) -> (Recovered, Vec<MsgRow>) {
    let dir = TempDir::new("records");
    let store = Opened::open(dir.path()).unwrap().start().unwrap();
    for r in records {
        store.log().submit(r);
    }
    store.close();
    let opened = Opened::open(dir.path()).unwrap();
    let rec = opened.load().unwrap();
    let mut msgs = Vec::new();
    opened
        .load_messages(&mut |_, rows| {
            msgs.append(rows);
            Ok(())
        })
        .unwrap();
    (rec, msgs)
}

fn account() -> Record {
    Record::Account(Box::new(AccountRow {
        secret_id: "AKIDrec".into(),
        secret_key: "key".into(),
        app_id: "1250000000".into(),
        next_topic_msg_id: 0,
    }))
}

#[test]
fn message_records_become_the_rows_they_describe() {
    let mut dl = queue(2, "dl");
    dl.config.rewind_seconds = 60;
    let mut src = queue(1, "src");
    src.config.dead_letter_policy = Some(DeadLetterPolicy::receive_count("dl", 3));
    let records = vec![
        account(),
        Record::QueueCreated(Box::new(src)),
        Record::QueueCreated(Box::new(dl)),
        Record::MsgPut(msg(1, 1, RowState::Active, "expired")),
        Record::MsgPut(msg(1, 2, RowState::Active, "received")),
        Record::MsgPut(msg(1, 3, RowState::Delayed, "delayed")),
        Record::MsgPut(msg(1, 4, RowState::Active, "moved")),
        Record::MsgPut(msg(2, 1, RowState::Active, "retained")),
        Record::MsgPut(msg(2, 2, RowState::Active, "rewound")),
        Record::Expired {
            uid: 1,
            below_seq: 2,
        },
        Record::MsgReceived {
            uid: 1,
            seq: 2,
            visible_ms: T0 + 30_000,
            first_dequeue_ms: T0 + 5,
            dequeue_count: 1,
            generation: 1,
        },
        Record::MsgMoved {
            from_uid: 1,
            from_seq: 4,
            row: msg(2, 3, RowState::Active, "moved"),
        },
        Record::MsgRetained { uid: 2, seq: 1 },
        Record::MsgRetained { uid: 2, seq: 2 },
        Record::Rewound {
            uid: 2,
            restore_from: Some(2),
            now_ms: T0 + 9,
            ttl_ms: Some(1),
        },
    ];
    let (rec, msgs) = round_trip(records);
    let got: Vec<(u32, u64, RowState, &str, u64, u32, bool)> = msgs
        .iter()
        .map(|m| {
            (
                m.uid,
                m.seq,
                m.state,
                &*m.body,
                m.visible_ms,
                m.generation,
                m.ttl_exempt,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (1, 2, RowState::Inflight, "received", T0 + 30_000, 1, false),
            (1, 3, RowState::Delayed, "delayed", T0 + 3, 0, false),
            (2, 1, RowState::Deleted, "retained", T0 + 1, 0, false),
            (2, 2, RowState::Active, "rewound", T0 + 9, 0, true),
            (2, 3, RowState::Active, "moved", T0 + 3, 0, false),
        ]
    );
    assert_eq!(msgs[0].first_dequeue_ms, T0 + 5);
    let seqs: Vec<(u32, u64)> = rec.queues.iter().map(|q| (q.uid, q.next_seq)).collect();
    assert_eq!(
        seqs,
        vec![(1, 5), (2, 4)],
        "next_seq follows every stored message"
    );
    assert_eq!(rec.next_queue_uid, 3);
    assert_eq!(
        rec.queues[0].config.dead_letter_policy,
        Some(DeadLetterPolicy::receive_count("dl", 3))
    );
}

fn topic_row() -> TopicRow {
    TopicRow {
        topic_id: "topic-1".into(),
        account: "AKIDrec".into(),
        name: "T".into(),
        filter_type: 2,
        create_ms: T0,
        modify_ms: T0 + 1,
        seq: 0,
        max_msg_size: 2048,
    }
}

fn sub_row() -> SubRow {
    SubRow {
        sub_id: "subscription-1".into(),
        topic_id: "topic-1".into(),
        name: "s".into(),
        protocol: "http".into(),
        endpoint: "http://127.0.0.1:9/x".into(),
        strategy: "BACKOFF_RETRY".into(),
        format: "JSON".into(),
        filter_tags: vec!["t1".into()],
        binding_keys: vec!["a.#".into()],
        create_ms: T0,
        modify_ms: T0,
    }
}

fn push_row() -> PushRow {
    PushRow {
        sub_id: Arc::from("subscription-1"),
        msg_id: "1000".into(),
        body: "pushed".into(),
        tags: vec!["t1".into()],
        publish_ms: T0,
        expires_ms: T0 + 86_400_000,
        attempts: 0,
        next_attempt_ms: None,
    }
}

#[test]
fn control_records_become_the_rows_they_describe() {
    let (topic, sub, push) = (topic_row(), sub_row(), push_row());
    let mut changed_sub = sub.clone();
    changed_sub.strategy = "EXPONENTIAL_DECAY_RETRY".into();
    let records = vec![
        account(),
        Record::TopicPut(Box::new(topic.clone())),
        Record::SubPut(Box::new(sub)),
        Record::SubPut(Box::new(changed_sub.clone())),
        Record::PushPut(Box::new(push.clone())),
        Record::PushRetry {
            sub_id: Arc::from("subscription-1"),
            msg_id: "1000".into(),
            attempts: 2,
            next_attempt_ms: T0 + 20_000,
        },
        Record::TopicMsgIds {
            account: "AKIDrec".into(),
            next: 1001,
        },
        Record::ManualClock(Some(T0 + 77)),
        Record::QueueCreated(Box::new(queue(5, "gone"))),
        Record::QueueDeleted {
            uid: 5,
            account: "AKIDrec".into(),
            key: "gone".into(),
            at_ms: T0 + 3,
        },
    ];
    let (rec, msgs) = round_trip(records);
    assert!(msgs.is_empty());
    assert_eq!(rec.topics, vec![topic]);
    assert_eq!(rec.subs, vec![changed_sub]);
    let expected = PushRow {
        attempts: 2,
        next_attempt_ms: Some(T0 + 20_000),
        ..push
    };
    assert_eq!(rec.push, vec![expected]);
    assert_eq!(rec.accounts[0].next_topic_msg_id, 1001);
    assert_eq!(rec.manual_clock_ms, Some(T0 + 77));
    assert!(rec.queues.is_empty());
    assert_eq!(rec.next_queue_uid, 6);
    assert_eq!(
        rec.deleted,
        vec![DeletedRow {
            account: "AKIDrec".into(),
            kind: NameKind::Queue,
            key: "gone".into(),
            at_ms: T0 + 3
        }]
    );
}

fn extras_put(kind: NameKind, id: &str, trace: bool) -> Record {
    let extras = crate::protocol::v3::extras::Extras {
        tags: vec![("env".into(), id.into())],
        trace: Some(trace),
        ..Default::default()
    };
    Record::ExtrasPut {
        kind,
        id: id.into(),
        json: extras.to_json(),
    }
}

#[test]
fn api3_settings_are_kept_while_their_resource_is() {
    let mut t2 = topic_row();
    t2.topic_id = "topic-2".into();
    t2.name = "T2".into();
    let records = vec![
        account(),
        Record::QueueCreated(Box::new(queue(1, "kept"))),
        Record::QueueCreated(Box::new(queue(2, "deleted"))),
        Record::TopicPut(Box::new(topic_row())),
        Record::TopicPut(Box::new(t2)),
        extras_put(NameKind::Queue, "queue-kept", true),
        // A later change replaces the row.
        extras_put(NameKind::Queue, "queue-kept", false),
        extras_put(NameKind::Queue, "queue-deleted", true),
        extras_put(NameKind::Topic, "topic-1", true),
        extras_put(NameKind::Topic, "topic-2", true),
        // Not stored: no such queue (deleted before its settings were written), and a topic id
        // given as a queue's.
        extras_put(NameKind::Queue, "queue-never", true),
        extras_put(NameKind::Queue, "topic-1", true),
        Record::QueueDeleted {
            uid: 2,
            account: "AKIDrec".into(),
            key: "deleted".into(),
            at_ms: T0,
        },
        Record::TopicDeleted {
            account: "AKIDrec".into(),
            key: "t2".into(),
            topic_id: "topic-2".into(),
            at_ms: T0,
        },
    ];
    let (rec, _) = round_trip(records.clone());
    let got: Vec<_> = rec
        .extras
        .iter()
        .map(|(id, x)| (id.as_str(), x.trace, x.tags[0].1.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("queue-kept", Some(false), "queue-kept"),
            ("topic-1", Some(true), "topic-1")
        ]
    );
    // An account reset takes every queue's and topic's settings with it.
    let mut reset = records;
    reset.push(Record::AccountReset {
        secret_id: "AKIDrec".into(),
    });
    let (rec, _) = round_trip(reset);
    assert!(rec.extras.is_empty(), "{:?}", rec.extras);
}

/// Where a restart's time goes (run explicitly, in release mode): `cargo test --release -p
/// cmq-mock --lib store::tests::records::restart_phases -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement, run explicitly"]
fn restart_phases() {
    use std::time::Instant;
    let dir = TempDir::new("phases");
    let store = Opened::open(dir.path()).unwrap().start().unwrap();
    store.log().submit(account());
    store
        .log()
        .submit(Record::QueueCreated(Box::new(queue(1, "q"))));
    for seq in 1..=1_000_000 {
        store.log().submit(Record::MsgPut(msg(
            1,
            seq,
            RowState::Active,
            "0123456789abcdef",
        )));
    }
    store.close();
    let t = Instant::now();
    let opened = Opened::open(dir.path()).unwrap();
    let open = t.elapsed();
    let t = Instant::now();
    let n = opened.load_messages(&mut |_, rows| {
        rows.clear();
        Ok(())
    });
    let scan = t.elapsed();
    let t = Instant::now();
    let mut count = 0;
    crate::store::recover::load_messages(&opened.conn, &dir.file(), &mut |_, rows| {
        count += rows.len();
        rows.clear();
        Ok(())
    })
    .unwrap();
    let direct = t.elapsed();
    let t = Instant::now();
    let mut stmt = opened.conn.prepare("SELECT key, msg_id, enqueue_ms, first_dequeue_ms, visible_ms, dequeue_count, generation, state, flags, crc, body FROM messages ORDER BY key").unwrap();
    let mut q = stmt.query([]).unwrap();
    let mut sum = 0i64;
    while let Some(r) = q.next().unwrap() {
        for i in 0..10 {
            sum = sum.wrapping_add(r.get::<_, i64>(i).unwrap());
        }
        sum = sum.wrapping_add(r.get_ref(10).unwrap().as_str().unwrap().len() as i64);
    }
    let raw = t.elapsed();
    drop(q);
    drop(stmt);
    println!(
        "direct (no second thread) {count} rows {direct:?}; bare column reads {raw:?} ({sum})"
    );
    let clock = Clock::manual(T0);
    let engine = Engine::with_limits(clock.clone(), Limits::relaxed());
    drop(opened);
    let t = Instant::now();
    let _store = attach(&engine, &clock, dir.path()).unwrap();
    let all = t.elapsed();
    println!(
        "open + quick_check {open:?}; read and check {n:?} rows {scan:?}; whole restart {all:?}"
    );
}
