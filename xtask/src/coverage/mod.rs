//! `cargo xtask coverage`: reads the conformance corpus (hand-written files and the derived
//! cases) and the outcomes both harnesses recorded for it (`results`), and reports, per profile
//! and API, the parameters, constraints and errors it exercises. A constraint counts as covered
//! only when a case breaking it **passed** in the SDK's and the mock's conformance tests, or in
//! the one harness that can express it (reported apart: "by the mock only"); the hand-written
//! corpus (`malformed.json`) and the derived one (`generated/boundaries.*.json`) are counted
//! apart, then together.

mod count;
mod results;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use codegen::conformance::{
    Constraint, EXPECTED_FAILURES, HAND_WRITTEN, HAND_WRITTEN_V3, boundaries_path, constraints,
    error_for,
};
use codegen::model::{Api, Model};
use serde_json::Value;

pub use count::{Tally, Verdict};
pub use results::default_dir;

/// What the corpus exercises on one profile: one entry per API the profile offers.
#[derive(Clone, Debug, Default)]
pub struct Coverage {
    /// The profile (its derived cases, and the hand-written cases that name it or none).
    pub profile: String,
    /// Per API (API 2.0, then API 3.0 where the profile offers it).
    pub apis: Vec<ApiCoverage>,
}

/// What the corpus of one API exercises on one profile.
#[derive(Clone, Debug, Default)]
pub struct ApiCoverage {
    /// The API (`v2`, `v3`).
    pub api: String,
    /// Per action: parameters, constraints and errors exercised.
    pub actions: Vec<ActionCoverage>,
    /// Constraints no malformed (hand-written or derived) case breaks, passed or not.
    pub unlisted: Vec<Constraint>,
    /// Case counts: requests, responses, malformed, derived.
    pub counts: [usize; 4],
    /// Known gaps: hand-written cases with `expected_failure`, and the patterns of
    /// `expected_failures.json` (derived cases).
    pub known_gaps: Vec<String>,
    /// What passed in the harnesses, when their results were read.
    pub measured: Option<Measured>,
}

/// The constraints of one API on one profile that passing cases cover.
#[derive(Clone, Debug, Default)]
pub struct Measured {
    /// The hand-written malformed file of the API, if it has one (API 3.0's malformed cases are
    /// all derived).
    pub hand_file: Option<String>,
    /// By the hand-written malformed cases.
    pub hand: Tally,
    /// By the derived cases.
    pub derived: Tally,
    /// By either.
    pub overall: Tally,
    /// Per constraint: how it is covered, or why not.
    pub verdicts: BTreeMap<Constraint, Result<Verdict, String>>,
}

impl Measured {
    /// The three lines of totals: hand-written, derived, together.
    fn lines(&self) -> String {
        let hand = match &self.hand_file {
            Some(f) => format!("hand-written ({}):", f.rsplit('/').next().unwrap_or(f)),
            None => "hand-written (none: all derived):".to_owned(),
        };
        format!(
            "  {hand:<34}{}\n  {:<34}{}\n  {:<34}{}\n",
            self.hand.line(),
            "derived (boundaries):",
            self.derived.line(),
            "together:",
            self.overall.line()
        )
    }

    /// The constraints not covered, with why.
    pub fn uncovered(&self) -> impl Iterator<Item = (&Constraint, &str)> {
        self.verdicts
            .iter()
            .filter_map(|(c, v)| v.as_ref().err().map(|why| (c, why.as_str())))
    }

    /// The constraints only one harness covers, and which.
    pub fn one_harness(&self) -> impl Iterator<Item = (&Constraint, Verdict)> {
        self.verdicts.iter().filter_map(|(c, v)| match v {
            Ok(Verdict::Both) | Err(_) => None,
            Ok(v) => Some((c, *v)),
        })
    }
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
    /// Constraints some malformed case breaks (with results read: that a case passed for).
    pub covered: Vec<(Constraint, Option<Verdict>)>,
    /// Constraints of the action.
    pub constraints_total: usize,
    /// Errors some case expects.
    pub errors: BTreeSet<String>,
    /// Errors the action lists that no case expects (most need server state).
    pub errors_not_exercised: Vec<String>,
}

