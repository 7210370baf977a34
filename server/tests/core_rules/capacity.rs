//! Crowd scale: floors prepared off the tick, and full views in a crowd.

use crate::support::*;
use tower_server::core::floors::FloorData;

/// The core asks for the floor above a live one once; a floor handed back is used without
/// generating on the tick.
#[test]
fn the_floor_above_a_live_floor_is_prepared_off_the_tick() {
    let mut core = core_with(quiet);
    assert!(core.floors_to_prepare().is_empty(), "no live floor yet");
    enter(&mut core, 1, "ann", TOKEN_A);
    assert_eq!(core.floors_to_prepare(), vec![1]);
    assert!(core.floors_to_prepare().is_empty(), "asked once");
    let generated = core.stats().floors_generated;
    hand_in(&mut core, 1);
    let f = core.floor(1);
    assert_eq!(f.number, 1);
    assert_eq!(f.floor, quiet(f.seed, 1));
    assert_eq!(
        core.stats().floors_generated,
        generated,
        "floor 1 came from the worker, not from a generation on the tick"
    );
}

/// 150 players on one small floor: every snapshot view is full (the view cap) and holds
/// only players within the view radius, with the candidate lists shared per grid cell.
#[test]
fn a_crowd_on_one_floor_sees_full_views() {
    let mut core = core_with(quiet);
    let cap = core.rules().max_view_entities;
    let radius = i64::from(core.rules().tiers.view_radius);
    for conn in 1..=150u64 {
        let mut token = [0u8; 16];
        token[..8].copy_from_slice(&conn.to_le_bytes());
        enter(&mut core, conn, &format!("p{conn}"), token);
    }
    let out = core.step(Vec::new());
    let out = if out.snapshots.len() < 150 {
        // Keepalives are staggered: take one full second of snapshots.
        let mut all = out;
        for _ in 0..30 {
            all.snapshots.extend(core.step(Vec::new()).snapshots);
        }
        all
    } else {
        out
    };
    let mut observers = std::collections::BTreeSet::new();
    for (conn, snap) in &out.snapshots {
        observers.insert(*conn);
        assert_eq!(snap.entities.len(), cap, "conn {conn}");
        for e in &snap.entities {
            assert!(snap.own.pos.dist2(e.pos) <= radius * radius);
            assert_ne!(e.id, snap.own.id);
        }
    }
    assert_eq!(observers.len(), 150);
}

/// A core whose floors are prepared off the tick, as the shell runs it.
fn core_preparing_floors() -> GameCore {
    let mut core = core_with(quiet);
    core.prepare_floors_off_the_tick();
    core
}

/// Hands floor `n` in, built as the shell's floor-prep thread builds it.
fn hand_in(core: &mut GameCore, n: u32) {
    let (seed, generator) = core.floor_builder();
    core.add_prepared_floor(FloorData::build(seed, generator, n));
}

/// Prepares every floor `core` asks for (what the shell's floor-prep thread does).
fn prepare_asked(core: &mut GameCore) {
    for n in core.floors_to_prepare() {
        hand_in(core, n);
    }
}

/// With floors prepared off the tick, a login to a floor nobody is on waits a tick for the
/// prepared floor instead of the tick generating it, and is then placed at its entry.
#[test]
fn a_login_to_a_cold_floor_waits_for_its_prepared_floor() {
    let mut core = core_preparing_floors();
    let out = core.step(vec![join(1, "ann", TOKEN_A)]);
    let control = control_for(&out, 1);
    assert!(
        matches!(control.as_slice(), [ControlOut::Welcome { .. }]),
        "welcomed, no floor yet: {control:?}"
    );
    assert!(
        control_for(&core.step(Vec::new()), 1).is_empty(),
        "still waiting"
    );
    assert_eq!(core.floors_to_prepare(), vec![0]);
    hand_in(&mut core, 0);
    let out = core.step(Vec::new());
    let (floor, hash) = floor_enter_of(&out, 1);
    assert_eq!((floor, hash), (0, core.floor(0).hash.0));
    core.step(vec![proof(1, floor, hash)]);
    let ann = core.player_by_conn(1).unwrap();
    assert!(ann.playing);
    assert_eq!(ann.pos, center(1, 1), "placed at the entry");
    assert_eq!(
        core.stats().floors_generated,
        0,
        "nothing generated on the tick"
    );
}

/// A climb that beats the preparer waits for the floor above, and gets it the tick after
/// it is handed in.
#[test]
fn a_climb_that_beats_the_preparer_waits_for_the_floor_above() {
    let mut core = core_preparing_floors();
    core.step(vec![join(1, "ann", TOKEN_A)]);
    prepare_asked(&mut core);
    let (floor, hash) = floor_enter_of(&core.step(Vec::new()), 1);
    core.step(vec![proof(1, floor, hash)]);
    assert_eq!(
        core.floors_to_prepare(),
        vec![1],
        "the floor above is asked for"
    );
    let mut seq = 0;
    walk(&mut core, 1, &mut seq, (0, 127), 33);
    seq += 1;
    let on_stairs = Pos {
        x: 384,
        y: 384 + 34 * PLAYER_SPEED_PER_TICK,
    };
    let out = core.step(vec![input(1, seq, 0, 127, 0, on_stairs)]);
    assert!(control_for(&out, 1).is_empty(), "floor 1 is not ready");
    assert!(!core.player_by_conn(1).unwrap().playing);
    hand_in(&mut core, 1);
    let (floor, hash) = floor_enter_of(&core.step(Vec::new()), 1);
    assert_eq!((floor, hash), (1, core.floor(1).hash.0));
    assert_eq!(core.stats().floors_generated, 0);
}

/// A floor asked for and never handed in (the preparer gone) is generated on the tick
/// after a second, so the player is not stuck.
#[test]
fn a_floor_never_prepared_is_generated_on_the_tick_after_a_second() {
    let mut core = core_preparing_floors();
    core.step(vec![join(1, "ann", TOKEN_A)]);
    let second = core.rules().tick_rate_hz;
    for _ in 1..second {
        assert!(control_for(&core.step(Vec::new()), 1).is_empty());
    }
    let (floor, hash) = floor_enter_of(&core.step(Vec::new()), 1);
    assert_eq!((floor, hash), (0, core.floor(0).hash.0));
    assert_eq!(core.stats().floors_generated, 1);
}

/// A proof sent before its FloorEnter (a client guessing) is refused without generating
/// the floor on the tick to check it.
#[test]
fn a_floor_proof_before_its_floor_enter_is_refused_without_generating() {
    let mut core = core_preparing_floors();
    core.step(vec![join(1, "ann", TOKEN_A)]);
    let out = core.step(vec![proof(1, 0, [7; 32])]);
    assert!(
        control_for(&out, 1)
            .iter()
            .any(|m| matches!(m, ControlOut::Error { message, .. } if message.contains("before FloorEnter"))),
        "{:?}",
        control_for(&out, 1)
    );
    assert_eq!(out.close, vec![1]);
    assert_eq!(core.stats().floors_generated, 0);
}
