//! The computed model: every identifier, type, literal, doc line and code fragment the templates
//! print is decided here, in Rust, so the templates hold no logic (only loops and placement).
//!
//! Building the model also resolves references and runs the lints (see [`crate::lint`]): a spec
//! that breaks any of them yields every finding at once, each naming its file and JSON path.

use std::collections::{BTreeMap, BTreeSet};

use heck::{ToShoutySnakeCase, ToSnakeCase, ToUpperCamelCase};
use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Finding, Location};
use crate::lint::{self, Lints};
use crate::spec::{self, Spec};

/// The whole model.
#[derive(Clone, Debug, Serialize)]
pub struct Model {
    /// SHA-256 of the spec files.
    pub spec_hash: String,
    /// The API's name.
    pub api_name: String,
    /// Request path literal.
    pub path_lit: String,
    /// Largest request, in bytes.
    pub max_request_bytes: u64,
    /// Timestamp skew, in seconds.
    pub timestamp_skew_seconds: u64,
    /// First list index the SDK sends.
    pub sdk_list_base: u32,
    /// Top-level codes.
    pub codes: Vec<CodeModel>,
    /// Errors.
    pub errors: Vec<ErrorModel>,
    /// Protocol-level errors: (const name, error variant).
    pub protocol_errors: Vec<NamedError>,
    /// Character patterns.
    pub patterns: Vec<PatternModel>,
    /// String enums.
    pub enums: Vec<EnumModel>,
    /// Shapes (JSON objects).
    pub shapes: Vec<StructModel>,
    /// Actions, by name.
    pub actions: Vec<ActionModel>,
    /// Recorded decisions.
    pub decisions: Vec<DecisionModel>,
    /// Accepted first list indices (`list_encoding.bases`).
    pub list_bases: Vec<u32>,
    /// Character patterns as plain data (for the conformance corpus).
    pub pattern_facts: Vec<PatternFacts>,
}

/// A character pattern as plain data: inclusive character ranges and forbidden characters (an
/// empty class allows every character).
#[derive(Clone, Debug, Serialize)]
pub struct PatternFacts {
    /// The spec's id.
    pub id: String,
    /// Ranges allowed for the first character.
    pub first: Vec<(char, char)>,
    /// Ranges allowed after the first character.
    pub rest: Vec<(char, char)>,
    /// Characters never allowed.
    pub forbid: Vec<char>,
}

/// Every constraint the spec states on one parameter (or one member of a `json` parameter's
/// shape), references, overrides and default errors resolved: plain data for the conformance
/// corpus (`codegen::conformance`) and its coverage report.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ParamFacts {
    /// The wire name (`queueName`), or for a member its key (`maxReceiveCount`).
    pub wire: String,
    /// `int`, `string`, `string_list` or `json`.
    pub kind: String,
    /// Whether the action (or shape) requires it.
    pub required: bool,
    /// Required when another member has a value (members only): (member key, value as text).
    pub required_if: Option<(String, String)>,
    /// Inclusive minimum.
    pub min: Option<i64>,
    /// Inclusive maximum.
    pub max: Option<i64>,
    /// The server default, as wire text.
    pub default: Option<String>,
    /// Minimum length (per item for lists).
    pub min_len: Option<u64>,
    /// Maximum length (per item for lists).
    pub max_len: Option<u64>,
    /// `chars` or `bytes`.
    pub len_unit: String,
    /// Pattern id.
    pub pattern: Option<String>,
    /// Allowed values, as wire text (empty: any).
    pub one_of: Vec<String>,
    /// Most `.` characters.
    pub max_dots: Option<u64>,
    /// Fewest list items.
    pub min_items: Option<u64>,
    /// Most list items.
    pub max_items: Option<u64>,
    /// Shape id (`json`).
    pub shape: Option<String>,
    /// The error id answered for each violation kind (every kind present).
    pub errors: BTreeMap<String, String>,
}

/// A cross-field rule (`le`, `lt`, `requires`) as plain data.
#[derive(Clone, Debug, Serialize)]
pub struct RuleFacts {
    /// `le`, `lt` or `requires`.
    pub kind: String,
    /// `[left, right]` for `le`/`lt`, `[if, then]` for `requires`; a path `p.m` names member `m`
    /// of `json` parameter `p`.
    pub operands: Vec<String>,
    /// The error id.
    pub error: String,
}

/// A recorded decision.
#[derive(Clone, Debug, Serialize)]
pub struct DecisionModel {
    /// Doc line.
    pub line: String,
}

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
    pub id_lit: String,
    /// Top-level code.
    pub code: i64,
    /// Module code.
    pub module: i64,
    /// Message literal.
    pub message_lit: String,
    /// Message text (`%s` = parameter name).
    pub message: String,
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
    pub expr: String,
    /// Doc lines.
    pub doc: Vec<String>,
}

/// A string enum.
#[derive(Clone, Debug, Serialize)]
pub struct EnumModel {
    /// Type name.
    pub name: String,
    /// Doc lines.
    pub doc: Vec<String>,
    /// Variants.
    pub variants: Vec<EnumVariant>,
}

/// A string enum's variant.
#[derive(Clone, Debug, Serialize)]
pub struct EnumVariant {
    /// Variant name.
    pub variant: String,
    /// Wire literal.
    pub wire_lit: String,
    /// Doc line.
    pub doc: String,
}

/// A struct read from / written to JSON (an action's output or a shape).
#[derive(Clone, Debug, Serialize)]
pub struct StructModel {
    /// Type name.
    pub name: String,
    /// Raw (all-optional) helper type name.
    pub raw_name: String,
    /// Module name of its member constraints.
    pub mod_name: String,
    /// Doc lines.
    pub doc: Vec<String>,
    /// Fields.
    pub fields: Vec<FieldModel>,
    /// Validation statements (shapes used by `json` parameters).
    pub checks: Vec<String>,
    /// Constraint consts for validated members.
    pub specs: Vec<SpecConst>,
    /// Whether it has validation.
    pub validated: bool,
    /// Field initialisers decoding members leniently from a JSON object `obj` (validated shapes).
    pub member_decodes: Vec<String>,
    /// Constraint facts of the members (validated shapes only).
    pub member_facts: Vec<ParamFacts>,
}

/// A field of a [`StructModel`].
#[derive(Clone, Debug, Serialize)]
pub struct FieldModel {
    /// Rust field name.
    pub field: String,
    /// Rust type as declared.
    pub rust_type: String,
    /// Type in the raw helper (always `Option<…>`).
    pub raw_type: String,
    /// JSON key literal.
    pub key_lit: String,
    /// Raw fields: (raw field name, key literal) for the key and each alias.
    pub raw_keys: Vec<RawKey>,
    /// Expression building the field from `raw`.
    pub from_raw: String,
    /// Statements writing the field into map `m` (key and emitted aliases).
    pub write: String,
    /// Doc lines.
    pub doc: Vec<String>,
}

