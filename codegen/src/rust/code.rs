//! Code fragments as token trees: [`Code`] wraps a `proc_macro2::TokenStream` built with
//! `quote!` and serializes as its text, so the templates can place it; the literal helpers
//! spell values the way the generated files always have.

use std::fmt;
use std::str::FromStr;

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{ToTokens, quote};
use serde::{Serialize, Serializer};

/// A Rust fragment (expression, statement, type, path, attribute) built as tokens.
#[derive(Clone, Default)]
pub struct Code(pub TokenStream);

impl Code {
    /// The fragment as text (what templates place).
    pub fn text(&self) -> String {
        self.0.to_string()
    }

    /// True when it holds no tokens.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<TokenStream> for Code {
    fn from(t: TokenStream) -> Self {
        Code(t)
    }
}

impl ToTokens for Code {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        self.0.to_tokens(tokens);
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`", self.text())
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text())
    }
}

/// An identifier.
pub fn ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

/// A string literal.
pub fn str_lit(s: &str) -> Literal {
    Literal::string(s)
}

/// A literal from its exact spelling (`65536_usize`).
fn spelled(text: &str) -> TokenStream {
    TokenStream::from_str(text).unwrap_or_else(|_| quote!(compile_error!("bad literal")))
}

/// An unsuffixed integer literal.
pub fn int(v: i64) -> TokenStream {
    if v == i64::MIN {
        quote!(i64::MIN)
    } else {
        Literal::i64_unsuffixed(v).into_token_stream()
    }
}

/// `Some(v)` or `None` for an integer bound.
pub fn opt_i64(v: Option<i64>) -> TokenStream {
    match v {
        None => quote!(None),
        Some(x) => {
            let x = int(x);
            quote!(Some(#x))
        }
    }
}

/// `Some(n_usize)` or `None` for a length or count.
pub fn opt_usize(v: Option<u64>) -> TokenStream {
    match v {
        None => quote!(None),
        Some(x) => {
            let x = spelled(&format!("{x}_usize"));
            quote!(Some(#x))
        }
    }
}

/// A character literal.
pub fn char_lit(c: char) -> Literal {
    Literal::character(c)
}

/// `&[('a', 'z'), …]` for character ranges.
pub fn ranges(class: &[(char, char)]) -> TokenStream {
    let items = class.iter().map(|&(a, b)| {
        let (a, b) = (char_lit(a), char_lit(b));
        quote!((#a, #b))
    });
    quote!(&[#(#items),*])
}

/// A doc text split into `///` lines.
pub fn doc_lines(s: &str) -> Vec<String> {
    s.lines().map(|l| l.trim_end().to_owned()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_are_spelled_like_the_generated_files() {
        assert_eq!(opt_usize(Some(64)).to_string(), "Some (64_usize)");
        assert_eq!(opt_i64(Some(-5)).to_string(), "Some (- 5)");
        assert_eq!(opt_i64(Some(i64::MIN)).to_string(), "Some (i64 :: MIN)");
        assert_eq!(opt_i64(None).to_string(), "None");
        assert_eq!(
            ranges(&[('A', 'Z'), ('\t', '\t')]).to_string(),
            "& [('A' , 'Z') , ('\\t' , '\\t')]"
        );
        assert_eq!(str_lit("a\"b").to_string(), "\"a\\\"b\"");
        let c = Code(quote!(x.y()));
        assert_eq!(
            serde_json::to_string(&c).unwrap_or_default(),
            "\"x . y ()\""
        );
    }
}
