//! Queue basics with the handle API: create a queue, send, receive, delete, batch calls,
//! attributes, Base64 bodies, listing, and clean-up.
//!
//! ```text
//! cargo run -p cmq-mock &                      # serves http://127.0.0.1:8641
//! cargo run -p cmq-sdk --example queue_basics
//! ```
//!
//! Environment: `CMQ_ENDPOINT` (default `http://127.0.0.1:8641`), `TENCENTCLOUD_SECRET_ID` and
//! `TENCENTCLOUD_SECRET_KEY` (default: the mock's default account). Exits non-zero on failure.

use std::collections::BTreeSet;
use std::error::Error as StdError;
use std::time::{Duration, Instant};

use cmq_sdk::generated::ops::{CreateQueueInput, SetQueueAttributesInput};
use cmq_sdk::{Client, Credentials, Queue};
use futures_util::TryStreamExt;

type Result<T> = std::result::Result<T, Box<dyn StdError>>;

fn connect() -> Result<Client> {
    let endpoint =
        std::env::var("CMQ_ENDPOINT").unwrap_or_else(|_| "http://127.0.0.1:8641".to_owned());
    let id =
        std::env::var("TENCENTCLOUD_SECRET_ID").unwrap_or_else(|_| "AKIDcmqmockdefault".to_owned());
    let key = std::env::var("TENCENTCLOUD_SECRET_KEY")
        .unwrap_or_else(|_| "cmq-mock-default-secret-key".to_owned());
    println!("endpoint {endpoint}, SecretId {id}");
    Ok(Client::new(&endpoint, Credentials::new(id, key))?)
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{:08x}", fastrand::u32(..))
}

fn ensure(cond: bool, what: impl Into<String>) -> Result<()> {
    if cond {
        Ok(())
    } else {
        Err(what.into().into())
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    match example().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            let mut cause = e.source();
            while let Some(c) = cause {
                eprintln!("  caused by: {c}");
                cause = c.source();
            }
            std::process::ExitCode::FAILURE
        }
    }
}

async fn example() -> Result<()> {
    let client = connect()?;
    let queue = client.queue(unique("ex-basics"));
    let id = queue
        .create_with(
            CreateQueueInput::new()
                .visibility_timeout(30)
                .polling_wait_seconds(0)
                .msg_retention_seconds(3600),
        )
        .await?;
    println!("created queue {} ({id})", queue.name());

    let outcome = run(&client, &queue).await;

    queue.delete().await?;
    println!("deleted queue {}", queue.name());
    outcome?;
    println!("queue_basics: OK");
    Ok(())
}

async fn run(client: &Client, queue: &Queue) -> Result<()> {
    // One message: send, receive, delete.
    let sent = queue.send("hello, queue").await?;
    println!("sent message {sent}");
    let msg = queue
        .receive(Some(3))
        .await?
        .ok_or("the message did not arrive")?;
    ensure(
        msg.msg_id == sent,
        format!("received {} instead of {sent}", msg.msg_id),
    )?;
    ensure(
        msg.body == "hello, queue",
        format!("wrong body {:?}", msg.body),
    )?;
    println!(
        "received {} (enqueued at {}, visible again at {}, received {} time(s))",
        msg.msg_id, msg.enqueue_time, msg.next_visible_time, msg.dequeue_count
    );
    queue.delete_message(&msg.receipt_handle).await?;
    println!("deleted message {}", msg.msg_id);

    // An empty queue answers "no message" (code 7000), which is `None`, not an error.
    let nothing = queue.receive(Some(0)).await?;
    ensure(nothing.is_none(), "the queue should be empty")?;
    println!("receive on the empty queue: None");

    // A batch: send three, receive them (up to 16 at a time), delete them together.
    let bodies = ["one", "two", "three"];
    let ids = queue.batch_send(bodies).await?;
    ensure(
        ids.len() == 3,
        format!("batch send returned {} ids", ids.len()),
    )?;
    println!("batch-sent {ids:?}");
    let mut seen = BTreeSet::new();
    let mut handles = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while seen.len() < bodies.len() && Instant::now() < deadline {
        for m in queue.batch_receive(16, Some(1)).await? {
            seen.insert(m.body);
            handles.push(m.receipt_handle);
        }
    }
    let want: BTreeSet<String> = bodies.iter().map(|b| (*b).to_owned()).collect();
    ensure(seen == want, format!("batch receive got {seen:?}"))?;
    let report = queue.batch_delete(handles).await?;
    ensure(
        report.is_complete(),
        format!("batch delete failed for {:?}", report.failed),
    )?;
    println!(
        "batch-received and batch-deleted {} messages",
        report.deleted.len()
    );

    // Attributes: read, change, read again.
    let attrs = queue.attributes().await?;
    println!(
        "attributes: visibilityTimeout {} s, maxMsgSize {} B, retention {} s, {} active, {} in flight",
        attrs.visibility_timeout,
        attrs.max_msg_size,
        attrs.msg_retention_seconds,
        attrs.active_msg_num,
        attrs.inactive_msg_num
    );
    ensure(
        attrs.visibility_timeout == 30,
        "visibilityTimeout should be 30",
    )?;
    queue
        .set_attributes(SetQueueAttributesInput::new().visibility_timeout(60))
        .await?;
    let attrs = queue.attributes().await?;
    ensure(
        attrs.visibility_timeout == 60,
        "visibilityTimeout should now be 60",
    )?;
    println!("visibilityTimeout changed to {}", attrs.visibility_timeout);

    // Base64 bodies, like the official SDKs' set_encoding(True).
    let b64 = queue.clone().with_base64(true);
    b64.send("héllo in Base64").await?;
    let m = b64
        .receive(Some(3))
        .await?
        .ok_or("the Base64 message did not arrive")?;
    ensure(m.body == "héllo in Base64", format!("decoded {:?}", m.body))?;
    b64.delete_message(&m.receipt_handle).await?;
    println!("Base64 round trip: {:?}", m.body);

    // A request that breaks the spec is refused before it is sent, listing every violation.
    match queue.send_delayed("", 3601).await {
        Err(cmq_sdk::Error::Validation(v)) => println!("refused locally: {v}"),
        other => return Err(format!("expected a validation error, got {other:?}").into()),
    }

    // Listing.
    let found: Vec<String> = client
        .list_queues(Some(queue.name()))
        .map_ok(|q| q.queue_name)
        .try_collect()
        .await?;
    ensure(
        found.iter().any(|n| n == queue.name()),
        format!("list_queues did not find {}: {found:?}", queue.name()),
    )?;
    println!("list_queues({:?}) found {found:?}", queue.name());
    Ok(())
}
