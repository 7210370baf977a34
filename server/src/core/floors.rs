//! Floors of the tower: the per-floor seed derivation, the bounded LRU cache of generated
//! floors and the set of floors that are live (occupied) right now.

use procgen::{Floor, FloorHash};
use std::collections::HashMap;
use std::sync::Arc;

/// Builds the floor for `(seed, number)`. `procgen::generate` in production; tests hand in
/// small hand-drawn floors so they can assert exact positions.
pub type FloorGenerator = fn(u64, u32) -> Floor;

/// The seed of floor `n` of the tower whose world seed is `world_seed`.
///
/// `splitmix64(world_seed + (n + 1) * 0x9E37_79B9_7F4A_7C15)`: one SplitMix64 output step at
/// the floor's position in the golden-ratio sequence. Every floor gets a well-mixed,
/// distinct seed, and anyone who knows the world seed can regenerate any floor; the client
/// never needs the world seed because the server sends each floor's own seed.
pub fn derive_floor_seed(world_seed: u64, n: u32) -> u64 {
    const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut z = world_seed.wrapping_add((u64::from(n) + 1).wrapping_mul(GOLDEN));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A generated floor with its hash computed once.
#[derive(Debug)]
pub struct FloorData {
    pub number: u32,
    pub seed: u64,
    pub hash: FloorHash,
    pub floor: Floor,
}

/// Bounded least-recently-used cache of generated floors. Floors in use are also held by
/// `Arc` elsewhere, so evicting one never pulls a floor from under a player; it is only
/// regenerated the next time someone needs it.
pub struct FloorCache {
    world_seed: u64,
    generator: FloorGenerator,
    capacity: usize,
    clock: u64,
    entries: HashMap<u32, (Arc<FloorData>, u64)>,
    generated: u64,
}

impl FloorCache {
    pub fn new(world_seed: u64, generator: FloorGenerator, capacity: usize) -> FloorCache {
        FloorCache {
            world_seed,
            generator,
            capacity: capacity.max(1),
            clock: 0,
            entries: HashMap::new(),
            generated: 0,
        }
    }

    /// The floor `n`, generated on a miss (evicting the least recently used one when full).
    pub fn get(&mut self, n: u32) -> Arc<FloorData> {
        self.clock += 1;
        let now = self.clock;
        if let Some((data, used)) = self.entries.get_mut(&n) {
            *used = now;
            return Arc::clone(data);
        }
        if self.entries.len() >= self.capacity
            && let Some(oldest) = self
                .entries
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| *k)
        {
            self.entries.remove(&oldest);
        }
        let seed = derive_floor_seed(self.world_seed, n);
        let floor = (self.generator)(seed, n);
        let data = Arc::new(FloorData {
            number: n,
            seed,
            hash: floor.hash(),
            floor,
        });
        self.generated += 1;
        self.entries.insert(n, (Arc::clone(&data), now));
        data
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// How many floors were generated so far (cache misses).
    pub fn generated(&self) -> u64 {
        self.generated
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_seeds_are_distinct_and_depend_on_the_world_seed() {
        let a: Vec<u64> = (0..100).map(|n| derive_floor_seed(7, n)).collect();
        let mut sorted = a.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 100);
        assert_ne!(derive_floor_seed(7, 0), derive_floor_seed(8, 0));
        assert_eq!(derive_floor_seed(7, 3), derive_floor_seed(7, 3));
    }

    #[test]
    fn cache_is_bounded_and_evicts_the_least_recently_used() {
        let mut cache = FloorCache::new(1, procgen::generate, 2);
        cache.get(0);
        cache.get(1);
        cache.get(0); // 1 is now the least recently used
        cache.get(2);
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.generated(), 3);
        cache.get(0);
        assert_eq!(cache.generated(), 3, "floor 0 stayed cached");
        cache.get(1);
        assert_eq!(cache.generated(), 4, "floor 1 was evicted and regenerated");
    }

    #[test]
    fn cached_floor_matches_procgen() {
        let mut cache = FloorCache::new(42, procgen::generate, 4);
        let f = cache.get(5);
        assert_eq!(f.seed, derive_floor_seed(42, 5));
        assert_eq!(f.hash, procgen::floor_hash(f.seed, 5));
    }
}
