//! The floor half of the ABI: regenerate a floor from `(floor seed, floor)`, read its tiles,
//! spawns and hash, and verify a hash received from the server. Two seeds: a tower's *world
//! seed* (the game server's `world_seed`) and each floor's *floor seed*, derived from it by
//! `tower_floor_seed`; the generator and the server's `FloorEnter` take the floor seed.

use std::sync::Arc;

use procgen::{Floor, FloorHash, FloorParams, SpawnKind, Tile};

use crate::TOWER_HASH_LEN;
use crate::error::{
    FfiError, TowerStatus, check_buffer, copy_out, guard, in_slice, out_ref, out_slice,
};
use crate::registry::Registry;

pub(crate) static FLOORS: Registry<Floor> = Registry::new("floor");

/// An owned, immutable generated floor. `id == 0` is the null handle. Free each handle
/// exactly once with `tower_floor_free`; freeing again returns `TOWER_STATUS_BAD_HANDLE`
/// and is otherwise harmless. A handle may be read from several threads at once.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TowerFloorHandle {
    /// Registry id; 0 is the null handle.
    pub id: u64,
}

/// Tile kinds: the byte values `tower_floor_tiles` writes.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TowerTile {
    /// Solid rock: not walkable.
    Wall = 0,
    /// Room floor.
    Floor = 1,
    /// A room's doorway.
    Door = 2,
    /// Corridor between rooms.
    Corridor = 3,
    /// Where players arrive on the floor.
    Entry = 4,
    /// Stairs to the floor above.
    StairsUp = 5,
    /// Stairs to the floor below.
    StairsDown = 6,
    /// Number of tile kinds (not a tile).
    Count = 7,
}

/// Spawn kinds: the `kind` byte of a `TowerSpawn`.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TowerSpawnKind {
    /// A monster's spawn point.
    Monster = 0,
    /// A loot point.
    Loot = 1,
}

/// A monster or loot point on a walkable tile, in tile coordinates.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct TowerSpawn {
    /// Tile column.
    pub x: u16,
    /// Tile row.
    pub y: u16,
    /// A `TowerSpawnKind` value.
    pub kind: u8,
    /// Grows with the floor number.
    pub level: u8,
}

/// Everything about a floor that fits in a fixed-size struct. Tile coordinates; tiles are
/// row-major, `tiles[y * width + x]`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct TowerFloorInfo {
    /// Floor seed the floor was generated from (not the tower's world seed: see
    /// `tower_floor_seed`).
    pub seed: u64,
    /// Floor number (0 = ground floor).
    pub floor: u32,
    /// procgen generator version that made it.
    pub generator_version: u32,
    /// Width in tiles.
    pub width: u16,
    /// Height in tiles.
    pub height: u16,
    /// Entry tile, column.
    pub entry_x: u16,
    /// Entry tile, row.
    pub entry_y: u16,
    /// Stairs up, column.
    pub stairs_up_x: u16,
    /// Stairs up, row.
    pub stairs_up_y: u16,
    /// Zero on a floor without stairs down; then `stairs_down_x/y` are zero too.
    pub has_stairs_down: u8,
    /// Stairs down, column (see `has_stairs_down`).
    pub stairs_down_x: u16,
    /// Stairs down, row.
    pub stairs_down_y: u16,
    /// `width * height`: the length `tower_floor_tiles` needs.
    pub tile_count: usize,
    /// The length `tower_floor_spawns` needs.
    pub spawn_count: usize,
}

