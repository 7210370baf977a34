//! ClientCore stepped against hand-built server messages.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::core::*;
use std::time::{Duration, Instant};
use tower_movement::{PLAYER_SPEED_PER_TICK, Pos};
use tower_protocol::pb::{self, client_control, server_control};
use tower_protocol::{
    EntityFlags, EntityKind, EntitySet, EntityState, FrameDecoder, InputDatagram, SnapshotHistory,
    packetize,
};

const SEED: u64 = 42;

fn frames(bytes: &[u8]) -> Vec<client_control::Msg> {
    let mut d = FrameDecoder::new();
    d.push(bytes);
    let mut out = Vec::new();
    while let Some(f) = d.next_frame().expect("valid framing") {
        out.push(tower_protocol::decode_client(&f).expect("valid message"));
    }
    out
}

fn server(msg: server_control::Msg) -> Vec<u8> {
    tower_protocol::encode_server(msg).expect("encodable")
}

fn welcome() -> Vec<u8> {
    server(server_control::Msg::Welcome(pb::Welcome {
        entity_id: 7,
        tick_rate_hz: 30,
        resume_token: vec![1; 16],
        server_tick: 100,
        display_name: "ann".into(),
        resumed: false,
    }))
}

fn floor_enter(hash: [u8; 32]) -> Vec<u8> {
    server(server_control::Msg::FloorEnter(pb::FloorEnter {
        seed: SEED,
        floor: 1,
        generator_version: procgen::GENERATOR_VERSION,
        hash: hash.to_vec(),
    }))
}

fn events(core: &mut ClientCore) -> Vec<Event> {
    std::iter::from_fn(|| core.poll_event()).collect()
}

fn player(x: i32, y: i32) -> EntityState {
    EntityState {
        id: 7,
        kind: EntityKind::Player,
        x,
        y,
        health: 100,
        flags: EntityFlags::default(),
    }
}

/// Runs the handshake up to admission; returns the core, the time of its first tick and
/// the spawn point.
fn admitted(diagnostics: Diagnostics) -> (ClientCore, Instant, Pos) {
    let mut cfg = CoreConfig::new(Credentials::Dev { name: "ann".into() });
    cfg.diagnostics = diagnostics;
    admitted_with(cfg)
}

/// The configuration that sends an input datagram on every tick the player acts (the
/// schedule before `input_every_ticks`; tests of per-tick details use it).
fn per_tick() -> CoreConfig {
    let mut cfg = CoreConfig::new(Credentials::Dev { name: "ann".into() });
    cfg.input_every_ticks = 1;
    cfg.calm = None;
    cfg
}

/// [`admitted`] with a given configuration.
fn admitted_with(mut cfg: CoreConfig) -> (ClientCore, Instant, Pos) {
    let t0 = Instant::now();
    cfg.floors = FloorSource::cached(4);
    let mut core = ClientCore::new(cfg, t0);
    core.handle_connected();
    let hello = frames(&core.poll_stream_transmit().expect("hello queued"));
    assert!(
        matches!(&hello[..], [client_control::Msg::Hello(h)] if h.protocol_version == tower_protocol::PROTOCOL_VERSION)
    );
    core.handle_stream_data(&welcome(), t0);
    let floor = procgen::generate(SEED, 1);
    core.handle_stream_data(&floor_enter(floor.hash().0), t0);
    let proof = frames(&core.poll_stream_transmit().expect("proof queued"));
    let spawn = Pos::tile_center(i32::from(floor.entry.0), i32::from(floor.entry.1));
    match &proof[..] {
        [client_control::Msg::FloorProof(p)] => {
            assert_eq!(p.floor, 1);
            assert_eq!(p.generator_version, procgen::GENERATOR_VERSION);
        }
        other => panic!("expected a FloorProof, got {other:?}"),
    }
    core.handle_stream_data(
        &server(server_control::Msg::FloorAdmitted(pb::FloorAdmitted {
            floor: 1,
            spawn_x: spawn.x,
            spawn_y: spawn.y,
            server_tick: 100,
        })),
        t0,
    );
    // the client's ticks start a phase after the admission (`input_phase`)
    let first_tick = core.poll_timeout().expect("ticks scheduled at admission");
    assert!(first_tick >= t0 && first_tick < t0 + core.tick_interval());
    (core, first_tick, spawn)
}

#[test]
fn handshake_floor_proof_and_admission() {
    let (mut core, _, spawn) = admitted(Diagnostics::default());
    let ev = events(&mut core);
    assert_eq!(ev[0], Event::Connected);
    assert!(matches!(
        ev[1],
        Event::Welcome {
            entity_id: 7,
            tick_rate_hz: 30,
            ..
        }
    ));
    assert!(matches!(
        ev[2],
        Event::FloorEntered {
            floor: 1,
            seed: SEED,
            matches: true,
            ..
        }
    ));
    assert_eq!(ev[3], Event::FloorAdmitted { floor: 1, spawn });
    assert_eq!(core.predicted_position(), Some(spawn));
    assert_eq!(core.stats().floors_verified, 1);
    assert_eq!(core.entity_id(), Some(7));
}

#[test]
fn proof_carries_the_computed_hash_or_a_wrong_one_on_request() {
    for wrong in [false, true] {
        let mut cfg = CoreConfig::new(Credentials::Dev { name: "x".into() });
        cfg.diagnostics.wrong_floor_proof = wrong;
        let mut core = ClientCore::new(cfg, Instant::now());
        core.poll_stream_transmit();
        core.handle_stream_data(&welcome(), Instant::now());
        let hash = procgen::floor_hash(SEED, 1).0;
        core.handle_stream_data(&floor_enter(hash), Instant::now());
        let proof = frames(&core.poll_stream_transmit().expect("proof"));
        let [client_control::Msg::FloorProof(p)] = &proof[..] else {
            panic!("no proof")
        };
        assert_eq!(p.hash == hash, !wrong);
    }
}

#[test]
fn hash_mismatch_reported_by_server_is_counted() {
    let mut core = ClientCore::new(
        CoreConfig::new(Credentials::Dev { name: "x".into() }),
        Instant::now(),
    );
    core.handle_stream_data(&welcome(), Instant::now());
    core.handle_stream_data(&floor_enter([0; 32]), Instant::now()); // a hash nobody can reproduce
    let err = server(server_control::Msg::Error(pb::Error {
        code: pb::ErrorCode::HashMismatch as i32,
        message: "floor hash mismatch".into(),
    }));
    core.handle_stream_data(&err, Instant::now());
    let ev = events(&mut core);
    assert!(
        ev.iter()
            .any(|e| matches!(e, Event::FloorEntered { matches: false, .. }))
    );
    assert!(
        ev.iter().any(
            |e| matches!(e, Event::Error { code, .. } if *code == pb::ErrorCode::HashMismatch)
        )
    );
    let s = core.stats();
    assert_eq!(
        (
            s.hash_mismatches,
            s.local_hash_mismatches,
            s.floors_verified
        ),
        (1, 1, 0)
    );
    assert!(core.predicted_position().is_none(), "not placed");
}

