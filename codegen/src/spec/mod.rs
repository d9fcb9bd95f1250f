//! The spec as written: serde types for the files under `spec/` (format in `spec/README.md`),
//! and the loader that reads them, naming file and JSON path on any error.

mod action;
pub mod profiled;
mod protocol;
mod service;
mod types;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

pub use action::{
    Action, Attributes, DefaultBy, ErrorOverrides, Field, Limits, OrderRule, Paginated, Param,
    ParamUse, RequiredIf, RequiresRule, Rule, SettledByRetry, Shape, StateRule,
};
pub use profiled::{ProfileDef, Profiled, ProfilesFile, Sourced};
pub use protocol::{
    Code, CommonParam, Decision, Envelope, ErrorEntry, ErrorsFile, ListEncoding, Pattern, Protocol,
    SignatureMethod, Tc3ByCode, Tc3ById, Tc3Code, Tc3DataPlaneHosts, Tc3Envelope, Tc3ErrorEntry,
    Tc3ErrorsFile, Tc3Header, Tc3Hosts, Tc3Mapping, Tc3Protocol, Tc3Regions, Tc3ShortCode,
    Tc3ShortCodes,
};
pub use service::{Fact, ServiceFile};
pub use types::{
    EnumCase, FactType, FactValue, FieldType, Group, LenUnit, ParamType, Scalar, Style, Unit,
    ViolationKind,
};

use crate::error::{Error, Location};

/// Everything under `spec/`, as read.
#[derive(Clone, Debug)]
pub struct Spec {
    /// The directory it was read from.
    pub dir: PathBuf,
    /// `profiles.json`.
    pub profiles: ProfilesFile,
    /// `service.json`.
    pub service: ServiceFile,
    /// Each API (protocol) of the service, by directory name (`v2`).
    pub apis: Vec<ApiSpec>,
    /// The SHA-256 of every file read, in path order (hex).
    pub hash: String,
    /// Every file as a JSON document (for lints that walk the text, like the profile lint).
    pub documents: Vec<(String, serde_json::Value)>,
}

/// One API (protocol) of the service: a directory of `spec/` such as `v2/`.
#[derive(Clone, Debug)]
pub struct ApiSpec {
    /// Its directory's name (`v2`); spec locations of its files start with it.
    pub id: String,
    /// `<id>/protocol.json` and `<id>/errors.json`, by the API's style.
    pub files: StyleFiles,
    /// `<id>/attributes.json`.
    pub attributes: Attributes,
    /// `<id>/actions/*.json`, keyed by file stem, in name order.
    pub actions: BTreeMap<String, Action>,
}

/// The protocol and error files of an API, which differ by style (`protocol.json` → `style`).
#[derive(Clone, Debug)]
pub enum StyleFiles {
    /// CMQ HTTP API 2.0.
    Cmq(Box<(Protocol, ErrorsFile)>),
    /// Tencent Cloud API 3.0.
    Tc3(Box<(Tc3Protocol, Tc3ErrorsFile)>),
}

impl ApiSpec {
    /// The location of `path` in file `file` of this API (`v2/protocol.json`).
    pub fn at(&self, file: &str, path: impl Into<String>) -> Location {
        Location::new(format!("{}/{file}", self.id), path)
    }

    /// How the API travels.
    pub fn style(&self) -> Style {
        match &self.files {
            StyleFiles::Cmq(_) => Style::Cmq,
            StyleFiles::Tc3(_) => Style::Tc3,
        }
    }

    /// The API 2.0 protocol and errors, for a `cmq` API.
    pub fn cmq(&self) -> Option<(&Protocol, &ErrorsFile)> {
        match &self.files {
            StyleFiles::Cmq(b) => Some((&b.0, &b.1)),
            StyleFiles::Tc3(_) => None,
        }
    }

    /// The API 3.0 protocol and errors, for a `tc3` API.
    pub fn tc3(&self) -> Option<(&Tc3Protocol, &Tc3ErrorsFile)> {
        match &self.files {
            StyleFiles::Tc3(b) => Some((&b.0, &b.1)),
            StyleFiles::Cmq(_) => None,
        }
    }

