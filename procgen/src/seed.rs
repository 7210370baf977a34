//! World seed → floor seed: the one derivation the server, the `tower-floor` CLI and the C
//! ABI share, so "floor 3 of world seed 1" is the same floor everywhere.
//!
//! A *world seed* names a whole tower (the server's `world_seed`); a *floor seed* is what
//! [`crate::generate`] takes, one per floor, and what the server sends players in each
//! `FloorEnter`.

/// The floor seed of floor `floor` of the tower whose world seed is `world_seed`.
///
/// `splitmix64(world_seed + (floor + 1) * 0x9E37_79B9_7F4A_7C15)`: one SplitMix64 output
/// step at the floor's position in the golden-ratio sequence. Every floor gets a
/// well-mixed, distinct seed, and anyone who knows the world seed can regenerate any floor;
/// a client never needs the world seed because the server sends each floor's own seed.
/// Part of the floor contract: changing it changes which floor every tower has.
pub fn derive_floor_seed(world_seed: u64, floor: u32) -> u64 {
    const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut z = world_seed.wrapping_add((u64::from(floor) + 1).wrapping_mul(GOLDEN));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pinned values: the derivation is part of the contract with every shipped client and
    /// every saved world (floor 0 of world seed 0 is SplitMix64's first output for seed 0).
    #[test]
    fn floor_seeds_are_pinned() {
        assert_eq!(derive_floor_seed(0, 0), 0xE220_A839_7B1D_CDAF);
        assert_eq!(derive_floor_seed(1, 0), 0x910A_2DEC_8902_5CC1);
        assert_eq!(derive_floor_seed(1, 3), 0x71C1_8690_EE42_C90B);
        assert_eq!(derive_floor_seed(u64::MAX, u32::MAX), 0xD3C3_FC2C_2DE8_10EC);
    }

    #[test]
    fn floor_seeds_are_distinct_and_depend_on_the_world_seed() {
        let mut seeds: Vec<u64> = (0..1000).map(|n| derive_floor_seed(7, n)).collect();
        seeds.sort_unstable();
        seeds.dedup();
        assert_eq!(seeds.len(), 1000);
        assert_ne!(derive_floor_seed(7, 0), derive_floor_seed(8, 0));
    }
}