#[test]
fn inputs_prediction_and_reconciliation() {
    let (mut core, t0, spawn) = admitted_with(per_tick());
    let mut server_hist = SnapshotHistory::default();
    core.set_input(PlayerInput {
        move_x: 0,
        move_y: 0,
        attack: true,
    });
    core.handle_timeout(t0);
    let d = InputDatagram::decode(&core.poll_datagram().expect("input sent")).unwrap();
    assert_eq!((d.ack, d.newest_seq, d.inputs.len()), (None, 1, 1));
    assert!(d.inputs[0].buttons.attack());
    assert_eq!(
        (d.inputs[0].predicted_x, d.inputs[0].predicted_y),
        (spawn.x, spawn.y)
    );
    // three more ticks; the datagram repeats older inputs
    let tick = core.tick_interval();
    core.set_input(PlayerInput {
        move_x: 0,
        move_y: 0,
        attack: false,
    });
    core.handle_timeout(t0 + tick * 3);
    let sent: Vec<_> = std::iter::from_fn(|| core.poll_datagram()).collect();
    assert_eq!(sent.len(), 3);
    let d = InputDatagram::decode(&sent[2]).unwrap();
    assert_eq!((d.newest_seq, d.inputs.len()), (4, 4));
    // the server applied input 4 and agrees
    let payload = server_hist
        .encode_and_record(200, 4, EntitySet::from_vec(vec![player(spawn.x, spawn.y)]))
        .unwrap();
    core.handle_datagram(&packetize(200, &payload, 1200).unwrap()[0], t0 + tick * 4);
    assert_eq!(core.stats().snapshots, 1);
    assert_eq!(core.stats().corrections, 0);
    assert_eq!(core.predicted_position(), Some(spawn));
    // the next input acks snapshot 200
    core.handle_timeout(t0 + tick * 4);
    let d = InputDatagram::decode(&core.poll_datagram().unwrap()).unwrap();
    assert_eq!(d.ack, Some(200));
    server_hist.ack(200);
    // the server says input 5 ended elsewhere: the client takes it (a correction)
    let moved = Pos::new(spawn.x, spawn.y + 1);
    let payload = server_hist
        .encode_and_record(201, 5, EntitySet::from_vec(vec![player(moved.x, moved.y)]))
        .unwrap();
    core.handle_datagram(&packetize(201, &payload, 1200).unwrap()[0], t0 + tick * 5);
    assert_eq!(core.predicted_position(), Some(moved));
    assert_eq!(core.stats().corrections, 1);
}

#[test]
fn prediction_moves_at_player_speed_on_the_real_floor() {
    let (mut core, t0, spawn) = admitted(Diagnostics::default());
    let (_, floor) = core.floor().unwrap();
    // pick a free direction from the entry
    let dirs = [(127i8, 0i8), (-127, 0), (0, 127), (0, -127)];
    let (dx, dy) = dirs
        .into_iter()
        .find(|(dx, dy)| {
            let next =
                tower_movement::step(&*floor, spawn, tower_movement::MoveInput::new(*dx, *dy));
            next != spawn
        })
        .expect("entry has a free neighbour");
    core.set_input(PlayerInput {
        move_x: dx,
        move_y: dy,
        attack: false,
    });
    core.handle_timeout(t0);
    let p = core.predicted_position().unwrap();
    assert_eq!(p.dist2(spawn), i64::from(PLAYER_SPEED_PER_TICK).pow(2));
}

/// The defaults with the calm pace off: snapshots every 2 ticks, drawn `interp_delay`
/// behind.
fn never_calm() -> CoreConfig {
    let mut cfg = CoreConfig::new(Credentials::Dev { name: "ann".into() });
    cfg.calm = None;
    cfg
}

#[test]
fn fragmented_snapshots_and_interpolation() {
    let (mut core, t0, _) = admitted_with(never_calm());
    let tick = core.tick_interval();
    let mut hist = SnapshotHistory::default();
    let monsters = |x: i32| -> EntitySet {
        (100..400)
            .map(|id| {
                EntityState {
                    id,
                    kind: EntityKind::Monster,
                    x: x + id as i32,
                    y: 1000,
                    health: 10,
                    flags: EntityFlags::default(),
                }
                .remote_to_wire()
            })
            .collect()
    };
    for (i, seq) in (300..305u32).enumerate() {
        let payload = hist
            .encode_and_record(seq, 0, monsters(i as i32 * 256))
            .unwrap();
        let datagrams = packetize(seq, &payload, 200).unwrap();
        assert!(datagrams.len() > 1, "big full snapshots are fragmented");
        for d in datagrams.iter().rev() {
            core.handle_datagram(d, t0 + tick * (seq - 300));
        }
    }
    assert_eq!(core.stats().snapshots, 5);
    assert_eq!(core.stats().snapshot_errors, 0);
    // 100 ms (3 ticks) behind the newest: snapshot 301; half a tick later: half way
    let now = t0 + tick * 4;
    let view = core.interpolated_entities(now);
    assert_eq!(view.len(), 300);
    let first = view.iter().find(|e| e.id == 100).unwrap();
    assert!(
        (first.x - (256.0 + 100.0) / 256.0).abs() < 0.05,
        "x = {}",
        first.x
    );
    let later = core.interpolated_entities(now + tick / 2);
    let first_later = later.iter().find(|e| e.id == 100).unwrap();
    assert!((first_later.x - first.x - 0.5).abs() < 0.05);
}

/// Measured on the pair harness at 300 ms RTT / 60 ms jitter / 10 % loss: reordered
/// datagrams arrived after the render time had passed them, rewrote the drawn path (and
/// the corrections after it) and made about half of the visible snaps.
#[test]
fn a_late_state_the_render_time_has_passed_changes_nothing_drawn() {
    let (mut core, t0, _) = admitted(Diagnostics::default());
    let tick = core.tick_interval();
    let mut hist = SnapshotHistory::default();
    let monster = |x: i32| {
        EntitySet::from_vec(vec![EntityState {
            id: 100,
            kind: EntityKind::Monster,
            x,
            y: 1000,
            health: 10,
            flags: EntityFlags::default(),
        }])
    };
    // A walker at 256 units a tick that paused at 302; 302's datagram comes last.
    let xs = [
        (300, 0),
        (301, 256),
        (302, 256),
        (303, 768),
        (304, 1024),
        (305, 1280),
    ];
    let datagrams: Vec<(u32, Vec<u8>)> = xs
        .iter()
        .map(|&(seq, x)| {
            let payload = hist.encode_and_record(seq, 0, monster(x)).unwrap();
            (seq, packetize(seq, &payload, 1200).unwrap().remove(0))
        })
        .collect();
    for (seq, d) in datagrams.iter().filter(|(seq, _)| *seq != 302) {
        core.handle_datagram(d, t0 + tick * (seq - 300));
    }
    let now = t0 + tick * 5 + tick / 2; // render tick 302.5
    let before = core.interpolated_entities(now);
    core.handle_datagram(&datagrams[2].1, now);
    assert_eq!(core.stats().snapshots, 6, "decoded (the history keeps it)");
    assert_eq!(core.interpolated_entities(now), before);
}

