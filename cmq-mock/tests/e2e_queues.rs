//! End to end: queue management and limits through the real SDK over HTTP (or raw signed HTTP
//! where the SDK would refuse the input) against a `CmqMock` on a manual clock: create, list,
//! attributes, delete, names, quotas, heap, message size, batches.

mod common;
use common::*;

/// [maxMsgHeapNum, pollingWaitSeconds, visibilityTimeout, maxMsgSize, msgRetentionSeconds,
/// rewindSeconds].
fn settings(a: &cmq_sdk::handles::QueueAttributes) -> [i64; 6] {
    [
        a.max_msg_heap_num,
        a.polling_wait_seconds,
        a.visibility_timeout,
        a.max_msg_size,
        a.msg_retention_seconds,
        a.rewind_seconds,
    ]
}

/// The queue names of a listing, in order.
fn queue_names(list: &cmq_sdk::generated::ops::ListQueueOutput) -> Vec<&str> {
    list.queue_list
        .iter()
        .map(|q| q.queue_name.as_str())
        .collect()
}

use std::time::Duration;

use cmq_mock::internal::QueueConfigUpdate;
use cmq_sdk::generated::ops::{
    BatchDeleteMessageInput, BatchSendMessageInput, CreateQueueInput, SendMessageInput,
    SetQueueAttributesInput,
};
use cmq_sdk::{Client, Credentials, Error, ErrorId, Profile};
use futures_util::TryStreamExt;

#[tokio::test]
async fn queues_are_created_listed_and_deleted() {
    let (mock, _) = mock().await;
    let c = client(&mock);
    let names = ["alpha-1", "alpha-2", "beta-1", "Alpha-3", "gamma"];
    let mut ids = Vec::new();
    for n in names {
        let id = c.queue(n).create().await.expect("create");
        assert!(id.starts_with("queue-"), "{id}");
        ids.push(id);
    }
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 5);

    let all = c.list_queue().send().await.expect("list");
    assert_eq!(all.total_count, 5);
    assert_eq!(queue_names(&all), names);
    let listed_ids: Vec<&str> = all.queue_list.iter().map(|q| q.queue_id.as_str()).collect();
    assert_eq!(listed_ids, ids);

    let alpha = c
        .list_queue()
        .search_word("ALPHA")
        .send()
        .await
        .expect("list");
    assert_eq!(alpha.total_count, 3);
    assert_eq!(queue_names(&alpha), ["alpha-1", "alpha-2", "Alpha-3"]);
    let page = c
        .list_queue()
        .search_word("alpha")
        .offset(1)
        .limit(1)
        .send()
        .await
        .expect("list");
    assert_eq!(page.total_count, 3);
    assert_eq!(queue_names(&page), ["alpha-2"]);
    let tail = c
        .list_queue()
        .offset(4)
        .limit(20)
        .send()
        .await
        .expect("list");
    assert_eq!((tail.total_count, tail.queue_list.len()), (5, 1));
    assert_eq!(tail.queue_list[0].queue_name, "gamma");
    let past = c
        .list_queue()
        .offset(5)
        .limit(3)
        .send()
        .await
        .expect("list");
    assert_eq!((past.total_count, past.queue_list.len()), (5, 0));
    let none = c
        .list_queue()
        .search_word("zzz")
        .send()
        .await
        .expect("list");
    assert_eq!((none.total_count, none.queue_list.len()), (0, 0));
    let streamed: Vec<String> = c
        .list_queues(Some("a-"))
        .map_ok(|q| q.queue_name)
        .try_collect()
        .await
        .expect("stream");
    assert_eq!(streamed, ["alpha-1", "alpha-2", "beta-1", "Alpha-3"]);

    c.queue("gamma").delete().await.expect("delete");
    assert_eq!(c.list_queue().send().await.expect("list").total_count, 4);
    expect_err(
        c.queue("gamma").attributes().await,
        ErrorId::QueueNotExist,
        "",
    );
}

