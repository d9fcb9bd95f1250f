//! A bounded journal of the CMQ requests a server answered, for tests and the admin API.
//!
//! Each record holds the time (clock milliseconds), the account (when authentication got that
//! far), the `Action` text as received, the parameters in arrival order, and the answer's `code`
//! and `requestId`. Two budgets bound it: a number of records (default 10,000) and a number of
//! bytes (default [`DEFAULT_JOURNAL_BYTES`], everything a record holds on the heap counted); the
//! oldest records are forgotten first. Recording can be turned off (then it costs one relaxed
//! atomic load).
//!
//! # Cheap to record, formatted when read
//!
//! The server hands the request's parameters over **by value** (they are already one string and
//! a list of offsets, see [`WireParams`]), so recording copies nothing; redaction and the
//! [`JournalRecord`] view are made only when someone reads the journal. Two things bound what a
//! record may hold:
//!
//! * a value longer than the value budget (default [`DEFAULT_JOURNAL_VALUE_BYTES`]) is cut to it
//!   (on a character boundary) and read back with the marker [`TRUNCATED_MARKER`] and its
//!   original length, e.g. `"aaaa…[truncated: 65536 bytes]"`;
//! * a request refused **before it was authenticated** (too large, too many or duplicate
//!   parameters, unknown action, bad signature, …) is recorded without its parameters
//!   ([`JournalRecord::params_omitted`]): only the `Action` text, cut to 64 bytes. Unsigned junk
//!   therefore costs the journal a few dozen bytes, whatever its size.
//!
//! Credentials never leave the journal: `Signature`, `Token` and any `SecretKey` read back as
//! [`REDACTED`].
//!
//! # API 3.0 requests
//!
//! An API 3.0 request is recorded the same way, its parameters being: `Action` (from
//! `X-TC-Action`), `Version`, `Region` (when sent), then every top-level member of the JSON body
//! in key order (a string as its text, any other value as compact JSON). The headers, and so
//! the `Authorization` signature and `X-TC-Token`, are never recorded. Its `code` is 0 on
//! success and [`API3_ERROR_CODE`] on an error, whose code (`ResourceNotFound`,
//! `AuthFailure.SignatureFailure`, …) is [`JournalRecord::error_code`].

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

use crate::protocol::v2::wire::WireParams;

/// What replaces a redacted value.
pub const REDACTED: &str = "***";

/// What follows the kept part of a cut value, before its original length in bytes.
pub const TRUNCATED_MARKER: &str = "…[truncated: ";

/// The default number of records kept.
pub(crate) const DEFAULT_CAPACITY: usize = 10_000;

/// The default byte budget of a journal: 32 MiB.
pub const DEFAULT_JOURNAL_BYTES: usize = 32 << 20;

/// The default longest value a record keeps whole: 4 KiB.
pub const DEFAULT_JOURNAL_VALUE_BYTES: usize = 4096;

/// The `code` of an API 3.0 request answered with an error (API 3.0 has no numeric codes:
/// [`JournalRecord::error_code`] holds the error's code).
pub const API3_ERROR_CODE: i64 = -1;

/// The longest `Action` text kept for a request refused before authentication.
const REFUSED_ACTION_BYTES: usize = 64;

/// One answered request, as read back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalRecord {
    /// When the request arrived, in clock milliseconds.
    pub time_ms: u64,
    /// The account it ran as; `None` when it was refused before authentication succeeded.
    pub account: Option<String>,
    /// The `Action` parameter as received (any case, possibly unknown); `None` when absent.
    pub action: Option<String>,
    /// Every parameter, in arrival order, as `[name, value]` pairs, with credentials redacted and
    /// long values cut (see the module docs). Empty when [`Self::params_omitted`].
    pub params: Vec<(String, String)>,
    /// True when the request was refused before authentication and its parameters were not
    /// kept.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub params_omitted: bool,
    /// The answer's `code`; `None` when the connection was dropped before the request was
    /// carried out (fault injection). A request whose answer was dropped after it was carried
    /// out (`drop_answer`) has the code it would have answered.
    pub code: Option<i64>,
    /// The answer's `requestId`.
    pub request_id: String,
    /// API 3.0 only: the error's `Code` when the answer was an error (then `code` is
    /// [`API3_ERROR_CODE`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
}

