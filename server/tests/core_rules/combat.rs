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
