//! Prometheus metrics of one server instance (its own registry, so several servers can run
//! in one process, as the end-to-end tests do) and the tiny `/metrics` HTTP endpoint.

use crate::core::CoreStats;
use crate::shell::admission::RefuseReason;
use prometheus::{
    Encoder, Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tower_meta::SaveStats;

/// Why a datagram was dropped (the `reason` label of `tower_datagrams_dropped_total`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropReason {
    BeforeHandshake,
    RateLimited,
    Malformed,
    /// A snapshot the transport could not keep up with (it was seconds behind the tick).
    Backlog,
    SendFailed,
}

impl DropReason {
    fn label(self) -> &'static str {
        match self {
            DropReason::BeforeHandshake => "before_handshake",
            DropReason::RateLimited => "rate_limited",
            DropReason::Malformed => "malformed",
            DropReason::Backlog => "backlog",
            DropReason::SendFailed => "send_failed",
        }
    }
}

pub struct Metrics {
    pub registry: Registry,
    pub tick_duration: Histogram,
    pub ticks: IntCounter,
    pub ticks_skipped: IntCounter,
    pub players: IntGauge,
    pub player_slots: IntGauge,
    pub connections: IntGauge,
    pub floors_live: IntGauge,
    pub floors_generated: IntGauge,
    pub bytes_in: IntCounter,
    pub bytes_out: IntCounter,
    pub datagrams_in: IntCounter,
    pub datagrams_out: IntCounter,
    dropped: IntCounterVec,
    pub hash_mismatches: IntCounter,
    corrections: IntCounterVec,
    pub inputs_dropped: IntCounter,
    pub deaths: IntCounter,
    pub kills: IntCounter,
    pub resumes: IntCounter,
    pub sessions_expired: IntCounter,
    /// Connections closed for a protocol error, by ErrorCode name.
    pub protocol_errors: IntCounterVec,
    pub handshake_timeouts: IntCounter,
    /// Connections closed because a control-stream write found no flow-control credit in time.
    pub control_write_timeouts: IntCounter,
    /// Connections accepted but not logged in yet.
    pub prelogin_connections: IntGauge,
    prelogin_refused: IntCounterVec,
    /// Connection attempts asked to validate their address with a QUIC Retry.
    pub quic_retries: IntCounter,
    /// Player-state saves, by outcome (the save queue's own counters, mirrored).
    saves: IntCounterVec,
}

fn reg<T: prometheus::core::Collector + Clone + 'static>(r: &Registry, c: T) -> T {
    // Names are static and unique, so registration cannot fail.
    let _ = r.register(Box::new(c.clone()));
    c
}

