//! The conformance corpus (`spec/conformance/`, format in `spec/README.md`) against the SDK:
//!
//! * every request case through the signing functions or the client's encoder and signer
//!   (`Client::signed_params`): exact wire parameters, string to sign and signature, all
//!   computed independently (Python's hmac/hashlib/base64, `spec/conformance/tools/requests.py`);
//! * every response case through `decode_answer::<XInput>`: the output's canonical JSON, the
//!   service error, or the decode error;
//! * every derived boundary case of every profile (`boundaries.<profile>.json`) that a typed input
//!   can express through `validate_for(profile)`: the first violation's error and parameter (or
//!   none) as the spec implies.
//!
//! Typed inputs are built from wire parameters by the small mapping below (field ← wire name per
//! action); it does not compile when an action gains or loses a parameter. Failures are reported
//! all at once with case names; `expected_failure` cases must fail.

use cmq_conformance::*;

use std::collections::BTreeMap;

use cmq_sdk::client::decode_answer;
use cmq_sdk::constraints::{Violation, check_int};
use cmq_sdk::generated::ops::*;
use cmq_sdk::generated::types::{DeadLetterPolicy, NotifyContentFormat, NotifyStrategy, Protocol};
use cmq_sdk::params::Params;
use cmq_sdk::sign::{self, SignatureMethod};
use cmq_sdk::{Client, Credentials, Error, HttpMethod, Open, Operation, Profile};
use serde_json::Value;

// ------------------------------------------------------------------------------ corpus plumbing

/// Wire parameters by name.
type Wire = BTreeMap<String, String>;

fn wire(params: &Value) -> Wire {
    params
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), expand(v)))
        .collect()
}

// ------------------------------------------------------------------------------ typed inputs

/// One field of a typed input from wire parameters.
trait FromWire: Sized {
    fn from_wire(w: &Wire, name: &str) -> Result<Option<Self>, String>;
}

impl FromWire for String {
    fn from_wire(w: &Wire, name: &str) -> Result<Option<Self>, String> {
        Ok(w.get(name).cloned())
    }
}

impl FromWire for i64 {
    fn from_wire(w: &Wire, name: &str) -> Result<Option<Self>, String> {
        w.get(name)
            .map(|v| v.parse().map_err(|_| format!("{name}={v:?} is no i64")))
            .transpose()
    }
}

impl FromWire for Vec<String> {
    /// `name.n` items in index order (any base), else a plain `name` as one item.
    fn from_wire(w: &Wire, name: &str) -> Result<Option<Self>, String> {
        let prefix = format!("{name}.");
        let mut items: Vec<(u64, String)> = w
            .iter()
            .filter_map(|(k, v)| {
                let n = k.strip_prefix(&prefix)?.parse().ok()?;
                Some((n, v.clone()))
            })
            .collect();
        if items.is_empty() {
            return Ok(w.get(name).map(|v| vec![v.clone()]));
        }
        items.sort_by_key(|(n, _)| *n);
        Ok(Some(items.into_iter().map(|(_, v)| v).collect()))
    }
}

impl FromWire for DeadLetterPolicy {
    fn from_wire(w: &Wire, name: &str) -> Result<Option<Self>, String> {
        w.get(name)
            .map(|v| serde_json::from_str(v).map_err(|e| format!("{name}: {e}")))
            .transpose()
    }
}

macro_rules! from_text {
    ($($t:ty),*) => {$(
        impl FromWire for $t {
            fn from_wire(w: &Wire, name: &str) -> Result<Option<Self>, String> {
                Ok(w.get(name).map(|v| <$t>::from(v.as_str())))
            }
        }
    )*};
}
from_text!(
    Open<NotifyStrategy>,
    Open<NotifyContentFormat>,
    Open<Protocol>
);

/// What a test does with one typed input.
trait Visit {
    type Out;
    fn visit<O>(self, input: O) -> Self::Out
    where
        O: Operation,
        O::Output: serde::Serialize;
}

