//! Raw sockets against a server: send bytes, read one answer by its `Content-Length`, and see
//! the server close a connection. Every wait is bounded by [`super::WAIT`] (a hang fails the
//! test; nothing asserts how fast anything is).

use std::net::SocketAddr;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::WAIT;

/// One HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
}

/// Connects to `addr`.
pub async fn connect(addr: SocketAddr) -> TcpStream {
    match tokio::time::timeout(WAIT, TcpStream::connect(addr)).await {
        Ok(Ok(s)) => s,
        other => panic!("connect {addr}: {other:?}"),
    }
}

/// Writes all of `bytes`.
pub async fn send(s: &mut TcpStream, bytes: &[u8]) {
    match tokio::time::timeout(WAIT, s.write_all(bytes)).await {
        Ok(Ok(())) => {}
        other => panic!("write: {other:?}"),
    }
}

/// Reads one answer (headers, then `Content-Length` bytes of body).
pub async fn read_answer(s: &mut TcpStream) -> Answer {
    match tokio::time::timeout(WAIT, read_answer_inner(s)).await {
        Ok(Ok(a)) => a,
        other => panic!("no answer: {other:?}"),
    }
}

async fn read_answer_inner(s: &mut TcpStream) -> std::io::Result<Answer> {
    let mut buf = Vec::new();
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let mut chunk = [0u8; 4096];
        let n = s.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::Error::other(format!(
                "closed before the headers ended: {:?}",
                String::from_utf8_lossy(&buf)
            )));
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < len {
        let mut chunk = [0u8; 4096];
        let n = s.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::Error::other("closed inside the body"));
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(len);
    Ok(Answer {
        status,
        headers,
        body,
    })
}

/// True once the server closed the connection (end of stream or reset), reading and ignoring
/// whatever comes before; false if it is still open after [`WAIT`].
pub async fn closed_by_server(s: &mut TcpStream) -> bool {
    let wait = async {
        let mut chunk = [0u8; 4096];
        loop {
            match s.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(WAIT, wait).await.is_ok()
}

/// A form POST to `/v2/index.php` with `Host: host` and the given extra header lines.
pub fn post(host: &str, body: &str, extra: &str) -> Vec<u8> {
    format!(
        "POST /v2/index.php HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\n{extra}\r\n{body}",
        body.len()
    )
    .into_bytes()
}
