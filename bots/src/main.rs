//! tower-bots: N simulated players over real QUIC. They regenerate and prove floors,
//! wander, fight and climb; at the end one summary table is printed.
//!
//! All bots share one client pool (one tokio runtime, a few UDP sockets); their brains run
//! on the main thread at the tick rate through the public `tower_client::Client` API.

mod brain;
mod report;

use anyhow::{Context, Result, bail};
use brain::Brain;
use clap::Parser;
use report::BotResult;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tower_client::{
    CertFingerprint, Client, ClientConfig, ClientPool, ClientStats, Credentials, Event,
    FloorSource, Trust,
};

#[derive(Parser, Debug)]
#[command(
    version,
    about = "N simulated Tower players over real QUIC; prints one summary table"
)]
struct Args {
    /// Server address (host:port).
    #[arg(long, default_value = "127.0.0.1:4433")]
    server: SocketAddr,
    /// SHA-256 fingerprint (hex) of the server certificate to pin.
    #[arg(long, conflicts_with_all = ["fingerprint_file", "ca_file"])]
    cert_fingerprint: Option<String>,
    /// File holding the fingerprint (as written by the server next to its certificate).
    #[arg(long, conflicts_with = "ca_file")]
    fingerprint_file: Option<PathBuf>,
    /// PEM file of CA certificates to verify the server against instead of a pin.
    #[arg(long)]
    ca_file: Option<PathBuf>,
    /// TLS server name.
    #[arg(long, default_value = "localhost")]
    server_name: String,
    /// Number of bots.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=20_000))]
    bots: u32,
    /// How long the bots play, after connecting.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    seconds: u64,
    /// Client runtime threads.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// New connections per second while ramping up.
    #[arg(long, default_value_t = 200)]
    connect_rate: u32,
    /// Bot tick rate (how often brains decide; inputs go out at the server's tick rate).
    #[arg(long, default_value_t = 30)]
    brain_hz: u32,
    /// Player name prefix (dev auth).
    #[arg(long, default_value = "bot")]
    name_prefix: String,
}

struct Bot {
    client: Client,
    brain: Brain,
    welcomed: bool,
    failed: bool,
    disconnect_reason: Option<String>,
    own_id: Option<u32>,
    highest_floor: u32,
    start: Option<(Instant, ClientStats)>,
}

