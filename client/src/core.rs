//! The client protocol state machine, sans-IO: it is fed stream bytes, datagrams and the
//! current time, and hands back bytes to write, datagrams to send, events and the time it
//! wants to be woken. No sockets, no clock, no threads; tests drive it by stepping.

pub use crate::core_config::*;
pub use crate::core_events::*;
pub use crate::core_stats::*;
use crate::interp::{EntityView, InterpBuffer};
use crate::predict::Predictor;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower_movement::{MoveInput, MoveParams, Pos};
use tower_protocol::pb::{self, ErrorCode, client_control, server_control};
use tower_protocol::{
    Buttons, DatagramKind, FrameDecoder, InputDatagram, MAX_INPUTS_PER_DATAGRAM,
    MAX_ROSTER_ENTRIES, PROTOCOL_VERSION, Reassembler, SnapshotHistory, name_within_bounds,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    AwaitingWelcome,
    Welcomed,
    Closing,
    Closed,
}

#[derive(Debug)]
struct FloorState {
    number: u32,
    floor: Arc<procgen::Floor>,
    admitted: bool,
}

/// Where the client stands in its idle logic (see [`IdlePolicy`]).
#[derive(Debug, Default)]
struct IdleState {
    /// Consecutive ticks on which the neutral input was taken (reset by any other input).
    neutral_ticks: u32,
    /// When the last input datagram was queued.
    last_sent: Option<Instant>,
    /// A snapshot that changed something arrived after the last datagram: not acked yet.
    change_unacked: bool,
    /// Ticks whose input was taken but not sent yet (see `CoreConfig::input_every_ticks`).
    unsent: u32,
    /// The attack button was held on the last tick that took an input.
    attack_held: bool,
    /// When the player last pressed attack or a snapshot last showed a fight near
    /// ([`CalmPolicy`]).
    fight_seen: Option<Instant>,
    /// Ticks between input datagrams now (0 before the first tick).
    every: u32,
    /// At the calm pace now: sending every `CalmPolicy::input_every_ticks`, or holding
    /// still (the server then sends at its calm pace too).
    calm: bool,
}

impl IdleState {
    fn settled(&self) -> bool {
        self.neutral_ticks >= IDLE_SETTLE_TICKS
    }

    /// Whether an idle tick at `now` should send the last datagram again. `slack` (half a
    /// tick) absorbs the rounding of tick times, so a 1 s keepalive is 30 ticks at 30 Hz.
    fn send_due(&self, policy: &IdlePolicy, now: Instant, slack: Duration) -> bool {
        let Some(last) = self.last_sent else {
            return true;
        };
        let since = now.saturating_duration_since(last) + slack;
        since >= policy.keepalive || (self.change_unacked && since >= policy.ack_delay)
    }
}

/// The sans-IO client.
#[derive(Debug)]
pub struct ClientCore {
    cfg: CoreConfig,
    phase: Phase,
    epoch: Instant,
    decoder: FrameDecoder,
    stream_out: Vec<u8>,
    datagrams_out: VecDeque<Vec<u8>>,
    events: VecDeque<Event>,
    /// Approximate heap and inline bytes of `events` ([`event_bytes`]).
    event_bytes: usize,
    entity_id: Option<u32>,
    /// The token of the last Welcome: what a reconnect presents to reclaim this session.
    resume_token: Option<Vec<u8>>,
    tick: Duration,
    floor: Option<FloorState>,
    /// Players on the current floor, kept from the server's incremental Roster messages.
    roster: BTreeMap<u32, RosterEntry>,
    history: SnapshotHistory,
    reassembler: Reassembler,
    newest_snapshot: Option<u32>,
    interp: InterpBuffer,
    /// Estimated local time (seconds since `epoch`) of server tick 0.
    clock: Option<f64>,
    /// How much later than the least delayed one snapshots arrive, on average (seconds):
    /// the jitter the render delay must cover on top of `interp_delay`.
    arrival_spread: f64,
    /// The interpolation delay of the current pace (`interp_delay`, or
    /// `CalmPolicy::interp_delay` while calm), in seconds, followed slowly so the render
    /// time never jumps when the pace changes.
    pace_delay: f64,
    predictor: Predictor,
    input: PlayerInput,
    idle: IdleState,
    next_tick: Option<Instant>,
    stats: ClientStats,
    close_reason: Option<String>,
    /// The last fatal error the server reported: the reason when the connection then ends.
    fatal_error: Option<DisconnectReason>,
}

