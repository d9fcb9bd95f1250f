//! Handles in the spirit of the official SDKs: a [`Queue`], a [`Topic`] and a [`Subscription`]
//! bound to a name, with one method per thing you do with them.
//!
//! Handles are cheap (a client clone and a name), own everything they hold (`'static`, `Send`,
//! `Sync`) and create nothing on the server until you call a method. Every method runs through
//! [`Client::execute`], so validation, signing, retries and timeouts are the client's.
//!
//! ```no_run
//! # async fn demo() -> Result<(), cmq_sdk::Error> {
//! use cmq_sdk::{Client, Credentials};
//! use futures_util::TryStreamExt;
//!
//! let client = Client::new("http://127.0.0.1:8641", Credentials::new("AKIDexample", "secret"))?;
//! let orders = client.queue("orders");
//! orders.create().await?;
//! let id = orders.send("hello").await?;
//! if let Some(msg) = orders.receive(Some(5)).await? {
//!     assert_eq!(msg.msg_id, id);
//!     orders.delete_message(&msg.receipt_handle).await?;
//! }
//! let names: Vec<String> = client
//!     .list_queues(Some("ord"))
//!     .map_ok(|q| q.queue_name)
//!     .try_collect()
//!     .await?;
//! println!("{names:?}");
//! # Ok(()) }
//! ```
//!
//! Base64 bodies, like the official SDKs' `set_encoding`: a handle built with
//! [`Queue::with_base64`] / [`Topic::with_base64`] encodes bodies it sends or publishes and
//! decodes bodies it receives (a received body that is not valid Base64 of UTF-8 text is an
//! [`Error::Decode`]).

/// The constructor and accessors a queue handle and a topic handle share (each is a client, a
/// name and the Base64 switch).
macro_rules! named_handle {
    ($ty:ident, $what:literal) => {
        impl $ty {
            pub(crate) fn new(client: Client, name: String) -> Self {
                $ty {
                    client,
                    name,
                    base64: false,
                }
            }

            #[doc = concat!("The ", $what, "'s name.")]
            pub fn name(&self) -> &str {
                &self.name
            }

            /// The client this handle sends with.
            pub fn client(&self) -> &Client {
                &self.client
            }

            /// Whether bodies are Base64-encoded.
            pub fn base64(&self) -> bool {
                self.base64
            }
        }
    };
}

mod message;
mod queue;
mod route;
mod settings;
mod subscription;
mod topic;
mod types;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use futures_util::{Stream, StreamExt};

pub use message::{BatchDeleteFailure, BatchDeleteReport, Message};
pub use queue::Queue;
pub use route::ManagementApi;
pub use settings::{QueueSettings, SubscriptionUpdate, TopicSettings};
pub use subscription::{Subscription, SubscriptionSpec};
pub use topic::Topic;
pub use types::{
    QueueAttributes, QueueSummary, SubscriptionAttributes, SubscriptionSummary, TopicAttributes,
    TopicSummary,
};

use crate::generated::ops::{ListQueueInput, ListTopicInput};
use crate::generated::v3::ops::{DescribeCmqQueuesRequest, DescribeCmqTopicsRequest};
use crate::{Client, Error};

impl Client {
    /// A handle on the queue `name` (nothing is sent until you call one of its methods).
    ///
    /// ```no_run
    /// # async fn demo(client: cmq_sdk::Client) -> Result<(), cmq_sdk::Error> {
    /// let id = client.queue("orders").send("hello").await?;
    /// # Ok(()) }
    /// ```
    pub fn queue(&self, name: impl Into<String>) -> Queue {
        Queue::new(self.clone(), name.into())
    }

    /// A handle on the topic `name` (nothing is sent until you call one of its methods).
    ///
    /// ```no_run
    /// # async fn demo(client: cmq_sdk::Client) -> Result<(), cmq_sdk::Error> {
    /// let id = client.topic("events").publish_with_tags("hello", ["a"]).await?;
    /// # Ok(()) }
    /// ```
    pub fn topic(&self, name: impl Into<String>) -> Topic {
        Topic::new(self.clone(), name.into())
    }

    /// A handle on the subscription `name` of topic `topic`.
    ///
    /// ```no_run
    /// # async fn demo(client: cmq_sdk::Client) -> Result<(), cmq_sdk::Error> {
    /// let attrs = client.subscription("events", "audit").attributes().await?;
    /// println!("{} messages waiting", attrs.msg_count);
    /// # Ok(()) }
    /// ```
    pub fn subscription(&self, topic: impl Into<String>, name: impl Into<String>) -> Subscription {
        Subscription::new(self.clone(), topic.into(), name.into(), None)
    }

