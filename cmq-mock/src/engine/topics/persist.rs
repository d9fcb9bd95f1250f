//! Topics, subscriptions and the store: the records of their changes, and rebuilding them (with
//! their push backlogs and retry state) from the store.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use cmq_sdk::generated::types::{NotifyContentFormat, NotifyStrategy, Protocol};

use super::filter::FilterType;
use super::push::{PushChannel, PushMessage, PushSettings, Pusher};
use super::{SubState, Subscription, Topic, TopicState, Topics};
use crate::engine::Account;
use crate::store::Log;
use crate::store::records::{PushRow, Record, SubRow, TopicRow};

impl Topic {
    fn row(&self, account: &str, st: &TopicState) -> TopicRow {
        TopicRow {
            topic_id: self.id.clone(),
            account: account.to_owned(),
            name: self.name.clone(),
            filter_type: self.filter_type.as_int(),
            create_ms: self.create_ms,
            modify_ms: st.modify_ms,
            seq: self.seq,
            max_msg_size: st.max_msg_size,
        }
    }
}

impl Subscription {
    fn row(&self, topic_id: &str, ss: &SubState) -> SubRow {
        SubRow {
            sub_id: self.id.clone(),
            topic_id: topic_id.to_owned(),
            name: self.name.clone(),
            protocol: self.protocol.as_str().to_owned(),
            endpoint: self.endpoint.clone(),
            strategy: ss.strategy.as_str().to_owned(),
            format: ss.format.as_str().to_owned(),
            filter_tags: ss.filter_tags.clone(),
            binding_keys: ss.binding_keys.clone(),
            create_ms: self.create_ms,
            modify_ms: ss.modify_ms,
        }
    }
}

impl Account {
    /// A topic was created or changed (`st` is its locked state).
    pub(super) fn log_topic(&self, t: &Topic, st: &TopicState) {
        if let Some(log) = self.store_log() {
            log.submit(Record::TopicPut(Box::new(t.row(self.secret_id(), st))));
        }
    }

    /// A topic was deleted at `at_ms`.
    pub(super) fn log_topic_deleted(&self, t: &Topic, at_ms: u64) {
        if let Some(log) = self.store_log() {
            log.submit(Record::TopicDeleted {
                account: self.secret_id().to_owned(),
                key: t.name.to_lowercase(),
                topic_id: t.id.clone(),
                at_ms,
            });
        }
    }

    /// A subscription was created or changed (`ss` is its locked state); a new `http`
    /// subscription's push channel starts writing its backlog.
    pub(super) fn log_subscription(&self, t: &Topic, s: &Subscription, ss: &SubState) {
        if let Some(log) = self.store_log() {
            log.submit(Record::SubPut(Box::new(s.row(&t.id, ss))));
            if let Some(ch) = &s.push {
                ch.persist_to(log.clone(), &s.id);
            }
        }
    }

    /// A subscription was removed (its backlog with it).
    pub(super) fn log_unsubscribed(&self, s: &Subscription) {
        if let Some(log) = self.store_log() {
            log.submit(Record::SubDeleted {
                sub_id: s.id.clone(),
            });
        }
    }

    /// Topic message ids were taken: the next one is at least the counter's value now.
    pub(super) fn log_msg_ids(&self) {
        if let Some(log) = self.store_log() {
            log.submit(Record::TopicMsgIds {
                account: self.secret_id().to_owned(),
                next: self.topics.next_msg_id.load(Ordering::Relaxed),
            });
        }
    }

    // ---------------------------------------------------------------- rebuilding from the store

    /// Puts back a stored topic (its subscriptions come with [`Account::restore_subscription`]).
    pub(crate) fn restore_topic(&self, row: &TopicRow) -> Result<Arc<Topic>, String> {
        let filter_type = FilterType::from_int(i64::from(row.filter_type))
            .ok_or_else(|| format!("unknown filter type {}", row.filter_type))?;
        let t = Arc::new(Topic {
            id: row.topic_id.clone(),
            name: row.name.clone(),
            filter_type,
            create_ms: row.create_ms,
            seq: row.seq,
            backlog: Arc::new(AtomicU64::new(0)),
            state: Mutex::new(TopicState {
                max_msg_size: row.max_msg_size,
                modify_ms: row.modify_ms,
                deleted: false,
                subs: Vec::new(),
            }),
        });
        let topics = &self.topics;
        if topics
            .write()
            .insert(row.name.to_lowercase(), t.clone())
            .is_some()
        {
            return Err(format!("topic name {} is stored twice", row.name));
        }
        let next = topics.next_seq.load(Ordering::Relaxed).max(row.seq + 1);
        topics.next_seq.store(next, Ordering::Relaxed);
        Ok(t)
    }

