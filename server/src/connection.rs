//! One client connection's protocol as a sans-IO state machine (like quinn-proto's
//! `Connection`): control-stream bytes, datagrams, the authentication result, the tick
//! loop's messages and the time go in; frames and datagrams to send, actions for the shell
//! and finally how to close come out. It holds no socket, reads no clock and draws no
//! randomness, so tests step it next to a [`crate::GameCore`] in virtual time.
//!
//! The shell (`shell::conn`) is the pump: it feeds what arrives, writes what
//! [`ServerConn::poll_transmit`] returns, carries out [`ServerConn::poll_action`] and ends
//! the connection as [`ServerConn::poll_close`] says.

use crate::core::{ClientEvent, ConnId, ControlOut, ErrorKind, ResumeToken, Snapshot};
use crate::metrics::DropReason;
use crate::shell::admission;
use crate::shell::convert;
use crate::shell::ratelimit::TokenBucket;
use std::collections::VecDeque;
use std::time::{Duration, Instant};
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
    /// Retired (a connection that could not keep up with the tick loop's queue); the
    /// value stays reserved.
    pub const TOO_SLOW: u32 = 4;
    /// A control-stream write got no flow-control credit within `control_write_timeout_secs`.
    pub const WRITE_TIMEOUT: u32 = 5;
}

/// Tick loop -> one connection.
#[derive(Debug)]
pub enum Outgoing {
    Control(ControlOut),
    Snapshot(Snapshot),
    /// Close after the messages before it.
    Close,
}

/// What authenticating and loading a player's state gave (done by the shell, off the loop).
pub type AuthResult = Result<(Identity, PlayerState), (ErrorCode, String)>;

/// The settings one connection needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnLimits {
    /// From the connection's start until it is registered with the tick loop.
    pub handshake_timeout: Duration,
    /// Input datagrams per second (sustained and burst).
    pub input_rate: u32,
    /// Player slots; a fresh login is turned away before authentication when all are taken.
    pub max_players: usize,
}

impl ConnLimits {
    pub fn from_config(config: &crate::Config) -> ConnLimits {
        ConnLimits {
            handshake_timeout: Duration::from_secs(config.handshake_timeout_secs),
            input_rate: config.input_rate_limit,
            max_players: config.max_players,
        }
    }
}

/// Something the shell must do for the connection.
#[derive(Debug, PartialEq)]
pub enum Action {
    /// Forward to the tick loop.
    Core(ClientEvent),
    /// Authenticate these credentials and load the player's state, then call
    /// [`ServerConn::handle_auth_result`].
    Authenticate(Credentials),
    /// The core welcomed the connection: it no longer counts as pre-login.
    LoggedIn,
    /// Count in the metrics.
    Count(Note),
}

/// A countable happening (the shell maps it to a metric).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Note {
    Dropped(DropReason),
    ProtocolError(ErrorCode),
    HandshakeTimeout,
    ControlWriteTimeout,
}

/// Bytes to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Transmit {
    /// Append to the control stream (a whole frame).
    Stream(Vec<u8>),
    /// One QUIC datagram.
    Datagram(Vec<u8>),
}

/// How the connection ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    /// Finish the control stream; with `linger`, give the peer a moment to read it; then
    /// close the connection with `code`.
    Close {
        code: u32,
        reason: String,
        linger: bool,
    },
    /// The peer is gone: nothing more to send.
    Lost(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Waiting for the Hello.
    Hello,
    /// Authenticating and loading the state (the shell does it).
    Auth,
    /// Registered with the tick loop (a login the auth accepted, or a resume token the
    /// core is checking); it holds a player slot once the core sent the Welcome.
    Joined,
}

/// Why the session ends.
#[derive(Debug)]
enum End {
    /// Close with an Error frame first.
    Error(ErrorCode, String),
    /// The loop asked to close (after its own messages).
    Loop,
    HandshakeTimeout,
    /// A control-stream write found no flow-control credit in time.
    WriteTimeout,
    Lost(String),
}

