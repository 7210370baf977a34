//! The canonical byte encoding of a floor (specified in docs/floors.md). The hash is taken
//! over exactly these bytes, so every field has a fixed width and little-endian order.

use crate::GENERATOR_VERSION;
use crate::types::{Floor, Spawn, SpawnKind, Tile};

/// First four bytes of every encoded floor.
pub const MAGIC: [u8; 4] = *b"TWRF";
/// Bytes before the tiles: magic, version, width, height, seed, floor.
const HEADER_LEN: usize = 4 + 4 + 2 + 2 + 8 + 4;
/// Bytes of one encoded spawn: x, y, kind, level.
const SPAWN_LEN: usize = 2 + 2 + 1 + 1;

/// Why bytes are not a canonical floor encoding.
#[allow(missing_docs)] // each variant is described by its #[error] message
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("input ends early: needed {needed} bytes, have {have}")]
    Truncated { needed: usize, have: usize },
    #[error("bad magic {0:02x?}, expected \"TWRF\"")]
    BadMagic([u8; 4]),
    #[error("generator version {found} cannot be decoded by version {GENERATOR_VERSION}")]
    Version { found: u32 },
    #[error("zero-sized floor {width}x{height}")]
    ZeroSize { width: u16, height: u16 },
    #[error("byte {byte} at tile ({x}, {y}) is not a tile kind")]
    BadTile { x: u16, y: u16, byte: u8 },
    #[error("byte {byte} in spawn {index} is not a spawn kind")]
    BadSpawnKind { index: usize, byte: u8 },
    #[error("spawn {index} at ({x}, {y}) is not on a walkable tile")]
    SpawnNotWalkable { index: usize, x: u16, y: u16 },
    #[error("spawns are not strictly sorted by (y, x, kind, level) at index {0}")]
    SpawnsUnsorted(usize),
    #[error("expected exactly one {tile:?} tile, found {count}")]
    SpecialTileCount { tile: Tile, count: usize },
    #[error("{0} trailing bytes after the last spawn")]
    Trailing(usize),
}

/// A cursor over the input that reports truncation instead of panicking.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or(DecodeError::Truncated {
            needed: self.pos.saturating_add(n),
            have: self.bytes.len(),
        })?;
        let out = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(out)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }
    fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.array::<1>()?[0])
    }
    fn u16(&mut self) -> Result<u16, DecodeError> {
        Ok(u16::from_le_bytes(self.array()?))
    }
    fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_le_bytes(self.array()?))
    }
}

