//! End to end: the wire protocol and the queue half of the API, driven through the real SDK over
//! HTTP (or raw signed HTTP where the SDK would refuse the input) against a `CmqMock` on a manual
//! clock. Time only moves through `mock.clock()`; nothing here sleeps to let time pass.

mod common;
use common::*;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use cmq_mock::auth::AuthMode;
use cmq_mock::clock::Clock;
use cmq_mock::engine::QueueConfigUpdate;
use cmq_mock::mock::CmqMock;
use cmq_sdk::generated::MAX_REQUEST_BYTES;
use cmq_sdk::generated::ops::{
    BatchDeleteMessageInput, BatchSendMessageInput, CreateQueueInput, SendMessageInput,
    SetQueueAttributesInput,
};
use cmq_sdk::generated::types::DeadLetterPolicy;
use cmq_sdk::retry::RetryPolicy;
use cmq_sdk::sign::{SignatureMethod, sign, string_to_sign};
use cmq_sdk::{Client, Credentials, Error, ErrorId, Queue};
use futures_util::TryStreamExt;
use serde_json::Value;

// ------------------------------------------------------------------------------------ helpers

async fn mock() -> (CmqMock, u64) {
    mock_with(|b| b).await
}

/// The CMQ message of `e` without a `%s`.
fn text(e: ErrorId) -> String {
    format!("({}){}", e.module(), e.message())
}

/// [activeMsgNum, inactiveMsgNum, delayMsgNum, rewindMsgNum, minMsgTime].
async fn counters(q: &Queue) -> [i64; 5] {
    let a = q.attributes().await.expect("attributes");
    [
        a.active_msg_num,
        a.inactive_msg_num,
        a.delay_msg_num,
        a.rewind_msg_num,
        a.min_msg_time,
    ]
}

fn secs(s: u64) -> i64 {
    i64::try_from(s).unwrap_or(i64::MAX)
}

/// Waits (yielding, bounded by 10 s of real time) until the earliest sleeper of the manual clock
/// is at `want` ms.
async fn wait_deadline(clock: &Clock, want: u64) {
    let started = Instant::now();
    while clock.next_deadline_ms() != Some(want) {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no sleeper at {want}; next deadline {:?}",
            clock.next_deadline_ms()
        );
        tokio::task::yield_now().await;
    }
}

/// Lets other tasks (and the HTTP round trips they wait on) run for a moment of real time.
async fn settle_io() {
    for _ in 0..50 {
        tokio::task::yield_now().await;
    }
    tokio::time::sleep(Duration::from_millis(30)).await;
}

type Pairs = Vec<(String, String)>;

static NONCE: AtomicU64 = AtomicU64::new(1);

fn form(p: &Pairs) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(p.iter())
        .finish()
}

/// Raw signed HTTP against a mock.
struct Raw {
    http: reqwest::Client,
    host: String,
    id: String,
    key: String,
}

impl Raw {
    fn new(mock: &CmqMock) -> Self {
        Self::as_account(mock, mock.secret_id(), mock.secret_key())
    }

    fn as_account(mock: &CmqMock, id: &str, key: &str) -> Self {
        Raw {
            http: reqwest::Client::new(),
            host: mock.addr().to_string(),
            id: id.to_owned(),
            key: key.to_owned(),
        }
    }

    /// Common parameters (Timestamp = now, a fresh Nonce) and `extra`, unsigned.
    fn params(&self, action: &str, extra: &[(&str, &str)]) -> Pairs {
        self.params_at(action, extra, wall_secs())
    }

    fn params_at(&self, action: &str, extra: &[(&str, &str)], ts: u64) -> Pairs {
        let nonce = NONCE.fetch_add(1, Ordering::Relaxed).to_string();
        let mut p: Pairs = vec![
            ("Action".into(), action.into()),
            ("SecretId".into(), self.id.clone()),
            ("Timestamp".into(), ts.to_string()),
            ("Nonce".into(), nonce),
            ("SignatureMethod".into(), "HmacSHA256".into()),
        ];
        p.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        p
    }

    fn signature(&self, method: &str, path: &str, p: &Pairs) -> String {
        let refs: Vec<(&str, &str)> = p.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        sign(
            &self.key,
            SignatureMethod::HmacSha256,
            &string_to_sign(method, &self.host, path, &refs),
        )
    }

    fn signed(&self, method: &str, path: &str, mut p: Pairs) -> Pairs {
        let sig = self.signature(method, path, &p);
        p.push(("Signature".into(), sig));
        p
    }

    async fn answer(r: reqwest::Response) -> (u16, Value) {
        let status = r.status().as_u16();
        let bytes = r.bytes().await.expect("body");
        let v = serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&bytes)));
        (status, v)
    }

    async fn post_body(&self, path: &str, body: String, ct: Option<&str>) -> (u16, Value) {
        let mut rb = self
            .http
            .post(format!("http://{}{}", self.host, path))
            .body(body);
        if let Some(ct) = ct {
            rb = rb.header("content-type", ct);
        }
        Self::answer(rb.send().await.expect("POST")).await
    }

    async fn post(&self, p: &Pairs) -> (u16, Value) {
        self.post_body(
            "/v2/index.php",
            form(p),
            Some("application/x-www-form-urlencoded"),
        )
        .await
    }

    async fn get(&self, path: &str, p: &Pairs) -> (u16, Value) {
        let url = format!("http://{}{}?{}", self.host, path, form(p));
        Self::answer(self.http.get(url).send().await.expect("GET")).await
    }

    /// A signed POST to `/v2/index.php`; the answer's JSON (the status must be 200).
    async fn call(&self, action: &str, extra: &[(&str, &str)]) -> Value {
        let p = self.signed("POST", "/v2/index.php", self.params(action, extra));
        let (status, v) = self.post(&p).await;
        assert_eq!(status, 200, "{v}");
        v
    }
}

#[track_caller]
fn assert_ok(v: &Value) {
    assert_eq!(
        (v["code"].as_i64(), v["message"].as_str()),
        (Some(0), Some("")),
        "{v}"
    );
    assert!(
        v["requestId"].as_str().is_some_and(|r| !r.is_empty()),
        "{v}"
    );
}

#[track_caller]
fn assert_code(v: &Value, code: i64, message: &str) {
    assert_eq!(
        (v["code"].as_i64(), v["message"].as_str()),
        (Some(code), Some(message)),
        "{v}"
    );
    assert!(
        v["requestId"].as_str().is_some_and(|r| !r.is_empty()),
        "{v}"
    );
}

fn policy0(dlq: &str, max_receive_count: i64) -> DeadLetterPolicy {
    DeadLetterPolicy {
        dead_letter_queue: Some(dlq.into()),
        policy: Some(0),
        max_receive_count: Some(max_receive_count),
        max_time_to_live: None,
    }
}

// ----------------------------------------------------------------------------------- protocol

#[tokio::test]
async fn post_and_get_on_index_php_and_root() {
    let (mock, _) = mock_with(|b| b.queue("q")).await;
    let raw = Raw::new(&mock);
    let routes = [
        ("POST", "/v2/index.php"),
        ("POST", "/"),
        ("GET", "/v2/index.php"),
        ("GET", "/"),
    ];
    let mut ids = Vec::new();
    for (method, path) in routes {
        let body = format!("{method} {path}");
        let p = raw.signed(
            method,
            path,
            raw.params("SendMessage", &[("queueName", "q"), ("msgBody", &body)]),
        );
        let (status, v) = if method == "POST" {
            raw.post_body(path, form(&p), Some("application/x-www-form-urlencoded"))
                .await
        } else {
            raw.get(path, &p).await
        };
        assert_eq!(status, 200, "{method} {path}: {v}");
        assert_ok(&v);
        ids.push(v["msgId"].as_str().expect("msgId").to_owned());
    }
    // A signature made for another path does not verify.
    let p = raw.signed(
        "POST",
        "/v2/index.php",
        raw.params("SendMessage", &[("queueName", "q"), ("msgBody", "x")]),
    );
    let (_, v) = raw
        .post_body("/", form(&p), Some("application/x-www-form-urlencoded"))
        .await;
    assert_code(&v, 4100, &text(ErrorId::AuthenticationFailed));
    // POST reads only the body: parameters in the query string are ignored.
    let p = raw.signed("POST", "/v2/index.php", raw.params("ListQueue", &[]));
    let (_, v) = raw
        .post_body(&format!("/v2/index.php?{}", form(&p)), String::new(), None)
        .await;
    assert_code(&v, 4000, "(10430)action name  is not existed");

    let got = client(&mock)
        .queue("q")
        .batch_receive(16, Some(0))
        .await
        .expect("receive");
    let bodies: Vec<&str> = got.iter().map(|m| m.body.as_str()).collect();
    assert_eq!(
        bodies,
        ["POST /v2/index.php", "POST /", "GET /v2/index.php", "GET /"]
    );
    let got_ids: Vec<&str> = got.iter().map(|m| m.msg_id.as_str()).collect();
    assert_eq!(got_ids, ids);
}

#[tokio::test]
async fn form_body_whatever_the_content_type() {
    let (mock, _) = mock_with(|b| b.queue("q")).await;
    let raw = Raw::new(&mock);
    let types = [
        None,
        Some("application/x-www-form-urlencoded"),
        Some("*/*;charset=utf-8"),
        Some("text/plain"),
        Some("application/json"),
    ];
    for (i, ct) in types.iter().enumerate() {
        let body = format!("ct {i}");
        let p = raw.signed(
            "POST",
            "/v2/index.php",
            raw.params("SendMessage", &[("queueName", "q"), ("msgBody", &body)]),
        );
        let (status, v) = raw.post_body("/v2/index.php", form(&p), *ct).await;
        assert_eq!(status, 200);
        assert_ok(&v);
    }
    // `+` and `%20` both mean a space.
    let p = raw.signed(
        "POST",
        "/v2/index.php",
        raw.params("SendMessage", &[("queueName", "q"), ("msgBody", "a b c")]),
    );
    let plus = form(&p);
    assert!(plus.contains("a+b+c"));
    let (_, v) = raw
        .post_body("/v2/index.php", plus.replace("a+b+c", "a%20b%20c"), None)
        .await;
    assert_ok(&v);
    let got = client(&mock)
        .queue("q")
        .batch_receive(16, Some(0))
        .await
        .expect("receive");
    let bodies: Vec<&str> = got.iter().map(|m| m.body.as_str()).collect();
    assert_eq!(bodies, ["ct 0", "ct 1", "ct 2", "ct 3", "ct 4", "a b c"]);
}

