//! Fault injection: make the next calls of an action (or of every action) fail with a chosen
//! error, wait longer, lose their connection, or be carried out and lose their answer.
//!
//! Rules are checked after a request has been authenticated and its action is known, just
//! before the service is called; requests refused earlier (bad signature, unknown action…) do not
//! use up a rule. For each request, the first armed latency rule that matches adds its latency
//! (real tokio time: latency simulates the network, so it does not follow a manual clock), and
//! the first armed error or drop rule that matches decides the answer instead of the service
//! (a `drop_answer` rule lets the service carry the request out, then closes the connection
//! without its answer: what a client sees when an answer is lost on the way back).
//! Each rule that applies uses up one of its `times`; a rule with no `times` applies until it is
//! removed or [`Faults::clear`] is called.
//!
//! When no rule is armed, checking costs one relaxed atomic load.
//!
//! # JSON shape (admin API)
//!
//! One rule is a JSON object with:
//!
//! * `action`: the action's wire name (matched exactly, then ignoring case), or `null` / absent
//!   for every action;
//! * `times`: how many matching calls the rule applies to (at least 1), or `null` / absent for
//!   "until cleared";
//! * exactly one effect:
//!   * `"error": "<ErrorId>"` (the spec id, e.g. `"QueueFull"`), with an optional
//!     `"subject"` that fills the message's `%s`;
//!   * `"code": <int>` with an optional `"message": "<text>"`: a raw envelope, the message
//!     exactly as given (e.g. `"(10240)queue is full"`);
//!   * `"latency_ms": <int>`: added latency;
//!   * `"drop_connection": true`: the connection is closed without an answer; the request is
//!     not carried out;
//!   * `"drop_answer": true`: the request is carried out (and journaled with its code), then
//!     the connection is closed without the answer.
//!
//! ```json
//! {"action": "SendMessage", "times": 2, "error": "QueueFull"}
//! {"action": null, "latency_ms": 200, "times": 1}
//! {"action": "ReceiveMessage", "drop_connection": true, "times": 1}
//! {"action": "DeleteMessage", "drop_answer": true, "times": 1}
//! {"code": 6000, "message": "(10050)server internal error"}
//! ```
//!
//! Listed rules ([`ArmedFault`]) carry their `id` and the `times` still left.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use cmq_sdk::generated::actions::Action;
use cmq_sdk::generated::errors::ErrorId;
use serde::{Deserialize, Serialize};

use crate::protocol::v2::service::ServiceError;

/// What a rule does to the calls it matches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FaultEffect {
    /// Answer this CMQ error instead of calling the service.
    Error {
        /// The error.
        error: ErrorId,
        /// Fills `%s` in the error's message.
        subject: Option<String>,
    },
    /// Answer an envelope with this `code` and `message` (exactly as given).
    RawError {
        /// The top-level `code`.
        code: i64,
        /// The `message`, verbatim.
        message: String,
    },
    /// Wait this long (real time) before handling the call.
    Latency(Duration),
    /// Close the connection without answering; the service is not called.
    DropConnection,
    /// Call the service, then close the connection without its answer.
    DropAnswer,
}

/// One fault rule: which calls, how many, and what happens to them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "FaultRuleWire", into = "FaultRuleWire")]
pub struct FaultRule {
    /// The action it applies to; `None` for every action.
    pub action: Option<Action>,
    /// How many matching calls it applies to; `None` until cleared.
    pub times: Option<u32>,
    /// What it does.
    pub effect: FaultEffect,
}

impl FaultRule {
    /// A rule for `action` (`None`: every action) applying `times` times (`None`: until cleared).
    pub fn new(action: Option<Action>, times: Option<u32>, effect: FaultEffect) -> Self {
        Self {
            action,
            times,
            effect,
        }
    }

    /// Whether the rule applies to a call of `action` (`None`: a call no action names, which
    /// only rules for every action match).
    fn matches(&self, action: Option<Action>) -> bool {
        self.action.is_none_or(|a| Some(a) == action)
    }
}

/// Why a rule's JSON was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid fault rule: {0}")]
pub struct InvalidFaultRule(pub String);

#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultRuleWire {
    #[serde(default)]
    action: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    times: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    subject: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    code: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    latency_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    drop_connection: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    drop_answer: Option<bool>,
}

impl TryFrom<FaultRuleWire> for FaultRule {
    type Error = InvalidFaultRule;

