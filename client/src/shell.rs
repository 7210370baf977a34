//! The network shell: quinn + tokio around [`ClientCore`]. Each connection is one tokio task
//! that resolves the server's name (if it is one), then moves bytes between quinn and the
//! core; the [`Client`] handle only locks the core, so no method blocks the caller.

use crate::address::{ServerAddress, pick_resolved};
use crate::core::{
    ClientCore, ClientStats, CoreConfig, Credentials, Event, PlayerInput, RosterEntry,
    TransportStats,
};
use crate::interp::EntityView;
use crate::path_delay::PathDelay;
use crate::tls::{TlsConfigError, TransportTuning, Trust, quic_client_config_tuned};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use thiserror::Error;
use tokio::sync::Notify;
use tower_movement::Pos;

/// Everything needed to connect.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// An IP literal, or a host name resolved on the client's runtime when the connection
    /// starts (within `connect_timeout`; IPv4 preferred, see [`pick_resolved`]).
    pub server_addr: ServerAddress,
    /// TLS server name (SNI; checked only with [`Trust::CaFile`]). [`ClientConfig::new`]
    /// sets it to the host name, or "localhost" for an IP literal.
    pub server_name: String,
    /// How the server certificate is checked (pinned fingerprint or CA file).
    pub trust: Trust,
    /// Bounds name resolution and the QUIC handshake together.
    pub connect_timeout: Duration,
    /// QUIC acknowledgement frequency and keep-alive.
    pub transport: TransportTuning,
    /// Credentials, resume token, interpolation and test-only diagnostics.
    pub core: CoreConfig,
}

impl ClientConfig {
    /// Defaults: SNI from the address, 10 s connect timeout, default transport tuning.
    pub fn new(
        server_addr: impl Into<ServerAddress>,
        trust: Trust,
        credentials: Credentials,
    ) -> Self {
        let server_addr = server_addr.into();
        ClientConfig {
            server_name: server_addr.tls_name().to_owned(),
            server_addr,
            trust,
            connect_timeout: Duration::from_secs(10),
            transport: TransportTuning::default(),
            core: CoreConfig::new(credentials),
        }
    }
}

