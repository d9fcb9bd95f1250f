//! TC3-HMAC-SHA256 (API 3.0) against known answers computed by Tencent's official Python signer
//! (`spec/conformance/tc3_vectors.json`, written by `spec/conformance/tools/tc3_vectors.py` with
//! `tencentcloud-sdk-python-common==3.1.195`): every stage, the client's signed request, and the
//! verifier; plus a sign → verify round trip and the verifier's refusals stage by stage.

use std::path::Path;

use proptest::prelude::*;
use serde::Serialize;
use serde_json::Value;

use cmq_sdk::api3::Api3Operation;
use cmq_sdk::constraints::Violations;
use cmq_sdk::sign::tc3::{self, Tc3Error, Tc3Request};
use cmq_sdk::{Client, Credentials};

fn vectors() -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/conformance/tc3_vectors.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let v: Value = serde_json::from_str(&text).expect("tc3_vectors.json is JSON");
    assert!(
        v["signer"]
            .as_str()
            .is_some_and(|s| s.starts_with("tencentcloud-sdk-python-common==")),
        "the vectors name the official signer"
    );
    let cases = v["cases"].as_array().cloned().unwrap_or_default();
    assert!(cases.len() >= 6, "{} cases", cases.len());
    cases
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} missing in {v}"))
}

// ---------------------------------------------------------------- every stage

#[test]
fn every_stage_matches_the_official_signer() {
    for case in vectors() {
        let name = s(&case, "name");
        let want = &case["expected"];
        let body = s(&case, "body").as_bytes();
        let host = s(&case, "host");
        let ts = case["timestamp"].as_u64().unwrap();
        let service = s(&case, "service");

        let payload_hash = tc3::sha256_hex(body);
        assert_eq!(
            payload_hash,
            s(want, "payload_hash"),
            "{name}: payload hash"
        );
        let canonical = tc3::canonical_request(
            "POST",
            "/",
            "",
            &[("content-type", "application/json"), ("host", host)],
            tc3::SIGNED_HEADERS,
            &payload_hash,
        );
        assert_eq!(
            canonical,
            s(want, "canonical_request"),
            "{name}: canonical request"
        );
        let date = tc3::utc_date(ts);
        assert_eq!(date, s(want, "date"), "{name}: date");
        let scope = tc3::credential_scope(&date, service);
        let sts = tc3::string_to_sign(ts, &scope, &canonical);
        assert_eq!(sts, s(want, "string_to_sign"), "{name}: string to sign");
        let key = tc3::signing_key(s(&case, "secret_key"), &date, service);
        assert_eq!(
            tc3::hex(&key),
            s(want, "signing_key_hex"),
            "{name}: signing key"
        );
        let sig = tc3::signature(&key, &sts);
        assert_eq!(sig, s(want, "signature"), "{name}: signature");
        let auth = tc3::authorization(s(&case, "secret_id"), &scope, tc3::SIGNED_HEADERS, &sig);
        assert_eq!(auth, s(want, "authorization"), "{name}: Authorization");

        // The one-call signer gives the same.
        let signed = tc3::sign(&tc3::SignInput {
            secret_id: s(&case, "secret_id"),
            secret_key: s(&case, "secret_key"),
            service,
            host,
            path: "/",
            timestamp: ts,
            body,
        });
        assert_eq!(signed.canonical_request, canonical, "{name}");
        assert_eq!(signed.string_to_sign, sts, "{name}");
        assert_eq!(signed.signature, sig, "{name}");
        assert_eq!(signed.authorization, auth, "{name}");
    }
}

#[test]
fn the_verifier_accepts_what_the_official_signer_sends() {
    for case in vectors() {
        let name = s(&case, "name");
        let headers: Vec<(String, String)> = case["expected"]["headers"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| *k != "Host")
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
            .collect();
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let req = Tc3Request {
            method: "POST",
            host: s(&case, "host"),
            path: "/",
            query: "",
            headers: &headers,
            body: s(&case, "body").as_bytes(),
        };
        let ok =
            tc3::verify(&req, s(&case, "secret_key")).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(ok.secret_id, s(&case, "secret_id"), "{name}");
        assert_eq!(ok.timestamp, case["timestamp"].as_u64().unwrap(), "{name}");
        assert_eq!(ok.service, "tdmq", "{name}");
        assert_eq!(
            tc3::verify(&req, "another key"),
            Err(Tc3Error::SignatureMismatch),
            "{name}"
        );
    }
}

