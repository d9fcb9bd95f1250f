//! The language-neutral model: the spec with every reference resolved, every override merged
//! and every default error filled in, as plain typed facts (ranges, lengths, patterns, rules,
//! the error of each violation kind, paging). Nothing here knows about Rust: the Rust annotation
//! pass ([`crate::rust`]) and the conformance corpus ([`crate::conformance`]) both read it.
//!
//! Building the model runs the reference, duplicate and value lints ([`crate::lint`]): every
//! finding is collected, each naming its file and JSON path.

mod actions;
mod errors;
mod facts;
mod params;
mod patterns;
mod shapes;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

pub use actions::{Action, Operand, Paging, Rule, StateRule};
pub use errors::{Code, Decision, ErrorDef, ProtocolError};
pub use facts::Fact;
pub use params::{DefaultBy, Param, RequiredIf};
pub use patterns::Pattern;
pub use shapes::{Field, Shape};

use crate::lint::Lints;
use crate::spec::{EnumCase, Spec, ViolationKind};

/// The whole model, for one profile.
#[derive(Clone, Debug, Serialize)]
pub struct Model {
    /// SHA-256 of the spec files.
    pub spec_hash: String,
    /// The profile this model holds the values of.
    pub profile: String,
    /// Every profile, the default first.
    pub profiles: Vec<Profile>,
    /// The API's protocol facts.
    pub api: Api,
    /// Top-level codes.
    pub codes: Vec<Code>,
    /// Errors, in spec order.
    pub errors: Vec<ErrorDef>,
    /// Protocol-level failures and their errors.
    pub protocol_errors: Vec<ProtocolError>,
    /// The default error of each violation kind.
    pub violation_errors: BTreeMap<ViolationKind, String>,
    /// Character patterns, by id.
    pub patterns: Vec<Pattern>,
    /// The shared parameters of `attributes.json`, by id (not required anywhere by themselves).
    pub shared_params: Vec<Param>,
    /// Shapes (JSON objects), by id.
    pub shapes: Vec<Shape>,
    /// Actions, by name.
    pub actions: Vec<Action>,
    /// Recorded decisions.
    pub decisions: Vec<Decision>,
    /// Facts of the service (quotas, limits, timings, the push protocol), by id.
    pub facts: Vec<Fact>,
}

/// A generation of the service.
#[derive(Clone, Debug, Serialize)]
pub struct Profile {
    /// Its id (`tdmq`).
    pub id: String,
    /// What it is.
    pub doc: String,
    /// Public documentation pages.
    pub see: Vec<String>,
}

/// Protocol facts of the API.
#[derive(Clone, Debug, Serialize)]
pub struct Api {
    /// The API's name.
    pub name: String,
    /// What it is.
    pub doc: String,
    /// Public documentation pages.
    pub see: Vec<String>,
    /// The request path.
    pub path: String,
    /// Largest request, in bytes.
    pub max_request_bytes: u64,
    /// The longest GET URL an SDK sends.
    pub max_get_url_chars: u64,
    /// Timestamp skew, in seconds.
    pub timestamp_skew_seconds: u64,
    /// Accepted first list indices.
    pub list_bases: Vec<u32>,
    /// First list index the SDK sends.
    pub sdk_list_base: u32,
    /// How enum values compare on the wire.
    pub enum_case: EnumCase,
}

impl Model {
    /// The error with id `id`.
    pub fn error(&self, id: &str) -> Option<&ErrorDef> {
        self.errors.iter().find(|e| e.id == id)
    }

    /// The pattern with id `id`.
    pub fn pattern(&self, id: &str) -> Option<&Pattern> {
        self.patterns.iter().find(|p| p.id == id)
    }

    /// The shape with id `id`.
    pub fn shape(&self, id: &str) -> Option<&Shape> {
        self.shapes.iter().find(|s| s.id == id)
    }

    /// The fact with id `id`.
    pub fn fact(&self, id: &str) -> Option<&Fact> {
        self.facts.iter().find(|f| f.id == id)
    }

    /// The members of the shape of `json` parameter `p` (empty for other parameters).
    pub fn members(&self, p: &Param) -> &[Param] {
        p.shape
            .as_deref()
            .and_then(|s| self.shape(s))
            .map_or(&[], |s| s.members.as_slice())
    }
}

