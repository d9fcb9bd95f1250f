//! The generated [`CmqService`] implemented on the engine: turns validated requests into engine
//! calls and engine results into CMQ answers (every engine error kind names its spec error).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use cmq_sdk::error::BatchItemError;
use cmq_sdk::generated::errors::ErrorId;
use cmq_sdk::generated::ops::*;
use cmq_sdk::generated::types::{
    self as wire, MessageInfo, MsgIdItem, QueueListItem, SubscriptionListItem, TopicListItem,
};

use crate::engine::deliveries::DeliveryLog;
use crate::engine::push::Pusher;
use crate::engine::topics::{self, QueueSink, SinkError, TopicError, TopicStore, TopicStoreConfig};
use crate::engine::{self, Account, Engine, EngineError};
use crate::generated::service::CmqService;
use crate::service::{RequestContext, ServiceError};

/// The default list page size (ref §6.1).
const DEFAULT_LIMIT: usize = 20;

fn engine_err(e: EngineError) -> ServiceError {
    ServiceError::new(e.kind.error_id())
}

fn topic_err(e: TopicError) -> ServiceError {
    ServiceError::new(e.kind.error_id())
}

/// A required field the dispatcher has already checked; a missing one is answered as such
/// rather than trusted.
fn req<T>(v: Option<T>, name: &str) -> Result<T, ServiceError> {
    v.ok_or_else(|| ServiceError::about(ErrorId::LackOfRequiredParameter, name))
}

fn u32_of(v: Option<i64>) -> Option<u32> {
    v.map(|x| u32::try_from(x.max(0)).unwrap_or(u32::MAX))
}

fn page_of(offset: Option<i64>, limit: Option<i64>) -> (usize, usize) {
    let o = offset.map_or(0, |x| usize::try_from(x.max(0)).unwrap_or(usize::MAX));
    let l = limit.map_or(DEFAULT_LIMIT, |x| {
        usize::try_from(x.max(0)).unwrap_or(usize::MAX)
    });
    (o, l)
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn secs(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn dlq_in(p: Option<wire::DeadLetterPolicy>) -> Option<engine::DeadLetterPolicy> {
    p.map(|p| engine::DeadLetterPolicy {
        dead_letter_queue: p.dead_letter_queue.unwrap_or_default(),
        policy: u32_of(p.policy).unwrap_or(0),
        max_receive_count: u32_of(p.max_receive_count),
        max_time_to_live: u32_of(p.max_time_to_live),
    })
}

fn dlq_out(p: &Option<engine::DeadLetterPolicy>) -> Option<wire::DeadLetterPolicy> {
    p.as_ref().map(|p| wire::DeadLetterPolicy {
        dead_letter_queue: Some(p.dead_letter_queue.clone()),
        policy: Some(i64::from(p.policy)),
        max_receive_count: p.max_receive_count.map(i64::from),
        max_time_to_live: p.max_time_to_live.map(i64::from),
    })
}

fn update_of(
    max_msg_heap_num: Option<i64>,
    polling_wait_seconds: Option<i64>,
    visibility_timeout: Option<i64>,
    max_msg_size: Option<i64>,
    msg_retention_seconds: Option<i64>,
    rewind_seconds: Option<i64>,
    dead_letter_policy: Option<wire::DeadLetterPolicy>,
) -> engine::QueueConfigUpdate {
    engine::QueueConfigUpdate {
        max_msg_heap_num: max_msg_heap_num.map(|x| u64::try_from(x.max(0)).unwrap_or(0)),
        polling_wait_seconds: u32_of(polling_wait_seconds),
        visibility_timeout: u32_of(visibility_timeout),
        max_msg_size: u32_of(max_msg_size),
        msg_retention_seconds: u32_of(msg_retention_seconds),
        rewind_seconds: u32_of(rewind_seconds),
        dead_letter_policy: dlq_in(dead_letter_policy),
    }
}

fn message_info(m: engine::ReceivedMessage) -> MessageInfo {
    MessageInfo {
        msg_body: m.msg_body,
        msg_id: m.msg_id,
        receipt_handle: m.receipt_handle,
        enqueue_time: secs(m.enqueue_time),
        first_dequeue_time: secs(m.first_dequeue_time),
        next_visible_time: secs(m.next_visible_time),
        dequeue_count: i64::from(m.dequeue_count),
    }
}

/// Queue subscriptions deliver through the account's ordinary send path.
struct AccountSink(Arc<Account>);

impl QueueSink for AccountSink {
    fn enqueue(&self, queue_name: &str, body: &str) -> Result<String, SinkError> {
        self.0
            .send_message(queue_name, body, 0)
            .map_err(|e| SinkError::new(e.code(), e.to_string()))
    }

    fn queue_exists(&self, queue_name: &str) -> bool {
        self.0.queue(queue_name).is_some()
    }
}

/// The engine as a CMQ service: queues in [`Engine`], one [`TopicStore`] per account.
pub struct Backend {
    engine: Engine,
    pusher: Arc<Pusher>,
    topic_config: TopicStoreConfig,
    topics: RwLock<HashMap<String, Arc<TopicStore>>>,
    default_account: String,
    route_addrs: Vec<String>,
}

impl std::fmt::Debug for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backend")
            .field("default_account", &self.default_account)
            .finish_non_exhaustive()
    }
}

