//! The dashboard: a static page at `/_mock/ui/` that shows and drives the mock through the
//! admin JSON API, nothing else.
//!
//! Three hand-written files (`assets/index.html`, `assets/dashboard.css`,
//! `assets/dashboard.js`; no framework, no build step) are embedded in the binary with
//! `include_bytes!`, so the dashboard works offline and needs nothing installed. The page
//! polls the admin routes once a second while it is visible (never while the tab is hidden),
//! and every action it offers is an admin route: it has no power the admin API lacks.
//!
//! Serving rules:
//! * only where the admin API is served (`--admin off` turns the dashboard off too: 404);
//! * the `Host`, `Origin` and `Sec-Fetch-Site` checks of every admin request
//!   ([`crate::server::guard::check_page`]); not the token, which a browser cannot send when
//!   it opens a page: with `--admin-token` the page asks for it, keeps it in `sessionStorage`
//!   and sends it as `Authorization: Bearer …` with each of its admin calls;
//! * `GET` and `HEAD` only (others answer 405);
//! * a strict Content-Security-Policy ([`CSP`]: only the mock's own scripts, styles and
//!   connections, no inline script, no framing), `X-Content-Type-Options: nosniff`, exact
//!   content types, and `Cache-Control: no-cache` with an `ETag` (the hash of the file, computed
//!   at compile time), so a browser revalidates and gets `304 Not Modified` until the binary
//!   changes.
//!
//! To change the dashboard, edit the files in `assets/` and rebuild; the tests in
//! `tests/dashboard_http.rs` (headers) and `tests/dashboard_browser.rs` (headless Chromium)
//! check it.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{
    ALLOW, CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, HeaderMap, HeaderValue,
    IF_NONE_MATCH, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use hyper::{Method, Response, StatusCode};

/// The dashboard's path; `/_mock/ui` (no slash) serves the page too.
pub const UI_PATH: &str = "/_mock/ui/";

/// The Content-Security-Policy of every dashboard file.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// One embedded file.
struct Asset {
    /// Its name under [`UI_PATH`] (`""` for the page).
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
    /// `"…"`: the FNV-1a hash of the body.
    etag: &'static str,
}

/// FNV-1a, 64 bits, at compile time (an ETag needs a fingerprint, not a cryptographic hash).
const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    hash
}

/// Hex digits of a 64-bit hash.
const DIGITS: usize = 2 * std::mem::size_of::<u64>();

/// `"` + the hash's lower-case hex digits + `"`, at compile time.
const fn etag_of(bytes: &[u8]) -> [u8; DIGITS + 2] {
    const HEX: &[u8] = b"0123456789abcdef";
    let hash = fnv1a(bytes);
    let mut out = [b'"'; DIGITS + 2];
    let mut i = 0;
    while i < DIGITS {
        out[1 + i] = HEX[((hash >> ((DIGITS - 1 - i) * 4)) & 0xf) as usize];
        i += 1;
    }
    out
}

macro_rules! asset {
    ($name:literal, $file:literal, $type:literal) => {{
        const BODY: &[u8] = include_bytes!(concat!("assets/", $file));
        const TAG: [u8; DIGITS + 2] = etag_of(BODY);
        Asset {
            name: $name,
            content_type: $type,
            body: BODY,
            etag: match std::str::from_utf8(&TAG) {
                Ok(s) => s,
                Err(_) => panic!("an ETag is ASCII"),
            },
        }
    }};
}

const ASSETS: &[Asset] = &[
    asset!("", "index.html", "text/html; charset=utf-8"),
    asset!(
        "dashboard.js",
        "dashboard.js",
        "text/javascript; charset=utf-8"
    ),
    asset!("dashboard.css", "dashboard.css", "text/css; charset=utf-8"),
];

/// True for the paths the dashboard serves (any other admin path is a JSON route).
pub(crate) fn is_ui_path(path: &str) -> bool {
    path == UI_PATH.trim_end_matches('/') || path.starts_with(UI_PATH)
}

fn find(path: &str) -> Option<&'static Asset> {
    let name = path.strip_prefix(UI_PATH).unwrap_or("");
    let name = if name == "index.html" { "" } else { name };
    ASSETS.iter().find(|a| a.name == name)
}

/// The headers every dashboard answer carries.
fn secure(mut r: Response<Full<Bytes>>) -> Response<Full<Bytes>> {
    let h = r.headers_mut();
    h.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    r
}

fn plain(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    secure(r)
}

/// The answer to a request for a dashboard file (the caller checked that the admin API is on
/// and that the request passes [`crate::server::guard::check_page`]).
pub(crate) fn respond(method: &Method, path: &str, headers: &HeaderMap) -> Response<Full<Bytes>> {
    if method != Method::GET && method != Method::HEAD {
        let mut r = plain(
            StatusCode::METHOD_NOT_ALLOWED,
            "the dashboard's files answer GET and HEAD only\n",
        );
        r.headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    let Some(asset) = find(path) else {
        return plain(StatusCode::NOT_FOUND, "no such dashboard file\n");
    };
    let fresh = headers
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim() == asset.etag || t.trim() == "*")
        });
    let (status, body) = if fresh {
        (StatusCode::NOT_MODIFIED, Bytes::new())
    } else if method == Method::HEAD {
        (StatusCode::OK, Bytes::new())
    } else {
        (StatusCode::OK, Bytes::from_static(asset.body))
    };
    let mut r = Response::new(Full::new(body));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(ETAG, HeaderValue::from_static(asset.etag));
    secure(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_the_embedded_files() {
        assert!(is_ui_path("/_mock/ui"));
        assert!(is_ui_path("/_mock/ui/"));
        assert!(is_ui_path("/_mock/ui/dashboard.js"));
        assert!(!is_ui_path("/_mock/uix"));
        assert!(!is_ui_path("/_mock/queues"));
        assert_eq!(find("/_mock/ui").map(|a| a.name), Some(""));
        assert_eq!(find("/_mock/ui/index.html").map(|a| a.name), Some(""));
        assert_eq!(
            find("/_mock/ui/dashboard.css").map(|a| a.content_type),
            Some("text/css; charset=utf-8")
        );
        assert!(find("/_mock/ui/../mod.rs").is_none());
    }

    #[test]
    fn etags_are_quoted_hex_fingerprints() {
        for a in ASSETS {
            assert_eq!(a.etag.len(), 18);
            assert!(a.etag.starts_with('"') && a.etag.ends_with('"'));
            assert!(a.etag[1..17].bytes().all(|b| b.is_ascii_hexdigit()));
            assert_eq!(a.etag, format!("\"{:016x}\"", fnv1a(a.body)));
        }
        assert_ne!(ASSETS[0].etag, ASSETS[1].etag);
        // FNV-1a's published test vector.
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn the_page_loads_its_script_and_styles_from_the_mock_only() {
        let html = std::str::from_utf8(ASSETS[0].body).expect("utf-8");
        assert!(html.contains(r#"<script src="/_mock/ui/dashboard.js" defer></script>"#));
        assert!(html.contains(r#"href="/_mock/ui/dashboard.css""#));
        // No inline script (the CSP would block it) and nothing from elsewhere.
        assert_eq!(html.matches("<script").count(), 1);
        assert!(!html.contains("http://") && !html.contains("https://"));
        assert!(!html.contains("onclick=") && !html.contains("onload="));
    }
}
