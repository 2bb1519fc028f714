//! Row decoding throughput on a ~100 MB job output, against serde_json reading the same body
//! whole: raw rows (validated JSON text) vs `Vec<&RawValue>`, map rows vs `Vec<Map>`.
//!
//! The body comes from the fake server's row generator (real-looking product rows) and is fed to
//! the decoder in 64 KiB chunks, as a transport hands it over.

use std::hint::black_box;

use sdm_bench::{mb_per_s, median};
use sdm_core::proto::RowDecoder;
use sdm_mock::{JobSpec, MockServer, Status};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

const TARGET_BYTES: usize = 100_000_000;
const CHUNK: usize = 64 * 1024;

fn body() -> Vec<u8> {
    let server = MockServer::start();
    let id = server.add_job(JobSpec::new(Status::Done, std::time::Duration::ZERO).rows(600_000));
    let mut body = Vec::with_capacity(TARGET_BYTES + 1024);
    body.push(b'[');
    for row in server.job_rows(&id, 1).expect("a done job has rows") {
        if body.len() >= TARGET_BYTES {
            break;
        }
        if body.len() > 1 {
            body.push(b',');
        }
        serde_json::to_writer(&mut body, &row).expect("rows serialize");
    }
    body.push(b']');
    body
}

fn decode_raw(body: &[u8]) -> (usize, usize) {
    let mut decoder = RowDecoder::default();
    let (mut rows, mut bytes) = (0, 0);
    for chunk in body.chunks(CHUNK) {
        decoder.push(chunk);
        while let Some(row) = decoder.next_raw().expect("valid body") {
            rows += 1;
            bytes += black_box(row).len();
        }
    }
    decoder.finish().expect("complete body");
    (rows, bytes)
}

fn decode_maps(body: &[u8]) -> usize {
    let mut decoder = RowDecoder::default();
    let mut rows = 0;
    for chunk in body.chunks(CHUNK) {
        decoder.push(chunk);
        while let Some(row) = decoder
            .next_typed::<Map<String, Value>>()
            .expect("valid body")
        {
            rows += 1;
            black_box(row);
        }
    }
    decoder.finish().expect("complete body");
    rows
}

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(5);
    let body = body();
    let size = body.len();
    println!("body: {:.1} MB", size as f64 / 1e6);

    let (serde_raw, expected) = median(runs, || {
        let rows: Vec<&RawValue> = serde_json::from_slice(black_box(&body)).expect("valid body");
        rows.len()
    });
    let (ours_raw, (rows, _)) = median(runs, || decode_raw(black_box(&body)));
    assert_eq!(rows, expected, "the decoder found every row");
    let (serde_map, _) = median(runs.min(3), || {
        let rows: Vec<Map<String, Value>> =
            serde_json::from_slice(black_box(&body)).expect("valid body");
        rows.len()
    });
    let (ours_map, map_rows) = median(runs.min(3), || decode_maps(black_box(&body)));
    assert_eq!(map_rows, expected);

    let report = |name: &str,
                  ours: std::time::Duration,
                  baseline: std::time::Duration,
                  target: f64| {
        let ratio = baseline.as_secs_f64() / ours.as_secs_f64();
        println!(
            "{name:<10} ours {:>7.1} MB/s ({:>6.0} ms)  serde_json {:>7.1} MB/s ({:>6.0} ms)  ratio {ratio:.2} (target >= {target}) {}",
            mb_per_s(size, ours),
            ours.as_secs_f64() * 1e3,
            mb_per_s(size, baseline),
            baseline.as_secs_f64() * 1e3,
            if ratio >= target { "ok" } else { "MISSED" }
        );
    };
    println!(
        "rows: {rows}, median of {runs} runs (maps: {})",
        runs.min(3)
    );
    report("raw rows", ours_raw, serde_raw, 0.7);
    report("map rows", ours_map, serde_map, 0.9);
}
