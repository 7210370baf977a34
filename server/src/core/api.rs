//! What goes into the core each tick and what comes out: plain data, no I/O types.

use crate::core::movement::{MoveInput, Pos};
use tower_meta::{Identity, PlayerState};

/// A connection, numbered by the shell. Never reused within one server run.
pub type ConnId = u64;

/// 16 random bytes drawn by the shell (the core draws no randomness of its own).
pub type ResumeToken = [u8; 16];

/// Button bits of an input.
pub mod buttons {
    /// Melee attack on the nearest monster in reach (the protocol's bit).
    pub const ATTACK: u8 = tower_protocol::Buttons::ATTACK;
}

/// One tick of a client's input, as decoded from an input datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TickInput {
    pub seq: u32,
    pub dir: MoveInput,
    pub buttons: u8,
    /// Where the client's predictor put its player after applying this input.
    pub predicted: Pos,
    /// With an attack: the server tick the client was drawing (lag compensation).
    pub render_tick: Option<u32>,
}

/// Something a connection did since the previous tick.
#[derive(Clone, Debug, PartialEq)]
pub enum ClientEvent {
    /// Authenticated and loaded by the shell; `resume_token` is fresh randomness for this
    /// session.
    Join {
        conn: ConnId,
        identity: Identity,
        state: PlayerState,
        resume_token: ResumeToken,
    },
    /// A Hello that carried a resume token instead of a fresh login; `fresh` is fresh
    /// randomness, the session's token from now on if the resume is accepted.
    Resume {
        conn: ConnId,
        token: ResumeToken,
        fresh: ResumeToken,
    },
    FloorProof {
        conn: ConnId,
        floor: u32,
        hash: Vec<u8>,
        generator_version: u32,
    },
    /// The inputs of one datagram (the newest first or last: the core orders them by seq).
    Inputs {
        conn: ConnId,
        inputs: Vec<TickInput>,
    },
    /// Orderly goodbye: the player is saved and removed at once.
    Leave { conn: ConnId },
    /// The connection was lost: the player is held for the resume window.
    Disconnected { conn: ConnId },
}

impl ClientEvent {
    pub fn conn(&self) -> ConnId {
        match self {
            ClientEvent::Join { conn, .. }
            | ClientEvent::Resume { conn, .. }
            | ClientEvent::FloorProof { conn, .. }
            | ClientEvent::Inputs { conn, .. }
            | ClientEvent::Leave { conn }
            | ClientEvent::Disconnected { conn } => *conn,
        }
    }
}

/// Why the core refused something; the shell maps it to the wire's `ErrorCode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    HashMismatch,
    ResumeExpired,
    UnexpectedMessage,
    /// The same account logged in again elsewhere.
    Replaced,
    /// Every player slot is taken.
    ServerFull,
}

/// A control-stream message for one client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ControlOut {
    Welcome {
        entity_id: u32,
        tick_rate_hz: u32,
        resume_token: ResumeToken,
        server_tick: u32,
        display_name: String,
        resumed: bool,
    },
    FloorEnter {
        seed: u64,
        floor: u32,
        generator_version: u32,
        hash: [u8; 32],
    },
    FloorAdmitted {
        floor: u32,
        spawn: Pos,
        server_tick: u32,
    },
    Error {
        kind: ErrorKind,
        message: String,
    },
    Shutdown {
        reason: String,
    },
    /// A change to the roster of the client's floor (see [`crate::core::roster`]).
    Roster(RosterUpdate),
}

/// A player as the roster shows it to the others on its floor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RosterEntry {
    /// The player's entity id in snapshots.
    pub entity_id: u32,
    pub name: String,
    /// Guild (Nakama group) name; `None` without a guild (and always in dev mode).
    pub guild: Option<String>,
}

/// One roster message: with `reset`, forget the roster held so far (a new floor) and start
/// from these entries; then drop the `left` ids and add or replace the `entries`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RosterUpdate {
    pub reset: bool,
    pub left: Vec<u32>,
    pub entries: Vec<RosterEntry>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EntityKind {
    Player,
    Monster,
}

/// One entity as an observer sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EntityState {
    pub id: u32,
    pub kind: EntityKind,
    pub pos: Pos,
    pub health: u16,
    pub in_combat: bool,
    /// Swung an attack within the last `Rules::flash_ticks`.
    pub attacking: bool,
    /// Took damage within the last `Rules::flash_ticks`.
    pub hurt: bool,
}

/// The observer's own player: always authoritative, never tiered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OwnState {
    pub id: u32,
    pub floor: u32,
    pub pos: Pos,
    pub health: u16,
    /// The newest input the server has applied; the client replays the ones after it.
    pub last_input_seq: u32,
}

/// What one client should know this tick. The protocol codec deltas it against the
/// client's acknowledged baseline, so unchanged (idle, or tier-held) entities cost nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    pub tick: u32,
    pub own: OwnState,
    /// Sorted by id.
    pub entities: Vec<EntityState>,
}

/// Everything the shell must do after one tick.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TickOutput {
    pub control: Vec<(ConnId, ControlOut)>,
    pub snapshots: Vec<(ConnId, Snapshot)>,
    /// Close these connections after sending their control messages.
    pub close: Vec<ConnId>,
    /// Enqueue these on the save queue (player id, state).
    pub saves: Vec<(String, PlayerState)>,
    /// Players the core let go (left, or held past the resume window); their last state is
    /// in `saves`. The save queue may forget them once it is written.
    pub released: Vec<String>,
    /// New highest floors to submit to the leaderboard.
    pub highest_floors: Vec<(Identity, u32)>,
}

/// Counters and gauges the shell exports as metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CoreStats {
    pub tick: u32,
    /// Players connected and on a floor.
    pub players_playing: u64,
    /// Player slots, including those waiting for a proof or a reconnect.
    pub players_total: u64,
    pub floors_live: u64,
    pub floors_generated: u64,
    pub hash_mismatches: u64,
    pub corrections_speed: u64,
    pub corrections_wall: u64,
    pub corrections_drift: u64,
    /// Inputs beyond the per-tick budget or the queue bound.
    pub inputs_dropped: u64,
    /// Lost input seqs filled in with the next input's direction (`Rules::input_gap_fill`).
    pub inputs_guessed: u64,
    pub deaths: u64,
    pub kills: u64,
    pub resumes: u64,
    /// Held players whose resume window ran out.
    pub sessions_expired: u64,
}

impl CoreStats {
    pub fn corrections(&self) -> u64 {
        self.corrections_speed + self.corrections_wall + self.corrections_drift
    }
}
