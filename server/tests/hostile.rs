//! Hostile players against the real server on 127.0.0.1 (issue 8), each attack played by a
//! client we did not write for it: raw quinn with its own transport settings and the
//! protocol crate's frames, not tower-client's happy path. Every wait is bounded in time and
//! every loop in count.
#![allow(clippy::unwrap_used)]

use async_trait::async_trait;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tower_meta::nakama::{NakamaClient, TicketAuth, TicketClaims, sign_ticket};
use tower_meta::{
    AuthError, Authenticator, Backends, Credentials, DevAuth, Identity, MemoryStore, NakamaConfig,
    NoLeaderboard,
};
use tower_protocol::pb::{self, ErrorCode, client_control, server_control};
use tower_server::shell::admission::RefuseReason;
use tower_server::shell::close_code;
use tower_server::{Config, ServerHandle};

mod raw;
use raw::{Raw, client_endpoint, client_endpoint_at, dev};

fn test_config(tag: &str) -> Config {
    let dir = std::env::temp_dir().join(format!("tower-hostile-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        metrics_listen: "127.0.0.1:0".parse().unwrap(),
        cert_dir: dir,
        handshake_timeout_secs: 2,
        control_write_timeout_secs: 1,
        ..Config::default()
    }
}

/// Starts the server; its certificate directory is removed once the identity is loaded
/// (after checking that the self-signed key it wrote is its owner's only).
async fn start(config: Config, backends: Backends) -> ServerHandle {
    let players = Arc::new(AtomicU32::new(0));
    let certs = config.cert_dir.clone();
    let h = tower_server::start(config, backends, true, players)
        .await
        .expect("server starts");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let key = std::fs::metadata(certs.join("key.pem")).expect("the key was written");
        assert_eq!(key.permissions().mode() & 0o777, 0o600);
    }
    std::fs::remove_dir_all(&certs).expect("certificate directory removed");
    h
}

/// Polls `done` every 20 ms for at most `secs`; true once it held.
async fn eventually(secs: u64, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    done()
}