/// The render delay covers the jitter it sees: states arriving 0-60 ms late push the
/// drawn time back by about twice their mean lateness, bounded; a steady link keeps the
/// configured `interp_delay`.
#[test]
fn the_render_delay_grows_with_the_jitter_seen_and_is_bounded() {
    let delay = |late_ms: &dyn Fn(u32) -> u64| {
        let (mut core, t0, _) = admitted_with(never_calm());
        let tick = core.tick_interval();
        let mut hist = SnapshotHistory::default();
        let set = EntitySet::from_vec(vec![player(0, 0)]);
        for i in 0..300u32 {
            let seq = 1000 + i;
            let payload = hist.encode_and_record(seq, 0, set.clone()).unwrap();
            let at = t0 + tick * i + Duration::from_millis(late_ms(i));
            core.handle_datagram(&packetize(seq, &payload, 1200).unwrap()[0], at);
        }
        core.render_delay()
    };
    let steady = delay(&|_| 0);
    // 0-60 ms, spread evenly (a multiplicative hash of the index)
    let jittery = delay(&|i| u64::from(i.wrapping_mul(2_654_435_761) % 61));
    let wild = delay(&|i| if i % 2 == 0 { 0 } else { 900 });
    assert!((steady - 0.100).abs() < 1e-9, "steady: {steady}");
    assert!((0.120..=0.200).contains(&jittery), "jittery: {jittery} s");
    assert!((0.100..=0.200).contains(&wild), "bounded: {wild} s");
}

#[test]
fn bad_datagrams_are_counted_not_fatal() {
    let t0 = Instant::now();
    let mut core = ClientCore::new(CoreConfig::new(Credentials::Dev { name: "x".into() }), t0);
    core.handle_datagram(&[2, 1, 0, 0, 0], t0); // before Welcome: ignored
    assert_eq!(core.stats().snapshots, 0);
    core.handle_stream_data(&welcome(), t0);
    for junk in [
        &[][..],
        &[9, 9][..],
        &[1, 0, 0, 0][..],
        &[2, 0xff][..],
        &[3, 1, 0, 1, 5][..],
        &[2, 5, 1, 0, 0][..],
    ] {
        core.handle_datagram(junk, t0);
    }
    assert_eq!(core.stats().snapshot_errors, 6);
    assert!(!core.is_closed());
}

#[test]
fn protocol_violations_close_with_a_reason() {
    let t0 = Instant::now();
    use DisconnectReason::{ProtocolError, ServerShutdown};
    let cases: Vec<(Vec<u8>, &str, DisconnectReason)> = vec![
        (vec![0xff, 0xff, 0xff, 0xff, 0x7f], "framing", ProtocolError),
        (vec![2, 0xff, 0xff], "malformed", ProtocolError),
        (floor_enter([0; 32]), "before Welcome", ProtocolError),
        (
            [welcome(), welcome()].concat(),
            "second Welcome",
            ProtocolError,
        ),
        (
            server(server_control::Msg::Shutdown(pb::ServerShutdown {
                reason: "bye".into(),
            })),
            "shutdown",
            ServerShutdown,
        ),
    ];
    for (bytes, needle, expected) in cases {
        let mut core = ClientCore::new(CoreConfig::new(Credentials::Dev { name: "x".into() }), t0);
        core.handle_stream_data(&bytes, t0);
        assert!(core.is_closed(), "{needle}");
        let ev = events(&mut core);
        match ev.last() {
            Some(Event::Disconnected { reason, message }) => {
                assert_eq!(*reason, expected, "{needle}");
                assert!(message.contains(needle), "{message} lacks {needle}")
            }
            other => panic!("expected Disconnected, got {other:?}"),
        }
    }
    // stream ends mid-frame
    let mut core = ClientCore::new(CoreConfig::new(Credentials::Dev { name: "x".into() }), t0);
    core.handle_stream_data(&welcome()[..3], t0);
    core.handle_stream_finished();
    assert!(core.close_reason().unwrap().contains("mid-frame"));
}

#[test]
fn error_before_welcome_is_an_event() {
    let t0 = Instant::now();
    let mut cfg = CoreConfig::new(Credentials::Dev { name: "x".into() });
    cfg.diagnostics.protocol_version = Some(99);
    let mut core = ClientCore::new(cfg, t0);
    let hello = frames(&core.poll_stream_transmit().unwrap());
    assert!(matches!(&hello[..], [client_control::Msg::Hello(h)] if h.protocol_version == 99));
    core.handle_stream_data(
        &server(server_control::Msg::Error(pb::Error {
            code: pb::ErrorCode::BadProtocolVersion as i32,
            message: "want 1".into(),
        })),
        t0,
    );
    assert!(matches!(
        core.poll_event(),
        Some(Event::Error {
            code: pb::ErrorCode::BadProtocolVersion,
            ..
        })
    ));
}

#[test]
fn stream_bytes_in_single_byte_reads() {
    let t0 = Instant::now();
    let mut core = ClientCore::new(CoreConfig::new(Credentials::Dev { name: "x".into() }), t0);
    for b in welcome() {
        core.handle_stream_data(&[b], t0);
    }
    assert!(matches!(core.poll_event(), Some(Event::Welcome { .. })));
}

/// Found by the C++ live resume test: the server answered the replaced connection's
/// in-flight floor proof with UNEXPECTED_MESSAGE after REPLACED, and the later error
/// became the reason, so the game retried instead of stopping.
#[test]
fn the_first_fatal_error_is_the_reason() {
    let t0 = Instant::now();
    let mut core = ClientCore::new(CoreConfig::new(Credentials::Dev { name: "a".into() }), t0);
    core.handle_connected();
    core.handle_stream_data(&welcome(), t0);
    for (code, message) in [
        (pb::ErrorCode::RateLimited, "slow down"),
        (pb::ErrorCode::Replaced, "connected again from elsewhere"),
        (
            pb::ErrorCode::UnexpectedMessage,
            "floor proof before welcome",
        ),
    ] {
        let error = server(server_control::Msg::Error(pb::Error {
            code: code as i32,
            message: message.into(),
        }));
        core.handle_stream_data(&error, t0);
    }
    core.handle_stream_finished();
    let last = events(&mut core).pop();
    assert!(
        matches!(
            last,
            Some(Event::Disconnected {
                reason: DisconnectReason::Replaced,
                ..
            })
        ),
        "{last:?}"
    );
}

