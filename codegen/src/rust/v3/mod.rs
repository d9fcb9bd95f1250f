//! The Rust annotation of an API of style `tc3` (Tencent Cloud API 3.0): from the neutral
//! models of the profiles where the API exists to everything the `v3_*` templates place — the
//! SDK's requests, responses, models, constraint tables, error table and actions, and the
//! mock's decoder, service trait, dispatcher and envelopes.

mod models;
mod ops;
mod params;
mod tables;

use serde::Serialize;

pub use models::{Field3, Struct3};
pub use ops::{Action3, Paging3};
pub use params::Param3;
pub use tables::{Consts, Error3, Mapping};

use super::code::Code;
use super::enums::{self, EnumModel};
use super::profiles::PatternNames;
use super::tables::PatternModel;
use crate::model::{Api, Model};

/// Everything the API 3.0 templates place, decided.
#[derive(Clone, Debug, Serialize)]
pub struct Api3Model {
    /// SHA-256 of the spec files.
    pub spec_hash: String,
    /// Facts as constants.
    pub consts: Consts,
    /// The API's doc lines.
    pub api_doc: Vec<String>,
    /// Decisions, one doc line each.
    pub decisions: Vec<String>,
    /// `Profile` variant → whether the API exists there.
    pub available: Vec<(String, bool)>,
    /// Some profile lacks the API (its tables fall back to the default profile's).
    pub partial: bool,
    /// The `EnumCase` variant.
    pub enum_case: String,
    /// Errors.
    pub errors: Vec<Error3>,
    /// Every code with its meaning: code, common, doc (literals).
    pub codes: Vec<(Code, bool, Code)>,
    /// Protocol-level errors.
    pub protocol_errors: Vec<super::tables::NamedError>,
    /// Character patterns.
    pub patterns: Vec<PatternModel>,
    /// String enums of this API (linked ones are API 2.0's).
    pub enums: Vec<EnumModel>,
    /// Models.
    pub models: Vec<Struct3>,
    /// Actions.
    pub actions: Vec<Action3>,
    /// From the shared engine's (API 2.0) errors.
    pub mapping: Mapping,
}

/// Annotates API `api_id` of linted models (every profile's, the default first); only the
/// profiles where the API exists count. `None` when the spec has no such API or no profile
/// offers it.
pub fn annotate(all: &[Model], api_id: &str) -> Option<Api3Model> {
    let versions: Vec<(&str, &Api)> = all
        .iter()
        .filter_map(|m| Some((m.profile.as_str(), m.api(api_id)?)))
        .filter(|(_, a)| a.tc3.as_ref().is_some_and(|t| t.available))
        .collect();
    let (_, api) = *versions.first()?;
    let tc3 = api.tc3.as_ref()?;
    let (names, extra) = PatternNames::new(&versions);
    let mut patterns = super::tables::patterns(api);
    patterns.extend(
        extra
            .iter()
            .map(|(profile, pat)| super::tables::profile_pattern(profile, pat)),
    );
    let p = &api.protocol;
    Some(Api3Model {
        spec_hash: all.first().map(|m| m.spec_hash.clone()).unwrap_or_default(),
        consts: tables::consts(api, tc3),
        api_doc: super::facts::doc_with_links(&p.doc, &p.see),
        decisions: (api.decisions.iter())
            .map(|d| format!("- {}: {}", d.topic, d.choice))
            .collect(),
        available: available(all, api_id),
        partial: available(all, api_id).iter().any(|(_, on)| !on),
        enum_case: super::names::camel(match p.enum_case {
            crate::spec::EnumCase::Exact => "exact",
            crate::spec::EnumCase::AsciiInsensitive => "ascii_insensitive",
        }),
        errors: tables::errors(api),
        codes: tables::codes(tc3),
        protocol_errors: super::tables::protocol_errors(api),
        patterns,
        enums: own_enums(api),
        models: per_item(&versions, |a| &a.shapes, |v| models::model(v, &names)),
        actions: per_item(&versions, |a| &a.actions, |v| ops::build(v, &names)),
        mapping: tables::mapping(api, tc3),
    })
}

/// Item `i` of every version, annotated by `f`.
fn per_item<'a, T: 'a, R>(
    versions: &[(&'a str, &'a Api)],
    items: impl Fn(&'a Api) -> &'a [T],
    f: impl Fn(&[(&'a str, &'a T)]) -> Option<R>,
) -> Vec<R> {
    let Some((_, first)) = versions.first() else {
        return Vec::new();
    };
    (0..items(first).len())
        .filter_map(|i| {
            let v: Vec<(&str, &T)> = versions
                .iter()
                .filter_map(|(p, a)| Some((*p, items(a).get(i)?)))
                .collect();
            f(&v)
        })
        .collect()
}

fn available(all: &[Model], api_id: &str) -> Vec<(String, bool)> {
    all.iter()
        .map(|m| {
            let on = m
                .api(api_id)
                .and_then(|a| a.tc3.as_ref())
                .is_some_and(|t| t.available);
            (super::names::camel(&m.profile), on)
        })
        .collect()
}

/// The string enums of this API that are not API 2.0's (a linked enum with the same values
/// reuses API 2.0's type).
fn own_enums(api: &Api) -> Vec<EnumModel> {
    let mut own = api.clone();
    for a in &mut own.actions {
        a.params
            .retain(|p| !matches!(&p.link, Some(l) if l.same_enum));
    }
    enums::build(&own)
}