// The tile and spawn bytes of the ABI are procgen's discriminants; keep them in lock-step.
const _: () = {
    assert!(Tile::Wall as u8 == TowerTile::Wall as u8);
    assert!(Tile::Floor as u8 == TowerTile::Floor as u8);
    assert!(Tile::Door as u8 == TowerTile::Door as u8);
    assert!(Tile::Corridor as u8 == TowerTile::Corridor as u8);
    assert!(Tile::Entry as u8 == TowerTile::Entry as u8);
    assert!(Tile::StairsUp as u8 == TowerTile::StairsUp as u8);
    assert!(Tile::StairsDown as u8 == TowerTile::StairsDown as u8);
    assert!(Tile::ALL.len() == TowerTile::Count as usize);
    assert!(SpawnKind::Monster as u8 == TowerSpawnKind::Monster as u8);
    assert!(SpawnKind::Loot as u8 == TowerSpawnKind::Loot as u8);
};

fn floor_of(handle: TowerFloorHandle) -> Result<Arc<Floor>, FfiError> {
    FLOORS.get(handle.id)
}

/// Registers a floor and returns its handle (used by the client half too).
pub(crate) fn issue(floor: Arc<Floor>) -> TowerFloorHandle {
    TowerFloorHandle {
        id: FLOORS.insert(floor),
    }
}

fn generate(floor_seed: u64, floor: u32, width: u16, height: u16) -> Result<Floor, FfiError> {
    crate::self_test::ensure()?;
    procgen::generate_with(floor_seed, floor, &FloorParams { width, height })
        .map_err(|e| FfiError::InvalidArgument(e.to_string()))
}

fn hash_arg(hash: *const u8, hash_len: usize) -> Result<FloorHash, FfiError> {
    check_buffer(hash, hash_len, "hash")?;
    if hash.is_null() {
        return Err(FfiError::Null("hash"));
    }
    if hash_len != TOWER_HASH_LEN {
        return Err(FfiError::BadHashLength { got: hash_len });
    }
    // SAFETY: non-NULL, and the caller promises `hash_len` (== TOWER_HASH_LEN) readable bytes.
    let bytes = unsafe { in_slice(hash, TOWER_HASH_LEN, "hash") }?;
    let bytes: [u8; TOWER_HASH_LEN] = bytes
        .try_into()
        .map_err(|_| FfiError::BadHashLength { got: hash_len })?;
    Ok(FloorHash(bytes))
}

/// `procgen`'s generator version (the one covered by every floor hash). Never fails.
#[unsafe(no_mangle)]
pub extern "C" fn tower_generator_version() -> u32 {
    procgen::GENERATOR_VERSION
}

/// The floor seed of floor `floor` of the tower whose world seed is `world_seed`: the very
/// derivation the game server uses, so `tower_floor_generate(tower_floor_seed(w, n), n, ..)`
/// is floor `n` as players of a server with `world_seed = w` get it. Never fails.
#[unsafe(no_mangle)]
pub extern "C" fn tower_floor_seed(world_seed: u64, floor: u32) -> u64 {
    procgen::derive_floor_seed(world_seed, floor)
}

/// Generates the default 64x64 floor number `floor` from its floor seed `floor_seed` (the
/// seed a server's FloorEnter carries, or `tower_floor_seed(world_seed, floor)`) and writes
/// a new handle to `*out` (on failure `*out` is set to the null handle when `out` is not
/// NULL).
///
/// # Safety
/// `out` is NULL or valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tower_floor_generate(
    floor_seed: u64,
    floor: u32,
    out: *mut TowerFloorHandle,
) -> TowerStatus {
    let size = FloorParams::default();
    // SAFETY: forwarded caller contract.
    unsafe { tower_floor_generate_sized(floor_seed, floor, size.width, size.height, out) }
}

/// Like `tower_floor_generate` with an explicit size; `TOWER_STATUS_INVALID_ARGUMENT` when
/// a side is outside procgen's accepted range.
///
/// # Safety
/// `out` is NULL or valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tower_floor_generate_sized(
    floor_seed: u64,
    floor: u32,
    width: u16,
    height: u16,
    out: *mut TowerFloorHandle,
) -> TowerStatus {
    guard(|| {
        // SAFETY: forwarded caller contract.
        let out = unsafe { out_ref(out, "out") }?;
        *out = TowerFloorHandle { id: 0 };
        *out = issue(Arc::new(generate(floor_seed, floor, width, height)?));
        Ok(())
    })
}

