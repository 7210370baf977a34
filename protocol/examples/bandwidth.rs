//! Snapshot payload bandwidth of the codec alone, for the scenarios of the targets:
//! 32 entities wandering in view at 30 Hz (every entity refreshed every tick, or refreshed
//! by tier 30/10/2 Hz), and a player who sees nothing moving. Deterministic; with 5 %
//! datagram loss and acks one round trip (3 ticks) late, as a server would see them.
//!
//!     cargo run --release -p tower-protocol --example bandwidth
#![allow(clippy::unwrap_used)]

use tower_protocol::{EntityFlags, EntityKind, EntitySet, EntityState, SnapshotHistory, packetize};

const TICK_HZ: u32 = 30;
const SECONDS: u32 = 60;

struct Walker {
    state: EntityState,
    vx: i32,
    vy: i32,
}

fn rng(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

/// Returns payload bytes per second and datagrams per second.
fn run(moving: bool, tier_of: impl Fn(usize) -> u32) -> (f64, f64) {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut walkers: Vec<Walker> = (0..32)
        .map(|i| Walker {
            state: EntityState {
                id: 1000 + i * 7,
                kind: if i % 8 == 0 {
                    EntityKind::Player
                } else {
                    EntityKind::Monster
                },
                x: 8192 + (i as i32 % 6) * 300,
                y: 8192 + (i as i32 / 6) * 300,
                health: 100,
                flags: EntityFlags::default(),
            },
            vx: 0,
            vy: 0,
        })
        .collect();
    let mut server = SnapshotHistory::default();
    let mut client = SnapshotHistory::default();
    let mut acks: Vec<(u32, u32)> = Vec::new(); // (deliver at tick, seq)
    let (mut bytes, mut datagrams) = (0usize, 0usize);
    let ticks = TICK_HZ * SECONDS;
    for tick in 1..=ticks {
        for (i, w) in walkers.iter_mut().enumerate() {
            if moving {
                if rng(&mut seed).is_multiple_of(45) {
                    let dir = [
                        (34, 0),
                        (-34, 0),
                        (0, 34),
                        (0, -34),
                        (24, 24),
                        (-24, 24),
                        (24, -24),
                        (-24, -24),
                        (0, 0),
                    ];
                    (w.vx, w.vy) = dir[(rng(&mut seed) % 9) as usize];
                }
                w.state.x += w.vx;
                w.state.y += w.vy;
                if rng(&mut seed).is_multiple_of(200) {
                    w.state.health = w.state.health.saturating_sub(7);
                    w.state.flags = w.state.flags.with(EntityFlags::HURT, true);
                }
            }
            let _ = i;
        }
        for (at, seq) in acks.iter().filter(|(at, _)| *at == tick) {
            let _ = at;
            server.ack(*seq);
        }
        if !moving && tick % (TICK_HZ / 2) != 0 {
            continue; // nothing moves: the server sends a 2 Hz heartbeat only
        }
        let view = EntitySet::from_vec(walkers.iter().map(|w| w.state).collect());
        let tiers: Vec<(u32, u32)> = walkers
            .iter()
            .enumerate()
            .map(|(i, w)| (w.state.id, tier_of(i)))
            .collect();
        let due = |e: &EntityState| {
            tiers
                .iter()
                .any(|&(id, hz)| id == e.id && tick % (TICK_HZ / hz) == 0)
        };
        let payload = server
            .encode_and_record_tiered(tick, tick, view, due)
            .unwrap();
        for d in packetize(tick, &payload, 1200).unwrap() {
            bytes += d.len();
            datagrams += 1;
        }
        if !rng(&mut seed).is_multiple_of(20) {
            let snap = client.decode_and_record(&payload).unwrap();
            acks.push((tick + 3, snap.header.seq));
        }
    }
    let secs = f64::from(SECONDS);
    (bytes as f64 / secs, datagrams as f64 / secs)
}

fn main() {
    println!(
        "{:<52} {:>10} {:>12}",
        "scenario (32 entities in view, 60 s, 5% loss)", "payload B/s", "datagrams/s"
    );
    type Row = (&'static str, bool, fn(usize) -> u32);
    let rows: [Row; 4] = [
        ("all moving, every entity at 30 Hz", true, |_| 30),
        (
            "all moving, tiers 8 @ 30 Hz, 12 @ 10 Hz, 12 @ 2 Hz",
            true,
            |i| match i {
                0..8 => 30,
                8..20 => 10,
                _ => 2,
            },
        ),
        (
            "all moving, tiers 4 @ 30 Hz, 8 @ 10 Hz, 20 @ 2 Hz",
            true,
            |i| match i {
                0..4 => 30,
                4..12 => 10,
                _ => 2,
            },
        ),
        ("nothing moving, 2 Hz heartbeat", false, |_| 30),
    ];
    for (name, moving, tiers) in rows {
        let (b, d) = run(moving, tiers);
        println!("{name:<52} {b:>10.0} {d:>12.1}");
    }
}
