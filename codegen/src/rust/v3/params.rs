//! An API 3.0 parameter (or request-model member) in Rust: its field and setter types, serde
//! attribute, `ParamSpec` literal, validation statement, mock-decoding expression and doc.

use proc_macro2::{Ident, TokenStream};
use quote::{ToTokens, quote};
use serde::Serialize;

use super::super::code::{Code, doc_lines, ident, str_lit};
use super::super::names::{enum_name, shouty, snake};
use super::super::params::{SpecConst, spec_expr};
use super::super::typed::{self, TypedModule};
use crate::model::Param;
use crate::spec::{LenUnit, ParamType};

/// A parameter of an API 3.0 request (or a member of a request model).
#[derive(Clone, Debug, Serialize)]
pub struct Param3 {
    /// Rust field.
    pub field: String,
    /// The wire name (JSON key).
    pub wire: String,
    /// The wire name, as a literal.
    pub wire_lit: Code,
    /// Field type (without the `Option`).
    pub rust_type: Code,
    /// Setter argument type.
    pub arg_type: Code,
    /// Conversion of `v` into the field type.
    pub conv: Code,
    /// The field's serde attribute.
    pub serde_attr: Code,
    /// The constraint const.
    pub spec: SpecConst,
    /// Validation statements (push into `v`; members: into `out` under `path`).
    pub check: Code,
    /// Mock decoding expression (from `obj` under `prefix` into `errs`).
    pub decode: Code,
    /// Doc lines for the field and the setter.
    pub doc: Vec<String>,
    /// Typed limits and defaults, if it states any.
    pub typed: Option<TypedModule>,
}

/// Where a parameter's Rust types live: the v3 module's own enums, or API 2.0's for a string
/// enum linked to one of API 2.0's.
pub fn enum_path(p: &Param) -> TokenStream {
    match &p.link {
        Some(l) if l.same_enum => quote!(crate::generated::types),
        _ => quote!(crate::generated::v3::types),
    }
}

