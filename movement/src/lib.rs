//! Shared movement and collision in fixed point, run identically by server and client
//! (prediction): the same `(grid, pos, input)` gives the same next position on every
//! machine. Integer arithmetic only; no floats, no clock, no I/O.
//!
//! Units: 1 tile = [`SUBTILE`] = 256 units. A position is the centre of the player's
//! square collision box (half-size [`PLAYER_RADIUS`]). Tile `(tx, ty)` covers units
//! `[tx*256, tx*256+255]` on each axis.
#![deny(clippy::float_arithmetic)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

/// Movement units per tile.
pub const SUBTILE: i32 = 256;
/// The tick rate the default constants are for.
pub const DEFAULT_TICK_HZ: u32 = 30;
/// Player speed: 4 tiles per second.
pub const PLAYER_SPEED_UNITS_PER_SEC: i32 = 4 * SUBTILE;
/// Player speed per tick at [`DEFAULT_TICK_HZ`] (1024 / 30 = 34 units, 3.98 tiles/s).
pub const PLAYER_SPEED_PER_TICK: i32 = PLAYER_SPEED_UNITS_PER_SEC / DEFAULT_TICK_HZ as i32;
/// Half the side of the player's square collision box (0.3 tile).
pub const PLAYER_RADIUS: i32 = 77;
/// Largest axis value of a direction; `(127, 0)` is full speed east.
pub const DIR_MAX: i32 = 127;

/// Anything with walkable and blocked tiles. Out-of-grid tiles must be blocked.
pub trait Walkable {
    /// Whether tile `(tx, ty)` may be stood on; `false` outside the grid.
    fn is_walkable(&self, tx: i32, ty: i32) -> bool;
}

impl Walkable for procgen::Floor {
    fn is_walkable(&self, tx: i32, ty: i32) -> bool {
        procgen::Floor::is_walkable(self, tx, ty)
    }
}

/// A position in movement units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Pos {
    /// Column axis, movement units (256 per tile).
    pub x: i32,
    /// Row axis, movement units.
    pub y: i32,
}

impl Pos {
    /// The position `(x, y)` in movement units.
    pub const fn new(x: i32, y: i32) -> Self {
        Self { x, y }
    }
    /// The centre of tile `(tx, ty)`.
    pub const fn tile_center(tx: i32, ty: i32) -> Self {
        Self {
            x: tx * SUBTILE + SUBTILE / 2,
            y: ty * SUBTILE + SUBTILE / 2,
        }
    }
    /// The tile containing this point.
    pub const fn tile(self) -> (i32, i32) {
        (self.x.div_euclid(SUBTILE), self.y.div_euclid(SUBTILE))
    }
    /// Squared distance in units² (i64: no overflow for any i32 positions).
    pub fn dist2(self, other: Pos) -> i64 {
        let dx = i64::from(self.x) - i64::from(other.x);
        let dy = i64::from(self.y) - i64::from(other.y);
        dx * dx + dy * dy
    }
}

/// A movement direction, quantized to i8 per axis. Any vector is accepted; [`step`]
/// clamps it to unit length, so no input moves faster than the speed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct MoveInput {
    /// Along X, -127..=127.
    pub x: i8,
    /// Along Y, -127..=127.
    pub y: i8,
}

impl MoveInput {
    /// The direction `(x, y)`.
    pub const fn new(x: i8, y: i8) -> Self {
        Self { x, y }
    }
    /// No movement.
    pub const STOP: MoveInput = MoveInput { x: 0, y: 0 };

    /// The direction clamped to length <= [`DIR_MAX`] (rounded towards zero).
    pub fn clamped(self) -> (i32, i32) {
        let (x, y) = (i32::from(self.x), i32::from(self.y));
        let len2 = (x * x + y * y) as u32;
        if len2 <= (DIR_MAX * DIR_MAX) as u32 {
            return (x, y);
        }
        let mut len = len2.isqrt();
        if len * len < len2 {
            len += 1; // ceil: the result never exceeds DIR_MAX in length
        }
        let len = len as i32;
        (x * DIR_MAX / len, y * DIR_MAX / len)
    }
}

