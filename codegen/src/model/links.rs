//! Links: a parameter or field that means what a parameter or field of another API means
//! (`"link": "v2:actions/CreateQueue/visibilityTimeout"`) inherits its type, doc and limits
//! unless it states its own. Where it states other limits, both are facts of the spec; the
//! link records what the linked one says, for docs.
//!
//! Targets, in the linked API's *neutral model* (so overrides and profiles are resolved):
//!
//! | link | names |
//! |---|---|
//! | `v2:params/<id>` | a shared parameter of `attributes.json` |
//! | `v2:actions/<Action>/<wire>` | a parameter of an action (with the action's overrides) |
//! | `v2:actions/<Action>/response/<key>` | a response field of an action |
//! | `v2:shapes/<Shape>/<key>` | a member of a shape (validated members carry limits) |

use serde::Serialize;

use super::params::Param;
use super::shapes::Field;
use super::{Api, Ctx};
use crate::error::Location;
use crate::lint::Lints;
use crate::spec::{Limits, ParamType};

/// What a link names, resolved.
#[derive(Clone, Debug, Serialize)]
pub struct Link {
    /// As written (`v2:params/queueName`).
    pub target: String,
    /// The linked API's id.
    pub api: String,
    /// The linked parameter's wire name or field's key.
    pub wire: String,
    /// The linked value's type.
    #[serde(rename = "type")]
    pub ty: ParamType,
    /// True when the linked value is a string enum with the same values as this one (the same
    /// enumeration in generated code).
    pub same_enum: bool,
    /// What the linked value states differently (`range 60 to 1296000`, `default 345600`).
    pub differs: Vec<String>,
}

/// A resolved target: a parameter (with limits) or a field (type and doc only).
#[derive(Clone, Debug)]
pub(crate) enum Target {
    /// A parameter or a validated shape member.
    Param(Box<Param>),
    /// A response field or a shape member.
    Field(Box<Field>),
}

impl Target {
    /// The target's type (a JSON document counts as an object).
    pub fn ty(&self) -> ParamType {
        let t = match self {
            Target::Param(p) => p.ty,
            Target::Field(f) => f.ty.param_type(),
        };
        if t == ParamType::Json {
            ParamType::Object
        } else {
            t
        }
    }

    /// The target's doc.
    pub fn doc(&self) -> &str {
        match self {
            Target::Param(p) => &p.doc,
            Target::Field(f) => &f.doc,
        }
    }

    /// The target's wire name or key.
    pub fn wire(&self) -> &str {
        match self {
            Target::Param(p) => &p.wire,
            Target::Field(f) => &f.key,
        }
    }

    /// The limits a parameter states (none for a field).
    pub fn limits(&self) -> Limits {
        match self {
            Target::Param(p) => Limits {
                min: p.min,
                max: p.max,
                default: p.default.clone(),
                min_len: p.min_len,
                max_len: p.max_len,
                len_unit: Some(p.len_unit),
                pattern: p.pattern.clone(),
                one_of: (!p.one_of.is_empty()).then(|| p.one_of.clone()),
                max_dots: p.max_dots,
                min_items: p.min_items,
                max_items: p.max_items,
                shape: None,
            },
            Target::Field(_) => Limits::default(),
        }
    }
}

/// Resolves `link` (written at `at`) in the APIs built before this one; `None` (with a finding)
/// when it names nothing.
pub(crate) fn resolve(ctx: &Ctx<'_>, link: &str, at: &Location, l: &mut Lints) -> Option<Target> {
    let at = at.join("link");
    let Some((api_id, path)) = link.split_once(':') else {
        l.push(at, format!("link `{link}` is not `<api>:<path>`"));
        return None;
    };
    if api_id == ctx.api.id {
        l.push(at, format!("link `{link}` names its own API; use `ref`"));
        return None;
    }
    let Some(api) = ctx.linked.iter().find(|a| a.id == api_id) else {
        l.push(at, format!("link `{link}` names an unknown API `{api_id}`"));
        return None;
    };
    let parts: Vec<&str> = path.split('/').collect();
    let found = find(ctx, api, &parts);
    if found.is_none() {
        l.push(at, format!("link `{link}` names nothing in API `{api_id}`"));
    }
    found
}

fn find(ctx: &Ctx<'_>, api: &Api, parts: &[&str]) -> Option<Target> {
    let param = |p: &Param| Some(Target::Param(Box::new(p.clone())));
    let field = |f: &Field| Some(Target::Field(Box::new(f.clone())));
    match parts {
        ["params", id] => {
            let p = api
                .shared_params
                .iter()
                .find(|p| p.id.as_deref() == Some(*id))?;
            param(p)
        }
        ["actions", a, "response", key] => {
            let a = api.actions.iter().find(|x| x.name == *a)?;
            field(a.response.iter().find(|f| f.key == *key)?)
        }
        ["actions", a, wire] => param(api.actions.iter().find(|x| x.name == *a)?.param(wire)?),
        ["shapes", s, key] => {
            let s = api.shape(s)?;
            match s.members.iter().find(|m| m.wire == *key) {
                Some(m) => param(m),
                None => field(s.fields.iter().find(|f| f.key == *key)?),
            }
        }
        _ => {
            let _ = ctx;
            None
        }
    }
}

/// Checks that a stated type agrees with the link's and returns the type to use.
pub(crate) fn ty(
    stated: Option<ParamType>,
    t: &Target,
    link: &str,
    at: &Location,
    l: &mut Lints,
) -> ParamType {
    let theirs = t.ty();
    match stated {
        Some(own) if own != theirs => {
            l.push(
                at.join("type"),
                format!("type `{own}` conflicts with link `{link}`, a `{theirs}`"),
            );
            own
        }
        Some(own) => own,
        None => theirs,
    }
}

/// The link's record for a parameter whose final limits are `mine` (`one_of`: its values).
pub(crate) fn record(link: &str, t: &Target, mine: &Param) -> Link {
    let (api, _) = link.split_once(':').unwrap_or_default();
    let theirs = t.limits();
    let mut differs = Vec::new();
    if (theirs.min, theirs.max) != (mine.min, mine.max) && matches!(t, Target::Param(_)) {
        differs.push(range_text(theirs.min, theirs.max));
    }
    if theirs.default != mine.default {
        if let Some(d) = &theirs.default {
            differs.push(format!("default {d}"));
        }
    }
    if (theirs.max_len, theirs.max_items) != (mine.max_len, mine.max_items) {
        if let Some(n) = theirs.max_len {
            differs.push(format!("at most {n} long"));
        }
        if let Some(n) = theirs.max_items {
            differs.push(format!("at most {n} items"));
        }
    }
    let same_enum = matches!(t, Target::Param(p) if p.is_string_enum() && p.one_of == mine.one_of);
    Link {
        target: link.to_owned(),
        api: api.to_owned(),
        wire: t.wire().to_owned(),
        ty: t.ty(),
        same_enum,
        differs,
    }
}

/// The link's record for a field.
pub(crate) fn record_field(link: &str, t: &Target) -> Link {
    let (api, _) = link.split_once(':').unwrap_or_default();
    Link {
        target: link.to_owned(),
        api: api.to_owned(),
        wire: t.wire().to_owned(),
        ty: t.ty(),
        same_enum: false,
        differs: Vec::new(),
    }
}

fn range_text(min: Option<i64>, max: Option<i64>) -> String {
    match (min, max) {
        (Some(a), Some(b)) => format!("range {a} to {b}"),
        (Some(a), None) => format!("at least {a}"),
        (None, Some(b)) => format!("at most {b}"),
        (None, None) => "no range".into(),
    }
}