#[test]
fn the_welcome_token_outlives_the_connection() {
    let t0 = Instant::now();
    let mut core = ClientCore::new(CoreConfig::new(Credentials::Dev { name: "a".into() }), t0);
    assert_eq!(core.resume_token(), None);
    core.handle_connected();
    core.handle_stream_data(&welcome(), t0);
    assert_eq!(core.resume_token(), Some(&[1u8; 16][..]));
    core.handle_connection_lost("timed out".into());
    assert!(core.is_closed());
    assert_eq!(core.resume_token(), Some(&[1u8; 16][..]));
}

#[test]
fn raw_hello_ticket_resume_and_leave() {
    let t0 = Instant::now();
    let mut cfg = CoreConfig::new(Credentials::Dev { name: "x".into() });
    cfg.diagnostics.raw_hello = Some(vec![1, 2, 3]);
    let mut core = ClientCore::new(cfg, t0);
    assert_eq!(core.poll_stream_transmit(), Some(vec![1, 2, 3]));

    let mut cfg = CoreConfig::new(Credentials::Ticket { ticket: "t".into() });
    cfg.resume_token = Some(vec![5; 16]);
    let mut core = ClientCore::new(cfg, t0);
    let hello = frames(&core.poll_stream_transmit().unwrap());
    let [client_control::Msg::Hello(h)] = &hello[..] else {
        panic!()
    };
    assert_eq!(h.resume_token, vec![5; 16]);
    assert!(matches!(
        h.credentials,
        Some(pb::hello::Credentials::Ticket(_))
    ));
    core.disconnect();
    assert!(core.is_closing());
    assert!(matches!(
        &frames(&core.poll_stream_transmit().unwrap())[..],
        [client_control::Msg::Leave(_)]
    ));
}

#[test]
fn catch_up_is_bounded() {
    let (mut core, t0, _) = admitted_with(per_tick());
    core.handle_timeout(t0 + Duration::from_secs(10));
    assert_eq!(std::iter::from_fn(|| core.poll_datagram()).count(), 4);
    assert!(core.poll_timeout().unwrap() > t0 + Duration::from_secs(10));
}

// ---- idle input suppression ------------------------------------------------------------

/// The server's per-tick input handling, reduced to what matters here (server/src/core/
/// systems/play.rs: `receive_inputs` keeps seqs above the newest received, `apply_inputs`
/// applies at most one queued input per tick and moves nobody without one).
#[derive(Default)]
struct ServerInputs {
    newest_received: u32,
    queue: std::collections::VecDeque<u32>,
    applied: Vec<u32>,
    acks: Vec<u32>,
}

impl ServerInputs {
    fn receive(&mut self, d: &InputDatagram) {
        if let Some(a) = d.ack {
            self.acks.push(a);
        }
        let mut fresh: Vec<u32> = (0..d.inputs.len() as u32)
            .map(|i| d.newest_seq - i)
            .filter(|s| *s > self.newest_received)
            .collect();
        fresh.sort_unstable();
        for s in fresh {
            self.newest_received = s;
            self.queue.push_back(s);
        }
    }

    fn tick(&mut self) {
        if let Some(s) = self.queue.pop_front() {
            self.applied.push(s);
        }
    }
}

/// Runs client ticks `from..to` one at a time (server ticks in lock step, no loss);
/// returns the tick index and decoded datagram of every datagram sent.
fn run_ticks(
    core: &mut ClientCore,
    t0: Instant,
    range: std::ops::Range<u32>,
    server: &mut ServerInputs,
) -> Vec<(u32, InputDatagram)> {
    let tick = core.tick_interval();
    let mut out = Vec::new();
    for k in range {
        core.handle_timeout(t0 + tick * k);
        for d in std::iter::from_fn(|| core.poll_datagram()) {
            let d = InputDatagram::decode(&d).expect("valid input datagram");
            server.receive(&d);
            out.push((k, d));
        }
        server.tick();
    }
    out
}

/// The default idle keepalive in 30 Hz ticks.
fn keepalive_ticks() -> u32 {
    let ka = IdlePolicy::default().keepalive;
    (ka.as_secs_f64() * 30.0).round() as u32
}

#[test]
fn idle_sending_slows_to_keepalives_once_settled() {
    let (mut core, t0, spawn) = admitted_with(per_tick());
    let mut server = ServerInputs::default();
    let ka = keepalive_ticks();
    // two and a half keepalive intervals of holding still at 30 Hz
    let total = ka * 5 / 2;
    let sent = run_ticks(&mut core, t0, 0..total, &mut server);
    let ticks: Vec<u32> = sent.iter().map(|(k, _)| *k).collect();
    // one datagram per tick until the neutral input fills the redundancy window, then one
    // per keepalive
    let settle = IDLE_SETTLE_TICKS;
    let mut expected: Vec<u32> = (0..settle).collect();
    expected.extend([settle - 1 + ka, settle - 1 + 2 * ka]);
    assert_eq!(ticks, expected);
    for (_, d) in &sent[settle as usize..] {
        assert_eq!(d.newest_seq, settle, "keepalives take no new input seq");
        assert_eq!(d.inputs.len(), 4, "the redundancy window at its smallest");
        assert!(
            d.inputs
                .iter()
                .all(|i| (i.move_x, i.move_y, i.buttons.0) == (0, 0, 0))
        );
    }
    // the server applied the neutral inputs once each and then nothing: standing still
    assert_eq!(server.applied, (1..=settle).collect::<Vec<_>>());
    assert_eq!(core.predicted_position(), Some(spawn));
    let stats = core.stats();
    assert_eq!(stats.inputs_sent, expected.len() as u64);
    assert_eq!(stats.idle_ticks, u64::from(total - settle));
}

