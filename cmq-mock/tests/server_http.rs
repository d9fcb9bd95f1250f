//! The HTTP front driven over real sockets: transport rules, authentication, faults, journal,
//! panics and shutdown.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cmq_mock::AuthMode;
use cmq_mock::Clock;
use cmq_mock::Journal;
use cmq_mock::ServiceError;
use cmq_mock::internal::CmqService;
use cmq_mock::internal::RequestContext;
use cmq_mock::internal::Verifier;
use cmq_mock::internal::{AdminRoutes, RunningServer, Server};
use cmq_sdk::generated::actions::Action;
use cmq_sdk::generated::errors::ErrorId;
use cmq_sdk::generated::ops::*;
use cmq_sdk::generated::types::MsgIdItem;
use cmq_sdk::sign::{SignatureMethod, sign, string_to_sign};
use serde_json::Value;

const ID: &str = "AKIDtestaccount0001";
const KEY: &str = "test-secret-key-0001";
const T0_SECS: u64 = 1_700_000_000;
const PATH: &str = "/v2/index.php";

/// A service that remembers what reached it.
#[derive(Default)]
struct TestSvc {
    seen: Mutex<Vec<String>>,
    sent: AtomicU64,
}

impl TestSvc {
    fn note(&self, s: String) {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).push(s);
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

type R<T> = Result<T, ServiceError>;

impl CmqService for TestSvc {
    async fn batch_delete_message(
        &self,
        _: &RequestContext,
        _: BatchDeleteMessageInput,
    ) -> R<BatchDeleteMessageOutput> {
        Ok(Default::default())
    }
    async fn batch_publish_message(
        &self,
        _: &RequestContext,
        _: BatchPublishMessageInput,
    ) -> R<BatchPublishMessageOutput> {
        Ok(Default::default())
    }
    async fn batch_receive_message(
        &self,
        _: &RequestContext,
        _: BatchReceiveMessageInput,
    ) -> R<BatchReceiveMessageOutput> {
        Err(ServiceError::new(ErrorId::NoMessage))
    }
    async fn batch_send_message(
        &self,
        _: &RequestContext,
        input: BatchSendMessageInput,
    ) -> R<BatchSendMessageOutput> {
        let bodies = input.msg_body.unwrap_or_default();
        self.note(format!("batch:{}", bodies.join("|")));
        let msg_list = bodies
            .iter()
            .enumerate()
            .map(|(i, _)| MsgIdItem {
                msg_id: format!("b{i}"),
            })
            .collect();
        Ok(BatchSendMessageOutput { msg_list })
    }
    async fn clear_subscription_filter_tags(
        &self,
        _: &RequestContext,
        input: ClearSubscriptionFilterTagsInput,
    ) -> R<ClearSubscriptionFilterTagsOutput> {
        self.note(format!(
            "clear:{}",
            input.subscription_name.unwrap_or_default()
        ));
        Ok(Default::default())
    }
    async fn create_queue(&self, _: &RequestContext, _: CreateQueueInput) -> R<CreateQueueOutput> {
        Ok(Default::default())
    }
    async fn create_topic(&self, _: &RequestContext, _: CreateTopicInput) -> R<CreateTopicOutput> {
        Ok(Default::default())
    }
    async fn delete_message(
        &self,
        _: &RequestContext,
        _: DeleteMessageInput,
    ) -> R<DeleteMessageOutput> {
        Ok(Default::default())
    }
    async fn delete_queue(&self, _: &RequestContext, _: DeleteQueueInput) -> R<DeleteQueueOutput> {
        Err(ServiceError::new(ErrorId::QueueNotExist))
    }
    async fn delete_topic(&self, _: &RequestContext, _: DeleteTopicInput) -> R<DeleteTopicOutput> {
        Ok(Default::default())
    }
    async fn get_queue_attributes(
        &self,
        _: &RequestContext,
        _: GetQueueAttributesInput,
    ) -> R<GetQueueAttributesOutput> {
        Ok(Default::default())
    }
    async fn get_subscription_attributes(
        &self,
        _: &RequestContext,
        _: GetSubscriptionAttributesInput,
    ) -> R<GetSubscriptionAttributesOutput> {
        Ok(Default::default())
    }
    async fn get_topic_attributes(
        &self,
        _: &RequestContext,
        _: GetTopicAttributesInput,
    ) -> R<GetTopicAttributesOutput> {
        Ok(Default::default())
    }
    async fn list_dead_letter_source_queues(
        &self,
        _: &RequestContext,
        _: ListDeadLetterSourceQueuesInput,
    ) -> R<ListDeadLetterSourceQueuesOutput> {
        Ok(Default::default())
    }
    async fn list_queue(&self, _: &RequestContext, _: ListQueueInput) -> R<ListQueueOutput> {
        Ok(Default::default())
    }
    async fn list_subscription_by_topic(
        &self,
        _: &RequestContext,
        _: ListSubscriptionByTopicInput,
    ) -> R<ListSubscriptionByTopicOutput> {
        Ok(Default::default())
    }
    async fn list_topic(&self, _: &RequestContext, _: ListTopicInput) -> R<ListTopicOutput> {
        Ok(Default::default())
    }
    async fn publish_message(
        &self,
        _: &RequestContext,
        _: PublishMessageInput,
    ) -> R<PublishMessageOutput> {
        Ok(Default::default())
    }
    async fn query_queue_route(
        &self,
        _: &RequestContext,
        _: QueryQueueRouteInput,
    ) -> R<QueryQueueRouteOutput> {
        Ok(Default::default())
    }
    async fn query_topic_route(
        &self,
        _: &RequestContext,
        _: QueryTopicRouteInput,
    ) -> R<QueryTopicRouteOutput> {
        Ok(Default::default())
    }
    async fn receive_message(
        &self,
        _: &RequestContext,
        _: ReceiveMessageInput,
    ) -> R<ReceiveMessageOutput> {
        Err(ServiceError::new(ErrorId::NoMessage))
    }
    async fn rewind_queue(&self, _: &RequestContext, _: RewindQueueInput) -> R<RewindQueueOutput> {
        Ok(Default::default())
    }
    async fn send_message(
        &self,
        ctx: &RequestContext,
        input: SendMessageInput,
    ) -> R<SendMessageOutput> {
        let queue = input.queue_name.unwrap_or_default();
        if queue == "panic" {
            panic!("the service blew up");
        }
        self.note(format!(
            "send:{}:{}:{}",
            ctx.account_id,
            queue,
            input.msg_body.unwrap_or_default()
        ));
        let n = self.sent.fetch_add(1, Ordering::Relaxed);
        Ok(SendMessageOutput {
            msg_id: format!("msg-{n}"),
        })
    }
    async fn set_queue_attributes(
        &self,
        _: &RequestContext,
        _: SetQueueAttributesInput,
    ) -> R<SetQueueAttributesOutput> {
        Ok(Default::default())
    }
    async fn set_subscription_attributes(
        &self,
        _: &RequestContext,
        _: SetSubscriptionAttributesInput,
    ) -> R<SetSubscriptionAttributesOutput> {
        Ok(Default::default())
    }
    async fn set_topic_attributes(
        &self,
        _: &RequestContext,
        _: SetTopicAttributesInput,
    ) -> R<SetTopicAttributesOutput> {
        Ok(Default::default())
    }
    async fn subscribe(&self, _: &RequestContext, _: SubscribeInput) -> R<SubscribeOutput> {
        Ok(Default::default())
    }
    async fn unbind_dead_letter_queue(
        &self,
        _: &RequestContext,
        _: UnbindDeadLetterQueueInput,
    ) -> R<UnbindDeadLetterQueueOutput> {
        Ok(Default::default())
    }
    async fn unsubscribe(&self, _: &RequestContext, _: UnsubscribeInput) -> R<UnsubscribeOutput> {
        Ok(Default::default())
    }
}

/// An admin handler that echoes what it got.
struct EchoAdmin;

impl AdminRoutes for EchoAdmin {
    fn handle(
        &self,
        method: &str,
        path: &str,
        query: &str,
        body: &[u8],
    ) -> Pin<Box<dyn Future<Output = (u16, Vec<u8>)> + Send + '_>> {
        let answer = serde_json::json!({
            "method": method,
            "path": path,
            "query": query,
            "body": String::from_utf8_lossy(body),
        });
        Box::pin(async move { (201, answer.to_string().into_bytes()) })
    }
}