/// Builds the typed input of `action` from `w` and hands it to `v`. Every field of every input
/// is listed, so this stops compiling when the spec adds or removes a parameter.
fn with_input<V: Visit>(action: &str, w: &Wire, v: V) -> Result<V::Out, String> {
    macro_rules! actions {
        ($($variant:ident => $ty:ident { $($field:ident: $wire:literal),* $(,)? }),* $(,)?) => {
            match action {
                $( stringify!($variant) => Ok(v.visit($ty { $( $field: FromWire::from_wire(w, $wire)?, )* })), )*
                other => Err(format!("unknown action `{other}`")),
            }
        };
    }
    actions!(
        BatchDeleteMessage => BatchDeleteMessageInput { queue_name: "queueName", receipt_handle: "receiptHandle" },
        BatchPublishMessage => BatchPublishMessageInput { topic_name: "topicName", msg_body: "msgBody", msg_tag: "msgTag", routing_key: "routingKey" },
        BatchReceiveMessage => BatchReceiveMessageInput { queue_name: "queueName", num_of_msg: "numOfMsg", polling_wait_seconds: "pollingWaitSeconds" },
        BatchSendMessage => BatchSendMessageInput { queue_name: "queueName", msg_body: "msgBody", delay_seconds: "delaySeconds" },
        ClearSubscriptionFilterTags => ClearSubscriptionFilterTagsInput { topic_name: "topicName", subscription_name: "subscriptionName" },
        CreateQueue => CreateQueueInput { queue_name: "queueName", max_msg_heap_num: "maxMsgHeapNum", polling_wait_seconds: "pollingWaitSeconds", visibility_timeout: "visibilityTimeout", max_msg_size: "maxMsgSize", msg_retention_seconds: "msgRetentionSeconds", rewind_seconds: "rewindSeconds", dead_letter_policy: "deadLetterPolicy" },
        CreateTopic => CreateTopicInput { topic_name: "topicName", max_msg_size: "maxMsgSize", filter_type: "filterType" },
        DeleteMessage => DeleteMessageInput { queue_name: "queueName", receipt_handle: "receiptHandle" },
        DeleteQueue => DeleteQueueInput { queue_name: "queueName" },
        DeleteTopic => DeleteTopicInput { topic_name: "topicName" },
        GetQueueAttributes => GetQueueAttributesInput { queue_name: "queueName" },
        GetSubscriptionAttributes => GetSubscriptionAttributesInput { topic_name: "topicName", subscription_name: "subscriptionName" },
        GetTopicAttributes => GetTopicAttributesInput { topic_name: "topicName" },
        ListDeadLetterSourceQueues => ListDeadLetterSourceQueuesInput { dead_letter_queue_name: "deadLetterQueueName", search_word: "searchWord", offset: "offset", limit: "limit" },
        ListQueue => ListQueueInput { search_word: "searchWord", offset: "offset", limit: "limit" },
        ListSubscriptionByTopic => ListSubscriptionByTopicInput { topic_name: "topicName", search_word: "searchWord", offset: "offset", limit: "limit" },
        ListTopic => ListTopicInput { search_word: "searchWord", offset: "offset", limit: "limit" },
        PublishMessage => PublishMessageInput { topic_name: "topicName", msg_body: "msgBody", msg_tag: "msgTag", routing_key: "routingKey" },
        QueryQueueRoute => QueryQueueRouteInput { queue_name: "queueName" },
        QueryTopicRoute => QueryTopicRouteInput { topic_name: "topicName" },
        ReceiveMessage => ReceiveMessageInput { queue_name: "queueName", polling_wait_seconds: "pollingWaitSeconds" },
        RewindQueue => RewindQueueInput { queue_name: "queueName", start_consume_time: "startConsumeTime" },
        SendMessage => SendMessageInput { queue_name: "queueName", msg_body: "msgBody", delay_seconds: "delaySeconds" },
        SetQueueAttributes => SetQueueAttributesInput { queue_name: "queueName", max_msg_heap_num: "maxMsgHeapNum", polling_wait_seconds: "pollingWaitSeconds", visibility_timeout: "visibilityTimeout", max_msg_size: "maxMsgSize", msg_retention_seconds: "msgRetentionSeconds", rewind_seconds: "rewindSeconds", dead_letter_policy: "deadLetterPolicy" },
        SetSubscriptionAttributes => SetSubscriptionAttributesInput { topic_name: "topicName", subscription_name: "subscriptionName", notify_strategy: "notifyStrategy", notify_content_format: "notifyContentFormat", filter_tag: "filterTag", binding_key: "bindingKey" },
        SetTopicAttributes => SetTopicAttributesInput { topic_name: "topicName", max_msg_size: "maxMsgSize" },
        Subscribe => SubscribeInput { topic_name: "topicName", subscription_name: "subscriptionName", protocol: "protocol", endpoint: "endpoint", notify_strategy: "notifyStrategy", notify_content_format: "notifyContentFormat", filter_tag: "filterTag", binding_key: "bindingKey" },
        UnbindDeadLetterQueue => UnbindDeadLetterQueueInput { queue_name: "queueName" },
        Unsubscribe => UnsubscribeInput { topic_name: "topicName", subscription_name: "subscriptionName" },
    )
}

