//! `PlayerStates`: loads player states (remembering their storage versions) and saves them
//! through a queue that never blocks the caller, never drops a save while the store is merely
//! unavailable, and never lets one player's failing save hold up anybody else's.
//!
//! Rules, in order of importance:
//! - `save` returns at once; one background task does all writes, one at a time.
//! - Per player only the newest pending state is kept (coalescing): a state superseded
//!   before it was written is never written.
//! - Every write carries the version of the previous successful write or load for that
//!   player (optimistic concurrency), and is merged over the state stored then, so the
//!   progress it writes is never lower than what the store held. A player this queue never loaded is written with
//!   "must not exist yet", so it can never overwrite somebody else's data.
//! - Every queued state has a save id ([`SaveAttempt`]): a retry of a write that was committed
//!   but whose answer was lost is recognised by the store and succeeds.
//! - Failures are classified by cause ([`StoreError::is_transient`]):
//!   - `Unavailable` ⇒ retried with a per-player exponential backoff; the state goes to the
//!     back of the queue, so other players' saves keep landing (no head-of-line blocking).
//!   - `Conflict` (another writer saved the player since our version: typically the server
//!     the player was on before, whose release save landed after this server loaded the
//!     player) ⇒ the stored object is loaded again, its version adopted, its progress merged
//!     into ours ([`PlayerState::merged_over`]: never lower than what is stored) and the
//!     write tried again at once. A stale version is never kept, so one conflict does not
//!     make every later save of the session conflict. Only after [`MAX_MERGES`] conflicts
//!     in a row (a writer racing us on every save) is the state given up.
//!   - anything else (`Rejected` e.g. a deleted account, `Corrupt`) can never succeed: it is
//!     not retried, it is counted, logged with the player id, and appended to the
//!     dead-letter file (JSON Lines, see [`DeadLetter`]) from which an operator can replay
//!     it (docs/nakama.md).
//! - States still queued when `PlayerStates` is dropped are dead-lettered too.
//! - A player the server let go ([`PlayerStates::release`]) is forgotten (its version
//!   dropped) once its last save settles, so the queue's memory follows the players online.

use crate::model::{PlayerState, SaveAttempt, StateStore, StoreError, Version};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet, VecDeque};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// Backoff between retries of one player's save while the store is unavailable: starts at
/// `initial`, doubles after every failed try up to `max`, back to `initial` after a success.
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

    /// The wait before try number `failures + 1`.
    fn delay(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(30);
        self.initial.saturating_mul(1u32 << doublings).min(self.max)
    }
}

/// Environment variable naming the dead-letter file of [`PlayerStates::new`].
pub const DEAD_LETTER_ENV: &str = "TOWER_DEAD_LETTER";
/// Default dead-letter file of [`PlayerStates::new`], relative to the working directory.
pub const DEFAULT_DEAD_LETTER: &str = "tower-dead-letter.jsonl";
/// Unconfirmed earlier save ids remembered per player (a few are plenty: each is a write
/// whose answer was lost while a newer state was already waiting).
const MAX_UNCONFIRMED: usize = 8;
/// Conflicts in a row one player's state is reloaded and merged for before it is given up
/// (dead-lettered): another writer would have to save the same player between each of our
/// reloads and writes.
pub const MAX_MERGES: u32 = 5;

/// How a [`PlayerStates`] retries and where it keeps saves that can never succeed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SaveOptions {
    pub retry: RetryPolicy,
    /// JSON Lines file that permanently failed saves are appended to; `None`: log only.
    pub dead_letter: Option<PathBuf>,
}

impl SaveOptions {
    /// Default retry policy; dead letters in `$TOWER_DEAD_LETTER`, else
    /// [`DEFAULT_DEAD_LETTER`] in the working directory (created on the first dead letter).
    pub fn from_env() -> SaveOptions {
        let path = std::env::var_os(DEAD_LETTER_ENV)
            .filter(|p| !p.is_empty())
            .map_or_else(|| PathBuf::from(DEFAULT_DEAD_LETTER), PathBuf::from);
        SaveOptions {
            retry: RetryPolicy::default(),
            dead_letter: Some(path),
        }
    }
}