/// One key of a raw helper struct.
#[derive(Clone, Debug, Serialize)]
pub struct RawKey {
    /// Raw field name.
    pub raw_field: String,
    /// JSON key literal.
    pub key_lit: String,
    /// Extra serde attributes (`, deserialize_with = "…"`), or empty.
    pub attr: String,
}

/// A `ParamSpec` constant.
#[derive(Clone, Debug, Serialize)]
pub struct SpecConst {
    /// Const name.
    pub const_name: String,
    /// The literal.
    pub expr: String,
    /// Doc line.
    pub doc: String,
}

/// A parameter of an action.
#[derive(Clone, Debug, Serialize)]
pub struct ParamModel {
    /// Wire literal.
    pub wire_lit: String,
    /// Rust field.
    pub field: String,
    /// Setter for an `Option` (`set_queue_name`).
    pub set_field: String,
    /// Field type (without the `Option`).
    pub rust_type: String,
    /// Setter argument type.
    pub arg_type: String,
    /// Conversion of `v` into the field type.
    pub conv: String,
    /// The constraint const.
    pub spec: SpecConst,
    /// Validation statement (pushes into `v`).
    pub check: String,
    /// Encoding statement (into `out`).
    pub encode: String,
    /// Mock decoding expression (from `p` into `errs`).
    pub decode: String,
    /// Doc lines for the field and setters.
    pub doc: Vec<String>,
    /// Whether it is required.
    pub required: bool,
    /// Its constraints as plain data.
    pub facts: ParamFacts,
}

/// An action.
#[derive(Clone, Debug, Serialize)]
pub struct ActionModel {
    /// Wire name.
    pub name: String,
    /// Wire literal.
    pub name_lit: String,
    /// Module / method name.
    pub snake: String,
    /// Input type.
    pub input: String,
    /// Output type.
    pub output: String,
    /// Fluent request type.
    pub request: String,
    /// Constraint module.
    pub spec_mod: String,
    /// `Group::…` variant.
    pub group: String,
    /// Safe to retry.
    pub idempotent: bool,
    /// Long-polls.
    pub long_polling: bool,
    /// Expression for the long-poll seconds of `self` (`None` when not long-polling).
    pub long_poll_expr: String,
    /// Expression naming the queue or topic the call targets (for tracing).
    pub target_expr: String,
    /// Doc lines.
    pub doc: Vec<String>,
    /// The doc's first line.
    pub summary: String,
    /// Parameters.
    pub params: Vec<ParamModel>,
    /// Cross-field validation statements.
    pub rules: Vec<String>,
    /// Doc lines for the rules the server enforces with state.
    pub state_rules: Vec<String>,
    /// Output struct.
    pub output_struct: StructModel,
    /// Error variants.
    pub errors: Vec<String>,
    /// Pagination, if any.
    pub paginated: Option<PaginatedModel>,
    /// Cross-field rules (not `state`) as plain data.
    pub rule_facts: Vec<RuleFacts>,
}

/// Pagination facts.
#[derive(Clone, Debug, Serialize)]
pub struct PaginatedModel {
    /// Item type.
    pub item_type: String,
    /// Offset field of the input.
    pub offset_field: String,
    /// Limit field of the input.
    pub limit_field: String,
    /// Total field of the output.
    pub total_field: String,
    /// Items field of the output.
    pub items_field: String,
    /// Expression turning the items field into a Vec.
    pub items_expr: String,
}

const GROUPS: &[&str] = &["queue", "message", "topic", "subscription", "route"];
const PARAM_TYPES: &[&str] = &["int", "string", "string_list", "json"];
const FIELD_TYPES: &[&str] = &[
    "int",
    "string",
    "string_list",
    "json",
    "object",
    "object_list",
];
const VIOLATION_KINDS: &[(&str, &str)] = &[
    ("missing", "missing"),
    ("type", "type_"),
    ("range", "range"),
    ("length", "length"),
    ("pattern", "pattern"),
    ("enum", "enum_"),
    ("dots", "dots"),
    ("items", "items"),
    ("contiguous", "contiguous"),
    ("not_repeatable", "not_repeatable"),
    ("json", "json"),
];

/// A Rust string literal for `s`.
pub fn lit(s: &str) -> String {
    format!("{s:?}")
}

/// Splits a doc text into `///` lines.
pub fn doc_lines(s: &str) -> Vec<String> {
    s.lines().map(|l| l.trim_end().to_owned()).collect()
}

/// A fully resolved parameter (reference and overrides merged).
#[derive(Clone, Debug)]
struct Resolved {
    def: spec::Param,
    required: bool,
    at: Location,
}

/// Builds the model, or every lint finding.
pub fn build(spec: &Spec) -> Result<Model, Error> {
    let mut l = Lints::default();
    let errors = build_errors(spec, &mut l);
    let error_ids: BTreeSet<String> = spec.errors.errors.iter().map(|e| e.id.clone()).collect();
    let codes = build_codes(spec, &mut l);
    let patterns = build_patterns(spec, &mut l);
    let defaults = violation_defaults(spec, &error_ids, &mut l);
    let protocol_errors = build_protocol_errors(spec, &error_ids, &mut l);

    // Shapes used by json parameters are validated: every member is optional there.
    let mut validated_shapes = BTreeSet::new();
    for p in spec.attributes.params.values() {
        if let Some(s) = &p.shape {
            validated_shapes.insert(s.clone());
        }
    }
    for a in spec.actions.values() {
        for p in &a.params {
            if let Some(s) = &p.shape {
                validated_shapes.insert(s.clone());
            }
        }
    }

    for (id, p) in &spec.attributes.params {
        let at = Location::new("attributes.json", format!("$.params.{id}"));
        lint::check_param(p, &at, PARAM_TYPES, &mut l);
        lint::check_field_name(&p.wire.to_snake_case(), &at.join("wire"), &mut l);
    }

    let mut enums: BTreeMap<String, (EnumModel, Vec<String>, Location)> = BTreeMap::new();
    let shapes = build_shapes(spec, &validated_shapes, &error_ids, &defaults, &mut l);

    let mut actions = Vec::new();
    let mut seen_actions: BTreeMap<String, String> = BTreeMap::new();
    for (stem, a) in &spec.actions {
        let file = format!("actions/{stem}.json");
        let at = Location::new(&file, "$");
        if &a.name != stem {
            l.push(
                at.join("name"),
                format!(
                    "action name `{}` differs from its file name `{stem}.json`",
                    a.name
                ),
            );
        }
        let snake = a.name.to_snake_case();
        if let Some(prev) = seen_actions.insert(snake.clone(), a.name.clone()) {
            l.push(
                at.join("name"),
                format!(
                    "action `{}` collides with `{prev}` after case conversion (`{snake}`)",
                    a.name
                ),
            );
        }
        actions.push(build_action(
            spec, a, &at, &error_ids, &defaults, &mut enums, &mut l,
        ));
    }

    l.finish()?;
    let mut enum_models: Vec<EnumModel> = enums.into_values().map(|(e, _, _)| e).collect();
    enum_models.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Model {
        spec_hash: spec.hash.clone(),
        api_name: spec.protocol.name.clone(),
        path_lit: lit(&spec.protocol.path),
        max_request_bytes: spec.protocol.max_request_bytes,
        timestamp_skew_seconds: spec.protocol.timestamp_skew_seconds,
        sdk_list_base: spec.protocol.list_encoding.sdk_base,
        codes,
        errors,
        protocol_errors,
        patterns,
        enums: enum_models,
        shapes,
        actions,
        decisions: spec
            .protocol
            .decisions
            .iter()
            .map(|d| DecisionModel {
                line: format!("- {}: {} ({})", d.topic, d.choice, d.source),
            })
            .collect(),
        list_bases: spec.protocol.list_encoding.bases.clone(),
        pattern_facts: pattern_facts(spec),
    })
}

