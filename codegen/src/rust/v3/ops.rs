//! An API 3.0 action in Rust: request, response and fluent type names, its parameters, rule
//! checks, response fields, paging and target.

use quote::{ToTokens, quote};
use serde::Serialize;

use super::super::actions::rule_of;
use super::super::code::{Code, ident, int, opt_i64, str_lit};
use super::super::names::{camel, snake};
use super::super::profiles::{PatternNames, Tables, tables_of};
use super::models::{self, Field3};
use super::params::{self, Param3};
use crate::model::{Action, Paging, Param};

/// An API 3.0 action.
#[derive(Clone, Debug, Serialize)]
pub struct Action3 {
    /// Wire name.
    pub name: String,
    /// Wire literal.
    pub name_lit: Code,
    /// Module / method name.
    pub snake: String,
    /// Request type.
    pub request: String,
    /// Response type.
    pub response: String,
    /// Fluent type.
    pub fluent: String,
    /// `Group::…` variant.
    pub group: String,
    /// Safe to retry.
    pub idempotent: bool,
    /// Expression naming the queue or topic the call targets.
    pub target_expr: Code,
    /// Doc lines.
    pub doc: Vec<String>,
    /// The doc's first line.
    pub summary: String,
    /// Parameters.
    pub params: Vec<Param3>,
    /// The JSON keys of the parameters, as an array literal.
    pub keys: Code,
    /// Cross-field validation statements.
    pub rules: Vec<Code>,
    /// Response fields (`RequestId` last).
    pub response_fields: Vec<Field3>,
    /// Error variants the action can answer with.
    pub errors: Vec<String>,
    /// Pagination, if any.
    pub paginated: Option<Paging3>,
    /// The constraint tables per profile.
    pub tables: Tables,
}

/// Pagination fragments.
#[derive(Clone, Debug, Serialize)]
pub struct Paging3 {
    /// Item type.
    pub item_type: String,
    /// Offset field of the request.
    pub offset_field: String,
    /// Limit field of the request.
    pub limit_field: String,
    /// Total field of the response.
    pub total_field: String,
    /// The items field of the response.
    pub items_field: String,
    /// The `Paging` literal.
    pub paging: Code,
}

/// Annotates action `a`; `versions` is the action on every profile where the API exists, the
/// default first.
pub fn build(versions: &[(&str, &Action)], names: &PatternNames) -> Option<Action3> {
    let ((_, a), _) = versions.split_first()?;
    let spec_mod = snake(&a.name);
    let spec_path = ident(&spec_mod).into_token_stream();
    let lists: Vec<(&str, &[Param])> = versions
        .iter()
        .map(|(k, x)| (*k, x.params.as_slice()))
        .collect();
    let tables = tables_of(
        names,
        &lists,
        &|p| p.wire.clone(),
        &format!("`{}`", a.name),
        &format!("crate::generated::v3::constraints::{spec_mod}"),
        &ident("Api3ErrorId"),
    );
    let params: Vec<Param3> = (a.params.iter())
        .map(|p| params::build(p, &spec_path, false))
        .collect();
    let keys = a.params.iter().map(|p| str_lit(&p.wire));
    let target_expr = match &a.target {
        Some(w) => {
            let f = ident(&snake(w));
            quote!(self.#f.as_deref())
        }
        None => quote!(None),
    };
    let mut response_fields: Vec<Field3> = a.response.iter().map(models::field).collect();
    response_fields.push(models::request_id_field());
    let doc = super::super::facts::doc_with_links(&a.doc, &a.see);
    let errors_ty = ident("Api3ErrorId");
    Some(Action3 {
        name_lit: Code(str_lit(&a.name).into_token_stream()),
        snake: spec_mod,
        request: format!("{}Request", a.name),
        response: format!("{}Response", a.name),
        fluent: format!("{}Fluent", a.name),
        group: camel(a.group.as_str()),
        idempotent: a.idempotent,
        target_expr: Code(target_expr),
        summary: doc.first().cloned().unwrap_or_default(),
        doc: with_state_rules(doc, a),
        params,
        keys: Code(quote!(&[#(#keys),*])),
        rules: a.rules.iter().map(|r| rule_of(a, r, &errors_ty)).collect(),
        response_fields,
        errors: a.errors.clone(),
        paginated: a.paging.as_ref().map(paging),
        tables,
        name: a.name.clone(),
    })
}

fn with_state_rules(mut doc: Vec<String>, a: &Action) -> Vec<String> {
    if !a.state_rules.is_empty() {
        doc.push(String::new());
        doc.push("Rules the service checks against its state:".into());
        doc.extend(
            a.state_rules
                .iter()
                .map(|r| format!("- {} (`{}`)", r.doc, r.error)),
        );
    }
    doc
}

fn paging(p: &Paging) -> Paging3 {
    let [offset, limit, total, item_key] =
        [&p.offset, &p.limit, &p.total, &p.items].map(|s| str_lit(s));
    let (default_offset, default_limit, max_limit) = (
        int(p.default_offset),
        int(p.default_limit),
        int(p.max_limit),
    );
    let (max_offset, min_limit) = (opt_i64(p.max_offset), opt_i64(p.min_limit));
    let literal = quote! {
        Paging {
            offset: #offset, limit: #limit, total: #total, items: #item_key,
            default_offset: #default_offset, max_offset: #max_offset,
            default_limit: #default_limit, min_limit: #min_limit, max_limit: #max_limit
        }
    };
    Paging3 {
        item_type: p.item_shape.clone(),
        offset_field: snake(&p.offset),
        limit_field: snake(&p.limit),
        total_field: snake(&p.total),
        items_field: snake(&p.items),
        paging: Code(literal),
    }
}
