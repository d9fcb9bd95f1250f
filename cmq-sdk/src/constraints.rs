//! The constraint table's types and the checks that read it.
//!
//! The generator writes one [`ParamSpec`] per parameter of every action (in
//! `generated/constraints.rs` for API 2.0 and `generated/v3/constraints.rs` for API 3.0, straight
//! from the spec). The SDK validates requests with these checks before sending, and `cmq-mock`
//! validates what it receives with the very same table and checks, so client and server can
//! never disagree about a range.
//!
//! The types are generic over the error table of the API (`E`): [`ErrorId`] for API 2.0 (the
//! default, so `ParamSpec` means `ParamSpec<ErrorId>`), `Api3ErrorId` for API 3.0.

use std::fmt;

use crate::generated::errors::ErrorId;

/// The error table of an API: what a violation of its constraints answers with.
pub trait SpecError: Copy + fmt::Debug + PartialEq + Eq + Send + Sync + 'static {
    /// How the API compares enum values on the wire.
    const ENUM_CASE: EnumCase;
}

impl SpecError for ErrorId {
    const ENUM_CASE: EnumCase = crate::generated::constraints::ENUM_CASE;
}

/// A value of the spec: a default or an allowed value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scalar {
    /// An integer.
    Int(i64),
    /// A text.
    Text(&'static str),
}

impl Scalar {
    /// The integer, if it is one.
    pub const fn as_int(self) -> Option<i64> {
        match self {
            Scalar::Int(i) => Some(i),
            Scalar::Text(_) => None,
        }
    }

    /// The text, if it is one.
    pub const fn as_text(self) -> Option<&'static str> {
        match self {
            Scalar::Int(_) => None,
            Scalar::Text(t) => Some(t),
        }
    }
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scalar::Int(i) => write!(f, "{i}"),
            Scalar::Text(t) => f.write_str(t),
        }
    }
}

/// How enum values compare on the wire (the spec's `enum_case`, generated as
/// [`ENUM_CASE`](crate::generated::constraints::ENUM_CASE)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EnumCase {
    /// Exactly as listed.
    Exact,
    /// Ignoring ASCII case.
    AsciiInsensitive,
}

impl EnumCase {
    /// True when wire text `value` stands for the listed `allowed`.
    pub fn matches(self, value: &str, allowed: &str) -> bool {
        match self {
            EnumCase::Exact => value == allowed,
            EnumCase::AsciiInsensitive => value.eq_ignore_ascii_case(allowed),
        }
    }
}

/// How a list action pages: its parameters and response keys, and the offsets and limits the
/// server assumes and accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Paging {
    /// The offset parameter.
    pub offset: &'static str,
    /// The limit parameter.
    pub limit: &'static str,
    /// The response key of the total count.
    pub total: &'static str,
    /// The response key of the page's items.
    pub items: &'static str,
    /// The offset the server assumes when none is sent.
    pub default_offset: i64,
    /// The largest offset accepted, if bounded.
    pub max_offset: Option<i64>,
    /// The page size the server assumes when no limit is sent.
    pub default_limit: i64,
    /// The smallest limit accepted, if bounded.
    pub min_limit: Option<i64>,
    /// The largest page one request may ask for.
    pub max_limit: i64,
}

/// How a parameter travels on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamKind {
    /// A decimal integer.
    Int,
    /// A string.
    String,
    /// A list sent as `name.0`, `name.1`, … or `name.1`, `name.2`, …
    StringList,
    /// A JSON document in one string parameter.
    Json,
    /// A JSON boolean (API 3.0).
    Bool,
    /// A JSON object (API 3.0).
    Object,
    /// A JSON array of objects (API 3.0).
    ObjectList,
}

/// The unit a length bound counts in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LenUnit {
    /// Unicode scalar values.
    Chars,
    /// UTF-8 bytes.
    Bytes,
}

/// A character pattern: which characters may start a value, which may follow, which never appear.
/// An empty class allows every character.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CharPattern {
    /// The spec's id of the pattern (e.g. `name`).
    pub id: &'static str,
    /// Inclusive character ranges allowed for the first character.
    pub first: &'static [(char, char)],
    /// Inclusive character ranges allowed after the first character.
    pub rest: &'static [(char, char)],
    /// Characters never allowed anywhere.
    pub forbid: &'static [char],
}

