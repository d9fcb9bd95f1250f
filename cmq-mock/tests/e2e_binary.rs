//! End to end: the standalone `cmq-mock` binary. Each test starts the built binary on
//! `127.0.0.1:0`, reads its stdout up to the `listening on http://ADDR` line, talks to it with the
//! SDK or raw HTTP, and stops it with a signal (sent with the `kill` command).

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use cmq_sdk::generated::ops::PublishMessageInput;
use cmq_sdk::retry::RetryPolicy;
use cmq_sdk::{Client, Credentials, Error, ErrorId};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_cmq-mock");
const START_TIMEOUT: Duration = Duration::from_secs(20);
const EXIT_TIMEOUT: Duration = Duration::from_secs(10);

/// A running `cmq-mock` process.
struct Proc {
    child: Child,
    endpoint: String,
    /// Every stdout line up to and including the `listening on` line.
    banner: Vec<String>,
    lines: Receiver<String>,
    /// Its stderr, line by line.
    errors: Receiver<String>,
}

impl Drop for Proc {
    fn drop(&mut self) {
        // A failing test must not leave the process behind.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn spawn(args: &[&str]) -> Child {
    Command::new(BIN)
        .args(args)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn cmq-mock")
}

/// Forwards the lines of a pipe to a channel from a thread.
fn lines_of(pipe: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Starts the binary with `--listen 127.0.0.1:0` and `args`; returns once it printed its address.
fn start(args: &[&str]) -> Proc {
    let mut all = vec!["--listen", "127.0.0.1:0"];
    all.extend_from_slice(args);
    let mut child = spawn(&all);
    let lines = lines_of(child.stdout.take().expect("stdout"));
    let errors = lines_of(child.stderr.take().expect("stderr"));
    let deadline = Instant::now() + START_TIMEOUT;
    let mut banner = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => {
                let found = line
                    .split("listening on ")
                    .nth(1)
                    .map(|rest| rest.trim().to_owned());
                banner.push(line);
                if let Some(endpoint) = found {
                    assert!(endpoint.starts_with("http://127.0.0.1:"), "{endpoint}");
                    assert!(!endpoint.ends_with(":0"), "{endpoint}");
                    return Proc {
                        child,
                        endpoint,
                        banner,
                        lines,
                        errors,
                    };
                }
            }
            Err(RecvTimeoutError::Timeout) => {
                let _ = child.kill();
                panic!("no `listening on` line within {START_TIMEOUT:?}; got {banner:?}");
            }
            Err(RecvTimeoutError::Disconnected) => {
                let status = child.wait().ok();
                panic!("cmq-mock exited ({status:?}) before listening; got {banner:?}");
            }
        }
    }
}

