//! Many producers and consumers on a multi-thread runtime.

use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Notify;

use super::*;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap()
}

/// A hang guard only (on the real timer): it never fires when the engine works.
const GUARD: Duration = Duration::from_secs(120);

/// What the consumers of [`every_message_is_delivered_exactly_once`] share: the bodies seen, the
/// count deleted, and the signal that everything was.
type Shared = (Arc<Mutex<HashSet<String>>>, Arc<AtomicUsize>, Arc<Notify>);

/// Receives (30 s long polls) and deletes until `total` messages are deleted; checks each body
/// arrives once, on its first receive. Returns how many this consumer deleted.
async fn consume_and_delete(a: Arc<Account>, (seen, deleted, done): Shared, total: usize) -> usize {
    let mut mine = 0usize;
    loop {
        match a.batch_receive_message("q", 16, Some(30)).await {
            Ok(msgs) => {
                let handles: Vec<String> = {
                    let mut seen = seen.lock().unwrap();
                    msgs.iter()
                        .map(|m| {
                            assert!(seen.insert(m.msg_body.clone()), "duplicate {}", m.msg_body);
                            assert_eq!(m.dequeue_count, 1);
                            m.receipt_handle.clone()
                        })
                        .collect()
                };
                let res = a.batch_delete_message("q", &handles).unwrap();
                assert!(res.iter().all(|r| r.is_ok()));
                mine += handles.len();
                if deleted.fetch_add(handles.len(), Ordering::SeqCst) + handles.len() == total {
                    done.notify_one();
                }
            }
            Err(err) if err.kind == ErrorKind::NoMessage => {
                if deleted.load(Ordering::SeqCst) >= total {
                    return mine;
                }
            }
            Err(err) => panic!("{err:?}"),
        }
    }
}

/// Sends `per` messages as producer `p`: a batch of 10 every 20, single sends otherwise.
async fn produce(a: Arc<Account>, p: usize, per: usize) {
    let mut i = 0;
    while i < per {
        if i % 20 == 0 {
            let batch: Vec<String> = (i..i + 10).map(|j| format!("p{p}-m{j}")).collect();
            a.batch_send_message("q", batch, 0).unwrap();
            i += 10;
        } else {
            a.send_message("q", format!("p{p}-m{i}"), 0).unwrap();
            i += 1;
        }
        if i % 50 == 0 {
            tokio::task::yield_now().await;
        }
    }
}

/// Releases the consumers still long-polling (their windows end) and sums what they deleted. A
/// consumer may start a new long poll just after an advance, so this keeps advancing until each
/// one has returned.
async fn release(e: &Engine, consumers: Vec<tokio::task::JoinHandle<usize>>) -> usize {
    let mut total = 0;
    let deadline = tokio::time::Instant::now() + GUARD;
    for mut c in consumers {
        loop {
            adv(e, 30_000);
            match tokio::time::timeout(Duration::from_millis(20), &mut c).await {
                Ok(r) => {
                    total += r.unwrap();
                    break;
                }
                Err(_) => assert!(
                    tokio::time::Instant::now() < deadline,
                    "a consumer never returned"
                ),
            }
        }
    }
    total
}

#[test]
fn every_message_is_delivered_exactly_once() {
    const PRODUCERS: usize = 8;
    const PER_PRODUCER: usize = 500;
    const CONSUMERS: usize = 8;
    const TOTAL: usize = PRODUCERS * PER_PRODUCER;
    runtime().block_on(async {
        let (e, a) = setup();
        create(&a, "q", |u| u.visibility_timeout = Some(43_200));
        let seen = Arc::new(Mutex::new(HashSet::new()));
        let deleted = Arc::new(AtomicUsize::new(0));
        let done = Arc::new(Notify::new());
        let consumers: Vec<_> = (0..CONSUMERS)
            .map(|_| {
                let shared = (seen.clone(), deleted.clone(), done.clone());
                tokio::spawn(consume_and_delete(a.clone(), shared, TOTAL))
            })
            .collect();
        let producers: Vec<_> = (0..PRODUCERS)
            .map(|p| tokio::spawn(produce(a.clone(), p, PER_PRODUCER)))
            .collect();
        tokio::time::timeout(GUARD, async {
            for p in producers {
                p.await.unwrap();
            }
            done.notified().await;
        })
        .await
        .expect("all messages consumed");
        let total = release(&e, consumers).await;
        assert_eq!(total, TOTAL);
        assert_eq!(seen.lock().unwrap().len(), TOTAL);
        assert_eq!(counters(&a, "q"), QueueCounters::default());
    });
}

