//! The queue actions of API 3.0 on the engine: CreateCmqQueue, DeleteCmqQueue,
//! DescribeCmqQueues, DescribeCmqQueueDetail, ModifyCmqQueueAttribute, RewindCmqQueue,
//! ClearCmqQueue, UnbindCmqDeadLetter and SendCmqMsg.
//!
//! Translation rules (the spec's facts and decisions, `spec/v3/`):
//!
//! * CreateCmqQueue fills every attribute left out with API 3.0's default
//!   (`constraints::create_cmq_queue::*::DEFAULT`: MsgRetentionSeconds 3600 and MaxMsgSize
//!   1048576 differ from API 2.0's), so a queue created over 3.0 reads the same over 2.0.
//! * The engine stores one `msgRetentionSeconds` per queue (decision U6); `MaxDelaySeconds`
//!   reports it. Times are Unix milliseconds except `MinMsgTime` (seconds).
//! * The dead-letter fields take effect only with a non-empty `DeadLetterQueueName`; `Policy`
//!   left out is 0 (after MaxReceiveCount receives).
//! * DescribeCmqQueues: `QueueName` matches a substring ignoring case, `QueueNameList` exact
//!   names ignoring case (empty: no filter), `Filters` (`tag:<key>`) only with
//!   `IsTagFilter: true`; all combine with AND, in creation order, then paged.
//! * RewindCmqQueue's `StartConsumeTime` is in milliseconds (decision U4); the engine rewinds to
//!   the second.

use std::time::Duration;

use cmq_sdk::generated::facts;
use cmq_sdk::generated::v3::actions::Api3Action;
use cmq_sdk::generated::v3::constraints::create_cmq_queue as defaults;
use cmq_sdk::generated::v3::errors::Api3ErrorId;
use cmq_sdk::generated::v3::models::{
    CmqDeadLetterPolicy, CmqDeadLetterSource, CmqQueue, CmqTransactionPolicy,
};
use cmq_sdk::generated::v3::ops::*;

use super::backend::{Api3Backend, contains_ignore_case, int, listed, page_of, paged, req, u32_of};
use super::extras::{Extras, tags_of};
use crate::engine::topics::types::CREATE_UIN;
use crate::engine::{Account, DeadLetterPolicy, ErrorKind, QueueAttributes, QueueConfigUpdate};
use crate::generated::v3::envelope::{Api3Context, Api3Error};
use crate::store::records::NameKind;

/// `Status` of a queue or topic that exists ("1 normal"; the mock has no other state).
pub(super) const STATUS_NORMAL: i64 = 1;
/// The namespace of a queue: this prefix and its name.
const QUEUE_NAMESPACE_PREFIX: &str = "CMQ_QUEUE-";
/// The tenant id: this prefix and the account's appId.
pub(super) const TENANT_PREFIX: &str = "cmq-";

/// Which request parameter an engine error of a queue action is about.
fn queue_param(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::RewindSecondsGreaterThanRetention => "RewindSeconds",
        ErrorKind::DeadLetterPolicyParamsError | ErrorKind::DeadLetterPolicyMemberInvalid => {
            "MaxTimeToLive"
        }
        ErrorKind::DeadLetterQueueNotExist
        | ErrorKind::DeadLetterQueueNesting
        | ErrorKind::DeadLetterQueueBindTooMany => "DeadLetterQueueName",
        ErrorKind::DelaySecondsOutOfRange => "DelaySeconds",
        ErrorKind::MessageBodyEmpty | ErrorKind::MessageTooLarge => "MsgContent",
        ErrorKind::InvalidRewindTime => "StartConsumeTime",
        _ => "QueueName",
    }
}

