//! `--nakama` mode: every bot gets its game server the way a player does. It device-authenticates
//! with Nakama, joins Nakama's matchmaker over the realtime socket, and waits for the ticket
//! notification naming a game server (address, port, certificate fingerprint, ticket). All bots
//! queue at once (the matchmaker groups them), before any of them connects over QUIC.

use std::time::Duration;
use tower_client::{CertFingerprint, ClientConfig, Credentials, ServerAddress, Trust};
use tower_lobby::{Lobby, LobbyError, MatchAssignment};

/// How the bots meet Nakama.
#[derive(Clone, Debug)]
pub struct Options {
    /// Nakama's HTTP API, e.g. `http://127.0.0.1:7350`.
    pub url: String,
    pub server_key: String,
    /// Makes device ids (and so Nakama accounts) stable across runs with the same id.
    pub run_id: String,
    /// Players per match (Nakama's matchmaker min and max count).
    pub match_size: u32,
    /// How long a bot waits in the matchmaker for its ticket.
    pub timeout: Duration,
}

/// Why one bot did not get a game server.
#[derive(Debug, thiserror::Error)]
pub enum MatchFailure {
    #[error("nakama: {0}")]
    Lobby(#[from] LobbyError),
    #[error("the match names an unusable address {address}:{port}: {reason}")]
    Address {
        address: String,
        port: u16,
        reason: String,
    },
    #[error("the match names a bad certificate fingerprint: {0}")]
    Fingerprint(String),
}

/// A stable device id for bot `index` of run `run_id` (Nakama wants 10 to 128 bytes).
pub fn device_id(run_id: &str, index: usize) -> String {
    format!("tower-bot-{run_id}-{index:06}")
}

/// A username unique per run and bot: Nakama refuses a name another account already holds.
pub fn username(prefix: &str, run_id: &str, index: usize) -> String {
    format!("{prefix}-{run_id}-{index}")
}

/// The client configuration a match notification describes: the named server, pinned to the
/// announced certificate, logging in with the ticket alone (the Nakama session token never
/// goes to a game server).
pub fn client_config(m: &MatchAssignment) -> Result<ClientConfig, MatchFailure> {
    let bad_address = |reason: String| MatchFailure::Address {
        address: m.address.clone(),
        port: m.port,
        reason,
    };
    // A host name is resolved by the client when it connects (the path the C ABI uses too).
    let addr =
        ServerAddress::from_parts(&m.address, m.port).map_err(|e| bad_address(e.to_string()))?;
    let pin = CertFingerprint::parse(&m.fingerprint)
        .map_err(|e| MatchFailure::Fingerprint(format!("{:?}: {e}", m.fingerprint)))?;
    Ok(ClientConfig::new(
        addr,
        Trust::Fingerprint(pin),
        Credentials::Ticket {
            ticket: m.ticket.clone(),
        },
    ))
}

async fn match_one(
    lobby: &Lobby,
    opts: &Options,
    name_prefix: &str,
    index: usize,
) -> Result<ClientConfig, MatchFailure> {
    let session = lobby
        .authenticate_device(
            &device_id(&opts.run_id, index),
            Some(&username(name_prefix, &opts.run_id, index)),
        )
        .await?;
    let mut socket = session.connect_realtime().await?;
    let assignment = socket
        .find_match(opts.match_size, opts.match_size, opts.timeout)
        .await;
    if let Err(e) = socket.close().await {
        tracing::debug!(index, "closing the realtime socket: {e}");
    }
    client_config(&assignment?)
}

/// Matches `count` bots concurrently; one result per bot, in bot order.
pub fn matchmake(
    opts: &Options,
    name_prefix: &str,
    count: usize,
) -> anyhow::Result<Vec<Result<ClientConfig, MatchFailure>>> {
    let lobby = Lobby::new(&opts.url, &opts.server_key)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let all = (0..count).map(|i| match_one(&lobby, opts, name_prefix, i));
    Ok(runtime.block_on(futures_util::future::join_all(all)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assignment(address: &str, fingerprint: &str) -> MatchAssignment {
        MatchAssignment {
            server_id: "s-1".into(),
            address: address.into(),
            port: 4433,
            fingerprint: fingerprint.into(),
            ticket: "jwt".into(),
            expires_at: 0,
        }
    }

    const PIN: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

    #[test]
    fn device_ids_are_stable_and_long_enough() {
        assert_eq!(device_id("ci", 7), "tower-bot-ci-000007");
        assert_eq!(device_id("ci", 7), device_id("ci", 7));
        assert_ne!(device_id("ci", 7), device_id("ci2", 7));
        assert!(device_id("", 0).len() >= 10);
        assert_eq!(username("bot", "ci", 3), "bot-ci-3");
    }

    #[test]
    fn a_match_becomes_a_pinned_ticket_login() {
        let cfg = client_config(&assignment("127.0.0.1", PIN)).expect("valid match");
        assert_eq!(cfg.server_addr, "127.0.0.1:4433".parse().expect("addr"));
        assert!(matches!(cfg.trust, Trust::Fingerprint(_)));
        assert!(matches!(
            cfg.core.credentials,
            Credentials::Ticket { ref ticket } if ticket == "jwt"
        ));
    }

    #[test]
    fn a_bad_fingerprint_or_address_is_refused() {
        assert!(matches!(
            client_config(&assignment("127.0.0.1", "not-hex")),
            Err(MatchFailure::Fingerprint(_))
        ));
        assert!(matches!(
            client_config(&assignment("bad\0host", PIN)),
            Err(MatchFailure::Address { .. })
        ));
        let named = client_config(&assignment("game.example.com", PIN)).expect("a host name");
        assert_eq!(named.server_addr.to_string(), "game.example.com:4433");
        assert_eq!(named.server_name, "game.example.com");
    }
}
