//! Sessions: join, resume, leave, disconnect and the resume window; the floor handshake.

use crate::core::api::{ClientEvent, ControlOut, ErrorKind};
use crate::core::floors::FloorData;
use crate::core::movement;
use crate::core::state::*;
use bevy_ecs::prelude::*;
use tower_meta::PlayerState;

/// The persistent state of a player as it stands now.
pub fn progress_of(player: &Player, health: &Health) -> PlayerState {
    PlayerState {
        health: u32::from(health.current),
        ..player.progress.clone()
    }
}

pub fn floor_enter(data: &FloorData) -> ControlOut {
    ControlOut::FloorEnter {
        seed: data.seed,
        floor: data.number,
        generator_version: procgen::GENERATOR_VERSION,
        hash: data.hash.0,
    }
}

fn welcome(player: &Player, id: NetId, rules: &Rules, clock: &Clock, resumed: bool) -> ControlOut {
    ControlOut::Welcome {
        entity_id: id.0,
        tick_rate_hz: rules.tick_rate_hz,
        resume_token: player.resume_token,
        server_tick: clock.tick,
        display_name: player.identity.username.clone(),
        resumed,
    }
}

/// Forget a player: save it, drop every lookup and despawn it.
fn release(
    commands: &mut Commands,
    sessions: &mut Sessions,
    out: &mut Outbox,
    entity: Entity,
    player: &Player,
    health: &Health,
) {
    out.0.saves.push((
        player.identity.player_id.clone(),
        progress_of(player, health),
    ));
    out.0.released.push(player.identity.player_id.clone());
    if let Some(conn) = player.conn {
        sessions.by_conn.remove(&conn);
    }
    sessions.by_token.remove(&player.resume_token);
    sessions.by_account.remove(&player.identity.player_id);
    commands.entity(entity).despawn();
}

/// Point a held or connected player at a new connection and restart its floor handshake.
fn reattach(
    player: &mut Player,
    viewer: &mut Viewer,
    conn: u64,
    sessions: &mut Sessions,
    out: &mut Outbox,
) {
    if let Some(old) = player.conn.take()
        && old != conn
    {
        sessions.by_conn.remove(&old);
        out.0.control.push((
            old,
            ControlOut::Error {
                kind: ErrorKind::Replaced,
                message: "this account connected again from elsewhere".into(),
            },
        ));
        out.0.close.push(old);
    }
    player.conn = Some(conn);
    player.detached_since = None;
    let floor = player.progress.current_floor;
    let keep_position = matches!(player.phase, Phase::Playing)
        || matches!(
            player.phase,
            Phase::Entering {
                keep_position: true,
                ..
            }
        );
    player.phase = Phase::Entering {
        floor,
        keep_position,
    };
    *viewer = Viewer::default();
}

type PlayerItem<'a> = (
    Entity,
    &'a mut Player,
    &'a NetId,
    &'a Health,
    &'a mut Viewer,
);

