//! Who may reach the admin API. The admin routes can wipe every queue or stall every call, so a
//! web page must not be able to drive them through the user's browser:
//!
//! * **Host** (DNS rebinding): the `Host` header must name the mock itself: `localhost`,
//!   `127.0.0.1`, `[::1]`, the listen address, or a name listed in [`AdminAccess::hosts`] (`*`
//!   accepts any), with the port the mock listens on (80 when the header has none).
//! * **Origin** (cross-site requests): an `Origin` header, when present, must be the mock's own
//!   origin, `http://` followed by that `Host`; a `Sec-Fetch-Site` of `cross-site` or `same-site`
//!   is refused too (another port on localhost is same-site, not same-origin).
//! * **State-changing calls** (any method but GET, HEAD and OPTIONS) must carry
//!   `Content-Type: application/json` or an `X-CMQ-Mock` header: a page can send neither
//!   without a CORS preflight, which the mock never grants, so a `text/plain` form post cannot
//!   reach them.
//! * **Token**: with [`AdminAccess::token`] set, every admin request must carry
//!   `Authorization: Bearer TOKEN`.
//!
//! Refusals answer 403 (401 for a missing or wrong token, 415 for the content type) with a JSON
//! `{"error": "…"}` and change nothing. [`AdminAccess::enabled`] `false` turns every `/_mock/`
//! route off (404).

use std::net::SocketAddr;

use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST, HeaderMap};
use hyper::{Method, StatusCode};

/// The header that marks a state-changing admin call as intended (instead of a JSON content
/// type).
pub const ADMIN_HEADER: &str = "x-cmq-mock";

/// Who may reach the admin API (`/_mock/…`). In JSON (a config file's `"admin"`), every field
/// is optional.
#[derive(Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdminAccess {
    /// Serve the admin API at all (default true).
    pub enabled: bool,
    /// When set, every admin request must send `Authorization: Bearer <token>`.
    pub token: Option<String>,
    /// Host names accepted besides the loopback names and the listen address (compared
    /// ignoring case, without the port); `*` accepts any host name.
    pub hosts: Vec<String>,
}

impl Default for AdminAccess {
    fn default() -> Self {
        Self {
            enabled: true,
            token: None,
            hosts: Vec::new(),
        }
    }
}

impl std::fmt::Debug for AdminAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminAccess")
            .field("enabled", &self.enabled)
            .field(
                "token",
                &self.token.as_ref().map(|_| crate::journal::REDACTED),
            )
            .field("hosts", &self.hosts)
            .finish()
    }
}

/// Why an admin request is refused: the status and the message of its JSON body.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub(crate) status: StatusCode,
    pub(crate) message: String,
}

fn refuse(status: StatusCode, message: impl Into<String>) -> Result<(), Refusal> {
    Err(Refusal {
        status,
        message: message.into(),
    })
}

/// Splits a `Host` value into its lower-cased name (IPv6 literals keep their brackets) and port.
fn split_host(host: &str) -> Option<(String, Option<u16>)> {
    let host = host.trim();
    let (name, port) = if host.starts_with('[') {
        let end = host.find(']')?;
        let rest = &host[end + 1..];
        let port = match rest.strip_prefix(':') {
            Some(p) => Some(p.parse().ok()?),
            None if rest.is_empty() => None,
            None => return None,
        };
        (&host[..=end], port)
    } else {
        match host.rsplit_once(':') {
            Some((n, p)) => (n, Some(p.parse().ok()?)),
            None => (host, None),
        }
    };
    if name.is_empty() {
        return None;
    }
    Some((name.to_ascii_lowercase(), port))
}

/// The `Host` names of `addr`'s IP as a client would write it.
fn addr_name(addr: SocketAddr) -> Option<String> {
    let ip = addr.ip();
    if ip.is_unspecified() {
        return None;
    }
    Some(match ip {
        std::net::IpAddr::V4(v4) => v4.to_string(),
        std::net::IpAddr::V6(v6) => format!("[{v6}]"),
    })
}