/// One line of the dead-letter file: a state that was not saved, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetter {
    /// Line format, 1.
    pub format: u32,
    pub player_id: String,
    pub state: PlayerState,
    pub save_id: String,
    /// The version the write expected (null: "must not exist yet").
    pub expected: Version,
    pub reason: String,
    pub at_unix_ms: u64,
}

/// Reads every well-formed line of a dead-letter file (an operator's replay starts here);
/// malformed lines are returned as errors in place so that nothing is skipped silently.
pub fn read_dead_letters(path: &Path) -> std::io::Result<Vec<Result<DeadLetter, String>>> {
    let text = std::fs::read_to_string(path)?;
    Ok(text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).map_err(|e| format!("{e}: {l}")))
        .collect())
}

/// Counters since start-up (exported as metrics by the server).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SaveStats {
    /// Writes the store accepted.
    pub written: u64,
    /// Tries that failed with `Unavailable` and were queued again.
    pub retried: u64,
    /// Writes found stale (`Conflict`): each was reloaded, merged and tried again (after
    /// [`MAX_MERGES`] in a row, dead-lettered).
    pub conflicts: u64,
    /// Writes rejected for another permanent reason (`Rejected`, `Corrupt`).
    pub failed: u64,
    /// States appended to the dead-letter file (conflicts, failures, left at shutdown).
    pub dead_lettered: u64,
}

#[derive(Default)]
struct Counters {
    written: AtomicU64,
    retried: AtomicU64,
    conflicts: AtomicU64,
    failed: AtomicU64,
    dead_lettered: AtomicU64,
}

/// A state waiting to be written, with its retry bookkeeping.
#[derive(Clone, Debug)]
struct Pending {
    state: PlayerState,
    attempt: SaveAttempt,
    /// Transient failures of this player's saves in a row.
    failures: u32,
    /// Not tried before this instant (per-player backoff).
    not_before: Option<Instant>,
    /// Conflicts of this player's saves in a row (each one reloaded and merged).
    merges: u32,
}

/// What the store holds for a player, as of our last load, write or conflict.
#[derive(Clone, Debug, Default)]
struct Known {
    version: Version,
    /// Every write is merged over it ([`PlayerState::merged_over`]), so once another
    /// writer's progress is seen, no later save of ours lowers it.
    state: PlayerState,
}

/// What the writer should do next.
enum Next {
    Write(String, PlayerState, Version, SaveAttempt),
    /// Nothing is ready; the earliest backoff ends then (None: nothing pending).
    Wait(Option<Instant>),
}

/// The queue proper: plain data, every change under one short-held lock.
#[derive(Default)]
struct Queue {
    /// The last successful load or write per player.
    known: HashMap<String, Known>,
    /// Players the server let go: forgotten once their last save settles.
    releasing: HashSet<String>,
    /// Newest state not yet handed to the writer, per player.
    pending: HashMap<String, Pending>,
    /// Players with a pending state, in the order they are tried; each appears at most once.
    order: VecDeque<String>,
    /// The state being written right now (at most one).
    in_flight: Option<(String, Pending)>,
    /// Source of save ids (with `run` below).
    next_save: u64,
    /// Distinguishes this queue's save ids from those of other processes.
    run: String,
}

impl Queue {
    fn len(&self) -> usize {
        self.pending.len() + usize::from(self.in_flight.is_some())
    }

    fn push(&mut self, player_id: &str, state: PlayerState) {
        self.next_save += 1;
        let id = format!("{}-{}", self.run, self.next_save);
        match self.pending.get_mut(player_id) {
            // Superseded before it was tried: it never reached the store, so its id is
            // dropped, while any unconfirmed ids and the backoff stay.
            Some(p) => {
                p.state = state;
                p.attempt.id = id;
            }
            None => {
                self.pending.insert(
                    player_id.to_owned(),
                    Pending {
                        state,
                        attempt: SaveAttempt {
                            id,
                            unconfirmed: Vec::new(),
                        },
                        failures: 0,
                        not_before: None,
                        merges: 0,
                    },
                );
                self.order.push_back(player_id.to_owned());
            }
        }
    }

