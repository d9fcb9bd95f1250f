//! The derived half of the conformance corpus (`spec/conformance/`), and its coverage report.
//!
//! [`boundaries`] reads only the model's constraint facts ([`ParamFacts`], [`RuleFacts`],
//! [`PatternFacts`], the error table) and writes, for every constrained parameter of every action
//! and every member of a `json` parameter's shape, full wire requests: a valid base request (a
//! valid value for every required parameter, derived from its constraints) plus **one**
//! mutation, with the answer the spec implies: `"ok"`, or the error of the violated kind (code,
//! module code and the exact `(module)text` message with `%s` filled with the parameter's wire
//! name). Expectations come from the spec's facts, never from the validators under test, so a
//! hand edit to a generated constraint, or a symmetric bug in code the SDK and the mock share,
//! shows up as a failing case.
//!
//! [`coverage`] reads the whole corpus (hand-written and derived) and reports, per action, the
//! parameters, constraints and errors it exercises, and every constraint no malformed case
//! breaks.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::{Map, Value};

use crate::error::Error;
use crate::model::{ActionModel, ErrorModel, Model, ParamFacts, PatternFacts, RuleFacts};

/// Where the derived cases are written, relative to the workspace root.
pub const BOUNDARIES_PATH: &str = "spec/conformance/generated/boundaries.json";

/// Known gaps among the derived cases (case name patterns → why), relative to the root.
pub const EXPECTED_FAILURES: &str = "spec/conformance/expected_failures.json";

/// The hand-written corpus files, relative to the workspace root.
pub const HAND_WRITTEN: &[&str] = &[
    "spec/conformance/requests.json",
    "spec/conformance/responses.json",
    "spec/conformance/malformed.json",
];

/// Values longer than this are written as `{"prefix": p, "repeat": u, "times": n}`.
const INLINE_MAX: usize = 256;

/// A multi-byte character (2 bytes in UTF-8) used to tell byte lengths from character lengths.
const WIDE: char = 'é';

/// What a case expects.
#[derive(Clone, Debug)]
enum Expect {
    Ok,
    Err {
        /// Error id.
        error: String,
        /// The violation's parameter path (`msgBody.1`, `deadLetterPolicy.policy`).
        param: String,
    },
}

/// One derived case.
#[derive(Clone, Debug)]
struct Case {
    action: String,
    /// The parameter (path) whose constraint the case exercises.
    param: String,
    /// The constraint kind (`range`, `length`, …, `rule:le(a,b)`).
    constraint: String,
    /// What was done, e.g. `max+1`.
    mutation: String,
    /// Whether the request can be expressed as a typed SDK input (false for wire-only
    /// mutations: wrong type, lists with gaps, a scalar sent as a list, text that is not JSON).
    typed: bool,
    params: BTreeMap<String, String>,
    expect: Expect,
}

// ------------------------------------------------------------------------------------------
// Facts: the spec's semantics of each constraint, read independently of the validators.

fn in_class(c: char, class: &[(char, char)]) -> bool {
    class.is_empty() || class.iter().any(|&(lo, hi)| lo <= c && c <= hi)
}

fn pattern_ok(p: &PatternFacts, v: &str) -> bool {
    v.chars().enumerate().all(|(i, c)| {
        let class = if i == 0 { &p.first } else { &p.rest };
        !p.forbid.contains(&c) && in_class(c, class)
    })
}

fn text_len(f: &ParamFacts, v: &str) -> u64 {
    if f.len_unit == "bytes" {
        v.len() as u64
    } else {
        v.chars().count() as u64
    }
}

/// The violation kinds a text value breaks (the empty string breaks no pattern).
fn text_violations(m: &Model, f: &ParamFacts, v: &str) -> Vec<&'static str> {
    let mut out = Vec::new();
    let len = text_len(f, v);
    if f.min_len.is_some_and(|n| len < n) || f.max_len.is_some_and(|n| len > n) {
        out.push("length");
    }
    if let Some(p) = pattern_of(m, f) {
        if !v.is_empty() && !pattern_ok(p, v) {
            out.push("pattern");
        }
    }
    if f.max_dots
        .is_some_and(|n| v.chars().filter(|&c| c == '.').count() as u64 > n)
    {
        out.push("dots");
    }
    if !f.one_of.is_empty() && !f.one_of.iter().any(|x| x == v) {
        out.push("enum");
    }
    out
}

fn int_violations(f: &ParamFacts, v: i64) -> Vec<&'static str> {
    let mut out = Vec::new();
    if f.min.is_some_and(|n| v < n) || f.max.is_some_and(|n| v > n) {
        out.push("range");
    }
    if !f.one_of.is_empty() && !f.one_of.iter().any(|x| x == &v.to_string()) {
        out.push("enum");
    }
    out
}

fn pattern_of<'m>(m: &'m Model, f: &ParamFacts) -> Option<&'m PatternFacts> {
    f.pattern
        .as_ref()
        .and_then(|id| m.pattern_facts.iter().find(|p| &p.id == id))
}

/// A character the value may start with / continue with (preferring `a`).
fn filler(m: &Model, f: &ParamFacts, first: bool) -> char {
    let p = pattern_of(m, f);
    ['a', 'x', 'A', '0', '-', '_']
        .into_iter()
        .find(|&c| {
            p.is_none_or(|p| {
                !p.forbid.contains(&c) && in_class(c, if first { &p.first } else { &p.rest })
            })
        })
        .unwrap_or('a')
}

/// A text of `len` units made of pattern-valid filler characters.
fn text_of_len(m: &Model, f: &ParamFacts, len: u64) -> String {
    let mut s = String::new();
    if len > 0 {
        s.push(filler(m, f, true));
        let rest = filler(m, f, false);
        let per = if f.len_unit == "bytes" {
            rest.len_utf8() as u64
        } else {
            1
        };
        let first_len = text_len(f, &s);
        let n = (len.saturating_sub(first_len)) / per;
        s.extend(std::iter::repeat_n(rest, n as usize));
    }
    s
}