// ---------------------------------------------------------------- the client's signed request

#[derive(Serialize)]
struct Filter {
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "Values")]
    values: Vec<String>,
}

/// Request types shaped as the generator will emit them (module docs of `cmq_sdk::api3`).
#[derive(Default, Serialize)]
struct DescribeCmqQueues {
    #[serde(rename = "Offset", skip_serializing_if = "Option::is_none")]
    offset: Option<i64>,
    #[serde(rename = "Limit", skip_serializing_if = "Option::is_none")]
    limit: Option<i64>,
    #[serde(rename = "QueueNameList", skip_serializing_if = "Option::is_none")]
    queue_name_list: Option<Vec<String>>,
    #[serde(rename = "Filters", skip_serializing_if = "Option::is_none")]
    filters: Option<Vec<Filter>>,
}

#[derive(Default, Serialize)]
struct CreateCmqQueue {
    #[serde(rename = "QueueName", skip_serializing_if = "Option::is_none")]
    queue_name: Option<String>,
    #[serde(rename = "MaxMsgHeapNum", skip_serializing_if = "Option::is_none")]
    max_msg_heap_num: Option<i64>,
    #[serde(rename = "VisibilityTimeout", skip_serializing_if = "Option::is_none")]
    visibility_timeout: Option<i64>,
    #[serde(rename = "MaxMsgSize", skip_serializing_if = "Option::is_none")]
    max_msg_size: Option<i64>,
    #[serde(rename = "RewindSeconds", skip_serializing_if = "Option::is_none")]
    rewind_seconds: Option<i64>,
}

#[derive(Default, Serialize)]
struct SendCmqMsg {
    #[serde(rename = "QueueName", skip_serializing_if = "Option::is_none")]
    queue_name: Option<String>,
    #[serde(rename = "MsgContent", skip_serializing_if = "Option::is_none")]
    msg_content: Option<String>,
    #[serde(rename = "DelaySeconds", skip_serializing_if = "Option::is_none")]
    delay_seconds: Option<i64>,
}

#[derive(Default, Serialize)]
struct DeleteCmqQueue {
    #[serde(rename = "QueueName", skip_serializing_if = "Option::is_none")]
    queue_name: Option<String>,
}

#[derive(serde::Deserialize)]
struct Answer {
    #[serde(rename = "RequestId")]
    _request_id: String,
}

macro_rules! api3_op {
    ($($ty:ident => $idempotent:expr),* $(,)?) => {$(
        impl Api3Operation for $ty {
            type Output = Answer;
            const ACTION: &'static str = stringify!($ty);
            const SERVICE: &'static str = "tdmq";
            const VERSION: &'static str = "2020-02-17";
            const IDEMPOTENT: bool = $idempotent;
            fn validate(&self) -> Result<(), Violations<cmq_sdk::generated::v3::errors::Api3ErrorId>> {
                Ok(())
            }
            fn target(&self) -> Option<&str> {
                None
            }
        }
    )*};
}

api3_op!(DescribeCmqQueues => true, CreateCmqQueue => false, SendCmqMsg => false, DeleteCmqQueue => false);

