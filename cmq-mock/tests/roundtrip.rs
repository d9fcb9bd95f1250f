//! Every one of the 29 actions, SDK → in-process `CmqMock` over real HTTP → typed output, with
//! the fluent builders: once per client configuration (POST with HmacSHA1, POST with
//! HmacSHA256, GET), plus the long-poll path on a manual clock (a waiting ReceiveMessage woken by
//! a send, and one that times out with 7000 when the clock passes its wait).

use std::collections::BTreeSet;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use cmq_mock::Clock;
use cmq_mock::CmqMock;
use cmq_sdk::generated::types::{DeadLetterPolicy, NotifyContentFormat, NotifyStrategy};
use cmq_sdk::retry::RetryPolicy;
use cmq_sdk::{Action, Client, Error, HttpMethod, SignatureMethod};

const ROUTES: [&str; 2] = ["10.0.0.1:6380", "10.0.0.2:6380"];

async fn mock() -> CmqMock {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    CmqMock::builder()
        .clock(Clock::manual(now * 1000))
        .route_addrs(ROUTES.iter().map(|s| (*s).to_owned()).collect())
        .start()
        .await
        .expect("the mock starts")
}

fn client(mock: &CmqMock, sig: SignatureMethod, method: HttpMethod) -> Client {
    Client::builder()
        .endpoint(mock.endpoint())
        .credentials(mock.credentials())
        .signature_method(sig)
        .http_method(method)
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("client")
}

fn service_code(e: &Error) -> Option<i64> {
    e.service().map(|s| s.code)
}

/// Runs all 29 actions once; returns the actions it ran.
async fn every_action(mock: &CmqMock, c: &Client) -> BTreeSet<Action> {
    let mut ran = BTreeSet::new();
    queue_actions(c, &mut ran).await;
    dead_letter_and_listing_actions(c, &mut ran).await;
    let stale = message_actions(c, &mut ran).await;
    batch_actions(mock, c, &stale, &mut ran).await;
    topic_actions(c, &mut ran).await;
    subscription_actions(c, &mut ran).await;
    publish_actions(c, &mut ran).await;
    teardown(c, &mut ran).await;
    ran
}

/// CreateQueue, SetQueueAttributes (binding `orders-dlq`), GetQueueAttributes.
async fn queue_actions(c: &Client, ran: &mut BTreeSet<Action>) {
    let created = c
        .create_queue()
        .queue_name("orders")
        .visibility_timeout(60)
        .max_msg_size(1_048_576)
        .msg_retention_seconds(86_400)
        .rewind_seconds(3_600)
        .send()
        .await
        .expect("CreateQueue");
    assert!(!created.queue_id.is_empty());
    ran.insert(Action::CreateQueue);
    let dlq_id = c
        .create_queue()
        .queue_name("orders-dlq")
        .send()
        .await
        .expect("CreateQueue dlq")
        .queue_id;

    let set = c
        .set_queue_attributes()
        .queue_name("orders")
        .polling_wait_seconds(0)
        .dead_letter_policy(DeadLetterPolicy {
            dead_letter_queue: Some("orders-dlq".into()),
            policy: Some(0),
            max_receive_count: Some(3),
            max_time_to_live: None,
        })
        .send()
        .await
        .expect("SetQueueAttributes");
    assert_eq!(set.visibility_timeout, Some(60));
    assert_eq!(set.msg_retention_seconds, Some(86_400));
    ran.insert(Action::SetQueueAttributes);

    let attrs = c
        .get_queue_attributes()
        .queue_name("orders")
        .send()
        .await
        .expect("GetQueueAttributes");
    assert_eq!(attrs.visibility_timeout, 60);
    assert_eq!(attrs.max_msg_size, 1_048_576);
    assert_eq!(attrs.rewind_seconds, 3_600);
    let dlq = attrs.dead_letter_policy.expect("a dead-letter policy");
    // Answers name the dead-letter queue by its id (spec decision).
    assert_eq!(dlq.dead_letter_queue, Some(dlq_id));
    assert_eq!(dlq.max_receive_count, Some(3));
    ran.insert(Action::GetQueueAttributes);
}

