//! Placement in Nakama (issue 12) against the REAL native stack (scripts/nakama-stack.sh):
//! registered servers (heartbeats through the http_key RPC; placement needs no real game
//! server), matchmaker matches of 2-4 players (Nakama's matchmaker forms no match under 2;
//! a single player's choice is covered by the module's own checks), and what each policy
//! picks. Docs: docs/nakama.md "Placement".

#![allow(clippy::unwrap_used)]

use futures_util::future::join_all;
use serde_json::{Value, json};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tower_lobby::{Lobby, LobbyError, NakamaStack, Realtime, Session};

const SYSTEM_USER: &str = "00000000-0000-0000-0000-000000000000";
const MATCH_TIMEOUT: Duration = Duration::from_secs(15);

/// A stack whose heartbeats stay live for the whole test (no re-beat resets the players the
/// matchmaker reserved) under the given placement knobs.
fn start_stack(placement: &str, soft_cap: &str) -> NakamaStack {
    NakamaStack::start_with_env(&[
        ("TOWER_SERVER_TTL_SEC", "120"),
        ("TOWER_PLACEMENT", placement),
        ("TOWER_PACK_SOFT_CAP", soft_cap),
    ])
    .expect("the native Nakama stack must start (scripts/install.d/50-nakama.sh installs it)")
}

async fn server_rpc(stack: &NakamaStack, id: &str, payload: &Value) -> Value {
    let url = format!(
        "{}/v2/rpc/{id}?http_key={}&unwrap",
        stack.http_url(),
        stack.http_key()
    );
    let answer = reqwest::Client::new()
        .post(url)
        .timeout(Duration::from_secs(5))
        .json(payload)
        .send()
        .await
        .unwrap();
    let status = answer.status();
    let body = answer.text().await.unwrap();
    assert!(status.is_success(), "{id}: {status} {body}");
    serde_json::from_str(&body).unwrap()
}

async fn heartbeat(stack: &NakamaStack, id: &str, capacity: u32, players: u32) {
    let beat = json!({"id": id, "instance": format!("inst-{id}"), "address": "127.0.0.1",
                      "port": 4433, "fingerprint": format!("fp-{id}"),
                      "capacity": capacity, "players": players});
    server_rpc(stack, "tower_server_heartbeat", &beat).await;
}