#[tokio::test]
async fn lists_are_zero_or_one_based_and_contiguous() {
    let (mock, t0) = mock_with(|b| b.queue("q")).await;
    let raw = Raw::new(&mock);
    let v = raw
        .call(
            "BatchSendMessage",
            &[("queueName", "q"), ("msgBody.0", "a0"), ("msgBody.1", "a1")],
        )
        .await;
    assert_ok(&v);
    assert_eq!(v["msgList"].as_array().map(Vec::len), Some(2), "{v}");
    let v = raw
        .call(
            "BatchSendMessage",
            &[("queueName", "q"), ("msgBody.1", "b1"), ("msgBody.2", "b2")],
        )
        .await;
    assert_ok(&v);
    let v = raw
        .call(
            "BatchSendMessage",
            &[("queueName", "q"), ("msgBody.1", "c1"), ("msgBody.3", "c3")],
        )
        .await;
    assert_code(&v, 4000, "(10380)msgBody parameter is not consequent");
    let v = raw
        .call(
            "BatchSendMessage",
            &[("queueName", "q"), ("msgBody.2", "d2"), ("msgBody.3", "d3")],
        )
        .await;
    assert_code(&v, 4000, "(10380)msgBody parameter is not consequent");

    let q = client(&mock).queue("q");
    let t0 = secs(t0);
    assert_eq!(counters(&q).await, [4, 0, 0, 0, t0]);
    let v = raw
        .call(
            "BatchReceiveMessage",
            &[("queueName", "q"), ("numOfMsg", "16")],
        )
        .await;
    assert_ok(&v);
    let list = v["msgInfoList"].as_array().expect("msgInfoList");
    let bodies: Vec<&str> = list.iter().filter_map(|m| m["msgBody"].as_str()).collect();
    assert_eq!(bodies, ["a0", "a1", "b1", "b2"]);
    let handles: Vec<String> = list
        .iter()
        .filter_map(|m| m["receiptHandle"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(counters(&q).await, [0, 4, 0, 0, t0]);
    // Zero-based receipt handles.
    let v = raw
        .call(
            "BatchDeleteMessage",
            &[
                ("queueName", "q"),
                ("receiptHandle.0", &handles[0]),
                ("receiptHandle.1", &handles[1]),
            ],
        )
        .await;
    assert_ok(&v);
    // One-based.
    let v = raw
        .call(
            "BatchDeleteMessage",
            &[
                ("queueName", "q"),
                ("receiptHandle.1", &handles[2]),
                ("receiptHandle.2", &handles[3]),
            ],
        )
        .await;
    assert_ok(&v);
    assert_eq!(counters(&q).await, [0, 0, 0, 0, 0]);
    // A list parameter sent as a scalar and a scalar sent as a list.
    let v = raw
        .call("SendMessage", &[("queueName", "q"), ("msgBody.1", "x")])
        .await;
    assert_eq!(v["code"].as_i64(), Some(4000), "{v}");
}

#[tokio::test]
async fn unknown_parameters_are_ignored_but_signed() {
    let (mock, _) = mock_with(|b| b.queue("q")).await;
    let raw = Raw::new(&mock);
    let v = raw
        .call(
            "SendMessage",
            &[
                ("queueName", "q"),
                ("msgBody", "hello"),
                ("UserpollingWaitSeconds", "30"),
                ("RequestClient", "SDK_Python_1.3"),
                ("someJunk", "x y"),
            ],
        )
        .await;
    assert_ok(&v);
    // The unknown parameter is part of the signed string: changing it after signing fails.
    let mut p = raw.signed(
        "POST",
        "/v2/index.php",
        raw.params(
            "SendMessage",
            &[("queueName", "q"), ("msgBody", "x"), ("junk", "1")],
        ),
    );
    for (k, v) in p.iter_mut() {
        if k == "junk" {
            *v = "2".into();
        }
    }
    let (_, v) = raw.post(&p).await;
    assert_code(&v, 4100, &text(ErrorId::AuthenticationFailed));
    let m = client(&mock)
        .queue("q")
        .receive(Some(0))
        .await
        .expect("receive");
    assert_eq!(m.map(|m| m.body).as_deref(), Some("hello"));
}

#[tokio::test]
async fn signature_methods_and_action_case() {
    let (mock, _) = mock_with(|b| {
        b.queue("q")
            .topic_with(serde_json::json!({"topicName": "t"}))
            .subscription_with(serde_json::json!({
                "topicName": "t", "subscriptionName": "s", "protocol": "queue",
                "endpoint": "q", "filterTag": ["x"],
            }))
    })
    .await;
    let raw = Raw::new(&mock);
    let sha1 = |p: &Pairs| {
        let refs: Vec<(&str, &str)> = p.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        sign(
            mock.secret_key(),
            SignatureMethod::HmacSha1,
            &string_to_sign("POST", &raw.host, "/v2/index.php", &refs),
        )
    };
    // No SignatureMethod (the PHP SDK): HmacSHA1.
    let mut p: Pairs = raw
        .params("ListQueue", &[])
        .into_iter()
        .filter(|(k, _)| k != "SignatureMethod")
        .collect();
    let sig = sha1(&p);
    p.push(("Signature".into(), sig));
    let (_, v) = raw.post(&p).await;
    assert_ok(&v);
    // Explicit HmacSHA1.
    let mut p: Pairs = raw
        .params("ListQueue", &[])
        .into_iter()
        .map(|(k, v)| {
            if k == "SignatureMethod" {
                (k, "HmacSHA1".into())
            } else {
                (k, v)
            }
        })
        .collect();
    let sig = sha1(&p);
    p.push(("Signature".into(), sig));
    let (_, v) = raw.post(&p).await;
    assert_ok(&v);
    // A SHA-256 signature without the SignatureMethod that says so does not verify.
    let mut p: Pairs = raw
        .params("ListQueue", &[])
        .into_iter()
        .filter(|(k, _)| k != "SignatureMethod")
        .collect();
    let sig = raw.signature("POST", "/v2/index.php", &p);
    p.push(("Signature".into(), sig));
    let (_, v) = raw.post(&p).await;
    assert_code(&v, 4100, &text(ErrorId::AuthenticationFailed));
    // The SDK with HmacSHA256.
    let c = Client::builder()
        .endpoint(mock.endpoint())
        .credentials(mock.credentials())
        .signature_method(SignatureMethod::HmacSha256)
        .build()
        .expect("client");
    c.queue("q").send("sha256").await.expect("send");
    // A value starting with `@`: signed with it (most SDKs) or without it (the Python and PHP
    // SDKs on POST); both verify.
    c.queue("q").send("@with-at").await.expect("send");
    let mut p = raw.params(
        "SendMessage",
        &[("queueName", "q"), ("msgBody", "@skipped")],
    );
    let without_at: Pairs = p
        .iter()
        .filter(|(_, v)| !v.starts_with('@'))
        .cloned()
        .collect();
    let sig = raw.signature("POST", "/v2/index.php", &without_at);
    p.push(("Signature".into(), sig));
    let (_, v) = raw.post(&p).await;
    assert_ok(&v);
    let got = c
        .queue("q")
        .batch_receive(16, Some(0))
        .await
        .expect("receive");
    let bodies: Vec<&str> = got.iter().map(|m| m.body.as_str()).collect();
    assert_eq!(bodies, ["sha256", "@with-at", "@skipped"]);
    // The Java SDK's spelling of ClearSubscriptionFilterTags is accepted.
    let v = raw
        .call(
            "ClearSUbscriptionFIlterTags",
            &[("topicName", "t"), ("subscriptionName", "s")],
        )
        .await;
    assert_ok(&v);
    let a = c
        .subscription("t", "s")
        .attributes()
        .await
        .expect("attributes");
    assert_eq!(a.filter_tags.unwrap_or_default(), Vec::<String>::new());
    // Route queries answer the configured addresses (none by default).
    let r = c
        .query_queue_route()
        .queue_name("q")
        .send()
        .await
        .expect("route");
    assert!(r.addr.is_empty());
    let r = c
        .query_topic_route()
        .topic_name("t")
        .send()
        .await
        .expect("route");
    assert!(r.addr.is_empty());
}

#[tokio::test]
async fn list_limits_are_checked() {
    let (mock, _) = mock().await;
    let raw = Raw::new(&mock);
    let v = raw.call("ListQueue", &[("limit", "50")]).await;
    assert_ok(&v);
    let v = raw.call("ListQueue", &[("limit", "51")]).await;
    assert_code(
        &v,
        4000,
        "(10350)parameter limit value or length is out of range",
    );
    let v = raw.call("ListQueue", &[("offset", "-1")]).await;
    assert_code(
        &v,
        4000,
        "(10350)parameter offset value or length is out of range",
    );
    let v = raw.call("ListQueue", &[("limit", "ten")]).await;
    assert_eq!(v["code"].as_i64(), Some(4000), "{v}");
}

#[tokio::test]
async fn business_errors_are_http_200_envelopes() {
    let (mock, _) = mock().await;
    let raw = Raw::new(&mock);
    let v = raw
        .call(
            "GetQueueAttributes",
            &[("queueName", "missing"), ("clientRequestId", "4242")],
        )
        .await;
    assert_code(&v, 4440, "(10100)queue is not existed, or deleted");
    assert_eq!(v["clientRequestId"].as_str(), Some("4242"), "{v}");
    assert_eq!(v.as_object().map(|o| o.len()), Some(4), "{v}");
    let v = raw
        .call("GetQueueAttributes", &[("queueName", "missing")])
        .await;
    let keys: Vec<&String> = v.as_object().expect("object").keys().collect();
    assert_eq!(keys, ["code", "message", "requestId"]);
    // A missing required parameter names it.
    let v = raw.call("GetQueueAttributes", &[]).await;
    assert_code(&v, 4000, "(10390)lacked of required parameter queueName");
    // Through the SDK: a service error with the module code parsed.
    let e = expect_err(
        client(&mock).queue("missing").attributes().await,
        ErrorId::QueueNotExist,
        "",
    );
    assert_eq!(e.action, cmq_sdk::Action::GetQueueAttributes);
    // Request ids are unique.
    let a = raw.call("ListQueue", &[]).await;
    let b = raw.call("ListQueue", &[]).await;
    assert_ne!(a["requestId"], b["requestId"]);
}

#[tokio::test]
async fn requests_over_one_mib_are_refused() {
    let (mock, _) = mock_with(|b| {
        b.queue_with(serde_json::json!({"queueName": "big", "maxMsgSize": 1_048_576}))
    })
    .await;
    let raw = Raw::new(&mock);
    // A signed request of exactly 1 MiB is read; one byte more is refused.
    let exact = |extra: usize| -> String {
        let want = MAX_REQUEST_BYTES + extra;
        let mut len = want - 400;
        for _ in 0..20 {
            let body = "b".repeat(len);
            let p = raw.signed(
                "POST",
                "/v2/index.php",
                raw.params("SendMessage", &[("queueName", "big"), ("msgBody", &body)]),
            );
            let f = form(&p);
            match f.len().cmp(&want) {
                std::cmp::Ordering::Equal => return f,
                std::cmp::Ordering::Less => len += want - f.len(),
                std::cmp::Ordering::Greater => len -= f.len() - want,
            }
        }
        panic!("could not build a request of {want} bytes");
    };
    let (status, v) = raw
        .post_body(
            "/v2/index.php",
            exact(0),
            Some("application/x-www-form-urlencoded"),
        )
        .await;
    assert_eq!(status, 200);
    assert_ok(&v);
    let (status, v) = raw
        .post_body(
            "/v2/index.php",
            exact(1),
            Some("application/x-www-form-urlencoded"),
        )
        .await;
    assert_eq!(status, 200);
    assert_code(
        &v,
        4000,
        "(10420)cannot parse request, or request size is more than 1MB",
    );
    // The SDK refuses a body over 1 MiB before sending; with validation off the mock answers.
    let body = "x".repeat(1_048_577);
    let before = mock.journal().records().len();
    let r = client(&mock).queue("big").send(body.clone()).await;
    assert!(matches!(r, Err(Error::Validation(_))), "{r:?}");
    assert_eq!(mock.journal().records().len(), before);
    expect_err(
        unvalidated(&mock).queue("big").send(body).await,
        ErrorId::CannotParseRequest,
        "request",
    );
    // The connection and the server are still fine.
    let q = client(&mock).queue("big");
    q.send("small").await.expect("send");
    assert_eq!(counters(&q).await[0], 2);
}

#[tokio::test]
async fn unknown_action_is_refused() {
    let (mock, _) = mock().await;
    let raw = Raw::new(&mock);
    let v = raw.call("FlyToTheMoon", &[]).await;
    assert_code(&v, 4000, "(10430)action name FlyToTheMoon is not existed");
    let p = raw.signed("GET", "/", raw.params("PeekMessage", &[("queueName", "q")]));
    let (status, v) = raw.get("/", &p).await;
    assert_eq!(status, 200);
    assert_code(&v, 4000, "(10430)action name PeekMessage is not existed");
    // No Action at all.
    let (status, v) = raw
        .post_body("/v2/index.php", "queueName=q".into(), None)
        .await;
    assert_eq!(status, 200);
    assert_code(&v, 4000, "(10430)action name  is not existed");
}

#[tokio::test]
async fn wrong_signature_and_unknown_secret_id() {
    let (mock, _) = mock_with(|b| b.queue("q")).await;
    let raw = Raw::new(&mock);
    let mut p = raw.params("SendMessage", &[("queueName", "q"), ("msgBody", "x")]);
    p.push(("Signature".into(), "bm90IGEgc2lnbmF0dXJl".into()));
    let (_, v) = raw.post(&p).await;
    assert_code(&v, 4100, &text(ErrorId::AuthenticationFailed));
    // No signature at all.
    let p = raw.params("SendMessage", &[("queueName", "q"), ("msgBody", "x")]);
    let (_, v) = raw.post(&p).await;
    assert_code(&v, 4100, &text(ErrorId::AuthenticationFailed));
    // Signed with the wrong key.
    let wrong = Raw::as_account(&mock, mock.secret_id(), "not-the-key");
    let v = wrong.call("ListQueue", &[]).await;
    assert_code(&v, 4100, &text(ErrorId::AuthenticationFailed));
    // An unknown SecretId.
    let nobody = Raw::as_account(&mock, "AKIDnobody", "whatever");
    let v = nobody.call("ListQueue", &[]).await;
    assert_code(&v, 4100, &text(ErrorId::SecretIdNotExist));
    // The SDK sees the same.
    let c = Client::builder()
        .endpoint(mock.endpoint())
        .credentials(Credentials::new(mock.secret_id(), "wrong"))
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("client");
    expect_err(
        c.queue("q").send("x").await,
        ErrorId::AuthenticationFailed,
        "",
    );
    let c = Client::builder()
        .endpoint(mock.endpoint())
        .credentials(Credentials::new("AKIDnobody", "k"))
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("client");
    expect_err(c.queue("q").send("x").await, ErrorId::SecretIdNotExist, "");
    // Nothing was sent.
    assert_eq!(counters(&client(&mock).queue("q")).await[0], 0);
}

#[tokio::test]
async fn timestamp_window_is_300_seconds_either_way() {
    let (mock, _) = mock_with(|b| b.queue("q")).await;
    let raw = Raw::new(&mock);
    // Each case is retried until the wall-clock second did not change during the request, so
    // the offset the server saw is exact.
    for (offset, accepted) in [(301_i64, false), (-301, false), (300, true), (-300, true)] {
        loop {
            let before = wall_secs();
            let ts = before.saturating_add_signed(offset);
            let p = raw.signed("POST", "/v2/index.php", raw.params_at("ListQueue", &[], ts));
            let (_, v) = raw.post(&p).await;
            if wall_secs() != before {
                continue;
            }
            if accepted {
                assert_ok(&v);
            } else {
                assert_code(&v, 4100, &text(ErrorId::AuthenticationFailed));
            }
            break;
        }
    }
    // A Timestamp that is not a number.
    let p = raw.signed(
        "POST",
        "/v2/index.php",
        raw.params_at("ListQueue", &[], 0)
            .into_iter()
            .map(|(k, v)| {
                if k == "Timestamp" {
                    (k, "soon".into())
                } else {
                    (k, v)
                }
            })
            .collect(),
    );
    let (_, v) = raw.post(&p).await;
    assert_code(&v, 4100, &text(ErrorId::AuthenticationFailed));
}

#[tokio::test]
async fn exact_replay_is_refused_a_reused_nonce_is_not() {
    let (mock, _) = mock_with(|b| b.queue("q")).await;
    let raw = Raw::new(&mock);
    let ts = wall_secs();
    let p = raw.signed(
        "POST",
        "/v2/index.php",
        raw.params_at(
            "SendMessage",
            &[("queueName", "q"), ("msgBody", "once")],
            ts,
        ),
    );
    let (_, v) = raw.post(&p).await;
    assert_ok(&v);
    let (_, v) = raw.post(&p).await;
    assert_code(&v, 4100, &text(ErrorId::AuthenticationFailed));
    // The same request as GET is another signature: accepted.
    let nonce = p
        .iter()
        .find(|(k, _)| k == "Nonce")
        .map(|(_, v)| v.clone())
        .expect("nonce");
    let with_nonce = |ts: u64, body: &str| -> Pairs {
        raw.params_at("SendMessage", &[("queueName", "q"), ("msgBody", body)], ts)
            .into_iter()
            .map(|(k, v)| {
                if k == "Nonce" {
                    (k, nonce.clone())
                } else {
                    (k, v)
                }
            })
            .collect()
    };
    // Same Nonce, another Timestamp: accepted.
    let p2 = raw.signed("POST", "/v2/index.php", with_nonce(ts - 1, "once"));
    let (_, v) = raw.post(&p2).await;
    assert_ok(&v);
    // Same Nonce and Timestamp, another body: accepted.
    let p3 = raw.signed("POST", "/v2/index.php", with_nonce(ts, "twice"));
    let (_, v) = raw.post(&p3).await;
    assert_ok(&v);
    let (_, v) = raw.post(&p3).await;
    assert_code(&v, 4100, &text(ErrorId::AuthenticationFailed));
    assert_eq!(counters(&client(&mock).queue("q")).await[0], 3);
}

#[tokio::test]
async fn auth_off_accepts_unsigned_requests() {
    let (mock, _) = mock_with(|b| {
        b.auth(AuthMode::Off)
            .account("AKIDfirst", "k1")
            .account("AKIDsecond", "k2")
            .queue("q")
            .queue_with(serde_json::json!({"queueName": "q", "account": "AKIDsecond"}))
    })
    .await;
    let http = reqwest::Client::new();
    let post = |body: &'static str| {
        let http = http.clone();
        let url = format!("{}/v2/index.php", mock.endpoint());
        async move {
            let r = http.post(url).body(body).send().await.expect("POST");
            assert_eq!(r.status().as_u16(), 200);
            serde_json::from_slice::<Value>(&r.bytes().await.expect("body")).expect("JSON")
        }
    };
    assert_ok(&post("Action=SendMessage&queueName=q&msgBody=unsigned").await);
    assert_ok(
        &post("Action=SendMessage&queueName=q&msgBody=garbage&SecretId=AKIDfirst&Signature=xx&Timestamp=1").await,
    );
    assert_ok(&post("Action=SendMessage&queueName=q&msgBody=second&SecretId=AKIDsecond").await);
    // Unsigned requests go to the first account; a known SecretId picks its account.
    let first = client(&mock).queue("q");
    let got = first.batch_receive(16, Some(0)).await.expect("receive");
    let bodies: Vec<&str> = got.iter().map(|m| m.body.as_str()).collect();
    assert_eq!(bodies, ["unsigned", "garbage"]);
    let second = Client::new(&mock.endpoint(), Credentials::new("AKIDsecond", "anything"))
        .expect("client")
        .queue("q");
    let got = second.batch_receive(16, Some(0)).await.expect("receive");
    let bodies: Vec<&str> = got.iter().map(|m| m.body.as_str()).collect();
    assert_eq!(bodies, ["second"]);
}

#[tokio::test]
async fn accounts_are_fully_isolated() {
    let (mock, t0) =
        mock_with(|b| b.account("AKIDalpha", "key-a").account("AKIDbeta", "key-b")).await;
    let a = client(&mock);
    assert_eq!(mock.secret_id(), "AKIDalpha");
    let b = Client::builder()
        .endpoint(mock.endpoint())
        .credentials(Credentials::new("AKIDbeta", "key-b"))
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("client");
    let id_a = a.queue("shared").create().await.expect("create in a");
    let id_b = b.queue("shared").create().await.expect("create in b");
    assert_ne!(id_a, id_b);
    a.queue("only-a").create().await.expect("create");
    a.queue("shared").send("from a").await.expect("send");
    assert!(
        b.queue("shared")
            .receive(Some(0))
            .await
            .expect("receive")
            .is_none()
    );
    b.queue("shared").send("from b").await.expect("send");
    let got = a
        .queue("shared")
        .batch_receive(16, Some(0))
        .await
        .expect("receive");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].body, "from a");
    assert_eq!(counters(&b.queue("shared")).await, [1, 0, 0, 0, secs(t0)]);
    let la = a.list_queue().send().await.expect("list");
    let lb = b.list_queue().send().await.expect("list");
    assert_eq!(la.total_count, 2);
    assert_eq!(lb.total_count, 1);
    assert_eq!(lb.queue_list[0].queue_id, id_b);
    expect_err(
        b.queue("only-a").attributes().await,
        ErrorId::QueueNotExist,
        "",
    );
    // Deleting in one account leaves the other alone (and the name is not blocked there).
    a.queue("shared").delete().await.expect("delete");
    assert_eq!(
        b.queue("shared")
            .receive(Some(0))
            .await
            .expect("receive")
            .map(|m| m.body)
            .as_deref(),
        Some("from b")
    );
    b.queue("only-a")
        .create()
        .await
        .expect("a name deleted nowhere in b");
    // One account's key does not sign for the other.
    let mixed = Client::builder()
        .endpoint(mock.endpoint())
        .credentials(Credentials::new("AKIDalpha", "key-b"))
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("client");
    expect_err(
        mixed.list_queue().send().await,
        ErrorId::AuthenticationFailed,
        "",
    );
    // The admin view per account.
    let alpha = mock.engine().account("AKIDalpha").expect("alpha");
    let beta = mock.engine().account("AKIDbeta").expect("beta");
    assert_eq!(alpha.queue_names(), ["only-a"]);
    assert_eq!(beta.queue_names(), ["shared", "only-a"]);
}

