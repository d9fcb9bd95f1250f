//! One test per lint: each breaks a valid fixture in one way and snapshots the message, which
//! must name the file and the JSON path.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/edges")
}

/// Copies the `edges` fixture, applies `edit(file, json)` to each file, and returns the error.
fn lint(tag: &str, edit: impl Fn(&str, &mut Value)) -> String {
    let dir = std::env::temp_dir().join(format!("cmq-lint-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("v2/actions")).expect("mkdir");
    for rel in [
        "v2/protocol.json",
        "v2/errors.json",
        "v2/attributes.json",
        "service.json",
        "profiles.json",
        "v2/actions/Edge.json",
    ] {
        let text = std::fs::read_to_string(fixture().join(rel)).expect("read");
        let mut v: Value = serde_json::from_str(&text).expect("json");
        edit(rel, &mut v);
        if !v.is_null() {
            let target = if rel == "v2/actions/Edge.json" {
                v.get("__file")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .unwrap_or_else(|| rel.to_owned())
            } else {
                rel.to_owned()
            };
            if let Some(o) = v.as_object_mut() {
                o.remove("__file");
            }
            std::fs::write(
                dir.join(target),
                serde_json::to_string_pretty(&v).expect("ser"),
            )
            .expect("write");
        }
    }
    let err = codegen::model(&dir).expect_err("the lint must refuse this spec");
    let _ = std::fs::remove_dir_all(&dir);
    err.to_string()
}

fn on_action(edit: impl Fn(&mut Value)) -> impl Fn(&str, &mut Value) {
    move |rel, v| {
        if rel == "v2/actions/Edge.json" {
            edit(v)
        }
    }
}

#[test]
fn the_fixture_itself_is_valid() {
    assert!(codegen::model(&fixture()).is_ok());
}

#[test]
fn unknown_parameter_reference() {
    insta::assert_snapshot!(lint(
        "ref",
        on_action(|v| v["params"][0]["ref"] = json!("nope"))
    ));
}

#[test]
fn unknown_shape() {
    insta::assert_snapshot!(lint(
        "shape",
        on_action(|v| v["params"][5]["shape"] = json!("Missing"))
    ));
}

#[test]
fn unknown_error_id() {
    insta::assert_snapshot!(lint(
        "error",
        on_action(|v| v["errors"] = json!(["NoSuchError"]))
    ));
}

#[test]
fn settled_by_retry_names_an_error_the_action_answers() {
    let msg = lint(
        "settled",
        on_action(|v| {
            v["settled_by_retry"] =
                json!([{"error": "NoSuchError"}, {"error": "InternalError", "every_item": "Nope"}])
        }),
    );
    assert!(msg.contains("settled_by_retry[0].error"), "{msg}");
    assert!(msg.contains("unknown error id `NoSuchError`"), "{msg}");
    assert!(
        msg.contains("`NoSuchError` is not among the action's `errors`"),
        "{msg}"
    );
    assert!(msg.contains("settled_by_retry[1].every_item"), "{msg}");
    assert!(msg.contains("unknown error id `Nope`"), "{msg}");
}

#[test]
fn settled_by_retry_only_on_an_idempotent_action() {
    let msg = lint(
        "settled-idem",
        on_action(|v| {
            v["idempotent"] = json!(false);
            v["settled_by_retry"] = json!([{"error": "InternalError"}]);
        }),
    );
    assert!(
        msg.contains("only an idempotent action is retried after a lost answer"),
        "{msg}"
    );
    assert!(msg.contains("Edge.json"), "{msg}");
}

#[test]
fn unknown_pattern() {
    insta::assert_snapshot!(lint(
        "pattern",
        on_action(|v| v["params"][6]["pattern"] = json!("zip"))
    ));
}

#[test]
fn duplicate_wire_name() {
    insta::assert_snapshot!(lint(
        "dup",
        on_action(|v| v["params"][4]["wire"] = json!("low"))
    ));
}

#[test]
fn names_colliding_after_case_conversion() {
    insta::assert_snapshot!(lint(
        "case",
        on_action(|v| v["params"][4]["wire"] = json!("Low"))
    ));
}

#[test]
fn rust_keyword() {
    insta::assert_snapshot!(lint(
        "kw",
        on_action(|v| v["params"][3]["wire"] = json!("type"))
    ));
}

#[test]
fn default_outside_range() {
    insta::assert_snapshot!(lint("default", |rel, v| if rel == "v2/attributes.json" {
        v["params"]["exact"]["default"] = json!(8)
    }));
}

#[test]
fn inverted_range() {
    insta::assert_snapshot!(lint(
        "inverted",
        on_action(|v| {
            v["params"][4]["min"] = json!(5);
            v["params"][4]["max"] = json!(1);
        })
    ));
}

#[test]
fn missing_doc() {
    insta::assert_snapshot!(lint("doc", on_action(|v| v["doc"] = json!("  "))));
}

#[test]
fn action_name_differs_from_file_name() {
    insta::assert_snapshot!(lint("name", on_action(|v| v["name"] = json!("Other"))));
}

#[test]
fn duplicate_error_id() {
    insta::assert_snapshot!(lint("duperr", |rel, v| if rel == "v2/errors.json" {
        let first = v["errors"][0].clone();
        v["errors"].as_array_mut().expect("array").push(first);
    }));
}

#[test]
fn unknown_key_names_file_and_path() {
    insta::assert_snapshot!(lint(
        "key",
        on_action(|v| v["params"][1]["maxx"] = json!(3))
    ));
}

#[test]
fn wrong_type_names_file_and_path() {
    insta::assert_snapshot!(lint(
        "type",
        on_action(|v| v["params"][1]["min"] = json!("three"))
    ));
}

#[test]
fn fact_without_source_or_of_the_wrong_type() {
    insta::assert_snapshot!(lint("fact", |rel, v| if rel == "service.json" {
        v["facts"]["push_user_agent"]["source"] = json!(null);
        v["facts"]["queues_per_account"]["value"] = json!(-1);
        v["facts"]["https_endpoints"]["value"] = json!("yes");
    }));
}

#[test]
fn paging_needs_its_parameters_and_fields() {
    insta::assert_snapshot!(lint(
        "paging",
        on_action(|v| v["paginated"] =
            json!({"offset": "count", "limit": "nope", "total": "n", "items": "maybe"}))
    ));
}

#[test]
fn default_by_needs_string_enums() {
    insta::assert_snapshot!(lint(
        "default-by",
        on_action(|v| v["params"][3]["default_by"] = json!({"param": "name", "values": {"a": "b"}}))
    ));
}

#[test]
fn a_profiled_value_lists_every_profile_and_no_other() {
    insta::assert_snapshot!(lint(
        "profiles",
        on_action(|v| v["params"][4]["max"] = json!({"by_profile": {
            "tdmq": {"value": 1, "source": "a test"},
            "beta": {"value": 2, "source": "a test"}
        }}))
    ));
}
