//! The Rust annotation pass: from the neutral [`Model`] to everything the templates place —
//! identifiers (heck), Rust types, `ParamSpec` literals, doc lines and code fragments, the
//! latter built as token trees with `quote!` ([`Code`]). The templates only loop and place.

mod actions;
mod code;
mod enums;
mod facts;
pub mod names;
mod params;
mod structs;
mod tables;
mod typed;

use serde::Serialize;

pub use actions::{ActionModel, PaginatedModel};
pub use code::Code;
pub use enums::{EnumModel, EnumVariant};
pub use facts::FactModel;
pub use params::{ParamModel, SpecConst};
pub use structs::{FieldModel, RawKey, StructModel};
pub use tables::{CodeModel, ErrorModel, NamedError, PatternModel};
pub use typed::{TypedConst, TypedModule};

use crate::model::Model;

/// Everything the templates place, decided.
#[derive(Clone, Debug, Serialize)]
pub struct RustModel {
    /// SHA-256 of the spec files.
    pub spec_hash: String,
    /// The API's name.
    pub api_name: String,
    /// Request path literal.
    pub path_lit: Code,
    /// Largest request, in bytes.
    pub max_request_bytes: u64,
    /// Longest GET URL an SDK sends.
    pub max_get_url_chars: u64,
    /// The API's doc lines (with links).
    pub api_doc: Vec<String>,
    /// The `EnumCase` variant of the protocol.
    pub enum_case: String,
    /// Timestamp skew, in seconds.
    pub timestamp_skew_seconds: u64,
    /// First list index the SDK sends.
    pub sdk_list_base: u32,
    /// Top-level codes.
    pub codes: Vec<CodeModel>,
    /// Errors.
    pub errors: Vec<ErrorModel>,
    /// Protocol-level errors.
    pub protocol_errors: Vec<NamedError>,
    /// Character patterns.
    pub patterns: Vec<PatternModel>,
    /// String enums.
    pub enums: Vec<EnumModel>,
    /// Shapes (JSON objects).
    pub shapes: Vec<StructModel>,
    /// Actions, by name.
    pub actions: Vec<ActionModel>,
    /// Recorded decisions, one doc line each.
    pub decisions: Vec<String>,
    /// Service facts.
    pub facts: Vec<FactModel>,
}

/// Annotates a linted model (see [`names::check`] for the identifier lints it relies on).
pub fn annotate(m: &Model) -> RustModel {
    RustModel {
        spec_hash: m.spec_hash.clone(),
        api_name: m.api.name.clone(),
        path_lit: Code(quote::ToTokens::into_token_stream(code::str_lit(
            &m.api.path,
        ))),
        max_request_bytes: m.api.max_request_bytes,
        max_get_url_chars: m.api.max_get_url_chars,
        api_doc: facts::doc_with_links(&m.api.doc, &m.api.see),
        enum_case: names::camel(match m.api.enum_case {
            crate::spec::EnumCase::Exact => "exact",
            crate::spec::EnumCase::AsciiInsensitive => "ascii_insensitive",
        }),
        timestamp_skew_seconds: m.api.timestamp_skew_seconds,
        sdk_list_base: m.api.sdk_list_base,
        codes: tables::codes(m),
        errors: tables::errors(m),
        protocol_errors: tables::protocol_errors(m),
        patterns: tables::patterns(m),
        enums: enums::build(m),
        shapes: m.shapes.iter().map(structs::shape).collect(),
        actions: m.actions.iter().map(actions::build).collect(),
        decisions: m
            .decisions
            .iter()
            .map(|d| format!("- {}: {}", d.topic, d.choice))
            .collect(),
        facts: facts::build(m),
    }
}
