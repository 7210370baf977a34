//! The network shell against a minimal in-test QUIC server on 127.0.0.1: certificate
//! pinning and CA trust over a real TLS handshake, the control-stream handshake, and
//! datagrams both ways (a snapshot down, an input carrying its ack up).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;
use tower_client::{
    CertFingerprint, Client, ClientConfig, Credentials, Event, PlayerInput, ServerAddress, Trust,
};
use tower_protocol::pb::{self, client_control, server_control};
use tower_protocol::{
    EntityFlags, EntityKind, EntitySet, EntityState, FrameDecoder, InputDatagram, SnapshotHistory,
};

const SEED: u64 = 9;

struct TestServer {
    addr: SocketAddr,
    /// The first input datagram the server received after sending its snapshot.
    input: oneshot::Receiver<InputDatagram>,
    /// How the connection ended, seen by the server (after the input was reported).
    left: oneshot::Receiver<quinn::ConnectionError>,
    _rt: tokio::runtime::Runtime,
}

fn server_config(chain: Vec<CertificateDer<'static>>, key: &KeyPair) -> quinn::ServerConfig {
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut tls = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    tls.alpn_protocols = vec![tower_protocol::ALPN.to_vec()];
    quinn::ServerConfig::with_crypto(Arc::new(
        quinn::crypto::rustls::QuicServerConfig::try_from(tls).unwrap(),
    ))
}

async fn read_frame(recv: &mut quinn::RecvStream, dec: &mut FrameDecoder) -> client_control::Msg {
    loop {
        if let Some(f) = dec.next_frame().unwrap() {
            return tower_protocol::decode_client(&f).unwrap();
        }
        let chunk = recv
            .read_chunk(4096, true)
            .await
            .unwrap()
            .expect("stream open");
        dec.push(&chunk.bytes);
    }
}

/// Serves one client: Welcome, FloorEnter, (proof) FloorAdmitted, one snapshot; then
/// reports the first input datagram.
async fn serve_one(
    endpoint: quinn::Endpoint,
    tx: oneshot::Sender<InputDatagram>,
    left: oneshot::Sender<quinn::ConnectionError>,
) {
    let Some(incoming) = endpoint.accept().await else {
        return;
    };
    let Ok(conn) = incoming.await else { return };
    let Ok((mut send, mut recv)) = conn.accept_bi().await else {
        return;
    };
    let mut dec = FrameDecoder::new();
    let client_control::Msg::Hello(hello) = read_frame(&mut recv, &mut dec).await else {
        panic!("Hello first")
    };
    assert_eq!(hello.protocol_version, tower_protocol::PROTOCOL_VERSION);
    let floor = procgen::generate(SEED, 0);
    let welcome = pb::Welcome {
        entity_id: 5,
        tick_rate_hz: 30,
        resume_token: vec![1; 16],
        server_tick: 1,
        display_name: "t".into(),
        resumed: false,
    };
    let enter = pb::FloorEnter {
        seed: SEED,
        floor: 0,
        generator_version: procgen::GENERATOR_VERSION,
        hash: floor.hash().0.to_vec(),
    };
    for m in [
        server_control::Msg::Welcome(welcome),
        server_control::Msg::FloorEnter(enter),
    ] {
        send.write_all(&tower_protocol::encode_server(m).unwrap())
            .await
            .unwrap();
    }
    let client_control::Msg::FloorProof(proof) = read_frame(&mut recv, &mut dec).await else {
        panic!("FloorProof")
    };
    assert_eq!(proof.hash, floor.hash().0.to_vec());
    let spawn =
        tower_movement::Pos::tile_center(i32::from(floor.entry.0), i32::from(floor.entry.1));
    let admitted = pb::FloorAdmitted {
        floor: 0,
        spawn_x: spawn.x,
        spawn_y: spawn.y,
        server_tick: 1,
    };
    send.write_all(
        &tower_protocol::encode_server(server_control::Msg::FloorAdmitted(admitted)).unwrap(),
    )
    .await
    .unwrap();
    let me = EntityState {
        id: 5,
        kind: EntityKind::Player,
        x: spawn.x,
        y: spawn.y,
        health: 100,
        flags: EntityFlags::default(),
    };
    let mut history = SnapshotHistory::default();
    let payload = history
        .encode_and_record(10, 0, EntitySet::from_vec(vec![me]))
        .unwrap();
    let max = conn.max_datagram_size().expect("datagrams enabled");
    // keep sending the snapshot until an input acks it (datagrams may be lost)
    loop {
        for d in tower_protocol::packetize(10, &payload, max).unwrap() {
            conn.send_datagram(d.into()).unwrap();
        }
        match tokio::time::timeout(Duration::from_millis(200), conn.read_datagram()).await {
            Ok(Ok(d)) => {
                let input = InputDatagram::decode(&d).unwrap();
                if input.ack == Some(10) {
                    let _ = tx.send(input);
                    break;
                }
            }
            Ok(Err(_)) => return,
            Err(_) => {}
        }
    }
    // stay up until the client leaves
    if let Ok(reason) = tokio::time::timeout(Duration::from_secs(5), conn.closed()).await {
        let _ = left.send(reason);
    }
}

