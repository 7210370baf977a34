//! The server as the binary runs it: the certificate first, then the meta-service (Nakama,
//! announcing that certificate's fingerprint, or dev mode), then the game server; and the
//! reverse on shutdown, ending with leaving Nakama's registry.

use crate::config::{Config, ConfigError};
use crate::shell::{self, ServerHandle, StartError};
use crate::tls::TlsError;
use std::sync::Arc;
use std::sync::atomic::AtomicU32;
use thiserror::Error;
use tokio::task::JoinHandle;
use tower_meta::nakama::{MetaError, NakamaClient, registry};
use tower_meta::{Backends, NakamaConfig};
use tracing::{info, warn};

#[derive(Debug, Error)]
pub enum LaunchError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("TLS certificate: {0}")]
    Tls(#[from] TlsError),
    #[error("connecting to Nakama: {0}")]
    Nakama(#[from] MetaError),
    #[error("starting the server: {0}")]
    Start(#[from] StartError),
}

/// A running server and, with Nakama, its registry entry.
pub struct Launched {
    pub server: ServerHandle,
    registration: Option<Registration>,
}

struct Registration {
    nakama: NakamaConfig,
    heartbeat: JoinHandle<()>,
}

/// Loads (or generates) the certificate once, fills `nakama.cert_fingerprint` with its
/// fingerprint when the config leaves it empty, registers with Nakama when configured
/// (dev auth otherwise) and starts the server.
pub async fn launch(mut config: Config) -> Result<Launched, LaunchError> {
    for weak in config.check_keys()? {
        warn!(
            "DEV MODE: {weak}. INSECURE: anyone who knows this key can forge logins or call Nakama as this server; never expose it."
        );
    }
    let identity = shell::load_identity(&config)?;
    let players = Arc::new(AtomicU32::new(0));
    let mut registration = None;
    let (backends, dev_auth) = match config.nakama.as_mut() {
        Some(nakama) => {
            if nakama.cert_fingerprint.is_empty() {
                nakama.cert_fingerprint = identity.fingerprint.clone();
            }
            let (backends, heartbeat) =
                tower_meta::nakama_backends(nakama, Arc::clone(&players)).await?;
            info!(grpc = %nakama.grpc_url, server_id = %nakama.server_id, fingerprint = %nakama.cert_fingerprint, "Nakama backends: ticket auth, Nakama storage and leaderboard");
            registration = Some(Registration {
                nakama: nakama.clone(),
                heartbeat,
            });
            (backends, false)
        }
        None => (Backends::dev(), true),
    };
    let server =
        match shell::start_with_identity(config, identity, backends, dev_auth, players).await {
            Ok(server) => server,
            Err(e) => {
                if let Some(r) = registration {
                    r.leave().await;
                }
                return Err(e.into());
            }
        };
    Ok(Launched {
        server,
        registration,
    })
}

impl Launched {
    /// Graceful stop: the server's own shutdown (clients told, states flushed), then the
    /// heartbeat stops and the server leaves Nakama's registry.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
        if let Some(r) = self.registration {
            r.leave().await;
        }
    }
}

impl Registration {
    /// Takes this server out of the registry so the matchmaker stops sending players here
    /// at once, not only once the heartbeat times out. Failure is logged, not fatal: the
    /// registry forgets a silent server by itself.
    async fn leave(self) {
        self.heartbeat.abort();
        // Wait until it is gone, so no heartbeat can re-register the server after this.
        let _ = self.heartbeat.await;
        let nakama = &self.nakama;
        let client = match NakamaClient::connect_lazy(
            &nakama.grpc_url,
            &nakama.http_key,
            nakama.request_timeout(),
        ) {
            Ok(client) => client,
            Err(e) => {
                warn!("cannot deregister from Nakama: {e}");
                return;
            }
        };
        match registry::deregister(&client, &nakama.server_id).await {
            Ok(()) => info!(server_id = %nakama.server_id, "deregistered from Nakama"),
            Err(e) => warn!("cannot deregister from Nakama: {e}"),
        }
    }
}