/// A valid text for `f`: its enum's first value, else `hint` when valid, else filler.
fn valid_text(m: &Model, f: &ParamFacts, hint: &str) -> Option<String> {
    if let Some(v) = f.one_of.first() {
        return text_violations(m, f, v).is_empty().then(|| v.clone());
    }
    if text_violations(m, f, hint).is_empty() {
        return Some(hint.to_owned());
    }
    let len = f
        .min_len
        .unwrap_or(1)
        .max(1)
        .min(f.max_len.unwrap_or(u64::MAX));
    let v = text_of_len(m, f, len);
    text_violations(m, f, &v).is_empty().then_some(v)
}

/// A valid integer for `f`: its default, else its first enum value, else its minimum, else 0
/// (or its maximum).
fn valid_int(f: &ParamFacts) -> Option<i64> {
    let mut candidates: Vec<i64> = Vec::new();
    candidates.extend(f.default.as_ref().and_then(|d| d.parse::<i64>().ok()));
    candidates.extend(f.one_of.iter().filter_map(|v| v.parse::<i64>().ok()));
    candidates.extend(f.min);
    candidates.push(0);
    candidates.extend(f.max);
    candidates
        .into_iter()
        .find(|v| int_violations(f, *v).is_empty())
}

/// One item value of a list: `hint` + its 1-based position when valid.
fn valid_item(m: &Model, f: &ParamFacts, hint: &str, pos: usize) -> Option<String> {
    let numbered = format!("{hint}{pos}");
    if f.one_of.is_empty() && text_violations(m, f, &numbered).is_empty() {
        return Some(numbered);
    }
    valid_text(m, f, hint)
}

// ------------------------------------------------------------------------------------------
// Building requests.

/// The members of the shape of a `json` parameter.
fn members<'m>(m: &'m Model, f: &ParamFacts) -> &'m [ParamFacts] {
    f.shape
        .as_ref()
        .and_then(|s| m.shapes.iter().find(|x| &x.name == s))
        .map_or(&[], |s| s.member_facts.as_slice())
}

/// A member value as JSON.
fn valid_member(m: &Model, mf: &ParamFacts) -> Option<Value> {
    match mf.kind.as_str() {
        "int" => valid_int(mf).map(Value::from),
        "string" => valid_text(m, mf, &mf.wire).map(Value::from),
        _ => None,
    }
}

/// A JSON document as an ordered list of members.
type Doc = Vec<(String, Value)>;

fn doc_text(doc: &Doc) -> String {
    let parts: Vec<String> = doc
        .iter()
        .map(|(k, v)| {
            format!(
                "{}:{}",
                Value::from(k.as_str()),
                serde_json::to_string(v).unwrap_or_default()
            )
        })
        .collect();
    format!("{{{}}}", parts.join(","))
}

fn doc_get<'d>(doc: &'d Doc, key: &str) -> Option<&'d Value> {
    doc.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn doc_set(doc: &mut Doc, members: &[ParamFacts], key: &str, v: Value) {
    if let Some(slot) = doc.iter_mut().find(|(k, _)| k == key) {
        slot.1 = v;
        return;
    }
    doc.push((key.to_owned(), v));
    doc_sort(doc, members);
}

/// Puts the members in the shape's order.
fn doc_sort(doc: &mut Doc, members: &[ParamFacts]) {
    let pos = |k: &str| {
        members
            .iter()
            .position(|m| m.wire == k)
            .unwrap_or(usize::MAX)
    };
    doc.sort_by_key(|(k, _)| pos(k));
}

fn doc_remove(doc: &mut Doc, key: &str) {
    doc.retain(|(k, _)| k != key);
}

/// Members whose `required_if` holds in `doc` but which are absent.
fn unmet_required_if<'f>(doc: &Doc, members: &'f [ParamFacts]) -> Vec<&'f ParamFacts> {
    members
        .iter()
        .filter(|mf| {
            mf.required_if.as_ref().is_some_and(|(field, equals)| {
                doc_get(doc, field).is_some_and(|v| &value_text(v) == equals)
            }) && doc_get(doc, &mf.wire).is_none()
        })
        .collect()
}

/// A valid document: every required member, then every member some `required_if` asks for.
fn valid_doc(m: &Model, members: &[ParamFacts]) -> Option<Doc> {
    let mut doc = Doc::new();
    for mf in members.iter().filter(|mf| mf.required) {
        doc.push((mf.wire.clone(), valid_member(m, mf)?));
    }
    for _ in 0..members.len() {
        let unmet: Vec<&ParamFacts> = unmet_required_if(&doc, members);
        if unmet.is_empty() {
            break;
        }
        for mf in unmet {
            let v = valid_member(m, mf)?;
            doc_set(&mut doc, members, &mf.wire, v);
        }
    }
    unmet_required_if(&doc, members).is_empty().then_some(doc)
}

/// Sets the wire pairs of parameter `f` to a valid value.
fn put_valid(m: &Model, req: &mut BTreeMap<String, String>, f: &ParamFacts) -> Option<()> {
    match f.kind.as_str() {
        "int" => {
            req.insert(f.wire.clone(), valid_int(f)?.to_string());
        }
        "string" => {
            req.insert(f.wire.clone(), valid_text(m, f, &f.wire)?);
        }
        "string_list" => {
            let n = f.min_items.unwrap_or(1).max(1);
            let items = (1..=n)
                .map(|i| valid_item(m, f, &f.wire, i as usize))
                .collect::<Option<Vec<_>>>()?;
            put_list(req, f, &items, m.sdk_list_base);
        }
        "json" => {
            req.insert(f.wire.clone(), doc_text(&valid_doc(m, members(m, f))?));
        }
        _ => return None,
    }
    Some(())
}

fn remove_param(req: &mut BTreeMap<String, String>, wire: &str) {
    let prefix = format!("{wire}.");
    req.retain(|k, _| {
        k != wire
            && !(k.starts_with(&prefix)
                && k[prefix.len()..].bytes().all(|b| b.is_ascii_digit())
                && k.len() > prefix.len())
    });
}

fn put_list(req: &mut BTreeMap<String, String>, f: &ParamFacts, items: &[String], base: u32) {
    remove_param(req, &f.wire);
    for (i, v) in items.iter().enumerate() {
        req.insert(
            format!("{}.{}", f.wire, i as u64 + u64::from(base)),
            v.clone(),
        );
    }
}

// ------------------------------------------------------------------------------------------
// Case generation.

struct Gen<'m> {
    m: &'m Model,
    a: &'m ActionModel,
    base: BTreeMap<String, String>,
    cases: Vec<Case>,
}