/// The most the render delay grows beyond `interp_delay` for jitter (seconds).
const MAX_JITTER_MARGIN: f64 = 0.1;

/// Most client ticks run in one `handle_timeout` call after a stall; the rest are skipped.
const MAX_CATCH_UP_TICKS: u32 = 4;
/// How long before one of the server's ticks an input datagram should reach it (see
/// [`input_phase`]); more than the server's work per tick, well under QUIC's 25 ms ACK delay.
const INPUT_LEAD: Duration = Duration::from_millis(12);

/// How long after a message that left at the end of a server tick (arriving now) to run
/// the client's ticks, so the input datagrams they send reach the server [`INPUT_LEAD`]
/// before a server tick. The server takes such a datagram in on that tick and sends this
/// client's snapshot in that tick's phase, so QUIC's ACK of the datagram rides in the
/// snapshot's packet instead of a packet of its own ~25 ms later (about 40 % of the
/// downstream bytes of a player in a crowd). The server tick after the message starts
/// about one tick minus half a round trip after it arrives; the datagram takes another
/// half. Phasing moves when inputs are sampled, not when the server applies them.
pub(crate) fn input_phase(tick: Duration, rtt: Duration) -> Duration {
    let tick_ns = tick.as_nanos().max(1);
    let early = (rtt + INPUT_LEAD.min(tick / 2)).as_nanos();
    let shift = (tick_ns - early % tick_ns) % tick_ns;
    Duration::from_nanos(u64::try_from(shift).unwrap_or(0))
}

/// Most events queued for the game and not yet polled; past it (or past
/// [`MAX_PENDING_EVENT_BYTES`]) the server is flooding the client, which closes with
/// [`DisconnectReason::ProtocolError`].
pub const MAX_PENDING_EVENTS: usize = 1024;
/// Most bytes of events queued and not yet polled (see [`MAX_PENDING_EVENTS`]).
pub const MAX_PENDING_EVENT_BYTES: usize = 1 << 20;

/// What an event costs in memory while it waits in the queue (inline size plus the bytes
/// of its strings and lists).
fn event_bytes(event: &Event) -> usize {
    let heap = match event {
        Event::Welcome {
            display_name,
            resume_token,
            ..
        } => display_name.len() + resume_token.len(),
        Event::Roster(change) => {
            change.left.len() * size_of::<u32>()
                + change
                    .entries
                    .iter()
                    .map(|e| size_of::<RosterEntry>() + e.name.len() + e.guild.len())
                    .sum::<usize>()
        }
        Event::Error { message, .. } | Event::Disconnected { message, .. } => message.len(),
        Event::Connected | Event::FloorEntered { .. } | Event::FloorAdmitted { .. } => 0,
    };
    size_of::<Event>() + heap
}

/// Applies one incremental Roster message: `reset` starts over (the first message after
/// a floor admission), then departures, then arrivals or updates. A message with a name
/// or guild over the wire bounds, or one that would grow the roster past
/// [`MAX_ROSTER_ENTRIES`], is refused whole (the roster is left as it was).
fn apply_roster(
    roster: &mut BTreeMap<u32, RosterEntry>,
    msg: pb::Roster,
) -> Result<RosterChange, String> {
    if let Some(e) = msg
        .entries
        .iter()
        .find(|e| !name_within_bounds(&e.name) || !name_within_bounds(&e.guild))
    {
        return Err(format!(
            "roster entry {} has a name of {} bytes or a guild of {} bytes (at most {} bytes and {} characters each)",
            e.entity_id,
            e.name.len(),
            e.guild.len(),
            tower_protocol::MAX_NAME_BYTES,
            tower_protocol::MAX_NAME_CHARS,
        ));
    }
    let left: BTreeSet<u32> = msg.left.iter().copied().collect();
    let kept = if msg.reset {
        0
    } else {
        roster.len() - left.iter().filter(|id| roster.contains_key(id)).count()
    };
    let arrivals = msg
        .entries
        .iter()
        .map(|e| e.entity_id)
        .filter(|id| msg.reset || left.contains(id) || !roster.contains_key(id))
        .collect::<BTreeSet<_>>()
        .len();
    if kept + arrivals > MAX_ROSTER_ENTRIES {
        return Err(format!(
            "the roster would hold {} players, at most {MAX_ROSTER_ENTRIES}",
            kept + arrivals
        ));
    }
    if msg.reset {
        roster.clear();
    }
    for id in &msg.left {
        roster.remove(id);
    }
    let entries: Vec<RosterEntry> = msg
        .entries
        .into_iter()
        .map(|e| RosterEntry {
            entity_id: e.entity_id,
            name: e.name,
            guild: e.guild,
        })
        .collect();
    for e in &entries {
        roster.insert(e.entity_id, e.clone());
    }
    Ok(RosterChange {
        reset: msg.reset,
        left: msg.left,
        entries,
        total: u32::try_from(roster.len()).unwrap_or(u32::MAX),
    })
}

