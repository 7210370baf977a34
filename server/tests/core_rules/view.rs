//! Area of interest, update tiers and snapshots.

use crate::support::*;

/// B walks away from A along row 4; A's snapshots show B refreshed every tick while near,
/// every 3 ticks in the mid band, every 15 in the far band, and not at all out of view.
#[test]
fn aoi_and_update_tiers_follow_distance() {
    // The tier periods alone: every tick is a snapshot tick (see
    // `snapshots_follow_each_clients_inputs_within_the_bounds` for the default).
    let mut rules = Rules::new(99, 30);
    rules.snapshot_every_ticks = 1;
    rules.snapshot_calm_ticks = 1;
    let mut core = GameCore::with_generator(rules, quiet);
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
                x: now.x + PLAYER_SPEED_PER_TICK,
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
    let keepalive = core.rules().keepalive_ticks;
    let mut sent = Vec::new();
    for seq in 1..=300u32 {
        // A keeps sending zero inputs, as an idle client does.
        let out = core.step(vec![input(1, seq, 0, 0, 0, here)]);
        if out.snapshots.iter().any(|(c, _)| *c == 1) {
            sent.push(core.tick());
        }
    }
    // The joins' changes are each followed by one settling snapshot within the first
    // second; then nothing changes: one keepalive a second.
    let start = sent[0];
    let (joining, idle): (Vec<u32>, Vec<u32>) = sent.iter().partition(|t| **t < start + keepalive);
    assert!(joining.len() <= 4, "{sent:?}");
    assert_eq!(idle.len(), 9, "one keepalive a second over 9 s: {sent:?}");
    for pair in idle.windows(2) {
        assert_eq!(pair[1] - pair[0], keepalive, "{sent:?}");
    }
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
                let dir = MoveInput::new(
                    i8::try_from((t * 7 + u32::try_from(conn).unwrap() * 13) % 255).unwrap_or(0),
                    64,
                );
                ClientEvent::Inputs {
                    conn,
                    inputs: vec![TickInput {
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

/// Everyone on one floor walking, each client sending one input datagram every `sends`
/// ticks on its own phase: each player gets a snapshot on the very ticks that took in its
/// datagrams (so QUIC's ACK rides in the snapshot's packet), but never sooner than
/// `snapshot_every_ticks` after the last one, so a calm client sending every 3 ticks gets
/// 10 Hz and one sending every tick still only 15 Hz; with clients spread over the phases
/// every tick carries the same number. A player who sends nothing (holds still) gets them
/// every `snapshot_calm_ticks` while the others move. A new player's first snapshot goes
/// out on its admission tick whatever its phase.
#[test]
fn snapshots_follow_each_clients_inputs_within_the_bounds() {
    // (snapshot_every_ticks, the clients send every, snapshots every)
    let cases = [
        (1u32, 1u32, 1u32),
        (2, 2, 2),
        (3, 3, 3),
        (2, 3, 3),
        (2, 1, 2),
    ];
    // every phase of the clients' sends against their admission ticks, where the bounds
    // leave the server room to follow (not with every = calm = 3: see `observe_now`)
    for (every, sends, period, shift) in cases.into_iter().flat_map(|(e, s, p)| {
        let shifts = if e < 3 { s } else { 1 };
        (0..shifts).map(move |shift| (e, s, p, shift))
    }) {
        let mut rules = Rules::new(99, 30);
        rules.snapshot_every_ticks = every;
        assert_eq!(rules.snapshot_calm_ticks, 3);
        let mut core = GameCore::with_generator(rules, quiet);
        let names = ["ann", "bob", "cy", "dee", "eve", "fay"];
        for (i, name) in names.iter().enumerate() {
            let conn = i as u64 + 1;
            let out = enter(&mut core, conn, name, [conn as u8; 16]);
            assert!(
                out.snapshots.iter().any(|(c, _)| *c == conn),
                "{name}'s first snapshot on its admission tick (every {every})"
            );
        }
        const STILL: u64 = 7;
        enter(&mut core, STILL, "gus", [7; 16]);
        // everyone walks (own state changes every tick): down, clear of the wall column,
        // then along the room
        let mut sent: BTreeMap<u64, Vec<u32>> = BTreeMap::new();
        let mut heard: BTreeMap<u64, Vec<u32>> = BTreeMap::new();
        let mut per_tick = Vec::new();
        for k in 0..85u32 {
            let dir = if k < 25 { (0, 127) } else { (127, 0) };
            // client `conn` sends the inputs of its last `sends` ticks when (k + conn) % sends == 0
            let senders: Vec<u64> = (1..=names.len() as u64)
                .filter(|conn| (u64::from(k + shift) + conn).is_multiple_of(u64::from(sends)))
                .collect();
            let events = senders
                .iter()
                .map(|&conn| {
                    let me = core.player_by_conn(conn).unwrap();
                    let f = core.floor(me.floor);
                    let mv = MoveInput::new(dir.0, dir.1);
                    let next = tower_server::core::movement::step(
                        &f.floor,
                        me.pos,
                        mv,
                        &MoveParams::player(30),
                    );
                    let mut datagram = input(conn, k + 1, dir.0, dir.1, 0, next);
                    if let ClientEvent::Inputs { inputs, .. } = &mut datagram {
                        let newest = inputs[0];
                        *inputs = (0..sends.min(k + 1))
                            .map(|back| TickInput {
                                seq: newest.seq - back,
                                ..newest
                            })
                            .collect();
                    }
                    datagram
                })
                .collect();
            let out = core.step(events);
            for &conn in &senders {
                heard.entry(conn).or_default().push(core.tick());
            }
            if k < 25 {
                continue;
            }
            per_tick.push(out.snapshots.iter().filter(|(c, _)| *c != STILL).count());
            for (conn, snap) in &out.snapshots {
                assert_eq!(snap.tick, core.tick());
                sent.entry(*conn).or_default().push(snap.tick);
            }
        }
        let still = sent.remove(&STILL).expect("gus sees the others walk");
        assert!(
            still.windows(2).all(|w| w[1] - w[0] == 3),
            "every {every}, sends {sends}, shift {shift}: {still:?}"
        );
        for (conn, ticks) in &sent {
            assert_eq!(
                ticks.len(),
                60 / period as usize,
                "conn {conn}, every {every}, sends {sends}, shift {shift}"
            );
            for t in ticks {
                assert!(
                    heard[conn].contains(t),
                    "conn {conn}, every {every}, sends {sends}, shift {shift}: snapshot at {t}, no datagram then"
                );
            }
        }
        assert_eq!(sent.len(), names.len());
        // six clients on every phase: the same count every tick
        let flat = names.len() / period as usize;
        assert!(
            sends != period || per_tick.iter().all(|n| *n == flat),
            "every {every}, sends {sends}, shift {shift}: {per_tick:?}"
        );
    }
}
