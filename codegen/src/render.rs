//! Rendering: the Rust annotation goes through tera templates (which only place what it decided),
//! then `syn` parses the result and `prettyplease` formats it, so no installed rustfmt is needed
//! and a template that emits invalid Rust fails here, naming the file.

use std::collections::BTreeMap;

use tera::{Context, Tera};

use crate::error::Error;
use crate::rust::RustModel;
use crate::rust::v3::Api3Model;

/// The generated files: path relative to the workspace root → contents.
pub type FileSet = BTreeMap<String, String>;

/// The folders the generator owns; any other file inside them is an orphan.
pub const GENERATED_DIRS: &[&str] = &[
    "cmq-sdk/src/generated",
    "cmq-mock/src/generated",
    "spec/conformance/generated",
];

const TEMPLATES: &[(&str, &str)] = &[
    ("enum.rs.tera", include_str!("../templates/enum.rs.tera")),
    (
        "v3_sdk_mod.rs.tera",
        include_str!("../templates/v3_sdk_mod.rs.tera"),
    ),
    (
        "v3_sdk_errors.rs.tera",
        include_str!("../templates/v3_sdk_errors.rs.tera"),
    ),
    (
        "v3_sdk_actions.rs.tera",
        include_str!("../templates/v3_sdk_actions.rs.tera"),
    ),
    (
        "v3_sdk_constraints.rs.tera",
        include_str!("../templates/v3_sdk_constraints.rs.tera"),
    ),
    (
        "v3_sdk_types.rs.tera",
        include_str!("../templates/v3_sdk_types.rs.tera"),
    ),
    (
        "v3_model.rs.tera",
        include_str!("../templates/v3_model.rs.tera"),
    ),
    (
        "v3_sdk_models.rs.tera",
        include_str!("../templates/v3_sdk_models.rs.tera"),
    ),
    (
        "v3_sdk_ops_mod.rs.tera",
        include_str!("../templates/v3_sdk_ops_mod.rs.tera"),
    ),
    (
        "v3_sdk_op.rs.tera",
        include_str!("../templates/v3_sdk_op.rs.tera"),
    ),
    (
        "v3_mock_mod.rs.tera",
        include_str!("../templates/v3_mock_mod.rs.tera"),
    ),
    (
        "v3_mock_decode.rs.tera",
        include_str!("../templates/v3_mock_decode.rs.tera"),
    ),
    (
        "v3_mock_service.rs.tera",
        include_str!("../templates/v3_mock_service.rs.tera"),
    ),
    (
        "v3_mock_dispatch.rs.tera",
        include_str!("../templates/v3_mock_dispatch.rs.tera"),
    ),
    (
        "v3_mock_errors.rs.tera",
        include_str!("../templates/v3_mock_errors.rs.tera"),
    ),
    (
        "v3_mock_envelope.rs.tera",
        include_str!("../templates/v3_mock_envelope.rs.tera"),
    ),
    (
        "struct.rs.tera",
        include_str!("../templates/struct.rs.tera"),
    ),
    (
        "sdk_mod.rs.tera",
        include_str!("../templates/sdk_mod.rs.tera"),
    ),
    (
        "sdk_errors.rs.tera",
        include_str!("../templates/sdk_errors.rs.tera"),
    ),
    (
        "sdk_actions.rs.tera",
        include_str!("../templates/sdk_actions.rs.tera"),
    ),
    (
        "sdk_constraints.rs.tera",
        include_str!("../templates/sdk_constraints.rs.tera"),
    ),
    (
        "sdk_types.rs.tera",
        include_str!("../templates/sdk_types.rs.tera"),
    ),
    (
        "sdk_facts.rs.tera",
        include_str!("../templates/sdk_facts.rs.tera"),
    ),
    (
        "sdk_profiles.rs.tera",
        include_str!("../templates/sdk_profiles.rs.tera"),
    ),
    (
        "sdk_ops_mod.rs.tera",
        include_str!("../templates/sdk_ops_mod.rs.tera"),
    ),
    (
        "sdk_op.rs.tera",
        include_str!("../templates/sdk_op.rs.tera"),
    ),
    (
        "mock_mod.rs.tera",
        include_str!("../templates/mock_mod.rs.tera"),
    ),
    (
        "mock_decode.rs.tera",
        include_str!("../templates/mock_decode.rs.tera"),
    ),
    (
        "mock_service.rs.tera",
        include_str!("../templates/mock_service.rs.tera"),
    ),
    (
        "mock_dispatch.rs.tera",
        include_str!("../templates/mock_dispatch.rs.tera"),
    ),
];

fn engine() -> Result<Tera, Error> {
    let mut t = Tera::default();
    t.autoescape_on(vec![]);
    t.add_raw_templates(TEMPLATES.iter().copied())
        .map_err(|e| Error::Render {
            file: "templates".into(),
            message: chain(&e),
        })?;
    Ok(t)
}

fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// Formats Rust source with syn + prettyplease and prepends the `@generated` header.
pub fn format_rust(file: &str, source: &str, spec_hash: &str) -> Result<String, Error> {
    let parsed = syn::parse_file(source).map_err(|e| {
        let start = e.span().start();
        let line = source
            .lines()
            .nth(start.line.saturating_sub(1))
            .unwrap_or_default();
        Error::Render {
            file: file.to_owned(),
            message: format!(
                "invalid Rust at {}:{}: {e}\n    {line}",
                start.line, start.column
            ),
        }
    })?;
    let body = prettyplease::unparse(&parsed);
    Ok(format!(
        "// @generated by cargo xtask codegen from spec (sha256 {spec_hash}); do not edit\n\n{body}"
    ))
}