// ------------------------------------------------------------------------------------- queues

#[tokio::test]
async fn queue_create_list_get_set_delete() {
    let (mock, t0) = mock().await;
    let c = client(&mock);
    let names = ["alpha-1", "alpha-2", "beta-1", "Alpha-3", "gamma"];
    let mut ids = Vec::new();
    for n in names {
        let id = c.queue(n).create().await.expect("create");
        assert!(id.starts_with("queue-"), "{id}");
        ids.push(id);
    }
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 5);

    let all = c.list_queue().send().await.expect("list");
    assert_eq!(all.total_count, 5);
    let listed: Vec<&str> = all
        .queue_list
        .iter()
        .map(|q| q.queue_name.as_str())
        .collect();
    assert_eq!(listed, names);
    let listed_ids: Vec<&str> = all.queue_list.iter().map(|q| q.queue_id.as_str()).collect();
    assert_eq!(listed_ids, ids);

    let alpha = c
        .list_queue()
        .search_word("ALPHA")
        .send()
        .await
        .expect("list");
    assert_eq!(alpha.total_count, 3);
    let listed: Vec<&str> = alpha
        .queue_list
        .iter()
        .map(|q| q.queue_name.as_str())
        .collect();
    assert_eq!(listed, ["alpha-1", "alpha-2", "Alpha-3"]);
    let page = c
        .list_queue()
        .search_word("alpha")
        .offset(1)
        .limit(1)
        .send()
        .await
        .expect("list");
    assert_eq!(page.total_count, 3);
    let listed: Vec<&str> = page
        .queue_list
        .iter()
        .map(|q| q.queue_name.as_str())
        .collect();
    assert_eq!(listed, ["alpha-2"]);
    let tail = c
        .list_queue()
        .offset(4)
        .limit(20)
        .send()
        .await
        .expect("list");
    assert_eq!((tail.total_count, tail.queue_list.len()), (5, 1));
    assert_eq!(tail.queue_list[0].queue_name, "gamma");
    let past = c
        .list_queue()
        .offset(5)
        .limit(3)
        .send()
        .await
        .expect("list");
    assert_eq!((past.total_count, past.queue_list.len()), (5, 0));
    let none = c
        .list_queue()
        .search_word("zzz")
        .send()
        .await
        .expect("list");
    assert_eq!((none.total_count, none.queue_list.len()), (0, 0));
    let streamed: Vec<String> = c
        .list_queues(Some("a-"))
        .map_ok(|q| q.queue_name)
        .try_collect()
        .await
        .expect("stream");
    assert_eq!(streamed, ["alpha-1", "alpha-2", "beta-1", "Alpha-3"]);

    let q = c.queue("alpha-1");
    let a = q.attributes().await.expect("attributes");
    let t0 = secs(t0);
    assert_eq!(
        (
            a.max_msg_heap_num,
            a.polling_wait_seconds,
            a.visibility_timeout,
            a.max_msg_size,
            a.msg_retention_seconds,
            a.rewind_seconds
        ),
        (100_000_000, 0, 30, 65_536, 345_600, 0)
    );
    assert_eq!((a.create_time, a.last_modify_time), (t0, t0));
    assert_eq!(
        [
            a.active_msg_num,
            a.inactive_msg_num,
            a.delay_msg_num,
            a.rewind_msg_num,
            a.min_msg_time
        ],
        [0; 5]
    );
    assert_eq!(a.dead_letter_policy, None);
    assert_eq!(a.queue_name.as_deref(), Some("alpha-1"));
    assert_eq!(a.queue_id.as_deref(), Some(ids[0].as_str()));

    mock.clock().advance(Duration::from_secs(5));
    let set = q
        .set_attributes(
            SetQueueAttributesInput::new()
                .max_msg_heap_num(2_000_000)
                .polling_wait_seconds(10)
                .visibility_timeout(60)
                .max_msg_size(1024)
                .msg_retention_seconds(3600)
                .rewind_seconds(600),
        )
        .await
        .expect("set");
    assert_eq!(
        (
            set.max_msg_heap_num,
            set.polling_wait_seconds,
            set.visibility_timeout,
            set.max_msg_size,
            set.msg_retention_seconds,
            set.rewind_seconds
        ),
        (
            Some(2_000_000),
            Some(10),
            Some(60),
            Some(1024),
            Some(3600),
            Some(600)
        )
    );
    assert_eq!(set.queue_id.as_deref(), Some(ids[0].as_str()));
    let a = q.attributes().await.expect("attributes");
    assert_eq!(
        (
            a.max_msg_heap_num,
            a.polling_wait_seconds,
            a.visibility_timeout,
            a.max_msg_size,
            a.msg_retention_seconds,
            a.rewind_seconds
        ),
        (2_000_000, 10, 60, 1024, 3600, 600)
    );
    assert_eq!((a.create_time, a.last_modify_time), (t0, t0 + 5));
    // A partial set changes only what it names.
    q.set_attributes(SetQueueAttributesInput::new().visibility_timeout(45))
        .await
        .expect("set");
    let a = q.attributes().await.expect("attributes");
    assert_eq!(
        (a.visibility_timeout, a.polling_wait_seconds, a.max_msg_size),
        (45, 10, 1024)
    );
    // rewindSeconds above msgRetentionSeconds.
    expect_err(
        q.set_attributes(SetQueueAttributesInput::new().rewind_seconds(3601))
            .await,
        ErrorId::RewindSecondsGreaterThanRetention,
        "",
    );
    // Out-of-range values are refused by the mock too (validation off in the SDK).
    expect_err(
        unvalidated(&mock)
            .queue("alpha-1")
            .set_attributes(SetQueueAttributesInput::new().visibility_timeout(0))
            .await,
        ErrorId::ValueOutOfRange,
        "visibilityTimeout",
    );

    c.queue("gamma").delete().await.expect("delete");
    assert_eq!(c.list_queue().send().await.expect("list").total_count, 4);
    expect_err(
        c.queue("gamma").attributes().await,
        ErrorId::QueueNotExist,
        "",
    );
}

