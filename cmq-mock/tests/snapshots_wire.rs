//! Insta snapshots of what goes on the wire, one per action or error, so any change to the
//! bytes a client or server sends shows up in review:
//!
//! * `request__<Action>`: the string to sign and the form body the SDK sends for the action's
//!   request case in `spec/conformance/requests.json` (fixed Nonce and Timestamp);
//! * `answer__<Action>`: the mock's JSON answer to the action in a scripted session on a manual
//!   clock, exactly as sent (key order, alias keys, numbers and strings as they are), with only
//!   the random ids (queue, topic and subscription ids) replaced by `"[key]"`: times, message ids,
//!   receipt handles and the request id are deterministic and kept;
//! * `error__<ErrorId>`: `ServiceError::new(id).encode("req-1", None)` for every error of the
//!   spec.

use std::path::{Path, PathBuf};

use cmq_mock::Clock;
use cmq_mock::CmqMock;
use cmq_mock::ServiceError;
use cmq_mock::WireParams;
use cmq_mock::internal::decode;
use cmq_sdk::operation::WireOutput;
use cmq_sdk::{Action, Client, Credentials, ErrorId, Operation};
use serde_json::Value;

const TIMESTAMP: u64 = 1_700_000_000;
const NONCE: u64 = 424_242;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

// ------------------------------------------------------------------------------ requests

/// The string to sign and the form body of `input`, signed by `client`.
fn request_text<O: Operation>(client: &Client, input: &O) -> String {
    let (params, sts) = client.signed_params(input, TIMESTAMP, NONCE);
    format!("{sts}\n\n{}", params.to_form())
}

/// Decodes `p` with the mock's decoder into the action's typed input and renders its request.
fn request_of(client: &Client, action: Action, p: &WireParams) -> String {
    struct Render<'a>(&'a Client);
    impl decode::DecodedVisitor for Render<'_> {
        type Out = String;
        fn visit<O>(self, input: O) -> String
        where
            O: Operation,
            O::Output: WireOutput + serde::Serialize,
        {
            request_text(self.0, &input)
        }
    }
    let mut errs = Vec::new();
    let text = decode::decode_any(action, p, &mut errs, Render(client));
    assert!(errs.is_empty(), "{action}: {errs:?}");
    text
}

#[test]
fn request_of_every_action() {
    let path = root().join("spec/conformance/requests.json");
    let corpus: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("requests.json");
    let client = Client::builder()
        .endpoint("https://cmq-gz.public.tencenttdmq.com")
        .credentials(Credentials::new(
            "AKIDsnapshot0000000000001",
            "snapshot-secret-key",
        ))
        .request_client("SDK_Rust_snapshot")
        .build()
        .expect("client");
    let mut seen = Vec::new();
    for case in corpus["cases"].as_array().into_iter().flatten() {
        if case["via"] != "client" {
            continue;
        }
        let name = case["action"].as_str().unwrap_or_default();
        let action = Action::from_wire(name).expect("a known action");
        let p = WireParams::from_pairs(
            case["input"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned())),
        );
        insta::assert_snapshot!(format!("request__{name}"), request_of(&client, action, &p));
        seen.push(action);
    }
    seen.sort_by_key(|a| a.as_str());
    seen.dedup();
    assert_eq!(seen.len(), Action::ALL.len(), "a request per action");
}

// ------------------------------------------------------------------------------ answers

/// Keys whose values are random: queue, topic and subscription ids (a dead-letter policy names
/// its queue by id) and message ids (a topic's are random; a queue's follow from the queue and
/// its sequence number, but are redacted with them). Nothing else is: the manual clock fixes every
/// time, and receipt handles and the in-process request id (`local`) follow from the session.
/// `answer_of_every_action` runs the session twice and checks both halves of that claim.
const RANDOM: &[&str] = &[
    "queueId",
    "deadLetterQueue",
    "topicId",
    "subscriptionId",
    "msgId",
];

/// Every `"key":"value"` of a random key in `v`, in document order: the key, the text and its
/// replacement `"key":"[key]"`. Panics on a random key whose value is not a string: replacing it
/// would turn a number into a string.
fn redactions(v: &Value, out: &mut Vec<(String, String, String)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let random = RANDOM.contains(&k.as_str());
                match x {
                    Value::String(_) if random => out.push((
                        k.clone(),
                        format!("{}:{x}", Value::from(k.as_str())),
                        format!("{}:\"[{k}]\"", Value::from(k.as_str())),
                    )),
                    _ if random => panic!("`{k}` is {x}, not a string: redact it keeping its type"),
                    _ => redactions(x, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|x| redactions(x, out)),
        _ => {}
    }
}

