//! Deterministic draws without a `rand` crate: splitmix64, a well-mixing hash of a counter, so
//! the same seed gives the same world, ids and rows on every platform.

/// The counter's step (the golden ratio in 64 bits).
const GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// The splitmix64 finalizer: a bijective hash of 64 bits.
fn hash(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A seed derived from a parent seed and a label (job index, row number, ...).
pub(crate) fn mix(seed: u64, label: u64) -> u64 {
    hash(seed ^ hash(label.wrapping_add(GAMMA)))
}

/// A seed derived from a parent seed and a string label (its FNV-1a hash, mixed).
pub(crate) fn mix_str(seed: u64, label: &str) -> u64 {
    let fnv = label.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    mix(seed, fnv)
}

/// Draws from a seed: the hash of a counter that starts there.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    /// Draws fully determined by `seed`.
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 bits.
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GAMMA);
        hash(self.0)
    }

    /// A number in `0..n` (`n > 0`; the tiny modulo bias does not matter here).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// A number in `lo..=hi`.
    pub(crate) fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `percent`/100.
    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// One element of a non-empty slice.
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// A lowercase UUID (version 4, RFC 4122 variant) made of 122 drawn bits.
    pub(crate) fn uuid_v4(&mut self) -> String {
        let hi = (self.next() & !0xf000) | 0x4000;
        let lo = (self.next() & !(0b11 << 62)) | (0b10 << 62);
        format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            hi >> 32,
            (hi >> 16) & 0xffff,
            hi & 0xffff,
            lo >> 48,
            lo & 0xffff_ffff_ffff
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_deterministic_and_v4_shaped() {
        assert_eq!(Rng::new(7).uuid_v4(), Rng::new(7).uuid_v4());
        assert_ne!(Rng::new(7).uuid_v4(), Rng::new(8).uuid_v4());
        assert_ne!(mix(1, 2), mix(2, 1));
        assert_ne!(mix_str(1, "a"), mix_str(1, "b"));
        let mut r = Rng::new(42);
        for _ in 0..100 {
            let id = r.uuid_v4();
            let parts: Vec<&str> = id.split('-').collect();
            let lengths: Vec<usize> = parts.iter().map(|p| p.len()).collect();
            assert_eq!(lengths, [8, 4, 4, 4, 12], "{id}");
            assert!(parts[2].starts_with('4'), "{id}");
            assert!(matches!(&parts[3][..1], "8" | "9" | "a" | "b"), "{id}");
            assert!(
                id.bytes()
                    .all(|c| c == b'-' || matches!(c, b'0'..=b'9' | b'a'..=b'f'))
            );
        }
    }
}