/// `base` with `wire` set to `value` (other pairs of `wire` removed).
fn with(base: &BTreeMap<String, String>, wire: &str, value: &str) -> BTreeMap<String, String> {
    let mut r = base.clone();
    remove_param(&mut r, wire);
    r.insert(wire.to_owned(), value.to_owned());
    r
}

fn err(f: &ParamFacts, kind: &str, param: &str) -> Expect {
    Expect::Err {
        error: f.errors.get(kind).cloned().unwrap_or_default(),
        param: param.to_owned(),
    }
}

impl<'m> Gen<'m> {
    fn push(
        &mut self,
        param: &str,
        constraint: &str,
        mutation: &str,
        typed: bool,
        params: BTreeMap<String, String>,
        expect: Expect,
    ) {
        let mut params = params;
        if !constraint.starts_with("rule:") {
            self.complete(&mut params);
        }
        self.cases.push(Case {
            action: self.a.name.clone(),
            param: param.to_owned(),
            constraint: constraint.to_owned(),
            mutation: mutation.to_owned(),
            typed,
            params,
            expect,
        });
    }

    /// Keeps a mutation single: when a `requires` rule's `if` parameter is sent and its `then`
    /// parameter is not, sends a valid `then` too (the rule has cases of its own).
    fn complete(&self, req: &mut BTreeMap<String, String>) {
        for r in self.a.rule_facts.iter().filter(|r| r.kind == "requires") {
            let (Some(iff), Some(then)) = (r.operands.first(), r.operands.get(1)) else {
                continue;
            };
            if iff.contains('.') || then.contains('.') {
                continue;
            }
            let sent = |w: &str, req: &BTreeMap<String, String>| {
                req.contains_key(w)
                    || req.keys().any(|k| {
                        k.strip_prefix(w)
                            .and_then(|x| x.strip_prefix('.'))
                            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                    })
            };
            if req.contains_key(iff.as_str()) && !sent(then, req) {
                if let Some(p) = self.a.params.iter().find(|p| &p.facts.wire == then) {
                    let _ = put_valid(self.m, req, &p.facts);
                }
            }
        }
    }

    /// Text mutations (length, pattern, dots, enum) of `f`; `apply` builds the request for one
    /// value and `path` is the violation's parameter path.
    fn text_cases(
        &mut self,
        f: &ParamFacts,
        param: &str,
        path: &str,
        apply: &dyn Fn(&str) -> BTreeMap<String, String>,
    ) {
        let m = self.m;
        let mut tries: Vec<(&str, String, String)> = Vec::new(); // (kind, mutation, value)
        if let Some(n) = f.min_len {
            if n >= 1 {
                tries.push((
                    "length",
                    format!("min_len-1={}", n - 1),
                    text_of_len(m, f, n - 1),
                ));
            }
            tries.push(("length", format!("min_len={n}"), text_of_len(m, f, n)));
        }
        if let Some(n) = f.max_len {
            tries.push(("length", format!("max_len={n}"), text_of_len(m, f, n)));
            tries.push((
                "length",
                format!("max_len+1={}", n + 1),
                text_of_len(m, f, n + 1),
            ));
            let wide_ok = pattern_of(m, f).is_none_or(|p| pattern_ok(p, &format!("a{WIDE}")));
            if wide_ok && f.one_of.is_empty() && n >= 2 {
                if f.len_unit == "bytes" {
                    // More bytes than allowed in fewer characters than allowed.
                    let k = (n + 2) / 2;
                    tries.push((
                        "length",
                        format!("max_len+1_bytes_as_{k}_chars"),
                        std::iter::repeat_n(WIDE, k as usize).collect(),
                    ));
                } else {
                    // Exactly max_len characters, twice as many bytes.
                    tries.push((
                        "length",
                        format!("max_len_chars_as_{}_bytes", 2 * n),
                        std::iter::repeat_n(WIDE, n as usize).collect(),
                    ));
                }
            }
        }
        if let Some(p) = pattern_of(m, f) {
            let len = f.min_len.unwrap_or(2).max(2);
            let good_first = filler(m, f, true);
            let good_rest = filler(m, f, false);
            if !p.first.is_empty() {
                let bad = ['0', '-', '_', '.', '!', WIDE]
                    .into_iter()
                    .find(|&c| !in_class(c, &p.first) && !p.forbid.contains(&c));
                if let Some(c) = bad {
                    let mut v = String::from(c);
                    v.extend(std::iter::repeat_n(good_rest, len as usize - 1));
                    tries.push(("pattern", format!("first_char={c:?}"), v));
                }
            }
            if !p.rest.is_empty() {
                let bad = ['!', ' ', '.', '@', '*', WIDE]
                    .into_iter()
                    .find(|&c| !in_class(c, &p.rest) && !p.forbid.contains(&c));
                if let Some(c) = bad {
                    let mut v = String::from(good_first);
                    v.push(c);
                    v.extend(std::iter::repeat_n(
                        good_rest,
                        len.saturating_sub(2) as usize,
                    ));
                    tries.push(("pattern", format!("char={c:?}"), v));
                }
            }
            for &c in &p.forbid {
                tries.push((
                    "pattern",
                    format!("forbidden={c:?}"),
                    format!("{good_first}{c}{good_rest}"),
                ));
            }
        }
        if let Some(n) = f.max_dots {
            let dotted = |k: u64| {
                let mut v = String::from(filler(m, f, true));
                for _ in 0..k {
                    v.push('.');
                    v.push(filler(m, f, false));
                }
                v
            };
            tries.push(("dots", format!("dots={n}"), dotted(n)));
            tries.push(("dots", format!("dots+1={}", n + 1), dotted(n + 1)));
        }
        if let Some(first) = f.one_of.first() {
            for v in &f.one_of {
                tries.push(("enum", format!("listed={v}"), v.clone()));
            }
            for variant in [first.to_uppercase(), first.to_lowercase()] {
                if !f.one_of.contains(&variant) {
                    tries.push(("enum", format!("case={variant}"), variant));
                    break;
                }
            }
            tries.push(("enum", "not_listed".into(), "NOT_LISTED".into()));
        }
        for (kind, mutation, value) in tries {
            let found = text_violations(m, f, &value);
            let expect = if found.is_empty() {
                Expect::Ok
            } else if found == [kind] {
                err(f, kind, path)
            } else {
                continue; // not a single-violation mutation
            };
            self.push(param, kind, &mutation, true, apply(&value), expect);
        }
    }

