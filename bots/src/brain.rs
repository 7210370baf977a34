//! What a bot does each tick, as pure functions of what it sees: fight a monster in reach,
//! otherwise walk a shortest path towards the stairs up, with spells of wandering and a way out
//! when stuck.

use procgen::Floor;
use tower_client::{EntityFlags, EntityKind, EntityView, PlayerInput, Pos};
use tower_movement::{DIR_MAX, SUBTILE};

/// Monsters closer than this (tiles) are fought.
const FIGHT_RANGE_TILES: f32 = 2.0;
/// Ticks without moving before the bot tries a random direction.
const STUCK_TICKS: u32 = 20;

/// A direction of full length from `from` towards `to` (zero if already there).
pub fn steer(from: Pos, to: Pos) -> (i8, i8) {
    let (dx, dy) = (
        i64::from(to.x) - i64::from(from.x),
        i64::from(to.y) - i64::from(from.y),
    );
    let len = ((dx * dx + dy * dy) as f64).sqrt();
    if len < 1.0 {
        return (0, 0);
    }
    let s = f64::from(DIR_MAX) / len;
    ((dx as f64 * s).round() as i8, (dy as f64 * s).round() as i8)
}

/// Small deterministic PRNG (xorshift64*), one per bot.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u32) -> u32 {
        (self.next() % u64::from(n.max(1))) as u32
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Mode {
    Climb,
    Wander { dir: (i8, i8), ticks: u32 },
}

/// One bot's intent, kept between ticks.
#[derive(Debug)]
pub struct Brain {
    rng: Rng,
    floor_number: Option<u32>,
    path: Vec<(u16, u16)>,
    next: usize,
    mode: Mode,
    last_pos: Option<Pos>,
    still: u32,
}

impl Brain {
    pub fn new(seed: u64) -> Self {
        Brain {
            rng: Rng::new(seed),
            floor_number: None,
            path: Vec::new(),
            next: 0,
            mode: Mode::Climb,
            last_pos: None,
            still: 0,
        }
    }

    /// The input for this tick. `entities` may be empty (not looked at this tick).
    pub fn think(
        &mut self,
        floor_number: u32,
        floor: &Floor,
        me: Pos,
        own_id: Option<u32>,
        entities: &[EntityView],
    ) -> PlayerInput {
        if self.floor_number != Some(floor_number) {
            self.floor_number = Some(floor_number);
            self.replan(floor, me);
        }
        self.still = if self.last_pos == Some(me) {
            self.still + 1
        } else {
            0
        };
        self.last_pos = Some(me);

        if let Some(target) = nearest_monster(me, own_id, entities) {
            let (move_x, move_y) = steer(me, target);
            return PlayerInput {
                move_x,
                move_y,
                attack: true,
            };
        }
        if self.still > STUCK_TICKS && self.mode == Mode::Climb {
            self.mode = Mode::Wander {
                dir: self.random_dir(),
                ticks: 15,
            };
        }
        if let Mode::Wander { dir, ticks } = &mut self.mode {
            *ticks = ticks.saturating_sub(1);
            let dir = *dir;
            if *ticks == 0 {
                self.mode = Mode::Climb;
                self.replan(floor, me);
            }
            return PlayerInput {
                move_x: dir.0,
                move_y: dir.1,
                attack: false,
            };
        }
        // occasionally wander off for a moment, like a player looking around
        if self.rng.below(300) == 0 {
            self.mode = Mode::Wander {
                dir: self.random_dir(),
                ticks: 20 + self.rng.below(40),
            };
        }
        let (move_x, move_y) = self.follow_path(floor, me);
        PlayerInput {
            move_x,
            move_y,
            attack: false,
        }
    }

    fn random_dir(&mut self) -> (i8, i8) {
        const DIRS: [(i8, i8); 8] = [
            (127, 0),
            (-127, 0),
            (0, 127),
            (0, -127),
            (90, 90),
            (-90, 90),
            (90, -90),
            (-90, -90),
        ];
        DIRS[self.rng.below(8) as usize]
    }

    fn replan(&mut self, floor: &Floor, me: Pos) {
        let (tx, ty) = me.tile();
        let from = (
            u16::try_from(tx).unwrap_or(0),
            u16::try_from(ty).unwrap_or(0),
        );
        self.path = floor
            .shortest_path(from, floor.stairs_up)
            .unwrap_or_default();
        self.next = 0;
    }

