//! Serde helpers the generated API 3.0 response types use: the service may send `null` for a
//! field (its docs say "may return null") or leave one out, and answers must still decode.

use serde::{Deserialize, Deserializer};

/// Reads a value that may be JSON `null` as `T::default()` (with `#[serde(default)]`, an absent
/// key too): a number becomes 0, a text `""`, a list `[]`, an object its default.
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct Out {
///     #[serde(rename = "TotalCount", default, deserialize_with = "cmq_sdk::api3::de::null_default")]
///     total: i64,
/// }
/// let out: Out = serde_json::from_str(r#"{"TotalCount": null}"#).unwrap();
/// assert_eq!(out.total, 0);
/// ```
pub fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}
