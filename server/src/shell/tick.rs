//! The fixed-tick loop: its own thread and accumulator, bounded catch-up, never waits on
//! I/O (it only drains a channel and `try_send`s one batch per tick to the transport).

use crate::core::{ClientEvent, GameCore, TickOutput};
use crate::metrics::DropReason;
use crate::shell::transport::Batch;
use crate::shell::{Outgoing, Shared, ToLoop};
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tracing::{debug, info, warn};

/// Turns elapsed wall time into a number of ticks to run. Pure, so it is tested without a
/// clock: at most `max_catchup` ticks per call; a backlog beyond that is dropped and
/// counted, so one slow tick never snowballs into a spiral.
#[derive(Debug, Clone)]
pub struct TickClock {
    period: Duration,
    max_catchup: u32,
    acc: Duration,
    skipped: u64,
}

impl TickClock {
    pub fn new(period: Duration, max_catchup: u32) -> TickClock {
        TickClock {
            period: period.max(Duration::from_micros(100)),
            max_catchup: max_catchup.max(1),
            acc: Duration::ZERO,
            skipped: 0,
        }
    }

    /// Adds `elapsed` and returns how many ticks are due now.
    pub fn advance(&mut self, elapsed: Duration) -> u32 {
        self.acc += elapsed;
        let mut steps = 0;
        while self.acc >= self.period && steps < self.max_catchup {
            self.acc -= self.period;
            steps += 1;
        }
        if self.acc >= self.period {
            let behind = self.acc.as_nanos() / self.period.as_nanos();
            self.skipped += u64::try_from(behind).unwrap_or(u64::MAX);
            self.acc = Duration::from_nanos(
                u64::try_from(self.acc.as_nanos() % self.period.as_nanos()).unwrap_or(0),
            );
        }
        steps
    }

    /// Time until the next tick is due.
    pub fn until_next(&self) -> Duration {
        self.period.saturating_sub(self.acc)
    }

    /// Ticks dropped so far.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }
}

/// The longest the loop sleeps between looks at the stop flag.
const STOP_SEEN_WITHIN: Duration = Duration::from_millis(100);

/// Runs the core on its own OS thread until `stop` is set, then saves every player's state
/// (waiting for the save queue at most the bound `stop` holds) and only then tells every
/// client: a player told to queue for another server must find their state saved there. A
/// dedicated thread keeps the tick away from the transport's work on the tokio runtime: the
/// loop only sleeps, drains a channel and `try_send`s, so it never waits on the network.
pub(crate) fn run(
    mut core: GameCore,
    mut rx: mpsc::UnboundedReceiver<ToLoop>,
    out: mpsc::Sender<Batch>,
    shared: Arc<Shared>,
    runtime: tokio::runtime::Handle,
    stop: Arc<OnceLock<Duration>>,
) {
    let mut clock = TickClock::new(shared.config.tick_period(), shared.config.max_catchup_ticks);
    let mut out = Dispatch {
        to_transport: out,
        held: Vec::new(),
    };
    let mut last = Instant::now();
    let mut stats = core.stats();
    let mut saves = shared.states.stats();
    let mut skipped = 0;
    let prep = FloorPrep::spawn(&mut core); // before the raise: it would inherit it
    let mut priority = super::priority::put_the_tick_first(shared.config.tick_period());
    while stop.get().is_none() {
        // Wakes for ticks only (each wake costs a context switch): a drain is seen within
        // one period, or `STOP_SEEN_WITHIN` at a slow tick rate.
        std::thread::sleep(clock.until_next().min(STOP_SEEN_WITHIN));
        let now = Instant::now();
        let steps = clock.advance(now - last);
        last = now;
        if clock.skipped() > skipped {
            shared
                .metrics
                .ticks_skipped
                .inc_by(clock.skipped() - skipped);
            warn!(
                behind = clock.skipped() - skipped,
                "tick loop fell behind; dropped ticks"
            );
            skipped = clock.skipped();
        }
        for i in 0..steps {
            let started = Instant::now();
            let events = if i == 0 { drain(&mut rx) } else { Vec::new() };
            prep.deliver(&mut core);
            let tick_out = core.step(events);
            prep.request(&mut core);
            let now_stats = core.stats();
            shared.metrics.record_core(&stats, &now_stats);
            shared.players.store(
                u32::try_from(now_stats.players_total).unwrap_or(u32::MAX),
                Ordering::Relaxed,
            );
            stats = now_stats;
            let now_saves = shared.states.stats();
            shared.metrics.record_saves(&saves, &now_saves);
            saves = now_saves;
            // After the counters: a client that sees this tick's messages finds them there.
            out.send(tick_out, &shared, &runtime);
            shared.metrics.ticks.inc();
            let took = started.elapsed();
            shared.metrics.tick_duration.observe(took.as_secs_f64());
            priority.after_tick(took);
        }
    }
    info!("shutting down: saving every player, then telling the clients");
    let _ = drain(&mut rx);
    let mut last = core.shutdown("server shutting down");
    for (player_id, state) in std::mem::take(&mut last.saves) {
        shared.states.save(&player_id, state);
    }
    let save_bound = stop.get().copied().unwrap_or_default();
    let unsaved = runtime.block_on(shared.states.flush(save_bound));
    info!(unsaved, "player states flushed; telling the clients");
    out.send(last, &shared, &runtime);
}

