//! A blocking API (cargo feature `blocking`): the async [`Client`](crate::Client) and its
//! handles driven by a private current-thread tokio runtime.
//!
//! Every method blocks the calling thread until the call completes (long polls included).
//! Do not use it from inside an async runtime: blocking there panics (tokio refuses to start a
//! runtime within a runtime); use the async API instead.
//!
//! ```no_run
//! # fn main() -> Result<(), cmq_sdk::Error> {
//! use cmq_sdk::Credentials;
//! use cmq_sdk::blocking::Client;
//!
//! let client = Client::new("http://127.0.0.1:8641", Credentials::new("AKIDexample", "secret"))?;
//! let q = client.queue("orders");
//! q.create()?;
//! q.send("hello")?;
//! if let Some(msg) = q.receive(Some(5))? {
//!     q.delete_message(&msg.receipt_handle)?;
//! }
//! for item in client.list_queues(None) {
//!     println!("{}", item?.queue_name);
//! }
//! # Ok(()) }
//! ```

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;

use futures_util::{Stream, StreamExt};
use tokio::runtime::Runtime;

use crate::generated::types::DeadLetterPolicy;
use crate::handles::{
    self, BatchDeleteReport, Message, QueueAttributes, QueueSettings, QueueSummary,
    SubscriptionAttributes, SubscriptionSpec, SubscriptionSummary, SubscriptionUpdate,
    TopicAttributes, TopicSettings, TopicSummary,
};
use crate::pages::Paginated;
use crate::{ClientBuilder, Credentials, Error, Operation};

/// A blocking CMQ client: an async [`crate::Client`] plus its own current-thread runtime.
/// Cheap to clone (clones share the connection pool and the runtime).
///
/// ```no_run
/// # fn main() -> Result<(), cmq_sdk::Error> {
/// use cmq_sdk::{ClientBuilder, Credentials, generated::ops::SendMessageInput};
/// let client = cmq_sdk::blocking::Client::from_builder(
///     ClientBuilder::default()
///         .endpoint("http://127.0.0.1:8641")
///         .credentials(Credentials::new("AKIDexample", "secret")),
/// )?;
/// let out = client.execute(SendMessageInput::new().queue_name("orders").msg_body("hi"))?;
/// println!("{}", out.msg_id);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Client {
    inner: crate::Client,
    rt: Arc<Runtime>,
}

fn runtime() -> Result<Arc<Runtime>, Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map(Arc::new)
        .map_err(|e| Error::Config(format!("cannot start the blocking runtime: {e}")))
}

impl Client {
    /// A client for `endpoint` with `credentials` and every other setting at its default.
    pub fn new(endpoint: &str, credentials: Credentials) -> Result<Self, Error> {
        Self::from_async(crate::Client::new(endpoint, credentials)?)
    }

    /// Builds the async client from `builder` and wraps it.
    pub fn from_builder(builder: ClientBuilder) -> Result<Self, Error> {
        Self::from_async(builder.build()?)
    }

    /// Wraps an async client (it keeps its settings and connection pool).
    pub fn from_async(client: crate::Client) -> Result<Self, Error> {
        Ok(Client {
            inner: client,
            rt: runtime()?,
        })
    }

    /// The async client underneath.
    pub fn as_async(&self) -> &crate::Client {
        &self.inner
    }

    /// Validates, signs and sends `input` (see [`crate::Client::execute`]), blocking until the
    /// answer.
    pub fn execute<O: Operation>(&self, input: O) -> Result<O::Output, Error> {
        self.rt.block_on(self.inner.execute(input))
    }

    /// Validates, signs and sends an API 3.0 request (see [`crate::Client::execute_api3`]),
    /// blocking until the answer.
    pub fn execute_api3<O: crate::Api3Operation>(&self, input: O) -> Result<O::Output, Error> {
        self.rt.block_on(self.inner.execute_api3(input))
    }