impl ClientCore {
    /// A new connection attempt started at `now`; queues the Hello, which the shell writes
    /// as soon as the control stream is open.
    pub fn new(cfg: CoreConfig, now: Instant) -> Self {
        let mut core = ClientCore {
            phase: Phase::AwaitingWelcome,
            epoch: now,
            decoder: FrameDecoder::new(),
            stream_out: Vec::new(),
            datagrams_out: VecDeque::new(),
            events: VecDeque::new(),
            event_bytes: 0,
            entity_id: None,
            resume_token: None,
            tick: Duration::from_secs(1) / tower_movement::DEFAULT_TICK_HZ,
            floor: None,
            roster: BTreeMap::new(),
            history: SnapshotHistory::default(),
            reassembler: Reassembler::new(),
            newest_snapshot: None,
            interp: InterpBuffer::default(),
            clock: None,
            arrival_spread: 0.0,
            pace_delay: 0.0,
            predictor: Predictor::new(MoveParams::default()),
            input: PlayerInput::default(),
            idle: IdleState::default(),
            next_tick: None,
            stats: ClientStats::default(),
            close_reason: None,
            fatal_error: None,
            cfg,
        };
        core.queue_hello();
        core
    }

    fn queue_hello(&mut self) {
        if let Some(raw) = self.cfg.diagnostics.raw_hello.clone() {
            self.stream_out.extend_from_slice(&raw);
            return;
        }
        let credentials = match &self.cfg.credentials {
            Credentials::Dev { name } => {
                pb::hello::Credentials::Dev(pb::DevLogin { name: name.clone() })
            }
            Credentials::Ticket { ticket } => pb::hello::Credentials::Ticket(pb::TicketLogin {
                ticket: ticket.clone(),
            }),
        };
        let hello = pb::Hello {
            protocol_version: self
                .cfg
                .diagnostics
                .protocol_version
                .unwrap_or(PROTOCOL_VERSION),
            credentials: Some(credentials),
            resume_token: self.cfg.resume_token.clone().unwrap_or_default(),
        };
        self.send_control(client_control::Msg::Hello(hello));
    }

    fn send_control(&mut self, msg: client_control::Msg) {
        match tower_protocol::encode_client(msg) {
            Ok(bytes) => self.stream_out.extend_from_slice(&bytes),
            // only a >16 KiB Hello (e.g. a huge name) gets here
            Err(e) => self.close(
                DisconnectReason::ProtocolError,
                format!("cannot encode control message: {e}"),
            ),
        }
    }

    fn close(&mut self, reason: DisconnectReason, message: String) {
        if self.phase == Phase::Closed {
            return;
        }
        self.phase = Phase::Closed;
        self.next_tick = None;
        self.close_reason = Some(message.clone());
        // The last event always fits: it is what tells the game that a bound was crossed.
        self.queue_event(Event::Disconnected { reason, message });
    }

    fn queue_event(&mut self, event: Event) {
        self.event_bytes += event_bytes(&event);
        self.events.push_back(event);
    }

