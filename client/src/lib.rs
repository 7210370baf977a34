//! Tower's Rust client: connect, handshake, floor proof, inputs, snapshots, interpolation
//! and prediction. The C ABI (tower-ffi) wraps this crate, so its API has no tokio types.
//!
//! # Public API (stable; the server's tests and tower-ffi code against it)
//! ```text
//! Client::connect(ClientConfig) -> Result<Client, ClientError>   returns at once, connects in the background
//! ClientPool::new(threads)?.connect(cfg)                          many clients on one runtime (bots)
//! ClientPool::with_path_delay(threads, path)                      ... datagrams held: a round trip, jitter (load tests)
//! client.poll_event() -> Option<Event>                            Connected, Welcome, FloorEntered,
//!                                                                 FloorAdmitted, Roster, Error { code: ErrorCode },
//!                                                                 Disconnected { reason: DisconnectReason }
//! client.send_input(PlayerInput { move_x, move_y, attack })      held input, sent every tick
//!                                                                 (slowed to keepalives while neutral)
//! client.predicted_position() -> Option<Pos>                      own player, movement units (256/tile)
//! client.interpolated_entities(Instant) -> Vec<EntityView>        all entities in view, positions in tiles
//! client.entity_id(), client.current_floor(), client.stats(), client.is_closed(), client.disconnect()
//!
//! ClientConfig::new(addr, Trust::Fingerprint(CertFingerprint::parse(hex)?) | Trust::CaFile(path),
//!                   Credentials::Dev { name } | Credentials::Ticket { ticket })
//!   addr: a SocketAddr, or ServerAddress::parse("host:port")? (resolved on the client's own
//!         runtime, never on the caller's thread; IPv4 preferred)
//!   .core.resume_token = Some(token)         reclaim a dropped session
//!   .core.floors = FloorSource::cached(n)    share regenerated floors between clients
//!   .core.idle = Some(IdlePolicy { .. })     input suppression while holding still (None: every tick)
//!   .core.calm = Some(CalmPolicy { .. })     fewer inputs, so snapshots, with no fight near (None: off)
//!   .transport = TransportTuning { .. }      QUIC ACK frequency request and keep-alive
//!   .core.diagnostics = Diagnostics { .. }   TEST ONLY: wrong floor proof, other protocol version,
//!                                            raw bytes instead of the Hello
//! ```
//! [`ClientCore`] is the sans-IO protocol state machine underneath (bytes and time in,
//! bytes, events and a wake-up time out); [`Client`] is a thin quinn/tokio shell around it.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod address;
mod core;
mod core_config;
mod core_events;
mod core_stats;
mod interp;
mod path_delay;
mod predict;
mod shell;
mod tls;

pub use crate::core::{
    CalmPolicy, ClientCore, ClientStats, CoreConfig, Credentials, Diagnostics, DisconnectReason,
    Event, FloorSource, IDLE_SETTLE_TICKS, IdlePolicy, MAX_PENDING_EVENT_BYTES, MAX_PENDING_EVENTS,
    PlayerInput, RosterChange, RosterEntry, TransportStats,
};
pub use address::{AddressParseError, ServerAddress, pick_resolved};
pub use interp::{EntityView, INTERP_CAPACITY, InterpBuffer};
pub use path_delay::PathDelay;
pub use predict::{MAX_PENDING, Predictor};
pub use shell::{Client, ClientConfig, ClientError, ClientPool};
pub use tls::{
    AckFrequency, CertFingerprint, FingerprintParseError, TlsConfigError, TransportTuning, Trust,
    quic_client_config, quic_client_config_tuned,
};
pub use tower_movement::Pos;
pub use tower_protocol::pb::ErrorCode;
pub use tower_protocol::{Buttons, EntityFlags, EntityKind, MAX_INPUTS_PER_DATAGRAM};

#[cfg(test)]
mod core_tests;
