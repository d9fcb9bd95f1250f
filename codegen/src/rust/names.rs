//! Rust names: how the spec's names become identifiers (heck), and the lints that refuse names
//! that would not compile or would collide after case conversion.

use std::collections::BTreeMap;

use heck::{ToLowerCamelCase, ToShoutySnakeCase, ToSnakeCase, ToUpperCamelCase};

use crate::error::Location;
use crate::lint::Lints;
use crate::model::{Api, Field, Model, Param};

/// Rust's reserved words (strict, reserved and 2018+ keywords).
pub const RUST_KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type",
    "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "gen", "macro",
    "override", "priv", "try", "typeof", "unsized", "virtual", "yield",
];

/// A field, method or module name (`queue_name`).
pub fn snake(s: &str) -> String {
    s.to_snake_case()
}

/// A constant name (`QUEUE_NAME`).
pub fn shouty(s: &str) -> String {
    s.to_shouty_snake_case()
}

/// A type or variant name (`QueueName`).
pub fn camel(s: &str) -> String {
    s.to_upper_camel_case()
}

/// A lowerCamelCase name (`deadLetterPolicy`).
pub fn lower_camel(s: &str) -> String {
    s.to_lower_camel_case()
}

/// The type of a string enum parameter (`notifyStrategy` → `NotifyStrategy`).
pub fn enum_name(wire: &str) -> String {
    camel(wire)
}

/// The variant of an enum value (`EXPONENTIAL_DECAY_RETRY` → `ExponentialDecayRetry`).
pub fn enum_variant(value: &str) -> String {
    value.to_lowercase().to_upper_camel_case()
}

/// Runs every identifier lint over every API of the model, and across them: every action
/// becomes a method of the one `Client`, so no two may share a method name.
pub fn check(model: &Model, l: &mut Lints) {
    for api in &model.apis {
        check_api(api, l);
    }
    let mut methods: BTreeMap<String, String> = BTreeMap::new();
    for api in &model.apis {
        for a in &api.actions {
            let method = snake(&a.name);
            let here = format!("{}:{}", api.id, a.name);
            if let Some(prev) = methods.insert(method.clone(), here) {
                if !prev.starts_with(&format!("{}:", api.id)) {
                    l.push(
                        a.at.join("name"),
                        format!(
                            "action `{}` and `{prev}` become the same client method `{method}`",
                            a.name
                        ),
                    );
                }
            }
        }
    }
}

fn check_api(m: &Api, l: &mut Lints) {
    check_codes(m, l);
    for e in &m.errors {
        check_type_name(&e.id, &e.at.join("id"), l);
    }
    for p in &m.shared_params {
        check_field_name(&snake(&p.wire), &p.at.join("wire"), l);
    }
    for s in &m.shapes {
        check_type_name(&s.id, &s.at, l);
        check_fields(&s.fields, l);
    }
    check_actions(m, l);
    check_enums(m, l);
}

fn check_codes(m: &Api, l: &mut Lints) {
    let mut names = BTreeMap::new();
    for (i, c) in m.codes.iter().enumerate() {
        let at = c.at.join("name");
        check_type_name(&c.name, &at, l);
        if let Some(j) = names.insert(camel(&c.name), i) {
            l.push(
                at,
                format!(
                    "code name `{}` collides with $.codes[{j}] after case conversion",
                    c.name
                ),
            );
        }
    }
}

fn check_actions(m: &Api, l: &mut Lints) {
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for a in &m.actions {
        let at = a.at.join("name");
        check_type_name(&a.name, &at, l);
        let s = snake(&a.name);
        if let Some(prev) = seen.insert(s.clone(), &a.name) {
            l.push(
                at,
                format!(
                    "action `{}` collides with `{prev}` after case conversion (`{s}`)",
                    a.name
                ),
            );
        }
        check_params(&a.params, l);
        check_fields(&a.response, l);
    }
}

fn check_params(params: &[Param], l: &mut Lints) {
    let mut fields: BTreeMap<String, &Param> = BTreeMap::new();
    for p in params {
        let field = snake(&p.wire);
        if let Some(other) = fields.insert(field.clone(), p) {
            if other.wire != p.wire {
                l.push(
                    p.at.clone(),
                    format!(
                        "`{}` collides with `{}` at $.params[{}] after case conversion (`{field}`)",
                        p.wire,
                        other.wire,
                        other.at.index().unwrap_or_default()
                    ),
                );
            }
        }
        check_field_name(&field, &p.at, l);
    }
}

