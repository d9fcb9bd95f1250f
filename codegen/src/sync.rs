//! Comparing a generated [`FileSet`] with the files on disk, and writing it.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::render::{FileSet, GENERATED_DIRS};

/// How the tree on disk differs from what the spec generates.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Drift {
    /// Files whose contents differ.
    pub stale: Vec<String>,
    /// Files that should exist but do not.
    pub missing: Vec<String>,
    /// Files inside a generated folder that the spec does not generate.
    pub orphaned: Vec<String>,
}

impl Drift {
    /// True when the tree is up to date.
    pub fn is_clean(&self) -> bool {
        self.stale.is_empty() && self.missing.is_empty() && self.orphaned.is_empty()
    }

    /// A report listing every file and the command that fixes them.
    pub fn report(&self) -> String {
        let mut s = String::new();
        for (label, list) in [
            ("stale", &self.stale),
            ("missing", &self.missing),
            ("orphaned", &self.orphaned),
        ] {
            for f in list {
                s.push_str(&format!("  {label}: {f}\n"));
            }
        }
        s.push_str("run `cargo xtask codegen` to update the generated files");
        s
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    for e in fs::read_dir(dir)? {
        let p = e?.path();
        if p.is_dir() {
            walk(&p, out)?;
        } else {
            out.push(p);
        }
    }
    Ok(())
}

fn rel(root: &Path, p: &Path) -> String {
    p.strip_prefix(root)
        .unwrap_or(p)
        .to_string_lossy()
        .replace('\\', "/")
}

/// Compares `files` with the tree under `root`.
pub fn diff(root: &Path, files: &FileSet) -> std::io::Result<Drift> {
    let mut d = Drift::default();
    for (path, want) in files {
        match fs::read_to_string(root.join(path)) {
            Ok(have) if &have == want => {}
            Ok(_) => d.stale.push(path.clone()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => d.missing.push(path.clone()),
            Err(e) => return Err(e),
        }
    }
    for dir in GENERATED_DIRS {
        let mut found = Vec::new();
        walk(&root.join(dir), &mut found)?;
        for p in found {
            let r = rel(root, &p);
            if !files.contains_key(&r) {
                d.orphaned.push(r);
            }
        }
    }
    d.orphaned.sort();
    Ok(d)
}

/// Writes every stale or missing file (atomically: a temporary file renamed into place) and
/// deletes orphans inside the generated folders. Returns what it changed.
pub fn write(root: &Path, files: &FileSet) -> std::io::Result<Drift> {
    let d = diff(root, files)?;
    for path in d.stale.iter().chain(d.missing.iter()) {
        let target = root.join(path);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent)?;
        }
        let tmp = target.with_extension("rs.tmp");
        {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(files[path].as_bytes())?;
            f.sync_all()?;
        }
        fs::rename(&tmp, &target)?;
    }
    for path in &d.orphaned {
        fs::remove_file(root.join(path))?;
    }
    Ok(d)
}
