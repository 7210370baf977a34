//! One tick of the game core with N players moving and fighting on real procgen floors.
//! `cargo bench -p tower-server --bench tick`

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use tower_meta::{Identity, PlayerState};
use tower_server::core::movement::{MoveInput, Pos};
use tower_server::core::{ClientEvent, ControlOut, GameCore, Rules, TickInput, buttons};

/// A core with `n` admitted players spread over `floors` floors.
fn populated(n: u64, floors: u32) -> GameCore {
    let mut core = GameCore::new(Rules::new(7, 30));
    for conn in 1..=n {
        let floor = u32::try_from(conn).unwrap_or(0) % floors;
        let state = PlayerState {
            current_floor: floor,
            highest_floor: floor,
            ..PlayerState::default()
        };
        let identity = Identity {
            player_id: format!("dev:b{conn}"),
            username: format!("b{conn}"),
            guild: None,
        };
        let token = conn.to_le_bytes().repeat(2).try_into().unwrap_or([0; 16]);
        let out = core.step(vec![ClientEvent::Join {
            conn,
            identity,
            state,
            resume_token: token,
        }]);
        for (c, msg) in out.control {
            if let ControlOut::FloorEnter { floor, hash, .. } = msg {
                core.step(vec![ClientEvent::FloorProof {
                    conn: c,
                    floor,
                    hash: hash.to_vec(),
                    generator_version: procgen::GENERATOR_VERSION,
                }]);
            }
        }
    }
    core
}

fn inputs(n: u64, tick: u32) -> Vec<ClientEvent> {
    (1..=n)
        .map(|conn| {
            let phase = (u64::from(tick / 30) + conn) % 8;
            let dir = [
                (127, 0),
                (90, 90),
                (0, 127),
                (-90, 90),
                (-127, 0),
                (-90, -90),
                (0, -127),
                (90, -90),
            ][phase as usize];
            ClientEvent::Inputs {
                conn,
                inputs: vec![TickInput {
                    seq: tick,
                    dir: MoveInput::new(dir.0, dir.1),
                    buttons: buttons::ATTACK,
                    predicted: Pos::default(),
                    render_tick: None,
                }],
            }
        })
        .collect()
}

fn tick(c: &mut Criterion) {
    let mut group = c.benchmark_group("core_tick");
    group.sample_size(30);
    for (n, floors) in [(100u64, 1u32), (1000, 1), (1000, 10)] {
        let mut core = populated(n, floors);
        let mut t = 1u32;
        group.bench_with_input(
            BenchmarkId::new(format!("players_on_{floors}_floors"), n),
            &n,
            |b, &n| {
                b.iter_batched(
                    || {
                        t += 1;
                        inputs(n, t)
                    },
                    |events| black_box(core.step(events)),
                    criterion::BatchSize::SmallInput,
                )
            },
        );
    }
    group.finish();
}

criterion_group!(benches, tick);
criterion_main!(benches);
