//! The API 3.0 conformance corpus (`spec/conformance/`, format in `spec/README.md`) against the
//! SDK:
//!
//! * every request case (`requests.v3.json`, one per action, computed by Tencent's official
//!   Python signer): the typed request built from the case's input, signed with the case's
//!   clock by `Client::signed_api3_request`, gives exactly the body, headers and signature;
//! * every response case (`responses.v3.json`: Tencent's published examples and variants, the
//!   expected outputs computed from the spec's facts) through `decode_api3_answer`;
//! * every derived case (`generated/boundaries.v3.tdmq.json`) that a typed request can express,
//!   through `validate()`: the first violation's error and path (or none).

use cmq_conformance::*;

use cmq_sdk::api3::{Api3Operation, decode_api3_answer};
use cmq_sdk::constraints::Violation;
use cmq_sdk::generated::v3::actions::Api3Action;
use cmq_sdk::generated::v3::errors::Api3ErrorId;
use cmq_sdk::generated::v3::ops::*;
use cmq_sdk::sign::tc3;
use cmq_sdk::{Client, Credentials, Error};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// What a test does with one typed request.
trait Visit {
    type Out;
    fn visit<O>(self, input: O) -> Self::Out
    where
        O: Api3Operation + DeserializeOwned,
        O::Output: Serialize;
}

/// Builds the typed request of `action` from a JSON body and hands it to `v` (`Ok(None)` when
/// the body does not deserialise). Every action is listed; the count is checked below.
fn with_request<V: Visit>(action: &str, body: &Value, v: V) -> Result<V::Out, String> {
    macro_rules! actions {
        ($($name:ident => $ty:ty),* $(,)?) => {
            match action {
                $( stringify!($name) => {
                    let r: $ty = serde_json::from_value(body.clone()).map_err(|e| format!("not a typed request: {e}"))?;
                    Ok(v.visit(r))
                } )*
                other => Err(format!("unknown action `{other}`")),
            }
        };
    }
    actions!(
        ClearCmqQueue => ClearCmqQueueRequest,
        ClearCmqSubscriptionFilterTags => ClearCmqSubscriptionFilterTagsRequest,
        CreateCmqQueue => CreateCmqQueueRequest,
        CreateCmqSubscribe => CreateCmqSubscribeRequest,
        CreateCmqTopic => CreateCmqTopicRequest,
        DeleteCmqQueue => DeleteCmqQueueRequest,
        DeleteCmqSubscribe => DeleteCmqSubscribeRequest,
        DeleteCmqTopic => DeleteCmqTopicRequest,
        DescribeCmqQueueDetail => DescribeCmqQueueDetailRequest,
        DescribeCmqQueues => DescribeCmqQueuesRequest,
        DescribeCmqSubscriptionDetail => DescribeCmqSubscriptionDetailRequest,
        DescribeCmqTopicDetail => DescribeCmqTopicDetailRequest,
        DescribeCmqTopics => DescribeCmqTopicsRequest,
        ModifyCmqQueueAttribute => ModifyCmqQueueAttributeRequest,
        ModifyCmqSubscriptionAttribute => ModifyCmqSubscriptionAttributeRequest,
        ModifyCmqTopicAttribute => ModifyCmqTopicAttributeRequest,
        PublishCmqMsg => PublishCmqMsgRequest,
        RewindCmqQueue => RewindCmqQueueRequest,
        SendCmqMsg => SendCmqMsgRequest,
        UnbindCmqDeadLetter => UnbindCmqDeadLetterRequest,
    )
}

#[test]
fn every_action_is_listed() {
    for a in Api3Action::ALL {
        let listed = with_request(a.as_str(), &Value::Object(Default::default()), Noop);
        assert!(listed.is_ok(), "{a}: {listed:?}");
    }
}

struct Noop;

impl Visit for Noop {
    type Out = ();
    fn visit<O>(self, _: O)
    where
        O: Api3Operation + DeserializeOwned,
        O::Output: Serialize,
    {
    }
}

