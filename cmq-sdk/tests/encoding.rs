//! Wire encoding of every action, with every parameter set, against expectations written by hand
//! from the reference (§5.1 lists as `name.1..n`, §6 parameter names, deadLetterPolicy as one
//! compact JSON text), and validation that reports every violation at once.

use std::collections::BTreeSet;

use cmq_sdk::constraints::ViolationKind;
use cmq_sdk::generated::ops::*;
use cmq_sdk::generated::types::{DeadLetterPolicy, NotifyContentFormat, NotifyStrategy, Protocol};
use cmq_sdk::params::Params;
use cmq_sdk::{Action, Client, Credentials, Error, ErrorId, Operation, ValidationMode};

/// The encoded parameters of `input`, sorted by name (the order on the wire carries no meaning;
/// the signature sorts them anyway).
fn wire<O: Operation>(input: &O) -> Vec<(String, String)> {
    let mut p = Params::new();
    input.encode(&mut p);
    let mut v: Vec<(String, String)> = p
        .pairs()
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect();
    v.sort();
    v
}

fn expected(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = pairs
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
    v.sort();
    v
}

/// Asserts the exact wire parameters, that the all-parameters input is valid, and the action.
fn check<O: Operation>(action: Action, input: O, want: &[(&str, &str)]) {
    assert_eq!(O::ACTION, action);
    assert_eq!(wire(&input), expected(want), "{action}");
    let names: Vec<&str> = want.iter().map(|(n, _)| *n).collect();
    let unique: BTreeSet<&str> = names.iter().copied().collect();
    assert_eq!(
        names.len(),
        unique.len(),
        "{action}: a parameter was sent twice"
    );
    if let Err(v) = input.validate() {
        panic!("{action}: the all-parameters request should be valid: {v}");
    }
}

fn dlq_policy() -> DeadLetterPolicy {
    DeadLetterPolicy {
        dead_letter_queue: Some("orders-dlq".into()),
        policy: Some(1),
        max_receive_count: Some(5),
        max_time_to_live: Some(600),
    }
}

// ---------------------------------------------------------------- queue management (§6.1)

#[test]
fn create_queue() {
    check(
        Action::CreateQueue,
        CreateQueueInput::new()
            .queue_name("orders")
            .max_msg_heap_num(1_000_000)
            .polling_wait_seconds(10)
            .visibility_timeout(60)
            .max_msg_size(65536)
            .msg_retention_seconds(345_600)
            .rewind_seconds(3600)
            .dead_letter_policy(dlq_policy()),
        &[
            ("queueName", "orders"),
            ("maxMsgHeapNum", "1000000"),
            ("pollingWaitSeconds", "10"),
            ("visibilityTimeout", "60"),
            ("maxMsgSize", "65536"),
            ("msgRetentionSeconds", "345600"),
            ("rewindSeconds", "3600"),
            (
                "deadLetterPolicy",
                r#"{"deadLetterQueue":"orders-dlq","policy":1,"maxReceiveCount":5,"maxTimeToLive":600}"#,
            ),
        ],
    );
}

#[test]
fn create_queue_dead_letter_policy_leaves_out_unset_members() {
    let input = CreateQueueInput::new()
        .queue_name("orders")
        .dead_letter_policy(DeadLetterPolicy {
            dead_letter_queue: Some("dlq".into()),
            policy: Some(0),
            max_receive_count: Some(3),
            max_time_to_live: None,
        });
    assert_eq!(
        wire(&input),
        expected(&[
            ("queueName", "orders"),
            (
                "deadLetterPolicy",
                r#"{"deadLetterQueue":"dlq","policy":0,"maxReceiveCount":3}"#
            ),
        ])
    );
}

#[test]
fn delete_queue() {
    check(
        Action::DeleteQueue,
        DeleteQueueInput::new().queue_name("orders"),
        &[("queueName", "orders")],
    );
}

#[test]
fn list_queue() {
    check(
        Action::ListQueue,
        ListQueueInput::new()
            .search_word("ord")
            .offset(20)
            .limit(10),
        &[("searchWord", "ord"), ("offset", "20"), ("limit", "10")],
    );
}