    fn follow_path(&mut self, floor: &Floor, me: Pos) -> (i8, i8) {
        while let Some(&(x, y)) = self.path.get(self.next) {
            let centre = Pos::tile_center(i32::from(x), i32::from(y));
            if me.dist2(centre) > i64::from(SUBTILE / 6).pow(2) {
                // drifted off the path (pushed, respawned, wandered): plan again
                if me.dist2(centre) > i64::from(SUBTILE * 2).pow(2) {
                    self.replan(floor, me);
                    return self.path.get(1).map_or((0, 0), |&(x, y)| {
                        steer(me, Pos::tile_center(i32::from(x), i32::from(y)))
                    });
                }
                return steer(me, centre);
            }
            self.next += 1;
        }
        (0, 0)
    }
}

fn nearest_monster(me: Pos, own_id: Option<u32>, entities: &[EntityView]) -> Option<Pos> {
    let (mx, my) = (me.x as f32 / SUBTILE as f32, me.y as f32 / SUBTILE as f32);
    entities
        .iter()
        .filter(|e| {
            e.kind == EntityKind::Monster
                && Some(e.id) != own_id
                && !e.flags.contains(EntityFlags::DEAD)
        })
        .map(|e| ((e.x - mx).powi(2) + (e.y - my).powi(2), e))
        .filter(|(d2, _)| *d2 <= FIGHT_RANGE_TILES * FIGHT_RANGE_TILES)
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, e)| Pos::new((e.x * SUBTILE as f32) as i32, (e.y * SUBTILE as f32) as i32))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use tower_movement::{MoveInput, step};

    #[test]
    fn bfs_reaches_the_stairs_on_real_floors() {
        for f in 1..4 {
            let floor = procgen::generate(7, f);
            let path = floor
                .shortest_path(floor.entry, floor.stairs_up)
                .expect("stairs reachable");
            assert_eq!(path.first(), Some(&floor.entry));
            assert_eq!(path.last(), Some(&floor.stairs_up));
            for w in path.windows(2) {
                let d = (i32::from(w[0].0) - i32::from(w[1].0)).abs()
                    + (i32::from(w[0].1) - i32::from(w[1].1)).abs();
                assert_eq!(d, 1);
            }
        }
    }

    #[test]
    fn steering() {
        assert_eq!(steer(Pos::new(0, 0), Pos::new(100, 0)), (127, 0));
        assert_eq!(steer(Pos::new(0, 0), Pos::new(0, -5)), (0, -127));
        assert_eq!(steer(Pos::new(3, 3), Pos::new(3, 3)), (0, 0));
        assert_eq!(steer(Pos::new(0, 0), Pos::new(10, 10)), (90, 90));
    }

    /// With the shared movement code, a brain alone walks from the entry to the stairs.
    #[test]
    fn brain_climbs_to_the_stairs() {
        let floor = procgen::generate(7, 1);
        let mut brain = Brain::new(1);
        let mut me = Pos::tile_center(i32::from(floor.entry.0), i32::from(floor.entry.1));
        let stairs = (i32::from(floor.stairs_up.0), i32::from(floor.stairs_up.1));
        let mut reached = false;
        for _ in 0..30 * 120 {
            let input = brain.think(1, &floor, me, None, &[]);
            me = step(&floor, me, MoveInput::new(input.move_x, input.move_y));
            if me.tile() == stairs {
                reached = true;
                break;
            }
        }
        assert!(
            reached,
            "bot did not reach the stairs within 2 minutes of ticks"
        );
    }

    #[test]
    fn fights_monsters_in_range() {
        let floor = procgen::generate(7, 1);
        let mut brain = Brain::new(1);
        let me = Pos::tile_center(i32::from(floor.entry.0), i32::from(floor.entry.1));
        let monster = EntityView {
            id: 9,
            kind: EntityKind::Monster,
            x: me.x as f32 / 256.0 + 1.0,
            y: me.y as f32 / 256.0,
            health: 5,
            flags: EntityFlags::default(),
        };
        let input = brain.think(1, &floor, me, Some(1), &[monster]);
        assert!(input.attack);
        assert_eq!((input.move_x, input.move_y), (127, 0));
        let dead = EntityView {
            flags: EntityFlags::default().with(EntityFlags::DEAD, true),
            ..monster
        };
        assert!(!brain.think(1, &floor, me, Some(1), &[dead]).attack);
    }
}
