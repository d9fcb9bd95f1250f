//! The machine-readable results of one harness on one corpus file, read by
//! `cargo xtask coverage` (which counts a constraint as covered only when a case breaking it
//! passed in both harnesses).
//!
//! Each conformance test writes one file per corpus part, API and profile:
//! `<target dir>/conformance-results/<harness>-<api>-<profile>-<part>.json`, atomically (a
//! temporary file renamed over the old one), holding the spec hash the derived corpus was
//! written from, the SHA-256 of every corpus file the test read, and every case's [`Outcome`].
//! `cargo xtask coverage` refuses a file whose hashes no longer match the files on disk.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::root;

/// What one harness did with one case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The case ran and gave the answer the corpus expects.
    Passed,
    /// The case ran and gave another answer.
    Failed,
    /// A known gap (`expected_failure`) that failed, as it must until fixed.
    ExpectedFailure,
    /// The harness cannot express the case (e.g. the SDK's typed input cannot hold a wrong
    /// type, an unknown parameter or a 0-based list), so it did not run it.
    NotApplicable,
}

impl Outcome {
    /// The name in the results file: `passed`, `failed`, `expected_failure`,
    /// `not_applicable`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed => "failed",
            Outcome::ExpectedFailure => "expected_failure",
            Outcome::NotApplicable => "not_applicable",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which harness ran the cases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Harness {
    /// `cmq-sdk/tests/conformance*.rs` (the SDK's `validate_for`).
    Sdk,
    /// `cmq-mock/tests/conformance*.rs` (the mock's dispatcher check and error encoding).
    Mock,
}

impl Harness {
    /// `sdk` or `mock`.
    pub fn as_str(self) -> &'static str {
        match self {
            Harness::Sdk => "sdk",
            Harness::Mock => "mock",
        }
    }
}

/// Which part of the corpus a results file is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// The hand-written malformed requests (`malformed.json`).
    Hand,
    /// The derived cases (`generated/boundaries.*.json`).
    Derived,
}

impl Part {
    /// `hand` or `derived`.
    pub fn as_str(self) -> &'static str {
        match self {
            Part::Hand => "hand",
            Part::Derived => "derived",
        }
    }
}

/// One harness run over one corpus file on one API and profile: what its results file says
/// about itself.
#[derive(Clone, Debug)]
pub struct Run {
    /// The harness.
    pub harness: Harness,
    /// The API (`v2`, `v3`).
    pub api: String,
    /// The profile the cases ran on.
    pub profile: String,
    /// Hand-written or derived.
    pub part: Part,
    /// The corpus file, relative to the workspace root.
    pub corpus: String,
}

/// The derived corpus of `api` on `profile`, relative to the workspace root (the same rule as
/// the generator's `boundaries_path`).
pub fn derived_path(api: &str, profile: &str) -> String {
    if api == "v2" {
        format!("spec/conformance/generated/boundaries.{profile}.json")
    } else {
        format!("spec/conformance/generated/boundaries.{api}.{profile}.json")
    }
}

/// The file that lists the known gaps among the derived cases.
pub const EXPECTED_FAILURES: &str = "spec/conformance/expected_failures.json";

impl Run {
    /// A run of `harness` over `corpus` (relative to the root).
    pub fn new(harness: Harness, api: &str, profile: &str, part: Part, corpus: &str) -> Run {
        Run {
            harness,
            api: api.to_owned(),
            profile: profile.to_owned(),
            part,
            corpus: corpus.to_owned(),
        }
    }

    /// The results file's name: `<harness>-<api>-<profile>-<part>.json`.
    pub fn file_name(&self) -> String {
        format!(
            "{}-{}-{}-{}.json",
            self.harness.as_str(),
            self.api,
            self.profile,
            self.part.as_str()
        )
    }

    /// The files whose content decides the outcomes: the corpus file and the list of known
    /// gaps.
    fn inputs(&self) -> Vec<String> {
        vec![self.corpus.clone(), EXPECTED_FAILURES.to_owned()]
    }
}

/// The SHA-256 (lower-case hex) of the file at `rel` under the workspace root; panics naming
/// the file if it cannot be read.
pub fn sha256_of(rel: &str) -> String {
    let path = root().join(rel);
    let bytes =
        std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The spec hash a derived corpus file was written from (its `@generated` header), or `""`.
pub fn spec_hash_of(derived: &Value) -> String {
    let header = derived["@generated"].as_str().unwrap_or_default();
    header
        .split_once("sha256 ")
        .map(|(_, rest)| {
            rest.chars()
                .take_while(char::is_ascii_hexdigit)
                .collect::<String>()
        })
        .unwrap_or_default()
}

/// The folder the results files go to: `conformance-results/` in the target directory, which
/// is the parent of an integration test's `CARGO_TARGET_TMPDIR` (pass
/// `env!("CARGO_TARGET_TMPDIR")`).
pub fn results_dir(target_tmpdir: &str) -> PathBuf {
    let tmp = Path::new(target_tmpdir);
    tmp.parent()
        .unwrap_or(tmp)
        .join("conformance-results")
        .to_path_buf()
}

/// Writes the results of `run` (`cases`: case name → outcome) into `dir`, atomically. Panics
/// naming the file when it cannot be written.
pub fn save(run: &Run, cases: &BTreeMap<String, Outcome>, dir: &Path) {
    let derived = crate::load(&derived_path(&run.api, &run.profile));
    let inputs: serde_json::Map<String, Value> = run
        .inputs()
        .into_iter()
        .map(|f| {
            let h = sha256_of(&f);
            (f, Value::String(h))
        })
        .collect();
    let body = json!({
        "harness": run.harness.as_str(),
        "api": run.api,
        "profile": run.profile,
        "part": run.part.as_str(),
        "corpus": run.corpus,
        "spec_hash": spec_hash_of(&derived),
        "inputs": inputs,
        "cases": cases.iter().map(|(k, v)| (k.clone(), Value::from(v.as_str()))).collect::<serde_json::Map<_, _>>(),
    });
    let text = serde_json::to_string_pretty(&body).unwrap_or_default() + "\n";
    std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    let path = dir.join(run.file_name());
    let tmp = dir.join(format!(".{}.{}.tmp", run.file_name(), std::process::id()));
    std::fs::write(&tmp, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", tmp.display()));
    std::fs::rename(&tmp, &path)
        .unwrap_or_else(|e| panic!("cannot rename onto {}: {e}", path.display()));
}
