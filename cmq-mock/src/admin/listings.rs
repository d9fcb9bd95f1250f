//! The admin API's listings of an account's resources with their state, for the dashboard and
//! for tests in any language: every queue with its attributes, counters, traffic totals and
//! dead-letter bindings both ways (`GET /_mock/queues?detail=1`), and every topic with its
//! subscriptions, filters and push backlog (`GET /_mock/topics`). Each item is read under its
//! own lock, one after the other: a listing is not one atomic snapshot of the account.

use serde_json::{Value, json};

use super::views::{attributes_json, traffic_json};
use crate::engine::Account;
use crate::engine::topics::filter::FilterType;
use crate::engine::topics::types::SubscriptionAttributes;

/// The names of the queues whose dead letters go to `name`.
pub(crate) fn dead_letter_sources(account: &Account, name: &str) -> Vec<String> {
    account
        .list_dead_letter_source_queues(name, None, 0, usize::MAX)
        .map(|p| p.items.into_iter().map(|q| q.queue_name).collect())
        .unwrap_or_default()
}

/// One queue in detail: its attributes (dead-letter policy included), the queues dead-lettering
/// into it, and its traffic totals; `None` when it was deleted meanwhile.
pub(crate) fn queue_detail(account: &Account, name: &str) -> Option<Value> {
    let q = account.queue(name)?;
    let attributes = q.attributes().ok()?;
    let traffic = q.traffic().ok()?;
    let mut v = attributes_json(&attributes);
    v["deadLetterSources"] = json!(dead_letter_sources(account, q.name()));
    v["traffic"] = traffic_json(&traffic);
    Some(v)
}

/// `limit` queues of `account` in detail from the `offset`-th, in name order, with the total.
pub(crate) fn queues(account: &Account, offset: usize, limit: usize) -> Value {
    let mut names = account.queue_names();
    names.sort_unstable_by_key(|n| n.to_ascii_lowercase());
    let items: Vec<Value> = names
        .iter()
        .skip(offset)
        .take(limit)
        .filter_map(|n| queue_detail(account, n))
        .collect();
    json!({ "total": names.len(), "offset": offset, "queues": items })
}

fn subscription_json(topic: &str, s: &SubscriptionAttributes) -> Value {
    json!({
        "topicName": topic,
        "subscriptionName": s.subscription_name,
        "subscriptionId": s.subscription_id,
        "protocol": s.protocol.as_str(),
        "endpoint": s.endpoint,
        "notifyStrategy": s.notify_strategy.as_str(),
        "notifyContentFormat": s.notify_content_format.as_str(),
        "filterTags": s.filter_tags,
        "bindingKeys": s.binding_keys,
        "pendingPushes": s.msg_count,
        "createTimeMs": s.create_time_ms,
        "lastModifyTimeMs": s.last_modify_time_ms,
    })
}

/// `limit` topics of `account` from the `offset`-th, in creation order, each with every
/// subscription (filters, strategy, the messages its push backlog still holds), with the total.
pub(crate) fn topics(account: &Account, offset: usize, limit: usize) -> Value {
    let page = account.list_topics(None, offset, limit);
    let items: Vec<Value> = page
        .items
        .iter()
        .filter_map(|t| {
            let a = account.topic_attributes(&t.topic_name).ok()?;
            let subs = account
                .list_subscriptions(&t.topic_name, None, 0, usize::MAX)
                .map(|p| p.items)
                .unwrap_or_default();
            let subscriptions: Vec<Value> = subs
                .iter()
                .filter_map(|s| {
                    account
                        .subscription_attributes(&t.topic_name, &s.subscription_name)
                        .ok()
                        .map(|sa| subscription_json(&a.topic_name, &sa))
                })
                .collect();
            Some(json!({
                "topicName": a.topic_name,
                "topicId": a.topic_id,
                "filterType": match FilterType::from_int(a.filter_type.into()) {
                    Some(FilterType::Routing) => "routingKey",
                    _ => "tag",
                },
                "pendingPushes": a.msg_count,
                "maxMsgSize": a.max_msg_size,
                "msgRetentionSeconds": a.msg_retention_seconds,
                "createTimeMs": a.create_time_ms,
                "lastModifyTimeMs": a.last_modify_time_ms,
                "subscriptions": subscriptions,
            }))
        })
        .collect();
    json!({ "total": page.total_count, "offset": offset, "topics": items })
}
