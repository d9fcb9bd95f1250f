//! Writing the derived cases: one case per line, keys in a fixed, readable order, long values
//! as repeat objects.

use serde_json::{Map, Value};

use super::cases::{Case, Expect};
use super::tc3::{Case3, Expect3, action_cases};
use super::{all_cases, boundaries_path};
use crate::error::Error;
use crate::model::{Api, Model};

/// Values longer than this are written as `{"prefix": p, "repeat": u, "times": n}`.
const INLINE_MAX: usize = 256;

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

fn expect_json(m: &Api, e: &Expect, name: &str) -> Result<String, String> {
    let Expect::Err { error, param } = e else {
        return Ok(json_text("ok"));
    };
    let def = m
        .error(error)
        .ok_or_else(|| format!("{name}: unknown error id `{error}`"))?;
    let subject = param.split('.').next().unwrap_or(param);
    let (code, module) = def.cmq().unwrap_or_default();
    Ok(format!(
        "{{\"error\":{},\"param\":{},\"code\":{},\"module\":{},\"message\":{}}}",
        json_text(error.as_str()),
        json_text(param.as_str()),
        code,
        module,
        json_text(def.message_for(subject))
    ))
}

/// One case as a line of JSON.
fn case_json(m: &Api, c: &Case, name: &str) -> Result<String, String> {
    let params: Vec<String> = c
        .params
        .iter()
        .map(|(k, v)| format!("{}:{}", json_text(k.as_str()), json_text(wire_value(v))))
        .collect();
    Ok(format!(
        "{{\"name\":{},\"action\":{},\"param\":{},\"constraint\":{},\"mutation\":{},\"typed\":{},\"params\":{{{}}},\"expect\":{}}}",
        json_text(name),
        json_text(c.action.as_str()),
        json_text(c.param.as_str()),
        json_text(c.constraint.as_str()),
        json_text(c.mutation.as_str()),
        c.typed,
        params.join(","),
        expect_json(m, &c.expect, name)?
    ))
}

/// The derived cases of API `api` on the model's profile as the JSON text of
/// [`boundaries_path`]: deterministic, pretty, one case per line, with the `@generated` note
/// (and the spec's hash) and the profile as top-level fields.
pub fn boundaries(model: &Model, api: &Api) -> Result<String, Error> {
    let m = api;
    let fail = |message: String| Error::Render {
        file: boundaries_path(&api.id, &model.profile),
        message,
    };
    let cases = all_cases(m).map_err(fail)?;
    let mut lines = Vec::new();
    for (name, c) in &cases {
        lines.push(format!("    {}", case_json(m, c, name).map_err(fail)?));
    }
    let note = format!(
        "by cargo xtask codegen from spec (sha256 {}); do not edit. Format: spec/README.md, section Conformance corpus",
        model.spec_hash
    );
    Ok(format!(
        "{{\n  \"@generated\": {},\n  \"profile\": {},\n  \"count\": {},\n  \"cases\": [\n{}\n  ]\n}}\n",
        Value::from(note),
        Value::from(model.profile.as_str()),
        cases.len(),
        lines.join(",\n")
    ))
}

fn expect3_json(m: &Api, e: &Expect3, name: &str) -> Result<String, String> {
    let Expect3::Err { error, param } = e else {
        return Ok(json_text("ok"));
    };
    let def = m
        .error(error)
        .ok_or_else(|| format!("{name}: unknown error id `{error}`"))?;
    Ok(format!(
        "{{\"error\":{},\"param\":{},\"code\":{},\"message\":{}}}",
        json_text(error.as_str()),
        json_text(param.as_str()),
        json_text(def.tc3_code().unwrap_or_default()),
        json_text(def.message_for(param))
    ))
}

/// A JSON value with long strings written as repeat objects.
fn compact_value(v: &Value) -> Value {
    match v {
        Value::String(s) if s.len() > INLINE_MAX => wire_value(s),
        Value::Array(a) => Value::Array(a.iter().map(compact_value).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| (k.clone(), compact_value(x)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn case3_json(m: &Api, c: &Case3, name: &str) -> Result<String, String> {
    Ok(format!(
        "{{\"name\":{},\"action\":{},\"param\":{},\"constraint\":{},\"mutation\":{},\"typed\":{},\"body\":{},\"expect\":{}}}",
        json_text(name),
        json_text(c.action.as_str()),
        json_text(c.param.as_str()),
        json_text(c.constraint.as_str()),
        json_text(c.mutation.as_str()),
        c.typed,
        json_text(compact_value(&c.body)),
        expect3_json(m, &c.expect, name)?
    ))
}

/// The derived cases of an API 3.0 API on the model's profile (see [`super::tc3`]), in the
/// format of [`boundaries`] with a JSON `body` per case instead of wire `params`.
pub fn boundaries_tc3(model: &Model, api: &Api) -> Result<String, Error> {
    let fail = |message: String| Error::Render {
        file: boundaries_path(&api.id, &model.profile),
        message,
    };
    let mut lines = Vec::new();
    let mut seen: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for a in &api.actions {
        for c in action_cases(api, a).map_err(fail)? {
            let mut name = format!("{}/{}/{}/{}", c.action, c.param, c.constraint, c.mutation)
                .replace("//", "/");
            let n = seen.entry(name.clone()).or_insert(0);
            *n += 1;
            if *n > 1 {
                name = format!("{name}#{n}");
            }
            lines.push(format!("    {}", case3_json(api, &c, &name).map_err(fail)?));
        }
    }
    let note = format!(
        "by cargo xtask codegen from spec (sha256 {}); do not edit. Format: spec/README.md, section Conformance corpus",
        model.spec_hash
    );
    Ok(format!(
        "{{\n  \"@generated\": {},\n  \"profile\": {},\n  \"api\": {},\n  \"count\": {},\n  \"cases\": [\n{}\n  ]\n}}\n",
        Value::from(note),
        Value::from(model.profile.as_str()),
        Value::from(api.id.as_str()),
        lines.len(),
        lines.join(",\n")
    ))
}
