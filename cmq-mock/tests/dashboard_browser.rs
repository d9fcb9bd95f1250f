//! The dashboard in a real browser: headless Chromium driven over chromedriver (fantoccini),
//! each test with its own mock on a random port and its own chromedriver on a free port.
//!
//! Ignored by a plain `cargo test` (they need a browser); `.ci/run` installs Debian's
//! `chromium` and `chromium-driver` and runs them:
//!
//! ```sh
//! cargo test -p cmq-mock --test dashboard_browser -- --ignored --test-threads=1
//! ```
//!
//! `CHROMEDRIVER` and `CHROMIUM` override the paths (default `/usr/bin/chromedriver` and
//! `/usr/bin/chromium`). Without them a test **fails** and says what to install: it never
//! passes without a browser. Every wait polls the page until a condition holds or a 20 s
//! deadline passes (no fixed sleep decides anything). Each view is saved as a screenshot under
//! `target/dashboard-screenshots/` for people to look at.

mod common;
use common::*;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cmq_mock::{CmqMock, CmqMockBuilder, ErrorId, FaultEffect, FaultRule};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

/// How long any condition may take to show in the page.
const DEADLINE: Duration = Duration::from_secs(20);
/// How often a waiting test looks at the page again.
const POLL: Duration = Duration::from_millis(50);

fn tool(var: &str, default: &str) -> PathBuf {
    let path = std::env::var_os(var).map_or_else(|| PathBuf::from(default), PathBuf::from);
    if !path.exists() {
        panic!(
            "\n\n*** BROWSER TEST CANNOT RUN: {} not found ({var} unset or wrong). ***\n\
             Install Chromium and its driver (Debian: sudo apt-get install -y chromium chromium-driver)\n\
             or point {var} at them. This test fails instead of passing without a browser.\n",
            path.display()
        );
    }
    path
}

/// A chromedriver process and a session of headless Chromium; both end when it is dropped.
struct Browser {
    client: Client,
    driver: Child,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on loopback")
}

async fn browser() -> Browser {
    let driver_path = tool("CHROMEDRIVER", "/usr/bin/chromedriver");
    let chromium = tool("CHROMIUM", "/usr/bin/chromium");
    let port = free_port();
    let mut driver = Command::new(&driver_path)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", driver_path.display()));
    let caps: serde_json::Map<String, Value> = serde_json::from_value(json!({
        "goog:chromeOptions": {
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--window-size=1400,1000"],
        }
    }))
    .expect("capabilities");
    let url = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    // chromedriver needs a moment to listen: retry the session until the deadline.
    let client = loop {
        let mut builder = ClientBuilder::new(HttpConnector::new());
        match builder.capabilities(caps.clone()).connect(&url).await {
            Ok(c) => break c,
            Err(e) if started.elapsed() < DEADLINE => {
                if let Ok(Some(status)) = driver.try_wait() {
                    panic!("chromedriver exited ({status}) before a session started: {e}");
                }
                tokio::time::sleep(POLL).await;
            }
            Err(e) => {
                let _ = driver.kill();
                panic!("no browser session through chromedriver within {DEADLINE:?}: {e}");
            }
        }
    };
    Browser { client, driver }
}

/// Runs `script` (with `args`) in the page until it returns something `accept` takes, within
/// the deadline; panics with `what` and the last value otherwise.
async fn until(
    c: &Client,
    what: &str,
    script: &str,
    args: Vec<Value>,
    accept: impl Fn(&Value) -> bool,
) -> Value {
    let started = Instant::now();
    loop {
        let v = c.execute(script, args.clone()).await.unwrap_or(Value::Null);
        if accept(&v) {
            return v;
        }
        if started.elapsed() > DEADLINE {
            panic!("the page never showed {what} within {DEADLINE:?}; last seen: {v}");
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Waits until the text of the element `css` satisfies `accept`; returns it.
async fn text_until(c: &Client, css: &str, accept: impl Fn(&str) -> bool) -> String {
    let v = until(
        c,
        css,
        "const e = document.querySelector(arguments[0]); return e ? e.textContent.trim() : null;",
        vec![json!(css)],
        |v| v.as_str().is_some_and(&accept),
    )
    .await;
    v.as_str().unwrap_or_default().to_owned()
}

/// Waits until the text of `css` is exactly `want`.
async fn text_is(c: &Client, css: &str, want: &str) {
    text_until(c, css, |t| t == want).await;
}

/// Waits until the text of `css` contains `part`.
async fn text_has(c: &Client, css: &str, part: &str) -> String {
    text_until(c, css, |t| t.contains(part)).await
}

/// Opens the dashboard of `mock` at `view` in a fresh document (a hash change alone would keep
/// the previous view's state) and waits until that view showed the mock's data.
async fn open(c: &Client, mock: &CmqMock, view: &str) {
    let url = mock.dashboard_url().expect("the dashboard is on");
    c.goto("about:blank").await.expect("blank page");
    c.goto(&format!("{url}#{view}")).await.expect("page loads");
    let shown = view.split('/').next().unwrap_or(view);
    until(
        c,
        "a first refresh",
        "return document.body.dataset.loaded || null;",
        vec![],
        |v| v.as_str() == Some(shown),
    )
    .await;
}

fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"),
        PathBuf::from,
    );
    target.join("dashboard-screenshots")
}

async fn screenshot(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("a screenshot");
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
    let dir = screenshot_dir();
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    std::fs::write(dir.join(format!("{name}.png")), png).expect("screenshot written");
}

async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("cannot click {css}: {e}"));
}

