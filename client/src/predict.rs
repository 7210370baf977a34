//! Client-side prediction of the own player, reconciled against the server.
//!
//! Each local tick applies the held input with the shared movement code and remembers it.
//! A snapshot names the newest input the server applied and the authoritative position
//! after it: the client takes that position and replays the inputs the server has not
//! applied yet. As both sides run the same integer movement on the same floor, the replay
//! normally reproduces the prediction exactly; a difference is counted as a correction.

use std::collections::VecDeque;
use tower_movement::{MoveInput, MoveParams, Pos, Walkable, step_with};
use tower_protocol::{Buttons, InputCmd};

/// Unacknowledged inputs kept for replay (4 s at 30 Hz); older ones are dropped.
pub const MAX_PENDING: usize = 128;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Pending {
    seq: u32,
    cmd: InputCmd,
}

/// Client-side prediction of the own player: applies inputs at once with the shared
/// movement code and replays the unacknowledged ones on each authoritative position.
#[derive(Debug)]
pub struct Predictor {
    params: MoveParams,
    pos: Option<Pos>,
    next_seq: u32,
    pending: VecDeque<Pending>,
    last_applied_by_server: u32,
    corrections: u64,
}

impl Predictor {
    /// A predictor with no position yet (placed at floor admission).
    pub fn new(params: MoveParams) -> Self {
        Self {
            params,
            pos: None,
            next_seq: 1,
            pending: VecDeque::new(),
            last_applied_by_server: 0,
            corrections: 0,
        }
    }

    /// Places the player (floor admission); forgets unacknowledged inputs.
    pub fn reset(&mut self, pos: Pos) {
        self.pos = Some(pos);
        self.pending.clear();
    }

    /// The predicted position, once placed.
    pub fn position(&self) -> Option<Pos> {
        self.pos
    }

    /// Reconciliations that moved the prediction (mispredictions) so far.
    pub fn corrections(&self) -> u64 {
        self.corrections
    }

    /// Applies one tick of input; returns its seq. Does nothing without a position.
    /// `render_tick` is the server tick being drawn (sent with an attack).
    pub fn apply(
        &mut self,
        grid: &impl Walkable,
        input: MoveInput,
        buttons: Buttons,
        render_tick: u32,
    ) -> Option<u32> {
        let pos = self.pos?;
        let next = step_with(grid, &self.params, pos, input);
        let seq = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(1).max(1);
        self.pos = Some(next);
        let cmd = InputCmd {
            move_x: input.x,
            move_y: input.y,
            buttons,
            predicted_x: next.x,
            predicted_y: next.y,
            render_tick: if buttons.attack() { render_tick } else { 0 },
        };
        self.pending.push_back(Pending { seq, cmd });
        while self.pending.len() > MAX_PENDING {
            self.pending.pop_front();
        }
        Some(seq)
    }

    /// The seq of the newest input taken, acknowledged or not.
    pub fn last_seq(&self) -> Option<u32> {
        self.next_seq.checked_sub(1).filter(|s| *s > 0)
    }

    /// The newest `n` unacknowledged inputs, newest first, with the seq of the first; for the datagram.
    pub fn recent(&self, n: usize) -> Option<(u32, Vec<InputCmd>)> {
        let newest = self.pending.back()?.seq;
        let cmds = self.pending.iter().rev().take(n).map(|p| p.cmd).collect();
        Some((newest, cmds))
    }

    /// Takes the server's position after input `last_applied` and replays newer inputs.
    pub fn reconcile(&mut self, grid: &impl Walkable, last_applied: u32, server: Pos) {
        if self.pos.is_none() || last_applied < self.last_applied_by_server {
            return;
        }
        self.last_applied_by_server = last_applied;
        let mut predicted_there = None;
        while let Some(p) = self.pending.front().copied() {
            if p.seq > last_applied {
                break;
            }
            if p.seq == last_applied {
                predicted_there = Some(Pos::new(p.cmd.predicted_x, p.cmd.predicted_y));
            }
            self.pending.pop_front();
        }
        if predicted_there.is_some_and(|p| p != server) {
            self.corrections += 1;
        }
        let mut pos = server;
        for p in &mut self.pending {
            pos = step_with(
                grid,
                &self.params,
                pos,
                MoveInput::new(p.cmd.move_x, p.cmd.move_y),
            );
            p.cmd.predicted_x = pos.x;
            p.cmd.predicted_y = pos.y;
        }
        self.pos = Some(pos);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    struct Open;
    impl Walkable for Open {
        fn is_walkable(&self, _: i32, _: i32) -> bool {
            true
        }
    }

    #[test]
    fn replays_unacked_inputs() {
        let mut p = Predictor::new(MoveParams::default());
        assert_eq!(
            p.apply(&Open, MoveInput::new(127, 0), Buttons::default(), 0),
            None
        );
        p.reset(Pos::new(1000, 1000));
        for _ in 0..5 {
            p.apply(&Open, MoveInput::new(127, 0), Buttons::default(), 0);
        }
        assert_eq!(p.position(), Some(Pos::new(1000 + 5 * 34, 1000)));
        let (newest, cmds) = p.recent(4).unwrap();
        assert_eq!((newest, cmds.len()), (5, 4));
        // server agrees with input 2
        p.reconcile(&Open, 2, Pos::new(1068, 1000));
        assert_eq!(p.position(), Some(Pos::new(1000 + 5 * 34, 1000)));
        assert_eq!(p.corrections(), 0);
        // server corrected input 3 (e.g. it was blocked): replay 4 and 5 from there
        p.reconcile(&Open, 3, Pos::new(1068, 1000));
        assert_eq!(p.position(), Some(Pos::new(1068 + 2 * 34, 1000)));
        assert_eq!(p.corrections(), 1);
        // a stale snapshot is ignored
        p.reconcile(&Open, 1, Pos::new(0, 0));
        assert_eq!(p.position(), Some(Pos::new(1068 + 2 * 34, 1000)));
    }

    #[test]
    fn pending_is_bounded() {
        let mut p = Predictor::new(MoveParams::default());
        p.reset(Pos::new(0, 0));
        for _ in 0..MAX_PENDING + 10 {
            p.apply(&Open, MoveInput::STOP, Buttons::default(), 0);
        }
        assert_eq!(p.pending.len(), MAX_PENDING);
    }
}
