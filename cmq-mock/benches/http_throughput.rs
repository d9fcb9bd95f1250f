//! SendMessage throughput of the mock over HTTP/1.1, against a bare hyper 1 server that answers a
//! fixed JSON body, with the same load generator for both.
//!
//! ```sh
//! cargo bench -p cmq-mock --bench http_throughput            # conns 1 and 16, 3 rounds of 1 s
//! cargo bench -p cmq-mock --bench http_throughput -- --conns=4 --rounds=5 --secs=2
//! cargo bench -p cmq-mock --bench http_throughput -- --only=verify,bare-signed --server-threads=1
//! cargo bench -p cmq-mock --bench http_throughput -- --only=breakdown
//! ```
//!
//! The load generator runs on its own thread (`loadgen`, a current-thread tokio runtime): `conns`
//! keep-alive connections, each sending raw, pre-built `POST /v2/index.php` form requests one at
//! a time (no pipelining) and reading the whole answer (every answer is checked for `code` 0).
//! The servers run on a separate multi-thread runtime (`--server-threads`, default 2). Every run
//! is bounded in time (`--secs`, after a `--warmup-ms` warm-up) and in count (`--max-requests`;
//! signed runs also stop when the pre-signed requests run out). Loopback only.
//!
//! Scenarios (`--only=` keys): `bare` (bare hyper, the unsigned request bytes), `off` (the mock
//! with `AuthMode::Off`, journal on: its default), `off-nj` (journal off), `bare-signed` (bare
//! hyper, the signed request bytes), `verify` (the mock verifying signatures: every request is
//! pre-signed with its own Nonce, so the replay cache accepts each one), `verify-nj` (the same,
//! journal off), and `breakdown` (the
//! mock's per-request work piece by piece, in process, without HTTP).
//!
//! Rounds interleave the scenarios; each line shows the median round. Besides requests per
//! second, each line shows the CPU time the server threads spent per request (from
//! `/proc/self/task/*/schedstat`, everything but the load generator's thread): on this 2-core
//! machine shared with other work, that is the steadier measure of what the server costs. The
//! "other load" line says how busy the rest of the machine was meanwhile.

mod common;
#[path = "common/load.rs"]
mod load;
use common::OtherLoad;
use load::{Conn, cpu_ns, find};

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use cmq_mock::AuthMode;
use cmq_mock::Clock;
use cmq_mock::CmqMock;
use cmq_mock::Journal;
use cmq_mock::WireParams;
use cmq_mock::internal::{Backend, Server, Verifier};
use cmq_sdk::Action;
use cmq_sdk::generated::ops::send_message::SendMessageInput;
use http_body_util::{BodyExt, Full};
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

const QUEUE: &str = "bench";
const MSG_BODY: &str = "0123456789abcdef";
/// What the bare server answers: the shape and size of the mock's SendMessage answer.
const FIXED_ANSWER: &[u8] =
    br#"{"code":0,"message":"","requestId":"8ee226b5-1","msgId":"1099511627777"}"#;

struct Opts {
    secs: f64,
    warmup_ms: u64,
    rounds: usize,
    conns: Vec<usize>,
    server_threads: usize,
    max_requests: usize,
    signed_pool: usize,
    only: Vec<String>,
}

impl Opts {
    fn parse() -> Self {
        let mut o = Opts {
            secs: 1.0,
            warmup_ms: 200,
            rounds: 3,
            conns: vec![1, 16],
            server_threads: 2,
            max_requests: 2_000_000,
            signed_pool: 600_000,
            only: Vec::new(),
        };
        for a in std::env::args().skip(1) {
            let Some((k, v)) = a.trim_start_matches("--").split_once('=') else {
                continue; // `--bench` and other flags cargo passes
            };
            match k {
                "secs" => o.secs = v.parse().unwrap_or(o.secs),
                "warmup-ms" => o.warmup_ms = v.parse().unwrap_or(o.warmup_ms),
                "rounds" => o.rounds = v.parse().unwrap_or(o.rounds),
                "only" => o.only = v.split(',').map(str::to_owned).collect(),
                "conns" => o.conns = v.split(',').filter_map(|c| c.parse().ok()).collect(),
                "server-threads" => o.server_threads = v.parse().unwrap_or(o.server_threads),
                "max-requests" => o.max_requests = v.parse().unwrap_or(o.max_requests),
                "signed-pool" => o.signed_pool = v.parse().unwrap_or(o.signed_pool),
                _ => eprintln!("ignoring unknown option {a}"),
            }
        }
        o.secs = o.secs.clamp(0.1, 20.0);
        o.rounds = o.rounds.clamp(1, 20);
        o
    }
}

