//! Movement validation: honest inputs applied exactly, impossible claims corrected and counted.

use crate::support::*;

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
            x: 384 + 10 * PLAYER_SPEED_PER_TICK,
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
            y: 384 + 10 * PLAYER_SPEED_PER_TICK
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
            x: 384 + i32::try_from(seq).unwrap() * PLAYER_SPEED_PER_TICK,
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
    let flood: Vec<TickInput> = (1..=200u32)
        .map(|seq| TickInput {
            seq,
            dir: MoveInput::new(0, 127),
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
    assert_eq!(
        p.pos.y,
        384 + 3 * PLAYER_SPEED_PER_TICK,
        "about one input per tick"
    );
    let stats = core.stats();
    assert_eq!(stats.inputs_dropped, 200 - 16, "queue bounded at 16");
    for _ in 0..20 {
        core.step(vec![]);
    }
    // The queue drains at one input per tick, plus whatever credit is left.
    assert_eq!(
        core.player_by_conn(1).unwrap().pos.y,
        384 + 16 * PLAYER_SPEED_PER_TICK
    );
}

/// Where honest steps to the right along row 1 put ann after input `seq`.
fn right_after(seq: u32) -> Pos {
    Pos {
        x: 384 + i32::try_from(seq).unwrap() * PLAYER_SPEED_PER_TICK,
        y: 384,
    }
}

fn right(seqs: std::ops::RangeInclusive<u32>) -> ClientEvent {
    ClientEvent::Inputs {
        conn: 1,
        inputs: seqs
            .map(|seq| TickInput {
                seq,
                dir: MoveInput::new(127, 0),
                buttons: 0,
                predicted: right_after(seq),
                render_tick: None,
            })
            .collect(),
    }
}

/// A client sending every 2 ticks delivers its inputs in pairs: the server still moves the
/// player one step per tick (even motion for observers), never corrects it, and a backlog
/// (a late pair on top of the next one) drains at two a tick.
#[test]
fn inputs_arriving_in_pairs_are_applied_one_per_tick() {
    let mut core = core_with(quiet);
    enter(&mut core, 1, "ann", TOKEN_A);
    for _ in 0..5 {
        core.step(vec![]); // the credit is full: it could apply a pair at once
    }
    let mut xs = Vec::new();
    for k in 0..10u32 {
        let events = if k % 2 == 0 {
            vec![right(k + 1..=k + 2)]
        } else {
            vec![]
        };
        core.step(events);
        xs.push(core.player_by_conn(1).unwrap().pos.x);
    }
    let expected: Vec<i32> = (1..=10).map(|s| right_after(s).x).collect();
    assert_eq!(xs, expected);
    // a pair two ticks late arrives with the next one: four waiting, two a tick
    core.step(vec![]);
    core.step(vec![]);
    core.step(vec![right(11..=14)]);
    assert_eq!(core.player_by_conn(1).unwrap().pos, right_after(12));
    core.step(vec![]);
    assert_eq!(core.player_by_conn(1).unwrap().pos, right_after(13));
    core.step(vec![]);
    assert_eq!(core.player_by_conn(1).unwrap().pos, right_after(14));
    assert_eq!(core.stats().corrections(), 0);
}

/// Inputs lost in every datagram that carried them leave a gap in the seqs: a short one is
/// filled with the direction of the input after it (the client held it, so its prediction
/// agrees: no correction); a long one (an outage) is not guessed.
#[test]
fn a_short_gap_of_lost_inputs_is_filled_with_the_next_direction() {
    let mut core = core_with(quiet);
    let gap = core.rules().input_gap_fill;
    assert!(gap >= 2, "covers a pair of inputs lost twice");
    enter(&mut core, 1, "ann", TOKEN_A);
    core.step(vec![right(1..=1)]);
    core.step(vec![right(5..=5)]); // 2, 3 and 4 never arrived
    for _ in 0..6 {
        core.step(vec![]);
    }
    let p = core.player_by_conn(1).unwrap();
    assert_eq!((p.pos, p.last_input_seq), (right_after(5), 5));
    let stats = core.stats();
    assert_eq!((stats.inputs_guessed, stats.corrections()), (3, 0));
    // one more than the bound: not guessed, the claim is off by the missing steps
    let far = 5 + gap + 2;
    core.step(vec![right(far..=far)]);
    core.step(vec![]);
    let p = core.player_by_conn(1).unwrap();
    assert_eq!((p.pos, p.last_input_seq), (right_after(6), far));
    let stats = core.stats();
    assert_eq!((stats.inputs_guessed, stats.corrections()), (3, 1));
}
