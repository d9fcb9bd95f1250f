//! The topic and subscription actions of API 3.0 on the engine: CreateCmqTopic,
//! DeleteCmqTopic, DescribeCmqTopics, DescribeCmqTopicDetail, ModifyCmqTopicAttribute,
//! PublishCmqMsg, CreateCmqSubscribe, DeleteCmqSubscribe, DescribeCmqSubscriptionDetail,
//! ModifyCmqSubscriptionAttribute and ClearCmqSubscriptionFilterTags.
//!
//! Translation rules (the spec's facts and decisions, `spec/v3/`):
//!
//! * CreateCmqTopic's MaxMsgSize left out is API 3.0's default (65536); `MsgRetentionSeconds`
//!   is stored and echoed (decision U19), messages keep the engine's topic lifetime.
//! * PublishCmqMsg's `MsgTag` carries tags on a FilterType 1 topic and exactly one routing key on
//!   a FilterType 2 topic (`RoutingKeyRequired` otherwise).
//! * DescribeCmqSubscriptionDetail: QueryType `topic` (the default) lists TopicName's
//!   subscriptions (TopicName left out: MissingParameter); `queue` lists every queue
//!   subscription pushing into QueueName; `SubscriptionName` filters by substring, an exact match
//!   first (decision U8), then paged.
//! * Subscription times are milliseconds; `FilterTags` is `[]` and `BindingKey` null when empty.

use cmq_sdk::enums::{Open, WireEnum};
use cmq_sdk::generated::types::Protocol;
use cmq_sdk::generated::v3::actions::Api3Action;
use cmq_sdk::generated::v3::constraints::{create_cmq_topic, describe_cmq_subscription_detail};
use cmq_sdk::generated::v3::errors::Api3ErrorId;
use cmq_sdk::generated::v3::models::{CmqSubscription, CmqTopic};
use cmq_sdk::generated::v3::ops::*;
use cmq_sdk::generated::v3::types::QueryType;

use super::backend::{Api3Backend, contains_ignore_case, int, listed, page_of, paged, req};
use super::extras::{Extras, tags_of};
use super::queues::{STATUS_NORMAL, TENANT_PREFIX};
use crate::engine::topics::filter::FilterType;
use crate::engine::topics::types::{SubscriptionAttributes, TopicAttributes};
use crate::engine::{Account, CreateTopic, ErrorKind, Subscribe, SubscriptionUpdate};
use crate::generated::v3::envelope::{Api3Context, Api3Error};
use crate::store::records::NameKind;

/// The namespace of a topic: this prefix and its name.
const TOPIC_NAMESPACE_PREFIX: &str = "CMQ_TOPIC-";
/// `BrokerType` of every topic (1, as in Tencent's published DescribeCmqTopicDetail example).
const BROKER_TYPE: i64 = 1;

/// Which request parameter an engine error of a topic or subscription action is about.
fn topic_param(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::SubscriptionNameFormat | ErrorKind::SubscriptionAlreadyExists => {
            "SubscriptionName"
        }
        ErrorKind::EndpointFormatError
        | ErrorKind::UrlContainsBlank
        | ErrorKind::IllegalEndpoint => "Endpoint",
        ErrorKind::FilterTagNumberExceeded => "FilterTag",
        ErrorKind::TooManyBindingKeys | ErrorKind::TooManyDelimiters => "BindingKey",
        ErrorKind::MessageBodyEmpty | ErrorKind::MessageTooLarge => "MsgContent",
        ErrorKind::TooManyMsgTags | ErrorKind::RoutingKeyMissing => "MsgTag",
        ErrorKind::ValueOutOfRange => "MaxMsgSize",
        _ => "TopicName",
    }
}

/// A value the spec lists, else InvalidParameterValue about `name` (the dispatcher refuses
/// unlisted values first; this keeps the engine's inputs closed whatever reaches here).
fn known<T: WireEnum>(v: Option<Open<T>>, name: &str) -> Result<Option<T>, Api3Error> {
    v.map(|v| {
        v.known()
            .ok_or_else(|| Api3Error::about(Api3ErrorId::InvalidParameterValue, name))
    })
    .transpose()
}

