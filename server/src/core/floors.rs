//! Floors of the tower: the per-floor seed derivation, the bounded LRU cache of generated
//! floors and the set of floors that are live (occupied) right now.

use procgen::{Floor, FloorHash};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// Builds the floor for `(seed, number)`. `procgen::generate` in production; tests hand in
/// small hand-drawn floors so they can assert exact positions.
pub type FloorGenerator = fn(u64, u32) -> Floor;

/// The floor seed of floor `n` of the tower whose world seed is `world_seed`: procgen's, so
/// the CLI (`tower-floor --world-seed`) and the C ABI (`tower_floor_seed`) derive the same.
pub use procgen::derive_floor_seed;

/// A generated floor with its hash computed once.
#[derive(Debug)]
pub struct FloorData {
    pub number: u32,
    pub seed: u64,
    pub hash: FloorHash,
    pub floor: Floor,
}

impl FloorData {
    /// Generates and hashes floor `n` of the tower of `world_seed`. Pure and `Send`: the
    /// shell runs it on a worker thread to prepare floors ahead of the tick.
    pub fn build(world_seed: u64, generator: FloorGenerator, n: u32) -> FloorData {
        let seed = derive_floor_seed(world_seed, n);
        let floor = generator(seed, n);
        FloorData {
            number: n,
            seed,
            hash: floor.hash(),
            floor,
        }
    }
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
    /// Floors handed out to be prepared off the tick and not yet inserted.
    requested: HashSet<u32>,
    prepared: u64,
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
            requested: HashSet::new(),
            prepared: 0,
        }
    }

    pub fn world_seed(&self) -> u64 {
        self.world_seed
    }

    pub fn generator(&self) -> FloorGenerator {
        self.generator
    }

    /// Marks floor `n` as wanted ahead of time: true when it is neither cached nor already
    /// requested, i.e. when the caller should have it built (`FloorData::build`) and hand
    /// it back with `insert`.
    pub fn request(&mut self, n: u32) -> bool {
        !self.entries.contains_key(&n) && self.requested.insert(n)
    }

    /// Adds a floor prepared elsewhere; a later `get` of it is a hit. A floor of another
    /// world seed (a stale worker) is ignored.
    pub fn insert(&mut self, data: FloorData) {
        self.requested.remove(&data.number);
        if data.seed != derive_floor_seed(self.world_seed, data.number)
            || self.entries.contains_key(&data.number)
        {
            return;
        }
        self.clock += 1;
        self.evict_if_full();
        self.prepared += 1;
        self.entries
            .insert(data.number, (Arc::new(data), self.clock));
    }

    fn evict_if_full(&mut self) {
        if self.entries.len() >= self.capacity
            && let Some(oldest) = self
                .entries
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| *k)
        {
            self.entries.remove(&oldest);
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
        self.evict_if_full();
        let data = Arc::new(FloorData::build(self.world_seed, self.generator, n));
        self.generated += 1;
        self.entries.insert(n, (Arc::clone(&data), now));
        data
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn contains(&self, n: u32) -> bool {
        self.entries.contains_key(&n)
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// How many floors were generated on a cache miss (on the caller's thread: the tick).
    pub fn generated(&self) -> u64 {
        self.generated
    }

    /// How many floors were prepared ahead of time and inserted.
    pub fn prepared(&self) -> u64 {
        self.prepared
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
    fn a_prepared_floor_is_a_hit_and_is_requested_once() {
        let mut cache = FloorCache::new(9, procgen::generate, 4);
        assert!(cache.request(3));
        assert!(!cache.request(3), "already requested");
        cache.insert(FloorData::build(9, procgen::generate, 3));
        assert!(!cache.request(3), "already cached");
        let f = cache.get(3);
        assert_eq!(cache.generated(), 0, "no generation on the caller's thread");
        assert_eq!(cache.prepared(), 1);
        assert_eq!(f.hash, procgen::floor_hash(derive_floor_seed(9, 3), 3));
        // A floor of another tower is not taken.
        cache.insert(FloorData::build(10, procgen::generate, 4));
        cache.get(4);
        assert_eq!(cache.generated(), 1);
    }

    #[test]
    fn cached_floor_matches_procgen() {
        let mut cache = FloorCache::new(42, procgen::generate, 4);
        let f = cache.get(5);
        assert_eq!(f.seed, derive_floor_seed(42, 5));
        assert_eq!(f.hash, procgen::floor_hash(f.seed, 5));
    }
}
