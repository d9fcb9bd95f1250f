//! The conformance corpus (`spec/conformance/`, format in `spec/README.md`) against the mock:
//!
//! * every malformed case (on its `profile`, or on every profile) and every profile's derived
//!   boundary cases through the mock's decoder, validator and error encoding
//!   (`dispatch::check_for(profile)` → first violation → `ServiceError`), compared with the
//!   exact code, module code and message the spec implies;
//! * every request case in reverse, as a server sees it: the expected wire parameters verify
//!   with the mock's `Verifier`, decode without a violation, and re-encode to the same parameters;
//! * every response case: error envelopes against `ServiceError::encode`, success bodies through
//!   the SDK's decoder, the mock's encoder (`RequestContext::encode_ok`) and back.
//!
//! Failures are collected and reported all at once, with case names. A case marked
//! `expected_failure` (or listed in `spec/conformance/expected_failures.json` for derived cases)
//! must fail; the day it passes the test says so.

use cmq_conformance::*;

use std::collections::HashMap;

use cmq_mock::Clock;
use cmq_mock::ServiceError;
use cmq_mock::WireParams;
use cmq_mock::internal::RequestContext;
use cmq_mock::internal::Verifier;
use cmq_mock::internal::{decode, dispatch};
use cmq_sdk::client::decode_answer;
use cmq_sdk::constraints::Violation;
use cmq_sdk::error::BatchItemError;
use cmq_sdk::generated::actions::ActionVisitor;
use cmq_sdk::generated::ops::ListQueueInput;
use cmq_sdk::operation::WireOutput;
use cmq_sdk::params::Params;
use cmq_sdk::{Action, Error, ErrorId, Operation, Profile};
use serde_json::Value;

// ------------------------------------------------------------------------------ corpus plumbing

/// A case's `params` object as wire parameters.
fn wire(params: &Value) -> WireParams {
    WireParams::from_pairs(
        params
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), expand(v))),
    )
}

// ------------------------------------------------------------------------------ malformed

/// What the mock of `profile` answers to `params` before calling its service: `Ok` or the first
/// violation's (code, module, message, violation param).
fn mock_answer(
    action: Action,
    profile: Profile,
    p: &WireParams,
) -> Result<(), (i64, i64, String, String)> {
    match dispatch::check_for(action, profile, p).into_iter().next() {
        None => Ok(()),
        Some(v) => {
            let param = v.param.clone();
            let e = ServiceError::from_violation(v);
            Err((e.error.code(), e.error.module(), e.message(), param))
        }
    }
}

/// Checks one malformed or derived case against the mock of `profile`.
fn check_case(case: &Value, profile: Profile) -> Result<(), String> {
    let action = Action::from_wire(text(case, "action"))
        .ok_or_else(|| format!("unknown action `{}`", text(case, "action")))?;
    let got = mock_answer(action, profile, &wire(&case["params"]));
    let expect = &case["expect"];
    match (expect.as_str(), got) {
        (Some("ok"), Ok(())) => Ok(()),
        (Some("ok"), Err((c, m, msg, p))) => {
            Err(format!("expected ok, got {c}/{m} {msg:?} (about `{p}`)"))
        }
        (_, Ok(())) => Err(format!("expected {expect}, got ok")),
        (_, Err((c, m, msg, p))) => {
            let want = (
                expect["code"].as_i64(),
                expect["module"].as_i64(),
                expect["message"].as_str(),
            );
            if want != (Some(c), Some(m), Some(msg.as_str())) {
                return Err(format!(
                    "expected {}/{} {:?}, got {c}/{m} {msg:?} (about `{p}`)",
                    expect["code"], expect["module"], expect["message"]
                ));
            }
            match expect["param"].as_str() {
                Some(want) if want != p => Err(format!(
                    "expected the violation about `{want}`, got it about `{p}`"
                )),
                _ => Ok(()),
            }
        }
    }
}

