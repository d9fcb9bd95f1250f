//! `service.json`: facts of the service itself (quotas, limits, timings, the push protocol),
//! as written.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::profiled::Profiled;
use super::types::{FactType, FactValue};

/// `service.json`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceFile {
    /// Editor hint; ignored.
    #[serde(rename = "$schema", default)]
    pub schema: Option<String>,
    /// What the file holds.
    pub doc: String,
    /// The facts by id (snake_case; the generated constant is its SHOUTY_CASE).
    pub facts: BTreeMap<String, Fact>,
}

/// One fact of the service.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fact {
    /// What it measures.
    #[serde(rename = "type")]
    pub ty: FactType,
    /// Its value (possibly one per profile).
    pub value: Profiled<FactValue>,
    /// What it means, for users of the generated crates.
    pub doc: String,
    /// Where it comes from (required unless the value is profiled, each profile with its own
    /// source; never rendered).
    pub source: Option<String>,
    /// Public documentation pages users may read.
    #[serde(default)]
    pub see: Vec<String>,
}
