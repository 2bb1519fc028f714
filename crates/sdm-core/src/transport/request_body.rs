//! Request bodies: bytes in memory, or sources streamed from disk, always of a known length.
//!
//! A body may have to be sent more than once (a retry after a 429), so a streamed part is a
//! [`BodySource`] that is opened afresh for every attempt rather than a reader consumed once.
//! Its length is fixed when the body is made, so every transport can send a `Content-Length`
//! (Django deployments commonly refuse chunked request bodies), and a source that yields more
//! or fewer bytes than announced fails the request instead of sending a body that lies.

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;

/// Something that can be read from the start as many times as needed: a file, a generated
/// payload. Each call to [`open`](Self::open) starts a new pass over the same bytes.
pub trait BodySource: fmt::Debug + Send + Sync {
    /// A reader over the whole content, from the first byte.
    fn open(&self) -> io::Result<Box<dyn Read + Send>>;
}

/// A file read from disk at each attempt, in constant memory.
#[derive(Debug)]
pub struct FileSource {
    path: PathBuf,
}

impl BodySource for FileSource {
    fn open(&self) -> io::Result<Box<dyn Read + Send>> {
        Ok(Box::new(File::open(&self.path)?))
    }
}

/// One piece of a body.
#[derive(Clone, Debug)]
enum Segment {
    Bytes(Bytes),
    Source {
        len: u64,
        source: Arc<dyn BodySource>,
    },
}

/// The body of a request: a sequence of in-memory bytes and re-openable sources, with a length
/// known before anything is sent. Cheap to clone (bytes are shared, sources are behind `Arc`).
///
/// ```
/// use sdm_core::transport::RequestBody;
///
/// let body = RequestBody::from_bytes("--boundary\r\n")
///     .then(RequestBody::from_bytes("a,b\r\n1,2\r\n"))
///     .then(RequestBody::from_bytes("\r\n--boundary--\r\n"));
/// assert_eq!(body.len(), 38);
/// assert_eq!(body.to_vec()?, b"--boundary\r\na,b\r\n1,2\r\n\r\n--boundary--\r\n");
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct RequestBody {
    segments: Vec<Segment>,
    len: u64,
}

impl RequestBody {
    /// No body (GET requests).
    pub fn empty() -> Self {
        Self::default()
    }

    /// A body already in memory.
    pub fn from_bytes(bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        if bytes.is_empty() {
            return Self::empty();
        }
        Self {
            len: bytes.len() as u64,
            segments: vec![Segment::Bytes(bytes)],
        }
    }

    /// A body of exactly `len` bytes read from `source` at each attempt.
    pub fn from_source(len: u64, source: impl BodySource + 'static) -> Self {
        if len == 0 {
            return Self::empty();
        }
        Self {
            len,
            segments: vec![Segment::Source {
                len,
                source: Arc::new(source),
            }],
        }
    }

    /// The file at `path`, streamed from disk; its length is its size now. If the file
    /// changes size before it is sent, the request fails rather than send a wrong length.
    pub fn from_file(path: impl AsRef<Path>) -> io::Result<Self> {
        let path = path.as_ref();
        let metadata = std::fs::metadata(path)?;
        if !metadata.is_file() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{} is not a regular file", path.display()),
            ));
        }
        Ok(Self::from_source(
            metadata.len(),
            FileSource {
                path: path.to_owned(),
            },
        ))
    }

    /// This body followed by `next` (how a multipart envelope frames a file).
    pub fn then(mut self, next: RequestBody) -> Self {
        self.len += next.len;
        self.segments.extend(next.segments);
        self
    }

    /// The length in bytes: what `Content-Length` says.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True for an empty body.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The whole body when it is in memory in one piece (no copy), `None` when it streams.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self.segments.as_slice() {
            [] => Some(&[]),
            [Segment::Bytes(bytes)] => Some(bytes),
            _ => None,
        }
    }

    /// True when part of the body is read from a source as it is sent.
    pub fn is_streamed(&self) -> bool {
        self.segments
            .iter()
            .any(|segment| matches!(segment, Segment::Source { .. }))
    }

    /// A reader over the whole body from the start, opening each source afresh. It fails with
    /// an error if a source yields more or fewer bytes than its announced length.
    pub fn reader(&self) -> BodyReader {
        BodyReader {
            segments: self.segments.clone().into_iter(),
            current: None,
        }
    }

    /// The whole body in memory (tests, small bodies; transports should stream [`reader`]).
    ///
    /// [`reader`]: Self::reader
    pub fn to_vec(&self) -> io::Result<Vec<u8>> {
        if let Some(bytes) = self.as_bytes() {
            return Ok(bytes.to_vec());
        }
        let mut out = Vec::with_capacity(usize::try_from(self.len).unwrap_or(0));
        self.reader().read_to_end(&mut out)?;
        Ok(out)
    }
}

impl fmt::Debug for RequestBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestBody")
            .field("len", &self.len)
            .field("streamed", &self.is_streamed())
            .finish()
    }
}

impl From<Vec<u8>> for RequestBody {
    fn from(bytes: Vec<u8>) -> Self {
        Self::from_bytes(bytes)
    }
}

impl From<Bytes> for RequestBody {
    fn from(bytes: Bytes) -> Self {
        Self::from_bytes(bytes)
    }
}

