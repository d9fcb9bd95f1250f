//! The generated [`CmqService`] implemented on the engine: each method turns a validated API 2.0
//! request into one engine call and the engine's result into the action's output (times in
//! seconds, counts as integers); every engine error kind answers as its [`ErrorId`].

use std::sync::Arc;

use cmq_sdk::enums::{Open, WireEnum};
use cmq_sdk::error::BatchItemError;
use cmq_sdk::generated::actions::Action;
use cmq_sdk::generated::errors::ErrorId;
use cmq_sdk::generated::ops::*;
use cmq_sdk::generated::profiles::Profile;
use cmq_sdk::generated::types::{
    self as wire, MessageInfo, MsgIdItem, QueueListItem, SubscriptionListItem, TopicListItem,
};

use super::service::{RequestContext, ServiceError};
use crate::engine::{
    self, Account, CreateTopic, Engine, EngineError, EngineResult, Page, QueueSummary, Subscribe,
    SubscriptionUpdate,
};
use crate::generated::service::CmqService;

fn engine_err(e: EngineError) -> ServiceError {
    ServiceError::new(e.kind.error_id())
}

/// A required field the dispatcher has already checked; a missing one is answered as such
/// rather than trusted.
fn req<T>(v: Option<T>, name: &str) -> Result<T, ServiceError> {
    v.ok_or_else(|| ServiceError::about(ErrorId::LackOfRequiredParameter, name))
}

/// A value the spec lists, else the error the spec names for an unlisted one (the dispatcher
/// refuses unlisted values first; this keeps the engine's inputs closed whatever reaches here).
fn known<T: WireEnum>(v: Open<T>, error: ErrorId, name: &str) -> Result<T, ServiceError> {
    v.known().ok_or_else(|| ServiceError::about(error, name))
}

/// [`known`] for an optional value.
fn known_opt<T: WireEnum>(
    v: Option<Open<T>>,
    error: ErrorId,
    name: &str,
) -> Result<Option<T>, ServiceError> {
    v.map(|v| known(v, error, name)).transpose()
}

fn u32_of(v: Option<i64>) -> Option<u32> {
    v.map(|x| u32::try_from(x.max(0)).unwrap_or(u32::MAX))
}

fn usize_of(x: i64) -> usize {
    usize::try_from(x.max(0)).unwrap_or(usize::MAX)
}

/// The page a list call asks for: its offset and limit, else the action's defaults (the spec's
/// paging, [`Action::paging`]).
fn page_of(action: Action, offset: Option<i64>, limit: Option<i64>) -> (usize, usize) {
    let paging = action.paging();
    let default = |f: fn(&cmq_sdk::constraints::Paging) -> i64| paging.as_ref().map_or(0, f);
    (
        usize_of(offset.unwrap_or_else(|| default(|p| p.default_offset))),
        usize_of(limit.unwrap_or_else(|| default(|p| p.default_limit))),
    )
}

fn int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Unix seconds of an engine time in ms.
fn secs(ms: u64) -> i64 {
    int(ms / 1000)
}

fn tags(v: Option<Vec<String>>) -> Vec<String> {
    v.unwrap_or_default()
}

fn queue_list(page: Page<QueueSummary>) -> (i64, Vec<QueueListItem>) {
    let items = page
        .items
        .into_iter()
        .map(|q| QueueListItem {
            queue_id: q.queue_id,
            queue_name: q.queue_name,
        })
        .collect();
    (count(page.total_count), items)
}

fn dlq_in(p: Option<wire::DeadLetterPolicy>) -> Option<engine::DeadLetterPolicy> {
    p.map(|p| engine::DeadLetterPolicy {
        dead_letter_queue: p.dead_letter_queue.unwrap_or_default(),
        policy: u32_of(p.policy).unwrap_or(0),
        max_receive_count: u32_of(p.max_receive_count),
        max_time_to_live: u32_of(p.max_time_to_live),
    })
}

