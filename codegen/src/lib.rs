//! The CMQ code generator, in passes:
//!
//! 1. **load** ([`spec`]): the files under `spec/` as typed serde structs (file + JSON path on
//!    any error): the profiles, the service facts and every API directory (`v2/`);
//! 2. **model** ([`mod@model`]): the language-neutral model, one per profile, one `Api` per
//!    API directory — references resolved, overrides merged, facts computed — with the value,
//!    reference and profile lints ([`lint`]);
//! 3. **Rust annotation** ([`rust`]): identifiers, types, `ParamSpec` literals, doc lines and
//!    code fragments as token trees, after the identifier lints ([`rust::names`]);
//! 4. **render** ([`render`]): tera templates place the annotation; syn + prettyplease format;
//! 5. **conformance** ([`conformance`]): boundary cases derived from the neutral model's facts;
//! 6. **sync** ([`sync`]): compare with or write to the workspace.
//!
//! `cargo xtask codegen` writes the files; `cargo xtask codegen --check` compares them. See
//! `ARCHITECTURE.md` for where each kind of change belongs.

pub mod conformance;
pub mod error;
pub mod lint;
pub mod model;
pub mod render;
pub mod rust;
pub mod spec;
pub mod sync;

use std::path::Path;

pub use error::{Error, Finding, Location};
pub use render::{FileSet, GENERATED_DIRS};

/// The API (spec directory) the generated API 2.0 Rust layers serve (style `cmq`). The loader
/// and the model know every API under `spec/`; one without a generator target is refused (lint).
pub const RUST_API: &str = "v2";

/// The API (spec directory) the generated API 3.0 Rust layers serve (style `tc3`).
pub const RUST_API3: &str = "v3";

/// Loads and lints the spec in `spec_dir` and builds its neutral model for every profile, the
/// default profile first.
pub fn models(spec_dir: &Path) -> Result<Vec<model::Model>, Error> {
    let spec = spec::load(spec_dir)?;
    let mut lints = lint::Lints::default();
    let models: Vec<model::Model> = spec
        .profiles
        .ids()
        .iter()
        .map(|p| model::build(&spec, p, &mut lints))
        .collect();
    model::check_profiles(&models, &mut lints);
    check_available(&spec, &models, &mut lints);
    for api in &spec.apis {
        let target = match api.style() {
            spec::Style::Cmq => RUST_API,
            spec::Style::Tc3 => RUST_API3,
        };
        if api.id != target {
            lints.push(
                api.at("protocol.json", "$"),
                format!(
                    "API `{}` has no generator target (the Rust layers serve `{RUST_API}` of style `cmq` and `{RUST_API3}` of style `tc3`)",
                    api.id
                ),
            );
        }
    }
    if let Some(m) = models.first() {
        rust::names::check(m, &mut lints);
    }
    lints.finish()?;
    Ok(models)
}

/// An API 3.0 (style `tc3`) API must exist on some profile.
fn check_available(spec: &spec::Spec, models: &[model::Model], l: &mut lint::Lints) {
    for api in spec.apis.iter().filter(|a| a.style() == spec::Style::Tc3) {
        let on = |m: &model::Model| {
            m.api(&api.id)
                .and_then(|a| a.tc3.as_ref())
                .is_some_and(|t| t.available)
        };
        if !models.iter().any(on) {
            l.push(
                api.at("protocol.json", "$.available"),
                "the API is available on no profile".into(),
            );
        }
    }
}

/// The neutral model of the default profile (see [`models`]).
pub fn model(spec_dir: &Path) -> Result<model::Model, Error> {
    models(spec_dir)?
        .into_iter()
        .next()
        .ok_or_else(|| Error::Spec {
            at: Location::new("profiles.json", "$.profiles"),
            message: "no profile".into(),
        })
}

/// Generates every file from the spec in `spec_dir`: the Rust layers and, per profile, the
/// derived conformance cases ([`conformance::boundaries_path`]).
pub fn generate(spec_dir: &Path) -> Result<FileSet, Error> {
    let ms = models(spec_dir)?;
    let Some((m, others)) = ms.split_first() else {
        return Ok(FileSet::new());
    };
    let mut annotated = rust::annotate(m, others, RUST_API).ok_or_else(|| Error::Spec {
        at: Location::new(format!("{RUST_API}/protocol.json"), "$"),
        message: format!("the Rust layers serve API `{RUST_API}`, which the spec lacks"),
    })?;
    let api3 = rust::v3::annotate(&ms, RUST_API3);
    annotated.has_api3 = api3.is_some();
    let mut files = render::render(&annotated)?;
    if let Some(a3) = &api3 {
        files.extend(render::render_v3(a3)?);
    }
    for m in &ms {
        for api in &m.apis {
            if let Some(text) = conformance::boundaries_for(m, api)? {
                files.insert(conformance::boundaries_path(&api.id, &m.profile), text);
            }
        }
    }
    Ok(files)
}