/// The request of each case, typed; serialises to the case's body exactly.
fn typed_request(case: &Value, client: &Client) -> cmq_sdk::api3::Api3Request {
    let body: Value = serde_json::from_str(s(case, "body")).unwrap();
    let text = |k: &str| body[k].as_str().map(str::to_owned);
    let int = |k: &str| body[k].as_i64();
    let ts = case["timestamp"].as_u64().unwrap();
    let signed = match s(case, "action") {
        "DescribeCmqQueues" => client.signed_api3_request(
            &DescribeCmqQueues {
                offset: int("Offset"),
                limit: int("Limit"),
                queue_name_list: body["QueueNameList"]
                    .as_array()
                    .map(|a| a.iter().map(|v| v.as_str().unwrap().to_owned()).collect()),
                filters: body["Filters"].as_array().map(|a| {
                    a.iter()
                        .map(|f| Filter {
                            name: f["Name"].as_str().unwrap().to_owned(),
                            values: f["Values"]
                                .as_array()
                                .unwrap()
                                .iter()
                                .map(|v| v.as_str().unwrap().to_owned())
                                .collect(),
                        })
                        .collect()
                }),
            },
            ts,
        ),
        "CreateCmqQueue" => client.signed_api3_request(
            &CreateCmqQueue {
                queue_name: text("QueueName"),
                max_msg_heap_num: int("MaxMsgHeapNum"),
                visibility_timeout: int("VisibilityTimeout"),
                max_msg_size: int("MaxMsgSize"),
                rewind_seconds: int("RewindSeconds"),
            },
            ts,
        ),
        "SendCmqMsg" => client.signed_api3_request(
            &SendCmqMsg {
                queue_name: text("QueueName"),
                msg_content: text("MsgContent"),
                delay_seconds: int("DelaySeconds"),
            },
            ts,
        ),
        "DeleteCmqQueue" => client.signed_api3_request(
            &DeleteCmqQueue {
                queue_name: text("QueueName"),
            },
            ts,
        ),
        other => panic!("no typed request for {other}"),
    };
    signed.unwrap_or_else(|e| panic!("{}: {e}", s(case, "name")))
}

#[test]
fn the_client_sends_what_the_official_signer_sends() {
    for case in vectors() {
        let name = s(&case, "name");
        let host = s(&case, "host");
        let scheme = if host.contains(':') { "http" } else { "https" };
        let mut creds = Credentials::new(s(&case, "secret_id"), s(&case, "secret_key"));
        if let Some(t) = case["token"].as_str() {
            creds = creds.with_token(t);
        }
        let mut builder = Client::builder()
            .endpoint("https://cmq-gz.public.tencenttdmq.com")
            .control_endpoint(format!("{scheme}://{host}"))
            .region(s(&case, "region"))
            .credentials(creds);
        if let Some(l) = case["language"].as_str() {
            builder = builder.language(l);
        }
        let client = builder.build().unwrap();
        let req = typed_request(&case, &client);
        assert_eq!(
            req.body.as_ref(),
            s(&case, "body").as_bytes(),
            "{name}: body"
        );
        assert_eq!(req.endpoint.signing_host(), host, "{name}: Host");
        assert_eq!(req.endpoint.path(), "/", "{name}: path");
        let mut ours: Vec<(String, String)> = req
            .headers
            .iter()
            .filter(|(n, _)| *n != "X-TC-RequestClient")
            .map(|(n, v)| ((*n).to_owned(), v.clone()))
            .collect();
        ours.sort();
        let mut theirs: Vec<(String, String)> = case["expected"]["headers"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| *k != "Host")
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
            .collect();
        theirs.sort();
        assert_eq!(ours, theirs, "{name}: headers");
    }
}

// ---------------------------------------------------------------- the verifier's stages