// ------------------------------------------------------------------------------ load generator

fn http_request(host: &str, path: &str, form: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
        form.len()
    )
    .into_bytes()
}

/// The requests a run sends: one request repeated, or a pool used once each.
#[derive(Clone)]
enum Requests {
    Same(Arc<Vec<u8>>),
    Pool(Arc<Vec<Vec<u8>>>),
}

struct RunResult {
    done: usize,
    bad: usize,
    elapsed: Duration,
    latencies_us: Vec<u32>,
    /// CPU time of every thread of the process but the load generator's, over the window.
    server_cpu_ns: u64,
    /// CPU time of the load generator's thread over the window.
    client_cpu_ns: u64,
}

/// On-CPU nanoseconds of one task (first field of its `schedstat`).
/// Drives `conns` connections until `dur` has passed or `max` requests were taken.
fn run_load(
    addr: SocketAddr,
    conns: usize,
    requests: Requests,
    next: Arc<AtomicUsize>,
    max: usize,
    dur: Duration,
) -> RunResult {
    let client = std::thread::Builder::new().name("loadgen".into());
    let handle = client.spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("client runtime");
        rt.block_on(async move {
            let (all0, me0) = cpu_ns();
            let start = Instant::now();
            let deadline = start + dur;
            let mut tasks = Vec::new();
            for _ in 0..conns {
                let requests = requests.clone();
                let next = next.clone();
                tasks.push(tokio::spawn(async move {
                    let mut conn = Conn::connect(addr).await.expect("connect");
                    let mut lat = Vec::with_capacity(1 << 16);
                    let (mut done, mut bad) = (0usize, 0usize);
                    while Instant::now() < deadline {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= max {
                            break;
                        }
                        let req: &[u8] = match &requests {
                            Requests::Same(r) => r,
                            Requests::Pool(p) => match p.get(i) {
                                Some(r) => r,
                                None => break,
                            },
                        };
                        let t = Instant::now();
                        match conn.round_trip(req).await {
                            Ok((200, true)) => {}
                            Ok(_) => bad += 1,
                            Err(e) => panic!("connection failed: {e}"),
                        }
                        lat.push(u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX));
                        done += 1;
                    }
                    (done, bad, lat)
                }));
            }
            let mut r = RunResult {
                done: 0,
                bad: 0,
                elapsed: Duration::ZERO,
                latencies_us: Vec::new(),
                server_cpu_ns: 0,
                client_cpu_ns: 0,
            };
            for t in tasks {
                let (d, b, l) = t.await.expect("client task");
                r.done += d;
                r.bad += b;
                r.latencies_us.extend(l);
            }
            r.elapsed = start.elapsed();
            let (all1, me1) = cpu_ns();
            r.client_cpu_ns = me1.saturating_sub(me0);
            r.server_cpu_ns = (all1.saturating_sub(me1)).saturating_sub(all0.saturating_sub(me0));
            r
        })
    });
    handle
        .expect("spawn the load generator")
        .join()
        .expect("client thread")
}

