//! The game server's view of the meta-service: who a connecting player is, their persistent
//! state, and the leaderboard. Dev-mode implementations live beside the Nakama ones, so the
//! server runs with no Nakama at all.
//!
//! - [`model`]: the seam (traits and data) the server codes against.
//! - [`dev`]: dev auth, in-memory store, no leaderboard.
//! - [`save_queue`]: [`PlayerStates`], the non-blocking, retrying, versioned save queue.
//! - [`config`]: the `[nakama]` config section.
//! - [`nakama`]: the Nakama backends over gRPC (tickets, storage, leaderboard, registry).

pub mod config;
pub mod dev;
pub mod model;
pub mod nakama;
pub mod save_queue;

pub use config::NakamaConfig;
pub use dev::{DevAuth, MemoryStore, NoLeaderboard, validate_dev_name};
pub use model::{
    AuthError, Authenticator, Credentials, Identity, Leaderboard, PlayerState, SaveAttempt,
    StateStore, StoreError, Version,
};
pub use nakama::{MetaError, nakama_backends};
pub use save_queue::{
    DEAD_LETTER_ENV, DeadLetter, MAX_MERGES, PlayerStates, RetryPolicy, SaveOptions, SaveStats,
    read_dead_letters,
};

use std::sync::Arc;

/// The three meta-service backends the server needs, chosen at start-up
/// (dev: `DevAuth` + `MemoryStore` + `NoLeaderboard`; Nakama: ticket auth + Nakama storage + leaderboard).
#[derive(Clone)]
pub struct Backends {
    pub auth: Arc<dyn Authenticator>,
    pub store: Arc<dyn StateStore>,
    pub leaderboard: Arc<dyn Leaderboard>,
}

impl Backends {
    pub fn dev() -> Backends {
        Backends {
            auth: Arc::new(DevAuth),
            store: Arc::new(MemoryStore::default()),
            leaderboard: Arc::new(NoLeaderboard),
        }
    }
}
