//! Request authentication: the CMQ API 2.0 signature, the Timestamp window and replay refusal.
//!
//! The rules (the service's documented ones, and the spec's decisions where it is silent):
//!
//! * `SecretId` must be present, start with `AKID` (4000/10450 otherwise, as the service
//!   documents) and name a known account ([`Accounts`]); otherwise
//!   [`protocol::MISSING_SECRET_ID`] (4100/10270).
//! * `Signature` must be present ([`protocol::BAD_SIGNATURE`], 4100/10030 otherwise).
//! * `Timestamp` must be a whole number of Unix seconds at most `skew` seconds (default
//!   [`TIMESTAMP_SKEW_SECONDS`], 300) from the clock's now, either way; otherwise
//!   [`protocol::EXPIRED`] (4100/10030).
//! * `Nonce` must be present and not empty (it is a required common parameter): otherwise
//!   4000/10390 "lacked of required parameter Nonce".
//! * The signature is checked over every received parameter except `Signature` (unknown ones
//!   included), with the method, the `Host` header as received (port included) and the path as
//!   requested. `SignatureMethod` missing or unknown means HmacSHA1. When that fails on a POST,
//!   the check is retried once without the parameters whose value starts with `@` (the Python
//!   and PHP SDK rule; the server's own rule is unknown, so both are accepted).
//! * A replay is the same `(SecretId, Nonce, Timestamp, Signature)` seen again while its
//!   Timestamp is inside the window: [`protocol::REPLAYED`] (4100/10030). The Nonce alone never
//!   refuses a request: real clients draw it from ranges as small as 1..65535.
//!
//! The replay cache is sharded (no global lock) and keeps 128-bit keyed hashes, not the
//! requests. It forgets an entry once its Timestamp leaves the window (pruned lazily, in expiry
//! order, on the next request of the same shard) and holds at most a configurable number of
//! entries; when full it forgets the entries closest to expiry first (under such a load a replay
//! of a forgotten request would be accepted). There is no background task.

mod replay;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU8, Ordering};

use cmq_sdk::generated::TIMESTAMP_SKEW_SECONDS;
use cmq_sdk::generated::errors::{ErrorId, protocol};
use cmq_sdk::sign::{self, SIGNATURE_METHOD_PARAM, SIGNATURE_PARAM, SignatureMethod};

use super::service::ServiceError;
use super::wire::WireParams;
use crate::clock::Clock;
use replay::ReplayCache;
#[cfg(test)]
use replay::SHARDS;

/// Whether requests must be signed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum AuthMode {
    /// Check SecretId, Timestamp, Signature and replays as the real service does.
    #[default]
    Verify,
    /// Accept every request. The account is the request's `SecretId` when it names a known
    /// account, else the verifier's default account.
    Off,
}

/// The known accounts: SecretId → SecretKey.
pub trait Accounts: Send + Sync + 'static {
    /// The secret key of `secret_id`, or `None` when no such account exists.
    fn secret_key(&self, secret_id: &str) -> Option<String>;
}

impl Accounts for HashMap<String, String> {
    fn secret_key(&self, secret_id: &str) -> Option<String> {
        self.get(secret_id).cloned()
    }
}

impl Accounts for BTreeMap<String, String> {
    fn secret_key(&self, secret_id: &str) -> Option<String> {
        self.get(secret_id).cloned()
    }
}

/// The default account id used in [`AuthMode::Off`] when a request names no known account.
pub const DEFAULT_ACCOUNT_ID: &str = "AKIDmockdefaultaccount";

/// The default bound of the replay cache (entries, all shards together).
pub const DEFAULT_REPLAY_CAPACITY: usize = 1 << 18;

/// Checks request signatures, Timestamps and replays.
pub struct Verifier {
    clock: Clock,
    mode: AtomicU8,
    skew_secs: u64,
    default_account: String,
    replay: ReplayCache,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("clock", &self.clock)
            .field("mode", &self.mode())
            .field("skew_secs", &self.skew_secs)
            .field("default_account", &self.default_account)
            .field("replay_entries", &self.replay_entries())
            .finish()
    }
}

impl Verifier {
    /// A verifier in [`AuthMode::Verify`] with the default skew ([`TIMESTAMP_SKEW_SECONDS`]),
    /// default account ([`DEFAULT_ACCOUNT_ID`]) and replay capacity
    /// ([`DEFAULT_REPLAY_CAPACITY`]).
    pub fn new(clock: Clock) -> Self {
        Self {
            clock,
            mode: AtomicU8::new(mode_to_u8(AuthMode::Verify)),
            skew_secs: TIMESTAMP_SKEW_SECONDS,
            default_account: DEFAULT_ACCOUNT_ID.to_owned(),
            replay: ReplayCache::new(DEFAULT_REPLAY_CAPACITY),
        }
    }

    /// Sets the mode.
    pub fn with_mode(self, mode: AuthMode) -> Self {
        self.set_mode(mode);
        self
    }

