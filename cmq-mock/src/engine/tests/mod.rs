//! Engine tests, all on a manual clock (nothing sleeps for real).

mod concurrency;
mod dead_letters;
mod inspect;
mod long_poll;
mod management;
mod messages;
mod model;
mod rewind;
mod topics;

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::clock::Clock;
use cmq_sdk::generated::profiles::Profile;

/// The manual clock's start: a whole second, so `T0S` is exact.
pub(super) const T0: u64 = 1_700_000_000_000;
pub(super) const T0S: u64 = T0 / 1000;

pub(super) fn engine() -> Engine {
    Engine::new(Clock::manual(T0))
}

pub(super) fn setup() -> (Engine, Arc<Account>) {
    let e = engine();
    let a = e.add_account("AKIDtest", "secret");
    (e, a)
}

pub(super) fn adv(e: &Engine, ms: u64) {
    e.clock().advance(Duration::from_millis(ms));
}

pub(super) fn kind<T: Debug>(r: EngineResult<T>) -> ErrorKind {
    r.expect_err("expected an error").kind
}

/// Lets spawned tasks run until they block again.
pub(super) async fn spin() {
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
}

pub(super) fn create(a: &Account, name: &str, f: impl FnOnce(&mut QueueConfigUpdate)) {
    let mut u = QueueConfigUpdate::default();
    f(&mut u);
    a.create_queue(name, &u).expect("create queue");
}

pub(super) fn counters(a: &Account, q: &str) -> QueueCounters {
    a.get_queue_attributes(q).expect("attributes").counters
}

/// (active, inactive, delayed, rewind)
pub(super) fn nums(a: &Account, q: &str) -> (u64, u64, u64, u64) {
    let c = counters(a, q);
    (
        c.active_msg_num,
        c.inactive_msg_num,
        c.delay_msg_num,
        c.rewind_msg_num,
    )
}

pub(super) async fn recv(a: &Account, q: &str) -> ReceivedMessage {
    a.receive_message(q, Some(0)).await.expect("a message")
}

#[test]
fn error_kinds_carry_codes() {
    assert_eq!(ErrorKind::NoMessage.code(), 7000);
    assert_eq!(ErrorKind::NoMessage.module_code(), 10200);
    assert_eq!(
        EngineError::new(ErrorKind::NoMessage).to_string(),
        "(10200)no message"
    );
    assert_eq!(ErrorKind::InvalidReceiptHandle.code(), 4430);
    assert_eq!(ErrorKind::ReceiptHandleError.module_code(), 10470);
    assert_eq!(ErrorKind::QueueAlreadyExists.code(), 4460);
    assert_eq!(ErrorKind::QueueReleasing.code(), 6040);
    assert_eq!(ErrorKind::QueueCannotRewind.code(), 6050);
    assert_eq!(ErrorKind::TooManyUnackedMessages.code(), 6070);
    assert_eq!(ErrorKind::BatchTotalSizeTooLarge.code(), 4470);
    let e = EngineError::with_detail(ErrorKind::BatchSizeOutOfRange, "numOfMsg");
    assert_eq!(
        e.to_string(),
        "(10370)numOfMsg parameter batch size is out of range"
    );
    let mut ids = std::collections::HashSet::new();
    for &k in ErrorKind::ALL {
        assert_eq!(k.id(), format!("{k:?}"));
        assert!(ids.insert(k.id()));
        assert!(k.code() >= 4000 && k.module_code() >= 10000 && !k.text().is_empty());
    }
}

/// Every kind matches its entry in `spec/v2/errors.json` (the spec sits beside the crate in the
/// workspace; without it this test fails rather than pass unchecked).
#[test]
fn error_kinds_match_the_spec() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/v2/errors.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    let spec: serde_json::Value = serde_json::from_str(&text).expect("errors.json parses");
    let errors = spec["errors"].as_array().expect("errors list");
    for &k in ErrorKind::ALL {
        let e = errors
            .iter()
            .find(|e| e["id"] == k.id())
            .unwrap_or_else(|| panic!("{} is not in errors.json", k.id()));
        assert_eq!(e["code"].as_u64(), Some(u64::from(k.code())), "{k}");
        assert_eq!(
            e["module"].as_u64(),
            Some(u64::from(k.module_code())),
            "{k}"
        );
        assert_eq!(e["message"].as_str(), Some(k.text()), "{k}");
    }
}