/// A worker thread that generates floors off the tick: the floor above each live floor
/// ahead of time, and every floor a player waits for. The core asks (`floors_to_prepare`)
/// and receives the floors as an input (`add_prepared_floor`); it never sees the thread.
struct FloorPrep {
    requests: Option<std::sync::mpsc::Sender<u32>>,
    done: std::sync::mpsc::Receiver<crate::core::floors::FloorData>,
}

impl FloorPrep {
    fn spawn(core: &mut GameCore) -> FloorPrep {
        let (world_seed, generator) = core.floor_builder();
        let (req_tx, req_rx) = std::sync::mpsc::channel::<u32>();
        let (done_tx, done) = std::sync::mpsc::channel();
        let worker = std::thread::Builder::new()
            .name("floor-prep".into())
            .spawn(move || {
                // Ends when the tick loop drops its sender (or stops receiving).
                for n in req_rx {
                    let data = crate::core::floors::FloorData::build(world_seed, generator, n);
                    if done_tx.send(data).is_err() {
                        break;
                    }
                }
            });
        match &worker {
            Ok(_) => core.prepare_floors_off_the_tick(),
            Err(e) => warn!("no floor-prep thread ({e}); floors are generated on the tick"),
        }
        FloorPrep {
            requests: worker.is_ok().then_some(req_tx),
            done,
        }
    }

    fn request(&self, core: &mut GameCore) {
        if let Some(tx) = &self.requests {
            for n in core.floors_to_prepare() {
                let _ = tx.send(n);
            }
        }
    }

    fn deliver(&self, core: &mut GameCore) {
        while let Ok(data) = self.done.try_recv() {
            core.add_prepared_floor(data);
        }
    }
}

fn drain(rx: &mut mpsc::UnboundedReceiver<ToLoop>) -> Vec<ClientEvent> {
    let mut events = Vec::new();
    while let Ok(msg) = rx.try_recv() {
        match msg {
            ToLoop::Event(e) => events.push(e),
            ToLoop::Gone { conn } => events.push(ClientEvent::Disconnected { conn }),
        }
    }
    events
}

/// Hands each tick's output to the transport as one batch, and the saves and leaderboard
/// submissions to the runtime.
struct Dispatch {
    to_transport: mpsc::Sender<Batch>,
    /// Control messages and closes from ticks the transport had no room for (it is seconds
    /// behind): they go first with the next batch, as they must never be lost.
    held: Batch,
}

