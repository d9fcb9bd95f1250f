//! Long-poll wake latency on the system clock: a receive waits on an empty queue, then a send
//! arrives; the time from the send to the receive's return.
//!
//! ```sh
//! cargo bench -p cmq-mock --bench long_poll                  # 1000 iterations per mode
//! cargo bench -p cmq-mock --bench long_poll -- --iters=300 --modes=engine,http
//! ```
//!
//! Modes:
//! * `baseline`: a bare `tokio::sync::Notify` woken the same way (the floor set by the machine
//!   and the runtime);
//! * `engine`: the in-process engine (`Account::receive_message` with a 5 s window, on a
//!   2-worker tokio runtime; the send is made from outside the runtime's workers);
//! * `http`: the mock over loopback HTTP (`AuthMode::Off`), raw HTTP/1.1 on two keep-alive
//!   connections from a separate client thread: the receive's request is written, then after
//!   the settle time the send's request; latency = receive answer fully read − send written;
//! * `sdk`: the same with the SDK (`client.queue(..).receive(Some(5))` / `.send(..)`, signed,
//!   reqwest), measured from the call to `send` to `receive` returning.
//!
//! Each iteration waits `--settle-ms` (default 3) after starting the receive so that it is
//! parked when the send comes. Every mode is bounded by `--iters` and 20 s.

mod common;
use common::OtherLoad;

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use cmq_mock::AuthMode;
use cmq_mock::Clock;
use cmq_mock::CmqMock;
use cmq_mock::internal::{Engine, QueueConfigUpdate};
use tokio::net::TcpStream;

const MODES: [&str; 4] = ["baseline", "engine", "http", "sdk"];
const MODE_BUDGET: Duration = Duration::from_secs(20);

struct Opts {
    iters: usize,
    settle: Duration,
    modes: Vec<String>,
}

/// Latencies in microseconds, plus how many receives did not get the message.
struct Samples {
    us: Vec<u64>,
    misses: usize,
}

impl Samples {
    fn new() -> Self {
        Self {
            us: Vec::new(),
            misses: 0,
        }
    }

    fn report(mut self, mode: &str, other_load: f64) {
        self.us.sort_unstable();
        let n = self.us.len();
        if n == 0 {
            println!("{mode:<8} no samples");
            return;
        }
        let at = |p: f64| self.us[(((n - 1) as f64) * p).round() as usize];
        let max = self.us[n - 1];
        let within = self.us.iter().filter(|&&u| u <= 2000).count();
        println!(
            "{mode:<8} n={n:<5} p50 {:>6} us  p99 {:>6} us  max {:>6} us  mean {:>6.0} us  {:.1}% within 2 ms  ({} receives without the message; other load {other_load:.2} cores)",
            at(0.50),
            at(0.99),
            max,
            self.us.iter().sum::<u64>() as f64 / n as f64,
            100.0 * within as f64 / n as f64,
            self.misses
        );
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// The floor: the same wake-up through a bare `tokio::sync::Notify` (what the machine and the
/// runtime cost without the engine).
fn baseline_mode(opts: &Opts) -> Samples {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let notify = std::sync::Arc::new(tokio::sync::Notify::new());
    let mut s = Samples::new();
    let start = Instant::now();
    for _ in 0..opts.iters {
        if start.elapsed() > MODE_BUDGET {
            break;
        }
        let n = notify.clone();
        let waiter = rt.spawn(async move {
            let got = tokio::time::timeout(Duration::from_secs(5), n.notified())
                .await
                .is_ok();
            (Instant::now(), got)
        });
        std::thread::sleep(opts.settle);
        let t0 = Instant::now();
        notify.notify_one();
        let (t1, got) = rt.block_on(waiter).expect("waiter task");
        if got {
            s.us.push(micros(t1.saturating_duration_since(t0)));
        } else {
            s.misses += 1;
        }
    }
    s
}

fn engine_mode(opts: &Opts) -> Samples {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let engine = Engine::new(Clock::system());
    let account = engine.add_account("AKIDbench", "secret");
    account
        .create_queue("q", &QueueConfigUpdate::default())
        .expect("create queue");
    let mut s = Samples::new();
    let start = Instant::now();
    for _ in 0..opts.iters {
        if start.elapsed() > MODE_BUDGET {
            break;
        }
        let a = account.clone();
        let receive = rt.spawn(async move {
            let r = a.receive_message("q", Some(5)).await;
            (Instant::now(), r.is_ok())
        });
        std::thread::sleep(opts.settle);
        let t0 = Instant::now();
        account.send_message("q", "wake up", 0).expect("send");
        let (t1, got) = rt.block_on(receive).expect("receive task");
        if got {
            s.us.push(micros(t1.saturating_duration_since(t0)));
        } else {
            s.misses += 1;
        }
    }
    s
}

/// One keep-alive HTTP/1.1 connection speaking raw bytes.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    async fn connect(addr: SocketAddr) -> io::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buf: Vec::with_capacity(4096),
        })
    }

    async fn write_all(&self, mut data: &[u8]) -> io::Result<()> {
        while !data.is_empty() {
            self.stream.writable().await?;
            match self.stream.try_write(data) {
                Ok(n) => data = &data[n..],
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    async fn fill(&mut self) -> io::Result<()> {
        loop {
            self.stream.readable().await?;
            let len = self.buf.len();
            self.buf.resize(len + 8192, 0);
            match self.stream.try_read(&mut self.buf[len..]) {
                Ok(0) => {
                    self.buf.truncate(len);
                    return Err(io::ErrorKind::UnexpectedEof.into());
                }
                Ok(n) => {
                    self.buf.truncate(len + n);
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.buf.truncate(len),
                Err(e) => {
                    self.buf.truncate(len);
                    return Err(e);
                }
            }
        }
    }

    /// Reads one answer; returns its body.
    async fn read_answer(&mut self) -> io::Result<Vec<u8>> {
        self.buf.clear();
        let head_end = loop {
            if let Some(i) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            self.fill().await?;
        };
        let head = String::from_utf8_lossy(&self.buf[..head_end]).into_owned();
        let len: usize = head
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse().ok())?
            })
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no content-length"))?;
        while self.buf.len() < head_end + len {
            self.fill().await?;
        }
        Ok(self.buf[head_end..head_end + len].to_vec())
    }
}

