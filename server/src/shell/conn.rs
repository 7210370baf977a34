//! One task per QUIC connection: the control stream (Hello, proofs, leave), input
//! datagrams in, snapshots and control messages out. It turns everything into core events
//! for the tick loop and never touches the game state itself.

use crate::core::{ClientEvent, ConnId, ControlOut, ErrorKind, ResumeToken};
use crate::metrics::DropReason;
use crate::shell::admission::{self, PreLoginGuard};
use crate::shell::ratelimit::TokenBucket;
use crate::shell::{OUTGOING_QUEUE, Outgoing, Shared, ToLoop, convert};
use bytes::Bytes;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};
use tower_meta::{Credentials, Identity, PlayerState};
use tower_protocol::pb::{self, ErrorCode, client_control, hello, server_control};
use tower_protocol::{
    ControlError, DatagramKind, FrameDecoder, InputDatagram, PROTOCOL_VERSION, SnapshotHistory,
    decode_client, encode_server, packetize,
};
use tracing::{debug, info, warn};

/// QUIC application close codes.
pub mod close_code {
    pub const NORMAL: u32 = 0;
    pub const PROTOCOL_ERROR: u32 = 1;
    pub const HANDSHAKE_TIMEOUT: u32 = 2;
    pub const SHUTDOWN: u32 = 3;
    pub const TOO_SLOW: u32 = 4;
    /// A control-stream write got no flow-control credit within `control_write_timeout_secs`.
    pub const WRITE_TIMEOUT: u32 = 5;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Waiting for the control stream and its Hello.
    Hello,
    /// Authenticating and loading the state (async, off the loop).
    Auth,
    /// Registered with the tick loop (a login the auth accepted, or a resume token the
    /// core is checking); it holds a player slot once the core sent the Welcome.
    Joined,
}

type AuthResult = Result<(Identity, PlayerState), (ErrorCode, String)>;

/// Why the session ended.
enum End {
    /// Close with an Error frame first.
    Error(ErrorCode, String),
    /// The loop asked to close (after its own messages).
    Loop,
    /// The loop dropped us: we could not keep up.
    TooSlow,
    HandshakeTimeout,
    /// A control-stream write found no flow-control credit in time: the peer does not read.
    WriteTimeout,
    /// The peer went away (closed, reset, timed out).
    Lost(String),
}

struct Session {
    id: ConnId,
    conn: quinn::Connection,
    shared: Arc<Shared>,
    send: Option<quinn::SendStream>,
    history: SnapshotHistory,
    limiter: TokenBucket,
    warned_rate: bool,
    /// Held until the core welcomes this connection: it counts against the pre-login bounds.
    prelogin: Option<PreLoginGuard>,
    /// The last Error the loop sent, for the close code when the loop then closes us.
    last_error: Option<ErrorCode>,
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
    let rate = shared.config.input_rate_limit;
    let mut session = Session {
        id,
        conn,
        shared: Arc::clone(&shared),
        send: None,
        history: SnapshotHistory::default(),
        limiter: TokenBucket::new(rate, rate, Instant::now()),
        warned_rate: false,
        prelogin: Some(prelogin),
        last_error: None,
    };
    let (tx, rx) = mpsc::channel(OUTGOING_QUEUE);
    let mut registered = false;
    let end = session.drive(tx, rx, &mut registered).await;
    session.finish(end).await;
    if registered {
        let _ = shared.to_loop.send(ToLoop::Gone { conn: id });
    }
    shared.metrics.connections.dec();
}