    /// Queues an event for the game, or closes the connection if the game's queue is
    /// already at [`MAX_PENDING_EVENTS`] or [`MAX_PENDING_EVENT_BYTES`].
    fn emit(&mut self, event: Event) {
        if self.phase == Phase::Closed {
            return;
        }
        let bytes = event_bytes(&event);
        if self.events.len() >= MAX_PENDING_EVENTS
            || self.event_bytes + bytes > MAX_PENDING_EVENT_BYTES
        {
            return self.protocol_error(format!(
                "protocol error: the server sent more than the client holds: {} events ({} bytes) not yet polled, at most {MAX_PENDING_EVENTS} events and {MAX_PENDING_EVENT_BYTES} bytes",
                self.events.len(),
                self.event_bytes,
            ));
        }
        self.queue_event(event);
    }

    /// The connection ended from the outside: the player's own leave, else the fatal
    /// error the server reported before, else `otherwise`.
    fn ended(&mut self, otherwise: DisconnectReason, message: String) {
        let reason = if self.phase == Phase::Closing {
            DisconnectReason::Left
        } else {
            self.fatal_error.unwrap_or(otherwise)
        };
        self.close(reason, message);
    }

    fn protocol_error(&mut self, message: String) {
        self.close(DisconnectReason::ProtocolError, message);
    }

    // ---- inputs from the shell ---------------------------------------------------------

    /// QUIC and TLS are up.
    pub fn handle_connected(&mut self) {
        self.emit(Event::Connected);
    }

    /// Bytes read from the control stream.
    pub fn handle_stream_data(&mut self, bytes: &[u8], now: Instant) {
        if self.phase == Phase::Closed {
            return;
        }
        self.stats.bytes_received += bytes.len() as u64;
        self.decoder.push(bytes);
        loop {
            match self.decoder.next_frame() {
                Ok(Some(frame)) => match tower_protocol::decode_server(&frame) {
                    Ok(msg) => self.handle_control(msg, now),
                    Err(e) => {
                        return self
                            .protocol_error(format!("malformed control message from server: {e}"));
                    }
                },
                Ok(None) => return,
                Err(e) => return self.protocol_error(format!("control stream framing error: {e}")),
            }
            if self.phase == Phase::Closed {
                return;
            }
        }
    }

    /// The server finished the control stream.
    pub fn handle_stream_finished(&mut self) {
        match self.decoder.finish() {
            Ok(()) => self.ended(
                DisconnectReason::ServerClosed,
                "server closed the control stream".into(),
            ),
            Err(e) => {
                self.protocol_error(format!("server closed the control stream mid-frame: {e}"))
            }
        }
    }

    /// The connection is gone (transport error, timeout, close by the peer).
    pub fn handle_connection_lost(&mut self, message: String) {
        self.ended(DisconnectReason::ConnectionLost, message);
    }

    fn handle_control(&mut self, msg: server_control::Msg, now: Instant) {
        use server_control::Msg;
        match msg {
            Msg::Welcome(w) => {
                if self.phase != Phase::AwaitingWelcome {
                    return self.protocol_error("protocol error: second Welcome".into());
                }
                self.phase = Phase::Welcomed;
                self.entity_id = Some(w.entity_id);
                if !w.resume_token.is_empty() {
                    self.resume_token = Some(w.resume_token.clone());
                }
                let hz = w.tick_rate_hz.clamp(1, 1000);
                self.tick = Duration::from_secs(1) / hz;
                self.predictor = Predictor::new(MoveParams::player(hz));
                self.emit(Event::Welcome {
                    entity_id: w.entity_id,
                    tick_rate_hz: w.tick_rate_hz,
                    display_name: w.display_name,
                    resume_token: w.resume_token,
                    resumed: w.resumed,
                });
            }
            Msg::Shutdown(s) => self.close(
                DisconnectReason::ServerShutdown,
                format!("server shutdown: {}", s.reason),
            ),
            Msg::Error(e) => {
                // A code this client does not know (a newer server) is still an error.
                let code = ErrorCode::try_from(e.code).unwrap_or(ErrorCode::ErrorUnspecified);
                if code == ErrorCode::HashMismatch {
                    self.stats.hash_mismatches += 1;
                }
                // The first fatal error is the cause: a replaced connection may still be
                // told off for a message it sent before it learnt so (a floor proof).
                if self.fatal_error.is_none() {
                    self.fatal_error = DisconnectReason::from_error(code);
                }
                self.emit(Event::Error {
                    code,
                    message: e.message,
                });
            }
            _ if self.phase == Phase::AwaitingWelcome => {
                self.protocol_error("protocol error: message before Welcome".into())
            }
            Msg::FloorEnter(fe) => self.handle_floor_enter(fe),
            Msg::FloorAdmitted(fa) => {
                let spawn = Pos::new(fa.spawn_x, fa.spawn_y);
                let Some(fs) = self.floor.as_mut().filter(|f| f.number == fa.floor) else {
                    return self.protocol_error(format!(
                        "protocol error: admitted to floor {} never entered",
                        fa.floor
                    ));
                };
                fs.admitted = true;
                self.stats.floors_verified += 1;
                self.predictor.reset(spawn);
                self.idle = IdleState::default();
                let rtt = self.stats.rtt.unwrap_or_default();
                self.next_tick = Some(now + input_phase(self.tick, rtt));
                self.emit(Event::FloorAdmitted {
                    floor: fa.floor,
                    spawn,
                });
            }
            Msg::Roster(r) => match apply_roster(&mut self.roster, r) {
                Ok(change) => self.emit(Event::Roster(change)),
                Err(e) => self.protocol_error(format!("protocol error: {e}")),
            },
        }
    }