    /// Every queue whose name contains `search_word` (every queue for `None`), page by page
    /// (API 2.0 `ListQueue` or API 3.0 `DescribeCmqQueues`, per
    /// [`management_api`](Client::management_api)).
    ///
    /// ```no_run
    /// # async fn demo(client: cmq_sdk::Client) -> Result<(), cmq_sdk::Error> {
    /// use futures_util::TryStreamExt;
    /// let all: Vec<_> = client.list_queues(None).try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn list_queues(
        &self,
        search_word: Option<&str>,
    ) -> impl Stream<Item = Result<QueueSummary, Error>> + Send + 'static {
        if self.manages_with_api3() {
            let mut r = DescribeCmqQueuesRequest::new();
            r.queue_name = search_word.map(str::to_owned);
            return self
                .paginate_api3(r)
                .map(|x| x.map(QueueSummary::from))
                .left_stream();
        }
        let mut input = ListQueueInput::new();
        input.set_search_word(search_word.map(str::to_owned));
        self.paginate(input)
            .map(|x| x.map(QueueSummary::from))
            .right_stream()
    }

    /// Every topic whose name contains `search_word` (every topic for `None`), page by page
    /// (API 2.0 `ListTopic` or API 3.0 `DescribeCmqTopics`).
    ///
    /// ```no_run
    /// # async fn demo(client: cmq_sdk::Client) -> Result<(), cmq_sdk::Error> {
    /// use futures_util::TryStreamExt;
    /// let topics: Vec<_> = client.list_topics(Some("events")).try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn list_topics(
        &self,
        search_word: Option<&str>,
    ) -> impl Stream<Item = Result<TopicSummary, Error>> + Send + 'static {
        if self.manages_with_api3() {
            let mut r = DescribeCmqTopicsRequest::new();
            r.topic_name = search_word.map(str::to_owned);
            return self
                .paginate_api3(r)
                .map(|x| x.map(TopicSummary::from))
                .left_stream();
        }
        let mut input = ListTopicInput::new();
        input.set_search_word(search_word.map(str::to_owned));
        self.paginate(input)
            .map(|x| x.map(TopicSummary::from))
            .right_stream()
    }
}

/// Encodes a body for the wire when `base64` is on.
pub(crate) fn encode_body(base64: bool, body: String) -> String {
    if base64 {
        BASE64.encode(body.as_bytes())
    } else {
        body
    }
}

/// Encodes every body of a batch for the wire when `base64` is on.
pub(crate) fn encode_bodies(base64: bool, bodies: Vec<String>) -> Vec<String> {
    bodies.into_iter().map(|b| encode_body(base64, b)).collect()
}

/// Decodes a received body when `base64` is on: standard Base64 of UTF-8 text, else
/// [`Error::Decode`] naming the message and its receipt handle (so that it can be deleted).
pub(crate) fn decode_body(base64: bool, m: &Message) -> Result<String, Error> {
    if !base64 {
        return Ok(m.body.clone());
    }
    let what = || {
        format!(
            "msgBody of message {} (receiptHandle {})",
            m.msg_id, m.receipt_handle
        )
    };
    let bytes = BASE64
        .decode(m.body.trim().as_bytes())
        .map_err(|e| Error::Decode {
            message: format!("{} is not valid Base64: {e}", what()),
            body: Error::shorten(m.body.as_bytes()),
        })?;
    String::from_utf8(bytes).map_err(|e| Error::Decode {
        message: format!("{} is Base64 of bytes that are not UTF-8: {e}", what()),
        body: Error::shorten(m.body.as_bytes()),
    })
}

/// Decodes the body of a received message.
pub(crate) fn decode_message(base64: bool, mut m: Message) -> Result<Message, Error> {
    if base64 {
        m.body = decode_body(true, &m)?;
    }
    Ok(m)
}

/// Collects a list of anything string-like.
pub(crate) fn strings(v: impl IntoIterator<Item = impl Into<String>>) -> Vec<String> {
    v.into_iter().map(Into::into).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(body: &str) -> Message {
        Message {
            msg_id: "m-1".into(),
            body: body.into(),
            receipt_handle: "h-1".into(),
            ..Message::default()
        }
    }

    #[test]
    fn base64_round_trip() {
        let enc = encode_body(true, "héllo wörld".to_owned());
        assert_eq!(enc, "aMOpbGxvIHfDtnJsZA==");
        assert_eq!(decode_body(true, &msg(&enc)).unwrap(), "héllo wörld");
        assert_eq!(encode_body(false, "x".into()), "x");
        assert_eq!(decode_body(false, &msg("%%")).unwrap(), "%%");
        assert_eq!(decode_message(true, msg("eA==")).unwrap().body, "x");
    }

    #[test]
    fn invalid_base64_is_a_decode_error() {
        let e = decode_body(true, &msg("not base64!")).unwrap_err();
        assert!(matches!(e, Error::Decode { .. }), "{e:?}");
        let text = e.to_string();
        assert!(text.contains("m-1") && text.contains("h-1"), "{text}");
        // Valid Base64, but not UTF-8.
        let e = decode_message(true, msg("//79")).unwrap_err();
        assert!(matches!(e, Error::Decode { .. }), "{e:?}");
    }
}