/// Renders `tpl` with `ctx` into `path`, formatted, into `out`.
fn render_one(
    t: &Tera,
    ctx: &Context,
    tpl: &str,
    path: &str,
    spec_hash: &str,
    out: &mut FileSet,
) -> Result<(), Error> {
    let src = t.render(tpl, ctx).map_err(|e| Error::Render {
        file: path.to_owned(),
        message: chain(&e),
    })?;
    out.insert(path.to_owned(), format_rust(path, &src, spec_hash)?);
    Ok(())
}

/// Renders every generated file of the API 3.0 layers.
pub fn render_v3(model: &Api3Model) -> Result<FileSet, Error> {
    let t = engine()?;
    let mut out = FileSet::new();
    let mut base = Context::new();
    base.insert("m", model);
    let whole: &[(&str, &str)] = &[
        ("cmq-sdk/src/generated/v3/mod.rs", "v3_sdk_mod.rs.tera"),
        (
            "cmq-sdk/src/generated/v3/errors.rs",
            "v3_sdk_errors.rs.tera",
        ),
        (
            "cmq-sdk/src/generated/v3/actions.rs",
            "v3_sdk_actions.rs.tera",
        ),
        (
            "cmq-sdk/src/generated/v3/constraints.rs",
            "v3_sdk_constraints.rs.tera",
        ),
        ("cmq-sdk/src/generated/v3/types.rs", "v3_sdk_types.rs.tera"),
        (
            "cmq-sdk/src/generated/v3/models.rs",
            "v3_sdk_models.rs.tera",
        ),
        (
            "cmq-sdk/src/generated/v3/ops/mod.rs",
            "v3_sdk_ops_mod.rs.tera",
        ),
        ("cmq-mock/src/generated/v3/mod.rs", "v3_mock_mod.rs.tera"),
        (
            "cmq-mock/src/generated/v3/decode.rs",
            "v3_mock_decode.rs.tera",
        ),
        (
            "cmq-mock/src/generated/v3/service.rs",
            "v3_mock_service.rs.tera",
        ),
        (
            "cmq-mock/src/generated/v3/dispatch.rs",
            "v3_mock_dispatch.rs.tera",
        ),
        (
            "cmq-mock/src/generated/v3/errors.rs",
            "v3_mock_errors.rs.tera",
        ),
        (
            "cmq-mock/src/generated/v3/envelope.rs",
            "v3_mock_envelope.rs.tera",
        ),
    ];
    for (path, tpl) in whole {
        render_one(&t, &base, tpl, path, &model.spec_hash, &mut out)?;
    }
    for a in &model.actions {
        let path = format!("cmq-sdk/src/generated/v3/ops/{}.rs", a.snake);
        let mut ctx = base.clone();
        ctx.insert("a", a);
        render_one(
            &t,
            &ctx,
            "v3_sdk_op.rs.tera",
            &path,
            &model.spec_hash,
            &mut out,
        )?;
    }
    Ok(out)
}

/// Renders every generated file.
pub fn render(model: &RustModel) -> Result<FileSet, Error> {
    let t = engine()?;
    let mut out = FileSet::new();
    let mut base = Context::new();
    base.insert("m", model);
    let whole: &[(&str, &str)] = &[
        ("cmq-sdk/src/generated/mod.rs", "sdk_mod.rs.tera"),
        ("cmq-sdk/src/generated/errors.rs", "sdk_errors.rs.tera"),
        ("cmq-sdk/src/generated/actions.rs", "sdk_actions.rs.tera"),
        (
            "cmq-sdk/src/generated/constraints.rs",
            "sdk_constraints.rs.tera",
        ),
        ("cmq-sdk/src/generated/types.rs", "sdk_types.rs.tera"),
        ("cmq-sdk/src/generated/facts.rs", "sdk_facts.rs.tera"),
        ("cmq-sdk/src/generated/profiles.rs", "sdk_profiles.rs.tera"),
        ("cmq-sdk/src/generated/ops/mod.rs", "sdk_ops_mod.rs.tera"),
        ("cmq-mock/src/generated/mod.rs", "mock_mod.rs.tera"),
        ("cmq-mock/src/generated/decode.rs", "mock_decode.rs.tera"),
        ("cmq-mock/src/generated/service.rs", "mock_service.rs.tera"),
        (
            "cmq-mock/src/generated/dispatch.rs",
            "mock_dispatch.rs.tera",
        ),
    ];
    for (path, tpl) in whole {
        let src = t.render(tpl, &base).map_err(|e| Error::Render {
            file: (*path).to_owned(),
            message: chain(&e),
        })?;
        out.insert(
            (*path).to_owned(),
            format_rust(path, &src, &model.spec_hash)?,
        );
    }
    for a in &model.actions {
        let path = format!("cmq-sdk/src/generated/ops/{}.rs", a.snake);
        let mut ctx = base.clone();
        ctx.insert("a", a);
        let src = t
            .render("sdk_op.rs.tera", &ctx)
            .map_err(|e| Error::Render {
                file: path.clone(),
                message: chain(&e),
            })?;
        let formatted = format_rust(&path, &src, &model.spec_hash)?;
        out.insert(path, formatted);
    }
    Ok(out)
}
