//! The HTTP/1.1 front: receives CMQ API 2.0 requests, authenticates them, applies injected
//! faults, calls a [`CmqService`] through the generated dispatcher and answers the JSON envelope.
//!
//! Transport rules (the service's, and the spec's decisions where it is silent):
//!
//! * Any path not under `/_mock/` is a CMQ endpoint (`/v2/index.php`, `/`, or whatever path the
//!   TDMQ Go SDK's endpoint has); the signature covers the path as requested. Paths under
//!   `/_mock/` go to the optional [`AdminRoutes`] handler (404 without one).
//! * GET reads the parameters from the query string; POST reads **only** the body as a form,
//!   whatever the `Content-Type` says (the query string is ignored). `+` and `%20` both mean a
//!   space.
//! * A body over [`MAX_REQUEST_BYTES`] answers [`protocol::TOO_LARGE`] (4000/10420) without being
//!   kept in memory; other methods answer [`protocol::BAD_METHOD`] (4000/10410).
//! * A missing or unknown `Action` answers [`protocol::UNKNOWN_ACTION`] (4000/10430); the name is
//!   matched exactly first, then ignoring ASCII case (the Java SDK sends
//!   `ClearSUbscriptionFIlterTags`).
//! * Then authentication ([`Verifier`]), then fault injection ([`Faults`]), then the service.
//! * Every CMQ answer is HTTP 200, `Content-Type: application/json`, with `code`, `message`,
//!   `requestId` (unique per server: a random prefix and a counter) and the `clientRequestId`
//!   echoed when sent. A panic in the service answers [`protocol::INTERNAL`] (6000/10050) and the
//!   server carries on.
//!
//! Connections are kept alive, `TCP_NODELAY` is set, and each connection is served by its own
//! task. Shutdown stops accepting at once, lets in-flight requests finish (for at most the grace
//! period) and closes idle connections.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use cmq_sdk::generated::MAX_REQUEST_BYTES;
use cmq_sdk::generated::actions::Action;
use cmq_sdk::generated::errors::protocol;
use futures_util::FutureExt;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Incoming};
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, HOST, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream, ToSocketAddrs};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use crate::clock::Clock;
use crate::faults::{Faults, InjectedFailure};
use crate::generated::dispatch::dispatch;
use crate::generated::service::CmqService;
use crate::journal::{Journal, JournalRecord, redact_in_place, redacted};
use crate::protocol::v2::auth::{Accounts, Verifier};
use crate::protocol::v2::service::{RequestContext, ServiceError};
use crate::protocol::v2::wire::WireParams;
use crate::store::Log;

/// The path prefix of the admin API.
pub const ADMIN_PREFIX: &str = "/_mock/";

/// The largest admin request body read, in bytes.
pub const ADMIN_MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// How much of an oversized body is read (and thrown away) so that the client, still sending,
/// gets the answer instead of a reset connection; beyond this the connection is closed after
/// the answer.
const DRAIN_LIMIT_BYTES: usize = 16 * 1024 * 1024;

/// The default time in-flight requests get to finish once shutdown starts.
pub const DEFAULT_GRACE_PERIOD: Duration = Duration::from_secs(5);

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
/// then [`Server::bind`] it (or call it in process with [`Server::call`]).
pub struct Server<S: CmqService> {
    shared: Shared<S>,
}

struct Shared<S> {
    service: Arc<S>,
    accounts: Arc<dyn Accounts>,
    verifier: Arc<Verifier>,
    faults: Arc<Faults>,
    journal: Arc<Journal>,
    clock: Clock,
    admin: Option<Arc<dyn AdminRoutes>>,
    grace: Duration,
    id_prefix: String,
    next_id: AtomicU64,
    /// With a data store: answers wait until what they depend on is on disk.
    log: Option<Arc<Log>>,
}

impl<S: CmqService> std::fmt::Debug for Server<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("verifier", &self.shared.verifier)
            .field("clock", &self.shared.clock)
            .field("admin", &self.shared.admin.is_some())
            .field("grace", &self.shared.grace)
            .finish_non_exhaustive()
    }
}

