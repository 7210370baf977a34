//! Draining: the server leaves the fleet without losing a player's progress. The steps, in
//! order (each logged and counted in `tower_drain_phases_total{phase}`):
//!
//! 1. `refusing`: fresh logins get the retryable `DRAINING` (the client queues again);
//! 2. `deregistered`: out of Nakama's registry, so the matchmaker stops placing here;
//! 3. `saved`: every state goes through the save queue, which is flushed (bounded by the
//!    grace period), and only then is every connected player told (`ServerShutdown` with a
//!    reason); `unsaved` instead when the bound ran out first;
//! 4. `agones_shutdown`: Agones `Shutdown` (only beside an Agones sidecar);
//! 5. `done`: the process exits 0.
//!
//! Triggers: SIGTERM (`terminating`), SIGUSR1 or Ctrl-C (`requested`, the operator's admin
//! path), and under Agones an allocated server empty for `empty_drain_secs` (`empty`).

use prometheus::{IntCounterVec, Opts, Registry};
use std::time::Duration;
use tower_agones::DrainReason;

/// One step of a drain (the `phase` label).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DrainPhase {
    Started,
    Refusing,
    Deregistered,
    Saved,
    Unsaved,
    AgonesShutdown,
    Done,
}

impl DrainPhase {
    pub fn label(self) -> &'static str {
        match self {
            DrainPhase::Started => "started",
            DrainPhase::Refusing => "refusing",
            DrainPhase::Deregistered => "deregistered",
            DrainPhase::Saved => "saved",
            DrainPhase::Unsaved => "unsaved",
            DrainPhase::AgonesShutdown => "agones_shutdown",
            DrainPhase::Done => "done",
        }
    }
}

pub fn reason_label(reason: DrainReason) -> &'static str {
    match reason {
        DrainReason::Terminating => "terminating",
        DrainReason::Empty => "empty",
        DrainReason::Requested => "requested",
    }
}

/// `tower_drain_phases_total{phase, reason}` on the server's own registry.
#[derive(Clone)]
pub struct DrainMetrics {
    phases: IntCounterVec,
}

impl DrainMetrics {
    pub fn register(registry: &Registry) -> Result<Self, prometheus::Error> {
        let phases = IntCounterVec::new(
            Opts::new(
                "tower_drain_phases_total",
                "Drain steps reached, by phase and by what started the drain",
            ),
            &["phase", "reason"],
        )?;
        registry.register(Box::new(phases.clone()))?;
        Ok(Self { phases })
    }

    pub fn reached(&self, phase: DrainPhase, reason: DrainReason) {
        self.phases
            .with_label_values(&[phase.label(), reason_label(reason)])
            .inc();
    }
}

/// Kept back from the grace period for the steps after saving (Agones `Shutdown`, closing
/// the endpoint, exit), so the pod is gone before Kubernetes kills it.
pub const AFTER_SAVE_MARGIN: Duration = Duration::from_secs(3);

/// How long the save queue may still take, `spent` into a drain bounded by `grace`: what is
/// left of the grace period less [`AFTER_SAVE_MARGIN`], but at least one second (a save
/// already on the wire deserves the chance to land).
pub fn save_bound(grace: Duration, spent: Duration) -> Duration {
    grace
        .saturating_sub(spent)
        .saturating_sub(AFTER_SAVE_MARGIN)
        .max(Duration::from_secs(1))
}

/// What a drain did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DrainReport {
    pub reason: DrainReason,
    /// States still unsaved when the bound ran out (0: every state saved).
    pub unsaved: usize,
    pub elapsed: Duration,
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: Duration = Duration::from_secs(1);

    #[test]
    fn the_save_bound_leaves_room_for_shutdown_within_the_grace_period() {
        assert_eq!(save_bound(50 * SEC, Duration::ZERO), 47 * SEC);
        assert_eq!(save_bound(50 * SEC, 10 * SEC), 37 * SEC);
        assert_eq!(
            save_bound(50 * SEC, 49 * SEC),
            SEC,
            "never less than a second"
        );
        assert_eq!(save_bound(2 * SEC, 5 * SEC), SEC);
    }

    #[test]
    fn phases_are_counted_by_label() {
        let registry = Registry::new();
        let m = DrainMetrics::register(&registry).expect("registers once");
        m.reached(DrainPhase::Refusing, DrainReason::Terminating);
        m.reached(DrainPhase::Refusing, DrainReason::Terminating);
        m.reached(DrainPhase::Done, DrainReason::Empty);
        let families = registry.gather();
        let text = format!("{families:?}");
        assert!(text.contains("tower_drain_phases_total"));
        assert_eq!(
            m.phases
                .with_label_values(&["refusing", "terminating"])
                .get(),
            2
        );
        assert_eq!(m.phases.with_label_values(&["done", "empty"]).get(), 1);
        assert!(DrainMetrics::register(&registry).is_err(), "one per server");
    }
}
