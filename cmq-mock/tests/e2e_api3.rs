//! API 3.0 served by `CmqMock`: every one of the 20 actions round-trips through the SDK's fluent
//! API 3.0 calls (the list comes from the generated `Api3Action::ALL`, and the match below is
//! exhaustive, so a new action fails to compile until it has a case), on the same engine as
//! API 2.0 (resources shared both ways), with the journal recording API 3.0 calls.

mod common;

use common::client3;

use cmq_mock::{API3_ERROR_CODE, MOCK_REGION};
use cmq_sdk::generated::errors::ErrorId;
use cmq_sdk::generated::types::{NotifyContentFormat, Protocol};
use cmq_sdk::generated::v3::actions::Api3Action;
use cmq_sdk::generated::v3::constraints::{create_cmq_queue, create_cmq_topic};
use cmq_sdk::generated::v3::models::{Filter, Tag};
use cmq_sdk::retry::RetryPolicy;
use cmq_sdk::{Client, Error, ErrorCode};

/// The API 3.0 code of a failed call.
fn code3<T: std::fmt::Debug>(r: Result<T, Error>) -> String {
    let e = r.expect_err("the call should fail");
    e.api3()
        .unwrap_or_else(|| panic!("not an API 3.0 service error: {e}"))
        .code
        .clone()
}

async fn queue(c: &Client, name: &str) {
    c.create_cmq_queue()
        .queue_name(name)
        .send()
        .await
        .expect("create queue");
}

async fn topic(c: &Client, name: &str) {
    c.create_cmq_topic()
        .topic_name(name)
        .send()
        .await
        .expect("create topic");
}

async fn queue_sub(c: &Client, topic: &str, sub: &str, sink: &str, tags: &[&str]) {
    let mut f = c
        .create_cmq_subscribe()
        .topic_name(topic)
        .subscription_name(sub)
        .protocol(Protocol::Queue)
        .endpoint(sink)
        .notify_content_format(NotifyContentFormat::Simplified);
    if !tags.is_empty() {
        f = f.filter_tag(tags.iter().copied());
    }
    f.send().await.expect("subscribe");
}

/// Receives one message over API 2.0 (no wait): its body and receipt handle.
async fn receive2(c: &Client, q: &str) -> Result<(String, String), Error> {
    let m = c
        .receive_message()
        .queue_name(q)
        .polling_wait_seconds(0)
        .send()
        .await?;
    Ok((m.msg_body, m.receipt_handle))
}

/// Asserts that `q` has no visible message (API 2.0 answers NoMessage).
async fn empty2(c: &Client, q: &str) {
    let e = receive2(c, q).await.expect_err("no message expected");
    assert_eq!(
        e.error_code(),
        Some(ErrorCode::Cmq(ErrorId::NoMessage.code())),
        "{e}"
    );
}

