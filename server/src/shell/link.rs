//! One connection inside the transport task: quinn-proto's `Connection` next to our
//! [`ServerConn`], and the glue between them. QUIC events become the state machine's
//! inputs (control-stream bytes, datagrams, loss), and what the machine queues becomes
//! stream writes, datagrams and finally the close. No socket, no task, no lock: the
//! transport (`super::transport`) owns every link and drives them in one loop.

use crate::connection::{Action, Ending, Note, ServerConn, Transmit, close_code};
use crate::core::ConnId;
use crate::shell::admission::PreLoginGuard;
use crate::shell::{Shared, ToLoop, auth};
use bytes::Bytes;
use quinn_proto::{Connection, Dir, Event, ReadError, StreamEvent, StreamId, VarInt, WriteError};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tracing::debug;

/// The most read from the control stream at once (frames are far smaller).
const CONTROL_READ_CHUNK: usize = 4096;

/// How long a lingering close waits for the peer to acknowledge the control stream's end.
const LINGER: Duration = Duration::from_secs(1);

/// Where the connection is in its ending.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Closing {
    Open,
    /// The control stream is finished; close with `code` once the peer has it (or at
    /// `until`).
    Lingering {
        code: u32,
        reason: String,
        until: Instant,
    },
    /// Closed (or lost): quinn-proto drains it and then the transport drops the link.
    Closed,
}

/// What a link needs from the transport while it is driven.
pub(super) struct Ctx<'a> {
    pub shared: &'a std::sync::Arc<Shared>,
    pub logins: &'a mpsc::UnboundedSender<auth::Done>,
    pub now: Instant,
}

pub(super) struct Link {
    pub id: ConnId,
    pub conn: Connection,
    pub machine: ServerConn,
    control: Option<StreamId>,
    /// Control-stream bytes quinn-proto has not taken yet (no flow-control credit).
    unsent: Vec<u8>,
    /// When `unsent` is still stuck, the write has stalled.
    write_deadline: Option<Instant>,
    closing: Closing,
    /// `control_write_timeout`.
    stall_after: Duration,
    /// Counted in the `connections` gauge (from the QUIC handshake until drained).
    counted: bool,
    /// The tick loop was told the connection is gone.
    told_gone: bool,
    /// Held until the core welcomes this connection: it counts against the pre-login bounds.
    prelogin: Option<PreLoginGuard>,
    /// The deadline the transport's timer set holds for this link.
    pub armed: Option<Instant>,
    /// Queued to be driven by the transport.
    pub dirty: bool,
}

impl Link {
    pub fn new(
        id: ConnId,
        conn: Connection,
        machine: ServerConn,
        prelogin: PreLoginGuard,
        stall_after: Duration,
    ) -> Link {
        Link {
            id,
            conn,
            machine,
            control: None,
            unsent: Vec::new(),
            write_deadline: None,
            closing: Closing::Open,
            stall_after,
            counted: false,
            told_gone: false,
            prelogin: Some(prelogin),
            armed: None,
            dirty: false,
        }
    }

    /// The earliest time this link must be woken.
    pub fn deadline(&mut self) -> Option<Instant> {
        let linger = match self.closing {
            Closing::Lingering { until, .. } => Some(until),
            _ => None,
        };
        [
            self.conn.poll_timeout(),
            self.machine.poll_timeout(),
            self.write_deadline,
            linger,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Whatever of QUIC's and our own deadlines has passed.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.conn.poll_timeout().is_some_and(|t| t <= now) {
            self.conn.handle_timeout(now);
        }
        self.machine.handle_timeout(now);
        if self.write_deadline.is_some_and(|t| t <= now) {
            self.write_deadline = None;
            self.unsent.clear();
            self.machine.handle_write_stalled();
        }
        if let Closing::Lingering { until, .. } = self.closing
            && until <= now
        {
            self.close_now(now);
        }
    }

