//! The REST client against a sidecar on 127.0.0.1: the fake one, or the real
//! `sdk-server --local` when `TOWER_AGONES_SDK_SERVER=/path/to/sdk-server` is set (build it
//! from Agones' source; docs/deploy.md). Each test observes the sidecar through the client
//! itself, so the same assertions hold for both.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use tokio::time::Instant;
use tower_agones::fake::{FakeConfig, FakeSdk};
use tower_agones::{
    Action, AgonesEnv, CounterUpdate, GameServerState, Lifecycle, LifecycleConfig, PLAYERS_COUNTER,
    RetryPolicy, SdkClient, SdkError,
};

const CAPACITY: i64 = 16;

enum Sidecar {
    Fake(FakeSdk),
    Real {
        child: tokio::process::Child,
        port: u16,
        _dir: tempfile::TempDir,
    },
}

fn real_binary() -> Option<String> {
    std::env::var("TOWER_AGONES_SDK_SERVER")
        .ok()
        .filter(|s| !s.is_empty())
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local addr").port()
}

impl Sidecar {
    async fn start() -> Self {
        Self::start_on(free_port()).await
    }

    async fn start_on(port: u16) -> Self {
        match real_binary() {
            None => {
                let config = FakeConfig {
                    port,
                    ..FakeConfig::default()
                };
                let config = FakeConfig {
                    counters: [(PLAYERS_COUNTER.to_owned(), (0, CAPACITY))].into(),
                    ..config
                };
                Sidecar::Fake(
                    FakeSdk::start(config)
                        .await
                        .expect("start the fake SDK server"),
                )
            }
            Some(bin) => {
                let dir = tempfile::tempdir().expect("tempdir");
                let file = dir.path().join("gameserver.yaml");
                let yaml = format!(
                    "apiVersion: agones.dev/v1\nkind: GameServer\nmetadata:\n  name: tower-local\n\
                     status:\n  state: Scheduled\n  address: 127.0.0.1\n  ports:\n  - name: game\n    port: 7777\n\
                     \x20 counters:\n    {PLAYERS_COUNTER}:\n      count: 0\n      capacity: {CAPACITY}\n"
                );
                std::fs::write(&file, yaml).expect("write gameserver.yaml");
                let child = tokio::process::Command::new(bin)
                    .arg("--local")
                    .arg(format!("--file={}", file.display()))
                    .arg("--address=127.0.0.1")
                    .arg(format!("--http-port={port}"))
                    .arg(format!("--grpc-port={}", free_port()))
                    .kill_on_drop(true)
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .spawn()
                    .expect("start TOWER_AGONES_SDK_SERVER");
                Sidecar::Real {
                    child,
                    port,
                    _dir: dir,
                }
            }
        }
    }

    fn port(&self) -> u16 {
        match self {
            Sidecar::Fake(f) => f.port(),
            Sidecar::Real { port, .. } => *port,
        }
    }

    fn env(&self) -> AgonesEnv {
        AgonesEnv::local(self.port())
    }

    fn fake(&self) -> Option<&FakeSdk> {
        match self {
            Sidecar::Fake(f) => Some(f),
            Sidecar::Real { .. } => None,
        }
    }

    async fn stop(self) {
        match self {
            Sidecar::Fake(f) => f.stop().await,
            Sidecar::Real { mut child, .. } => {
                let _ = child.kill().await;
            }
        }
    }
}

fn patient() -> RetryPolicy {
    RetryPolicy {
        budget: Duration::from_secs(15),
        ..RetryPolicy::default()
    }
}

fn client(env: &AgonesEnv, retry: RetryPolicy) -> SdkClient {
    SdkClient::new(env, retry).expect("client")
}

async fn state(sdk: &SdkClient) -> GameServerState {
    sdk.game_server()
        .await
        .expect("GET /gameserver")
        .status
        .state
}

async fn players(sdk: &SdkClient) -> (i64, i64) {
    let c = sdk
        .counter(PLAYERS_COUNTER)
        .await
        .expect("GET players counter");
    (c.count, c.capacity)
}

