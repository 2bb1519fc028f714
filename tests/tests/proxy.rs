//! The token never crosses the network in clear text through a proxy, on both first-party
//! transports: loopback servers are reached directly whatever the proxy settings say, https goes
//! through a proxy only inside a `CONNECT` tunnel (TLS from end to end), and plain http goes
//! through one only when the configuration allows clear text.
//!
//! The proxy is [`RecordingProxy`], on loopback; host names that are not loopback
//! (`sdm.example.test`) are resolved by nobody but the proxy, which relays every connection to
//! the fake server. Proxies from the environment are tested in a child process (this test
//! binary run again with `HTTP_PROXY` and the others set): the environment is process-wide.

use std::process::Command;
use std::time::Duration;

use sdm_core::transport::{PlainHttpAllowed, RequestBody, Transport};
use sdm_core::{
    BlockingClient, ClientConfig, Error, InvalidInput, JobId, RetryPolicy, Setting,
    TransportErrorKind,
};
use sdm_mock::MockServer;
use sdm_reqwest::ReqwestTransport;
use sdm_ureq::UreqTransport;

mod recording_proxy;

use recording_proxy::{RecordingProxy, contains};

const TIMEOUTS: sdm_core::transport::Timeouts = sdm_core::transport::Timeouts {
    connect: Duration::from_secs(5),
    read: Duration::from_secs(10),
    overall: None,
};

/// A host name that is not loopback; only the proxy "resolves" it (to the fake server).
const REMOTE: &str = "sdm.example.test";

fn config(base_url: &str, token: &str) -> ClientConfig {
    ClientConfig::new(base_url)
        .unwrap()
        .with_token(token)
        .with_rate_limit(None)
        .with_retry_policy(RetryPolicy::none())
}

fn first_job(server: &MockServer) -> JobId {
    JobId::parse(server.world().jobs()[0]["id"].as_str().unwrap()).unwrap()
}

fn ureq_through(proxy: &RecordingProxy) -> UreqTransport {
    UreqTransport::builder()
        .timeouts(TIMEOUTS)
        .proxy(sdm_ureq::ureq::Proxy::new(&proxy.url()).unwrap())
        .build()
}

fn reqwest_through(proxy: &RecordingProxy) -> ReqwestTransport {
    ReqwestTransport::builder()
        .timeouts(TIMEOUTS)
        .proxy(proxy.url().parse().unwrap())
        .build()
        .unwrap()
}

/// A caller's own ureq agent with a proxy: the transport still keeps loopback direct.
fn ureq_agent_through(proxy: &RecordingProxy) -> UreqTransport {
    let agent = sdm_ureq::ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .proxy(Some(sdm_ureq::ureq::Proxy::new(&proxy.url()).unwrap()))
        .build();
    UreqTransport::from_agent(agent.into())
}