async fn type_into(c: &Client, css: &str, text: &str) {
    let e = c
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"));
    e.clear().await.expect("clear");
    e.send_keys(text).await.expect("type");
}

fn seeded(b: CmqMockBuilder) -> CmqMockBuilder {
    b.queue("orders")
        .queue("orders-dlq")
        .queue_with(json!({
            "queueName": "payments",
            "deadLetterPolicy": "{\"deadLetterQueue\":\"orders-dlq\",\"policy\":0,\"maxReceiveCount\":3}"
        }))
        .topic_with(json!({"topicName": "events", "filterType": 1}))
        .subscription_with(json!({
            "topicName": "events", "subscriptionName": "red-orders", "protocol": "queue",
            "endpoint": "orders", "filterTag": ["red"]
        }))
        .topic_with(json!({"topicName": "routes", "filterType": 2}))
        .subscription_with(json!({
            "topicName": "routes", "subscriptionName": "webhook", "protocol": "http",
            "endpoint": "http://127.0.0.1:9/hook", "bindingKey": ["order.*"]
        }))
}

const ROW: &str = "#queues-table tr[data-queue='orders']";

#[tokio::test]
#[ignore = "needs chromium and chromedriver (.ci/run installs them; run with --ignored)"]
async fn every_view_renders_the_seeded_state() {
    let (mock, t0) = mock_with(seeded).await;
    let sdk = client(&mock);
    let orders = sdk.queue("orders");
    orders.send("first order").await.expect("send");
    orders.send(&"x".repeat(600)).await.expect("send");
    orders.send_delayed("later", 600).await.expect("send");
    let got = orders.receive(Some(0)).await.expect("receive");
    assert!(got.is_some());
    sdk.topic("events")
        .publish_with_tags("red event", ["red"])
        .await
        .expect("publish");
    sdk.topic("routes")
        .publish_with_routing_key("to the hook", "order.new")
        .await
        .expect("publish");
    mock.faults().add(FaultRule::new(
        Some(cmq_mock::Action::DeleteQueue),
        Some(2),
        FaultEffect::Error {
            error: ErrorId::QueueNotExist,
            subject: None,
        },
    ));
    let b = browser().await;
    let c = &b.client;

    open(c, &mock, "queues").await;
    // orders: "first order" in flight, the long one and the fanned-out "red event" active, one delayed.
    text_is(c, &format!("{ROW} td[data-field='active']"), "2").await;
    text_is(c, &format!("{ROW} td[data-field='inactive']"), "1").await;
    text_is(c, &format!("{ROW} td[data-field='delayed']"), "1").await;
    text_is(c, &format!("{ROW} td[data-field='rewind']"), "0").await;
    text_is(
        c,
        "#queues-table tr[data-queue='payments'] td[data-field='dead-letter-queue']",
        "orders-dlq",
    )
    .await;
    text_is(
        c,
        "#queues-table tr[data-queue='orders-dlq'] td[data-field='dead-letter-sources']",
        "payments",
    )
    .await;
    text_has(c, "#clock-kind", "manual clock").await;
    let shown = until(
        c,
        "the mock's clock",
        "return Number(document.querySelector('#clock-now').dataset.ms);",
        vec![],
        |v| v.as_u64() == Some(t0 * 1000),
    )
    .await;
    assert_eq!(shown.as_u64(), Some(mock.clock().now_ms()));
    screenshot(c, "queues").await;

    open(c, &mock, "queue/orders").await;
    text_is(c, "#queue-counters tr[data-field='active'] td", "2").await;
    text_is(
        c,
        "#queue-attributes tr[data-field='visibilityTimeout'] td",
        "30",
    )
    .await;
    text_has(c, "#messages-table tbody", "red event").await;
    // A long body is cut to a preview and expands on demand, without receiving it.
    click(c, "#messages-table button.expand").await;
    text_has(c, "#messages-table tbody", &"x".repeat(600)).await;
    click(c, "#state-tabs button[data-state='inactive']").await;
    text_has(c, "#messages-table tbody", "first order").await;
    text_has(c, "#state-tabs button[data-state='delayed']", "(1)").await;
    let snap = mock.queue_snapshot("orders").expect("orders");
    assert_eq!(
        (snap.active.len(), snap.inactive.len(), snap.delayed.len()),
        (2, 1, 1),
        "looking changed nothing"
    );
    assert!(snap.inactive.iter().all(|m| m.dequeue_count == 1));
    screenshot(c, "queue").await;

    open(c, &mock, "topics").await;
    text_has(c, ".topic[data-topic='events'] h3", "tags").await;
    text_is(
        c,
        ".topic[data-topic='events'] tr[data-subscription='red-orders'] td[data-field='filter']",
        "tags: red",
    )
    .await;
    text_is(
        c,
        ".topic[data-topic='routes'] tr[data-subscription='webhook'] td[data-field='filter']",
        "binding keys: order.*",
    )
    .await;
    screenshot(c, "topics").await;

    open(c, &mock, "deliveries").await;
    // The webhook's port is closed: a failed first attempt with its retry time.
    text_has(c, "#deliveries-table tbody", "webhook").await;
    text_has(c, "#deliveries-table tbody", "failed").await;
    text_has(c, "#deliveries-table tbody", "enqueued as").await;
    screenshot(c, "deliveries").await;

    open(c, &mock, "faults").await;
    text_has(c, "#faults-table tbody", "answer QueueNotExist").await;
    text_has(c, "#faults-table tbody", "DeleteQueue").await;
    screenshot(c, "faults").await;
    b.client.clone().close().await.expect("session closes");
}