fn build_errors(spec: &Spec, l: &mut Lints) -> Vec<ErrorModel> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut out = Vec::new();
    for (i, e) in spec.errors.errors.iter().enumerate() {
        let at = Location::new("errors.json", format!("$.errors[{i}]"));
        lint::check_type_name(&e.id, &at.join("id"), l);
        if let Some(j) = seen.insert(e.id.clone(), i) {
            l.push(
                at.join("id"),
                format!("duplicate error id `{}` (also at $.errors[{j}])", e.id),
            );
        }
        lint::check_doc(&e.doc, &at.join("doc"), l);
        if !spec.errors.codes.iter().any(|c| c.code == e.code) {
            l.push(
                at.join("code"),
                format!("code {} is not listed in $.codes", e.code),
            );
        }
        out.push(ErrorModel {
            variant: e.id.clone(),
            id_lit: lit(&e.id),
            code: e.code,
            module: e.module,
            message_lit: lit(&e.message),
            message: e.message.clone(),
            doc: doc_lines(&format!(
                "{} / {}: {}\n\n{}",
                e.code, e.module, e.message, e.doc
            )),
        });
    }
    out
}

fn build_codes(spec: &Spec, l: &mut Lints) -> Vec<CodeModel> {
    let mut seen = BTreeMap::new();
    let mut names = BTreeMap::new();
    let mut out = Vec::new();
    for (i, c) in spec.errors.codes.iter().enumerate() {
        let at = Location::new("errors.json", format!("$.codes[{i}]"));
        lint::check_type_name(&c.name, &at.join("name"), l);
        lint::check_doc(&c.doc, &at.join("doc"), l);
        if seen.insert(c.code, i).is_some() {
            l.push(at.join("code"), format!("duplicate code {}", c.code));
        }
        if let Some(j) = names.insert(c.name.to_upper_camel_case(), i) {
            l.push(
                at.join("name"),
                format!(
                    "code name `{}` collides with $.codes[{j}] after case conversion",
                    c.name
                ),
            );
        }
        out.push(CodeModel {
            variant: c.name.to_upper_camel_case(),
            code: c.code,
            doc: doc_lines(&format!("{}: {}", c.code, c.doc)),
        });
    }
    out
}

fn class_ranges(items: &[String], at: &Location, l: &mut Lints) -> String {
    let mut parts = Vec::new();
    for (i, it) in items.iter().enumerate() {
        let chars: Vec<char> = it.chars().collect();
        match chars.as_slice() {
            [c] => parts.push(format!("({c:?}, {c:?})")),
            [a, '-', b] if a <= b => parts.push(format!("({a:?}, {b:?})")),
            _ => l.push(
                at.join(format!("[{i}]")),
                format!("`{it}` is neither one character nor a range like `a-z`"),
            ),
        }
    }
    format!("&[{}]", parts.join(", "))
}

fn build_patterns(spec: &Spec, l: &mut Lints) -> Vec<PatternModel> {
    let mut out = Vec::new();
    for (id, p) in &spec.protocol.patterns {
        let at = Location::new("protocol.json", format!("$.patterns.{id}"));
        lint::check_doc(&p.doc, &at.join("doc"), l);
        let first = class_ranges(&p.first, &at.join("first"), l);
        let rest = class_ranges(&p.rest, &at.join("rest"), l);
        let mut forbid = Vec::new();
        for (i, f) in p.forbid.iter().enumerate() {
            let cs: Vec<char> = f.chars().collect();
            if let [c] = cs.as_slice() {
                forbid.push(format!("{c:?}"));
            } else {
                l.push(
                    at.join("forbid").join(format!("[{i}]")),
                    format!("`{f}` is not one character"),
                );
            }
        }
        out.push(PatternModel {
            const_name: format!("{}_PATTERN", id.to_shouty_snake_case()),
            expr: format!(
                "CharPattern {{ id: {}, first: {first}, rest: {rest}, forbid: &[{}] }}",
                lit(id),
                forbid.join(", ")
            ),
            doc: doc_lines(&p.doc),
        });
    }
    out
}

fn violation_defaults(
    spec: &Spec,
    ids: &BTreeSet<String>,
    l: &mut Lints,
) -> BTreeMap<String, String> {
    let at = Location::new("protocol.json", "$.violation_errors");
    for (k, v) in &spec.protocol.violation_errors {
        if !VIOLATION_KINDS.iter().any(|(n, _)| n == k) {
            l.push(at.join(k), format!("unknown violation kind `{k}`"));
        }
        if !ids.contains(v) {
            l.push(at.join(k), format!("unknown error id `{v}`"));
        }
    }
    for (k, _) in VIOLATION_KINDS {
        if !spec.protocol.violation_errors.contains_key(*k) {
            l.push(at.clone(), format!("no error for violation kind `{k}`"));
        }
    }
    spec.protocol.violation_errors.clone()
}

fn build_protocol_errors(spec: &Spec, ids: &BTreeSet<String>, l: &mut Lints) -> Vec<NamedError> {
    let at = Location::new("protocol.json", "$.protocol_errors");
    spec.protocol
        .protocol_errors
        .iter()
        .map(|(k, v)| {
            if !ids.contains(v) {
                l.push(at.join(k), format!("unknown error id `{v}`"));
            }
            NamedError {
                name: k.to_shouty_snake_case(),
                variant: v.clone(),
                doc: format!("The error for `{k}`."),
            }
        })
        .collect()
}

