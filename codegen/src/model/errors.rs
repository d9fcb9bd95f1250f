//! Codes, errors, protocol errors, the default error of each violation kind, and decisions.
//! API 2.0 errors are (numeric code, module code, message) triples; API 3.0 errors are (string
//! code, message) pairs.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Ctx;
use crate::error::Location;
use crate::lint::{self, Lints};
use crate::spec::{ApiSpec, Style, ViolationKind};

/// A top-level code (API 2.0).
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

/// What identifies an error on the wire.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum ErrorCode {
    /// API 2.0: the top-level code and the module code.
    Cmq {
        /// Top-level code.
        code: i64,
        /// Module code.
        module: i64,
    },
    /// API 3.0: the string code (`ResourceNotFound.Topic`).
    Tc3 {
        /// The code.
        code: String,
    },
}

/// One error a server answers with.
#[derive(Clone, Debug, Serialize)]
pub struct ErrorDef {
    /// Unique id.
    pub id: String,
    /// Its code(s).
    #[serde(flatten)]
    pub code: ErrorCode,
    /// Message text (`%s` = parameter name).
    pub message: String,
    /// Description.
    pub doc: String,
    /// Where it is written.
    #[serde(skip)]
    pub at: Location,
}

impl ErrorDef {
    /// The message a server sends about `subject`: API 2.0 `(module)text`, API 3.0 `text`,
    /// `%s` filled.
    pub fn message_for(&self, subject: &str) -> String {
        let text = self.message.replace("%s", subject);
        match &self.code {
            ErrorCode::Cmq { module, .. } => format!("({module}){text}"),
            ErrorCode::Tc3 { .. } => text,
        }
    }

    /// The API 2.0 code and module code.
    pub fn cmq(&self) -> Option<(i64, i64)> {
        match self.code {
            ErrorCode::Cmq { code, module } => Some((code, module)),
            ErrorCode::Tc3 { .. } => None,
        }
    }

    /// The API 3.0 code.
    pub fn tc3_code(&self) -> Option<&str> {
        match &self.code {
            ErrorCode::Tc3 { code } => Some(code),
            ErrorCode::Cmq { .. } => None,
        }
    }