impl Backend {
    /// A backend over `engine`, pushing through `pusher`, with `topic_config` for every account's
    /// topics (its `owner`, the appId, is kept for the default account and derived
    /// from the SecretId for the others). Requests of an unknown account (auth off)
    /// go to `default_account`. `route_addrs` answers QueryQueueRoute/QueryTopicRoute.
    pub fn new(
        engine: Engine,
        pusher: Arc<Pusher>,
        topic_config: TopicStoreConfig,
        default_account: String,
        route_addrs: Vec<String>,
    ) -> Self {
        Self {
            engine,
            pusher,
            topic_config,
            topics: RwLock::new(HashMap::new()),
            default_account,
            route_addrs,
        }
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The delivery log shared by every account's topics.
    pub fn deliveries(&self) -> &Arc<DeliveryLog> {
        self.pusher.log()
    }

    fn account_of(&self, id: &str) -> Result<Arc<Account>, ServiceError> {
        self.engine
            .account(id)
            .or_else(|| self.engine.account(&self.default_account))
            .ok_or_else(|| ServiceError::new(ErrorId::SecretIdNotExist))
    }

    /// The topic store of account `id` (created on first use).
    pub fn topics_of(&self, id: &str) -> Result<Arc<TopicStore>, ServiceError> {
        let account = self.account_of(id)?;
        let key = account.secret_id().to_owned();
        if let Some(t) = self
            .topics
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return Ok(t.clone());
        }
        let mut map = self.topics.write().unwrap_or_else(|e| e.into_inner());
        let store = map.entry(key.clone()).or_insert_with(|| {
            let mut cfg = self.topic_config.clone();
            if key != self.default_account {
                cfg.owner = app_id_of(&key);
            }
            Arc::new(TopicStore::new(
                cfg,
                Arc::new(AccountSink(account)),
                self.pusher.clone(),
            ))
        });
        Ok(store.clone())
    }

    /// Forgets every account's topics (stopping their push workers).
    pub fn reset_topics(&self) {
        let stores: Vec<Arc<TopicStore>> = self
            .topics
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .drain()
            .map(|(_, v)| v)
            .collect();
        for s in stores {
            s.reset();
        }
    }
}

/// The appId (`topicOwner`, the push body's `TopicOwner`: a decimal string, ref §6.5, §9.2) of an
/// account other than the default one (which keeps the configured owner): stable, derived from
/// the SecretId (FNV-1a), never the SecretId itself, which must not reach push endpoints.
fn app_id_of(secret_id: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in secret_id.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    (1_250_000_001 + h % 998_999_999).to_string()
}

fn tags(v: Option<Vec<String>>) -> Vec<String> {
    v.unwrap_or_default()
}