/// A queue's dead-letter policy as answers carry it: the dead-letter queue by its **id**, as the
/// documentation of GetQueueAttributes says (spec decision `deadLetterPolicy in answers`; the
/// engine keeps the name, which requests use). A queue that vanished meanwhile keeps its name.
fn dlq_out(a: &Account, p: &Option<engine::DeadLetterPolicy>) -> Option<wire::DeadLetterPolicy> {
    p.as_ref().map(|p| wire::DeadLetterPolicy {
        dead_letter_queue: Some(
            a.queue(&p.dead_letter_queue)
                .map_or_else(|| p.dead_letter_queue.clone(), |q| q.queue_id().to_owned()),
        ),
        policy: Some(i64::from(p.policy)),
        max_receive_count: p.max_receive_count.map(i64::from),
        max_time_to_live: p.max_time_to_live.map(i64::from),
    })
}

/// The queue attributes CreateQueue and SetQueueAttributes both take.
struct QueueParams {
    max_msg_heap_num: Option<i64>,
    polling_wait_seconds: Option<i64>,
    visibility_timeout: Option<i64>,
    max_msg_size: Option<i64>,
    msg_retention_seconds: Option<i64>,
    rewind_seconds: Option<i64>,
    dead_letter_policy: Option<wire::DeadLetterPolicy>,
}

impl QueueParams {
    fn update(self) -> engine::QueueConfigUpdate {
        engine::QueueConfigUpdate {
            max_msg_heap_num: self
                .max_msg_heap_num
                .map(|x| u64::try_from(x.max(0)).unwrap_or(0)),
            polling_wait_seconds: u32_of(self.polling_wait_seconds),
            visibility_timeout: u32_of(self.visibility_timeout),
            max_msg_size: u32_of(self.max_msg_size),
            msg_retention_seconds: u32_of(self.msg_retention_seconds),
            rewind_seconds: u32_of(self.rewind_seconds),
            dead_letter_policy: dlq_in(self.dead_letter_policy),
        }
    }
}

macro_rules! queue_params {
    ($i:expr) => {
        QueueParams {
            max_msg_heap_num: $i.max_msg_heap_num,
            polling_wait_seconds: $i.polling_wait_seconds,
            visibility_timeout: $i.visibility_timeout,
            max_msg_size: $i.max_msg_size,
            msg_retention_seconds: $i.msg_retention_seconds,
            rewind_seconds: $i.rewind_seconds,
            dead_letter_policy: $i.dead_letter_policy,
        }
        .update()
    };
}

fn message_info(m: engine::ReceivedMessage) -> MessageInfo {
    MessageInfo {
        msg_body: m.msg_body,
        msg_id: m.msg_id,
        receipt_handle: m.receipt_handle,
        enqueue_time: secs(m.enqueue_time_ms),
        first_dequeue_time: secs(m.first_dequeue_time_ms),
        next_visible_time: secs(m.next_visible_time_ms),
        dequeue_count: i64::from(m.dequeue_count),
    }
}

/// BatchDeleteMessage's answer from one result per handle: 0, or 6010 / 6020 with the
/// per-handle errors.
fn batch_delete_answer(
    handles: &[String],
    results: Vec<EngineResult<()>>,
) -> Result<BatchDeleteMessageOutput, ServiceError> {
    let failed: Vec<BatchItemError> = handles
        .iter()
        .zip(results)
        .filter_map(|(h, r)| r.err().map(|e| (h, e)))
        .map(|(h, e)| {
            let id = match e.kind.error_id() {
                ErrorId::InvalidReceiptHandle => ErrorId::InvalidReceiptHandleItem,
                other => other,
            };
            BatchItemError {
                code: id.code(),
                message: id.message().to_owned(),
                receipt_handle: h.clone(),
            }
        })
        .collect();
    if failed.is_empty() {
        return Ok(BatchDeleteMessageOutput::default());
    }
    let error = if failed.len() == handles.len() {
        ErrorId::BatchDeleteMessageFailed
    } else {
        ErrorId::DeleteMessagePartiallyFailed
    };
    Err(ServiceError {
        error,
        subject: None,
        error_list: failed,
        detail: None,
    })
}

/// The engine as an API 2.0 service.
pub struct Backend {
    engine: Engine,
    route_addrs: Vec<String>,
}

