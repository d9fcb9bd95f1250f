//! A small Rust lexer for [`crate::literals`]: the code of a file with comments, string and char
//! literals and `#[cfg(test)]` items blanked out (line breaks kept, so line numbers stay), and the
//! integer literals of a line.

/// `text` with every comment, string, byte-string, raw-string and char literal, and every item
/// marked `#[cfg(test)]`, replaced by spaces; line breaks are kept.
pub fn code_only(text: &str) -> String {
    blank_test_items(&blank_comments_and_strings(text))
}

fn blank(out: &mut String, c: char) {
    out.push(if c == '\n' { '\n' } else { ' ' });
}

/// Comments and literals replaced by spaces.
fn blank_comments_and_strings(text: &str) -> String {
    let c: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < c.len() {
        let skip = match c[i] {
            '/' if c.get(i + 1) == Some(&'/') => line_comment(&c, i),
            '/' if c.get(i + 1) == Some(&'*') => block_comment(&c, i),
            '"' => string(&c, i + 1),
            'r' | 'b' if !ident_before(&c, i) => raw_or_byte_string(&c, i),
            '\'' => char_literal(&c, i),
            _ => None,
        };
        match skip {
            Some(end) => {
                for &ch in &c[i..end] {
                    blank(&mut out, ch);
                }
                i = end;
            }
            None => {
                out.push(c[i]);
                i += 1;
            }
        }
    }
    out
}

fn ident_before(c: &[char], i: usize) -> bool {
    i > 0 && (c[i - 1].is_alphanumeric() || c[i - 1] == '_')
}

fn line_comment(c: &[char], i: usize) -> Option<usize> {
    Some(
        c[i..]
            .iter()
            .position(|&x| x == '\n')
            .map_or(c.len(), |p| i + p),
    )
}

fn block_comment(c: &[char], mut i: usize) -> Option<usize> {
    let mut depth = 0;
    while i < c.len() {
        if c[i] == '/' && c.get(i + 1) == Some(&'*') {
            depth += 1;
            i += 2;
        } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return Some(i);
            }
        } else {
            i += 1;
        }
    }
    Some(c.len())
}

/// The end of a `"…"` string whose body starts at `i`.
fn string(c: &[char], mut i: usize) -> Option<usize> {
    while i < c.len() {
        match c[i] {
            '\\' => i += 2,
            '"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    Some(c.len())
}

/// `r"…"`, `r#"…"#`, `b"…"`, `br#"…"#`, `b'x'`; `None` when `c[i]` starts none of them.
fn raw_or_byte_string(c: &[char], i: usize) -> Option<usize> {
    let mut j = i;
    if c[j] == 'b' {
        j += 1;
        match c.get(j) {
            Some('"') => return string(c, j + 1),
            Some('\'') => return char_literal(c, j),
            Some('r') => {}
            _ => return None,
        }
    }
    // c[j] == 'r'
    j += 1;
    let hashes = c[j..].iter().take_while(|&&x| x == '#').count();
    if c.get(j + hashes) != Some(&'"') {
        return None;
    }
    let mut k = j + hashes + 1;
    while k < c.len() {
        if c[k] == '"'
            && c[k + 1..]
                .iter()
                .take(hashes)
                .filter(|&&x| x == '#')
                .count()
                == hashes
        {
            return Some(k + 1 + hashes);
        }
        k += 1;
    }
    Some(c.len())
}

/// A char literal (`'a'`, `'\n'`, `'\u{1F600}'`) starting at `i`; `None` for a lifetime.
fn char_literal(c: &[char], i: usize) -> Option<usize> {
    match c.get(i + 1) {
        Some('\\') => {
            let close = c[i + 2..].iter().position(|&x| x == '\'')?;
            Some(i + 2 + close + 1)
        }
        Some(_) if c.get(i + 2) == Some(&'\'') => Some(i + 3),
        _ => None,
    }
}

/// Items after a `#[cfg(test)]` attribute (up to their `;` or their closing brace) blanked.
fn blank_test_items(code: &str) -> String {
    const ATTR: &str = "#[cfg(test)]";
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(at) = rest.find(ATTR) {
        out.push_str(&rest[..at]);
        let item = &rest[at..];
        let end = item_end(item);
        for ch in item[..end].chars() {
            blank(&mut out, ch);
        }
        rest = &item[end..];
    }
    out.push_str(rest);
    out
}

/// The length of the item starting at `item` (attribute included): up to the first `;` outside
/// braces, or to the brace closing the first `{`.
fn item_end(item: &str) -> usize {
    let mut depth = 0usize;
    for (i, ch) in item.char_indices() {
        match ch {
            '{' => depth += 1,
            '}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1;
                }
            }
            ';' if depth == 0 => return i + 1,
            _ => {}
        }
    }
    item.len()
}

/// The integer literals of a line of code (`345_600`, `7000u64`; hexadecimal, octal and binary
/// literals and the digits inside identifiers are not numbers here).
pub fn integers(line: &str) -> Vec<u64> {
    let c: Vec<char> = line.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        let starts = c[i].is_ascii_digit() && !(ident_before(&c, i) || (i > 0 && c[i - 1] == '.'));
        if !starts {
            i += 1;
            continue;
        }
        let radix = c[i] == '0' && matches!(c.get(i + 1), Some('x' | 'o' | 'b'));
        let mut j = i;
        while j < c.len() && (c[j].is_alphanumeric() || c[j] == '_') {
            j += 1;
        }
        if !radix {
            let digits: String = c[i..j]
                .iter()
                .take_while(|x| x.is_ascii_digit() || **x == '_')
                .filter(|x| x.is_ascii_digit())
                .collect();
            if let Ok(n) = digits.parse() {
                out.push(n);
            }
        }
        i = j;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_of_a_line() {
        assert_eq!(
            integers("let x = 345_600 + 7000u64 * a1 + 0x10 + v.0 + 1.5;"),
            [345_600, 7_000, 1]
        );
    }

    #[test]
    fn literals_and_comments_are_blanked() {
        let src = "a /* 1 /* 2 */ 3 */ b // 4\n\"5\\\"6\" r#\"7\"# b\"8\" '9' '\\n' x<'a>";
        let got = code_only(src);
        assert_eq!(got.lines().count(), 2);
        assert!(!got.chars().any(|c| c.is_ascii_digit()), "{got:?}");
        assert!(got.contains("x<'a>"), "{got:?}");
    }
}
