//! Response bodies reshaped by faults: dripped slowly, led by a huge row, or cut in half.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::body::Body;
use bytes::{Bytes, BytesMut};
use http_body::{Body as HttpBody, Frame, SizeHint};
use http_body_util::BodyExt;
use tokio::time::Sleep;

/// Bodies longer than twice this are cut after this many bytes instead of at their middle, so
/// cutting never reads a large stream whole.
const CUT_CAP: usize = 512 * 1024;
/// The piece size of a huge row's long string.
const FILLER_PIECE: usize = 64 * 1024;
/// The huge row up to its long string value.
const HUGE_ROW_OPEN: &[u8] = b"{\"sku\":\"SKU-HUGE-ROW\",\"description\":\"";
/// The huge row after its long string value.
const HUGE_ROW_CLOSE: &[u8] = b"\"}";
/// The text the long string repeats.
const FILLER_TEXT: &[u8] = b"An unusually long product description, repeated. ";

/// The first half of a body (or its first [`CUT_CAP`] bytes if it is longer than twice that),
/// reading no more than needed; errors of the body end the reading early.
pub(super) async fn first_half(mut body: Body) -> Bytes {
    let mut read = BytesMut::new();
    let mut complete = false;
    while read.len() < 2 * CUT_CAP {
        match body.frame().await {
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    read.extend_from_slice(&data);
                }
            }
            Some(Err(_)) | None => {
                complete = true;
                break;
            }
        }
    }
    let cut = if complete { read.len() / 2 } else { CUT_CAP };
    read.truncate(cut);
    read.freeze()
}

/// A body re-sent in pieces of at most `piece` bytes, with a pause before each piece but the
/// first; same bytes and same size hint as the original.
pub(super) struct SlowDrip {
    inner: Body,
    piece: usize,
    pause: Duration,
    pending: Bytes,
    sleep: Option<Pin<Box<Sleep>>>,
    started: bool,
}

impl SlowDrip {
    /// Drips `inner` in pieces of `piece` bytes (at least 1) with `pause` between pieces.
    pub(super) fn new(inner: Body, piece: usize, pause: Duration) -> Self {
        Self {
            inner,
            piece: piece.max(1),
            pause,
            pending: Bytes::new(),
            sleep: None,
            started: false,
        }
    }
}

impl HttpBody for SlowDrip {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        loop {
            if !this.pending.is_empty() {
                if this.started && !this.pause.is_zero() {
                    let pause = this.pause;
                    let sleep = this
                        .sleep
                        .get_or_insert_with(|| Box::pin(tokio::time::sleep(pause)));
                    ready!(sleep.as_mut().poll(cx));
                    this.sleep = None;
                }
                this.started = true;
                let n = this.piece.min(this.pending.len());
                return Poll::Ready(Some(Ok(Frame::data(this.pending.split_to(n)))));
            }
            match ready!(Pin::new(&mut this.inner).poll_frame(cx)) {
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) => this.pending = data,
                    Err(frame) => return Poll::Ready(Some(Ok(frame))),
                },
                other => return Poll::Ready(other),
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.pending.is_empty() && self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        let inner = self.inner.size_hint();
        let pending = self.pending.len() as u64;
        let mut hint = SizeHint::new();
        hint.set_lower(inner.lower() + pending);
        if let Some(upper) = inner.upper() {
            hint.set_upper(upper + pending);
        }
        hint
    }
}

/// Where a [`HugeRow`] body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// `[` and the huge row's start are next.
    Open,
    /// Pieces of the long string are next.
    Filler,
    /// The huge row's end is next.
    Close,
    /// The original array's `[` is still to be dropped.
    StripBracket,
    /// The next original byte decides whether a `,` is needed.
    Separate,
    /// The rest of the original body passes through.
    Pass,
}

/// A JSON array body with one huge row put in front of the original rows.
pub(super) struct HugeRow {
    inner: Body,
    stage: Stage,
    filler: Bytes,
    left: usize,
}