/// The queue and topic scenarios.
async fn exercise_queue(c: &Client, action: Api3Action, q: &str) {
    match action {
        Api3Action::ClearCmqQueue => {
            queue(c, q).await;
            for body in ["a", "b"] {
                c.send_cmq_msg()
                    .queue_name(q)
                    .msg_content(body)
                    .send()
                    .await
                    .unwrap();
            }
            let (_, handle) = receive2(c, q).await.unwrap();
            c.clear_cmq_queue().queue_name(q).send().await.unwrap();
            let d = c
                .describe_cmq_queue_detail()
                .queue_name(q)
                .send()
                .await
                .unwrap();
            let d = d.queue_describe;
            assert_eq!((d.active_msg_num, d.inactive_msg_num), (0, 0));
            empty2(c, q).await;
            let r = c
                .delete_message()
                .queue_name(q)
                .receipt_handle(handle)
                .send()
                .await;
            assert!(
                r.is_err(),
                "a handle minted before ClearCmqQueue still deletes"
            );
            let missing = c.clear_cmq_queue().queue_name("nope").send().await;
            assert_eq!(code3(missing), "ResourceNotFound");
        }
        Api3Action::CreateCmqQueue => {
            let out = c
                .create_cmq_queue()
                .queue_name(q)
                .visibility_timeout(45)
                .tags([Tag::new().tag_key("env").tag_value("test")])
                .trace(true)
                .send()
                .await
                .unwrap();
            assert!(out.queue_id.starts_with("cmqq-") || !out.queue_id.is_empty());
            assert!(!out.request_id.is_empty());
            let d = c
                .describe_cmq_queue_detail()
                .queue_name(q)
                .send()
                .await
                .unwrap();
            let d = d.queue_describe;
            assert_eq!(d.queue_id, out.queue_id);
            assert_eq!(d.visibility_timeout, 45);
            // API 3.0's defaults, not API 2.0's.
            assert_eq!(
                d.msg_retention_seconds,
                create_cmq_queue::msg_retention_seconds::DEFAULT
            );
            assert_eq!(d.max_msg_size, create_cmq_queue::max_msg_size::DEFAULT);
            assert_eq!(d.trace, Some(true));
            let tags = d.tags.expect("tags");
            assert_eq!(tags[0].tag_key.as_deref(), Some("env"));
            assert_eq!(d.namespace_name, format!("CMQ_QUEUE-{q}"));
            // API 2.0 sees the same queue with the same attributes.
            let a2 = c.get_queue_attributes().queue_name(q).send().await.unwrap();
            assert_eq!(a2.visibility_timeout, 45);
            assert_eq!(a2.queue_id.as_deref(), Some(out.queue_id.as_str()));
            // Milliseconds over API 3.0, seconds over API 2.0.
            assert_eq!(d.create_time / 1000, a2.create_time);
            let again = c.create_cmq_queue().queue_name(q).send().await;
            assert_eq!(code3(again), "ResourceInUse.Queue");
        }
        Api3Action::DeleteCmqQueue => {
            queue(c, q).await;
            c.delete_cmq_queue().queue_name(q).send().await.unwrap();
            let r = c.describe_cmq_queue_detail().queue_name(q).send().await;
            assert_eq!(code3(r), "ResourceNotFound");
            let r = c.delete_cmq_queue().queue_name(q).send().await;
            assert_eq!(code3(r), "ResourceNotFound");
        }
        Api3Action::DescribeCmqQueueDetail => {
            let dlq = format!("{q}-dlq");
            queue(c, &dlq).await;
            c.create_cmq_queue()
                .queue_name(q)
                .dead_letter_queue_name(&dlq)
                .policy(0)
                .max_receive_count(3)
                .send()
                .await
                .unwrap();
            c.send_cmq_msg()
                .queue_name(q)
                .msg_content("x")
                .delay_seconds(5)
                .send()
                .await
                .unwrap();
            let d = c
                .describe_cmq_queue_detail()
                .queue_name(q)
                .send()
                .await
                .unwrap();
            let d = d.queue_describe;
            let p = d.dead_letter_policy.expect("policy");
            assert_eq!(
                (p.dead_letter_queue.as_str(), p.policy, p.max_receive_count),
                (dlq.as_str(), 0, 3)
            );
            assert_eq!(d.delay_msg_num, Some(1));
            let d = c
                .describe_cmq_queue_detail()
                .queue_name(&dlq)
                .send()
                .await
                .unwrap();
            let sources = d.queue_describe.dead_letter_source.expect("sources");
            assert_eq!(sources.len(), 1);
            assert_eq!(sources[0].queue_name, q);
            // Deleting the dead-letter queue is refused while it serves.
            let r = c.delete_cmq_queue().queue_name(&dlq).send().await;
            assert_eq!(code3(r), "ResourceInUse");
        }
        Api3Action::DescribeCmqQueues => {
            for n in 0..3 {
                let mut f = c.create_cmq_queue().queue_name(format!("{q}{n}"));
                if n == 1 {
                    f = f.tags([Tag::new().tag_key("team").tag_value("blue")]);
                }
                f.send().await.unwrap();
            }
            let all = c
                .describe_cmq_queues()
                .queue_name(q)
                .limit(2)
                .send()
                .await
                .unwrap();
            assert_eq!(all.total_count, 3);
            let names: Vec<_> = all
                .queue_list
                .iter()
                .map(|x| x.queue_name.clone())
                .collect();
            assert_eq!(names, [format!("{q}0"), format!("{q}1")]);
            let next = c
                .describe_cmq_queues()
                .queue_name(q.to_ascii_uppercase())
                .offset(2)
                .limit(2)
                .send()
                .await
                .unwrap();
            assert_eq!(next.queue_list.len(), 1);
            let listed = c
                .describe_cmq_queues()
                .queue_name_list([format!("{q}2"), "nope".into()])
                .send()
                .await
                .unwrap();
            assert_eq!(listed.total_count, 1);
            let tagged = c
                .describe_cmq_queues()
                .is_tag_filter(true)
                .filters([Filter::new().name("tag:team").values(["blue"])])
                .send()
                .await
                .unwrap();
            assert_eq!(tagged.total_count, 1);
            assert_eq!(tagged.queue_list[0].queue_name, format!("{q}1"));
            let r = c.describe_cmq_queues().offset(1).send().await;
            assert!(r.is_err(), "Offset without Limit is refused");
        }
        Api3Action::ModifyCmqQueueAttribute => {
            queue(c, q).await;
            c.modify_cmq_queue_attribute()
                .queue_name(q)
                .polling_wait_seconds(7)
                .rewind_seconds(60)
                .send()
                .await
                .unwrap();
            let d = c
                .describe_cmq_queue_detail()
                .queue_name(q)
                .send()
                .await
                .unwrap();
            assert_eq!(
                (
                    d.queue_describe.polling_wait_seconds,
                    d.queue_describe.rewind_seconds
                ),
                (7, 60)
            );
            let a2 = c.get_queue_attributes().queue_name(q).send().await.unwrap();
            assert_eq!(a2.polling_wait_seconds, 7);
            let r = c
                .modify_cmq_queue_attribute()
                .queue_name("nope")
                .send()
                .await;
            assert_eq!(code3(r), "ResourceNotFound");
        }
        Api3Action::RewindCmqQueue => {
            c.create_cmq_queue()
                .queue_name(q)
                .rewind_seconds(600)
                .send()
                .await
                .unwrap();
            // The mock's (manual) clock, not the wall clock, which may have moved on a second:
            // the queue's creation time, in milliseconds.
            let start = c
                .describe_cmq_queue_detail()
                .queue_name(q)
                .send()
                .await
                .unwrap()
                .queue_describe
                .create_time;
            c.send_cmq_msg()
                .queue_name(q)
                .msg_content("again")
                .send()
                .await
                .unwrap();
            let (body, handle) = receive2(c, q).await.unwrap();
            assert_eq!(body, "again");
            c.delete_message()
                .queue_name(q)
                .receipt_handle(handle)
                .send()
                .await
                .unwrap();
            empty2(c, q).await;
            c.rewind_cmq_queue()
                .queue_name(q)
                .start_consume_time(start)
                .send()
                .await
                .unwrap();
            assert_eq!(receive2(c, q).await.unwrap().0, "again");
            let off = format!("{q}-off");
            queue(c, &off).await;
            let r = c
                .rewind_cmq_queue()
                .queue_name(&off)
                .start_consume_time(start)
                .send()
                .await;
            assert_eq!(code3(r), "FailedOperation");
        }
        Api3Action::SendCmqMsg => {
            queue(c, q).await;
            let out = c
                .send_cmq_msg()
                .queue_name(q)
                .msg_content("hello")
                .send()
                .await
                .unwrap();
            assert!(out.result);
            assert!(!out.msg_id.is_empty());
            assert_eq!(receive2(c, q).await.unwrap().0, "hello");
            let r = c
                .send_cmq_msg()
                .queue_name("nope")
                .msg_content("x")
                .send()
                .await;
            assert_eq!(code3(r), "ResourceNotFound");
        }
        Api3Action::UnbindCmqDeadLetter => {
            let dlq = format!("{q}-dlq");
            queue(c, &dlq).await;
            c.create_cmq_queue()
                .queue_name(q)
                .dead_letter_queue_name(&dlq)
                .policy(0)
                .max_receive_count(2)
                .send()
                .await
                .unwrap();
            c.unbind_cmq_dead_letter()
                .source_queue_name(q)
                .send()
                .await
                .unwrap();
            let d = c
                .describe_cmq_queue_detail()
                .queue_name(q)
                .send()
                .await
                .unwrap();
            assert_eq!(d.queue_describe.dead_letter_policy, None);
            let r = c.unbind_cmq_dead_letter().source_queue_name(q).send().await;
            assert_eq!(code3(r), "FailedOperation");
            let r = c
                .unbind_cmq_dead_letter()
                .source_queue_name("nope")
                .send()
                .await;
            assert_eq!(code3(r), "ResourceNotFound");
        }
        other => panic!("{other:?} is not a queue action"),
    }
}