impl Session {
    async fn drive(
        &mut self,
        tx: mpsc::Sender<Outgoing>,
        mut rx: mpsc::Receiver<Outgoing>,
        registered: &mut bool,
    ) -> End {
        let mut tx = Some(tx);
        let mut recv: Option<quinn::RecvStream> = None;
        let mut decoder = FrameDecoder::new();
        let mut buf = vec![0u8; 4096];
        let mut phase = Phase::Hello;
        let mut auth_rx: Option<oneshot::Receiver<AuthResult>> = None;
        let deadline = tokio::time::sleep(Duration::from_secs(
            self.shared.config.handshake_timeout_secs,
        ));
        tokio::pin!(deadline);
        loop {
            let waiting_hello = phase != Phase::Joined;
            tokio::select! {
                out = rx.recv(), if *registered => match out {
                    Some(Outgoing::Close) => return End::Loop,
                    Some(msg) => if let Err(end) = self.outgoing(msg).await { return end },
                    None => return End::TooSlow,
                },
                result = recv_auth(&mut auth_rx) => {
                    auth_rx = None;
                    let Some(result) = result else { return End::Error(ErrorCode::ErrorUnspecified, "authentication task failed".into()) };
                    match result {
                        Ok((identity, state)) => {
                            let Some(tx) = tx.take() else { return End::Loop };
                            // The core takes the slot, or answers SERVER_FULL.
                            self.register(tx, registered);
                            let resume_token: ResumeToken = rand::random();
                            info!(conn = self.id, player = %identity.player_id, "joined");
                            self.event(ClientEvent::Join { conn: self.id, identity, state, resume_token });
                            phase = Phase::Joined;
                        }
                        Err((code, message)) => return End::Error(code, message),
                    }
                }
                _ = &mut deadline, if waiting_hello => return End::HandshakeTimeout,
                stream = self.conn.accept_bi(), if recv.is_none() => match stream {
                    Ok((send, r)) => {
                        self.send = Some(send);
                        recv = Some(r);
                    }
                    Err(e) => return End::Lost(e.to_string()),
                },
                read = read_some(&mut recv, &mut buf) => match read {
                    Ok(Some(n)) => {
                        self.shared.metrics.bytes_in.inc_by(n as u64);
                        decoder.push(&buf[..n]);
                        loop {
                            let frame = match decoder.next_frame() {
                                Ok(Some(f)) => f,
                                Ok(None) => break,
                                Err(e) => return End::Error(ErrorCode::MalformedMessage, format!("bad control frame: {e}")),
                            };
                            if let Err(end) = self.frame(&frame, &mut phase, &mut auth_rx, &mut tx, registered) {
                                return end;
                            }
                        }
                    }
                    Ok(None) => return End::Lost("control stream finished".into()),
                    Err(e) => return End::Lost(e),
                },
                dg = self.conn.read_datagram() => match dg {
                    Ok(bytes) => {
                        if let Err(end) = self.datagram(&bytes, phase == Phase::Joined).await {
                            return end;
                        }
                    }
                    Err(e) => return End::Lost(e.to_string()),
                },
            }
        }
    }

    /// Tells the loop where this connection's messages go. No player slot yet: the core
    /// takes one (or refuses) when the Join or Resume event arrives.
    fn register(&mut self, tx: mpsc::Sender<Outgoing>, registered: &mut bool) {
        let _ = self.shared.to_loop.send(ToLoop::Open { conn: self.id, tx });
        *registered = true;
    }

    fn event(&self, e: ClientEvent) {
        let _ = self.shared.to_loop.send(ToLoop::Event(e));
    }

    /// One control frame from the client.
    fn frame(
        &mut self,
        frame: &[u8],
        phase: &mut Phase,
        auth_rx: &mut Option<oneshot::Receiver<AuthResult>>,
        tx: &mut Option<mpsc::Sender<Outgoing>>,
        registered: &mut bool,
    ) -> Result<(), End> {
        let msg = decode_client(frame).map_err(|e| match e {
            ControlError::UnknownMessage => End::Error(
                ErrorCode::UnexpectedMessage,
                "unknown control message type".into(),
            ),
            other => End::Error(
                ErrorCode::MalformedMessage,
                format!("bad control message: {other}"),
            ),
        })?;
        match (msg, &*phase) {
            (client_control::Msg::Hello(h), Phase::Hello) => {
                self.hello(h, phase, auth_rx, tx, registered)
            }
            (client_control::Msg::FloorProof(p), Phase::Joined) => {
                self.event(ClientEvent::FloorProof {
                    conn: self.id,
                    floor: p.floor,
                    hash: p.hash,
                    generator_version: p.generator_version,
                });
                Ok(())
            }
            (client_control::Msg::Leave(_), Phase::Joined) => {
                self.event(ClientEvent::Leave { conn: self.id });
                Ok(())
            }
            (client_control::Msg::Leave(_), _) => {
                Err(End::Lost("left during the handshake".into()))
            }
            (client_control::Msg::Hello(_), _) => Err(End::Error(
                ErrorCode::UnexpectedMessage,
                "Hello was already received".into(),
            )),
            (client_control::Msg::FloorProof(_), _) => Err(End::Error(
                ErrorCode::UnexpectedMessage,
                "FloorProof before Welcome".into(),
            )),
        }
    }