/// The first violation `validate_for(profile)` reports.
struct FirstViolation(Profile);

impl Visit for FirstViolation {
    type Out = Option<Violation>;
    fn visit<O>(self, input: O) -> Option<Violation>
    where
        O: Operation,
        O::Output: serde::Serialize,
    {
        input
            .validate_for(self.0)
            .err()
            .and_then(|v| v.0.into_iter().next())
    }
}

/// The signed parameters and string to sign, plus the first violation.
struct Signed<'a> {
    client: &'a Client,
    timestamp: u64,
    nonce: u64,
}

impl Visit for Signed<'_> {
    type Out = (Params, String, Option<Violation>);
    fn visit<O>(self, input: O) -> Self::Out
    where
        O: Operation,
        O::Output: serde::Serialize,
    {
        let (p, sts) = self
            .client
            .signed_params(&input, self.timestamp, self.nonce);
        (
            p,
            sts,
            input.validate().err().and_then(|v| v.0.into_iter().next()),
        )
    }
}

/// Decodes an answer body as the action's output (canonical JSON) or an error.
struct Decode<'a>(&'a [u8]);

impl Visit for Decode<'_> {
    type Out = Result<Value, Error>;
    fn visit<O>(self, _: O) -> Self::Out
    where
        O: Operation,
        O::Output: serde::Serialize,
    {
        decode_answer::<O>(self.0).map(|out| serde_json::to_value(&out).unwrap_or(Value::Null))
    }
}

// ------------------------------------------------------------------------------ requests