    /// Moves the first pending state whose backoff is over to `in_flight`.
    fn take_next(&mut self, now: Instant) -> Next {
        let mut earliest: Option<Instant> = None;
        let ready =
            self.order
                .iter()
                .position(|p| match self.pending.get(p).and_then(|x| x.not_before) {
                    Some(t) if t > now => {
                        earliest = Some(earliest.map_or(t, |e| e.min(t)));
                        false
                    }
                    _ => true,
                });
        let Some(index) = ready else {
            return Next::Wait(earliest);
        };
        let Some(player_id) = self.order.remove(index) else {
            return Next::Wait(earliest);
        };
        let Some(mut pending) = self.pending.remove(&player_id) else {
            return self.take_next(now);
        };
        let version = match self.known.get(&player_id) {
            Some(known) => {
                pending.state = pending.state.merged_over(&known.state);
                known.version.clone()
            }
            None => None,
        };
        let out = Next::Write(
            player_id.clone(),
            pending.state.clone(),
            version,
            pending.attempt.clone(),
        );
        self.in_flight = Some((player_id, pending));
        out
    }

    /// The in-flight write failed transiently. Its outcome is unknown (the store may have
    /// committed it), so a newer state of the same player, if one waits, takes over and
    /// remembers its id as unconfirmed; otherwise it is retried later with the same id.
    /// Either way the player backs off and goes to the back of the queue.
    fn requeue_in_flight(&mut self, now: Instant, policy: &RetryPolicy) -> Option<Duration> {
        let (player_id, mut failed) = self.in_flight.take()?;
        failed.failures += 1;
        let delay = policy.delay(failed.failures);
        let not_before = Some(now + delay);
        if let Some(newer) = self.pending.get_mut(&player_id) {
            let mut unconfirmed = failed.attempt.unconfirmed;
            unconfirmed.push(failed.attempt.id);
            unconfirmed.append(&mut newer.attempt.unconfirmed);
            let excess = unconfirmed.len().saturating_sub(MAX_UNCONFIRMED);
            unconfirmed.drain(..excess);
            newer.attempt.unconfirmed = unconfirmed;
            newer.failures = failed.failures;
            newer.not_before = not_before;
            // Keep its place behind the players that were waiting.
            if let Some(i) = self.order.iter().position(|p| *p == player_id) {
                self.order.remove(i);
            }
        } else {
            failed.not_before = not_before;
            self.pending.insert(player_id.clone(), failed);
        }
        self.order.push_back(player_id);
        Some(delay)
    }

    /// Settles the in-flight write; returns it. `new_version` is set on success.
    fn finish_in_flight(&mut self, new_version: Option<Version>) -> Option<(String, Pending)> {
        let done = self.in_flight.take()?;
        if let Some(version) = new_version {
            let state = done.1.state.clone();
            self.known.insert(done.0.clone(), Known { version, state });
            // A success ends the player's backoff and resolves every unconfirmed id.
            if let Some(next) = self.pending.get_mut(&done.0) {
                next.failures = 0;
                next.not_before = None;
                next.merges = 0;
                next.attempt.unconfirmed.clear();
            }
        }
        Some(done)
    }

    /// The in-flight write was stale: another writer saved the player after the version we
    /// held. Adopts `stored`'s version, merges its progress into the newest state we hold for
    /// the player (the refused one's progress included) and queues that again, ready now.
    /// Returns the refused state instead once it has conflicted [`MAX_MERGES`] times in a
    /// row (the caller dead-letters it).
    fn merge_in_flight(
        &mut self,
        stored: Option<(PlayerState, Version)>,
    ) -> Option<(String, Pending)> {
        let (player_id, mut refused) = self.in_flight.take()?;
        refused.merges += 1;
        if refused.merges > MAX_MERGES {
            return Some((player_id, refused));
        }
        let known = stored.map_or_else(Known::default, |(state, version)| Known { version, state });
        // The refused state's progress lives on in whatever is written next.
        let merge = |state: PlayerState| state.merged_over(&known.state);
        if let Some(newer) = self.pending.get_mut(&player_id) {
            newer.state = merge(newer.state.merged_over(&refused.state));
            newer.merges = refused.merges;
            newer.not_before = None;
        } else {
            refused.state = merge(refused.state);
            refused.not_before = None;
            self.pending.insert(player_id.clone(), refused);
            self.order.push_back(player_id.clone());
        }
        self.known.insert(player_id, known);
        None
    }

