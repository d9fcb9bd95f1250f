//! Connections: accepting them within [`ServerLimits::max_connections`], serving each with
//! hyper, and bounding each in time.
//!
//! * **Slots.** A connection holds one of `max_connections` slots while it lives. At the cap, the
//!   connection idle the longest (between requests, or connected without sending anything, and
//!   with its last answer flushed) is closed to make room for the new one; when no connection is idle, the new one waits (the
//!   accept loop stops accepting, so further clients wait in the kernel's listen backlog) until
//!   a slot frees up. So idle or stalled clients cannot lock out a working one, and the mock
//!   never holds more than `max_connections + 1` sockets.
//! * **Timeouts** (tokio time): a connection is *idle* from its start and after each answer
//!   (closed after `idle_timeout`), *reading a head* from the first byte of a request until its
//!   headers are complete (closed after `header_timeout`: slowloris), then *busy* until the
//!   answer is ready (its body must arrive within `body_timeout`, see [`super::body`]; long polls
//!   and injected latency are not cut). A connection checks its phase on a tick of a third of
//!   the shorter of the idle and header timeouts, so a phase ends between 1 and 1.34 times its
//!   timeout after it began, and no timer is touched per request.
//! * **Accept errors** such as EMFILE (out of file descriptors) back off exponentially from
//!   5 ms to 1 s (and close the longest-idle connection to free a descriptor) instead of
//!   spinning; the first error of a streak is logged as a warning.
//! * **Lingering close.** When an answer refuses a body that was not read (declared larger than
//!   the drain limit), the connection, once the answer is written, shuts its write side and
//!   reads and discards up to [`LINGER_BYTES`] for at most [`LINGER_TIME`] before closing, so
//!   the client reads the answer instead of a connection reset.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::{Instant, Sleep};

use super::{ServerLimits, Shared, stopped};
use crate::generated::service::CmqService;

/// The most bytes a lingering connection reads (and discards) after its last answer.
pub(crate) const LINGER_BYTES: u64 = 64 * 1024 * 1024;

/// The longest a lingering connection waits for the client to stop sending.
pub(crate) const LINGER_TIME: Duration = Duration::from_secs(5);

const IDLE: u8 = 0;
const HEAD: u8 = 1;
const BUSY: u8 = 2;

/// What the accept loop and the request handlers know of one connection.
pub(crate) struct ConnState {
    phase: AtomicU8,
    /// When the current phase began, in ms since the server's epoch.
    since_ms: AtomicU64,
    epoch: Instant,
    /// Set by the accept loop to close this connection if it is still idle.
    evict: Notify,
    /// True from the moment an answer is ready until hyper has flushed it to the socket: such
    /// a connection is not idle enough to be closed for room.
    flushing: AtomicBool,
    /// Set by a handler: linger after the last answer.
    linger: AtomicBool,
}

impl ConnState {
    fn new(epoch: Instant) -> Self {
        let s = Self {
            phase: AtomicU8::new(IDLE),
            since_ms: AtomicU64::new(0),
            epoch,
            evict: Notify::new(),
            flushing: AtomicBool::new(false),
            linger: AtomicBool::new(false),
        };
        s.enter(IDLE);
        s
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn enter(&self, phase: u8) {
        // A busy connection has no deadline: no need to read the clock.
        if phase != BUSY {
            self.since_ms.store(self.now_ms(), Ordering::Relaxed);
        }
        self.phase.store(phase, Ordering::Relaxed);
    }

    fn phase(&self) -> u8 {
        self.phase.load(Ordering::Relaxed)
    }

    /// Idle, with its last answer written out: closing it loses nothing.
    fn evictable(&self) -> bool {
        self.phase() == IDLE && !self.flushing.load(Ordering::Relaxed)
    }

    /// When the current phase times out, if it can.
    fn deadline(&self, limits: &ServerLimits) -> Option<Instant> {
        let limit = match self.phase() {
            IDLE => limits.idle_timeout,
            HEAD => limits.header_timeout,
            _ => return None,
        };
        let since = Duration::from_millis(self.since_ms.load(Ordering::Relaxed));
        Some(self.epoch + since + limit)
    }

    /// Asks for a lingering close after the current answer.
    pub(crate) fn request_linger(&self) {
        self.linger.store(true, Ordering::Relaxed);
    }
}

/// The live connections, for eviction at the cap.
#[derive(Default)]
pub(crate) struct Registry {
    conns: Mutex<HashMap<u64, Arc<ConnState>>>,
    next: AtomicU64,
}

impl Registry {
    fn insert(&self, c: Arc<ConnState>) -> u64 {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.conns
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, c);
        id
    }