    /// Takes every event quinn-proto has for the application.
    pub fn handle_events(&mut self, cx: &Ctx) {
        while let Some(event) = self.conn.poll() {
            match event {
                Event::Connected => {
                    self.counted = true;
                    cx.shared.metrics.connections.inc();
                }
                Event::ConnectionLost { reason } => {
                    if !self.counted {
                        debug!(conn = self.id, "QUIC handshake failed: {reason}");
                    }
                    self.machine.handle_lost(reason.to_string());
                }
                Event::Stream(StreamEvent::Opened { dir: Dir::Bi }) if self.control.is_none() => {
                    self.control = self.conn.streams().accept(Dir::Bi);
                    self.read_control(cx);
                }
                Event::Stream(StreamEvent::Readable { id }) if Some(id) == self.control => {
                    self.read_control(cx);
                }
                Event::Stream(StreamEvent::Finished { id }) if Some(id) == self.control => {
                    self.close_now(cx.now);
                }
                Event::Stream(StreamEvent::Stopped { id, error_code })
                    if Some(id) == self.control =>
                {
                    if matches!(self.closing, Closing::Lingering { .. }) {
                        self.close_now(cx.now);
                    } else {
                        self.machine.handle_lost(format!(
                            "control stream stopped by the peer ({error_code})"
                        ));
                    }
                }
                Event::DatagramReceived => {
                    while let Some(d) = self.conn.datagrams().recv() {
                        cx.shared.metrics.datagrams_in.inc();
                        cx.shared.metrics.bytes_in.inc_by(d.len() as u64);
                        self.machine.handle_datagram(&d, cx.now);
                    }
                }
                // Writable: `flush` writes what is pending on every drive anyway.
                _ => {}
            }
        }
    }

    /// Feeds the state machine what the control stream holds.
    fn read_control(&mut self, cx: &Ctx) {
        let Some(id) = self.control else { return };
        let mut stream = self.conn.recv_stream(id);
        let Ok(mut chunks) = stream.read(true) else {
            return;
        };
        let slots = cx.shared.players.load(Ordering::Relaxed);
        loop {
            match chunks.next(CONTROL_READ_CHUNK) {
                Ok(Some(chunk)) => {
                    cx.shared.metrics.bytes_in.inc_by(chunk.bytes.len() as u64);
                    self.machine.handle_stream_data(&chunk.bytes, slots);
                }
                Ok(None) => {
                    self.machine.handle_stream_finished();
                    break;
                }
                Err(ReadError::Blocked) => break,
                Err(ReadError::Reset(code)) => {
                    self.machine
                        .handle_lost(format!("control stream reset by the peer ({code})"));
                    break;
                }
            }
        }
        // Credit for the peer goes out with the transmits that follow.
        let _ = chunks.finalize();
    }

    /// Hands what the state machine queued to quinn-proto and carries out its actions; then
    /// ends the connection if the machine says so.
    pub fn flush(&mut self, cx: &Ctx) {
        self.act(cx);
        let metrics = &cx.shared.metrics;
        while let Some(t) = self.machine.poll_transmit() {
            match t {
                Transmit::Stream(frame) => {
                    if self.control.is_some() && self.closing == Closing::Open {
                        metrics.bytes_out.inc_by(frame.len() as u64);
                        self.unsent.extend_from_slice(&frame);
                    }
                }
                Transmit::Datagram(d) => {
                    let len = d.len() as u64;
                    match self.conn.datagrams().send(Bytes::from(d), true) {
                        Ok(()) => {
                            metrics.datagrams_out.inc();
                            metrics.bytes_out.inc_by(len);
                        }
                        Err(_) => metrics.dropped(crate::metrics::DropReason::SendFailed),
                    }
                }
            }
        }
        self.write_control(cx.now);
        // Writing may have ended the connection (and counted it).
        self.act(cx);
        self.end_if_due(cx);
    }

