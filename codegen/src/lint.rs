//! The lints: checks that refuse a bad spec before anything is generated.
//!
//! Reference checks (unknown params, shapes, errors, patterns), duplicates and case-conversion
//! collisions are made while the model is built ([`crate::model`]); the checks on single values
//! live here. Every finding names the spec file and JSON path.

use serde_json::Value;

use crate::error::{Error, Finding, Location};
use crate::spec::Param;

/// Collected findings.
#[derive(Debug, Default)]
pub struct Lints {
    /// Findings so far.
    pub findings: Vec<Finding>,
}

impl Lints {
    /// `Ok` when nothing was found, else every finding (sorted, deduplicated).
    pub fn finish(mut self) -> Result<(), Error> {
        if self.findings.is_empty() {
            return Ok(());
        }
        self.findings.sort();
        self.findings.dedup();
        Err(Error::Lint(self.findings))
    }
}

/// Rust's reserved words (strict, reserved and 2018+ keywords).
pub const RUST_KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type",
    "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "gen", "macro",
    "override", "priv", "try", "typeof", "unsized", "virtual", "yield",
];

/// A doc must be present and non-empty.
pub fn check_doc(doc: &str, at: &Location, l: &mut Lints) {
    if doc.trim().is_empty() {
        l.push(at.clone(), "missing doc".into());
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
    } else if field.is_empty()
        || !field
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
    {
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

/// Checks one resolved parameter: known type, ordered bounds, default inside its range or enum.
pub fn check_param(p: &Param, at: &Location, types: &[&str], l: &mut Lints) {
    check_doc(&p.doc, &at.join("doc"), l);
    if !types.contains(&p.ty.as_str()) {
        l.push(
            at.join("type"),
            format!(
                "unknown parameter type `{}` (one of {})",
                p.ty,
                types.join(", ")
            ),
        );
    }
    if let (Some(a), Some(b)) = (p.min, p.max) {
        if a > b {
            l.push(at.join("min"), format!("inverted range: min {a} > max {b}"));
        }
    }
    if let (Some(a), Some(b)) = (p.min_len, p.max_len) {
        if a > b {
            l.push(
                at.join("min_len"),
                format!("inverted length range: min_len {a} > max_len {b}"),
            );
        }
    }
    if let (Some(a), Some(b)) = (p.min_items, p.max_items) {
        if a > b {
            l.push(
                at.join("min_items"),
                format!("inverted item range: min_items {a} > max_items {b}"),
            );
        }
    }
    if (p.min.is_some() || p.max.is_some()) && p.ty != "int" {
        l.push(
            at.join("min"),
            format!("min/max apply to `int` parameters, not `{}`", p.ty),
        );
    }
    if (p.min_items.is_some() || p.max_items.is_some()) && p.ty != "string_list" {
        l.push(
            at.join("max_items"),
            format!(
                "min_items/max_items apply to `string_list` parameters, not `{}`",
                p.ty
            ),
        );
    }
    if let Some(d) = &p.default {
        match (p.ty.as_str(), d) {
            ("int", Value::Number(n)) => {
                if let Some(v) = n.as_i64() {
                    if p.min.is_some_and(|m| v < m) || p.max.is_some_and(|m| v > m) {
                        l.push(
                            at.join("default"),
                            format!(
                                "default {v} lies outside its range {}..={}",
                                show(p.min),
                                show(p.max)
                            ),
                        );
                    }
                } else {
                    l.push(at.join("default"), format!("default {n} is not an integer"));
                }
            }
            ("string", Value::String(_)) => {}
            (ty, v) => l.push(
                at.join("default"),
                format!("default {v} does not fit type `{ty}`"),
            ),
        }
        if let Some(vals) = &p.one_of {
            if !vals.contains(d) {
                l.push(
                    at.join("default"),
                    format!("default {d} is not one of the enum values"),
                );
            }
        }
    }
    if let Some(vals) = &p.one_of {
        for (i, v) in vals.iter().enumerate() {
            let ok = match p.ty.as_str() {
                "int" => v.is_i64(),
                "string" => v.is_string(),
                _ => false,
            };
            if !ok {
                l.push(
                    at.join("enum").join(format!("[{i}]")),
                    format!("enum value {v} does not fit type `{}`", p.ty),
                );
            }
        }
    }
}

fn show(v: Option<i64>) -> String {
    v.map_or(String::new(), |x| x.to_string())
}
