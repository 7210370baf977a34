//! The game core's rules, stepped tick by tick on hand-drawn floors with exact assertions.
#![allow(clippy::unwrap_used)]

use procgen::{Floor, Spawn, SpawnKind, Tile};
use std::collections::BTreeMap;
use tower_meta::{Identity, PlayerState};
use tower_server::core::movement::{Dir, MoveParams, PLAYER_SPEED, Pos};
use tower_server::core::{
    ClientEvent, ControlOut, ErrorKind, GameCore, MoveInput, RosterEntry, RosterUpdate, Rules,
    TickOutput, buttons,
};

/// 40x12: entry (1,1), a wall column at x=7 for y=1..=3, stairs up at (1,6).
const QUIET: [&str; 12] = [
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

fn parse(rows: &[&str], seed: u64, n: u32, monsters: &[(u16, u16)]) -> Floor {
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

fn quiet(seed: u64, n: u32) -> Floor {
    parse(&QUIET, seed, n, &[])
}

/// The quiet floor with two level-1 monsters far from the entry.
fn arena(seed: u64, n: u32) -> Floor {
    parse(&QUIET, seed, n, &[(30, 8), (35, 2)])
}

const TOKEN_A: [u8; 16] = [1; 16];
const TOKEN_B: [u8; 16] = [2; 16];

fn identity(name: &str) -> Identity {
    Identity {
        player_id: format!("dev:{name}"),
        username: name.into(),
        guild: None,
    }
}

fn join(conn: u64, name: &str, token: [u8; 16]) -> ClientEvent {
    ClientEvent::Join {
        conn,
        identity: identity(name),
        state: PlayerState::default(),
        resume_token: token,
    }
}

fn control_for(out: &TickOutput, conn: u64) -> Vec<ControlOut> {
    out.control
        .iter()
        .filter(|(c, _)| *c == conn)
        .map(|(_, m)| m.clone())
        .collect()
}

fn floor_enter_of(out: &TickOutput, conn: u64) -> (u32, [u8; 32]) {
    control_for(out, conn)
        .into_iter()
        .find_map(|m| match m {
            ControlOut::FloorEnter { floor, hash, .. } => Some((floor, hash)),
            _ => None,
        })
        .expect("a FloorEnter")
}

fn proof(conn: u64, floor: u32, hash: [u8; 32]) -> ClientEvent {
    ClientEvent::FloorProof {
        conn,
        floor,
        hash: hash.to_vec(),
        generator_version: procgen::GENERATOR_VERSION,
    }
}

/// Joins and proves the floor; returns the output of the admitting tick.
fn enter(core: &mut GameCore, conn: u64, name: &str, token: [u8; 16]) -> TickOutput {
    let out = core.step(vec![join(conn, name, token)]);
    let (floor, hash) = floor_enter_of(&out, conn);
    core.step(vec![proof(conn, floor, hash)])
}

fn input(conn: u64, seq: u32, x: i8, y: i8, buttons: u8, predicted: Pos) -> ClientEvent {
    ClientEvent::Inputs {
        conn,
        inputs: vec![MoveInput {
            seq,
            dir: Dir::new(x, y),
            buttons,
            predicted,
            render_tick: None,
        }],
    }
}

fn center(tx: u16, ty: u16) -> Pos {
    tower_server::core::movement::tile_center(tx, ty)
}

fn core_with(generator: fn(u64, u32) -> Floor) -> GameCore {
    GameCore::with_generator(Rules::new(99, 30), generator)
}

/// Moves `conn` honestly (predicting exactly what the server computes) for `ticks` ticks.
fn walk(core: &mut GameCore, conn: u64, seq: &mut u32, dir: (i8, i8), ticks: u32) -> TickOutput {
    let mut last = TickOutput::default();
    for _ in 0..ticks {
        *seq += 1;
        let me = core.player_by_conn(conn).unwrap();
        let now = me.pos;
        let f = core.floor(me.floor);
        let next = tower_server::core::movement::step(
            &f.floor,
            now,
            Dir::new(dir.0, dir.1),
            &MoveParams::player(30),
        );
        last = core.step(vec![input(conn, *seq, dir.0, dir.1, 0, next)]);
    }
    last
}

#[test]
fn join_then_matching_proof_admits_at_the_entry() {
    let mut core = core_with(quiet);
    let out = core.step(vec![join(1, "ann", TOKEN_A)]);
    let msgs = control_for(&out, 1);
    assert!(
        matches!(&msgs[0], ControlOut::Welcome { resumed: false, tick_rate_hz: 30, resume_token, .. } if *resume_token == TOKEN_A)
    );
    let expected = core.floor(0);
    assert_eq!(
        msgs[1],
        ControlOut::FloorEnter {
            seed: tower_server::core::derive_floor_seed(99, 0),
            floor: 0,
            generator_version: procgen::GENERATOR_VERSION,
            hash: expected.hash.0
        }
    );
    assert!(
        !core.player_by_conn(1).unwrap().playing,
        "not placed before the proof"
    );
    let out = core.step(vec![proof(1, 0, expected.hash.0)]);
    assert_eq!(
        control_for(&out, 1)[0],
        ControlOut::FloorAdmitted {
            floor: 0,
            spawn: center(1, 1),
            server_tick: 2
        }
    );
    assert!(
        matches!(&control_for(&out, 1)[1..], [ControlOut::Roster(r)] if r.reset),
        "then the floor's roster"
    );
    let p = core.player_by_conn(1).unwrap();
    assert!(p.playing);
    assert_eq!((p.pos, p.hp, p.floor), (center(1, 1), 100, 0));
    assert_eq!(core.stats().players_playing, 1);
    assert_eq!(core.stats().floors_live, 1);
    assert_eq!(out.snapshots.len(), 1, "first snapshot right at admission");
}

#[test]
fn hash_mismatch_is_refused_with_both_hashes_and_the_player_is_not_placed() {
    let mut core = core_with(quiet);
    let out = core.step(vec![join(1, "ann", TOKEN_A)]);
    let (_, hash) = floor_enter_of(&out, 1);
    let mut wrong = hash;
    wrong[0] ^= 0xff;
    let out = core.step(vec![ClientEvent::FloorProof {
        conn: 1,
        floor: 0,
        hash: wrong.to_vec(),
        generator_version: 7,
    }]);
    let msgs = control_for(&out, 1);
    let [
        ControlOut::Error {
            kind: ErrorKind::HashMismatch,
            message,
        },
    ] = msgs.as_slice()
    else {
        panic!("expected one HASH_MISMATCH error, got {msgs:?}");
    };
    let hex = |h: [u8; 32]| h.iter().map(|b| format!("{b:02x}")).collect::<String>();
    assert!(message.contains(&hex(hash)), "{message}");
    assert!(message.contains(&hex(wrong)), "{message}");
    assert!(
        message.contains(&format!("generator v{}", procgen::GENERATOR_VERSION)),
        "{message}"
    );
    assert!(message.contains("generator v7"), "{message}");
    assert_eq!(out.close, vec![1]);
    assert!(core.player_by_conn(1).is_none());
    let stats = core.stats();
    assert_eq!(
        (
            stats.hash_mismatches,
            stats.players_playing,
            stats.floors_live
        ),
        (1, 0, 0)
    );
}

#[test]
fn proofs_out_of_turn_are_unexpected_and_close_the_connection() {
    let unexpected = |out: &TickOutput, conn: u64| {
        matches!(
            control_for(out, conn)[..],
            [ControlOut::Error {
                kind: ErrorKind::UnexpectedMessage,
                ..
            }]
        ) && out.close == vec![conn]
    };
    let mut core = core_with(quiet);
    let out = core.step(vec![proof(5, 0, [0; 32])]);
    assert!(unexpected(&out, 5), "{out:?}");
    let out = enter(&mut core, 1, "ann", TOKEN_A);
    assert!(out.close.is_empty());
    let hash = core.floor(0).hash.0;
    // A second proof while playing.
    let out = core.step(vec![proof(1, 0, hash)]);
    assert!(unexpected(&out, 1), "{out:?}");
    // The shell closes the connection: the player is held for a resume, not in the world.
    let out = core.step(vec![ClientEvent::Disconnected { conn: 1 }]);
    assert!(out.snapshots.is_empty());
    assert_eq!(core.stats().players_playing, 0);
    // A proof for another floor than the one asked for.
    let out = core.step(vec![ClientEvent::Resume {
        conn: 2,
        token: TOKEN_A,
    }]);
    assert_eq!(floor_enter_of(&out, 2).0, 0);
    let out = core.step(vec![proof(2, 3, hash)]);
    assert!(unexpected(&out, 2), "{out:?}");
}

#[test]
fn max_players_counts_slots_and_refuses_only_new_accounts() {
    let mut rules = Rules::new(99, 30);
    rules.max_players = 2;
    let mut core = GameCore::with_generator(rules, quiet);
    enter(&mut core, 1, "ann", TOKEN_A);
    enter(&mut core, 2, "bob", TOKEN_B);
    let out = core.step(vec![join(3, "cat", [3; 16])]);
    assert!(
        matches!(
            control_for(&out, 3)[..],
            [ControlOut::Error {
                kind: ErrorKind::ServerFull,
                ..
            }]
        ),
        "{out:?}"
    );
    assert_eq!(out.close, vec![3]);
    // A held player keeps its slot; its resume and a second login of ann are not new slots.
    core.step(vec![ClientEvent::Disconnected { conn: 1 }]);
    let out = core.step(vec![join(4, "cat", [4; 16])]);
    assert_eq!(out.close, vec![4], "a held slot is still taken");
    let out = core.step(vec![ClientEvent::Resume {
        conn: 5,
        token: TOKEN_A,
    }]);
    assert!(out.close.is_empty(), "{out:?}");
    let out = core.step(vec![join(6, "bob", [6; 16])]);
    assert_eq!(
        out.close,
        vec![2],
        "bob's old connection is replaced, not refused"
    );
    assert_eq!(core.stats().players_total, 2);
}

#[test]
fn honest_movement_is_applied_exactly_and_never_corrected() {
    let mut core = core_with(quiet);
    enter(&mut core, 1, "ann", TOKEN_A);
    let mut seq = 0;
    walk(&mut core, 1, &mut seq, (127, 0), 10);
    let p = core.player_by_conn(1).unwrap();
    assert_eq!(
        p.pos,
        Pos {
            x: 384 + 10 * PLAYER_SPEED,
            y: 384
        }
    );
    assert_eq!(p.last_input_seq, 10);
    assert_eq!(core.stats().corrections(), 0);
}

#[test]
fn speed_hack_claims_are_corrected_and_counted() {
    let mut core = core_with(quiet);
    enter(&mut core, 1, "ann", TOKEN_A);
    for seq in 1..=10u32 {
        // Claims 2 tiles per tick to the right, along an open row.
        let claim = Pos {
            x: 384 + i32::try_from(seq).unwrap() * 512,
            y: 384 + 4 * 256,
        };
        core.step(vec![input(1, seq, 0, 127, 0, claim)]);
    }
    let p = core.player_by_conn(1).unwrap();
    assert_eq!(
        p.pos,
        Pos {
            x: 384,
            y: 384 + 10 * PLAYER_SPEED
        },
        "authoritative position from the directions"
    );
    let stats = core.stats();
    assert_eq!(
        (
            stats.corrections_speed,
            stats.corrections_wall,
            stats.corrections_drift
        ),
        (10, 0, 0)
    );
}

#[test]
fn walking_through_a_wall_is_blocked_and_counted() {
    let mut core = core_with(quiet);
    enter(&mut core, 1, "ann", TOKEN_A);
    for seq in 1..=60u32 {
        // The client pretends the wall column at x=7 is not there.
        let claim = Pos {
            x: 384 + i32::try_from(seq).unwrap() * PLAYER_SPEED,
            y: 384,
        };
        core.step(vec![input(1, seq, 127, 0, 0, claim)]);
    }
    let p = core.player_by_conn(1).unwrap();
    // The collision box (half-size 77) stops flush against wall tile 7: x = 7*256 - 1 - 77.
    assert_eq!(
        p.pos,
        Pos {
            x: 7 * 256 - 1 - 77,
            y: 384
        }
    );
    let stats = core.stats();
    // Claims 42..=60 are off: the ones inside the wall (tiles 7) count as wall walks, the rest
    // (beyond the wall, tile 8+) as speed since they are more than a step away.
    assert_eq!(
        stats.corrections(),
        60 - 39,
        "every claim past the 39th step is off"
    );
    assert!(stats.corrections_wall >= 7, "{stats:?}");
}

#[test]
fn an_input_flood_cannot_buy_speed() {
    let mut core = core_with(quiet);
    enter(&mut core, 1, "ann", TOKEN_A);
    let flood: Vec<MoveInput> = (1..=200u32)
        .map(|seq| MoveInput {
            seq,
            dir: Dir::new(0, 127),
            buttons: 0,
            predicted: Pos::default(),
            render_tick: None,
        })
        .collect();
    core.step(vec![ClientEvent::Inputs {
        conn: 1,
        inputs: flood.clone(),
    }]);
    // Redundant copies of the same inputs change nothing.
    core.step(vec![ClientEvent::Inputs {
        conn: 1,
        inputs: flood,
    }]);
    // The tick of admission left one unit of credit: 2 inputs on the first flood tick, then 1.
    let p = core.player_by_conn(1).unwrap();
    assert_eq!(p.pos.y, 384 + 3 * PLAYER_SPEED, "about one input per tick");
    let stats = core.stats();
    assert_eq!(stats.inputs_dropped, 200 - 16, "queue bounded at 16");
    for _ in 0..20 {
        core.step(vec![]);
    }
    // The queue drains at one input per tick, plus whatever credit is left.
    assert_eq!(
        core.player_by_conn(1).unwrap().pos.y,
        384 + 16 * PLAYER_SPEED
    );
}

#[test]
fn monsters_chase_and_attack_a_player_in_range() {
    let mut core = core_with(arena);
    enter(&mut core, 1, "ann", TOKEN_A);
    let monsters = core.monsters();
    assert_eq!(monsters.len(), 2);
    let (chaser, idle) = (monsters[0].id, monsters[1].id);
    assert!(core.place_monster(chaser, center(5, 5)));
    let before = core.player_by_conn(1).unwrap().pos;
    let start = center(5, 5).dist2(before);
    core.step(vec![]);
    core.step(vec![]);
    let m = core.monsters()[0];
    assert!(
        m.pos.dist2(before) < start,
        "the monster moved toward the player"
    );
    let mut first_hit = None;
    for t in 0..200 {
        core.step(vec![]);
        if first_hit.is_none() && core.player_by_conn(1).unwrap().hp < 100 {
            first_hit = Some(t);
        }
    }
    let hit_at = first_hit.expect("the monster attacked");
    assert!(hit_at > 20, "it had to walk first");
    let hp = core.player_by_conn(1).unwrap().hp;
    // Level 1 monster: 6 damage every 15 ticks once in reach.
    assert_eq!((100 - hp) % 6, 0);
    assert!(hp <= 100 - 6 * 5, "hp {hp}");
    let far = core.monsters().into_iter().find(|m| m.id == idle).unwrap();
    assert_eq!(
        far.pos, far.spawn,
        "a monster with nobody in range stays home"
    );
}

#[test]
fn a_killed_player_respawns_at_the_entry_with_full_health() {
    let mut rules = Rules::new(99, 30);
    rules.monster_damage = 500;
    let mut core = GameCore::with_generator(rules, arena);
    enter(&mut core, 1, "ann", TOKEN_A);
    let chaser = core.monsters()[0].id;
    let mut seq = 0;
    walk(&mut core, 1, &mut seq, (0, 127), 25); // away from the entry, to (1, 4)
    let p = core.player_by_conn(1).unwrap();
    core.place_monster(
        chaser,
        Pos {
            x: p.pos.x + 256,
            y: p.pos.y,
        },
    );
    for _ in 0..3 {
        core.step(vec![]);
    }
    let p = core.player_by_conn(1).unwrap();
    assert_eq!(core.stats().deaths, 1);
    assert_eq!((p.pos, p.hp), (center(1, 1), 100));
}

#[test]
fn players_kill_monsters_score_and_monsters_respawn() {
    let mut rules = Rules::new(99, 30);
    rules.monster_damage = 0;
    rules.monster_move.speed_per_tick = 0;
    let mut core = GameCore::with_generator(rules, arena);
    enter(&mut core, 1, "ann", TOKEN_A);
    let target = core.monsters()[0].id;
    core.place_monster(target, center(2, 1));
    core.step(vec![]); // the grid sees the monster at its new place
    let here = core.player_by_conn(1).unwrap().pos;
    for seq in 1..=40u32 {
        core.step(vec![input(1, seq, 0, 0, buttons::ATTACK, here)]);
    }
    // 30 hp, 10 per hit, one hit per 15 ticks: dead after the third hit.
    let m = core
        .monsters()
        .into_iter()
        .find(|m| m.id == target)
        .unwrap();
    assert!(!m.alive);
    let stats = core.stats();
    assert_eq!(stats.kills, 1);
    assert_eq!(core.player_by_conn(1).unwrap().progress.score, 20);
    for _ in 0..300 {
        core.step(vec![]);
    }
    let m = core
        .monsters()
        .into_iter()
        .find(|m| m.id == target)
        .unwrap();
    assert!(m.alive && m.hp == 30 && m.pos == center(2, 1));
}

#[test]
fn stairs_lead_to_the_next_floor_through_a_new_handshake() {
    let mut core = core_with(quiet);
    enter(&mut core, 1, "ann", TOKEN_A);
    let mut seq = 0;
    walk(&mut core, 1, &mut seq, (0, 127), 33);
    assert_eq!(core.player_by_conn(1).unwrap().floor, 0);
    seq += 1;
    let out = core.step(vec![input(
        1,
        seq,
        0,
        127,
        0,
        Pos {
            x: 384,
            y: 384 + 34 * PLAYER_SPEED,
        },
    )]);
    let (floor, hash) = floor_enter_of(&out, 1);
    assert_eq!(floor, 1);
    assert_eq!(hash, core.floor(1).hash.0);
    assert_ne!(hash, core.floor(0).hash.0);
    assert_eq!(out.highest_floors, vec![(identity("ann"), 1)]);
    assert!(
        out.saves
            .iter()
            .any(|(id, s)| id == "dev:ann" && s.current_floor == 1 && s.highest_floor == 1)
    );
    assert!(!core.player_by_conn(1).unwrap().playing);
    let out = core.step(vec![proof(1, 1, hash)]);
    let ann = core.player_by_conn(1).unwrap().id;
    assert_eq!(
        control_for(&out, 1),
        vec![
            ControlOut::FloorAdmitted {
                floor: 1,
                spawn: center(1, 1),
                server_tick: core.tick()
            },
            ControlOut::Roster(RosterUpdate {
                reset: true,
                left: vec![],
                entries: vec![RosterEntry {
                    id: ann,
                    name: "ann".into(),
                    guild: None
                }],
            })
        ]
    );
    core.step(vec![]);
    let stats = core.stats();
    assert_eq!(
        (stats.floors_live, stats.players_playing),
        (1, 1),
        "floor 0 died when its last player left"
    );
}

#[test]
fn reconnect_within_the_window_gets_the_same_player_floor_and_state() {
    let mut core = core_with(quiet);
    enter(&mut core, 1, "ann", TOKEN_A);
    let mut seq = 0;
    walk(&mut core, 1, &mut seq, (0, 127), 10);
    let before = core.player_by_conn(1).unwrap();
    core.step(vec![ClientEvent::Disconnected { conn: 1 }]);
    assert_eq!(core.stats().players_playing, 0);
    for _ in 0..(59 * 30) {
        core.step(vec![]);
    }
    let out = core.step(vec![ClientEvent::Resume {
        conn: 2,
        token: TOKEN_A,
    }]);
    let msgs = control_for(&out, 2);
    assert!(
        matches!(msgs[0], ControlOut::Welcome { resumed: true, player_id, .. } if player_id == before.id)
    );
    let (floor, hash) = floor_enter_of(&out, 2);
    assert_eq!(floor, before.floor);
    core.step(vec![proof(2, floor, hash)]);
    let after = core.player_by_conn(2).unwrap();
    assert_eq!(
        (after.id, after.pos, after.hp, after.progress),
        (before.id, before.pos, before.hp, before.progress)
    );
    assert!(after.playing);
    assert_eq!(core.stats().resumes, 1);
}

#[test]
fn after_the_window_the_slot_is_released_and_the_token_refused() {
    let mut core = core_with(quiet);
    enter(&mut core, 1, "ann", TOKEN_A);
    core.step(vec![ClientEvent::Disconnected { conn: 1 }]);
    let mut saved = false;
    for _ in 0..(60 * 30) {
        let out = core.step(vec![]);
        saved |= out.saves.iter().any(|(id, _)| id == "dev:ann");
    }
    assert!(saved, "the released player's state was saved");
    assert!(core.player_by_account("dev:ann").is_none());
    let out = core.step(vec![ClientEvent::Resume {
        conn: 2,
        token: TOKEN_A,
    }]);
    assert!(matches!(
        control_for(&out, 2)[..],
        [ControlOut::Error {
            kind: ErrorKind::ResumeExpired,
            ..
        }]
    ));
    assert_eq!(out.close, vec![2]);
    assert_eq!(core.stats().sessions_expired, 1);
}

#[test]
fn logging_in_again_replaces_the_old_connection() {
    let mut core = core_with(quiet);
    enter(&mut core, 1, "ann", TOKEN_A);
    let out = core.step(vec![join(2, "ann", TOKEN_B)]);
    assert!(matches!(
        control_for(&out, 1)[..],
        [ControlOut::Error {
            kind: ErrorKind::Replaced,
            ..
        }]
    ));
    assert_eq!(out.close, vec![1]);
    assert!(matches!(
        control_for(&out, 2)[0],
        ControlOut::Welcome { resumed: true, .. }
    ));
    assert_eq!(core.stats().players_total, 1);
}

#[test]
fn leave_saves_and_removes_at_once_and_shutdown_saves_everyone() {
    let mut core = core_with(quiet);
    enter(&mut core, 1, "ann", TOKEN_A);
    enter(&mut core, 2, "bob", TOKEN_B);
    let out = core.step(vec![ClientEvent::Leave { conn: 1 }]);
    assert_eq!(
        out.saves.iter().filter(|(id, _)| id == "dev:ann").count(),
        1
    );
    assert!(core.player_by_account("dev:ann").is_none());
    let out = core.shutdown("maintenance");
    assert_eq!(
        out.control,
        vec![(
            2,
            ControlOut::Shutdown {
                reason: "maintenance".into()
            }
        )]
    );
    assert_eq!(out.saves.len(), 1);
    assert_eq!(out.close, vec![2]);
}

/// B walks away from A along row 4; A's snapshots show B refreshed every tick while near,
/// every 3 ticks in the mid band, every 15 in the far band, and not at all out of view.
#[test]
fn aoi_and_update_tiers_follow_distance() {
    let mut core = core_with(quiet);
    enter(&mut core, 1, "ann", TOKEN_A);
    enter(&mut core, 2, "bob", TOKEN_B);
    let b_id = core.player_by_conn(2).unwrap().id;
    let mut seq = 0;
    walk(&mut core, 2, &mut seq, (0, 127), 25); // clear of the wall column (box half-size 77)
    let mut seen: Vec<(u32, Option<Pos>)> = Vec::new(); // (tick, B as A sees it)
    let mut b_actual: Vec<(u32, Pos)> = Vec::new();
    for _ in 0..300 {
        seq += 1;
        let now = core.player_by_conn(2).unwrap().pos;
        let out = core.step(vec![input(
            2,
            seq,
            127,
            0,
            0,
            Pos {
                x: now.x + PLAYER_SPEED,
                y: now.y,
            },
        )]);
        b_actual.push((core.tick(), core.player_by_conn(2).unwrap().pos));
        for (_, snap) in out.snapshots.iter().filter(|(c, _)| *c == 1) {
            seen.push((
                snap.tick,
                snap.entities.iter().find(|e| e.id == b_id).map(|e| e.pos),
            ));
        }
    }
    let a = core.player_by_conn(1).unwrap().pos;
    let band = |p: Pos| {
        let d2 = a.dist2(p);
        let t = |tiles: i64| (tiles * 256).pow(2);
        if d2 <= t(4) {
            1
        } else if d2 <= t(10) {
            3
        } else if d2 <= t(20) {
            15
        } else {
            0
        }
    };
    // Ticks at which A's view of B changed, with the band B was in at that moment.
    let mut changes: Vec<(u32, u32)> = Vec::new();
    let mut last: Option<Option<Pos>> = None;
    for (tick, view) in &seen {
        if last != Some(*view) {
            let actual = b_actual.iter().find(|(t, _)| t == tick).unwrap().1;
            changes.push((*tick, if view.is_some() { band(actual) } else { 0 }));
            if let Some(v) = view {
                assert_eq!(
                    *v, actual,
                    "a refreshed entity is sent at its current position"
                );
            }
            last = Some(*view);
        }
    }
    for pair in changes.windows(2) {
        let ((t0, b0), (t1, b1)) = (pair[0], pair[1]);
        if b0 == b1 && b1 != 0 {
            assert_eq!(t1 - t0, b1, "refresh period in band {b1}: {changes:?}");
        }
    }
    for period in [1, 3, 15] {
        assert!(
            changes.iter().any(|(_, b)| *b == period),
            "band {period} seen: {changes:?}"
        );
    }
    assert_eq!(seen.last().unwrap().1, None, "B walked out of A's view");
}

#[test]
fn an_idle_player_gets_only_keepalive_snapshots() {
    let mut core = core_with(quiet);
    enter(&mut core, 1, "ann", TOKEN_A);
    enter(&mut core, 2, "bob", TOKEN_B);
    let here = core.player_by_conn(1).unwrap().pos;
    let mut sent = 0;
    for seq in 1..=300u32 {
        // A keeps sending zero inputs, as an idle client does.
        let out = core.step(vec![input(1, seq, 0, 0, 0, here)]);
        sent += out.snapshots.iter().filter(|(c, _)| *c == 1).count();
    }
    assert_eq!(sent, 10, "one keepalive per second over 10 s");
}

#[test]
fn hundreds_of_ticks_with_real_procgen_floors_stay_consistent() {
    let mut core = GameCore::new(Rules::new(7, 30));
    for conn in 1..=20u64 {
        let out = core.step(vec![join(
            conn,
            &format!("p{conn}"),
            [u8::try_from(conn).unwrap(); 16],
        )]);
        let (floor, hash) = floor_enter_of(&out, conn);
        core.step(vec![proof(conn, floor, hash)]);
    }
    for t in 0..600u32 {
        let events = (1..=20u64)
            .map(|conn| {
                let dir = Dir::new(
                    i8::try_from((t * 7 + u32::try_from(conn).unwrap() * 13) % 255).unwrap_or(0),
                    64,
                );
                ClientEvent::Inputs {
                    conn,
                    inputs: vec![MoveInput {
                        seq: t + 1,
                        dir,
                        buttons: buttons::ATTACK,
                        predicted: Pos::default(),
                        render_tick: None,
                    }],
                }
            })
            .collect();
        core.step(events);
        for conn in 1..=20u64 {
            let p = core.player_by_conn(conn).unwrap();
            let f = core.floor(p.floor);
            let (tx, ty) = p.pos.tile();
            assert!(
                !p.playing || f.floor.is_walkable(tx, ty),
                "never inside a wall"
            );
        }
    }
    assert_eq!(core.stats().players_total, 20);
}

#[test]
fn an_entity_entering_a_view_shows_up_within_the_search_period() {
    let mut core = core_with(quiet);
    enter(&mut core, 1, "ann", TOKEN_A);
    core.step(vec![]);
    let out = core.step(vec![join(2, "bob", TOKEN_B)]);
    let (floor, hash) = floor_enter_of(&out, 2);
    let b = core.player_by_conn(2).unwrap().id;
    let search = core.rules().aoi_search_ticks;
    let mut seen_after = None;
    // Tick 0 is the one that admits B; a snapshot goes out only when the view changes.
    for t in 0..=search {
        let events = if t == 0 {
            vec![proof(2, floor, hash)]
        } else {
            vec![]
        };
        let out = core.step(events);
        let sees_b = out
            .snapshots
            .iter()
            .any(|(c, s)| *c == 1 && s.entities.iter().any(|e| e.id == b));
        if sees_b {
            seen_after = Some(t);
            break;
        }
    }
    let t = seen_after.expect("B entered A's view");
    assert!(t < search, "seen after {t} ticks, search period {search}");
}

// ---------------------------------------------------------------------------------------
// The roster: names and guilds of the players on the client's floor, sent incrementally.

fn roster_for(out: &TickOutput, conn: u64) -> Vec<RosterUpdate> {
    control_for(out, conn)
        .into_iter()
        .filter_map(|m| match m {
            ControlOut::Roster(u) => Some(u),
            _ => None,
        })
        .collect()
}

/// A client's view of the roster: entity id -> (name, guild), as the client applies it.
type Book = BTreeMap<u32, (String, Option<String>)>;

fn apply(book: &mut Book, updates: &[RosterUpdate]) {
    for u in updates {
        if u.reset {
            book.clear();
        }
        for id in &u.left {
            book.remove(id);
        }
        for e in &u.entries {
            book.insert(e.id, (e.name.clone(), e.guild.clone()));
        }
    }
}

fn join_in_guild(conn: u64, name: &str, guild: &str, token: [u8; 16]) -> ClientEvent {
    ClientEvent::Join {
        conn,
        identity: Identity {
            guild: Some(guild.into()),
            ..identity(name)
        },
        state: PlayerState::default(),
        resume_token: token,
    }
}

fn id_of(core: &mut GameCore, conn: u64) -> u32 {
    core.player_by_conn(conn).unwrap().id
}

#[test]
fn the_roster_is_sent_on_admission_and_newcomers_are_announced() {
    let mut core = core_with(quiet);
    let out = enter(&mut core, 1, "ann", TOKEN_A);
    let ann = id_of(&mut core, 1);
    let mut ann_book = Book::new();
    let updates = roster_for(&out, 1);
    assert!(
        updates[0].reset,
        "the first roster of a floor starts afresh"
    );
    apply(&mut ann_book, &updates);
    assert_eq!(ann_book, Book::from([(ann, ("ann".into(), None))]));

    let out = core.step(vec![join_in_guild(2, "bob", "Climbers", TOKEN_B)]);
    assert!(
        roster_for(&out, 1).is_empty(),
        "bob is not on the floor until he proves it"
    );
    assert!(roster_for(&out, 2).is_empty());
    let (floor, hash) = floor_enter_of(&out, 2);
    let out = core.step(vec![proof(2, floor, hash)]);
    let bob = id_of(&mut core, 2);
    let to_ann = roster_for(&out, 1);
    assert_eq!(
        to_ann,
        vec![RosterUpdate {
            reset: false,
            left: vec![],
            entries: vec![RosterEntry {
                id: bob,
                name: "bob".into(),
                guild: Some("Climbers".into())
            }],
        }],
        "the others get only the newcomer"
    );
    apply(&mut ann_book, &to_ann);
    let mut bob_book = Book::new();
    let to_bob = roster_for(&out, 2);
    assert!(to_bob[0].reset);
    apply(&mut bob_book, &to_bob);
    let both = Book::from([
        (ann, ("ann".into(), None)),
        (bob, ("bob".into(), Some("Climbers".into()))),
    ]);
    assert_eq!((&ann_book, &bob_book), (&both, &both));

    let out = core.step(vec![]);
    assert!(out.control.is_empty(), "nothing changed, nothing sent");
}

#[test]
fn players_who_go_are_sent_as_left_and_come_back_on_resume() {
    let mut core = core_with(quiet);
    enter(&mut core, 1, "ann", TOKEN_A);
    enter(&mut core, 2, "bob", TOKEN_B);
    let bob = id_of(&mut core, 2);
    let ann = id_of(&mut core, 1);

    let out = core.step(vec![ClientEvent::Disconnected { conn: 2 }]);
    assert_eq!(
        roster_for(&out, 1),
        left(bob),
        "a dropped player leaves the roster at once"
    );
    let out = core.step(vec![ClientEvent::Resume {
        conn: 3,
        token: TOKEN_B,
    }]);
    let (floor, hash) = floor_enter_of(&out, 3);
    let out = core.step(vec![proof(3, floor, hash)]);
    assert_eq!(roster_for(&out, 1).len(), 1);
    assert_eq!(roster_for(&out, 1)[0].entries[0].id, bob);
    let mut book = Book::new();
    apply(&mut book, &roster_for(&out, 3));
    assert_eq!(book.keys().copied().collect::<Vec<_>>(), vec![ann, bob]);

    // Logging in again elsewhere restarts the floor handshake: gone until proven again.
    let out = core.step(vec![join(5, "ann", [5; 16])]);
    assert_eq!(roster_for(&out, 3), left(ann));
    let (floor, hash) = floor_enter_of(&out, 5);
    let out = core.step(vec![proof(5, floor, hash)]);
    assert_eq!(roster_for(&out, 3)[0].entries[0].id, ann);
    let mut book = Book::new();
    apply(&mut book, &roster_for(&out, 5));
    assert_eq!(book.keys().copied().collect::<Vec<_>>(), vec![ann, bob]);

    let out = core.step(vec![ClientEvent::Leave { conn: 5 }]);
    assert_eq!(roster_for(&out, 3), left(ann));
}

#[test]
fn taking_the_stairs_leaves_one_roster_and_resets_to_the_next() {
    let mut core = core_with(quiet);
    enter(&mut core, 1, "ann", TOKEN_A);
    enter(&mut core, 2, "bob", TOKEN_B);
    let ann = id_of(&mut core, 1);
    let mut seq = 0;
    let out = walk(&mut core, 1, &mut seq, (0, 127), 34);
    let (floor, hash) = floor_enter_of(&out, 1);
    assert_eq!(floor, 1);
    assert_eq!(roster_for(&out, 2), left(ann));
    let out = core.step(vec![proof(1, floor, hash)]);
    assert!(
        roster_for(&out, 2).is_empty(),
        "floor 1 is not bob's business"
    );
    let mut book = Book::from([(999, ("stale".into(), None))]);
    apply(&mut book, &roster_for(&out, 1));
    assert_eq!(book, Book::from([(ann, ("ann".into(), None))]));
}

#[test]
fn a_crowded_floor_gets_its_roster_in_chunks_that_fit_a_frame() {
    const PLAYERS: u64 = 200;
    let mut core = core_with(quiet);
    let long = "x".repeat(100);
    let joins: Vec<ClientEvent> = (1..=PLAYERS)
        .map(|c| {
            let mut token = [0; 16];
            token[..8].copy_from_slice(&c.to_le_bytes());
            join_in_guild(c, &format!("p{c}-{long}"), &format!("g{c}-{long}"), token)
        })
        .collect();
    let out = core.step(joins);
    let proofs: Vec<ClientEvent> = (1..=PLAYERS)
        .map(|c| {
            let (floor, hash) = floor_enter_of(&out, c);
            proof(c, floor, hash)
        })
        .collect();
    let out = core.step(proofs);
    let mut books: BTreeMap<u64, Book> = BTreeMap::new();
    for c in 1..=PLAYERS {
        let updates = roster_for(&out, c);
        assert!(updates.len() >= 2, "200 entries need more than one message");
        assert!(updates[0].reset && updates[1..].iter().all(|u| !u.reset));
        apply(books.entry(c).or_default(), &updates);
    }
    for (_, m) in &out.control {
        if let ControlOut::Roster(u) = m {
            assert!(u.entries.len() <= 128);
            let wire = tower_server::shell::convert::control(m);
            let frame = tower_protocol::encode_server(wire).expect("a roster message fits a frame");
            assert!(
                frame.len() <= tower_protocol::MAX_FRAME_LEN / 2,
                "{} bytes",
                frame.len()
            );
        }
    }
    assert!(books.values().all(|b| b.len() == PLAYERS as usize));
    assert_eq!(
        books[&1][&id_of(&mut core, 7)].1,
        Some(format!("g7-{long}"))
    );

    // 150 go at once: the 50 who stay hear all of them, in chunks if need be.
    let gone: Vec<ClientEvent> = (1..=150)
        .map(|conn| ClientEvent::Disconnected { conn })
        .collect();
    let out = core.step(gone);
    for c in 151..=PLAYERS {
        apply(books.get_mut(&c).unwrap(), &roster_for(&out, c));
        assert_eq!(books[&c].len(), 50);
    }
    assert!(
        roster_for(&out, 1).is_empty(),
        "the dropped are told nothing"
    );
}

/// The one message telling that `id` went.
fn left(id: u32) -> Vec<RosterUpdate> {
    vec![RosterUpdate {
        reset: false,
        left: vec![id],
        entries: vec![],
    }]
}