// ------------------------------------------------------------------------------ requests

/// Signs the typed request with the case's client and clock.
struct Sign<'a> {
    client: &'a Client,
    timestamp: u64,
}

impl Visit for Sign<'_> {
    type Out = Result<cmq_sdk::api3::Api3Request, String>;
    fn visit<O>(self, input: O) -> Self::Out
    where
        O: Api3Operation + DeserializeOwned,
        O::Output: Serialize,
    {
        if let Err(v) = input.validate() {
            return Err(format!("the request case is invalid: {v}"));
        }
        (self.client)
            .signed_api3_request(&input, self.timestamp)
            .map_err(|e| e.to_string())
    }
}

fn case_client(case: &Value) -> Result<Client, String> {
    let mut creds = Credentials::new(text(case, "secret_id"), text(case, "secret_key"));
    if let Some(t) = case["token"].as_str() {
        creds = creds.with_token(t);
    }
    let mut b = Client::builder()
        .endpoint("https://cmq-gz.public.tencenttdmq.com")
        .control_endpoint(format!("{}://{}", text(case, "scheme"), text(case, "host")))
        .region(text(case, "region"))
        .credentials(creds);
    if let Some(l) = case["language"].as_str() {
        b = b.language(l);
    }
    b.build().map_err(|e| e.to_string())
}

fn check_request(case: &Value) -> Result<(), String> {
    let client = case_client(case)?;
    let timestamp = case["timestamp"].as_u64().ok_or("no timestamp")?;
    let visit = Sign {
        client: &client,
        timestamp,
    };
    let req = with_request(text(case, "action"), &case["input"], visit)??;
    let exp = &case["expected"];
    let mut problems = Vec::new();
    let body = String::from_utf8_lossy(&req.body);
    if body != text(exp, "body") {
        problems.push(format!(
            "body\n      got  {body}\n      want {}",
            text(exp, "body")
        ));
    }
    let want = exp["headers"].as_object().ok_or("no headers")?;
    for (name, value) in want.iter().filter(|(n, _)| n.as_str() != "Host") {
        let got = req
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name));
        if got.map(|(_, v)| v.as_str()) != value.as_str() {
            problems.push(format!("header {name}: got {got:?}, want {value}"));
        }
    }
    for (name, _) in &req.headers {
        let known = want.keys().any(|k| k.eq_ignore_ascii_case(name));
        if !known && *name != "X-TC-RequestClient" {
            problems.push(format!(
                "header {name} is not what the official client sends"
            ));
        }
    }
    if req.endpoint.signing_host() != text(case, "host") {
        problems.push(format!(
            "host {} is not {}",
            req.endpoint.signing_host(),
            text(case, "host")
        ));
    }
    problems.extend(check_stages(case, &req.body)?);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// The signer's stages for the case's body against the official ones.
fn check_stages(case: &Value, body: &[u8]) -> Result<Vec<String>, String> {
    let exp = &case["expected"];
    let signed = tc3::sign(&tc3::SignInput {
        secret_id: text(case, "secret_id"),
        secret_key: text(case, "secret_key"),
        service: cmq_sdk::generated::v3::PRODUCT,
        host: text(case, "host"),
        path: "/",
        timestamp: case["timestamp"].as_u64().ok_or("no timestamp")?,
        body,
    });
    let mut problems = Vec::new();
    for (what, got, want) in [
        (
            "canonical request",
            signed.canonical_request.as_str(),
            text(exp, "canonical_request"),
        ),
        (
            "string to sign",
            signed.string_to_sign.as_str(),
            text(exp, "string_to_sign"),
        ),
        (
            "signature",
            signed.signature.as_str(),
            text(exp, "signature"),
        ),
    ] {
        if got != want {
            problems.push(format!("{what}\n      got  {got:?}\n      want {want:?}"));
        }
    }
    Ok(problems)
}

