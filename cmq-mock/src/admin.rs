//! The admin JSON API under `/_mock/`: the in-process powers (clock, inspection, deliveries,
//! faults, journal, reset) for tests in any language. Every answer is JSON; errors are
//! `{"error": "…"}` with status 400 or 404.
//!
//! | route | does |
//! |---|---|
//! | `GET /_mock/clock` | `{"now_ms", "manual"}` |
//! | `POST /_mock/clock` `{"advance_ms": N}` or `{"set_ms": N}` | moves a manual clock, wakes what is due |
//! | `GET /_mock/accounts` | the account ids |
//! | `GET /_mock/queues?account=ID` | the queue names |
//! | `GET /_mock/queues/NAME?account=ID` | attributes, counters and messages by state |
//! | `GET /_mock/deliveries` / `DELETE /_mock/deliveries` | the push and fan-out log / clear it |
//! | `GET /_mock/faults` / `POST /_mock/faults` (a rule) / `DELETE /_mock/faults` | list / arm / clear |
//! | `GET /_mock/journal` / `DELETE /_mock/journal` | requests seen / clear |
//! | `POST /_mock/reset` | delete every queue, topic and message; clear faults, journal, deliveries |

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde_json::{Value, json};

use crate::clock::Clock;
use crate::engine::{
    DeliveryOutcome, DeliveryRecord, Engine, MessageView, PushFailure, QueueSnapshot,
};
use crate::faults::{FaultRule, Faults};
use crate::journal::Journal;
use crate::protocol::v2::auth::Verifier;
use crate::server::AdminRoutes;

/// The admin API of one mock.
pub struct Admin {
    engine: Engine,
    clock: Clock,
    faults: Arc<Faults>,
    journal: Arc<Journal>,
    verifier: Arc<Verifier>,
}

impl std::fmt::Debug for Admin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admin").finish_non_exhaustive()
    }
}

fn message_json(m: &MessageView) -> Value {
    json!({
        "msgId": m.msg_id,
        "msgBody": m.body,
        "state": format!("{:?}", m.state).to_lowercase(),
        "enqueueTimeMs": m.enqueue_time_ms,
        "firstDequeueTimeMs": m.first_dequeue_time_ms,
        "nextVisibleTimeMs": m.next_visible_time_ms,
        "dequeueCount": m.dequeue_count,
    })
}

/// A queue snapshot as JSON.
fn snapshot_json(s: &QueueSnapshot) -> Value {
    let a = &s.attributes;
    let c = &a.counters;
    let list = |v: &[MessageView]| Value::Array(v.iter().map(message_json).collect());
    json!({
        "queueName": a.queue_name,
        "queueId": a.queue_id,
        "createTime": a.create_time_ms / 1000,
        "lastModifyTime": a.last_modify_time_ms / 1000,
        "visibilityTimeout": a.config.visibility_timeout,
        "pollingWaitSeconds": a.config.polling_wait_seconds,
        "maxMsgSize": a.config.max_msg_size,
        "msgRetentionSeconds": a.config.msg_retention_seconds,
        "rewindSeconds": a.config.rewind_seconds,
        "counters": {
            "activeMsgNum": c.active_msg_num,
            "inactiveMsgNum": c.inactive_msg_num,
            "delayMsgNum": c.delay_msg_num,
            "rewindMsgNum": c.rewind_msg_num,
            "minMsgTime": c.min_msg_time_ms / 1000,
        },
        "messages": {
            "active": list(&s.active),
            "inactive": list(&s.inactive),
            "delayed": list(&s.delayed),
            "deleted": list(&s.deleted),
        },
    })
}

/// A delivery record as JSON.
fn delivery_json(r: &DeliveryRecord) -> Value {
    let (outcome, detail) = match &r.outcome {
        DeliveryOutcome::Delivered { status } => ("delivered", json!({ "status": status })),
        DeliveryOutcome::Failed(PushFailure::Status(s)) => ("failed", json!({ "status": s })),
        DeliveryOutcome::Failed(PushFailure::Timeout) => ("failed", json!({ "timeout": true })),
        DeliveryOutcome::Failed(PushFailure::Transport(e)) => ("failed", json!({ "transport": e })),
        DeliveryOutcome::Dropped => ("dropped", Value::Null),
        DeliveryOutcome::Expired => ("expired", Value::Null),
        DeliveryOutcome::Enqueued { queue_msg_id } => {
            ("enqueued", json!({ "queueMsgId": queue_msg_id }))
        }
        DeliveryOutcome::EnqueueFailed { error } => ("enqueue_failed", json!({ "error": error })),
    };
    json!({
        "seq": r.seq,
        "account": r.owner,
        "topic": r.topic,
        "subscription": r.subscription,
        "protocol": r.protocol.as_str(),
        "endpoint": r.endpoint,
        "msgId": r.msg_id,
        "attempt": r.attempt,
        "timeMs": r.time_ms,
        "outcome": outcome,
        "detail": detail,
    })
}

