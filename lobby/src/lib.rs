//! Player-side Nakama client for Tower: device auth and account calls over Nakama's HTTP API,
//! guilds (Nakama groups), leaderboard and own-state reads, and the realtime socket that joins
//! the matchmaker and receives the game-server ticket. Used by the bots and the tests; the
//! Unreal client uses Heroic Labs' own SDK for the same calls. Nakama is reached over TLS
//! (`https://`, system roots or a given CA: [`NakamaTrust`]); plain `http://` only on loopback.
//!
//! ```no_run
//! # async fn demo() -> Result<(), tower_lobby::LobbyError> {
//! // URL, CA and server key as `scripts/nakama-stack.sh env` prints them
//! let lobby = tower_lobby::Lobby::new("https://127.0.0.1:7443", &std::env::var("TOWER_NAKAMA_SERVER_KEY").unwrap_or_default())?;
//! let session = lobby.authenticate_device("device-0000000001", Some("ann")).await?;
//! let mut socket = session.connect_realtime().await?;
//! let assignment = socket.find_match(2, 2, std::time::Duration::from_secs(30)).await?;
//! // connect to assignment.address:assignment.port over QUIC and present assignment.ticket
//! // (only the ticket: the session token never leaves the player's own Nakama calls)
//! # let _ = assignment; Ok(()) }
//! ```

mod error;
mod http;
mod realtime;
pub mod stack;
mod tls;

pub use error::LobbyError;
pub use http::{Guild, GuildMember, LeaderboardRecord, Lobby, Session};
pub use realtime::{MatchAssignment, NOTIFY_NO_SERVER, NOTIFY_TICKET, Realtime};
pub use stack::{NakamaStack, StackError};
pub use tls::NakamaTrust;
