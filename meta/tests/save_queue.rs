//! `PlayerStates` against `MemoryStore` and against a store that fails, then recovers.
//! Time is paused (tokio test-util), so the backoff is stepped, not waited for.

#![allow(clippy::unwrap_used)]

use async_trait::async_trait;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::Semaphore;
use tower_meta::{
    MemoryStore, PlayerState, PlayerStates, RetryPolicy, SaveAttempt, SaveStats, StateStore,
    StoreError, Version,
};

fn state(floor: u32) -> PlayerState {
    PlayerState {
        highest_floor: floor,
        current_floor: floor,
        health: 100,
        score: u64::from(floor) * 10,
    }
}

/// MemoryStore behind a switch: while `down`, every call fails with `Unavailable`.
/// `gate`, when set, makes each save wait for a permit (to hold a write in flight).
#[derive(Default)]
struct TestStore {
    inner: MemoryStore,
    down: AtomicBool,
    save_calls: AtomicUsize,
    gate: Option<Semaphore>,
    /// Saves of this player are refused for good (a deleted account).
    reject: Option<&'static str>,
    /// The next save is committed but its answer is lost (reported as `Unavailable`).
    lose_answer: AtomicBool,
}

impl TestStore {
    fn gated() -> TestStore {
        TestStore {
            gate: Some(Semaphore::new(0)),
            ..TestStore::default()
        }
    }
}

#[async_trait]
impl StateStore for TestStore {
    async fn load(&self, player_id: &str) -> Result<Option<(PlayerState, Version)>, StoreError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable("test: down".into()));
        }
        self.inner.load(player_id).await
    }

    async fn save(
        &self,
        player_id: &str,
        state: &PlayerState,
        expected: &Version,
        attempt: &SaveAttempt,
    ) -> Result<Version, StoreError> {
        self.save_calls.fetch_add(1, Ordering::SeqCst);
        if let Some(gate) = &self.gate {
            gate.acquire().await.expect("gate open").forget();
        }
        if self.down.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable("test: down".into()));
        }
        if self.reject == Some(player_id) {
            return Err(StoreError::Rejected("test: unknown user".into()));
        }
        let saved = self.inner.save(player_id, state, expected, attempt).await?;
        if self.lose_answer.swap(false, Ordering::SeqCst) {
            return Err(StoreError::Unavailable("test: answer lost".into()));
        }
        Ok(saved)
    }
}

/// A save made by another writer (a second game server).
fn other() -> SaveAttempt {
    SaveAttempt {
        id: "other-writer".into(),
        unconfirmed: Vec::new(),
    }
}

fn fast() -> RetryPolicy {
    RetryPolicy {
        initial: Duration::from_millis(100),
        max: Duration::from_secs(2),
    }
}

#[tokio::test(start_paused = true)]
async fn new_player_loads_default_and_saves_land_with_versions() {
    let store = Arc::new(TestStore::default());
    let states = PlayerStates::with_policy(store.clone(), fast());
    assert_eq!(states.load("p1").await, Ok(PlayerState::default()));
    states.save("p1", state(1));
    assert_eq!(states.flush(Duration::from_secs(1)).await, 0);
    states.save("p1", state(2));
    states.save("p2", state(7)); // never loaded: written as "must not exist yet"
    assert_eq!(states.flush(Duration::from_secs(1)).await, 0);
    assert_eq!(
        store.inner.load("p1").await,
        Ok(Some((state(2), Some("2".into()))))
    );
    assert_eq!(
        store.inner.load("p2").await,
        Ok(Some((state(7), Some("1".into()))))
    );
    assert_eq!(
        states.stats(),
        SaveStats {
            written: 3,
            ..SaveStats::default()
        }
    );
}

#[tokio::test(start_paused = true)]
async fn load_returns_the_stored_state_and_version_is_used_for_the_next_write() {
    let store = Arc::new(TestStore::default());
    store
        .inner
        .save("p", &state(4), &None, &other())
        .await
        .unwrap();
    store
        .inner
        .save("p", &state(5), &Some("1".into()), &other())
        .await
        .unwrap();
    let states = PlayerStates::with_policy(store.clone(), fast());
    assert_eq!(states.load("p").await, Ok(state(5)));
    states.save("p", state(6));
    assert_eq!(states.flush(Duration::from_secs(1)).await, 0);
    assert_eq!(
        store.inner.load("p").await,
        Ok(Some((state(6), Some("3".into()))))
    );
    assert_eq!(states.stats().conflicts, 0);
}

