//! Structs read from and written to JSON: an action's output, a shape. A shape used by a `json`
//! parameter also gets its members' constraint consts, checks and lenient decoders.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use serde::Serialize;

use super::code::{Code, doc_lines, ident, str_lit};
use super::names::{lower_camel, shouty, snake};
use super::params::{SpecConst, spec_expr};
use super::profiles::{self, PatternNames, Tables};
use crate::model::{Field, Param, Shape};
use crate::spec::{FieldType, ParamType};

/// A struct read from / written to JSON (an action's output or a shape).
#[derive(Clone, Debug, Serialize)]
pub struct StructModel {
    /// Type name.
    pub name: String,
    /// Raw (all-optional) helper type name.
    pub raw_name: String,
    /// Module name of its member constraints.
    pub mod_name: String,
    /// Doc lines.
    pub doc: Vec<String>,
    /// Fields.
    pub fields: Vec<FieldModel>,
    /// Validation statements (shapes used by `json` parameters).
    pub checks: Vec<Code>,
    /// Constraint consts for validated members.
    pub specs: Vec<SpecConst>,
    /// Whether it has validation.
    pub validated: bool,
    /// Field initialisers decoding members leniently from a JSON object `obj`.
    pub member_decodes: Vec<Code>,
    /// Typed limits and defaults of validated members.
    pub typed: Vec<super::typed::TypedModule>,
    /// The member tables per profile (validated shapes).
    pub tables: Tables,
}

/// A field of a [`StructModel`].
#[derive(Clone, Debug, Serialize)]
pub struct FieldModel {
    /// Rust field name.
    pub field: String,
    /// Rust type as declared.
    pub rust_type: Code,
    /// Type in the raw helper (always `Option<…>`).
    pub raw_type: Code,
    /// The raw helper's fields: the key and each alias.
    pub raw_keys: Vec<RawKey>,
    /// Expression building the field from `raw`.
    pub from_raw: Code,
    /// Statements writing the field into map `m` (key and emitted aliases).
    pub write: Code,
    /// Doc lines.
    pub doc: Vec<String>,
}

/// One key of a raw helper struct.
#[derive(Clone, Debug, Serialize)]
pub struct RawKey {
    /// Raw field name.
    pub raw_field: String,
    /// Its serde attribute (`#[serde(rename = "key", default …)]`).
    pub attr: Code,
}

/// The field of an action's output that says a retry after a lost answer settled the call
/// (never on the wire: decoded as `None`, not written).
pub fn settled_note_field(action: &str) -> FieldModel {
    let ty = quote!(Option<crate::retry::SettledByRetry>);
    FieldModel {
        field: "settled_by_retry".to_owned(),
        rust_type: Code(ty.clone()),
        raw_type: Code(ty),
        raw_keys: Vec::new(),
        from_raw: Code(quote!(None)),
        write: Code(TokenStream::new()),
        doc: vec![
            format!("Not on the wire. `Some` when an attempt of this `{action}` lost its answer (transport error, timeout or"),
            "6000-class answer) and the retry answered what the spec's `settled_by_retry` says a done call".to_owned(),
            "answers: the call is reported as a success, with that answer here. `None` for a plain answer.".to_owned(),
        ],
    }
}

/// The struct of a shape; `versions` is the shape on every profile, the default first.
pub fn shape(versions: &[(&str, &Shape)], names: &PatternNames) -> Option<StructModel> {
    let ((_, s), others) = versions.split_first()?;
    let mut st = build(&s.id, &s.doc, &s.fields, s.validated);
    if s.validated {
        members(s, others, &mut st);
        let lists: Vec<(&str, &[Param])> = versions
            .iter()
            .map(|(k, x)| (*k, x.members.as_slice()))
            .collect();
        let prefix = lower_camel(&s.id);
        st.tables = profiles::tables(
            names,
            &lists,
            &|p| format!("{prefix}.{}", p.wire),
            &format!("the members of `{}`", s.id),
            &format!("crate::generated::constraints::shapes::{}", snake(&s.id)),
        );
    }
    Some(st)
}

/// The struct of an output or a shape, without member validation.
pub fn build(name: &str, doc: &str, fields: &[Field], validated: bool) -> StructModel {
    StructModel {
        name: name.to_owned(),
        raw_name: format!("{name}Raw"),
        mod_name: snake(name),
        doc: doc_lines(doc),
        fields: fields.iter().map(|f| field(f, validated)).collect(),
        checks: Vec::new(),
        specs: Vec::new(),
        validated,
        member_decodes: Vec::new(),
        typed: Vec::new(),
        tables: profiles::tables(&PatternNames::empty(), &[], &|p| p.wire.clone(), "", ""),
    }
}

