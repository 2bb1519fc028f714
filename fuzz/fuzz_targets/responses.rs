//! Every response parser on arbitrary bytes: any status, any `Retry-After`, any body.
//! Nothing may panic; every failure must be a typed error whose Display works.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sdm_core::ops::{CreateToken, GetJob, GetJobData, ListJobs, Operation};
use sdm_core::{JobId, JobQuery, OutputFormatId, Password, RetryAfter};

const STATUSES: [u16; 12] = [200, 201, 204, 301, 400, 401, 403, 404, 429, 500, 502, 503];

fn response(status: u16, retry_after: &[u8], body: &[u8]) -> http::Response<Vec<u8>> {
    let mut builder = http::Response::builder().status(status);
    if let Ok(value) = http::HeaderValue::from_bytes(retry_after) {
        builder = builder.header("retry-after", value).header("location", "https://elsewhere.example/");
    }
    builder.body(body.to_vec()).expect("valid status")
}

fn check<T>(result: Result<T, sdm_core::Error>) {
    if let Err(error) = result {
        let _ = error.to_string();
        let _ = format!("{error:?}");
        let _ = error.status();
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            let _ = cause.to_string();
            source = cause.source();
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let [status, op, split, rest @ ..] = data else { return };
    let status = STATUSES[usize::from(*status) % STATUSES.len()];
    let split = usize::from(*split).min(rest.len()) / 4;
    let (retry_after, body) = rest.split_at(split);
    if let Ok(text) = std::str::from_utf8(retry_after) {
        let _ = RetryAfter::parse(text);
    }
    let response = response(status, retry_after, body);
    let id = JobId::parse("9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b").expect("valid id");
    match op % 4 {
        0 => check(GetJob::new(id).parse(&response)),
        1 => check(ListJobs::new(JobQuery::new()).parse(&response)),
        2 => check(CreateToken::new("a@b.c", Password::new("pw"), "fuzz").parse(&response)),
        _ => check(GetJobData::new(id, OutputFormatId(1)).parse(&response)),
    }
});