/// The body as sent (compact JSON, the mock's key order) with the random ids replaced, and what
/// it replaced (key, text).
fn redact(body: &[u8]) -> (String, Vec<(String, String)>) {
    let text = String::from_utf8(body.to_vec()).expect("UTF-8");
    let v: Value = serde_json::from_str(&text).expect("JSON");
    let mut found = Vec::new();
    redactions(&v, &mut found);
    let text = found
        .iter()
        .fold(text, |t, (_, from, to)| t.replace(from, to));
    let values = found.into_iter().map(|(k, from, _)| (k, from)).collect();
    (text, values)
}

fn params(pairs: &[(&str, &str)]) -> WireParams {
    WireParams::from_pairs(pairs.iter().copied())
}

struct Session {
    mock: CmqMock,
    account: String,
    /// The first answer to each action, in order.
    answers: Vec<(Action, Vec<u8>)>,
}

impl Session {
    /// A session on a fresh mock whose manual clock reads `TIMESTAMP`.
    async fn start() -> Session {
        let mock = CmqMock::builder()
            .clock(Clock::manual(TIMESTAMP * 1000))
            .route_addrs(vec!["10.0.0.1:6380".into()])
            .start()
            .await
            .expect("mock");
        let account = mock.secret_id().to_owned();
        Session {
            mock,
            account,
            answers: Vec::new(),
        }
    }

    /// Runs the scripted session (every action at least once); returns the first answers.
    async fn script(mut self) -> Vec<(Action, Vec<u8>)> {
        self.queues().await;
        self.messages().await;
        self.topics().await;
        self.mock.shutdown().await;
        self.answers
    }

    /// Runs `action`; the answer must be a success. Keeps it unless `quiet`.
    async fn run(&mut self, action: Action, pairs: &[(&str, &str)], quiet: bool) -> Value {
        let body = self
            .mock
            .call(&self.account, action, &params(pairs))
            .await
            .unwrap_or_else(|e| panic!("{action}: {e}"));
        if !quiet && !self.answers.iter().any(|(a, _)| *a == action) {
            self.answers.push((action, body.to_vec()));
        }
        serde_json::from_slice(&body).expect("JSON")
    }

    async fn ok(&mut self, action: Action, pairs: &[(&str, &str)]) -> Value {
        self.run(action, pairs, false).await
    }

    async fn setup(&mut self, action: Action, pairs: &[(&str, &str)]) -> Value {
        self.run(action, pairs, true).await
    }
}

/// The same session twice, on two fresh mocks: after redaction the answers are byte for byte
/// the same (nothing left is random), and every redacted key had a value that differed between
/// the two runs (no key is redacted that is never random). Then one snapshot per action.
#[tokio::test]
async fn answer_of_every_action() {
    let first = Session::start().await.script().await;
    let second = Session::start().await.script().await;
    let mut seen: Vec<Action> = first.iter().map(|(a, _)| *a).collect();
    seen.sort_by_key(|a| a.as_str());
    assert_eq!(seen, Action::ALL, "an answer per action");
    assert_eq!(first.len(), second.len());
    let mut differed = std::collections::BTreeSet::new();
    for ((action, a), (again, b)) in first.iter().zip(&second) {
        assert_eq!(action, again);
        let ((text, values), (text2, values2)) = (redact(a), redact(b));
        assert_eq!(text, text2, "{action}: something unredacted is random");
        for ((key, x), (_, y)) in values.iter().zip(&values2) {
            if x != y {
                differed.insert(key.as_str().to_owned());
            }
        }
        insta::assert_snapshot!(format!("answer__{action}"), text);
    }
    let mut random: Vec<&str> = RANDOM.to_vec();
    random.sort_unstable();
    assert_eq!(
        differed.iter().map(String::as_str).collect::<Vec<_>>(),
        random,
        "redacted keys whose values were the same in both runs are not random"
    );
}

