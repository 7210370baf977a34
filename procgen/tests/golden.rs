//! The golden vectors: `seed floor hash` lines that every build on every platform must
//! reproduce. Regenerate ONLY together with a GENERATOR_VERSION bump (docs/floors.md):
//!     TOWER_BLESS=1 cargo test -p procgen --test golden
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

const LINES: u64 = 320;

fn golden_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden_vectors.txt")
}

/// Seeds spread over the whole u64 range (SplitMix64), plus the edge values 0 and u64::MAX.
fn cases() -> Vec<(u64, u32)> {
    let mut out = vec![(0, 0), (u64::MAX, 100), (1, 1), (0x8000_0000_0000_0000, 50)];
    let mut state = 0x1234_5678_9ABC_DEF0u64;
    for i in 0..LINES - 4 {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        out.push((z, u32::try_from(i % 101).unwrap()));
    }
    out
}

fn render() -> String {
    let mut text = format!(
        "# Tower golden floor vectors, generator version {}: seed floor sha3-256\n",
        procgen::GENERATOR_VERSION
    );
    for (seed, floor) in cases() {
        text.push_str(&format!(
            "{seed} {floor} {}\n",
            procgen::floor_hash(seed, floor)
        ));
    }
    text
}

#[test]
fn golden_vectors_match() {
    let path = golden_path();
    if std::env::var_os("TOWER_BLESS").is_some() {
        std::fs::write(&path, render()).expect("write golden file");
        return;
    }
    let committed = std::fs::read_to_string(&path).expect("golden_vectors.txt is committed");
    let mut checked = 0;
    let mut header_version = None;
    for line in committed.lines() {
        if let Some(rest) = line.strip_prefix("# Tower golden floor vectors, generator version ") {
            header_version = rest
                .split(':')
                .next()
                .map(|v| v.parse::<u32>().expect("version"));
            continue;
        }
        let parts: Vec<&str> = line.split_whitespace().collect();
        let [seed, floor, hash] = parts[..] else {
            panic!("malformed golden line {line:?}");
        };
        let seed: u64 = seed.parse().expect("seed");
        let floor: u32 = floor.parse().expect("floor");
        let expected: procgen::FloorHash = hash.parse().expect("hash");
        let actual = procgen::floor_hash(seed, floor);
        assert_eq!(
            actual, expected,
            "seed {seed} floor {floor}: the generator's output changed. If intended, bump \
             GENERATOR_VERSION and re-bless (docs/floors.md)."
        );
        checked += 1;
    }
    assert_eq!(
        header_version,
        Some(procgen::GENERATOR_VERSION),
        "golden file was blessed for another generator version"
    );
    assert!(checked >= 256, "only {checked} golden lines");
}