struct Harness {
    server: RunningServer,
    clock: Clock,
    svc: Arc<TestSvc>,
    http: reqwest::Client,
    host: String,
    nonce: AtomicU64,
}

fn accounts() -> Arc<HashMap<String, String>> {
    Arc::new(HashMap::from([(ID.to_owned(), KEY.to_owned())]))
}

async fn start_with(f: impl FnOnce(Server<TestSvc>) -> Server<TestSvc>) -> Harness {
    let clock = Clock::manual(T0_SECS * 1000);
    let svc = Arc::new(TestSvc::default());
    let server = f(Server::new(svc.clone(), accounts(), clock.clone()))
        .bind("127.0.0.1:0")
        .await;
    let server = match server {
        Ok(s) => s,
        Err(e) => panic!("bind: {e}"),
    };
    let host = server.local_addr().to_string();
    Harness {
        server,
        clock,
        svc,
        http: reqwest::Client::new(),
        host,
        nonce: AtomicU64::new(1),
    }
}

async fn start() -> Harness {
    start_with(|s| s).await
}

type Pairs = Vec<(String, String)>;

fn pairs(list: &[(&str, &str)]) -> Pairs {
    list.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn form(p: &Pairs) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(p.iter())
        .finish()
}

fn signature_of(http: &str, host: &str, path: &str, p: &Pairs) -> String {
    let refs: Vec<(&str, &str)> = p.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let method = SignatureMethod::from_wire(
        p.iter()
            .find(|(k, _)| k == "SignatureMethod")
            .map(|(_, v)| v.as_str()),
    );
    sign(KEY, method, &string_to_sign(http, host, path, &refs))
}

