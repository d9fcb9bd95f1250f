//! Wire parameters as received: a form body or a query string, parsed once (`+` and `%20` both
//! mean a space), kept in order for the signature check, and decoded per the constraint table.

use cmq_sdk::constraints::{ParamKind, ParamSpec, Violation, ViolationKind};
use cmq_sdk::operation::JsonShape;

/// The parameters of one request, in the order they arrived.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WireParams {
    pairs: Vec<(String, String)>,
}

impl WireParams {
    /// Parses `application/x-www-form-urlencoded` bytes (a body or a query string).
    pub fn parse(bytes: &[u8]) -> Self {
        Self {
            pairs: form_urlencoded::parse(bytes)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        }
    }

    /// Parameters from pairs.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self {
            pairs: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// Every pair, in order.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// The pairs, by value.
    pub fn into_pairs(self) -> Vec<(String, String)> {
        self.pairs
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn has_indexed(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .map(|(k, _)| k.as_str())
            .find(|k| index_of(k, name).is_some())
    }

    fn violation(
        spec: &ParamSpec,
        param: &str,
        kind: ViolationKind,
        constraint: &str,
        value: Option<&str>,
    ) -> Violation {
        Violation {
            param: param.to_owned(),
            kind,
            constraint: constraint.to_owned(),
            value: value.map(|v| v.chars().take(64).collect()),
            error: spec.errors.for_kind(kind),
        }
    }

    fn scalar(&self, spec: &ParamSpec, errs: &mut Vec<Violation>) -> Option<&str> {
        if let Some(k) = self.has_indexed(spec.wire) {
            errs.push(Self::violation(
                spec,
                k,
                ViolationKind::NotRepeatable,
                "sent once, not as a list",
                None,
            ));
        }
        self.get(spec.wire)
    }

    /// Decodes an integer parameter; text that is not an integer is a type violation.
    pub(crate) fn int(&self, spec: &ParamSpec, errs: &mut Vec<Violation>) -> Option<i64> {
        let v = self.scalar(spec, errs)?;
        match v.trim().parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                errs.push(Self::violation(
                    spec,
                    spec.wire,
                    ViolationKind::Type,
                    "an integer",
                    Some(v),
                ));
                None
            }
        }
    }

    /// Decodes a string parameter.
    pub(crate) fn string(&self, spec: &ParamSpec, errs: &mut Vec<Violation>) -> Option<String> {
        self.scalar(spec, errs).map(str::to_owned)
    }

    /// Decodes a JSON parameter into its shape: text that is not a JSON object is a JSON
    /// violation; each member of the wrong JSON type is a violation of that member.
    pub(crate) fn json<T: JsonShape>(
        &self,
        spec: &ParamSpec,
        errs: &mut Vec<Violation>,
    ) -> Option<T> {
        let v = self.scalar(spec, errs)?;
        match serde_json::from_str::<serde_json::Value>(v) {
            Ok(serde_json::Value::Object(obj)) => Some(T::decode_members(&obj, errs)),
            Ok(_) => {
                errs.push(Self::violation(
                    spec,
                    spec.wire,
                    ViolationKind::Json,
                    "a JSON object",
                    Some(v),
                ));
                None
            }
            Err(e) => {
                errs.push(Self::violation(
                    spec,
                    spec.wire,
                    ViolationKind::Json,
                    &format!("a JSON object ({e})"),
                    Some(v),
                ));
                None
            }
        }
    }

    /// Decodes a list sent as `name.0…` or `name.1…` (contiguous). A plain `name` counts as a
    /// one-item list. Returns `None` when no item was sent.
    pub(crate) fn list(&self, spec: &ParamSpec, errs: &mut Vec<Violation>) -> Option<Vec<String>> {
        debug_assert!(spec.kind == ParamKind::StringList);
        let mut items: Vec<(u64, &str)> = self
            .pairs
            .iter()
            .filter_map(|(k, v)| index_of(k, spec.wire).map(|i| (i, v.as_str())))
            .collect();
        if items.is_empty() {
            return self.get(spec.wire).map(|v| vec![v.to_owned()]);
        }
        items.sort_by_key(|(i, _)| *i);
        let base = items[0].0;
        let contiguous = base <= 1
            && items
                .iter()
                .enumerate()
                .all(|(n, (i, _))| *i == base + n as u64);
        if !contiguous {
            errs.push(Self::violation(
                spec,
                spec.wire,
                ViolationKind::Contiguous,
                "indexed contiguously from 0 or 1",
                None,
            ));
        }
        Some(items.into_iter().map(|(_, v)| v.to_owned()).collect())
    }
}

/// `Some(n)` when `key` is `name.n` with a decimal `n`.
fn index_of(key: &str, name: &str) -> Option<u64> {
    let rest = key.strip_prefix(name)?.strip_prefix('.')?;
    if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    rest.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use cmq_sdk::generated::constraints::{batch_send_message as bsm, send_message as sm};

    #[test]
    fn plus_and_percent_20_are_spaces() {
        let p = WireParams::parse(b"msgBody=a+b%20c&queueName=q");
        assert_eq!(p.get("msgBody"), Some("a b c"));
    }

    #[test]
    fn lists_zero_and_one_based() {
        let mut errs = Vec::new();
        let zero = WireParams::parse(b"msgBody.0=a&msgBody.1=b");
        assert_eq!(
            zero.list(&bsm::MSG_BODY, &mut errs),
            Some(vec!["a".into(), "b".into()])
        );
        let one = WireParams::parse(b"msgBody.2=b&msgBody.1=a");
        assert_eq!(
            one.list(&bsm::MSG_BODY, &mut errs),
            Some(vec!["a".into(), "b".into()])
        );
        assert!(errs.is_empty());
        let gap = WireParams::parse(b"msgBody.1=a&msgBody.3=b");
        gap.list(&bsm::MSG_BODY, &mut errs);
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].kind, ViolationKind::Contiguous);
        let mut errs = Vec::new();
        let late = WireParams::parse(b"msgBody.2=a&msgBody.3=b");
        late.list(&bsm::MSG_BODY, &mut errs);
        assert_eq!(errs.len(), 1);
    }

    #[test]
    fn type_and_repeat_violations() {
        let mut errs = Vec::new();
        let p = WireParams::parse(b"delaySeconds=ten&queueName.1=q");
        assert_eq!(p.int(&sm::DELAY_SECONDS, &mut errs), None);
        assert_eq!(p.string(&sm::QUEUE_NAME, &mut errs), None);
        let kinds: Vec<_> = errs.iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            vec![ViolationKind::Type, ViolationKind::NotRepeatable]
        );
    }
}
