//! `cargo xtask man [--out DIR]`: a man page for every command and subcommand of `sdm`
//! (`sdm.1`, `sdm-jobs.1`, `sdm-jobs-list.1`, ...), written into DIR (default: `man` under the
//! target directory).
//!
//! The pages come from the binary's own clap definitions: the task runs the hidden
//! `sdm __man DIR`, so they cannot drift from what `sdm` accepts, and the CLI stays one binary.

use std::path::PathBuf;

/// Writes the pages.
pub fn run(args: &[String]) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let dir = match out_dir(args)? {
        Some(dir) => dir,
        None => crate::api::locations(&cargo)?.1.join("man"),
    };
    let dir = dir
        .to_str()
        .ok_or_else(|| format!("{} is not UTF-8", dir.display()))?
        .to_owned();
    crate::cargo(&[
        "run", "--quiet", "--locked", "-p", "sdm-cli", "--bin", "sdm", "--", "__man", &dir,
    ])
}

/// `--out DIR` (or `--out=DIR`), if given; anything else is refused.
fn out_dir(args: &[String]) -> Result<Option<PathBuf>, String> {
    const USAGE: &str = "usage: cargo xtask man [--out DIR]";
    match args {
        [] => Ok(None),
        [flag, dir] if flag == "--out" && !dir.is_empty() => Ok(Some(PathBuf::from(dir))),
        [arg] => match arg.strip_prefix("--out=") {
            Some(dir) if !dir.is_empty() => Ok(Some(PathBuf::from(dir))),
            _ => Err(USAGE.to_owned()),
        },
        _ => Err(USAGE.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| (*w).to_owned()).collect()
    }

    #[test]
    fn the_out_directory_is_optional() {
        assert_eq!(out_dir(&args(&[])), Ok(None));
        assert_eq!(
            out_dir(&args(&["--out", "pages"])),
            Ok(Some(PathBuf::from("pages")))
        );
        assert_eq!(
            out_dir(&args(&["--out=share/man/man1"])),
            Ok(Some(PathBuf::from("share/man/man1")))
        );
        for bad in [
            &["--out"][..],
            &["--out="],
            &["pages"],
            &["--out", ""],
            &["--out", "a", "b"],
        ] {
            assert!(out_dir(&args(bad)).is_err(), "{bad:?}");
        }
    }
}