#[tokio::test]
async fn names_are_unique_case_insensitively_and_recreation_waits_10_s() {
    let (mock, _) = mock().await;
    let c = client(&mock);
    c.queue("Orders").create().await.expect("create");
    for n in ["orders", "ORDERS", "Orders"] {
        expect_err(c.queue(n).create().await, ErrorId::QueueAlreadyExists, "");
    }
    let a = c
        .queue("oRdErS")
        .attributes()
        .await
        .expect("lookup ignores case");
    assert_eq!(a.queue_name.as_deref(), Some("Orders"));
    // A bad name.
    let raw = Raw::new(&mock);
    let v = raw
        .call("CreateQueue", &[("queueName", "1-starts-with-a-digit")])
        .await;
    assert_code(&v, 4000, &text(ErrorId::QueueNameFormat));
    // Deleted: blocked for 10 s, in any case.
    c.queue("orders").delete().await.expect("delete");
    expect_err(
        c.queue("ORDERS").create().await,
        ErrorId::QueueReleasing,
        "",
    );
    mock.clock().advance(Duration::from_millis(9_999));
    expect_err(
        c.queue("Orders").create().await,
        ErrorId::QueueReleasing,
        "",
    );
    mock.clock().advance(Duration::from_millis(1));
    c.queue("orders")
        .create()
        .await
        .expect("created again after 10 s");
    let listed = c.list_queue().send().await.expect("list");
    assert_eq!(listed.queue_list[0].queue_name, "orders");
}

#[tokio::test]
async fn a_missing_queue_is_4440_for_every_action() {
    let (mock, _) = mock().await;
    let c = client(&mock);
    let q = c.queue("nowhere");
    let e = ErrorId::QueueNotExist;
    expect_err(q.send("x").await, e, "");
    expect_err(q.send_delayed("x", 5).await, e, "");
    expect_err(q.batch_send(["x", "y"]).await, e, "");
    expect_err(q.receive(Some(0)).await, e, "");
    expect_err(q.batch_receive(4, Some(0)).await, e, "");
    expect_err(q.delete_message("123456789").await, e, "");
    expect_err(q.batch_delete(["123456789"]).await, e, "");
    expect_err(q.attributes().await, e, "");
    expect_err(
        q.set_attributes(SetQueueAttributesInput::new().visibility_timeout(5))
            .await,
        e,
        "",
    );
    expect_err(q.delete().await, e, "");
    expect_err(q.rewind(secs(wall_secs())).await, e, "");
    expect_err(q.unbind_dead_letter_queue().await, e, "");
    let r: Result<Vec<_>, Error> = q.dead_letter_sources().try_collect().await;
    expect_err(r, e, "");
    expect_err(
        c.query_queue_route().queue_name("nowhere").send().await,
        e,
        "",
    );
}

#[tokio::test]
async fn queue_quota_is_10000_per_account() {
    let (mock, _) = mock_with(|b| b.account("AKIDquota", "k").account("AKIDother", "k2")).await;
    // Filling 10,000 queues over HTTP would take long in a debug build; the engine is the same
    // state the HTTP requests reach.
    let account = mock.engine().account("AKIDquota").expect("account");
    for i in 0..10_000 {
        account
            .create_queue(&format!("q{i}"), &QueueConfigUpdate::default())
            .expect("create");
    }
    let c = client(&mock);
    assert_eq!(
        c.list_queue()
            .limit(1)
            .send()
            .await
            .expect("list")
            .total_count,
        10_000
    );
    expect_err(
        c.queue("one-more").create().await,
        ErrorId::QueueQuotaExceeded,
        "",
    );
    // Per account.
    let other = Client::new(&mock.endpoint(), Credentials::new("AKIDother", "k2")).expect("client");
    other
        .queue("one-more")
        .create()
        .await
        .expect("other account has room");
    c.queue("q0").delete().await.expect("delete");
    c.queue("one-more").create().await.expect("room again");
    expect_err(
        c.queue("yet-another").create().await,
        ErrorId::QueueQuotaExceeded,
        "",
    );
}