    fn remove(&self, id: u64) {
        self.conns
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id);
    }

    /// Asks the connection idle the longest to close; false when none is idle.
    pub(crate) fn evict_one(&self) -> bool {
        let conns = self.conns.lock().unwrap_or_else(|e| e.into_inner());
        // Oldest first; among connections idle since the same millisecond, the first accepted.
        let oldest = conns
            .iter()
            .filter(|(_, c)| c.evictable())
            .min_by_key(|(id, c)| (c.since_ms.load(Ordering::Relaxed), **id))
            .map(|(_, c)| c);
        match oldest {
            Some(c) => {
                c.evict.notify_one();
                true
            }
            None => false,
        }
    }
}

/// Exponential backoff after accept errors: 5 ms, doubling, at most 1 s.
#[derive(Debug, Default)]
pub(crate) struct Backoff {
    next: Option<Duration>,
}

impl Backoff {
    const FIRST: Duration = Duration::from_millis(5);
    const MAX: Duration = Duration::from_secs(1);

    /// The wait after one more error (and whether it starts a streak).
    pub(crate) fn on_error(&mut self) -> (Duration, bool) {
        let first = self.next.is_none();
        let d = self.next.unwrap_or(Self::FIRST);
        self.next = Some((d * 2).min(Self::MAX));
        (d, first)
    }

    pub(crate) fn reset(&mut self) {
        self.next = None;
    }
}

/// Something connections are accepted from (a listener; a fake one in tests).
pub(crate) trait Acceptor {
    fn poll_accept(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<TcpStream>>;
}

impl Acceptor for TcpListener {
    fn poll_accept(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<TcpStream>> {
        TcpListener::poll_accept(self, cx).map_ok(|(s, _)| s)
    }
}

/// Hands out connections within the slot budget, backing off on accept errors.
pub(crate) struct Gate {
    slots: Arc<Semaphore>,
    pub(crate) registry: Arc<Registry>,
    backoff: Backoff,
    shutdown: watch::Receiver<bool>,
}

impl Gate {
    pub(crate) fn new(max_connections: usize, shutdown: watch::Receiver<bool>) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(max_connections.max(1))),
            registry: Arc::default(),
            backoff: Backoff::default(),
            shutdown,
        }
    }

    /// The next connection with its slot; `None` once shutdown starts.
    pub(crate) async fn next<A: Acceptor>(
        &mut self,
        acceptor: &mut A,
    ) -> Option<(TcpStream, OwnedSemaphorePermit)> {
        loop {
            let accepted = tokio::select! {
                biased;
                () = stopped(&mut self.shutdown) => return None,
                r = std::future::poll_fn(|cx| acceptor.poll_accept(cx)) => r,
            };
            match accepted {
                Ok(stream) => {
                    self.backoff.reset();
                    let permit = self.slot().await?;
                    return Some((stream, permit));
                }
                Err(e) => {
                    let (wait, first) = self.backoff.on_error();
                    if first {
                        tracing::warn!(error = %e, "cmq-mock: accept failed; backing off");
                    } else {
                        tracing::debug!(error = %e, ?wait, "cmq-mock: accept failed again");
                    }
                    // Out of descriptors: an idle connection gives one back.
                    self.registry.evict_one();
                    tokio::select! {
                        biased;
                        () = stopped(&mut self.shutdown) => return None,
                        () = tokio::time::sleep(wait) => {}
                    }
                }
            }
        }
    }

    /// A free slot, closing idle connections to make one; `None` once shutdown starts.
    async fn slot(&mut self) -> Option<OwnedSemaphorePermit> {
        loop {
            if let Ok(p) = self.slots.clone().try_acquire_owned() {
                return Some(p);
            }
            self.registry.evict_one();
            // Until a slot frees up; every 100 ms, look again for an idle connection to close
            // (one may have become idle meanwhile).
            tokio::select! {
                biased;
                () = stopped(&mut self.shutdown) => return None,
                p = self.slots.clone().acquire_owned() => return p.ok(),
                () = tokio::time::sleep(Duration::from_millis(100)) => {}
            }
        }
    }
}