/// ListDeadLetterSourceQueues, UnbindDeadLetterQueue, ListQueue, QueryQueueRoute.
async fn dead_letter_and_listing_actions(c: &Client, ran: &mut BTreeSet<Action>) {
    let sources = c
        .list_dead_letter_source_queues()
        .dead_letter_queue_name("orders-dlq")
        .send()
        .await
        .expect("ListDeadLetterSourceQueues");
    assert_eq!(sources.total_count, 1);
    assert_eq!(sources.queue_list[0].queue_name, "orders");
    ran.insert(Action::ListDeadLetterSourceQueues);

    c.unbind_dead_letter_queue()
        .queue_name("orders")
        .send()
        .await
        .expect("UnbindDeadLetterQueue");
    ran.insert(Action::UnbindDeadLetterQueue);

    let list = c
        .list_queue()
        .search_word("ord")
        .offset(0)
        .limit(50)
        .send()
        .await
        .expect("ListQueue");
    assert_eq!(list.total_count, 2);
    let names: BTreeSet<_> = list
        .queue_list
        .iter()
        .map(|q| q.queue_name.as_str())
        .collect();
    assert_eq!(names, BTreeSet::from(["orders", "orders-dlq"]));
    ran.insert(Action::ListQueue);

    let route = c
        .query_queue_route()
        .queue_name("orders")
        .send()
        .await
        .expect("QueryQueueRoute");
    assert_eq!(route.addr, ROUTES);
    ran.insert(Action::QueryQueueRoute);
}

/// SendMessage, ReceiveMessage, DeleteMessage; the receipt handle that is now stale.
async fn message_actions(c: &Client, ran: &mut BTreeSet<Action>) -> String {
    let body = "héllo & wörld = ✓ +%20";
    let sent = c
        .send_message()
        .queue_name("orders")
        .msg_body(body)
        .send()
        .await
        .expect("SendMessage");
    ran.insert(Action::SendMessage);
    let got = c
        .receive_message()
        .queue_name("orders")
        .polling_wait_seconds(0)
        .send()
        .await
        .expect("ReceiveMessage");
    assert_eq!(
        (got.msg_id.as_str(), got.msg_body.as_str()),
        (sent.msg_id.as_str(), body)
    );
    assert_eq!(got.dequeue_count, 1);
    assert_eq!(got.next_visible_time, got.first_dequeue_time + 60);
    ran.insert(Action::ReceiveMessage);
    c.delete_message()
        .queue_name("orders")
        .receipt_handle(got.receipt_handle.clone())
        .send()
        .await
        .expect("DeleteMessage");
    let stale = got.receipt_handle;
    ran.insert(Action::DeleteMessage);

    stale
}

/// BatchSendMessage, BatchReceiveMessage, BatchDeleteMessage (a partial failure with the `stale`
/// handle, then a success), RewindQueue.
async fn batch_actions(mock: &CmqMock, c: &Client, stale: &str, ran: &mut BTreeSet<Action>) {
    let batch = c
        .batch_send_message()
        .queue_name("orders")
        .msg_body(["a", "b", "c"])
        .send()
        .await
        .expect("BatchSendMessage");
    assert_eq!(batch.msg_list.len(), 3);
    ran.insert(Action::BatchSendMessage);
    let received = c
        .batch_receive_message()
        .queue_name("orders")
        .num_of_msg(16)
        .polling_wait_seconds(0)
        .send()
        .await
        .expect("BatchReceiveMessage");
    let bodies: Vec<&str> = received
        .msg_info_list
        .iter()
        .map(|m| m.msg_body.as_str())
        .collect();
    assert_eq!(bodies, ["a", "b", "c"]);
    ran.insert(Action::BatchReceiveMessage);
    // One stale handle (its message was deleted): 6010 with an errorList naming it (4430
    // `invalid receiptHandle`), the others deleted.
    let mut handles: Vec<String> = received
        .msg_info_list
        .iter()
        .map(|m| m.receipt_handle.clone())
        .collect();
    handles.push(stale.to_owned());
    let partial = c
        .batch_delete_message()
        .queue_name("orders")
        .receipt_handle(handles)
        .send()
        .await
        .expect_err("a partial failure");
    let s = partial.service().expect("a service error");
    assert_eq!((s.code, s.module_code), (6010, Some(10150)));
    assert_eq!(s.error_list.len(), 1);
    assert_eq!(
        (
            s.error_list[0].receipt_handle.as_str(),
            s.error_list[0].code
        ),
        (stale, 4430),
        "{:?}",
        s.error_list
    );
    c.batch_send_message()
        .queue_name("orders")
        .msg_body(["d"])
        .send()
        .await
        .expect("BatchSendMessage");
    let one = c
        .batch_receive_message()
        .queue_name("orders")
        .num_of_msg(1)
        .send()
        .await
        .expect("BatchReceiveMessage");
    let out = c
        .batch_delete_message()
        .queue_name("orders")
        .receipt_handle([one.msg_info_list[0].receipt_handle.clone()])
        .send()
        .await
        .expect("BatchDeleteMessage");
    assert_eq!(out.error_list, None);
    ran.insert(Action::BatchDeleteMessage);

    let now = mock.clock().now_secs();
    c.rewind_queue()
        .queue_name("orders")
        .start_consume_time(i64::try_from(now).unwrap_or(0) - 60)
        .send()
        .await
        .expect("RewindQueue");
    ran.insert(Action::RewindQueue);
}