#[tokio::test]
async fn visibility_timeout_and_receipt_handles() {
    let (mock, t0) = mock_with(|b| b.queue("q")).await;
    let q = client(&mock).queue("q");
    let t = secs(t0);
    let id = q.send("v").await.expect("send");
    assert_eq!(counters(&q).await, [1, 0, 0, 0, t]);
    let m1 = q
        .receive(Some(0))
        .await
        .expect("receive")
        .expect("a message");
    assert_eq!(
        (m1.msg_id.as_str(), m1.body.as_str(), m1.dequeue_count),
        (id.as_str(), "v", 1)
    );
    assert_eq!(
        (m1.enqueue_time, m1.first_dequeue_time, m1.next_visible_time),
        (t, t, t + 30)
    );
    assert_eq!(counters(&q).await, [0, 1, 0, 0, t]);
    assert!(q.receive(Some(0)).await.expect("receive").is_none());
    mock.clock().advance(Duration::from_millis(29_999));
    assert!(q.receive(Some(0)).await.expect("receive").is_none());
    assert_eq!(counters(&q).await, [0, 1, 0, 0, t]);
    mock.clock().advance(Duration::from_millis(1));
    assert_eq!(counters(&q).await, [1, 0, 0, 0, t]);
    let m2 = q
        .receive(Some(0))
        .await
        .expect("receive")
        .expect("visible again");
    assert_eq!((m2.msg_id.as_str(), m2.dequeue_count), (id.as_str(), 2));
    assert_eq!(
        (m2.enqueue_time, m2.first_dequeue_time, m2.next_visible_time),
        (t, t, t + 60)
    );
    assert_ne!(m1.receipt_handle, m2.receipt_handle);
    expect_err(
        q.delete_message(&m1.receipt_handle).await,
        ErrorId::InvalidReceiptHandle,
        "",
    );
    assert_eq!(counters(&q).await, [0, 1, 0, 0, t]);
    q.delete_message(&m2.receipt_handle)
        .await
        .expect("latest handle deletes");
    assert_eq!(counters(&q).await, [0, 0, 0, 0, 0]);
    expect_err(
        q.delete_message(&m2.receipt_handle).await,
        ErrorId::InvalidReceiptHandle,
        "",
    );
    // A handle stops working exactly at nextVisibleTime.
    q.send("w").await.expect("send");
    let m = q.receive(Some(0)).await.expect("receive").expect("message");
    assert_eq!((m.enqueue_time, m.next_visible_time), (t + 30, t + 60));
    mock.clock().advance(Duration::from_secs(30));
    expect_err(
        q.delete_message(&m.receipt_handle).await,
        ErrorId::InvalidReceiptHandle,
        "",
    );
    assert_eq!(counters(&q).await, [1, 0, 0, 0, t + 30]);
    // A malformed handle is another error.
    expect_err(
        q.delete_message("not-a-handle").await,
        ErrorId::ReceiptHandleError,
        "",
    );
    // A handle of another queue.
    let other = client(&mock).queue("other");
    other.create().await.expect("create");
    other.send("o").await.expect("send");
    let om = other
        .receive(Some(0))
        .await
        .expect("receive")
        .expect("message");
    expect_err(
        q.delete_message(&om.receipt_handle).await,
        ErrorId::InvalidReceiptHandle,
        "",
    );
    other
        .delete_message(&om.receipt_handle)
        .await
        .expect("own queue");
}

#[tokio::test]
async fn a_long_poll_is_woken_at_once_by_a_send() {
    let (mock, t0) = mock_with(|b| b.queue("q")).await;
    let c = client(&mock);
    let q = c.queue("q");
    let waiting = tokio::spawn({
        let q = q.clone();
        async move { q.receive(Some(10)).await }
    });
    wait_deadline(mock.clock(), t0 * 1000 + 10_000).await;
    let id = q.send("wake up").await.expect("send");
    let got = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("answered without the clock moving")
        .expect("task")
        .expect("receive")
        .expect("a message");
    assert_eq!((got.msg_id, got.body.as_str()), (id, "wake up"));
    assert_eq!(mock.clock().now_ms(), t0 * 1000);
    assert_eq!(mock.clock().next_deadline_ms(), None);
    // Batch receives too, and a batch long poll takes what is there when it wakes.
    let waiting = tokio::spawn({
        let q = q.clone();
        async move { q.batch_receive(16, Some(20)).await }
    });
    wait_deadline(mock.clock(), t0 * 1000 + 20_000).await;
    q.batch_send(["a", "b", "c"]).await.expect("send");
    let got = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("answered")
        .expect("task")
        .expect("receive");
    let bodies: Vec<&str> = got.iter().map(|m| m.body.as_str()).collect();
    assert_eq!(bodies, ["a", "b", "c"]);
}

#[tokio::test]
async fn a_long_poll_ends_with_4440_when_its_queue_is_deleted() {
    let (mock, t0) = mock_with(|b| b.queue("q")).await;
    let c = client(&mock);
    let waiting = tokio::spawn({
        let q = c.queue("q");
        async move { q.receive(Some(30)).await }
    });
    wait_deadline(mock.clock(), t0 * 1000 + 30_000).await;
    c.queue("q").delete().await.expect("delete");
    let r = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("answered without the clock moving")
        .expect("task");
    expect_err(r, ErrorId::QueueNotExist, "");
}

#[tokio::test]
async fn a_long_poll_is_woken_by_a_visibility_expiry() {
    let (mock, t0) =
        mock_with(|b| b.queue_with(serde_json::json!({"queueName": "q", "visibilityTimeout": 5})))
            .await;
    let q = client(&mock).queue("q");
    q.send("again").await.expect("send");
    let first = q.receive(Some(0)).await.expect("receive").expect("message");
    let waiting = tokio::spawn({
        let q = q.clone();
        async move { q.receive(Some(20)).await }
    });
    // The waiter sleeps until the visibility timeout ends, not until its window ends.
    wait_deadline(mock.clock(), t0 * 1000 + 5_000).await;
    mock.clock().advance(Duration::from_millis(4_999));
    settle_io().await;
    assert!(!waiting.is_finished());
    mock.clock().advance(Duration::from_millis(1));
    let got = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("answered")
        .expect("task")
        .expect("receive")
        .expect("a message");
    assert_eq!((got.msg_id, got.dequeue_count), (first.msg_id, 2));
    assert_eq!(got.next_visible_time, secs(t0) + 10);
}

#[tokio::test]
async fn a_long_poll_is_woken_by_a_delay_ending() {
    let (mock, t0) = mock_with(|b| b.queue("q")).await;
    let q = client(&mock).queue("q");
    let id = q.send_delayed("later", 7).await.expect("send");
    let waiting = tokio::spawn({
        let q = q.clone();
        async move { q.receive(Some(30)).await }
    });
    wait_deadline(mock.clock(), t0 * 1000 + 7_000).await;
    mock.clock().advance(Duration::from_secs(7));
    let got = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("answered")
        .expect("task")
        .expect("receive")
        .expect("a message");
    assert_eq!((got.msg_id, got.enqueue_time), (id, secs(t0)));
    assert_eq!(got.first_dequeue_time, secs(t0) + 7);
}

#[tokio::test]
async fn the_queue_polling_wait_is_the_default_window_and_7000_comes_at_its_end() {
    let (mock, t0) =
        mock_with(|b| b.queue_with(serde_json::json!({"queueName": "q", "pollingWaitSeconds": 5})))
            .await;
    let c = client(&mock);
    let waiting = tokio::spawn({
        let c = c.clone();
        // No pollingWaitSeconds: the queue's 5 s apply.
        async move { c.receive_message().queue_name("q").send().await }
    });
    wait_deadline(mock.clock(), t0 * 1000 + 5_000).await;
    mock.clock().advance(Duration::from_millis(4_999));
    settle_io().await;
    assert!(!waiting.is_finished(), "answered before the window ended");
    mock.clock().advance(Duration::from_millis(1));
    let r = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("answered")
        .expect("task");
    expect_err(r, ErrorId::NoMessage, "");
    // The handle reports "no message" as None; an explicit 0 answers at once.
    assert!(
        c.queue("q")
            .receive(Some(0))
            .await
            .expect("receive")
            .is_none()
    );
    let r = c
        .batch_receive_message()
        .queue_name("q")
        .num_of_msg(3)
        .polling_wait_seconds(0)
        .send()
        .await;
    expect_err(r, ErrorId::NoMessage, "");
    // A request's own window overrides the queue's.
    let waiting = tokio::spawn({
        let c = c.clone();
        async move { c.queue("q").batch_receive(2, Some(2)).await }
    });
    let now = mock.clock().now_ms();
    wait_deadline(mock.clock(), now + 2_000).await;
    mock.clock().advance(Duration::from_secs(2));
    let got = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("answered")
        .expect("task")
        .expect("receive");
    assert!(got.is_empty());
}

#[tokio::test]
async fn delayed_messages_and_their_counters() {
    let (mock, t0) = mock_with(|b| b.queue("q")).await;
    let q = client(&mock).queue("q");
    let t = secs(t0);
    q.send_delayed("d60", 60).await.expect("send");
    assert_eq!(counters(&q).await, [0, 0, 1, 0, t]);
    assert!(q.receive(Some(0)).await.expect("receive").is_none());
    q.batch_send_delayed(["x", "y"], 30).await.expect("send");
    q.send("now").await.expect("send");
    assert_eq!(counters(&q).await, [1, 0, 3, 0, t]);
    let m = q.receive(Some(0)).await.expect("receive").expect("message");
    assert_eq!(m.body, "now");
    assert_eq!(counters(&q).await, [0, 1, 3, 0, t]);
    mock.clock().advance(Duration::from_millis(29_999));
    assert_eq!(counters(&q).await, [0, 1, 3, 0, t]);
    mock.clock().advance(Duration::from_millis(1));
    // x, y and "now" (its visibility timeout ended too) are visible; d60 is still delayed.
    assert_eq!(counters(&q).await, [3, 0, 1, 0, t]);
    let got = q.batch_receive(16, Some(0)).await.expect("receive");
    let bodies: Vec<&str> = got.iter().map(|m| m.body.as_str()).collect();
    // Production order: "now" (visible again after its 30 s), then x and y.
    assert_eq!(bodies, ["x", "y", "now"]);
    assert!(got.iter().all(|m| m.enqueue_time == t));
    q.batch_delete(got.iter().map(|m| m.receipt_handle.clone()))
        .await
        .expect("delete");
    assert_eq!(counters(&q).await, [0, 0, 1, 0, t]);
    mock.clock().advance(Duration::from_secs(30));
    assert_eq!(counters(&q).await, [1, 0, 0, 0, t]);
    let m = q.receive(Some(0)).await.expect("receive").expect("message");
    assert_eq!((m.body.as_str(), m.first_dequeue_time), ("d60", t + 60));
    // delaySeconds above the default (TDMQ) profile's 6048000 is refused by the mock as well
    // as by the SDK.
    assert!(matches!(
        q.send_delayed("x", 6_048_001).await,
        Err(Error::Validation(_))
    ));
    expect_err(
        unvalidated(&mock)
            .queue("q")
            .send_delayed("x", 6_048_001)
            .await,
        ErrorId::DelaySecondsOutOfRange,
        "",
    );
}

