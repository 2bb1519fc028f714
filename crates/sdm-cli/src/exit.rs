//! The exit status contract: which failure exits with which code.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success (also when the reader of standard output went away, as with `| head`) |
//! | 1 | any other failure |
//! | 2 | usage error: bad arguments, no token, an id that is not one (clap's own errors too), a file to upload that cannot be read |
//! | 3 | authentication or permission refused (401, 403, and bad credentials at login) |
//! | 4 | not found (404) |
//! | 5 | `jobs wait`, `import`: the job ended in `error`; `files upload --wait`, `import`: parsing failed |
//! | 6 | `jobs wait`, `import`: the job is `pending` (a person must act in SDM) |
//! | 7 | `jobs wait`, `files upload --wait`, `import`: the timeout passed first |
//! | 8 | unavailable or rate limited after the retries: 429, 502-504, connect, timeout, lost |
//!
//! A create that may have happened ([`Error::Unconfirmed`]) exits with the code of what
//! happened to it (a lost connection is 8, a 500 is 1). A walk over every page (`--all`) that
//! could not see every item the server announced ([`Error::Incomplete`]) is 1: the server's
//! listing is inconsistent, which waiting will not cure, even when a page answered 404.

use sdm_ureq::{Error, RetryPolicy};

use crate::error::{CliError, JobOutcome};

/// Success.
pub const SUCCESS: u8 = 0;
/// Any failure without a more specific code.
pub const FAILURE: u8 = 1;
/// The command line cannot work as given.
pub const USAGE: u8 = 2;
/// The server refused the credentials or the permission.
pub const REFUSED: u8 = 3;
/// The job, output format or page does not exist.
pub const NOT_FOUND: u8 = 4;
/// The job ended in `error`, or the file could not be parsed.
pub const JOB_FAILED: u8 = 5;
/// The job is `pending`: a person must act in SDM.
pub const JOB_PENDING: u8 = 6;
/// The wait's (or the import's) deadline passed.
pub const TIMED_OUT: u8 = 7;
/// The server is down, overloaded, unreachable or rate limiting.
pub const UNAVAILABLE: u8 = 8;

/// The exit code for a failed command.
pub fn exit_code(error: &CliError) -> u8 {
    match error {
        CliError::Usage { .. } => USAGE,
        CliError::Stdout(_) if error.is_broken_pipe() => SUCCESS,
        CliError::Stdout(_) | CliError::Io { .. } => FAILURE,
        CliError::Job { outcome, .. } => match outcome {
            JobOutcome::Failed => JOB_FAILED,
            JobOutcome::NeedsAction => JOB_PENDING,
            JobOutcome::TimedOut => TIMED_OUT,
            JobOutcome::Unexpected => FAILURE,
        },
        CliError::Deadline { .. } => TIMED_OUT,
        // A create that may have happened is told by what happened to it.
        CliError::Api(error) => match error.underlying() {
            Error::Incomplete(_) => FAILURE,
            Error::Authentication(_) | Error::Permission(_) => REFUSED,
            Error::NotFound(_) => NOT_FOUND,
            // What retries could have cured but did not: the library's own classification.
            error if RetryPolicy::is_transient(error) => UNAVAILABLE,
            Error::InvalidInput(_) => USAGE,
            _ => FAILURE,
        },
    }
}

#[cfg(test)]
mod tests {
    use std::io;

    use sdm_core::http::{Request, Response};
    use sdm_core::ops::{GetJob, Operation};
    use sdm_core::transport::transport_fn;
    use sdm_ureq::{
        BlockingClient, ClientConfig, InvalidInput, JobId, RetryPolicy, TransportError,
        TransportErrorKind,
    };

    use super::*;

    fn job_id() -> JobId {
        JobId::parse("9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b").unwrap()
    }

    /// The error the client makes of a response with this status and body.
    fn api_error(status: u16, body: &str) -> CliError {
        let response = Response::builder()
            .status(status)
            .body(body.as_bytes().to_vec())
            .unwrap();
        CliError::Api(GetJob::new(job_id()).parse(&response).unwrap_err())
    }

    /// The error the client makes of a transport failing this way.
    fn transport_error(kind: TransportErrorKind) -> CliError {
        let config = ClientConfig::new("http://127.0.0.1:9/")
            .unwrap()
            .with_token("t")
            .with_retry_policy(RetryPolicy::none());
        let failing = move |_: Request<Vec<u8>>| -> Result<Response<Vec<u8>>, TransportError> {
            Err(TransportError::from_kind(kind))
        };
        let client = BlockingClient::with_transport(config, transport_fn(failing));
        CliError::Api(client.get_job(&job_id()).unwrap_err())
    }

    #[test]
    fn http_statuses() {
        let detail = r#"{"detail": "x"}"#;
        assert_eq!(exit_code(&api_error(401, detail)), REFUSED);
        assert_eq!(exit_code(&api_error(403, detail)), REFUSED);
        assert_eq!(exit_code(&api_error(404, detail)), NOT_FOUND);
        assert_eq!(exit_code(&api_error(429, detail)), UNAVAILABLE);
        for status in [502, 503, 504] {
            assert_eq!(
                exit_code(&api_error(status, "<html>")),
                UNAVAILABLE,
                "{status}"
            );
        }
        for status in [400, 405, 500, 501, 418] {
            assert_eq!(exit_code(&api_error(status, detail)), FAILURE, "{status}");
        }
    }