#[tokio::test]
async fn queue_attributes_defaults_and_changes() {
    let (mock, t0) = mock().await;
    let c = client(&mock);
    let id = c.queue("alpha-1").create().await.expect("create");
    let q = c.queue("alpha-1");
    let a = q.attributes().await.expect("attributes");
    let t0 = secs(t0);
    assert_eq!(settings(&a), [100_000_000, 0, 30, 65_536, 345_600, 0]);
    assert_eq!((a.create_time, a.last_modify_time), (t0, t0));
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
    assert_eq!(a.dead_letter_policy, None);
    assert_eq!(a.queue_name.as_deref(), Some("alpha-1"));
    assert_eq!(a.queue_id.as_deref(), Some(id.as_str()));

    mock.clock().advance(Duration::from_secs(5));
    // The raw call: SetQueueAttributes echoes what it changed.
    let set = c
        .set_queue_attributes()
        .queue_name("alpha-1")
        .max_msg_heap_num(2_000_000)
        .polling_wait_seconds(10)
        .visibility_timeout(60)
        .max_msg_size(1024)
        .msg_retention_seconds(3600)
        .rewind_seconds(600)
        .send()
        .await
        .expect("set");
    let echoed = [
        set.max_msg_heap_num,
        set.polling_wait_seconds,
        set.visibility_timeout,
        set.max_msg_size,
        set.msg_retention_seconds,
        set.rewind_seconds,
    ];
    assert_eq!(echoed, [2_000_000, 10, 60, 1024, 3600, 600].map(Some));
    assert_eq!(set.queue_id.as_deref(), Some(id.as_str()));
    let a = q.attributes().await.expect("attributes");
    assert_eq!(settings(&a), [2_000_000, 10, 60, 1024, 3600, 600]);
    assert_eq!((a.create_time, a.last_modify_time), (t0, t0 + 5));
    // A partial set changes only what it names.
    q.set_attributes(SetQueueAttributesInput::new().visibility_timeout(45))
        .await
        .expect("set");
    let a = q.attributes().await.expect("attributes");
    assert_eq!(
        (a.visibility_timeout, a.polling_wait_seconds, a.max_msg_size),
        (45, 10, 1024)
    );
    // rewindSeconds above msgRetentionSeconds.
    expect_err(
        q.set_attributes(SetQueueAttributesInput::new().rewind_seconds(3601))
            .await,
        ErrorId::RewindSecondsGreaterThanRetention,
        "",
    );
    // Out-of-range values are refused by the mock too (validation off in the SDK).
    expect_err(
        unvalidated(&mock)
            .queue("alpha-1")
            .set_attributes(SetQueueAttributesInput::new().visibility_timeout(0))
            .await,
        ErrorId::ValueOutOfRange,
        "visibilityTimeout",
    );
}

#[tokio::test]
async fn names_are_unique_case_insensitively_and_recreation_waits_the_profile_block() {
    for profile in Profile::ALL {
        names_and_recreation(*profile).await;
    }
}

async fn names_and_recreation(profile: Profile) {
    let (mock, _) = mock_with(|b| b.profile(profile)).await;
    let c = client(&mock);
    c.queue("Orders").create().await.expect("create");
    for n in ["orders", "ORDERS", "Orders"] {
        expect_err(c.queue(n).create().await, ErrorId::QueueAlreadyExists, "");
    }
    let a = c
        .queue("oRdErS")
        .attributes()
        .await
        .expect("lookup ignores case");
    assert_eq!(a.queue_name.as_deref(), Some("Orders"));
    // A bad name.
    let raw = Raw::new(&mock);
    let v = raw
        .call("CreateQueue", &[("queueName", "1-starts-with-a-digit")])
        .await;
    assert_code(&v, 4000, &text(ErrorId::QueueNameFormat));
    // Deleted: blocked for the profile's re-create block (30 s tdmq, 10 s legacy), in any case.
    let block = profile.facts().recreate_block;
    c.queue("orders").delete().await.expect("delete");
    expect_err(
        c.queue("ORDERS").create().await,
        ErrorId::QueueReleasing,
        "",
    );
    mock.clock().advance(block - Duration::from_millis(1));
    expect_err(
        c.queue("Orders").create().await,
        ErrorId::QueueReleasing,
        "",
    );
    mock.clock().advance(Duration::from_millis(1));
    c.queue("orders")
        .create()
        .await
        .expect("created again after the block");
    let listed = c.list_queue().send().await.expect("list");
    assert_eq!(listed.queue_list[0].queue_name, "orders");
}