/// Writes the floor's width in tiles to `*out`.
///
/// # Safety
/// `out` is NULL or valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tower_floor_width(handle: TowerFloorHandle, out: *mut u16) -> TowerStatus {
    guard(|| {
        // SAFETY: forwarded caller contract.
        let out = unsafe { out_ref(out, "out") }?;
        *out = floor_of(handle)?.width;
        Ok(())
    })
}

/// Writes the floor's height in tiles to `*out`.
///
/// # Safety
/// `out` is NULL or valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tower_floor_height(
    handle: TowerFloorHandle,
    out: *mut u16,
) -> TowerStatus {
    guard(|| {
        // SAFETY: forwarded caller contract.
        let out = unsafe { out_ref(out, "out") }?;
        *out = floor_of(handle)?.height;
        Ok(())
    })
}

/// Fills `*out` with the floor's size, seed, special tiles and buffer lengths.
///
/// # Safety
/// `out` is NULL or valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tower_floor_info(
    handle: TowerFloorHandle,
    out: *mut TowerFloorInfo,
) -> TowerStatus {
    guard(|| {
        // SAFETY: forwarded caller contract.
        let out = unsafe { out_ref(out, "out") }?;
        let f = floor_of(handle)?;
        let (down_x, down_y) = f.stairs_down.unwrap_or((0, 0));
        *out = TowerFloorInfo {
            seed: f.seed,
            floor: f.floor,
            generator_version: procgen::GENERATOR_VERSION,
            width: f.width,
            height: f.height,
            entry_x: f.entry.0,
            entry_y: f.entry.1,
            stairs_up_x: f.stairs_up.0,
            stairs_up_y: f.stairs_up.1,
            has_stairs_down: u8::from(f.stairs_down.is_some()),
            stairs_down_x: down_x,
            stairs_down_y: down_y,
            tile_count: f.tiles.len(),
            spawn_count: f.spawns.len(),
        };
        Ok(())
    })
}

/// Copies the tiles (one `TowerTile` byte each, row-major) into the caller's buffer.
/// `*out_len` always receives the needed length (`width * height`). If `buf_len` is smaller,
/// nothing is copied and `TOWER_STATUS_BUFFER_TOO_SMALL` is returned; pass `buf = NULL,
/// buf_len = 0` to ask for the length.
///
/// # Safety
/// `buf` is NULL or valid for `buf_len` writes; `out_len` is NULL or valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tower_floor_tiles(
    handle: TowerFloorHandle,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> TowerStatus {
    guard(|| {
        check_buffer(buf.cast_const(), buf_len, "buf")?;
        let f = floor_of(handle)?;
        let bytes: Vec<u8> = f.tiles.iter().map(|t| *t as u8).collect();
        // SAFETY: forwarded caller contract.
        unsafe { copy_out(&bytes, buf, buf_len, out_len, "buf") }
    })
}

/// Copies the spawns, sorted by (y, x, kind, level), with the same length protocol as
/// `tower_floor_tiles`.
///
/// # Safety
/// `buf` is NULL or valid for `buf_len` writes; `out_len` is NULL or valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tower_floor_spawns(
    handle: TowerFloorHandle,
    buf: *mut TowerSpawn,
    buf_len: usize,
    out_len: *mut usize,
) -> TowerStatus {
    guard(|| {
        check_buffer(buf.cast_const(), buf_len, "buf")?;
        let f = floor_of(handle)?;
        let spawns: Vec<TowerSpawn> = f
            .spawns
            .iter()
            .map(|s| TowerSpawn {
                x: s.x,
                y: s.y,
                kind: s.kind as u8,
                level: s.level,
            })
            .collect();
        // SAFETY: forwarded caller contract.
        unsafe { copy_out(&spawns, buf, buf_len, out_len, "buf") }
    })
}