#[test]
fn sizes_of_records() {
    use std::mem::size_of;
    println!("Msg record: {} bytes", size_of::<queue::Msg>());
    println!(
        "map entry (seq, Msg): {} bytes",
        size_of::<(u64, queue::Msg)>()
    );
    println!("active index entry (seq): {} bytes", size_of::<u64>());
    println!(
        "inflight/delayed index entry (deadline, seq): {} bytes",
        size_of::<(u64, u64)>()
    );
    println!("Box<str> body handle: {} bytes", size_of::<Box<str>>());
    println!(
        "ReceivedMessage (API boundary only): {} bytes",
        size_of::<ReceivedMessage>()
    );
}

#[test]
fn accounts_are_isolated() {
    let e = engine();
    let a = e.add_account("AKIDa", "ka");
    let b = e.add_account("AKIDb", "kb");
    assert_eq!(&*a.secret_key(), "ka");
    assert_eq!(b.secret_id(), "AKIDb");
    create(&a, "q", |_| {});
    create(&b, "Q", |_| {});
    a.send_message("q", "for a", 0).unwrap();
    assert_eq!(nums(&a, "q"), (1, 0, 0, 0));
    assert_eq!(nums(&b, "q"), (0, 0, 0, 0));
    assert_eq!(a.queue_names(), vec!["q".to_owned()]);
    assert_eq!(b.queue_names(), vec!["Q".to_owned()]);
    // Re-adding replaces the key and keeps the queues.
    let a2 = e.add_account("AKIDa", "new");
    assert!(Arc::ptr_eq(&a, &a2));
    assert_eq!(&*a.secret_key(), "new");
    assert_eq!(a2.queue_names().len(), 1);
    assert_eq!(
        e.account_ids(),
        vec!["AKIDa".to_owned(), "AKIDb".to_owned()]
    );
    assert!(e.account("AKIDc").is_none());
    let id = b.send_message("q", "pushed", 0).unwrap();
    assert_eq!(nums(&b, "q"), (1, 0, 0, 0));
    let snap = b.inspect_queue("q").unwrap();
    assert_eq!(snap.active[0].msg_id, id);
    // The first account is the default one, with the default appId; the others get their own.
    assert_eq!(
        e.default_account().map(|d| d.secret_id().to_owned()),
        Some("AKIDa".into())
    );
    assert_eq!(a.app_id(), DEFAULT_APP_ID);
    assert_ne!(b.app_id(), DEFAULT_APP_ID);
    assert!(b.app_id().parse::<u64>().is_ok());
    // Removing an account drops its queues.
    let removed = e.remove_account("AKIDb").unwrap();
    assert!(removed.queue_names().is_empty());
    assert!(e.account("AKIDb").is_none());
}

#[tokio::test]
async fn reset_clears_queues_and_ends_polls() {
    let (e, a) = setup();
    create(&a, "q", |_| {});
    create(&a, "dlq", |_| {});
    create(&a, "src", |u| {
        u.dead_letter_policy = Some(DeadLetterPolicy::receive_count("dlq", 1))
    });
    a.send_message("q", "x", 0).unwrap();
    a.delete_queue("q").unwrap();
    let a2 = a.clone();
    let poll = tokio::spawn(async move { a2.receive_message("src", Some(30)).await });
    spin().await;
    assert!(!poll.is_finished());
    a.reset();
    assert_eq!(kind(done(poll).await), ErrorKind::QueueNotExist);
    assert!(a.queue_names().is_empty());
    // The recreate block is forgotten.
    create(&a, "q", |_| {});
    create(&a, "dlq", |_| {});
    e.reset();
    assert!(a.queue_names().is_empty());
    assert_eq!(e.account_ids(), vec!["AKIDtest".to_owned()]);
}

/// A non-waiting receive of up to `n` messages from a synchronous test.
pub(super) fn recv_now(a: &Account, q: &str, n: usize) -> EngineResult<Vec<ReceivedMessage>> {
    futures_util::FutureExt::now_or_never(a.batch_receive_message(q, n, Some(0)))
        .expect("a zero-wait receive never waits")
}

/// Lets a spawned receive finish and returns its result; fails (instead of hanging) if it is
/// still waiting after the other tasks have run.
pub(super) async fn done<T>(task: tokio::task::JoinHandle<T>) -> T {
    spin().await;
    assert!(task.is_finished(), "the receive is still waiting");
    task.await.expect("task")
}
