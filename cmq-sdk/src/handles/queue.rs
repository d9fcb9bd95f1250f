//! The queue handle: data-plane calls over API 2.0, management over the client's
//! [`ManagementApi`](super::ManagementApi).

use futures_util::{Stream, StreamExt, TryStreamExt, stream};

use super::{
    BatchDeleteFailure, BatchDeleteReport, Message, QueueAttributes, QueueSettings, QueueSummary,
    decode_message, encode_bodies, encode_body, strings,
};
use crate::generated::ops::{
    BatchDeleteMessageInput, BatchReceiveMessageInput, BatchSendMessageInput, DeleteMessageInput,
    DeleteQueueInput, GetQueueAttributesInput, ListDeadLetterSourceQueuesInput,
    ReceiveMessageInput, RewindQueueInput, SendMessageInput, UnbindDeadLetterQueueInput,
};
use crate::generated::types::DeadLetterPolicy;
use crate::generated::v3::ops::{
    ClearCmqQueueRequest, DeleteCmqQueueRequest, DescribeCmqQueueDetailRequest,
    RewindCmqQueueRequest, UnbindCmqDeadLetterRequest,
};
use crate::{Client, Error, ServiceCode};

/// The code of "no message" answers to (Batch)ReceiveMessage.
const NO_MESSAGE: i64 = ServiceCode::NoMessage.code();
/// BatchDeleteMessage: some handles failed.
const PARTIALLY_FAILED: i64 = ServiceCode::BatchDeletePartiallyFailed.code();
/// BatchDeleteMessage: every handle failed.
const ALL_FAILED: i64 = ServiceCode::BatchDeleteFailed.code();

/// A handle on one queue: create and configure it, send, receive and delete messages.
///
/// Get one with [`Client::queue`]. Cheap to clone. Sending, receiving and deleting messages use
/// API 2.0; creating, describing, changing, rewinding, clearing and deleting the queue use the
/// client's [`ManagementApi`](super::ManagementApi) (API 3.0 on TDMQ), with the same types
/// either way.
///
/// ```no_run
/// # async fn demo(client: cmq_sdk::Client) -> Result<(), cmq_sdk::Error> {
/// let q = client.queue("orders");
/// q.create().await?;
/// q.send("one").await?;
/// q.send_delayed("later", 30).await?;
/// for msg in q.batch_receive(16, Some(3)).await? {
///     println!("{}", msg.body);
///     q.delete_message(&msg.receipt_handle).await?;
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Queue {
    client: Client,
    name: String,
    base64: bool,
}

named_handle!(Queue, "queue");

impl Queue {
    /// With `true`, bodies are Base64-encoded on send and decoded on receive (like the official
    /// SDKs' `set_encoding(True)`); a received body that is not valid Base64 of UTF-8 text is
    /// an [`Error::Decode`] naming the message and its receipt handle (for a
    /// [`batch_receive`](Self::batch_receive), the whole batch fails; its messages become
    /// visible again after the visibility timeout). Off by default.
    ///
    /// ```no_run
    /// # async fn demo(client: cmq_sdk::Client) -> Result<(), cmq_sdk::Error> {
    /// let q = client.queue("binary-ish").with_base64(true);
    /// q.send("any text, sent as Base64").await?;
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn with_base64(mut self, on: bool) -> Self {
        self.base64 = on;
        self
    }

    /// Creates the queue with the server's defaults; returns its id.
    ///
    /// ```no_run
    /// # async fn demo(client: cmq_sdk::Client) -> Result<(), cmq_sdk::Error> {
    /// let id = client.queue("orders").create().await?;
    /// # Ok(()) }
    /// ```
    pub async fn create(&self) -> Result<String, Error> {
        self.create_with(QueueSettings::new()).await
    }

