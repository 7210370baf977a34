//! A small Wave Function Collapse solver with integer-only heuristics.
//!
//! * A cell's domain is a `u8` bitset over at most 8 tile kinds.
//! * Adjacency rules are per direction: `allowed[dir][domain]` is the set of tiles the
//!   neighbour in `dir` may take given that this cell takes *some* tile of `domain`
//!   (precomputed for all 256 domains, so propagation is one table lookup per edge).
//! * Observation: minimum remaining values (fewest tiles left), ties broken by the seeded
//!   RNG; the tile is drawn with integer weights. No entropy, no logarithms, no floats.
//! * Propagation: a work stack of changed cells; no allocation per step. A cell whose
//!   domain becomes empty is a contradiction and the caller retries with a new stream.

use crate::rng::FloorRng;

/// Most tile kinds a rule set may have (domains are `u8` bitsets).
pub(crate) const MAX_KINDS: usize = 8;

/// Offsets of the four directions, in the order up, right, down, left.
const DIRS: [(i32, i32); 4] = [(0, -1), (1, 0), (0, 1), (-1, 0)];

/// Adjacency rules and weights of a tileset.
#[derive(Clone, Debug)]
pub(crate) struct Rules {
    kinds: usize,
    weights: [u32; MAX_KINDS],
    /// `allowed[dir][domain]`: tiles the neighbour in `dir` may take.
    allowed: [[u8; 256]; 4],
}

impl Rules {
    /// `compatible(a, b, dir)`: may tile `b` sit in direction `dir` of tile `a`?
    pub(crate) fn new(weights: &[u32], compatible: impl Fn(usize, usize, usize) -> bool) -> Rules {
        let kinds = weights.len().min(MAX_KINDS);
        let mut w = [0u32; MAX_KINDS];
        w[..kinds].copy_from_slice(&weights[..kinds]);
        let mut single = [[0u8; MAX_KINDS]; 4];
        for (dir, row) in single.iter_mut().enumerate() {
            for (a, set) in row.iter_mut().enumerate().take(kinds) {
                for b in 0..kinds {
                    if compatible(a, b, dir) {
                        *set |= 1 << b;
                    }
                }
            }
        }
        let mut allowed = [[0u8; 256]; 4];
        for (dir, table) in allowed.iter_mut().enumerate() {
            for (domain, out) in table.iter_mut().enumerate() {
                *out = (0..kinds)
                    .filter(|&t| domain & (1 << t) != 0)
                    .fold(0, |acc, t| acc | single[dir][t]);
            }
        }
        Rules {
            kinds,
            weights: w,
            allowed,
        }
    }

    /// The domain with every tile kind.
    #[cfg(test)]
    pub(crate) fn full(&self) -> u8 {
        if self.kinds >= 8 {
            u8::MAX
        } else {
            (1u8 << self.kinds) - 1
        }
    }
}

/// A cell ended with no possible tile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Contradiction;

/// Reusable solver state for one grid size; [`Solver::solve`] may be called many times.
pub(crate) struct Solver {
    width: usize,
    height: usize,
    domains: Vec<u8>,
    stack: Vec<u32>,
    /// `buckets[n]`: undecided cells with `n` tiles left (n >= 2), in insertion order.
    buckets: [Vec<u32>; MAX_KINDS + 1],
    /// Position of each cell in its bucket (`u32::MAX` when decided).
    slot: Vec<u32>,
}

impl Solver {
    pub(crate) fn new(width: usize, height: usize) -> Solver {
        let n = width * height;
        Solver {
            width,
            height,
            domains: vec![0; n],
            stack: Vec::with_capacity(n),
            buckets: Default::default(),
            slot: vec![u32::MAX; n],
        }
    }

    /// Collapses every cell of `initial` (one domain per cell, row-major) to a single tile
    /// consistent with `rules`, or reports a contradiction. On success every entry of
    /// [`Solver::domains`] has exactly one bit set.
    pub(crate) fn solve(
        &mut self,
        rules: &Rules,
        initial: &[u8],
        rng: &mut FloorRng,
    ) -> Result<(), Contradiction> {
        self.domains.clear();
        self.domains.extend_from_slice(initial);
        if self.domains.len() != self.width * self.height {
            return Err(Contradiction);
        }
        // Make the start arc-consistent: every cell is a change to propagate.
        self.stack.clear();
        for i in 0..self.domains.len() {
            if self.domains[i] == 0 {
                return Err(Contradiction);
            }
            self.stack.push(i as u32);
        }
        self.propagate(rules)?;
        for b in &mut self.buckets {
            b.clear();
        }
        self.slot.fill(u32::MAX);
        for i in 0..self.domains.len() {
            self.bucket_insert(i);
        }
        while let Some(cell) = self.pick_cell(rng) {
            let tile = pick_tile(rules, self.domains[cell], rng);
            self.bucket_remove(cell);
            self.domains[cell] = 1 << tile;
            self.stack.push(cell as u32);
            self.propagate(rules)?;
        }
        Ok(())
    }

    /// Collapsed domains (one bit each after a successful solve).
    pub(crate) fn domains(&self) -> &[u8] {
        &self.domains
    }

