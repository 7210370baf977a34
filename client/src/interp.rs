//! The interpolation buffer: recent snapshot states by server tick, sampled at a render
//! tick a little in the past so that remote entities move smoothly between updates.

use std::collections::VecDeque;
use tower_movement::SUBTILE;
use tower_protocol::{EntityFlags, EntityKind, EntitySet, EntityState};

/// Snapshots kept (about one second at 30 Hz).
pub const INTERP_CAPACITY: usize = 32;

/// One entity as it should be drawn now. Positions are in tiles (1.0 = one tile), with the
/// fraction from interpolation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EntityView {
    pub id: u32,
    pub kind: EntityKind,
    pub x: f32,
    pub y: f32,
    pub health: u16,
    pub flags: EntityFlags,
    pub guild: u16,
}

impl EntityView {
    fn at(e: &EntityState, x: f64, y: f64) -> Self {
        let s = f64::from(SUBTILE);
        EntityView {
            id: e.id,
            kind: e.kind,
            x: (x / s) as f32,
            y: (y / s) as f32,
            health: e.health,
            flags: e.flags,
            guild: e.guild,
        }
    }
    fn exact(e: &EntityState) -> Self {
        Self::at(e, f64::from(e.x), f64::from(e.y))
    }
}

#[derive(Debug, Default)]
pub struct InterpBuffer {
    states: VecDeque<(u32, EntitySet)>,
}

impl InterpBuffer {
    /// Adds the state of tick `seq` (out-of-order arrivals are put in place; duplicates
    /// and states older than the whole buffer are ignored).
    pub fn push(&mut self, seq: u32, entities: EntitySet) {
        if self.states.len() == INTERP_CAPACITY
            && self.states.front().is_some_and(|(s, _)| seq < *s)
        {
            return;
        }
        match self.states.binary_search_by_key(&seq, |(s, _)| *s) {
            Ok(_) => return,
            Err(i) => self.states.insert(i, (seq, entities)),
        }
        while self.states.len() > INTERP_CAPACITY {
            self.states.pop_front();
        }
    }

    pub fn clear(&mut self) {
        self.states.clear();
    }

    pub fn newest_seq(&self) -> Option<u32> {
        self.states.back().map(|(s, _)| *s)
    }

    /// Entities at fractional server tick `t`: interpolated between the two states around
    /// it, extrapolated at most `max_extrapolation` ticks past the newest, clamped to the
    /// oldest before it.
    pub fn sample(&self, t: f64, max_extrapolation: f64) -> Vec<EntityView> {
        let Some((newest_seq, newest)) = self.states.back() else {
            return Vec::new();
        };
        let newest_t = f64::from(*newest_seq);
        if t >= newest_t {
            let ahead = (t - newest_t).min(max_extrapolation.max(0.0));
            let prev = self.states.len().checked_sub(2).map(|i| &self.states[i]);
            return match prev {
                Some((prev_seq, prev)) if ahead > 0.0 => {
                    let span = newest_t - f64::from(*prev_seq);
                    lerp_sets(prev, newest, (span + ahead) / span)
                }
                _ => newest.iter().map(EntityView::exact).collect(),
            };
        }
        let i = self.states.partition_point(|(s, _)| f64::from(*s) <= t);
        if i == 0 {
            return self.states[0].1.iter().map(EntityView::exact).collect();
        }
        let (s0, a) = &self.states[i - 1];
        let (s1, b) = &self.states[i];
        let alpha = (t - f64::from(*s0)) / (f64::from(*s1) - f64::from(*s0));
        lerp_sets(a, b, alpha)
    }
}

/// Entities of `b`, positions at `a + (b - a) * alpha` for those also in `a` (alpha > 1
/// extrapolates). Non-position fields come from `b`.
fn lerp_sets(a: &EntitySet, b: &EntitySet, alpha: f64) -> Vec<EntityView> {
    b.iter()
        .map(|e| match a.get(e.id) {
            Some(p) if p.kind == e.kind => {
                let x = f64::from(p.x) + (f64::from(e.x) - f64::from(p.x)) * alpha;
                let y = f64::from(p.y) + (f64::from(e.y) - f64::from(p.y)) * alpha;
                EntityView::at(e, x, y)
            }
            _ => EntityView::exact(e),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(x: i32) -> EntitySet {
        EntitySet::from_vec(vec![EntityState {
            id: 1,
            kind: EntityKind::Monster,
            x,
            y: 0,
            health: 1,
            flags: EntityFlags::default(),
            guild: 0,
        }])
    }

    #[test]
    fn interpolates_extrapolates_and_clamps() {
        let mut b = InterpBuffer::default();
        assert!(b.sample(1.0, 3.0).is_empty());
        b.push(10, set(0));
        b.push(12, set(512));
        b.push(11, set(256)); // out of order
        b.push(11, set(9999)); // duplicate ignored
        assert_eq!(b.sample(10.5, 3.0)[0].x, 0.5);
        assert_eq!(b.sample(11.0, 3.0)[0].x, 1.0);
        assert_eq!(b.sample(9.0, 3.0)[0].x, 0.0, "before the oldest: oldest");
        assert_eq!(b.sample(13.0, 3.0)[0].x, 3.0, "extrapolated one tick");
        assert_eq!(b.sample(100.0, 3.0)[0].x, 5.0, "extrapolation is bounded");
        assert_eq!(b.sample(100.0, 0.0)[0].x, 2.0);
    }

    #[test]
    fn bounded() {
        let mut b = InterpBuffer::default();
        for s in 1..100 {
            b.push(s, set(0));
        }
        b.push(2, set(0));
        assert_eq!(b.states.len(), INTERP_CAPACITY);
        assert_eq!(b.newest_seq(), Some(99));
    }
}
