//! The meta-service seam: the data and traits the game server codes against.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// A player's persistent progress. Serialized as JSON into Nakama storage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PlayerState {
    pub highest_floor: u32,
    pub current_floor: u32,
    pub health: u32,
    pub score: u64,
}

impl PlayerState {
    /// This state (the newest one of a live session) merged over `stored`, one another
    /// writer saved meanwhile (a server the player was on before, whose release save landed
    /// late): progress is monotonic, so the highest floor and the score are the larger of
    /// the two, never lower than what is stored; where the player stands now (current
    /// floor, health) is this session's.
    pub fn merged_over(&self, stored: &PlayerState) -> PlayerState {
        PlayerState {
            highest_floor: self.highest_floor.max(stored.highest_floor),
            score: self.score.max(stored.score),
            current_floor: self.current_floor,
            health: self.health,
        }
    }
}

/// Who a connection belongs to, after authentication.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// Stable id: the Nakama user id, or `dev:<name>` in dev mode.
    pub player_id: String,
    pub username: String,
    /// Guild (Nakama group) name, if the player is in one.
    pub guild: Option<String>,
}

/// What a client presented in its Hello.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credentials {
    Dev {
        name: String,
    },
    /// A Nakama match ticket. Never the player's Nakama session token: a game server,
    /// possibly run by somebody else, must not hold a credential for the player's account.
    Ticket {
        ticket: String,
    },
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuthError {
    #[error("dev login is disabled on this server")]
    DevDisabled,
    #[error("ticket login is not available: this server runs in dev auth mode")]
    TicketsDisabled,
    #[error("invalid name: {0}")]
    BadName(String),
    #[error("ticket rejected: {0}")]
    BadTicket(String),
    #[error("ticket already used")]
    Replayed,
    #[error("meta-service unavailable: {0}")]
    Unavailable(String),
}

#[async_trait]
pub trait Authenticator: Send + Sync + 'static {
    async fn authenticate(&self, credentials: &Credentials) -> Result<Identity, AuthError>;
}

/// Storage version for optimistic concurrency (Nakama's storage object version).
/// `None` = the object does not exist yet.
pub type Version = Option<String>;

/// Why a load or save failed. Only `Unavailable` is worth retrying; every other variant is
/// permanent (the save queue dead-letters the state instead of retrying it).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StoreError {
    #[error("stale write: the stored version changed since it was read")]
    Conflict,
    #[error("meta-service unavailable: {0}")]
    Unavailable(String),
    /// Refused for good: unknown (e.g. deleted) player, input the store does not accept.
    #[error("refused: {0}")]
    Rejected(String),
    #[error("bad stored data: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// Whether retrying the same call later can succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
}

/// Identifies one queued save across its retries, so that a retry of a write that was
/// committed but whose answer was lost succeeds instead of coming back as a conflict.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SaveAttempt {
    /// Unique per queued state; the store keeps it with the object.
    pub id: String,
    /// Ids of this player's earlier saves whose outcome is unknown (their answer was lost),
    /// newest last. If the stored object carries one of them, it is our own write and may be
    /// overwritten although its version is newer than `expected`.
    pub unconfirmed: Vec<String>,
}

#[async_trait]
pub trait StateStore: Send + Sync + 'static {
    /// The stored state and its version, or `None` for a new player.
    async fn load(&self, player_id: &str) -> Result<Option<(PlayerState, Version)>, StoreError>;
    /// Writes only if the stored version still equals `expected` (or the stored object is one
    /// of `attempt`'s own unconfirmed writes); returns the new version. A repeat of an attempt
    /// that is already stored returns the stored version.
    async fn save(
        &self,
        player_id: &str,
        state: &PlayerState,
        expected: &Version,
        attempt: &SaveAttempt,
    ) -> Result<Version, StoreError>;

    /// Whether states outlive the process (Nakama: yes; the dev memory store: no). Only a
    /// durable store's failed saves are worth a dead-letter file.
    fn is_durable(&self) -> bool {
        false
    }
}

#[async_trait]
pub trait Leaderboard: Send + Sync + 'static {
    /// Records a new highest floor for a player (and their guild).
    async fn submit_highest_floor(&self, identity: &Identity, floor: u32)
    -> Result<(), StoreError>;
}
