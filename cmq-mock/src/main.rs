//! `cmq-mock`: the standalone CMQ emulator. With no arguments it serves on `127.0.0.1:8641` with
//! one account whose SecretId and SecretKey it prints. When ready it prints
//! `listening on http://ADDR`; it stops cleanly on SIGINT and SIGTERM (pending long polls are
//! answered 7000 at once). Loud warnings go to stderr for `--auth off` and for an address other
//! machines can reach.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use cmq_mock::{AuthMode, Budgets, CmqMock, CmqMockBuilder, MockConfig, Profile, StartError};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Switch {
    /// On.
    On,
    /// Off.
    Off,
}

/// A faithful, stateful emulator of Tencent Cloud TDMQ for CMQ (HTTP API 2.0).
#[derive(Parser)]
#[command(name = "cmq-mock", version)]
struct Args {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8641")]
    listen: SocketAddr,
    /// An account as SECRET_ID:SECRET_KEY (repeatable; the first is the default account). The
    /// SecretId must start with AKID.
    #[arg(long = "credentials", value_name = "ID:KEY")]
    credentials: Vec<String>,
    /// A JSON file with accounts, queues, topics, subscriptions, "budgets" and "admin".
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Signature checking (off: every request is accepted unsigned).
    #[arg(long, value_enum, default_value = "on")]
    auth: Switch,
    /// The service generation to emulate: `tdmq` (TDMQ for CMQ, today's service) or `legacy`
    /// (CMQ before TDMQ): names, delay rules, quotas and the re-create block follow it.
    #[arg(long, default_value_t = Profile::DEFAULT, value_parser = clap::value_parser!(Profile))]
    profile: Profile,
    /// Accept `https://` endpoints for http subscriptions (refused by default on every profile).
    #[arg(long)]
    allow_https_endpoints: bool,
    /// Lift quotas and the re-create block.
    #[arg(long)]
    relaxed: bool,
    /// Run on a manual clock that only the admin API (`POST /_mock/clock`) moves.
    #[arg(long)]
    manual_clock: bool,
    /// Keep everything in this directory (created if missing) and start from what it holds;
    /// an answer with code 0 means the change is on disk. Default: in memory only.
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// The admin API under /_mock/ (off: every /_mock/ route answers 404).
    #[arg(long, value_enum, default_value = "on")]
    admin: Switch,
    /// Require `Authorization: Bearer TOKEN` on every admin request (or set
    /// CMQ_MOCK_ADMIN_TOKEN, which `ps` does not show).
    #[arg(long, value_name = "TOKEN")]
    admin_token: Option<String>,
    /// Accept this Host name on admin requests, besides localhost, 127.0.0.1, [::1] and the
    /// listen address (repeatable; `*` accepts any).
    #[arg(long = "admin-host", value_name = "NAME")]
    admin_hosts: Vec<String>,
    /// Parameters one request may carry [default: 256].
    #[arg(long, value_name = "N")]
    max_params: Option<usize>,
    /// Connections served at once; at the cap the longest-idle one is closed [default: 1024].
    #[arg(long, value_name = "N")]
    max_connections: Option<usize>,
    /// From a request's first byte to the end of its headers, e.g. 30, 30s, 500ms [default: 30s].
    #[arg(long, value_name = "DURATION", value_parser = cmq_mock::parse_duration)]
    header_timeout: Option<Duration>,
    /// For a request body to arrive [default: 60s].
    #[arg(long, value_name = "DURATION", value_parser = cmq_mock::parse_duration)]
    body_timeout: Option<Duration>,
    /// A keep-alive connection may sit idle (keep above 90 s) [default: 120s].
    #[arg(long, value_name = "DURATION", value_parser = cmq_mock::parse_duration)]
    idle_timeout: Option<Duration>,
    /// Requests the journal keeps [default: 10000].
    #[arg(long, value_name = "N")]
    journal_records: Option<usize>,
    /// Bytes the journal keeps, e.g. 32MiB; 0 turns it off [default: 32MiB].
    #[arg(long, value_name = "SIZE", value_parser = cmq_mock::parse_size)]
    journal_bytes: Option<u64>,
    /// The longest value the journal keeps whole [default: 4KiB].
    #[arg(long, value_name = "SIZE", value_parser = cmq_mock::parse_size)]
    journal_value_bytes: Option<u64>,
    /// Messages one http subscription's push backlog holds; beyond, the oldest is dropped
    /// [default: 10000].
    #[arg(long, value_name = "N")]
    push_backlog: Option<usize>,
    /// Messages all queues may store together; sends beyond answer 4410 [default: 10000000].
    #[arg(long, value_name = "N")]
    max_messages: Option<u64>,
    /// Bytes all queues may store together (bodies + 160 B each); sends beyond answer 4410
    /// [default: 2GiB].
    #[arg(long, value_name = "SIZE", value_parser = cmq_mock::parse_size)]
    max_memory: Option<u64>,
}

