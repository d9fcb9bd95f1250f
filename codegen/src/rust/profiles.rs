//! Profiles in Rust: the `Profile` enum, and what differs between the profiles' models — a
//! pattern const, a `ParamSpec` of an action's or a shape's table, a setter's notes — found by
//! comparing each profile's annotation with the default's.

use std::collections::BTreeMap;

use quote::ToTokens;
use serde::Serialize;

use super::code::{Code, str_lit};
use super::facts::doc_with_links;
use super::names::{camel, shouty, snake};
use super::params::{SpecConst, spec_expr};
use super::tables::pattern_const;
use crate::model::{Api, Model, Param, Pattern};

/// An API on every profile: `(profile, api)`, the default profile first.
pub type Versions<'m> = [(&'m str, &'m Api)];

/// A variant of the generated `Profile` enum.
#[derive(Clone, Debug, Serialize)]
pub struct ProfileVariant {
    /// Variant name.
    pub variant: String,
    /// Its id, as a literal.
    pub id_lit: Code,
    /// `#[default]` on the default profile, else nothing.
    pub attr: String,
    /// Doc lines.
    pub doc: Vec<String>,
}

/// The `Profile` enum's variants, the default first.
pub fn variants(m: &Model) -> Vec<ProfileVariant> {
    m.profiles
        .iter()
        .enumerate()
        .map(|(i, p)| ProfileVariant {
            variant: camel(&p.id),
            id_lit: Code(str_lit(&p.id).into_token_stream()),
            attr: if i == 0 {
                "#[default]".into()
            } else {
                String::new()
            },
            doc: doc_with_links(&p.doc, &p.see),
        })
        .collect()
}

/// Pattern id → the const holding it, per profile; a pattern that differs on a profile gets
/// its own const (`LEGACY_NAME_PATTERN`).
pub struct PatternNames {
    by_profile: BTreeMap<String, BTreeMap<String, String>>,
}

fn same_pattern(a: &Pattern, b: &Pattern) -> bool {
    a.first == b.first && a.rest == b.rest && a.forbid == b.forbid
}

impl PatternNames {
    /// No pattern renamed (for tables without profiles).
    pub fn empty() -> PatternNames {
        PatternNames {
            by_profile: BTreeMap::new(),
        }
    }

    /// The names for every profile of an API, and the extra patterns to emit (profile,
    /// pattern).
    pub fn new(versions: &Versions<'_>) -> (PatternNames, Vec<(String, Pattern)>) {
        let mut by_profile = BTreeMap::new();
        let mut extra = Vec::new();
        let Some(((profile, default), others)) = versions.split_first() else {
            return (PatternNames::empty(), extra);
        };
        let base: BTreeMap<String, String> = default
            .patterns
            .iter()
            .map(|x| (x.id.clone(), pattern_const(&x.id)))
            .collect();
        by_profile.insert((*profile).to_owned(), base.clone());
        for (profile, api) in others {
            let mut names = base.clone();
            for (a, b) in default.patterns.iter().zip(&api.patterns) {
                if !same_pattern(a, b) {
                    let name = format!("{}_{}", shouty(profile), pattern_const(&b.id));
                    names.insert(b.id.clone(), name);
                    extra.push(((*profile).to_owned(), b.clone()));
                }
            }
            by_profile.insert((*profile).to_owned(), names);
        }
        (PatternNames { by_profile }, extra)
    }

    /// The const of pattern `id` on `profile`.
    pub fn get(&self, profile: &str, id: &str) -> String {
        self.by_profile
            .get(profile)
            .and_then(|m| m.get(id))
            .cloned()
            .unwrap_or_else(|| pattern_const(id))
    }
}

/// The per-profile tables of an action or a validated shape.
#[derive(Clone, Debug, Serialize)]
pub struct Tables {
    /// Number of parameters (members).
    pub len: usize,
    /// The default table's items (const names, spec order).
    pub items: Vec<String>,
    /// Profiles whose constraints differ somewhere, each with what differs.
    pub profiles: Vec<ProfileTable>,
    /// The arms of `table(profile)`.
    pub arms: Vec<TableArm>,
    /// `let [spec_a, spec_b, …] = <path>::table(profile);`
    pub bind: Code,
}

/// One profile's differing constraints.
#[derive(Clone, Debug, Serialize)]
pub struct ProfileTable {
    /// Module name (`legacy`).
    pub module: String,
    /// Doc line.
    pub doc: String,
    /// The constraints that differ.
    pub specs: Vec<SpecConst>,
}

/// An arm of `table(profile)`.
#[derive(Clone, Debug, Serialize)]
pub struct TableArm {
    /// `Profile` variant.
    pub variant: String,
    /// The table const (`TABLE`, `legacy::TABLE`).
    pub table: String,
}

