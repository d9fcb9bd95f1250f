//! `cargo xtask literals`: no protocol fact is typed by hand in runtime code. Scans the Rust
//! sources of `cmq-mock/src` and `cmq-sdk/src` (outside `generated/`, outside test modules and
//! `tests/` folders, outside comments and string literals) for the numbers the spec holds —
//! defaults, limits, quotas, timings, service codes — and fails on any that the allow-list does
//! not explain. Runtime code reads those facts from the generated layer instead
//! (`cmq_sdk::generated::{facts, constraints}`, `Profile::facts()`, `ServiceCode`).

use std::fmt;
use std::path::{Path, PathBuf};

/// The folders scanned, relative to the workspace root.
pub const ROOTS: &[&str] = &["cmq-mock/src", "cmq-sdk/src"];

/// The numbers the spec holds that runtime code must not retype, with what they are.
pub const KNOWN: &[(u64, &str)] = &[
    (345_600, "queue msgRetentionSeconds default"),
    (1_296_000, "msgRetentionSeconds / rewindSeconds maximum"),
    (100_000_000, "maxMsgHeapNum default"),
    (1_000_000_000, "maxMsgHeapNum maximum"),
    (1_000_000, "maxMsgHeapNum minimum"),
    (65_536, "maxMsgSize default, batch body total"),
    (1_048_576, "maxMsgSize maximum, message body maximum"),
    (1_024, "maxMsgSize minimum"),
    (43_200, "visibilityTimeout / maxTimeToLive maximum"),
    (86_400, "topic message lifetime"),
    (86_015, "EXPONENTIAL_DECAY_RETRY total wait"),
    (
        20_000,
        "delayed messages per queue; BACKOFF_RETRY longest wait (ms)",
    ),
    (6_048_000, "tdmq delaySeconds maximum"),
    (3_600, "legacy delaySeconds maximum"),
    (
        10_000,
        "tdmq queue and topic quota; BACKOFF_RETRY shortest wait (ms)",
    ),
    (
        1_000,
        "legacy quota, tdmq subscription quota, maxReceiveCount maximum",
    ),
    (176, "EXPONENTIAL_DECAY_RETRY retries"),
    (512, "EXPONENTIAL_DECAY_RETRY longest wait"),
    (5_000, "default qps"),
    (300, "maxTimeToLive minimum"),
    (500, "subscription endpoint length"),
    (
        100,
        "legacy subscription quota, ListSubscriptionByTopic limit maximum",
    ),
    (64, "name length, routing/binding key bytes"),
    (50, "list limit maximum"),
    (
        30,
        "visibilityTimeout default, longest poll, tdmq re-create block",
    ),
    (20, "list limit default, BACKOFF_RETRY longest wait"),
    (16, "batch size, tag length"),
    (4_000, "service code InvalidParameter"),
    (4_400, "service code MessageTooLarge"),
    (4_420, "service code QpsThrottled"),
    (4_440, "service code ResourceNotExist"),
    (4_480, "service code ApiRateExceeded"),
    (6_000, "service code InternalError"),
    (6_010, "service code BatchDeletePartiallyFailed"),
    (6_020, "service code BatchDeleteFailed"),
    (6_030, "service code PublishNotDelivered"),
    (6_050, "service code OperationNotAllowed"),
    (7_000, "service code NoMessage"),
];

/// A known number in runtime code that is not a protocol fact there, and why.
pub struct Allowed {
    /// The file, relative to the workspace root.
    pub path: &'static str,
    /// The number.
    pub literal: u64,
    /// Text the line contains (so an entry follows its line when code moves).
    pub line_contains: &'static str,
    /// Why this use is not a protocol fact.
    pub reason: &'static str,
}

