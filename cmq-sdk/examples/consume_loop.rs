//! A producer and two concurrent consumers: the producer batch-sends messages; each consumer
//! long-polls with `batch_receive`, handles what it gets and acknowledges it with one
//! `batch_delete`, until every message was consumed exactly once.
//!
//! ```text
//! cargo run -p cmq-mock &                      # serves http://127.0.0.1:8641
//! cargo run -p cmq-sdk --example consume_loop
//! ```
//!
//! Environment: `CMQ_ENDPOINT` (default `http://127.0.0.1:8641`), `TENCENTCLOUD_SECRET_ID` and
//! `TENCENTCLOUD_SECRET_KEY` (default: the mock's default account), `MESSAGES` (default 64).
//! Exits non-zero on failure.

use std::collections::BTreeMap;
use std::error::Error as StdError;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cmq_sdk::generated::ops::CreateQueueInput;
use cmq_sdk::{Client, Credentials, Error, Queue};

type Result<T> = std::result::Result<T, Box<dyn StdError + Send + Sync>>;

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

/// Bodies seen, with how many times each was consumed.
type Seen = Arc<Mutex<BTreeMap<String, u32>>>;

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
    let total: usize = std::env::var("MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    // Base64 bodies on both sides, as the official SDKs' set_encoding(True) does.
    let queue = client
        .queue(format!("ex-consume-{:08x}", fastrand::u32(..)))
        .with_base64(true);
    queue
        .create_with(CreateQueueInput::new().visibility_timeout(30))
        .await?;
    println!("created queue {}", queue.name());

    let outcome = run(&queue, total).await;

    queue.delete().await?;
    println!("deleted queue {}", queue.name());
    outcome?;
    println!("consume_loop: OK");
    Ok(())
}

async fn run(queue: &Queue, total: usize) -> Result<()> {
    let seen: Seen = Arc::default();
    let deadline = Instant::now() + Duration::from_secs(60);

    let producer = {
        let queue = queue.clone();
        tokio::spawn(async move {
            let bodies: Vec<String> = (0..total).map(|i| format!("job #{i:04} ✓")).collect();
            for chunk in bodies.chunks(16) {
                let ids = queue.batch_send(chunk.iter().cloned()).await?;
                println!("producer: sent {} messages", ids.len());
            }
            Ok::<_, Error>(())
        })
    };

    let consumers: Vec<_> = (1..=2)
        .map(|n| {
            let queue = queue.clone();
            let seen = seen.clone();
            tokio::spawn(async move { consume(n, queue, seen, total, deadline).await })
        })
        .collect();

    producer.await??;
    let mut handled = 0;
    for c in consumers {
        handled += c.await??;
    }

    let seen = seen.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let duplicates: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    println!(
        "consumed {handled} deliveries of {} distinct messages ({} redelivered)",
        seen.len(),
        duplicates.len()
    );
    if seen.len() != total {
        return Err(format!("only {} of {total} messages were consumed", seen.len()).into());
    }
    // Every message was acknowledged: the queue is empty.
    if let Some(m) = queue.receive(Some(1)).await? {
        return Err(format!("the queue still holds {:?}", m.body).into());
    }
    let attrs = queue.attributes().await?;
    println!(
        "queue counters now: {} active, {} in flight, {} delayed",
        attrs.active_msg_num, attrs.inactive_msg_num, attrs.delay_msg_num
    );
    Ok(())
}

/// One consumer: long-poll, handle, acknowledge in one batch, until every message was seen or
/// the deadline passes. Returns how many deliveries it handled.
async fn consume(
    n: u32,
    queue: Queue,
    seen: Seen,
    total: usize,
    deadline: Instant,
) -> std::result::Result<usize, Error> {
    let mut handled = 0;
    loop {
        let done = seen.lock().unwrap_or_else(|e| e.into_inner()).len() >= total;
        if done || Instant::now() > deadline {
            return Ok(handled);
        }
        let msgs = queue.batch_receive(16, Some(1)).await?;
        if msgs.is_empty() {
            continue;
        }
        {
            let mut seen = seen.lock().unwrap_or_else(|e| e.into_inner());
            for m in &msgs {
                *seen.entry(m.body.clone()).or_default() += 1;
            }
        }
        handled += msgs.len();
        let report = queue
            .batch_delete(msgs.iter().map(|m| m.receipt_handle.clone()))
            .await?;
        for f in &report.failed {
            // An expired handle means the message will be delivered again; not fatal.
            eprintln!(
                "consumer {n}: could not acknowledge {}: {} {}",
                f.receipt_handle, f.code, f.message
            );
        }
        println!(
            "consumer {n}: handled {} (acknowledged {})",
            msgs.len(),
            report.deleted.len()
        );
    }
}