    fn handle_floor_enter(&mut self, fe: pb::FloorEnter) {
        let expected = match tower_protocol::control::hash_from_bytes(&fe.hash) {
            Ok(h) => h,
            Err(e) => return self.protocol_error(format!("malformed FloorEnter: {e}")),
        };
        let floor = self.cfg.floors.get(fe.seed, fe.floor);
        let mut computed = floor.hash().0;
        let matches = computed == expected && fe.generator_version == procgen::GENERATOR_VERSION;
        if !matches {
            self.stats.local_hash_mismatches += 1;
            tracing::warn!(
                floor = fe.floor,
                server_version = fe.generator_version,
                local_version = procgen::GENERATOR_VERSION,
                "cannot reproduce the server's floor hash"
            );
        }
        if self.cfg.diagnostics.wrong_floor_proof {
            computed.iter_mut().for_each(|b| *b = !*b);
        }
        self.floor = Some(FloorState {
            number: fe.floor,
            floor,
            admitted: false,
        });
        self.next_tick = None;
        self.send_control(client_control::Msg::FloorProof(pb::FloorProof {
            floor: fe.floor,
            hash: computed.to_vec(),
            generator_version: procgen::GENERATOR_VERSION,
        }));
        self.emit(Event::FloorEntered {
            floor: fe.floor,
            seed: fe.seed,
            hash: expected,
            generator_version: fe.generator_version,
            matches,
        });
    }

    /// One QUIC datagram from the server. Bad datagrams are counted and dropped; they never
    /// close the connection (datagrams are unauthenticated noise until proven otherwise).
    pub fn handle_datagram(&mut self, datagram: &[u8], now: Instant) {
        self.stats.datagrams_received += 1;
        self.stats.bytes_received += datagram.len() as u64;
        if self.phase != Phase::Welcomed {
            return;
        }
        let payload = match DatagramKind::split(datagram) {
            Ok((DatagramKind::Snapshot, _)) => datagram[1..].to_vec(),
            Ok((DatagramKind::SnapshotFragment, _)) => match self.reassembler.push(datagram) {
                Ok(Some(p)) => p,
                Ok(None) => {
                    self.stats.fragments_abandoned = self.reassembler.abandoned();
                    return;
                }
                Err(e) => {
                    tracing::debug!("bad snapshot fragment: {e}");
                    self.stats.snapshot_errors += 1;
                    return;
                }
            },
            Ok((DatagramKind::Input, _)) | Err(_) => {
                self.stats.snapshot_errors += 1;
                return;
            }
        };
        self.stats.fragments_abandoned = self.reassembler.abandoned();
        match self.history.decode_and_record(&payload) {
            Ok(snap) => {
                self.stats.snapshots += 1;
                let seq = snap.header.seq;
                let newer = self.newest_snapshot.is_none_or(|n| seq > n);
                if newer {
                    self.newest_snapshot = Some(seq);
                    self.observe_clock(seq, now);
                    // a keepalive snapshot equal to its baseline needs no prompt ack: a
                    // later ack gives the server an equally good baseline
                    let unchanged = snap
                        .header
                        .baseline
                        .and_then(|b| self.history.get(b))
                        .is_some_and(|base| *base == snap.entities);
                    self.idle.change_unacked |= !unchanged;
                }
                let me = self.entity_id.and_then(|id| snap.entities.get(id));
                if let (true, Some(calm), Some(me)) = (newer, self.cfg.calm.as_ref(), me) {
                    let others = snap.entities.iter().filter(|e| e.id != me.id);
                    if calm.fight_near(me, others.map(|e| e.remote_from_wire())) {
                        self.idle.fight_seen = Some(now);
                    }
                }
                if let (true, Some(fs), Some(me)) = (newer, self.floor.as_ref(), me)
                    && fs.admitted
                {
                    let server_pos = Pos::new(me.x, me.y);
                    self.predictor
                        .reconcile(&*fs.floor, snap.header.last_input_seq, server_pos);
                    self.stats.corrections = self.predictor.corrections();
                }
                // A late state the render time has passed can only rewrite the path already
                // drawn (and the corrections of the states after it): a visible jump.
                let passed = self.render_tick(now).is_some_and(|r| f64::from(seq) <= r);
                if newer || !passed {
                    let own = self.entity_id;
                    let entities = snap.entities.iter().map(|e| {
                        if Some(e.id) == own {
                            *e
                        } else {
                            e.remote_from_wire()
                        }
                    });
                    self.interp.push(seq, entities.collect());
                }
            }
            Err(e) => {
                tracing::debug!("undecodable snapshot: {e}");
                self.stats.snapshot_errors += 1;
            }
        }
    }

