//! `cargo xtask fuzz <target> [seconds]`: runs a cargo-fuzz target from `fuzz/`, with a seed
//! corpus built from the snapshot fixtures of `crates/sdm-core/tests/fixtures`.
//!
//! Needs `cargo install cargo-fuzz`. cargo-fuzz passes unstable compiler flags; on a stable
//! toolchain this task sets `RUSTC_BOOTSTRAP=1` for the fuzz build only. Sanitizers are off: the
//! code under test has no `unsafe`, and libFuzzer's coverage guidance is what finds panics.

use std::path::Path;
use std::process::Command;

/// The targets in `fuzz/Cargo.toml`.
const TARGETS: &[&str] = &["responses", "row_decoder"];
const FIXTURES: &str = "crates/sdm-core/tests/fixtures";

pub fn run(target: Option<&str>, seconds: Option<&str>) -> Result<(), String> {
    let target = target.filter(|t| TARGETS.contains(t)).ok_or_else(|| {
        format!(
            "usage: cargo xtask fuzz <target> [seconds]; targets: {}",
            TARGETS.join(", ")
        )
    })?;
    let seconds: u64 = seconds
        .unwrap_or("60")
        .parse()
        .map_err(|e| format!("seconds: {e}"))?;
    let installed = Command::new("cargo")
        .args(["fuzz", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !installed {
        return Err("cargo-fuzz is not installed: run `cargo install cargo-fuzz`".into());
    }
    seed_corpus(target)?;
    let status = Command::new("cargo")
        .current_dir("fuzz")
        .env("RUSTC_BOOTSTRAP", "1")
        .args(["fuzz", "run", "--release", "--sanitizer", "none", target])
        .arg(format!("corpus/{target}"))
        .arg("--")
        .arg(format!("-max_total_time={seconds}"))
        .arg("-print_final_stats=1")
        .status()
        .map_err(|e| format!("could not run cargo fuzz: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "cargo fuzz run {target} failed ({status}); crashes are in fuzz/artifacts/{target}/"
        ))
    }
}

/// Copies every fixture into the target's corpus, shaped as the target reads its input.
fn seed_corpus(target: &str) -> Result<(), String> {
    let corpus = Path::new("fuzz/corpus").join(target);
    std::fs::create_dir_all(&corpus).map_err(|e| e.to_string())?;
    let entries = std::fs::read_dir(FIXTURES).map_err(|e| format!("{FIXTURES}: {e}"))?;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        let body = std::fs::read(&path).map_err(|e| e.to_string())?;
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("fixture");
        let seeds: Vec<(String, Vec<u8>)> = match target {
            // [status index, operation, split, body…]: each fixture under each operation.
            "responses" => (0u8..4)
                .map(|op| (format!("{name}-op{op}"), [&[0, op, 0][..], &body].concat()))
                .collect(),
            // [chunk size, body…].
            _ => vec![(name.to_owned(), [&[7u8][..], &body].concat())],
        };
        for (seed, bytes) in seeds {
            std::fs::write(corpus.join(seed), bytes).map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}
