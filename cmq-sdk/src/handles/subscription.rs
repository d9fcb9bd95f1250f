//! The subscription handle and the typed description of a new subscription.

use super::{SubscriptionAttributes, SubscriptionUpdate, strings};
use crate::error::Api3ServiceError;
use crate::generated::ops::{
    ClearSubscriptionFilterTagsInput, GetSubscriptionAttributesInput, SubscribeInput,
    UnsubscribeInput,
};
use crate::generated::types::{NotifyContentFormat, NotifyStrategy, Protocol};
use crate::generated::v3::ops::{
    ClearCmqSubscriptionFilterTagsRequest, CreateCmqSubscribeRequest, DeleteCmqSubscribeRequest,
    DescribeCmqSubscriptionDetailRequest,
};
use futures_util::TryStreamExt;

use crate::{Client, Error};

/// What a new subscription delivers to, and how: the argument of
/// [`Topic::subscribe`](crate::Topic::subscribe).
///
/// Start from [`queue`](Self::queue) or [`http`](Self::http), then add options. A complete
/// [`SubscribeInput`] converts too (its topic and subscription names are replaced).
///
/// ```
/// use cmq_sdk::SubscriptionSpec;
/// use cmq_sdk::generated::types::{NotifyContentFormat, Protocol};
/// let spec = SubscriptionSpec::http("http://example.com/hook")
///     .notify_content_format(NotifyContentFormat::Simplified)
///     .filter_tags(["a", "b"]);
/// let input = spec.into_input();
/// assert_eq!(input.protocol, Some(Protocol::Http.into()));
/// assert_eq!(input.filter_tag, Some(vec!["a".to_owned(), "b".to_owned()]));
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SubscriptionSpec {
    input: SubscribeInput,
}

impl SubscriptionSpec {
    /// Push into the queue `queue_name` (protocol `queue`, with the SIMPLIFIED body format the
    /// service requires for queues).
    pub fn queue(queue_name: impl Into<String>) -> Self {
        SubscriptionSpec {
            input: SubscribeInput::new()
                .protocol(Protocol::Queue)
                .endpoint(queue_name)
                .notify_content_format(NotifyContentFormat::Simplified),
        }
    }

    /// POST to the URL `url` (protocol `http`; `url` starts with `http://`).
    pub fn http(url: impl Into<String>) -> Self {
        SubscriptionSpec {
            input: SubscribeInput::new().protocol(Protocol::Http).endpoint(url),
        }
    }

    /// The retry strategy for failed pushes (server default: EXPONENTIAL_DECAY_RETRY).
    #[must_use]
    pub fn notify_strategy(mut self, strategy: NotifyStrategy) -> Self {
        self.input.notify_strategy = Some(strategy.into());
        self
    }

    /// The push body format (JSON or SIMPLIFIED; queues need SIMPLIFIED).
    #[must_use]
    pub fn notify_content_format(mut self, format: NotifyContentFormat) -> Self {
        self.input.notify_content_format = Some(format.into());
        self
    }

    /// Up to 5 filter tags (topics with filterType 1): only messages carrying one of them are
    /// delivered.
    #[must_use]
    pub fn filter_tags(mut self, tags: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.input.filter_tag = Some(strings(tags));
        self
    }

    /// Up to 5 binding keys (topics with filterType 2), with `*` (one word) and `#` (zero or
    /// more words) wildcards.
    #[must_use]
    pub fn binding_keys(mut self, keys: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.input.binding_key = Some(strings(keys));
        self
    }

    /// The request this describes (without topic and subscription names).
    pub fn into_input(self) -> SubscribeInput {
        self.input
    }

    /// The API 3.0 `CreateCmqSubscribe` request for subscription `name` of topic `topic`.
    pub fn to_create_cmq_subscribe(&self, topic: &str, name: &str) -> CreateCmqSubscribeRequest {
        let i = &self.input;
        let mut r = CreateCmqSubscribeRequest::new()
            .topic_name(topic)
            .subscription_name(name);
        r.protocol = i.protocol.clone();
        r.endpoint = i.endpoint.clone();
        r.notify_strategy = i.notify_strategy.clone();
        r.filter_tag = i.filter_tag.clone();
        r.binding_key = i.binding_key.clone();
        r.notify_content_format = i.notify_content_format.clone();
        r
    }
}

impl From<SubscribeInput> for SubscriptionSpec {
    fn from(input: SubscribeInput) -> Self {
        SubscriptionSpec { input }
    }
}

/// A handle on one subscription of a topic.
///
/// Get one from [`Topic::subscribe`](crate::Topic::subscribe) (which fills in
/// [`id`](Self::id)), [`Topic::subscription`](crate::Topic::subscription) or
/// [`Client::subscription`].
///
/// ```no_run
/// # async fn demo(client: cmq_sdk::Client) -> Result<(), cmq_sdk::Error> {
/// let sub = client.subscription("events", "audit");
/// let a = sub.attributes().await?;
/// println!("{} via {}: {:?}", a.endpoint, a.protocol, a.filter_tags);
/// sub.clear_filter_tags().await?;
/// sub.unsubscribe().await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Subscription {
    client: Client,
    topic: String,
    name: String,
    id: Option<String>,
}

