//! `protocol.json` and `errors.json`, as written.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::profiled::Profiled;
use super::types::{EnumCase, ParamType, ViolationKind};

/// `protocol.json`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Protocol {
    /// Editor hint; ignored.
    #[serde(rename = "$schema", default)]
    pub schema: Option<String>,
    /// The API's name.
    pub name: String,
    /// What the API is.
    pub doc: String,
    /// Where the fact comes from (for maintainers; never rendered).
    pub source: Option<String>,
    /// Public documentation pages users may read.
    #[serde(default)]
    pub see: Vec<String>,
    /// The request path.
    pub path: String,
    /// Accepted HTTP methods.
    pub methods: Vec<String>,
    /// The SDK's default method.
    pub default_method: String,
    /// The largest accepted request.
    pub max_request_bytes: u64,
    /// The longest GET URL an SDK sends.
    pub max_get_url_chars: u64,
    /// How far a Timestamp may be off.
    pub timestamp_skew_seconds: u64,
    /// Signature methods.
    pub signature_methods: Vec<SignatureMethod>,
    /// Common request parameters.
    pub common_params: Vec<CommonParam>,
    /// Envelope keys.
    pub envelope: Envelope,
    /// How lists travel.
    pub list_encoding: ListEncoding,
    /// How enum values compare on the wire.
    pub enum_case: EnumCase,
    /// Character patterns by id.
    pub patterns: BTreeMap<String, Pattern>,
    /// The default error for each violation kind.
    pub violation_errors: BTreeMap<ViolationKind, String>,
    /// The error for each protocol-level failure.
    pub protocol_errors: BTreeMap<String, String>,
    /// Verdicts on disagreements and unknowns.
    pub decisions: Vec<Decision>,
}

/// A signature method.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureMethod {
    /// Wire name.
    pub name: String,
    /// Whether it is the default.
    pub default: bool,
    /// Description.
    pub doc: String,
    /// Where the fact comes from (for maintainers; never rendered).
    pub source: Option<String>,
}

/// A common request parameter.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommonParam {
    /// Wire name.
    pub wire: String,
    /// `int` or `string`.
    #[serde(rename = "type")]
    pub ty: ParamType,
    /// Whether every request carries it.
    pub required: bool,
    /// Description.
    pub doc: String,
    /// Where the fact comes from (for maintainers; never rendered).
    pub source: Option<String>,
}

/// The envelope's keys.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// The code key.
    pub code: String,
    /// The message key.
    pub message: String,
    /// The request id key.
    pub request_id: String,
    /// The batch-delete error list key.
    pub error_list: String,
    /// The echoed client request id key.
    pub client_request_id: String,
}

/// How lists travel.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListEncoding {
    /// Between name and index.
    pub separator: String,
    /// Accepted first indices.
    pub bases: Vec<u32>,
    /// Whether indices must be contiguous.
    pub contiguous: bool,
    /// The first index the SDK sends.
    pub sdk_base: u32,
}

/// A character pattern.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pattern {
    /// Description.
    pub doc: String,
    /// Where the fact comes from (for maintainers; never rendered).
    pub source: Option<String>,
    /// Classes for the first character (`A-Z` ranges or single characters).
    pub first: Profiled<Vec<String>>,
    /// Classes for later characters.
    pub rest: Profiled<Vec<String>>,
    /// Characters never allowed.
    pub forbid: Profiled<Vec<String>>,
}

/// A recorded verdict.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// What was undecided.
    pub topic: String,
    /// What the spec chose.
    pub choice: String,
    /// Where the facts are.
    pub source: String,
}

/// `errors.json`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorsFile {
    /// Editor hint; ignored.
    #[serde(rename = "$schema", default)]
    pub schema: Option<String>,
    /// Top-level codes.
    pub codes: Vec<Code>,
    /// (code, module, message) triples.
    pub errors: Vec<ErrorEntry>,
}

/// A top-level code.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Code {
    /// The number.
    pub code: i64,
    /// UpperCamelCase name.
    pub name: String,
    /// Description.
    pub doc: String,
    /// Where the fact comes from (for maintainers; never rendered).
    pub source: Option<String>,
}

/// One error a server answers with.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorEntry {
    /// Unique UpperCamelCase id.
    pub id: String,
    /// Top-level code.
    pub code: i64,
    /// Module code.
    pub module: i64,
    /// Message text (`%s` = parameter name).
    pub message: String,
    /// Description.
    pub doc: String,
    /// Where the fact comes from (for maintainers; never rendered).
    pub source: Option<String>,
}
