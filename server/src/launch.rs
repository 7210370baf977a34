//! The server as the binary runs it: the certificate first, then the Agones sidecar when
//! there is one (its GameServer names the address to announce), then the meta-service
//! (Nakama, announcing that address and the certificate's fingerprint, or dev mode), then
//! the game server and Agones `Ready`. It ends with a drain (crate::shell::drain): refuse
//! logins, leave Nakama's registry, tell players and save every state, Agones `Shutdown`.

use crate::config::{Config, ConfigError};
use crate::shell::agones::{AgonesError, AgonesShell, public_address};
use crate::shell::drain::{self, DrainMetrics, DrainPhase, DrainReport};
use crate::shell::{self, ServerHandle, StartError};
use crate::tls::TlsError;
use std::sync::Arc;
use std::sync::atomic::AtomicU32;
use std::time::{Duration, Instant};
use thiserror::Error;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tower_agones::{AgonesEnv, DrainReason, EnvError, LifecycleConfig};
use tower_meta::nakama::{MetaError, NakamaClient, registry};
use tower_meta::{Backends, NakamaConfig};
use tracing::{info, warn};

#[derive(Debug, Error)]
pub enum LaunchError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("TLS certificate: {0}")]
    Tls(#[from] TlsError),
    #[error("connecting to Nakama at {url}: {source}")]
    Nakama {
        /// `[nakama] grpc_url`, so an unreachable Nakama is named.
        url: String,
        source: MetaError,
    },
    #[error("starting the server: {0}")]
    Start(#[from] StartError),
    #[error("Agones environment: {0}")]
    AgonesEnv(#[from] EnvError),
    #[error("Agones SDK: {0}")]
    Agones(#[from] AgonesError),
    #[error("metrics registry: {0}")]
    Metrics(#[from] prometheus::Error),
}

/// A running server, its registry entry (with Nakama) and its Agones side (beside a sidecar).
pub struct Launched {
    pub server: ServerHandle,
    registration: Option<Registration>,
    agones: Option<AgonesShell>,
    drains: mpsc::UnboundedReceiver<DrainReason>,
    // Held so `drains` never closes without Agones.
    _drain_tx: mpsc::UnboundedSender<DrainReason>,
    grace: Duration,
    drain_metrics: DrainMetrics,
}

struct Registration {
    nakama: NakamaConfig,
    heartbeat: JoinHandle<()>,
}

/// Loads (or generates) the certificate once; beside an Agones sidecar
/// (`AGONES_SDK_HTTP_PORT`), waits for it and announces the address and port of its
/// GameServer instead of the configured `public_host`/`public_port`; fills
/// `nakama.cert_fingerprint` when the config leaves it empty, registers with Nakama when
/// configured (dev auth otherwise), starts the server and tells Agones it is Ready.
pub async fn launch(config: Config) -> Result<Launched, LaunchError> {
    let agones = tower_agones::from_env()?;
    launch_with_agones(config, agones).await
}

/// [`launch`] with the sidecar given instead of read from the environment (`None`: no
/// Agones), so a test can point one server at its own fake sidecar.
pub async fn launch_with_agones(
    mut config: Config,
    agones_env: Option<AgonesEnv>,
) -> Result<Launched, LaunchError> {
    for weak in config.check_keys()? {
        warn!(
            "DEV MODE: {weak}. INSECURE: anyone who knows this key can forge logins or call Nakama as this server; never expose it."
        );
    }
    let identity = shell::load_identity(&config)?;
    let mut agones = match agones_env {
        Some(env) => {
            let (sdk, gs) = AgonesShell::connect(&env, lifecycle_config(&config)).await?;
            let (host, port) = public_address(&gs).ok_or(AgonesError::NoAddress)?;
            info!(%host, port, "Agones GameServer address: announced to players");
            if let Some(nakama) = config.nakama.as_mut() {
                nakama.public_host = host;
                nakama.public_port = port;
            }
            Some(sdk)
        }
        None => None,
    };
    let players = Arc::new(AtomicU32::new(0));
    let mut registration = None;
    let (backends, dev_auth) = match config.nakama.as_mut() {
        Some(nakama) => {
            crate::config::pin_announced_fingerprint(nakama, &identity.fingerprint)?;
            let (backends, heartbeat) = tower_meta::nakama_backends(nakama, Arc::clone(&players))
                .await
                .map_err(|source| LaunchError::Nakama {
                    url: nakama.grpc_url.clone(),
                    source,
                })?;
            info!(grpc = %nakama.grpc_url, server_id = %nakama.server_id, fingerprint = %nakama.cert_fingerprint, "Nakama backends: ticket auth, Nakama storage and leaderboard");
            registration = Some(Registration {
                nakama: nakama.clone(),
                heartbeat,
            });
            (backends, false)
        }
        None => (Backends::dev(), true),
    };
    let grace = config.drain_grace();
    let started =
        shell::start_with_identity(config, identity, backends, dev_auth, Arc::clone(&players))
            .await;
    let server = match started {
        Ok(server) => server,
        Err(e) => {
            if let Some(r) = registration {
                r.leave().await;
            }
            return Err(e.into());
        }
    };
    let (drain_tx, drains) = mpsc::unbounded_channel();
    let ready = async {
        let drain_metrics = DrainMetrics::register(&server.metrics.registry)?;
        if let Some(sdk) = agones.as_mut() {
            sdk.start(players, drain_tx.clone(), &server.metrics.registry)
                .await?;
        }
        Ok::<_, LaunchError>(drain_metrics)
    };
    let drain_metrics = match ready.await {
        Ok(m) => m,
        Err(e) => {
            server.shutdown().await;
            if let Some(r) = registration {
                r.leave().await;
            }
            return Err(e);
        }
    };
    Ok(Launched {
        server,
        registration,
        agones,
        drains,
        _drain_tx: drain_tx,
        grace,
        drain_metrics,
    })
}

/// The Agones lifecycle this configuration asks for: the Counter's capacity is the most
/// players the server admits (Nakama's `capacity` when it is the tighter bound).
fn lifecycle_config(config: &Config) -> LifecycleConfig {
    let max = u32::try_from(config.max_players).unwrap_or(u32::MAX);
    let capacity = config.nakama.as_ref().map_or(max, |n| n.capacity.min(max));
    LifecycleConfig {
        capacity,
        empty_drain_after: config.empty_drain_after(),
        drain_timeout: config.drain_grace(),
        health_period: Duration::from_secs(1),
    }
}

impl Launched {
    /// Resolves when the Agones lifecycle decides to drain (an allocated server empty for
    /// `empty_drain_secs`); never without Agones.
    pub async fn drain_requested(&mut self) -> DrainReason {
        match self.drains.recv().await {
            Some(reason) => reason,
            None => std::future::pending().await,
        }
    }

    /// Drains (crate::shell::drain): refuse logins, deregister, tell players and save every
    /// state within the grace period, Agones `Shutdown`. The process may exit 0 after.
    pub async fn drain(self, reason: DrainReason) -> DrainReport {
        let start = Instant::now();
        let Launched {
            server,
            registration,
            agones,
            grace,
            drain_metrics,
            ..
        } = self;
        let phase = |p: DrainPhase| {
            drain_metrics.reached(p, reason);
            info!(
                phase = p.label(),
                reason = drain::reason_label(reason),
                elapsed_ms = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX),
                "drain"
            );
        };
        info!(
            players = server.players(),
            reason = drain::reason_label(reason),
            "draining"
        );
        phase(DrainPhase::Started);
        if let Some(sdk) = &agones {
            sdk.drain(reason);
        }
        server.refuse_logins();
        phase(DrainPhase::Refusing);
        // Only a server in Nakama's registry has one to leave (dev auth mode has none).
        if let Some(r) = registration {
            r.leave().await;
            phase(DrainPhase::Deregistered);
        }
        let unsaved = server
            .shutdown_within(drain::save_bound(grace, start.elapsed()))
            .await;
        phase(if unsaved == 0 {
            DrainPhase::Saved
        } else {
            DrainPhase::Unsaved
        });
        if let Some(sdk) = agones
            && sdk.drained().await
        {
            phase(DrainPhase::AgonesShutdown);
        }
        phase(DrainPhase::Done);
        DrainReport {
            reason,
            unsaved,
            elapsed: start.elapsed(),
        }
    }

    /// Graceful stop: a drain an operator asked for.
    pub async fn shutdown(self) {
        self.drain(DrainReason::Requested).await;
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
        let client = match NakamaClient::for_config(nakama) {
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
