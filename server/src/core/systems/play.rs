//! The game rules: inputs and movement validation, monsters, combat, death and stairs.

use crate::core::aoi::Grid;
use crate::core::api::{ClientEvent, EntityKind, TickInput, buttons};
use crate::core::lagcomp;
use crate::core::movement::{self, Pos};
use crate::core::state::*;
use crate::core::systems::sessions::{floor_enter, progress_of};
use bevy_ecs::prelude::*;
use std::collections::HashMap;

/// Cooldowns count down one per tick.
pub fn cooldowns(mut q: Query<&mut Cooldown>) {
    for mut c in &mut q {
        c.0 = c.0.saturating_sub(1);
    }
}

/// Floors become live when a player is present and die when the last one leaves: monsters
/// spawn from the floor's spawn points and are removed with it.
pub fn floor_lifecycle(
    mut commands: Commands,
    mut floors: ResMut<Floors>,
    mut ids: ResMut<NetIds>,
    rules: Res<Rules>,
    players: Query<&OnFloor, (With<Player>, With<Present>)>,
    monsters: Query<(Entity, &OnFloor), With<Monster>>,
) {
    let mut occupied: HashMap<u32, u32> = HashMap::new();
    for f in &players {
        *occupied.entry(f.0).or_default() += 1;
    }
    for (&n, _) in occupied.iter() {
        if floors.live.contains_key(&n) {
            continue;
        }
        let data = floors.cache.get(n);
        for spawn in data.floor.spawns_of(procgen::SpawnKind::Monster) {
            let max = rules.monster_base_health.saturating_add(
                rules
                    .monster_health_per_level
                    .saturating_mul(u16::from(spawn.level)),
            );
            let at = movement::tile_center(spawn.x, spawn.y);
            commands.spawn((
                Monster {
                    spawn: at,
                    level: spawn.level,
                    target: None,
                },
                ids.allocate(),
                Position(at),
                OnFloor(n),
                Health { current: max, max },
                Cooldown::default(),
                InCombat::default(),
            ));
        }
        let grid = Grid::new(data.floor.width, data.floor.height);
        floors.live.insert(
            n,
            LiveFloor {
                data,
                grid,
                players: 0,
                history: Default::default(),
            },
        );
    }
    let dead: Vec<u32> = floors
        .live
        .keys()
        .copied()
        .filter(|n| !occupied.contains_key(n))
        .collect();
    for n in dead {
        floors.live.remove(&n);
        for (e, f) in &monsters {
            if f.0 == n {
                commands.entity(e).despawn();
            }
        }
    }
}

/// Queues the inputs of this tick's datagrams. Redundant copies (seq already received)
/// are ignored; the queue is bounded and drops its oldest entries on overflow.
pub fn receive_inputs(
    clock: Res<Clock>,
    inbox: Res<Inbox>,
    sessions: Res<Sessions>,
    rules: Res<Rules>,
    mut stats: ResMut<Stats>,
    mut players: Query<(&Player, &mut Controls)>,
) {
    for event in &inbox.0 {
        let ClientEvent::Inputs { conn, inputs } = event else {
            continue;
        };
        let Some((player, mut controls)) = sessions
            .by_conn
            .get(conn)
            .and_then(|e| players.get_mut(*e).ok())
        else {
            continue;
        };
        controls.heard_at = Some(clock.tick);
        if player.phase != Phase::Playing {
            // Not applied (the floor is changing), but received: neither a gap to fill
            // nor a late copy to apply on the next floor.
            let newest = inputs.iter().map(|i| i.seq).max().unwrap_or(0);
            controls.newest_received = controls.newest_received.max(newest);
            continue;
        }
        let mut fresh: Vec<_> = inputs
            .iter()
            .filter(|i| i.seq > controls.newest_received)
            .copied()
            .collect();
        fresh.sort_by_key(|i| i.seq);
        fresh.dedup_by_key(|i| i.seq);
        for input in fresh {
            let missing = input.seq - controls.newest_received - 1;
            if controls.newest_received > 0 && (1..=rules.input_gap_fill).contains(&missing) {
                for seq in controls.newest_received + 1..input.seq {
                    let input = TickInput {
                        seq,
                        buttons: 0,
                        render_tick: None,
                        ..input
                    };
                    controls.queue.push_back(Queued {
                        input,
                        guessed: true,
                    });
                }
                stats.0.inputs_guessed += u64::from(missing);
            }
            controls.newest_received = input.seq;
            controls.queue.push_back(Queued {
                input,
                guessed: false,
            });
        }
        while controls.queue.len() > rules.input_queue_max {
            controls.queue.pop_front();
            stats.0.inputs_dropped += 1;
        }
    }
}

