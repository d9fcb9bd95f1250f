//! One test (or a few) per pass of the generator, on the small fixture specs: the loader's typed
//! values, the neutral model's facts, the Rust annotation of a parameter and an action, and
//! rendering.

use std::path::{Path, PathBuf};

use codegen::lint::Lints;
use codegen::model::{Model, Rule};
use codegen::spec::{self, FieldType, Group, LenUnit, ParamType, Scalar, ViolationKind};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn model(name: &str) -> Model {
    codegen::model(&fixture(name)).expect("the fixture builds")
}

// ------------------------------------------------------------------------------------ load

#[test]
fn the_loader_reads_typed_values_and_hashes_every_file() {
    let s = spec::load(&fixture("edges")).expect("loads");
    let api = &s.apis[0];
    assert_eq!(api.id, "v2");
    let edge = &api.actions["Edge"];
    assert_eq!(edge.group, Group::Queue);
    assert_eq!(edge.params[3].ty, Some(ParamType::Int));
    assert!(matches!(edge.rules[0], spec::Rule::Le(_)));
    assert!(matches!(edge.rules[2], spec::Rule::State(_)));
    assert_eq!(edge.response[0].ty, Some(FieldType::Int));
    let count = &api.attributes.params["count"];
    let limits = count.limits("tdmq");
    assert_eq!((limits.min, limits.max), (Some(i64::MIN), Some(i64::MAX)));
    assert_eq!(limits.default, Some(Scalar::Int(0)));
    assert_eq!(api.attributes.params["tag"].len_unit, Some(LenUnit::Bytes));
    let doc = &api.attributes.shapes["Doc"];
    assert_eq!(doc.errors[&ViolationKind::Range], "InvalidParameter");
    assert_eq!(s.hash.len(), 64);
    assert_eq!(s.hash, spec::load(&fixture("edges")).expect("again").hash);
}

