//! One task per QUIC connection: a thin pump around [`ServerConn`]. It feeds the state
//! machine what arrives (control-stream bytes, datagrams, the auth result, the tick loop's
//! messages, the handshake deadline), writes what it returns and ends the connection as it
//! says. The protocol itself lives in [`crate::connection`].

use crate::connection::{Action, ConnLimits, Ending, Note, Outgoing, ServerConn, Transmit};
use crate::core::{ConnId, ResumeToken};
use crate::metrics::DropReason;
use crate::shell::admission::PreLoginGuard;
use crate::shell::{OUTGOING_QUEUE, Shared, ToLoop};
use bytes::Bytes;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};
use tower_meta::Credentials;
use tower_protocol::pb::ErrorCode;
use tracing::debug;

pub use crate::connection::close_code;

type AuthResult = crate::connection::AuthResult;

/// The I/O half of one connection.
struct Pump {
    id: ConnId,
    conn: quinn::Connection,
    shared: Arc<Shared>,
    send: Option<quinn::SendStream>,
    /// What the control-stream reader task read (see [`spawn_control_reader`]).
    recv: Option<mpsc::Receiver<ControlRead>>,
    /// Where the tick loop sends; handed over when the state machine registers.
    tx: Option<mpsc::Sender<Outgoing>>,
    auth_rx: Option<oneshot::Receiver<AuthResult>>,
    /// Held until the core welcomes this connection: it counts against the pre-login bounds.
    prelogin: Option<PreLoginGuard>,
}

pub(crate) async fn run(incoming: quinn::Incoming, shared: Arc<Shared>, prelogin: PreLoginGuard) {
    let id = shared.next_conn.fetch_add(1, Ordering::Relaxed);
    let conn = match incoming.await {
        Ok(c) => c,
        Err(e) => {
            debug!(conn = id, "QUIC handshake failed: {e}");
            return;
        }
    };
    shared.metrics.connections.inc();
    let mut machine = ServerConn::new(id, ConnLimits::from_config(&shared.config), Instant::now());
    let (tx, rx) = mpsc::channel(OUTGOING_QUEUE);
    let mut pump = Pump {
        id,
        conn,
        shared: Arc::clone(&shared),
        send: None,
        recv: None,
        tx: Some(tx),
        auth_rx: None,
        prelogin: Some(prelogin),
    };
    pump.drive(&mut machine, rx).await;
    if machine.is_registered() {
        let _ = shared.to_loop.send(ToLoop::Gone { conn: id });
    }
    shared.metrics.connections.dec();
}

impl Pump {
    async fn drive(&mut self, m: &mut ServerConn, mut rx: mpsc::Receiver<Outgoing>) {
        loop {
            self.flush(m).await;
            if let Some(ending) = m.poll_close() {
                let ending = ending.clone();
                self.finish(ending).await;
                return;
            }
            let deadline = m.poll_timeout();
            tokio::select! {
                out = rx.recv(), if m.is_registered() => match out {
                    Some(msg) => m.handle_outgoing(msg, self.conn.max_datagram_size()),
                    None => m.handle_loop_dropped(),
                },
                result = recv_auth(&mut self.auth_rx) => {
                    self.auth_rx = None;
                    let token: ResumeToken = rand::random();
                    m.handle_auth_result(result, token);
                }
                _ = sleep_until(deadline) => m.handle_timeout(Instant::now()),
                stream = self.conn.accept_bi(), if self.recv.is_none() => match stream {
                    Ok((send, recv)) => {
                        self.send = Some(send);
                        self.recv = Some(spawn_control_reader(recv));
                    }
                    Err(e) => m.handle_lost(e.to_string()),
                },
                read = read_control(&mut self.recv) => match read {
                    Ok(Some(bytes)) => {
                        self.shared.metrics.bytes_in.inc_by(bytes.len() as u64);
                        m.handle_stream_data(&bytes, self.shared.players.load(Ordering::Relaxed));
                    }
                    Ok(None) => m.handle_stream_finished(),
                    Err(e) => m.handle_lost(e),
                },
                dg = self.conn.read_datagram() => match dg {
                    Ok(bytes) => {
                        self.shared.metrics.datagrams_in.inc();
                        self.shared.metrics.bytes_in.inc_by(bytes.len() as u64);
                        m.handle_datagram(&bytes, Instant::now());
                    }
                    Err(e) => m.handle_lost(e.to_string()),
                },
            }
        }
    }