impl Session {
    /// The queue actions.
    async fn queues(&mut self) {
        use Action::*;
        self.ok(
            CreateQueue,
            &[
                ("queueName", "orders"),
                ("visibilityTimeout", "60"),
                ("rewindSeconds", "3600"),
            ],
        )
        .await;
        self.setup(CreateQueue, &[("queueName", "orders-dlq")])
            .await;
        let dlq = r#"{"deadLetterQueue":"orders-dlq","policy":0,"maxReceiveCount":3}"#;
        self.ok(
            SetQueueAttributes,
            &[("queueName", "orders"), ("deadLetterPolicy", dlq)],
        )
        .await;
        self.ok(GetQueueAttributes, &[("queueName", "orders")])
            .await;
        self.ok(ListQueue, &[("offset", "0"), ("limit", "10")])
            .await;
        self.ok(
            ListDeadLetterSourceQueues,
            &[("deadLetterQueueName", "orders-dlq")],
        )
        .await;
        self.ok(UnbindDeadLetterQueue, &[("queueName", "orders")])
            .await;
        self.ok(QueryQueueRoute, &[("queueName", "orders")]).await;
    }

    /// The message actions.
    async fn messages(&mut self) {
        use Action::*;
        self.ok(
            SendMessage,
            &[("queueName", "orders"), ("msgBody", "hello")],
        )
        .await;
        let got = self
            .ok(
                ReceiveMessage,
                &[("queueName", "orders"), ("pollingWaitSeconds", "0")],
            )
            .await;
        let handle = got["receiptHandle"].as_str().unwrap_or_default().to_owned();
        self.ok(
            DeleteMessage,
            &[("queueName", "orders"), ("receiptHandle", &handle)],
        )
        .await;
        self.ok(
            BatchSendMessage,
            &[
                ("queueName", "orders"),
                ("msgBody.1", "a"),
                ("msgBody.2", "b"),
            ],
        )
        .await;
        let got = self
            .ok(
                BatchReceiveMessage,
                &[("queueName", "orders"), ("numOfMsg", "16")],
            )
            .await;
        let handles: Vec<String> = got["msgInfoList"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|m| m["receiptHandle"].as_str().unwrap_or_default().to_owned())
            .collect();
        let keys: Vec<String> = (1..=handles.len())
            .map(|i| format!("receiptHandle.{i}"))
            .collect();
        let mut pairs: Vec<(&str, &str)> = vec![("queueName", "orders")];
        pairs.extend(
            keys.iter()
                .map(String::as_str)
                .zip(handles.iter().map(String::as_str)),
        );
        self.ok(BatchDeleteMessage, &pairs).await;
        let start = (TIMESTAMP - 60).to_string();
        self.ok(
            RewindQueue,
            &[("queueName", "orders"), ("startConsumeTime", &start)],
        )
        .await;
    }

    /// The topic and subscription actions.
    async fn topics(&mut self) {
        use Action::*;
        self.ok(CreateTopic, &[("topicName", "events"), ("filterType", "1")])
            .await;
        self.ok(
            SetTopicAttributes,
            &[("topicName", "events"), ("maxMsgSize", "1048576")],
        )
        .await;
        self.ok(GetTopicAttributes, &[("topicName", "events")])
            .await;
        self.ok(ListTopic, &[]).await;
        self.ok(QueryTopicRoute, &[("topicName", "events")]).await;
        self.setup(CreateQueue, &[("queueName", "fanout")]).await;
        let sub = [("topicName", "events"), ("subscriptionName", "audit")];
        self.ok(
            Subscribe,
            &[
                sub[0],
                sub[1],
                ("protocol", "queue"),
                ("endpoint", "fanout"),
                ("filterTag.1", "red"),
            ],
        )
        .await;
        self.ok(ListSubscriptionByTopic, &[("topicName", "events")])
            .await;
        self.ok(
            SetSubscriptionAttributes,
            &[sub[0], sub[1], ("notifyStrategy", "BACKOFF_RETRY")],
        )
        .await;
        self.ok(GetSubscriptionAttributes, &sub).await;
        self.ok(
            PublishMessage,
            &[
                ("topicName", "events"),
                ("msgBody", "p1"),
                ("msgTag.1", "red"),
            ],
        )
        .await;
        self.ok(
            BatchPublishMessage,
            &[
                ("topicName", "events"),
                ("msgBody.1", "p2"),
                ("msgTag.1", "red"),
            ],
        )
        .await;
        self.ok(ClearSubscriptionFilterTags, &sub).await;
        self.ok(Unsubscribe, &sub).await;
        self.ok(DeleteTopic, &[("topicName", "events")]).await;
        self.ok(DeleteQueue, &[("queueName", "fanout")]).await;
    }
}

// ------------------------------------------------------------------------------ errors

#[test]
fn body_of_every_error() {
    for &id in ErrorId::ALL {
        let body = ServiceError::new(id).encode("req-1", None);
        insta::assert_snapshot!(
            format!("error__{}", id.id()),
            String::from_utf8(body).expect("UTF-8")
        );
    }
}
