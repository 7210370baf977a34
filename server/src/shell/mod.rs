//! The network shell: the QUIC transport (one task drives quinn-proto's endpoint and every
//! connection) and the tick loop that owns the game core on its own thread. They talk only
//! through channels, so the loop never waits on a socket.

pub mod admission;
pub mod agones;
mod auth;
pub mod convert;
pub mod drain;
mod link;
pub mod priority;
pub mod ratelimit;
pub mod tick;
mod transport;

pub use crate::connection::close_code;

use crate::config::Config;
use crate::core::{ClientEvent, ConnId, GameCore};
use crate::metrics::{self, Metrics};
use crate::tls;
use admission::PreLoginBook;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use thiserror::Error;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tower_meta::{Backends, PlayerStates};
use tracing::{info, warn};

/// Transport -> tick loop.
pub(crate) enum ToLoop {
    Event(ClientEvent),
    /// The connection is gone (becomes `ClientEvent::Disconnected`).
    Gone {
        conn: ConnId,
    },
}

pub(crate) use crate::connection::Outgoing;

/// What the transport, the logins and the tick loop share.
pub(crate) struct Shared {
    pub config: Config,
    pub metrics: Arc<Metrics>,
    pub backends: Backends,
    pub states: PlayerStates,
    pub to_loop: mpsc::UnboundedSender<ToLoop>,
    pub next_conn: AtomicU64,
    /// Connections not logged in yet, by source address.
    pub prelogin: PreLoginBook,
    /// Player slots in the core (held ones included) as of the last tick: the Nakama
    /// heartbeat's load and the `max_players` pre-check.
    pub players: Arc<AtomicU32>,
    pub dev_auth: bool,
    /// Set when the server starts draining: fresh logins are refused with `DRAINING`.
    pub draining: AtomicBool,
}