#[test]
fn any_input_resumes_per_tick_sending_on_the_next_tick() {
    let (mut core, t0, spawn) = admitted_with(per_tick());
    let mut server = ServerInputs::default();
    run_ticks(&mut core, t0, 0..20, &mut server);
    assert!(core.stats().idle_ticks > 0, "idle by now");
    let (_, floor) = core.floor().unwrap();
    let (dx, dy) = [(127i8, 0i8), (-127, 0), (0, 127), (0, -127)]
        .into_iter()
        .find(|(dx, dy)| {
            tower_movement::step(&*floor, spawn, tower_movement::MoveInput::new(*dx, *dy)) != spawn
        })
        .expect("entry has a free neighbour");
    for (input, ticks) in [
        (
            PlayerInput {
                move_x: dx,
                move_y: dy,
                attack: false,
            },
            20..26,
        ),
        (
            PlayerInput {
                attack: true,
                ..PlayerInput::NEUTRAL
            },
            40..46,
        ),
    ] {
        run_ticks(&mut core, t0, ticks.start - 14..ticks.start, &mut server);
        let seq_before = server.newest_received;
        core.set_input(input);
        let sent = run_ticks(&mut core, t0, ticks.clone(), &mut server);
        // a datagram on every tick, the first on the very tick after the change
        assert_eq!(
            sent.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
            ticks.clone().collect::<Vec<_>>(),
            "{input:?}"
        );
        for (i, (_, d)) in sent.iter().enumerate() {
            assert_eq!(d.newest_seq, seq_before + 1 + i as u32, "new seq per tick");
            assert_eq!(
                (
                    d.inputs[0].move_x,
                    d.inputs[0].move_y,
                    d.inputs[0].buttons.attack()
                ),
                (input.move_x, input.move_y, input.attack)
            );
        }
        core.set_input(PlayerInput::NEUTRAL);
    }
    assert!(
        core.predicted_position() != Some(spawn),
        "the move was applied"
    );
    // back to neutral: settles again after the redundancy window
    let sent = run_ticks(&mut core, t0, 46..60, &mut server);
    assert_eq!(sent.len(), IDLE_SETTLE_TICKS as usize);
}

#[test]
fn acks_flow_while_idle() {
    let (mut core, t0, spawn) = admitted(Diagnostics::default());
    let tick = core.tick_interval();
    let mut server = ServerInputs::default();
    let mut hist = SnapshotHistory::default();
    let me = player(spawn.x, spawn.y);
    let walker = |seq: u32| EntityState {
        id: 9,
        x: 1000 + 34 * seq as i32,
        ..player(0, 1000)
    };
    let mut all = Vec::new();
    let ka = keepalive_ticks();
    // quiet: nothing moves, the server sends a keepalive snapshot every 30 ticks;
    // then another player walks in view, a snapshot every tick
    let busy_from = 2 * ka + 30;
    for k in 0..busy_from + 60 {
        let seq = 1000 + k;
        let entities = if k < busy_from {
            (k % 30 == 0).then(|| vec![me])
        } else {
            Some(vec![me, walker(seq)])
        };
        if let Some(entities) = entities {
            let last_input = server.applied.last().copied().unwrap_or(0);
            let payload = hist
                .encode_and_record(seq, last_input, EntitySet::from_vec(entities))
                .expect("encodable");
            let d = &packetize(seq, &payload, 1200).expect("fits")[0];
            core.handle_datagram(d, t0 + tick * k);
        }
        let sent = run_ticks(&mut core, t0, k..k + 1, &mut server);
        for (_, d) in &sent {
            if let Some(a) = d.ack {
                hist.ack(a);
            }
        }
        all.extend(sent);
    }
    assert_eq!(core.stats().snapshot_errors, 0);
    let idle: Vec<_> = all
        .iter()
        .filter(|(k, _)| *k >= IDLE_SETTLE_TICKS)
        .collect();
    // unchanged keepalive snapshots wait for the keepalive datagram, which acks the newest;
    // the first (full) snapshot was acked at once by the per-tick datagrams
    let quiet: Vec<_> = idle
        .iter()
        .filter(|(k, _)| *k < busy_from)
        .map(|(k, d)| (*k, d.ack))
        .collect();
    let newest_before = |k: u32| Some(1000 + k / 30 * 30);
    let first = IDLE_SETTLE_TICKS - 1 + ka;
    assert_eq!(
        quiet,
        vec![
            (first, newest_before(first)),
            (first + ka, newest_before(first + ka))
        ]
    );
    // while something moves: an ack within the ack delay (3 ticks), always the newest
    let busy: Vec<_> = idle.iter().filter(|(k, _)| *k >= busy_from).collect();
    assert!(busy.len() >= 60 / 3 - 1, "{} acks", busy.len());
    for w in busy.windows(2) {
        assert!(w[1].0 - w[0].0 <= 3, "acks {} and {}", w[0].0, w[1].0);
    }
    for (k, d) in &busy {
        assert_eq!(d.ack, Some(1000 + k), "tick {k} acks the newest snapshot");
        assert_eq!(d.newest_seq, IDLE_SETTLE_TICKS, "still no new input");
        // the server confirmed every input: the ack travels alone
        assert!(d.inputs.is_empty());
        assert!(d.encode().expect("encodable").len() <= 5);
    }
    // the server's baseline stays fresh: within 3 ticks of the newest snapshot
    let (baseline, _) = hist.baseline().expect("acked");
    assert!(1000 + busy_from + 59 - baseline <= 3, "baseline {baseline}");
    assert_eq!(core.predicted_position(), Some(spawn));
}

#[test]
fn without_an_idle_policy_every_tick_sends() {
    let mut cfg = per_tick();
    cfg.idle = None;
    let (mut core, t0, _) = admitted_with(cfg);
    let mut server = ServerInputs::default();
    let sent = run_ticks(&mut core, t0, 0..60, &mut server);
    assert_eq!(sent.len(), 60);
    assert_eq!(sent.last().map(|(_, d)| d.newest_seq), Some(60));
    assert_eq!(core.stats().idle_ticks, 0);
}

fn roster(reset: bool, left: Vec<u32>, entries: &[(u32, &str, &str)]) -> Vec<u8> {
    server(server_control::Msg::Roster(pb::Roster {
        entries: entries
            .iter()
            .map(|&(entity_id, name, guild)| pb::RosterEntry {
                entity_id,
                name: name.into(),
                guild: guild.into(),
            })
            .collect(),
        left,
        reset,
    }))
}

/// The whole roster after the next event, which must be a Roster change whose total is
/// the roster's size.
fn names(core: &mut ClientCore) -> Vec<(u32, String, String)> {
    match core.poll_event() {
        Some(Event::Roster(change)) => assert_eq!(change.total as usize, core.roster().len()),
        other => panic!("expected a Roster event, got {other:?}"),
    }
    core.roster()
        .into_iter()
        .map(|e| (e.entity_id, e.name, e.guild))
        .collect()
}

