//! The JSON the admin API answers with, and the paging parameters it reads.

use serde_json::{Value, json};

use crate::engine::{
    DeliveryOutcome, DeliveryRecord, MessagePage, MessageState, MessageView, PushFailure,
    QueueAttributes, QueueTraffic,
};

/// The page size of messages when a listing names none (records: the largest page, so that a
/// plain `GET /_mock/journal` still returns a default-sized journal whole).
pub(crate) const DEFAULT_LIMIT: usize = 100;
/// The largest page of messages (previews).
pub(crate) const MAX_MESSAGE_LIMIT: usize = 1000;
/// The largest page of journal or delivery records.
pub(crate) const MAX_RECORD_LIMIT: usize = 10_000;
/// How much of a body a preview shows, in bytes.
pub(crate) const PREVIEW_BYTES: usize = 256;
/// The most body bytes one page of full bodies copies (it holds at least one message).
pub(crate) const PAGE_BYTES: usize = 4 << 20;

/// The first value of `name` in a query string.
pub(crate) fn query_param(query: &str, name: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// `?offset=&limit=` (limit `max` when absent, at most `max`); a value that is not a number is
/// an error.
pub(crate) fn paging(query: &str, max: usize) -> Result<(usize, usize), String> {
    paging_or(query, max, max)
}

/// `?offset=&limit=` (limit `default` when absent, at most `max`).
pub(crate) fn paging_or(query: &str, default: usize, max: usize) -> Result<(usize, usize), String> {
    let num = |name: &str, default: usize| match query_param(query, name) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse::<usize>()
            .map_err(|_| format!("{name} must be a whole number, not {v:?}")),
    };
    let offset = num("offset", 0)?;
    let limit = num("limit", default)?;
    Ok((offset, limit.min(max)))
}

/// `?order=`: `newest` lists records newest first (and counts `offset` from the newest),
/// `oldest` (the default) oldest first.
pub(crate) fn newest_first(query: &str) -> Result<bool, String> {
    match query_param(query, "order").as_deref() {
        None | Some("oldest") => Ok(false),
        Some("newest") => Ok(true),
        Some(o) => Err(format!("order must be oldest or newest, not {o:?}")),
    }
}

/// `?state=`: one state, or every state when absent.
pub(crate) fn states(query: &str) -> Result<Vec<MessageState>, String> {
    let all = [
        MessageState::Active,
        MessageState::Inactive,
        MessageState::Delayed,
        MessageState::Deleted,
    ];
    match query_param(query, "state") {
        None => Ok(all.to_vec()),
        Some(s) => all
            .into_iter()
            .find(|st| state_name(*st) == s)
            .map(|st| vec![st])
            .ok_or_else(|| {
                format!("state must be active, inactive, delayed or deleted, not {s:?}")
            }),
    }
}

pub(crate) fn state_name(s: MessageState) -> &'static str {
    match s {
        MessageState::Active => "active",
        MessageState::Inactive => "inactive",
        MessageState::Delayed => "delayed",
        MessageState::Deleted => "deleted",
    }
}

fn message_json(m: &MessageView) -> Value {
    let mut v = json!({
        "msgId": m.msg_id,
        "msgBody": m.body,
        "msgBodySize": m.body_len,
        "state": state_name(m.state),
        "enqueueTimeMs": m.enqueue_time_ms,
        "firstDequeueTimeMs": m.first_dequeue_time_ms,
        "nextVisibleTimeMs": m.next_visible_time_ms,
        "dequeueCount": m.dequeue_count,
    });
    if m.body.len() < m.body_len {
        v["msgBodyTruncated"] = Value::Bool(true);
    }
    v
}

/// A queue's attributes and counters as JSON.
pub(crate) fn attributes_json(a: &QueueAttributes) -> Value {
    let c = &a.counters;
    json!({
        "queueName": a.queue_name,
        "queueId": a.queue_id,
        "createTime": a.create_time_ms / 1000,
        "lastModifyTime": a.last_modify_time_ms / 1000,
        "visibilityTimeout": a.config.visibility_timeout,
        "pollingWaitSeconds": a.config.polling_wait_seconds,
        "maxMsgSize": a.config.max_msg_size,
        "msgRetentionSeconds": a.config.msg_retention_seconds,
        "rewindSeconds": a.config.rewind_seconds,
        "maxMsgHeapNum": a.config.max_msg_heap_num,
        "deadLetterPolicy": a.config.dead_letter_policy.as_ref().map(|p| json!({
            "deadLetterQueue": p.dead_letter_queue,
            "policy": p.policy,
            "maxReceiveCount": p.max_receive_count,
            "maxTimeToLive": p.max_time_to_live,
        })),
        "counters": {
            "activeMsgNum": c.active_msg_num,
            "inactiveMsgNum": c.inactive_msg_num,
            "delayMsgNum": c.delay_msg_num,
            "rewindMsgNum": c.rewind_msg_num,
            "minMsgTime": c.min_msg_time_ms / 1000,
        },
    })
}

