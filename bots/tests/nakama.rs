//! `tower-bots --nakama`: the real native Nakama stack, our game server registered with it
//! (in-process, through `tower_server::launch` from a TOML config with a `[nakama]` section,
//! exactly what the `tower-server` binary runs), and the tower-bots binary, whose bots device-authenticate, are matched by Nakama and play with their tickets.
//! Fails (never skips) when the stack cannot start; everything on loopback, bounded in time.

#![allow(clippy::unwrap_used)]

use std::net::UdpSocket;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use tower_lobby::NakamaStack;

fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Runs tower-bots with `args`, killed if it outlives `limit`.
async fn run_bots(args: &[&str], server_key: &str, limit: Duration) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tower-bots"))
        .args(args)
        .env("TOWER_NAKAMA_SERVER_KEY", server_key)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tower-bots starts");
    let deadline = Instant::now() + limit;
    while child.try_wait().expect("polling tower-bots").is_none() {
        if Instant::now() > deadline {
            child.kill().ok();
            let out = child.wait_with_output().expect("tower-bots output");
            panic!(
                "tower-bots ran longer than {limit:?}:\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    child.wait_with_output().expect("tower-bots output")
}

/// The value of a summary-table row, e.g. `row(table, "connected")`.
fn row<'a>(table: &'a str, name: &str) -> &'a str {
    table
        .lines()
        .find_map(|l| {
            l.strip_prefix(name)
                .filter(|rest| rest.starts_with("  "))
                .map(str::trim)
        })
        .unwrap_or_else(|| panic!("no row {name:?} in:\n{table}"))
}

fn count(table: &str, name: &str) -> u64 {
    row(table, name)
        .parse()
        .unwrap_or_else(|e| panic!("row {name:?} is not a count ({e}):\n{table}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bots_are_matched_by_nakama_and_play() {
    // A short registry liveness, so that the game server is soon forgotten once it stops.
    let stack = NakamaStack::start_with_env(&[("TOWER_SERVER_TTL_SEC", "3")])
        .expect("the native Nakama stack must start");

    // The game server, from a config file with a [nakama] section, launched as the binary
    // launches it: it registers with Nakama and announces its certificate's fingerprint.
    let cert_dir = tempfile::tempdir().unwrap();
    let port = free_udp_port();
    let toml = format!(
        r#"
listen = "127.0.0.1:{port}"
metrics_listen = "127.0.0.1:0"
cert_dir = {cert_dir:?}

[nakama]
grpc_url = "{grpc}"
http_key = "{http_key}"
ticket_key = "{ticket_key}"
server_id = "bots-1"
public_host = "127.0.0.1"
public_port = {port}
heartbeat_secs = 1
"#,
        cert_dir = cert_dir.path().display().to_string(),
        grpc = stack.grpc_url(),
        http_key = stack.http_key(),
        ticket_key = stack.ticket_key(),
    );
    let config = tower_server::config::from_toml(&toml).expect("server config");
    let server = tower_server::launch(config)
        .await
        .expect("game server starts");

    let url = stack.http_url().to_owned();
    let out = run_bots(
        &[
            "--nakama",
            &url,
            "--run-id",
            "bots-test",
            "--bots",
            "2",
            "--seconds",
            "10",
        ],
        stack.server_key(),
        Duration::from_secs(120),
    )
    .await;
    let table = String::from_utf8_lossy(&out.stdout).into_owned();
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "tower-bots failed:\n{table}{log}");
    assert_eq!(count(&table, "connected"), 2, "{table}{log}");
    assert_eq!(count(&table, "failed"), 0, "{table}{log}");
    assert_eq!(count(&table, "matchmaking failures"), 0, "{table}{log}");
    assert!(count(&table, "floors verified") >= 1, "{table}{log}");
    assert_eq!(count(&table, "hash mismatches"), 0, "{table}{log}");

    // An odd bot out: three bots in matches of two leave one without a ticket, counted failed.
    let out = run_bots(
        &[
            "--nakama",
            &url,
            "--run-id",
            "bots-odd",
            "--bots",
            "3",
            "--seconds",
            "2",
            "--match-timeout",
            "8",
        ],
        stack.server_key(),
        Duration::from_secs(120),
    )
    .await;
    let table = String::from_utf8_lossy(&out.stdout).into_owned();
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "tower-bots failed:\n{table}{log}");
    assert_eq!(count(&table, "connected"), 2, "{table}{log}");
    assert_eq!(count(&table, "failed"), 1, "{table}{log}");
    assert_eq!(count(&table, "matchmaking failures"), 1, "{table}{log}");
    assert!(log.contains("matchmaking failed"), "{log}");
    // A failure names the Nakama it was trying.
    assert!(log.contains(&format!("Nakama at {url}")), "{log}");

    // Leaves the registry; the short liveness covers a failed deregistration too.
    server.shutdown().await;
    tokio::time::sleep(Duration::from_secs(4)).await;

    // No live game server: Nakama says so; every bot fails matchmaking and the run fails.
    let out = run_bots(
        &[
            "--nakama",
            &url,
            "--run-id",
            "bots-none",
            "--bots",
            "2",
            "--seconds",
            "1",
            "--match-timeout",
            "20",
        ],
        stack.server_key(),
        Duration::from_secs(120),
    )
    .await;
    let table = String::from_utf8_lossy(&out.stdout).into_owned();
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "no bot can connect:\n{table}{log}");
    assert_eq!(count(&table, "matchmaking failures"), 2, "{table}{log}");
    assert!(log.contains("no game server"), "{log}");

    stack.stop().unwrap();
}

#[test]
fn nakama_mode_refuses_dev_auth_flags() {
    for extra in [
        ["--server", "127.0.0.1:4433"],
        ["--cert-fingerprint", "00"],
        ["--ca-file", "ca.pem"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_tower-bots"))
            .args(["--nakama", "http://127.0.0.1:1"])
            .args(extra)
            .output()
            .expect("tower-bots runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{extra:?} accepted");
        assert!(err.contains("cannot be used with"), "{extra:?}: {err}");
    }
    // No server key, no silent default (a stale dev key only earned 401s): refused up front.
    let out = Command::new(env!("CARGO_BIN_EXE_tower-bots"))
        .args(["--nakama", "http://127.0.0.1:1"])
        .env_remove("TOWER_NAKAMA_SERVER_KEY")
        .output()
        .expect("tower-bots runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--nakama-server-key"), "{err}");
    let out = Command::new(env!("CARGO_BIN_EXE_tower-bots"))
        .args(["--run-id", "x"])
        .output()
        .expect("tower-bots runs");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--nakama"));
}