#[test]
fn get_queue_attributes() {
    check(
        Action::GetQueueAttributes,
        GetQueueAttributesInput::new().queue_name("orders"),
        &[("queueName", "orders")],
    );
}

#[test]
fn set_queue_attributes() {
    check(
        Action::SetQueueAttributes,
        SetQueueAttributesInput::new()
            .queue_name("orders")
            .max_msg_heap_num(2_000_000)
            .polling_wait_seconds(30)
            .visibility_timeout(43_200)
            .max_msg_size(1_048_576)
            .msg_retention_seconds(1_296_000)
            .rewind_seconds(0)
            .dead_letter_policy(DeadLetterPolicy {
                dead_letter_queue: Some("dlq-2".into()),
                policy: Some(0),
                max_receive_count: Some(1000),
                max_time_to_live: Some(43_200),
            }),
        &[
            ("queueName", "orders"),
            ("maxMsgHeapNum", "2000000"),
            ("pollingWaitSeconds", "30"),
            ("visibilityTimeout", "43200"),
            ("maxMsgSize", "1048576"),
            ("msgRetentionSeconds", "1296000"),
            ("rewindSeconds", "0"),
            (
                "deadLetterPolicy",
                r#"{"deadLetterQueue":"dlq-2","policy":0,"maxReceiveCount":1000,"maxTimeToLive":43200}"#,
            ),
        ],
    );
}

#[test]
fn rewind_queue() {
    check(
        Action::RewindQueue,
        RewindQueueInput::new()
            .queue_name("orders")
            .start_consume_time(1_700_000_000),
        &[("queueName", "orders"), ("startConsumeTime", "1700000000")],
    );
}

#[test]
fn list_dead_letter_source_queues() {
    check(
        Action::ListDeadLetterSourceQueues,
        ListDeadLetterSourceQueuesInput::new()
            .dead_letter_queue_name("orders-dlq")
            .search_word("ord")
            .offset(0)
            .limit(50),
        &[
            ("deadLetterQueueName", "orders-dlq"),
            ("searchWord", "ord"),
            ("offset", "0"),
            ("limit", "50"),
        ],
    );
}

#[test]
fn unbind_dead_letter_queue() {
    check(
        Action::UnbindDeadLetterQueue,
        UnbindDeadLetterQueueInput::new().queue_name("orders"),
        &[("queueName", "orders")],
    );
}

// ---------------------------------------------------------------- queue messages (§6.2)

#[test]
fn send_message() {
    check(
        Action::SendMessage,
        SendMessageInput::new()
            .queue_name("test1")
            .msg_body("msg")
            .delay_seconds(0),
        &[
            ("queueName", "test1"),
            ("msgBody", "msg"),
            ("delaySeconds", "0"),
        ],
    );
}

#[test]
fn batch_send_message() {
    check(
        Action::BatchSendMessage,
        BatchSendMessageInput::new()
            .queue_name("orders")
            .msg_body(["first", "second", "third"])
            .delay_seconds(3600),
        &[
            ("queueName", "orders"),
            ("msgBody.1", "first"),
            ("msgBody.2", "second"),
            ("msgBody.3", "third"),
            ("delaySeconds", "3600"),
        ],
    );
}

#[test]
fn receive_message() {
    check(
        Action::ReceiveMessage,
        ReceiveMessageInput::new()
            .queue_name("orders")
            .polling_wait_seconds(30),
        &[("queueName", "orders"), ("pollingWaitSeconds", "30")],
    );
}

#[test]
fn batch_receive_message() {
    check(
        Action::BatchReceiveMessage,
        BatchReceiveMessageInput::new()
            .queue_name("orders")
            .num_of_msg(16)
            .polling_wait_seconds(5),
        &[
            ("queueName", "orders"),
            ("numOfMsg", "16"),
            ("pollingWaitSeconds", "5"),
        ],
    );
}

#[test]
fn delete_message() {
    check(
        Action::DeleteMessage,
        DeleteMessageInput::new()
            .queue_name("orders")
            .receipt_handle("283748239349283"),
        &[
            ("queueName", "orders"),
            ("receiptHandle", "283748239349283"),
        ],
    );
}

