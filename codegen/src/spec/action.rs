//! `attributes.json` and `actions/<Action>.json`, as written.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::profiled::Profiled;
use super::types::{FieldType, Group, LenUnit, ParamType, Scalar, Unit, ViolationKind};

/// Error overrides per violation kind.
pub type ErrorOverrides = BTreeMap<ViolationKind, String>;

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

/// The constraints a parameter definition (or an action's override of one) states.
#[derive(Clone, Debug, Default)]
pub struct Limits {
    /// Inclusive minimum.
    pub min: Option<i64>,
    /// Inclusive maximum.
    pub max: Option<i64>,
    /// Server default.
    pub default: Option<Scalar>,
    /// Minimum length.
    pub min_len: Option<u64>,
    /// Maximum length.
    pub max_len: Option<u64>,
    /// `chars` or `bytes`.
    pub len_unit: Option<LenUnit>,
    /// Pattern id.
    pub pattern: Option<String>,
    /// Allowed values.
    pub one_of: Option<Vec<Scalar>>,
    /// Most `.` characters.
    pub max_dots: Option<u64>,
    /// Fewest items.
    pub min_items: Option<u64>,
    /// Most items.
    pub max_items: Option<u64>,
    /// Shape id for `json`.
    pub shape: Option<String>,
}

impl Limits {
    /// True when any constraint is stated.
    pub fn any(&self) -> bool {
        self.min.is_some()
            || self.max.is_some()
            || self.default.is_some()
            || self.min_len.is_some()
            || self.max_len.is_some()
            || self.len_unit.is_some()
            || self.pattern.is_some()
            || self.one_of.is_some()
            || self.max_dots.is_some()
            || self.min_items.is_some()
            || self.max_items.is_some()
    }

    /// `self` with every constraint `over` states replaced.
    pub fn merged(&self, over: &Limits) -> Limits {
        fn pick<T: Clone>(a: &Option<T>, b: &Option<T>) -> Option<T> {
            b.clone().or_else(|| a.clone())
        }
        Limits {
            min: pick(&self.min, &over.min),
            max: pick(&self.max, &over.max),
            default: pick(&self.default, &over.default),
            min_len: pick(&self.min_len, &over.min_len),
            max_len: pick(&self.max_len, &over.max_len),
            len_unit: pick(&self.len_unit, &over.len_unit),
            pattern: pick(&self.pattern, &over.pattern),
            one_of: pick(&self.one_of, &over.one_of),
            max_dots: pick(&self.max_dots, &over.max_dots),
            min_items: pick(&self.min_items, &over.min_items),
            max_items: pick(&self.max_items, &over.max_items),
            shape: pick(&self.shape, &over.shape),
        }
    }
}

