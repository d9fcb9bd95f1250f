//! End to end under load: many producers and consumers over HTTP at once. Every message must be
//! delivered, none twice inside its visibility window, and the counters must end at zero.

mod common;
use common::*;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use cmq_mock::Clock;
use cmq_mock::CmqMock;
use cmq_sdk::{Client, Message, Queue};
use tokio::sync::Mutex;

const PRODUCERS: usize = 8;
const PER_PRODUCER: usize = 250;
const CONSUMERS: usize = 8;
const TOTAL: usize = PRODUCERS * PER_PRODUCER;
/// A hang guard (real time) for each wait; it never judges speed, which benchmarks measure.
const GUARD: Duration = Duration::from_secs(300);

/// One receipt as a consumer saw it.
#[derive(Clone, Debug)]
struct Receipt {
    consumer: usize,
    msg: Message,
}

async fn produce(q: Queue, p: usize) {
    // Half the producers send one by one, the other half in batches of up to 16.
    if p % 2 == 0 {
        for j in 0..PER_PRODUCER {
            q.send(format!("p{p}-{j}")).await.expect("send");
        }
    } else {
        let bodies: Vec<String> = (0..PER_PRODUCER).map(|j| format!("p{p}-{j}")).collect();
        for chunk in bodies.chunks(16) {
            let ids = q.batch_send(chunk.to_vec()).await.expect("batch send");
            assert_eq!(ids.len(), chunk.len());
        }
    }
}

/// Every message exactly once, never redelivered, unique ids, each producer's messages in its
/// own order, the load shared by several consumers.
fn check_receipts(received: &[Receipt]) {
    assert_eq!(received.len(), TOTAL, "every message exactly once");
    let mut by_body: HashMap<&str, usize> = HashMap::new();
    for r in received.iter() {
        *by_body.entry(r.msg.body.as_str()).or_default() += 1;
        assert_eq!(r.msg.dequeue_count, 1, "redelivered: {r:?}");
    }
    assert_eq!(by_body.len(), TOTAL);
    assert!(by_body.values().all(|&n| n == 1));
    for p in 0..PRODUCERS {
        for j in 0..PER_PRODUCER {
            assert!(
                by_body.contains_key(format!("p{p}-{j}").as_str()),
                "lost p{p}-{j}"
            );
        }
    }
    let ids: HashSet<&str> = received.iter().map(|r| r.msg.msg_id.as_str()).collect();
    assert_eq!(ids.len(), TOTAL, "msgIds are unique");
    // Each producer's messages come out in its own order (one queue, production order), even
    // though many consumers take them.
    let mut last_seen: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut ordered: Vec<&Receipt> = received.iter().collect();
    ordered.sort_by_key(|r| r.msg.msg_id.parse::<u128>().unwrap_or(u128::MAX));
    for r in ordered {
        let (p, j) = r.msg.body[1..].split_once('-').expect("body");
        let p: usize = p.parse().expect("producer");
        let j: usize = j.parse().expect("index");
        last_seen.entry(p).or_default().push(j);
    }
    for (p, seq) in last_seen {
        assert!(
            seq.windows(2).all(|w| w[0] < w[1]),
            "producer {p} out of order"
        );
    }
    let consumers_used: HashSet<usize> = received.iter().map(|r| r.consumer).collect();
    assert!(consumers_used.len() > 1, "the load was shared");
}