impl std::fmt::Debug for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backend")
            .field("engine", &self.engine)
            .finish_non_exhaustive()
    }
}

impl Backend {
    /// A backend over `engine`. Requests of an account the engine does not know (possible with
    /// authentication off) go to the engine's default account. `route_addrs` answers
    /// QueryQueueRoute and QueryTopicRoute.
    pub fn new(engine: Engine, route_addrs: Vec<String>) -> Self {
        Self {
            engine,
            route_addrs,
        }
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    fn account(&self, ctx: &RequestContext) -> Result<Arc<Account>, ServiceError> {
        self.engine
            .account(&ctx.account_id)
            .or_else(|| self.engine.default_account())
            .ok_or_else(|| ServiceError::new(ErrorId::SecretIdNotExist))
    }

    /// Runs `f` on the request's account; an engine error becomes the answer.
    fn on<T>(
        &self,
        ctx: &RequestContext,
        f: impl FnOnce(&Account) -> EngineResult<T>,
    ) -> Result<T, ServiceError> {
        f(&*self.account(ctx)?).map_err(engine_err)
    }
}

impl CmqService for Backend {
    /// The engine's profile: requests are validated with its constraint table.
    fn profile(&self) -> Profile {
        self.engine.limits().profile
    }

    async fn create_queue(
        &self,
        ctx: &RequestContext,
        i: CreateQueueInput,
    ) -> Result<CreateQueueOutput, ServiceError> {
        let name = req(i.queue_name, "queueName")?;
        let update = queue_params!(i);
        let queue_id = self.on(ctx, |a| a.create_queue(&name, &update))?;
        Ok(CreateQueueOutput { queue_id })
    }

    async fn delete_queue(
        &self,
        ctx: &RequestContext,
        i: DeleteQueueInput,
    ) -> Result<DeleteQueueOutput, ServiceError> {
        let name = req(i.queue_name, "queueName")?;
        self.on(ctx, |a| a.delete_queue(&name))?;
        Ok(DeleteQueueOutput::default())
    }

    async fn list_queue(
        &self,
        ctx: &RequestContext,
        i: ListQueueInput,
    ) -> Result<ListQueueOutput, ServiceError> {
        let (o, l) = page_of(Action::ListQueue, i.offset, i.limit);
        let page = self.on(ctx, |a| Ok(a.list_queues(i.search_word.as_deref(), o, l)))?;
        let (total_count, queue_list) = queue_list(page);
        Ok(ListQueueOutput {
            total_count,
            queue_list,
        })
    }

    async fn get_queue_attributes(
        &self,
        ctx: &RequestContext,
        i: GetQueueAttributesInput,
    ) -> Result<GetQueueAttributesOutput, ServiceError> {
        let name = req(i.queue_name, "queueName")?;
        let (a, dlq) = self.on(ctx, |acc| {
            let a = acc.get_queue_attributes(&name)?;
            let dlq = dlq_out(acc, &a.config.dead_letter_policy);
            Ok((a, dlq))
        })?;
        let (c, n) = (&a.config, &a.counters);
        Ok(GetQueueAttributesOutput {
            max_msg_heap_num: int(c.max_msg_heap_num),
            polling_wait_seconds: i64::from(c.polling_wait_seconds),
            visibility_timeout: i64::from(c.visibility_timeout),
            max_msg_size: i64::from(c.max_msg_size),
            msg_retention_seconds: i64::from(c.msg_retention_seconds),
            create_time: secs(a.create_time_ms),
            last_modify_time: secs(a.last_modify_time_ms),
            active_msg_num: int(n.active_msg_num),
            inactive_msg_num: int(n.inactive_msg_num),
            rewind_seconds: i64::from(c.rewind_seconds),
            rewind_msg_num: int(n.rewind_msg_num),
            min_msg_time: secs(n.min_msg_time_ms),
            delay_msg_num: int(n.delay_msg_num),
            dead_letter_policy: dlq,
            queue_name: Some(a.queue_name),
            queue_id: Some(a.queue_id),
        })
    }