/// Every known number in runtime code that is not a protocol fact. Each entry must still match a
/// line (a stale entry fails the check too).
pub const ALLOWED: &[Allowed] = &[
    allow(
        "cmq-mock/src/clock.rs",
        1_000,
        "now_ms() / 1000",
        "milliseconds per second",
    ),
    allow(
        "cmq-mock/src/admin/views.rs",
        1_000,
        "_ms / 1000",
        "milliseconds per second",
    ),
    allow(
        "cmq-mock/src/protocol/v2/backend.rs",
        1_000,
        "ms / 1000",
        "milliseconds per second",
    ),
    allow(
        "cmq-mock/src/engine/topics/topic.rs",
        1_000,
        "_ms() / 1000",
        "milliseconds per second",
    ),
    allow(
        "cmq-mock/src/engine/topics/push.rs",
        1_000,
        "publish_ms / 1000",
        "milliseconds per second",
    ),
    allow(
        "cmq-mock/src/engine/queue/messages.rs",
        1_000,
        "/ 1000",
        "milliseconds per second",
    ),
    allow(
        "cmq-mock/src/engine/queue/messages.rs",
        1_000,
        "mul(1000)",
        "milliseconds per second",
    ),
    allow(
        "cmq-mock/src/engine/queue/messages.rs",
        1_000,
        "* 1000",
        "milliseconds per second",
    ),
    allow(
        "cmq-mock/src/engine/queue/state.rs",
        1_000,
        "* 1000",
        "milliseconds per second",
    ),
    allow(
        "cmq-mock/src/engine/queue/settle.rs",
        1_000,
        "* 1000",
        "milliseconds per second",
    ),
    allow(
        "cmq-mock/src/journal.rs",
        10_000,
        "DEFAULT_CAPACITY",
        "the mock's journal size, not a service quota",
    ),
    allow(
        "cmq-mock/src/journal.rs",
        1_024,
        "with_capacity",
        "initial allocation of the journal ring",
    ),
    allow(
        "cmq-mock/src/receiver.rs",
        500,
        "500",
        "HTTP status 500 of the test push receiver",
    ),
    allow(
        "cmq-mock/src/protocol/v2/wire.rs",
        64,
        "take(64)",
        "how much of a bad value a violation quotes",
    ),
    allow(
        "cmq-mock/src/engine/ids.rs",
        16,
        "with_capacity(16)",
        "length of a generated queue id",
    ),
    allow(
        "cmq-sdk/src/constraints.rs",
        64,
        "<= 64",
        "how much of a bad value a violation quotes",
    ),
    allow(
        "cmq-sdk/src/timeouts.rs",
        30,
        "from_secs(30)",
        "the SDK's own default request timeout",
    ),
    allow(
        "cmq-sdk/src/error.rs",
        512,
        "> 512",
        "how much of an answer body an error quotes",
    ),
    allow(
        "cmq-sdk/src/error.rs",
        10_000,
        ">= 10000",
        "module codes have five digits",
    ),
    allow(
        "cmq-sdk/src/retry.rs",
        500,
        "500 | 502",
        "HTTP statuses, not service codes",
    ),
    allow(
        "cmq-sdk/src/retry.rs",
        100,
        "from_millis(100)",
        "the SDK's own retry base delay",
    ),
    allow(
        "cmq-sdk/src/retry.rs",
        6_000,
        "6000..=6999",
        "the service's 6xxx class of server errors",
    ),
    allow(
        "cmq-sdk/src/retry.rs",
        1_000_000_000,
        "1_000_000_000",
        "nanoseconds per second",
    ),
    allow(
        "cmq-sdk/src/transport.rs",
        1_024,
        "* 1024",
        "bytes per KiB in the SDK's own buffer sizes",
    ),
    allow(
        "cmq-sdk/src/transport.rs",
        16,
        "16 * 1024",
        "the SDK's initial read buffer (KiB)",
    ),
    allow(
        "cmq-sdk/src/sign/tc3.rs",
        16,
        "DIGITS",
        "hexadecimal digits",
    ),
    allow(
        "cmq-sdk/src/sign/tc3.rs",
        86_400,
        "/ 86_400",
        "seconds per day in a calendar date",
    ),
    allow(
        "cmq-sdk/src/sign/tc3.rs",
        100,
        "yoe / 100",
        "the Gregorian calendar's centuries",
    ),
    allow(
        "cmq-mock/src/admin/mod.rs",
        1_000,
        "MAX_FAULT_RULES",
        "the mock's own cap on armed fault rules",
    ),
    allow(
        "cmq-mock/src/admin/views.rs",
        100,
        "DEFAULT_LIMIT",
        "default page of the mock's admin inspection",
    ),
    allow(
        "cmq-mock/src/admin/views.rs",
        1_000,
        "MAX_MESSAGE_LIMIT",
        "largest page of messages the admin inspection returns",
    ),
    allow(
        "cmq-mock/src/admin/views.rs",
        10_000,
        "MAX_RECORD_LIMIT",
        "largest page of journal or delivery records",
    ),
    allow(
        "cmq-mock/src/admin/views.rs",
        20,
        "4 << 20",
        "bytes of bodies per admin page (MiB shift)",
    ),
    allow(
        "cmq-mock/src/budgets.rs",
        20,
        "1 << 20",
        "MiB in a size suffix",
    ),
    allow(
        "cmq-mock/src/budgets.rs",
        30,
        "1 << 30",
        "GiB in a size suffix",
    ),
    allow(
        "cmq-mock/src/budgets.rs",
        1_000,
        "\"kb\"",
        "kB in a size suffix",
    ),
    allow(
        "cmq-mock/src/budgets.rs",
        1_000_000,
        "\"mb\"",
        "MB in a size suffix",
    ),
    allow(
        "cmq-mock/src/budgets.rs",
        1_000_000_000,
        "\"gb\"",
        "GB in a size suffix",
    ),
    allow(
        "cmq-mock/src/engine/limits.rs",
        30,
        "2 << 30",
        "the mock's own memory ceiling, 2 GiB (GiB shift)",
    ),
    allow(
        "cmq-mock/src/engine/topics/push.rs",
        10_000,
        "DEFAULT_PUSH_BACKLOG",
        "the mock's own push backlog cap per subscription",
    ),
    allow(
        "cmq-mock/src/journal.rs",
        20,
        "32 << 20",
        "the journal's default byte budget, 32 MiB (MiB shift)",
    ),
    allow(
        "cmq-mock/src/journal.rs",
        64,
        "REFUSED_ACTION_BYTES",
        "how much of an unknown action name a refusal keeps",
    ),
    allow(
        "cmq-mock/src/journal.rs",
        20,
        "4 << 20",
        "the journal's sharding threshold (MiB shift)",
    ),
    allow(
        "cmq-mock/src/protocol/v2/auth/replay.rs",
        16,
        "SHARDS",
        "shards of the replay cache",
    ),
    allow(
        "cmq-mock/src/protocol/v2/auth/replay.rs",
        64,
        "<< 64",
        "bit shift of a 128-bit hash",
    ),
    allow(
        "cmq-mock/src/protocol/v2/wire.rs",
        16,
        "hi * 16",
        "hexadecimal digits of a percent escape",
    ),
    allow(
        "cmq-mock/src/server/body.rs",
        64,
        "64 * 1024 * 1024",
        "the mock's own drain limit, 64 MiB",
    ),
    allow(
        "cmq-mock/src/server/body.rs",
        1_024,
        "64 * 1024 * 1024",
        "bytes per KiB in the mock's own drain limit",
    ),
    allow(
        "cmq-mock/src/server/conn.rs",
        64,
        "64 * 1024 * 1024",
        "the mock's own lingering-close limit, 64 MiB",
    ),
    allow(
        "cmq-mock/src/server/conn.rs",
        1_024,
        "64 * 1024 * 1024",
        "bytes per KiB in the mock's own lingering-close limit",
    ),
    allow(
        "cmq-mock/src/server/conn.rs",
        100,
        "from_millis(100)",
        "the accept loop's EMFILE back-off step, real time",
    ),
    allow(
        "cmq-sdk/src/handles/queue.rs",
        1_000,
        "start_consume_time.saturating_mul(1000)",
        "seconds to milliseconds (API 3.0 takes StartConsumeTime in ms)",
    ),
    allow(
        "cmq-sdk/src/handles/types.rs",
        1_000,
        "ms.div_euclid(1000)",
        "milliseconds to seconds (API 3.0 answers times in ms)",
    ),
    allow(
        "cmq-mock/src/server/http.rs",
        500,
        "(500, json!",
        "HTTP status 500 of the admin routes",
    ),
    allow(
        "cmq-mock/src/server/http.rs",
        500,
        "the data store failed",
        "HTTP status 500 of an admin answer the store could not make durable",
    ),
    allow(
        "cmq-mock/src/store/apply.rs",
        1_000,
        "CHECKPOINT_GROUPS",
        "SQLite checkpoint cadence (groups), a storage tuning",
    ),
    allow(
        "cmq-mock/src/store/writer.rs",
        64,
        "GROUP_SIZE_BUCKETS",
        "buckets of the group-size histogram the persistence bench reads",
    ),
    allow(
        "cmq-mock/src/store/recover.rs",
        16,
        "col::<Option<String>>(r, 16)",
        "a column index of the queues table",
    ),
    allow(
        "cmq-mock/src/store/schema.rs",
        20,
        "1 << 20",
        "a 1 MiB read buffer for the prefetch pass",
    ),
    allow(
        "cmq-mock/src/server/mod.rs",
        1_024,
        "ADMIN_MAX_BODY_BYTES",
        "bytes per KiB in the admin body limit",
    ),
    allow(
        "cmq-mock/src/server/mod.rs",
        1_024,
        "max_connections: 1024",
        "the mock's own default connection cap",
    ),
    allow(
        "cmq-mock/src/server/mod.rs",
        30,
        "header_timeout: Duration::from_secs(30)",
        "the mock's own header-read timeout",
    ),
];