    /// Integer mutations (range, enum, type) of `f` through `apply`.
    fn int_cases(
        &mut self,
        f: &ParamFacts,
        param: &str,
        path: &str,
        apply: &dyn Fn(&str) -> BTreeMap<String, String>,
    ) {
        let mut tries: Vec<(&str, String, i64)> = Vec::new();
        if let Some(n) = f.min {
            if let Some(v) = n.checked_sub(1) {
                tries.push(("range", format!("min-1={v}"), v));
            }
            tries.push(("range", format!("min={n}"), n));
        }
        if let Some(n) = f.max {
            tries.push(("range", format!("max={n}"), n));
            if let Some(v) = n.checked_add(1) {
                tries.push(("range", format!("max+1={v}"), v));
            }
        }
        let listed: Vec<i64> = f.one_of.iter().filter_map(|v| v.parse().ok()).collect();
        if let (Some(lo), Some(hi)) = (listed.iter().min(), listed.iter().max()) {
            for v in &listed {
                tries.push(("enum", format!("listed={v}"), *v));
            }
            if let Some(v) = lo.checked_sub(1) {
                tries.push(("enum", format!("not_listed={v}"), v));
            }
            if let Some(v) = hi.checked_add(1) {
                tries.push(("enum", format!("not_listed={v}"), v));
            }
        }
        for (kind, mutation, value) in tries {
            let found = int_violations(f, value);
            let expect = if found.is_empty() {
                Expect::Ok
            } else if found == [kind] {
                err(f, kind, path)
            } else {
                continue;
            };
            self.push(
                param,
                kind,
                &mutation,
                true,
                apply(&value.to_string()),
                expect,
            );
        }
        for (mutation, text) in [("not_a_number", "abc"), ("decimal", "1.5")] {
            self.push(
                param,
                "type",
                mutation,
                false,
                apply(text),
                err(f, "type", path),
            );
        }
    }

    fn param_cases(&mut self, f: &ParamFacts) {
        let base = self.base.clone();
        let wire = f.wire.clone();
        if f.required {
            let mut req = base.clone();
            remove_param(&mut req, &wire);
            self.push(
                &wire,
                "missing",
                "absent",
                true,
                req,
                err(f, "missing", &wire),
            );
        }
        let apply = |v: &str| with(&base, &wire, v);
        match f.kind.as_str() {
            "int" => {
                self.int_cases(f, &wire, &wire, &apply);
                self.not_repeatable(f);
            }
            "string" => {
                self.text_cases(f, &wire, &wire, &apply);
                self.not_repeatable(f);
            }
            "string_list" => self.list_cases(f),
            "json" => self.json_cases(f),
            _ => {}
        }
    }

    fn not_repeatable(&mut self, f: &ParamFacts) {
        let mut req = self.base.clone();
        if put_valid(self.m, &mut req, f).is_none() {
            return;
        }
        let Some(v) = req.get(&f.wire).cloned() else {
            return;
        };
        if !f.required {
            req.remove(&f.wire);
        }
        let key = format!("{}.1", f.wire);
        req.insert(key.clone(), v);
        let e = err(f, "not_repeatable", &key);
        self.push(&f.wire, "not_repeatable", "sent_as_list", false, req, e);
    }

    fn list_cases(&mut self, f: &ParamFacts) {
        let m = self.m;
        let base = self.base.clone();
        let wire = f.wire.clone();
        let items = |n: u64| {
            (1..=n)
                .map(|i| valid_item(m, f, &wire, i as usize))
                .collect::<Option<Vec<_>>>()
        };
        let list_req = |vals: &[String], b: u32| {
            let mut r = base.clone();
            put_list(&mut r, f, vals, b);
            r
        };
        if let Some(n) = f.max_items {
            if let Some(v) = items(n) {
                self.push(
                    &wire,
                    "items",
                    &format!("max_items={n}"),
                    true,
                    list_req(&v, 1),
                    Expect::Ok,
                );
            }
            if let Some(v) = items(n + 1) {
                let e = err(f, "items", &wire);
                self.push(
                    &wire,
                    "items",
                    &format!("max_items+1={}", n + 1),
                    true,
                    list_req(&v, 1),
                    e,
                );
            }
        }
        if let Some(n) = f.min_items {
            // Zero items cannot be told from an absent list on the wire (see `missing`).
            if n >= 2 {
                if let Some(v) = items(n - 1) {
                    let e = err(f, "items", &wire);
                    self.push(
                        &wire,
                        "items",
                        &format!("min_items-1={}", n - 1),
                        true,
                        list_req(&v, 1),
                        e,
                    );
                }
            }
            if n >= 1 {
                if let Some(v) = items(n) {
                    self.push(
                        &wire,
                        "items",
                        &format!("min_items={n}"),
                        true,
                        list_req(&v, 1),
                        Expect::Ok,
                    );
                }
            }
        }
        let two = if f.max_items.is_none_or(|n| n >= 2) {
            2
        } else {
            1
        };
        if let Some(v) = items(two) {
            for &b in &m.list_bases {
                self.push(
                    &wire,
                    "contiguous",
                    &format!("base={b}"),
                    true,
                    list_req(&v, b),
                    Expect::Ok,
                );
            }
            let start = m.list_bases.iter().copied().max().unwrap_or(1) + 1;
            let e = err(f, "contiguous", &wire);
            self.push(
                &wire,
                "contiguous",
                &format!("starts_at={start}"),
                false,
                list_req(&v[..1], start),
                e,
            );
            if two == 2 {
                let mut r = base.clone();
                remove_param(&mut r, &wire);
                r.insert(format!("{wire}.1"), v[0].clone());
                r.insert(format!("{wire}.3"), v[1].clone());
                let e = err(f, "contiguous", &wire);
                self.push(&wire, "contiguous", "gap=1,3", false, r, e);
            }
        }
        // Per-item text constraints, on the only item of a one-item list.
        let path = format!("{wire}.1");
        let apply = |v: &str| list_req(&[v.to_owned()], 1);
        self.text_cases(f, &wire, &path, &apply);
    }

