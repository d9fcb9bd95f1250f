//! Derived cases of an API of style `tc3` (Tencent Cloud API 3.0): JSON bodies instead of
//! wire parameters. For every action: a valid base body (a valid value for every required
//! parameter), and per parameter — and per member of a request model — the base plus **one**
//! mutation: missing, `null` (the same as absent), a value of the wrong JSON type, the range,
//! length, pattern, dots, enum and item bounds, an unknown member; per action an unknown
//! parameter and a body that is not a JSON object; per `requires` rule its cases. Expectations
//! come from the model's facts: the error the spec assigns to the violated kind, its code, and
//! its message with `%s` filled with the violation's path (`Tags.0.TagKey`).

use serde_json::{Map, Value};

use super::cases::{Try, dots_tries, enum_tries, int_tries, length_tries, pattern_tries};
use super::values::{int_violations, text_violations, valid_int, valid_item, valid_text};
use crate::model::{Action, Api, Param, Rule};
use crate::spec::{ParamType, ViolationKind};

/// What a case expects: ok, or an error id about a path.
#[derive(Clone, Debug)]
pub(super) enum Expect3 {
    Ok,
    Err { error: String, param: String },
}

/// One derived API 3.0 case.
#[derive(Clone, Debug)]
pub(super) struct Case3 {
    pub action: String,
    pub param: String,
    pub constraint: String,
    pub mutation: String,
    /// Whether a typed request can express the body (not for wrong types, unknown members or a
    /// body that is not an object).
    pub typed: bool,
    /// The body: a JSON value (an object but for the `body` cases).
    pub body: Value,
    pub expect: Expect3,
}

/// A body as an ordered JSON object.
type Body = Map<String, Value>;

/// How a mutated value becomes a body.
type Put<'a> = dyn Fn(Value) -> Body + 'a;

struct Gen3<'m> {
    m: &'m Api,
    a: &'m Action,
    base: Body,
    cases: Vec<Case3>,
}

fn err(f: &Param, kind: ViolationKind, path: &str) -> Expect3 {
    Expect3::Err {
        error: f.error(kind).to_owned(),
        param: path.to_owned(),
    }
}

/// The API's error for a protocol-level failure (`unknown_parameter`, `malformed_body`).
fn protocol_error(m: &Api, key: &str, path: &str) -> Expect3 {
    let error = (m.protocol_errors.iter())
        .find(|p| p.key == key)
        .map_or_else(|| "InvalidParameter".to_owned(), |p| p.error.clone());
    Expect3::Err {
        error,
        param: path.to_owned(),
    }
}

/// A valid JSON value of `f` (`None` when its facts allow none).
pub(super) fn valid_value(m: &Api, f: &Param) -> Option<Value> {
    Some(match f.ty {
        ParamType::Int => Value::from(valid_int(f)?),
        ParamType::String => Value::from(valid_text(m, f, &f.wire)?),
        ParamType::Bool => Value::Bool(true),
        ParamType::StringList => {
            let n = f.min_items.unwrap_or(1).max(1);
            let items = (1..=n)
                .map(|i| valid_item(m, f, &f.wire, i as usize).map(Value::from))
                .collect::<Option<Vec<_>>>()?;
            Value::Array(items)
        }
        ParamType::Object | ParamType::Json => Value::Object(valid_object(m, f)?),
        ParamType::ObjectList => Value::Array(vec![Value::Object(valid_object(m, f)?)]),
    })
}

/// A valid object of `f`'s model: every required member set.
fn valid_object(m: &Api, f: &Param) -> Option<Body> {
    let mut o = Body::new();
    for mf in m.members(f).iter().filter(|x| x.required) {
        o.insert(mf.wire.clone(), valid_value(m, mf)?);
    }
    Some(o)
}