#[tokio::test]
async fn a_missing_queue_is_4440_for_every_action() {
    let (mock, _) = mock().await;
    let c = client(&mock);
    let q = c.queue("nowhere");
    let e = ErrorId::QueueNotExist;
    expect_err(q.send("x").await, e, "");
    expect_err(q.send_delayed("x", 5).await, e, "");
    expect_err(q.batch_send(["x", "y"]).await, e, "");
    expect_err(q.receive(Some(0)).await, e, "");
    expect_err(q.batch_receive(4, Some(0)).await, e, "");
    expect_err(q.delete_message("123456789").await, e, "");
    expect_err(q.batch_delete(["123456789"]).await, e, "");
    expect_err(q.attributes().await, e, "");
    expect_err(
        q.set_attributes(SetQueueAttributesInput::new().visibility_timeout(5))
            .await,
        e,
        "",
    );
    expect_err(q.delete().await, e, "");
    expect_err(q.rewind(secs(wall_secs())).await, e, "");
    expect_err(q.unbind_dead_letter_queue().await, e, "");
    let r: Result<Vec<_>, Error> = q.dead_letter_sources().try_collect().await;
    expect_err(r, e, "");
    expect_err(
        c.query_queue_route().queue_name("nowhere").send().await,
        e,
        "",
    );
}

#[tokio::test]
async fn queue_quota_is_10000_per_account() {
    let (mock, _) = mock_with(|b| b.account("AKIDquota", "k").account("AKIDother", "k2")).await;
    // Filling 10,000 queues over HTTP would take long in a debug build; the engine is the same
    // state the HTTP requests reach.
    let account = mock.engine().account("AKIDquota").expect("account");
    for i in 0..10_000 {
        account
            .create_queue(&format!("q{i}"), &QueueConfigUpdate::default())
            .expect("create");
    }
    let c = client(&mock);
    assert_eq!(
        c.list_queue()
            .limit(1)
            .send()
            .await
            .expect("list")
            .total_count,
        10_000
    );
    expect_err(
        c.queue("one-more").create().await,
        ErrorId::QueueQuotaExceeded,
        "",
    );
    // Per account.
    let other = Client::new(&mock.endpoint(), Credentials::new("AKIDother", "k2")).expect("client");
    other
        .queue("one-more")
        .create()
        .await
        .expect("other account has room");
    c.queue("q0").delete().await.expect("delete");
    c.queue("one-more").create().await.expect("room again");
    expect_err(
        c.queue("yet-another").create().await,
        ErrorId::QueueQuotaExceeded,
        "",
    );
}