/// Speed and size of a moving body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MoveParams {
    /// Units per tick at full input. Collision resolves one tile boundary per axis and
    /// tick, so this must stay below one tile ([`MoveParams::player`] ensures it).
    pub speed_per_tick: i32,
    /// Half the side of the square collision box, movement units.
    pub radius: i32,
}

impl MoveParams {
    /// Player movement at `tick_hz` (speed rounded down to whole units per tick).
    pub fn player(tick_hz: u32) -> Self {
        let hz = i32::try_from(tick_hz.max(1)).unwrap_or(i32::MAX);
        Self {
            speed_per_tick: (PLAYER_SPEED_UNITS_PER_SEC / hz).min(SUBTILE - 1),
            radius: PLAYER_RADIUS,
        }
    }
}

impl Default for MoveParams {
    fn default() -> Self {
        Self::player(DEFAULT_TICK_HZ)
    }
}

/// One tick of player movement with the default parameters (30 Hz).
pub fn step(grid: &impl Walkable, pos: Pos, input: MoveInput) -> Pos {
    step_with(grid, &MoveParams::default(), pos, input)
}

/// One tick of movement: velocity from the clamped direction, then the x axis, then the y
/// axis, each stopped flush against the first blocked tile.
pub fn step_with(grid: &impl Walkable, params: &MoveParams, pos: Pos, input: MoveInput) -> Pos {
    let (dx, dy) = input.clamped();
    let vx = dx * params.speed_per_tick / DIR_MAX;
    let vy = dy * params.speed_per_tick / DIR_MAX;
    let x = move_axis(grid, params.radius, pos.x, vx, |x| Pos { x, y: pos.y });
    let y = move_axis(grid, params.radius, pos.y, vy, |y| Pos { x, y });
    Pos { x, y }
}

/// Whether a box of half-size `r` centred at `p` overlaps only walkable tiles.
pub fn box_free(grid: &impl Walkable, r: i32, p: Pos) -> bool {
    let (x0, x1) = ((p.x - r).div_euclid(SUBTILE), (p.x + r).div_euclid(SUBTILE));
    let (y0, y1) = ((p.y - r).div_euclid(SUBTILE), (p.y + r).div_euclid(SUBTILE));
    (y0..=y1).all(|ty| (x0..=x1).all(|tx| grid.is_walkable(tx, ty)))
}

