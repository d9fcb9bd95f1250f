//! Project automation. `cargo xtask codegen` regenerates `cmq-sdk/src/generated/` and
//! `cmq-mock/src/generated/` from `spec/`; `cargo xtask codegen --check` fails (listing stale,
//! missing and orphaned files) when they are out of date.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .map_or_else(|| manifest.to_path_buf(), Path::to_path_buf)
}

const USAGE: &str = "usage: cargo xtask codegen [--check]\n\n  codegen          write the generated files from spec/\n  codegen --check  fail if any generated file is stale, missing or orphaned";

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
        ["codegen"] => false,
        ["codegen", "--check"] => true,
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
}
