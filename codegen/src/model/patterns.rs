//! Character patterns as plain data: inclusive character ranges and forbidden characters.

use serde::Serialize;

use crate::error::Location;
use crate::lint::{self, Lints};
use crate::spec::{ApiSpec, Profiled};

/// A character pattern: which characters may start a value, which may follow, which never
/// appear. An empty class allows every character.
#[derive(Clone, Debug, Serialize)]
pub struct Pattern {
    /// The spec's id.
    pub id: String,
    /// Description.
    pub doc: String,
    /// Ranges allowed for the first character.
    pub first: Vec<(char, char)>,
    /// Ranges allowed after the first character.
    pub rest: Vec<(char, char)>,
    /// Characters never allowed.
    pub forbid: Vec<char>,
}

impl Pattern {
    /// True when `c` may stand at the start (`first`) or later.
    pub fn allows(&self, c: char, first: bool) -> bool {
        let class = if first { &self.first } else { &self.rest };
        !self.forbid.contains(&c) && in_class(c, class)
    }

    /// True when `v` follows the pattern (the empty string does).
    pub fn matches(&self, v: &str) -> bool {
        v.chars().enumerate().all(|(i, c)| self.allows(c, i == 0))
    }
}

/// True when `c` lies in one of the ranges (an empty class allows everything).
pub fn in_class(c: char, class: &[(char, char)]) -> bool {
    class.is_empty() || class.iter().any(|&(lo, hi)| lo <= c && c <= hi)
}

pub(super) fn build(api: &ApiSpec, profile: &str, l: &mut Lints) -> Vec<Pattern> {
    api.patterns()
        .iter()
        .map(|(id, p)| {
            let at = api.at("protocol.json", format!("$.patterns.{id}"));
            lint::check_doc(&p.doc, &at.join("doc"), l);
            Pattern {
                id: id.clone(),
                doc: p.doc.clone(),
                first: class(items(&p.first, profile), &at.join("first"), l),
                rest: class(items(&p.rest, profile), &at.join("rest"), l),
                forbid: forbid(items(&p.forbid, profile), &at.join("forbid"), l),
            }
        })
        .collect()
}

fn items<'s>(v: &'s Profiled<Vec<String>>, profile: &str) -> &'s [String] {
    v.at(profile).map_or(&[], Vec::as_slice)
}

fn class(items: &[String], at: &Location, l: &mut Lints) -> Vec<(char, char)> {
    let mut out = Vec::new();
    for (i, it) in items.iter().enumerate() {
        let chars: Vec<char> = it.chars().collect();
        match chars.as_slice() {
            [c] => out.push((*c, *c)),
            [a, '-', b] if a <= b => out.push((*a, *b)),
            _ => l.push(
                at.join(format!("[{i}]")),
                format!("`{it}` is neither one character nor a range like `a-z`"),
            ),
        }
    }
    out
}

fn forbid(items: &[String], at: &Location, l: &mut Lints) -> Vec<char> {
    let mut out = Vec::new();
    for (i, f) in items.iter().enumerate() {
        let cs: Vec<char> = f.chars().collect();
        if let [c] = cs.as_slice() {
            out.push(*c);
        } else {
            l.push(
                at.join(format!("[{i}]")),
                format!("`{f}` is not one character"),
            );
        }
    }
    out
}
