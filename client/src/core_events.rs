//! What the client core tells its user: events, and why a connection ended.

use tower_movement::Pos;
use tower_protocol::pb::ErrorCode;

/// One player on the roster of the current floor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RosterEntry {
    pub entity_id: u32,
    pub name: String,
    pub guild: String,
}

/// What happened, in order. Poll with `poll_event`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// QUIC + TLS are up; the Hello is on its way.
    Connected,
    Welcome {
        player_id: u32,
        tick_rate_hz: u32,
        display_name: String,
        resume_token: Vec<u8>,
        resumed: bool,
    },
    /// The server sent a floor; the client regenerated it and answered with its hash.
    /// `matches` tells whether the local hash and generator version equal the server's.
    FloorEntered {
        floor: u32,
        seed: u64,
        hash: [u8; 32],
        generator_version: u32,
        matches: bool,
    },
    /// The server checked the proof and placed the player at `spawn` (movement units).
    FloorAdmitted { floor: u32, spawn: Pos },
    /// The roster of the current floor changed; this is the whole roster, by entity id.
    Roster(Vec<RosterEntry>),
    /// An error the server reported (`RATE_LIMITED` is a warning; the others end the
    /// connection, and [`Event::Disconnected`] follows with the matching reason).
    Error { code: ErrorCode, message: String },
    /// The connection is over (last event): why, typed, and a human-readable message.
    Disconnected {
        reason: DisconnectReason,
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
