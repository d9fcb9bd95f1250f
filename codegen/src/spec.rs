//! The spec as written: serde types for the files under `spec/` (format in `spec/README.md`),
//! and the loader that reads them, naming file and JSON path on any error.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Location};

/// Everything under `spec/`, as read.
#[derive(Clone, Debug)]
pub struct Spec {
    /// The directory it was read from.
    pub dir: PathBuf,
    /// `protocol.json`.
    pub protocol: Protocol,
    /// `errors.json`.
    pub errors: ErrorsFile,
    /// `attributes.json`.
    pub attributes: Attributes,
    /// `actions/*.json`, keyed by file stem, in name order.
    pub actions: BTreeMap<String, Action>,
    /// The SHA-256 of every file read, in path order (hex).
    pub hash: String,
}

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
    /// Character patterns by id.
    pub patterns: BTreeMap<String, Pattern>,
    /// The default error for each violation kind.
    pub violation_errors: BTreeMap<String, String>,
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
}

/// A common request parameter.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommonParam {
    /// Wire name.
    pub wire: String,
    /// `int` or `string`.
    #[serde(rename = "type")]
    pub ty: String,
    /// Whether every request carries it.
    pub required: bool,
    /// Description.
    pub doc: String,
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
    /// Classes for the first character (`A-Z` ranges or single characters).
    pub first: Vec<String>,
    /// Classes for later characters.
    pub rest: Vec<String>,
    /// Characters never allowed.
    pub forbid: Vec<String>,
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
}

/// `attributes.json`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attributes {
    /// Editor hint; ignored.
    #[serde(rename = "$schema", default)]
    pub schema: Option<String>,
    /// Shared parameters by id.
    pub params: BTreeMap<String, Param>,
    /// Shapes by id.
    pub shapes: BTreeMap<String, Shape>,
}

/// A parameter definition.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Param {
    /// Wire name.
    pub wire: String,
    /// `int`, `string`, `string_list` or `json`.
    #[serde(rename = "type")]
    pub ty: String,
    /// Description.
    pub doc: String,
    /// Inclusive minimum.
    pub min: Option<i64>,
    /// Inclusive maximum.
    pub max: Option<i64>,
    /// Server default.
    pub default: Option<serde_json::Value>,
    /// Minimum length.
    pub min_len: Option<u64>,
    /// Maximum length.
    pub max_len: Option<u64>,
    /// `chars` or `bytes`.
    pub len_unit: Option<String>,
    /// Pattern id.
    pub pattern: Option<String>,
    /// Allowed values.
    #[serde(rename = "enum")]
    pub one_of: Option<Vec<serde_json::Value>>,
    /// Most `.` characters.
    pub max_dots: Option<u64>,
    /// Fewest items.
    pub min_items: Option<u64>,
    /// Most items.
    pub max_items: Option<u64>,
    /// Shape id for `json`.
    pub shape: Option<String>,
    /// Error overrides per violation kind.
    #[serde(default)]
    pub errors: BTreeMap<String, String>,
}

/// A parameter as an action uses it: a reference with overrides, or an inline definition.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamUse {
    /// Id in `attributes.params`.
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    /// Whether the action requires it.
    #[serde(default)]
    pub required: bool,
    /// Wire name (inline only).
    pub wire: Option<String>,
    /// Type (inline only).
    #[serde(rename = "type")]
    pub ty: Option<String>,
    /// Description.
    pub doc: Option<String>,
    /// Inclusive minimum.
    pub min: Option<i64>,
    /// Inclusive maximum.
    pub max: Option<i64>,
    /// Server default.
    pub default: Option<serde_json::Value>,
    /// Minimum length.
    pub min_len: Option<u64>,
    /// Maximum length.
    pub max_len: Option<u64>,
    /// `chars` or `bytes`.
    pub len_unit: Option<String>,
    /// Pattern id.
    pub pattern: Option<String>,
    /// Allowed values.
    #[serde(rename = "enum")]
    pub one_of: Option<Vec<serde_json::Value>>,
    /// Most `.` characters.
    pub max_dots: Option<u64>,
    /// Fewest items.
    pub min_items: Option<u64>,
    /// Most items.
    pub max_items: Option<u64>,
    /// Shape id for `json`.
    pub shape: Option<String>,
    /// Error overrides per violation kind.
    pub errors: Option<BTreeMap<String, String>>,
}

/// A cross-field rule.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// `le`, `lt`, `requires` or `state`.
    pub kind: String,
    /// Left operand (`le`/`lt`).
    pub left: Option<String>,
    /// Right operand (`le`/`lt`).
    pub right: Option<String>,
    /// Condition (`requires`).
    #[serde(rename = "if")]
    pub if_: Option<String>,
    /// Consequence (`requires`).
    pub then: Option<String>,
    /// Description (`state`; optional otherwise).
    pub doc: Option<String>,
    /// Error id.
    pub error: String,
}