fn inner_type(f: &Field) -> TokenStream {
    let shape = ident(f.shape.as_deref().unwrap_or("Value"));
    match f.ty {
        FieldType::Int => quote!(i64),
        FieldType::Bool => quote!(bool),
        FieldType::String => quote!(String),
        FieldType::StringList => quote!(Vec<String>),
        FieldType::Json | FieldType::Object => quote!(#shape),
        FieldType::ObjectList => quote!(Vec<#shape>),
    }
}

fn field(f: &Field, validated: bool) -> FieldModel {
    let name = snake(&f.key);
    let fid = ident(&name);
    let inner = inner_type(f);
    let optional = f.optional || validated;
    let rust_type = if optional {
        quote!(Option<#inner>)
    } else {
        inner.clone()
    };
    let raw_keys = raw_keys(f, &name);
    let chain = raw_keys.iter().skip(1).map(|k| {
        let r = ident(&k.raw_field);
        quote!(.or(raw.#r))
    });
    let first = ident(&raw_keys[0].raw_field);
    let key = str_lit(&f.key);
    let from_raw = if optional {
        quote!(raw.#first #(#chain)*)
    } else {
        quote!(raw.#first #(#chain)* .ok_or_else(|| D::Error::missing_field(#key))?)
    };
    let emitted = std::iter::once(&f.key).chain(f.aliases.iter().filter(|_| f.emit_aliases));
    let write = emitted.map(|k| {
        let k = str_lit(k);
        if optional {
            quote!(if let Some(x) = &self.#fid { m.serialize_entry(#k, x)?; })
        } else {
            quote!(m.serialize_entry(#k, &self.#fid)?;)
        }
    });
    FieldModel {
        field: name,
        rust_type: Code(rust_type),
        raw_type: Code(quote!(Option<#inner>)),
        raw_keys,
        from_raw: Code(from_raw),
        write: Code(quote!(#(#write)*)),
        doc: field_doc(f),
    }
}

fn raw_keys(f: &Field, name: &str) -> Vec<RawKey> {
    // A single JSON object may also arrive as a JSON-encoded string.
    let lenient = matches!(f.ty, FieldType::Object | FieldType::Json);
    let attr = |key: &str| {
        let key = str_lit(key);
        let with =
            lenient.then(|| quote!(, deserialize_with = "crate::operation::object_or_json_string"));
        Code(quote!(#[serde(rename = #key, default #with)]))
    };
    let mut out = vec![RawKey {
        raw_field: format!("k_{name}"),
        attr: attr(&f.key),
    }];
    for (j, a) in f.aliases.iter().enumerate() {
        out.push(RawKey {
            raw_field: format!("k_{name}_alias{j}"),
            attr: attr(a),
        });
    }
    out
}

fn field_doc(f: &Field) -> Vec<String> {
    let mut doc = doc_lines(&f.doc);
    doc.push(String::new());
    let alias_note = if f.aliases.is_empty() {
        String::new()
    } else {
        let keys: Vec<String> = f.aliases.iter().map(|a| format!("`{a}`")).collect();
        format!(" (also read from {})", keys.join(", "))
    };
    let absent = if f.optional { "; may be absent" } else { "" };
    doc.push(format!("JSON key `{}`{alias_note}{absent}.", f.key));
    doc
}

/// Member consts, checks and decoders of a validated shape (`others`: the shape on the other
/// profiles).
fn members(s: &Shape, others: &[(&str, &Shape)], st: &mut StructModel) {
    let module = ident(&snake(&s.id));
    for (i, p) in s.members.iter().enumerate() {
        let konst = shouty(&p.wire);
        let path = {
            let k = ident(&konst);
            quote!(#module::#k)
        };
        let spec = ident(&profiles::binding(&p.wire)).into_token_stream();
        let f = ident(&snake(&p.wire));
        let (check, decode) = match p.ty {
            ParamType::Int => (quote!(check_int), quote!(json_int)),
            _ => (quote!(check_string), quote!(json_string)),
        };
        let value = match p.ty {
            ParamType::Int => quote!(self.#f),
            _ => quote!(self.#f.as_deref()),
        };
        st.checks.push(Code(quote!(#check(#spec, #value, out);)));
        st.member_decodes
            .push(Code(quote!(#f: #decode(obj, &#path, out),)));
        if let Some(ri) = &p.required_if {
            st.checks
                .push(required_when(p, &spec, &ri.field, &ri.equals.text()));
        }
        let wire = format!("{}.{}", lower_camel(&s.id), p.wire);
        let theirs: Vec<(&str, &Param)> = others
            .iter()
            .filter_map(|(k, x)| x.members.get(i).map(|q| (*k, q)))
            .collect();
        st.typed.extend(super::typed::common(p, &theirs));
        st.specs.push(SpecConst {
            const_name: konst,
            expr: spec_expr(
                &wire,
                p,
                &|id| super::tables::pattern_const(id),
                &super::params::v2_errors(),
            ),
            doc: format!("Constraints of member `{}`.", p.wire),
        });
    }
}

fn required_when(p: &Param, spec: &TokenStream, other: &str, value: &str) -> Code {
    let cond = str_lit(&format!("{other} is {value}"));
    let other = ident(&snake(other));
    let f = ident(&snake(&p.wire));
    let value = str_lit(value).into_token_stream();
    Code(quote! {
        check_required_when(#spec, #cond, self.#other.map(|x| x.to_string()).as_deref() == Some(#value), self.#f.is_some(), out);
    })
}