/// Runs `get_job` with the config on each transport through `proxy`, returning each result.
fn get_job_everywhere(
    proxy: &RecordingProxy,
    config: &ClientConfig,
    id: &JobId,
) -> Vec<(&'static str, Result<sdm_core::Job, Error>)> {
    let blocking = |transport: UreqTransport| {
        BlockingClient::with_transport(config.clone(), transport).get_job(id)
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let reqwest = runtime.block_on(async {
        sdm_core::AsyncClient::with_transport(config.clone(), reqwest_through(proxy))
            .get_job(id)
            .await
    });
    vec![
        ("ureq", blocking(ureq_through(proxy))),
        ("ureq agent", blocking(ureq_agent_through(proxy))),
        ("reqwest", reqwest),
    ]
}

#[test]
fn loopback_servers_are_reached_directly_through_an_explicit_proxy() {
    let server = MockServer::start();
    let proxy = RecordingProxy::start(server.addr());
    let config = config(server.base_url(), server.token());
    for (name, result) in get_job_everywhere(&proxy, &config, &first_job(&server)) {
        assert!(result.is_ok(), "{name}: {result:?}");
    }
    assert!(proxy.seen().is_empty(), "the proxy saw {:?}", proxy.seen());
}

/// Every connection the proxy saw is a `CONNECT` to `REMOTE:443` followed by a TLS handshake,
/// and the token is nowhere in what it saw.
fn assert_tunnelled_only(proxy: &RecordingProxy, token: &str, connections: usize) {
    let seen = proxy.seen();
    assert_eq!(seen.len(), connections, "{seen:?}");
    for connection in &seen {
        assert!(
            connection
                .head
                .starts_with(&format!("CONNECT {REMOTE}:443 HTTP/1.1\r\n")),
            "{connection:?}"
        );
        // A TLS record of type handshake (the ClientHello) opens the tunnel.
        assert_eq!(connection.after_head.first(), Some(&0x16), "{connection:?}");
        let all = connection.all_bytes();
        assert!(
            !contains(&all, token.as_bytes()),
            "the token crossed in clear"
        );
        assert!(!contains(&all, b"Authorization"), "{connection:?}");
    }
}

#[test]
fn https_goes_through_the_proxy_in_a_tunnel_only() {
    let server = MockServer::start();
    let proxy = RecordingProxy::start(server.addr());
    let config = config(&format!("https://{REMOTE}/api/v1/"), server.token());
    // The fake server speaks plain http, so the TLS handshake through the tunnel fails: what
    // matters is what the proxy saw before it did.
    for (name, result) in get_job_everywhere(&proxy, &config, &first_job(&server)) {
        let error = result.unwrap_err();
        let Error::Transport(failure) = &error else {
            panic!("{name}: {error:?}")
        };
        assert_eq!(
            failure.error.kind(),
            TransportErrorKind::Tls,
            "{name}: {error:?}"
        );
    }
    assert_tunnelled_only(&proxy, server.token(), 3);
}

#[test]
fn plain_http_goes_through_the_proxy_when_allowed() {
    let server = MockServer::start();
    let proxy = RecordingProxy::start(server.addr());
    let config = config(&format!("http://{REMOTE}/api/v1/"), server.token()).with_allow_http(true);
    let id = first_job(&server);
    for (name, result) in get_job_everywhere(&proxy, &config, &id) {
        assert_eq!(result.expect(name).id, id, "{name}");
    }
    // ureq tunnels plain http too (twice: two ureq transports); reqwest forwards it in
    // absolute form.
    let heads: Vec<String> = proxy.seen().into_iter().map(|seen| seen.head).collect();
    let tunnels = heads
        .iter()
        .filter(|head| head.starts_with(&format!("CONNECT {REMOTE}:80 HTTP/1.1\r\n")))
        .count();
    let forwarded = format!("GET http://{REMOTE}/api/v1/jobs/{id}/ HTTP/1.1\r\n");
    let forwarded = heads
        .iter()
        .filter(|head| head.starts_with(&forwarded))
        .count();
    assert_eq!((heads.len(), tunnels, forwarded), (3, 2, 1), "{heads:?}");
}

/// A plain-http request to a host that is not loopback, built by hand with the token and
/// without the [`PlainHttpAllowed`] mark the clients put on the ones the configuration allows.
fn unmarked_request(token: &str) -> sdm_core::http::Request<RequestBody> {
    sdm_core::http::Request::get(format!("http://{REMOTE}/api/v1/jobs/"))
        .header("authorization", format!("Token {token}"))
        .body(RequestBody::empty())
        .unwrap()
}

fn assert_refused(name: &str, error: sdm_core::TransportError) {
    assert_eq!(error.kind(), TransportErrorKind::Other, "{name}: {error:?}");
    let cause = std::error::Error::source(&error)
        .and_then(|cause| cause.downcast_ref::<InvalidInput>())
        .unwrap_or_else(|| panic!("{name}: {error:?}"));
    assert_eq!(cause.allowed_by, Some(Setting::AllowHttp), "{name}");
    assert!(cause.reason.contains("plain http"), "{name}: {cause}");
}

#[test]
fn plain_http_is_refused_before_reaching_a_proxy_unless_marked_allowed() {
    let server = MockServer::start();
    let proxy = RecordingProxy::start(server.addr());
    let token = server.token();
    for (name, transport) in [
        ("ureq", ureq_through(&proxy)),
        ("ureq agent", ureq_agent_through(&proxy)),
    ] {
        assert_refused(name, transport.send(unmarked_request(token)).unwrap_err());
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let transport = reqwest_through(&proxy);
    let refused = runtime.block_on(sdm_core::transport::AsyncTransport::send(
        &transport,
        unmarked_request(token),
    ));
    assert_refused("reqwest", refused.unwrap_err());
    assert!(proxy.seen().is_empty(), "the proxy saw {:?}", proxy.seen());

    // The same request with the mark goes through (and the proxy relays it to the server).
    let mut marked = unmarked_request(token);
    marked.extensions_mut().insert(PlainHttpAllowed);
    let response = ureq_through(&proxy).send(marked).unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(proxy.seen().len(), 1);
}

/// The child's part of [`proxies_from_the_environment_skip_loopback_and_tunnel_https`]: does
/// nothing unless that test started this process.
#[test]
fn environment_child() {
    let Ok(base_url) = std::env::var("SDM_PROXY_TEST_BASE_URL") else {
        return;
    };
    let token = std::env::var("SDM_PROXY_TEST_TOKEN").unwrap();
    let id = JobId::parse(&std::env::var("SDM_PROXY_TEST_JOB").unwrap()).unwrap();
    let local = config(&base_url, &token);
    let remote = config(&format!("https://{REMOTE}/api/v1/"), &token);
    let ureq = |config: &ClientConfig| {
        BlockingClient::with_transport(config.clone(), UreqTransport::with_timeouts(TIMEOUTS))
            .get_job(&id)
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let reqwest = |config: &ClientConfig| {
        runtime.block_on(
            sdm_core::AsyncClient::with_transport(
                config.clone(),
                ReqwestTransport::with_timeouts(TIMEOUTS),
            )
            .get_job(&id),
        )
    };
    ureq(&local).expect("ureq, loopback");
    reqwest(&local).expect("reqwest, loopback");
    // Through the proxy of the environment, to the fake server, which does not speak TLS.
    for (name, result) in [("ureq", ureq(&remote)), ("reqwest", reqwest(&remote))] {
        match result {
            Err(Error::Transport(failure)) if failure.error.kind() == TransportErrorKind::Tls => {}
            other => panic!("{name}, https through the proxy: {other:?}"),
        }
    }
    // Without proxies, the loopback server is still reached.
    let direct = UreqTransport::builder()
        .timeouts(TIMEOUTS)
        .no_proxy()
        .build();
    BlockingClient::with_transport(local.clone(), direct)
        .get_job(&id)
        .expect("ureq without proxies");
    let direct = ReqwestTransport::builder()
        .timeouts(TIMEOUTS)
        .no_proxy()
        .build()
        .unwrap();
    runtime
        .block_on(sdm_core::AsyncClient::with_transport(local, direct).get_job(&id))
        .expect("reqwest without proxies");
}

#[test]
fn proxies_from_the_environment_skip_loopback_and_tunnel_https() {
    let server = MockServer::start();
    let proxy = RecordingProxy::start(server.addr());
    let mut child = Command::new(std::env::current_exe().unwrap());
    child
        .args([
            "--exact",
            "environment_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("SDM_PROXY_TEST_BASE_URL", server.base_url())
        .env("SDM_PROXY_TEST_TOKEN", server.token())
        .env("SDM_PROXY_TEST_JOB", first_job(&server).as_str());
    for name in ["NO_PROXY", "no_proxy", "REQUEST_METHOD"] {
        child.env_remove(name);
    }
    for name in [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ] {
        child.env(name, proxy.url());
    }
    let output = child.output().unwrap();
    assert!(
        output.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("1 passed"));
    // The two https requests, and nothing of the loopback ones.
    assert_tunnelled_only(&proxy, server.token(), 2);
}
