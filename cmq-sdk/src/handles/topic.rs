//! The topic handle: publishing over API 2.0, management over the client's
//! [`ManagementApi`](super::ManagementApi).

use futures_util::{Stream, StreamExt};

use super::{
    Subscription, SubscriptionSpec, SubscriptionSummary, TopicAttributes, TopicSettings,
    encode_bodies, encode_body, strings,
};
use crate::generated::ops::{
    BatchPublishMessageInput, DeleteTopicInput, GetTopicAttributesInput,
    ListSubscriptionByTopicInput, PublishMessageInput,
};
use crate::generated::v3::ops::{
    DeleteCmqTopicRequest, DescribeCmqSubscriptionDetailRequest, DescribeCmqTopicDetailRequest,
};
use crate::{Client, Error};

/// A handle on one topic: create and configure it, publish, subscribe.
///
/// Get one with [`Client::topic`]. Cheap to clone. Publishing uses API 2.0; creating,
/// describing, changing and deleting the topic and managing its subscriptions use the client's
/// [`ManagementApi`](super::ManagementApi) (API 3.0 on TDMQ), with the same types either way.
///
/// ```no_run
/// # async fn demo(client: cmq_sdk::Client) -> Result<(), cmq_sdk::Error> {
/// let events = client.topic("events");
/// events.create().await?;
/// client.queue("audit").create().await?;
/// events.subscribe_queue("audit", "audit").await?;
/// events.publish_with_tags("user created", ["users"]).await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Topic {
    client: Client,
    name: String,
    base64: bool,
}

named_handle!(Topic, "topic");

impl Topic {
    /// With `true`, bodies are Base64-encoded on publish (like the official SDKs'
    /// `set_encoding(True)`); read them with a queue handle built
    /// [`with_base64(true)`](crate::Queue::with_base64). Off by default.
    ///
    /// ```no_run
    /// # async fn demo(client: cmq_sdk::Client) -> Result<(), cmq_sdk::Error> {
    /// client.topic("events").with_base64(true).publish("sent as Base64").await?;
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn with_base64(mut self, on: bool) -> Self {
        self.base64 = on;
        self
    }

    /// Creates the topic with the server's defaults (tag filtering); returns its id.
    ///
    /// ```no_run
    /// # async fn demo(client: cmq_sdk::Client) -> Result<(), cmq_sdk::Error> {
    /// let id = client.topic("events").create().await?;
    /// # Ok(()) }
    /// ```
    pub async fn create(&self) -> Result<String, Error> {
        self.create_with(TopicSettings::new()).await
    }

    /// Creates the topic with `settings` (a [`TopicSettings`], or an API 2.0 `CreateTopicInput`
    /// whose topic name is replaced by this handle's); returns its id.
    ///
    /// ```no_run
    /// # async fn demo(client: cmq_sdk::Client) -> Result<(), cmq_sdk::Error> {
    /// use cmq_sdk::handles::TopicSettings;
    /// // filter type 2: routing keys and binding keys instead of tags.
    /// client.topic("routed").create_with(TopicSettings::new().filter_type(2)).await?;
    /// # Ok(()) }
    /// ```
    pub async fn create_with(&self, settings: impl Into<TopicSettings>) -> Result<String, Error> {
        let s = settings.into();
        if self.client.manages_with_api3() {
            let out = self
                .client
                .execute_api3(s.to_create_cmq_topic(&self.name))
                .await?;
            return Ok(out.topic_id);
        }
        let out = self.client.execute(s.to_create_topic(&self.name)).await?;
        Ok(out.topic_id)
    }

    /// The topic's attributes (times in Unix seconds, see [`TopicAttributes`]).
    ///
    /// ```no_run
    /// # async fn demo(client: cmq_sdk::Client) -> Result<(), cmq_sdk::Error> {
    /// let a = client.topic("events").attributes().await?;
    /// println!("filter type {}, max {} bytes", a.filter_type, a.max_msg_size);
    /// # Ok(()) }
    /// ```
    pub async fn attributes(&self) -> Result<TopicAttributes, Error> {
        if self.client.manages_with_api3() {
            let r = DescribeCmqTopicDetailRequest::new().topic_name(self.name.clone());
            return Ok(self.client.execute_api3(r).await?.topic_describe.into());
        }
        let out = self
            .client
            .execute(GetTopicAttributesInput::new().topic_name(self.name.clone()))
            .await?;
        Ok(out.into())
    }

    /// Changes the attributes set in `settings` (the filter type is fixed at creation).
    ///
    /// ```no_run
    /// # async fn demo(client: cmq_sdk::Client) -> Result<(), cmq_sdk::Error> {
    /// use cmq_sdk::handles::TopicSettings;
    /// client.topic("events").set_attributes(TopicSettings::new().max_msg_size(65536)).await?;
    /// # Ok(()) }
    /// ```
    pub async fn set_attributes(&self, settings: impl Into<TopicSettings>) -> Result<(), Error> {
        let s = settings.into();
        if self.client.manages_with_api3() {
            self.client
                .execute_api3(s.to_modify_cmq_topic(&self.name))
                .await?;
        } else {
            self.client
                .execute(s.to_set_topic_attributes(&self.name))
                .await?;
        }
        Ok(())
    }

