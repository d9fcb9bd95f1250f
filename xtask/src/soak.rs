//! `cargo xtask soak [--in-process] [--dev] [--producers N] [--consumers M] [--messages K]
//! [--crash-rate P] [--visibility S] [--max-secs D] [--seed S]`: builds the standalone mock and
//! the soak driver (release profile unless `--dev`) and runs N producers × M consumers over HTTP
//! against the binary (or an in-process mock with `--in-process`), with consumers crashing at
//! random; it fails unless nothing was lost, deleted twice or redelivered early. CI runs a short
//! version.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from)
}

/// Runs the soak with `args` (`--dev` and `--in-process` are read here).
pub fn run(root: &Path, args: &[&str]) -> ExitCode {
    let dev = args.contains(&"--dev");
    let in_process = args.contains(&"--in-process");
    let mut rest: Vec<String> = args
        .iter()
        .filter(|a| !matches!(**a, "--dev" | "--in-process"))
        .map(|a| (*a).to_owned())
        .collect();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let profile: &[&str] = if dev { &[] } else { &["--release"] };
    if !in_process {
        let built = Command::new(&cargo)
            .current_dir(root)
            .args(["build", "--quiet", "-p", "cmq-mock", "--bin", "cmq-mock"])
            .args(profile)
            .status();
        if !matches!(built, Ok(s) if s.success()) {
            eprintln!("error: cannot build the cmq-mock binary");
            return ExitCode::FAILURE;
        }
        let bin = target_dir(root)
            .join(if dev { "debug" } else { "release" })
            .join("cmq-mock");
        rest.push("--binary".into());
        rest.push(bin.to_string_lossy().into_owned());
    }
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root)
        .args(["run", "--quiet"])
        .args(profile)
        .args(["-p", "cmq-stress", "--bin", "cmq-soak", "--"])
        .args(&rest);
    crate::fuzz::status_of(cmd.status())
}