impl Subscription {
    pub(crate) fn new(client: Client, topic: String, name: String, id: Option<String>) -> Self {
        Subscription {
            client,
            topic,
            name,
            id,
        }
    }

    /// The topic's name.
    pub fn topic_name(&self) -> &str {
        &self.topic
    }

    /// The subscription's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The subscription's id, when this handle came from
    /// [`Topic::subscribe`](crate::Topic::subscribe).
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The client this handle sends with.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The subscription's attributes.
    ///
    /// ```no_run
    /// # async fn demo(client: cmq_sdk::Client) -> Result<(), cmq_sdk::Error> {
    /// let a = client.subscription("events", "audit").attributes().await?;
    /// println!("{} messages waiting to be pushed", a.msg_count);
    /// # Ok(()) }
    /// ```
    pub async fn attributes(&self) -> Result<SubscriptionAttributes, Error> {
        if self.client.manages_with_api3() {
            return self.attributes_api3().await;
        }
        let out = self
            .client
            .execute(
                GetSubscriptionAttributesInput::new()
                    .topic_name(self.topic.clone())
                    .subscription_name(self.name.clone()),
            )
            .await?;
        Ok(out.into())
    }

    /// API 3.0 has no single-subscription read: `DescribeCmqSubscriptionDetail` filters by name
    /// (a substring), and the exact match is the one, looked for page by page. None is the
    /// service's own `ResourceNotFound`, as Terraform reads it.
    async fn attributes_api3(&self) -> Result<SubscriptionAttributes, Error> {
        let r = DescribeCmqSubscriptionDetailRequest::new()
            .topic_name(self.topic.clone())
            .subscription_name(self.name.clone());
        let matches = self.client.paginate_api3(r);
        let mut matches = std::pin::pin!(matches);
        while let Some(s) = matches.try_next().await? {
            if s.subscription_name.eq_ignore_ascii_case(&self.name) {
                return Ok(s.into());
            }
        }
        Err(Error::Api3Service(Box::new(Api3ServiceError {
            action: "DescribeCmqSubscriptionDetail",
            code: "ResourceNotFound".into(),
            message: format!(
                "topic {} has no subscription named {}",
                self.topic, self.name
            ),
            request_id: None,
        })))
    }

    /// Changes what `update` sets (a [`SubscriptionUpdate`], or an API 2.0
    /// `SetSubscriptionAttributesInput`); tags and keys replace the old ones.
    ///
    /// ```no_run
    /// # async fn demo(client: cmq_sdk::Client) -> Result<(), cmq_sdk::Error> {
    /// use cmq_sdk::handles::SubscriptionUpdate;
    /// client
    ///     .subscription("events", "audit")
    ///     .set_attributes(SubscriptionUpdate::new().filter_tags(["users"]))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn set_attributes(&self, update: impl Into<SubscriptionUpdate>) -> Result<(), Error> {
        let u = update.into();
        if self.client.manages_with_api3() {
            self.client
                .execute_api3(u.to_modify_cmq_subscription(&self.topic, &self.name))
                .await?;
        } else {
            self.client
                .execute(u.to_set_subscription_attributes(&self.topic, &self.name))
                .await?;
        }
        Ok(())
    }

    /// Removes every filter tag (the subscription then receives every message).
    ///
    /// ```no_run
    /// # async fn demo(client: cmq_sdk::Client) -> Result<(), cmq_sdk::Error> {
    /// client.subscription("events", "audit").clear_filter_tags().await?;
    /// # Ok(()) }
    /// ```
    pub async fn clear_filter_tags(&self) -> Result<(), Error> {
        if self.client.manages_with_api3() {
            let r = ClearCmqSubscriptionFilterTagsRequest::new()
                .topic_name(self.topic.clone())
                .subscription_name(self.name.clone());
            self.client.execute_api3(r).await?;
            return Ok(());
        }
        self.client
            .execute(
                ClearSubscriptionFilterTagsInput::new()
                    .topic_name(self.topic.clone())
                    .subscription_name(self.name.clone()),
            )
            .await?;
        Ok(())
    }

    /// Deletes the subscription.
    ///
    /// ```no_run
    /// # async fn demo(client: cmq_sdk::Client) -> Result<(), cmq_sdk::Error> {
    /// client.subscription("events", "audit").unsubscribe().await?;
    /// # Ok(()) }
    /// ```
    pub async fn unsubscribe(&self) -> Result<(), Error> {
        if self.client.manages_with_api3() {
            let r = DeleteCmqSubscribeRequest::new()
                .topic_name(self.topic.clone())
                .subscription_name(self.name.clone());
            self.client.execute_api3(r).await?;
            return Ok(());
        }
        self.client
            .execute(
                UnsubscribeInput::new()
                    .topic_name(self.topic.clone())
                    .subscription_name(self.name.clone()),
            )
            .await?;
        Ok(())
    }
}
