//! Which API each handle call uses under each configuration, against a local server that
//! speaks both (an `X-TC-Action` header is API 3.0, a form `Action=` is API 2.0) and answers
//! from the conformance corpus (`spec/conformance/responses*.json`), with lists served page by
//! page (two items a page, five in all) so that streams are seen to page over both APIs.
//!
//! Configurations: a TDMQ data-plane host (API 3.0 management, API 2.0 data plane, the region
//! read from the host), a legacy CMQ host (API 2.0 for everything), a local endpoint without a
//! region (API 2.0, as `cmq-mock` today) and with one (API 3.0 management on the same origin).
//! Host names are resolved to the local server by the HTTP client.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures_util::TryStreamExt;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use cmq_sdk::handles::{ManagementApi, QueueSettings, SubscriptionUpdate, TopicSettings};
use cmq_sdk::{Client, Credentials, Error};

// ---------------------------------------------------------------- the server

/// One request as the server saw it.
#[derive(Clone, Debug)]
struct Seen {
    /// 2 or 3.
    api: u8,
    action: String,
    host: String,
    region: Option<String>,
    /// API 3.0: the JSON body; API 2.0: the form parameters as a JSON object of strings.
    params: Value,
}

#[derive(Default)]
struct State {
    seen: Mutex<Vec<Seen>>,
    v2: BTreeMap<String, Value>,
    v3: BTreeMap<String, Value>,
}

