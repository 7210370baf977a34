//! Properties every generated floor has, over random seeds, floors and sizes.
#![allow(clippy::unwrap_used)]
// proptest is not a dev-dependency in stage 35's builds or on WASI (procgen/Cargo.toml).
#![cfg(not(any(tower_platforms, target_os = "wasi")))]

use std::collections::VecDeque;

use procgen::{Floor, FloorParams, Tile, generate_with};
use proptest::prelude::*;

fn reachable_from_entry(f: &Floor) -> Vec<bool> {
    let w = usize::from(f.width);
    let mut seen = vec![false; f.tiles.len()];
    let start = usize::from(f.entry.1) * w + usize::from(f.entry.0);
    seen[start] = true;
    let mut q = VecDeque::from([f.entry]);
    while let Some((x, y)) = q.pop_front() {
        for (nx, ny) in f.walkable_neighbours(x, y) {
            let i = usize::from(ny) * w + usize::from(nx);
            if !seen[i] {
                seen[i] = true;
                q.push_back((nx, ny));
            }
        }
    }
    seen
}

fn count(f: &Floor, t: Tile) -> usize {
    f.tiles.iter().filter(|&&x| x == t).count()
}

fn check(f: &Floor) {
    // Fully collapsed: every cell holds a valid tile, the grid has the asked size.
    assert_eq!(f.tiles.len(), usize::from(f.width) * usize::from(f.height));
    assert_eq!(count(f, Tile::Entry), 1);
    assert_eq!(count(f, Tile::StairsUp), 1);
    assert_eq!(f.tile(f.entry.0, f.entry.1), Some(Tile::Entry));
    assert_eq!(f.tile(f.stairs_up.0, f.stairs_up.1), Some(Tile::StairsUp));
    match f.stairs_down {
        None => {
            assert_eq!(f.floor, 0);
            assert_eq!(count(f, Tile::StairsDown), 0);
        }
        Some((x, y)) => {
            assert!(f.floor > 0);
            assert_eq!(count(f, Tile::StairsDown), 1);
            assert_eq!(f.tile(x, y), Some(Tile::StairsDown));
        }
    }
    // Connectivity: entry reaches stairs up/down, indeed every walkable tile.
    let seen = reachable_from_entry(f);
    for (i, t) in f.tiles.iter().enumerate() {
        assert_eq!(t.is_walkable(), seen[i], "tile {i} ({t:?}) reachability");
    }
    // The border is wall.
    for x in 0..f.width {
        assert_eq!(f.tile(x, 0), Some(Tile::Wall));
        assert_eq!(f.tile(x, f.height - 1), Some(Tile::Wall));
    }
    // Spawns: on walkable tiles, sorted, one per tile.
    assert!(!f.spawns.is_empty());
    for s in &f.spawns {
        assert!(f.is_walkable(i32::from(s.x), i32::from(s.y)));
        assert!(s.level >= 1);
    }
    assert!(
        f.spawns
            .windows(2)
            .all(|p| (p[0].y, p[0].x) < (p[1].y, p[1].x))
    );
    // Corridors meet rooms only through doors.
    for y in 0..f.height {
        for x in 0..f.width {
            if f.tile(x, y) == Some(Tile::Corridor) {
                for (nx, ny) in f.walkable_neighbours(x, y) {
                    assert_ne!(
                        f.tile(nx, ny),
                        Some(Tile::Floor),
                        "corridor ({x},{y}) touches floor"
                    );
                }
            }
        }
    }
    // Encoding round-trips.
    let bytes = f.encode();
    assert_eq!(&Floor::decode(&bytes).unwrap(), f);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn default_floors_hold_every_invariant(seed in any::<u64>(), floor in 0u32..=300) {
        check(&procgen::generate(seed, floor));
    }

    #[test]
    fn any_size_holds_every_invariant(seed in any::<u64>(), floor in 0u32..=100,
                                      width in 16u16..=130, height in 16u16..=130) {
        let f = generate_with(seed, floor, &FloorParams { width, height }).unwrap();
        check(&f);
    }

    #[test]
    fn higher_floors_are_not_easier(seed in any::<u64>(), floor in 0u32..=150) {
        let low = procgen::generate(seed, floor);
        let high = procgen::generate(seed, floor + 50);
        let max_level = |f: &Floor| f.spawns_of(procgen::SpawnKind::Monster).map(|s| s.level).max().unwrap_or(0);
        prop_assert!(max_level(&high) > max_level(&low));
    }

    #[test]
    fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = Floor::decode(&bytes);
    }

    #[test]
    fn corrupted_encodings_are_rejected_or_differ(seed in any::<u64>(), pos in any::<u16>(), flip in 1u8..=255) {
        let f = procgen::generate(seed, 3);
        let mut bytes = f.encode();
        let i = usize::from(pos) % bytes.len();
        bytes[i] ^= flip;
        if let Ok(g) = Floor::decode(&bytes) {
            prop_assert_ne!(g.hash(), f.hash());
        }
    }
}
