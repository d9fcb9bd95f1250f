//! Drift and the conformance corpus: a changed range in the spec changes the derived
//! expectations (`spec/conformance/generated/boundaries.json`); a hand edit to a generated
//! validation, or to the derived cases, is drift that `codegen::sync::diff` reports; and the
//! generator covers every constraint of the real spec. (The coverage report over the whole
//! corpus is `cargo xtask coverage`, tested in `xtask`.)

use std::path::{Path, PathBuf};

use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
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
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u8(0);
    let ws = std::env::temp_dir().join(format!(
        "cmq-conformance-{tag}-{}-{}",
        std::process::id(),
        h.finish()
    ));
    copy_dir(&root().join("spec"), &ws.join("spec"));
    let files = codegen::generate(&ws.join("spec")).expect("builds");
    codegen::sync::write(&ws, &files).expect("write");
    ws
}

fn derived(text: &str) -> Vec<Value> {
    let v: Value = serde_json::from_str(text).expect("boundaries.json is JSON");
    v["cases"].as_array().cloned().unwrap_or_default()
}

fn case<'a>(cases: &'a [Value], name: &str) -> Option<&'a Value> {
    cases.iter().find(|c| c["name"] == name)
}

fn set_delay_max(spec: &Path, max: i64) {
    let attr = spec.join("v2/attributes.json");
    let mut v: Value =
        serde_json::from_str(&std::fs::read_to_string(&attr).expect("read")).expect("json");
    v["params"]["delaySeconds"]["max"] = serde_json::json!(max);
    std::fs::write(&attr, serde_json::to_string_pretty(&v).expect("ser")).expect("write");
}

#[test]
fn a_changed_range_changes_the_derived_expectations() {
    let ws = workspace("range");
    let before = codegen::generate(&ws.join("spec")).expect("builds");
    set_delay_max(&ws.join("spec"), 7200);
    let after = codegen::generate(&ws.join("spec")).expect("builds");

    let path = codegen::conformance::boundaries_path("v2", "tdmq");
    let path = path.as_str();
    assert_ne!(before[path], after[path]);
    let (old, new) = (derived(&before[path]), derived(&after[path]));
    for action in ["SendMessage", "BatchSendMessage"] {
        let was = case(&old, &format!("{action}/delaySeconds/range/max+1=6048001")).expect("old");
        assert_eq!(was["expect"]["error"], "DelaySecondsOutOfRange");
        assert!(case(&new, &format!("{action}/delaySeconds/range/max+1=6048001")).is_none());
        let edge = case(&new, &format!("{action}/delaySeconds/range/max=7200")).expect("new max");
        assert_eq!(edge["expect"], "ok");
        assert_eq!(edge["params"]["delaySeconds"], "7200");
        let beyond = case(&new, &format!("{action}/delaySeconds/range/max+1=7201")).expect("new");
        assert_eq!(
            beyond["expect"]["message"],
            "(10692)delay seconds is out of range"
        );
    }
    // On disk, the constraint table and the derived cases are stale (every file's header
    // carries the spec's hash, so every generated file is).
    let drift = codegen::sync::diff(&ws, &after).expect("diff");
    assert!(
        drift
            .stale
            .contains(&"cmq-sdk/src/generated/constraints.rs".to_owned())
    );
    assert!(drift.stale.contains(&path.to_owned()));
    let _ = std::fs::remove_dir_all(&ws);
}