    /// Sets how far (in seconds, either way) a Timestamp may be from the clock.
    pub fn with_skew_secs(mut self, skew_secs: u64) -> Self {
        self.skew_secs = skew_secs;
        self
    }

    /// Sets the account used in [`AuthMode::Off`] for requests that name no known account.
    pub fn with_default_account(mut self, account_id: impl Into<String>) -> Self {
        self.default_account = account_id.into();
        self
    }

    /// Sets the most entries the replay cache holds (at least one per shard).
    pub fn with_replay_capacity(mut self, entries: usize) -> Self {
        self.replay = ReplayCache::new(entries);
        self
    }

    /// Switches the mode at run time (e.g. from the admin API).
    pub fn set_mode(&self, mode: AuthMode) {
        self.mode.store(mode_to_u8(mode), Ordering::Relaxed);
    }

    /// The current mode.
    pub fn mode(&self) -> AuthMode {
        if self.mode.load(Ordering::Relaxed) == mode_to_u8(AuthMode::Off) {
            AuthMode::Off
        } else {
            AuthMode::Verify
        }
    }

    /// The Timestamp window, in seconds either way.
    pub fn skew_secs(&self) -> u64 {
        self.skew_secs
    }

    /// The account used in [`AuthMode::Off`] for requests that name no known account.
    pub fn default_account(&self) -> &str {
        &self.default_account
    }

    /// The clock the Timestamp is compared with.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// How many signed requests the replay cache remembers right now (expired entries that have
    /// not been pruned yet included).
    pub fn replay_entries(&self) -> usize {
        self.replay.len()
    }

    /// Forgets every remembered request.
    pub fn clear_replay_cache(&self) {
        self.replay.clear();
    }

    /// Authenticates one request and returns its account id (the SecretId).
    ///
    /// `method` is the HTTP method as sent, `host` the `Host` header as received (port
    /// included), `path` the request path as requested, `params` every parameter received.
    pub fn verify(
        &self,
        method: &str,
        host: &str,
        path: &str,
        params: &WireParams,
        accounts: &dyn Accounts,
    ) -> Result<String, ServiceError> {
        let secret_id = params.get("SecretId").filter(|s| !s.is_empty());
        if self.mode() == AuthMode::Off {
            return Ok(match secret_id {
                Some(id) if accounts.secret_key(id).is_some() => id.to_owned(),
                _ => self.default_account.clone(),
            });
        }

        let secret_id = secret_id.ok_or_else(|| ServiceError::new(protocol::MISSING_SECRET_ID))?;
        if !secret_id.starts_with("AKID") {
            return Err(ServiceError::new(ErrorId::SecretIdFormatError));
        }
        let secret_key = accounts
            .secret_key(secret_id)
            .ok_or_else(|| ServiceError::new(protocol::MISSING_SECRET_ID))?;
        let signature = params
            .get(SIGNATURE_PARAM)
            .ok_or_else(|| ServiceError::new(protocol::BAD_SIGNATURE))?;

        let ts_text = params
            .get("Timestamp")
            .ok_or_else(|| ServiceError::new(protocol::EXPIRED))?;
        let ts: u64 = ts_text
            .parse()
            .map_err(|_| ServiceError::new(protocol::EXPIRED))?;
        let now = self.clock.now_secs();
        if ts.abs_diff(now) > self.skew_secs {
            return Err(ServiceError::new(protocol::EXPIRED));
        }

        let nonce = params
            .get("Nonce")
            .filter(|n| !n.is_empty())
            .ok_or_else(|| ServiceError::about(ErrorId::LackOfRequiredParameter, "Nonce"))?;

        let sig_method = SignatureMethod::from_wire(params.get(SIGNATURE_METHOD_PARAM));
        let pairs: Vec<(&str, &str)> = params.pairs().collect();
        let sts = sign::string_to_sign(method, host, path, &pairs);
        let mut ok = sign::verify(&secret_key, sig_method, &sts, signature);
        if !ok && method == "POST" && pairs.iter().any(|(_, v)| v.starts_with('@')) {
            let without_at: Vec<(&str, &str)> = pairs
                .iter()
                .copied()
                .filter(|(_, v)| !v.starts_with('@'))
                .collect();
            let sts = sign::string_to_sign(method, host, path, &without_at);
            ok = sign::verify(&secret_key, sig_method, &sts, signature);
        }
        if !ok {
            return Err(ServiceError::new(protocol::BAD_SIGNATURE));
        }

        let expires = ts.saturating_add(self.skew_secs);
        if !self
            .replay
            .insert_fresh(secret_id, nonce, ts, signature, expires, now)
        {
            return Err(ServiceError::new(protocol::REPLAYED));
        }
        Ok(secret_id.to_owned())
    }
}

fn mode_to_u8(mode: AuthMode) -> u8 {
    match mode {
        AuthMode::Verify => 0,
        AuthMode::Off => 1,
    }
}

#[cfg(test)]
mod tests;