/// Reads a [`RequestBody`] from the start: a blocking [`Read`], and an iterator of chunks of at
/// most 64 KiB for async transports that take a stream.
pub struct BodyReader {
    segments: std::vec::IntoIter<Segment>,
    current: Option<Current>,
}

enum Current {
    Bytes(Bytes),
    Source {
        reader: Box<dyn Read + Send>,
        remaining: u64,
    },
}

impl Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            let current = match &mut self.current {
                Some(current) => current,
                None => match self.segments.next() {
                    None => return Ok(0),
                    Some(Segment::Bytes(bytes)) => self.current.insert(Current::Bytes(bytes)),
                    Some(Segment::Source { len, source }) => self.current.insert(Current::Source {
                        reader: source.open()?,
                        remaining: len,
                    }),
                },
            };
            match current {
                Current::Bytes(bytes) => {
                    if bytes.is_empty() {
                        self.current = None;
                        continue;
                    }
                    let n = bytes.len().min(buf.len());
                    buf[..n].copy_from_slice(&bytes.split_to(n));
                    return Ok(n);
                }
                Current::Source { reader, remaining } => {
                    if *remaining == 0 {
                        // The announced length is sent; the source must be at its end too.
                        let mut probe = [0u8; 1];
                        if read_retrying(reader, &mut probe)? != 0 {
                            return Err(length_changed("longer"));
                        }
                        self.current = None;
                        continue;
                    }
                    let room = usize::try_from(*remaining)
                        .unwrap_or(usize::MAX)
                        .min(buf.len());
                    let n = read_retrying(reader, &mut buf[..room])?;
                    if n == 0 {
                        return Err(length_changed("shorter"));
                    }
                    *remaining -= n as u64;
                    return Ok(n);
                }
            }
        }
    }
}

impl Iterator for BodyReader {
    type Item = io::Result<Bytes>;

    fn next(&mut self) -> Option<Self::Item> {
        // In-memory segments go out whole, without a copy.
        if self.current.is_none()
            && let Some(Segment::Bytes(_)) = self.segments.as_slice().first()
            && let Some(Segment::Bytes(bytes)) = self.segments.next()
        {
            return Some(Ok(bytes));
        }
        let mut chunk = vec![0u8; CHUNK];
        match self.read(&mut chunk) {
            Ok(0) => None,
            Ok(n) => {
                chunk.truncate(n);
                Some(Ok(Bytes::from(chunk)))
            }
            Err(error) => Some(Err(error)),
        }
    }
}

impl fmt::Debug for BodyReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BodyReader")
    }
}

/// The size of the chunks a streamed source is read in.
const CHUNK: usize = 64 * 1024;

fn read_retrying(reader: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match reader.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

fn length_changed(how: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        format!(
            "a request body source is {how} than the length announced for it (did the file change?)"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Repeat {
        byte: u8,
        len: usize,
    }

    impl BodySource for Repeat {
        fn open(&self) -> io::Result<Box<dyn Read + Send>> {
            Ok(Box::new(io::Cursor::new(vec![self.byte; self.len])))
        }
    }

    #[test]
    fn segments_read_in_order_and_again() {
        let body = RequestBody::from_bytes("<")
            .then(RequestBody::from_source(
                200_000,
                Repeat {
                    byte: b'x',
                    len: 200_000,
                },
            ))
            .then(RequestBody::from_bytes(">"));
        assert_eq!(body.len(), 200_002);
        assert!(body.is_streamed());
        assert!(body.as_bytes().is_none());
        for _attempt in 0..2 {
            let all = body.to_vec().unwrap();
            assert_eq!(all.len(), 200_002);
            assert_eq!(all[0], b'<');
            assert_eq!(all[200_001], b'>');
            assert!(all[1..200_001].iter().all(|&b| b == b'x'));
            let chunks: Vec<Bytes> = body.reader().collect::<io::Result<_>>().unwrap();
            assert!(chunks.iter().all(|c| c.len() <= CHUNK && !c.is_empty()));
            assert_eq!(chunks.concat(), all);
        }
    }

    #[test]
    fn a_source_of_the_wrong_length_is_an_error() {
        for actual in [99, 101] {
            let body = RequestBody::from_source(
                100,
                Repeat {
                    byte: 1,
                    len: actual,
                },
            );
            let error = body.to_vec().unwrap_err();
            assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof, "{actual}");
        }
    }

    #[test]
    fn files_stream_from_disk_and_must_be_regular() {
        let dir = std::env::temp_dir().join(format!("sdm-core-body-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("rows.csv");
        std::fs::write(&path, "a;b\n1;2\n").unwrap();
        let body = RequestBody::from_file(&path).unwrap();
        assert_eq!(body.len(), 8);
        assert_eq!(body.to_vec().unwrap(), b"a;b\n1;2\n");
        std::fs::write(&path, "a;b\n1;2\n3;4\n").unwrap();
        assert!(
            body.to_vec().is_err(),
            "a file that grew is not sent with the old length"
        );
        assert!(RequestBody::from_file(&dir).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn empty_bodies() {
        assert!(RequestBody::empty().is_empty());
        assert_eq!(
            RequestBody::from_bytes(Vec::new()).as_bytes(),
            Some(&[][..])
        );
        assert_eq!(RequestBody::empty().reader().count(), 0);
    }
}
