//! Parameters: a reference and its overrides merged into one definition, then into facts with
//! the error of every violation kind.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Ctx;
use crate::error::Location;
use crate::lint::{self, Lints};
use crate::spec::{ErrorOverrides, LenUnit, Limits, ParamType, ParamUse, Scalar, ViolationKind};

/// Every constraint the spec states on one parameter (or one member of a `json` parameter's
/// shape), with references, overrides and default errors resolved.
#[derive(Clone, Debug, Serialize)]
pub struct Param {
    /// The wire name (`queueName`), or for a member its key (`maxReceiveCount`).
    pub wire: String,
    /// How it travels.
    #[serde(rename = "type")]
    pub ty: ParamType,
    /// Description.
    pub doc: String,
    /// Public documentation pages.
    pub see: Vec<String>,
    /// Whether the action (or shape) requires it.
    pub required: bool,
    /// Required when another member has a value (members only).
    pub required_if: Option<RequiredIf>,
    /// Inclusive minimum.
    pub min: Option<i64>,
    /// Inclusive maximum.
    pub max: Option<i64>,
    /// What the server assumes when it is left out.
    pub default: Option<Scalar>,
    /// A default that depends on another parameter's value (action parameters only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_by: Option<DefaultBy>,
    /// Minimum length (per item for lists).
    pub min_len: Option<u64>,
    /// Maximum length (per item for lists).
    pub max_len: Option<u64>,
    /// The unit of the length bounds.
    pub len_unit: LenUnit,
    /// Pattern id.
    pub pattern: Option<String>,
    /// Allowed values (empty: any).
    pub one_of: Vec<Scalar>,
    /// Most `.` characters.
    pub max_dots: Option<u64>,
    /// Fewest list items.
    pub min_items: Option<u64>,
    /// Most list items.
    pub max_items: Option<u64>,
    /// Shape id (`json`).
    pub shape: Option<String>,
    /// The error id answered for each violation kind (every kind present).
    pub errors: BTreeMap<ViolationKind, String>,
    /// Where it is written (for an action's parameter: its entry in the action's list).
    #[serde(skip)]
    pub at: Location,
}

/// A default that depends on another string-enum parameter of the action.
#[derive(Clone, Debug, Serialize)]
pub struct DefaultBy {
    /// The other parameter's wire name.
    pub param: String,
    /// Its value → this parameter's default, in the other parameter's value order.
    pub values: Vec<(String, String)>,
}

/// A member required because another member has a value.
#[derive(Clone, Debug, Serialize)]
pub struct RequiredIf {
    /// The other member's key.
    pub field: String,
    /// The value that makes this member required.
    pub equals: Scalar,
}

impl Param {
    /// The error id answered for a violation of `kind`.
    pub fn error(&self, kind: ViolationKind) -> &str {
        self.errors
            .get(&kind)
            .map_or("InvalidParameter", String::as_str)
    }

    /// True for a `string` parameter whose values are listed (every one a text).
    pub fn is_string_enum(&self) -> bool {
        self.ty == ParamType::String
            && !self.one_of.is_empty()
            && self.one_of.iter().all(|v| v.as_text().is_some())
    }
}

/// A definition before facts: what a parameter (or member) states.
pub(crate) struct Def<'a> {
    pub wire: String,
    pub ty: ParamType,
    pub doc: String,
    pub see: Vec<String>,
    pub limits: Limits,
    pub errors: &'a ErrorOverrides,
    pub extra_errors: Option<&'a ErrorOverrides>,
}

/// Lints the references a definition states at `at`: its pattern and its error ids.
pub(crate) fn check_refs(
    ctx: &Ctx<'_>,
    pattern: Option<&str>,
    errors: &ErrorOverrides,
    at: &Location,
    l: &mut Lints,
) {
    for (k, v) in errors {
        ctx.check_error_id(v, at.join("errors").join(k), l);
    }
    if let Some(p) = pattern {
        if !ctx.api.protocol.patterns.contains_key(p) {
            l.push(at.join("pattern"), format!("unknown pattern `{p}`"));
        }
    }
}

