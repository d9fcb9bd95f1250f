//! The HTTP front over real sockets with a test service behind it (no engine): a
//! [`TestSvc`] that records what reaches it, an [`EchoAdmin`], and a [`Harness`] that signs and
//! sends raw requests on a manual clock.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cmq_mock::internal::{AdminRoutes, CmqService, RequestContext, RunningServer, Server};
use cmq_mock::{Clock, ServiceError};
use cmq_sdk::generated::errors::ErrorId;
use cmq_sdk::generated::ops::*;
use cmq_sdk::generated::types::MsgIdItem;
use cmq_sdk::sign::{SignatureMethod, sign, string_to_sign};
use serde_json::Value;

pub use super::raw::{Pairs, form};

/// The test account.
pub const ID: &str = "AKIDtestaccount0001";
/// Its key.
pub const KEY: &str = "test-secret-key-0001";
/// The manual clock's start, in seconds.
pub const T0_SECS: u64 = 1_700_000_000;
/// The CMQ path.
pub const PATH: &str = "/v2/index.php";

/// A service that remembers what reached it: SendMessage and BatchSendMessage note their input
/// (SendMessage to queue `panic` panics), ClearSubscriptionFilterTags notes its subscription,
/// DeleteQueue answers QueueNotExist, the receives answer NoMessage, the rest answer defaults.
#[derive(Default)]
pub struct TestSvc {
    seen: Mutex<Vec<String>>,
    sent: AtomicU64,
}

impl TestSvc {
    fn note(&self, s: String) {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).push(s);
    }

    /// What reached the service, in order.
    pub fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

type R<T> = Result<T, ServiceError>;

/// Methods answering `$answer` (the default output, or an error) whatever the input.
macro_rules! answers {
    ($($method:ident($input:ty) -> $output:ty = $answer:expr;)*) => {
        $(
            async fn $method(&self, _: &RequestContext, _: $input) -> R<$output> {
                $answer
            }
        )*
    };
}

impl CmqService for TestSvc {
    answers! {
        batch_delete_message(BatchDeleteMessageInput) -> BatchDeleteMessageOutput = Ok(Default::default());
        batch_publish_message(BatchPublishMessageInput) -> BatchPublishMessageOutput = Ok(Default::default());
        batch_receive_message(BatchReceiveMessageInput) -> BatchReceiveMessageOutput = Err(ServiceError::new(ErrorId::NoMessage));
        create_queue(CreateQueueInput) -> CreateQueueOutput = Ok(Default::default());
        create_topic(CreateTopicInput) -> CreateTopicOutput = Ok(Default::default());
        delete_message(DeleteMessageInput) -> DeleteMessageOutput = Ok(Default::default());
        delete_queue(DeleteQueueInput) -> DeleteQueueOutput = Err(ServiceError::new(ErrorId::QueueNotExist));
        delete_topic(DeleteTopicInput) -> DeleteTopicOutput = Ok(Default::default());
        get_queue_attributes(GetQueueAttributesInput) -> GetQueueAttributesOutput = Ok(Default::default());
        get_subscription_attributes(GetSubscriptionAttributesInput) -> GetSubscriptionAttributesOutput = Ok(Default::default());
        get_topic_attributes(GetTopicAttributesInput) -> GetTopicAttributesOutput = Ok(Default::default());
        list_dead_letter_source_queues(ListDeadLetterSourceQueuesInput) -> ListDeadLetterSourceQueuesOutput = Ok(Default::default());
        list_queue(ListQueueInput) -> ListQueueOutput = Ok(Default::default());
        list_subscription_by_topic(ListSubscriptionByTopicInput) -> ListSubscriptionByTopicOutput = Ok(Default::default());
        list_topic(ListTopicInput) -> ListTopicOutput = Ok(Default::default());
        publish_message(PublishMessageInput) -> PublishMessageOutput = Ok(Default::default());
        query_queue_route(QueryQueueRouteInput) -> QueryQueueRouteOutput = Ok(Default::default());
        query_topic_route(QueryTopicRouteInput) -> QueryTopicRouteOutput = Ok(Default::default());
        receive_message(ReceiveMessageInput) -> ReceiveMessageOutput = Err(ServiceError::new(ErrorId::NoMessage));
        rewind_queue(RewindQueueInput) -> RewindQueueOutput = Ok(Default::default());
        set_queue_attributes(SetQueueAttributesInput) -> SetQueueAttributesOutput = Ok(Default::default());
        set_subscription_attributes(SetSubscriptionAttributesInput) -> SetSubscriptionAttributesOutput = Ok(Default::default());
        set_topic_attributes(SetTopicAttributesInput) -> SetTopicAttributesOutput = Ok(Default::default());
        subscribe(SubscribeInput) -> SubscribeOutput = Ok(Default::default());
        unbind_dead_letter_queue(UnbindDeadLetterQueueInput) -> UnbindDeadLetterQueueOutput = Ok(Default::default());
        unsubscribe(UnsubscribeInput) -> UnsubscribeOutput = Ok(Default::default());
    }

