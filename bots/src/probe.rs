//! Benchmark probes read at the start and the end of the measured window: CPU time of a
//! process from `/proc/<pid>/stat` (the swarm's own, and optionally the server's), and the
//! server's tick histogram from its Prometheus endpoint. Parsing is pure; reading is a thin
//! shell around it.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// Clock ticks per second of `utime`/`stime` in `/proc/<pid>/stat` (`USER_HZ`, fixed at 100
/// in the kernel's user-space ABI on every architecture we build for).
const USER_HZ: u64 = 100;

/// CPU time (user + system) from the text of a `/proc/<pid>/stat` file.
pub fn parse_stat_cpu(stat: &str) -> Option<Duration> {
    // The command name is in parentheses and may hold spaces: fields count from after it.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After ")": state is field 3 of the file, utime 14 and stime 15 → indexes 11 and 12.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 1000 / USER_HZ))
}

/// CPU time used so far by `pid` (this process when `None`); `None` if unreadable.
pub fn cpu_time(pid: Option<u32>) -> Option<Duration> {
    let path = match pid {
        Some(p) => format!("/proc/{p}/stat"),
        None => "/proc/self/stat".to_string(),
    };
    parse_stat_cpu(&std::fs::read_to_string(path).ok()?)
}

/// Cumulative counts of the tick-duration histogram, as scraped: `(upper bound in seconds,
/// count)` in bucket order (`+Inf` as `f64::INFINITY`), plus skipped ticks.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TickHistogram {
    pub buckets: Vec<(f64, u64)>,
    pub skipped: u64,
    /// Datagrams the server dropped (every reason).
    pub dropped: u64,
}

/// The tick histogram out of a Prometheus text exposition.
pub fn parse_metrics(text: &str) -> TickHistogram {
    let mut h = TickHistogram::default();
    for line in text.lines() {
        let value = || line.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok());
        if let Some(rest) = line.strip_prefix("tower_tick_duration_seconds_bucket{le=\"") {
            let Some((le, _)) = rest.split_once('"') else {
                continue;
            };
            let bound = if le == "+Inf" {
                f64::INFINITY
            } else {
                match le.parse() {
                    Ok(b) => b,
                    Err(_) => continue,
                }
            };
            if let Some(v) = value() {
                h.buckets.push((bound, v as u64));
            }
        } else if line.starts_with("tower_ticks_skipped_total ")
            && let Some(v) = value()
        {
            h.skipped = v as u64;
        } else if line.starts_with("tower_datagrams_dropped_total")
            && let Some(v) = value()
        {
            h.dropped += v as u64;
        }
    }
    h
}

impl TickHistogram {
    /// The ticks recorded between `earlier` and `self` (same buckets).
    pub fn since(&self, earlier: &TickHistogram) -> TickHistogram {
        let buckets = self
            .buckets
            .iter()
            .map(|&(b, c)| {
                let before = earlier
                    .buckets
                    .iter()
                    .find(|(eb, _)| *eb == b)
                    .map_or(0, |(_, c)| *c);
                (b, c.saturating_sub(before))
            })
            .collect();
        TickHistogram {
            buckets,
            skipped: self.skipped.saturating_sub(earlier.skipped),
            dropped: self.dropped.saturating_sub(earlier.dropped),
        }
    }

    pub fn count(&self) -> u64 {
        self.buckets.last().map_or(0, |(_, c)| *c)
    }

    /// Quantile `q` (0..=1) in seconds, linear within the bucket; a quantile in the `+Inf`
    /// bucket is reported as the top finite bound ("at least").
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let total = self.count();
        if total == 0 {
            return None;
        }
        let target = q * total as f64;
        let (mut lo, mut prev) = (0.0, 0u64);
        for &(bound, cum) in &self.buckets {
            if cum as f64 >= target {
                if bound.is_infinite() {
                    return Some(lo);
                }
                if cum == prev {
                    return Some(bound);
                }
                return Some(lo + (bound - lo) * (target - prev as f64) / (cum - prev) as f64);
            }
            lo = bound;
            prev = cum;
        }
        Some(lo)
    }
}

/// GET /metrics from `addr` (loopback in every bench), bounded by a timeout.
pub fn scrape(addr: SocketAddr) -> std::io::Result<TickHistogram> {
    let timeout = Duration::from_secs(2);
    let mut s = TcpStream::connect_timeout(&addr, timeout)?;
    s.set_read_timeout(Some(timeout))?;
    s.set_write_timeout(Some(timeout))?;
    write!(
        s,
        "GET /metrics HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n"
    )?;
    let mut body = String::new();
    s.take(4 << 20).read_to_string(&mut body)?;
    Ok(parse_metrics(&body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_from_a_stat_line_with_spaces_in_the_name() {
        let stat = "4242 (tower bots) S 1 4242 4242 0 -1 4194304 900 0 0 0 250 37 0 0 20 0 \
                    3 0 123 456 789";
        assert_eq!(parse_stat_cpu(stat), Some(Duration::from_millis(2870)));
        assert_eq!(parse_stat_cpu("garbage"), None);
        assert!(
            cpu_time(None).is_some(),
            "this process's own stat is readable"
        );
    }

    #[test]
    fn tick_quantiles_over_a_window() {
        let at = |c: [u64; 4]| TickHistogram {
            buckets: vec![
                (0.001, c[0]),
                (0.002, c[1]),
                (0.010, c[2]),
                (f64::INFINITY, c[3]),
            ],
            skipped: 0,
            dropped: 0,
        };
        let text = "# HELP x\ntower_tick_duration_seconds_bucket{le=\"0.001\"} 10\n\
                    tower_tick_duration_seconds_bucket{le=\"0.002\"} 20\n\
                    tower_tick_duration_seconds_bucket{le=\"0.01\"} 20\n\
                    tower_tick_duration_seconds_bucket{le=\"+Inf\"} 20\n\
                    tower_ticks_skipped_total 3\n\
                    tower_datagrams_dropped_total{reason=\"backlog\"} 4\n\
                    tower_datagrams_dropped_total{reason=\"rate_limited\"} 1\n";
        let start = parse_metrics(text);
        assert_eq!(start.buckets.len(), 4);
        assert_eq!(start.skipped, 3);
        assert_eq!(start.dropped, 5);
        let end = at([10, 20, 118, 120]);
        let window = end.since(&start);
        assert_eq!(window.count(), 100);
        assert_eq!(window.skipped, 0);
        // 98 of the 100 window ticks took 2–10 ms; 2 took longer than 10 ms.
        let p50 = window.quantile(0.5).unwrap_or(0.0);
        assert!((p50 - (0.002 + 0.008 * 50.0 / 98.0)).abs() < 1e-9, "{p50}");
        assert_eq!(window.quantile(0.99), Some(0.010));
        assert_eq!(TickHistogram::default().quantile(0.5), None);
    }
}
