//! Random operations (sends, receives, deletes, time passing, dead letters, retention, rewinds,
//! setting changes, fan-out) with restarts in between: after every restart the engine shows
//! exactly what it showed before.

use std::time::Duration;

use super::*;
use crate::engine::{Account, CreateTopic, DeadLetterPolicy, QueueConfigUpdate, Subscribe};
use cmq_sdk::generated::types::Protocol;

const ID: &str = "AKIDmodel";
const QUEUES: [&str; 3] = ["a", "b", "dl"];

fn setup(e: &Engine) {
    let a = e.add_account(ID, "key");
    let dl = QueueConfigUpdate {
        msg_retention_seconds: Some(4_000),
        ..QueueConfigUpdate::default()
    };
    a.create_queue("dl", &dl).unwrap();
    let qa = QueueConfigUpdate {
        rewind_seconds: Some(600),
        visibility_timeout: Some(10),
        dead_letter_policy: Some(DeadLetterPolicy::receive_count("dl", 2)),
        ..QueueConfigUpdate::default()
    };
    a.create_queue("a", &qa).unwrap();
    let qb = QueueConfigUpdate {
        msg_retention_seconds: Some(400),
        visibility_timeout: Some(10),
        dead_letter_policy: Some(DeadLetterPolicy::time_to_live("dl", 300)),
        ..QueueConfigUpdate::default()
    };
    a.create_queue("b", &qb).unwrap();
    let t = CreateTopic {
        name: "t".into(),
        ..CreateTopic::default()
    };
    a.create_topic(&t).unwrap();
    a.subscribe("t", &Subscribe::new("to-a", Protocol::Queue, "a"))
        .unwrap();
    a.subscribe("t", &Subscribe::new("to-b", Protocol::Queue, "b"))
        .unwrap();
}

/// One random operation; receipt handles go to `handles`.
async fn step(
    a: &Account,
    clock: &Clock,
    rng: &mut fastrand::Rng,
    handles: &mut Vec<(String, String)>,
) {
    let q = QUEUES[rng.usize(..QUEUES.len())];
    match rng.u32(0..100) {
        0..=24 => {
            let delay = if rng.bool() { 0 } else { rng.u32(1..30) };
            let _ = a.send_message(q, format!("m{}", rng.u32(..)), delay);
        }
        25..=29 => {
            let _ = a.batch_send_message(q, ["x1", "x2", "x3"], 0);
        }
        30..=49 => {
            if let Ok(got) = a.batch_receive_message(q, rng.usize(1..5), Some(0)).await {
                handles.extend(got.into_iter().map(|m| (q.to_owned(), m.receipt_handle)));
            }
        }
        50..=64 if !handles.is_empty() => {
            let (q, h) = handles.swap_remove(rng.usize(..handles.len()));
            let _ = a.delete_message(&q, &h);
        }
        65..=77 => {
            clock.advance(Duration::from_millis(rng.u64(0..40_000)));
        }
        78..=82 => {
            let _ = a.publish("t", "fanned", &[], None);
        }
        83..=86 => {
            let back = rng.u64(0..700);
            let _ = a.rewind_queue("a", (clock.now_ms() / 1000).saturating_sub(back));
        }
        87..=90 => {
            let u = QueueConfigUpdate {
                visibility_timeout: Some(rng.u32(5..20)),
                rewind_seconds: Some(if rng.bool() { 0 } else { 600 }),
                ..QueueConfigUpdate::default()
            };
            let _ = a.set_queue_attributes(q, &u);
        }
        _ => {
            let _ = a.get_queue_attributes(q); // settles: retention, dead letters
        }
    }
}

async fn run(seed: u64) {
    let dir = TempDir::new("model");
    let mut rng = fastrand::Rng::with_seed(seed);
    let clock = Clock::manual(T0);
    let (mut e, mut s) = boot(dir.path(), &clock);
    setup(&e);
    let mut clock = clock;
    let mut handles = Vec::new();
    for n in 0..400 {
        let a = e.account(ID).unwrap();
        step(&a, &clock, &mut rng, &mut handles).await;
        if n % 40 == 39 {
            let before = dump(&e);
            drop(a);
            let (e2, s2, c2) = restart(dir.path(), e, s);
            (e, s, clock) = (e2, s2, c2);
            let after = dump(&e);
            assert!(
                before.iter().any(|l| l.contains("msg_id")),
                "seed {seed}: no messages"
            );
            assert_same(&before, &after);
        }
    }
    s.close();
}

#[tokio::test]
async fn random_operations_and_restarts_keep_the_same_state() {
    for seed in 0..6 {
        run(seed).await;
    }
}
