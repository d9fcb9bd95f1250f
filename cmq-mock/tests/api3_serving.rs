//! The API 3.0 front of the server, in process (`Server::http`, exactly what the listener
//! runs): the signed requests of `spec/conformance/requests.v3.json` (signed by Tencent's
//! official Python signer with known keys and timestamps) are accepted by the mock's verifier
//! on a clock pinned to their timestamp; each broken signature, timestamp, SecretId, header or
//! body gets its exact API 3.0 code; the answers' wire form is snapshotted.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use cmq_conformance::{cases, load, text};
use cmq_mock::internal::{Api3Backend, Backend, Engine, Server};
use cmq_mock::{AuthMode, Clock};
use cmq_sdk::generated::v3::VERSION;
use cmq_sdk::sign::tc3::{self, SignInput};
use http_body_util::{BodyExt, Full};
use hyper::Request;
use serde_json::Value;

const ID: &str = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE";
const KEY: &str = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE";
const HOST: &str = "tdmq.tencentcloudapi.com";
/// The timestamp of the corpus (2024-12-31T23:59:59Z).
const TS: u64 = 1_735_689_599;

/// A server with one account, on a manual clock at `now` seconds, serving both APIs.
fn server_at(now: u64, mode: AuthMode) -> Server<Backend> {
    let clock = Clock::manual(now * 1000);
    let engine = Engine::new(clock.clone());
    engine.add_account(ID, KEY);
    let backend = Arc::new(Backend::new(engine.clone(), Vec::new()));
    let accounts: HashMap<String, String> = [(ID.to_owned(), KEY.to_owned())].into();
    let verifier = cmq_mock::internal::Verifier::new(clock.clone())
        .with_mode(mode)
        .with_default_account(ID);
    Server::new(backend, Arc::new(accounts), clock)
        .with_api3(Arc::new(Api3Backend::new(engine)))
        .with_verifier(verifier)
}

/// Sends one request; returns the status, the content type and the JSON body.
async fn send(
    server: &Server<Backend>,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String, Value) {
    let mut req = Request::post("/");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req
        .body(Full::new(Bytes::copy_from_slice(body)))
        .expect("request");
    let resp = server.http(None, req).await.expect("an answer");
    let status = resp.status().as_u16();
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    (
        status,
        ct,
        serde_json::from_slice(&bytes).expect("JSON answer"),
    )
}

/// The headers of a request of `action` signed at `ts` with `key` (as the official SDKs send).
fn signed(action: &str, body: &[u8], ts: u64, id: &str, key: &str) -> Vec<(String, String)> {
    let s = tc3::sign(&SignInput {
        secret_id: id,
        secret_key: key,
        service: "tdmq",
        host: HOST,
        path: "/",
        timestamp: ts,
        body,
    });
    vec![
        ("Authorization".into(), s.authorization),
        ("Content-Type".into(), "application/json".into()),
        ("Host".into(), HOST.into()),
        ("X-TC-Action".into(), action.into()),
        ("X-TC-Timestamp".into(), ts.to_string()),
        ("X-TC-Version".into(), VERSION.into()),
        ("X-TC-Region".into(), "ap-guangzhou".into()),
    ]
}