    /// Creates the queue with `settings` (a [`QueueSettings`], or an API 2.0
    /// `CreateQueueInput` whose queue name is replaced by this handle's); returns its id.
    ///
    /// ```no_run
    /// # async fn demo(client: cmq_sdk::Client) -> Result<(), cmq_sdk::Error> {
    /// use cmq_sdk::handles::QueueSettings;
    /// let settings = QueueSettings::new().visibility_timeout(60).polling_wait_seconds(10);
    /// client.queue("orders").create_with(settings).await?;
    /// # Ok(()) }
    /// ```
    pub async fn create_with(&self, settings: impl Into<QueueSettings>) -> Result<String, Error> {
        let s = settings.into();
        if self.client.manages_with_api3() {
            let out = self
                .client
                .execute_api3(s.to_create_cmq_queue(&self.name))
                .await?;
            return Ok(out.queue_id);
        }
        let out = self.client.execute(s.to_create_queue(&self.name)).await?;
        Ok(out.queue_id)
    }

    /// The queue's attributes and counters (times in Unix seconds, see [`QueueAttributes`]).
    ///
    /// ```no_run
    /// # async fn demo(client: cmq_sdk::Client) -> Result<(), cmq_sdk::Error> {
    /// let a = client.queue("orders").attributes().await?;
    /// println!("{} visible, {} in flight", a.active_msg_num, a.inactive_msg_num);
    /// # Ok(()) }
    /// ```
    pub async fn attributes(&self) -> Result<QueueAttributes, Error> {
        if self.client.manages_with_api3() {
            let out = self
                .client
                .execute_api3(DescribeCmqQueueDetailRequest::new().queue_name(self.name.clone()))
                .await?;
            return Ok(out.queue_describe.into());
        }
        let out = self
            .client
            .execute(GetQueueAttributesInput::new().queue_name(self.name.clone()))
            .await?;
        Ok(out.into())
    }

