//! Project chores, run as `cargo xtask <task>` (the alias lives in `.cargo/config.toml`).
//!
//! - `ci`: what CI checks, in order: formatting, clippy with warnings denied, the test suite,
//!   every documented feature set, the minimum Rust version, the API listing, packaging, the
//!   API docs with warnings denied.
//! - `features`: `cargo check` of each library crate with each documented feature set (see
//!   `features.rs`).
//! - `bench [decode|list|get|table|window|pacing|data|data-ndjson|data-json|data-csv|transfer|import]`: the performance targets against their baselines (see `bench.rs`).
//! - `api [--check]`: the public API listing of sdm-core (see `api.rs`).
//! - `msrv`: no dependency needs a newer Rust than the declared `rust-version` (see `msrv.rs`).
//! - `fuzz <target> [seconds]`: a cargo-fuzz target with a seed corpus from the fixtures.
//! - `man [--out DIR]`: a man page for every `sdm` command (see `man.rs`).

mod api;
mod bench;
mod features;
mod fuzz;
mod man;
mod msrv;

use std::process::{Command, ExitCode};

/// The test command the README gives newcomers; CI runs exactly this.
const TEST_COMMAND: &[&str] = &["test", "--workspace", "--locked"];

fn main() -> ExitCode {
    let task = std::env::args().nth(1);
    let result = match task.as_deref() {
        Some("ci") => ci(),
        Some("features") => features::run(),
        Some("msrv") => msrv::run(),
        Some("api") => api::run(std::env::args().nth(2).as_deref() == Some("--check")),
        Some("bench") => bench::run(std::env::args().nth(2).as_deref()),
        Some("man") => man::run(&std::env::args().skip(2).collect::<Vec<_>>()),
        Some("fuzz") => fuzz::run(
            std::env::args().nth(2).as_deref(),
            std::env::args().nth(3).as_deref(),
        ),
        _ => {
            eprintln!(
                "usage: cargo xtask <task>\n\ntasks:\n  ci                         fmt check, clippy (-D warnings), tests\n  api [--check]              write (or check) crates/sdm-core/public-api.txt\n  features                   each documented feature set builds (cargo check)\n  msrv                       dependencies accept the declared rust-version\n  bench [decode|list|get|table|window|pacing|data|data-ndjson|data-json|data-csv|transfer|import]   performance against baselines (release builds)\n  fuzz <target> [seconds]    run a fuzz target (responses, row_decoder)\n  man [--out DIR]            man pages for every sdm command (default DIR: target/man)"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

fn ci() -> Result<(), String> {
    cargo(&["fmt", "--all", "--check"])?;
    cargo(&[
        "clippy",
        "--workspace",
        "--all-targets",
        "--locked",
        "--",
        "-D",
        "warnings",
    ])?;
    cargo(TEST_COMMAND)?;
    features::run()?;
    msrv::run()?;
    api::run(true)?;
    // The published crates package as they would be published (path dependencies resolved).
    cargo(&[
        "package",
        "--locked",
        "--no-verify",
        "-p",
        "sdm-core",
        "-p",
        "sdm-ureq",
        "-p",
        "sdm-reqwest",
        "-p",
        "sdm-mock",
        "-p",
        "sdm-conformance",
    ])?;
    // API docs build without a warning (broken links, missing docs in the library crates).
    cargo_with_env(
        &["doc", "--workspace", "--no-deps", "--locked"],
        ("RUSTDOCFLAGS", "-D warnings"),
    )
}

/// Runs one cargo command, echoing it first so CI logs say what ran.
pub(crate) fn cargo(args: &[&str]) -> Result<(), String> {
    run_cargo(args, None)
}

/// Like [`cargo`], with one environment variable set for the command.
fn cargo_with_env(args: &[&str], env: (&str, &str)) -> Result<(), String> {
    run_cargo(args, Some(env))
}

fn run_cargo(args: &[&str], env: Option<(&str, &str)>) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    match env {
        Some((key, value)) => eprintln!("==> {key}={value:?} cargo {}", args.join(" ")),
        None => eprintln!("==> cargo {}", args.join(" ")),
    }
    let mut command = Command::new(&cargo);
    command.args(args);
    if let Some((key, value)) = env {
        command.env(key, value);
    }
    let status = command
        .status()
        .map_err(|e| format!("could not run {cargo}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`cargo {}` failed ({status})", args.join(" ")))
    }
}