    /// Character patterns by id.
    pub fn patterns(&self) -> &BTreeMap<String, Pattern> {
        match &self.files {
            StyleFiles::Cmq(b) => &b.0.patterns,
            StyleFiles::Tc3(b) => &b.0.patterns,
        }
    }

    /// The default error of each violation kind.
    pub fn violation_errors(&self) -> &BTreeMap<ViolationKind, String> {
        match &self.files {
            StyleFiles::Cmq(b) => &b.0.violation_errors,
            StyleFiles::Tc3(b) => &b.0.violation_errors,
        }
    }

    /// The error of each protocol-level failure.
    pub fn protocol_errors(&self) -> &BTreeMap<String, String> {
        match &self.files {
            StyleFiles::Cmq(b) => &b.0.protocol_errors,
            StyleFiles::Tc3(b) => &b.0.protocol_errors,
        }
    }

    /// Recorded verdicts.
    pub fn decisions(&self) -> &[Decision] {
        match &self.files {
            StyleFiles::Cmq(b) => &b.0.decisions,
            StyleFiles::Tc3(b) => &b.0.decisions,
        }
    }

    /// Every error id of `errors.json`, in file order.
    pub fn error_ids(&self) -> Vec<&str> {
        match &self.files {
            StyleFiles::Cmq(b) => b.1.errors.iter().map(|e| e.id.as_str()).collect(),
            StyleFiles::Tc3(b) => b.1.errors.iter().map(|e| e.id.as_str()).collect(),
        }
    }
}

fn read_json<T: serde::de::DeserializeOwned>(
    path: &Path,
    hasher: &mut Vec<(String, Vec<u8>)>,
    rel: &str,
) -> Result<T, Error> {
    let bytes = fs::read(path).map_err(|e| Error::Io {
        path: path.display().to_string(),
        source: e,
    })?;
    let mut de = serde_json::Deserializer::from_slice(&bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let json_path = e.path().to_string();
        let inner = e.into_inner();
        Error::Spec {
            at: Location::new(rel, format_path(&json_path)),
            message: format!("{inner}"),
        }
    })?;
    hasher.push((rel.to_owned(), bytes));
    Ok(value)
}

/// Every file read, as a JSON document (the typed read has already accepted them).
fn documents(files: &[(String, Vec<u8>)]) -> Vec<(String, serde_json::Value)> {
    files
        .iter()
        .filter_map(|(rel, bytes)| Some((rel.clone(), serde_json::from_slice(bytes).ok()?)))
        .collect()
}

fn format_path(p: &str) -> String {
    if p == "." || p.is_empty() {
        "$".to_owned()
    } else {
        format!("$.{p}")
    }
}

/// Reads every spec file under `dir`: `profiles.json`, `service.json`, and each API directory
/// (`v2/`: `protocol.json`, `errors.json`, `attributes.json`, `actions/*.json`).
pub fn load(dir: &Path) -> Result<Spec, Error> {
    let mut files = Vec::new();
    let profiles = read_json(&dir.join("profiles.json"), &mut files, "profiles.json")?;
    let service = read_json(&dir.join("service.json"), &mut files, "service.json")?;
    let mut apis = Vec::new();
    for id in api_dirs(dir)? {
        apis.push(load_api(dir, &id, &mut files)?);
    }
    if apis.is_empty() {
        return Err(Error::Spec {
            at: Location::new("v2/protocol.json", "$"),
            message: "no API: expected a directory such as spec/v2/ holding protocol.json".into(),
        });
    }
    Ok(Spec {
        dir: dir.to_path_buf(),
        profiles,
        service,
        apis,
        hash: hash_files(&files),
        documents: documents(&files),
    })
}

/// The API directories under `dir` (those holding a `protocol.json`), by name.
fn api_dirs(dir: &Path) -> Result<Vec<String>, Error> {
    let entries = fs::read_dir(dir).map_err(|e| Error::Io {
        path: dir.display().to_string(),
        source: e,
    })?;
    let mut ids: Vec<String> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("protocol.json").is_file())
        .filter_map(|p| p.file_name().and_then(|n| n.to_str()).map(str::to_owned))
        .collect();
    ids.sort();
    Ok(ids)
}