    /// Changes the attributes set in `settings` (a [`QueueSettings`], or an API 2.0
    /// `SetQueueAttributesInput`); the others keep their values.
    ///
    /// ```no_run
    /// # async fn demo(client: cmq_sdk::Client) -> Result<(), cmq_sdk::Error> {
    /// use cmq_sdk::handles::QueueSettings;
    /// client
    ///     .queue("orders")
    ///     .set_attributes(QueueSettings::new().visibility_timeout(120))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn set_attributes(&self, settings: impl Into<QueueSettings>) -> Result<(), Error> {
        let s = settings.into();
        if self.client.manages_with_api3() {
            self.client
                .execute_api3(s.to_modify_cmq_queue(&self.name))
                .await?;
        } else {
            self.client
                .execute(s.to_set_queue_attributes(&self.name))
                .await?;
        }
        Ok(())
    }

    /// Deletes the queue. A retry after a lost answer that finds the queue gone (4440) is a
    /// success (see [`crate::retry`], "After a lost answer").
    ///
    /// ```no_run
    /// # async fn demo(client: cmq_sdk::Client) -> Result<(), cmq_sdk::Error> {
    /// client.queue("orders").delete().await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete(&self) -> Result<(), Error> {
        if self.client.manages_with_api3() {
            self.client
                .execute_api3(DeleteCmqQueueRequest::new().queue_name(self.name.clone()))
                .await?;
        } else {
            self.client
                .execute(DeleteQueueInput::new().queue_name(self.name.clone()))
                .await?;
        }
        Ok(())
    }

    /// Deletes every message in the queue (visible, in flight and delayed). API 3.0's
    /// `ClearCmqQueue`; API 2.0 has no such action, so a client that manages over API 2.0 gets
    /// [`Error::Config`].
    ///
    /// ```no_run
    /// # async fn demo(client: cmq_sdk::Client) -> Result<(), cmq_sdk::Error> {
    /// client.queue("orders").clear().await?;
    /// # Ok(()) }
    /// ```
    pub async fn clear(&self) -> Result<(), Error> {
        if !self.client.manages_with_api3() {
            return Err(super::route::api3_only("clearing a queue (ClearCmqQueue)"));
        }
        self.client
            .execute_api3(ClearCmqQueueRequest::new().queue_name(self.name.clone()))
            .await?;
        Ok(())
    }

    /// Sends one message; returns its id.
    ///
    /// ```no_run
    /// # async fn demo(client: cmq_sdk::Client) -> Result<(), cmq_sdk::Error> {
    /// let id = client.queue("orders").send("hello").await?;
    /// # Ok(()) }
    /// ```
    pub async fn send(&self, body: impl Into<String>) -> Result<String, Error> {
        self.send_input(body.into(), None).await
    }

    /// Sends one message that becomes visible after `delay_seconds` (the profile's range:
    /// 0–6048000 on TDMQ, 0–3600 on legacy CMQ); returns its id.
    ///
    /// ```no_run
    /// # async fn demo(client: cmq_sdk::Client) -> Result<(), cmq_sdk::Error> {
    /// let id = client.queue("orders").send_delayed("in a minute", 60).await?;
    /// # Ok(()) }
    /// ```
    pub async fn send_delayed(
        &self,
        body: impl Into<String>,
        delay_seconds: u32,
    ) -> Result<String, Error> {
        self.send_input(body.into(), Some(delay_seconds)).await
    }

    async fn send_input(&self, body: String, delay: Option<u32>) -> Result<String, Error> {
        let mut input = SendMessageInput::new()
            .queue_name(self.name.clone())
            .msg_body(encode_body(self.base64, body));
        input.set_delay_seconds(delay.map(i64::from));
        Ok(self.client.execute(input).await?.msg_id)
    }

    /// Sends up to 16 messages in one request; returns their ids in order.
    ///
    /// ```no_run
    /// # async fn demo(client: cmq_sdk::Client) -> Result<(), cmq_sdk::Error> {
    /// let ids = client.queue("orders").batch_send(["a", "b", "c"]).await?;
    /// assert_eq!(ids.len(), 3);
    /// # Ok(()) }
    /// ```
    pub async fn batch_send(
        &self,
        bodies: impl IntoIterator<Item = impl Into<String>>,
    ) -> Result<Vec<String>, Error> {
        self.batch_send_input(strings(bodies), None).await
    }

    /// Sends up to 16 messages in one request, all visible after `delay_seconds` (the profile's
    /// range, as for [`send_delayed`](Self::send_delayed)); returns their ids in order.
    ///
    /// ```no_run
    /// # async fn demo(client: cmq_sdk::Client) -> Result<(), cmq_sdk::Error> {
    /// let ids = client.queue("orders").batch_send_delayed(["a", "b"], 10).await?;
    /// # Ok(()) }
    /// ```
    pub async fn batch_send_delayed(
        &self,
        bodies: impl IntoIterator<Item = impl Into<String>>,
        delay_seconds: u32,
    ) -> Result<Vec<String>, Error> {
        self.batch_send_input(strings(bodies), Some(delay_seconds))
            .await
    }

    async fn batch_send_input(
        &self,
        bodies: Vec<String>,
        delay: Option<u32>,
    ) -> Result<Vec<String>, Error> {
        let mut input = BatchSendMessageInput::new()
            .queue_name(self.name.clone())
            .msg_body(encode_bodies(self.base64, bodies));
        input.set_delay_seconds(delay.map(i64::from));
        let out = self.client.execute(input).await?;
        Ok(out.msg_list.into_iter().map(|m| m.msg_id).collect())
    }

    /// Receives one message, waiting up to `polling_wait_seconds` (0–30; `None`: the queue's
    /// own setting) for one to arrive. "No message" (code 7000) is `Ok(None)`, never an error.
    ///
    /// The call's deadline is sized for the wait (see
    /// [`Timeouts::for_receive`](crate::timeouts::Timeouts::for_receive)).
    ///
    /// ```no_run
    /// # async fn demo(client: cmq_sdk::Client) -> Result<(), cmq_sdk::Error> {
    /// let q = client.queue("orders");
    /// match q.receive(Some(20)).await? {
    ///     Some(msg) => q.delete_message(&msg.receipt_handle).await?,
    ///     None => println!("nothing within 20 s"),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn receive(
        &self,
        polling_wait_seconds: Option<u32>,
    ) -> Result<Option<Message>, Error> {
        let mut input = ReceiveMessageInput::new().queue_name(self.name.clone());
        input.set_polling_wait_seconds(polling_wait_seconds.map(i64::from));
        match self.client.execute(input).await {
            Ok(out) => decode_message(self.base64, Message::from(out)).map(Some),
            Err(e) if e.code() == Some(NO_MESSAGE) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Receives up to `max` messages (1–16), waiting up to `polling_wait_seconds` (0–30;
    /// `None`: the queue's own setting) for the first to arrive. "No message" (code 7000) is an
    /// empty `Vec`, never an error.
    ///
    /// ```no_run
    /// # async fn demo(client: cmq_sdk::Client) -> Result<(), cmq_sdk::Error> {
    /// let q = client.queue("orders");
    /// let msgs = q.batch_receive(16, Some(5)).await?;
    /// let report = q.batch_delete(msgs.iter().map(|m| m.receipt_handle.clone())).await?;
    /// # Ok(()) }
    /// ```
    pub async fn batch_receive(
        &self,
        max: u32,
        polling_wait_seconds: Option<u32>,
    ) -> Result<Vec<Message>, Error> {
        let mut input = BatchReceiveMessageInput::new()
            .queue_name(self.name.clone())
            .num_of_msg(i64::from(max));
        input.set_polling_wait_seconds(polling_wait_seconds.map(i64::from));
        match self.client.execute(input).await {
            Ok(out) => out
                .msg_info_list
                .into_iter()
                .map(|m| decode_message(self.base64, Message::from(m)))
                .collect(),
            Err(e) if e.code() == Some(NO_MESSAGE) => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// Deletes a received message by the receipt handle of its latest delivery. A retry after a
    /// lost answer that finds the handle invalid (4430) is a success (see [`crate::retry`],
    /// "After a lost answer").
    ///
    /// ```no_run
    /// # async fn demo(client: cmq_sdk::Client) -> Result<(), cmq_sdk::Error> {
    /// let q = client.queue("orders");
    /// if let Some(m) = q.receive(None).await? {
    ///     q.delete_message(&m.receipt_handle).await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn delete_message(&self, receipt_handle: impl Into<String>) -> Result<(), Error> {
        self.client
            .execute(
                DeleteMessageInput::new()
                    .queue_name(self.name.clone())
                    .receipt_handle(receipt_handle),
            )
            .await?;
        Ok(())
    }

    /// Deletes up to 16 received messages by receipt handle.
    ///
    /// A partial failure (code 6010) or a total failure (code 6020) is `Ok`: the report lists
    /// every handle that failed with its own code and message (for a 6020 without a list, every
    /// handle with the answer's code and message). Other errors are errors.
    ///
    /// ```no_run
    /// # async fn demo(client: cmq_sdk::Client) -> Result<(), cmq_sdk::Error> {
    /// let q = client.queue("orders");
    /// let msgs = q.batch_receive(16, Some(1)).await?;
    /// let report = q.batch_delete(msgs.into_iter().map(|m| m.receipt_handle)).await?;
    /// if !report.is_complete() {
    ///     eprintln!("{} handles expired", report.failed.len());
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn batch_delete(
        &self,
        receipt_handles: impl IntoIterator<Item = impl Into<String>>,
    ) -> Result<BatchDeleteReport, Error> {
        let handles = strings(receipt_handles);
        let input = BatchDeleteMessageInput::new()
            .queue_name(self.name.clone())
            .receipt_handle(handles.clone());
        match self.client.execute(input).await {
            Ok(out) => {
                let failed = out
                    .error_list
                    .unwrap_or_default()
                    .into_iter()
                    .map(|e| BatchDeleteFailure {
                        receipt_handle: e.receipt_handle,
                        code: e.code,
                        message: e.message,
                    })
                    .collect();
                let mut report =
                    BatchDeleteReport::from_failures(&handles, 0, String::new(), None, failed);
                report.settled_by_retry = out.settled_by_retry;
                Ok(report)
            }
            Err(Error::Service(s)) if s.code == PARTIALLY_FAILED || s.code == ALL_FAILED => {
                let s = *s;
                let mut failed: Vec<BatchDeleteFailure> = s
                    .error_list
                    .into_iter()
                    .map(|e| BatchDeleteFailure {
                        receipt_handle: e.receipt_handle,
                        code: e.code,
                        message: e.message,
                    })
                    .collect();
                if failed.is_empty() && s.code == ALL_FAILED {
                    failed = handles
                        .iter()
                        .map(|h| BatchDeleteFailure {
                            receipt_handle: h.clone(),
                            code: s.code,
                            message: s.message.clone(),
                        })
                        .collect();
                }
                Ok(BatchDeleteReport::from_failures(
                    &handles,
                    s.code,
                    s.message,
                    s.request_id,
                    failed,
                ))
            }
            Err(e) => Err(e),
        }
    }

    /// Rewinds the queue: consumers receive again the messages produced at or after
    /// `start_consume_time`, in Unix **seconds** whichever API serves the call (API 3.0's
    /// `RewindCmqQueue` takes milliseconds; the handle converts). The queue needs a rewind
    /// window (`rewind_seconds` above 0).
    ///
    /// ```no_run
    /// # async fn demo(client: cmq_sdk::Client) -> Result<(), cmq_sdk::Error> {
    /// let an_hour_ago = std::time::SystemTime::now()
    ///     .duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64 - 3600;
    /// client.queue("orders").rewind(an_hour_ago).await?;
    /// # Ok(()) }
    /// ```
    pub async fn rewind(&self, start_consume_time: i64) -> Result<(), Error> {
        if self.client.manages_with_api3() {
            let ms = start_consume_time.saturating_mul(1000);
            let r = RewindCmqQueueRequest::new()
                .queue_name(self.name.clone())
                .start_consume_time(ms);
            self.client.execute_api3(r).await?;
            return Ok(());
        }
        self.client
            .execute(
                RewindQueueInput::new()
                    .queue_name(self.name.clone())
                    .start_consume_time(start_consume_time),
            )
            .await?;
        Ok(())
    }

    /// Binds a dead-letter queue: sets only the queue's dead-letter policy.
    ///
    /// ```no_run
    /// # async fn demo(client: cmq_sdk::Client) -> Result<(), cmq_sdk::Error> {
    /// use cmq_sdk::generated::types::DeadLetterPolicy;
    /// let policy = DeadLetterPolicy {
    ///     dead_letter_queue: Some("orders-dlq".into()),
    ///     policy: Some(0),
    ///     max_receive_count: Some(5),
    ///     max_time_to_live: None,
    /// };
    /// client.queue("orders").set_dead_letter_policy(policy).await?;
    /// # Ok(()) }
    /// ```
    pub async fn set_dead_letter_policy(&self, policy: DeadLetterPolicy) -> Result<(), Error> {
        self.set_attributes(QueueSettings::new().dead_letter_policy(policy))
            .await
    }

    /// Unbinds the queue's dead-letter queue (clears its policy).
    ///
    /// ```no_run
    /// # async fn demo(client: cmq_sdk::Client) -> Result<(), cmq_sdk::Error> {
    /// client.queue("orders").unbind_dead_letter_queue().await?;
    /// # Ok(()) }
    /// ```
    pub async fn unbind_dead_letter_queue(&self) -> Result<(), Error> {
        if self.client.manages_with_api3() {
            let r = UnbindCmqDeadLetterRequest::new().source_queue_name(self.name.clone());
            self.client.execute_api3(r).await?;
            return Ok(());
        }
        self.client
            .execute(UnbindDeadLetterQueueInput::new().queue_name(self.name.clone()))
            .await?;
        Ok(())
    }

    /// Every queue that uses this queue as its dead-letter queue: API 2.0 pages through
    /// `ListDeadLetterSourceQueues`; API 3.0 reads them from the queue's details.
    ///
    /// ```no_run
    /// # async fn demo(client: cmq_sdk::Client) -> Result<(), cmq_sdk::Error> {
    /// use futures_util::TryStreamExt;
    /// let sources: Vec<_> = client.queue("orders-dlq").dead_letter_sources().try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn dead_letter_sources(
        &self,
    ) -> impl Stream<Item = Result<QueueSummary, Error>> + Send + 'static {
        if self.client.manages_with_api3() {
            let client = self.client.clone();
            let req = DescribeCmqQueueDetailRequest::new().queue_name(self.name.clone());
            let once = stream::once(async move {
                let out = client.execute_api3(req).await?;
                let sources = out.queue_describe.dead_letter_source.unwrap_or_default();
                Ok::<_, Error>(stream::iter(sources.into_iter().map(|s| Ok(s.into()))))
            });
            return once.try_flatten().left_stream();
        }
        let input =
            ListDeadLetterSourceQueuesInput::new().dead_letter_queue_name(self.name.clone());
        self.client
            .paginate(input)
            .map(|r| r.map(QueueSummary::from))
            .right_stream()
    }
}