#[tokio::test]
async fn a_full_heap_refuses_sends_with_4410() {
    let (mock, t0) = mock().await;
    let c = client(&mock);
    // The static range (1,000,000..) holds over HTTP, for the SDK and for the mock.
    assert!(matches!(
        c.queue("small")
            .create_with(CreateQueueInput::new().max_msg_heap_num(3))
            .await,
        Err(Error::Validation(_))
    ));
    expect_err(
        unvalidated(&mock)
            .queue("small")
            .create_with(CreateQueueInput::new().max_msg_heap_num(3))
            .await,
        ErrorId::ValueOutOfRange,
        "maxMsgHeapNum",
    );
    // A small heap made in process (the engine keeps only the cross-field rules) and then used
    // over HTTP.
    let account = mock.engine().account(mock.secret_id()).expect("account");
    account
        .create_queue(
            "small",
            &QueueConfigUpdate {
                max_msg_heap_num: Some(3),
                ..QueueConfigUpdate::default()
            },
        )
        .expect("create");
    let q = c.queue("small");
    assert_eq!(
        q.attributes().await.expect("attributes").max_msg_heap_num,
        3
    );
    q.send("1").await.expect("send");
    q.send_delayed("2", 10).await.expect("send");
    let m = q.receive(Some(0)).await.expect("receive").expect("1");
    q.send("3").await.expect("send");
    // Active + inactive + delayed = 3.
    let t = secs(t0);
    assert_eq!(counters(&q).await, [1, 1, 1, 0, t]);
    expect_err(q.send("4").await, ErrorId::QueueFull, "");
    expect_err(q.batch_send(["4"]).await, ErrorId::QueueFull, "");
    q.delete_message(&m.receipt_handle).await.expect("delete");
    // A batch is all or nothing.
    expect_err(q.batch_send(["4", "5"]).await, ErrorId::QueueFull, "");
    assert_eq!(counters(&q).await, [1, 0, 1, 0, t]);
    q.batch_send(["4"]).await.expect("one fits");
    assert_eq!(counters(&q).await, [2, 0, 1, 0, t]);
    expect_err(q.send("5").await, ErrorId::QueueFull, "");
    // Topics fanning out into a full queue are logged, not answered (see e2e_topics).
}

#[tokio::test]
async fn message_size_is_limited_by_the_queue() {
    let (mock, t0) =
        mock_with(|b| b.queue_with(serde_json::json!({"queueName": "q", "maxMsgSize": 1024})))
            .await;
    let q = client(&mock).queue("q");
    q.send("a".repeat(1024)).await.expect("exactly maxMsgSize");
    expect_err(q.send("a".repeat(1025)).await, ErrorId::MessageTooLarge, "");
    expect_err(
        q.batch_send(["ok".to_owned(), "a".repeat(1025)]).await,
        ErrorId::MessageTooLarge,
        "",
    );
    // Multibyte text counts in bytes: 342 × 3 bytes = 1026.
    expect_err(q.send("€".repeat(342)).await, ErrorId::MessageTooLarge, "");
    q.send("€".repeat(341)).await.expect("1023 bytes");
    assert_eq!(counters(&q).await, [2, 0, 0, 0, secs(t0)]);
    q.set_attributes(SetQueueAttributesInput::new().max_msg_size(2048))
        .await
        .expect("set");
    q.send("a".repeat(1025)).await.expect("fits now");
    // An empty body.
    expect_err(
        unvalidated(&mock).queue("q").send("").await,
        ErrorId::MessageBodyEmpty,
        "",
    );
    assert_eq!(counters(&q).await[0], 3);
}

#[tokio::test]
async fn batch_limits() {
    let (mock, _) = mock_with(|b| b.queue("q")).await;
    let raw = Raw::new(&mock);
    let names: Vec<String> = (1..=17).map(|i| format!("msgBody.{i}")).collect();
    let bodies: Vec<String> = (1..=17).map(|i| format!("m{i}")).collect();
    let mut extra: Vec<(&str, &str)> = vec![("queueName", "q")];
    extra.extend(
        names
            .iter()
            .map(String::as_str)
            .zip(bodies.iter().map(String::as_str)),
    );
    let v = raw.call("BatchSendMessage", &extra).await;
    assert_code(
        &v,
        4000,
        "(10370)msgBody parameter batch size is out of range",
    );
    // The SDK refuses 17 before sending; unvalidated, the mock answers the same.
    let q = client(&mock).queue("q");
    assert!(matches!(
        q.batch_send(bodies.clone()).await,
        Err(Error::Validation(_))
    ));
    expect_err(
        unvalidated(&mock)
            .queue("q")
            .batch_send(bodies.clone())
            .await,
        ErrorId::BatchSizeOutOfRange,
        "msgBody",
    );
    let sixteen = q
        .batch_send(bodies[..16].to_vec())
        .await
        .expect("16 is fine");
    assert_eq!(sixteen.len(), 16);
    for n in [17, 0] {
        let r = unvalidated(&mock)
            .queue("q")
            .batch_receive(n, Some(0))
            .await;
        expect_err(r, ErrorId::ValueOutOfRange, "numOfMsg");
    }
    let got = q.batch_receive(16, Some(0)).await.expect("receive");
    assert_eq!(got.len(), 16);
    let mut handles: Vec<String> = got.iter().map(|m| m.receipt_handle.clone()).collect();
    handles.push("1".into());
    let r = unvalidated(&mock)
        .execute(
            BatchDeleteMessageInput::new()
                .queue_name("q")
                .receipt_handle(handles.clone()),
        )
        .await;
    expect_err(r, ErrorId::BatchSizeOutOfRange, "receiptHandle");
    handles.pop();
    assert!(q.batch_delete(handles).await.expect("delete").is_complete());
    assert_eq!(counters(&q).await, [0, 0, 0, 0, 0]);
}