#[tokio::test]
#[ignore = "needs chromium and chromedriver (.ci/run installs them; run with --ignored)"]
async fn the_journal_shows_a_request_of_an_sdk_client() {
    let (mock, _) = mock_with(seeded).await;
    let sdk = client(&mock);
    sdk.queue("orders")
        .send("from the sdk")
        .await
        .expect("send");
    let missing = sdk.queue("nowhere").send("x").await;
    assert!(missing.is_err());
    let b = browser().await;
    let c = &b.client;
    open(c, &mock, "journal").await;
    text_has(c, "#journal-table tbody", "SendMessage").await;
    // Newest first: the failed send on top, with its code.
    text_is(
        c,
        "#journal-table tbody tr:first-child td[data-field='code']",
        "4440",
    )
    .await;
    click(c, "#journal-table tbody tr:nth-child(2)").await;
    text_has(
        c,
        "#journal-request tr[data-field='msgBody'] td",
        "from the sdk",
    )
    .await;
    text_is(c, "#journal-request tr[data-field='Signature'] td", "***").await;
    text_is(c, "#journal-answer tr[data-field='code'] td", "0").await;
    screenshot(c, "journal").await;
    // Filtered by code.
    type_into(c, "#filter-code", "4440").await;
    click(c, "#journal-filter button").await;
    until(
        c,
        "only the failed request",
        "return document.querySelectorAll('#journal-table tbody tr').length;",
        vec![],
        |v| v.as_u64() == Some(1),
    )
    .await;
    text_has(c, "#journal-table tbody", "nowhere").await;
    b.client.clone().close().await.expect("session closes");
}

#[tokio::test]
#[ignore = "needs chromium and chromedriver (.ci/run installs them; run with --ignored)"]
async fn a_message_sent_from_the_page_moves_the_counter() {
    let (mock, _) = mock_with(seeded).await;
    let b = browser().await;
    let c = &b.client;
    open(c, &mock, "queue/orders").await;
    text_is(c, "#queue-counters tr[data-field='active'] td", "0").await;
    type_into(c, "#send-body", "typed in the browser").await;
    click(c, "#send-button").await;
    text_is(c, "#queue-counters tr[data-field='active'] td", "1").await;
    text_has(c, "#messages-table tbody", "typed in the browser").await;
    text_has(c, "#status", "sent: msgId").await;
    let snap = mock.queue_snapshot("orders").expect("orders");
    assert_eq!(snap.active[0].body, "typed in the browser");

    // Publishing from the page fans out to the tag subscription's queue.
    open(c, &mock, "topics").await;
    c.find(Locator::Css("#publish-topic"))
        .await
        .expect("topic list")
        .select_by_value("events")
        .await
        .expect("select");
    type_into(c, "#publish-body", "published in the browser").await;
    type_into(c, "#publish-tags", "red").await;
    click(c, "#publish-button").await;
    text_has(c, "#status", "published: msgId").await;
    open(c, &mock, "queues").await;
    text_is(c, &format!("{ROW} td[data-field='active']"), "2").await;
    b.client.clone().close().await.expect("session closes");
}

