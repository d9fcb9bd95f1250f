//! Actions: parameters resolved, cross-field rules with their operands located, response
//! fields, errors, paging, and which parameters carry the long-poll wait and the target name.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Ctx;
use super::params::{self, Param};
use super::shapes::{self, Field};
use crate::error::Location;
use crate::lint::{self, Lints};
use crate::spec::{self, Group, ParamType};

/// The parameter a long-polling action waits by.
pub const LONG_POLL_PARAM: &str = "pollingWaitSeconds";

/// The parameters that name what a call targets, in order of preference (API 2.0's, then API
/// 3.0's).
pub const TARGET_PARAMS: &[&str] = &[
    "queueName",
    "deadLetterQueueName",
    "topicName",
    "QueueName",
    "SourceQueueName",
    "TopicName",
];

/// An action.
#[derive(Clone, Debug, Serialize)]
pub struct Action {
    /// The `Action` value.
    pub name: String,
    /// What it works on.
    pub group: Group,
    /// Description.
    pub doc: String,
    /// Public documentation pages.
    pub see: Vec<String>,
    /// Safe to resend after an attempt whose answer was lost.
    pub idempotent: bool,
    /// Errors that, answering a retry after a lost answer, show the lost attempt did the work.
    pub settled_by_retry: Vec<spec::SettledByRetry>,
    /// The parameter whose value is the long-poll wait (long-polling actions only).
    pub long_poll: Option<String>,
    /// The parameter naming the queue or topic the call targets.
    pub target: Option<String>,
    /// Parameters, in spec order.
    pub params: Vec<Param>,
    /// Cross-field rules a request can be checked against.
    pub rules: Vec<Rule>,
    /// Rules that need server state.
    pub state_rules: Vec<StateRule>,
    /// Response fields.
    pub response: Vec<Field>,
    /// Errors it can answer with (besides validation errors).
    pub errors: Vec<String>,
    /// Paging, for list actions.
    pub paging: Option<Paging>,
    /// Where it is written (`actions/<Name>.json`, `$`).
    #[serde(skip)]
    pub at: Location,
}

impl Action {
    /// The parameter with wire name `wire`.
    pub fn param(&self, wire: &str) -> Option<&Param> {
        self.params.iter().find(|p| p.wire == wire)
    }
}

/// A cross-field rule.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Rule {
    /// When both are present, `left ≤ right` (`<` when strict).
    Order {
        /// Left operand.
        left: Operand,
        /// Right operand.
        right: Operand,
        /// `<` rather than `≤`.
        strict: bool,
        /// Error id.
        error: String,
    },
    /// When `when` is present, `then` must be too.
    Requires {
        /// Condition.
        when: Operand,
        /// Consequence.
        then: Operand,
        /// Error id.
        error: String,
    },
}

impl Rule {
    /// The spec's name of the rule's kind (`le`, `lt`, `requires`).
    pub fn kind(&self) -> &'static str {
        match self {
            Rule::Order { strict: false, .. } => "le",
            Rule::Order { strict: true, .. } => "lt",
            Rule::Requires { .. } => "requires",
        }
    }

    /// The two operands, as written (`[left, right]` or `[if, then]`).
    pub fn operands(&self) -> [&Operand; 2] {
        match self {
            Rule::Order { left, right, .. } => [left, right],
            Rule::Requires { when, then, .. } => [when, then],
        }
    }

    /// The error id.
    pub fn error(&self) -> &str {
        match self {
            Rule::Order { error, .. } | Rule::Requires { error, .. } => error,
        }
    }
}

/// A rule operand: a parameter, or member `member` of a `json` parameter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Operand {
    /// As written (`msgRetentionSeconds`, `deadLetterPolicy.maxTimeToLive`).
    pub path: String,
    /// The parameter's wire name.
    pub param: String,
    /// The member's key.
    pub member: Option<String>,
}

/// A rule that needs server state.
#[derive(Clone, Debug, Serialize)]
pub struct StateRule {
    /// What it checks.
    pub doc: String,
    /// Error id.
    pub error: String,
}

/// How a list action pages.
#[derive(Clone, Debug, Serialize)]
pub struct Paging {
    /// The offset parameter.
    pub offset: String,
    /// The limit parameter.
    pub limit: String,
    /// The response key of the total count.
    pub total: String,
    /// The response key of the items.
    pub items: String,
    /// The items' shape.
    pub item_shape: String,
    /// Whether the items field may be absent.
    pub items_optional: bool,
    /// The offset the server assumes when none is sent.
    pub default_offset: i64,
    /// The largest offset accepted, if bounded.
    pub max_offset: Option<i64>,
    /// The page size the server assumes when no limit is sent.
    pub default_limit: i64,
    /// The smallest limit accepted, if bounded.
    pub min_limit: Option<i64>,
    /// The largest page a request may ask for.
    pub max_limit: i64,
}

