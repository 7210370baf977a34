//! Monsters, melee, deaths and respawns.

use crate::support::*;

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
        if first_hit.is_none() && core.player_by_conn(1).unwrap().health < 100 {
            first_hit = Some(t);
        }
    }
    let hit_at = first_hit.expect("the monster attacked");
    assert!(hit_at > 20, "it had to walk first");
    let health = core.player_by_conn(1).unwrap().health;
    // Level 1 monster: 6 damage every 15 ticks once in reach.
    assert_eq!((100 - health) % 6, 0);
    assert!(health <= 100 - 6 * 5, "health {health}");
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
    assert_eq!((p.pos, p.health), (center(1, 1), 100));
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
    // 30 health, 10 per hit, one hit per 15 ticks: dead after the third hit.
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
    assert!(m.alive && m.health == 30 && m.pos == center(2, 1));
}

#[test]
fn swings_and_hits_are_flagged_for_observers_for_a_moment() {
    let mut rules = Rules::new(99, 30);
    rules.monster_move.speed_per_tick = 0;
    let flash = rules.flash_ticks;
    let mut core = GameCore::with_generator(rules, arena);
    enter(&mut core, 1, "ann", TOKEN_A);
    enter(&mut core, 2, "bob", TOKEN_B);
    let ann = core.player_by_conn(1).unwrap();
    let target = core.monsters()[0].id;
    core.place_monster(target, center(2, 1));
    // until bob's view has been searched since the monster moved
    for _ in 0..core.rules().aoi_search_ticks + core.rules().snapshot_calm_ticks {
        core.step(vec![]);
    }
    // What bob is told about ann and the monster after each tick.
    let seen_by_bob = |out: &TickOutput| {
        let snap = out
            .snapshots
            .iter()
            .find(|(c, _)| *c == 2)
            .map(|(_, s)| s)?;
        let of = |id: u32| snap.entities.iter().find(|e| e.id == id).copied();
        Some((of(ann.id)?, of(target)?))
    };
    // bob sends no inputs: his next snapshot tick is at most `snapshot_calm_ticks` away
    // (< flash_ticks)
    let out = core.step(vec![input(1, 1, 0, 0, buttons::ATTACK, ann.pos)]);
    let mut told = seen_by_bob(&out);
    for _ in 1..core.rules().snapshot_calm_ticks {
        if told.is_none() {
            told = seen_by_bob(&core.step(vec![]));
        }
    }
    let (a, m) = told.expect("bob sees both");
    assert!(a.attacking, "ann swung: {a:?}");
    assert!(m.hurt, "the monster was hit: {m:?}");
    // The monster hits back (ann or bob, whoever it targets): it is ATTACKING then.
    let mut monster_swung = false;
    let mut last = None;
    for _ in 0..3 * flash {
        let out = core.step(vec![]);
        if let Some((a, m)) = seen_by_bob(&out) {
            monster_swung |= m.attacking;
            last = Some((a, m));
        }
    }
    assert!(monster_swung, "the monster fought back");
    let (a, _) = last.expect("snapshots while fighting");
    assert!(
        !a.attacking,
        "ann's swing is flagged for {flash} ticks only"
    );
}
