//! Area of interest: a uniform spatial grid per floor, and the update tier of an entity as
//! seen by one observer. Pure data structures; the systems that use them live in `systems`.

use crate::core::movement::{Pos, SUBTILE};

/// Side of a grid cell in tiles. With the default view radius of 20 tiles an observer
/// scans at most 7x7 cells of a 64x64 floor.
pub const CELL_TILES: i32 = 8;

/// A uniform grid of buckets over one floor. Rebuilt every tick: with at most a few
/// hundred entities per floor, clearing and refilling is cheaper than tracking moves.
#[derive(Debug, Clone)]
pub struct Grid<T> {
    cols: i32,
    rows: i32,
    cells: Vec<Vec<(T, Pos)>>,
}

impl<T: Copy> Grid<T> {
    pub fn new(width_tiles: u16, height_tiles: u16) -> Grid<T> {
        let cols = (i32::from(width_tiles) + CELL_TILES - 1) / CELL_TILES;
        let rows = (i32::from(height_tiles) + CELL_TILES - 1) / CELL_TILES;
        let count = usize::try_from((cols * rows).max(1)).unwrap_or(1);
        Grid {
            cols: cols.max(1),
            rows: rows.max(1),
            cells: vec![Vec::new(); count],
        }
    }

    pub fn clear(&mut self) {
        self.cells.iter_mut().for_each(Vec::clear);
    }

    fn cell_of(&self, pos: Pos) -> (i32, i32) {
        let cell = CELL_TILES * SUBTILE;
        (
            (pos.x / cell).clamp(0, self.cols - 1),
            (pos.y / cell).clamp(0, self.rows - 1),
        )
    }

    fn index(&self, cx: i32, cy: i32) -> usize {
        usize::try_from(cy * self.cols + cx).unwrap_or(0)
    }

    pub fn insert(&mut self, item: T, pos: Pos) {
        let (cx, cy) = self.cell_of(pos);
        let i = self.index(cx, cy);
        self.cells[i].push((item, pos));
    }

    /// Appends `(squared distance, item)` for every item within `radius` units to `out`
    /// (the hot path of the snapshot system: plain loops, no iterator adapters).
    pub fn collect_within(&self, center: Pos, radius: i32, out: &mut Vec<(i64, T)>) {
        let cell = CELL_TILES * SUBTILE;
        let reach = (radius + cell - 1) / cell;
        let (cx, cy) = self.cell_of(center);
        let r2 = i64::from(radius) * i64::from(radius);
        for y in (cy - reach).max(0)..=(cy + reach).min(self.rows - 1) {
            for x in (cx - reach).max(0)..=(cx + reach).min(self.cols - 1) {
                for &(item, p) in &self.cells[self.index(x, y)] {
                    let d2 = center.dist2(p);
                    if d2 <= r2 {
                        out.push((d2, item));
                    }
                }
            }
        }
    }

    /// Every item, in cell order.
    pub fn iter(&self) -> impl Iterator<Item = (T, Pos)> + '_ {
        self.cells.iter().flatten().copied()
    }

    /// Every item within `radius` units (Chebyshev box of cells, then exact distance).
    pub fn within(&self, center: Pos, radius: i32) -> impl Iterator<Item = (T, Pos)> + '_ {
        let cell = CELL_TILES * SUBTILE;
        let reach = (radius + cell - 1) / cell;
        let (cx, cy) = self.cell_of(center);
        let (x0, x1) = ((cx - reach).max(0), (cx + reach).min(self.cols - 1));
        let (y0, y1) = ((cy - reach).max(0), (cy + reach).min(self.rows - 1));
        let r2 = i64::from(radius) * i64::from(radius);
        (y0..=y1)
            .flat_map(move |y| (x0..=x1).map(move |x| (x, y)))
            .flat_map(move |(x, y)| self.cells[self.index(x, y)].iter().copied())
            .filter(move |(_, p)| center.dist2(*p) <= r2)
    }
}

