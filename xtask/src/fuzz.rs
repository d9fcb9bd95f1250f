//! `cargo xtask fuzz [--cases N] [--target NAME]... [--seed S] [--dev]`: builds the fuzz
//! harness (`cmq-stress`, release profile unless `--dev`) and runs it: every parser and verifier
//! of the mock (API 2.0 and API 3.0) and the SDK's answer decoders, `N` cases per target (default 1,000,000), 0 panics and 0 broken properties
//! expected. CI runs a short version (`--cases 20000 --dev`).

use std::path::Path;
use std::process::{Command, ExitCode};

/// Runs the harness with `args` (the `--dev` flag is the xtask's own).
pub fn run(root: &Path, args: &[&str]) -> ExitCode {
    let dev = args.contains(&"--dev");
    let rest: Vec<&str> = args.iter().copied().filter(|a| *a != "--dev").collect();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root).args(["run", "--quiet"]);
    if !dev {
        cmd.arg("--release");
    }
    cmd.args(["-p", "cmq-stress", "--bin", "cmq-fuzz", "--"])
        .args(rest);
    status_of(cmd.status())
}

/// The exit code of a child process (failure when it could not run).
pub fn status_of(status: std::io::Result<std::process::ExitStatus>) -> ExitCode {
    match status {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        Ok(s) => ExitCode::from(u8::try_from(s.code().unwrap_or(1)).unwrap_or(1)),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
