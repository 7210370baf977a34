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
    Ticket {
        ticket: String,
        session_token: String,
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

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StoreError {
    #[error("stale write: the stored version changed since it was read")]
    Conflict,
    #[error("meta-service unavailable: {0}")]
    Unavailable(String),
    #[error("bad stored data: {0}")]
    Corrupt(String),
}

#[async_trait]
pub trait StateStore: Send + Sync + 'static {
    /// The stored state and its version, or `None` for a new player.
    async fn load(&self, player_id: &str) -> Result<Option<(PlayerState, Version)>, StoreError>;
    /// Writes only if the stored version still equals `expected`; returns the new version.
    async fn save(
        &self,
        player_id: &str,
        state: &PlayerState,
        expected: &Version,
    ) -> Result<Version, StoreError>;
}

#[async_trait]
pub trait Leaderboard: Send + Sync + 'static {
    /// Records a new highest floor for a player (and their guild).
    async fn submit_highest_floor(&self, identity: &Identity, floor: u32)
    -> Result<(), StoreError>;
}