/// Copies procgen's canonical byte encoding of the floor (the bytes the hash is taken
/// over, see docs/floors.md), with the same length protocol as `tower_floor_tiles`.
///
/// # Safety
/// `buf` is NULL or valid for `buf_len` writes; `out_len` is NULL or valid for one write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tower_floor_encode(
    handle: TowerFloorHandle,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> TowerStatus {
    guard(|| {
        check_buffer(buf.cast_const(), buf_len, "buf")?;
        let encoded = floor_of(handle)?.encode();
        // SAFETY: forwarded caller contract.
        unsafe { copy_out(&encoded, buf, buf_len, out_len, "buf") }
    })
}

/// Writes the floor's SHA3-256 hash to `out[0..32]`. `out_len` is the size of `out` and
/// must be at least `TOWER_HASH_LEN`.
///
/// # Safety
/// `out` is NULL or valid for `out_len` writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tower_floor_hash(
    handle: TowerFloorHandle,
    out: *mut u8,
    out_len: usize,
) -> TowerStatus {
    guard(|| {
        check_buffer(out.cast_const(), out_len, "out")?;
        if out.is_null() {
            return Err(FfiError::Null("out"));
        }
        if out_len < TOWER_HASH_LEN {
            return Err(FfiError::BufferTooSmall {
                name: "out",
                needed: TOWER_HASH_LEN,
                got: out_len,
            });
        }
        let hash = floor_of(handle)?.hash();
        // SAFETY: forwarded caller contract.
        let dst = unsafe { out_slice(out, TOWER_HASH_LEN, "out") }?;
        dst.copy_from_slice(&hash.0);
        Ok(())
    })
}

/// Regenerates the default-size floor `(floor_seed, floor)` and compares its hash with
/// `hash[0..hash_len]`: `TOWER_STATUS_OK` when equal, `TOWER_STATUS_HASH_MISMATCH` when
/// not, `TOWER_STATUS_BAD_HASH_LENGTH` unless `hash_len == TOWER_HASH_LEN`.
///
/// # Safety
/// `hash` is NULL or valid for `hash_len` reads.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tower_floor_verify(
    floor_seed: u64,
    floor: u32,
    hash: *const u8,
    hash_len: usize,
) -> TowerStatus {
    guard(|| {
        crate::self_test::ensure()?;
        let expected = hash_arg(hash, hash_len)?;
        let computed = procgen::floor_hash(floor_seed, floor);
        if computed != expected {
            return Err(FfiError::HashMismatch {
                seed: floor_seed,
                floor,
                expected: expected.to_hex(),
                computed: computed.to_hex(),
            });
        }
        Ok(())
    })
}

