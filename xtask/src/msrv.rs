//! `cargo xtask msrv`: the declared `rust-version` holds for what we depend on and what we write.
//!
//! Only one toolchain is installed where this project is built, newer than the declared
//! minimum, so these checks stand in for building with the old compiler:
//!
//! 1. every package in the lock file (all features, all platforms, as `cargo metadata` lists
//!    them) declares a `rust-version` no higher than ours, and ours is no higher than the
//!    toolchain that runs this;
//! 2. the language and Cargo features the workspace uses need no newer Rust: the edition and
//!    resolver in the manifests, and the syntax found in the sources (let chains) — the cases
//!    the compiler does not check against `rust-version` on its own;
//! 3. standard library items newer than `rust-version` are clippy's `incompatible_msrv` lint, on
//!    in `cargo xtask ci` (clippy with `-D warnings`).
//!
//! With rustup and network access, the direct check is `rustup toolchain install <version>`
//! then `cargo +<version> check --workspace --locked`.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

type Version = (u64, u64, u64);

pub fn run() -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(&cargo)
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
    let is_member = |p: &&Value| members.contains(&p["id"].as_str().unwrap_or(""));
    let ours = packages
        .iter()
        .filter(is_member)
        .filter_map(|p| p["rust_version"].as_str())
        .map(version)
        .max()
        .ok_or("no workspace member declares a rust-version")?;
    println!("declared rust-version: {}", show(ours));
    let mut problems = Vec::new();

    // 1. Dependencies, and the toolchain here.
    let mut floor: Option<(Version, String)> = None;
    let mut undeclared = 0;
    for package in packages.iter().filter(|p| !is_member(p)) {
        let name = format!(
            "{} {}",
            str_of(&package["name"]),
            str_of(&package["version"])
        );
        let Some(required) = package["rust_version"].as_str().map(version) else {
            undeclared += 1;
            continue;
        };
        if required > ours {
            problems.push(format!("{name} needs Rust {}", show(required)));
        }
        if floor
            .as_ref()
            .is_none_or(|(highest, _)| required > *highest)
        {
            floor = Some((required, name));
        }
    }
    if let Some((highest, name)) = &floor {
        println!(
            "locked dependencies: {} packages, the most demanding {name} (Rust {}); {undeclared} \
             declare no rust-version",
            packages.len() - members.len(),
            show(*highest)
        );
    }
    match installed(&cargo) {
        Some(here) if here < ours => problems.push(format!(
            "the toolchain here is {}, older than the declared {}",
            show(here),
            show(ours)
        )),
        Some(here) => println!("toolchain here: {}", show(here)),
        None => println!("toolchain here: unknown (`rustc --version` failed)"),
    }

    // 2. Language and Cargo features.
    let root = Path::new(metadata["workspace_root"].as_str().unwrap_or("."));
    let mut needs = Vec::new();
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap_or_default();
    if manifest_value(&manifest, "edition").as_deref() == Some("2024") {
        needs.push(((1, 85, 0), "edition 2024".to_owned()));
    }
    if manifest_value(&manifest, "resolver").as_deref() == Some("3") {
        needs.push(((1, 84, 0), "resolver 3".to_owned()));
    }
    let mut sources = Vec::new();
    for dir in ["crates", "tests", "bench", "xtask"] {
        rust_files(&root.join(dir), &mut sources);
    }
    if let Some((file, line)) = sources.iter().find_map(|path| {
        let text = std::fs::read_to_string(path).ok()?;
        let line = text.lines().position(has_let_chain)?;
        Some((
            path.strip_prefix(root)
                .unwrap_or(path)
                .display()
                .to_string(),
            line + 1,
        ))
    }) {
        needs.push(((1, 88, 0), format!("let chains ({file}:{line})")));
    }
    for (required, what) in &needs {
        if *required > ours {
            problems.push(format!("{what} needs Rust {}", show(*required)));
        }
    }
    let what: Vec<String> = needs
        .iter()
        .map(|(v, what)| format!("{what}: {}", show(*v)))
        .collect();
    println!("language and Cargo features used: {}", what.join(", "));

    if problems.is_empty() {
        println!("the declared rust-version holds");
        Ok(())
    } else {
        Err(format!(
            "the declared rust-version {} is too low:\n  {}",
            show(ours),
            problems.join("\n  ")
        ))
    }
}

/// `1.88` or `1.88.0` as a comparable triple.
fn version(text: &str) -> Version {
    let mut parts = text.split('.').map(|p| p.parse::<u64>().unwrap_or(0));
    (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    )
}

fn show((major, minor, patch): Version) -> String {
    format!("{major}.{minor}.{patch}")
}

fn str_of(value: &Value) -> &str {
    value.as_str().unwrap_or("?")
}

/// The version of the `rustc` next to `cargo`.
fn installed(cargo: &str) -> Option<Version> {
    let rustc = Path::new(cargo).with_file_name("rustc");
    let rustc = if rustc.exists() {
        rustc.into_os_string()
    } else {
        "rustc".into()
    };
    let output = Command::new(rustc).arg("--version").output().ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    // "rustc 1.95.0 (59807616e 2026-04-14)"
    text.split_whitespace().nth(1).map(version)
}

/// The quoted value of `key = "…"` on a line of its own in a manifest.
fn manifest_value(manifest: &str, key: &str) -> Option<String> {
    manifest.lines().find_map(|line| {
        let (name, value) = line.split_once('=')?;
        (name.trim() == key).then(|| value.trim().trim_matches('"').to_owned())
    })
}

/// A condition that chains `let` with `&&` (`if let … && …`, `… && let …`), outside comments.
fn has_let_chain(line: &str) -> bool {
    let code = line.split("//").next().unwrap_or("").trim();
    code.contains("&& let ")
        || ((code.starts_with("if let ") || code.starts_with("while let "))
            && code.contains(" && "))
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() && path.file_name().is_some_and(|n| n != "target") {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}