#[test]
fn batch_delete_message() {
    check(
        Action::BatchDeleteMessage,
        BatchDeleteMessageInput::new()
            .queue_name("orders")
            .receipt_handle(["h-1", "h-2"]),
        &[
            ("queueName", "orders"),
            ("receiptHandle.1", "h-1"),
            ("receiptHandle.2", "h-2"),
        ],
    );
}

// ---------------------------------------------------------------- topic management (§6.3)

#[test]
fn create_topic() {
    check(
        Action::CreateTopic,
        CreateTopicInput::new()
            .topic_name("events")
            .max_msg_size(1024)
            .filter_type(2),
        &[
            ("topicName", "events"),
            ("maxMsgSize", "1024"),
            ("filterType", "2"),
        ],
    );
}

#[test]
fn delete_topic() {
    check(
        Action::DeleteTopic,
        DeleteTopicInput::new().topic_name("events"),
        &[("topicName", "events")],
    );
}

#[test]
fn list_topic() {
    check(
        Action::ListTopic,
        ListTopicInput::new().search_word("ev").offset(40).limit(20),
        &[("searchWord", "ev"), ("offset", "40"), ("limit", "20")],
    );
}

#[test]
fn get_topic_attributes() {
    check(
        Action::GetTopicAttributes,
        GetTopicAttributesInput::new().topic_name("events"),
        &[("topicName", "events")],
    );
}

#[test]
fn set_topic_attributes() {
    check(
        Action::SetTopicAttributes,
        SetTopicAttributesInput::new()
            .topic_name("events")
            .max_msg_size(65536),
        &[("topicName", "events"), ("maxMsgSize", "65536")],
    );
}

// ---------------------------------------------------------------- topic messages (§6.4)

#[test]
fn publish_message() {
    check(
        Action::PublishMessage,
        PublishMessageInput::new()
            .topic_name("events")
            .msg_body("hello")
            .msg_tag(["a", "b"])
            .routing_key("order.created"),
        &[
            ("topicName", "events"),
            ("msgBody", "hello"),
            ("msgTag.1", "a"),
            ("msgTag.2", "b"),
            ("routingKey", "order.created"),
        ],
    );
}

#[test]
fn batch_publish_message() {
    check(
        Action::BatchPublishMessage,
        BatchPublishMessageInput::new()
            .topic_name("events")
            .msg_body(["one", "two"])
            .msg_tag(["t1", "t2", "t3"])
            .routing_key("a.b"),
        &[
            ("topicName", "events"),
            ("msgBody.1", "one"),
            ("msgBody.2", "two"),
            ("msgTag.1", "t1"),
            ("msgTag.2", "t2"),
            ("msgTag.3", "t3"),
            ("routingKey", "a.b"),
        ],
    );
}

// ---------------------------------------------------------------- subscriptions (§6.5)

#[test]
fn subscribe() {
    check(
        Action::Subscribe,
        SubscribeInput::new()
            .topic_name("events")
            .subscription_name("hook")
            .protocol(Protocol::Http)
            .endpoint("http://example.com/hook")
            .notify_strategy(NotifyStrategy::BackoffRetry)
            .notify_content_format(NotifyContentFormat::Json)
            .filter_tag(["a", "b"])
            .binding_key(["order.*", "#"]),
        &[
            ("topicName", "events"),
            ("subscriptionName", "hook"),
            ("protocol", "http"),
            ("endpoint", "http://example.com/hook"),
            ("notifyStrategy", "BACKOFF_RETRY"),
            ("notifyContentFormat", "JSON"),
            ("filterTag.1", "a"),
            ("filterTag.2", "b"),
            ("bindingKey.1", "order.*"),
            ("bindingKey.2", "#"),
        ],
    );
}

#[test]
fn subscribe_queue_protocol_values() {
    let input = SubscribeInput::new()
        .topic_name("events")
        .subscription_name("to-audit")
        .protocol(Protocol::Queue)
        .endpoint("audit")
        .notify_strategy(NotifyStrategy::ExponentialDecayRetry)
        .notify_content_format(NotifyContentFormat::Simplified);
    assert_eq!(
        wire(&input),
        expected(&[
            ("topicName", "events"),
            ("subscriptionName", "to-audit"),
            ("protocol", "queue"),
            ("endpoint", "audit"),
            ("notifyStrategy", "EXPONENTIAL_DECAY_RETRY"),
            ("notifyContentFormat", "SIMPLIFIED"),
        ])
    );
}

