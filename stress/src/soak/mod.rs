//! The soak: N producers and M consumers over HTTP (the SDK, signed requests) against the
//! standalone mock (a binary it starts) or an in-process one. Consumers "crash" at random: they
//! drop what they received without deleting it and start over with a new client (new
//! connections), so those messages come back after the visibility timeout. At the end every
//! message sent must have been deleted exactly once, no message may come back before its
//! visibility timeout ended, and the queue's counters must be zero.
//!
//! ```text
//! cmq-soak [--producers N] [--consumers M] [--messages K] [--crash-rate P] [--visibility S]
//!          [--max-secs D] [--binary PATH | --in-process] [--seed S]
//! ```

pub mod ledger;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cmq_mock::CmqMock;
use cmq_sdk::generated::ops::CreateQueueInput;
use cmq_sdk::retry::RetryPolicy;
use cmq_sdk::{Client, Credentials};
use ledger::{Counts, Ledger};

const ID: &str = "AKIDcmqmockdefault";
const KEY: &str = "cmq-mock-default-secret-key";
const QUEUE: &str = "soak";

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Producer tasks.
    pub producers: usize,
    /// Consumer tasks.
    pub consumers: usize,
    /// Messages in total.
    pub messages: usize,
    /// The chance that a consumer crashes before deleting a message it received.
    pub crash_rate: f64,
    /// The queue's visibility timeout, seconds.
    pub visibility: i64,
    /// The most the run may take before what is left counts as lost.
    pub max_secs: u64,
    /// The standalone binary to run (none: an in-process mock).
    pub binary: Option<String>,
    /// Seeds the crashes.
    pub seed: u64,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            producers: 8,
            consumers: 8,
            messages: 200_000,
            crash_rate: 0.01,
            visibility: 2,
            max_secs: 600,
            binary: None,
            seed: 7,
        }
    }
}

impl Options {
    /// Parses the command line.
    pub fn parse(args: &[String]) -> Result<Self, String> {
        let mut o = Options::default();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            if a == "--in-process" {
                o.binary = None;
                continue;
            }
            let v = it.next().ok_or_else(|| format!("{a} needs a value"))?;
            let num = |v: &str| -> Result<u64, String> {
                v.replace('_', "")
                    .parse()
                    .map_err(|_| format!("{a} needs a number, not {v:?}"))
            };
            match a.as_str() {
                "--producers" => o.producers = usize::try_from(num(v)?).unwrap_or(1).max(1),
                "--consumers" => o.consumers = usize::try_from(num(v)?).unwrap_or(1).max(1),
                "--messages" => o.messages = usize::try_from(num(v)?).unwrap_or(0),
                "--visibility" => o.visibility = i64::try_from(num(v)?).unwrap_or(1).max(1),
                "--max-secs" => o.max_secs = num(v)?,
                "--seed" => o.seed = num(v)?,
                "--crash-rate" => {
                    o.crash_rate = v
                        .parse()
                        .ok()
                        .filter(|p: &f64| (0.0..=1.0).contains(p))
                        .ok_or_else(|| format!("--crash-rate needs 0..1, not {v:?}"))?;
                }
                "--binary" => o.binary = Some(v.clone()),
                other => return Err(format!("unknown argument {other:?}")),
            }
        }
        Ok(o)
    }
}

/// The mock under test.
enum Target {
    InProcess(CmqMock),
    Binary(Child),
}

impl Target {
    async fn start(o: &Options) -> Result<(Self, String), String> {
        let Some(path) = &o.binary else {
            let mock = CmqMock::builder()
                .relaxed(true)
                .start()
                .await
                .map_err(|e| e.to_string())?;
            let endpoint = mock.endpoint();
            return Ok((Target::InProcess(mock), endpoint));
        };
        let mut child = Command::new(path)
            .args(["--listen", "127.0.0.1:0", "--relaxed"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot run {path}: {e}"))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let (tx, rx) = tokio::sync::oneshot::channel();
        // Reads stdout to its end (the mock must never write into a closed pipe).
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(e) = line.split("listening on ").nth(1) {
                    if let Some(tx) = tx.take() {
                        let _ = tx.send(e.trim().to_owned());
                    }
                }
            }
        });
        let endpoint = rx
            .await
            .map_err(|_| "the mock printed no `listening on` line".to_owned())?;
        Ok((Target::Binary(child), endpoint))
    }

    async fn stop(self) {
        match self {
            Target::InProcess(m) => m.shutdown().await,
            Target::Binary(mut child) => {
                let _ = Command::new("kill")
                    .args(["-TERM", &child.id().to_string()])
                    .status();
                let _ = tokio::task::spawn_blocking(move || child.wait()).await;
            }
        }
    }
}

fn client(endpoint: &str) -> Result<Client, String> {
    Client::builder()
        .endpoint(endpoint)
        .credentials(Credentials::new(ID, KEY))
        .retry_policy(RetryPolicy::none())
        .build()
        .map_err(|e| e.to_string())
}