    /// Puts back a stored subscription of `topic`; an `http` one gets its push channel, which
    /// writes to `log` from now on.
    pub(crate) fn restore_subscription(
        &self,
        topic: &Topic,
        row: &SubRow,
        log: &Arc<Log>,
    ) -> Result<Arc<Subscription>, String> {
        let protocol = Protocol::from_wire(&row.protocol)
            .ok_or_else(|| format!("unknown protocol {:?}", row.protocol))?;
        let strategy = NotifyStrategy::from_wire(&row.strategy)
            .ok_or_else(|| format!("unknown notify strategy {:?}", row.strategy))?;
        let format = NotifyContentFormat::from_wire(&row.format)
            .ok_or_else(|| format!("unknown content format {:?}", row.format))?;
        let push = (protocol == Protocol::Http).then(|| {
            let ch = PushChannel::new(
                self.app_id().to_owned(),
                topic.name.clone(),
                row.name.clone(),
                row.endpoint.clone(),
                PushSettings { strategy, format },
            );
            ch.persist_to(log.clone(), &row.sub_id);
            ch
        });
        let s = Arc::new(Subscription {
            id: row.sub_id.clone(),
            name: row.name.clone(),
            protocol,
            endpoint: row.endpoint.clone(),
            create_ms: row.create_ms,
            state: Mutex::new(SubState {
                strategy,
                format,
                filter_tags: row.filter_tags.clone(),
                binding_keys: row.binding_keys.clone(),
                modify_ms: row.modify_ms,
            }),
            push,
        });
        let mut st = topic.lock();
        if st.find(&row.name).is_some() {
            return Err(format!("subscription name {} is stored twice", row.name));
        }
        st.subs.push(s.clone());
        Ok(s)
    }
}

impl Topics {
    /// The next topic message id is at least `next`.
    pub(crate) fn restore_next_msg_id(&self, next: u64) {
        self.next_msg_id.fetch_max(next, Ordering::Relaxed);
    }

    /// Topic names deleted recently (lower-cased name, when), for the re-create block.
    pub(crate) fn restore_deleted(&self, names: impl Iterator<Item = (String, u64)>) {
        self.deleted().extend(names);
    }
}

/// Puts stored push backlogs back: `rows` in backlog order, each with the subscription (and
/// its topic) it belongs to. A message waiting for several subscriptions of a topic becomes one
/// message again, so the topic's `msgCount` counts it once. The workers start (they resume a
/// retry at its stored time).
pub(crate) fn restore_backlogs(
    rows: Vec<(PushRow, Arc<Topic>, Arc<Subscription>)>,
    pusher: &Arc<Pusher>,
) {
    let mut targets: HashMap<(String, String), usize> = HashMap::new();
    for (row, t, _) in &rows {
        *targets
            .entry((t.id.clone(), row.msg_id.clone()))
            .or_default() += 1;
    }
    let mut messages: HashMap<(String, String), Arc<PushMessage>> = HashMap::new();
    let mut channels: Vec<Arc<PushChannel>> = Vec::new();
    for (row, t, s) in rows {
        let Some(ch) = &s.push else { continue };
        let key = (t.id.clone(), row.msg_id.clone());
        let n = targets.get(&key).copied().unwrap_or(1);
        let msg = messages
            .entry(key)
            .or_insert_with(|| {
                PushMessage::new(
                    row.msg_id.clone(),
                    row.body.clone(),
                    row.tags.clone(),
                    row.publish_ms,
                    row.expires_ms,
                    n,
                    t.backlog.clone(),
                )
            })
            .clone();
        ch.restore_entry(msg, row.attempts, row.next_attempt_ms);
        if !channels.iter().any(|c| Arc::ptr_eq(c, ch)) {
            channels.push(ch.clone());
        }
    }
    for ch in channels {
        ch.start_worker(pusher);
    }
}
