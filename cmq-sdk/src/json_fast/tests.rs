//! The fast path against `serde_json`: whenever it decodes a body, `serde_json` decodes the same
//! body to the same value; and it does decode the plain answers the service sends.

use std::fmt::Debug;

use proptest::prelude::*;
use serde::de::DeserializeOwned;

use super::from_slice;
use crate::generated::ops::batch_receive_message::BatchReceiveMessageOutput;
use crate::generated::ops::get_queue_attributes::GetQueueAttributesOutput;
use crate::generated::ops::list_queue::ListQueueOutput;
use crate::generated::ops::send_message::SendMessageOutput;
use crate::generated::types::MessageInfo;

/// Decodes `body` both ways; when the fast path succeeds, `serde_json` must agree. Returns
/// whether the fast path succeeded.
fn agrees<T: DeserializeOwned + PartialEq + Debug>(body: &str) -> bool {
    let Some(fast) = from_slice::<T>(body.as_bytes()) else {
        return false;
    };
    match serde_json::from_slice::<T>(body.as_bytes()) {
        Ok(slow) => assert_eq!(fast, slow, "{body}"),
        Err(e) => panic!("fast path accepted what serde_json refuses ({e}): {body}"),
    }
    true
}

/// Every target type the tests decode into.
fn all_agree(body: &str) -> bool {
    let value = agrees::<serde_json::Value>(body);
    agrees::<BatchReceiveMessageOutput>(body);
    agrees::<SendMessageOutput>(body);
    agrees::<GetQueueAttributesOutput>(body);
    agrees::<ListQueueOutput>(body);
    agrees::<MessageInfo>(body);
    agrees::<Vec<i64>>(body);
    agrees::<Vec<u8>>(body);
    agrees::<Option<String>>(body);
    agrees::<Vec<Option<bool>>>(body);
    value
}

const MESSAGE: &str = r#"{"msgBody":"0123456789abcdef","msgId":"1099511627777","receiptHandle":"79228162514264337597838917633","enqueueTime":1795625116,"firstDequeueTime":1795625117,"nextVisibleTime":1795625147,"dequeueCount":1}"#;

#[test]
fn decodes_the_plain_answers_the_service_sends() {
    let batch = format!(
        r#"{{"code":0,"message":"","requestId":"8ee226b5-5","msgInfoList":[{MESSAGE},{MESSAGE}]}}"#
    );
    assert!(agrees::<BatchReceiveMessageOutput>(&batch));
    let out = from_slice::<BatchReceiveMessageOutput>(batch.as_bytes()).expect("decodes");
    assert_eq!(out.msg_info_list.len(), 2);
    assert_eq!(
        out.msg_info_list[1].receipt_handle,
        "79228162514264337597838917633"
    );
    assert_eq!(out.msg_info_list[0].next_visible_time, 1_795_625_147);
    let spaced = " {\n\t\"code\" : 0 ,\r\n \"msgId\" : \"1\" , \"extra\" : [1.5e3, {\"a\": null}, true, -2] } ";
    assert!(agrees::<SendMessageOutput>(spaced));
    let attrs = r#"{"code":0,"maxMsgHeapNum":1000000,"pollingWaitSeconds":0,"visibilityTimeout":30,"maxMsgSize":65536,"msgRetentionSeconds":345600,"createTime":1,"lastModifyTime":2,"activeMsgNum":0,"inactiveMsgNum":0,"rewindSeconds":0,"rewindmsgNum":0,"minMsgTime":0,"delayMsgNum":0,"deadLetterPolicy":"{\"deadLetterQueue\":\"dlq\",\"policy\":0,\"maxReceiveCount\":3}","queueName":"orders","traceWriteIntoCls":0}"#;
    // An escaped string: left to serde_json, whatever the target.
    assert!(!agrees::<GetQueueAttributesOutput>(attrs));
    assert!(agrees::<serde_json::Value>(
        r#"{"a":{"b":[1,-1,true,false,null,"é中"]}}"#
    ));
}

