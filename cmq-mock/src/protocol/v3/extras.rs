//! What API 3.0 stores about a queue or a topic that API 2.0 has no word for and the engine does
//! not use: resource tags, `Trace`, the transaction settings, `RetentionSizeInMB`, a topic's
//! `MsgRetentionSeconds` (spec decision U19: settable and echoed back). Kept beside the engine,
//! keyed by the resource's id (ids are never reused, so a queue deleted and created again starts
//! afresh); read back by the Describe actions and by the tag filters of DescribeCmqQueues and
//! DescribeCmqTopics.
//!
//! With a data store (`--data-dir`) every change is also written to the store's `extras` table
//! (one row per resource: its kind, its id and these settings as JSON), under the table's lock
//! so the store sees the changes in the order they were made; a restart reads them back
//! ([`ExtrasTable::restored`]). The store drops a resource's row when the resource is deleted,
//! over either API (and with its account when the account is reset or removed).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use cmq_sdk::generated::v3::models::{Filter, Tag};
use serde::{Deserialize, Serialize};

use crate::store::Log;
use crate::store::records::{NameKind, Record};

/// The API 3.0-only settings of one queue or topic. Stored as JSON with these field names; a
/// field missing from a stored row reads as its default.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
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

impl Extras {
    /// The JSON text stored for these extras.
    pub(crate) fn to_json(&self) -> String {
        // A struct of strings, integers and booleans always serializes.
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }

    /// Extras from stored JSON text, or why it is not such text.
    pub(crate) fn from_json(text: &str) -> Result<Self, String> {
        serde_json::from_str(text).map_err(|e| format!("not the JSON of API 3.0 extras: {e}"))
    }
}

/// The extras of every queue and topic, by resource id, and the store log they are written to
/// (none without a data store).
#[derive(Debug, Default)]
pub struct ExtrasTable {
    by_id: Mutex<HashMap<String, Extras>>,
    log: Option<Arc<Log>>,
}

impl ExtrasTable {
    /// A table holding `rows` (read back from a store) whose changes go to `log`.
    pub(crate) fn restored(log: Option<Arc<Log>>, rows: Vec<(String, Extras)>) -> Self {
        Self {
            by_id: Mutex::new(rows.into_iter().collect()),
            log,
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Extras>> {
        self.by_id.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Hands the store the new extras of `id` (call with the table locked).
    fn log_put(&self, kind: NameKind, id: &str, extras: &Extras) {
        if let Some(log) = &self.log {
            log.submit(Record::ExtrasPut {
                kind,
                id: id.to_owned(),
                json: extras.to_json(),
            });
        }
    }

    /// The extras of `id` (the defaults when none were stored).
    pub fn get(&self, id: &str) -> Extras {
        self.lock().get(id).cloned().unwrap_or_default()
    }

    /// Stores the extras of a new resource of `kind`.
    pub(crate) fn put(&self, kind: NameKind, id: &str, extras: Extras) {
        let mut map = self.lock();
        self.log_put(kind, id, &extras);
        map.insert(id.to_owned(), extras);
    }

    /// Changes the extras of `id`, a resource of `kind`, in place.
    pub(crate) fn update(&self, kind: NameKind, id: &str, f: impl FnOnce(&mut Extras)) {
        let mut map = self.lock();
        let extras = map.entry(id.to_owned()).or_default();
        f(extras);
        self.log_put(kind, id, extras);
    }

    /// Forgets `id` (deleted). Nothing is written: the store drops the row with the
    /// resource's own deletion record, whichever API deleted it.
    pub(crate) fn remove(&self, id: &str) {
        self.lock().remove(id);
    }
}
