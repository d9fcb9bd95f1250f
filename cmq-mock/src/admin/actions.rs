//! The admin API's writes on queues and topics, for the dashboard and for tests in any language:
//! send a message, publish to a topic, purge a queue.
//!
//! Sending and publishing run the CMQ action itself (`SendMessage`, `PublishMessage`) through
//! the generated dispatcher, so the values are validated exactly like a request's and the answer
//! is the action's own; only the signature is skipped (the admin API's own checks stand in for
//! it: same origin, loopback `Host`, JSON or `X-CMQ-Mock`, the token). These calls are neither
//! journaled nor subject to injected faults, which belong to the CMQ endpoint. Purging has no
//! API 2.0 action; it drops every message of the queue through the engine.

use serde::Deserialize;
use serde_json::{Value, json};

use cmq_sdk::generated::actions::Action;

use super::{Admin, err, ok};
use crate::generated::dispatch::dispatch;
use crate::protocol::v2::service::RequestContext;
use crate::protocol::v2::wire::WireParams;

/// `POST /_mock/queues/NAME/messages`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SendBody {
    /// The account (default: the first).
    #[serde(default)]
    account: Option<String>,
    /// The message body.
    body: String,
    /// The delay, seconds (default: none).
    #[serde(default)]
    delay_seconds: Option<u64>,
}

/// `POST /_mock/topics/NAME/messages`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PublishBody {
    /// The account (default: the first).
    #[serde(default)]
    account: Option<String>,
    /// The message body.
    body: String,
    /// Message tags (tag topics).
    #[serde(default)]
    tags: Vec<String>,
    /// The routing key (routing-key topics).
    #[serde(default)]
    routing_key: Option<String>,
}

/// `POST /_mock/queues/NAME/purge` (the body may be empty).
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct PurgeBody {
    /// The account (default: the first).
    #[serde(default)]
    account: Option<String>,
}

fn parse<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, (u16, Vec<u8>)> {
    serde_json::from_slice(body).map_err(|e| err(400, format!("body: {e}")))
}

impl Admin {
    /// The account a write names (or the first), if the engine knows it.
    fn known_account(&self, named: Option<String>) -> Result<String, (u16, Vec<u8>)> {
        let id = named.unwrap_or_else(|| self.verifier.default_account().to_owned());
        match self.engine().account(&id) {
            Some(_) => Ok(id),
            None => Err(err(404, "no such account")),
        }
    }

    /// Runs `action` as `account` through the generated dispatcher: the action's JSON answer
    /// (200), or its error as `{"error", "code", "answer"}` (400).
    async fn run(&self, account: String, action: Action, params: WireParams) -> (u16, Vec<u8>) {
        let ctx = RequestContext {
            action,
            account_id: account,
            request_id: "admin".into(),
            client_request_id: None,
        };
        match dispatch(&*self.backend, &ctx, action, &params).await {
            Ok(body) => (200, body),
            Err(e) => {
                let answer: Value =
                    serde_json::from_slice(&e.encode(&ctx.request_id, None)).unwrap_or_default();
                (
                    400,
                    json!({ "error": e.to_string(), "code": e.error.code(), "answer": answer })
                        .to_string()
                        .into_bytes(),
                )
            }
        }
    }

    /// Sends one message to queue `name` (SendMessage).
    pub(super) async fn send(&self, name: &str, body: &[u8]) -> (u16, Vec<u8>) {
        let req: SendBody = match parse(body) {
            Ok(r) => r,
            Err(e) => return e,
        };
        let account = match self.known_account(req.account) {
            Ok(a) => a,
            Err(e) => return e,
        };
        let mut pairs = vec![
            ("queueName".to_owned(), name.to_owned()),
            ("msgBody".to_owned(), req.body),
        ];
        if let Some(d) = req.delay_seconds {
            pairs.push(("delaySeconds".to_owned(), d.to_string()));
        }
        self.run(account, Action::SendMessage, WireParams::from_pairs(pairs))
            .await
    }

    /// Publishes one message to topic `name` (PublishMessage).
    pub(super) async fn publish(&self, name: &str, body: &[u8]) -> (u16, Vec<u8>) {
        let req: PublishBody = match parse(body) {
            Ok(r) => r,
            Err(e) => return e,
        };
        let account = match self.known_account(req.account) {
            Ok(a) => a,
            Err(e) => return e,
        };
        let mut pairs = vec![
            ("topicName".to_owned(), name.to_owned()),
            ("msgBody".to_owned(), req.body),
        ];
        for (i, tag) in req.tags.into_iter().enumerate() {
            pairs.push((format!("msgTag.{}", i + 1), tag));
        }
        if let Some(k) = req.routing_key {
            pairs.push(("routingKey".to_owned(), k));
        }
        self.run(
            account,
            Action::PublishMessage,
            WireParams::from_pairs(pairs),
        )
        .await
    }

    /// Drops every message of queue `name`: `{"purged": N}`.
    pub(super) fn purge(&self, name: &str, body: &[u8]) -> (u16, Vec<u8>) {
        let req: PurgeBody = if body.iter().all(u8::is_ascii_whitespace) {
            PurgeBody::default()
        } else {
            match parse(body) {
                Ok(r) => r,
                Err(e) => return e,
            }
        };
        let account = match self.known_account(req.account) {
            Ok(a) => a,
            Err(e) => return e,
        };
        let queue = self.engine().account(&account).and_then(|a| a.queue(name));
        match queue.map(|q| q.purge()) {
            Some(Ok(n)) => ok(json!({ "purged": n })),
            _ => err(404, format!("no queue {name}")),
        }
    }
}