#[allow(clippy::too_many_arguments)]
pub fn sessions(
    mut commands: Commands,
    inbox: Res<Inbox>,
    rules: Res<Rules>,
    clock: Res<Clock>,
    mut out: ResMut<Outbox>,
    mut sessions: ResMut<Sessions>,
    mut floors: ResMut<Floors>,
    mut ids: ResMut<NetIds>,
    mut stats: ResMut<Stats>,
    mut players: Query<PlayerItem>,
) {
    for event in &inbox.0 {
        match event {
            ClientEvent::Join {
                conn,
                identity,
                state,
                resume_token,
            } => {
                if let Some(&existing) = sessions.by_account.get(&identity.player_id)
                    && let Ok((e, mut player, id, _, mut viewer)) = players.get_mut(existing)
                {
                    // Same account again: the live state wins over the stored one.
                    sessions.by_token.remove(&player.resume_token);
                    player.resume_token = *resume_token;
                    sessions.by_token.insert(*resume_token, e);
                    reattach(&mut player, &mut viewer, *conn, &mut sessions, &mut out);
                    sessions.by_conn.insert(*conn, e);
                    commands.entity(e).remove::<Present>();
                    out.0
                        .control
                        .push((*conn, welcome(&player, *id, &rules, &clock, true)));
                    let floor = player.progress.current_floor;
                    if let Some(data) = floors.for_entering(*conn, floor, clock.tick) {
                        out.0.control.push((*conn, floor_enter(&data)));
                    }
                    continue;
                }
                if sessions.by_account.len() >= rules.max_players {
                    out.0.control.push((
                        *conn,
                        ControlOut::Error {
                            kind: ErrorKind::ServerFull,
                            message: "server is full".into(),
                        },
                    ));
                    out.0.close.push(*conn);
                    continue;
                }
                let data = floors.for_entering(*conn, state.current_floor, clock.tick);
                let max = rules.player_max_health;
                let current = match u16::try_from(state.health) {
                    Ok(0) | Err(_) => max,
                    Ok(h) => h.min(max),
                };
                let player = Player {
                    identity: identity.clone(),
                    conn: Some(*conn),
                    resume_token: *resume_token,
                    detached_since: None,
                    progress: state.clone(),
                    phase: Phase::Entering {
                        floor: state.current_floor,
                        keep_position: false,
                    },
                };
                let id = ids.allocate();
                out.0
                    .control
                    .push((*conn, welcome(&player, id, &rules, &clock, false)));
                // A player waiting for the floor is placed at its entry on proving it.
                let entry = data.map_or(movement::Pos::default(), |data| {
                    out.0.control.push((*conn, floor_enter(&data)));
                    movement::tile_center(data.floor.entry.0, data.floor.entry.1)
                });
                let e = commands
                    .spawn((
                        player,
                        id,
                        Health { current, max },
                        Position(entry),
                        OnFloor(state.current_floor),
                        Controls::default(),
                        Viewer::default(),
                        Cooldown::default(),
                        InCombat::default(),
                    ))
                    .id();
                sessions.by_conn.insert(*conn, e);
                sessions.by_token.insert(*resume_token, e);
                sessions.by_account.insert(identity.player_id.clone(), e);
            }
            ClientEvent::Resume { conn, token, fresh } => {
                let found = sessions.by_token.get(token).copied();
                // A token reclaims a held session only: a live one cannot be taken over
                // (its player logs in again to replace a connection it lost track of).
                let held = found
                    .and_then(|e| players.get_mut(e).ok())
                    .filter(|(_, player, ..)| player.conn.is_none());
                match held {
                    Some((e, mut player, id, _, mut viewer)) => {
                        // Rotated: the token just used dies with this Welcome.
                        sessions.by_token.remove(&player.resume_token);
                        player.resume_token = *fresh;
                        sessions.by_token.insert(*fresh, e);
                        reattach(&mut player, &mut viewer, *conn, &mut sessions, &mut out);
                        sessions.by_conn.insert(*conn, e);
                        commands.entity(e).remove::<Present>();
                        stats.0.resumes += 1;
                        out.0
                            .control
                            .push((*conn, welcome(&player, *id, &rules, &clock, true)));
                        let floor = player.progress.current_floor;
                        if let Some(data) = floors.for_entering(*conn, floor, clock.tick) {
                            out.0.control.push((*conn, floor_enter(&data)));
                        }
                    }
                    None => {
                        out.0.control.push((
                            *conn,
                            ControlOut::Error {
                                kind: ErrorKind::ResumeExpired,
                                message: "unknown, used or expired resume token, or the session is live: log in again".into(),
                            },
                        ));
                        out.0.close.push(*conn);
                    }
                }
            }
            ClientEvent::Leave { conn } => {
                if let Some(e) = sessions.by_conn.get(conn).copied()
                    && let Ok((e, player, _, health, _)) = players.get(e)
                {
                    release(&mut commands, &mut sessions, &mut out, e, player, health);
                }
                out.0.close.push(*conn);
            }
            ClientEvent::Disconnected { conn } => {
                if let Some(e) = sessions.by_conn.remove(conn)
                    && let Ok((e, mut player, _, _, _)) = players.get_mut(e)
                    && player.conn == Some(*conn)
                {
                    player.conn = None;
                    player.detached_since = Some(clock.tick);
                    commands.entity(e).remove::<Present>();
                }
            }
            ClientEvent::FloorProof { .. } | ClientEvent::Inputs { .. } => {}
        }
    }
    // The resume window: held players whose time ran out give up their slot.
    for (e, player, _, health, _) in &players {
        if let Some(since) = player.detached_since
            && clock.tick.wrapping_sub(since) >= rules.resume_window_ticks
        {
            stats.0.sessions_expired += 1;
            release(&mut commands, &mut sessions, &mut out, e, player, health);
        }
    }
}

/// Sends the floor entries whose floor was prepared since they began waiting. A floor not
/// prepared within a second (the preparing thread gone, say) is generated here after all.
pub fn awaited_floors(
    rules: Res<Rules>,
    clock: Res<Clock>,
    mut floors: ResMut<Floors>,
    mut out: ResMut<Outbox>,
) {
    if floors.awaiting.is_empty() {
        return;
    }
    for wait in std::mem::take(&mut floors.awaiting) {
        let overdue = clock.tick.wrapping_sub(wait.since) >= rules.tick_rate_hz.max(1);
        if floors.is_ready(wait.floor) || overdue {
            let data = floors.data(wait.floor);
            out.0.control.push((wait.conn, floor_enter(&data)));
        } else {
            floors.awaiting.push(wait);
        }
    }
}

