//! Receive cost as the number of messages a queue holds grows: the time of one send + receive +
//! delete cycle on the in-process engine with 0, 100k and 1M messages already in the queue.
//!
//! ```sh
//! cargo bench -p cmq-mock --bench receive_backlog                       # all kinds, 0/100k/1M
//! cargo bench -p cmq-mock --bench receive_backlog -- --sizes=0,1000000 --kinds=delayed --secs=1
//! ```
//!
//! Backlog kinds (each in a fresh engine, relaxed limits, system clock):
//! * `active`: N visible messages; every cycle receives the oldest one (a backlog message) and
//!   the cycle's send joins the tail, so the backlog stays N;
//! * `delayed`: N messages sent with a one-hour delay;
//! * `inflight`: N messages received and not deleted (12-hour visibility timeout);
//! * `retained`: N messages deleted on a queue with rewind on (kept for rewind; the cycles add to
//!   them).
//!
//! Each (kind, size) measures cycles for `--secs` (default 1) in five windows after a short
//! warm-up, bounded by `--max-cycles`; the per-cycle time is the median window's mean; the ratio
//! is against the empty queue of the same kind. A process-wide warm-up runs first.

mod common;
use common::OtherLoad;

use std::time::{Duration, Instant};

use cmq_mock::Clock;
use cmq_mock::internal::{Account, Engine, Limits, QueueConfigUpdate};

const KINDS: [&str; 4] = ["active", "delayed", "inflight", "retained"];
/// Timed windows per (kind, size).
const WINDOWS: usize = 5;

struct Opts {
    sizes: Vec<usize>,
    kinds: Vec<String>,
    secs: f64,
    max_cycles: usize,
}

fn fill(rt: &tokio::runtime::Runtime, account: &Account, kind: &str, n: usize) {
    let delay = if kind == "delayed" { 3600 } else { 0 };
    for i in 0..n {
        account
            .send_message("q", format!("backlog-{i:08}"), delay)
            .expect("send");
    }
    if kind == "inflight" || kind == "retained" {
        rt.block_on(async {
            let mut got = 0;
            while got < n {
                let batch = account
                    .batch_receive_message("q", 16, Some(0))
                    .await
                    .expect("receive");
                got += batch.len();
                if kind == "retained" {
                    let handles: Vec<&str> =
                        batch.iter().map(|m| m.receipt_handle.as_str()).collect();
                    for r in account.batch_delete_message("q", &handles).expect("delete") {
                        r.expect("delete one");
                    }
                }
            }
        });
    }
}

/// Runs cycles for `dur` (at most `max` of them); returns (cycles, elapsed).
async fn cycles(account: &Account, dur: Duration, max: usize) -> (usize, Duration) {
    let start = Instant::now();
    let mut done = 0;
    while done < max {
        account
            .send_message("q", "0123456789abcdef", 0)
            .expect("send");
        let m = account
            .receive_message("q", Some(0))
            .await
            .expect("receive");
        account
            .delete_message("q", &m.receipt_handle)
            .expect("delete");
        done += 1;
        if done % 256 == 0 && start.elapsed() >= dur {
            break;
        }
    }
    (done, start.elapsed())
}

impl Opts {
    fn parse() -> Opts {
        let mut opts = Opts {
            sizes: vec![0, 100_000, 1_000_000],
            kinds: KINDS.iter().map(|k| (*k).to_owned()).collect(),
            secs: 1.0,
            max_cycles: 5_000_000,
        };
        for a in std::env::args().skip(1) {
            let Some((k, v)) = a.trim_start_matches("--").split_once('=') else {
                continue; // `--bench` and other flags cargo passes
            };
            match k {
                "sizes" => opts.sizes = v.split(',').filter_map(|s| s.parse().ok()).collect(),
                "kinds" => opts.kinds = v.split(',').map(str::to_owned).collect(),
                "secs" => opts.secs = v.parse().unwrap_or(opts.secs),
                "max-cycles" => opts.max_cycles = v.parse().unwrap_or(opts.max_cycles),
                _ => eprintln!("ignoring unknown option {a}"),
            }
        }
        opts.secs = opts.secs.clamp(0.1, 10.0);
        for s in &mut opts.sizes {
            *s = (*s).min(5_000_000);
        }
        opts
    }
}

/// Fills a fresh queue with `n` messages of `kind`, measures the cycle and prints one line (the
/// first size of a kind sets `base`, the figure the others are compared with).
fn measure(
    rt: &tokio::runtime::Runtime,
    opts: &Opts,
    kind: &str,
    n: usize,
    base: &mut Option<f64>,
) {
    let engine = Engine::with_limits(Clock::system(), Limits::relaxed());
    let account = engine.add_account("AKIDbench", "secret");
    let settings = QueueConfigUpdate {
        visibility_timeout: Some(43_200),
        rewind_seconds: Some(if kind == "retained" { 86_400 } else { 0 }),
        ..QueueConfigUpdate::default()
    };
    account.create_queue("q", &settings).expect("create queue");
    let t = Instant::now();
    fill(rt, &account, kind, n);
    let fill_secs = t.elapsed().as_secs_f64();
    let _ = rt.block_on(cycles(&account, Duration::from_millis(100), 100_000));
    // Five windows; the median window's mean is the figure (steady against bursts of load from
    // elsewhere on the machine).
    let load = OtherLoad::start();
    let mut windows: Vec<f64> = Vec::new();
    let mut done = 0;
    for _ in 0..WINDOWS {
        let (d, elapsed) = rt.block_on(cycles(
            &account,
            Duration::from_secs_f64(opts.secs / WINDOWS as f64),
            opts.max_cycles / WINDOWS,
        ));
        done += d;
        windows.push(elapsed.as_nanos() as f64 / d.max(1) as f64);
    }
    windows.sort_by(f64::total_cmp);
    let ns = windows[WINDOWS / 2];
    let other = load.cores();
    let ratio = *base.get_or_insert(ns);
    let c = account
        .get_queue_attributes("q")
        .expect("attributes")
        .counters;
    println!(
        "{kind:<9} backlog {n:>8}: {ns:>6.0} ns/cycle  ({:>7.0} cycles/s, {done} cycles)  x{:.2} vs empty  [held: active {} inflight {} delayed {} retained {}; filled in {fill_secs:.2} s; other load {other:.2} cores]",
        1e9 / ns,
        ns / ratio,
        c.active_msg_num,
        c.inactive_msg_num,
        c.delay_msg_num,
        c.rewind_msg_num,
    );
}

fn main() {
    let opts = Opts::parse();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    println!("send + receive + delete cycle on the in-process engine, by backlog");
    {
        // Warm-up of the process (heap, CPU frequency): the first timed run is slow otherwise.
        let engine = Engine::with_limits(Clock::system(), Limits::relaxed());
        let account = engine.add_account("AKIDbench", "secret");
        account
            .create_queue("q", &QueueConfigUpdate::default())
            .expect("create queue");
        let _ = rt.block_on(cycles(&account, Duration::from_millis(500), 1_000_000));
    }
    let whole = OtherLoad::start();
    for kind in opts.kinds.iter().filter(|k| KINDS.contains(&k.as_str())) {
        let mut base: Option<f64> = None;
        for &n in &opts.sizes {
            measure(&rt, &opts, kind, n, &mut base);
        }
    }
    println!(
        "other load on the machine during the run: {:.2} cores (of 2)",
        whole.cores()
    );
}
