//! End to end over loopback: the real server (its own free 127.0.0.1 port per test) with the
//! real tower-client, plus a raw quinn client for the misbehaviour a good client never shows.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};
use tower_client::{
    CertFingerprint, Client, ClientConfig, ClientPool, Credentials, DisconnectReason, ErrorCode,
    Event, PlayerInput, Trust,
};
use tower_meta::Backends;
use tower_protocol::pb::server_control;
use tower_protocol::{InputCmd, InputDatagram};
use tower_server::metrics::DropReason;
use tower_server::{Config, ServerHandle};

mod raw;
use raw::Raw;

fn test_config(tag: &str) -> Config {
    let dir = std::env::temp_dir().join(format!("tower-e2e-{}-{tag}", std::process::id()));
    Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        metrics_listen: "127.0.0.1:0".parse().unwrap(),
        cert_dir: dir,
        handshake_timeout_secs: 1,
        ..Config::default()
    }
}

async fn start(tag: &str) -> ServerHandle {
    start_with(test_config(tag), Backends::dev()).await
}

/// Starts the server; its certificate directory is removed once the identity is loaded.
async fn start_with(config: Config, backends: Backends) -> ServerHandle {
    let players = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let certs = config.cert_dir.clone();
    let h = tower_server::start(config, backends, true, players)
        .await
        .expect("server starts");
    let _ = std::fs::remove_dir_all(certs);
    h
}

fn trust(h: &ServerHandle) -> Trust {
    Trust::Fingerprint(CertFingerprint::parse(&h.fingerprint).unwrap())
}

fn client_config(h: &ServerHandle, name: &str) -> ClientConfig {
    ClientConfig::new(h.addr, trust(h), Credentials::Dev { name: name.into() })
}