fn violation_errors_expr(
    over: &BTreeMap<String, String>,
    defaults: &BTreeMap<String, String>,
    ids: &BTreeSet<String>,
    at: &Location,
    l: &mut Lints,
) -> String {
    for (k, v) in over {
        if !VIOLATION_KINDS.iter().any(|(n, _)| n == k) {
            l.push(at.join(k), format!("unknown violation kind `{k}`"));
        }
        if !ids.contains(v) {
            l.push(at.join(k), format!("unknown error id `{v}`"));
        }
    }
    let parts: Vec<String> = VIOLATION_KINDS
        .iter()
        .map(|(kind, field)| {
            let id = over
                .get(*kind)
                .or_else(|| defaults.get(*kind))
                .cloned()
                .unwrap_or_else(|| "InvalidParameter".into());
            format!("{field}: ErrorId::{id}")
        })
        .collect();
    format!("ViolationErrors {{ {} }}", parts.join(", "))
}

/// The error id for every violation kind: `over` first, then the protocol's defaults.
fn resolved_errors(
    over: &BTreeMap<String, String>,
    defaults: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    VIOLATION_KINDS
        .iter()
        .map(|(kind, _)| {
            let id = over
                .get(*kind)
                .or_else(|| defaults.get(*kind))
                .cloned()
                .unwrap_or_else(|| "InvalidParameter".into());
            ((*kind).to_owned(), id)
        })
        .collect()
}

/// The plain-data facts of a resolved parameter definition.
fn param_facts(d: &spec::Param, required: bool, defaults: &BTreeMap<String, String>) -> ParamFacts {
    ParamFacts {
        wire: d.wire.clone(),
        kind: d.ty.clone(),
        required,
        required_if: None,
        min: d.min,
        max: d.max,
        default: d.default.as_ref().map(value_text),
        min_len: d.min_len,
        max_len: d.max_len,
        len_unit: d.len_unit.clone().unwrap_or_else(|| "chars".into()),
        pattern: d.pattern.clone(),
        one_of: d.one_of.iter().flatten().map(value_text).collect(),
        max_dots: d.max_dots,
        min_items: d.min_items,
        max_items: d.max_items,
        shape: d.shape.clone(),
        errors: resolved_errors(&d.errors, defaults),
    }
}

fn class_pairs(items: &[String]) -> Vec<(char, char)> {
    items
        .iter()
        .filter_map(|it| {
            let chars: Vec<char> = it.chars().collect();
            match chars.as_slice() {
                [c] => Some((*c, *c)),
                [a, '-', b] if a <= b => Some((*a, *b)),
                _ => None,
            }
        })
        .collect()
}

fn pattern_facts(spec: &Spec) -> Vec<PatternFacts> {
    spec.protocol
        .patterns
        .iter()
        .map(|(id, p)| PatternFacts {
            id: id.clone(),
            first: class_pairs(&p.first),
            rest: class_pairs(&p.rest),
            forbid: p.forbid.iter().filter_map(|f| f.chars().next()).collect(),
        })
        .collect()
}

fn opt_i64(v: Option<i64>) -> String {
    match v {
        None => "None".into(),
        Some(i64::MIN) => "Some(i64::MIN)".into(),
        Some(x) => format!("Some({x})"),
    }
}