    fn try_from(w: FaultRuleWire) -> Result<Self, InvalidFaultRule> {
        let bad = |m: &str| Err(InvalidFaultRule(m.to_owned()));
        let action = match w.action.as_deref() {
            None => None,
            Some(name) => {
                match Action::from_wire(name).or_else(|| Action::from_wire_ignore_case(name)) {
                    Some(a) => Some(a),
                    None => return Err(InvalidFaultRule(format!("unknown action {name:?}"))),
                }
            }
        };
        if w.times == Some(0) {
            return bad("`times` must be at least 1 (or null for until cleared)");
        }
        let drop = w.drop_connection == Some(true);
        let drop_answer = w.drop_answer == Some(true);
        let effects = [
            w.error.is_some(),
            w.code.is_some(),
            w.latency_ms.is_some(),
            drop,
            drop_answer,
        ];
        if effects.iter().filter(|e| **e).count() != 1 {
            return bad(
                "give exactly one of `error`, `code`, `latency_ms`, `drop_connection: true`, `drop_answer: true`",
            );
        }
        if w.subject.is_some() && w.error.is_none() {
            return bad("`subject` goes with `error`");
        }
        if w.message.is_some() && w.code.is_none() {
            return bad("`message` goes with `code`");
        }
        let effect = if let Some(id) = w.error {
            match ErrorId::from_id(&id) {
                Some(error) => FaultEffect::Error {
                    error,
                    subject: w.subject,
                },
                None => return Err(InvalidFaultRule(format!("unknown error id {id:?}"))),
            }
        } else if let Some(code) = w.code {
            FaultEffect::RawError {
                code,
                message: w.message.unwrap_or_default(),
            }
        } else if let Some(ms) = w.latency_ms {
            FaultEffect::Latency(Duration::from_millis(ms))
        } else if drop_answer {
            FaultEffect::DropAnswer
        } else {
            FaultEffect::DropConnection
        };
        Ok(Self {
            action,
            times: w.times,
            effect,
        })
    }
}

impl From<FaultRule> for FaultRuleWire {
    fn from(r: FaultRule) -> Self {
        let mut w = FaultRuleWire {
            action: r.action.map(|a| a.as_str().to_owned()),
            times: r.times,
            ..Default::default()
        };
        match r.effect {
            FaultEffect::Error { error, subject } => {
                w.error = Some(error.id().to_owned());
                w.subject = subject;
            }
            FaultEffect::RawError { code, message } => {
                w.code = Some(code);
                w.message = Some(message);
            }
            FaultEffect::Latency(d) => {
                w.latency_ms = Some(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            }
            FaultEffect::DropConnection => w.drop_connection = Some(true),
            FaultEffect::DropAnswer => w.drop_answer = Some(true),
        }
        w
    }
}

/// An armed rule as listed: its id (to remove it) and the rule with the `times` still left.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ArmedFault {
    /// The id [`Faults::add`] returned.
    pub id: u64,
    /// The rule; `times` is what is left.
    #[serde(flatten)]
    pub rule: FaultRule,
}

/// How a call fails instead of reaching the service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum InjectedFailure {
    /// A CMQ error envelope.
    Error(ServiceError),
    /// An envelope with this exact code and message.
    Raw {
        /// The top-level `code`.
        code: i64,
        /// The `message`, verbatim.
        message: String,
    },
    /// No answer: the connection is closed.
    DropConnection,
    /// The service carries the request out; its answer is not sent (the connection is closed).
    DropAnswer,
}

/// What the armed rules do to one call.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Injection {
    /// Wait this long (real time) first.
    pub latency: Option<Duration>,
    /// Then fail this way instead of calling the service.
    pub failure: Option<InjectedFailure>,
}

/// The fault rules of one server, shared by its connections (wrap it in an `Arc`).
#[derive(Debug, Default)]
pub struct Faults {
    armed: AtomicBool,
    next_id: AtomicU64,
    rules: Mutex<Vec<ArmedFault>>,
}

