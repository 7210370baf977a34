//! Lag compensation for player attacks: a few ticks of where each floor's monsters were
//! (as the snapshots of those ticks showed them), and the bounded rewind an attack gets.
//!
//! A client draws the world `interp_delay` behind the newest snapshot, and its attack
//! reaches the server half a round trip later; judged against the present, a monster the
//! player saw in reach has long moved on. So an attack carries the tick its client was
//! drawing, and is judged against the monsters' positions at that tick, at most
//! [`MAX_REWIND`] back (a lagging or lying client cannot reach further into the past).

use crate::core::movement::Pos;
use bevy_ecs::entity::Entity;
use std::collections::VecDeque;
use std::time::Duration;

/// The furthest back an attack is judged.
pub const MAX_REWIND: Duration = Duration::from_millis(200);

/// [`MAX_REWIND`] in ticks at `tick_rate_hz` (rounded down).
pub fn max_rewind_ticks(tick_rate_hz: u32) -> u32 {
    let ms = u32::try_from(MAX_REWIND.as_millis()).unwrap_or(u32::MAX);
    tick_rate_hz.saturating_mul(ms) / 1000
}

/// The tick an attack is judged at: the one its client claims to have drawn, clamped to
/// `[newest - max_rewind, newest]`, where `newest` is the newest recorded tick.
pub fn judged_tick(claimed: u32, newest: u32, max_rewind: u32) -> u32 {
    claimed.clamp(newest.saturating_sub(max_rewind), newest)
}

/// One recorded monster: the ECS entity (to apply the hit), its net id and position.
pub type Placed = (Entity, u32, Pos);

/// Per floor: the monsters' positions at the end of each of the last ticks, oldest first.
#[derive(Debug, Default)]
pub struct PosHistory {
    ticks: VecDeque<(u32, Vec<Placed>)>,
}

impl PosHistory {
    /// Records the end of `tick`, keeping `keep` ticks at most.
    pub fn record(&mut self, tick: u32, monsters: Vec<Placed>, keep: usize) {
        self.ticks.push_back((tick, monsters));
        while self.ticks.len() > keep.max(1) {
            self.ticks.pop_front();
        }
    }

    /// The newest recorded tick.
    pub fn newest(&self) -> Option<u32> {
        self.ticks.back().map(|(t, _)| *t)
    }

    /// The monsters at `tick`: the newest record at or before it, else the oldest one.
    pub fn at(&self, tick: u32) -> &[Placed] {
        self.ticks
            .iter()
            .rev()
            .find(|(t, _)| *t <= tick)
            .or(self.ticks.front())
            .map_or(&[], |(_, m)| m.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewind_is_clamped_to_the_limit_and_the_present() {
        assert_eq!(max_rewind_ticks(30), 6);
        assert_eq!(max_rewind_ticks(60), 12);
        assert_eq!(judged_tick(95, 100, 6), 95);
        assert_eq!(
            judged_tick(10, 100, 6),
            94,
            "a claim too far back is clamped"
        );
        assert_eq!(judged_tick(500, 100, 6), 100, "the future is the present");
        assert_eq!(judged_tick(0, 3, 6), 0);
    }

    #[test]
    fn history_keeps_the_last_ticks_and_finds_the_one_at_or_before() {
        let e = Entity::from_raw_u32(1).expect("a valid index");
        let mut h = PosHistory::default();
        assert!(h.at(5).is_empty());
        for t in 1..=10 {
            h.record(t, vec![(e, 7, Pos { x: t as i32, y: 0 })], 4);
        }
        assert_eq!(h.newest(), Some(10));
        assert_eq!(h.at(9)[0].2.x, 9);
        assert_eq!(h.at(100)[0].2.x, 10);
        assert_eq!(h.at(2)[0].2.x, 7, "older than kept: the oldest kept");
    }
}