#[tokio::test(start_paused = true)]
async fn save_never_blocks_and_coalesces_to_the_newest_state() {
    let store = Arc::new(TestStore::gated());
    let states = PlayerStates::with_policy(store.clone(), fast());
    states.save("p", state(1));
    tokio::task::yield_now().await; // the writer takes state 1 and waits at the gate
    for floor in 2..=50 {
        states.save("p", state(floor)); // returns at once although the store is stuck
    }
    states.save("q", state(9));
    assert_eq!(states.pending(), 3, "1 in flight + newest of p + q");
    // While queued, a load sees the newest state, not the store's.
    assert_eq!(states.load("p").await, Ok(state(50)));
    assert_eq!(
        states.flush(Duration::from_millis(50)).await,
        3,
        "flush times out, reports what is left"
    );

    store.gate.as_ref().unwrap().add_permits(100);
    assert_eq!(states.flush(Duration::from_secs(1)).await, 0);
    assert_eq!(
        store.save_calls.load(Ordering::SeqCst),
        3,
        "states 2..=49 were never written"
    );
    assert_eq!(
        store.inner.load("p").await,
        Ok(Some((state(50), Some("2".into()))))
    );
    assert_eq!(
        store.inner.load("q").await,
        Ok(Some((state(9), Some("1".into()))))
    );
}