/// A queue's traffic totals as JSON.
pub(crate) fn traffic_json(t: &QueueTraffic) -> Value {
    json!({ "sent": t.sent, "received": t.received, "deleted": t.deleted })
}

/// Pages of a queue's messages (one per state asked for) as one JSON object: the attributes,
/// then `messages` (by state), `totals` (by state) and `page`.
pub(crate) fn pages_json(pages: &[MessagePage], offset: usize, limit: usize, full: bool) -> Value {
    let mut v = pages
        .last()
        .map_or(Value::Null, |p| attributes_json(&p.attributes));
    let mut messages = serde_json::Map::new();
    let mut totals = serde_json::Map::new();
    let mut next = serde_json::Map::new();
    for p in pages {
        let name = state_name(p.state);
        messages.insert(
            name.into(),
            Value::Array(p.messages.iter().map(message_json).collect()),
        );
        totals.insert(name.into(), json!(p.total));
        let end = offset + p.messages.len();
        next.insert(name.into(), json!((end < p.total).then_some(end)));
    }
    v["messages"] = Value::Object(messages);
    v["totals"] = Value::Object(totals);
    v["page"] = json!({
        "offset": offset,
        "limit": limit,
        "bodies": if full { "full" } else { "preview" },
        "nextOffset": next,
    });
    v
}

/// A delivery record as JSON.
pub(crate) fn delivery_json(r: &DeliveryRecord) -> Value {
    let (outcome, detail) = match &r.outcome {
        DeliveryOutcome::Delivered { status } => ("delivered", json!({ "status": status })),
        DeliveryOutcome::Failed(PushFailure::Status(s)) => ("failed", json!({ "status": s })),
        DeliveryOutcome::Failed(PushFailure::Timeout) => ("failed", json!({ "timeout": true })),
        DeliveryOutcome::Failed(PushFailure::Transport(e)) => ("failed", json!({ "transport": e })),
        DeliveryOutcome::Dropped => ("dropped", Value::Null),
        DeliveryOutcome::Expired => ("expired", Value::Null),
        DeliveryOutcome::Enqueued { queue_msg_id } => {
            ("enqueued", json!({ "queueMsgId": queue_msg_id }))
        }
        DeliveryOutcome::EnqueueFailed { error } => ("enqueue_failed", json!({ "error": error })),
    };
    json!({
        "seq": r.seq,
        "account": r.owner,
        "topic": r.topic,
        "subscription": r.subscription,
        "protocol": r.protocol.as_str(),
        "endpoint": r.endpoint,
        "msgId": r.msg_id,
        "attempt": r.attempt,
        "timeMs": r.time_ms,
        "latencyMs": r.latency_ms,
        "requestId": r.request_id,
        "nextAttemptMs": r.next_attempt_ms,
        "outcome": outcome,
        "detail": detail,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_parameters() {
        assert_eq!(paging_or("", DEFAULT_LIMIT, 1000), Ok((0, DEFAULT_LIMIT)));
        assert_eq!(paging("", 10_000), Ok((0, 10_000)));
        assert_eq!(paging("offset=5&limit=7", 1000), Ok((5, 7)));
        assert_eq!(paging("limit=99999", 1000), Ok((0, 1000)));
        assert!(paging("offset=-1", 1000).is_err());
        assert!(paging("limit=ten", 1000).is_err());
        assert_eq!(states("").map(|s| s.len()), Ok(4));
        assert_eq!(states("state=deleted"), Ok(vec![MessageState::Deleted]));
        assert!(states("state=gone").is_err());
        assert_eq!(newest_first(""), Ok(false));
        assert_eq!(newest_first("order=newest"), Ok(true));
        assert!(newest_first("order=random").is_err());
    }
}