#[tokio::test]
async fn messages_expire_after_the_retention_period() {
    let (mock, t0) = mock_with(|b| {
        b.queue_with(serde_json::json!({
            "queueName": "q", "msgRetentionSeconds": 60, "rewindSeconds": 60,
        }))
    })
    .await;
    let q = client(&mock).queue("q");
    let t = secs(t0);
    q.send("a").await.expect("send");
    q.send("inflight").await.expect("send");
    mock.clock().advance(Duration::from_secs(30));
    q.send("b").await.expect("send");
    let a = q.receive(Some(0)).await.expect("receive").expect("a");
    assert_eq!(a.body, "a");
    q.delete_message(&a.receipt_handle).await.expect("delete");
    let inflight = q
        .receive(Some(0))
        .await
        .expect("receive")
        .expect("inflight");
    assert_eq!(inflight.body, "inflight");
    assert_eq!(counters(&q).await, [1, 1, 0, 1, t]);
    mock.clock().advance(Duration::from_millis(29_999));
    assert_eq!(counters(&q).await, [1, 1, 0, 1, t]);
    // At 60 s the deleted (retained) one and the in-flight one are gone.
    mock.clock().advance(Duration::from_millis(1));
    assert_eq!(counters(&q).await, [1, 0, 0, 0, t + 30]);
    expect_err(
        q.delete_message(&inflight.receipt_handle).await,
        ErrorId::InvalidReceiptHandle,
        "",
    );
    mock.clock().advance(Duration::from_secs(30));
    assert_eq!(counters(&q).await, [0, 0, 0, 0, 0]);
    assert!(q.receive(Some(0)).await.expect("receive").is_none());
}

#[tokio::test]
async fn signed_requests_keep_working_after_days_of_virtual_time() {
    // The default retention is 4 days; the SDK signs with the wall clock all along.
    let (mock, t0) = mock_with(|b| b.queue("q")).await;
    let q = client(&mock).queue("q");
    q.send("old").await.expect("send");
    mock.clock().advance(Duration::from_secs(345_599));
    assert_eq!(counters(&q).await, [1, 0, 0, 0, secs(t0)]);
    mock.clock().advance(Duration::from_secs(1));
    assert_eq!(counters(&q).await, [0, 0, 0, 0, 0]);
    q.send("new").await.expect("send");
    let m = q.receive(Some(0)).await.expect("receive").expect("new");
    assert_eq!(m.enqueue_time, secs(t0) + 345_600);
    // The Timestamp window is the wall clock's: a request stamped with the virtual time is
    // four days off.
    let raw = Raw::new(&mock);
    let p = raw.signed(
        "POST",
        "/v2/index.php",
        raw.params_at("ListQueue", &[], mock.clock().now_secs()),
    );
    let (_, v) = raw.post(&p).await;
    assert_code(&v, 4100, &text(ErrorId::AuthenticationFailed));
}

#[tokio::test]
async fn a_full_heap_refuses_sends_with_4410() {
    let (mock, t0) = mock().await;
    let c = client(&mock);
    // The static range (1,000,000..) holds over HTTP, for the SDK and for the mock.
    assert!(matches!(
        c.queue("small")
            .create_with(CreateQueueInput::new().max_msg_heap_num(3))
            .await,
        Err(Error::Validation(_))
    ));
    expect_err(
        unvalidated(&mock)
            .queue("small")
            .create_with(CreateQueueInput::new().max_msg_heap_num(3))
            .await,
        ErrorId::ValueOutOfRange,
        "maxMsgHeapNum",
    );
    // A small heap made in process (the engine keeps only the cross-field rules) and then used
    // over HTTP.
    let account = mock.engine().account(mock.secret_id()).expect("account");
    account
        .create_queue(
            "small",
            &QueueConfigUpdate {
                max_msg_heap_num: Some(3),
                ..QueueConfigUpdate::default()
            },
        )
        .expect("create");
    let q = c.queue("small");
    assert_eq!(
        q.attributes().await.expect("attributes").max_msg_heap_num,
        3
    );
    q.send("1").await.expect("send");
    q.send_delayed("2", 10).await.expect("send");
    let m = q.receive(Some(0)).await.expect("receive").expect("1");
    q.send("3").await.expect("send");
    // Active + inactive + delayed = 3.
    let t = secs(t0);
    assert_eq!(counters(&q).await, [1, 1, 1, 0, t]);
    expect_err(q.send("4").await, ErrorId::QueueFull, "");
    expect_err(q.batch_send(["4"]).await, ErrorId::QueueFull, "");
    q.delete_message(&m.receipt_handle).await.expect("delete");
    // A batch is all or nothing.
    expect_err(q.batch_send(["4", "5"]).await, ErrorId::QueueFull, "");
    assert_eq!(counters(&q).await, [1, 0, 1, 0, t]);
    q.batch_send(["4"]).await.expect("one fits");
    assert_eq!(counters(&q).await, [2, 0, 1, 0, t]);
    expect_err(q.send("5").await, ErrorId::QueueFull, "");
    // Topics fanning out into a full queue are logged, not answered (see e2e_topics).
}

#[tokio::test]
async fn message_size_is_limited_by_the_queue() {
    let (mock, t0) =
        mock_with(|b| b.queue_with(serde_json::json!({"queueName": "q", "maxMsgSize": 1024})))
            .await;
    let q = client(&mock).queue("q");
    q.send("a".repeat(1024)).await.expect("exactly maxMsgSize");
    expect_err(q.send("a".repeat(1025)).await, ErrorId::MessageTooLarge, "");
    expect_err(
        q.batch_send(["ok".to_owned(), "a".repeat(1025)]).await,
        ErrorId::MessageTooLarge,
        "",
    );
    // Multibyte text counts in bytes: 342 × 3 bytes = 1026.
    expect_err(q.send("€".repeat(342)).await, ErrorId::MessageTooLarge, "");
    q.send("€".repeat(341)).await.expect("1023 bytes");
    assert_eq!(counters(&q).await, [2, 0, 0, 0, secs(t0)]);
    q.set_attributes(SetQueueAttributesInput::new().max_msg_size(2048))
        .await
        .expect("set");
    q.send("a".repeat(1025)).await.expect("fits now");
    // An empty body.
    expect_err(
        unvalidated(&mock).queue("q").send("").await,
        ErrorId::MessageBodyEmpty,
        "",
    );
    assert_eq!(counters(&q).await[0], 3);
}

#[tokio::test]
async fn batch_limits() {
    let (mock, t0) = mock_with(|b| b.queue("q")).await;
    let raw = Raw::new(&mock);
    let names: Vec<String> = (1..=17).map(|i| format!("msgBody.{i}")).collect();
    let bodies: Vec<String> = (1..=17).map(|i| format!("m{i}")).collect();
    let mut extra: Vec<(&str, &str)> = vec![("queueName", "q")];
    extra.extend(
        names
            .iter()
            .map(String::as_str)
            .zip(bodies.iter().map(String::as_str)),
    );
    let v = raw.call("BatchSendMessage", &extra).await;
    assert_code(
        &v,
        4000,
        "(10370)msgBody parameter batch size is out of range",
    );
    // The SDK refuses 17 before sending; unvalidated, the mock answers the same.
    let q = client(&mock).queue("q");
    assert!(matches!(
        q.batch_send(bodies.clone()).await,
        Err(Error::Validation(_))
    ));
    expect_err(
        unvalidated(&mock)
            .queue("q")
            .batch_send(bodies.clone())
            .await,
        ErrorId::BatchSizeOutOfRange,
        "msgBody",
    );
    let sixteen = q
        .batch_send(bodies[..16].to_vec())
        .await
        .expect("16 is fine");
    assert_eq!(sixteen.len(), 16);
    expect_err(
        unvalidated(&mock)
            .queue("q")
            .batch_receive(17, Some(0))
            .await,
        ErrorId::ValueOutOfRange,
        "numOfMsg",
    );
    expect_err(
        unvalidated(&mock)
            .queue("q")
            .batch_receive(0, Some(0))
            .await,
        ErrorId::ValueOutOfRange,
        "numOfMsg",
    );
    let got = q.batch_receive(16, Some(0)).await.expect("receive");
    assert_eq!(got.len(), 16);
    let mut handles: Vec<String> = got.iter().map(|m| m.receipt_handle.clone()).collect();
    handles.push("1".into());
    let r = unvalidated(&mock)
        .execute(
            BatchDeleteMessageInput::new()
                .queue_name("q")
                .receipt_handle(handles.clone()),
        )
        .await;
    expect_err(r, ErrorId::BatchSizeOutOfRange, "receiptHandle");
    handles.pop();
    assert!(q.batch_delete(handles).await.expect("delete").is_complete());
    assert_eq!(counters(&q).await, [0, 0, 0, 0, 0]);
    // The batch total: 64 KiB of bodies at most.
    let half = "h".repeat(32_768);
    let ids = q
        .batch_send([half.clone(), half.clone()])
        .await
        .expect("65536 bytes in all");
    assert_eq!(ids.len(), 2);
    let r = q
        .client()
        .execute(BatchSendMessageInput::new().queue_name("q").msg_body(vec![
            half.clone(),
            half.clone(),
            "x".into(),
        ]))
        .await;
    expect_err(r, ErrorId::BatchTotalSizeTooLarge, "");
    assert_eq!(counters(&q).await, [2, 0, 0, 0, secs(t0)]);
    // A single send is not a batch: its own limit only.
    let r = q
        .client()
        .execute(SendMessageInput::new().queue_name("q").msg_body(half))
        .await;
    assert!(r.is_ok(), "{r:?}");
}

