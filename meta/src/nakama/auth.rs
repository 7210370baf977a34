//! Ticket authentication: the sans-IO [`TicketVerifier`] plus one Nakama look-up over the
//! server-only path (the http_key RPC `tower_player_admit`, keyed by the ticket's user id):
//! does the account still exist, is it enabled, what are its username and guild.
//!
//! The player's Nakama session token is never asked for: a game server, possibly run by
//! somebody else, must never hold a credential that works against the player's account.

use super::client::{NakamaClient, RpcError};
use super::ticket::TicketVerifier;
use crate::model::{AuthError, Authenticator, Credentials, Identity};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

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

/// `tower_player_admit`'s answer.
#[derive(Deserialize)]
struct AdmitAnswer {
    found: bool,
    #[serde(default)]
    disabled: bool,
    #[serde(default)]
    username: String,
    #[serde(default)]
    guild: Option<String>,
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn unavailable(what: &str) -> impl Fn(RpcError) -> AuthError + '_ {
    move |e| AuthError::Unavailable(format!("{what}: {e}"))
}

impl TicketAuth {
    /// `instance` is this process's registry instance id: tickets must name it.
    pub fn new(
        client: NakamaClient,
        ticket_key: &[u8],
        server_id: &str,
        instance: &str,
    ) -> TicketAuth {
        TicketAuth {
            verifier: Mutex::new(TicketVerifier::new(
                ticket_key,
                server_id,
                instance,
                REPLAY_CAPACITY,
            )),
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
            .map_err(unavailable("guild look-up"))?;
        Ok(if answer.found { answer.name } else { None })
    }
}

#[async_trait]
impl Authenticator for TicketAuth {
    async fn authenticate(&self, credentials: &Credentials) -> Result<Identity, AuthError> {
        let ticket = match credentials {
            Credentials::Dev { .. } => return Err(AuthError::DevDisabled),
            Credentials::Ticket { ticket } => ticket,
        };
        let claims = self.lock().check(ticket, unix_now())?;
        let account: AdmitAnswer = self
            .client
            .rpc(
                "tower_player_admit",
                &UserRef {
                    user_id: &claims.sub,
                },
            )
            .await
            .map_err(unavailable("account check"))?;
        if !account.found {
            return Err(AuthError::BadTicket(
                "the ticket's account does not exist any more".into(),
            ));
        }
        if account.disabled {
            return Err(AuthError::BadTicket(
                "the ticket's account is disabled".into(),
            ));
        }
        // Spent only now: a ticket refused for a transient reason can be presented again.
        self.lock().spend(&claims, unix_now())?;
        let username = if account.username.is_empty() {
            claims.usr
        } else {
            account.username
        };
        Ok(Identity {
            player_id: claims.sub,
            username,
            guild: account.guild,
        })
    }
}
