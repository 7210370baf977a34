//! The plain data a floor is made of.

/// Tile kinds. The discriminant is the byte in the canonical encoding.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tile {
    /// Solid rock.
    Wall = 0,
    /// Room floor.
    Floor = 1,
    /// A room's doorway.
    Door = 2,
    /// Corridor between rooms.
    Corridor = 3,
    /// Where players arrive (one per floor).
    Entry = 4,
    /// Stairs to the floor above (one per floor).
    StairsUp = 5,
    /// Stairs to the floor below (none on the top floor).
    StairsDown = 6,
}

impl Tile {
    /// Every tile kind, in byte order.
    pub const ALL: [Tile; 7] = [
        Tile::Wall,
        Tile::Floor,
        Tile::Door,
        Tile::Corridor,
        Tile::Entry,
        Tile::StairsUp,
        Tile::StairsDown,
    ];
    /// Whether a player or monster may stand on this tile.
    pub fn is_walkable(self) -> bool {
        !matches!(self, Tile::Wall)
    }
    /// The tile a canonical-encoding byte names; `None` for other bytes.
    pub fn from_u8(b: u8) -> Option<Tile> {
        Tile::ALL.get(usize::from(b)).copied()
    }
}

/// What a spawn point spawns.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SpawnKind {
    /// A monster.
    Monster = 0,
    /// Loot.
    Loot = 1,
}

impl SpawnKind {
    /// The kind a canonical-encoding byte names; `None` for other bytes.
    pub fn from_u8(b: u8) -> Option<SpawnKind> {
        match b {
            0 => Some(SpawnKind::Monster),
            1 => Some(SpawnKind::Loot),
            _ => None,
        }
    }
}

/// A monster or loot point on a walkable tile. `level` grows with the floor number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Spawn {
    /// Tile column.
    pub x: u16,
    /// Tile row.
    pub y: u16,
    /// Monster or loot.
    pub kind: SpawnKind,
    /// Strength; grows with the floor number.
    pub level: u8,
}

/// The size of a floor to generate (see [`FloorParams::MIN_SIDE`] and [`FloorParams::MAX_SIDE`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FloorParams {
    /// Columns.
    pub width: u16,
    /// Rows.
    pub height: u16,
}

impl FloorParams {
    /// Smallest accepted side: room for a room, a corridor and the border walls.
    pub const MIN_SIDE: u16 = 16;
    /// Largest accepted side (keeps one floor under a few hundred KiB of working memory).
    pub const MAX_SIDE: u16 = 512;
}

impl Default for FloorParams {
    fn default() -> Self {
        FloorParams {
            width: 64,
            height: 64,
        }
    }
}

/// A generated floor. Tiles are row-major: `tiles[y * width + x]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Floor {
    /// World seed it was generated from.
    pub seed: u64,
    /// Floor number (0 = ground floor).
    pub floor: u32,
    /// Columns.
    pub width: u16,
    /// Rows.
    pub height: u16,
    /// Row-major tiles, `width * height` of them.
    pub tiles: Vec<Tile>,
    /// Sorted by (y, x, kind, level).
    pub spawns: Vec<Spawn>,
    /// Entry tile `(x, y)`.
    pub entry: (u16, u16),
    /// Stairs-up tile `(x, y)`.
    pub stairs_up: (u16, u16),
    /// Stairs-down tile `(x, y)`; `None` on a floor without one.
    pub stairs_down: Option<(u16, u16)>,
}

impl Floor {
    /// The tile at `(x, y)`, or `None` outside the grid.
    pub fn tile(&self, x: u16, y: u16) -> Option<Tile> {
        if x >= self.width || y >= self.height {
            return None;
        }
        self.tiles
            .get(usize::from(y) * usize::from(self.width) + usize::from(x))
            .copied()
    }

    /// Whether `(x, y)` is a walkable tile; `false` for any coordinate outside the grid.
    pub fn is_walkable(&self, x: i32, y: i32) -> bool {
        match (u16::try_from(x), u16::try_from(y)) {
            (Ok(x), Ok(y)) => self.tile(x, y).is_some_and(Tile::is_walkable),
            _ => false,
        }
    }

    /// The walkable 4-neighbours of `(x, y)`, in the order up, right, down, left.
    pub fn walkable_neighbours(&self, x: u16, y: u16) -> impl Iterator<Item = (u16, u16)> + '_ {
        let (x, y) = (i32::from(x), i32::from(y));
        [(0, -1), (1, 0), (0, 1), (-1, 0)]
            .into_iter()
            .map(move |(dx, dy)| (x + dx, y + dy))
            .filter(|&(nx, ny)| self.is_walkable(nx, ny))
            .filter_map(|(nx, ny)| Some((u16::try_from(nx).ok()?, u16::try_from(ny).ok()?)))
    }

    /// A shortest 4-connected walkable path from `from` to `to`, both included; `None` when
    /// `from` is not walkable or `to` cannot be reached. For bots and tests: the server and
    /// the client never path-find.
    pub fn shortest_path(&self, from: (u16, u16), to: (u16, u16)) -> Option<Vec<(u16, u16)>> {
        let w = usize::from(self.width);
        let idx = |(x, y): (u16, u16)| usize::from(y) * w + usize::from(x);
        if !self.is_walkable(i32::from(from.0), i32::from(from.1)) {
            return None;
        }
        let mut prev: Vec<Option<(u16, u16)>> = vec![None; self.tiles.len()];
        let mut seen = vec![false; self.tiles.len()];
        let mut queue = std::collections::VecDeque::from([from]);
        seen[idx(from)] = true;
        while let Some(at) = queue.pop_front() {
            if at == to {
                let mut path = vec![at];
                let mut cur = at;
                while let Some(p) = prev[idx(cur)] {
                    path.push(p);
                    cur = p;
                }
                path.reverse();
                return Some(path);
            }
            for n in self.walkable_neighbours(at.0, at.1) {
                if !seen[idx(n)] {
                    seen[idx(n)] = true;
                    prev[idx(n)] = Some(at);
                    queue.push_back(n);
                }
            }
        }
        None
    }

    /// The spawns of one kind, in the floor's canonical order.
    pub fn spawns_of(&self, kind: SpawnKind) -> impl Iterator<Item = &Spawn> + '_ {
        self.spawns.iter().filter(move |s| s.kind == kind)
    }
}
