//! Values: which constraints a value breaks, read from the neutral model's facts alone (never
//! from the validators under test), and valid values derived from those facts.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::model::{Api, Param, Pattern};
use crate::spec::{EnumCase, LenUnit, ParamType, Scalar, ViolationKind};

/// Wire parameters of one request.
pub(super) type Wire = BTreeMap<String, String>;

/// A JSON document as an ordered list of members.
pub(super) type Doc = Vec<(String, Value)>;

pub(super) fn pattern_of<'m>(m: &'m Api, f: &Param) -> Option<&'m Pattern> {
    f.pattern.as_deref().and_then(|id| m.pattern(id))
}

pub(super) fn text_len(f: &Param, v: &str) -> u64 {
    match f.len_unit {
        LenUnit::Bytes => v.len() as u64,
        LenUnit::Chars => v.chars().count() as u64,
    }
}

/// True when `v` is one of `f`'s values (any value when none are listed), compared by `case`.
fn listed(f: &Param, v: &str, case: EnumCase) -> bool {
    f.one_of.is_empty() || f.one_of.iter().any(|x| case.eq(v, &x.text()))
}

/// The violation kinds a text value breaks (the empty string breaks no pattern).
pub(super) fn text_violations(m: &Api, f: &Param, v: &str) -> Vec<ViolationKind> {
    let mut out = Vec::new();
    let len = text_len(f, v);
    if f.min_len.is_some_and(|n| len < n) {
        out.push(ViolationKind::Length);
    }
    if f.max_len.is_some_and(|n| len > n) {
        out.push(ViolationKind::TooLong);
    }
    if pattern_of(m, f).is_some_and(|p| !v.is_empty() && !p.matches(v)) {
        out.push(ViolationKind::Pattern);
    }
    if f.max_dots
        .is_some_and(|n| v.chars().filter(|&c| c == '.').count() as u64 > n)
    {
        out.push(ViolationKind::Dots);
    }
    if !listed(f, v, m.protocol.enum_case) {
        out.push(ViolationKind::Enum);
    }
    out
}

/// The violation kinds an integer breaks.
pub(super) fn int_violations(f: &Param, v: i64) -> Vec<ViolationKind> {
    let mut out = Vec::new();
    if f.min.is_some_and(|n| v < n) || f.max.is_some_and(|n| v > n) {
        out.push(ViolationKind::Range);
    }
    if !listed(f, &v.to_string(), EnumCase::Exact) {
        out.push(ViolationKind::Enum);
    }
    out
}

/// A character the value may start with / continue with (preferring `a`).
pub(super) fn filler(m: &Api, f: &Param, first: bool) -> char {
    let p = pattern_of(m, f);
    ['a', 'x', 'A', '0', '-', '_']
        .into_iter()
        .find(|&c| p.is_none_or(|p| p.allows(c, first)))
        .unwrap_or('a')
}

/// A text of `len` units made of pattern-valid filler characters.
pub(super) fn text_of_len(m: &Api, f: &Param, len: u64) -> String {
    let mut s = String::new();
    if len > 0 {
        s.push(filler(m, f, true));
        let rest = filler(m, f, false);
        let per = match f.len_unit {
            LenUnit::Bytes => rest.len_utf8() as u64,
            LenUnit::Chars => 1,
        };
        let n = len.saturating_sub(text_len(f, &s)) / per;
        s.extend(std::iter::repeat_n(rest, n as usize));
    }
    s
}

