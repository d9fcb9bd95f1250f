//! A fast path for decoding answers: a serde `Deserializer` over the plain JSON the service
//! sends (strings without escapes, integers, `true`/`false`/`null`, objects and arrays of
//! those), tried before `serde_json`.
//!
//! It is a shortcut, never a second opinion: anything outside that subset, and any error at all
//! (a missing field, a wrong type, a duplicate key), makes it give up with [`Bail`], and the
//! caller decodes the same body with `serde_json`, whose answer (value or error) is the one that
//! counts. When it succeeds, it yields exactly what `serde_json::from_slice` yields for the
//! same body: it checks the same grammar (a subset of it), hands visitors the same calls
//! (`visit_borrowed_str` for strings and keys, `visit_u64` for integers ≥ 0 and `visit_i64` for
//! negative ones, `visit_none`/`visit_some`, `visit_unit` for `null` and ignored values), and
//! gives up wherever `serde_json` would call anything else (floats, `-0`, integers beyond 64
//! bits, structs written as arrays, enums, bytes, `serde_json`'s private newtypes).
//!
//! Why it is faster: the body's UTF-8 is validated once instead of per string, strings are
//! scanned eight bytes at a time with no scratch buffer, and there is no error bookkeeping
//! (line and column) on the way. `cmq-sdk/benches/client_overhead.rs` measures it.

use serde::de::{self, DeserializeSeed, Visitor};

/// Why the fast path gave up: the body is outside its subset, or the target type refused it.
/// The caller then decodes with `serde_json`.
#[derive(Debug)]
pub(crate) struct Bail;

impl std::fmt::Display for Bail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("outside the fast path")
    }
}

impl std::error::Error for Bail {}

impl de::Error for Bail {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        Bail
    }
}

type Result<T> = std::result::Result<T, Bail>;

/// Nesting deeper than this gives up (`serde_json` has its own limit, 128, and decides).
const MAX_DEPTH: usize = 120;

/// Decodes `body` as `T` if it is plain JSON of the subset above and `T` accepts it; `None`
/// otherwise (the caller then uses `serde_json`, which gives the authoritative answer).
pub(crate) fn from_slice<'de, T: de::Deserialize<'de>>(body: &'de [u8]) -> Option<T> {
    let text = std::str::from_utf8(body).ok()?;
    let mut de = Reader {
        text,
        pos: 0,
        depth: 0,
    };
    let value = T::deserialize(&mut de).ok()?;
    de.skip_ws();
    (de.pos == text.len()).then_some(value)
}

/// Decodes `body` as `T`: through [`from_slice`] when it can, else (and for every error) with
/// `serde_json::from_slice`, whose result is then the answer.
pub(crate) fn decode<T: de::DeserializeOwned>(body: &[u8]) -> serde_json::Result<T> {
    match from_slice(body) {
        Some(value) => Ok(value),
        None => serde_json::from_slice(body),
    }
}

/// The reader: the whole body (valid UTF-8) and a byte position in it.
struct Reader<'de> {
    text: &'de str,
    pos: usize,
    depth: usize,
}

/// Bytes of eight lanes, each holding `b`.
const fn lanes(b: u8) -> u64 {
    0x0101_0101_0101_0101 * b as u64
}

