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
    /// A player's snapshots go out at most every this many ticks, on the ticks its client's
    /// input datagrams arrive; 1 = every tick. Fewer, fuller packets: QUIC's per-packet
    /// bytes and CPU dominate.
    pub snapshot_every_ticks: u32,
    /// ...and at least every this many ticks while something in view changes, when the
    /// client sends no input to follow or sends less often (a calm client sends every 3
    /// ticks). At least `snapshot_every_ticks`.
    pub snapshot_calm_ticks: u32,
    /// Seconds a new connection has to send its Hello.
    pub handshake_timeout_secs: u64,
    /// Seconds one control-stream write may wait for the peer's flow-control credit; past
    /// it the connection is closed (`WRITE_TIMEOUT`) and counted.
    pub control_write_timeout_secs: u64,
    /// Connections not logged in yet (from accept until the core's Welcome), at most.
    pub max_prelogin: usize,
    /// Of those, at most this many from one IP address.
    pub max_prelogin_per_address: usize,
    /// Of those, at most this many from one network prefix (`prelogin_prefix_v4` /
    /// `prelogin_prefix_v6` bits); the last quarter of `max_prelogin` is kept for prefixes
    /// holding fewer than 4.
    pub max_prelogin_per_prefix: usize,
    pub prelogin_prefix_v4: u8,
    pub prelogin_prefix_v6: u8,
    /// Seconds a connection accepted under pressure (from `retry_prelogin_from` on) has to
    /// send its Hello (at most `handshake_timeout_secs`).
    pub pressure_handshake_timeout_secs: u64,
    /// From this many pre-login connections on, a client must prove its address with a
    /// QUIC Retry before it is accepted.
    pub retry_prelogin_from: usize,
    /// Seconds a drain (SIGTERM, SIGUSR1, or an empty Agones server) may take from its start
    /// to exit: players told, every state saved, Agones `Shutdown`. Keep it below the pod's
    /// `terminationGracePeriodSeconds` (60 in deploy/agones/fleet.yaml).
    pub drain_grace_secs: u64,
    /// Under Agones: drain an allocated server once it has had no player for this many
    /// seconds, so an autoscaled fleet can reclaim it (0 = never).
    pub empty_drain_secs: u64,
    /// Explicit dev mode: with `[nakama]`, accept weak or well-known development keys
    /// (logged loudly). Never set it on a server players can reach.
    pub dev_mode: bool,
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
            snapshot_every_ticks: 2,
            snapshot_calm_ticks: 3,
            handshake_timeout_secs: 10,
            control_write_timeout_secs: 10,
            max_prelogin: 1024,
            max_prelogin_per_address: 64,
            max_prelogin_per_prefix: 256,
            prelogin_prefix_v4: 24,
            prelogin_prefix_v6: 56,
            pressure_handshake_timeout_secs: 3,
            retry_prelogin_from: 128,
            drain_grace_secs: 50,
            empty_drain_secs: 300,
            dev_mode: false,
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
        rules.max_players = self.max_players;
        rules.snapshot_every_ticks = self.snapshot_every_ticks;
        rules.snapshot_calm_ticks = self.snapshot_calm_ticks;
        rules
    }

    /// The bound of a drain, from its start to exit.
    pub fn drain_grace(&self) -> Duration {
        Duration::from_secs(self.drain_grace_secs.max(1))
    }

    /// `None`: an empty server is never drained for being empty.
    pub fn empty_drain_after(&self) -> Option<Duration> {
        (self.empty_drain_secs > 0).then(|| Duration::from_secs(self.empty_drain_secs))
    }

    pub fn control_write_timeout(&self) -> Duration {
        Duration::from_secs(self.control_write_timeout_secs.max(1))
    }

    pub fn prelogin_limits(&self) -> crate::shell::admission::PreLoginLimits {
        crate::shell::admission::PreLoginLimits {
            total: self.max_prelogin,
            per_address: self.max_prelogin_per_address,
            per_prefix: self.max_prelogin_per_prefix,
            prefixes: crate::shell::admission::Prefixes {
                v4_bits: self.prelogin_prefix_v4,
                v6_bits: self.prelogin_prefix_v6,
            },
            retry_from: self.retry_prelogin_from,
            pressure_handshake_timeout: Duration::from_secs(
                self.pressure_handshake_timeout_secs.max(1),
            ),
        }
    }

    /// With `[nakama]`: the ticket and http keys must be at least [`MIN_KEY_BYTES`] long
    /// and none of the well-known development keys, unless [`Config::dev_mode`] is set
    /// (then every such key is returned, for the caller to log loudly). A ticket key anyone
    /// can guess lets anyone mint tickets for any account on this server; a known http key
    /// lets anyone call Nakama's server-only RPCs.
    pub fn check_keys(&self) -> Result<Vec<String>, ConfigError> {
        let Some(nakama) = &self.nakama else {
            return Ok(Vec::new());
        };
        let mut weak = Vec::new();
        for (name, key) in [
            ("ticket_key", &nakama.ticket_key),
            ("http_key", &nakama.http_key),
        ] {
            if let Some(why) = key_weakness(key) {
                weak.push(format!("{name} {why}"));
            }
        }
        if weak.is_empty() || self.dev_mode {
            return Ok(weak);
        }
        Err(ConfigError::WeakKeys(weak.join("; ")))
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
        if !(1..=8).contains(&self.snapshot_every_ticks) {
            return bad("snapshot_every_ticks must be 1..=8");
        }
        if !(self.snapshot_every_ticks..=8).contains(&self.snapshot_calm_ticks) {
            return bad("snapshot_calm_ticks must be snapshot_every_ticks..=8");
        }
        if self.max_prelogin == 0 || self.max_prelogin_per_address == 0 {
            return bad("max_prelogin and max_prelogin_per_address must be at least 1");
        }
        if self.max_prelogin_per_prefix == 0 || self.pressure_handshake_timeout_secs == 0 {
            return bad(
                "max_prelogin_per_prefix and pressure_handshake_timeout_secs must be at least 1",
            );
        }
        if !(8..=32).contains(&self.prelogin_prefix_v4)
            || !(16..=128).contains(&self.prelogin_prefix_v6)
        {
            return bad("prelogin_prefix_v4 must be 8..=32 and prelogin_prefix_v6 16..=128");
        }
        if self.max_players > tower_protocol::MAX_ROSTER_ENTRIES {
            return bad("max_players must be at most 4096 (a client's roster bound)");
        }
        self.check_keys()?;
        if let Some(nakama) = &self.nakama {
            check_fingerprint_form(&nakama.cert_fingerprint)?;
        }
        Ok(())
    }
}

