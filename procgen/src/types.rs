//! The plain data a floor is made of.

/// Tile kinds. The discriminant is the byte in the canonical encoding.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tile {
    Wall = 0,
    Floor = 1,
    Door = 2,
    Corridor = 3,
    Entry = 4,
    StairsUp = 5,
    StairsDown = 6,
}

impl Tile {
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
    pub fn from_u8(b: u8) -> Option<Tile> {
        Tile::ALL.get(usize::from(b)).copied()
    }
}

#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SpawnKind {
    Monster = 0,
    Loot = 1,
}

impl SpawnKind {
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
    pub x: u16,
    pub y: u16,
    pub kind: SpawnKind,
    pub level: u8,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FloorParams {
    pub width: u16,
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
    pub seed: u64,
    pub floor: u32,
    pub width: u16,
    pub height: u16,
    pub tiles: Vec<Tile>,
    /// Sorted by (y, x, kind, level).
    pub spawns: Vec<Spawn>,
    pub entry: (u16, u16),
    pub stairs_up: (u16, u16),
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

    /// The spawns of one kind, in the floor's canonical order.
    pub fn spawns_of(&self, kind: SpawnKind) -> impl Iterator<Item = &Spawn> + '_ {
        self.spawns.iter().filter(move |s| s.kind == kind)
    }
}
