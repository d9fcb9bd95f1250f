//! Parameters: a reference, a link and overrides merged into one definition, then into facts
//! with the error of every violation kind.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Ctx;
use super::links::{self, Link, Target};
use crate::error::Location;
use crate::lint::{self, Lints};
use crate::spec::{
    self, ErrorOverrides, LenUnit, Limits, ParamType, ParamUse, Scalar, Unit, ViolationKind,
};

/// Every constraint the spec states on one parameter (or one member of a shape used by a
/// parameter), with references, links, overrides and default errors resolved.
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
    /// Shape id (`json`, `object`, `object_list`).
    pub shape: Option<String>,
    /// The error id answered for each violation kind (every kind present).
    pub errors: BTreeMap<ViolationKind, String>,
    /// The unit of an integer value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<Unit>,
    /// The parameter or field of another API this one means.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<Link>,
    /// The id of a shared parameter of `attributes.json` (none for an action's own).
    #[serde(skip)]
    pub id: Option<String>,
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
        if !ctx.api.patterns().contains_key(p) {
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
    if let Some(p) = &c.pattern {
        ctx.import_pattern(p);
    }
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
        unit: None,
        link: None,
        id: None,
        at: at.clone(),
    }
}

/// What a link contributes: the target, its type (checked against the stated one) and limits.
struct Linked {
    link: String,
    target: Target,
}

fn linked(ctx: &Ctx<'_>, link: Option<&String>, at: &Location, l: &mut Lints) -> Option<Linked> {
    let link = link?;
    links::resolve(ctx, link, at, l).map(|target| Linked {
        link: link.clone(),
        target,
    })
}

/// The shared parameters of `attributes.json`, linted where they are written.
pub(super) fn shared(ctx: &Ctx<'_>, l: &mut Lints) -> Vec<Param> {
    let mut out = Vec::new();
    for (id, p) in &ctx.api.attributes.params {
        let at = ctx.api.at("attributes.json", format!("$.params.{id}"));
        let link = linked(ctx, p.link.as_ref(), &at, l);
        let ty = param_type(p.ty, link.as_ref(), &at, l);
        let own = p.limits(ctx.profile);
        let limits = link
            .as_ref()
            .map_or_else(Limits::default, |k| k.target.limits());
        let limits = limits.merged(&own);
        let doc = if p.doc.is_empty() {
            link.as_ref()
                .map_or_else(String::new, |k| k.target.doc().to_owned())
        } else {
            p.doc.clone()
        };
        check_def(ctx, ty, &doc, &limits, &at, l);
        check_refs(ctx, own.pattern.as_deref(), &p.errors, &at, l);
        lint::check_see(&p.see, &at.join("see"), l);
        let d = Def {
            wire: p.wire.clone(),
            ty,
            doc,
            see: p.see.clone(),
            limits,
            errors: &p.errors,
            extra_errors: None,
        };
        let mut param = facts(ctx, d, false, &at);
        param.id = Some(id.clone());
        param.unit = p.unit;
        param.link = link.map(|k| links::record(&k.link, &k.target, &param));
        out.push(param);
    }
    out
}

/// The type of a parameter: stated, or the link's (they must agree).
fn param_type(
    stated: Option<ParamType>,
    link: Option<&Linked>,
    at: &Location,
    l: &mut Lints,
) -> ParamType {
    match (stated, link) {
        (s, Some(k)) => links::ty(s, &k.target, &k.link, at, l),
        (Some(t), None) => t,
        (None, None) => {
            l.push(at.clone(), "a parameter needs `type` (or `link`)".into());
            ParamType::String
        }
    }
}

/// Lints a resolved definition: the value checks and whether the API's style carries the type.
fn check_def(ctx: &Ctx<'_>, ty: ParamType, doc: &str, c: &Limits, at: &Location, l: &mut Lints) {
    lint::check_param(ty, doc, c, at, l);
    if !ty.fits_style(ctx.style) {
        l.push(
            at.join("type"),
            format!(
                "a `{}` API cannot carry a `{ty}` parameter",
                ctx.style.as_str()
            ),
        );
    }
}

/// An action's use of a parameter, resolved: the referenced definition with the use's link and
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
    let link = linked(
        ctx,
        u.link.as_ref().or(base.and_then(|b| b.link.as_ref())),
        at,
        l,
    );
    let stated = u.ty.or_else(|| base.and_then(|b| b.ty));
    let ty = param_type(stated, link.as_ref(), at, l);
    let limits = merged_limits(ctx, u, base, link.as_ref());
    let doc = use_doc(u, base, link.as_ref());
    if base.is_none() || u.limits(ctx.profile).any() || u.doc.is_some() || u.link.is_some() {
        check_def(ctx, ty, &doc, &limits, at, l);
    }
    let own = u.errors.clone().unwrap_or_default();
    check_refs(ctx, u.limits(ctx.profile).pattern.as_deref(), &own, at, l);
    lint::check_see(&u.see, &at.join("see"), l);
    let d = Def {
        wire,
        ty,
        doc,
        see: use_see(u, base),
        limits,
        errors: use_errors(u, base),
        extra_errors: None,
    };
    let mut p = facts(ctx, d, u.required, at);
    p.unit = u.unit.or_else(|| base.and_then(|b| b.unit));
    p.default_by = u.default_by.as_ref().map(|b| DefaultBy {
        param: b.param.clone(),
        values: b
            .values
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    });
    p.link = link.map(|k| links::record(&k.link, &k.target, &p));
    Some(p)
}

/// The link's limits, then the referenced definition's, then the use's own.
fn merged_limits(
    ctx: &Ctx<'_>,
    u: &ParamUse,
    base: Option<&spec::Param>,
    link: Option<&Linked>,
) -> Limits {
    let from_link = link.map_or_else(Limits::default, |k| k.target.limits());
    let from_base = base.map_or_else(Limits::default, |b| b.limits(ctx.profile));
    from_link.merged(&from_base).merged(&u.limits(ctx.profile))
}

fn use_doc(u: &ParamUse, base: Option<&spec::Param>, link: Option<&Linked>) -> String {
    let base_doc = base.map(|b| b.doc.clone()).filter(|d| !d.is_empty());
    let link_doc = link.map(|k| k.target.doc().to_owned());
    u.doc.clone().or(base_doc).or(link_doc).unwrap_or_default()
}

fn use_see(u: &ParamUse, base: Option<&spec::Param>) -> Vec<String> {
    match (&u.see, base) {
        (own, _) if !own.is_empty() => own.clone(),
        (_, Some(b)) => b.see.clone(),
        _ => Vec::new(),
    }
}

fn use_errors<'a>(u: &'a ParamUse, base: Option<&'a spec::Param>) -> &'a ErrorOverrides {
    static EMPTY: std::sync::OnceLock<ErrorOverrides> = std::sync::OnceLock::new();
    match (&u.errors, base) {
        (Some(e), _) => e,
        (None, Some(b)) => &b.errors,
        (None, None) => EMPTY.get_or_init(ErrorOverrides::new),
    }
}
