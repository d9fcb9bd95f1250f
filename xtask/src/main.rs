//! Project automation. `cargo xtask codegen` regenerates `cmq-sdk/src/generated/`,
//! `cmq-mock/src/generated/` and `spec/conformance/generated/` from `spec/`;
//! `cargo xtask codegen --check` fails (listing stale, missing and orphaned files) when they are
//! out of date. `cargo xtask coverage` reports what the conformance corpus exercises and fails
//! on any constraint of the spec without a malformed case that passed in both conformance
//! harnesses (their results files, written by `cargo test -p cmq-sdk -p cmq-mock --test
//! conformance --test conformance_v3`). `cargo xtask literals` fails on
//! a protocol fact typed by hand in runtime code (see [`literals`]).

mod coverage;
mod lexer;
mod literals;

mod fuzz;
mod soak;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .map_or_else(|| manifest.to_path_buf(), Path::to_path_buf)
}

const USAGE: &str = "usage: cargo xtask codegen [--check] | coverage | literals | fuzz [..] | soak [..]\n\n  codegen          write the generated files from spec/\n  codegen --check  fail if any generated file is stale, missing or orphaned\n  coverage         per profile, API and action, the parameters, constraints and errors the\n                   conformance corpus (spec/conformance/) exercises; fail on a constraint\n                   without a malformed case that passed in both harnesses (run the\n                   conformance tests first: cargo test -p cmq-sdk -p cmq-mock\n                   --test conformance --test conformance_v3)\n  literals         fail on a protocol fact (a number the spec holds) typed by hand in the\n                   runtime code of cmq-mock and cmq-sdk (outside an explicit allow-list)\n  fuzz             the fuzz harness of the mock's parsers and verifiers (see xtask/src/fuzz.rs)\n  soak             producers x crashing consumers against the mock (see xtask/src/soak.rs)";

/// Runs `literals`: the report, and whether runtime code is free of protocol literals.
fn literals(root: &Path) -> (String, bool) {
    match literals::scan(root) {
        Ok(r) => (r.render(), r.is_clean()),
        Err(e) => (format!("error: {e}"), false),
    }
}

/// Runs `coverage`: the report of every profile and its summary, and whether every constraint
/// has a case that passed in both harnesses (or in the only one that can express it), on every
/// profile. `results` is the folder of the harnesses' results files.
fn coverage(root: &Path, results: Option<&Path>) -> (String, String, bool) {
    match coverage::coverage(root, results) {
        Ok(all) => (
            all.iter().map(coverage::Coverage::report).collect(),
            all.iter().map(coverage::Coverage::summary).collect(),
            all.iter().all(coverage::Coverage::is_complete),
        ),
        Err(e) => (String::new(), format!("error: {e}"), false),
    }
}

/// Runs `codegen`, writing or (with `check`) comparing. Returns the message to print and
/// whether it succeeded.
fn codegen(root: &Path, check: bool) -> (String, bool) {
    let files = match codegen::generate(&root.join("spec")) {
        Ok(f) => f,
        Err(e) => return (format!("error: {e}"), false),
    };
    if check {
        match codegen::sync::diff(root, &files) {
            Ok(d) if d.is_clean() => (
                format!("generated files are up to date ({} files)", files.len()),
                true,
            ),
            Ok(d) => (
                format!("error: generated files are out of date:\n{}", d.report()),
                false,
            ),
            Err(e) => (format!("error: {e}"), false),
        }
    } else {
        match codegen::sync::write(root, &files) {
            Ok(d) if d.is_clean() => (
                format!("generated files are up to date ({} files)", files.len()),
                true,
            ),
            Ok(d) => (
                format!(
                    "updated {} file(s), created {}, deleted {} orphan(s)",
                    d.stale.len(),
                    d.missing.len(),
                    d.orphaned.len()
                ),
                true,
            ),
            Err(e) => (format!("error: {e}"), false),
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let check = match args.as_slice() {
        ["fuzz", rest @ ..] => return fuzz::run(&workspace_root(), rest),
        ["soak", rest @ ..] => return soak::run(&workspace_root(), rest),
        ["codegen"] => false,
        ["codegen", "--check"] => true,
        ["coverage"] => {
            let root = workspace_root();
            let (report, summary, ok) = coverage(&root, Some(&coverage::default_dir(&root)));
            print!("{report}");
            println!("\n== summary");
            print!("{summary}");
            return if ok {
                ExitCode::SUCCESS
            } else {
                eprintln!(
                    "error: some constraint of the spec has no case that passed in the conformance tests"
                );
                ExitCode::FAILURE
            };
        }
        ["literals"] => {
            let (report, ok) = literals(&workspace_root());
            print!("{report}");
            return if ok {
                ExitCode::SUCCESS
            } else {
                eprintln!(
                    "error: runtime code retypes facts of the spec; read them from the generated layer"
                );
                ExitCode::FAILURE
            };
        }
        ["-h" | "--help"] | [] => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let (msg, ok) = codegen(&workspace_root(), check);
    if ok {
        println!("{msg}");
        ExitCode::SUCCESS
    } else {
        eprintln!("{msg}");
        ExitCode::FAILURE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `cargo test` catches generated files that drifted from the spec.
    #[test]
    fn generated_files_are_up_to_date() {
        let (msg, ok) = codegen(&workspace_root(), true);
        assert!(ok, "{msg}");
    }

    /// `cargo test` catches a protocol fact typed by hand in runtime code (the check of
    /// `cargo xtask literals`).
    #[test]
    fn no_protocol_literal_in_runtime_code() {
        let (report, ok) = literals(&workspace_root());
        assert!(ok, "{report}");
    }

    /// `cargo test` catches a constraint of the spec that no malformed case breaks (the
    /// listing half of `cargo xtask coverage`; whether those cases pass is the harnesses' own
    /// tests, whose results `cargo xtask coverage` reads).
    #[test]
    fn every_constraint_has_a_malformed_case() {
        let (report, summary, ok) = coverage(&workspace_root(), None);
        assert!(ok, "{summary}\n{report}");
        assert!(
            summary.contains("0 constraint(s) without a malformed case"),
            "{summary}"
        );
    }
}
