//! Errors the generator reports: each names the spec file and the JSON path it concerns.

use std::fmt;

/// Where in the spec a problem is: a file under `spec/` and a JSON path inside it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    /// The file, relative to `spec/` (e.g. `actions/SendMessage.json`).
    pub file: String,
    /// The JSON path (e.g. `$.params[2].max`).
    pub path: String,
}

impl Location {
    /// A location in `file` at `path`.
    pub fn new(file: impl Into<String>, path: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            path: path.into(),
        }
    }

    /// A location one step deeper: a member (`.name`) or an index (`[3]`) appended.
    pub fn join(&self, step: impl fmt::Display) -> Self {
        let step = step.to_string();
        let sep = if step.starts_with('[') { "" } else { "." };
        Self {
            file: self.file.clone(),
            path: format!("{}{sep}{step}", self.path),
        }
    }
}

impl Location {
    /// The index of the last list step of the path (`$.params[3]` → 3).
    pub fn index(&self) -> Option<usize> {
        let (_, tail) = self.path.rsplit_once('[')?;
        tail.strip_suffix(']')?.parse().ok()
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "spec/{}: {}", self.file, self.path)
    }
}

/// One lint finding.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Finding {
    /// Where.
    pub at: Location,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.at, self.message)
    }
}

/// Why generation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A file is not valid JSON or does not fit the format.
    #[error("{at}: {message}")]
    Spec {
        /// Where.
        at: Location,
        /// What.
        message: String,
    },
    /// The spec breaks lints (every finding listed).
    #[error("the spec has {} problem(s):\n{}", .0.len(), .0.iter().map(|f| format!("  {f}")).collect::<Vec<_>>().join("\n"))]
    Lint(Vec<Finding>),
    /// A template failed to render or rendered invalid Rust (a generator bug).
    #[error("rendering {file}: {message}")]
    Render {
        /// The output file.
        file: String,
        /// What went wrong.
        message: String,
    },
}
