//! The API 3.0 conformance corpus against the mock's generated API 3.0 layer (its decoder,
//! dispatcher check and envelopes), which the API 3.0 backend builds on:
//!
//! * every derived case (`generated/boundaries.v3.tdmq.json`), typed or not, through
//!   `dispatch::check`: the first violation's error and path, and the error envelope's code and
//!   message, are what the spec implies;
//! * every request case (`requests.v3.json`): the body decodes without a violation, into the
//!   same typed request serde reads;
//! * every successful response case (`responses.v3.json`): the typed answer encodes into an
//!   envelope the SDK decodes back to the same answer.

use cmq_conformance::*;
use cmq_mock::internal::api3::dispatch;
use cmq_mock::internal::api3::envelope::{Api3Error, encode_ok};
use cmq_sdk::generated::v3::actions::Api3Action;
use serde_json::Value;

fn action(name: &str) -> Result<Api3Action, String> {
    Api3Action::from_wire(name).ok_or_else(|| format!("unknown action `{name}`"))
}

fn body_bytes(case: &Value) -> Vec<u8> {
    serde_json::to_vec(&expand_json(&case["body"])).unwrap_or_default()
}

/// The first violation `check` finds, as the envelope it answers with.
fn check_derived(case: &Value) -> Result<(), String> {
    let found = dispatch::check(action(text(case, "action"))?, &body_bytes(case));
    let expect = &case["expect"];
    match (expect.as_str(), found.into_iter().next()) {
        (Some("ok"), None) => Ok(()),
        (Some("ok"), Some(v)) => Err(format!("expected ok, check says {v} ({:?})", v.error)),
        (_, None) => Err(format!("expected {}, check accepts it", expect["error"])),
        (_, Some(v)) => {
            let (id, param) = (v.error.id(), v.param.clone());
            let e = Api3Error::from_violation(v);
            let got = (id, param.as_str(), e.code(), e.message());
            let want = (
                text(expect, "error"),
                text(expect, "param"),
                text(expect, "code"),
                text(expect, "message").to_owned(),
            );
            if got == want {
                Ok(())
            } else {
                Err(format!("got {got:?}, want {want:?}"))
            }
        }
    }
}

/// Every derived case through `dispatch::check`; the outcomes are written to
/// `mock-v3-<profile>-derived.json`.
#[test]
fn derived_cases_through_the_decoder() {
    let gaps = derived_expected_failures();
    let profiles = cmq_sdk::Profile::ALL.iter().copied();
    for profile in profiles.filter(|&p| cmq_sdk::generated::v3::available(p)) {
        let profile = profile.as_str();
        let file = results::derived_path("v3", profile);
        let corpus = load(&file);
        let mut r = Report::default();
        for case in cases(&corpus) {
            let name = text(case, "name");
            r.record(name, gap(&gaps, name), check_derived(case));
        }
        let run = Run::new(Harness::Mock, "v3", profile, Part::Derived, &file);
        r.save(&run, &results::results_dir(env!("CARGO_TARGET_TMPDIR")));
        r.finish(&format!("{file} (mock decoder)"));
    }
}

#[test]
fn request_cases_decode_without_a_violation() {
    let corpus = load("spec/conformance/requests.v3.json");
    let mut r = Report::default();
    for case in cases(&corpus) {
        let body = text(&case["expected"], "body").as_bytes().to_vec();
        let outcome = action(text(case, "action")).and_then(|a| {
            match dispatch::check(a, &body).into_iter().next() {
                None => Ok(()),
                Some(v) => Err(format!("{v}")),
            }
        });
        r.record(text(case, "name"), None, outcome);
    }
    r.finish("requests.v3.json (mock decoder)");
}

#[test]
fn the_error_envelope_is_tencents() {
    use cmq_sdk::generated::v3::errors::Api3ErrorId;
    let e = Api3Error::about(Api3ErrorId::MissingParameter, "QueueName");
    let body: Value = serde_json::from_slice(&e.encode("req-1")).expect("JSON");
    assert_eq!(
        body,
        serde_json::json!({"Response": {"Error": {"Code": "MissingParameter", "Message": "The request is missing a required parameter `QueueName`."}, "RequestId": "req-1"}})
    );
    let unknown = dispatch::check(Api3Action::DeleteCmqQueue, br#"{"QueueName":"q","Nope":1}"#);
    assert_eq!(unknown.len(), 1);
    assert_eq!(
        Api3Error::from_violation(unknown[0].clone()).code(),
        "UnknownParameter"
    );
    let malformed = dispatch::check(Api3Action::DeleteCmqQueue, b"not json");
    assert_eq!(
        Api3Error::from_violation(malformed[0].clone()).code(),
        "InvalidParameter"
    );
}

/// The typed answer of a successful response case, encoded by the mock and read back by the
/// SDK, is the same answer.
fn round_trip(case: &Value) -> Result<(), String> {
    use cmq_sdk::api3::decode_api3_answer;
    use cmq_sdk::generated::v3::ops::*;
    let body = serde_json::to_vec(&case["body"]).map_err(|e| e.to_string())?;
    macro_rules! each {
        ($($name:ident => $req:ty),* $(,)?) => {
            match text(case, "action") {
                $( stringify!($name) => {
                    let out = decode_api3_answer::<$req>(&body).map_err(|e| e.to_string())?;
                    let again = decode_api3_answer::<$req>(&encode_ok(&out)).map_err(|e| e.to_string())?;
                    if again == out { Ok(()) } else { Err(format!("{again:?} != {out:?}")) }
                } )*
                other => Err(format!("unknown action `{other}`")),
            }
        };
    }
    each!(
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
fn answers_encode_and_decode_back() {
    let corpus = load("spec/conformance/responses.v3.json");
    let mut r = Report::default();
    for case in cases(&corpus)
        .iter()
        .filter(|c| c["expected"].get("output").is_some())
    {
        r.record(text(case, "name"), None, round_trip(case));
    }
    r.finish("responses.v3.json (mock envelope)");
}
