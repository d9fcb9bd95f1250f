//! Reading the conformance corpus (`spec/conformance/`, format in `spec/README.md`) and
//! reporting its cases with `expected_failure` semantics, and writing every case's outcome to a
//! results file ([`results`]) for `cargo xtask coverage`. A dev-dependency of `cmq-sdk` and
//! `cmq-mock`, whose conformance tests share it; never published.

#![warn(missing_docs)]

pub mod results;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

pub use results::{Harness, Outcome, Part, Run};

/// The workspace root (the folder that holds `spec/`).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The JSON file at `rel` under the workspace root; panics naming the file if it cannot be read
/// or parsed.
pub fn load(rel: &str) -> Value {
    let path = root().join(rel);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{rel} is not JSON: {e}"))
}

/// The `cases` array of a corpus file.
pub fn cases(v: &Value) -> &[Value] {
    v["cases"].as_array().map_or(&[], Vec::as_slice)
}

/// The string at `key` of `v`, or `""`.
pub fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_default()
}

/// A wire value: a string, or `{"prefix": p, "repeat": u, "times": n}`.
pub fn expand(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Object(o) => {
            let mut s = o
                .get("prefix")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let unit = o.get("repeat").and_then(Value::as_str).unwrap_or_default();
            let times = o.get("times").and_then(Value::as_u64).unwrap_or(0);
            s.push_str(&unit.repeat(usize::try_from(times).unwrap_or(0)));
            s
        }
        other => other.to_string(),
    }
}

/// A JSON body of an API 3.0 case with every long value expanded: an object holding only
/// `repeat`, `times` and optionally `prefix` is the text [`expand`] makes of it.
pub fn expand_json(v: &Value) -> Value {
    match v {
        Value::Object(o)
            if o.contains_key("repeat")
                && o.contains_key("times")
                && o.keys()
                    .all(|k| matches!(k.as_str(), "prefix" | "repeat" | "times")) =>
        {
            Value::String(expand(v))
        }
        Value::Object(o) => {
            Value::Object(o.iter().map(|(k, x)| (k.clone(), expand_json(x))).collect())
        }
        Value::Array(a) => Value::Array(a.iter().map(expand_json).collect()),
        other => other.clone(),
    }
}

/// Pass/fail bookkeeping with `expected_failure` semantics, and every case's [`Outcome`].
#[derive(Default)]
pub struct Report {
    ran: usize,
    /// The unexpected failures so far, one line each.
    pub failures: Vec<String>,
    fixed: Vec<String>,
    expected: usize,
    outcomes: BTreeMap<String, Outcome>,
}

impl Report {
    /// Records case `name`: its outcome, and why it is a known gap if it is one (a known gap
    /// must fail; one that passes is reported as fixed).
    pub fn record(
        &mut self,
        name: &str,
        expected_failure: Option<&str>,
        outcome: Result<(), String>,
    ) {
        self.ran += 1;
        let o = match (expected_failure, outcome) {
            (None, Ok(())) => Outcome::Passed,
            (None, Err(e)) => {
                self.failures.push(format!("{name}: {e}"));
                Outcome::Failed
            }
            (Some(_), Err(_)) => {
                self.expected += 1;
                Outcome::ExpectedFailure
            }
            (Some(why), Ok(())) => {
                self.fixed
                    .push(format!("{name}: fixed! remove expected_failure ({why})"));
                Outcome::Passed
            }
        };
        self.outcomes.insert(name.to_owned(), o);
    }

    /// Records that this harness cannot express case `name` (it is not run, and not counted
    /// as passed or failed).
    pub fn not_applicable(&mut self, name: &str) {
        self.outcomes
            .insert(name.to_owned(), Outcome::NotApplicable);
    }

    /// Every case recorded so far: name → outcome.
    pub fn outcomes(&self) -> &BTreeMap<String, Outcome> {
        &self.outcomes
    }

    /// Writes the outcomes as the results file of `run` into `dir` (see [`results::save`]);
    /// call it before [`Report::finish`], so a failing run leaves its failures on record.
    pub fn save(&self, run: &Run, dir: &Path) {
        results::save(run, &self.outcomes, dir);
    }

    /// Panics with every failure (and every fixed known gap) at once; else prints the counts.
    pub fn finish(self, what: &str) {
        assert!(self.ran > 0, "{what}: no case ran");
        if !self.failures.is_empty() || !self.fixed.is_empty() {
            panic!(
                "{what}: {} of {} case(s) failed, {} expected failure(s) passed:\n{}",
                self.failures.len(),
                self.ran,
                self.fixed.len(),
                self.failures
                    .iter()
                    .chain(self.fixed.iter())
                    .map(|s| format!("  {s}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
        eprintln!(
            "{what}: {} case(s) passed, {} expected failure(s)",
            self.ran - self.expected,
            self.expected
        );
    }
}

/// True when `name` matches `pattern`, where `*` stands for any text.
pub fn glob(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if parts.len() == 1 {
        return pattern == name;
    }
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

/// A `[[name, value], …]` array as pairs.
pub fn pairs_of(v: &Value) -> Vec<(String, String)> {
    v.as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            (
                p[0].as_str().unwrap_or_default().to_owned(),
                p[1].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// The reason a derived case is a known gap, if it is one.
pub fn gap<'a>(gaps: &'a BTreeMap<String, String>, name: &str) -> Option<&'a str> {
    gaps.iter()
        .find(|(p, _)| glob(p, name))
        .map(|(_, why)| why.as_str())
}

/// The known gaps among the derived cases: case name (`*` = any text) → why.
pub fn derived_expected_failures() -> BTreeMap<String, String> {
    let v = load("spec/conformance/expected_failures.json");
    v["derived"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, why)| (k.clone(), why.as_str().unwrap_or_default().to_owned()))
        .collect()
}