/// Applies queued inputs authoritatively from their directions: at most one input per
/// tick on average (a bounded credit absorbs jitter; `Rules::input_playout` spreads
/// batches over ticks), so a client cannot move faster by
/// sending more inputs. The position the client claims is never taken; a claim that
/// differs from the result is counted as a correction (the client learns the truth from
/// its own state in the next snapshot).
pub fn apply_inputs(
    rules: Res<Rules>,
    floors: Res<Floors>,
    mut stats: ResMut<Stats>,
    mut players: Query<(&mut Controls, &mut Position, &OnFloor), (With<Player>, With<Present>)>,
) {
    let tol2 = i64::from(rules.correction_tolerance).pow(2);
    let fast2 = i64::from(rules.player_move.speed_per_tick * 3 / 2).pow(2);
    for (mut controls, mut pos, on_floor) in &mut players {
        controls.credit = (controls.credit + 1).min(rules.input_credit_max);
        controls.attack = false;
        controls.attack_view = None;
        let Some(live) = floors.live.get(&on_floor.0) else {
            continue;
        };
        let floor = &live.data.floor;
        let mut budget = if rules.input_playout == 0 {
            u32::MAX
        } else if controls.queue.len() > rules.input_playout {
            2
        } else {
            1
        };
        while controls.credit > 0 && budget > 0 {
            let Some(Queued { input, guessed }) = controls.queue.pop_front() else {
                break;
            };
            controls.credit -= 1;
            budget -= 1;
            let before = pos.0;
            pos.0 = movement::step(floor, before, input.dir, &rules.player_move);
            controls.last_applied = input.seq;
            if input.buttons & buttons::ATTACK != 0 {
                controls.attack = true;
                controls.attack_view = input.render_tick;
            }
            if !guessed && input.predicted.dist2(pos.0) > tol2 {
                let (tx, ty) = input.predicted.tile();
                if !floor.is_walkable(tx, ty) {
                    stats.0.corrections_wall += 1;
                } else if input.predicted.dist2(before) > fast2 {
                    stats.0.corrections_speed += 1;
                } else {
                    stats.0.corrections_drift += 1;
                }
            }
        }
    }
}

/// Monsters chase the nearest player within aggro range, give up past the leash range
/// and walk back to their spawn point.
pub fn monster_ai(
    rules: Res<Rules>,
    floors: Res<Floors>,
    mut monsters: Query<(&mut Monster, &mut Position, &OnFloor), Without<Respawning>>,
) {
    let leash2 = i64::from(rules.leash_range).pow(2);
    let close = rules.monster_approach;
    for (mut monster, mut pos, on_floor) in &mut monsters {
        let Some(live) = floors.live.get(&on_floor.0) else {
            continue;
        };
        let target = live
            .grid
            .within(pos.0, rules.aggro_range)
            .filter(|(seen, _)| seen.state.kind == EntityKind::Player && seen.state.health > 0)
            .min_by_key(|(seen, p)| (pos.0.dist2(*p), seen.state.id));
        let home_far = pos.0.dist2(monster.spawn) > leash2;
        let goal = match target {
            Some((seen, p)) if !home_far => {
                monster.target = Some(seen.entity);
                (pos.0.dist2(p) > i64::from(close).pow(2)).then_some(p)
            }
            _ => {
                monster.target = None;
                (pos.0 != monster.spawn).then_some(monster.spawn)
            }
        };
        if let Some(goal) = goal {
            let dir = movement::dir_toward(pos.0, goal);
            let next = movement::step(&live.data.floor, pos.0, dir, &rules.monster_move);
            // Do not overshoot the goal (the spawn point, when walking home).
            let overshoot = next.dist2(goal) > pos.0.dist2(goal);
            pos.0 = if overshoot || next.dist2(goal) < 4 {
                goal
            } else {
                next
            };
        }
    }
}