    /// Drops what the queue remembers of a released player once nothing of it is queued.
    fn forget_if_released(&mut self, player_id: &str) {
        let busy = self.pending.contains_key(player_id)
            || self.in_flight.as_ref().is_some_and(|(p, _)| p == player_id);
        if !busy && self.releasing.remove(player_id) {
            self.known.remove(player_id);
        }
    }

    /// `flush`: try everything now.
    fn clear_backoff(&mut self) {
        for p in self.pending.values_mut() {
            p.not_before = None;
        }
    }

    /// The newest state this queue holds for a player (pending beats in flight).
    fn newest(&self, player_id: &str) -> Option<PlayerState> {
        self.pending
            .get(player_id)
            .map(|p| p.state.clone())
            .or_else(|| {
                self.in_flight
                    .as_ref()
                    .filter(|(p, _)| p == player_id)
                    .map(|(_, s)| s.state.clone())
            })
    }
}

struct Shared {
    queue: Mutex<Queue>,
    /// New work arrived, or `flush` wants the current backoffs cut short.
    work: Notify,
    /// Number of saves not yet settled (pending + in flight).
    pending_tx: watch::Sender<usize>,
    counters: Counters,
    dead_letter: Option<PathBuf>,
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

    /// Logs a state that will not be saved and appends it to the dead-letter file.
    fn dead_letter(&self, player_id: &str, pending: &Pending, expected: &Version, reason: &str) {
        let letter = DeadLetter {
            format: 1,
            player_id: player_id.to_owned(),
            state: pending.state.clone(),
            save_id: pending.attempt.id.clone(),
            expected: expected.clone(),
            reason: reason.to_owned(),
            at_unix_ms: unix_ms(),
        };
        let line = serde_json::to_string(&letter).unwrap_or_default();
        self.counters.dead_lettered.fetch_add(1, Ordering::Relaxed);
        let Some(path) = &self.dead_letter else {
            tracing::error!(player_id, reason, state = %line, "save dropped (no dead-letter file configured)");
            return;
        };
        match append_line(path, &line) {
            Ok(()) => {
                tracing::error!(player_id, reason, file = %path.display(), "save dead-lettered, not retried");
            }
            Err(e) => {
                tracing::error!(player_id, reason, state = %line, file = %path.display(), error = %e,
                    "save dropped: cannot write the dead-letter file");
            }
        }
    }
}

fn append_line(path: &Path, line: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    // Player data: readable by the server's own user only.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(format!("{line}\n").as_bytes())?;
    file.sync_data()
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Unique enough per process start: save ids of two runs never collide.
fn run_id() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{nanos:x}.{:x}", std::process::id())
}

/// Loads and saves player states; see the module documentation for the rules.
pub struct PlayerStates {
    shared: Arc<Shared>,
    store: Arc<dyn StateStore>,
    writer: JoinHandle<()>,
}

impl PlayerStates {
    /// Starts the writer task with [`SaveOptions::from_env`] for a durable store (no
    /// dead-letter file for the dev memory store); must be called inside a tokio runtime.
    pub fn new(store: Arc<dyn StateStore>) -> PlayerStates {
        let mut options = SaveOptions::from_env();
        if !store.is_durable() {
            options.dead_letter = None;
        }
        PlayerStates::with_options(store, options)
    }

    /// An explicit backoff and no dead-letter file (permanent failures are only logged).
    pub fn with_policy(store: Arc<dyn StateStore>, policy: RetryPolicy) -> PlayerStates {
        PlayerStates::with_options(
            store,
            SaveOptions {
                retry: policy,
                dead_letter: None,
            },
        )
    }