/// Every derived case of `a`.
pub(super) fn action_cases(m: &Api, a: &Action) -> Result<Vec<Case3>, String> {
    let mut base = Body::new();
    for p in a.params.iter().filter(|p| p.required) {
        let v = valid_value(m, p)
            .ok_or_else(|| format!("{}: no valid value for `{}`", a.name, p.wire))?;
        base.insert(p.wire.clone(), v);
    }
    let mut g = Gen3 {
        m,
        a,
        base: base.clone(),
        cases: Vec::new(),
    };
    g.push("", "base", "valid", true, base.clone(), Expect3::Ok);
    g.body_cases();
    for p in &a.params {
        let put = |v: Value| {
            let mut b = base.clone();
            b.insert(p.wire.clone(), v);
            b
        };
        let put: &Put<'_> = &put;
        g.param_cases(p, &p.wire.clone(), put);
    }
    for r in &a.rules {
        g.rule_cases(r);
    }
    Ok(g.cases)
}

impl Gen3<'_> {
    fn push(
        &mut self,
        param: &str,
        constraint: &str,
        mutation: &str,
        typed: bool,
        body: Body,
        expect: Expect3,
    ) {
        let mut body = body;
        if !constraint.starts_with("rule:") {
            self.complete(&mut body);
        }
        self.push_value(
            param,
            constraint,
            mutation,
            typed,
            Value::Object(body),
            expect,
        );
    }

    fn push_value(
        &mut self,
        param: &str,
        constraint: &str,
        mutation: &str,
        typed: bool,
        body: Value,
        expect: Expect3,
    ) {
        self.cases.push(Case3 {
            action: self.a.name.clone(),
            param: param.to_owned(),
            constraint: constraint.to_owned(),
            mutation: mutation.to_owned(),
            typed,
            body,
            expect,
        });
    }

    /// Keeps a mutation single: when a `requires` rule's `if` is sent and its `then` is not,
    /// sends a valid `then` too.
    fn complete(&self, body: &mut Body) {
        for r in &self.a.rules {
            let Rule::Requires { when, then, .. } = r else {
                continue;
            };
            if body.contains_key(&when.param) && !body.contains_key(&then.param) {
                if let Some(v) = self
                    .a
                    .param(&then.param)
                    .and_then(|p| valid_value(self.m, p))
                {
                    body.insert(then.param.clone(), v);
                }
            }
        }
    }

    /// A body that is not an object; an unknown parameter.
    fn body_cases(&mut self) {
        let e = protocol_error(self.m, "malformed_body", "");
        self.push_value(
            "",
            "body",
            "not_an_object",
            false,
            Value::Array(Vec::new()),
            e,
        );
        let mut b = self.base.clone();
        b.insert("NotAParameter".into(), Value::from(1));
        let e = protocol_error(self.m, "unknown_parameter", "NotAParameter");
        self.push("NotAParameter", "unknown", "extra_member", false, b, e);
    }

    /// The cases of parameter (or member) `f` at `path`; `put` builds the body for a value.
    fn param_cases(&mut self, f: &Param, path: &str, put: &Put<'_>) {
        let absent = if f.required {
            err(f, ViolationKind::Missing, path)
        } else {
            Expect3::Ok
        };
        if f.required {
            let mut b = put(Value::Null);
            remove_path(&mut b, path);
            self.push(path, "missing", "absent", true, b, absent.clone());
        }
        self.push(path, "null", "null", true, put(Value::Null), absent);
        self.type_cases(f, path, put);
        match f.ty {
            ParamType::Int => self.int_cases(f, path, put),
            ParamType::String => self.text_cases(f, path, path, put),
            ParamType::Bool => {
                self.push(
                    path,
                    "bool",
                    "false",
                    true,
                    put(Value::Bool(false)),
                    Expect3::Ok,
                );
            }
            ParamType::StringList => self.list_cases(f, path, put),
            ParamType::ObjectList | ParamType::Object | ParamType::Json => {
                self.object_cases(f, path, put);
            }
        }
    }

    /// Values of the wrong JSON type.
    fn type_cases(&mut self, f: &Param, path: &str, put: &Put<'_>) {
        let wrong: &[(&str, Value)] = match f.ty {
            ParamType::Int => &[("string", Value::from("1")), ("decimal", Value::from(1.5))],
            ParamType::String => &[("number", Value::from(1))],
            ParamType::Bool => &[("string", Value::from("true"))],
            ParamType::StringList => &[("string", Value::from("a"))],
            ParamType::Object | ParamType::Json => &[("list", Value::Array(Vec::new()))],
            ParamType::ObjectList => &[("object", Value::Object(Map::new()))],
        };
        for (mutation, v) in wrong {
            let e = err(f, ViolationKind::Type, path);
            self.push(path, "type", mutation, false, put(v.clone()), e);
        }
        let item = match f.ty {
            ParamType::StringList => Some(Value::from(1)),
            ParamType::ObjectList => Some(Value::from("x")),
            _ => None,
        };
        if let Some(v) = item {
            let e = err(f, ViolationKind::Type, &format!("{path}.0"));
            self.push(path, "type", "item", false, put(Value::Array(vec![v])), e);
        }
    }

    /// Records each tried value whose violations are none (ok) or exactly its kind.
    fn record<T: Clone>(
        &mut self,
        f: &Param,
        path: &str,
        vpath: &str,
        tries: Vec<Try<T>>,
        found: &dyn Fn(&T) -> Vec<ViolationKind>,
        put: &dyn Fn(T) -> Body,
    ) {
        for (kind, mutation, value) in tries {
            let found = found(&value);
            let expect = if found.is_empty() {
                Expect3::Ok
            } else if found == [kind] {
                err(f, kind, vpath)
            } else {
                continue;
            };
            self.push(path, kind.constraint(), &mutation, true, put(value), expect);
        }
    }

    fn int_cases(&mut self, f: &Param, path: &str, put: &Put<'_>) {
        let tries = int_tries(f);
        self.record(
            f,
            path,
            path,
            tries,
            &|v: &i64| int_violations(f, *v),
            &|v: i64| put(Value::from(v)),
        );
    }

    /// Text mutations of `f`; `vpath` is the violation's path (an item's for a list).
    fn text_cases(&mut self, f: &Param, path: &str, vpath: &str, put: &Put<'_>) {
        let m = self.m;
        let mut tries = length_tries(m, f);
        tries.extend(pattern_tries(m, f));
        tries.extend(dots_tries(m, f));
        tries.extend(enum_tries(f));
        let found = |v: &String| text_violations(m, f, v);
        self.record(f, path, vpath, tries, &found, &|v: String| {
            put(Value::from(v))
        });
    }

    fn list_cases(&mut self, f: &Param, path: &str, put: &Put<'_>) {
        let m = self.m;
        let items = |n: u64| -> Option<Vec<Value>> {
            (1..=n)
                .map(|i| valid_item(m, f, &f.wire, i as usize).map(Value::from))
                .collect()
        };
        if let Some(n) = f.max_items {
            for (mutation, k, bad) in [
                (format!("max_items={n}"), n, false),
                (format!("max_items+1={}", n + 1), n + 1, true),
            ] {
                let Some(v) = items(k) else { continue };
                let e = if bad {
                    err(f, ViolationKind::Items, path)
                } else {
                    Expect3::Ok
                };
                self.push(path, "items", &mutation, true, put(Value::Array(v)), e);
            }
        }
        self.push(
            path,
            "items",
            "empty",
            true,
            put(Value::Array(Vec::new())),
            Expect3::Ok,
        );
        let one = |v: Value| put(Value::Array(vec![v]));
        self.text_cases(f, path, &format!("{path}.0"), &one);
    }

    /// The members of `f`'s model, inside a one-item list (or the object itself), and an
    /// unknown member.
    fn object_cases(&mut self, f: &Param, path: &str, put: &Put<'_>) {
        let m = self.m;
        let Some(valid) = valid_object(m, f) else {
            return;
        };
        let list = f.ty == ParamType::ObjectList;
        let wrap = |o: Body| {
            if list {
                put(Value::Array(vec![Value::Object(o)]))
            } else {
                put(Value::Object(o))
            }
        };
        let at = if list {
            format!("{path}.0")
        } else {
            path.to_owned()
        };
        let mut extra = valid.clone();
        extra.insert("NotAMember".into(), Value::from(1));
        let e = protocol_error(m, "unknown_parameter", &format!("{at}.NotAMember"));
        self.push(path, "unknown", "extra_member", false, wrap(extra), e);
        for mf in m.members(f) {
            let mpath = format!("{at}.{}", mf.wire);
            let member_put = |v: Value| {
                let mut o = valid.clone();
                o.insert(mf.wire.clone(), v);
                wrap(o)
            };
            self.member_cases(mf, &mpath, &member_put);
        }
    }

    /// A member's cases (a missing required member removes it from the object).
    fn member_cases(&mut self, mf: &Param, mpath: &str, put: &Put<'_>) {
        let absent = if mf.required {
            err(mf, ViolationKind::Missing, mpath)
        } else {
            Expect3::Ok
        };
        if mf.required {
            let mut b = put(Value::Null);
            remove_path(&mut b, mpath);
            self.push(mpath, "missing", "absent", true, b, absent.clone());
        }
        self.push(mpath, "null", "null", true, put(Value::Null), absent);
        self.type_cases(mf, mpath, put);
        match mf.ty {
            ParamType::Int => self.int_cases(mf, mpath, put),
            ParamType::String => self.text_cases(mf, mpath, mpath, put),
            ParamType::StringList => self.list_cases(mf, mpath, put),
            _ => {}
        }
    }

    fn rule_cases(&mut self, r: &Rule) {
        let Rule::Requires { when, then, error } = r else {
            return;
        };
        let (Some(w), Some(t)) = (self.a.param(&when.param), self.a.param(&then.param)) else {
            return;
        };
        let (Some(wv), Some(tv)) = (valid_value(self.m, w), valid_value(self.m, t)) else {
            return;
        };
        let name = format!("rule:requires({},{})", when.path, then.path);
        let with = |pairs: &[(&str, &Value)]| {
            let mut b = self.base.clone();
            for (k, v) in pairs {
                b.insert((*k).to_owned(), (*v).clone());
            }
            b
        };
        let broken = Expect3::Err {
            error: error.clone(),
            param: then.path.clone(),
        };
        let cases = [
            ("if_without_then", with(&[(&when.param, &wv)]), broken),
            (
                "both",
                with(&[(&when.param, &wv), (&then.param, &tv)]),
                Expect3::Ok,
            ),
            ("then_alone", with(&[(&then.param, &tv)]), Expect3::Ok),
        ];
        for (mutation, body, expect) in cases {
            self.push(&then.path, &name, mutation, true, body, expect);
        }
    }
}

/// Removes the member at `path` (`A`, `A.0.B`, `A.B`) from a body.
fn remove_path(b: &mut Body, path: &str) {
    let parts: Vec<&str> = path.split('.').collect();
    let Some((last, init)) = parts.split_last() else {
        return;
    };
    let mut cur = b;
    let mut i = 0;
    while i < init.len() {
        let Some(mut v) = cur.get_mut(init[i]) else {
            return;
        };
        i += 1;
        while let Value::Array(a) = v {
            let Some(idx) = init.get(i).and_then(|s| s.parse::<usize>().ok()) else {
                return;
            };
            i += 1;
            let Some(x) = a.get_mut(idx) else {
                return;
            };
            v = x;
        }
        let Value::Object(o) = v else {
            return;
        };
        cur = o;
    }
    cur.remove(*last);
}