#[test]
fn roster_is_kept_from_incremental_messages() {
    let (mut core, t0, _) = admitted(Diagnostics::default());
    events(&mut core);
    let entry = |id: u32, name: &str, guild: &str| (id, name.to_string(), guild.to_string());

    core.handle_stream_data(&roster(true, vec![], &[(7, "ann", "Climbers")]), t0);
    assert_eq!(names(&mut core), [entry(7, "ann", "Climbers")]);

    core.handle_stream_data(&roster(false, vec![], &[(9, "bob", "")]), t0);
    assert_eq!(
        names(&mut core),
        [entry(7, "ann", "Climbers"), entry(9, "bob", "")]
    );

    core.handle_stream_data(&roster(false, vec![9], &[]), t0);
    assert_eq!(names(&mut core), [entry(7, "ann", "Climbers")]);

    // A new floor starts over.
    core.handle_stream_data(&roster(true, vec![], &[(3, "cid", "")]), t0);
    assert_eq!(names(&mut core), [entry(3, "cid", "")]);
}

#[test]
fn the_disconnect_reason_is_typed_from_the_servers_last_fatal_error() {
    let t0 = Instant::now();
    let error = |code: pb::ErrorCode| {
        server(server_control::Msg::Error(pb::Error {
            code: code as i32,
            message: "m".into(),
        }))
    };
    let reason_after = |bytes: Vec<u8>, end: &dyn Fn(&mut ClientCore)| {
        let mut core = ClientCore::new(CoreConfig::new(Credentials::Dev { name: "x".into() }), t0);
        core.handle_stream_data(&bytes, t0);
        end(&mut core);
        events(&mut core).into_iter().find_map(|e| match e {
            Event::Disconnected { reason, .. } => Some(reason),
            _ => None,
        })
    };
    let finished = |c: &mut ClientCore| c.handle_stream_finished();
    let lost = |c: &mut ClientCore| c.handle_connection_lost("gone".into());
    use DisconnectReason as R;
    use pb::ErrorCode as E;
    for (code, reason) in [
        (E::Replaced, R::Replaced),
        (E::ServerFull, R::ServerFull),
        (E::Draining, R::ServerShutdown),
        (E::ResumeExpired, R::ResumeExpired),
        (E::AuthFailed, R::AuthFailed),
        (E::BadProtocolVersion, R::VersionMismatch),
        (E::HashMismatch, R::HashMismatch),
        (E::UnexpectedMessage, R::ProtocolError),
    ] {
        assert_eq!(
            reason_after(error(code), &finished),
            Some(reason),
            "{code:?}"
        );
        assert_eq!(reason_after(error(code), &lost), Some(reason), "{code:?}");
    }
    // A warning is not a reason; an unknown code (a newer server) is still an error.
    assert_eq!(
        reason_after(error(E::RateLimited), &lost),
        Some(R::ConnectionLost)
    );
    assert_eq!(reason_after(Vec::new(), &finished), Some(R::ServerClosed));
    let unknown = server(server_control::Msg::Error(pb::Error {
        code: 999,
        message: "new".into(),
    }));
    let mut core = ClientCore::new(CoreConfig::new(Credentials::Dev { name: "x".into() }), t0);
    core.handle_stream_data(&unknown, t0);
    assert!(matches!(
        core.poll_event(),
        Some(Event::Error {
            code: E::ErrorUnspecified,
            ..
        })
    ));
    // Leaving is the player's own doing, whatever comes after.
    let leave = |c: &mut ClientCore| {
        c.disconnect();
        c.handle_stream_finished();
    };
    assert_eq!(reason_after(Vec::new(), &leave), Some(R::Left));
}

// ---- input batching (`input_every_ticks`) ----------------------------------------------

/// A direction the player can walk from `spawn` on the admitted floor.
fn free_direction(core: &ClientCore, spawn: Pos) -> (i8, i8) {
    let (_, floor) = core.floor().expect("admitted");
    [(127i8, 0i8), (-127, 0), (0, 127), (0, -127)]
        .into_iter()
        .find(|(dx, dy)| {
            tower_movement::step(&*floor, spawn, tower_movement::MoveInput::new(*dx, *dy)) != spawn
        })
        .expect("entry has a free neighbour")
}

/// Holds a direction the player can walk in from `spawn`; returns that input.
fn start_walking(core: &mut ClientCore, spawn: Pos) -> PlayerInput {
    let (dx, dy) = free_direction(core, spawn);
    let walk = PlayerInput {
        move_x: dx,
        move_y: dy,
        attack: false,
    };
    core.set_input(walk);
    walk
}

#[test]
fn walking_sends_one_datagram_per_n_ticks_and_an_attack_at_once() {
    assert_eq!(never_calm().input_every_ticks, 2);
    // with calm: a_calm_player_sends_every_3_ticks_and_a_fight_near_every_2
    let (mut core, t0, spawn) = admitted_with(never_calm());
    let mut server = ServerInputs::default();
    let walk = start_walking(&mut core, spawn);
    let sent = run_ticks(&mut core, t0, 0..20, &mut server);
    // one datagram every 2 ticks, each with the newest input and the older unconfirmed
    // ones (the redundancy window): every seq reaches the server, in order
    let ticks: Vec<u32> = sent.iter().map(|(k, _)| *k).collect();
    assert_eq!(ticks, (1..20).step_by(2).collect::<Vec<_>>());
    for (k, d) in &sent {
        assert_eq!(d.newest_seq, k + 1);
        // two periods, at least 4
        assert_eq!(d.inputs.len(), 4.min(*k as usize + 1));
    }
    assert_eq!(server.newest_received, 20);
    // pressing attack sends on that very tick, mid-batch
    core.set_input(PlayerInput {
        attack: true,
        ..walk
    });
    let sent = run_ticks(&mut core, t0, 20..21, &mut server);
    assert_eq!(sent.len(), 1, "the attack goes out at once");
    assert_eq!(sent[0].1.newest_seq, 21);
    assert!(sent[0].1.inputs[0].buttons.attack());
    // releasing waits for the batch; a new press mid-batch sends at once again
    core.set_input(walk);
    let sent = run_ticks(&mut core, t0, 21..23, &mut server);
    assert_eq!(sent.iter().map(|(k, _)| *k).collect::<Vec<_>>(), vec![22]);
    core.set_input(PlayerInput {
        attack: true,
        ..walk
    });
    let sent = run_ticks(&mut core, t0, 23..26, &mut server);
    // pressed on 23 (sent at once), held: ordinary input again, the next batch on 25
    assert_eq!(
        sent.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
        vec![23, 25]
    );
    // stopping: the last neutral input goes out before sending slows to keepalives, so
    // the server has applied every input the client predicted
    // (one more walking tick, so the neutral inputs end mid-batch)
    core.set_input(walk);
    run_ticks(&mut core, t0, 26..27, &mut server);
    core.set_input(PlayerInput::NEUTRAL);
    run_ticks(&mut core, t0, 27..60, &mut server);
    let last_seq = 27 + IDLE_SETTLE_TICKS;
    assert_eq!(server.newest_received, last_seq);
    assert_eq!(server.applied, (1..=last_seq).collect::<Vec<_>>());
    assert!(core.stats().idle_ticks > 0);
}

