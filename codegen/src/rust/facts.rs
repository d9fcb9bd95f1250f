//! Service facts as typed constants: counts and sizes as `usize`, durations as `Duration`,
//! integers as `i64`, flags as `bool`, texts as `&str`.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use serde::Serialize;

use super::code::{Code, doc_lines, int, str_lit};
use super::names::shouty;
use crate::model::{Fact, Model};
use crate::spec::{FactType, FactValue};

/// A fact's constant.
#[derive(Clone, Debug, Serialize)]
pub struct FactModel {
    /// Const name.
    pub const_name: String,
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

fn fact(f: &Fact) -> FactModel {
    FactModel {
        const_name: shouty(&f.id),
        rust_type: Code(rust_type(f.ty)),
        value: Code(rust_value(f.ty, &f.value)),
        doc: doc_with_links(&f.doc, &f.see),
    }
}

/// Every fact, by id.
pub fn build(m: &Model) -> Vec<FactModel> {
    m.facts.iter().map(fact).collect()
}
