//! The fleet on this machine (issue 12): the native Nakama stack, three `tower-server`
//! processes each beside its own fake Agones sidecar, and 42 bots through the matchmaker.
//! Placement (least-loaded), then a drain (SIGTERM: its players land elsewhere with their
//! saved state, nothing lost), then a crash (SIGKILL: its players land on the survivor,
//! losing at most one autosave interval), with the Agones states (Ready → Allocated →
//! Shutdown) and the `players` Counters asserted at each step. About a minute, most of it
//! the 15 s QUIC idle timeout that tells the crashed server's players.
//!
//! Two quick in-process tests follow: the Agones lifecycle of one server beside a fake
//! sidecar (Ready → Allocated → empty → its own drain → Shutdown), and the DRAINING refusal.
//!
//! The fleet test needs the `tower-server` binary of this build (`cargo test --workspace` builds it; alone:
//! `cargo build -p tower-server`). `examples/fleet_figures.rs` runs the same story and
//! prints the figures of docs/performance.md.

#![allow(clippy::unwrap_used)]

#[path = "support/fleet.rs"]
mod fleet;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_places_drains_and_survives_a_crash_without_losing_progress() {
    let started = std::time::Instant::now();
    let figures = fleet::scenario(42).await;
    eprintln!("fleet figures: {figures:#?}");
    assert_eq!(figures.crash_moved, figures.crash_players);
    eprintln!("fleet test took {:?}", started.elapsed());
}

/// The first step of a drain, alone and without Nakama or Agones: a fresh login is refused
/// with the retryable DRAINING (the client reads "queue for another server"), a player
/// already here plays on until the drain tells it ServerShutdown, and the drain saves it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draining_server_refuses_fresh_logins_with_a_retryable_code() {
    use std::net::{SocketAddr, UdpSocket};
    use std::time::{Duration, Instant};
    use tower_client::{
        CertFingerprint, Client, ClientConfig, Credentials, DisconnectReason, ErrorCode, Event,
        Trust,
    };

    let cert_dir = tempfile::tempdir().unwrap();
    let port = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let launched = tower_server::launch(tower_server::Config {
        listen: SocketAddr::from(([127, 0, 0, 1], port)),
        metrics_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        cert_dir: cert_dir.path().to_owned(),
        ..tower_server::Config::default()
    })
    .await
    .unwrap();
    let pin = CertFingerprint::parse(&launched.server.fingerprint).unwrap();
    let connect = |name: &str| {
        Client::connect(ClientConfig::new(
            launched.server.addr,
            Trust::Fingerprint(pin),
            Credentials::Dev { name: name.into() },
        ))
        .unwrap()
    };
    // Events until `stop` matches one (bounded in time).
    async fn until(client: &Client, stop: impl Fn(&Event) -> bool) -> Vec<Event> {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut seen = Vec::new();
        while Instant::now() < deadline {
            while let Some(e) = client.poll_event() {
                let done = stop(&e);
                seen.push(e);
                if done {
                    return seen;
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("timed out; saw {seen:?}");
    }

    let ann = connect("ann");
    until(&ann, |e| matches!(e, Event::FloorAdmitted { .. })).await;
    launched.server.refuse_logins();
    let bob = connect("bob");
    let seen = until(&bob, |e| matches!(e, Event::Disconnected { .. })).await;
    assert!(
        seen.iter().any(|e| matches!(
            e,
            Event::Error {
                code: ErrorCode::Draining,
                ..
            }
        )),
        "{seen:?}"
    );
    assert!(
        matches!(
            seen.last(),
            Some(Event::Disconnected {
                reason: DisconnectReason::ServerShutdown,
                ..
            })
        ),
        "DRAINING means: queue for another server; {seen:?}"
    );
    assert!(!ann.is_closed(), "a player already here is not refused");

    let report = launched.drain(tower_agones::DrainReason::Requested).await;
    assert_eq!(report.unsaved, 0, "every state saved");
    let seen = until(&ann, |e| matches!(e, Event::Disconnected { .. })).await;
    assert!(
        matches!(
            seen.last(),
            Some(Event::Disconnected {
                reason: DisconnectReason::ServerShutdown,
                ..
            })
        ),
        "{seen:?}"
    );
}

/// One server beside a fake sidecar, in process and without Nakama: Ready with the Counter
/// sized at start, Health pings, Allocate and the Counter on the first player, the Counter
/// back to 0 when it leaves, then (allocated and empty for `empty_drain_secs`) the lifecycle
/// asks for a drain, which ends in Shutdown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_allocated_server_left_empty_drains_itself_and_shuts_down() {
    use std::net::{SocketAddr, UdpSocket};
    use std::time::{Duration, Instant};
    use tower_agones::fake::{FakeConfig, FakeSdk};
    use tower_agones::{DrainReason, GameServerState, PLAYERS_COUNTER};
    use tower_client::{CertFingerprint, Client, ClientConfig, Credentials, Event, Trust};

    let port = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let sdk = FakeSdk::start(FakeConfig {
        ports: vec![("game".into(), port)],
        ..FakeConfig::default()
    })
    .await
    .unwrap();
    let cert_dir = tempfile::tempdir().unwrap();
    let mut launched = tower_server::launch_with_agones(
        tower_server::Config {
            listen: SocketAddr::from(([127, 0, 0, 1], port)),
            metrics_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            cert_dir: cert_dir.path().to_owned(),
            max_players: 8,
            empty_drain_secs: 1,
            ..tower_server::Config::default()
        },
        Some(sdk.env()),
    )
    .await
    .unwrap();
    let counter = || sdk.counter(PLAYERS_COUNTER).unwrap();
    assert_eq!(sdk.state(), GameServerState::Ready);
    assert_eq!((counter().count, counter().capacity), (0, 8));
    // Waits (bounded) until `ok` holds.
    async fn eventually(what: &str, ok: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while !ok() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    eventually("a health ping", || sdk.health_pings() > 0).await;

    let client = Client::connect(ClientConfig::new(
        launched.server.addr,
        Trust::Fingerprint(CertFingerprint::parse(&launched.server.fingerprint).unwrap()),
        Credentials::Dev { name: "ann".into() },
    ))
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !matches!(client.poll_event(), Some(Event::FloorAdmitted { .. })) {
        assert!(Instant::now() < deadline, "ann never admitted");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    eventually("Allocated with 1 player", || {
        sdk.state() == GameServerState::Allocated && counter().count == 1
    })
    .await;
    client.disconnect();
    eventually("the Counter back to 0", || counter().count == 0).await;
    let left = Instant::now();
    assert_eq!(
        sdk.state(),
        GameServerState::Allocated,
        "not drained at once"
    );

    let reason = tokio::time::timeout(Duration::from_secs(5), launched.drain_requested())
        .await
        .expect("the lifecycle asks for a drain");
    assert_eq!(reason, DrainReason::Empty);
    assert!(
        left.elapsed() >= Duration::from_millis(500),
        "only after empty_drain_secs"
    );
    let report = launched.drain(reason).await;
    assert_eq!(report.unsaved, 0);
    assert_eq!(sdk.state(), GameServerState::Shutdown);
    let history = sdk.history();
    assert_eq!(
        history.last_chunk::<3>(),
        Some(&[
            GameServerState::Ready,
            GameServerState::Allocated,
            GameServerState::Shutdown
        ]),
        "{history:?}"
    );
}
