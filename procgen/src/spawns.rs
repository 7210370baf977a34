//! Monster and loot points. Counts and levels grow with the floor number; positions are
//! drawn without replacement from walkable tiles in a fixed (row-major) candidate order.

use crate::rng::FloorRng;
use crate::types::{Spawn, SpawnKind, Tile};

/// Floors above this no longer add spawns (levels keep growing up to 255).
const COUNT_CAP_FLOOR: u32 = 200;

pub(crate) struct SpawnPlan {
    pub rooms: u32,
    pub floor: u32,
    pub entry: (u16, u16),
}

/// Spawns sorted by (y, x, kind, level), at most one per tile, none on entry, stairs or
/// doors; monsters keep a distance of more than 4 tiles (Chebyshev) from the entry.
pub(crate) fn place(
    tiles: &[Tile],
    width: u16,
    plan: &SpawnPlan,
    rng: &mut FloorRng,
) -> Vec<Spawn> {
    let w = usize::from(width);
    let at = |i: usize| -> (u16, u16) {
        let x = u16::try_from(i % w).unwrap_or(u16::MAX);
        let y = u16::try_from(i / w).unwrap_or(u16::MAX);
        (x, y)
    };
    let far_from_entry =
        |(x, y): (u16, u16)| x.abs_diff(plan.entry.0).max(y.abs_diff(plan.entry.1)) > 4;
    let mut monster_spots: Vec<u32> = Vec::new();
    let mut loot_spots: Vec<u32> = Vec::new();
    for (i, t) in tiles.iter().enumerate() {
        let idx = i as u32;
        match t {
            Tile::Floor => {
                loot_spots.push(idx);
                if far_from_entry(at(i)) {
                    monster_spots.push(idx);
                }
            }
            Tile::Corridor if far_from_entry(at(i)) => monster_spots.push(idx),
            _ => {}
        }
    }

    let f = plan.floor.min(COUNT_CAP_FLOOR);
    let monsters = plan.rooms + plan.rooms * f / 20;
    let loot = plan.rooms / 2 + 1 + f / 25;
    let base_monster_level = plan.floor.saturating_add(1);
    let base_loot_level = plan.floor / 2 + 1;

    let mut taken = vec![false; tiles.len()];
    let mut spawns = Vec::new();
    let mut draw = |spots: &mut Vec<u32>, n: u32, kind: SpawnKind, base: u32, spread: u32| {
        let n = (n as usize).min(spots.len() / 3);
        // Partial Fisher–Yates: the first `n` entries become a uniform sample.
        for k in 0..n {
            let j = k + rng.index(spots.len() - k);
            spots.swap(k, j);
            let i = spots[k] as usize;
            if taken[i] {
                continue;
            }
            taken[i] = true;
            let (x, y) = at(i);
            let level = base
                .saturating_add(rng.below(spread))
                .min(u32::from(u8::MAX));
            spawns.push(Spawn {
                x,
                y,
                kind,
                level: u8::try_from(level).unwrap_or(u8::MAX),
            });
        }
    };
    draw(&mut loot_spots, loot, SpawnKind::Loot, base_loot_level, 2);
    draw(
        &mut monster_spots,
        monsters,
        SpawnKind::Monster,
        base_monster_level,
        3,
    );
    spawns.sort_unstable_by_key(crate::encoding::sort_key);
    spawns
}