/// The enum type of a string-enum parameter, as the mock (another crate) names it.
fn enum_type(p: &Param, krate: &str) -> TokenStream {
    let e = ident(&enum_name(link_wire(p)));
    let k = ident(krate);
    match &p.link {
        Some(l) if l.same_enum => quote!(#k::generated::types::#e),
        _ => quote!(#k::generated::v3::types::#e),
    }
}

/// The wire name an enum is named after: the linked API 2.0 parameter's, else its own.
fn link_wire(p: &Param) -> &str {
    match &p.link {
        Some(l) if l.same_enum => &l.wire,
        _ => &p.wire,
    }
}

struct Types {
    rust: TokenStream,
    arg: TokenStream,
    conv: TokenStream,
}

fn types(p: &Param) -> Types {
    let shape = ident(p.shape.as_deref().unwrap_or("Value"));
    let (rust, arg, conv) = match p.ty {
        ParamType::Int => (quote!(i64), quote!(i64), quote!(v)),
        ParamType::Bool => (quote!(bool), quote!(bool), quote!(v)),
        ParamType::String if p.is_string_enum() => {
            let e = enum_type(p, "crate");
            (
                quote!(crate::enums::Open<#e>),
                quote!(impl Into<crate::enums::Open<#e>>),
                quote!(v.into()),
            )
        }
        ParamType::String => (quote!(String), quote!(impl Into<String>), quote!(v.into())),
        ParamType::StringList => (
            quote!(Vec<String>),
            quote!(impl IntoIterator<Item = impl Into<String>>),
            quote!(v.into_iter().map(Into::into).collect()),
        ),
        ParamType::Object | ParamType::Json => (quote!(#shape), quote!(#shape), quote!(v)),
        ParamType::ObjectList => (
            quote!(Vec<#shape>),
            quote!(impl IntoIterator<Item = #shape>),
            quote!(v.into_iter().collect()),
        ),
    };
    Types { rust, arg, conv }
}

/// The validation statement of `p` reading `self.f` with constraint binding `spec`; `name` is
/// the expression naming it in violations.
fn check(p: &Param, spec: &Ident, name: &TokenStream, out: &TokenStream) -> TokenStream {
    let f = ident(&snake(&p.wire));
    match p.ty {
        ParamType::Int => quote!(check_int_at(#spec, #name, self.#f, #out);),
        ParamType::String if p.is_string_enum() => {
            quote!(check_string_at(#spec, #name, self.#f.as_ref().map(crate::enums::Open::as_str), #out);)
        }
        ParamType::String => quote!(check_string_at(#spec, #name, self.#f.as_deref(), #out);),
        ParamType::StringList => {
            quote!(check_list_at(#spec, #name, 0, self.#f.as_deref(), #out);)
        }
        ParamType::Bool => quote!(check_present_at(#spec, #name, self.#f.is_some(), #out);),
        ParamType::Object | ParamType::Json => quote! {
            check_present_at(#spec, #name, self.#f.is_some(), #out);
            if let Some(x) = &self.#f { x.validate_into(profile, #name, #out); }
        },
        ParamType::ObjectList => quote! {
            match &self.#f {
                None => check_present_at(#spec, #name, false, #out),
                Some(xs) => {
                    check_items_at(#spec, #name, xs.len(), #out);
                    for (i, x) in xs.iter().enumerate() {
                        x.validate_into(profile, &format!("{}.{i}", #name), #out);
                    }
                }
            }
        },
    }
}

/// The mock's decoding expression of `p` with constraint const `spec` (a path from the mock).
fn decode(p: &Param, spec: &TokenStream) -> TokenStream {
    let reader = |shape: &Option<String>| ident(&reader_name(shape.as_deref().unwrap_or("Value")));
    match p.ty {
        ParamType::Int => quote!(d::int(obj, &#spec, prefix, errs)),
        ParamType::Bool => quote!(d::boolean(obj, &#spec, prefix, errs)),
        ParamType::String if p.is_string_enum() => {
            let e = enum_type(p, "cmq_sdk");
            quote!(d::string(obj, &#spec, prefix, errs).map(cmq_sdk::enums::Open::<#e>::from))
        }
        ParamType::String => quote!(d::string(obj, &#spec, prefix, errs)),
        ParamType::StringList => quote!(d::string_list(obj, &#spec, prefix, errs)),
        ParamType::Object | ParamType::Json => {
            let r = reader(&p.shape);
            quote!(d::object(obj, &#spec, prefix, errs, #r))
        }
        ParamType::ObjectList => {
            let r = reader(&p.shape);
            quote!(d::object_list(obj, &#spec, prefix, errs, #r))
        }
    }
}

/// The mock's reader of a request model (`model_tag`).
pub fn reader_name(shape: &str) -> String {
    format!("model_{}", snake(shape))
}

/// Notes for a setter's doc: JSON key, requirement, range, unit, length, items, values,
/// pattern, default, and what a linked API 2.0 parameter says.
pub fn notes(p: &Param) -> Vec<String> {
    let mut n = vec![format!(
        "JSON key `{}`; {}.",
        p.wire,
        if p.required {
            "**required**"
        } else {
            "optional"
        }
    )];
    let unit = p
        .unit
        .map(|u| format!(" {}", u.words()))
        .unwrap_or_default();
    match (p.min, p.max) {
        (Some(a), Some(b)) => n.push(format!("Range: {a} to {b}{unit}.")),
        (Some(a), None) => n.push(format!("Minimum: {a}{unit}.")),
        (None, Some(b)) => n.push(format!("Maximum: {b}{unit}.")),
        _ if !unit.is_empty() && p.ty == ParamType::Int => n.push(format!("Unit:{unit}.")),
        _ => {}
    }
    let len_unit = match p.len_unit {
        LenUnit::Bytes => "bytes",
        LenUnit::Chars => "characters",
    };
    let each = if p.ty == ParamType::StringList {
        " each"
    } else {
        ""
    };
    match (p.min_len, p.max_len) {
        (Some(a), Some(b)) => n.push(format!("Length{each}: {a} to {b} {len_unit}.")),
        (None, Some(b)) => n.push(format!("Length{each}: at most {b} {len_unit}.")),
        (Some(a), None) => n.push(format!("Length{each}: at least {a} {len_unit}.")),
        _ => {}
    }
    if let Some(k) = p.max_items {
        n.push(format!("At most {k} items."));
    }
    if let Some(k) = p.max_dots {
        n.push(format!("At most {k} `.` delimiters."));
    }
    if !p.one_of.is_empty() {
        let vals: Vec<String> = p.one_of.iter().map(|x| format!("`{x}`")).collect();
        n.push(format!("One of {}.", vals.join(", ")));
    }
    if let Some(id) = &p.pattern {
        n.push(format!("Pattern: `{id}`."));
    }
    if let Some(v) = &p.default {
        n.push(format!("Server default: `{v}`."));
    }
    if let Some(by) = &p.default_by {
        let pairs: Vec<String> = (by.values.iter())
            .map(|(k, v)| format!("`{k}` → `{v}`"))
            .collect();
        n.push(format!(
            "Server default by `{}`: {}.",
            by.param,
            pairs.join(", ")
        ));
    }
    if let Some(l) = &p.link {
        let there = if l.differs.is_empty() {
            String::new()
        } else {
            format!(" (there: {})", l.differs.join(", "))
        };
        n.push(format!("API 2.0: `{}`{there}.", l.wire));
    }
    if !p.see.is_empty() {
        let links: Vec<String> = p.see.iter().map(|u| format!("<{u}>")).collect();
        n.push(format!("See {}.", links.join(", ")));
    }
    n
}

/// Annotates parameter `p` of the constraint module at `spec_path` (`create_cmq_queue`,
/// `shapes::tag`); `member` for a request model's member (checks into `out` under `path`).
pub fn build(p: &Param, spec_path: &TokenStream, member: bool) -> Param3 {
    let field = snake(&p.wire);
    let const_name = shouty(&p.wire);
    let binding = ident(&super::super::profiles::binding(&p.wire));
    let t = types(p);
    let wire_lit = str_lit(&p.wire).into_token_stream();
    let (name, out) = if member {
        (
            quote!(&crate::api3::decode::path(path, #wire_lit)),
            quote!(out),
        )
    } else {
        (quote!(#wire_lit), quote!(&mut v))
    };
    let konst = ident(&const_name);
    let mock_spec = quote!(cmq_sdk::generated::v3::constraints::#spec_path::#konst);
    let mut doc = doc_lines(&p.doc);
    doc.push(String::new());
    doc.extend(notes(p));
    let serde_attr =
        quote!(#[serde(rename = #wire_lit, default, skip_serializing_if = "Option::is_none")]);
    let types_path = enum_path(p);
    Param3 {
        wire: p.wire.clone(),
        wire_lit: Code(wire_lit),
        rust_type: Code(t.rust),
        arg_type: Code(t.arg),
        conv: Code(t.conv),
        serde_attr: Code(serde_attr),
        spec: SpecConst {
            expr: spec_expr(
                &p.wire,
                p,
                &|id| super::super::tables::pattern_const(id),
                &ident("Api3ErrorId"),
            ),
            const_name,
            doc: format!("Constraints of `{}`.", p.wire),
        },
        check: Code(check(p, &binding, &name, &out)),
        decode: Code(decode(p, &mock_spec)),
        doc,
        typed: typed::common_with(p, &[], &types_path).map(|mut m| {
            if !matches!(&p.link, Some(l) if l.same_enum) {
                m.fns.clear();
            }
            m
        }),
        field,
    }
}