/// The binding a parameter's checks read (`spec_queue_name`).
pub fn binding(wire: &str) -> String {
    format!("spec_{}", snake(wire))
}

/// The tables of one parameter list; `lists` holds each profile's list (default first),
/// `wire` turns a parameter into the `ParamSpec`'s wire name, `path` is the module's path.
pub fn tables(
    names: &PatternNames,
    lists: &[(&str, &[Param])],
    wire: &dyn Fn(&Param) -> String,
    what: &str,
    path: &str,
) -> Tables {
    tables_of(names, lists, wire, what, path, &super::params::v2_errors())
}

/// [`tables`] for the error table `errors` (`Api3ErrorId` for API 3.0).
pub fn tables_of(
    names: &PatternNames,
    lists: &[(&str, &[Param])],
    wire: &dyn Fn(&Param) -> String,
    what: &str,
    path: &str,
    errors: &proc_macro2::Ident,
) -> Tables {
    let Some(((default_profile, base), rest)) = lists.split_first() else {
        return empty_tables();
    };
    let expr = |profile: &str, p: &Param| {
        spec_expr(&wire(p), p, &|id| names.get(profile, id), errors).text()
    };
    let items: Vec<String> = base.iter().map(|p| shouty(&p.wire)).collect();
    let mut arms = vec![TableArm {
        variant: camel(default_profile),
        table: "TABLE".into(),
    }];
    let mut profiles = Vec::new();
    for (profile, list) in rest {
        let specs: Vec<SpecConst> = base
            .iter()
            .zip(list.iter())
            .filter(|(a, b)| expr(default_profile, a) != expr(profile, b))
            .map(|(_, b)| SpecConst {
                const_name: shouty(&b.wire),
                expr: spec_expr(&wire(b), b, &|id| names.get(profile, id), errors),
                doc: format!("Constraints of `{}` on the `{profile}` profile.", b.wire),
            })
            .collect();
        let table = if specs.is_empty() {
            "TABLE".to_owned()
        } else {
            format!("{}::TABLE", snake(profile))
        };
        arms.push(TableArm {
            variant: camel(profile),
            table,
        });
        if !specs.is_empty() {
            profiles.push(ProfileTable {
                module: snake(profile),
                doc: format!("Constraints of {what} that differ on the `{profile}` profile."),
                specs,
            });
        }
    }
    let binds: Vec<String> = base.iter().map(|p| binding(&p.wire)).collect();
    let bind = format!("let [{}] = {path}::table(profile);", binds.join(", "));
    Tables {
        len: base.len(),
        items,
        profiles,
        arms,
        bind: Code(bind.parse().unwrap_or_default()),
    }
}

fn empty_tables() -> Tables {
    Tables {
        len: 0,
        items: Vec::new(),
        profiles: Vec::new(),
        arms: Vec::new(),
        bind: Code::default(),
    }
}

/// A setter's notes with the other profiles' differences folded in:
/// `Range: 0 to 6048000 (legacy profile: 0 to 3600).`
pub fn merge_notes(default: Vec<String>, others: &[(&str, Vec<String>)]) -> Vec<String> {
    let mut out = default;
    for (profile, notes) in others {
        if notes.len() != out.len() {
            let differs = notes.iter().any(|n| !out.contains(n));
            if differs {
                out.push(format!("On the `{profile}` profile: {}", notes.join(" ")));
            }
            continue;
        }
        for (line, other) in out.iter_mut().zip(notes) {
            if line != other {
                *line = merge_line(line, other, profile);
            }
        }
    }
    out
}

fn merge_line(line: &str, other: &str, profile: &str) -> String {
    match (line.split_once(": "), other.split_once(": ")) {
        (Some((a, x)), Some((b, y))) if a == b => format!(
            "{a}: {} (`{profile}` profile: {}).",
            x.trim_end_matches('.'),
            y.trim_end_matches('.')
        ),
        _ => format!("{line} On the `{profile}` profile: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_fold_in_what_differs_per_profile() {
        let d = vec![
            "Wire name `x`; optional.".to_owned(),
            "Range: 0 to 9.".to_owned(),
        ];
        let o = vec![
            "Wire name `x`; optional.".to_owned(),
            "Range: 0 to 3.".to_owned(),
        ];
        assert_eq!(
            merge_notes(d.clone(), &[("legacy", o)]),
            [
                "Wire name `x`; optional.",
                "Range: 0 to 9 (`legacy` profile: 0 to 3)."
            ]
        );
        let extra = vec!["Wire name `x`; optional.".to_owned()];
        assert_eq!(
            merge_notes(extra, &[("legacy", d)]),
            [
                "Wire name `x`; optional.",
                "On the `legacy` profile: Wire name `x`; optional. Range: 0 to 9."
            ]
        );
        assert_eq!(binding("queueName"), "spec_queue_name");
    }
}