    fn hello(
        &mut self,
        h: pb::Hello,
        phase: &mut Phase,
        auth_rx: &mut Option<oneshot::Receiver<AuthResult>>,
        tx: &mut Option<mpsc::Sender<Outgoing>>,
        registered: &mut bool,
    ) -> Result<(), End> {
        if h.protocol_version != PROTOCOL_VERSION {
            return Err(End::Error(
                ErrorCode::BadProtocolVersion,
                format!(
                    "protocol version {} is not supported; this server speaks version {PROTOCOL_VERSION}",
                    h.protocol_version
                ),
            ));
        }
        if !h.resume_token.is_empty() {
            let token: ResumeToken = h.resume_token.as_slice().try_into().map_err(|_| {
                End::Error(
                    ErrorCode::MalformedMessage,
                    format!(
                        "resume token has {} bytes, expected 16",
                        h.resume_token.len()
                    ),
                )
            })?;
            let Some(tx) = tx.take() else {
                return Err(End::Loop);
            };
            // The core checks the token; an unknown one is answered RESUME_EXPIRED and closed.
            self.register(tx, registered);
            self.event(ClientEvent::Resume {
                conn: self.id,
                token,
            });
            *phase = Phase::Joined;
            return Ok(());
        }
        // Known to be full: answer now rather than after a round trip to the meta-service.
        if admission::server_full(
            self.shared.players.load(Ordering::Relaxed),
            self.shared.config.max_players,
        ) {
            return Err(End::Error(ErrorCode::ServerFull, "server is full".into()));
        }
        let credentials = match h.credentials {
            Some(hello::Credentials::Dev(d)) => Credentials::Dev { name: d.name },
            Some(hello::Credentials::Ticket(t)) => Credentials::Ticket { ticket: t.ticket },
            None => {
                return Err(End::Error(
                    ErrorCode::AuthFailed,
                    "Hello carries no credentials".into(),
                ));
            }
        };
        let (done, rx) = oneshot::channel();
        let shared = Arc::clone(&self.shared);
        let conn = self.id;
        tokio::spawn(async move {
            let result = async {
                let identity = shared
                    .backends
                    .auth
                    .authenticate(&credentials)
                    .await
                    .map_err(|e| (ErrorCode::AuthFailed, e.to_string()))?;
                if shared.dev_auth {
                    debug!(conn, name = %identity.username, "dev login (insecure: any name is accepted)");
                }
                let state = shared
                    .states
                    .load(&identity.player_id)
                    .await
                    .map_err(|e| (ErrorCode::ErrorUnspecified, format!("cannot load player state: {e}")))?;
                Ok((identity, state))
            }
            .await;
            let _ = done.send(result);
        });
        *phase = Phase::Auth;
        *auth_rx = Some(rx);
        Ok(())
    }

    /// One datagram from the client.
    async fn datagram(&mut self, bytes: &[u8], joined: bool) -> Result<(), End> {
        let metrics = &self.shared.metrics;
        metrics.datagrams_in.inc();
        metrics.bytes_in.inc_by(bytes.len() as u64);
        if !joined {
            metrics.dropped(DropReason::BeforeHandshake);
            return Ok(());
        }
        if !self.limiter.allow(Instant::now()) {
            metrics.dropped(DropReason::RateLimited);
            if !self.warned_rate {
                self.warned_rate = true;
                warn!(
                    conn = self.id,
                    "input flood: dropping datagrams over the rate limit"
                );
                metrics
                    .protocol_errors
                    .with_label_values(&[ErrorCode::RateLimited.as_str_name()])
                    .inc();
                let warning = convert::error(
                    ErrorCode::RateLimited,
                    "too many input datagrams: extra ones are dropped",
                );
                self.write(warning).await?;
            }
            return Ok(());
        }
        let malformed = |what: String| {
            metrics.dropped(DropReason::Malformed);
            End::Error(ErrorCode::MalformedMessage, what)
        };
        match DatagramKind::split(bytes) {
            Ok((DatagramKind::Input, _)) => {
                let d = InputDatagram::decode(bytes)
                    .map_err(|e| malformed(format!("bad input datagram: {e}")))?;
                if let Some(ack) = d.ack {
                    self.history.ack(ack);
                }
                let inputs = convert::inputs(&d);
                if !inputs.is_empty() {
                    self.event(ClientEvent::Inputs {
                        conn: self.id,
                        inputs,
                    });
                }
                Ok(())
            }
            Ok((kind, _)) => Err(malformed(format!(
                "datagram kind {kind:?} is not sent by clients"
            ))),
            Err(e) => Err(malformed(format!("bad datagram: {e}"))),
        }
    }

