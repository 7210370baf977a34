//! What each player sees: the per-floor grid, and per-observer views refreshed by tier.

use crate::core::api::{EntityKind, EntityState, OwnState, Snapshot};
use crate::core::state::*;
use bevy_ecs::prelude::*;

fn hp_of(h: &Health) -> u16 {
    h.hp
}

/// Rebuilds every live floor's grid from present players and living monsters.
pub fn aoi_grid(
    clock: Res<Clock>,
    mut floors: ResMut<Floors>,
    players: Query<
        (Entity, &NetId, &Position, &OnFloor, &Health, &InCombat),
        (With<Player>, With<Present>),
    >,
    monsters: Query<
        (Entity, &NetId, &Position, &OnFloor, &Health, &InCombat),
        (With<Monster>, Without<Respawning>),
    >,
) {
    for live in floors.live.values_mut() {
        live.grid.clear();
        live.players = 0;
    }
    let all = players
        .iter()
        .map(|p| (p, EntityKind::Player))
        .chain(monsters.iter().map(|m| (m, EntityKind::Monster)));
    for ((entity, id, pos, on_floor, health, combat), kind) in all {
        let Some(live) = floors.live.get_mut(&on_floor.0) else {
            continue;
        };
        if kind == EntityKind::Player {
            live.players += 1;
        }
        let state = EntityState {
            id: id.0,
            kind,
            pos: pos.0,
            hp: hp_of(health),
            in_combat: combat.until > clock.tick,
        };
        live.grid.insert(Seen { entity, state }, pos.0);
    }
}

/// Refreshes each observer's view and emits a snapshot when something in it changed (or
/// the keepalive is due). An entity is re-sampled only when its tier's period has passed
/// since its last sample, so far entities are frozen between 2 Hz refreshes and the delta
/// codec sends nothing for them in between; entities that did not change cost nothing.
pub fn snapshots(
    rules: Res<Rules>,
    clock: Res<Clock>,
    floors: Res<Floors>,
    mut out: ResMut<Outbox>,
    mut observers: Query<
        (
            &Player,
            &NetId,
            &Position,
            &OnFloor,
            &Health,
            &Controls,
            &mut Viewer,
        ),
        With<Present>,
    >,
) {
    let now = clock.tick;
    let tiers = rules.tiers;
    let mut candidates = Vec::new();
    for (player, id, pos, on_floor, health, controls, mut viewer) in &mut observers {
        let Some(conn) = player.conn else { continue };
        let Some(live) = floors.live.get(&on_floor.0) else {
            continue;
        };
        candidates.clear();
        candidates.extend(
            live.grid
                .within(pos.0, tiers.view_radius)
                .filter(|(seen, _)| seen.state.id != id.0)
                .map(|(seen, p)| (pos.0.dist2(p), seen.state)),
        );
        if candidates.len() > rules.max_view_entities {
            candidates.select_nth_unstable_by_key(rules.max_view_entities, |(d2, s)| (*d2, s.id));
            candidates.truncate(rules.max_view_entities);
        }
        candidates.sort_unstable_by_key(|(_, s)| s.id);

        let mut changed = false;
        let viewer = &mut *viewer;
        // Drop entities that left the view.
        let before = viewer.view.len();
        viewer
            .view
            .retain(|eid, _| candidates.binary_search_by_key(eid, |(_, s)| s.id).is_ok());
        changed |= viewer.view.len() != before;
        for &(d2, state) in &candidates {
            let Some(tier) = tiers.tier(d2, state.in_combat) else {
                continue;
            };
            let period = tiers.period_ticks(tier, rules.tick_rate_hz);
            match viewer.view.get_mut(&state.id) {
                Some((held, sampled)) => {
                    if now.wrapping_sub(*sampled) >= period && *held != state {
                        *held = state;
                        *sampled = now;
                        changed = true;
                    }
                }
                None => {
                    viewer.view.insert(state.id, (state, now));
                    changed = true;
                }
            }
        }
        let own = OwnState {
            id: id.0,
            floor: on_floor.0,
            pos: pos.0,
            hp: hp_of(health),
            last_input_seq: controls.last_applied,
        };
        // The input seq alone does not make a snapshot due: an idle client that keeps
        // sending zero inputs must not get 30 snapshots a second.
        let own_changed = viewer
            .last_own
            .is_none_or(|o| (o.pos, o.hp, o.floor) != (own.pos, own.hp, own.floor));
        let keepalive = viewer
            .last_sent
            .is_none_or(|t| now.wrapping_sub(t) >= rules.keepalive_ticks);
        if changed || own_changed || keepalive {
            viewer.last_own = Some(own);
            viewer.last_sent = Some(now);
            let entities = viewer.view.values().map(|(s, _)| *s).collect();
            out.0.snapshots.push((
                conn,
                Snapshot {
                    tick: now,
                    own,
                    entities,
                },
            ));
        }
    }
}
