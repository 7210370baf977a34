//! The game server's view of the meta-service: who a connecting player is, their persistent
//! state, and the leaderboard. Dev-mode implementations live here beside the Nakama ones, so
//! the server runs with no Nakama at all.
//!
//! CONTRACT written by the coordinator; the Nakama owner extends this crate (nakama gRPC
//! client, ticket verification, retrying save queue). The server codes against these names.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tokio::sync::Mutex;

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
    Dev { name: String },
    Ticket { ticket: String, session_token: String },
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
    async fn submit_highest_floor(&self, identity: &Identity, floor: u32) -> Result<(), StoreError>;
}

/// Dev auth: any well-formed name is accepted. Insecure by design; the server logs it loudly.
pub struct DevAuth;

/// Names: 1..=32 chars of ASCII letters, digits, `_` and `-`.
pub fn validate_dev_name(name: &str) -> Result<(), AuthError> {
    let ok = (1..=32).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok { Ok(()) } else { Err(AuthError::BadName(name.chars().take(40).collect())) }
}

#[async_trait]
impl Authenticator for DevAuth {
    async fn authenticate(&self, credentials: &Credentials) -> Result<Identity, AuthError> {
        match credentials {
            Credentials::Dev { name } => {
                validate_dev_name(name)?;
                Ok(Identity { player_id: format!("dev:{name}"), username: name.clone(), guild: None })
            }
            Credentials::Ticket { .. } => Err(AuthError::TicketsDisabled),
        }
    }
}

/// In-memory store with the same versioning rules as Nakama storage.
#[derive(Default)]
pub struct MemoryStore {
    objects: Mutex<BTreeMap<String, (PlayerState, u64)>>,
}

#[async_trait]
impl StateStore for MemoryStore {
    async fn load(&self, player_id: &str) -> Result<Option<(PlayerState, Version)>, StoreError> {
        let objects = self.objects.lock().await;
        Ok(objects.get(player_id).map(|(s, v)| (s.clone(), Some(v.to_string()))))
    }

    async fn save(
        &self,
        player_id: &str,
        state: &PlayerState,
        expected: &Version,
    ) -> Result<Version, StoreError> {
        let mut objects = self.objects.lock().await;
        let current = objects.get(player_id).map(|(_, v)| v.to_string());
        if current != *expected {
            return Err(StoreError::Conflict);
        }
        let next = objects.get(player_id).map_or(1, |(_, v)| v + 1);
        objects.insert(player_id.to_owned(), (state.clone(), next));
        Ok(Some(next.to_string()))
    }
}

/// Dev leaderboard: accepts and forgets.
pub struct NoLeaderboard;

#[async_trait]
impl Leaderboard for NoLeaderboard {
    async fn submit_highest_floor(&self, _identity: &Identity, _floor: u32) -> Result<(), StoreError> {
        Ok(())
    }
}

/// The three meta-service backends the server needs, chosen at start-up
/// (dev: `DevAuth` + `MemoryStore` + `NoLeaderboard`; Nakama: ticket auth + Nakama storage + leaderboard).
#[derive(Clone)]
pub struct Backends {
    pub auth: std::sync::Arc<dyn Authenticator>,
    pub store: std::sync::Arc<dyn StateStore>,
    pub leaderboard: std::sync::Arc<dyn Leaderboard>,
}

impl Backends {
    pub fn dev() -> Backends {
        Backends {
            auth: std::sync::Arc::new(DevAuth),
            store: std::sync::Arc::new(MemoryStore::default()),
            leaderboard: std::sync::Arc::new(NoLeaderboard),
        }
    }
}

// CONTRACT (implemented by the Nakama owner in this crate; the server calls exactly this):
//
//   /// Loads states (remembering their storage versions) and saves them through a queue that
//   /// never blocks the caller and never drops a save: it retries with backoff while the
//   /// store is unavailable, keeps only the newest pending state per player, and writes with
//   /// the version of the previous successful write (optimistic concurrency).
//   pub struct PlayerStates { .. }
//   impl PlayerStates {
//       pub fn new(store: Arc<dyn StateStore>) -> PlayerStates;        // must be called inside a tokio runtime
//       pub async fn load(&self, player_id: &str) -> Result<PlayerState, StoreError>; // default state for a new player
//       pub fn save(&self, player_id: &str, state: PlayerState);       // enqueue, returns at once
//       pub async fn flush(&self, timeout: Duration) -> usize;         // waits for the queue; returns saves still pending
//       pub fn pending(&self) -> usize;
//   }
//
//   /// `[nakama]` section of the server config (serde, from TOML/env). Absent => dev mode.
//   #[derive(Clone, Debug, Deserialize, Serialize)]
//   pub struct NakamaConfig { grpc_url, http_key, ticket_key, server_id, public_host,
//                             public_port, cert_fingerprint, capacity, heartbeat_secs, .. }
//   /// Connects to Nakama, registers this game server and keeps heartbeating it (with the
//   /// live player count read from `players`), and returns Nakama-backed Backends
//   /// (ticket auth bound to `server_id`, storage, leaderboard).
//   pub async fn nakama_backends(cfg: &NakamaConfig, players: Arc<AtomicU32>)
//       -> Result<(Backends, tokio::task::JoinHandle<()>), MetaError>;
