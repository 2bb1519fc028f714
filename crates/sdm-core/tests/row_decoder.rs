//! The streaming row decoder against `serde_json` itself: same rows whatever the chunking,
//! errors (never fewer rows) for truncated or malformed bodies, no panic on any input.

use proptest::prelude::*;
use sdm_core::RowError;
use sdm_core::proto::RowDecoder;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// Decodes `body` fed in pieces at `cuts`, returning each row's raw text, or the first error.
fn decode_raw(body: &[u8], cuts: &[usize], max_row: usize) -> Result<Vec<String>, RowError> {
    let mut decoder = RowDecoder::new(max_row);
    let mut rows = Vec::new();
    let mut start = 0;
    let mut points: Vec<usize> = cuts.iter().map(|&c| c.min(body.len())).collect();
    points.sort_unstable();
    points.push(body.len());
    for end in points {
        if end < start {
            continue;
        }
        decoder.push(&body[start..end]);
        start = end;
        while let Some(row) = decoder.next_raw()? {
            rows.push(row.to_owned());
        }
    }
    decoder.finish()?;
    Ok(rows)
}

fn decode_maps(body: &[u8], chunk: usize) -> Result<Vec<Map<String, Value>>, RowError> {
    let mut decoder = RowDecoder::default();
    let mut rows = Vec::new();
    for piece in body.chunks(chunk.max(1)) {
        decoder.push(piece);
        while let Some(row) = decoder.next_typed::<Map<String, Value>>()? {
            rows.push(row);
        }
    }
    decoder.finish()?;
    Ok(rows)
}

/// What serde_json makes of the whole body at once.
fn reference(body: &[u8]) -> Option<Vec<String>> {
    let rows: Vec<&RawValue> = serde_json::from_slice(body).ok()?;
    rows.iter()
        .all(|r| r.get().starts_with('{'))
        .then(|| rows.iter().map(|r| r.get().to_owned()).collect())
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1e12f64..1e12).prop_map(Value::from),
        "[a-z0-9 ,;\"\\\\\n\r\téü中文🙂'-]{0,24}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-zé]{1,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn row() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::vec(("[a-zA-Z_é ]{1,10}", json_value()), 0..8)
        .prop_map(|pairs| pairs.into_iter().collect())
}