/// The topic and subscription scenarios.
async fn exercise_topic(c: &Client, action: Api3Action, t: &str, s: &str, q: &str) {
    match action {
        Api3Action::ClearCmqSubscriptionFilterTags => {
            topic(c, t).await;
            queue(c, q).await;
            queue_sub(c, t, s, q, &["red"]).await;
            c.clear_cmq_subscription_filter_tags()
                .topic_name(t)
                .subscription_name(s)
                .send()
                .await
                .unwrap();
            let d = c
                .describe_cmq_subscription_detail()
                .topic_name(t)
                .send()
                .await
                .unwrap();
            assert_eq!(d.subscription_set[0].filter_tags, Vec::<String>::new());
        }
        Api3Action::CreateCmqSubscribe => {
            topic(c, t).await;
            queue(c, q).await;
            let out = c
                .create_cmq_subscribe()
                .topic_name(t)
                .subscription_name(s)
                .protocol(Protocol::Queue)
                .endpoint(q)
                .send()
                .await
                .unwrap();
            assert!(!out.subscription_id.is_empty());
            let r = c
                .create_cmq_subscribe()
                .topic_name(t)
                .subscription_name(s)
                .protocol(Protocol::Queue)
                .endpoint(q)
                .send()
                .await;
            assert_eq!(code3(r), "ResourceInUse.Subscription");
            let r = c
                .create_cmq_subscribe()
                .topic_name("nope")
                .subscription_name(s)
                .protocol(Protocol::Queue)
                .endpoint(q)
                .send()
                .await;
            assert_eq!(code3(r), "ResourceNotFound");
        }
        Api3Action::CreateCmqTopic => {
            let out = c
                .create_cmq_topic()
                .topic_name(t)
                .filter_type(2)
                .send()
                .await
                .unwrap();
            let d = c
                .describe_cmq_topic_detail()
                .topic_name(t)
                .send()
                .await
                .unwrap();
            let d = d.topic_describe;
            assert_eq!(d.topic_id, out.topic_id);
            assert_eq!(d.filter_type, 2);
            assert_eq!(d.max_msg_size, create_cmq_topic::max_msg_size::DEFAULT);
            assert_eq!(
                d.msg_retention_seconds,
                create_cmq_topic::msg_retention_seconds::DEFAULT
            );
            let r = c.create_cmq_topic().topic_name(t).send().await;
            assert_eq!(code3(r), "ResourceInUse.Topic");
        }
        Api3Action::DeleteCmqSubscribe => {
            topic(c, t).await;
            queue(c, q).await;
            queue_sub(c, t, s, q, &[]).await;
            c.delete_cmq_subscribe()
                .topic_name(t)
                .subscription_name(s)
                .send()
                .await
                .unwrap();
            let d = c
                .describe_cmq_subscription_detail()
                .topic_name(t)
                .send()
                .await
                .unwrap();
            assert_eq!(d.total_count, 0);
            let r = c
                .delete_cmq_subscribe()
                .topic_name(t)
                .subscription_name(s)
                .send()
                .await;
            assert_eq!(code3(r), "ResourceNotFound");
        }
        Api3Action::DeleteCmqTopic => {
            topic(c, t).await;
            queue(c, q).await;
            queue_sub(c, t, s, q, &[]).await;
            let r = c.delete_cmq_topic().topic_name(t).send().await;
            assert_eq!(code3(r), "FailedOperation");
            c.delete_cmq_subscribe()
                .topic_name(t)
                .subscription_name(s)
                .send()
                .await
                .unwrap();
            c.delete_cmq_topic().topic_name(t).send().await.unwrap();
            let r = c.describe_cmq_topic_detail().topic_name(t).send().await;
            assert_eq!(code3(r), "ResourceNotFound");
            let r = c.delete_cmq_topic().topic_name(t).send().await;
            assert_eq!(code3(r), "ResourceNotFound.Topic");
        }
        Api3Action::DescribeCmqSubscriptionDetail => {
            topic(c, t).await;
            queue(c, q).await;
            for n in ["b-sub", "a", "a-sub"] {
                queue_sub(c, t, &format!("{s}{n}"), q, &[]).await;
            }
            let d = c
                .describe_cmq_subscription_detail()
                .topic_name(t)
                .limit(2)
                .send()
                .await
                .unwrap();
            assert_eq!((d.total_count, d.subscription_set.len()), (3, 2));
            assert_eq!(d.subscription_set[0].topic_name.as_deref(), Some(t));
            assert!(
                d.subscription_set[0].create_time > 1_000_000_000_000,
                "milliseconds"
            );
            let exact = c
                .describe_cmq_subscription_detail()
                .topic_name(t)
                .subscription_name(format!("{s}a"))
                .send()
                .await
                .unwrap();
            assert_eq!(exact.total_count, 2);
            assert_eq!(exact.subscription_set[0].subscription_name, format!("{s}a"));
            let by_queue = c
                .describe_cmq_subscription_detail()
                .query_type(cmq_sdk::generated::v3::types::QueryType::Queue)
                .queue_name(q)
                .send()
                .await
                .unwrap();
            assert_eq!(by_queue.total_count, 3);
            let r = c
                .describe_cmq_subscription_detail()
                .topic_name("nope")
                .send()
                .await;
            assert_eq!(code3(r), "ResourceNotFound.Topic");
        }
        Api3Action::DescribeCmqTopicDetail => {
            c.create_cmq_topic()
                .topic_name(t)
                .msg_retention_seconds(3600)
                .tags([Tag::new().tag_key("k").tag_value("v")])
                .send()
                .await
                .unwrap();
            queue(c, q).await;
            queue_sub(c, t, s, q, &[]).await;
            let d = c
                .describe_cmq_topic_detail()
                .topic_name(t)
                .send()
                .await
                .unwrap();
            let d = d.topic_describe;
            assert_eq!(d.msg_retention_seconds, 3600);
            assert_eq!(d.subscription_count, 1);
            assert_eq!(d.tags.map(|t| t.len()), Some(1));
            let r = c
                .describe_cmq_topic_detail()
                .topic_name("nope")
                .send()
                .await;
            assert_eq!(code3(r), "ResourceNotFound");
        }
        Api3Action::DescribeCmqTopics => {
            for n in 0..3 {
                topic(c, &format!("{t}{n}")).await;
            }
            let d = c
                .describe_cmq_topics()
                .topic_name(t)
                .limit(2)
                .send()
                .await
                .unwrap();
            assert_eq!((d.total_count, d.topic_list.len()), (3, 2));
            let l = c
                .describe_cmq_topics()
                .topic_name_list([format!("{t}1")])
                .send()
                .await
                .unwrap();
            assert_eq!(l.topic_list[0].topic_name, format!("{t}1"));
            // API 2.0 lists the same topics.
            let l2 = c.list_topic().search_word(t).send().await.unwrap();
            assert_eq!(l2.total_count, 3);
        }
        Api3Action::ModifyCmqSubscriptionAttribute => {
            topic(c, t).await;
            queue(c, q).await;
            queue_sub(c, t, s, q, &["a"]).await;
            c.modify_cmq_subscription_attribute()
                .topic_name(t)
                .subscription_name(s)
                .filter_tags(["x", "y"])
                .send()
                .await
                .unwrap();
            let a2 = c
                .get_subscription_attributes()
                .topic_name(t)
                .subscription_name(s)
                .send()
                .await
                .unwrap();
            assert_eq!(a2.filter_tags, Some(vec!["x".to_owned(), "y".to_owned()]));
        }
        Api3Action::ModifyCmqTopicAttribute => {
            topic(c, t).await;
            c.modify_cmq_topic_attribute()
                .topic_name(t)
                .max_msg_size(4096)
                .msg_retention_seconds(120)
                .send()
                .await
                .unwrap();
            let d = c
                .describe_cmq_topic_detail()
                .topic_name(t)
                .send()
                .await
                .unwrap();
            assert_eq!(
                (
                    d.topic_describe.max_msg_size,
                    d.topic_describe.msg_retention_seconds
                ),
                (4096, 120)
            );
            let r = c
                .modify_cmq_topic_attribute()
                .topic_name("nope")
                .send()
                .await;
            assert_eq!(code3(r), "ResourceNotFound.Topic");
        }
        Api3Action::PublishCmqMsg => {
            topic(c, t).await;
            queue(c, q).await;
            queue_sub(c, t, s, q, &["red"]).await;
            let out = c
                .publish_cmq_msg()
                .topic_name(t)
                .msg_content("fan")
                .msg_tag(["red"])
                .send()
                .await
                .unwrap();
            assert!(out.result && !out.msg_id.is_empty());
            assert_eq!(receive2(c, q).await.unwrap().0, "fan");
            let r = c
                .publish_cmq_msg()
                .topic_name(t)
                .msg_content("x")
                .msg_tag(["blue"])
                .send()
                .await;
            assert_eq!(code3(r), "FailedOperation");
            // Routing keys travel in MsgTag on a FilterType 2 topic.
            let rt = format!("{t}-rt");
            c.create_cmq_topic()
                .topic_name(&rt)
                .filter_type(2)
                .send()
                .await
                .unwrap();
            c.create_cmq_subscribe()
                .topic_name(&rt)
                .subscription_name(s)
                .protocol(Protocol::Queue)
                .endpoint(q)
                .binding_key(["order.*"])
                .send()
                .await
                .unwrap();
            c.publish_cmq_msg()
                .topic_name(&rt)
                .msg_content("k")
                .msg_tag(["order.paid"])
                .send()
                .await
                .unwrap();
            assert_eq!(receive2(c, q).await.unwrap().0, "k");
            let r = c
                .publish_cmq_msg()
                .topic_name(&rt)
                .msg_content("k")
                .send()
                .await;
            assert_eq!(code3(r), "InvalidParameterValue");
        }
        other => panic!("{other:?} is not a topic action"),
    }
}

