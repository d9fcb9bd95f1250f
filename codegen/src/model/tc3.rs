//! The facts only an API of style `tc3` (Tencent Cloud API 3.0) has: product, version, hosts,
//! regions, headers, envelope keys, string codes, and the mapping from the shared engine's
//! (API 2.0) errors to this API's errors.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Action, Api};
use crate::error::Location;
use crate::lint::{self, Lints};
use crate::spec::{ApiSpec, Tc3ErrorsFile, Tc3Protocol};

/// API 3.0 facts.
#[derive(Clone, Debug, Serialize)]
pub struct Tc3 {
    /// The product, the credential scope's service (`tdmq`).
    pub product: String,
    /// The API version (`2020-02-17`).
    pub version: String,
    /// The content type of a POST body.
    pub content_type: String,
    /// The largest GET request.
    pub max_get_request_bytes: u64,
    /// Whether the API exists on this model's profile.
    pub available: bool,
    /// The public host.
    pub host: String,
    /// The regional host (`{region}` stands for the region).
    pub regional_host: String,
    /// The international host.
    pub international_host: String,
    /// The regions where the API exists.
    pub regions: Vec<String>,
    /// CMQ's short region codes and their API 3.0 names.
    pub short_region_codes: Vec<(String, String)>,
    /// TDMQ public data-plane host prefix and suffix.
    pub tdmq_public_host: (String, String),
    /// TDMQ VPC data-plane host suffix.
    pub tdmq_vpc_suffix: String,
    /// Legacy CMQ host suffixes (no API 3.0 face).
    pub legacy_suffixes: Vec<String>,
    /// Signature methods: name, default, doc.
    pub signature_methods: Vec<(String, bool, String)>,
    /// Headers: name, required, signed, doc.
    pub headers: Vec<Header>,
    /// Envelope keys: response, error, code, message, request id.
    pub envelope: [String; 5],
    /// Every code with its meaning.
    pub codes: Vec<Tc3CodeDef>,
    /// From the shared engine's (API 2.0) errors.
    pub from_v2: FromV2,
}

/// A request header.
#[derive(Clone, Debug, Serialize)]
pub struct Header {
    /// Its name.
    pub name: String,
    /// Whether every request carries it.
    pub required: bool,
    /// Whether the SDKs sign it.
    pub signed: bool,
    /// What it carries.
    pub doc: String,
}

/// An API 3.0 code.
#[derive(Clone, Debug, Serialize)]
pub struct Tc3CodeDef {
    /// The code.
    pub code: String,
    /// Shared by every API 3.0 product.
    pub common: bool,
    /// What it means.
    pub doc: String,
}

/// The mapping from API 2.0 errors (by id, else by code) to errors of this API.
#[derive(Clone, Debug, Default, Serialize)]
pub struct FromV2 {
    /// The API whose errors are mapped (`v2`).
    pub api: String,
    /// API 2.0 code → error id.
    pub by_code: Vec<(i64, String)>,
    /// API 2.0 error id → error id, with per-action exceptions.
    pub by_id: Vec<ById>,
    /// Every API 2.0 error id with the error it becomes (the resolved table, in API 2.0 order).
    pub resolved: Vec<(String, String)>,
}

/// One mapping by id.
#[derive(Clone, Debug, Serialize)]
pub struct ById {
    /// The API 2.0 error id.
    pub v2: String,
    /// The error of this API.
    pub error: String,
    /// Action → error, where it differs.
    pub actions: Vec<(String, String)>,
}

/// The API the mapping names: the shared engine's errors are API 2.0's.
pub const MAPPED_API: &str = "v2";

/// Builds the API 3.0 facts of `api` for `profile`, linting docs; the mapping is resolved
/// later ([`resolve_mapping`]) when the actions and the other APIs are known.
pub(super) fn build(api: &ApiSpec, profile: &str, l: &mut Lints) -> Option<Tc3> {
    let (p, e) = api.tc3()?;
    let at = api.at("protocol.json", "$");
    for (i, h) in p.headers.iter().enumerate() {
        lint::check_doc(
            &h.doc,
            &at.join("headers").join(format!("[{i}]")).join("doc"),
            l,
        );
    }
    for (i, c) in e.codes.iter().enumerate() {
        lint::check_doc(
            &c.doc,
            &api.at("errors.json", format!("$.codes[{i}].doc")),
            l,
        );
    }
    check_codes(api, e, l);
    Some(facts(p, e, profile))
}