fn opt_usize(v: Option<u64>) -> String {
    v.map_or("None".into(), |x| format!("Some({x}_usize)"))
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The `ParamSpec` literal for a resolved parameter.
#[allow(clippy::too_many_arguments)]
fn spec_expr(
    wire: &str,
    d: &spec::Param,
    required: bool,
    defaults: &BTreeMap<String, String>,
    ids: &BTreeSet<String>,
    spec: &Spec,
    at: &Location,
    l: &mut Lints,
) -> String {
    let kind = match d.ty.as_str() {
        "int" => "ParamKind::Int",
        "string" => "ParamKind::String",
        "string_list" => "ParamKind::StringList",
        _ => "ParamKind::Json",
    };
    let unit = match d.len_unit.as_deref() {
        None | Some("chars") => "LenUnit::Chars",
        Some("bytes") => "LenUnit::Bytes",
        Some(other) => {
            l.push(
                at.join("len_unit"),
                format!("unknown len_unit `{other}` (chars or bytes)"),
            );
            "LenUnit::Chars"
        }
    };
    let pattern = match &d.pattern {
        None => "None".to_owned(),
        Some(p) => {
            if !spec.protocol.patterns.contains_key(p) {
                l.push(at.join("pattern"), format!("unknown pattern `{p}`"));
            }
            format!("Some({}_PATTERN)", p.to_shouty_snake_case())
        }
    };
    let one_of: Vec<String> = d
        .one_of
        .iter()
        .flatten()
        .map(|v| lit(&value_text(v)))
        .collect();
    let default = d
        .default
        .as_ref()
        .map_or("None".into(), |v| format!("Some({})", lit(&value_text(v))));
    let errors = violation_errors_expr(&d.errors, defaults, ids, &at.join("errors"), l);
    format!(
        "ParamSpec {{ wire: {}, kind: {kind}, required: {required}, min: {}, max: {}, default: {default}, min_len: {}, max_len: {}, len_unit: {unit}, pattern: {pattern}, one_of: &[{}], max_dots: {}, min_items: {}, max_items: {}, errors: {errors} }}",
        lit(wire),
        opt_i64(d.min),
        opt_i64(d.max),
        opt_usize(d.min_len),
        opt_usize(d.max_len),
        one_of.join(", "),
        opt_usize(d.max_dots),
        opt_usize(d.min_items),
        opt_usize(d.max_items),
    )
}

/// True when an action's use of a shared parameter changes any of its constraints.
fn overrides_anything(u: &spec::ParamUse) -> bool {
    u.min.is_some()
        || u.max.is_some()
        || u.default.is_some()
        || u.min_len.is_some()
        || u.max_len.is_some()
        || u.len_unit.is_some()
        || u.pattern.is_some()
        || u.one_of.is_some()
        || u.max_dots.is_some()
        || u.min_items.is_some()
        || u.max_items.is_some()
        || u.doc.is_some()
}

fn resolve_param(
    spec: &Spec,
    u: &spec::ParamUse,
    at: &Location,
    l: &mut Lints,
) -> Option<Resolved> {
    let mut def = match &u.reference {
        Some(r) => match spec.attributes.params.get(r) {
            Some(d) => d.clone(),
            None => {
                l.push(at.join("ref"), format!("unknown parameter reference `{r}`"));
                return None;
            }
        },
        None => spec::Param::default(),
    };
    if u.reference.is_some() && (u.wire.is_some() || u.ty.is_some()) {
        l.push(
            at.clone(),
            "a referenced parameter cannot change `wire` or `type`".into(),
        );
    }
    if let Some(w) = &u.wire {
        def.wire = w.clone();
    }
    if let Some(t) = &u.ty {
        def.ty = t.clone();
    }
    macro_rules! over {
        ($($f:ident),*) => { $( if u.$f.is_some() { def.$f = u.$f.clone(); } )* };
    }
    over!(
        min, max, default, min_len, max_len, len_unit, pattern, one_of, max_dots, min_items,
        max_items, shape
    );
    if let Some(d) = &u.doc {
        def.doc = d.clone();
    }
    if let Some(e) = &u.errors {
        def.errors = e.clone();
    }
    if def.wire.is_empty() {
        l.push(at.clone(), "an inline parameter needs `wire`".into());
        return None;
    }
    Some(Resolved {
        def,
        required: u.required,
        at: at.clone(),
    })
}

/// Notes for a setter's doc: range, default, required.
fn param_notes(d: &spec::Param, required: bool) -> Vec<String> {
    let mut notes = Vec::new();
    notes.push(format!(
        "Wire name `{}`; {}.",
        d.wire,
        if required { "**required**" } else { "optional" }
    ));
    match (d.min, d.max) {
        (Some(a), Some(b)) => notes.push(format!("Range: {a} to {b}.")),
        (Some(a), None) => notes.push(format!("Minimum: {a}.")),
        (None, Some(b)) => notes.push(format!("Maximum: {b}.")),
        _ => {}
    }
    let unit = if d.len_unit.as_deref() == Some("bytes") {
        "bytes"
    } else {
        "characters"
    };
    match (d.min_len, d.max_len) {
        (Some(a), Some(b)) => notes.push(format!("Length: {a} to {b} {unit}.")),
        (None, Some(b)) => notes.push(format!("Length: at most {b} {unit}.")),
        (Some(a), None) => notes.push(format!("Length: at least {a} {unit}.")),
        _ => {}
    }
    if let Some(n) = d.max_items {
        notes.push(format!("At most {n} items, sent as `{}.n`.", d.wire));
    }
    if let Some(n) = d.max_dots {
        notes.push(format!("At most {n} `.` delimiters."));
    }
    if let Some(v) = &d.one_of {
        let vals: Vec<String> = v.iter().map(|x| format!("`{}`", value_text(x))).collect();
        notes.push(format!("One of {}.", vals.join(", ")));
    }
    if let Some(p) = &d.pattern {
        notes.push(format!("Pattern: `{p}`."));
    }
    if let Some(v) = &d.default {
        notes.push(format!("Server default: `{}`.", value_text(v)));
    }
    notes
}

#[allow(clippy::too_many_arguments)]
fn build_action(
    spec: &Spec,
    a: &spec::Action,
    at: &Location,
    ids: &BTreeSet<String>,
    defaults: &BTreeMap<String, String>,
    enums: &mut BTreeMap<String, (EnumModel, Vec<String>, Location)>,
    l: &mut Lints,
) -> ActionModel {
    lint::check_type_name(&a.name, &at.join("name"), l);
    lint::check_doc(&a.doc, &at.join("doc"), l);
    if !GROUPS.contains(&a.group.as_str()) {
        l.push(
            at.join("group"),
            format!("unknown group `{}` (one of {})", a.group, GROUPS.join(", ")),
        );
    }
    let spec_mod = a.name.to_snake_case();
    let mut params = Vec::new();
    let mut wires: BTreeMap<String, usize> = BTreeMap::new();
    let mut fields: BTreeMap<String, (usize, String)> = BTreeMap::new();
    let mut resolved_all: Vec<Resolved> = Vec::new();
    for (i, u) in a.params.iter().enumerate() {
        let pat = at.join("params").join(format!("[{i}]"));
        let Some(r) = resolve_param(spec, u, &pat, l) else {
            continue;
        };
        if let Some(j) = wires.insert(r.def.wire.clone(), i) {
            l.push(
                pat.clone(),
                format!(
                    "duplicate wire name `{}` (also at $.params[{j}])",
                    r.def.wire
                ),
            );
        }
        let field = r.def.wire.to_snake_case();
        if let Some((j, other)) = fields.insert(field.clone(), (i, r.def.wire.clone())) {
            if other != r.def.wire {
                l.push(pat.clone(), format!("`{}` collides with `{other}` at $.params[{j}] after case conversion (`{field}`)", r.def.wire));
            }
        }
        lint::check_field_name(&field, &pat, l);
        if u.reference.is_none() || overrides_anything(u) {
            lint::check_param(&r.def, &pat, PARAM_TYPES, l);
        }
        if r.def.ty == "json" {
            match &r.def.shape {
                None => l.push(pat.clone(), "a `json` parameter needs `shape`".into()),
                Some(s) if !spec.attributes.shapes.contains_key(s) => {
                    l.push(pat.join("shape"), format!("unknown shape `{s}`"))
                }
                _ => {}
            }
        }
        params.push(build_param(spec, &r, &spec_mod, defaults, ids, enums, l));
        resolved_all.push(r);
    }

    let mut rules = Vec::new();
    let mut rule_facts = Vec::new();
    let mut state_rules = Vec::new();
    for (i, r) in a.rules.iter().enumerate() {
        let rat = at.join("rules").join(format!("[{i}]"));
        if !ids.contains(&r.error) {
            l.push(rat.join("error"), format!("unknown error id `{}`", r.error));
        }
        match r.kind.as_str() {
            "le" | "lt" => {
                let (Some(left), Some(right)) = (&r.left, &r.right) else {
                    l.push(
                        rat.clone(),
                        format!("rule `{}` needs `left` and `right`", r.kind),
                    );
                    continue;
                };
                let le = operand_expr(spec, &resolved_all, left, &rat.join("left"), l);
                let re = operand_expr(spec, &resolved_all, right, &rat.join("right"), l);
                rule_facts.push(RuleFacts {
                    kind: r.kind.clone(),
                    operands: vec![left.clone(), right.clone()],
                    error: r.error.clone(),
                });
                rules.push(format!(
                    "check_order({}, {le}, {}, {re}, {}, ErrorId::{}, &mut v);",
                    lit(left),
                    lit(right),
                    r.kind == "lt",
                    r.error
                ));
            }
            "requires" => {
                let (Some(iff), Some(then)) = (&r.if_, &r.then) else {
                    l.push(rat.clone(), "rule `requires` needs `if` and `then`".into());
                    continue;
                };
                let ie = operand_expr(spec, &resolved_all, iff, &rat.join("if"), l);
                let te = operand_expr(spec, &resolved_all, then, &rat.join("then"), l);
                rule_facts.push(RuleFacts {
                    kind: r.kind.clone(),
                    operands: vec![iff.clone(), then.clone()],
                    error: r.error.clone(),
                });
                rules.push(format!(
                    "check_requires({}, {ie}.is_some(), {}, {te}.is_some(), ErrorId::{}, &mut v);",
                    lit(iff),
                    lit(then),
                    r.error
                ));
            }
            "state" => match &r.doc {
                Some(d) if !d.trim().is_empty() => {
                    state_rules.push(format!("- {} (`{}`)", d.trim(), r.error))
                }
                _ => l.push(rat.join("doc"), "a `state` rule needs a doc".into()),
            },
            other => l.push(
                rat.join("kind"),
                format!("unknown rule kind `{other}` (le, lt, requires, state)"),
            ),
        }
    }

    for (i, e) in a.errors.iter().enumerate() {
        if !ids.contains(e) {
            l.push(
                at.join("errors").join(format!("[{i}]")),
                format!("unknown error id `{e}`"),
            );
        }
    }

    let output = format!("{}Output", a.name);
    let output_struct = build_struct(
        spec,
        &output,
        &format!(
            "The answer to `{}` (the fields at the top level of the JSON envelope).",
            a.name
        ),
        &a.response,
        &BTreeMap::new(),
        false,
        &at.join("response"),
        ids,
        defaults,
        l,
    );

    let find = |wire: &str| {
        params
            .iter()
            .find(|p| p.wire_lit == lit(wire))
            .map(|p| p.field.clone())
    };
    let long_poll_expr = if a.long_polling {
        match find("pollingWaitSeconds") {
            Some(f) => format!("Some(self.{f})"),
            None => {
                l.push(
                    at.join("long_polling"),
                    "a long-polling action needs a `pollingWaitSeconds` parameter".into(),
                );
                "None".into()
            }
        }
    } else {
        "None".into()
    };
    let target_expr = ["queueName", "deadLetterQueueName", "topicName"]
        .iter()
        .find_map(|w| find(w))
        .map_or("None".to_owned(), |f| format!("self.{f}.as_deref()"));

    let paginated = a.paginated.as_ref().and_then(|p| {
        let pat = at.join("paginated");
        let offset_field = find(&p.offset);
        let limit_field = find(&p.limit);
        let total = output_struct.fields.iter().find(|f| f.key_lit == lit(&p.total));
        let items = a.response.iter().find(|f| f.key.as_deref() == Some(p.items.as_str()));
        match (offset_field, limit_field, total, items) {
            (Some(o), Some(li), Some(t), Some(it)) => {
                let item_type = it.shape.clone().unwrap_or_default();
                let items_field = p.items.to_snake_case();
                let items_expr = if it.optional { format!("out.{items_field}.unwrap_or_default()") } else { format!("out.{items_field}") };
                Some(PaginatedModel { item_type, offset_field: o, limit_field: li, total_field: t.field.clone(), items_field, items_expr })
            }
            _ => {
                l.push(pat, "pagination keys must name an offset and a limit parameter and a total and an items response field".into());
                None
            }
        }
    });

    let mut doc = doc_lines(&a.doc);
    if !state_rules.is_empty() {
        doc.push(String::new());
        doc.push("Rules the server checks against its state:".into());
        doc.extend(state_rules.iter().cloned());
    }
    ActionModel {
        name: a.name.clone(),
        name_lit: lit(&a.name),
        snake: spec_mod.clone(),
        input: format!("{}Input", a.name),
        output,
        request: format!("{}Request", a.name),
        spec_mod,
        group: a.group.to_upper_camel_case(),
        idempotent: a.idempotent,
        long_polling: a.long_polling,
        long_poll_expr,
        target_expr,
        summary: doc.first().cloned().unwrap_or_default(),
        doc,
        params,
        rules,
        state_rules,
        output_struct,
        errors: a.errors.clone(),
        paginated,
        rule_facts,
    }
}

fn operand_expr(
    spec: &Spec,
    params: &[Resolved],
    path: &str,
    at: &Location,
    l: &mut Lints,
) -> String {
    let (head, member) = match path.split_once('.') {
        Some((h, m)) => (h, Some(m)),
        None => (path, None),
    };
    let Some(p) = params.iter().find(|p| p.def.wire == head) else {
        l.push(
            at.clone(),
            format!("`{head}` is not a parameter of this action"),
        );
        return "None::<i64>".into();
    };
    let field = head.to_snake_case();
    match member {
        None => {
            if p.def.ty != "int" {
                return format!("self.{field}.as_ref().map(|_| 0_i64)");
            }
            format!("self.{field}")
        }
        Some(m) => {
            let shape = p
                .def
                .shape
                .as_deref()
                .and_then(|s| spec.attributes.shapes.get(s));
            match shape.and_then(|s| s.fields.iter().find(|f| f.key.as_deref() == Some(m))) {
                Some(_) => format!(
                    "self.{field}.as_ref().and_then(|x| x.{})",
                    m.to_snake_case()
                ),
                None => {
                    l.push(
                        at.clone(),
                        format!("`{m}` is not a member of `{head}`'s shape"),
                    );
                    "None::<i64>".into()
                }
            }
        }
    }
}

fn build_param(
    spec: &Spec,
    r: &Resolved,
    spec_mod: &str,
    defaults: &BTreeMap<String, String>,
    ids: &BTreeSet<String>,
    enums: &mut BTreeMap<String, (EnumModel, Vec<String>, Location)>,
    l: &mut Lints,
) -> ParamModel {
    let d = &r.def;
    let field = d.wire.to_snake_case();
    let const_name = d.wire.to_shouty_snake_case();
    let spec_path = format!("crate::generated::constraints::{spec_mod}::{const_name}");
    let mock_path = format!("cmq_sdk::generated::constraints::{spec_mod}::{const_name}");
    let expr = spec_expr(&d.wire, d, r.required, defaults, ids, spec, &r.at, l);
    let mut doc = doc_lines(&d.doc);
    doc.push(String::new());
    doc.extend(param_notes(d, r.required));
    let is_string_enum = d.ty == "string"
        && d.one_of
            .as_ref()
            .is_some_and(|v| v.iter().all(Value::is_string));
    let (rust_type, arg_type, conv, check, encode, decode) = match d.ty.as_str() {
        "int" => (
            "i64".to_owned(),
            "i64".to_owned(),
            "v".to_owned(),
            format!("check_int(&{spec_path}, self.{field}, &mut v);"),
            format!(
                "if let Some(x) = self.{field} {{ out.push_int({}, x); }}",
                lit(&d.wire)
            ),
            format!("p.int(&{mock_path}, errs)"),
        ),
        "string_list" => (
            "Vec<String>".to_owned(),
            "impl IntoIterator<Item = impl Into<String>>".to_owned(),
            "v.into_iter().map(Into::into).collect()".to_owned(),
            format!("check_list(&{spec_path}, self.{field}.as_deref(), &mut v);"),
            format!(
                "if let Some(x) = &self.{field} {{ out.push_list({}, x); }}",
                lit(&d.wire)
            ),
            format!("p.list(&{mock_path}, errs)"),
        ),
        "json" => {
            let shape = d.shape.clone().unwrap_or_default();
            (
                shape.clone(),
                shape.clone(),
                "v".to_owned(),
                format!(
                    "check_json_present(&{spec_path}, self.{field}.as_ref(), &mut v); if let Some(x) = &self.{field} {{ x.validate_into(&mut v); }}"
                ),
                format!(
                    "if let Some(x) = &self.{field} {{ out.push_json({}, x); }}",
                    lit(&d.wire)
                ),
                format!("p.json::<{shape}>(&{mock_path}, errs)"),
            )
        }
        _ if is_string_enum => {
            let name = d.wire.to_upper_camel_case();
            let values: Vec<String> = d.one_of.iter().flatten().map(value_text).collect();
            register_enum(enums, &name, d, &values, &r.at, l);
            (
                name.clone(),
                format!("impl Into<{name}>"),
                "v.into()".to_owned(),
                format!(
                    "check_string(&{spec_path}, self.{field}.as_ref().map({name}::as_str), &mut v);"
                ),
                format!(
                    "if let Some(x) = &self.{field} {{ out.push_str({}, x.as_str()); }}",
                    lit(&d.wire)
                ),
                format!("p.string(&{mock_path}, errs).map({name}::from)"),
            )
        }
        _ => (
            "String".to_owned(),
            "impl Into<String>".to_owned(),
            "v.into()".to_owned(),
            format!("check_string(&{spec_path}, self.{field}.as_deref(), &mut v);"),
            format!(
                "if let Some(x) = &self.{field} {{ out.push_str({}, x); }}",
                lit(&d.wire)
            ),
            format!("p.string(&{mock_path}, errs)"),
        ),
    };
    ParamModel {
        wire_lit: lit(&d.wire),
        set_field: format!("set_{field}"),
        field,
        rust_type,
        arg_type,
        conv,
        spec: SpecConst {
            const_name,
            expr,
            doc: format!("Constraints of `{}`.", d.wire),
        },
        check,
        encode,
        decode,
        doc,
        required: r.required,
        facts: param_facts(d, r.required, defaults),
    }
}

fn register_enum(
    enums: &mut BTreeMap<String, (EnumModel, Vec<String>, Location)>,
    name: &str,
    d: &spec::Param,
    values: &[String],
    at: &Location,
    l: &mut Lints,
) {
    if let Some((_, prev, prev_at)) = enums.get(name) {
        if prev != values {
            l.push(
                at.join("enum"),
                format!("enum `{name}` has other values at {prev_at}"),
            );
        }
        return;
    }
    let mut seen = BTreeSet::new();
    let variants = values
        .iter()
        .map(|v| {
            let variant = v.to_lowercase().to_upper_camel_case();
            if !seen.insert(variant.clone()) {
                l.push(
                    at.join("enum"),
                    format!("enum values of `{name}` collide after case conversion (`{variant}`)"),
                );
            }
            EnumVariant {
                variant,
                wire_lit: lit(v),
                doc: format!("`{v}`"),
            }
        })
        .collect();
    let mut doc = doc_lines(&d.doc);
    doc.push(String::new());
    doc.push("Values the spec does not know are kept in `Other`.".into());
    enums.insert(
        name.to_owned(),
        (
            EnumModel {
                name: name.to_owned(),
                doc,
                variants,
            },
            values.to_vec(),
            at.clone(),
        ),
    );
}

fn build_shapes(
    spec: &Spec,
    validated: &BTreeSet<String>,
    ids: &BTreeSet<String>,
    defaults: &BTreeMap<String, String>,
    l: &mut Lints,
) -> Vec<StructModel> {
    spec.attributes
        .shapes
        .iter()
        .map(|(id, s)| {
            let at = Location::new("attributes.json", format!("$.shapes.{id}"));
            lint::check_type_name(id, &at, l);
            lint::check_doc(&s.doc, &at.join("doc"), l);
            build_struct(
                spec,
                id,
                &s.doc,
                &s.fields,
                &s.errors,
                validated.contains(id),
                &at.join("fields"),
                ids,
                defaults,
                l,
            )
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn build_struct(
    spec: &Spec,
    name: &str,
    doc: &str,
    fields: &[spec::Field],
    shape_errors: &BTreeMap<String, String>,
    validated: bool,
    at: &Location,
    ids: &BTreeSet<String>,
    defaults: &BTreeMap<String, String>,
    l: &mut Lints,
) -> StructModel {
    let mut out = Vec::new();
    let mut checks = Vec::new();
    let mut specs = Vec::new();
    let mut member_facts = Vec::new();
    let mut member_decodes: Vec<String> = Vec::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut keys: BTreeMap<String, usize> = BTreeMap::new();
    for (i, f) in fields.iter().enumerate() {
        let fat = at.join(format!("[{i}]"));
        let base = match &f.reference {
            Some(r) => match spec.attributes.params.get(r) {
                Some(p) => Some(p),
                None => {
                    l.push(
                        fat.join("ref"),
                        format!("unknown parameter reference `{r}`"),
                    );
                    continue;
                }
            },
            None => None,
        };
        let key = f
            .key
            .clone()
            .or_else(|| base.map(|b| b.wire.clone()))
            .unwrap_or_default();
        if key.is_empty() {
            l.push(fat.clone(), "a field needs `key` or `ref`".into());
            continue;
        }
        let ty =
            f.ty.clone()
                .or_else(|| base.map(|b| b.ty.clone()))
                .unwrap_or_default();
        if !FIELD_TYPES.contains(&ty.as_str()) {
            l.push(
                fat.join("type"),
                format!(
                    "unknown field type `{ty}` (one of {})",
                    FIELD_TYPES.join(", ")
                ),
            );
            continue;
        }
        let fdoc = f
            .doc
            .clone()
            .or_else(|| base.map(|b| b.doc.clone()))
            .unwrap_or_default();
        lint::check_doc(&fdoc, &fat.join("doc"), l);
        for k in std::iter::once(&key).chain(f.aliases.iter()) {
            if let Some(j) = keys.insert(k.clone(), i) {
                l.push(fat.clone(), format!("duplicate key `{k}` (also at [{j}])"));
            }
        }
        let field = key.to_snake_case();
        lint::check_field_name(&field, &fat, l);
        if let Some(j) = seen.insert(field.clone(), i) {
            l.push(
                fat.join("key"),
                format!("`{key}` collides with [{j}] after case conversion (`{field}`)"),
            );
        }
        let shape = f
            .shape
            .clone()
            .or_else(|| base.and_then(|b| b.shape.clone()));
        let inner = match ty.as_str() {
            "int" => "i64".to_owned(),
            "string" => "String".to_owned(),
            "string_list" => "Vec<String>".to_owned(),
            other => {
                let Some(s) = shape.clone() else {
                    l.push(fat.clone(), format!("a `{other}` field needs `shape`"));
                    continue;
                };
                if !spec.attributes.shapes.contains_key(&s) {
                    l.push(fat.join("shape"), format!("unknown shape `{s}`"));
                }
                if other == "object_list" {
                    format!("Vec<{s}>")
                } else {
                    s
                }
            }
        };
        let optional = f.optional || validated;
        let rust_type = if optional {
            format!("Option<{inner}>")
        } else {
            inner.clone()
        };
        // A single JSON object may also arrive as a JSON-encoded string (ref §14.4).
        let attr = if ty == "object" || ty == "json" {
            ", deserialize_with = \"crate::operation::object_or_json_string\"".to_owned()
        } else {
            String::new()
        };
        let mut raw_keys = vec![RawKey {
            raw_field: format!("k_{field}"),
            key_lit: lit(&key),
            attr: attr.clone(),
        }];
        for (j, a) in f.aliases.iter().enumerate() {
            raw_keys.push(RawKey {
                raw_field: format!("k_{field}_alias{j}"),
                key_lit: lit(a),
                attr: attr.clone(),
            });
        }
        let chain: Vec<String> = raw_keys
            .iter()
            .skip(1)
            .map(|k| format!(".or(raw.{})", k.raw_field))
            .collect();
        let from_raw = if optional {
            format!("raw.k_{field}{}", chain.join(""))
        } else {
            format!(
                "raw.k_{field}{}.ok_or_else(|| D::Error::missing_field({}))?",
                chain.join(""),
                lit(&key)
            )
        };
        let mut emit_keys = vec![lit(&key)];
        if f.emit_aliases {
            emit_keys.extend(f.aliases.iter().map(|a| lit(a)));
        }
        let write = emit_keys
            .iter()
            .map(|k| {
                if optional {
                    format!("if let Some(x) = &self.{field} {{ m.serialize_entry({k}, x)?; }}")
                } else {
                    format!("m.serialize_entry({k}, &self.{field})?;")
                }
            })
            .collect::<Vec<_>>()
            .join(" ");
        let mut fdoc_lines = doc_lines(&fdoc);
        fdoc_lines.push(String::new());
        let alias_note = if f.aliases.is_empty() {
            String::new()
        } else {
            format!(
                " (also read from {})",
                f.aliases
                    .iter()
                    .map(|a| format!("`{a}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        fdoc_lines.push(format!(
            "JSON key `{key}`{alias_note}{}.",
            if f.optional { "; may be absent" } else { "" }
        ));

        if validated {
            let p = spec::Param {
                wire: format!("{}.{}", name.to_lower_camel(), key),
                ty: if ty == "string_list" {
                    "string_list".into()
                } else {
                    ty.clone()
                },
                doc: fdoc.clone(),
                min: f.min,
                max: f.max,
                one_of: f.one_of.clone(),
                pattern: f.pattern.clone(),
                max_len: f.max_len,
                ..spec::Param::default()
            };
            let const_name = key.to_shouty_snake_case();
            let mut p2 = p.clone();
            p2.errors = shape_errors.clone();
            p2.errors.extend(f.errors.clone());
            let mut facts = param_facts(&p2, f.required, defaults);
            facts.wire = key.clone();
            facts.required_if = f
                .required_if
                .as_ref()
                .map(|ri| (ri.field.clone(), value_text(&ri.equals)));
            member_facts.push(facts);
            let expr = spec_expr(&p2.wire, &p2, f.required, defaults, ids, spec, &fat, l);
            let spath = format!("{}::{const_name}", name.to_snake_case());
            let (stmt, decode) = match ty.as_str() {
                "int" => (
                    format!("check_int(&{spath}, self.{field}, out);"),
                    format!("{field}: json_int(obj, &{spath}, out),"),
                ),
                "string" => (
                    format!("check_string(&{spath}, self.{field}.as_deref(), out);"),
                    format!("{field}: json_string(obj, &{spath}, out),"),
                ),
                other => {
                    l.push(fat.join("type"), format!("a member of a shape used by a `json` parameter must be `int` or `string`, not `{other}`"));
                    (String::new(), format!("{field}: None,"))
                }
            };
            member_decodes.push(decode);
            checks.push(stmt);
            if let Some(ri) = &f.required_if {
                let other = ri.field.to_snake_case();
                let val = value_text(&ri.equals);
                checks.push(format!(
                    "check_required_when(&{spath}, {}, self.{other}.map(|x| x.to_string()).as_deref() == Some({}), self.{field}.is_some(), out);",
                    lit(&format!("{} is {val}", ri.field)),
                    lit(&val)
                ));
            }
            specs.push(SpecConst {
                const_name,
                expr,
                doc: format!("Constraints of member `{key}`."),
            });
        }
        out.push(FieldModel {
            field,
            raw_type: format!("Option<{inner}>"),
            rust_type,
            key_lit: lit(&key),
            raw_keys,
            from_raw,
            write,
            doc: fdoc_lines,
        });
    }
    StructModel {
        name: name.to_owned(),
        raw_name: format!("{name}Raw"),
        mod_name: name.to_snake_case(),
        doc: doc_lines(doc),
        fields: out,
        checks: checks.into_iter().filter(|c| !c.is_empty()).collect(),
        specs,
        validated,
        member_facts,
        member_decodes,
    }
}

trait LowerCamel {
    fn to_lower_camel(&self) -> String;
}

impl LowerCamel for str {
    fn to_lower_camel(&self) -> String {
        heck::ToLowerCamelCase::to_lower_camel_case(self)
    }
}

impl Lints {
    /// Records a finding.
    pub fn push(&mut self, at: Location, message: String) {
        self.findings.push(Finding { at, message });
    }
}
