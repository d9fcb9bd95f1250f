//! The generated [`CmqApi3Service`] implemented on the engine the API 2.0 backend uses: each
//! method turns a validated API 3.0 request into engine calls and the results into the action's
//! response (times in milliseconds, the models `CmqQueue`, `CmqTopic`, `CmqSubscription`). An
//! engine error, named by its API 2.0 error, answers as `spec/v3/errors.json` maps it
//! ([`from_v2`]). The queue actions are in [`super::queues`], the topic and subscription actions
//! in [`super::topics`]; this file holds the shared plumbing and the trait.

use std::sync::Arc;

use cmq_sdk::constraints::Paging;
use cmq_sdk::generated::profiles::Profile;
use cmq_sdk::generated::v3::actions::Api3Action;
use cmq_sdk::generated::v3::errors::Api3ErrorId;
use cmq_sdk::generated::v3::ops::*;

use super::extras::{Extras, ExtrasTable};
use crate::engine::{Account, Engine, EngineError, EngineResult, ErrorKind};
use crate::generated::v3::envelope::{Api3Context, Api3Error};
use crate::generated::v3::errors::from_v2;
use crate::generated::v3::service::CmqApi3Service;

/// The engine as an API 3.0 service.
pub struct Api3Backend {
    pub(super) engine: Engine,
    pub(super) extras: ExtrasTable,
}

impl std::fmt::Debug for Api3Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api3Backend")
            .field("engine", &self.engine)
            .finish_non_exhaustive()
    }
}

impl Api3Backend {
    /// A backend over `engine` (the same engine the API 2.0 backend serves). Requests of an
    /// account the engine does not know (possible with authentication off) go to the engine's
    /// default account.
    pub fn new(engine: Engine) -> Self {
        Self::restored(engine, Vec::new())
    }

    /// A backend over `engine` holding the API 3.0-only settings read back from its data store;
    /// their later changes are written to the engine's store, when one is attached.
    pub(crate) fn restored(engine: Engine, extras: Vec<(String, Extras)>) -> Self {
        let log = engine.store_log().cloned();
        Self {
            engine,
            extras: ExtrasTable::restored(log, extras),
        }
    }

    /// The engine's profile: requests are validated with its constraint table, and a profile
    /// without API 3.0 answers every action `UnsupportedOperation`.
    pub fn profile(&self) -> Profile {
        self.engine.limits().profile
    }

    /// The request's account.
    pub(super) fn account(&self, ctx: &Api3Context) -> Result<Arc<Account>, Api3Error> {
        self.engine
            .account(&ctx.account_id)
            .or_else(|| self.engine.default_account())
            .ok_or_else(|| Api3Error::new(Api3ErrorId::SecretIdNotFound))
    }

    /// Runs `f` on the request's account; an engine error becomes the answer, about the
    /// parameter `about` names for its kind when its message names one.
    pub(super) fn on<T>(
        &self,
        ctx: &Api3Context,
        about: fn(ErrorKind) -> &'static str,
        f: impl FnOnce(&Account) -> EngineResult<T>,
    ) -> Result<T, Api3Error> {
        f(&*self.account(ctx)?).map_err(|e| engine_err(ctx.action, &e, about(e.kind)))
    }
}

/// The answer to an engine error in `action`: the spec's mapping from its API 2.0 error; a
/// message with `%s` names the parameter `about`.
fn engine_err(action: Api3Action, e: &EngineError, about: &str) -> Api3Error {
    let id = from_v2(action, e.kind.error_id());
    if id.message().contains("%s") {
        Api3Error::about(id, about)
    } else {
        Api3Error::new(id)
    }
}

/// A required field the dispatcher has already checked; a missing one is answered as such
/// rather than trusted.
pub(super) fn req<T>(v: Option<T>, name: &str) -> Result<T, Api3Error> {
    v.ok_or_else(|| Api3Error::about(Api3ErrorId::MissingParameter, name))
}

/// A count as the wire carries it.
pub(super) fn int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A non-negative wire integer as a `u32` (saturating).
pub(super) fn u32_of(v: i64) -> u32 {
    u32::try_from(v.max(0)).unwrap_or(u32::MAX)
}

/// The page a list call asks for, from the action's paging (spec decision U9: no Limit or
/// Limit 0 is the default page; no Offset is the default offset).
pub(super) fn page_of(
    action: Api3Action,
    offset: Option<i64>,
    limit: Option<i64>,
) -> (usize, usize) {
    let Some(Paging {
        default_offset,
        default_limit,
        ..
    }) = action.paging()
    else {
        return (0, usize::MAX);
    };
    let limit = limit.filter(|l| *l > 0).unwrap_or(default_limit);
    let offset = offset.unwrap_or(default_offset);
    let size = |x: i64| usize::try_from(x.max(0)).unwrap_or(usize::MAX);
    (size(offset), size(limit))
}

/// One page of `items`, with the total count.
pub(super) fn paged<T>(items: Vec<T>, offset: usize, limit: usize) -> (i64, Vec<T>) {
    let total = i64::try_from(items.len()).unwrap_or(i64::MAX);
    (total, items.into_iter().skip(offset).take(limit).collect())
}

/// Whether `name` contains `word`, ignoring ASCII case (an absent or empty word matches all).
pub(super) fn contains_ignore_case(name: &str, word: Option<&str>) -> bool {
    match word {
        None | Some("") => true,
        Some(w) => name.to_ascii_lowercase().contains(&w.to_ascii_lowercase()),
    }
}

