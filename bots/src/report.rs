//! The summary table: per-bot rates reduced to median and p99.

use std::fmt::Write as _;
use std::time::Duration;

/// What one bot measured over the measurement window.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BotResult {
    pub connected: bool,
    pub failed: bool,
    /// Nakama mode: no game server was assigned (counted in `failed` too).
    pub matchmaking_failed: bool,
    pub floors_verified: u64,
    pub hash_mismatches: u64,
    pub snapshots_per_sec: f64,
    /// Application payload bytes received per second (datagrams + control stream).
    pub payload_bytes_per_sec: f64,
    /// UDP bytes received per second (quinn's ConnectionStats).
    pub udp_bytes_per_sec: f64,
    pub upstream_udp_bytes_per_sec: f64,
    /// UDP datagrams (QUIC packets) received and sent per second.
    pub udp_packets_per_sec: f64,
    pub upstream_udp_packets_per_sec: f64,
    /// Packets per second with no DATAGRAM frame in them (ACKs, probes, stream data),
    /// received and sent, and the server's loss probes (PING frames) among them.
    pub bare_packets_per_sec: f64,
    pub upstream_bare_packets_per_sec: f64,
    pub probes_per_sec: f64,
    pub rtt: Option<Duration>,
    /// Share of the ticks sent at the calm pace, no fight near (`CalmPolicy`), 0..=1.
    pub calm_share: f64,
    pub corrections: u64,
    pub snapshot_errors: u64,
    pub highest_floor: u32,
}

/// Nearest-rank percentile (`p` in 0..=100) of unsorted values; `None` if empty.
pub fn percentile(values: &[f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    Some(v[rank.clamp(1, v.len()) - 1])
}

fn med_p99(values: &[f64], decimals: usize) -> String {
    match (percentile(values, 50.0), percentile(values, 99.0)) {
        (Some(m), Some(p)) => format!("{m:.decimals$} (p99 {p:.decimals$})"),
        _ => "-".to_string(),
    }
}

/// The one summary table; `matchmaking` adds the Nakama mode's row.
#[cfg(test)]
pub fn table(results: &[BotResult], window: Duration, matchmaking: bool) -> String {
    table_with(results, window, matchmaking, &[])
}

/// The summary table with `extra` rows (the benchmark probes) at the end.
pub fn table_with(
    results: &[BotResult],
    window: Duration,
    matchmaking: bool,
    extra: &[(String, String)],
) -> String {
    let live: Vec<&BotResult> = results.iter().filter(|r| r.connected).collect();
    let col = |f: fn(&BotResult) -> f64| -> Vec<f64> { live.iter().map(|r| f(r)).collect() };
    let rtts: Vec<f64> = live
        .iter()
        .filter_map(|r| r.rtt)
        .map(|d| d.as_secs_f64() * 1000.0)
        .collect();
    let mut rows: Vec<(&str, String)> = vec![
        ("bots", results.len().to_string()),
        ("connected", live.len().to_string()),
        (
            "failed",
            results.iter().filter(|r| r.failed).count().to_string(),
        ),
        ("measured window", format!("{:.1} s", window.as_secs_f64())),
        (
            "floors verified",
            results
                .iter()
                .map(|r| r.floors_verified)
                .sum::<u64>()
                .to_string(),
        ),
        (
            "highest floor",
            results
                .iter()
                .map(|r| r.highest_floor)
                .max()
                .unwrap_or(0)
                .to_string(),
        ),
        (
            "hash mismatches",
            results
                .iter()
                .map(|r| r.hash_mismatches)
                .sum::<u64>()
                .to_string(),
        ),
        (
            "snapshots/s per bot",
            med_p99(&col(|r| r.snapshots_per_sec), 1),
        ),
        (
            "down payload B/s per bot",
            med_p99(&col(|r| r.payload_bytes_per_sec), 0),
        ),
        (
            "down UDP B/s per bot",
            med_p99(&col(|r| r.udp_bytes_per_sec), 0),
        ),
        (
            "up UDP B/s per bot",
            med_p99(&col(|r| r.upstream_udp_bytes_per_sec), 0),
        ),
        (
            "down / up packets/s per bot",
            format!(
                "{} / {}",
                med_p99(&col(|r| r.udp_packets_per_sec), 1),
                med_p99(&col(|r| r.upstream_udp_packets_per_sec), 1)
            ),
        ),
        (
            "  of which no datagram, down / up",
            format!(
                "{} / {}",
                med_p99(&col(|r| r.bare_packets_per_sec), 1),
                med_p99(&col(|r| r.upstream_bare_packets_per_sec), 1)
            ),
        ),
        (
            "server PINGs/s per bot",
            med_p99(&col(|r| r.probes_per_sec), 1),
        ),
        ("RTT ms", med_p99(&rtts, 2)),
        (
            "calm share of ticks %",
            med_p99(&col(|r| 100.0 * r.calm_share), 0),
        ),
        (
            "prediction corrections",
            results
                .iter()
                .map(|r| r.corrections)
                .sum::<u64>()
                .to_string(),
        ),
        (
            "snapshot decode errors",
            results
                .iter()
                .map(|r| r.snapshot_errors)
                .sum::<u64>()
                .to_string(),
        ),
    ];
    if matchmaking {
        let failures = results.iter().filter(|r| r.matchmaking_failed).count();
        rows.insert(3, ("matchmaking failures", failures.to_string()));
    }
    rows.extend(extra.iter().map(|(k, v)| (k.as_str(), v.clone())));
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (k, v) in rows {
        let _ = writeln!(out, "{k:<width$}  {v}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), Some(50.0));
        assert_eq!(percentile(&v, 99.0), Some(99.0));
        assert_eq!(percentile(&[3.0], 99.0), Some(3.0));
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn table_lists_every_row() {
        let r = BotResult {
            connected: true,
            floors_verified: 2,
            snapshots_per_sec: 30.0,
            payload_bytes_per_sec: 900.0,
            ..Default::default()
        };
        let t = table(
            &[
                r.clone(),
                BotResult {
                    failed: true,
                    ..Default::default()
                },
            ],
            Duration::from_secs(10),
            false,
        );
        assert!(t.contains("connected") && t.contains("failed"));
        assert!(
            t.lines()
                .any(|l| l.starts_with("down payload B/s per bot") && l.contains("900 (p99 900)"))
        );
        assert!(
            t.lines()
                .any(|l| l.starts_with("floors verified") && l.ends_with(" 2"))
        );
    }

    #[test]
    fn matchmaking_failures_are_failures_and_have_their_row() {
        let results = [
            BotResult {
                connected: true,
                ..Default::default()
            },
            BotResult {
                failed: true,
                matchmaking_failed: true,
                ..Default::default()
            },
        ];
        let dev = table(&results, Duration::from_secs(1), false);
        assert!(!dev.contains("matchmaking"));
        let t = table(&results, Duration::from_secs(1), true);
        let row = |name: &str| t.lines().find(|l| l.starts_with(name)).map(str::to_owned);
        assert!(row("failed").is_some_and(|l| l.ends_with(" 1")), "{t}");
        assert!(
            row("matchmaking failures").is_some_and(|l| l.ends_with(" 1")),
            "{t}"
        );
    }
}