const fn allow(
    path: &'static str,
    literal: u64,
    line_contains: &'static str,
    reason: &'static str,
) -> Allowed {
    Allowed {
        path,
        literal,
        line_contains,
        reason,
    }
}

/// A known number found in runtime code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The file, relative to the workspace root.
    pub path: String,
    /// 1-based line.
    pub line: usize,
    /// The number.
    pub literal: u64,
    /// The line's text.
    pub text: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = KNOWN
            .iter()
            .find(|(n, _)| *n == self.literal)
            .map_or("", |(_, w)| w);
        write!(
            f,
            "{}:{}: {} ({what}): {}",
            self.path,
            self.line,
            self.literal,
            self.text.trim()
        )
    }
}

/// What the scan found: literals no entry allows, and allow-list entries that match nothing.
#[derive(Debug, Default)]
pub struct Report {
    /// Known numbers in runtime code that the allow-list does not explain.
    pub findings: Vec<Finding>,
    /// Allow-list entries (path, literal, text) that no line matches any more.
    pub stale: Vec<String>,
    /// Files scanned.
    pub files: usize,
}

impl Report {
    /// True when nothing is found and no allow-list entry is stale.
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty() && self.stale.is_empty()
    }

    /// One line per finding and stale entry, then the totals.
    pub fn render(&self) -> String {
        let mut s = String::new();
        for f in &self.findings {
            s.push_str(&format!("{f}\n"));
        }
        for e in &self.stale {
            s.push_str(&format!("stale allow-list entry (matches no line): {e}\n"));
        }
        s.push_str(&format!(
            "{} file(s) scanned, {} protocol literal(s) in runtime code, {} stale allow-list entr(ies)\n",
            self.files,
            self.findings.len(),
            self.stale.len()
        ));
        s
    }
}

