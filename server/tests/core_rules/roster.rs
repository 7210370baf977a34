//! The roster: names and guilds of the players on the client's floor, sent incrementally.

use crate::support::*;

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
            book.insert(e.entity_id, (e.name.clone(), e.guild.clone()));
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
                entity_id: bob,
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
        fresh: [0xF0; 16],
    }]);
    let (floor, hash) = floor_enter_of(&out, 3);
    let out = core.step(vec![proof(3, floor, hash)]);
    assert_eq!(roster_for(&out, 1).len(), 1);
    assert_eq!(roster_for(&out, 1)[0].entries[0].entity_id, bob);
    let mut book = Book::new();
    apply(&mut book, &roster_for(&out, 3));
    assert_eq!(book.keys().copied().collect::<Vec<_>>(), vec![ann, bob]);

    // Logging in again elsewhere restarts the floor handshake: gone until proven again.
    let out = core.step(vec![join(5, "ann", [5; 16])]);
    assert_eq!(roster_for(&out, 3), left(ann));
    let (floor, hash) = floor_enter_of(&out, 5);
    let out = core.step(vec![proof(5, floor, hash)]);
    assert_eq!(roster_for(&out, 3)[0].entries[0].entity_id, ann);
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
