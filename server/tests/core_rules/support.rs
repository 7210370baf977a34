//! Hand-drawn floors and the events a client would send, for stepping the core.

pub use procgen::{Floor, Spawn, SpawnKind, Tile};
pub use std::collections::BTreeMap;
pub use tower_meta::{Identity, PlayerState};
pub use tower_server::core::movement::{MoveInput, MoveParams, PLAYER_SPEED_PER_TICK, Pos};
pub use tower_server::core::{
    ClientEvent, ControlOut, ErrorKind, GameCore, RosterEntry, RosterUpdate, Rules, TickInput,
    TickOutput, buttons,
};

/// 40x12: entry (1,1), a wall column at x=7 for y=1..=3, stairs up at (1,6).
pub const QUIET: [&str; 12] = [
    "########################################",
    "#E.....#...............................#",
    "#......#...............................#",
    "#......#...............................#",
    "#......................................#",
    "#......................................#",
    "#S.....................................#",
    "#......................................#",
    "#......................................#",
    "#......................................#",
    "#......................................#",
    "########################################",
];

pub fn parse(rows: &[&str], seed: u64, n: u32, monsters: &[(u16, u16)]) -> Floor {
    let width = u16::try_from(rows[0].len()).unwrap();
    let height = u16::try_from(rows.len()).unwrap();
    let (mut entry, mut stairs_up) = ((0, 0), (0, 0));
    let mut tiles = Vec::new();
    for (y, row) in rows.iter().enumerate() {
        for (x, c) in row.bytes().enumerate() {
            let at = (u16::try_from(x).unwrap(), u16::try_from(y).unwrap());
            tiles.push(match c {
                b'#' => Tile::Wall,
                b'E' => {
                    entry = at;
                    Tile::Entry
                }
                b'S' => {
                    stairs_up = at;
                    Tile::StairsUp
                }
                _ => Tile::Floor,
            });
        }
    }
    let mut spawns: Vec<Spawn> = monsters
        .iter()
        .map(|&(x, y)| Spawn {
            x,
            y,
            kind: SpawnKind::Monster,
            level: 1,
        })
        .collect();
    spawns.sort();
    Floor {
        seed,
        floor: n,
        width,
        height,
        tiles,
        spawns,
        entry,
        stairs_up,
        stairs_down: None,
    }
}

pub fn quiet(seed: u64, n: u32) -> Floor {
    parse(&QUIET, seed, n, &[])
}

/// The quiet floor with two level-1 monsters far from the entry.
pub fn arena(seed: u64, n: u32) -> Floor {
    parse(&QUIET, seed, n, &[(30, 8), (35, 2)])
}

pub const TOKEN_A: [u8; 16] = [1; 16];
pub const TOKEN_B: [u8; 16] = [2; 16];

pub fn identity(name: &str) -> Identity {
    Identity {
        player_id: format!("dev:{name}"),
        username: name.into(),
        guild: None,
    }
}

pub fn join(conn: u64, name: &str, token: [u8; 16]) -> ClientEvent {
    ClientEvent::Join {
        conn,
        identity: identity(name),
        state: PlayerState::default(),
        resume_token: token,
    }
}

pub fn control_for(out: &TickOutput, conn: u64) -> Vec<ControlOut> {
    out.control
        .iter()
        .filter(|(c, _)| *c == conn)
        .map(|(_, m)| m.clone())
        .collect()
}

pub fn floor_enter_of(out: &TickOutput, conn: u64) -> (u32, [u8; 32]) {
    control_for(out, conn)
        .into_iter()
        .find_map(|m| match m {
            ControlOut::FloorEnter { floor, hash, .. } => Some((floor, hash)),
            _ => None,
        })
        .expect("a FloorEnter")
}

pub fn proof(conn: u64, floor: u32, hash: [u8; 32]) -> ClientEvent {
    ClientEvent::FloorProof {
        conn,
        floor,
        hash: hash.to_vec(),
        generator_version: procgen::GENERATOR_VERSION,
    }
}

/// Joins and proves the floor; returns the output of the admitting tick.
pub fn enter(core: &mut GameCore, conn: u64, name: &str, token: [u8; 16]) -> TickOutput {
    let out = core.step(vec![join(conn, name, token)]);
    let (floor, hash) = floor_enter_of(&out, conn);
    core.step(vec![proof(conn, floor, hash)])
}

pub fn input(conn: u64, seq: u32, x: i8, y: i8, buttons: u8, predicted: Pos) -> ClientEvent {
    ClientEvent::Inputs {
        conn,
        inputs: vec![TickInput {
            seq,
            dir: MoveInput::new(x, y),
            buttons,
            predicted,
            render_tick: None,
        }],
    }
}

pub fn center(tx: u16, ty: u16) -> Pos {
    tower_server::core::movement::tile_center(tx, ty)
}

pub fn core_with(generator: fn(u64, u32) -> Floor) -> GameCore {
    GameCore::with_generator(Rules::new(99, 30), generator)
}

/// Moves `conn` honestly (predicting exactly what the server computes) for `ticks` ticks.
pub fn walk(
    core: &mut GameCore,
    conn: u64,
    seq: &mut u32,
    dir: (i8, i8),
    ticks: u32,
) -> TickOutput {
    let mut last = TickOutput::default();
    for _ in 0..ticks {
        *seq += 1;
        let me = core.player_by_conn(conn).unwrap();
        let now = me.pos;
        let f = core.floor(me.floor);
        let next = tower_server::core::movement::step(
            &f.floor,
            now,
            MoveInput::new(dir.0, dir.1),
            &MoveParams::player(30),
        );
        last = core.step(vec![input(conn, *seq, dir.0, dir.1, 0, next)]);
    }
    last
}