fn start_server(chain: Vec<CertificateDer<'static>>, key: &KeyPair) -> TestServer {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let cfg = server_config(chain, key);
    let endpoint = {
        let _g = rt.enter();
        quinn::Endpoint::server(cfg, "127.0.0.1:0".parse().unwrap()).unwrap()
    };
    let addr = endpoint.local_addr().unwrap();
    let (tx, rx) = oneshot::channel();
    let (left_tx, left) = oneshot::channel();
    rt.spawn(serve_one(endpoint, tx, left_tx));
    TestServer {
        addr,
        input: rx,
        left,
        _rt: rt,
    }
}

fn self_signed() -> (CertificateDer<'static>, KeyPair) {
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    (cert.der().clone(), key)
}

fn dev() -> Credentials {
    Credentials::Dev {
        name: "tester".into(),
    }
}

/// Polls events until `done` says so or 10 s pass; returns all events seen.
fn wait_events(client: &Client, mut done: impl FnMut(&Event) -> bool) -> Vec<Event> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        while let Some(e) = client.poll_event() {
            let stop = done(&e);
            seen.push(e);
            if stop {
                return seen;
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("timed out; events so far: {seen:?}");
}

#[test]
fn pinned_fingerprint_full_session() {
    let (cert, key) = self_signed();
    let pin = CertFingerprint::of(cert.as_ref());
    let mut server = start_server(vec![cert], &key);
    let client = Client::connect(ClientConfig::new(
        server.addr,
        Trust::Fingerprint(pin),
        dev(),
    ))
    .unwrap();
    client.send_input(PlayerInput {
        move_x: 0,
        move_y: 0,
        attack: true,
    });
    let events = wait_events(&client, |e| matches!(e, Event::FloorAdmitted { .. }));
    assert!(matches!(events[0], Event::Connected));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Welcome { entity_id: 5, .. }))
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::FloorEntered { matches: true, .. }))
    );
    // the server gets an input datagram that acks its snapshot
    let deadline = Instant::now() + Duration::from_secs(10);
    let input = loop {
        if let Ok(i) = server.input.try_recv() {
            break i;
        }
        assert!(Instant::now() < deadline, "no input acking the snapshot");
        std::thread::sleep(Duration::from_millis(5));
    };
    assert!(input.inputs[0].buttons.attack());
    let stats = client.stats();
    assert!(stats.snapshots >= 1 && stats.inputs_sent >= 1 && stats.floors_verified == 1);
    assert!(stats.udp_rx_bytes > 0 || stats.rtt.is_some());
    assert!(client.predicted_position().is_some());
    let view = client.interpolated_entities(Instant::now());
    assert_eq!(view.iter().map(|e| e.id).collect::<Vec<_>>(), vec![5]);
    client.disconnect();
    wait_events(&client, |e| matches!(e, Event::Disconnected { .. }));
    assert!(client.is_closed());
}