/// Whether `name` is one of `list`, ignoring ASCII case (an absent or empty list matches all:
/// spec decision U10).
pub(super) fn listed(name: &str, list: Option<&[String]>) -> bool {
    match list {
        None | Some([]) => true,
        Some(l) => l.iter().any(|n| n.eq_ignore_ascii_case(name)),
    }
}

impl CmqApi3Service for Api3Backend {
    async fn clear_cmq_queue(
        &self,
        ctx: &Api3Context,
        i: ClearCmqQueueRequest,
    ) -> Result<ClearCmqQueueResponse, Api3Error> {
        self.clear_queue(ctx, i)
    }

    async fn clear_cmq_subscription_filter_tags(
        &self,
        ctx: &Api3Context,
        i: ClearCmqSubscriptionFilterTagsRequest,
    ) -> Result<ClearCmqSubscriptionFilterTagsResponse, Api3Error> {
        self.clear_filter_tags(ctx, i)
    }

    async fn create_cmq_queue(
        &self,
        ctx: &Api3Context,
        i: CreateCmqQueueRequest,
    ) -> Result<CreateCmqQueueResponse, Api3Error> {
        self.create_queue(ctx, i)
    }

    async fn create_cmq_subscribe(
        &self,
        ctx: &Api3Context,
        i: CreateCmqSubscribeRequest,
    ) -> Result<CreateCmqSubscribeResponse, Api3Error> {
        self.subscribe(ctx, i)
    }

    async fn create_cmq_topic(
        &self,
        ctx: &Api3Context,
        i: CreateCmqTopicRequest,
    ) -> Result<CreateCmqTopicResponse, Api3Error> {
        self.create_topic(ctx, i)
    }

    async fn delete_cmq_queue(
        &self,
        ctx: &Api3Context,
        i: DeleteCmqQueueRequest,
    ) -> Result<DeleteCmqQueueResponse, Api3Error> {
        self.delete_queue(ctx, i)
    }

    async fn delete_cmq_subscribe(
        &self,
        ctx: &Api3Context,
        i: DeleteCmqSubscribeRequest,
    ) -> Result<DeleteCmqSubscribeResponse, Api3Error> {
        self.unsubscribe(ctx, i)
    }

    async fn delete_cmq_topic(
        &self,
        ctx: &Api3Context,
        i: DeleteCmqTopicRequest,
    ) -> Result<DeleteCmqTopicResponse, Api3Error> {
        self.delete_topic(ctx, i)
    }

    async fn describe_cmq_queue_detail(
        &self,
        ctx: &Api3Context,
        i: DescribeCmqQueueDetailRequest,
    ) -> Result<DescribeCmqQueueDetailResponse, Api3Error> {
        self.queue_detail(ctx, i)
    }

    async fn describe_cmq_queues(
        &self,
        ctx: &Api3Context,
        i: DescribeCmqQueuesRequest,
    ) -> Result<DescribeCmqQueuesResponse, Api3Error> {
        self.describe_queues(ctx, i)
    }

    async fn describe_cmq_subscription_detail(
        &self,
        ctx: &Api3Context,
        i: DescribeCmqSubscriptionDetailRequest,
    ) -> Result<DescribeCmqSubscriptionDetailResponse, Api3Error> {
        self.subscription_detail(ctx, i)
    }

    async fn describe_cmq_topic_detail(
        &self,
        ctx: &Api3Context,
        i: DescribeCmqTopicDetailRequest,
    ) -> Result<DescribeCmqTopicDetailResponse, Api3Error> {
        self.topic_detail(ctx, i)
    }

    async fn describe_cmq_topics(
        &self,
        ctx: &Api3Context,
        i: DescribeCmqTopicsRequest,
    ) -> Result<DescribeCmqTopicsResponse, Api3Error> {
        self.describe_topics(ctx, i)
    }

    async fn modify_cmq_queue_attribute(
        &self,
        ctx: &Api3Context,
        i: ModifyCmqQueueAttributeRequest,
    ) -> Result<ModifyCmqQueueAttributeResponse, Api3Error> {
        self.modify_queue(ctx, i)
    }

    async fn modify_cmq_subscription_attribute(
        &self,
        ctx: &Api3Context,
        i: ModifyCmqSubscriptionAttributeRequest,
    ) -> Result<ModifyCmqSubscriptionAttributeResponse, Api3Error> {
        self.modify_subscription(ctx, i)
    }

    async fn modify_cmq_topic_attribute(
        &self,
        ctx: &Api3Context,
        i: ModifyCmqTopicAttributeRequest,
    ) -> Result<ModifyCmqTopicAttributeResponse, Api3Error> {
        self.modify_topic(ctx, i)
    }

    async fn publish_cmq_msg(
        &self,
        ctx: &Api3Context,
        i: PublishCmqMsgRequest,
    ) -> Result<PublishCmqMsgResponse, Api3Error> {
        self.publish(ctx, i)
    }

    async fn rewind_cmq_queue(
        &self,
        ctx: &Api3Context,
        i: RewindCmqQueueRequest,
    ) -> Result<RewindCmqQueueResponse, Api3Error> {
        self.rewind_queue(ctx, i)
    }

    async fn send_cmq_msg(
        &self,
        ctx: &Api3Context,
        i: SendCmqMsgRequest,
    ) -> Result<SendCmqMsgResponse, Api3Error> {
        self.send(ctx, i)
    }

    async fn unbind_cmq_dead_letter(
        &self,
        ctx: &Api3Context,
        i: UnbindCmqDeadLetterRequest,
    ) -> Result<UnbindCmqDeadLetterResponse, Api3Error> {
        self.unbind_dead_letter(ctx, i)
    }
}