#[tokio::test]
async fn batch_delete_reports_partial_and_total_failure() {
    let (mock, t0) = mock_with(|b| b.queue("q")).await;
    let q = client(&mock).queue("q");
    q.batch_send(["1", "2", "3", "4"]).await.expect("send");
    let got = q.batch_receive(4, Some(0)).await.expect("receive");
    let h: Vec<String> = got.iter().map(|m| m.receipt_handle.clone()).collect();
    let t = secs(t0);
    // A well-formed handle that names nothing, and a malformed one.
    let report = q
        .batch_delete([
            h[0].clone(),
            "123456789".into(),
            h[2].clone(),
            "bad handle".into(),
        ])
        .await
        .expect("a partial failure is a report");
    assert_eq!(report.code, 6010);
    assert_eq!(report.message, text(ErrorId::DeleteMessagePartiallyFailed));
    assert!(report.request_id.as_deref().is_some_and(|r| !r.is_empty()));
    assert_eq!(report.deleted, [h[0].clone(), h[2].clone()]);
    let failed: Vec<(&str, i64, &str)> = report
        .failed
        .iter()
        .map(|f| (f.receipt_handle.as_str(), f.code, f.message.as_str()))
        .collect();
    assert_eq!(
        failed,
        [
            ("123456789", 4430, "invalid receiptHandle"),
            ("bad handle", 4000, "receiptHandle error"),
        ]
    );
    assert_eq!(counters(&q).await, [0, 2, 0, 0, t]);
    // Everything failed: 6020, every handle listed.
    let report = q
        .batch_delete([h[0].clone(), h[2].clone()])
        .await
        .expect("a total failure is a report too");
    assert_eq!(report.code, 6020);
    assert_eq!(report.message, text(ErrorId::BatchDeleteMessageFailed));
    assert!(report.deleted.is_empty());
    assert_eq!(
        report.failed_handles().collect::<Vec<_>>(),
        [h[0].as_str(), h[2].as_str()]
    );
    assert!(
        report
            .failed
            .iter()
            .all(|f| f.code == 4430 && f.message == "invalid receiptHandle")
    );
    // The raw shape of the answer.
    let raw = Raw::new(&mock);
    let v = raw
        .call(
            "BatchDeleteMessage",
            &[
                ("queueName", "q"),
                ("receiptHandle.1", &h[1]),
                ("receiptHandle.2", &h[0]),
            ],
        )
        .await;
    assert_code(&v, 6010, &text(ErrorId::DeleteMessagePartiallyFailed));
    assert_eq!(
        v["errorList"],
        serde_json::json!([{"code": 4430, "message": "invalid receiptHandle", "receiptHandle": h[0]}])
    );
    assert_eq!(counters(&q).await, [0, 1, 0, 0, t]);
    let report = q.batch_delete([h[3].clone()]).await.expect("delete");
    assert!(report.is_complete());
    assert_eq!((report.code, report.deleted.len()), (0, 1));
    assert_eq!(counters(&q).await, [0, 0, 0, 0, 0]);
}

#[tokio::test]
async fn rewind_replays_from_start_consume_time_in_production_order() {
    let (mock, t0) = mock_with(|b| {
        b.queue_with(serde_json::json!({
            "queueName": "q", "rewindSeconds": 3600, "msgRetentionSeconds": 7200,
        }))
    })
    .await;
    let q = client(&mock).queue("q");
    let t = secs(t0);
    let m1 = q.send("m1").await.expect("send");
    mock.clock().advance(Duration::from_secs(1));
    let m2 = q.send("m2").await.expect("send");
    mock.clock().advance(Duration::from_secs(1));
    let m3 = q.send("m3").await.expect("send");
    // Consume in reverse deletion order to show that production order is what counts.
    let got = q.batch_receive(16, Some(0)).await.expect("receive");
    assert_eq!(got.len(), 3);
    for m in got.iter().rev() {
        q.delete_message(&m.receipt_handle).await.expect("delete");
    }
    assert_eq!(counters(&q).await, [0, 0, 0, 3, 0]);
    q.rewind(t + 1).await.expect("rewind");
    assert_eq!(counters(&q).await, [2, 0, 0, 1, t + 1]);
    let r2 = q.receive(Some(0)).await.expect("receive").expect("m2");
    assert_eq!((r2.msg_id.as_str(), r2.dequeue_count), (m2.as_str(), 2));
    assert_eq!(counters(&q).await, [1, 1, 0, 1, t + 1]);
    // Rewinding again, further back: m1 comes back, the in-flight m2 is visible again at once
    // (its handle dies), and consumption restarts in production order.
    q.rewind(t).await.expect("rewind");
    assert_eq!(counters(&q).await, [3, 0, 0, 0, t]);
    expect_err(
        q.delete_message(&r2.receipt_handle).await,
        ErrorId::InvalidReceiptHandle,
        "",
    );
    let again = q.batch_receive(16, Some(0)).await.expect("receive");
    let ids: Vec<&str> = again.iter().map(|m| m.msg_id.as_str()).collect();
    assert_eq!(ids, [m1.as_str(), m2.as_str(), m3.as_str()]);
    let counts: Vec<i64> = again.iter().map(|m| m.dequeue_count).collect();
    assert_eq!(counts, [2, 3, 2]);
    assert!(
        q.batch_delete(again.iter().map(|m| m.receipt_handle.clone()))
            .await
            .expect("delete")
            .is_complete()
    );
    assert_eq!(counters(&q).await, [0, 0, 0, 3, 0]);
    // Turning rewind off drops the retained messages at once.
    q.set_attributes(SetQueueAttributesInput::new().rewind_seconds(0))
        .await
        .expect("set");
    assert_eq!(counters(&q).await, [0, 0, 0, 0, 0]);
    expect_err(q.rewind(t).await, ErrorId::QueueCannotRewind, "");
}

#[tokio::test]
async fn rewind_window_and_disabled_rewind() {
    let (mock, t0) = mock_with(|b| {
        b.queue("plain").queue_with(serde_json::json!({
            "queueName": "q", "rewindSeconds": 60, "msgRetentionSeconds": 600,
        }))
    })
    .await;
    let c = client(&mock);
    let t = secs(t0);
    expect_err(
        c.queue("plain").rewind(t).await,
        ErrorId::QueueCannotRewind,
        "",
    );
    let q = c.queue("q");
    mock.clock().advance(Duration::from_secs(100));
    let now = t + 100;
    // Nothing unconsumed: the window is [now - 60, now].
    expect_err(q.rewind(now - 61).await, ErrorId::InvalidRewindTime, "");
    expect_err(q.rewind(now + 1).await, ErrorId::InvalidRewindTime, "");
    q.rewind(now - 60).await.expect("oldest allowed");
    q.rewind(now).await.expect("newest allowed");
    // With an unconsumed message enqueued at T, the newest allowed time is T (minMsgTime).
    mock.clock().advance(Duration::from_secs(10));
    q.send("x").await.expect("send");
    mock.clock().advance(Duration::from_secs(5));
    let now = t + 115;
    assert_eq!(counters(&q).await, [1, 0, 0, 0, t + 110]);
    expect_err(q.rewind(t + 111).await, ErrorId::InvalidRewindTime, "");
    q.rewind(t + 110).await.expect("minMsgTime");
    q.rewind(now - 60).await.expect("oldest");
    expect_err(q.rewind(now - 61).await, ErrorId::InvalidRewindTime, "");
}

#[tokio::test]
async fn dead_letters_after_max_receive_count() {
    let (mock, t0) = mock_with(|b| b.queue("dlq")).await;
    let c = client(&mock);
    let src = c.queue("src");
    src.create_with(
        CreateQueueInput::new()
            .visibility_timeout(10)
            .dead_letter_policy(policy0("DLQ", 2)),
    )
    .await
    .expect("create");
    let a = src.attributes().await.expect("attributes");
    // The stored policy names the queue as created.
    assert_eq!(a.dead_letter_policy, Some(policy0("dlq", 2)));
    let dlq = c.queue("dlq");
    let t = secs(t0);
    let id = src.send("poison").await.expect("send");
    let r1 = src.receive(Some(0)).await.expect("receive").expect("1st");
    assert_eq!(r1.dequeue_count, 1);
    mock.clock().advance(Duration::from_secs(10));
    let r2 = src.receive(Some(0)).await.expect("receive").expect("2nd");
    assert_eq!(r2.dequeue_count, 2);
    assert_eq!(counters(&src).await, [0, 1, 0, 0, t]);
    // A long poll on the dead-letter queue wakes when the message arrives.
    let waiting = tokio::spawn({
        let dlq = dlq.clone();
        async move { dlq.receive(Some(30)).await }
    });
    wait_deadline(mock.clock(), t0 * 1000 + 20_000).await;
    mock.clock().advance(Duration::from_secs(10));
    let dead = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("answered")
        .expect("task")
        .expect("receive")
        .expect("the dead letter");
    assert_eq!(
        (dead.msg_id.as_str(), dead.body.as_str()),
        (id.as_str(), "poison")
    );
    assert_eq!(
        (
            dead.dequeue_count,
            dead.enqueue_time,
            dead.first_dequeue_time
        ),
        (1, t + 20, t + 20)
    );
    assert_eq!(counters(&src).await, [0, 0, 0, 0, 0]);
    assert_eq!(counters(&dlq).await, [0, 1, 0, 0, t + 20]);
    expect_err(
        src.delete_message(&r2.receipt_handle).await,
        ErrorId::InvalidReceiptHandle,
        "",
    );
    dlq.delete_message(&dead.receipt_handle)
        .await
        .expect("delete");
    // A message deleted in time is never dead-lettered.
    src.send("fine").await.expect("send");
    let _first = src.receive(Some(0)).await.expect("receive").expect("m");
    mock.clock().advance(Duration::from_secs(10));
    let m = src
        .receive(Some(0))
        .await
        .expect("receive")
        .expect("m again");
    assert_eq!(m.dequeue_count, 2);
    src.delete_message(&m.receipt_handle).await.expect("delete");
    mock.clock().advance(Duration::from_secs(10));
    assert_eq!(counters(&dlq).await, [0, 0, 0, 0, 0]);
}

#[tokio::test]
async fn dead_letters_after_max_time_to_live() {
    let (mock, t0) = mock_with(|b| b.queue("dlq")).await;
    let c = client(&mock);
    let src = c.queue("src");
    let policy = DeadLetterPolicy {
        dead_letter_queue: Some("dlq".into()),
        policy: Some(1),
        max_receive_count: None,
        max_time_to_live: Some(300),
    };
    // maxTimeToLive must be below msgRetentionSeconds: the SDK checks it, and so does the mock.
    assert!(matches!(
        src.create_with(
            CreateQueueInput::new()
                .msg_retention_seconds(300)
                .dead_letter_policy(policy.clone()),
        )
        .await,
        Err(Error::Validation(_))
    ));
    expect_err(
        unvalidated(&mock)
            .queue("src")
            .create_with(
                CreateQueueInput::new()
                    .msg_retention_seconds(300)
                    .dead_letter_policy(policy.clone()),
            )
            .await,
        ErrorId::DeadLetterPolicyParamsError,
        "",
    );
    src.create_with(
        CreateQueueInput::new()
            .msg_retention_seconds(600)
            .dead_letter_policy(policy.clone()),
    )
    .await
    .expect("create");
    assert_eq!(
        src.attributes().await.expect("a").dead_letter_policy,
        Some(policy)
    );
    let dlq = c.queue("dlq");
    let t = secs(t0);
    let id = src.send("stale").await.expect("send");
    mock.clock().advance(Duration::from_secs(100));
    src.send("fresh").await.expect("send");
    // Being received does not stop the clock of policy 1.
    let r = src.receive(Some(0)).await.expect("receive").expect("stale");
    assert_eq!(r.msg_id, id);
    mock.clock().advance(Duration::from_millis(199_999));
    // Both visible (the receive's 30 s are over), neither dead yet.
    assert_eq!(counters(&src).await, [2, 0, 0, 0, t]);
    assert_eq!(counters(&dlq).await, [0, 0, 0, 0, 0]);
    mock.clock().advance(Duration::from_millis(1));
    assert_eq!(counters(&src).await, [1, 0, 0, 0, t + 100]);
    assert_eq!(counters(&dlq).await, [1, 0, 0, 0, t + 300]);
    let dead = dlq.receive(Some(0)).await.expect("receive").expect("dead");
    assert_eq!(
        (dead.msg_id, dead.body.as_str(), dead.dequeue_count),
        (id, "stale", 1)
    );
    // At t + 400 "fresh" has lived 300 s too; the first dead letter is visible again.
    mock.clock().advance(Duration::from_secs(100));
    assert_eq!(counters(&src).await, [0, 0, 0, 0, 0]);
    assert_eq!(counters(&dlq).await, [2, 0, 0, 0, t + 300]);
}

