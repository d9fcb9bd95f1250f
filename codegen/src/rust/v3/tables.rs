//! API 3.0 facts as constants, the error table, the codes and the mapping from the shared
//! engine's (API 2.0) errors.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use serde::Serialize;

use super::super::code::{Code, doc_lines, str_lit};
use super::super::names::shouty;
use crate::model::{Api, Tc3};

/// The facts of `protocol.json` as literals.
#[derive(Clone, Debug, Serialize)]
pub struct Consts {
    /// `(NAME, type, value, doc)` of every plain constant, in order.
    pub items: Vec<(String, Code, Code, String)>,
    /// The header names: `(NAME, value, doc)`.
    pub headers: Vec<(String, Code, Vec<String>)>,
}

fn lit(s: &str) -> Code {
    Code(str_lit(s).into_token_stream())
}

fn strs(v: &[String]) -> Code {
    let items = v.iter().map(|s| str_lit(s));
    Code(quote!(&[#(#items),*]))
}

fn konst(name: &str, ty: TokenStream, value: Code, doc: &str) -> (String, Code, Code, String) {
    (name.to_owned(), Code(ty), value, doc.to_owned())
}

/// The constants of the API's facts.
pub fn consts(api: &Api, t: &Tc3) -> Consts {
    let mut items = protocol_consts(api, t);
    items.extend(host_consts(t));
    items.extend(envelope_consts(t));
    let headers = t
        .headers
        .iter()
        .map(|h| {
            let mut doc = doc_lines(&h.doc);
            doc.push(String::new());
            doc.push(format!(
                "{}; {}.",
                if h.required { "Required" } else { "Optional" },
                if h.signed { "signed" } else { "not signed" }
            ));
            (shouty(&h.name), lit(&h.name), doc)
        })
        .collect();
    Consts { items, headers }
}

/// The product, version, path, content type, size and clock limits.
fn protocol_consts(api: &Api, t: &Tc3) -> Vec<(String, Code, Code, String)> {
    let p = &api.protocol;
    let num = |n: u64| Code(proc_macro2::Literal::u64_unsuffixed(n).into_token_stream());
    let str_ty = quote!(&str);
    vec![
        konst(
            "PRODUCT",
            str_ty.clone(),
            lit(&t.product),
            "The product: the service of the TC3 credential scope.",
        ),
        konst(
            "VERSION",
            str_ty.clone(),
            lit(&t.version),
            "The API version, sent as `X-TC-Version`.",
        ),
        konst("PATH", str_ty.clone(), lit(&p.path), "The request path."),
        konst(
            "CONTENT_TYPE",
            str_ty.clone(),
            lit(&t.content_type),
            "The content type of a request body and of every answer (without a charset).",
        ),
        konst(
            "MAX_REQUEST_BYTES",
            quote!(usize),
            num(p.max_request_bytes),
            "The largest POST body a server accepts (TC3-HMAC-SHA256), in bytes.",
        ),
        konst(
            "MAX_GET_REQUEST_BYTES",
            quote!(usize),
            num(t.max_get_request_bytes),
            "The largest GET request a server accepts, in bytes.",
        ),
        konst(
            "TIMESTAMP_SKEW_SECONDS",
            quote!(u64),
            num(p.timestamp_skew_seconds),
            "How far `X-TC-Timestamp` may be from the server's clock, in seconds.",
        ),
    ]
}

/// The hosts and regions.
fn host_consts(t: &Tc3) -> Vec<(String, Code, Code, String)> {
    let pairs = t.short_region_codes.iter().map(|(s, r)| {
        let (s, r) = (str_lit(s), str_lit(r));
        quote!((#s, #r))
    });
    let str_ty = quote!(&str);
    vec![
        konst(
            "HOST",
            str_ty.clone(),
            lit(&t.host),
            "The public host, for every region (the region travels in `X-TC-Region`).",
        ),
        konst(
            "REGIONAL_HOST",
            str_ty.clone(),
            lit(&t.regional_host),
            "The host nearest a region; `{region}` stands for the region's name.",
        ),
        konst(
            "INTERNATIONAL_HOST",
            str_ty.clone(),
            lit(&t.international_host),
            "The international site's host.",
        ),
        konst(
            "REGIONS",
            quote!(&[&str]),
            strs(&t.regions),
            "The regions where the API exists.",
        ),
        konst(
            "SHORT_REGION_CODES",
            quote!(&[(&str, &str)]),
            Code(quote!(&[#(#pairs),*])),
            "CMQ's short region codes (as in the data-plane hosts) and their API 3.0 names.",
        ),
        konst(
            "TDMQ_PUBLIC_HOST_PREFIX",
            str_ty.clone(),
            lit(&t.tdmq_public_host.0),
            "TDMQ's public data-plane hosts start with this, then the region code (`cmq-gz.public.tencenttdmq.com`).",
        ),
        konst(
            "TDMQ_PUBLIC_HOST_SUFFIX",
            str_ty.clone(),
            lit(&t.tdmq_public_host.1),
            "… and end with this.",
        ),
        konst(
            "TDMQ_VPC_HOST_SUFFIX",
            str_ty.clone(),
            lit(&t.tdmq_vpc_suffix),
            "TDMQ's VPC data-plane hosts are the region code followed by this.",
        ),
        konst(
            "LEGACY_HOST_SUFFIXES",
            quote!(&[&str]),
            strs(&t.legacy_suffixes),
            "The legacy CMQ hosts (no API 3.0 face) end with one of these.",
        ),
    ]
}

/// The signature method and the keys of the answer envelope.
fn envelope_consts(t: &Tc3) -> Vec<(String, Code, Code, String)> {
    let str_ty = quote!(&str);
    vec![
        konst(
            "SIGNATURE_METHOD",
            str_ty.clone(),
            lit(&default_signature(t)),
            "The signature method the SDK uses.",
        ),
        konst(
            "RESPONSE_KEY",
            str_ty.clone(),
            lit(&t.envelope[0]),
            "The envelope's object every answer is wrapped in.",
        ),
        konst(
            "ERROR_KEY",
            str_ty.clone(),
            lit(&t.envelope[1]),
            "The error object inside it.",
        ),
        konst(
            "CODE_KEY",
            str_ty.clone(),
            lit(&t.envelope[2]),
            "The error's code.",
        ),
        konst(
            "MESSAGE_KEY",
            str_ty.clone(),
            lit(&t.envelope[3]),
            "The error's message.",
        ),
        konst(
            "REQUEST_ID_KEY",
            str_ty.clone(),
            lit(&t.envelope[4]),
            "The request id, in every answer.",
        ),
    ]
}

fn default_signature(t: &Tc3) -> String {
    t.signature_methods
        .iter()
        .find(|(_, d, _)| *d)
        .map(|(n, _, _)| n.clone())
        .unwrap_or_default()
}

/// An API 3.0 error.
#[derive(Clone, Debug, Serialize)]
pub struct Error3 {
    /// Enum variant (= spec id).
    pub variant: String,
    /// Spec id literal.
    pub id_lit: Code,
    /// Code literal.
    pub code_lit: Code,
    /// Message literal.
    pub message_lit: Code,
    /// Doc lines.
    pub doc: Vec<String>,
}

/// The error table.
pub fn errors(api: &Api) -> Vec<Error3> {
    api.errors
        .iter()
        .map(|e| {
            let code = e.tc3_code().unwrap_or_default();
            Error3 {
                variant: e.id.clone(),
                id_lit: lit(&e.id),
                code_lit: lit(code),
                message_lit: lit(&e.message),
                doc: doc_lines(&format!("`{code}`: {}\n\n{}", e.message, e.doc)),
            }
        })
        .collect()
}

/// Every code: its literal, whether it is common, its doc literal.
pub fn codes(t: &Tc3) -> Vec<(Code, bool, Code)> {
    t.codes
        .iter()
        .map(|c| (lit(&c.code), c.common, lit(&c.doc)))
        .collect()
}

/// The mapping from API 2.0 errors, as match arms.
#[derive(Clone, Debug, Serialize)]
pub struct Mapping {
    /// `(action variant, API 2.0 variant, error variant)`: per-action exceptions.
    pub by_action: Vec<(String, String, String)>,
    /// `(API 2.0 variant, error variant)` for every API 2.0 error.
    pub by_id: Vec<(String, String)>,
}

/// The mapping's arms.
pub fn mapping(_api: &Api, t: &Tc3) -> Mapping {
    let by_action = t
        .from_v2
        .by_id
        .iter()
        .flat_map(|b| {
            b.actions
                .iter()
                .map(|(a, e)| (a.clone(), b.v2.clone(), e.clone()))
        })
        .collect();
    Mapping {
        by_action,
        by_id: t.from_v2.resolved.clone(),
    }
}
