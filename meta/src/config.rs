//! `[nakama]` section of the game server's configuration. Absent ⇒ dev mode.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Duration;

/// How this game server reaches Nakama and how it announces itself in the registry.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NakamaConfig {
    /// Nakama's gRPC API: `https://…` (TLS, e.g. the nginx in front of Nakama's 7349), or
    /// `http://127.0.0.1:7349` (socket port − 1) only to a loopback host.
    pub grpc_url: String,
    /// PEM CA file that signs the TLS certificate of `grpc_url` (absent: the system's roots).
    #[serde(default)]
    pub grpc_ca: Option<PathBuf>,
    /// Nakama's runtime HTTP key (`runtime.http_key`): authenticates our RPC calls.
    pub http_key: String,
    /// HS256 secret shared with the Nakama modules (`TOWER_TICKET_KEY`); signs the tickets.
    pub ticket_key: String,
    /// This game server's id in the registry; tickets must name it.
    pub server_id: String,
    /// Address players connect to (announced to them in the match notification).
    pub public_host: String,
    pub public_port: u16,
    /// SHA-256 of this server's certificate (hex), announced so clients can pin it.
    #[serde(default)]
    pub cert_fingerprint: String,
    /// Players this server accepts; the matchmaker prefers the least-loaded live server.
    #[serde(default = "default_capacity")]
    pub capacity: u32,
    /// Registry heartbeat period; Nakama drops a server after a few missed ones.
    #[serde(default = "default_heartbeat_secs")]
    pub heartbeat_secs: u64,
    /// Deadline of each call to Nakama.
    #[serde(default = "default_request_timeout_ms")]
    pub request_timeout_ms: u64,
}

fn default_capacity() -> u32 {
    256
}
fn default_heartbeat_secs() -> u64 {
    5
}
fn default_request_timeout_ms() -> u64 {
    3000
}

impl NakamaConfig {
    pub fn heartbeat(&self) -> Duration {
        Duration::from_secs(self.heartbeat_secs.max(1))
    }

    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms.max(1))
    }

    /// A config with the well-known dev keys below (tests replace them with the stack's own:
    /// `scripts/nakama-stack.sh` generates random keys, and Tower's Lua modules refuse keys
    /// under 32 bytes). Never use these keys on a reachable server.
    pub fn local_dev(grpc_url: &str, server_id: &str, public_host: &str, public_port: u16) -> Self {
        NakamaConfig {
            grpc_url: grpc_url.to_owned(),
            grpc_ca: None,
            http_key: DEV_HTTP_KEY.to_owned(),
            ticket_key: DEV_TICKET_KEY.to_owned(),
            server_id: server_id.to_owned(),
            public_host: public_host.to_owned(),
            public_port,
            cert_fingerprint: String::new(),
            capacity: default_capacity(),
            heartbeat_secs: default_heartbeat_secs(),
            request_timeout_ms: default_request_timeout_ms(),
        }
    }
}

/// Well-known dev http key (formerly the stack script's default): a key to recognise and refuse.
pub const DEV_HTTP_KEY: &str = "tower-dev-http-key";
/// Well-known dev ticket signing key (formerly `TOWER_TICKET_KEY`'s default): refuse it.
pub const DEV_TICKET_KEY: &str = "tower-dev-ticket-key-change-me";
/// Well-known dev `socket.server_key` (formerly the stack script's default).
pub const DEV_SERVER_KEY: &str = "tower-dev-server-key";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_toml_like_section_uses_defaults() {
        let cfg: NakamaConfig = serde_json::from_str(
            r#"{"grpc_url":"http://127.0.0.1:7349","http_key":"h","ticket_key":"t",
                "server_id":"s1","public_host":"127.0.0.1","public_port":4433}"#,
        )
        .expect("minimal config parses");
        assert_eq!(cfg.capacity, 256);
        assert_eq!(cfg.heartbeat(), Duration::from_secs(5));
        assert_eq!(cfg.cert_fingerprint, "");
    }

    #[test]
    fn unknown_fields_are_refused() {
        let got = serde_json::from_str::<NakamaConfig>(
            r#"{"grpc_url":"u","http_key":"h","ticket_key":"t","server_id":"s",
                "public_host":"h","public_port":1,"capacty":3}"#,
        );
        assert!(got.is_err());
    }
}
