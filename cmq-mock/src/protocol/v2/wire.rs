//! Wire parameters as received: a form body or a query string, parsed once (`+` and `%20` both
//! mean a space), kept in order for the signature check, and decoded per the constraint table.
//!
//! Parsing follows `application/x-www-form-urlencoded` exactly as the `form_urlencoded` crate
//! does (pairs split on `&`, empty pairs skipped, name and value split at the first `=`, `+` a
//! space, `%XY` a byte, an invalid `%` sequence kept as is, invalid UTF-8 replaced by U+FFFD), but
//! stores every decoded name and value back to back in **one** string with their offsets beside
//! it: two allocations per request, however many parameters it has, which the request journal
//! then keeps as they are.

use cmq_sdk::constraints::{ParamKind, ParamSpec, Violation, ViolationKind};
use cmq_sdk::operation::JsonShape;

/// Where one parameter sits in [`WireParams`]' text: the name is `start..mid`, the value
/// `mid..end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Span {
    start: usize,
    mid: usize,
    end: usize,
}

/// The parameters of one request, in the order they arrived.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct WireParams {
    /// Every decoded name and value, back to back.
    text: String,
    spans: Vec<Span>,
}

impl std::fmt::Debug for WireParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.pairs()).finish()
    }
}

/// A request with more parameters than a server accepts (see [`WireParams::parse_limited`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooManyParams {
    /// The most parameters accepted.
    pub limit: usize,
}

/// True when two parameter names are the same parameter to the service, which reads them
/// through PHP's `$_POST`/`$_GET`: PHP turns `.` and ` ` in names into `_`, so `msgBody.1`,
/// `msgBody_1` and `msgBody 1` are one key there (and the signature maps `_` back to `.`).
fn same_name(a: &str, b: &str) -> bool {
    fn norm(c: u8) -> u8 {
        match c {
            b'.' | b' ' => b'_',
            c => c,
        }
    }
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| norm(x) == norm(y))
}

fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Appends the form decoding of `part` to `out` (which holds valid UTF-8 up to its end): `+` is
/// a space, `%XY` a byte, anything else itself; invalid UTF-8 becomes U+FFFD, per part.
fn decode_into(out: &mut Vec<u8>, part: &[u8]) {
    let start = out.len();
    if !part.iter().any(|&b| b == b'%' || b == b'+') {
        out.extend_from_slice(part);
    } else {
        let mut i = 0;
        while i < part.len() {
            match part[i] {
                b'+' => out.push(b' '),
                b'%' => {
                    let hi = part.get(i + 1).copied().and_then(hex_digit);
                    let lo = part.get(i + 2).copied().and_then(hex_digit);
                    if let (Some(hi), Some(lo)) = (hi, lo) {
                        out.push(hi * 16 + lo);
                        i += 3;
                        continue;
                    }
                    out.push(b'%');
                }
                b => out.push(b),
            }
            i += 1;
        }
    }
    if std::str::from_utf8(&out[start..]).is_err() {
        let fixed = String::from_utf8_lossy(&out[start..]).into_owned();
        out.truncate(start);
        out.extend_from_slice(fixed.as_bytes());
    }
}

/// The non-empty `&`-separated pairs of a form.
fn segments(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    bytes.split(|&b| b == b'&').filter(|s| !s.is_empty())
}

impl WireParams {
    /// Parses `application/x-www-form-urlencoded` bytes (a body or a query string).
    pub fn parse(bytes: &[u8]) -> Self {
        let mut text: Vec<u8> = Vec::with_capacity(bytes.len());
        let mut spans = Vec::with_capacity(8);
        for seg in segments(bytes) {
            let (name, value) = match seg.iter().position(|&b| b == b'=') {
                Some(i) => (&seg[..i], &seg[i + 1..]),
                None => (seg, &[][..]),
            };
            let start = text.len();
            decode_into(&mut text, name);
            let mid = text.len();
            decode_into(&mut text, value);
            spans.push(Span {
                start,
                mid,
                end: text.len(),
            });
        }
        // Every part was appended as valid UTF-8, so this never replaces anything.
        let text = String::from_utf8(text)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        Self { text, spans }
    }

    /// Like [`WireParams::parse`], but refuses a form with more than `limit` parameters before
    /// decoding any of it (counting costs one pass over the bytes and no allocation).
    pub fn parse_limited(bytes: &[u8], limit: usize) -> Result<Self, TooManyParams> {
        if segments(bytes).nth(limit).is_some() {
            return Err(TooManyParams { limit });
        }
        Ok(Self::parse(bytes))
    }

