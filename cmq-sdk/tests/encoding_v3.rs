//! Every API 3.0 action through its fluent call (`client.create_cmq_queue()…send().await`)
//! against a local server that checks the TC3-HMAC-SHA256 signature with
//! `cmq_sdk::sign::tc3::verify` and answers with Tencent's published example:
//!
//! * the JSON body is byte for byte what Tencent's official Python SDK sends for the same
//!   parameters (the `expected.body` of the action's case in `requests.v3.json`), `None`
//!   fields left out;
//! * the signed headers (`Content-Type`, `Host`; `X-TC-Action`, `X-TC-Version`, `X-TC-Region`,
//!   `X-TC-Timestamp`) are the action's and the client's;
//! * the answer decodes into the typed response the spec computes (`responses.v3.json`).

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;

use cmq_sdk::generated::types::{NotifyContentFormat, NotifyStrategy, Protocol};
use cmq_sdk::generated::v3::models::{Filter, Tag};
use cmq_sdk::generated::v3::types::QueryType;
use cmq_sdk::sign::tc3::{self, Tc3Request};
use cmq_sdk::{Client, Credentials};

const SECRET_KEY: &str = "encoding-v3-secret";

/// One request as the server saw it.
#[derive(Clone, Debug)]
struct Seen {
    headers: BTreeMap<String, String>,
    body: String,
    verified: bool,
}

struct State {
    seen: Mutex<Vec<Seen>>,
    /// The published example of each action.
    answers: BTreeMap<String, Value>,
}

fn corpus(file: &str) -> Vec<Value> {
    let path = format!("{}/../spec/conformance/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let doc: Value = serde_json::from_str(&text).expect("json");
    doc["cases"].as_array().expect("cases").clone()
}

/// The first success case of each action in `responses.v3.json`.
fn examples() -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for c in corpus("responses.v3.json") {
        if c["expected"].get("output").is_some() {
            let action = c["action"].as_str().expect("action").to_owned();
            out.entry(action).or_insert(c);
        }
    }
    out
}

