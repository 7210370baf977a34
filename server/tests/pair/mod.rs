//! The pair harness: `ClientCore <-> ServerConn <-> GameCore` in one process and in virtual
//! time, with a simulated link per direction (latency, jitter, loss, duplication,
//! reordering, outages) drawn from a seeded RNG. Same seed, same run: every test is exactly
//! reproducible, and thousands of ticks take milliseconds.
//!
//! The transport is modelled at the level the protocol sees it: the control stream is
//! reliable and ordered (a lost chunk arrives one retransmission later, and holds back what
//! follows it), datagrams are not. QUIC's own handshake, ACKs and idle timeout are not
//! simulated (the loopback tests cover the real transport).
#![allow(dead_code, clippy::unwrap_used)]

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};
use tower_client::{
    ClientCore, CoreConfig, Credentials, DisconnectReason, Event, PlayerInput, Pos,
};
use tower_meta::{Identity, PlayerState};
use tower_protocol::pb::ErrorCode;
use tower_server::connection::Outgoing;
use tower_server::connection::{
    Action, AuthResult, ConnLimits, Ending, Note, ServerConn, Transmit,
};
use tower_server::core::{ClientEvent, ConnId};
use tower_server::{GameCore, Rules};

/// One direction of a link.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LinkProfile {
    pub latency: Duration,
    /// Each packet gets an extra delay drawn uniformly from `0..=jitter`.
    pub jitter: Duration,
    pub loss: f64,
    pub duplicate: f64,
    /// Probability that a datagram is held back one extra latency (arrives after later ones).
    pub reorder: f64,
}

impl LinkProfile {
    /// Loopback-like: 1 ms, nothing lost.
    pub const CLEAN: LinkProfile = LinkProfile {
        latency: Duration::from_millis(1),
        jitter: Duration::ZERO,
        loss: 0.0,
        duplicate: 0.0,
        reorder: 0.0,
    };

    /// Half of `rtt` each way, with `jitter` and `loss` per direction, and a little
    /// duplication and reordering.
    pub fn rtt(rtt_ms: u64, jitter_ms: u64, loss: f64) -> LinkProfile {
        LinkProfile {
            latency: Duration::from_millis(rtt_ms / 2),
            jitter: Duration::from_millis(jitter_ms),
            loss,
            duplicate: 0.01,
            reorder: 0.02,
        }
    }
}

/// A packet in flight.
#[derive(Clone, Debug)]
enum Packet {
    Stream(Vec<u8>),
    Datagram(Vec<u8>),
    /// The sender closed the connection (delivered in order after its stream data).
    Closed(String),
}

/// Counters of one link direction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LinkStats {
    pub datagrams: u64,
    pub datagram_bytes: u64,
    pub stream_bytes: u64,
    pub lost: u64,
}

/// One direction of the simulated network.
pub struct Link {
    profile: LinkProfile,
    rng: StdRng,
    in_flight: BTreeMap<(Instant, u64), Packet>,
    next_id: u64,
    /// Stream data is delivered in order: nothing before this.
    stream_ready: Option<Instant>,
    outages: Vec<(Instant, Instant)>,
    pub stats: LinkStats,
}

impl Link {
    fn new(profile: LinkProfile, seed: u64) -> Link {
        Link {
            profile,
            rng: StdRng::seed_from_u64(seed),
            in_flight: BTreeMap::new(),
            next_id: 0,
            stream_ready: None,
            outages: Vec::new(),
            stats: LinkStats::default(),
        }
    }

    /// The end of the outage covering any part of `from..=to`, if one does.
    fn outage_end(&self, from: Instant, to: Instant) -> Option<Instant> {
        self.outages
            .iter()
            .filter(|(a, b)| *a <= to && from < *b)
            .map(|(_, b)| *b)
            .max()
    }

    fn delay(&mut self) -> Duration {
        let jitter = self.profile.jitter.mul_f64(self.rng.random::<f64>());
        self.profile.latency + jitter
    }

    fn put(&mut self, at: Instant, p: Packet) {
        self.in_flight.insert((at, self.next_id), p);
        self.next_id += 1;
    }

