//! A scripted HTTP/1.1 server on 127.0.0.1 for the SDK's fault and hardening tests: connection
//! `n` gets `script[n]` (the last entry repeats), one request per connection, and every request
//! read is recorded. Plus the answers and clients those tests share.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use cmq_sdk::retry::RetryPolicy;
use cmq_sdk::sign::{self, SignatureMethod};
use cmq_sdk::{Client, ClientBuilder, Credentials};

pub const SECRET_ID: &str = "AKIDfaults";
pub const SECRET_KEY: &str = "faults-secret";

// ---------------------------------------------------------------- the scripted server

/// What the server does with one connection.
#[derive(Clone, Debug)]
pub enum Reply {
    /// Accept, then drop the connection at once (zero linger: a TCP reset).
    Reset,
    /// Read the request, then drop the connection (zero linger: a TCP reset).
    ResetAfterRead,
    /// Read the request, answer with this HTTP status and body.
    Status(u16, String),
    /// Read the request, answer 200 with this JSON body.
    Json(String),
    /// Read the request, answer 200 with this body after a delay.
    Delayed(Duration, String),
    /// Read the request and never answer (the connection stays open).
    Hang,
    /// Read the request, answer `307 Temporary Redirect` to this URL.
    Redirect(String),
    /// Read the request, answer 200 with `len` bytes of a JSON string; with `Content-Length`
    /// when `declared`, else chunked (64 KiB chunks).
    Big { len: usize, declared: bool },
}

/// One request the server read.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub host: String,
    /// The request target as sent (path and query).
    pub target: String,
    pub params: Vec<(String, String)>,
}

impl Recorded {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Verifies the signature as a server does, with the Host header as received.
    pub fn signature_verifies(&self) -> bool {
        let pairs: Vec<(&str, &str)> = self
            .params
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let sts = sign::string_to_sign(&self.method, &self.host, &self.path, &pairs);
        let method = SignatureMethod::from_wire(self.get("SignatureMethod"));
        self.get("Signature")
            .is_some_and(|s| sign::verify(SECRET_KEY, method, &sts, s))
    }
}

/// The server: its address, the connections it accepted and the requests it read.
pub struct Server {
    pub addr: SocketAddr,
    hits: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

impl Server {
    pub async fn start(script: Vec<Reply>) -> Server {
        assert!(!script.is_empty());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let hits = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (h, r) = (hits.clone(), requests.clone());
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let n = h.fetch_add(1, Ordering::SeqCst);
                let reply = script.get(n).unwrap_or(&script[script.len() - 1]).clone();
                tokio::spawn(handle(sock, reply, r.clone()));
            }
        });
        Server {
            addr,
            hits,
            requests,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// How many connections (= attempts) the server accepted.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    /// The requests read so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }
}

