//! Issue 8, Nakama side: each attack played by a hostile player who has nothing but a Nakama
//! account (device auth over Nakama's public HTTP API), against the REAL native stack
//! (PostgreSQL + Nakama + our Lua modules, scripts/nakama-stack.sh) and, for tickets, our real
//! game server. docs/security.md maps every attack to its test here.
//!
//! Where an attack needs an object that today's modules no longer let a client write (records
//! left by older modules, a malformed system record), the test plants it with SQL in the
//! stack's own database, as the attacker or an old version would have left it.

#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};
use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::AtomicU32;
use std::time::{Duration, Instant};
use tower_client::{
    CertFingerprint, Client, ClientConfig, ClientCore, CoreConfig, Credentials, Event, Trust,
};
use tower_lobby::{Lobby, LobbyError, MatchAssignment, NakamaStack, Session};
use tower_meta::nakama::{NakamaClient, NakamaLeaderboard, NakamaStore, TicketClaims, registry};
use tower_meta::{
    Identity, Leaderboard, NakamaConfig, PlayerState, PlayerStates, RetryPolicy, SaveAttempt,
    SaveOptions, StateStore, StoreError, nakama_backends, read_dead_letters,
};

const SYSTEM_USER: &str = "00000000-0000-0000-0000-000000000000";

fn start_stack() -> NakamaStack {
    NakamaStack::start()
        .expect("the native Nakama stack must start (scripts/install.d/50-nakama.sh installs it)")
}

async fn player(stack: &NakamaStack, name: &str) -> Session {
    Lobby::new(stack.http_url(), stack.server_key())
        .unwrap()
        .authenticate_device(&format!("attack-device-{name}-0123456789"), Some(name))
        .await
        .unwrap()
}

fn client(stack: &NakamaStack) -> NakamaClient {
    NakamaClient::connect_lazy(stack.grpc_url(), stack.http_key(), Duration::from_secs(2)).unwrap()
}

fn config(stack: &NakamaStack, server_id: &str, port: u16) -> NakamaConfig {
    let mut cfg = NakamaConfig::local_dev(stack.grpc_url(), server_id, "127.0.0.1", port);
    cfg.http_key = stack.http_key().to_owned();
    cfg.ticket_key = stack.ticket_key().to_owned();
    cfg.cert_fingerprint = format!("fp-{server_id}");
    cfg.heartbeat_secs = 1;
    cfg
}

fn state(floor: u32) -> PlayerState {
    PlayerState {
        highest_floor: floor,
        current_floor: floor,
        health: 80,
        score: u64::from(floor) * 10,
    }
}

fn attempt(id: &str, unconfirmed: &[&str]) -> SaveAttempt {
    SaveAttempt {
        id: id.into(),
        unconfirmed: unconfirmed.iter().map(|s| (*s).to_owned()).collect(),
    }
}

/// Plants a storage object directly in PostgreSQL (what older modules let a client write, or
/// what an operator's mistake leaves).
fn plant(stack: &NakamaStack, collection: &str, key: &str, owner: &str, value: &Value) {
    let value = value.to_string().replace('\'', "''");
    stack
        .sql(&format!(
            "INSERT INTO storage (collection, key, user_id, value, version, read, write) \
             VALUES ('{collection}', '{key}', '{owner}', '{value}', md5('{value}'), 2, 1)"
        ))
        .unwrap();
}

fn refused(result: Result<(), LobbyError>, what: &str) {
    match result {
        Err(LobbyError::Status { status, message }) => {
            assert_eq!(status, 403, "{what}: {message}");
            assert!(message.contains("game server only"), "{what}: {message}");
        }
        other => panic!("{what} was not refused: {other:?}"),
    }
}