fn host_allowed(access: &AdminAccess, addr: Option<SocketAddr>, host: &str) -> bool {
    if access.hosts.iter().any(|h| h == "*") {
        return true;
    }
    let Some((name, port)) = split_host(host) else {
        return false;
    };
    if let Some(a) = addr {
        if port.unwrap_or(80) != a.port() {
            return false;
        }
    }
    ["localhost", "127.0.0.1", "[::1]"].contains(&name.as_str())
        || addr.and_then(addr_name).is_some_and(|n| n == name)
        || access.hosts.iter().any(|h| h.eq_ignore_ascii_case(&name))
}

fn header(headers: &HeaderMap, name: impl hyper::header::AsHeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Compares without an early exit on the first difference.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn is_json(content_type: &str) -> bool {
    content_type
        .split(';')
        .next()
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
}

/// Checks one admin request (the admin API is on): `Ok` lets it through.
pub(crate) fn check(
    access: &AdminAccess,
    addr: Option<SocketAddr>,
    method: &Method,
    headers: &HeaderMap,
) -> Result<(), Refusal> {
    check_site(access, addr, headers)?;
    check_token(access, headers)?;
    let reads = matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    let marked =
        headers.contains_key(ADMIN_HEADER) || header(headers, CONTENT_TYPE).is_some_and(is_json);
    if !reads && !marked {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "{method} admin requests need Content-Type: application/json or the header X-CMQ-Mock: 1"
            ),
        );
    }
    Ok(())
}

/// Checks a request for the dashboard's static files (`/_mock/ui/…`): the `Host`, `Origin` and
/// `Sec-Fetch-Site` checks of every admin request, but not the token, which a browser cannot
/// send when it opens a page (the files hold no data; every call they make for data is an
/// admin request checked in full).
pub(crate) fn check_page(
    access: &AdminAccess,
    addr: Option<SocketAddr>,
    headers: &HeaderMap,
) -> Result<(), Refusal> {
    check_site(access, addr, headers)
}

/// The `Host`, `Origin` and `Sec-Fetch-Site` checks.
fn check_site(
    access: &AdminAccess,
    addr: Option<SocketAddr>,
    headers: &HeaderMap,
) -> Result<(), Refusal> {
    let Some(host) = header(headers, HOST) else {
        return refuse(StatusCode::FORBIDDEN, "admin requests need a Host header");
    };
    if !host_allowed(access, addr, host) {
        return refuse(
            StatusCode::FORBIDDEN,
            format!(
                "admin requests must name the mock itself in Host (localhost, 127.0.0.1, [::1] or the listen address, with its port), not {host:?}; start it with --admin-host NAME to accept another name"
            ),
        );
    }
    if let Some(origin) = header(headers, "origin") {
        let own = format!("http://{host}");
        if !origin.trim().eq_ignore_ascii_case(&own) {
            return refuse(
                StatusCode::FORBIDDEN,
                format!("cross-origin admin request refused (Origin {origin:?}, expected {own:?})"),
            );
        }
    }
    if let Some(site) = header(headers, "sec-fetch-site") {
        if site.eq_ignore_ascii_case("cross-site") || site.eq_ignore_ascii_case("same-site") {
            return refuse(
                StatusCode::FORBIDDEN,
                format!("cross-site admin request refused (Sec-Fetch-Site: {site})"),
            );
        }
    }
    Ok(())
}

/// The token check, when a token is set.
fn check_token(access: &AdminAccess, headers: &HeaderMap) -> Result<(), Refusal> {
    if let Some(token) = &access.token {
        let given = header(headers, AUTHORIZATION)
            .and_then(|v| v.trim().split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim());
        if !given.is_some_and(|g| same_secret(g.as_bytes(), token.as_bytes())) {
            return refuse(
                StatusCode::UNAUTHORIZED,
                "admin requests need Authorization: Bearer <the --admin-token>",
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
