//! The load-time self-test: regenerate a handful of golden floors embedded in the binary and
//! compare their hashes. A build whose floors differ (a miscompile, a platform quirk, a
//! mismatched generator) must refuse to hand out or accept floors, and must say on which
//! platform and for which generator version it failed.

use std::fmt;

use crate::hash::FloorHash;

/// One embedded golden floor: the default-size floor `floor` of tower `seed` hashes to
/// `hash` under [`crate::GENERATOR_VERSION`]. Every entry is also a line of
/// `procgen/tests/golden_vectors.txt` (checked by `tests/self_test.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GoldenFloor {
    /// World seed.
    pub seed: u64,
    /// Floor number.
    pub floor: u32,
    /// The hash every platform must compute.
    pub hash: FloorHash,
}

/// The floors the self-test regenerates: the edge seeds (0, 1, 2^63, u64::MAX) and the
/// floor numbers 0, 1, 50 and 100. About 0.3 ms each in release (docs/floors.md).
pub const GOLDEN_FLOORS: [GoldenFloor; 4] = [
    golden(
        0,
        0,
        "b448191f6f9b2d916a0ab00f33421e19cc50368e2017437ecfb07f412afe9043",
    ),
    golden(
        u64::MAX,
        100,
        "5759ed6801eac472146992d01359ecb6a3665eda3d798fb456ccfcc75e08f4e9",
    ),
    golden(
        1,
        1,
        "0edabe226c746f05db2fcdec817ad38d958f362d34475cb8d7010f24af2aac2c",
    ),
    golden(
        0x8000_0000_0000_0000,
        50,
        "b3ee71d35ec1dcc511056c8facde12d0b7866f8de163b2e6ecc825142b129580",
    ),
];

/// A golden entry from its hex hash; a malformed literal fails the build, not the test.
const fn golden(seed: u64, floor: u32, hex: &str) -> GoldenFloor {
    let digits = hex.as_bytes();
    assert!(digits.len() == 64, "a golden hash has 64 hex digits");
    let mut bytes = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        bytes[i] = (hex_digit(digits[2 * i]) << 4) | hex_digit(digits[2 * i + 1]);
        i += 1;
    }
    GoldenFloor {
        seed,
        floor,
        hash: FloorHash(bytes),
    }
}

const fn hex_digit(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => panic!("golden hashes are lower-case hex"),
    }
}

/// What the floors were built on: the target triple this crate was compiled for, plus the
/// properties that most often break "same bytes everywhere".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Platform {
    /// The compile target, e.g. `x86_64-pc-windows-gnu` (set by procgen's build script).
    pub target: &'static str,
    /// Whether the target stores integers big-endian.
    pub big_endian: bool,
    /// Pointer width in bits.
    pub pointer_bits: u32,
}

impl Platform {
    /// The platform this code was compiled for.
    pub const fn current() -> Platform {
        Platform {
            target: env!("TOWER_PROCGEN_TARGET"),
            big_endian: cfg!(target_endian = "big"),
            pointer_bits: usize::BITS,
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let endian = if self.big_endian { "big" } else { "little" };
        write!(
            f,
            "{} ({endian}-endian, {}-bit)",
            self.target, self.pointer_bits
        )
    }
}

/// The self-test found a floor whose hash differs from the embedded golden value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "floor self-test failed on {platform}, generator version {generator_version}: seed \
     {seed} floor {floor} hashed to {computed}, the golden hash is {expected}; this build \
     must not generate or accept floors"
)]
pub struct SelfTestError {
    /// Where the self-test ran.
    pub platform: Platform,
    /// This build's [`crate::GENERATOR_VERSION`].
    pub generator_version: u32,
    /// Seed of the golden floor that differed.
    pub seed: u64,
    /// Floor number of the golden floor that differed.
    pub floor: u32,
    /// The golden hash.
    pub expected: FloorHash,
    /// What this build computed.
    pub computed: FloorHash,
}

/// Regenerates every [`GOLDEN_FLOORS`] entry and compares hashes; the first mismatch is
/// the error. Costs a few default-size generations (docs/floors.md has the figure).
pub fn self_test() -> Result<(), SelfTestError> {
    check_floors(&GOLDEN_FLOORS, crate::floor_hash)
}

/// The comparison behind [`self_test`], over any golden list and hash function, so a
/// mismatch can be tested without a broken build.
pub fn check_floors(
    golden: &[GoldenFloor],
    hash_of: impl Fn(u64, u32) -> FloorHash,
) -> Result<(), SelfTestError> {
    for g in golden {
        let computed = hash_of(g.seed, g.floor);
        if computed != g.hash {
            return Err(SelfTestError {
                platform: Platform::current(),
                generator_version: crate::GENERATOR_VERSION,
                seed: g.seed,
                floor: g.floor,
                expected: g.hash,
                computed,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_floors_pass_here() {
        assert_eq!(self_test(), Ok(()));
    }

    #[test]
    fn a_wrong_golden_hash_names_the_floor_platform_and_version() {
        let mut wrong = GOLDEN_FLOORS;
        wrong[2].hash.0[31] ^= 1;
        let err = check_floors(&wrong, crate::floor_hash).expect_err("must mismatch");
        assert_eq!((err.seed, err.floor), (1, 1));
        assert_eq!(err.expected, wrong[2].hash);
        assert_eq!(err.computed, GOLDEN_FLOORS[2].hash);
        let text = err.to_string();
        assert!(text.contains(Platform::current().target), "{text}");
        assert!(text.contains("-endian"), "{text}");
        assert!(
            text.contains(&format!("generator version {}", crate::GENERATOR_VERSION)),
            "{text}"
        );
    }

    #[test]
    fn a_generator_that_drifts_fails_the_check() {
        // A stand-in for a miscompiled generator: right for one floor, wrong for the rest.
        let err = check_floors(&GOLDEN_FLOORS, |seed, floor| {
            if (seed, floor) == (0, 0) {
                GOLDEN_FLOORS[0].hash
            } else {
                FloorHash([0; 32])
            }
        })
        .expect_err("must mismatch");
        assert_eq!((err.seed, err.floor), (u64::MAX, 100));
        assert_eq!(err.computed, FloorHash([0; 32]));
    }

    #[test]
    fn the_platform_is_this_target() {
        let p = Platform::current();
        assert_eq!(p.big_endian, u32::from_ne_bytes([0, 0, 0, 1]) == 1);
        assert_eq!(
            p.pointer_bits,
            u32::try_from(size_of::<*const u8>() * 8).unwrap_or(0)
        );
        assert!(p.target.contains(std::env::consts::ARCH) || p.target.starts_with("i686"));
    }
}