/// Scans the runtime sources under `root` (see [`ROOTS`]).
pub fn scan(root: &Path) -> std::io::Result<Report> {
    let mut files = Vec::new();
    for r in ROOTS {
        collect(&root.join(r), &mut files)?;
    }
    files.sort();
    let mut all = Vec::new();
    for path in &files {
        let rel = path
            .strip_prefix(root)
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(path)?;
        all.extend(numbers_in(&rel, &text));
    }
    Ok(judge(all, files.len()))
}

/// Splits findings into the allowed and the rest, and finds stale allow-list entries.
fn judge(all: Vec<Finding>, files: usize) -> Report {
    let matches = |a: &Allowed, f: &Finding| {
        a.path == f.path && a.literal == f.literal && f.text.contains(a.line_contains)
    };
    let stale = ALLOWED
        .iter()
        .filter(|a| !all.iter().any(|f| matches(a, f)))
        .map(|a| {
            format!(
                "{} {} {:?} ({})",
                a.path, a.literal, a.line_contains, a.reason
            )
        })
        .collect();
    let findings = all
        .into_iter()
        .filter(|f| !ALLOWED.iter().any(|a| matches(a, f)))
        .collect();
    Report {
        findings,
        stale,
        files,
    }
}

/// Every `.rs` file under `dir`, except `generated/` and `tests/` folders and `tests.rs` files
/// (the out-of-line `#[cfg(test)] mod tests;` of their parent; a test checks that they are).
fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_dir() {
            if name != "generated" && name != "tests" {
                collect(&path, out)?;
            }
        } else if name.ends_with(".rs") && name != "tests.rs" {
            out.push(path);
        }
    }
    Ok(())
}