impl Floor {
    /// The canonical encoding (docs/floors.md): what [`Floor::hash`] hashes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out =
            Vec::with_capacity(HEADER_LEN + self.tiles.len() + 4 + self.spawns.len() * SPAWN_LEN);
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&GENERATOR_VERSION.to_le_bytes());
        out.extend_from_slice(&self.width.to_le_bytes());
        out.extend_from_slice(&self.height.to_le_bytes());
        out.extend_from_slice(&self.seed.to_le_bytes());
        out.extend_from_slice(&self.floor.to_le_bytes());
        out.extend(self.tiles.iter().map(|&t| t as u8));
        // A floor holds at most 512*512 tiles, so the spawn count always fits in a u32.
        let count = u32::try_from(self.spawns.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&count.to_le_bytes());
        for s in &self.spawns {
            out.extend_from_slice(&s.x.to_le_bytes());
            out.extend_from_slice(&s.y.to_le_bytes());
            out.push(s.kind as u8);
            out.push(s.level);
        }
        out
    }

    /// Parses a canonical encoding back into a floor, checking every invariant the
    /// generator guarantees that the bytes alone could break.
    pub fn decode(bytes: &[u8]) -> Result<Floor, DecodeError> {
        let mut r = Reader { bytes, pos: 0 };
        let magic = r.array::<4>()?;
        if magic != MAGIC {
            return Err(DecodeError::BadMagic(magic));
        }
        let found = r.u32()?;
        if found != GENERATOR_VERSION {
            return Err(DecodeError::Version { found });
        }
        let width = r.u16()?;
        let height = r.u16()?;
        if width == 0 || height == 0 {
            return Err(DecodeError::ZeroSize { width, height });
        }
        let seed = r.u64()?;
        let floor = r.u32()?;
        let raw_tiles = r.take(usize::from(width) * usize::from(height))?;
        let mut tiles = Vec::with_capacity(raw_tiles.len());
        let mut entry = Vec::new();
        let mut up = Vec::new();
        let mut down = Vec::new();
        for (i, &byte) in raw_tiles.iter().enumerate() {
            let (x, y) = position(i, width);
            let tile = Tile::from_u8(byte).ok_or(DecodeError::BadTile { x, y, byte })?;
            match tile {
                Tile::Entry => entry.push((x, y)),
                Tile::StairsUp => up.push((x, y)),
                Tile::StairsDown => down.push((x, y)),
                _ => {}
            }
            tiles.push(tile);
        }
        let entry = exactly_one(&entry, Tile::Entry)?;
        let stairs_up = exactly_one(&up, Tile::StairsUp)?;
        let stairs_down = match down.as_slice() {
            [] => None,
            [one] => Some(*one),
            more => {
                return Err(DecodeError::SpecialTileCount {
                    tile: Tile::StairsDown,
                    count: more.len(),
                });
            }
        };
        let count = r.u32()?;
        let count = usize::try_from(count).unwrap_or(usize::MAX);
        // Check the length before allocating, so a forged count cannot make us reserve memory.
        let needed = count.saturating_mul(SPAWN_LEN);
        if bytes.len().saturating_sub(r.pos) < needed {
            return Err(DecodeError::Truncated {
                needed: r.pos.saturating_add(needed),
                have: bytes.len(),
            });
        }
        let mut spawns: Vec<Spawn> = Vec::with_capacity(count);
        for index in 0..count {
            let x = r.u16()?;
            let y = r.u16()?;
            let byte = r.u8()?;
            let kind = SpawnKind::from_u8(byte).ok_or(DecodeError::BadSpawnKind { index, byte })?;
            let level = r.u8()?;
            let spawn = Spawn { x, y, kind, level };
            let walkable = x < width
                && y < height
                && tiles[usize::from(y) * usize::from(width) + usize::from(x)].is_walkable();
            if !walkable {
                return Err(DecodeError::SpawnNotWalkable { index, x, y });
            }
            if spawns
                .last()
                .is_some_and(|prev| sort_key(prev) >= sort_key(&spawn))
            {
                return Err(DecodeError::SpawnsUnsorted(index));
            }
            spawns.push(spawn);
        }
        if r.pos != bytes.len() {
            return Err(DecodeError::Trailing(bytes.len() - r.pos));
        }
        Ok(Floor {
            seed,
            floor,
            width,
            height,
            tiles,
            spawns,
            entry,
            stairs_up,
            stairs_down,
        })
    }
}

/// The canonical spawn order: row-major position, then kind, then level.
pub(crate) fn sort_key(s: &Spawn) -> (u16, u16, SpawnKind, u8) {
    (s.y, s.x, s.kind, s.level)
}

fn position(index: usize, width: u16) -> (u16, u16) {
    let w = usize::from(width);
    // index < width * height <= u16::MAX², so both quotients fit in u16.
    let x = u16::try_from(index % w).unwrap_or(u16::MAX);
    let y = u16::try_from(index / w).unwrap_or(u16::MAX);
    (x, y)
}

fn exactly_one(found: &[(u16, u16)], tile: Tile) -> Result<(u16, u16), DecodeError> {
    match found {
        [one] => Ok(*one),
        _ => Err(DecodeError::SpecialTileCount {
            tile,
            count: found.len(),
        }),
    }
}