async fn produce(
    endpoint: String,
    ledger: Arc<Ledger>,
    me: usize,
    count: usize,
) -> Result<(), String> {
    let q = client(&endpoint)?.queue(QUEUE);
    let mut next = 0;
    while next < count {
        let n = (count - next).min(16);
        let bodies: Vec<String> = (next..next + n).map(|i| format!("p{me}-{i}")).collect();
        // Ledger first: a consumer may receive a message before the send returns.
        for b in &bodies {
            ledger.sent(b);
        }
        q.batch_send(bodies.clone())
            .await
            .map_err(|e| format!("producer {me}: {e}"))?;
        next += n;
    }
    Ok(())
}

async fn consume(endpoint: String, ledger: Arc<Ledger>, me: u64, o: Options) -> Result<(), String> {
    let mut rng = fastrand::Rng::with_seed(o.seed ^ me);
    let mut q = client(&endpoint)?.queue(QUEUE);
    let total = o.messages as u64;
    loop {
        let (deleted, _) = ledger.progress();
        if deleted >= total {
            return Ok(());
        }
        let asked = ledger.now_ms();
        let msgs = q
            .batch_receive(16, Some(1))
            .await
            .map_err(|e| format!("consumer {me}: {e}"))?;
        let got = ledger.now_ms();
        for m in &msgs {
            ledger.delivered(&m.body, m.next_visible_time, m.dequeue_count, asked, got);
        }
        for m in msgs {
            if rng.f64() < o.crash_rate {
                // Crash: what is held is never deleted; start over with new connections.
                ledger.crashed();
                q = client(&endpoint)?.queue(QUEUE);
                break;
            }
            match q.delete_message(&m.receipt_handle).await {
                Ok(()) => ledger.deleted(&m.body),
                // Held past its visibility timeout (a slow machine): it comes back.
                Err(e) if e.code() == Some(4430) => {}
                Err(e) => return Err(format!("consumer {me}: delete: {e}")),
            }
        }
    }
}

/// What a soak found.
#[derive(Debug)]
pub struct Report {
    /// The counters.
    pub counts: Counts,
    /// The queue's counters at the end: active, inactive, delayed.
    pub final_counters: [i64; 3],
    /// Seconds taken.
    pub seconds: f64,
}

impl Report {
    /// True when nothing was lost, duplicated or early and the queue is empty.
    pub fn clean(&self) -> bool {
        self.counts.clean() && self.final_counters == [0, 0, 0]
    }
}

/// Runs a soak.
pub async fn run(o: &Options) -> Result<Report, String> {
    let (target, endpoint) = Target::start(o).await?;
    let admin = client(&endpoint)?;
    admin
        .queue(QUEUE)
        .create_with(
            CreateQueueInput::new()
                .queue_name(QUEUE)
                .visibility_timeout(o.visibility),
        )
        .await
        .map_err(|e| format!("create queue: {e}"))?;
    let ledger = Arc::new(Ledger::new(o.visibility));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    let per = o.messages / o.producers;
    for p in 0..o.producers {
        let count = if p == 0 {
            o.messages - per * (o.producers - 1)
        } else {
            per
        };
        tasks.spawn(produce(endpoint.clone(), ledger.clone(), p, count));
    }
    for c in 0..o.consumers {
        tasks.spawn(consume(
            endpoint.clone(),
            ledger.clone(),
            c as u64,
            o.clone(),
        ));
    }
    let deadline = Duration::from_secs(o.max_secs);
    let all = async {
        while let Some(r) = tasks.join_next().await {
            match r {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return Err(e),
                Err(e) => return Err(format!("a task failed: {e}")),
            }
        }
        Ok(())
    };
    let finished = tokio::time::timeout(deadline, all).await;
    let seconds = started.elapsed().as_secs_f64();
    // Past the deadline, whatever is still running stops here (what is left counts as lost).
    tasks.shutdown().await;
    if let Ok(Err(e)) = finished {
        target.stop().await;
        return Err(e);
    }
    let a = admin
        .queue(QUEUE)
        .attributes()
        .await
        .map_err(|e| format!("attributes: {e}"))?;
    target.stop().await;
    Ok(Report {
        counts: ledger.counts(),
        final_counters: [a.active_msg_num, a.inactive_msg_num, a.delay_msg_num],
        seconds,
    })
}

/// Runs the soak from command-line arguments and prints its report; returns whether it was
/// clean.
pub fn main_with(args: &[String]) -> Result<bool, String> {
    let o = Options::parse(args)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let r = rt.block_on(run(&o))?;
    let c = &r.counts;
    println!(
        "soak: {} producers x {} consumers, {} messages, crash rate {}, visibility {} s, mock {}",
        o.producers,
        o.consumers,
        o.messages,
        o.crash_rate,
        o.visibility,
        o.binary.as_deref().unwrap_or("in process")
    );
    println!(
        "sent {} | deliveries {} (redeliveries {}) | crashes {} | deleted {} | lost {} | deleted twice {} | early redeliveries {} | dequeueCount gaps {} | strangers {}",
        c.sent,
        c.deliveries,
        c.redeliveries,
        c.crashes,
        c.deleted,
        c.lost,
        c.deleted_twice,
        c.early_redeliveries,
        c.dequeue_gaps,
        c.strangers
    );
    println!(
        "final counters: active {} inactive {} delayed {} | {:.1} s, {:.0} messages/s end to end",
        r.final_counters[0],
        r.final_counters[1],
        r.final_counters[2],
        r.seconds,
        c.sent as f64 / r.seconds.max(1e-9)
    );
    Ok(r.clean())
}
