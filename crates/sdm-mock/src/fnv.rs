//! FNV-1a 64: the hash [`crate::ReceivedUpload`] records bodies with. Tests hash what they sent
//! the same way, to prove a body arrived byte for byte without the server keeping it.

/// The FNV-1a 64 offset basis (the hash of no bytes).
const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
/// The FNV 64 prime.
const PRIME: u64 = 0x0000_0100_0000_01b3;

/// The FNV-1a 64 hash of `bytes`, as [`Fnv1a64`] computes it incrementally.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hasher = Fnv1a64::new();
    hasher.update(bytes);
    hasher.finish()
}

/// An incremental FNV-1a 64 hasher: feeding a file in any pieces gives [`fnv1a64`] of the whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fnv1a64 {
    state: u64,
    len: u64,
}

impl Default for Fnv1a64 {
    fn default() -> Self {
        Self::new()
    }
}

impl Fnv1a64 {
    /// A hasher that has seen no bytes.
    pub fn new() -> Self {
        Self {
            state: OFFSET_BASIS,
            len: 0,
        }
    }

    /// Feeds the next bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        let mut state = self.state;
        for &b in bytes {
            state = (state ^ u64::from(b)).wrapping_mul(PRIME);
        }
        self.state = state;
        self.len += bytes.len() as u64;
    }

    /// The hash of every byte fed so far (the hasher can go on being fed).
    pub fn finish(&self) -> u64 {
        self.state
    }

    /// How many bytes were fed.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether no byte was fed.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vectors_and_pieces() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
        let mut h = Fnv1a64::new();
        for piece in [&b"fo"[..], b"", b"oba", b"r"] {
            h.update(piece);
        }
        assert_eq!(h.finish(), fnv1a64(b"foobar"));
        assert_eq!(h.len(), 6);
        assert!(Fnv1a64::default().is_empty());
    }
}