    fn send_datagram(&mut self, now: Instant, bytes: Vec<u8>) {
        self.stats.datagrams += 1;
        self.stats.datagram_bytes += bytes.len() as u64;
        let copies = if self.rng.random_bool(self.profile.duplicate) {
            2
        } else {
            1
        };
        for _ in 0..copies {
            if self.rng.random_bool(self.profile.loss) {
                self.stats.lost += 1;
                continue;
            }
            let mut at = now + self.delay();
            if self.rng.random_bool(self.profile.reorder) {
                at += self.profile.latency;
            }
            if self.outage_end(now, at).is_some() {
                self.stats.lost += 1;
                continue;
            }
            self.put(at, Packet::Datagram(bytes.clone()));
        }
    }

    fn send_ordered(&mut self, now: Instant, p: Packet) {
        let mut at = now + self.delay();
        // Each loss costs a retransmission about one round trip later (bounded).
        for _ in 0..8 {
            if !self.rng.random_bool(self.profile.loss) {
                break;
            }
            at += self.profile.latency * 2 + self.profile.jitter;
        }
        if let Some(end) = self.outage_end(now, at) {
            at = end + self.delay();
        }
        if let Some(ready) = self.stream_ready {
            at = at.max(ready);
        }
        self.stream_ready = Some(at);
        self.put(at, p);
    }

    fn send_stream(&mut self, now: Instant, bytes: Vec<u8>) {
        self.stats.stream_bytes += bytes.len() as u64;
        self.send_ordered(now, Packet::Stream(bytes));
    }

    fn next_time(&self) -> Option<Instant> {
        self.in_flight.keys().next().map(|(t, _)| *t)
    }

    fn pop_due(&mut self, now: Instant) -> Option<Packet> {
        let key = *self.in_flight.keys().next().filter(|(t, _)| *t <= now)?;
        self.in_flight.remove(&key)
    }
}

/// One client and its server-side connection.
pub struct Peer {
    pub name: String,
    pub client: ClientCore,
    pub conn: ServerConn,
    pub up: Link,
    pub down: Link,
    /// Every client event so far, in order.
    pub events: Vec<Event>,
    /// Every note the server-side connection counted.
    pub notes: Vec<Note>,
    /// Jumps of the predicted position caused by server corrections (movement units).
    pub correction_sizes: Vec<i32>,
    /// The newest input seq the client has sent.
    pub newest_input_seq: u32,
    /// How the server side ended, once it did.
    pub server_ending: Option<Ending>,
    auth: Option<(Instant, AuthResult)>,
    conn_done: bool,
    client_closed_sent: bool,
}

impl Peer {
    pub fn resume_token(&self) -> Option<Vec<u8>> {
        self.events.iter().rev().find_map(|e| match e {
            Event::Welcome { resume_token, .. } => Some(resume_token.clone()),
            _ => None,
        })
    }

    pub fn admitted(&self) -> bool {
        self.client.predicted_position().is_some()
    }

    pub fn error_codes(&self) -> Vec<ErrorCode> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Error { code, .. } => Some(*code),
                _ => None,
            })
            .collect()
    }

    pub fn disconnected(&self) -> bool {
        self.disconnect_reason().is_some()
    }

    /// Why the client's connection ended, once it did.
    pub fn disconnect_reason(&self) -> Option<DisconnectReason> {
        self.events.iter().find_map(|e| match e {
            Event::Disconnected { reason, .. } => Some(*reason),
            _ => None,
        })
    }
}

/// Run before each server tick.
pub type TickHook = Box<dyn FnMut(&mut GameCore)>;

/// The server (one `GameCore`, one `ServerConn` per client) and its clients.
pub struct Pair {
    pub now: Instant,
    pub start: Instant,
    pub core: GameCore,
    pub peers: Vec<Peer>,
    pub limits: ConnLimits,
    /// Largest datagram the simulated QUIC connection carries.
    pub max_datagram: usize,
    /// Time the shell's authentication takes.
    pub auth_delay: Duration,
    /// Called before every server tick (tests move monsters with it).
    pub on_tick: Option<TickHook>,
    tick: Duration,
    next_tick: Instant,
    events: Vec<ClientEvent>,
    saves: HashMap<String, PlayerState>,
    next_conn: ConnId,
    rng: StdRng,
}