    async fn set_queue_attributes(
        &self,
        ctx: &RequestContext,
        i: SetQueueAttributesInput,
    ) -> Result<SetQueueAttributesOutput, ServiceError> {
        let name = req(i.queue_name, "queueName")?;
        let update = queue_params!(i);
        let (a, dlq) = self.on(ctx, |acc| {
            let a = acc.set_queue_attributes(&name, &update)?;
            let dlq = dlq_out(acc, &a.config.dead_letter_policy);
            Ok((a, dlq))
        })?;
        let c = &a.config;
        Ok(SetQueueAttributesOutput {
            max_msg_heap_num: Some(int(c.max_msg_heap_num)),
            polling_wait_seconds: Some(i64::from(c.polling_wait_seconds)),
            visibility_timeout: Some(i64::from(c.visibility_timeout)),
            max_msg_size: Some(i64::from(c.max_msg_size)),
            msg_retention_seconds: Some(i64::from(c.msg_retention_seconds)),
            rewind_seconds: Some(i64::from(c.rewind_seconds)),
            dead_letter_policy: dlq,
            queue_id: Some(a.queue_id),
        })
    }

    async fn rewind_queue(
        &self,
        ctx: &RequestContext,
        i: RewindQueueInput,
    ) -> Result<RewindQueueOutput, ServiceError> {
        let name = req(i.queue_name, "queueName")?;
        let t = req(i.start_consume_time, "startConsumeTime")?;
        let t = u64::try_from(t.max(0)).unwrap_or(0);
        self.on(ctx, |a| a.rewind_queue(&name, t))?;
        Ok(RewindQueueOutput {})
    }

    async fn list_dead_letter_source_queues(
        &self,
        ctx: &RequestContext,
        i: ListDeadLetterSourceQueuesInput,
    ) -> Result<ListDeadLetterSourceQueuesOutput, ServiceError> {
        let dlq = req(i.dead_letter_queue_name, "deadLetterQueueName")?;
        let (o, l) = page_of(Action::ListDeadLetterSourceQueues, i.offset, i.limit);
        let word = i.search_word.as_deref();
        let page = self.on(ctx, |a| a.list_dead_letter_source_queues(&dlq, word, o, l))?;
        let (total_count, queue_list) = queue_list(page);
        Ok(ListDeadLetterSourceQueuesOutput {
            total_count,
            queue_list,
        })
    }

    async fn unbind_dead_letter_queue(
        &self,
        ctx: &RequestContext,
        i: UnbindDeadLetterQueueInput,
    ) -> Result<UnbindDeadLetterQueueOutput, ServiceError> {
        let name = req(i.queue_name, "queueName")?;
        let queue_id = self.on(ctx, |a| {
            a.unbind_dead_letter_queue(&name)?;
            Ok(a.get_queue_attributes(&name).ok().map(|a| a.queue_id))
        })?;
        Ok(UnbindDeadLetterQueueOutput {
            queue_id,
            settled_by_retry: None,
        })
    }

    async fn send_message(
        &self,
        ctx: &RequestContext,
        i: SendMessageInput,
    ) -> Result<SendMessageOutput, ServiceError> {
        let name = req(i.queue_name, "queueName")?;
        let body = req(i.msg_body, "msgBody")?;
        let delay = u32_of(i.delay_seconds).unwrap_or(0);
        let msg_id = self.on(ctx, |a| a.send_message(&name, body, delay))?;
        Ok(SendMessageOutput { msg_id })
    }

    async fn batch_send_message(
        &self,
        ctx: &RequestContext,
        i: BatchSendMessageInput,
    ) -> Result<BatchSendMessageOutput, ServiceError> {
        let name = req(i.queue_name, "queueName")?;
        let bodies = req(i.msg_body, "msgBody")?;
        let delay = u32_of(i.delay_seconds).unwrap_or(0);
        let ids = self.on(ctx, |a| a.batch_send_message(&name, bodies, delay))?;
        Ok(BatchSendMessageOutput {
            msg_list: ids.into_iter().map(|msg_id| MsgIdItem { msg_id }).collect(),
        })
    }