/// The sans-IO server side of one connection.
#[derive(Debug)]
pub struct ServerConn {
    id: ConnId,
    limits: ConnLimits,
    phase: Phase,
    decoder: FrameDecoder,
    history: SnapshotHistory,
    limiter: TokenBucket,
    warned_rate: bool,
    handshake_deadline: Instant,
    /// Fresh randomness from the shell: the token a resume of this connection is given in
    /// place of the one it presented (tokens rotate on every Welcome).
    next_token: ResumeToken,
    registered: bool,
    /// The last Error the loop sent, for the close code when the loop then closes us.
    last_error: Option<ErrorCode>,
    /// The player sent `Leave` (logged as `left`; the connection's end is then no news).
    left: bool,
    transmits: VecDeque<Transmit>,
    actions: VecDeque<Action>,
    ending: Option<Ending>,
}

impl ServerConn {
    /// A connection the endpoint accepted at `now`; `next_token` is fresh randomness (the
    /// resume token it gets if it resumes a session).
    pub fn new(
        id: ConnId,
        limits: ConnLimits,
        now: Instant,
        next_token: ResumeToken,
    ) -> ServerConn {
        ServerConn {
            id,
            limits,
            phase: Phase::Hello,
            decoder: FrameDecoder::new(),
            history: SnapshotHistory::default(),
            limiter: TokenBucket::new(limits.input_rate, limits.input_rate, now),
            warned_rate: false,
            handshake_deadline: now + limits.handshake_timeout,
            next_token,
            registered: false,
            last_error: None,
            left: false,
            transmits: VecDeque::new(),
            actions: VecDeque::new(),
            ending: None,
        }
    }

    pub fn id(&self) -> ConnId {
        self.id
    }

    /// Whether the tick loop knows this connection (it must then be told when it is gone).
    pub fn is_registered(&self) -> bool {
        self.registered
    }

    /// Whether the connection has ended (see [`ServerConn::poll_close`]).
    pub fn is_ended(&self) -> bool {
        self.ending.is_some()
    }

    // ---- inputs ----------------------------------------------------------------------

    /// Bytes read from the control stream. `slots_in_use` is the core's player slots as
    /// of the last tick (a fresh login is answered SERVER_FULL at once when all are taken).
    pub fn handle_stream_data(&mut self, bytes: &[u8], slots_in_use: u32) {
        if self.is_ended() {
            return;
        }
        self.decoder.push(bytes);
        loop {
            let frame = match self.decoder.next_frame() {
                Ok(Some(f)) => f,
                Ok(None) => return,
                Err(e) => {
                    return self.end(End::Error(
                        ErrorCode::MalformedMessage,
                        format!("bad control frame: {e}"),
                    ));
                }
            };
            if let Err(end) = self.handle_frame(&frame, slots_in_use) {
                return self.end(end);
            }
        }
    }

    /// The peer finished the control stream.
    pub fn handle_stream_finished(&mut self) {
        self.end(End::Lost("control stream finished".into()));
    }

    /// The connection is gone (closed, reset, timed out).
    pub fn handle_lost(&mut self, why: String) {
        self.end(End::Lost(why));
    }

    /// A control-stream write found no flow-control credit in time: the peer does not
    /// read. Overrides any other ending (nothing more can be written).
    pub fn handle_write_stalled(&mut self) {
        self.transmits
            .retain(|t| matches!(t, Transmit::Datagram(_)));
        if matches!(self.ending, Some(Ending::Lost(_))) {
            return;
        }
        self.ending = None;
        self.end(End::WriteTimeout);
    }

