//! Facts of the service (`service.json`): quotas, limits, timings, the push protocol.

use serde::Serialize;

use crate::error::Location;
use crate::lint::{self, Lints};
use crate::spec::{FactType, FactValue, Spec};

/// One fact of the service.
#[derive(Clone, Debug, Serialize)]
pub struct Fact {
    /// Its id (snake_case).
    pub id: String,
    /// What it measures.
    #[serde(rename = "type")]
    pub ty: FactType,
    /// Its value.
    pub value: FactValue,
    /// What it means.
    pub doc: String,
    /// Public documentation pages.
    pub see: Vec<String>,
    /// Where it is written.
    #[serde(skip)]
    pub at: Location,
}

pub(super) fn build(spec: &Spec, profile: &str, l: &mut Lints) -> Vec<Fact> {
    lint::check_doc(
        &spec.service.doc,
        &Location::new("service.json", "$.doc"),
        l,
    );
    spec.service
        .facts
        .iter()
        .map(|(id, f)| {
            let at = Location::new("service.json", format!("$.facts.{id}"));
            lint::check_doc(&f.doc, &at.join("doc"), l);
            lint::check_see(&f.see, &at.join("see"), l);
            let unsourced = f.source.as_deref().is_none_or(|s| s.trim().is_empty());
            if unsourced && !f.value.is_profiled() {
                l.push(at.clone(), "a fact needs a `source`".into());
            }
            let value = f
                .value
                .at(profile)
                .cloned()
                .unwrap_or(FactValue::Bool(false));
            if !f.ty.fits(&value) {
                l.push(
                    at.join("value"),
                    format!("value {value} is not a `{}`", f.ty),
                );
            }
            Fact {
                id: id.clone(),
                ty: f.ty,
                value,
                doc: f.doc.clone(),
                see: f.see.clone(),
                at,
            }
        })
        .collect()
}