/// `[nakama] cert_fingerprint` is announced to every player, who pins it: it must be empty
/// (the loaded certificate's is announced) or its SHA-256 as 64 hex digits. Anything else
/// (a placeholder copied from an example, a truncated paste) would let the server start and
/// every player then fail at the client with "bad certificate fingerprint".
fn check_fingerprint_form(fingerprint: &str) -> Result<(), ConfigError> {
    if fingerprint.is_empty()
        || (fingerprint.len() == 64 && fingerprint.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Ok(());
    }
    Err(ConfigError::Invalid(format!(
        "nakama.cert_fingerprint must be the certificate's SHA-256 as 64 hex digits, or \
         empty to announce the loaded certificate's; got {fingerprint:?} ({} characters)",
        fingerprint.chars().count()
    )))
}

/// Fills `[nakama] cert_fingerprint` with `loaded` (the fingerprint of the certificate the
/// server serves) when it is empty, and refuses one that names another certificate: the
/// registry would send players to this server pinning a certificate it does not have.
pub fn pin_announced_fingerprint(
    nakama: &mut tower_meta::NakamaConfig,
    loaded: &str,
) -> Result<(), ConfigError> {
    check_fingerprint_form(&nakama.cert_fingerprint)?;
    if nakama.cert_fingerprint.is_empty() || nakama.cert_fingerprint.eq_ignore_ascii_case(loaded) {
        nakama.cert_fingerprint = loaded.to_owned();
    } else {
        return Err(ConfigError::Invalid(format!(
            "nakama.cert_fingerprint {} is not the SHA-256 of the certificate this server \
             loaded ({loaded}); players would refuse the server. Leave it empty to announce \
             the loaded certificate's",
            nakama.cert_fingerprint
        )));
    }
    Ok(())
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
    #[error(
        "refusing weak Nakama keys ({0}): use random keys of at least {MIN_KEY_BYTES} bytes, or run in explicit dev mode (--dev-mode / TOWER_DEV_MODE=true / dev_mode = true)"
    )]
    WeakKeys(String),
}