struct Reply {
    status: u16,
    content_type: String,
    json: Value,
}

impl Reply {
    fn code(&self) -> i64 {
        self.json["code"].as_i64().unwrap_or(-1)
    }

    fn message(&self) -> &str {
        self.json["message"].as_str().unwrap_or("")
    }

    fn request_id(&self) -> &str {
        self.json["requestId"].as_str().unwrap_or("")
    }
}

async fn reply(r: Result<reqwest::Response, reqwest::Error>) -> Reply {
    let r = match r {
        Ok(r) => r,
        Err(e) => panic!("request failed: {e}"),
    };
    let status = r.status().as_u16();
    let content_type = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let bytes = r.bytes().await.unwrap_or_default();
    let json = serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&bytes)));
    Reply {
        status,
        content_type,
        json,
    }
}

impl Harness {
    fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.host, path)
    }

    /// The common parameters, then `extra`, unsigned.
    fn params(&self, action: &str, extra: &[(&str, &str)]) -> Pairs {
        let nonce = self.nonce.fetch_add(1, Ordering::Relaxed).to_string();
        let mut p = pairs(&[
            ("Action", action),
            ("SecretId", ID),
            ("Timestamp", &self.clock.now_secs().to_string()),
            ("Nonce", &nonce),
            ("RequestClient", "SDK_TEST_1.0"),
        ]);
        p.extend(pairs(extra));
        p
    }

    /// `p` with its signature for `http` and `path` appended.
    fn signed(&self, http: &str, path: &str, mut p: Pairs) -> Pairs {
        let sig = signature_of(http, &self.host, path, &p);
        p.push(("Signature".to_owned(), sig));
        p
    }

    async fn post_raw(
        &self,
        path: &str,
        body: String,
        content_type: Option<&str>,
    ) -> Result<reqwest::Response, reqwest::Error> {
        let mut rb = self.http.post(self.url(path)).body(body);
        if let Some(ct) = content_type {
            rb = rb.header("content-type", ct);
        }
        rb.send().await
    }

    async fn post(&self, p: &Pairs) -> Reply {
        reply(
            self.post_raw(PATH, form(p), Some("application/x-www-form-urlencoded"))
                .await,
        )
        .await
    }

    async fn call(&self, action: &str, extra: &[(&str, &str)]) -> Reply {
        let p = self.signed("POST", PATH, self.params(action, extra));
        self.post(&p).await
    }

    async fn send(&self, body: &str) -> Reply {
        self.call("SendMessage", &[("queueName", "q1"), ("msgBody", body)])
            .await
    }
}

fn assert_ok(r: &Reply) {
    assert_eq!(
        (r.status, r.code(), r.message()),
        (200, 0, ""),
        "{}",
        r.json
    );
}

fn assert_err(r: &Reply, e: ErrorId) {
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.code(), e.code(), "{}", r.json);
    assert!(
        r.message().starts_with(&format!("({})", e.module())),
        "{}",
        r.json
    );
}

#[tokio::test]
async fn post_without_content_type_and_envelope() {
    let h = start().await;
    let p = h.signed(
        "POST",
        PATH,
        h.params(
            "SendMessage",
            &[
                ("queueName", "q1"),
                ("msgBody", "hello"),
                ("clientRequestId", "777"),
            ],
        ),
    );
    let r = reply(h.post_raw(PATH, form(&p), None).await).await;
    assert_ok(&r);
    assert_eq!(r.content_type, "application/json");
    assert_eq!(r.json["msgId"], "msg-0");
    assert_eq!(r.json["clientRequestId"], "777");
    assert!(!r.request_id().is_empty());
    assert_eq!(h.svc.seen(), vec![format!("send:{ID}:q1:hello")]);
}

#[tokio::test]
async fn post_with_java_content_type() {
    let h = start().await;
    let p = h.signed(
        "POST",
        PATH,
        h.params("SendMessage", &[("queueName", "q1"), ("msgBody", "java")]),
    );
    let r = reply(h.post_raw(PATH, form(&p), Some("*/*;charset=utf-8")).await).await;
    assert_ok(&r);
    assert_eq!(h.svc.seen(), vec![format!("send:{ID}:q1:java")]);
}

