//! The SDK's client-side work per call, without the network: validation, signing
//! (`Client::signed_params`), form encoding and answer decoding, for SendMessage and for a
//! BatchReceiveMessage answering 16 messages; and for an API 3.0 call (DescribeCmqQueues with a
//! hand-written request type shaped as generated ones will be): serialising and signing with
//! TC3-HMAC-SHA256 (`Client::signed_api3_request`) and decoding the answer.
//!
//! ```sh
//! cargo bench -p cmq-sdk --bench client_overhead
//! cargo bench -p cmq-sdk --bench client_overhead -- --iters=100000
//! ```
//!
//! Each line is the median per-call time over chunks of 256 calls, `--iters` calls in all
//! (default 200,000) and at most 2 s per line, on one thread. The answer bodies are what `cmq-mock` sends (same keys, same value shapes).

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use cmq_sdk::api3::{Api3Operation, decode_api3_answer};
use cmq_sdk::client::decode_answer;
use cmq_sdk::constraints::Violations;
use cmq_sdk::generated::ops::batch_receive_message::BatchReceiveMessageInput;
use cmq_sdk::generated::ops::send_message::SendMessageInput;
use cmq_sdk::{Client, Credentials, Operation, SignatureMethod};

const LINE_BUDGET: Duration = Duration::from_secs(2);

/// Microseconds per call of `f`: the median over chunks of [`CHUNK`] calls (robust to bursts of
/// load from elsewhere on the machine), at most `n` calls and [`LINE_BUDGET`].
fn per_call_us(n: usize, mut f: impl FnMut(u64)) -> Timing {
    // Warm-up: caches, allocator.
    for i in 0..(n / 20).max(1) {
        f(i as u64);
    }
    let start = Instant::now();
    let mut done = 0usize;
    let mut chunks: Vec<f64> = Vec::new();
    while done < n && start.elapsed() < LINE_BUDGET {
        let t = Instant::now();
        for _ in 0..CHUNK {
            f(done as u64 + 1);
            done += 1;
        }
        chunks.push(t.elapsed().as_secs_f64() * 1e6 / CHUNK as f64);
    }
    chunks.sort_by(f64::total_cmp);
    Timing {
        median: chunks.get(chunks.len() / 2).copied().unwrap_or(f64::NAN),
        best: chunks.first().copied().unwrap_or(f64::NAN),
    }
}

/// Per-call microseconds: the median chunk and the fastest chunk.
#[derive(Clone, Copy)]
struct Timing {
    median: f64,
    best: f64,
}

/// (on-CPU seconds of the whole machine, of this process), from `/proc` (USER_HZ = 100).
fn cpu_seconds() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    // cpu user nice system idle iowait irq softirq steal
    let busy: u64 = stat
        .lines()
        .next()
        .map(|l| {
            l.split_whitespace()
                .skip(1)
                .take(8)
                .enumerate()
                .filter(|(i, _)| *i != 3 && *i != 4)
                .filter_map(|(_, v)| v.parse::<u64>().ok())
                .sum()
        })
        .unwrap_or(0);
    let own_stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let own: u64 = own_stat
        .rsplit_once(')')
        .map(|(_, rest)| {
            rest.split_whitespace()
                .skip(11)
                .take(2)
                .filter_map(|v| v.parse::<u64>().ok())
                .sum()
        })
        .unwrap_or(0);
    (busy as f64 / 100.0, own as f64 / 100.0)
}

/// Calls per timed chunk.
const CHUNK: usize = 256;

fn send_answer() -> Vec<u8> {
    br#"{"code":0,"message":"","requestId":"8ee226b5-2","msgId":"1099511627777"}"#.to_vec()
}

