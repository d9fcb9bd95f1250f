//! Memory per stored message in the in-process engine.
//!
//! ```sh
//! cargo bench -p cmq-mock --bench engine_memory                # 1,000,000 messages per state
//! cargo bench -p cmq-mock --bench engine_memory -- --n=200000 --states=active,retained
//! ```
//!
//! Each state runs in a child process of its own (this binary re-run with `--state=…`), so its
//! RSS figure starts from a clean heap. A counting global allocator gives the exact number of
//! bytes the engine asked for (live bytes after minus before, divided by the message count); the
//! message bodies are 16 bytes each, so "beyond the body" is that minus 16. RSS growth
//! (`/proc/self/statm`) adds what the allocator itself spends (glibc: ≥ 8 bytes of header per
//! block, 16-byte rounding, free space in the arena).
//!
//! States: `active` (sent, never received), `delayed` (sent with a one-hour delay), `inflight`
//! (received, not deleted, 12-hour visibility timeout), `retained` (received and deleted on a
//! queue with rewind on: kept for rewind).

use std::alloc::{GlobalAlloc, Layout, System};
use std::fmt::Write as _;
use std::process::Command;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Instant;

use cmq_mock::Clock;
use cmq_mock::internal::{Engine, Limits, QueueConfigUpdate};

/// Counts the bytes and blocks currently allocated through it.
struct Counting;

static LIVE_BYTES: AtomicIsize = AtomicIsize::new(0);
static LIVE_BLOCKS: AtomicIsize = AtomicIsize::new(0);

fn as_isize(n: usize) -> isize {
    isize::try_from(n).unwrap_or(isize::MAX)
}

// SAFETY: every call is forwarded unchanged to the system allocator; the counters are only
// bookkeeping.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE_BYTES.fetch_add(as_isize(layout.size()), Ordering::Relaxed);
            LIVE_BLOCKS.fetch_add(1, Ordering::Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            LIVE_BYTES.fetch_add(as_isize(layout.size()), Ordering::Relaxed);
            LIVE_BLOCKS.fetch_add(1, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) };
        LIVE_BYTES.fetch_sub(as_isize(layout.size()), Ordering::Relaxed);
        LIVE_BLOCKS.fetch_sub(1, Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE_BYTES.fetch_add(
                as_isize(new_size) - as_isize(layout.size()),
                Ordering::Relaxed,
            );
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const BODY_LEN: usize = 16;
const STATES: [&str; 4] = ["active", "delayed", "inflight", "retained"];

fn rss_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

/// A 16-byte body with exactly 16 bytes of capacity (no slack for `Box<str>` to shrink).
fn body(i: usize) -> String {
    let mut s = String::with_capacity(BODY_LEN);
    let _ = write!(s, "{i:016}");
    s
}

struct Snapshot {
    bytes: isize,
    blocks: isize,
    rss: usize,
}

fn snap() -> Snapshot {
    Snapshot {
        bytes: LIVE_BYTES.load(Ordering::Relaxed),
        blocks: LIVE_BLOCKS.load(Ordering::Relaxed),
        rss: rss_bytes(),
    }
}

/// Fills one queue with `n` messages in `state`; prints one result line.
fn run_state(state: &str, n: usize) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let engine = Engine::with_limits(Clock::system(), Limits::relaxed());
    let account = engine.add_account("AKIDbench", "secret");
    let settings = QueueConfigUpdate {
        visibility_timeout: Some(43_200),
        rewind_seconds: Some(if state == "retained" { 86_400 } else { 0 }),
        ..QueueConfigUpdate::default()
    };
    account.create_queue("q", &settings).expect("create queue");
    let delay = if state == "delayed" { 3600 } else { 0 };

    let before = snap();
    let start = Instant::now();
    for i in 0..n {
        account.send_message("q", body(i), delay).expect("send");
    }
    if state == "inflight" || state == "retained" {
        rt.block_on(async {
            let mut got = 0;
            while got < n {
                let batch = account
                    .batch_receive_message("q", 16, Some(0))
                    .await
                    .expect("receive");
                got += batch.len();
                if state == "retained" {
                    let handles: Vec<&str> =
                        batch.iter().map(|m| m.receipt_handle.as_str()).collect();
                    for r in account.batch_delete_message("q", &handles).expect("delete") {
                        r.expect("delete one");
                    }
                }
            }
        });
    }
    let secs = start.elapsed().as_secs_f64();
    let after = snap();
    let counters = account
        .get_queue_attributes("q")
        .expect("attributes")
        .counters;
    let held = counters.active_msg_num
        + counters.inactive_msg_num
        + counters.delay_msg_num
        + counters.rewind_msg_num;
    assert_eq!(
        held as usize, n,
        "the queue holds every message ({counters:?})"
    );

    let per = |d: isize| d as f64 / n as f64;
    let bytes = per(after.bytes - before.bytes);
    let blocks = per(after.blocks - before.blocks);
    let rss = per(as_isize(after.rss) - as_isize(before.rss));
    println!(
        "{state:<9} n={n:<8} allocated {bytes:>6.1} B/msg = body {BODY_LEN} + {:>6.1} beyond the body  ({blocks:.2} blocks/msg)  RSS {rss:>6.1} B/msg = body {BODY_LEN} + {:>6.1}  (filled in {secs:.2} s)",
        bytes - BODY_LEN as f64,
        rss - BODY_LEN as f64,
    );
    drop(engine);
}

fn main() {
    let mut n = 1_000_000usize;
    let mut state: Option<String> = None;
    let mut states: Vec<String> = STATES.iter().map(|s| (*s).to_owned()).collect();
    for a in std::env::args().skip(1) {
        let Some((k, v)) = a.trim_start_matches("--").split_once('=') else {
            continue; // `--bench` and other flags cargo passes
        };
        match k {
            "n" => n = v.parse().unwrap_or(n),
            "state" => state = Some(v.to_owned()),
            "states" => states = v.split(',').map(str::to_owned).collect(),
            _ => eprintln!("ignoring unknown option {a}"),
        }
    }
    let n = n.clamp(1, 5_000_000);
    if let Some(s) = state {
        run_state(&s, n);
        return;
    }
    println!(
        "memory per stored message, {n} messages with {BODY_LEN}-byte bodies, one process per state"
    );
    let exe = std::env::current_exe().expect("own path");
    for s in states.iter().filter(|s| STATES.contains(&s.as_str())) {
        let status = Command::new(&exe)
            .arg(format!("--state={s}"))
            .arg(format!("--n={n}"))
            .status()
            .expect("run a state");
        if !status.success() {
            eprintln!("state {s} failed: {status}");
        }
    }
}