impl Pair {
    pub fn new(seed: u64, rules: Rules) -> Pair {
        let now = Instant::now();
        let tick = Duration::from_secs(1) / rules.tick_rate_hz.max(1);
        let limits = ConnLimits {
            handshake_timeout: Duration::from_secs(10),
            input_rate: 90,
            max_players: rules.max_players,
        };
        Pair {
            now,
            start: now,
            core: GameCore::new(rules),
            peers: Vec::new(),
            limits,
            max_datagram: 1200,
            auth_delay: Duration::from_millis(5),
            on_tick: None,
            tick,
            next_tick: now + tick,
            events: Vec::new(),
            saves: HashMap::new(),
            next_conn: 1,
            rng: StdRng::seed_from_u64(seed),
        }
    }

    /// Simulated time since the start.
    pub fn elapsed(&self) -> Duration {
        self.now - self.start
    }

    /// A new client logging in as `name` over links with `profile`; returns its index.
    pub fn connect(&mut self, name: &str, profile: LinkProfile) -> usize {
        self.connect_with(
            name,
            profile,
            CoreConfig::new(Credentials::Dev { name: name.into() }),
        )
    }

    pub fn connect_with(&mut self, name: &str, profile: LinkProfile, cfg: CoreConfig) -> usize {
        let peer = self.new_peer(name, profile, cfg);
        self.peers.push(peer);
        self.peers.len() - 1
    }

    /// Replaces client `i` by a new connection that resumes with its last resume token
    /// (the old one is lost, as after a network change).
    pub fn reconnect(&mut self, i: usize, profile: LinkProfile) {
        let token = self.peers[i].resume_token();
        let name = self.peers[i].name.clone();
        let mut cfg = CoreConfig::new(Credentials::Dev { name: name.clone() });
        cfg.resume_token = token;
        self.drop_connection(i);
        let peer = self.new_peer(&name, profile, cfg);
        self.peers[i] = peer;
    }

    /// The server notices that client `i`'s connection is gone (idle timeout, reset).
    pub fn drop_connection(&mut self, i: usize) {
        self.peers[i].conn.handle_lost("connection lost".into());
        self.pump();
    }

    fn new_peer(&mut self, name: &str, profile: LinkProfile, cfg: CoreConfig) -> Peer {
        let id = self.next_conn;
        self.next_conn += 1;
        let mut client = ClientCore::new(cfg, self.now);
        client.handle_connected();
        Peer {
            name: name.into(),
            client,
            // A token per connection that leaves the seeded link randomness untouched.
            conn: ServerConn::new(id, self.limits, self.now, u128::from(id).to_le_bytes()),
            up: Link::new(profile, self.rng.random()),
            down: Link::new(profile, self.rng.random()),
            events: Vec::new(),
            notes: Vec::new(),
            correction_sizes: Vec::new(),
            newest_input_seq: 0,
            server_ending: None,
            auth: None,
            conn_done: false,
            client_closed_sent: false,
        }
    }

    /// Both directions of client `i`'s link drop everything from `at` for `len`.
    pub fn outage(&mut self, i: usize, at: Duration, len: Duration) {
        let span = (self.start + at, self.start + at + len);
        self.peers[i].up.outages.push(span);
        self.peers[i].down.outages.push(span);
    }

    /// Sends raw bytes as a datagram from client `i` (hostile or hand-made input).
    pub fn inject_datagram(&mut self, i: usize, bytes: Vec<u8>) {
        let now = self.now;
        self.peers[i].up.send_datagram(now, bytes);
    }

    pub fn set_input(&mut self, i: usize, input: PlayerInput) {
        self.peers[i].client.set_input(input);
    }

    /// Runs until `d` of simulated time has passed.
    pub fn run_for(&mut self, d: Duration) {
        let end = self.now + d;
        // Bounded: every iteration handles at least one due thing or ends.
        for _ in 0..10_000_000u32 {
            let Some(t) = self.next_event().filter(|t| *t <= end) else {
                break;
            };
            self.now = self.now.max(t);
            self.process();
        }
        self.now = end;
    }

    /// Runs until `done` holds (checked after every step) or `limit` passes; whether it held.
    pub fn run_until(&mut self, limit: Duration, mut done: impl FnMut(&Pair) -> bool) -> bool {
        let end = self.now + limit;
        while self.now < end {
            if done(self) {
                return true;
            }
            self.run_for(Duration::from_millis(5).min(end - self.now));
        }
        done(self)
    }

