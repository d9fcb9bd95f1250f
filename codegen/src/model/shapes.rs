//! Response fields and shapes (JSON objects); the members of a shape used by a `json`
//! parameter are validated, so they also carry parameter facts.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::Ctx;
use super::links::{self, Link};
use super::params::{self, Def, Param, RequiredIf};
use crate::error::Location;
use crate::lint::{self, Lints};
use crate::spec::{self, ApiSpec, FieldType, ParamType, Style, Unit};

/// A response field or a shape's member, with its reference resolved.
#[derive(Clone, Debug, Serialize)]
pub struct Field {
    /// The JSON key.
    pub key: String,
    /// Its type.
    #[serde(rename = "type")]
    pub ty: FieldType,
    /// May be absent (as written).
    pub optional: bool,
    /// Other keys read for it.
    pub aliases: Vec<String>,
    /// Whether the mock writes the aliases too.
    pub emit_aliases: bool,
    /// Description.
    pub doc: String,
    /// Shape id (`json`, `object`, `object_list`).
    pub shape: Option<String>,
    /// May be JSON `null` (API 3.0: "may return null").
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub nullable: bool,
    /// The unit of an integer value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<Unit>,
    /// The field or parameter of another API this one means.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<Link>,
    /// Where it is written.
    #[serde(skip)]
    pub at: Location,
}

/// A JSON object shape.
#[derive(Clone, Debug, Serialize)]
pub struct Shape {
    /// The spec's id (also its type name).
    pub id: String,
    /// Description.
    pub doc: String,
    /// Members.
    pub fields: Vec<Field>,
    /// Used by a `json` parameter: every member is optional and validated.
    pub validated: bool,
    /// The members' constraint facts (validated shapes only), in member order.
    pub members: Vec<Param>,
    /// Where it is written.
    #[serde(skip)]
    pub at: Location,
}

/// Shapes used by `json` parameters.
pub(super) fn validated(api: &ApiSpec) -> BTreeSet<String> {
    let shared = api
        .attributes
        .params
        .values()
        .filter_map(|p| p.shape.clone());
    let inline = api
        .actions
        .values()
        .flat_map(|a| a.params.iter().filter_map(|p| p.shape.clone()));
    shared.chain(inline).collect()
}

pub(super) fn build(ctx: &Ctx<'_>, l: &mut Lints) -> Vec<Shape> {
    ctx.api
        .attributes
        .shapes
        .iter()
        .map(|(id, s)| {
            let at = ctx.api.at("attributes.json", format!("$.shapes.{id}"));
            lint::check_doc(&s.doc, &at.join("doc"), l);
            let validated = ctx.validated.contains(id);
            let pairs = resolved(ctx, &s.fields, &at.join("fields"), l);
            let members = if validated {
                params::check_refs(ctx, None, &s.errors, &at, l);
                members(ctx, s, &pairs, l)
            } else {
                Vec::new()
            };
            Shape {
                id: id.clone(),
                doc: s.doc.clone(),
                fields: pairs.into_iter().map(|(_, f)| f).collect(),
                validated,
                members,
                at,
            }
        })
        .collect()
}

/// Resolves a list of fields (a response or a shape's members); `at` is the list's location.
pub(super) fn fields(
    ctx: &Ctx<'_>,
    list: &[spec::Field],
    at: &Location,
    l: &mut Lints,
) -> Vec<Field> {
    resolved(ctx, list, at, l)
        .into_iter()
        .map(|(_, f)| f)
        .collect()
}

/// Each field that resolves, beside what the spec says of it.
fn resolved<'s>(
    ctx: &Ctx<'_>,
    list: &'s [spec::Field],
    at: &Location,
    l: &mut Lints,
) -> Vec<(&'s spec::Field, Field)> {
    let mut keys: BTreeMap<String, usize> = BTreeMap::new();
    let mut out = Vec::new();
    for (i, f) in list.iter().enumerate() {
        let fat = at.join(format!("[{i}]"));
        let Some(field) = field(ctx, f, &fat, l) else {
            continue;
        };
        for k in std::iter::once(&field.key).chain(field.aliases.iter()) {
            if let Some(j) = keys.insert(k.clone(), i) {
                l.push(fat.clone(), format!("duplicate key `{k}` (also at [{j}])"));
            }
        }
        out.push((f, field));
    }
    out
}