async fn handle(mut sock: TcpStream, reply: Reply, requests: Arc<Mutex<Vec<Recorded>>>) {
    if let Reply::Reset = reply {
        let _ = sock.set_zero_linger();
        drop(sock);
        return;
    }
    let Some(req) = read_request(&mut sock).await else {
        return;
    };
    requests.lock().unwrap().push(req);
    let (status, extra, body) = match reply {
        Reply::Reset => unreachable!(),
        Reply::ResetAfterRead => {
            let _ = sock.set_zero_linger();
            drop(sock);
            return;
        }
        Reply::Hang => {
            // Keep the connection open and silent until the test ends.
            std::future::pending::<()>().await;
            return;
        }
        Reply::Big { len, declared } => return write_big(sock, len, declared).await,
        Reply::Status(s, b) => (s, String::new(), b),
        Reply::Json(b) => (200, String::new(), b),
        Reply::Delayed(d, b) => {
            tokio::time::sleep(d).await;
            (200, String::new(), b)
        }
        Reply::Redirect(to) => (307, format!("Location: {to}\r\n"), String::new()),
    };
    let resp = format!(
        "HTTP/1.1 {status} Scripted\r\nContent-Type: application/json\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = sock.write_all(resp.as_bytes()).await;
    let _ = sock.shutdown().await;
}

/// `{"code":0,"message":"xxxx…"}` of exactly `len` bytes (at least 30).
async fn write_big(mut sock: TcpStream, len: usize, declared: bool) {
    const PREFIX: &[u8] = br#"{"code":0,"message":""#;
    const SUFFIX: &[u8] = br#""}"#;
    let fill = len.saturating_sub(PREFIX.len() + SUFFIX.len());
    let mut body = Vec::with_capacity(len);
    body.extend_from_slice(PREFIX);
    body.resize(PREFIX.len() + fill, b'x');
    body.extend_from_slice(SUFFIX);
    let head = if declared {
        format!(
            "HTTP/1.1 200 Big\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
    } else {
        "HTTP/1.1 200 Big\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".to_owned()
    };
    if sock.write_all(head.as_bytes()).await.is_err() {
        return;
    }
    if declared {
        let _ = sock.write_all(&body).await;
    } else {
        for chunk in body.chunks(64 * 1024) {
            let framed = [format!("{:x}\r\n", chunk.len()).as_bytes(), chunk, b"\r\n"].concat();
            if sock.write_all(&framed).await.is_err() {
                return;
            }
        }
        let _ = sock.write_all(b"0\r\n\r\n").await;
    }
    let _ = sock.shutdown().await;
}

async fn read_request(sock: &mut TcpStream) -> Option<Recorded> {
    let mut buf = Vec::new();
    let mut tmp = [0u8; 8192];
    let head_end = loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
        let n = sock.read(&mut tmp).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&tmp[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_owned();
    let target = first.next()?.to_owned();
    let mut len = 0usize;
    let mut host = String::new();
    for line in lines {
        if let Some((k, v)) = line.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().ok()?;
            } else if k.eq_ignore_ascii_case("host") {
                host = v.trim().to_owned();
            }
        }
    }
    while buf.len() < head_end + len {
        let n = sock.read(&mut tmp).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&tmp[..n]);
    }
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_owned(), q.as_bytes().to_vec()),
        None => (target.clone(), Vec::new()),
    };
    let form = if method == "GET" {
        query
    } else {
        buf[head_end..head_end + len].to_vec()
    };
    let params = form_urlencoded::parse(&form)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    Some(Recorded {
        method,
        path,
        host,
        target,
        params,
    })
}

// ---------------------------------------------------------------- answers

pub fn envelope(fields: &str) -> String {
    if fields.is_empty() {
        r#"{"code":0,"message":"","requestId":"r-ok"}"#.to_owned()
    } else {
        format!(r#"{{"code":0,"message":"","requestId":"r-ok",{fields}}}"#)
    }
}

pub fn failure(code: i64, message: &str) -> String {
    format!(r#"{{"code":{code},"message":"{message}","requestId":"r-{code}"}}"#)
}

pub fn queue_attributes() -> String {
    envelope(
        r#""maxMsgHeapNum":100000000,"pollingWaitSeconds":0,"visibilityTimeout":30,"maxMsgSize":65536,"msgRetentionSeconds":345600,"createTime":1,"lastModifyTime":2,"activeMsgNum":3,"inactiveMsgNum":0,"rewindSeconds":0,"rewindMsgNum":0,"minMsgTime":0,"delayMsgNum":0"#,
    )
}

pub fn message(body: &str) -> String {
    format!(
        r#""msgBody":"{body}","msgId":"m-1","receiptHandle":"h-1","enqueueTime":10,"firstDequeueTime":11,"nextVisibleTime":40,"dequeueCount":1"#
    )
}

// ---------------------------------------------------------------- clients

pub fn fast_retries() -> RetryPolicy {
    RetryPolicy::new()
        .with_base_delay(Duration::from_millis(1))
        .with_max_delay(Duration::from_millis(2))
}

pub fn builder(server: &Server) -> ClientBuilder {
    Client::builder()
        .endpoint(server.url())
        .credentials(Credentials::new(SECRET_ID, SECRET_KEY))
        .retry_policy(fast_retries())
}

pub fn client(server: &Server) -> Client {
    builder(server).build().unwrap()
}