/// Players (id → players) as the registry holds them now.
async fn players_by_server(stack: &NakamaStack) -> Vec<(String, u64)> {
    let list = server_rpc(stack, "tower_server_list", &json!({})).await;
    let mut out: Vec<(String, u64)> = list["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap().to_owned(),
                s["players"].as_u64().unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

fn now_ms() -> u64 {
    u64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

fn record(id: &str, capacity: Value, players: Value, heartbeat_ms: u64) -> Value {
    json!({"id": id, "instance": format!("inst-{id}"), "address": "127.0.0.1", "port": 4433,
           "fingerprint": "", "capacity": capacity, "players": players,
           "heartbeat_ms": heartbeat_ms})
}

/// Plants a registry record straight in PostgreSQL (as an older module version, a hostile
/// client before the guard, or an operator's mistake left it); the index only sees it after
/// Nakama restarts and loads the index from the database.
fn plant(stack: &NakamaStack, key: &str, owner: &str, value: &Value) {
    let value = value.to_string().replace('\'', "''");
    stack
        .sql(&format!(
            "INSERT INTO storage (collection, key, user_id, value, version, read, write) \
             VALUES ('tower_servers', '{key}', '{owner}', '{value}', md5('{value}'), 2, 1)"
        ))
        .unwrap();
}

async fn player(stack: &NakamaStack, name: &str) -> Session {
    Lobby::new(stack.http_url(), stack.server_key())
        .unwrap()
        .authenticate_device(&format!("placement-device-{name}-0123456789"), Some(name))
        .await
        .unwrap()
}

/// One party: `n` players queue together (min = max = n, alone in the matchmaker) and each
/// gets the server id of their notification, or the "no game server" reason.
async fn party(stack: &NakamaStack, tag: &str, n: u32) -> Vec<Result<String, String>> {
    let mut sockets: Vec<Realtime> = Vec::new();
    for i in 0..n {
        let session = player(stack, &format!("{tag}-{i}")).await;
        let mut socket = session.connect_realtime().await.unwrap();
        socket.matchmaker_add(n, n, "*").await.unwrap();
        sockets.push(socket);
    }
    let results = join_all(sockets.iter_mut().map(|s| s.wait_for_match(MATCH_TIMEOUT))).await;
    for socket in sockets {
        socket.close().await.ok();
    }
    results
        .into_iter()
        .map(|r| match r {
            Ok(assignment) => Ok(assignment.server_id),
            Err(LobbyError::NoServer(reason)) => Err(reason),
            Err(other) => panic!("party {tag}: {other}"),
        })
        .collect()
}

/// Asserts the whole party landed on `want` and returns nothing else.
async fn lands_on(stack: &NakamaStack, tag: &str, n: u32, want: &str) {
    let got = party(stack, tag, n).await;
    assert_eq!(got.len(), n as usize);
    for r in &got {
        assert_eq!(r.as_deref(), Ok(want), "party {tag} of {n}: {got:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_module_checks_of_the_placement_policies_pass() {
    let stack = start_stack("least_loaded", "0.8");
    let answer = server_rpc(&stack, "tower_placement_check", &json!({})).await;
    assert_eq!(answer["failed"], json!(0), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn least_loaded_spreads_parties_and_ignores_rogue_records_through_the_index() {
    let stack = start_stack("least_loaded", "0.8");
    heartbeat(&stack, "a", 10, 6).await;
    heartbeat(&stack, "b", 10, 2).await;
    heartbeat(&stack, "c", 20, 9).await;
    // What the index must keep out: each is live-looking and empty, so least-loaded would
    // pick it first if it were believed.
    let owner = player(&stack, "rogue-owner").await;
    let now = now_ms();
    plant(
        &stack,
        "rogue",
        owner.user_id(),
        &record("rogue", json!(1000), json!(0), now),
    );
    plant(
        &stack,
        "lots",
        SYSTEM_USER,
        &record("lots", json!("lots"), json!(0), now),
    );
    plant(
        &stack,
        "neg",
        SYSTEM_USER,
        &record("neg", json!(1000), json!(-1), now),
    );
    plant(
        &stack,
        "future",
        SYSTEM_USER,
        &record("future", json!(1000), json!(0), now + 3_600_000),
    );
    plant(
        &stack,
        "stale",
        SYSTEM_USER,
        &record("stale", json!(1000), json!(0), now - 600_000),
    );
    // A well-formed system record planted the same way: proof the index was loaded from the
    // database at start (a test whose records never reached the index would not see it).
    plant(
        &stack,
        "d",
        SYSTEM_USER,
        &record("d", json!(100), json!(0), now),
    );
    stack.stop_nakama().unwrap();
    stack.start_nakama().unwrap();

    lands_on(&stack, "p1", 2, "d").await;
    server_rpc(&stack, "tower_server_deregister", &json!({"id": "d"})).await;
    // Loads now: a .6, b .2, c .45.
    lands_on(&stack, "p2", 3, "b").await; // b: 5/10 = .5
    lands_on(&stack, "p3", 4, "c").await; // c: 13/20 = .65
    lands_on(&stack, "p4", 2, "b").await; // b .5 < a .6 → b: 7/10
    // The malformed ones match the live query and are refused on read, with a log line;
    // the player-owned one never matches (the query names the system owner).
    let log = std::fs::read_to_string(stack.dir().join("nakama.log")).unwrap();
    for key in ["lots", "neg", "future"] {
        assert!(
            log.lines()
                .any(|l| l.contains("ignoring record") && l.contains(key)),
            "{key} was read back and refused"
        );
    }
    let listed = players_by_server(&stack).await;
    assert_eq!(
        listed,
        vec![
            ("a".to_owned(), 6),
            ("b".to_owned(), 7),
            ("c".to_owned(), 13),
            ("stale".to_owned(), 0)
        ],
        "only well-formed system records are indexed (stale is listed, not live)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pack_fills_the_fullest_below_the_soft_cap_and_never_splits_a_party() {
    let stack = start_stack("pack", "0.8");
    heartbeat(&stack, "a", 10, 7).await;
    heartbeat(&stack, "b", 10, 3).await;
    heartbeat(&stack, "c", 10, 0).await;
    // Soft cap 8 of 10. a (7) cannot take 2 without passing it; b is the fullest that can.
    lands_on(&stack, "q1", 2, "b").await; // b 5
    lands_on(&stack, "q2", 3, "b").await; // b 8: exactly at the cap
    // Only the empty server stays within the cap for 4.
    lands_on(&stack, "q3", 4, "c").await; // c 4
    lands_on(&stack, "q4", 4, "c").await; // c 8
    // Everyone is over the cap for 2 now: the least-loaded with room (a .7; b, c .8).
    lands_on(&stack, "q5", 2, "a").await; // a 9
    // Nobody has room for 3 (9, 8, 8 of 10): every member is told, nobody is placed.
    let got = party(&stack, "q6", 3).await;
    assert_eq!(got.len(), 3);
    for r in &got {
        let reason = r
            .as_ref()
            .expect_err("a party with no server to hold it whole");
        assert!(reason.contains("no game server has room"), "{reason}");
    }
    assert_eq!(
        players_by_server(&stack).await,
        vec![
            ("a".to_owned(), 9),
            ("b".to_owned(), 8),
            ("c".to_owned(), 8)
        ]
    );
}