#[tokio::test]
async fn batch_total_is_64_kib_on_legacy_and_a_single_send_is_not_a_batch() {
    let (mock, t0) = mock_with(|b| b.queue("q").profile(Profile::Legacy)).await;
    let q = client(&mock).queue("q");
    // The legacy batch total: 64 KiB of bodies at most.
    let half = "h".repeat(32_768);
    let ids = q
        .batch_send([half.clone(), half.clone()])
        .await
        .expect("65536 bytes in all");
    assert_eq!(ids.len(), 2);
    let r = q
        .client()
        .execute(BatchSendMessageInput::new().queue_name("q").msg_body(vec![
            half.clone(),
            half.clone(),
            "x".into(),
        ]))
        .await;
    expect_err(r, ErrorId::BatchTotalSizeTooLarge, "");
    assert_eq!(counters(&q).await, [2, 0, 0, 0, secs(t0)]);
    // A single send is not a batch: its own limit only.
    let r = q
        .client()
        .execute(SendMessageInput::new().queue_name("q").msg_body(half))
        .await;
    assert!(r.is_ok(), "{r:?}");
}

#[tokio::test]
async fn batch_total_on_tdmq_is_larger_than_legacy_s() {
    let (mock, _) = mock_with(|b| b.queue("q")).await;
    let q = client(&mock).queue("q");
    // TDMQ's batch total is 1 MiB (the 1 MB request limit binds first): two bodies of the
    // queue's largest size, 128 KiB in all, go through where legacy refuses anything over 64 KiB.
    let full = "f".repeat(65_536);
    let ids = q
        .batch_send([full.clone(), full])
        .await
        .expect("128 KiB in all on tdmq");
    assert_eq!(ids.len(), 2);
}

