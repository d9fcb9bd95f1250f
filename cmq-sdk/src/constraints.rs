//! The constraint table's types and the checks that read it.
//!
//! The generator writes one [`ParamSpec`] per parameter of every action (in
//! `generated/constraints.rs`, straight from the spec). The SDK validates requests with these
//! checks before sending, and `cmq-mock` validates what it receives with the very same table and
//! checks, so client and server can never disagree about a range.

use std::fmt;

use crate::generated::errors::ErrorId;

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
    /// A string is longer than its maximum length (the same constraint as
    /// [`ViolationKind::Length`], with its own error: a too large message body answers
    /// "message too large", not "message body can't be empty").
    TooLong,
}

/// For each kind of violation, the error a server answers with (decided by the spec).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ViolationErrors {
    /// For [`ViolationKind::Missing`].
    pub missing: ErrorId,
    /// For [`ViolationKind::Type`].
    pub type_: ErrorId,
    /// For [`ViolationKind::Range`].
    pub range: ErrorId,
    /// For [`ViolationKind::Length`].
    pub length: ErrorId,
    /// For [`ViolationKind::Pattern`].
    pub pattern: ErrorId,
    /// For [`ViolationKind::Enum`].
    pub enum_: ErrorId,
    /// For [`ViolationKind::Dots`].
    pub dots: ErrorId,
    /// For [`ViolationKind::Items`].
    pub items: ErrorId,
    /// For [`ViolationKind::Contiguous`].
    pub contiguous: ErrorId,
    /// For [`ViolationKind::NotRepeatable`].
    pub not_repeatable: ErrorId,
    /// For [`ViolationKind::Json`].
    pub json: ErrorId,
    /// For [`ViolationKind::TooLong`] (the `length` error unless the spec names another).
    pub too_long: ErrorId,
}

