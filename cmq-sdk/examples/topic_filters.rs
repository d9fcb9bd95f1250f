//! Topics and filters: tag filtering (filterType 1) and routing keys (filterType 2), with
//! queue subscriptions that collect what each subscriber receives.
//!
//! ```text
//! cargo run -p cmq-mock &                      # serves http://127.0.0.1:8641
//! cargo run -p cmq-sdk --example topic_filters
//! ```
//!
//! Environment: `CMQ_ENDPOINT` (default `http://127.0.0.1:8641`), `TENCENTCLOUD_SECRET_ID` and
//! `TENCENTCLOUD_SECRET_KEY` (default: the mock's default account). Exits non-zero on failure.

use std::error::Error as StdError;
use std::time::{Duration, Instant};

use cmq_sdk::generated::ops::{CreateTopicInput, SetSubscriptionAttributesInput};
use cmq_sdk::generated::types::NotifyStrategy;
use cmq_sdk::{Client, Credentials, Queue, SubscriptionSpec, Topic};
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

/// Everything a queue receives within `patience` (deleting what it reads), sorted.
async fn drain(queue: &Queue, expected: usize, patience: Duration) -> Result<Vec<String>> {
    let mut got = Vec::new();
    let deadline = Instant::now() + patience;
    while got.len() < expected && Instant::now() < deadline {
        let msgs = queue.batch_receive(16, Some(1)).await?;
        if !msgs.is_empty() {
            let report = queue
                .batch_delete(msgs.iter().map(|m| m.receipt_handle.clone()))
                .await?;
            ensure(
                report.is_complete(),
                format!("could not delete {:?}", report.failed),
            )?;
        }
        got.extend(msgs.into_iter().map(|m| m.body));
    }
    // Nothing more should arrive.
    if let Some(extra) = queue.receive(Some(1)).await? {
        return Err(format!("{} received an unexpected {:?}", queue.name(), extra.body).into());
    }
    got.sort();
    Ok(got)
}

struct Resources {
    topics: Vec<Topic>,
    queues: Vec<Queue>,
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
    let mut res = Resources {
        topics: Vec::new(),
        queues: Vec::new(),
    };
    let outcome = run(&client, &tag, &mut res).await;

    // Clean up whatever was created: subscriptions first, then topics, then queues.
    let mut cleanup_failed = false;
    for t in &res.topics {
        let subs: Vec<_> = t.subscriptions().try_collect().await.unwrap_or_default();
        for s in subs {
            if let Err(e) = t.subscription(&s.subscription_name).unsubscribe().await {
                eprintln!("could not unsubscribe {}: {e}", s.subscription_name);
                cleanup_failed = true;
            }
        }
        match t.delete().await {
            Ok(()) => println!("deleted topic {}", t.name()),
            Err(e) => {
                eprintln!("could not delete topic {}: {e}", t.name());
                cleanup_failed = true;
            }
        }
    }
    for q in &res.queues {
        match q.delete().await {
            Ok(()) => println!("deleted queue {}", q.name()),
            Err(e) => {
                eprintln!("could not delete queue {}: {e}", q.name());
                cleanup_failed = true;
            }
        }
    }
    outcome?;
    ensure(!cleanup_failed, "clean-up failed")?;
    println!("topic_filters: OK");
    Ok(())
}

