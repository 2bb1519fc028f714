//! `cargo xtask features`: every documented feature set of each library crate builds.
//!
//! `cargo check` of each library alone (`-p`, so no other workspace crate's features are
//! unified in), with `--no-default-features` and each set below: what a feature can break is
//! the build; the test suite runs once, with the default features. The sets are the ones the
//! crates' documentation names: each feature alone, the defaults, and the combinations whose
//! precedence is documented ("when several are on").
//!
//! `native-tls` needs OpenSSL's development files on Linux. `.ci/run` installs them on CI
//! machines; elsewhere, when `pkg-config` cannot find OpenSSL, those sets are skipped with a
//! message (an error when `SDM_CI` is set, as `.ci/run` sets it).

use std::process::Command;
use std::time::Instant;

use crate::cargo;

/// Each library crate and its feature sets; `None` is the crate's defaults.
const SETS: &[(&str, &[Option<&str>])] = &[
    ("sdm-core", &[Some(""), None]),
    (
        "sdm-ureq",
        &[
            Some(""),
            None,
            Some("rustls-aws-lc-rs"),
            Some("rustls-no-provider"),
            Some("rustls,platform-verifier"),
            Some("rustls-aws-lc-rs,platform-verifier"),
            Some("native-tls"),
            Some("rustls,rustls-aws-lc-rs,platform-verifier,native-tls"),
        ],
    ),
    (
        "sdm-reqwest",
        &[
            Some(""),
            None,
            Some("rustls-ring"),
            Some("rustls-no-provider"),
            Some("rustls,webpki-roots,http2"),
            Some("rustls-ring,webpki-roots"),
            Some("rustls-ring,http2"),
            Some("native-tls"),
            Some("native-tls,webpki-roots,http2"),
            Some("rustls,rustls-ring,webpki-roots,native-tls,http2"),
        ],
    ),
];

pub fn run() -> Result<(), String> {
    let openssl = openssl_available();
    let started = Instant::now();
    let mut skipped = Vec::new();
    for (package, sets) in SETS {
        for set in *sets {
            let mut args = vec!["check", "--locked", "-p", package];
            if let Some(features) = set {
                args.push("--no-default-features");
                if !features.is_empty() {
                    args.extend(["--features", features]);
                }
            }
            if set.is_some_and(|f| f.contains("native-tls")) && !openssl {
                skipped.push(format!("{package} [{}]", set.unwrap_or_default()));
                continue;
            }
            cargo(&args)?;
        }
    }
    eprintln!("==> feature sets checked in {:.0?}", started.elapsed());
    if skipped.is_empty() {
        return Ok(());
    }
    let message = format!(
        "skipped (OpenSSL's development files not found; `apt-get install libssl-dev \
         pkg-config`, as .ci/run does): {}",
        skipped.join(", ")
    );
    if std::env::var_os("SDM_CI").is_some() {
        Err(message)
    } else {
        eprintln!("==> {message}");
        Ok(())
    }
}

/// Whether openssl-sys will find OpenSSL (it asks pkg-config on Linux; elsewhere, assume so).
fn openssl_available() -> bool {
    if !cfg!(target_os = "linux") {
        return true;
    }
    Command::new("pkg-config")
        .args(["--exists", "openssl"])
        .status()
        .is_ok_and(|status| status.success())
}
