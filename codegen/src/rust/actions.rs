//! An action in Rust: type and module names, its parameters, rule checks, output struct,
//! long-poll and target expressions, and paging.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use serde::Serialize;

use super::code::{Code, ident, int, opt_i64, str_lit};
use super::names::{camel, snake};
use super::params::{self, ParamModel};
use super::profiles::{self, PatternNames, Tables};
use super::structs::{self, StructModel};
use crate::model::{Action, Operand, Paging, Param, Rule};
use crate::spec::ParamType;

/// An action.
#[derive(Clone, Debug, Serialize)]
pub struct ActionModel {
    /// Wire name.
    pub name: String,
    /// Wire literal.
    pub name_lit: Code,
    /// Module / method name.
    pub snake: String,
    /// Input type.
    pub input: String,
    /// Output type.
    pub output: String,
    /// Fluent request type.
    pub request: String,
    /// Constraint module.
    pub spec_mod: String,
    /// `Group::…` variant.
    pub group: String,
    /// Safe to retry.
    pub idempotent: bool,
    /// The `&[Settles]` literal of the answers that settle a retry after a lost answer.
    pub settled_by_retry: Code,
    /// Whether some answer settles a retry (the output then carries the note).
    pub settles: bool,
    /// Long-polls.
    pub long_polling: bool,
    /// Expression for the long-poll seconds of `self` (`None` when not long-polling).
    pub long_poll_expr: Code,
    /// Expression naming the queue or topic the call targets (for tracing).
    pub target_expr: Code,
    /// Doc lines.
    pub doc: Vec<String>,
    /// The doc's first line.
    pub summary: String,
    /// Parameters.
    pub params: Vec<ParamModel>,
    /// Cross-field validation statements.
    pub rules: Vec<Code>,
    /// Output struct.
    pub output_struct: StructModel,
    /// Error variants.
    pub errors: Vec<String>,
    /// Pagination, if any.
    pub paginated: Option<PaginatedModel>,
    /// The constraint tables per profile.
    pub tables: Tables,
}

/// Pagination fragments.
#[derive(Clone, Debug, Serialize)]
pub struct PaginatedModel {
    /// Item type.
    pub item_type: String,
    /// Offset field of the input.
    pub offset_field: String,
    /// Limit field of the input.
    pub limit_field: String,
    /// Total field of the output.
    pub total_field: String,
    /// Expression turning the output's items field into a Vec.
    pub items_expr: Code,
    /// The `Paging` literal of the constraint table.
    pub paging: Code,
}

