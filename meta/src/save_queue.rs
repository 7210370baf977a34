//! `PlayerStates`: loads player states (remembering their storage versions) and saves them
//! through a queue that never blocks the caller and never drops a save while the store is
//! merely unavailable.
//!
//! Rules, in order of importance:
//! - `save` returns at once; one background task does all writes, one at a time.
//! - Per player only the newest pending state is kept (coalescing): a state superseded
//!   before it was written is never written.
//! - Every write carries the version of the previous successful write or load for that
//!   player (optimistic concurrency). A player this queue never loaded is written with
//!   "must not exist yet", so it can never overwrite somebody else's data.
//! - `Unavailable` ⇒ the state goes back to the front of the queue (unless a newer one is
//!   already waiting) and the task backs off exponentially before the next try.
//! - `Conflict` ⇒ somebody else wrote the object since we read it. The state is NOT merged
//!   or forced: it is logged (with its content, so an operator can recover it) and counted
//!   in [`SaveStats::conflicts`]. `Corrupt` is handled the same way and counted in `failed`.

use crate::model::{PlayerState, StateStore, StoreError, Version};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

/// Backoff between retries while the store is unavailable: starts at `initial`, doubles
/// after every failed try up to `max`, back to `initial` after a success.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    pub initial: Duration,
    pub max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            initial: Duration::from_millis(200),
            max: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    pub(crate) fn next(&self, current: Duration) -> Duration {
        current.saturating_mul(2).min(self.max)
    }
}

/// Counters since start-up (exported as metrics by the server).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SaveStats {
    /// Writes the store accepted.
    pub written: u64,
    /// Tries that failed with `Unavailable` and were queued again.
    pub retried: u64,
    /// Writes rejected as stale (`Conflict`); the state was logged, not written.
    pub conflicts: u64,
    /// Writes rejected for another permanent reason (`Corrupt`).
    pub failed: u64,
}

#[derive(Default)]
struct Counters {
    written: AtomicU64,
    retried: AtomicU64,
    conflicts: AtomicU64,
    failed: AtomicU64,
}

/// The queue proper: plain data, every change under one short-held lock.
#[derive(Default)]
struct Queue {
    /// Version of the last successful load or write per player.
    versions: HashMap<String, Version>,
    /// Newest state not yet handed to the writer, per player.
    pending: HashMap<String, PlayerState>,
    /// Players with a pending state, oldest first; each appears at most once.
    order: VecDeque<String>,
    /// The state being written right now (at most one).
    in_flight: Option<(String, PlayerState)>,
}

impl Queue {
    fn len(&self) -> usize {
        self.pending.len() + usize::from(self.in_flight.is_some())
    }

    fn push(&mut self, player_id: &str, state: PlayerState) {
        if self.pending.insert(player_id.to_owned(), state).is_none() {
            self.order.push_back(player_id.to_owned());
        }
    }

    /// Moves the oldest pending state to `in_flight`; returns what to write.
    fn take_next(&mut self) -> Option<(String, PlayerState, Version)> {
        while let Some(player_id) = self.order.pop_front() {
            if let Some(state) = self.pending.remove(&player_id) {
                let version = self.versions.get(&player_id).cloned().flatten();
                self.in_flight = Some((player_id.clone(), state.clone()));
                return Some((player_id, state, version));
            }
        }
        None
    }

    /// The in-flight write failed transiently: retry it first, unless a newer state for the
    /// same player is already waiting (that one supersedes it).
    fn requeue_in_flight(&mut self) {
        if let Some((player_id, state)) = self.in_flight.take()
            && !self.pending.contains_key(&player_id)
        {
            self.pending.insert(player_id.clone(), state);
            self.order.push_front(player_id);
        }
    }

    fn finish_in_flight(&mut self, new_version: Option<Version>) {
        if let Some((player_id, _)) = self.in_flight.take()
            && let Some(version) = new_version
        {
            self.versions.insert(player_id, version);
        }
    }

    /// The newest state this queue holds for a player (pending beats in flight).
    fn newest(&self, player_id: &str) -> Option<PlayerState> {
        self.pending.get(player_id).cloned().or_else(|| {
            self.in_flight
                .as_ref()
                .filter(|(p, _)| p == player_id)
                .map(|(_, s)| s.clone())
        })
    }
}

struct Shared {
    queue: Mutex<Queue>,
    /// New work arrived.
    work: Notify,
    /// `flush` wants the current backoff cut short.
    hurry: Notify,
    /// Number of saves not yet settled (pending + in flight).
    pending_tx: watch::Sender<usize>,
    counters: Counters,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        // A panic while holding this lock cannot leave the queue half-updated in a way that
        // loses data (every method is a few map operations), so a poisoned lock is reused.
        self.queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn publish(&self, queue: &Queue) {
        self.pending_tx.send_replace(queue.len());
    }
}