/// A valid text for `f`: its enum's first value, else `hint` when valid, else filler.
pub(super) fn valid_text(m: &Api, f: &Param, hint: &str) -> Option<String> {
    if let Some(v) = f.one_of.first() {
        let v = v.text();
        return text_violations(m, f, &v).is_empty().then_some(v);
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
pub(super) fn valid_int(f: &Param) -> Option<i64> {
    let mut candidates: Vec<i64> = Vec::new();
    candidates.extend(f.default.as_ref().and_then(Scalar::as_int));
    candidates.extend(f.one_of.iter().filter_map(Scalar::as_int));
    candidates.extend(f.min);
    candidates.push(0);
    candidates.extend(f.max);
    candidates
        .into_iter()
        .find(|v| int_violations(f, *v).is_empty())
}

/// One item value of a list: `hint` + its 1-based position when valid.
pub(super) fn valid_item(m: &Api, f: &Param, hint: &str, pos: usize) -> Option<String> {
    let numbered = format!("{hint}{pos}");
    if f.one_of.is_empty() && text_violations(m, f, &numbered).is_empty() {
        return Some(numbered);
    }
    valid_text(m, f, hint)
}

/// A member value as JSON.
pub(super) fn valid_member(m: &Api, mf: &Param) -> Option<Value> {
    match mf.ty {
        ParamType::Int => valid_int(mf).map(Value::from),
        ParamType::String => valid_text(m, mf, &mf.wire).map(Value::from),
        ParamType::StringList
        | ParamType::Json
        | ParamType::Bool
        | ParamType::Object
        | ParamType::ObjectList => None,
    }
}

// ------------------------------------------------------------------------------------------
// JSON documents (the value of a `json` parameter), members in the shape's order.

pub(super) fn doc_text(doc: &Doc) -> String {
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

/// Parses a document's text back (members in text order).
pub(super) fn doc_parse(text: &str) -> Option<Doc> {
    let map: Map<String, Value> = serde_json::from_str(text).ok()?;
    Some(map.into_iter().collect())
}

fn doc_get<'d>(doc: &'d Doc, key: &str) -> Option<&'d Value> {
    doc.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn json_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub(super) fn doc_set(doc: &mut Doc, members: &[Param], key: &str, v: Value) {
    if let Some(slot) = doc.iter_mut().find(|(k, _)| k == key) {
        slot.1 = v;
        return;
    }
    doc.push((key.to_owned(), v));
    doc_sort(doc, members);
}

/// Puts the members in the shape's order.
pub(super) fn doc_sort(doc: &mut Doc, members: &[Param]) {
    let pos = |k: &str| {
        members
            .iter()
            .position(|m| m.wire == k)
            .unwrap_or(usize::MAX)
    };
    doc.sort_by_key(|(k, _)| pos(k));
}

pub(super) fn doc_remove(doc: &mut Doc, key: &str) {
    doc.retain(|(k, _)| k != key);
}

/// Members whose `required_if` holds in `doc` but which are absent.
pub(super) fn unmet_required_if<'f>(doc: &Doc, members: &'f [Param]) -> Vec<&'f Param> {
    members
        .iter()
        .filter(|mf| {
            mf.required_if.as_ref().is_some_and(|ri| {
                doc_get(doc, &ri.field).is_some_and(|v| json_text(v) == ri.equals.text())
            }) && doc_get(doc, &mf.wire).is_none()
        })
        .collect()
}

/// Sets every member some `required_if` asks for in `doc` (except `skip`) to a valid value.
pub(super) fn fill_required_if(m: &Api, doc: &mut Doc, members: &[Param], skip: Option<&str>) {
    for other in unmet_required_if(&doc.clone(), members) {
        if Some(other.wire.as_str()) != skip {
            if let Some(v) = valid_member(m, other) {
                doc_set(doc, members, &other.wire, v);
            }
        }
    }
}

/// A valid document: every required member, then every member some `required_if` asks for.
pub(super) fn valid_doc(m: &Api, members: &[Param]) -> Option<Doc> {
    let mut doc = Doc::new();
    for mf in members.iter().filter(|mf| mf.required) {
        doc.push((mf.wire.clone(), valid_member(m, mf)?));
    }
    for _ in 0..members.len() {
        let unmet: Vec<&Param> = unmet_required_if(&doc, members);
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

// ------------------------------------------------------------------------------------------
// Wire parameters.

/// Sets the wire pairs of parameter `f` to a valid value.
pub(super) fn put_valid(m: &Api, req: &mut Wire, f: &Param) -> Option<()> {
    match f.ty {
        ParamType::Int => {
            req.insert(f.wire.clone(), valid_int(f)?.to_string());
        }
        ParamType::String => {
            req.insert(f.wire.clone(), valid_text(m, f, &f.wire)?);
        }
        ParamType::StringList => {
            let n = f.min_items.unwrap_or(1).max(1);
            let items = (1..=n)
                .map(|i| valid_item(m, f, &f.wire, i as usize))
                .collect::<Option<Vec<_>>>()?;
            put_list(req, f, &items, m.protocol.sdk_list_base);
        }
        ParamType::Json => {
            req.insert(f.wire.clone(), doc_text(&valid_doc(m, m.members(f))?));
        }
        // API 3.0 types have no form encoding.
        ParamType::Bool | ParamType::Object | ParamType::ObjectList => return None,
    }
    Some(())
}

/// True when `wire` is sent, as a scalar or as a list.
pub(super) fn is_sent(req: &Wire, wire: &str) -> bool {
    req.keys()
        .any(|k| k == wire || list_index(k, wire).is_some())
}

/// The index of `k` when it is an item `wire.n` of list `wire`.
fn list_index<'k>(k: &'k str, wire: &str) -> Option<&'k str> {
    k.strip_prefix(wire)
        .and_then(|x| x.strip_prefix('.'))
        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

pub(super) fn remove_param(req: &mut Wire, wire: &str) {
    req.retain(|k, _| k != wire && list_index(k, wire).is_none());
}

pub(super) fn put_list(req: &mut Wire, f: &Param, items: &[String], base: u32) {
    remove_param(req, &f.wire);
    for (i, v) in items.iter().enumerate() {
        req.insert(
            format!("{}.{}", f.wire, i as u64 + u64::from(base)),
            v.clone(),
        );
    }
}

/// `base` with `wire` set to `value` (other pairs of `wire` removed).
pub(super) fn with(base: &Wire, wire: &str, value: &str) -> Wire {
    let mut r = base.clone();
    remove_param(&mut r, wire);
    r.insert(wire.to_owned(), value.to_owned());
    r
}
