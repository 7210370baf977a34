//! Ticket authentication: the sans-IO [`TicketVerifier`] plus the two Nakama look-ups that
//! need the network (is the session live? which guild?).

use super::client::{NakamaClient, RpcError};
use super::ticket::TicketVerifier;
use crate::model::{AuthError, Authenticator, Credentials, Identity};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};
use tonic::Code;

/// Unexpired ticket ids remembered for replay protection (60 s of logins at ~1600/s).
pub const REPLAY_CAPACITY: usize = 100_000;

pub struct TicketAuth {
    verifier: Mutex<TicketVerifier>,
    client: NakamaClient,
}

#[derive(Serialize)]
struct UserRef<'a> {
    user_id: &'a str,
}

#[derive(Deserialize)]
struct GuildAnswer {
    found: bool,
    #[serde(default)]
    name: Option<String>,
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl TicketAuth {
    pub fn new(client: NakamaClient, ticket_key: &[u8], server_id: &str) -> TicketAuth {
        TicketAuth {
            verifier: Mutex::new(TicketVerifier::new(ticket_key, server_id, REPLAY_CAPACITY)),
            client,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, TicketVerifier> {
        // The verifier's maps stay consistent across a panic (single inserts), so reuse it.
        self.verifier.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The player's guild name, if they are in one.
    pub async fn guild_of(&self, user_id: &str) -> Result<Option<String>, AuthError> {
        let answer: GuildAnswer = self
            .client
            .rpc("tower_player_guild", &UserRef { user_id })
            .await
            .map_err(|e| AuthError::Unavailable(format!("guild look-up: {e}")))?;
        Ok(if answer.found { answer.name } else { None })
    }
}

#[async_trait]
impl Authenticator for TicketAuth {
    async fn authenticate(&self, credentials: &Credentials) -> Result<Identity, AuthError> {
        let (ticket, session_token) = match credentials {
            Credentials::Dev { .. } => return Err(AuthError::DevDisabled),
            Credentials::Ticket {
                ticket,
                session_token,
            } => (ticket, session_token),
        };
        let claims = self.lock().check(ticket, unix_now())?;
        let (user_id, username) =
            self.client
                .session_account(session_token)
                .await
                .map_err(|e| match e {
                    RpcError::Refused {
                        code: Code::Unauthenticated,
                        message,
                    } => AuthError::BadTicket(format!("nakama session is not live: {message}")),
                    other => AuthError::Unavailable(format!("session check: {other}")),
                })?;
        if user_id != claims.sub {
            return Err(AuthError::BadTicket(
                "the session belongs to another user than the ticket".into(),
            ));
        }
        let guild = self.guild_of(&user_id).await?;
        // Spent only now: a ticket presented with another session is not burnt by it.
        self.lock().spend(&claims, unix_now())?;
        Ok(Identity {
            player_id: user_id,
            username,
            guild,
        })
    }
}
