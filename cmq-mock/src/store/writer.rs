//! Group commit: the engine hands [`Record`]s to the [`Log`] (under the lock of whatever it
//! changed, so the log's order is the engine's order), one writer thread owns the SQLite
//! connection, takes **everything** pending, commits it as one transaction (one WAL fsync) and
//! then wakes every request waiting for that group. There is no timer: while one group syncs,
//! the next one fills up.
//!
//! Every record gets a log sequence number (LSN) as it is submitted; what is durable is always a
//! prefix of the log, so "everything submitted before this moment is on disk" is one number,
//! compared with one atomic load ([`Log::durable`]). A request waits for the LSN the log had
//! reached when the engine answered it, which covers its own changes and every change it saw.
//!
//! A failed commit stops the store for good (fail-stop): the waiters of that group and every
//! later one get the error, nothing more is written, and the mock answers every request with
//! an internal error until it is restarted.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::task::{Context, Poll, Waker};
use std::thread::JoinHandle;

use super::apply::Applier;
use super::records::Record;

/// [`Log::group_sizes`] counts groups of up to this many records one by one (larger ones in
/// the last entry).
pub(crate) const GROUP_SIZE_BUCKETS: usize = 64;

/// What is pending, under the log's mutex.
#[derive(Default)]
struct Pending {
    records: Vec<Record>,
    /// The LSN the next record gets (the first is 1).
    next_lsn: u64,
    /// Waiters for records not yet taken by the writer.
    filling: Vec<Waker>,
    /// The last LSN of the group being committed, and its waiters.
    inflight_end: u64,
    inflight: Vec<Waker>,
    /// The writer sleeps on the condvar (a submit must wake it).
    idle: bool,
    stop: bool,
}

/// The engine's side of the store: where changes go, and how a request waits until they are
/// on disk. Shared (`Arc`) by the engine, the server and the writer thread.
pub struct Log {
    file: PathBuf,
    pending: Mutex<Pending>,
    work: Condvar,
    /// Every record up to this LSN is committed.
    pub(super) durable: AtomicU64,
    /// The last LSN handed out.
    pub(super) submitted: AtomicU64,
    broken: AtomicBool,
    /// The writer has exited: nothing more becomes durable.
    closed: AtomicBool,
    failure: OnceLock<String>,
    commits: AtomicU64,
    /// Committed groups by how many records they carried (the last entry: that many or more).
    group_sizes: [AtomicU64; GROUP_SIZE_BUCKETS],
    /// Tests hold it to keep the writer from taking the next group.
    #[cfg(test)]
    pub(crate) gate: Mutex<()>,
}

impl std::fmt::Debug for Log {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Log")
            .field("file", &self.file)
            .field("durable", &self.durable.load(Ordering::Relaxed))
            .field("submitted", &self.submitted.load(Ordering::Relaxed))
            .field("commits", &self.commits.load(Ordering::Relaxed))
            .finish()
    }
}

