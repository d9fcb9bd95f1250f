//! The admin JSON API under `/_mock/`: the in-process powers (clock, inspection, deliveries,
//! faults, journal, reset) for tests in any language. Every answer is JSON; errors are
//! `{"error": "…"}` with status 400 or 404. Who may call it is the server's business
//! ([`crate::server::guard`]: same-origin, loopback `Host`, JSON or `X-CMQ-Mock` for changes,
//! optional token).
//!
//! | route | does |
//! |---|---|
//! | `GET /_mock/clock` | `{"now_ms", "manual"}` |
//! | `POST /_mock/clock` `{"advance_ms": N}` or `{"set_ms": N}` | moves a manual clock, wakes what is due |
//! | `GET /_mock/accounts` | the account ids |
//! | `GET /_mock/queues?account=ID` | the queue names |
//! | `GET /_mock/queues?account=ID&detail=1&offset=O&limit=L` | every queue with attributes, counters, dead-letter bindings both ways and traffic totals ([`listings`]) |
//! | `GET /_mock/queues/NAME?account=ID&state=S&offset=O&limit=L&bodies=full` | attributes, counters, dead-letter sources, traffic totals and one page of messages per state (bodies cut to 256 bytes unless `bodies=full`) |
//! | `POST /_mock/queues/NAME/messages` `{"body", "delaySeconds"?, "account"?}` | SendMessage, validated like a request ([`actions`]) |
//! | `POST /_mock/queues/NAME/purge` `{"account"?}` | drops every message of the queue |
//! | `GET /_mock/topics?account=ID&offset=O&limit=L` | every topic with its subscriptions, filters and push backlog |
//! | `POST /_mock/topics/NAME/messages` `{"body", "tags"?, "routingKey"?, "account"?}` | PublishMessage, validated like a request |
//! | `GET /_mock/deliveries?offset=O&limit=L&order=newest` / `DELETE /_mock/deliveries` | the push and fan-out log / clear it |
//! | `GET /_mock/faults` / `POST /_mock/faults` (a rule) / `DELETE /_mock/faults` | list / arm / clear |
//! | `GET /_mock/journal?offset=O&limit=L&order=newest&action=A&code=C&queue=Q` / `DELETE /_mock/journal` | requests seen (filtered) / clear |
//! | `GET /_mock/stats` | stored messages and bytes against their ceilings, the journal's size, armed faults, receives waiting |
//! | `POST /_mock/reset` | delete every queue, topic and message; clear faults, journal, deliveries |
//!
//! Listings are paged: `offset` (default 0) and `limit` (messages: default 100, at most 1000;
//! journal and delivery records: default and most 10,000, so that a plain GET returns a
//! default-sized journal whole). A page of messages is copied under its queue's lock, and only the page: the
//! state's index is walked to `offset + limit`, bodies are cut to a 256-byte preview (full bodies
//! with `bodies=full`, up to 4 MiB of bodies per page), and the JSON is built after the lock is
//! released.
//!
//! The dashboard ([`ui`], `GET /_mock/ui/`) is a static page over exactly these routes.

mod actions;
mod listings;
pub(crate) mod ui;
mod views;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde_json::{Value, json};

use crate::clock::Clock;
use crate::engine::Engine;
use crate::faults::{FaultRule, Faults};
use crate::journal::{Journal, JournalFilter};
use crate::protocol::v2::auth::Verifier;
use crate::protocol::v2::backend::Backend;
use crate::server::AdminRoutes;
use views::{
    DEFAULT_LIMIT, MAX_MESSAGE_LIMIT, MAX_RECORD_LIMIT, PAGE_BYTES, PREVIEW_BYTES, delivery_json,
    newest_first, pages_json, paging, paging_or, query_param, states, traffic_json,
};

/// The most fault rules armed at once.
pub const MAX_FAULT_RULES: usize = 1000;

/// The admin API of one mock.
pub struct Admin {
    backend: Arc<Backend>,
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
    /// The admin API over these parts (the engine is the backend's; sending and publishing run
    /// through the backend like requests).
    pub fn new(
        backend: Arc<Backend>,
        clock: Clock,
        faults: Arc<Faults>,
        journal: Arc<Journal>,
        verifier: Arc<Verifier>,
    ) -> Self {
        Self {
            backend,
            clock,
            faults,
            journal,
            verifier,
        }
    }