#[tokio::test]
async fn get_reads_the_query_string() {
    let h = start().await;
    let p = h.signed(
        "GET",
        PATH,
        h.params("SendMessage", &[("queueName", "q1"), ("msgBody", "by get")]),
    );
    let r = reply(
        h.http
            .get(format!("{}?{}", h.url(PATH), form(&p)))
            .send()
            .await,
    )
    .await;
    assert_ok(&r);
    assert_eq!(h.svc.seen(), vec![format!("send:{ID}:q1:by get")]);
    // A POST signature does not verify a GET.
    let p = h.signed(
        "POST",
        PATH,
        h.params("SendMessage", &[("queueName", "q1"), ("msgBody", "x")]),
    );
    let r = reply(
        h.http
            .get(format!("{}?{}", h.url(PATH), form(&p)))
            .send()
            .await,
    )
    .await;
    assert_err(&r, ErrorId::AuthenticationFailed);
}

#[tokio::test]
async fn post_ignores_the_query_string() {
    let h = start().await;
    let p = h.signed(
        "POST",
        PATH,
        h.params(
            "SendMessage",
            &[("queueName", "q1"), ("msgBody", "from body")],
        ),
    );
    let url = format!("{}?msgBody=from+query&Action=DeleteQueue", h.url(PATH));
    let r = reply(h.http.post(url).body(form(&p)).send().await).await;
    assert_ok(&r);
    assert_eq!(h.svc.seen(), vec![format!("send:{ID}:q1:from body")]);
}

#[tokio::test]
async fn plus_and_percent_20_are_spaces() {
    let h = start().await;
    for encoded in ["a+b+c", "a%20b%20c", "a+b%20c"] {
        let p = h.signed(
            "POST",
            PATH,
            h.params("SendMessage", &[("queueName", "q1"), ("msgBody", "a b c")]),
        );
        let body = form(&p).replace("msgBody=a+b+c", &format!("msgBody={encoded}"));
        assert!(body.contains(&format!("msgBody={encoded}")));
        let r = reply(h.post_raw(PATH, body, None).await).await;
        assert_ok(&r);
    }
    assert_eq!(h.svc.seen(), vec![format!("send:{ID}:q1:a b c"); 3]);
}

#[tokio::test]
async fn zero_and_one_based_lists_reach_the_service() {
    let h = start().await;
    let r = h
        .call(
            "BatchSendMessage",
            &[("queueName", "q1"), ("msgBody.0", "a"), ("msgBody.1", "b")],
        )
        .await;
    assert_ok(&r);
    assert_eq!(r.json["msgList"][1]["msgId"], "b1");
    let r = h
        .call(
            "BatchSendMessage",
            &[("queueName", "q1"), ("msgBody.1", "c"), ("msgBody.2", "d")],
        )
        .await;
    assert_ok(&r);
    assert_eq!(
        h.svc.seen(),
        vec!["batch:a|b".to_owned(), "batch:c|d".to_owned()]
    );
    // A list with a gap is refused by the dispatcher before the service.
    let r = h
        .call(
            "BatchSendMessage",
            &[("queueName", "q1"), ("msgBody.1", "e"), ("msgBody.3", "f")],
        )
        .await;
    assert_err(&r, ErrorId::ParameterNotConsequent);
    assert_eq!(h.svc.seen().len(), 2);
}

#[tokio::test]
async fn unknown_parameter_is_ignored_but_signed() {
    let h = start().await;
    let r = h
        .call(
            "SendMessage",
            &[
                ("queueName", "q1"),
                ("msgBody", "m"),
                ("UserpollingWaitSeconds", "30"),
            ],
        )
        .await;
    assert_ok(&r);
    // Signed without it, sent with it: the signature fails.
    let mut p = h.signed(
        "POST",
        PATH,
        h.params("SendMessage", &[("queueName", "q1"), ("msgBody", "m")]),
    );
    p.push(("UserpollingWaitSeconds".into(), "30".into()));
    let r = h.post(&p).await;
    assert_err(&r, ErrorId::AuthenticationFailed);
    assert_eq!(r.message(), "(10030)authentication failed");
}

#[tokio::test]
async fn sha256_and_the_at_rule() {
    let h = start().await;
    let mut p = h.params("SendMessage", &[("queueName", "q1"), ("msgBody", "sha")]);
    p.push(("SignatureMethod".into(), "HmacSHA256".into()));
    let r = h.post(&h.signed("POST", PATH, p)).await;
    assert_ok(&r);
    // Python/PHP sign POST without `@` values.
    let mut p = h.params("SendMessage", &[("queueName", "q1"), ("msgBody", "@at")]);
    let without: Pairs = p
        .iter()
        .filter(|(_, v)| !v.starts_with('@'))
        .cloned()
        .collect();
    let sig = signature_of("POST", &h.host, PATH, &without);
    p.push(("Signature".into(), sig));
    assert_ok(&h.post(&p).await);
    // Java & co. sign them.
    assert_ok(
        &h.call("SendMessage", &[("queueName", "q1"), ("msgBody", "@at")])
            .await,
    );
}

