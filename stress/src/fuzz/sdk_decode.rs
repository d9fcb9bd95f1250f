//! The `sdk-decode` target: the SDK's answer decoders, [`cmq_sdk::client::decode_answer`] (API
//! 2.0) and [`cmq_sdk::api3::decode_api3_answer`] (API 3.0), which try a hand-written plain-JSON
//! reader before `serde_json`. Bodies are the answers of `spec/conformance/responses.json` and
//! `responses.v3.json` (or any JSON), re-emitted with escapes, floats, `-0`, big numbers,
//! duplicate keys, odd whitespace and deep nesting, and then byte-mutated (broken UTF-8 too).
//!
//! Properties, beyond "no panic": the result is the one `serde_json` alone gives.
//!
//! * API 3.0: exactly (the `Debug` form of the whole `Result`) what the same two-pass decoding
//!   (the envelope's head, then `Response` as the output) gives through `serde_json` only.
//! * API 2.0: an `Ok` output equals `serde_json::from_slice` into the output type; a service
//!   error carries the body's integer `code` (not 0); a decode error comes with a body that
//!   `serde_json` refuses as the envelope or as the output.

use std::fmt::Debug;

use cmq_sdk::generated::ops::{
    BatchReceiveMessageInput, BatchSendMessageInput, GetQueueAttributesInput, ListQueueInput,
    ReceiveMessageInput, SendMessageInput,
};
use cmq_sdk::generated::v3::ops::{
    ClearCmqQueueRequest, DescribeCmqQueueDetailRequest, DescribeCmqQueuesRequest,
    DescribeCmqSubscriptionDetailRequest, DescribeCmqTopicsRequest, SendCmqMsgRequest,
};
use cmq_sdk::{Api3Operation, Error, Operation};
use serde::Deserialize;
use serde_json::Value;

use super::generate::Gen;
use super::targets::{Outcome, World};

/// The answer bodies of the corpus: `(action, body)`, API 2.0 then API 3.0.
fn answers() -> &'static [(String, Value)] {
    static C: std::sync::OnceLock<Vec<(String, Value)>> = std::sync::OnceLock::new();
    C.get_or_init(|| {
        let mut out = Vec::new();
        for file in [
            "spec/conformance/responses.json",
            "spec/conformance/responses.v3.json",
        ] {
            let doc = cmq_conformance::load(file);
            for c in cmq_conformance::cases(&doc) {
                let action = cmq_conformance::text(c, "action").to_owned();
                out.push((action, c["body"].clone()));
            }
        }
        out
    })
}

