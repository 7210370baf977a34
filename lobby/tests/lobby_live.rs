//! tower-lobby against a real Nakama (scripts/nakama-stack.sh): the calls bots make, and a
//! clear error for each bad input. Fails, never skips, if the stack cannot start.

#![allow(clippy::unwrap_used)]

use std::time::Duration;
use tower_lobby::{Lobby, LobbyError, NakamaStack};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_auth_guilds_and_errors() {
    let stack = NakamaStack::start().expect("the native Nakama stack must start");
    let lobby = Lobby::new(stack.http_url(), stack.server_key()).unwrap();

    // Same device twice = same account; the username is kept.
    let ann = lobby
        .authenticate_device("device-ann-0123456789", Some("ann"))
        .await
        .unwrap();
    let again = lobby
        .authenticate_device("device-ann-0123456789", None)
        .await
        .unwrap();
    assert_eq!((again.user_id(), again.username()), (ann.user_id(), "ann"));
    assert_eq!(ann.user_id().len(), 36);

    // Errors are clear and typed.
    assert!(matches!(
        Lobby::new("127.0.0.1:7350", "k"),
        Err(LobbyError::BadArgument(_))
    ));
    assert!(matches!(
        lobby.authenticate_device("short", None).await,
        Err(LobbyError::BadArgument(_))
    ));
    let wrong_key = Lobby::new(stack.http_url(), "not-the-server-key").unwrap();
    let refused = wrong_key
        .authenticate_device("device-eve-0123456789", None)
        .await;
    assert!(
        matches!(refused, Err(LobbyError::Status { status: 401, .. })),
        "{refused:?}"
    );
    let nobody = Lobby::new("http://127.0.0.1:9", "k").unwrap();
    assert!(matches!(
        nobody
            .authenticate_device("device-x-0123456789", None)
            .await,
        Err(LobbyError::Http(_))
    ));

    // Guilds through Nakama's own group API.
    let guild = ann.create_guild("Tower Tops", "").await.unwrap();
    let dup = ann.create_guild("Tower Tops", "").await;
    assert!(
        matches!(dup, Err(LobbyError::Status { status: 409, .. })),
        "{dup:?}"
    );
    let bob = lobby
        .authenticate_device("device-bob-0123456789", Some("bob"))
        .await
        .unwrap();
    bob.join_guild(&guild.id).await.unwrap();
    assert!(matches!(
        bob.join_guild("00000000-0000-0000-0000-000000000001").await,
        Err(LobbyError::Status { .. })
    ));
    let members = bob.guild_members(&guild.id).await.unwrap();
    assert_eq!(members.len(), 2);
    assert!(
        members.iter().any(|m| m.username == "ann" && m.state == 0),
        "creator is superadmin: {members:?}"
    );
    assert_eq!(bob.list_guilds("Tower").await.unwrap().len(), 1);

    // Nothing saved yet for a new player; the leaderboard exists and is empty.
    assert_eq!(bob.saved_state().await.unwrap(), None);
    assert!(
        bob.leaderboard("tower_highest_floor", 10)
            .await
            .unwrap()
            .is_empty()
    );

    // Realtime: a bad matchmaker request is refused locally.
    let mut socket = ann.connect_realtime().await.unwrap();
    assert!(matches!(
        socket.matchmaker_add(1, 2, "*").await,
        Err(LobbyError::BadArgument(_))
    ));
    let ticket = socket.matchmaker_add(2, 2, "*").await.unwrap();
    assert!(!ticket.is_empty());
    // Alone in the queue: no match, a clean timeout.
    assert!(matches!(
        socket.wait_for_match(Duration::from_secs(2)).await,
        Err(LobbyError::Timeout(_))
    ));
    socket.close().await.unwrap();

    ann.logout().await.unwrap();
    let after = ann.saved_state().await;
    assert!(
        matches!(after, Err(LobbyError::Status { status: 401, .. })),
        "logged-out token refused: {after:?}"
    );
    stack.stop().unwrap();
}