    async fn receive_message(
        &self,
        ctx: &RequestContext,
        i: ReceiveMessageInput,
    ) -> Result<ReceiveMessageOutput, ServiceError> {
        let name = req(i.queue_name, "queueName")?;
        let m = self
            .account(ctx)?
            .receive_message(&name, u32_of(i.polling_wait_seconds))
            .await
            .map_err(engine_err)?;
        let m = message_info(m);
        Ok(ReceiveMessageOutput {
            msg_body: m.msg_body,
            msg_id: m.msg_id,
            receipt_handle: m.receipt_handle,
            enqueue_time: m.enqueue_time,
            first_dequeue_time: m.first_dequeue_time,
            next_visible_time: m.next_visible_time,
            dequeue_count: m.dequeue_count,
        })
    }

    async fn batch_receive_message(
        &self,
        ctx: &RequestContext,
        i: BatchReceiveMessageInput,
    ) -> Result<BatchReceiveMessageOutput, ServiceError> {
        let name = req(i.queue_name, "queueName")?;
        let n = usize::try_from(req(i.num_of_msg, "numOfMsg")?.max(1)).unwrap_or(1);
        let msgs = self
            .account(ctx)?
            .batch_receive_message(&name, n, u32_of(i.polling_wait_seconds))
            .await
            .map_err(engine_err)?;
        Ok(BatchReceiveMessageOutput {
            msg_info_list: msgs.into_iter().map(message_info).collect(),
        })
    }

    async fn delete_message(
        &self,
        ctx: &RequestContext,
        i: DeleteMessageInput,
    ) -> Result<DeleteMessageOutput, ServiceError> {
        let name = req(i.queue_name, "queueName")?;
        let handle = req(i.receipt_handle, "receiptHandle")?;
        self.on(ctx, |a| a.delete_message(&name, &handle))?;
        Ok(DeleteMessageOutput::default())
    }

    async fn batch_delete_message(
        &self,
        ctx: &RequestContext,
        i: BatchDeleteMessageInput,
    ) -> Result<BatchDeleteMessageOutput, ServiceError> {
        let name = req(i.queue_name, "queueName")?;
        let handles = req(i.receipt_handle, "receiptHandle")?;
        let results = self.on(ctx, |a| a.batch_delete_message(&name, &handles))?;
        batch_delete_answer(&handles, results)
    }

    async fn create_topic(
        &self,
        ctx: &RequestContext,
        i: CreateTopicInput,
    ) -> Result<CreateTopicOutput, ServiceError> {
        let req = CreateTopic {
            name: req(i.topic_name, "topicName")?,
            max_msg_size: i.max_msg_size,
            filter_type: i.filter_type,
        };
        let topic_id = self.on(ctx, |a| a.create_topic(&req))?;
        Ok(CreateTopicOutput { topic_id })
    }

    async fn delete_topic(
        &self,
        ctx: &RequestContext,
        i: DeleteTopicInput,
    ) -> Result<DeleteTopicOutput, ServiceError> {
        let name = req(i.topic_name, "topicName")?;
        self.on(ctx, |a| a.delete_topic(&name))?;
        Ok(DeleteTopicOutput::default())
    }

    async fn list_topic(
        &self,
        ctx: &RequestContext,
        i: ListTopicInput,
    ) -> Result<ListTopicOutput, ServiceError> {
        let (o, l) = page_of(Action::ListTopic, i.offset, i.limit);
        let page = self.on(ctx, |a| Ok(a.list_topics(i.search_word.as_deref(), o, l)))?;
        Ok(ListTopicOutput {
            total_count: count(page.total_count),
            topic_list: page
                .items
                .into_iter()
                .map(|t| TopicListItem {
                    topic_id: t.topic_id,
                    topic_name: t.topic_name,
                })
                .collect(),
        })
    }

