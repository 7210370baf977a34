//! tower-bots: N simulated players over real QUIC. They regenerate and prove floors,
//! wander, fight and climb; at the end one summary table is printed.
//!
//! All bots share one client pool (one tokio runtime, a few UDP sockets); their brains run
//! on the main thread at the tick rate through the public `tower_client::Client` API.
//!
//! Two ways in: dev auth against `--server` (the default), or `--nakama URL`, where each bot
//! device-authenticates with Nakama and is sent to a game server by its matchmaker.

mod brain;
mod nakama;
mod probe;
mod report;

use anyhow::{Context, Result, bail};
use brain::Brain;
use clap::Parser;
use report::BotResult;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tower_client::{
    CertFingerprint, Client, ClientConfig, ClientPool, ClientStats, Credentials, Event,
    FloorSource, MAX_INPUTS_PER_DATAGRAM, PathDelay, ServerAddress, Trust,
};

#[derive(Parser, Debug)]
#[command(
    version,
    about = "N simulated Tower players over real QUIC; prints one summary table",
    long_about = "N simulated Tower players over real QUIC; prints one summary table.\n\n\
        Dev auth (default): every bot logs in by name at --server, pinning --cert-fingerprint \
        (or --fingerprint-file, or verifying against --ca-file).\n\n\
        Nakama (--nakama URL): every bot device-authenticates with Nakama (device id from \
        --run-id and its index), joins Nakama's matchmaker over the realtime socket in groups of \
        --match-size, and connects to the game server its ticket notification names, pinning \
        the certificate fingerprint announced there. --server and the trust flags do not apply. \
        A bot left without a match (odd one out, timeout, no live game server) counts as \
        failed, in the \"matchmaking failures\" row too."
)]
struct Args {
    /// Server address (host:port). Dev auth only.
    #[arg(long, default_value = "127.0.0.1:4433")]
    server: ServerAddress,
    /// SHA-256 fingerprint (hex) of the server certificate to pin. Dev auth only.
    #[arg(long, conflicts_with_all = ["fingerprint_file", "ca_file"])]
    cert_fingerprint: Option<String>,
    /// File holding the fingerprint (as written by the server next to its certificate).
    #[arg(long, conflicts_with = "ca_file")]
    fingerprint_file: Option<PathBuf>,
    /// PEM file of CA certificates to verify the server against instead of a pin.
    #[arg(long)]
    ca_file: Option<PathBuf>,
    /// Get game servers through Nakama's matchmaker instead of dev auth: Nakama's HTTP API.
    /// The native stack's is NAKAMA_HTTPS_URL in `scripts/nakama-stack.sh env` (random port;
    /// trust its CA with SSL_CERT_FILE=NAKAMA_CA); docker compose's https://127.0.0.1:7443
    /// (its CA: docs/nakama.md, "Docker compose: running it").
    #[arg(
        long,
        value_name = "URL",
        conflicts_with_all = ["server", "cert_fingerprint", "fingerprint_file", "ca_file"],
        requires = "nakama_server_key"
    )]
    nakama: Option<String>,
    /// Nakama's server key (socket.server_key; public, it only names the game). Needed with
    /// --nakama. The native stack (scripts/nakama-stack.sh) makes a random one: SERVER_KEY in
    /// its `env` output; docker compose: TOWER_SERVER_KEY in .env.
    #[arg(
        long,
        value_name = "KEY",
        env = "TOWER_NAKAMA_SERVER_KEY",
        hide_env_values = true
    )]
    nakama_server_key: Option<String>,
    /// Run id: bot i always uses Nakama device `tower-bot-<RUN_ID>-<i as 6 digits>` and
    /// username `<NAME_PREFIX>-<RUN_ID>-<i>`, so a run id names a stable set of accounts.
    #[arg(long, default_value = "local", requires = "nakama",
          value_parser = clap::builder::NonEmptyStringValueParser::new())]
    run_id: String,
    /// Players per match in Nakama's matchmaker (its min and max count).
    #[arg(long, default_value_t = 2, requires = "nakama",
          value_parser = clap::value_parser!(u32).range(2..=64))]
    match_size: u32,
    /// How long a bot waits in Nakama's matchmaker for its ticket.
    #[arg(long, default_value_t = 30, requires = "nakama",
          value_parser = clap::value_parser!(u64).range(1..=600))]
    match_timeout: u64,
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
    /// Round trip to add to every bot's path, in ms: each bot's datagrams are held this
    /// long before they leave (loopback has no `netem`). 0: the bare loopback.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=1_000))]
    rtt_ms: u64,
    /// Jitter to add on top of `--rtt-ms`, in ms: each datagram waits up to this much more,
    /// drawn at random for each one.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=1_000))]
    jitter_ms: u64,
    /// Bot tick rate (how often brains decide; inputs go out at the server's tick rate).
    #[arg(long, default_value_t = 30)]
    brain_hz: u32,
    /// Input datagrams go out every this many ticks while a bot acts, near a fight or not
    /// (the client's `input_every_ticks`, with its calm pace off; 1 = every tick, at most the
    /// inputs one datagram carries). Default: the client's defaults (every 2 ticks near a
    /// fight, 3 when calm).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=MAX_INPUTS_PER_DATAGRAM as i64))]
    input_every_ticks: Option<u32>,
    /// Benchmarks: the game server's process id, to report its CPU time over the measured
    /// window (read from /proc/<pid>/stat, so the server must run on this machine).
    #[arg(long)]
    server_pid: Option<u32>,
    /// Benchmarks: the server's metrics address (host:port), to report tick p50/p99 over the
    /// measured window only.
    #[arg(long)]
    metrics: Option<std::net::SocketAddr>,
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
        (None, None) => bail!(
            "pass --cert-fingerprint, --fingerprint-file or --ca-file (or --nakama URL to be \
             sent to a game server by Nakama)"
        ),
    };
    Ok(Trust::Fingerprint(
        CertFingerprint::parse(&text).context("bad certificate fingerprint")?,
    ))
}