fn facts(p: &Tc3Protocol, e: &Tc3ErrorsFile, profile: &str) -> Tc3 {
    let d = &p.data_plane_hosts;
    Tc3 {
        product: p.product.clone(),
        version: p.version.clone(),
        content_type: p.content_type.clone(),
        max_get_request_bytes: p.max_get_request_bytes,
        available: p.available.at(profile).copied().unwrap_or(false),
        host: p.hosts.default.clone(),
        regional_host: p.hosts.regional.clone(),
        international_host: p.hosts.international.clone(),
        regions: p.regions.names.clone(),
        short_region_codes: (p.short_region_codes.codes.iter())
            .map(|c| (c.short.clone(), c.region.clone()))
            .collect(),
        tdmq_public_host: (d.tdmq_public_prefix.clone(), d.tdmq_public_suffix.clone()),
        tdmq_vpc_suffix: d.tdmq_vpc_suffix.clone(),
        legacy_suffixes: d.legacy_suffixes.clone(),
        signature_methods: (p.signature_methods.iter())
            .map(|m| (m.name.clone(), m.default, m.doc.clone()))
            .collect(),
        headers: (p.headers.iter())
            .map(|h| Header {
                name: h.name.clone(),
                required: h.required,
                signed: h.signed,
                doc: h.doc.clone(),
            })
            .collect(),
        envelope: [
            p.envelope.response.clone(),
            p.envelope.error.clone(),
            p.envelope.code.clone(),
            p.envelope.message.clone(),
            p.envelope.request_id.clone(),
        ],
        codes: (e.codes.iter())
            .map(|c| Tc3CodeDef {
                code: c.code.clone(),
                common: c.common,
                doc: c.doc.clone(),
            })
            .collect(),
        from_v2: FromV2::default(),
    }
}

fn check_codes(api: &ApiSpec, e: &Tc3ErrorsFile, l: &mut Lints) {
    let mut seen = BTreeMap::new();
    for (i, c) in e.codes.iter().enumerate() {
        if let Some(j) = seen.insert(c.code.as_str(), i) {
            l.push(
                api.at("errors.json", format!("$.codes[{i}].code")),
                format!("duplicate code `{}` (also at $.codes[{j}])", c.code),
            );
        }
    }
}

/// Resolves and lints the mapping of `api` against the API it maps from (`linked`): every id,
/// code and action it names exists, and every error of the mapped API becomes an error of
/// this one (by its id, else by its code).
pub(super) fn resolve_mapping(api: &ApiSpec, built: &mut Api, linked: &[Api], l: &mut Lints) {
    let Some((_, e)) = api.tc3() else {
        return;
    };
    let at = api.at("errors.json", "$.from_v2");
    let Some(v2) = linked.iter().find(|a| a.id == MAPPED_API) else {
        l.push(
            at,
            format!("the mapping names API `{MAPPED_API}`, which the spec lacks"),
        );
        return;
    };
    let own = |id: &str| built.errors.iter().any(|x| x.id == id);
    let mut map = FromV2 {
        api: MAPPED_API.to_owned(),
        ..FromV2::default()
    };
    for (i, c) in e.from_v2.by_code.iter().enumerate() {
        let cat = at.join("by_code").join(format!("[{i}]"));
        if !v2.codes.iter().any(|x| x.code == c.code) {
            l.push(
                cat.join("code"),
                format!("API `{MAPPED_API}` has no code {}", c.code),
            );
        }
        if !own(&c.error) {
            l.push(cat.join("error"), format!("unknown error id `{}`", c.error));
        }
        map.by_code.push((c.code, c.error.clone()));
    }
    for (i, b) in e.from_v2.by_id.iter().enumerate() {
        let bat = at.join("by_id").join(format!("[{i}]"));
        map.by_id.push(by_id(b, &bat, v2, &built.actions, &own, l));
    }
    map.resolved = resolved(&map, v2, &at, l);
    if let Some(t) = built.tc3.as_mut() {
        t.from_v2 = map;
    }
}

fn by_id(
    b: &crate::spec::Tc3ById,
    at: &Location,
    v2: &Api,
    actions: &[Action],
    own: &dyn Fn(&str) -> bool,
    l: &mut Lints,
) -> ById {
    if v2.error(&b.v2).is_none() {
        l.push(
            at.join("v2"),
            format!("API `{MAPPED_API}` has no error `{}`", b.v2),
        );
    }
    if !own(&b.error) {
        l.push(at.join("error"), format!("unknown error id `{}`", b.error));
    }
    for (a, err) in &b.actions {
        if !actions.iter().any(|x| &x.name == a) {
            l.push(at.join("actions").join(a), format!("unknown action `{a}`"));
        }
        if !own(err) {
            l.push(
                at.join("actions").join(a),
                format!("unknown error id `{err}`"),
            );
        }
    }
    ById {
        v2: b.v2.clone(),
        error: b.error.clone(),
        actions: b
            .actions
            .iter()
            .map(|(a, e)| (a.clone(), e.clone()))
            .collect(),
    }
}

/// Every API 2.0 error with the error it becomes; an error covered neither by id nor by code
/// is a finding.
fn resolved(map: &FromV2, v2: &Api, at: &Location, l: &mut Lints) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for e in &v2.errors {
        let by_id = map.by_id.iter().find(|b| b.v2 == e.id).map(|b| &b.error);
        let code = e.cmq().map(|(c, _)| c);
        let by_code = (map.by_code.iter())
            .find(|(c, _)| Some(*c) == code)
            .map(|(_, x)| x);
        match by_id.or(by_code) {
            Some(x) => out.push((e.id.clone(), x.clone())),
            None => l.push(
                at.clone(),
                format!(
                    "API `{MAPPED_API}` error `{}` ({}) becomes no error: map it by id or by its code",
                    e.id,
                    e.code_text()
                ),
            ),
        }
    }
    out
}
