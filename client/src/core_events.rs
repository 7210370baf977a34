//! What the client core tells its user: events, and why a connection ended.

use tower_movement::Pos;
use tower_protocol::pb::ErrorCode;

/// One player on the roster of the current floor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RosterEntry {
    /// The player's entity id in snapshots ([`crate::EntityView::id`]).
    pub entity_id: u32,
    /// Display name.
    pub name: String,
    /// Guild (Nakama group) name; empty for none.
    pub guild: String,
}

/// One change of the roster, as the server sent it: what the game needs to update its own
/// view without copying the whole roster per message (a floor holds up to
/// [`tower_protocol::MAX_ROSTER_ENTRIES`] players).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RosterChange {
    /// The roster started over (a new floor): forget every earlier entry first.
    pub reset: bool,
    /// Entity ids that left the floor.
    pub left: Vec<u32>,
    /// Arrivals, and players whose name or guild changed.
    pub entries: Vec<RosterEntry>,
    /// Players on the roster after this change.
    pub total: u32,
}

/// What happened, in order. Poll with `poll_event`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// QUIC + TLS are up; the Hello is on its way.
    Connected,
    /// The server accepted the login (or the resume).
    Welcome {
        /// The own player's entity id in snapshots.
        entity_id: u32,
        /// Server ticks per second.
        tick_rate_hz: u32,
        /// The name other players see.
        display_name: String,
        /// Present it in a later connection's Hello to reclaim this session after a drop
        /// ([`crate::ClientCore::resume_token`] keeps it).
        resume_token: Vec<u8>,
        /// The server handed back an earlier session (same player, floor and position).
        resumed: bool,
    },
    /// The server sent a floor; the client regenerated it and answered with its hash.
    /// `matches` tells whether the local hash and generator version equal the server's.
    FloorEntered {
        /// Floor number (0 = ground floor).
        floor: u32,
        /// The tower's world seed.
        seed: u64,
        /// The server's floor hash.
        hash: [u8; 32],
        /// The server's procgen generator version.
        generator_version: u32,
        /// Local hash and generator version equal the server's.
        matches: bool,
    },
    /// The server checked the proof and placed the player at `spawn` (movement units).
    FloorAdmitted {
        /// Floor number.
        floor: u32,
        /// Where the player stands, movement units.
        spawn: Pos,
    },
    /// The roster of the current floor changed (one Roster message of the server); the
    /// whole roster is [`crate::ClientCore::roster`].
    Roster(RosterChange),
    /// An error the server reported (`RATE_LIMITED` is a warning; the others end the
    /// connection, and [`Event::Disconnected`] follows with the matching reason).
    Error {
        /// What went wrong, typed.
        code: ErrorCode,
        /// The server's explanation, for logs.
        message: String,
    },
    /// The connection is over (last event): why, typed, and a human-readable message.
    Disconnected {
        /// What the game should do next depends on it (see [`DisconnectReason`]).
        reason: DisconnectReason,
        /// What happened, for logs and the player.
        message: String,
    },
}

/// Why a connection ended: what a game needs to choose between resuming with the resume
/// token, queueing for a server again, and giving up. The numbers are stable (the C ABI
/// passes them on).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum DisconnectReason {
    /// The player asked to leave ([`crate::ClientCore::disconnect`]).
    Left = 0,
    /// The network went away (timeout, reset, unreachable): resume with the token.
    ConnectionLost = 1,
    /// The server is shutting down or draining: queue for another server (the player's
    /// state was saved).
    ServerShutdown = 2,
    /// Every player slot is taken: queue again.
    ServerFull = 3,
    /// The same account logged in on another connection: do not reconnect from here.
    Replaced = 4,
    /// The resume token was refused (the hold window is over): log in afresh.
    ResumeExpired = 5,
    /// The credentials were refused (e.g. an expired ticket): get new ones.
    AuthFailed = 6,
    /// Client and server speak different protocol versions: update.
    VersionMismatch = 7,
    /// This client cannot reproduce the server's floor: update.
    HashMismatch = 8,
    /// Malformed or unexpected messages (from either side): a bug, do not retry blindly.
    ProtocolError = 9,
    /// The server closed the connection without saying why.
    ServerClosed = 10,
}

impl DisconnectReason {
    /// The reason a fatal server error gives; `None` for warnings (`RATE_LIMITED`).
    pub fn from_error(code: ErrorCode) -> Option<DisconnectReason> {
        Some(match code {
            ErrorCode::RateLimited => return None,
            ErrorCode::ServerFull => DisconnectReason::ServerFull,
            // Retryable: this server drains; the matchmaker places the player elsewhere.
            ErrorCode::Draining => DisconnectReason::ServerShutdown,
            ErrorCode::Replaced => DisconnectReason::Replaced,
            ErrorCode::ResumeExpired => DisconnectReason::ResumeExpired,
            ErrorCode::AuthFailed => DisconnectReason::AuthFailed,
            ErrorCode::BadProtocolVersion => DisconnectReason::VersionMismatch,
            ErrorCode::HashMismatch => DisconnectReason::HashMismatch,
            ErrorCode::MalformedMessage
            | ErrorCode::UnexpectedMessage
            | ErrorCode::ErrorUnspecified => DisconnectReason::ProtocolError,
        })
    }

    /// Whether reconnecting with the resume token is worth trying.
    pub fn may_resume(self) -> bool {
        matches!(
            self,
            DisconnectReason::ConnectionLost | DisconnectReason::ServerClosed
        )
    }
}