impl<'de> Reader<'de> {
    fn bytes(&self) -> &'de [u8] {
        self.text.as_bytes()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes().get(self.pos).copied()
    }

    /// Skips JSON whitespace (space, tab, line feed, carriage return), as `serde_json` does.
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// The next byte after whitespace, consumed when it is `want`.
    fn eat(&mut self, want: u8) -> Result<()> {
        self.skip_ws();
        if self.peek() == Some(want) {
            self.pos += 1;
            Ok(())
        } else {
            Err(Bail)
        }
    }

    /// Consumes the literal `word` (`true`, `false`, `null`) at the current position.
    fn literal(&mut self, word: &[u8]) -> Result<()> {
        if self.bytes()[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(Bail)
        }
    }

    /// The string whose opening quote is at the current position, without its quotes. Gives up
    /// on an escape (`\`) or a control character (which JSON forbids in strings).
    fn string(&mut self) -> Result<&'de str> {
        let b = self.bytes();
        if b.get(self.pos) != Some(&b'"') {
            return Err(Bail);
        }
        let start = self.pos + 1;
        let end = special_byte(b, start).ok_or(Bail)?;
        if b[end] != b'"' {
            return Err(Bail);
        }
        self.pos = end + 1;
        // `start` and `end` sit next to ASCII quotes, so both are character boundaries.
        self.text.get(start..end).ok_or(Bail)
    }

    /// The integer at the current position, in `serde_json`'s grammar, as `serde_json` reports
    /// it: `Ok(Ok(u))` for ≥ 0, `Ok(Err(i))` for < 0. Gives up on fractions, exponents, `-0`
    /// and anything beyond 64 bits (where `serde_json` would produce a float).
    fn integer(&mut self) -> Result<std::result::Result<u64, i64>> {
        let b = self.bytes();
        let negative = b.get(self.pos) == Some(&b'-');
        let digits = self.pos + usize::from(negative);
        let mut i = digits;
        let mut value: u64 = 0;
        while let Some(d @ b'0'..=b'9') = b.get(i).copied() {
            value = value
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(d - b'0')))
                .ok_or(Bail)?;
            i += 1;
        }
        let len = i - digits;
        // No digits, a leading zero followed by digits, or a fraction or exponent: not ours.
        if len == 0
            || (len > 1 && b[digits] == b'0')
            || matches!(b.get(i), Some(b'.' | b'e' | b'E'))
        {
            return Err(Bail);
        }
        self.pos = i;
        if !negative {
            return Ok(Ok(value));
        }
        // `serde_json` turns `-0` and anything below i64::MIN into a float.
        let n = (value as i64).wrapping_neg();
        if value == 0 || n >= 0 {
            return Err(Bail);
        }
        Ok(Err(n))
    }

    /// Skips a number in the full JSON grammar (fractions and exponents too), as an ignored
    /// value.
    fn skip_number(&mut self) -> Result<()> {
        let b = self.bytes();
        let mut i = self.pos;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        let int = count_digits(b, i);
        if int == 0 || (int > 1 && b[i] == b'0') {
            return Err(Bail);
        }
        i += int;
        if b.get(i) == Some(&b'.') {
            let frac = count_digits(b, i + 1);
            if frac == 0 {
                return Err(Bail);
            }
            i += 1 + frac;
        }
        if let Some(b'e' | b'E') = b.get(i) {
            i += 1;
            if let Some(b'+' | b'-') = b.get(i) {
                i += 1;
            }
            let exp = count_digits(b, i);
            if exp == 0 {
                return Err(Bail);
            }
            i += exp;
        }
        self.pos = i;
        Ok(())
    }

    /// Skips any value of the subset (for ignored fields).
    fn skip_value(&mut self) -> Result<()> {
        self.skip_ws();
        match self.peek().ok_or(Bail)? {
            b'"' => self.string().map(drop),
            b'-' | b'0'..=b'9' => self.skip_number(),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            open @ (b'[' | b'{') => {
                self.enter()?;
                self.pos += 1;
                let close = if open == b'[' { b']' } else { b'}' };
                self.skip_ws();
                if self.peek() == Some(close) {
                    self.pos += 1;
                } else {
                    loop {
                        if open == b'{' {
                            self.skip_ws();
                            self.string()?;
                            self.eat(b':')?;
                        }
                        self.skip_value()?;
                        self.skip_ws();
                        match self.peek() {
                            Some(b',') => self.pos += 1,
                            Some(c) if c == close => {
                                self.pos += 1;
                                break;
                            }
                            _ => return Err(Bail),
                        }
                    }
                }
                self.depth -= 1;
                Ok(())
            }
            _ => Err(Bail),
        }
    }

    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Bail);
        }
        Ok(())
    }

    /// Runs `visitor.visit_map` on the object at the current position and checks its end.
    fn object<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value> {
        self.eat(b'{')?;
        self.enter()?;
        let value = visitor.visit_map(Entries {
            de: self,
            first: true,
        })?;
        self.eat(b'}')?;
        self.depth -= 1;
        Ok(value)
    }

    /// Runs `visitor.visit_seq` on the array at the current position and checks its end.
    fn array<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value> {
        self.eat(b'[')?;
        self.enter()?;
        let value = visitor.visit_seq(Entries {
            de: self,
            first: true,
        })?;
        self.eat(b']')?;
        self.depth -= 1;
        Ok(value)
    }

    fn number<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value> {
        self.skip_ws();
        match self.integer()? {
            Ok(u) => visitor.visit_u64(u),
            Err(i) => visitor.visit_i64(i),
        }
    }
}

/// The number of ASCII digits from `i` on.
fn count_digits(b: &[u8], i: usize) -> usize {
    b.get(i..).map_or(0, |rest| {
        rest.iter().take_while(|c| c.is_ascii_digit()).count()
    })
}