/// The `CmqSubscription` model of a subscription of `topic`.
fn subscription_model(topic: &str, a: SubscriptionAttributes) -> CmqSubscription {
    CmqSubscription {
        topic_owner: a.topic_owner.parse().ok(),
        msg_count: int(a.msg_count),
        last_modify_time: int(a.last_modify_time_ms),
        create_time: int(a.create_time_ms),
        binding_key: (!a.binding_keys.is_empty()).then_some(a.binding_keys),
        endpoint: a.endpoint,
        filter_tags: a.filter_tags,
        protocol: a.protocol.as_str().to_owned(),
        notify_strategy: a.notify_strategy.as_str().to_owned(),
        notify_content_format: a.notify_content_format.as_str().to_owned(),
        topic_name: Some(topic.to_owned()),
        subscription_name: a.subscription_name,
        subscription_id: a.subscription_id,
    }
}

impl Api3Backend {
    /// Runs a topic or subscription action's engine call on the request's account.
    fn on_topic<T>(
        &self,
        ctx: &Api3Context,
        f: impl FnOnce(&Account) -> crate::engine::EngineResult<T>,
    ) -> Result<T, Api3Error> {
        self.on(ctx, topic_param, f)
    }

    /// The `CmqTopic` model of a topic.
    fn topic_model(&self, account: &Account, a: TopicAttributes) -> CmqTopic {
        let x = self.extras.get(&a.topic_id);
        let subscriptions = account
            .list_subscriptions(&a.topic_name, None, 0, 0)
            .map_or(0, |p| p.total_count);
        CmqTopic {
            msg_retention_seconds: x
                .msg_retention_seconds
                .unwrap_or_else(|| int(a.msg_retention_seconds)),
            max_msg_size: int(a.max_msg_size),
            qps: int(a.qps),
            filter_type: i64::from(a.filter_type),
            create_time: int(a.create_time_ms),
            last_modify_time: int(a.last_modify_time_ms),
            msg_count: int(a.msg_count),
            create_uin: Some(int(a.create_uin)),
            tags: x.tag_models(),
            trace: Some(x.trace.unwrap_or_default()),
            tenant_id: format!("{TENANT_PREFIX}{}", account.app_id()),
            namespace_name: format!("{TOPIC_NAMESPACE_PREFIX}{}", a.topic_name),
            status: STATUS_NORMAL,
            broker_type: BROKER_TYPE,
            subscription_count: i64::try_from(subscriptions).unwrap_or(i64::MAX),
            topic_id: a.topic_id,
            topic_name: a.topic_name,
        }
    }

    pub(super) fn create_topic(
        &self,
        ctx: &Api3Context,
        i: CreateCmqTopicRequest,
    ) -> Result<CreateCmqTopicResponse, Api3Error> {
        let create = CreateTopic {
            name: req(i.topic_name, "TopicName")?,
            max_msg_size: Some(
                i.max_msg_size
                    .unwrap_or(create_cmq_topic::max_msg_size::DEFAULT),
            ),
            filter_type: Some(
                i.filter_type
                    .unwrap_or(create_cmq_topic::filter_type::DEFAULT),
            ),
        };
        let topic_id = self.on_topic(ctx, |a| a.create_topic(&create))?;
        let extras = Extras {
            tags: tags_of(i.tags),
            trace: i.trace,
            msg_retention_seconds: Some(
                i.msg_retention_seconds
                    .unwrap_or(create_cmq_topic::msg_retention_seconds::DEFAULT),
            ),
            ..Extras::default()
        };
        self.extras.put(NameKind::Topic, &topic_id, extras);
        Ok(CreateCmqTopicResponse {
            topic_id,
            ..Default::default()
        })
    }

    pub(super) fn delete_topic(
        &self,
        ctx: &Api3Context,
        i: DeleteCmqTopicRequest,
    ) -> Result<DeleteCmqTopicResponse, Api3Error> {
        let name = req(i.topic_name, "TopicName")?;
        let id = self.on_topic(ctx, |a| {
            let id = a.topic_attributes(&name)?.topic_id;
            a.delete_topic(&name).map(|()| id)
        })?;
        self.extras.remove(&id);
        Ok(DeleteCmqTopicResponse::default())
    }