/// Where the results files go (`target/conformance-results/`).
fn results_dir() -> std::path::PathBuf {
    results::results_dir(env!("CARGO_TARGET_TMPDIR"))
}

/// Every hand-written malformed case on the mock of its `profile`, or of every profile when it
/// names none. Each profile's outcomes are written to `mock-v2-<profile>-hand.json`.
#[test]
fn malformed_cases() {
    const FILE: &str = "spec/conformance/malformed.json";
    let corpus = load(FILE);
    let mut reports = Vec::new();
    for &profile in Profile::ALL {
        let mut r = Report::default();
        for case in cases(&corpus) {
            let name = text(case, "name");
            match case["profile"].as_str().map(str::parse::<Profile>) {
                None => {}
                Some(Ok(p)) if p == profile => {}
                Some(Ok(_)) => continue,
                Some(Err(e)) => {
                    r.record(name, None, Err(e.to_string()));
                    continue;
                }
            }
            let outcome = check_case(case, profile);
            r.record(name, case["expected_failure"].as_str(), outcome);
        }
        let run = Run::new(Harness::Mock, "v2", profile.as_str(), Part::Hand, FILE);
        r.save(&run, &results_dir());
        reports.push((profile, r));
    }
    for (profile, r) in reports {
        r.finish(&format!("{FILE} (mock, {profile})"));
    }
}

/// Every profile's derived cases (`boundaries.<profile>.json`) through `dispatch::check_for`;
/// each profile's outcomes are written to `mock-v2-<profile>-derived.json`.
#[test]
fn derived_cases() {
    let gaps = derived_expected_failures();
    let mut all = Vec::new();
    let mut reports = Vec::new();
    for &profile in Profile::ALL {
        let file = results::derived_path("v2", profile.as_str());
        let corpus = load(&file);
        assert_eq!(corpus["profile"], profile.as_str(), "{file}");
        let mut r = Report::default();
        for case in cases(&corpus) {
            let name = text(case, "name");
            r.record(name, gap(&gaps, name), check_case(case, profile));
        }
        let run = Run::new(Harness::Mock, "v2", profile.as_str(), Part::Derived, &file);
        r.save(&run, &results_dir());
        reports.push((format!("{file} (mock, check_for({profile}))"), r));
        all.push(corpus);
    }
    for (what, r) in reports {
        r.finish(&what);
    }
    let unmatched: Vec<&String> = gaps
        .keys()
        .filter(|p| !all.iter().flat_map(cases).any(|c| glob(p, text(c, "name"))))
        .collect();
    assert!(
        unmatched.is_empty(),
        "expected_failures.json names {unmatched:?}, which match no derived case"
    );
}

// ------------------------------------------------------------------------------ requests

/// Decodes `p` as the mock does and encodes the typed input again with the SDK's encoder.
fn reencode(action: Action, p: &WireParams) -> (Vec<Violation>, Vec<(String, String)>) {
    struct Encode;
    impl decode::DecodedVisitor for Encode {
        type Out = Vec<(String, String)>;
        fn visit<O>(self, input: O) -> Self::Out
        where
            O: Operation,
            O::Output: WireOutput + serde::Serialize,
        {
            let mut out = Params::new();
            input.encode(&mut out);
            out.pairs()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect()
        }
    }
    let mut errs = Vec::new();
    let pairs = decode::decode_any(action, p, &mut errs, Encode);
    (errs, pairs)
}

