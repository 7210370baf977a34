//! Tower's authoritative game server.
//!
//! [`core`] is the game: it has no sockets and no clock (a `bevy_ecs` world stepped one tick
//! at a time with that tick's events, like quinn-proto for QUIC), so tests drive it tick by
//! tick. The shell around it ([`shell`], [`tls`], [`metrics`], [`config`]) owns the sockets,
//! the timer and the randomness, and turns connections into core events and core outputs
//! into packets.

#![forbid(unsafe_code)]

pub mod config;
pub mod connection;
pub mod core;
pub mod launch;
pub mod metrics;
pub mod shell;
pub mod tls;

pub use config::{Cli, Config};
pub use connection::ServerConn;
pub use core::{ClientEvent, ControlOut, CoreStats, GameCore, Rules, Snapshot, TickOutput};
pub use launch::{LaunchError, Launched, launch, launch_with_agones};
pub use shell::{ServerHandle, StartError, load_identity, start, start_with_identity};