    fn engine(&self) -> &Engine {
        self.backend.engine()
    }

    fn account(&self, query: &str) -> String {
        query_param(query, "account").unwrap_or_else(|| self.verifier.default_account().to_owned())
    }

    fn clock_json(&self) -> Value {
        json!({ "now_ms": self.clock.now_ms(), "manual": self.clock.is_manual() })
    }

    /// Answers one admin request.
    pub async fn answer(
        &self,
        method: &str,
        path: &str,
        query: &str,
        body: &[u8],
    ) -> (u16, Vec<u8>) {
        let parts = route(path);
        match (method, parts.as_slice()) {
            ("POST", ["queues", name, "messages"]) => self.send(name, body).await,
            ("POST", ["topics", name, "messages"]) => self.publish(name, body).await,
            _ => self.answer_now(method, &parts, path, query, body),
        }
    }

    /// The routes answered without waiting.
    fn answer_now(
        &self,
        method: &str,
        parts: &[&str],
        path: &str,
        query: &str,
        body: &[u8],
    ) -> (u16, Vec<u8>) {
        match (method, parts) {
            ("GET", ["clock"]) => ok(self.clock_json()),
            ("POST", ["clock"]) => self.move_clock(body),
            ("GET", ["accounts"]) => ok(json!(self.engine().account_ids())),
            ("GET", ["queues"]) => self.queues(query),
            ("GET", ["queues", name]) => self.queue_page(name, query),
            ("POST", ["queues", name, "purge"]) => self.purge(name, body),
            ("GET", ["topics"]) => self.topics(query),
            ("GET", ["deliveries"]) => self.deliveries(query),
            ("DELETE", ["deliveries"]) => {
                self.engine().deliveries().clear();
                ok(json!({}))
            }
            ("GET", ["faults"]) => ok(json!(self.faults.rules())),
            ("POST", ["faults"]) => self.arm_fault(body),
            ("DELETE", ["faults"]) => {
                self.faults.clear();
                ok(json!({}))
            }
            ("GET", ["journal"]) => self.journal_page(query),
            ("DELETE", ["journal"]) => {
                self.journal.clear();
                ok(json!({}))
            }
            ("GET", ["stats"]) => ok(self.stats()),
            ("POST", ["reset"]) => {
                self.engine().reset();
                self.faults.clear();
                self.journal.clear();
                ok(json!({}))
            }
            _ => err(404, format!("no admin route {method} {path}")),
        }
    }

    /// The queue names, or with `detail=1` a page of queues in detail.
    fn queues(&self, query: &str) -> (u16, Vec<u8>) {
        let Some(a) = self.engine().account(&self.account(query)) else {
            return err(404, "no such account");
        };
        if !query_param(query, "detail").is_some_and(|d| d == "1" || d == "true") {
            return ok(json!(a.queue_names()));
        }
        match paging(query, MAX_MESSAGE_LIMIT) {
            Ok((offset, limit)) => ok(listings::queues(&a, offset, limit)),
            Err(e) => err(400, e),
        }
    }

    /// A page of topics with their subscriptions.
    fn topics(&self, query: &str) -> (u16, Vec<u8>) {
        let Some(a) = self.engine().account(&self.account(query)) else {
            return err(404, "no such account");
        };
        match paging(query, MAX_MESSAGE_LIMIT) {
            Ok((offset, limit)) => ok(listings::topics(&a, offset, limit)),
            Err(e) => err(400, e),
        }
    }

    /// A page of journal records, filtered by `action`, `code` and `queue` when given.
    fn journal_page(&self, query: &str) -> (u16, Vec<u8>) {
        let (offset, limit) = match paging(query, MAX_RECORD_LIMIT) {
            Ok(p) => p,
            Err(e) => return err(400, e),
        };
        let newest = match newest_first(query) {
            Ok(n) => n,
            Err(e) => return err(400, e),
        };
        let code = match query_param(query, "code").map(|c| c.trim().parse::<i64>()) {
            None => None,
            Some(Ok(c)) => Some(c),
            Some(Err(_)) => return err(400, "code must be a whole number"),
        };
        let filter = JournalFilter {
            action: query_param(query, "action").filter(|a| !a.is_empty()),
            code,
            queue: query_param(query, "queue").filter(|q| !q.is_empty()),
        };
        let (page, _) = self.journal.select(&filter, offset, limit, newest);
        ok(json!(page))
    }

