//! Reading an API 3.0 request body (a JSON object) into typed inputs, member by member, so that a
//! member of the wrong JSON type is reported against that member (its path, e.g. `Tags.0.TagKey`)
//! with the error the spec assigns, and an undefined member as an unknown parameter. `null`
//! counts as absent. `cmq-mock`'s generated API 3.0 decoder is built from these functions; the
//! checks of the values themselves (ranges, lengths, patterns, …) are the request types'
//! `validate_for`.

use serde_json::{Map, Value};

use crate::constraints::{ParamSpec, Violation, ViolationKind, type_violation};

/// A JSON object.
pub type Object = Map<String, Value>;

/// The path of member `key` under `prefix` (`""` for the top level): `key` or `prefix.key`.
pub fn path(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

/// The body as a JSON object, or `None` when it is not JSON or not an object.
pub fn body(bytes: &[u8]) -> Option<Object> {
    match serde_json::from_slice(bytes) {
        Ok(Value::Object(o)) => Some(o),
        _ => None,
    }
}

/// The member `spec.wire` of `obj`, `None` when absent or `null`.
fn member<'a, E>(obj: &'a Object, spec: &ParamSpec<E>) -> Option<&'a Value> {
    obj.get(spec.wire).filter(|v| !v.is_null())
}

/// An integer member; any other JSON value (a decimal, a string, a number beyond `i64`) is a
/// type violation.
pub fn int<E: Copy>(
    obj: &Object,
    spec: &ParamSpec<E>,
    prefix: &str,
    out: &mut Vec<Violation<E>>,
) -> Option<i64> {
    let v = member(obj, spec)?;
    let n = v.as_i64();
    if n.is_none() {
        type_violation(spec, &path(prefix, spec.wire), "an integer", v, out);
    }
    n
}

/// A string member.
pub fn string<E: Copy>(
    obj: &Object,
    spec: &ParamSpec<E>,
    prefix: &str,
    out: &mut Vec<Violation<E>>,
) -> Option<String> {
    match member(obj, spec)? {
        Value::String(s) => Some(s.clone()),
        v => {
            type_violation(spec, &path(prefix, spec.wire), "a string", v, out);
            None
        }
    }
}

/// A boolean member.
pub fn boolean<E: Copy>(
    obj: &Object,
    spec: &ParamSpec<E>,
    prefix: &str,
    out: &mut Vec<Violation<E>>,
) -> Option<bool> {
    match member(obj, spec)? {
        Value::Bool(b) => Some(*b),
        v => {
            type_violation(spec, &path(prefix, spec.wire), "true or false", v, out);
            None
        }
    }
}

/// A list of strings; an item that is not a string is a type violation naming it (`Name.0`).
pub fn string_list<E: Copy>(
    obj: &Object,
    spec: &ParamSpec<E>,
    prefix: &str,
    out: &mut Vec<Violation<E>>,
) -> Option<Vec<String>> {
    let name = path(prefix, spec.wire);
    let Value::Array(items) = member(obj, spec)? else {
        let v = member(obj, spec)?;
        type_violation(spec, &name, "a list of strings", v, out);
        return None;
    };
    let mut list = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match item {
            Value::String(s) => list.push(s.clone()),
            other => type_violation(spec, &format!("{name}.{i}"), "a string", other, out),
        }
    }
    Some(list)
}

/// An object member, its members read by `read` (given the object and its path).
pub fn object<E: Copy, T>(
    obj: &Object,
    spec: &ParamSpec<E>,
    prefix: &str,
    out: &mut Vec<Violation<E>>,
    read: impl FnOnce(&Object, &str, &mut Vec<Violation<E>>) -> T,
) -> Option<T> {
    let name = path(prefix, spec.wire);
    match member(obj, spec)? {
        Value::Object(o) => Some(read(o, &name, out)),
        v => {
            type_violation(spec, &name, "an object", v, out);
            None
        }
    }
}

/// A list of objects, each read by `read` (given the item and its path, `Name.0`).
pub fn object_list<E: Copy, T>(
    obj: &Object,
    spec: &ParamSpec<E>,
    prefix: &str,
    out: &mut Vec<Violation<E>>,
    read: impl Fn(&Object, &str, &mut Vec<Violation<E>>) -> T,
) -> Option<Vec<T>> {
    let name = path(prefix, spec.wire);
    let Value::Array(items) = member(obj, spec)? else {
        let v = member(obj, spec)?;
        type_violation(spec, &name, "a list of objects", v, out);
        return None;
    };
    let mut list = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let item_name = format!("{name}.{i}");
        match item {
            Value::Object(o) => list.push(read(o, &item_name, out)),
            other => type_violation(spec, &item_name, "an object", other, out),
        }
    }
    Some(list)
}

/// Reports every member of `obj` that is not in `known` (in key order) as an unknown parameter
/// answered with `error`.
pub fn unknown<E: Copy>(
    obj: &Object,
    known: &[&str],
    prefix: &str,
    error: E,
    out: &mut Vec<Violation<E>>,
) {
    for key in obj.keys().filter(|k| !known.contains(&k.as_str())) {
        out.push(Violation {
            param: path(prefix, key),
            kind: ViolationKind::Unknown,
            constraint: "a parameter the action defines".into(),
            value: None,
            error,
        });
    }
}