    fn observe_clock(&mut self, seq: u32, now: Instant) {
        let sample = self.secs(now) - f64::from(seq) * self.tick.as_secs_f64();
        let pace = match self.cfg.calm {
            Some(calm) if self.idle.calm => calm.interp_delay,
            _ => self.cfg.interp_delay,
        }
        .as_secs_f64();
        if let Some(c) = self.clock {
            // slow enough that the render time stretches by a few percent at most
            let late = (sample - c).clamp(0.0, MAX_JITTER_MARGIN);
            self.arrival_spread += (late - self.arrival_spread) * 0.02;
            self.pace_delay += (pace - self.pace_delay) * 0.05;
        } else {
            self.pace_delay = pace;
        }
        self.clock = Some(match self.clock {
            // the earliest arrival is the least delayed one; drift up slowly after jitter
            Some(c) if sample > c => c + (sample - c) * 0.02,
            _ => sample,
        });
    }

    /// How far behind the newest snapshots remote entities are drawn: the pace's delay
    /// (`interp_delay`, or `CalmPolicy::interp_delay` while calm, followed slowly), plus a
    /// margin for the jitter seen (twice the mean lateness, at most [`MAX_JITTER_MARGIN`]).
    /// Without it, at 60 ms of jitter a state often arrived only 1-2 ticks before it was
    /// due and its correction was drawn as a jump.
    pub fn render_delay(&self) -> f64 {
        self.pace_delay + (2.0 * self.arrival_spread).min(MAX_JITTER_MARGIN)
    }

    fn secs(&self, t: Instant) -> f64 {
        t.saturating_duration_since(self.epoch).as_secs_f64()
    }

    /// Sets the input held from now on (sampled at every client tick).
    pub fn set_input(&mut self, input: PlayerInput) {
        self.input = input;
    }

    /// Asks to leave: queues Leave; the shell finishes the stream and closes.
    pub fn disconnect(&mut self) {
        if matches!(self.phase, Phase::Closing | Phase::Closed) {
            return;
        }
        self.send_control(client_control::Msg::Leave(pb::Leave {}));
        self.phase = Phase::Closing;
        self.next_tick = None;
    }