#[test]
fn unsubscribe() {
    check(
        Action::Unsubscribe,
        UnsubscribeInput::new()
            .topic_name("events")
            .subscription_name("hook"),
        &[("topicName", "events"), ("subscriptionName", "hook")],
    );
}

#[test]
fn list_subscription_by_topic() {
    check(
        Action::ListSubscriptionByTopic,
        ListSubscriptionByTopicInput::new()
            .topic_name("events")
            .search_word("ho")
            .offset(1000)
            .limit(100),
        &[
            ("topicName", "events"),
            ("searchWord", "ho"),
            ("offset", "1000"),
            ("limit", "100"),
        ],
    );
}

#[test]
fn get_subscription_attributes() {
    check(
        Action::GetSubscriptionAttributes,
        GetSubscriptionAttributesInput::new()
            .topic_name("events")
            .subscription_name("hook"),
        &[("topicName", "events"), ("subscriptionName", "hook")],
    );
}

#[test]
fn set_subscription_attributes() {
    check(
        Action::SetSubscriptionAttributes,
        SetSubscriptionAttributesInput::new()
            .topic_name("events")
            .subscription_name("hook")
            .notify_strategy(NotifyStrategy::ExponentialDecayRetry)
            .notify_content_format(NotifyContentFormat::Simplified)
            .filter_tag(["x"])
            .binding_key(["a.#", "*.b", "c"]),
        &[
            ("topicName", "events"),
            ("subscriptionName", "hook"),
            ("notifyStrategy", "EXPONENTIAL_DECAY_RETRY"),
            ("notifyContentFormat", "SIMPLIFIED"),
            ("filterTag.1", "x"),
            ("bindingKey.1", "a.#"),
            ("bindingKey.2", "*.b"),
            ("bindingKey.3", "c"),
        ],
    );
}

#[test]
fn clear_subscription_filter_tags() {
    check(
        Action::ClearSubscriptionFilterTags,
        ClearSubscriptionFilterTagsInput::new()
            .topic_name("events")
            .subscription_name("hook"),
        &[("topicName", "events"), ("subscriptionName", "hook")],
    );
}

// ---------------------------------------------------------------- routing (§6.6)

#[test]
fn query_queue_route() {
    check(
        Action::QueryQueueRoute,
        QueryQueueRouteInput::new().queue_name("orders"),
        &[("queueName", "orders")],
    );
}

#[test]
fn query_topic_route() {
    check(
        Action::QueryTopicRoute,
        QueryTopicRouteInput::new().topic_name("events"),
        &[("topicName", "events")],
    );
}

/// The tests above cover every action of the API: each action of the generated list
/// (`Action::ALL`) has a `check(Action::…` call in this file (no hand-written list of actions).
#[test]
fn every_action_is_covered() {
    let source = include_str!("encoding.rs");
    let missing: Vec<&str> = Action::ALL
        .iter()
        .map(|a| a.as_str())
        .filter(|name| {
            let call = format!("check(\n        Action::{name},");
            !source.contains(&call)
        })
        .collect();
    assert!(
        missing.is_empty(),
        "actions without an encoding test: {missing:?}"
    );
}

// ---------------------------------------------------------------- details of the encoding

#[test]
fn lists_are_one_based_and_keep_order_past_nine() {
    let bodies: Vec<String> = (1..=16).map(|i| format!("m{i}")).collect();
    let input = BatchSendMessageInput::new()
        .queue_name("q")
        .msg_body(bodies);
    let mut p = Params::new();
    input.encode(&mut p);
    for i in 1..=16 {
        assert_eq!(
            p.get(&format!("msgBody.{i}")),
            Some(format!("m{i}").as_str())
        );
    }
    assert_eq!(p.get("msgBody.0"), None);
    assert_eq!(p.get("msgBody.17"), None);
    assert_eq!(p.len(), 17);
}