type FighterPlayer<'a> = (
    &'a mut Player,
    &'a Position,
    &'a OnFloor,
    &'a mut Health,
    &'a mut Cooldown,
    &'a Controls,
    &'a mut InCombat,
);
type FighterMonster<'a> = (
    &'a Monster,
    &'a Position,
    &'a OnFloor,
    &'a mut Health,
    &'a mut Cooldown,
    &'a mut InCombat,
);

/// Melee: monsters hit their target in reach; players who pressed attack hit the nearest
/// monster in reach. Killing a monster scores `kill_score_per_level × (level + 1)`.
pub fn combat(
    rules: Res<Rules>,
    clock: Res<Clock>,
    floors: Res<Floors>,
    mut stats: ResMut<Stats>,
    mut players: Query<FighterPlayer, (With<Present>, Without<Monster>)>,
    mut monsters: Query<FighterMonster, (Without<Respawning>, Without<Player>)>,
) {
    let reach2 = i64::from(rules.melee_range).pow(2);
    let linger = clock.tick + rules.combat_linger_ticks;
    let flash = clock.tick + rules.flash_ticks;
    for (monster, mpos, mfloor, mhp, mut mcool, mut mcombat) in &mut monsters {
        if mcool.0 > 0 || mhp.current == 0 {
            continue;
        }
        let Some((_, ppos, pfloor, mut php, _, _, mut pcombat)) =
            monster.target.and_then(|t| players.get_mut(t).ok())
        else {
            continue;
        };
        if pfloor != mfloor || php.current == 0 || ppos.0.dist2(mpos.0) > reach2 {
            continue;
        }
        php.current = php.current.saturating_sub(
            rules.monster_damage.saturating_add(
                rules
                    .monster_damage_per_level
                    .saturating_mul(u16::from(monster.level)),
            ),
        );
        mcool.0 = rules.attack_cooldown_ticks;
        mcombat.until = linger;
        mcombat.attacking_until = flash;
        pcombat.until = linger;
        pcombat.hurt_until = flash;
    }
    for (mut player, ppos, pfloor, php, mut pcool, controls, mut pcombat) in &mut players {
        if !controls.attack || pcool.0 > 0 || php.current == 0 {
            continue;
        }
        let Some(live) = floors.live.get(&pfloor.0) else {
            continue;
        };
        pcool.0 = rules.attack_cooldown_ticks;
        pcombat.attacking_until = flash;
        let Some(victim) = victim(live, ppos.0, controls.attack_view, &rules) else {
            continue;
        };
        let Ok((monster, _, _, mut mhp, _, mut mcombat)) = monsters.get_mut(victim) else {
            continue;
        };
        if mhp.current == 0 {
            continue;
        }
        mhp.current = mhp.current.saturating_sub(rules.player_damage);
        mcombat.until = linger;
        mcombat.hurt_until = flash;
        pcombat.until = linger;
        if mhp.current == 0 {
            stats.0.kills += 1;
            player.progress.score += rules.kill_score_per_level * (u64::from(monster.level) + 1);
        }
    }
}