    /// When [`ClientCore::handle_timeout`] should be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.next_tick
    }

    /// Runs the client ticks that are due: predict with the held input, send inputs.
    pub fn handle_timeout(&mut self, now: Instant) {
        let mut ran = 0;
        while let Some(due) = self.next_tick.filter(|t| *t <= now) {
            if ran == MAX_CATCH_UP_TICKS {
                self.next_tick = Some(now + self.tick);
                break;
            }
            self.client_tick(due);
            self.next_tick = Some(due + self.tick);
            ran += 1;
        }
    }

    fn client_tick(&mut self, now: Instant) {
        let Some(fs) = self.floor.as_ref().filter(|f| f.admitted) else {
            return;
        };
        let neutral = self.input == PlayerInput::NEUTRAL;
        if let Some(policy) = self.cfg.idle
            && neutral
            && self.idle.settled()
        {
            // Holding still: no new seq (the server applies nothing, i.e. the player
            // stands still there too); resend the last datagram when an ack is due.
            self.stats.idle_ticks += 1;
            // the server sends to a client that holds still at its calm pace
            self.idle.calm = self.cfg.calm.is_some();
            if self.idle.send_due(&policy, now, self.tick / 2) {
                self.send_inputs(now);
            }
            return;
        }
        let buttons = Buttons(if self.input.attack {
            Buttons::ATTACK
        } else {
            0
        });
        let mv = MoveInput::new(self.input.move_x, self.input.move_y);
        let render_tick = self
            .render_tick(now)
            .map_or(0, |t| t.round().clamp(0.0, f64::from(u32::MAX)) as u32);
        if self
            .predictor
            .apply(&*fs.floor, mv, buttons, render_tick)
            .is_none()
        {
            return;
        }
        let was_settled = self.idle.settled();
        self.idle.neutral_ticks = if neutral {
            self.idle.neutral_ticks.saturating_add(1)
        } else {
            0
        };
        let attack_down = self.input.attack && !self.idle.attack_held;
        self.idle.attack_held = self.input.attack;
        if self.input.attack {
            self.idle.fight_seen = Some(now);
        }
        self.idle.unsent += 1;
        let every = self.input_every_ticks(now);
        // Sent at once: an attack (its latency is the game's feel), moving again after
        // holding still, and the last neutral input before sending slows down (so the
        // server has it before the idle keepalives).
        let suppressing = self.cfg.idle.is_some();
        let now_urgent =
            attack_down || (suppressing && was_settled) || (suppressing && self.idle.settled());
        if self.idle.unsent >= every || now_urgent {
            self.send_inputs(now);
        }
    }

    /// How often input datagrams go out now: every `input_every_ticks` near a fight, every
    /// `CalmPolicy::input_every_ticks` once calm.
    fn input_every_ticks(&mut self, now: Instant) -> u32 {
        let calm = self.cfg.calm.filter(|c| {
            self.idle
                .fight_seen
                .is_none_or(|t| now.saturating_duration_since(t) >= c.linger)
        });
        self.idle.calm = calm.is_some();
        let every = match calm {
            Some(c) => {
                self.stats.calm_ticks += 1;
                c.input_every_ticks
            }
            None => self.cfg.input_every_ticks,
        };
        self.idle.every = every.clamp(1, MAX_INPUTS_PER_DATAGRAM as u32);
        self.idle.every
    }

    /// Queues the newest unacknowledged inputs and the newest ack: the inputs of the last
    /// two datagram periods, at least 4 (so each input travels in two datagrams, one every
    /// tick in four). Once the server has applied every input (an idle client whose stop
    /// was confirmed), the datagram carries the ack alone: 0 inputs, the last seq.
    fn send_inputs(&mut self, now: Instant) {
        let window = (2 * self.idle.every as usize).clamp(4, MAX_INPUTS_PER_DATAGRAM);
        let (newest_seq, inputs) = match self.predictor.recent(window) {
            Some(recent) => recent,
            None => match self.predictor.last_seq() {
                Some(seq) => (seq, Vec::new()),
                None => return,
            },
        };
        let datagram = InputDatagram {
            ack: self.newest_snapshot,
            newest_seq,
            inputs,
        };
        match datagram.encode() {
            Ok(bytes) => {
                self.stats.inputs_sent += 1;
                self.datagrams_out.push_back(bytes);
                self.idle.last_sent = Some(now);
                self.idle.change_unacked = false;
                self.idle.unsent = 0;
            }
            Err(e) => tracing::error!("cannot encode input datagram: {e}"),
        }
    }

    // ---- outputs to the shell ----------------------------------------------------------

    /// Bytes to write on the control stream.
    pub fn poll_stream_transmit(&mut self) -> Option<Vec<u8>> {
        if self.stream_out.is_empty() {
            return None;
        }
        self.stats.bytes_sent += self.stream_out.len() as u64;
        Some(std::mem::take(&mut self.stream_out))
    }

    /// The next datagram (an input, or an idle keepalive) to send unreliably.
    pub fn poll_datagram(&mut self) -> Option<Vec<u8>> {
        let d = self.datagrams_out.pop_front()?;
        self.stats.datagrams_sent += 1;
        self.stats.bytes_sent += d.len() as u64;
        Some(d)
    }

    /// The next event for the game, in order.
    pub fn poll_event(&mut self) -> Option<Event> {
        let event = self.events.pop_front()?;
        self.event_bytes = self.event_bytes.saturating_sub(event_bytes(&event));
        Some(event)
    }

    /// True once the client asked to leave: finish the stream after the last transmit.
    pub fn is_closing(&self) -> bool {
        self.phase == Phase::Closing
    }

    /// True once the connection is over for the protocol (error, shutdown, lost).
    pub fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }

    /// The message of the event that closed the connection, once closed.
    pub fn close_reason(&self) -> Option<&str> {
        self.close_reason.as_deref()
    }

    // ---- queries -----------------------------------------------------------------------

    /// The server tick (fractional) drawn at local time `now`: [`Self::render_delay`] behind the
    /// newest snapshots. An attack carries it, so the server judges the hit against what
    /// this client saw.
    pub fn render_tick(&self, now: Instant) -> Option<f64> {
        let clock = self.clock?;
        let tick = self.tick.as_secs_f64();
        Some((self.secs(now) - clock - self.render_delay()) / tick)
    }

    /// Entities to draw at local time `now`, [`Self::render_delay`] behind the server.
    pub fn interpolated_entities(&self, now: Instant) -> Vec<EntityView> {
        let Some(render) = self.render_tick(now) else {
            return Vec::new();
        };
        let tick = self.tick.as_secs_f64();
        self.interp
            .sample(render, self.cfg.max_extrapolation.as_secs_f64() / tick)
    }

    /// The own player's predicted position (movement units), once admitted to a floor.
    pub fn predicted_position(&self) -> Option<Pos> {
        self.floor.as_ref().filter(|f| f.admitted)?;
        self.predictor.position()
    }

    /// The own player's entity id, from the Welcome.
    pub fn entity_id(&self) -> Option<u32> {
        self.entity_id
    }

    /// The newest server tick a snapshot arrived for.
    pub fn newest_snapshot(&self) -> Option<u32> {
        self.newest_snapshot
    }

    /// The players on the current floor, by entity id (names and guilds; snapshots carry
    /// only ids).
    pub fn roster(&self) -> Vec<RosterEntry> {
        self.roster.values().cloned().collect()
    }

    /// The resume token of the last Welcome (kept after the connection ends): pass it as
    /// [`CoreConfig::resume_token`] to reclaim the session after a drop.
    pub fn resume_token(&self) -> Option<&[u8]> {
        self.resume_token.as_deref()
    }

    /// The floor the player is on (admitted or waiting for admission).
    pub fn floor(&self) -> Option<(u32, Arc<procgen::Floor>)> {
        self.floor.as_ref().map(|f| (f.number, f.floor.clone()))
    }

    /// One server tick (from the Welcome's tick rate; 30 Hz before it).
    pub fn tick_interval(&self) -> Duration {
        self.tick
    }

    /// A copy of the connection's counters.
    pub fn stats(&self) -> ClientStats {
        self.stats.clone()
    }

    /// For the shell: transport-level counters from quinn.
    pub fn set_transport_stats(&mut self, t: TransportStats) {
        self.stats.udp_rx_bytes = t.udp_rx_bytes;
        self.stats.udp_rx_datagrams = t.udp_rx_datagrams;
        self.stats.udp_tx_bytes = t.udp_tx_bytes;
        self.stats.udp_tx_datagrams = t.udp_tx_datagrams;
        self.stats.datagram_frames_rx = t.datagram_frames_rx;
        self.stats.datagram_frames_tx = t.datagram_frames_tx;
        self.stats.pings_rx = t.pings_rx;
        self.stats.rtt = Some(t.rtt);
    }
}