fn check_request(case: &Value) -> Result<(), String> {
    let exp = &case["expected"];
    let params = pairs_of(&exp["params"]);
    let p = WireParams::from_pairs(params.clone());
    let method = text(case, "method");
    let host = text(case, "host");
    let path = text(case, "path");
    // The signature as the mock checks it: SecretId, Timestamp window, signature.
    let signature = exp["signature"].as_str().unwrap_or_default();
    let mut signed = p.clone();
    if signed.get("Signature").is_none() {
        signed = WireParams::from_pairs(
            params
                .iter()
                .cloned()
                .chain([("Signature".to_owned(), signature.to_owned())]),
        );
    }
    if let (Some(id), Some(ts)) = (
        signed.get("SecretId"),
        signed.get("Timestamp").and_then(|t| t.parse::<u64>().ok()),
    ) {
        let clock = Clock::manual(ts * 1000);
        let accounts: HashMap<String, String> =
            HashMap::from([(id.to_owned(), text(case, "secret_key").to_owned())]);
        Verifier::new(clock)
            .verify(method, host, path, &signed, &accounts)
            .map_err(|e| format!("the mock's verifier refuses it: {e}"))?;
    } else {
        let sts = cmq_sdk::sign::string_to_sign(
            method,
            host,
            path,
            &params
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect::<Vec<_>>(),
        );
        let m = cmq_sdk::SignatureMethod::from_wire(Some(text(case, "signature_method")));
        if !cmq_sdk::sign::verify(text(case, "secret_key"), m, &sts, signature) {
            return Err("the signature does not verify".into());
        }
    }
    // Decoding: no violation, and the typed input encodes back to the same parameters.
    if text(case, "via") == "client" {
        let action = Action::from_wire(text(case, "action")).ok_or("unknown action")?;
        let checked = dispatch::check(action, &p);
        if let Some(v) = checked.first() {
            return Err(format!("the mock refuses it: {v}"));
        }
        let (errs, mut again) = reencode(action, &p);
        if let Some(v) = errs.first() {
            return Err(format!("decoding fails: {v}"));
        }
        let mut want: Vec<(String, String)> = case["input"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), expand(v)))
            .collect();
        want.sort();
        again.sort();
        if want != again {
            return Err(format!(
                "decoded and encoded again: {again:?}, want {want:?}"
            ));
        }
    }
    Ok(())
}

#[test]
fn request_cases_in_reverse() {
    let corpus = load("spec/conformance/requests.json");
    let mut r = Report::default();
    for case in cases(&corpus) {
        r.record(
            text(case, "name"),
            case["expected_failure"].as_str(),
            check_request(case),
        );
    }
    r.finish("requests.json (mock)");
}

// ------------------------------------------------------------------------------ responses

/// The `ServiceError` that `code`, module code and `message` denote, with `%s` recovered.
fn service_error(code: i64, module: i64, message: &str) -> Option<ServiceError> {
    let body = message.strip_prefix(&format!("({module})"))?;
    ErrorId::ALL.iter().find_map(|&id| {
        if id.code() != code || id.module() != module {
            return None;
        }
        match id.message().split_once("%s") {
            None => (id.message() == body).then(|| ServiceError::new(id)),
            Some((pre, post)) => body
                .strip_prefix(pre)
                .and_then(|rest| rest.strip_suffix(post))
                .map(|subject| ServiceError::about(id, subject)),
        }
    })
}

/// Decodes `body` with the SDK, encodes the output with the mock's encoder, decodes again.
fn round_trip<O>(body: &[u8]) -> Result<(Value, Value), String>
where
    O: Operation,
    O::Output: WireOutput + serde::Serialize,
{
    let out = decode_answer::<O>(body).map_err(|e| e.to_string())?;
    let ctx = RequestContext {
        action: O::ACTION,
        account_id: "AKIDconformance".into(),
        request_id: "req-1".into(),
        client_request_id: None,
    };
    let encoded = ctx.encode_ok(&out);
    let again = decode_answer::<O>(&encoded).map_err(|e| e.to_string())?;
    let a = serde_json::to_value(&out).map_err(|e| e.to_string())?;
    let b = serde_json::to_value(&again).map_err(|e| e.to_string())?;
    Ok((a, b))
}