    fn next_event(&self) -> Option<Instant> {
        let mut t = self.next_tick;
        for p in &self.peers {
            let candidates = [
                p.client.poll_timeout(),
                p.conn.poll_timeout(),
                p.up.next_time(),
                p.down.next_time(),
                p.auth.as_ref().map(|(t, _)| *t),
            ];
            for c in candidates.into_iter().flatten() {
                t = t.min(c);
            }
        }
        Some(t)
    }

    fn process(&mut self) {
        let now = self.now;
        let slots = u32::try_from(self.core.stats().players_total).unwrap_or(u32::MAX);
        for p in &mut self.peers {
            while let Some(packet) = p.up.pop_due(now) {
                match packet {
                    Packet::Stream(b) => p.conn.handle_stream_data(&b, slots),
                    Packet::Datagram(b) => p.conn.handle_datagram(&b, now),
                    Packet::Closed(why) => p.conn.handle_lost(why),
                }
            }
            while let Some(packet) = p.down.pop_due(now) {
                match packet {
                    Packet::Stream(b) => p.client.handle_stream_data(&b, now),
                    Packet::Datagram(b) => {
                        let before = p.client.predicted_position();
                        p.client.handle_datagram(&b, now);
                        let after = p.client.predicted_position();
                        if let (Some(a), Some(b)) = (before, after)
                            && a != b
                        {
                            p.correction_sizes.push(distance(a, b));
                        }
                    }
                    Packet::Closed(why) => p.client.handle_connection_lost(why),
                }
            }
            if p.auth.as_ref().is_some_and(|(t, _)| *t <= now)
                && let Some((_, result)) = p.auth.take()
            {
                let token: [u8; 16] = self.rng.random();
                p.conn.handle_auth_result(Some(result), token);
            }
            p.conn.handle_timeout(now);
            if p.client.poll_timeout().is_some_and(|t| t <= now) {
                p.client.handle_timeout(now);
            }
        }
        self.pump();
        if self.next_tick <= now {
            self.next_tick += self.tick;
            self.server_tick();
            self.pump();
        }
    }

    fn server_tick(&mut self) {
        let events = std::mem::take(&mut self.events);
        if let Some(hook) = self.on_tick.as_mut() {
            hook(&mut self.core);
        }
        let out = self.core.step(events);
        let max = Some(self.max_datagram);
        for (conn, msg) in out.control {
            if let Some(p) = self.peer_by_conn(conn) {
                p.conn.handle_outgoing(Outgoing::Control(msg), max);
            }
        }
        for (conn, snapshot) in out.snapshots {
            if let Some(p) = self.peer_by_conn(conn) {
                p.conn.handle_outgoing(Outgoing::Snapshot(snapshot), max);
            }
        }
        for conn in out.close {
            if let Some(p) = self.peer_by_conn(conn) {
                p.conn.handle_outgoing(Outgoing::Close, max);
            }
        }
        for (id, state) in out.saves {
            self.saves.insert(id, state);
        }
    }

    fn peer_by_conn(&mut self, conn: ConnId) -> Option<&mut Peer> {
        self.peers
            .iter_mut()
            .find(|p| p.conn.id() == conn && !p.conn_done)
    }