#[tokio::test]
async fn every_action_round_trips_through_the_sdk() {
    let (mock, _) = common::mock().await;
    let c = client3(&mock);
    assert_eq!(c.management_api(), cmq_sdk::handles::ManagementApi::Api3);
    for &action in Api3Action::ALL {
        let p = action.as_str().to_ascii_lowercase();
        let (q, t, s) = (format!("{p}-q"), format!("{p}-t"), format!("{p}-s"));
        let before = mock.journal().records_of(action.as_str()).len();
        match action.as_str().contains("Topic")
            || action.as_str().contains("Subscri")
            || action == Api3Action::PublishCmqMsg
        {
            true => exercise_topic(&c, action, &t, &s, &q).await,
            false => exercise_queue(&c, action, &q).await,
        }
        let after = mock.journal().records_of(action.as_str());
        assert!(after.len() > before, "{action:?} is journaled");
    }
}

#[tokio::test]
async fn resources_are_shared_between_the_apis() {
    let (mock, _) = common::mock().await;
    let c = client3(&mock);
    // Created over API 3.0, used over API 2.0.
    queue(&c, "shared").await;
    c.send_message()
        .queue_name("shared")
        .msg_body("v2")
        .send()
        .await
        .unwrap();
    assert_eq!(receive2(&c, "shared").await.unwrap().0, "v2");
    // Created over API 2.0, described over API 3.0.
    c.create_queue().queue_name("legacy").send().await.unwrap();
    let d = c
        .describe_cmq_queue_detail()
        .queue_name("legacy")
        .send()
        .await
        .unwrap();
    assert_eq!(d.queue_describe.queue_name, "legacy");
    // Subscribed over API 3.0, published over API 2.0, received from the queue subscription.
    topic(&c, "news").await;
    queue_sub(&c, "news", "to-shared", "shared", &[]).await;
    c.publish_message()
        .topic_name("news")
        .msg_body("pub")
        .send()
        .await
        .unwrap();
    assert_eq!(receive2(&c, "shared").await.unwrap().0, "pub");
    // Deleted over API 2.0: gone over API 3.0.
    c.delete_queue().queue_name("legacy").send().await.unwrap();
    let r = c
        .describe_cmq_queue_detail()
        .queue_name("legacy")
        .send()
        .await;
    assert_eq!(code3(r), "ResourceNotFound");
}