#[test]
fn the_loader_refuses_an_unknown_type_with_file_and_path() {
    let dir = std::env::temp_dir().join(format!("cmq-passes-type-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("v2/actions")).expect("mkdir");
    for f in [
        "v2/protocol.json",
        "v2/errors.json",
        "v2/attributes.json",
        "service.json",
        "profiles.json",
    ] {
        std::fs::copy(fixture("edges").join(f), dir.join(f)).expect("copy");
    }
    let text = std::fs::read_to_string(fixture("edges/v2/actions/Edge.json")).expect("read");
    let text = text.replacen("\"type\": \"int\"", "\"type\": \"integer\"", 1);
    std::fs::write(dir.join("v2/actions/Edge.json"), text).expect("write");
    let err = spec::load(&dir).expect_err("refused").to_string();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        err.starts_with("spec/v2/actions/Edge.json: $.params[3].type: unknown variant `integer`"),
        "{err}"
    );
}

// ------------------------------------------------------------------------------ the model

#[test]
fn the_model_resolves_references_and_fills_every_error() {
    let m = model("edges");
    let api = &m.apis[0];
    let a = &api.actions[0];
    assert_eq!(a.name, "Edge");
    let count = a.param("count").expect("count");
    assert!(count.required);
    assert_eq!(count.ty, ParamType::Int);
    for k in ViolationKind::ALL {
        assert!(!count.error(k).is_empty(), "{k}");
    }
    // Shape members carry the shape's overrides, then the protocol's defaults.
    let doc = a.param("doc").expect("doc");
    let members = api.members(doc);
    let keys: Vec<&str> = members.iter().map(|p| p.wire.as_str()).collect();
    assert_eq!(keys, ["mode", "limit"]);
    assert_eq!(members[1].error(ViolationKind::Range), "InvalidParameter");
    let ri = members[1].required_if.as_ref().expect("required_if");
    assert_eq!((ri.field.as_str(), &ri.equals), ("mode", &Scalar::Int(1)));
    assert_eq!(members[0].one_of, [Scalar::Int(0), Scalar::Int(1)]);
}

#[test]
fn the_model_locates_rule_operands_and_keeps_state_rules_apart() {
    let m = model("edges");
    let api = &m.apis[0];
    let a = &api.actions[0];
    assert_eq!(a.rules.len(), 2);
    assert_eq!(a.rules[0].kind(), "le");
    assert_eq!(a.rules[1].kind(), "requires");
    let Rule::Requires { when, then, error } = &a.rules[1] else {
        panic!("a requires rule");
    };
    assert_eq!((when.param.as_str(), then.param.as_str()), ("low", "high"));
    assert_eq!(error, "RangeRule");
    assert_eq!(a.state_rules.len(), 1);
    assert_eq!(a.state_rules[0].doc, "Something stateful.");
}

#[test]
fn the_model_knows_paging_long_polls_and_targets() {
    let m = model("naming");
    let list = m.apis[0]
        .actions
        .iter()
        .find(|a| a.name == "ListV2Things")
        .expect("action");
    let p = list.paging.as_ref().expect("paged");
    assert_eq!((p.offset.as_str(), p.limit.as_str()), ("offset", "limit"));
    assert_eq!(
        (p.total.as_str(), p.items.as_str()),
        ("totalCount", "thingList")
    );
    assert_eq!(p.item_shape, "HTTPItem");
    assert!(!p.items_optional);
    assert!(list.long_poll.is_none() && list.target.is_none());
}

#[test]
fn an_unlinted_model_still_collects_every_finding() {
    let s = spec::load(&fixture("edges")).expect("loads");
    let mut l = Lints::default();
    let m = codegen::model::build(&s, "tdmq", &mut l);
    assert!(l.is_empty());
    codegen::rust::names::check(&m, &mut l);
    assert!(l.is_empty());
}

// ----------------------------------------------------------------------- Rust annotation

#[test]
fn a_parameter_is_annotated_with_its_rust_fragments() {
    let m = model("naming");
    let r = codegen::rust::annotate(&m, &[], "v2").expect("v2");
    let a = r
        .actions
        .iter()
        .find(|a| a.name == "HTTPStatusCheck")
        .expect("action");
    let kind = a.params.iter().find(|p| p.field == "kind").expect("kind");
    assert_eq!(kind.rust_type.text(), "crate :: enums :: Open < Kind >");
    assert_eq!(
        kind.arg_type.text(),
        "impl Into < crate :: enums :: Open < Kind >>"
    );
    assert_eq!(
        kind.check.text(),
        "check_string (spec_kind , self . kind . as_ref () . map (crate :: enums :: Open :: as_str) , & mut v) ;"
    );
    assert_eq!(
        kind.decode.text(),
        "p . string (& cmq_sdk :: generated :: constraints :: http_status_check :: KIND , errs) . map (cmq_sdk :: enums :: Open :: < Kind > :: from)"
    );
    let spec = kind.spec.expr.text();
    assert!(
        spec.contains("one_of : & [Scalar :: Text (\"HTTP_PUSH\") , Scalar :: Text (\"queue-copy\") , Scalar :: Text (\"Simple\")]"),
        "{spec}"
    );
    let list = a
        .params
        .iter()
        .find(|p| p.field == "url_list")
        .expect("URLList");
    assert_eq!(list.spec.const_name, "URL_LIST");
    assert!(list.spec.expr.text().contains("max_items : Some (3_usize)"));
    let typed = list.typed.as_ref().expect("typed limits");
    assert_eq!(typed.module, "url_list");
    assert_eq!(typed.consts[0].name, "MAX_ITEMS");
    assert_eq!(typed.consts[0].value.text(), "3");
    let variants: Vec<&str> = r.enums[0]
        .variants
        .iter()
        .map(|v| v.variant.as_str())
        .collect();
    assert_eq!(variants, ["HttpPush", "QueueCopy", "Simple"]);
}

#[test]
fn an_action_is_annotated_with_names_rules_and_paging() {
    let r = codegen::rust::annotate(&model("edges"), &[], "v2").expect("v2");
    let a = &r.actions[0];
    assert_eq!(
        (a.input.as_str(), a.request.as_str(), a.snake.as_str()),
        ("EdgeInput", "EdgeRequest", "edge")
    );
    assert_eq!(
        a.rules[0].text(),
        "check_order (\"low\" , self . low , \"high\" , self . high , false , ErrorId :: RangeRule , & mut v) ;"
    );
    assert_eq!(
        a.doc.last().map(String::as_str),
        Some("- Something stateful. (`InternalError`)")
    );
    let r = codegen::rust::annotate(&model("naming"), &[], "v2").expect("v2");
    let list = r
        .actions
        .iter()
        .find(|a| a.name == "ListV2Things")
        .expect("action");
    let p = list.paginated.as_ref().expect("paged");
    assert_eq!(
        (p.item_type.as_str(), p.items_expr.text()),
        ("HTTPItem", "out . thing_list".to_owned())
    );
    let item = r
        .shapes
        .iter()
        .find(|s| s.name == "HTTPItem")
        .expect("shape");
    assert_eq!(item.fields[1].field, "http_code");
    assert_eq!(
        item.fields[1].from_raw.text(),
        "raw . k_http_code . or (raw . k_http_code_alias0)"
    );
    assert_eq!(
        item.fields[0].from_raw.text(),
        "raw . k_item_id . ok_or_else (|| D :: Error :: missing_field (\"itemID\")) ?"
    );
}

// ------------------------------------------------------------------------------ rendering

#[test]
fn rendering_formats_rust_and_refuses_invalid_output() {
    let ok = codegen::render::format_rust("x.rs", "fn  f( ) { let a=1; }", "abc").expect("valid");
    assert_eq!(
        ok,
        "// @generated by cargo xtask codegen from spec (sha256 abc); do not edit\n\nfn f() {\n    let a = 1;\n}\n"
    );
    let err = codegen::render::format_rust("x.rs", "fn f( {", "abc").expect_err("invalid");
    assert!(
        err.to_string()
            .starts_with("rendering x.rs: invalid Rust at 1:"),
        "{err}"
    );
    let files =
        codegen::render::render(&codegen::rust::annotate(&model("edges"), &[], "v2").expect("v2"))
            .expect("renders");
    assert!(files.contains_key("cmq-sdk/src/generated/ops/edge.rs"));
    assert!(files.values().all(|t| t.starts_with("// @generated")));
}

// ------------------------------------------------------------------------------- profiles

#[test]
fn each_profile_has_its_model_and_the_annotation_keeps_what_differs() {
    let ms = codegen::models(&fixture("edges")).expect("builds");
    let ids: Vec<&str> = ms.iter().map(|m| m.profile.as_str()).collect();
    assert_eq!(ids, ["tdmq", "legacy"]);
    let high = |m: &Model| m.apis[0].actions[0].param("high").and_then(|p| p.max);
    assert_eq!((high(&ms[0]), high(&ms[1])), (Some(1), Some(0)));
    let r = codegen::rust::annotate(&ms[0], &ms[1..], "v2").expect("v2");
    let a = &r.actions[0];
    let arms: Vec<&str> = a.tables.arms.iter().map(|x| x.table.as_str()).collect();
    assert_eq!(arms, ["TABLE", "legacy::TABLE"]);
    let differ: Vec<&str> = a.tables.profiles[0]
        .specs
        .iter()
        .map(|s| s.const_name.as_str())
        .collect();
    assert_eq!(differ, ["HIGH", "NAME"]);
    assert!(
        a.tables.profiles[0].specs[1]
            .expr
            .text()
            .contains("LEGACY_NAME_PATTERN")
    );
    assert!(
        r.patterns
            .iter()
            .any(|p| p.const_name == "LEGACY_NAME_PATTERN")
    );
    // A typed constant exists only when it holds on every profile.
    let high = a.params.iter().find(|p| p.field == "high").expect("high");
    let consts: Vec<&str> = high
        .typed
        .iter()
        .flat_map(|t| &t.consts)
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(consts, ["MIN"]);
    assert!(
        high.doc
            .contains(&"Range: 0 to 1 (`legacy` profile: 0 to 0).".to_owned())
    );
    let shared: Vec<&str> = r
        .shared_facts
        .iter()
        .map(|f| f.const_name.as_str())
        .collect();
    assert!(!shared.contains(&"RECREATE_BLOCK") && shared.contains(&"QUEUES_PER_ACCOUNT"));
    let legacy = &r.profile_facts[1];
    assert_eq!(
        (legacy.const_name.as_str(), legacy.variant.as_str()),
        ("LEGACY", "Legacy")
    );
    let variants: Vec<(&str, &str)> = r
        .profiles
        .iter()
        .map(|p| (p.variant.as_str(), p.attr.as_str()))
        .collect();
    assert_eq!(variants, [("Tdmq", "#[default]"), ("Legacy", "")]);
}

// ---------------------------------------------------------------------------------- APIs

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

/// The loader and the model know every API directory; one the Rust layers do not serve yet is
/// refused rather than ignored.
#[test]
fn every_api_directory_is_loaded_and_one_without_a_target_is_refused() {
    let dir = std::env::temp_dir().join(format!("cmq-passes-apis-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(&fixture("edges"), &dir);
    copy_dir(&fixture("edges/v2"), &dir.join("v3"));
    let s = spec::load(&dir).expect("loads");
    let ids: Vec<&str> = s.apis.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["v2", "v3"]);
    let mut l = Lints::default();
    let m = codegen::model::build(&s, "tdmq", &mut l);
    assert_eq!(m.apis.len(), 2);
    assert_eq!(m.apis[1].actions[0].at.file, "v3/actions/Edge.json");
    let err = codegen::models(&dir)
        .expect_err("a `cmq` API named v3 has no target")
        .to_string();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        err.contains("spec/v3/protocol.json: $: API `v3` has no generator target (the Rust layers serve `v2` of style `cmq` and `v3` of style `tc3`)"),
        "{err}"
    );
}