    /// Moves everything queued by clients and connections onto the links and the core.
    fn pump(&mut self) {
        let now = self.now;
        for p in &mut self.peers {
            while let Some(bytes) = p.client.poll_stream_transmit() {
                p.up.send_stream(now, bytes);
            }
            while let Some(d) = p.client.poll_datagram() {
                if let Ok(input) = tower_protocol::InputDatagram::decode(&d) {
                    p.newest_input_seq = p.newest_input_seq.max(input.newest_seq);
                }
                p.up.send_datagram(now, d);
            }
            while let Some(e) = p.client.poll_event() {
                p.events.push(e);
            }
            if p.client.is_closed() && !p.client_closed_sent {
                p.client_closed_sent = true;
                p.up.send_ordered(now, Packet::Closed("client closed".into()));
            }
            while let Some(a) = p.conn.poll_action() {
                match a {
                    Action::LoggedIn => {}
                    Action::Core(e) => self.events.push(e),
                    Action::Authenticate(credentials) => {
                        let result = match credentials {
                            tower_meta::Credentials::Dev { name } => {
                                let player_id = format!("dev:{name}");
                                let state = self.saves.get(&player_id).cloned().unwrap_or_default();
                                Ok((
                                    Identity {
                                        player_id,
                                        username: name,
                                        guild: None,
                                    },
                                    state,
                                ))
                            }
                            tower_meta::Credentials::Ticket { .. } => Err((
                                tower_protocol::pb::ErrorCode::AuthFailed,
                                "tickets are disabled in the harness".into(),
                            )),
                        };
                        p.auth = Some((now + self.auth_delay, result));
                    }
                    Action::Count(n) => p.notes.push(n),
                }
            }
            while let Some(t) = p.conn.poll_transmit() {
                match t {
                    Transmit::Stream(b) => p.down.send_stream(now, b),
                    Transmit::Datagram(d) => p.down.send_datagram(now, d),
                }
            }
            if !p.conn_done
                && let Some(ending) = p.conn.poll_close().cloned()
            {
                p.conn_done = true;
                if let Ending::Close { reason, .. } = &ending {
                    p.down.send_ordered(now, Packet::Closed(reason.clone()));
                }
                if p.conn.is_registered() {
                    self.events
                        .push(ClientEvent::Disconnected { conn: p.conn.id() });
                }
                p.server_ending = Some(ending);
            }
        }
    }
}

/// Euclidean distance in movement units, rounded.
pub fn distance(a: Pos, b: Pos) -> i32 {
    let (dx, dy) = (f64::from(a.x - b.x), f64::from(a.y - b.y));
    dx.hypot(dy).round() as i32
}

// ---- scenarios shared by the tests and the figures bench ---------------------------------

/// Full speed in one of 8 directions.
pub fn walk(dir: u32) -> PlayerInput {
    const DIRS: [(i8, i8); 8] = [
        (127, 0),
        (90, 90),
        (0, 127),
        (-90, 90),
        (-127, 0),
        (-90, -90),
        (0, -127),
        (90, -90),
    ];
    let (x, y) = DIRS[(dir % 8) as usize];
    PlayerInput {
        move_x: x,
        move_y: y,
        attack: false,
    }
}

/// Monsters still fight, but nobody dies within a test: every correction a walking player
/// sees is then the network's doing, not a respawn.
pub fn peaceful_rules() -> Rules {
    let mut r = Rules::new(42, 30);
    r.player_max_health = 60_000;
    r
}

/// What one simulated session of two walking players measured (client 0's view).
#[derive(Debug, Default)]
pub struct Figures {
    pub minutes: f64,
    pub corrections: u64,
    pub largest_correction: i32,
    /// Frames (60 Hz) in which the other player jumped more than a quarter tile.
    pub snaps: u32,
    pub frames_seen: u32,
    /// Payload bytes per second down to client 0 (datagrams and control stream).
    pub down_bytes_per_sec: f64,
    pub up_bytes_per_sec: f64,
}

/// How often inputs and snapshots go out, and whether lost input seqs are guessed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    /// `CoreConfig::input_every_ticks` and `Rules::snapshot_every_ticks`.
    pub every_ticks: u32,
    /// `Rules::input_gap_fill` and `Rules::input_playout` left at their defaults; else 0
    /// (off: lost inputs are never guessed, queued ones applied as the credit allows).
    pub batch_rules: bool,
    /// The client's `CalmPolicy` and `Rules::snapshot_calm_ticks` at their defaults (a
    /// calm client sends every 3 ticks and gets 10 Hz); else off, and every `every_ticks`.
    pub calm: bool,
}

impl Schedule {
    /// The defaults of the client and the server.
    pub fn default_for_test() -> Schedule {
        Schedule {
            every_ticks: Rules::new(42, 30).snapshot_every_ticks,
            batch_rules: true,
            calm: true,
        }
    }
}

/// Two players on one floor walking in seeded random directions (a new one every 0.5 to
/// 2 s) for `secs` over `profile`; client 0 renders at 60 Hz.
pub fn walking_session(seed: u64, profile: LinkProfile, secs: u32) -> Figures {
    walking_session_with(seed, profile, secs, Schedule::default_for_test())
}