#[tokio::test]
#[ignore = "needs chromium and chromedriver (.ci/run installs them; run with --ignored)"]
async fn advancing_the_manual_clock_from_the_page_makes_a_delayed_message_active() {
    let (mock, t0) = mock_with(seeded).await;
    client(&mock)
        .queue("orders")
        .send_delayed("wait for it", 90)
        .await
        .expect("send");
    let b = browser().await;
    let c = &b.client;
    open(c, &mock, "queue/orders").await;
    text_is(c, "#queue-counters tr[data-field='delayed'] td", "1").await;
    text_is(c, "#queue-counters tr[data-field='active'] td", "0").await;
    type_into(c, "#clock-amount", "90").await;
    c.find(Locator::Css("#clock-unit"))
        .await
        .expect("unit")
        .select_by_value("1000")
        .await
        .expect("seconds");
    click(c, "#clock-advance").await;
    text_is(c, "#queue-counters tr[data-field='active'] td", "1").await;
    text_is(c, "#queue-counters tr[data-field='delayed'] td", "0").await;
    assert_eq!(mock.clock().now_ms(), (t0 + 90) * 1000);
    text_has(c, "#messages-table tbody", "wait for it").await;
    b.client.clone().close().await.expect("session closes");
}

#[tokio::test]
#[ignore = "needs chromium and chromedriver (.ci/run installs them; run with --ignored)"]
async fn faults_armed_and_cleared_from_the_page_reach_clients() {
    let (mock, _) = mock_with(seeded).await;
    let b = browser().await;
    let c = &b.client;
    open(c, &mock, "faults").await;
    type_into(c, "#fault-action", "SendMessage").await;
    type_into(c, "#fault-value", "QueueFull").await;
    type_into(c, "#fault-times", "1").await;
    click(c, "#fault-arm").await;
    text_has(c, "#faults-table tbody", "answer QueueFull").await;
    let sdk = client(&mock);
    let err = sdk
        .queue("orders")
        .send("x")
        .await
        .expect_err("the fault answers");
    assert_eq!(err.code(), Some(ErrorId::QueueFull.code()));
    // Used up: the list empties by itself.
    text_has(c, "#faults-empty", "No fault armed").await;
    until(
        c,
        "the empty note",
        "return document.querySelector('#faults-empty').hidden;",
        vec![],
        |v| v == &json!(false),
    )
    .await;
    type_into(c, "#fault-times", "").await;
    click(c, "#fault-arm").await;
    text_has(c, "#faults-table tbody", "until cleared").await;
    assert!(mock.faults().is_armed());
    click(c, "#faults-clear").await;
    until(
        c,
        "no fault",
        "return document.querySelectorAll('#faults-table tbody tr').length;",
        vec![],
        |v| v.as_u64() == Some(0),
    )
    .await;
    assert!(!mock.faults().is_armed());
    b.client.clone().close().await.expect("session closes");
}

#[tokio::test]
#[ignore = "needs chromium and chromedriver (.ci/run installs them; run with --ignored)"]
async fn with_an_admin_token_the_page_asks_for_it() {
    let (mock, _) = mock_with(|b| seeded(b).admin_token("s3cret")).await;
    let b = browser().await;
    let c = &b.client;
    let url = mock.dashboard_url().expect("on");
    c.goto(&format!("{url}#queues")).await.expect("page loads");
    until(
        c,
        "the token form",
        "return document.querySelector('#token-form').hidden;",
        vec![],
        |v| v == &json!(false),
    )
    .await;
    type_into(c, "#token", "wrong").await;
    click(c, "#token-form button").await;
    text_has(c, "#status", "token").await;
    type_into(c, "#token", "s3cret").await;
    click(c, "#token-form button").await;
    text_is(c, &format!("{ROW} td[data-field='active']"), "0").await;
    let kept = c
        .execute(
            "return sessionStorage.getItem('cmq-mock-admin-token');",
            vec![],
        )
        .await
        .expect("script");
    assert_eq!(kept, json!("s3cret"));
    b.client.clone().close().await.expect("session closes");
}