pub(super) fn build(ctx: &Ctx<'_>, l: &mut Lints) -> Vec<Action> {
    ctx.api
        .actions
        .iter()
        .map(|(stem, a)| {
            let at = ctx.api.at(&format!("actions/{stem}.json"), "$");
            if &a.name != stem {
                l.push(
                    at.join("name"),
                    format!(
                        "action name `{}` differs from its file name `{stem}.json`",
                        a.name
                    ),
                );
            }
            action(ctx, a, at, l)
        })
        .collect()
}

fn action(ctx: &Ctx<'_>, a: &spec::Action, at: Location, l: &mut Lints) -> Action {
    lint::check_doc(&a.doc, &at.join("doc"), l);
    lint::check_see(&a.see, &at.join("see"), l);
    let params = action_params(ctx, a, &at, l);
    let (rules, state_rules) = rules(ctx, a, &params, &at, l);
    for (i, e) in a.errors.iter().enumerate() {
        ctx.check_error_id(e, at.join("errors").join(format!("[{i}]")), l);
    }
    settled_by_retry(ctx, a, &at, l);
    let response = shapes::fields(ctx, &a.response, &at.join("response"), l);
    let has = |w: &str| params.iter().any(|p| p.wire == w);
    let long_poll = a.long_polling.then(|| {
        if !has(LONG_POLL_PARAM) {
            l.push(
                at.join("long_polling"),
                format!("a long-polling action needs a `{LONG_POLL_PARAM}` parameter"),
            );
        }
        LONG_POLL_PARAM.to_owned()
    });
    let target = TARGET_PARAMS
        .iter()
        .find(|w| has(w))
        .map(|w| (*w).to_owned());
    let paging = a
        .paginated
        .as_ref()
        .and_then(|p| paging(p, &params, &response, &at, l));
    Action {
        name: a.name.clone(),
        group: a.group,
        doc: a.doc.clone(),
        see: a.see.clone(),
        idempotent: a.idempotent,
        settled_by_retry: a.settled_by_retry.clone(),
        long_poll,
        target,
        params,
        rules,
        state_rules,
        response,
        errors: a.errors.clone(),
        paging,
        at,
    }
}

/// `settled_by_retry` names known errors, the top-level one among the action's own, and only on an
/// idempotent action (one that is retried after a lost answer at all).
fn settled_by_retry(ctx: &Ctx<'_>, a: &spec::Action, at: &Location, l: &mut Lints) {
    for (i, s) in a.settled_by_retry.iter().enumerate() {
        let sat = at.join("settled_by_retry").join(format!("[{i}]"));
        ctx.check_error_id(&s.error, sat.join("error"), l);
        if !a.errors.contains(&s.error) {
            l.push(
                sat.join("error"),
                format!("`{}` is not among the action's `errors`", s.error),
            );
        }
        if let Some(item) = &s.every_item {
            ctx.check_error_id(item, sat.join("every_item"), l);
        }
    }
    if !a.idempotent && !a.settled_by_retry.is_empty() {
        l.push(
            at.join("settled_by_retry"),
            "only an idempotent action is retried after a lost answer".to_owned(),
        );
    }
}

fn action_params(ctx: &Ctx<'_>, a: &spec::Action, at: &Location, l: &mut Lints) -> Vec<Param> {
    let mut wires: BTreeMap<String, usize> = BTreeMap::new();
    let mut out = Vec::new();
    for (i, u) in a.params.iter().enumerate() {
        let pat = at.join("params").join(format!("[{i}]"));
        let Some(p) = params::resolve(ctx, u, &pat, l) else {
            continue;
        };
        if let Some(j) = wires.insert(p.wire.clone(), i) {
            l.push(
                pat.clone(),
                format!("duplicate wire name `{}` (also at $.params[{j}])", p.wire),
            );
        }
        if p.ty == ParamType::Json {
            match &p.shape {
                None => l.push(pat.clone(), "a `json` parameter needs `shape`".into()),
                Some(s) if !ctx.api.attributes.shapes.contains_key(s) => {
                    l.push(pat.join("shape"), format!("unknown shape `{s}`"))
                }
                _ => {}
            }
        }
        out.push(p);
    }
    let checked: Vec<Option<super::DefaultBy>> = out
        .iter()
        .map(|p| (p.default_by.as_ref()).and_then(|by| check_default_by(p, by, &out, l)))
        .collect();
    for (p, by) in out.iter_mut().zip(checked) {
        p.default_by = by;
    }
    out
}