/// Accepts and serves until shutdown, then drains the connections within the grace period.
pub(crate) async fn serve<S: CmqService>(shared: Arc<Shared<S>>, mut listener: TcpListener) {
    let mut gate = Gate::new(shared.limits.max_connections, shared.stopping.clone());
    let mut conns: JoinSet<()> = JoinSet::new();
    while let Some((stream, permit)) = gate.next(&mut listener).await {
        // Forget the connections that ended (their slots are already free).
        while conns.try_join_next().is_some() {}
        // Known to the registry from the moment it is accepted, so eviction goes in order.
        let state = Arc::new(ConnState::new(shared.epoch));
        let id = gate.registry.insert(state.clone());
        let registered = Registered {
            registry: gate.registry.clone(),
            id,
        };
        conns.spawn(serve_connection(
            shared.clone(),
            stream,
            permit,
            state,
            registered,
        ));
    }
    drop(listener);
    let drained = tokio::time::timeout(shared.grace, async {
        while conns.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::debug!(
            remaining = conns.len(),
            "cmq-mock: grace period over, closing busy connections"
        );
        conns.shutdown().await;
    }
}

/// How a connection ended (besides hyper finishing it).
#[derive(Debug, PartialEq, Eq)]
enum End {
    Done,
    Evicted,
    TimedOut(u8),
}

/// A connection's place in the registry, given up when the connection ends (or its task is
/// cancelled).
struct Registered {
    registry: Arc<Registry>,
    id: u64,
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.registry.remove(self.id);
    }
}

async fn serve_connection<S: CmqService>(
    shared: Arc<Shared<S>>,
    stream: TcpStream,
    _permit: OwnedSemaphorePermit,
    state: Arc<ConnState>,
    _registered: Registered,
) {
    let _ = stream.set_nodelay(true);
    let io = Watched {
        inner: stream,
        state: state.clone(),
        linger: None,
    };
    let svc = {
        let shared = shared.clone();
        let state = state.clone();
        service_fn(move |req: Request<Incoming>| {
            let shared = shared.clone();
            let state = state.clone();
            async move {
                state.enter(BUSY);
                let r = shared.http(req, Some(&state)).await;
                state.flushing.store(true, Ordering::Relaxed);
                state.enter(IDLE);
                r
            }
        })
    };
    let mut builder = http1::Builder::new();
    builder.keep_alive(true).header_read_timeout(None);
    let conn = builder.serve_connection(TokioIo::new(io), svc);
    let end = drive(conn, &state, &shared.limits, shared.stopping.clone()).await;
    if end != End::Done {
        tracing::debug!(?end, "cmq-mock: connection closed");
    }
}

/// How often a connection looks at its phase's deadline: a third of the shortest timeout (so a
/// phase ends between 1 and 1.34 times its timeout after it began), at least every millisecond.
/// Checking on a tick, not on a timer re-armed at every phase change, keeps timer work off the
/// per-request path.
fn tick(limits: &ServerLimits) -> Duration {
    (limits.header_timeout.min(limits.idle_timeout) / 3).max(Duration::from_millis(1))
}