fn signal(child: &Child, sig: &str) {
    let status = Command::new("kill")
        .args([format!("-{sig}"), child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{sig} failed: {status:?}");
}

fn wait_exit(child: &mut Child) -> ExitStatus {
    let deadline = Instant::now() + EXIT_TIMEOUT;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "cmq-mock did not exit within {EXIT_TIMEOUT:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sends `sig`, expects a clean exit (status 0) and the `shutting down` line.
fn stop_with(mut p: Proc, sig: &str) {
    signal(&p.child, sig);
    let status = wait_exit(&mut p.child);
    assert_eq!(status.code(), Some(0), "{sig}: {status:?}");
    // The pipe closes when the process exits: read what is left until then.
    let mut rest = Vec::new();
    while let Ok(line) = p.lines.recv_timeout(EXIT_TIMEOUT) {
        rest.push(line);
    }
    assert!(rest.iter().any(|l| l.contains("shutting down")), "{rest:?}");
}

/// Runs the binary to completion (it must exit by itself); returns its status, stdout, stderr.
fn run_to_exit(args: &[&str]) -> (ExitStatus, String, String) {
    let mut child = spawn(args);
    let out = lines_of(child.stdout.take().expect("stdout"));
    let err = lines_of(child.stderr.take().expect("stderr"));
    let status = wait_exit(&mut child);
    let collect = |rx: Receiver<String>| {
        let mut v = Vec::new();
        while let Ok(l) = rx.recv_timeout(Duration::from_secs(2)) {
            v.push(l);
        }
        v.join("\n")
    };
    (status, collect(out), collect(err))
}

fn client(endpoint: &str, id: &str, key: &str) -> Client {
    Client::builder()
        .endpoint(endpoint)
        .credentials(Credentials::new(id, key))
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("client")
}

#[track_caller]
fn expect_code<T: std::fmt::Debug>(r: Result<T, Error>, e: ErrorId) {
    match r {
        Err(Error::Service(s)) => {
            assert_eq!(
                (s.code, s.module_code),
                (e.code(), Some(e.module())),
                "{s:?}"
            )
        }
        other => panic!("expected {e:?}, got {other:?}"),
    }
}

/// A file in the temp directory, removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, contents: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "cmq-mock-e2e-{}-{}-{name}",
            std::process::id(),
            fastrand::u64(..)
        ));
        std::fs::write(&path, contents).expect("write temp file");
        TempFile(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("utf-8 path")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

// -------------------------------------------------------------------------------------- tests

#[tokio::test]
async fn serves_signed_requests_and_stops_on_sigterm() {
    let p = start(&[]);
    assert!(
        p.banner
            .iter()
            .any(|l| l
                == "account: SecretId=AKIDcmqmockdefault SecretKey=cmq-mock-default-secret-key"),
        "{:?}",
        p.banner
    );
    assert!(
        p.banner.iter().any(|l| l.starts_with("cmq-mock ")),
        "{:?}",
        p.banner
    );
    let c = client(
        &p.endpoint,
        "AKIDcmqmockdefault",
        "cmq-mock-default-secret-key",
    );
    let q = c.queue("orders");
    let queue_id = q.create().await.expect("create");
    assert!(queue_id.starts_with("queue-"));
    let id = q.send("over the wire").await.expect("send");
    let m = q.receive(Some(0)).await.expect("receive").expect("message");
    assert_eq!(
        (m.msg_id, m.body.as_str(), m.dequeue_count),
        (id, "over the wire", 1)
    );
    q.delete_message(&m.receipt_handle).await.expect("delete");
    // A wrong key is refused.
    expect_code(
        client(&p.endpoint, "AKIDcmqmockdefault", "wrong")
            .queue("orders")
            .send("x")
            .await,
        ErrorId::AuthenticationFailed,
    );
    // Unsigned requests are refused with auth on (the default).
    let r = reqwest::Client::new()
        .post(format!("{}/v2/index.php", p.endpoint))
        .body("Action=ListQueue")
        .send()
        .await
        .expect("POST");
    let v: Value = serde_json::from_slice(&r.bytes().await.expect("body")).expect("JSON");
    assert_eq!(v["code"], 4100);
    // The admin API is there too.
    let r = reqwest::get(format!("{}/_mock/queues", p.endpoint))
        .await
        .expect("GET");
    let v: Value = serde_json::from_slice(&r.bytes().await.expect("body")).expect("JSON");
    assert_eq!(v, json!(["orders"]));
    stop_with(p, "TERM");
}

#[tokio::test]
async fn credentials_twice_make_two_isolated_accounts_and_sigint_stops_it() {
    let p = start(&[
        "--credentials",
        "AKIDfirst:first-key",
        "--credentials",
        "AKIDsecond:second:key:with:colons",
    ]);
    assert!(
        p.banner
            .iter()
            .any(|l| l == "account: SecretId=AKIDfirst SecretKey=first-key"),
        "{:?}",
        p.banner
    );
    let first = client(&p.endpoint, "AKIDfirst", "first-key");
    let second = client(&p.endpoint, "AKIDsecond", "second:key:with:colons");
    first.queue("q").create().await.expect("create");
    second
        .queue("q")
        .create()
        .await
        .expect("same name, other account");
    first.queue("q").send("one").await.expect("send");
    assert!(
        second
            .queue("q")
            .receive(Some(0))
            .await
            .expect("receive")
            .is_none()
    );
    assert_eq!(
        first.list_queue().send().await.expect("list").total_count,
        1
    );
    // The default account is gone when accounts are given.
    expect_code(
        client(
            &p.endpoint,
            "AKIDcmqmockdefault",
            "cmq-mock-default-secret-key",
        )
        .list_queue()
        .send()
        .await,
        ErrorId::SecretIdNotExist,
    );
    let r = reqwest::get(format!("{}/_mock/accounts", p.endpoint))
        .await
        .expect("GET");
    let v: Value = serde_json::from_slice(&r.bytes().await.expect("body")).expect("JSON");
    assert_eq!(v, json!(["AKIDfirst", "AKIDsecond"]));
    stop_with(p, "INT");
}

/// Every queue name of the client's account, in creation order.
async fn queue_names(c: &Client) -> Vec<String> {
    let list = c.list_queue().send().await.expect("list");
    list.queue_list.into_iter().map(|q| q.queue_name).collect()
}

/// The bodies of up to 16 visible messages of `queue`.
async fn bodies(c: &Client, queue: &str) -> Vec<String> {
    let got = c.queue(queue).batch_receive(16, Some(0)).await;
    got.expect("receive").into_iter().map(|m| m.body).collect()
}

#[tokio::test]
async fn config_file_creates_accounts_queues_topics_and_subscriptions() {
    let config = json!({
        "accounts": [
            {"secret_id": "AKIDcfgmain", "secret_key": "main-key"},
            {"secret_id": "AKIDcfgother", "secret_key": "other-key"}
        ],
        "queues": [
            {"queueName": "orders", "visibilityTimeout": 45, "pollingWaitSeconds": 3},
            {"queueName": "audit"},
            {"queueName": "elsewhere", "account": "AKIDcfgother"}
        ],
        "topics": [{"topicName": "events", "filterType": 2}],
        "subscriptions": [
            {"topicName": "events", "subscriptionName": "to-orders", "protocol": "queue",
             "endpoint": "orders", "bindingKey": ["order.#"]},
            {"topicName": "events", "subscriptionName": "to-audit", "protocol": "queue",
             "endpoint": "audit", "bindingKey": ["#"]}
        ]
    });
    let file = TempFile::new("config.json", &config.to_string());
    let p = start(&["--config", file.path()]);
    let c = client(&p.endpoint, "AKIDcfgmain", "main-key");
    let a = c.queue("orders").attributes().await.expect("attributes");
    assert_eq!((a.visibility_timeout, a.polling_wait_seconds), (45, 3));
    let names = queue_names(&c).await;
    assert_eq!(names, ["orders", "audit"]);
    assert_eq!(
        c.topic("events")
            .attributes()
            .await
            .expect("topic")
            .filter_type,
        2
    );
    c.execute(
        PublishMessageInput::new()
            .topic_name("events")
            .msg_body("created")
            .routing_key("order.created"),
    )
    .await
    .expect("publish");
    c.topic("events")
        .publish_with_routing_key("logged", "user.login")
        .await
        .expect("publish");
    assert_eq!(bodies(&c, "orders").await, ["created"]);
    assert_eq!(bodies(&c, "audit").await, ["created", "logged"]);
    let other = client(&p.endpoint, "AKIDcfgother", "other-key");
    let names = queue_names(&other).await;
    assert_eq!(names, ["elsewhere"]);
    stop_with(p, "TERM");
}

#[test]
fn a_bad_config_exits_with_status_2_and_says_why() {
    let not_json = TempFile::new("broken.json", "{\"queues\": [");
    let (status, _, err) = run_to_exit(&["--listen", "127.0.0.1:0", "--config", not_json.path()]);
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(
        err.contains("error:") && err.contains(not_json.path()),
        "{err}"
    );

    let unknown_key = TempFile::new("unknown.json", r#"{"queus": []}"#);
    let (status, _, err) =
        run_to_exit(&["--listen", "127.0.0.1:0", "--config", unknown_key.path()]);
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(err.contains("queus"), "{err}");

    let missing = std::env::temp_dir().join("cmq-mock-e2e-no-such-file.json");
    let missing = missing.to_str().expect("utf-8");
    let (status, _, err) = run_to_exit(&["--listen", "127.0.0.1:0", "--config", missing]);
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(
        err.contains("cannot read") && err.contains(missing),
        "{err}"
    );

    let (status, _, err) = run_to_exit(&["--listen", "127.0.0.1:0", "--credentials", "no-colon"]);
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(err.contains("ID:KEY"), "{err}");

    let (status, _, err) = run_to_exit(&["--listen", "127.0.0.1:0", "--auth", "maybe"]);
    assert_eq!(status.code(), Some(2), "{err}");

    // An id the service would refuse every time (4000/10450) is refused at start.
    let (status, _, err) =
        run_to_exit(&["--listen", "127.0.0.1:0", "--credentials", "test:secret"]);
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(err.contains("\"test\" does not start with AKID"), "{err}");
    assert!(!err.contains("secret\""), "the key is not printed: {err}");

    let (status, _, err) = run_to_exit(&["--listen", "127.0.0.1:0", "--max-memory", "lots"]);
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(err.contains("not a size"), "{err}");

    // A well-formed file whose resources the service refuses: the process fails and names it.
    let refused = TempFile::new(
        "refused.json",
        r#"{"queues": [{"queueName": "1-not-a-name"}]}"#,
    );
    let (status, _, err) = run_to_exit(&["--listen", "127.0.0.1:0", "--config", refused.path()]);
    assert_eq!(status.code(), Some(2), "{status:?}");
    assert!(
        err.contains("1-not-a-name") && err.contains("10020"),
        "{err}"
    );
}

#[tokio::test]
async fn auth_off_accepts_unsigned_requests() {
    let p = start(&["--auth", "off"]);
    let http = reqwest::Client::new();
    let post = |body: &'static str| {
        let http = http.clone();
        let url = format!("{}/v2/index.php", p.endpoint);
        async move {
            let r = http.post(url).body(body).send().await.expect("POST");
            assert_eq!(r.status().as_u16(), 200);
            serde_json::from_slice::<Value>(&r.bytes().await.expect("body")).expect("JSON")
        }
    };
    assert_eq!(post("Action=CreateQueue&queueName=load").await["code"], 0);
    assert_eq!(
        post("Action=SendMessage&queueName=load&msgBody=unsigned").await["code"],
        0
    );
    let v = post("Action=ReceiveMessage&queueName=load&pollingWaitSeconds=0").await;
    assert_eq!((&v["code"], &v["msgBody"]), (&json!(0), &json!("unsigned")));
    // GET works unsigned too, and a signed SDK client still works.
    let r = reqwest::get(format!("{}/?Action=ListQueue", p.endpoint))
        .await
        .expect("GET");
    let v: Value = serde_json::from_slice(&r.bytes().await.expect("body")).expect("JSON");
    assert_eq!(v["totalCount"], 1);
    let c = client(&p.endpoint, "AKIDanything", "any-key");
    assert_eq!(c.list_queue().send().await.expect("list").total_count, 1);
    stop_with(p, "TERM");
}

#[tokio::test]
async fn manual_clock_moves_only_through_the_admin_api() {
    let p = start(&["--manual-clock", "--relaxed"]);
    let c = client(
        &p.endpoint,
        "AKIDcmqmockdefault",
        "cmq-mock-default-secret-key",
    );
    let q = c.queue("q");
    q.create().await.expect("create");
    q.send_delayed("later", 3600).await.expect("send");
    assert!(q.receive(Some(0)).await.expect("receive").is_none());
    let http = reqwest::Client::new();
    let r = http
        .post(format!("{}/_mock/clock", p.endpoint))
        .header("content-type", "application/json")
        .body(r#"{"advance_ms": 3600000}"#)
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status().as_u16(), 200);
    let v: Value = serde_json::from_slice(&r.bytes().await.expect("body")).expect("JSON");
    assert_eq!(v["manual"], true);
    // An hour of virtual time later, the SDK (signing with wall-clock time) still gets in.
    let m = q
        .receive(Some(0))
        .await
        .expect("receive")
        .expect("visible now");
    assert_eq!(m.body, "later");
    // Relaxed: the name can be re-used at once.
    q.delete().await.expect("delete");
    q.create().await.expect("no re-create block when relaxed");
    stop_with(p, "INT");
}

/// `--profile legacy` refuses `a_b` as a queue name and a 3601 s delay; the default profile
/// (tdmq) accepts both; `--allow-https-endpoints` lets `https://` subscriptions in. The banner
/// names the profile.
#[tokio::test]
async fn profile_flag_sets_the_service_generation() {
    let http = reqwest::Client::new();
    let post = |endpoint: String, body: &'static str| {
        let http = http.clone();
        async move {
            let url = format!("{endpoint}/v2/index.php");
            let r = http.post(url).body(body).send().await.expect("POST");
            serde_json::from_slice::<Value>(&r.bytes().await.expect("body")).expect("JSON")
        }
    };
    let create = "Action=CreateQueue&queueName=a_b";
    let create_legacy_name = "Action=CreateQueue&queueName=a-b";
    let send = "Action=SendMessage&queueName=a-b&msgBody=x&delaySeconds=3601";
    let create_topic = "Action=CreateTopic&topicName=t";
    let https = "Action=Subscribe&topicName=t&subscriptionName=s&protocol=http&endpoint=https%3A%2F%2Fexample.com%2F";
    for (args, legacy, https_ok) in [
        (&["--auth", "off", "--profile", "legacy"][..], true, false),
        (&["--auth", "off"][..], false, false),
        (
            &["--auth", "off", "--allow-https-endpoints"][..],
            false,
            true,
        ),
    ] {
        let p = start(args);
        let profile = if legacy { "legacy" } else { "tdmq" };
        assert!(
            p.banner
                .iter()
                .any(|l| l.contains(&format!("profile {profile}"))),
            "{:?}",
            p.banner
        );
        let e = p.endpoint.clone();
        let v = post(e.clone(), create).await;
        if legacy {
            let name_error = ErrorId::QueueNameFormat;
            assert_eq!(v["code"], name_error.code(), "{v}");
            assert_eq!(
                v["message"],
                format!("({}){}", name_error.module(), name_error.message())
            );
        } else {
            assert_eq!(v["code"], 0, "{v}");
        }
        assert_eq!(post(e.clone(), create_legacy_name).await["code"], 0);
        let v = post(e.clone(), send).await;
        let delay_error = ErrorId::DelaySecondsOutOfRange;
        assert_eq!(
            v["code"],
            if legacy { delay_error.code() } else { 0 },
            "{v}"
        );
        if legacy {
            let module = format!("({})", delay_error.module());
            assert!(
                v["message"]
                    .as_str()
                    .is_some_and(|m| m.starts_with(&module)),
                "{v}"
            );
        }
        assert_eq!(post(e.clone(), create_topic).await["code"], 0);
        let v = post(e.clone(), https).await;
        let https_error = ErrorId::EndpointFormatError;
        assert_eq!(
            v["code"],
            if https_ok { 0 } else { https_error.code() },
            "{v}"
        );
        stop_with(p, "TERM");
    }
}

/// Waits until the mock's admin API says `n` receives are waiting.
async fn until_waiting(endpoint: &str, n: u64) {
    let started = Instant::now();
    loop {
        let r = reqwest::get(format!("{endpoint}/_mock/stats"))
            .await
            .expect("GET");
        let v: Value = serde_json::from_slice(&r.bytes().await.expect("body")).expect("JSON");
        if v["waitingReceives"] == n {
            return;
        }
        assert!(started.elapsed() < START_TIMEOUT, "no waiting receive: {v}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn sigterm_answers_a_pending_long_poll_with_7000() {
    let p = start(&["--manual-clock"]);
    let c = client(
        &p.endpoint,
        "AKIDcmqmockdefault",
        "cmq-mock-default-secret-key",
    );
    c.queue("q").create().await.expect("create");
    let poll = tokio::spawn(async move { c.queue("q").receive(Some(30)).await });
    until_waiting(&p.endpoint, 1).await;
    // The manual clock never moves: only the shutdown ends the poll, with "no message".
    signal(&p.child, "TERM");
    let got = poll.await.expect("the poll task");
    assert!(matches!(got, Ok(None)), "{got:?}");
    let mut p = p;
    assert_eq!(wait_exit(&mut p.child).code(), Some(0));
}

#[tokio::test]
async fn auth_off_warns_and_admin_can_be_turned_off_or_locked() {
    let p = start(&["--auth", "off", "--admin", "off"]);
    let warning = p
        .errors
        .recv_timeout(START_TIMEOUT)
        .expect("a warning on stderr");
    assert!(warning.starts_with("WARNING: --auth off"), "{warning}");
    assert!(p.banner.iter().any(|l| l == "admin: off"), "{:?}", p.banner);
    let r = reqwest::get(format!("{}/_mock/queues", p.endpoint))
        .await
        .expect("GET");
    assert_eq!(r.status().as_u16(), 404);
    stop_with(p, "TERM");

    let p = start(&["--admin-token", "tok"]);
    let url = format!("{}/_mock/queues", p.endpoint);
    let r = reqwest::get(&url).await.expect("GET");
    assert_eq!(r.status().as_u16(), 401);
    let r = reqwest::Client::new()
        .get(&url)
        .bearer_auth("tok")
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status().as_u16(), 200);
    stop_with(p, "TERM");
}

#[test]
fn a_closed_stdout_does_not_crash_the_shutdown() {
    let mut child = spawn(&["--listen", "127.0.0.1:0"]);
    let stdout = child.stdout.take().expect("stdout");
    let mut reader = BufReader::new(stdout);
    let mut line = String::new();
    while !line.contains("listening on") {
        line.clear();
        let n = reader.read_line(&mut line).expect("read");
        assert!(n > 0, "exited before listening");
    }
    // Whoever started it stops reading; its last line then goes to a closed pipe.
    drop(reader);
    signal(&child, "TERM");
    assert_eq!(wait_exit(&mut child).code(), Some(0));
}
