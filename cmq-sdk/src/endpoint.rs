//! Service endpoints: where requests go and which host/path they are signed
//! with.
//!
//! An [`Endpoint`] is parsed from an `http://` or `https://` URL with an
//! optional port and an optional path, e.g. `https://cmq-gz.public.tencenttdmq.com`
//! or a local mock such as `http://127.0.0.1:8641`.
//!
//! The URL is parsed with the same URL parser the HTTP client (reqwest) uses,
//! and the signing host and path are taken from the *parsed* URL, so they are
//! exactly what goes on the wire in the request line and the `Host` header:
//!
//! * the host is lower-cased (and IDNA/IPv6 forms normalised);
//! * an explicit port is kept, **except** the scheme's default port (`:80`
//!   for http, `:443` for https), which the HTTP client does not send in the
//!   `Host` header and which is therefore not signed either;
//! * with no path (or just `/`) the path is [`DEFAULT_PATH`] (`/v2/index.php`);
//!   an explicit other path is kept and signed as is, like the TDMQ Go SDK
//!   does (dot segments are resolved and unsafe characters percent-encoded,
//!   as the client would send them).
//!
//! User information (`user:pass@`), queries and fragments are rejected.
//!
//! The same type holds the API 3.0 (control-plane) endpoint, parsed with
//! [`Endpoint::parse_api3`], whose path defaults to `/`.

use std::fmt;
use std::str::FromStr;

use reqwest::Url;

use crate::generated::profiles::Profile;
use crate::region;

/// The request path of CMQ API 2.0, used when an endpoint URL has no path.
pub const DEFAULT_PATH: &str = "/v2/index.php";

/// The request path of Tencent Cloud API 3.0, used when an API 3.0 endpoint URL has no path
/// (from the spec).
pub const API3_PATH: &str = crate::generated::v3::PATH;

/// The public API 3.0 host of TDMQ (the control plane of queues, topics and subscriptions; from
/// the spec).
pub const API3_HOST: &str = crate::generated::v3::HOST;

/// The URL scheme of an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// Plain HTTP.
    Http,
    /// HTTP over TLS.
    Https,
}