fn field(ctx: &Ctx<'_>, f: &spec::Field, at: &Location, l: &mut Lints) -> Option<Field> {
    let base = match &f.reference {
        Some(r) => match ctx.api.attributes.params.get(r) {
            Some(p) => Some(p),
            None => {
                l.push(at.join("ref"), format!("unknown parameter reference `{r}`"));
                return None;
            }
        },
        None => None,
    };
    let key = f.key.clone().or_else(|| base.map(|b| b.wire.clone()));
    let Some(key) = key.filter(|k| !k.is_empty()) else {
        l.push(at.clone(), "a field needs `key` or `ref`".into());
        return None;
    };
    let target = f
        .link
        .as_ref()
        .and_then(|k| links::resolve(ctx, k, at, l).map(|t| (k, t)));
    let stated = f.ty.or_else(|| base.and_then(|b| b.ty).map(Into::into));
    let ty = match (&target, stated) {
        (Some((k, t)), s) => links::ty(s.map(FieldType::param_type), t, k, at, l),
        (None, Some(s)) => s.param_type(),
        (None, None) => {
            l.push(
                at.join("type"),
                "a field needs `type` (or `ref` or `link`)".into(),
            );
            return None;
        }
    };
    let ty = field_type(ty, stated);
    let doc = f.doc.clone().or_else(|| base.map(|b| b.doc.clone()));
    let doc = doc.or_else(|| target.as_ref().map(|(_, t)| t.doc().to_owned()));
    let doc = doc.unwrap_or_default();
    lint::check_doc(&doc, &at.join("doc"), l);
    let shape = f
        .shape
        .clone()
        .or_else(|| base.and_then(|b| b.shape.clone()));
    if ty.needs_shape() {
        match &shape {
            None => {
                l.push(at.clone(), format!("a `{ty}` field needs `shape`"));
                return None;
            }
            Some(s) if !ctx.api.attributes.shapes.contains_key(s) => {
                l.push(at.join("shape"), format!("unknown shape `{s}`"));
            }
            Some(_) => {}
        }
    }
    Some(Field {
        key,
        ty,
        optional: f.optional,
        aliases: f.aliases.clone(),
        emit_aliases: f.emit_aliases,
        doc,
        shape,
        nullable: f.nullable,
        unit: f.unit,
        link: target.map(|(k, t)| links::record_field(k, &t)),
        at: at.clone(),
    })
}

/// The field type of a resolved parameter type (`json` stays `json` when stated so).
fn field_type(ty: ParamType, stated: Option<FieldType>) -> FieldType {
    match (ty, stated) {
        (_, Some(s)) => s,
        (ParamType::Int, _) => FieldType::Int,
        (ParamType::String, _) => FieldType::String,
        (ParamType::StringList, _) => FieldType::StringList,
        (ParamType::Json, _) => FieldType::Json,
        (ParamType::Bool, _) => FieldType::Bool,
        (ParamType::Object, _) => FieldType::Object,
        (ParamType::ObjectList, _) => FieldType::ObjectList,
    }
}

/// The members of a validated shape as parameter facts (only `int` and `string` members can
/// be validated).
fn members(
    ctx: &Ctx<'_>,
    s: &spec::Shape,
    pairs: &[(&spec::Field, Field)],
    l: &mut Lints,
) -> Vec<Param> {
    let all: Vec<&str> = pairs.iter().map(|(_, f)| f.key.as_str()).collect();
    let mut out = Vec::new();
    for (f, field) in pairs {
        let ty = match (field.ty, ctx.style) {
            (FieldType::Int, _) => ParamType::Int,
            (FieldType::String, _) => ParamType::String,
            (FieldType::Bool, Style::Tc3) => ParamType::Bool,
            (FieldType::StringList, Style::Tc3) => ParamType::StringList,
            (other, Style::Cmq) => {
                l.push(field.at.join("type"), format!("a member of a shape used by a `json` parameter must be `int` or `string`, not `{other}`"));
                continue;
            }
            (other, Style::Tc3) => {
                l.push(field.at.join("type"), format!("a member of a shape used by a request must be `int`, `string`, `bool` or `string_list`, not `{other}`"));
                continue;
            }
        };
        out.push(member(ctx, s, f, field, ty, &all, l));
    }
    out
}

fn member(
    ctx: &Ctx<'_>,
    s: &spec::Shape,
    f: &spec::Field,
    field: &Field,
    ty: ParamType,
    all: &[&str],
    l: &mut Lints,
) -> Param {
    let limits = f.limits(ctx.profile);
    lint::check_param(ty, &field.doc, &limits, &field.at, l);
    params::check_refs(ctx, limits.pattern.as_deref(), &f.errors, &field.at, l);
    let d = Def {
        wire: field.key.clone(),
        ty,
        doc: field.doc.clone(),
        see: Vec::new(),
        limits,
        errors: &s.errors,
        extra_errors: Some(&f.errors),
    };
    let mut p = params::facts(ctx, d, f.required, &field.at);
    if let Some(ri) = &f.required_if {
        if !all.contains(&ri.field.as_str()) {
            l.push(
                field.at.join("required_if").join("field"),
                format!("`{}` is not a member of this shape", ri.field),
            );
        }
        p.required_if = Some(RequiredIf {
            field: ri.field.clone(),
            equals: ri.equals.clone(),
        });
    }
    p
}