#[tokio::test]
async fn mock_client_manages_over_api3_and_handles_work() {
    let (mock, _) = common::mock().await;
    let c = mock.client().unwrap();
    assert_eq!(c.management_api(), cmq_sdk::handles::ManagementApi::Api3);
    let q = c.queue("handled");
    q.create().await.unwrap();
    assert_eq!(mock.journal().records_of("CreateCmqQueue").len(), 1);
    assert!(mock.journal().records_of("CreateQueue").is_empty());
    q.send("m").await.unwrap();
    assert_eq!(mock.journal().records_of("SendMessage").len(), 1);
}

#[tokio::test]
async fn journal_records_api3_calls_and_errors() {
    let (mock, _) = common::mock().await;
    let c = client3(&mock);
    queue(&c, "j").await;
    let r = c
        .describe_cmq_queue_detail()
        .queue_name("missing")
        .send()
        .await;
    assert_eq!(code3(r), "ResourceNotFound");
    let created = mock.journal().records_of("CreateCmqQueue");
    assert_eq!(created.len(), 1);
    let rec = &created[0];
    assert_eq!(rec.code, Some(0));
    assert_eq!(rec.error_code, None);
    assert_eq!(rec.account.as_deref(), Some(mock.secret_id()));
    assert_eq!(rec.param("QueueName"), Some("j"));
    assert_eq!(rec.param("Version"), Some(cmq_sdk::generated::v3::VERSION));
    assert_eq!(rec.param("Region"), Some(MOCK_REGION));
    assert!(rec.params.iter().all(|(k, _)| k != "Authorization"));
    let failed = mock.journal().records_of("DescribeCmqQueueDetail");
    assert_eq!(failed[0].code, Some(API3_ERROR_CODE));
    assert_eq!(failed[0].error_code.as_deref(), Some("ResourceNotFound"));
}

