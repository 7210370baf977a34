//! The `tower-server` binary itself: starts from flags, serves a real client, and exits
//! cleanly on SIGTERM after telling the client.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tower_client::{CertFingerprint, Client, ClientConfig, Credentials, Event, Trust};

#[test]
fn the_binary_serves_and_shuts_down_gracefully_on_sigterm() {
    let dir = std::env::temp_dir().join(format!("tower-bin-{}", std::process::id()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_tower-server"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--metrics-listen",
            "127.0.0.1:0",
            "--cert-dir",
        ])
        .arg(&dir)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the binary starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut addr = None;
    let mut log = Vec::new();
    while addr.is_none() {
        let line = lines.next().expect("server log line").unwrap();
        if line.contains("tower server listening") {
            let at = line.split("addr=").nth(1).unwrap();
            addr = Some(
                at.split_whitespace()
                    .next()
                    .unwrap()
                    .parse::<std::net::SocketAddr>()
                    .unwrap(),
            );
        }
        log.push(line);
    }
    assert!(
        log.iter()
            .any(|l| l.contains("DEV AUTH MODE") && l.contains("INSECURE")),
        "{log:?}"
    );
    let fingerprint = std::fs::read_to_string(dir.join("cert.sha256")).unwrap();
    assert!(
        log.iter().any(|l| l.contains(fingerprint.trim())),
        "fingerprint logged: {log:?}"
    );
    let trust = Trust::Fingerprint(CertFingerprint::parse(fingerprint.trim()).unwrap());
    let client = Client::connect(ClientConfig::new(
        addr.unwrap(),
        trust,
        Credentials::Dev { name: "bin".into() },
    ))
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut admitted = false;
    while !admitted && Instant::now() < deadline {
        while let Some(e) = client.poll_event() {
            admitted |= matches!(e, Event::FloorAdmitted { .. });
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(admitted);
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    let exit = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "server did not exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "{exit:?}");
    let mut reason = None;
    let deadline = Instant::now() + Duration::from_secs(5);
    while reason.is_none() && Instant::now() < deadline {
        while let Some(e) = client.poll_event() {
            if let Event::Disconnected { message, .. } = e {
                reason = Some(message);
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(reason.unwrap_or_default().contains("shutdown"));
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(
        rest.iter().any(|l| l.contains("all player states saved")),
        "{rest:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