#[test]
fn values_are_raw_in_params_and_form_encoded_on_the_wire() {
    let input = SendMessageInput::new()
        .queue_name("q")
        .msg_body("a b&c=d+é");
    let mut p = Params::new();
    input.encode(&mut p);
    assert_eq!(p.get("msgBody"), Some("a b&c=d+é"));
    assert_eq!(p.to_form(), "queueName=q&msgBody=a+b%26c%3Dd%2B%C3%A9");
}

#[test]
fn unset_optional_parameters_are_not_sent() {
    assert_eq!(
        wire(&SendMessageInput::new().queue_name("q").msg_body("m")),
        expected(&[("queueName", "q"), ("msgBody", "m")])
    );
    assert_eq!(wire(&ListQueueInput::new()), expected(&[]));
}

#[test]
fn unknown_enum_values_are_sent_as_given() {
    let input = SubscribeInput::new()
        .topic_name("t")
        .subscription_name("s")
        .protocol(cmq_sdk::Open::Other("https".into()))
        .endpoint("https://example.com")
        .notify_strategy("LINEAR");
    let w = wire(&input);
    assert!(w.contains(&("protocol".into(), "https".into())));
    assert!(w.contains(&("notifyStrategy".into(), "LINEAR".into())));
    // ...and validation names them.
    let v = input.validate().unwrap_err();
    let params: Vec<&str> = v.iter().map(|x| x.param.as_str()).collect();
    assert!(params.contains(&"protocol"), "{v}");
    assert!(params.contains(&"notifyStrategy"), "{v}");
}

// ---------------------------------------------------------------- validation

#[test]
fn send_message_lists_every_violation() {
    // One past the default profile's maximum.
    let over = cmq_sdk::generated::constraints::send_message::DELAY_SECONDS
        .max
        .map_or(i64::MAX, |m| m + 1);
    let input = SendMessageInput::new().msg_body("").delay_seconds(over);
    let v = input.validate().unwrap_err();
    assert_eq!(v.len(), 3, "{v}");
    let got: Vec<(&str, ViolationKind, ErrorId)> = v
        .iter()
        .map(|x| (x.param.as_str(), x.kind, x.error))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "queueName",
                ViolationKind::Missing,
                ErrorId::LackOfRequiredParameter
            ),
            ("msgBody", ViolationKind::Length, ErrorId::MessageBodyEmpty),
            (
                "delaySeconds",
                ViolationKind::Range,
                ErrorId::DelaySecondsOutOfRange
            ),
        ]
    );
    assert_eq!(v.0[2].value, Some(over.to_string()));
    assert_eq!(v.0[0].value, None);
    let text = v.to_string();
    assert!(text.starts_with("3 invalid parameter(s)"), "{text}");
    assert!(
        text.contains("queueName") && text.contains("msgBody") && text.contains(&over.to_string()),
        "{text}"
    );
    // The error ids carry the server's codes.
    assert_eq!(ErrorId::DelaySecondsOutOfRange.code(), 4000);
    assert_eq!(ErrorId::MessageBodyEmpty.module(), 10120);
}

#[test]
fn batch_limits_and_list_items() {
    let bodies: Vec<String> = (0..17).map(|i| format!("m{i}")).collect();
    let v = BatchSendMessageInput::new()
        .queue_name("q")
        .msg_body(bodies)
        .validate()
        .unwrap_err();
    assert_eq!(v.len(), 1, "{v}");
    assert_eq!(v.0[0].param, "msgBody");
    assert_eq!(v.0[0].kind, ViolationKind::Items);
    assert_eq!(v.0[0].error, ErrorId::BatchSizeOutOfRange);

    let v = PublishMessageInput::new()
        .topic_name("t")
        .msg_body("b")
        .msg_tag(["ok", "a-tag-longer-than-16"])
        .validate()
        .unwrap_err();
    assert_eq!(v.len(), 1, "{v}");
    assert_eq!(v.0[0].param, "msgTag.2");
    // Too long: the length constraint, with the `length` error (msgTag names no `too_long` one).
    assert_eq!(v.0[0].kind, ViolationKind::TooLong);
    assert_eq!(v.0[0].error, ErrorId::ValueOutOfRange);
}