impl CmqService for Backend {
    async fn create_queue(
        &self,
        ctx: &RequestContext,
        i: CreateQueueInput,
    ) -> Result<CreateQueueOutput, ServiceError> {
        let name = req(i.queue_name, "queueName")?;
        let update = update_of(
            i.max_msg_heap_num,
            i.polling_wait_seconds,
            i.visibility_timeout,
            i.max_msg_size,
            i.msg_retention_seconds,
            i.rewind_seconds,
            i.dead_letter_policy,
        );
        let queue_id = self
            .account_of(&ctx.account_id)?
            .create_queue(&name, &update)
            .map_err(engine_err)?;
        Ok(CreateQueueOutput { queue_id })
    }

    async fn delete_queue(
        &self,
        ctx: &RequestContext,
        i: DeleteQueueInput,
    ) -> Result<DeleteQueueOutput, ServiceError> {
        let name = req(i.queue_name, "queueName")?;
        self.account_of(&ctx.account_id)?
            .delete_queue(&name)
            .map_err(engine_err)?;
        Ok(DeleteQueueOutput {})
    }

    async fn list_queue(
        &self,
        ctx: &RequestContext,
        i: ListQueueInput,
    ) -> Result<ListQueueOutput, ServiceError> {
        let (o, l) = page_of(i.offset, i.limit);
        let list = self
            .account_of(&ctx.account_id)?
            .list_queues(i.search_word.as_deref(), o, l);
        Ok(ListQueueOutput {
            total_count: count(list.total_count),
            queue_list: list
                .queues
                .into_iter()
                .map(|q| QueueListItem {
                    queue_id: q.queue_id,
                    queue_name: q.queue_name,
                })
                .collect(),
        })
    }