    fn move_clock(&self, body: &[u8]) -> (u16, Vec<u8>) {
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

    fn arm_fault(&self, body: &[u8]) -> (u16, Vec<u8>) {
        match serde_json::from_slice::<FaultRule>(body) {
            Ok(_) if self.faults.rules().len() >= MAX_FAULT_RULES => err(
                400,
                format!("{MAX_FAULT_RULES} fault rules are armed already; clear some first"),
            ),
            Ok(rule) => ok(json!({ "id": self.faults.add(rule) })),
            Err(e) => err(400, e.to_string()),
        }
    }

    /// A page of a queue's messages per state asked for.
    fn queue_page(&self, name: &str, query: &str) -> (u16, Vec<u8>) {
        let Some(a) = self.engine().account(&self.account(query)) else {
            return err(404, "no such account");
        };
        let Some(q) = a.queue(name) else {
            return err(404, format!("no queue {name}"));
        };
        let full = query_param(query, "bodies").is_some_and(|b| b == "full");
        let (offset, limit) = match paging_or(query, DEFAULT_LIMIT, MAX_MESSAGE_LIMIT) {
            Ok(p) => p,
            Err(e) => return err(400, e),
        };
        let states = match states(query) {
            Ok(s) => s,
            Err(e) => return err(400, e),
        };
        let preview = (!full).then_some(PREVIEW_BYTES);
        let mut pages = Vec::with_capacity(states.len());
        for state in states {
            match q.page(state, offset, limit, preview, PAGE_BYTES) {
                Ok(p) => pages.push(p),
                Err(_) => return err(404, format!("no queue {name}")),
            }
        }
        let mut v = pages_json(&pages, offset, limit, full);
        if let Ok(t) = q.traffic() {
            v["traffic"] = traffic_json(&t);
        }
        v["deadLetterSources"] = json!(listings::dead_letter_sources(&a, q.name()));
        ok(v)
    }

    fn deliveries(&self, query: &str) -> (u16, Vec<u8>) {
        let (offset, limit) = match paging(query, MAX_RECORD_LIMIT) {
            Ok(p) => p,
            Err(e) => return err(400, e),
        };
        let log = self.engine().deliveries();
        let page = match newest_first(query) {
            Ok(false) => log.page(offset, limit).0,
            Ok(true) => {
                let (_, total) = log.page(0, 0);
                let end = total.saturating_sub(offset);
                let mut page = log
                    .page(end.saturating_sub(limit), end - end.saturating_sub(limit))
                    .0;
                page.reverse();
                page
            }
            Err(e) => return err(400, e),
        };
        ok(Value::Array(page.iter().map(delivery_json).collect()))
    }

    fn stats(&self) -> Value {
        let (messages, bytes) = self.engine().stored();
        let limits = self.engine().limits();
        json!({
            "storedMessages": messages,
            "storedBytes": bytes,
            "maxMessages": limits.max_messages,
            "maxMemory": limits.max_memory,
            "journalRecords": self.journal.len(),
            "journalBytes": self.journal.bytes(),
            "journalByteBudget": self.journal.byte_budget(),
            "faultRules": self.faults.rules().len(),
            "waitingReceives": self.engine().waiting_receives(),
        })
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
        let parts = route(path);
        if method == "POST" && matches!(parts.as_slice(), [_, _, "messages"]) {
            // The writes that run an action wait for it: they own their arguments.
            let (method, path, query, body) = (
                method.to_owned(),
                path.to_owned(),
                query.to_owned(),
                body.to_vec(),
            );
            return Box::pin(async move { self.answer(&method, &path, &query, &body).await });
        }
        let answer = self.answer_now(method, &parts, path, query, body);
        Box::pin(async move { answer })
    }
}

/// The segments of an admin path after `/_mock/`.
fn route(path: &str) -> Vec<&str> {
    path.trim_start_matches("/_mock/")
        .trim_end_matches('/')
        .split('/')
        .filter(|p| !p.is_empty())
        .collect()
}
