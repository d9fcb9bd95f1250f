//! Case generation for one action's parameters: the base request plus one mutation per case.

use crate::model::{Action, Api, Param, Rule};
use crate::spec::{LenUnit, ParamType, ViolationKind};

use super::values::{
    Wire, filler, int_violations, is_sent, pattern_of, put_list, put_valid, remove_param,
    text_of_len, text_violations, valid_item, with,
};

/// A multi-byte character (2 bytes in UTF-8) used to tell byte lengths from character lengths.
const WIDE: char = 'é';

/// What a case expects.
#[derive(Clone, Debug)]
pub(super) enum Expect {
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
pub(super) struct Case {
    pub action: String,
    /// The parameter (path) whose constraint the case exercises.
    pub param: String,
    /// The constraint (`range`, `length`, …, `required_if`, `rule:le(a,b)`, `base`).
    pub constraint: String,
    /// What was done, e.g. `max+1`.
    pub mutation: String,
    /// Whether the request can be expressed as a typed SDK input (false for wire-only
    /// mutations: wrong type, lists with gaps, a scalar sent as a list, text that is not JSON).
    pub typed: bool,
    pub params: Wire,
    pub expect: Expect,
}

/// The error `f` answers for a violation of `kind`, reported about `param`.
pub(super) fn err(f: &Param, kind: ViolationKind, param: &str) -> Expect {
    Expect::Err {
        error: f.error(kind).to_owned(),
        param: param.to_owned(),
    }
}

/// One mutation tried: the kind it may break, its name and the value.
pub(super) type Try<T> = (ViolationKind, String, T);

/// Builds a case from a value (the parameter's wire pairs set to it).
pub(super) type Apply<'a> = dyn Fn(&str) -> Wire + 'a;

/// The cases of one action.
pub(super) struct Gen<'m> {
    pub m: &'m Api,
    pub a: &'m Action,
    pub base: Wire,
    pub cases: Vec<Case>,
}