    async fn outgoing(&mut self, msg: Outgoing) -> Result<(), End> {
        match msg {
            Outgoing::Control(c) => {
                match &c {
                    ControlOut::Error { kind, .. } => {
                        let code = convert::error_code(*kind);
                        // Replaced by a newer login is no fault of this connection.
                        if *kind != ErrorKind::Replaced {
                            self.last_error = Some(code);
                        }
                        self.shared
                            .metrics
                            .protocol_errors
                            .with_label_values(&[code.as_str_name()])
                            .inc();
                    }
                    // Logged in: no longer counted against the pre-login bounds.
                    ControlOut::Welcome { .. } => self.prelogin = None,
                    _ => {}
                }
                self.write(convert::control(&c)).await
            }
            Outgoing::Snapshot(s) => {
                let Some(max) = self.conn.max_datagram_size() else {
                    return Err(End::Error(
                        ErrorCode::ErrorUnspecified,
                        "QUIC datagrams are required".into(),
                    ));
                };
                let payload = match self.history.encode_and_record(
                    s.tick,
                    s.own.last_input_seq,
                    convert::entities(&s),
                ) {
                    Ok(p) => p,
                    Err(e) => {
                        warn!(conn = self.id, "snapshot encode failed: {e}");
                        return Ok(());
                    }
                };
                let datagrams = match packetize(s.tick, &payload, max) {
                    Ok(d) => d,
                    Err(e) => {
                        warn!(conn = self.id, "snapshot too large to send: {e}");
                        self.shared.metrics.dropped(DropReason::SendFailed);
                        return Ok(());
                    }
                };
                let metrics = &self.shared.metrics;
                for d in datagrams {
                    let len = d.len() as u64;
                    match self.conn.send_datagram(Bytes::from(d)) {
                        Ok(()) => {
                            metrics.datagrams_out.inc();
                            metrics.bytes_out.inc_by(len);
                        }
                        Err(_) => metrics.dropped(DropReason::SendFailed),
                    }
                }
                Ok(())
            }
            Outgoing::Close => Err(End::Loop),
        }
    }

    async fn write(&mut self, msg: server_control::Msg) -> Result<(), End> {
        let frame =
            encode_server(msg).map_err(|e| End::Lost(format!("cannot frame a message: {e}")))?;
        let Some(send) = self.send.as_mut() else {
            return Ok(());
        };
        self.shared.metrics.bytes_out.inc_by(frame.len() as u64);
        let deadline = self.shared.config.control_write_timeout();
        match tokio::time::timeout(deadline, send.write_all(&frame)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(End::Lost(e.to_string())),
            Err(_) => Err(End::WriteTimeout),
        }
    }

    /// Ends the connection: an Error frame first when there is one, then the stream is
    /// finished and the peer gets a moment to read it before the connection closes.
    async fn finish(&mut self, end: End) {
        let (code, reason) = match end {
            End::Error(code, message) => {
                debug!(conn = self.id, ?code, %message, "closing with an error");
                self.shared
                    .metrics
                    .protocol_errors
                    .with_label_values(&[code.as_str_name()])
                    .inc();
                if let Err(End::WriteTimeout) = self.write(convert::error(code, message)).await {
                    return self.finish_stuck();
                }
                (close_code::PROTOCOL_ERROR, code.as_str_name().to_owned())
            }
            End::Loop => match self.last_error {
                Some(code) => (close_code::PROTOCOL_ERROR, code.as_str_name().to_owned()),
                None => (close_code::NORMAL, "closed by the server".to_owned()),
            },
            End::TooSlow => (close_code::TOO_SLOW, "connection too slow".to_owned()),
            End::HandshakeTimeout => {
                self.shared.metrics.handshake_timeouts.inc();
                (close_code::HANDSHAKE_TIMEOUT, "no Hello in time".to_owned())
            }
            End::WriteTimeout => return self.finish_stuck(),
            End::Lost(why) => {
                debug!(conn = self.id, "connection lost: {why}");
                return;
            }
        };
        if let Some(mut send) = self.send.take() {
            let _ = send.finish();
            let _ = tokio::time::timeout(Duration::from_secs(1), send.stopped()).await;
        }
        self.conn
            .close(quinn::VarInt::from_u32(code), reason.as_bytes());
    }

    /// The peer gave no flow-control credit in time: no Error frame (the stream is stuck)
    /// and no waiting, the connection is closed at once and counted.
    fn finish_stuck(&mut self) {
        self.shared.metrics.control_write_timeouts.inc();
        debug!(conn = self.id, "control stream write timed out; closing");
        self.conn.close(
            quinn::VarInt::from_u32(close_code::WRITE_TIMEOUT),
            b"control stream write timed out",
        );
    }
}

async fn read_some(
    recv: &mut Option<quinn::RecvStream>,
    buf: &mut [u8],
) -> Result<Option<usize>, String> {
    match recv {
        Some(r) => r.read(buf).await.map_err(|e| e.to_string()),
        None => std::future::pending().await,
    }
}

async fn recv_auth(rx: &mut Option<oneshot::Receiver<AuthResult>>) -> Option<AuthResult> {
    match rx {
        Some(r) => r.await.ok(),
        None => std::future::pending().await,
    }
}
