//! The game server's Agones lifecycle as a sans-IO state machine: events and "now" in,
//! [`Action`]s (SDK calls and drain steps) out. No clock, no socket: the shell performs the
//! actions and feeds back what happened.
//!
//! ```text
//!  Starting ──start──► Ready ──first player──► Allocated ──empty for N min──┐
//!     │                  │                         │                         ▼
//!     └──────────────────┴──────── SIGTERM ────────┴──────────────────► Draining
//!                                                    drained or timeout ──► ShutDown
//! ```

use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LifecycleConfig {
    /// Most players this server admits: the capacity of the `players` Counter.
    pub capacity: u32,
    /// Drain an allocated server once it has been empty this long (`None`: never), so an
    /// autoscaled fleet can reclaim it; a Ready server is the fleet's buffer and stays.
    pub empty_drain_after: Option<Duration>,
    /// From drain start to a forced Shutdown: keep it below the pod's
    /// `terminationGracePeriodSeconds`, or Kubernetes kills the server before it saves.
    pub drain_timeout: Duration,
    /// How often to send `Health` (under the Fleet's `health.periodSeconds`).
    pub health_period: Duration,
}

impl Default for LifecycleConfig {
    fn default() -> Self {
        Self {
            capacity: 256,
            empty_drain_after: Some(Duration::from_secs(5 * 60)),
            drain_timeout: Duration::from_secs(50),
            health_period: Duration::from_secs(1),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DrainReason {
    /// SIGTERM: Agones or Kubernetes is deleting the pod (scale-down, rolling update).
    Terminating,
    /// Allocated and empty for `empty_drain_after`.
    Empty,
    /// Asked for by an operator or a test.
    Requested,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Listening, not yet announced Ready.
    Starting,
    Ready,
    /// Has (or had) players; the fleet will not scale it down.
    Allocated,
    Draining {
        reason: DrainReason,
        since: Instant,
    },
    /// `Shutdown` sent; nothing more to do.
    ShutDown,
}

/// What the shell must do, in order. Counter actions carry absolute values: when several
/// are pending the shell may send only the last one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    SetPlayersCapacity(u32),
    SetPlayers(u32),
    Ready,
    Allocate,
    Health,
    /// Stop admitting (a retryable refusal), deregister from the registry, tell every
    /// connected player why, save every state; then report [`Lifecycle::drained`].
    BeginDrain(DrainReason),
    /// `Shutdown`; `forced` when the drain ran out of time before every state was saved.
    Shutdown {
        forced: bool,
    },
}

/// Whether a new player may join now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    Admit,
    Full,
    /// Retryable: the player should be placed on another server.
    Draining,
}

#[derive(Clone, Debug)]
pub struct Lifecycle {
    config: LifecycleConfig,
    phase: Phase,
    players: u32,
    /// Since when an allocated server has had no player.
    empty_since: Option<Instant>,
    next_health: Option<Instant>,
}

impl Lifecycle {
    pub fn new(config: LifecycleConfig) -> Self {
        Self {
            config,
            phase: Phase::Starting,
            players: 0,
            empty_since: None,
            next_health: None,
        }
    }

    pub fn phase(&self) -> Phase {
        self.phase
    }

    pub fn players(&self) -> u32 {
        self.players
    }

    pub fn admission(&self) -> Admission {
        match self.phase {
            Phase::Draining { .. } | Phase::ShutDown => Admission::Draining,
            _ if self.players >= self.config.capacity => Admission::Full,
            _ => Admission::Admit,
        }
    }

    /// The server listens and can take players: size the Counter, then announce Ready.
    pub fn start(&mut self, now: Instant) -> Vec<Action> {
        if self.phase != Phase::Starting {
            return Vec::new();
        }
        self.phase = Phase::Ready;
        self.next_health = Some(now);
        vec![
            Action::SetPlayersCapacity(self.config.capacity),
            Action::SetPlayers(self.players),
            Action::Ready,
        ]
    }

