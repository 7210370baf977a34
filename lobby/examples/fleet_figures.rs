//! The Fleet figures of docs/performance.md: runs the fleet story of `tests/fleet.rs`
//! (native Nakama stack, three `tower-server` processes beside fake Agones sidecars, 40+
//! bots through the matchmaker, a drain, a crash) and prints a table.
//!
//! ```text
//! cargo build -p tower-server && cargo run -p tower-lobby --example fleet_figures [-- BOTS]
//! ```

#[path = "../tests/support/fleet.rs"]
mod fleet;

use std::time::Duration;

fn ms(d: Option<Duration>) -> String {
    d.map_or("-".into(), |d| format!("{} ms", d.as_millis()))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let bots = std::env::args()
        .nth(1)
        .and_then(|a| a.parse::<usize>().ok())
        .unwrap_or(42)
        .max(6)
        & !1;
    let f = fleet::scenario(bots).await;
    println!("| Fleet ({} servers, {} bots) | value |", f.servers, f.bots);
    println!("|---|---|");
    println!(
        "| matchmaker → first snapshot p50 / p99 | {} / {} |",
        ms(fleet::percentile(&f.first_snapshot, 50)),
        ms(fleet::percentile(&f.first_snapshot, 99))
    );
    println!(
        "| placement (least-loaded), bots per server | {:?} |",
        f.spread
    );
    println!(
        "| drain: players moved | {} of {} (0 lost) |",
        f.drained_players, f.drained_players
    );
    println!(
        "| drain: SIGTERM → process exit | {} ms |",
        f.drain_exit.as_millis()
    );
    println!(
        "| drain: SIGTERM → last player playing elsewhere | {} ms |",
        f.drain_to_last_playing.as_millis()
    );
    println!(
        "| crash: players moved / floors lost (sum, worst) | {} of {} / {}, {} |",
        f.crash_moved, f.crash_players, f.crash_floors_lost, f.crash_worst_floors_lost
    );
    println!(
        "| crash: SIGKILL → every player told (QUIC idle timeout) | {} ms |",
        f.crash_detected.as_millis()
    );
    println!(
        "| crash: SIGKILL → last player playing elsewhere | {} ms |",
        f.crash_to_last_playing.as_millis()
    );
}