    async fn get_topic_attributes(
        &self,
        ctx: &RequestContext,
        i: GetTopicAttributesInput,
    ) -> Result<GetTopicAttributesOutput, ServiceError> {
        let name = req(i.topic_name, "topicName")?;
        let a = self.on(ctx, |a| a.topic_attributes(&name))?;
        Ok(GetTopicAttributesOutput {
            msg_count: int(a.msg_count),
            max_msg_size: int(a.max_msg_size),
            msg_retention_seconds: int(a.msg_retention_seconds),
            create_time: secs(a.create_time_ms),
            last_modify_time: secs(a.last_modify_time_ms),
            filter_type: i64::from(a.filter_type),
            create_uin: Some(int(a.create_uin)),
            qps: Some(int(a.qps)),
            topic_id: Some(a.topic_id),
            tags: Some(Vec::new()),
        })
    }

    async fn set_topic_attributes(
        &self,
        ctx: &RequestContext,
        i: SetTopicAttributesInput,
    ) -> Result<SetTopicAttributesOutput, ServiceError> {
        let name = req(i.topic_name, "topicName")?;
        self.on(ctx, |a| a.set_topic_attributes(&name, i.max_msg_size))?;
        Ok(SetTopicAttributesOutput {})
    }

    async fn publish_message(
        &self,
        ctx: &RequestContext,
        i: PublishMessageInput,
    ) -> Result<PublishMessageOutput, ServiceError> {
        let name = req(i.topic_name, "topicName")?;
        let body = req(i.msg_body, "msgBody")?;
        let (tags, key) = (tags(i.msg_tag), i.routing_key);
        let msg_id = self.on(ctx, |a| a.publish(&name, &body, &tags, key.as_deref()))?;
        Ok(PublishMessageOutput { msg_id })
    }

    async fn batch_publish_message(
        &self,
        ctx: &RequestContext,
        i: BatchPublishMessageInput,
    ) -> Result<BatchPublishMessageOutput, ServiceError> {
        let name = req(i.topic_name, "topicName")?;
        let bodies = req(i.msg_body, "msgBody")?;
        let (tags, key) = (tags(i.msg_tag), i.routing_key);
        let ids = self.on(ctx, |a| {
            a.batch_publish(&name, &bodies, &tags, key.as_deref())
        })?;
        Ok(BatchPublishMessageOutput {
            msg_list: ids.into_iter().map(|msg_id| MsgIdItem { msg_id }).collect(),
        })
    }

    async fn subscribe(
        &self,
        ctx: &RequestContext,
        i: SubscribeInput,
    ) -> Result<SubscribeOutput, ServiceError> {
        let topic = req(i.topic_name, "topicName")?;
        let s = Subscribe {
            name: req(i.subscription_name, "subscriptionName")?,
            protocol: known(
                req(i.protocol, "protocol")?,
                ErrorId::UndefinedProtocol,
                "protocol",
            )?,
            endpoint: req(i.endpoint, "endpoint")?,
            notify_strategy: known_opt(
                i.notify_strategy,
                ErrorId::UndefinedNotifyStrategy,
                "notifyStrategy",
            )?,
            notify_content_format: known_opt(
                i.notify_content_format,
                ErrorId::UndefinedNotifyContentFormat,
                "notifyContentFormat",
            )?,
            filter_tags: tags(i.filter_tag),
            binding_keys: tags(i.binding_key),
        };
        let subscription_id = self.on(ctx, |a| a.subscribe(&topic, &s))?;
        Ok(SubscribeOutput { subscription_id })
    }

    async fn unsubscribe(
        &self,
        ctx: &RequestContext,
        i: UnsubscribeInput,
    ) -> Result<UnsubscribeOutput, ServiceError> {
        let topic = req(i.topic_name, "topicName")?;
        let name = req(i.subscription_name, "subscriptionName")?;
        self.on(ctx, |a| a.unsubscribe(&topic, &name))?;
        Ok(UnsubscribeOutput::default())
    }