fn http_request(host: &str, form: &str) -> Vec<u8> {
    format!(
        "POST /v2/index.php HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
        form.len()
    )
    .into_bytes()
}

/// Runs `f` on a current-thread runtime on a thread of its own (the client side).
fn on_client_thread<T: Send + 'static>(
    f: impl FnOnce() -> std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send>> + Send + 'static,
) -> T {
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("client runtime")
            .block_on(f())
    })
    .join()
    .expect("client thread")
}

fn http_mode(opts: &Opts, server_rt: &tokio::runtime::Runtime) -> Samples {
    let mock = server_rt.block_on(async {
        CmqMock::builder()
            .auth(AuthMode::Off)
            .queue("q")
            .start()
            .await
            .expect("mock")
    });
    let addr = mock.addr();
    let host = addr.to_string();
    let receive_req = http_request(
        &host,
        "Action=ReceiveMessage&queueName=q&pollingWaitSeconds=5",
    );
    let send_req = http_request(&host, "Action=SendMessage&queueName=q&msgBody=wake%20up");
    let (iters, settle) = (opts.iters, opts.settle);
    let s = on_client_thread(move || {
        Box::pin(async move {
            let mut receiver = Conn::connect(addr).await.expect("connect");
            let mut sender = Conn::connect(addr).await.expect("connect");
            let mut s = Samples::new();
            let start = Instant::now();
            for _ in 0..iters {
                if start.elapsed() > MODE_BUDGET {
                    break;
                }
                receiver.write_all(&receive_req).await.expect("write");
                tokio::time::sleep(settle).await;
                let t0 = Instant::now();
                sender.write_all(&send_req).await.expect("write");
                // Whichever answer comes first, the receive's is the one timed.
                let (body, t1) = {
                    let recv = async {
                        let b = receiver.read_answer().await.expect("receive answer");
                        (b, Instant::now())
                    };
                    let send = sender.read_answer();
                    let (r, sent) = tokio::join!(recv, send);
                    sent.expect("send answer");
                    r
                };
                if body.starts_with(br#"{"code":0,"#) && find(&body, b"msgBody").is_some() {
                    s.us.push(micros(t1.saturating_duration_since(t0)));
                } else {
                    s.misses += 1;
                }
            }
            s
        })
    });
    server_rt.block_on(mock.shutdown());
    s
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn sdk_mode(opts: &Opts, server_rt: &tokio::runtime::Runtime) -> Samples {
    let mock =
        server_rt.block_on(async { CmqMock::builder().queue("q").start().await.expect("mock") });
    let client = mock.client().expect("sdk client");
    let (iters, settle) = (opts.iters, opts.settle);
    let s = on_client_thread(move || {
        Box::pin(async move {
            let q = client.queue("q");
            // Open two pooled connections first.
            let (a, b) = tokio::join!(q.receive(Some(0)), q.receive(Some(0)));
            let _ = (a, b);
            let mut s = Samples::new();
            let start = Instant::now();
            for _ in 0..iters {
                if start.elapsed() > MODE_BUDGET {
                    break;
                }
                let rq = q.clone();
                let receive = tokio::spawn(async move {
                    let r = rq.receive(Some(5)).await;
                    (Instant::now(), matches!(r, Ok(Some(_))))
                });
                tokio::time::sleep(settle).await;
                let t0 = Instant::now();
                q.send("wake up").await.expect("send");
                let (t1, got) = receive.await.expect("receive task");
                if got {
                    s.us.push(micros(t1.saturating_duration_since(t0)));
                } else {
                    s.misses += 1;
                }
            }
            s
        })
    });
    server_rt.block_on(mock.shutdown());
    s
}

fn main() {
    let mut opts = Opts {
        iters: 1000,
        settle: Duration::from_millis(3),
        modes: MODES.iter().map(|m| (*m).to_owned()).collect(),
    };
    for a in std::env::args().skip(1) {
        let Some((k, v)) = a.trim_start_matches("--").split_once('=') else {
            continue; // `--bench` and other flags cargo passes
        };
        match k {
            "iters" => opts.iters = v.parse().unwrap_or(opts.iters),
            "settle-ms" => {
                opts.settle = Duration::from_millis(v.parse().unwrap_or(3));
            }
            "modes" => opts.modes = v.split(',').map(str::to_owned).collect(),
            _ => eprintln!("ignoring unknown option {a}"),
        }
    }
    opts.iters = opts.iters.clamp(1, 10_000);
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("server runtime");
    println!(
        "long-poll wake latency (system clock): send → receive returns; settle {} ms",
        opts.settle.as_millis()
    );
    for m in &opts.modes {
        let load = OtherLoad::start();
        let s = match m.as_str() {
            "baseline" => baseline_mode(&opts),
            "engine" => engine_mode(&opts),
            "http" => http_mode(&opts, &server_rt),
            "sdk" => sdk_mode(&opts, &server_rt),
            other => {
                eprintln!("unknown mode {other}");
                continue;
            }
        };
        s.report(m, load.cores());
    }
}
