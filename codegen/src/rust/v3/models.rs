//! API 3.0 models (shapes) and response structs in Rust: serde-derived structs whose fields are
//! tolerant of `null` and of absent keys; a model used by requests (`Tag`, `Filter`) also gets
//! its members' constraint table, checks and the mock's member reader.

use proc_macro2::TokenStream;
use quote::quote;
use serde::Serialize;

use super::super::code::{Code, doc_lines, ident, str_lit};
use super::super::names::snake;
use super::super::profiles::{PatternNames, Tables, tables_of};
use super::params::{self, Param3};
use crate::model::{Field, Param, Shape};
use crate::spec::FieldType;

/// A serde struct: a model or an action's response.
#[derive(Clone, Debug, Serialize)]
pub struct Struct3 {
    /// Type name.
    pub name: String,
    /// Doc lines.
    pub doc: Vec<String>,
    /// Fields.
    pub fields: Vec<Field3>,
    /// A model used by requests: validated, with setters and a mock reader.
    pub validated: bool,
    /// Its members as parameters (validated models).
    pub members: Vec<Param3>,
    /// The constraint module's name (validated models).
    pub mod_name: String,
    /// The member tables per profile (validated models).
    pub tables: Tables,
    /// The mock's reader function name (validated models).
    pub reader: String,
    /// The members' JSON keys, as an array literal (validated models).
    pub keys: Code,
}

/// A field of a [`Struct3`].
#[derive(Clone, Debug, Serialize)]
pub struct Field3 {
    /// Rust field name.
    pub field: String,
    /// Rust type as declared.
    pub rust_type: Code,
    /// The serde attribute.
    pub serde_attr: Code,
    /// Doc lines.
    pub doc: Vec<String>,
}

/// The Rust type of a value of field type `ty` (shape `shape`).
fn inner(ty: FieldType, shape: Option<&str>) -> TokenStream {
    let s = ident(shape.unwrap_or("Value"));
    match ty {
        FieldType::Int => quote!(i64),
        FieldType::Bool => quote!(bool),
        FieldType::String => quote!(String),
        FieldType::StringList => quote!(Vec<String>),
        FieldType::Json | FieldType::Object => quote!(#s),
        FieldType::ObjectList => quote!(Vec<#s>),
    }
}

/// A response field: nullable → `Option` (null written as `null`), may be absent →
/// `Option` (left out when `None`), else the value itself (`null` or absent read as its
/// default).
pub fn field(f: &Field) -> Field3 {
    let t = inner(f.ty, f.shape.as_deref());
    let key = str_lit(&f.key);
    let (rust_type, attr) = if f.nullable {
        (quote!(Option<#t>), quote!(#[serde(rename = #key, default)]))
    } else if f.optional {
        (
            quote!(Option<#t>),
            quote!(#[serde(rename = #key, default, skip_serializing_if = "Option::is_none")]),
        )
    } else {
        (
            t,
            quote!(#[serde(rename = #key, default, deserialize_with = "crate::api3::de::null_default")]),
        )
    };
    Field3 {
        field: snake(&f.key),
        rust_type: Code(rust_type),
        serde_attr: Code(attr),
        doc: field_doc(f),
    }
}

fn field_doc(f: &Field) -> Vec<String> {
    let mut doc = doc_lines(&f.doc);
    doc.push(String::new());
    let mut note = format!("JSON key `{}`", f.key);
    if let Some(u) = f.unit {
        note.push_str(&format!(", in {}", u.words()));
    }
    if f.nullable {
        note.push_str("; may be null (`None`)");
    } else if f.optional {
        note.push_str("; may be absent (`None`)");
    }
    if let Some(l) = &f.link {
        note.push_str(&format!("; API 2.0: `{}`", l.wire));
    }
    note.push('.');
    doc.push(note);
    doc
}

/// The request id every answer carries.
pub fn request_id_field() -> Field3 {
    Field3 {
        field: "request_id".into(),
        rust_type: Code(quote!(String)),
        serde_attr: Code(quote!(#[serde(rename = "RequestId")])),
        doc: vec![
            "The id of the request (every answer carries it).".into(),
            String::new(),
            "JSON key `RequestId`.".into(),
        ],
    }
}

/// The struct of a model; `versions` is the model on every profile where the API exists, the
/// default first.
pub fn model(versions: &[(&str, &Shape)], names: &PatternNames) -> Option<Struct3> {
    let ((_, s), _) = versions.split_first()?;
    let mod_name = snake(&s.id);
    let spec_path: TokenStream = format!("shapes::{mod_name}").parse().unwrap_or_default();
    let (fields, members) = if s.validated {
        let members: Vec<Param3> = s
            .members
            .iter()
            .map(|m| params::build(m, &spec_path, true))
            .collect();
        let fields = members.iter().map(member_field).collect();
        (fields, members)
    } else {
        (s.fields.iter().map(field).collect(), Vec::new())
    };
    let lists: Vec<(&str, &[Param])> = versions
        .iter()
        .map(|(k, x)| (*k, x.members.as_slice()))
        .collect();
    let tables = tables_of(
        names,
        if s.validated { &lists } else { &[] },
        &|p| p.wire.clone(),
        &format!("the members of `{}`", s.id),
        &format!("crate::generated::v3::constraints::shapes::{mod_name}"),
        &ident("Api3ErrorId"),
    );
    let keys = s.fields.iter().map(|f| str_lit(&f.key));
    Some(Struct3 {
        name: s.id.clone(),
        doc: doc_lines(&s.doc),
        fields,
        validated: s.validated,
        members,
        reader: params::reader_name(&s.id),
        keys: Code(quote!(&[#(#keys),*])),
        tables,
        mod_name,
    })
}

/// The field of a validated model's member: an `Option`, left out when `None`.
fn member_field(p: &Param3) -> Field3 {
    let t = &p.rust_type;
    Field3 {
        field: p.field.clone(),
        rust_type: Code(quote!(Option<#t>)),
        serde_attr: p.serde_attr.clone(),
        doc: p.doc.clone(),
    }
}
