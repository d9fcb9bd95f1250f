//! Service facts as typed constants: counts and sizes as `usize`, durations as `Duration`,
//! integers as `i64`, flags as `bool`, texts as `&str`.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use serde::Serialize;

use super::code::{Code, doc_lines, int, str_lit};
use super::names::{camel, shouty, snake};
use crate::model::{Fact, Model};
use crate::spec::{FactType, FactValue};

/// A fact's constant (and field of `Facts`).
#[derive(Clone, Debug, Serialize)]
pub struct FactModel {
    /// Const name.
    pub const_name: String,
    /// Field of `Facts`.
    pub field: String,
    /// Its type as a field of `Facts`.
    pub field_type: Code,
    /// Its Rust type.
    pub rust_type: Code,
    /// Its value.
    pub value: Code,
    /// Doc lines.
    pub doc: Vec<String>,
}

/// The Rust type of a fact of type `ty`.
pub fn rust_type(ty: FactType) -> TokenStream {
    match ty {
        FactType::Count | FactType::Bytes => quote!(usize),
        FactType::Seconds => quote!(Duration),
        FactType::Int => quote!(i64),
        FactType::Bool => quote!(bool),
        FactType::Text => quote!(&str),
    }
}

/// The Rust value of `v` as a fact of type `ty`.
pub fn rust_value(ty: FactType, v: &FactValue) -> TokenStream {
    match (ty, v) {
        (FactType::Seconds, FactValue::Int(i)) => {
            let n = proc_macro2::Literal::u64_unsuffixed(u64::try_from(*i).unwrap_or(0));
            quote!(Duration::from_secs(#n))
        }
        (FactType::Count | FactType::Bytes, FactValue::Int(i)) => {
            proc_macro2::Literal::u64_unsuffixed(u64::try_from(*i).unwrap_or(0)).into_token_stream()
        }
        (_, FactValue::Int(i)) => int(*i),
        (_, FactValue::Bool(b)) => quote!(#b),
        (_, FactValue::Text(s)) => str_lit(s).into_token_stream(),
    }
}

/// Doc lines of a text followed by its links.
pub fn doc_with_links(doc: &str, see: &[String]) -> Vec<String> {
    let mut lines = doc_lines(doc);
    if !see.is_empty() {
        lines.push(String::new());
        let links: Vec<String> = see.iter().map(|u| format!("<{u}>")).collect();
        lines.push(format!("See {}.", links.join(", ")));
    }
    lines
}

/// One profile's facts: the `Facts` literal.
#[derive(Clone, Debug, Serialize)]
pub struct ProfileFacts {
    /// Const name (`TDMQ`).
    pub const_name: String,
    /// `Profile` variant.
    pub variant: String,
    /// The profile's id.
    pub id: String,
    /// Field values, in fact order.
    pub values: Vec<FieldValue>,
}

/// A field of a `Facts` literal.
#[derive(Clone, Debug, Serialize)]
pub struct FieldValue {
    /// The field.
    pub field: String,
    /// Its value.
    pub value: Code,
}

fn shown(ty: FactType, v: &FactValue) -> String {
    match (ty, v) {
        (FactType::Seconds, FactValue::Int(i)) => format!("{i} s"),
        (_, FactValue::Text(t)) => format!("{t:?}"),
        (_, other) => other.to_string(),
    }
}

fn fact(f: &Fact, versions: &[(&str, &Fact)]) -> FactModel {
    let mut doc = doc_with_links(&f.doc, &f.see);
    let profiled = versions.iter().any(|(_, g)| g.value != f.value);
    if profiled {
        let each: Vec<String> = versions
            .iter()
            .map(|(p, g)| format!("`{p}`: {}", shown(g.ty, &g.value)))
            .collect();
        doc.push(String::new());
        doc.push(format!("By profile: {}.", each.join(", ")));
    }
    FactModel {
        const_name: shouty(&f.id),
        field: snake(&f.id),
        field_type: Code(match f.ty {
            FactType::Text => quote!(&'static str),
            other => rust_type(other),
        }),
        rust_type: Code(rust_type(f.ty)),
        value: Code(rust_value(f.ty, &f.value)),
        doc,
    }
}

/// Every fact (for the `Facts` struct), the facts that hold on every profile, and each
/// profile's facts; `all` holds every profile's model, the default first.
pub fn build(all: &[&Model]) -> (Vec<FactModel>, Vec<FactModel>, Vec<ProfileFacts>) {
    let Some(m) = all.first() else {
        return (Vec::new(), Vec::new(), Vec::new());
    };
    let mut every = Vec::new();
    let mut shared = Vec::new();
    for (i, f) in m.facts.iter().enumerate() {
        let versions: Vec<(&str, &Fact)> = all
            .iter()
            .filter_map(|x| Some((x.profile.as_str(), x.facts.get(i)?)))
            .collect();
        let model = fact(f, &versions);
        if versions.iter().all(|(_, g)| g.value == f.value) {
            shared.push(model.clone());
        }
        every.push(model);
    }
    let profiles = all
        .iter()
        .map(|x| ProfileFacts {
            const_name: shouty(&x.profile),
            variant: camel(&x.profile),
            id: x.profile.clone(),
            values: x
                .facts
                .iter()
                .map(|f| FieldValue {
                    field: snake(&f.id),
                    value: Code(rust_value(f.ty, &f.value)),
                })
                .collect(),
        })
        .collect();
    (every, shared, profiles)
}