impl std::fmt::Debug for Args {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self
            .credentials
            .iter()
            .map(|c| c.split_once(':').map_or("(malformed)", |(id, _)| id))
            .collect();
        f.debug_struct("Args")
            .field("listen", &self.listen)
            .field("credentials (ids; keys redacted)", &ids)
            .field("config", &self.config)
            .field("auth", &self.auth)
            .field("admin", &self.admin)
            .field("admin_token", &self.admin_token.as_ref().map(|_| "***"))
            .field("admin_hosts", &self.admin_hosts)
            .field("data_dir", &self.data_dir)
            .finish_non_exhaustive()
    }
}

impl Args {
    /// `base` with every budget given on the command line replaced.
    fn budgets(&self, base: &Budgets) -> Budgets {
        let b = base.clone();
        Budgets {
            max_params: self.max_params.unwrap_or(b.max_params),
            max_connections: self.max_connections.unwrap_or(b.max_connections),
            header_timeout: self.header_timeout.unwrap_or(b.header_timeout),
            body_timeout: self.body_timeout.unwrap_or(b.body_timeout),
            idle_timeout: self.idle_timeout.unwrap_or(b.idle_timeout),
            journal_records: self.journal_records.unwrap_or(b.journal_records),
            journal_bytes: self.journal_bytes.unwrap_or(b.journal_bytes),
            journal_value_bytes: self.journal_value_bytes.unwrap_or(b.journal_value_bytes),
            push_backlog: self.push_backlog.unwrap_or(b.push_backlog),
            max_messages: self.max_messages.unwrap_or(b.max_messages),
            max_memory: self.max_memory.unwrap_or(b.max_memory),
        }
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(run(args))
}

/// The builder the arguments describe, or the message and exit code of why not.
fn builder(args: &Args) -> Result<CmqMockBuilder, String> {
    let mut builder = CmqMock::builder()
        .addr(args.listen)
        .profile(args.profile)
        .allow_https_endpoints(args.allow_https_endpoints)
        .relaxed(args.relaxed);
    builder = builder.auth(match args.auth {
        Switch::On => AuthMode::Verify,
        Switch::Off => AuthMode::Off,
    });
    if args.manual_clock {
        builder = builder.manual_clock();
    }
    if let Some(dir) = &args.data_dir {
        builder = builder.data_dir(dir);
    }
    for c in &args.credentials {
        let Some((id, key)) = c.split_once(':') else {
            return Err("--credentials takes ID:KEY".to_owned());
        };
        builder = builder.account(id, key);
    }
    if let Some(path) = &args.config {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let cfg = serde_json::from_str::<MockConfig>(&text)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        builder = builder.config(cfg);
    }
    let budgets = args.budgets(builder.current_budgets());
    builder = builder.budgets(budgets).admin(args.admin == Switch::On);
    let token = args
        .admin_token
        .clone()
        .or_else(|| std::env::var("CMQ_MOCK_ADMIN_TOKEN").ok())
        .filter(|t| !t.is_empty());
    if let Some(t) = token {
        builder = builder.admin_token(t);
    }
    for h in &args.admin_hosts {
        builder = builder.admin_host(h.clone());
    }
    Ok(builder)
}

/// The loud start-up warnings (stderr) for settings that expose the mock.
fn warnings(args: &Args) -> Vec<String> {
    let mut out = Vec::new();
    if args.auth == Switch::Off {
        out.push(
            "WARNING: --auth off: every request is accepted without a signature, as any account. Use it only for load tools on a trusted machine.".to_owned(),
        );
    }
    if !args.listen.ip().is_loopback() {
        out.push(format!(
            "WARNING: listening on {}, which other machines can reach: anyone who can connect can read and write every queue{}{}.",
            args.listen,
            if args.auth == Switch::Off { " without a signature" } else { " of an account whose key they know" },
            if args.admin == Switch::On {
                ", and the admin API (/_mock/) is served (it refuses other sites' pages and host names; add --admin-token TOKEN or --admin off)"
            } else {
                ""
            }
        ));
    }
    out
}

async fn run(args: Args) -> ExitCode {
    let builder = match builder(&args) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let mock = match builder.start().await {
        Ok(m) => m,
        Err(e @ (StartError::Create { .. } | StartError::Config(_) | StartError::Store(_))) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    for w in warnings(&args) {
        eprintln!("{w}");
    }
    // The handlers are in place before anyone can read the address and send a signal.
    let signalled = shutdown_signal();
    say(&format!(
        "cmq-mock {} (spec {}, profile {})",
        env!("CARGO_PKG_VERSION"),
        &cmq_mock::SPEC_SHA256[..12],
        mock.profile()
    ));
    say(&format!(
        "account: SecretId={} SecretKey={}",
        mock.secret_id(),
        mock.secret_key()
    ));
    if let Some(dir) = &args.data_dir {
        say(&format!("data directory: {}", dir.display()));
    }
    say(&format!(
        "API 2.0: {}/v2/index.php; API 3.0 ({} {}): POST {}/ with X-TC-Action, any region",
        mock.endpoint(),
        cmq_sdk::generated::v3::PRODUCT,
        cmq_sdk::generated::v3::VERSION,
        mock.endpoint()
    ));
    match args.admin {
        Switch::On => {
            say(&format!("admin: {}/_mock/", mock.endpoint()));
            if let Some(url) = mock.dashboard_url() {
                say(&format!("dashboard: {url}"));
            }
        }
        Switch::Off => say("admin: off"),
    }
    say(&format!("listening on {}", mock.endpoint()));
    signalled.await;
    say("shutting down");
    mock.shutdown().await;
    ExitCode::SUCCESS
}

/// Prints a line to stdout; a closed stdout (whoever started the mock stopped reading) is no
/// reason to fail.
fn say(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
}

/// Installs the SIGINT and SIGTERM handlers now; the future completes on the first signal.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let term = signal(SignalKind::terminate()).ok();
        let int = signal(SignalKind::interrupt()).ok();
        async move {
            let wait = |s: Option<tokio::signal::unix::Signal>| async move {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = wait(term) => {}
                () = wait(int) => {}
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(list: &[&str]) -> Args {
        let mut all = vec!["cmq-mock"];
        all.extend_from_slice(list);
        match Args::try_parse_from(all) {
            Ok(a) => a,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn debug_never_shows_keys_or_the_token() {
        let a = parse(&[
            "--credentials",
            "AKIDone:very-secret-key",
            "--admin-token",
            "tok-123",
        ]);
        let text = format!("{a:?}");
        assert!(text.contains("AKIDone"), "{text}");
        assert!(
            !text.contains("very-secret-key") && !text.contains("tok-123"),
            "{text}"
        );
        let b = builder(&a).unwrap_or_else(|e| panic!("{e}"));
        let text = format!("{b:?}");
        assert!(
            !text.contains("very-secret-key") && !text.contains("tok-123"),
            "{text}"
        );
    }

    #[test]
    fn flags_override_budgets() {
        let a = parse(&[
            "--max-params",
            "10",
            "--idle-timeout",
            "95s",
            "--max-memory",
            "1GiB",
            "--journal-bytes",
            "0",
        ]);
        let b = a.budgets(&Budgets::default());
        assert_eq!(b.max_params, 10);
        assert_eq!(b.idle_timeout, Duration::from_secs(95));
        assert_eq!(b.max_memory, 1 << 30);
        assert_eq!(b.journal_bytes, 0);
        assert_eq!(b.max_connections, Budgets::default().max_connections);
        assert!(Args::try_parse_from(["cmq-mock", "--max-memory", "lots"]).is_err());
    }

    #[test]
    fn warnings_for_auth_off_and_reachable_addresses() {
        assert!(warnings(&parse(&[])).is_empty());
        let off = warnings(&parse(&["--auth", "off"]));
        assert_eq!(off.len(), 1);
        assert!(off[0].starts_with("WARNING: --auth off"));
        let wide = warnings(&parse(&["--listen", "0.0.0.0:8641"]));
        assert_eq!(wide.len(), 1);
        assert!(wide[0].contains("other machines can reach"), "{}", wide[0]);
        assert!(warnings(&parse(&["--listen", "[::1]:0"])).is_empty());
    }
}
