//! String enums: one type per `string` parameter whose values are listed, named after it.

use std::collections::BTreeMap;

use quote::ToTokens;
use serde::Serialize;

use super::code::{Code, doc_lines, str_lit};
use super::names::{enum_name, enum_variant};
use crate::model::{Model, Param};

/// A string enum.
#[derive(Clone, Debug, Serialize)]
pub struct EnumModel {
    /// Type name.
    pub name: String,
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
pub fn build(m: &Model) -> Vec<EnumModel> {
    let mut out: BTreeMap<String, EnumModel> = BTreeMap::new();
    for p in m.actions.iter().flat_map(|a| &a.params) {
        if p.is_string_enum() {
            let name = enum_name(&p.wire);
            out.entry(name.clone())
                .or_insert_with(|| enum_model(name, p));
        }
    }
    out.into_values().collect()
}

fn enum_model(name: String, p: &Param) -> EnumModel {
    let mut doc = doc_lines(&p.doc);
    doc.push(String::new());
    doc.push("Values the spec does not know are kept in `Other`.".into());
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
        name,
        doc,
        variants,
    }
}