    /// Sets the largest message body the topic accepts (1024–1048576 bytes).
    ///
    /// ```no_run
    /// # async fn demo(client: cmq_sdk::Client) -> Result<(), cmq_sdk::Error> {
    /// client.topic("events").set_max_msg_size(65536).await?;
    /// # Ok(()) }
    /// ```
    pub async fn set_max_msg_size(&self, bytes: u32) -> Result<(), Error> {
        self.set_attributes(TopicSettings::new().max_msg_size(i64::from(bytes)))
            .await
    }

    /// Deletes the topic (its subscriptions must be gone first).
    ///
    /// ```no_run
    /// # async fn demo(client: cmq_sdk::Client) -> Result<(), cmq_sdk::Error> {
    /// client.topic("events").delete().await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete(&self) -> Result<(), Error> {
        if self.client.manages_with_api3() {
            self.client
                .execute_api3(DeleteCmqTopicRequest::new().topic_name(self.name.clone()))
                .await?;
        } else {
            self.client
                .execute(DeleteTopicInput::new().topic_name(self.name.clone()))
                .await?;
        }
        Ok(())
    }

    /// Publishes one message without tags; returns its id.
    ///
    /// ```no_run
    /// # async fn demo(client: cmq_sdk::Client) -> Result<(), cmq_sdk::Error> {
    /// let id = client.topic("events").publish("hello").await?;
    /// # Ok(()) }
    /// ```
    pub async fn publish(&self, body: impl Into<String>) -> Result<String, Error> {
        self.publish_input(body.into(), None, None).await
    }

    /// Publishes one message with up to 5 tags (for tag filtering, filterType 1); returns its id.
    ///
    /// ```no_run
    /// # async fn demo(client: cmq_sdk::Client) -> Result<(), cmq_sdk::Error> {
    /// let id = client.topic("events").publish_with_tags("hello", ["users", "eu"]).await?;
    /// # Ok(()) }
    /// ```
    pub async fn publish_with_tags(
        &self,
        body: impl Into<String>,
        tags: impl IntoIterator<Item = impl Into<String>>,
    ) -> Result<String, Error> {
        self.publish_input(body.into(), Some(strings(tags)), None)
            .await
    }

    /// Publishes one message with a routing key (for routing, filterType 2); returns its id.
    ///
    /// ```no_run
    /// # async fn demo(client: cmq_sdk::Client) -> Result<(), cmq_sdk::Error> {
    /// let id = client.topic("routed").publish_with_routing_key("hello", "order.created").await?;
    /// # Ok(()) }
    /// ```
    pub async fn publish_with_routing_key(
        &self,
        body: impl Into<String>,
        routing_key: impl Into<String>,
    ) -> Result<String, Error> {
        self.publish_input(body.into(), None, Some(routing_key.into()))
            .await
    }

    async fn publish_input(
        &self,
        body: String,
        tags: Option<Vec<String>>,
        routing_key: Option<String>,
    ) -> Result<String, Error> {
        let mut input = PublishMessageInput::new()
            .topic_name(self.name.clone())
            .msg_body(encode_body(self.base64, body));
        input.set_msg_tag(tags);
        input.set_routing_key(routing_key);
        Ok(self.client.execute(input).await?.msg_id)
    }

    /// Publishes up to 16 messages without tags; returns their ids in order.
    ///
    /// ```no_run
    /// # async fn demo(client: cmq_sdk::Client) -> Result<(), cmq_sdk::Error> {
    /// let ids = client.topic("events").batch_publish(["a", "b"]).await?;
    /// # Ok(()) }
    /// ```
    pub async fn batch_publish(
        &self,
        bodies: impl IntoIterator<Item = impl Into<String>>,
    ) -> Result<Vec<String>, Error> {
        self.batch_publish_input(strings(bodies), None, None).await
    }

    /// Publishes up to 16 messages, every one with the same tags (up to 5); returns their ids.
    ///
    /// ```no_run
    /// # async fn demo(client: cmq_sdk::Client) -> Result<(), cmq_sdk::Error> {
    /// let ids = client.topic("events").batch_publish_with_tags(["a", "b"], ["users"]).await?;
    /// # Ok(()) }
    /// ```
    pub async fn batch_publish_with_tags(
        &self,
        bodies: impl IntoIterator<Item = impl Into<String>>,
        tags: impl IntoIterator<Item = impl Into<String>>,
    ) -> Result<Vec<String>, Error> {
        self.batch_publish_input(strings(bodies), Some(strings(tags)), None)
            .await
    }

    /// Publishes up to 16 messages, every one with the same routing key; returns their ids.
    ///
    /// ```no_run
    /// # async fn demo(client: cmq_sdk::Client) -> Result<(), cmq_sdk::Error> {
    /// let ids = client
    ///     .topic("routed")
    ///     .batch_publish_with_routing_key(["a", "b"], "order.created")
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn batch_publish_with_routing_key(
        &self,
        bodies: impl IntoIterator<Item = impl Into<String>>,
        routing_key: impl Into<String>,
    ) -> Result<Vec<String>, Error> {
        self.batch_publish_input(strings(bodies), None, Some(routing_key.into()))
            .await
    }

    async fn batch_publish_input(
        &self,
        bodies: Vec<String>,
        tags: Option<Vec<String>>,
        routing_key: Option<String>,
    ) -> Result<Vec<String>, Error> {
        let mut input = BatchPublishMessageInput::new()
            .topic_name(self.name.clone())
            .msg_body(encode_bodies(self.base64, bodies));
        input.set_msg_tag(tags);
        input.set_routing_key(routing_key);
        let out = self.client.execute(input).await?;
        Ok(out.msg_list.into_iter().map(|m| m.msg_id).collect())
    }

    /// Creates the subscription `name` on this topic as `spec` describes; returns a handle on it
    /// (carrying the new subscription's id).
    ///
    /// ```no_run
    /// # async fn demo(client: cmq_sdk::Client) -> Result<(), cmq_sdk::Error> {
    /// use cmq_sdk::SubscriptionSpec;
    /// use cmq_sdk::generated::types::NotifyStrategy;
    /// let sub = client
    ///     .topic("events")
    ///     .subscribe(
    ///         "webhook",
    ///         SubscriptionSpec::http("http://example.com/hook")
    ///             .notify_strategy(NotifyStrategy::BackoffRetry)
    ///             .filter_tags(["users"]),
    ///     )
    ///     .await?;
    /// println!("subscribed: {:?}", sub.id());
    /// # Ok(()) }
    /// ```
    pub async fn subscribe(
        &self,
        name: impl Into<String>,
        spec: impl Into<SubscriptionSpec>,
    ) -> Result<Subscription, Error> {
        let name = name.into();
        let spec = spec.into();
        let id = if self.client.manages_with_api3() {
            let r = spec.to_create_cmq_subscribe(&self.name, &name);
            self.client.execute_api3(r).await?.subscription_id
        } else {
            let input = spec
                .into_input()
                .topic_name(self.name.clone())
                .subscription_name(name.clone());
            self.client.execute(input).await?.subscription_id
        };
        Ok(Subscription::new(
            self.client.clone(),
            self.name.clone(),
            name,
            Some(id),
        ))
    }

    /// Subscribes the queue `queue_name` to this topic (protocol `queue`, SIMPLIFIED bodies)
    /// under the subscription name `name`.
    ///
    /// ```no_run
    /// # async fn demo(client: cmq_sdk::Client) -> Result<(), cmq_sdk::Error> {
    /// client.topic("events").subscribe_queue("to-audit", "audit").await?;
    /// # Ok(()) }
    /// ```
    pub async fn subscribe_queue(
        &self,
        name: impl Into<String>,
        queue_name: impl Into<String>,
    ) -> Result<Subscription, Error> {
        self.subscribe(name, SubscriptionSpec::queue(queue_name))
            .await
    }

    /// Subscribes the HTTP endpoint `url` (`http://…`) to this topic under the subscription
    /// name `name`.
    ///
    /// ```no_run
    /// # async fn demo(client: cmq_sdk::Client) -> Result<(), cmq_sdk::Error> {
    /// client.topic("events").subscribe_http("hook", "http://example.com/hook").await?;
    /// # Ok(()) }
    /// ```
    pub async fn subscribe_http(
        &self,
        name: impl Into<String>,
        url: impl Into<String>,
    ) -> Result<Subscription, Error> {
        self.subscribe(name, SubscriptionSpec::http(url)).await
    }

    /// A handle on the subscription `name` of this topic (nothing is sent).
    pub fn subscription(&self, name: impl Into<String>) -> Subscription {
        Subscription::new(self.client.clone(), self.name.clone(), name.into(), None)
    }

    /// Every subscription of this topic, page by page.
    ///
    /// ```no_run
    /// # async fn demo(client: cmq_sdk::Client) -> Result<(), cmq_sdk::Error> {
    /// use futures_util::TryStreamExt;
    /// let subs: Vec<_> = client.topic("events").subscriptions().try_collect().await?;
    /// for s in subs {
    ///     println!("{} -> {} {}", s.subscription_name, s.protocol, s.endpoint);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn subscriptions(
        &self,
    ) -> impl Stream<Item = Result<SubscriptionSummary, Error>> + Send + 'static {
        if self.client.manages_with_api3() {
            let r = DescribeCmqSubscriptionDetailRequest::new().topic_name(self.name.clone());
            return (self.client.paginate_api3(r))
                .map(|x| x.map(SubscriptionSummary::from))
                .left_stream();
        }
        (self.client)
            .paginate(ListSubscriptionByTopicInput::new().topic_name(self.name.clone()))
            .map(|x| x.map(SubscriptionSummary::from))
            .right_stream()
    }
}