#[test]
fn wrong_fingerprint_is_refused() {
    let (cert, key) = self_signed();
    let server = start_server(vec![cert], &key);
    let client = Client::connect(ClientConfig::new(
        server.addr,
        Trust::Fingerprint(CertFingerprint([7; 32])),
        dev(),
    ))
    .unwrap();
    let events = wait_events(&client, |e| matches!(e, Event::Disconnected { .. }));
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, Event::Connected | Event::Welcome { .. })),
        "{events:?}"
    );
}

#[test]
fn ca_file_trust_checks_chain_and_name() {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .signed_by(&leaf_key, &ca)
        .unwrap();
    let dir = std::env::temp_dir().join(format!("tower-client-ca-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca_file = dir.join("ca.pem");
    std::fs::write(&ca_file, ca.pem()).unwrap();

    let chain = vec![leaf.der().clone(), ca.der().clone()];
    let good = start_server(chain.clone(), &leaf_key);
    let client = Client::connect(ClientConfig::new(
        good.addr,
        Trust::CaFile(ca_file.clone()),
        dev(),
    ))
    .unwrap();
    wait_events(&client, |e| matches!(e, Event::Welcome { .. }));

    let other = start_server(chain, &leaf_key);
    let mut cfg = ClientConfig::new(other.addr, Trust::CaFile(ca_file), dev());
    cfg.server_name = "not-the-server.example".into();
    let client = Client::connect(cfg).unwrap();
    let events = wait_events(&client, |e| matches!(e, Event::Disconnected { .. }));
    assert!(!events.iter().any(|e| matches!(e, Event::Welcome { .. })));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn nothing_listening_ends_in_disconnected() {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = socket.local_addr().unwrap();
    drop(socket);
    let mut cfg = ClientConfig::new(addr, Trust::Fingerprint(CertFingerprint([0; 32])), dev());
    cfg.connect_timeout = Duration::from_millis(500);
    let client = Client::connect(cfg).unwrap();
    let events = wait_events(&client, |e| matches!(e, Event::Disconnected { .. }));
    assert_eq!(events.len(), 1);
}

/// Waits up to 10 s for the server's first input datagram (it acks the snapshot).
fn wait_input(server: &mut TestServer) -> InputDatagram {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(i) = server.input.try_recv() {
            return i;
        }
        assert!(Instant::now() < deadline, "no input acking the snapshot");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn a_host_name_is_resolved_by_the_client_not_the_caller() {
    let (cert, key) = self_signed();
    let pin = CertFingerprint::of(cert.as_ref());
    let mut server = start_server(vec![cert], &key);
    // "localhost" goes through the system resolver (no special case); IPv4 is preferred, so
    // it reaches the server on 127.0.0.1 even where localhost also resolves to ::1.
    let address = ServerAddress::parse(&format!("localhost:{}", server.addr.port())).unwrap();
    assert!(matches!(address, ServerAddress::Host { .. }));
    let started = Instant::now();
    let client =
        Client::connect(ClientConfig::new(address, Trust::Fingerprint(pin), dev())).unwrap();
    assert!(
        started.elapsed() < Duration::from_millis(100),
        "connect returned after {:?}",
        started.elapsed()
    );
    wait_events(&client, |e| matches!(e, Event::FloorAdmitted { .. }));
    wait_input(&mut server);
}

#[test]
fn dropping_a_connected_client_returns_at_once_and_still_leaves() {
    let (cert, key) = self_signed();
    let pin = CertFingerprint::of(cert.as_ref());
    let mut server = start_server(vec![cert], &key);
    let client = Client::connect(ClientConfig::new(
        server.addr,
        Trust::Fingerprint(pin),
        dev(),
    ))
    .unwrap();
    wait_events(&client, |e| matches!(e, Event::FloorAdmitted { .. }));
    wait_input(&mut server);
    let started = Instant::now();
    drop(client);
    let took = started.elapsed();
    // Before the fix this waited for the close (250 ms here: the test server never answers
    // the Leave); a game thread must not stall.
    assert!(
        took < Duration::from_millis(50),
        "drop blocked for {took:?}"
    );
    // The connection still closes politely in the background.
    let deadline = Instant::now() + Duration::from_secs(5);
    let reason = loop {
        match server.left.try_recv() {
            Ok(reason) => break reason,
            Err(oneshot::error::TryRecvError::Empty) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => panic!("the server never saw the client go: {e:?}"),
        }
    };
    assert!(
        matches!(reason, quinn::ConnectionError::ApplicationClosed(ref c) if &c.reason[..] == b"leave"),
        "{reason:?}"
    );
}

/// A hostile server: after the Welcome it sends Roster messages of ever new players with
/// names at the wire bound, as fast as the client reads them, until the client hangs up
/// (at most 20,000 messages, ~260 MB, or 20 s). Reports how many it sent and how the
/// connection ended.
async fn flood_rosters(endpoint: quinn::Endpoint, done: oneshot::Sender<(u32, String)>) {
    let Some(incoming) = endpoint.accept().await else {
        return;
    };
    let Ok(conn) = incoming.await else { return };
    let Ok((mut send, mut recv)) = conn.accept_bi().await else {
        return;
    };
    let mut dec = FrameDecoder::new();
    let client_control::Msg::Hello(_) = read_frame(&mut recv, &mut dec).await else {
        panic!("Hello first")
    };
    let welcome = server_control::Msg::Welcome(pb::Welcome {
        entity_id: 1,
        tick_rate_hz: 30,
        resume_token: vec![1; 16],
        server_tick: 1,
        display_name: "victim".into(),
        resumed: false,
    });
    send.write_all(&tower_protocol::encode_server(welcome).unwrap())
        .await
        .unwrap();
    let name = "é".repeat(tower_protocol::MAX_NAME_CHARS);
    let started = Instant::now();
    let mut sent = 0u32;
    let ended = loop {
        if sent == 20_000 || started.elapsed() > Duration::from_secs(20) {
            break "the client never hung up".to_owned();
        }
        let first = sent * 50;
        let roster = server_control::Msg::Roster(pb::Roster {
            entries: (first..first + 50)
                .map(|entity_id| pb::RosterEntry {
                    entity_id,
                    name: name.clone(),
                    guild: name.clone(),
                })
                .collect(),
            left: vec![],
            reset: false,
        });
        let frame = tower_protocol::encode_server(roster).unwrap();
        match tokio::time::timeout(Duration::from_secs(5), send.write_all(&frame)).await {
            Ok(Ok(())) => sent += 1,
            Ok(Err(e)) => break e.to_string(),
            Err(_) => break "write stalled".to_owned(),
        }
    };
    let _ = done.send((sent, ended));
}

#[test]
fn a_server_flooding_rosters_is_cut_off_at_the_clients_bounds() {
    let (cert, key) = self_signed();
    let pin = CertFingerprint::of(cert.as_ref());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let endpoint = {
        let _g = rt.enter();
        quinn::Endpoint::server(
            server_config(vec![cert], &key),
            "127.0.0.1:0".parse().unwrap(),
        )
        .unwrap()
    };
    let addr = endpoint.local_addr().unwrap();
    let (tx, mut flood) = oneshot::channel();
    rt.spawn(flood_rosters(endpoint, tx));
    let client = Client::connect(ClientConfig::new(addr, Trust::Fingerprint(pin), dev())).unwrap();
    // A game busy elsewhere: it polls no event while the flood lasts.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !client.is_closed() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(client.is_closed(), "the client never closed");
    let (sent, ended) = loop {
        if let Ok(result) = flood.try_recv() {
            break result;
        }
        assert!(Instant::now() < deadline, "the server never stopped");
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut events = Vec::new();
    while let Some(e) = client.poll_event() {
        events.push(e);
    }
    assert!(
        events.len() <= tower_client::MAX_PENDING_EVENTS + 1,
        "{}",
        events.len()
    );
    assert!(client.roster().len() <= tower_protocol::MAX_ROSTER_ENTRIES);
    let Some(Event::Disconnected { reason, message }) = events.last() else {
        panic!("{:?}", events.last())
    };
    assert_eq!(*reason, tower_client::DisconnectReason::ProtocolError);
    assert!(message.contains("not yet polled"), "{message}");
    assert!(
        sent < 20_000,
        "{sent} rosters sent; the server saw: {ended}"
    );
    eprintln!(
        "flood cut off after {sent} rosters ({} players), {} events held, server saw: {ended}",
        sent * 50,
        events.len()
    );
}