/// Why a client could not be started (connection failures arrive as events).
#[allow(missing_docs)] // each variant is described by its #[error] message
#[derive(Debug, Error)]
pub enum ClientError {
    #[error(transparent)]
    Tls(#[from] TlsConfigError),
    #[error("cannot start the client runtime: {0}")]
    Runtime(std::io::Error),
    #[error("cannot open a UDP socket: {0}")]
    Bind(std::io::Error),
}

/// Connections per UDP socket (quinn endpoint) in a pool.
const CONNECTIONS_PER_ENDPOINT: usize = 128;

/// UDP sockets of a pool.
struct Sockets {
    /// (IPv6?, endpoint, connections made on it)
    open: Vec<(bool, quinn::Endpoint, usize)>,
    /// How long each socket holds a datagram before sending it (see `path_delay`).
    path: PathDelay,
}

type Endpoints = Arc<Mutex<Sockets>>;

struct PoolInner {
    runtime: Option<tokio::runtime::Runtime>,
    endpoints: Endpoints,
}

impl Drop for PoolInner {
    fn drop(&mut self) {
        // never blocks, so a pool may be dropped inside another async runtime
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// A runtime (and a few UDP sockets) shared by many clients: a bot swarm runs thousands of
/// connections on one pool. [`Client::connect`] makes a private pool of one thread.
#[derive(Clone)]
pub struct ClientPool {
    inner: Arc<PoolInner>,
}

impl ClientPool {
    /// A pool whose runtime has `worker_threads` threads (at least 1).
    pub fn new(worker_threads: usize) -> Result<Self, ClientError> {
        Self::with_path_delay(worker_threads, PathDelay::NONE)
    }

    /// [`ClientPool::new`] whose sockets hold every datagram as `path` says before sending
    /// it: a load test on loopback then sees the round trip (and jitter) of a player's path.
    pub fn with_path_delay(worker_threads: usize, path: PathDelay) -> Result<Self, ClientError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(worker_threads.max(1))
            .thread_name("tower-client")
            .enable_all()
            .build()
            .map_err(ClientError::Runtime)?;
        Ok(ClientPool {
            inner: Arc::new(PoolInner {
                runtime: Some(runtime),
                endpoints: Arc::new(Mutex::new(Sockets {
                    open: Vec::new(),
                    path,
                })),
            }),
        })
    }

    fn runtime(&self) -> &tokio::runtime::Runtime {
        #[allow(clippy::expect_used)] // only None inside Drop
        self.inner
            .runtime
            .as_ref()
            .expect("runtime lives as long as the pool")
    }

    /// Starts connecting in the background and returns at once. An IP literal gets its UDP
    /// socket here (so a refused socket is an error now); a host name is resolved, and its
    /// socket opened, by the connection's task: failures there arrive as
    /// `Event::Disconnected`.
    pub fn connect(&self, cfg: ClientConfig) -> Result<Client, ClientError> {
        let quic = quic_client_config_tuned(&cfg.trust, &cfg.transport)?;
        let target = match &cfg.server_addr {
            ServerAddress::Ip(addr) => {
                let _guard = self.runtime().enter();
                Target::Ready(*addr, endpoint_for(&self.inner.endpoints, addr)?)
            }
            ServerAddress::Host { host, port } => Target::Resolve {
                host: host.clone(),
                port: *port,
                endpoints: self.inner.endpoints.clone(),
            },
        };
        let shared = Arc::new(Shared {
            core: Mutex::new(ClientCore::new(cfg.core.clone(), Instant::now())),
            wake: Notify::new(),
        });
        self.runtime()
            .spawn(drive(shared.clone(), target, quic, cfg));
        Ok(Client {
            shared,
            pool: self.clone(),
        })
    }
}

/// A UDP socket (quinn endpoint) of the pool for `addr`'s family: one with room, or a new
/// one. Call it inside the pool's runtime.
fn endpoint_for(endpoints: &Endpoints, addr: &SocketAddr) -> Result<quinn::Endpoint, ClientError> {
    let v6 = addr.is_ipv6();
    let mut sockets = endpoints.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((_, ep, n)) = sockets
        .open
        .iter_mut()
        .find(|(is6, _, n)| *is6 == v6 && *n < CONNECTIONS_PER_ENDPOINT)
    {
        *n += 1;
        return Ok(ep.clone());
    }
    let bind = if v6 {
        SocketAddr::from((std::net::Ipv6Addr::UNSPECIFIED, 0))
    } else {
        SocketAddr::from((std::net::Ipv4Addr::UNSPECIFIED, 0))
    };
    let ep = client_endpoint(bind, sockets.path).map_err(ClientError::Bind)?;
    sockets.open.push((v6, ep.clone(), 1));
    Ok(ep)
}

/// UDP socket buffers of a pooled endpoint: up to `CONNECTIONS_PER_ENDPOINT` connections
/// (a bot swarm) share one socket, and the kernel's default ~200 KB receive buffer overflows
/// within milliseconds of a stall. The kernel clamps the request to `net.core.rmem_max`.
const SOCKET_BUFFER_BYTES: usize = 4 << 20;

/// Length of the connection ids this client hands out, which the server writes into every
/// packet it sends here. A client endpoint holds a handful of connections (a swarm of bots
/// a few hundred), so 4 random bytes never collide in practice (quinn re-draws if one does)
/// and save 4 bytes a packet downstream against quinn's 8-byte default; the server keeps its
/// 8-byte ids, whose keyed hash lets it drop junk packets before any lookup.
const CONNECTION_ID_BYTES: usize = 4;

/// `quinn::Endpoint::client` with `SOCKET_BUFFER_BYTES` socket buffers (best effort),
/// `CONNECTION_ID_BYTES` connection ids and sends held as `path` says.
fn client_endpoint(bind: SocketAddr, path: PathDelay) -> std::io::Result<quinn::Endpoint> {
    let socket = std::net::UdpSocket::bind(bind)?;
    let state = quinn::udp::UdpSocketState::new((&socket).into())?;
    let _ = state.set_recv_buffer_size((&socket).into(), SOCKET_BUFFER_BYTES);
    let _ = state.set_send_buffer_size((&socket).into(), SOCKET_BUFFER_BYTES);
    let runtime = quinn::default_runtime()
        .ok_or_else(|| std::io::Error::other("no async runtime for the QUIC endpoint"))?;
    let mut config = quinn::EndpointConfig::default();
    config.cid_generator(|| {
        Box::new(quinn_proto::RandomConnectionIdGenerator::new(
            CONNECTION_ID_BYTES,
        ))
    });
    let socket = crate::path_delay::DelayedSend::wrap(runtime.wrap_udp_socket(socket)?, path);
    quinn::Endpoint::new_with_abstract_socket(config, None, socket, runtime)
}

/// Where a connection's task starts.
enum Target {
    Ready(SocketAddr, quinn::Endpoint),
    Resolve {
        host: String,
        port: u16,
        endpoints: Endpoints,
    },
}

struct Shared {
    core: Mutex<ClientCore>,
    wake: Notify,
}

impl Shared {
    fn core(&self) -> MutexGuard<'_, ClientCore> {
        self.core.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A connection to a Tower server. All methods return at once; the connection runs in the
/// background. Dropping it leaves the server politely.
pub struct Client {
    shared: Arc<Shared>,
    pool: ClientPool,
}

impl Client {
    /// Connects with a private one-thread runtime.
    pub fn connect(cfg: ClientConfig) -> Result<Client, ClientError> {
        ClientPool::new(1)?.connect(cfg)
    }