#[tokio::test]
async fn wrong_signature_and_unknown_secret_id() {
    let h = start().await;
    let mut p = h.signed(
        "POST",
        PATH,
        h.params("SendMessage", &[("queueName", "q1"), ("msgBody", "m")]),
    );
    if let Some(last) = p.last_mut() {
        last.1 = "AAAAAAAAAAAAAAAAAAAAAAAAAAA=".into();
    }
    let r = h.post(&p).await;
    assert_eq!(
        (r.code(), r.message()),
        (4100, "(10030)authentication failed")
    );

    let mut p = h.params("SendMessage", &[("queueName", "q1"), ("msgBody", "m")]);
    p[1].1 = "AKIDnobody".into();
    let r = h.post(&h.signed("POST", PATH, p)).await;
    assert_eq!(
        (r.code(), r.message()),
        (4100, "(10270)secret id is not existed")
    );

    let p: Pairs = h
        .params("SendMessage", &[("queueName", "q1"), ("msgBody", "m")])
        .into_iter()
        .filter(|(k, _)| k != "SecretId")
        .collect();
    let r = h.post(&h.signed("POST", PATH, p)).await;
    assert_err(&r, ErrorId::SecretIdNotExist);
    assert!(h.svc.seen().is_empty());
}

#[tokio::test]
async fn unknown_missing_and_case_insensitive_actions() {
    let h = start().await;
    let r = h.call("NoSuchAction", &[]).await;
    assert_eq!(
        (r.status, r.code(), r.message()),
        (200, 4000, "(10430)action name NoSuchAction is not existed")
    );
    let p: Pairs = h
        .params("x", &[("queueName", "q1")])
        .into_iter()
        .filter(|(k, _)| k != "Action")
        .collect();
    let r = h.post(&h.signed("POST", PATH, p)).await;
    assert_err(&r, ErrorId::ActionNotExist);
    // Unknown actions are refused before authentication.
    let r = h.post(&pairs(&[("Action", "Nope")])).await;
    assert_err(&r, ErrorId::ActionNotExist);

    let r = h
        .call(
            "ClearSUbscriptionFIlterTags",
            &[("topicName", "t1"), ("subscriptionName", "s1")],
        )
        .await;
    assert_ok(&r);
    let r = h
        .call("sendmessage", &[("queueName", "q1"), ("msgBody", "lower")])
        .await;
    assert_ok(&r);
    assert_eq!(
        h.svc.seen(),
        vec!["clear:s1".to_owned(), format!("send:{ID}:q1:lower")]
    );
}

#[tokio::test]
async fn body_over_one_mib_is_refused_with_http_200() {
    let h = start().await;
    let big = "x".repeat(cmq_sdk::generated::MAX_REQUEST_BYTES);
    let p = h.signed(
        "POST",
        PATH,
        h.params("SendMessage", &[("queueName", "q1"), ("msgBody", &big)]),
    );
    let r = reply(h.post_raw(PATH, form(&p), None).await).await;
    assert_eq!(
        (r.status, r.code(), r.message()),
        (
            200,
            4000,
            "(10420)cannot parse request, or request size is more than 1MB"
        )
    );
    assert!(h.svc.seen().is_empty());
    // The client (and its kept-alive connection) still works.
    assert_ok(&h.send("after").await);
    // A chunked body (no Content-Length) over the limit is refused too.
    let mut req = format!(
        "POST {PATH} HTTP/1.1\r\nHost: {}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        h.host
    )
    .into_bytes();
    for byte in [b'a', b'b'] {
        req.extend_from_slice(format!("{:x}\r\n", 700_000).as_bytes());
        req.extend(std::iter::repeat_n(byte, 700_000));
        req.extend_from_slice(b"\r\n");
    }
    req.extend_from_slice(b"0\r\n\r\n");
    let (status, json) = raw_http(h.server.local_addr(), req).await;
    assert_eq!((status, json["code"].as_i64()), (200, Some(4000)));
    assert_eq!(
        json["message"],
        "(10420)cannot parse request, or request size is more than 1MB"
    );
}

/// Sends `request` over a fresh TCP connection (it must ask for `Connection: close`) and returns
/// the status and the JSON body.
async fn raw_http(addr: std::net::SocketAddr, request: Vec<u8>) -> (u16, Value) {
    let text = tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(addr)?;
        s.set_read_timeout(Some(Duration::from_secs(10)))?;
        s.write_all(&request)?;
        let mut out = Vec::new();
        s.read_to_end(&mut out)?;
        Ok::<_, std::io::Error>(String::from_utf8_lossy(&out).into_owned())
    })
    .await;
    let text = match text {
        Ok(Ok(t)) => t,
        other => panic!("raw request failed: {other:?}"),
    };
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{head}"
    );
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

