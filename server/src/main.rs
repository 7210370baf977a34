//! `tower-server`: with no arguments, a dev-mode server on 127.0.0.1:4433.

use anyhow::Context;
use clap::Parser;
use tower_agones::DrainReason;
use tower_server::Cli;
use tracing::{info, warn};
use tracing_subscriber::EnvFilter;

/// mimalloc: snapshots are built on the tick thread and freed on the network workers, a
/// cross-thread pattern where glibc's arenas cost ~11 % of the server's CPU (perf, 500
/// players).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let config = Cli::parse().load().context("configuration")?;
    floor_self_test(procgen::self_test())?;
    let mut launched = tower_server::launch(config).await?;
    let reason = tokio::select! {
        reason = drain_signal() => reason,
        reason = launched.drain_requested() => reason,
    };
    info!(?reason, "drain requested");
    let report = launched.drain(reason).await;
    info!(
        unsaved = report.unsaved,
        elapsed_ms = u64::try_from(report.elapsed.as_millis()).unwrap_or(u64::MAX),
        "drained; exiting"
    );
    Ok(())
}

/// Refuses to start when this build regenerates a golden floor with another hash: it would
/// hand out floors that no client reproduces (docs/floors.md, "Self-test at load").
fn floor_self_test(outcome: Result<(), procgen::SelfTestError>) -> anyhow::Result<()> {
    outcome.context("refusing to start")?;
    info!(platform = %procgen::Platform::current(), "floor self-test passed");
    Ok(())
}

/// What starts a drain from outside: SIGTERM (Kubernetes deleting the pod), or SIGUSR1 /
/// Ctrl-C (an operator's request).
async fn drain_signal() -> DrainReason {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            warn!("cannot listen for Ctrl-C: {e}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let on = |kind: SignalKind, name: &'static str| async move {
            match signal(kind) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(e) => {
                    warn!("cannot listen for {name}: {e}");
                    std::future::pending::<()>().await;
                }
            }
        };
        tokio::select! {
            _ = ctrl_c => DrainReason::Requested,
            _ = on(SignalKind::terminate(), "SIGTERM") => DrainReason::Terminating,
            _ = on(SignalKind::user_defined1(), "SIGUSR1") => DrainReason::Requested,
        }
    }
    #[cfg(not(unix))]
    {
        ctrl_c.await;
        DrainReason::Requested
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_floor_mismatch_refuses_to_start() {
        let mut wrong = procgen::GOLDEN_FLOORS;
        wrong[1].hash.0[5] ^= 4;
        let err = super::floor_self_test(procgen::check_floors(&wrong, procgen::floor_hash))
            .expect_err("must refuse");
        let text = format!("{err:#}");
        assert!(
            text.starts_with("refusing to start: floor self-test failed on "),
            "{text}"
        );
        assert!(text.contains(procgen::Platform::current().target), "{text}");
    }

    #[test]
    fn the_golden_floors_start() {
        super::floor_self_test(procgen::self_test()).expect("this build's floors are golden");
    }
}
