//! Every action's answer decodes (samples written from the reference's examples and field
//! tables, §5.2, §6), alias keys are accepted, unknown keys ignored, a missing required key is an
//! `Error::Decode` naming it, and the error envelope becomes `Error::Service`.

use cmq_sdk::client::decode_answer;
use cmq_sdk::generated::ops::*;
use cmq_sdk::generated::types::*;
use cmq_sdk::{Action, Error, Operation, ServiceCode};

fn ok<O: Operation>(body: &str) -> O::Output {
    match decode_answer::<O>(body.as_bytes()) {
        Ok(out) => out,
        Err(e) => panic!("{}: {e}\n{body}", O::ACTION),
    }
}

fn err<O: Operation>(body: &str) -> Error {
    match decode_answer::<O>(body.as_bytes()) {
        Ok(_) => panic!("{}: expected an error for {body}", O::ACTION),
        Err(e) => e,
    }
}

/// The envelope of a success, with the action's fields appended.
fn success(fields: &str) -> String {
    if fields.is_empty() {
        r#"{"code":0,"message":"","requestId":"14534664555"}"#.to_owned()
    } else {
        format!(r#"{{"code":0,"message":"","requestId":"14534664555",{fields}}}"#)
    }
}

// ---------------------------------------------------------------- queue management

#[test]
fn create_queue() {
    let out = ok::<CreateQueueInput>(&success(r#""queueId":"queue-ajksdfasdowe""#));
    assert_eq!(out.queue_id, "queue-ajksdfasdowe");
}

#[test]
fn envelope_only_answers() {
    let body = success("");
    ok::<DeleteQueueInput>(&body);
    ok::<RewindQueueInput>(&body);
    ok::<DeleteMessageInput>(&body);
    ok::<DeleteTopicInput>(&body);
    ok::<SetTopicAttributesInput>(&body);
    ok::<UnsubscribeInput>(&body);
    ok::<SetSubscriptionAttributesInput>(&body);
    ok::<ClearSubscriptionFilterTagsInput>(&body);
    let out = ok::<BatchDeleteMessageInput>(&body);
    assert_eq!(out.error_list, None);
    let out = ok::<UnbindDeadLetterQueueInput>(&body);
    assert_eq!(out.queue_id, None);
    let out = ok::<SetQueueAttributesInput>(&body);
    assert_eq!(out.visibility_timeout, None);
}

#[test]
fn list_queue() {
    let out = ok::<ListQueueInput>(&success(
        r#""totalCount":3,"queueList":[{"queueId":"queue-1","queueName":"a"},{"queueId":"queue-2","queueName":"b"}]"#,
    ));
    assert_eq!(out.total_count, 3);
    assert_eq!(
        out.queue_list,
        vec![
            QueueListItem {
                queue_id: "queue-1".into(),
                queue_name: "a".into()
            },
            QueueListItem {
                queue_id: "queue-2".into(),
                queue_name: "b".into()
            },
        ]
    );
}

const QUEUE_ATTRIBUTES: &str = r#""maxMsgHeapNum":100000000,"pollingWaitSeconds":0,"visibilityTimeout":30,"maxMsgSize":65536,"msgRetentionSeconds":345600,"createTime":1462351990,"lastModifyTime":1462352000,"activeMsgNum":5,"inactiveMsgNum":2,"rewindSeconds":3600,"minMsgTime":1462351000,"delayMsgNum":1"#;

#[test]
fn get_queue_attributes() {
    let out = ok::<GetQueueAttributesInput>(&success(&format!(
        r#"{QUEUE_ATTRIBUTES},"rewindMsgNum":7,"deadLetterPolicy":{{"deadLetterQueue":"orders-dlq","policy":0,"maxReceiveCount":5}},"queueName":"orders","queueId":"queue-1""#
    )));
    assert_eq!(out.max_msg_heap_num, 100_000_000);
    assert_eq!(out.polling_wait_seconds, 0);
    assert_eq!(out.visibility_timeout, 30);
    assert_eq!(out.max_msg_size, 65536);
    assert_eq!(out.msg_retention_seconds, 345_600);
    assert_eq!(out.create_time, 1_462_351_990);
    assert_eq!(out.last_modify_time, 1_462_352_000);
    assert_eq!(out.active_msg_num, 5);
    assert_eq!(out.inactive_msg_num, 2);
    assert_eq!(out.rewind_seconds, 3600);
    assert_eq!(out.rewind_msg_num, 7);
    assert_eq!(out.min_msg_time, 1_462_351_000);
    assert_eq!(out.delay_msg_num, 1);
    assert_eq!(
        out.dead_letter_policy,
        Some(DeadLetterPolicy {
            dead_letter_queue: Some("orders-dlq".into()),
            policy: Some(0),
            max_receive_count: Some(5),
            max_time_to_live: None,
        })
    );
    assert_eq!(out.queue_name.as_deref(), Some("orders"));
    assert_eq!(out.queue_id.as_deref(), Some("queue-1"));
}

#[test]
fn get_queue_attributes_accepts_the_rewindmsg_num_alias() {
    // The docs, PY and CPP spell it `rewindmsgNum` (reference §6.1, §12).
    let out =
        ok::<GetQueueAttributesInput>(&success(&format!(r#"{QUEUE_ATTRIBUTES},"rewindmsgNum":9"#)));
    assert_eq!(out.rewind_msg_num, 9);
    assert_eq!(out.dead_letter_policy, None);
    assert_eq!(out.queue_name, None);
}

#[test]
fn get_queue_attributes_without_the_rewind_counter_names_it() {
    let e = err::<GetQueueAttributesInput>(&success(QUEUE_ATTRIBUTES));
    match &e {
        Error::Decode { message, .. } => assert!(message.contains("rewindMsgNum"), "{message}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn set_queue_attributes() {
    let out = ok::<SetQueueAttributesInput>(&success(
        r#""maxMsgHeapNum":2000000,"pollingWaitSeconds":10,"visibilityTimeout":60,"maxMsgSize":1048576,"msgRetentionSeconds":86400,"rewindSeconds":0,"deadLetterPolicy":{"deadLetterQueue":"dlq","policy":1,"maxTimeToLive":600},"queueId":"queue-7""#,
    ));
    assert_eq!(out.max_msg_heap_num, Some(2_000_000));
    assert_eq!(out.polling_wait_seconds, Some(10));
    assert_eq!(out.visibility_timeout, Some(60));
    assert_eq!(out.max_msg_size, Some(1_048_576));
    assert_eq!(out.msg_retention_seconds, Some(86_400));
    assert_eq!(out.rewind_seconds, Some(0));
    assert_eq!(
        out.dead_letter_policy
            .as_ref()
            .and_then(|p| p.max_time_to_live),
        Some(600)
    );
    assert_eq!(out.queue_id.as_deref(), Some("queue-7"));
}

#[test]
fn list_dead_letter_source_queues() {
    let out = ok::<ListDeadLetterSourceQueuesInput>(&success(
        r#""totalCount":1,"queueList":[{"queueId":"queue-9","queueName":"orders"}]"#,
    ));
    assert_eq!(out.total_count, 1);
    assert_eq!(out.queue_list[0].queue_name, "orders");
}

#[test]
fn unbind_dead_letter_queue_with_queue_id() {
    let out = ok::<UnbindDeadLetterQueueInput>(&success(r#""queueId":"queue-1""#));
    assert_eq!(out.queue_id.as_deref(), Some("queue-1"));
}

// ---------------------------------------------------------------- queue messages

#[test]
fn send_message() {
    let out = ok::<SendMessageInput>(&success(r#""msgId":"123345346""#));
    assert_eq!(out.msg_id, "123345346");
}

#[test]
fn batch_send_message() {
    let out = ok::<BatchSendMessageInput>(&success(
        r#""msgList":[{"msgId":"1"},{"msgId":"2"},{"msgId":"3"}]"#,
    ));
    let ids: Vec<&str> = out.msg_list.iter().map(|m| m.msg_id.as_str()).collect();
    assert_eq!(ids, ["1", "2", "3"]);
}

const MESSAGE: &str = r#""msgBody":"hello","msgId":"123345346","receiptHandle":"283748239349283","enqueueTime":1462351990,"firstDequeueTime":1462352000,"nextVisibleTime":1462352030,"dequeueCount":1"#;

#[test]
fn receive_message() {
    let out = ok::<ReceiveMessageInput>(&success(MESSAGE));
    assert_eq!(out.msg_body, "hello");
    assert_eq!(out.msg_id, "123345346");
    assert_eq!(out.receipt_handle, "283748239349283");
    assert_eq!(out.enqueue_time, 1_462_351_990);
    assert_eq!(out.first_dequeue_time, 1_462_352_000);
    assert_eq!(out.next_visible_time, 1_462_352_030);
    assert_eq!(out.dequeue_count, 1);
    let m = cmq_sdk::Message::from(out);
    assert_eq!(m.body, "hello");
    assert_eq!(m.receipt_handle, "283748239349283");
}

#[test]
fn batch_receive_message() {
    let out = ok::<BatchReceiveMessageInput>(&success(&format!(
        r#""msgInfoList":[{{{MESSAGE}}},{{"msgBody":"b2","msgId":"2","receiptHandle":"h2","enqueueTime":1,"firstDequeueTime":2,"nextVisibleTime":3,"dequeueCount":4}}]"#
    )));
    assert_eq!(out.msg_info_list.len(), 2);
    assert_eq!(out.msg_info_list[0].msg_body, "hello");
    assert_eq!(
        out.msg_info_list[1],
        MessageInfo {
            msg_body: "b2".into(),
            msg_id: "2".into(),
            receipt_handle: "h2".into(),
            enqueue_time: 1,
            first_dequeue_time: 2,
            next_visible_time: 3,
            dequeue_count: 4,
        }
    );
}

#[test]
fn batch_receive_message_item_missing_a_key_names_it() {
    let e = err::<BatchReceiveMessageInput>(&success(
        r#""msgInfoList":[{"msgBody":"b","msgId":"1","enqueueTime":1,"firstDequeueTime":2,"nextVisibleTime":3,"dequeueCount":4}]"#,
    ));
    assert!(
        matches!(&e, Error::Decode { message, .. } if message.contains("receiptHandle")),
        "{e}"
    );
}

#[test]
fn batch_delete_message_partial_failure() {
    // Reference §8.3: the 6010 answer with its errorList.
    let e = err::<BatchDeleteMessageInput>(
        r#"{"code":6010,"message":"delete message partially failed","requestId":"r-6010","errorList":[{"code":4430,"message":"invalid receiptHandle","receiptHandle":"h-2"}]}"#,
    );
    let s = e.service().expect("a service error");
    assert_eq!(s.action, Action::BatchDeleteMessage);
    assert_eq!(s.code, 6010);
    assert_eq!(s.service_code(), ServiceCode::BatchDeletePartiallyFailed);
    assert_eq!(s.request_id.as_deref(), Some("r-6010"));
    assert_eq!(s.error_list.len(), 1);
    assert_eq!(s.error_list[0].code, 4430);
    assert_eq!(s.error_list[0].message, "invalid receiptHandle");
    assert_eq!(s.error_list[0].receipt_handle, "h-2");
    assert!(!e.is_retryable());
}

#[test]
fn batch_delete_message_error_list_on_success_decodes() {
    let out = ok::<BatchDeleteMessageInput>(&success(
        r#""errorList":[{"code":4430,"message":"invalid receiptHandle","receiptHandle":"h"}]"#,
    ));
    let list = out.error_list.unwrap();
    assert_eq!(
        list,
        vec![BatchDeleteError {
            code: 4430,
            message: "invalid receiptHandle".into(),
            receipt_handle: "h".into()
        }]
    );
}

// ---------------------------------------------------------------- topics

#[test]
fn create_topic() {
    let out = ok::<CreateTopicInput>(&success(r#""topicId":"topic-ajksdfasdowe""#));
    assert_eq!(out.topic_id, "topic-ajksdfasdowe");
}

#[test]
fn list_topic() {
    let out = ok::<ListTopicInput>(&success(
        r#""totalCount":1,"topicList":[{"topicId":"topic-1","topicName":"events"}]"#,
    ));
    assert_eq!(out.total_count, 1);
    assert_eq!(
        out.topic_list,
        vec![TopicListItem {
            topic_id: "topic-1".into(),
            topic_name: "events".into()
        }]
    );
}

#[test]
fn get_topic_attributes_doc_example() {
    // The reference's example has `codeDesc` and `tags: []` too (§6.3).
    let out = ok::<GetTopicAttributesInput>(
        r#"{"code":0,"message":"","codeDesc":"Success","requestId":"r","msgCount":0,"maxMsgSize":65536,"msgRetentionSeconds":86400,"createTime":1462351990,"lastModifyTime":1462352000,"filterType":1,"createUin":100000,"qps":5000,"topicId":"topic-1","tags":[]}"#,
    );
    assert_eq!(out.msg_count, 0);
    assert_eq!(out.max_msg_size, 65536);
    assert_eq!(out.msg_retention_seconds, 86_400);
    assert_eq!(out.create_time, 1_462_351_990);
    assert_eq!(out.last_modify_time, 1_462_352_000);
    assert_eq!(out.filter_type, 1);
    assert_eq!(out.create_uin, Some(100_000));
    assert_eq!(out.qps, Some(5000));
    assert_eq!(out.topic_id.as_deref(), Some("topic-1"));
    assert_eq!(out.tags, Some(vec![]));
}

#[test]
fn get_topic_attributes_minimal() {
    let out = ok::<GetTopicAttributesInput>(&success(
        r#""msgCount":3,"maxMsgSize":1024,"msgRetentionSeconds":86400,"createTime":1,"lastModifyTime":2,"filterType":2"#,
    ));
    assert_eq!(out.filter_type, 2);
    assert_eq!(
        (out.create_uin, out.qps, out.topic_id, out.tags),
        (None, None, None, None)
    );
}

#[test]
fn publish_message() {
    let out = ok::<PublishMessageInput>(&success(r#""msgId":"m-1""#));
    assert_eq!(out.msg_id, "m-1");
}

#[test]
fn batch_publish_message() {
    let out =
        ok::<BatchPublishMessageInput>(&success(r#""msgList":[{"msgId":"a"},{"msgId":"b"}]"#));
    assert_eq!(
        out.msg_list,
        vec![
            MsgIdItem { msg_id: "a".into() },
            MsgIdItem { msg_id: "b".into() }
        ]
    );
}

// ---------------------------------------------------------------- subscriptions

#[test]
fn subscribe() {
    let out = ok::<SubscribeInput>(&success(r#""subscriptionId":"subscribe-1""#));
    assert_eq!(out.subscription_id, "subscribe-1");
}

#[test]
fn list_subscription_by_topic() {
    let out = ok::<ListSubscriptionByTopicInput>(&success(
        r#""totalCount":2,"subscriptionList":[{"subscriptionId":"s-1","subscriptionName":"hook","protocol":"http","endpoint":"http://example.com/"},{"subscriptionId":"s-2","subscriptionName":"to-q","protocol":"queue","endpoint":"audit"}]"#,
    ));
    assert_eq!(out.total_count, 2);
    let list = out.subscription_list.unwrap();
    assert_eq!(list[0].protocol, "http");
    assert_eq!(
        list[1],
        SubscriptionListItem {
            subscription_id: "s-2".into(),
            subscription_name: "to-q".into(),
            protocol: "queue".into(),
            endpoint: "audit".into(),
        }
    );
}

#[test]
fn list_subscription_by_topic_without_a_list() {
    // JAVA returns 0 when the list is missing, which hints that servers leave it out (§6.5).
    let out = ok::<ListSubscriptionByTopicInput>(&success(r#""totalCount":0"#));
    assert_eq!(out.total_count, 0);
    assert_eq!(out.subscription_list, None);
}

const SUBSCRIPTION: &str = r#""topicOwner":"1231884","msgCount":0,"endpoint":"http://example.com/","notifyStrategy":"BACKOFF_RETRY","notifyContentFormat":"JSON","createTime":1462351990,"lastModifyTime":1462352000"#;

#[test]
fn get_subscription_attributes() {
    let out = ok::<GetSubscriptionAttributesInput>(&success(&format!(
        r#"{SUBSCRIPTION},"protocol":"http","bindingKey":["a.*"],"filterTags":["t1","t2"]"#
    )));
    assert_eq!(out.topic_owner, "1231884");
    assert_eq!(out.msg_count, 0);
    assert_eq!(out.protocol, "http");
    assert_eq!(out.endpoint, "http://example.com/");
    assert_eq!(out.notify_strategy, "BACKOFF_RETRY");
    assert_eq!(out.notify_content_format, "JSON");
    assert_eq!(out.create_time, 1_462_351_990);
    assert_eq!(out.last_modify_time, 1_462_352_000);
    assert_eq!(out.binding_key, Some(vec!["a.*".to_owned()]));
    assert_eq!(
        out.filter_tags,
        Some(vec!["t1".to_owned(), "t2".to_owned()])
    );
}

#[test]
fn get_subscription_attributes_accepts_protocal_and_filter_tag_aliases() {
    // PY/CPP read `protocal`; JAVA/CPP/GO-NK read `filterTag` (reference §6.5, §12).
    let out = ok::<GetSubscriptionAttributesInput>(&success(&format!(
        r#"{SUBSCRIPTION},"protocal":"queue","bindingKey":null,"filterTag":["x"]"#
    )));
    assert_eq!(out.protocol, "queue");
    assert_eq!(out.binding_key, None);
    assert_eq!(out.filter_tags, Some(vec!["x".to_owned()]));
}

#[test]
fn get_subscription_attributes_without_protocol_names_it() {
    let e = err::<GetSubscriptionAttributesInput>(&success(SUBSCRIPTION));
    assert!(
        matches!(&e, Error::Decode { message, .. } if message.contains("protocol")),
        "{e}"
    );
}

// ---------------------------------------------------------------- routing

#[test]
fn query_routes() {
    let out = ok::<QueryQueueRouteInput>(&success(r#""addr":["10.0.0.1:6379","10.0.0.2:6379"]"#));
    assert_eq!(out.addr, ["10.0.0.1:6379", "10.0.0.2:6379"]);
    let out = ok::<QueryTopicRouteInput>(&success(r#""addr":[]"#));
    assert!(out.addr.is_empty());
}

// ---------------------------------------------------------------- envelope rules

#[test]
fn unknown_keys_are_ignored() {
    let out = ok::<SendMessageInput>(
        r#"{"code":0,"message":"","requestId":"r","codeDesc":"Success","clientRequestId":1231231231,"msgId":"m","somethingNew":{"nested":[1,2,{"x":null}]},"alsoNew":true}"#,
    );
    assert_eq!(out.msg_id, "m");
}

#[test]
fn a_missing_required_key_is_a_decode_error_naming_it() {
    let e = err::<SendMessageInput>(&success(""));
    match &e {
        Error::Decode { message, body } => {
            assert!(message.contains("msgId"), "{message}");
            assert!(body.contains("14534664555"), "{body}");
        }
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().contains("msgId"), "{e}");
    assert!(!e.is_retryable());
    let e = err::<CreateQueueInput>(&success(""));
    assert!(e.to_string().contains("queueId"), "{e}");
    let e = err::<ListQueueInput>(&success(r#""queueList":[]"#));
    assert!(e.to_string().contains("totalCount"), "{e}");
}

#[test]
fn a_wrong_type_is_a_decode_error() {
    let e = err::<ReceiveMessageInput>(&success(
        r#""msgBody":"b","msgId":"1","receiptHandle":"h","enqueueTime":"yesterday","firstDequeueTime":2,"nextVisibleTime":3,"dequeueCount":4"#,
    ));
    assert!(matches!(e, Error::Decode { .. }), "{e:?}");
}

#[test]
fn garbage_is_a_decode_error() {
    for body in [
        "",
        "not json",
        "[1,2]",
        r#"{"message":"no code"}"#,
        "<html>502</html>",
    ] {
        let e = err::<SendMessageInput>(body);
        assert!(matches!(e, Error::Decode { .. }), "{body}: {e:?}");
    }
}

#[test]
fn error_envelope_is_a_service_error() {
    let e = err::<SendMessageInput>(
        r#"{"code":4440,"message":"(10100)queue is not existed, or deleted","requestId":"req-1"}"#,
    );
    let s = e.service().expect("service error");
    assert_eq!(s.action, Action::SendMessage);
    assert_eq!(s.code, 4440);
    assert_eq!(s.module_code, Some(10100));
    assert_eq!(s.message, "(10100)queue is not existed, or deleted");
    assert_eq!(s.request_id.as_deref(), Some("req-1"));
    assert!(s.error_list.is_empty());
    assert_eq!(e.code(), Some(4440));
    let text = e.to_string();
    for part in [
        "SendMessage",
        "4440",
        "10100",
        "queue is not existed",
        "req-1",
    ] {
        assert!(text.contains(part), "{part} not in {text}");
    }
}

#[test]
fn error_envelope_with_numeric_request_id_and_prefixed_message() {
    let e = err::<CreateQueueInput>(
        r#"{"code":4460,"message":"(4460) (10210)queue is already existed(cmq-queue[#4000])","requestId":20161201}"#,
    );
    let s = e.service().unwrap();
    assert_eq!(s.code, 4460);
    assert_eq!(s.module_code, Some(10210));
    assert_eq!(s.request_id.as_deref(), Some("20161201"));
    assert_eq!(s.service_code(), ServiceCode::ResourceAlreadyExists);
}

#[test]
fn error_envelope_without_request_id_or_module_code() {
    let e = err::<ReceiveMessageInput>(r#"{"code":7000,"message":"no message"}"#);
    let s = e.service().unwrap();
    assert_eq!(s.code, 7000);
    assert_eq!(s.module_code, None);
    assert_eq!(s.request_id, None);
    // An error envelope never tries to decode the action's fields.
    let e = err::<ReceiveMessageInput>(
        r#"{"code":7000,"message":"(10200)no message","requestId":"r"}"#,
    );
    assert_eq!(e.service().unwrap().module_code, Some(10200));
    assert!(!e.is_retryable());
}

#[test]
fn throttling_and_internal_errors_are_retryable() {
    let e = err::<SendMessageInput>(
        r#"{"code":4420,"message":"(10250)qps throttling","requestId":"r"}"#,
    );
    assert!(e.is_throttled() && e.is_retryable());
    let e = err::<ListQueueInput>(
        r#"{"code":6000,"message":"(10050)server internal error","requestId":"r"}"#,
    );
    assert!(e.is_retryable() && !e.is_throttled());
}
