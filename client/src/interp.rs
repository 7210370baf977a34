//! The interpolation buffer: recent snapshot states by server tick, sampled at a render
//! tick a little in the past so that remote entities move smoothly between updates.
//!
//! Visual error smoothing: mid and far tier entities are dead-reckoned between refreshes,
//! so a refresh after a turn or a stop moves an entity's path in one jump. Where a state
//! lands far from where the path so far was heading (its [`Correction`]), the drawn
//! position keeps heading there and then converges on the new path at a bounded speed,
//! instead of jumping within one tick. Jumps beyond [`SNAP_ABOVE`] (respawn, teleport) are
//! drawn as they are.

use std::collections::VecDeque;
use tower_movement::{PLAYER_SPEED_PER_TICK, SUBTILE};
use tower_protocol::{EntityFlags, EntityKind, EntitySet, EntityState};

/// Snapshots kept (about one second at 30 Hz).
pub const INTERP_CAPACITY: usize = 32;

/// One entity as it should be drawn now. Positions are in tiles (1.0 = one tile), with the
/// fraction from interpolation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EntityView {
    /// Network id (players: see the roster for names).
    pub id: u32,
    /// Player or monster.
    pub kind: EntityKind,
    /// X position (tile columns), tiles.
    pub x: f32,
    /// Y position (tile rows), tiles.
    pub y: f32,
    /// Current health (0: dead).
    pub health: u16,
    /// Status bits (attacking, dead, hurt, in combat).
    pub flags: EntityFlags,
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
        }
    }
    fn exact(e: &EntityState) -> Self {
        Self::at(e, f64::from(e.x), f64::from(e.y))
    }
}

/// Corrections up to this (movement units) are drawn as they come: a walker reversing in
/// the near tier (refreshed every tick) moves this much against its previous heading.
pub const SMOOTH_ABOVE: f64 = 2.0 * PLAYER_SPEED_PER_TICK as f64;
/// Corrections beyond this (6 tiles) are a respawn or a teleport, not an error: drawn as a jump.
pub const SNAP_ABOVE: f64 = 6.0 * SUBTILE as f64;
/// How fast a smoothed error shrinks, in movement units per tick: twice walking speed, so
/// that a walker being corrected moves at most ~0.2 tile per 60 Hz frame.
pub const SMOOTH_RATE: f64 = 2.0 * PLAYER_SPEED_PER_TICK as f64;
/// The shortest time (ticks) over which an error is smoothed away.
pub const SMOOTH_MIN_TICKS: f64 = 4.0;

/// How far one entity's state at a tick lies from where its path so far was heading.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Correction {
    pub id: u32,
    /// Heading minus new state, movement units.
    pub dx: f64,
    pub dy: f64,
    /// Ticks from the previous state to this one.
    pub span: f64,
}

impl Correction {
    /// The correction of `cur` (at tick `t2`) against the path through `before` (tick `t0`)
    /// and `prev` (tick `t1`); `None` if small enough to draw as is, so large that it is a
    /// jump, or without a `before`.
    pub fn between(
        before: Option<(f64, &EntityState)>,
        (t1, prev): (f64, &EntityState),
        (t2, cur): (f64, &EntityState),
    ) -> Option<Self> {
        let span = t2 - t1;
        if prev.kind != cur.kind || span <= 0.0 {
            return None;
        }
        // without an earlier state the heading is unknown: nothing to hold on to
        let (t0, b) = before.filter(|(t0, b)| b.kind == cur.kind && t1 > *t0)?;
        let vx = (f64::from(prev.x) - f64::from(b.x)) / (t1 - t0);
        let vy = (f64::from(prev.y) - f64::from(b.y)) / (t1 - t0);
        let dx = f64::from(prev.x) + vx * span - f64::from(cur.x);
        let dy = f64::from(prev.y) + vy * span - f64::from(cur.y);
        let size = dx.hypot(dy);
        (size > SMOOTH_ABOVE && size <= SNAP_ABOVE).then_some(Correction {
            id: cur.id,
            dx,
            dy,
            span,
        })
    }