impl<'m> Gen<'m> {
    /// Records a case (completing the request so that it breaks one constraint only).
    pub fn push(
        &mut self,
        param: &str,
        constraint: &str,
        mutation: &str,
        typed: bool,
        params: Wire,
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
    fn complete(&self, req: &mut Wire) {
        for r in &self.a.rules {
            let Rule::Requires { when, then, .. } = r else {
                continue;
            };
            if when.member.is_some() || then.member.is_some() {
                continue;
            }
            if req.contains_key(&when.param) && !is_sent(req, &then.param) {
                if let Some(p) = self.a.param(&then.param) {
                    let _ = put_valid(self.m, req, p);
                }
            }
        }
    }

    /// Records each tried value whose violations are none (ok) or exactly its kind.
    fn record(
        &mut self,
        f: &Param,
        param: &str,
        path: &str,
        tries: Vec<Try<String>>,
        found: &dyn Fn(&str) -> Vec<ViolationKind>,
        apply: &Apply<'_>,
    ) {
        for (kind, mutation, value) in tries {
            let found = found(&value);
            let expect = if found.is_empty() {
                Expect::Ok
            } else if found == [kind] {
                err(f, kind, path)
            } else {
                continue; // not a single-violation mutation
            };
            self.push(
                param,
                kind.constraint(),
                &mutation,
                true,
                apply(&value),
                expect,
            );
        }
    }

    /// Text mutations (length, pattern, dots, enum) of `f`; `apply` builds the request for one
    /// value and `path` is the violation's parameter path.
    pub fn text_cases(&mut self, f: &Param, param: &str, path: &str, apply: &Apply<'_>) {
        let m = self.m;
        let mut tries = length_tries(m, f);
        tries.extend(pattern_tries(m, f));
        tries.extend(dots_tries(m, f));
        tries.extend(enum_tries(f));
        self.record(f, param, path, tries, &|v| text_violations(m, f, v), apply);
    }

    /// Integer mutations (range, enum, type) of `f` through `apply`.
    pub fn int_cases(&mut self, f: &Param, param: &str, path: &str, apply: &Apply<'_>) {
        let tries = int_tries(f)
            .into_iter()
            .map(|(k, name, v)| (k, name, v.to_string()))
            .collect();
        let found = |v: &str| {
            v.parse()
                .map_or_else(|_| Vec::new(), |n| int_violations(f, n))
        };
        self.record(f, param, path, tries, &found, apply);
        for (mutation, text) in [("not_a_number", "abc"), ("decimal", "1.5")] {
            let e = err(f, ViolationKind::Type, path);
            self.push(param, "type", mutation, false, apply(text), e);
        }
    }

    /// The cases of one parameter of the action.
    pub fn param_cases(&mut self, f: &Param) {
        let base = self.base.clone();
        let wire = f.wire.clone();
        if f.required {
            let mut req = base.clone();
            remove_param(&mut req, &wire);
            let e = err(f, ViolationKind::Missing, &wire);
            self.push(&wire, "missing", "absent", true, req, e);
        }
        let apply = |v: &str| with(&base, &wire, v);
        match f.ty {
            ParamType::Int => {
                self.int_cases(f, &wire, &wire, &apply);
                self.not_repeatable(f);
            }
            ParamType::String => {
                self.text_cases(f, &wire, &wire, &apply);
                self.not_repeatable(f);
            }
            ParamType::StringList => self.list_cases(f),
            ParamType::Json => self.json_cases(f),
            // API 3.0 types: its cases are derived by `tc3_cases` from JSON bodies.
            ParamType::Bool | ParamType::Object | ParamType::ObjectList => {}
        }
    }

    /// A scalar sent as `name.1`.
    pub fn not_repeatable(&mut self, f: &Param) {
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
        let e = err(f, ViolationKind::NotRepeatable, &key);
        self.push(&f.wire, "not_repeatable", "sent_as_list", false, req, e);
    }

    fn list_cases(&mut self, f: &Param) {
        let (m, base, wire) = (self.m, self.base.clone(), f.wire.clone());
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
        for (mutation, n, expect) in item_counts(f) {
            if let Some(v) = items(n) {
                let e = if expect {
                    err(f, ViolationKind::Items, &wire)
                } else {
                    Expect::Ok
                };
                self.push(&wire, "items", &mutation, true, list_req(&v, 1), e);
            }
        }
        let two = if f.max_items.is_none_or(|n| n >= 2) {
            2
        } else {
            1
        };
        if let Some(v) = items(two) {
            self.contiguous_cases(f, &v, &list_req);
        }
        // Per-item text constraints, on the only item of a one-item list.
        let path = format!("{wire}.1");
        let apply = |v: &str| list_req(&[v.to_owned()], 1);
        self.text_cases(f, &wire, &path, &apply);
    }

    fn contiguous_cases(
        &mut self,
        f: &Param,
        v: &[String],
        list_req: &dyn Fn(&[String], u32) -> Wire,
    ) {
        let wire = f.wire.clone();
        let bases = self.m.protocol.list_bases.clone();
        for &b in &bases {
            self.push(
                &wire,
                "contiguous",
                &format!("base={b}"),
                true,
                list_req(v, b),
                Expect::Ok,
            );
        }
        let start = bases.iter().copied().max().unwrap_or(1) + 1;
        let e = err(f, ViolationKind::Contiguous, &wire);
        self.push(
            &wire,
            "contiguous",
            &format!("starts_at={start}"),
            false,
            list_req(&v[..1], start),
            e,
        );
        if v.len() == 2 {
            let mut r = self.base.clone();
            remove_param(&mut r, &wire);
            r.insert(format!("{wire}.1"), v[0].clone());
            r.insert(format!("{wire}.3"), v[1].clone());
            let e = err(f, ViolationKind::Contiguous, &wire);
            self.push(&wire, "contiguous", "gap=1,3", false, r, e);
        }
    }
}

/// Item-count mutations: (name, count, breaks the bound).
fn item_counts(f: &Param) -> Vec<(String, u64, bool)> {
    let mut out = Vec::new();
    if let Some(n) = f.max_items {
        out.push((format!("max_items={n}"), n, false));
        out.push((format!("max_items+1={}", n + 1), n + 1, true));
    }
    if let Some(n) = f.min_items {
        // Zero items cannot be told from an absent list on the wire (see `missing`).
        if n >= 2 {
            out.push((format!("min_items-1={}", n - 1), n - 1, true));
        }
        if n >= 1 {
            out.push((format!("min_items={n}"), n, false));
        }
    }
    out
}

pub(super) fn length_tries(m: &Api, f: &Param) -> Vec<Try<String>> {
    let mut tries = Vec::new();
    let l = ViolationKind::Length;
    if let Some(n) = f.min_len {
        if n >= 1 {
            tries.push((l, format!("min_len-1={}", n - 1), text_of_len(m, f, n - 1)));
        }
        tries.push((l, format!("min_len={n}"), text_of_len(m, f, n)));
    }
    let Some(n) = f.max_len else {
        return tries;
    };
    tries.push((l, format!("max_len={n}"), text_of_len(m, f, n)));
    let long = ViolationKind::TooLong;
    tries.push((
        long,
        format!("max_len+1={}", n + 1),
        text_of_len(m, f, n + 1),
    ));
    let wide_ok = pattern_of(m, f).is_none_or(|p| p.matches(&format!("a{WIDE}")));
    if wide_ok && f.one_of.is_empty() && n >= 2 {
        match f.len_unit {
            LenUnit::Bytes => {
                // More bytes than allowed in fewer characters than allowed.
                let k = (n + 2) / 2;
                let v = std::iter::repeat_n(WIDE, k as usize).collect();
                tries.push((long, format!("max_len+1_bytes_as_{k}_chars"), v));
            }
            LenUnit::Chars => {
                // Exactly max_len characters, twice as many bytes.
                let v = std::iter::repeat_n(WIDE, n as usize).collect();
                tries.push((l, format!("max_len_chars_as_{}_bytes", 2 * n), v));
            }
        }
    }
    tries
}

pub(super) fn pattern_tries(m: &Api, f: &Param) -> Vec<Try<String>> {
    let mut tries = Vec::new();
    let Some(p) = pattern_of(m, f) else {
        return tries;
    };
    let k = ViolationKind::Pattern;
    let len = f.min_len.unwrap_or(2).max(2) as usize;
    let (good_first, good_rest) = (filler(m, f, true), filler(m, f, false));
    if !p.first.is_empty() {
        let bad = ['0', '-', '_', '.', '!', WIDE]
            .into_iter()
            .find(|&c| !p.allows(c, true) && !p.forbid.contains(&c));
        if let Some(c) = bad {
            let v: String = std::iter::once(c)
                .chain(std::iter::repeat_n(good_rest, len - 1))
                .collect();
            tries.push((k, format!("first_char={c:?}"), v));
        }
    }
    if !p.rest.is_empty() {
        let bad = ['!', ' ', '.', '@', '*', WIDE]
            .into_iter()
            .find(|&c| !p.allows(c, false) && !p.forbid.contains(&c));
        // `-` and `_` tell the name rules of the service generations apart: each is a case,
        // accepted or refused as the profile's pattern says.
        for c in bad
            .into_iter()
            .chain(['-', '_'].into_iter().filter(|c| Some(*c) != bad))
        {
            let rest = std::iter::repeat_n(good_rest, len.saturating_sub(2));
            let v: String = [good_first, c].into_iter().chain(rest).collect();
            tries.push((k, format!("char={c:?}"), v));
        }
    }
    for &c in &p.forbid {
        tries.push((
            k,
            format!("forbidden={c:?}"),
            format!("{good_first}{c}{good_rest}"),
        ));
    }
    tries
}

pub(super) fn dots_tries(m: &Api, f: &Param) -> Vec<Try<String>> {
    let Some(n) = f.max_dots else {
        return Vec::new();
    };
    let dotted = |k: u64| {
        let mut v = String::from(filler(m, f, true));
        for _ in 0..k {
            v.push('.');
            v.push(filler(m, f, false));
        }
        v
    };
    let d = ViolationKind::Dots;
    vec![
        (d, format!("dots={n}"), dotted(n)),
        (d, format!("dots+1={}", n + 1), dotted(n + 1)),
    ]
}

pub(super) fn enum_tries(f: &Param) -> Vec<Try<String>> {
    let mut tries = Vec::new();
    let Some(first) = f.one_of.first().map(|v| v.text()) else {
        return tries;
    };
    let e = ViolationKind::Enum;
    for v in &f.one_of {
        tries.push((e, format!("listed={v}"), v.text()));
    }
    let listed = |x: &str| f.one_of.iter().any(|v| v.text() == x);
    if let Some(variant) = [first.to_uppercase(), first.to_lowercase()]
        .into_iter()
        .find(|v| !listed(v))
    {
        tries.push((e, format!("case={variant}"), variant));
    }
    tries.push((e, "not_listed".into(), "NOT_LISTED".into()));
    tries
}

pub(super) fn int_tries(f: &Param) -> Vec<Try<i64>> {
    let mut tries = Vec::new();
    let r = ViolationKind::Range;
    if let Some(n) = f.min {
        if let Some(v) = n.checked_sub(1) {
            tries.push((r, format!("min-1={v}"), v));
        }
        tries.push((r, format!("min={n}"), n));
    }
    if let Some(n) = f.max {
        tries.push((r, format!("max={n}"), n));
        if let Some(v) = n.checked_add(1) {
            tries.push((r, format!("max+1={v}"), v));
        }
    }
    let listed: Vec<i64> = f.one_of.iter().filter_map(|v| v.as_int()).collect();
    if let (Some(lo), Some(hi)) = (listed.iter().min(), listed.iter().max()) {
        let e = ViolationKind::Enum;
        for v in &listed {
            tries.push((e, format!("listed={v}"), *v));
        }
        if let Some(v) = lo.checked_sub(1) {
            tries.push((e, format!("not_listed={v}"), v));
        }
        if let Some(v) = hi.checked_add(1) {
            tries.push((e, format!("not_listed={v}"), v));
        }
    }
    tries
}