/// Frees a floor handle. Freeing the null handle, an unknown handle or an already freed
/// one returns `TOWER_STATUS_BAD_HANDLE` and does nothing else, so a double free is safe.
#[unsafe(no_mangle)]
pub extern "C" fn tower_floor_free(handle: TowerFloorHandle) -> TowerStatus {
    guard(|| FLOORS.remove(handle.id).map(drop))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::ptr;

    fn generated(seed: u64, floor: u32) -> TowerFloorHandle {
        let mut h = TowerFloorHandle { id: 0 };
        // SAFETY: `h` is a valid out pointer.
        let status = unsafe { tower_floor_generate(seed, floor, &mut h) };
        assert_eq!(status, TowerStatus::Ok);
        h
    }

    #[test]
    fn tiles_and_hash_match_procgen() {
        let h = generated(42, 3);
        let reference = procgen::generate(42, 3);
        let mut len = 0usize;
        // SAFETY: NULL/0 asks for the length; `len` is valid.
        let status = unsafe { tower_floor_tiles(h, ptr::null_mut(), 0, &mut len) };
        assert_eq!(status, TowerStatus::BufferTooSmall);
        assert_eq!(len, reference.tiles.len());
        let mut tiles = vec![0xffu8; len];
        // SAFETY: the buffer has `len` bytes.
        let status = unsafe { tower_floor_tiles(h, tiles.as_mut_ptr(), len, &mut len) };
        assert_eq!(status, TowerStatus::Ok);
        let expected: Vec<u8> = reference.tiles.iter().map(|t| *t as u8).collect();
        assert_eq!(tiles, expected);
        let mut hash = [0u8; 32];
        // SAFETY: 32 writable bytes.
        let status = unsafe { tower_floor_hash(h, hash.as_mut_ptr(), 32) };
        assert_eq!(status, TowerStatus::Ok);
        assert_eq!(hash, reference.hash().0);
        // SAFETY: 32 readable bytes.
        let status = unsafe { tower_floor_verify(42, 3, hash.as_ptr(), 32) };
        assert_eq!(status, TowerStatus::Ok);
        hash[0] ^= 1;
        // SAFETY: 32 readable bytes.
        let status = unsafe { tower_floor_verify(42, 3, hash.as_ptr(), 32) };
        assert_eq!(status, TowerStatus::HashMismatch);
        assert_eq!(tower_floor_free(h), TowerStatus::Ok);
        assert_eq!(tower_floor_free(h), TowerStatus::BadHandle);
    }

    /// `tower_floor_seed` is the server's derivation: floor 3 of world seed 1 (the server's
    /// default) is generated from floor seed 0x71C1_8690_EE42_C90B, not from seed 1.
    #[test]
    fn world_seed_to_floor_seed_is_the_servers() {
        let floor_seed = tower_floor_seed(1, 3);
        assert_eq!(floor_seed, procgen::derive_floor_seed(1, 3));
        assert_eq!(floor_seed, 0x71C1_8690_EE42_C90B);
        assert_ne!(tower_floor_seed(1, 3), tower_floor_seed(2, 3));
        assert_ne!(tower_floor_seed(1, 3), tower_floor_seed(1, 4));
        let h = generated(floor_seed, 3);
        let mut info = TowerFloorInfo::default();
        // SAFETY: valid out pointer.
        let status = unsafe { tower_floor_info(h, &mut info) };
        assert_eq!(status, TowerStatus::Ok);
        assert_eq!(info.seed, floor_seed);
        let hash = procgen::floor_hash(floor_seed, 3);
        assert_ne!(hash, procgen::floor_hash(1, 3));
        // SAFETY: 32 readable bytes.
        let status = unsafe { tower_floor_verify(floor_seed, 3, hash.0.as_ptr(), 32) };
        assert_eq!(status, TowerStatus::Ok);
        assert_eq!(tower_floor_free(h), TowerStatus::Ok);
    }

    #[test]
    fn a_freed_handle_is_rejected_everywhere() {
        let h = generated(1, 1);
        assert_eq!(tower_floor_free(h), TowerStatus::Ok);
        let mut w = 0u16;
        // SAFETY: valid out pointer.
        let status = unsafe { tower_floor_width(h, &mut w) };
        assert_eq!(status, TowerStatus::BadHandle);
    }

    #[test]
    fn a_bad_size_is_an_invalid_argument_and_nulls_the_handle() {
        let mut h = TowerFloorHandle { id: 99 };
        // SAFETY: valid out pointer.
        let status = unsafe { tower_floor_generate_sized(1, 1, 0, 64, &mut h) };
        assert_eq!(status, TowerStatus::InvalidArgument);
        assert_eq!(h.id, 0);
    }

    #[test]
    fn a_short_hash_is_a_bad_hash_length() {
        let hash = [0u8; 31];
        // SAFETY: 31 readable bytes.
        let status = unsafe { tower_floor_verify(1, 1, hash.as_ptr(), hash.len()) };
        assert_eq!(status, TowerStatus::BadHashLength);
    }
}
