//! Logins, floor proofs, player slots, stairs, reconnects, replacement and leaving.

use crate::support::*;

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
    assert_eq!((p.pos, p.health, p.floor), (center(1, 1), 100, 0));
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
        fresh: [0xF0; 16],
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
        fresh: [0xF0; 16],
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
            y: 384 + 34 * PLAYER_SPEED_PER_TICK,
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
                    entity_id: ann,
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
        fresh: [0xF0; 16],
    }]);
    let msgs = control_for(&out, 2);
    assert!(
        matches!(msgs[0], ControlOut::Welcome { resumed: true, entity_id, .. } if entity_id == before.id)
    );
    let (floor, hash) = floor_enter_of(&out, 2);
    assert_eq!(floor, before.floor);
    core.step(vec![proof(2, floor, hash)]);
    let after = core.player_by_conn(2).unwrap();
    assert_eq!(
        (after.id, after.pos, after.health, after.progress),
        (before.id, before.pos, before.health, before.progress)
    );
    assert!(after.playing);
    assert_eq!(core.stats().resumes, 1);
}

#[test]
fn after_the_window_the_slot_is_released_and_the_token_refused() {
    let mut core = core_with(quiet);
    enter(&mut core, 1, "ann", TOKEN_A);
    core.step(vec![ClientEvent::Disconnected { conn: 1 }]);
    let (mut saved, mut released) = (false, false);
    for _ in 0..(60 * 30) {
        let out = core.step(vec![]);
        saved |= out.saves.iter().any(|(id, _)| id == "dev:ann");
        released |= out.released.iter().any(|id| id == "dev:ann");
    }
    assert!(saved, "the released player's state was saved");
    assert!(released, "and the save queue told it may forget the player");
    assert!(core.player_by_account("dev:ann").is_none());
    let out = core.step(vec![ClientEvent::Resume {
        conn: 2,
        token: TOKEN_A,
        fresh: [0xF0; 16],
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

fn resume(conn: u64, token: [u8; 16], fresh: [u8; 16]) -> ClientEvent {
    ClientEvent::Resume { conn, token, fresh }
}

fn refused_resume(out: &TickOutput, conn: u64) -> bool {
    matches!(
        control_for(out, conn)[..],
        [ControlOut::Error {
            kind: ErrorKind::ResumeExpired,
            ..
        }]
    ) && out.close == vec![conn]
}

#[test]
fn a_resume_rotates_the_token_and_the_used_one_dies() {
    let mut core = core_with(quiet);
    enter(&mut core, 1, "ann", TOKEN_A);
    core.step(vec![ClientEvent::Disconnected { conn: 1 }]);
    let out = core.step(vec![resume(2, TOKEN_A, [7; 16])]);
    assert!(
        matches!(control_for(&out, 2)[0], ControlOut::Welcome { resumed: true, resume_token, .. } if resume_token == [7; 16]),
        "{out:?}"
    );
    core.step(vec![ClientEvent::Disconnected { conn: 2 }]);
    // The token of the first Welcome was spent by the first resume.
    let out = core.step(vec![resume(3, TOKEN_A, [8; 16])]);
    assert!(refused_resume(&out, 3), "{out:?}");
    // The rotated one works, once.
    let out = core.step(vec![resume(4, [7; 16], [9; 16])]);
    assert!(
        matches!(control_for(&out, 4)[0], ControlOut::Welcome { resumed: true, resume_token, .. } if resume_token == [9; 16])
    );
    assert_eq!(core.stats().resumes, 2);
}

#[test]
fn a_token_cannot_take_over_a_live_session() {
    let mut core = core_with(quiet);
    enter(&mut core, 1, "ann", TOKEN_A);
    let out = core.step(vec![resume(2, TOKEN_A, [7; 16])]);
    assert!(refused_resume(&out, 2), "{out:?}");
    assert!(
        control_for(&out, 1).is_empty(),
        "the player is not told off"
    );
    let ann = core.player_by_account("dev:ann").expect("still there");
    assert!(ann.playing);
    assert_eq!(core.player_by_conn(1).map(|p| p.id), Some(ann.id));
    // Once the connection is gone the same token reclaims the session.
    core.step(vec![ClientEvent::Disconnected { conn: 1 }]);
    let out = core.step(vec![resume(3, TOKEN_A, [7; 16])]);
    assert!(matches!(
        control_for(&out, 3)[0],
        ControlOut::Welcome { resumed: true, .. }
    ));
}