/// A parameter definition.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Param {
    /// Wire name.
    pub wire: String,
    /// How it travels (inherited from `link` when left out).
    #[serde(rename = "type")]
    pub ty: Option<ParamType>,
    /// Description (inherited from `link` when left out).
    #[serde(default)]
    pub doc: String,
    /// Where the fact comes from (for maintainers; never rendered).
    pub source: Option<String>,
    /// Public documentation pages users may read.
    #[serde(default)]
    pub see: Vec<String>,
    /// Inclusive minimum.
    pub min: Option<Profiled<i64>>,
    /// Inclusive maximum.
    pub max: Option<Profiled<i64>>,
    /// Server default.
    pub default: Option<Profiled<Scalar>>,
    /// Minimum length.
    pub min_len: Option<Profiled<u64>>,
    /// Maximum length.
    pub max_len: Option<Profiled<u64>>,
    /// `chars` or `bytes`.
    pub len_unit: Option<LenUnit>,
    /// Pattern id.
    pub pattern: Option<Profiled<String>>,
    /// Allowed values.
    #[serde(rename = "enum")]
    pub one_of: Option<Vec<Scalar>>,
    /// Most `.` characters.
    pub max_dots: Option<Profiled<u64>>,
    /// Fewest items.
    pub min_items: Option<Profiled<u64>>,
    /// Most items.
    pub max_items: Option<Profiled<u64>>,
    /// Shape id for `json`, `object`, `object_list`.
    pub shape: Option<String>,
    /// Error overrides per violation kind.
    #[serde(default)]
    pub errors: ErrorOverrides,
    /// The parameter or field of another API this one means (`v2:params/queueName`); its type,
    /// doc and limits are inherited unless stated here.
    pub link: Option<String>,
    /// The unit of an integer value.
    pub unit: Option<Unit>,
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
    pub ty: Option<ParamType>,
    /// Description.
    pub doc: Option<String>,
    /// Where the fact comes from (for maintainers; never rendered).
    pub source: Option<String>,
    /// Public documentation pages users may read.
    #[serde(default)]
    pub see: Vec<String>,
    /// Inclusive minimum.
    pub min: Option<Profiled<i64>>,
    /// Inclusive maximum.
    pub max: Option<Profiled<i64>>,
    /// Server default.
    pub default: Option<Profiled<Scalar>>,
    /// A default that depends on another parameter's value.
    pub default_by: Option<DefaultBy>,
    /// Minimum length.
    pub min_len: Option<Profiled<u64>>,
    /// Maximum length.
    pub max_len: Option<Profiled<u64>>,
    /// `chars` or `bytes`.
    pub len_unit: Option<LenUnit>,
    /// Pattern id.
    pub pattern: Option<Profiled<String>>,
    /// Allowed values.
    #[serde(rename = "enum")]
    pub one_of: Option<Vec<Scalar>>,
    /// Most `.` characters.
    pub max_dots: Option<Profiled<u64>>,
    /// Fewest items.
    pub min_items: Option<Profiled<u64>>,
    /// Most items.
    pub max_items: Option<Profiled<u64>>,
    /// Shape id for `json`, `object`, `object_list`.
    pub shape: Option<String>,
    /// Error overrides per violation kind.
    pub errors: Option<ErrorOverrides>,
    /// A link to another API's parameter or field (overrides the referenced definition's).
    pub link: Option<String>,
    /// The unit of an integer value.
    pub unit: Option<Unit>,
}

/// The value of an optional, possibly profiled, field for `profile`.
fn at<T: Clone>(v: &Option<Profiled<T>>, profile: &str) -> Option<T> {
    v.as_ref().and_then(|x| x.at(profile)).cloned()
}

macro_rules! limits_of {
    ($t:ty) => {
        impl $t {
            /// The constraints it states for `profile`.
            pub fn limits(&self, profile: &str) -> Limits {
                Limits {
                    min: at(&self.min, profile),
                    max: at(&self.max, profile),
                    default: at(&self.default, profile),
                    min_len: at(&self.min_len, profile),
                    max_len: at(&self.max_len, profile),
                    len_unit: self.len_unit,
                    pattern: at(&self.pattern, profile),
                    one_of: self.one_of.clone(),
                    max_dots: at(&self.max_dots, profile),
                    min_items: at(&self.min_items, profile),
                    max_items: at(&self.max_items, profile),
                    shape: self.shape.clone(),
                }
            }
        }
    };
}

impl Field {
    /// The constraints a member of a validated shape states for `profile`.
    pub fn limits(&self, profile: &str) -> Limits {
        Limits {
            min: at(&self.min, profile),
            max: at(&self.max, profile),
            one_of: self.one_of.clone(),
            pattern: at(&self.pattern, profile),
            max_len: at(&self.max_len, profile),
            ..Limits::default()
        }
    }
}
limits_of!(Param);
limits_of!(ParamUse);

/// A default that depends on another (string enum) parameter of the action.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefaultBy {
    /// The other parameter's wire name.
    pub param: String,
    /// Its value → this parameter's default.
    pub values: BTreeMap<String, String>,
}

/// A cross-field rule, by `kind`.
#[derive(Clone, Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Rule {
    /// When both are present, `left ≤ right`.
    Le(OrderRule),
    /// When both are present, `left < right`.
    Lt(OrderRule),
    /// When `if` is present, `then` must be too.
    Requires(RequiresRule),
    /// A rule that needs server state; the mock's engine enforces it.
    State(StateRule),
}

