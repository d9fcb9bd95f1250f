//! The derived half of the conformance corpus (`spec/conformance/`).
//!
//! [`boundaries`] reads only the neutral model's typed facts (parameters, members, rules,
//! patterns, the error table) and writes, for every constrained parameter of every action and
//! every member of a `json` parameter's shape, full wire requests: a valid base request (a
//! valid value for every required parameter, derived from its constraints) plus **one**
//! mutation, with the answer the spec implies: `"ok"`, or the error of the violated kind (code,
//! module code and the exact `(module)text` message with `%s` filled with the parameter's wire
//! name). Expectations come from the spec's facts, never from the validators under test, so a
//! hand edit to a generated constraint, or a symmetric bug in code the SDK and the mock share,
//! shows up as a failing case.
//!
//! [`constraints`] lists every constraint the spec states, for the coverage report of
//! `cargo xtask coverage`.

mod cases;
mod json_rules;
mod output;
mod tc3;
mod values;

use std::collections::BTreeMap;

pub use output::boundaries;

/// The derived cases of `api` on the model's profile, when there are any: every API 2.0 (style
/// `cmq`) API has them; an API 3.0 one only on the profiles where it exists.
pub fn boundaries_for(
    model: &crate::model::Model,
    api: &Api,
) -> Result<Option<String>, crate::error::Error> {
    match &api.tc3 {
        None => boundaries(model, api).map(Some),
        Some(t) if t.available => output::boundaries_tc3(model, api).map(Some),
        Some(_) => Ok(None),
    }
}

use crate::model::{Api, ErrorDef, Param};
use crate::spec::{ParamType, ViolationKind};
use cases::{Case, Expect, Gen};

/// Where the derived cases of API `api` on `profile` are written, relative to the workspace
/// root: `spec/conformance/generated/boundaries.tdmq.json` for API 2.0 (`v2`, the API the
/// corpus was written for), `boundaries.<api>.<profile>.json` for any other.
pub fn boundaries_path(api: &str, profile: &str) -> String {
    if api == "v2" {
        format!("spec/conformance/generated/boundaries.{profile}.json")
    } else {
        format!("spec/conformance/generated/boundaries.{api}.{profile}.json")
    }
}

/// Known gaps among the derived cases (case name patterns → why), relative to the root.
pub const EXPECTED_FAILURES: &str = "spec/conformance/expected_failures.json";

/// The hand-written corpus files, relative to the workspace root.
pub const HAND_WRITTEN: &[&str] = &[
    "spec/conformance/requests.json",
    "spec/conformance/responses.json",
    "spec/conformance/malformed.json",
];

/// The API 3.0 corpus files (requests and responses; computed by the tools in
/// `spec/conformance/tools/`), relative to the workspace root. Malformed API 3.0 requests are all
/// derived.
pub const HAND_WRITTEN_V3: &[&str] = &[
    "spec/conformance/requests.v3.json",
    "spec/conformance/responses.v3.json",
];

fn action_cases(m: &Api, a: &crate::model::Action) -> Result<Vec<Case>, String> {
    let mut base = BTreeMap::new();
    for p in a.params.iter().filter(|p| p.required) {
        values::put_valid(m, &mut base, p)
            .ok_or_else(|| format!("{}: no valid value for `{}`", a.name, p.wire))?;
    }
    let mut g = Gen {
        m,
        a,
        base: base.clone(),
        cases: Vec::new(),
    };
    g.push("", "base", "valid", true, base, Expect::Ok);
    for p in &a.params {
        g.param_cases(p);
    }
    for r in &a.rules {
        g.rule_cases(r);
    }
    Ok(g.cases)
}

/// Every derived case with its unique name (`Action/param/constraint/mutation`, `#n` on
/// repeats).
fn all_cases(m: &Api) -> Result<Vec<(String, Case)>, String> {
    let mut out = Vec::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for a in &m.actions {
        for c in action_cases(m, a)? {
            let mut name = format!("{}/{}/{}/{}", c.action, c.param, c.constraint, c.mutation)
                .replace("//", "/");
            let n = seen.entry(name.clone()).or_insert(0);
            *n += 1;
            if *n > 1 {
                name = format!("{name}#{n}");
            }
            out.push((name, c));
        }
    }
    Ok(out)
}

// ------------------------------------------------------------------------------------------
// Constraints (for coverage).

/// One constraint of the spec: an action, a parameter path and a kind (`missing`, `range`, …;
/// for rules `rule:le(a,b)` with the operands as path).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Constraint {
    /// The action.
    pub action: String,
    /// The parameter path (`queueName`, `deadLetterPolicy.policy`; for rules the operands).
    pub param: String,
    /// The kind.
    pub kind: String,
}

impl std::fmt::Display for Constraint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} {}", self.action, self.param, self.kind)
    }
}

