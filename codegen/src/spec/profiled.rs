//! Service-generation profiles: `profiles.json`, and values written once per profile
//! (`{"by_profile": {"tdmq": {"value": 30, "source": "…"}, "legacy": {…}}}`).

use std::collections::BTreeMap;

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::error::Location;
use crate::lint::Lints;

/// `profiles.json`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfilesFile {
    /// Editor hint; ignored.
    #[serde(rename = "$schema", default)]
    pub schema: Option<String>,
    /// What profiles are.
    pub doc: String,
    /// The profile runtimes use unless told otherwise.
    pub default: String,
    /// Every profile, in order.
    pub profiles: Vec<ProfileDef>,
}

impl ProfilesFile {
    /// The profile ids, the default first.
    pub fn ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = vec![self.default.clone()];
        ids.extend(
            self.profiles
                .iter()
                .map(|p| p.id.clone())
                .filter(|id| *id != self.default),
        );
        ids
    }
}

/// One profile.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileDef {
    /// Its id (`tdmq`).
    pub id: String,
    /// What service generation it is.
    pub doc: String,
    /// Where the facts about it come from.
    pub source: Option<String>,
    /// Public documentation pages.
    #[serde(default)]
    pub see: Vec<String>,
}

/// A value of the spec that may differ between profiles.
#[derive(Clone, Debug, PartialEq)]
pub enum Profiled<T> {
    /// The same for every profile.
    Single(T),
    /// One value per profile id, each with its source.
    PerProfile(BTreeMap<String, Sourced<T>>),
}

/// A profile's value and where it comes from.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sourced<T> {
    /// The value.
    pub value: T,
    /// Where it comes from.
    pub source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ByProfile<T> {
    by_profile: BTreeMap<String, Sourced<T>>,
}

impl<T> Profiled<T> {
    /// The value for `profile` (for a profile the value does not list, which the lints report,
    /// any listed value; `None` only for an empty list, which the loader refuses).
    pub fn at(&self, profile: &str) -> Option<&T> {
        match self {
            Profiled::Single(v) => Some(v),
            Profiled::PerProfile(m) => m
                .get(profile)
                .or_else(|| m.values().next())
                .map(|s| &s.value),
        }
    }

    /// True when written per profile.
    pub fn is_profiled(&self) -> bool {
        matches!(self, Profiled::PerProfile(_))
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Profiled<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        if v.get("by_profile").is_some() {
            let b: ByProfile<T> = serde_json::from_value(v).map_err(D::Error::custom)?;
            if b.by_profile.is_empty() {
                return Err(D::Error::custom("`by_profile` lists no profile"));
            }
            return Ok(Profiled::PerProfile(b.by_profile));
        }
        T::deserialize(v)
            .map(Profiled::Single)
            .map_err(D::Error::custom)
    }
}

/// Lints every `by_profile` object of a spec file: it lists exactly the profiles of
/// `profiles.json`.
pub fn check(file: &str, doc: &Value, profiles: &[String], l: &mut Lints) {
    walk(doc, &Location::new(file, "$"), profiles, l);
}

fn walk(v: &Value, at: &Location, profiles: &[String], l: &mut Lints) {
    match v {
        Value::Object(o) => {
            if let Some(Value::Object(by)) = o.get("by_profile") {
                let at = at.join("by_profile");
                for p in profiles.iter().filter(|p| !by.contains_key(*p)) {
                    l.push(at.clone(), format!("no value for profile `{p}`"));
                }
                for k in by.keys().filter(|k| !profiles.contains(k)) {
                    l.push(
                        at.join(k),
                        format!("unknown profile `{k}` (profiles: {})", profiles.join(", ")),
                    );
                }
            }
            for (k, x) in o {
                walk(x, &at.join(k), profiles, l);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                walk(x, &at.join(format!("[{i}]")), profiles, l);
            }
        }
        _ => {}
    }
}