/// Shortest ticket or http key accepted outside dev mode.
pub const MIN_KEY_BYTES: usize = 32;

/// Keys shipped in Tower's dev scripts and Nakama's own defaults: public knowledge.
const DEV_KEYS: &[&str] = &[
    tower_meta::config::DEV_TICKET_KEY,
    tower_meta::config::DEV_HTTP_KEY,
    tower_meta::config::DEV_SERVER_KEY,
    "defaulthttpkey",
    "defaultkey",
];

/// Why `key` must not protect a real server, if it must not.
pub fn key_weakness(key: &str) -> Option<String> {
    if DEV_KEYS.contains(&key) {
        Some("is a well-known development key".to_owned())
    } else if key.len() < MIN_KEY_BYTES {
        Some(format!(
            "has {} bytes (at least {MIN_KEY_BYTES})",
            key.len()
        ))
    } else {
        None
    }
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
    /// Snapshots to each player at most every this many ticks (1 = every tick).
    #[arg(long, env = "TOWER_SNAPSHOT_EVERY_TICKS")]
    pub snapshot_every_ticks: Option<u32>,
    /// Snapshots to a player whose client sends no inputs to follow, every this many ticks.
    #[arg(long, env = "TOWER_SNAPSHOT_CALM_TICKS")]
    pub snapshot_calm_ticks: Option<u32>,
    /// Explicit dev mode: accept weak or well-known development Nakama keys (insecure).
    #[arg(long, env = "TOWER_DEV_MODE")]
    pub dev_mode: bool,
}

impl Cli {
    /// Defaults, then the file, then env and flags.
    pub fn load(&self) -> Result<Config, ConfigError> {
        let mut config = match &self.config {
            Some(path) => parse_file(path)?,
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
            input_rate_limit,
            snapshot_every_ticks,
            snapshot_calm_ticks
        );
        if self.cert.is_some() {
            config.cert = self.cert.clone();
        }
        if self.key.is_some() {
            config.key = self.key.clone();
        }
        config.dev_mode |= self.dev_mode;
        config.check()?;
        Ok(config)
    }
}

pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
    let config = parse_file(path)?;
    config.check()?;
    Ok(config)
}

pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
    let config = parse(text)?;
    config.check()?;
    Ok(config)
}

/// The file's settings, not checked yet (env and flags may still change them).
fn parse_file(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse(&text).map_err(|e| match e {
        ConfigError::Parse { source, .. } => ConfigError::Parse {
            path: path.to_owned(),
            source,
        },
        other => other,
    })
}