async fn find_match(session: &Session) -> Result<MatchAssignment, LobbyError> {
    let mut socket = session.connect_realtime().await?;
    let result = socket.find_match(2, 2, Duration::from_secs(20)).await;
    socket.close().await.ok();
    result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_hijack_is_refused_and_rogue_records_are_ignored() {
    let stack = start_stack();
    let eve = player(&stack, "eve").await;
    let now_ms = u64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap();
    // Live (a fresh heartbeat) and empty: the matchmaker's favourite, if it were believed.
    let fake = |id: &str| {
        json!({"id": id, "instance": "x", "address": "203.0.113.66", "port": 4433,
               "fingerprint": "evil", "capacity": 1000, "players": 0, "heartbeat_ms": now_ms})
    };

    // 1. A client cannot write or delete any Tower collection through the storage API.
    for collection in [
        "tower_servers",
        "tower_player_state",
        "tower_state",
        "TOWER_servers",
    ] {
        refused(
            eve.write_object(collection, "evil", &fake("evil")).await,
            &format!("write to {collection}"),
        );
        refused(
            eve.delete_object(collection, "s1").await,
            &format!("delete in {collection}"),
        );
    }
    eve.write_object("eve_notes", "k", &json!({"ok": true}))
        .await
        .expect("other collections stay usable");

    // 2. Records that got in anyway are ignored: one owned by a player (as older modules let
    // it be written), and system-owned ones with bad-typed or out-of-range fields.
    plant(
        &stack,
        "tower_servers",
        "evil",
        eve.user_id(),
        &fake("evil"),
    );
    let mut bad_capacity = fake("bad-capacity");
    bad_capacity["capacity"] = json!("lots");
    plant(
        &stack,
        "tower_servers",
        "bad-capacity",
        SYSTEM_USER,
        &bad_capacity,
    );
    let mut bad_players = fake("bad-players");
    bad_players["players"] = json!({"n": 1});
    plant(
        &stack,
        "tower_servers",
        "bad-players",
        SYSTEM_USER,
        &bad_players,
    );
    let mut future = fake("future");
    future["heartbeat_ms"] = json!(now_ms + 10 * 365 * 86_400_000u64);
    plant(&stack, "tower_servers", "future", SYSTEM_USER, &future);

    let (_backends, beats) =
        nakama_backends(&config(&stack, "real", 4433), Arc::new(AtomicU32::new(9)))
            .await
            .unwrap();
    let listed = registry::list_servers(&client(&stack)).await.unwrap();
    assert_eq!(
        listed
            .iter()
            .map(|s| s.entry.id.as_str())
            .collect::<Vec<_>>(),
        ["real"],
        "only the real, well-formed, system-owned record is a server"
    );

    // The matchmaker hook still works for everybody, and sends players to the real server
    // although the rogue records claim to be live and empty.
    let ann = player(&stack, "ann").await;
    let bob = player(&stack, "bob").await;
    let (a, b) = tokio::join!(find_match(&ann), find_match(&bob));
    for m in [a.unwrap(), b.unwrap()] {
        assert_eq!(
            (m.server_id.as_str(), m.fingerprint.as_str()),
            ("real", "fp-real")
        );
    }
    beats.abort();
    stack.stop().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_state_is_ignored_and_the_leaderboard_stays_honest() {
    let stack = start_stack();
    let eve = player(&stack, "eve").await;
    let forged = json!({"highest_floor": 999, "current_floor": 999, "health": 100, "score": 99999});

    // Today's modules refuse the write outright.
    refused(
        eve.write_object("tower_state", "state", &forged).await,
        "forged state",
    );
    // A forged object from before (format 1, owned by the player) and a look-alike of the
    // new format under the player's own id are both ignored.
    plant(&stack, "tower_state", "state", eve.user_id(), &forged);
    plant(
        &stack,
        "tower_player_state",
        eve.user_id(),
        eve.user_id(),
        &json!({"format": 2, "state": forged, "save_id": "forged"}),
    );
    let store: Arc<dyn StateStore> = Arc::new(NakamaStore::new(client(&stack)));
    assert_eq!(store.load(eve.user_id()).await, Ok(None), "a new player");
    let states = PlayerStates::with_policy(store.clone(), RetryPolicy::default());
    assert_eq!(states.load(eve.user_id()).await, Ok(PlayerState::default()));
    states.save(eve.user_id(), state(2));
    assert_eq!(states.flush(Duration::from_secs(10)).await, 0);
    let board = eve.leaderboard("tower_highest_floor", 10).await.unwrap();
    assert_eq!(
        board
            .iter()
            .map(|r| (r.username.as_str(), r.score))
            .collect::<Vec<_>>(),
        [("eve", 2)],
        "the board shows what the server saw, not the forgery"
    );
    let (mine, _) = eve.saved_state().await.unwrap().expect("saved");
    assert_eq!(mine["highest_floor"], 2);
    stack.stop().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_saves_are_dead_lettered_and_never_stop_the_others() {
    let stack = start_stack();
    let dead = tempfile::tempdir().unwrap();
    let dead_file = dead.path().join("saves.jsonl");
    let store: Arc<dyn StateStore> = Arc::new(NakamaStore::new(client(&stack)));
    let states = PlayerStates::with_options(
        store.clone(),
        SaveOptions {
            retry: RetryPolicy {
                initial: Duration::from_millis(100),
                max: Duration::from_millis(500),
            },
            dead_letter: Some(dead_file.clone()),
        },
    );
    let ann = player(&stack, "ann").await;
    let bob = player(&stack, "bob").await;
    let cid = player(&stack, "cid").await;
    for p in [&ann, &bob, &cid] {
        assert_eq!(states.load(p.user_id()).await, Ok(PlayerState::default()));
    }

    // Ann deletes her account mid-session; Cid is in a guild whose name is longer than a
    // leaderboard username may be (any group admin can put a victim in such a group).
    ann.delete_account().await.unwrap();
    let long_name = "G".repeat(200);
    let guild = cid
        .create_guild(&long_name, "too long for a board")
        .await
        .unwrap();
    states.save(ann.user_id(), state(3));
    states.save(bob.user_id(), state(4));
    states.save(cid.user_id(), state(5));
    assert_eq!(
        states.flush(Duration::from_secs(10)).await,
        0,
        "every save settles"
    );
    for (p, floor) in [(&bob, 4), (&cid, 5)] {
        assert_eq!(
            store
                .load(p.user_id())
                .await
                .unwrap()
                .map(|(s, _)| s.highest_floor),
            Some(floor),
            "{} saved",
            p.username()
        );
    }
    let stats = states.stats();
    assert_eq!(
        (stats.written, stats.failed, stats.dead_lettered),
        (2, 1, 1),
        "{stats:?}"
    );
    let letters = read_dead_letters(&dead_file).unwrap();
    assert_eq!(letters.len(), 1);
    let letter = letters[0].as_ref().unwrap();
    assert_eq!(
        (letter.player_id.as_str(), &letter.state),
        (ann.user_id(), &state(3))
    );
    assert!(letter.reason.contains("unknown user"), "{}", letter.reason);
    // Her new best floor is refused for good too (not retried forever by the board's queue).
    let board = NakamaLeaderboard::new(client(&stack));
    let gone = Identity {
        player_id: ann.user_id().into(),
        username: "ann".into(),
        guild: None,
    };
    assert!(matches!(
        board.submit_highest_floor(&gone, 3).await,
        Err(StoreError::Rejected(m)) if m.contains("unknown user")
    ));
    assert_eq!(board.pending(), 0);

    // The over-long guild name went to the guild board as the group id.
    let guilds = bob
        .leaderboard("tower_guild_highest_floor", 10)
        .await
        .unwrap();
    assert_eq!(
        guilds
            .iter()
            .map(|r| (r.owner_id.as_str(), r.username.as_str(), r.score))
            .collect::<Vec<_>>(),
        [(guild.id.as_str(), guild.id.as_str(), 5)]
    );
    stack.stop().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_a_lost_answer_succeeds() {
    let stack = start_stack();
    let store = NakamaStore::new(client(&stack));
    let ann = player(&stack, "ann").await;
    let id = ann.user_id();

    let v1 = store
        .save(id, &state(1), &None, &attempt("s1", &[]))
        .await
        .unwrap();
    // The answer of this write is "lost": the game server retries the same save.
    let again = store.save(id, &state(1), &None, &attempt("s1", &[])).await;
    assert_eq!(again, Ok(v1.clone()), "the retry succeeds, not stale");
    // Saved with v1, answer lost again, while a newer state was already queued: the newer
    // one (based on v1) names the unconfirmed save and replaces it.
    let v2 = store
        .save(id, &state(2), &v1, &attempt("s2", &[]))
        .await
        .unwrap();
    let v3 = store
        .save(id, &state(3), &v1, &attempt("s3", &["s2"]))
        .await
        .expect("our own unconfirmed write is replaced");
    assert_ne!(v3, v2);
    // Later saves keep working, and a real conflict is still one.
    let v4 = store
        .save(id, &state(4), &v3, &attempt("s4", &[]))
        .await
        .unwrap();
    assert_eq!(
        store
            .save(id, &state(9), &v3, &attempt("s5", &["s1"]))
            .await,
        Err(StoreError::Conflict)
    );
    assert_eq!(store.load(id).await, Ok(Some((state(4), v4))));
    stack.stop().unwrap();
}

fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Connects with a ticket and waits for the server's verdict: the Welcome's display name,
/// or the error message.
async fn present(ticket: &str, port: u16, fingerprint: &str) -> Result<String, String> {
    let client = Client::connect(ClientConfig::new(
        SocketAddr::from(([127, 0, 0, 1], port)),
        Trust::Fingerprint(CertFingerprint::parse(fingerprint).unwrap()),
        Credentials::Ticket {
            ticket: ticket.to_owned(),
        },
    ))
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        while let Some(event) = client.poll_event() {
            match event {
                Event::Welcome { display_name, .. } => {
                    client.disconnect();
                    return Ok(display_name);
                }
                Event::Error { message, .. } => return Err(message),
                Event::Disconnected { message, .. } => return Err(message),
                _ => {}
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Err("no verdict in 15 s".into())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tickets_carry_no_session_and_die_with_the_server_instance() {
    let stack = start_stack();
    let cert_dir = tempfile::tempdir().unwrap();
    let port = free_udp_port();
    let mut nakama = config(&stack, "restartable", port);
    nakama.cert_fingerprint = String::new();
    let server_config = tower_server::Config {
        listen: SocketAddr::from(([127, 0, 0, 1], port)),
        metrics_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        cert_dir: cert_dir.path().to_owned(),
        nakama: Some(nakama),
        ..tower_server::Config::default()
    };
    let first = tower_server::launch(server_config.clone()).await.unwrap();
    let fingerprint = first.server.fingerprint.clone();

    let ann = player(&stack, "ann").await;
    let bob = player(&stack, "bob").await;
    let (a, b) = tokio::join!(find_match(&ann), find_match(&bob));
    let (a, b) = (a.unwrap(), b.unwrap());

    // No session token reaches the game server: the whole credential the client sends is
    // the ticket, and the ticket names no session.
    let mut core = ClientCore::new(
        CoreConfig::new(Credentials::Ticket {
            ticket: a.ticket.clone(),
        }),
        Instant::now(),
    );
    let hello = core.poll_stream_transmit().unwrap();
    let contains = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
    assert!(contains(&hello, a.ticket.as_bytes()));
    assert!(!contains(&hello, ann.token().as_bytes()));
    assert!(
        hello.len() < a.ticket.len() + 16,
        "the Hello is the ticket and a few framing bytes"
    );
    let claims = serde_json::to_string(&TicketClaims::unverified(&a.ticket).unwrap()).unwrap();
    assert!(!claims.contains(ann.token()));
    // ...and the server does not need one: Ann logs out (her session is revoked) and is
    // still admitted with her ticket alone.
    ann.logout().await.unwrap();
    assert_eq!(
        present(&a.ticket, port, &fingerprint).await,
        Ok("ann".into())
    );
    let replay = present(&a.ticket, port, &fingerprint).await;
    assert!(replay.is_err(), "a ticket is accepted once: {replay:?}");
    // The check by user id sees bans: Bob is disabled (as the console's ban does) and his
    // ticket, valid otherwise, is refused.
    stack
        .sql(&format!(
            "UPDATE users SET disable_time = now() WHERE id = '{}'",
            bob.user_id()
        ))
        .unwrap();
    let banned = present(&b.ticket, port, &fingerprint).await;
    assert!(
        matches!(&banned, Err(m) if m.contains("disabled")),
        "a banned account's ticket: {banned:?}"
    );

    // The server restarts (its replay memory is gone): the ticket stays refused.
    first.shutdown().await;
    let second = tower_server::launch(server_config).await.unwrap();
    let after = present(&a.ticket, port, &fingerprint).await;
    assert!(
        matches!(&after, Err(m) if m.contains("earlier instance")),
        "ticket replayed after a restart: {after:?}"
    );
    second.shutdown().await;
    stack.stop().unwrap();
}

// ---- Issue 28: the Nakama side of round two ----

/// Sum of the players the registry counts (reported + reservations still held), per server.
async fn registry_counts(stack: &NakamaStack) -> Vec<(String, u32)> {
    let mut counts: Vec<(String, u32)> = registry::list_servers(&client(stack))
        .await
        .unwrap()
        .into_iter()
        .filter(|s| s.live)
        .map(|s| (s.entry.id, s.entry.players))
        .collect();
    counts.sort();
    counts
}

/// Issue 28 (high): two free accounts re-queue again and again and never connect. Each match
/// used to add its players to a server's count and heartbeats kept it, so three empty servers
/// filled up and everybody was told "no game server has room". A reservation is now per
/// player (a re-queued player holds one slot, the newest) and ends with its ticket.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requeued_matches_that_never_connect_cannot_fill_the_fleet() {
    const TICKET_TTL_SECS: u64 = 4;
    let stack = NakamaStack::start_with_env(&[("TOWER_TICKET_TTL_SEC", "4")]).unwrap();
    let mut beats = Vec::new();
    for id in ["s1", "s2", "s3"] {
        let mut cfg = config(&stack, id, 4433);
        cfg.capacity = 4;
        let (_backends, beat) = nakama_backends(&cfg, Arc::new(AtomicU32::new(0)))
            .await
            .unwrap();
        beats.push(beat);
    }
    let eve = player(&stack, "eve").await;
    let mal = player(&stack, "mal").await;
    // 3 servers x 4 slots: 6 unconnected matches of 2 filled them with the old counting.
    let started = Instant::now();
    for round in 0..12 {
        let (a, b) = tokio::join!(find_match(&eve), find_match(&mal));
        for m in [a, b] {
            let m = m.unwrap_or_else(|e| panic!("round {round}: {e}"));
            assert!(m.server_id.starts_with('s'));
        }
        let held: u32 = registry_counts(&stack).await.iter().map(|(_, n)| n).sum();
        assert!(held <= 2, "round {round}: two players hold {held} slots");
    }
    assert!(started.elapsed() < Duration::from_secs(60));
    // Nobody used the last tickets: their slots are free once the tickets expired.
    tokio::time::sleep(Duration::from_secs(TICKET_TTL_SECS + 1)).await;
    assert_eq!(
        registry_counts(&stack).await,
        [("s1".into(), 0), ("s2".into(), 0), ("s3".into(), 0)]
    );
    for beat in beats {
        beat.abort();
    }
    stack.stop().unwrap();
}

/// Issue 28 (high), honest side: two players play briefly, leave, queue again, on one real
/// game server. Heartbeats used to keep the count the matchmaker had raised, so the churn
/// alone filled an empty server. Arrivals are now marked when the server admits the player
/// and dropped once its own count includes them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn honest_churn_does_not_fill_a_server() {
    let stack = NakamaStack::start_with_env(&[("TOWER_TICKET_TTL_SEC", "10")]).unwrap();
    let cert_dir = tempfile::tempdir().unwrap();
    let port = free_udp_port();
    let mut nakama = config(&stack, "churn", port);
    nakama.cert_fingerprint = String::new();
    nakama.capacity = 6;
    let server = tower_server::launch(tower_server::Config {
        listen: SocketAddr::from(([127, 0, 0, 1], port)),
        metrics_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        cert_dir: cert_dir.path().to_owned(),
        nakama: Some(nakama),
        ..tower_server::Config::default()
    })
    .await
    .unwrap();
    let fingerprint = server.server.fingerprint.clone();
    let ann = player(&stack, "ann").await;
    let bob = player(&stack, "bob").await;
    // With the old counting, the third match found the server full (6 slots, +2 a match).
    for round in 0..6 {
        let (a, b) = tokio::join!(find_match(&ann), find_match(&bob));
        let (a, b) = (
            a.unwrap_or_else(|e| panic!("round {round}: {e}")),
            b.unwrap_or_else(|e| panic!("round {round}: {e}")),
        );
        let (pa, pb) = tokio::join!(
            present(&a.ticket, port, &fingerprint),
            present(&b.ticket, port, &fingerprint)
        );
        assert_eq!(
            (pa, pb),
            (Ok("ann".into()), Ok("bob".into())),
            "round {round}"
        );
        tokio::time::sleep(Duration::from_millis(1500)).await;
    }
    let held: u32 = registry_counts(&stack).await.iter().map(|(_, n)| n).sum();
    assert!(held <= 4, "two players hold {held} slots after the churn");
    server.shutdown().await;
    stack.stop().unwrap();
}

/// Issue 28 (low): a crashed server stayed live for the whole registry TTL (15 s) and kept
/// receiving matches. It is now dead after two missed heartbeats of its own interval (+1 s).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashed_server_stops_receiving_matches_within_two_heartbeats() {
    let stack = start_stack(); // the default 15 s TTL
    let mut dead_cfg = config(&stack, "crashes", 4433);
    dead_cfg.capacity = 100;
    let (_b1, dead_beats) = nakama_backends(&dead_cfg, Arc::new(AtomicU32::new(0)))
        .await
        .unwrap();
    let mut live_cfg = config(&stack, "lives", 4434);
    live_cfg.capacity = 100;
    let (_b2, live_beats) = nakama_backends(&live_cfg, Arc::new(AtomicU32::new(30)))
        .await
        .unwrap();
    // A few heartbeats, so the registry knows their interval (1 s).
    tokio::time::sleep(Duration::from_millis(2500)).await;
    dead_beats.abort(); // the crash: no more heartbeats, no deregistration
    let crashed_at = Instant::now();
    // Dead 2 intervals + 1 s after its last beat (3 s here; 6 s leaves room for beats that
    // came late on a loaded machine), far below the 15 s TTL.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let ann = player(&stack, "ann").await;
    let bob = player(&stack, "bob").await;
    let (a, b) = tokio::join!(find_match(&ann), find_match(&bob));
    for m in [a.unwrap(), b.unwrap()] {
        assert_eq!(
            m.server_id,
            "lives",
            "the emptier crashed server still got a match {:?} after its crash",
            crashed_at.elapsed()
        );
    }
    live_beats.abort();
    stack.stop().unwrap();
}

/// Issue 28 (medium): any group admin can add anyone to their group (AddGroupUsers), and the
/// guild used to be "the oldest group the player is a member of": the attacker's group became
/// the victim's guild and collected their floors. The guild is now the player's own choice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forced_membership_never_becomes_the_victims_guild() {
    let stack = start_stack();
    let eve = player(&stack, "eve").await;
    let vic = player(&stack, "vic").await;
    let lone = player(&stack, "lone").await;
    let evil = eve.create_guild("Evil", "older than yours").await.unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await; // Evil is strictly older
    let good = vic.create_guild("Good", "mine").await.unwrap();
    eve.add_to_guild(&evil.id, &[vic.user_id(), lone.user_id()])
        .await
        .unwrap();
    let members = eve.guild_members(&evil.id).await.unwrap();
    assert!(
        members
            .iter()
            .any(|m| m.user_id == vic.user_id() && m.state == 2),
        "the attack itself works: the victim is a full member of Evil: {members:?}"
    );

    let guild_of = |who: &Session| {
        let nakama = client(&stack);
        let user_id = who.user_id().to_owned();
        async move {
            let v: Value = nakama
                .rpc("tower_player_guild", &json!({ "user_id": user_id }))
                .await
                .unwrap();
            v.get("name").and_then(Value::as_str).map(str::to_owned)
        }
    };
    assert_eq!(guild_of(&vic).await.as_deref(), Some("Good"));
    assert_eq!(
        vic.my_guild().await.unwrap().map(|g| g.name).as_deref(),
        Some("Good")
    );
    assert_eq!(
        guild_of(&lone).await,
        None,
        "a forced membership is no guild"
    );

    // Floors go to the victim's own guild only.
    let board = NakamaLeaderboard::new(client(&stack));
    let vic_id = Identity {
        player_id: vic.user_id().into(),
        username: "vic".into(),
        guild: None,
    };
    board.submit_highest_floor(&vic_id, 7).await.unwrap();
    let lone_id = Identity {
        player_id: lone.user_id().into(),
        username: "lone".into(),
        guild: None,
    };
    board.submit_highest_floor(&lone_id, 9).await.unwrap();
    let guilds = eve
        .leaderboard("tower_guild_highest_floor", 10)
        .await
        .unwrap();
    assert_eq!(
        guilds
            .iter()
            .map(|r| (r.username.as_str(), r.score))
            .collect::<Vec<_>>(),
        [("Good", 7)],
        "Evil collected nobody's floors"
    );

    // Leaving her guild leaves the victim with none, not with the attacker's.
    vic.leave_guild(&good.id).await.unwrap();
    assert_eq!(guild_of(&vic).await, None);
    // Choosing needs membership; a member may choose any of their groups, even that one.
    let refused = vic.set_guild(Some(&good.id)).await;
    assert!(
        matches!(refused, Err(LobbyError::Status { .. })),
        "{refused:?}"
    );
    let chosen = vic.set_guild(Some(&evil.id)).await.unwrap();
    assert_eq!(chosen.map(|g| g.name).as_deref(), Some("Evil"));
    assert_eq!(guild_of(&vic).await.as_deref(), Some("Evil"));
    assert_eq!(vic.set_guild(None).await.unwrap(), None);
    stack.stop().unwrap();
}

/// Issue 28 (low): deleting an account left its saved state (system-owned, keyed by the user
/// id) behind for good.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_an_account_erases_its_saved_state() {
    let stack = start_stack();
    let store = NakamaStore::new(client(&stack));
    let ann = player(&stack, "ann").await;
    let bob = player(&stack, "bob").await;
    for p in [&ann, &bob] {
        store
            .save(p.user_id(), &state(3), &None, &attempt("s1", &[]))
            .await
            .unwrap();
    }
    let stored = |id: &str| {
        stack
            .sql(&format!(
                "SELECT count(*) FROM storage WHERE collection = 'tower_player_state' AND key = '{id}'"
            ))
            .unwrap()
            .trim()
            .to_owned()
    };
    assert_eq!(stored(ann.user_id()), "1");
    ann.delete_account().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while stored(ann.user_id()) != "0" {
        assert!(
            Instant::now() < deadline,
            "the deleted account's state is still stored"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(stored(bob.user_id()), "1", "nobody else's state goes");
    stack.stop().unwrap();
}

/// Issue 28 (medium): Nakama's player API was plain HTTP, so device ids, session tokens and
/// the match ticket (with the server's certificate fingerprint, which the pinning relies on)
/// travelled in clear. The stack serves it over TLS; the lobby speaks it with the stack's CA,
/// refuses a certificate it cannot verify, and refuses plain http to anything but loopback.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_player_api_is_tls_and_plain_http_only_on_loopback() {
    use tower_lobby::NakamaTrust;
    let stack = start_stack();
    assert!(stack.https_url().starts_with("https://127.0.0.1:"));
    let (_backends, beats) =
        nakama_backends(&config(&stack, "tls", 4433), Arc::new(AtomicU32::new(0)))
            .await
            .unwrap();
    let trust = NakamaTrust::ca_file(stack.ca_path()).unwrap();
    let lobby = Lobby::with_trust(stack.https_url(), stack.server_key(), &trust).unwrap();
    let ann = lobby
        .authenticate_device("tls-device-ann-0123456789", Some("ann"))
        .await
        .unwrap();
    let bob = lobby
        .authenticate_device("tls-device-bob-0123456789", Some("bob"))
        .await
        .unwrap();
    // The whole way to a ticket over TLS: HTTP calls and the realtime socket (wss).
    let (a, b) = tokio::join!(find_match(&ann), find_match(&bob));
    assert_eq!(a.unwrap().server_id, "tls");
    assert_eq!(b.unwrap().server_id, "tls");

    // An unverifiable certificate is refused (a CA of our own that did not sign it), and so
    // is one from the system roots (they did not sign it either).
    let other = tempfile::tempdir().unwrap();
    let other_ca = other.path().join("ca.pem");
    let made = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ])
        .args(["-days", "1", "-subj", "/CN=not the stack"])
        .arg("-keyout")
        .arg(other.path().join("ca.key"))
        .arg("-out")
        .arg(&other_ca)
        .output()
        .unwrap();
    assert!(made.status.success());
    let wrong = Lobby::with_trust(
        stack.https_url(),
        stack.server_key(),
        &NakamaTrust::ca_file(&other_ca).unwrap(),
    )
    .unwrap();
    let refused = wrong
        .authenticate_device("tls-device-eve-0123456789", Some("eve"))
        .await;
    assert!(matches!(refused, Err(LobbyError::Http(_))), "{refused:?}");
    if let Ok(system) = Lobby::new(stack.https_url(), stack.server_key()) {
        let refused = system
            .authenticate_device("tls-device-eve-0123456789", Some("eve"))
            .await;
        assert!(matches!(refused, Err(LobbyError::Http(_))), "{refused:?}");
    }
    // Plain http: loopback only.
    for url in ["http://203.0.113.7:7350", "http://nakama.example:7350"] {
        assert!(
            matches!(Lobby::new(url, "k"), Err(LobbyError::BadArgument(_))),
            "{url} accepted"
        );
    }
    assert!(Lobby::new(stack.http_url(), stack.server_key()).is_ok());
    beats.abort();
    stack.stop().unwrap();
}