impl CharPattern {
    /// True when `value` follows the pattern (the empty string does).
    pub fn matches(&self, value: &str) -> bool {
        let in_class = |c: char, class: &[(char, char)]| {
            class.is_empty() || class.iter().any(|&(lo, hi)| lo <= c && c <= hi)
        };
        let mut chars = value.chars();
        if let Some(c) = chars.next() {
            if self.forbid.contains(&c) || !in_class(c, self.first) {
                return false;
            }
        }
        chars.all(|c| !self.forbid.contains(&c) && in_class(c, self.rest))
    }
}

/// What kind of rule a violation broke.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ViolationKind {
    /// A required parameter is missing.
    Missing,
    /// The value has the wrong type (e.g. not an integer).
    Type,
    /// An integer lies outside its range.
    Range,
    /// A string is too short (or too long, for a parameter whose spec names no error of its
    /// own for that: see [`ViolationKind::TooLong`]).
    Length,
    /// A string breaks its character pattern.
    Pattern,
    /// A value is not one of the allowed values.
    Enum,
    /// A string holds too many `.` delimiters.
    Dots,
    /// A list holds too many or too few items.
    Items,
    /// List indices are not contiguous or do not start at 0 or 1.
    Contiguous,
    /// A scalar parameter was sent as a list (`name.n`).
    NotRepeatable,
    /// A JSON parameter is not valid JSON or lacks a member.
    Json,
    /// A cross-field rule is broken.
    Rule,
    /// A parameter the action does not define (API 3.0 refuses it).
    Unknown,
    /// A string is longer than its maximum length (the same constraint as
    /// [`ViolationKind::Length`], with its own error: a too large message body answers
    /// "message too large", not "message body can't be empty").
    TooLong,
}

/// For each kind of violation, the error a server answers with (decided by the spec).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ViolationErrors<E = ErrorId> {
    /// For [`ViolationKind::Missing`].
    pub missing: E,
    /// For [`ViolationKind::Type`].
    pub type_: E,
    /// For [`ViolationKind::Range`].
    pub range: E,
    /// For [`ViolationKind::Length`].
    pub length: E,
    /// For [`ViolationKind::Pattern`].
    pub pattern: E,
    /// For [`ViolationKind::Enum`].
    pub enum_: E,
    /// For [`ViolationKind::Dots`].
    pub dots: E,
    /// For [`ViolationKind::Items`].
    pub items: E,
    /// For [`ViolationKind::Contiguous`].
    pub contiguous: E,
    /// For [`ViolationKind::NotRepeatable`].
    pub not_repeatable: E,
    /// For [`ViolationKind::Json`].
    pub json: E,
    /// For [`ViolationKind::TooLong`] (the `length` error unless the spec names another).
    pub too_long: E,
}

impl<E: Copy> ViolationErrors<E> {
    /// The error for `kind` ([`ViolationKind::Rule`] errors are carried by the rule itself; an
    /// [`ViolationKind::Unknown`] parameter's by the protocol).
    pub fn for_kind(&self, kind: ViolationKind) -> E {
        match kind {
            ViolationKind::Unknown => self.type_,
            ViolationKind::Missing => self.missing,
            ViolationKind::Type => self.type_,
            ViolationKind::Range => self.range,
            ViolationKind::Length => self.length,
            ViolationKind::Pattern => self.pattern,
            ViolationKind::Enum => self.enum_,
            ViolationKind::Dots => self.dots,
            ViolationKind::Items => self.items,
            ViolationKind::Contiguous => self.contiguous,
            ViolationKind::NotRepeatable => self.not_repeatable,
            ViolationKind::Json | ViolationKind::Rule => self.json,
            ViolationKind::TooLong => self.too_long,
        }
    }
}

/// Every constraint on one parameter of one action, as the spec states it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ParamSpec<E = ErrorId> {
    /// The wire name (`queueName`; list items travel as `queueName.n`).
    pub wire: &'static str,
    /// How the value travels.
    pub kind: ParamKind,
    /// Whether the action requires it.
    pub required: bool,
    /// Inclusive lower bound for integers.
    pub min: Option<i64>,
    /// Inclusive upper bound for integers.
    pub max: Option<i64>,
    /// What the server assumes when the parameter is left out.
    pub default: Option<Scalar>,
    /// Inclusive lower length bound for strings (per item for lists).
    pub min_len: Option<usize>,
    /// Inclusive upper length bound for strings (per item for lists).
    pub max_len: Option<usize>,
    /// The unit of the length bounds.
    pub len_unit: LenUnit,
    /// The character pattern, if any.
    pub pattern: Option<CharPattern>,
    /// The allowed values (empty: any); texts compare by
    /// [`ENUM_CASE`](crate::generated::constraints::ENUM_CASE).
    pub one_of: &'static [Scalar],
    /// The most `.` characters a value (or item) may hold.
    pub max_dots: Option<usize>,
    /// The fewest list items.
    pub min_items: Option<usize>,
    /// The most list items.
    pub max_items: Option<usize>,
    /// The error for each kind of violation.
    pub errors: ViolationErrors<E>,
}

