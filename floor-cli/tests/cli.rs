//! Every `tower-floor` command and error path, run as the real binary.
#![allow(clippy::unwrap_used)]

use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tower-floor"))
        .args(args)
        .output()
        .expect("spawn tower-floor")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exited normally")
}

#[test]
fn help_everywhere() {
    for args in [
        vec!["--help"],
        vec!["gen", "--help"],
        vec!["hash", "--help"],
        vec!["verify", "--help"],
        vec!["bench", "--help"],
    ] {
        let o = run(&args);
        assert_eq!(code(&o), 0, "{args:?}");
        assert!(stdout(&o).contains("Usage"), "{args:?}");
    }
}

#[test]
fn hash_prints_only_the_hash() {
    let o = run(&["hash", "--seed", "42", "--floor", "7"]);
    assert_eq!(code(&o), 0);
    assert_eq!(stdout(&o), format!("{}\n", procgen::floor_hash(42, 7)));
}

/// `--world-seed W --floor N` is floor N of the tower the game server runs with
/// `world_seed = W`: the floor seed comes from the derivation the server uses
/// (`procgen::derive_floor_seed`, pinned here for world seed 1, the server's default).
#[test]
fn world_seed_gives_the_servers_floor() {
    let floor_seed = procgen::derive_floor_seed(1, 3);
    assert_eq!(floor_seed, 0x71C1_8690_EE42_C90B);
    let world = run(&["hash", "--world-seed", "1", "--floor", "3"]);
    assert_eq!(code(&world), 0, "{}", stderr(&world));
    assert_eq!(
        stdout(&world),
        format!("{}\n", procgen::floor_hash(floor_seed, 3))
    );
    let direct = run(&[
        "hash",
        "--floor-seed",
        &floor_seed.to_string(),
        "--floor",
        "3",
    ]);
    assert_eq!(stdout(&world), stdout(&direct));
    // The world seed is not a floor seed: floor 3 "of seed 1" is another floor.
    let alias = run(&["hash", "--seed", "1", "--floor", "3"]);
    assert_eq!(code(&alias), 0);
    assert_ne!(stdout(&world), stdout(&alias));
    assert_eq!(stdout(&alias), format!("{}\n", procgen::floor_hash(1, 3)));
    // gen and verify take it too; a mismatch names both seeds.
    let json = run(&[
        "gen",
        "--world-seed",
        "1",
        "--floor",
        "3",
        "--format",
        "json",
    ]);
    assert_eq!(code(&json), 0);
    assert!(
        stdout(&json).contains(&format!("\"seed\": {floor_seed}")),
        "{}",
        stdout(&json)
    );
    let other = procgen::floor_hash(1, 3).to_hex();
    let o = run(&[
        "verify",
        "--world-seed",
        "1",
        "--floor",
        "3",
        "--hash",
        &other,
    ]);
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains(&format!("world seed 1 floor 3 (floor seed {floor_seed})")),
        "{}",
        stderr(&o)
    );
    // Exactly one of the two.
    for args in [
        vec!["hash", "--floor", "3"],
        vec![
            "hash",
            "--world-seed",
            "1",
            "--floor-seed",
            "2",
            "--floor",
            "3",
        ],
        vec!["hash", "--world-seed", "1", "--seed", "2", "--floor", "3"],
    ] {
        let o = run(&args);
        assert_eq!(code(&o), 2, "{args:?}");
    }
}

#[test]
fn seeds_in_decimal_and_hex_agree() {
    let dec = run(&["hash", "--seed", "3735928559", "--floor", "1"]);
    let hex = run(&["hash", "--seed", "0xdeadbeef", "--floor", "1"]);
    let upper = run(&["hash", "--seed", "0XDEADBEEF", "--floor", "1"]);
    assert_eq!(code(&dec), 0);
    assert_eq!(stdout(&dec), stdout(&hex));
    assert_eq!(stdout(&dec), stdout(&upper));
    let max = run(&["hash", "--seed", "0xffffffffffffffff", "--floor", "100"]);
    assert_eq!(
        stdout(&max).trim(),
        procgen::floor_hash(u64::MAX, 100).to_hex()
    );
}

#[test]
fn bad_seeds_and_floors_exit_2() {
    for seed in [
        "-1",
        "abc",
        "0x",
        "0xg1",
        "18446744073709551616",
        "0x1ffffffffffffffff",
        "",
    ] {
        let o = run(&["hash", "--seed", seed, "--floor", "1"]);
        assert_eq!(code(&o), 2, "seed {seed:?}");
        assert!(stderr(&o).contains("seed"), "{}", stderr(&o));
    }
    let o = run(&["hash", "--seed", "1", "--floor", "-3"]);
    assert_eq!(code(&o), 2);
    let o = run(&["hash", "--seed", "1"]);
    assert_eq!(code(&o), 2);
}