/// How often an entity is refreshed in one observer's view.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tier {
    /// Close by or fighting: every tick (30 Hz at the default rate).
    Near,
    /// 10 Hz.
    Mid,
    /// 2 Hz.
    Far,
}

/// Distances (in movement units) that pick the tier, and the rates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TierConfig {
    pub near_radius: i32,
    pub mid_radius: i32,
    /// The view radius: entities beyond it are not in the observer's view at all.
    pub view_radius: i32,
    pub near_hz: u32,
    pub mid_hz: u32,
    pub far_hz: u32,
}

impl Default for TierConfig {
    fn default() -> Self {
        TierConfig {
            near_radius: 4 * SUBTILE,
            mid_radius: 10 * SUBTILE,
            view_radius: 20 * SUBTILE,
            near_hz: 30,
            mid_hz: 10,
            far_hz: 2,
        }
    }
}

impl TierConfig {
    /// The tier of an entity at squared distance `d2` from the observer, `None` when out of
    /// view. Anything in combat with the observer is `Near` regardless of distance.
    pub fn tier(&self, d2: i64, in_combat: bool) -> Option<Tier> {
        let sq = |r: i32| i64::from(r) * i64::from(r);
        if d2 > sq(self.view_radius) {
            None
        } else if in_combat || d2 <= sq(self.near_radius) {
            Some(Tier::Near)
        } else if d2 <= sq(self.mid_radius) {
            Some(Tier::Mid)
        } else {
            Some(Tier::Far)
        }
    }

    /// Ticks between two refreshes of an entity of `tier` at `tick_rate_hz`.
    pub fn period_ticks(&self, tier: Tier, tick_rate_hz: u32) -> u32 {
        let hz = match tier {
            Tier::Near => self.near_hz,
            Tier::Mid => self.mid_hz,
            Tier::Far => self.far_hz,
        };
        tick_rate_hz.div_ceil(hz.max(1)).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(tx: i32, ty: i32) -> Pos {
        Pos {
            x: tx * SUBTILE,
            y: ty * SUBTILE,
        }
    }

    #[test]
    fn grid_returns_exactly_the_items_in_radius() {
        let mut g: Grid<u32> = Grid::new(64, 64);
        g.insert(1, p(10, 10));
        g.insert(2, p(15, 10));
        g.insert(3, p(40, 40));
        g.insert(4, p(10, 31));
        let mut got: Vec<u32> = g.within(p(10, 10), 20 * SUBTILE).map(|(i, _)| i).collect();
        got.sort_unstable();
        assert_eq!(got, vec![1, 2]);
        let mut v = Vec::new();
        g.collect_within(p(10, 10), 20 * SUBTILE, &mut v);
        let mut ids: Vec<u32> = v.iter().map(|(_, i)| *i).collect();
        ids.sort_unstable();
        assert_eq!(ids, vec![1, 2]);
        assert_eq!(
            v.iter().find(|(_, i)| *i == 2).map(|(d2, _)| *d2),
            Some(1280 * 1280)
        );
        g.clear();
        assert_eq!(g.within(p(10, 10), 20 * SUBTILE).count(), 0);
    }

    #[test]
    fn tiers_by_distance_and_combat() {
        let t = TierConfig::default();
        let d = |tiles: i64| (tiles * 256) * (tiles * 256);
        assert_eq!(t.tier(d(3), false), Some(Tier::Near));
        assert_eq!(t.tier(d(10), false), Some(Tier::Mid));
        assert_eq!(t.tier(d(18), false), Some(Tier::Far));
        assert_eq!(t.tier(d(18), true), Some(Tier::Near));
        assert_eq!(t.tier(d(25), true), None);
        assert_eq!(t.period_ticks(Tier::Near, 30), 1);
        assert_eq!(t.period_ticks(Tier::Mid, 30), 3);
        assert_eq!(t.period_ticks(Tier::Far, 30), 15);
        assert_eq!(t.period_ticks(Tier::Far, 60), 30);
    }
}