/// Runs a hyper connection until it ends, shutdown closes it gracefully, it is evicted while
/// idle, or its phase times out.
async fn drive<F>(
    conn: F,
    state: &ConnState,
    limits: &ServerLimits,
    mut shutdown: watch::Receiver<bool>,
) -> End
where
    F: Future<Output = hyper::Result<()>> + GracefulShutdown,
{
    let mut conn = pin!(conn);
    let mut stop = pin!(async move { stopped(&mut shutdown).await });
    let mut evicted = pin!(state.evict.notified());
    let every = tick(limits);
    let mut timer: Pin<Box<Sleep>> = Box::pin(tokio::time::sleep(every));
    let mut closing = false;
    std::future::poll_fn(|cx| {
        if !closing && stop.as_mut().poll(cx).is_ready() {
            closing = true;
            conn.as_mut().shutdown_gracefully();
        }
        if let Poll::Ready(r) = conn.as_mut().poll(cx) {
            if let Err(e) = r {
                tracing::trace!(error = %e, "cmq-mock: connection ended with an error");
            }
            return Poll::Ready(End::Done);
        }
        while evicted.as_mut().poll(cx).is_ready() {
            if state.evictable() {
                return Poll::Ready(End::Evicted);
            }
            // It got busy meanwhile: keep it, and listen for the next eviction.
            evicted.set(state.evict.notified());
        }
        while timer.as_mut().poll(cx).is_ready() {
            let now = Instant::now();
            if state.deadline(limits).is_some_and(|d| d <= now) {
                return Poll::Ready(End::TimedOut(state.phase()));
            }
            timer.as_mut().reset(now + every);
        }
        Poll::Pending
    })
    .await
}

/// A connection future that can be asked to finish gracefully.
trait GracefulShutdown {
    fn shutdown_gracefully(self: Pin<&mut Self>);
}

impl<I, S> GracefulShutdown for http1::Connection<I, S>
where
    S: hyper::service::HttpService<Incoming>,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    I: hyper::rt::Read + hyper::rt::Write + Unpin,
    S::ResBody: hyper::body::Body + 'static,
    <S::ResBody as hyper::body::Body>::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    fn shutdown_gracefully(self: Pin<&mut Self>) {
        self.graceful_shutdown();
    }
}

/// A TCP stream that tells its [`ConnState`] when a request starts arriving, and lingers on
/// shutdown when asked to.
struct Watched {
    inner: TcpStream,
    state: Arc<ConnState>,
    linger: Option<Linger>,
}

/// The state of a lingering close.
struct Linger {
    deadline: Pin<Box<Sleep>>,
    read: u64,
    write_shut: bool,
}

impl AsyncRead for Watched {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let r = Pin::new(&mut this.inner).poll_read(cx, buf);
        if buf.filled().len() > before && this.state.phase() == IDLE {
            this.state.enter(HEAD);
        }
        r
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let r = Pin::new(&mut this.inner).poll_flush(cx);
        if let Poll::Ready(Ok(())) = r {
            // hyper flushes once what it buffered is written: the answer is out.
            this.state.flushing.store(false, Ordering::Relaxed);
        }
        r
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    /// Closes the write side; when a lingering close was asked for, then reads and discards
    /// what the client still sends, until it stops or the bounds are reached.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.state.linger.load(Ordering::Relaxed) {
            return Pin::new(&mut this.inner).poll_shutdown(cx);
        }
        let linger = this.linger.get_or_insert_with(|| Linger {
            deadline: Box::pin(tokio::time::sleep(LINGER_TIME)),
            read: 0,
            write_shut: false,
        });
        if !linger.write_shut {
            std::task::ready!(Pin::new(&mut this.inner).poll_shutdown(cx))?;
            linger.write_shut = true;
        }
        let mut scratch = [0u8; 8192];
        loop {
            if linger.read >= LINGER_BYTES || linger.deadline.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Ok(()));
            }
            let mut buf = ReadBuf::new(&mut scratch);
            match Pin::new(&mut this.inner).poll_read(cx, &mut buf) {
                Poll::Ready(Ok(())) if buf.filled().is_empty() => return Poll::Ready(Ok(())),
                Poll::Ready(Ok(())) => linger.read += buf.filled().len() as u64,
                Poll::Ready(Err(_)) => return Poll::Ready(Ok(())),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

#[cfg(test)]
mod tests;
