//! `TC3-HMAC-SHA256`, the request signature of Tencent Cloud API 3.0 ("signature v3",
//! documented at <https://www.tencentcloud.com/zh/document/api/1021/34193>).
//!
//! The SDK signs with [`sign`]; a server (`cmq-mock`) checks requests with
//! [`parse_authorization`] (to find the SecretId, and so the key) and [`verify`]. Every stage is a
//! public function, and the SDK's tests check each against known answers computed with Tencent's
//! official Python signer:
//!
//! ```text
//! 1. canonical request = METHOD \n PATH \n QUERY \n CANONICAL_HEADERS \n SIGNED_HEADERS \n hex(sha256(body))
//!    CANONICAL_HEADERS = one "name:value\n" per signed header, name and value lower-cased and
//!    trimmed, in the order of SIGNED_HEADERS ("content-type;host" for this SDK's requests)
//! 2. string to sign    = "TC3-HMAC-SHA256" \n TIMESTAMP \n DATE/SERVICE/tc3_request \n hex(sha256(canonical request))
//!    DATE = the UTC date (YYYY-MM-DD) of TIMESTAMP, the X-TC-Timestamp header
//! 3. signing key       = HMAC(HMAC(HMAC("TC3" + secret key, DATE), SERVICE), "tc3_request")
//! 4. signature         = hex(HMAC(signing key, string to sign)), lower case
//! 5. Authorization     = "TC3-HMAC-SHA256 Credential=SECRET_ID/DATE/SERVICE/tc3_request,
//!                         SignedHeaders=content-type;host, Signature=SIGNATURE"
//! ```
//!
//! All HMACs and hashes are SHA-256. A request whose `X-TC-Content-SHA256` header is
//! `UNSIGNED-PAYLOAD` (an option of the official SDKs) hashes that text instead of the body.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// The algorithm name, first word of the `Authorization` header and first line of the string to
/// sign.
pub const ALGORITHM: &str = "TC3-HMAC-SHA256";
/// The last element of the credential scope.
pub const TERMINATOR: &str = "tc3_request";
/// The headers this SDK signs (the two the service requires).
pub const SIGNED_HEADERS: &str = "content-type;host";
/// The content type of API 3.0 requests with a JSON body.
pub const JSON_CONTENT_TYPE: &str = "application/json";
/// The value of `X-TC-Content-SHA256` that leaves the body out of the signature.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

type HmacSha256 = Hmac<Sha256>;

/// Lower-case hex of `bytes`.
#[must_use]
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// Lower-case hex of the SHA-256 of `data`.
#[must_use]
pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

/// The UTC calendar date (`YYYY-MM-DD`) of a Unix timestamp in seconds.
#[must_use]
pub fn utc_date(timestamp: u64) -> String {
    // Days since 1970-01-01 to a civil date (proleptic Gregorian calendar).
    let days = i64::try_from(timestamp / 86_400).unwrap_or(i64::MAX / 2);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// `DATE/SERVICE/tc3_request`.
#[must_use]
pub fn credential_scope(date: &str, service: &str) -> String {
    format!("{date}/{service}/{TERMINATOR}")
}

/// Stage 1: the canonical request.
///
/// * `headers`: the signed headers' `(name, value)` in the order of `signed_headers`; names and
///   values are lower-cased and trimmed here;
/// * `payload_hash`: [`sha256_hex`] of the body (or of [`UNSIGNED_PAYLOAD`]).
#[must_use]
pub fn canonical_request(
    method: &str,
    path: &str,
    query: &str,
    headers: &[(&str, &str)],
    signed_headers: &str,
    payload_hash: &str,
) -> String {
    let mut out = String::with_capacity(128 + payload_hash.len());
    for part in [method, "\n", path, "\n", query, "\n"] {
        out.push_str(part);
    }
    for (name, value) in headers {
        out.push_str(&name.trim().to_ascii_lowercase());
        out.push(':');
        out.push_str(&value.trim().to_ascii_lowercase());
        out.push('\n');
    }
    for part in ["\n", signed_headers, "\n", payload_hash] {
        out.push_str(part);
    }
    out
}

/// Stage 2: the string to sign.
#[must_use]
pub fn string_to_sign(timestamp: u64, scope: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{timestamp}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    )
}

