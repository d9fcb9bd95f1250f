//! Crash harness: the real `cmq-mock` binary with `--data-dir` (auth off), 8 producers sending
//! and 4 consumers receiving and deleting over HTTP, killed with SIGKILL at a random moment,
//! restarted on the same directory, checked, and again, round after round:
//!
//! * every acknowledged send is there, unless a delete of it was attempted;
//! * no acknowledged delete is back;
//! * every message a consumer received is there or was deleted (a consumer never acts on a
//!   message whose send could still be lost);
//! * nothing is there that was never sent; the queues' attributes and dead-letter binding are
//!   intact.
//!
//! `cargo test -p cmq-mock --test persist_crash` runs 3 kills. The long mode runs more:
//! `CMQ_CRASH_KILLS=20` (CI runs it). `CMQ_CRASH_SEED` replays a run (the seed is printed);
//! `CMQ_CRASH_BIN` tests another build of the binary (e.g. `target/release/cmq-mock`).

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

const QUEUE: &str = "crash";
const DLQ: &str = "crash-dlq";
const PRODUCERS: usize = 8;
const CONSUMERS: usize = 4;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

// ------------------------------------------------------------------------------ the process

/// A running `cmq-mock` and its address.
struct Mock {
    child: Child,
    addr: String,
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn binary() -> PathBuf {
    std::env::var_os("CMQ_CRASH_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_cmq-mock")))
}

/// Starts the binary on `dir` and waits for its `listening on` line.
fn start(dir: &Path) -> Mock {
    let mut child = Command::new(binary())
        .args(["--data-dir"])
        .arg(dir)
        .args(["--auth", "off", "--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "error")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn cmq-mock");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(addr) = line.split("listening on http://").nth(1) {
                let _ = tx.send(addr.trim().to_owned());
            }
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("cmq-mock did not start (is the data directory refused?)");
    Mock { child, addr }
}

// ------------------------------------------------------------------------------ HTTP

/// One keep-alive HTTP/1.1 connection, blocking.
struct Http {
    stream: BufReader<TcpStream>,
    host: String,
}

impl Http {
    fn connect(addr: &str) -> std::io::Result<Self> {
        let s = TcpStream::connect(addr)?;
        s.set_nodelay(true)?;
        s.set_read_timeout(Some(Duration::from_secs(30)))?;
        Ok(Self {
            stream: BufReader::new(s),
            host: addr.to_owned(),
        })
    }

    fn request(&mut self, method: &str, path: &str, body: &str) -> std::io::Result<Value> {
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
            self.host,
            body.len()
        );
        let s = self.stream.get_mut();
        s.write_all(head.as_bytes())?;
        s.write_all(body.as_bytes())?;
        let mut len = None;
        loop {
            let mut line = String::new();
            if self.stream.read_line(&mut line)? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            if line == "\r\n" {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    len = v.trim().parse::<usize>().ok();
                }
            }
        }
        let mut buf = vec![0; len.unwrap_or(0)];
        self.stream.read_exact(&mut buf)?;
        serde_json::from_slice(&buf).map_err(std::io::Error::other)
    }

    /// A CMQ action (form parameters already encoded).
    fn cmq(&mut self, form: &str) -> std::io::Result<Value> {
        self.request("POST", "/v2/index.php", form)
    }
}

fn code(v: &Value) -> i64 {
    v["code"].as_i64().unwrap_or(-1)
}

// ------------------------------------------------------------------------------ load

/// What the clients saw, across every round.
#[derive(Default)]
struct Ledger {
    sent: HashSet<String>,
    acked_sends: HashSet<String>,
    received: HashSet<String>,
    delete_attempted: HashSet<String>,
    acked_deletes: HashSet<String>,
}

type Shared = Arc<Mutex<Ledger>>;

fn ledger(l: &Shared) -> std::sync::MutexGuard<'_, Ledger> {
    l.lock().unwrap_or_else(|e| e.into_inner())
}

/// Sends until the connection breaks (the kill) or `stop`; every fourth call is a batch of 3.
fn producer(addr: String, round: usize, p: usize, l: Shared, stop: Arc<AtomicBool>) {
    let Ok(mut http) = Http::connect(&addr) else {
        return;
    };
    let mut n = 0usize;
    while !stop.load(Ordering::Relaxed) {
        let bodies: Vec<String> = (0..if n % 4 == 3 { 3 } else { 1 })
            .map(|i| format!("r{round}-p{p}-{n}-{i}"))
            .collect();
        n += 1;
        ledger(&l).sent.extend(bodies.iter().cloned());
        let form = if bodies.len() == 1 {
            format!("Action=SendMessage&queueName={QUEUE}&msgBody={}", bodies[0])
        } else {
            let list: String = (0..bodies.len())
                .map(|i| format!("&msgBody.{}={}", i + 1, bodies[i]))
                .collect();
            format!("Action=BatchSendMessage&queueName={QUEUE}{list}")
        };
        match http.cmq(&form) {
            Ok(v) if code(&v) == 0 => ledger(&l).acked_sends.extend(bodies),
            Ok(v) => panic!("send refused: {v}"),
            Err(_) => return,
        }
    }
}