fn pct(sorted: &[u32], p: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Warm-up, then the measured window. `next` is the cursor into the requests (shared across runs
/// of a pool so that no signed request is sent twice). Returns None when the pool is used up.
fn measure(
    addr: SocketAddr,
    conns: usize,
    requests: &Requests,
    next: &Arc<AtomicUsize>,
    opts: &Opts,
) -> Option<RunResult> {
    let max = match requests {
        Requests::Same(_) => opts.max_requests,
        Requests::Pool(p) => p.len().min(opts.max_requests),
    };
    if next.load(Ordering::Relaxed) >= max {
        return None;
    }
    let _ = run_load(
        addr,
        conns,
        requests.clone(),
        next.clone(),
        max,
        Duration::from_millis(opts.warmup_ms),
    );
    let r = run_load(
        addr,
        conns,
        requests.clone(),
        next.clone(),
        max,
        Duration::from_secs_f64(opts.secs),
    );
    Some(r)
}

/// One thing to measure: a name, a server address and the requests it gets.
struct Scenario {
    key: &'static str,
    name: &'static str,
    addr: SocketAddr,
    requests: Requests,
    /// The cursor; a pool's cursor is never reset.
    next: Arc<AtomicUsize>,
    reset_cursor: bool,
    /// Runs before each measurement (e.g. switching the journal).
    before: Box<dyn Fn()>,
    rps: Vec<f64>,
    /// Server CPU microseconds per request, per round.
    server_us: Vec<f64>,
    client_us: Vec<f64>,
    latencies_us: Vec<u32>,
    requests_done: usize,
    bad: usize,
}

fn median(v: &[f64]) -> f64 {
    let mut v: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

// ------------------------------------------------------------------------------ servers

async fn bare_hyper() -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let svc = service_fn(|req: Request<hyper::body::Incoming>| async move {
                    let _ = req.into_body().collect().await;
                    let mut r = Response::new(Full::new(Bytes::from_static(FIXED_ANSWER)));
                    r.headers_mut()
                        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                    Ok::<_, Infallible>(r)
                });
                let mut b = http1::Builder::new();
                b.keep_alive(true);
                let _ = b.serve_connection(TokioIo::new(stream), svc).await;
            });
        }
    });
    (addr, task)
}

/// Times `f` over at most `n` calls (and at most ~1 s); returns microseconds per call.
fn per_call_us(n: usize, mut f: impl FnMut(usize)) -> f64 {
    let start = Instant::now();
    let mut done = 0;
    while done < n {
        f(done);
        done += 1;
        if done % 1024 == 0 && start.elapsed() > Duration::from_secs(1) {
            break;
        }
    }
    start.elapsed().as_secs_f64() * 1e6 / done.max(1) as f64
}