    /// Carries out the actions and sends what the state machine queued. A control-stream
    /// write is bounded by `control_write_timeout`.
    async fn flush(&mut self, m: &mut ServerConn) {
        while let Some(action) = m.poll_action() {
            self.act(action);
        }
        let metrics = Arc::clone(&self.shared.metrics);
        while let Some(t) = m.poll_transmit() {
            match t {
                Transmit::Stream(frame) => {
                    let Some(send) = self.send.as_mut() else {
                        continue;
                    };
                    metrics.bytes_out.inc_by(frame.len() as u64);
                    let deadline = self.shared.config.control_write_timeout();
                    match tokio::time::timeout(deadline, send.write_all(&frame)).await {
                        Ok(Ok(())) => {}
                        Ok(Err(e)) => m.handle_lost(e.to_string()),
                        Err(_) => m.handle_write_stalled(),
                    }
                }
                Transmit::Datagram(d) => {
                    let len = d.len() as u64;
                    match self.conn.send_datagram(Bytes::from(d)) {
                        Ok(()) => {
                            metrics.datagrams_out.inc();
                            metrics.bytes_out.inc_by(len);
                        }
                        Err(_) => metrics.dropped(DropReason::SendFailed),
                    }
                }
            }
        }
        // Writing may have ended the connection (and counted it).
        while let Some(action) = m.poll_action() {
            self.act(action);
        }
    }

    fn act(&mut self, action: Action) {
        let shared = &self.shared;
        match action {
            Action::Register => {
                if let Some(tx) = self.tx.take() {
                    let _ = shared.to_loop.send(ToLoop::Open { conn: self.id, tx });
                }
            }
            Action::Core(e) => {
                let _ = shared.to_loop.send(ToLoop::Event(e));
            }
            Action::Authenticate(credentials) => {
                self.auth_rx = Some(if shared.draining.load(Ordering::Relaxed) {
                    refuse_draining()
                } else {
                    authenticate(Arc::clone(shared), credentials)
                });
            }
            Action::LoggedIn => self.prelogin = None,
            Action::Count(note) => match note {
                Note::Dropped(reason) => shared.metrics.dropped(reason),
                Note::ProtocolError(code) => shared
                    .metrics
                    .protocol_errors
                    .with_label_values(&[code.as_str_name()])
                    .inc(),
                Note::HandshakeTimeout => shared.metrics.handshake_timeouts.inc(),
                Note::ControlWriteTimeout => shared.metrics.control_write_timeouts.inc(),
            },
        }
    }

    /// Ends the connection as the state machine decided: finish the stream, give the peer a
    /// moment to read it when lingering, then close.
    async fn finish(&mut self, ending: Ending) {
        let Ending::Close {
            code,
            reason,
            linger,
        } = ending
        else {
            return;
        };
        // Without linger the stream is stuck (no credit): close at once.
        if let Some(mut send) = self.send.take().filter(|_| linger) {
            let _ = send.finish();
            let _ = tokio::time::timeout(Duration::from_secs(1), send.stopped()).await;
        }
        self.conn
            .close(quinn::VarInt::from_u32(code), reason.as_bytes());
    }
}

/// A draining server answers a fresh login at once with the retryable `DRAINING`: the
/// client queues for another server (crate::shell::drain).
fn refuse_draining() -> oneshot::Receiver<AuthResult> {
    let (done, rx) = oneshot::channel();
    let _ = done.send(Err((
        ErrorCode::Draining,
        "server is draining; queue for another".into(),
    )));
    rx
}

