//! Lag compensation on the pair harness: an attack is judged against where the monsters
//! were in the world its client was drawing, rewound at most 200 ms.
#![allow(clippy::unwrap_used)]

mod pair;

use pair::{LinkProfile, Pair};
use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;
use tower_client::PlayerInput;
use tower_protocol::{Buttons, InputCmd, InputDatagram};
use tower_server::Rules;
use tower_server::core::movement::{Pos, SUBTILE};

const TILE: i32 = SUBTILE;
const ATTACK: PlayerInput = PlayerInput {
    move_x: 0,
    move_y: 0,
    attack: true,
};

/// Monsters that stand where they are put (no aggro), and a player admitted over `profile`
/// with every monster but `target` moved far away. Returns the pair, the player's
/// position and the target's id.
fn arena(seed: u64, profile: LinkProfile) -> (Pair, Pos, u32) {
    let mut rules = Rules::new(42, 30);
    rules.aggro_range = 0;
    let mut pair = Pair::new(seed, rules);
    pair.connect("hunter", profile);
    assert!(pair.run_until(Duration::from_secs(10), |p| p.peers[0].admitted()));
    let me = pair.core.player_by_account("dev:hunter").unwrap();
    let monsters: Vec<u32> = pair
        .core
        .monsters()
        .iter()
        .filter(|m| m.floor == me.floor)
        .map(|m| m.id)
        .collect();
    for (i, id) in monsters.iter().enumerate().skip(1) {
        let far = Pos {
            x: me.pos.x + 40 * TILE + i as i32 * TILE,
            y: me.pos.y + 40 * TILE,
        };
        pair.core.place_monster(*id, far);
    }
    (pair, me.pos, monsters[0])
}

fn health(pair: &mut Pair, id: u32) -> u16 {
    pair.core
        .monsters()
        .iter()
        .find(|m| m.id == id)
        .unwrap()
        .health
}

/// Where client 0 draws monster `id` now, in movement units.
fn seen_at(pair: &Pair, id: u32) -> Option<Pos> {
    let views = pair.peers[0].client.interpolated_entities(pair.now);
    let v = views.iter().find(|e| e.id == id)?;
    Some(Pos {
        x: (v.x * TILE as f32).round() as i32,
        y: (v.y * TILE as f32).round() as i32,
    })
}

/// Presses attack for one client tick.
fn attack_once(pair: &mut Pair) {
    pair.set_input(0, ATTACK);
    pair.run_for(Duration::from_millis(34));
    pair.set_input(0, PlayerInput::NEUTRAL);
}

#[test]
fn at_150_ms_an_attack_on_a_monster_the_client_sees_in_reach_lands() {
    for seed in 0..4 {
        let (mut pair, me, target) = arena(seed, LinkProfile::rtt(150, 30, 0.0));
        let full = health(&mut pair, target);
        // The target walks past the player at monster speed, from 4 tiles west to the east.
        let x = Rc::new(Cell::new(me.x - 4 * TILE));
        let step = pair.core.rules().monster_move.speed_per_tick;
        let hook_x = Rc::clone(&x);
        pair.on_tick = Some(Box::new(move |core| {
            hook_x.set(hook_x.get() + step);
            core.place_monster(
                target,
                Pos {
                    x: hook_x.get(),
                    y: me.y,
                },
            );
        }));
        // Attack when the client draws it about to leave reach (1.5 tiles) on the east
        // side: by the time the attack reaches the server it is out of reach there.
        let leaving = pair.run_until(Duration::from_secs(5), |p| {
            seen_at(p, target).is_some_and(|s| s.x >= me.x + TILE * 11 / 10)
        });
        assert!(leaving, "seed {seed}: the client sees the target pass");
        let seen = seen_at(&pair, target).unwrap();
        assert!(
            me.dist2(seen) <= (TILE * 3 / 2).pow(2) as i64,
            "seed {seed}: seen in reach"
        );
        attack_once(&mut pair);
        pair.run_for(Duration::from_millis(500));
        assert!(
            x.get() > me.x + 2 * TILE,
            "seed {seed}: long out of reach on the server"
        );
        assert!(
            health(&mut pair, target) < full,
            "seed {seed}: the hit landed"
        );
    }
}

#[test]
fn an_attack_on_a_monster_the_client_could_not_have_seen_in_reach_misses() {
    for seed in 0..4 {
        let (mut pair, me, target) = arena(seed, LinkProfile::rtt(150, 30, 0.0));
        let full = health(&mut pair, target);
        pair.core.place_monster(
            target,
            Pos {
                x: me.x + 8 * TILE,
                y: me.y,
            },
        );
        pair.run_for(Duration::from_secs(1));
        // The server puts it next to the player and the client attacks at that very
        // moment: its screen still shows the monster 8 tiles away.
        pair.core.place_monster(
            target,
            Pos {
                x: me.x + TILE / 2,
                y: me.y,
            },
        );
        attack_once(&mut pair);
        pair.run_for(Duration::from_millis(500));
        assert_eq!(
            health(&mut pair, target),
            full,
            "seed {seed}: no hit on what was not seen"
        );
    }
}

/// Sends an attack claiming render tick `claimed` straight to the server (as a lying or
/// badly lagging client would) and lets the server judge it.
fn forged_attack(pair: &mut Pair, claimed: u32) {
    let seq = pair.peers[0].newest_input_seq + 50;
    pair.peers[0].newest_input_seq = seq;
    let me = pair.core.player_by_account("dev:hunter").unwrap().pos;
    let datagram = InputDatagram {
        ack: None,
        newest_seq: seq,
        inputs: vec![InputCmd {
            buttons: Buttons(Buttons::ATTACK),
            predicted_x: me.x,
            predicted_y: me.y,
            render_tick: claimed,
            ..InputCmd::default()
        }],
    };
    pair.inject_datagram(0, datagram.encode().unwrap());
    pair.run_for(Duration::from_millis(200));
}

#[test]
fn a_render_tick_claimed_beyond_the_limit_is_clamped_to_it() {
    let (mut pair, me, target) = arena(1, LinkProfile::CLEAN);
    let full = health(&mut pair, target);
    let limit = pair.core.rules().lag_compensation_ticks;
    assert_eq!(limit, 6, "200 ms at 30 Hz");
    // The target stands in reach, then leaves at tick `left`.
    pair.core.place_monster(
        target,
        Pos {
            x: me.x + TILE,
            y: me.y,
        },
    );
    pair.run_for(Duration::from_secs(1));
    let left = pair.core.tick();
    pair.core.place_monster(
        target,
        Pos {
            x: me.x + 10 * TILE,
            y: me.y,
        },
    );
    pair.run_for(Duration::from_secs(1));
    // Claiming a tick when it was in reach, a second ago: judged at most 200 ms back.
    forged_attack(&mut pair, left - 5);
    assert_eq!(
        health(&mut pair, target),
        full,
        "no rewind beyond the limit"
    );

    // It comes back into reach for 9 ticks, then leaves; an attack claims a tick long before that,
    // when it was away: clamped to 200 ms ago, it was in reach then, so it lands.
    pair.run_for(Duration::from_secs(1));
    pair.core.place_monster(
        target,
        Pos {
            x: me.x + TILE,
            y: me.y,
        },
    );
    pair.run_for(Duration::from_millis(300));
    let back = pair.core.tick();
    pair.core.place_monster(
        target,
        Pos {
            x: me.x + 10 * TILE,
            y: me.y,
        },
    );
    forged_attack(&mut pair, back - 30);
    assert!(
        health(&mut pair, target) < full,
        "a too-old claim is judged at the limit"
    );
}