#[tokio::test]
async fn every_call_moves_the_gameserver_as_documented() {
    let sidecar = Sidecar::start().await;
    let sdk = client(&sidecar.env(), patient());

    let gs = sdk.game_server().await.expect("GET /gameserver");
    assert_eq!(gs.status.address, "127.0.0.1");
    assert_eq!(gs.status.port("game"), Some(7777));
    assert_eq!(players(&sdk).await, (0, CAPACITY));

    sdk.ready().await.expect("ready");
    assert_eq!(state(&sdk).await, GameServerState::Ready);
    sdk.health().await.expect("health");

    sdk.allocate().await.expect("allocate");
    assert_eq!(state(&sdk).await, GameServerState::Allocated);

    let c = sdk
        .update_counter(PLAYERS_COUNTER, CounterUpdate::SetCount(3))
        .await
        .expect("set count");
    assert_eq!((c.count, c.capacity), (3, CAPACITY));
    let c = sdk
        .update_counter(PLAYERS_COUNTER, CounterUpdate::Diff(-1))
        .await
        .expect("decrement");
    assert_eq!(c.count, 2);
    let c = sdk
        .update_counter(PLAYERS_COUNTER, CounterUpdate::SetCapacity(8))
        .await
        .expect("capacity");
    assert_eq!((c.count, c.capacity), (2, 8));
    assert_eq!(players(&sdk).await, (2, 8));

    // Out of [0, capacity] and unknown Counters are refused, and change nothing.
    let err = sdk
        .update_counter(PLAYERS_COUNTER, CounterUpdate::SetCount(9))
        .await
        .unwrap_err();
    assert!(matches!(err, SdkError::Refused { .. }), "{err:?}");
    let err = sdk
        .update_counter(PLAYERS_COUNTER, CounterUpdate::Diff(-3))
        .await
        .unwrap_err();
    assert!(matches!(err, SdkError::Refused { .. }), "{err:?}");
    assert_eq!(players(&sdk).await, (2, 8));
    let err = sdk.counter("no-such-counter").await.unwrap_err();
    assert!(matches!(err, SdkError::Refused { .. }), "{err:?}");

    sdk.set_label("tower-drain", "no").await.expect("label");
    let labels = sdk
        .game_server()
        .await
        .expect("GET /gameserver")
        .object_meta
        .labels;
    assert_eq!(
        labels.get("agones.dev/sdk-tower-drain").map(String::as_str),
        Some("no")
    );

    sdk.shutdown().await.expect("shutdown");
    assert_eq!(state(&sdk).await, GameServerState::Shutdown);
    if let Some(fake) = sidecar.fake() {
        use GameServerState::*;
        assert_eq!(
            fake.history(),
            [Scheduled, RequestReady, Ready, Allocated, Shutdown]
        );
        assert_eq!(fake.health_pings(), 1);
    }
    sidecar.stop().await;
}

/// Performs the lifecycle's actions the way the server's shell will (next round).
async fn perform(sdk: &SdkClient, actions: Vec<Action>) -> Vec<Action> {
    for action in &actions {
        sdk.apply(*action)
            .await
            .unwrap_or_else(|e| panic!("{action:?}: {e}"));
    }
    actions
}

#[tokio::test]
async fn the_lifecycle_core_drives_the_sidecar() {
    let sidecar = Sidecar::start().await;
    let sdk = client(&sidecar.env(), patient());
    let config = LifecycleConfig {
        capacity: 4,
        ..LifecycleConfig::default()
    };
    let mut life = Lifecycle::new(config);
    let t0 = std::time::Instant::now();

    perform(&sdk, life.start(t0)).await;
    assert_eq!(state(&sdk).await, GameServerState::Ready);
    assert_eq!(players(&sdk).await, (0, 4));

    perform(&sdk, life.player_joined(t0)).await;
    assert_eq!(state(&sdk).await, GameServerState::Allocated);
    perform(&sdk, life.player_joined(t0)).await;
    assert_eq!(players(&sdk).await, (2, 4));
    perform(&sdk, life.player_left(t0)).await;
    assert_eq!(players(&sdk).await, (1, 4));

    let drain = perform(&sdk, life.terminate(t0)).await;
    assert!(matches!(drain[..], [Action::BeginDrain(_)]));
    assert_eq!(
        state(&sdk).await,
        GameServerState::Allocated,
        "draining is not shut down yet"
    );
    perform(&sdk, life.player_left(t0)).await;
    perform(&sdk, life.drained(t0)).await;
    assert_eq!(state(&sdk).await, GameServerState::Shutdown);
    assert_eq!(players(&sdk).await, (0, 4));
    sidecar.stop().await;
}