    async fn get_queue_attributes(
        &self,
        ctx: &RequestContext,
        i: GetQueueAttributesInput,
    ) -> Result<GetQueueAttributesOutput, ServiceError> {
        let name = req(i.queue_name, "queueName")?;
        let a = self
            .account_of(&ctx.account_id)?
            .get_queue_attributes(&name)
            .map_err(engine_err)?;
        let c = &a.config;
        Ok(GetQueueAttributesOutput {
            max_msg_heap_num: i64::try_from(c.max_msg_heap_num).unwrap_or(i64::MAX),
            polling_wait_seconds: i64::from(c.polling_wait_seconds),
            visibility_timeout: i64::from(c.visibility_timeout),
            max_msg_size: i64::from(c.max_msg_size),
            msg_retention_seconds: i64::from(c.msg_retention_seconds),
            create_time: secs(a.create_time),
            last_modify_time: secs(a.last_modify_time),
            active_msg_num: secs(a.counters.active_msg_num),
            inactive_msg_num: secs(a.counters.inactive_msg_num),
            rewind_seconds: i64::from(c.rewind_seconds),
            rewind_msg_num: secs(a.counters.rewind_msg_num),
            min_msg_time: secs(a.counters.min_msg_time),
            delay_msg_num: secs(a.counters.delay_msg_num),
            dead_letter_policy: dlq_out(&c.dead_letter_policy),
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
        let update = update_of(
            i.max_msg_heap_num,
            i.polling_wait_seconds,
            i.visibility_timeout,
            i.max_msg_size,
            i.msg_retention_seconds,
            i.rewind_seconds,
            i.dead_letter_policy,
        );
        let a = self
            .account_of(&ctx.account_id)?
            .set_queue_attributes(&name, &update)
            .map_err(engine_err)?;
        let c = &a.config;
        Ok(SetQueueAttributesOutput {
            max_msg_heap_num: Some(i64::try_from(c.max_msg_heap_num).unwrap_or(i64::MAX)),
            polling_wait_seconds: Some(i64::from(c.polling_wait_seconds)),
            visibility_timeout: Some(i64::from(c.visibility_timeout)),
            max_msg_size: Some(i64::from(c.max_msg_size)),
            msg_retention_seconds: Some(i64::from(c.msg_retention_seconds)),
            rewind_seconds: Some(i64::from(c.rewind_seconds)),
            dead_letter_policy: dlq_out(&c.dead_letter_policy),
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
        self.account_of(&ctx.account_id)?
            .rewind_queue(&name, u64::try_from(t.max(0)).unwrap_or(0))
            .map_err(engine_err)?;
        Ok(RewindQueueOutput {})
    }

    async fn list_dead_letter_source_queues(
        &self,
        ctx: &RequestContext,
        i: ListDeadLetterSourceQueuesInput,
    ) -> Result<ListDeadLetterSourceQueuesOutput, ServiceError> {
        let dlq = req(i.dead_letter_queue_name, "deadLetterQueueName")?;
        let (o, l) = page_of(i.offset, i.limit);
        let list = self
            .account_of(&ctx.account_id)?
            .list_dead_letter_source_queues(&dlq, i.search_word.as_deref(), o, l)
            .map_err(engine_err)?;
        Ok(ListDeadLetterSourceQueuesOutput {
            total_count: count(list.total_count),
            queue_list: list
                .queues
                .into_iter()
                .map(|q| QueueListItem {
                    queue_id: q.queue_id,
                    queue_name: q.queue_name,
                })
                .collect(),
        })
    }

    async fn unbind_dead_letter_queue(
        &self,
        ctx: &RequestContext,
        i: UnbindDeadLetterQueueInput,
    ) -> Result<UnbindDeadLetterQueueOutput, ServiceError> {
        let name = req(i.queue_name, "queueName")?;
        let account = self.account_of(&ctx.account_id)?;
        account
            .unbind_dead_letter_queue(&name)
            .map_err(engine_err)?;
        let queue_id = account.get_queue_attributes(&name).ok().map(|a| a.queue_id);
        Ok(UnbindDeadLetterQueueOutput { queue_id })
    }

    async fn send_message(
        &self,
        ctx: &RequestContext,
        i: SendMessageInput,
    ) -> Result<SendMessageOutput, ServiceError> {
        let name = req(i.queue_name, "queueName")?;
        let body = req(i.msg_body, "msgBody")?;
        let msg_id = self
            .account_of(&ctx.account_id)?
            .send_message(&name, body, u32_of(i.delay_seconds).unwrap_or(0))
            .map_err(engine_err)?;
        Ok(SendMessageOutput { msg_id })
    }

    async fn batch_send_message(
        &self,
        ctx: &RequestContext,
        i: BatchSendMessageInput,
    ) -> Result<BatchSendMessageOutput, ServiceError> {
        let name = req(i.queue_name, "queueName")?;
        let bodies = req(i.msg_body, "msgBody")?;
        let ids = self
            .account_of(&ctx.account_id)?
            .batch_send_message(&name, bodies, u32_of(i.delay_seconds).unwrap_or(0))
            .map_err(engine_err)?;
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
        let account = self.account_of(&ctx.account_id)?;
        let m = account
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
        let account = self.account_of(&ctx.account_id)?;
        let msgs = account
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
        self.account_of(&ctx.account_id)?
            .delete_message(&name, &handle)
            .map_err(engine_err)?;
        Ok(DeleteMessageOutput {})
    }

    async fn batch_delete_message(
        &self,
        ctx: &RequestContext,
        i: BatchDeleteMessageInput,
    ) -> Result<BatchDeleteMessageOutput, ServiceError> {
        let name = req(i.queue_name, "queueName")?;
        let handles = req(i.receipt_handle, "receiptHandle")?;
        let results = self
            .account_of(&ctx.account_id)?
            .batch_delete_message(&name, &handles)
            .map_err(engine_err)?;
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
            return Ok(BatchDeleteMessageOutput { error_list: None });
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
        })
    }

    async fn create_topic(
        &self,
        ctx: &RequestContext,
        i: CreateTopicInput,
    ) -> Result<CreateTopicOutput, ServiceError> {
        let name = req(i.topic_name, "topicName")?;
        let topic_id = self
            .topics_of(&ctx.account_id)?
            .create_topic(&topics::CreateTopic {
                name,
                max_msg_size: i.max_msg_size,
                filter_type: i.filter_type,
            })
            .map_err(topic_err)?;
        Ok(CreateTopicOutput { topic_id })
    }

    async fn delete_topic(
        &self,
        ctx: &RequestContext,
        i: DeleteTopicInput,
    ) -> Result<DeleteTopicOutput, ServiceError> {
        let name = req(i.topic_name, "topicName")?;
        self.topics_of(&ctx.account_id)?
            .delete_topic(&name)
            .map_err(topic_err)?;
        Ok(DeleteTopicOutput {})
    }

    async fn list_topic(
        &self,
        ctx: &RequestContext,
        i: ListTopicInput,
    ) -> Result<ListTopicOutput, ServiceError> {
        let (o, l) = page_of(i.offset, i.limit);
        let page = self
            .topics_of(&ctx.account_id)?
            .list_topics(i.search_word.as_deref(), o, l);
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
        let a = self
            .topics_of(&ctx.account_id)?
            .topic_attributes(&name)
            .map_err(topic_err)?;
        Ok(GetTopicAttributesOutput {
            msg_count: secs(a.msg_count),
            max_msg_size: secs(a.max_msg_size),
            msg_retention_seconds: secs(a.msg_retention_seconds),
            create_time: secs(a.create_time),
            last_modify_time: secs(a.last_modify_time),
            filter_type: i64::from(a.filter_type),
            create_uin: Some(secs(a.create_uin)),
            qps: Some(secs(a.qps)),
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
        self.topics_of(&ctx.account_id)?
            .set_topic_attributes(&name, i.max_msg_size)
            .map_err(topic_err)?;
        Ok(SetTopicAttributesOutput {})
    }

    async fn publish_message(
        &self,
        ctx: &RequestContext,
        i: PublishMessageInput,
    ) -> Result<PublishMessageOutput, ServiceError> {
        let name = req(i.topic_name, "topicName")?;
        let body = req(i.msg_body, "msgBody")?;
        let msg_id = self
            .topics_of(&ctx.account_id)?
            .publish(&name, &body, &tags(i.msg_tag), i.routing_key.as_deref())
            .map_err(topic_err)?;
        Ok(PublishMessageOutput { msg_id })
    }

    async fn batch_publish_message(
        &self,
        ctx: &RequestContext,
        i: BatchPublishMessageInput,
    ) -> Result<BatchPublishMessageOutput, ServiceError> {
        let name = req(i.topic_name, "topicName")?;
        let bodies = req(i.msg_body, "msgBody")?;
        let ids = self
            .topics_of(&ctx.account_id)?
            .batch_publish(&name, &bodies, &tags(i.msg_tag), i.routing_key.as_deref())
            .map_err(topic_err)?;
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
        let name = req(i.subscription_name, "subscriptionName")?;
        let protocol =
            topics::Protocol::parse(req(i.protocol, "protocol")?.as_str()).map_err(topic_err)?;
        let mut s = topics::Subscribe::new(name, protocol, req(i.endpoint, "endpoint")?);
        s.notify_strategy = i
            .notify_strategy
            .map(|v| topics::NotifyStrategy::parse(v.as_str()))
            .transpose()
            .map_err(topic_err)?;
        s.notify_content_format = i
            .notify_content_format
            .map(|v| topics::NotifyContentFormat::parse(v.as_str()))
            .transpose()
            .map_err(topic_err)?;
        s.filter_tags = tags(i.filter_tag);
        s.binding_keys = tags(i.binding_key);
        let subscription_id = self
            .topics_of(&ctx.account_id)?
            .subscribe(&topic, &s)
            .map_err(topic_err)?;
        Ok(SubscribeOutput { subscription_id })
    }

    async fn unsubscribe(
        &self,
        ctx: &RequestContext,
        i: UnsubscribeInput,
    ) -> Result<UnsubscribeOutput, ServiceError> {
        let topic = req(i.topic_name, "topicName")?;
        let name = req(i.subscription_name, "subscriptionName")?;
        self.topics_of(&ctx.account_id)?
            .unsubscribe(&topic, &name)
            .map_err(topic_err)?;
        Ok(UnsubscribeOutput {})
    }

    async fn list_subscription_by_topic(
        &self,
        ctx: &RequestContext,
        i: ListSubscriptionByTopicInput,
    ) -> Result<ListSubscriptionByTopicOutput, ServiceError> {
        let topic = req(i.topic_name, "topicName")?;
        let (o, l) = page_of(i.offset, i.limit);
        let page = self
            .topics_of(&ctx.account_id)?
            .list_subscriptions(&topic, i.search_word.as_deref(), o, l)
            .map_err(topic_err)?;
        Ok(ListSubscriptionByTopicOutput {
            total_count: count(page.total_count),
            subscription_list: Some(
                page.items
                    .into_iter()
                    .map(|s| SubscriptionListItem {
                        subscription_id: s.subscription_id,
                        subscription_name: s.subscription_name,
                        protocol: s.protocol.as_str().to_owned(),
                        endpoint: s.endpoint,
                    })
                    .collect(),
            ),
        })
    }

    async fn get_subscription_attributes(
        &self,
        ctx: &RequestContext,
        i: GetSubscriptionAttributesInput,
    ) -> Result<GetSubscriptionAttributesOutput, ServiceError> {
        let topic = req(i.topic_name, "topicName")?;
        let name = req(i.subscription_name, "subscriptionName")?;
        let a = self
            .topics_of(&ctx.account_id)?
            .subscription_attributes(&topic, &name)
            .map_err(topic_err)?;
        Ok(GetSubscriptionAttributesOutput {
            topic_owner: a.topic_owner,
            msg_count: secs(a.msg_count),
            protocol: a.protocol.as_str().to_owned(),
            endpoint: a.endpoint,
            notify_strategy: a.notify_strategy.as_str().to_owned(),
            notify_content_format: a.notify_content_format.as_str().to_owned(),
            create_time: secs(a.create_time),
            last_modify_time: secs(a.last_modify_time),
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
        let update = topics::SubscriptionUpdate {
            notify_strategy: i
                .notify_strategy
                .map(|v| topics::NotifyStrategy::parse(v.as_str()))
                .transpose()
                .map_err(topic_err)?,
            notify_content_format: i
                .notify_content_format
                .map(|v| topics::NotifyContentFormat::parse(v.as_str()))
                .transpose()
                .map_err(topic_err)?,
            filter_tags: i.filter_tag,
            binding_keys: i.binding_key,
        };
        self.topics_of(&ctx.account_id)?
            .set_subscription_attributes(&topic, &name, &update)
            .map_err(topic_err)?;
        Ok(SetSubscriptionAttributesOutput {})
    }

    async fn clear_subscription_filter_tags(
        &self,
        ctx: &RequestContext,
        i: ClearSubscriptionFilterTagsInput,
    ) -> Result<ClearSubscriptionFilterTagsOutput, ServiceError> {
        let topic = req(i.topic_name, "topicName")?;
        let name = req(i.subscription_name, "subscriptionName")?;
        self.topics_of(&ctx.account_id)?
            .clear_subscription_filter_tags(&topic, &name)
            .map_err(topic_err)?;
        Ok(ClearSubscriptionFilterTagsOutput {})
    }

    async fn query_queue_route(
        &self,
        ctx: &RequestContext,
        i: QueryQueueRouteInput,
    ) -> Result<QueryQueueRouteOutput, ServiceError> {
        let name = req(i.queue_name, "queueName")?;
        if self.account_of(&ctx.account_id)?.queue(&name).is_none() {
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
        self.topics_of(&ctx.account_id)?
            .topic_attributes(&name)
            .map_err(topic_err)?;
        Ok(QueryTopicRouteOutput {
            addr: self.route_addrs.clone(),
        })
    }
}
