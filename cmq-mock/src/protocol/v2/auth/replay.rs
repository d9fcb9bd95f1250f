//! The replay cache: 128-bit keyed hashes of signed requests, sharded, until their Timestamp
//! leaves the window.

use std::collections::{BTreeMap, HashSet};
use std::hash::{BuildHasher, RandomState};
use std::sync::{Mutex, MutexGuard};

/// How many independently locked shards the cache has.
pub(super) const SHARDS: usize = 16;

/// Remembers signed requests until their Timestamp leaves the window.
pub(super) struct ReplayCache {
    hashers: (RandomState, RandomState),
    shards: Box<[Mutex<Shard>]>,
    cap_per_shard: usize,
}

#[derive(Default)]
pub(super) struct Shard {
    pub(super) seen: HashSet<u128>,
    /// Keys by expiry second (Timestamp + skew), earliest first.
    pub(super) by_expiry: BTreeMap<u64, Vec<u128>>,
}

impl ReplayCache {
    pub(super) fn new(capacity: usize) -> Self {
        Self {
            hashers: (RandomState::new(), RandomState::new()),
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            cap_per_shard: capacity.div_ceil(SHARDS).max(1),
        }
    }

    pub(super) fn key(&self, secret_id: &str, nonce: &str, ts: u64, signature: &str) -> u128 {
        let k = (secret_id, nonce, ts, signature);
        (u128::from(self.hashers.0.hash_one(k)) << 64) | u128::from(self.hashers.1.hash_one(k))
    }

    pub(super) fn shard(&self, key: u128) -> MutexGuard<'_, Shard> {
        // Nothing a panic could interrupt leaves a shard inconsistent in a way that matters
        // (at worst an entry is remembered without its expiry), so a poisoned lock is usable.
        let i = (key as usize) % self.shards.len();
        self.shards[i].lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Remembers the request; false when it was already remembered (a replay).
    pub(super) fn insert_fresh(
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

    pub(super) fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(|e| e.into_inner()).seen.len())
            .sum()
    }

    pub(super) fn clear(&self) {
        for s in self.shards.iter() {
            let mut s = s.lock().unwrap_or_else(|e| e.into_inner());
            s.seen.clear();
            s.by_expiry.clear();
        }
    }
}
