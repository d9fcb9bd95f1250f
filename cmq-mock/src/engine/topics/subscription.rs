//! Subscriptions: subscribe, list, attributes, change, clear filter tags, unsubscribe.

use std::sync::{Arc, Mutex};

use cmq_sdk::generated::types::{NotifyContentFormat, NotifyStrategy, Protocol};

use super::filter::{FilterType, MAX_FILTER_TAG_CHARS, MAX_FILTER_TAGS};
use super::push::{PushChannel, PushSettings};
use super::types::{Subscribe, SubscriptionAttributes, SubscriptionSummary, SubscriptionUpdate};
use super::{
    SubState, Subscription, check_binding_keys, check_http_endpoint, check_tags, default_format, e,
    matches_search, random_id,
};
use crate::engine::error::{EngineResult, ErrorKind};
use crate::engine::types::Page;
use crate::engine::{Account, Limits};

/// The filter tags' limit: (items, characters).
const FILTER_TAGS: (usize, usize) = (MAX_FILTER_TAGS, MAX_FILTER_TAG_CHARS);

/// The parameter checks of a subscription (before any state is looked at); its content format.
fn checked_format(limits: &Limits, req: &Subscribe) -> EngineResult<NotifyContentFormat> {
    if !limits.subscription_name.allows(&req.name) {
        return Err(e(ErrorKind::SubscriptionNameFormat));
    }
    let is_queue = req.protocol == Protocol::Queue;
    if is_queue {
        if !limits.queue_name.allows(&req.endpoint) {
            return Err(e(ErrorKind::EndpointFormatError));
        }
    } else {
        check_http_endpoint(&req.endpoint, limits.https_endpoints)?;
    }
    let format = req
        .notify_content_format
        .unwrap_or_else(|| default_format(&req.protocol));
    if is_queue && format != NotifyContentFormat::Simplified {
        return Err(e(ErrorKind::QueueProtocolRequiresSimplified));
    }
    check_tags(
        &req.filter_tags,
        FILTER_TAGS,
        ErrorKind::FilterTagNumberExceeded,
        "filterTag",
    )?;
    check_binding_keys(&req.binding_keys)?;
    Ok(format)
}

impl Account {
    /// Subscribes to a topic; returns the subscription's id.
    ///
    /// Errors: UndefinedProtocol / UndefinedNotifyStrategy / UndefinedNotifyContentFormat
    /// 4000/10510–10530; SubscriptionNameFormat 4000/10580; UrlContainsBlank 4510/10570 and
    /// EndpointFormatError 4000/10500 (http endpoint; also a queue endpoint that is not a valid
    /// queue name); QueueProtocolRequiresSimplified 4000/10640; FilterTagNumberExceeded
    /// 4000/10490; TooManyBindingKeys 4000/10680; TooManyDelimiters 4000/10691; ValueOutOfRange
    /// 4000/10350; TopicNotExist 4440/10600; BindingKeyMissing 4000/10710 (routing-key topic);
    /// IllegalEndpoint 4000/10630 (no such queue); SubscriptionAlreadyExists 4490/10470;
    /// SubscriptionQuotaExceeded 4500/10480.
    pub fn subscribe(&self, topic: &str, req: &Subscribe) -> EngineResult<String> {
        let format = checked_format(self.limits(), req)?;
        let is_queue = req.protocol == Protocol::Queue;
        let t = self.topics.get(topic)?;
        if t.filter_type == FilterType::Routing && req.binding_keys.is_empty() {
            return Err(e(ErrorKind::BindingKeyMissing));
        }
        if is_queue && self.queue(&req.endpoint).is_none() {
            return Err(e(ErrorKind::IllegalEndpoint));
        }
        let strategy = req
            .notify_strategy
            .unwrap_or(NotifyStrategy::ExponentialDecayRetry);
        let mut st = t.lock();
        if st.deleted {
            return Err(e(ErrorKind::TopicNotExist));
        }
        if st.find(&req.name).is_some() {
            return Err(e(ErrorKind::SubscriptionAlreadyExists));
        }
        if st.subs.len() >= self.limits().max_subscriptions_per_topic {
            return Err(e(ErrorKind::SubscriptionQuotaExceeded));
        }
        let id = random_id("subscription-");
        let now = self.clock().now_ms();
        let push = (!is_queue).then(|| {
            PushChannel::new(
                self.app_id().to_owned(),
                t.name.clone(),
                req.name.clone(),
                req.endpoint.clone(),
                PushSettings { strategy, format },
            )
        });
        st.subs.push(Arc::new(Subscription {
            id: id.clone(),
            name: req.name.clone(),
            protocol: req.protocol,
            endpoint: req.endpoint.clone(),
            create_ms: now,
            state: Mutex::new(SubState {
                strategy,
                format,
                filter_tags: req.filter_tags.clone(),
                binding_keys: req.binding_keys.clone(),
                modify_ms: now,
            }),
            push,
        }));
        if let Some(s) = st.subs.last() {
            self.log_subscription(&t, s, &s.lock());
        }
        Ok(id)
    }