/// Receives and deletes until the connection breaks or `stop`.
fn consumer(addr: String, l: Shared, stop: Arc<AtomicBool>) {
    let Ok(mut http) = Http::connect(&addr) else {
        return;
    };
    let mut seen = 0usize;
    while !stop.load(Ordering::Relaxed) {
        let form =
            format!("Action=BatchReceiveMessage&queueName={QUEUE}&numOfMsg=8&pollingWaitSeconds=1");
        let v = match http.cmq(&form) {
            Ok(v) => v,
            Err(_) => return,
        };
        let msgs = v["msgInfoList"].as_array().cloned().unwrap_or_default();
        for m in msgs {
            let body = m["msgBody"].as_str().unwrap_or_default().to_owned();
            let handle = m["receiptHandle"].as_str().unwrap_or_default().to_owned();
            seen += 1;
            ledger(&l).received.insert(body.clone());
            if seen % 5 == 0 {
                continue; // left in flight: it must come back, never be lost
            }
            ledger(&l).delete_attempted.insert(body.clone());
            let form = format!("Action=DeleteMessage&queueName={QUEUE}&receiptHandle={handle}");
            match http.cmq(&form) {
                Ok(v) if code(&v) == 0 => {
                    ledger(&l).acked_deletes.insert(body);
                }
                Ok(_) => {} // the visibility timeout passed: not deleted
                Err(_) => return,
            }
        }
    }
}

/// Runs the load against `mock` and kills it with SIGKILL after `after`.
fn load_and_kill(mock: Mock, round: usize, l: &Shared, after: Duration) {
    let stop = Arc::new(AtomicBool::new(false));
    let mut threads = Vec::new();
    for p in 0..PRODUCERS {
        let (a, l, s) = (mock.addr.clone(), l.clone(), stop.clone());
        threads.push(std::thread::spawn(move || producer(a, round, p, l, s)));
    }
    for _ in 0..CONSUMERS {
        let (a, l, s) = (mock.addr.clone(), l.clone(), stop.clone());
        threads.push(std::thread::spawn(move || consumer(a, l, s)));
    }
    std::thread::sleep(after);
    let mut mock = mock;
    mock.child.kill().expect("SIGKILL"); // std sends SIGKILL on Unix
    let _ = mock.child.wait();
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().expect("client thread");
    }
}

// ------------------------------------------------------------------------------ checks

