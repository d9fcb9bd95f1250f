//! The error table, the codes, the protocol errors and the character patterns.

use quote::{ToTokens, quote};
use serde::Serialize;

use super::code::{self, Code, doc_lines, str_lit};
use super::names::{camel, shouty};
use crate::model::{Api, Pattern};

/// A top-level code.
#[derive(Clone, Debug, Serialize)]
pub struct CodeModel {
    /// Enum variant.
    pub variant: String,
    /// The number.
    pub code: i64,
    /// Doc lines.
    pub doc: Vec<String>,
}

/// An error.
#[derive(Clone, Debug, Serialize)]
pub struct ErrorModel {
    /// Enum variant (= spec id).
    pub variant: String,
    /// Spec id literal.
    pub id_lit: Code,
    /// Top-level code.
    pub code: i64,
    /// Module code.
    pub module: i64,
    /// Message literal.
    pub message_lit: Code,
    /// Doc lines.
    pub doc: Vec<String>,
}

/// A named protocol error.
#[derive(Clone, Debug, Serialize)]
pub struct NamedError {
    /// Const name.
    pub name: String,
    /// Error variant.
    pub variant: String,
    /// Doc line.
    pub doc: String,
}

/// A character pattern.
#[derive(Clone, Debug, Serialize)]
pub struct PatternModel {
    /// Const name.
    pub const_name: String,
    /// The `CharPattern` literal.
    pub expr: Code,
    /// Doc lines.
    pub doc: Vec<String>,
}

/// The const naming pattern `id`.
pub fn pattern_const(id: &str) -> String {
    format!("{}_PATTERN", shouty(id))
}

pub(super) fn codes(m: &Api) -> Vec<CodeModel> {
    m.codes
        .iter()
        .map(|c| CodeModel {
            variant: camel(&c.name),
            code: c.code,
            doc: doc_lines(&format!("{}: {}", c.code, c.doc)),
        })
        .collect()
}

pub(super) fn errors(m: &Api) -> Vec<ErrorModel> {
    m.errors
        .iter()
        .map(|e| {
            let (code, module) = e.cmq().unwrap_or_default();
            ErrorModel {
                variant: e.id.clone(),
                id_lit: Code(str_lit(&e.id).into_token_stream()),
                code,
                module,
                message_lit: Code(str_lit(&e.message).into_token_stream()),
                doc: doc_lines(&format!("{code} / {module}: {}\n\n{}", e.message, e.doc)),
            }
        })
        .collect()
}

pub(super) fn protocol_errors(m: &Api) -> Vec<NamedError> {
    m.protocol_errors
        .iter()
        .map(|p| NamedError {
            name: shouty(&p.key),
            variant: p.error.clone(),
            doc: format!("The error for `{}`.", p.key),
        })
        .collect()
}

fn pattern_expr(p: &Pattern) -> Code {
    let id = str_lit(&p.id);
    let first = code::ranges(&p.first);
    let rest = code::ranges(&p.rest);
    let forbid = p.forbid.iter().map(|c| code::char_lit(*c));
    Code(quote! {
        CharPattern { id: #id, first: #first, rest: #rest, forbid: &[#(#forbid),*] }
    })
}

pub(super) fn patterns(m: &Api) -> Vec<PatternModel> {
    m.patterns
        .iter()
        .map(|p| PatternModel {
            const_name: pattern_const(&p.id),
            expr: pattern_expr(p),
            doc: doc_lines(&p.doc),
        })
        .collect()
}

/// Pattern `p` as it is on `profile`, where it differs from the default profile's.
pub(super) fn profile_pattern(profile: &str, p: &Pattern) -> PatternModel {
    let mut doc = doc_lines(&p.doc);
    doc.push(String::new());
    doc.push(format!("On the `{profile}` profile."));
    PatternModel {
        const_name: format!("{}_{}", shouty(profile), pattern_const(&p.id)),
        expr: pattern_expr(p),
        doc,
    }
}
