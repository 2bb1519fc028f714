//! Every response parser, fed arbitrary bytes and arbitrary JSON under any status, returns a
//! value or a typed error: never a panic, and every error prints.

use proptest::prelude::*;
use sdm_core::ops::{CreateToken, GetJob, GetJobData, ListJobs, Operation};
use sdm_core::{Error, JobId, JobQuery, OutputFormatId, Password, RetryAfter};
use serde_json::Value;

const STATUSES: [u16; 10] = [200, 201, 301, 400, 401, 403, 404, 429, 500, 503];

fn response(status: u16, retry_after: &str, body: Vec<u8>) -> http::Response<Vec<u8>> {
    let mut builder = http::Response::builder().status(status);
    if let Ok(value) = http::HeaderValue::from_str(retry_after) {
        builder = builder.header("retry-after", value);
    }
    builder.body(body).unwrap()
}

fn exercise(error: &Error) {
    let _ = error.to_string();
    let _ = format!("{error:?}");
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let _ = cause.to_string();
        source = cause.source();
    }
}

/// Runs every parser on the response; successes on error statuses would be a bug.
fn parse_all(response: &http::Response<Vec<u8>>) {
    let id = JobId::parse("9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b").unwrap();
    let results: Vec<Result<(), Error>> = vec![
        GetJob::new(id.clone()).parse(response).map(drop),
        ListJobs::new(JobQuery::new()).parse(response).map(drop),
        CreateToken::new("a@b.c", Password::new("pw"), "t")
            .parse(response)
            .map(drop),
        GetJobData::new(id, OutputFormatId(1))
            .parse(response)
            .map(drop),
    ];
    for result in results {
        match result {
            Ok(()) => assert!(
                response.status().is_success(),
                "an error status parsed as success"
            ),
            Err(error) => exercise(&error),
        }
    }
}

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        prop_oneof![
            Just("id".to_owned()),
            Just("9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b".to_owned()),
            Just("done".to_owned()),
            Just("2022-04-14T08:48:37.109159Z".to_owned()),
            ".{0,12}"
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("id".to_owned()),
                    Just("status".to_owned()),
                    Just("count".to_owned()),
                    Just("results".to_owned()),
                    Just("next".to_owned()),
                    Just("step".to_owned()),
                    Just("project".to_owned()),
                    Just("creation_date".to_owned()),
                    Just("detail".to_owned()),
                    Just("key".to_owned()),
                    "[a-z_]{1,8}"
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes(status in prop::sample::select(&STATUSES[..]), retry_after in ".{0,30}", body in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = RetryAfter::parse(&retry_after);
        parse_all(&response(status, &retry_after, body));
    }

    #[test]
    fn arbitrary_json(status in prop::sample::select(&STATUSES[..]), value in json()) {
        parse_all(&response(status, "", serde_json::to_vec(&value).unwrap()));
    }
}
