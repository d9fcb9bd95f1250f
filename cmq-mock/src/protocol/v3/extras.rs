//! What API 3.0 stores about a queue or a topic that API 2.0 has no word for and the engine does
//! not use: resource tags, `Trace`, the transaction settings, `RetentionSizeInMB`, a topic's
//! `MsgRetentionSeconds` (spec decision U19: settable and echoed back). Kept beside the engine,
//! keyed by the resource's id (ids are never reused, so a queue deleted and created again starts
//! afresh); read back by the Describe actions and by the tag filters of DescribeCmqQueues and
//! DescribeCmqTopics. Not written to the data store: after a restart with `--data-dir` these
//! values are gone while the queues and topics stay.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use cmq_sdk::generated::v3::models::{Filter, Tag};

/// The API 3.0-only settings of one queue or topic.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Extras {
    /// Resource tags, in the order sent.
    pub tags: Vec<(String, String)>,
    /// `Trace`.
    pub trace: Option<bool>,
    /// `Transaction` (queues): 1 for a transaction queue.
    pub transaction: Option<i64>,
    /// `FirstQueryInterval` (transaction queues).
    pub first_query_interval: Option<i64>,
    /// `MaxQueryCount` (transaction queues).
    pub max_query_count: Option<i64>,
    /// `RetentionSizeInMB` (queues).
    pub retention_size_in_mb: Option<i64>,
    /// `MsgRetentionSeconds` (topics).
    pub msg_retention_seconds: Option<i64>,
}

impl Extras {
    /// The tags as the models carry them (null when none).
    pub fn tag_models(&self) -> Option<Vec<Tag>> {
        (!self.tags.is_empty()).then(|| {
            self.tags
                .iter()
                .map(|(k, v)| Tag {
                    tag_key: Some(k.clone()),
                    tag_value: Some(v.clone()),
                })
                .collect()
        })
    }

    /// Whether these tags pass every filter: a filter named `tag:<key>` passes when the resource
    /// has tag `<key>` with one of the filter's values (spec decision U7: AND across filters, OR
    /// across values). A filter of another name filters nothing.
    pub fn matches(&self, filters: &[Filter]) -> bool {
        filters.iter().all(|f| {
            let Some(key) = f
                .name
                .as_deref()
                .and_then(|n| n.strip_prefix(TAG_FILTER_PREFIX))
            else {
                return true;
            };
            let values = f.values.as_deref().unwrap_or_default();
            self.tags
                .iter()
                .any(|(k, v)| k == key && (values.is_empty() || values.iter().any(|x| x == v)))
        })
    }
}

/// The prefix of a tag filter's name (`tag:env`).
pub const TAG_FILTER_PREFIX: &str = "tag:";

/// Tags of a request as pairs (a tag without a key is left out: the decoder has already
/// refused it where the spec requires one).
pub fn tags_of(tags: Option<Vec<Tag>>) -> Vec<(String, String)> {
    tags.unwrap_or_default()
        .into_iter()
        .filter_map(|t| Some((t.tag_key?, t.tag_value.unwrap_or_default())))
        .collect()
}

/// The extras of every queue and topic, by resource id.
#[derive(Debug, Default)]
pub struct ExtrasTable {
    by_id: Mutex<HashMap<String, Extras>>,
}

impl ExtrasTable {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Extras>> {
        self.by_id.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The extras of `id` (the defaults when none were stored).
    pub fn get(&self, id: &str) -> Extras {
        self.lock().get(id).cloned().unwrap_or_default()
    }

    /// Stores the extras of a new resource.
    pub fn put(&self, id: &str, extras: Extras) {
        self.lock().insert(id.to_owned(), extras);
    }

    /// Changes the extras of `id` in place.
    pub fn update(&self, id: &str, f: impl FnOnce(&mut Extras)) {
        f(self.lock().entry(id.to_owned()).or_default());
    }

    /// Forgets `id` (deleted).
    pub fn remove(&self, id: &str) {
        self.lock().remove(id);
    }
}
