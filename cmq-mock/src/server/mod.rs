//! The HTTP/1.1 front: receives CMQ API 2.0 requests, authenticates them, applies injected
//! faults, calls a [`CmqService`] through the generated dispatcher and answers the JSON envelope.
//! With [`Server::with_api3`] it serves Tencent Cloud API 3.0 on the same listener: a POST to `/`
//! with an `X-TC-Action` header goes through [`api3`] (TC3-HMAC-SHA256, the API 3.0 envelope),
//! everything else through the API 2.0 pipeline below.
//!
//! Transport rules (the service's, and the spec's decisions where it is silent):
//!
//! * Any path not under `/_mock/` is a CMQ endpoint (`/v2/index.php`, `/`, or whatever path the
//!   TDMQ Go SDK's endpoint has); the signature covers the path as requested. Paths under
//!   `/_mock/` go to the optional [`AdminRoutes`] handler, behind the checks of [`guard`] (404
//!   without a handler or with the admin API turned off).
//! * GET reads the parameters from the query string; POST reads **only** the body as a form,
//!   whatever the `Content-Type` says (the query string is ignored). `+` and `%20` both mean a
//!   space.
//! * A body over [`MAX_REQUEST_BYTES`] answers [`protocol::TOO_LARGE`] (4000/10420) without being
//!   kept in memory; other methods answer [`protocol::BAD_METHOD`] (4000/10410).
//! * More than [`ServerLimits::max_params`] parameters answer 4000/10000 "invalid request
//!   parameters: more than N parameters in one request"; a parameter name sent twice (names PHP
//!   merges count as one: `a.b`, `a_b`, `a b`) answers 4000/10330 "parameter NAME is NOT a
//!   repeatable parameter". Both are checked before authentication: the service reads PHP's
//!   `$_POST`, where the last value wins, so a signature over one of two values is ambiguous.
//! * A missing or unknown `Action` answers [`protocol::UNKNOWN_ACTION`] (4000/10430); the name is
//!   matched exactly first, then ignoring ASCII case (the Java SDK sends
//!   `ClearSUbscriptionFIlterTags`).
//! * Then authentication ([`Verifier`]), then fault injection ([`Faults`]), then the service.
//! * Every CMQ answer is HTTP 200, `Content-Type: application/json`, with `code`, `message`,
//!   `requestId` (unique per server: a random prefix and a counter) and the `clientRequestId`
//!   echoed when sent. A panic in the service answers [`protocol::INTERNAL`] (6000/10050) and the
//!   server carries on; a panic in an admin handler answers HTTP 500 with a JSON body.
//!
//! Connections ([`conn`]) are kept alive, `TCP_NODELAY` is set, each is served by its own task,
//! and each is bounded in time: [`ServerLimits`] sets the header-read, body-read and idle
//! timeouts and the most connections served at once (at the cap, the connection idle the longest
//! is closed to make room; when none is idle, new connections wait in the listen backlog).
//!
//! Shutdown stops accepting at once, answers every pending long poll (ReceiveMessage,
//! BatchReceiveMessage) with 7000/10200 "no message", lets other in-flight requests finish (for
//! at most the grace period) and closes idle connections.

mod api3;
mod body;
mod cmq;
mod conn;
pub(crate) mod guard;
mod http;

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use cmq_sdk::generated::MAX_REQUEST_BYTES;
#[cfg(doc)]
use cmq_sdk::generated::errors::protocol;
use http_body_util::Full;
use hyper::Request;
use hyper::Response;
use tokio::net::{TcpListener, ToSocketAddrs};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::clock::Clock;
use crate::faults::Faults;
use crate::generated::service::CmqService;
use crate::journal::Journal;
use crate::protocol::v2::auth::{Accounts, Verifier};
use crate::store::Log;

pub use api3::Api3Routes;
pub use guard::AdminAccess;

/// The path prefix of the admin API.
pub const ADMIN_PREFIX: &str = "/_mock/";

/// The largest admin request body read, in bytes.
pub const ADMIN_MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// The default time in-flight requests get to finish once shutdown starts.
pub const DEFAULT_GRACE_PERIOD: Duration = Duration::from_secs(5);

/// What one server accepts: parameters per request, connections, and how long a client may take.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerLimits {
    /// The most parameters one request may carry (default 256: the largest request the spec
    /// allows has about 50).
    pub max_params: usize,
    /// The most connections served at once (default 1024). At the cap the connection idle the
    /// longest is closed to make room; when none is idle, new connections wait in the listen
    /// backlog until one ends.
    pub max_connections: usize,
    /// From the first byte of a request to the end of its headers (default 30 s); a connection
    /// over it is closed.
    pub header_timeout: Duration,
    /// From the end of a request's headers to the end of its body (default 60 s); a body over it
    /// answers 4000/10420 and the connection is closed.
    pub body_timeout: Duration,
    /// How long a keep-alive connection may sit between requests (default 120 s: above the 90 s
    /// for which reqwest and other pools keep idle connections, so their requests never race the
    /// close).
    pub idle_timeout: Duration,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            max_params: 256,
            max_connections: 1024,
            header_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(60),
            idle_timeout: Duration::from_secs(120),
        }
    }
}