/// A JSON string literal for `s`, with escapes of every kind now and then.
fn emit_str(g: &mut Gen, s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        let escape = g.chance(0.05);
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            '/' if escape => out.push_str("\\/"),
            c if escape && (c as u32) < 0x1_0000 => out.push_str(&format!("\\u{:04X}", c as u32)),
            c if escape => {
                let mut buf = [0u16; 2];
                for u in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{u:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    if g.chance(0.02) {
        let tail = *g.pick(&["\\ud800", "\\ud83d\\ude00", "\\n", "\\u0000", "\\x"]);
        out.push_str(tail);
    }
    out.push('"');
}

/// A number, as sent or in another spelling that means (nearly) the same.
fn emit_number(g: &mut Gen, n: &serde_json::Number, out: &mut String) {
    if !g.chance(0.1) {
        out.push_str(&n.to_string());
        return;
    }
    let t = match g.below(9) {
        0 => "-0".to_owned(),
        1 => format!("{n}.0"),
        2 => format!("{n}e0"),
        3 => "18446744073709551616".into(),
        4 => "-9223372036854775809".into(),
        5 => "1e400".into(),
        6 => "0.1".into(),
        7 => u64::MAX.to_string(),
        _ => i64::MIN.to_string(),
    };
    out.push_str(&t);
}

/// `v` as JSON text, its nodes re-spelled, retyped, duplicated or nested deeply now and then.
fn emit(g: &mut Gen, v: &Value, out: &mut String) {
    if g.chance(0.01) {
        let n = g.below(300);
        out.push_str(&"[".repeat(n));
        emit(g, v, out);
        out.push_str(&"]".repeat(n));
        return;
    }
    if g.chance(0.02) {
        out.push_str(&g.json(1).to_string());
        return;
    }
    let ws = |g: &mut Gen| *g.pick(&["", "", "", " ", "\n\t", "\r\n "]);
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => emit_number(g, n, out),
        Value::String(s) => emit_str(g, s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(ws(g));
                emit(g, item, out);
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push('{');
            let mut first = true;
            for (k, item) in m {
                let copies = if g.chance(0.03) { 2 } else { 1 };
                for _ in 0..copies {
                    if !first {
                        out.push(',');
                    }
                    first = false;
                    out.push_str(ws(g));
                    emit_str(g, k, out);
                    out.push_str(ws(g));
                    out.push(':');
                    emit(g, item, out);
                }
            }
            if g.chance(0.03) {
                if !first {
                    out.push(',');
                }
                let k = g.text(6);
                emit_str(g, &k, out);
                out.push(':');
                out.push_str(&g.json(2).to_string());
            }
            out.push('}');
        }
    }
}

/// A body for `action`: its corpus answers most of the time, any answer or any JSON otherwise;
/// re-emitted, then byte-mutated now and then.
fn body_for(g: &mut Gen, action: &str) -> Vec<u8> {
    let all = answers();
    let own: Vec<&Value> = all
        .iter()
        .filter(|(a, _)| a == action)
        .map(|(_, b)| b)
        .collect();
    let v = match g.below(10) {
        0..=6 if !own.is_empty() => own[g.below(own.len())].clone(),
        0..=8 if !all.is_empty() => all[g.below(all.len())].1.clone(),
        _ => g.json(4),
    };
    let mut text = String::new();
    emit(g, &v, &mut text);
    let mut bytes = text.into_bytes();
    if g.chance(0.2) {
        g.mutate_bytes(&mut bytes);
    }
    bytes
}

/// `Ok`, a service error or a decode error, as an ending label.
fn ending<T>(r: &Result<T, Error>) -> &'static str {
    match r {
        Ok(_) => "decoded",
        Err(Error::Service(_) | Error::Api3Service(_)) => "service error",
        Err(Error::Decode { .. }) => "decode error",
        Err(_) => "other error",
    }
}

/// The API 2.0 envelope, as `cmq_sdk::client` reads it.
#[derive(Deserialize)]
struct V2Envelope {
    code: i64,
    #[serde(default)]
    message: String,
    #[serde(rename = "requestId", default)]
    request_id: Option<Value>,
    #[serde(rename = "errorList", default)]
    error_list: Vec<cmq_sdk::error::BatchItemError>,
}

/// API 2.0: [`cmq_sdk::client::decode_answer`] against `serde_json` (see the module docs).
fn check_v2<O: Operation>(body: &[u8]) -> Outcome
where
    O::Output: Debug,
{
    let got = cmq_sdk::client::decode_answer::<O>(body);
    let action = O::ACTION.as_str();
    let envelope = serde_json::from_slice::<V2Envelope>(body);
    let output = || serde_json::from_slice::<O::Output>(body);
    let broken = |what: &str| {
        Err(format!(
            "{action}: {what}: {}",
            String::from_utf8_lossy(body)
        ))
    };
    match (&got, &envelope) {
        (Ok(out), _) => match output() {
            Ok(reference) if format!("{out:?}") == format!("{reference:?}") => {}
            other => return broken(&format!("decoded {out:?}, serde_json gives {other:?}")),
        },
        (Err(Error::Service(s)), Ok(env)) => {
            let id = env.request_id.as_ref().and_then(|v| match v {
                Value::Null => None,
                Value::String(s) => Some(s.clone()),
                other => Some(other.to_string()),
            });
            if env.code == 0
                || (s.code, &s.message, &s.request_id, &s.error_list)
                    != (env.code, &env.message, &id, &env.error_list)
            {
                return broken(&format!(
                    "service error {s:?}, serde_json reads {}",
                    env.code
                ));
            }
        }
        (Err(Error::Service(s)), Err(e)) => {
            return broken(&format!("service error {s:?}, serde_json refuses ({e})"));
        }
        (Err(Error::Decode { .. }), Ok(env)) if env.code != 0 || output().is_ok() => {
            return broken("a decode error for an answer serde_json decodes");
        }
        (Err(Error::Decode { .. }), _) => {}
        (Err(e), _) => return broken(&format!("an unexpected error {e:?}")),
    }
    if got.is_ok() && !envelope.as_ref().is_ok_and(|e| e.code == 0) {
        // The top-level scan for `"code": 0` (first of duplicate keys, escapes not decoded)
        // took an answer whose envelope serde_json refuses or reads another code from.
        return Ok("decoded, though serde_json's envelope differs");
    }
    Ok(ending(&got))
}