/// The facts of `d`, located at `at`.
pub(crate) fn facts(ctx: &Ctx<'_>, d: Def<'_>, required: bool, at: &Location) -> Param {
    let mut over = d.errors.clone();
    if let Some(extra) = d.extra_errors {
        over.extend(extra.iter().map(|(k, v)| (*k, v.clone())));
    }
    // A kind with a fallback (`too_long` → `length`) takes, in order: its own override, the
    // fallback's override, its own protocol default, the fallback's protocol default.
    let errors = ViolationKind::ALL
        .iter()
        .map(|k| {
            let kinds = [Some(*k), k.fallback()];
            let id = kinds
                .iter()
                .flatten()
                .find_map(|k| over.get(k))
                .or_else(|| kinds.iter().flatten().find_map(|k| ctx.defaults.get(k)));
            (
                *k,
                id.map_or_else(|| "InvalidParameter".into(), Clone::clone),
            )
        })
        .collect();
    let c = d.limits;
    Param {
        wire: d.wire,
        ty: d.ty,
        doc: d.doc,
        see: d.see,
        required,
        required_if: None,
        min: c.min,
        max: c.max,
        default: c.default,
        default_by: None,
        min_len: c.min_len,
        max_len: c.max_len,
        len_unit: c.len_unit.unwrap_or_default(),
        pattern: c.pattern,
        one_of: c.one_of.unwrap_or_default(),
        max_dots: c.max_dots,
        min_items: c.min_items,
        max_items: c.max_items,
        shape: c.shape,
        errors,
        at: at.clone(),
    }
}

/// The shared parameters of `attributes.json`, linted where they are written.
pub(super) fn shared(ctx: &Ctx<'_>, l: &mut Lints) -> Vec<Param> {
    let mut out = Vec::new();
    for (id, p) in &ctx.api.attributes.params {
        let at = ctx.api.at("attributes.json", format!("$.params.{id}"));
        let limits = p.limits(ctx.profile);
        lint::check_param(p.ty, &p.doc, &limits, &at, l);
        check_refs(ctx, limits.pattern.as_deref(), &p.errors, &at, l);
        lint::check_see(&p.see, &at.join("see"), l);
        let d = Def {
            wire: p.wire.clone(),
            ty: p.ty,
            doc: p.doc.clone(),
            see: p.see.clone(),
            limits,
            errors: &p.errors,
            extra_errors: None,
        };
        out.push(facts(ctx, d, false, &at));
    }
    out
}

/// An action's use of a parameter, resolved: the referenced definition with the use's
/// overrides, or the inline definition. `None` (with a finding) when it cannot be resolved.
pub(super) fn resolve(ctx: &Ctx<'_>, u: &ParamUse, at: &Location, l: &mut Lints) -> Option<Param> {
    let base = match &u.reference {
        Some(r) => match ctx.api.attributes.params.get(r) {
            Some(d) => Some(d),
            None => {
                l.push(at.join("ref"), format!("unknown parameter reference `{r}`"));
                return None;
            }
        },
        None => None,
    };
    if base.is_some() && (u.wire.is_some() || u.ty.is_some()) {
        l.push(
            at.clone(),
            "a referenced parameter cannot change `wire` or `type`".into(),
        );
    }
    let Some(wire) = u.wire.clone().or_else(|| base.map(|b| b.wire.clone())) else {
        l.push(at.clone(), "an inline parameter needs `wire`".into());
        return None;
    };
    let Some(ty) = u.ty.or_else(|| base.map(|b| b.ty)) else {
        l.push(at.clone(), "an inline parameter needs `type`".into());
        return None;
    };
    let empty = ErrorOverrides::new();
    let limits = base
        .map_or_else(Limits::default, |b| b.limits(ctx.profile))
        .merged(&u.limits(ctx.profile));
    let doc = u.doc.clone().or_else(|| base.map(|b| b.doc.clone()));
    let doc = doc.unwrap_or_default();
    if base.is_none() || u.limits(ctx.profile).any() || u.doc.is_some() {
        lint::check_param(ty, &doc, &limits, at, l);
    }
    let own = u.errors.clone().unwrap_or_default();
    check_refs(ctx, u.limits(ctx.profile).pattern.as_deref(), &own, at, l);
    lint::check_see(&u.see, &at.join("see"), l);
    let see = match (&u.see, base) {
        (own, _) if !own.is_empty() => own.clone(),
        (_, Some(b)) => b.see.clone(),
        _ => Vec::new(),
    };
    let errors = match (&u.errors, base) {
        (Some(e), _) => e,
        (None, Some(b)) => &b.errors,
        (None, None) => &empty,
    };
    let d = Def {
        wire,
        ty,
        doc,
        see,
        limits,
        errors,
        extra_errors: None,
    };
    let mut p = facts(ctx, d, u.required, at);
    p.default_by = u.default_by.as_ref().map(|b| DefaultBy {
        param: b.param.clone(),
        values: b
            .values
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    });
    Some(p)
}
