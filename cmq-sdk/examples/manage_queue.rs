//! One program for the mock and for TDMQ: create a queue, read its attributes, send, receive,
//! list and delete. The handles pick the API: against TDMQ
//! (`https://cmq-gz.public.tencenttdmq.com`) the queue is managed over Tencent Cloud API 3.0
//! (`CreateCmqQueue`, `DescribeCmqQueueDetail`, …, at `tdmq.tencentcloudapi.com`, region
//! `ap-guangzhou` from the host) and messages travel over API 2.0; against `cmq-mock` or a legacy
//! host everything is API 2.0. The code does not change.
//!
//! ```text
//! cargo run -p cmq-mock &                      # serves http://127.0.0.1:8641
//! cargo run -p cmq-sdk --example manage_queue
//! CMQ_ENDPOINT=https://cmq-gz.public.tencenttdmq.com cargo run -p cmq-sdk --example manage_queue
//! ```
//!
//! Environment: `CMQ_ENDPOINT` (default `http://127.0.0.1:8641`), optional `CMQ_REGION` (API 3.0
//! region for an endpoint that does not name one), `TENCENTCLOUD_SECRET_ID` and
//! `TENCENTCLOUD_SECRET_KEY` (default: the mock's default account). Exits non-zero on failure.

use std::error::Error as StdError;

use cmq_sdk::handles::QueueSettings;
use cmq_sdk::{Client, Credentials};
use futures_util::TryStreamExt;

type Result<T> = std::result::Result<T, Box<dyn StdError>>;

fn connect() -> Result<Client> {
    let var = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_owned());
    let endpoint = var("CMQ_ENDPOINT", "http://127.0.0.1:8641");
    let id = var("TENCENTCLOUD_SECRET_ID", "AKIDcmqmockdefault");
    let key = var("TENCENTCLOUD_SECRET_KEY", "cmq-mock-default-secret-key");
    let mut b = Client::builder()
        .endpoint(endpoint)
        .credentials(Credentials::new(id, key));
    if let Ok(region) = std::env::var("CMQ_REGION") {
        b = b.region(region);
    }
    Ok(b.build()?)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    match example().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn example() -> Result<()> {
    let client = connect()?;
    println!("managing over {:?}", client.management_api());
    let name = format!("ex-manage-{:08x}", fastrand::u32(..));
    let queue = client.queue(name.clone());
    let settings = QueueSettings::new()
        .visibility_timeout(30)
        .polling_wait_seconds(0);
    let id = queue.create_with(settings).await?;
    println!("created {name} ({id})");

    let outcome = async {
        let a = queue.attributes().await?;
        println!(
            "visibility {} s, max size {} bytes, created at {} (Unix s)",
            a.visibility_timeout, a.max_msg_size, a.create_time
        );
        queue.send("hello").await?;
        if let Some(m) = queue.receive(Some(1)).await? {
            println!("received {:?}", m.body);
            queue.delete_message(&m.receipt_handle).await?;
        }
        let listed: Vec<_> = client.list_queues(Some(&name)).try_collect().await?;
        if !listed.iter().any(|q| q.queue_name == name) {
            return Err(format!("{name} is not listed").into());
        }
        Ok::<_, Box<dyn StdError>>(())
    }
    .await;

    queue.delete().await?;
    println!("deleted {name}");
    outcome?;
    println!("manage_queue: OK");
    Ok(())
}