/// The index of the first `"`, `\` or control character (< 0x20) at or after `from`, eight bytes
/// at a time.
fn special_byte(b: &[u8], from: usize) -> Option<usize> {
    const HIGH: u64 = lanes(0x80);
    let mut i = from;
    while let Some(chunk) = b.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        let quote = w ^ lanes(b'"');
        let backslash = w ^ lanes(b'\\');
        // A lane is flagged when it is zero (quote, backslash) or below 0x20; the lowest flagged
        // lane is always a true one (borrows only carry upward).
        let found = ((quote.wrapping_sub(lanes(1)) & !quote)
            | (backslash.wrapping_sub(lanes(1)) & !backslash)
            | (w.wrapping_sub(lanes(0x20)) & !w))
            & HIGH;
        if found != 0 {
            return Some(i + (found.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    b.get(i..)?
        .iter()
        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
        .map(|p| i + p)
}

/// The entries of an object or the elements of an array.
struct Entries<'a, 'de> {
    de: &'a mut Reader<'de>,
    first: bool,
}

impl Entries<'_, '_> {
    /// Moves to the next entry: `Ok(false)` at the closing `close` (left for the caller to
    /// consume), `Ok(true)` before an entry.
    fn advance(&mut self, close: u8) -> Result<bool> {
        self.de.skip_ws();
        match self.de.peek() {
            Some(c) if c == close => Ok(false),
            Some(b',') if !self.first => {
                self.de.pos += 1;
                self.de.skip_ws();
                // A trailing comma is not JSON.
                if self.de.peek() == Some(close) {
                    return Err(Bail);
                }
                Ok(true)
            }
            Some(_) if self.first => {
                self.first = false;
                Ok(true)
            }
            _ => Err(Bail),
        }
    }
}

impl<'de> de::MapAccess<'de> for Entries<'_, 'de> {
    type Error = Bail;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        if !self.advance(b'}')? {
            return Ok(None);
        }
        let key = self.de.string()?;
        seed.deserialize(Key(key)).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        self.de.eat(b':')?;
        seed.deserialize(&mut *self.de)
    }
}

impl<'de> de::SeqAccess<'de> for Entries<'_, 'de> {
    type Error = Bail;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        if !self.advance(b']')? {
            return Ok(None);
        }
        seed.deserialize(&mut *self.de).map(Some)
    }
}

/// Methods that always give up (`serde_json` would call visitors the fast path does not).
macro_rules! bail {
    ($($method:ident)*) => {
        $(fn $method<V: Visitor<'de>>(self, _: V) -> Result<V::Value> {
            Err(Bail)
        })*
    };
}

impl<'de> de::Deserializer<'de> for &mut Reader<'de> {
    type Error = Bail;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.skip_ws();
        match self.peek().ok_or(Bail)? {
            b'"' => visitor.visit_borrowed_str(self.string()?),
            b'-' | b'0'..=b'9' => self.number(visitor),
            b'{' => self.object(visitor),
            b'[' => self.array(visitor),
            b't' => {
                self.literal(b"true")?;
                visitor.visit_bool(true)
            }
            b'f' => {
                self.literal(b"false")?;
                visitor.visit_bool(false)
            }
            b'n' => {
                self.literal(b"null")?;
                visitor.visit_unit()
            }
            _ => Err(Bail),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.skip_ws();
        match self.peek() {
            Some(b't') => {
                self.literal(b"true")?;
                visitor.visit_bool(true)
            }
            Some(b'f') => {
                self.literal(b"false")?;
                visitor.visit_bool(false)
            }
            _ => Err(Bail),
        }
    }

    fn deserialize_i8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.number(visitor)
    }
    fn deserialize_i16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.number(visitor)
    }
    fn deserialize_i32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.number(visitor)
    }
    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.number(visitor)
    }
    fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.number(visitor)
    }
    fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.number(visitor)
    }
    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.number(visitor)
    }
    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.number(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.skip_ws();
        visitor.visit_borrowed_str(self.string()?)
    }
    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_str(visitor)
    }
    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.skip_ws();
        if self.peek() == Some(b'n') {
            self.literal(b"null")?;
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        // `serde_json` gives its own private newtypes (RawValue, Number) special treatment.
        if name.starts_with("$serde_json") {
            return Err(Bail);
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.array(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.object(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        // `serde_json` also reads a struct from an array; that is left to it.
        self.object(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.skip_value()?;
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, _: &'static str, _: V) -> Result<V::Value> {
        Err(Bail)
    }
    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, _: V) -> Result<V::Value> {
        Err(Bail)
    }
    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: usize,
        _: V,
    ) -> Result<V::Value> {
        Err(Bail)
    }
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        _: V,
    ) -> Result<V::Value> {
        Err(Bail)
    }

    bail! {
        deserialize_f32 deserialize_f64 deserialize_char deserialize_bytes deserialize_byte_buf
        deserialize_unit
    }
}

/// An object's key: handed over as a borrowed string, as `serde_json` does for string-like
/// targets; any other use of a key gives up.
struct Key<'de>(&'de str);

impl<'de> de::Deserializer<'de> for Key<'de> {
    type Error = Bail;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_borrowed_str(self.0)
    }
    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_borrowed_str(self.0)
    }
    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_borrowed_str(self.0)
    }
    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_borrowed_str(self.0)
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, _: &'static str, _: V) -> Result<V::Value> {
        Err(Bail)
    }
    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: V,
    ) -> Result<V::Value> {
        Err(Bail)
    }
    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, _: V) -> Result<V::Value> {
        Err(Bail)
    }
    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: usize,
        _: V,
    ) -> Result<V::Value> {
        Err(Bail)
    }
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        _: V,
    ) -> Result<V::Value> {
        Err(Bail)
    }
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        _: V,
    ) -> Result<V::Value> {
        Err(Bail)
    }

    bail! {
        deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_f32
        deserialize_f64 deserialize_char deserialize_bytes deserialize_byte_buf deserialize_option
        deserialize_unit deserialize_seq deserialize_map deserialize_ignored_any
    }
}

#[cfg(test)]
mod tests;
