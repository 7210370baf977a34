//! tower-meta against a REAL Nakama (PostgreSQL + Nakama v3.40.0 + our Lua modules), started
//! on free loopback ports by scripts/nakama-stack.sh. If the stack cannot start, these tests
//! fail: they are never skipped.

#![allow(clippy::unwrap_used)]

use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::AtomicU32;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tower_lobby::{Lobby, LobbyError, NakamaStack, Session};
use tower_meta::nakama::{
    NakamaClient, NakamaLeaderboard, NakamaStore, RpcError, TicketAuth, TicketClaims, registry,
    sign_ticket,
};
use tower_meta::{
    AuthError, Credentials, Identity, Leaderboard, MetaError, NakamaConfig, PlayerState,
    PlayerStates, RetryPolicy, SaveAttempt, StateStore, StoreError, nakama_backends,
};

fn start_stack(env: &[(&str, &str)]) -> NakamaStack {
    NakamaStack::start_with_env(env)
        .expect("the native Nakama stack must start (scripts/install.d/50-nakama.sh installs it)")
}

fn config(stack: &NakamaStack, server_id: &str) -> NakamaConfig {
    NakamaConfig {
        heartbeat_secs: 1,
        request_timeout_ms: 2000,
        cert_fingerprint: format!("fp-{server_id}"),
        capacity: 10,
        ..NakamaConfig::local_dev(stack.grpc_url(), server_id, "127.0.0.1", 4433)
    }
    .with_keys(stack)
}

trait WithKeys {
    fn with_keys(self, stack: &NakamaStack) -> Self;
}
impl WithKeys for NakamaConfig {
    fn with_keys(mut self, stack: &NakamaStack) -> Self {
        self.http_key = stack.http_key().to_owned();
        self.ticket_key = stack.ticket_key().to_owned();
        self
    }
}

fn client(stack: &NakamaStack) -> NakamaClient {
    NakamaClient::connect_lazy(stack.grpc_url(), stack.http_key(), Duration::from_secs(2))
        .expect("client")
}

async fn player(stack: &NakamaStack, name: &str) -> Session {
    let lobby = Lobby::new(stack.http_url(), stack.server_key()).expect("lobby");
    lobby
        .authenticate_device(&format!("device-{name}-0123456789"), Some(name))
        .await
        .expect("device auth")
}

/// A one-off save attempt (a fresh save id).
fn attempt(id: &str) -> SaveAttempt {
    SaveAttempt {
        id: id.into(),
        unconfirmed: Vec::new(),
    }
}