impl Rule {
    /// The error id the rule answers with.
    pub fn error(&self) -> &str {
        match self {
            Rule::Le(r) | Rule::Lt(r) => &r.error,
            Rule::Requires(r) => &r.error,
            Rule::State(r) => &r.error,
        }
    }
}

/// An `le` / `lt` rule.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderRule {
    /// Left operand (`p` or `p.member`).
    pub left: String,
    /// Right operand.
    pub right: String,
    /// Error id.
    pub error: String,
    /// Description.
    pub doc: Option<String>,
    /// Where the fact comes from (for maintainers; never rendered).
    pub source: Option<String>,
}

/// A `requires` rule.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequiresRule {
    /// Condition.
    #[serde(rename = "if")]
    pub if_: String,
    /// Consequence.
    pub then: String,
    /// Error id.
    pub error: String,
    /// Description.
    pub doc: Option<String>,
    /// Where the fact comes from (for maintainers; never rendered).
    pub source: Option<String>,
}

/// A `state` rule.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateRule {
    /// Description (required).
    pub doc: String,
    /// Where the fact comes from (for maintainers; never rendered).
    pub source: Option<String>,
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
    pub ty: Option<FieldType>,
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
    /// Where the fact comes from (for maintainers; never rendered).
    pub source: Option<String>,
    /// Shape id for `json`, `object`, `object_list`.
    pub shape: Option<String>,
    /// Validation (shapes used by `json` parameters).
    #[serde(default)]
    pub required: bool,
    /// Inclusive minimum.
    pub min: Option<Profiled<i64>>,
    /// Inclusive maximum.
    pub max: Option<Profiled<i64>>,
    /// Allowed values.
    #[serde(rename = "enum")]
    pub one_of: Option<Vec<Scalar>>,
    /// Pattern id.
    pub pattern: Option<Profiled<String>>,
    /// Maximum length.
    pub max_len: Option<Profiled<u64>>,
    /// Required when another member has a value.
    pub required_if: Option<RequiredIf>,
    /// Error overrides per violation kind for this member (over the shape's `errors`).
    #[serde(default)]
    pub errors: ErrorOverrides,
    /// May be JSON `null` in an answer (API 3.0: "may return null").
    #[serde(default)]
    pub nullable: bool,
    /// The field or parameter of another API this one means; its type and doc are inherited
    /// unless stated here.
    pub link: Option<String>,
    /// The unit of an integer value.
    pub unit: Option<Unit>,
}

/// `required_if` of a shape field.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequiredIf {
    /// The other member.
    pub field: String,
    /// Its value.
    pub equals: Scalar,
}

/// A JSON object shape.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shape {
    /// Description.
    pub doc: String,
    /// Where the fact comes from (for maintainers; never rendered).
    pub source: Option<String>,
    /// Members.
    pub fields: Vec<Field>,
    /// Error overrides per violation kind for members of a shape used by a `json` parameter.
    #[serde(default)]
    pub errors: ErrorOverrides,
}

/// An answer that, to a retry after a lost answer, means the lost attempt did the work
/// (`settled_by_retry` of an action).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SettledByRetry {
    /// The error id of the retry's answer.
    pub error: String,
    /// When set, the answer counts only if every item of its `errorList` is this error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every_item: Option<String>,
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
    /// What it works on.
    pub group: Group,
    /// Description.
    pub doc: String,
    /// Where the fact comes from (for maintainers; never rendered).
    pub source: Option<String>,
    /// Public documentation pages users may read.
    #[serde(default)]
    pub see: Vec<String>,
    /// Safe to resend after an attempt whose answer was lost.
    #[serde(default)]
    pub idempotent: bool,
    /// Errors that, answering a retry after a lost answer, show the lost attempt did the work.
    #[serde(default)]
    pub settled_by_retry: Vec<SettledByRetry>,
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