/// Reads one API directory `dir/id`.
fn load_api(dir: &Path, id: &str, files: &mut Vec<(String, Vec<u8>)>) -> Result<ApiSpec, Error> {
    let base = dir.join(id);
    let rel = |f: &str| format!("{id}/{f}");
    let style = style_of(&base.join("protocol.json"), &rel("protocol.json"))?;
    let style_files = match style {
        Style::Cmq => StyleFiles::Cmq(Box::new((
            read_json(&base.join("protocol.json"), files, &rel("protocol.json"))?,
            read_json(&base.join("errors.json"), files, &rel("errors.json"))?,
        ))),
        Style::Tc3 => StyleFiles::Tc3(Box::new((
            read_json(&base.join("protocol.json"), files, &rel("protocol.json"))?,
            read_json(&base.join("errors.json"), files, &rel("errors.json"))?,
        ))),
    };
    let attributes = read_json(
        &base.join("attributes.json"),
        files,
        &rel("attributes.json"),
    )?;
    let actions_dir = base.join("actions");
    let entries = fs::read_dir(&actions_dir).map_err(|e| Error::Io {
        path: actions_dir.display().to_string(),
        source: e,
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    let mut actions = BTreeMap::new();
    for p in paths {
        let stem = p
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_owned();
        let action: Action = read_json(&p, files, &rel(&format!("actions/{stem}.json")))?;
        actions.insert(stem, action);
    }
    Ok(ApiSpec {
        id: id.to_owned(),
        files: style_files,
        attributes,
        actions,
    })
}

/// The `style` of a `protocol.json` (`cmq` when absent).
fn style_of(path: &Path, rel: &str) -> Result<Style, Error> {
    let bytes = fs::read(path).map_err(|e| Error::Io {
        path: path.display().to_string(),
        source: e,
    })?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| Error::Spec {
        at: Location::new(rel, "$"),
        message: e.to_string(),
    })?;
    match v.get("style") {
        None => Ok(Style::Cmq),
        Some(s) => serde_json::from_value(s.clone()).map_err(|e| Error::Spec {
            at: Location::new(rel, "$.style"),
            message: e.to_string(),
        }),
    }
}

fn hash_files(files: &[(String, Vec<u8>)]) -> String {
    use sha2::{Digest, Sha256};
    let mut sorted: Vec<&(String, Vec<u8>)> = files.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut h = Sha256::new();
    for (name, bytes) in sorted {
        h.update(name.as_bytes());
        h.update([0u8]);
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(text: &str) -> Result<Rule, String> {
        let mut de = serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize(&mut de).map_err(|e| format!("{}: {e}", e.path()))
    }

    #[test]
    fn rules_are_typed_by_kind() {
        let r = rule(r#"{"kind": "lt", "left": "a", "right": "b", "error": "E"}"#).expect("lt");
        assert!(matches!(r, Rule::Lt(ref o) if o.left == "a" && o.right == "b"));
        assert_eq!(r.error(), "E");
        let r = rule(r#"{"kind": "requires", "if": "a", "then": "b", "error": "E"}"#)
            .expect("requires");
        assert!(matches!(r, Rule::Requires(ref q) if q.if_ == "a"));
        let bad =
            rule(r#"{"kind": "gt", "left": "a", "right": "b", "error": "E"}"#).expect_err("gt");
        assert!(bad.contains("unknown variant `gt`"), "{bad}");
        let bad = rule(r#"{"kind": "le", "left": "a", "right": "b", "error": "E", "rigth": 1}"#)
            .expect_err("typo");
        assert!(bad.contains("unknown field `rigth`"), "{bad}");
        let bad = rule(r#"{"kind": "state", "error": "E"}"#).expect_err("doc");
        assert!(bad.contains("missing field `doc`"), "{bad}");
    }
}