/// Loads and saves player states; see the module documentation for the rules.
pub struct PlayerStates {
    shared: Arc<Shared>,
    store: Arc<dyn StateStore>,
    writer: JoinHandle<()>,
}

impl PlayerStates {
    /// Starts the writer task; must be called inside a tokio runtime.
    pub fn new(store: Arc<dyn StateStore>) -> PlayerStates {
        PlayerStates::with_policy(store, RetryPolicy::default())
    }

    /// Like [`PlayerStates::new`] with an explicit backoff.
    pub fn with_policy(store: Arc<dyn StateStore>, policy: RetryPolicy) -> PlayerStates {
        let (pending_tx, _) = watch::channel(0);
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            work: Notify::new(),
            hurry: Notify::new(),
            pending_tx,
            counters: Counters::default(),
        });
        let writer = tokio::spawn(write_loop(shared.clone(), store.clone(), policy));
        PlayerStates {
            shared,
            store,
            writer,
        }
    }

    /// The player's state: the newest one still queued here if any, else the stored one
    /// (remembering its version), else the default state of a new player.
    pub async fn load(&self, player_id: &str) -> Result<PlayerState, StoreError> {
        if let Some(state) = self.shared.lock().newest(player_id) {
            return Ok(state);
        }
        let loaded = self.store.load(player_id).await?;
        let mut queue = self.shared.lock();
        // A save may have been queued while we were loading; it is newer than the store.
        if let Some(state) = queue.newest(player_id) {
            return Ok(state);
        }
        let (state, version) = loaded.unwrap_or_default();
        queue.versions.insert(player_id.to_owned(), version);
        Ok(state)
    }

    /// Queues a save and returns at once. Replaces any older pending state of this player.
    pub fn save(&self, player_id: &str, state: PlayerState) {
        let mut queue = self.shared.lock();
        queue.push(player_id, state);
        self.shared.publish(&queue);
        drop(queue);
        self.shared.work.notify_one();
    }

    /// Waits until every queued save is settled (written, or rejected as a conflict), at most
    /// `timeout`. Returns the number of saves still pending (0 = all settled).
    pub async fn flush(&self, timeout: Duration) -> usize {
        let mut rx = self.shared.pending_tx.subscribe();
        self.shared.hurry.notify_one();
        match tokio::time::timeout(timeout, rx.wait_for(|n| *n == 0)).await {
            Ok(_) => 0,
            Err(_) => self.pending(),
        }
    }

    /// Saves queued or being written right now.
    pub fn pending(&self) -> usize {
        self.shared.lock().len()
    }

    pub fn stats(&self) -> SaveStats {
        let c = &self.shared.counters;
        SaveStats {
            written: c.written.load(Ordering::Relaxed),
            retried: c.retried.load(Ordering::Relaxed),
            conflicts: c.conflicts.load(Ordering::Relaxed),
            failed: c.failed.load(Ordering::Relaxed),
        }
    }
}

impl Drop for PlayerStates {
    fn drop(&mut self) {
        let left = self.pending();
        if left > 0 {
            tracing::error!(
                left,
                "player states dropped with saves still pending (flush first)"
            );
        }
        self.writer.abort();
    }
}

async fn write_loop(shared: Arc<Shared>, store: Arc<dyn StateStore>, policy: RetryPolicy) {
    let mut backoff = policy.initial;
    loop {
        let next = shared.lock().take_next();
        let Some((player_id, state, expected)) = next else {
            shared.work.notified().await;
            continue;
        };
        let result = store.save(&player_id, &state, &expected).await;
        let counters = &shared.counters;
        {
            let mut queue = shared.lock();
            match &result {
                Ok(version) => {
                    counters.written.fetch_add(1, Ordering::Relaxed);
                    queue.finish_in_flight(Some(version.clone()));
                }
                Err(StoreError::Unavailable(_)) => {
                    counters.retried.fetch_add(1, Ordering::Relaxed);
                    queue.requeue_in_flight();
                }
                Err(StoreError::Conflict) => {
                    counters.conflicts.fetch_add(1, Ordering::Relaxed);
                    queue.finish_in_flight(None);
                }
                Err(StoreError::Corrupt(_)) => {
                    counters.failed.fetch_add(1, Ordering::Relaxed);
                    queue.finish_in_flight(None);
                }
            }
            shared.publish(&queue);
        }
        match result {
            Ok(_) => backoff = policy.initial,
            Err(StoreError::Unavailable(reason)) => {
                tracing::warn!(player_id, %reason, retry_in = ?backoff, "save failed, will retry");
                tokio::select! {
                    () = tokio::time::sleep(backoff) => {}
                    () = shared.hurry.notified() => {}
                }
                backoff = policy.next(backoff);
            }
            Err(error) => {
                let lost = serde_json::to_string(&state).unwrap_or_default();
                tracing::error!(player_id, %error, ?expected, state = %lost, "save rejected, not retried");
            }
        }
    }
}