#[tokio::test]
async fn batch_delete_reports_partial_and_total_failure() {
    let (mock, t0) = mock_with(|b| b.queue("q")).await;
    let q = client(&mock).queue("q");
    q.batch_send(["1", "2", "3", "4"]).await.expect("send");
    let got = q.batch_receive(4, Some(0)).await.expect("receive");
    let h: Vec<String> = got.iter().map(|m| m.receipt_handle.clone()).collect();
    let t = secs(t0);
    // A well-formed handle that names nothing, and a malformed one.
    let report = q
        .batch_delete([
            h[0].clone(),
            "123456789".into(),
            h[2].clone(),
            "bad handle".into(),
        ])
        .await
        .expect("a partial failure is a report");
    assert_eq!(report.code, 6010);
    assert_eq!(report.message, text(ErrorId::DeleteMessagePartiallyFailed));
    assert!(report.request_id.as_deref().is_some_and(|r| !r.is_empty()));
    assert_eq!(report.deleted, [h[0].clone(), h[2].clone()]);
    let failed: Vec<(&str, i64, &str)> = report
        .failed
        .iter()
        .map(|f| (f.receipt_handle.as_str(), f.code, f.message.as_str()))
        .collect();
    assert_eq!(
        failed,
        [
            ("123456789", 4430, "invalid receiptHandle"),
            ("bad handle", 4000, "receiptHandle error"),
        ]
    );
    assert_eq!(counters(&q).await, [0, 2, 0, 0, t]);
    // Everything failed: 6020, every handle listed.
    let report = q
        .batch_delete([h[0].clone(), h[2].clone()])
        .await
        .expect("a total failure is a report too");
    assert_eq!(report.code, 6020);
    assert_eq!(report.message, text(ErrorId::BatchDeleteMessageFailed));
    assert!(report.deleted.is_empty());
    assert_eq!(
        report.failed_handles().collect::<Vec<_>>(),
        [h[0].as_str(), h[2].as_str()]
    );
    assert!(
        report
            .failed
            .iter()
            .all(|f| f.code == 4430 && f.message == "invalid receiptHandle")
    );
    // The raw shape of the answer.
    let raw = Raw::new(&mock);
    let v = raw
        .call(
            "BatchDeleteMessage",
            &[
                ("queueName", "q"),
                ("receiptHandle.1", &h[1]),
                ("receiptHandle.2", &h[0]),
            ],
        )
        .await;
    assert_code(&v, 6010, &text(ErrorId::DeleteMessagePartiallyFailed));
    assert_eq!(
        v["errorList"],
        serde_json::json!([{"code": 4430, "message": "invalid receiptHandle", "receiptHandle": h[0]}])
    );
    assert_eq!(counters(&q).await, [0, 1, 0, 0, t]);
    let report = q.batch_delete([h[3].clone()]).await.expect("delete");
    assert!(report.is_complete());
    assert_eq!((report.code, report.deleted.len()), (0, 1));
    assert_eq!(counters(&q).await, [0, 0, 0, 0, 0]);
}

#[tokio::test]
async fn receives_fail_with_6070_while_more_than_20000_messages_are_delayed() {
    let (mock, t0) = mock_with(|b| b.queue("q")).await;
    let q = client(&mock).queue("q");
    q.send("visible").await.expect("send");
    // 20,001 delayed messages, put in process (1,251 batch requests would be slow in debug).
    let account = mock.engine().account(mock.secret_id()).expect("account");
    for chunk in 0..1251 {
        let n = if chunk == 1250 { 1 } else { 16 };
        account
            .batch_send_message("q", (0..n).map(|i| format!("d{chunk}-{i}")), 60)
            .expect("send");
    }
    assert_eq!(counters(&q).await, [1, 0, 20_001, 0, secs(t0)]);
    expect_err(
        q.receive(Some(0)).await,
        ErrorId::TooManyUnackedMessages,
        "",
    );
    expect_err(
        q.batch_receive(16, Some(0)).await,
        ErrorId::TooManyUnackedMessages,
        "",
    );
    // Sends are not refused.
    q.send("more").await.expect("send");
    mock.clock().advance(Duration::from_secs(60));
    assert_eq!(counters(&q).await, [20_003, 0, 0, 0, secs(t0)]);
    let m = q.receive(Some(0)).await.expect("receive").expect("message");
    assert_eq!(m.body, "visible");
}

#[tokio::test]
async fn handles_do_not_survive_their_queue() {
    let (mock, _) = mock_with(|b| b.relaxed(true).queue("q")).await;
    let q = client(&mock).queue("q");
    q.send("old").await.expect("send");
    let old = q.receive(Some(0)).await.expect("receive").expect("old");
    q.delete().await.expect("delete");
    // Relaxed: no re-create block.
    q.create().await.expect("create again");
    q.send("new").await.expect("send");
    let new = q.receive(Some(0)).await.expect("receive").expect("new");
    assert_eq!(new.body, "new");
    assert_ne!(old.msg_id, new.msg_id);
    expect_err(
        q.delete_message(&old.receipt_handle).await,
        ErrorId::InvalidReceiptHandle,
        "",
    );
    q.delete_message(&new.receipt_handle).await.expect("delete");
}