/// A handler for the admin API: every request whose path starts with `/_mock/`.
pub trait AdminRoutes: Send + Sync + 'static {
    /// Answers one admin request with an HTTP status and a JSON body. `query` is the raw query
    /// string (empty when none), `body` the whole request body.
    fn handle(
        &self,
        method: &str,
        path: &str,
        query: &str,
        body: &[u8],
    ) -> Pin<Box<dyn Future<Output = (u16, Vec<u8>)> + Send + '_>>;
}

/// A CMQ server, before it is bound. Build it with [`Server::new`] and the `with_*` methods,
/// then [`Server::bind`] it (or call it in process with [`Server::call`] and [`Server::http`]).
pub struct Server<S: CmqService> {
    shared: Shared<S>,
    shutdown: watch::Sender<bool>,
}

pub(crate) struct Shared<S> {
    service: Arc<S>,
    /// The API 3.0 service, when the server speaks API 3.0 too.
    api3: Option<Arc<dyn Api3Routes>>,
    accounts: Arc<dyn Accounts>,
    verifier: Arc<Verifier>,
    faults: Arc<Faults>,
    journal: Arc<Journal>,
    clock: Clock,
    admin: Option<Arc<dyn AdminRoutes>>,
    access: AdminAccess,
    limits: ServerLimits,
    grace: Duration,
    id_prefix: String,
    next_id: AtomicU64,
    /// Where it listens, once bound (the admin checks compare the `Host` with it).
    addr: OnceLock<SocketAddr>,
    /// True once shutdown started: pending long polls answer at once.
    stopping: watch::Receiver<bool>,
    /// The origin of connection times (tokio time, so paused in tests that pause it).
    epoch: tokio::time::Instant,
    /// With a data store: answers wait until what they depend on is on disk.
    log: Option<Arc<Log>>,
}

impl<S: CmqService> std::fmt::Debug for Server<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("verifier", &self.shared.verifier)
            .field("clock", &self.shared.clock)
            .field("admin", &self.shared.admin.is_some())
            .field("access", &self.shared.access)
            .field("limits", &self.shared.limits)
            .field("grace", &self.shared.grace)
            .finish_non_exhaustive()
    }
}

impl<S: CmqService> Server<S> {
    /// A server for `service`, authenticating against `accounts` with a [`Verifier`] on
    /// `clock` (mode `Verify`, default skew), with fresh [`Faults`], an enabled [`Journal`] and
    /// the default [`ServerLimits`].
    pub fn new(service: Arc<S>, accounts: Arc<dyn Accounts>, clock: Clock) -> Self {
        let (shutdown, stopping) = watch::channel(false);
        Self {
            shared: Shared {
                service,
                api3: None,
                accounts,
                verifier: Arc::new(Verifier::new(clock.clone())),
                faults: Arc::new(Faults::new()),
                journal: Arc::new(Journal::new()),
                clock,
                admin: None,
                access: AdminAccess::default(),
                limits: ServerLimits::default(),
                grace: DEFAULT_GRACE_PERIOD,
                id_prefix: format!("{:08x}", fastrand::u32(..)),
                next_id: AtomicU64::new(0),
                addr: OnceLock::new(),
                stopping,
                epoch: tokio::time::Instant::now(),
                log: None,
            },
            shutdown,
        }
    }

    /// Serves API 3.0 too, with `api3` (requests told apart as [`api3`](self::api3) says); the
    /// same verifier, accounts, faults and journal apply.
    pub fn with_api3(mut self, api3: Arc<dyn Api3Routes>) -> Self {
        self.shared.api3 = Some(api3);
        self
    }

    /// Uses `verifier` (its own clock decides the Timestamp window).
    pub fn with_verifier(mut self, verifier: impl Into<Arc<Verifier>>) -> Self {
        self.shared.verifier = verifier.into();
        self
    }

    /// Uses these fault rules (shared with whoever else holds them, e.g. an admin handler).
    pub fn with_faults(mut self, faults: Arc<Faults>) -> Self {
        self.shared.faults = faults;
        self
    }

    /// Records into this journal.
    pub fn with_journal(mut self, journal: Arc<Journal>) -> Self {
        self.shared.journal = journal;
        self
    }

    /// Serves the admin API under [`ADMIN_PREFIX`] with `admin`.
    pub fn with_admin(mut self, admin: Arc<dyn AdminRoutes>) -> Self {
        self.shared.admin = Some(admin);
        self
    }

    /// Who may reach the admin API (default: on, no token, loopback host names only).
    pub fn with_admin_access(mut self, access: AdminAccess) -> Self {
        self.shared.access = access;
        self
    }

    /// Parameter, connection and timeout limits (default [`ServerLimits::default`]).
    pub fn with_limits(mut self, limits: ServerLimits) -> Self {
        self.shared.limits = limits;
        self
    }

