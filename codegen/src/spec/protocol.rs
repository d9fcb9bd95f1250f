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

// ------------------------------------------------------------------------------------- API 3.0

/// `protocol.json` of an API of style `tc3` (Tencent Cloud API 3.0).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tc3Protocol {
    /// Editor hint; ignored.
    #[serde(rename = "$schema", default)]
    pub schema: Option<String>,
    /// Always `tc3`.
    pub style: super::types::Style,
    /// The API's name.
    pub name: String,
    /// What the API is.
    pub doc: String,
    /// Where the fact comes from (for maintainers; never rendered).
    pub source: Option<String>,
    /// Public documentation pages users may read.
    #[serde(default)]
    pub see: Vec<String>,
    /// The product (the credential scope's service), e.g. `tdmq`.
    pub product: String,
    /// The API version (`X-TC-Version`), e.g. `2020-02-17`.
    pub version: String,
    /// The request path.
    pub path: String,
    /// Accepted HTTP methods.
    pub methods: Vec<String>,
    /// The SDK's method.
    pub default_method: String,
    /// The content type of a POST body.
    pub content_type: String,
    /// The largest accepted POST body.
    pub max_request_bytes: u64,
    /// The largest accepted GET request.
    pub max_get_request_bytes: u64,
    /// How far `X-TC-Timestamp` may be off.
    pub timestamp_skew_seconds: u64,
    /// On which profiles (service generations) the API exists.
    pub available: Profiled<bool>,
    /// The hosts.
    pub hosts: Tc3Hosts,
    /// The regions where the API exists.
    pub regions: Tc3Regions,
    /// CMQ's short region codes and their API 3.0 names.
    pub short_region_codes: Tc3ShortCodes,
    /// The data-plane hosts and which of them have an API 3.0 face.
    pub data_plane_hosts: Tc3DataPlaneHosts,
    /// Signature methods.
    pub signature_methods: Vec<SignatureMethod>,
    /// Request headers.
    pub headers: Vec<Tc3Header>,
    /// The envelope's keys.
    pub envelope: Tc3Envelope,
    /// How enum values compare on the wire.
    pub enum_case: EnumCase,
    /// Character patterns by id (linked parameters bring their API's patterns).
    pub patterns: BTreeMap<String, Pattern>,
    /// The default error of each violation kind.
    pub violation_errors: BTreeMap<ViolationKind, String>,
    /// The error for each protocol-level failure.
    pub protocol_errors: BTreeMap<String, String>,
    /// Verdicts on disagreements and unknowns.
    pub decisions: Vec<Decision>,
}

/// Where API 3.0 requests go.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tc3Hosts {
    /// What they are.
    pub doc: String,
    /// Where the facts come from.
    pub source: Option<String>,
    /// The public host for every region.
    pub default: String,
    /// The host nearest a region (`{region}` stands for it).
    pub regional: String,
    /// The international site's host.
    pub international: String,
}

/// The regions where the API exists.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tc3Regions {
    /// What they are.
    pub doc: String,
    /// Where the facts come from.
    pub source: Option<String>,
    /// API 3.0 region names.
    pub names: Vec<String>,
}

/// CMQ's short region codes.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tc3ShortCodes {
    /// What they are.
    pub doc: String,
    /// Where the facts come from.
    pub source: Option<String>,
    /// Each code with its API 3.0 region.
    pub codes: Vec<Tc3ShortCode>,
}

/// One short region code.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tc3ShortCode {
    /// As in a data-plane host (`gz`).
    pub short: String,
    /// The API 3.0 region (`ap-guangzhou`).
    pub region: String,
}

/// The data-plane hosts.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tc3DataPlaneHosts {
    /// What they are.
    pub doc: String,
    /// Where the facts come from.
    pub source: Option<String>,
    /// TDMQ's public hosts start with this, then the region code.
    pub tdmq_public_prefix: String,
    /// … and end with this.
    pub tdmq_public_suffix: String,
    /// TDMQ's VPC hosts are the region code followed by this.
    pub tdmq_vpc_suffix: String,
    /// The legacy CMQ hosts end with one of these (no API 3.0 face).
    pub legacy_suffixes: Vec<String>,
}

/// A request header.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tc3Header {
    /// Its name.
    pub name: String,
    /// Whether every request carries it.
    pub required: bool,
    /// Whether the SDKs sign it.
    pub signed: bool,
    /// What it carries.
    pub doc: String,
    /// Where the fact comes from.
    pub source: Option<String>,
}

/// The keys of the API 3.0 envelope.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tc3Envelope {
    /// The object every answer is wrapped in (`Response`).
    pub response: String,
    /// The error object (`Error`).
    pub error: String,
    /// The error's code (`Code`).
    pub code: String,
    /// The error's message (`Message`).
    pub message: String,
    /// The request id (`RequestId`).
    pub request_id: String,
}

/// `errors.json` of an API of style `tc3`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tc3ErrorsFile {
    /// Editor hint; ignored.
    #[serde(rename = "$schema", default)]
    pub schema: Option<String>,
    /// Every code (string) with its documented meaning.
    pub codes: Vec<Tc3Code>,
    /// Every (code, message) pair a server answers with, under a unique `id`.
    pub errors: Vec<Tc3ErrorEntry>,
    /// How errors of another API (the shared engine's) become errors of this one.
    pub from_v2: Tc3Mapping,
}

/// An API 3.0 error code.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tc3Code {
    /// The code (`ResourceNotFound.Topic`).
    pub code: String,
    /// Shared by every Tencent Cloud API 3.0 product.
    pub common: bool,
    /// What it means.
    pub doc: String,
    /// Where the fact comes from.
    pub source: Option<String>,
}

/// One error an API 3.0 server answers with.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tc3ErrorEntry {
    /// Unique UpperCamelCase id.
    pub id: String,
    /// The code.
    pub code: String,
    /// The message (`%s` = the parameter or subject).
    pub message: String,
    /// What it means.
    pub doc: String,
    /// Where the fact comes from.
    pub source: Option<String>,
}

/// The mapping from the errors of API `v2` (the shared engine's) to this API's errors.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tc3Mapping {
    /// What it is.
    pub doc: String,
    /// Where the facts come from.
    pub source: Option<String>,
    /// The error for every API 2.0 error of a code (unless listed by id).
    pub by_code: Vec<Tc3ByCode>,
    /// The error for one API 2.0 error (with per-action exceptions).
    pub by_id: Vec<Tc3ById>,
}

/// A mapping by API 2.0 code.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tc3ByCode {
    /// The API 2.0 code.
    pub code: i64,
    /// The error id of this API.
    pub error: String,
}

/// A mapping by API 2.0 error id.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tc3ById {
    /// The API 2.0 error id.
    pub v2: String,
    /// The error id of this API.
    pub error: String,
    /// Actions of this API that answer with another error.
    #[serde(default)]
    pub actions: BTreeMap<String, String>,
}
