//! Topic management: create, list, attributes, change, delete.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::filter::FilterType;
use super::types::{
    CREATE_UIN, CreateTopic, DEFAULT_TOPIC_MSG_SIZE, MAX_TOPIC_MSG_SIZE, MIN_TOPIC_MSG_SIZE,
    TOPIC_QPS, TopicAttributes, TopicSummary,
};
use super::{Topic, TopicState, e, matches_search, param, random_id};
use crate::engine::error::{EngineResult, ErrorKind};
use crate::engine::types::Page;
use crate::engine::{Account, ms_of};

/// A maxMsgSize inside the accepted range, else ValueOutOfRange naming `maxMsgSize`.
fn msg_size(v: i64) -> EngineResult<u64> {
    u64::try_from(v)
        .ok()
        .filter(|v| (MIN_TOPIC_MSG_SIZE..=MAX_TOPIC_MSG_SIZE).contains(v))
        .ok_or_else(|| param(ErrorKind::ValueOutOfRange, "maxMsgSize"))
}

impl Account {
    /// Creates a topic; returns its id.
    ///
    /// Errors: TopicNameFormat 4000/10590 (the profile's name rule), ValueOutOfRange 4000/10350
    /// (maxMsgSize outside the spec's range, filterType not 1/2), TopicAlreadyExists 4460/10550 (case-insensitive),
    /// TopicReleasing 6040/10660, TopicQuotaExceeded 4450/10610.
    pub fn create_topic(&self, req: &CreateTopic) -> EngineResult<String> {
        if !self.limits().topic_name.allows(&req.name) {
            return Err(e(ErrorKind::TopicNameFormat));
        }
        let max_msg_size = req
            .max_msg_size
            .map_or(Ok(DEFAULT_TOPIC_MSG_SIZE), msg_size)?;
        let filter_type = match req.filter_type {
            None => FilterType::Tags,
            Some(v) => FilterType::from_int(v)
                .ok_or_else(|| param(ErrorKind::ValueOutOfRange, "filterType"))?,
        };
        let key = req.name.to_lowercase();
        let now_ms = self.clock().now_ms();
        let topics = &self.topics;
        let mut map = topics.write();
        if map.contains_key(&key) {
            return Err(e(ErrorKind::TopicAlreadyExists));
        }
        {
            let mut deleted = topics.deleted();
            let block = ms_of(self.limits().recreate_block);
            deleted.retain(|_, at| now_ms < at.saturating_add(block));
            if deleted.contains_key(&key) {
                return Err(e(ErrorKind::TopicReleasing));
            }
        }
        if map.len() >= self.limits().max_topics_per_account {
            return Err(e(ErrorKind::TopicQuotaExceeded));
        }
        let id = random_id("topic-");
        map.insert(
            key,
            Arc::new(Topic {
                id: id.clone(),
                name: req.name.clone(),
                filter_type,
                create_ms: now_ms,
                seq: topics.next_seq.fetch_add(1, Ordering::Relaxed),
                backlog: Arc::new(AtomicU64::new(0)),
                state: Mutex::new(TopicState {
                    max_msg_size,
                    modify_ms: now_ms,
                    deleted: false,
                    subs: Vec::new(),
                }),
            }),
        );
        if let Some(t) = map.get(&req.name.to_lowercase()) {
            self.log_topic(t, &t.lock());
        }
        Ok(id)
    }

    /// Topics whose name contains `search_word` (case-insensitively; `None` or empty = all), in
    /// creation order, `limit` of them from `offset`.
    pub fn list_topics(
        &self,
        search_word: Option<&str>,
        offset: usize,
        limit: usize,
    ) -> Page<TopicSummary> {
        let mut all: Vec<Arc<Topic>> = self
            .topics
            .read()
            .values()
            .filter(|t| matches_search(&t.name, search_word))
            .cloned()
            .collect();
        all.sort_by_key(|t| t.seq);
        Page::of(all, offset, limit, |t| TopicSummary {
            topic_id: t.id.clone(),
            topic_name: t.name.clone(),
        })
    }

    /// A topic's attributes. Errors: TopicNotExist 4440/10600.
    pub fn topic_attributes(&self, topic: &str) -> EngineResult<TopicAttributes> {
        let t = self.topics.get(topic)?;
        let st = t.lock();
        Ok(TopicAttributes {
            topic_id: t.id.clone(),
            topic_name: t.name.clone(),
            msg_count: t.backlog.load(Ordering::Acquire),
            max_msg_size: st.max_msg_size,
            msg_retention_seconds: self.message_lifetime_ms() / 1000,
            create_time_ms: t.create_ms,
            last_modify_time_ms: st.modify_ms,
            filter_type: t.filter_type.as_int(),
            qps: TOPIC_QPS,
            create_uin: CREATE_UIN,
        })
    }

    /// Changes a topic's maxMsgSize (its filter type cannot change); with `None`, only the
    /// last-modify time. Errors: ValueOutOfRange 4000/10350, TopicNotExist 4440/10600.
    pub fn set_topic_attributes(&self, topic: &str, max_msg_size: Option<i64>) -> EngineResult<()> {
        let size = max_msg_size.map(msg_size).transpose()?;
        let t = self.topics.get(topic)?;
        let mut st = t.lock();
        if let Some(size) = size {
            st.max_msg_size = size;
        }
        st.modify_ms = self.clock().now_ms();
        self.log_topic(&t, &st);
        Ok(())
    }

    /// Deletes a topic. Errors: TopicNotExist 4440/10600, TopicHasSubscriptions 4000/10540.
    pub fn delete_topic(&self, topic: &str) -> EngineResult<()> {
        let key = topic.to_lowercase();
        let mut map = self.topics.write();
        let t = map
            .get(&key)
            .cloned()
            .ok_or_else(|| e(ErrorKind::TopicNotExist))?;
        {
            let mut st = t.lock();
            if !st.subs.is_empty() {
                return Err(e(ErrorKind::TopicHasSubscriptions));
            }
            st.deleted = true;
        }
        map.remove(&key);
        let now = self.clock().now_ms();
        self.topics.deleted().insert(key, now);
        self.log_topic_deleted(&t, now);
        Ok(())
    }
}
