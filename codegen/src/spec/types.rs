//! The closed vocabularies of the spec (parameter and field types, violation kinds, groups, …)
//! as enums: serde refuses any other spelling with the file and JSON path.

use std::fmt;

use serde::{Deserialize, Serialize};

/// How a request parameter travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamType {
    /// A decimal integer (a JSON number in a shape member).
    Int,
    /// A string.
    String,
    /// A list sent as `name.n`.
    StringList,
    /// A JSON document in one string parameter (needs a shape).
    Json,
    /// A JSON boolean (API 3.0).
    Bool,
    /// A JSON object (API 3.0; needs a shape).
    Object,
    /// A JSON array of objects (API 3.0; needs a shape).
    ObjectList,
}

impl ParamType {
    /// The spec's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ParamType::Int => "int",
            ParamType::String => "string",
            ParamType::StringList => "string_list",
            ParamType::Json => "json",
            ParamType::Bool => "bool",
            ParamType::Object => "object",
            ParamType::ObjectList => "object_list",
        }
    }

    /// True for the types whose values are JSON objects described by a shape.
    pub fn needs_shape(self) -> bool {
        matches!(
            self,
            ParamType::Json | ParamType::Object | ParamType::ObjectList
        )
    }

    /// True when an API of `style` can carry a parameter of this type.
    pub fn fits_style(self, style: Style) -> bool {
        match style {
            Style::Cmq => matches!(
                self,
                ParamType::Int | ParamType::String | ParamType::StringList | ParamType::Json
            ),
            Style::Tc3 => !matches!(self, ParamType::Json),
        }
    }
}

impl fmt::Display for ParamType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The type of a response field or shape member.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    /// A JSON number.
    Int,
    /// A JSON string.
    String,
    /// A JSON array of strings.
    StringList,
    /// A JSON object that may also arrive as a JSON-encoded string (needs a shape).
    Json,
    /// A JSON object (needs a shape).
    Object,
    /// A JSON array of objects (needs a shape).
    ObjectList,
    /// A JSON boolean.
    Bool,
}

impl FieldType {
    /// The spec's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::Int => "int",
            FieldType::String => "string",
            FieldType::StringList => "string_list",
            FieldType::Json => "json",
            FieldType::Object => "object",
            FieldType::ObjectList => "object_list",
            FieldType::Bool => "bool",
        }
    }

    /// The parameter type a value of this type travels as (`json` for an object).
    pub fn param_type(self) -> ParamType {
        match self {
            FieldType::Int => ParamType::Int,
            FieldType::String => ParamType::String,
            FieldType::StringList => ParamType::StringList,
            FieldType::Json => ParamType::Json,
            FieldType::Object => ParamType::Object,
            FieldType::ObjectList => ParamType::ObjectList,
            FieldType::Bool => ParamType::Bool,
        }
    }

    /// True for the types whose values are JSON objects described by a shape.
    pub fn needs_shape(self) -> bool {
        matches!(
            self,
            FieldType::Json | FieldType::Object | FieldType::ObjectList
        )
    }
}

impl From<ParamType> for FieldType {
    fn from(t: ParamType) -> Self {
        match t {
            ParamType::Int => FieldType::Int,
            ParamType::String => FieldType::String,
            ParamType::StringList => FieldType::StringList,
            ParamType::Json => FieldType::Json,
            ParamType::Bool => FieldType::Bool,
            ParamType::Object => FieldType::Object,
            ParamType::ObjectList => FieldType::ObjectList,
        }
    }
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The unit a length bound counts in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LenUnit {
    /// Unicode scalar values.
    #[default]
    Chars,
    /// UTF-8 bytes.
    Bytes,
}

/// A kind of violation of a parameter's constraints; each answers with an error of the spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ViolationKind {
    /// A required parameter is missing.
    Missing,
    /// Not of the parameter's type (e.g. not an integer).
    Type,
    /// An integer outside its range.
    Range,
    /// A text too short or too long. (For a text too long, [`ViolationKind::TooLong`]'s error
    /// when the spec names one.)
    Length,
    /// A text breaking its character pattern.
    Pattern,
    /// A value not among the allowed ones.
    Enum,
    /// Too many `.` delimiters.
    Dots,
    /// Too many or too few list items.
    Items,
    /// List indices with a gap or a wrong start.
    Contiguous,
    /// A scalar sent as a list.
    NotRepeatable,
    /// Not a JSON object.
    Json,
    /// A text longer than its maximum length: the same constraint as `length`, with an error of
    /// its own when the spec names one (a too large message body is not an empty one); without
    /// it, the `length` error.
    TooLong,
}