#[tokio::test]
async fn raw_post_without_content_type_or_keep_alive() {
    let h = start().await;
    let p = h.signed(
        "POST",
        PATH,
        h.params(
            "SendMessage",
            &[("queueName", "q1"), ("msgBody", "raw one")],
        ),
    );
    let body = form(&p);
    let req = format!(
        "POST {PATH} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        h.host,
        body.len()
    );
    let (status, json) = raw_http(h.server.local_addr(), req.into_bytes()).await;
    assert_eq!((status, json["code"].as_i64()), (200, Some(0)), "{json}");
    assert_eq!(h.svc.seen(), vec![format!("send:{ID}:q1:raw one")]);
}

#[tokio::test]
async fn other_methods_are_refused() {
    let h = start().await;
    let r = reply(
        h.http
            .put(h.url(PATH))
            .body("Action=SendMessage")
            .send()
            .await,
    )
    .await;
    assert_eq!(
        (r.status, r.code(), r.message()),
        (
            200,
            4000,
            "(10410)unexpected http PUT only GET or POST is supported"
        )
    );
    let r = reply(h.http.delete(h.url("/")).send().await).await;
    assert_err(&r, ErrorId::UnexpectedHttpMethod);
}

#[tokio::test]
async fn other_paths_are_cmq_endpoints_signed_with_their_path() {
    let h = start().await;
    for path in ["/", "/custom/endpoint"] {
        let p = h.signed(
            "POST",
            path,
            h.params("SendMessage", &[("queueName", "q1"), ("msgBody", path)]),
        );
        let r = reply(h.post_raw(path, form(&p), None).await).await;
        assert_ok(&r);
    }
    // Signed for /v2/index.php, sent to /.
    let p = h.signed(
        "POST",
        PATH,
        h.params("SendMessage", &[("queueName", "q1"), ("msgBody", "m")]),
    );
    let r = reply(h.post_raw("/", form(&p), None).await).await;
    assert_err(&r, ErrorId::AuthenticationFailed);
}

#[tokio::test]
async fn expired_timestamp_both_ways() {
    let h = start().await;
    let p = h.signed(
        "POST",
        PATH,
        h.params("SendMessage", &[("queueName", "q1"), ("msgBody", "m")]),
    );
    h.clock.advance(Duration::from_secs(301));
    let r = h.post(&p).await;
    assert_eq!(
        (r.code(), r.message()),
        (4100, "(10030)authentication failed")
    );
    // A Timestamp 301 s in the future.
    let mut p = h.params("SendMessage", &[("queueName", "q1"), ("msgBody", "m")]);
    p[2].1 = (h.clock.now_secs() + 301).to_string();
    assert_err(
        &h.post(&h.signed("POST", PATH, p)).await,
        ErrorId::AuthenticationFailed,
    );
    // 300 s in the future is still fine.
    let mut p = h.params("SendMessage", &[("queueName", "q1"), ("msgBody", "m")]);
    p[2].1 = (h.clock.now_secs() + 300).to_string();
    assert_ok(&h.post(&h.signed("POST", PATH, p)).await);
}

#[tokio::test]
async fn replay_is_refused_but_a_reused_nonce_is_not() {
    let h = start().await;
    let p = h.signed(
        "POST",
        PATH,
        h.params("SendMessage", &[("queueName", "q1"), ("msgBody", "once")]),
    );
    assert_ok(&h.post(&p).await);
    let r = h.post(&p).await;
    assert_eq!(
        (r.code(), r.message()),
        (4100, "(10030)authentication failed")
    );
    // The same Nonce one second later (re-signed) is a new request.
    h.clock.advance(Duration::from_secs(1));
    let mut again: Pairs = p.into_iter().filter(|(k, _)| k != "Signature").collect();
    again[2].1 = h.clock.now_secs().to_string();
    assert_ok(&h.post(&h.signed("POST", PATH, again)).await);
    assert_eq!(h.svc.seen().len(), 2);
}

#[tokio::test]
async fn panic_in_the_service_answers_6000_and_the_server_lives_on() {
    let h = start().await;
    let r = h
        .call(
            "SendMessage",
            &[
                ("queueName", "panic"),
                ("msgBody", "m"),
                ("clientRequestId", "9"),
            ],
        )
        .await;
    assert_eq!(
        (r.status, r.code(), r.message()),
        (200, 6000, "(10050)server internal error")
    );
    assert_eq!(r.json["clientRequestId"], "9");
    assert_ok(&h.send("next").await);
}

#[tokio::test]
async fn service_errors_are_envelopes() {
    let h = start().await;
    let r = h.call("DeleteQueue", &[("queueName", "q1")]).await;
    assert_err(&r, ErrorId::QueueNotExist);
    let r = h.call("SendMessage", &[("msgBody", "no queue")]).await;
    assert_eq!(r.message(), "(10390)lacked of required parameter queueName");
}