async fn run(client: &Client, tag: &str, res: &mut Resources) -> Result<()> {
    let patience = Duration::from_secs(10);

    // ---- Tags (filterType 1): a subscription with tags receives only messages sharing one.
    let tags = client.topic(format!("ex-tags-{tag}"));
    tags.create().await?;
    res.topics.push(tags.clone());
    let only_a = client.queue(format!("ex-tags-a-{tag}"));
    let everything = client.queue(format!("ex-tags-all-{tag}"));
    for q in [&only_a, &everything] {
        q.create().await?;
        res.queues.push(q.clone());
    }
    let sub_a = tags
        .subscribe(
            "only-a",
            SubscriptionSpec::queue(only_a.name()).filter_tags(["a"]),
        )
        .await?;
    let sub_all = tags
        .subscribe_queue("everything", everything.name())
        .await?;
    println!(
        "topic {}: subscriptions {} (tag a -> {}) and {} (no tags -> {})",
        tags.name(),
        sub_a.name(),
        only_a.name(),
        sub_all.name(),
        everything.name()
    );
    tags.publish_with_tags("tagged a", ["a"]).await?;
    tags.publish_with_tags("tagged b", ["b"]).await?;
    tags.publish_with_tags("tagged a and c", ["a", "c"]).await?;
    tags.publish("untagged").await?;
    println!("published 4 messages (tags a, b, a+c, none)");

    let got_a = drain(&only_a, 2, patience).await?;
    println!("{} received {got_a:?}", only_a.name());
    ensure(
        got_a == ["tagged a", "tagged a and c"],
        "the tag-a subscription should get exactly the messages tagged a",
    )?;
    let got_all = drain(&everything, 4, patience).await?;
    println!("{} received {got_all:?}", everything.name());
    ensure(
        got_all.len() == 4,
        "the subscription without tags should get every message",
    )?;

    // Subscription attributes; clearing the tags makes it receive everything.
    let attrs = sub_a.attributes().await?;
    println!(
        "{}: protocol {}, endpoint {}, strategy {}, format {}, tags {:?}",
        sub_a.name(),
        attrs.protocol,
        attrs.endpoint,
        attrs.notify_strategy,
        attrs.notify_content_format,
        attrs.filter_tags
    );
    ensure(
        attrs.endpoint == only_a.name(),
        "the endpoint should be the queue name",
    )?;
    sub_a
        .set_attributes(
            SetSubscriptionAttributesInput::new().notify_strategy(NotifyStrategy::BackoffRetry),
        )
        .await?;
    sub_a.clear_filter_tags().await?;
    println!("cleared the tags of {}", sub_a.name());
    tags.publish_with_tags("tagged b again", ["b"]).await?;
    let got_a = drain(&only_a, 1, patience).await?;
    ensure(
        got_a == ["tagged b again"],
        format!("after clearing, got {got_a:?}"),
    )?;
    drain(&everything, 1, patience).await?;
    println!("{} now receives every message: {got_a:?}", only_a.name());

    let listed: Vec<String> = tags
        .subscriptions()
        .map_ok(|s| s.subscription_name)
        .try_collect()
        .await?;
    println!("subscriptions of {}: {listed:?}", tags.name());
    ensure(listed.len() == 2, "the topic should list 2 subscriptions")?;

    // ---- Routing (filterType 2): binding keys with `*` (one word) and `#` (zero or more).
    let routed = client.topic(format!("ex-routes-{tag}"));
    routed
        .create_with(CreateTopicInput::new().filter_type(2))
        .await?;
    res.topics.push(routed.clone());
    let created = client.queue(format!("ex-routes-created-{tag}"));
    let all_orders = client.queue(format!("ex-routes-orders-{tag}"));
    for q in [&created, &all_orders] {
        q.create().await?;
        res.queues.push(q.clone());
    }
    routed
        .subscribe(
            "order-star",
            SubscriptionSpec::queue(created.name()).binding_keys(["order.*"]),
        )
        .await?;
    routed
        .subscribe(
            "order-hash",
            SubscriptionSpec::queue(all_orders.name()).binding_keys(["order.#"]),
        )
        .await?;
    println!("topic {}: bindings order.* and order.#", routed.name());
    routed
        .publish_with_routing_key("order created", "order.created")
        .await?;
    routed
        .publish_with_routing_key("order created in eu", "order.created.eu")
        .await?;
    routed
        .batch_publish_with_routing_key(["order paid 1", "order paid 2"], "order.paid")
        .await?;
    println!("published 4 messages with routing keys");
    let star = drain(&created, 3, patience).await?;
    println!("order.* received {star:?}");
    ensure(
        star == ["order created", "order paid 1", "order paid 2"],
        "order.* matches exactly one word after `order.`",
    )?;
    let hash = drain(&all_orders, 4, patience).await?;
    println!("order.# received {hash:?}");
    ensure(hash.len() == 4, "order.# matches every order message")?;

    // A message no subscription matches is not delivered: code 6030.
    match routed
        .publish_with_routing_key("nobody", "invoice.created")
        .await
    {
        Err(e) if e.code() == Some(6030) => println!("unmatched routing key: {e}"),
        other => return Err(format!("expected code 6030, got {other:?}").into()),
    }
    Ok(())
}
