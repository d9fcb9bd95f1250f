//! The contract between the generated per-action types and the runtime.

use serde::de::DeserializeOwned;
use serde::ser::SerializeMap;

use crate::constraints::Violations;
use crate::generated::actions::Action;
use crate::params::Params;

/// A request of one action: validates itself and encodes its wire parameters. Implemented by
/// every generated `…Input` type; [`crate::Client::execute`] runs any of them.
pub trait Operation: Clone + Send + Sync + 'static {
    /// The answer's type.
    type Output: DeserializeOwned + Send + 'static;
    /// The action.
    const ACTION: Action;
    /// Checks every constraint of the spec; returns every violation.
    fn validate(&self) -> Result<(), Violations>;
    /// Appends the action's wire parameters.
    fn encode(&self, out: &mut Params);
    /// `None` for actions that do not long-poll; `Some(w)` for those that do, with the request's
    /// `pollingWaitSeconds` (`None`: the queue's own setting applies).
    fn long_poll_seconds(&self) -> Option<Option<i64>>;
    /// The queue or topic the request targets, for tracing.
    fn target(&self) -> Option<&str>;
}

/// A response (or shape) that writes its fields into a JSON map: how `cmq-mock` puts an
/// action's fields at the top level of the envelope without building a JSON tree.
pub trait WireOutput {
    /// Writes every field (and the alias keys the spec says to emit).
    fn write_fields<M: SerializeMap>(&self, m: &mut M) -> Result<(), M::Error>;
}
