//! Server configuration: built-in defaults, then an optional TOML file, then `TOWER_*`
//! environment variables and command-line flags (clap reads both; flags win).

use clap::Parser;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use thiserror::Error;

/// The settings the server runs with.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// QUIC (UDP) address to listen on.
    pub listen: SocketAddr,
    /// HTTP address of the Prometheus `/metrics` endpoint (keep it on loopback).
    pub metrics_listen: SocketAddr,
    pub tick_rate_hz: u32,
    /// Ticks run back to back at most this many when the loop fell behind; the rest of the
    /// backlog is dropped (and counted) instead of spiralling.
    pub max_catchup_ticks: u32,
    /// Seed of the whole tower; floor `n` uses `derive_floor_seed(world_seed, n)`.
    pub world_seed: u64,
    /// Generated floors kept in memory (LRU).
    pub floor_cache: usize,
    /// PEM certificate chain and private key. Both unset: a self-signed certificate is
    /// created in `cert_dir` (reused on the next start).
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    pub cert_dir: PathBuf,
    pub max_players: usize,
    /// Seconds a dropped player is held for a resume.
    pub resume_window_secs: u32,
    pub autosave_secs: u32,
    /// Input datagrams per second one connection may send (token bucket; burst = 1 s).
    pub input_rate_limit: u32,
    /// Seconds a new connection has to send its Hello.
    pub handshake_timeout_secs: u64,
    /// Meta-service; absent = dev mode (any name accepted, in-memory state).
    pub nakama: Option<tower_meta::NakamaConfig>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 4433)),
            metrics_listen: SocketAddr::from(([127, 0, 0, 1], 9433)),
            tick_rate_hz: 30,
            max_catchup_ticks: 4,
            world_seed: 1,
            floor_cache: 64,
            cert: None,
            key: None,
            cert_dir: PathBuf::from("tower-server-cert"),
            max_players: 2000,
            resume_window_secs: 60,
            autosave_secs: 30,
            input_rate_limit: 90,
            handshake_timeout_secs: 10,
            nakama: None,
        }
    }
}

impl Config {
    pub fn tick_period(&self) -> Duration {
        Duration::from_nanos(1_000_000_000 / u64::from(self.tick_rate_hz.max(1)))
    }

    /// The core's rules for this configuration.
    pub fn rules(&self) -> crate::core::Rules {
        let hz = self.tick_rate_hz.max(1);
        let mut rules = crate::core::Rules::new(self.world_seed, hz);
        rules.floor_cache_capacity = self.floor_cache.max(1);
        rules.resume_window_ticks = self.resume_window_secs.saturating_mul(hz);
        rules.autosave_ticks = self.autosave_secs.max(1).saturating_mul(hz);
        rules
    }

    fn check(&self) -> Result<(), ConfigError> {
        let bad = |what: &str| Err(ConfigError::Invalid(what.to_owned()));
        if !(1..=240).contains(&self.tick_rate_hz) {
            return bad("tick_rate_hz must be 1..=240");
        }
        if self.cert.is_some() != self.key.is_some() {
            return bad("cert and key must be given together");
        }
        if self.input_rate_limit == 0 {
            return bad("input_rate_limit must be at least 1");
        }
        Ok(())
    }
}

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("bad config file {path}: {source}")]
    Parse {
        path: PathBuf,
        source: Box<toml::de::Error>,
    },
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// Tower's authoritative game server (QUIC). With no arguments it listens on
/// 127.0.0.1:4433 in dev auth mode with a self-signed certificate.
#[derive(Debug, Default, Parser)]
#[command(name = "tower-server", version, about)]
pub struct Cli {
    /// TOML config file (values there are overridden by env vars and flags).
    #[arg(long, short, env = "TOWER_CONFIG")]
    pub config: Option<PathBuf>,
    /// QUIC listen address.
    #[arg(long, env = "TOWER_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Prometheus /metrics HTTP address.
    #[arg(long, env = "TOWER_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
    /// Simulation ticks per second.
    #[arg(long, env = "TOWER_TICK_RATE_HZ")]
    pub tick_rate_hz: Option<u32>,
    /// Seed of the tower.
    #[arg(long, env = "TOWER_WORLD_SEED")]
    pub world_seed: Option<u64>,
    /// PEM certificate chain (with --key); omit both for a self-signed one.
    #[arg(long, env = "TOWER_CERT")]
    pub cert: Option<PathBuf>,
    /// PEM private key.
    #[arg(long, env = "TOWER_KEY")]
    pub key: Option<PathBuf>,
    /// Where the self-signed certificate and its fingerprint are written.
    #[arg(long, env = "TOWER_CERT_DIR")]
    pub cert_dir: Option<PathBuf>,
    /// Most players connected at once.
    #[arg(long, env = "TOWER_MAX_PLAYERS")]
    pub max_players: Option<usize>,
    /// Input datagrams per second per connection.
    #[arg(long, env = "TOWER_INPUT_RATE_LIMIT")]
    pub input_rate_limit: Option<u32>,
}

