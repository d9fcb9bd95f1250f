//! Structure-aware generators (parameter names the service knows, boundary numbers, texts that
//! stress encodings, lists with odd indices, JSON of every shape) and mutators of real requests
//! from the conformance corpus (`spec/conformance/`). Everything draws from one seeded
//! [`fastrand::Rng`], so a case is replayed from its seed.

use cmq_sdk::Action;
use cmq_sdk::constraints::{ParamKind, ParamSpec};
use serde_json::Value;

/// Parameters, in order.
pub type Pairs = Vec<(String, String)>;

/// The common parameters every request may carry.
pub const COMMON: &[&str] = &[
    "Action",
    "SecretId",
    "Timestamp",
    "Nonce",
    "Signature",
    "SignatureMethod",
    "Token",
    "RequestClient",
    "clientRequestId",
    "Region",
    "UserpollingWaitSeconds",
];

/// Texts that stress the parsers: separators, encodings, `@`, unicode, control characters.
const NASTY: &[&str] = &[
    "",
    " ",
    "&",
    "=",
    "+",
    "%",
    "%2",
    "%zz",
    "%00",
    "%FF",
    "%E4%BD",
    ".",
    "_",
    "..",
    "@file",
    "@",
    "é",
    "你好",
    "😀",
    "\u{0}",
    "\u{7f}",
    "\r\n",
    "\"",
    "'",
    "\\",
    "{",
    "}",
    "[",
    "]",
    "null",
    "true",
    "-",
    "0x10",
    "1e3",
    "NaN",
    "AKID",
    "AKIDcmqmockdefault",
];

/// A seeded source of fuzz inputs.
pub struct Gen {
    rng: fastrand::Rng,
}

