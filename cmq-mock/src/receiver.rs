//! A test push receiver: an HTTP endpoint on `127.0.0.1:0` that records every push it gets and
//! answers as the test scripts it (succeed, fail with a status, or answer late).
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use cmq_mock::{PushReceiver, Reply};
//! let rx = PushReceiver::start().await?;
//! rx.script([Reply::Status(500), Reply::Status(200)]); // first push fails, the retry succeeds
//! println!("subscribe with endpoint {}", rx.url("/hook"));
//! # Ok(()) }
//! ```

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};

/// How the receiver answers one push.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// Answer with this HTTP status (2xx is success for CMQ).
    Status(u16),
    /// Wait this long (real time), then answer with the status.
    Delayed(Duration, u16),
    /// Never answer (the pusher's 15 s timeout, measured on the mock's clock, ends it).
    Hang,
}

/// One push as received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceivedPush {
    /// The HTTP method (CMQ pushes with `POST`).
    pub method: String,
    /// The request path.
    pub path: String,
    /// Every header, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body (the JSON envelope, or the raw message for SIMPLIFIED).
    pub body: String,
}

impl ReceivedPush {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON, if it is JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_str(&self.body).ok()
    }
}

#[derive(Default)]
struct State {
    script: VecDeque<Reply>,
    default: Option<Reply>,
    pushes: Vec<ReceivedPush>,
}

struct Shared {
    state: Mutex<State>,
    arrived: Notify,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A scripted HTTP push receiver. Dropping it stops the server.
pub struct PushReceiver {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
}

impl std::fmt::Debug for PushReceiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushReceiver")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl PushReceiver {
    /// Binds `127.0.0.1:0` and serves; every push answers 200 until scripted otherwise.
    pub async fn start() -> std::io::Result<PushReceiver> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            arrived: Notify::new(),
        });
        let (stop, mut stopped) = watch::channel(false);
        let s2 = shared.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = stopped.changed() => break,
                    accepted = listener.accept() => {
                        let Ok((stream, _)) = accepted else { continue };
                        let s3 = s2.clone();
                        let mut stop_conn = stopped.clone();
                        tokio::spawn(async move {
                            let svc = service_fn(move |req| handle(s3.clone(), req));
                            let conn = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), svc);
                            tokio::select! {
                                _ = conn => {}
                                _ = stop_conn.changed() => {}
                            }
                        });
                    }
                }
            }
        });
        Ok(PushReceiver { addr, shared, stop })
    }

    /// `http://127.0.0.1:PORT{path}`, to use as a subscription endpoint.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Appends replies for the next pushes, in order.
    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        self.shared.lock().script.extend(replies);
    }

    /// The reply once the script is used up (default `Status(200)`).
    pub fn set_default(&self, reply: Reply) {
        self.shared.lock().default = Some(reply);
    }

    /// Every push received so far.
    pub fn pushes(&self) -> Vec<ReceivedPush> {
        self.shared.lock().pushes.clone()
    }

    /// Waits (real time, at most `timeout`) until at least `n` pushes arrived; returns them.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Option<Vec<ReceivedPush>> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.shared.arrived.notified();
            {
                let st = self.shared.lock();
                if st.pushes.len() >= n {
                    return Some(st.pushes.clone());
                }
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return None;
            }
        }
    }
}

impl Drop for PushReceiver {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

async fn handle(
    shared: Arc<Shared>,
    req: Request<hyper::body::Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let method = req.method().to_string();
    let path = req.uri().path().to_owned();
    let headers = req
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = match req.into_body().collect().await {
        Ok(b) => String::from_utf8_lossy(&b.to_bytes()).into_owned(),
        Err(_) => String::new(),
    };
    let reply = {
        let mut st = shared.lock();
        st.pushes.push(ReceivedPush {
            method,
            path,
            headers,
            body,
        });
        st.script
            .pop_front()
            .or_else(|| st.default.clone())
            .unwrap_or(Reply::Status(200))
    };
    shared.arrived.notify_waiters();
    let status = match reply {
        Reply::Status(s) => s,
        Reply::Delayed(d, s) => {
            tokio::time::sleep(d).await;
            s
        }
        Reply::Hang => {
            std::future::pending::<()>().await;
            500
        }
    };
    let mut resp = Response::new(Full::new(Bytes::new()));
    *resp.status_mut() =
        hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    Ok(resp)
}