/// Authenticates and loads the player's state on the runtime, off the connection's pump.
fn authenticate(shared: Arc<Shared>, credentials: Credentials) -> oneshot::Receiver<AuthResult> {
    let (done, rx) = oneshot::channel();
    tokio::spawn(async move {
        let result = async {
            let identity = shared
                .backends
                .auth
                .authenticate(&credentials)
                .await
                .map_err(|e| (ErrorCode::AuthFailed, e.to_string()))?;
            if shared.dev_auth {
                debug!(name = %identity.username, "dev login (insecure: any name is accepted)");
            }
            let mut state = shared.states.load(&identity.player_id).await.map_err(|e| {
                (
                    ErrorCode::ErrorUnspecified,
                    format!("cannot load player state: {e}"),
                )
            })?;
            if shared.dev_auth
                && let Some(floors) = bench_spread_floors()
            {
                spread_new_player(&mut state, &identity.player_id, floors);
            }
            Ok((identity, state))
        }
        .await;
        let _ = done.send(result);
    });
    rx
}

/// Load benchmarks only (dev auth only): `TOWER_BENCH_SPREAD_FLOORS=N` starts every new
/// player on one of floors 0..N, so a bench can measure players spread over floors without
/// waiting for them to climb.
fn bench_spread_floors() -> Option<u32> {
    std::env::var("TOWER_BENCH_SPREAD_FLOORS")
        .ok()?
        .parse::<u32>()
        .ok()
        .filter(|n| *n > 1)
}

/// Puts a player who never played (floor 0, nothing reached) on floor `hash(id) % floors`.
fn spread_new_player(state: &mut tower_meta::PlayerState, player_id: &str, floors: u32) {
    if state.current_floor != 0 || state.highest_floor != 0 {
        return;
    }
    // FNV-1a: stable across runs, so a bench's placement is reproducible.
    let hash = player_id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    let floor = u32::try_from(hash % u64::from(floors)).unwrap_or(0);
    state.current_floor = floor;
    state.highest_floor = floor;
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(t) => tokio::time::sleep_until(t.into()).await,
        None => std::future::pending().await,
    }
}

/// One read of the control stream: bytes, its end (`None`) or why it failed.
type ControlRead = Result<Option<Bytes>, String>;

/// Reads the control stream in a task of its own and hands the pump what it read. Polling
/// the stream from the pump's `select!` would lock the connection's state on every wake,
/// and the pump wakes ~30 times a second for snapshots and input datagrams while control
/// messages come a few times a minute. The bounded channel keeps QUIC flow control in
/// charge: the task stops reading while the pump is behind. It ends after handing over the
/// stream's end or error; once the pump is gone, at the latest when the connection closes
/// (the pump always closes it as it ends).
fn spawn_control_reader(mut recv: quinn::RecvStream) -> mpsc::Receiver<ControlRead> {
    let (tx, rx) = mpsc::channel(4);
    tokio::spawn(async move {
        loop {
            let read = match recv.read_chunk(CONTROL_READ_CHUNK, true).await {
                Ok(chunk) => Ok(chunk.map(|c| c.bytes)),
                Err(e) => Err(e.to_string()),
            };
            let last = !matches!(read, Ok(Some(_)));
            if tx.send(read).await.is_err() || last {
                return;
            }
        }
    });
    rx
}

/// The most the control-stream reader takes at once (frames are far smaller).
const CONTROL_READ_CHUNK: usize = 4096;

async fn read_control(recv: &mut Option<mpsc::Receiver<ControlRead>>) -> ControlRead {
    match recv {
        Some(r) => match r.recv().await {
            Some(read) => read,
            // the reader ended after handing over the stream's end or error
            None => std::future::pending().await,
        },
        None => std::future::pending().await,
    }
}

async fn recv_auth(rx: &mut Option<oneshot::Receiver<AuthResult>>) -> Option<AuthResult> {
    match rx {
        Some(r) => r.await.ok(),
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bench_spread_places_only_new_players_and_covers_the_floors() {
        let mut seen = std::collections::BTreeSet::new();
        for i in 0..200 {
            let mut state = tower_meta::PlayerState::default();
            spread_new_player(&mut state, &format!("dev:bot{i}"), 10);
            assert_eq!(state.current_floor, state.highest_floor);
            seen.insert(state.current_floor);
        }
        assert_eq!(seen.len(), 10);
        let mut veteran = tower_meta::PlayerState {
            highest_floor: 3,
            current_floor: 2,
            ..Default::default()
        };
        spread_new_player(&mut veteran, "dev:old", 10);
        assert_eq!((veteran.current_floor, veteran.highest_floor), (2, 3));
    }
}
