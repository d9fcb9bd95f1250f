//! Typed limits and defaults of one parameter (`constraints::<action>::<param>::MAX`, …), for
//! runtime code that needs a number of the spec in a const context.

use proc_macro2::{Literal, TokenStream};
use quote::{ToTokens, quote};
use serde::Serialize;

use super::code::{Code, ident, int, str_lit};
use super::names::{enum_name, enum_variant, snake};
use crate::model::Param;
use crate::spec::{LenUnit, Scalar};

/// A module of typed constants for one parameter.
#[derive(Clone, Debug, Serialize)]
pub struct TypedModule {
    /// Module name (the parameter's field name).
    pub module: String,
    /// Doc line.
    pub doc: String,
    /// The constants.
    pub consts: Vec<TypedConst>,
    /// Functions (`default_for`), as items.
    pub fns: Vec<Code>,
}

/// One typed constant.
#[derive(Clone, Debug, Serialize)]
pub struct TypedConst {
    /// Const name (`MAX`).
    pub name: String,
    /// Rust type.
    pub rust_type: Code,
    /// Value.
    pub value: Code,
    /// Doc line.
    pub doc: String,
}

fn konst(name: &str, rust_type: TokenStream, value: TokenStream, doc: String) -> TypedConst {
    TypedConst {
        name: name.to_owned(),
        rust_type: Code(rust_type),
        value: Code(value),
        doc,
    }
}

fn usize_lit(v: u64) -> TokenStream {
    Literal::u64_unsuffixed(v).into_token_stream()
}

/// The typed default of `p`: an `i64`, a string enum's variant (of the enum at `types`), or a
/// `&str`.
fn default(p: &Param, types: &TokenStream) -> Option<TypedConst> {
    let v = p.default.as_ref()?;
    let doc = format!("What the server assumes when `{}` is left out.", p.wire);
    Some(match v {
        Scalar::Int(i) => konst("DEFAULT", quote!(i64), int(*i), doc),
        Scalar::Text(t) if p.is_string_enum() => {
            let e = ident(&enum_name(&p.wire));
            let var = ident(&enum_variant(t));
            let ty = quote!(#types::#e);
            konst("DEFAULT", ty.clone(), quote!(#ty::#var), doc)
        }
        Scalar::Text(t) => konst("DEFAULT", quote!(&str), str_lit(t).into_token_stream(), doc),
    })
}

/// Every typed constant `p` states (string enums found at `types`, the module holding the
/// enum); `None` when it states none.
pub fn module_with(p: &Param, types: &TokenStream) -> Option<TypedModule> {
    let w = &p.wire;
    let unit = match p.len_unit {
        LenUnit::Chars => "characters",
        LenUnit::Bytes => "bytes",
    };
    let mut c = Vec::new();
    let ints = [("MIN", p.min, "smallest"), ("MAX", p.max, "largest")];
    for (name, v, what) in ints {
        if let Some(v) = v {
            c.push(konst(
                name,
                quote!(i64),
                int(v),
                format!("The {what} value of `{w}`."),
            ));
        }
    }
    c.extend(default(p, types));
    let sizes = [
        (
            "MIN_LEN",
            p.min_len,
            format!("The shortest `{w}` (each item of a list), in {unit}."),
        ),
        (
            "MAX_LEN",
            p.max_len,
            format!("The longest `{w}` (each item of a list), in {unit}."),
        ),
        (
            "MAX_DOTS",
            p.max_dots,
            format!("The most `.` characters in `{w}` (each item of a list)."),
        ),
        (
            "MIN_ITEMS",
            p.min_items,
            format!("The fewest items of `{w}`."),
        ),
        (
            "MAX_ITEMS",
            p.max_items,
            format!("The most items of `{w}`."),
        ),
    ];
    for (name, v, doc) in sizes {
        if let Some(v) = v {
            c.push(konst(name, quote!(usize), usize_lit(v), doc));
        }
    }
    let fns: Vec<Code> = default_for(p).into_iter().collect();
    (!c.is_empty() || !fns.is_empty()).then(|| TypedModule {
        module: snake(w),
        doc: format!("Typed limits and defaults of `{w}`."),
        consts: c,
        fns,
    })
}

/// The typed constants of `p` that hold on every profile (`others`: `p` on the other profiles).
pub fn common(p: &Param, others: &[(&str, &Param)]) -> Option<TypedModule> {
    common_with(p, others, &quote!(crate::generated::types))
}

/// [`common`], with string enums found at `types`.
pub fn common_with(
    p: &Param,
    others: &[(&str, &Param)],
    types: &TokenStream,
) -> Option<TypedModule> {
    let mut m = module_with(p, types)?;
    for (_, q) in others {
        let theirs = module_with(q, types);
        let same = |c: &TypedConst| {
            theirs.as_ref().is_some_and(|t| {
                t.consts
                    .iter()
                    .any(|d| d.name == c.name && d.value.text() == c.value.text())
            })
        };
        m.consts.retain(same);
    }
    (!m.consts.is_empty() || !m.fns.is_empty()).then_some(m)
}

/// `default_for(other)`: the default that follows another parameter's value.
fn default_for(p: &Param) -> Option<Code> {
    let by = p.default_by.as_ref()?;
    let (own, other) = (ident(&enum_name(&p.wire)), ident(&enum_name(&by.param)));
    let arg = ident(&snake(&by.param));
    let arms = by.values.iter().map(|(k, v)| {
        let (k, v) = (ident(&enum_variant(k)), ident(&enum_variant(v)));
        quote!(#other::#k => #own::#v,)
    });
    let doc = format!(
        " What the server assumes when `{}` is left out, by `{}`.",
        p.wire, by.param
    );
    Some(Code(quote! {
        #[doc = #doc]
        pub const fn default_for(#arg: crate::generated::types::#other) -> crate::generated::types::#own {
            use crate::generated::types::{#own, #other};
            match #arg { #(#arms)* }
        }
    }))
}