#[derive(Debug, Error)]
pub enum StartError {
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    #[error("cannot bind the QUIC endpoint on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot bind the metrics endpoint on {addr}: {source}")]
    Metrics {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot start the tick thread: {0}")]
    Thread(std::io::Error),
    #[error("metrics registry: {0}")]
    Registry(#[from] prometheus::Error),
}

/// A running server. Dropping it without [`ServerHandle::shutdown`] closes every connection
/// at once (nothing is saved); the tick thread runs on until the process ends.
pub struct ServerHandle {
    pub addr: SocketAddr,
    pub metrics_addr: SocketAddr,
    /// SHA-256 of the certificate (hex) that clients pin.
    pub fingerprint: String,
    pub metrics: Arc<Metrics>,
    /// Set once, to the save bound, to stop the tick loop.
    stop: Arc<OnceLock<Duration>>,
    tick_done: Option<oneshot::Receiver<()>>,
    stop_transport: oneshot::Sender<()>,
    transport: JoinHandle<()>,
    metrics_task: JoinHandle<()>,
    shared: Arc<Shared>,
}

impl ServerHandle {
    /// Graceful stop: ServerShutdown to every client, every state saved (queue flushed),
    /// connections closed. Returns when done (bounded by a few seconds).
    pub async fn shutdown(self) {
        self.shutdown_within(Duration::from_secs(5)).await;
    }

    /// From now on fresh logins are refused with the retryable `DRAINING` (the connections
    /// and resumes already here are not affected).
    pub fn refuse_logins(&self) {
        self.shared.draining.store(true, Ordering::Relaxed);
    }

    pub fn is_refusing_logins(&self) -> bool {
        self.shared.draining.load(Ordering::Relaxed)
    }

    /// [`ServerHandle::shutdown`] waiting at most `save_bound` for the save queue; returns
    /// how many states were still unsaved then (0: every state saved).
    pub async fn shutdown_within(self, save_bound: Duration) -> usize {
        let deadline = tokio::time::Instant::now() + save_bound;
        let _ = self.stop.set(save_bound);
        if let Some(done) = self.tick_done {
            let _ = done.await;
        }
        // The tick loop already waited for the saves before telling the players; this only
        // reads what is left (or waits out the rest of the bound if it stopped early).
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let pending = self.shared.states.flush(left).await;
        if pending > 0 {
            warn!(pending, "player states still unsaved at shutdown");
        } else {
            info!("all player states saved");
        }
        // Give the connections a moment to deliver ServerShutdown and close.
        for _ in 0..40 {
            if self.metrics.connections.get() == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = self.stop_transport.send(());
        let mut transport = self.transport;
        if tokio::time::timeout(Duration::from_secs(2), &mut transport)
            .await
            .is_err()
        {
            transport.abort();
        }
        self.metrics_task.abort();
        info!(
            pending_saves = self.shared.states.pending(),
            "server stopped"
        );
        pending
    }

    /// Player slots in the core right now.
    pub fn players(&self) -> u32 {
        self.shared.players.load(Ordering::Relaxed)
    }
}

/// Binds the endpoint and the metrics port and starts the tick loop. Must be called inside
/// a tokio runtime. `backends` decides auth and persistence (`Backends::dev()` for dev mode);
/// `players` is kept at the number of player slots (Nakama's heartbeat reads it).
pub async fn start(
    config: Config,
    backends: Backends,
    dev_auth: bool,
    players: Arc<AtomicU32>,
) -> Result<ServerHandle, StartError> {
    let identity = load_identity(&config)?;
    start_with_identity(config, identity, backends, dev_auth, players).await
}

/// The TLS identity `config` asks for: its certificate and key, or the self-signed one in
/// `cert_dir` (generated on first use). Logs the fingerprint clients pin.
pub fn load_identity(config: &Config) -> Result<tls::Identity, tls::TlsError> {
    let identity = match (&config.cert, &config.key) {
        (Some(cert), Some(key)) => tls::load(cert, key)?,
        _ => tls::load_or_generate(&config.cert_dir)?,
    };
    if identity.generated {
        info!(path = %identity.cert_path.display(), "generated a self-signed certificate");
    }
    info!(fingerprint = %identity.fingerprint, cert = %identity.cert_path.display(), "certificate SHA-256 fingerprint (clients pin this)");
    Ok(identity)
}

/// [`start`] with an identity loaded beforehand by [`load_identity`] (the binary needs the
/// fingerprint before it registers with Nakama).
pub async fn start_with_identity(
    config: Config,
    identity: tls::Identity,
    backends: Backends,
    dev_auth: bool,
    players: Arc<AtomicU32>,
) -> Result<ServerHandle, StartError> {
    let server_config = tls::server_config(&identity)?;
    let listen = config.listen;
    let bind_error = |source| StartError::Bind {
        addr: listen,
        source,
    };
    let socket = transport::bind(config.listen).map_err(bind_error)?;
    let metrics = Metrics::new()?;
    let (metrics_addr, metrics_task) = metrics::start(config.metrics_listen, Arc::clone(&metrics))
        .await
        .map_err(|source| StartError::Metrics {
            addr: config.metrics_listen,
            source,
        })?;
    if dev_auth {
        warn!(
            "DEV AUTH MODE: every login name is accepted and state lives in memory. INSECURE: never expose this server."
        );
    }
    let (to_loop, rx) = mpsc::unbounded_channel();
    let stop = Arc::new(OnceLock::new());
    let core = GameCore::new(config.rules());
    let shared = Arc::new(Shared {
        states: PlayerStates::new(Arc::clone(&backends.store)),
        metrics: Arc::clone(&metrics),
        backends,
        to_loop,
        next_conn: AtomicU64::new(1),
        prelogin: PreLoginBook::new(
            config.prelogin_limits().prefixes,
            metrics.prelogin_connections.clone(),
        ),
        players,
        dev_auth,
        draining: AtomicBool::new(false),
        config,
    });
    let transport = transport::Transport::new(socket, server_config, Arc::clone(&shared));
    let addr = transport.local_addr().map_err(bind_error)?;
    let (batches, batches_rx) = mpsc::channel(transport::BATCH_QUEUE);
    let (done_tx, tick_done) = oneshot::channel();
    let (loop_shared, loop_stop, runtime) = (
        Arc::clone(&shared),
        Arc::clone(&stop),
        tokio::runtime::Handle::current(),
    );
    std::thread::Builder::new()
        .name("tower-tick".into())
        .spawn(move || {
            tick::run(core, rx, batches, loop_shared, runtime, loop_stop);
            let _ = done_tx.send(());
        })
        .map_err(StartError::Thread)?;
    let (stop_transport, stop_rx) = oneshot::channel();
    let transport = tokio::spawn(transport.run(batches_rx, stop_rx));
    info!(%addr, %metrics_addr, tick_rate_hz = shared.config.tick_rate_hz, world_seed = shared.config.world_seed, "tower server listening");
    Ok(ServerHandle {
        addr,
        metrics_addr,
        fingerprint: identity.fingerprint,
        metrics,
        stop,
        tick_done: Some(tick_done),
        stop_transport,
        transport,
        metrics_task,
        shared,
    })
}