impl ViolationKind {
    /// Every kind, in the order of the runtime's `ViolationErrors`.
    pub const ALL: [ViolationKind; 12] = [
        ViolationKind::Missing,
        ViolationKind::Type,
        ViolationKind::Range,
        ViolationKind::Length,
        ViolationKind::Pattern,
        ViolationKind::Enum,
        ViolationKind::Dots,
        ViolationKind::Items,
        ViolationKind::Contiguous,
        ViolationKind::NotRepeatable,
        ViolationKind::Json,
        ViolationKind::TooLong,
    ];

    /// The spec's spelling (also the conformance corpus's constraint name).
    pub fn as_str(self) -> &'static str {
        match self {
            ViolationKind::Missing => "missing",
            ViolationKind::Type => "type",
            ViolationKind::Range => "range",
            ViolationKind::Length => "length",
            ViolationKind::Pattern => "pattern",
            ViolationKind::Enum => "enum",
            ViolationKind::Dots => "dots",
            ViolationKind::Items => "items",
            ViolationKind::Contiguous => "contiguous",
            ViolationKind::NotRepeatable => "not_repeatable",
            ViolationKind::Json => "json",
            ViolationKind::TooLong => "too_long",
        }
    }

    /// The constraint a violation of this kind breaks, as the conformance corpus names it:
    /// `too_long` breaks `length`.
    pub fn constraint(self) -> &'static str {
        match self {
            ViolationKind::TooLong => ViolationKind::Length.as_str(),
            other => other.as_str(),
        }
    }

    /// The kind whose error stands in when the spec names none for this one (`too_long` falls
    /// back to `length`).
    pub fn fallback(self) -> Option<ViolationKind> {
        match self {
            ViolationKind::TooLong => Some(ViolationKind::Length),
            _ => None,
        }
    }
}

impl fmt::Display for ViolationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an action works on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    /// Queue management.
    Queue,
    /// Queue messages.
    Message,
    /// Topic management and publishing.
    Topic,
    /// Subscriptions.
    Subscription,
    /// Route discovery.
    Route,
}

impl Group {
    /// The spec's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Group::Queue => "queue",
            Group::Message => "message",
            Group::Topic => "topic",
            Group::Subscription => "subscription",
            Group::Route => "route",
        }
    }
}

/// A scalar value of the spec: a default, an enum value, a `required_if` value.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Scalar {
    /// An integer.
    Int(i64),
    /// A text.
    Text(String),
}

impl Scalar {
    /// The value as wire text (`30`, `JSON`).
    pub fn text(&self) -> String {
        match self {
            Scalar::Int(i) => i.to_string(),
            Scalar::Text(s) => s.clone(),
        }
    }

    /// The integer, if it is one.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Scalar::Int(i) => Some(*i),
            Scalar::Text(_) => None,
        }
    }

    /// The text, if it is one.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Scalar::Int(_) => None,
            Scalar::Text(s) => Some(s),
        }
    }

    /// The value as JSON (`30`, `"JSON"`).
    pub fn json(&self) -> String {
        match self {
            Scalar::Int(i) => i.to_string(),
            Scalar::Text(s) => serde_json::Value::from(s.as_str()).to_string(),
        }
    }

    /// True when the value fits a parameter of type `ty`.
    pub fn fits(&self, ty: ParamType) -> bool {
        matches!(
            (self, ty),
            (Scalar::Int(_), ParamType::Int) | (Scalar::Text(_), ParamType::String)
        )
    }
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

/// How enum values are compared on the wire.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EnumCase {
    /// Exactly as listed.
    #[default]
    Exact,
    /// Ignoring ASCII case.
    AsciiInsensitive,
}