/// Serializes rows as an array, compact or pretty.
fn body_of(rows: &[Map<String, Value>], pretty: bool) -> Vec<u8> {
    if pretty {
        serde_json::to_vec_pretty(rows).unwrap()
    } else {
        serde_json::to_vec(rows).unwrap()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn any_chunking_gives_serde_jsons_rows(
        rows in prop::collection::vec(row(), 0..12),
        pretty in any::<bool>(),
        cuts in prop::collection::vec(0usize..4096, 0..40),
    ) {
        let body = body_of(&rows, pretty);
        let expected = reference(&body).expect("serde_json reads its own output");
        let decoded = decode_raw(&body, &cuts, usize::MAX).unwrap();
        prop_assert_eq!(&decoded, &expected);
        prop_assert_eq!(decoded.len(), rows.len());
        let maps = decode_maps(&body, 7).unwrap();
        let whole: Vec<Map<String, Value>> = serde_json::from_slice(&body).unwrap();
        prop_assert_eq!(maps, whole);
    }

    #[test]
    fn mutated_bodies_agree_with_serde_json(
        rows in prop::collection::vec(row(), 1..6),
        position in any::<prop::sample::Index>(),
        byte in prop_oneof![Just(b'"'), Just(b','), Just(b'}'), Just(b']'), Just(b'{'), Just(b' '), Just(b'x'), Just(b'\\'), any::<u8>()],
        replace in any::<bool>(),
        chunk in 1usize..64,
    ) {
        let mut body = body_of(&rows, false);
        let at = position.index(body.len());
        if replace { body[at] = byte } else { body.insert(at, byte) }
        let cuts: Vec<usize> = (chunk..body.len()).step_by(chunk).collect();
        let decoded = decode_raw(&body, &cuts, usize::MAX);
        match reference(&body) {
            Some(expected) => prop_assert_eq!(decoded.unwrap(), expected),
            None => prop_assert!(decoded.is_err(), "serde_json refuses {:?} but the decoder accepted it", String::from_utf8_lossy(&body)),
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..512), cuts in prop::collection::vec(0usize..512, 0..8)) {
        let _ = decode_raw(&body, &cuts, 64);
        let _ = decode_maps(&body, 3);
    }
}

#[test]
fn every_truncation_of_a_body_is_an_error() {
    let body = br#" [ {"sku": "A-1", "name": "Caf\u00e9 \"Dupont\"", "n": [1, {"x": null}]} , {"ean": "123,456\n7"}, {} ] "#;
    let full = decode_raw(body, &[], usize::MAX).unwrap();
    assert_eq!(full.len(), 3);
    let end_of_array = body.iter().rposition(|&b| b == b']').unwrap();
    for cut in 0..=end_of_array {
        let truncated = &body[..cut];
        for chunk in [1, 5, body.len()] {
            let cuts: Vec<usize> = (chunk..cut).step_by(chunk).collect();
            let result = decode_raw(truncated, &cuts, usize::MAX);
            assert!(
                result.is_err(),
                "cut at {cut} (chunk {chunk}) gave {result:?}"
            );
        }
    }
    // Past the `]`, only whitespace remains: the body is complete.
    assert_eq!(
        decode_raw(&body[..=end_of_array], &[], usize::MAX).unwrap(),
        full
    );
}

#[test]
fn bodies_that_are_not_arrays_of_objects_are_errors() {
    for (body, message) in [
        (
            &b""[..],
            "invalid output data at byte 0 (row 0): the body is empty, expected a JSON array",
        ),
        (
            b"   ",
            "invalid output data at byte 3 (row 0): the body is empty, expected a JSON array",
        ),
        (
            b"{\"a\": 1}",
            "invalid output data at byte 0 (row 0): expected a JSON array of rows, found `{`",
        ),
        (
            b"[1, 2]",
            "invalid output data at byte 1 (row 0): expected a row object, found `1`",
        ),
        (
            b"[{\"a\": 1}, \"x\"]",
            "invalid output data at byte 11 (row 1): expected a row object, found `\"`",
        ),
        (
            b"[{\"a\": 1}] []",
            "invalid output data at byte 11 (row 1): unexpected `[` after the end of the array",
        ),
        (
            b"[{\"a\": 1} {\"b\": 2}]",
            "invalid output data at byte 10 (row 1): expected `,` or `]` after a row, found `{`",
        ),
        (
            b"[{\"a\": 1},]",
            "invalid output data at byte 10 (row 1): expected a row object, found `]`",
        ),
        (
            b"[{\"a\" 1}]",
            "invalid output data at byte 6 (row 0): expected `:` at line 1 column 6",
        ),
        (
            b"<html>502</html>",
            "invalid output data at byte 0 (row 0): expected a JSON array of rows, found `<`",
        ),
        (
            b"[{\"a\": 1}",
            "the output ended after 9 bytes, inside the JSON array (1 complete rows): the body was cut short",
        ),
    ] {
        let error = decode_raw(body, &[], usize::MAX).unwrap_err();
        assert_eq!(
            error.to_string(),
            message,
            "{}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn rows_over_the_limit_are_refused_whether_whole_or_in_pieces() {
    let body = br#"[{"a": "short"}, {"b": "a much longer row than the limit allows"}]"#;
    for cuts in [vec![], (1..body.len()).collect::<Vec<_>>()] {
        let error = decode_raw(body, &cuts, 20).unwrap_err();
        assert!(
            matches!(error, RowError::RowTooLarge { row: 1, limit: 20 }),
            "{error:?}"
        );
    }
    // Memory stays bounded: a row that never ends is refused once it passes the limit.
    let mut decoder = RowDecoder::new(1024);
    decoder.push(b"[{\"a\": \"");
    let mut refused = false;
    for _ in 0..100 {
        decoder.push(&[b'x'; 100]);
        if decoder.next_raw().is_err() {
            refused = true;
            break;
        }
    }
    assert!(refused, "an endless row must be refused");
}

#[test]
fn typed_rows_name_the_row_in_errors() {
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Product {
        sku: String,
        price: Option<f64>,
    }
    let body = br#"[{"sku": "A", "price": 1.5}, {"sku": "B"}, {"sku": 3}]"#;
    let mut decoder = RowDecoder::default();
    decoder.push(body);
    assert_eq!(decoder.next_typed::<Product>().unwrap().unwrap().sku, "A");
    assert!(
        decoder
            .next_typed::<Product>()
            .unwrap()
            .unwrap()
            .price
            .is_none()
    );
    let error = decoder.next_typed::<Product>().unwrap_err();
    assert_eq!(
        error.to_string(),
        "row 2 does not match the expected type: invalid type: integer `3`, expected a string at line 1 column 9"
    );
}

#[test]
fn invalid_utf8_inside_a_row_is_an_error() {
    let body = b"[{\"a\": \"caf\xe9\"}]";
    assert!(reference(body).is_none());
    assert!(decode_raw(body, &[], usize::MAX).is_err());
    assert!(decode_raw(body, &[5, 9, 10], usize::MAX).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Compacting pretty-printed JSON gives exactly serde_json's compact form: whitespace between
    /// tokens goes, strings and numbers stay byte for byte.
    #[test]
    fn compacting_pretty_json_gives_the_compact_form(rows in prop::collection::vec(row(), 1..4)) {
        for row in rows {
            let mut out = Vec::new();
            sdm_core::proto::write_compact(&serde_json::to_string_pretty(&row).unwrap(), &mut out);
            prop_assert_eq!(String::from_utf8(out).unwrap(), serde_json::to_string(&row).unwrap());
            let mut again = Vec::new();
            let compact = serde_json::to_string(&row).unwrap();
            sdm_core::proto::write_compact(&compact, &mut again);
            prop_assert_eq!(String::from_utf8(again).unwrap(), compact);
        }
    }
}