#[test]
fn gives_up_where_serde_json_would_do_something_else() {
    for body in [
        r#""a\"b""#,                    // escape
        "\"tab\there\"",                // control character
        "-0",                           // a float to serde_json
        "1.5",                          // fraction
        "1e3",                          // exponent
        "01",                           // leading zero
        "18446744073709551616",         // beyond u64
        "-9223372036854775809",         // beyond i64
        "[1,]",                         // trailing comma
        r#"{"a":1,}"#,                  // trailing comma
        "[1 2]",                        // missing comma
        "nul",                          // truncated literal
        "[1] x",                        // trailing characters
        r#"{"a":1}{"#,                  // trailing characters
        "",                             // nothing
        r#"["msgBody"]"#,               // a struct as an array
        r#"{"msgId":"1","msgId":"2"}"#, // duplicate field
    ] {
        assert!(
            !agrees::<SendMessageOutput>(body) && !agrees::<Vec<i64>>(body),
            "{body}"
        );
        // serde_json::Value takes duplicates and arrays; for the rest it must give up too.
        if !body.starts_with(['[', '{']) || body.contains(",]") || body.contains(",}") {
            assert!(!agrees::<serde_json::Value>(body), "{body}");
        }
    }
    assert_eq!(
        from_slice::<Vec<i64>>(b"[-9223372036854775808]"),
        Some(vec![i64::MIN])
    );
    assert_eq!(from_slice::<u64>(b"18446744073709551615"), Some(u64::MAX));
    assert!(from_slice::<u8>(b"256").is_none());
    // Invalid UTF-8 anywhere: left to serde_json (which skips it inside ignored strings).
    assert!(from_slice::<SendMessageOutput>(b"{\"x\":\"\xff\",\"msgId\":\"1\"}").is_none());
    // Deep nesting: left to serde_json (which has its own limit).
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    assert!(from_slice::<serde_json::Value>(deep.as_bytes()).is_none());
}

#[test]
fn finds_special_bytes_in_every_lane() {
    for len in 0..40 {
        for at in 0..len {
            for special in [b'"', b'\\', 0x00, 0x1f] {
                let mut text = vec![b'a'; len];
                // Non-ASCII and just-above-the-limit bytes around it must not be taken.
                if at > 0 {
                    text[at - 1] = 0x80;
                }
                if at + 1 < len {
                    text[at + 1] = b' ';
                }
                text[at] = special;
                assert_eq!(
                    super::special_byte(&text, 0),
                    Some(at),
                    "{len} {at} {special}"
                );
            }
        }
        assert_eq!(super::special_byte(&vec![b'~'; len], 0), None);
    }
}

/// A JSON-ish scalar: mostly valid, with the edge cases of the grammar.
fn scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 é]{0,12}".prop_map(|s| format!("\"{s}\"")),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        (0u8..=255).prop_map(|n| n.to_string()),
        prop::sample::select(vec![
            r#""a\"b""#,
            r#""\u00e9""#,
            "\"\t\"",
            "-0",
            "0",
            "01",
            "1.5",
            "-2.5e-3",
            "1e3",
            "1E+2",
            "18446744073709551616",
            "-9223372036854775808",
            "-9223372036854775809",
            "true",
            "false",
            "null",
            "nul",
            "-",
            "\"",
            "[]",
            "{}",
            "[,]",
            "1.",
            "2e",
        ])
        .prop_map(str::to_owned),
    ]
}

fn key() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "msgBody",
        "msgId",
        "receiptHandle",
        "enqueueTime",
        "firstDequeueTime",
        "nextVisibleTime",
        "dequeueCount",
        "msgInfoList",
        "code",
        "message",
        "requestId",
        "queueList",
        "queueName",
        "totalCount",
        "deadLetterPolicy",
        "x",
    ])
}

fn whitespace() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["", "", "", " ", "\n\t", "\r\n  "])
}

/// A JSON-ish value: scalars, arrays and objects of the answers' keys, with odd whitespace and
/// the odd trailing comma.
fn value() -> impl Strategy<Value = String> {
    scalar().prop_recursive(4, 48, 8, |inner| {
        prop_oneof![
            (
                prop::collection::vec((whitespace(), inner.clone()), 0..6),
                any::<bool>()
            )
                .prop_map(|(items, trailing)| {
                    let body: Vec<String> =
                        items.into_iter().map(|(w, v)| format!("{w}{v}")).collect();
                    format!("[{}{}]", body.join(","), if trailing { "," } else { "" })
                }),
            (
                prop::collection::vec((key(), whitespace(), inner), 0..9),
                any::<bool>()
            )
                .prop_map(|(items, trailing)| {
                    let body: Vec<String> = items
                        .into_iter()
                        .map(|(k, w, v)| format!("\"{k}\"{w}:{w}{v}"))
                        .collect();
                    format!("{{{}{}}}", body.join(","), if trailing { "," } else { "" })
                }),
        ]
    })
}