fn check_request(case: &Value) -> Result<(), String> {
    let exp = &case["expected"];
    let want_params = pairs_of(&exp["params"]);
    let want_sts = text(exp, "string_to_sign");
    let want_sig = text(exp, "signature");
    let method = text(case, "method");
    let sig_method = SignatureMethod::from_wire(Some(text(case, "signature_method")));
    let (mut got_params, sts, sig) = match text(case, "via") {
        "sign" => {
            let params = pairs_of(&case["params"]);
            let refs: Vec<(&str, &str)> = params
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let sts = sign::string_to_sign(method, text(case, "host"), text(case, "path"), &refs);
            let sig = sign::sign(text(case, "secret_key"), sig_method, &sts);
            (params, sts, sig)
        }
        "client" => {
            let mut creds = Credentials::new(text(case, "secret_id"), text(case, "secret_key"));
            if let Some(t) = case["token"].as_str() {
                creds = creds.with_token(t);
            }
            let mut b = Client::builder()
                .endpoint(format!(
                    "{}://{}{}",
                    text(case, "scheme"),
                    text(case, "host"),
                    text(case, "path")
                ))
                .credentials(creds)
                .signature_method(sig_method)
                .http_method(if method == "GET" {
                    HttpMethod::Get
                } else {
                    HttpMethod::Post
                })
                .request_client(text(case, "request_client"));
            if let Some(r) = case["region"].as_str() {
                b = b.region(r);
            }
            let client = b.build().map_err(|e| e.to_string())?;
            let visit = Signed {
                client: &client,
                timestamp: case["timestamp"].as_u64().ok_or("no timestamp")?,
                nonce: case["nonce"].as_u64().ok_or("no nonce")?,
            };
            let (p, sts, violation) =
                with_input(text(case, "action"), &wire(&case["input"]), visit)?;
            if let Some(v) = violation {
                return Err(format!("the request case is invalid: {v}"));
            }
            let params: Vec<(String, String)> = p
                .pairs()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            let sig = p.get("Signature").unwrap_or_default().to_owned();
            (params, sts, sig)
        }
        other => return Err(format!("unknown via `{other}`")),
    };
    got_params.sort_by(|a, b| a.0.cmp(&b.0));
    let mut problems = Vec::new();
    if got_params != want_params {
        problems.push(format!(
            "wire parameters\n      got  {got_params:?}\n      want {want_params:?}"
        ));
    }
    if sts != want_sts {
        problems.push(format!(
            "string to sign\n      got  {sts:?}\n      want {want_sts:?}"
        ));
    }
    if sig != want_sig {
        problems.push(format!("signature: got {sig}, want {want_sig}"));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

#[test]
fn request_cases() {
    let corpus = load("spec/conformance/requests.json");
    let mut r = Report::default();
    let mut actions = std::collections::BTreeSet::new();
    for case in cases(&corpus) {
        if text(case, "via") == "client" {
            actions.insert(text(case, "action").to_owned());
        }
        r.record(
            text(case, "name"),
            case["expected_failure"].as_str(),
            check_request(case),
        );
    }
    assert_eq!(
        actions.len(),
        cmq_sdk::Action::ALL.len(),
        "one client case per action"
    );
    r.finish("requests.json (SDK)");
}

// ------------------------------------------------------------------------------ responses

fn check_response(case: &Value) -> Result<(), String> {
    let body = match case["body_text"].as_str() {
        Some(t) => t.as_bytes().to_vec(),
        None => serde_json::to_vec(&case["body"]).map_err(|e| e.to_string())?,
    };
    let got = with_input(text(case, "action"), &Wire::new(), Decode(&body))?;
    let exp = &case["expected"];
    match got {
        Ok(out) => match exp.get("output") {
            Some(want) if &out == want => Ok(()),
            Some(want) => Err(format!("decoded {out}, want {want}")),
            None => Err(format!("decoded {out}, want {exp}")),
        },
        Err(Error::Service(s)) => {
            let Some(want) = exp.get("error") else {
                return Err(format!("service error {s:?}, want {exp}"));
            };
            let got = serde_json::json!({
                "code": s.code,
                "module": s.module_code,
                "message": s.message,
                "request_id": s.request_id,
                "error_list": s.error_list,
            });
            if &got == want {
                Ok(())
            } else {
                Err(format!("service error {got}, want {want}"))
            }
        }
        Err(Error::Decode { message, .. }) => match exp["decode_error"].as_str() {
            Some(part) if message.contains(part) => Ok(()),
            _ => Err(format!("decode error {message:?}, want {exp}")),
        },
        Err(other) => Err(format!("{other}, want {exp}")),
    }
}

#[test]
fn response_cases() {
    let corpus = load("spec/conformance/responses.json");
    let mut r = Report::default();
    for case in cases(&corpus) {
        r.record(
            text(case, "name"),
            case["expected_failure"].as_str(),
            check_response(case),
        );
    }
    r.finish("responses.json (SDK)");
}

// ------------------------------------------------------------------------------ derived

/// Compares `validate()`'s first violation with a case's expectation.
fn check_violation(expect: &Value, got: Option<Violation>) -> Result<(), String> {
    match (expect.as_str(), got) {
        (Some("ok"), None) => Ok(()),
        (Some("ok"), Some(v)) => Err(format!("expected ok, validate() says {v} ({:?})", v.error)),
        (_, None) => Err(format!(
            "expected {}, validate() accepts it",
            expect["error"]
        )),
        (_, Some(v)) => {
            let want = (text(expect, "error"), text(expect, "param"));
            if (v.error.id(), v.param.as_str()) == want {
                Ok(())
            } else {
                Err(format!(
                    "expected {} about `{}`, validate() says {} about `{}` ({v})",
                    want.0,
                    want.1,
                    v.error.id(),
                    v.param
                ))
            }
        }
    }
}

/// Where the results files go (`target/conformance-results/`).
fn results_dir() -> std::path::PathBuf {
    results::results_dir(env!("CARGO_TARGET_TMPDIR"))
}

/// Every profile's derived cases (`boundaries.<profile>.json`) through `validate_for(profile)`;
/// the cases a typed input cannot express (`"typed": false`) are recorded as not applicable in
/// `sdk-v2-<profile>-derived.json`.
#[test]
fn derived_cases_through_validate() {
    let gaps = derived_expected_failures();
    let mut reports = Vec::new();
    for &profile in Profile::ALL {
        let file = results::derived_path("v2", profile.as_str());
        let corpus = load(&file);
        assert_eq!(corpus["profile"], profile.as_str(), "{file}");
        let mut r = Report::default();
        for case in cases(&corpus) {
            let name = text(case, "name");
            if case["typed"] != true {
                r.not_applicable(name);
                continue;
            }
            let visit = FirstViolation(profile);
            let outcome = with_input(text(case, "action"), &wire(&case["params"]), visit)
                .and_then(|got| check_violation(&case["expect"], got));
            r.record(name, gap(&gaps, name), outcome);
        }
        let run = Run::new(Harness::Sdk, "v2", profile.as_str(), Part::Derived, &file);
        r.save(&run, &results_dir());
        reports.push((format!("{file} (SDK validate_for({profile}))"), r));
    }
    for (what, r) in reports {
        r.finish(&what);
    }
}

/// The typed input's own wire parameters (sorted) and the first violation of
/// `validate_for(profile)`.
struct Express(Profile);

impl Visit for Express {
    type Out = (Vec<(String, String)>, Option<Violation>);
    fn visit<O>(self, input: O) -> Self::Out
    where
        O: Operation,
        O::Output: serde::Serialize,
    {
        let mut p = Params::new();
        input.encode(&mut p);
        let mut pairs: Vec<(String, String)> = p
            .pairs()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        pairs.sort();
        let first = input
            .validate_for(self.0)
            .err()
            .and_then(|v| v.0.into_iter().next());
        (pairs, first)
    }
}

/// A hand-written malformed case through `validate_for(profile)`: `None` when a typed input
/// cannot express it (the input cannot be built from the case's parameters, or it encodes to
/// other parameters: a wrong type, an unknown parameter, a 0-based list, JSON the typed policy
/// rewrites), else the comparison of the first violation with the code, module code and
/// message the case expects.
fn check_malformed(case: &Value, profile: Profile) -> Option<Result<(), String>> {
    let w = wire(&case["params"]);
    let (encoded, first) = with_input(text(case, "action"), &w, Express(profile)).ok()?;
    let sent: Vec<(String, String)> = w.into_iter().collect();
    if encoded != sent {
        return None;
    }
    let expect = &case["expect"];
    Some(match (expect.as_str(), first) {
        (Some("ok"), None) => Ok(()),
        (Some("ok"), Some(v)) => Err(format!("expected ok, validate() says {v} ({:?})", v.error)),
        (_, None) => Err(format!("expected {expect}, validate() accepts it")),
        (_, Some(v)) => {
            let id = v.error;
            let base = v.param.split('.').next().unwrap_or_default();
            let message = format!("({}){}", id.module(), id.message().replace("%s", base));
            let got = (Some(id.code()), Some(id.module()), Some(message.as_str()));
            let want = (
                expect["code"].as_i64(),
                expect["module"].as_i64(),
                expect["message"].as_str(),
            );
            if got == want {
                Ok(())
            } else {
                Err(format!("expected {want:?}, validate() says {got:?} ({v})"))
            }
        }
    })
}

/// Every hand-written malformed case (`malformed.json`) a typed input can express, through
/// `validate_for` of its profile (or of every profile when it names none); the others are
/// recorded as not applicable in `sdk-v2-<profile>-hand.json`.
#[test]
fn malformed_cases_through_validate() {
    const FILE: &str = "spec/conformance/malformed.json";
    let corpus = load(FILE);
    let mut reports = Vec::new();
    for &profile in Profile::ALL {
        let mut r = Report::default();
        for case in cases(&corpus) {
            let name = text(case, "name");
            if case["profile"]
                .as_str()
                .is_some_and(|p| p != profile.as_str())
            {
                continue;
            }
            match check_malformed(case, profile) {
                None => r.not_applicable(name),
                Some(outcome) => r.record(name, case["expected_failure"].as_str(), outcome),
            }
        }
        let run = Run::new(Harness::Sdk, "v2", profile.as_str(), Part::Hand, FILE);
        r.save(&run, &results_dir());
        reports.push((format!("{FILE} (SDK validate_for({profile}))"), r));
    }
    for (what, r) in reports {
        r.finish(&what);
    }
}

/// A hand edit to a generated constraint (here `max` of SendMessage's delaySeconds, doubled,
/// as a stale `constraints.rs` would have it) disagrees with the corpus, whose expectations
/// come from the spec: exactly the `max+1` case notices.
#[test]
fn a_hand_edited_range_disagrees_with_the_corpus() {
    let mut edited = cmq_sdk::generated::constraints::send_message::DELAY_SECONDS;
    let max = edited.max.expect("delaySeconds has a maximum");
    edited.max = Some(max * 2);
    let corpus = load("spec/conformance/generated/boundaries.tdmq.json");
    let mut disagree = Vec::new();
    for case in cases(&corpus).iter().filter(|c| {
        text(c, "action") == "SendMessage"
            && text(c, "param") == "delaySeconds"
            && text(c, "constraint") == "range"
    }) {
        let value = wire(&case["params"])["delaySeconds"].parse::<i64>().ok();
        let mut v = Vec::new();
        check_int(&edited, value, &mut v);
        if check_violation(&case["expect"], v.into_iter().next()).is_err() {
            disagree.push(text(case, "name").to_owned());
        }
    }
    assert_eq!(
        disagree,
        vec![format!("SendMessage/delaySeconds/range/max+1={}", max + 1)]
    );
}
