//! An action's parameter in Rust: field, setter types, the `ParamSpec` literal of the
//! constraint table, and the validation, encoding and mock-decoding fragments.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use serde::Serialize;

use super::code::{Code, doc_lines, ident, int, opt_i64, opt_usize, str_lit};
use super::names::{enum_name, shouty, snake};
use super::typed::{self, TypedModule};
use crate::model::Param;
use crate::spec::{LenUnit, ParamType, Scalar, ViolationKind};

/// A `ParamSpec` constant.
#[derive(Clone, Debug, Serialize)]
pub struct SpecConst {
    /// Const name.
    pub const_name: String,
    /// The literal.
    pub expr: Code,
    /// Doc line.
    pub doc: String,
}

/// A parameter of an action.
#[derive(Clone, Debug, Serialize)]
pub struct ParamModel {
    /// Rust field.
    pub field: String,
    /// Setter for an `Option` (`set_queue_name`).
    pub set_field: String,
    /// Field type (without the `Option`).
    pub rust_type: Code,
    /// Setter argument type.
    pub arg_type: Code,
    /// Conversion of `v` into the field type.
    pub conv: Code,
    /// The constraint const.
    pub spec: SpecConst,
    /// Validation statements (push into `v`).
    pub check: Code,
    /// Encoding statement (into `out`).
    pub encode: Code,
    /// Mock decoding expression (from `p` into `errs`).
    pub decode: Code,
    /// Doc lines for the field and setters.
    pub doc: Vec<String>,
    /// Typed limits and defaults, if it states any.
    pub typed: Option<TypedModule>,
}

/// The field of `ViolationErrors` for each kind.
fn errors_field(kind: ViolationKind) -> &'static str {
    match kind {
        ViolationKind::Type => "type_",
        ViolationKind::Enum => "enum_",
        other => other.as_str(),
    }
}