#[tokio::test(start_paused = true)]
async fn unavailable_store_keeps_every_save_and_retries_with_backoff_until_it_returns() {
    let store = Arc::new(TestStore::default());
    let states = PlayerStates::with_policy(store.clone(), fast());
    for p in ["a", "b", "c"] {
        assert_eq!(states.load(p).await, Ok(PlayerState::default()));
        states.save(p, state(1));
    }
    assert_eq!(states.flush(Duration::from_secs(1)).await, 0);

    store.down.store(true, Ordering::SeqCst);
    for floor in 2..=5 {
        for p in ["a", "b", "c"] {
            states.save(p, state(floor));
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    assert_eq!(states.pending(), 3);
    let calls_while_down = store.save_calls.load(Ordering::SeqCst) - 3;
    // 4 s down with a per-player backoff of 0.1, 0.2, 0.4, 0.8, 1.6, 2, ...: a handful of
    // tries per player, not a spin.
    assert!(
        (3..=24).contains(&calls_while_down),
        "tries while down: {calls_while_down}"
    );
    assert!(states.stats().retried >= 3);
    assert_eq!(
        states.flush(Duration::from_secs(3)).await,
        3,
        "nothing settles while down"
    );

    store.down.store(false, Ordering::SeqCst);
    assert_eq!(states.flush(Duration::from_secs(5)).await, 0);
    for p in ["a", "b", "c"] {
        assert_eq!(
            store.inner.load(p).await,
            Ok(Some((state(5), Some("2".into())))),
            "player {p}"
        );
    }
    let stats = states.stats();
    assert_eq!((stats.written, stats.conflicts, stats.failed), (6, 0, 0));

    // Backoff resets after recovery: the next save goes through at once.
    states.save("a", state(6));
    assert_eq!(states.flush(Duration::from_millis(1)).await, 0);
}

#[tokio::test(start_paused = true)]
async fn load_fails_clearly_while_the_store_is_down() {
    let store = Arc::new(TestStore::default());
    store.down.store(true, Ordering::SeqCst);
    let states = PlayerStates::with_policy(store.clone(), fast());
    assert!(matches!(
        states.load("p").await,
        Err(StoreError::Unavailable(_))
    ));
}

fn progress(highest: u32, current: u32, score: u64) -> PlayerState {
    PlayerState {
        highest_floor: highest,
        current_floor: current,
        health: 100,
        score,
    }
}

#[tokio::test(start_paused = true)]
async fn a_stale_write_is_reloaded_merged_and_written_never_lowering_progress() {
    let store = Arc::new(TestStore::default());
    let states = PlayerStates::with_policy(store.clone(), fast());
    assert_eq!(states.load("p").await, Ok(PlayerState::default()));
    states.save("p", state(1));
    assert_eq!(states.flush(Duration::from_secs(1)).await, 0);

    // Another writer (e.g. a second game server) updates the object behind our back.
    store
        .inner
        .save("p", &state(30), &Some("1".into()), &other())
        .await
        .unwrap();
    states.save("p", state(2));
    assert_eq!(states.flush(Duration::from_secs(1)).await, 0);
    assert_eq!(states.stats().conflicts, 1);
    assert_eq!(states.stats().dead_lettered, 0);
    assert_eq!(
        store.inner.load("p").await,
        Ok(Some((progress(30, 2, 300), Some("3".into())))),
        "highest floor and score kept from the store, where the player stands from us"
    );
    // The adopted version keeps later saves landing without a conflict.
    states.save("p", state(3));
    assert_eq!(states.flush(Duration::from_secs(1)).await, 0);
    assert_eq!(
        store.inner.load("p").await,
        Ok(Some((progress(30, 3, 300), Some("4".into()))))
    );
    assert_eq!(states.stats().conflicts, 1);
}

#[tokio::test(start_paused = true)]
async fn a_player_never_loaded_cannot_lower_existing_data() {
    let store = Arc::new(TestStore::default());
    store
        .inner
        .save("p", &state(9), &None, &other())
        .await
        .unwrap();
    let states = PlayerStates::with_policy(store.clone(), fast());
    states.save("p", state(1));
    assert_eq!(states.flush(Duration::from_secs(1)).await, 0);
    assert_eq!(states.stats().conflicts, 1);
    assert_eq!(
        store.inner.load("p").await,
        Ok(Some((progress(9, 1, 90), Some("2".into()))))
    );
}

/// Issue 28's case: the player dropped from server A and was matched to server B inside
/// A's resume window. B loaded the player; A's release save landed after that; every one of
/// B's saves must still land, and the stored state must hold the best of both.
#[tokio::test(start_paused = true)]
async fn a_release_save_landing_late_from_another_server_loses_nothing() {
    let store = Arc::new(TestStore::default());
    let a = PlayerStates::with_policy(store.clone(), fast());
    let b = PlayerStates::with_policy(store.clone(), fast());
    // On A: the player climbs to floor 1 (saved), then reaches floor 2 and drops.
    assert_eq!(a.load("p").await, Ok(PlayerState::default()));
    a.save("p", progress(1, 1, 10));
    assert_eq!(a.flush(Duration::from_secs(1)).await, 0);
    // On B: the player is loaded (floor 1) while A still holds them.
    assert_eq!(b.load("p").await, Ok(progress(1, 1, 10)));
    // A's resume window ends: its release save lands first.
    a.save("p", progress(2, 2, 25));
    a.release("p");
    assert_eq!(a.flush(Duration::from_secs(1)).await, 0);
    // B's three saves of the session: the first conflicts, every one lands.
    for (i, s) in [progress(1, 0, 12), progress(1, 1, 14), progress(3, 3, 40)]
        .into_iter()
        .enumerate()
    {
        b.save("p", s);
        assert_eq!(b.flush(Duration::from_secs(1)).await, 0, "save {i}");
    }
    assert_eq!(b.stats().written, 3);
    assert_eq!(b.stats().conflicts, 1);
    assert_eq!(b.stats().dead_lettered, 0);
    let (stored, version) = store.inner.load("p").await.unwrap().unwrap();
    assert_eq!(stored, progress(3, 3, 40));
    assert_eq!(version, Some("5".into()));
    // Between the conflict and the last save, A's floor 2 was never lost.
    assert_eq!(a.remembered(), 0, "A forgot the released player");
}

#[tokio::test(start_paused = true)]
async fn a_writer_racing_every_save_is_given_up_after_max_merges() {
    /// Every save of ours is preceded by another writer's.
    struct Racing(MemoryStore, AtomicUsize);
    #[async_trait]
    impl StateStore for Racing {
        async fn load(
            &self,
            player_id: &str,
        ) -> Result<Option<(PlayerState, Version)>, StoreError> {
            self.0.load(player_id).await
        }
        async fn save(
            &self,
            player_id: &str,
            state: &PlayerState,
            expected: &Version,
            attempt: &SaveAttempt,
        ) -> Result<Version, StoreError> {
            let n = self.1.fetch_add(1, Ordering::SeqCst);
            let current = self.0.load(player_id).await?.and_then(|(_, v)| v);
            let other = SaveAttempt {
                id: format!("racer-{n}"),
                unconfirmed: Vec::new(),
            };
            self.0
                .save(player_id, &state_of(n), &current, &other)
                .await?;
            self.0.save(player_id, state, expected, attempt).await
        }
    }
    fn state_of(n: usize) -> PlayerState {
        state(u32::try_from(n).unwrap())
    }
    let store = Arc::new(Racing(MemoryStore::default(), AtomicUsize::new(0)));
    let states = PlayerStates::with_policy(store.clone(), fast());
    assert_eq!(states.load("p").await, Ok(PlayerState::default()));
    states.save("p", state(1));
    assert_eq!(states.flush(Duration::from_secs(5)).await, 0);
    let stats = states.stats();
    assert_eq!(stats.conflicts, u64::from(tower_meta::MAX_MERGES) + 1);
    assert_eq!((stats.written, stats.dead_lettered), (0, 1));
}

#[tokio::test(start_paused = true)]
async fn released_players_are_forgotten_once_their_last_save_settles() {
    let store = Arc::new(TestStore::gated());
    let states = PlayerStates::with_policy(store.clone(), fast());
    for p in ["a", "b", "c"] {
        states.load(p).await.unwrap();
    }
    assert_eq!(states.remembered(), 3);
    // Released with nothing queued: forgotten at once.
    states.release("a");
    assert_eq!(states.remembered(), 2);
    // Released with its last save still in flight: forgotten when it lands.
    states.save("b", state(4));
    states.release("b");
    assert_eq!(states.remembered(), 2);
    store.gate.as_ref().unwrap().add_permits(10);
    assert_eq!(states.flush(Duration::from_secs(1)).await, 0);
    assert_eq!(states.remembered(), 1);
    // Back before the release save settled: remembered, and saves still carry its version.
    states.save("c", state(5));
    states.release("c");
    assert_eq!(states.load("c").await, Ok(state(5)));
    assert_eq!(states.flush(Duration::from_secs(1)).await, 0);
    assert_eq!(states.remembered(), 1);
    states.save("c", state(6));
    assert_eq!(states.flush(Duration::from_secs(1)).await, 0);
    assert_eq!(states.stats().conflicts, 0);
    assert_eq!(store.inner.load("c").await.unwrap().unwrap().0, state(6));
}

#[tokio::test(start_paused = true)]
async fn a_newer_save_made_during_a_failing_write_wins_over_the_retry() {
    let store = Arc::new(TestStore::gated());
    store.down.store(true, Ordering::SeqCst);
    let states = PlayerStates::with_policy(store.clone(), fast());
    states.save("p", state(1));
    tokio::task::yield_now().await; // state 1 in flight, held at the gate
    states.save("p", state(2));
    store.gate.as_ref().unwrap().add_permits(1); // state 1 fails: Unavailable
    tokio::task::yield_now().await;
    store.down.store(false, Ordering::SeqCst);
    store.gate.as_ref().unwrap().add_permits(100);
    assert_eq!(states.flush(Duration::from_secs(5)).await, 0);
    assert_eq!(
        store.inner.load("p").await,
        Ok(Some((state(2), Some("1".into()))))
    );
    assert_eq!(
        store.save_calls.load(Ordering::SeqCst),
        2,
        "state 1 was not retried"
    );
}

#[tokio::test(start_paused = true)]
async fn a_save_that_can_never_succeed_is_dead_lettered_and_blocks_nobody() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dead.jsonl");
    let store = Arc::new(TestStore {
        reject: Some("gone"),
        ..TestStore::default()
    });
    let states = PlayerStates::with_options(
        store.clone(),
        tower_meta::SaveOptions {
            retry: fast(),
            dead_letter: Some(file.clone()),
        },
    );
    states.save("gone", state(3));
    states.save("ok", state(4));
    assert_eq!(states.flush(Duration::from_secs(1)).await, 0);
    assert_eq!(
        store.save_calls.load(Ordering::SeqCst),
        2,
        "the refused save is not retried"
    );
    assert_eq!(
        store.inner.load("ok").await.unwrap().map(|(s, _)| s),
        Some(state(4))
    );
    let stats = states.stats();
    assert_eq!(
        (stats.failed, stats.dead_lettered, stats.written),
        (1, 1, 1)
    );
    let letters = tower_meta::read_dead_letters(&file).unwrap();
    assert_eq!(letters.len(), 1);
    let letter = letters[0].as_ref().unwrap();
    assert_eq!(
        (letter.player_id.as_str(), &letter.state),
        ("gone", &state(3))
    );
    assert!(letter.reason.contains("unknown user"), "{}", letter.reason);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "player data is private");
    }
}