/// A message object: every field, usually of the right type, in any order, sometimes one
/// missing, doubled or replaced by an odd value, sometimes with an extra key.
fn message() -> impl Strategy<Value = String> {
    let fields = vec![
        ("msgBody", "\"body\""),
        ("msgId", "\"1099511627777\""),
        ("receiptHandle", "\"7922816\""),
        ("enqueueTime", "1795625116"),
        ("firstDequeueTime", "1795625117"),
        ("nextVisibleTime", "1795625147"),
        ("dequeueCount", "1"),
    ];
    (
        Just(fields).prop_shuffle(),
        prop::option::weighted(0.3, (0usize..7, scalar())),
        prop::option::weighted(0.1, 0usize..7),
        prop::option::weighted(0.1, 0usize..7),
        prop::option::weighted(0.2, value()),
    )
        .prop_map(|(fields, odd, missing, doubled, extra)| {
            let mut parts: Vec<String> = Vec::new();
            for (i, (k, v)) in fields.iter().enumerate() {
                if missing == Some(i) {
                    continue;
                }
                let v = match &odd {
                    Some((j, s)) if *j == i => s.clone(),
                    _ => (*v).to_owned(),
                };
                parts.push(format!("\"{k}\":{v}"));
                if doubled == Some(i) {
                    parts.push(format!("\"{k}\":{v}"));
                }
            }
            if let Some(e) = extra {
                parts.push(format!("\"extra\":{e}"));
            }
            format!("{{{}}}", parts.join(","))
        })
}

fn answer() -> impl Strategy<Value = String> {
    (prop::collection::vec(message(), 0..4), whitespace()).prop_map(|(msgs, w)| {
        format!(
            r#"{w}{{"code":0,{w}"message":"","requestId":"r-1","msgInfoList":[{}]}}{w}"#,
            msgs.join(&format!(",{w}"))
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn never_disagrees_with_serde_json_on_any_value(body in value()) {
        all_agree(&body);
    }

    #[test]
    fn never_disagrees_with_serde_json_on_answers(body in answer()) {
        all_agree(&body);
    }

    #[test]
    fn never_disagrees_with_serde_json_after_a_byte_changes(
        body in answer(),
        at in any::<prop::sample::Index>(),
        byte in prop::sample::select(b"\"\\{}[],:-0 1ae.nt\x00\xff".to_vec()),
        insert in any::<bool>(),
    ) {
        let mut bytes = body.into_bytes();
        let i = at.index(bytes.len());
        if insert { bytes.insert(i, byte) } else { bytes[i] = byte }
        if let Ok(text) = String::from_utf8(bytes.clone()) {
            all_agree(&text);
        } else {
            prop_assert!(from_slice::<serde_json::Value>(&bytes).is_none());
        }
    }

    /// Plain values (no escapes, integers only) always take the fast path.
    #[test]
    fn takes_every_plain_value(v in plain_value()) {
        let body = serde_json::to_string(&v).expect("serialises");
        prop_assert!(agrees::<serde_json::Value>(&body), "{}", body);
        let pretty = serde_json::to_string_pretty(&v).expect("serialises");
        prop_assert!(agrees::<serde_json::Value>(&pretty), "{}", pretty);
    }
}

fn plain_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        "[a-zA-Z0-9 é中/+=]{0,20}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z]{1,8}", inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

#[test]
fn the_messages_of_the_bench_answer_take_the_fast_path() {
    let mut body =
        String::from(r#"{"code":0,"message":"","requestId":"8ee226b5-5","msgInfoList":["#);
    for i in 0..16 {
        if i > 0 {
            body.push(',');
        }
        body.push_str(MESSAGE);
    }
    body.push_str("]}");
    assert!(all_agree(&body));
    assert!(agrees::<BatchReceiveMessageOutput>(&body));
}
