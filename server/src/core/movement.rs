//! LOCAL ADAPTER until `tower-movement` exposes its `step`: fixed-point movement with
//! collision against the floor's walls (1 tile = 256 units, integer math only). The server
//! is authoritative, so a small difference from the client's predictor only shows up as a
//! correction; swap the body for `tower_movement::step` once that crate lands.

use procgen::Floor;

/// Movement units per tile.
pub const UNITS_PER_TILE: i32 = 256;

/// A position in movement units; tile `(tx, ty)` spans `[tx*256, tx*256+255]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Pos {
    pub x: i32,
    pub y: i32,
}

impl Pos {
    /// The centre of tile `(tx, ty)`.
    pub fn tile_center(tx: u16, ty: u16) -> Pos {
        Pos {
            x: i32::from(tx) * UNITS_PER_TILE + UNITS_PER_TILE / 2,
            y: i32::from(ty) * UNITS_PER_TILE + UNITS_PER_TILE / 2,
        }
    }

    pub fn tile(self) -> (i32, i32) {
        (self.x.div_euclid(UNITS_PER_TILE), self.y.div_euclid(UNITS_PER_TILE))
    }

    pub fn distance_sq(self, other: Pos) -> i64 {
        let dx = i64::from(self.x) - i64::from(other.x);
        let dy = i64::from(self.y) - i64::from(other.y);
        dx * dx + dy * dy
    }
}

/// A movement direction, each axis clamped to `-127..=127`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Dir {
    pub x: i8,
    pub y: i8,
}

impl Dir {
    pub fn new(x: i8, y: i8) -> Dir {
        Dir { x: x.max(-127), y: y.max(-127) }
    }

    pub fn is_zero(self) -> bool {
        self.x == 0 && self.y == 0
    }
}

/// Units per tick of a player at 30 Hz: 4 tiles per second.
pub const PLAYER_SPEED: i32 = 34;

fn walkable(floor: &Floor, p: Pos) -> bool {
    let (tx, ty) = p.tile();
    floor.is_walkable(tx, ty)
}

/// One tick of movement at `speed` units per tick. Each axis moves separately so a player
/// slides along walls; a move into a wall tile on an axis is cancelled on that axis.
/// Diagonals are scaled by 181/256 (≈ 1/√2) so they are not faster.
pub fn step(floor: &Floor, pos: Pos, dir: Dir, speed: i32) -> Pos {
    let dir = Dir::new(dir.x, dir.y);
    let mut dx = speed * i32::from(dir.x) / 127;
    let mut dy = speed * i32::from(dir.y) / 127;
    if dx != 0 && dy != 0 {
        dx = dx * 181 / 256;
        dy = dy * 181 / 256;
    }
    let mut p = pos;
    let try_x = Pos { x: p.x + dx, y: p.y };
    if walkable(floor, try_x) {
        p = try_x;
    }
    let try_y = Pos { x: p.x, y: p.y + dy };
    if walkable(floor, try_y) {
        p = try_y;
    }
    p
}

/// The direction (clamped to ±127 per axis) that moves from `from` toward `to`.
pub fn dir_toward(from: Pos, to: Pos) -> Dir {
    let dx = i64::from(to.x) - i64::from(from.x);
    let dy = i64::from(to.y) - i64::from(from.y);
    let m = dx.abs().max(dy.abs());
    if m == 0 {
        return Dir::default();
    }
    let c = |d: i64| i8::try_from(d * 127 / m).unwrap_or(0);
    Dir::new(c(dx), c(dy))
}
