//! Publishing: checks a message, finds the subscriptions it matches and hands it to each of them
//! (a queue at once, an `http` endpoint through its push channel).

use std::sync::Arc;

use cmq_sdk::generated::types::Protocol;

use super::deliveries::{DeliveryOutcome, DeliveryRecord};
use super::filter::{self, FilterType};
use super::push::PushMessage;
use super::{Subscription, Topic, check_tags, e, key_error, param};
use crate::engine::Account;
use crate::engine::error::{EngineResult, ErrorKind};

impl Account {
    /// Publishes one message; returns its id. `tags` are the message tags; `routing_key` `None`
    /// means none was given (an empty string counts as given).
    ///
    /// Errors: MessageBodyEmpty 4000/10120; TooManyMsgTags 4000/10720; ValueOutOfRange
    /// 4000/10350; TooManyDelimiters 4000/10691; TopicNotExist 4440/10600; RoutingKeyMissing
    /// 4000/10700; MessageTooLarge 4400/10230; TopicHasNoSubscription 6030/10650;
    /// NoSubscriptionMatched 6030/10730.
    pub fn publish(
        &self,
        topic: &str,
        body: &str,
        tags: &[String],
        routing_key: Option<&str>,
    ) -> EngineResult<String> {
        let mut ids = self.publish_all(topic, &[body], tags, routing_key)?;
        ids.pop().ok_or_else(|| e(ErrorKind::InternalError))
    }

    /// Publishes up to 16 messages in one call; returns their ids in body order. `tags` and
    /// `routing_key` apply to every message. Errors: as [`Account::publish`], plus
    /// BatchSizeOutOfRange 4000/10370 (0 or more than 16 bodies) and BatchTotalSizeTooLarge
    /// 4470/10300 (more than the batch limit in all).
    pub fn batch_publish<B: AsRef<str>>(
        &self,
        topic: &str,
        bodies: &[B],
        tags: &[String],
        routing_key: Option<&str>,
    ) -> EngineResult<Vec<String>> {
        if bodies.is_empty() || bodies.len() > self.limits().max_batch_size {
            return Err(param(ErrorKind::BatchSizeOutOfRange, "msgBody"));
        }
        let bodies: Vec<&str> = bodies.iter().map(AsRef::as_ref).collect();
        if bodies.iter().any(|b| b.is_empty()) {
            return Err(e(ErrorKind::MessageBodyEmpty));
        }
        if bodies.iter().map(|b| b.len()).sum::<usize>() > self.limits().max_batch_body_bytes {
            return Err(e(ErrorKind::BatchTotalSizeTooLarge));
        }
        self.publish_all(topic, &bodies, tags, routing_key)
    }

    /// The checks of a publish, then the topic and the subscriptions the message goes to.
    fn targets(
        &self,
        topic: &str,
        bodies: &[&str],
        tags: &[String],
        routing_key: Option<&str>,
    ) -> EngineResult<(Arc<Topic>, Vec<Arc<Subscription>>)> {
        if bodies.iter().any(|b| b.is_empty()) {
            return Err(e(ErrorKind::MessageBodyEmpty));
        }
        let limit = (filter::MAX_MSG_TAGS, filter::MAX_MSG_TAG_CHARS);
        check_tags(tags, limit, ErrorKind::TooManyMsgTags, "msgTag")?;
        if let Some(rk) = routing_key {
            filter::check_routing_key(rk).map_err(|p| key_error(p, "routingKey"))?;
        }
        let t = self.topics.get(topic)?;
        if t.filter_type == FilterType::Routing && routing_key.is_none() {
            return Err(e(ErrorKind::RoutingKeyMissing));
        }
        let (max_size, any_subs, targets) = {
            let st = t.lock();
            if st.deleted {
                return Err(e(ErrorKind::TopicNotExist));
            }
            let targets: Vec<Arc<Subscription>> = st
                .subs
                .iter()
                .filter(|s| {
                    let ss = s.lock();
                    filter::subscription_matches(
                        t.filter_type,
                        &ss.filter_tags,
                        &ss.binding_keys,
                        tags,
                        routing_key,
                    )
                })
                .cloned()
                .collect();
            (st.max_msg_size, !st.subs.is_empty(), targets)
        };
        if bodies.iter().any(|b| b.len() as u64 > max_size) {
            return Err(e(ErrorKind::MessageTooLarge));
        }
        if !any_subs {
            return Err(e(ErrorKind::TopicHasNoSubscription));
        }
        if targets.is_empty() {
            return Err(e(ErrorKind::NoSubscriptionMatched));
        }
        Ok((t, targets))
    }

    fn publish_all(
        &self,
        topic: &str,
        bodies: &[&str],
        tags: &[String],
        routing_key: Option<&str>,
    ) -> EngineResult<Vec<String>> {
        let (t, targets) = self.targets(topic, bodies, tags, routing_key)?;
        let http_targets = targets.iter().filter(|s| s.push.is_some()).count();
        let lifetime = self.message_lifetime_ms();
        let pusher = self.pusher();
        let mut ids = Vec::with_capacity(bodies.len());
        for body in bodies {
            let msg_id = self.topics.next_msg_id();
            self.log_msg_ids();
            let now = self.clock().now_ms();
            let msg = PushMessage::new(
                msg_id.clone(),
                body.to_string(),
                tags.to_vec(),
                now,
                now.saturating_add(lifetime),
                http_targets,
                t.backlog.clone(),
            );
            for s in &targets {
                match &s.push {
                    Some(ch) => ch.enqueue(msg.clone(), pusher),
                    None => self.fan_out_to_queue(&t, s, &msg_id, body, now),
                }
            }
            ids.push(msg_id);
        }
        Ok(ids)
    }

    /// Puts a published message into a `queue` subscription's queue, exactly as SendMessage
    /// would, and logs the outcome (a refusal is logged, never returned to the publisher).
    fn fan_out_to_queue(&self, t: &Topic, s: &Subscription, msg_id: &str, body: &str, now: u64) {
        let outcome = match self.send_message(&s.endpoint, body, 0) {
            Ok(queue_msg_id) => DeliveryOutcome::Enqueued { queue_msg_id },
            Err(err) => DeliveryOutcome::EnqueueFailed {
                error: format!("({}) {err}", err.code()),
            },
        };
        self.pusher().log().record(DeliveryRecord {
            seq: 0,
            owner: self.app_id().to_owned(),
            topic: t.name.clone(),
            subscription: s.name.clone(),
            protocol: Protocol::Queue,
            endpoint: s.endpoint.clone(),
            msg_id: msg_id.to_string(),
            attempt: 1,
            time_ms: now,
            latency_ms: None,
            request_id: None,
            next_attempt_ms: None,
            outcome,
        });
    }
}
