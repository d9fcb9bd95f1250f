//! Group commit: waiters share syncs; durability is a prefix of the log; a failed commit stops
//! every acknowledgement.

use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::store::records::{AccountRow, MsgRow, Record, RowState};
use crate::store::{Log, Opened};

fn account(n: usize) -> Record {
    Record::Account(Box::new(AccountRow {
        secret_id: format!("AKID{n}"),
        secret_key: "k".into(),
        app_id: "1".into(),
        next_topic_msg_id: 0,
    }))
}

fn msg(seq: u64) -> Record {
    Record::MsgPut(MsgRow {
        uid: 1,
        seq,
        msg_id: seq,
        enqueue_ms: T0,
        first_dequeue_ms: 0,
        visible_ms: T0,
        dequeue_count: 0,
        generation: 0,
        state: RowState::Active,
        ttl_exempt: false,
        body: "b".into(),
    })
}

/// Waits (real time, bounded) until `f` holds.
async fn until(f: impl Fn() -> bool) {
    for _ in 0..5_000 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    panic!("condition not reached");
}

// The gate is a std mutex held on purpose across awaits: it pauses the writer *thread*; no task
// of this runtime takes it.
#[allow(clippy::await_holding_lock)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_waiters_share_one_sync() {
    let dir = TempDir::new("group");
    let store = Opened::open(dir.path()).unwrap().start().unwrap();
    let log = store.log().clone();
    assert!(
        log.durable().await.is_ok(),
        "nothing pending: ready at once"
    );
    let gate = log.gate.lock().unwrap();
    let waiters: Vec<_> = (0..200)
        .map(|n| {
            let log = log.clone();
            tokio::spawn(async move {
                log.submit(account(n));
                log.durable().await
            })
        })
        .collect();
    until(|| log.submitted.load(std::sync::atomic::Ordering::Acquire) == 200).await;
    let commits_before = log.commits();
    let sizes_before = log.group_sizes();
    drop(gate);
    for w in waiters {
        assert_eq!(w.await.unwrap(), Ok(()));
    }
    assert_eq!(
        log.commits() - commits_before,
        1,
        "200 waiters, one commit (one fsync)"
    );
    let sizes = log.group_sizes();
    let last = sizes.len() - 1;
    assert_eq!(
        (sizes[last] - sizes_before[last], sizes.iter().sum::<u64>()),
        (1, log.commits()),
        "the group of 200 counted as the largest size; every commit counted once"
    );
    store.close();
    let c = rusqlite::Connection::open(dir.file()).unwrap();
    let n: i64 = c
        .query_row("SELECT count(*) FROM accounts", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 200);
}

#[allow(clippy::await_holding_lock)] // see above
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiter_waits_for_everything_submitted_before_it() {
    let dir = TempDir::new("prefix");
    let store = Opened::open(dir.path()).unwrap().start().unwrap();
    let log: Arc<Log> = store.log().clone();
    let gate = log.gate.lock().unwrap();
    log.submit(account(1)); // someone else's change, not awaited by its submitter
    log.submit(account(2));
    let mine = {
        let log = log.clone();
        tokio::spawn(async move { log.durable().await })
    };
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(!mine.is_finished(), "not durable while the writer is held");
    drop(gate);
    assert_eq!(mine.await.unwrap(), Ok(()));
    assert!(log.durable.load(std::sync::atomic::Ordering::Acquire) >= 2);
    store.close();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_commit_stops_every_acknowledgement() {
    let dir = TempDir::new("failstop");
    let store = Opened::open(dir.path()).unwrap().start().unwrap();
    let log = store.log().clone();
    log.submit(msg(1));
    assert_eq!(log.durable().await, Ok(()));
    let gate = log.gate.lock().unwrap();
    log.submit(msg(2));
    log.submit(msg(1)); // the same key again: the transaction fails
    let waiter = {
        let log = log.clone();
        tokio::spawn(async move { log.durable().await })
    };
    drop(gate);
    let err = waiter.await.unwrap().unwrap_err();
    assert!(err.contains("UNIQUE"), "{err}");
    log.submit(msg(3));
    assert!(
        log.durable().await.is_err(),
        "nothing is acknowledged after a failure"
    );
    assert!(log.failure().is_some());
    drop(store);
    // Nothing of the failed group reached the file.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let c = rusqlite::Connection::open(dir.file()).unwrap();
    c.busy_timeout(Duration::from_secs(5)).unwrap();
    let n: i64 = c
        .query_row("SELECT count(*) FROM messages", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_after_the_store_closed_are_never_acknowledged() {
    let dir = TempDir::new("closed");
    let store = Opened::open(dir.path()).unwrap().start().unwrap();
    let log = store.log().clone();
    store.close();
    log.submit(account(1));
    assert_eq!(
        log.durable().await,
        Err("the data store is closed".to_owned())
    );
}
