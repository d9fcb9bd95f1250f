//! The CMQ code generator: `spec/` → load → lint → computed model → tera → syn + prettyplease →
//! a deterministic set of files for `cmq-sdk/src/generated/` and `cmq-mock/src/generated/`.
//!
//! `cargo xtask codegen` writes the files; `cargo xtask codegen --check` compares them. See
//! `ARCHITECTURE.md` for where each kind of change belongs.

pub mod conformance;
pub mod error;
pub mod lint;
pub mod model;
pub mod render;
pub mod spec;
pub mod sync;

use std::path::Path;

pub use error::{Error, Finding, Location};
pub use render::{FileSet, GENERATED_DIRS};

/// Loads, lints and models the spec in `spec_dir`.
pub fn model(spec_dir: &Path) -> Result<model::Model, Error> {
    let spec = spec::load(spec_dir)?;
    model::build(&spec)
}

/// Generates every file from the spec in `spec_dir`: the Rust layers and the derived
/// conformance cases ([`conformance::BOUNDARIES_PATH`]).
pub fn generate(spec_dir: &Path) -> Result<FileSet, Error> {
    let m = model(spec_dir)?;
    let mut files = render::render(&m)?;
    files.insert(
        conformance::BOUNDARIES_PATH.to_owned(),
        conformance::boundaries(&m)?,
    );
    Ok(files)
}