/// One broken constraint: which parameter, which rule, the offending value, and the error a CMQ
/// server answers with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation<E = ErrorId> {
    /// The wire name of the parameter (`msgBody`, or `msgBody.3` for one list item).
    pub param: String,
    /// The kind of rule broken.
    pub kind: ViolationKind,
    /// The rule, in words (`between 0 and 3600`).
    pub constraint: String,
    /// The offending value, shortened to 64 characters (`None` when missing).
    pub value: Option<String>,
    /// The error a server answers with.
    pub error: E,
}

impl<E> fmt::Display for Violation<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: must be {}", self.param, self.constraint)?;
        if let Some(v) = &self.value {
            write!(f, " (got {v:?})")?;
        }
        Ok(())
    }
}

/// Every violation found in one request, in parameter order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violations<E = ErrorId>(pub Vec<Violation<E>>);

impl<E> Violations<E> {
    /// `Ok(())` when empty, else `Err(self)`.
    pub fn into_result(v: Vec<Violation<E>>) -> Result<(), Violations<E>> {
        if v.is_empty() {
            Ok(())
        } else {
            Err(Violations(v))
        }
    }

    /// The violations, in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Violation<E>> {
        self.0.iter()
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<E> fmt::Display for Violations<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} invalid parameter(s): ", self.0.len())?;
        for (i, v) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{v}")?;
        }
        Ok(())
    }
}

impl<E: fmt::Debug> std::error::Error for Violations<E> {}

fn shorten(s: &str) -> String {
    if s.chars().count() <= 64 {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(61).collect();
        out.push_str("...");
        out
    }
}

fn push<E: Copy>(
    out: &mut Vec<Violation<E>>,
    spec: &ParamSpec<E>,
    param: String,
    kind: ViolationKind,
    constraint: String,
    value: Option<String>,
) {
    out.push(Violation {
        param,
        kind,
        constraint,
        value,
        error: spec.errors.for_kind(kind),
    });
}

/// Reports a missing required parameter.
pub fn check_missing<E: Copy>(spec: &ParamSpec<E>, out: &mut Vec<Violation<E>>) {
    check_missing_at(spec, spec.wire, out);
}

/// Reports a missing required parameter under the name `name` (a member's path such as
/// `Tags.0.TagKey`).
pub fn check_missing_at<E: Copy>(spec: &ParamSpec<E>, name: &str, out: &mut Vec<Violation<E>>) {
    if spec.required {
        push(
            out,
            spec,
            name.to_owned(),
            ViolationKind::Missing,
            "present (it is required)".into(),
            None,
        );
    }
}

/// Reports a missing required parameter of a type without other constraints (a boolean, an
/// object), under the name `name`.
pub fn check_present_at<E: Copy>(
    spec: &ParamSpec<E>,
    name: &str,
    present: bool,
    out: &mut Vec<Violation<E>>,
) {
    if !present {
        check_missing_at(spec, name, out);
    }
}

/// Checks an integer parameter (`None` = not sent).
pub fn check_int<E: Copy>(spec: &ParamSpec<E>, value: Option<i64>, out: &mut Vec<Violation<E>>) {
    check_int_at(spec, spec.wire, value, out);
}

/// Checks an integer parameter under the name `name`.
pub fn check_int_at<E: Copy>(
    spec: &ParamSpec<E>,
    name: &str,
    value: Option<i64>,
    out: &mut Vec<Violation<E>>,
) {
    let Some(v) = value else {
        return check_missing_at(spec, name, out);
    };
    let below = spec.min.is_some_and(|m| v < m);
    let above = spec.max.is_some_and(|m| v > m);
    if below || above {
        let constraint = match (spec.min, spec.max) {
            (Some(lo), Some(hi)) => format!("between {lo} and {hi}"),
            (Some(lo), None) => format!("at least {lo}"),
            (None, Some(hi)) => format!("at most {hi}"),
            (None, None) => String::new(),
        };
        let value = Some(v.to_string());
        push(
            out,
            spec,
            name.to_owned(),
            ViolationKind::Range,
            constraint,
            value,
        );
    }
    if !spec.one_of.is_empty() && !spec.one_of.contains(&Scalar::Int(v)) {
        let value = Some(v.to_string());
        push(
            out,
            spec,
            name.to_owned(),
            ViolationKind::Enum,
            one_of_text(spec),
            value,
        );
    }
}