fn query_param(query: &str, name: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn ok(v: Value) -> (u16, Vec<u8>) {
    (200, v.to_string().into_bytes())
}

fn err(status: u16, msg: impl Into<String>) -> (u16, Vec<u8>) {
    (
        status,
        json!({ "error": msg.into() }).to_string().into_bytes(),
    )
}

impl Admin {
    /// The admin API over these parts.
    pub fn new(
        engine: Engine,
        clock: Clock,
        faults: Arc<Faults>,
        journal: Arc<Journal>,
        verifier: Arc<Verifier>,
    ) -> Self {
        Self {
            engine,
            clock,
            faults,
            journal,
            verifier,
        }
    }

    fn account(&self, query: &str) -> String {
        query_param(query, "account").unwrap_or_else(|| self.verifier.default_account().to_owned())
    }

    fn clock_json(&self) -> Value {
        json!({ "now_ms": self.clock.now_ms(), "manual": self.clock.is_manual() })
    }

    /// Answers one admin request.
    pub fn answer(&self, method: &str, path: &str, query: &str, body: &[u8]) -> (u16, Vec<u8>) {
        let rest = path.trim_start_matches("/_mock/").trim_end_matches('/');
        let parts: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
        match (method, parts.as_slice()) {
            ("GET", ["clock"]) => ok(self.clock_json()),
            ("POST", ["clock"]) => {
                let v: Value = match serde_json::from_slice(body) {
                    Ok(v) => v,
                    Err(e) => return err(400, format!("body is not JSON: {e}")),
                };
                if !self.clock.is_manual() {
                    return err(
                        400,
                        "the mock runs on the system clock; start it with a manual clock to move time",
                    );
                }
                if let Some(ms) = v.get("advance_ms").and_then(Value::as_u64) {
                    self.clock.advance(std::time::Duration::from_millis(ms));
                } else if let Some(ms) = v.get("set_ms").and_then(Value::as_u64) {
                    self.clock.set_ms(ms);
                } else {
                    return err(400, "expected {\"advance_ms\": N} or {\"set_ms\": N}");
                }
                ok(self.clock_json())
            }
            ("GET", ["accounts"]) => ok(json!(self.engine.account_ids())),
            ("GET", ["queues"]) => match self.engine.account(&self.account(query)) {
                Some(a) => ok(json!(a.queue_names())),
                None => err(404, "no such account"),
            },
            ("GET", ["queues", name]) => {
                let Some(a) = self.engine.account(&self.account(query)) else {
                    return err(404, "no such account");
                };
                match a.inspect_queue(name) {
                    Ok(s) => ok(snapshot_json(&s)),
                    Err(_) => err(404, format!("no queue {name}")),
                }
            }
            ("GET", ["deliveries"]) => ok(Value::Array(
                self.engine
                    .deliveries()
                    .records()
                    .iter()
                    .map(delivery_json)
                    .collect(),
            )),
            ("DELETE", ["deliveries"]) => {
                self.engine.deliveries().clear();
                ok(json!({}))
            }
            ("GET", ["faults"]) => ok(json!(self.faults.rules())),
            ("POST", ["faults"]) => match serde_json::from_slice::<FaultRule>(body) {
                Ok(rule) => ok(json!({ "id": self.faults.add(rule) })),
                Err(e) => err(400, e.to_string()),
            },
            ("DELETE", ["faults"]) => {
                self.faults.clear();
                ok(json!({}))
            }
            ("GET", ["journal"]) => ok(json!(self.journal.records())),
            ("DELETE", ["journal"]) => {
                self.journal.clear();
                ok(json!({}))
            }
            ("POST", ["reset"]) => {
                self.engine.reset();
                self.faults.clear();
                self.journal.clear();
                ok(json!({}))
            }
            _ => err(404, format!("no admin route {method} {path}")),
        }
    }
}

impl AdminRoutes for Admin {
    fn handle(
        &self,
        method: &str,
        path: &str,
        query: &str,
        body: &[u8],
    ) -> Pin<Box<dyn Future<Output = (u16, Vec<u8>)> + Send + '_>> {
        let answer = self.answer(method, path, query, body);
        Box::pin(async move { answer })
    }
}
