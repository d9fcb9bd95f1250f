//! Tencent's own Python SDK (`qcloud-cmq-sdk-py3` 0.1, module `cmq`) against the in-process mock.
//!
//! `tests/interop/python_sdk.py` drives every queue, topic and subscription operation the SDK has
//! (and the errors it maps to `CMQServerException`) and asserts exact values; it runs once per
//! combination of HmacSHA1/HmacSHA256 and POST/GET, each against its own mock (the SHA-256 GET
//! run signs as a second, non-default account).
//!
//! They need an outside tool, so they are `#[ignore]`d: a plain `cargo test` reports them as
//! ignored, never as passed. Run them with the tool installed, as `.ci/run` does:
//!
//! ```sh
//! python3 -m venv .venv && .venv/bin/pip install qcloud-cmq-sdk-py3==0.1
//! CMQ_PYTHON=$PWD/.venv/bin/python cargo test -p cmq-mock --test python_interop -- --ignored
//! ```
//!
//! The Python is `$CMQ_PYTHON`, else `<workspace>/.venv/bin/python`. Run with `--ignored`
//! without a Python that can import `cmq`, each test fails and says why.
//!
//! `python_tdmq_sdk` runs `tests/interop/tdmq_sdk.py`: Tencent's official API 3.0 SDK
//! (`tencentcloud-sdk-python-tdmq==3.1.130`, `tencentcloud-sdk-python-common==3.1.130`) calls
//! all 20 CMQ actions against the mock's port while the API 2.0 SDK shares the queues, topics
//! and messages. Its Python is `$CMQ_PYTHON_TDMQ`, else `<workspace>/.venv-tdmq/bin/python`,
//! with both SDKs installed:
//!
//! ```sh
//! python3 -m venv .venv-tdmq && .venv-tdmq/bin/pip install qcloud-cmq-sdk-py3==0.1 \
//!     tencentcloud-sdk-python-tdmq==3.1.130 tencentcloud-sdk-python-common==3.1.130
//! CMQ_PYTHON_TDMQ=$PWD/.venv-tdmq/bin/python cargo test -p cmq-mock --test python_interop -- --ignored
//! ```

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cmq_mock::CmqMock;

/// The whole script takes about 10 s; this only stops a hung run.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(180);

/// The script's number of checks (62 when written); fewer means it stopped early.
const MIN_CHECKS: u32 = 62;

/// The API 3.0 script's number of checks (18 when written); fewer means it stopped early.
const MIN_TDMQ_CHECKS: u32 = 18;

/// One interop script and the Python that runs it.
#[derive(Clone, Copy)]
struct Script {
    /// Under `tests/interop/`.
    file: &'static str,
    /// The environment variable naming the Python.
    env: &'static str,
    /// The default venv, under the workspace root.
    venv: &'static str,
    /// What the Python must have installed.
    needs: &'static str,
}

const CMQ_SDK: Script = Script {
    file: "python_sdk.py",
    env: "CMQ_PYTHON",
    venv: ".venv",
    needs: "qcloud-cmq-sdk-py3==0.1",
};

const TDMQ_SDK: Script = Script {
    file: "tdmq_sdk.py",
    env: "CMQ_PYTHON_TDMQ",
    venv: ".venv-tdmq",
    needs: "qcloud-cmq-sdk-py3==0.1 tencentcloud-sdk-python-tdmq==3.1.130 \
            tencentcloud-sdk-python-common==3.1.130",
};

fn script() -> PathBuf {
    script_path(CMQ_SDK)
}

fn script_path(s: Script) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/interop")
        .join(s.file)
}

fn python_candidate_for(s: Script) -> PathBuf {
    match std::env::var_os(s.env) {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")))
            .join(s.venv)
            .join("bin/python"),
    }
}

/// The Python to use, or why there is none.
fn find_python() -> Result<PathBuf, String> {
    find_python_for(CMQ_SDK)
}