fn parse(text: &str) -> Result<Config, ConfigError> {
    toml::from_str(text).map_err(|source| ConfigError::Parse {
        path: PathBuf::new(),
        source: Box::new(source),
    })
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
        let _ = std::fs::remove_dir_all(&dir);
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
        let e = from_toml("snapshot_every_ticks = 0").expect_err("out of range");
        assert!(e.to_string().contains("snapshot_every_ticks"), "{e}");
        let e = from_toml("snapshot_every_ticks = 3\nsnapshot_calm_ticks = 2")
            .expect_err("calm faster than the fastest");
        assert!(e.to_string().contains("snapshot_calm_ticks"), "{e}");
    }

    #[test]
    fn snapshot_every_ticks_reaches_the_rules() {
        let rules = Config::default().rules();
        assert_eq!(
            (rules.snapshot_every_ticks, rules.snapshot_calm_ticks),
            (2, 3)
        );
        let c = from_toml("snapshot_every_ticks = 1\nsnapshot_calm_ticks = 1").expect("valid");
        assert_eq!(
            (
                c.rules().snapshot_every_ticks,
                c.rules().snapshot_calm_ticks
            ),
            (1, 1)
        );
    }

    #[test]
    fn weak_or_dev_nakama_keys_need_explicit_dev_mode() {
        let strong = "k".repeat(MIN_KEY_BYTES);
        let nakama = |http: &str, ticket: &str| {
            format!(
                "[nakama]\ngrpc_url = \"http://127.0.0.1:7349\"\nhttp_key = \"{http}\"\nticket_key = \"{ticket}\"\nserver_id = \"gs\"\npublic_host = \"127.0.0.1\"\npublic_port = 4433\n"
            )
        };
        let short = "k".repeat(MIN_KEY_BYTES - 1);
        for (http, ticket, why) in [
            (short.as_str(), strong.as_str(), "http_key has 31 bytes"),
            (strong.as_str(), short.as_str(), "ticket_key has 31 bytes"),
            (
                strong.as_str(),
                tower_meta::config::DEV_TICKET_KEY,
                "ticket_key is a well-known",
            ),
            (
                tower_meta::config::DEV_HTTP_KEY,
                strong.as_str(),
                "http_key",
            ),
        ] {
            let e = from_toml(&nakama(http, ticket)).expect_err("refused");
            assert!(e.to_string().contains(why), "{e}");
            let dev = format!("dev_mode = true\n{}", nakama(http, ticket));
            let c = from_toml(&dev).expect("accepted in dev mode");
            assert_eq!(c.check_keys().expect("dev mode").len(), 1);
        }
        let dir = std::env::temp_dir().join(format!("tower-cfg-keys-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("server.toml");
        let dev_keys = nakama(
            tower_meta::config::DEV_HTTP_KEY,
            tower_meta::config::DEV_TICKET_KEY,
        );
        std::fs::write(&path, dev_keys).expect("write");
        let mut cli = Cli {
            config: Some(path),
            ..Cli::default()
        };
        assert!(matches!(cli.load(), Err(ConfigError::WeakKeys(_))));
        cli.dev_mode = true;
        assert!(cli.load().expect("--dev-mode").dev_mode);
        let _ = std::fs::remove_dir_all(&dir);
        let c = from_toml(&nakama(&strong, &strong)).expect("strong keys");
        assert!(c.check_keys().expect("strong").is_empty());
        // No [nakama]: dev auth, no keys to check (the no-argument start).
        assert!(Config::default().check_keys().expect("dev auth").is_empty());
    }

    #[test]
    fn the_announced_fingerprint_is_the_loaded_certificates() {
        let strong = "k".repeat(MIN_KEY_BYTES);
        let nakama = |fingerprint: &str| {
            format!(
                "[nakama]\ngrpc_url = \"http://127.0.0.1:7349\"\nhttp_key = \"{strong}\"\nticket_key = \"{strong}\"\nserver_id = \"gs\"\npublic_host = \"127.0.0.1\"\npublic_port = 4433\ncert_fingerprint = \"{fingerprint}\"\n"
            )
        };
        let loaded = "0123456789abcdef".repeat(4);
        // Not 64 hex digits: refused when the file is read, before anything starts.
        for bad in [
            "…",
            "abc",
            &"g".repeat(64),
            &format!("{loaded}0"),
            &loaded[1..],
        ] {
            let e = from_toml(&nakama(bad)).expect_err("malformed fingerprint");
            assert!(
                e.to_string().contains("cert_fingerprint must be")
                    && e.to_string().contains("64 hex digits"),
                "{e}"
            );
        }
        // Empty: the loaded certificate's is announced.
        let mut c = from_toml(&nakama("")).expect("empty fingerprint");
        let n = c.nakama.as_mut().expect("[nakama]");
        pin_announced_fingerprint(n, &loaded).expect("filled");
        assert_eq!(n.cert_fingerprint, loaded);
        // The same one, in upper case: accepted and announced as the loaded one.
        let mut c = from_toml(&nakama(&loaded.to_uppercase())).expect("upper case");
        let n = c.nakama.as_mut().expect("[nakama]");
        pin_announced_fingerprint(n, &loaded).expect("same certificate");
        assert_eq!(n.cert_fingerprint, loaded);
        // Another certificate's: refused, naming both.
        let other = "f".repeat(64);
        let mut c = from_toml(&nakama(&other)).expect("well-formed");
        let n = c.nakama.as_mut().expect("[nakama]");
        let e = pin_announced_fingerprint(n, &loaded).expect_err("another certificate");
        assert!(
            e.to_string().contains(&other) && e.to_string().contains(&loaded),
            "{e}"
        );
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