/// A `Scalar` of the constraint table.
fn scalar(v: &Scalar) -> TokenStream {
    match v {
        Scalar::Int(i) => {
            let i = int(*i);
            quote!(Scalar::Int(#i))
        }
        Scalar::Text(t) => {
            let t = str_lit(t);
            quote!(Scalar::Text(#t))
        }
    }
}

/// The error table API 2.0's constraint tables name (`ErrorId`).
pub fn v2_errors() -> proc_macro2::Ident {
    ident("ErrorId")
}

/// The `ParamSpec { … }` literal of `p`, under wire name `wire`; `pattern` names the const of
/// a pattern id (it differs per profile when the pattern does); `errors` is the error table's
/// type (`ErrorId`, `Api3ErrorId`).
pub fn spec_expr(
    wire: &str,
    p: &Param,
    pattern: &dyn Fn(&str) -> String,
    errors: &proc_macro2::Ident,
) -> Code {
    let kind = ident(match p.ty {
        ParamType::Int => "Int",
        ParamType::String => "String",
        ParamType::StringList => "StringList",
        ParamType::Json => "Json",
        ParamType::Bool => "Bool",
        ParamType::Object => "Object",
        ParamType::ObjectList => "ObjectList",
    });
    let unit = ident(match p.len_unit {
        LenUnit::Chars => "Chars",
        LenUnit::Bytes => "Bytes",
    });
    let pattern = match &p.pattern {
        None => quote!(None),
        Some(id) => {
            let c = ident(&pattern(id));
            quote!(Some(#c))
        }
    };
    let one_of = p.one_of.iter().map(scalar);
    let default = match &p.default {
        None => quote!(None),
        Some(v) => {
            let v = scalar(v);
            quote!(Some(#v))
        }
    };
    let errors = ViolationKind::ALL.iter().map(|k| {
        let (f, id) = (ident(errors_field(*k)), ident(p.error(*k)));
        quote!(#f: #errors::#id)
    });
    let (wire, required) = (str_lit(wire), p.required);
    let (min, max) = (opt_i64(p.min), opt_i64(p.max));
    let (min_len, max_len) = (opt_usize(p.min_len), opt_usize(p.max_len));
    let max_dots = opt_usize(p.max_dots);
    let (min_items, max_items) = (opt_usize(p.min_items), opt_usize(p.max_items));
    Code(quote! {
        ParamSpec {
            wire: #wire, kind: ParamKind::#kind, required: #required, min: #min, max: #max,
            default: #default, min_len: #min_len, max_len: #max_len, len_unit: LenUnit::#unit,
            pattern: #pattern, one_of: &[#(#one_of),*], max_dots: #max_dots,
            min_items: #min_items, max_items: #max_items,
            errors: ViolationErrors { #(#errors),* }
        }
    })
}

/// Notes for a setter's doc: wire name, requirement, range, length, items, enum, default.
pub fn notes(p: &Param) -> Vec<String> {
    let mut n = vec![format!(
        "Wire name `{}`; {}.",
        p.wire,
        if p.required {
            "**required**"
        } else {
            "optional"
        }
    )];
    match (p.min, p.max) {
        (Some(a), Some(b)) => n.push(format!("Range: {a} to {b}.")),
        (Some(a), None) => n.push(format!("Minimum: {a}.")),
        (None, Some(b)) => n.push(format!("Maximum: {b}.")),
        _ => {}
    }
    let unit = match p.len_unit {
        LenUnit::Bytes => "bytes",
        LenUnit::Chars => "characters",
    };
    match (p.min_len, p.max_len) {
        (Some(a), Some(b)) => n.push(format!("Length: {a} to {b} {unit}.")),
        (None, Some(b)) => n.push(format!("Length: at most {b} {unit}.")),
        (Some(a), None) => n.push(format!("Length: at least {a} {unit}.")),
        _ => {}
    }
    if let Some(k) = p.max_items {
        n.push(format!("At most {k} items, sent as `{}.n`.", p.wire));
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
        let pairs: Vec<String> = by
            .values
            .iter()
            .map(|(k, v)| format!("`{k}` → `{v}`"))
            .collect();
        n.push(format!(
            "Server default by `{}`: {}.",
            by.param,
            pairs.join(", ")
        ));
    }
    if !p.see.is_empty() {
        let links: Vec<String> = p.see.iter().map(|u| format!("<{u}>")).collect();
        n.push(format!("See {}.", links.join(", ")));
    }
    n
}

/// The path of a constraint const from the mock (`cmq_sdk::…`).
fn spec_path(krate: &str, module: &str, konst: &str) -> TokenStream {
    let (krate, module, konst) = (ident(krate), ident(module), ident(konst));
    quote!(#krate::generated::constraints::#module::#konst)
}

/// Rust types and fragments of one parameter, by how it travels.
struct Fragments {
    rust_type: TokenStream,
    arg_type: TokenStream,
    conv: TokenStream,
    check: TokenStream,
    encode: TokenStream,
    decode: TokenStream,
}

fn fragments(p: &Param, sdk: &TokenStream, mock: &TokenStream) -> Fragments {
    let f = ident(&snake(&p.wire));
    let wire = str_lit(&p.wire);
    let put = |method: &str, value: TokenStream, by_ref: bool| {
        let m = ident(method);
        let amp = by_ref.then(|| quote!(&));
        quote!(if let Some(x) = #amp self.#f { out.#m(#wire, #value); })
    };
    match p.ty {
        ParamType::Bool | ParamType::Object | ParamType::ObjectList => {
            // An API 2.0 parameter never has these types (the style lint refuses them).
            let stop = quote!(compile_error!("an API 3.0 type in an API 2.0 action"));
            Fragments {
                rust_type: stop.clone(),
                arg_type: stop.clone(),
                conv: stop.clone(),
                check: stop.clone(),
                encode: stop.clone(),
                decode: stop,
            }
        }
        ParamType::Int => Fragments {
            rust_type: quote!(i64),
            arg_type: quote!(i64),
            conv: quote!(v),
            check: quote!(check_int(#sdk, self.#f, &mut v);),
            encode: put("push_int", quote!(x), false),
            decode: quote!(p.int(&#mock, errs)),
        },
        ParamType::StringList => Fragments {
            rust_type: quote!(Vec<String>),
            arg_type: quote!(impl IntoIterator<Item = impl Into<String>>),
            conv: quote!(v.into_iter().map(Into::into).collect()),
            check: quote!(check_list(#sdk, self.#f.as_deref(), &mut v);),
            encode: put("push_list", quote!(x), true),
            decode: quote!(p.list(&#mock, errs)),
        },
        ParamType::Json => {
            let shape = ident(p.shape.as_deref().unwrap_or("Value"));
            Fragments {
                rust_type: quote!(#shape),
                arg_type: quote!(#shape),
                conv: quote!(v),
                check: quote! {
                    check_json_present(#sdk, self.#f.as_ref(), &mut v);
                    if let Some(x) = &self.#f { x.validate_into_for(profile, &mut v); }
                },
                encode: put("push_json", quote!(x), true),
                decode: quote!(p.json::<#shape>(&#mock, errs)),
            }
        }
        ParamType::String if p.is_string_enum() => {
            let e = ident(&enum_name(&p.wire));
            Fragments {
                rust_type: quote!(crate::enums::Open<#e>),
                arg_type: quote!(impl Into<crate::enums::Open<#e>>),
                conv: quote!(v.into()),
                check: quote!(check_string(#sdk, self.#f.as_ref().map(crate::enums::Open::as_str), &mut v);),
                encode: put("push_str", quote!(x.as_str()), true),
                decode: quote!(p.string(&#mock, errs).map(cmq_sdk::enums::Open::<#e>::from)),
            }
        }
        ParamType::String => Fragments {
            rust_type: quote!(String),
            arg_type: quote!(impl Into<String>),
            conv: quote!(v.into()),
            check: quote!(check_string(#sdk, self.#f.as_deref(), &mut v);),
            encode: put("push_str", quote!(x), true),
            decode: quote!(p.string(&#mock, errs)),
        },
    }
}

/// Annotates parameter `p` of the action whose constraint module is `spec_mod`; `others` are
/// the same parameter on the other profiles (their differences go into the notes and keep
/// typed constants out).
pub fn build(p: &Param, spec_mod: &str, others: &[(&str, &Param)]) -> ParamModel {
    let field = snake(&p.wire);
    let const_name = shouty(&p.wire);
    let sdk = ident(&super::profiles::binding(&p.wire)).into_token_stream();
    let mock = spec_path("cmq_sdk", spec_mod, &const_name);
    let fr = fragments(p, &sdk, &mock);
    let mut doc = doc_lines(&p.doc);
    doc.push(String::new());
    let other_notes: Vec<(&str, Vec<String>)> =
        others.iter().map(|(k, q)| (*k, notes(q))).collect();
    doc.extend(super::profiles::merge_notes(notes(p), &other_notes));
    ParamModel {
        set_field: format!("set_{field}"),
        field,
        rust_type: Code(fr.rust_type),
        arg_type: Code(fr.arg_type),
        conv: Code(fr.conv),
        spec: SpecConst {
            expr: spec_expr(
                &p.wire,
                p,
                &|id| super::tables::pattern_const(id),
                &v2_errors(),
            ),
            const_name,
            doc: format!("Constraints of `{}`.", p.wire),
        },
        check: Code(fr.check),
        encode: Code(fr.encode),
        decode: Code(fr.decode),
        doc,
        typed: typed::common(p, others),
    }
}