    fn json_cases(&mut self, f: &ParamFacts) {
        let m = self.m;
        let base = self.base.clone();
        let wire = f.wire.clone();
        let mem = members(m, f);
        self.not_repeatable(f);
        for (mutation, text) in [("not_json", "{"), ("array", "[]"), ("json_string", "\"x\"")] {
            self.push(
                &wire,
                "json",
                mutation,
                false,
                with(&base, &wire, text),
                err(f, "json", &wire),
            );
        }
        let Some(doc) = valid_doc(m, mem) else {
            return;
        };
        let doc_req = |d: &Doc| with(&base, &wire, &doc_text(d));
        self.push(
            &wire,
            "json",
            "valid_document",
            true,
            doc_req(&doc),
            Expect::Ok,
        );
        for mf in mem {
            let key = &mf.wire;
            let path = format!("{wire}.{key}");
            if mf.required {
                let mut d = doc.clone();
                doc_remove(&mut d, key);
                self.push(
                    &path,
                    "missing",
                    "absent",
                    true,
                    doc_req(&d),
                    err(mf, "missing", &path),
                );
            }
            if let Some((field, equals)) = &mf.required_if {
                self.required_if_cases(mf, mem, &doc, field, equals, &path, &doc_req);
            }
            // Sets the member, then any other member a `required_if` now asks for, so the
            // mutation stays a single one.
            let apply_member = |v: Value| {
                let mut d = doc.clone();
                doc_set(&mut d, mem, key, v);
                for other in unmet_required_if(&d.clone(), mem) {
                    if other.wire != *key {
                        if let Some(ov) = valid_member(m, other) {
                            doc_set(&mut d, mem, &other.wire, ov);
                        }
                    }
                }
                doc_req(&d)
            };
            match mf.kind.as_str() {
                "int" => {
                    // Numbers as JSON numbers (1.5 too), anything else as a JSON string.
                    let apply = |t: &str| match (t.parse::<i64>(), t.parse::<f64>()) {
                        (Ok(n), _) => apply_member(Value::from(n)),
                        (_, Ok(x)) => apply_member(Value::from(x)),
                        _ => apply_member(Value::from(t)),
                    };
                    self.int_cases(mf, &path, &path, &apply);
                }
                "string" => {
                    let apply = |t: &str| apply_member(Value::from(t));
                    self.text_cases(mf, &path, &path, &apply);
                }
                _ => {}
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn required_if_cases(
        &mut self,
        mf: &ParamFacts,
        mem: &[ParamFacts],
        doc: &Doc,
        field: &str,
        equals: &str,
        path: &str,
        doc_req: &dyn Fn(&Doc) -> BTreeMap<String, String>,
    ) {
        let m = self.m;
        let Some(ff) = mem.iter().find(|x| x.wire == field) else {
            return;
        };
        let v = if ff.kind == "int" {
            equals.parse::<i64>().map(Value::from).ok()
        } else {
            Some(Value::from(equals))
        };
        let (Some(v), Some(own)) = (v, valid_member(m, mf)) else {
            return;
        };
        let mut d = doc.clone();
        doc_set(&mut d, mem, field, v);
        doc_set(&mut d, mem, &mf.wire, own);
        for other in unmet_required_if(&d.clone(), mem) {
            if let Some(ov) = valid_member(m, other) {
                doc_set(&mut d, mem, &other.wire, ov);
            }
        }
        if !unmet_required_if(&d, mem).is_empty() {
            return;
        }
        let mutation = format!("{field}={equals},present");
        self.push(
            path,
            "required_if",
            &mutation,
            true,
            doc_req(&d),
            Expect::Ok,
        );
        doc_remove(&mut d, &mf.wire);
        let unmet = unmet_required_if(&d, mem);
        if unmet.len() == 1 && unmet[0].wire == mf.wire {
            let mutation = format!("{field}={equals},absent");
            self.push(
                path,
                "required_if",
                &mutation,
                true,
                doc_req(&d),
                err(mf, "missing", path),
            );
        }
    }

    fn rule_cases(&mut self, r: &RuleFacts) {
        let m = self.m;
        let a = self.a;
        let base = self.base.clone();
        let (Some(left), Some(right)) = (r.operands.first(), r.operands.get(1)) else {
            return;
        };
        let constraint = format!("rule:{}({left},{right})", r.kind);
        let rule_err = |param: &str| Expect::Err {
            error: r.error.clone(),
            param: param.to_owned(),
        };
        let find = |path: &str| -> Option<(&'m ParamFacts, Option<&'m ParamFacts>)> {
            let (head, member) = match path.split_once('.') {
                Some((h, mm)) => (h, Some(mm)),
                None => (path, None),
            };
            let p = &a.params.iter().find(|p| p.facts.wire == head)?.facts;
            match member {
                None => Some((p, None)),
                Some(mm) => members(m, p)
                    .iter()
                    .find(|x| x.wire == mm)
                    .map(|x| (p, Some(x))),
            }
        };
        let (Some((pa, ma)), Some((pb, mb))) = (find(left), find(right)) else {
            return;
        };
        let fa = ma.unwrap_or(pa);
        let fb = mb.unwrap_or(pb);
        match r.kind.as_str() {
            "le" | "lt" => {
                if fa.kind != "int" || fb.kind != "int" {
                    return;
                }
                let strict = r.kind == "lt";
                let lo = |f: &ParamFacts| f.min.unwrap_or(0);
                // Broken: le: l = r + 1; lt: l = r. Holding at the boundary: le: l = r; lt: l = r - 1.
                let broken_r = lo(fb).max(lo(fa).saturating_sub(i64::from(!strict)));
                let broken = (broken_r.saturating_add(i64::from(!strict)), broken_r);
                let held_r = lo(fb).max(lo(fa).saturating_add(i64::from(strict)));
                let held = (held_r.saturating_sub(i64::from(strict)), held_r);
                for (what, (lv, rv)) in [("violated", broken), ("boundary", held)] {
                    if !int_violations(fa, lv).is_empty() || !int_violations(fb, rv).is_empty() {
                        continue;
                    }
                    let mut req = base.clone();
                    if set_operand(m, &mut req, pa, ma, Some(lv)).is_none()
                        || set_operand(m, &mut req, pb, mb, Some(rv)).is_none()
                    {
                        continue;
                    }
                    let expect = if what == "violated" {
                        rule_err(left)
                    } else {
                        Expect::Ok
                    };
                    let mutation = format!("{what}:{left}={lv},{right}={rv}");
                    self.push(left, &constraint, &mutation, true, req, expect);
                }
                for (what, p, mf) in [("left_only", pa, ma), ("right_only", pb, mb)] {
                    let mut req = base.clone();
                    if set_operand(m, &mut req, p, mf, None).is_some() {
                        self.push(left, &constraint, what, true, req, Expect::Ok);
                    }
                }
            }
            "requires" => {
                if fb.required {
                    return;
                }
                let mut broken = base.clone();
                if set_operand(m, &mut broken, pa, ma, None).is_none() {
                    return;
                }
                self.push(
                    right,
                    &constraint,
                    "if_without_then",
                    true,
                    broken.clone(),
                    rule_err(right),
                );
                let mut both = broken;
                if set_operand(m, &mut both, pb, mb, None).is_some() {
                    self.push(right, &constraint, "both", true, both, Expect::Ok);
                }
                let mut then_only = base.clone();
                if set_operand(m, &mut then_only, pb, mb, None).is_some() {
                    self.push(right, &constraint, "then_only", true, then_only, Expect::Ok);
                }
            }
            _ => {}
        }
    }
}

/// Sets a rule operand (a parameter, or member `mf` of `json` parameter `p`) to `value`, or to a
/// valid value.
fn set_operand(
    m: &Model,
    req: &mut BTreeMap<String, String>,
    p: &ParamFacts,
    mf: Option<&ParamFacts>,
    value: Option<i64>,
) -> Option<()> {
    match mf {
        None => match value {
            Some(v) => {
                remove_param(req, &p.wire);
                req.insert(p.wire.clone(), v.to_string());
            }
            None => put_valid(m, req, p)?,
        },
        Some(mf) => {
            let mem = members(m, p);
            let mut d: Doc = match req.get(&p.wire) {
                Some(t) => serde_json::from_str::<Map<String, Value>>(t)
                    .ok()?
                    .into_iter()
                    .collect(),
                None => valid_doc(m, mem)?,
            };
            doc_sort(&mut d, mem);
            let v = match value {
                Some(v) => Value::from(v),
                None => valid_member(m, mf)?,
            };
            doc_set(&mut d, mem, &mf.wire, v);
            req.insert(p.wire.clone(), doc_text(&d));
        }
    }
    Some(())
}

fn action_cases(m: &Model, a: &ActionModel) -> Result<Vec<Case>, String> {
    let mut base = BTreeMap::new();
    for p in a.params.iter().filter(|p| p.required) {
        put_valid(m, &mut base, &p.facts)
            .ok_or_else(|| format!("{}: no valid value for `{}`", a.name, p.facts.wire))?;
    }
    let mut g = Gen {
        m,
        a,
        base: base.clone(),
        cases: Vec::new(),
    };
    g.push("", "base", "valid", true, base, Expect::Ok);
    for p in &a.params {
        g.param_cases(&p.facts);
    }
    for r in &a.rule_facts {
        g.rule_cases(r);
    }
    Ok(g.cases)
}

// ------------------------------------------------------------------------------------------
// Output.

/// The message a server sends for error `e` about `subject`: `(module)text`, `%s` filled.
pub fn message(e: &ErrorModel, subject: &str) -> String {
    format!("({}){}", e.module, e.message.replace("%s", subject))
}

/// A wire value: the text itself, or a repeat object for long values.
fn wire_value(v: &str) -> Value {
    if v.len() <= INLINE_MAX {
        return Value::from(v);
    }
    let Some(last) = v.chars().last() else {
        return Value::from(v);
    };
    let run = v.chars().rev().take_while(|&c| c == last).count();
    let prefix: String = v.chars().take(v.chars().count() - run).collect();
    let mut o = Map::new();
    if !prefix.is_empty() {
        o.insert("prefix".into(), Value::from(prefix));
    }
    o.insert("repeat".into(), Value::from(last.to_string()));
    o.insert("times".into(), Value::from(run as u64));
    Value::Object(o)
}

fn json_text(v: impl Into<Value>) -> String {
    serde_json::to_string(&v.into()).unwrap_or_default()
}

/// One case as a line of JSON, keys in a fixed, readable order.
fn case_json(m: &Model, c: &Case, name: &str) -> Result<String, String> {
    let params: Vec<String> = c
        .params
        .iter()
        .map(|(k, v)| format!("{}:{}", json_text(k.as_str()), json_text(wire_value(v))))
        .collect();
    let expect = match &c.expect {
        Expect::Ok => json_text("ok"),
        Expect::Err { error, param } => {
            let e = m
                .errors
                .iter()
                .find(|e| &e.variant == error)
                .ok_or_else(|| format!("{name}: unknown error id `{error}`"))?;
            let subject = param.split('.').next().unwrap_or(param);
            format!(
                "{{\"error\":{},\"param\":{},\"code\":{},\"module\":{},\"message\":{}}}",
                json_text(error.as_str()),
                json_text(param.as_str()),
                e.code,
                e.module,
                json_text(message(e, subject))
            )
        }
    };
    Ok(format!(
        "{{\"name\":{},\"action\":{},\"param\":{},\"constraint\":{},\"mutation\":{},\"typed\":{},\"params\":{{{}}},\"expect\":{}}}",
        json_text(name),
        json_text(c.action.as_str()),
        json_text(c.param.as_str()),
        json_text(c.constraint.as_str()),
        json_text(c.mutation.as_str()),
        c.typed,
        params.join(","),
        expect
    ))
}

fn all_cases(m: &Model) -> Result<Vec<(String, Case)>, String> {
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

/// The derived cases as the JSON text of [`BOUNDARIES_PATH`]: deterministic, pretty, one case
/// per line, with the `@generated` note (and the spec's hash) as a top-level field.
pub fn boundaries(m: &Model) -> Result<String, Error> {
    let fail = |message: String| Error::Render {
        file: BOUNDARIES_PATH.into(),
        message,
    };
    let cases = all_cases(m).map_err(fail)?;
    let mut lines = Vec::new();
    for (name, c) in &cases {
        lines.push(format!("    {}", case_json(m, c, name).map_err(fail)?));
    }
    let note = format!(
        "by cargo xtask codegen from spec (sha256 {}); do not edit. Format: spec/README.md, section Conformance corpus",
        m.spec_hash
    );
    Ok(format!(
        "{{\n  \"@generated\": {},\n  \"count\": {},\n  \"cases\": [\n{}\n  ]\n}}\n",
        Value::from(note),
        cases.len(),
        lines.join(",\n")
    ))
}

// ------------------------------------------------------------------------------------------
// Coverage.

/// One constraint of the spec: an action, a parameter path and a kind (`missing`, `range`, …;
/// for rules `rule:le(a,b)` with the reported parameter as path).
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

fn fact_kinds(f: &ParamFacts, member: bool) -> Vec<&'static str> {
    let mut k = Vec::new();
    if f.required {
        k.push("missing");
    }
    if f.required_if.is_some() {
        k.push("required_if");
    }
    if f.kind == "int" {
        k.push("type");
    }
    if f.min.is_some() || f.max.is_some() {
        k.push("range");
    }
    if f.min_len.is_some() || f.max_len.is_some() {
        k.push("length");
    }
    if f.pattern.is_some() {
        k.push("pattern");
    }
    if !f.one_of.is_empty() {
        k.push("enum");
    }
    if f.max_dots.is_some() {
        k.push("dots");
    }
    if f.min_items.is_some() || f.max_items.is_some() {
        k.push("items");
    }
    match f.kind.as_str() {
        "string_list" => k.push("contiguous"),
        "json" => k.push("json"),
        _ => {}
    }
    if !member && f.kind != "string_list" {
        k.push("not_repeatable");
    }
    k
}

/// Every constraint the spec states: per parameter and member, and every `le`/`lt`/`requires`
/// rule.
pub fn constraints(m: &Model) -> Vec<Constraint> {
    let mut out = Vec::new();
    for a in &m.actions {
        for p in &a.params {
            let f = &p.facts;
            for k in fact_kinds(f, false) {
                out.push(Constraint {
                    action: a.name.clone(),
                    param: f.wire.clone(),
                    kind: k.into(),
                });
            }
            for mf in members(m, f) {
                for k in fact_kinds(mf, true) {
                    out.push(Constraint {
                        action: a.name.clone(),
                        param: format!("{}.{}", f.wire, mf.wire),
                        kind: k.into(),
                    });
                }
            }
        }
        for r in &a.rule_facts {
            out.push(Constraint {
                action: a.name.clone(),
                param: r.operands.join(","),
                kind: format!("rule:{}({})", r.kind, r.operands.join(",")),
            });
        }
    }
    out
}

/// The error of the spec whose code, module code and message (`%s` matching any text) equal
/// these, if any.
pub fn error_for<'m>(
    m: &'m Model,
    code: i64,
    module: i64,
    message: &str,
) -> Option<&'m ErrorModel> {
    let text = message.strip_prefix(&format!("({module})"))?;
    m.errors.iter().find(|e| {
        e.code == code
            && e.module == module
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

/// What the corpus exercises.
#[derive(Clone, Debug, Default)]
pub struct Coverage {
    /// Per action: (name, parameters exercised, parameters in total, constraints covered,
    /// constraints in total, errors exercised as `Id code/module`).
    pub actions: Vec<ActionCoverage>,
    /// Constraints no malformed (hand-written or derived) case breaks.
    pub uncovered: Vec<Constraint>,
    /// Case counts: requests, responses, malformed, derived.
    pub counts: [usize; 4],
    /// Constraints covered and in total.
    pub covered_total: (usize, usize),
    /// Known gaps: hand-written cases with `expected_failure`, and the patterns of
    /// [`EXPECTED_FAILURES`] (derived cases).
    pub known_gaps: Vec<String>,
}

/// The coverage of one action.
#[derive(Clone, Debug, Default)]
pub struct ActionCoverage {
    /// The action.
    pub name: String,
    /// Parameters some case sends (in spec order).
    pub params: Vec<String>,
    /// Parameters of the action.
    pub params_total: usize,
    /// Constraints some malformed case breaks.
    pub covered: Vec<Constraint>,
    /// Constraints of the action.
    pub constraints_total: usize,
    /// Errors some case expects.
    pub errors: BTreeSet<String>,
    /// Errors the action lists that no case expects (most need server state).
    pub errors_not_exercised: Vec<String>,
}

impl Coverage {
    /// True when every constraint has a malformed case.
    pub fn is_complete(&self) -> bool {
        self.uncovered.is_empty()
    }

    /// A report: one block per action, then the totals and any uncovered constraint.
    pub fn report(&self) -> String {
        let mut s = String::new();
        for a in &self.actions {
            s.push_str(&format!(
                "{}: parameters {}/{}, constraints {}/{}\n",
                a.name,
                a.params.len(),
                a.params_total,
                a.covered.len(),
                a.constraints_total
            ));
            if !a.params.is_empty() {
                s.push_str(&format!("  parameters: {}\n", a.params.join(" ")));
            }
            let mut by_param: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
            for c in &a.covered {
                by_param.entry(&c.param).or_default().push(&c.kind);
            }
            for (p, kinds) in by_param {
                s.push_str(&format!("  {p}: {}\n", kinds.join(" ")));
            }
            if !a.errors.is_empty() {
                let list: Vec<&str> = a.errors.iter().map(String::as_str).collect();
                s.push_str(&format!("  errors: {}\n", list.join(", ")));
            }
            if !a.errors_not_exercised.is_empty() {
                s.push_str(&format!(
                    "  errors no case expects (mostly server state): {}\n",
                    a.errors_not_exercised.join(", ")
                ));
            }
        }
        let [rq, rs, ml, dv] = self.counts;
        s.push_str(&format!(
            "\ncases: {rq} request, {rs} response, {ml} malformed, {dv} derived\nconstraints covered: {}/{}\n",
            self.covered_total.0, self.covered_total.1
        ));
        if !self.known_gaps.is_empty() {
            s.push_str(&format!(
                "known gaps (cases expected to fail): {}\n",
                self.known_gaps.len()
            ));
            for g in &self.known_gaps {
                s.push_str(&format!("  {g}\n"));
            }
        }
        if !self.uncovered.is_empty() {
            s.push_str(&format!(
                "{} constraint(s) without a malformed case:\n",
                self.uncovered.len()
            ));
            for c in &self.uncovered {
                s.push_str(&format!("  {c}\n"));
            }
        }
        s
    }
}

fn read_json(root: &Path, rel: &str) -> Result<Value, Error> {
    let path = root.join(rel);
    let text = std::fs::read_to_string(&path).map_err(|e| Error::Io {
        path: path.display().to_string(),
        source: e,
    })?;
    serde_json::from_str(&text).map_err(|e| Error::Spec {
        at: crate::error::Location::new(rel.trim_start_matches("spec/"), "$"),
        message: e.to_string(),
    })
}

fn cases_of(v: &Value) -> &[Value] {
    v.get("cases")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// The error id a case expects (`expect` or `expected`: an object with `error`, or `code`,
/// `module` and `message`), if any.
fn expected_error(m: &Model, case: &Value) -> Option<String> {
    let e = case.get("expect").or_else(|| case.get("expected"))?;
    let e = e.get("error").filter(|x| x.is_object()).unwrap_or(e);
    if let Some(id) = e.get("error").and_then(Value::as_str) {
        return Some(id.to_owned());
    }
    let code = e.get("code")?.as_i64()?;
    let module = e.get("module")?.as_i64()?;
    let msg = e.get("message")?.as_str()?;
    error_for(m, code, module, msg).map(|x| x.variant.clone())
}

/// Reads the corpus under `root` (hand-written files and [`BOUNDARIES_PATH`]) and measures it
/// against the spec's constraints.
pub fn coverage(root: &Path) -> Result<Coverage, Error> {
    let m = crate::model(&root.join("spec"))?;
    let requests = read_json(root, HAND_WRITTEN[0])?;
    let responses = read_json(root, HAND_WRITTEN[1])?;
    let malformed = read_json(root, HAND_WRITTEN[2])?;
    let derived = read_json(root, BOUNDARIES_PATH)?;
    let gaps = read_json(root, EXPECTED_FAILURES)?;
    let note = derived
        .get("@generated")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !note.contains(&m.spec_hash) {
        return Err(Error::Render {
            file: BOUNDARIES_PATH.into(),
            message: "stale: it was derived from another spec; run `cargo xtask codegen`".into(),
        });
    }
    let all = constraints(&m);
    let mut covered: BTreeSet<Constraint> = BTreeSet::new();
    let mut params_seen: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut errors: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let wire_base = |k: &str| k.split('.').next().unwrap_or(k).to_owned();
    for case in cases_of(&malformed).iter().chain(cases_of(&derived)) {
        let action = case
            .get("action")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if let Some(ps) = case.get("params").and_then(Value::as_object) {
            params_seen
                .entry(action.to_owned())
                .or_default()
                .extend(ps.keys().map(|k| wire_base(k)));
        }
        if let Some(id) = expected_error(&m, case) {
            errors.entry(action.to_owned()).or_default().insert(id);
            let (Some(param), Some(kind)) = (
                case.get("param").and_then(Value::as_str),
                case.get("constraint").and_then(Value::as_str),
            ) else {
                continue;
            };
            let param = if kind.starts_with("rule:") {
                kind.trim_start_matches("rule:")
                    .split_once('(')
                    .map_or("", |(_, r)| r.trim_end_matches(')'))
                    .to_owned()
            } else {
                param.to_owned()
            };
            covered.insert(Constraint {
                action: action.to_owned(),
                param,
                kind: kind.to_owned(),
            });
        }
    }
    for case in cases_of(&requests) {
        let action = case
            .get("action")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if let Some(ps) = case.get("input").and_then(Value::as_object) {
            params_seen
                .entry(action.to_owned())
                .or_default()
                .extend(ps.keys().map(|k| wire_base(k)));
        }
    }
    for case in cases_of(&responses) {
        let action = case
            .get("action")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if let Some(id) = expected_error(&m, case) {
            errors.entry(action.to_owned()).or_default().insert(id);
        }
    }
    let mut out = Coverage {
        counts: [
            cases_of(&requests).len(),
            cases_of(&responses).len(),
            cases_of(&malformed).len(),
            cases_of(&derived).len(),
        ],
        ..Coverage::default()
    };
    let describe = |id: &str| {
        m.errors
            .iter()
            .find(|e| e.variant == id)
            .map_or(id.to_owned(), |e| format!("{id} {}/{}", e.code, e.module))
    };
    for a in &m.actions {
        let seen = params_seen.get(&a.name).cloned().unwrap_or_default();
        let mine: Vec<&Constraint> = all.iter().filter(|c| c.action == a.name).collect();
        let cov: Vec<Constraint> = mine
            .iter()
            .filter(|c| covered.contains(c))
            .map(|c| (*c).clone())
            .collect();
        out.uncovered.extend(
            mine.iter()
                .filter(|c| !covered.contains(c))
                .map(|c| (*c).clone()),
        );
        out.actions.push(ActionCoverage {
            name: a.name.clone(),
            params: a
                .params
                .iter()
                .map(|p| p.facts.wire.clone())
                .filter(|w| seen.contains(w))
                .collect(),
            params_total: a.params.len(),
            covered: cov,
            constraints_total: mine.len(),
            errors: errors
                .get(&a.name)
                .map(|s| s.iter().map(|id| describe(id)).collect())
                .unwrap_or_default(),
            errors_not_exercised: a
                .errors
                .iter()
                .filter(|id| !errors.get(&a.name).is_some_and(|s| s.contains(*id)))
                .cloned()
                .collect(),
        });
    }
    for case in cases_of(&requests)
        .iter()
        .chain(cases_of(&responses))
        .chain(cases_of(&malformed))
    {
        if let Some(why) = case.get("expected_failure").and_then(Value::as_str) {
            let name = case.get("name").and_then(Value::as_str).unwrap_or_default();
            out.known_gaps.push(format!("{name}: {why}"));
        }
    }
    for (pattern, why) in gaps
        .get("derived")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        out.known_gaps
            .push(format!("{pattern}: {}", why.as_str().unwrap_or_default()));
    }
    out.covered_total = (all.len() - out.uncovered.len(), all.len());
    Ok(out)
}
