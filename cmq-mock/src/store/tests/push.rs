//! Push backlogs survive a restart with their retry state: each message waiting for its retry
//! is retried at its stored time with its attempt count, the others follow, and a message
//! waiting for two subscriptions still counts once in the topic's backlog.

use std::time::Duration;

use super::*;
use crate::engine::{CreateTopic, DeliveryOutcome, DeliveryRecord, PushConfig, Subscribe};
use crate::receiver::{PushReceiver, Reply};
use cmq_sdk::generated::types::{NotifyStrategy, Protocol};

const WAIT: Duration = Duration::from_secs(20);

fn engine(clock: &Clock) -> Engine {
    let push = PushConfig {
        seed: Some(7),
        ..PushConfig::default()
    };
    Engine::with_config(clock.clone(), Limits::relaxed(), push)
}

async fn record(e: &Engine, f: impl Fn(&DeliveryRecord) -> bool) -> DeliveryRecord {
    e.deliveries()
        .wait_for(f, WAIT)
        .await
        .expect("no such delivery record")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_backlogs_and_their_retry_state_survive() {
    let dir = TempDir::new("push");
    let rx = PushReceiver::start().await.expect("receiver");
    rx.set_default(Reply::Status(500));
    let clock = Clock::manual(T0);
    let e = engine(&clock);
    let s = attach(&e, &clock, dir.path()).unwrap();
    let a = e.add_account("AKIDpush", "k");
    a.create_topic(&CreateTopic {
        name: "t".into(),
        ..CreateTopic::default()
    })
    .unwrap();
    let mut web = Subscribe::new("web", Protocol::Http, rx.url("/a"));
    web.notify_strategy = Some(NotifyStrategy::BackoffRetry);
    a.subscribe("t", &web).unwrap();
    a.subscribe("t", &Subscribe::new("web2", Protocol::Http, rx.url("/b")))
        .unwrap();
    let first = a.publish("t", "first", &["tag".into()], None).unwrap();
    let second = a.publish("t", "second", &[], None).unwrap();
    let failed = |sub: &'static str| {
        let id = first.clone();
        move |r: &DeliveryRecord| {
            r.msg_id == id
                && r.subscription == sub
                && matches!(r.outcome, DeliveryOutcome::Failed(_))
        }
    };
    let web_retry = record(&e, failed("web")).await.next_attempt_ms.unwrap();
    let web2_retry = record(&e, failed("web2")).await.next_attempt_ms.unwrap();
    assert_eq!(web2_retry, T0 + 1_000, "exponential: 1 s");
    assert!(
        (T0 + 10_000..=T0 + 20_000).contains(&web_retry),
        "backoff: 10-20 s"
    );
    let before = dump(&e);
    assert!(
        before.iter().any(|l| l.contains("msg_count: 2")),
        "{before:#?}"
    );
    drop(a);
    drop(e);
    s.close();

    let clock = Clock::manual(T0);
    let e = engine(&clock);
    let s = attach(&e, &clock, dir.path()).unwrap();
    assert_same(&before, &dump(&e));
    rx.set_default(Reply::Status(200));
    let delivered = |id: &str, sub: &'static str| {
        let id = id.to_owned();
        move |r: &DeliveryRecord| {
            r.msg_id == id
                && r.subscription == sub
                && matches!(r.outcome, DeliveryOutcome::Delivered { .. })
        }
    };
    // Each message's failed attempts and retry time came back: the retry happens at its
    // stored time, as attempt 2.
    clock.set_ms(web2_retry);
    let got = record(&e, delivered(&first, "web2")).await;
    assert_eq!((got.attempt, got.time_ms), (2, web2_retry));
    clock.set_ms(web_retry);
    let got = record(&e, delivered(&first, "web")).await;
    assert_eq!((got.attempt, got.time_ms), (2, web_retry));
    // The message behind it (attempted once before the restart, or not yet) follows.
    clock.set_ms(T0 + 20_000);
    record(&e, delivered(&second, "web2")).await;
    record(&e, delivered(&second, "web")).await;
    let a = e.account("AKIDpush").unwrap();
    assert_eq!(a.topic_attributes("t").unwrap().msg_count, 0);
    drop(a);
    drop(e);
    s.close();
    let c = rusqlite::Connection::open(dir.file()).unwrap();
    let n: i64 = c
        .query_row("SELECT count(*) FROM push", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 0, "delivered messages left the stored backlog");
}
