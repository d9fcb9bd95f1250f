//! Received messages and the report of a batch delete.

use crate::generated::ops::ReceiveMessageOutput;
use crate::generated::types::MessageInfo;

/// One received message.
///
/// Times are Unix seconds, as the service sends them. Delete the message with
/// [`Queue::delete_message`](crate::Queue::delete_message) and its
/// [`receipt_handle`](Message::receipt_handle) before
/// [`next_visible_time`](Message::next_visible_time), or it is delivered again.
///
/// ```no_run
/// # async fn demo(client: cmq_sdk::Client) -> Result<(), cmq_sdk::Error> {
/// let orders = client.queue("orders");
/// if let Some(msg) = orders.receive(Some(10)).await? {
///     println!("{} (received {} times): {}", msg.msg_id, msg.dequeue_count, msg.body);
///     orders.delete_message(&msg.receipt_handle).await?;
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Message {
    /// The message id.
    pub msg_id: String,
    /// The body (decoded from Base64 when the queue handle has
    /// [`with_base64(true)`](crate::Queue::with_base64)).
    pub body: String,
    /// The handle that deletes this delivery of the message; only the latest handle works, and
    /// only until [`next_visible_time`](Message::next_visible_time).
    pub receipt_handle: String,
    /// When the message was sent (Unix seconds).
    pub enqueue_time: i64,
    /// When the message was first received (Unix seconds; reserved on TDMQ).
    pub first_dequeue_time: i64,
    /// When the message becomes visible again unless deleted (Unix seconds).
    pub next_visible_time: i64,
    /// How many times the message has been received (reserved on TDMQ).
    pub dequeue_count: i64,
}

impl From<MessageInfo> for Message {
    /// Takes the fields as they are (the body is not decoded).
    fn from(m: MessageInfo) -> Self {
        Message {
            msg_id: m.msg_id,
            body: m.msg_body,
            receipt_handle: m.receipt_handle,
            enqueue_time: m.enqueue_time,
            first_dequeue_time: m.first_dequeue_time,
            next_visible_time: m.next_visible_time,
            dequeue_count: m.dequeue_count,
        }
    }
}

impl From<ReceiveMessageOutput> for Message {
    /// Takes the fields as they are (the body is not decoded).
    fn from(m: ReceiveMessageOutput) -> Self {
        Message {
            msg_id: m.msg_id,
            body: m.msg_body,
            receipt_handle: m.receipt_handle,
            enqueue_time: m.enqueue_time,
            first_dequeue_time: m.first_dequeue_time,
            next_visible_time: m.next_visible_time,
            dequeue_count: m.dequeue_count,
        }
    }
}

/// One receipt handle a batch delete could not delete.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct BatchDeleteFailure {
    /// The handle.
    pub receipt_handle: String,
    /// Its code (e.g. 4430, an invalid or expired handle).
    pub code: i64,
    /// Its message (e.g. `invalid receiptHandle`).
    pub message: String,
}

/// What [`Queue::batch_delete`](crate::Queue::batch_delete) did: which handles were deleted and
/// which failed, each failure with its own code and message.
///
/// A partial failure (code 6010) or a total failure (code 6020) of `BatchDeleteMessage` is an
/// *answer*, not an error: it comes back as a report whose [`failed`](Self::failed) list names
/// the handles. Other errors (a missing queue, throttling, …) stay errors.
///
/// ```no_run
/// # async fn demo(queue: cmq_sdk::Queue, handles: Vec<String>) -> Result<(), cmq_sdk::Error> {
/// let report = queue.batch_delete(handles).await?;
/// for f in &report.failed {
///     eprintln!("could not delete {}: {} {}", f.receipt_handle, f.code, f.message);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BatchDeleteReport {
    /// The answer's code: 0 (all deleted), 6010 (some failed) or 6020 (all failed).
    pub code: i64,
    /// The answer's message (empty on success).
    pub message: String,
    /// The request id, when the server sent one with a failure.
    pub request_id: Option<String>,
    /// The handles that were deleted, in request order.
    pub deleted: Vec<String>,
    /// The handles that were not deleted, with their codes and messages.
    pub failed: Vec<BatchDeleteFailure>,
    /// `Some` when an attempt lost its answer and the retry answered 6020 with every handle
    /// invalid (4430): the handles count as deleted, and this holds the retry's answer (see
    /// [`crate::retry`], "After a lost answer").
    pub settled_by_retry: Option<crate::retry::SettledByRetry>,
}

impl BatchDeleteReport {
    /// True when every handle was deleted.
    pub fn is_complete(&self) -> bool {
        self.failed.is_empty()
    }

    /// The handles that were not deleted.
    pub fn failed_handles(&self) -> impl Iterator<Item = &str> {
        self.failed.iter().map(|f| f.receipt_handle.as_str())
    }

    /// Builds the report of a request for `handles` from the failures the server listed;
    /// every other handle counts as deleted.
    pub(crate) fn from_failures(
        handles: &[String],
        code: i64,
        message: String,
        request_id: Option<String>,
        failed: Vec<BatchDeleteFailure>,
    ) -> Self {
        let deleted = handles
            .iter()
            .filter(|h| !failed.iter().any(|f| &f.receipt_handle == *h))
            .cloned()
            .collect();
        BatchDeleteReport {
            code,
            message,
            request_id,
            deleted,
            failed,
            settled_by_retry: None,
        }
    }
}