/// Pagination keys.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Paginated {
    /// Offset parameter.
    pub offset: String,
    /// Limit parameter.
    pub limit: String,
    /// Total count response key.
    pub total: String,
    /// Items response key.
    pub items: String,
}

/// A response field (or a shape's field).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    /// Reuses a parameter's wire name, type and doc.
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    /// JSON key.
    pub key: Option<String>,
    /// Type.
    #[serde(rename = "type")]
    pub ty: Option<String>,
    /// May be absent.
    #[serde(default)]
    pub optional: bool,
    /// Other accepted keys.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Whether the mock writes the aliases too.
    #[serde(default)]
    pub emit_aliases: bool,
    /// Description.
    pub doc: Option<String>,
    /// Shape id for `json`, `object`, `object_list`.
    pub shape: Option<String>,
    /// Validation (shapes used by `json` parameters).
    #[serde(default)]
    pub required: bool,
    /// Inclusive minimum.
    pub min: Option<i64>,
    /// Inclusive maximum.
    pub max: Option<i64>,
    /// Allowed values.
    #[serde(rename = "enum")]
    pub one_of: Option<Vec<serde_json::Value>>,
    /// Pattern id.
    pub pattern: Option<String>,
    /// Maximum length.
    pub max_len: Option<u64>,
    /// Required when another member has a value.
    pub required_if: Option<RequiredIf>,
    /// Error overrides per violation kind for this member (over the shape's `errors`).
    #[serde(default)]
    pub errors: BTreeMap<String, String>,
}

/// `required_if` of a shape field.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequiredIf {
    /// The other member.
    pub field: String,
    /// Its value.
    pub equals: serde_json::Value,
}

/// A JSON object shape.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shape {
    /// Description.
    pub doc: String,
    /// Members.
    pub fields: Vec<Field>,
    /// Error overrides per violation kind for members of a shape used by a `json` parameter.
    #[serde(default)]
    pub errors: BTreeMap<String, String>,
}

/// `actions/<Action>.json`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Action {
    /// Editor hint; ignored.
    #[serde(rename = "$schema", default)]
    pub schema: Option<String>,
    /// The `Action` value.
    pub name: String,
    /// `queue`, `message`, `topic`, `subscription` or `route`.
    pub group: String,
    /// Description.
    pub doc: String,
    /// Safe to retry automatically.
    #[serde(default)]
    pub idempotent: bool,
    /// Waits up to pollingWaitSeconds.
    #[serde(default)]
    pub long_polling: bool,
    /// Pagination keys.
    pub paginated: Option<Paginated>,
    /// Parameters.
    #[serde(default)]
    pub params: Vec<ParamUse>,
    /// Cross-field rules.
    #[serde(default)]
    pub rules: Vec<Rule>,
    /// Response fields.
    #[serde(default)]
    pub response: Vec<Field>,
    /// Error ids.
    #[serde(default)]
    pub errors: Vec<String>,
}

fn read_json<T: serde::de::DeserializeOwned>(
    path: &Path,
    hasher: &mut Vec<(String, Vec<u8>)>,
    rel: &str,
) -> Result<T, Error> {
    let bytes = fs::read(path).map_err(|e| Error::Io {
        path: path.display().to_string(),
        source: e,
    })?;
    let mut de = serde_json::Deserializer::from_slice(&bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let json_path = e.path().to_string();
        let inner = e.into_inner();
        Error::Spec {
            at: Location::new(rel, format_path(&json_path)),
            message: format!("{inner}"),
        }
    })?;
    hasher.push((rel.to_owned(), bytes));
    Ok(value)
}

fn format_path(p: &str) -> String {
    if p == "." || p.is_empty() {
        "$".to_owned()
    } else {
        format!("$.{p}")
    }
}

/// Reads every spec file under `dir`.
pub fn load(dir: &Path) -> Result<Spec, Error> {
    let mut files = Vec::new();
    let protocol = read_json(&dir.join("protocol.json"), &mut files, "protocol.json")?;
    let errors = read_json(&dir.join("errors.json"), &mut files, "errors.json")?;
    let attributes = read_json(&dir.join("attributes.json"), &mut files, "attributes.json")?;
    let mut actions = BTreeMap::new();
    let actions_dir = dir.join("actions");
    let entries = fs::read_dir(&actions_dir).map_err(|e| Error::Io {
        path: actions_dir.display().to_string(),
        source: e,
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    for p in paths {
        let stem = p
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_owned();
        let rel = format!("actions/{stem}.json");
        let action: Action = read_json(&p, &mut files, &rel)?;
        actions.insert(stem, action);
    }
    Ok(Spec {
        dir: dir.to_path_buf(),
        protocol,
        errors,
        attributes,
        actions,
        hash: hash_files(&files),
    })
}

fn hash_files(files: &[(String, Vec<u8>)]) -> String {
    use sha2::{Digest, Sha256};
    let mut sorted: Vec<&(String, Vec<u8>)> = files.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut h = Sha256::new();
    for (name, bytes) in sorted {
        h.update(name.as_bytes());
        h.update([0u8]);
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}