/// New value of one coordinate (`along`) after moving it by `v`; `at` builds the full
/// position from that coordinate (the other one fixed).
fn move_axis(grid: &impl Walkable, r: i32, along: i32, v: i32, at: impl Fn(i32) -> Pos) -> i32 {
    if v == 0 {
        return along;
    }
    let target = along.saturating_add(v);
    if box_free(grid, r, at(target)) {
        return target;
    }
    // flush against the boundary of the tile the leading edge entered
    let flush = if v > 0 {
        (target + r).div_euclid(SUBTILE) * SUBTILE - 1 - r
    } else {
        ((target - r).div_euclid(SUBTILE) + 1) * SUBTILE + r
    };
    let between = if v > 0 {
        flush > along && flush < target
    } else {
        flush < along && flush > target
    };
    if between && box_free(grid, r, at(flush)) {
        flush
    } else {
        along
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// ASCII grid: '#' blocked, anything else walkable.
    struct Grid(Vec<&'static str>);
    impl Walkable for Grid {
        fn is_walkable(&self, tx: i32, ty: i32) -> bool {
            let (Ok(x), Ok(y)) = (usize::try_from(tx), usize::try_from(ty)) else {
                return false;
            };
            self.0
                .get(y)
                .and_then(|row| row.as_bytes().get(x))
                .is_some_and(|&c| c != b'#')
        }
    }

    fn room() -> Grid {
        Grid(vec!["#####", "#...#", "#...#", "#.#.#", "#####"])
    }

    #[test]
    fn constants() {
        assert_eq!(PLAYER_SPEED_PER_TICK, 34);
        assert_eq!(MoveParams::player(30).speed_per_tick, 34);
        assert_eq!(MoveParams::player(60).speed_per_tick, 17);
        assert_eq!(MoveParams::player(0).speed_per_tick, 255);
    }

    #[test]
    fn moves_at_speed_in_open_space() {
        let g = room();
        let p = Pos::tile_center(2, 2);
        assert_eq!(step(&g, p, MoveInput::new(127, 0)), Pos::new(p.x + 34, p.y));
        assert_eq!(
            step(&g, p, MoveInput::new(0, -127)),
            Pos::new(p.x, p.y - 34)
        );
        assert_eq!(step(&g, p, MoveInput::STOP), p);
        // diagonal is clamped to unit length: 127*127/180 = 89 per axis, 89*34/127 = 23
        assert_eq!(
            step(&g, p, MoveInput::new(127, 127)),
            Pos::new(p.x + 23, p.y + 23)
        );
        assert_eq!(
            step(&g, p, MoveInput::new(-128, -128)),
            Pos::new(p.x - 23, p.y - 23)
        );
    }

    #[test]
    fn stops_flush_against_walls() {
        let g = room();
        let mut p = Pos::tile_center(3, 2);
        for _ in 0..20 {
            p = step(&g, p, MoveInput::new(127, 0));
        }
        // wall column 4 starts at 1024: right edge at 1023
        assert_eq!(p.x + PLAYER_RADIUS, 4 * SUBTILE - 1);
        for _ in 0..20 {
            p = step(&g, p, MoveInput::new(0, -127));
        }
        assert_eq!(p.y - PLAYER_RADIUS, SUBTILE);
    }

    #[test]
    fn slides_along_walls() {
        let g = room();
        let mut p = Pos::tile_center(1, 1);
        for _ in 0..20 {
            p = step(&g, p, MoveInput::new(90, -90));
        }
        assert_eq!(p.y - PLAYER_RADIUS, SUBTILE, "stuck to the top wall");
        assert!(p.x > Pos::tile_center(2, 1).x, "but kept sliding east");
    }

    #[test]
    fn out_of_grid_is_blocked() {
        let g = Grid(vec!["..", ".."]);
        let mut p = Pos::tile_center(0, 0);
        for _ in 0..20 {
            p = step(&g, p, MoveInput::new(-127, -127));
        }
        assert_eq!(p, Pos::new(PLAYER_RADIUS, PLAYER_RADIUS));
    }

    #[test]
    fn inside_wall_cannot_move_deeper() {
        let g = room();
        let p = Pos::tile_center(0, 0);
        assert_eq!(step(&g, p, MoveInput::new(127, 0)), p);
    }

    /// On generated floors: a long random walk from the entry never enters a wall tile.
    #[test]
    fn random_walk_on_real_floors() {
        for floor_no in 0..3 {
            let floor = procgen::generate(11, floor_no);
            let mut p = Pos::tile_center(i32::from(floor.entry.0), i32::from(floor.entry.1));
            let mut rng = 0x2545_f491_u32;
            for i in 0..3000 {
                rng ^= rng << 13;
                rng ^= rng >> 17;
                rng ^= rng << 5;
                let input =
                    MoveInput::new((rng & 0xff) as u8 as i8, ((rng >> 8) & 0xff) as u8 as i8);
                let next = step(&floor, p, input);
                assert!(
                    box_free(&floor, PLAYER_RADIUS, next),
                    "floor {floor_no} tick {i}: {next:?} in a wall"
                );
                assert!(p.dist2(next) <= i64::from(PLAYER_SPEED_PER_TICK).pow(2));
                p = next;
            }
        }
    }

    proptest! {
        /// Never faster than the speed, never into a wall, deterministic.
        #[test]
        fn invariants(moves in proptest::collection::vec((any::<i8>(), any::<i8>()), 1..200)) {
            let g = room();
            let mut p = Pos::tile_center(1, 1);
            for (x, y) in moves {
                let next = step(&g, p, MoveInput::new(x, y));
                prop_assert!(p.dist2(next) <= i64::from(PLAYER_SPEED_PER_TICK).pow(2));
                prop_assert!(box_free(&g, PLAYER_RADIUS, next));
                prop_assert_eq!(next, step(&g, p, MoveInput::new(x, y)));
                p = next;
            }
        }

        #[test]
        fn clamp_is_unit_length(x: i8, y: i8) {
            let (cx, cy) = MoveInput::new(x, y).clamped();
            prop_assert!(cx * cx + cy * cy <= DIR_MAX * DIR_MAX);
        }
    }
}