/// The constraint kinds a parameter (or a member) states.
fn fact_kinds(f: &Param, member: bool) -> Vec<&'static str> {
    use ViolationKind as K;
    let mut k: Vec<K> = Vec::new();
    let stated = [
        (f.required, K::Missing),
        (f.ty == ParamType::Int, K::Type),
        (f.min.is_some() || f.max.is_some(), K::Range),
        (f.min_len.is_some() || f.max_len.is_some(), K::Length),
        (f.pattern.is_some(), K::Pattern),
        (!f.one_of.is_empty(), K::Enum),
        (f.max_dots.is_some(), K::Dots),
        (f.min_items.is_some() || f.max_items.is_some(), K::Items),
        (f.ty == ParamType::StringList, K::Contiguous),
        (f.ty == ParamType::Json, K::Json),
        (!member && f.ty != ParamType::StringList, K::NotRepeatable),
    ];
    k.extend(stated.iter().filter(|(on, _)| *on).map(|(_, kind)| *kind));
    let mut out: Vec<&'static str> = k.iter().map(|x| x.as_str()).collect();
    if f.required_if.is_some() {
        out.insert(usize::from(f.required), "required_if");
    }
    out
}

/// The constraint kinds an API 3.0 parameter (or member) states: a wrong JSON type is always
/// possible; lists count items.
fn tc3_kinds(f: &Param) -> Vec<&'static str> {
    use ViolationKind as K;
    let listy = matches!(f.ty, ParamType::StringList | ParamType::ObjectList);
    let stated = [
        (f.required, K::Missing),
        (true, K::Type),
        (f.min.is_some() || f.max.is_some(), K::Range),
        (f.min_len.is_some() || f.max_len.is_some(), K::Length),
        (f.pattern.is_some(), K::Pattern),
        (!f.one_of.is_empty(), K::Enum),
        (f.max_dots.is_some(), K::Dots),
        (
            listy && (f.min_items.is_some() || f.max_items.is_some()),
            K::Items,
        ),
    ];
    stated
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, k)| k.as_str())
        .collect()
}

/// Every constraint of an API 3.0 API: per parameter and member (path `Tags.0.TagKey`), an
/// unknown parameter and a body that is not an object per action, and every rule.
fn tc3_constraints(m: &Api) -> Vec<Constraint> {
    let mut out = Vec::new();
    for a in &m.actions {
        let mut push = |param: String, kind: &str| {
            out.push(Constraint {
                action: a.name.clone(),
                param,
                kind: kind.to_owned(),
            })
        };
        push(String::new(), "body");
        push("NotAParameter".into(), "unknown");
        for p in &a.params {
            for k in tc3_kinds(p) {
                push(p.wire.clone(), k);
            }
            let at = match p.ty {
                ParamType::ObjectList => format!("{}.0", p.wire),
                _ => p.wire.clone(),
            };
            if !m.members(p).is_empty() {
                push(p.wire.clone(), "unknown");
            }
            for mf in m.members(p) {
                for k in tc3_kinds(mf) {
                    push(format!("{at}.{}", mf.wire), k);
                }
            }
        }
        for r in &a.rules {
            let ops = r.operands().map(|o| o.path.as_str()).join(",");
            push(ops.clone(), &format!("rule:{}({ops})", r.kind()));
        }
    }
    out
}

/// Every constraint the spec states: per parameter and member, and every `le`/`lt`/`requires`
/// rule (for an API 3.0 API also the unknown parameter and the malformed body of each action).
pub fn constraints(m: &Api) -> Vec<Constraint> {
    if m.tc3.is_some() {
        return tc3_constraints(m);
    }
    let mut out = Vec::new();
    for a in &m.actions {
        let push = |out: &mut Vec<Constraint>, param: String, kind: String| {
            out.push(Constraint {
                action: a.name.clone(),
                param,
                kind,
            })
        };
        for p in &a.params {
            for k in fact_kinds(p, false) {
                push(&mut out, p.wire.clone(), k.into());
            }
            for mf in m.members(p) {
                for k in fact_kinds(mf, true) {
                    push(&mut out, format!("{}.{}", p.wire, mf.wire), k.into());
                }
            }
        }
        for r in &a.rules {
            let ops = r.operands().map(|o| o.path.as_str()).join(",");
            push(&mut out, ops.clone(), format!("rule:{}({ops})", r.kind()));
        }
    }
    out
}

/// The error of the spec whose code, module code and message (`%s` matching any text) equal
/// these, if any.
pub fn error_for<'m>(m: &'m Api, code: i64, module: i64, message: &str) -> Option<&'m ErrorDef> {
    let text = message.strip_prefix(&format!("({module})"))?;
    m.errors.iter().find(|e| {
        e.cmq() == Some((code, module))
            && match e.message.split_once("%s") {
                None => e.message == text,
                Some((pre, post)) => {
                    text.len() >= pre.len() + post.len()
                        && text.starts_with(pre)
                        && text.ends_with(post)
                }
            }
    })
}
