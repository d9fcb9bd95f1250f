//! The fuzz harness, on the stable toolchain: seeded, bounded loops of structure-aware cases
//! (and mutations of the conformance corpus) over every parser and verifier of the mock and the
//! SDK's answer decoders. See [`targets`], [`api3`] and [`sdk_decode`] for what each target checks. A panic or a broken property is a failure; the
//! harness prints each failing case's seed so that `--seed S --cases 1` replays it.
//!
//! ```text
//! cmq-fuzz [--cases N] [--target NAME]... [--seed S]
//! ```

pub mod api3;
pub mod generate;
pub mod sdk_decode;
pub mod targets;

use std::panic::AssertUnwindSafe;
use std::time::Instant;

use generate::Gen;
use targets::World;

/// One target: its name and its case function.
pub type Target = (&'static str, fn(&mut World, &mut Gen) -> targets::Outcome);

/// Every target, in the order they run.
pub const TARGETS: &[Target] = &[
    ("wire", targets::wire),
    ("dispatch", targets::dispatch),
    ("admission", targets::admission),
    ("sign-v1", targets::sign_v1),
    ("sign-tc3", targets::sign_tc3),
    ("admin", targets::admin),
    ("api3", api3::api3),
    ("sdk-decode", sdk_decode::sdk_decode),
];

/// What one target's run found.
#[derive(Debug, Default)]
pub struct Report {
    /// The target.
    pub name: &'static str,
    /// Cases run.
    pub cases: u64,
    /// Seconds taken.
    pub seconds: f64,
    /// Cases that panicked.
    pub panics: u64,
    /// Cases that broke a property.
    pub failures: u64,
    /// The first few problems: `(case seed, what happened)`.
    pub examples: Vec<(u64, String)>,
    /// How the cases ended, by label.
    pub ends: std::collections::BTreeMap<&'static str, u64>,
}

impl Report {
    /// The most common endings, as `label 41.2%, …`.
    pub fn ends_line(&self) -> String {
        let mut v: Vec<(&&str, &u64)> = self.ends.iter().collect();
        v.sort_by(|a, b| b.1.cmp(a.1));
        v.iter()
            .take(8)
            .map(|(k, n)| format!("{k} {:.1}%", **n as f64 * 100.0 / self.cases.max(1) as f64))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

thread_local! {
    static LAST_PANIC: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
    static IN_CASE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `cases` cases of `target`, the case seeds drawn from `seed`.
pub fn run(target: &Target, cases: u64, seed: u64) -> Report {
    let (name, f) = *target;
    let mut world = World::new();
    let mut seeds = fastrand::Rng::with_seed(seed ^ fnv(name));
    let mut out = Report {
        name,
        ..Report::default()
    };
    let started = Instant::now();
    for _ in 0..cases {
        let case_seed = if cases == 1 { seed } else { seeds.u64(..) };
        let mut g = Gen::new(case_seed);
        IN_CASE.with(|c| c.set(true));
        let r = std::panic::catch_unwind(AssertUnwindSafe(|| f(&mut world, &mut g)));
        IN_CASE.with(|c| c.set(false));
        out.cases += 1;
        let problem = match r {
            Ok(Ok(end)) => {
                *out.ends.entry(end).or_default() += 1;
                None
            }
            Ok(Err(e)) => {
                out.failures += 1;
                Some(e)
            }
            Err(_) => {
                out.panics += 1;
                let msg = LAST_PANIC.with(|p| p.borrow_mut().take());
                // The world may be half-updated: start from a fresh one.
                world = World::new();
                Some(format!("panic: {}", msg.unwrap_or_default()))
            }
        };
        if let Some(p) = problem {
            if out.examples.len() < 5 {
                out.examples.push((case_seed, p));
            }
        }
    }
    out.seconds = started.elapsed().as_secs_f64();
    out
}

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Options of a run.
#[derive(Debug)]
pub struct Options {
    /// Cases per target.
    pub cases: u64,
    /// The targets (all when empty).
    pub targets: Vec<String>,
    /// The master seed.
    pub seed: u64,
}

impl Options {
    /// Parses `--cases N`, `--target NAME` (repeatable) and `--seed S`.
    pub fn parse(args: &[String]) -> Result<Self, String> {
        let mut o = Options {
            cases: 1_000_000,
            targets: Vec::new(),
            seed: 0x00c0_ffee,
        };
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let mut value = |what: &str| {
                it.next()
                    .cloned()
                    .ok_or_else(|| format!("{a} needs {what}"))
            };
            match a.as_str() {
                "--cases" => {
                    o.cases = value("a number")?
                        .replace('_', "")
                        .parse()
                        .map_err(|_| "--cases needs a number".to_owned())?;
                }
                "--target" => o.targets.push(value("a name")?),
                "--seed" => {
                    o.seed = value("a number")?
                        .parse()
                        .map_err(|_| "--seed needs a number".to_owned())?;
                }
                other => return Err(format!("unknown argument {other:?}")),
            }
        }
        for t in &o.targets {
            if !TARGETS.iter().any(|(n, _)| n == t) {
                let names: Vec<&str> = TARGETS.iter().map(|(n, _)| *n).collect();
                return Err(format!(
                    "unknown target {t:?}; targets: {}",
                    names.join(", ")
                ));
            }
        }
        Ok(o)
    }
}

/// Runs the harness from command-line arguments; returns whether no case failed.
pub fn main_with(args: &[String]) -> Result<bool, String> {
    let o = Options::parse(args)?;
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let at = info.location().map(|l| l.to_string()).unwrap_or_default();
        let text = format!("{msg} at {at}");
        if IN_CASE.with(std::cell::Cell::get) {
            LAST_PANIC.with(|p| *p.borrow_mut() = Some(text));
        } else {
            // Outside a case (building the world, reading the corpus): say it plainly.
            eprintln!("panic outside a fuzz case: {text}");
        }
    }));
    let _rt = targets::runtime().enter();
    println!(
        "{:<10} {:>10} {:>9} {:>7} {:>9}   (seed {})",
        "target", "cases", "seconds", "panics", "failures", o.seed
    );
    let mut clean = true;
    for t in TARGETS {
        if !o.targets.is_empty() && !o.targets.iter().any(|n| n == t.0) {
            continue;
        }
        let r = run(t, o.cases, o.seed);
        println!(
            "{:<10} {:>10} {:>9.1} {:>7} {:>9}",
            r.name, r.cases, r.seconds, r.panics, r.failures
        );
        println!("    ends: {}", r.ends_line());
        for (seed, what) in &r.examples {
            println!("    case seed {seed}: {what}");
        }
        clean &= r.panics == 0 && r.failures == 0;
    }
    Ok(clean)
}
