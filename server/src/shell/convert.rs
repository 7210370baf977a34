//! Between the core's plain data and the wire types of `tower-protocol`.

use crate::core::movement::{MoveInput, Pos};
use crate::core::{ControlOut, EntityKind, ErrorKind, Snapshot, TickInput};
use tower_protocol::pb::{self, ErrorCode, server_control::Msg};
use tower_protocol::{EntityFlags, EntitySet, EntityState, InputDatagram};

pub fn error_code(kind: ErrorKind) -> ErrorCode {
    match kind {
        ErrorKind::HashMismatch => ErrorCode::HashMismatch,
        ErrorKind::ResumeExpired => ErrorCode::ResumeExpired,
        ErrorKind::UnexpectedMessage => ErrorCode::UnexpectedMessage,
        ErrorKind::Replaced => ErrorCode::Replaced,
        ErrorKind::ServerFull => ErrorCode::ServerFull,
    }
}

pub fn error(code: ErrorCode, message: impl Into<String>) -> Msg {
    Msg::Error(pb::Error {
        code: code as i32,
        message: message.into(),
    })
}

pub fn control(msg: &ControlOut) -> Msg {
    match msg {
        ControlOut::Welcome {
            entity_id,
            tick_rate_hz,
            resume_token,
            server_tick,
            display_name,
            resumed,
        } => Msg::Welcome(pb::Welcome {
            entity_id: *entity_id,
            tick_rate_hz: *tick_rate_hz,
            resume_token: resume_token.to_vec(),
            server_tick: *server_tick,
            display_name: display_name.clone(),
            resumed: *resumed,
        }),
        ControlOut::FloorEnter {
            seed,
            floor,
            generator_version,
            hash,
        } => Msg::FloorEnter(pb::FloorEnter {
            seed: *seed,
            floor: *floor,
            generator_version: *generator_version,
            hash: hash.to_vec(),
        }),
        ControlOut::FloorAdmitted {
            floor,
            spawn,
            server_tick,
        } => Msg::FloorAdmitted(pb::FloorAdmitted {
            floor: *floor,
            spawn_x: spawn.x,
            spawn_y: spawn.y,
            server_tick: *server_tick,
        }),
        ControlOut::Error { kind, message } => error(error_code(*kind), message.clone()),
        ControlOut::Shutdown { reason } => Msg::Shutdown(pb::ServerShutdown {
            reason: reason.clone(),
        }),
        ControlOut::Roster(update) => Msg::Roster(pb::Roster {
            entries: update
                .entries
                .iter()
                .map(|e| pb::RosterEntry {
                    entity_id: e.entity_id,
                    name: e.name.clone(),
                    guild: e.guild.clone().unwrap_or_default(),
                })
                .collect(),
            left: update.left.clone(),
            reset: update.reset,
        }),
    }
}

/// The entity set the codec encodes: the own player (authoritative, exact) plus the view
/// (positions in wire units).
pub fn entities(snapshot: &Snapshot) -> EntitySet {
    let own = snapshot.own;
    let mut all = Vec::with_capacity(snapshot.entities.len() + 1);
    all.push(EntityState {
        id: own.id,
        kind: tower_protocol::EntityKind::Player,
        x: own.pos.x,
        y: own.pos.y,
        health: own.health,
        flags: EntityFlags::default().with(EntityFlags::DEAD, own.health == 0),
    });
    all.extend(snapshot.entities.iter().map(|e| {
        EntityState {
            id: e.id,
            kind: match e.kind {
                EntityKind::Player => tower_protocol::EntityKind::Player,
                EntityKind::Monster => tower_protocol::EntityKind::Monster,
            },
            x: e.pos.x,
            y: e.pos.y,
            health: e.health,
            flags: EntityFlags::default()
                .with(EntityFlags::IN_COMBAT, e.in_combat)
                .with(EntityFlags::ATTACKING, e.attacking)
                .with(EntityFlags::HURT, e.hurt)
                .with(EntityFlags::DEAD, e.health == 0),
        }
        .remote_to_wire()
    }));
    EntitySet::from_vec(all)
}

/// The inputs of one datagram as core inputs (oldest first).
pub fn inputs(datagram: &InputDatagram) -> Vec<TickInput> {
    let mut v: Vec<TickInput> = datagram
        .iter_with_seq()
        .filter(|(seq, _)| *seq > 0)
        .map(|(seq, cmd)| TickInput {
            seq,
            dir: MoveInput::new(cmd.move_x, cmd.move_y),
            buttons: cmd.buttons.0,
            predicted: Pos {
                x: cmd.predicted_x,
                y: cmd.predicted_y,
            },
            // 0: the client had no snapshot yet to draw.
            render_tick: (cmd.buttons.attack() && cmd.render_tick > 0).then_some(cmd.render_tick),
        })
        .collect();
    v.reverse();
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{EntityState as CoreEntity, OwnState};

    #[test]
    fn snapshot_puts_the_own_player_first_class_in_the_set() {
        let s = Snapshot {
            tick: 5,
            own: OwnState {
                id: 9,
                floor: 0,
                pos: Pos { x: 1, y: 2 },
                health: 50,
                last_input_seq: 3,
            },
            entities: vec![CoreEntity {
                id: 4,
                kind: EntityKind::Monster,
                pos: Pos { x: 7, y: 8 },
                health: 0,
                in_combat: true,
                attacking: false,
                hurt: true,
            }],
        };
        let set = entities(&s);
        assert_eq!(set.len(), 2);
        let own = set.get(9).expect("own player");
        assert_eq!((own.x, own.y, own.health), (1, 2, 50));
        let m = set.get(4).expect("monster");
        assert!(m.flags.contains(EntityFlags::IN_COMBAT) && m.flags.contains(EntityFlags::DEAD));
        assert!(m.flags.contains(EntityFlags::HURT) && !m.flags.contains(EntityFlags::ATTACKING));
    }

    #[test]
    fn inputs_come_out_oldest_first_with_their_seqs() {
        let d = InputDatagram {
            ack: Some(3),
            newest_seq: 10,
            inputs: vec![
                tower_protocol::InputCmd {
                    move_x: 1,
                    ..Default::default()
                },
                tower_protocol::InputCmd {
                    move_x: 2,
                    ..Default::default()
                },
            ],
        };
        let v = inputs(&d);
        assert_eq!(
            v.iter().map(|i| (i.seq, i.dir.x)).collect::<Vec<_>>(),
            vec![(9, 2), (10, 1)]
        );
    }
}