/// What every pass of the model builder reads: the spec and the sets references resolve in.
pub(crate) struct Ctx<'s> {
    pub spec: &'s Spec,
    /// The profile whose values are read.
    pub profile: &'s str,
    /// Every error id.
    pub error_ids: BTreeSet<String>,
    /// The default error of each violation kind.
    pub defaults: BTreeMap<ViolationKind, String>,
    /// Shapes used by `json` parameters (their members are validated).
    pub validated: BTreeSet<String>,
}

impl Ctx<'_> {
    /// Lints an error id.
    pub fn check_error_id(&self, id: &str, at: crate::error::Location, l: &mut Lints) {
        if !self.error_ids.contains(id) {
            l.push(at, format!("unknown error id `{id}`"));
        }
    }
}

/// Builds the model of `profile`, pushing every finding into `l`. The model is complete only
/// when `l` stays empty; callers must not use it otherwise.
pub fn build(spec: &Spec, profile: &str, l: &mut Lints) -> Model {
    let ctx = Ctx {
        spec,
        profile,
        error_ids: spec.errors.errors.iter().map(|e| e.id.clone()).collect(),
        defaults: errors::violation_defaults(spec, l),
        validated: shapes::validated(spec),
    };
    errors::check_violation_errors(&ctx, l);
    let shared_params = params::shared(&ctx, l);
    Model {
        spec_hash: spec.hash.clone(),
        profile: profile.to_owned(),
        profiles: profiles(spec, l),
        api: api(spec, l),
        codes: errors::codes(spec, l),
        errors: errors::errors(spec, l),
        protocol_errors: errors::protocol_errors(&ctx, l),
        violation_errors: ctx.defaults.clone(),
        patterns: patterns::build(spec, profile, l),
        shared_params,
        shapes: shapes::build(&ctx, l),
        actions: actions::build(&ctx, l),
        decisions: errors::decisions(spec),
        facts: facts::build(spec, profile, l),
    }
}

/// Lints what may not differ between the profiles' models: paging.
pub fn check_profiles(models: &[Model], l: &mut Lints) {
    let Some((first, rest)) = models.split_first() else {
        return;
    };
    for m in rest {
        for (a, b) in first.actions.iter().zip(&m.actions) {
            let same = serde_json::to_value(&a.paging).ok() == serde_json::to_value(&b.paging).ok();
            if !same {
                l.push(
                    a.at.join("paginated"),
                    format!(
                        "paging differs on profile `{}`; it must hold for every profile",
                        m.profile
                    ),
                );
            }
        }
    }
}

/// The profiles (default first), and the profile lints: known ids, every `by_profile` value
/// complete.
fn profiles(spec: &Spec, l: &mut Lints) -> Vec<Profile> {
    let at = crate::error::Location::new("profiles.json", "$");
    let ids = spec.profiles.ids();
    if !spec
        .profiles
        .profiles
        .iter()
        .any(|p| p.id == spec.profiles.default)
    {
        l.push(
            at.join("default"),
            format!("`{}` is not a listed profile", spec.profiles.default),
        );
    }
    for (file, doc) in &spec.documents {
        crate::spec::profiled::check(file, doc, &ids, l);
    }
    let mut out: Vec<Profile> = Vec::new();
    for (i, p) in spec.profiles.profiles.iter().enumerate() {
        let pat = at.join("profiles").join(format!("[{i}]"));
        crate::lint::check_doc(&p.doc, &pat.join("doc"), l);
        crate::lint::check_see(&p.see, &pat.join("see"), l);
        if out.iter().any(|o| o.id == p.id) {
            l.push(pat.join("id"), format!("duplicate profile `{}`", p.id));
        }
        out.push(Profile {
            id: p.id.clone(),
            doc: p.doc.clone(),
            see: p.see.clone(),
        });
    }
    out.sort_by_key(|p| p.id != spec.profiles.default);
    out
}

fn api(spec: &Spec, l: &mut Lints) -> Api {
    let p = &spec.protocol;
    let at = crate::error::Location::new("protocol.json", "$");
    crate::lint::check_doc(&p.doc, &at.join("doc"), l);
    crate::lint::check_see(&p.see, &at.join("see"), l);
    Api {
        name: p.name.clone(),
        doc: p.doc.clone(),
        see: p.see.clone(),
        path: p.path.clone(),
        max_request_bytes: p.max_request_bytes,
        max_get_url_chars: p.max_get_url_chars,
        timestamp_skew_seconds: p.timestamp_skew_seconds,
        list_bases: p.list_encoding.bases.clone(),
        sdk_list_base: p.list_encoding.sdk_base,
        enum_case: p.enum_case,
    }
}