/// The Python to use for `s`, or why there is none.
fn find_python_for(s: Script) -> Result<PathBuf, String> {
    let python = python_candidate_for(s);
    let probe = Command::new(&python)
        .arg(script_path(s))
        .arg("--probe")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .output();
    match probe {
        Ok(out) if out.status.success() => Ok(python),
        Ok(out) => Err(format!(
            "{} cannot import what {} needs ({}): {}",
            python.display(),
            s.file,
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Err(e) => Err(format!("cannot run {}: {e}", python.display())),
    }
}

/// The Python to run with; panics (the test fails) when there is none: a test that was asked to
/// run never passes without running.
fn python_or_fail(test: &str) -> PathBuf {
    match find_python() {
        Ok(p) => p,
        Err(why) => panic!(
            "{test}: the Python SDK interop cannot run: {why}; set CMQ_PYTHON to a Python with \
             qcloud-cmq-sdk-py3==0.1, or run `python3 -m venv .venv && .venv/bin/pip install \
             qcloud-cmq-sdk-py3==0.1` in the workspace root"
        ),
    }
}

struct Run {
    status: String,
    success: bool,
    timed_out: bool,
    stdout: String,
    stderr: String,
}

fn read_all(r: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut r) = r {
            let _ = r.read_to_end(&mut buf);
        }
        String::from_utf8_lossy(&buf).into_owned()
    })
}

/// Runs the script to completion (or the timeout) on a blocking thread.
fn run_script(python: &Path, args: &[String]) -> Run {
    run_script_of(script(), python, args)
}

/// Runs `script` to completion (or the timeout) on a blocking thread.
fn run_script_of(script: PathBuf, python: &Path, args: &[String]) -> Run {
    let mut child = match Command::new(python)
        .arg(script)
        .args(args)
        .env("PYTHONUTF8", "1")
        .env("PYTHONIOENCODING", "utf-8")
        .env("PYTHONUNBUFFERED", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => panic!("cannot start {}: {e}", python.display()),
    };
    let out = read_all(child.stdout.take());
    let err = read_all(child.stderr.take());
    let deadline = Instant::now() + SCRIPT_TIMEOUT;
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() >= deadline => {
                timed_out = true;
                let _ = child.kill();
                break child.wait().ok();
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => panic!("waiting for the script: {e}"),
        }
    };
    Run {
        status: status.map_or_else(|| "unknown status".into(), |s| s.to_string()),
        success: !timed_out && status.is_some_and(|s| s.success()),
        timed_out,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    }
}

/// `N passed, M failed` from the script's last summary line.
fn summary(stdout: &str) -> Option<(u32, u32)> {
    let line = stdout.lines().rev().find(|l| l.contains(" passed, "))?;
    let mut words = line.split_whitespace();
    let passed = words.next()?.parse().ok()?;
    let _ = words.next();
    let failed = words.next()?.parse().ok()?;
    Some((passed, failed))
}

/// Which account of the mock the SDK signs as.
#[derive(Clone, Copy)]
enum As {
    /// The mock's default account.
    Default,
    /// A second account beside the default one (isolated namespace, its own appId).
    Second,
}

const SECOND_ID: &str = "AKIDpythoninteropsecond";
const SECOND_KEY: &str = "python-interop-second-secret-key";