impl JournalRecord {
    /// The first value of parameter `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// True for parameter names whose values the journal never shows.
pub(crate) fn is_secret_param(name: &str) -> bool {
    name == "Signature"
        || name == "Token"
        || name.eq_ignore_ascii_case("SecretKey")
        || name.eq_ignore_ascii_case("secret_key")
}

/// Copies `pairs`, redacting credentials.
pub fn redacted<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<(String, String)> {
    pairs
        .into_iter()
        .map(|(k, v)| {
            let v = if is_secret_param(k) { REDACTED } else { v };
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
fn cut(s: &str, max: usize) -> &str {
    let mut n = max.min(s.len());
    while !s.is_char_boundary(n) {
        n -= 1;
    }
    &s[..n]
}

/// What a record keeps, as recorded (formatted into a [`JournalRecord`] when read).
struct Entry {
    /// Global arrival order (readers merge the shards by it).
    seq: u64,
    time_ms: u64,
    account: Option<String>,
    /// `None`: refused before authentication, parameters not kept.
    params: Option<WireParams>,
    /// The `Action` text of a refused request (cut); for the others it is read from `params`.
    refused_action: Option<String>,
    /// `(index, original length)` of the values that were cut.
    cut: Vec<(usize, usize)>,
    code: Option<i64>,
    /// API 3.0: the error's code.
    error_code: Option<&'static str>,
    request_id: String,
    /// What this entry holds, counted against the byte budget.
    bytes: usize,
}

impl Entry {
    fn weigh(mut self) -> Self {
        self.bytes = std::mem::size_of::<Entry>()
            + self.account.as_ref().map_or(0, String::capacity)
            + self.params.as_ref().map_or(0, WireParams::heap_bytes)
            + self.refused_action.as_ref().map_or(0, String::capacity)
            + self.cut.capacity() * std::mem::size_of::<(usize, usize)>()
            + self.request_id.capacity();
        self
    }

    fn view(&self) -> JournalRecord {
        let (action, params) = match &self.params {
            Some(p) => {
                let mut cut = self.cut.iter().peekable();
                let params = p
                    .pairs()
                    .enumerate()
                    .map(|(i, (k, v))| {
                        let value = if is_secret_param(k) {
                            REDACTED.to_owned()
                        } else if let Some(&(_, len)) = cut.next_if(|(at, _)| *at == i) {
                            format!("{v}{TRUNCATED_MARKER}{len} bytes]")
                        } else {
                            v.to_owned()
                        };
                        (k.to_owned(), value)
                    })
                    .collect();
                (p.get("Action").map(str::to_owned), params)
            }
            None => (self.refused_action.clone(), Vec::new()),
        };
        JournalRecord {
            time_ms: self.time_ms,
            account: self.account.clone(),
            action,
            params,
            params_omitted: self.params.is_none(),
            code: self.code,
            request_id: self.request_id.clone(),
            error_code: self.error_code.map(str::to_owned),
        }
    }

    fn action_is(&self, action: &str) -> bool {
        let name = match &self.params {
            Some(p) => p.get("Action"),
            None => self.refused_action.as_deref(),
        };
        name.is_some_and(|a| a.eq_ignore_ascii_case(action))
    }
}

/// Which records a filtered read of the journal selects (every filter given must match).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct JournalFilter {
    /// The `Action` text, compared ignoring ASCII case.
    pub(crate) action: Option<String>,
    /// The answer's code (a dropped connection has none and never matches).
    pub(crate) code: Option<i64>,
    /// The `queueName` parameter, compared ignoring ASCII case (queue names are
    /// case-insensitive).
    pub(crate) queue: Option<String>,
}

impl JournalFilter {
    fn matches(&self, e: &Entry) -> bool {
        self.action.as_deref().is_none_or(|a| e.action_is(a))
            && self.code.is_none_or(|c| e.code == Some(c))
            && self.queue.as_deref().is_none_or(|q| {
                e.params
                    .as_ref()
                    .and_then(|p| p.get("queueName"))
                    .is_some_and(|n| n.eq_ignore_ascii_case(q))
            })
    }
}

#[derive(Default)]
struct Ring {
    entries: VecDeque<Entry>,
    bytes: usize,
}

/// A journal this large (records and bytes) is split into [`SHARDS`] shards.
const SHARD_ABOVE: (usize, usize) = (4096, 4 << 20);

/// How many shards a large journal has.
const SHARDS: usize = 4;

/// Which shard this thread records into: threads take turns, so the server's worker threads
/// usually record (and free what they evict) in shards of their own.
fn my_shard(n: usize) -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static MINE: usize = NEXT.fetch_add(1, Ordering::Relaxed);
    }
    MINE.with(|m| *m) % n
}

/// The journal of one server (wrap it in an `Arc`).
///
/// A large journal (at least 4096 records and 4 MiB) is split into four shards, each with a
/// quarter of both budgets, and each thread records into one of them; so concurrent requests do
/// not contend on one lock, and a record is usually freed by the thread that made it. Readers
/// merge the shards in arrival order. The journal then keeps *about* the last `capacity`
/// records (each shard forgets its own oldest first). A smaller journal has one shard and keeps
/// exactly the last `capacity` records.
pub struct Journal {
    enabled: AtomicBool,
    capacity: usize,
    byte_budget: usize,
    value_bytes: usize,
    total: AtomicU64,
    shards: Box<[Mutex<Ring>]>,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal")
            .field("enabled", &self.is_enabled())
            .field("capacity", &self.capacity)
            .field("byte_budget", &self.byte_budget)
            .field("value_bytes", &self.value_bytes)
            .field("len", &self.len())
            .finish()
    }
}

