//! Writing the derived cases: one case per line, keys in a fixed, readable order, long values
//! as repeat objects.

use serde_json::{Map, Value};

use super::cases::{Case, Expect};
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