fn is_error(msg: &server_control::Msg, code: ErrorCode) -> bool {
    matches!(msg, server_control::Msg::Error(e) if e.code == code as i32)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_grants_no_credit_is_closed_at_the_write_deadline() {
    let h = start(test_config("nocredit"), Backends::dev()).await;
    // Zero credit on the control stream: the server cannot write a single byte of Welcome.
    let mut mute = Raw::connect(&h, Some(0)).await;
    mute.dev_hello("mute").await;
    let started = Instant::now();
    assert_eq!(
        mute.closed_with(8).await,
        Some(close_code::WRITE_TIMEOUT),
        "closed for the stuck write"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(h.metrics.control_write_timeouts.get(), 1);
    assert!(eventually(5, || h.metrics.connections.get() == 0).await);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_player_who_stops_reading_leaves_the_world() {
    let h = start(test_config("ghost"), Backends::dev()).await;
    // A small window that the join's own reads keep open; then the player stops reading.
    let ghost = Raw::join(&h, "ghost", Some(256)).await;
    assert!(eventually(5, || h.metrics.players.get() == 1).await);
    // Every arrival on the floor is a roster message for the ghost: 16 of them need more
    // than the 256 bytes of credit it has left.
    let mut others = Vec::new();
    for i in 0..16 {
        others.push(Raw::join(&h, &format!("arrival-{i:02}-with-a-long-name-xx"), None).await);
    }
    assert_eq!(
        ghost.closed_with(10).await,
        Some(close_code::WRITE_TIMEOUT),
        "the ghost's connection is closed"
    );
    assert!(h.metrics.control_write_timeouts.get() >= 1);
    assert!(
        eventually(5, || h.metrics.players.get() == 16).await,
        "the ghost is out of the world: {} players",
        h.metrics.players.get()
    );
    assert!(others.iter().all(|o| o.conn.close_reason().is_none()));
    drop(others);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_token_squatters_take_no_player_slot() {
    let config = Config {
        max_players: 10,
        // Long enough that a squatter stuck on its write outlives the test.
        control_write_timeout_secs: 30,
        ..test_config("squat")
    };
    let h = start(config, Backends::dev()).await;
    let mut squatters = Vec::new();
    for i in 0..10u8 {
        let mut s = Raw::connect(&h, Some(0)).await;
        s.hello(dev("squatter"), vec![i; 16]).await;
        squatters.push(s);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Real logins still get every slot.
    let mut players = Vec::new();
    for i in 0..10 {
        players.push(Raw::join(&h, &format!("real-{i}"), None).await);
    }
    assert_eq!(h.players(), 10);
    let mut late = Raw::connect(&h, None).await;
    late.dev_hello("late").await;
    let msg = late.next().await;
    assert!(is_error(&msg, ErrorCode::ServerFull), "{msg:?}");
    drop((squatters, players));
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pre_login_flood_is_bounded_per_address_and_retried_under_pressure() {
    let config = Config {
        max_prelogin: 100,
        max_prelogin_per_address: 4,
        retry_prelogin_from: 2,
        handshake_timeout_secs: 3,
        ..test_config("flood")
    };
    let h = start(config, Backends::dev()).await;
    // Twelve connections that never say Hello, all from 127.0.0.1.
    let endpoint = client_endpoint(&h, None);
    let mut open = Vec::new();
    let mut refused = 0;
    for _ in 0..12 {
        let connecting = endpoint.connect(h.addr, "localhost").unwrap();
        match tokio::time::timeout(Duration::from_secs(5), connecting).await {
            Ok(Ok(conn)) => open.push(conn),
            Ok(Err(quinn::ConnectionError::ConnectionClosed(c))) => {
                assert_eq!(c.error_code, quinn::TransportErrorCode::CONNECTION_REFUSED);
                refused += 1;
            }
            other => panic!("neither accepted nor refused: {other:?}"),
        }
    }
    assert_eq!((open.len(), refused), (4, 8));
    let m = &h.metrics;
    assert_eq!(m.prelogin_refused_count(RefuseReason::PerAddress), 8);
    assert_eq!(m.prelogin_connections.get(), 4);
    // The first two came in unasked; every later one first had to prove its address.
    assert_eq!(m.quic_retries.get(), 10);
    // They are dropped at the Hello deadline; then the address may log in again.
    assert!(eventually(8, || m.prelogin_connections.get() == 0).await);
    let player = Raw::join(&h, "after-the-flood", None).await;
    assert_eq!(
        m.prelogin_connections.get(),
        0,
        "logged in: no longer pre-login"
    );
    drop((player, open));
    h.shutdown().await;
}

/// Sixteen addresses of one /24 (127.0.0.2-17 on loopback) open every pre-login connection
/// they may; a player from another /24 (127.0.1.2) still logs in. Before the per-prefix
/// budget, 4 addresses × 4 filled the server's 16 and the player was refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_from_many_addresses_of_one_prefix_leaves_room_for_another() {
    let config = Config {
        max_prelogin: 16,
        max_prelogin_per_address: 4,
        max_prelogin_per_prefix: 8,
        retry_prelogin_from: 1000,
        handshake_timeout_secs: 30,
        ..test_config("prefix")
    };
    let h = start(config, Backends::dev()).await;
    let (mut open, mut endpoints) = (Vec::new(), Vec::new());
    let mut refused = 0;
    for host in 2..18u8 {
        let endpoint = client_endpoint_at(&h, None, [127, 0, 0, host].into());
        for _ in 0..4 {
            let connecting = endpoint.connect(h.addr, "localhost").unwrap();
            match tokio::time::timeout(Duration::from_secs(5), connecting).await {
                Ok(Ok(conn)) => open.push(conn),
                Ok(Err(quinn::ConnectionError::ConnectionClosed(c))) => {
                    assert_eq!(c.error_code, quinn::TransportErrorCode::CONNECTION_REFUSED);
                    refused += 1;
                }
                other => panic!("neither accepted nor refused: {other:?}"),
            }
        }
        endpoints.push(endpoint);
    }
    let m = &h.metrics;
    assert_eq!(m.prelogin_connections.get(), 8, "the prefix's budget");
    assert_eq!(refused, 64 - 8);
    assert_eq!(m.prelogin_refused_count(RefuseReason::PerPrefix), 56);
    let player = Raw::join_at(&h, "from-elsewhere", None, [127, 0, 1, 2].into()).await;
    assert!(eventually(5, || h.metrics.players.get() == 1).await);
    drop((player, open, endpoints));
    h.shutdown().await;
}

fn welcome_token(msg: &server_control::Msg) -> Vec<u8> {
    match msg {
        server_control::Msg::Welcome(w) => w.resume_token.clone(),
        other => panic!("expected a Welcome: {other:?}"),
    }
}

/// Someone who learnt a player's resume token (a log, a shoulder) cannot take over the
/// live session from another address; a token works once, while the player is detached,
/// and every Welcome hands out a new one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resume_token_takes_over_no_live_session_and_works_once() {
    let h = start(test_config("token"), Backends::dev()).await;
    let mut player = Raw::connect(&h, None).await;
    player.dev_hello("holder").await;
    let first = welcome_token(&player.next().await);
    assert_eq!(first.len(), 16);
    // The thief, from another address, while the player is connected.
    let mut thief = Raw::connect_at(&h, None, [127, 0, 0, 66].into()).await;
    thief.hello(dev("thief"), first.clone()).await;
    let msg = thief.next().await;
    assert!(is_error(&msg, ErrorCode::ResumeExpired), "{msg:?}");
    assert!(
        player.conn.close_reason().is_none(),
        "the player keeps its session"
    );
    // The player's connection drops; the token reclaims the session, rotated.
    player.conn.close(0u32.into(), b"network change");
    assert!(eventually(5, || h.metrics.connections.get() <= 1).await);
    let mut back = Raw::connect(&h, None).await;
    back.hello(dev("holder"), first.clone()).await;
    let second = welcome_token(&back.next().await);
    assert_eq!(second.len(), 16);
    assert_ne!(second, first, "a new token on every Welcome");
    back.conn.close(0u32.into(), b"again");
    assert!(eventually(5, || h.metrics.connections.get() == 0).await);
    // The first token died with the resume that spent it; the second one works.
    let mut replay = Raw::connect(&h, None).await;
    replay.hello(dev("holder"), first).await;
    let msg = replay.next().await;
    assert!(is_error(&msg, ErrorCode::ResumeExpired), "{msg:?}");
    let mut again = Raw::connect(&h, None).await;
    again.hello(dev("holder"), second.clone()).await;
    assert_ne!(welcome_token(&again.next().await), second);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unexpected_message_while_playing_closes_the_connection() {
    let h = start(test_config("unexpected"), Backends::dev()).await;
    let mut player = Raw::join(&h, "prover", None).await;
    // A floor proof nobody asked for.
    player.prove(0, 1).await;
    let msg = player.next().await;
    assert!(is_error(&msg, ErrorCode::UnexpectedMessage), "{msg:?}");
    assert_eq!(
        player.closed_with(5).await,
        Some(close_code::PROTOCOL_ERROR)
    );
    assert!(eventually(5, || h.metrics.players.get() == 0).await);
    h.shutdown().await;
}

/// Dev logins through dev auth, tickets through the real `TicketAuth` (which calls Nakama).
struct DevOrTicket {
    dev: DevAuth,
    ticket: TicketAuth,
}

#[async_trait]
impl Authenticator for DevOrTicket {
    async fn authenticate(&self, credentials: &Credentials) -> Result<Identity, AuthError> {
        match credentials {
            Credentials::Dev { .. } => self.dev.authenticate(credentials).await,
            Credentials::Ticket { .. } => self.ticket.authenticate(credentials).await,
        }
    }
}

const TICKET_KEY: &[u8] = b"a-ticket-key-of-at-least-32-bytes-for-tests";

fn ticket(jti: &str) -> pb::hello::Credentials {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = TicketClaims {
        sub: "00000000-0000-0000-0000-000000000001".into(),
        usr: "ticketed".into(),
        srv: "gs-full".into(),
        ins: "instance-1".into(),
        jti: jti.into(),
        iat: now,
        exp: now + 30,
    };
    pb::hello::Credentials::Ticket(pb::TicketLogin {
        ticket: sign_ticket(TICKET_KEY, &claims).unwrap(),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_server_answers_server_full_without_calling_nakama() {
    // "Nakama" is a socket that counts who connects to it and never answers.
    let nakama = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let nakama_addr: SocketAddr = nakama.local_addr().unwrap();
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let listener = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = nakama.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            held.push(s);
        }
    });
    let client = NakamaClient::connect_lazy(
        &format!("http://{nakama_addr}"),
        "an-http-key-of-at-least-32-bytes-for-tests",
        Duration::from_millis(500),
    )
    .unwrap();
    let backends = Backends {
        auth: Arc::new(DevOrTicket {
            dev: DevAuth,
            ticket: TicketAuth::new(client, TICKET_KEY, "gs-full", "instance-1"),
        }),
        store: Arc::new(MemoryStore::default()),
        leaderboard: Arc::new(NoLeaderboard),
    };
    let config = Config {
        max_players: 1,
        ..test_config("full")
    };
    let h = start(config, backends).await;
    let mut first = Raw::join(&h, "first", None).await;
    assert!(eventually(5, || h.players() == 1).await);
    let mut refused = Raw::connect(&h, None).await;
    refused.hello(ticket("full-1"), Vec::new()).await;
    let msg = refused.next().await;
    assert!(is_error(&msg, ErrorCode::ServerFull), "{msg:?}");
    assert_eq!(calls.load(Ordering::SeqCst), 0, "Nakama was not asked");
    // The control: with the slot free again, the same kind of login does reach Nakama.
    first.write(client_control::Msg::Leave(pb::Leave {})).await;
    assert!(eventually(5, || h.players() == 0).await);
    let mut admitted = Raw::connect(&h, None).await;
    admitted.hello(ticket("full-2"), Vec::new()).await;
    let msg = admitted.next().await;
    assert!(is_error(&msg, ErrorCode::AuthFailed), "{msg:?}");
    assert!(
        calls.load(Ordering::SeqCst) >= 1,
        "this time Nakama was asked"
    );
    listener.abort();
    h.shutdown().await;
}

/// What Nakama may hand the server for a player: a username and a group name chosen by
/// players (any group admin picks the name of a group and can add anyone to it).
struct HostileNames;

#[async_trait]
impl Authenticator for HostileNames {
    async fn authenticate(&self, credentials: &Credentials) -> Result<Identity, AuthError> {
        let Credentials::Dev { name } = credentials else {
            return Err(AuthError::TicketsDisabled);
        };
        Ok(Identity {
            player_id: format!("dev:{name}"),
            username: format!(
                "{name}\u{202E}txt.exe\nTower Staff\u{200B}{}",
                "x".repeat(300)
            ),
            guild: Some(format!(
                "\u{2066}Tower\r\nStaff\u{FEFF} ✔{}",
                "é".repeat(200)
            )),
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_and_guilds_reach_the_roster_sanitized_and_bounded() {
    let backends = Backends {
        auth: Arc::new(HostileNames),
        ..Backends::dev()
    };
    let h = start(test_config("names"), backends).await;
    let mut player = Raw::connect(&h, None).await;
    player.dev_hello("mallory").await;
    let server_control::Msg::Welcome(welcome) = player.next().await else {
        panic!("welcome")
    };
    let server_control::Msg::FloorEnter(enter) = player.next().await else {
        panic!("floor enter")
    };
    player.prove(enter.floor, enter.seed).await;
    let server_control::Msg::FloorAdmitted(_) = player.next().await else {
        panic!("admitted")
    };
    let server_control::Msg::Roster(roster) = player.next().await else {
        panic!("roster")
    };
    let entry = &roster.entries[0];
    let expected = format!("mallorytxt.exe Tower Staff{}", "x".repeat(64 - 26));
    assert_eq!(welcome.display_name, expected);
    assert_eq!(entry.name, expected);
    assert_eq!(entry.guild, format!("Tower Staff ✔{}", "é".repeat(64 - 13)));
    for s in [&entry.name, &entry.guild] {
        assert!(tower_protocol::name_within_bounds(s), "{s:?}");
        assert!(
            !s.chars().any(tower_protocol::names::is_hidden_char),
            "{s:?}"
        );
    }
    h.shutdown().await;
}

fn nakama_config(http_key: &str, ticket_key: &str) -> NakamaConfig {
    // Nothing listens on port 1: getting as far as connecting means the keys passed.
    let mut n = NakamaConfig::local_dev("http://127.0.0.1:1", "gs-keys", "127.0.0.1", 4433);
    n.http_key = http_key.into();
    n.ticket_key = ticket_key.into();
    n.request_timeout_ms = 300;
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weak_or_dev_keys_are_refused_in_nakama_mode_unless_in_dev_mode() {
    let strong = "0123456789abcdef0123456789abcdef-strong";
    let cases = [
        ("short", "short-http-key", strong),
        ("dev default", strong, "tower-dev-ticket-key-change-me"),
    ];
    for (what, http_key, ticket_key) in cases {
        let config = Config {
            nakama: Some(nakama_config(http_key, ticket_key)),
            ..test_config("keys")
        };
        let e = tower_server::launch(config.clone()).await.err().unwrap();
        assert!(
            matches!(e, tower_server::LaunchError::Config(_)),
            "{what}: {e}"
        );
        assert!(e.to_string().contains("dev mode"), "{what}: {e}");
        // In explicit dev mode the keys pass and the launch gets as far as Nakama.
        let dev = Config {
            dev_mode: true,
            ..config
        };
        let e = tower_server::launch(dev).await.err().unwrap();
        assert!(
            matches!(e, tower_server::LaunchError::Nakama { .. }),
            "{what}: {e}"
        );
    }
    let config = Config {
        nakama: Some(nakama_config(strong, strong)),
        ..test_config("keys")
    };
    let certs = config.cert_dir.clone();
    let e = tower_server::launch(config).await.err().unwrap();
    assert!(
        matches!(e, tower_server::LaunchError::Nakama { .. }),
        "strong keys: {e}"
    );
    // An unreachable Nakama is named by its URL.
    assert!(e.to_string().contains("http://127.0.0.1:1"), "{e}");
    let _ = std::fs::remove_dir_all(certs);
}

/// Datagrams that are not QUIC, or QUIC nobody can decrypt, sent straight at the server's
/// UDP port by a peer that never handshakes: nothing crashes, no connection is created, and
/// a player already playing keeps getting snapshots while a new one can still join.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn junk_udp_datagrams_harm_neither_the_server_nor_its_players() {
    let h = start(test_config("junk"), Backends::dev()).await;
    let steady = Raw::join(&h, "steady", None).await;
    let junk = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
    // xorshift64: the same junk every run.
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut buf = vec![0u8; 65_000];
    for i in 0..2_000usize {
        buf.iter_mut().for_each(|b| *b = next() as u8);
        let len = [0, 1, 20, 50, 1200, 1200, 1500, 9000, 65_000][i % 9];
        match i % 9 {
            // a long-header Initial of QUIC v1 that cannot be decrypted
            4 => buf[..5].copy_from_slice(&[0xc3, 0, 0, 0, 1]),
            // a long header of an unknown version (asks for version negotiation)
            5 => buf[..5].copy_from_slice(&[0xc3, 0xba, 0xba, 0xba, 0xba]),
            // a short header for a connection id the server never issued
            3 | 6 => buf[0] = 0x40 | (buf[0] & 0x3f),
            _ => {}
        }
        junk.send_to(&buf[..len], h.addr).expect("send");
        if i % 100 == 99 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    // Snapshots from before are still buffered: drain them, then wait for a fresh one.
    for _ in 0..1_000 {
        let read = tokio::time::timeout(Duration::from_millis(20), steady.conn.read_datagram());
        if !matches!(read.await, Ok(Ok(_))) {
            break;
        }
    }
    let snapshot = tokio::time::timeout(Duration::from_secs(3), steady.conn.read_datagram()).await;
    assert!(
        matches!(snapshot, Ok(Ok(_))),
        "the player still gets snapshots: {snapshot:?}"
    );
    let late = Raw::join(&h, "late", None).await;
    assert!(eventually(5, || h.metrics.players.get() == 2).await);
    assert_eq!(
        h.metrics.prelogin_connections.get(),
        0,
        "no connection from the junk"
    );
    assert_eq!(h.metrics.connections.get(), 2);
    assert!(steady.conn.close_reason().is_none() && late.conn.close_reason().is_none());
    h.shutdown().await;
}