fn form_of(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// Creates the queues (first round only).
fn create_queues(addr: &str) {
    let mut http = Http::connect(addr).expect("connect");
    let dlq = form_of(&[("Action", "CreateQueue"), ("queueName", DLQ)]);
    assert_eq!(code(&http.cmq(&dlq).unwrap()), 0);
    let policy = format!(r#"{{"deadLetterQueue":"{DLQ}","policy":0,"maxReceiveCount":1000}}"#);
    let q = form_of(&[
        ("Action", "CreateQueue"),
        ("queueName", QUEUE),
        ("visibilityTimeout", "2"),
        ("maxMsgSize", "2048"),
        ("msgRetentionSeconds", "86400"),
        ("pollingWaitSeconds", "1"),
        ("deadLetterPolicy", &policy),
    ]);
    let v = http.cmq(&q).unwrap();
    assert_eq!(code(&v), 0, "{v}");
}

/// The queues' attributes are as created.
fn check_attributes(addr: &str) {
    let mut http = Http::connect(addr).expect("connect");
    let v = http
        .cmq(&form_of(&[
            ("Action", "GetQueueAttributes"),
            ("queueName", QUEUE),
        ]))
        .unwrap();
    assert_eq!(code(&v), 0, "{v}");
    for (k, want) in [
        ("visibilityTimeout", 2),
        ("maxMsgSize", 2048),
        ("msgRetentionSeconds", 86400),
        ("pollingWaitSeconds", 1),
    ] {
        assert_eq!(v[k].as_i64(), Some(want), "{k}: {v}");
    }
    // The answer names the dead-letter queue by its id (the spec's verdict), so ask the DLQ's.
    let dlq = http
        .cmq(&form_of(&[
            ("Action", "GetQueueAttributes"),
            ("queueName", DLQ),
        ]))
        .unwrap();
    assert_eq!(code(&dlq), 0, "{dlq}");
    let p = &v["deadLetterPolicy"];
    assert_eq!(p["deadLetterQueue"], dlq["queueId"], "{v}");
    assert_eq!(p["maxReceiveCount"].as_i64(), Some(1000), "{v}");
    let v = http
        .cmq(&form_of(&[
            ("Action", "ListDeadLetterSourceQueues"),
            ("deadLetterQueueName", DLQ),
        ]))
        .unwrap();
    assert_eq!(v["totalCount"].as_i64(), Some(1), "{v}");
}

/// Waits until no message is in flight or delayed any more (their visibility ends within
/// `visibilityTimeout`): from then on nothing moves between states, so the admin view reads the
/// same however many pages it takes. This also checks that in-flight messages come back.
fn wait_until_all_visible(addr: &str) {
    let mut http = Http::connect(addr).expect("connect");
    let form = form_of(&[("Action", "GetQueueAttributes"), ("queueName", QUEUE)]);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let v = http.cmq(&form).expect("attributes");
        if v["inactiveMsgNum"].as_i64() == Some(0) && v["delayMsgNum"].as_i64() == Some(0) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "in-flight messages never came back: {v}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Every body stored now (all of them visible: see [`wait_until_all_visible`]), through the
/// admin view, page by page where it pages.
fn stored_bodies(addr: &str) -> HashSet<String> {
    wait_until_all_visible(addr);
    let mut http = Http::connect(addr).expect("connect");
    let mut out = HashSet::new();
    let mut offset = 0;
    loop {
        let path =
            format!("/_mock/queues/{QUEUE}?state=active&offset={offset}&limit=1000&bodies=full");
        let v = http.request("GET", &path, "").expect("inspect");
        for state in ["active", "inactive", "delayed", "deleted"] {
            for m in v["messages"][state].as_array().into_iter().flatten() {
                out.insert(m["msgBody"].as_str().unwrap_or_default().to_owned());
            }
        }
        match v["page"]["nextOffset"]["active"].as_u64() {
            Some(next) => offset = next,
            None => break,
        }
    }
    out
}

/// The checks of the module docs; returns how many messages are stored. Every violation is
/// listed (with a few examples) before the test fails.
fn verify(addr: &str, l: &Shared) -> usize {
    check_attributes(addr);
    let stored = stored_bodies(addr);
    let g = ledger(l);
    let lost: Vec<&String> = g
        .acked_sends
        .iter()
        .filter(|b| !stored.contains(*b) && !g.delete_attempted.contains(*b))
        .collect();
    let back: Vec<&String> = g
        .acked_deletes
        .iter()
        .filter(|b| stored.contains(*b))
        .collect();
    let received_lost: Vec<&String> = g
        .received
        .iter()
        .filter(|b| !stored.contains(*b) && !g.delete_attempted.contains(*b))
        .collect();
    let phantom: Vec<&String> = stored.iter().filter(|b| !g.sent.contains(*b)).collect();
    let show = |v: &[&String]| {
        v.iter()
            .take(5)
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    assert!(
        lost.is_empty() && back.is_empty() && received_lost.is_empty() && phantom.is_empty(),
        "{} acknowledged sends lost ({}), {} acknowledged deletes back ({}), {} received then lost ({}), {} never sent ({}); {} stored",
        lost.len(),
        show(&lost),
        back.len(),
        show(&back),
        received_lost.len(),
        show(&received_lost),
        phantom.len(),
        show(&phantom),
        stored.len()
    );
    stored.len()
}

#[test]
fn kill_9_loses_no_acknowledged_send_and_brings_back_no_acknowledged_delete() {
    let kills: usize = env_or("CMQ_CRASH_KILLS", 3);
    let seed: u64 = env_or("CMQ_CRASH_SEED", fastrand::u64(..));
    let mut rng = fastrand::Rng::with_seed(seed);
    let dir = std::env::temp_dir().join(format!("cmq-mock-crash-{}-{seed}", std::process::id()));
    println!(
        "crash harness: {kills} kills, seed {seed} (CMQ_CRASH_SEED={seed} replays it), data in {} (left there if a check fails)",
        dir.display()
    );
    let _ = std::fs::remove_dir_all(&dir);
    let l: Shared = Arc::default();
    let mut mock = start(&dir);
    create_queues(&mock.addr);
    let t0 = Instant::now();
    for round in 0..kills {
        let after = Duration::from_millis(rng.u64(150..1_200));
        load_and_kill(mock, round, &l, after);
        mock = start(&dir);
        let stored = verify(&mock.addr, &l);
        let g = ledger(&l);
        println!(
            "round {round}: killed after {after:?}; acked sends {}, acked deletes {}, stored {stored}",
            g.acked_sends.len(),
            g.acked_deletes.len()
        );
    }
    let g = ledger(&l);
    assert!(g.acked_sends.len() > kills * 10, "the load did run");
    assert!(!g.acked_deletes.is_empty(), "the consumers did delete");
    println!("{kills} kills in {:?}", t0.elapsed());
    drop(g);
    drop(mock);
    let _ = std::fs::remove_dir_all(&dir);
}