/// [`walking_session`] with a given send schedule.
pub fn walking_session_with(
    seed: u64,
    profile: LinkProfile,
    secs: u32,
    schedule: Schedule,
) -> Figures {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed);
    let mut rules = peaceful_rules();
    rules.snapshot_every_ticks = schedule.every_ticks;
    if !schedule.calm {
        rules.snapshot_calm_ticks = schedule.every_ticks;
    }
    if !schedule.batch_rules {
        rules.input_gap_fill = 0;
        rules.input_playout = 0;
    }
    let mut pair = Pair::new(seed, rules);
    for name in ["alice", "bob"] {
        let mut cfg = CoreConfig::new(Credentials::Dev { name: name.into() });
        cfg.input_every_ticks = schedule.every_ticks;
        if !schedule.calm {
            cfg.calm = None;
        }
        pair.connect_with(name, profile, cfg);
    }
    assert!(
        pair.run_until(Duration::from_secs(20), |p| p
            .peers
            .iter()
            .all(|c| c.admitted())),
        "seed {seed}: both admitted"
    );
    let bob = pair.peers[1].client.entity_id().unwrap();
    let (down0, up0) = (pair.peers[0].down.stats, pair.peers[0].up.stats);
    let frame = Duration::from_micros(16_667);
    let frames = secs * 60;
    let mut next_turn = [0u32; 2];
    let mut last: Option<(f32, f32)> = None;
    let mut f = Figures::default();
    let corrections0 = pair.peers[0].client.stats().corrections;
    let sizes0 = pair.peers[0].correction_sizes.len();
    for n in 0..frames {
        for (i, turn) in next_turn.iter_mut().enumerate() {
            if n >= *turn {
                pair.set_input(i, walk(rng.random_range(0..8)));
                *turn = n + rng.random_range(30..120);
            }
        }
        pair.run_for(frame);
        let seen = pair.peers[0].client.interpolated_entities(pair.now);
        match seen.iter().find(|e| e.id == bob) {
            Some(e) => {
                f.frames_seen += 1;
                if let Some((x, y)) = last
                    && ((e.x - x).hypot(e.y - y)) > 0.25
                {
                    f.snaps += 1;
                }
                last = Some((e.x, e.y));
            }
            None => last = None,
        }
    }
    let p = &pair.peers[0];
    let secs = f64::from(secs);
    f.minutes = secs / 60.0;
    f.corrections = p.client.stats().corrections - corrections0;
    f.largest_correction = p.correction_sizes[sizes0..]
        .iter()
        .copied()
        .max()
        .unwrap_or(0);
    let bytes = |s: LinkStats, s0: LinkStats| {
        (s.datagram_bytes + s.stream_bytes - s0.datagram_bytes - s0.stream_bytes) as f64 / secs
    };
    f.down_bytes_per_sec = bytes(p.down.stats, down0);
    f.up_bytes_per_sec = bytes(p.up.stats, up0);
    f
}

/// One resume over `profile`: a player walks, its connection drops (the server notices),
/// and 5 s later a new connection presents the resume token. Whether it was welcomed back
/// as the same player (resumed, same id, floor and position) within 10 s.
pub fn resume_after_drop(seed: u64, profile: LinkProfile) -> bool {
    let mut pair = Pair::new(seed, peaceful_rules());
    pair.connect("alice", profile);
    if !pair.run_until(Duration::from_secs(10), |p| p.peers[0].admitted()) {
        return false;
    }
    pair.set_input(0, walk(seed as u32));
    pair.run_for(Duration::from_secs(2));
    pair.set_input(0, PlayerInput::NEUTRAL);
    pair.run_for(Duration::from_secs(1));
    let Some(before) = pair.core.player_by_account("dev:alice") else {
        return false;
    };
    pair.drop_connection(0);
    pair.run_for(Duration::from_secs(5));
    pair.reconnect(0, profile);
    let admitted = pair.run_until(Duration::from_secs(10), |p| p.peers[0].admitted());
    let resumed = pair.peers[0]
        .events
        .iter()
        .any(|e| matches!(e, Event::Welcome { resumed: true, .. }));
    let same = pair
        .core
        .player_by_account("dev:alice")
        .is_some_and(|after| {
            (after.id, after.floor, after.pos) == (before.id, before.floor, before.pos)
        });
    admitted && resumed && same
}