    /// The next event, if any.
    pub fn poll_event(&self) -> Option<Event> {
        self.shared.core().poll_event()
    }

    /// Sets the input held from now on; it is applied and sent every client tick.
    pub fn send_input(&self, input: PlayerInput) {
        self.shared.core().set_input(input);
    }

    /// Entities to draw at `render_time` (normally now), interpolated ~100 ms behind.
    pub fn interpolated_entities(&self, render_time: Instant) -> Vec<EntityView> {
        self.shared.core().interpolated_entities(render_time)
    }

    /// The own player's predicted position in movement units (256 per tile).
    pub fn predicted_position(&self) -> Option<Pos> {
        self.shared.core().predicted_position()
    }

    /// The own player's entity id, after the Welcome.
    pub fn entity_id(&self) -> Option<u32> {
        self.shared.core().entity_id()
    }

    /// The players on the current floor, by entity id.
    pub fn roster(&self) -> Vec<RosterEntry> {
        self.shared.core().roster()
    }

    /// The resume token of the last Welcome, kept after the connection ends.
    pub fn resume_token(&self) -> Option<Vec<u8>> {
        self.shared.core().resume_token().map(<[u8]>::to_vec)
    }

    /// The current floor number and its regenerated layout.
    pub fn current_floor(&self) -> Option<(u32, Arc<procgen::Floor>)> {
        self.shared.core().floor()
    }

    /// A copy of the connection's counters, transport figures included.
    pub fn stats(&self) -> ClientStats {
        self.shared.core().stats()
    }

    /// Whether the connection is over (after `Event::Disconnected`).
    pub fn is_closed(&self) -> bool {
        self.shared.core().is_closed()
    }

