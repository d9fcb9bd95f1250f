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
mod links;
mod params;
mod patterns;
mod profiles;
mod shapes;
pub mod tc3;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

pub use actions::{Action, Operand, Paging, Rule, StateRule};
pub use errors::{Code, Decision, ErrorCode, ErrorDef, ProtocolError};
pub use facts::Fact;
pub use links::Link;
pub use params::{DefaultBy, Param, RequiredIf};
pub use patterns::Pattern;
pub use shapes::{Field, Shape};
pub use tc3::Tc3;

use crate::lint::Lints;
use crate::spec::{ApiSpec, EnumCase, Spec, Style, ViolationKind};

/// The whole model, for one profile: the service's profiles and facts, and each API
/// (protocol) with everything it owns.
#[derive(Clone, Debug, Serialize)]
pub struct Model {
    /// SHA-256 of the spec files.
    pub spec_hash: String,
    /// The profile this model holds the values of.
    pub profile: String,
    /// Every profile, the default first.
    pub profiles: Vec<Profile>,
    /// Facts of the service (quotas, limits, timings, the push protocol), by id.
    pub facts: Vec<Fact>,
    /// The APIs (protocols) of the service, by id (`v2`).
    pub apis: Vec<Api>,
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

/// One API (protocol) of the service: its protocol facts and everything it owns — codes,
/// errors, patterns, parameters, shapes, actions, decisions.
#[derive(Clone, Debug, Serialize)]
pub struct Api {
    /// Its id, the spec directory's name (`v2`).
    pub id: String,
    /// How it travels.
    #[serde(skip_serializing_if = "is_cmq")]
    pub style: Style,
    /// Protocol facts.
    pub protocol: Protocol,
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
    /// The facts only Tencent Cloud API 3.0 has (style `tc3`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tc3: Option<Tc3>,
}

fn is_cmq(s: &Style) -> bool {
    *s == Style::Cmq
}

/// Protocol facts of an API.
#[derive(Clone, Debug, Serialize)]
pub struct Protocol {
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
    /// The longest GET URL an SDK sends (API 3.0: the largest GET request, in bytes).
    pub max_get_url_chars: u64,
    /// Timestamp skew, in seconds.
    pub timestamp_skew_seconds: u64,
    /// Accepted first list indices (API 3.0: of lists flattened into GET parameters).
    pub list_bases: Vec<u32>,
    /// First list index the SDK sends (API 3.0: in flattened names such as `Tags.0.TagKey`).
    pub sdk_list_base: u32,
    /// How enum values compare on the wire.
    pub enum_case: EnumCase,
}

impl Model {
    /// The API with id `id`.
    pub fn api(&self, id: &str) -> Option<&Api> {
        self.apis.iter().find(|a| a.id == id)
    }

    /// The fact with id `id`.
    pub fn fact(&self, id: &str) -> Option<&Fact> {
        self.facts.iter().find(|f| f.id == id)
    }
}

impl Api {
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
    /// The API being built.
    pub api: &'s ApiSpec,
    /// Its style.
    pub style: Style,
    /// The profile whose values are read.
    pub profile: &'s str,
    /// Every error id.
    pub error_ids: BTreeSet<String>,
    /// The default error of each violation kind.
    pub defaults: BTreeMap<ViolationKind, String>,
    /// Shapes used by parameters (their members are validated).
    pub validated: BTreeSet<String>,
    /// The APIs built before this one (links resolve in them).
    pub linked: &'s [Api],
    /// Patterns a linked parameter brings from its API, by id.
    pub imported: RefCell<BTreeMap<String, Pattern>>,
}

impl Ctx<'_> {
    /// Lints an error id.
    pub fn check_error_id(&self, id: &str, at: crate::error::Location, l: &mut Lints) {
        if !self.error_ids.contains(id) {
            l.push(at, format!("unknown error id `{id}`"));
        }
    }