impl EnumCase {
    /// True when wire text `a` stands for listed value `b`.
    pub fn eq(self, a: &str, b: &str) -> bool {
        match self {
            EnumCase::Exact => a == b,
            EnumCase::AsciiInsensitive => a.eq_ignore_ascii_case(b),
        }
    }
}

/// What a service fact measures (and so its Rust type).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FactType {
    /// A number of things (`usize`).
    Count,
    /// A size in bytes (`usize`).
    Bytes,
    /// A duration in whole seconds (`Duration`).
    Seconds,
    /// A plain integer (`i64`).
    Int,
    /// Yes or no (`bool`).
    Bool,
    /// A text (`&str`).
    Text,
}

impl FactType {
    /// The spec's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            FactType::Count => "count",
            FactType::Bytes => "bytes",
            FactType::Seconds => "seconds",
            FactType::Int => "int",
            FactType::Bool => "bool",
            FactType::Text => "text",
        }
    }

    /// True when `v` is a value of this type (counts, sizes and durations are not negative).
    pub fn fits(self, v: &FactValue) -> bool {
        match (self, v) {
            (FactType::Count | FactType::Bytes | FactType::Seconds, FactValue::Int(i)) => *i >= 0,
            (FactType::Int, FactValue::Int(_)) => true,
            (FactType::Bool, FactValue::Bool(_)) => true,
            (FactType::Text, FactValue::Text(_)) => true,
            _ => false,
        }
    }
}

impl fmt::Display for FactType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The value of a service fact.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(untagged)]
pub enum FactValue {
    /// Yes or no.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A text.
    Text(String),
}

impl fmt::Display for FactValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FactValue::Bool(b) => write!(f, "{b}"),
            FactValue::Int(i) => write!(f, "{i}"),
            FactValue::Text(s) => write!(f, "{s:?}"),
        }
    }
}

/// How an API travels on the wire (`protocol.json` → `style`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Style {
    /// CMQ HTTP API 2.0: form-encoded `Action=…` parameters, lists as `name.n`, a v1 signature,
    /// numeric codes (the default when `style` is absent).
    #[default]
    Cmq,
    /// Tencent Cloud API 3.0: a JSON body, PascalCase keys, TC3-HMAC-SHA256, string codes.
    Tc3,
}

impl Style {
    /// The spec's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Style::Cmq => "cmq",
            Style::Tc3 => "tc3",
        }
    }

    /// The violation kinds a request of this style can break (each needs a default error).
    pub fn violation_kinds(self) -> &'static [ViolationKind] {
        use ViolationKind as K;
        match self {
            Style::Cmq => &ViolationKind::ALL,
            Style::Tc3 => &[
                K::Missing,
                K::Type,
                K::Range,
                K::Length,
                K::Pattern,
                K::Enum,
                K::Dots,
                K::Items,
                K::TooLong,
            ],
        }
    }
}

/// The unit of an integer value (API 3.0 states them; times differ between the APIs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
pub enum Unit {
    /// Seconds.
    #[serde(rename = "s")]
    Seconds,
    /// Milliseconds.
    #[serde(rename = "ms")]
    Milliseconds,
    /// Bytes.
    #[serde(rename = "bytes")]
    Bytes,
    /// Megabytes.
    #[serde(rename = "MB")]
    Megabytes,
    /// A number of messages.
    #[serde(rename = "messages")]
    Messages,
    /// Messages per second.
    #[serde(rename = "msg/s")]
    MessagesPerSecond,
    /// Bytes per second.
    #[serde(rename = "bytes/s")]
    BytesPerSecond,
}

impl Unit {
    /// The spec's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Seconds => "s",
            Unit::Milliseconds => "ms",
            Unit::Bytes => "bytes",
            Unit::Megabytes => "MB",
            Unit::Messages => "messages",
            Unit::MessagesPerSecond => "msg/s",
            Unit::BytesPerSecond => "bytes/s",
        }
    }

    /// The unit in words, for docs.
    pub fn words(self) -> &'static str {
        match self {
            Unit::Seconds => "seconds",
            Unit::Milliseconds => "milliseconds",
            Unit::Bytes => "bytes",
            Unit::Megabytes => "megabytes",
            Unit::Messages => "messages",
            Unit::MessagesPerSecond => "messages per second",
            Unit::BytesPerSecond => "bytes per second",
        }
    }
}
