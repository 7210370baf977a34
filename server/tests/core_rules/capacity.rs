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
    let (seed, generator) = core.floor_builder();
    core.add_prepared_floor(FloorData::build(seed, generator, 1));
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