impl Gen {
    /// A generator replaying `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            rng: fastrand::Rng::with_seed(seed),
        }
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.rng.f64() < p
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { self.rng.usize(..n) }
    }

    /// A raw 64-bit number.
    pub fn u64(&mut self) -> u64 {
        self.rng.u64(..)
    }

    /// One of `items` (which must not be empty).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// Random bytes, any value, up to `max` of them.
    pub fn bytes(&mut self, max: usize) -> Vec<u8> {
        let n = self.below(max + 1);
        (0..n).map(|_| self.rng.u8(..)).collect()
    }

    /// A text mixing ASCII, the nasty pieces and unicode, up to about `max` characters.
    pub fn text(&mut self, max: usize) -> String {
        let n = self.below(max + 1);
        let mut s = String::new();
        while s.chars().count() < n {
            match self.below(4) {
                0 => {
                    let t = *self.pick(NASTY);
                    s.push_str(t);
                }
                1 => s.push(char::from(self.rng.u8(0x20..0x7f))),
                2 => s.push(self.rng.char('\u{80}'..='\u{10ffff}')),
                _ => s.push(char::from(self.rng.u8(b'a'..=b'z'))),
            }
        }
        s
    }

    /// A text of exactly `n` repeated characters (`x` or a two-byte one).
    pub fn long_text(&mut self, n: usize) -> String {
        let c = if self.chance(0.5) { "x" } else { "é" };
        c.repeat(n)
    }

    /// An integer as text: boundaries, signs, spaces, overflow, junk.
    pub fn number_text(&mut self, min: Option<i64>, max: Option<i64>) -> String {
        let lo = min.unwrap_or(0);
        let hi = max.unwrap_or(1000);
        match self.below(12) {
            0 => lo.to_string(),
            1 => hi.to_string(),
            2 => lo.saturating_sub(1).to_string(),
            3 => hi.saturating_add(1).to_string(),
            4 => i64::MAX.to_string(),
            5 => i64::MIN.to_string(),
            6 => "18446744073709551616".to_owned(),
            7 => format!(" {}", self.rng.i64(lo..=hi.max(lo))),
            8 => format!("+{}", self.rng.i64(lo..=hi.max(lo))),
            9 => "9".repeat(self.below(60)),
            10 => self.text(6),
            _ => self.rng.i64(lo..=hi.max(lo)).to_string(),
        }
    }

    /// A parameter name: a known one (maybe as a list item with an odd index, or spelled the
    /// way PHP merges it) or a random text.
    pub fn name(&mut self, known: &[&str]) -> String {
        let base = if known.is_empty() || self.chance(0.1) {
            self.text(12)
        } else {
            (*self.pick(known)).to_owned()
        };
        match self.below(10) {
            0 => format!("{base}.{}", self.index()),
            1 => format!("{base}_{}", self.index()),
            2 => base.replace('.', "_"),
            _ => base,
        }
    }

    /// A list index: small, large, zero, or not a number.
    pub fn index(&mut self) -> String {
        match self.below(6) {
            0 => "0".into(),
            1 => "18446744073709551616".into(),
            2 => self.text(3),
            _ => self.below(20).to_string(),
        }
    }

    /// A value shaped for `spec`: in and around its bounds (names of existing resources often).
    pub fn value_for(&mut self, spec: &ParamSpec) -> String {
        if self.chance(0.1) {
            return self.text(40);
        }
        if spec.wire.ends_with("Name") && self.chance(0.6) {
            return (*self.pick(&["q0", "q1", "orders", "t0", "t1", "s0"])).to_owned();
        }
        match spec.kind {
            ParamKind::Int => self.number_text(spec.min, spec.max),
            // Bool, Object and ObjectList are API 3.0's kinds (JSON bodies); shaped like JSON
            // here should an API 2.0 parameter ever use them.
            ParamKind::Bool => (*self.pick(&["true", "false", "1", "0", "yes"])).to_owned(),
            ParamKind::Json | ParamKind::Object | ParamKind::ObjectList => {
                if self.chance(0.8) {
                    self.json(3).to_string()
                } else {
                    self.text(30)
                }
            }
            ParamKind::String | ParamKind::StringList => {
                if !spec.one_of.is_empty() && self.chance(0.5) {
                    return self.pick(spec.one_of).to_string();
                }
                // At and just past the length limit now and then (rarely for the 1 MiB ones).
                let at_limit = self.below(8) < 2
                    && spec
                        .max_len
                        .is_some_and(|m| m <= 65_536 || self.chance(0.05));
                match spec.max_len {
                    Some(m) if at_limit => {
                        let past = usize::from(self.chance(0.5));
                        self.long_text(m + past)
                    }
                    _ => self.text(24),
                }
            }
        }
    }

    /// The parameters of `action`, shaped by its specs, with some common ones and junk.
    pub fn params_for(&mut self, action: Action) -> Pairs {
        let mut p: Pairs = Vec::new();
        if self.chance(0.9) {
            p.push(("Action".into(), action.as_str().into()));
        }
        for spec in action.params() {
            if !self.chance(0.8) {
                continue;
            }
            if spec.kind == ParamKind::StringList && self.chance(0.8) {
                let base = self.below(3);
                let n = self.below(20);
                for i in 0..n {
                    let gap = usize::from(self.chance(0.05));
                    let item = self.value_for(spec);
                    p.push((format!("{}.{}", spec.wire, base + i + gap), item));
                }
            } else {
                let v = self.value_for(spec);
                p.push((spec.wire.to_owned(), v));
            }
        }
        for _ in 0..self.below(3) {
            let n = self.name(COMMON);
            let v = self.text(20);
            p.push((n, v));
        }
        p
    }

    /// A JSON value of any shape, up to `depth` levels.
    pub fn json(&mut self, depth: usize) -> Value {
        match self.below(if depth == 0 { 5 } else { 7 }) {
            0 => Value::Null,
            1 => Value::Bool(self.chance(0.5)),
            2 => serde_json::json!(self.number_text(None, None).parse::<i64>().unwrap_or(-1)),
            3 => serde_json::json!(self.rng.f64() * 1e20 - 5e19),
            4 => Value::String(self.text(16)),
            5 => Value::Array((0..self.below(4)).map(|_| self.json(depth - 1)).collect()),
            _ => {
                let mut m = serde_json::Map::new();
                for _ in 0..self.below(5) {
                    let k = self.text(8);
                    m.insert(k, self.json(depth - 1));
                }
                Value::Object(m)
            }
        }
    }

    /// `bytes` as a form value or name: raw, percent-encoded (fully or partly), `+` for
    /// spaces, or with a broken `%` sequence.
    pub fn encode(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mode = self.below(5);
        let mut out = Vec::with_capacity(bytes.len() * 2);
        for &b in bytes {
            let escape = match mode {
                0 => false,
                1 => true,
                _ => {
                    matches!(b, b'&' | b'=' | b'%' | b'+')
                        || (!b.is_ascii_graphic() && self.chance(0.9))
                }
            };
            if b == b' ' && mode == 2 {
                out.push(b'+');
            } else if escape {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.extend_from_slice(&[b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
            } else {
                out.push(b);
            }
        }
        if mode == 4 && self.chance(0.3) {
            out.extend_from_slice(b"%4");
        }
        out
    }

    /// `bytes` encoded so that it decodes back to itself (what a correct client sends):
    /// separators, `%`, `+` and non-graphic bytes escaped, others escaped at random, spaces as
    /// `+` or `%20`.
    pub fn encode_exact(&mut self, bytes: &[u8]) -> Vec<u8> {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        let mut out = Vec::with_capacity(bytes.len() * 2);
        let all = self.chance(0.2);
        for &b in bytes {
            if b == b' ' && self.chance(0.5) {
                out.push(b'+');
            } else if all
                || matches!(b, b'&' | b'=' | b'%' | b'+' | b'#')
                || !b.is_ascii_graphic()
                || self.chance(0.05)
            {
                out.extend_from_slice(&[b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
            } else {
                out.push(b);
            }
        }
        out
    }

    /// Pairs as a form body that decodes back to exactly them.
    pub fn form_exact(&mut self, pairs: &[(String, String)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (i, (k, v)) in pairs.iter().enumerate() {
            if i > 0 {
                out.push(b'&');
            }
            out.extend(self.encode_exact(k.as_bytes()));
            out.push(b'=');
            out.extend(self.encode_exact(v.as_bytes()));
        }
        out
    }

    /// Pairs as a form body: encoded, joined with `&` (sometimes doubled), an `=` sometimes
    /// missing.
    pub fn form(&mut self, pairs: &[(String, String)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (i, (k, v)) in pairs.iter().enumerate() {
            if i > 0 {
                out.push(b'&');
                if self.chance(0.02) {
                    out.push(b'&');
                }
            }
            out.extend(self.encode(k.as_bytes()));
            if !(v.is_empty() && self.chance(0.5)) {
                out.push(b'=');
                out.extend(self.encode(v.as_bytes()));
            }
        }
        out
    }

    /// Mutates parameters: drop, duplicate, swap, rename, revalue, add junk.
    pub fn mutate_pairs(&mut self, p: &mut Pairs) {
        for _ in 0..=self.below(3) {
            let n = p.len();
            match self.below(7) {
                0 if n > 0 => {
                    p.remove(self.below(n));
                }
                1 if n > 0 => {
                    let dup = p[self.below(n)].clone();
                    p.insert(self.below(n + 1), dup);
                }
                2 if n > 1 => {
                    let (a, b) = (self.below(n), self.below(n));
                    p.swap(a, b);
                }
                3 if n > 0 => {
                    let i = self.below(n);
                    p[i].0 = self.name(COMMON);
                }
                4 if n > 0 => {
                    let i = self.below(n);
                    p[i].1 = if self.chance(0.5) {
                        self.number_text(None, None)
                    } else {
                        self.text(40)
                    };
                }
                _ => {
                    let k = self.name(COMMON);
                    let v = self.text(20);
                    p.push((k, v));
                }
            }
        }
    }

    /// Mutates bytes: flips, inserts, deletes, splices in separators.
    pub fn mutate_bytes(&mut self, b: &mut Vec<u8>) {
        for _ in 0..=self.below(4) {
            let n = b.len();
            match self.below(5) {
                0 if n > 0 => {
                    let i = self.below(n);
                    b[i] ^= 1 << self.below(8);
                }
                1 => {
                    let i = self.below(n + 1);
                    let v = *self.pick(&[b'&', b'=', b'%', b'+', b'.', 0xff, 0xc3, b'@']);
                    b.insert(i, v);
                }
                2 if n > 0 => {
                    let i = self.below(n);
                    let len = self.below(n - i + 1);
                    b.drain(i..i + len);
                }
                3 if n > 0 => {
                    let i = self.below(n);
                    b.truncate(i);
                }
                _ => {
                    let extra = self.bytes(8);
                    let i = self.below(n + 1);
                    b.splice(i..i, extra);
                }
            }
        }
    }
}

/// Real requests from the conformance corpus: their action (when known) and parameters.
pub struct Corpus {
    /// `(action, parameters)` of every request, malformed and derived case.
    pub cases: Vec<(Option<Action>, Pairs)>,
}

impl Corpus {
    /// Reads `requests.json`, `malformed.json` and the derived cases of every profile
    /// (`generated/boundaries.<profile>.json`).
    pub fn load() -> Self {
        let mut cases = Vec::new();
        for file in [
            "spec/conformance/requests.json",
            "spec/conformance/malformed.json",
            "spec/conformance/generated/boundaries.tdmq.json",
            "spec/conformance/generated/boundaries.legacy.json",
        ] {
            let doc = cmq_conformance::load(file);
            for c in cmq_conformance::cases(&doc) {
                let action = Action::from_wire(cmq_conformance::text(c, "action"));
                let params = match &c["params"] {
                    Value::Array(_) => cmq_conformance::pairs_of(&c["params"]),
                    Value::Object(m) => m
                        .iter()
                        .map(|(k, v)| (k.clone(), cmq_conformance::expand(v)))
                        .collect(),
                    _ => continue,
                };
                let action = action.or_else(|| {
                    params
                        .iter()
                        .find(|(k, _)| k == "Action")
                        .and_then(|(_, v)| Action::from_wire(v))
                });
                cases.push((action, params));
            }
        }
        Self { cases }
    }

    /// A case at random (its parameters mutated with probability `p`).
    pub fn pick(&self, g: &mut Gen, p: f64) -> (Option<Action>, Pairs) {
        if self.cases.is_empty() {
            return (None, Vec::new());
        }
        let (a, mut pairs) = self.cases[g.below(self.cases.len())].clone();
        if g.chance(p) {
            g.mutate_pairs(&mut pairs);
        }
        (a, pairs)
    }

    /// Like [`Corpus::pick`], with every value cut to at most `max` bytes (the corpus holds
    /// values up to 1 MiB, which the byte-level targets need not see every time).
    pub fn pick_small(&self, g: &mut Gen, p: f64, max: usize) -> (Option<Action>, Pairs) {
        let (a, mut pairs) = self.pick(g, p);
        for (_, v) in &mut pairs {
            if v.len() > max {
                let mut n = max;
                while !v.is_char_boundary(n) {
                    n -= 1;
                }
                v.truncate(n);
            }
        }
        (a, pairs)
    }
}