fn check_fields(list: &[Field], l: &mut Lints) {
    let mut seen: BTreeMap<String, &Field> = BTreeMap::new();
    for f in list {
        let field = snake(&f.key);
        check_field_name(&field, &f.at, l);
        if let Some(other) = seen.insert(field.clone(), f) {
            l.push(
                f.at.join("key"),
                format!(
                    "`{}` collides with [{}] after case conversion (`{field}`)",
                    f.key,
                    other.at.index().unwrap_or_default()
                ),
            );
        }
    }
}

/// String enums are named after their parameter: one name, one list of values.
fn check_enums(m: &Api, l: &mut Lints) {
    let mut enums: BTreeMap<String, (&[crate::spec::Scalar], &Location)> = BTreeMap::new();
    for p in m.actions.iter().flat_map(|a| &a.params) {
        if !p.is_string_enum() {
            continue;
        }
        let name = enum_name(&p.wire);
        if let Some((prev, prev_at)) = enums.get(&name) {
            if *prev != p.one_of.as_slice() {
                l.push(
                    p.at.join("enum"),
                    format!("enum `{name}` has other values at {prev_at}"),
                );
            }
            continue;
        }
        let mut seen = BTreeMap::new();
        for v in &p.one_of {
            let variant = enum_variant(&v.text());
            if seen.insert(variant.clone(), ()).is_some() {
                l.push(
                    p.at.join("enum"),
                    format!("enum values of `{name}` collide after case conversion (`{variant}`)"),
                );
            }
        }
        enums.insert(name, (&p.one_of, &p.at));
    }
}

/// A type name (action, error id, shape, code name) must be a non-keyword identifier starting
/// with an ASCII letter.
pub fn check_type_name(name: &str, at: &Location, l: &mut Lints) {
    if !is_ident(name) {
        l.push(at.clone(), format!("`{name}` is not a valid identifier (ASCII letters and digits, starting with a letter)"));
    } else if RUST_KEYWORDS.contains(&name) {
        l.push(at.clone(), format!("`{name}` is a Rust keyword"));
    }
}

/// A field name (after snake-case conversion) must not be a Rust keyword.
pub fn check_field_name(field: &str, at: &Location, l: &mut Lints) {
    if RUST_KEYWORDS.contains(&field) {
        l.push(
            at.clone(),
            format!("`{field}` is a Rust keyword after case conversion"),
        );
    } else if !field.starts_with(|c: char| c.is_ascii_alphabetic()) {
        l.push(
            at.clone(),
            format!("`{field}` does not start with a letter after case conversion"),
        );
    }
}

fn is_ident(s: &str) -> bool {
    let mut cs = s.chars();
    cs.next().is_some_and(|c| c.is_ascii_alphabetic()) && cs.all(|c| c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_rust_conventions() {
        assert_eq!(snake("HTTPStatusCheck"), "http_status_check");
        assert_eq!(shouty("msgID"), "MSG_ID");
        assert_eq!(
            enum_variant("EXPONENTIAL_DECAY_RETRY"),
            "ExponentialDecayRetry"
        );
        assert_eq!(enum_variant("queue-copy"), "QueueCopy");
        assert_eq!(lower_camel("DeadLetterPolicy"), "deadLetterPolicy");
    }

    #[test]
    fn keywords_and_bad_identifiers_are_refused() {
        let mut l = Lints::default();
        let at = Location::new("a.json", "$");
        check_type_name("Self", &at, &mut l);
        check_type_name("2x", &at, &mut l);
        check_field_name("type", &at, &mut l);
        check_field_name("_x", &at, &mut l);
        check_field_name("queue_name", &at, &mut l);
        let msgs: Vec<&str> = l.findings.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(
            msgs,
            [
                "`Self` is a Rust keyword",
                "`2x` is not a valid identifier (ASCII letters and digits, starting with a letter)",
                "`type` is a Rust keyword after case conversion",
                "`_x` does not start with a letter after case conversion",
            ]
        );
    }
}