    /// How long in-flight requests may take to finish once shutdown starts (default
    /// [`DEFAULT_GRACE_PERIOD`]); connections still busy after that are closed.
    pub fn with_grace_period(mut self, grace: Duration) -> Self {
        self.shared.grace = grace;
        self
    }

    /// With a data store: every answer (admin ones too) leaves only once every change made
    /// before it is on disk; if the store has failed, the answer is an internal error.
    pub(crate) fn with_store_log(mut self, log: Option<Arc<Log>>) -> Self {
        self.shared.log = log;
        self
    }

    /// The fault rules.
    pub fn faults(&self) -> &Arc<Faults> {
        &self.shared.faults
    }

    /// The journal.
    pub fn journal(&self) -> &Arc<Journal> {
        &self.shared.journal
    }

    /// The verifier.
    pub fn verifier(&self) -> &Arc<Verifier> {
        &self.shared.verifier
    }

    /// Handles one CMQ request in process, exactly as if it had arrived over HTTP: `query` is
    /// the raw query string, `body` the raw body. Returns the JSON answer, or `None` when an
    /// injected fault drops the connection.
    pub async fn call(
        &self,
        method: &str,
        host: &str,
        path: &str,
        query: &str,
        body: &[u8],
    ) -> Option<Vec<u8>> {
        let raw = match method {
            "GET" => cmq::Raw::Form(query.as_bytes()),
            "POST" if body.len() > MAX_REQUEST_BYTES => cmq::Raw::TooLarge,
            "POST" => cmq::Raw::Form(body),
            _ => cmq::Raw::BadMethod,
        };
        match self.shared.cmq(method, host, path, raw).await {
            cmq::Answer::Json(b) => Some(b),
            cmq::Answer::Drop => None,
        }
    }

    /// Handles one whole HTTP request in process, admin routes and their checks included, as
    /// the listener would (as if bound to `addr`, when given). `None` means the connection
    /// would be closed without an answer.
    pub async fn http<B>(
        &self,
        addr: Option<SocketAddr>,
        req: Request<B>,
    ) -> Option<Response<Full<Bytes>>>
    where
        B: hyper::body::Body<Data = Bytes> + Unpin,
        B::Error: std::fmt::Display,
    {
        if let Some(a) = addr {
            let _ = self.shared.addr.set(a);
        }
        self.shared.http(req, None).await.ok()
    }

    /// Starts a graceful shutdown of what this (not yet bound) server would serve: pending long
    /// polls answer at once.
    pub fn signal_shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    /// Binds `addr` (port 0 picks a free port) and serves on the current tokio runtime.
    /// Returns once the socket listens.
    pub async fn bind(self, addr: impl ToSocketAddrs) -> io::Result<RunningServer> {
        let listener = TcpListener::bind(addr).await?;
        self.serve(listener)
    }

    /// Serves on an already bound `listener`, on the current tokio runtime.
    pub fn serve(self, listener: TcpListener) -> io::Result<RunningServer> {
        let addr = listener.local_addr()?;
        let _ = self.shared.addr.set(addr);
        let shared = Arc::new(self.shared);
        let handles = Handles {
            faults: shared.faults.clone(),
            journal: shared.journal.clone(),
            verifier: shared.verifier.clone(),
            clock: shared.clock.clone(),
        };
        let task = tokio::spawn(conn::serve(shared, listener));
        Ok(RunningServer {
            addr,
            shutdown: self.shutdown,
            task: Some(task),
            handles,
        })
    }
}

struct Handles {
    faults: Arc<Faults>,
    journal: Arc<Journal>,
    verifier: Arc<Verifier>,
    clock: Clock,
}

/// A server that is listening. Dropping it starts a graceful shutdown without waiting for it;
/// [`RunningServer::shutdown`] waits.
pub struct RunningServer {
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
    handles: Handles,
}

impl std::fmt::Debug for RunningServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl RunningServer {
    /// The address it listens on (the real port when bound to port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://` and the address, e.g. `http://127.0.0.1:41234`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The fault rules.
    pub fn faults(&self) -> &Arc<Faults> {
        &self.handles.faults
    }

    /// The journal.
    pub fn journal(&self) -> &Arc<Journal> {
        &self.handles.journal
    }

    /// The verifier.
    pub fn verifier(&self) -> &Arc<Verifier> {
        &self.handles.verifier
    }

    /// The server's clock.
    pub fn clock(&self) -> &Clock {
        &self.handles.clock
    }

    /// Starts a graceful shutdown without waiting for it.
    pub fn signal_shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    /// Stops accepting connections (the port is closed when this returns), answers pending long
    /// polls with 7000, lets other in-flight requests finish within the grace period, closes
    /// every connection, and returns.
    pub async fn shutdown(mut self) {
        self.shutdown.send_replace(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.shutdown.send_replace(true);
    }
}

/// Completes once shutdown is signalled (or the handle is gone).
async fn stopped(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}

/// The text of a panic's payload.
fn panic_text(p: &(dyn std::any::Any + Send)) -> &str {
    p.downcast_ref::<&str>()
        .copied()
        .or_else(|| p.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(not a string)")
}
