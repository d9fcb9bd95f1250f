//! The wire parameters of one request, in the order they were added.

use std::borrow::Cow;

use serde::Serialize;

/// An ordered list of `(name, value)` wire parameters. List parameters are expanded as
/// `name.1`, `name.2`, … (the base the official SDKs use).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Params {
    items: Vec<(Cow<'static, str>, String)>,
}

impl Params {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
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
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (n, v) in &self.items {
            s.append_pair(n, v);
        }
        s.finish()
    }
}
