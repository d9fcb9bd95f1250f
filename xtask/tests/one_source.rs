//! The spec is the one source of the runtimes' facts, end to end: a default changed in a copy of
//! the spec (CreateQueue's visibilityTimeout, 30 → 45) and regenerated into a copy of the
//! workspace changes what the mock's engine does, with no runtime file touched. The copy is built
//! with the workspace's own target directory, so only the workspace crates are compiled again.
//!
//! Cargo names a workspace crate's artifacts after its path relative to the workspace root, so a
//! copy laid out like the workspace would overwrite the workspace's own artifacts in the shared
//! target directory (and the workspace would then reuse the copy's). The copy therefore keeps its
//! crates and spec one folder down (`<tmp>/copy/…`), its workspace manifest pointing there.
//!
//! Ignored by a plain `cargo test` (it builds cmq-sdk and cmq-mock a second time, about a minute
//! or two); `.ci/run` runs it: `cargo test -p xtask --test one_source -- --ignored`.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The new default, and the probe that observes it in the copy.
const NEW_DEFAULT: u64 = 45;

fn root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(Path::to_path_buf).unwrap_or_default()
}

/// Copies the tree at `from` to `to`, without `target/` and dot folders.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read dir") {
        let p = e.expect("entry").path();
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name == "target" || name.starts_with('.') {
            continue;
        }
        if p.is_dir() {
            copy_tree(&p, &to.join(name));
        } else {
            std::fs::copy(&p, to.join(name)).expect("copy");
        }
    }
}

/// The workspace copied to `to`: the workspace manifest, lock file and `.cargo/` at `to`, the
/// crates and the spec under `to/copy/`, the manifest's member and path entries pointing there.
/// Returns `to/copy`, the copy's project root.
fn copy_workspace(from: &Path, to: &Path) -> PathBuf {
    let inner = to.join("copy");
    copy_tree(from, &inner);
    for f in ["Cargo.toml", "Cargo.lock"] {
        std::fs::remove_file(inner.join(f)).expect("move the manifest up");
        std::fs::copy(from.join(f), to.join(f)).expect("copy");
    }
    if from.join(".cargo").is_dir() {
        copy_tree(&from.join(".cargo"), &to.join(".cargo"));
    }
    let manifest = std::fs::read_to_string(from.join("Cargo.toml")).expect("read");
    let moved: Vec<String> = manifest
        .lines()
        .map(|l| {
            if l.trim_start().starts_with("members") {
                l.replace("[\"", "[\"copy/").replace(", \"", ", \"copy/")
            } else {
                l.replace("path = \"", "path = \"copy/")
            }
        })
        .collect();
    assert!(
        moved.iter().any(|l| l.contains("\"copy/cmq-mock\"")),
        "{moved:?}"
    );
    std::fs::write(to.join("Cargo.toml"), moved.join("\n") + "\n").expect("write");
    inner
}

/// Sets CreateQueue's visibilityTimeout default in the spec under `spec`; returns the old one.
fn set_visibility_default(spec: &Path, value: u64) -> u64 {
    let path = spec.join("v2/actions/CreateQueue.json");
    let mut v: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
    let param = v["params"]
        .as_array_mut()
        .and_then(|ps| ps.iter_mut().find(|p| p["ref"] == "visibilityTimeout"))
        .expect("CreateQueue has visibilityTimeout");
    let old = param["default"]
        .as_u64()
        .expect("visibilityTimeout has a default");
    param["default"] = Value::from(value);
    std::fs::write(&path, serde_json::to_string_pretty(&v).expect("ser")).expect("write");
    old
}

/// An engine test that observes the queue default and what it does: a received message stays
/// invisible exactly that long.
fn probe(seconds: u64) -> String {
    format!(
        r#"//! Written by xtask/tests/one_source.rs into a copy of the workspace.
use std::time::Duration;

use cmq_mock::Clock;
use cmq_mock::internal::{{Engine, QueueConfigUpdate}};

#[tokio::test]
async fn the_engine_follows_the_regenerated_default() {{
    let e = Engine::new(Clock::manual(1_700_000_000_000));
    let a = e.add_account("AKIDprobe", "key");
    a.create_queue("q", &QueueConfigUpdate::default()).unwrap();
    let config = a.get_queue_attributes("q").unwrap().config;
    assert_eq!(u64::from(config.visibility_timeout), {seconds});
    a.send_message("q", "m", 0).unwrap();
    let m = a.receive_message("q", Some(0)).await.unwrap();
    assert_eq!(m.next_visible_time_ms - m.first_dequeue_time_ms, {seconds} * 1000);
    e.clock().advance(Duration::from_millis({seconds} * 1000 - 1));
    assert!(a.receive_message("q", Some(0)).await.is_err(), "still invisible");
    e.clock().advance(Duration::from_millis(1));
    assert_eq!(a.receive_message("q", Some(0)).await.unwrap().dequeue_count, 2);
}}
"#
    )
}

#[test]
#[ignore = "builds a copy of the workspace (cmq-sdk and cmq-mock again, 1-2 minutes); .ci/run runs it"]
fn a_default_changed_in_the_spec_changes_the_engine() {
    let ws = root();
    let tmp = std::env::temp_dir().join(format!("cmq-one-source-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let project = copy_workspace(&ws, &tmp);
    let old = set_visibility_default(&project.join("spec"), NEW_DEFAULT);
    assert_ne!(old, NEW_DEFAULT, "the probe must observe a change");
    let files = codegen::generate(&project.join("spec")).expect("the changed spec generates");
    let diff = codegen::sync::write(&project, &files).expect("write");
    assert!(!diff.is_clean(), "regenerating changed generated files");
    std::fs::write(
        project.join("cmq-mock/tests/one_source_probe.rs"),
        probe(NEW_DEFAULT),
    )
    .expect("write the probe");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(&tmp)
        .env("CARGO_TARGET_DIR", ws.join("target"))
        .args(["test", "-p", "cmq-mock", "--test", "one_source_probe"])
        .output()
        .expect("run cargo");
    let log = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "the probe failed in the copy:\n{log}");
    assert!(log.contains("1 passed"), "{log}");
    let _ = std::fs::remove_dir_all(&tmp);
}