/// The API 3.0 envelope, as `cmq_sdk::api3` reads it.
#[derive(Deserialize)]
struct Envelope<T> {
    #[serde(rename = "Response")]
    response: T,
}

/// The head of an API 3.0 answer.
#[derive(Deserialize)]
struct Head {
    #[serde(rename = "Error")]
    error: Option<ErrorBody>,
    #[serde(rename = "RequestId")]
    request_id: Option<String>,
}

/// An API 3.0 error.
#[derive(Deserialize)]
struct ErrorBody {
    #[serde(rename = "Code")]
    code: String,
    #[serde(rename = "Message", default)]
    message: String,
}

/// What [`cmq_sdk::api3::decode_api3_answer`] gives, with `serde_json` alone.
fn reference_v3<O: Api3Operation>(body: &[u8]) -> Result<O::Output, Error> {
    // The body is left out: both sides are compared without it (see [`normal`]).
    let decode_error = |e: serde_json::Error| Error::Decode {
        message: e.to_string(),
        body: String::new(),
    };
    let head: Envelope<Head> = serde_json::from_slice(body).map_err(decode_error)?;
    if let Some(err) = head.response.error {
        return Err(Error::Api3Service(Box::new(cmq_sdk::Api3ServiceError {
            action: O::ACTION,
            code: err.code,
            message: err.message,
            request_id: head.response.request_id,
        })));
    }
    let out: Envelope<O::Output> = serde_json::from_slice(body).map_err(decode_error)?;
    Ok(out.response)
}

/// A result's `Debug` form, a decode error's copy of the body left out.
fn normal<T: Debug>(r: &Result<T, Error>) -> String {
    match r {
        Err(Error::Decode { message, .. }) => format!("Decode({message})"),
        other => format!("{other:?}"),
    }
}

/// API 3.0: [`cmq_sdk::api3::decode_api3_answer`] against [`reference_v3`], exactly.
fn check_v3<O: Api3Operation>(body: &[u8]) -> Outcome
where
    O::Output: Debug,
{
    let got = cmq_sdk::api3::decode_api3_answer::<O>(body);
    let reference = reference_v3::<O>(body);
    let (a, b) = (normal(&got), normal(&reference));
    if a != b {
        return Err(format!(
            "{}: {a} but serde_json gives {b}: {}",
            O::ACTION,
            String::from_utf8_lossy(body)
        ));
    }
    Ok(ending(&got))
}

/// One decoder under test: the action whose answers it takes, and its check.
type Decoder = (&'static str, fn(&[u8]) -> Outcome);

/// The decoders the target drives.
const DECODERS: &[Decoder] = &[
    ("BatchReceiveMessage", check_v2::<BatchReceiveMessageInput>),
    ("ReceiveMessage", check_v2::<ReceiveMessageInput>),
    ("SendMessage", check_v2::<SendMessageInput>),
    ("BatchSendMessage", check_v2::<BatchSendMessageInput>),
    ("ListQueue", check_v2::<ListQueueInput>),
    ("GetQueueAttributes", check_v2::<GetQueueAttributesInput>),
    ("DescribeCmqQueues", check_v3::<DescribeCmqQueuesRequest>),
    (
        "DescribeCmqQueueDetail",
        check_v3::<DescribeCmqQueueDetailRequest>,
    ),
    ("DescribeCmqTopics", check_v3::<DescribeCmqTopicsRequest>),
    (
        "DescribeCmqSubscriptionDetail",
        check_v3::<DescribeCmqSubscriptionDetailRequest>,
    ),
    ("SendCmqMsg", check_v3::<SendCmqMsgRequest>),
    ("ClearCmqQueue", check_v3::<ClearCmqQueueRequest>),
];

/// `sdk-decode`: the SDK's answer decoders against `serde_json` (see the module docs).
pub fn sdk_decode(_w: &mut World, g: &mut Gen) -> Outcome {
    let (action, check) = *g.pick(DECODERS);
    let body = body_for(g, action);
    check(&body)
}
