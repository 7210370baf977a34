//! The netcode figures of docs/performance-netcode.md: two players walking on one floor
//! for a simulated minute per seed, and one resume after a dropped connection per seed, at
//! several link profiles, on the pair harness (virtual time, so the figures do not depend
//! on the machine; only the simulated-seconds-per-wall-second column does).
//!
//! `cargo bench -p tower-server --bench netsim` (add `-- --seeds N` for more seeds).

#[path = "../tests/pair/mod.rs"]
mod pair;

use pair::{Figures, LinkProfile, Schedule, resume_after_drop, walking_session_with};
use std::time::Instant;

fn main() {
    let seeds: u64 = std::env::args()
        .skip_while(|a| a != "--seeds")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(6);
    // before issue 13's batching (every tick; lost inputs never guessed, queued ones
    // applied as the credit allows), each change alone, and the defaults (every 2 ticks
    // near a fight, 3 when calm)
    let schedules = [
        (
            "1, old rules",
            Schedule {
                every_ticks: 1,
                batch_rules: false,
                calm: false,
            },
        ),
        (
            "1",
            Schedule {
                every_ticks: 1,
                batch_rules: true,
                calm: false,
            },
        ),
        (
            "2, old rules",
            Schedule {
                every_ticks: 2,
                batch_rules: false,
                calm: false,
            },
        ),
        (
            "2",
            Schedule {
                every_ticks: 2,
                batch_rules: true,
                calm: false,
            },
        ),
        ("2, 3 when calm", Schedule::default_for_test()),
    ];
    println!(
        "| link (RTT / jitter / loss) | inputs + snapshots every N ticks | corrections per minute | largest correction (units) \
         | snapping frames per minute | down B/s (max) | up B/s (max) | simulated s per wall s \
         | resumes after a drop |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for (name, profile) in [
        ("loopback", LinkProfile::CLEAN),
        ("80 ms / 10 ms / 1 %", LinkProfile::rtt(80, 10, 0.01)),
        ("150 ms / 30 ms / 5 %", LinkProfile::rtt(150, 30, 0.05)),
        ("300 ms / 60 ms / 10 %", LinkProfile::rtt(300, 60, 0.10)),
    ] {
        for (every, schedule) in schedules {
            let started = Instant::now();
            let runs: Vec<Figures> = (0..seeds)
                .map(|s| walking_session_with(s, profile, 60, schedule))
                .collect();
            let wall = started.elapsed().as_secs_f64();
            let minutes: f64 = runs.iter().map(|f| f.minutes).sum();
            let corrections: u64 = runs.iter().map(|f| f.corrections).sum();
            let largest = runs.iter().map(|f| f.largest_correction).max().unwrap_or(0);
            let snaps: u32 = runs.iter().map(|f| f.snaps).sum();
            let down = runs
                .iter()
                .map(|f| f.down_bytes_per_sec)
                .fold(0.0, f64::max);
            let up = runs.iter().map(|f| f.up_bytes_per_sec).fold(0.0, f64::max);
            let resumed = (0..seeds)
                .filter(|&s| resume_after_drop(s, profile))
                .count();
            println!(
                "| {name} | {every} | {:.2} | {largest} | {:.1} | {down:.0} | {up:.0} | {:.0} | {resumed}/{seeds} |",
                corrections as f64 / minutes,
                f64::from(snaps) / minutes,
                minutes * 60.0 / wall
            );
        }
    }
}
