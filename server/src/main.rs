//! `tower-server`: with no arguments, a dev-mode server on 127.0.0.1:4433.

use anyhow::Context;
use clap::Parser;
use std::sync::Arc;
use std::sync::atomic::AtomicU32;
use tower_meta::Backends;
use tower_server::Cli;
use tracing::{info, warn};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let config = Cli::parse().load().context("configuration")?;
    let players = Arc::new(AtomicU32::new(0));
    let (backends, dev_auth, heartbeat) = match &config.nakama {
        Some(nakama) => {
            let (backends, heartbeat) = tower_meta::nakama_backends(nakama, Arc::clone(&players))
                .await
                .context("connecting to Nakama")?;
            info!(grpc = %nakama.grpc_url, server_id = %nakama.server_id, "Nakama backends: ticket auth, Nakama storage and leaderboard");
            (backends, false, Some(heartbeat))
        }
        None => (Backends::dev(), true, None),
    };
    let server = tower_server::start(config, backends, dev_auth, players)
        .await
        .context("starting the server")?;
    shutdown_signal().await;
    info!("shutdown requested");
    server.shutdown().await;
    if let Some(h) = heartbeat {
        h.abort();
    }
    Ok(())
}

/// SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            warn!("cannot listen for Ctrl-C: {e}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                warn!("cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