/// The first success body of each action in a response corpus.
fn examples(file: &str) -> BTreeMap<String, Value> {
    let path = format!("{}/../spec/conformance/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let doc: Value = serde_json::from_str(&text).expect("corpus json");
    let mut out = BTreeMap::new();
    for c in doc["cases"].as_array().expect("cases") {
        if c["expected"].get("output").is_some() {
            let action = c["action"].as_str().expect("action").to_owned();
            out.entry(action).or_insert_with(|| c["body"].clone());
        }
    }
    out
}

async fn start() -> (SocketAddr, Arc<State>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let state = Arc::new(State {
        seen: Mutex::new(Vec::new()),
        v2: examples("responses.json"),
        v3: examples("responses.v3.json"),
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

fn header(parts: &hyper::http::request::Parts, name: &str) -> Option<String> {
    let v = parts.headers.get(name)?;
    v.to_str().ok().map(str::to_owned)
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
    let host = header(&parts, "host").unwrap_or_default();
    let seen = match header(&parts, "x-tc-action") {
        Some(action) => Seen {
            api: 3,
            action,
            host,
            region: header(&parts, "x-tc-region"),
            params: serde_json::from_slice(&body).unwrap_or(Value::Null),
        },
        None => {
            let form = parts.uri.query().unwrap_or("").to_owned() + "&";
            let text = form + std::str::from_utf8(&body).unwrap_or("");
            let params: serde_json::Map<String, Value> = form_urlencoded::parse(text.as_bytes())
                .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
                .collect();
            let action = params.get("Action").and_then(Value::as_str).unwrap_or("");
            Seen {
                api: 2,
                action: action.to_owned(),
                host,
                region: None,
                params: Value::Object(params),
            }
        }
    };
    let answer = if seen.api == 3 {
        answer_v3(&state, &seen)
    } else {
        answer_v2(&state, &seen)
    };
    state.seen.lock().expect("lock").push(seen);
    Ok(Response::builder()
        .header("Content-Type", "application/json")
        .body(Full::new(Bytes::from(answer.to_string())))
        .unwrap_or_default())
}

/// Five items, served `min(limit, 2)` at a time from `offset`.
fn page(offset: i64, limit: i64, item: impl Fn(i64) -> Value) -> Vec<Value> {
    let end = (offset + limit.min(2)).min(5);
    (offset..end).map(item).collect()
}

fn int(v: &Value, key: &str) -> i64 {
    match &v[key] {
        Value::String(s) => s.parse().unwrap_or(0),
        other => other.as_i64().unwrap_or(0),
    }
}

fn answer_v3(state: &State, s: &Seen) -> Value {
    let (offset, limit) = (int(&s.params, "Offset"), int(&s.params, "Limit"));
    let list = |key: &str, item: &dyn Fn(i64) -> Value| {
        let items = page(offset, limit, item);
        json!({"Response": {"TotalCount": 5, key: items, "RequestId": "r3"}})
    };
    match s.action.as_str() {
        "DescribeCmqQueues" => list(
            "QueueList",
            &|i| json!({"QueueId": format!("cmqq-{i}"), "QueueName": format!("q{i}")}),
        ),
        "DescribeCmqTopics" => list(
            "TopicList",
            &|i| json!({"TopicId": format!("cmqt-{i}"), "TopicName": format!("t{i}")}),
        ),
        "DescribeCmqSubscriptionDetail" if s.params.get("SubscriptionName").is_some() => {
            // A name filter matches by substring; here, among s0…s4, only its own name.
            let name = s.params["SubscriptionName"].as_str().unwrap_or("");
            let hit = name.strip_prefix('s').and_then(|i| i.parse::<i64>().ok());
            let hit = hit.filter(|i| *i < 5 && offset == 0);
            let items: Vec<Value> = hit.map(subscription).into_iter().collect();
            let total = items.len();
            json!({"Response": {"TotalCount": total, "SubscriptionSet": items, "RequestId": "r3"}})
        }
        "DescribeCmqSubscriptionDetail" => list("SubscriptionSet", &subscription),
        other => state.v3.get(other).cloned().unwrap_or_else(|| {
            let error = json!({"Code": "InvalidAction", "Message": other});
            json!({"Response": {"Error": error, "RequestId": "r3"}})
        }),
    }
}

/// Subscription `i` of a DescribeCmqSubscriptionDetail answer (times in milliseconds).
fn subscription(i: i64) -> Value {
    json!({"SubscriptionId": format!("subsc-{i}"), "SubscriptionName": format!("s{i}"),
           "Protocol": "queue", "Endpoint": "audit-queue", "CreateTime": 1_700_000_000_000_i64,
           "LastModifyTime": 1_700_000_000_000_i64, "MsgCount": 0, "TopicOwner": 1,
           "NotifyStrategy": "BACKOFF_RETRY", "NotifyContentFormat": "SIMPLIFIED"})
}

fn answer_v2(state: &State, s: &Seen) -> Value {
    let (offset, limit) = (int(&s.params, "offset"), int(&s.params, "limit"));
    let list = |key: &str, item: &dyn Fn(i64) -> Value| {
        let items = page(offset, if limit == 0 { 20 } else { limit }, item);
        json!({"code": 0, "message": "", "requestId": "r2", "totalCount": 5, key: items})
    };
    match s.action.as_str() {
        "ListQueue" => list("queueList", &|i| {
            json!({"queueId": format!("queue-{i}"), "queueName": format!("q{i}")})
        }),
        "ListTopic" => list("topicList", &|i| {
            json!({"topicId": format!("topic-{i}"), "topicName": format!("t{i}")})
        }),
        "ListSubscriptionByTopic" => list("subscriptionList", &|i| {
            json!({"subscriptionId": format!("s-{i}"), "subscriptionName": format!("s{i}"),
                   "protocol": "queue", "endpoint": "audit-queue"})
        }),
        other => state.v2.get(other).cloned().unwrap_or_else(|| {
            json!({"code": 4000, "message": format!("no answer for {other}"), "requestId": "r2"})
        }),
    }
}

// ---------------------------------------------------------------- configurations

/// A client for `data_plane` (and `control`, if given) whose host names all reach `addr`.
fn client(
    addr: SocketAddr,
    data_plane: &str,
    control: Option<&str>,
    region: Option<&str>,
) -> Client {
    let mut http = reqwest::Client::builder();
    for host in [data_plane, control.unwrap_or("")] {
        let name = host.split("://").nth(1).and_then(|h| h.split(':').next());
        if let Some(name) = name.filter(|n| !n.is_empty() && *n != "127.0.0.1") {
            http = http.resolve(name, addr);
        }
    }
    let mut b = Client::builder()
        .endpoint(data_plane)
        .credentials(Credentials::new("AKIDrouting", "routing-secret"))
        .http_client(http.build().expect("http client"));
    if let Some(c) = control {
        b = b.control_endpoint(c);
    }
    if let Some(r) = region {
        b = b.region(r);
    }
    b.build().expect("client")
}

/// What every configuration runs; returns what each call gave, for the checks.
async fn every_call(c: &Client) -> Vec<(&'static str, Result<String, Error>)> {
    let q = c.queue("orders");
    let t = c.topic("events");
    let s = c.subscription("events", "s3");
    let names = |v: Vec<String>| v.join(",");
    vec![
        ("queue.create", q.create().await),
        (
            "queue.create_with",
            q.create_with(QueueSettings::new().visibility_timeout(45))
                .await,
        ),
        (
            "queue.attributes",
            q.attributes().await.map(|a| a.create_time.to_string()),
        ),
        (
            "queue.set_attributes",
            q.set_attributes(QueueSettings::new().polling_wait_seconds(5))
                .await
                .map(|_| String::new()),
        ),
        (
            "queue.rewind",
            q.rewind(1_700_000_000).await.map(|_| String::new()),
        ),
        (
            "queue.unbind_dead_letter_queue",
            q.unbind_dead_letter_queue().await.map(|_| String::new()),
        ),
        ("queue.clear", q.clear().await.map(|_| String::new())),
        (
            "list_queues",
            c.list_queues(None)
                .map_ok(|x| x.queue_name)
                .try_collect()
                .await
                .map(names),
        ),
        ("queue.send", q.send("hello").await),
        (
            "queue.receive",
            q.receive(Some(1))
                .await
                .map(|m| m.map(|m| m.body).unwrap_or_default()),
        ),
        ("queue.delete", q.delete().await.map(|_| String::new())),
        ("topic.create", t.create().await),
        (
            "topic.create_with",
            t.create_with(TopicSettings::new()).await,
        ),
        (
            "topic.attributes",
            t.attributes().await.map(|a| a.create_time.to_string()),
        ),
        (
            "topic.set_max_msg_size",
            t.set_max_msg_size(65536).await.map(|_| String::new()),
        ),
        (
            "list_topics",
            c.list_topics(Some("t"))
                .map_ok(|x| x.topic_name)
                .try_collect()
                .await
                .map(names),
        ),
        ("topic.publish", t.publish("hi").await),
        (
            "topic.subscribe_queue",
            t.subscribe_queue("s3", "audit-queue")
                .await
                .map(|s| s.id().unwrap_or("").to_owned()),
        ),
        (
            "topic.subscriptions",
            t.subscriptions()
                .map_ok(|x| x.subscription_name)
                .try_collect()
                .await
                .map(names),
        ),
        (
            "subscription.attributes",
            s.attributes().await.map(|a| a.create_time.to_string()),
        ),
        (
            "subscription.set_attributes",
            s.set_attributes(SubscriptionUpdate::new().filter_tags(["a"]))
                .await
                .map(|_| String::new()),
        ),
        (
            "subscription.clear_filter_tags",
            s.clear_filter_tags().await.map(|_| String::new()),
        ),
        (
            "subscription.unsubscribe",
            s.unsubscribe().await.map(|_| String::new()),
        ),
        ("topic.delete", t.delete().await.map(|_| String::new())),
    ]
}

/// The actions the server saw, as `api:Action`, in order.
fn actions(state: &State) -> Vec<String> {
    let seen = state.seen.lock().expect("lock");
    seen.iter()
        .map(|s| format!("{}:{}", s.api, s.action))
        .collect()
}

fn results_ok(results: &[(&'static str, Result<String, Error>)], except: &[&str]) {
    for (what, r) in results {
        if !except.contains(what) {
            assert!(r.is_ok(), "{what}: {r:?}");
        }
    }
}

fn result<'a>(
    results: &'a [(&'static str, Result<String, Error>)],
    what: &str,
) -> &'a Result<String, Error> {
    &results.iter().find(|(w, _)| *w == what).expect("call").1
}

const API3_MANAGEMENT: &[&str] = &[
    "3:CreateCmqQueue",
    "3:CreateCmqQueue",
    "3:DescribeCmqQueueDetail",
    "3:ModifyCmqQueueAttribute",
    "3:RewindCmqQueue",
    "3:UnbindCmqDeadLetter",
    "3:ClearCmqQueue",
    "3:DescribeCmqQueues",
    "3:DescribeCmqQueues",
    "3:DescribeCmqQueues",
    "2:SendMessage",
    "2:ReceiveMessage",
    "3:DeleteCmqQueue",
    "3:CreateCmqTopic",
    "3:CreateCmqTopic",
    "3:DescribeCmqTopicDetail",
    "3:ModifyCmqTopicAttribute",
    "3:DescribeCmqTopics",
    "3:DescribeCmqTopics",
    "3:DescribeCmqTopics",
    "2:PublishMessage",
    "3:CreateCmqSubscribe",
    "3:DescribeCmqSubscriptionDetail",
    "3:DescribeCmqSubscriptionDetail",
    "3:DescribeCmqSubscriptionDetail",
    "3:DescribeCmqSubscriptionDetail",
    "3:ModifyCmqSubscriptionAttribute",
    "3:ClearCmqSubscriptionFilterTags",
    "3:DeleteCmqSubscribe",
    "3:DeleteCmqTopic",
];

const API2_ONLY: &[&str] = &[
    "2:CreateQueue",
    "2:CreateQueue",
    "2:GetQueueAttributes",
    "2:SetQueueAttributes",
    "2:RewindQueue",
    "2:UnbindDeadLetterQueue",
    "2:ListQueue",
    "2:ListQueue",
    "2:ListQueue",
    "2:SendMessage",
    "2:ReceiveMessage",
    "2:DeleteQueue",
    "2:CreateTopic",
    "2:CreateTopic",
    "2:GetTopicAttributes",
    "2:SetTopicAttributes",
    "2:ListTopic",
    "2:ListTopic",
    "2:ListTopic",
    "2:PublishMessage",
    "2:Subscribe",
    "2:ListSubscriptionByTopic",
    "2:ListSubscriptionByTopic",
    "2:ListSubscriptionByTopic",
    "2:GetSubscriptionAttributes",
    "2:SetSubscriptionAttributes",
    "2:ClearSubscriptionFilterTags",
    "2:Unsubscribe",
    "2:DeleteTopic",
];

fn seen_where(state: &State, action: &str) -> Seen {
    let seen = state.seen.lock().expect("lock");
    seen.iter()
        .find(|s| s.action == action)
        .cloned()
        .expect("seen")
}

// ---------------------------------------------------------------- the tests

#[tokio::test]
async fn a_tdmq_host_manages_over_api3_and_sends_over_api2() {
    let (addr, state) = start().await;
    let port = addr.port();
    let data = format!("http://cmq-gz.public.tencenttdmq.com:{port}");
    let control = format!("http://tdmq.tencentcloudapi.com:{port}");
    let c = client(addr, &data, Some(&control), None);
    assert_eq!(c.management_api(), ManagementApi::Api3);
    let results = every_call(&c).await;
    results_ok(&results, &[]);
    assert_eq!(actions(&state), API3_MANAGEMENT);
    // Hosts and the region named by the data-plane host.
    let create = seen_where(&state, "CreateCmqQueue");
    assert_eq!(create.host, format!("tdmq.tencentcloudapi.com:{port}"));
    assert_eq!(create.region.as_deref(), Some("ap-guangzhou"));
    assert_eq!(create.params, json!({"QueueName": "orders"}));
    let send = seen_where(&state, "SendMessage");
    assert_eq!(send.host, format!("cmq-gz.public.tencenttdmq.com:{port}"));
    // Units reconciled: the handle takes seconds; API 3.0 wants milliseconds.
    let rewind = seen_where(&state, "RewindCmqQueue");
    assert_eq!(
        rewind.params["StartConsumeTime"],
        json!(1_700_000_000_000_i64)
    );
    // Streams page (5 items, 2 a page) and the exact subscription is found among the matches.
    assert_eq!(
        result(&results, "list_queues").as_deref().ok(),
        Some("q0,q1,q2,q3,q4")
    );
    assert_eq!(
        result(&results, "topic.subscriptions").as_deref().ok(),
        Some("s0,s1,s2,s3,s4")
    );
    // Times in Unix seconds on both APIs (API 3.0 answers milliseconds).
    assert_eq!(
        result(&results, "subscription.attributes").as_deref().ok(),
        Some("1700000000")
    );
}

#[tokio::test]
async fn a_legacy_host_uses_api2_for_everything() {
    let (addr, state) = start().await;
    let data = format!("http://cmq-queue-gz.api.qcloud.com:{}", addr.port());
    let c = client(addr, &data, None, None);
    assert_eq!(c.management_api(), ManagementApi::Api2);
    assert!(c.control_endpoint().is_none());
    let results = every_call(&c).await;
    results_ok(&results, &["queue.clear"]);
    assert!(matches!(
        result(&results, "queue.clear"),
        Err(Error::Config(_))
    ));
    assert_eq!(actions(&state), API2_ONLY);
    let rewind = seen_where(&state, "RewindQueue");
    assert_eq!(rewind.params["startConsumeTime"], json!("1700000000"));
    assert_eq!(
        result(&results, "list_queues").as_deref().ok(),
        Some("q0,q1,q2,q3,q4")
    );
    assert_eq!(
        result(&results, "queue.attributes").as_deref().ok(),
        Some("1462351990")
    );
}

#[tokio::test]
async fn a_local_endpoint_without_a_region_uses_api2() {
    let (addr, state) = start().await;
    let c = client(addr, &format!("http://{addr}"), None, None);
    assert_eq!(c.management_api(), ManagementApi::Api2);
    let results = every_call(&c).await;
    results_ok(&results, &["queue.clear"]);
    assert_eq!(actions(&state), API2_ONLY);
}

#[tokio::test]
async fn a_local_endpoint_with_a_region_manages_over_api3_on_the_same_origin() {
    let (addr, state) = start().await;
    let c = client(addr, &format!("http://{addr}"), None, Some("sh"));
    assert_eq!(c.management_api(), ManagementApi::Api3);
    let results = every_call(&c).await;
    results_ok(&results, &[]);
    assert_eq!(actions(&state), API3_MANAGEMENT);
    let create = seen_where(&state, "CreateCmqTopic");
    assert_eq!(create.host, addr.to_string());
    assert_eq!(create.region.as_deref(), Some("ap-shanghai"));
    let modify = seen_where(&state, "ModifyCmqQueueAttribute");
    assert_eq!(
        modify.params,
        json!({"QueueName": "orders", "PollingWaitSeconds": 5})
    );
}
