//! The load-time self-test, as a test that runs on every platform of stage 35: it passes
//! here, and its embedded floors are lines of the committed golden file (so they cannot
//! drift from the vectors every platform is checked against).
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

#[test]
fn the_self_test_passes() {
    procgen::self_test().unwrap();
}

#[test]
fn embedded_floors_are_committed_golden_vectors() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden_vectors.txt");
    let committed = std::fs::read_to_string(path).unwrap();
    for g in procgen::GOLDEN_FLOORS {
        let line = format!("{} {} {}", g.seed, g.floor, g.hash);
        assert!(
            committed.lines().any(|l| l == line),
            "embedded golden floor {line:?} is not in golden_vectors.txt"
        );
    }
}