impl ViolationErrors {
    /// The error for `kind` ([`ViolationKind::Rule`] errors are carried by the rule itself).
    pub fn for_kind(&self, kind: ViolationKind) -> ErrorId {
        match kind {
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
pub struct ParamSpec {
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
    pub errors: ViolationErrors,
}

/// One broken constraint: which parameter, which rule, the offending value, and the error a CMQ
/// server answers with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The wire name of the parameter (`msgBody`, or `msgBody.3` for one list item).
    pub param: String,
    /// The kind of rule broken.
    pub kind: ViolationKind,
    /// The rule, in words (`between 0 and 3600`).
    pub constraint: String,
    /// The offending value, shortened to 64 characters (`None` when missing).
    pub value: Option<String>,
    /// The error a server answers with.
    pub error: ErrorId,
}

impl fmt::Display for Violation {
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
pub struct Violations(pub Vec<Violation>);

impl Violations {
    /// `Ok(())` when empty, else `Err(self)`.
    pub fn into_result(v: Vec<Violation>) -> Result<(), Violations> {
        if v.is_empty() {
            Ok(())
        } else {
            Err(Violations(v))
        }
    }

    /// The violations, in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Violation> {
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

impl fmt::Display for Violations {
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

impl std::error::Error for Violations {}

fn shorten(s: &str) -> String {
    if s.chars().count() <= 64 {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(61).collect();
        out.push_str("...");
        out
    }
}

fn push(
    out: &mut Vec<Violation>,
    spec: &ParamSpec,
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
pub fn check_missing(spec: &ParamSpec, out: &mut Vec<Violation>) {
    if spec.required {
        push(
            out,
            spec,
            spec.wire.to_owned(),
            ViolationKind::Missing,
            "present (it is required)".into(),
            None,
        );
    }
}

/// Checks an integer parameter (`None` = not sent).
pub fn check_int(spec: &ParamSpec, value: Option<i64>, out: &mut Vec<Violation>) {
    let Some(v) = value else {
        return check_missing(spec, out);
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
        push(
            out,
            spec,
            spec.wire.to_owned(),
            ViolationKind::Range,
            constraint,
            Some(v.to_string()),
        );
    }
    if !spec.one_of.is_empty() && !spec.one_of.contains(&Scalar::Int(v)) {
        push(
            out,
            spec,
            spec.wire.to_owned(),
            ViolationKind::Enum,
            one_of_text(spec),
            Some(v.to_string()),
        );
    }
}

fn one_of_text(spec: &ParamSpec) -> String {
    let values: Vec<String> = spec.one_of.iter().map(ToString::to_string).collect();
    format!("one of {}", values.join(", "))
}

/// True when text `v` is one of the spec's values (or when it lists none).
fn listed(spec: &ParamSpec, v: &str) -> bool {
    let case = crate::generated::constraints::ENUM_CASE;
    spec.one_of.is_empty()
        || spec
            .one_of
            .iter()
            .any(|x| x.as_text().is_some_and(|t| case.matches(v, t)))
}

fn check_text(spec: &ParamSpec, param: &str, v: &str, out: &mut Vec<Violation>) {
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
        let kind = if long {
            ViolationKind::TooLong
        } else {
            ViolationKind::Length
        };
        push(
            out,
            spec,
            param.to_owned(),
            kind,
            constraint,
            Some(shorten(v)),
        );
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
        push(
            out,
            spec,
            param.to_owned(),
            ViolationKind::Enum,
            one_of_text(spec),
            Some(shorten(v)),
        );
    }
}

/// Checks a string parameter (`None` = not sent).
pub fn check_string(spec: &ParamSpec, value: Option<&str>, out: &mut Vec<Violation>) {
    match value {
        None => check_missing(spec, out),
        Some(v) => check_text(spec, spec.wire, v, out),
    }
}

/// Checks a list parameter (`None` = not sent). Items are numbered from 1 in messages.
pub fn check_list<S: AsRef<str>>(spec: &ParamSpec, value: Option<&[S]>, out: &mut Vec<Violation>) {
    let Some(items) = value else {
        return check_missing(spec, out);
    };
    let few = spec.min_items.is_some_and(|m| items.len() < m);
    let many = spec.max_items.is_some_and(|m| items.len() > m);
    if few || many {
        let constraint = match (spec.min_items, spec.max_items) {
            (Some(lo), Some(hi)) => format!("{lo} to {hi} items (has {})", items.len()),
            (Some(lo), None) => format!("at least {lo} items (has {})", items.len()),
            (None, Some(hi)) => format!("at most {hi} items (has {})", items.len()),
            (None, None) => String::new(),
        };
        push(
            out,
            spec,
            spec.wire.to_owned(),
            ViolationKind::Items,
            constraint,
            None,
        );
    }
    for (i, item) in items.iter().enumerate() {
        check_text(
            spec,
            &format!("{}.{}", spec.wire, i + 1),
            item.as_ref(),
            out,
        );
    }
}

/// Checks the cross-field rule `left ≤ right` (or `<` when `strict`), when both are present.
pub fn check_order(
    left_name: &str,
    left: Option<i64>,
    right_name: &str,
    right: Option<i64>,
    strict: bool,
    error: ErrorId,
    out: &mut Vec<Violation>,
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
pub fn check_requires(
    if_name: &str,
    if_present: bool,
    then_name: &str,
    then_present: bool,
    error: ErrorId,
    out: &mut Vec<Violation>,
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
pub fn check_json_present<T>(spec: &ParamSpec, value: Option<&T>, out: &mut Vec<Violation>) {
    if value.is_none() {
        check_missing(spec, out);
    }
}

/// Reports a member that is required because another member has a given value.
pub fn check_required_when(
    spec: &ParamSpec,
    condition: &str,
    condition_holds: bool,
    present: bool,
    out: &mut Vec<Violation>,
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

fn member_key(spec: &ParamSpec) -> &str {
    spec.wire.split_once('.').map_or(spec.wire, |(_, m)| m)
}

/// Reads integer member `spec` (wire `shape.member`) of a JSON object; a value of another JSON
/// type is a [`ViolationKind::Type`] violation. `null` counts as absent.
pub fn json_int(
    obj: &serde_json::Map<String, serde_json::Value>,
    spec: &ParamSpec,
    out: &mut Vec<Violation>,
) -> Option<i64> {
    match obj.get(member_key(spec)) {
        None | Some(serde_json::Value::Null) => None,
        Some(v) => match v.as_i64() {
            Some(n) => Some(n),
            None => {
                push(
                    out,
                    spec,
                    spec.wire.to_owned(),
                    ViolationKind::Type,
                    "an integer".into(),
                    Some(shorten(&v.to_string())),
                );
                None
            }
        },
    }
}

/// Reads string member `spec` of a JSON object; a value of another JSON type is a
/// [`ViolationKind::Type`] violation. `null` counts as absent.
pub fn json_string(
    obj: &serde_json::Map<String, serde_json::Value>,
    spec: &ParamSpec,
    out: &mut Vec<Violation>,
) -> Option<String> {
    match obj.get(member_key(spec)) {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(v) => {
            push(
                out,
                spec,
                spec.wire.to_owned(),
                ViolationKind::Type,
                "a string".into(),
                Some(shorten(&v.to_string())),
            );
            None
        }
    }
}