async fn start() -> (SocketAddr, Arc<State>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let answers = examples().into_iter().map(|(a, c)| (a, c["body"].clone()));
    let state = Arc::new(State {
        seen: Mutex::new(Vec::new()),
        answers: answers.collect(),
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
    (addr, state)
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
    let headers: BTreeMap<String, String> = (parts.headers.iter())
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    let host = headers.get("host").cloned().unwrap_or_default();
    let pairs: Vec<(&str, &str)> = (headers.iter())
        .filter(|(k, _)| *k != "host")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let request = Tc3Request {
        method: parts.method.as_str(),
        host: &host,
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or(""),
        headers: &pairs,
        body: &body,
    };
    let verified = tc3::verify(&request, SECRET_KEY).is_ok();
    let action = headers.get("x-tc-action").cloned().unwrap_or_default();
    let answer = state.answers.get(&action).cloned().unwrap_or(Value::Null);
    state.seen.lock().expect("lock").push(Seen {
        body: String::from_utf8_lossy(&body).into_owned(),
        headers,
        verified,
    });
    Ok(Response::builder()
        .header("Content-Type", "application/json")
        .body(Full::new(Bytes::from(answer.to_string())))
        .unwrap_or_default())
}

fn tags() -> Vec<Tag> {
    vec![
        Tag::new().tag_key("env").tag_value("prod"),
        Tag::new().tag_key("team").tag_value("payments"),
    ]
}

/// Sends every action with the parameters of its case in `requests.v3.json`; returns each
/// action's typed answer as JSON.
async fn send_all(c: &Client) -> BTreeMap<&'static str, Value> {
    let mut out = BTreeMap::new();
    macro_rules! call {
        ($name:literal, $call:expr) => {
            let answer = $call
                .send()
                .await
                .unwrap_or_else(|e| panic!("{}: {e}", $name));
            out.insert($name, serde_json::to_value(&answer).expect("serialize"));
        };
    }
    call!("ClearCmqQueue", c.clear_cmq_queue().queue_name("orders"));
    call!(
        "ClearCmqSubscriptionFilterTags",
        c.clear_cmq_subscription_filter_tags()
            .topic_name("events")
            .subscription_name("audit")
    );
    call!(
        "CreateCmqQueue",
        c.create_cmq_queue()
            .queue_name("orders_v3")
            .max_msg_heap_num(10_000_000)
            .polling_wait_seconds(3)
            .visibility_timeout(45)
            .max_msg_size(65536)
            .msg_retention_seconds(3600)
            .rewind_seconds(0)
            .transaction(0)
            .first_query_interval(0)
            .max_query_count(0)
            .dead_letter_queue_name("orders-dlq")
            .policy(0)
            .max_receive_count(50)
            .max_time_to_live(300)
            .trace(false)
            .tags(tags())
            .retention_size_in_mb(0)
    );
    call!(
        "CreateCmqSubscribe",
        c.create_cmq_subscribe()
            .topic_name("events")
            .subscription_name("audit")
            .protocol(Protocol::Queue)
            .endpoint("audit-queue")
            .notify_strategy(NotifyStrategy::ExponentialDecayRetry)
            .filter_tag(["users"])
            .binding_key(["order.*", "user.#"])
            .notify_content_format(NotifyContentFormat::Simplified)
    );
    call!(
        "CreateCmqTopic",
        c.create_cmq_topic()
            .topic_name("events")
            .max_msg_size(65536)
            .filter_type(2)
            .msg_retention_seconds(86400)
            .trace(true)
            .tags(tags().into_iter().take(1))
    );
    call!("DeleteCmqQueue", c.delete_cmq_queue().queue_name("orders"));
    call!(
        "DeleteCmqSubscribe",
        c.delete_cmq_subscribe()
            .topic_name("events")
            .subscription_name("audit")
    );
    call!("DeleteCmqTopic", c.delete_cmq_topic().topic_name("events"));
    call!(
        "DescribeCmqQueueDetail",
        c.describe_cmq_queue_detail().queue_name("orders")
    );
    call!(
        "DescribeCmqQueues",
        c.describe_cmq_queues()
            .offset(20)
            .limit(20)
            .queue_name("ord")
            .queue_name_list(["a", "b"])
            .is_tag_filter(true)
            .filters([Filter::new().name("tag:env").values(["prod", "staging"])])
    );
    call!(
        "DescribeCmqSubscriptionDetail",
        c.describe_cmq_subscription_detail()
            .topic_name("events")
            .offset(0)
            .limit(0)
            .subscription_name("aud")
            .queue_name("audit-queue")
            .query_type(QueryType::Topic)
    );
    call!(
        "DescribeCmqTopicDetail",
        c.describe_cmq_topic_detail().topic_name("events")
    );
    call!(
        "DescribeCmqTopics",
        c.describe_cmq_topics()
            .offset(0)
            .limit(50)
            .topic_name("ev")
            .topic_name_list(["events"])
    );
    send_modify_and_messages(c, &mut out).await;
    out
}

async fn send_modify_and_messages(c: &Client, out: &mut BTreeMap<&'static str, Value>) {
    macro_rules! call {
        ($name:literal, $call:expr) => {
            let answer = $call
                .send()
                .await
                .unwrap_or_else(|e| panic!("{}: {e}", $name));
            out.insert($name, serde_json::to_value(&answer).expect("serialize"));
        };
    }
    call!(
        "ModifyCmqQueueAttribute",
        c.modify_cmq_queue_attribute()
            .queue_name("orders")
            .visibility_timeout(120)
            .msg_retention_seconds(43200)
            .rewind_seconds(86400)
            .max_time_to_live(600)
            .max_receive_count(3)
            .policy(1)
            .trace(true)
            .transaction(1)
            .retention_size_in_mb(10240)
    );
    call!(
        "ModifyCmqSubscriptionAttribute",
        c.modify_cmq_subscription_attribute()
            .topic_name("events")
            .subscription_name("audit")
            .notify_strategy(NotifyStrategy::BackoffRetry)
            .notify_content_format(NotifyContentFormat::Json)
            .filter_tags(["a", "b"])
            .binding_key(["x.#"])
    );
    call!(
        "ModifyCmqTopicAttribute",
        c.modify_cmq_topic_attribute()
            .topic_name("events")
            .max_msg_size(1_048_576)
            .msg_retention_seconds(3600)
            .trace(false)
    );
    call!(
        "PublishCmqMsg",
        c.publish_cmq_msg()
            .topic_name("events")
            .msg_content("user created")
            .msg_tag(["users", "eu"])
    );
    call!(
        "RewindCmqQueue",
        c.rewind_cmq_queue()
            .queue_name("orders")
            .start_consume_time(1_700_000_000_000)
    );
    call!(
        "SendCmqMsg",
        c.send_cmq_msg()
            .queue_name("orders")
            .msg_content("héllo 世界 😀 \"q\" a&b=c")
            .delay_seconds(0)
    );
    call!(
        "UnbindCmqDeadLetter",
        c.unbind_cmq_dead_letter().source_queue_name("orders")
    );
}

#[tokio::test]
async fn every_action_encodes_signs_and_decodes() {
    let (addr, state) = start().await;
    let c = Client::builder()
        .endpoint(format!("http://{addr}"))
        .region("ap-guangzhou")
        .credentials(Credentials::new("AKIDencoding", SECRET_KEY))
        .build()
        .expect("client");
    let answers = send_all(&c).await;
    let seen = state.seen.lock().expect("lock").clone();
    let requests = corpus("requests.v3.json");
    assert_eq!(seen.len(), requests.len(), "one request per action");
    assert_eq!(answers.len(), 20);
    let examples = examples();
    for (case, s) in requests.iter().zip(&seen) {
        let action = case["action"].as_str().expect("action");
        assert!(s.verified, "{action}: signature");
        let h = |n: &str| s.headers.get(n).map(String::as_str);
        assert_eq!(h("x-tc-action"), Some(action));
        assert_eq!(h("x-tc-version"), Some("2020-02-17"));
        assert_eq!(h("x-tc-region"), Some("ap-guangzhou"));
        assert_eq!(h("content-type"), Some("application/json"));
        assert!(h("x-tc-timestamp").is_some_and(|t| t.parse::<u64>().is_ok()));
        let auth = h("authorization").unwrap_or("");
        assert!(
            auth.starts_with("TC3-HMAC-SHA256 Credential=AKIDencoding/")
                && auth.contains("/tdmq/tc3_request, SignedHeaders=content-type;host, Signature="),
            "{action}: {auth}"
        );
        assert_eq!(
            s.body,
            case["expected"]["body"].as_str().expect("body"),
            "{action}: body"
        );
        let want = &examples[action]["expected"]["output"];
        assert_eq!(&answers[action], want, "{action}: decoded answer");
    }
}