impl Dispatch {
    fn send(&mut self, out: TickOutput, shared: &Shared, runtime: &tokio::runtime::Handle) {
        let mut batch = std::mem::take(&mut self.held);
        batch.reserve(out.control.len() + out.snapshots.len() + out.close.len());
        batch.extend(
            out.control
                .into_iter()
                .map(|(c, m)| (c, Outgoing::Control(m))),
        );
        batch.extend(
            out.snapshots
                .into_iter()
                .map(|(c, s)| (c, Outgoing::Snapshot(s))),
        );
        batch.extend(out.close.into_iter().map(|c| (c, Outgoing::Close)));
        // An empty batch would only wake the transport (an idle server's ticks).
        if !batch.is_empty()
            && let Err(mpsc::error::TrySendError::Full(batch)) = self.to_transport.try_send(batch)
        {
            let dropped;
            (self.held, dropped) = hold_back(batch);
            for _ in 0..dropped {
                shared.metrics.dropped(DropReason::Backlog);
            }
            debug!(
                held = self.held.len(),
                dropped, "transport behind; snapshots dropped"
            );
        }
        for (player_id, state) in out.saves {
            shared.states.save(&player_id, state);
        }
        for player_id in out.released {
            shared.states.release(&player_id);
        }
        for (identity, floor) in out.highest_floors {
            let board = Arc::clone(&shared.backends.leaderboard);
            runtime.spawn(async move {
                if let Err(e) = board.submit_highest_floor(&identity, floor).await {
                    warn!(player = %identity.player_id, floor, "leaderboard submit failed: {e}");
                }
            });
        }
    }
}

/// What of a batch the transport had no room for is kept for the next tick (control
/// messages and closes, in order), and how many snapshots are dropped.
fn hold_back(batch: Batch) -> (Batch, usize) {
    let before = batch.len();
    let held: Batch = batch
        .into_iter()
        .filter(|(_, m)| !matches!(m, Outgoing::Snapshot(_)))
        .collect();
    let dropped = before - held.len();
    (held, dropped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{ControlOut, OwnState, Snapshot};
    use tower_movement::Pos;

    #[test]
    fn a_batch_held_back_keeps_control_messages_and_closes_in_order() {
        let snapshot = |id| {
            Outgoing::Snapshot(Snapshot {
                tick: 9,
                own: OwnState {
                    id,
                    floor: 0,
                    pos: Pos::default(),
                    health: 100,
                    last_input_seq: 0,
                },
                entities: Vec::new(),
            })
        };
        let shutdown = || ControlOut::Shutdown {
            reason: "bye".into(),
        };
        let batch: Batch = vec![
            (1, Outgoing::Control(shutdown())),
            (2, snapshot(2)),
            (1, snapshot(1)),
            (2, Outgoing::Close),
        ];
        let (held, dropped) = hold_back(batch);
        assert_eq!(dropped, 2);
        assert!(matches!(
            held.as_slice(),
            [(1, Outgoing::Control(c)), (2, Outgoing::Close)] if *c == shutdown()
        ));
    }

    #[test]
    fn ticks_follow_elapsed_time_and_keep_the_remainder() {
        let mut c = TickClock::new(Duration::from_millis(10), 4);
        assert_eq!(c.advance(Duration::from_millis(5)), 0);
        assert_eq!(c.until_next(), Duration::from_millis(5));
        assert_eq!(c.advance(Duration::from_millis(6)), 1);
        assert_eq!(c.until_next(), Duration::from_millis(9));
        assert_eq!(c.advance(Duration::from_millis(29)), 3);
        assert_eq!(c.skipped(), 0);
    }

    #[test]
    fn catch_up_is_bounded_and_the_rest_is_dropped() {
        let mut c = TickClock::new(Duration::from_millis(10), 4);
        assert_eq!(c.advance(Duration::from_millis(125)), 4);
        assert_eq!(c.skipped(), 8);
        assert_eq!(c.until_next(), Duration::from_millis(5));
        assert_eq!(c.advance(Duration::from_millis(5)), 1);
    }
}
