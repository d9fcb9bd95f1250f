//! The Rust annotation pass: from the neutral [`Model`] to everything the templates place —
//! identifiers (heck), Rust types, `ParamSpec` literals, doc lines and code fragments, the
//! latter built as token trees with `quote!` ([`Code`]). The templates only loop and place.

mod actions;
mod code;
mod enums;
mod facts;
pub mod names;
mod params;
pub mod profiles;
mod structs;
mod tables;
mod typed;
pub mod v3;

use serde::Serialize;

pub use actions::{ActionModel, PaginatedModel};
pub use code::Code;
pub use enums::{EnumModel, EnumVariant};
pub use facts::FactModel;
pub use params::{ParamModel, SpecConst};
pub use structs::{FieldModel, RawKey, StructModel};
pub use tables::{CodeModel, ErrorModel, NamedError, PatternModel};
pub use typed::{TypedConst, TypedModule};

use crate::model::{Api, Model};

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
    /// Service facts (every one, for the `Facts` struct).
    pub facts: Vec<FactModel>,
    /// Facts that hold on every profile (plain constants too).
    pub shared_facts: Vec<FactModel>,
    /// Each profile's facts.
    pub profile_facts: Vec<facts::ProfileFacts>,
    /// The `Profile` enum's variants, the default first.
    pub profiles: Vec<profiles::ProfileVariant>,
    /// Whether an API 3.0 layer is generated beside (the `v3` modules).
    pub has_api3: bool,
}

/// Annotates API `api_id` of linted models: `m` is the default profile's, `others` the other
/// profiles'. `None` when the default profile's model has no such API.
pub fn annotate(m: &Model, others: &[Model], api_id: &str) -> Option<RustModel> {
    let api = m.api(api_id)?;
    let versions: Vec<(&str, &Api)> = std::iter::once(m)
        .chain(others)
        .filter_map(|x| Some((x.profile.as_str(), x.api(api_id)?)))
        .collect();
    let (names, extra) = profiles::PatternNames::new(&versions);
    let mut patterns = tables::patterns(api);
    patterns.extend(
        extra
            .iter()
            .map(|(profile, pat)| tables::profile_pattern(profile, pat)),
    );
    let actions = (0..api.actions.len())
        .filter_map(|i| {
            let v: Vec<(&str, &crate::model::Action)> = versions
                .iter()
                .filter_map(|(p, x)| Some((*p, x.actions.get(i)?)))
                .collect();
            actions::build(&v, &names)
        })
        .collect();
    let shapes = (0..api.shapes.len())
        .filter_map(|i| {
            let v: Vec<(&str, &crate::model::Shape)> = versions
                .iter()
                .filter_map(|(p, x)| Some((*p, x.shapes.get(i)?)))
                .collect();
            structs::shape(&v, &names)
        })
        .collect();
    let all: Vec<&Model> = std::iter::once(m).chain(others).collect();
    let (facts, shared_facts, profile_facts) = facts::build(&all);
    let p = &api.protocol;
    Some(RustModel {
        spec_hash: m.spec_hash.clone(),
        api_name: p.name.clone(),
        path_lit: Code(quote::ToTokens::into_token_stream(code::str_lit(&p.path))),
        max_request_bytes: p.max_request_bytes,
        max_get_url_chars: p.max_get_url_chars,
        api_doc: facts::doc_with_links(&p.doc, &p.see),
        enum_case: names::camel(match p.enum_case {
            crate::spec::EnumCase::Exact => "exact",
            crate::spec::EnumCase::AsciiInsensitive => "ascii_insensitive",
        }),
        timestamp_skew_seconds: p.timestamp_skew_seconds,
        sdk_list_base: p.sdk_list_base,
        codes: tables::codes(api),
        errors: tables::errors(api),
        protocol_errors: tables::protocol_errors(api),
        patterns,
        enums: enums::build(api),
        shapes,
        actions,
        decisions: api
            .decisions
            .iter()
            .map(|d| format!("- {}: {}", d.topic, d.choice))
            .collect(),
        facts,
        shared_facts,
        profile_facts,
        profiles: profiles::variants(m),
        has_api3: false,
    })
}
