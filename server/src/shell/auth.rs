//! Logins off the transport task: authenticating the credentials and loading the player's
//! state take round trips to Nakama, so they run as tasks of their own and hand the
//! result back to the transport (`super::transport`) by connection id.

use crate::connection::AuthResult;
use crate::core::ConnId;
use crate::shell::Shared;
use std::sync::Arc;
use tokio::sync::mpsc;
use tower_meta::Credentials;
use tower_protocol::pb::ErrorCode;
use tracing::debug;

/// A login's outcome for connection `.0`; `None`: the login task failed (panicked).
pub(crate) type Done = (ConnId, Option<AuthResult>);

/// Starts the login of `conn`; its result arrives on `done`. A draining server answers a
/// fresh login at once with the retryable `DRAINING`: the client queues for another
/// server (crate::shell::drain).
pub(crate) fn start(
    shared: &Arc<Shared>,
    conn: ConnId,
    credentials: Credentials,
    done: &mpsc::UnboundedSender<Done>,
) {
    if shared.draining.load(std::sync::atomic::Ordering::Relaxed) {
        let refused = Err((
            ErrorCode::Draining,
            "server is draining; queue for another".into(),
        ));
        let _ = done.send((conn, Some(refused)));
        return;
    }
    let (shared, done) = (Arc::clone(shared), done.clone());
    tokio::spawn(async move {
        let result = tokio::spawn(authenticate(shared, credentials)).await.ok();
        let _ = done.send((conn, result));
    });
}

/// Authenticates and loads the player's state.
async fn authenticate(shared: Arc<Shared>, credentials: Credentials) -> AuthResult {
    let identity = shared
        .backends
        .auth
        .authenticate(&credentials)
        .await
        .map_err(|e| (ErrorCode::AuthFailed, e.to_string()))?;
    if shared.dev_auth {
        debug!(name = %identity.username, "dev login (insecure: any name is accepted)");
    }
    let mut state = shared.states.load(&identity.player_id).await.map_err(|e| {
        (
            ErrorCode::ErrorUnspecified,
            format!("cannot load player state: {e}"),
        )
    })?;
    if shared.dev_auth
        && let Some(floors) = bench_spread_floors()
    {
        spread_new_player(&mut state, &identity.player_id, floors);
    }
    Ok((identity, state))
}

/// Load benchmarks only (dev auth only): `TOWER_BENCH_SPREAD_FLOORS=N` starts every new
/// player on one of floors 0..N, so a bench can measure players spread over floors without
/// waiting for them to climb.
fn bench_spread_floors() -> Option<u32> {
    std::env::var("TOWER_BENCH_SPREAD_FLOORS")
        .ok()?
        .parse::<u32>()
        .ok()
        .filter(|n| *n > 1)
}

/// Puts a player who never played (floor 0, nothing reached) on floor `hash(id) % floors`.
fn spread_new_player(state: &mut tower_meta::PlayerState, player_id: &str, floors: u32) {
    if state.current_floor != 0 || state.highest_floor != 0 {
        return;
    }
    // FNV-1a: stable across runs, so a bench's placement is reproducible.
    let hash = player_id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    let floor = u32::try_from(hash % u64::from(floors)).unwrap_or(0);
    state.current_floor = floor;
    state.highest_floor = floor;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bench_spread_places_only_new_players_and_covers_the_floors() {
        let mut seen = std::collections::BTreeSet::new();
        for i in 0..200 {
            let mut state = tower_meta::PlayerState::default();
            spread_new_player(&mut state, &format!("dev:bot{i}"), 10);
            assert_eq!(state.current_floor, state.highest_floor);
            seen.insert(state.current_floor);
        }
        assert_eq!(seen.len(), 10);
        let mut veteran = tower_meta::PlayerState {
            highest_floor: 3,
            current_floor: 2,
            ..Default::default()
        };
        spread_new_player(&mut veteran, "dev:old", 10);
        assert_eq!((veteran.current_floor, veteran.highest_floor), (2, 3));
    }
}
