//! Movement as the core uses it: `tower-movement` (the same fixed-point code the client
//! predicts with; 1 tile = 256 units) plus the few helpers the rules need.

use procgen::Floor;
pub use tower_movement::{
    MoveInput, MoveParams, PLAYER_RADIUS, PLAYER_SPEED_PER_TICK, Pos, SUBTILE,
};

/// The centre of tile `(tx, ty)`.
pub fn tile_center(tx: u16, ty: u16) -> Pos {
    Pos::tile_center(i32::from(tx), i32::from(ty))
}

/// One tick of movement of a body with `params` (collision box against the floor's walls).
pub fn step(floor: &Floor, pos: Pos, dir: MoveInput, params: &MoveParams) -> Pos {
    tower_movement::step_with(floor, params, pos, dir)
}

/// The direction (at most ±127 per axis) that moves from `from` toward `to`.
pub fn dir_toward(from: Pos, to: Pos) -> MoveInput {
    let dx = i64::from(to.x) - i64::from(from.x);
    let dy = i64::from(to.y) - i64::from(from.y);
    let m = dx.abs().max(dy.abs());
    if m == 0 {
        return MoveInput::STOP;
    }
    let c = |d: i64| i8::try_from(d * 127 / m).unwrap_or(0);
    MoveInput::new(c(dx), c(dy))
}