#[tokio::test]
async fn request_ids_are_unique() {
    let h = start().await;
    let mut ids = std::collections::HashSet::new();
    for i in 0..20 {
        let r = h.send(&i.to_string()).await;
        assert!(ids.insert(r.request_id().to_owned()));
    }
    let r = h.call("Nope", &[]).await;
    assert!(ids.insert(r.request_id().to_owned()));
}

#[tokio::test]
async fn fault_error_n_times_then_normal() {
    let h = start().await;
    h.server
        .faults()
        .fail_next(Some(Action::SendMessage), 2, ErrorId::QueueFull);
    // Other actions are not affected.
    assert_ok(&h.call("ListQueue", &[]).await);
    for _ in 0..2 {
        let r = h.send("m").await;
        assert_err(&r, ErrorId::QueueFull);
    }
    assert_ok(&h.send("m").await);
    assert_eq!(h.svc.seen().len(), 1);
    // A raw code and message, for any action.
    h.server
        .faults()
        .fail_next_raw(None, 1, 4420, "(10250)qps throttling");
    let r = h.call("ListQueue", &[]).await;
    assert_eq!((r.code(), r.message()), (4420, "(10250)qps throttling"));
    assert_ok(&h.call("ListQueue", &[]).await);
}

#[tokio::test]
async fn fault_dropped_connection_is_a_client_error() {
    let h = start().await;
    h.server.faults().drop_next(Some(Action::SendMessage), 1);
    let p = h.signed(
        "POST",
        PATH,
        h.params("SendMessage", &[("queueName", "q1"), ("msgBody", "m")]),
    );
    let res = h.post_raw(PATH, form(&p), None).await;
    match res {
        Ok(r) => panic!("expected a connection error, got HTTP {}", r.status()),
        Err(e) => assert!(!e.is_status(), "{e}"),
    }
    assert!(h.svc.seen().is_empty());
    assert_ok(&h.send("after").await);
    let rec = h.server.journal().records();
    assert_eq!(rec.first().map(|r| r.code), Some(None));
}

#[tokio::test]
async fn fault_latency_is_real_time() {
    let h = start().await;
    h.server
        .faults()
        .delay(None, Duration::from_millis(150), Some(1));
    let started = Instant::now();
    assert_ok(&h.send("slow").await);
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert!(!h.server.faults().is_armed());
    // The manual clock did not move.
    assert_eq!(h.clock.now_secs(), T0_SECS);
}

#[tokio::test]
async fn journal_records_requests() {
    let h = start().await;
    let sent = h.send("journaled").await;
    let refused = h
        .post(&h.params(
            "SendMessage",
            &[("queueName", "q1"), ("msgBody", "unsigned")],
        ))
        .await;
    assert_err(&refused, ErrorId::AuthenticationFailed);
    let unknown = h.call("nope", &[]).await;
    let rec = h.server.journal().records();
    assert_eq!(rec.len(), 3);
    assert_eq!(rec[0].account.as_deref(), Some(ID));
    assert_eq!(rec[0].action.as_deref(), Some("SendMessage"));
    assert_eq!(rec[0].code, Some(0));
    assert_eq!(rec[0].request_id, sent.request_id());
    assert_eq!(rec[0].time_ms, T0_SECS * 1000);
    assert_eq!(rec[0].param("msgBody"), Some("journaled"));
    assert_eq!(rec[0].param("Signature"), Some(cmq_mock::REDACTED));
    assert_eq!(rec[1].account, None);
    assert_eq!(rec[1].code, Some(4100));
    assert_eq!(rec[2].action.as_deref(), Some("nope"));
    assert_eq!(rec[2].code, Some(4000));
    assert_eq!(rec[2].request_id, unknown.request_id());
    h.server.journal().clear();
    assert!(h.server.journal().is_empty());
    h.server.journal().set_enabled(false);
    assert_ok(&h.send("quiet").await);
    assert!(h.server.journal().is_empty());
}

#[tokio::test]
async fn shared_journal_and_bounded_capacity() {
    let journal = Arc::new(Journal::with_capacity(2));
    let h = start_with(|s| s.with_journal(journal.clone())).await;
    for i in 0..3 {
        assert_ok(&h.send(&i.to_string()).await);
    }
    let bodies: Vec<_> = journal
        .records()
        .iter()
        .map(|r| r.param("msgBody").unwrap_or("").to_owned())
        .collect();
    assert_eq!(bodies, vec!["1", "2"]);
}

