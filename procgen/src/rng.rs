//! The only source of randomness: ChaCha8 (`rand_chacha`, pinned), keyed by the floor's
//! identity, one stream per generation attempt. Every draw is a `u32`; bounded draws use
//! Lemire's multiply-and-reject method, so the sequence never depends on `usize`, on
//! `rand`'s distribution code or on the platform.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};

pub(crate) struct FloorRng(ChaCha8Rng);

impl FloorRng {
    /// Key: seed (u64 LE) ‖ floor (u32 LE) ‖ width (u16 LE) ‖ height (u16 LE) ‖ 16 zero
    /// bytes. Stream: the attempt number, so a retry is a fresh, reproducible sequence.
    pub(crate) fn new(seed: u64, floor: u32, width: u16, height: u16, attempt: u32) -> Self {
        let mut key = [0u8; 32];
        key[0..8].copy_from_slice(&seed.to_le_bytes());
        key[8..12].copy_from_slice(&floor.to_le_bytes());
        key[12..14].copy_from_slice(&width.to_le_bytes());
        key[14..16].copy_from_slice(&height.to_le_bytes());
        let mut rng = ChaCha8Rng::from_seed(key);
        rng.set_stream(u64::from(attempt));
        FloorRng(rng)
    }

    /// Uniform in `0..n`; `0` when `n == 0`.
    pub(crate) fn below(&mut self, n: u32) -> u32 {
        if n == 0 {
            return 0;
        }
        let mut m = u64::from(self.0.next_u32()) * u64::from(n);
        if low_u32(m) < n {
            let threshold = n.wrapping_neg() % n;
            while low_u32(m) < threshold {
                m = u64::from(self.0.next_u32()) * u64::from(n);
            }
        }
        high_u32(m)
    }

    /// Uniform in `lo..=hi` (`lo` when `hi < lo`).
    pub(crate) fn range_u16(&mut self, lo: u16, hi: u16) -> u16 {
        let span = u32::from(hi.saturating_sub(lo)) + 1;
        lo + u16::try_from(self.below(span)).unwrap_or(0)
    }

    /// True with probability `num / den`.
    pub(crate) fn chance(&mut self, num: u32, den: u32) -> bool {
        self.below(den) < num
    }

    /// Fisher–Yates shuffle driven by `below`, so it is identical on every platform.
    pub(crate) fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let bound = u32::try_from(i + 1).unwrap_or(u32::MAX);
            let j = self.below(bound);
            items.swap(i, j as usize);
        }
    }

    /// A uniformly chosen index into a slice of length `len` (`len > 0`).
    pub(crate) fn index(&mut self, len: usize) -> usize {
        self.below(u32::try_from(len).unwrap_or(u32::MAX)) as usize
    }
}

fn low_u32(m: u64) -> u32 {
    (m & 0xffff_ffff) as u32
}

fn high_u32(m: u64) -> u32 {
    (m >> 32) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn below_stays_in_range_and_hits_every_value() {
        let mut rng = FloorRng::new(7, 3, 64, 64, 0);
        let mut seen = [false; 7];
        for _ in 0..1000 {
            let v = rng.below(7);
            assert!(v < 7);
            seen[v as usize] = true;
        }
        assert!(seen.iter().all(|&s| s));
    }

    #[test]
    fn streams_differ_and_repeat() {
        let draw = |attempt| {
            let mut rng = FloorRng::new(1, 2, 64, 64, attempt);
            [
                rng.below(1000),
                rng.below(1000),
                rng.below(1000),
                rng.below(1000),
            ]
        };
        assert_eq!(draw(0), draw(0));
        assert_ne!(draw(0), draw(1));
    }

    /// Pins the ChaCha8 output, so a dependency update that changed it would fail here
    /// before it silently changed every floor.
    #[test]
    fn chacha_output_is_pinned() {
        let mut rng = FloorRng::new(0, 0, 64, 64, 0);
        let got: Vec<u32> = (0..4).map(|_| rng.0.next_u32()).collect();
        let again: Vec<u32> = {
            let mut r = FloorRng::new(0, 0, 64, 64, 0);
            (0..4).map(|_| r.0.next_u32()).collect()
        };
        assert_eq!(got, again);
        assert_eq!(got, PINNED.to_vec());
    }

    const PINNED: [u32; 4] = [291_021_962, 2_941_304_596, 532_221_373, 2_509_674_232];
}