/// Polls `client` until `want` matches an event (or panics after `secs`).
async fn wait_for(client: &Client, secs: u64, mut want: impl FnMut(&Event) -> bool) -> Event {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        while let Some(e) = client.poll_event() {
            if want(&e) {
                return e;
            }
            seen.push(e);
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("event not seen within {secs} s; saw {seen:?}");
}

async fn admitted(h: &ServerHandle, name: &str) -> Client {
    let client = Client::connect(client_config(h, name)).unwrap();
    wait_for(&client, 10, |e| matches!(e, Event::FloorAdmitted { .. })).await;
    client
}

fn is_error(e: &Event, code: ErrorCode) -> bool {
    matches!(e, Event::Error { code: c, .. } if *c == code)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_prove_the_floor_move_and_see_the_position_change() {
    let h = start("move").await;
    let client = admitted(&h, "mover").await;
    let start_pos = client.predicted_position().unwrap();
    client.send_input(PlayerInput {
        move_x: 0,
        move_y: 127,
        attack: false,
    });
    tokio::time::sleep(Duration::from_millis(600)).await;
    client.send_input(PlayerInput::default());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let end = client.predicted_position().unwrap();
    assert_ne!(start_pos, end, "the player moved");
    let stats = client.stats();
    assert!(stats.snapshots > 5, "{stats:?}");
    assert_eq!(stats.floors_verified, 1);
    // The server's own player in the snapshots agrees with the prediction (no corrections).
    let id = client.entity_id().unwrap();
    let seen = client.interpolated_entities(Instant::now());
    assert!(
        seen.iter().any(|e| e.id == id),
        "own player in the snapshot"
    );
    assert_eq!(h.players(), 1);
    assert!(h.metrics.bytes_out.get() > 0 && h.metrics.datagrams_in.get() > 0);
    drop(client);
    h.shutdown().await;
}

/// On a path with a round trip the server's ACK-frequency request lets the client's ACK of
/// each snapshot ride in its next input datagram: a moving player sends about one packet
/// per input. With QUIC's default 25 ms ACK delay nearly every snapshot cost the client an
/// ACK-only packet of its own as well (up to twice the packets).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_path_with_a_round_trip_acks_ride_in_inputs() {
    let h = start("rtt").await;
    let rtt = Duration::from_millis(100);
    let pool = ClientPool::with_path_delay(1, tower_client::PathDelay::fixed(rtt)).unwrap();
    let client = pool.connect(client_config(&h, "far")).unwrap();
    wait_for(&client, 10, |e| matches!(e, Event::FloorAdmitted { .. })).await;
    // Walk in a circle (a player who holds still sends keepalives only); let the round
    // trip estimate and the ACK-frequency request settle first.
    let walk = |i: u32| {
        let a = f64::from(i) * 0.3;
        PlayerInput {
            move_x: (a.cos() * 120.0) as i8,
            move_y: (a.sin() * 120.0) as i8,
            attack: false,
        }
    };
    for i in 0..15 {
        client.send_input(walk(i));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let before = client.stats();
    for i in 15..45 {
        client.send_input(walk(i));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let after = client.stats();
    assert!(after.rtt.unwrap() >= rtt, "{after:?}");
    let inputs = after.inputs_sent - before.inputs_sent;
    let packets = after.udp_tx_datagrams - before.udp_tx_datagrams;
    let snapshots = after.snapshots - before.snapshots;
    assert!(
        inputs >= 20 && snapshots >= 20,
        "{inputs} inputs, {snapshots} snapshots"
    );
    assert!(
        packets * 4 <= inputs * 5 + 12,
        "{packets} packets for {inputs} inputs and {snapshots} snapshots"
    );
    drop(client);
    h.shutdown().await;
}

/// Waits for a roster message naming `name` and returns that entry's guild.
async fn roster_names(client: &Client, name: &str) -> String {
    let e = wait_for(
        client,
        10,
        |e| matches!(e, Event::Roster(change) if change.entries.iter().any(|r| r.name == name)),
    )
    .await;
    let Event::Roster(change) = e else {
        unreachable!("wait_for returned a roster")
    };
    change
        .entries
        .into_iter()
        .find(|r| r.name == name)
        .map(|r| r.guild)
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn players_on_a_floor_see_each_other_on_the_roster() {
    let h = start("roster").await;
    let ann = admitted(&h, "ann").await;
    assert_eq!(
        roster_names(&ann, "ann").await,
        "",
        "dev mode has no guilds"
    );
    let bob = admitted(&h, "bob").await;
    // Bob's admission brings him the whole floor; Ann hears of Bob alone.
    assert_eq!(roster_names(&bob, "ann").await, "");
    assert_eq!(roster_names(&ann, "bob").await, "");
    drop((ann, bob));
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_floor_hash_is_refused_and_others_are_unaffected() {
    let h = start("hash").await;
    let good = admitted(&h, "good").await;
    let mut cfg = client_config(&h, "cheat");
    cfg.core.diagnostics.wrong_floor_proof = true;
    let bad = Client::connect(cfg).unwrap();
    let e = wait_for(&bad, 10, |e| matches!(e, Event::Error { .. })).await;
    let Event::Error { code, message } = e else {
        unreachable!()
    };
    assert_eq!(code, ErrorCode::HashMismatch);
    assert!(
        message.contains("expected") && message.contains("generator v"),
        "{message}"
    );
    let e = wait_for(&bad, 5, |e| matches!(e, Event::Disconnected { .. })).await;
    assert!(
        matches!(
            e,
            Event::Disconnected {
                reason: DisconnectReason::HashMismatch,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(h.metrics.hash_mismatches.get(), 1);
    assert!(!good.is_closed());
    good.send_input(PlayerInput {
        move_x: 127,
        move_y: 0,
        attack: false,
    });
    let before = good.stats().snapshots;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        good.stats().snapshots > before,
        "the honest player keeps getting snapshots"
    );
    drop(good);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_oversized_and_unknown_frames_close_only_that_connection() {
    let h = start("frames").await;
    let good = admitted(&h, "good").await;
    let cases: [(Vec<u8>, ErrorCode); 3] = [
        // A frame of 3 bytes that are not protobuf.
        (vec![3, 0xff, 0xff, 0xff], ErrorCode::MalformedMessage),
        // A length prefix of 1 MiB, over the 16 KiB frame limit.
        (vec![0x80, 0x80, 0x40], ErrorCode::MalformedMessage),
        // An empty ClientControl: no message type this server knows.
        (vec![0], ErrorCode::UnexpectedMessage),
    ];
    for (bytes, code) in cases {
        let mut cfg = client_config(&h, "raw");
        cfg.core.diagnostics.raw_hello = Some(bytes.clone());
        let c = Client::connect(cfg).unwrap();
        let e = wait_for(&c, 10, |e| matches!(e, Event::Error { .. })).await;
        assert!(is_error(&e, code), "{bytes:?}: {e:?}");
        wait_for(&c, 5, |e| matches!(e, Event::Disconnected { .. })).await;
    }
    assert!(!good.is_closed(), "other players are unaffected");
    drop(good);
    h.shutdown().await;
}

fn input_datagram(seq: u32) -> Vec<u8> {
    InputDatagram {
        ack: None,
        newest_seq: seq,
        inputs: vec![InputCmd {
            move_x: 127,
            ..Default::default()
        }],
    }
    .encode()
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn datagrams_before_the_handshake_are_dropped_and_counted() {
    let h = start("early").await;
    let raw = Raw::connect(&h, None).await;
    for seq in 1..=20 {
        raw.conn.send_datagram(input_datagram(seq).into()).unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while h.metrics.dropped_count(DropReason::BeforeHandshake) < 20 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(h.metrics.dropped_count(DropReason::BeforeHandshake), 20);
    assert_eq!(h.players(), 0, "nothing reached the game");
    let c = admitted(&h, "after").await;
    drop(c);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_input_flood_is_rate_limited_without_killing_the_connection() {
    let h = start("flood").await;
    let mut raw = Raw::join(&h, "flooder", None).await;
    for seq in 1..=1000 {
        let _ = raw.conn.send_datagram(input_datagram(seq).into());
    }
    // The first drop earns one RATE_LIMITED warning on the control stream; no close.
    let warning = raw.next().await;
    assert!(
        matches!(&warning, server_control::Msg::Error(e) if e.code == ErrorCode::RateLimited as i32),
        "{warning:?}"
    );
    assert!(h.metrics.dropped_count(DropReason::RateLimited) > 0);
    assert!(raw.conn.close_reason().is_none(), "still connected");
    let good = admitted(&h, "bystander").await;
    assert!(!good.is_closed());
    drop(good);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_vanishing_mid_handshake_is_cleaned_up() {
    let h = start("vanish").await;
    // One never sends a Hello: timed out after 1 s.
    let mut silent = Raw::connect(&h, None).await;
    silent.open().await;
    // One sends half a Hello frame and goes away.
    let mut half = Raw::connect(&h, None).await;
    half.open().await;
    half.send
        .as_mut()
        .unwrap()
        .write_all(&[40, 1, 2])
        .await
        .unwrap();
    half.conn.close(0u32.into(), b"gone");
    let deadline = Instant::now() + Duration::from_secs(5);
    while (h.metrics.handshake_timeouts.get() < 1 || h.metrics.connections.get() > 0)
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(h.metrics.handshake_timeouts.get(), 1);
    assert_eq!(h.metrics.connections.get(), 0, "both connections are gone");
    assert_eq!(h.players(), 0);
    let c = admitted(&h, "next").await;
    drop(c);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_tells_clients_and_saves_their_state() {
    let backends = Backends::dev();
    let store = std::sync::Arc::clone(&backends.store);
    let h = start_with(test_config("shutdown"), backends).await;
    let c = admitted(&h, "saver").await;
    let metrics_addr = h.metrics_addr;
    let body = http_get(metrics_addr, "/metrics").await;
    assert!(
        body.contains("tower_tick_duration_seconds_bucket"),
        "{body}"
    );
    assert!(body.contains("tower_players 1"), "{body}");
    assert!(
        http_get(metrics_addr, "/other")
            .await
            .starts_with("HTTP/1.1 404")
    );
    h.shutdown().await;
    let e = wait_for(&c, 5, |e| matches!(e, Event::Disconnected { .. })).await;
    assert!(
        matches!(&e, Event::Disconnected { reason: DisconnectReason::ServerShutdown, message } if message.contains("shutdown")),
        "{e:?}"
    );
    let saved = store.load("dev:saver").await.unwrap();
    assert!(saved.is_some(), "state saved on shutdown");
}

/// A state store whose saves take a while to land, like Nakama under load.
struct SlowStore {
    inner: tower_meta::MemoryStore,
    landed: std::sync::atomic::AtomicBool,
}

#[async_trait::async_trait]
impl tower_meta::StateStore for SlowStore {
    async fn load(
        &self,
        player_id: &str,
    ) -> Result<Option<(tower_meta::PlayerState, tower_meta::Version)>, tower_meta::StoreError>
    {
        self.inner.load(player_id).await
    }

    async fn save(
        &self,
        player_id: &str,
        state: &tower_meta::PlayerState,
        expected: &tower_meta::Version,
        attempt: &tower_meta::SaveAttempt,
    ) -> Result<tower_meta::Version, tower_meta::StoreError> {
        tokio::time::sleep(Duration::from_millis(400)).await;
        let version = self.inner.save(player_id, state, expected, attempt).await?;
        self.landed.store(true, std::sync::atomic::Ordering::SeqCst);
        Ok(version)
    }
}

/// A drained player queues for another server at once: their state must be saved before
/// they are told to go, or the next server loads an older one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_saves_before_it_tells_the_players() {
    let store = std::sync::Arc::new(SlowStore {
        inner: tower_meta::MemoryStore::default(),
        landed: std::sync::atomic::AtomicBool::new(false),
    });
    let backends = Backends {
        store: std::sync::Arc::clone(&store) as std::sync::Arc<dyn tower_meta::StateStore>,
        ..Backends::dev()
    };
    let h = start_with(test_config("save-first"), backends).await;
    let c = admitted(&h, "mover").await;
    let stopping = tokio::spawn(h.shutdown());
    wait_for(&c, 5, |e| matches!(e, Event::Disconnected { .. })).await;
    assert!(
        store.landed.load(std::sync::atomic::Ordering::SeqCst),
        "the player was told to leave before their state was saved"
    );
    stopping.await.unwrap();
}

async fn http_get(addr: std::net::SocketAddr, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nhost: x\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    out
}