/// Checks a default that follows another parameter: both string enums, every value of the
/// other mapped to one of this parameter's values. Returns it in the other's value order.
fn check_default_by(
    p: &Param,
    by: &super::DefaultBy,
    params: &[Param],
    l: &mut Lints,
) -> Option<super::DefaultBy> {
    let at = p.at.join("default_by");
    let other = params
        .iter()
        .find(|o| o.wire == by.param && o.is_string_enum());
    let Some(other) = other.filter(|_| p.is_string_enum()) else {
        l.push(
            at,
            format!(
                "`default_by` needs `{}` and this parameter to be string enums of the action",
                by.param
            ),
        );
        return None;
    };
    let listed = |q: &Param, v: &str| q.one_of.iter().any(|x| x.text() == v);
    let mut values = Vec::new();
    for v in &other.one_of {
        let key = v.text();
        match by.values.iter().find(|(k, _)| **k == key) {
            Some((_, d)) if listed(p, d) => values.push((key, d.clone())),
            Some((_, d)) => l.push(
                at.join("values").join(&key),
                format!("`{d}` is not a value of `{}`", p.wire),
            ),
            None => l.push(
                at.join("values"),
                format!("no default for `{}` = `{key}`", by.param),
            ),
        }
    }
    for (k, _) in &by.values {
        if !listed(other, k) {
            l.push(
                at.join("values").join(k),
                format!("`{k}` is not a value of `{}`", by.param),
            );
        }
    }
    Some(super::DefaultBy {
        param: by.param.clone(),
        values,
    })
}

fn rules(
    ctx: &Ctx<'_>,
    a: &spec::Action,
    params: &[Param],
    at: &Location,
    l: &mut Lints,
) -> (Vec<Rule>, Vec<StateRule>) {
    let mut rules = Vec::new();
    let mut state = Vec::new();
    for (i, r) in a.rules.iter().enumerate() {
        let rat = at.join("rules").join(format!("[{i}]"));
        ctx.check_error_id(r.error(), rat.join("error"), l);
        let op =
            |path: &str, side: &str, l: &mut Lints| operand(ctx, params, path, &rat.join(side), l);
        let rule = match r {
            spec::Rule::Le(o) | spec::Rule::Lt(o) => {
                let (left, right) = (op(&o.left, "left", l), op(&o.right, "right", l));
                left.zip(right).map(|(left, right)| Rule::Order {
                    left,
                    right,
                    strict: matches!(r, spec::Rule::Lt(_)),
                    error: o.error.clone(),
                })
            }
            spec::Rule::Requires(q) => {
                let (when, then) = (op(&q.if_, "if", l), op(&q.then, "then", l));
                when.zip(then).map(|(when, then)| Rule::Requires {
                    when,
                    then,
                    error: q.error.clone(),
                })
            }
            spec::Rule::State(s) => {
                lint::check_doc(&s.doc, &rat.join("doc"), l);
                state.push(StateRule {
                    doc: s.doc.trim().to_owned(),
                    error: s.error.clone(),
                });
                None
            }
        };
        rules.extend(rule);
    }
    (rules, state)
}

/// Locates a rule operand among the action's parameters (and a `json` parameter's members).
fn operand(
    ctx: &Ctx<'_>,
    params: &[Param],
    path: &str,
    at: &Location,
    l: &mut Lints,
) -> Option<Operand> {
    let (head, member) = match path.split_once('.') {
        Some((h, m)) => (h, Some(m)),
        None => (path, None),
    };
    let Some(p) = params.iter().find(|p| p.wire == head) else {
        l.push(
            at.clone(),
            format!("`{head}` is not a parameter of this action"),
        );
        return None;
    };
    if let Some(m) = member {
        let shape = p
            .shape
            .as_deref()
            .and_then(|s| ctx.api.attributes.shapes.get(s));
        let found = shape.is_some_and(|s| s.fields.iter().any(|f| f.key.as_deref() == Some(m)));
        if !found {
            l.push(
                at.clone(),
                format!("`{m}` is not a member of `{head}`'s shape"),
            );
            return None;
        }
    }
    Some(Operand {
        path: path.to_owned(),
        param: head.to_owned(),
        member: member.map(str::to_owned),
    })
}

fn paging(
    p: &spec::Paginated,
    params: &[Param],
    response: &[Field],
    at: &Location,
    l: &mut Lints,
) -> Option<Paging> {
    let at = at.join("paginated");
    let param = |w: &str| {
        params
            .iter()
            .find(|x| x.wire == w && x.ty == ParamType::Int)
    };
    let total = response.iter().any(|f| f.key == p.total);
    let items = response.iter().find(|f| f.key == p.items);
    let (Some(it), Some(offset), Some(limit), true) =
        (items, param(&p.offset), param(&p.limit), total)
    else {
        l.push(at, "pagination keys must name an offset and a limit `int` parameter and a total and an items response field".into());
        return None;
    };
    let default = |x: &Param| x.default.as_ref().and_then(crate::spec::Scalar::as_int);
    let (Some(default_offset), Some(default_limit), Some(max_limit)) =
        (default(offset), default(limit), limit.max)
    else {
        l.push(
            at,
            "a paged action's offset needs a `default`, its limit a `default` and a `max`".into(),
        );
        return None;
    };
    Some(Paging {
        offset: p.offset.clone(),
        limit: p.limit.clone(),
        total: p.total.clone(),
        items: p.items.clone(),
        item_shape: it.shape.clone().unwrap_or_default(),
        items_optional: it.optional,
        default_offset,
        max_offset: offset.max,
        default_limit,
        min_limit: limit.min,
        max_limit,
    })
}