/// Receives from source `s` without deleting until `total` messages were received over all
/// sources.
async fn receive_only(a: Arc<Account>, s: usize, received: Arc<AtomicUsize>, total: usize) {
    while received.load(Ordering::SeqCst) < total {
        match a
            .batch_receive_message(&format!("src{s}"), 16, Some(0))
            .await
        {
            Ok(m) => {
                received.fetch_add(m.len(), Ordering::SeqCst);
            }
            Err(_) => tokio::task::yield_now().await,
        }
    }
}

/// Receives and deletes from the dead-letter queue until `total` distinct messages were seen;
/// checks none is seen twice.
async fn drain_dlq(a: Arc<Account>, seen: Arc<Mutex<HashSet<String>>>, total: usize) {
    loop {
        match a.batch_receive_message("dlq", 16, Some(0)).await {
            Ok(msgs) => {
                let handles: Vec<String> = msgs
                    .iter()
                    .map(|m| {
                        assert!(seen.lock().unwrap().insert(m.msg_id.clone()));
                        m.receipt_handle.clone()
                    })
                    .collect();
                let res = a.batch_delete_message("dlq", &handles).unwrap();
                assert!(res.iter().all(|r| r.is_ok()));
            }
            Err(_) => {
                if seen.lock().unwrap().len() >= total {
                    return;
                }
                tokio::task::yield_now().await;
            }
        }
    }
}

/// Sources dead-letter into a shared queue while consumers on both sides run in parallel and the
/// clock moves: nothing is lost, nothing is delivered twice from the dead-letter queue, and the
/// source → dead-letter lock order never deadlocks.
#[test]
fn dead_lettering_under_load_loses_nothing() {
    const SOURCES: usize = 3;
    const PER_SOURCE: usize = 300;
    const TOTAL: usize = SOURCES * PER_SOURCE;
    runtime().block_on(async {
        let (e, a) = setup();
        create(&a, "dlq", |_| {});
        for s in 0..SOURCES {
            create(&a, &format!("src{s}"), |u| {
                u.visibility_timeout = Some(5);
                u.dead_letter_policy = Some(DeadLetterPolicy::receive_count("dlq", 1));
            });
        }
        let dead_seen = Arc::new(Mutex::new(HashSet::new()));
        let src_received = Arc::new(AtomicUsize::new(0));
        // Source consumers receive without deleting: each message goes to the DLQ after 5 s.
        let src_consumers: Vec<_> = (0..SOURCES)
            .map(|s| tokio::spawn(receive_only(a.clone(), s, src_received.clone(), TOTAL)))
            .collect();
        let dlq_consumers: Vec<_> = (0..4)
            .map(|_| tokio::spawn(drain_dlq(a.clone(), dead_seen.clone(), TOTAL)))
            .collect();
        let mut ids = HashSet::new();
        for i in 0..PER_SOURCE {
            for s in 0..SOURCES {
                ids.insert(
                    a.send_message(&format!("src{s}"), format!("{s}-{i}"), 0)
                        .unwrap(),
                );
            }
            if i % 25 == 0 {
                adv(&e, 1_000);
                tokio::task::yield_now().await;
            }
        }
        tokio::time::timeout(GUARD, async {
            for c in src_consumers {
                c.await.unwrap();
            }
        })
        .await
        .unwrap();
        adv(&e, 5_000);
        tokio::time::timeout(GUARD, async {
            for c in dlq_consumers {
                c.await.unwrap();
            }
        })
        .await
        .unwrap();
        assert_eq!(*dead_seen.lock().unwrap(), ids);
        for s in 0..SOURCES {
            assert_eq!(counters(&a, &format!("src{s}")), QueueCounters::default());
        }
        assert_eq!(counters(&a, "dlq"), QueueCounters::default());
    });
}