impl HugeRow {
    /// `inner` (a JSON array) led by a row whose JSON text is about `bytes` long.
    pub(super) fn new(inner: Body, bytes: usize) -> Self {
        let filler: Vec<u8> = FILLER_TEXT
            .iter()
            .copied()
            .cycle()
            .take(FILLER_PIECE)
            .collect();
        Self {
            inner,
            stage: Stage::Open,
            filler: Bytes::from(filler),
            left: bytes.saturating_sub(HUGE_ROW_OPEN.len() + HUGE_ROW_CLOSE.len()),
        }
    }
}

impl HttpBody for HugeRow {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        let data = |bytes: Bytes| Poll::Ready(Some(Ok(Frame::data(bytes))));
        loop {
            match this.stage {
                Stage::Open => {
                    this.stage = Stage::Filler;
                    let mut open = b"[".to_vec();
                    open.extend_from_slice(HUGE_ROW_OPEN);
                    return data(Bytes::from(open));
                }
                Stage::Filler if this.left == 0 => this.stage = Stage::Close,
                Stage::Filler => {
                    let n = this.left.min(this.filler.len());
                    this.left -= n;
                    return data(this.filler.slice(..n));
                }
                Stage::Close => {
                    this.stage = Stage::StripBracket;
                    return data(Bytes::from_static(HUGE_ROW_CLOSE));
                }
                Stage::StripBracket | Stage::Separate | Stage::Pass => {
                    let frame = match ready!(Pin::new(&mut this.inner).poll_frame(cx)) {
                        Some(Ok(frame)) => frame,
                        other => return Poll::Ready(other),
                    };
                    let mut bytes = match frame.into_data() {
                        Ok(bytes) => bytes,
                        Err(frame) => return Poll::Ready(Some(Ok(frame))),
                    };
                    if this.stage == Stage::StripBracket && !bytes.is_empty() {
                        if bytes[0] == b'[' {
                            bytes = bytes.slice(1..);
                        }
                        this.stage = Stage::Separate;
                    }
                    if this.stage == Stage::Separate && !bytes.is_empty() {
                        this.stage = Stage::Pass;
                        if bytes[0] != b']' {
                            let mut joined = BytesMut::with_capacity(bytes.len() + 1);
                            joined.extend_from_slice(b",");
                            joined.extend_from_slice(&bytes);
                            bytes = joined.freeze();
                        }
                    }
                    if !bytes.is_empty() {
                        return data(bytes);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    async fn collect(
        body: impl HttpBody<Data = Bytes, Error = axum::Error>,
    ) -> (Vec<usize>, Vec<u8>) {
        let mut body = std::pin::pin!(body);
        let mut sizes = Vec::new();
        let mut all = Vec::new();
        while let Some(frame) = body.frame().await {
            let data = frame.unwrap().into_data().unwrap();
            sizes.push(data.len());
            all.extend_from_slice(&data);
        }
        (sizes, all)
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn slow_drip_keeps_the_bytes_and_size() {
        runtime().block_on(async {
            let body = SlowDrip::new(Body::from("0123456789"), 4, Duration::from_millis(1));
            assert_eq!(body.size_hint().exact(), Some(10));
            let (sizes, all) = collect(body).await;
            assert_eq!(sizes, [4, 4, 2]);
            assert_eq!(all, b"0123456789");
        });
    }

    #[test]
    fn huge_row_leads_the_original_rows() {
        runtime().block_on(async {
            for (original, rows) in [("[]", 1), ("[{\"a\":1},{\"b\":2}]", 3)] {
                let (_, all) = collect(HugeRow::new(Body::from(original), 200_000)).await;
                let value: Value = serde_json::from_slice(&all).unwrap();
                let array = value.as_array().unwrap();
                assert_eq!(array.len(), rows, "{original}");
                let huge = serde_json::to_string(&array[0]).unwrap();
                assert!((199_000..=200_000).contains(&huge.len()), "{}", huge.len());
                assert_eq!(
                    &array[1..],
                    &serde_json::from_str::<Value>(original)
                        .unwrap()
                        .as_array()
                        .unwrap()[..]
                );
            }
        });
    }

    #[test]
    fn first_half_cuts_in_the_middle_or_at_the_cap() {
        runtime().block_on(async {
            assert_eq!(first_half(Body::from("0123456789")).await, "01234");
            let big = vec![b'x'; 3 * CUT_CAP];
            assert_eq!(first_half(Body::from(big)).await.len(), CUT_CAP);
        });
    }
}