struct Fixture {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

const KEY: &str = "fixture-secret-key";

fn fixture(ts: u64) -> Fixture {
    let body = br#"{"QueueName":"q"}"#.to_vec();
    let signed = tc3::sign(&tc3::SignInput {
        secret_id: "AKIDfixture",
        secret_key: KEY,
        service: "tdmq",
        host: "tdmq.tencentcloudapi.com",
        path: "/",
        timestamp: ts,
        body: &body,
    });
    Fixture {
        headers: vec![
            ("Authorization".into(), signed.authorization),
            ("Content-Type".into(), "application/json".into()),
            ("X-TC-Timestamp".into(), ts.to_string()),
            ("X-TC-Action".into(), "DeleteCmqQueue".into()),
        ],
        body,
    }
}

fn check(f: &Fixture) -> Result<(), Tc3Error> {
    let headers: Vec<(&str, &str)> = f
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    tc3::verify(
        &Tc3Request {
            method: "POST",
            host: "tdmq.tencentcloudapi.com",
            path: "/",
            query: "",
            headers: &headers,
            body: &f.body,
        },
        KEY,
    )
    .map(|_| ())
}

fn set(f: &mut Fixture, name: &str, value: Option<&str>) {
    f.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
    if let Some(v) = value {
        f.headers.push((name.to_owned(), v.to_owned()));
    }
}

#[test]
fn the_verifier_names_the_stage_that_failed() {
    let ts = 1_735_689_600;
    assert_eq!(check(&fixture(ts)), Ok(()));

    let mut f = fixture(ts);
    set(&mut f, "Authorization", None);
    assert_eq!(
        check(&f),
        Err(Tc3Error::MissingHeader("Authorization".into()))
    );

    let mut f = fixture(ts);
    set(&mut f, "X-TC-Timestamp", None);
    assert_eq!(
        check(&f),
        Err(Tc3Error::MissingHeader("X-TC-Timestamp".into()))
    );

    let mut f = fixture(ts);
    set(&mut f, "X-TC-Timestamp", Some("soon"));
    assert_eq!(check(&f), Err(Tc3Error::MalformedTimestamp("soon".into())));

    // The timestamp one second earlier is on another UTC date than the credential's.
    let mut f = fixture(ts);
    set(&mut f, "X-TC-Timestamp", Some(&(ts - 1).to_string()));
    assert_eq!(
        check(&f),
        Err(Tc3Error::DateMismatch {
            scope: "2025-01-01".into(),
            timestamp: "2024-12-31".into()
        })
    );
    // Same date, other second: the string to sign differs.
    let mut f = fixture(ts);
    set(&mut f, "X-TC-Timestamp", Some(&(ts + 1).to_string()));
    assert_eq!(check(&f), Err(Tc3Error::SignatureMismatch));
}

#[test]
fn the_verifier_refuses_malformed_authorizations() {
    let ts = 1_735_689_600;
    let auth = fixture(ts).headers[0].1.clone();
    let mut f = fixture(ts);
    set(
        &mut f,
        "Authorization",
        Some(&auth.replace("TC3-HMAC-SHA256", "TC3-HMAC-SHA1")),
    );
    assert_eq!(
        check(&f),
        Err(Tc3Error::UnsupportedAlgorithm("TC3-HMAC-SHA1".into()))
    );

    let mut f = fixture(ts);
    set(
        &mut f,
        "Authorization",
        Some(&auth.replace("content-type;host", "host")),
    );
    assert_eq!(check(&f), Err(Tc3Error::SignedHeadersIncomplete));

    let mut f = fixture(ts);
    set(
        &mut f,
        "Authorization",
        Some(&auth.replace("/tc3_request", "/tc4_request")),
    );
    assert_eq!(check(&f), Err(Tc3Error::MalformedCredential));

    let mut f = fixture(ts);
    set(&mut f, "Content-Type", None);
    assert_eq!(
        check(&f),
        Err(Tc3Error::MissingHeader("content-type".into()))
    );
}

#[test]
fn the_signature_covers_body_content_type_and_itself() {
    let ts = 1_735_689_600;
    let auth = fixture(ts).headers[0].1.clone();
    let mut f = fixture(ts);
    f.body.push(b' ');
    assert_eq!(check(&f), Err(Tc3Error::SignatureMismatch));
    let mut f = fixture(ts);
    set(
        &mut f,
        "Content-Type",
        Some("application/json; charset=utf-8"),
    );
    assert_eq!(check(&f), Err(Tc3Error::SignatureMismatch));
    let mut f = fixture(ts);
    let sig_at = auth.rfind("Signature=").unwrap() + "Signature=".len();
    let mut flipped = auth.clone();
    flipped.replace_range(
        sig_at..sig_at + 1,
        if &auth[sig_at..=sig_at] == "0" {
            "1"
        } else {
            "0"
        },
    );
    set(&mut f, "Authorization", Some(&flipped));
    assert_eq!(check(&f), Err(Tc3Error::SignatureMismatch));
    let mut f = fixture(ts);
    set(
        &mut f,
        "Authorization",
        Some(&format!("{}zz", &auth[..auth.len() - 2])),
    );
    assert_eq!(check(&f), Err(Tc3Error::SignatureMismatch));

    // Header names in any case; the value of a signed header lower-cased (the documented rule).
    let mut f = fixture(ts);
    for (k, _) in &mut f.headers {
        *k = k.to_ascii_uppercase();
    }
    set(&mut f, "CONTENT-TYPE", Some(" Application/JSON "));
    assert_eq!(check(&f), Ok(()));
}

#[test]
fn more_signed_headers_and_unsigned_payloads_verify() {
    let ts = 1_700_000_000;
    let date = tc3::utc_date(ts);
    let scope = tc3::credential_scope(&date, "tdmq");
    let key = tc3::signing_key(KEY, &date, "tdmq");
    let signed_headers = "content-type;host;x-tc-action";
    let headers = [
        ("content-type", "application/json"),
        ("host", "tdmq.tencentcloudapi.com"),
        ("x-tc-action", "DeleteCmqQueue"),
    ];
    for unsigned in [false, true] {
        let body = br#"{"QueueName":"q"}"#;
        let payload: &[u8] = if unsigned { b"UNSIGNED-PAYLOAD" } else { body };
        let canonical = tc3::canonical_request(
            "POST",
            "/",
            "",
            &headers,
            signed_headers,
            &tc3::sha256_hex(payload),
        );
        let sig = tc3::signature(&key, &tc3::string_to_sign(ts, &scope, &canonical));
        let mut f = fixture(ts);
        set(
            &mut f,
            "Authorization",
            Some(&tc3::authorization(
                "AKIDfixture",
                &scope,
                signed_headers,
                &sig,
            )),
        );
        if unsigned {
            set(&mut f, "X-TC-Content-SHA256", Some("UNSIGNED-PAYLOAD"));
            f.body = b"anything at all".to_vec();
        }
        assert_eq!(check(&f), Ok(()), "unsigned {unsigned}");
        set(&mut f, "X-TC-Action", Some("CreateCmqQueue"));
        assert_eq!(
            check(&f),
            Err(Tc3Error::SignatureMismatch),
            "unsigned {unsigned}"
        );
    }
}

// ---------------------------------------------------------------- round trip

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn sign_then_verify(
        secret_id in "AKID[A-Za-z0-9]{1,36}",
        secret_key in ".{0,64}",
        service in "[a-z]{2,12}",
        host in "[a-z0-9.-]{1,40}(:[0-9]{1,5})?",
        timestamp in 0u64..8_000_000_000,
        body in proptest::collection::vec(any::<u8>(), 0..512),
    ) {
        let signed = tc3::sign(&tc3::SignInput {
            secret_id: &secret_id,
            secret_key: &secret_key,
            service: &service,
            host: &host,
            path: "/",
            timestamp,
            body: &body,
        });
        let ts = timestamp.to_string();
        let headers = [
            ("authorization", signed.authorization.as_str()),
            ("content-type", "application/json"),
            ("x-tc-timestamp", ts.as_str()),
        ];
        let req = Tc3Request { method: "POST", host: &host, path: "/", query: "", headers: &headers, body: &body };
        let ok = tc3::verify(&req, &secret_key);
        prop_assert!(ok.is_ok(), "{:?}", ok);
        let ok = ok.unwrap();
        prop_assert_eq!(ok.secret_id, secret_id.as_str());
        prop_assert_eq!(ok.timestamp, timestamp);
        prop_assert_eq!(ok.service, service.as_str());

        let other_key = format!("{secret_key}x");
        prop_assert_eq!(tc3::verify(&req, &other_key), Err(Tc3Error::SignatureMismatch));
        let mut tampered = body.clone();
        match tampered.first_mut() {
            Some(b) => *b ^= 1,
            None => tampered.push(b'x'),
        }
        let req2 = Tc3Request { body: &tampered, ..req };
        prop_assert_eq!(tc3::verify(&req2, &secret_key), Err(Tc3Error::SignatureMismatch));
        let other_host = format!("{host}x");
        let req3 = Tc3Request { host: &other_host, ..req };
        prop_assert_eq!(tc3::verify(&req3, &secret_key), Err(Tc3Error::SignatureMismatch));
    }
}