    /// Every item of a list action, fetched page by page as the iterator advances (see
    /// [`crate::Client::paginate`]).
    pub fn paginate<P: Paginated>(&self, input: P) -> Iter<P::Item> {
        Iter::new(self.rt.clone(), self.inner.paginate(input))
    }

    /// A blocking handle on the queue `name`.
    pub fn queue(&self, name: impl Into<String>) -> Queue {
        Queue {
            inner: self.inner.queue(name),
            rt: self.rt.clone(),
        }
    }

    /// A blocking handle on the topic `name`.
    pub fn topic(&self, name: impl Into<String>) -> Topic {
        Topic {
            inner: self.inner.topic(name),
            rt: self.rt.clone(),
        }
    }

    /// A blocking handle on the subscription `name` of topic `topic`.
    pub fn subscription(&self, topic: impl Into<String>, name: impl Into<String>) -> Subscription {
        Subscription {
            inner: self.inner.subscription(topic, name),
            rt: self.rt.clone(),
        }
    }

    /// Every queue whose name contains `search_word` (every queue for `None`).
    ///
    /// ```no_run
    /// # fn demo(client: cmq_sdk::blocking::Client) -> Result<(), cmq_sdk::Error> {
    /// let queues: Vec<_> = client.list_queues(None).collect::<Result<_, _>>()?;
    /// # Ok(()) }
    /// ```
    pub fn list_queues(&self, search_word: Option<&str>) -> Iter<QueueSummary> {
        Iter::new(self.rt.clone(), self.inner.list_queues(search_word))
    }

    /// Every topic whose name contains `search_word` (every topic for `None`).
    pub fn list_topics(&self, search_word: Option<&str>) -> Iter<TopicSummary> {
        Iter::new(self.rt.clone(), self.inner.list_topics(search_word))
    }
}

/// The items of a list action; each call to `next` may fetch a page (blocking).
pub struct Iter<T> {
    rt: Arc<Runtime>,
    stream: Pin<Box<dyn Stream<Item = Result<T, Error>> + Send>>,
}

impl<T> Iter<T> {
    fn new(
        rt: Arc<Runtime>,
        stream: impl Stream<Item = Result<T, Error>> + Send + 'static,
    ) -> Self {
        Iter {
            rt,
            stream: Box::pin(stream),
        }
    }
}

impl<T> Iterator for Iter<T> {
    type Item = Result<T, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        self.rt.block_on(self.stream.next())
    }
}

impl<T> fmt::Debug for Iter<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Iter").finish_non_exhaustive()
    }
}

/// Mirrors async handle methods as blocking ones: each runs the async method to completion on
/// the handle's runtime. The doc comments are the async method's, linked.
macro_rules! blocking_methods {
    ($async_ty:ident; $( fn $name:ident(&self $(, $arg:ident : $ty:ty)* ) -> $ret:ty; )*) => {
        $(
            #[doc = concat!(
                "Blocking form of [`", stringify!($async_ty), "::", stringify!($name),
                "`](crate::", stringify!($async_ty), "::", stringify!($name), ")."
            )]
            pub fn $name(&self $(, $arg: $ty)*) -> $ret {
                self.rt.block_on(self.inner.$name($($arg),*))
            }
        )*
    };
}

/// A blocking handle on one queue; the same methods as [`crate::Queue`].
///
/// ```no_run
/// # fn demo(client: cmq_sdk::blocking::Client) -> Result<(), cmq_sdk::Error> {
/// let q = client.queue("orders");
/// let ids = q.batch_send(["a", "b"])?;
/// let got = q.batch_receive(16, Some(2))?;
/// let report = q.batch_delete(got.into_iter().map(|m| m.receipt_handle))?;
/// assert!(report.is_complete());
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Queue {
    inner: handles::Queue,
    rt: Arc<Runtime>,
}

