//! Enumerated values: the spec's closed enums ([`WireEnum`], generated in
//! [`generated::types`](crate::generated::types)), and [`Open`], a request value that is one of
//! them or any other text.
//!
//! The enums are `Copy`, compare and hash cheaply, and parse from the wire with the spec's case
//! rule (`from_wire`, [`FromStr`](std::str::FromStr)). A request field holds an [`Open`] value,
//! so a value the spec does not list can still be sent (with
//! [`ValidationMode::Off`](crate::ValidationMode::Off)) and is named by validation otherwise.
//!
//! ```
//! use cmq_sdk::enums::Open;
//! use cmq_sdk::generated::types::NotifyStrategy;
//!
//! let s: NotifyStrategy = "BACKOFF_RETRY".parse().unwrap();
//! assert_eq!(s, NotifyStrategy::BackoffRetry);
//! assert!("backoff_retry".parse::<NotifyStrategy>().is_err());
//!
//! let open: Open<NotifyStrategy> = NotifyStrategy::BackoffRetry.into();
//! assert_eq!(open.known(), Some(NotifyStrategy::BackoffRetry));
//! let other = Open::<NotifyStrategy>::from("LINEAR");
//! assert_eq!((other.as_str(), other.known()), ("LINEAR", None));
//! ```

use std::fmt;

/// A closed enum of the spec: every value listed, each with its wire text.
pub trait WireEnum: Copy + Eq + fmt::Debug + 'static {
    /// The parameter it belongs to (`notifyStrategy`).
    const NAME: &'static str;
    /// Every value, in spec order.
    const ALL: &'static [Self];
    /// The wire text.
    fn as_str(self) -> &'static str;
    /// The value whose wire text is `s` under the spec's case rule.
    fn from_wire(s: &str) -> Option<Self>;
}

/// A text that is not one of an enum's values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownValue {
    /// The parameter (`notifyStrategy`).
    pub name: &'static str,
    /// The text.
    pub value: String,
    /// The values the spec lists.
    pub allowed: Vec<&'static str>,
}

impl UnknownValue {
    /// `value` is not a `T`.
    pub fn new<T: WireEnum>(value: &str) -> Self {
        UnknownValue {
            name: T::NAME,
            value: value.to_owned(),
            allowed: T::ALL.iter().map(|v| v.as_str()).collect(),
        }
    }
}

impl fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not a value of {} (one of {})",
            self.value,
            self.name,
            self.allowed.join(", ")
        )
    }
}

impl std::error::Error for UnknownValue {}

/// A request value of enum `T`: one the spec lists, or any other text (kept as sent).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Open<T> {
    /// A value the spec lists.
    Known(T),
    /// Any other text.
    Other(String),
}

impl<T: WireEnum> Open<T> {
    /// The wire text.
    pub fn as_str(&self) -> &str {
        match self {
            Open::Known(v) => v.as_str(),
            Open::Other(s) => s,
        }
    }

    /// The listed value, if it is one.
    pub fn known(&self) -> Option<T> {
        match self {
            Open::Known(v) => Some(*v),
            Open::Other(_) => None,
        }
    }
}

impl<T: WireEnum> From<T> for Open<T> {
    fn from(v: T) -> Self {
        Open::Known(v)
    }
}

impl<T: WireEnum> From<&str> for Open<T> {
    fn from(s: &str) -> Self {
        T::from_wire(s).map_or_else(|| Open::Other(s.to_owned()), Open::Known)
    }
}

impl<T: WireEnum> From<String> for Open<T> {
    fn from(s: String) -> Self {
        T::from_wire(&s).map_or(Open::Other(s), Open::Known)
    }
}

impl<T: WireEnum> PartialEq<T> for Open<T> {
    fn eq(&self, other: &T) -> bool {
        self.known() == Some(*other)
    }
}

impl<T: WireEnum> fmt::Display for Open<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<T: WireEnum> serde::Serialize for Open<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de, T: WireEnum> serde::Deserialize<'de> for Open<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
        Ok(Open::from(s.as_ref()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::types::{NotifyContentFormat, Protocol};

    #[test]
    fn listed_values_parse_exactly_and_others_stay_open() {
        assert_eq!(Protocol::from_wire("http"), Some(Protocol::Http));
        assert_eq!(Protocol::from_wire("HTTP"), None);
        assert_eq!(Protocol::ALL, [Protocol::Http, Protocol::Queue]);
        let err = "JSONP".parse::<NotifyContentFormat>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "\"JSONP\" is not a value of notifyContentFormat (one of JSON, SIMPLIFIED)"
        );
        let open: Open<Protocol> = "https".into();
        assert_eq!(open, Open::Other("https".to_owned()));
        assert_eq!(Open::<Protocol>::from("queue"), Protocol::Queue);
        assert_eq!(serde_json::to_string(&open).unwrap(), "\"https\"");
        let back: Open<Protocol> = serde_json::from_str("\"http\"").unwrap();
        assert_eq!(back.known(), Some(Protocol::Http));
        let strict: Result<Protocol, _> = serde_json::from_str("\"https\"");
        assert!(strict.is_err());
    }
}