fn one_of_text<E>(spec: &ParamSpec<E>) -> String {
    let values: Vec<String> = spec.one_of.iter().map(ToString::to_string).collect();
    format!("one of {}", values.join(", "))
}

/// True when text `v` is one of the spec's values (or when it lists none).
fn listed<E: SpecError>(spec: &ParamSpec<E>, v: &str) -> bool {
    spec.one_of.is_empty()
        || spec
            .one_of
            .iter()
            .any(|x| x.as_text().is_some_and(|t| E::ENUM_CASE.matches(v, t)))
}

fn check_text<E: SpecError>(
    spec: &ParamSpec<E>,
    param: &str,
    v: &str,
    out: &mut Vec<Violation<E>>,
) {
    let len = match spec.len_unit {
        LenUnit::Chars => v.chars().count(),
        LenUnit::Bytes => v.len(),
    };
    let unit = match spec.len_unit {
        LenUnit::Chars => "characters",
        LenUnit::Bytes => "bytes",
    };
    let short = spec.min_len.is_some_and(|m| len < m);
    let long = spec.max_len.is_some_and(|m| len > m);
    if short || long {
        let constraint = match (spec.min_len, spec.max_len) {
            (Some(lo), Some(hi)) => format!("{lo} to {hi} {unit} long (is {len})"),
            (Some(lo), None) => format!("at least {lo} {unit} long (is {len})"),
            (None, Some(hi)) => format!("at most {hi} {unit} long (is {len})"),
            (None, None) => String::new(),
        };
        let value = Some(shorten(v));
        let kind = if long {
            ViolationKind::TooLong
        } else {
            ViolationKind::Length
        };
        push(out, spec, param.to_owned(), kind, constraint, value);
    }
    if let Some(p) = &spec.pattern {
        if !v.is_empty() && !p.matches(v) {
            push(
                out,
                spec,
                param.to_owned(),
                ViolationKind::Pattern,
                format!("of the form `{}`", p.id),
                Some(shorten(v)),
            );
        }
    }
    if let Some(max) = spec.max_dots {
        let dots = v.bytes().filter(|&b| b == b'.').count();
        if dots > max {
            push(
                out,
                spec,
                param.to_owned(),
                ViolationKind::Dots,
                format!("at most {max} `.` delimiters (has {dots})"),
                Some(shorten(v)),
            );
        }
    }
    if !listed(spec, v) {
        let value = Some(shorten(v));
        push(
            out,
            spec,
            param.to_owned(),
            ViolationKind::Enum,
            one_of_text(spec),
            value,
        );
    }
}

/// Checks a string parameter (`None` = not sent).
pub fn check_string<E: SpecError>(
    spec: &ParamSpec<E>,
    value: Option<&str>,
    out: &mut Vec<Violation<E>>,
) {
    check_string_at(spec, spec.wire, value, out);
}

/// Checks a string parameter under the name `name`.
pub fn check_string_at<E: SpecError>(
    spec: &ParamSpec<E>,
    name: &str,
    value: Option<&str>,
    out: &mut Vec<Violation<E>>,
) {
    match value {
        None => check_missing_at(spec, name, out),
        Some(v) => check_text(spec, name, v, out),
    }
}

/// Checks a list parameter (`None` = not sent). Items are numbered from 1 in messages (the
/// first index API 2.0's SDKs send).
pub fn check_list<E: SpecError, S: AsRef<str>>(
    spec: &ParamSpec<E>,
    value: Option<&[S]>,
    out: &mut Vec<Violation<E>>,
) {
    check_list_at(spec, spec.wire, 1, value, out);
}

/// Checks a list parameter under the name `name`; item `i` is named `name.(base + i)` (API 3.0
/// numbers from 0, as its flattened names `Tags.0.TagKey` do).
pub fn check_list_at<E: SpecError, S: AsRef<str>>(
    spec: &ParamSpec<E>,
    name: &str,
    base: usize,
    value: Option<&[S]>,
    out: &mut Vec<Violation<E>>,
) {
    let Some(items) = value else {
        return check_missing_at(spec, name, out);
    };
    check_items_at(spec, name, items.len(), out);
    for (i, item) in items.iter().enumerate() {
        check_text(spec, &format!("{name}.{}", i + base), item.as_ref(), out);
    }
}