/// A monster of id `id` at `x, y` (movement units), as the server puts it on the wire.
fn monster(id: u32, x: i32, y: i32, flags: EntityFlags) -> EntityState {
    EntityState {
        id,
        kind: EntityKind::Monster,
        x,
        y,
        health: 20,
        flags,
    }
}

#[test]
fn a_fight_near_is_a_living_monster_or_anything_in_combat_within_the_radius() {
    let calm = CalmPolicy::default();
    let me = player(0, 0);
    let r = calm.radius;
    let in_combat = EntityFlags::default().with(EntityFlags::IN_COMBAT, true);
    let dead = EntityFlags::default().with(EntityFlags::DEAD, true);
    let other = |x, flags| EntityState {
        id: 8,
        flags,
        ..player(x, 0)
    };
    assert!(!calm.fight_near(&me, []));
    assert!(calm.fight_near(&me, [monster(9, r, 0, EntityFlags::default())]));
    assert!(!calm.fight_near(&me, [monster(9, r + 1, 0, EntityFlags::default())]));
    assert!(!calm.fight_near(&me, [monster(9, 1, 0, dead)]));
    assert!(!calm.fight_near(&me, [other(1, EntityFlags::default())]));
    assert!(calm.fight_near(&me, [other(r / 2, in_combat)]));
    assert!(!calm.fight_near(&me, [other(2 * r, in_combat)]));
    let fighting_me = EntityState {
        flags: in_combat,
        ..me
    };
    assert!(calm.fight_near(&fighting_me, []));
}

#[test]
fn a_calm_player_sends_every_3_ticks_and_a_fight_near_every_2() {
    let (mut core, t0, spawn) = admitted(Diagnostics::default());
    let calm = CalmPolicy::default();
    assert_eq!(calm.input_every_ticks, 3);
    let mut server = ServerInputs::default();
    let walk = start_walking(&mut core, spawn);
    let sent_at = |sent: Vec<(u32, InputDatagram)>| -> Vec<u32> {
        sent.into_iter().map(|(k, _)| k).collect()
    };
    let gaps = |ticks: &[u32]| -> Vec<u32> { ticks.windows(2).map(|w| w[1] - w[0]).collect() };
    // nothing near: every 3 ticks, each datagram with the inputs of the last two periods
    let sent = run_ticks(&mut core, t0, 0..12, &mut server);
    assert!(
        sent.iter()
            .all(|(k, d)| d.inputs.len() == 6.min(*k as usize + 1))
    );
    assert_eq!(sent_at(sent), vec![2, 5, 8, 11]);
    assert_eq!(core.stats().calm_ticks, 12);
    assert_eq!(server.newest_received, 12);
    // a snapshot shows a living monster within the radius: every 2 ticks from now on
    let tick = core.tick_interval();
    let mut history = SnapshotHistory::default();
    let mut snapshot = |core: &mut ClientCore, seq: u32, others: Vec<EntityState>, at: u32| {
        let mut entities = vec![player(spawn.x, spawn.y)];
        entities.extend(others.into_iter().map(EntityState::remote_to_wire));
        let payload = history
            .encode_and_record(seq, 0, EntitySet::from_vec(entities))
            .expect("encodes");
        core.handle_datagram(
            &packetize(seq, &payload, 1200).expect("fits")[0],
            t0 + tick * at,
        );
    };
    let near = monster(
        9,
        spawn.x + calm.radius / 2,
        spawn.y,
        EntityFlags::default(),
    );
    // snapshot seqs are server ticks: seq 200 arrives at client tick 12
    snapshot(&mut core, 200, vec![near], 12);
    // drawn `CalmPolicy::interp_delay` behind while calm so far
    let calm_delay = core.render_delay();
    assert!((calm_delay - 0.2).abs() < 1e-6, "{calm_delay}");
    // ...then every 2 ticks for `linger` (2 s, 60 ticks) after the last sign of a fight,
    // then every 3 again; the render delay follows the pace slowly, never in a jump
    let dead = EntityFlags::default().with(EntityFlags::DEAD, true);
    let (mut sent, mut delays) = (Vec::new(), vec![calm_delay]);
    for at in 12..100 {
        sent.extend(sent_at(run_ticks(&mut core, t0, at..at + 1, &mut server)));
        if at > 12 && at % 2 == 0 {
            let gone = monster(9, near.x, near.y, dead);
            snapshot(&mut core, 188 + at, vec![gone], at);
            delays.push(core.render_delay());
        }
    }
    let (fight, after): (Vec<u32>, Vec<u32>) = sent.iter().partition(|&&k| k <= 12 + 60);
    assert_eq!(fight[..4], [13, 15, 17, 19]);
    assert!(gaps(&fight).iter().all(|g| *g == 2), "{fight:?}");
    assert!(gaps(&after[1..]).iter().all(|g| *g == 3), "{after:?}");
    let fastest = delays.iter().copied().fold(f64::MAX, f64::min);
    assert!(fastest < 0.13, "towards 100 ms while fighting: {delays:?}");
    assert!(
        delays.windows(2).all(|w| (w[1] - w[0]).abs() < 0.006),
        "{delays:?}"
    );
    assert!(
        delays[delays.len() - 1] > fastest + 0.02,
        "back towards 200 ms: {delays:?}"
    );
    // pressing attack goes out at once and ends calm
    core.set_input(PlayerInput {
        attack: true,
        ..walk
    });
    let sent = sent_at(run_ticks(&mut core, t0, 100..101, &mut server));
    assert_eq!(sent, vec![100]);
    core.set_input(walk);
    let sent = sent_at(run_ticks(&mut core, t0, 101..110, &mut server));
    assert!(gaps(&sent).iter().all(|g| *g == 2), "{sent:?}");
    assert_eq!(server.newest_received, 109);
}