    /// What the shell's authentication gave; `resume_token` is fresh randomness.
    pub fn handle_auth_result(&mut self, result: Option<AuthResult>, resume_token: ResumeToken) {
        if self.is_ended() || self.phase != Phase::Auth {
            return;
        }
        match result {
            None => self.end(End::Error(
                ErrorCode::ErrorUnspecified,
                "authentication task failed".into(),
            )),
            Some(Ok((identity, state))) => {
                // The core takes the slot, or answers SERVER_FULL.
                self.register();
                info!(conn = self.id, player = %identity.player_id, "joined");
                self.actions.push_back(Action::Core(ClientEvent::Join {
                    conn: self.id,
                    identity,
                    state,
                    resume_token,
                }));
                self.phase = Phase::Joined;
            }
            Some(Err((code, message))) => self.end(End::Error(code, message)),
        }
    }

    /// The handshake deadline, when it matters.
    pub fn poll_timeout(&self) -> Option<Instant> {
        (self.phase != Phase::Joined && !self.is_ended()).then_some(self.handshake_deadline)
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        if self.poll_timeout().is_some_and(|t| t <= now) {
            self.end(End::HandshakeTimeout);
        }
    }

    /// One datagram from the client.
    pub fn handle_datagram(&mut self, bytes: &[u8], now: Instant) {
        if self.is_ended() {
            return;
        }
        if let Err(end) = self.datagram(bytes, now) {
            self.end(end);
        }
    }

    /// A message from the tick loop. `max_datagram` is the largest datagram the QUIC
    /// connection carries now (`None`: the peer does not support datagrams).
    pub fn handle_outgoing(&mut self, msg: Outgoing, max_datagram: Option<usize>) {
        if self.is_ended() {
            return;
        }
        match msg {
            Outgoing::Control(c) => {
                match &c {
                    ControlOut::Error { kind, .. } => {
                        let code = convert::error_code(*kind);
                        // Replaced by a newer login is no fault of this connection.
                        if *kind != ErrorKind::Replaced {
                            self.last_error = Some(code);
                        }
                        self.count(Note::ProtocolError(code));
                    }
                    ControlOut::Welcome { .. } => self.actions.push_back(Action::LoggedIn),
                    _ => {}
                }
                self.write(convert::control(&c));
            }
            Outgoing::Snapshot(s) => {
                let Some(max) = max_datagram else {
                    return self.end(End::Error(
                        ErrorCode::ErrorUnspecified,
                        "QUIC datagrams are required".into(),
                    ));
                };
                self.snapshot(&s, max);
            }
            Outgoing::Close => self.end(End::Loop),
        }
    }

    // ---- outputs ---------------------------------------------------------------------

    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// How to end, once everything queued before it was sent.
    pub fn poll_close(&self) -> Option<&Ending> {
        self.ending.as_ref().filter(|_| self.transmits.is_empty())
    }

    // ---- internals -------------------------------------------------------------------

    fn register(&mut self) {
        self.registered = true;
    }

    fn count(&mut self, note: Note) {
        self.actions.push_back(Action::Count(note));
    }

    fn event(&mut self, e: ClientEvent) {
        self.actions.push_back(Action::Core(e));
    }

    fn write(&mut self, msg: server_control::Msg) {
        match encode_server(msg) {
            Ok(frame) => self.transmits.push_back(Transmit::Stream(frame)),
            Err(e) => self.end(End::Lost(format!("cannot frame a message: {e}"))),
        }
    }

    fn end(&mut self, end: End) {
        if self.ending.is_some() {
            return;
        }
        let ending = match end {
            End::Error(code, message) => {
                debug!(conn = self.id, ?code, %message, "closing with an error");
                self.count(Note::ProtocolError(code));
                self.write(convert::error(code, message));
                close(close_code::PROTOCOL_ERROR, code.as_str_name(), true)
            }
            End::Loop => match self.last_error {
                Some(code) => close(close_code::PROTOCOL_ERROR, code.as_str_name(), true),
                None => close(close_code::NORMAL, "closed by the server", true),
            },
            End::HandshakeTimeout => {
                self.count(Note::HandshakeTimeout);
                close(close_code::HANDSHAKE_TIMEOUT, "no Hello in time", true)
            }
            End::WriteTimeout => {
                self.count(Note::ControlWriteTimeout);
                debug!(conn = self.id, "control stream write timed out; closing");
                close(
                    close_code::WRITE_TIMEOUT,
                    "control stream write timed out",
                    false,
                )
            }
            End::Lost(why) if self.phase == Phase::Joined && !self.left => {
                // A player's connection (held for a resume when it had joined the game).
                info!(conn = self.id, "connection lost: {why}");
                Ending::Lost(why)
            }
            End::Lost(why) => {
                debug!(conn = self.id, "connection lost: {why}");
                Ending::Lost(why)
            }
        };
        self.ending = Some(ending);
    }