/// A consumer: receives in batches (1 s long polls), records and deletes, until everything is
/// consumed; returns how many polls came back empty.
async fn consume(
    q: Queue,
    i: usize,
    received: Arc<Mutex<Vec<Receipt>>>,
    count: Arc<AtomicUsize>,
    done: Arc<AtomicBool>,
) -> usize {
    let mut empty_polls = 0usize;
    while !done.load(Ordering::Acquire) {
        let got = q.batch_receive(16, Some(1)).await.expect("batch receive");
        if got.is_empty() {
            empty_polls += 1;
            continue;
        }
        let handles: Vec<String> = got.iter().map(|m| m.receipt_handle.clone()).collect();
        let n = got.len();
        received
            .lock()
            .await
            .extend(got.into_iter().map(|msg| Receipt { consumer: i, msg }));
        let report = q.batch_delete(handles).await.expect("batch delete");
        assert!(report.is_complete(), "{report:?}");
        if count.fetch_add(n, Ordering::AcqRel) + n >= TOTAL {
            done.store(true, Ordering::Release);
        }
    }
    empty_polls
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn producers_and_consumers_lose_nothing_and_duplicate_nothing() {
    // A manual clock that does not move during the exchange: no visibility timeout can pass,
    // however slow the machine, so any second delivery of a message is a real duplicate.
    let mock = CmqMock::builder()
        .clock(Clock::manual(wall_secs() * 1000))
        .queue("work")
        .start()
        .await
        .expect("mock");
    let c = client(&mock);
    let received = Arc::new(Mutex::new(Vec::<Receipt>::with_capacity(TOTAL)));
    let count = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));

    // Consumers first: they long-poll an empty queue and are woken by the producers.
    let mut consumers = Vec::new();
    for i in 0..CONSUMERS {
        let q = c.queue("work");
        let received = received.clone();
        let count = count.clone();
        let done = done.clone();
        consumers.push(tokio::spawn(consume(q, i, received, count, done)));
    }
    let mut producers = Vec::new();
    for p in 0..PRODUCERS {
        producers.push(tokio::spawn(produce(c.queue("work"), p)));
    }
    for p in producers {
        tokio::time::timeout(GUARD, p)
            .await
            .expect("producers hang")
            .expect("producer");
    }
    // Once everything is consumed, the consumers still waiting in a long poll are answered
    // "no message" by moving the clock past their wait (1 s); they see `done` and stop.
    tokio::time::timeout(GUARD, async {
        while !consumers.iter().all(|h| h.is_finished()) {
            if done.load(Ordering::Acquire) && mock.engine().waiting_receives() > 0 {
                mock.clock().advance(Duration::from_secs(1));
            }
            // A driver's poll interval, not a judgement of speed.
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })
    .await
    .expect("consumers hang");
    for h in consumers {
        h.await.expect("consumer");
    }

    check_receipts(&received.lock().await);
    let a = c.queue("work").attributes().await.expect("attributes");
    assert_eq!(
        [
            a.active_msg_num,
            a.inactive_msg_num,
            a.delay_msg_num,
            a.rewind_msg_num,
            a.min_msg_time
        ],
        [0; 5]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn undeleted_messages_come_back_once_after_the_visibility_timeout() {
    // A manual clock: consumers take everything and delete only the even messages; nothing is
    // delivered again until the visibility timeout ends, then the odd ones come back exactly once.
    let t0 = wall_secs();
    let mock = CmqMock::builder()
        .clock(Clock::manual(t0 * 1000))
        .queue_with(serde_json::json!({"queueName": "work", "visibilityTimeout": 30}))
        .start()
        .await
        .expect("mock");
    let c = client(&mock);
    const N: usize = 400;
    let mut producers = Vec::new();
    for p in 0..4 {
        let q = c.queue("work");
        producers.push(tokio::spawn(async move {
            for chunk in (0..N / 4).collect::<Vec<_>>().chunks(16) {
                let bodies: Vec<String> =
                    chunk.iter().map(|j| (p * N / 4 + j).to_string()).collect();
                q.batch_send(bodies).await.expect("send");
            }
        }));
    }
    for p in producers {
        p.await.expect("producer");
    }
    let first_round = drain(&c, 8).await;
    assert_eq!(first_round.len(), N);
    let mut kept = HashSet::new();
    let mut deletes = Vec::new();
    for m in &first_round {
        assert_eq!(
            (m.dequeue_count, m.next_visible_time),
            (1, i64::try_from(t0).unwrap_or(0) + 30)
        );
        let n: usize = m.body.parse().expect("number");
        if n % 2 == 0 {
            deletes.push(m.receipt_handle.clone());
        } else {
            kept.insert(m.msg_id.clone());
        }
    }
    let q = c.queue("work");
    for chunk in deletes.chunks(16) {
        assert!(
            q.batch_delete(chunk.to_vec())
                .await
                .expect("delete")
                .is_complete()
        );
    }
    // Inside the window nothing comes back, however many consumers ask.
    assert!(drain(&c, 8).await.is_empty());
    mock.clock().advance(Duration::from_millis(29_999));
    assert!(drain(&c, 8).await.is_empty());
    mock.clock().advance(Duration::from_millis(1));
    let second_round = drain(&c, 8).await;
    assert_eq!(second_round.len(), N / 2);
    let ids: HashSet<String> = second_round.iter().map(|m| m.msg_id.clone()).collect();
    assert_eq!(ids, kept);
    assert!(second_round.iter().all(|m| m.dequeue_count == 2));
    for chunk in second_round.chunks(16) {
        let handles: Vec<String> = chunk.iter().map(|m| m.receipt_handle.clone()).collect();
        assert!(q.batch_delete(handles).await.expect("delete").is_complete());
    }
    let a = q.attributes().await.expect("attributes");
    assert_eq!(
        [a.active_msg_num, a.inactive_msg_num, a.delay_msg_num],
        [0; 3]
    );
}

/// `consumers` tasks receive (without waiting) until the queue answers "no message"; returns all
/// they got.
async fn drain(c: &Client, consumers: usize) -> Vec<Message> {
    let mut tasks = Vec::new();
    for _ in 0..consumers {
        let q = c.queue("work");
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            loop {
                let batch = q.batch_receive(16, Some(0)).await.expect("receive");
                if batch.is_empty() {
                    return got;
                }
                got.extend(batch);
            }
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("consumer"));
    }
    let unique: HashSet<&str> = all.iter().map(|m| m.msg_id.as_str()).collect();
    assert_eq!(
        unique.len(),
        all.len(),
        "a message was handed to two consumers"
    );
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_publishers_fan_out_every_message_to_every_queue() {
    let mock = CmqMock::builder()
        .queue("a")
        .queue("b")
        .topic_with(serde_json::json!({"topicName": "t"}))
        .subscription_with(serde_json::json!({
            "topicName": "t", "subscriptionName": "to-a", "protocol": "queue", "endpoint": "a"
        }))
        .subscription_with(serde_json::json!({
            "topicName": "t", "subscriptionName": "to-b", "protocol": "queue", "endpoint": "b"
        }))
        .start()
        .await
        .expect("mock");
    let c = client(&mock);
    let mut publishers = Vec::new();
    for p in 0..4 {
        let t = c.topic("t");
        publishers.push(tokio::spawn(async move {
            for j in 0..100 {
                t.publish(format!("{p}-{j}")).await.expect("publish");
            }
        }));
    }
    for p in publishers {
        tokio::time::timeout(GUARD, p)
            .await
            .expect("publishers hang")
            .expect("publisher");
    }
    for queue in ["a", "b"] {
        let q = c.queue(queue);
        let mut bodies = HashSet::new();
        loop {
            let got = q.batch_receive(16, Some(0)).await.expect("receive");
            if got.is_empty() {
                break;
            }
            for m in got {
                assert!(bodies.insert(m.body.clone()), "{queue}: {} twice", m.body);
            }
        }
        assert_eq!(bodies.len(), 400, "{queue}");
    }
    let enqueued = mock
        .deliveries()
        .matching(|r| matches!(r.outcome, cmq_mock::DeliveryOutcome::Enqueued { .. }));
    assert_eq!(enqueued.len(), 800);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_message_wakes_one_of_many_long_polls() {
    let t0 = wall_secs();
    let mock = CmqMock::builder()
        .clock(Clock::manual(t0 * 1000))
        .queue("work")
        .start()
        .await
        .expect("mock");
    let c = client(&mock);
    let end = t0 * 1000 + 20_000;
    let mut polls = Vec::new();
    for _ in 0..4 {
        let q = c.queue("work");
        polls.push(tokio::spawn(async move { q.receive(Some(20)).await }));
    }
    // All four polls are waiting (the engine counts them), their window end on the clock.
    let started = Instant::now();
    while mock.engine().waiting_receives() < 4 || mock.clock().next_deadline_ms() != Some(end) {
        assert!(started.elapsed() < GUARD, "polls not waiting");
        tokio::task::yield_now().await;
    }
    let q = c.queue("work");
    let mut sent = HashSet::new();
    for round in 1..=4 {
        sent.insert(q.send(format!("m{round}")).await.expect("send"));
        // Exactly `round` polls have answered, each with a message nobody else got.
        let waited = Instant::now();
        loop {
            let finished = polls.iter().filter(|p| p.is_finished()).count();
            assert!(
                finished <= round,
                "{finished} polls answered for {round} messages"
            );
            if finished == round {
                break;
            }
            assert!(waited.elapsed() < GUARD, "no poll woke");
            tokio::task::yield_now().await;
        }
    }
    let mut got = HashSet::new();
    for p in polls {
        let m = p.await.expect("task").expect("receive").expect("a message");
        assert!(got.insert(m.msg_id));
    }
    assert_eq!(got, sent);
    assert_eq!(mock.clock().now_ms(), t0 * 1000);
}