#[tokio::test]
async fn faults_address_api3_actions_by_their_api2_counterpart() {
    let (mock, _) = common::mock().await;
    let c = client3(&mock);
    queue(&c, "f").await;
    mock.faults()
        .fail_next(Some(cmq_mock::Action::SendMessage), 1, ErrorId::QueueFull);
    let r = c
        .send_cmq_msg()
        .queue_name("f")
        .msg_content("x")
        .send()
        .await;
    assert_eq!(code3(r), "FailedOperation");
    c.send_cmq_msg()
        .queue_name("f")
        .msg_content("x")
        .send()
        .await
        .unwrap();
    // ClearCmqQueue has no counterpart: only rules for every action reach it.
    mock.faults()
        .fail_next(Some(cmq_mock::Action::SendMessage), 1, ErrorId::QueueFull);
    c.clear_cmq_queue().queue_name("f").send().await.unwrap();
    mock.faults().fail_next(None, 1, ErrorId::InternalError);
    let r = c.clear_cmq_queue().queue_name("f").send().await;
    assert_eq!(code3(r), "InternalError");
}

#[tokio::test]
async fn legacy_profile_answers_unsupported_operation() {
    let (mock, _) = common::mock_with(|b| b.profile(cmq_mock::Profile::Legacy)).await;
    let c = Client::builder()
        .endpoint(mock.endpoint())
        .credentials(mock.credentials())
        .region(MOCK_REGION)
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let r = c.describe_cmq_queues().send().await;
    assert_eq!(code3(r), "UnsupportedOperation");
    // mock.client() on legacy keeps API 2.0 for management.
    assert_eq!(
        mock.client().unwrap().management_api(),
        cmq_sdk::handles::ManagementApi::Api2
    );
}

#[tokio::test]
async fn a_lost_api3_answer_still_carries_out_the_request() {
    let (mock, _) = common::mock().await;
    let c = client3(&mock);
    mock.faults()
        .drop_answer_next(Some(cmq_mock::Action::CreateQueue), 1);
    // The answer never comes …
    let r = c.create_cmq_queue().queue_name("lost").send().await;
    assert!(r.is_err(), "{r:?}");
    // … but the queue was created.
    c.describe_cmq_queue_detail()
        .queue_name("lost")
        .send()
        .await
        .unwrap();
}