#[test]
fn batched_inputs_predict_without_corrections() {
    // The server applies each datagram's new inputs in order (one per tick here; the real
    // one may apply a batch in one tick with its credit): positions agree, no correction.
    let (mut core, t0, spawn) = admitted(Diagnostics::default());
    let mut server = ServerInputs::default();
    let walk = start_walking(&mut core, spawn);
    let sent = run_ticks(&mut core, t0, 0..12, &mut server);
    let (_, floor) = core.floor().expect("admitted");
    let mut pos = spawn;
    let mut at = std::collections::HashMap::new();
    for (_, d) in &sent {
        for (i, cmd) in d.inputs.iter().enumerate().rev() {
            let seq = d.newest_seq - i as u32;
            if at.contains_key(&seq) {
                continue;
            }
            pos = tower_movement::step(
                &*floor,
                pos,
                tower_movement::MoveInput::new(walk.move_x, walk.move_y),
            );
            assert_eq!(
                (cmd.predicted_x, cmd.predicted_y),
                (pos.x, pos.y),
                "seq {seq}"
            );
            at.insert(seq, pos);
        }
    }
    assert_eq!(at.len(), 12);
    let mut hist = SnapshotHistory::default();
    let p = at[&12];
    let payload = hist
        .encode_and_record(500, 12, EntitySet::from_vec(vec![player(p.x, p.y)]))
        .expect("encodable");
    let tick = core.tick_interval();
    core.handle_datagram(
        &packetize(500, &payload, 1200).expect("fits")[0],
        t0 + tick * 12,
    );
    assert_eq!(core.stats().corrections, 0);
}

/// The client's ticks are phased so a datagram sent on one reaches the server 12 ms before
/// a server tick, whatever the round trip: shift + RTT + 12 ms is a whole number of ticks.
#[test]
fn input_datagrams_are_phased_to_land_just_before_a_server_tick() {
    let tick = Duration::from_nanos(1_000_000_000 / 30);
    let lead = Duration::from_millis(12);
    for rtt_ms in [0u64, 1, 9, 21, 50, 150, 400] {
        let rtt = Duration::from_millis(rtt_ms);
        let shift = crate::core::input_phase(tick, rtt);
        assert!(shift < tick, "rtt {rtt_ms} ms: shift {shift:?}");
        let total = (shift + rtt + lead).as_nanos();
        assert_eq!(
            total % tick.as_nanos(),
            0,
            "rtt {rtt_ms} ms: shift {shift:?}"
        );
    }
    assert_eq!(
        crate::core::input_phase(tick, Duration::from_millis(1)),
        tick - Duration::from_millis(13)
    );
}

/// A roster message of `count` players from `first` on, each name and guild `chars` two-byte
/// characters long (at [`tower_protocol::MAX_NAME_CHARS`], both bounds are reached).
fn flood(first: u32, count: u32, chars: usize) -> Vec<u8> {
    let name = "é".repeat(chars);
    server(server_control::Msg::Roster(pb::Roster {
        entries: (first..first + count)
            .map(|entity_id| pb::RosterEntry {
                entity_id,
                name: name.clone(),
                guild: name.clone(),
            })
            .collect(),
        left: vec![],
        reset: false,
    }))
}

fn closed_for(core: &mut ClientCore) -> Option<(DisconnectReason, String)> {
    events(core).into_iter().find_map(|e| match e {
        Event::Disconnected { reason, message } => Some((reason, message)),
        _ => None,
    })
}

#[test]
fn a_roster_past_its_bound_closes_the_connection() {
    let (mut core, t0, _) = admitted(Diagnostics::default());
    events(&mut core);
    // A game that polls every event: the roster itself is what grows.
    let mut sent = 0u32;
    while !core.is_closed() && sent < 2 * tower_protocol::MAX_ROSTER_ENTRIES as u32 {
        core.handle_stream_data(&flood(sent, 50, tower_protocol::MAX_NAME_CHARS), t0);
        sent += 50;
        assert!(core.roster().len() <= tower_protocol::MAX_ROSTER_ENTRIES);
        if !core.is_closed() {
            events(&mut core);
        }
    }
    assert!(core.is_closed(), "never closed after {sent} players");
    assert_eq!(
        core.roster().len(),
        tower_protocol::MAX_ROSTER_ENTRIES / 50 * 50,
        "the refused message changed nothing"
    );
    let (reason, message) = closed_for(&mut core).expect("a Disconnected event");
    assert_eq!(reason, DisconnectReason::ProtocolError);
    assert!(message.contains("at most 4096"), "{message}");
}

#[test]
fn names_over_the_wire_bound_close_the_connection() {
    for (name, guild) in [
        (
            "x".repeat(tower_protocol::MAX_NAME_BYTES + 1),
            String::new(),
        ),
        ("ann".into(), "é".repeat(tower_protocol::MAX_NAME_CHARS + 1)),
    ] {
        let (mut core, t0, _) = admitted(Diagnostics::default());
        events(&mut core);
        let msg = server(server_control::Msg::Roster(pb::Roster {
            entries: vec![pb::RosterEntry {
                entity_id: 4,
                name,
                guild,
            }],
            left: vec![],
            reset: false,
        }));
        core.handle_stream_data(&msg, t0);
        assert!(core.roster().is_empty());
        let (reason, message) = closed_for(&mut core).expect("closed");
        assert_eq!(reason, DisconnectReason::ProtocolError);
        assert!(message.contains("roster entry 4"), "{message}");
    }
}

#[test]
fn events_nobody_polls_are_bounded_in_count_and_bytes() {
    // Small messages: the count bound is reached first.
    let (mut core, t0, _) = admitted(Diagnostics::default());
    events(&mut core);
    let update = flood(1, 1, 1);
    for _ in 0..10 * MAX_PENDING_EVENTS {
        core.handle_stream_data(&update, t0);
        if core.is_closed() {
            break;
        }
    }
    assert!(core.is_closed());
    let queued = events(&mut core);
    assert_eq!(
        queued.len(),
        MAX_PENDING_EVENTS + 1,
        "the bound, then Disconnected"
    );
    let Some(Event::Disconnected { reason, message }) = queued.last() else {
        panic!("{:?}", queued.last())
    };
    assert_eq!(*reason, DisconnectReason::ProtocolError);
    assert!(message.contains("not yet polled"), "{message}");

    // Large messages (the same 40 players again and again, names at the bound): bytes first.
    let (mut core, t0, _) = admitted(Diagnostics::default());
    events(&mut core);
    let update = flood(1, 40, tower_protocol::MAX_NAME_CHARS);
    let mut sent = 0;
    while !core.is_closed() && sent < MAX_PENDING_EVENTS {
        core.handle_stream_data(&update, t0);
        sent += 1;
    }
    assert!(core.is_closed());
    assert!(
        sent < MAX_PENDING_EVENTS / 2,
        "closed by bytes after {sent}"
    );
    assert_eq!(core.roster().len(), 40);
    let queued = events(&mut core);
    let bytes: usize = queued
        .iter()
        .map(|e| match e {
            Event::Roster(c) => c.entries.iter().map(|r| r.name.len() + r.guild.len()).sum(),
            _ => 0,
        })
        .sum();
    assert!(bytes <= MAX_PENDING_EVENT_BYTES, "{bytes}");
}
