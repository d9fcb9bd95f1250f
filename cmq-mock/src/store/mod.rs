//! Persistence (`--data-dir`): everything the engine knows, in one SQLite file, written so that
//! a request answered with code 0 is on disk before its answer leaves.
//!
//! # How it fits together
//!
//! * The engine stays the one source of truth and keeps its in-memory layout. When a store is
//!   attached ([`crate::engine::Engine::attach_log`]), every change it makes (a send, a receive,
//!   a delete, a dead letter moving, a queue's settings, a topic, a subscription, a push backlog
//!   entry and its retry state, …) is also handed to the [`Log`] as a [`records::Record`], under
//!   the same lock that orders the change in memory. Without a store the engine pays one branch
//!   per change and allocates nothing more. The API 3.0-only settings of queues and topics
//!   (`protocol::v3::extras`) are written the same way by the API 3.0 backend, and handed back
//!   after a restart by [`Store::take_extras`].
//! * One writer thread ([`writer`]) takes everything pending, applies it as one transaction
//!   ([`apply`]) and commits (WAL, `synchronous=FULL`: one fsync), then wakes every request of
//!   the group. The server waits on [`Log::durable`] before it answers: durability is a prefix of
//!   the log, so that wait covers the request's own changes and every change it depended on (a
//!   receive's answer implies the send it returns is on disk).
//! * Time-driven transitions (delays ending, visibility timeouts ending) are not written: they
//!   follow from the stored times. Those that remove or move messages (retention, dead letters)
//!   are.
//! * At start ([`Opened`]), the file is checked (ours, format, SQLite's `quick_check`) and read
//!   back ([`recover`]): every value range-checked, every message's CRC verified, every
//!   reference resolved. The engine is rebuilt from it exactly as it was, then the writer starts.
//!   Anything wrong refuses the start with a [`StoreError`] naming the file, the table and the
//!   key.
//!
//! The file format is described in [`schema`]; its version is `PRAGMA user_version`.

mod apply;
mod error;
pub(crate) mod records;
pub(crate) mod recover;
pub(crate) mod schema;
mod writer;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rusqlite::Connection;

pub use error::StoreError;
pub(crate) use recover::{MessageSink, Recovered};
pub use writer::Log;
pub(crate) use writer::Writer;

use crate::clock::Clock;
use crate::engine::Engine;
use crate::protocol::v3::extras::Extras;
use records::{MsgRow, Record};

/// A store opened and checked, not yet written to: read it back, then [`Opened::start`] it.
pub(crate) struct Opened {
    conn: Connection,
    file: PathBuf,
    log: Arc<Log>,
}

impl std::fmt::Debug for Opened {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Opened").field("file", &self.file).finish()
    }
}

impl Opened {
    /// Opens (or creates) the store in `dir` and checks it; see [`schema`].
    pub(crate) fn open(dir: &Path) -> Result<Self, StoreError> {
        let conn = schema::open(dir)?;
        let file = dir.join(schema::FILE_NAME);
        let log = Log::new(&file);
        Ok(Self { conn, file, log })
    }

    /// The log the engine will write to (its writer starts with [`Opened::start`]).
    pub(crate) fn log(&self) -> &Arc<Log> {
        &self.log
    }

    /// Everything but the messages.
    pub(crate) fn load(&self) -> Result<Recovered, StoreError> {
        recover::load(&self.conn, &self.file)
    }

