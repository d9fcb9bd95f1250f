//! The wire parameters of one request, in the order they were added.

use std::borrow::Cow;
use std::fmt;

use serde::Serialize;

/// The parameters whose values `Debug` never shows: the signature and the STS token (either
/// would let someone replay or forge requests).
pub const REDACTED_PARAMS: [&str; 2] = ["Signature", "Token"];

/// An ordered list of `(name, value)` wire parameters. List parameters are expanded as
/// `name.1`, `name.2`, … (the base the official SDKs use).
///
/// `Debug` shows every parameter but the values of [`REDACTED_PARAMS`].
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Params {
    items: Vec<(Cow<'static, str>, String)>,
}

impl Params {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty list with room for `n` parameters.
    pub fn with_capacity(n: usize) -> Self {
        Self {
            items: Vec::with_capacity(n),
        }
    }

    /// Adds a string parameter.
    pub fn push_str(&mut self, name: &'static str, value: &str) {
        self.items.push((Cow::Borrowed(name), value.to_owned()));
    }

    /// Adds a parameter with an owned name.
    pub fn push_owned(&mut self, name: String, value: String) {
        self.items.push((Cow::Owned(name), value));
    }

    /// Adds an integer parameter.
    pub fn push_int(&mut self, name: &'static str, value: i64) {
        self.items.push((Cow::Borrowed(name), value.to_string()));
    }

    /// Adds a list as `name.1 … name.n`.
    pub fn push_list<S: AsRef<str>>(&mut self, name: &'static str, values: &[S]) {
        for (i, v) in values.iter().enumerate() {
            self.items.push((
                Cow::Owned(format!("{name}.{}", i + crate::generated::SDK_LIST_BASE)),
                v.as_ref().to_owned(),
            ));
        }
    }

    /// Adds a JSON document as one parameter.
    pub fn push_json<T: Serialize>(&mut self, name: &'static str, value: &T) {
        // Serializing our own generated shapes to a String cannot fail (no maps with
        // non-string keys, no I/O); fall back to `null` rather than panic.
        let text = serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned());
        self.items.push((Cow::Borrowed(name), text));
    }

    /// The value of `name`, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.items
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Removes every parameter named `name`.
    pub fn remove(&mut self, name: &str) {
        self.items.retain(|(n, _)| n != name);
    }

    /// The parameters as `(name, value)` pairs.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.items.iter().map(|(n, v)| (n.as_ref(), v.as_str()))
    }

    /// How many parameters.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The parameters form-encoded (`application/x-www-form-urlencoded`).
    pub fn to_form(&self) -> String {
        // Room for every name and value with `=` and `&`, plus an eighth for escapes: no
        // regrowing unless much needs escaping.
        let unescaped: usize = self.items.iter().map(|(n, v)| n.len() + v.len() + 2).sum();
        let mut s =
            form_urlencoded::Serializer::new(String::with_capacity(unescaped + unescaped / 8));
        for (n, v) in &self.items {
            s.append_pair(n, v);
        }
        s.finish()
    }
}

impl fmt::Debug for Params {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Value<'a>(&'a str, &'a str);
        impl fmt::Debug for Value<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                if REDACTED_PARAMS.contains(&self.0) {
                    f.write_str("<redacted>")
                } else {
                    fmt::Debug::fmt(self.1, f)
                }
            }
        }
        f.debug_map()
            .entries(self.items.iter().map(|(n, v)| (n, Value(n, v))))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_signature_and_token() {
        let mut p = Params::new();
        p.push_str("queueName", "orders");
        p.push_owned("Token".into(), "sts-secret-token".into());
        p.push_owned("Signature".into(), "c2lnbmF0dXJl".into());
        for text in [format!("{p:?}"), format!("{p:#?}")] {
            assert!(
                text.contains("orders") && text.contains("queueName"),
                "{text}"
            );
            assert!(
                text.contains("Token") && text.contains("Signature"),
                "{text}"
            );
            assert!(!text.contains("sts-secret-token"), "{text}");
            assert!(!text.contains("c2lnbmF0dXJl"), "{text}");
        }
        assert_eq!(
            format!("{p:?}"),
            r#"{"queueName": "orders", "Token": <redacted>, "Signature": <redacted>}"#
        );
        // The values themselves are intact.
        assert_eq!(p.get("Signature"), Some("c2lnbmF0dXJl"));
    }
}