/// The swarm's runtime thread decodes and drops thousands of snapshots a second (as the
/// server, see its main.rs).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let (plan, unmatched) = plan(&args)?;
    let target = plan.len();
    let mut plan = plan.into_iter();
    let path = PathDelay {
        base: Duration::from_millis(args.rtt_ms),
        jitter: Duration::from_millis(args.jitter_ms),
    };
    let pool =
        ClientPool::with_path_delay(args.threads, path).context("starting the client runtime")?;
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
    let mut window_start: Option<Sample> = None;

    loop {
        let now = Instant::now();
        if target == 0 {
            break; // every bot failed matchmaking: nothing to play
        }
        // ramp up
        while bots.len() < target && now >= next_connect {
            let Some((i, mut cfg)) = plan.next() else {
                break;
            };
            cfg.server_name = args.server_name.clone();
            cfg.core.floors = floors.clone();
            if let Some(n) = args.input_every_ticks {
                cfg.core.input_every_ticks = n;
                cfg.core.calm = None;
            }
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
        let all_started = bots.len() == target;
        // the measurement starts once every bot got its answer (or after a bound)
        if play_until.is_none()
            && all_started
            && (bots.iter().all(|b| b.welcomed || b.failed)
                || now > ramp_start + Duration::from_secs(30))
        {
            play_until = Some(now + Duration::from_secs(args.seconds));
            window_start = Some(Sample::take(&args));
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
    let window_end = Sample::take(&args);
    let mut results: Vec<BotResult> = bots.iter().map(|b| result(b, end)).collect();
    results.extend((0..unmatched).map(|_| BotResult {
        failed: true,
        matchmaking_failed: true,
        ..Default::default()
    }));
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
    let extra = window_start
        .map(|start| window_end.rows_since(&start, window, &results))
        .unwrap_or_default();
    print!(
        "{}",
        report::table_with(&results, window, args.nakama.is_some(), &extra)
    );
    if results.iter().all(|r| !r.connected) {
        bail!("no bot connected");
    }
    Ok(())
}

/// Probes read at each end of the measured window (see `probe`).
struct Sample {
    own_cpu: Option<Duration>,
    server_cpu: Option<Duration>,
    ticks: Option<probe::TickHistogram>,
}

impl Sample {
    fn take(args: &Args) -> Sample {
        Sample {
            own_cpu: probe::cpu_time(None),
            server_cpu: args.server_pid.and_then(|p| probe::cpu_time(Some(p))),
            ticks: args.metrics.and_then(|a| match probe::scrape(a) {
                Ok(h) => Some(h),
                Err(e) => {
                    eprintln!("tower-bots: scraping {a}: {e}");
                    None
                }
            }),
        }
    }

    /// Rows for the summary table: CPU per second of window (and per connected bot), tick
    /// quantiles of the window.
    fn rows_since(
        &self,
        start: &Sample,
        window: Duration,
        results: &[BotResult],
    ) -> Vec<(String, String)> {
        let secs = window.as_secs_f64().max(1e-3);
        let players = results.iter().filter(|r| r.connected).count().max(1) as f64;
        let mut rows = Vec::new();
        let mut cpu = |name: &str, end: Option<Duration>, begin: Option<Duration>| {
            if let (Some(e), Some(b)) = (end, begin) {
                let ms = e.saturating_sub(b).as_secs_f64() * 1000.0 / secs;
                rows.push((format!("{name} CPU ms/s"), format!("{ms:.1}")));
                rows.push((
                    format!("{name} CPU ms/s per bot"),
                    format!("{:.3}", ms / players),
                ));
            }
        };
        cpu("swarm", self.own_cpu, start.own_cpu);
        cpu("server", self.server_cpu, start.server_cpu);
        if let (Some(e), Some(b)) = (&self.ticks, &start.ticks) {
            let w = e.since(b);
            let ms = |q: f64| {
                w.quantile(q)
                    .map_or("-".into(), |s| format!("{:.3}", s * 1000.0))
            };
            rows.push(("server ticks in window".into(), w.count().to_string()));
            rows.push(("server tick p50 ms".into(), ms(0.5)));
            rows.push(("server tick p99 ms".into(), ms(0.99)));
            rows.push(("server skipped ticks".into(), w.skipped.to_string()));
            rows.push(("server dropped datagrams".into(), w.dropped.to_string()));
        }
        rows
    }
}

/// The bots to start, as (index, client configuration), and how many failed matchmaking.
fn plan(args: &Args) -> Result<(Vec<(usize, ClientConfig)>, usize)> {
    let count = args.bots as usize;
    let Some(url) = &args.nakama else {
        let trust = trust(args)?;
        let dev = (0..count).map(|i| {
            let name = format!("{}{i}", args.name_prefix);
            (
                i,
                ClientConfig::new(
                    args.server.clone(),
                    trust.clone(),
                    Credentials::Dev { name },
                ),
            )
        });
        return Ok((dev.collect(), 0));
    };
    if !count.is_multiple_of(args.match_size as usize) {
        eprintln!(
            "tower-bots: {count} bots do not fill matches of {}: {} will be left unmatched",
            args.match_size,
            count % args.match_size as usize
        );
    }
    let Some(server_key) = args.nakama_server_key.clone() else {
        bail!("--nakama needs --nakama-server-key (or TOWER_NAKAMA_SERVER_KEY)");
    };
    let opts = nakama::Options {
        url: url.clone(),
        server_key,
        run_id: args.run_id.clone(),
        match_size: args.match_size,
        timeout: Duration::from_secs(args.match_timeout),
    };
    let started = Instant::now();
    let outcomes = nakama::matchmake(&opts, &args.name_prefix, count)
        .with_context(|| format!("matchmaking through {url}"))?;
    let mut plan = Vec::with_capacity(count);
    let mut unmatched = 0;
    for (i, outcome) in outcomes.into_iter().enumerate() {
        match outcome {
            Ok(cfg) => plan.push((i, cfg)),
            Err(e) => {
                unmatched += 1;
                eprintln!("tower-bots: bot {i}: matchmaking failed (Nakama at {url}): {e}");
            }
        }
    }
    eprintln!(
        "tower-bots: nakama matched {} of {count} bots in {:.1} s",
        plan.len(),
        started.elapsed().as_secs_f64()
    );
    Ok((plan, unmatched))
}

fn step_bot(b: &mut Bot, now: Instant, look: bool) {
    while let Some(ev) = b.client.poll_event() {
        match ev {
            Event::Welcome { entity_id, .. } => {
                b.welcomed = true;
                b.own_id = Some(entity_id);
            }
            Event::FloorAdmitted { floor, .. } => b.highest_floor = b.highest_floor.max(floor),
            Event::Error { code, message } => {
                tracing::warn!(code = code.as_str_name(), "server error: {message}")
            }
            Event::Disconnected { reason, message } => {
                b.failed = true;
                b.disconnect_reason = Some(format!("{reason:?}: {message}"));
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
        r.udp_packets_per_sec = rate(s.udp_rx_datagrams, s0.udp_rx_datagrams);
        r.upstream_udp_packets_per_sec = rate(s.udp_tx_datagrams, s0.udp_tx_datagrams);
        // A packet may carry several datagrams: the difference is a floor, not a count.
        r.bare_packets_per_sec =
            (r.udp_packets_per_sec - rate(s.datagram_frames_rx, s0.datagram_frames_rx)).max(0.0);
        r.upstream_bare_packets_per_sec = (r.upstream_udp_packets_per_sec
            - rate(s.datagram_frames_tx, s0.datagram_frames_tx))
        .max(0.0);
        r.probes_per_sec = rate(s.pings_rx, s0.pings_rx);
        // the server's default tick rate, which the bench runs at
        r.calm_share =
            rate(s.calm_ticks, s0.calm_ticks) / f64::from(tower_movement::DEFAULT_TICK_HZ);
    }
    r
}
