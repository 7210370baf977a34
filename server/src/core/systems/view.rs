//! What each player sees: the per-floor grid, and per-observer views refreshed by tier.

use crate::core::aoi::{CellCandidates, SHARED_CANDIDATES_PER_VIEW};
use crate::core::api::{EntityKind, EntityState, OwnState, Snapshot};
use crate::core::state::*;
use bevy_ecs::prelude::*;
use std::collections::HashMap;

fn health_of(h: &Health) -> u16 {
    h.current
}

/// Rebuilds every live floor's grid from present players and living monsters.
pub fn aoi_grid(
    clock: Res<Clock>,
    rules: Res<Rules>,
    mut floors: ResMut<Floors>,
    mut current: ResMut<Current>,
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
    current.0.iter_mut().for_each(|c| *c = None);
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
            health: health_of(health),
            in_combat: combat.until > clock.tick,
            attacking: combat.attacking_until > clock.tick,
            hurt: combat.hurt_until > clock.tick,
        };
        live.grid.insert(Seen { entity, state }, pos.0);
        current.set(on_floor.0, state);
    }
    // What this tick's snapshots show, for judging attacks made while looking at it.
    let keep = rules.lag_compensation_ticks as usize + 1;
    for live in floors.live.values_mut() {
        let monsters = live
            .grid
            .iter()
            .filter(|(seen, _)| seen.state.kind == EntityKind::Monster)
            .map(|(seen, p)| (seen.entity, seen.state.id, p))
            .collect();
        live.history.record(clock.tick, monsters, keep);
    }
}

/// Timed refreshes in a row with an input waiting after which the refreshes move to the
/// client's inputs ([`observe_now`]).
const LOCKED_AFTER: u8 = 2;

/// When an observer's view is refreshed (and may get a snapshot): `None` off its snapshot
/// ticks. The client sets the pace: a view is refreshed on the tick that took in its
/// client's input datagram (`heard_at`, so QUIC acknowledges the datagram in the
/// snapshot's packet and the client's ACK rides on its next inputs), never sooner than
/// `snapshot_every_ticks` after the last refresh, and at the latest `snapshot_calm_ticks`
/// after it (a client that holds still sends no input to follow, and a lost or late one
/// must not stall the view). A client near a fight sends every 2 ticks, a calm one every 3
/// (`CalmPolicy` in the client), so their snapshots go out at 15 and 10 Hz; one that sends
/// every tick still gets 15 Hz. The first refresh (none since admission) is never delayed.
///
/// A client whose inputs keep landing too soon after timed refreshes is locked out of
/// step with them: each input waits for the timer, and the server's ACK of it and the
/// client's ACK of the snapshot each go in a packet of their own (about half of the load
/// runs locked so at admission). After two timed refreshes in a row that found an input
/// waiting, the next waiting input is answered as soon as the spacing allows, and the
/// refreshes follow the inputs from there. A single lost or late input is left to the
/// timer, as before: answering it early made the worst link of the netsim bench snap more.
/// With `snapshot_every_ticks` equal to `snapshot_calm_ticks` there is no room to move
/// into, and the client's input phase alone decides. Skipping a tick loses nothing: the
/// next refresh compares with what the client was last told. A view is searched on the
/// first refresh at least `aoi_search_ticks` after its last search.
fn observe_now(rules: &Rules, now: u32, heard_at: Option<u32>, viewer: &Viewer) -> Option<Refresh> {
    let Some(last) = viewer.last_refreshed else {
        return Some(Refresh {
            search: true,
            period: 1,
            late_inputs: 0,
        });
    };
    let since = now.wrapping_sub(last);
    let fastest = rules.snapshot_every_ticks.max(1);
    let slowest = rules.snapshot_calm_ticks.max(fastest);
    // an input taken in after the last refresh (or on this tick) waits for an answer
    let waiting = heard_at.is_some_and(|h| now.wrapping_sub(h) < since);
    let on_input = heard_at == Some(now) || (waiting && viewer.late_inputs >= LOCKED_AFTER);
    if since < fastest || !(on_input || since >= slowest) {
        return None;
    }
    let search = viewer
        .last_searched
        .is_none_or(|t| now.wrapping_sub(t) >= rules.aoi_search_ticks);
    Some(Refresh {
        search,
        period: since,
        late_inputs: match (on_input, waiting) {
            (false, true) => viewer.late_inputs.saturating_add(1),
            _ => 0,
        },
    })
}

/// A view's refresh on this tick ([`observe_now`]).
struct Refresh {
    /// Search for entities entering the view, not only refresh those in it.
    search: bool,
    /// Ticks since the last refresh: the estimate of the next period.
    period: u32,
    /// Timed refreshes in a row that found an input waiting (see [`observe_now`]).
    late_inputs: u8,
}