    /// A player was admitted. The first one allocates the server.
    pub fn player_joined(&mut self, _now: Instant) -> Vec<Action> {
        self.players = self.players.saturating_add(1);
        self.empty_since = None;
        let mut actions = Vec::new();
        if matches!(self.phase, Phase::Starting | Phase::Ready) {
            self.phase = Phase::Allocated;
            actions.push(Action::Allocate);
        }
        if self.phase != Phase::ShutDown {
            actions.push(Action::SetPlayers(self.counter_value()));
        }
        actions
    }

    pub fn player_left(&mut self, now: Instant) -> Vec<Action> {
        self.players = self.players.saturating_sub(1);
        if self.players == 0 && self.phase == Phase::Allocated {
            self.empty_since = Some(now);
        }
        match self.phase {
            Phase::ShutDown => Vec::new(),
            _ => vec![Action::SetPlayers(self.counter_value())],
        }
    }

    /// The shell saw the player count change to `count` (it samples the count, so several
    /// joins and leaves arrive as one change): one `SetPlayers` for the lot, and `Allocate`
    /// when the first player arrives.
    pub fn players_changed(&mut self, count: u32, now: Instant) -> Vec<Action> {
        if count == self.players {
            return Vec::new();
        }
        let mut actions = Vec::new();
        if count > 0 && matches!(self.phase, Phase::Starting | Phase::Ready) {
            self.phase = Phase::Allocated;
            actions.push(Action::Allocate);
        }
        self.players = count;
        if count > 0 {
            self.empty_since = None;
        } else if self.phase == Phase::Allocated {
            self.empty_since = Some(now);
        }
        if self.phase != Phase::ShutDown {
            actions.push(Action::SetPlayers(self.counter_value()));
        }
        actions
    }

    /// SIGTERM.
    pub fn terminate(&mut self, now: Instant) -> Vec<Action> {
        self.drain(DrainReason::Terminating, now)
    }

    /// Start draining (once; a second request changes nothing).
    pub fn drain(&mut self, reason: DrainReason, now: Instant) -> Vec<Action> {
        match self.phase {
            Phase::Draining { .. } | Phase::ShutDown => Vec::new(),
            _ => {
                self.phase = Phase::Draining { reason, since: now };
                vec![Action::BeginDrain(reason)]
            }
        }
    }

    /// The shell finished draining: every player told, every state saved.
    pub fn drained(&mut self, _now: Instant) -> Vec<Action> {
        match self.phase {
            Phase::Draining { .. } => {
                self.phase = Phase::ShutDown;
                vec![Action::Shutdown { forced: false }]
            }
            _ => Vec::new(),
        }
    }

    /// Timers: health pings, the empty-server drain, the drain deadline. Call it at
    /// [`Lifecycle::next_deadline`] (or more often: it only acts on what is due).
    pub fn poll(&mut self, now: Instant) -> Vec<Action> {
        let mut actions = Vec::new();
        if let Phase::Draining { since, .. } = self.phase
            && now >= since + self.config.drain_timeout
        {
            self.phase = Phase::ShutDown;
            self.next_health = None;
            return vec![Action::Shutdown { forced: true }];
        }
        if self.phase == Phase::ShutDown {
            self.next_health = None;
            return actions;
        }
        if let Some(due) = self.next_health
            && now >= due
        {
            actions.push(Action::Health);
            self.next_health = Some(now + self.config.health_period);
        }
        if let (Phase::Allocated, Some(since), Some(after)) =
            (self.phase, self.empty_since, self.config.empty_drain_after)
            && now >= since + after
        {
            actions.extend(self.drain(DrainReason::Empty, now));
        }
        actions
    }

    /// The earliest time [`Lifecycle::poll`] has something to do.
    pub fn next_deadline(&self) -> Option<Instant> {
        let drain = match self.phase {
            Phase::Draining { since, .. } => Some(since + self.config.drain_timeout),
            _ => None,
        };
        let empty = match (self.phase, self.empty_since, self.config.empty_drain_after) {
            (Phase::Allocated, Some(since), Some(after)) => Some(since + after),
            _ => None,
        };
        [self.next_health, drain, empty].into_iter().flatten().min()
    }

