//! The roster system: compares who is present on each floor with what the clients were
//! told and sends the difference (see `core::roster` for the message design).

use crate::core::api::{ControlOut, RosterEntry};
use crate::core::roster::chunk;
use crate::core::state::*;
use bevy_ecs::prelude::*;
use std::collections::{BTreeMap, HashMap, HashSet};

/// What changed on one floor this tick.
#[derive(Default)]
struct FloorChange {
    left: Vec<u32>,
    /// Present players new to the floor (or on a new connection): they get the full roster.
    fresh: Vec<Entity>,
    /// Present players new to the floor: the others get their entries.
    arrived: Vec<Entity>,
}

fn entry_of(player: &Player, id: NetId) -> RosterEntry {
    RosterEntry {
        entity_id: id.0,
        name: player.identity.username.clone(),
        guild: player.identity.guild.clone(),
    }
}

pub fn roster(
    mut book: ResMut<RosterBook>,
    mut out: ResMut<Outbox>,
    players: Query<(Entity, &Player, &NetId, &OnFloor), With<Present>>,
) {
    let listed_now = |player: &Player, id: &NetId, floor: &OnFloor| {
        player.conn.map(|conn| Listed {
            id: id.0,
            floor: floor.0,
            conn,
        })
    };
    // The common tick: nobody came, went or reconnected. One lookup per player.
    let mut unchanged = 0;
    let mut any_new = false;
    for (e, player, id, floor) in &players {
        let now = listed_now(player, id, floor);
        if now.is_some() && book.listed.get(&e) == now.as_ref() {
            unchanged += 1;
        } else if now.is_some() {
            any_new = true;
            break;
        }
    }
    if !any_new && unchanged == book.listed.len() {
        return;
    }

    let mut now: HashMap<Entity, Listed> = HashMap::with_capacity(book.listed.len() + 1);
    for (e, player, id, floor) in &players {
        if let Some(l) = listed_now(player, id, floor) {
            now.insert(e, l);
        }
    }
    let mut changes: BTreeMap<u32, FloorChange> = BTreeMap::new();
    for (e, was) in &book.listed {
        if now.get(e).is_none_or(|l| l.floor != was.floor) {
            changes.entry(was.floor).or_default().left.push(was.id);
        }
    }
    for (&e, l) in &now {
        match book.listed.get(&e) {
            Some(was) if was == l => {}
            Some(was) if was.floor == l.floor => {
                changes.entry(l.floor).or_default().fresh.push(e);
            }
            _ => {
                let change = changes.entry(l.floor).or_default();
                change.fresh.push(e);
                change.arrived.push(e);
            }
        }
    }
    // Everyone present per changed floor, sorted by id, for full rosters and recipients.
    let mut members: HashMap<u32, Vec<(u32, Entity)>> = HashMap::new();
    for (&e, l) in &now {
        if changes.contains_key(&l.floor) {
            members.entry(l.floor).or_default().push((l.id, e));
        }
    }
    let entry = |e: Entity| {
        players
            .get(e)
            .ok()
            .map(|(_, player, id, _)| entry_of(player, *id))
    };
    for (floor, mut change) in changes {
        let mut on_floor = members.remove(&floor).unwrap_or_default();
        on_floor.sort_unstable();
        change.left.sort_unstable();
        change
            .arrived
            .sort_unstable_by_key(|e| now.get(e).map(|l| l.id));
        let arrived: Vec<RosterEntry> = change.arrived.iter().filter_map(|&e| entry(e)).collect();
        let update = chunk(false, &change.left, &arrived);
        let fresh: HashSet<Entity> = change.fresh.iter().copied().collect();
        if !update.is_empty() {
            for &(_, e) in &on_floor {
                if fresh.contains(&e) {
                    continue;
                }
                if let Some(l) = now.get(&e) {
                    for u in &update {
                        out.0.control.push((l.conn, ControlOut::Roster(u.clone())));
                    }
                }
            }
        }
        if change.fresh.is_empty() {
            continue;
        }
        let full: Vec<RosterEntry> = on_floor.iter().filter_map(|&(_, e)| entry(e)).collect();
        let reset = chunk(true, &[], &full);
        change
            .fresh
            .sort_unstable_by_key(|e| now.get(e).map(|l| l.id));
        for e in &change.fresh {
            if let Some(l) = now.get(e) {
                for u in &reset {
                    out.0.control.push((l.conn, ControlOut::Roster(u.clone())));
                }
            }
        }
    }
    book.listed = now;
}