impl Scheme {
    /// `"http"` or `"https"`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Https => "https",
        }
    }

    /// The port used when the URL does not name one (80 or 443).
    #[must_use]
    pub const fn default_port(self) -> u16 {
        match self {
            Self::Http => 80,
            Self::Https => 443,
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an endpoint URL or region was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EndpointError {
    /// The URL has no `scheme://` prefix.
    #[error("endpoint {url:?} has no scheme; expected a URL starting with http:// or https://")]
    MissingScheme {
        /// The rejected input.
        url: String,
    },
    /// The scheme is neither `http` nor `https`.
    #[error("endpoint {url:?} has unsupported scheme {scheme:?}; expected http or https")]
    UnsupportedScheme {
        /// The rejected input.
        url: String,
        /// The scheme found.
        scheme: String,
    },
    /// The URL could not be parsed (bad host, bad port, …).
    #[error("endpoint {url:?} is not a valid URL: {reason}")]
    Invalid {
        /// The rejected input.
        url: String,
        /// The parser's explanation.
        reason: String,
    },
    /// The URL has no host.
    #[error("endpoint {url:?} has no host")]
    MissingHost {
        /// The rejected input.
        url: String,
    },
    /// The URL contains `user[:password]@`.
    #[error("endpoint {url:?} must not contain user information (user:password@)")]
    UserInfo {
        /// The rejected input.
        url: String,
    },
    /// The URL has a query string or a fragment.
    #[error("endpoint {url:?} must not contain a query string or fragment")]
    QueryOrFragment {
        /// The rejected input.
        url: String,
    },
    /// A region code is empty or contains characters other than ASCII
    /// letters, digits and `-`.
    #[error("invalid region {region:?}: expected ASCII letters, digits and '-', e.g. \"gz\"")]
    InvalidRegion {
        /// The rejected region code.
        region: String,
    },
}

/// A parsed service endpoint.
///
/// ```text
/// http://127.0.0.1:8641                     → host 127.0.0.1:8641, path /v2/index.php
/// https://cmq-gz.public.tencenttdmq.com     → host cmq-gz.public.tencenttdmq.com, path /v2/index.php
/// https://gw.example.com:8443/cmq/          → host gw.example.com:8443, path /cmq/
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Endpoint {
    scheme: Scheme,
    host: String,
    port: Option<u16>,
    signing_host: String,
    path: String,
    url: String,
}

impl Endpoint {
    /// Parses an endpoint URL (surrounding whitespace is ignored).
    ///
    /// # Errors
    ///
    /// [`EndpointError`] if the URL has no scheme or a scheme other than
    /// http/https, no host, user information, a query or fragment, or is
    /// otherwise malformed (e.g. a port above 65535).
    pub fn parse(url: &str) -> Result<Self, EndpointError> {
        Self::parse_with_default_path(url, DEFAULT_PATH)
    }

    /// Parses an API 3.0 endpoint URL: like [`Endpoint::parse`], but with no path (or just `/`)
    /// the path is [`API3_PATH`] (`/`).
    ///
    /// # Errors
    ///
    /// As [`Endpoint::parse`].
    pub fn parse_api3(url: &str) -> Result<Self, EndpointError> {
        Self::parse_with_default_path(url, API3_PATH)
    }

    /// TDMQ's public API 3.0 endpoint, `https://tdmq.tencentcloudapi.com` (any region: the
    /// region travels in the `X-TC-Region` header).
    #[must_use]
    pub fn api3_public() -> Self {
        let host = API3_HOST.to_owned();
        Self {
            scheme: Scheme::Https,
            signing_host: host.clone(),
            url: format!("https://{host}{API3_PATH}"),
            host,
            port: None,
            path: API3_PATH.to_owned(),
        }
    }

    /// TDMQ's API 3.0 endpoint in `region` (nearest access point):
    /// `https://tdmq.{region}.tencentcloudapi.com`, e.g. `ap-guangzhou`.
    ///
    /// # Errors
    ///
    /// [`EndpointError::InvalidRegion`] for a malformed region code.
    pub fn api3_regional(region: &str) -> Result<Self, EndpointError> {
        let host = crate::generated::v3::REGIONAL_HOST.replace("{region}", check_region(region)?);
        Self::parse_api3(&format!("https://{host}"))
    }

    fn parse_with_default_path(url: &str, default_path: &str) -> Result<Self, EndpointError> {
        let input = url.trim();
        let owned = || input.to_owned();

        // Check the scheme ourselves first: `localhost:8641` would otherwise
        // parse as a URL with scheme `localhost`.
        let Some(sep) = input.find("://") else {
            return Err(EndpointError::MissingScheme { url: owned() });
        };
        let scheme_str = &input[..sep];
        let scheme = if scheme_str.eq_ignore_ascii_case("http") {
            Scheme::Http
        } else if scheme_str.eq_ignore_ascii_case("https") {
            Scheme::Https
        } else {
            return Err(EndpointError::UnsupportedScheme {
                url: owned(),
                scheme: scheme_str.to_owned(),
            });
        };

        let parsed = Url::parse(input).map_err(|e| EndpointError::Invalid {
            url: owned(),
            reason: e.to_string(),
        })?;
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(EndpointError::UserInfo { url: owned() });
        }
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(EndpointError::QueryOrFragment { url: owned() });
        }
        let host = match parsed.host_str() {
            Some(h) if !h.is_empty() => h.to_owned(),
            _ => return Err(EndpointError::MissingHost { url: owned() }),
        };
        // `Url::port` is `None` for the scheme's default port, exactly as the
        // HTTP client leaves it out of the `Host` header.
        let port = parsed.port();
        let signing_host = match port {
            Some(p) => format!("{host}:{p}"),
            None => host.clone(),
        };
        let path = match parsed.path() {
            "" | "/" => default_path.to_owned(),
            p => p.to_owned(),
        };
        let url = format!("{}://{signing_host}{path}", scheme.as_str());
        Ok(Self {
            scheme,
            host,
            port,
            signing_host,
            path,
            url,
        })
    }

    /// The TDMQ for CMQ public endpoint of `region`:
    /// `https://cmq-{region}.public.tencenttdmq.com` (one host for queues and
    /// topics).
    ///
    /// # Errors
    ///
    /// [`EndpointError::InvalidRegion`] if `region` is empty or not made of
    /// ASCII letters, digits and `-`.
    pub fn tdmq_public(region: &str) -> Result<Self, EndpointError> {
        Self::parse(&format!(
            "https://cmq-{}.public.tencenttdmq.com",
            check_region(region)?
        ))
    }

    /// The TDMQ for CMQ private-network endpoint of `region` (reachable
    /// from inside Tencent Cloud only, plain HTTP):
    /// `http://{region}.mqadapter.cmq.tencentyun.com`.
    ///
    /// # Errors
    ///
    /// [`EndpointError::InvalidRegion`] for a malformed region code.
    pub fn tdmq_private(region: &str) -> Result<Self, EndpointError> {
        Self::parse(&format!(
            "http://{}.mqadapter.cmq.tencentyun.com",
            check_region(region)?
        ))
    }

    /// The legacy CMQ public queue endpoint of `region`:
    /// `https://cmq-queue-{region}.api.qcloud.com`.
    ///
    /// # Errors
    ///
    /// [`EndpointError::InvalidRegion`] for a malformed region code.
    pub fn legacy_queue(region: &str) -> Result<Self, EndpointError> {
        Self::parse(&format!(
            "https://cmq-queue-{}.api.qcloud.com",
            check_region(region)?
        ))
    }

    /// The legacy CMQ public topic/subscription endpoint of `region`:
    /// `https://cmq-topic-{region}.api.qcloud.com`.
    ///
    /// # Errors
    ///
    /// [`EndpointError::InvalidRegion`] for a malformed region code.
    pub fn legacy_topic(region: &str) -> Result<Self, EndpointError> {
        Self::parse(&format!(
            "https://cmq-topic-{}.api.qcloud.com",
            check_region(region)?
        ))
    }

    /// The scheme.
    #[must_use]
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The host name or IP literal alone (no port), lower-cased; IPv6
    /// literals keep their brackets.
    #[must_use]
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The explicit port, or `None` when the URL has none or names the
    /// scheme's default port.
    #[must_use]
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The port requests connect to (the explicit one or the scheme default).
    #[must_use]
    pub fn port_or_default(&self) -> u16 {
        self.port.unwrap_or(self.scheme.default_port())
    }

    /// `host[:port]` exactly as sent in the `Host` header, which is the host
    /// part of the string to sign.
    #[must_use]
    pub fn signing_host(&self) -> &str {
        &self.signing_host
    }

    /// The request path (also the path part of the string to sign).
    #[must_use]
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The full URL to send requests to: `scheme://host[:port]path`.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The service generation the host names: [`Profile::Tdmq`] for the TDMQ for CMQ hosts
    /// (`*.tencenttdmq.com`, `{region}.mqadapter.cmq.tencentyun.com`), [`Profile::Legacy`] for the
    /// legacy CMQ hosts (`*.api.qcloud.com`, `*.api.tencentyun.com`), `None` for any other host
    /// (a local mock, a gateway), whose profile the client's builder decides.
    #[must_use]
    pub fn profile(&self) -> Option<Profile> {
        let host = self.host.as_str();
        if region::is_tdmq_host(host) || host.ends_with(".tencenttdmq.com") {
            Some(Profile::Tdmq)
        } else if region::is_legacy_host(host) {
            Some(Profile::Legacy)
        } else {
            None
        }
    }
}