    /// Makes pattern `id` available to this API: its own, or the first linked API's.
    pub fn import_pattern(&self, id: &str) {
        if self.api.patterns().contains_key(id) || self.imported.borrow().contains_key(id) {
            return;
        }
        if let Some(p) = self.linked.iter().find_map(|a| a.pattern(id)) {
            self.imported.borrow_mut().insert(id.to_owned(), p.clone());
        }
    }
}

/// Builds the model of `profile`, pushing every finding into `l`. The model is complete only
/// when `l` stays empty; callers must not use it otherwise.
pub fn build(spec: &Spec, profile: &str, l: &mut Lints) -> Model {
    Model {
        spec_hash: spec.hash.clone(),
        profile: profile.to_owned(),
        profiles: profiles::build(spec, l),
        facts: facts::build(spec, profile, l),
        apis: build_apis(spec, profile, l),
    }
}

/// Every API, in directory order; links resolve in the APIs built before.
fn build_apis(spec: &Spec, profile: &str, l: &mut Lints) -> Vec<Api> {
    let mut built: Vec<Api> = Vec::new();
    for a in &spec.apis {
        let api = build_api(a, profile, &built, l);
        built.push(api);
    }
    built
}

fn build_api(api: &ApiSpec, profile: &str, linked: &[Api], l: &mut Lints) -> Api {
    let ctx = Ctx {
        api,
        style: api.style(),
        profile,
        error_ids: api.error_ids().into_iter().map(str::to_owned).collect(),
        defaults: errors::violation_defaults(api, l),
        validated: shapes::validated(api),
        linked,
        imported: RefCell::new(BTreeMap::new()),
    };
    errors::check_violation_errors(&ctx, l);
    let shared_params = params::shared(&ctx, l);
    let shapes = shapes::build(&ctx, l);
    let actions = actions::build(&ctx, l);
    let mut patterns = patterns::build(api, profile, l);
    patterns.extend(ctx.imported.borrow().values().cloned());
    let mut built = Api {
        id: api.id.clone(),
        style: ctx.style,
        protocol: protocol(api, l),
        codes: errors::codes(api, l),
        errors: errors::errors(api, l),
        protocol_errors: errors::protocol_errors(&ctx, l),
        violation_errors: ctx.defaults.clone(),
        patterns,
        shared_params,
        shapes,
        actions,
        decisions: errors::decisions(api),
        tc3: tc3::build(api, profile, l),
    };
    tc3::resolve_mapping(api, &mut built, linked, l);
    built
}

/// Lints what may not differ between the profiles' models: paging.
pub fn check_profiles(models: &[Model], l: &mut Lints) {
    let Some((first, rest)) = models.split_first() else {
        return;
    };
    for m in rest {
        let pairs = first.apis.iter().zip(&m.apis);
        for (a, b) in pairs.flat_map(|(x, y)| x.actions.iter().zip(&y.actions)) {
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

fn protocol(api: &ApiSpec, l: &mut Lints) -> Protocol {
    let at = api.at("protocol.json", "$");
    let p = match (api.cmq(), api.tc3()) {
        (Some((p, _)), _) => Protocol {
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
        },
        (_, Some((p, _))) => Protocol {
            name: p.name.clone(),
            doc: p.doc.clone(),
            see: p.see.clone(),
            path: p.path.clone(),
            max_request_bytes: p.max_request_bytes,
            max_get_url_chars: p.max_get_request_bytes,
            timestamp_skew_seconds: p.timestamp_skew_seconds,
            list_bases: vec![0],
            sdk_list_base: 0,
            enum_case: p.enum_case,
        },
        _ => unreachable_protocol(),
    };
    crate::lint::check_doc(&p.doc, &at.join("doc"), l);
    crate::lint::check_see(&p.see, &at.join("see"), l);
    p
}

/// An API is one style or the other; this keeps the match total without a panic.
fn unreachable_protocol() -> Protocol {
    Protocol {
        name: String::new(),
        doc: String::new(),
        see: Vec::new(),
        path: String::new(),
        max_request_bytes: 0,
        max_get_url_chars: 0,
        timestamp_skew_seconds: 0,
        list_bases: Vec::new(),
        sdk_list_base: 0,
        enum_case: EnumCase::Exact,
    }
}