    /// Writes what flow control allows. The write stalls once no credit came for
    /// `control_write_timeout` (see [`Link::handle_timeout`]).
    fn write_control(&mut self, now: Instant) {
        let Some(id) = self.control.filter(|_| !self.unsent.is_empty()) else {
            self.write_deadline = None;
            return;
        };
        match self.conn.send_stream(id).write(&self.unsent) {
            Ok(n) => {
                self.unsent.drain(..n);
                if n > 0 {
                    self.write_deadline = None;
                }
            }
            Err(WriteError::Blocked) => {}
            Err(WriteError::Stopped(code)) => {
                self.unsent.clear();
                self.machine
                    .handle_lost(format!("control stream stopped by the peer ({code})"));
            }
            Err(WriteError::ClosedStream) => {
                self.unsent.clear();
                self.machine.handle_lost("control stream closed".into());
            }
        }
        if !self.unsent.is_empty() && self.write_deadline.is_none() {
            self.write_deadline = Some(now + self.stall_after);
        }
    }

    fn act(&mut self, cx: &Ctx) {
        let shared = cx.shared;
        while let Some(action) = self.machine.poll_action() {
            match action {
                Action::Core(e) => {
                    let _ = shared.to_loop.send(ToLoop::Event(e));
                }
                Action::Authenticate(credentials) => {
                    auth::start(shared, self.id, credentials, cx.logins);
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
    }

    /// Ends the connection as the state machine decided, once its last frames are with
    /// quinn-proto: finish the control stream and linger for the peer to read it, or close
    /// at once.
    fn end_if_due(&mut self, cx: &Ctx) {
        if self.closing != Closing::Open {
            return;
        }
        let Some(ending) = self.machine.poll_close() else {
            return;
        };
        match ending.clone() {
            Ending::Close {
                code,
                reason,
                linger,
            } => {
                let control = self.control.filter(|_| linger);
                if control.is_some() && !self.unsent.is_empty() {
                    return; // the write finishes first, or stalls
                }
                self.gone(cx.shared);
                match control.map(|id| self.conn.send_stream(id).finish()) {
                    Some(Ok(())) => {
                        self.closing = Closing::Lingering {
                            code,
                            reason,
                            until: cx.now + LINGER,
                        };
                    }
                    _ => self.close_with(cx.now, code, reason),
                }
            }
            Ending::Lost(_) => {
                self.gone(cx.shared);
                self.close_with(cx.now, close_code::NORMAL, String::new());
            }
        }
    }

    /// Closes after lingering.
    fn close_now(&mut self, now: Instant) {
        if let Closing::Lingering { code, reason, .. } = &mut self.closing {
            let (code, reason) = (*code, std::mem::take(reason));
            self.close_with(now, code, reason);
        }
    }

    fn close_with(&mut self, now: Instant, code: u32, reason: String) {
        self.closing = Closing::Closed;
        if !self.conn.is_closed() {
            self.conn.close(
                now,
                VarInt::from_u32(code),
                Bytes::from(reason.into_bytes()),
            );
        }
    }

    /// Closes at once with `SHUTDOWN` (the server is stopping).
    pub fn shut_down(&mut self, cx: &Ctx) {
        self.gone(cx.shared);
        self.close_with(cx.now, close_code::SHUTDOWN, "server shutting down".into());
    }

    /// Whether the connection has not begun to end.
    pub fn is_open(&self) -> bool {
        self.closing == Closing::Open
    }

    /// The connection is over for the game: the tick loop and the pre-login bounds forget
    /// it (QUIC may still be delivering the last frames).
    fn gone(&mut self, shared: &Shared) {
        if self.machine.is_registered() && !self.told_gone {
            self.told_gone = true;
            let _ = shared.to_loop.send(ToLoop::Gone { conn: self.id });
        }
        self.prelogin = None;
    }

    /// quinn-proto has drained the connection: the transport drops the link.
    pub fn drained(mut self, shared: &Shared) {
        self.gone(shared);
        if self.counted {
            shared.metrics.connections.dec();
        }
    }
}