/// Checks the number of items of a list (of texts or objects) named `name`.
pub fn check_items_at<E: Copy>(
    spec: &ParamSpec<E>,
    name: &str,
    len: usize,
    out: &mut Vec<Violation<E>>,
) {
    let few = spec.min_items.is_some_and(|m| len < m);
    let many = spec.max_items.is_some_and(|m| len > m);
    if few || many {
        let constraint = match (spec.min_items, spec.max_items) {
            (Some(lo), Some(hi)) => format!("{lo} to {hi} items (has {len})"),
            (Some(lo), None) => format!("at least {lo} items (has {len})"),
            (None, Some(hi)) => format!("at most {hi} items (has {len})"),
            (None, None) => String::new(),
        };
        push(
            out,
            spec,
            name.to_owned(),
            ViolationKind::Items,
            constraint,
            None,
        );
    }
}

/// Checks the cross-field rule `left ≤ right` (or `<` when `strict`), when both are present.
pub fn check_order<E>(
    left_name: &str,
    left: Option<i64>,
    right_name: &str,
    right: Option<i64>,
    strict: bool,
    error: E,
    out: &mut Vec<Violation<E>>,
) {
    if let (Some(l), Some(r)) = (left, right) {
        let broken = if strict { l >= r } else { l > r };
        if broken {
            let op = if strict { "less than" } else { "at most" };
            out.push(Violation {
                param: left_name.to_owned(),
                kind: ViolationKind::Rule,
                constraint: format!("{op} {right_name} ({r})"),
                value: Some(l.to_string()),
                error,
            });
        }
    }
}

/// Checks the cross-field rule "when `if_name` is present, `then_name` must be too".
pub fn check_requires<E>(
    if_name: &str,
    if_present: bool,
    then_name: &str,
    then_present: bool,
    error: E,
    out: &mut Vec<Violation<E>>,
) {
    if if_present && !then_present {
        out.push(Violation {
            param: then_name.to_owned(),
            kind: ViolationKind::Rule,
            constraint: format!("present when {if_name} is given"),
            value: None,
            error,
        });
    }
}

/// Reports a missing required JSON parameter (its members are checked by the shape).
pub fn check_json_present<E: Copy, T>(
    spec: &ParamSpec<E>,
    value: Option<&T>,
    out: &mut Vec<Violation<E>>,
) {
    if value.is_none() {
        check_missing(spec, out);
    }
}

/// Reports a member that is required because another member has a given value.
pub fn check_required_when<E: Copy>(
    spec: &ParamSpec<E>,
    condition: &str,
    condition_holds: bool,
    present: bool,
    out: &mut Vec<Violation<E>>,
) {
    if condition_holds && !present {
        push(
            out,
            spec,
            spec.wire.to_owned(),
            ViolationKind::Missing,
            format!("present when {condition}"),
            None,
        );
    }
}

fn member_key<E>(spec: &ParamSpec<E>) -> &str {
    spec.wire.split_once('.').map_or(spec.wire, |(_, m)| m)
}

/// Reports that the JSON value of `name` has the wrong type (`want`: what it should be).
pub fn type_violation<E: Copy>(
    spec: &ParamSpec<E>,
    name: &str,
    want: &str,
    got: &serde_json::Value,
    out: &mut Vec<Violation<E>>,
) {
    let value = Some(shorten(&got.to_string()));
    push(
        out,
        spec,
        name.to_owned(),
        ViolationKind::Type,
        want.into(),
        value,
    );
}

/// Reads integer member `spec` (wire `shape.member`) of a JSON object; a value of another JSON
/// type is a [`ViolationKind::Type`] violation. `null` counts as absent.
pub fn json_int<E: Copy>(
    obj: &serde_json::Map<String, serde_json::Value>,
    spec: &ParamSpec<E>,
    out: &mut Vec<Violation<E>>,
) -> Option<i64> {
    match obj.get(member_key(spec)) {
        None | Some(serde_json::Value::Null) => None,
        Some(v) => match v.as_i64() {
            Some(n) => Some(n),
            None => {
                type_violation(spec, spec.wire, "an integer", v, out);
                None
            }
        },
    }
}

/// Reads string member `spec` of a JSON object; a value of another JSON type is a
/// [`ViolationKind::Type`] violation. `null` counts as absent.
pub fn json_string<E: Copy>(
    obj: &serde_json::Map<String, serde_json::Value>,
    spec: &ParamSpec<E>,
    out: &mut Vec<Violation<E>>,
) -> Option<String> {
    match obj.get(member_key(spec)) {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(v) => {
            type_violation(spec, spec.wire, "a string", v, out);
            None
        }
    }
}