fn state(floor: u32) -> PlayerState {
    PlayerState {
        highest_floor: floor,
        current_floor: floor,
        health: 90,
        score: u64::from(floor) * 100,
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

async fn wait_until<F, Fut>(what: &str, timeout: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_heartbeats_and_expiry() {
    let stack = start_stack(&[("TOWER_SERVER_TTL_SEC", "3")]);
    let nk = client(&stack);

    // A wrong http_key is refused at start-up: a misconfigured server does not run.
    let mut bad = config(&stack, "bad");
    bad.http_key = "wrong".into();
    let refused = nakama_backends(&bad, Arc::new(AtomicU32::new(0))).await;
    assert!(
        matches!(refused, Err(MetaError::Register(RpcError::Refused { .. }))),
        "{:?}",
        refused.err()
    );
    let mut empty = config(&stack, "empty");
    empty.ticket_key.clear();
    assert!(matches!(
        nakama_backends(&empty, Arc::new(AtomicU32::new(0))).await,
        Err(MetaError::Config(_))
    ));

    let players = Arc::new(AtomicU32::new(3));
    let (_backends, beats) = nakama_backends(&config(&stack, "s1"), players.clone())
        .await
        .expect("register");
    let servers = registry::list_servers(&nk).await.unwrap();
    assert_eq!(servers.len(), 1);
    let s1 = &servers[0];
    assert!(s1.live);
    assert_eq!(
        (
            s1.entry.id.as_str(),
            s1.entry.port,
            s1.entry.players,
            s1.entry.capacity
        ),
        ("s1", 4433, 3, 10)
    );
    assert_eq!(s1.entry.fingerprint, "fp-s1");

    // Heartbeats carry the live player count.
    players.store(7, std::sync::atomic::Ordering::Relaxed);
    wait_until(
        "players=7 in the registry",
        Duration::from_secs(5),
        || async { registry::list_servers(&nk).await.unwrap()[0].entry.players == 7 },
    )
    .await;
    // Alive as long as it beats (well past the 3 s TTL).
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert!(registry::list_servers(&nk).await.unwrap()[0].live);

    // Heartbeats stop: after the TTL the server is no longer live.
    beats.abort();
    wait_until("s1 to expire", Duration::from_secs(10), || async {
        !registry::list_servers(&nk).await.unwrap()[0].live
    })
    .await;

    // Deregistration removes it.
    registry::deregister(&nk, "s1").await.unwrap();
    assert!(registry::list_servers(&nk).await.unwrap().is_empty());

    // A player may not call the server-only RPCs with their session.
    let ann = player(&stack, "ann").await;
    let denied = ann
        .rpc(
            "tower_server_heartbeat",
            &json!({"id":"evil","instance":"i","address":"x","port":1,"capacity":1,"players":0}),
        )
        .await;
    assert!(
        matches!(denied, Err(LobbyError::Status { .. })),
        "{denied:?}"
    );
    stack.stop().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn player_state_rpcs_respect_versions() {
    let stack = start_stack(&[]);
    let store = NakamaStore::new(client(&stack));
    let ann = player(&stack, "ann").await;
    let id = ann.user_id().to_owned();

    assert_eq!(store.load(&id).await, Ok(None));
    let v1 = store
        .save(&id, &state(1), &None, &attempt("a1"))
        .await
        .expect("create");
    assert!(v1.is_some());
    assert_eq!(
        store.save(&id, &state(9), &None, &attempt("a2")).await,
        Err(StoreError::Conflict),
        "create over existing"
    );
    let v2 = store
        .save(&id, &state(2), &v1, &attempt("a3"))
        .await
        .expect("update with current version");
    assert_ne!(v1, v2);
    assert_eq!(
        store.save(&id, &state(9), &v1, &attempt("a4")).await,
        Err(StoreError::Conflict),
        "stale version"
    );
    assert_eq!(store.load(&id).await, Ok(Some((state(2), v2.clone()))));

    // Saves keep the leaderboard in step (rejected saves do not count).
    let top = ann.leaderboard("tower_highest_floor", 10).await.unwrap();
    assert_eq!(
        top.iter()
            .map(|r| (r.username.as_str(), r.score))
            .collect::<Vec<_>>(),
        [("ann", 2)]
    );

    // Bad input is refused clearly, not retried forever.
    assert!(matches!(
        store.load("dev:ann").await,
        Err(StoreError::Rejected(_))
    ));
    assert!(matches!(
        store
            .save("not-a-uuid", &state(1), &None, &attempt("a5"))
            .await,
        Err(StoreError::Rejected(_))
    ));
    assert!(matches!(
        store
            .save(&id, &state(1), &Some(String::new()), &attempt("a6"))
            .await,
        Err(StoreError::Rejected(_))
    ));

    // The player can read their own state (tower_state_mine) but not write it.
    let (value, version) = ann
        .saved_state()
        .await
        .unwrap()
        .expect("state visible to its owner");
    assert_eq!(value["highest_floor"], 2);
    assert_eq!(Some(version), v2);
    let denied = ann
        .rpc(
            "tower_state_save",
            &json!({"user_id": id, "state": {"highest_floor": 99}}),
        )
        .await;
    assert!(
        matches!(denied, Err(LobbyError::Status { .. })),
        "{denied:?}"
    );
    stack.stop().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn matchmaker_tickets_and_their_verification() {
    let stack = start_stack(&[]);
    let ann = player(&stack, "ann").await;
    let bob = player(&stack, "bob").await;

    // No live server yet: each matched player gets a clear notification, not silence.
    let (a, b) = tokio::join!(find_match(&ann), find_match(&bob));
    for r in [a, b] {
        assert!(
            matches!(&r, Err(LobbyError::NoServer(reason)) if reason.contains("no game server")),
            "{r:?}"
        );
    }

    // Two servers; the less loaded one gets the match.
    let (_busy, busy_beats) = nakama_backends(&config(&stack, "busy"), Arc::new(AtomicU32::new(8)))
        .await
        .unwrap();
    let (backends, _beats) = nakama_backends(&config(&stack, "s1"), Arc::new(AtomicU32::new(1)))
        .await
        .unwrap();
    let (a, b) = tokio::join!(find_match(&ann), find_match(&bob));
    let (a, b) = (a.expect("ann matched"), b.expect("bob matched"));
    assert_eq!((a.server_id.as_str(), b.server_id.as_str()), ("s1", "s1"));
    assert_eq!(
        (a.address.as_str(), a.port, a.fingerprint.as_str()),
        ("127.0.0.1", 4433, "fp-s1")
    );
    assert_ne!(a.ticket, b.ticket, "each player has their own ticket");
    let lifetime = a.expires_at.saturating_sub(unix_now());
    assert!((1..=60).contains(&lifetime), "ticket lifetime {lifetime}");

    // The game server accepts each ticket once; the ticket alone is the credential.
    let ann_id = backends
        .auth
        .authenticate(&Credentials::Ticket {
            ticket: a.ticket.clone(),
        })
        .await
        .expect("ann's ticket is accepted");
    assert_eq!(
        ann_id,
        Identity {
            player_id: ann.user_id().into(),
            username: "ann".into(),
            guild: None
        }
    );
    let replay = backends
        .auth
        .authenticate(&Credentials::Ticket {
            ticket: a.ticket.clone(),
        })
        .await;
    assert_eq!(replay, Err(AuthError::Replayed));

    // Forged, expired and foreign tickets.
    let key = stack.ticket_key().as_bytes();
    let now = unix_now();
    let instance = TicketClaims::unverified(&b.ticket).unwrap().ins;
    let claims = |jti: &str, srv: &str, iat: u64, exp: u64| TicketClaims {
        sub: bob.user_id().into(),
        usr: "bob".into(),
        srv: srv.into(),
        ins: instance.clone(),
        jti: jti.into(),
        iat,
        exp,
    };
    let cases = [
        (
            sign_ticket(b"not-the-key", &claims("f", "s1", now, now + 30)).unwrap(),
            "bad signature",
        ),
        (
            sign_ticket(key, &claims("e", "s1", now - 100, now - 50)).unwrap(),
            "expired",
        ),
        (
            sign_ticket(key, &claims("o", "busy", now, now + 30)).unwrap(),
            "for game server",
        ),
        (
            sign_ticket(key, &claims("l", "s1", now, now + 3600)).unwrap(),
            "lifetime",
        ),
    ];
    for (ticket, why) in cases {
        let r = backends
            .auth
            .authenticate(&Credentials::Ticket { ticket })
            .await;
        assert!(
            matches!(&r, Err(AuthError::BadTicket(m)) if m.contains(why)),
            "{why}: {r:?}"
        );
    }
    // Dev logins are refused on a Nakama-backed server.
    assert_eq!(
        backends
            .auth
            .authenticate(&Credentials::Dev { name: "x".into() })
            .await,
        Err(AuthError::DevDisabled)
    );

    // A deleted account's ticket is refused (checked over the server-only RPC by user id),
    // and the refusal does not spend it.
    bob.delete_account().await.unwrap();
    let r = backends
        .auth
        .authenticate(&Credentials::Ticket { ticket: b.ticket })
        .await;
    assert!(
        matches!(&r, Err(AuthError::BadTicket(m)) if m.contains("does not exist")),
        "{r:?}"
    );
    busy_beats.abort();
    stack.stop().unwrap();
}

async fn find_match(session: &Session) -> Result<tower_lobby::MatchAssignment, LobbyError> {
    let mut socket = session.connect_realtime().await?;
    let result = socket.find_match(2, 2, Duration::from_secs(20)).await;
    socket.close().await.ok();
    result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saves_survive_a_nakama_outage() {
    let stack = start_stack(&[]);
    let store: Arc<dyn StateStore> = Arc::new(NakamaStore::new(client(&stack)));
    let states = PlayerStates::with_policy(
        store.clone(),
        RetryPolicy {
            initial: Duration::from_millis(100),
            max: Duration::from_millis(800),
        },
    );
    let board = NakamaLeaderboard::with_policy(
        client(&stack),
        RetryPolicy {
            initial: Duration::from_millis(100),
            max: Duration::from_millis(800),
        },
    );
    let mut ids = Vec::new();
    let mut sessions = Vec::new();
    for name in ["ann", "bob", "cid"] {
        let session = player(&stack, name).await;
        ids.push(session.user_id().to_owned());
        sessions.push(session);
    }
    let ann = Identity {
        player_id: ids[0].clone(),
        username: "ann".into(),
        guild: None,
    };
    for id in &ids {
        assert_eq!(states.load(id).await, Ok(PlayerState::default()));
        states.save(id, state(1));
    }
    assert_eq!(states.flush(Duration::from_secs(10)).await, 0);

    stack.stop_nakama().expect("stop nakama");
    // Play goes on: saves are queued, never blocking.
    for floor in 2..=4 {
        for id in &ids {
            let started = std::time::Instant::now();
            states.save(id, state(floor));
            assert!(started.elapsed() < Duration::from_millis(50));
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // A new highest floor while Nakama is down is kept (best only) and retried.
    board
        .submit_highest_floor(&ann, 7)
        .await
        .expect("queued, not lost");
    board
        .submit_highest_floor(&ann, 6)
        .await
        .expect("queued, not lost");
    assert_eq!(board.pending(), 1);
    assert_eq!(
        states.flush(Duration::from_secs(1)).await,
        3,
        "nothing lands while Nakama is down"
    );
    assert!(states.stats().retried > 0);

    stack.start_nakama().expect("restart nakama");
    assert_eq!(
        states.flush(Duration::from_secs(20)).await,
        0,
        "every save lands once Nakama is back"
    );
    wait_until(
        "the queued leaderboard record",
        Duration::from_secs(20),
        || async { board.pending() == 0 },
    )
    .await;
    let top = sessions[1]
        .leaderboard("tower_highest_floor", 10)
        .await
        .unwrap();
    // Nakama orders equal scores by time of submission, which the retry queue decides.
    let mut ranked = top
        .iter()
        .map(|r| (r.username.as_str(), r.score))
        .collect::<Vec<_>>();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    assert_eq!(ranked, [("ann", 7), ("bob", 4), ("cid", 4)]);
    for id in &ids {
        let (saved, version) = store.load(id).await.unwrap().expect("saved");
        assert_eq!(saved, state(4), "newest state for {id}");
        // Written with the version of the previous write: a further save goes through.
        states.save(id, state(5));
        assert!(version.is_some());
    }
    assert_eq!(states.flush(Duration::from_secs(10)).await, 0);
    let stats = states.stats();
    assert_eq!((stats.conflicts, stats.failed), (0, 0), "{stats:?}");
    assert_eq!(stats.written, 9);
    stack.stop().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaderboard_and_guild_record() {
    let stack = start_stack(&[]);
    let nk = client(&stack);
    let board = NakamaLeaderboard::new(nk.clone());
    let auth = TicketAuth::new(nk, stack.ticket_key().as_bytes(), "s1", "i1");
    let ann = player(&stack, "ann").await;
    let bob = player(&stack, "bob").await;
    let cid = player(&stack, "cid").await;

    let guild = ann
        .create_guild("Climbers", "we go up")
        .await
        .expect("create guild");
    bob.join_guild(&guild.id).await.expect("join guild");
    let listed = cid.list_guilds("Climb").await.unwrap();
    assert_eq!(
        listed.iter().map(|g| g.name.as_str()).collect::<Vec<_>>(),
        ["Climbers"]
    );
    let mut members: Vec<String> = cid
        .guild_members(&guild.id)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.username)
        .collect();
    members.sort();
    assert_eq!(members, ["ann", "bob"]);
    assert_eq!(
        auth.guild_of(bob.user_id()).await,
        Ok(Some("Climbers".into()))
    );
    assert_eq!(auth.guild_of(cid.user_id()).await, Ok(None));

    let who = |s: &Session| Identity {
        player_id: s.user_id().into(),
        username: s.username().into(),
        guild: None,
    };
    board.submit_highest_floor(&who(&ann), 3).await.unwrap();
    board.submit_highest_floor(&who(&bob), 5).await.unwrap();
    board.submit_highest_floor(&who(&ann), 2).await.unwrap(); // lower: the best stays 3
    board.submit_highest_floor(&who(&cid), 4).await.unwrap();

    let top: Vec<(String, u64)> = cid
        .leaderboard("tower_highest_floor", 10)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.username, r.score))
        .collect();
    assert_eq!(
        top,
        [("bob".into(), 5), ("cid".into(), 4), ("ann".into(), 3)]
    );
    let guilds = cid
        .leaderboard("tower_guild_highest_floor", 10)
        .await
        .unwrap();
    assert_eq!(guilds.len(), 1);
    assert_eq!(
        (
            guilds[0].owner_id.as_str(),
            guilds[0].username.as_str(),
            guilds[0].score
        ),
        (guild.id.as_str(), "Climbers", 5)
    );

    // Clients cannot write the authoritative leaderboard themselves, nor call the server RPC.
    let denied = cid
        .rpc(
            "tower_leaderboard_submit",
            &json!({"user_id": cid.user_id(), "username": "cid", "floor": 999}),
        )
        .await;
    assert!(
        matches!(denied, Err(LobbyError::Status { .. })),
        "{denied:?}"
    );
    assert!(matches!(
        board
            .submit_highest_floor(
                &Identity {
                    player_id: "dev:x".into(),
                    username: "x".into(),
                    guild: None
                },
                1
            )
            .await,
        Err(StoreError::Rejected(_))
    ));
    stack.stop().unwrap();
}

async fn board(player: &Session) -> Vec<(String, u64)> {
    player
        .leaderboard("tower_highest_floor", 10)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.username.clone(), r.score))
        .collect()
}

/// Issue 28's real case against the real store: the player dropped from server A and was
/// matched to server B inside A's resume window. B loaded the player, then A's release save
/// landed. Every one of B's later saves must land (the first one conflicts, is reloaded and
/// merged), and the stored state and the leaderboard must agree.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_release_save_from_another_server_loses_none_of_the_next_servers_saves() {
    let stack = start_stack(&[]);
    let store: Arc<dyn StateStore> = Arc::new(NakamaStore::new(client(&stack)));
    let ann = player(&stack, "ann").await;
    let id = ann.user_id().to_owned();
    let progress = |highest: u32, current: u32, score: u64| PlayerState {
        highest_floor: highest,
        current_floor: current,
        health: 100,
        score,
    };
    let a = PlayerStates::with_policy(Arc::clone(&store), RetryPolicy::default());
    let b = PlayerStates::with_policy(Arc::clone(&store), RetryPolicy::default());
    let flushed = Duration::from_secs(10);
    assert_eq!(a.load(&id).await, Ok(PlayerState::default()));
    a.save(&id, progress(1, 1, 10));
    assert_eq!(a.flush(flushed).await, 0);
    // B admits the player while A still holds them for a resume.
    assert_eq!(b.load(&id).await, Ok(progress(1, 1, 10)));
    // A's resume window ends: its release save (floor 2) lands first.
    a.save(&id, progress(2, 2, 25));
    a.release(&id);
    assert_eq!(a.flush(flushed).await, 0);
    assert_eq!(a.stats().written, 2);
    // B's three saves.
    b.save(&id, progress(1, 0, 12));
    assert_eq!(b.flush(flushed).await, 0);
    let (stored, _) = store.load(&id).await.unwrap().unwrap();
    assert_eq!(
        stored,
        progress(2, 0, 25),
        "merged: A's floor 2, where B has the player"
    );
    assert_eq!(board(&ann).await, [("ann".to_owned(), 2)]);
    b.save(&id, progress(1, 1, 14));
    assert_eq!(b.flush(flushed).await, 0);
    b.save(&id, progress(3, 3, 40));
    assert_eq!(b.flush(flushed).await, 0);
    let stats = b.stats();
    assert_eq!(
        (stats.written, stats.conflicts, stats.dead_lettered),
        (3, 1, 0)
    );
    let (stored, _) = store.load(&id).await.unwrap().unwrap();
    assert_eq!(stored, progress(3, 3, 40));
    assert_eq!(board(&ann).await, [("ann".to_owned(), 3)]);
    stack.stop().unwrap();
}

/// The game server's gRPC to Nakama over TLS (the stack's nginx in front of Nakama's 7349):
/// registration and saves go through with the stack's CA, and without it (system roots) the
/// server refuses to start with a certificate error, the http key never sent in clear.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_game_server_saves_over_tls_grpc_only_trusting_the_ca() {
    let stack = start_stack(&[]);
    let tls_url = stack.setting("NAKAMA_GRPC_TLS_URL").to_owned();
    assert!(tls_url.starts_with("https://"), "{tls_url:?}");
    let mut cfg = NakamaConfig {
        grpc_url: tls_url.clone(),
        grpc_ca: Some(stack.ca_path().to_owned()),
        ..config(&stack, "tls-1")
    };
    let (backends, beats) = nakama_backends(&cfg, Arc::new(AtomicU32::new(0)))
        .await
        .expect("registers over TLS gRPC with the stack's CA");
    let ann = player(&stack, "tls-ann").await;
    let id = ann.user_id().to_owned();
    let v1 = backends
        .store
        .save(&id, &state(4), &None, &attempt("tls-a1"))
        .await
        .expect("save over TLS gRPC");
    assert_eq!(backends.store.load(&id).await, Ok(Some((state(4), v1))));
    beats.abort();

    // Without the CA the stack's certificate is not trusted: refused at start-up.
    cfg.grpc_ca = None;
    let refused = nakama_backends(&cfg, Arc::new(AtomicU32::new(0))).await;
    let message = format!("{:?}", refused.as_ref().err());
    assert!(
        matches!(refused, Err(MetaError::Register(RpcError::Unavailable(_)))),
        "{message}"
    );
    assert!(
        message.to_lowercase().contains("certificate"),
        "the refusal names the certificate: {message}"
    );

    // Plain gRPC to a non-loopback host is refused before any connection.
    cfg.grpc_url = "http://nakama:7349".into();
    assert!(matches!(
        nakama_backends(&cfg, Arc::new(AtomicU32::new(0))).await,
        Err(MetaError::GrpcUrl(_))
    ));
    stack.stop().unwrap();
}
