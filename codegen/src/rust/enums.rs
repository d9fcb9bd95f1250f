//! String enums: one type per `string` parameter whose values are listed, named after it.

use std::collections::BTreeMap;

use quote::{ToTokens, quote};
use serde::Serialize;

use super::code::{Code, doc_lines, ident, str_lit};
use super::names::{enum_name, enum_variant};
use crate::model::{Api, Param};
use crate::spec::EnumCase;

/// A string enum.
#[derive(Clone, Debug, Serialize)]
pub struct EnumModel {
    /// Type name.
    pub name: String,
    /// The parameter's wire name, as a literal.
    pub wire_lit: Code,
    /// How `from_wire` compares, in words.
    pub case_note: String,
    /// The body of `from_wire`.
    pub from_wire: Code,
    /// Doc lines.
    pub doc: Vec<String>,
    /// Variants.
    pub variants: Vec<EnumVariant>,
}

/// A string enum's variant.
#[derive(Clone, Debug, Serialize)]
pub struct EnumVariant {
    /// Variant name.
    pub variant: String,
    /// Wire literal.
    pub wire_lit: Code,
    /// Doc line.
    pub doc: String,
}

/// The enums of every action's string-enum parameters (the first definition names the values),
/// by name.
pub fn build(m: &Api) -> Vec<EnumModel> {
    let mut out: BTreeMap<String, EnumModel> = BTreeMap::new();
    for p in m.actions.iter().flat_map(|a| &a.params) {
        if p.is_string_enum() {
            let name = enum_name(&p.wire);
            out.entry(name.clone())
                .or_insert_with(|| enum_model(name, p, m.protocol.enum_case));
        }
    }
    out.into_values().collect()
}

fn from_wire(name: &str, p: &Param, case: EnumCase) -> (String, Code) {
    let ty = ident(name);
    match case {
        EnumCase::Exact => {
            let arms = p.one_of.iter().map(|v| {
                let (w, var) = (str_lit(&v.text()), ident(&enum_variant(&v.text())));
                quote!(#w => Some(#ty::#var),)
            });
            (
                "exactly as listed".into(),
                Code(quote!(match s { #(#arms)* _ => None })),
            )
        }
        EnumCase::AsciiInsensitive => (
            "ignoring ASCII case".into(),
            Code(quote!(#ty::ALL.iter().copied().find(|v| v.as_str().eq_ignore_ascii_case(s)))),
        ),
    }
}

fn enum_model(name: String, p: &Param, case: EnumCase) -> EnumModel {
    let mut doc = doc_lines(&p.doc);
    doc.push(String::new());
    doc.push(
        "Values the spec does not list travel as [`Open::Other`](crate::enums::Open::Other)."
            .into(),
    );
    let (case_note, from_wire) = from_wire(&name, p, case);
    let variants = p
        .one_of
        .iter()
        .map(|v| {
            let v = v.text();
            EnumVariant {
                variant: enum_variant(&v),
                wire_lit: Code(str_lit(&v).into_token_stream()),
                doc: format!("`{v}`"),
            }
        })
        .collect();
    EnumModel {
        wire_lit: Code(str_lit(&p.wire).into_token_stream()),
        case_note,
        from_wire,
        name,
        doc,
        variants,
    }
}
