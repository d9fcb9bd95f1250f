//! `Client::execute_api3` end to end against a small hyper server that checks every request's
//! TC3-HMAC-SHA256 signature with `cmq_sdk::sign::tc3::verify` and answers from a script:
//! success, API 3.0 errors, garbage, an HTTP error, an oversized body, or nothing at all, with
//! the generated operations (`cmq_sdk::generated::v3::ops`).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use cmq_sdk::generated::v3::errors::Api3ErrorId;
use cmq_sdk::generated::v3::ops::{
    CreateCmqQueueRequest, DescribeCmqQueuesRequest, SendCmqMsgRequest,
};
use cmq_sdk::retry::RetryPolicy;
use cmq_sdk::sign::tc3::{self, Tc3Request};
use cmq_sdk::timeouts::Timeouts;
use cmq_sdk::{Client, ClientBuilder, Credentials, Error, ErrorCode};

const SECRET_ID: &str = "AKIDapi3test";
const SECRET_KEY: &str = "api3-test-secret-key";
const TOKEN: &str = "sts-api3-token";

// ---------------------------------------------------------------- the server

/// What the server answers to one request.
#[derive(Clone, Debug)]
enum Answer {
    /// 200 `{"Response": {<fields>, "RequestId"}}`.
    Ok(&'static str),
    /// 200 `{"Response": {"Error": {"Code", "Message"}, "RequestId"}}`.
    Err(&'static str, &'static str),
    /// 200 with a body that is not JSON.
    Garbage,
    /// This status with a small HTML body.
    Status(u16),
    /// 200 with a valid answer of this many bytes.
    Big(usize),
    /// Nothing, ever.
    Hang,
}

/// One request as the server saw it.
#[derive(Clone, Debug)]
struct Seen {
    path: String,
    headers: Vec<(String, String)>,
    body: Bytes,
    /// The verifier's verdict.
    verified: Result<(), tc3::Tc3Error>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

struct State {
    script: Vec<Answer>,
    seen: Mutex<Vec<Seen>>,
}

struct Server {
    addr: SocketAddr,
    state: Arc<State>,
}

impl Server {
    /// Request `n` gets `script[n]`; the last entry repeats.
    async fn start(script: Vec<Answer>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(State {
            script,
            seen: Mutex::new(Vec::new()),
        });
        let st = state.clone();
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let st = st.clone();
                tokio::spawn(async move {
                    let svc = service_fn(move |req| handle(req, st.clone()));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(sock), svc)
                        .await;
                });
            }
        });
        Server { addr, state }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }
}

async fn handle(
    req: Request<Incoming>,
    state: Arc<State>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    let host = parts
        .headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let pairs: Vec<(&str, &str)> = headers
        .iter()
        .filter(|(k, _)| k != "host")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let verified = tc3::verify(
        &Tc3Request {
            method: parts.method.as_str(),
            host: &host,
            path: parts.uri.path(),
            query: parts.uri.query().unwrap_or(""),
            headers: &pairs,
            body: &body,
        },
        SECRET_KEY,
    )
    .map(|_| ());
    let ok = verified.is_ok();
    let n = {
        let mut seen = state.seen.lock().unwrap();
        seen.push(Seen {
            path: parts.uri.path().to_owned(),
            headers: headers.clone(),
            body,
            verified,
        });
        seen.len() - 1
    };
    let answer = if ok {
        state.script[n.min(state.script.len() - 1)].clone()
    } else {
        Answer::Err("AuthFailure.SignatureFailure", "signature check failed")
    };
    let (status, text) = match answer {
        Answer::Hang => std::future::pending().await,
        other => render(other, n),
    };
    Ok(Response::builder()
        .status(status)
        .header("Content-Type", "application/json")
        .body(Full::new(Bytes::from(text)))
        .unwrap_or_default())
}

