//! A bounded journal of the CMQ requests a server answered, for tests and the admin API.
//!
//! Each record holds the time (clock milliseconds), the account (when authentication got that
//! far), the `Action` text as received, every parameter in arrival order with credentials
//! redacted (`Signature`, `Token` and any `SecretKey`), and the answer's `code` and `requestId`.
//! When full, the oldest record is forgotten. Recording is one short mutex push and can be turned
//! off (then it costs one relaxed atomic load).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

/// What replaces a redacted value.
pub const REDACTED: &str = "***";

/// The default number of records kept.
pub(crate) const DEFAULT_CAPACITY: usize = 10_000;

/// One answered request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalRecord {
    /// When the request arrived, in clock milliseconds.
    pub time_ms: u64,
    /// The account it ran as; `None` when it was refused before authentication succeeded.
    pub account: Option<String>,
    /// The `Action` parameter as received (any case, possibly unknown); `None` when absent.
    pub action: Option<String>,
    /// Every parameter, in arrival order, as `[name, value]` pairs, with credentials redacted.
    pub params: Vec<(String, String)>,
    /// The answer's `code`; `None` when the connection was dropped without an answer (fault
    /// injection).
    pub code: Option<i64>,
    /// The answer's `requestId`.
    pub request_id: String,
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

/// True for parameter names whose values the journal never keeps.
pub(crate) fn is_secret_param(name: &str) -> bool {
    name == "Signature"
        || name == "Token"
        || name.eq_ignore_ascii_case("SecretKey")
        || name.eq_ignore_ascii_case("secret_key")
}

/// Redacts credentials in `pairs` without copying the others.
pub(crate) fn redact_in_place(pairs: &mut [(String, String)]) {
    for (k, v) in pairs.iter_mut() {
        if is_secret_param(k) {
            REDACTED.clone_into(v);
        }
    }
}

/// Copies `pairs`, redacting credentials.
pub fn redacted(pairs: &[(String, String)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                if is_secret_param(k) {
                    REDACTED.to_owned()
                } else {
                    v.clone()
                },
            )
        })
        .collect()
}

/// The journal of one server (wrap it in an `Arc`).
#[derive(Debug)]
pub struct Journal {
    enabled: AtomicBool,
    capacity: usize,
    total: AtomicU64,
    records: Mutex<VecDeque<JournalRecord>>,
}

impl Default for Journal {
    fn default() -> Self {
        Self::new()
    }
}

impl Journal {
    /// An enabled journal keeping 10,000 records.
    pub fn new() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY)
    }

    /// An enabled journal keeping the last `capacity` records (0 keeps none).
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            enabled: AtomicBool::new(capacity > 0),
            capacity,
            total: AtomicU64::new(0),
            records: Mutex::new(VecDeque::with_capacity(capacity.min(1024))),
        }
    }

    /// A journal that records nothing until [`Journal::set_enabled`] turns it on.
    pub fn disabled() -> Self {
        let j = Self::new();
        j.set_enabled(false);
        j
    }

    fn lock(&self) -> MutexGuard<'_, VecDeque<JournalRecord>> {
        // Every update is a single push or pop: a poisoned lock is still usable.
        self.records.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Turns recording on or off (records already kept stay).
    pub fn set_enabled(&self, enabled: bool) {
        self.enabled
            .store(enabled && self.capacity > 0, Ordering::Relaxed);
    }

    /// True when recording.
    pub fn is_enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    /// The most records kept.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Appends `record` (when enabled), forgetting the oldest one when full. (The server records
    /// every request itself; this is public for the benchmarks.)
    #[doc(hidden)]
    pub fn record(&self, record: JournalRecord) {
        if !self.is_enabled() {
            return;
        }
        self.total.fetch_add(1, Ordering::Relaxed);
        let evicted = {
            let mut r = self.lock();
            let evicted = if r.len() >= self.capacity {
                r.pop_front()
            } else {
                None
            };
            r.push_back(record);
            evicted
        };
        // Freed outside the lock.
        drop(evicted);
    }

    /// The records kept, oldest first.
    pub fn records(&self) -> Vec<JournalRecord> {
        self.lock().iter().cloned().collect()
    }

    /// The records of `action` (compared ignoring ASCII case), oldest first.
    pub fn records_of(&self, action: &str) -> Vec<JournalRecord> {
        self.lock()
            .iter()
            .filter(|r| {
                r.action
                    .as_deref()
                    .is_some_and(|a| a.eq_ignore_ascii_case(action))
            })
            .cloned()
            .collect()
    }

    /// How many records are kept.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True when no record is kept.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// How many requests were recorded since the journal was made (forgotten ones included).
    pub fn total_recorded(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }

    /// Forgets every record.
    pub fn clear(&self) {
        let old = std::mem::take(&mut *self.lock());
        drop(old);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(n: u64) -> JournalRecord {
        JournalRecord {
            time_ms: n,
            account: Some("AKIDa".into()),
            action: Some("SendMessage".into()),
            params: redacted(&[
                ("Signature".into(), "sig".into()),
                ("msgBody".into(), format!("m{n}")),
            ]),
            code: Some(0),
            request_id: format!("r-{n}"),
        }
    }

    #[test]
    fn bounded_oldest_forgotten() {
        let j = Journal::with_capacity(3);
        for n in 0..5 {
            j.record(rec(n));
        }
        let times: Vec<u64> = j.records().iter().map(|r| r.time_ms).collect();
        assert_eq!(times, vec![2, 3, 4]);
        assert_eq!(j.total_recorded(), 5);
        assert_eq!(j.records_of("sendmessage").len(), 3);
        assert_eq!(j.records_of("ReceiveMessage").len(), 0);
        j.clear();
        assert!(j.is_empty());
    }

    #[test]
    fn redaction_and_serde() {
        let r = rec(1);
        assert_eq!(r.param("Signature"), Some(REDACTED));
        assert_eq!(r.param("msgBody"), Some("m1"));
        let p = redacted(&[
            ("Token".into(), "t".into()),
            ("SecretKey".into(), "k".into()),
            ("SecretId".into(), "AKID".into()),
        ]);
        assert_eq!(
            p,
            vec![
                ("Token".into(), "***".into()),
                ("SecretKey".into(), "***".into()),
                ("SecretId".into(), "AKID".into())
            ]
        );
        let text = serde_json::to_string(&r).unwrap_or_default();
        assert_eq!(
            text,
            r#"{"time_ms":1,"account":"AKIDa","action":"SendMessage","params":[["Signature","***"],["msgBody","m1"]],"code":0,"request_id":"r-1"}"#
        );
        assert_eq!(serde_json::from_str::<JournalRecord>(&text).ok(), Some(r));
    }

    #[test]
    fn disabled_records_nothing() {
        let j = Journal::disabled();
        j.record(rec(1));
        assert!(j.is_empty());
        j.set_enabled(true);
        j.record(rec(2));
        assert_eq!(j.len(), 1);
        let none = Journal::with_capacity(0);
        none.set_enabled(true);
        none.record(rec(3));
        assert!(none.is_empty());
    }
}
