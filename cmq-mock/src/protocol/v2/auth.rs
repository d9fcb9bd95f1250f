//! Request authentication: the CMQ API 2.0 signature, the Timestamp window and replay refusal.
//!
//! The rules (the service's documented ones, and the spec's decisions where it is silent):
//!
//! * `SecretId` must be present and name a known account ([`Accounts`]); otherwise
//!   [`protocol::MISSING_SECRET_ID`] (4100/10270).
//! * `Signature` must be present ([`protocol::BAD_SIGNATURE`], 4100/10030 otherwise).
//! * `Timestamp` must be a whole number of Unix seconds at most `skew` seconds (default
//!   [`TIMESTAMP_SKEW_SECONDS`], 300) from the clock's now, either way; otherwise
//!   [`protocol::EXPIRED`] (4100/10030).
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

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Mutex, MutexGuard};

use cmq_sdk::generated::TIMESTAMP_SKEW_SECONDS;
use cmq_sdk::generated::errors::protocol;
use cmq_sdk::sign::{self, SIGNATURE_METHOD_PARAM, SIGNATURE_PARAM, SignatureMethod};

use super::service::ServiceError;
use super::wire::WireParams;
use crate::clock::Clock;

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

const SHARDS: usize = 16;

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

        let sig_method = SignatureMethod::from_wire(params.get(SIGNATURE_METHOD_PARAM));
        let pairs: Vec<(&str, &str)> = params
            .pairs()
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
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

        let nonce = params.get("Nonce").unwrap_or("");
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

/// Remembers signed requests until their Timestamp leaves the window.
struct ReplayCache {
    hashers: (RandomState, RandomState),
    shards: Box<[Mutex<Shard>]>,
    cap_per_shard: usize,
}

#[derive(Default)]
struct Shard {
    seen: HashSet<u128>,
    /// Keys by expiry second (Timestamp + skew), earliest first.
    by_expiry: BTreeMap<u64, Vec<u128>>,
}

impl ReplayCache {
    fn new(capacity: usize) -> Self {
        Self {
            hashers: (RandomState::new(), RandomState::new()),
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            cap_per_shard: capacity.div_ceil(SHARDS).max(1),
        }
    }

    fn key(&self, secret_id: &str, nonce: &str, ts: u64, signature: &str) -> u128 {
        let k = (secret_id, nonce, ts, signature);
        (u128::from(self.hashers.0.hash_one(k)) << 64) | u128::from(self.hashers.1.hash_one(k))
    }

    fn shard(&self, key: u128) -> MutexGuard<'_, Shard> {
        // Nothing a panic could interrupt leaves a shard inconsistent in a way that matters
        // (at worst an entry is remembered without its expiry), so a poisoned lock is usable.
        let i = (key as usize) % self.shards.len();
        self.shards[i].lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Remembers the request; false when it was already remembered (a replay).
    fn insert_fresh(
        &self,
        secret_id: &str,
        nonce: &str,
        ts: u64,
        signature: &str,
        expires: u64,
        now: u64,
    ) -> bool {
        let key = self.key(secret_id, nonce, ts, signature);
        let mut shard = self.shard(key);
        let Shard { seen, by_expiry } = &mut *shard;
        // Forget what has left the window (a replay of it is refused as expired anyway).
        while let Some(bucket) = by_expiry.first_entry() {
            if *bucket.key() >= now {
                break;
            }
            for k in bucket.remove() {
                seen.remove(&k);
            }
        }
        if seen.contains(&key) {
            return false;
        }
        // Full: forget the entries closest to expiry.
        while seen.len() >= self.cap_per_shard {
            let Some(mut bucket) = by_expiry.first_entry() else {
                seen.clear();
                break;
            };
            if let Some(k) = bucket.get_mut().pop() {
                seen.remove(&k);
            }
            if bucket.get().is_empty() {
                bucket.remove();
            }
        }
        seen.insert(key);
        by_expiry.entry(expires).or_default().push(key);
        true
    }

    fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(|e| e.into_inner()).seen.len())
            .sum()
    }

    fn clear(&self) {
        for s in self.shards.iter() {
            let mut s = s.lock().unwrap_or_else(|e| e.into_inner());
            s.seen.clear();
            s.by_expiry.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cmq_sdk::generated::errors::ErrorId;
    use std::time::Duration;

    const KEY: &str = "pPgfLipfEXZ7VcRzhAMIyPaU7UbQyFFx";
    const ID: &str = "AKIDPcYDclDJCn8D0Xypa4f3pKYUCVYLn3zT";
    const HOST: &str = "cmq-queue-gz.api.tencentyun.com";
    const PATH: &str = "/v2/index.php";
    const TS: u64 = 1_534_154_812;

    fn accounts() -> HashMap<String, String> {
        HashMap::from([(ID.to_owned(), KEY.to_owned())])
    }

    fn verifier() -> Verifier {
        Verifier::new(Clock::manual(TS * 1000))
    }

    fn doc_pairs(method: &str) -> Vec<(String, String)> {
        [
            ("queueName", "test1"),
            ("msgBody", "msg"),
            ("Timestamp", "1534154812"),
            ("SignatureMethod", method),
            ("Nonce", "2889712707386595659"),
            ("delaySeconds", "0"),
            ("Action", "SendMessage"),
            ("clientRequestId", "1231231231"),
            ("SecretId", ID),
            ("RequestClient", "SDK_Python_1.3"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    fn with_sig(mut pairs: Vec<(String, String)>, sig: &str) -> WireParams {
        pairs.push(("Signature".to_owned(), sig.to_owned()));
        WireParams::from_pairs(pairs)
    }

    /// Signs `pairs` as an SDK would (every parameter, or without `@` values when `skip_at`).
    fn signed(http: &str, pairs: Vec<(String, String)>, skip_at: bool) -> WireParams {
        let method = SignatureMethod::from_wire(
            pairs
                .iter()
                .find(|(k, _)| k == "SignatureMethod")
                .map(|(_, v)| v.as_str()),
        );
        let refs: Vec<(&str, &str)> = pairs
            .iter()
            .filter(|(_, v)| !(skip_at && v.starts_with('@')))
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let sig = sign::sign(KEY, method, &sign::string_to_sign(http, HOST, PATH, &refs));
        with_sig(pairs, &sig)
    }

    fn set(pairs: &mut [(String, String)], name: &str, value: &str) {
        for (k, v) in pairs.iter_mut() {
            if k == name {
                *v = value.to_owned();
            }
        }
    }

    fn err(r: Result<String, ServiceError>) -> ErrorId {
        match r {
            Ok(a) => panic!("accepted as {a}"),
            Err(e) => e.error,
        }
    }

    #[test]
    fn reference_vector_post_sha1() {
        let v = verifier();
        let p = with_sig(doc_pairs("HmacSHA1"), "C16WEtEXsD5v5tnaUMLAbZewXhI=");
        assert_eq!(
            v.verify("POST", HOST, PATH, &p, &accounts())
                .ok()
                .as_deref(),
            Some(ID)
        );
    }

    #[test]
    fn reference_vector_get_and_method_mismatch() {
        let v = verifier();
        let get = with_sig(doc_pairs("HmacSHA1"), "fkR3mzm6NfEbQqgF0B+Fd4rFLtM=");
        assert_eq!(
            err(v.verify("POST", HOST, PATH, &get, &accounts())),
            protocol::BAD_SIGNATURE
        );
        assert!(v.verify("GET", HOST, PATH, &get, &accounts()).is_ok());
        let post = with_sig(doc_pairs("HmacSHA1"), "C16WEtEXsD5v5tnaUMLAbZewXhI=");
        assert_eq!(
            err(v.verify("GET", HOST, PATH, &post, &accounts())),
            protocol::BAD_SIGNATURE
        );
    }

    #[test]
    fn reference_vector_sha256_and_unknown_method_is_sha1() {
        let v = verifier();
        let p = with_sig(
            doc_pairs("HmacSHA256"),
            "7aNNVzszJftqWPLvvnHU3lDznBYFPof7ACkTD3OJUu4=",
        );
        assert!(v.verify("POST", HOST, PATH, &p, &accounts()).is_ok());
        // An unknown SignatureMethod value means SHA-1 (over the string that carries the value).
        let p = signed("POST", doc_pairs("HmacSHA512"), false);
        assert!(v.verify("POST", HOST, PATH, &p, &accounts()).is_ok());
        // Missing SignatureMethod means SHA-1.
        let pairs: Vec<_> = doc_pairs("x")
            .into_iter()
            .filter(|(k, _)| k != "SignatureMethod")
            .collect();
        let p = signed("POST", pairs, false);
        assert!(v.verify("POST", HOST, PATH, &p, &accounts()).is_ok());
    }

    #[test]
    fn host_and_path_are_part_of_the_signature() {
        let v = verifier();
        let p = with_sig(doc_pairs("HmacSHA1"), "C16WEtEXsD5v5tnaUMLAbZewXhI=");
        assert_eq!(
            err(v.verify(
                "POST",
                "cmq-queue-gz.api.tencentyun.com:80",
                PATH,
                &p,
                &accounts()
            )),
            protocol::BAD_SIGNATURE
        );
        assert_eq!(
            err(v.verify("POST", HOST, "/", &p, &accounts())),
            protocol::BAD_SIGNATURE
        );
    }

    #[test]
    fn unknown_parameters_are_signed() {
        let v = verifier();
        let mut pairs = doc_pairs("HmacSHA1");
        pairs.push(("UserpollingWaitSeconds".into(), "30".into()));
        let p = signed("POST", pairs.clone(), false);
        assert!(v.verify("POST", HOST, PATH, &p, &accounts()).is_ok());
        // The doc signature, which does not cover the extra parameter, fails.
        let p = with_sig(pairs, "C16WEtEXsD5v5tnaUMLAbZewXhI=");
        assert_eq!(
            err(v.verify("POST", HOST, PATH, &p, &accounts())),
            protocol::BAD_SIGNATURE
        );
    }

    #[test]
    fn at_values_both_rules_on_post_only() {
        let v = verifier();
        let mut pairs = doc_pairs("HmacSHA1");
        set(&mut pairs, "msgBody", "@file");
        // Java/Go/C++ rule: the value is signed.
        set(&mut pairs, "Nonce", "1");
        assert!(
            v.verify(
                "POST",
                HOST,
                PATH,
                &signed("POST", pairs.clone(), false),
                &accounts()
            )
            .is_ok()
        );
        // Python/PHP rule: the value is left out on POST.
        set(&mut pairs, "Nonce", "2");
        assert!(
            v.verify(
                "POST",
                HOST,
                PATH,
                &signed("POST", pairs.clone(), true),
                &accounts()
            )
            .is_ok()
        );
        // On GET only the full rule holds.
        set(&mut pairs, "Nonce", "3");
        assert_eq!(
            err(v.verify(
                "GET",
                HOST,
                PATH,
                &signed("GET", pairs.clone(), true),
                &accounts()
            )),
            protocol::BAD_SIGNATURE
        );
        set(&mut pairs, "Nonce", "4");
        assert!(
            v.verify("GET", HOST, PATH, &signed("GET", pairs, false), &accounts())
                .is_ok()
        );
    }

    #[test]
    fn secret_id_and_signature_required() {
        let v = verifier();
        let no_id: Vec<_> = doc_pairs("HmacSHA1")
            .into_iter()
            .filter(|(k, _)| k != "SecretId")
            .collect();
        assert_eq!(
            err(v.verify(
                "POST",
                HOST,
                PATH,
                &signed("POST", no_id, false),
                &accounts()
            )),
            protocol::MISSING_SECRET_ID
        );
        let mut unknown = doc_pairs("HmacSHA1");
        set(&mut unknown, "SecretId", "AKIDnobody");
        assert_eq!(
            err(v.verify(
                "POST",
                HOST,
                PATH,
                &signed("POST", unknown, false),
                &accounts()
            )),
            protocol::MISSING_SECRET_ID
        );
        let no_sig = WireParams::from_pairs(doc_pairs("HmacSHA1"));
        assert_eq!(
            err(v.verify("POST", HOST, PATH, &no_sig, &accounts())),
            protocol::BAD_SIGNATURE
        );
        let bad = with_sig(doc_pairs("HmacSHA1"), "not base64!");
        assert_eq!(
            err(v.verify("POST", HOST, PATH, &bad, &accounts())),
            protocol::BAD_SIGNATURE
        );
        assert_eq!(protocol::MISSING_SECRET_ID.code(), 4100);
        assert_eq!(protocol::MISSING_SECRET_ID.module(), 10270);
        assert_eq!(protocol::BAD_SIGNATURE.module(), 10030);
    }

    #[test]
    fn timestamp_missing_or_not_a_number() {
        let v = verifier();
        let no_ts: Vec<_> = doc_pairs("HmacSHA1")
            .into_iter()
            .filter(|(k, _)| k != "Timestamp")
            .collect();
        assert_eq!(
            err(v.verify(
                "POST",
                HOST,
                PATH,
                &signed("POST", no_ts, false),
                &accounts()
            )),
            protocol::EXPIRED
        );
        for bad in ["", "abc", "1534154812.0", "-1534154812"] {
            let mut pairs = doc_pairs("HmacSHA1");
            set(&mut pairs, "Timestamp", bad);
            assert_eq!(
                err(v.verify(
                    "POST",
                    HOST,
                    PATH,
                    &signed("POST", pairs, false),
                    &accounts()
                )),
                protocol::EXPIRED,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn skew_both_ways() {
        let doc = || with_sig(doc_pairs("HmacSHA1"), "C16WEtEXsD5v5tnaUMLAbZewXhI=");
        // The clock 300 s after the Timestamp: accepted; 301 s: expired.
        let v = Verifier::new(Clock::manual((TS + 300) * 1000 + 999));
        assert!(v.verify("POST", HOST, PATH, &doc(), &accounts()).is_ok());
        let v = Verifier::new(Clock::manual((TS + 301) * 1000));
        assert_eq!(
            err(v.verify("POST", HOST, PATH, &doc(), &accounts())),
            protocol::EXPIRED
        );
        // The clock 300 s before the Timestamp: accepted; 301 s: expired.
        let v = Verifier::new(Clock::manual((TS - 300) * 1000));
        assert!(v.verify("POST", HOST, PATH, &doc(), &accounts()).is_ok());
        let v = Verifier::new(Clock::manual((TS - 301) * 1000));
        assert_eq!(
            err(v.verify("POST", HOST, PATH, &doc(), &accounts())),
            protocol::EXPIRED
        );
        // A custom window.
        let v = Verifier::new(Clock::manual((TS + 10) * 1000)).with_skew_secs(5);
        assert_eq!(v.skew_secs(), 5);
        assert_eq!(
            err(v.verify("POST", HOST, PATH, &doc(), &accounts())),
            protocol::EXPIRED
        );
    }

    #[test]
    fn replay_is_refused_but_same_nonce_with_other_timestamp_is_not() {
        let clock = Clock::manual(TS * 1000);
        let v = Verifier::new(clock.clone());
        let doc = with_sig(doc_pairs("HmacSHA1"), "C16WEtEXsD5v5tnaUMLAbZewXhI=");
        assert!(v.verify("POST", HOST, PATH, &doc, &accounts()).is_ok());
        assert_eq!(
            err(v.verify("POST", HOST, PATH, &doc, &accounts())),
            protocol::REPLAYED
        );
        assert_eq!(
            err(v.verify("POST", HOST, PATH, &doc, &accounts())),
            protocol::REPLAYED
        );
        // Same Nonce, another Timestamp (re-signed): a new request.
        let mut pairs = doc_pairs("HmacSHA1");
        set(&mut pairs, "Timestamp", &(TS + 1).to_string());
        let again = signed("POST", pairs, false);
        assert!(v.verify("POST", HOST, PATH, &again, &accounts()).is_ok());
        // Same Nonce and Timestamp, different content (so a different signature): accepted.
        let mut pairs = doc_pairs("HmacSHA1");
        set(&mut pairs, "msgBody", "other");
        assert!(
            v.verify(
                "POST",
                HOST,
                PATH,
                &signed("POST", pairs, false),
                &accounts()
            )
            .is_ok()
        );
        // A refused replay does not count as a fresh request later.
        assert_eq!(v.replay_entries(), 3);
        // Once the first request's Timestamp leaves the window it is refused as expired, and
        // the cache forgets it.
        clock.advance(Duration::from_secs(301));
        assert_eq!(
            err(v.verify("POST", HOST, PATH, &doc, &accounts())),
            protocol::EXPIRED
        );
        let mut pairs = doc_pairs("HmacSHA1");
        set(&mut pairs, "Timestamp", &(TS + 301).to_string());
        // Pruning is lazy (per shard, on its next request), so only a bound can be checked here;
        // `replay_cache_prunes_by_expiry_and_is_bounded` checks the pruning itself.
        assert!(
            v.verify(
                "POST",
                HOST,
                PATH,
                &signed("POST", pairs, false),
                &accounts()
            )
            .is_ok()
        );
        assert!(v.replay_entries() <= 4);
        v.clear_replay_cache();
        assert_eq!(v.replay_entries(), 0);
    }

    #[test]
    fn replay_cache_prunes_by_expiry_and_is_bounded() {
        let c = ReplayCache::new(SHARDS * 2);
        // Every insert below lands in some shard; at most 2 entries per shard survive.
        for i in 0..200u64 {
            assert!(c.insert_fresh("id", &i.to_string(), 100, "sig", 400, 100));
        }
        assert!(c.len() <= SHARDS * 2);
        let c = ReplayCache::new(1000);
        assert!(c.insert_fresh("id", "1", 100, "sig", 400, 100));
        assert!(!c.insert_fresh("id", "1", 100, "sig", 400, 399));
        assert!(!c.insert_fresh("id", "1", 100, "sig", 400, 400));
        // Past its expiry the entry is pruned before the lookup.
        assert!(c.insert_fresh("id", "1", 100, "sig", 400, 401));
        let key = c.key("id", "1", 100, "sig");
        assert_eq!(
            c.shard(key).by_expiry.values().map(Vec::len).sum::<usize>(),
            1
        );
        assert_eq!(c.shard(key).seen.len(), 1);
    }

    #[test]
    fn off_mode_accepts_everything() {
        let v = verifier()
            .with_mode(AuthMode::Off)
            .with_default_account("AKIDdefault");
        assert_eq!(v.mode(), AuthMode::Off);
        let junk =
            WireParams::from_pairs([("SecretId", ID), ("Signature", "junk"), ("Timestamp", "0")]);
        assert_eq!(
            v.verify("PUT", "h", "/", &junk, &accounts())
                .ok()
                .as_deref(),
            Some(ID)
        );
        assert_eq!(
            v.verify("PUT", "h", "/", &junk, &accounts())
                .ok()
                .as_deref(),
            Some(ID)
        );
        let stranger = WireParams::from_pairs([("SecretId", "AKIDstranger")]);
        assert_eq!(
            v.verify("POST", "h", "/", &stranger, &accounts())
                .ok()
                .as_deref(),
            Some("AKIDdefault")
        );
        assert_eq!(
            v.verify("POST", "h", "/", &WireParams::default(), &accounts())
                .ok()
                .as_deref(),
            Some("AKIDdefault")
        );
        v.set_mode(AuthMode::Verify);
        assert_eq!(
            err(v.verify("POST", "h", "/", &junk, &accounts())),
            protocol::BAD_SIGNATURE
        );
    }
}