    /// Minimum remaining values: a random cell among those with the fewest tiles left.
    fn pick_cell(&mut self, rng: &mut FloorRng) -> Option<usize> {
        let bucket = self.buckets.iter().skip(2).find(|b| !b.is_empty())?;
        Some(bucket[rng.index(bucket.len())] as usize)
    }

    fn propagate(&mut self, rules: &Rules) -> Result<(), Contradiction> {
        while let Some(cell) = self.stack.pop() {
            let cell = cell as usize;
            let (x, y) = (cell % self.width, cell / self.width);
            let domain = self.domains[cell];
            for (dir, &(dx, dy)) in DIRS.iter().enumerate() {
                let (nx, ny) = (x as i32 + dx, y as i32 + dy);
                if nx < 0 || ny < 0 || nx as usize >= self.width || ny as usize >= self.height {
                    continue;
                }
                let n = ny as usize * self.width + nx as usize;
                let before = self.domains[n];
                let after = before & rules.allowed[dir][usize::from(domain)];
                if after == before {
                    continue;
                }
                if after == 0 {
                    return Err(Contradiction);
                }
                self.bucket_remove(n);
                self.domains[n] = after;
                self.bucket_insert(n);
                self.stack.push(n as u32);
            }
        }
        Ok(())
    }

    fn bucket_insert(&mut self, cell: usize) {
        let count = self.domains[cell].count_ones() as usize;
        if count >= 2 {
            self.slot[cell] = self.buckets[count].len() as u32;
            self.buckets[count].push(cell as u32);
        }
    }

    fn bucket_remove(&mut self, cell: usize) {
        let slot = self.slot[cell];
        if slot == u32::MAX {
            return;
        }
        let count = self.domains[cell].count_ones() as usize;
        let bucket = &mut self.buckets[count];
        bucket.swap_remove(slot as usize);
        if let Some(&moved) = bucket.get(slot as usize) {
            self.slot[moved as usize] = slot;
        }
        self.slot[cell] = u32::MAX;
    }
}

/// A tile of `domain`, drawn with the rules' integer weights (uniformly if they sum to 0).
fn pick_tile(rules: &Rules, domain: u8, rng: &mut FloorRng) -> usize {
    let members = || (0..rules.kinds).filter(move |&t| domain & (1 << t) != 0);
    let total: u32 = members().map(|t| rules.weights[t]).sum();
    if total == 0 {
        let k = rng.below(domain.count_ones());
        return members().nth(k as usize).unwrap_or(0);
    }
    let mut r = rng.below(total);
    for t in members() {
        if r < rules.weights[t] {
            return t;
        }
        r -= rules.weights[t];
    }
    members().next_back().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three kinds in a chain: 0 may touch 0 and 1, 1 anything, 2 may touch 1 and 2.
    fn chain_rules() -> Rules {
        Rules::new(&[1, 1, 1], |a, b, _| a.abs_diff(b) <= 1)
    }

    fn check_consistent(rules: &Rules, s: &Solver) {
        for y in 0..s.height {
            for x in 0..s.width {
                let d = s.domains[y * s.width + x];
                assert_eq!(d.count_ones(), 1, "cell ({x},{y}) not collapsed");
                for (dir, &(dx, dy)) in DIRS.iter().enumerate() {
                    let (nx, ny) = (x as i32 + dx, y as i32 + dy);
                    if nx < 0 || ny < 0 || nx as usize >= s.width || ny as usize >= s.height {
                        continue;
                    }
                    let nd = s.domains[ny as usize * s.width + nx as usize];
                    assert_ne!(rules.allowed[dir][usize::from(d)] & nd, 0);
                }
            }
        }
    }

    #[test]
    fn collapses_every_cell_consistently() {
        let rules = chain_rules();
        let mut s = Solver::new(20, 13);
        for attempt in 0..20 {
            let mut rng = FloorRng::new(9, 9, 20, 13, attempt);
            let initial = vec![rules.full(); 20 * 13];
            s.solve(&rules, &initial, &mut rng)
                .expect("chain rules never contradict");
            check_consistent(&rules, &s);
        }
    }

    #[test]
    fn propagation_forces_neighbours() {
        let rules = chain_rules();
        let mut s = Solver::new(3, 1);
        let mut rng = FloorRng::new(1, 1, 3, 1, 0);
        // 0 _ 2: the middle can only be 1.
        s.solve(&rules, &[0b001, 0b111, 0b100], &mut rng)
            .expect("solvable");
        assert_eq!(s.domains(), &[0b001, 0b010, 0b100]);
    }

    #[test]
    fn reports_contradictions() {
        let rules = chain_rules();
        let mut s = Solver::new(2, 1);
        let mut rng = FloorRng::new(1, 1, 2, 1, 0);
        assert_eq!(
            s.solve(&rules, &[0b001, 0b100], &mut rng),
            Err(Contradiction)
        );
        assert_eq!(
            s.solve(&rules, &[0b000, 0b100], &mut rng),
            Err(Contradiction)
        );
    }

    #[test]
    fn zero_weight_tiles_are_only_taken_when_forced() {
        let rules = Rules::new(&[1, 0], |_, _, _| true);
        let mut s = Solver::new(8, 8);
        let mut rng = FloorRng::new(3, 3, 8, 8, 0);
        s.solve(&rules, &[0b11; 64], &mut rng).expect("solvable");
        assert!(s.domains().iter().all(|&d| d == 0b01));
    }
}