    async fn batch_send_message(
        &self,
        _: &RequestContext,
        input: BatchSendMessageInput,
    ) -> R<BatchSendMessageOutput> {
        let bodies = input.msg_body.unwrap_or_default();
        self.note(format!("batch:{}", bodies.join("|")));
        let msg_list = (0..bodies.len())
            .map(|i| MsgIdItem {
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
        let name = input.subscription_name.unwrap_or_default();
        self.note(format!("clear:{name}"));
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
        let body = input.msg_body.unwrap_or_default();
        self.note(format!("send:{}:{queue}:{body}", ctx.account_id));
        let n = self.sent.fetch_add(1, Ordering::Relaxed);
        Ok(SendMessageOutput {
            msg_id: format!("msg-{n}"),
        })
    }
}

/// An admin handler that echoes what it got.
pub struct EchoAdmin;

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

pub struct Harness {
    pub server: RunningServer,
    pub clock: Clock,
    pub svc: Arc<TestSvc>,
    pub http: reqwest::Client,
    pub host: String,
    nonce: AtomicU64,
}

pub fn accounts() -> Arc<HashMap<String, String>> {
    Arc::new(HashMap::from([(ID.to_owned(), KEY.to_owned())]))
}

pub async fn start_with(f: impl FnOnce(Server<TestSvc>) -> Server<TestSvc>) -> Harness {
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

pub async fn start() -> Harness {
    start_with(|s| s).await
}

pub fn pairs(list: &[(&str, &str)]) -> Pairs {
    list.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

pub fn signature_of(http: &str, host: &str, path: &str, p: &Pairs) -> String {
    let refs: Vec<(&str, &str)> = p.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let method = SignatureMethod::from_wire(
        p.iter()
            .find(|(k, _)| k == "SignatureMethod")
            .map(|(_, v)| v.as_str()),
    );
    sign(KEY, method, &string_to_sign(http, host, path, &refs))
}

pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub json: Value,
}

impl Reply {
    pub fn code(&self) -> i64 {
        self.json["code"].as_i64().unwrap_or(-1)
    }

    pub fn message(&self) -> &str {
        self.json["message"].as_str().unwrap_or("")
    }

    pub fn request_id(&self) -> &str {
        self.json["requestId"].as_str().unwrap_or("")
    }
}

pub async fn reply(r: Result<reqwest::Response, reqwest::Error>) -> Reply {
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
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.host, path)
    }

    /// The common parameters, then `extra`, unsigned.
    pub fn params(&self, action: &str, extra: &[(&str, &str)]) -> Pairs {
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
    pub fn signed(&self, http: &str, path: &str, mut p: Pairs) -> Pairs {
        let sig = signature_of(http, &self.host, path, &p);
        p.push(("Signature".to_owned(), sig));
        p
    }

    /// A signed POST's parameters: SendMessage of `body` to queue `q1`.
    pub fn signed_send(&self, body: &str) -> Pairs {
        let p = self.params("SendMessage", &[("queueName", "q1"), ("msgBody", body)]);
        self.signed("POST", PATH, p)
    }

    pub async fn post_raw(
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

    pub async fn post(&self, p: &Pairs) -> Reply {
        reply(
            self.post_raw(PATH, form(p), Some("application/x-www-form-urlencoded"))
                .await,
        )
        .await
    }

    pub async fn call(&self, action: &str, extra: &[(&str, &str)]) -> Reply {
        let p = self.signed("POST", PATH, self.params(action, extra));
        self.post(&p).await
    }

    pub async fn send(&self, body: &str) -> Reply {
        self.call("SendMessage", &[("queueName", "q1"), ("msgBody", body)])
            .await
    }
}

pub fn assert_ok(r: &Reply) {
    assert_eq!(
        (r.status, r.code(), r.message()),
        (200, 0, ""),
        "{}",
        r.json
    );
}

pub fn assert_err(r: &Reply, e: ErrorId) {
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.code(), e.code(), "{}", r.json);
    assert!(
        r.message().starts_with(&format!("({})", e.module())),
        "{}",
        r.json
    );
}
/// Sends `request` over a fresh TCP connection (it must ask for `Connection: close`) and returns
/// the status and the JSON body.
pub async fn raw_http(addr: std::net::SocketAddr, request: Vec<u8>) -> (u16, Value) {
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