    /// The Counter never goes above its capacity (Agones refuses that); admission keeps
    /// the true count there anyway.
    fn counter_value(&self) -> u32 {
        self.players.min(self.config.capacity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: Duration = Duration::from_secs(1);

    fn config() -> LifecycleConfig {
        LifecycleConfig {
            capacity: 2,
            empty_drain_after: Some(60 * SEC),
            drain_timeout: 30 * SEC,
            health_period: SEC,
        }
    }

    #[test]
    fn start_sizes_the_counter_then_goes_ready() {
        let t0 = Instant::now();
        let mut l = Lifecycle::new(config());
        assert_eq!(l.phase(), Phase::Starting);
        assert_eq!(
            l.start(t0),
            [
                Action::SetPlayersCapacity(2),
                Action::SetPlayers(0),
                Action::Ready
            ]
        );
        assert_eq!(l.phase(), Phase::Ready);
        assert_eq!(l.start(t0), []);
    }

    #[test]
    fn first_player_allocates_and_counters_follow_joins_and_leaves() {
        let t0 = Instant::now();
        let mut l = Lifecycle::new(config());
        l.start(t0);
        assert_eq!(
            l.player_joined(t0),
            [Action::Allocate, Action::SetPlayers(1)]
        );
        assert_eq!(l.phase(), Phase::Allocated);
        assert_eq!(l.player_joined(t0), [Action::SetPlayers(2)]);
        assert_eq!(l.admission(), Admission::Full);
        assert_eq!(l.player_left(t0), [Action::SetPlayers(1)]);
        assert_eq!(l.admission(), Admission::Admit);
        assert_eq!(l.player_left(t0), [Action::SetPlayers(0)]);
        // Allocated stays allocated: Allocate is sent once.
        assert_eq!(l.player_joined(t0), [Action::SetPlayers(1)]);
    }

    #[test]
    fn sampled_counts_coalesce_into_one_counter_update() {
        let t0 = Instant::now();
        let mut l = Lifecycle::new(config());
        l.start(t0);
        assert_eq!(l.players_changed(0, t0), []);
        assert_eq!(
            l.players_changed(2, t0),
            [Action::Allocate, Action::SetPlayers(2)]
        );
        assert_eq!(l.players_changed(2, t0), [], "no change, no call");
        // Over capacity (held slots): the Counter stays at its capacity.
        assert_eq!(l.players_changed(5, t0), [Action::SetPlayers(2)]);
        assert_eq!(l.players_changed(0, t0 + SEC), [Action::SetPlayers(0)]);
        assert_eq!(l.next_deadline(), Some(t0), "health still due");
        l.poll(t0);
        assert_eq!(
            l.poll(t0 + 61 * SEC).last(),
            Some(&Action::BeginDrain(DrainReason::Empty)),
            "empty since the sample that saw 0"
        );
    }

    #[test]
    fn counter_never_exceeds_capacity_nor_goes_below_zero() {
        let t0 = Instant::now();
        let mut l = Lifecycle::new(config());
        l.start(t0);
        l.player_joined(t0);
        l.player_joined(t0);
        assert_eq!(l.player_joined(t0), [Action::SetPlayers(2)]);
        for _ in 0..3 {
            l.player_left(t0);
        }
        assert_eq!(l.player_left(t0), [Action::SetPlayers(0)]);
        assert_eq!(l.players(), 0);
    }

    #[test]
    fn health_is_due_every_period() {
        let t0 = Instant::now();
        let mut l = Lifecycle::new(config());
        assert_eq!(l.poll(t0), [], "no health before start");
        l.start(t0);
        assert_eq!(l.next_deadline(), Some(t0));
        assert_eq!(l.poll(t0), [Action::Health]);
        assert_eq!(l.poll(t0 + SEC / 2), []);
        assert_eq!(l.next_deadline(), Some(t0 + SEC));
        assert_eq!(l.poll(t0 + SEC), [Action::Health]);
        // 300 ticks of 50 ms: one ping a second, never two at once.
        let pings = (1..=300)
            .map(|i| l.poll(t0 + SEC + i * SEC / 20).len())
            .sum::<usize>();
        assert_eq!(pings, 15);
    }

    #[test]
    fn sigterm_drains_then_shuts_down_when_drained() {
        let t0 = Instant::now();
        let mut l = Lifecycle::new(config());
        l.start(t0);
        l.player_joined(t0);
        assert_eq!(
            l.terminate(t0 + SEC),
            [Action::BeginDrain(DrainReason::Terminating)]
        );
        assert_eq!(l.admission(), Admission::Draining);
        assert_eq!(
            l.terminate(t0 + 2 * SEC),
            [],
            "a second SIGTERM changes nothing"
        );
        assert_eq!(l.player_left(t0 + 3 * SEC), [Action::SetPlayers(0)]);
        assert_eq!(
            l.drained(t0 + 4 * SEC),
            [Action::Shutdown { forced: false }]
        );
        assert_eq!(l.phase(), Phase::ShutDown);
        assert_eq!(l.poll(t0 + 10 * SEC), [], "no health after Shutdown");
        assert_eq!(l.next_deadline(), None);
        assert_eq!(l.drained(t0 + 11 * SEC), []);
    }

    #[test]
    fn sigterm_before_ready_still_shuts_down() {
        let t0 = Instant::now();
        let mut l = Lifecycle::new(config());
        assert_eq!(
            l.terminate(t0),
            [Action::BeginDrain(DrainReason::Terminating)]
        );
        assert_eq!(l.start(t0), [], "a draining server never announces Ready");
        assert_eq!(l.drained(t0), [Action::Shutdown { forced: false }]);
    }

    #[test]
    fn a_drain_that_overruns_is_forced_to_shut_down() {
        let t0 = Instant::now();
        let mut l = Lifecycle::new(config());
        l.start(t0);
        l.player_joined(t0);
        l.terminate(t0);
        assert_eq!(l.next_deadline(), Some(t0));
        l.poll(t0);
        assert_eq!(l.poll(t0 + 29 * SEC), [Action::Health]);
        assert_eq!(l.poll(t0 + 30 * SEC), [Action::Shutdown { forced: true }]);
        assert_eq!(l.drained(t0 + 31 * SEC), []);
    }

    #[test]
    fn allocated_and_empty_for_long_enough_drains() {
        let t0 = Instant::now();
        let mut l = Lifecycle::new(LifecycleConfig {
            health_period: 3600 * SEC,
            ..config()
        });
        l.start(t0);
        l.poll(t0);
        l.player_joined(t0);
        l.player_left(t0 + 10 * SEC);
        assert_eq!(l.next_deadline(), Some(t0 + 70 * SEC));
        assert_eq!(l.poll(t0 + 69 * SEC), []);
        // A player coming back resets the timer.
        l.player_joined(t0 + 69 * SEC);
        assert_eq!(l.poll(t0 + 71 * SEC), []);
        l.player_left(t0 + 80 * SEC);
        assert_eq!(
            l.poll(t0 + 140 * SEC),
            [Action::BeginDrain(DrainReason::Empty)]
        );
        assert_eq!(
            l.phase(),
            Phase::Draining {
                reason: DrainReason::Empty,
                since: t0 + 140 * SEC
            }
        );
    }

    #[test]
    fn a_ready_server_that_never_had_players_is_the_fleet_buffer_and_stays() {
        let t0 = Instant::now();
        let mut l = Lifecycle::new(LifecycleConfig {
            health_period: 3600 * SEC,
            ..config()
        });
        l.start(t0);
        l.poll(t0);
        assert_eq!(l.poll(t0 + 3599 * SEC), []);
        assert_eq!(l.phase(), Phase::Ready);
    }

    #[test]
    fn no_empty_drain_when_disabled() {
        let t0 = Instant::now();
        let mut l = Lifecycle::new(LifecycleConfig {
            empty_drain_after: None,
            health_period: 3600 * SEC,
            ..config()
        });
        l.start(t0);
        l.poll(t0);
        l.player_joined(t0);
        l.player_left(t0);
        assert_eq!(l.poll(t0 + 3599 * SEC), []);
        assert_eq!(l.phase(), Phase::Allocated);
    }
}