    /// One control frame from the client.
    fn handle_frame(&mut self, frame: &[u8], slots_in_use: u32) -> Result<(), End> {
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
        match (msg, self.phase) {
            (client_control::Msg::Hello(h), Phase::Hello) => self.hello(h, slots_in_use),
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
                info!(conn = self.id, "left");
                self.left = true;
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

    fn hello(&mut self, h: pb::Hello, slots_in_use: u32) -> Result<(), End> {
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
            // The core checks the token; an unknown one is answered RESUME_EXPIRED and closed.
            self.register();
            self.event(ClientEvent::Resume {
                conn: self.id,
                token,
                fresh: self.next_token,
            });
            self.phase = Phase::Joined;
            return Ok(());
        }
        // Known to be full: answer now rather than after a round trip to the meta-service.
        if admission::server_full(slots_in_use, self.limits.max_players) {
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
        self.actions.push_back(Action::Authenticate(credentials));
        self.phase = Phase::Auth;
        Ok(())
    }

    fn datagram(&mut self, bytes: &[u8], now: Instant) -> Result<(), End> {
        if self.phase != Phase::Joined {
            self.count(Note::Dropped(DropReason::BeforeHandshake));
            return Ok(());
        }
        if !self.limiter.allow(now) {
            self.count(Note::Dropped(DropReason::RateLimited));
            if !self.warned_rate {
                self.warned_rate = true;
                warn!(
                    conn = self.id,
                    "input flood: dropping datagrams over the rate limit"
                );
                self.count(Note::ProtocolError(ErrorCode::RateLimited));
                self.write(convert::error(
                    ErrorCode::RateLimited,
                    "too many input datagrams: extra ones are dropped",
                ));
            }
            return Ok(());
        }
        let malformed = |what: String| End::Error(ErrorCode::MalformedMessage, what);
        let result = match DatagramKind::split(bytes) {
            Ok((DatagramKind::Input, _)) => InputDatagram::decode(bytes)
                .map_err(|e| malformed(format!("bad input datagram: {e}"))),
            Ok((kind, _)) => Err(malformed(format!(
                "datagram kind {kind:?} is not sent by clients"
            ))),
            Err(e) => Err(malformed(format!("bad datagram: {e}"))),
        };
        let d = match result {
            Ok(d) => d,
            Err(end) => {
                self.count(Note::Dropped(DropReason::Malformed));
                return Err(end);
            }
        };
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

    fn snapshot(&mut self, s: &Snapshot, max_datagram: usize) {
        let payload =
            match self
                .history
                .encode_and_record(s.tick, s.own.last_input_seq, convert::entities(s))
            {
                Ok(p) => p,
                Err(e) => {
                    warn!(conn = self.id, "snapshot encode failed: {e}");
                    return;
                }
            };
        match packetize(s.tick, &payload, max_datagram) {
            Ok(datagrams) => self
                .transmits
                .extend(datagrams.into_iter().map(Transmit::Datagram)),
            Err(e) => {
                warn!(conn = self.id, "snapshot too large to send: {e}");
                self.count(Note::Dropped(DropReason::SendFailed));
            }
        }
    }
}

fn close(code: u32, reason: &str, linger: bool) -> Ending {
    Ending::Close {
        code,
        reason: reason.to_owned(),
        linger,
    }
}