    /// Parameters from pairs.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        let mut p = Self::default();
        for (k, v) in pairs {
            p.push(&k.into(), &v.into());
        }
        p
    }

    /// Appends a parameter.
    pub fn push(&mut self, name: &str, value: &str) {
        let start = self.text.len();
        self.text.push_str(name);
        let mid = self.text.len();
        self.text.push_str(value);
        self.spans.push(Span {
            start,
            mid,
            end: self.text.len(),
        });
    }

    fn pair(&self, s: &Span) -> (&str, &str) {
        (
            self.text.get(s.start..s.mid).unwrap_or(""),
            self.text.get(s.mid..s.end).unwrap_or(""),
        )
    }

    /// Every pair, in order.
    pub fn pairs(&self) -> impl ExactSizeIterator<Item = (&str, &str)> + Clone + '_ {
        self.spans.iter().map(|s| self.pair(s))
    }

    /// The pairs, by value.
    pub fn into_pairs(self) -> Vec<(String, String)> {
        self.pairs()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    /// How many parameters there are.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// True when there is no parameter.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The bytes this value holds on the heap (its text and its offsets), for budgets.
    pub fn heap_bytes(&self) -> usize {
        self.text.capacity() + self.spans.capacity() * std::mem::size_of::<Span>()
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs().find(|(k, _)| *k == name).map(|(_, v)| v)
    }

    /// The first name that occurs twice, where names that PHP's `$_POST` would merge count as
    /// the same (`a.b`, `a_b` and `a b`): the later occurrence's spelling.
    pub fn first_duplicate(&self) -> Option<&str> {
        let n = self.spans.len();
        if n <= 32 {
            // No allocation for ordinary requests.
            return (1..n).find_map(|i| {
                let (k, _) = self.pair(&self.spans[i]);
                self.spans[..i]
                    .iter()
                    .any(|s| same_name(self.pair(s).0, k))
                    .then_some(k)
            });
        }
        let mut seen = std::collections::HashSet::with_capacity(n);
        self.pairs()
            .map(|(k, _)| k)
            .find(|k| !seen.insert(k.replace(['.', ' '], "_")))
    }

    /// A copy in which every value longer than `max` bytes is cut to at most `max` bytes (on a
    /// character boundary); returns the copy and, per parameter, the original length of a cut
    /// value. `None` when no value is longer than `max` (nothing to copy).
    pub(crate) fn truncated(&self, max: usize) -> Option<(Self, Vec<(usize, usize)>)> {
        if self.pairs().all(|(_, v)| v.len() <= max) {
            return None;
        }
        let mut out = Self::default();
        let mut cut = Vec::new();
        for (i, (k, v)) in self.pairs().enumerate() {
            if v.len() > max {
                let mut n = max;
                while !v.is_char_boundary(n) {
                    n -= 1;
                }
                out.push(k, &v[..n]);
                cut.push((i, v.len()));
            } else {
                out.push(k, v);
            }
        }
        Some((out, cut))
    }

    fn has_indexed(&self, name: &str) -> Option<&str> {
        self.pairs()
            .map(|(k, _)| k)
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
            .pairs()
            .filter_map(|(k, v)| index_of(k, spec.wire).map(|i| (i, v)))
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

    /// The parameters as `form_urlencoded` decodes them (the reference this parser follows).
    fn reference(bytes: &[u8]) -> Vec<(String, String)> {
        form_urlencoded::parse(bytes)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    #[test]
    fn parses_exactly_like_form_urlencoded() {
        let cases: &[&[u8]] = &[
            b"",
            b"&&&",
            b"a",
            b"a=",
            b"=b",
            b"a=b=c&&d=%41%4a%4A%zz%4&e=%",
            b"x=%E4%BD%A0%E5%A5%BD&y=%E4%BD&z=\xff\xfe",
            b"k%2Bv=1%2b2+3",
            b"msgBody.1=a&msgBody.2=b&Action=SendMessage",
            b"%C3=%A9&%C3%A9=caf%C3%A9",
            b"\xf0\x9f\x98=\x80",
        ];
        for c in cases {
            let ours: Vec<(String, String)> = WireParams::parse(c).into_pairs();
            assert_eq!(ours, reference(c), "{:?}", String::from_utf8_lossy(c));
        }
    }

    #[test]
    fn parameter_cap_refuses_before_decoding() {
        let body = "a&".repeat(300);
        assert_eq!(
            WireParams::parse_limited(body.as_bytes(), 256),
            Err(TooManyParams { limit: 256 })
        );
        let ok = WireParams::parse_limited(body.as_bytes(), 300).unwrap_or_default();
        assert_eq!(ok.len(), 300);
        // Empty pairs do not count.
        assert!(WireParams::parse_limited(b"a=1&&&&&&b=2", 2).is_ok());
        assert!(WireParams::parse_limited(b"a=1&b=2&c", 2).is_err());
    }

    #[test]
    fn duplicates_as_php_reads_them() {
        assert_eq!(WireParams::parse(b"a=1&b=2&c=3").first_duplicate(), None);
        assert_eq!(
            WireParams::parse(b"Nonce=1&queueName=q&Nonce=2").first_duplicate(),
            Some("Nonce")
        );
        assert_eq!(
            WireParams::parse(b"msgBody.1=a&msgBody_1=b").first_duplicate(),
            Some("msgBody_1")
        );
        assert_eq!(
            WireParams::parse(b"a+b=1&a.b=2").first_duplicate(),
            Some("a.b")
        );
        // Case matters (PHP keys are case-sensitive).
        assert_eq!(
            WireParams::parse(b"nonce=1&Nonce=2").first_duplicate(),
            None
        );
        // Many parameters take the hashing path, with the same answers.
        let mut many: String = (0..40).map(|i| format!("p{i}=v&")).collect();
        assert_eq!(WireParams::parse(many.as_bytes()).first_duplicate(), None);
        many.push_str("p_7=again");
        many = many.replacen("p7=", "p.7=", 1);
        assert_eq!(
            WireParams::parse(many.as_bytes()).first_duplicate(),
            Some("p_7")
        );
    }

    #[test]
    fn truncation_keeps_names_and_char_boundaries() {
        let p = WireParams::from_pairs([("a", "short"), ("b", "ééééé"), ("c", "xyz")]);
        assert!(p.truncated(16).is_none());
        let (t, cut) = p.truncated(3).unwrap_or_default();
        assert_eq!(
            t.into_pairs(),
            vec![
                ("a".to_owned(), "sho".to_owned()),
                ("b".to_owned(), "é".to_owned()),
                ("c".to_owned(), "xyz".to_owned())
            ]
        );
        assert_eq!(cut, vec![(0, 5), (1, 10)]);
        assert!(p.heap_bytes() >= 18);
        assert_eq!(
            format!("{p:?}"),
            r#"[("a", "short"), ("b", "ééééé"), ("c", "xyz")]"#
        );
    }

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