impl Faults {
    /// No rules.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<ArmedFault>> {
        // Every update is a single push, remove or decrement: a poisoned lock is still usable.
        self.rules.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Arms `rule`; returns its id.
    pub fn add(&self, rule: FaultRule) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let mut rules = self.lock();
        rules.push(ArmedFault { id, rule });
        self.armed.store(true, Ordering::Relaxed);
        id
    }

    /// The next `times` calls of `action` (`None`: of any action) answer `error`.
    pub fn fail_next(&self, action: Option<Action>, times: u32, error: ErrorId) -> u64 {
        self.add(FaultRule::new(
            action,
            Some(times.max(1)),
            FaultEffect::Error {
                error,
                subject: None,
            },
        ))
    }

    /// The next `times` calls of `action` (`None`: of any action) answer an envelope with this
    /// raw `code` and `message`.
    pub fn fail_next_raw(
        &self,
        action: Option<Action>,
        times: u32,
        code: i64,
        message: impl Into<String>,
    ) -> u64 {
        self.add(FaultRule::new(
            action,
            Some(times.max(1)),
            FaultEffect::RawError {
                code,
                message: message.into(),
            },
        ))
    }

    /// Calls of `action` (`None`: of any action) wait `latency` (real time) first, for the next
    /// `times` calls (`None`: until cleared).
    pub fn delay(&self, action: Option<Action>, latency: Duration, times: Option<u32>) -> u64 {
        self.add(FaultRule::new(
            action,
            times.map(|t| t.max(1)),
            FaultEffect::Latency(latency),
        ))
    }

    /// The next `times` calls of `action` (`None`: of any action) lose their connection without an
    /// answer.
    pub fn drop_next(&self, action: Option<Action>, times: u32) -> u64 {
        self.add(FaultRule::new(
            action,
            Some(times.max(1)),
            FaultEffect::DropConnection,
        ))
    }

    /// The next `times` calls of `action` (`None`: of any action) are carried out, then lose their
    /// answer: the connection is closed without it.
    pub fn drop_answer_next(&self, action: Option<Action>, times: u32) -> u64 {
        self.add(FaultRule::new(
            action,
            Some(times.max(1)),
            FaultEffect::DropAnswer,
        ))
    }

    /// Disarms the rule `id`; false when there is no such armed rule.
    pub fn remove(&self, id: u64) -> bool {
        let mut rules = self.lock();
        let before = rules.len();
        rules.retain(|r| r.id != id);
        if rules.is_empty() {
            self.armed.store(false, Ordering::Relaxed);
        }
        rules.len() != before
    }

    /// Disarms every rule.
    pub fn clear(&self) {
        let mut rules = self.lock();
        rules.clear();
        self.armed.store(false, Ordering::Relaxed);
    }

    /// The armed rules, in the order they were added, with the `times` left.
    pub fn rules(&self) -> Vec<ArmedFault> {
        self.lock().clone()
    }

    /// True when some rule is armed.
    pub fn is_armed(&self) -> bool {
        self.armed.load(Ordering::Relaxed)
    }

    /// Applies the armed rules to one call of `action`, using up their `times`; `None` when
    /// nothing happens to it.
    pub(crate) fn take(&self, action: Action) -> Option<Injection> {
        self.take_for(Some(action))
    }

    /// [`Faults::take`] for a call addressed by an API 2.0 action, or by none (an API 3.0
    /// action without an API 2.0 counterpart: only rules for every action apply).
    pub(crate) fn take_for(&self, action: Option<Action>) -> Option<Injection> {
        if !self.armed.load(Ordering::Relaxed) {
            return None;
        }
        let mut rules = self.lock();
        let mut out = Injection::default();
        let mut i = 0;
        while i < rules.len() {
            let r = &mut rules[i].rule;
            let applies = r.matches(action)
                && match r.effect {
                    FaultEffect::Latency(_) => out.latency.is_none(),
                    _ => out.failure.is_none(),
                };
            if applies {
                match &r.effect {
                    FaultEffect::Latency(d) => out.latency = Some(*d),
                    FaultEffect::Error { error, subject } => {
                        let mut e = ServiceError::new(*error);
                        e.subject = subject.clone();
                        out.failure = Some(InjectedFailure::Error(e));
                    }
                    FaultEffect::RawError { code, message } => {
                        out.failure = Some(InjectedFailure::Raw {
                            code: *code,
                            message: message.clone(),
                        });
                    }
                    FaultEffect::DropConnection => {
                        out.failure = Some(InjectedFailure::DropConnection)
                    }
                    FaultEffect::DropAnswer => out.failure = Some(InjectedFailure::DropAnswer),
                }
                if let Some(t) = r.times.as_mut() {
                    *t = t.saturating_sub(1);
                    if *t == 0 {
                        rules.remove(i);
                        continue;
                    }
                }
            }
            i += 1;
        }
        if rules.is_empty() {
            self.armed.store(false, Ordering::Relaxed);
        }
        (out != Injection::default()).then_some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(json: &str) -> Result<FaultRule, String> {
        serde_json::from_str::<FaultRule>(json).map_err(|e| e.to_string())
    }

    #[test]
    fn json_shapes() {
        assert_eq!(
            rule(r#"{"action":"SendMessage","times":2,"error":"QueueFull"}"#),
            Ok(FaultRule::new(
                Some(Action::SendMessage),
                Some(2),
                FaultEffect::Error {
                    error: ErrorId::QueueFull,
                    subject: None
                }
            ))
        );
        assert_eq!(
            rule(r#"{"action":null,"latency_ms":200,"times":1}"#),
            Ok(FaultRule::new(
                None,
                Some(1),
                FaultEffect::Latency(Duration::from_millis(200))
            ))
        );
        assert_eq!(
            rule(r#"{"action":"receivemessage","drop_connection":true,"times":1}"#),
            Ok(FaultRule::new(
                Some(Action::ReceiveMessage),
                Some(1),
                FaultEffect::DropConnection
            ))
        );
        assert_eq!(
            rule(r#"{"action":"DeleteMessage","drop_answer":true,"times":1}"#),
            Ok(FaultRule::new(
                Some(Action::DeleteMessage),
                Some(1),
                FaultEffect::DropAnswer
            ))
        );
        assert_eq!(
            rule(r#"{"code":6000,"message":"(10050)boom"}"#),
            Ok(FaultRule::new(
                None,
                None,
                FaultEffect::RawError {
                    code: 6000,
                    message: "(10050)boom".into()
                }
            ))
        );
        for bad in [
            r#"{"action":"Nope","error":"QueueFull"}"#,
            r#"{"error":"NoSuchError"}"#,
            r#"{"times":0,"error":"QueueFull"}"#,
            r#"{"error":"QueueFull","latency_ms":5}"#,
            r#"{"times":1}"#,
            r#"{"drop_connection":false}"#,
            r#"{"drop_answer":false}"#,
            r#"{"drop_answer":true,"drop_connection":true}"#,
            r#"{"drop_answer":true,"error":"QueueFull"}"#,
            r#"{"latency_ms":5,"subject":"x"}"#,
            r#"{"error":"QueueFull","message":"x"}"#,
            r#"{"error":"QueueFull","extra":1}"#,
        ] {
            assert!(rule(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn json_round_trip_and_listing() {
        let f = Faults::new();
        let id = f.add(FaultRule::new(
            Some(Action::SendMessage),
            Some(2),
            FaultEffect::Error {
                error: ErrorId::QueueFull,
                subject: Some("q".into()),
            },
        ));
        let listed = serde_json::to_string(&f.rules()).unwrap_or_default();
        assert_eq!(
            listed,
            format!(
                r#"[{{"id":{id},"action":"SendMessage","times":2,"error":"QueueFull","subject":"q"}}]"#
            )
        );
        for r in [
            FaultRule::new(None, None, FaultEffect::Latency(Duration::from_millis(7))),
            FaultRule::new(None, Some(3), FaultEffect::DropConnection),
            FaultRule::new(Some(Action::DeleteQueue), Some(1), FaultEffect::DropAnswer),
            FaultRule::new(
                Some(Action::Subscribe),
                None,
                FaultEffect::RawError {
                    code: 1,
                    message: "m".into(),
                },
            ),
        ] {
            let text = serde_json::to_string(&r).unwrap_or_default();
            assert_eq!(rule(&text), Ok(r));
        }
    }

    #[test]
    fn counts_down_then_disarms() {
        let f = Faults::new();
        assert!(!f.is_armed());
        assert_eq!(f.take(Action::SendMessage), None);
        f.fail_next(Some(Action::SendMessage), 2, ErrorId::QueueFull);
        assert!(f.is_armed());
        assert_eq!(f.take(Action::ReceiveMessage), None);
        for _ in 0..2 {
            let inj = f.take(Action::SendMessage);
            assert_eq!(
                inj.and_then(|i| i.failure),
                Some(InjectedFailure::Error(ServiceError::new(
                    ErrorId::QueueFull
                )))
            );
        }
        assert_eq!(f.take(Action::SendMessage), None);
        assert!(!f.is_armed());
    }

    #[test]
    fn latency_combines_with_one_failure_and_first_rule_wins() {
        let f = Faults::new();
        f.delay(None, Duration::from_millis(5), None);
        f.delay(None, Duration::from_millis(9), Some(1));
        f.drop_next(Some(Action::SendMessage), 1);
        f.fail_next_raw(None, 1, 6000, "x");
        let first = f.take(Action::SendMessage);
        assert_eq!(
            first,
            Some(Injection {
                latency: Some(Duration::from_millis(5)),
                failure: Some(InjectedFailure::DropConnection)
            })
        );
        let second = f.take(Action::SendMessage);
        assert_eq!(
            second,
            Some(Injection {
                latency: Some(Duration::from_millis(5)),
                failure: Some(InjectedFailure::Raw {
                    code: 6000,
                    message: "x".into()
                })
            })
        );
        // The unlimited latency rule stays, the 9 ms one was never reached.
        assert_eq!(f.rules().len(), 2);
        let third = f.take(Action::ListQueue);
        assert_eq!(
            third,
            Some(Injection {
                latency: Some(Duration::from_millis(5)),
                failure: None
            })
        );
        f.clear();
        assert!(!f.is_armed());
        assert!(f.rules().is_empty());
    }

    #[test]
    fn remove_by_id() {
        let f = Faults::new();
        let a = f.drop_next(None, 1);
        let b = f.drop_next(None, 1);
        assert!(f.remove(a));
        assert!(!f.remove(a));
        assert!(f.is_armed());
        assert!(f.remove(b));
        assert!(!f.is_armed());
    }
}