impl Queue {
    /// The queue's name.
    pub fn name(&self) -> &str {
        self.inner.name()
    }

    /// The async handle underneath.
    pub fn as_async(&self) -> &handles::Queue {
        &self.inner
    }

    /// Base64 bodies on or off (see [`crate::Queue::with_base64`]).
    #[must_use]
    pub fn with_base64(mut self, on: bool) -> Self {
        self.inner = self.inner.with_base64(on);
        self
    }

    blocking_methods! { Queue;
        fn create(&self) -> Result<String, Error>;
        fn create_with(&self, settings: impl Into<QueueSettings>) -> Result<String, Error>;
        fn attributes(&self) -> Result<QueueAttributes, Error>;
        fn set_attributes(&self, settings: impl Into<QueueSettings>) -> Result<(), Error>;
        fn delete(&self) -> Result<(), Error>;
        fn clear(&self) -> Result<(), Error>;
        fn send(&self, body: impl Into<String>) -> Result<String, Error>;
        fn send_delayed(&self, body: impl Into<String>, delay_seconds: u32) -> Result<String, Error>;
        fn batch_send(&self, bodies: impl IntoIterator<Item = impl Into<String>>) -> Result<Vec<String>, Error>;
        fn batch_send_delayed(&self, bodies: impl IntoIterator<Item = impl Into<String>>, delay_seconds: u32) -> Result<Vec<String>, Error>;
        fn receive(&self, polling_wait_seconds: Option<u32>) -> Result<Option<Message>, Error>;
        fn batch_receive(&self, max: u32, polling_wait_seconds: Option<u32>) -> Result<Vec<Message>, Error>;
        fn delete_message(&self, receipt_handle: impl Into<String>) -> Result<(), Error>;
        fn batch_delete(&self, receipt_handles: impl IntoIterator<Item = impl Into<String>>) -> Result<BatchDeleteReport, Error>;
        fn rewind(&self, start_consume_time: i64) -> Result<(), Error>;
        fn set_dead_letter_policy(&self, policy: DeadLetterPolicy) -> Result<(), Error>;
        fn unbind_dead_letter_queue(&self) -> Result<(), Error>;
    }

    /// Every queue that uses this queue as its dead-letter queue.
    pub fn dead_letter_sources(&self) -> Iter<QueueSummary> {
        Iter::new(self.rt.clone(), self.inner.dead_letter_sources())
    }
}

/// A blocking handle on one topic; the same methods as [`crate::Topic`].
///
/// ```no_run
/// # fn demo(client: cmq_sdk::blocking::Client) -> Result<(), cmq_sdk::Error> {
/// let t = client.topic("events");
/// t.create()?;
/// let sub = t.subscribe_queue("to-audit", "audit")?;
/// t.publish_with_tags("hello", ["users"])?;
/// sub.unsubscribe()?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Topic {
    inner: handles::Topic,
    rt: Arc<Runtime>,
}

impl Topic {
    /// The topic's name.
    pub fn name(&self) -> &str {
        self.inner.name()
    }

    /// The async handle underneath.
    pub fn as_async(&self) -> &handles::Topic {
        &self.inner
    }

    /// Base64 bodies on or off (see [`crate::Topic::with_base64`]).
    #[must_use]
    pub fn with_base64(mut self, on: bool) -> Self {
        self.inner = self.inner.with_base64(on);
        self
    }