    /// The share of this correction still drawn `x` ticks after its state (negative:
    /// before): growing from 0 to 1 over the span from the previous state, so the drawn
    /// path keeps its heading, then shrinking to 0 at [`SMOOTH_RATE`], over at least
    /// [`SMOOTH_MIN_TICKS`].
    pub fn weight(&self, x: f64) -> f64 {
        if x <= -self.span {
            0.0
        } else if x <= 0.0 {
            1.0 + x / self.span
        } else {
            (1.0 - x / self.duration()).max(0.0)
        }
    }

    /// Ticks after its state until this correction is smoothed away.
    pub fn duration(&self) -> f64 {
        (self.dx.hypot(self.dy) / SMOOTH_RATE).max(SMOOTH_MIN_TICKS)
    }
}

/// One buffered state and the corrections it brought.
#[derive(Debug)]
struct Slot {
    seq: u32,
    entities: EntitySet,
    corrections: Vec<Correction>,
}

/// The last [`INTERP_CAPACITY`] snapshot states, sorted by tick, with the visual
/// corrections each one brought.
#[derive(Debug, Default)]
pub struct InterpBuffer {
    states: VecDeque<Slot>,
}

impl InterpBuffer {
    /// Adds the state of tick `seq` (out-of-order arrivals are put in place; duplicates
    /// and states older than the whole buffer are ignored).
    pub fn push(&mut self, seq: u32, entities: EntitySet) {
        if self.states.len() == INTERP_CAPACITY && self.states.front().is_some_and(|s| seq < s.seq)
        {
            return;
        }
        let i = match self.states.binary_search_by_key(&seq, |s| s.seq) {
            Ok(_) => return,
            Err(i) => i,
        };
        self.states.insert(
            i,
            Slot {
                seq,
                entities,
                corrections: Vec::new(),
            },
        );
        // this state and the two after it are judged against the path through it; a
        // state after those only through its predecessor's corrections
        for j in i..self.states.len() {
            let corrections = self.corrections_at(j);
            if j >= i + 2 && corrections == self.states[j].corrections {
                break;
            }
            self.states[j].corrections = corrections;
        }
        while self.states.len() > INTERP_CAPACITY {
            self.states.pop_front();
        }
    }

    fn corrections_at(&self, j: usize) -> Vec<Correction> {
        let Some(prev) = j.checked_sub(1).map(|p| &self.states[p]) else {
            return Vec::new();
        };
        let before = j.checked_sub(2).map(|b| &self.states[b]);
        let cur = &self.states[j];
        let tick = |s: &Slot| f64::from(s.seq);
        cur.entities
            .iter()
            .filter_map(|e| {
                // a path that was just corrected has no heading yet to hold on to
                if prev.corrections.iter().any(|c| c.id == e.id) {
                    return None;
                }
                let p = prev.entities.get(e.id)?;
                let b = before.and_then(|b| Some((tick(b), b.entities.get(e.id)?)));
                Correction::between(b, (tick(prev), p), (tick(cur), e))
            })
            .collect()
    }

    /// Forgets every state (a new floor).
    pub fn clear(&mut self) {
        self.states.clear();
    }

    /// The newest tick held.
    pub fn newest_seq(&self) -> Option<u32> {
        self.states.back().map(|s| s.seq)
    }