#[tokio::test]
async fn auth_off_accepts_unsigned_requests() {
    let clock_for_verifier = Clock::manual(0);
    let h = start_with(|s| {
        s.with_verifier(
            Verifier::new(clock_for_verifier)
                .with_mode(AuthMode::Off)
                .with_default_account("AKIDdefault"),
        )
    })
    .await;
    let r = h
        .post(&pairs(&[
            ("Action", "SendMessage"),
            ("queueName", "q1"),
            ("msgBody", "a"),
        ]))
        .await;
    assert_ok(&r);
    let r = h
        .post(&pairs(&[
            ("Action", "SendMessage"),
            ("SecretId", ID),
            ("queueName", "q1"),
            ("msgBody", "b"),
        ]))
        .await;
    assert_ok(&r);
    assert_eq!(
        h.svc.seen(),
        vec![
            "send:AKIDdefault:q1:a".to_owned(),
            format!("send:{ID}:q1:b")
        ]
    );
    // Switched on at run time.
    h.server.verifier().set_mode(AuthMode::Verify);
    let r = h
        .post(&pairs(&[
            ("Action", "SendMessage"),
            ("SecretId", ID),
            ("queueName", "q1"),
            ("msgBody", "c"),
        ]))
        .await;
    assert_err(&r, ErrorId::AuthenticationFailed);
}

#[tokio::test]
async fn admin_routes() {
    let h = start().await;
    let r = reply(h.http.get(h.url("/_mock/state")).send().await).await;
    assert_eq!(r.status, 404);
    let h = start_with(|s| s.with_admin(Arc::new(EchoAdmin))).await;
    let r = reply(
        h.http
            .post(h.url("/_mock/faults?x=1"))
            .body(r#"{"a":1}"#)
            .send()
            .await,
    )
    .await;
    assert_eq!(r.status, 201);
    assert_eq!(r.content_type, "application/json");
    assert_eq!(
        r.json,
        serde_json::json!({"method": "POST", "path": "/_mock/faults", "query": "x=1", "body": "{\"a\":1}"})
    );
}

#[tokio::test]
async fn in_process_call_matches_http() {
    let clock = Clock::manual(T0_SECS * 1000);
    let svc = Arc::new(TestSvc::default());
    let server = Server::new(svc.clone(), accounts(), clock.clone());
    let mut p = pairs(&[
        ("Action", "SendMessage"),
        ("SecretId", ID),
        ("Timestamp", &T0_SECS.to_string()),
        ("Nonce", "1"),
        ("queueName", "q1"),
        ("msgBody", "inproc"),
    ]);
    let sig = signature_of("POST", "mock.local", PATH, &p);
    p.push(("Signature".into(), sig));
    let answer = server
        .call("POST", "mock.local", PATH, "", form(&p).as_bytes())
        .await
        .unwrap_or_default();
    let json: Value = serde_json::from_slice(&answer).unwrap_or_default();
    assert_eq!(json["code"], 0);
    assert_eq!(json["msgId"], "msg-0");
    let answer = server
        .call("PATCH", "mock.local", PATH, "", b"")
        .await
        .unwrap_or_default();
    let json: Value = serde_json::from_slice(&answer).unwrap_or_default();
    assert_eq!(json["code"], 4000);
}

#[tokio::test]
async fn shutdown_then_connect_fails() {
    let h = start().await;
    assert_ok(&h.send("before").await);
    let addr = h.server.local_addr();
    h.server.shutdown().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn shutdown_lets_in_flight_requests_finish() {
    let h = start().await;
    h.server
        .faults()
        .delay(None, Duration::from_millis(200), Some(1));
    let p = h.signed(
        "POST",
        PATH,
        h.params(
            "SendMessage",
            &[("queueName", "q1"), ("msgBody", "in flight")],
        ),
    );
    let body = form(&p);
    let http = h.http.clone();
    let url = h.url(PATH);
    let in_flight =
        tokio::spawn(async move { reply(http.post(url).body(body).send().await).await });
    // Wait until the request is being handled (the latency rule has been used up).
    while h.server.faults().is_armed() {
        tokio::task::yield_now().await;
    }
    h.server.shutdown().await;
    match in_flight.await {
        Ok(r) => assert_ok(&r),
        Err(e) => panic!("{e}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_does_not_block_and_stops_the_server() {
    let h = start().await;
    assert_ok(&h.send("before").await);
    let addr = h.server.local_addr();
    // A request stuck in the server (latency) while the handle is dropped.
    h.server.faults().delay(None, Duration::from_secs(30), None);
    let http = h.http.clone();
    let p = h.signed(
        "POST",
        PATH,
        h.params("SendMessage", &[("queueName", "q1"), ("msgBody", "stuck")]),
    );
    let url = h.url(PATH);
    let stuck = tokio::spawn(async move { http.post(url).body(form(&p)).send().await.is_ok() });
    let Harness { server, .. } = h;
    let started = Instant::now();
    drop(server);
    assert!(started.elapsed() < Duration::from_millis(100));
    // The listener closes soon after, without anyone waiting on the handle.
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if tokio::net::TcpStream::connect(addr).await.is_err() {
                break;
            }
            tokio::task::yield_now().await;
        }
    })
    .await;
    assert!(closed.is_ok(), "the port still accepts connections");
    stuck.abort();
}
