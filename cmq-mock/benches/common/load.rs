//! A raw HTTP/1.1 load generator (the one `http_throughput` uses, in a module): `conns`
//! keep-alive connections on a thread of their own (a current-thread tokio runtime), each
//! sending one pre-built request at a time and reading the whole answer, checked for code 0.
#![allow(dead_code)]

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::net::TcpStream;

/// One keep-alive HTTP/1.1 connection speaking raw bytes (only tokio's `net` feature needed).
pub struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

/// Where `needle` first stands in `hay`.
pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

impl Conn {
    /// Connects (no Nagle).
    pub async fn connect(addr: SocketAddr) -> io::Result<Self> {
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

    /// Sends one request and reads one answer; returns (status, whether the body says code 0).
    pub async fn round_trip(&mut self, request: &[u8]) -> io::Result<(u16, bool)> {
        self.write_all(request).await?;
        self.buf.clear();
        let head_end = loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                break i + 4;
            }
            self.fill().await?;
        };
        let head = std::str::from_utf8(&self.buf[..head_end])
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "head not UTF-8"))?;
        let status: u16 = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
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
        let ok = self.buf[head_end..head_end + len].starts_with(br#"{"code":0,"#);
        Ok((status, ok))
    }
}

/// A POST of `form` to `/v2/index.php`.
pub fn http_request(host: &str, form: &str) -> Vec<u8> {
    format!(
        "POST /v2/index.php HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
        form.len()
    )
    .into_bytes()
}

/// What a run did.
#[derive(Debug, Default, Clone)]
pub struct Run {
    /// Requests answered in the measured window.
    pub done: usize,
    /// Requests answered, the warm-up's included.
    pub total: usize,
    pub bad: usize,
    pub secs: f64,
    pub latencies_us: Vec<u32>,
    /// On-CPU time of every thread of the process but the load generator's (the servers,
    /// the store's writer), over the measured window.
    pub server_cpu_ns: u64,
}

/// On-CPU nanoseconds of one task (first field of its `schedstat`).
/// The first field of a `schedstat` file: on-CPU nanoseconds.
pub fn schedstat_ns(path: &std::path::Path) -> u64 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// (all threads of this process, the calling thread) on-CPU nanoseconds.
pub fn cpu_ns() -> (u64, u64) {
    let me = schedstat_ns(std::path::Path::new("/proc/thread-self/schedstat"));
    let all = std::fs::read_dir("/proc/self/task")
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| schedstat_ns(&e.path().join("schedstat")))
                .sum()
        })
        .unwrap_or(0);
    (all, me)
}

impl Run {
    pub fn per_sec(&self) -> f64 {
        self.done as f64 / self.secs.max(1e-9)
    }

    /// Server CPU per request, µs.
    pub fn server_us(&self) -> f64 {
        self.server_cpu_ns as f64 / 1000.0 / self.done.max(1) as f64
    }

    /// The `p`-quantile of the latencies (0..=1), µs.
    pub fn latency(&mut self, p: f64) -> u32 {
        if self.latencies_us.is_empty() {
            return 0;
        }
        self.latencies_us.sort_unstable();
        let i = ((self.latencies_us.len() - 1) as f64 * p).round() as usize;
        self.latencies_us[i]
    }
}

/// Drives `conns` connections sending `request` for `warmup`, then measures for `dur`.
pub fn run(addr: SocketAddr, conns: usize, request: &[u8], warmup: Duration, dur: Duration) -> Run {
    let request = request.to_vec();
    let t = std::thread::Builder::new().name("loadgen".into());
    let handle = t.spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("client runtime");
        rt.block_on(drive(addr, conns, request, warmup, dur))
    });
    handle
        .expect("spawn the load generator")
        .join()
        .expect("load generator")
}

async fn drive(
    addr: SocketAddr,
    conns: usize,
    request: Vec<u8>,
    warmup: Duration,
    dur: Duration,
) -> Run {
    let request = std::sync::Arc::new(request);
    let begin = Instant::now() + warmup;
    let end = begin + dur;
    let mut tasks = Vec::new();
    for _ in 0..conns {
        let request = request.clone();
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::connect(addr).await.expect("connect");
            let mut r = Run::default();
            loop {
                let t = Instant::now();
                if t >= end {
                    break;
                }
                let (_, ok) = conn.round_trip(&request).await.expect("connection failed");
                r.total += 1;
                if t >= begin {
                    r.done += 1;
                    r.bad += usize::from(!ok);
                    r.latencies_us
                        .push(t.elapsed().as_micros().min(u32::MAX as u128) as u32);
                }
            }
            r
        }));
    }
    tokio::time::sleep_until(begin.into()).await;
    let (all0, me0) = cpu_ns();
    tokio::time::sleep_until(end.into()).await;
    let (all1, me1) = cpu_ns();
    let mut all = Run {
        secs: dur.as_secs_f64(),
        server_cpu_ns: (all1 - all0).saturating_sub(me1 - me0),
        ..Run::default()
    };
    for t in tasks {
        let r = t.await.expect("connection task");
        all.done += r.done;
        all.total += r.total;
        all.bad += r.bad;
        all.latencies_us.extend(r.latencies_us);
    }
    all
}