    /// Entities at fractional server tick `t`, as they should be drawn: [`Self::sample_raw`]
    /// with the corrections around `t` smoothed in.
    pub fn sample(&self, t: f64, max_extrapolation: f64) -> Vec<EntityView> {
        let mut views = self.sample_raw(t, max_extrapolation);
        let s = f64::from(SUBTILE);
        // past the newest state, a path just corrected has no heading to extrapolate
        // along (the last step is the jump itself): it is held at its newest position
        if let Some(newest) = self.states.back()
            && t > f64::from(newest.seq)
        {
            for c in &newest.corrections {
                if let (Ok(i), Some(e)) = (
                    views.binary_search_by_key(&c.id, |v| v.id),
                    newest.entities.get(c.id),
                ) {
                    views[i] = EntityView::exact(e);
                }
            }
        }
        for slot in &self.states {
            for c in &slot.corrections {
                let w = c.weight(t - f64::from(slot.seq));
                if w == 0.0 {
                    continue;
                }
                // views come in id order, like the entity sets they are made from
                if let Ok(i) = views.binary_search_by_key(&c.id, |v| v.id) {
                    views[i].x += (c.dx * w / s) as f32;
                    views[i].y += (c.dy * w / s) as f32;
                }
            }
        }
        views
    }

    /// Entities at fractional server tick `t` as the states say: interpolated between the
    /// two states around it, extrapolated at most `max_extrapolation` ticks past the
    /// newest, clamped to the oldest before it.
    pub fn sample_raw(&self, t: f64, max_extrapolation: f64) -> Vec<EntityView> {
        let Some(newest) = self.states.back() else {
            return Vec::new();
        };
        let newest_t = f64::from(newest.seq);
        if t >= newest_t {
            let ahead = (t - newest_t).min(max_extrapolation.max(0.0));
            let prev = self.states.len().checked_sub(2).map(|i| &self.states[i]);
            return match prev {
                Some(prev) if ahead > 0.0 => {
                    let span = newest_t - f64::from(prev.seq);
                    lerp_sets(&prev.entities, &newest.entities, (span + ahead) / span)
                }
                _ => newest.entities.iter().map(EntityView::exact).collect(),
            };
        }
        let i = self.states.partition_point(|s| f64::from(s.seq) <= t);
        if i == 0 {
            return self.states[0]
                .entities
                .iter()
                .map(EntityView::exact)
                .collect();
        }
        let (a, b) = (&self.states[i - 1], &self.states[i]);
        let alpha = (t - f64::from(a.seq)) / (f64::from(b.seq) - f64::from(a.seq));
        lerp_sets(&a.entities, &b.entities, alpha)
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

    /// A buffer with entity 1 at `x` (movement units) at each listed tick.
    fn path(points: &[(u32, i32)]) -> InterpBuffer {
        let mut b = InterpBuffer::default();
        for &(seq, x) in points {
            b.push(seq, set(x));
        }
        b
    }

    /// Largest move of entity 1 between two 60 Hz frames (half ticks at 30 Hz) from tick
    /// 0 to 30, in tiles.
    fn largest_frame_move(sample: impl Fn(f64) -> Vec<EntityView>) -> f32 {
        let xs: Vec<f32> = (0..=60).map(|f| sample(f64::from(f) / 2.0)[0].x).collect();
        xs.windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(0.0, f32::max)
    }

    /// A mid-tier walker turned back at tick 3 but dead-reckoned onward until its refresh
    /// at tick 6, which puts it back at 0 walking the other way.
    fn turned_walker_points() -> Vec<(u32, i32)> {
        let v = PLAYER_SPEED_PER_TICK;
        (0..=30)
            .map(|t| {
                (
                    t,
                    if t <= 5 {
                        v * t as i32
                    } else {
                        v * (6 - t as i32)
                    },
                )
            })
            .collect()
    }

    #[test]
    fn a_refresh_far_from_the_dead_reckoned_path_is_smoothed_not_jumped() {
        let b = path(&turned_walker_points());
        let raw = largest_frame_move(|t| b.sample_raw(t, 0.0));
        let drawn = largest_frame_move(|t| b.sample(t, 0.0));
        assert!(raw > 0.25, "the raw path jumps: {raw}");
        // at most the smoothing rate and walking speed, half a tick each
        let bound = (SMOOTH_RATE + f64::from(PLAYER_SPEED_PER_TICK)) / 2.0 / f64::from(SUBTILE);
        assert!(
            f64::from(drawn) <= bound + 1e-6,
            "drawn moves {drawn} a frame"
        );
        // and it converges on the authoritative path in bounded time
        let c = b.states[6].corrections[0];
        assert_eq!(c.id, 1);
        assert!((c.dx - 6.0 * f64::from(PLAYER_SPEED_PER_TICK)).abs() < 1e-9);
        let done = 6.0 + c.duration();
        assert!(done <= 6.0 + SNAP_ABOVE / SMOOTH_RATE);
        assert_eq!(b.sample(done, 0.0), b.sample_raw(done, 0.0));
        assert_eq!(b.sample(3.0, 0.0), b.sample_raw(3.0, 0.0), "before it");
        // until the refresh, the drawn path keeps its heading
        let v = f64::from(PLAYER_SPEED_PER_TICK) / f64::from(SUBTILE);
        assert!((f64::from(b.sample(5.5, 0.0)[0].x) - 5.5 * v).abs() < 1e-5);
    }

    #[test]
    fn past_a_corrected_newest_state_the_entity_is_not_extrapolated_along_the_jump() {
        let b = path(&turned_walker_points()[..=6]);
        let bound = (SMOOTH_RATE + f64::from(PLAYER_SPEED_PER_TICK)) / 2.0 / f64::from(SUBTILE);
        let at = |t: f64| f64::from(b.sample(t, 4.0)[0].x);
        assert!((at(6.0) - at(6.5)).abs() <= bound + 1e-6);
        assert!((at(6.5) - at(7.0)).abs() <= bound + 1e-6);
        let raw = |t: f64| f64::from(b.sample_raw(t, 4.0)[0].x);
        assert!(
            (raw(6.0) - raw(6.5)).abs() > 0.25,
            "the raw path extrapolates the jump"
        );
    }

    #[test]
    fn an_out_of_order_refresh_is_smoothed_the_same() {
        let points = turned_walker_points();
        let b = path(&points);
        let mut shuffled = points.clone();
        shuffled.swap(6, 8); // tick 6, the refresh, arrives after 7 and 8
        let c = path(&shuffled);
        for f in 0..=60 {
            let t = f64::from(f) / 2.0;
            assert_eq!(b.sample(t, 0.0), c.sample(t, 0.0), "tick {t}");
        }
    }

    #[test]
    fn a_teleport_and_a_near_tier_reversal_are_drawn_as_they_are() {
        let v = PLAYER_SPEED_PER_TICK;
        let far = SNAP_ABOVE as i32 + SUBTILE;
        let teleport = path(&[(0, 0), (1, v), (2, 2 * v), (3, far), (4, far)]);
        let reversal = path(&[(0, 0), (1, v), (2, 2 * v), (3, v), (4, 0)]);
        for b in [teleport, reversal] {
            assert!(b.states.iter().all(|s| s.corrections.is_empty()));
            for f in 0..=10 {
                let t = f64::from(f) / 2.0;
                assert_eq!(b.sample(t, 0.0), b.sample_raw(t, 0.0));
            }
        }
    }

    #[test]
    fn a_correction_fades_in_over_its_span_and_out_in_bounded_time() {
        let c = Correction {
            id: 1,
            dx: 0.0,
            dy: 10.0 * SMOOTH_RATE,
            span: 2.0,
        };
        assert_eq!(c.weight(-2.0), 0.0);
        assert_eq!(c.weight(-1.0), 0.5);
        assert_eq!(c.weight(0.0), 1.0);
        assert_eq!(c.duration(), 10.0);
        assert_eq!(c.weight(5.0), 0.5);
        assert_eq!(c.weight(10.0), 0.0);
        assert_eq!(c.weight(99.0), 0.0);
        let small = Correction { dy: 1.0, ..c };
        assert_eq!(small.duration(), SMOOTH_MIN_TICKS);
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