    #[test]
    fn transport_failures() {
        assert_eq!(
            exit_code(&transport_error(TransportErrorKind::Connect)),
            UNAVAILABLE
        );
        assert_eq!(
            exit_code(&transport_error(TransportErrorKind::Timeout)),
            UNAVAILABLE
        );
        assert_eq!(
            exit_code(&transport_error(TransportErrorKind::Io)),
            UNAVAILABLE
        );
        assert_eq!(
            exit_code(&transport_error(TransportErrorKind::Other)),
            FAILURE
        );
    }

    #[test]
    fn local_failures() {
        assert_eq!(exit_code(&CliError::usage("no API token")), USAGE);
        let invalid = sdm_ureq::Error::InvalidInput(InvalidInput::new("page", "from 1"));
        assert_eq!(exit_code(&CliError::Api(invalid)), USAGE);
        let pipe = io::Error::from(io::ErrorKind::BrokenPipe);
        assert_eq!(exit_code(&CliError::Stdout(pipe)), SUCCESS);
        let full = io::Error::other("no space left on device");
        assert_eq!(exit_code(&CliError::Stdout(full)), FAILURE);
        let denied = io::Error::from(io::ErrorKind::PermissionDenied);
        assert_eq!(
            exit_code(&CliError::io("writing out.json", denied)),
            FAILURE
        );
    }

    #[test]
    fn plain_http_off_loopback_is_a_usage_error_before_any_request() {
        let config = ClientConfig::new("http://example.invalid/api/v1/")
            .unwrap()
            .with_token("t");
        let never = |_: Request<Vec<u8>>| -> Result<Response<Vec<u8>>, TransportError> {
            panic!("no request may be sent in clear text off loopback")
        };
        let error = BlockingClient::with_transport(config.clone(), transport_fn(never))
            .get_job(&job_id())
            .unwrap_err();
        assert_eq!(
            error.setting(),
            Some(sdm_ureq::Setting::AllowHttp),
            "{error}"
        );
        assert_eq!(exit_code(&CliError::Api(error)), USAGE);

        let sent = std::sync::atomic::AtomicBool::new(false);
        let once = |_: Request<Vec<u8>>| -> Result<Response<Vec<u8>>, TransportError> {
            sent.store(true, std::sync::atomic::Ordering::Relaxed);
            Err(TransportError::from_kind(TransportErrorKind::Connect))
        };
        let allowed = config
            .with_allow_http(true)
            .with_retry_policy(RetryPolicy::none());
        let error = BlockingClient::with_transport(allowed, transport_fn(once))
            .get_job(&job_id())
            .unwrap_err();
        assert!(
            sent.load(std::sync::atomic::Ordering::Relaxed),
            "allowed, the request is sent"
        );
        assert_eq!(exit_code(&CliError::Api(error)), UNAVAILABLE);
    }

    #[test]
    fn an_incomplete_listing_is_a_failure_even_after_a_404() {
        use sdm_ureq::{JobQuery, PagerOptions};

        // Page 1 of 1000 jobs, then a 404 for page 2, twice.
        let answer = |request: Request<Vec<u8>>| -> Result<Response<Vec<u8>>, TransportError> {
            let page2 = request.uri().query().is_some_and(|q| q.contains("page=2"));
            let body = if page2 {
                r#"{"detail": "Invalid page."}"#.to_owned()
            } else {
                let job = r#"{"id": "9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b", "status": "done"}"#;
                format!(r#"{{"count": 1000, "next": null, "results": [{job}]}}"#)
            };
            let status = if page2 { 404 } else { 200 };
            Ok(Response::builder()
                .status(status)
                .body(body.into_bytes())
                .unwrap())
        };
        let config = ClientConfig::new("http://127.0.0.1:9/")
            .unwrap()
            .with_token("t")
            .with_rate_limit(None);
        let client = BlockingClient::with_transport(config, transport_fn(answer));
        let options = PagerOptions::default().concurrency(1);
        let error = client
            .jobs(&JobQuery::new(), options)
            .find_map(Result::err)
            .expect("the walk fails");
        assert!(matches!(error, Error::Incomplete(_)), "{error:?}");
        assert!(error.to_string().contains("1 of 1000 jobs"), "{error}");
        assert_eq!(exit_code(&CliError::Api(error)), FAILURE);
    }

    #[test]
    fn wait_outcomes() {
        let code = |outcome| exit_code(&CliError::job(outcome, "x"));
        assert_eq!(code(JobOutcome::Failed), JOB_FAILED);
        assert_eq!(code(JobOutcome::NeedsAction), JOB_PENDING);
        assert_eq!(code(JobOutcome::TimedOut), TIMED_OUT);
        assert_eq!(code(JobOutcome::Unexpected), FAILURE);
    }
}