fn hmac(key: &[u8], data: &[u8]) -> HmacSha256 {
    use hmac::digest::KeyInit;
    // HMAC takes keys of any length, so `new_from_slice` never fails; were it to, the all-zero
    // key gives a MAC that simply does not verify (no panic).
    let mut m = <HmacSha256 as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| <HmacSha256 as KeyInit>::new(&Default::default()));
    m.update(data);
    m
}

/// Stage 3: the signing key derived from the secret key, the date and the service.
#[must_use]
pub fn signing_key(secret_key: &str, date: &str, service: &str) -> [u8; 32] {
    let mut k = Vec::with_capacity(3 + secret_key.len());
    k.extend_from_slice(b"TC3");
    k.extend_from_slice(secret_key.as_bytes());
    let k_date = hmac(&k, date.as_bytes()).finalize().into_bytes();
    let k_service = hmac(&k_date, service.as_bytes()).finalize().into_bytes();
    hmac(&k_service, TERMINATOR.as_bytes())
        .finalize()
        .into_bytes()
        .into()
}

/// Stage 4: the signature (lower-case hex).
#[must_use]
pub fn signature(signing_key: &[u8; 32], string_to_sign: &str) -> String {
    hex(&hmac(signing_key, string_to_sign.as_bytes())
        .finalize()
        .into_bytes())
}

/// Stage 5: the `Authorization` header value.
#[must_use]
pub fn authorization(
    secret_id: &str,
    scope: &str,
    signed_headers: &str,
    signature: &str,
) -> String {
    format!(
        "{ALGORITHM} Credential={secret_id}/{scope}, SignedHeaders={signed_headers}, Signature={signature}"
    )
}

/// What [`sign`] signs: a POST with a JSON body, signing `content-type` and `host`.
#[derive(Clone, Copy)]
pub struct SignInput<'a> {
    /// The SecretId (part of the credential).
    pub secret_id: &'a str,
    /// The SecretKey (never sent).
    pub secret_key: &'a str,
    /// The product, e.g. `tdmq`.
    pub service: &'a str,
    /// `host[:port]` exactly as sent in the `Host` header.
    pub host: &'a str,
    /// The request path (`/`).
    pub path: &'a str,
    /// The `X-TC-Timestamp` value, Unix seconds.
    pub timestamp: u64,
    /// The exact body bytes.
    pub body: &'a [u8],
}

impl std::fmt::Debug for SignInput<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignInput")
            .field("secret_id", &self.secret_id)
            .field("secret_key", &"<redacted>")
            .field("service", &self.service)
            .field("host", &self.host)
            .field("path", &self.path)
            .field("timestamp", &self.timestamp)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// Every stage of one signature.
#[derive(Clone, PartialEq, Eq)]
pub struct Signed {
    /// Stage 1.
    pub canonical_request: String,
    /// Stage 2.
    pub string_to_sign: String,
    /// Stage 4, hex.
    pub signature: String,
    /// Stage 5: the `Authorization` header.
    pub authorization: String,
}

impl std::fmt::Debug for Signed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signed")
            .field("canonical_request", &self.canonical_request)
            .field("string_to_sign", &self.string_to_sign)
            .field("signature", &"<redacted>")
            .field("authorization", &"<redacted>")
            .finish()
    }
}

/// Signs a POST with a JSON body (`Content-Type: application/json`, no query string).
#[must_use]
pub fn sign(input: &SignInput<'_>) -> Signed {
    let canonical_request = canonical_request(
        "POST",
        input.path,
        "",
        &[("content-type", JSON_CONTENT_TYPE), ("host", input.host)],
        SIGNED_HEADERS,
        &sha256_hex(input.body),
    );
    let date = utc_date(input.timestamp);
    let scope = credential_scope(&date, input.service);
    let string_to_sign = string_to_sign(input.timestamp, &scope, &canonical_request);
    let key = signing_key(input.secret_key, &date, input.service);
    let signature = signature(&key, &string_to_sign);
    let authorization = authorization(input.secret_id, &scope, SIGNED_HEADERS, &signature);
    Signed {
        canonical_request,
        string_to_sign,
        signature,
        authorization,
    }
}