/// CreateTopic, SetTopicAttributes, GetTopicAttributes, ListTopic, QueryTopicRoute.
async fn topic_actions(c: &Client, ran: &mut BTreeSet<Action>) {
    let topic = c
        .create_topic()
        .topic_name("events")
        .max_msg_size(65_536)
        .filter_type(1)
        .send()
        .await
        .expect("CreateTopic");
    assert!(!topic.topic_id.is_empty());
    ran.insert(Action::CreateTopic);
    c.set_topic_attributes()
        .topic_name("events")
        .max_msg_size(1_048_576)
        .send()
        .await
        .expect("SetTopicAttributes");
    ran.insert(Action::SetTopicAttributes);
    let tattrs = c
        .get_topic_attributes()
        .topic_name("events")
        .send()
        .await
        .expect("GetTopicAttributes");
    assert_eq!((tattrs.max_msg_size, tattrs.filter_type), (1_048_576, 1));
    ran.insert(Action::GetTopicAttributes);
    let topics = c.list_topic().send().await.expect("ListTopic");
    assert_eq!(topics.total_count, 1);
    assert_eq!(topics.topic_list[0].topic_name, "events");
    ran.insert(Action::ListTopic);
    let troute = c
        .query_topic_route()
        .topic_name("events")
        .send()
        .await
        .expect("QueryTopicRoute");
    assert_eq!(troute.addr, ROUTES);
    ran.insert(Action::QueryTopicRoute);
}

/// Subscribe (queue `fanout`, tags red and blue), ListSubscriptionByTopic,
/// SetSubscriptionAttributes, GetSubscriptionAttributes.
async fn subscription_actions(c: &Client, ran: &mut BTreeSet<Action>) {
    c.create_queue()
        .queue_name("fanout")
        .send()
        .await
        .expect("CreateQueue fanout");
    let sub = c
        .subscribe()
        .topic_name("events")
        .subscription_name("audit")
        .protocol("queue")
        .endpoint("fanout")
        .notify_strategy(NotifyStrategy::BackoffRetry)
        .notify_content_format(NotifyContentFormat::Simplified)
        .filter_tag(["red", "blue"])
        .send()
        .await
        .expect("Subscribe");
    assert!(!sub.subscription_id.is_empty());
    ran.insert(Action::Subscribe);
    let subs = c
        .list_subscription_by_topic()
        .topic_name("events")
        .send()
        .await
        .expect("ListSubscriptionByTopic");
    assert_eq!(subs.total_count, 1);
    let item = &subs.subscription_list.as_deref().unwrap_or_default()[0];
    assert_eq!(
        (
            item.subscription_name.as_str(),
            item.protocol.as_str(),
            item.endpoint.as_str()
        ),
        ("audit", "queue", "fanout")
    );
    ran.insert(Action::ListSubscriptionByTopic);
    c.set_subscription_attributes()
        .topic_name("events")
        .subscription_name("audit")
        .notify_strategy(NotifyStrategy::ExponentialDecayRetry)
        .filter_tag(["red"])
        .send()
        .await
        .expect("SetSubscriptionAttributes");
    ran.insert(Action::SetSubscriptionAttributes);
    let sattrs = c
        .get_subscription_attributes()
        .topic_name("events")
        .subscription_name("audit")
        .send()
        .await
        .expect("GetSubscriptionAttributes");
    assert_eq!(sattrs.protocol, "queue");
    assert_eq!(sattrs.endpoint, "fanout");
    assert_eq!(sattrs.notify_strategy, "EXPONENTIAL_DECAY_RETRY");
    assert_eq!(sattrs.filter_tags.as_deref(), Some(&["red".to_owned()][..]));
    ran.insert(Action::GetSubscriptionAttributes);
}

/// PublishMessage, ClearSubscriptionFilterTags, BatchPublishMessage, and what reached `fanout`.
async fn publish_actions(c: &Client, ran: &mut BTreeSet<Action>) {
    // Tag filtering: "red" reaches the queue; after clearing the tags "green" does too.
    let published = c
        .publish_message()
        .topic_name("events")
        .msg_body("p1")
        .msg_tag(["red"])
        .send()
        .await
        .expect("PublishMessage");
    assert!(!published.msg_id.is_empty());
    ran.insert(Action::PublishMessage);
    c.clear_subscription_filter_tags()
        .topic_name("events")
        .subscription_name("audit")
        .send()
        .await
        .expect("ClearSubscriptionFilterTags");
    ran.insert(Action::ClearSubscriptionFilterTags);
    let bp = c
        .batch_publish_message()
        .topic_name("events")
        .msg_body(["p2", "p3"])
        .msg_tag(["green"])
        .send()
        .await
        .expect("BatchPublishMessage");
    assert_eq!(bp.msg_list.len(), 2);
    ran.insert(Action::BatchPublishMessage);
    let fanned = c
        .batch_receive_message()
        .queue_name("fanout")
        .num_of_msg(16)
        .send()
        .await
        .expect("the pushed messages");
    let mut bodies: Vec<&str> = fanned
        .msg_info_list
        .iter()
        .map(|m| m.msg_body.as_str())
        .collect();
    bodies.sort_unstable();
    assert_eq!(bodies, ["p1", "p2", "p3"]);
}