/// Annotates action `a`; `versions` is the action on every profile, the default first.
pub fn build(versions: &[(&str, &Action)], names: &PatternNames) -> Option<ActionModel> {
    let ((_, a), others) = versions.split_first()?;
    let spec_mod = snake(&a.name);
    let lists: Vec<(&str, &[Param])> = versions
        .iter()
        .map(|(k, x)| (*k, x.params.as_slice()))
        .collect();
    let tables = profiles::tables(
        names,
        &lists,
        &|p| p.wire.clone(),
        &format!("`{}`", a.name),
        &format!("crate::generated::constraints::{spec_mod}"),
    );
    let params = a
        .params
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let theirs: Vec<(&str, &Param)> = others
                .iter()
                .filter_map(|(k, x)| x.params.get(i).map(|q| (*k, q)))
                .collect();
            params::build(p, &spec_mod, &theirs)
        })
        .collect();
    let field_of = |wire: &str| ident(&snake(wire));
    let long_poll_expr = match &a.long_poll {
        Some(w) => {
            let f = field_of(w);
            quote!(Some(self.#f))
        }
        None => quote!(None),
    };
    let target_expr = match &a.target {
        Some(w) => {
            let f = field_of(w);
            quote!(self.#f.as_deref())
        }
        None => quote!(None),
    };
    let doc = action_doc(a);
    let output = format!("{}Output", a.name);
    let output_doc = format!(
        "The answer to `{}` (the fields at the top level of the JSON envelope).",
        a.name
    );
    let mut output_struct = structs::build(&output, &output_doc, &a.response, false);
    if !a.settled_by_retry.is_empty() {
        output_struct
            .fields
            .push(structs::settled_note_field(&a.name));
    }
    Some(ActionModel {
        settled_by_retry: settles_code(a),
        settles: !a.settled_by_retry.is_empty(),
        tables,
        name_lit: Code(str_lit(&a.name).into_token_stream()),
        snake: spec_mod.clone(),
        input: format!("{}Input", a.name),
        output_struct,
        output,
        request: format!("{}Request", a.name),
        params,
        spec_mod,
        group: camel(a.group.as_str()),
        idempotent: a.idempotent,
        long_polling: a.long_poll.is_some(),
        long_poll_expr: Code(long_poll_expr),
        target_expr: Code(target_expr),
        summary: doc.first().cloned().unwrap_or_default(),
        doc,
        rules: a.rules.iter().map(|r| rule(a, r)).collect(),
        errors: a.errors.clone(),
        paginated: a.paging.as_ref().map(paging),
        name: a.name.clone(),
    })
}

/// The `Settles` table of an action: the answers a retry after a lost answer counts as done.
fn settles_code(a: &Action) -> Code {
    let settles = a.settled_by_retry.iter().map(|s| {
        let error = ident(&s.error);
        let item = match &s.every_item {
            Some(i) => {
                let i = ident(i);
                quote!(Some(ErrorId::#i))
            }
            None => quote!(None),
        };
        quote!(crate::retry::Settles { error: ErrorId::#error, every_item: #item })
    });
    Code(quote!(&[#(#settles),*]))
}

fn action_doc(a: &Action) -> Vec<String> {
    let mut doc = super::facts::doc_with_links(&a.doc, &a.see);
    if !a.state_rules.is_empty() {
        doc.push(String::new());
        doc.push("Rules the server checks against its state:".into());
        doc.extend(
            a.state_rules
                .iter()
                .map(|r| format!("- {} (`{}`)", r.doc, r.error)),
        );
    }
    doc
}

/// The value of an operand as `Option<i64>` (presence only, as 0, for a non-integer).
fn operand(a: &Action, o: &Operand) -> TokenStream {
    let f = ident(&snake(&o.param));
    match &o.member {
        Some(member) => {
            let m = ident(&snake(member));
            quote!(self.#f.as_ref().and_then(|x| x.#m))
        }
        None if a.param(&o.param).is_some_and(|p| p.ty == ParamType::Int) => quote!(self.#f),
        None => {
            let zero: TokenStream = "0_i64".parse().unwrap_or_default();
            quote!(self.#f.as_ref().map(|_| #zero))
        }
    }
}

fn rule(a: &Action, r: &Rule) -> Code {
    rule_of(a, r, &super::params::v2_errors())
}

/// The validation statement of rule `r` of action `a`, naming errors of table `errors`.
pub fn rule_of(a: &Action, r: &Rule, errors: &proc_macro2::Ident) -> Code {
    let error = ident(r.error());
    let [x, y] = r.operands();
    let (xn, yn) = (str_lit(&x.path), str_lit(&y.path));
    let (xe, ye) = (operand(a, x), operand(a, y));
    Code(match r {
        Rule::Order { strict, .. } => {
            quote!(check_order(#xn, #xe, #yn, #ye, #strict, #errors::#error, &mut v);)
        }
        Rule::Requires { .. } => {
            quote!(check_requires(#xn, #xe.is_some(), #yn, #ye.is_some(), #errors::#error, &mut v);)
        }
    })
}

fn paging(p: &Paging) -> PaginatedModel {
    let items = ident(&snake(&p.items));
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
    PaginatedModel {
        item_type: p.item_shape.clone(),
        offset_field: snake(&p.offset),
        limit_field: snake(&p.limit),
        total_field: snake(&p.total),
        items_expr: Code(if p.items_optional {
            quote!(out.#items.unwrap_or_default())
        } else {
            quote!(out.#items)
        }),
        paging: Code(literal),
    }
}