impl Metrics {
    pub fn new() -> Result<Arc<Metrics>, prometheus::Error> {
        let r = Registry::new_custom(Some("tower".into()), None)?;
        let counter = |name: &str, help: &str| IntCounter::new(name, help).map(|c| reg(&r, c));
        let gauge = |name: &str, help: &str| IntGauge::new(name, help).map(|c| reg(&r, c));
        let buckets = vec![
            0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.000_75, 0.001, 0.001_5, 0.002, 0.003, 0.004,
            0.005, 0.006, 0.008, 0.010, 0.012, 0.015, 0.020, 0.033, 0.050, 0.100,
        ];
        let tick_duration = reg(
            &r,
            Histogram::with_opts(
                HistogramOpts::new("tick_duration_seconds", "Wall time of one simulation tick")
                    .buckets(buckets),
            )?,
        );
        Ok(Arc::new(Metrics {
            tick_duration,
            ticks: counter("ticks_total", "Simulation ticks run")?,
            ticks_skipped: counter(
                "ticks_skipped_total",
                "Ticks dropped because the loop fell too far behind",
            )?,
            players: gauge("players", "Players connected and on a floor")?,
            player_slots: gauge(
                "player_slots",
                "Player slots, including those waiting for a proof or a resume",
            )?,
            connections: gauge("connections", "Open QUIC connections")?,
            floors_live: gauge("floors_live", "Floors with players on them")?,
            floors_generated: gauge(
                "floors_generated",
                "Floors generated on the tick since start (a floor not prepared in time)",
            )?,
            bytes_in: counter(
                "bytes_in_total",
                "Payload bytes received (datagrams and control frames)",
            )?,
            bytes_out: counter(
                "bytes_out_total",
                "Payload bytes sent (datagrams and control frames)",
            )?,
            datagrams_in: counter("datagrams_in_total", "Datagrams received")?,
            datagrams_out: counter("datagrams_out_total", "Datagrams sent")?,
            dropped: reg(
                &r,
                IntCounterVec::new(
                    Opts::new("datagrams_dropped_total", "Datagrams dropped, by reason"),
                    &["reason"],
                )?,
            ),
            hash_mismatches: counter(
                "hash_mismatches_total",
                "Floor proofs whose hash did not match",
            )?,
            corrections: reg(
                &r,
                IntCounterVec::new(
                    Opts::new(
                        "corrections_total",
                        "Client position claims the server corrected, by kind",
                    ),
                    &["kind"],
                )?,
            ),
            inputs_dropped: counter(
                "inputs_dropped_total",
                "Inputs beyond the per-player budget",
            )?,
            deaths: counter("deaths_total", "Player deaths")?,
            kills: counter("kills_total", "Monsters killed")?,
            resumes: counter("resumes_total", "Sessions resumed with a token")?,
            sessions_expired: counter(
                "sessions_expired_total",
                "Held sessions released after the resume window",
            )?,
            protocol_errors: reg(
                &r,
                IntCounterVec::new(
                    Opts::new("protocol_errors_total", "Errors sent to clients, by code"),
                    &["code"],
                )?,
            ),
            handshake_timeouts: counter(
                "handshake_timeouts_total",
                "Connections that sent no Hello in time",
            )?,
            control_write_timeouts: counter(
                "control_write_timeouts_total",
                "Connections closed because a control-stream write got no flow-control credit in time",
            )?,
            prelogin_connections: gauge(
                "prelogin_connections",
                "Connections accepted and not logged in yet",
            )?,
            prelogin_refused: reg(
                &r,
                IntCounterVec::new(
                    Opts::new(
                        "prelogin_refused_total",
                        "Connection attempts refused by the pre-login bounds, by reason",
                    ),
                    &["reason"],
                )?,
            ),
            quic_retries: counter(
                "quic_retries_total",
                "Connection attempts sent a QUIC Retry to validate their address",
            )?,
            saves: reg(
                &r,
                IntCounterVec::new(
                    Opts::new(
                        "saves_total",
                        "Player-state saves by outcome: written, retried (store unavailable), \
                         conflict and failed (permanent), dead_lettered (kept on disk for replay)",
                    ),
                    &["outcome"],
                )?,
            ),
            registry: r,
        }))
    }

    pub fn dropped(&self, reason: DropReason) {
        self.dropped.with_label_values(&[reason.label()]).inc();
    }

    pub fn prelogin_refused(&self, reason: RefuseReason) {
        self.prelogin_refused
            .with_label_values(&[reason.label()])
            .inc();
    }

    pub fn prelogin_refused_count(&self, reason: RefuseReason) -> u64 {
        self.prelogin_refused
            .with_label_values(&[reason.label()])
            .get()
    }

    pub fn dropped_count(&self, reason: DropReason) -> u64 {
        self.dropped.with_label_values(&[reason.label()]).get()
    }

    /// Moves the core's counters forward by what changed since `before`.
    pub fn record_core(&self, before: &CoreStats, now: &CoreStats) {
        let d = |a: u64, b: u64| b.saturating_sub(a);
        self.players
            .set(i64::try_from(now.players_playing).unwrap_or(i64::MAX));
        self.player_slots
            .set(i64::try_from(now.players_total).unwrap_or(i64::MAX));
        self.floors_live
            .set(i64::try_from(now.floors_live).unwrap_or(i64::MAX));
        self.floors_generated
            .set(i64::try_from(now.floors_generated).unwrap_or(i64::MAX));
        self.hash_mismatches
            .inc_by(d(before.hash_mismatches, now.hash_mismatches));
        for (kind, a, b) in [
            ("speed", before.corrections_speed, now.corrections_speed),
            ("wall", before.corrections_wall, now.corrections_wall),
            ("drift", before.corrections_drift, now.corrections_drift),
        ] {
            self.corrections.with_label_values(&[kind]).inc_by(d(a, b));
        }
        self.inputs_dropped
            .inc_by(d(before.inputs_dropped, now.inputs_dropped));
        self.deaths.inc_by(d(before.deaths, now.deaths));
        self.kills.inc_by(d(before.kills, now.kills));
        self.resumes.inc_by(d(before.resumes, now.resumes));
        self.sessions_expired
            .inc_by(d(before.sessions_expired, now.sessions_expired));
    }