    /// The code as text (`4000/10110`, `ResourceNotFound`).
    pub fn code_text(&self) -> String {
        match &self.code {
            ErrorCode::Cmq { code, module } => format!("{code}/{module}"),
            ErrorCode::Tc3 { code } => code.clone(),
        }
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

/// The errors of an API, linted: unique ids, docs, codes listed.
pub(super) fn errors(api: &ApiSpec, l: &mut Lints) -> Vec<ErrorDef> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut out = Vec::new();
    let entries: Vec<(String, ErrorCode, String, String)> = match (api.cmq(), api.tc3()) {
        (Some((_, f)), _) => f
            .errors
            .iter()
            .map(|e| {
                let code = ErrorCode::Cmq {
                    code: e.code,
                    module: e.module,
                };
                (e.id.clone(), code, e.message.clone(), e.doc.clone())
            })
            .collect(),
        (_, Some((_, f))) => f
            .errors
            .iter()
            .map(|e| {
                let code = ErrorCode::Tc3 {
                    code: e.code.clone(),
                };
                (e.id.clone(), code, e.message.clone(), e.doc.clone())
            })
            .collect(),
        _ => Vec::new(),
    };
    for (i, (id, code, message, doc)) in entries.into_iter().enumerate() {
        let at = api.at("errors.json", format!("$.errors[{i}]"));
        if let Some(j) = seen.insert(id.clone(), i) {
            l.push(
                at.join("id"),
                format!("duplicate error id `{id}` (also at $.errors[{j}])"),
            );
        }
        lint::check_doc(&doc, &at.join("doc"), l);
        check_code_listed(api, &code, &at, l);
        out.push(ErrorDef {
            id,
            code,
            message,
            doc,
            at,
        });
    }
    out
}

fn check_code_listed(api: &ApiSpec, code: &ErrorCode, at: &Location, l: &mut Lints) {
    let listed = match (code, api.cmq(), api.tc3()) {
        (ErrorCode::Cmq { code, .. }, Some((_, f)), _) => f.codes.iter().any(|c| c.code == *code),
        (ErrorCode::Tc3 { code }, _, Some((_, f))) => f.codes.iter().any(|c| &c.code == code),
        _ => false,
    };
    if !listed {
        let shown = match code {
            ErrorCode::Cmq { code, .. } => code.to_string(),
            ErrorCode::Tc3 { code } => format!("`{code}`"),
        };
        l.push(
            at.join("code"),
            format!("code {shown} is not listed in $.codes"),
        );
    }
}

/// The numeric codes of an API 2.0 API (none for API 3.0, whose codes are facts of its own).
pub(super) fn codes(api: &ApiSpec, l: &mut Lints) -> Vec<Code> {
    let Some((_, file)) = api.cmq() else {
        return Vec::new();
    };
    let mut seen = BTreeMap::new();
    let mut out = Vec::new();
    for (i, c) in file.codes.iter().enumerate() {
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

/// The protocol's default error per violation kind (every kind of the API's style must have
/// one; a kind the style cannot break falls back to the `type` error).
pub(super) fn violation_defaults(api: &ApiSpec, l: &mut Lints) -> BTreeMap<ViolationKind, String> {
    let at = api.at("protocol.json", "$.violation_errors");
    let given = api.violation_errors();
    let kinds = api.style().violation_kinds();
    for k in kinds.iter().filter(|k| k.fallback().is_none()) {
        if !given.contains_key(k) {
            l.push(at.clone(), format!("no error for violation kind `{k}`"));
        }
    }
    for k in given.keys().filter(|k| !kinds.contains(k)) {
        l.push(
            at.join(k),
            format!(
                "a `{}` API cannot break `{k}`; leave it out",
                api.style().as_str()
            ),
        );
    }
    let mut out = given.clone();
    // A kind with a fallback kind answers the fallback's error unless the spec names its own.
    for k in kinds {
        if let Some(f) = k.fallback() {
            if let Some(e) = given.get(&f).cloned() {
                out.entry(*k).or_insert(e);
            }
        }
    }
    if let Some(fallback) = given.get(&ViolationKind::Type).cloned() {
        for k in ViolationKind::ALL {
            out.entry(k).or_insert_with(|| fallback.clone());
        }
    }
    out
}

pub(super) fn check_violation_errors(ctx: &Ctx<'_>, l: &mut Lints) {
    let at = ctx.api.at("protocol.json", "$.violation_errors");
    for (k, v) in ctx.api.violation_errors() {
        ctx.check_error_id(v, at.join(k), l);
    }
}

/// The protocol failures an API 3.0 server can answer with; the generated decoder and
/// dispatcher need the first three.
const TC3_PROTOCOL_ERRORS: [&str; 15] = [
    "unknown_parameter",
    "malformed_body",
    "unavailable",
    "unknown_action",
    "bad_version",
    "bad_method",
    "too_large",
    "bad_authorization",
    "unknown_secret_id",
    "bad_signature",
    "expired",
    "bad_token",
    "unsupported_region",
    "throttled",
    "internal",
];

pub(super) fn protocol_errors(ctx: &Ctx<'_>, l: &mut Lints) -> Vec<ProtocolError> {
    let at = ctx.api.at("protocol.json", "$.protocol_errors");
    if ctx.api.style() == Style::Tc3 {
        let given = ctx.api.protocol_errors();
        for k in &TC3_PROTOCOL_ERRORS[..3] {
            if !given.contains_key(*k) {
                l.push(at.clone(), format!("no error for protocol failure `{k}`"));
            }
        }
        for k in given
            .keys()
            .filter(|k| !TC3_PROTOCOL_ERRORS.contains(&k.as_str()))
        {
            l.push(at.join(k), format!("unknown protocol failure `{k}`"));
        }
    }
    ctx.api
        .protocol_errors()
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
    api.decisions()
        .iter()
        .map(|d| Decision {
            topic: d.topic.clone(),
            choice: d.choice.clone(),
            source: d.source.clone(),
        })
        .collect()
}