impl Coverage {
    /// True when every constraint has a malformed case and, when results were read, a case
    /// that passed (in both harnesses, or in the only one that can express it).
    pub fn is_complete(&self) -> bool {
        self.apis.iter().all(|a| {
            a.unlisted.is_empty()
                && a.measured
                    .as_ref()
                    .is_none_or(|m| m.uncovered().next().is_none())
        })
    }

    /// A report: per API, one block per action, then the totals and any uncovered constraint.
    pub fn report(&self) -> String {
        let mut s = String::new();
        for a in &self.apis {
            s.push_str(&format!("== profile {}, API {}\n", self.profile, a.api));
            s.push_str(&a.report());
        }
        s
    }

    /// The totals only: per API, hand-written, derived and together.
    pub fn summary(&self) -> String {
        let mut s = String::new();
        for a in &self.apis {
            match &a.measured {
                Some(m) => s.push_str(&format!(
                    "profile {} API {}: constraints covered by passing cases\n{}",
                    self.profile,
                    a.api,
                    m.lines()
                )),
                None => s.push_str(&format!(
                    "profile {} API {}: {} constraint(s) without a malformed case\n",
                    self.profile,
                    a.api,
                    a.unlisted.len()
                )),
            }
        }
        s
    }
}

impl ApiCoverage {
    fn report(&self) -> String {
        let mut s = String::new();
        for a in &self.actions {
            s.push_str(&a.report());
        }
        let [rq, rs, ml, dv] = self.counts;
        s.push_str(&format!(
            "\ncases: {rq} request, {rs} response, {ml} malformed, {dv} derived\n"
        ));
        if let Some(m) = &self.measured {
            s.push_str(&format!(
                "constraints covered by passing cases:\n{}",
                m.lines()
            ));
            let one: Vec<String> = m
                .one_harness()
                .map(|(c, v)| match v {
                    Verdict::SdkOnly => {
                        format!("  {c} (by the SDK only: the mock cannot express its cases)\n")
                    }
                    _ => format!("  {c}\n"),
                })
                .collect();
            if !one.is_empty() {
                s.push_str(&format!(
                    "covered by one harness only ({}; the SDK's typed input cannot express a wrong type, a repeated or unknown parameter, a gap in a list, JSON it would rewrite):\n{}",
                    one.len(),
                    one.concat()
                ));
            }
            let unc: Vec<String> = m
                .uncovered()
                .map(|(c, why)| format!("  {c}: {why}\n"))
                .collect();
            if !unc.is_empty() {
                s.push_str(&format!(
                    "{} constraint(s) without a case that passed:\n{}",
                    unc.len(),
                    unc.concat()
                ));
            }
        }
        if !self.known_gaps.is_empty() {
            s.push_str(&format!(
                "known gaps (cases expected to fail): {}\n",
                self.known_gaps.len()
            ));
            for g in &self.known_gaps {
                s.push_str(&format!("  {g}\n"));
            }
        }
        if !self.unlisted.is_empty() {
            s.push_str(&format!(
                "{} constraint(s) without a malformed case:\n",
                self.unlisted.len()
            ));
            for c in &self.unlisted {
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
        let mut by_param: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for (c, v) in &self.covered {
            let kind = match v {
                Some(Verdict::MockOnly) => format!("{}(mock only)", c.kind),
                Some(Verdict::SdkOnly) => format!("{}(SDK only)", c.kind),
                _ => c.kind.clone(),
            };
            by_param.entry(&c.param).or_default().push(kind);
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

fn read_json(root: &Path, rel: &str) -> Result<Value, String> {
    let path = root.join(rel);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{rel}: {e}"))
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
    /// The hand-written malformed file, if the API has one.
    malformed_file: Option<&'static str>,
    derived: Value,
    derived_file: String,
    gaps: Value,
}

impl Corpus {
    /// The corpus of `api`: its hand-written files (`hand`: requests, responses and, for API
    /// 2.0, malformed) and the derived cases of the model's profile.
    fn read(root: &Path, m: &Model, api: &Api, hand: &[&'static str]) -> Result<Corpus, String> {
        let path = boundaries_path(&api.id, &m.profile);
        let derived = read_json(root, &path)?;
        if !str_of(&derived, "@generated").contains(&m.spec_hash) {
            return Err(format!(
                "{path} is stale: it was derived from another spec; run `cargo xtask codegen`"
            ));
        }
        let file = |i: usize| hand.get(i).map_or(Ok(Value::Null), |f| read_json(root, f));
        Ok(Corpus {
            requests: file(0)?,
            responses: file(1)?,
            malformed: file(2)?,
            malformed_file: hand.get(2).copied(),
            derived,
            derived_file: path,
            gaps: read_json(root, EXPECTED_FAILURES)?,
        })
    }
}

/// What the cases send and expect, per action, and which case breaks which constraint.
#[derive(Default)]
struct Seen {
    /// Hand-written malformed cases: the constraint each breaks and the case's name.
    hand: Vec<(Constraint, String)>,
    /// Derived cases, likewise.
    derived: Vec<(Constraint, String)>,
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

    /// Notes a malformed case; returns the constraint it breaks, if it names one and expects
    /// an error of the spec.
    fn malformed(&mut self, m: &Api, case: &Value) -> Option<Constraint> {
        let action = str_of(case, "action");
        self.params(action, case.get("params"));
        let id = expected_error(m, case)?;
        self.errors.entry(action.to_owned()).or_default().insert(id);
        let param = case.get("param").and_then(Value::as_str)?;
        let kind = case.get("constraint").and_then(Value::as_str)?;
        let param = match kind.strip_prefix("rule:") {
            Some(rule) => rule
                .split_once('(')
                .map_or("", |(_, r)| r.trim_end_matches(')'))
                .to_owned(),
            None => param.to_owned(),
        };
        Some(Constraint {
            action: action.to_owned(),
            param,
            kind: kind.to_owned(),
        })
    }
}

/// Reads the corpus under `root` and measures it against the spec's constraints, once per
/// profile (the default first): the profile's derived cases and the hand-written cases that name
/// that profile or none; API 2.0's constraints, then API 3.0's where the profile offers it.
/// With `results` (the folder of the harnesses' results files), a constraint counts only when a
/// case breaking it passed (see the module's doc); without, every constraint some case breaks
/// is listed, passed or not.
pub fn coverage(root: &Path, results: Option<&Path>) -> Result<Vec<Coverage>, String> {
    codegen::models(&root.join("spec"))
        .map_err(|e| e.to_string())?
        .iter()
        .map(|model| coverage_of(root, model, results))
        .collect()
}

/// True when a hand-written case holds on `profile` (it names that profile, or none).
fn on_profile(case: &Value, profile: &str) -> bool {
    case.get("profile")
        .and_then(Value::as_str)
        .is_none_or(|p| p == profile)
}

fn coverage_of(root: &Path, model: &Model, results: Option<&Path>) -> Result<Coverage, String> {
    let m = model
        .api(codegen::RUST_API)
        .ok_or("the corpus covers API 2.0, which the spec lacks")?;
    let mut apis = vec![(m, HAND_WRITTEN)];
    let v3 = model.api(codegen::RUST_API3);
    if let Some(m3) = v3.filter(|a| a.tc3.as_ref().is_some_and(|t| t.available)) {
        apis.push((m3, HAND_WRITTEN_V3));
    }
    let apis = apis
        .into_iter()
        .map(|(api, hand)| {
            let corpus = Corpus::read(root, model, api, hand)?;
            api_coverage(&corpus, model, api, results.map(|dir| (dir, root)))
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Coverage {
        profile: model.profile.clone(),
        apis,
    })
}

/// The coverage of one API's corpus; with `results` (the results folder and the root), what
/// passed in both harnesses.
fn api_coverage(
    corpus: &Corpus,
    model: &Model,
    m: &Api,
    results: Option<(&Path, &Path)>,
) -> Result<ApiCoverage, String> {
    let mut seen = Seen::default();
    let malformed: Vec<&Value> = cases_of(&corpus.malformed)
        .iter()
        .filter(|c| on_profile(c, &model.profile))
        .collect();
    for case in &malformed {
        if let Some(c) = seen.malformed(m, case) {
            seen.hand.push((c, str_of(case, "name").to_owned()));
        }
    }
    for case in cases_of(&corpus.derived) {
        if let Some(c) = seen.malformed(m, case) {
            seen.derived.push((c, str_of(case, "name").to_owned()));
        }
        seen.params(str_of(case, "action"), case.get("body"));
    }
    for case in cases_of(&corpus.requests) {
        seen.params(str_of(case, "action"), case.get("input"));
    }
    for case in cases_of(&corpus.responses) {
        if let Some(id) = expected_error(m, case) {
            let action = str_of(case, "action").to_owned();
            seen.errors.entry(action).or_default().insert(id);
        }
    }
    let all = constraints(m);
    let measured = match results {
        Some((dir, root)) => Some(measure(corpus, model, m, &all, &seen, dir, root)?),
        None => None,
    };
    let listed: BTreeSet<&Constraint> = seen
        .hand
        .iter()
        .chain(&seen.derived)
        .map(|(c, _)| c)
        .collect();
    let mut out = ApiCoverage {
        api: m.id.clone(),
        counts: [
            cases_of(&corpus.requests).len(),
            cases_of(&corpus.responses).len(),
            malformed.len(),
            cases_of(&corpus.derived).len(),
        ],
        unlisted: all
            .iter()
            .filter(|c| !listed.contains(c))
            .cloned()
            .collect(),
        known_gaps: known_gaps(corpus),
        ..ApiCoverage::default()
    };
    for a in &m.actions {
        out.actions.push(action_coverage(
            m,
            a,
            &all,
            &seen,
            &listed,
            measured.as_ref(),
        ));
    }
    out.measured = measured;
    Ok(out)
}

/// Reads both harnesses' results for each part of the corpus and counts what passed.
fn measure(
    corpus: &Corpus,
    model: &Model,
    m: &Api,
    all: &[Constraint],
    seen: &Seen,
    dir: &Path,
    root: &Path,
) -> Result<Measured, String> {
    let which = |part, corpus| results::Which {
        harness: "",
        api: &m.id,
        profile: &model.profile,
        part,
        corpus,
    };
    let hand = match corpus.malformed_file {
        Some(f) => results::both(dir, root, which("hand", f), &model.spec_hash)?,
        None => count::Outcomes::default(),
    };
    let derived = results::both(
        dir,
        root,
        which("derived", &corpus.derived_file),
        &model.spec_hash,
    )?;
    let hand = count::count(all, &seen.hand, &hand);
    let derived = count::count(all, &seen.derived, &derived);
    let verdicts: BTreeMap<Constraint, Result<Verdict, String>> = hand
        .iter()
        .map(|(c, h)| (c.clone(), count::better(h, &derived[c])))
        .collect();
    Ok(Measured {
        hand_file: corpus.malformed_file.map(str::to_owned),
        hand: Tally::of(&hand),
        derived: Tally::of(&derived),
        overall: Tally::of(&verdicts),
        verdicts,
    })
}

fn action_coverage(
    m: &Api,
    a: &codegen::model::Action,
    all: &[Constraint],
    seen: &Seen,
    listed: &BTreeSet<&Constraint>,
    measured: Option<&Measured>,
) -> ActionCoverage {
    let params = seen.params.get(&a.name).cloned().unwrap_or_default();
    let errors = seen.errors.get(&a.name);
    let mine: Vec<&Constraint> = all.iter().filter(|c| c.action == a.name).collect();
    let covered = mine
        .iter()
        .filter_map(|c| match measured {
            None => listed.contains(c).then(|| ((*c).clone(), None)),
            Some(ms) => match ms.verdicts.get(c) {
                Some(Ok(v)) => Some(((*c).clone(), Some(*v))),
                _ => None,
            },
        })
        .collect();
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
        covered,
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
    use super::results::RUN_TESTS;
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
        let all = coverage(&ws, None).expect("coverage");
        assert_eq!(
            all.iter().map(|c| c.profile.as_str()).collect::<Vec<_>>(),
            ["tdmq", "legacy"]
        );
        assert!(all.iter().all(Coverage::is_complete));
        let apis: Vec<&str> = all[0].apis.iter().map(|a| a.api.as_str()).collect();
        assert_eq!(apis, ["v2", "v3"]);

        // Drop every derived case breaking BatchReceiveMessage's pollingWaitSeconds range.
        let b = ws.join(boundaries_path("v2", "tdmq"));
        let text = std::fs::read_to_string(&b).expect("read");
        let kept: Vec<&str> = text
            .lines()
            .filter(|l| !l.contains("\"name\":\"BatchReceiveMessage/pollingWaitSeconds/range/"))
            .collect();
        let kept = kept.join("\n").replace("},\n  ]", "}\n  ]");
        std::fs::write(&b, kept + "\n").expect("write");
        let profiles = coverage(&ws, None).expect("coverage");
        assert!(
            profiles[1].is_complete(),
            "legacy has its own derived cases"
        );
        let partial = &profiles[0];
        assert!(!partial.is_complete());
        let missing: Vec<String> = partial.apis[0]
            .unlisted
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(missing, ["BatchReceiveMessage pollingWaitSeconds range"]);
        let report = partial.report();
        assert!(
            report.contains("1 constraint(s) without a malformed case"),
            "{report}"
        );

        // A corpus derived from another spec is refused as stale.
        set_delay_max(&ws.join("spec"), 7200);
        let err = coverage(&ws, None).expect_err("stale");
        assert!(err.contains("cargo xtask codegen"), "{err}");
        let _ = std::fs::remove_dir_all(&ws);
    }

    /// Writes a results file as the conformance crate does, every case of `corpus` (on
    /// `profile`) with the outcome `outcome` gives it.
    fn write_results(
        ws: &Path,
        dir: &Path,
        which: &results::Which<'_>,
        outcome: &dyn Fn(&Value) -> &'static str,
    ) {
        let spec_hash = codegen::models(&ws.join("spec")).expect("models")[0]
            .spec_hash
            .clone();
        let corpus = read_json(ws, which.corpus).expect("corpus");
        let cases: serde_json::Map<String, Value> = cases_of(&corpus)
            .iter()
            .filter(|c| on_profile(c, which.profile))
            .map(|c| (str_of(c, "name").to_owned(), Value::from(outcome(c))))
            .collect();
        let hash = |f: &str| results::sha256(&std::fs::read(ws.join(f)).expect("read"));
        let body = serde_json::json!({
            "harness": which.harness, "api": which.api, "profile": which.profile,
            "part": which.part, "corpus": which.corpus, "spec_hash": spec_hash,
            "inputs": {which.corpus: hash(which.corpus), EXPECTED_FAILURES: hash(EXPECTED_FAILURES)},
            "cases": cases,
        });
        std::fs::create_dir_all(dir).expect("mkdir");
        let text = serde_json::to_string_pretty(&body).expect("ser");
        std::fs::write(dir.join(which.file_name()), text).expect("write");
    }

    /// Results of both harnesses for every part, API and profile: the mock passes every case;
    /// the SDK passes what a typed input expresses (`typed`; every hand-written case), except
    /// the cases `sdk_fails` names (profile, case name), which fail.
    fn write_all_results(ws: &Path, dir: &Path, sdk_fails: &dyn Fn(&str, &str) -> bool) {
        let parts = [
            (
                "v2",
                "tdmq",
                "hand",
                "spec/conformance/malformed.json".to_owned(),
            ),
            (
                "v2",
                "legacy",
                "hand",
                "spec/conformance/malformed.json".to_owned(),
            ),
            ("v2", "tdmq", "derived", boundaries_path("v2", "tdmq")),
            ("v2", "legacy", "derived", boundaries_path("v2", "legacy")),
            ("v3", "tdmq", "derived", boundaries_path("v3", "tdmq")),
        ];
        for (api, profile, part, corpus) in &parts {
            let which = |harness| results::Which {
                harness,
                api,
                profile,
                part,
                corpus,
            };
            let sdk = |c: &Value| match (c.get("typed"), sdk_fails(profile, str_of(c, "name"))) {
                (_, true) => "failed",
                (Some(Value::Bool(false)), _) => "not_applicable",
                _ => "passed",
            };
            write_results(ws, dir, &which("mock"), &|_| "passed");
            write_results(ws, dir, &which("sdk"), &sdk);
        }
    }

    /// A constraint whose every case failed in the SDK (and passed in the mock) is not covered;
    /// hand-written and derived coverage are reported apart; missing or stale results are
    /// refused with the command that writes them.
    #[test]
    fn only_cases_that_passed_in_both_harnesses_count() {
        let ws = workspace("measured");
        let dir = ws.join("results");
        let err = coverage(&ws, Some(&dir)).expect_err("no results yet");
        assert!(
            err.contains("no results") && err.contains(RUN_TESTS),
            "{err}"
        );

        write_all_results(&ws, &dir, &|_, _| false);
        let all = coverage(&ws, Some(&dir)).expect("coverage");
        assert!(all.iter().all(Coverage::is_complete), "{}", all[0].report());
        let v2 = all[0].apis[0].measured.clone().expect("measured");
        assert_eq!(v2.overall.covered(), v2.overall.total);
        assert!(v2.overall.mock_only > 0, "wrong types are mock-only");
        assert!(v2.hand.covered() < v2.hand.total, "{:?}", v2.hand);
        let v3 = all[0].apis[1].measured.clone().expect("measured");
        assert_eq!(
            v3.hand.covered(),
            0,
            "API 3.0 has no hand-written malformed cases"
        );

        let failing = |profile: &str, n: &str| {
            profile == "tdmq" && n.starts_with("BatchReceiveMessage/pollingWaitSeconds/range/")
        };
        write_all_results(&ws, &dir, &failing);
        let all = coverage(&ws, Some(&dir)).expect("coverage");
        assert!(all[1].is_complete(), "the legacy profile's results pass");
        let m = all[0].apis[0].measured.clone().expect("measured");
        let unc: Vec<(String, String)> = m
            .uncovered()
            .map(|(c, why)| (c.to_string(), why.to_owned()))
            .collect();
        assert_eq!(unc.len(), 1, "{unc:?}");
        assert_eq!(unc[0].0, "BatchReceiveMessage pollingWaitSeconds range");
        assert!(unc[0].1.contains("SDK failed, mock passed"), "{}", unc[0].1);
        assert_eq!(m.overall.covered() + 1, m.overall.total);
        let report = all[0].report();
        assert!(
            report.contains("1 constraint(s) without a case that passed"),
            "{report}"
        );

        // A hand-written case edited after the tests ran makes its results stale.
        let mal = ws.join("spec/conformance/malformed.json");
        let text = std::fs::read_to_string(&mal).expect("read");
        std::fs::write(&mal, text + "\n").expect("write");
        let err = coverage(&ws, Some(&dir)).expect_err("stale");
        assert!(err.contains("is stale") && err.contains(RUN_TESTS), "{err}");
        let _ = std::fs::remove_dir_all(&ws);
    }
}
