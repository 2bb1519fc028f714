//! The token and the password never appear in tracing output (at trace level), nor in any
//! result's `Display` or `Debug`, for every operation on both transports, successes and errors.
//!
//! `log` records are bridged into tracing as an application would, except `ureq_proto`'s: at
//! trace level it hex-dumps every byte on the wire, headers included (documented in sdm-ureq).

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sdm_conformance::{ConnectWith, connect_to};
use sdm_core::{JobId, JobQuery, OutputFormatId, PagerOptions, Password, WaitOptions};
use sdm_mock::{JobSpec, MockServer, Status};

mod first_party;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_traces() -> Captured {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("trace"))
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();
    tracing_log::LogTracer::builder()
        .ignore_crate("ureq_proto")
        .init()
        .unwrap();
    captured
}

/// Runs every operation, recording the `Display` and `Debug` of each outcome.
fn run_everything(connect: ConnectWith, server: &MockServer, shown: &mut Vec<String>) {
    let mut show = |text: String| shown.push(text);
    let anonymous = connect_to(connect, server.base_url(), None);
    let password = Password::new(server.password());
    match anonymous.login(server.email(), &password, "sdm-mock") {
        Ok(token) => show(format!("{token} {token:?}")),
        Err(error) => panic!("login failed: {error}"),
    }
    let refused = anonymous.login(server.email(), &Password::new("not-the-password-4711"), "x");
    show(format!(
        "{refused:?} {}",
        refused
            .as_ref()
            .err()
            .map(ToString::to_string)
            .unwrap_or_default()
    ));

    let client = connect_to(connect, server.base_url(), Some(server.token()));
    let world = server.world();
    let done = world
        .jobs()
        .iter()
        .find(|job| job["status"] == "done")
        .unwrap();
    let running = world
        .jobs()
        .iter()
        .find(|job| job["status"] == "running")
        .unwrap();
    let done = JobId::parse(done["id"].as_str().unwrap()).unwrap();
    let running = JobId::parse(running["id"].as_str().unwrap()).unwrap();
    let unknown = JobId::parse("00000000-0000-4000-8000-000000000000").unwrap();
    show(format!("{:?}", client.get_job(&done)));
    show(format!("{:?}", client.get_job(&unknown)));
    show(format!("{:?}", client.list_jobs(&JobQuery::new().page(2))));
    show(format!(
        "{:?}",
        client.list_jobs(&JobQuery::new().page(999))
    ));
    show(format!(
        "{:?}",
        client
            .all_jobs(&JobQuery::new(), PagerOptions::default())
            .len()
    ));
    show(format!("{:?}", client.job_data(&done, OutputFormatId(1))));
    show(format!(
        "{:?}",
        client.job_data(&running, OutputFormatId(1))
    ));
    show(format!("{:?}", client.raw_rows(&done, OutputFormatId(2))));
    let finishing =
        JobId::parse(&server.add_job(JobSpec::new(Status::Error, Duration::from_millis(200))))
            .unwrap();
    let fast = WaitOptions::default()
        .interval(Duration::from_millis(50))
        .timeout(Duration::from_secs(10));
    show(format!("{:?}", client.wait_for_job(&finishing, fast)));

    let wrong = connect_to(
        connect,
        server.base_url(),
        Some("0badc0de-0000-4000-8000-000000000bad"),
    );
    for result in [
        wrong.get_job(&done).map(drop),
        wrong.list_jobs(&JobQuery::new()).map(drop),
    ] {
        let error = result.unwrap_err();
        show(format!("{error} {error:?}"));
        assert!(
            !format!("{error} {error:?}").contains("0badc0de"),
            "a wrong token is echoed: {error:?}"
        );
    }
    show(format!("{:?}", wrong.raw_rows(&done, OutputFormatId(1)).1));
}

#[test]
fn secrets_never_reach_traces_or_errors() {
    let traces = capture_traces();
    let server = MockServer::start();
    let mut shown = Vec::new();
    run_everything(first_party::ureq, &server, &mut shown);
    run_everything(first_party::reqwest, &server, &mut shown);

    let traces = String::from_utf8_lossy(&traces.0.lock().unwrap()).into_owned();
    assert!(
        traces.contains("sending request"),
        "trace output was captured"
    );
    let secrets = [
        server.token(),
        server.password(),
        "not-the-password-4711",
        "0badc0de-0000-4000-8000-000000000bad",
    ];
    for secret in secrets {
        assert!(!traces.contains(secret), "a secret is in the trace output");
        for text in &shown {
            assert!(!text.contains(secret), "a secret is in an outcome: {text}");
        }
    }
}
