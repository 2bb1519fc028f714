//! The streaming row decoder on arbitrary bytes in arbitrary chunks: no panic, and whenever
//! serde_json reads the whole body as an array of objects, the decoder yields exactly its rows.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sdm_core::RowDecoder;
use serde_json::value::RawValue;

fuzz_target!(|data: &[u8]| {
    let [chunk, body @ ..] = data else { return };
    let chunk = usize::from(*chunk).max(1);
    let mut decoder = RowDecoder::new(1 << 20);
    let mut rows = Vec::new();
    let mut failed = false;
    'feed: for piece in body.chunks(chunk) {
        decoder.push(piece);
        loop {
            match decoder.next_raw() {
                Ok(Some(row)) => rows.push(row.to_owned()),
                Ok(None) => break,
                Err(error) => {
                    let _ = error.to_string();
                    failed = true;
                    break 'feed;
                }
            }
        }
    }
    if !failed && decoder.finish().is_err() {
        failed = true;
    }
    if let Ok(whole) = serde_json::from_slice::<Vec<&RawValue>>(body) {
        if whole.iter().all(|row| row.get().starts_with('{')) && body.len() < (1 << 20) {
            assert!(!failed, "serde_json reads this body but the decoder failed");
            let expected: Vec<&str> = whole.iter().map(|row| row.get()).collect();
            assert_eq!(rows, expected);
        }
    }
});