impl<S: CmqService> Server<S> {
    /// A server for `service`, authenticating against `accounts` with a [`Verifier`] on
    /// `clock` (mode `Verify`, default skew), with fresh [`Faults`] and an enabled [`Journal`].
    pub fn new(service: Arc<S>, accounts: Arc<dyn Accounts>, clock: Clock) -> Self {
        Self {
            shared: Shared {
                service,
                accounts,
                verifier: Arc::new(Verifier::new(clock.clone())),
                faults: Arc::new(Faults::new()),
                journal: Arc::new(Journal::new()),
                clock,
                admin: None,
                grace: DEFAULT_GRACE_PERIOD,
                id_prefix: format!("{:08x}", fastrand::u32(..)),
                next_id: AtomicU64::new(0),
                log: None,
            },
        }
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
            "GET" => Raw::Form(query.as_bytes()),
            "POST" if body.len() > MAX_REQUEST_BYTES => Raw::TooLarge,
            "POST" => Raw::Form(body),
            _ => Raw::BadMethod,
        };
        match self.shared.cmq(method, host, path, raw).await {
            Answer::Json(b) => Some(b),
            Answer::Drop => None,
        }
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
        let (tx, rx) = watch::channel(false);
        let shared = Arc::new(self.shared);
        let handles = Handles {
            faults: shared.faults.clone(),
            journal: shared.journal.clone(),
            verifier: shared.verifier.clone(),
            clock: shared.clock.clone(),
        };
        let task = tokio::spawn(accept_loop(shared, listener, rx));
        Ok(RunningServer {
            addr,
            shutdown: tx,
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

    /// Stops accepting connections (the port is closed when this returns), lets in-flight
    /// requests finish within the grace period, closes every connection, and returns.
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

async fn accept_loop<S: CmqService>(
    shared: Arc<Shared<S>>,
    listener: TcpListener,
    mut shutdown: watch::Receiver<bool>,
) {
    let conn_shutdown = shutdown.clone();
    let mut conns: JoinSet<()> = JoinSet::new();
    loop {
        tokio::select! {
            biased;
            () = stopped(&mut shutdown) => break,
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    conns.spawn(serve_connection(shared.clone(), stream, conn_shutdown.clone()));
                }
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "cmq-mock: accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            },
        }
    }
    drop(listener);
    let grace = shared.grace;
    let drained =
        tokio::time::timeout(grace, async { while conns.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tracing::debug!(
            remaining = conns.len(),
            "cmq-mock: grace period over, closing busy connections"
        );
        conns.shutdown().await;
    }
}

/// Completes once shutdown is signalled (or the handle is gone).
async fn stopped(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}

#[derive(Debug)]
struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for DropConnection {}

async fn serve_connection<S: CmqService>(
    shared: Arc<Shared<S>>,
    stream: TcpStream,
    mut shutdown: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let svc = service_fn(move |req: Request<Incoming>| {
        let shared = shared.clone();
        async move { shared.http(req).await }
    });
    let mut builder = http1::Builder::new();
    // No header-read timeout: it would arm a timer per request and close idle keep-alive
    // connections after 30 s, which pooled test clients then race against.
    builder.keep_alive(true).header_read_timeout(None);
    let mut conn = pin!(builder.serve_connection(TokioIo::new(stream), svc));
    let mut closing = false;
    loop {
        tokio::select! {
            res = conn.as_mut() => {
                if let Err(e) = res {
                    tracing::trace!(error = %e, "cmq-mock: connection ended with an error");
                }
                break;
            }
            () = stopped(&mut shutdown), if !closing => {
                closing = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}

/// The parameters of a CMQ request, or why there are none.
enum Raw<'a> {
    Form(&'a [u8]),
    TooLarge,
    BadMethod,
}

enum Answer {
    Json(Vec<u8>),
    Drop,
}

/// A request that passed the transport, action and authentication checks.
struct Admitted {
    params: WireParams,
    action: Action,
    account: String,
    request_id: String,
    client_request_id: Option<String>,
}

enum BodyError {
    TooLarge,
    Broken,
}

fn json_response(status: StatusCode, body: Vec<u8>) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

fn declared_length(req: &hyper::http::request::Parts) -> Option<u64> {
    req.headers
        .get(CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Reads a body, keeping at most `limit` bytes; an oversized body is read on (and thrown away)
/// up to [`DRAIN_LIMIT_BYTES`] so that the connection stays usable.
async fn read_body(
    mut body: Incoming,
    limit: usize,
    declared: Option<u64>,
) -> Result<Bytes, BodyError> {
    if body.is_end_stream() {
        return Ok(Bytes::new());
    }
    let mut too_large = declared.is_some_and(|n| n > limit as u64);
    if declared.is_some_and(|n| n > DRAIN_LIMIT_BYTES as u64) {
        return Err(BodyError::TooLarge);
    }
    let hint = declared.map_or(0, |n| usize::try_from(n).unwrap_or(limit).min(limit));
    let mut first: Option<Bytes> = None;
    let mut buf: Vec<u8> = Vec::new();
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame.map_err(|_| BodyError::Broken)?.into_data() else {
            continue;
        };
        total = total.saturating_add(data.len());
        if total > DRAIN_LIMIT_BYTES {
            return Err(BodyError::TooLarge);
        }
        if too_large || total > limit {
            too_large = true;
            first = None;
            buf = Vec::new();
            continue;
        }
        if first.is_none() && buf.is_empty() {
            first = Some(data);
        } else {
            if let Some(f) = first.take() {
                buf.reserve(hint.max(f.len() + data.len()));
                buf.extend_from_slice(&f);
            }
            buf.extend_from_slice(&data);
        }
    }
    if too_large {
        return Err(BodyError::TooLarge);
    }
    Ok(first.unwrap_or_else(|| Bytes::from(buf)))
}

#[derive(serde::Serialize)]
struct RawEnvelope<'a> {
    code: i64,
    message: &'a str,
    #[serde(rename = "requestId")]
    request_id: &'a str,
    #[serde(rename = "clientRequestId", skip_serializing_if = "Option::is_none")]
    client_request_id: Option<&'a str>,
}

fn panic_text(p: &(dyn std::any::Any + Send)) -> &str {
    p.downcast_ref::<&str>()
        .copied()
        .or_else(|| p.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(not a string)")
}

impl<S: CmqService> Shared<S> {
    fn next_request_id(&self) -> String {
        let n = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        format!("{}-{n}", self.id_prefix)
    }

    async fn http(&self, req: Request<Incoming>) -> Result<Response<Full<Bytes>>, DropConnection> {
        let (parts, body) = req.into_parts();
        let path = parts.uri.path();
        if path.starts_with(ADMIN_PREFIX) || path == "/_mock" {
            return self.admin(&parts, body).await;
        }
        let host = parts
            .headers
            .get(HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| parts.uri.authority().map(|a| a.as_str()))
            .unwrap_or("");
        let method = parts.method.as_str();
        let declared = declared_length(&parts);
        let body_bytes;
        let raw = match method {
            "POST" => match read_body(body, MAX_REQUEST_BYTES, declared).await {
                Ok(b) => {
                    body_bytes = b;
                    Raw::Form(&body_bytes)
                }
                Err(BodyError::TooLarge) => Raw::TooLarge,
                Err(BodyError::Broken) => return Err(DropConnection),
            },
            "GET" => {
                // A GET body carries nothing; read it off the connection and ignore it.
                if let Err(BodyError::Broken) = read_body(body, 0, declared).await {
                    return Err(DropConnection);
                }
                Raw::Form(parts.uri.query().unwrap_or("").as_bytes())
            }
            _ => {
                if let Err(BodyError::Broken) = read_body(body, 0, declared).await {
                    return Err(DropConnection);
                }
                Raw::BadMethod
            }
        };
        match self.cmq(method, host, path, raw).await {
            Answer::Json(b) => Ok(json_response(StatusCode::OK, b)),
            Answer::Drop => Err(DropConnection),
        }
    }

    async fn admin(
        &self,
        parts: &hyper::http::request::Parts,
        body: Incoming,
    ) -> Result<Response<Full<Bytes>>, DropConnection> {
        let Some(admin) = &self.admin else {
            return Ok(json_response(
                StatusCode::NOT_FOUND,
                br#"{"error":"this server has no admin API"}"#.to_vec(),
            ));
        };
        let bytes = match read_body(body, ADMIN_MAX_BODY_BYTES, declared_length(parts)).await {
            Ok(b) => b,
            Err(BodyError::TooLarge) => {
                return Ok(json_response(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    br#"{"error":"request body too large"}"#.to_vec(),
                ));
            }
            Err(BodyError::Broken) => return Err(DropConnection),
        };
        let fut = admin.handle(
            parts.method.as_str(),
            parts.uri.path(),
            parts.uri.query().unwrap_or(""),
            &bytes,
        );
        let (status, body) = match AssertUnwindSafe(fut).catch_unwind().await {
            Ok(answer) => answer,
            Err(p) => {
                tracing::error!(panic = panic_text(&*p), "cmq-mock: admin handler panicked");
                (500, br#"{"error":"admin handler panicked"}"#.to_vec())
            }
        };
        let (status, body) = match self.durable().await {
            Ok(()) => (status, body),
            Err(_) => (500, br#"{"error":"the data store failed"}"#.to_vec()),
        };
        Ok(json_response(
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            body,
        ))
    }

    /// Everything after the transport: parameters, action, authentication, faults, service.
    async fn cmq(&self, method: &str, host: &str, path: &str, raw: Raw<'_>) -> Answer {
        let time_ms = self.clock.now_ms();
        let request_id = self.next_request_id();
        let admitted = self.admit(method, host, path, raw, time_ms, request_id);
        let Admitted {
            params,
            action,
            account,
            request_id,
            client_request_id,
        } = match admitted {
            Ok(a) => a,
            Err(answer) => return answer,
        };
        if let Some(injection) = self.faults.take(action) {
            if let Some(latency) = injection.latency {
                tokio::time::sleep(latency).await;
            }
            if let Some(failure) = injection.failure {
                let crid = client_request_id.as_deref();
                return self.inject(failure, time_ms, account, params, request_id, crid);
            }
        }
        let ctx = RequestContext {
            action,
            account_id: account,
            request_id,
            client_request_id,
        };
        self.serve(time_ms, ctx, params).await
    }

    /// The parameters, the action and the account of a request, or the answer refusing it
    /// (too large, bad method, unknown action, authentication).
    fn admit(
        &self,
        method: &str,
        host: &str,
        path: &str,
        raw: Raw<'_>,
        time_ms: u64,
        request_id: String,
    ) -> Result<Admitted, Answer> {
        let refuse = |params: &WireParams, e: ServiceError, crid: Option<&str>, id: String| {
            self.finish(time_ms, None, params, Some(e.error.code()), id, |id| {
                e.encode(id, crid)
            })
        };
        let params = match raw {
            Raw::Form(bytes) => WireParams::parse(bytes),
            Raw::TooLarge => {
                let e = ServiceError::about(protocol::TOO_LARGE, "request");
                return Err(refuse(&WireParams::default(), e, None, request_id));
            }
            Raw::BadMethod => {
                let e = ServiceError::about(protocol::BAD_METHOD, method);
                return Err(refuse(&WireParams::default(), e, None, request_id));
            }
        };
        let client_request_id = params.get("clientRequestId").map(str::to_owned);
        let crid = client_request_id.as_deref();
        let action_text = params.get("Action");
        let Some(action) = action_text
            .and_then(|a| Action::from_wire(a).or_else(|| Action::from_wire_ignore_case(a)))
        else {
            let e = ServiceError::about(protocol::UNKNOWN_ACTION, action_text.unwrap_or(""));
            return Err(refuse(&params, e, crid, request_id));
        };
        let account = match self
            .verifier
            .verify(method, host, path, &params, &*self.accounts)
        {
            Ok(a) => a,
            Err(e) => return Err(refuse(&params, e, crid, request_id)),
        };
        Ok(Admitted {
            params,
            action,
            account,
            request_id,
            client_request_id,
        })
    }

    /// The answer of an injected failure instead of the service.
    fn inject(
        &self,
        failure: InjectedFailure,
        time_ms: u64,
        account: String,
        params: WireParams,
        request_id: String,
        crid: Option<&str>,
    ) -> Answer {
        match failure {
            InjectedFailure::Error(e) => self.finish(
                time_ms,
                Some(account),
                &params,
                Some(e.error.code()),
                request_id,
                |id| e.encode(id, crid),
            ),
            InjectedFailure::Raw { code, message } => {
                let encode = |id: &str| {
                    let env = RawEnvelope {
                        code,
                        message: &message,
                        request_id: id,
                        client_request_id: crid,
                    };
                    serde_json::to_vec(&env).unwrap_or_default()
                };
                self.finish(
                    time_ms,
                    Some(account),
                    &params,
                    Some(code),
                    request_id,
                    encode,
                )
            }
            InjectedFailure::DropConnection => {
                self.record_owned(time_ms, Some(account), params, None, request_id);
                Answer::Drop
            }
        }
    }

    /// Calls the service through the generated dispatcher (a panic answers 6000) and journals
    /// the request.
    async fn serve(&self, time_ms: u64, ctx: RequestContext, params: WireParams) -> Answer {
        let action = ctx.action;
        let (code, body) = match AssertUnwindSafe(dispatch(&*self.service, &ctx, action, &params))
            .catch_unwind()
            .await
        {
            Ok(Ok(body)) => (0, body),
            Ok(Err(e)) => (
                e.error.code(),
                e.encode(&ctx.request_id, ctx.client_request_id.as_deref()),
            ),
            Err(p) => {
                tracing::error!(action = action.as_str(), request_id = %ctx.request_id, panic = panic_text(&*p), "cmq-mock: service panicked");
                let e = ServiceError::new(protocol::INTERNAL);
                (
                    e.error.code(),
                    e.encode(&ctx.request_id, ctx.client_request_id.as_deref()),
                )
            }
        };
        let (code, body) = match self.durable().await {
            Ok(()) => (code, body),
            Err(()) => {
                let e = ServiceError::new(protocol::INTERNAL);
                (
                    e.error.code(),
                    e.encode(&ctx.request_id, ctx.client_request_id.as_deref()),
                )
            }
        };
        if self.journal.is_enabled() {
            let RequestContext {
                account_id,
                request_id,
                ..
            } = ctx;
            self.record_owned(time_ms, Some(account_id), params, Some(code), request_id);
        }
        Answer::Json(body)
    }

    /// Waits until every change made so far is on disk (at once without a data store).
    async fn durable(&self) -> Result<(), ()> {
        let Some(log) = &self.log else {
            return Ok(());
        };
        log.durable().await.map_err(|why| {
            tracing::error!("cmq-mock: not acknowledged, the data store failed: {why}");
        })
    }

    fn finish(
        &self,
        time_ms: u64,
        account: Option<String>,
        params: &WireParams,
        code: Option<i64>,
        request_id: String,
        encode: impl FnOnce(&str) -> Vec<u8>,
    ) -> Answer {
        let body = encode(&request_id);
        self.record(time_ms, account, params, code, request_id);
        Answer::Json(body)
    }

    /// Like [`Self::record`], but takes the parameters by value and redacts them in place, so
    /// the hot path copies no strings into the journal.
    fn record_owned(
        &self,
        time_ms: u64,
        account: Option<String>,
        params: WireParams,
        code: Option<i64>,
        request_id: String,
    ) {
        if !self.journal.is_enabled() {
            return;
        }
        let action = params.get("Action").map(str::to_owned);
        let mut pairs = params.into_pairs();
        redact_in_place(&mut pairs);
        self.journal.record(JournalRecord {
            time_ms,
            account,
            action,
            params: pairs,
            code,
            request_id,
        });
    }

    fn record(
        &self,
        time_ms: u64,
        account: Option<String>,
        params: &WireParams,
        code: Option<i64>,
        request_id: String,
    ) {
        if !self.journal.is_enabled() {
            return;
        }
        self.journal.record(JournalRecord {
            time_ms,
            account,
            action: params.get("Action").map(str::to_owned),
            params: redacted(params.pairs()),
            code,
            request_id,
        });
    }
}