#[test]
fn names_follow_the_name_rule() {
    let v = CreateQueueInput::new()
        .queue_name("1-starts-with-a-digit")
        .validate()
        .unwrap_err();
    assert_eq!(v.len(), 1, "{v}");
    assert_eq!(v.0[0].kind, ViolationKind::Pattern);
    assert_eq!(v.0[0].error, ErrorId::QueueNameFormat);
    let long = "q".repeat(65);
    let v = CreateQueueInput::new()
        .queue_name(long)
        .validate()
        .unwrap_err();
    assert_eq!(v.0[0].kind, ViolationKind::TooLong);
    assert_eq!(v.0[0].error, ErrorId::QueueNameFormat);
    assert!(
        CreateQueueInput::new()
            .queue_name("a_b-C9")
            .validate()
            .is_ok()
    );
}

#[test]
fn dead_letter_policy_members_and_cross_field_rules() {
    let v = CreateQueueInput::new()
        .queue_name("q")
        .msg_retention_seconds(600)
        .rewind_seconds(601)
        .dead_letter_policy(DeadLetterPolicy {
            dead_letter_queue: Some("dlq".into()),
            policy: Some(0),
            max_receive_count: None,
            max_time_to_live: None,
        })
        .validate()
        .unwrap_err();
    let got: Vec<(&str, ViolationKind)> = v.iter().map(|x| (x.param.as_str(), x.kind)).collect();
    assert!(
        got.contains(&("deadLetterPolicy.maxReceiveCount", ViolationKind::Missing)),
        "{v}"
    );
    assert!(got.contains(&("rewindSeconds", ViolationKind::Rule)), "{v}");
    let rule = v.iter().find(|x| x.param == "rewindSeconds").unwrap();
    assert_eq!(rule.error, ErrorId::RewindSecondsGreaterThanRetention);

    let v = CreateTopicInput::new()
        .topic_name("t")
        .filter_type(3)
        .validate()
        .unwrap_err();
    assert_eq!(v.0[0].kind, ViolationKind::Enum);
}

#[test]
fn offset_requires_limit() {
    let v = ListQueueInput::new().offset(10).validate().unwrap_err();
    assert_eq!(v.len(), 1, "{v}");
    assert_eq!(v.0[0].param, "limit");
    assert_eq!(v.0[0].kind, ViolationKind::Rule);
    assert!(ListQueueInput::new().offset(10).limit(5).validate().is_ok());
}

#[test]
fn subscribe_requires_protocol_and_endpoint() {
    let v = SubscribeInput::new().validate().unwrap_err();
    let params: BTreeSet<&str> = v.iter().map(|x| x.param.as_str()).collect();
    for p in ["topicName", "subscriptionName", "protocol", "endpoint"] {
        assert!(params.contains(p), "{p} missing from {v}");
    }
    assert!(v.iter().all(|x| x.kind == ViolationKind::Missing));
}

/// `execute` refuses an invalid request before sending anything (the endpoint does not even
/// exist), and `ValidationMode::Off` sends it anyway.
#[tokio::test]
async fn execute_validates_before_sending() {
    let creds = Credentials::new("AKIDtest", "secret");
    let client = Client::new("http://127.0.0.1:1", creds.clone()).unwrap();
    let err = client
        .execute(SendMessageInput::new().msg_body("").delay_seconds(-1))
        .await
        .unwrap_err();
    match &err {
        Error::Validation(v) => assert_eq!(v.len(), 3),
        other => panic!("expected a validation error, got {other:?}"),
    }
    assert!(
        err.to_string()
            .starts_with("validation: 3 invalid parameter(s)"),
        "{err}"
    );
    assert_eq!(err.violations().map(|v| v.len()), Some(3));
    assert!(!err.is_retryable());

    let off = Client::builder()
        .endpoint("http://127.0.0.1:1")
        .credentials(creds)
        .validation(ValidationMode::Off)
        .retry_policy(cmq_sdk::retry::RetryPolicy::none())
        .build()
        .unwrap();
    let err = off
        .execute(SendMessageInput::new().msg_body("").delay_seconds(-1))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
}