fn refs(h: &[(String, String)]) -> Vec<(&str, &str)> {
    h.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

fn error_code(answer: &Value) -> Option<&str> {
    answer["Response"]["Error"]["Code"].as_str()
}

#[tokio::test]
async fn the_official_signers_requests_are_accepted() {
    let corpus = load("spec/conformance/requests.v3.json");
    let mut n = 0;
    for case in cases(&corpus) {
        let ts = case["timestamp"].as_u64().expect("timestamp");
        let server = server_at(ts, AuthMode::Verify);
        let headers: Vec<(String, String)> = case["expected"]["headers"]
            .as_object()
            .expect("headers")
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
            .collect();
        assert_eq!(text(case, "secret_id"), ID, "the corpus's key");
        let body = text(&case["expected"], "body").as_bytes();
        let (status, ct, answer) = send(&server, &refs(&headers), body).await;
        let name = text(case, "name");
        assert_eq!((status, ct.as_str()), (200, "application/json"), "{name}");
        assert!(
            answer["Response"]["RequestId"].is_string(),
            "{name}: {answer}"
        );
        if let Some(code) = error_code(&answer) {
            // Accepted by the verifier and the decoder: only a state error may remain (the
            // corpus's queues and topics do not exist on this empty mock).
            assert!(
                code.starts_with("ResourceNotFound") || code == "FailedOperation",
                "{name}: {answer}"
            );
        }
        n += 1;
    }
    assert!(n >= 20, "{n} request cases");
}

#[tokio::test]
async fn signature_failures_answer_their_exact_codes() {
    let body = br#"{"Limit":1}"#;
    let server = server_at(TS, AuthMode::Verify);
    let ok = signed("DescribeCmqQueues", body, TS, ID, KEY);
    let (_, _, a) = send(&server, &refs(&ok), body).await;
    assert_eq!(error_code(&a), None, "{a}");
    assert_eq!(a["Response"]["TotalCount"], 0);

    let cases: Vec<Broken> = vec![
        (
            "bad signature",
            signed("DescribeCmqQueues", body, TS, ID, "wrong-key"),
            body,
            "AuthFailure.SignatureFailure",
        ),
        (
            "body changed after signing",
            ok.clone(),
            br#"{"Limit":2}"#,
            "AuthFailure.SignatureFailure",
        ),
        (
            "old timestamp",
            signed("DescribeCmqQueues", body, TS - 301, ID, KEY),
            body,
            "AuthFailure.SignatureExpire",
        ),
        (
            "future timestamp",
            signed("DescribeCmqQueues", body, TS + 301, ID, KEY),
            body,
            "AuthFailure.SignatureExpire",
        ),
        (
            "unknown SecretId",
            signed("DescribeCmqQueues", body, TS, "AKIDnobody", KEY),
            body,
            "AuthFailure.SecretIdNotFound",
        ),
        (
            "no Authorization",
            without(&ok, "Authorization"),
            body,
            "AuthFailure.InvalidAuthorization",
        ),
        (
            "malformed Authorization",
            with(&ok, "Authorization", "TC3-HMAC-SHA256 garbage"),
            body,
            "AuthFailure.InvalidAuthorization",
        ),
        (
            "no X-TC-Timestamp",
            without(&ok, "X-TC-Timestamp"),
            body,
            "MissingParameter",
        ),
        (
            "no X-TC-Version",
            without(&ok, "X-TC-Version"),
            body,
            "MissingParameter",
        ),
        (
            "another version",
            with(&ok, "X-TC-Version", "2019-01-01"),
            body,
            "NoSuchVersion",
        ),
        (
            "unknown action",
            with(&ok, "X-TC-Action", "DescribeNothing"),
            body,
            "InvalidAction",
        ),
        (
            "another Host than signed",
            with(&ok, "Host", "evil.example"),
            body,
            "AuthFailure.SignatureFailure",
        ),
    ];
    for (what, headers, body, want) in cases {
        let (status, ct, a) = send(&server, &refs(&headers), body).await;
        assert_eq!((status, ct.as_str()), (200, "application/json"), "{what}");
        assert_eq!(error_code(&a), Some(want), "{what}: {a}");
        assert!(a["Response"]["RequestId"].is_string(), "{what}");
    }
    // Every refusal is journaled without its parameters (never the Authorization header).
    let refused = server.journal().records_of("DescribeCmqQueues");
    assert!(
        refused
            .iter()
            .any(|r| r.error_code.as_deref() == Some("AuthFailure.SignatureFailure"))
    );
    assert!(
        refused
            .iter()
            .filter(|r| r.account.is_none())
            .all(|r| r.params.is_empty())
    );
}

#[tokio::test]
async fn auth_off_accepts_unsigned_requests() {
    let server = server_at(TS, AuthMode::Off);
    let headers = [
        ("X-TC-Action", "CreateCmqQueue"),
        ("X-TC-Version", VERSION),
        ("Content-Type", "application/json"),
    ];
    let (_, _, a) = send(&server, &headers, br#"{"QueueName":"open"}"#).await;
    assert_eq!(error_code(&a), None, "{a}");
    assert!(a["Response"]["QueueId"].is_string());
}

#[tokio::test]
async fn malformed_bodies_answer_the_specs_errors_never_a_500() {
    let server = server_at(TS, AuthMode::Verify);
    for (body, want) in [
        (&b"not json"[..], "InvalidParameter"),
        (b"[1,2]", "InvalidParameter"),
        (br#"{"QueueName":5}"#, "InvalidParameter"),
        (br#"{"QueueName":"q","Bogus":1}"#, "UnknownParameter"),
        (br#"{}"#, "MissingParameter"),
        (
            br#"{"QueueName":"q","MsgRetentionSeconds":10}"#,
            "InvalidParameterValue",
        ),
    ] {
        let h = signed("CreateCmqQueue", body, TS, ID, KEY);
        let (status, _, a) = send(&server, &refs(&h), body).await;
        assert_eq!(status, 200);
        assert_eq!(
            error_code(&a),
            Some(want),
            "{}: {a}",
            String::from_utf8_lossy(body)
        );
    }
}

#[tokio::test]
async fn get_is_not_served_and_answers_unsupported_protocol() {
    let server = server_at(TS, AuthMode::Off);
    let req = Request::get("/?QueueName=q")
        .header("X-TC-Action", "DescribeCmqQueueDetail")
        .header("X-TC-Version", VERSION)
        .body(Full::new(Bytes::new()))
        .expect("request");
    let resp = server.http(None, req).await.expect("answer");
    assert_eq!(resp.status().as_u16(), 200);
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    let v: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(error_code(&v), Some("UnsupportedProtocol"), "{v}");
}

#[tokio::test]
async fn api2_requests_on_other_paths_still_reach_api2() {
    let server = server_at(TS, AuthMode::Off);
    let req = Request::post("/v2/index.php")
        .header("X-TC-Action", "CreateCmqQueue")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(Full::new(Bytes::from_static(
            b"Action=CreateQueue&queueName=q2",
        )))
        .expect("request");
    let resp = server.http(None, req).await.expect("answer");
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    let v: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(v["code"], 0, "{v}");
}

#[tokio::test]
async fn wire_answers_snapshot() {
    let server = server_at(TS, AuthMode::Verify);
    let mut answers = Vec::new();
    for (action, body) in [
        (
            "CreateCmqQueue",
            r#"{"QueueName":"snap","VisibilityTimeout":40}"#,
        ),
        ("DescribeCmqQueueDetail", r#"{"QueueName":"snap"}"#),
        ("DescribeCmqQueues", r#"{"Limit":1}"#),
        ("CreateCmqTopic", r#"{"TopicName":"snapt"}"#),
        ("DescribeCmqTopicDetail", r#"{"TopicName":"snapt"}"#),
        ("DescribeCmqQueueDetail", r#"{"QueueName":"missing"}"#),
        ("DeleteCmqTopic", r#"{"TopicName":"missing"}"#),
    ] {
        let h = signed(action, body.as_bytes(), TS, ID, KEY);
        let (_, _, a) = send(&server, &refs(&h), body.as_bytes()).await;
        answers.push(serde_json::json!({ "action": action, "answer": a }));
    }
    insta::assert_json_snapshot!(answers, {
        "[].answer.Response.RequestId" => "[request id]",
        "[].answer.Response.QueueId" => "[queue id]",
        "[].answer.Response.TopicId" => "[topic id]",
        "[].answer.Response.QueueDescribe.QueueId" => "[queue id]",
        "[].answer.Response.QueueList[].QueueId" => "[queue id]",
        "[].answer.Response.TopicDescribe.TopicId" => "[topic id]",
    });
}

/// What is broken, the headers, the body, the code expected.
type Broken<'a> = (&'a str, Vec<(String, String)>, &'a [u8], &'a str);

fn without(h: &[(String, String)], name: &str) -> Vec<(String, String)> {
    h.iter().filter(|(k, _)| k != name).cloned().collect()
}

fn with(h: &[(String, String)], name: &str, value: &str) -> Vec<(String, String)> {
    let mut out = without(h, name);
    out.push((name.to_owned(), value.to_owned()));
    out
}