/// The status and body of an answer to request `n`.
fn render(answer: Answer, n: usize) -> (u16, String) {
    match answer {
        Answer::Ok(fields) => (
            200,
            format!(r#"{{"Response":{{{fields},"RequestId":"r-{n}"}}}}"#),
        ),
        Answer::Err(code, message) => (
            200,
            format!(
                r#"{{"Response":{{"Error":{{"Code":"{code}","Message":"{message}"}},"RequestId":"r-{n}"}}}}"#
            ),
        ),
        Answer::Garbage => (200, "<html>not json</html>".to_owned()),
        Answer::Status(s) => (s, "<html>gateway</html>".to_owned()),
        Answer::Big(len) => {
            let pad = "x".repeat(len.saturating_sub(60));
            (
                200,
                format!(r#"{{"Response":{{"TotalCount":0,"Pad":"{pad}","RequestId":"r-{n}"}}}}"#),
            )
        }
        Answer::Hang => unreachable!("answered by never answering"),
    }
}

// ---------------------------------------------------------------- operations (generated)

fn describe() -> DescribeCmqQueuesRequest {
    DescribeCmqQueuesRequest::new().offset(0).limit(20)
}

fn create(name: &str) -> CreateCmqQueueRequest {
    CreateCmqQueueRequest::new().queue_name(name)
}

/// A request of an action that is not idempotent (sending twice sends two messages).
fn send(body: &str) -> SendCmqMsgRequest {
    SendCmqMsgRequest::new()
        .queue_name("q")
        .msg_content(body)
        .delay_seconds(0)
}

// ---------------------------------------------------------------- clients

fn builder(server: &Server) -> ClientBuilder {
    Client::builder()
        .endpoint(server.url())
        .credentials(Credentials::new(SECRET_ID, SECRET_KEY).with_token(TOKEN))
        .region("gz")
        .retry_policy(
            RetryPolicy::new()
                .with_base_delay(Duration::from_millis(1))
                .with_max_delay(Duration::from_millis(2)),
        )
}

fn client(server: &Server) -> Client {
    builder(server).build().unwrap()
}

// ---------------------------------------------------------------- success

#[tokio::test]
async fn a_signed_request_is_verified_and_its_answer_decoded() {
    let server = Server::start(vec![Answer::Ok(
        r#""TotalCount":2,"QueueList":[{"QueueName":"a","CreateTime":1700000000000},{"QueueName":"b","CreateTime":null,"Unknown":1}]"#,
    )])
    .await;
    let c = client(&server);
    assert_eq!(
        c.control_endpoint().map(|e| e.url().to_owned()),
        Some(format!("{}/", server.url()))
    );
    assert_eq!(c.api3_region(), Some("ap-guangzhou"));
    let out = c.execute_api3(describe()).await.unwrap();
    assert_eq!(out.total_count, 2);
    let got: Vec<(&str, i64)> = (out.queue_list.iter())
        .map(|q| (q.queue_name.as_str(), q.create_time))
        .collect();
    assert_eq!(
        got,
        [("a", 1_700_000_000_000), ("b", 0)],
        "null reads as the default"
    );
    assert_eq!(out.request_id, "r-0");
    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    let r = &seen[0];
    assert_eq!(r.verified, Ok(()));
    assert_eq!(r.path, "/");
    assert_eq!(
        r.body.as_ref(),
        br#"{"Offset":0,"Limit":20}"#,
        "None fields are left out"
    );
    for (name, value) in [
        ("content-type", "application/json"),
        ("x-tc-action", "DescribeCmqQueues"),
        ("x-tc-version", "2020-02-17"),
        ("x-tc-region", "ap-guangzhou"),
        ("x-tc-token", TOKEN),
    ] {
        assert_eq!(r.header(name), Some(value), "{name}");
    }
    assert!(r.header("x-tc-language").is_none());
    assert!(
        r.header("x-tc-timestamp")
            .is_some_and(|t| t.parse::<u64>().is_ok())
    );
    assert!(
        r.header("authorization")
            .is_some_and(|a| a.starts_with("TC3-HMAC-SHA256 Credential=AKIDapi3test/"))
    );
}

#[tokio::test]
async fn language_and_an_explicit_control_endpoint() {
    let server = Server::start(vec![Answer::Ok(r#""QueueId":"queue-1""#)]).await;
    let c = Client::builder()
        .endpoint("https://cmq-queue-gz.api.qcloud.com") // legacy: no API 3.0 of its own
        .control_endpoint(server.url())
        .region("ap-shanghai")
        .language("en-US")
        .credentials(Credentials::new(SECRET_ID, SECRET_KEY))
        .build()
        .unwrap();
    assert_eq!(
        c.execute_api3(create("orders")).await.unwrap().queue_id,
        "queue-1"
    );
    let r = &server.seen()[0];
    assert_eq!(r.verified, Ok(()));
    assert_eq!(r.header("x-tc-language"), Some("en-US"));
    assert_eq!(r.header("x-tc-region"), Some("ap-shanghai"));
    assert_eq!(r.header("x-tc-token"), None);
    assert_eq!(r.body.as_ref(), br#"{"QueueName":"orders"}"#);
}

// ---------------------------------------------------------------- errors and retries

#[tokio::test]
async fn a_service_error_is_an_api3_error_and_not_retried() {
    let server = Server::start(vec![Answer::Err(
        "ResourceNotFound.QueueNotExist",
        "queue orders does not exist",
    )])
    .await;
    let err = client(&server).execute_api3(describe()).await.unwrap_err();
    let s = err.api3().expect("an API 3.0 error");
    assert_eq!(
        (
            s.action,
            s.code.as_str(),
            s.message.as_str(),
            s.request_id.as_deref()
        ),
        (
            "DescribeCmqQueues",
            "ResourceNotFound.QueueNotExist",
            "queue orders does not exist",
            Some("r-0")
        )
    );
    assert_eq!(
        err.error_code(),
        Some(ErrorCode::Api3("ResourceNotFound.QueueNotExist"))
    );
    assert_eq!(err.code(), None, "code() is the 2.0 numeric code");
    assert!(!err.is_retryable() && !err.is_throttled());
    assert_eq!(server.seen().len(), 1);
    let text = err.to_string();
    for part in [
        "DescribeCmqQueues",
        "ResourceNotFound.QueueNotExist",
        "does not exist",
        "r-0",
    ] {
        assert!(text.contains(part), "{part} not in {text}");
    }
}

#[tokio::test]
async fn internal_errors_are_retried_by_idempotency() {
    let script = vec![
        Answer::Err("InternalError", "try again"),
        Answer::Ok(r#""TotalCount":0,"QueueList":[],"QueueId":"queue-2""#),
    ];
    let server = Server::start(script.clone()).await;
    let out = client(&server).execute_api3(describe()).await.unwrap();
    assert_eq!(out.total_count, 0);
    assert_eq!(server.seen().len(), 2, "DescribeCmqQueues is idempotent");
    assert!(server.seen().iter().all(|s| s.verified.is_ok()));
    // Each attempt is signed afresh (its own X-TC-Timestamp).
    assert!(server.seen().iter().all(|s| {
        s.header("x-tc-timestamp")
            .is_some_and(|t| t.parse::<u64>().is_ok())
    }));

    let server = Server::start(script).await;
    let err = client(&server).execute_api3(send("m")).await.unwrap_err();
    assert_eq!(err.error_code(), Some(ErrorCode::Api3("InternalError")));
    assert!(err.is_retryable());
    assert_eq!(server.seen().len(), 1, "SendCmqMsg is not idempotent");
}

#[tokio::test]
async fn throttling_is_retried_even_when_not_idempotent() {
    let server = Server::start(vec![
        Answer::Err("RequestLimitExceeded", "slow down"),
        Answer::Err("RequestLimitExceeded.UinLimitExceeded", "slow down"),
        Answer::Ok(r#""Result":true,"MsgId":"m-3""#),
    ])
    .await;
    let out = client(&server).execute_api3(send("m")).await.unwrap();
    assert_eq!(out.msg_id, "m-3");
    assert_eq!(server.seen().len(), 3);
}

#[tokio::test]
async fn garbage_gateway_errors_and_oversized_answers() {
    let server = Server::start(vec![Answer::Garbage]).await;
    let err = client(&server).execute_api3(describe()).await.unwrap_err();
    assert!(
        matches!(&err, Error::Decode { body, .. } if body.contains("not json")),
        "{err:?}"
    );
    assert_eq!(server.seen().len(), 1);

    let server = Server::start(vec![Answer::Status(503), Answer::Ok(r#""TotalCount":1"#)]).await;
    let out = client(&server).execute_api3(describe()).await.unwrap();
    assert_eq!(out.total_count, 1);
    assert_eq!(
        server.seen().len(),
        2,
        "a 503 is retried for an idempotent action"
    );

    let server = Server::start(vec![Answer::Status(502)]).await;
    let err = client(&server).execute_api3(send("m")).await.unwrap_err();
    assert!(
        matches!(err, Error::HttpStatus { status: 502, .. }),
        "{err:?}"
    );
    assert_eq!(server.seen().len(), 1);

    let server = Server::start(vec![Answer::Big(8192), Answer::Big(900)]).await;
    let c = builder(&server).max_response_bytes(1024).build().unwrap();
    let err = c.execute_api3(describe()).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::ResponseTooLarge {
                limit: 1024,
                status: 200
            }
        ),
        "{err:?}"
    );
    assert_eq!(server.seen().len(), 1);
    assert_eq!(c.execute_api3(describe()).await.unwrap().total_count, 0);
}

#[tokio::test(start_paused = true)]
async fn a_hanging_server_ends_at_the_call_deadline() {
    let server = Server::start(vec![Answer::Hang]).await;
    let c = builder(&server)
        .timeouts(
            Timeouts::new()
                .with_connect(Duration::from_secs(3600))
                .with_request(Duration::from_secs(20))
                .with_retry_budget(Duration::from_secs(5)),
        )
        .build()
        .unwrap();
    let err = c.execute_api3(describe()).await.unwrap_err();
    assert!(
        matches!(err, Error::Timeout { after, deadline: true, attempts: 2 } if after == Duration::from_secs(25)),
        "{err:?}"
    );
    assert_eq!(server.seen().len(), 2);
    // Not idempotent: one attempt, its own timeout.
    let err = c.execute_api3(send("m")).await.unwrap_err();
    assert!(
        matches!(err, Error::Timeout { after, deadline: false, attempts: 1 } if after == Duration::from_secs(20)),
        "{err:?}"
    );
    assert_eq!(server.seen().len(), 3);
}

// ---------------------------------------------------------------- refused before sending

#[tokio::test]
async fn validation_and_configuration_errors_send_nothing() {
    let server = Server::start(vec![Answer::Ok(r#""TotalCount":0"#)]).await;
    let c = client(&server);
    let mut bad = describe();
    bad.limit = Some(51);
    let err = c.execute_api3(bad).await.unwrap_err();
    let v = err.api3_violations().expect("API 3.0 violations");
    assert_eq!(v.len(), 1, "{err}");
    assert_eq!(v.0[0].error, Api3ErrorId::InvalidParameterValue);
    assert!(err.is_validation());
    assert!(err.to_string().contains("Limit"), "{err}");

    // A legacy data-plane host has no control plane by default.
    let legacy = Client::builder()
        .endpoint("https://cmq-queue-gz.api.qcloud.com")
        .credentials(Credentials::new(SECRET_ID, SECRET_KEY))
        .build()
        .unwrap();
    assert!(legacy.control_endpoint().is_none());
    let err = legacy.execute_api3(describe()).await.unwrap_err();
    assert!(
        matches!(&err, Error::Config(m) if m.contains("control_endpoint")),
        "{err:?}"
    );

    // No region: none given, and none in the host.
    let no_region = Client::builder()
        .endpoint(server.url())
        .credentials(Credentials::new(SECRET_ID, SECRET_KEY))
        .build()
        .unwrap();
    assert_eq!(no_region.api3_region(), None);
    let err = no_region.execute_api3(describe()).await.unwrap_err();
    assert!(
        matches!(&err, Error::Config(m) if m.contains("region")),
        "{err:?}"
    );
    assert!(server.seen().is_empty());

    // A TDMQ host gives both.
    let tdmq = Client::builder()
        .endpoint("https://cmq-sh.public.tencenttdmq.com")
        .credentials(Credentials::new(SECRET_ID, SECRET_KEY))
        .build()
        .unwrap();
    assert_eq!(
        tdmq.control_endpoint().map(|e| e.url()),
        Some("https://tdmq.tencentcloudapi.com/")
    );
    assert_eq!(tdmq.api3_region(), Some("ap-shanghai"));
}

#[tokio::test]
async fn a_bad_signature_is_refused_by_the_verifier() {
    let server = Server::start(vec![Answer::Ok(r#""TotalCount":0"#)]).await;
    let c = builder(&server)
        .credentials(Credentials::new(SECRET_ID, "not the server's key"))
        .build()
        .unwrap();
    let err = c.execute_api3(describe()).await.unwrap_err();
    assert_eq!(
        err.error_code(),
        Some(ErrorCode::Api3("AuthFailure.SignatureFailure"))
    );
    assert_eq!(
        server.seen()[0].verified,
        Err(tc3::Tc3Error::SignatureMismatch)
    );
}

// ---------------------------------------------------------------- blocking

#[cfg(feature = "blocking")]
#[test]
fn the_blocking_client_runs_api3_operations() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = rt.block_on(Server::start(vec![
        Answer::Ok(r#""QueueId":"queue-9""#),
        Answer::Err("ResourceInUse.Queue", "exists"),
    ]));
    let c = cmq_sdk::blocking::Client::from_builder(builder(&server)).unwrap();
    assert_eq!(c.execute_api3(create("q")).unwrap().queue_id, "queue-9");
    let err = c.execute_api3(create("q")).unwrap_err();
    assert_eq!(
        err.error_code(),
        Some(ErrorCode::Api3("ResourceInUse.Queue"))
    );
    assert!(server.seen().iter().all(|s| s.verified.is_ok()));
}
