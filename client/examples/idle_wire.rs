//! Wire cost of a player who stands still: connects to a running server, proves the floor,
//! holds the neutral input for `--seconds` and prints payload and UDP bytes per second in
//! both directions from the client's own counters (payload: application bytes; UDP: quinn's
//! `ConnectionStats`, i.e. QUIC packets with headers, AEAD tags and ACK frames).
//!
//! ```text
//! cargo run --release -p tower-client --example idle_wire -- \
//!     --server 127.0.0.1:47633 --fingerprint-file /tmp/t/cert.sha256 --seconds 20
//! ```
//! `--every-tick` and `--no-ack-frequency` switch the two savings off, for comparison.

use anyhow::{Context, bail};
use clap::Parser;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tower_client::{
    CertFingerprint, Client, ClientConfig, ClientStats, Credentials, Event, IdlePolicy, Trust,
};

#[derive(Parser, Debug)]
#[command(about = "Measure the wire cost of an idle Tower client")]
struct Args {
    /// Server address (UDP).
    #[arg(long)]
    server: SocketAddr,
    /// File holding the server certificate's SHA-256 fingerprint (hex).
    #[arg(long)]
    fingerprint_file: PathBuf,
    /// How long to stand still while measuring.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Seconds after admission before measuring (first full snapshot, settling).
    #[arg(long, default_value_t = 3)]
    warmup: u64,
    /// Send an input datagram every tick even when idle (the old behaviour).
    #[arg(long)]
    every_tick: bool,
    /// Idle keepalive interval in milliseconds [default: IdlePolicy's, 2000].
    #[arg(long)]
    keepalive_ms: Option<u64>,
    /// Do not ask the server for less frequent ACKs (QUIC ACK frequency extension).
    #[arg(long)]
    no_ack_frequency: bool,
    /// Dev-auth player name.
    #[arg(long, default_value = "idle-probe")]
    name: String,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let hex = std::fs::read_to_string(&args.fingerprint_file)
        .with_context(|| format!("reading {}", args.fingerprint_file.display()))?;
    let pin = CertFingerprint::parse(&hex).context("bad fingerprint")?;
    let mut cfg = ClientConfig::new(
        args.server,
        Trust::Fingerprint(pin),
        Credentials::Dev {
            name: args.name.clone(),
        },
    );
    cfg.core.idle = (!args.every_tick).then(|| {
        let mut policy = IdlePolicy::default();
        if let Some(ms) = args.keepalive_ms {
            policy.keepalive = Duration::from_millis(ms);
        }
        policy
    });
    if args.no_ack_frequency {
        cfg.transport.ack_frequency = None;
    }
    let client = Client::connect(cfg)?;
    let deadline = Instant::now() + Duration::from_secs(15);
    let floor = loop {
        match client.poll_event() {
            Some(Event::FloorAdmitted { floor, .. }) => break floor,
            Some(Event::Disconnected { reason, message }) => {
                bail!("disconnected ({reason:?}): {message}")
            }
            Some(Event::Error { message, .. }) => bail!("server error: {message}"),
            Some(_) => {}
            None if Instant::now() > deadline => bail!("not admitted within 15 s"),
            None => std::thread::sleep(Duration::from_millis(10)),
        }
    };
    println!("admitted to floor {floor} (hash proven); standing still");
    watch(&client, Duration::from_secs(args.warmup))?;
    let s0 = client.stats();
    let t0 = Instant::now();
    watch(&client, Duration::from_secs(args.seconds))?;
    let s1 = client.stats();
    report(&s0, &s1, t0.elapsed());
    Ok(())
}

/// Waits `d`, failing if the connection drops.
fn watch(client: &Client, d: Duration) -> anyhow::Result<()> {
    let end = Instant::now() + d;
    while Instant::now() < end {
        while let Some(ev) = client.poll_event() {
            if let Event::Disconnected { reason, message } = ev {
                bail!("disconnected ({reason:?}): {message}");
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

fn report(a: &ClientStats, b: &ClientStats, elapsed: Duration) {
    let secs = elapsed.as_secs_f64();
    let rate = |x: u64, y: u64| y.saturating_sub(x) as f64 / secs;
    println!("over {secs:.1} s:");
    println!("| direction | payload B/s | UDP B/s | UDP packets/s |");
    println!("|---|---|---|---|");
    println!(
        "| down | {:.0} | {:.0} | {:.1} |",
        rate(a.bytes_received, b.bytes_received),
        rate(a.udp_rx_bytes, b.udp_rx_bytes),
        rate(a.udp_rx_datagrams, b.udp_rx_datagrams),
    );
    println!(
        "| up | {:.0} | {:.0} | {:.1} |",
        rate(a.bytes_sent, b.bytes_sent),
        rate(a.udp_tx_bytes, b.udp_tx_bytes),
        rate(a.udp_tx_datagrams, b.udp_tx_datagrams),
    );
    println!(
        "snapshots/s {:.1}, input datagrams/s {:.1}, idle ticks/s {:.1}, corrections {}, rtt {:?}",
        rate(a.snapshots, b.snapshots),
        rate(a.inputs_sent, b.inputs_sent),
        rate(a.idle_ticks, b.idle_ticks),
        b.corrections - a.corrections,
        b.rtt.unwrap_or_default(),
    );
}
