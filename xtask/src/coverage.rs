//! `cargo xtask coverage`: reads the conformance corpus (hand-written files and the derived
//! cases) and reports, per action, the parameters, constraints and errors it exercises, and
//! every constraint of the spec no malformed case breaks.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use codegen::Error;
use codegen::conformance::{
    Constraint, EXPECTED_FAILURES, HAND_WRITTEN, HAND_WRITTEN_V3, boundaries_path, constraints,
    error_for,
};
use codegen::model::{Api, Model};
use serde_json::Value;

/// What the corpus exercises on one profile.
#[derive(Clone, Debug, Default)]
pub struct Coverage {
    /// The profile (its derived cases, and the hand-written cases that name it or none).
    pub profile: String,
    /// Per action: parameters, constraints and errors exercised.
    pub actions: Vec<ActionCoverage>,
    /// Constraints no malformed (hand-written or derived) case breaks.
    pub uncovered: Vec<Constraint>,
    /// Case counts: requests, responses, malformed, derived.
    pub counts: [usize; 4],
    /// Constraints covered and in total.
    pub covered_total: (usize, usize),
    /// Known gaps: hand-written cases with `expected_failure`, and the patterns of
    /// `expected_failures.json` (derived cases).
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
        let mut s = format!("== profile {}\n", self.profile);
        for a in &self.actions {
            s.push_str(&a.report());
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

impl ActionCoverage {
    fn report(&self) -> String {
        let mut s = format!(
            "{}: parameters {}/{}, constraints {}/{}\n",
            self.name,
            self.params.len(),
            self.params_total,
            self.covered.len(),
            self.constraints_total
        );
        if !self.params.is_empty() {
            s.push_str(&format!("  parameters: {}\n", self.params.join(" ")));
        }
        let mut by_param: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for c in &self.covered {
            by_param.entry(&c.param).or_default().push(&c.kind);
        }
        for (p, kinds) in by_param {
            s.push_str(&format!("  {p}: {}\n", kinds.join(" ")));
        }
        if !self.errors.is_empty() {
            let list: Vec<&str> = self.errors.iter().map(String::as_str).collect();
            s.push_str(&format!("  errors: {}\n", list.join(", ")));
        }
        if !self.errors_not_exercised.is_empty() {
            s.push_str(&format!(
                "  errors no case expects (mostly server state): {}\n",
                self.errors_not_exercised.join(", ")
            ));
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
        at: codegen::Location::new(rel.trim_start_matches("spec/"), "$"),
        message: e.to_string(),
    })
}

fn cases_of(v: &Value) -> &[Value] {
    v.get("cases")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn str_of<'v>(case: &'v Value, key: &str) -> &'v str {
    case.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// The error id a case expects (`expect` or `expected`: an object with `error`, or `code`,
/// `module` and `message`; for API 3.0 `code` and `message`), if any.
fn expected_error(m: &Api, case: &Value) -> Option<String> {
    let e = case.get("expect").or_else(|| case.get("expected"))?;
    let e = e.get("error").filter(|x| x.is_object()).unwrap_or(e);
    if let Some(id) = e.get("error").and_then(Value::as_str) {
        return Some(id.to_owned());
    }
    if let Some(code) = e.get("code").and_then(Value::as_str) {
        let msg = e.get("message").and_then(Value::as_str).unwrap_or_default();
        let found = m.errors.iter().find(|x| {
            x.tc3_code() == Some(code) && x.message.split("%s").all(|part| msg.contains(part))
        });
        return found.map(|x| x.id.clone());
    }
    let code = e.get("code")?.as_i64()?;
    let module = e.get("module")?.as_i64()?;
    let msg = e.get("message")?.as_str()?;
    error_for(m, code, module, msg).map(|x| x.id.clone())
}

/// The corpus files, read.
struct Corpus {
    requests: Value,
    responses: Value,
    malformed: Value,
    derived: Value,
    gaps: Value,
}

impl Corpus {
    /// The corpus of `api`: its hand-written files (`hand`: requests, responses and, for API
    /// 2.0, malformed) and the derived cases of the default profile.
    fn read(root: &Path, m: &Model, api: &Api, hand: &[&str]) -> Result<Corpus, Error> {
        let path = boundaries_path(&api.id, &m.profile);
        let derived = read_json(root, &path)?;
        if !str_of(&derived, "@generated").contains(&m.spec_hash) {
            return Err(Error::Render {
                file: path,
                message: "stale: it was derived from another spec; run `cargo xtask codegen`"
                    .into(),
            });
        }
        let file = |i: usize| hand.get(i).map_or(Ok(Value::Null), |f| read_json(root, f));
        Ok(Corpus {
            requests: file(0)?,
            responses: file(1)?,
            malformed: file(2)?,
            derived,
            gaps: read_json(root, EXPECTED_FAILURES)?,
        })
    }
}

/// What the cases send and expect, per action.
#[derive(Default)]
struct Seen {
    covered: BTreeSet<Constraint>,
    params: BTreeMap<String, BTreeSet<String>>,
    errors: BTreeMap<String, BTreeSet<String>>,
}

impl Seen {
    fn params(&mut self, action: &str, ps: Option<&Value>) {
        let wire_base = |k: &str| k.split('.').next().unwrap_or(k).to_owned();
        if let Some(ps) = ps.and_then(Value::as_object) {
            self.params
                .entry(action.to_owned())
                .or_default()
                .extend(ps.keys().map(|k| wire_base(k)));
        }
    }

    fn malformed(&mut self, m: &Api, case: &Value) {
        let action = str_of(case, "action");
        self.params(action, case.get("params"));
        let Some(id) = expected_error(m, case) else {
            return;
        };
        self.errors.entry(action.to_owned()).or_default().insert(id);
        let (Some(param), Some(kind)) = (
            case.get("param").and_then(Value::as_str),
            case.get("constraint").and_then(Value::as_str),
        ) else {
            return;
        };
        let param = match kind.strip_prefix("rule:") {
            Some(rule) => rule
                .split_once('(')
                .map_or("", |(_, r)| r.trim_end_matches(')'))
                .to_owned(),
            None => param.to_owned(),
        };
        self.covered.insert(Constraint {
            action: action.to_owned(),
            param,
            kind: kind.to_owned(),
        });
    }
}

/// Reads the corpus under `root` and measures it against the spec's constraints, once per
/// profile (the default first): the profile's derived cases and the hand-written cases that name
/// that profile or none; API 2.0's constraints, then API 3.0's where the profile offers it.
pub fn coverage(root: &Path) -> Result<Vec<Coverage>, Error> {
    codegen::models(&root.join("spec"))?
        .iter()
        .map(|model| coverage_of(root, model))
        .collect()
}

/// True when a hand-written case holds on `profile` (it names that profile, or none).
fn on_profile(case: &Value, profile: &str) -> bool {
    case.get("profile")
        .and_then(Value::as_str)
        .is_none_or(|p| p == profile)
}

fn coverage_of(root: &Path, model: &Model) -> Result<Coverage, Error> {
    let m = model.api(codegen::RUST_API).ok_or_else(|| Error::Spec {
        at: codegen::Location::new(format!("{}/protocol.json", codegen::RUST_API), "$"),
        message: "the corpus covers API 2.0, which the spec lacks".into(),
    })?;
    let mut out = api_coverage(&Corpus::read(root, model, m, HAND_WRITTEN)?, model, m);
    let v3 = model.api(codegen::RUST_API3);
    if let Some(m3) = v3.filter(|a| a.tc3.as_ref().is_some_and(|t| t.available)) {
        let more = api_coverage(&Corpus::read(root, model, m3, HAND_WRITTEN_V3)?, model, m3);
        out.actions.extend(more.actions);
        out.uncovered.extend(more.uncovered);
        for (a, b) in out.counts.iter_mut().zip(more.counts) {
            *a += b;
        }
        out.covered_total.0 += more.covered_total.0;
        out.covered_total.1 += more.covered_total.1;
        let gaps = more
            .known_gaps
            .into_iter()
            .filter(|g| !out.known_gaps.contains(g));
        let gaps: Vec<String> = gaps.collect();
        out.known_gaps.extend(gaps);
    }
    Ok(out)
}

/// The coverage of one API's corpus.
fn api_coverage(corpus: &Corpus, model: &Model, m: &Api) -> Coverage {
    let mut seen = Seen::default();
    let malformed = cases_of(&corpus.malformed)
        .iter()
        .filter(|c| on_profile(c, &model.profile));
    for case in malformed.chain(cases_of(&corpus.derived)) {
        seen.malformed(m, case);
    }
    for case in cases_of(&corpus.requests) {
        seen.params(str_of(case, "action"), case.get("input"));
    }
    for case in cases_of(&corpus.derived) {
        seen.params(str_of(case, "action"), case.get("body"));
    }
    for case in cases_of(&corpus.responses) {
        if let Some(id) = expected_error(m, case) {
            let action = str_of(case, "action").to_owned();
            seen.errors.entry(action).or_default().insert(id);
        }
    }
    let mut out = Coverage {
        profile: model.profile.clone(),
        counts: [
            cases_of(&corpus.requests).len(),
            cases_of(&corpus.responses).len(),
            cases_of(&corpus.malformed)
                .iter()
                .filter(|c| on_profile(c, &model.profile))
                .count(),
            cases_of(&corpus.derived).len(),
        ],
        ..Coverage::default()
    };
    let all = constraints(m);
    for a in &m.actions {
        out.actions
            .push(action_coverage(m, a, &all, &seen, &mut out.uncovered));
    }
    out.known_gaps = known_gaps(corpus);
    out.covered_total = (all.len() - out.uncovered.len(), all.len());
    out
}

fn action_coverage(
    m: &Api,
    a: &codegen::model::Action,
    all: &[Constraint],
    seen: &Seen,
    uncovered: &mut Vec<Constraint>,
) -> ActionCoverage {
    let params = seen.params.get(&a.name).cloned().unwrap_or_default();
    let errors = seen.errors.get(&a.name);
    let mine: Vec<&Constraint> = all.iter().filter(|c| c.action == a.name).collect();
    let (cov, unc): (Vec<&Constraint>, Vec<&Constraint>) =
        mine.iter().partition(|c| seen.covered.contains(c));
    uncovered.extend(unc.into_iter().cloned());
    let describe = |id: &str| {
        m.error(id)
            .map_or(id.to_owned(), |e| format!("{id} {}", e.code_text()))
    };
    ActionCoverage {
        name: a.name.clone(),
        params: a
            .params
            .iter()
            .map(|p| p.wire.clone())
            .filter(|w| params.contains(w))
            .collect(),
        params_total: a.params.len(),
        covered: cov.into_iter().cloned().collect(),
        constraints_total: mine.len(),
        errors: errors
            .map(|s| s.iter().map(|id| describe(id)).collect())
            .unwrap_or_default(),
        errors_not_exercised: a
            .errors
            .iter()
            .filter(|id| !errors.is_some_and(|s| s.contains(*id)))
            .cloned()
            .collect(),
    }
}

fn known_gaps(c: &Corpus) -> Vec<String> {
    let mut out = Vec::new();
    for case in cases_of(&c.requests)
        .iter()
        .chain(cases_of(&c.responses))
        .chain(cases_of(&c.malformed))
    {
        if let Some(why) = case.get("expected_failure").and_then(Value::as_str) {
            out.push(format!("{}: {why}", str_of(case, "name")));
        }
    }
    let derived = c.gaps.get("derived").and_then(Value::as_object);
    for (pattern, why) in derived.into_iter().flatten() {
        out.push(format!("{pattern}: {}", why.as_str().unwrap_or_default()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn root() -> PathBuf {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        manifest.parent().map(Path::to_path_buf).unwrap_or_default()
    }

    fn copy_dir(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).expect("mkdir");
        for e in std::fs::read_dir(from).expect("read dir") {
            let p = e.expect("entry").path();
            let target = to.join(p.file_name().expect("name"));
            if p.is_dir() {
                copy_dir(&p, &target);
            } else {
                std::fs::copy(&p, &target).expect("copy");
            }
        }
    }

    /// A fresh workspace copy: the spec (corpus included) and every generated file written.
    fn workspace(tag: &str) -> PathBuf {
        let ws = std::env::temp_dir().join(format!("cmq-xtask-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&ws);
        copy_dir(&root().join("spec"), &ws.join("spec"));
        let files = codegen::generate(&ws.join("spec")).expect("builds");
        codegen::sync::write(&ws, &files).expect("write");
        ws
    }

    fn set_delay_max(spec: &Path, max: i64) {
        let attr = spec.join("v2/attributes.json");
        let text = std::fs::read_to_string(&attr).expect("read");
        let mut v: Value = serde_json::from_str(&text).expect("json");
        v["params"]["delaySeconds"]["max"] = serde_json::json!(max);
        std::fs::write(&attr, serde_json::to_string_pretty(&v).expect("ser")).expect("write");
    }

    #[test]
    fn coverage_names_a_constraint_without_malformed_cases() {
        let ws = workspace("coverage");
        let all = coverage(&ws).expect("coverage");
        assert_eq!(
            all.iter().map(|c| c.profile.as_str()).collect::<Vec<_>>(),
            ["tdmq", "legacy"]
        );
        assert!(all.iter().all(Coverage::is_complete));
        let full = &all[0];
        assert!(full.is_complete(), "{}", full.report());
        assert_eq!(full.covered_total.0, full.covered_total.1);

        // Drop every derived case breaking BatchReceiveMessage's pollingWaitSeconds range.
        let b = ws.join(boundaries_path("v2", "tdmq"));
        let text = std::fs::read_to_string(&b).expect("read");
        let kept: Vec<&str> = text
            .lines()
            .filter(|l| !l.contains("\"name\":\"BatchReceiveMessage/pollingWaitSeconds/range/"))
            .collect();
        let kept = kept.join("\n").replace("},\n  ]", "}\n  ]");
        std::fs::write(&b, kept + "\n").expect("write");
        let profiles = coverage(&ws).expect("coverage");
        assert!(
            profiles[1].is_complete(),
            "legacy has its own derived cases"
        );
        let partial = &profiles[0];
        assert!(!partial.is_complete());
        let missing: Vec<String> = partial.uncovered.iter().map(ToString::to_string).collect();
        assert_eq!(missing, ["BatchReceiveMessage pollingWaitSeconds range"]);
        let report = partial.report();
        assert!(
            report.contains("1 constraint(s) without a malformed case"),
            "{report}"
        );

        // A corpus derived from another spec is refused as stale.
        set_delay_max(&ws.join("spec"), 7200);
        let err = coverage(&ws).expect_err("stale");
        assert!(err.to_string().contains("cargo xtask codegen"), "{err}");
        let _ = std::fs::remove_dir_all(&ws);
    }
}