fn round_trip_any(action: Action, body: &[u8]) -> Result<(Value, Value), String> {
    struct RoundTrip<'a>(&'a [u8]);
    impl ActionVisitor for RoundTrip<'_> {
        type Out = Result<(Value, Value), String>;
        fn visit<O>(self) -> Self::Out
        where
            O: Operation,
            O::Output: WireOutput + serde::Serialize,
        {
            round_trip::<O>(self.0)
        }
    }
    action.visit(RoundTrip(body))
}

/// The response case as the mock would produce it: an error envelope equal to
/// `ServiceError::encode` (when the body is a plain envelope of a spec error), or a success
/// body that survives SDK decode → mock encode → SDK decode unchanged. `Ok(false)` when the case
/// says nothing the mock can reproduce.
fn check_response(case: &Value) -> Result<bool, String> {
    let action = Action::from_wire(text(case, "action")).ok_or("unknown action")?;
    let body = &case["body"];
    let exp = &case["expected"];
    if let Some(e) = exp.get("error") {
        let plain = body.as_object().is_some_and(|o| {
            o.keys()
                .all(|k| ["code", "message", "requestId", "errorList"].contains(&k.as_str()))
                && o.get("requestId").is_some_and(Value::is_string)
        });
        let (Some(code), Some(module), Some(message)) = (
            e["code"].as_i64(),
            e["module"].as_i64(),
            e["message"].as_str(),
        ) else {
            return Ok(false);
        };
        let Some(mut se) = service_error(code, module, message).filter(|_| plain) else {
            return Ok(false);
        };
        se.error_list = serde_json::from_value::<Vec<BatchItemError>>(e["error_list"].clone())
            .map_err(|e| e.to_string())?;
        let encoded = se.encode(e["request_id"].as_str().unwrap_or_default(), None);
        let got: Value = serde_json::from_slice(&encoded).map_err(|e| e.to_string())?;
        if &got != body {
            return Err(format!(
                "ServiceError::encode gives {got}, the case has {body}"
            ));
        }
        return Ok(true);
    }
    if let Some(want) = exp.get("output") {
        let bytes = serde_json::to_vec(body).map_err(|e| e.to_string())?;
        let (first, again) = round_trip_any(action, &bytes)?;
        if &first != want {
            return Err(format!("decoded {first}, want {want}"));
        }
        if again != first {
            return Err(format!(
                "the mock's encoding decodes to {again}, not {first}"
            ));
        }
        return Ok(true);
    }
    Ok(false)
}

#[test]
fn response_cases_through_the_mock_encoder() {
    let corpus = load("spec/conformance/responses.json");
    let mut r = Report::default();
    let mut skipped = 0;
    for case in cases(&corpus) {
        match check_response(case) {
            Ok(false) => skipped += 1,
            outcome => r.record(
                text(case, "name"),
                case["expected_failure"].as_str(),
                outcome.map(|_| ()),
            ),
        }
    }
    eprintln!("{skipped} response case(s) have nothing the mock reproduces");
    r.finish("responses.json (mock)");
}

/// The SDK decodes the mock's encoding of every error of the spec to the same code, module
/// code, message and request id.
#[test]
fn every_error_envelope_decodes_in_the_sdk() {
    let mut r = Report::default();
    for &id in ErrorId::ALL {
        let se = ServiceError::about(id, "queueName");
        let body = se.encode("req-1", None);
        let outcome = match decode_answer::<ListQueueInput>(&body) {
            Err(Error::Service(s)) => {
                let want = (id.code(), Some(id.module()), se.message(), Some("req-1"));
                let got = (
                    s.code,
                    s.module_code,
                    s.message.clone(),
                    s.request_id.as_deref(),
                );
                if got == want {
                    Ok(())
                } else {
                    Err(format!("decoded {got:?}, want {want:?}"))
                }
            }
            other => Err(format!("decoded {other:?}")),
        };
        r.record(id.id(), None, outcome);
    }
    r.finish("error envelopes (mock → SDK)");
}