/// A count fact as the wire carries it.
fn fact(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Unix seconds of an engine time in ms.
fn secs(ms: u64) -> i64 {
    int(Duration::from_millis(ms).as_secs())
}

/// The dead-letter policy a create or modify request sets: none without a dead-letter queue.
fn dead_letter(
    queue: Option<String>,
    policy: Option<i64>,
    max_receive_count: Option<i64>,
    max_time_to_live: Option<i64>,
) -> Option<DeadLetterPolicy> {
    let queue = queue.filter(|q| !q.is_empty())?;
    Some(DeadLetterPolicy {
        dead_letter_queue: queue,
        policy: policy.map_or(0, u32_of),
        max_receive_count: max_receive_count.map(u32_of),
        max_time_to_live: max_time_to_live.map(u32_of),
    })
}

impl Api3Backend {
    /// Runs a queue action's engine call on the request's account.
    fn on_queue<T>(
        &self,
        ctx: &Api3Context,
        f: impl FnOnce(&Account) -> crate::engine::EngineResult<T>,
    ) -> Result<T, Api3Error> {
        self.on(ctx, queue_param, f)
    }

    /// The `CmqQueue` model of a queue.
    fn queue_model(&self, account: &Account, a: QueueAttributes) -> CmqQueue {
        let x = self.extras.get(&a.queue_id);
        let sources = account
            .list_dead_letter_source_queues(&a.queue_name, None, 0, usize::MAX)
            .map(|p| p.items)
            .unwrap_or_default();
        let (c, n) = (&a.config, &a.counters);
        let transaction = x.transaction.is_some_and(|t| t > 0);
        CmqQueue {
            qps: fact(facts::DEFAULT_QPS),
            bps: fact(facts::QUEUE_BANDWIDTH),
            max_delay_seconds: i64::from(c.msg_retention_seconds),
            max_msg_heap_num: int(c.max_msg_heap_num),
            polling_wait_seconds: i64::from(c.polling_wait_seconds),
            msg_retention_seconds: i64::from(c.msg_retention_seconds),
            visibility_timeout: i64::from(c.visibility_timeout),
            max_msg_size: i64::from(c.max_msg_size),
            rewind_seconds: i64::from(c.rewind_seconds),
            create_time: int(a.create_time_ms),
            last_modify_time: int(a.last_modify_time_ms),
            active_msg_num: int(n.active_msg_num),
            inactive_msg_num: int(n.inactive_msg_num),
            delay_msg_num: Some(int(n.delay_msg_num)),
            rewind_msg_num: Some(int(n.rewind_msg_num)),
            min_msg_time: (n.min_msg_time_ms > 0).then(|| secs(n.min_msg_time_ms)),
            transaction: Some(transaction),
            dead_letter_source: (!sources.is_empty()).then(|| {
                sources
                    .into_iter()
                    .map(|s| CmqDeadLetterSource {
                        queue_id: Some(s.queue_id),
                        queue_name: s.queue_name,
                    })
                    .collect()
            }),
            dead_letter_policy: c.dead_letter_policy.as_ref().map(|p| CmqDeadLetterPolicy {
                dead_letter_queue: p.dead_letter_queue.clone(),
                policy: i64::from(p.policy),
                max_time_to_live: p.max_time_to_live.map_or(0, i64::from),
                max_receive_count: p.max_receive_count.map_or(0, i64::from),
            }),
            transaction_policy: transaction.then(|| CmqTransactionPolicy {
                first_query_interval: x.first_query_interval.unwrap_or_default(),
                max_query_count: x.max_query_count.unwrap_or_default(),
            }),
            create_uin: Some(int(CREATE_UIN)),
            tags: x.tag_models(),
            trace: Some(x.trace.unwrap_or_default()),
            tenant_id: format!("{TENANT_PREFIX}{}", account.app_id()),
            namespace_name: format!("{QUEUE_NAMESPACE_PREFIX}{}", a.queue_name),
            status: STATUS_NORMAL,
            max_unacked_msg_num: fact(facts::MAX_UNACKED_MESSAGES),
            max_msg_backlog_size: fact(facts::MAX_BACKLOG_BYTES),
            retention_size_in_mb: x.retention_size_in_mb.unwrap_or_default(),
            queue_id: a.queue_id,
            queue_name: a.queue_name,
        }
    }

    pub(super) fn create_queue(
        &self,
        ctx: &Api3Context,
        i: CreateCmqQueueRequest,
    ) -> Result<CreateCmqQueueResponse, Api3Error> {
        let name = req(i.queue_name, "QueueName")?;
        let or = |v: Option<i64>, default: i64| Some(v.unwrap_or(default));
        let update = QueueConfigUpdate {
            max_msg_heap_num: or(i.max_msg_heap_num, defaults::max_msg_heap_num::DEFAULT)
                .map(|v| u64::try_from(v).unwrap_or(0)),
            polling_wait_seconds: or(
                i.polling_wait_seconds,
                defaults::polling_wait_seconds::DEFAULT,
            )
            .map(u32_of),
            visibility_timeout: or(i.visibility_timeout, defaults::visibility_timeout::DEFAULT)
                .map(u32_of),
            max_msg_size: or(i.max_msg_size, defaults::max_msg_size::DEFAULT).map(u32_of),
            msg_retention_seconds: or(
                i.msg_retention_seconds,
                defaults::msg_retention_seconds::DEFAULT,
            )
            .map(u32_of),
            rewind_seconds: or(i.rewind_seconds, defaults::rewind_seconds::DEFAULT).map(u32_of),
            dead_letter_policy: dead_letter(
                i.dead_letter_queue_name,
                i.policy,
                i.max_receive_count,
                i.max_time_to_live,
            ),
        };
        let queue_id = self.on_queue(ctx, |a| a.create_queue(&name, &update))?;
        let extras = Extras {
            tags: tags_of(i.tags),
            trace: i.trace,
            transaction: i.transaction,
            first_query_interval: i.first_query_interval,
            max_query_count: i.max_query_count,
            retention_size_in_mb: i.retention_size_in_mb,
            msg_retention_seconds: None,
        };
        self.extras.put(NameKind::Queue, &queue_id, extras);
        Ok(CreateCmqQueueResponse {
            queue_id,
            ..Default::default()
        })
    }

    pub(super) fn delete_queue(
        &self,
        ctx: &Api3Context,
        i: DeleteCmqQueueRequest,
    ) -> Result<DeleteCmqQueueResponse, Api3Error> {
        let name = req(i.queue_name, "QueueName")?;
        let id = self.on_queue(ctx, |a| {
            let id = a.queue(&name).map(|q| q.queue_id().to_owned());
            a.delete_queue(&name).map(|()| id)
        })?;
        if let Some(id) = id {
            self.extras.remove(&id);
        }
        Ok(DeleteCmqQueueResponse::default())
    }

    pub(super) fn describe_queues(
        &self,
        ctx: &Api3Context,
        i: DescribeCmqQueuesRequest,
    ) -> Result<DescribeCmqQueuesResponse, Api3Error> {
        let (offset, limit) = page_of(Api3Action::DescribeCmqQueues, i.offset, i.limit);
        let account = self.account(ctx)?;
        let filters = match i.is_tag_filter {
            Some(true) => i.filters.unwrap_or_default(),
            _ => Vec::new(),
        };
        let word = i.queue_name.as_deref();
        let names = i.queue_name_list.as_deref();
        let found: Vec<_> = account
            .list_queues(None, 0, usize::MAX)
            .items
            .into_iter()
            .filter(|q| contains_ignore_case(&q.queue_name, word) && listed(&q.queue_name, names))
            .filter(|q| filters.is_empty() || self.extras.get(&q.queue_id).matches(&filters))
            .collect();
        let (total_count, page) = paged(found, offset, limit);
        let queue_list = page
            .into_iter()
            .filter_map(|q| account.get_queue_attributes(&q.queue_name).ok())
            .map(|a| self.queue_model(&account, a))
            .collect();
        Ok(DescribeCmqQueuesResponse {
            total_count,
            queue_list,
            ..Default::default()
        })
    }

    pub(super) fn queue_detail(
        &self,
        ctx: &Api3Context,
        i: DescribeCmqQueueDetailRequest,
    ) -> Result<DescribeCmqQueueDetailResponse, Api3Error> {
        let name = req(i.queue_name, "QueueName")?;
        let account = self.account(ctx)?;
        let a = self.on_queue(ctx, |acc| acc.get_queue_attributes(&name))?;
        Ok(DescribeCmqQueueDetailResponse {
            queue_describe: self.queue_model(&account, a),
            ..Default::default()
        })
    }

    pub(super) fn modify_queue(
        &self,
        ctx: &Api3Context,
        i: ModifyCmqQueueAttributeRequest,
    ) -> Result<ModifyCmqQueueAttributeResponse, Api3Error> {
        let name = req(i.queue_name, "QueueName")?;
        let update = QueueConfigUpdate {
            max_msg_heap_num: i.max_msg_heap_num.map(|v| u64::try_from(v).unwrap_or(0)),
            polling_wait_seconds: i.polling_wait_seconds.map(u32_of),
            visibility_timeout: i.visibility_timeout.map(u32_of),
            max_msg_size: i.max_msg_size.map(u32_of),
            msg_retention_seconds: i.msg_retention_seconds.map(u32_of),
            rewind_seconds: i.rewind_seconds.map(u32_of),
            dead_letter_policy: dead_letter(
                i.dead_letter_queue_name,
                i.policy,
                i.max_receive_count,
                i.max_time_to_live,
            ),
        };
        let a = self.on_queue(ctx, |acc| acc.set_queue_attributes(&name, &update))?;
        self.extras.update(NameKind::Queue, &a.queue_id, |x| {
            let keep = |new: Option<i64>, old: &mut Option<i64>| {
                if new.is_some() {
                    *old = new;
                }
            };
            if i.trace.is_some() {
                x.trace = i.trace;
            }
            keep(i.transaction, &mut x.transaction);
            keep(i.first_query_interval, &mut x.first_query_interval);
            keep(i.max_query_count, &mut x.max_query_count);
            keep(i.retention_size_in_mb, &mut x.retention_size_in_mb);
        });
        Ok(ModifyCmqQueueAttributeResponse::default())
    }

    pub(super) fn rewind_queue(
        &self,
        ctx: &Api3Context,
        i: RewindCmqQueueRequest,
    ) -> Result<RewindCmqQueueResponse, Api3Error> {
        let name = req(i.queue_name, "QueueName")?;
        let ms = req(i.start_consume_time, "StartConsumeTime")?;
        let t = Duration::from_millis(u64::try_from(ms).unwrap_or(0)).as_secs();
        self.on_queue(ctx, |a| a.rewind_queue(&name, t))?;
        Ok(RewindCmqQueueResponse::default())
    }

    pub(super) fn clear_queue(
        &self,
        ctx: &Api3Context,
        i: ClearCmqQueueRequest,
    ) -> Result<ClearCmqQueueResponse, Api3Error> {
        let name = req(i.queue_name, "QueueName")?;
        self.on_queue(ctx, |a| a.clear_queue(&name))?;
        Ok(ClearCmqQueueResponse::default())
    }

    pub(super) fn unbind_dead_letter(
        &self,
        ctx: &Api3Context,
        i: UnbindCmqDeadLetterRequest,
    ) -> Result<UnbindCmqDeadLetterResponse, Api3Error> {
        let name = req(i.source_queue_name, "SourceQueueName")?;
        let account = self.account(ctx)?;
        // The engine answers "no dead-letter queue" for both a missing queue's policy and a
        // missing policy; the queue's existence is checked first so each gets its own code.
        if account.queue(&name).is_none() {
            return Err(Api3Error::new(Api3ErrorId::QueueNotFound));
        }
        self.on_queue(ctx, |a| a.unbind_dead_letter_queue(&name))?;
        Ok(UnbindCmqDeadLetterResponse::default())
    }

    pub(super) fn send(
        &self,
        ctx: &Api3Context,
        i: SendCmqMsgRequest,
    ) -> Result<SendCmqMsgResponse, Api3Error> {
        let name = req(i.queue_name, "QueueName")?;
        let body = req(i.msg_content, "MsgContent")?;
        let delay = u32_of(i.delay_seconds.unwrap_or_default());
        let msg_id = self.on_queue(ctx, |a| a.send_message(&name, body, delay))?;
        Ok(SendCmqMsgResponse {
            result: true,
            msg_id,
            ..Default::default()
        })
    }
}