    async fn list_subscription_by_topic(
        &self,
        ctx: &RequestContext,
        i: ListSubscriptionByTopicInput,
    ) -> Result<ListSubscriptionByTopicOutput, ServiceError> {
        let topic = req(i.topic_name, "topicName")?;
        let (o, l) = page_of(Action::ListSubscriptionByTopic, i.offset, i.limit);
        let word = i.search_word.as_deref();
        let page = self.on(ctx, |a| a.list_subscriptions(&topic, word, o, l))?;
        let list = page.items.into_iter().map(|s| SubscriptionListItem {
            subscription_id: s.subscription_id,
            subscription_name: s.subscription_name,
            protocol: s.protocol.as_str().to_owned(),
            endpoint: s.endpoint,
        });
        Ok(ListSubscriptionByTopicOutput {
            total_count: count(page.total_count),
            subscription_list: Some(list.collect()),
        })
    }

    async fn get_subscription_attributes(
        &self,
        ctx: &RequestContext,
        i: GetSubscriptionAttributesInput,
    ) -> Result<GetSubscriptionAttributesOutput, ServiceError> {
        let topic = req(i.topic_name, "topicName")?;
        let name = req(i.subscription_name, "subscriptionName")?;
        let a = self.on(ctx, |a| a.subscription_attributes(&topic, &name))?;
        Ok(GetSubscriptionAttributesOutput {
            topic_owner: a.topic_owner,
            msg_count: int(a.msg_count),
            protocol: a.protocol.as_str().to_owned(),
            endpoint: a.endpoint,
            notify_strategy: a.notify_strategy.as_str().to_owned(),
            notify_content_format: a.notify_content_format.as_str().to_owned(),
            create_time: secs(a.create_time_ms),
            last_modify_time: secs(a.last_modify_time_ms),
            binding_key: Some(a.binding_keys),
            filter_tags: Some(a.filter_tags),
        })
    }

    async fn set_subscription_attributes(
        &self,
        ctx: &RequestContext,
        i: SetSubscriptionAttributesInput,
    ) -> Result<SetSubscriptionAttributesOutput, ServiceError> {
        let topic = req(i.topic_name, "topicName")?;
        let name = req(i.subscription_name, "subscriptionName")?;
        let update = SubscriptionUpdate {
            notify_strategy: known_opt(
                i.notify_strategy,
                ErrorId::UndefinedNotifyStrategy,
                "notifyStrategy",
            )?,
            notify_content_format: known_opt(
                i.notify_content_format,
                ErrorId::UndefinedNotifyContentFormat,
                "notifyContentFormat",
            )?,
            filter_tags: i.filter_tag,
            binding_keys: i.binding_key,
        };
        self.on(ctx, |a| {
            a.set_subscription_attributes(&topic, &name, &update)
        })?;
        Ok(SetSubscriptionAttributesOutput {})
    }

    async fn clear_subscription_filter_tags(
        &self,
        ctx: &RequestContext,
        i: ClearSubscriptionFilterTagsInput,
    ) -> Result<ClearSubscriptionFilterTagsOutput, ServiceError> {
        let topic = req(i.topic_name, "topicName")?;
        let name = req(i.subscription_name, "subscriptionName")?;
        self.on(ctx, |a| a.clear_subscription_filter_tags(&topic, &name))?;
        Ok(ClearSubscriptionFilterTagsOutput {})
    }

    async fn query_queue_route(
        &self,
        ctx: &RequestContext,
        i: QueryQueueRouteInput,
    ) -> Result<QueryQueueRouteOutput, ServiceError> {
        let name = req(i.queue_name, "queueName")?;
        if self.account(ctx)?.queue(&name).is_none() {
            return Err(ServiceError::new(ErrorId::QueueNotExist));
        }
        Ok(QueryQueueRouteOutput {
            addr: self.route_addrs.clone(),
        })
    }

    async fn query_topic_route(
        &self,
        ctx: &RequestContext,
        i: QueryTopicRouteInput,
    ) -> Result<QueryTopicRouteOutput, ServiceError> {
        let name = req(i.topic_name, "topicName")?;
        self.on(ctx, |a| a.topic_attributes(&name))?;
        Ok(QueryTopicRouteOutput {
            addr: self.route_addrs.clone(),
        })
    }
}

impl super::auth::Accounts for Engine {
    fn secret_key(&self, secret_id: &str) -> Option<String> {
        self.account(secret_id).map(|a| a.secret_key().to_string())
    }
}