// ---------------------------------------------------------------- verification

/// Which stage of verification failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Tc3Error {
    /// A required header is absent (`Authorization`, `X-TC-Timestamp`, or a header named in
    /// `SignedHeaders`).
    #[error("missing header {0}")]
    MissingHeader(String),
    /// The `Authorization` header is not `TC3-HMAC-SHA256 Credential=…, SignedHeaders=…,
    /// Signature=…`.
    #[error("malformed Authorization header: {0}")]
    MalformedAuthorization(&'static str),
    /// The algorithm is not `TC3-HMAC-SHA256`.
    #[error("unsupported signature algorithm {0:?}")]
    UnsupportedAlgorithm(String),
    /// The credential is not `SecretId/YYYY-MM-DD/service/tc3_request`.
    #[error("malformed credential scope")]
    MalformedCredential,
    /// `X-TC-Timestamp` is not a number of seconds.
    #[error("malformed X-TC-Timestamp {0:?}")]
    MalformedTimestamp(String),
    /// The credential's date is not the UTC date of `X-TC-Timestamp`.
    #[error("credential date {scope} is not the UTC date of the timestamp ({timestamp})")]
    DateMismatch {
        /// The date in the credential scope.
        scope: String,
        /// The UTC date of `X-TC-Timestamp`.
        timestamp: String,
    },
    /// `SignedHeaders` does not include both `content-type` and `host`.
    #[error("SignedHeaders must include content-type and host")]
    SignedHeadersIncomplete,
    /// Everything parsed, but the signature is not the one the key gives.
    #[error("signature mismatch")]
    SignatureMismatch,
}

/// The parts of a `TC3-HMAC-SHA256` `Authorization` header.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Authorization<'a> {
    /// The SecretId.
    pub secret_id: &'a str,
    /// The credential date, `YYYY-MM-DD`.
    pub date: &'a str,
    /// The credential's service (product), e.g. `tdmq`.
    pub service: &'a str,
    /// `SignedHeaders`, e.g. `content-type;host`.
    pub signed_headers: &'a str,
    /// The hex signature.
    pub signature: &'a str,
}

impl std::fmt::Debug for Authorization<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authorization")
            .field("secret_id", &self.secret_id)
            .field("date", &self.date)
            .field("service", &self.service)
            .field("signed_headers", &self.signed_headers)
            .field("signature", &"<redacted>")
            .finish()
    }
}

/// Parses an `Authorization` header value. Members may come in any order, separated by `,` and
/// optional spaces; each must appear exactly once.
///
/// # Errors
///
/// [`Tc3Error::UnsupportedAlgorithm`], [`Tc3Error::MalformedAuthorization`] or
/// [`Tc3Error::MalformedCredential`].
pub fn parse_authorization(value: &str) -> Result<Authorization<'_>, Tc3Error> {
    let value = value.trim();
    let (algorithm, rest) = value
        .split_once(' ')
        .ok_or(Tc3Error::MalformedAuthorization(
            "no credential after the algorithm",
        ))?;
    if algorithm != ALGORITHM {
        return Err(Tc3Error::UnsupportedAlgorithm(algorithm.to_owned()));
    }
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for member in rest.split(',') {
        let (name, v) = member
            .trim()
            .split_once('=')
            .ok_or(Tc3Error::MalformedAuthorization(
                "a member is not name=value",
            ))?;
        let slot = match name {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => return Err(Tc3Error::MalformedAuthorization("unknown member")),
        };
        if slot.replace(v).is_some() {
            return Err(Tc3Error::MalformedAuthorization("a member appears twice"));
        }
    }
    let credential = credential.ok_or(Tc3Error::MalformedAuthorization("no Credential"))?;
    let signed_headers =
        signed_headers.ok_or(Tc3Error::MalformedAuthorization("no SignedHeaders"))?;
    let signature = signature.ok_or(Tc3Error::MalformedAuthorization("no Signature"))?;
    let parts: Vec<&str> = credential.split('/').collect();
    let [secret_id, date, service, terminator] = parts[..] else {
        return Err(Tc3Error::MalformedCredential);
    };
    if secret_id.is_empty() || date.len() != 10 || service.is_empty() || terminator != TERMINATOR {
        return Err(Tc3Error::MalformedCredential);
    }
    Ok(Authorization {
        secret_id,
        date,
        service,
        signed_headers,
        signature,
    })
}

