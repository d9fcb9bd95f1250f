//! `cmq-mock`: the standalone CMQ emulator. With no arguments it serves on `127.0.0.1:8641` with
//! one account whose SecretId and SecretKey it prints. When ready it prints
//! `listening on http://ADDR`; it stops cleanly on SIGINT and SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use cmq_mock::{AuthMode, CmqMock, MockConfig, Profile, StartError};

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Auth {
    /// Verify signatures, timestamps and replays.
    On,
    /// Accept unsigned requests (for load tools).
    Off,
}

/// A faithful, stateful emulator of Tencent Cloud TDMQ for CMQ (HTTP API 2.0).
#[derive(Debug, Parser)]
#[command(name = "cmq-mock", version)]
struct Args {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8641")]
    listen: SocketAddr,
    /// An account as SECRET_ID:SECRET_KEY (repeatable; the first is the default account).
    #[arg(long = "credentials", value_name = "ID:KEY")]
    credentials: Vec<String>,
    /// A JSON file with accounts, queues, topics and subscriptions to create at start.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Signature checking.
    #[arg(long, value_enum, default_value = "on")]
    auth: Auth,
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

async fn run(args: Args) -> ExitCode {
    let mut builder = CmqMock::builder()
        .addr(args.listen)
        .profile(args.profile)
        .allow_https_endpoints(args.allow_https_endpoints)
        .relaxed(args.relaxed);
    builder = builder.auth(match args.auth {
        Auth::On => AuthMode::Verify,
        Auth::Off => AuthMode::Off,
    });
    if args.manual_clock {
        builder = builder.manual_clock();
    }
    if let Some(dir) = &args.data_dir {
        builder = builder.data_dir(dir);
    }
    for c in &args.credentials {
        let Some((id, key)) = c.split_once(':') else {
            eprintln!("error: --credentials takes ID:KEY, got {c:?}");
            return ExitCode::from(2);
        };
        builder = builder.account(id, key);
    }
    if let Some(path) = &args.config {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: cannot read {}: {e}", path.display());
                return ExitCode::from(2);
            }
        };
        match serde_json::from_str::<MockConfig>(&text) {
            Ok(cfg) => builder = builder.config(cfg),
            Err(e) => {
                eprintln!("error: {}: {e}", path.display());
                return ExitCode::from(2);
            }
        }
    }
    let mock = match builder.start().await {
        Ok(m) => m,
        Err(e @ (StartError::Create { .. } | StartError::Store(_))) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "cmq-mock {} (spec {}, profile {})",
        env!("CARGO_PKG_VERSION"),
        &cmq_mock::SPEC_SHA256[..12],
        mock.profile()
    );
    println!(
        "account: SecretId={} SecretKey={}",
        mock.secret_id(),
        mock.secret_key()
    );
    if let Some(dir) = &args.data_dir {
        println!("data directory: {}", dir.display());
    }
    println!("listening on {}", mock.endpoint());
    wait_for_signal().await;
    println!("shutting down");
    mock.shutdown().await;
    ExitCode::SUCCESS
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