    blocking_methods! { Topic;
        fn create(&self) -> Result<String, Error>;
        fn create_with(&self, settings: impl Into<TopicSettings>) -> Result<String, Error>;
        fn attributes(&self) -> Result<TopicAttributes, Error>;
        fn set_attributes(&self, settings: impl Into<TopicSettings>) -> Result<(), Error>;
        fn set_max_msg_size(&self, bytes: u32) -> Result<(), Error>;
        fn delete(&self) -> Result<(), Error>;
        fn publish(&self, body: impl Into<String>) -> Result<String, Error>;
        fn publish_with_tags(&self, body: impl Into<String>, tags: impl IntoIterator<Item = impl Into<String>>) -> Result<String, Error>;
        fn publish_with_routing_key(&self, body: impl Into<String>, routing_key: impl Into<String>) -> Result<String, Error>;
        fn batch_publish(&self, bodies: impl IntoIterator<Item = impl Into<String>>) -> Result<Vec<String>, Error>;
        fn batch_publish_with_tags(&self, bodies: impl IntoIterator<Item = impl Into<String>>, tags: impl IntoIterator<Item = impl Into<String>>) -> Result<Vec<String>, Error>;
        fn batch_publish_with_routing_key(&self, bodies: impl IntoIterator<Item = impl Into<String>>, routing_key: impl Into<String>) -> Result<Vec<String>, Error>;
    }

    fn wrap(&self, r: Result<handles::Subscription, Error>) -> Result<Subscription, Error> {
        r.map(|inner| Subscription {
            inner,
            rt: self.rt.clone(),
        })
    }

    /// Blocking form of [`Topic::subscribe`](crate::Topic::subscribe).
    pub fn subscribe(
        &self,
        name: impl Into<String>,
        spec: impl Into<SubscriptionSpec>,
    ) -> Result<Subscription, Error> {
        self.wrap(self.rt.block_on(self.inner.subscribe(name, spec)))
    }

    /// Blocking form of [`Topic::subscribe_queue`](crate::Topic::subscribe_queue).
    pub fn subscribe_queue(
        &self,
        name: impl Into<String>,
        queue_name: impl Into<String>,
    ) -> Result<Subscription, Error> {
        self.wrap(
            self.rt
                .block_on(self.inner.subscribe_queue(name, queue_name)),
        )
    }

    /// Blocking form of [`Topic::subscribe_http`](crate::Topic::subscribe_http).
    pub fn subscribe_http(
        &self,
        name: impl Into<String>,
        url: impl Into<String>,
    ) -> Result<Subscription, Error> {
        self.wrap(self.rt.block_on(self.inner.subscribe_http(name, url)))
    }

    /// A blocking handle on the subscription `name` of this topic (nothing is sent).
    pub fn subscription(&self, name: impl Into<String>) -> Subscription {
        Subscription {
            inner: self.inner.subscription(name),
            rt: self.rt.clone(),
        }
    }

    /// Every subscription of this topic.
    pub fn subscriptions(&self) -> Iter<SubscriptionSummary> {
        Iter::new(self.rt.clone(), self.inner.subscriptions())
    }
}

/// A blocking handle on one subscription; the same methods as [`crate::Subscription`].
///
/// ```no_run
/// # fn demo(client: cmq_sdk::blocking::Client) -> Result<(), cmq_sdk::Error> {
/// let sub = client.subscription("events", "to-audit");
/// println!("{}", sub.attributes()?.endpoint);
/// sub.unsubscribe()?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Subscription {
    inner: handles::Subscription,
    rt: Arc<Runtime>,
}

impl Subscription {
    /// The topic's name.
    pub fn topic_name(&self) -> &str {
        self.inner.topic_name()
    }

    /// The subscription's name.
    pub fn name(&self) -> &str {
        self.inner.name()
    }

    /// The subscription's id, when the handle came from a subscribe call.
    pub fn id(&self) -> Option<&str> {
        self.inner.id()
    }

    /// The async handle underneath.
    pub fn as_async(&self) -> &handles::Subscription {
        &self.inner
    }

    blocking_methods! { Subscription;
        fn attributes(&self) -> Result<SubscriptionAttributes, Error>;
        fn set_attributes(&self, update: impl Into<SubscriptionUpdate>) -> Result<(), Error>;
        fn clear_filter_tags(&self) -> Result<(), Error>;
        fn unsubscribe(&self) -> Result<(), Error>;
    }
}