    pub fn with_options(store: Arc<dyn StateStore>, options: SaveOptions) -> PlayerStates {
        let (pending_tx, _) = watch::channel(0);
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue {
                run: run_id(),
                ..Queue::default()
            }),
            work: Notify::new(),
            pending_tx,
            counters: Counters::default(),
            dead_letter: options.dead_letter,
        });
        let writer = tokio::spawn(write_loop(shared.clone(), store.clone(), options.retry));
        PlayerStates {
            shared,
            store,
            writer,
        }
    }

    /// The player's state: the newest one still queued here if any, else the stored one
    /// (remembering its version), else the default state of a new player.
    pub async fn load(&self, player_id: &str) -> Result<PlayerState, StoreError> {
        {
            let mut queue = self.shared.lock();
            if let Some(state) = queue.newest(player_id) {
                // Back before its release save settled: keep what the queue knows.
                queue.releasing.remove(player_id);
                return Ok(state);
            }
        }
        let loaded = self.store.load(player_id).await?;
        let mut queue = self.shared.lock();
        queue.releasing.remove(player_id);
        // A save may have been queued while we were loading; it is newer than the store.
        if let Some(state) = queue.newest(player_id) {
            return Ok(state);
        }
        let (state, version) = loaded.unwrap_or_default();
        let known = Known {
            version,
            state: state.clone(),
        };
        queue.known.insert(player_id.to_owned(), known);
        Ok(state)
    }

    /// The server let the player go (left, or held past the resume window) after queuing
    /// its last save: once that save settles, the queue forgets the player.
    pub fn release(&self, player_id: &str) {
        let mut queue = self.shared.lock();
        queue.releasing.insert(player_id.to_owned());
        queue.forget_if_released(player_id);
    }

    /// Players whose storage version the queue remembers (loaded or saved, not released).
    pub fn remembered(&self) -> usize {
        self.shared.lock().known.len()
    }

    /// Queues a save and returns at once. Replaces any older pending state of this player.
    pub fn save(&self, player_id: &str, state: PlayerState) {
        let mut queue = self.shared.lock();
        queue.push(player_id, state);
        self.shared.publish(&queue);
        drop(queue);
        self.shared.work.notify_one();
    }

    /// Waits until every queued save is settled (written or dead-lettered), at most
    /// `timeout`, cutting current backoffs short. Returns the number of saves still pending
    /// (0 = all settled).
    pub async fn flush(&self, timeout: Duration) -> usize {
        let mut rx = self.shared.pending_tx.subscribe();
        self.shared.lock().clear_backoff();
        self.shared.work.notify_one();
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
            dead_lettered: c.dead_lettered.load(Ordering::Relaxed),
        }
    }
}

impl Drop for PlayerStates {
    fn drop(&mut self) {
        self.writer.abort();
        let mut queue = self.shared.lock();
        let left: Vec<(String, Pending)> = queue
            .in_flight
            .take()
            .into_iter()
            .chain(queue.pending.drain())
            .collect();
        if left.is_empty() {
            return;
        }
        tracing::error!(
            left = left.len(),
            "player states dropped with saves still pending (flush first)"
        );
        for (player_id, pending) in &left {
            let expected = queue.known.get(player_id).and_then(|k| k.version.clone());
            self.shared
                .dead_letter(player_id, pending, &expected, "still queued at shutdown");
        }
    }
}

