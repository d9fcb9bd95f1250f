//! Dead-letter queues: bind a policy at creation or later, watch a message that is received
//! but never deleted move to the dead-letter queue, list the source queues, unbind.
//!
//! ```text
//! cargo run -p cmq-mock &                      # serves http://127.0.0.1:8641
//! cargo run -p cmq-sdk --example dead_letter
//! ```
//!
//! Environment: `CMQ_ENDPOINT` (default `http://127.0.0.1:8641`), `TENCENTCLOUD_SECRET_ID` and
//! `TENCENTCLOUD_SECRET_KEY` (default: the mock's default account). Exits non-zero on failure.

use std::error::Error as StdError;
use std::time::{Duration, Instant};

use cmq_sdk::generated::ops::CreateQueueInput;
use cmq_sdk::generated::types::DeadLetterPolicy;
use cmq_sdk::{Client, Credentials, Error, Queue};
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

fn ensure(cond: bool, what: impl Into<String>) -> Result<()> {
    if cond {
        Ok(())
    } else {
        Err(what.into().into())
    }
}

/// Policy 0: move a message once it was received `max_receive_count` times without a delete.
fn after_receives(dlq: &str, max_receive_count: i64) -> DeadLetterPolicy {
    DeadLetterPolicy {
        dead_letter_queue: Some(dlq.to_owned()),
        policy: Some(0),
        max_receive_count: Some(max_receive_count),
        max_time_to_live: None,
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
    let tag = format!("{:06x}", fastrand::u32(..0x00ff_ffff));
    let dlq = client.queue(format!("ex-dlq-{tag}"));
    let source = client.queue(format!("ex-dlq-src-{tag}"));
    let other = client.queue(format!("ex-dlq-other-{tag}"));
    let mut created: Vec<Queue> = Vec::new();
    let outcome = run(&dlq, &source, &other, &mut created).await;

    // Clean up: a queue bound as a dead-letter queue cannot be deleted (10750), so unbind the
    // sources first and delete the dead-letter queue last.
    for q in created.iter().rev() {
        if q.name() != dlq.name() {
            let _ = q.unbind_dead_letter_queue().await;
        }
    }
    let mut cleanup_failed = false;
    for q in created.iter().rev() {
        match q.delete().await {
            Ok(()) => println!("deleted queue {}", q.name()),
            Err(e) if e.code() == Some(4440) => {}
            Err(e) => {
                eprintln!("could not delete queue {}: {e}", q.name());
                cleanup_failed = true;
            }
        }
    }
    outcome?;
    ensure(!cleanup_failed, "clean-up failed")?;
    println!("dead_letter: OK");
    Ok(())
}

async fn run(dlq: &Queue, source: &Queue, other: &Queue, created: &mut Vec<Queue>) -> Result<()> {
    dlq.create().await?;
    created.push(dlq.clone());
    println!("created dead-letter queue {}", dlq.name());

    // A source queue bound at creation: one receive without delete is enough to dead-letter.
    source
        .create_with(
            CreateQueueInput::new()
                .visibility_timeout(1)
                .dead_letter_policy(after_receives(dlq.name(), 1)),
        )
        .await?;
    created.push(source.clone());
    println!(
        "created {} with policy: after 1 receive -> {}",
        source.name(),
        dlq.name()
    );

    // Another queue, bound afterwards.
    other.create().await?;
    created.push(other.clone());
    other
        .set_dead_letter_policy(after_receives(dlq.name(), 3))
        .await?;
    let attrs = other.attributes().await?;
    println!(
        "{} attributes: deadLetterPolicy {:?}",
        other.name(),
        attrs.dead_letter_policy
    );

    let mut sources: Vec<String> = dlq
        .dead_letter_sources()
        .map_ok(|q| q.queue_name)
        .try_collect()
        .await?;
    sources.sort();
    println!("sources of {}: {sources:?}", dlq.name());
    let mut want = vec![source.name().to_owned(), other.name().to_owned()];
    want.sort();
    ensure(
        sources == want,
        "both queues should list the dead-letter queue",
    )?;

    // A policy that breaks the spec is refused locally: policy 1 needs maxTimeToLive.
    let broken = DeadLetterPolicy {
        dead_letter_queue: Some(dlq.name().to_owned()),
        policy: Some(1),
        max_receive_count: None,
        max_time_to_live: None,
    };
    match other.set_dead_letter_policy(broken).await {
        Err(Error::Validation(v)) => println!("refused locally: {v}"),
        r => return Err(format!("expected a validation error, got {r:?}").into()),
    }

    // Receive a message and never delete it: once it becomes visible again it has used up its
    // receives and moves to the dead-letter queue.
    let id = source.send("poison").await?;
    let first = source
        .receive(Some(3))
        .await?
        .ok_or("the message did not arrive")?;
    ensure(first.msg_id == id, "received another message")?;
    println!(
        "received {} once without deleting it (visible again at {})",
        first.msg_id, first.next_visible_time
    );
    let deadline = Instant::now() + Duration::from_secs(15);
    let dead = loop {
        if let Some(m) = dlq.receive(Some(1)).await? {
            break m;
        }
        // Give a server that moves messages on the next receive the chance to do so.
        if let Some(again) = source.receive(Some(0)).await? {
            println!(
                "{} was delivered again from the source (dequeueCount {})",
                again.msg_id, again.dequeue_count
            );
        }
        if Instant::now() > deadline {
            return Err("the message never reached the dead-letter queue".into());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    ensure(
        dead.body == "poison",
        format!("dead letter body {:?}", dead.body),
    )?;
    println!(
        "{} holds the dead letter {:?} ({})",
        dlq.name(),
        dead.body,
        dead.msg_id
    );
    dlq.delete_message(&dead.receipt_handle).await?;

    // Unbind one source.
    other.unbind_dead_letter_queue().await?;
    let sources: Vec<String> = dlq
        .dead_letter_sources()
        .map_ok(|q| q.queue_name)
        .try_collect()
        .await?;
    println!("after unbinding {}: sources {sources:?}", other.name());
    ensure(
        sources == [source.name().to_owned()],
        "only the first source should remain",
    )?;
    let attrs = other.attributes().await?;
    ensure(
        attrs.dead_letter_policy.is_none(),
        "the unbound queue should have no policy",
    )?;

    // A bound dead-letter queue cannot be deleted.
    match dlq.delete().await {
        Err(e) if e.code().is_some() => println!("deleting a bound dead-letter queue: {e}"),
        Ok(()) => return Err("a bound dead-letter queue was deleted".into()),
        Err(e) => return Err(e.into()),
    }
    Ok(())
}
