//! Tower's seam to Agones (targets Agones v1.56): the game server's side of the SDK sidecar.
//!
//! The lifecycle core ([`Lifecycle`]) is sans-IO: it decides when to call Ready, Allocate,
//! the `players` Counter, drain and Shutdown from the events and the "now" its caller passes
//! in, and never reads a clock or touches a socket. [`SdkClient`] is the thin I/O shell over
//! the sidecar's documented REST API; [`fake`] (feature `fake`) is a REST double of the
//! sidecar for tests.

mod client;
mod env;
mod lifecycle;
mod retry;
mod wire;

#[cfg(feature = "fake")]
pub mod fake;

pub use client::{SdkClient, SdkError};
pub use env::{AgonesEnv, DEFAULT_HTTP_PORT, EnvError, from_env, from_vars};
pub use lifecycle::{Action, Admission, DrainReason, Lifecycle, LifecycleConfig, Phase};
pub use retry::RetryPolicy;
pub use wire::{
    Counter, CounterStatus, CounterUpdate, GameServer, GameServerState, ObjectMeta, Port, Status,
};

/// The Counter that holds the number of players on a game server (`spec.counters.players`
/// in deploy/agones/fleet.yaml; the FleetAutoscaler and the Fleet's priorities read it).
pub const PLAYERS_COUNTER: &str = "players";
