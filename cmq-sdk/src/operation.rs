//! The contract between the generated per-action types and the runtime.

use serde::de::DeserializeOwned;
use serde::ser::SerializeMap;

use crate::constraints::Violations;
use crate::generated::actions::Action;
use crate::generated::profiles::Profile;
use crate::params::Params;

/// A request of one API 2.0 action: validates itself and encodes its wire parameters.
/// Implemented by every generated `…Input` type; [`crate::Client::execute`] runs any of them.
/// (API 3.0 requests implement [`crate::api3::Api3Operation`].)
pub trait Operation: Clone + Send + Sync + 'static {
    /// The answer's type.
    type Output: DeserializeOwned + Send + 'static;
    /// The action.
    const ACTION: Action;
    /// Checks every constraint of the spec for the default profile; returns every violation.
    fn validate(&self) -> Result<(), Violations>;
    /// Checks every constraint of the spec for `profile` (its own constraint table); returns
    /// every violation.
    fn validate_for(&self, profile: Profile) -> Result<(), Violations>;
    /// Appends the action's wire parameters.
    fn encode(&self, out: &mut Params);
    /// `None` for actions that do not long-poll; `Some(w)` for those that do, with the request's
    /// `pollingWaitSeconds` (`None`: the queue's own setting applies).
    fn long_poll_seconds(&self) -> Option<Option<i64>>;
    /// The queue or topic the request targets, for tracing.
    fn target(&self) -> Option<&str>;
    /// The output reporting success with `note`, for the actions whose spec lists answers that
    /// settle a retry after a lost answer ([`Action::settled_by_retry`]); `None` for the others.
    fn settled_output(note: crate::retry::SettledByRetry) -> Option<Self::Output> {
        let _ = note;
        None
    }
}

/// A response (or shape) that writes its fields into a JSON map: how `cmq-mock` puts an
/// action's fields at the top level of the envelope without building a JSON tree.
pub trait WireOutput {
    /// Writes every field (and the alias keys the spec says to emit).
    fn write_fields<M: SerializeMap>(&self, m: &mut M) -> Result<(), M::Error>;
}

/// A JSON object shape carried in one parameter (e.g. `deadLetterPolicy`), decoded member by
/// member so that a member of the wrong JSON type is reported against that member (with its own
/// error) instead of failing the whole document.
pub trait JsonShape: Sized {
    /// Decodes the members of `obj`; every member of the wrong type is a violation and is left out.
    fn decode_members(
        obj: &serde_json::Map<String, serde_json::Value>,
        out: &mut Vec<crate::constraints::Violation>,
    ) -> Self;
}

/// Deserializes an optional JSON object that some servers send as a JSON-encoded string instead
/// (Tencent's documentation does not say which form `deadLetterPolicy` takes in answers): accepts
/// both, and `null`, `""` or an absent key as `None`.
pub fn object_or_json_string<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: DeserializeOwned,
{
    use serde::Deserialize as _;
    use serde::de::Error as _;
    match Option::<serde_json::Value>::deserialize(d)? {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(serde_json::Value::String(s)) => {
            serde_json::from_str(&s).map(Some).map_err(D::Error::custom)
        }
        Some(other) => serde_json::from_value(other)
            .map(Some)
            .map_err(D::Error::custom),
    }
}