/// A received API 3.0 request, as a verifier sees it.
#[derive(Clone, Copy, Debug)]
pub struct Tc3Request<'a> {
    /// The HTTP method as received (`POST`, `GET`).
    pub method: &'a str,
    /// The `Host` header as received (`host[:port]`): the value of the `host` signed header.
    pub host: &'a str,
    /// The request path (`/`).
    pub path: &'a str,
    /// The raw query string without `?` (empty for POST).
    pub query: &'a str,
    /// Every other header, names in any case (`Authorization`, `X-TC-Timestamp`,
    /// `Content-Type`, …).
    pub headers: &'a [(&'a str, &'a str)],
    /// The exact body bytes.
    pub body: &'a [u8],
}

impl<'a> Tc3Request<'a> {
    /// The value of header `name` (case-insensitive); `host` is [`Tc3Request::host`].
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&'a str> {
        if name.eq_ignore_ascii_case("host") {
            return Some(self.host);
        }
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }
}

/// What a successful [`verify`] established.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verified<'a> {
    /// The SecretId that signed.
    pub secret_id: &'a str,
    /// The signed `X-TC-Timestamp` (the caller checks it against its clock).
    pub timestamp: u64,
    /// The credential's service (the caller checks it is its product).
    pub service: &'a str,
}

/// Verifies the `TC3-HMAC-SHA256` signature of `req` with `secret_key`, stage by stage. The
/// final comparison is constant-time. Checking the timestamp against a clock, the service and
/// the SecretId against an account is the caller's business ([`Verified`]).
///
/// # Errors
///
/// The first stage that failed, as a [`Tc3Error`].
pub fn verify<'a>(req: &Tc3Request<'a>, secret_key: &str) -> Result<Verified<'a>, Tc3Error> {
    let auth_header = req
        .header("authorization")
        .ok_or_else(|| Tc3Error::MissingHeader("Authorization".into()))?;
    let auth = parse_authorization(auth_header)?;
    let ts_text = req
        .header("x-tc-timestamp")
        .ok_or_else(|| Tc3Error::MissingHeader("X-TC-Timestamp".into()))?;
    let timestamp: u64 = ts_text
        .trim()
        .parse()
        .map_err(|_| Tc3Error::MalformedTimestamp(ts_text.to_owned()))?;
    let date = utc_date(timestamp);
    if date != auth.date {
        return Err(Tc3Error::DateMismatch {
            scope: auth.date.to_owned(),
            timestamp: date,
        });
    }
    let names: Vec<&str> = auth.signed_headers.split(';').collect();
    if !names.contains(&"content-type") || !names.contains(&"host") {
        return Err(Tc3Error::SignedHeadersIncomplete);
    }
    let mut headers = Vec::with_capacity(names.len());
    for name in &names {
        let value = req
            .header(name)
            .ok_or_else(|| Tc3Error::MissingHeader((*name).to_owned()))?;
        headers.push((*name, value));
    }
    let unsigned = req
        .header("x-tc-content-sha256")
        .is_some_and(|v| v.trim() == UNSIGNED_PAYLOAD);
    let payload: &[u8] = if unsigned {
        UNSIGNED_PAYLOAD.as_bytes()
    } else {
        req.body
    };
    let canonical = canonical_request(
        req.method,
        req.path,
        req.query,
        &headers,
        auth.signed_headers,
        &sha256_hex(payload),
    );
    let sts = string_to_sign(
        timestamp,
        &credential_scope(&date, auth.service),
        &canonical,
    );
    let key = signing_key(secret_key, &date, auth.service);
    let given = decode_hex(auth.signature).ok_or(Tc3Error::SignatureMismatch)?;
    hmac(&key, sts.as_bytes())
        .verify_slice(&given)
        .map_err(|_| Tc3Error::SignatureMismatch)?;
    Ok(Verified {
        secret_id: auth.secret_id,
        timestamp,
        service: auth.service,
    })
}