#[tokio::test]
async fn dead_letter_bindings_are_listed_unbound_and_protect_the_queue() {
    let (mock, _) = mock_with(|b| b.queue("dlq").queue("other")).await;
    let c = client(&mock);
    for name in ["s1", "s2"] {
        c.queue(name)
            .create_with(CreateQueueInput::new().dead_letter_policy(policy0("dlq", 3)))
            .await
            .expect("create");
    }
    c.queue("other")
        .set_dead_letter_policy(policy0("dlq", 5))
        .await
        .expect("bind an existing queue");
    let sources = c
        .list_dead_letter_source_queues()
        .dead_letter_queue_name("dlq")
        .send()
        .await
        .expect("list");
    assert_eq!(sources.total_count, 3);
    let names: Vec<&str> = sources
        .queue_list
        .iter()
        .map(|q| q.queue_name.as_str())
        .collect();
    assert_eq!(names, ["other", "s1", "s2"]);
    let page = c
        .list_dead_letter_source_queues()
        .dead_letter_queue_name("dlq")
        .search_word("S")
        .offset(1)
        .limit(1)
        .send()
        .await
        .expect("list");
    assert_eq!(page.total_count, 2);
    assert_eq!(page.queue_list[0].queue_name, "s2");
    let streamed: Vec<String> = c
        .queue("dlq")
        .dead_letter_sources()
        .map_ok(|q| q.queue_name)
        .try_collect()
        .await
        .expect("stream");
    assert_eq!(streamed, ["other", "s1", "s2"]);
    // In use: cannot be deleted.
    expect_err(
        c.queue("dlq").delete().await,
        ErrorId::DeleteDeadLetterQueueNotAllowed,
        "",
    );
    // Bad bindings.
    expect_err(
        c.queue("x")
            .create_with(CreateQueueInput::new().dead_letter_policy(policy0("nope", 3)))
            .await,
        ErrorId::DeadLetterQueueNotExist,
        "",
    );
    expect_err(
        c.queue("x")
            .create_with(CreateQueueInput::new().dead_letter_policy(policy0("s1", 3)))
            .await,
        ErrorId::DeadLetterQueueNesting,
        "",
    );
    expect_err(
        c.queue("dlq")
            .set_dead_letter_policy(policy0("s1", 3))
            .await,
        ErrorId::DeadLetterQueueNesting,
        "",
    );
    let raw = Raw::new(&mock);
    let v = raw
        .call(
            "CreateQueue",
            &[("queueName", "x"), ("deadLetterPolicy", "not json")],
        )
        .await;
    assert_code(&v, 4000, &text(ErrorId::DeadLetterPolicyNotJson));
    let v = raw
        .call(
            "CreateQueue",
            &[
                ("queueName", "x"),
                (
                    "deadLetterPolicy",
                    r#"{"deadLetterQueue":"dlq","policy":2}"#,
                ),
            ],
        )
        .await;
    assert_code(&v, 4000, &text(ErrorId::DeadLetterPolicyMemberInvalid));
    // One dead-letter queue serves at most 6 sources (3 so far).
    for i in 0..3 {
        c.queue(format!("more{i}"))
            .create_with(CreateQueueInput::new().dead_letter_policy(policy0("dlq", 1)))
            .await
            .expect("create");
    }
    expect_err(
        c.queue("seventh")
            .create_with(CreateQueueInput::new().dead_letter_policy(policy0("dlq", 1)))
            .await,
        ErrorId::DeadLetterQueueBindTooMany,
        "",
    );
    for i in 0..3 {
        c.queue(format!("more{i}")).delete().await.expect("delete");
    }
    // Unbind.
    c.queue("s1")
        .unbind_dead_letter_queue()
        .await
        .expect("unbind");
    assert_eq!(
        c.queue("s1")
            .attributes()
            .await
            .expect("a")
            .dead_letter_policy,
        None
    );
    expect_err(
        c.queue("s1").unbind_dead_letter_queue().await,
        ErrorId::DeadLetterQueueNotExist,
        "",
    );
    let left: Vec<String> = c
        .queue("dlq")
        .dead_letter_sources()
        .map_ok(|q| q.queue_name)
        .try_collect()
        .await
        .expect("stream");
    assert_eq!(left, ["other", "s2"]);
    c.queue("other")
        .unbind_dead_letter_queue()
        .await
        .expect("unbind");
    // Deleting a source releases its binding too.
    c.queue("s2").delete().await.expect("delete source");
    let sources = c
        .list_dead_letter_source_queues()
        .dead_letter_queue_name("dlq")
        .send()
        .await
        .expect("list");
    assert_eq!((sources.total_count, sources.queue_list.len()), (0, 0));
    c.queue("dlq").delete().await.expect("free now");
}

/// Reference §6.1 / §8.2: a deadLetterPolicy without `deadLetterQueue` (or with a non-string
/// one) answers 10760, one without `policy` answers 10770. The mock answers 10720 for both: the
/// spec's `DeadLetterPolicy` shape maps every missing or mistyped member to
/// DeadLetterPolicyParamsError, and the dispatcher validates with it before the engine's own
/// parser (`DeadLetterPolicy::parse_json`, which has the documented codes) is reached. The fix
/// belongs in `spec/attributes.json` (per-field error ids), which this suite may not edit.
#[tokio::test]
async fn dead_letter_policy_member_errors() {
    let (mock, _) = mock_with(|b| b.queue("dlq")).await;
    let raw = Raw::new(&mock);
    let cases = [
        (
            r#"{"policy":0,"maxReceiveCount":1}"#,
            ErrorId::DeadLetterQueueMemberMissing,
        ),
        (
            r#"{"deadLetterQueue":5,"policy":0,"maxReceiveCount":1}"#,
            ErrorId::DeadLetterQueueMemberMissing,
        ),
        (
            r#"{"deadLetterQueue":"dlq","maxReceiveCount":1}"#,
            ErrorId::DeadLetterPolicyMemberInvalid,
        ),
        (
            r#"{"deadLetterQueue":"dlq","policy":2}"#,
            ErrorId::DeadLetterPolicyMemberInvalid,
        ),
        (r#"[1,2]"#, ErrorId::DeadLetterPolicyNotJson),
    ];
    for (doc, e) in cases {
        let v = raw
            .call(
                "CreateQueue",
                &[("queueName", "x"), ("deadLetterPolicy", doc)],
            )
            .await;
        assert_code(&v, 4000, &text(e));
    }
}

#[tokio::test]
async fn receives_fail_with_6070_while_more_than_20000_messages_are_delayed() {
    let (mock, t0) = mock_with(|b| b.queue("q")).await;
    let q = client(&mock).queue("q");
    q.send("visible").await.expect("send");
    // 20,001 delayed messages, put in process (1,251 batch requests would be slow in debug).
    let account = mock.engine().account(mock.secret_id()).expect("account");
    for chunk in 0..1251 {
        let n = if chunk == 1250 { 1 } else { 16 };
        account
            .batch_send_message("q", (0..n).map(|i| format!("d{chunk}-{i}")), 60)
            .expect("send");
    }
    assert_eq!(counters(&q).await, [1, 0, 20_001, 0, secs(t0)]);
    expect_err(
        q.receive(Some(0)).await,
        ErrorId::TooManyUnackedMessages,
        "",
    );
    expect_err(
        q.batch_receive(16, Some(0)).await,
        ErrorId::TooManyUnackedMessages,
        "",
    );
    // Sends are not refused.
    q.send("more").await.expect("send");
    mock.clock().advance(Duration::from_secs(60));
    assert_eq!(counters(&q).await, [20_003, 0, 0, 0, secs(t0)]);
    let m = q.receive(Some(0)).await.expect("receive").expect("message");
    assert_eq!(m.body, "visible");
}

#[tokio::test]
async fn retention_and_time_to_live_are_checked_together() {
    let (mock, _) = mock_with(|b| b.queue("dlq")).await;
    let c = client(&mock);
    let q = c.queue("src");
    q.create_with(
        CreateQueueInput::new()
            .msg_retention_seconds(1000)
            .dead_letter_policy(DeadLetterPolicy {
                dead_letter_queue: Some("dlq".into()),
                policy: Some(1),
                max_receive_count: None,
                max_time_to_live: Some(600),
            }),
    )
    .await
    .expect("create");
    // Lowering the retention to the policy's TTL breaks the rule (checked by the mock against
    // the stored policy: the SDK cannot know it).
    expect_err(
        q.set_attributes(SetQueueAttributesInput::new().msg_retention_seconds(600))
            .await,
        ErrorId::DeadLetterPolicyParamsError,
        "",
    );
    q.set_attributes(SetQueueAttributesInput::new().msg_retention_seconds(601))
        .await
        .expect("601 > 600");
    assert_eq!(q.attributes().await.expect("a").msg_retention_seconds, 601);
}

#[tokio::test]
async fn handles_do_not_survive_their_queue() {
    let (mock, _) = mock_with(|b| b.relaxed(true).queue("q")).await;
    let q = client(&mock).queue("q");
    q.send("old").await.expect("send");
    let old = q.receive(Some(0)).await.expect("receive").expect("old");
    q.delete().await.expect("delete");
    // Relaxed: no re-create block.
    q.create().await.expect("create again");
    q.send("new").await.expect("send");
    let new = q.receive(Some(0)).await.expect("receive").expect("new");
    assert_eq!(new.body, "new");
    assert_ne!(old.msg_id, new.msg_id);
    expect_err(
        q.delete_message(&old.receipt_handle).await,
        ErrorId::InvalidReceiptHandle,
        "",
    );
    q.delete_message(&new.receipt_handle).await.expect("delete");
}