impl FromStr for Endpoint {
    type Err = EndpointError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<&str> for Endpoint {
    type Error = EndpointError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Self::parse(s)
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url)
    }
}

fn check_region(region: &str) -> Result<&str, EndpointError> {
    let ok = !region.is_empty()
        && !region.starts_with('-')
        && !region.ends_with('-')
        && region
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if ok {
        Ok(region)
    } else {
        Err(EndpointError::InvalidRegion {
            region: region.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(url: &str) -> Endpoint {
        match Endpoint::parse(url) {
            Ok(e) => e,
            Err(e) => panic!("{url}: {e}"),
        }
    }

    #[test]
    fn the_host_names_the_generation() {
        for (url, want) in [
            ("https://cmq-gz.public.tencenttdmq.com", Some(Profile::Tdmq)),
            (
                "https://CMQ-SH.PUBLIC.TENCENTTDMQ.COM:443/",
                Some(Profile::Tdmq),
            ),
            (
                "http://sh.mqadapter.cmq.tencentyun.com",
                Some(Profile::Tdmq),
            ),
            ("https://cmq-queue-gz.api.qcloud.com", Some(Profile::Legacy)),
            (
                "http://cmq-topic-bj.api.tencentyun.com",
                Some(Profile::Legacy),
            ),
            ("http://127.0.0.1:8641", None),
            ("https://gw.example.com/cmq", None),
            ("https://api.qcloud.com.example.com", None),
        ] {
            assert_eq!(ep(url).profile(), want, "{url}");
        }
    }

    #[track_caller]
    fn check(url: &str, scheme: Scheme, signing_host: &str, path: &str, full: &str) {
        let e = ep(url);
        assert_eq!(e.scheme(), scheme, "{url}");
        assert_eq!(e.signing_host(), signing_host, "{url}");
        assert_eq!(e.path(), path, "{url}");
        assert_eq!(e.url(), full, "{url}");
        assert_eq!(e.to_string(), full, "{url}");
        // Re-parsing the full URL is a fixed point.
        assert_eq!(ep(e.url()), e, "{url}");
    }

    #[test]
    fn local_mock() {
        check(
            "http://127.0.0.1:8641",
            Scheme::Http,
            "127.0.0.1:8641",
            "/v2/index.php",
            "http://127.0.0.1:8641/v2/index.php",
        );
        let e = ep("http://127.0.0.1:8641/");
        assert_eq!(e.host(), "127.0.0.1");
        assert_eq!(e.port(), Some(8641));
        assert_eq!(e.port_or_default(), 8641);
        check(
            "http://localhost:8641/v2/index.php",
            Scheme::Http,
            "localhost:8641",
            "/v2/index.php",
            "http://localhost:8641/v2/index.php",
        );
    }

    #[test]
    fn public_hosts_without_path() {
        check(
            "https://cmq-gz.public.tencenttdmq.com",
            Scheme::Https,
            "cmq-gz.public.tencenttdmq.com",
            "/v2/index.php",
            "https://cmq-gz.public.tencenttdmq.com/v2/index.php",
        );
        let e = ep("https://cmq-gz.public.tencenttdmq.com/");
        assert_eq!(e.port(), None);
        assert_eq!(e.port_or_default(), 443);
        assert_eq!(ep("http://h").port_or_default(), 80);
    }

    #[test]
    fn explicit_path_is_kept() {
        check(
            "https://gw.example.com:8443/cmq/",
            Scheme::Https,
            "gw.example.com:8443",
            "/cmq/",
            "https://gw.example.com:8443/cmq/",
        );
        check("http://h/api", Scheme::Http, "h", "/api", "http://h/api");
    }

    #[test]
    fn default_port_is_dropped_like_the_http_client_does() {
        check(
            "https://h:443",
            Scheme::Https,
            "h",
            "/v2/index.php",
            "https://h/v2/index.php",
        );
        check(
            "http://h:80/",
            Scheme::Http,
            "h",
            "/v2/index.php",
            "http://h/v2/index.php",
        );
        // A non-default port for the scheme is kept.
        check(
            "http://h:443",
            Scheme::Http,
            "h:443",
            "/v2/index.php",
            "http://h:443/v2/index.php",
        );
        check(
            "https://h:80",
            Scheme::Https,
            "h:80",
            "/v2/index.php",
            "https://h:80/v2/index.php",
        );
    }

    #[test]
    fn normalisation_matches_the_wire() {
        check(
            "  HTTPS://CMQ-GZ.Public.TencentTDMQ.com/V2/Index.php \n",
            Scheme::Https,
            "cmq-gz.public.tencenttdmq.com",
            "/V2/Index.php",
            "https://cmq-gz.public.tencenttdmq.com/V2/Index.php",
        );
        check(
            "http://[::1]:8641",
            Scheme::Http,
            "[::1]:8641",
            "/v2/index.php",
            "http://[::1]:8641/v2/index.php",
        );
        check("http://h/a/../b", Scheme::Http, "h", "/b", "http://h/b");
        check(
            "http://h/a b",
            Scheme::Http,
            "h",
            "/a%20b",
            "http://h/a%20b",
        );
    }

    #[test]
    fn helpers() {
        let cases = [
            (
                Endpoint::tdmq_public("gz"),
                "https://cmq-gz.public.tencenttdmq.com/v2/index.php",
            ),
            (
                Endpoint::tdmq_private("sh"),
                "http://sh.mqadapter.cmq.tencentyun.com/v2/index.php",
            ),
            (
                Endpoint::legacy_queue("bj"),
                "https://cmq-queue-bj.api.qcloud.com/v2/index.php",
            ),
            (
                Endpoint::legacy_topic("hk"),
                "https://cmq-topic-hk.api.qcloud.com/v2/index.php",
            ),
        ];
        for (got, want) in cases {
            assert_eq!(got.as_ref().map(Endpoint::url), Ok(want));
        }
        assert_eq!(
            Endpoint::tdmq_public("ap-guangzhou").map(|e| e.signing_host().to_owned()),
            Ok("cmq-ap-guangzhou.public.tencenttdmq.com".to_owned())
        );
    }

    #[test]
    fn bad_regions() {
        for r in [
            "",
            "g z",
            "gz/x",
            "gz.evil.com",
            "-gz",
            "gz-",
            "gz:1",
            "广州",
        ] {
            for got in [
                Endpoint::tdmq_public(r),
                Endpoint::tdmq_private(r),
                Endpoint::legacy_queue(r),
                Endpoint::legacy_topic(r),
            ] {
                assert_eq!(
                    got,
                    Err(EndpointError::InvalidRegion {
                        region: r.to_owned()
                    }),
                    "{r:?}"
                );
            }
        }
    }

    #[test]
    fn errors() {
        assert!(matches!(
            Endpoint::parse("127.0.0.1:8641"),
            Err(EndpointError::MissingScheme { .. })
        ));
        assert!(matches!(
            Endpoint::parse("localhost:8641"),
            Err(EndpointError::MissingScheme { .. })
        ));
        assert!(matches!(
            Endpoint::parse(""),
            Err(EndpointError::MissingScheme { .. })
        ));
        assert!(matches!(
            Endpoint::parse("ftp://h"),
            Err(EndpointError::UnsupportedScheme { scheme, .. }) if scheme == "ftp"
        ));
        assert!(matches!(
            Endpoint::parse("http://h:65536"),
            Err(EndpointError::Invalid { .. })
        ));
        assert!(matches!(
            Endpoint::parse("http://h:x"),
            Err(EndpointError::Invalid { .. })
        ));
        assert!(matches!(
            Endpoint::parse("http://"),
            Err(EndpointError::Invalid { .. } | EndpointError::MissingHost { .. })
        ));
        assert!(matches!(
            Endpoint::parse("http://[::1"),
            Err(EndpointError::Invalid { .. })
        ));
        assert!(matches!(
            Endpoint::parse("http://u:p@h"),
            Err(EndpointError::UserInfo { .. })
        ));
        assert!(matches!(
            Endpoint::parse("http://u@h"),
            Err(EndpointError::UserInfo { .. })
        ));
        assert!(matches!(
            Endpoint::parse("http://h/?a=1"),
            Err(EndpointError::QueryOrFragment { .. })
        ));
        assert!(matches!(
            Endpoint::parse("http://h/#x"),
            Err(EndpointError::QueryOrFragment { .. })
        ));
        assert!(matches!(
            Endpoint::parse("http://h?"),
            Err(EndpointError::QueryOrFragment { .. })
        ));
        let msg = Endpoint::parse("localhost:8641")
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert!(msg.contains("http://"), "{msg}");
    }

    #[test]
    fn from_str_and_try_from() {
        let a: Endpoint = "http://127.0.0.1:8641"
            .parse()
            .unwrap_or_else(|e| panic!("{e}"));
        let b = Endpoint::try_from("http://127.0.0.1:8641/");
        assert_eq!(Ok(a), b);
    }

    #[test]
    fn api3_endpoints() {
        let e = Endpoint::api3_public();
        assert_eq!(e.url(), "https://tdmq.tencentcloudapi.com/");
        assert_eq!(e.signing_host(), "tdmq.tencentcloudapi.com");
        assert_eq!(e.path(), "/");
        assert_eq!(Endpoint::parse_api3(e.url()), Ok(e));
        assert_eq!(
            Endpoint::api3_regional("ap-shanghai").map(|e| e.url().to_owned()),
            Ok("https://tdmq.ap-shanghai.tencentcloudapi.com/".to_owned())
        );
        assert!(Endpoint::api3_regional("ap shanghai").is_err());
        let local = Endpoint::parse_api3("http://127.0.0.1:8641").unwrap();
        assert_eq!(
            (local.signing_host(), local.path(), local.url()),
            ("127.0.0.1:8641", "/", "http://127.0.0.1:8641/")
        );
        // An explicit path is kept, as for 2.0.
        assert_eq!(
            Endpoint::parse_api3("https://gw.example.com/tdmq").map(|e| e.path().to_owned()),
            Ok("/tdmq".to_owned())
        );
    }

    #[test]
    fn scheme_strings() {
        assert_eq!(Scheme::Http.as_str(), "http");
        assert_eq!(Scheme::Https.to_string(), "https");
        assert_eq!(Scheme::Http.default_port(), 80);
        assert_eq!(Scheme::Https.default_port(), 443);
    }
}