/// A hand edit to a generated validation (a changed `max` in `constraints.rs`) is drift, and
/// the derived cases keep the spec's expectation, so the corpus tests (see
/// `cmq-sdk/tests/conformance.rs`, `a_hand_edited_range_disagrees_with_the_corpus`) catch the
/// behaviour change.
#[test]
fn a_hand_edit_to_a_generated_validation_is_drift() {
    let ws = workspace("hand-edit");
    let files = codegen::generate(&ws.join("spec")).expect("builds");
    let table = ws.join("cmq-sdk/src/generated/constraints.rs");
    let text = std::fs::read_to_string(&table).expect("read");
    let at = text
        .find("wire: \"delaySeconds\"")
        .expect("the delaySeconds constraint");
    let (head, tail) = text.split_at(at);
    assert!(tail.contains("max: Some(6048000)"));
    std::fs::write(
        &table,
        format!(
            "{head}{}",
            tail.replacen("max: Some(6048000)", "max: Some(7200)", 1)
        ),
    )
    .expect("write");

    let drift = codegen::sync::diff(&ws, &files).expect("diff");
    assert_eq!(
        drift.stale,
        vec!["cmq-sdk/src/generated/constraints.rs".to_owned()]
    );
    assert!(drift.report().contains("cargo xtask codegen"));
    let cases = derived(&files[&codegen::conformance::boundaries_path("v2", "tdmq")]);
    let c = case(&cases, "SendMessage/delaySeconds/range/max+1=6048001").expect("case");
    assert_eq!(c["expect"]["error"], "DelaySecondsOutOfRange");

    // A hand edit to the derived cases is drift too.
    let b = ws.join(codegen::conformance::boundaries_path("v2", "tdmq"));
    let edited = std::fs::read_to_string(&b)
        .expect("read")
        .replace("\"max+1=6048001\"", "\"max+1=3602\"");
    std::fs::write(&b, edited).expect("write");
    let drift = codegen::sync::diff(&ws, &files).expect("diff");
    assert!(
        drift
            .stale
            .contains(&codegen::conformance::boundaries_path("v2", "tdmq")),
        "{drift:?}"
    );
    let _ = std::fs::remove_dir_all(&ws);
}

/// Every constraint kind of every parameter and member of the real spec has a derived case
/// that breaks it (the generator's own completeness, independent of the hand-written cases).
#[test]
fn the_generator_covers_every_constraint_of_the_real_spec() {
    let m = codegen::model(&root().join("spec")).expect("model");
    let api = &m.apis[0];
    let text = codegen::conformance::boundaries(&m, api).expect("boundaries");
    let cases = derived(&text);
    let mut missing = Vec::new();
    for c in codegen::conformance::constraints(api) {
        let hit = cases.iter().any(|x| {
            x["action"] == c.action.as_str()
                && x["expect"].is_object()
                && x["constraint"] == c.kind.as_str()
                && (c.kind.starts_with("rule:") || x["param"] == c.param.as_str())
        });
        if !hit {
            missing.push(c.to_string());
        }
    }
    assert!(missing.is_empty(), "no derived case breaks: {missing:#?}");
    // Deterministic.
    assert_eq!(
        text,
        codegen::conformance::boundaries(&m, api).expect("again")
    );
}

/// Each profile has its own derived cases: TDMQ names take `_` and delays up to 6048000 s,
/// legacy names do not and delays stop at 3600 s.
#[test]
fn each_profile_derives_its_own_cases() {
    let files = codegen::generate(&root().join("spec")).expect("builds");
    let tdmq = derived(&files[&codegen::conformance::boundaries_path("v2", "tdmq")]);
    let legacy = derived(&files[&codegen::conformance::boundaries_path("v2", "legacy")]);
    let name = "CreateQueue/queueName/pattern/char='_'";
    assert_eq!(case(&tdmq, name).expect("tdmq")["expect"], "ok");
    let refused = case(&legacy, name).expect("legacy");
    assert_eq!(refused["expect"]["error"], "QueueNameFormat");
    assert_eq!(refused["params"]["queueName"], "a_");
    let late = case(&legacy, "SendMessage/delaySeconds/range/max+1=3601").expect("legacy");
    assert_eq!(late["expect"]["error"], "DelaySecondsOutOfRange");
    assert!(case(&tdmq, "SendMessage/delaySeconds/range/max+1=3601").is_none());
    let text = &files[&codegen::conformance::boundaries_path("v2", "legacy")];
    let v: Value = serde_json::from_str(text).expect("json");
    assert_eq!(v["profile"], "legacy");
}
