//! Local input problems are usage errors (exit 2) told at once, read within bounds, and never
//! retried as if the network had failed: a token no header can carry, durations too long for
//! any clock, endless or odd token and password inputs.

mod common;

use std::process::Stdio;

use common::{run, run_expect, sdm};
use sdm_mock::MockServer;

/// A server that no request reaches in these tests (each fails before sending).
fn server() -> MockServer {
    MockServer::builder().start().unwrap()
}

#[test]
fn a_token_no_header_can_carry_is_refused_before_any_request() {
    let server = server();
    let before = server.request_count();
    let failed = run_expect(
        &mut sdm(&[
            "jobs",
            "list",
            "--base-url",
            server.base_url(),
            "--token",
            "jetón",
        ]),
        2,
    );
    assert!(failed.stderr.contains("visible ASCII"), "{failed:#?}");
    assert!(!failed.stderr.contains("jetón"), "{failed:#?}");
    assert_eq!(server.request_count(), before, "nothing was sent");
}

#[test]
fn durations_beyond_any_clock_are_usage_errors() {
    for option in ["--read-timeout", "--connect-timeout"] {
        let failed = run_expect(
            &mut sdm(&[
                option,
                "9223372036854775807",
                "jobs",
                "list",
                "--token",
                "t",
            ]),
            2,
        );
        assert!(failed.stderr.contains("too long"), "{option}: {failed:#?}");
    }
    let id = "9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b";
    let failed = run_expect(
        &mut sdm(&[
            "jobs",
            "wait",
            id,
            "--timeout",
            "99999999999999h",
            "--token",
            "t",
        ]),
        2,
    );
    assert!(failed.stderr.contains("too long"), "{failed:#?}");
}

#[test]
fn endless_password_input_is_refused_within_bounds() {
    let mut command = sdm(&[
        "login",
        "--email",
        "a@example.com",
        "--password-stdin",
        "--base-url",
        "http://127.0.0.1:9/api/v1/",
    ]);
    command.stdin(Stdio::from(std::fs::File::open("/dev/zero").unwrap()));
    let failed = run(&mut command);
    assert_eq!(failed.code, 2, "{failed:#?}");
    assert!(failed.stderr.contains("4096 bytes"), "{failed:#?}");
}

#[test]
fn token_files_that_are_not_small_regular_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("token");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(256 << 20)
        .unwrap();
    let big = big.to_str().unwrap().to_owned();
    for (path, says) in [
        ("/dev/zero", "not a regular file"),
        (big.as_str(), "larger than 4096 bytes"),
    ] {
        let failed = run_expect(&mut sdm(&["jobs", "list", "--token-file", path]), 2);
        assert!(failed.stderr.contains(says), "{path}: {failed:#?}");
    }
}