fn trust(args: &Args) -> Result<Trust> {
    if let Some(ca) = &args.ca_file {
        return Ok(Trust::CaFile(ca.clone()));
    }
    let text = match (&args.cert_fingerprint, &args.fingerprint_file) {
        (Some(hex), _) => hex.clone(),
        (None, Some(path)) => {
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?
        }
        (None, None) => bail!("pass --cert-fingerprint, --fingerprint-file or --ca-file"),
    };
    Ok(Trust::Fingerprint(
        CertFingerprint::parse(&text).context("bad certificate fingerprint")?,
    ))
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let trust = trust(&args)?;
    let pool = ClientPool::new(args.threads).context("starting the client runtime")?;
    let floors = FloorSource::cached(64);
    let tick = Duration::from_secs(1) / args.brain_hz.clamp(1, 240);
    let connect_gap = Duration::from_secs(1) / args.connect_rate.max(1);

    let mut bots: Vec<Bot> = Vec::with_capacity(args.bots as usize);
    let ramp_start = Instant::now();
    let mut next_connect = ramp_start;
    let mut play_until: Option<Instant> = None;
    let hard_deadline =
        ramp_start + Duration::from_secs(args.seconds + 60 + u64::from(args.bots) / 10);
    let mut next_tick = Instant::now();
    let mut ticks: u64 = 0;

    loop {
        let now = Instant::now();
        // ramp up
        while bots.len() < args.bots as usize && now >= next_connect {
            let i = bots.len();
            let mut cfg = ClientConfig::new(
                args.server,
                trust.clone(),
                Credentials::Dev {
                    name: format!("{}{i}", args.name_prefix),
                },
            );
            cfg.server_name = args.server_name.clone();
            cfg.core.floors = floors.clone();
            let client = pool.connect(cfg).context("creating a client")?;
            bots.push(Bot {
                client,
                brain: Brain::new(i as u64 + 1),
                welcomed: false,
                failed: false,
                disconnect_reason: None,
                own_id: None,
                highest_floor: 0,
                start: None,
            });
            next_connect += connect_gap;
        }
        let all_started = bots.len() == args.bots as usize;
        // the measurement starts once every bot got its answer (or after a bound)
        if play_until.is_none()
            && all_started
            && (bots.iter().all(|b| b.welcomed || b.failed)
                || now > ramp_start + Duration::from_secs(30))
        {
            play_until = Some(now + Duration::from_secs(args.seconds));
            for b in bots.iter_mut().filter(|b| b.welcomed) {
                b.start = Some((now, b.client.stats()));
            }
            eprintln!(
                "tower-bots: {} of {} bots connected in {:.1} s, playing {} s",
                bots.iter().filter(|b| b.welcomed).count(),
                bots.len(),
                (now - ramp_start).as_secs_f64(),
                args.seconds
            );
        }
        if play_until.is_some_and(|t| now >= t) || now >= hard_deadline {
            break;
        }

        let look = ticks.is_multiple_of(3);
        for b in &mut bots {
            step_bot(b, now, look);
        }
        ticks += 1;
        next_tick += tick;
        let now = Instant::now();
        if next_tick > now {
            std::thread::sleep(next_tick - now);
        } else {
            next_tick = now; // overloaded: do not try to catch up
        }
    }

    let end = Instant::now();
    let results: Vec<BotResult> = bots.iter().map(|b| result(b, end)).collect();
    let window = play_until.map_or(Duration::ZERO, |t| {
        end.saturating_duration_since(t - Duration::from_secs(args.seconds))
    });
    for b in &bots {
        b.client.disconnect();
    }
    let leave_deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < leave_deadline && !bots.iter().all(|b| b.client.is_closed()) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut reasons: Vec<&str> = bots
        .iter()
        .filter_map(|b| b.disconnect_reason.as_deref())
        .collect();
    reasons.sort_unstable();
    reasons.dedup();
    for r in reasons.iter().take(5) {
        eprintln!("tower-bots: disconnect reason: {r}");
    }
    print!("{}", report::table(&results, window));
    if results.iter().all(|r| !r.connected) {
        bail!("no bot connected");
    }
    Ok(())
}

fn step_bot(b: &mut Bot, now: Instant, look: bool) {
    while let Some(ev) = b.client.poll_event() {
        match ev {
            Event::Welcome { player_id, .. } => {
                b.welcomed = true;
                b.own_id = Some(player_id);
            }
            Event::FloorAdmitted { floor, .. } => b.highest_floor = b.highest_floor.max(floor),
            Event::Error { code, message } => tracing::warn!(code, "server error: {message}"),
            Event::Disconnected { reason } => {
                b.failed = true;
                b.disconnect_reason = Some(reason);
            }
            Event::Connected | Event::FloorEntered { .. } | Event::Roster(_) => {}
        }
    }
    if b.failed {
        return;
    }
    let (Some(me), Some((number, floor))) =
        (b.client.predicted_position(), b.client.current_floor())
    else {
        return;
    };
    let entities = if look {
        b.client.interpolated_entities(now)
    } else {
        Vec::new()
    };
    let input = b.brain.think(number, &floor, me, b.own_id, &entities);
    b.client.send_input(input);
}

fn result(b: &Bot, end: Instant) -> BotResult {
    let s = b.client.stats();
    let mut r = BotResult {
        connected: b.welcomed,
        failed: b.failed || !b.welcomed,
        floors_verified: s.floors_verified,
        hash_mismatches: s.hash_mismatches + s.local_hash_mismatches,
        rtt: s.rtt,
        corrections: s.corrections,
        snapshot_errors: s.snapshot_errors,
        highest_floor: b.highest_floor,
        ..Default::default()
    };
    if let Some((t0, s0)) = &b.start {
        let secs = end.saturating_duration_since(*t0).as_secs_f64().max(1e-3);
        let rate = |a: u64, b: u64| a.saturating_sub(b) as f64 / secs;
        r.snapshots_per_sec = rate(s.snapshots, s0.snapshots);
        r.payload_bytes_per_sec = rate(s.bytes_received, s0.bytes_received);
        r.udp_bytes_per_sec = rate(s.udp_rx_bytes, s0.udp_rx_bytes);
        r.upstream_udp_bytes_per_sec = rate(s.udp_tx_bytes, s0.udp_tx_bytes);
    }
    r
}
