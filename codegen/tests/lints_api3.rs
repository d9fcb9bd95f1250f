//! One test per lint of a second API (style `tc3`, Tencent Cloud API 3.0): each breaks the valid
//! `api3` fixture (the `edges` API 2.0 fixture plus a small `v3/`) in one way and snapshots the
//! finding, which names the file and the JSON path.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/api3")
}

fn copy(from: &Path, to: &Path, rel: &str, edit: &dyn Fn(&str, &mut Value)) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read dir") {
        let p = e.expect("entry").path();
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let rel = if rel.is_empty() {
            name.to_owned()
        } else {
            format!("{rel}/{name}")
        };
        if p.is_dir() {
            copy(&p, &to.join(name), &rel, edit);
            continue;
        }
        let mut v: Value =
            serde_json::from_str(&std::fs::read_to_string(&p).expect("read")).expect("json");
        edit(&rel, &mut v);
        let text = serde_json::to_string_pretty(&v).expect("ser");
        std::fs::write(to.join(name), text).expect("write");
    }
}

/// Copies the fixture, applies `edit(file, json)` to every file, and returns the error.
fn lint(tag: &str, edit: impl Fn(&str, &mut Value)) -> String {
    let dir = std::env::temp_dir().join(format!("cmq-lint3-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    copy(&fixture(), &dir, "", &edit);
    let err = codegen::model(&dir).expect_err("the lint must refuse this spec");
    let _ = std::fs::remove_dir_all(&dir);
    err.to_string()
}

fn on(file: &'static str, edit: impl Fn(&mut Value)) -> impl Fn(&str, &mut Value) {
    move |rel, v| {
        if rel == file {
            edit(v)
        }
    }
}

#[test]
fn the_fixture_itself_is_valid() {
    assert!(codegen::model(&fixture()).is_ok());
}

#[test]
fn a_link_to_nothing() {
    insta::assert_snapshot!(lint(
        "nothing",
        on("v3/attributes.json", |v| v["params"]["Count"]["link"] =
            json!("v2:params/nope"))
    ));
}

#[test]
fn a_link_to_an_unknown_api_or_malformed() {
    insta::assert_snapshot!(lint(
        "api",
        on("v3/attributes.json", |v| {
            v["params"]["Count"]["link"] = json!("v9:params/count");
            v["params"]["Exact"]["link"] = json!("no colon");
        })
    ));
}

#[test]
fn a_link_whose_type_conflicts() {
    insta::assert_snapshot!(lint(
        "type",
        on("v3/attributes.json", |v| {
            v["params"]["Count"]["type"] = json!("string");
            v["shapes"]["Thing"]["fields"][1]["type"] = json!("bool");
        })
    ));
}

#[test]
fn an_api3_type_in_an_api2_action() {
    insta::assert_snapshot!(lint(
        "style",
        on("v2/actions/Edge.json", |v| v["params"][3]["type"] =
            json!("bool"))
    ));
}

#[test]
fn violation_kinds_follow_the_style() {
    insta::assert_snapshot!(lint(
        "kinds",
        on("v3/protocol.json", |v| {
            let k = v["violation_errors"].as_object_mut().expect("object");
            k.remove("type");
            k.insert("contiguous".into(), json!("BadValue"));
        })
    ));
}

#[test]
fn the_mapping_names_what_exists_and_covers_every_error() {
    insta::assert_snapshot!(lint(
        "mapping",
        on("v3/errors.json", |v| {
            let m = &mut v["from_v2"];
            m["by_code"].as_array_mut().expect("list").pop();
            m["by_id"][1]["v2"] = json!("NoSuchError");
            m["by_id"][1]["actions"] = json!({"NoSuchAction": "Nope"});
            m["by_code"][0]["code"] = json!(4999);
        })
    ));
}

#[test]
fn codes_are_listed_once() {
    insta::assert_snapshot!(lint(
        "codes",
        on("v3/errors.json", |v| {
            v["codes"][1]["code"] = json!("MissingParameter");
        })
    ));
}

#[test]
fn actions_of_two_apis_collide_as_client_methods() {
    insta::assert_snapshot!(lint("methods", |rel, v| {
        if rel == "v3/actions/ListThings.json" {
            v["name"] = json!("Edge");
        }
    }));
}

#[test]
fn an_api_available_on_no_profile() {
    insta::assert_snapshot!(lint(
        "available",
        on("v3/protocol.json", |v| {
            v["available"]["by_profile"]["tdmq"]["value"] = json!(false);
        })
    ));
}

#[test]
fn a_profiled_availability_lists_every_profile() {
    insta::assert_snapshot!(lint(
        "profiles",
        on("v3/protocol.json", |v| {
            let by = v["available"]["by_profile"]
                .as_object_mut()
                .expect("object");
            by.remove("legacy");
        })
    ));
}

#[test]
fn the_protocol_failures_the_generated_layer_needs() {
    insta::assert_snapshot!(lint(
        "protocol",
        on("v3/protocol.json", |v| {
            let errs = v["protocol_errors"].as_object_mut().expect("object");
            errs.remove("unavailable");
            errs.insert("teapot".into(), json!("MalformedBody"));
        })
    ));
}