    pub(super) fn describe_topics(
        &self,
        ctx: &Api3Context,
        i: DescribeCmqTopicsRequest,
    ) -> Result<DescribeCmqTopicsResponse, Api3Error> {
        let (offset, limit) = page_of(Api3Action::DescribeCmqTopics, i.offset, i.limit);
        let account = self.account(ctx)?;
        let filters = match i.is_tag_filter {
            Some(true) => i.filters.unwrap_or_default(),
            _ => Vec::new(),
        };
        let word = i.topic_name.as_deref();
        let names = i.topic_name_list.as_deref();
        let found: Vec<_> = account
            .list_topics(None, 0, usize::MAX)
            .items
            .into_iter()
            .filter(|t| contains_ignore_case(&t.topic_name, word) && listed(&t.topic_name, names))
            .filter(|t| filters.is_empty() || self.extras.get(&t.topic_id).matches(&filters))
            .collect();
        let (total_count, page) = paged(found, offset, limit);
        let topic_list = page
            .into_iter()
            .filter_map(|t| account.topic_attributes(&t.topic_name).ok())
            .map(|a| self.topic_model(&account, a))
            .collect();
        Ok(DescribeCmqTopicsResponse {
            topic_list,
            total_count,
            ..Default::default()
        })
    }

    pub(super) fn topic_detail(
        &self,
        ctx: &Api3Context,
        i: DescribeCmqTopicDetailRequest,
    ) -> Result<DescribeCmqTopicDetailResponse, Api3Error> {
        let name = req(i.topic_name, "TopicName")?;
        let account = self.account(ctx)?;
        let a = self.on_topic(ctx, |acc| acc.topic_attributes(&name))?;
        Ok(DescribeCmqTopicDetailResponse {
            topic_describe: self.topic_model(&account, a),
            ..Default::default()
        })
    }

    pub(super) fn modify_topic(
        &self,
        ctx: &Api3Context,
        i: ModifyCmqTopicAttributeRequest,
    ) -> Result<ModifyCmqTopicAttributeResponse, Api3Error> {
        let name = req(i.topic_name, "TopicName")?;
        let id = self.on_topic(ctx, |a| {
            a.set_topic_attributes(&name, i.max_msg_size)?;
            Ok(a.topic_attributes(&name)?.topic_id)
        })?;
        self.extras.update(NameKind::Topic, &id, |x| {
            if i.msg_retention_seconds.is_some() {
                x.msg_retention_seconds = i.msg_retention_seconds;
            }
            if i.trace.is_some() {
                x.trace = i.trace;
            }
        });
        Ok(ModifyCmqTopicAttributeResponse::default())
    }

    pub(super) fn publish(
        &self,
        ctx: &Api3Context,
        i: PublishCmqMsgRequest,
    ) -> Result<PublishCmqMsgResponse, Api3Error> {
        let name = req(i.topic_name, "TopicName")?;
        let body = req(i.msg_content, "MsgContent")?;
        let tags = i.msg_tag.unwrap_or_default();
        let msg_id = self.on_topic(ctx, |a| {
            let filter = FilterType::from_int(i64::from(a.topic_attributes(&name)?.filter_type));
            if filter == Some(FilterType::Routing) {
                // One routing key, sent in MsgTag; none or several: the engine's
                // RoutingKeyMissing (RoutingKeyRequired).
                let key = match tags.as_slice() {
                    [key] => Some(key.as_str()),
                    _ => None,
                };
                a.publish(&name, &body, &[] as &[String], key)
            } else {
                a.publish(&name, &body, &tags, None)
            }
        })?;
        Ok(PublishCmqMsgResponse {
            result: true,
            msg_id,
            ..Default::default()
        })
    }

    pub(super) fn subscribe(
        &self,
        ctx: &Api3Context,
        i: CreateCmqSubscribeRequest,
    ) -> Result<CreateCmqSubscribeResponse, Api3Error> {
        let topic = req(i.topic_name, "TopicName")?;
        let protocol = known(i.protocol, "Protocol")?;
        let s = Subscribe {
            name: req(i.subscription_name, "SubscriptionName")?,
            protocol: req(protocol, "Protocol")?,
            endpoint: req(i.endpoint, "Endpoint")?,
            notify_strategy: known(i.notify_strategy, "NotifyStrategy")?,
            notify_content_format: known(i.notify_content_format, "NotifyContentFormat")?,
            filter_tags: i.filter_tag.unwrap_or_default(),
            binding_keys: i.binding_key.unwrap_or_default(),
        };
        let subscription_id = self.on_topic(ctx, |a| a.subscribe(&topic, &s))?;
        Ok(CreateCmqSubscribeResponse {
            subscription_id,
            ..Default::default()
        })
    }