async fn write_loop(shared: Arc<Shared>, store: Arc<dyn StateStore>, policy: RetryPolicy) {
    loop {
        let next = shared.lock().take_next(Instant::now());
        let (player_id, state, expected, attempt) = match next {
            Next::Write(p, s, v, a) => (p, s, v, a),
            Next::Wait(until) => {
                let notified = shared.work.notified();
                match until {
                    Some(t) => {
                        tokio::select! {
                            () = tokio::time::sleep_until(t) => {}
                            () = notified => {}
                        }
                    }
                    None => notified.await,
                }
                continue;
            }
        };
        let mut result = store.save(&player_id, &state, &expected, &attempt).await;
        let counters = &shared.counters;
        // Stale: read what the other writer stored (outside the lock), then merge below.
        let mut reloaded = None;
        if result == Err(StoreError::Conflict) {
            counters.conflicts.fetch_add(1, Ordering::Relaxed);
            match store.load(&player_id).await {
                Ok(stored) => reloaded = Some(stored),
                Err(e) => result = Err(e),
            }
        }
        let mut queue = shared.lock();
        match (result, reloaded) {
            (Ok(version), _) => {
                counters.written.fetch_add(1, Ordering::Relaxed);
                queue.finish_in_flight(Some(version));
            }
            (Err(StoreError::Conflict), Some(stored)) => {
                let version = stored.as_ref().and_then(|(_, v)| v.clone());
                match queue.merge_in_flight(stored) {
                    None => {
                        tracing::info!(
                            player_id,
                            ?expected,
                            ?version,
                            "stale save: merged with the stored state, writing again"
                        );
                    }
                    Some((_, pending)) => {
                        counters.failed.fetch_add(1, Ordering::Relaxed);
                        let reason = format!(
                            "{MAX_MERGES} conflicts in a row: another writer keeps saving this player"
                        );
                        shared.dead_letter(&player_id, &pending, &expected, &reason);
                    }
                }
            }
            (Err(StoreError::Unavailable(reason)), _) => {
                counters.retried.fetch_add(1, Ordering::Relaxed);
                let retry_in = queue.requeue_in_flight(Instant::now(), &policy);
                tracing::warn!(player_id, %reason, ?retry_in, "save failed, will retry");
            }
            (Err(error), _) => {
                counters.failed.fetch_add(1, Ordering::Relaxed);
                if let Some((_, pending)) = queue.finish_in_flight(None) {
                    shared.dead_letter(&player_id, &pending, &expected, &error.to_string());
                }
            }
        }
        queue.forget_if_released(&player_id);
        shared.publish(&queue);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(floor: u32) -> PlayerState {
        PlayerState {
            highest_floor: floor,
            ..PlayerState::default()
        }
    }

    #[test]
    fn backoff_doubles_per_player_up_to_the_cap() {
        let p = RetryPolicy {
            initial: Duration::from_millis(100),
            max: Duration::from_millis(500),
        };
        let got: Vec<u128> = (1..=5).map(|f| p.delay(f).as_millis()).collect();
        assert_eq!(got, [100, 200, 400, 500, 500]);
        assert_eq!(p.delay(u32::MAX), p.max);
    }

    #[test]
    fn a_backing_off_player_does_not_block_the_others() {
        let policy = RetryPolicy::default();
        let now = Instant::now();
        let mut q = Queue::default();
        q.push("a", s(1));
        q.push("b", s(1));
        let Next::Write(first, ..) = q.take_next(now) else {
            panic!("a is ready")
        };
        assert_eq!(first, "a");
        q.requeue_in_flight(now, &policy);
        let Next::Write(second, ..) = q.take_next(now) else {
            panic!("b is ready although a backs off")
        };
        assert_eq!(second, "b");
        q.finish_in_flight(Some(Some("1".into())));
        assert!(matches!(q.take_next(now), Next::Wait(Some(_))), "a waits");
        let Next::Write(again, ..) = q.take_next(now + policy.initial) else {
            panic!("a is ready after its backoff")
        };
        assert_eq!(again, "a");
    }

    #[test]
    fn a_lost_answer_is_remembered_as_unconfirmed_by_the_newer_state() {
        let now = Instant::now();
        let mut q = Queue::default();
        q.push("a", s(1));
        let Next::Write(_, _, _, first) = q.take_next(now) else {
            panic!()
        };
        q.push("a", s(2));
        q.requeue_in_flight(now, &RetryPolicy::default());
        q.clear_backoff();
        let Next::Write(_, state, _, second) = q.take_next(now) else {
            panic!()
        };
        assert_eq!(state, s(2));
        assert_ne!(second.id, first.id);
        assert_eq!(second.unconfirmed, [first.id]);
    }
}
