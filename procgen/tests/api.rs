//! The small API other crates rely on: lookups, hashes as text, decode errors.
#![allow(clippy::unwrap_used)]

use procgen::{DecodeError, Floor, FloorHash, HashParseError, Tile};

#[test]
fn lookups_outside_the_grid_are_safe() {
    let f = procgen::generate(5, 5);
    for (x, y) in [
        (-1, 0),
        (0, -1),
        (64, 0),
        (0, 64),
        (i32::MIN, i32::MAX),
        (i32::MAX, 3),
    ] {
        assert!(!f.is_walkable(x, y));
    }
    assert_eq!(f.tile(64, 0), None);
    assert_eq!(f.tile(0, 0), Some(Tile::Wall));
    assert!(f.is_walkable(i32::from(f.entry.0), i32::from(f.entry.1)));
}

#[test]
fn the_shortest_path_walks_from_the_entry_to_the_stairs_up() {
    let f = procgen::generate(5, 5);
    let path = f.shortest_path(f.entry, f.stairs_up).unwrap();
    assert_eq!(path.first(), Some(&f.entry));
    assert_eq!(path.last(), Some(&f.stairs_up));
    for step in path.windows(2) {
        let (a, b) = (step[0], step[1]);
        assert_eq!(
            a.0.abs_diff(b.0) + a.1.abs_diff(b.1),
            1,
            "4-connected steps"
        );
        assert!(f.is_walkable(i32::from(b.0), i32::from(b.1)));
    }
    assert_eq!(f.shortest_path(f.entry, f.entry), Some(vec![f.entry]));
    assert_eq!(
        f.shortest_path((0, 0), f.stairs_up),
        None,
        "a wall is no start"
    );
}

#[test]
fn hash_text_round_trips() {
    let h = procgen::floor_hash(9, 9);
    let hex = h.to_hex();
    assert_eq!(hex.len(), 64);
    assert_eq!(hex, hex.to_lowercase());
    assert_eq!(hex.parse::<FloorHash>().unwrap(), h);
    assert_eq!(hex.to_uppercase().parse::<FloorHash>().unwrap(), h);
    assert_eq!(format!("{h}"), hex);
    assert!(format!("{h:?}").contains(&hex));
}

#[test]
fn malformed_hashes_are_errors() {
    assert_eq!("abc".parse::<FloorHash>(), Err(HashParseError::Length(3)));
    assert_eq!("".parse::<FloorHash>(), Err(HashParseError::Length(0)));
    let bad = format!("{}g", "0".repeat(63));
    assert_eq!(bad.parse::<FloorHash>(), Err(HashParseError::NotHex('g')));
    assert!("0".repeat(66).parse::<FloorHash>().is_err());
}

#[test]
fn hash_is_sha3_of_the_encoding() {
    let f = procgen::generate(1, 2);
    assert_eq!(f.hash(), FloorHash::of_bytes(&f.encode()));
    assert_eq!(f.hash(), procgen::floor_hash(1, 2));
}

#[test]
fn encoding_header_is_as_documented() {
    let f = procgen::generate(0x0102_0304_0506_0708, 9);
    let b = f.encode();
    assert_eq!(&b[0..4], b"TWRF");
    assert_eq!(&b[4..8], &procgen::GENERATOR_VERSION.to_le_bytes());
    assert_eq!(&b[8..12], &[64, 0, 64, 0]);
    assert_eq!(&b[12..20], &[8, 7, 6, 5, 4, 3, 2, 1]);
    assert_eq!(&b[20..24], &[9, 0, 0, 0]);
    assert_eq!(b[24], Tile::Wall as u8);
    let n = u32::from_le_bytes(b[24 + 4096..24 + 4100].try_into().unwrap());
    assert_eq!(n as usize, f.spawns.len());
    assert_eq!(b.len(), 24 + 4096 + 4 + 6 * f.spawns.len());
}

#[test]
fn decode_reports_each_error() {
    let f = procgen::generate(4, 4);
    let good = f.encode();
    assert!(matches!(
        Floor::decode(&good[..10]),
        Err(DecodeError::Truncated { .. })
    ));
    let mut b = good.clone();
    b[0] = b'X';
    assert!(matches!(Floor::decode(&b), Err(DecodeError::BadMagic(_))));
    let mut b = good.clone();
    b[4] ^= 0xff;
    assert!(matches!(
        Floor::decode(&b),
        Err(DecodeError::Version { .. })
    ));
    let mut b = good.clone();
    b[8] = 0;
    b[9] = 0;
    assert!(matches!(
        Floor::decode(&b),
        Err(DecodeError::ZeroSize { .. })
    ));
    let mut b = good.clone();
    b[24] = 9;
    assert!(matches!(
        Floor::decode(&b),
        Err(DecodeError::BadTile { byte: 9, .. })
    ));
    let mut b = good.clone();
    let entry = 24 + usize::from(f.entry.1) * 64 + usize::from(f.entry.0);
    b[entry] = Tile::Floor as u8;
    assert!(matches!(
        Floor::decode(&b),
        Err(DecodeError::SpecialTileCount {
            tile: Tile::Entry,
            count: 0
        })
    ));
    let mut b = good.clone();
    b.push(0);
    assert!(matches!(Floor::decode(&b), Err(DecodeError::Trailing(1))));
    let spawns = 24 + 4096 + 4;
    let mut b = good.clone();
    b[spawns + 4] = 7;
    assert!(matches!(
        Floor::decode(&b),
        Err(DecodeError::BadSpawnKind { index: 0, byte: 7 })
    ));
    let mut b = good.clone();
    b[spawns..spawns + 4].copy_from_slice(&[0, 0, 0, 0]);
    assert!(matches!(
        Floor::decode(&b),
        Err(DecodeError::SpawnNotWalkable { index: 0, .. })
    ));
    let mut b = good.clone();
    b[spawns + 6..spawns + 12].copy_from_slice(&good[spawns..spawns + 6]);
    assert!(matches!(
        Floor::decode(&b),
        Err(DecodeError::SpawnsUnsorted(1))
    ));
    let mut b = good;
    b[24 + 4096..24 + 4100].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(matches!(
        Floor::decode(&b),
        Err(DecodeError::Truncated { .. })
    ));
}

#[test]
fn extreme_floor_numbers_saturate_instead_of_overflowing() {
    let f = procgen::generate(1, u32::MAX);
    assert!(f.stairs_down.is_some());
    let top = f
        .spawns_of(procgen::SpawnKind::Monster)
        .map(|s| s.level)
        .max();
    assert_eq!(top, Some(u8::MAX));
    assert_eq!(Floor::decode(&f.encode()).unwrap(), f);
}
