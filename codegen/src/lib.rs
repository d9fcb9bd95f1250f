//! The CMQ code generator, in passes:
//!
//! 1. **load** ([`spec`]): the files under `spec/` as typed serde structs (file + JSON path on
//!    any error);
//! 2. **model** ([`model`]): the language-neutral model — references resolved, overrides
//!    merged, facts computed — with the value and reference lints ([`lint`]);
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

/// Loads and lints the spec in `spec_dir` and builds its neutral model.
pub fn model(spec_dir: &Path) -> Result<model::Model, Error> {
    let spec = spec::load(spec_dir)?;
    let mut lints = lint::Lints::default();
    let model = model::build(&spec, &mut lints);
    rust::names::check(&model, &mut lints);
    lints.finish()?;
    Ok(model)
}

/// Generates every file from the spec in `spec_dir`: the Rust layers and the derived
/// conformance cases ([`conformance::BOUNDARIES_PATH`]).
pub fn generate(spec_dir: &Path) -> Result<FileSet, Error> {
    let m = model(spec_dir)?;
    let mut files = render::render(&rust::annotate(&m))?;
    files.insert(
        conformance::BOUNDARIES_PATH.to_owned(),
        conformance::boundaries(&m)?,
    );
    Ok(files)
}