/// The known numbers in the code of one file (comments, strings, char literals and
/// `#[cfg(test)]` items left out).
pub fn numbers_in(path: &str, text: &str) -> Vec<Finding> {
    let code = crate::lexer::code_only(text);
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in code.lines().enumerate() {
        for n in crate::lexer::integers(line) {
            if KNOWN.iter().any(|(k, _)| *k == n) {
                out.push(Finding {
                    path: path.to_owned(),
                    line: i + 1,
                    literal: n,
                    text: lines.get(i).copied().unwrap_or("").to_owned(),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `tests.rs` the scan skips is the out-of-line `#[cfg(test)] mod tests;` of its
    /// parent module (so skipping it never hides runtime code).
    #[test]
    fn skipped_tests_files_are_test_modules() {
        fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
            for entry in std::fs::read_dir(dir).expect("read_dir") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    walk(&path, found);
                } else if path.file_name().is_some_and(|n| n == "tests.rs") {
                    found.push(path);
                }
            }
        }
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut found = Vec::new();
        for r in ROOTS {
            walk(&root.join(r), &mut found);
        }
        for f in found {
            let dir = f.parent().expect("parent");
            let parent = [dir.with_extension("rs"), dir.join("mod.rs")]
                .into_iter()
                .find(|p| p.is_file())
                .unwrap_or_else(|| panic!("no parent module for {}", f.display()));
            let text = std::fs::read_to_string(&parent).expect("read parent");
            let lines: Vec<&str> = text.lines().map(str::trim).collect();
            let declared = lines
                .windows(2)
                .any(|w| w[0] == "#[cfg(test)]" && w[1] == "mod tests;");
            assert!(
                declared,
                "{} is not declared `#[cfg(test)] mod tests;` in {}",
                f.display(),
                parent.display()
            );
        }
    }

    #[test]
    fn finds_only_code_outside_tests() {
        let src = r##"
const A: u64 = 345_600; // a default retyped
// 345600 in a comment
/* 65536 in a block /* nested 65536 */ comment */
const S: &str = "65536 in a string";
const R: &str = r#"1048576 "raw" string"#;
const C: char = '6';
fn f<'a>(x: &'a str) -> usize { x.len() * 1048576 }
const H: u64 = 0x10000;
#[cfg(test)]
mod tests {
    const IN_TEST: u64 = 65_536;
}
#[cfg(test)]
mod other;
const AFTER: u64 = 7000u64;
"##;
        let got: Vec<(usize, u64)> = numbers_in("x.rs", src)
            .iter()
            .map(|f| (f.line, f.literal))
            .collect();
        assert_eq!(got, [(2, 345_600), (8, 1_048_576), (16, 7_000)]);
    }

    #[test]
    fn the_allow_list_explains_uses_and_goes_stale() {
        let f = |path: &str, literal, text: &str| Finding {
            path: path.into(),
            line: 1,
            literal,
            text: text.into(),
        };
        let all = vec![
            f(
                "cmq-mock/src/clock.rs",
                1_000,
                "        self.now_ms() / 1000",
            ),
            f("cmq-mock/src/clock.rs", 345_600, "const X: u32 = 345_600;"),
        ];
        let r = judge(all, 1);
        assert_eq!(r.findings.len(), 1);
        assert_eq!(r.findings[0].literal, 345_600);
        assert!(!r.is_clean());
        // Every other entry matched nothing here.
        assert_eq!(r.stale.len(), ALLOWED.len() - 1);
        assert!(
            r.render()
                .contains("345600 (queue msgRetentionSeconds default)")
        );
    }
}