    /// Moves the save counters forward by what changed since `before`.
    pub fn record_saves(&self, before: &SaveStats, now: &SaveStats) {
        for (outcome, a, b) in [
            ("written", before.written, now.written),
            ("retried", before.retried, now.retried),
            ("conflict", before.conflicts, now.conflicts),
            ("failed", before.failed, now.failed),
            ("dead_lettered", before.dead_lettered, now.dead_lettered),
        ] {
            self.saves
                .with_label_values(&[outcome])
                .inc_by(b.saturating_sub(a));
        }
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        // Encoding into a Vec cannot fail for well-formed metric families.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    }
}

/// How long to wait after a failed `accept` before the next one. Failures such as running
/// out of file descriptors (EMFILE) repeat at once until something is closed, so retrying
/// immediately spins a core; the wait doubles from [`AcceptBackoff::FIRST`] up to
/// [`AcceptBackoff::MAX`] while failures continue and starts over after a success.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AcceptBackoff {
    failures: u32,
}

impl AcceptBackoff {
    pub const FIRST: Duration = Duration::from_millis(5);
    pub const MAX: Duration = Duration::from_secs(1);

    /// One more failure in a row: the wait before the next try.
    pub fn failed(&mut self) -> Duration {
        let doublings = self.failures.min(20);
        self.failures = self.failures.saturating_add(1);
        Self::FIRST.saturating_mul(1 << doublings).min(Self::MAX)
    }

    pub fn succeeded(&mut self) {
        self.failures = 0;
    }

    /// Failures in a row so far.
    pub fn failures(&self) -> u32 {
        self.failures
    }
}

/// Accepts with `accept` and hands each connection to `handle`, backing off while `accept`
/// fails ([`AcceptBackoff`]); the first failure of a streak is logged.
async fn accept_loop<S, A, F>(mut accept: A, mut handle: impl FnMut(S))
where
    A: FnMut() -> F,
    F: std::future::Future<Output = std::io::Result<S>>,
{
    let mut backoff = AcceptBackoff::default();
    loop {
        match accept().await {
            Ok(stream) => {
                backoff.succeeded();
                handle(stream);
            }
            Err(e) => {
                if backoff.failures() == 0 {
                    tracing::warn!("metrics listener cannot accept: {e}; backing off");
                }
                tokio::time::sleep(backoff.failed()).await;
            }
        }
    }
}

/// What a request asks the metrics endpoint for.
#[derive(Debug, PartialEq, Eq)]
enum Route {
    /// `GET /metrics`: the Prometheus text.
    Metrics,
    /// `GET /`: a line saying where the metrics are (someone opened the port in a browser).
    Index,
    NotFound,
}

const INDEX: &str = "tower-server: Prometheus metrics at /metrics\n";
const NOT_FOUND: &str = "only GET /metrics (and GET /) are served here\n";

fn route(head: &[u8]) -> Route {
    if head.starts_with(b"GET /metrics ") || head.starts_with(b"GET /metrics?") {
        Route::Metrics
    } else if head.starts_with(b"GET / ") {
        Route::Index
    } else {
        Route::NotFound
    }
}

/// Serves `GET /metrics` (and a one-line index at `GET /`) on `listener` until the task is
/// dropped. Anything else gets 404.
/// One request per connection, 8 KiB of request head at most.
pub async fn serve(listener: TcpListener, metrics: Arc<Metrics>) {
    let accept = || async { listener.accept().await.map(|(stream, _)| stream) };
    accept_loop(accept, |stream| respond(stream, Arc::clone(&metrics))).await;
}