    /// Sends Leave and closes; `Event::Disconnected` follows.
    pub fn disconnect(&self) {
        self.shared.core().disconnect();
        self.shared.wake.notify_one();
    }
}

/// How long a dropped client's private runtime lives on so the Leave can go out.
const CLOSE_GRACE: Duration = Duration::from_millis(300);

impl Drop for Client {
    /// Never blocks: a game thread may drop a connected client. A private pool would die
    /// with this client before the Leave went out, so a short-lived thread keeps it alive
    /// until the connection is closed or [`CLOSE_GRACE`] has passed.
    fn drop(&mut self) {
        self.disconnect();
        if Arc::strong_count(&self.pool.inner) != 1 || self.is_closed() {
            return;
        }
        let shared = self.shared.clone();
        let pool = self.pool.clone();
        let closer = std::thread::Builder::new()
            .name("tower-client-close".into())
            .spawn(move || {
                let deadline = Instant::now() + CLOSE_GRACE;
                while !shared.core().is_closed() && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(5));
                }
                drop(pool);
            });
        if let Err(e) = closer {
            // The runtime goes down with this client; the server times the player out.
            tracing::debug!("no thread to finish closing the connection: {e}");
        }
    }
}

/// Resolves `host` on the runtime (the system resolver runs on tokio's blocking pool) and
/// opens a socket for the chosen address. Gives up at `deadline`, or early when the client
/// is told to disconnect meanwhile.
async fn resolve(
    shared: &Shared,
    host: &str,
    port: u16,
    endpoints: &Endpoints,
    deadline: tokio::time::Instant,
) -> Result<(SocketAddr, quinn::Endpoint), String> {
    let lookup = tokio::time::timeout_at(deadline, tokio::net::lookup_host((host, port)));
    tokio::pin!(lookup);
    let found = loop {
        tokio::select! {
            found = &mut lookup => break found,
            () = shared.wake.notified() => {
                if shared.core().is_closing() {
                    return Err("left before connecting".into());
                }
            }
        }
    };
    let addr = match found {
        Ok(Ok(addrs)) => pick_resolved(addrs)
            .ok_or_else(|| format!("cannot resolve {host}:{port}: no addresses"))?,
        Ok(Err(e)) => return Err(format!("cannot resolve {host}:{port}: {e}")),
        Err(_) => return Err(format!("resolving {host}:{port} timed out")),
    };
    let endpoint =
        endpoint_for(endpoints, &addr).map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    Ok((addr, endpoint))
}

async fn drive(shared: Arc<Shared>, target: Target, quic: quinn::ClientConfig, cfg: ClientConfig) {
    let deadline = tokio::time::Instant::now() + cfg.connect_timeout;
    let (addr, endpoint) = match target {
        Target::Ready(addr, endpoint) => (addr, endpoint),
        Target::Resolve {
            host,
            port,
            endpoints,
        } => match resolve(&shared, &host, port, &endpoints, deadline).await {
            Ok(found) => found,
            Err(reason) => return shared.core().handle_connection_lost(reason),
        },
    };
    let connecting = match endpoint.connect_with(quic, addr, &cfg.server_name) {
        Ok(c) => c,
        Err(e) => {
            return shared
                .core()
                .handle_connection_lost(format!("cannot connect: {e}"));
        }
    };
    let conn = match tokio::time::timeout_at(deadline, connecting).await {
        Ok(Ok(conn)) => conn,
        Ok(Err(e)) => {
            return shared
                .core()
                .handle_connection_lost(format!("connection failed: {e}"));
        }
        Err(_) => {
            return shared
                .core()
                .handle_connection_lost("connection timed out".into());
        }
    };
    shared.core().handle_connected();
    let (mut send, mut recv) = match conn.open_bi().await {
        Ok(s) => s,
        Err(e) => {
            return shared
                .core()
                .handle_connection_lost(format!("cannot open control stream: {e}"));
        }
    };
    let mut refresh_stats = true;
    loop {
        let (stream_bytes, datagrams, closing, closed, timeout) = {
            let mut core = shared.core();
            if refresh_stats {
                let s = conn.stats();
                core.set_transport_stats(TransportStats {
                    udp_rx_bytes: s.udp_rx.bytes,
                    udp_rx_datagrams: s.udp_rx.datagrams,
                    udp_tx_bytes: s.udp_tx.bytes,
                    udp_tx_datagrams: s.udp_tx.datagrams,
                    datagram_frames_rx: s.frame_rx.datagram,
                    datagram_frames_tx: s.frame_tx.datagram,
                    pings_rx: s.frame_rx.ping,
                    rtt: s.path.rtt,
                });
            }
            let datagrams: Vec<Vec<u8>> = std::iter::from_fn(|| core.poll_datagram()).collect();
            (
                core.poll_stream_transmit(),
                datagrams,
                core.is_closing(),
                core.is_closed(),
                core.poll_timeout(),
            )
        };
        refresh_stats = false;
        if let Some(bytes) = stream_bytes
            && let Err(e) = send.write_all(&bytes).await
        {
            shared
                .core()
                .handle_connection_lost(format!("control stream write failed: {e}"));
            break;
        }
        for d in datagrams {
            if let Err(e) = conn.send_datagram(bytes::Bytes::from(d)) {
                tracing::debug!("datagram not sent: {e}");
            }
        }
        if closed {
            let reason = shared.core().close_reason().unwrap_or("closed").to_string();
            conn.close(0u32.into(), reason.as_bytes());
            break;
        }
        if closing {
            let _ = send.finish();
            let _ = tokio::time::timeout(Duration::from_millis(250), conn.closed()).await;
            conn.close(0u32.into(), b"leave");
            shared.core().handle_connection_lost("left".into());
            break;
        }
        let sleep = async {
            match timeout {
                Some(t) => tokio::time::sleep_until(tokio::time::Instant::from_std(t)).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            chunk = recv.read_chunk(64 * 1024, true) => {
                let mut core = shared.core();
                match chunk {
                    Ok(Some(c)) => core.handle_stream_data(&c.bytes, Instant::now()),
                    Ok(None) => core.handle_stream_finished(),
                    Err(e) => core.handle_connection_lost(format!("control stream: {e}")),
                }
            }
            d = conn.read_datagram() => {
                let mut core = shared.core();
                match d {
                    Ok(d) => core.handle_datagram(&d, Instant::now()),
                    Err(e) => core.handle_connection_lost(format!("connection lost: {e}")),
                }
            }
            () = sleep => {
                shared.core().handle_timeout(Instant::now());
                refresh_stats = true;
            }
            () = shared.wake.notified() => {}
        }
    }
}
