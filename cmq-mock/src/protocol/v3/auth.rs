//! Authentication of an API 3.0 request: the TC3-HMAC-SHA256 signature (`cmq_sdk::sign::tc3`,
//! the SDK's own signer run in reverse), the timestamp window and the account.
//!
//! The checks, in order (each answers the spec's protocol error, `spec/v3/protocol.json`):
//!
//! * with [`AuthMode::Off`] nothing is checked: the account is the Credential's SecretId when
//!   it names a known account, else the verifier's default account;
//! * `Authorization` missing, not `TC3-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`,
//!   a credential that is not `SecretId/date/service/tc3_request`, or `SignedHeaders` without
//!   `content-type` and `host`: `AuthFailure.InvalidAuthorization`;
//! * a SecretId no account has: `AuthFailure.SecretIdNotFound`;
//! * `X-TC-Timestamp` missing: `MissingParameter`; not a number: `InvalidParameter`; more than
//!   the verifier's window (the spec's `timestamp_skew_seconds`, 300 s, unless configured) from
//!   the verifier's clock: `AuthFailure.SignatureExpire`;
//! * a credential for another product than `tdmq`, a credential date that is not the UTC date
//!   of the timestamp, a signed header that is absent, or a signature that does not match the
//!   account's SecretKey over the request as received (method, path, query, the signed headers,
//!   the body's SHA-256 or `UNSIGNED-PAYLOAD`): `AuthFailure.SignatureFailure`.
//!
//! `X-TC-Token` is not checked (the mock has no temporary credentials) and TC3 has no nonce, so
//! a request repeated within the window is served again, as the service does.

use cmq_sdk::generated::v3::errors::{Api3ErrorId, protocol};
use cmq_sdk::generated::v3::{PRODUCT, headers};
use cmq_sdk::sign::tc3::{self, Tc3Error, Tc3Request};

use crate::generated::v3::envelope::Api3Error;
use crate::protocol::v2::auth::{Accounts, AuthMode, Verifier};

/// The SecretId of the `Authorization` header, when it parses.
fn secret_id_of<'a>(req: &Tc3Request<'a>) -> Option<&'a str> {
    let value = req.header(headers::AUTHORIZATION)?;
    tc3::parse_authorization(value).ok().map(|a| a.secret_id)
}

/// The answer to a failed verification stage.
fn tc3_error(e: &Tc3Error) -> Api3Error {
    match e {
        Tc3Error::MalformedAuthorization(_)
        | Tc3Error::UnsupportedAlgorithm(_)
        | Tc3Error::MalformedCredential
        | Tc3Error::SignedHeadersIncomplete => Api3Error::new(protocol::BAD_AUTHORIZATION),
        Tc3Error::MalformedTimestamp(_) => {
            Api3Error::about(Api3ErrorId::InvalidParameter, headers::X_TC_TIMESTAMP)
        }
        Tc3Error::MissingHeader(h) if h.eq_ignore_ascii_case(headers::AUTHORIZATION) => {
            Api3Error::new(protocol::BAD_AUTHORIZATION)
        }
        Tc3Error::MissingHeader(h) if h.eq_ignore_ascii_case(headers::X_TC_TIMESTAMP) => {
            Api3Error::about(Api3ErrorId::MissingParameter, headers::X_TC_TIMESTAMP)
        }
        _ => Api3Error::new(protocol::BAD_SIGNATURE),
    }
}

/// Authenticates `req` and returns its account id (see the module docs for the checks).
pub fn authenticate(
    req: &Tc3Request<'_>,
    verifier: &Verifier,
    accounts: &dyn Accounts,
) -> Result<String, Api3Error> {
    if verifier.mode() == AuthMode::Off {
        return Ok(match secret_id_of(req) {
            Some(id) if accounts.secret_key(id).is_some() => id.to_owned(),
            _ => verifier.default_account().to_owned(),
        });
    }
    let value = req
        .header(headers::AUTHORIZATION)
        .ok_or_else(|| Api3Error::new(protocol::BAD_AUTHORIZATION))?;
    let auth = tc3::parse_authorization(value).map_err(|e| tc3_error(&e))?;
    let names: Vec<&str> = auth.signed_headers.split(';').collect();
    if !names.contains(&"content-type") || !names.contains(&"host") {
        return Err(tc3_error(&Tc3Error::SignedHeadersIncomplete));
    }
    let secret_key = accounts
        .secret_key(auth.secret_id)
        .ok_or_else(|| Api3Error::new(protocol::UNKNOWN_SECRET_ID))?;
    let ts_text = req
        .header(headers::X_TC_TIMESTAMP)
        .ok_or_else(|| Api3Error::about(Api3ErrorId::MissingParameter, headers::X_TC_TIMESTAMP))?;
    let ts: u64 = ts_text
        .trim()
        .parse()
        .map_err(|_| Api3Error::about(Api3ErrorId::InvalidParameter, headers::X_TC_TIMESTAMP))?;
    if ts.abs_diff(verifier.clock().now_secs()) > verifier.skew_secs() {
        return Err(Api3Error::new(protocol::EXPIRED));
    }
    let verified = tc3::verify(req, &secret_key).map_err(|e| tc3_error(&e))?;
    if verified.service != PRODUCT {
        return Err(Api3Error::new(protocol::BAD_SIGNATURE));
    }
    Ok(verified.secret_id.to_owned())
}