type ProofItem<'a> = (
    Entity,
    &'a mut Player,
    &'a Health,
    &'a mut Position,
    &'a mut OnFloor,
    &'a mut Controls,
    &'a mut Viewer,
);

/// The floor handshake: a player is placed on a floor only after proving its hash.
#[allow(clippy::too_many_arguments)]
pub fn floor_proofs(
    mut commands: Commands,
    inbox: Res<Inbox>,
    clock: Res<Clock>,
    mut out: ResMut<Outbox>,
    mut sessions: ResMut<Sessions>,
    mut floors: ResMut<Floors>,
    mut stats: ResMut<Stats>,
    mut players: Query<ProofItem>,
) {
    for event in &inbox.0 {
        let ClientEvent::FloorProof {
            conn,
            floor,
            hash,
            generator_version,
        } = event
        else {
            continue;
        };
        let Some(found) = sessions
            .by_conn
            .get(conn)
            .and_then(|e| players.get_mut(*e).ok())
        else {
            out.0
                .control
                .push((*conn, unexpected("floor proof before welcome")));
            out.0.close.push(*conn);
            continue;
        };
        let (e, mut player, health, mut pos, mut on_floor, mut controls, mut viewer) = found;
        let Phase::Entering {
            floor: expected_floor,
            keep_position,
        } = player.phase
        else {
            out.0
                .control
                .push((*conn, unexpected("no floor proof was asked for")));
            out.0.close.push(*conn);
            continue;
        };
        // Before its FloorEnter a client cannot know the hash; checking it would generate
        // the floor on the tick.
        if floors.awaiting.iter().any(|w| w.conn == *conn) {
            out.0
                .control
                .push((*conn, unexpected("floor proof before FloorEnter")));
            out.0.close.push(*conn);
            continue;
        }
        if *floor != expected_floor {
            out.0.control.push((
                *conn,
                unexpected(&format!(
                    "floor proof for floor {floor}, expected floor {expected_floor}"
                )),
            ));
            out.0.close.push(*conn);
            continue;
        }
        let data = floors.data(expected_floor);
        if hash.as_slice() != data.hash.0.as_slice() {
            stats.0.hash_mismatches += 1;
            let message = format!(
                "floor hash mismatch on floor {floor}: expected {} (generator v{}), got {} (generator v{generator_version})",
                data.hash.to_hex(),
                procgen::GENERATOR_VERSION,
                hex_of(hash),
            );
            out.0.control.push((
                *conn,
                ControlOut::Error {
                    kind: ErrorKind::HashMismatch,
                    message,
                },
            ));
            out.0.close.push(*conn);
            release(&mut commands, &mut sessions, &mut out, e, &player, health);
            continue;
        }
        let same_floor = on_floor.0 == expected_floor;
        if !(keep_position && same_floor) {
            pos.0 = movement::tile_center(data.floor.entry.0, data.floor.entry.1);
        }
        on_floor.0 = expected_floor;
        player.progress.current_floor = expected_floor;
        player.phase = Phase::Playing;
        controls.queue.clear();
        controls.credit = 0;
        *viewer = Viewer::default();
        commands.entity(e).insert(Present);
        out.0.control.push((
            *conn,
            ControlOut::FloorAdmitted {
                floor: expected_floor,
                spawn: pos.0,
                server_tick: clock.tick,
            },
        ));
    }
}

/// A message the client should not have sent now: answered, then the connection is closed
/// (the player is held for a resume, as after any disconnect).
fn unexpected(what: &str) -> ControlOut {
    ControlOut::Error {
        kind: ErrorKind::UnexpectedMessage,
        message: what.to_owned(),
    }
}

fn hex_of(bytes: &[u8]) -> String {
    if bytes.len() == 32 {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    } else {
        format!("{} bytes (a hash has 32)", bytes.len())
    }
}

/// Saves every connected player's state every `autosave_ticks`, staggered by id so the
/// queue sees a steady trickle instead of a burst.
pub fn autosave(
    rules: Res<Rules>,
    clock: Res<Clock>,
    mut out: ResMut<Outbox>,
    players: Query<(&Player, &NetId, &Health)>,
) {
    let every = rules.autosave_ticks.max(1);
    for (player, id, health) in &players {
        if player.conn.is_some() && clock.tick.wrapping_add(id.0) % every == 0 {
            out.0.saves.push((
                player.identity.player_id.clone(),
                progress_of(player, health),
            ));
        }
    }
}