/// Decodes hex (either case); `None` for an odd length or a non-hex digit.
fn decode_hex(text: &str) -> Option<Vec<u8>> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let bytes = text.as_bytes();
    if bytes.len() % 2 != 0 {
        return None;
    }
    bytes
        .chunks_exact(2)
        .map(|p| Some((nibble(p[0])? << 4) | nibble(p[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        for (ts, want) in [
            (0, "1970-01-01"),
            (86_399, "1970-01-01"),
            (86_400, "1970-01-02"),
            (951_782_400, "2000-02-29"),
            (1_709_164_800, "2024-02-29"),
            (1_735_689_599, "2024-12-31"),
            (1_735_689_600, "2025-01-01"),
            (4_102_444_800, "2100-01-01"),
            (4_107_542_400, "2100-03-01"),
        ] {
            assert_eq!(utc_date(ts), want, "{ts}");
        }
    }

    #[test]
    fn hex_round_trip() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        assert_eq!(decode_hex("000fA5ff"), Some(vec![0x00, 0x0f, 0xa5, 0xff]));
        assert_eq!(decode_hex("abc"), None);
        assert_eq!(decode_hex("zz"), None);
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn authorization_parsing() {
        let a = parse_authorization(
            "TC3-HMAC-SHA256 Credential=AKID/2025-01-01/tdmq/tc3_request, SignedHeaders=content-type;host, Signature=00ff",
        );
        assert_eq!(
            a,
            Ok(Authorization {
                secret_id: "AKID",
                date: "2025-01-01",
                service: "tdmq",
                signed_headers: "content-type;host",
                signature: "00ff",
            })
        );
        let bad = [
            (
                "",
                Tc3Error::MalformedAuthorization("no credential after the algorithm"),
            ),
            ("HMAC x", Tc3Error::UnsupportedAlgorithm("HMAC".into())),
            (
                "TC3-HMAC-SHA256 Credential=a/2025-01-01/tdmq/tc3_request, Signature=1",
                Tc3Error::MalformedAuthorization("no SignedHeaders"),
            ),
            (
                "TC3-HMAC-SHA256 Credential=a/2025-01-01/tdmq/v4, SignedHeaders=host, Signature=1",
                Tc3Error::MalformedCredential,
            ),
            (
                "TC3-HMAC-SHA256 Credential=a/2025-01-01/tdmq/tc3_request, SignedHeaders=host, Signature=1, Signature=2",
                Tc3Error::MalformedAuthorization("a member appears twice"),
            ),
        ];
        for (text, want) in bad {
            assert_eq!(parse_authorization(text), Err(want), "{text}");
        }
    }

    #[test]
    fn debug_redacts_signatures_and_keys() {
        let input = SignInput {
            secret_id: "AKIDx",
            secret_key: "very-secret-key",
            service: "tdmq",
            host: "h",
            path: "/",
            timestamp: 1,
            body: b"{}",
        };
        let signed = sign(&input);
        for text in [format!("{input:?}"), format!("{signed:?}")] {
            assert!(!text.contains("very-secret-key"), "{text}");
            assert!(!text.contains(&signed.signature), "{text}");
        }
        let auth = parse_authorization(&signed.authorization).unwrap();
        assert!(!format!("{auth:?}").contains(&signed.signature));
    }
}