async fn interop(test: &str, sign: &str, method: &str, who: As) {
    let python = python_or_fail(test);
    let builder = match who {
        As::Default => CmqMock::builder(),
        As::Second => CmqMock::builder()
            .account(cmq_mock::DEFAULT_SECRET_ID, cmq_mock::DEFAULT_SECRET_KEY)
            .account(SECOND_ID, SECOND_KEY),
    };
    let mock = match builder.start().await {
        Ok(m) => m,
        Err(e) => panic!("{test}: the mock did not start: {e}"),
    };
    let (id, key) = match who {
        As::Default => (mock.secret_id().to_owned(), mock.secret_key().to_owned()),
        As::Second => (SECOND_ID.to_owned(), SECOND_KEY.to_owned()),
    };
    let args = vec![mock.endpoint(), id, key, sign.to_owned(), method.to_owned()];
    let run = match tokio::task::spawn_blocking(move || run_script(&python, &args)).await {
        Ok(r) => r,
        Err(e) => panic!("{test}: the script runner panicked: {e}"),
    };
    mock.shutdown().await;
    let counts = summary(&run.stdout);
    let ok = run.success && matches!(counts, Some((p, 0)) if p >= MIN_CHECKS);
    if !ok {
        panic!(
            "{test}: the Python SDK interop script failed ({}{}; summary {:?}, expected at least {MIN_CHECKS} passed and 0 failed)\n\
             --- stdout ---\n{}\n--- stderr ---\n{}",
            run.status,
            if run.timed_out { ", timed out" } else { "" },
            counts,
            run.stdout,
            run.stderr
        );
    }
    println!("{test}: {}", run.stdout.lines().last().unwrap_or_default());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs CMQ_PYTHON (a venv with qcloud-cmq-sdk-py3); .ci/run runs it"]
async fn python_sdk_sha1_post() {
    interop("python_sdk_sha1_post", "sha1", "POST", As::Default).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs CMQ_PYTHON (a venv with qcloud-cmq-sdk-py3); .ci/run runs it"]
async fn python_sdk_sha256_post() {
    interop("python_sdk_sha256_post", "sha256", "POST", As::Default).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs CMQ_PYTHON (a venv with qcloud-cmq-sdk-py3); .ci/run runs it"]
async fn python_sdk_sha1_get() {
    interop("python_sdk_sha1_get", "sha1", "GET", As::Default).await;
}

/// The full matrix's last cell, as a second account of the mock (not the default one).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs CMQ_PYTHON (a venv with qcloud-cmq-sdk-py3); .ci/run runs it"]
async fn python_sdk_sha256_get_second_account() {
    interop(
        "python_sdk_sha256_get_second_account",
        "sha256",
        "GET",
        As::Second,
    )
    .await;
}

/// Tencent's API 3.0 SDK (and its API 2.0 SDK, sharing the resources) against one mock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs CMQ_PYTHON_TDMQ (a venv with tencentcloud-sdk-python-tdmq and qcloud-cmq-sdk-py3); .ci/run runs it"]
async fn python_tdmq_sdk() {
    let test = "python_tdmq_sdk";
    let python = match find_python_for(TDMQ_SDK) {
        Ok(p) => p,
        Err(why) => panic!(
            "{test}: the API 3.0 Python SDK interop cannot run: {why}; set {} to a Python with {}, \
             or create {} in the workspace root with them",
            TDMQ_SDK.env, TDMQ_SDK.needs, TDMQ_SDK.venv
        ),
    };
    let mock = match CmqMock::builder().start().await {
        Ok(m) => m,
        Err(e) => panic!("{test}: the mock did not start: {e}"),
    };
    let args = vec![
        mock.addr().to_string(),
        mock.secret_id().to_owned(),
        mock.secret_key().to_owned(),
        cmq_mock::MOCK_REGION.to_owned(),
    ];
    let path = script_path(TDMQ_SDK);
    let run = match tokio::task::spawn_blocking(move || run_script_of(path, &python, &args)).await {
        Ok(r) => r,
        Err(e) => panic!("{test}: the script runner panicked: {e}"),
    };
    let journaled = mock.journal().records().len();
    mock.shutdown().await;
    let counts = summary(&run.stdout);
    let ok = run.success && matches!(counts, Some((p, 0)) if p >= MIN_TDMQ_CHECKS);
    if !ok {
        panic!(
            "{test}: the API 3.0 Python SDK interop script failed ({}{}; summary {:?}, expected at least {MIN_TDMQ_CHECKS} passed and 0 failed)\n\
             --- stdout ---\n{}\n--- stderr ---\n{}",
            run.status,
            if run.timed_out { ", timed out" } else { "" },
            counts,
            run.stdout,
            run.stderr
        );
    }
    assert!(
        journaled > 20,
        "{test}: the mock journaled {journaled} requests"
    );
    println!("{test}: {}", run.stdout.lines().last().unwrap_or_default());
}

#[test]
fn summary_line_is_parsed() {
    assert_eq!(
        summary("ok   a\n61 passed, 0 failed (sha1, POST)\n"),
        Some((61, 0))
    );
    assert_eq!(
        summary("FAIL a\n1 passed, 2 failed (sha1, GET)"),
        Some((1, 2))
    );
    assert_eq!(summary("Traceback ..."), None);
}