#[test]
fn request_cases() {
    let corpus = load("spec/conformance/requests.v3.json");
    let mut r = Report::default();
    let mut actions = std::collections::BTreeSet::new();
    for case in cases(&corpus) {
        actions.insert(text(case, "action").to_owned());
        r.record(
            text(case, "name"),
            case["expected_failure"].as_str(),
            check_request(case),
        );
    }
    assert_eq!(actions.len(), Api3Action::ALL.len(), "one case per action");
    r.finish("requests.v3.json (SDK)");
}

// ------------------------------------------------------------------------------ responses

/// Decodes an answer body as the action's response (canonical JSON) or an error.
struct Decode<'a>(&'a [u8]);

impl Visit for Decode<'_> {
    type Out = Result<Value, Error>;
    fn visit<O>(self, _: O) -> Self::Out
    where
        O: Api3Operation + DeserializeOwned,
        O::Output: Serialize,
    {
        decode_api3_answer::<O>(self.0).map(|out| serde_json::to_value(&out).unwrap_or(Value::Null))
    }
}

fn check_response(case: &Value) -> Result<(), String> {
    let body = match case["body_text"].as_str() {
        Some(t) => t.as_bytes().to_vec(),
        None => serde_json::to_vec(&case["body"]).map_err(|e| e.to_string())?,
    };
    let empty = Value::Object(Default::default());
    let got = with_request(text(case, "action"), &empty, Decode(&body))?;
    let exp = &case["expected"];
    match got {
        Ok(out) => match exp.get("output") {
            Some(want) if &out == want => Ok(()),
            _ => Err(format!("decoded {out}, want {exp}")),
        },
        Err(Error::Api3Service(s)) => {
            let got = serde_json::json!({"code": s.code, "message": s.message, "request_id": s.request_id});
            match exp.get("error") {
                Some(want) if &got == want => Ok(()),
                _ => Err(format!("service error {got}, want {exp}")),
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
    let corpus = load("spec/conformance/responses.v3.json");
    let mut r = Report::default();
    for case in cases(&corpus) {
        r.record(
            text(case, "name"),
            case["expected_failure"].as_str(),
            check_response(case),
        );
    }
    r.finish("responses.v3.json (SDK)");
}

// ------------------------------------------------------------------------------ derived

/// The first violation `validate()` reports.
struct FirstViolation;

impl Visit for FirstViolation {
    type Out = Option<Violation<Api3ErrorId>>;
    fn visit<O>(self, input: O) -> Self::Out
    where
        O: Api3Operation + DeserializeOwned,
        O::Output: Serialize,
    {
        input.validate().err().and_then(|v| v.0.into_iter().next())
    }
}

/// Compares a first violation with a case's expectation (error id and path).
fn check_violation(expect: &Value, got: Option<Violation<Api3ErrorId>>) -> Result<(), String> {
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

/// Every derived case a typed request can express through `validate()`, on every profile where
/// API 3.0 exists; the others (`"typed": false`) are recorded as not applicable in
/// `sdk-v3-<profile>-derived.json`.
#[test]
fn derived_cases_through_validate() {
    let gaps = derived_expected_failures();
    let profiles = cmq_sdk::Profile::ALL.iter().copied();
    for profile in profiles.filter(|&p| cmq_sdk::generated::v3::available(p)) {
        let file = results::derived_path("v3", profile.as_str());
        let corpus = load(&file);
        let mut r = Report::default();
        for case in cases(&corpus) {
            let name = text(case, "name");
            if case["typed"] != true {
                r.not_applicable(name);
                continue;
            }
            let body = expand_json(&case["body"]);
            let outcome = with_request(text(case, "action"), &body, FirstViolation)
                .and_then(|got| check_violation(&case["expect"], got));
            r.record(name, gap(&gaps, name), outcome);
        }
        let run = Run::new(Harness::Sdk, "v3", profile.as_str(), Part::Derived, &file);
        r.save(&run, &results::results_dir(env!("CARGO_TARGET_TMPDIR")));
        r.finish(&format!("{file} (SDK validate)"));
    }
}
