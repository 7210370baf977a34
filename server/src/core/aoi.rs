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
        self.visit_within(center, radius, |d2, item, _| out.push((d2, item)));
    }

    fn visit_within(&self, center: Pos, radius: i32, mut f: impl FnMut(i64, T, Pos)) {
        let cell = CELL_TILES * SUBTILE;
        let reach = (radius + cell - 1) / cell;
        let (cx, cy) = self.cell_of(center);
        let r2 = i64::from(radius) * i64::from(radius);
        for y in (cy - reach).max(0)..=(cy + reach).min(self.rows - 1) {
            for x in (cx - reach).max(0)..=(cx + reach).min(self.cols - 1) {
                for &(item, p) in &self.cells[self.index(x, y)] {
                    let d2 = center.dist2(p);
                    if d2 <= r2 {
                        f(d2, item, p);
                    }
                }
            }
        }
    }

    /// The index of the cell that holds `pos` (for `CellCandidates`).
    pub fn cell_index(&self, pos: Pos) -> usize {
        let (cx, cy) = self.cell_of(pos);
        self.index(cx, cy)
    }

    fn cell_count(&self) -> usize {
        self.cells.len()
    }

    /// The centre of cell `index`.
    fn cell_center(&self, index: usize) -> Pos {
        let cell = CELL_TILES * SUBTILE;
        let i = i32::try_from(index).unwrap_or(0);
        Pos {
            x: (i % self.cols) * cell + cell / 2,
            y: (i / self.cols) * cell + cell / 2,
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

/// Shared candidates are capped at this many times the view cap (see `CellCandidates`).
pub const SHARED_CANDIDATES_PER_VIEW: usize = 3;

/// Candidate lists shared by every observer in the same grid cell during one tick, so a
/// crowded floor costs O(cells × n + n × cap) distance checks instead of O(n²).
///
/// A cell's list holds the items within `radius + ¾ cell` of the cell's centre (which
/// covers the `radius` circle of any point in the cell), the nearest `cap` of them when
/// there are more. Below the cap the list is exact: an observer filtering it by its own
/// distance gets exactly what a scan of the grid would give. Above the cap (a crowd of
/// more than `cap` around the cell) an observer near the cell's edge may miss an entity
/// just across it in favour of one slightly farther: it still sees a full view of the
/// nearest crowd.
#[derive(Debug)]
pub struct CellCandidates<T> {
    /// Per cell: the tick its list was built (+1, so 0 means never) and the list.
    lists: Vec<(u32, Vec<(Pos, T)>)>,
    scratch: Vec<(i64, Pos, T)>,
    built: u64,
}

impl<T> Default for CellCandidates<T> {
    fn default() -> Self {
        CellCandidates {
            lists: Vec::new(),
            scratch: Vec::new(),
            built: 0,
        }
    }
}

impl<T: Copy> CellCandidates<T> {
    /// The shared list of the cell holding `pos` in `grid` as of `tick` (built on first use
    /// in a tick, reused for the rest of it).
    pub fn of(
        &mut self,
        grid: &Grid<T>,
        tick: u32,
        pos: Pos,
        radius: i32,
        cap: usize,
    ) -> &[(Pos, T)] {
        if self.lists.len() != grid.cell_count() {
            self.lists.clear();
            self.lists
                .resize_with(grid.cell_count(), || (0, Vec::new()));
        }
        let stamp = tick.wrapping_add(1).max(1);
        let index = grid.cell_index(pos);
        let (built, list) = &mut self.lists[index];
        if *built != stamp {
            *built = stamp;
            self.built += 1;
            let center = grid.cell_center(index);
            let reach = radius + CELL_TILES * SUBTILE * 3 / 4;
            let scratch = &mut self.scratch;
            scratch.clear();
            grid.visit_within(center, reach, |d2, item, p| scratch.push((d2, p, item)));
            if scratch.len() > cap {
                scratch.select_nth_unstable_by_key(cap, |(d2, _, _)| *d2);
                scratch.truncate(cap);
            }
            list.clear();
            list.extend(scratch.iter().map(|&(_, p, item)| (p, item)));
        }
        &self.lists[index].1
    }

    /// How many lists were built so far (a test's window into the sharing).
    pub fn built(&self) -> u64 {
        self.built
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

    /// Deterministic scatter of `n` points over a 64x64-tile floor.
    fn scatter(n: u32) -> Vec<Pos> {
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            i32::try_from(x % (64 * 256)).unwrap_or(0)
        };
        (0..n)
            .map(|_| Pos {
                x: next(),
                y: next(),
            })
            .collect()
    }

    #[test]
    fn shared_cell_lists_are_exact_below_the_cap() {
        let points = scatter(120);
        let mut g: Grid<u32> = Grid::new(64, 64);
        for (i, &p) in points.iter().enumerate() {
            g.insert(i as u32, p);
        }
        let radius = 20 * SUBTILE;
        let r2 = i64::from(radius).pow(2);
        let mut shared = CellCandidates::default();
        for &observer in &points {
            let mut got: Vec<u32> = shared
                .of(&g, 1, observer, radius, 1000)
                .iter()
                .filter(|(p, _)| observer.dist2(*p) <= r2)
                .map(|(_, i)| *i)
                .collect();
            let mut want: Vec<u32> = g.within(observer, radius).map(|(i, _)| i).collect();
            got.sort_unstable();
            want.sort_unstable();
            assert_eq!(got, want, "observer at {observer:?}");
        }
        assert!(shared.built() <= 64, "one list per cell per tick");
    }

    #[test]
    fn a_crowded_floor_builds_one_capped_list_per_cell_per_tick() {
        let points = scatter(1000);
        let mut g: Grid<u32> = Grid::new(64, 64);
        for (i, &p) in points.iter().enumerate() {
            g.insert(i as u32, p);
        }
        let mut shared = CellCandidates::default();
        for tick in 1..=2 {
            for &observer in &points {
                let list = shared.of(&g, tick, observer, 20 * SUBTILE, 144);
                assert_eq!(list.len(), 144);
            }
        }
        // 1000 observers on 64 cells: 64 lists a tick instead of 1000 grid scans.
        assert_eq!(shared.built(), 2 * 64);
        // The list is the nearest to the cell's centre.
        let centre = g.cell_center(g.cell_index(points[0]));
        let list = shared.of(&g, 2, points[0], 20 * SUBTILE, 144);
        let farthest_in = list
            .iter()
            .map(|(p, _)| centre.dist2(*p))
            .max()
            .unwrap_or(0);
        let ids: Vec<u32> = list.iter().map(|(_, i)| *i).collect();
        let nearer_left_out = points
            .iter()
            .enumerate()
            .filter(|(i, p)| !ids.contains(&(*i as u32)) && centre.dist2(**p) < farthest_in)
            .count();
        assert_eq!(nearer_left_out, 0);
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