/// Unsubscribe, DeleteTopic, DeleteQueue.
async fn teardown(c: &Client, ran: &mut BTreeSet<Action>) {
    c.unsubscribe()
        .topic_name("events")
        .subscription_name("audit")
        .send()
        .await
        .expect("Unsubscribe");
    ran.insert(Action::Unsubscribe);
    c.delete_topic()
        .topic_name("events")
        .send()
        .await
        .expect("DeleteTopic");
    ran.insert(Action::DeleteTopic);
    for q in ["orders", "orders-dlq", "fanout"] {
        c.delete_queue()
            .queue_name(q)
            .send()
            .await
            .expect("DeleteQueue");
    }
    ran.insert(Action::DeleteQueue);
    let gone = c
        .get_queue_attributes()
        .queue_name("orders")
        .send()
        .await
        .expect_err("deleted");
    assert_eq!(service_code(&gone), Some(4440));
}

async fn run(sig: SignatureMethod, method: HttpMethod) {
    let mock = mock().await;
    let c = client(&mock, sig, method);
    let ran = every_action(&mock, &c).await;
    let all: BTreeSet<Action> = Action::ALL.iter().copied().collect();
    assert_eq!(ran, all, "every action ran");
    // Every request reached the mock signed with the configured method, and every action of
    // the spec is in the journal.
    let records = mock.journal().records();
    assert!(
        records
            .iter()
            .all(|r| r.param("SignatureMethod") == Some(sig.as_str())),
        "{records:?}"
    );
    let journaled: BTreeSet<&str> = records.iter().filter_map(|r| r.action.as_deref()).collect();
    assert_eq!(journaled.len(), all.len());
    mock.shutdown().await;
}

#[tokio::test]
async fn every_action_post_hmac_sha1() {
    run(SignatureMethod::HmacSha1, HttpMethod::Post).await;
}

#[tokio::test]
async fn every_action_post_hmac_sha256() {
    run(SignatureMethod::HmacSha256, HttpMethod::Post).await;
}

#[tokio::test]
async fn every_action_get_hmac_sha256() {
    run(SignatureMethod::HmacSha256, HttpMethod::Get).await;
}

/// A ReceiveMessage that waits (pollingWaitSeconds on a manual clock) is answered by the send
/// that arrives while it waits, without the clock moving; one that nothing answers gets 7000
/// once the clock passes its wait.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_poll_woken_by_a_send_and_timing_out_on_the_clock() {
    let mock = mock().await;
    let c = client(&mock, SignatureMethod::HmacSha256, HttpMethod::Post);
    c.create_queue()
        .queue_name("waits")
        .send()
        .await
        .expect("CreateQueue");
    let t0 = mock.clock().now_ms();

    let waiting = {
        let c = c.clone();
        tokio::spawn(async move {
            c.receive_message()
                .queue_name("waits")
                .polling_wait_seconds(20)
                .send()
                .await
        })
    };
    // The poll is waiting once its deadline is on the clock.
    let deadline = Instant::now() + Duration::from_secs(10);
    while mock.clock().next_deadline_ms() != Some(t0 + 20_000) {
        assert!(
            Instant::now() < deadline,
            "the receive never started waiting"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(!waiting.is_finished());
    let sent = c
        .send_message()
        .queue_name("waits")
        .msg_body("wake up")
        .send()
        .await
        .expect("SendMessage");
    let got = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("the send wakes the poll")
        .expect("task")
        .expect("ReceiveMessage");
    assert_eq!(
        (got.msg_id, got.msg_body.as_str()),
        (sent.msg_id, "wake up")
    );
    assert_eq!(mock.clock().now_ms(), t0, "the clock did not move");

    // Nothing arrives: the poll ends with 7000 when the clock passes its wait.
    let waiting = {
        let c = c.clone();
        tokio::spawn(async move {
            c.receive_message()
                .queue_name("waits")
                .polling_wait_seconds(5)
                .send()
                .await
        })
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while mock.clock().next_deadline_ms() != Some(t0 + 5_000) {
        assert!(
            Instant::now() < deadline,
            "the second receive never started waiting"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    mock.clock().advance(Duration::from_secs(5));
    let err = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("the clock ends the poll")
        .expect("task")
        .expect_err("no message");
    let s = err.service().expect("a service error");
    assert_eq!(
        (s.code, s.module_code, s.message.as_str()),
        (7000, Some(10200), "(10200)no message")
    );
    mock.shutdown().await;
}