#[tokio::test(start_paused = true)]
async fn a_transiently_failing_player_does_not_hold_up_the_others() {
    let store = Arc::new(TestStore::gated());
    let states = PlayerStates::with_policy(
        store.clone(),
        RetryPolicy {
            initial: Duration::from_secs(5),
            max: Duration::from_secs(60),
        },
    );
    store.down.store(true, Ordering::SeqCst);
    states.save("a", state(1));
    store.gate.as_ref().unwrap().add_permits(1);
    tokio::time::sleep(Duration::from_millis(10)).await; // a failed: backs off 5 s
    store.down.store(false, Ordering::SeqCst);
    states.save("b", state(2));
    store.gate.as_ref().unwrap().add_permits(100);
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(
        store.inner.load("b").await.unwrap().map(|(s, _)| s),
        Some(state(2)),
        "b landed while a was still backing off"
    );
    assert_eq!(states.pending(), 1, "a is still waiting");
    assert_eq!(states.flush(Duration::from_secs(10)).await, 0);
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_a_lost_answer_succeeds_and_later_saves_keep_working() {
    let store = Arc::new(TestStore::default());
    let states = PlayerStates::with_policy(store.clone(), fast());
    assert_eq!(states.load("p").await, Ok(PlayerState::default()));
    store.lose_answer.store(true, Ordering::SeqCst);
    states.save("p", state(1));
    assert_eq!(states.flush(Duration::from_secs(2)).await, 0);
    states.save("p", state(2));
    assert_eq!(states.flush(Duration::from_secs(2)).await, 0);
    // A lost answer while a newer state already waits: that one replaces the unconfirmed write.
    let gated = Arc::new(TestStore::gated());
    let states2 = PlayerStates::with_policy(gated.clone(), fast());
    assert_eq!(states2.load("q").await, Ok(PlayerState::default()));
    gated.lose_answer.store(true, Ordering::SeqCst);
    states2.save("q", state(5));
    tokio::task::yield_now().await;
    states2.save("q", state(6));
    gated.gate.as_ref().unwrap().add_permits(100);
    assert_eq!(states2.flush(Duration::from_secs(2)).await, 0);
    assert_eq!(
        gated.inner.load("q").await.unwrap().map(|(s, _)| s),
        Some(state(6))
    );
    let stats = states.stats();
    assert_eq!((stats.conflicts, stats.written, stats.retried), (0, 2, 1));
    assert_eq!(states2.stats().conflicts, 0);
    assert_eq!(
        store.inner.load("p").await.unwrap().map(|(s, _)| s),
        Some(state(2))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_players_concurrently_on_a_real_runtime() {
    let store = Arc::new(TestStore::default());
    let states = Arc::new(PlayerStates::new(store.clone()));
    let mut tasks = Vec::new();
    for p in 0..20 {
        let states = states.clone();
        tasks.push(tokio::spawn(async move {
            let id = format!("p{p}");
            states.load(&id).await.expect("load");
            for floor in 1..=30 {
                states.save(&id, state(floor));
                tokio::task::yield_now().await;
            }
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
    assert_eq!(states.flush(Duration::from_secs(10)).await, 0);
    for p in 0..20 {
        let (s, _) = store.inner.load(&format!("p{p}")).await.unwrap().unwrap();
        assert_eq!(s, state(30));
    }
    assert_eq!(states.stats().conflicts, 0);
}
