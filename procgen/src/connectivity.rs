//! The walkability check run inside generation: one breadth-first search from the entry.

use crate::types::Tile;

/// Whether every walkable tile is reachable from `start` through 4-neighbours (which
/// implies that the stairs are). `queue` is scratch space reused across attempts.
pub(crate) fn all_walkable_reachable(
    tiles: &[Tile],
    width: usize,
    start: usize,
    queue: &mut Vec<u32>,
) -> bool {
    let walkable = tiles.iter().filter(|t| t.is_walkable()).count();
    let mut seen = vec![false; tiles.len()];
    queue.clear();
    if !tiles.get(start).is_some_and(|t| t.is_walkable()) {
        return false;
    }
    seen[start] = true;
    queue.push(start as u32);
    let mut head = 0;
    while let Some(&cell) = queue.get(head) {
        head += 1;
        let cell = cell as usize;
        let x = cell % width;
        let mut visit = |n: usize| {
            if !seen[n] && tiles[n].is_walkable() {
                seen[n] = true;
                queue.push(n as u32);
            }
        };
        if cell >= width {
            visit(cell - width);
        }
        if cell + width < tiles.len() {
            visit(cell + width);
        }
        if x > 0 {
            visit(cell - 1);
        }
        if x + 1 < width {
            visit(cell + 1);
        }
    }
    queue.len() == walkable
}

#[cfg(test)]
mod tests {
    use super::*;
    use Tile::{Floor as F, Wall as W};

    #[test]
    fn finds_split_regions() {
        let joined = [F, F, W, W, F, F];
        let split = [F, W, W, W, W, F];
        let mut q = Vec::new();
        assert!(all_walkable_reachable(&joined, 3, 0, &mut q));
        assert!(!all_walkable_reachable(&split, 3, 0, &mut q));
        assert!(!all_walkable_reachable(&split, 3, 1, &mut q));
    }
}
