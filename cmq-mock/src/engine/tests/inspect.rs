//! What the dashboard reads and does without the protocol: traffic totals and purge.

use super::*;

#[tokio::test]
async fn traffic_counts_sends_receives_and_deletes() {
    let (_e, a) = setup();
    create(&a, "q", |_| {});
    let q = a.queue("q").expect("queue");
    assert_eq!(q.traffic().expect("traffic"), QueueTraffic::default());
    for body in ["a", "b", "c"] {
        a.send_message("q", body, 0).expect("send");
    }
    let m = recv(&a, "q").await;
    let _ = recv(&a, "q").await;
    a.delete_message("q", &m.receipt_handle).expect("delete");
    // A stale handle deletes nothing and counts nothing.
    assert!(a.delete_message("q", &m.receipt_handle).is_err());
    let t = q.traffic().expect("traffic");
    assert_eq!((t.sent, t.received, t.deleted), (3, 2, 1));
}

#[tokio::test]
async fn purge_drops_every_state_and_keeps_the_queue() {
    let (e, a) = setup();
    create(&a, "q", |u| u.rewind_seconds = Some(3600));
    a.send_message("q", "active", 0).expect("send");
    a.send_message("q", "delayed", 60).expect("send");
    a.send_message("q", "taken", 0).expect("send");
    a.send_message("q", "deleted", 0).expect("send");
    let _ = recv(&a, "q").await;
    let _ = recv(&a, "q").await;
    let gone = recv(&a, "q").await;
    a.delete_message("q", &gone.receipt_handle).expect("delete");
    a.send_message("q", "waiting", 0).expect("send");
    assert_eq!(nums(&a, "q"), (1, 2, 1, 1));
    let (stored, _) = e.stored();
    assert_eq!(stored, 5);

    let q = a.queue("q").expect("queue");
    assert_eq!(q.purge().expect("purge"), 5);
    assert_eq!(nums(&a, "q"), (0, 0, 0, 0));
    assert_eq!(e.stored(), (0, 0), "the store budget is given back");
    // Nothing comes back when the delay or the visibility timeout would have ended.
    adv(&e, 3_600_000);
    assert_eq!(nums(&a, "q"), (0, 0, 0, 0));
    // The queue still works, and its totals kept counting.
    a.send_message("q", "after", 0).expect("send");
    assert_eq!(recv(&a, "q").await.msg_body, "after");
    assert_eq!(q.traffic().expect("traffic").sent, 6);
}

#[tokio::test]
async fn purge_of_a_deleted_queue_is_queue_not_exist() {
    let (_e, a) = setup();
    create(&a, "q", |_| {});
    let q = a.queue("q").expect("queue");
    a.delete_queue("q").expect("delete");
    assert_eq!(kind(q.purge()), ErrorKind::QueueNotExist);
}
