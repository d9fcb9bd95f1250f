//! The lints: checks that refuse a bad spec before anything is generated.
//!
//! Every pass pushes its findings into one [`Lints`] collector, so a bad spec yields every
//! finding at once (sorted, deduplicated), each naming the spec file and JSON path. The checks
//! on single values live here; reference, duplicate and pagination checks are made while the
//! neutral model is built ([`mod@crate::model`]); identifier checks (keywords, case-conversion
//! collisions) belong to the Rust annotation pass ([`crate::rust::names`]).

use crate::error::{Error, Finding, Location};
use crate::spec::{Limits, ParamType};

/// Collected findings.
#[derive(Debug, Default)]
pub struct Lints {
    /// Findings so far.
    pub findings: Vec<Finding>,
}

impl Lints {
    /// Records a finding.
    pub fn push(&mut self, at: Location, message: String) {
        self.findings.push(Finding { at, message });
    }

    /// True when nothing was found so far.
    pub fn is_empty(&self) -> bool {
        self.findings.is_empty()
    }

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

/// A doc must be present and non-empty.
pub fn check_doc(doc: &str, at: &Location, l: &mut Lints) {
    if doc.trim().is_empty() {
        l.push(at.clone(), "missing doc".into());
    }
}

/// Documentation links must be `https://` URLs.
pub fn check_see(see: &[String], at: &Location, l: &mut Lints) {
    for (i, u) in see.iter().enumerate() {
        if !u.starts_with("https://") || u.contains(char::is_whitespace) {
            l.push(
                at.join(format!("[{i}]")),
                format!("`{u}` is not an https:// URL"),
            );
        }
    }
}

/// Checks one resolved parameter definition: a doc, ordered bounds, bounds that fit the type,
/// a default inside its range or enum, enum values of the parameter's type.
pub fn check_param(ty: ParamType, doc: &str, c: &Limits, at: &Location, l: &mut Lints) {
    check_doc(doc, &at.join("doc"), l);
    check_bounds(ty, c, at, l);
    check_default(ty, c, at, l);
    for (i, v) in c.one_of.iter().flatten().enumerate() {
        if !matches!(ty, ParamType::Int | ParamType::String) || !v.fits(ty) {
            l.push(
                at.join("enum").join(format!("[{i}]")),
                format!("enum value {} does not fit type `{ty}`", v.json()),
            );
        }
    }
}

fn check_bounds(ty: ParamType, c: &Limits, at: &Location, l: &mut Lints) {
    if let (Some(a), Some(b)) = (c.min, c.max) {
        if a > b {
            l.push(at.join("min"), format!("inverted range: min {a} > max {b}"));
        }
    }
    if let (Some(a), Some(b)) = (c.min_len, c.max_len) {
        if a > b {
            l.push(
                at.join("min_len"),
                format!("inverted length range: min_len {a} > max_len {b}"),
            );
        }
    }
    if let (Some(a), Some(b)) = (c.min_items, c.max_items) {
        if a > b {
            l.push(
                at.join("min_items"),
                format!("inverted item range: min_items {a} > max_items {b}"),
            );
        }
    }
    if (c.min.is_some() || c.max.is_some()) && ty != ParamType::Int {
        l.push(
            at.join("min"),
            format!("min/max apply to `int` parameters, not `{ty}`"),
        );
    }
    let listy = matches!(ty, ParamType::StringList | ParamType::ObjectList);
    if (c.min_items.is_some() || c.max_items.is_some()) && !listy {
        l.push(
            at.join("max_items"),
            format!("min_items/max_items apply to `string_list` parameters, not `{ty}`"),
        );
    }
}

fn check_default(ty: ParamType, c: &Limits, at: &Location, l: &mut Lints) {
    let Some(d) = &c.default else {
        return;
    };
    if !d.fits(ty) {
        l.push(
            at.join("default"),
            format!("default {} does not fit type `{ty}`", d.json()),
        );
    } else if let Some(v) = d.as_int() {
        if c.min.is_some_and(|m| v < m) || c.max.is_some_and(|m| v > m) {
            l.push(
                at.join("default"),
                format!(
                    "default {v} lies outside its range {}..={}",
                    show(c.min),
                    show(c.max)
                ),
            );
        }
    }
    if let Some(vals) = &c.one_of {
        if !vals.contains(d) {
            l.push(
                at.join("default"),
                format!("default {} is not one of the enum values", d.json()),
            );
        }
    }
}

fn show(v: Option<i64>) -> String {
    v.map_or(String::new(), |x| x.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Scalar;

    fn findings(ty: ParamType, c: &Limits) -> Vec<String> {
        let mut l = Lints::default();
        check_param(ty, "A doc.", c, &Location::new("f.json", "$.p"), &mut l);
        l.findings.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_sound_parameter_has_no_finding() {
        let c = Limits {
            min: Some(0),
            max: Some(10),
            default: Some(Scalar::Int(3)),
            ..Limits::default()
        };
        assert!(findings(ParamType::Int, &c).is_empty());
    }

    #[test]
    fn bounds_and_defaults_are_checked_against_the_type() {
        let c = Limits {
            min: Some(5),
            max: Some(1),
            default: Some(Scalar::Int(9)),
            max_items: Some(2),
            ..Limits::default()
        };
        assert_eq!(
            findings(ParamType::Int, &c),
            [
                "spec/f.json: $.p.min: inverted range: min 5 > max 1",
                "spec/f.json: $.p.max_items: min_items/max_items apply to `string_list` parameters, not `int`",
                "spec/f.json: $.p.default: default 9 lies outside its range 5..=1",
            ]
        );
    }

    #[test]
    fn enum_values_and_defaults_must_fit() {
        let c = Limits {
            default: Some(Scalar::Text("c".into())),
            one_of: Some(vec![Scalar::Text("a".into()), Scalar::Int(2)]),
            ..Limits::default()
        };
        assert_eq!(
            findings(ParamType::String, &c),
            [
                "spec/f.json: $.p.default: default \"c\" is not one of the enum values",
                "spec/f.json: $.p.enum[1]: enum value 2 does not fit type `string`",
            ]
        );
        let mut l = Lints::default();
        check_doc(" ", &Location::new("f.json", "$.doc"), &mut l);
        assert_eq!(l.findings[0].message, "missing doc");
    }
}