    /// Streams every message to `sink`, queue by queue in production order; returns how many.
    /// This thread reads and checks the rows while a second one hands them to the sink (the
    /// two halves of a restart's work take about as long each).
    pub(crate) fn load_messages(&self, sink: &mut MessageSink<'_>) -> Result<u64, StoreError> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<(u32, Vec<MsgRow>)>(4);
        std::thread::scope(|s| {
            let placer = s.spawn(move || -> Result<(), (u32, u64, String)> {
                for (uid, mut rows) in rx {
                    let first = rows.first().map_or(0, |m| m.seq);
                    sink(uid, &mut rows).map_err(|what| (uid, first, what))?;
                }
                Ok(())
            });
            let mut forward = move |uid: u32, rows: &mut Vec<MsgRow>| {
                tx.send((uid, std::mem::take(rows)))
                    .map_err(|_| "the restore stopped".to_owned())
            };
            let read = recover::load_messages(&self.conn, &self.file, &mut forward);
            drop(forward);
            let placed = placer
                .join()
                .unwrap_or_else(|_| Err((0, 0, "restoring the messages panicked".into())));
            match (read, placed) {
                (_, Err((uid, seq, what))) => Err(StoreError::Corrupt {
                    file: self.file.clone(),
                    place: format!("table messages, key queue uid {uid}, seq {seq}…"),
                    what,
                }),
                (read, Ok(())) => read,
            }
        })
    }

    /// Starts the writer thread; from now on what the log receives goes to disk.
    pub(crate) fn start(self) -> Result<Store, StoreError> {
        let writer =
            writer::start(apply::Applier::new(self.conn), self.log.clone()).map_err(|e| {
                StoreError::Open {
                    file: self.file.clone(),
                    reason: format!("cannot start the writer thread: {e}"),
                }
            })?;
        Ok(Store {
            log: self.log,
            writer,
            extras: Vec::new(),
        })
    }
}

/// Opens the store in `dir`, rebuilds `engine` (a fresh one) from it, resumes a manual
/// `clock` at the time it had, attaches the log and starts the writer. The API 3.0-only
/// settings it held wait in the returned store ([`Store::take_extras`]).
pub(crate) fn attach(engine: &Engine, clock: &Clock, dir: &Path) -> Result<Store, StoreError> {
    let t0 = std::time::Instant::now();
    let opened = Opened::open(dir)?;
    let t1 = t0.elapsed();
    let mut rec = opened.load()?;
    let extras = std::mem::take(&mut rec.extras);
    // The clock first: restored push workers start at once and read it.
    resume_clock(clock, &rec, opened.log());
    let restored = engine.restore(&rec, opened.log())?;
    let n = opened.load_messages(&mut |uid, rows| restored.messages(uid, rows))?;
    tracing::info!(
        file = %opened.file.display(),
        "cmq-mock: restored {} queues, {} topics and {n} messages in {:.2} s ({:.2} s of it checking the file)",
        rec.queues.len(),
        rec.topics.len(),
        t0.elapsed().as_secs_f64(),
        t1.as_secs_f64()
    );
    engine.attach_log(opened.log().clone());
    let mut store = opened.start()?;
    store.extras = extras;
    Ok(store)
}

/// A manual clock resumes at its stored time and writes every later move to `log`.
fn resume_clock(clock: &Clock, rec: &Recovered, log: &Arc<Log>) {
    if clock.is_manual() {
        let l = log.clone();
        let observer = Arc::new(move |ms| l.submit(Record::ManualClock(Some(ms))));
        clock.resume_manual(rec.manual_clock_ms, observer);
        if rec.manual_clock_ms.is_none() {
            log.submit(Record::ManualClock(Some(clock.now_ms())));
        }
    } else if rec.manual_clock_ms.is_some() {
        // A system-clock run: a later manual-clock run starts from the wall clock again.
        log.submit(Record::ManualClock(None));
    }
}

/// A running store: its log and its writer thread.
#[derive(Debug)]
pub(crate) struct Store {
    log: Arc<Log>,
    writer: Writer,
    /// The API 3.0-only settings read back, until the API 3.0 backend takes them.
    extras: Vec<(String, Extras)>,
}

impl Store {
    /// The API 3.0-only settings of queues and topics that were read back (once; empty after).
    pub(crate) fn take_extras(&mut self) -> Vec<(String, Extras)> {
        std::mem::take(&mut self.extras)
    }

    /// The log (what the engine writes to and the server waits on).
    pub(crate) fn log(&self) -> &Arc<Log> {
        &self.log
    }

    /// Commits what is pending, checkpoints and closes the file; blocks until done.
    pub(crate) fn close(self) {
        self.writer.stop();
    }
}
