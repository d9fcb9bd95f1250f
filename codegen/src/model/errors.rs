//! Codes, errors, protocol errors, the default error of each violation kind, and decisions.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Ctx;
use crate::error::Location;
use crate::lint::{self, Lints};
use crate::spec::{ApiSpec, ViolationKind};

/// A top-level code.
#[derive(Clone, Debug, Serialize)]
pub struct Code {
    /// The number.
    pub code: i64,
    /// Its name, as written (UpperCamelCase).
    pub name: String,
    /// Description.
    pub doc: String,
    /// Where it is written.
    #[serde(skip)]
    pub at: Location,
}

/// One (code, module code, message) triple a server answers with.
#[derive(Clone, Debug, Serialize)]
pub struct ErrorDef {
    /// Unique id.
    pub id: String,
    /// Top-level code.
    pub code: i64,
    /// Module code.
    pub module: i64,
    /// Message text (`%s` = parameter name).
    pub message: String,
    /// Description.
    pub doc: String,
    /// Where it is written.
    #[serde(skip)]
    pub at: Location,
}

impl ErrorDef {
    /// The message a server sends about `subject`: `(module)text`, `%s` filled.
    pub fn message_for(&self, subject: &str) -> String {
        format!("({}){}", self.module, self.message.replace("%s", subject))
    }
}

/// A protocol-level failure (`unknown_action`, `bad_signature`, …) and its error.
#[derive(Clone, Debug, Serialize)]
pub struct ProtocolError {
    /// The failure, as written.
    pub key: String,
    /// The error id.
    pub error: String,
}

/// A recorded verdict.
#[derive(Clone, Debug, Serialize)]
pub struct Decision {
    /// What was undecided.
    pub topic: String,
    /// What the spec chose.
    pub choice: String,
    /// Where the facts are.
    pub source: String,
}

pub(super) fn errors(api: &ApiSpec, l: &mut Lints) -> Vec<ErrorDef> {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    let mut out = Vec::new();
    for (i, e) in api.errors.errors.iter().enumerate() {
        let at = api.at("errors.json", format!("$.errors[{i}]"));
        if let Some(j) = seen.insert(&e.id, i) {
            l.push(
                at.join("id"),
                format!("duplicate error id `{}` (also at $.errors[{j}])", e.id),
            );
        }
        lint::check_doc(&e.doc, &at.join("doc"), l);
        if !api.errors.codes.iter().any(|c| c.code == e.code) {
            l.push(
                at.join("code"),
                format!("code {} is not listed in $.codes", e.code),
            );
        }
        out.push(ErrorDef {
            id: e.id.clone(),
            code: e.code,
            module: e.module,
            message: e.message.clone(),
            doc: e.doc.clone(),
            at,
        });
    }
    out
}

pub(super) fn codes(api: &ApiSpec, l: &mut Lints) -> Vec<Code> {
    let mut seen = BTreeMap::new();
    let mut out = Vec::new();
    for (i, c) in api.errors.codes.iter().enumerate() {
        let at = api.at("errors.json", format!("$.codes[{i}]"));
        lint::check_doc(&c.doc, &at.join("doc"), l);
        if seen.insert(c.code, i).is_some() {
            l.push(at.join("code"), format!("duplicate code {}", c.code));
        }
        out.push(Code {
            code: c.code,
            name: c.name.clone(),
            doc: c.doc.clone(),
            at,
        });
    }
    out
}

/// The protocol's default error per violation kind (every kind must have one).
pub(super) fn violation_defaults(api: &ApiSpec, l: &mut Lints) -> BTreeMap<ViolationKind, String> {
    let at = api.at("protocol.json", "$.violation_errors");
    for k in ViolationKind::ALL
        .into_iter()
        .filter(|k| k.fallback().is_none())
    {
        if !api.protocol.violation_errors.contains_key(&k) {
            l.push(at.clone(), format!("no error for violation kind `{k}`"));
        }
    }
    api.protocol.violation_errors.clone()
}

pub(super) fn check_violation_errors(ctx: &Ctx<'_>, l: &mut Lints) {
    let at = ctx.api.at("protocol.json", "$.violation_errors");
    for (k, v) in &ctx.defaults {
        ctx.check_error_id(v, at.join(k), l);
    }
}

pub(super) fn protocol_errors(ctx: &Ctx<'_>, l: &mut Lints) -> Vec<ProtocolError> {
    let at = ctx.api.at("protocol.json", "$.protocol_errors");
    ctx.api
        .protocol
        .protocol_errors
        .iter()
        .map(|(k, v)| {
            ctx.check_error_id(v, at.join(k), l);
            ProtocolError {
                key: k.clone(),
                error: v.clone(),
            }
        })
        .collect()
}

pub(super) fn decisions(api: &ApiSpec) -> Vec<Decision> {
    api.protocol
        .decisions
        .iter()
        .map(|d| Decision {
            topic: d.topic.clone(),
            choice: d.choice.clone(),
            source: d.source.clone(),
        })
        .collect()
}