impl Cli {
    /// Defaults, then the file, then env and flags.
    pub fn load(&self) -> Result<Config, ConfigError> {
        let mut config = match &self.config {
            Some(path) => from_file(path)?,
            None => Config::default(),
        };
        macro_rules! over {
            ($($field:ident),*) => { $( if let Some(v) = &self.$field { config.$field = v.clone(); } )* };
        }
        over!(
            listen,
            metrics_listen,
            tick_rate_hz,
            world_seed,
            cert_dir,
            max_players,
            input_rate_limit
        );
        if self.cert.is_some() {
            config.cert = self.cert.clone();
        }
        if self.key.is_some() {
            config.key = self.key.clone();
        }
        config.check()?;
        Ok(config)
    }
}

pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    from_toml(&text).map_err(|e| match e {
        ConfigError::Parse { source, .. } => ConfigError::Parse {
            path: path.to_owned(),
            source,
        },
        other => other,
    })
}

pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
    let config: Config = toml::from_str(text).map_err(|source| ConfigError::Parse {
        path: PathBuf::new(),
        source: Box::new(source),
    })?;
    config.check()?;
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_arguments_means_a_loopback_dev_server() {
        let c = Cli::default().load().expect("defaults are valid");
        assert_eq!(c, Config::default());
        assert!(c.listen.ip().is_loopback() && c.metrics_listen.ip().is_loopback());
        assert!(c.nakama.is_none());
    }

    #[test]
    fn file_then_flags() {
        let c = from_toml("tick_rate_hz = 60\nworld_seed = 9\n").expect("valid");
        assert_eq!(
            (c.tick_rate_hz, c.world_seed, c.listen),
            (60, 9, Config::default().listen)
        );
        let dir = std::env::temp_dir().join(format!("tower-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("server.toml");
        std::fs::write(&path, "tick_rate_hz = 60\n").expect("write");
        let cli = Cli {
            config: Some(path),
            tick_rate_hz: Some(20),
            ..Cli::default()
        };
        assert_eq!(cli.load().expect("valid").tick_rate_hz, 20);
    }

    #[test]
    fn bad_files_are_clear_errors() {
        let e = from_toml("tick_rate = 60").expect_err("unknown key");
        assert!(e.to_string().contains("tick_rate"), "{e}");
        let e = from_toml("tick_rate_hz = 0").expect_err("out of range");
        assert!(e.to_string().contains("tick_rate_hz"), "{e}");
        let e = from_file(Path::new("/nonexistent/tower.toml")).expect_err("missing");
        assert!(e.to_string().contains("/nonexistent/tower.toml"), "{e}");
        let e = from_toml("cert = \"a.pem\"").expect_err("cert without key");
        assert!(e.to_string().contains("together"), "{e}");
    }

    #[test]
    fn rules_follow_the_config() {
        let c = Config {
            tick_rate_hz: 20,
            resume_window_secs: 60,
            ..Config::default()
        };
        let r = c.rules();
        assert_eq!((r.tick_rate_hz, r.resume_window_ticks), (20, 1200));
    }
}