    /// Removes a subscription, stops its push worker and discards its pending messages.
    /// Errors: TopicNotExist 4440/10600, SubscriptionNotExist 4000/10560.
    pub fn unsubscribe(&self, topic: &str, subscription: &str) -> EngineResult<()> {
        let t = self.topics.get(topic)?;
        let removed = {
            let mut st = t.lock();
            let pos = st
                .subs
                .iter()
                .position(|s| s.name.eq_ignore_ascii_case(subscription))
                .ok_or_else(|| e(ErrorKind::SubscriptionNotExist))?;
            st.subs.remove(pos)
        };
        if let Some(ch) = &removed.push {
            ch.stop();
        }
        self.log_unsubscribed(&removed);
        Ok(())
    }

    /// A topic's subscriptions whose name contains `search_word` (case-insensitively), in
    /// creation order, `limit` of them from `offset`. Errors: TopicNotExist 4440/10600.
    pub fn list_subscriptions(
        &self,
        topic: &str,
        search_word: Option<&str>,
        offset: usize,
        limit: usize,
    ) -> EngineResult<Page<SubscriptionSummary>> {
        let t = self.topics.get(topic)?;
        let subs: Vec<Arc<Subscription>> = t
            .lock()
            .subs
            .iter()
            .filter(|s| matches_search(&s.name, search_word))
            .cloned()
            .collect();
        Ok(Page::of(subs, offset, limit, |s| SubscriptionSummary {
            subscription_id: s.id.clone(),
            subscription_name: s.name.clone(),
            protocol: s.protocol,
            endpoint: s.endpoint.clone(),
        }))
    }

    /// A subscription's attributes. Errors: TopicNotExist 4440/10600, SubscriptionNotExist
    /// 4000/10560.
    pub fn subscription_attributes(
        &self,
        topic: &str,
        subscription: &str,
    ) -> EngineResult<SubscriptionAttributes> {
        let (_, s) = self.topics.subscription(topic, subscription)?;
        let st = s.lock();
        Ok(SubscriptionAttributes {
            subscription_id: s.id.clone(),
            subscription_name: s.name.clone(),
            topic_owner: self.app_id().to_owned(),
            msg_count: s.push.as_ref().map_or(0, |p| p.pending() as u64),
            protocol: s.protocol,
            endpoint: s.endpoint.clone(),
            notify_strategy: st.strategy,
            notify_content_format: st.format,
            create_time_ms: s.create_ms,
            last_modify_time_ms: st.modify_ms,
            binding_keys: st.binding_keys.clone(),
            filter_tags: st.filter_tags.clone(),
        })
    }

    /// Changes a subscription: each given value replaces the old one (lists included).
    /// Errors: as [`Account::subscribe`] for the values given, plus TopicNotExist 4440/10600,
    /// SubscriptionNotExist 4000/10560.
    pub fn set_subscription_attributes(
        &self,
        topic: &str,
        subscription: &str,
        update: &SubscriptionUpdate,
    ) -> EngineResult<()> {
        if let Some(tags) = &update.filter_tags {
            check_tags(
                tags,
                FILTER_TAGS,
                ErrorKind::FilterTagNumberExceeded,
                "filterTag",
            )?;
        }
        if let Some(keys) = &update.binding_keys {
            check_binding_keys(keys)?;
        }
        let (t, s) = self.topics.subscription(topic, subscription)?;
        if s.protocol == Protocol::Queue
            && update.notify_content_format == Some(NotifyContentFormat::Json)
        {
            return Err(e(ErrorKind::QueueProtocolRequiresSimplified));
        }
        if t.filter_type == FilterType::Routing
            && update.binding_keys.as_ref().is_some_and(Vec::is_empty)
        {
            return Err(e(ErrorKind::BindingKeyMissing));
        }
        let mut st = s.lock();
        if let Some(v) = &update.notify_strategy {
            st.strategy = *v;
        }
        if let Some(v) = &update.notify_content_format {
            st.format = *v;
        }
        if let Some(v) = &update.filter_tags {
            st.filter_tags = v.clone();
        }
        if let Some(v) = &update.binding_keys {
            st.binding_keys = v.clone();
        }
        st.modify_ms = self.clock().now_ms();
        if let Some(ch) = &s.push {
            ch.set_settings(PushSettings {
                strategy: st.strategy,
                format: st.format,
            });
        }
        self.log_subscription(&t, &s, &st);
        Ok(())
    }

    /// Removes every filter tag of a subscription. Errors: TopicNotExist 4440/10600,
    /// SubscriptionNotExist 4000/10560.
    pub fn clear_subscription_filter_tags(
        &self,
        topic: &str,
        subscription: &str,
    ) -> EngineResult<()> {
        let (t, s) = self.topics.subscription(topic, subscription)?;
        let mut st = s.lock();
        st.filter_tags.clear();
        st.modify_ms = self.clock().now_ms();
        self.log_subscription(&t, &s, &st);
        Ok(())
    }
}
