//! `sdm` never shows the token to a proxy: with `HTTP_PROXY`, `HTTPS_PROXY` and `ALL_PROXY`
//! set (or `--proxy`), a loopback server is still reached directly, https goes through the proxy
//! only inside a `CONNECT` tunnel, and `--no-proxy` leaves the proxy out altogether.
//!
//! The proxy is the workspace's recording proxy on loopback; host names that are not loopback
//! are resolved by nobody but the proxy, which relays every connection to the fake server.

mod common;

#[path = "../../../tests/tests/recording_proxy/mod.rs"]
mod recording_proxy;

use std::process::Command;

use common::{id_of, job_with_status, run, run_expect, sdm, sdm_at};
use recording_proxy::{RecordingProxy, contains};
use sdm_mock::MockServer;

const PROXY_VARIABLES: [&str; 6] = [
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
];

/// `command` with every proxy variable naming `proxy`, and no `NO_PROXY`.
fn with_proxy_variables<'a>(command: &'a mut Command, proxy: &RecordingProxy) -> &'a mut Command {
    for name in ["NO_PROXY", "no_proxy", "REQUEST_METHOD"] {
        command.env_remove(name);
    }
    for name in PROXY_VARIABLES {
        command.env(name, proxy.url());
    }
    command
}

/// The proxy saw only `CONNECT`s to `sdm.example.test:443`, each opening a TLS handshake, and
/// never the token.
fn assert_tunnelled_only(proxy: &RecordingProxy, token: &str) {
    let seen = proxy.seen();
    assert!(!seen.is_empty());
    for connection in seen {
        assert!(
            connection
                .head
                .starts_with("CONNECT sdm.example.test:443 HTTP/1.1\r\n"),
            "{connection:?}"
        );
        assert_eq!(connection.after_head.first(), Some(&0x16), "{connection:?}");
        assert!(!contains(&connection.all_bytes(), token.as_bytes()));
    }
}

#[test]
fn loopback_servers_are_reached_directly_whatever_the_proxy_settings() {
    let server = MockServer::start();
    let proxy = RecordingProxy::start(server.addr());
    let id = id_of(job_with_status(&server, "done")).to_owned();
    let mut from_environment = sdm_at(&server, &["jobs", "get", &id]);
    let run = run_expect(with_proxy_variables(&mut from_environment, &proxy), 0);
    assert!(run.stdout.contains(&id), "{run:#?}");
    let mut explicit = sdm_at(&server, &["jobs", "get", &id, "--proxy", &proxy.url()]);
    run_expect(&mut explicit, 0);
    let mut from_sdm_proxy = sdm_at(&server, &["jobs", "get", &id]);
    run_expect(from_sdm_proxy.env("SDM_PROXY", proxy.url()), 0);
    assert!(proxy.seen().is_empty(), "the proxy saw {:?}", proxy.seen());
}

#[test]
fn https_goes_through_the_proxy_in_a_tunnel_only() {
    let server = MockServer::start();
    let proxy = RecordingProxy::start(server.addr());
    let id = id_of(job_with_status(&server, "done")).to_owned();
    let args = |extra: &[&str]| {
        let mut args = vec![
            "jobs",
            "get",
            &id,
            "--base-url",
            "https://sdm.example.test/api/v1/",
            "--token",
            server.token(),
            "--retries",
            "1",
        ];
        args.extend_from_slice(extra);
        args.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    // The fake server does not speak TLS: the handshake through the tunnel fails.
    let mut from_environment = sdm(&[]);
    from_environment.args(args(&[]));
    let failed = run(with_proxy_variables(&mut from_environment, &proxy));
    assert_eq!(failed.code, 1, "{failed:#?}");
    assert!(failed.stderr.contains("TLS"), "{failed:#?}");
    let proxy_url = proxy.url();
    let mut explicit = sdm(&[]);
    explicit.args(args(&["--proxy", &proxy_url]));
    assert_eq!(run(&mut explicit).code, 1);
    assert_eq!(proxy.seen().len(), 2, "{:?}", proxy.seen());
    assert_tunnelled_only(&proxy, server.token());
}

#[test]
fn plain_http_through_a_proxy_needs_allow_http() {
    let server = MockServer::start();
    let proxy = RecordingProxy::start(server.addr());
    let id = id_of(job_with_status(&server, "done")).to_owned();
    let base_url = "http://sdm.example.test/api/v1/";
    let args = [
        "jobs",
        "get",
        &id,
        "--base-url",
        base_url,
        "--token",
        server.token(),
    ];
    let mut refused = sdm(&args);
    let run = run_expect(with_proxy_variables(&mut refused, &proxy), 2);
    assert!(run.stderr.contains("--allow-http"), "{run:#?}");
    assert!(proxy.seen().is_empty());
    let mut allowed = sdm(&args);
    allowed.arg("--allow-http");
    let run = run_expect(with_proxy_variables(&mut allowed, &proxy), 0);
    assert!(run.stdout.contains(&id), "{run:#?}");
    assert_eq!(proxy.seen().len(), 1, "{:?}", proxy.seen());
}

/// `0.0.0.0` is not a loopback name, so proxies apply to it, yet on Linux a connection to it
/// reaches this machine: the one host that tells "direct" from "proxied" without leaving it.
#[cfg(target_os = "linux")]
#[test]
fn no_proxy_connects_directly() {
    let server = MockServer::start();
    let proxy = RecordingProxy::start(server.addr());
    let id = id_of(job_with_status(&server, "done")).to_owned();
    let base_url = format!("http://0.0.0.0:{}/api/v1/", server.addr().port());
    let args = [
        "jobs",
        "get",
        &id,
        "--base-url",
        &base_url,
        "--token",
        server.token(),
        "--allow-http",
    ];
    let mut proxied = sdm(&args);
    run_expect(with_proxy_variables(&mut proxied, &proxy), 0);
    assert_eq!(proxy.seen().len(), 1, "{:?}", proxy.seen());
    for extra in [
        &["--no-proxy"][..],
        &["--no-proxy", "--proxy", &proxy.url()],
    ] {
        let mut direct = sdm(&args);
        direct.args(extra);
        run_expect(with_proxy_variables(&mut direct, &proxy), 0);
    }
    assert_eq!(proxy.seen().len(), 1, "{:?}", proxy.seen());
}

#[test]
fn a_proxy_url_that_is_not_one_is_a_usage_error() {
    for url in ["socks5://127.0.0.1:1080", "http://[::1"] {
        let run = run_expect(
            &mut sdm(&["jobs", "list", "--proxy", url, "--token", "t"]),
            2,
        );
        assert!(run.stderr.contains("--proxy"), "{run:#?}");
    }
}