impl Default for Journal {
    fn default() -> Self {
        Self::new()
    }
}

impl Journal {
    /// An enabled journal keeping 10,000 records within [`DEFAULT_JOURNAL_BYTES`].
    pub fn new() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY)
    }

    /// An enabled journal keeping the last `capacity` records (0 keeps none) within
    /// [`DEFAULT_JOURNAL_BYTES`].
    pub fn with_capacity(capacity: usize) -> Self {
        Self::with_budget(capacity, DEFAULT_JOURNAL_BYTES, DEFAULT_JOURNAL_VALUE_BYTES)
    }

    /// A journal keeping at most `capacity` records and `bytes` bytes, cutting values longer
    /// than `value_bytes`. A zero `capacity` or `bytes` keeps nothing (recording is off).
    pub fn with_budget(capacity: usize, bytes: usize, value_bytes: usize) -> Self {
        let n = if capacity >= SHARD_ABOVE.0 && bytes >= SHARD_ABOVE.1 {
            SHARDS
        } else {
            1
        };
        Self {
            enabled: AtomicBool::new(capacity > 0 && bytes > 0),
            capacity,
            byte_budget: bytes,
            value_bytes,
            total: AtomicU64::new(0),
            shards: (0..n)
                .map(|_| {
                    Mutex::new(Ring {
                        entries: VecDeque::with_capacity((capacity / n).min(1024)),
                        bytes: 0,
                    })
                })
                .collect(),
        }
    }

    /// A journal that records nothing until [`Journal::set_enabled`] turns it on.
    pub fn disabled() -> Self {
        let j = Self::new();
        j.set_enabled(false);
        j
    }

    fn lock(&self, shard: usize) -> MutexGuard<'_, Ring> {
        // Every update leaves the ring consistent: a poisoned lock is still usable.
        self.shards[shard].lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every shard locked, in order (readers only; a writer holds one shard at a time).
    fn lock_all(&self) -> Vec<MutexGuard<'_, Ring>> {
        (0..self.shards.len()).map(|i| self.lock(i)).collect()
    }

    /// `f` over every kept entry in arrival order.
    fn in_order<T>(&self, f: impl FnOnce(&mut dyn Iterator<Item = &Entry>) -> T) -> T {
        let guards = self.lock_all();
        if let [one] = guards.as_slice() {
            return f(&mut one.entries.iter());
        }
        let mut all: Vec<&Entry> = guards.iter().flat_map(|g| g.entries.iter()).collect();
        all.sort_unstable_by_key(|e| e.seq);
        f(&mut all.into_iter())
    }

    /// Turns recording on or off (records already kept stay).
    pub fn set_enabled(&self, enabled: bool) {
        self.enabled.store(
            enabled && self.capacity > 0 && self.byte_budget > 0,
            Ordering::Relaxed,
        );
    }

    /// True when recording.
    pub fn is_enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    /// The most records kept.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The most bytes the records may hold together.
    pub fn byte_budget(&self) -> usize {
        self.byte_budget
    }

    /// The longest value kept whole.
    pub fn value_bytes(&self) -> usize {
        self.value_bytes
    }

    /// The bytes the kept records hold now (counted as for the budget).
    pub fn bytes(&self) -> usize {
        (0..self.shards.len()).map(|i| self.lock(i).bytes).sum()
    }

    fn push(&self, mut entry: Entry) {
        entry.seq = self.total.fetch_add(1, Ordering::Relaxed);
        let entry = entry.weigh();
        let n = self.shards.len();
        let (capacity, budget) = (self.capacity.div_ceil(n), self.byte_budget / n);
        if entry.bytes > budget {
            return;
        }
        let mut evicted: Vec<Entry> = Vec::new();
        let first = {
            let mut r = self.lock(my_shard(n));
            r.bytes += entry.bytes;
            r.entries.push_back(entry);
            let mut first = None;
            while r.entries.len() > capacity || r.bytes > budget {
                let Some(old) = r.entries.pop_front() else {
                    break;
                };
                r.bytes -= old.bytes;
                match first {
                    None => first = Some(old),
                    Some(_) => evicted.push(old),
                }
            }
            first
        };
        // Freed outside the lock.
        drop(first);
        drop(evicted);
    }

    /// Records an authenticated request (or one served with authentication off): its
    /// parameters are kept by value, cut to the value budget. (The server records every request
    /// itself; this is public for the benchmarks.)
    #[doc(hidden)]
    pub fn record_request(
        &self,
        time_ms: u64,
        account: Option<String>,
        params: WireParams,
        code: Option<i64>,
        request_id: String,
    ) {
        if !self.is_enabled() {
            return;
        }
        let (params, cut) = match params.truncated(self.value_bytes) {
            Some((short, cut)) => (short, cut),
            None => (params, Vec::new()),
        };
        self.push(Entry {
            time_ms,
            account,
            params: Some(params),
            refused_action: None,
            cut,
            code,
            error_code: None,
            request_id,
            bytes: 0,
            seq: 0,
        });
    }

    /// Records an API 3.0 request (see the module docs): `params` as built by the server,
    /// `error` the answer's error code (`None` on success); `account` is `None` when it was
    /// refused before authentication, and then its parameters are not kept (only `Action`).
    pub(crate) fn record_api3(
        &self,
        time_ms: u64,
        account: Option<String>,
        params: WireParams,
        error: Option<&'static str>,
        request_id: String,
    ) {
        if !self.is_enabled() {
            return;
        }
        let code = Some(if error.is_some() { API3_ERROR_CODE } else { 0 });
        let (params, refused_action, cut) = if account.is_none() {
            let action = params
                .get("Action")
                .map(|a| cut(a, REFUSED_ACTION_BYTES).to_owned());
            (None, action, Vec::new())
        } else {
            match params.truncated(self.value_bytes) {
                Some((short, cut)) => (Some(short), None, cut),
                None => (Some(params), None, Vec::new()),
            }
        };
        self.push(Entry {
            time_ms,
            account,
            params,
            refused_action,
            cut,
            code,
            error_code: error,
            request_id,
            bytes: 0,
            seq: 0,
        });
    }

    /// Records a request refused before authentication, without its parameters: only its
    /// `Action` text (cut to 64 bytes).
    pub(crate) fn record_refusal(
        &self,
        time_ms: u64,
        action: Option<&str>,
        code: i64,
        request_id: String,
    ) {
        if !self.is_enabled() {
            return;
        }
        self.push(Entry {
            time_ms,
            account: None,
            params: None,
            refused_action: action.map(|a| cut(a, REFUSED_ACTION_BYTES).to_owned()),
            cut: Vec::new(),
            code: Some(code),
            error_code: None,
            request_id,
            bytes: 0,
            seq: 0,
        });
    }

    /// Appends `record` as given (when enabled), forgetting the oldest ones beyond the budgets.
    /// (The server records every request itself; this is public for the benchmarks.)
    #[doc(hidden)]
    pub fn record(&self, record: JournalRecord) {
        if !self.is_enabled() {
            return;
        }
        let JournalRecord {
            time_ms,
            account,
            action,
            params,
            params_omitted,
            code,
            request_id,
            error_code: _,
        } = record;
        if params_omitted {
            self.record_refusal(time_ms, action.as_deref(), code.unwrap_or(0), request_id);
        } else {
            let params = WireParams::from_pairs(params);
            self.record_request(time_ms, account, params, code, request_id);
        }
    }

    /// The records kept, oldest first.
    pub fn records(&self) -> Vec<JournalRecord> {
        self.in_order(|all| all.map(Entry::view).collect())
    }

    /// Up to `limit` records from the `offset`-th oldest on, oldest first.
    pub fn page(&self, offset: usize, limit: usize) -> Vec<JournalRecord> {
        self.in_order(|all| all.skip(offset).take(limit).map(Entry::view).collect())
    }

    /// Up to `limit` of the records `filter` selects, from the `offset`-th on (counted from the
    /// newest when `newest_first`, which also lists them newest first), and how many it selects
    /// in all. Only the page is formatted.
    pub(crate) fn select(
        &self,
        filter: &JournalFilter,
        offset: usize,
        limit: usize,
        newest_first: bool,
    ) -> (Vec<JournalRecord>, usize) {
        self.in_order(|all| {
            let picked: Vec<&Entry> = all.filter(|e| filter.matches(e)).collect();
            let total = picked.len();
            let page = if newest_first {
                picked
                    .iter()
                    .rev()
                    .skip(offset)
                    .take(limit)
                    .map(|e| e.view())
                    .collect()
            } else {
                picked
                    .iter()
                    .skip(offset)
                    .take(limit)
                    .map(|e| e.view())
                    .collect()
            };
            (page, total)
        })
    }

    /// The records of `action` (compared ignoring ASCII case), oldest first.
    pub fn records_of(&self, action: &str) -> Vec<JournalRecord> {
        self.in_order(|all| {
            all.filter(|e| e.action_is(action))
                .map(Entry::view)
                .collect()
        })
    }

    /// How many records are kept.
    pub fn len(&self) -> usize {
        (0..self.shards.len())
            .map(|i| self.lock(i).entries.len())
            .sum()
    }

    /// True when no record is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many requests were recorded since the journal was made (forgotten ones included).
    pub fn total_recorded(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }

    /// Forgets every record.
    pub fn clear(&self) {
        for i in 0..self.shards.len() {
            let old = std::mem::take(&mut *self.lock(i));
            drop(old);
        }
    }
}

#[cfg(test)]
mod tests;