fn batch_receive_answer(n: usize) -> Vec<u8> {
    let mut s = String::from(r#"{"code":0,"message":"","requestId":"8ee226b5-5","msgInfoList":["#);
    for i in 0..n {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(
            s,
            r#"{{"msgBody":"0123456789abcdef","msgId":"{}","receiptHandle":"{}","enqueueTime":1795625116,"firstDequeueTime":1795625117,"nextVisibleTime":1795625147,"dequeueCount":1}}"#,
            1_099_511_627_777u64 + i as u64,
            79_228_162_514_264_337_597_838_917_633u128 + ((i as u128) << 32)
        );
    }
    s.push_str("]}");
    s.into_bytes()
}

struct Row {
    label: String,
    us: Timing,
}

fn bench_action<O: Operation>(
    client: &Client,
    name: &str,
    input: &O,
    answer: &[u8],
    iters: usize,
    rows: &mut Vec<Row>,
) {
    let ts = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    // Sanity: the answer decodes.
    decode_answer::<O>(answer).expect("the answer decodes");
    let mut row = |part: &str, us: Timing| {
        rows.push(Row {
            label: format!("{name}: {part}"),
            us,
        });
    };
    row(
        "validate",
        per_call_us(iters, |_| {
            black_box(black_box(input).validate()).expect("valid");
        }),
    );
    row(
        "signed_params",
        per_call_us(iters, |nonce| {
            black_box(client.signed_params(black_box(input), ts, nonce));
        }),
    );
    let (params, _) = client.signed_params(input, ts, 1);
    row(
        "to_form",
        per_call_us(iters, |_| {
            black_box(black_box(&params).to_form());
        }),
    );
    row(
        "decode_answer",
        per_call_us(iters, |_| {
            black_box(decode_answer::<O>(black_box(answer))).expect("decodes");
        }),
    );
    row(
        "signed_params + to_form + decode_answer",
        per_call_us(iters, |nonce| {
            let (p, _) = client.signed_params(black_box(input), ts, nonce);
            black_box(p.to_form());
            black_box(decode_answer::<O>(black_box(answer))).expect("decodes");
        }),
    );
    row(
        "validate + signed_params + to_form + decode_answer",
        per_call_us(iters, |nonce| {
            black_box(input).validate().expect("valid");
            let (p, _) = client.signed_params(black_box(input), ts, nonce);
            black_box(p.to_form());
            black_box(decode_answer::<O>(black_box(answer))).expect("decodes");
        }),
    );
}

/// A one-pass decode of the same answer into plain derived structs: what serde_json alone costs.
#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct FloorAnswer {
    code: i64,
    message: String,
    #[serde(rename = "requestId")]
    request_id: String,
    #[serde(rename = "msgInfoList", default)]
    msg_info_list: Vec<FloorMessage>,
}

#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct FloorMessage {
    #[serde(rename = "msgBody")]
    msg_body: String,
    #[serde(rename = "msgId")]
    msg_id: String,
    #[serde(rename = "receiptHandle")]
    receipt_handle: String,
    #[serde(rename = "enqueueTime")]
    enqueue_time: i64,
    #[serde(rename = "firstDequeueTime")]
    first_dequeue_time: i64,
    #[serde(rename = "nextVisibleTime")]
    next_visible_time: i64,
    #[serde(rename = "dequeueCount")]
    dequeue_count: i64,
}

fn floor_rows(name: &str, answer: &[u8], iters: usize, rows: &mut Vec<Row>) {
    rows.push(Row {
        label: format!("{name}: floor, serde_json pass without building values"),
        us: per_call_us(iters, |_| {
            black_box(serde_json::from_slice::<serde::de::IgnoredAny>(black_box(
                answer,
            )))
            .expect("JSON");
        }),
    });
    rows.push(Row {
        label: format!("{name}: floor, one-pass decode into derived structs"),
        us: per_call_us(iters, |_| {
            black_box(serde_json::from_slice::<FloorAnswer>(black_box(answer))).expect("JSON");
        }),
    });
}

#[derive(serde::Serialize)]
struct DescribeCmqQueues {
    #[serde(rename = "Offset", skip_serializing_if = "Option::is_none")]
    offset: Option<i64>,
    #[serde(rename = "Limit", skip_serializing_if = "Option::is_none")]
    limit: Option<i64>,
    #[serde(rename = "QueueName", skip_serializing_if = "Option::is_none")]
    queue_name: Option<String>,
}

#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct CmqQueue {
    #[serde(rename = "QueueName")]
    queue_name: String,
    #[serde(rename = "QueueId")]
    queue_id: String,
    #[serde(rename = "CreateTime")]
    create_time: i64,
}

#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct DescribeCmqQueuesOut {
    #[serde(rename = "TotalCount")]
    total_count: i64,
    #[serde(rename = "QueueList")]
    queue_list: Vec<CmqQueue>,
    #[serde(rename = "RequestId")]
    request_id: String,
}

