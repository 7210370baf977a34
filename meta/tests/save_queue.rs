//! `PlayerStates` against `MemoryStore` and against a store that fails, then recovers.
//! Time is paused (tokio test-util), so the backoff is stepped, not waited for.

#![allow(clippy::unwrap_used)]

use async_trait::async_trait;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::Semaphore;
use tower_meta::{
    MemoryStore, PlayerState, PlayerStates, RetryPolicy, SaveStats, StateStore, StoreError, Version,
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
    ) -> Result<Version, StoreError> {
        self.save_calls.fetch_add(1, Ordering::SeqCst);
        if let Some(gate) = &self.gate {
            gate.acquire().await.expect("gate open").forget();
        }
        if self.down.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable("test: down".into()));
        }
        self.inner.save(player_id, state, expected).await
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
    store.inner.save("p", &state(4), &None).await.unwrap();
    store
        .inner
        .save("p", &state(5), &Some("1".into()))
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
    // 4 s down with backoff 0.1, 0.2, 0.4, 0.8, 1.6, 2, ...: a handful of tries, not a spin.
    assert!(
        (3..=10).contains(&calls_while_down),
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

#[tokio::test(start_paused = true)]
async fn a_stale_write_is_counted_not_forced() {
    let store = Arc::new(TestStore::default());
    let states = PlayerStates::with_policy(store.clone(), fast());
    assert_eq!(states.load("p").await, Ok(PlayerState::default()));
    states.save("p", state(1));
    assert_eq!(states.flush(Duration::from_secs(1)).await, 0);

    // Another writer (e.g. a second game server) updates the object behind our back.
    store
        .inner
        .save("p", &state(30), &Some("1".into()))
        .await
        .unwrap();
    states.save("p", state(2));
    assert_eq!(
        states.flush(Duration::from_secs(1)).await,
        0,
        "a conflict settles the save"
    );
    assert_eq!(states.stats().conflicts, 1);
    assert_eq!(
        store.inner.load("p").await,
        Ok(Some((state(30), Some("2".into())))),
        "not overwritten"
    );

    // A fresh load adopts the other writer's version; saving works again.
    assert_eq!(states.load("p").await, Ok(state(30)));
    states.save("p", state(31));
    assert_eq!(states.flush(Duration::from_secs(1)).await, 0);
    assert_eq!(
        store.inner.load("p").await,
        Ok(Some((state(31), Some("3".into()))))
    );
}

#[tokio::test(start_paused = true)]
async fn a_player_never_loaded_cannot_overwrite_existing_data() {
    let store = Arc::new(TestStore::default());
    store.inner.save("p", &state(9), &None).await.unwrap();
    let states = PlayerStates::with_policy(store.clone(), fast());
    states.save("p", state(1));
    assert_eq!(states.flush(Duration::from_secs(1)).await, 0);
    assert_eq!(states.stats().conflicts, 1);
    assert_eq!(
        store.inner.load("p").await,
        Ok(Some((state(9), Some("1".into()))))
    );
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