/// Answers one request on `stream` (its own task).
fn respond(mut stream: tokio::net::TcpStream, metrics: Arc<Metrics>) {
    tokio::spawn(async move {
        let mut head = Vec::with_capacity(512);
        let mut buf = [0u8; 1024];
        let read = async {
            while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 8192 {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
        };
        if tokio::time::timeout(std::time::Duration::from_secs(5), read)
            .await
            .is_err()
        {
            return;
        }
        let (status, body) = match route(&head) {
            Route::Metrics => ("200 OK", metrics.render()),
            Route::Index => ("200 OK", INDEX.to_owned()),
            Route::NotFound => ("404 Not Found", NOT_FOUND.to_owned()),
        };
        let response = format!(
            "HTTP/1.1 {status}\r\ncontent-type: text/plain; version=0.0.4\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = stream.write_all(response.as_bytes()).await;
        let _ = stream.shutdown().await;
    });
}

/// Binds the metrics endpoint; returns its address and the serving task.
pub async fn start(
    addr: SocketAddr,
    metrics: Arc<Metrics>,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    Ok((local, tokio::spawn(serve(listener, metrics))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_backoff_doubles_to_a_second_and_starts_over_after_a_success() {
        let mut b = AcceptBackoff::default();
        let waits: Vec<u128> = (0..10).map(|_| b.failed().as_millis()).collect();
        assert_eq!(waits, [5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
        for _ in 0..100 {
            assert_eq!(b.failed(), AcceptBackoff::MAX);
        }
        b.succeeded();
        assert_eq!(b.failed(), AcceptBackoff::FIRST);
    }

    /// A listener out of file descriptors fails every `accept` at once: the loop must wait
    /// between tries instead of spinning (without the backoff: ~96,000 calls in 300 ms).
    #[tokio::test]
    async fn a_failing_accept_is_retried_with_backoff_not_in_a_spin() {
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let accept = || {
            calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            async {
                tokio::task::yield_now().await;
                Err::<(), _>(std::io::Error::from_raw_os_error(24)) // EMFILE
            }
        };
        let run = accept_loop(accept, |()| {});
        let _ = tokio::time::timeout(Duration::from_millis(300), run).await;
        let n = calls.load(std::sync::atomic::Ordering::Relaxed);
        // 5 + 10 + 20 + 40 + 80 + 160 ms: 6 or 7 tries fit in 300 ms.
        assert!((2..=8).contains(&n), "{n} accept calls in 300 ms");
    }

    #[test]
    fn metrics_and_an_index_are_served_and_nothing_else() {
        assert_eq!(route(b"GET /metrics HTTP/1.1\r\n\r\n"), Route::Metrics);
        assert_eq!(route(b"GET /metrics?x=1 HTTP/1.1\r\n\r\n"), Route::Metrics);
        assert_eq!(route(b"GET / HTTP/1.1\r\n\r\n"), Route::Index);
        assert!(INDEX.contains("/metrics"));
        for other in [
            &b"GET /metricsx HTTP/1.1\r\n\r\n"[..],
            b"GET /favicon.ico HTTP/1.1\r\n\r\n",
            b"POST /metrics HTTP/1.1\r\n\r\n",
            b"",
        ] {
            assert_eq!(route(other), Route::NotFound);
        }
    }

    #[test]
    fn save_outcomes_are_exported_as_counters() -> Result<(), prometheus::Error> {
        let m = Metrics::new()?;
        let before = SaveStats::default();
        let now = SaveStats {
            written: 3,
            failed: 1,
            dead_lettered: 1,
            ..SaveStats::default()
        };
        m.record_saves(&before, &now);
        m.record_saves(&now, &now);
        let text = m.render();
        assert!(
            text.contains("tower_saves_total{outcome=\"written\"} 3"),
            "{text}"
        );
        assert!(
            text.contains("tower_saves_total{outcome=\"dead_lettered\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("tower_saves_total{outcome=\"retried\"} 0"),
            "{text}"
        );
        Ok(())
    }
}