impl Api3Operation for DescribeCmqQueues {
    type Output = DescribeCmqQueuesOut;
    const ACTION: &'static str = "DescribeCmqQueues";
    const SERVICE: &'static str = "tdmq";
    const VERSION: &'static str = "2020-02-17";
    const IDEMPOTENT: bool = true;
    fn validate(&self) -> Result<(), Violations<cmq_sdk::generated::v3::errors::Api3ErrorId>> {
        Ok(())
    }
    fn target(&self) -> Option<&str> {
        self.queue_name.as_deref()
    }
}

fn api3_rows(creds: Credentials, iters: usize, rows: &mut Vec<Row>) {
    let client = Client::builder()
        .endpoint("http://127.0.0.1:8641")
        .region("ap-guangzhou")
        .credentials(creds)
        .build()
        .expect("client");
    let input = DescribeCmqQueues {
        offset: Some(0),
        limit: Some(20),
        queue_name: Some("orders".into()),
    };
    let mut answer = String::from(r#"{"Response":{"TotalCount":20,"QueueList":["#);
    for i in 0..20 {
        if i > 0 {
            answer.push(',');
        }
        let _ = write!(
            answer,
            r#"{{"QueueName":"orders-{i}","QueueId":"queue-{i:08}","CreateTime":1795625116000}}"#
        );
    }
    answer.push_str(r#"],"RequestId":"8ee226b5-6"}}"#);
    let answer = answer.into_bytes();
    decode_api3_answer::<DescribeCmqQueues>(&answer).expect("the answer decodes");
    rows.push(Row {
        label: "API 3.0 DescribeCmqQueues: serialise + signed_api3_request (TC3)".into(),
        us: per_call_us(iters, |ts| {
            black_box(client.signed_api3_request(black_box(&input), 1_795_625_116 + ts))
                .expect("signed");
        }),
    });
    rows.push(Row {
        label: "API 3.0 DescribeCmqQueues(20 queues): decode_api3_answer".into(),
        us: per_call_us(iters, |_| {
            black_box(decode_api3_answer::<DescribeCmqQueues>(black_box(&answer)))
                .expect("decodes");
        }),
    });
}

fn main() {
    let mut iters = 200_000usize;
    for a in std::env::args().skip(1) {
        if let Some(v) = a.strip_prefix("--iters=") {
            iters = v.parse().unwrap_or(iters);
        }
    }
    let iters = iters.clamp(100, 5_000_000);
    let creds = Credentials::new("AKIDcmqmockdefault", "cmq-mock-default-secret-key");
    let sha1 = Client::new("http://127.0.0.1:8641", creds.clone()).expect("client");
    let api3_creds = creds.clone();
    let sha256 = Client::builder()
        .endpoint("http://127.0.0.1:8641")
        .credentials(creds)
        .signature_method(SignatureMethod::HmacSha256)
        .build()
        .expect("client");

    let send = SendMessageInput::new()
        .queue_name("orders")
        .msg_body("0123456789abcdef");
    let receive = BatchReceiveMessageInput::new()
        .queue_name("orders")
        .num_of_msg(16)
        .polling_wait_seconds(10);
    let send_body = send_answer();
    let receive_body = batch_receive_answer(16);

    let (busy0, own0) = cpu_seconds();
    let wall0 = Instant::now();
    let mut rows = Vec::new();
    bench_action(&sha1, "SendMessage", &send, &send_body, iters, &mut rows);
    bench_action(
        &sha1,
        "BatchReceiveMessage(16)",
        &receive,
        &receive_body,
        iters,
        &mut rows,
    );
    floor_rows("BatchReceiveMessage(16)", &receive_body, iters, &mut rows);
    let ts = 1_795_625_116;
    rows.push(Row {
        label: "SendMessage: signed_params, HmacSHA256".into(),
        us: per_call_us(iters, |nonce| {
            black_box(sha256.signed_params(black_box(&send), ts, nonce));
        }),
    });
    api3_rows(api3_creds, iters, &mut rows);
    println!(
        "cmq-sdk client-side work per call (no network), median of 256-call chunks, up to {iters} calls; answer bodies: SendMessage {} B, BatchReceiveMessage(16) {} B",
        send_body.len(),
        receive_body.len()
    );
    println!("{:<76} {:>9} {:>9}", "", "median", "best");
    for r in &rows {
        println!(
            "{:<76} {:>6.2} us {:>6.2} us",
            r.label, r.us.median, r.us.best
        );
    }
    let (busy1, own1) = cpu_seconds();
    println!(
        "other load on the machine during the run: {:.2} cores (of 2)",
        ((busy1 - busy0) - (own1 - own0)).max(0.0) / wall0.elapsed().as_secs_f64()
    );
}