    pub(super) fn unsubscribe(
        &self,
        ctx: &Api3Context,
        i: DeleteCmqSubscribeRequest,
    ) -> Result<DeleteCmqSubscribeResponse, Api3Error> {
        let topic = req(i.topic_name, "TopicName")?;
        let name = req(i.subscription_name, "SubscriptionName")?;
        self.on_topic(ctx, |a| a.unsubscribe(&topic, &name))?;
        Ok(DeleteCmqSubscribeResponse::default())
    }

    /// Every subscription of `topic`, as models.
    fn subscriptions_of(
        account: &Account,
        topic: &str,
    ) -> crate::engine::EngineResult<Vec<CmqSubscription>> {
        let name = account.topic_attributes(topic)?.topic_name;
        let page = account.list_subscriptions(&name, None, 0, usize::MAX)?;
        Ok(page
            .items
            .into_iter()
            .filter_map(|s| {
                account
                    .subscription_attributes(&name, &s.subscription_name)
                    .ok()
            })
            .map(|a| subscription_model(&name, a))
            .collect())
    }

    pub(super) fn subscription_detail(
        &self,
        ctx: &Api3Context,
        i: DescribeCmqSubscriptionDetailRequest,
    ) -> Result<DescribeCmqSubscriptionDetailResponse, Api3Error> {
        let action = Api3Action::DescribeCmqSubscriptionDetail;
        let (offset, limit) = page_of(action, i.offset, i.limit);
        let query = known(i.query_type, "QueryType")?
            .unwrap_or(describe_cmq_subscription_detail::query_type::DEFAULT);
        let account = self.account(ctx)?;
        let mut found = match query {
            QueryType::Topic => {
                let topic = req(i.topic_name, "TopicName")?;
                self.on_topic(ctx, |a| Self::subscriptions_of(a, &topic))?
            }
            QueryType::Queue => {
                let queue = req(i.queue_name, "QueueName")?;
                let mut all = Vec::new();
                for t in account.list_topics(None, 0, usize::MAX).items {
                    let subs = Self::subscriptions_of(&account, &t.topic_name).unwrap_or_default();
                    all.extend(subs.into_iter().filter(|s| {
                        s.protocol == Protocol::Queue.as_str()
                            && s.endpoint.eq_ignore_ascii_case(&queue)
                    }));
                }
                all
            }
        };
        let word = i.subscription_name.as_deref();
        found.retain(|s| contains_ignore_case(&s.subscription_name, word));
        if let Some(w) = word {
            // Stable: an exact match first, the rest in creation order.
            found.sort_by_key(|s| !s.subscription_name.eq_ignore_ascii_case(w));
        }
        let (total_count, subscription_set) = paged(found, offset, limit);
        Ok(DescribeCmqSubscriptionDetailResponse {
            total_count,
            subscription_set,
            ..Default::default()
        })
    }

    pub(super) fn modify_subscription(
        &self,
        ctx: &Api3Context,
        i: ModifyCmqSubscriptionAttributeRequest,
    ) -> Result<ModifyCmqSubscriptionAttributeResponse, Api3Error> {
        let topic = req(i.topic_name, "TopicName")?;
        let name = req(i.subscription_name, "SubscriptionName")?;
        let update = SubscriptionUpdate {
            notify_strategy: known(i.notify_strategy, "NotifyStrategy")?,
            notify_content_format: known(i.notify_content_format, "NotifyContentFormat")?,
            filter_tags: i.filter_tags,
            binding_keys: i.binding_key,
        };
        self.on_topic(ctx, |a| {
            a.set_subscription_attributes(&topic, &name, &update)
        })?;
        Ok(ModifyCmqSubscriptionAttributeResponse::default())
    }

    pub(super) fn clear_filter_tags(
        &self,
        ctx: &Api3Context,
        i: ClearCmqSubscriptionFilterTagsRequest,
    ) -> Result<ClearCmqSubscriptionFilterTagsResponse, Api3Error> {
        let topic = req(i.topic_name, "TopicName")?;
        let name = req(i.subscription_name, "SubscriptionName")?;
        self.on_topic(ctx, |a| a.clear_subscription_filter_tags(&topic, &name))?;
        Ok(ClearCmqSubscriptionFilterTagsResponse::default())
    }
}