/// The monster a melee attack from `at` hits: the nearest in reach (ties by id). With the
/// tick its client was drawing (`view`), the monsters are where they were then (bounded
/// rewind, see [`crate::core::lagcomp`]); without, where the last snapshot put them.
fn victim(live: &LiveFloor, at: Pos, view: Option<u32>, rules: &Rules) -> Option<Entity> {
    let reach2 = i64::from(rules.melee_range).pow(2);
    if let (Some(claimed), Some(newest)) = (view, live.history.newest())
        && rules.lag_compensation_ticks > 0
    {
        let tick = lagcomp::judged_tick(claimed, newest, rules.lag_compensation_ticks);
        return live
            .history
            .at(tick)
            .iter()
            .filter(|(_, _, p)| at.dist2(*p) <= reach2)
            .min_by_key(|(_, id, p)| (at.dist2(*p), *id))
            .map(|(e, _, _)| *e);
    }
    live.grid
        .within(at, rules.melee_range)
        .filter(|(seen, _)| seen.state.kind == EntityKind::Monster)
        .min_by_key(|(seen, p)| (at.dist2(*p), seen.state.id))
        .map(|(seen, _)| seen.entity)
}

/// Dead players respawn at once at the floor's entry with full health; dead monsters come
/// back at their spawn point after `monster_respawn_ticks`.
pub fn deaths(
    mut commands: Commands,
    rules: Res<Rules>,
    clock: Res<Clock>,
    floors: Res<Floors>,
    mut stats: ResMut<Stats>,
    mut players: Query<(&mut Position, &mut Health, &OnFloor), (With<Player>, With<Present>)>,
    mut monsters: Query<
        (
            Entity,
            &mut Monster,
            &mut Position,
            &mut Health,
            Option<&Respawning>,
        ),
        Without<Player>,
    >,
) {
    for (mut pos, mut health, on_floor) in &mut players {
        if health.current > 0 {
            continue;
        }
        let Some(live) = floors.live.get(&on_floor.0) else {
            continue;
        };
        let (ex, ey) = live.data.floor.entry;
        pos.0 = movement::tile_center(ex, ey);
        health.current = health.max;
        stats.0.deaths += 1;
    }
    for (e, mut monster, mut pos, mut health, respawning) in &mut monsters {
        match respawning {
            None if health.current == 0 => {
                monster.target = None;
                commands.entity(e).insert(Respawning {
                    at: clock.tick + rules.monster_respawn_ticks,
                });
            }
            Some(r) if r.at <= clock.tick => {
                pos.0 = monster.spawn;
                health.current = health.max;
                commands.entity(e).remove::<Respawning>();
            }
            _ => {}
        }
    }
}

/// Standing on the stairs up starts the handshake for the next floor: a new FloorEnter,
/// the state saved, and the leaderboard told about a new highest floor.
pub fn stairs(
    mut commands: Commands,
    clock: Res<Clock>,
    mut floors: ResMut<Floors>,
    mut out: ResMut<Outbox>,
    mut players: Query<(Entity, &mut Player, &Position, &OnFloor, &Health), With<Present>>,
) {
    let mut entering = Vec::new();
    for (e, mut player, pos, on_floor, health) in &mut players {
        let Some(live) = floors.live.get(&on_floor.0) else {
            continue;
        };
        let (sx, sy) = live.data.floor.stairs_up;
        if pos.0.tile() != (i32::from(sx), i32::from(sy)) {
            continue;
        }
        let next = on_floor.0.saturating_add(1);
        player.progress.current_floor = next;
        if next > player.progress.highest_floor {
            player.progress.highest_floor = next;
            out.0.highest_floors.push((player.identity.clone(), next));
        }
        player.phase = Phase::Entering {
            floor: next,
            keep_position: false,
        };
        out.0.saves.push((
            player.identity.player_id.clone(),
            progress_of(&player, health),
        ));
        commands.entity(e).remove::<Present>();
        if let Some(conn) = player.conn {
            entering.push((conn, next));
        }
    }
    for (conn, next) in entering {
        if let Some(data) = floors.for_entering(conn, next, clock.tick) {
            out.0.control.push((conn, floor_enter(&data)));
        }
    }
}
