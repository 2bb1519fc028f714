//! `cargo xtask msrv`: the declared `rust-version` holds for what we depend on.
//!
//! This toolchain is newer than the declared minimum, so two checks stand in for building with
//! the old compiler: clippy's `incompatible_msrv` lint (on in `cargo xtask ci`) flags standard
//! library items newer than `rust-version` in our code, and this task checks that no dependency
//! in the lock file declares a `rust-version` above ours. With rustup and network access, the
//! direct check is `rustup toolchain install <version>` then `cargo +<version> check --workspace`.

use std::process::Command;

use serde_json::Value;

pub fn run() -> Result<(), String> {
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["metadata", "--format-version", "1", "--locked"])
        .output()
        .map_err(|e| format!("cargo metadata: {e}"))?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned());
    }
    let metadata: Value = serde_json::from_slice(&output.stdout).map_err(|e| e.to_string())?;
    let packages = metadata["packages"]
        .as_array()
        .ok_or("no packages in cargo metadata")?;
    let members: Vec<&str> = metadata["workspace_members"]
        .as_array()
        .map(|m| m.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let ours = packages
        .iter()
        .filter(|p| members.contains(&p["id"].as_str().unwrap_or("")))
        .filter_map(|p| p["rust_version"].as_str())
        .map(version)
        .max()
        .ok_or("no workspace member declares a rust-version")?;
    let mut too_new = Vec::new();
    for package in packages {
        if let Some(required) = package["rust_version"].as_str()
            && version(required) > ours
        {
            too_new.push(format!(
                "{} {} needs Rust {required}",
                package["name"], package["version"]
            ));
        }
    }
    println!("declared rust-version: {}.{}.{}", ours.0, ours.1, ours.2);
    if too_new.is_empty() {
        println!(
            "every dependency that declares a rust-version accepts it ({} packages)",
            packages.len()
        );
        Ok(())
    } else {
        Err(format!(
            "dependencies need a newer Rust than declared:\n  {}",
            too_new.join("\n  ")
        ))
    }
}

/// `1.88` or `1.88.0` as a comparable triple.
fn version(text: &str) -> (u64, u64, u64) {
    let mut parts = text.split('.').map(|p| p.parse::<u64>().unwrap_or(0));
    (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    )
}
