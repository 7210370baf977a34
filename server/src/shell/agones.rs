//! The game server beside an Agones SDK sidecar: a thin task that samples the player count,
//! asks [`Lifecycle`] what to do and performs the SDK calls it returns. Every decision (when
//! to send Ready, Allocate, the `players` Counter, Health, drain, Shutdown) is the
//! lifecycle's; this file only performs and counts. Health pings come from this task on the
//! tokio runtime, never from the tick thread.

use prometheus::{IntCounterVec, Opts, Registry};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use thiserror::Error;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tower_agones::{
    Action, AgonesEnv, DrainReason, GameServer, Lifecycle, LifecycleConfig, RetryPolicy, SdkClient,
    SdkError,
};
use tracing::{info, warn};

/// How often the player count is sampled: joins and leaves within one period become one
/// Counter update.
const SAMPLE_PERIOD: Duration = Duration::from_millis(250);

/// The container port players connect to (`ports[].name` in deploy/agones/fleet.yaml).
pub const GAME_PORT_NAME: &str = "game";

#[derive(Debug, Error)]
pub enum AgonesError {
    #[error(transparent)]
    Sdk(#[from] SdkError),
    #[error("the GameServer reports no address to announce")]
    NoAddress,
    #[error("metrics registry: {0}")]
    Metrics(#[from] prometheus::Error),
}

/// Where players reach this server, as Agones allocated it: the node's address and the host
/// port mapped to the `game` container port (the first port when none is named so).
pub fn public_address(gs: &GameServer) -> Option<(String, u16)> {
    let status = &gs.status;
    if status.address.is_empty() {
        return None;
    }
    let port = status.port(GAME_PORT_NAME).or_else(|| {
        status
            .ports
            .first()
            .and_then(|p| u16::try_from(p.port).ok())
    })?;
    (port != 0).then(|| (status.address.clone(), port))
}

/// Keeps only the last `SetPlayers` of a batch (they carry absolute values), where it was.
pub fn coalesce(actions: Vec<Action>) -> Vec<Action> {
    let last = actions
        .iter()
        .rposition(|a| matches!(a, Action::SetPlayers(_)));
    actions
        .into_iter()
        .enumerate()
        .filter(|(i, a)| !matches!(a, Action::SetPlayers(_)) || Some(*i) == last)
        .map(|(_, a)| a)
        .collect()
}

fn call_label(action: Action) -> &'static str {
    match action {
        Action::SetPlayersCapacity(_) => "players_capacity",
        Action::SetPlayers(_) => "players",
        Action::Ready => "ready",
        Action::Allocate => "allocate",
        Action::Health => "health",
        Action::BeginDrain(_) => "drain",
        Action::Shutdown { .. } => "shutdown",
    }
}

/// The SDK side of one game server.
pub struct AgonesShell {
    sdk: SdkClient,
    life: Arc<Mutex<Lifecycle>>,
    calls: IntCounterVec,
    task: Option<JoinHandle<()>>,
}

impl AgonesShell {
    /// Connects to the sidecar, waiting for it with backoff (it may start after us), and
    /// returns the GameServer it reports (the address to announce is in there).
    pub async fn connect(
        env: &AgonesEnv,
        config: LifecycleConfig,
    ) -> Result<(Self, GameServer), AgonesError> {
        let sdk = SdkClient::new(env, RetryPolicy::default())?;
        let gs = sdk.game_server().await?;
        let calls = IntCounterVec::new(
            Opts::new(
                "tower_agones_calls_total",
                "Agones SDK calls, by call and outcome",
            ),
            &["call", "outcome"],
        )?;
        info!(url = sdk.base_url(), name = %gs.object_meta.name, state = gs.status.state.as_str(), "Agones SDK answered");
        Ok((
            Self {
                sdk,
                life: Arc::new(Mutex::new(Lifecycle::new(config))),
                calls,
                task: None,
            },
            gs,
        ))
    }

    fn lock(life: &Mutex<Lifecycle>) -> MutexGuard<'_, Lifecycle> {
        // The lifecycle is a plain value updated in single steps: usable after a panic.
        life.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The server listens: size the Counter and announce Ready (retried with backoff), then
    /// keep the Counter, Health and the empty-server drain going. A drain the lifecycle
    /// decides (empty server) is sent on `drains`.
    pub async fn start(
        &mut self,
        players: Arc<AtomicU32>,
        drains: mpsc::UnboundedSender<DrainReason>,
        registry: &Registry,
    ) -> Result<(), AgonesError> {
        registry.register(Box::new(self.calls.clone()))?;
        let actions = Self::lock(&self.life).start(Instant::now());
        for action in actions {
            let outcome = self.sdk.apply(action).await;
            count(&self.calls, action, &outcome);
            outcome?;
        }
        info!("Agones: Ready");
        let (sdk, life, calls) = (self.sdk.clone(), Arc::clone(&self.life), self.calls.clone());
        self.task = Some(tokio::spawn(run(sdk, life, calls, players, drains)));
        Ok(())
    }

