//! Logins off the transport task: authenticating the credentials and loading the player's
//! state take round trips to Nakama, so they run as tasks of their own and hand the
//! result back to the transport (`super::transport`) by connection id.

use crate::connection::AuthResult;
use crate::core::ConnId;
use crate::shell::Shared;
use std::sync::Arc;
use tokio::sync::mpsc;
use tower_meta::{Credentials, Identity};
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

/// The identity as other players see it: the one place names enter the server, from
/// Nakama (usernames, and group names any player picks) or dev auth. The name and the guild
/// pass through [`tower_protocol::sanitize_name`] (no control, bidi or invisible characters;
/// at most 64 characters and 128 bytes); a name left empty becomes `player-` and the start
/// of the player id, an empty guild none. The player id is not touched (it keys storage).
pub fn for_display(identity: Identity) -> Identity {
    let mut username = tower_protocol::sanitize_name(&identity.username);
    if username.is_empty() {
        let id: String = identity
            .player_id
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(8)
            .collect();
        username = format!("player-{id}");
    }
    let guild = identity
        .guild
        .as_deref()
        .map(tower_protocol::sanitize_name)
        .filter(|g| !g.is_empty());
    Identity {
        player_id: identity.player_id,
        username,
        guild,
    }
}

/// Authenticates and loads the player's state.
async fn authenticate(shared: Arc<Shared>, credentials: Credentials) -> AuthResult {
    let identity = shared
        .backends
        .auth
        .authenticate(&credentials)
        .await
        .map(for_display)
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

    fn identity(name: &str, guild: Option<&str>) -> Identity {
        Identity {
            player_id: "9f1c2d3e-0000-4000-8000-000000000001".into(),
            username: name.into(),
            guild: guild.map(str::to_owned),
        }
    }

    #[test]
    fn names_and_guilds_are_made_safe_to_draw() {
        let shown = for_display(identity(
            "adm\u{200B}in\u{202E}\n",
            Some("Tower\u{2066} Staff\r\n ✔"),
        ));
        assert_eq!(shown.username, "admin");
        assert_eq!(shown.guild.as_deref(), Some("Tower Staff ✔"));
        assert_eq!(shown.player_id, "9f1c2d3e-0000-4000-8000-000000000001");
        let long = for_display(identity(&"w".repeat(500), Some(&"g".repeat(500))));
        assert_eq!(long.username.len(), tower_protocol::MAX_NAME_CHARS);
        assert_eq!(
            long.guild.map(|g| g.len()),
            Some(tower_protocol::MAX_NAME_CHARS)
        );
    }

    #[test]
    fn a_name_with_nothing_visible_falls_back_and_an_empty_guild_is_none() {
        let shown = for_display(identity("\u{202E}\u{200B}\n", Some("\u{2060}")));
        assert_eq!(shown.username, "player-9f1c2d3e");
        assert_eq!(shown.guild, None);
        let plain = identity("ann", Some("Climbers"));
        assert_eq!(for_display(plain.clone()), plain);
    }

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