impl Log {
    /// A log for the store `file` (its writer starts later, with [`start`]).
    pub(crate) fn new(file: &Path) -> Arc<Self> {
        Arc::new(Self {
            file: file.to_path_buf(),
            pending: Mutex::new(Pending {
                next_lsn: 1,
                ..Pending::default()
            }),
            work: Condvar::new(),
            durable: AtomicU64::new(0),
            submitted: AtomicU64::new(0),
            broken: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            failure: OnceLock::new(),
            commits: AtomicU64::new(0),
            group_sizes: [const { AtomicU64::new(0) }; GROUP_SIZE_BUCKETS],
            #[cfg(test)]
            gate: Mutex::new(()),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Pending> {
        // Every critical section below leaves `Pending` consistent.
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The store file.
    pub(crate) fn file(&self) -> &Path {
        &self.file
    }

    /// Appends one change. Call it under the lock that orders the change in the engine.
    pub(crate) fn submit(&self, record: Record) {
        if self.broken.load(Ordering::Relaxed) {
            return;
        }
        let mut p = self.lock();
        p.records.push(record);
        self.submitted.store(p.next_lsn, Ordering::Release);
        p.next_lsn += 1;
        let wake = std::mem::take(&mut p.idle);
        drop(p);
        if wake {
            self.work.notify_one();
        }
    }

    /// Waits until every change submitted so far is on disk. Ready at once when it already is
    /// (one atomic load); `Err` with the reason once the store failed.
    pub(crate) fn durable(&self) -> Durable<'_> {
        Durable {
            log: self,
            target: self.submitted.load(Ordering::Acquire),
        }
    }

    /// How many groups were committed (each one fsync of the WAL).
    pub(crate) fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    /// Committed groups by size: entry `n` counts the groups of `n` records (the last entry,
    /// [`GROUP_SIZE_BUCKETS`] − 1 or more). One SendMessage is one record.
    pub(crate) fn group_sizes(&self) -> Vec<u64> {
        self.group_sizes
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .collect()
    }

    /// Why the store stopped, if it did.
    pub(crate) fn failure(&self) -> Option<&str> {
        self.failure.get().map(String::as_str)
    }

    fn fail(&self, why: String) {
        tracing::error!(
            file = %self.file.display(),
            "cmq-mock: the data store failed and stops acknowledging: {why}"
        );
        let _ = self.failure.set(why);
        self.broken.store(true, Ordering::Release);
    }

    /// Waits for work; takes the next group (records, waiters, last LSN). `None` when stopped
    /// with nothing pending.
    fn take_group(&self, records: &mut Vec<Record>) -> Option<u64> {
        let mut p = self.lock();
        while p.records.is_empty() {
            if p.stop {
                return None;
            }
            p.idle = true;
            p = self.work.wait(p).unwrap_or_else(|e| e.into_inner());
        }
        p.idle = false;
        drop(p);
        #[cfg(test)]
        let _gate = self.gate.lock().unwrap_or_else(|e| e.into_inner());
        let mut p = self.lock();
        std::mem::swap(records, &mut p.records);
        let waiters = std::mem::take(&mut p.filling);
        p.inflight = waiters;
        p.inflight_end = p.next_lsn - 1;
        Some(p.inflight_end)
    }

    /// The group ending at `end` committed (or not): publishes it and wakes its waiters (all of
    /// them, and every later one, on failure).
    fn finish_group(&self, end: u64, result: Result<(), String>, wakers: &mut Vec<Waker>) {
        let mut p = self.lock();
        match result {
            Ok(()) => self.durable.store(end, Ordering::Release),
            Err(why) => {
                self.fail(why);
                p.records.clear();
                wakers.append(&mut p.filling);
            }
        }
        self.commits.fetch_add(1, Ordering::Relaxed);
        wakers.append(&mut p.inflight);
        drop(p);
        for w in wakers.drain(..) {
            w.wake();
        }
    }
}

/// The future of [`Log::durable`].
pub(crate) struct Durable<'a> {
    log: &'a Log,
    target: u64,
}

impl Future for Durable<'_> {
    type Output = Result<(), String>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let log = self.log;
        let ready = |log: &Log| {
            if log.durable.load(Ordering::Acquire) >= self.target {
                Some(Ok(()))
            } else if log.broken.load(Ordering::Acquire) {
                Some(Err(log
                    .failure()
                    .unwrap_or("the data store failed")
                    .to_owned()))
            } else if log.closed.load(Ordering::Acquire) {
                Some(Err("the data store is closed".to_owned()))
            } else {
                None
            }
        };
        if let Some(r) = ready(log) {
            return Poll::Ready(r);
        }
        let mut p = log.lock();
        // Checked again under the lock: the writer publishes and takes waiters under it.
        if let Some(r) = ready(log) {
            return Poll::Ready(r);
        }
        let list = if self.target <= p.inflight_end {
            &mut p.inflight
        } else {
            &mut p.filling
        };
        if !list.iter().any(|w| w.will_wake(cx.waker())) {
            list.push(cx.waker().clone());
        }
        Poll::Pending
    }
}

/// The writer thread; stopping it commits what is pending first.
pub(crate) struct Writer {
    log: Arc<Log>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer").field("log", &self.log).finish()
    }
}

/// Starts the writer thread, which owns the connection from now on.
pub(crate) fn start(applier: Applier, log: Arc<Log>) -> std::io::Result<Writer> {
    let l = log.clone();
    let thread = std::thread::Builder::new()
        .name("cmq-mock-store".into())
        .spawn(move || run(applier, &l))?;
    Ok(Writer {
        log,
        thread: Some(thread),
    })
}

fn run(mut applier: Applier, log: &Log) {
    let mut batch: Vec<Record> = Vec::new();
    let mut wakers: Vec<Waker> = Vec::new();
    while let Some(end) = log.take_group(&mut batch) {
        let result = if log.broken.load(Ordering::Acquire) {
            Err(log.failure().unwrap_or_default().to_owned())
        } else {
            applier.commit(&batch).map_err(|e| e.to_string())
        };
        if result.is_ok() {
            log.group_sizes[batch.len().min(GROUP_SIZE_BUCKETS - 1)]
                .fetch_add(1, Ordering::Relaxed);
        }
        batch.clear();
        log.finish_group(end, result, &mut wakers);
        if !log.broken.load(Ordering::Acquire) {
            if let Err(e) = applier.maybe_checkpoint() {
                log.fail(format!("checkpoint: {e}"));
            }
        }
    }
    if !log.broken.load(Ordering::Acquire) {
        if let Err(e) = applier.close() {
            tracing::warn!(file = %log.file.display(), "cmq-mock: closing the data store: {e}");
        }
    }
    // Whoever still waits (a change submitted after the stop) learns that it never will be.
    let mut p = log.lock();
    log.closed.store(true, Ordering::Release);
    wakers.append(&mut p.filling);
    wakers.append(&mut p.inflight);
    p.records.clear();
    drop(p);
    for w in wakers.drain(..) {
        w.wake();
    }
}

impl Writer {
    /// Asks the writer to stop once what is pending is committed; does not wait.
    pub(crate) fn signal_stop(&self) {
        let mut p = self.log.lock();
        p.stop = true;
        drop(p);
        self.log.work.notify_one();
    }

    /// Stops the writer and waits for it: pending changes are committed, the log checkpointed
    /// into the main file and the file closed (another mock may open it afterwards).
    pub(crate) fn stop(mut self) {
        self.signal_stop();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // Never blocks: the thread finishes the pending group and closes by itself.
        self.signal_stop();
    }
}
