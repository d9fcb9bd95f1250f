//! Reading the results files the conformance tests write
//! (`<target dir>/conformance-results/<harness>-<api>-<profile>-<part>.json`, written by the
//! `cmq-conformance` crate: harness, API, profile, part, corpus file, the spec hash, the SHA-256
//! of every file the outcomes depend on, and case name → outcome). A missing file, or one whose
//! hashes no longer match the spec and the corpus on disk, is refused with the command that
//! writes it again.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::count::{Outcome, Outcomes};

/// The command that writes every results file.
pub const RUN_TESTS: &str =
    "cargo test -p cmq-sdk -p cmq-mock --test conformance --test conformance_v3";

/// The folder the conformance tests write to: `conformance-results/` in the workspace's target
/// directory (what `cargo metadata` says; else `$CARGO_TARGET_DIR`, else `<root>/target`).
pub fn default_dir(root: &Path) -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let meta = std::process::Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(root)
        .stderr(std::process::Stdio::null())
        .output();
    let from_meta = meta
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| serde_json::from_slice::<Value>(&o.stdout).ok())
        .and_then(|v| v["target_directory"].as_str().map(PathBuf::from));
    let target = from_meta
        .or_else(|| std::env::var_os("CARGO_TARGET_DIR").map(|d| root.join(d)))
        .unwrap_or_else(|| root.join("target"));
    target.join("conformance-results")
}

/// The SHA-256 (lower-case hex) of `bytes`.
pub fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Which results file: harness, API, profile, part, and the corpus file it must be about.
pub struct Which<'a> {
    /// `sdk` or `mock`.
    pub harness: &'a str,
    /// `v2`, `v3`.
    pub api: &'a str,
    /// The profile.
    pub profile: &'a str,
    /// `hand` or `derived`.
    pub part: &'a str,
    /// The corpus file, relative to the root.
    pub corpus: &'a str,
}

impl Which<'_> {
    /// The file's name.
    pub fn file_name(&self) -> String {
        format!(
            "{}-{}-{}-{}.json",
            self.harness, self.api, self.profile, self.part
        )
    }
}

/// The outcomes of one results file, checked fresh against `spec_hash` and the files on disk
/// under `root`.
pub fn read(
    dir: &Path,
    root: &Path,
    which: &Which<'_>,
    spec_hash: &str,
) -> Result<BTreeMap<String, Outcome>, String> {
    let path = dir.join(which.file_name());
    let text = std::fs::read_to_string(&path).map_err(|e| {
        format!(
            "no results of the {} harness for {} on profile {} ({}: {e}); run `{RUN_TESTS}` first",
            which.harness,
            which.corpus,
            which.profile,
            path.display()
        )
    })?;
    let stale = |why: String| {
        format!(
            "{} is stale ({why}); run `{RUN_TESTS}` again",
            path.display()
        )
    };
    let v: Value = serde_json::from_str(&text).map_err(|e| stale(format!("not JSON: {e}")))?;
    if v["spec_hash"].as_str() != Some(spec_hash) {
        return Err(stale(format!(
            "written for spec {}, the spec is {spec_hash}",
            v["spec_hash"]
        )));
    }
    if v["corpus"].as_str() != Some(which.corpus) {
        return Err(stale(format!(
            "about {}, not {}",
            v["corpus"], which.corpus
        )));
    }
    let inputs = v["inputs"]
        .as_object()
        .ok_or_else(|| stale("no inputs".into()))?;
    if !inputs.contains_key(which.corpus) {
        return Err(stale(format!("{} is not among its inputs", which.corpus)));
    }
    for (file, hash) in inputs {
        let bytes =
            std::fs::read(root.join(file)).map_err(|e| format!("cannot read {file}: {e}"))?;
        if hash.as_str() != Some(sha256(&bytes).as_str()) {
            return Err(stale(format!("{file} changed since the tests ran")));
        }
    }
    let cases = v["cases"]
        .as_object()
        .ok_or_else(|| stale("no cases".into()))?;
    cases
        .iter()
        .map(|(name, o)| {
            let o = o.as_str().and_then(Outcome::parse);
            o.map(|o| (name.clone(), o))
                .ok_or_else(|| stale(format!("case `{name}` has no known outcome")))
        })
        .collect()
}

/// Both harnesses' outcomes for one part of the corpus.
pub fn both(
    dir: &Path,
    root: &Path,
    which: Which<'_>,
    spec_hash: &str,
) -> Result<Outcomes, String> {
    let sdk = read(
        dir,
        root,
        &Which {
            harness: "sdk",
            ..which
        },
        spec_hash,
    )?;
    let mock = read(
        dir,
        root,
        &Which {
            harness: "mock",
            ..which
        },
        spec_hash,
    )?;
    Ok(Outcomes { sdk, mock })
}