#[tokio::test]
async fn waits_for_a_sidecar_that_starts_late() {
    let port = free_port();
    let late = Duration::from_millis(600);
    let starter = tokio::spawn(async move {
        tokio::time::sleep(late).await;
        Sidecar::start_on(port).await
    });
    let sdk = client(&AgonesEnv::local(port), patient());
    let start = Instant::now();
    sdk.ready().await.expect("ready once the sidecar is up");
    assert!(
        start.elapsed() >= late,
        "answered before the sidecar started"
    );
    assert!(start.elapsed() < Duration::from_secs(15));
    assert_eq!(state(&sdk).await, GameServerState::Ready);
    starter.await.expect("starter").stop().await;
}

#[tokio::test]
async fn reports_a_sidecar_that_went_away_and_finds_it_again() {
    let sidecar = Sidecar::start().await;
    let port = sidecar.port();
    let sdk = client(&sidecar.env(), patient());
    sdk.ready().await.expect("ready");
    sidecar.stop().await;

    let budget = Duration::from_millis(500);
    let impatient = sdk.with_retry(RetryPolicy {
        budget,
        ..patient()
    });
    let start = Instant::now();
    let err = impatient.health().await.unwrap_err();
    assert!(err.is_unreachable(), "{err:?}");
    let err = impatient.allocate().await.unwrap_err();
    assert!(err.is_unreachable(), "{err:?}");
    assert!(start.elapsed() >= budget, "gave up before its budget");
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "retried far past its budget: {:?}",
        start.elapsed()
    );

    // Back on the same port: the same client carries on.
    let again = Sidecar::start_on(port).await;
    sdk.ready().await.expect("ready again");
    assert_eq!(state(&sdk).await, GameServerState::Ready);
    again.stop().await;
}

#[tokio::test]
async fn retries_while_the_sidecar_answers_unavailable() {
    if real_binary().is_some() {
        return; // the real sidecar cannot be told to answer 503
    }
    let sidecar = Sidecar::start().await;
    let fake = sidecar.fake().expect("fake");
    fake.set_unavailable(true);
    let shared = fake.shared();
    let heal = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        shared.lock().expect("fake state").unavailable = false;
    });
    let sdk = client(&sidecar.env(), patient());
    sdk.ready().await.expect("ready after the 503s");
    assert_eq!(fake.state(), GameServerState::Ready);
    assert!(fake.snapshot().requests.len() > 1, "no retry happened");
    heal.await.expect("heal");

    // A refusal is final: no retry on 4xx.
    let before = fake.snapshot().requests.len();
    assert!(sdk.counter("nope").await.is_err());
    assert_eq!(fake.snapshot().requests.len(), before + 1);
    sidecar.stop().await;
}

#[tokio::test]
async fn the_fake_serves_its_state_again_after_a_restart() {
    let fake = FakeSdk::start(FakeConfig::default()).await.expect("fake");
    let (port, shared) = (fake.port(), fake.shared());
    let sdk = client(&fake.env(), patient());
    sdk.ready().await.expect("ready");
    sdk.allocate().await.expect("allocate");
    fake.stop().await;

    let again = FakeSdk::serve(port, shared).await.expect("serve again");
    assert_eq!(state(&sdk).await, GameServerState::Allocated);
    use GameServerState::*;
    assert_eq!(again.history(), [Scheduled, RequestReady, Ready, Allocated]);
    again.stop().await;
}
