//! Nakama-backed meta-service over gRPC: ticket auth, storage, leaderboard, registry.

mod auth;
mod client;
mod leaderboard;
pub mod registry;
mod store;
pub mod ticket;

pub use auth::{REPLAY_CAPACITY, TicketAuth};
pub use client::{GrpcTransport, GrpcUrlError, NakamaClient, RpcError};
pub use leaderboard::NakamaLeaderboard;
pub use registry::{RegisteredServer, ServerEntry};
pub use store::NakamaStore;
pub use ticket::{TicketClaims, TicketVerifier, sign_ticket};

use crate::{Backends, NakamaConfig};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use tokio::task::JoinHandle;

#[derive(Debug, thiserror::Error)]
pub enum MetaError {
    #[error("bad nakama config: {0}")]
    Config(String),
    #[error("bad nakama config: {0}")]
    GrpcUrl(#[from] GrpcUrlError),
    #[error("cannot register this game server with nakama: {0}")]
    Register(#[from] RpcError),
}

/// Connects to Nakama, registers this game server under a fresh instance id and keeps
/// heartbeating it (with the live player count read from `players`), and returns
/// Nakama-backed [`Backends`] (ticket auth bound to `server_id` and this instance, storage,
/// leaderboard) plus the heartbeat task (abort it to stop).
///
/// Fails fast when Nakama is unreachable or refuses the http_key, so a misconfigured server
/// does not start; once running, Nakama outages are ridden out (see `PlayerStates`).
pub async fn nakama_backends(
    cfg: &NakamaConfig,
    players: Arc<AtomicU32>,
) -> Result<(Backends, JoinHandle<()>), MetaError> {
    for (name, value) in [
        ("http_key", &cfg.http_key),
        ("ticket_key", &cfg.ticket_key),
        ("server_id", &cfg.server_id),
        ("public_host", &cfg.public_host),
    ] {
        if value.is_empty() {
            return Err(MetaError::Config(format!("{name} must not be empty")));
        }
    }
    let client = NakamaClient::for_config(cfg)?;
    let instance = registry::new_instance_id();
    let entry = ServerEntry::from_config(cfg, &instance, players.load(Ordering::Relaxed));
    registry::heartbeat(&client, &entry).await?;
    tracing::info!(server_id = %cfg.server_id, %instance, url = %cfg.grpc_url, "registered with nakama");
    let heartbeats = registry::spawn_heartbeats(client.clone(), cfg, &instance, players);
    let backends = Backends {
        auth: Arc::new(TicketAuth::new(
            client.clone(),
            cfg.ticket_key.as_bytes(),
            &cfg.server_id,
            &instance,
        )),
        store: Arc::new(NakamaStore::new(client.clone())),
        leaderboard: Arc::new(NakamaLeaderboard::new(client)),
    };
    Ok((backends, heartbeats))
}