#[test]
fn verify_ok_mismatch_and_malformed() {
    let h = procgen::floor_hash(5, 6).to_hex();
    let o = run(&["verify", "--seed", "5", "--floor", "6", "--hash", &h]);
    assert_eq!(code(&o), 0);
    assert_eq!(stdout(&o), "ok\n");
    let o = run(&[
        "verify",
        "--seed",
        "5",
        "--floor",
        "6",
        "--hash",
        &h.to_uppercase(),
    ]);
    assert_eq!(code(&o), 0);

    let other = procgen::floor_hash(5, 7).to_hex();
    let o = run(&["verify", "--seed", "5", "--floor", "6", "--hash", &other]);
    assert_eq!(code(&o), 1);
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("mismatch") && err.contains(&h) && err.contains(&other),
        "{err}"
    );

    for bad in [
        "abc",
        &h[..63],
        &format!("{h}0"),
        &format!("{}zz", &h[..62]),
        "",
    ] {
        let o = run(&["verify", "--seed", "5", "--floor", "6", "--hash", bad]);
        assert_eq!(code(&o), 2, "hash {bad:?}");
        assert!(stderr(&o).contains("malformed --hash"), "{}", stderr(&o));
    }
    let o = run(&["verify", "--seed", "5", "--floor", "6"]);
    assert_eq!(code(&o), 2);
}

#[test]
fn gen_ascii_by_default() {
    let o = run(&["gen", "--seed", "1", "--floor", "3"]);
    assert_eq!(code(&o), 0);
    let text = stdout(&o);
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows.len(), 65);
    assert!(rows[..64].iter().all(|r| r.chars().count() == 64));
    for c in ['@', '<', '>', '+', ':', '.', '#'] {
        assert!(text.contains(c), "missing {c}");
    }
    assert!(rows[64].starts_with("legend"));
    // Floor 0 has no stairs down.
    let o = run(&["gen", "--seed", "1", "--floor", "0"]);
    assert!(!stdout(&o).lines().take(64).any(|r| r.contains('>')));
}

#[test]
fn gen_json_has_the_documented_fields() {
    let o = run(&["gen", "--seed", "9", "--floor", "2", "--format", "json"]);
    assert_eq!(code(&o), 0);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["width"], 64);
    assert_eq!(v["height"], 64);
    assert_eq!(v["generator_version"], procgen::GENERATOR_VERSION);
    assert_eq!(v["hash"], procgen::floor_hash(9, 2).to_hex());
    let tiles = v["tiles"].as_array().unwrap();
    assert_eq!(tiles.len(), 64);
    let f = procgen::generate(9, 2);
    let flat: String = tiles.iter().map(|r| r.as_str().unwrap()).collect();
    let expected: String = f
        .tiles
        .iter()
        .map(|&t| char::from(b'0' + t as u8))
        .collect();
    assert_eq!(flat, expected);
    assert_eq!(v["spawns"].as_array().unwrap().len(), f.spawns.len());
    assert!(v["spawns"][0]["kind"].is_string());
}

#[test]
fn gen_png_to_a_file_and_custom_size() {
    let dir = std::env::temp_dir().join(format!("tower-floor-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("floor.png");
    let o = run(&[
        "gen",
        "--seed",
        "0x10",
        "--floor",
        "4",
        "--format",
        "png",
        "--width",
        "40",
        "--height",
        "24",
        "--out",
        path.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    // IHDR width: 40 tiles at 8 px.
    assert_eq!(u32::from_be_bytes(bytes[16..20].try_into().unwrap()), 320);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn gen_png_to_a_pipe_works() {
    let o = run(&["gen", "--seed", "1", "--floor", "1", "--format", "png"]);
    assert_eq!(code(&o), 0);
    assert_eq!(&o.stdout[..4], b"\x89PNG");
}

#[test]
fn unknown_format_zero_and_huge_sizes_exit_2() {
    let o = run(&["gen", "--seed", "1", "--floor", "1", "--format", "bmp"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("bmp"));
    for (flag, v) in [
        ("--width", "0"),
        ("--height", "0"),
        ("--width", "100000"),
        ("--height", "513"),
        ("--width", "15"),
    ] {
        let o = run(&["gen", "--seed", "1", "--floor", "1", flag, v]);
        assert_eq!(code(&o), 2, "{flag} {v}");
        assert!(stderr(&o).contains(flag), "{}", stderr(&o));
    }
}

#[test]
fn unwritable_output_exits_1() {
    let o = run(&[
        "gen",
        "--seed",
        "1",
        "--floor",
        "1",
        "--out",
        "/nonexistent-dir/x/floor.txt",
    ]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("cannot write"));
}

#[test]
fn bench_reports_rate_and_median() {
    let o = run(&["bench", "--count", "20"]);
    assert_eq!(code(&o), 0);
    let out = stdout(&o);
    assert!(out.contains("floors/second:"), "{out}");
    assert!(out.contains("median:"), "{out}");
    for bad in ["0", "-1", "10000001", "many"] {
        let o = run(&["bench", "--count", bad]);
        assert_eq!(code(&o), 2, "--count {bad}");
    }
}