    /// The shell started draining (signal or operator): the lifecycle must know, so it stops
    /// Allocating and bounds the drain.
    pub fn drain(&self, reason: DrainReason) {
        let _ = Self::lock(&self.life).drain(reason, Instant::now());
    }

    /// Every state saved: `Shutdown` (unless the lifecycle already forced it) and stop the
    /// task. Returns whether a Shutdown was sent here.
    pub async fn drained(mut self) -> bool {
        let actions = Self::lock(&self.life).drained(Instant::now());
        if let Some(task) = self.task.take() {
            task.abort();
        }
        let mut sent = false;
        let sdk = self.sdk.with_retry(RetryPolicy {
            budget: Duration::from_secs(2),
            ..RetryPolicy::default()
        });
        for action in actions {
            let outcome = sdk.apply(action).await;
            count(&self.calls, action, &outcome);
            match outcome {
                Ok(()) => sent |= matches!(action, Action::Shutdown { .. }),
                Err(e) => warn!("Agones {}: {e}", call_label(action)),
            }
        }
        sent
    }
}

impl Drop for AgonesShell {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

fn count(calls: &IntCounterVec, action: Action, outcome: &Result<(), SdkError>) {
    let result = if outcome.is_ok() { "ok" } else { "error" };
    calls.with_label_values(&[call_label(action), result]).inc();
}

/// Samples the player count, polls the lifecycle's timers and performs what they ask.
async fn run(
    sdk: SdkClient,
    life: Arc<Mutex<Lifecycle>>,
    calls: IntCounterVec,
    players: Arc<AtomicU32>,
    drains: mpsc::UnboundedSender<DrainReason>,
) {
    // Counter updates fail fast and are resent with the next change; they never queue up.
    let quick = sdk.with_retry(RetryPolicy::once(Duration::from_secs(2)));
    loop {
        let now = Instant::now();
        let (actions, next) = {
            let mut l = AgonesShell::lock(&life);
            let mut actions = l.players_changed(players.load(Ordering::Relaxed), now);
            actions.extend(l.poll(now));
            (coalesce(actions), l.next_deadline())
        };
        for action in actions {
            match action {
                Action::BeginDrain(reason) => {
                    info!(?reason, "Agones lifecycle: drain");
                    let _ = drains.send(reason);
                }
                Action::Shutdown { forced } => {
                    warn!(
                        forced,
                        "Agones: the drain ran out of time; sending Shutdown now"
                    );
                    let outcome = sdk.shutdown().await;
                    count(&calls, action, &outcome);
                    return;
                }
                _ => {
                    let client = if action == Action::Allocate {
                        &sdk
                    } else {
                        &quick
                    };
                    let outcome = client.apply(action).await;
                    count(&calls, action, &outcome);
                    if let Err(e) = outcome {
                        warn!("Agones {}: {e}", call_label(action));
                    }
                }
            }
        }
        let wait = next
            .map_or(SAMPLE_PERIOD, |t| {
                t.saturating_duration_since(Instant::now())
            })
            .min(SAMPLE_PERIOD);
        tokio::time::sleep(wait).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower_agones::{Port, Status};

    #[test]
    fn only_the_last_counter_value_is_sent() {
        use Action::*;
        assert_eq!(
            coalesce(vec![Allocate, SetPlayers(1), Health, SetPlayers(3)]),
            vec![Allocate, Health, SetPlayers(3)]
        );
        assert_eq!(coalesce(vec![Health]), vec![Health]);
        assert_eq!(
            coalesce(vec![SetPlayersCapacity(8), SetPlayers(0), Ready]),
            vec![SetPlayersCapacity(8), SetPlayers(0), Ready]
        );
    }

    #[test]
    fn the_announced_address_is_the_game_port_agones_mapped() {
        let port = |name: &str, port| Port {
            name: name.into(),
            port,
        };
        let gs = |address: &str, ports| GameServer {
            status: Status {
                address: address.into(),
                ports,
                ..Status::default()
            },
            ..GameServer::default()
        };
        assert_eq!(
            public_address(&gs(
                "10.0.0.7",
                vec![port("metrics", 9433), port("game", 7031)]
            )),
            Some(("10.0.0.7".into(), 7031))
        );
        assert_eq!(
            public_address(&gs("10.0.0.7", vec![port("udp", 7032)])),
            Some(("10.0.0.7".into(), 7032)),
            "no port named game: the first"
        );
        assert_eq!(public_address(&gs("", vec![port("game", 7031)])), None);
        assert_eq!(public_address(&gs("10.0.0.7", vec![])), None);
        assert_eq!(public_address(&gs("10.0.0.7", vec![port("game", 0)])), None);
    }
}