/// Refreshes each observer's view on its snapshot ticks ([`observe_now`]) and emits a
/// snapshot when something in it changed (or the keepalive is due). An entity is
/// re-sampled only when its tier's period has passed since its last sample, so far
/// entities are frozen between 2 Hz refreshes and the delta codec sends nothing for them
/// in between; entities that did not change cost nothing.
pub fn snapshots(
    rules: Res<Rules>,
    clock: Res<Clock>,
    floors: Res<Floors>,
    current: Res<Current>,
    mut out: ResMut<Outbox>,
    mut shared: Local<HashMap<u32, CellCandidates<Seen>>>,
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
    let mut candidates: Vec<(i64, EntityState)> = Vec::new();
    shared.retain(|floor, _| floors.live.contains_key(floor));
    let cap = rules.max_view_entities.max(1) * SHARED_CANDIDATES_PER_VIEW;
    let r2 = i64::from(tiers.view_radius) * i64::from(tiers.view_radius);
    for (player, id, pos, on_floor, health, controls, mut viewer) in &mut observers {
        let Some(conn) = player.conn else { continue };
        let Some(live) = floors.live.get(&on_floor.0) else {
            continue;
        };
        let Some(Refresh {
            search,
            period,
            late_inputs,
        }) = observe_now(&rules, now, controls.heard_at, &viewer)
        else {
            continue;
        };
        viewer.last_refreshed = Some(now);
        viewer.late_inputs = late_inputs;
        candidates.clear();
        if search {
            viewer.last_searched = Some(now);
            let cell = shared.entry(on_floor.0).or_default().of(
                &live.grid,
                now,
                pos.0,
                tiers.view_radius,
                cap,
            );
            for &(p, seen) in cell {
                let d2 = pos.0.dist2(p);
                if d2 <= r2 && seen.state.id != id.0 {
                    candidates.push((d2, seen.state));
                }
            }
            if candidates.len() > rules.max_view_entities {
                candidates
                    .select_nth_unstable_by_key(rules.max_view_entities, |(d2, s)| (*d2, s.id));
                candidates.truncate(rules.max_view_entities);
            }
            candidates.sort_unstable_by_key(|(_, s)| s.id);
        } else {
            // Between searches, refresh what is already in view (sorted by id already).
            for v in &viewer.view {
                if let Some((floor, state)) = current.get(v.state.id)
                    && floor == on_floor.0
                {
                    candidates.push((pos.0.dist2(state.pos), state));
                }
            }
        }

        // Merge the sorted candidates with the sorted old view.
        let viewer = &mut *viewer;
        let mut next = std::mem::take(&mut viewer.next);
        next.clear();
        let old = &viewer.view;
        let mut changed = false;
        let mut i = 0;
        for &(d2, state) in &candidates {
            while i < old.len() && old[i].state.id < state.id {
                i += 1;
                changed = true; // left the view
            }
            let Some(tier) = tiers.tier(d2, state.in_combat) else {
                continue;
            };
            if i < old.len() && old[i].state.id == state.id {
                let mut entry = old[i];
                i += 1;
                let tier_period = tiers.period_ticks(tier, rules.tick_rate_hz);
                // refreshed on the snapshot tick nearest its period, not the one after
                // it (with snapshots every 2 ticks the 10 Hz tier is 15 Hz, not 7.5 Hz)
                let waited = now.wrapping_sub(entry.sampled) + period - 1;
                if waited >= tier_period && entry.state != state {
                    entry = Viewed {
                        state,
                        sampled: now,
                    };
                    changed = true;
                }
                next.push(entry);
            } else {
                next.push(Viewed {
                    state,
                    sampled: now,
                });
                changed = true;
            }
        }
        changed |= i < old.len();
        viewer.next = std::mem::replace(&mut viewer.view, next);
        let own = OwnState {
            id: id.0,
            floor: on_floor.0,
            pos: pos.0,
            health: health_of(health),
            last_input_seq: controls.last_applied,
        };
        // The input seq alone does not make a snapshot due: an idle client that keeps
        // sending zero inputs must not get 30 snapshots a second.
        let own_changed = viewer
            .last_own
            .is_none_or(|o| (o.pos, o.health, o.floor) != (own.pos, own.health, own.floor));
        let keepalive = viewer
            .last_sent
            .is_none_or(|t| now.wrapping_sub(t) >= rules.keepalive_ticks);
        let settle = std::mem::take(&mut viewer.settle_due);
        if changed || own_changed || keepalive || settle {
            viewer.settle_due = changed || own_changed;
            viewer.last_own = Some(own);
            viewer.last_sent = Some(now);
            let entities = viewer.view.iter().map(|v| v.state).collect();
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