/// The mock's per-request work without HTTP, piece by piece (single thread).
fn breakdown(
    rt: &tokio::runtime::Runtime,
    mock: &CmqMock,
    signed: &[Vec<u8>],
    signing_host: &str,
    unsigned_form: &str,
) {
    const N: usize = 50_000;
    let body_of = |r: &[u8]| r[find(r, b"\r\n\r\n").map_or(0, |i| i + 4)..].to_vec();
    // The last requests of the pool (the throughput runs take them from the front).
    let bodies: Vec<Vec<u8>> = signed.iter().rev().take(N).map(|r| body_of(r)).collect();
    let parse_unsigned = per_call_us(N, |_| {
        std::hint::black_box(WireParams::parse(unsigned_form.as_bytes()));
    });
    let parse_signed = per_call_us(N, |i| {
        std::hint::black_box(WireParams::parse(&bodies[i % bodies.len()]));
    });
    let parsed: Vec<WireParams> = bodies.iter().map(|b| WireParams::parse(b)).collect();
    let verifier = Verifier::new(Clock::system());
    let accounts: HashMap<String, String> =
        HashMap::from([(mock.secret_id().to_owned(), mock.secret_key().to_owned())]);
    let host = signing_host;
    let mut refused = 0usize;
    let verify = per_call_us(parsed.len(), |i| {
        if verifier
            .verify("POST", host, "/v2/index.php", &parsed[i], &accounts)
            .is_err()
        {
            refused += 1;
        }
    });
    let journal = Journal::new();
    // What the server does: the parsed parameters move into the journal (cloned here, since
    // the bench reuses them: one copy of their two heap blocks).
    let journal_us = per_call_us(N, |i| {
        let p = parsed[i % parsed.len()].clone();
        journal.record_request(
            0,
            Some(mock.secret_id().to_owned()),
            p,
            Some(0),
            format!("8ee226b5-{i}"),
        );
    });
    let unsigned = WireParams::parse(unsigned_form.as_bytes());
    let dispatch_us = rt.block_on(async {
        let start = Instant::now();
        let mut done = 0;
        while done < N && start.elapsed() < Duration::from_secs(1) {
            let r = mock
                .call(mock.secret_id(), Action::SendMessage, &unsigned)
                .await;
            std::hint::black_box(r.expect("SendMessage"));
            done += 1;
        }
        start.elapsed().as_secs_f64() * 1e6 / done.max(1) as f64
    });
    // The whole CMQ pipeline in process (parse, duplicate check, auth, faults, dispatch,
    // engine, answer, journal), on the mock's engine, with the signed requests not used yet.
    let server = Server::new(
        std::sync::Arc::new(Backend::new(mock.engine().clone(), Vec::new())),
        std::sync::Arc::new(mock.engine().clone()),
        Clock::system(),
    );
    let pipeline = rt.block_on(async {
        let start = Instant::now();
        let n = bodies.len().min(N);
        for b in bodies.iter().take(n) {
            let r = server.call("POST", host, "/v2/index.php", "", b).await;
            std::hint::black_box(r);
        }
        start.elapsed().as_secs_f64() * 1e6 / n.max(1) as f64
    });
    println!("--- in-process breakdown of the mock's per-request work (one thread, no HTTP)");
    println!("WireParams::parse, unsigned SendMessage form   {parse_unsigned:>6.2} us");
    println!("WireParams::parse, signed SendMessage form     {parse_signed:>6.2} us");
    println!(
        "Verifier::verify (HmacSHA1, replay cache)      {verify:>6.2} us  ({refused} refused)"
    );
    println!("journal: clone params + record (byte budget)   {journal_us:>6.2} us");
    println!("dispatch SendMessage (decode, validate, engine, JSON answer) {dispatch_us:>6.2} us");
    println!(
        "whole pipeline, signed SendMessage (Server::call: all of the above) {pipeline:>6.2} us"
    );
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Scenario {
    fn new(
        key: &'static str,
        name: &'static str,
        addr: SocketAddr,
        requests: Requests,
        next: Arc<AtomicUsize>,
        reset_cursor: bool,
        before: Box<dyn Fn()>,
    ) -> Self {
        Scenario {
            key,
            name,
            addr,
            requests,
            next,
            reset_cursor,
            before,
            rps: Vec::new(),
            server_us: Vec::new(),
            client_us: Vec::new(),
            latencies_us: Vec::new(),
            requests_done: 0,
            bad: 0,
        }
    }

    fn clear(&mut self) {
        self.rps.clear();
        self.server_us.clear();
        self.client_us.clear();
        self.latencies_us.clear();
        self.requests_done = 0;
        self.bad = 0;
    }
}

/// Pre-signed SendMessage requests, one Nonce each (the replay cache refuses repeats).
fn presign(client: &cmq_sdk::Client, opts: &Opts, unsigned_len: usize) -> Arc<Vec<Vec<u8>>> {
    let input = SendMessageInput::new().queue_name(QUEUE).msg_body(MSG_BODY);
    let sign_start = Instant::now();
    let ts = now_secs();
    let signed: Vec<Vec<u8>> = (0..opts.signed_pool as u64)
        .map(|nonce| {
            let (params, _) = client.signed_params(&input, ts, nonce + 1);
            http_request(
                client.endpoint().signing_host(),
                client.endpoint().path(),
                &params.to_form(),
            )
        })
        .collect();
    println!(
        "pre-signed {} requests ({} bytes each) in {:.2} s; unsigned request {} bytes",
        opts.signed_pool,
        signed[0].len(),
        sign_start.elapsed().as_secs_f64(),
        unsigned_len
    );
    Arc::new(signed)
}

/// A closure that switches `mock`'s journal on or off.
fn journal(mock: &CmqMock, on: bool) -> Box<dyn Fn()> {
    let j = mock.journal().clone();
    Box::new(move || j.set_enabled(on))
}

/// Every scenario, in the order the rounds run them.
fn scenarios(
    bare_addr: SocketAddr,
    mock_off: &CmqMock,
    mock_verify: &CmqMock,
    unsigned_form: &str,
    signed: &Arc<Vec<Vec<u8>>>,
) -> Vec<Scenario> {
    let fresh = || Arc::new(AtomicUsize::new(0));
    let bare_unsigned = Requests::Same(Arc::new(http_request(
        &bare_addr.to_string(),
        "/v2/index.php",
        unsigned_form,
    )));
    let off_unsigned = Requests::Same(Arc::new(http_request(
        &mock_off.addr().to_string(),
        "/v2/index.php",
        unsigned_form,
    )));
    // One cursor into the signed pool for the whole run, shared by the verify scenarios: each run
    // takes the next unused requests.
    let verify_cursor = fresh();
    let (off, verify) = (mock_off.addr(), mock_verify.addr());
    vec![
        Scenario::new(
            "bare",
            "bare hyper, unsigned bytes",
            bare_addr,
            bare_unsigned,
            fresh(),
            true,
            Box::new(|| {}),
        ),
        Scenario::new(
            "off",
            "mock auth=off journal=on",
            off,
            off_unsigned.clone(),
            fresh(),
            true,
            journal(mock_off, true),
        ),
        Scenario::new(
            "off-nj",
            "mock auth=off journal=off",
            off,
            off_unsigned,
            fresh(),
            true,
            journal(mock_off, false),
        ),
        // The bare server gets the same signed bytes (its Host header is not checked).
        Scenario::new(
            "bare-signed",
            "bare hyper, signed bytes",
            bare_addr,
            Requests::Pool(signed.clone()),
            fresh(),
            true,
            Box::new(|| {}),
        ),
        Scenario::new(
            "verify",
            "mock auth=verify journal=on",
            verify,
            Requests::Pool(signed.clone()),
            verify_cursor.clone(),
            false,
            journal(mock_verify, true),
        ),
        Scenario::new(
            "verify-nj",
            "mock auth=verify journal=off",
            verify,
            Requests::Pool(signed.clone()),
            verify_cursor,
            false,
            journal(mock_verify, false),
        ),
    ]
}

/// The interleaved rounds of every scenario at `conns` connections.
fn run_rounds(all: &mut [Scenario], conns: usize, opts: &Opts) {
    for s in all.iter_mut() {
        s.clear();
    }
    // Rounds interleave the scenarios so that a noisy moment does not hit only one.
    for _ in 0..opts.rounds {
        for s in all.iter_mut() {
            (s.before)();
            if s.reset_cursor {
                s.next = Arc::new(AtomicUsize::new(0));
            }
            match measure(s.addr, conns, &s.requests, &s.next, opts) {
                Some(r) => {
                    s.rps.push(r.done as f64 / r.elapsed.as_secs_f64());
                    let per = |ns: u64| ns as f64 / 1000.0 / r.done.max(1) as f64;
                    s.server_us.push(per(r.server_cpu_ns));
                    s.client_us.push(per(r.client_cpu_ns));
                    s.latencies_us.extend(r.latencies_us);
                    s.requests_done += r.done;
                    s.bad += r.bad;
                }
                None => println!("{}: the pre-signed pool is used up", s.name),
            }
        }
    }
}

/// One line per scenario, then the mock/bare ratios.
fn print_results(all: &mut [Scenario], load: &OtherLoad) {
    for s in all.iter_mut() {
        s.latencies_us.sort_unstable();
        let rounds: Vec<String> = s.rps.iter().map(|r| format!("{r:.0}")).collect();
        println!(
            "{:<28} {:>8.0} req/s  server CPU {:>5.1} us/req  client CPU {:>5.1} us/req  p50 {:>5} us  p99 {:>6} us  rounds [{}]  ({} requests, {} not code 0)",
            s.name,
            median(&s.rps),
            median(&s.server_us),
            median(&s.client_us),
            pct(&s.latencies_us, 0.50),
            pct(&s.latencies_us, 0.99),
            rounds.join(", "),
            s.requests_done,
            s.bad
        );
    }
    println!(
        "other load on the machine during these rounds: {:.2} cores (of 2)",
        load.cores()
    );
    let m = |k: &str| {
        all.iter()
            .find(|s| s.key == k)
            .map_or(f64::NAN, |s| median(&s.rps))
    };
    let cpu = |k: &str| {
        all.iter()
            .find(|s| s.key == k)
            .map_or(f64::NAN, |s| median(&s.server_us))
    };
    println!(
        "ratio mock/bare, req/s (medians): auth=off journal=on {:.2}, auth=off journal=off {:.2}, auth=verify journal=on {:.2}, auth=verify journal=off {:.2} (verify: vs bare hyper with the signed bytes)",
        m("off") / m("bare"),
        m("off-nj") / m("bare"),
        m("verify") / m("bare-signed"),
        m("verify-nj") / m("bare-signed")
    );
    println!(
        "ratio mock/bare, by server CPU per request (bare us / mock us): auth=off journal=on {:.2}, auth=off journal=off {:.2}, auth=verify journal=on {:.2}, auth=verify journal=off {:.2}",
        cpu("bare") / cpu("off"),
        cpu("bare") / cpu("off-nj"),
        cpu("bare-signed") / cpu("verify"),
        cpu("bare-signed") / cpu("verify-nj")
    );
}

async fn start_mock(auth: AuthMode) -> CmqMock {
    CmqMock::builder()
        .auth(auth)
        .relaxed(true)
        .queue(QUEUE)
        .start()
        .await
        .expect("mock")
}

fn main() {
    let opts = Opts::parse();
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(opts.server_threads)
        .thread_name("server")
        .enable_all()
        .build()
        .expect("server runtime");

    let (bare_addr, bare_task) = server_rt.block_on(bare_hyper());
    let mock_off = server_rt.block_on(start_mock(AuthMode::Off));
    let mock_verify = server_rt.block_on(start_mock(AuthMode::Verify));

    let unsigned_form = format!("Action=SendMessage&queueName={QUEUE}&msgBody={MSG_BODY}");
    let unsigned_len = http_request(
        &mock_off.addr().to_string(),
        "/v2/index.php",
        &unsigned_form,
    )
    .len();
    let client = mock_verify.client().expect("sdk client");
    let signed = presign(&client, &opts, unsigned_len);
    let mut all = scenarios(bare_addr, &mock_off, &mock_verify, &unsigned_form, &signed);
    all.retain(|s| opts.only.is_empty() || opts.only.iter().any(|o| o == s.key));

    let conn_counts = if all.is_empty() {
        Vec::new()
    } else {
        opts.conns.clone()
    };
    for &conns in &conn_counts {
        println!(
            "--- {conns} connection(s), {} server worker thread(s), {} rounds of {:.1} s per scenario (median shown)",
            opts.server_threads, opts.rounds, opts.secs
        );
        let load = OtherLoad::start();
        run_rounds(&mut all, conns, &opts);
        print_results(&mut all, &load);
        // Messages pile up; start each connection count from empty queues.
        for mock in [&mock_off, &mock_verify] {
            mock.engine().reset();
            mock.engine()
                .account(mock.secret_id())
                .expect("account")
                .create_queue(QUEUE, &Default::default())
                .expect("re-create queue");
        }
    }

    if opts.only.is_empty() || opts.only.iter().any(|o| o == "breakdown") {
        breakdown(
            &server_rt,
            &mock_off,
            &signed,
            client.endpoint().signing_host(),
            &unsigned_form,
        );
    }

    bare_task.abort();
    server_rt.block_on(async {
        mock_off.shutdown().await;
        mock_verify.shutdown().await;
    });
}
