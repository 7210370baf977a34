//! Player state and leaderboard through Tower's Nakama RPCs (`nakama/modules/tower_state.lua`,
//! `tower_leaderboard.lua`), authenticated by the http_key.

use super::client::{NakamaClient, RpcError};
use crate::model::{Identity, Leaderboard, PlayerState, StateStore, StoreError, Version};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tonic::Code;

impl From<RpcError> for StoreError {
    fn from(e: RpcError) -> StoreError {
        match e {
            RpcError::Unavailable(m) => StoreError::Unavailable(m),
            RpcError::Refused {
                code: Code::FailedPrecondition,
                ..
            } => StoreError::Conflict,
            RpcError::Refused { code, message } => {
                StoreError::Corrupt(format!("{code:?}: {message}"))
            }
            RpcError::BadAnswer(m) => StoreError::Corrupt(m),
        }
    }
}

/// [`StateStore`] in Nakama storage (collection `tower_state`, key `state`, owned by the
/// player, readable by them, writable only through the server RPC).
pub struct NakamaStore {
    client: NakamaClient,
}

impl NakamaStore {
    pub fn new(client: NakamaClient) -> NakamaStore {
        NakamaStore { client }
    }
}

#[derive(Serialize)]
struct LoadRequest<'a> {
    user_id: &'a str,
}

#[derive(Deserialize)]
struct LoadAnswer {
    found: bool,
    #[serde(default)]
    state: Option<serde_json::Value>,
    #[serde(default)]
    version: Option<String>,
}

#[derive(Serialize)]
struct SaveRequest<'a> {
    user_id: &'a str,
    state: &'a PlayerState,
    version: &'a Version,
}

#[derive(Deserialize)]
struct SaveAnswer {
    version: String,
}

#[async_trait]
impl StateStore for NakamaStore {
    async fn load(&self, player_id: &str) -> Result<Option<(PlayerState, Version)>, StoreError> {
        let answer: LoadAnswer = self
            .client
            .rpc("tower_state_load", &LoadRequest { user_id: player_id })
            .await?;
        if !answer.found {
            return Ok(None);
        }
        let value = answer
            .state
            .ok_or_else(|| StoreError::Corrupt("found without state".into()))?;
        let state =
            serde_json::from_value(value).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let version = answer
            .version
            .ok_or_else(|| StoreError::Corrupt("found without version".into()))?;
        Ok(Some((state, Some(version))))
    }

    async fn save(
        &self,
        player_id: &str,
        state: &PlayerState,
        expected: &Version,
    ) -> Result<Version, StoreError> {
        let request = SaveRequest {
            user_id: player_id,
            state,
            version: expected,
        };
        let answer: SaveAnswer = self.client.rpc("tower_state_save", &request).await?;
        Ok(Some(answer.version))
    }
}

/// [`Leaderboard`] on Nakama's authoritative `tower_highest_floor` leaderboard (and the
/// guild board `tower_guild_highest_floor`).
pub struct NakamaLeaderboard {
    client: NakamaClient,
}

impl NakamaLeaderboard {
    pub fn new(client: NakamaClient) -> NakamaLeaderboard {
        NakamaLeaderboard { client }
    }
}

#[derive(Serialize)]
struct SubmitRequest<'a> {
    user_id: &'a str,
    username: &'a str,
    floor: u32,
}

#[derive(Deserialize)]
struct SubmitAnswer {}

#[async_trait]
impl Leaderboard for NakamaLeaderboard {
    async fn submit_highest_floor(
        &self,
        identity: &Identity,
        floor: u32,
    ) -> Result<(), StoreError> {
        let request = SubmitRequest {
            user_id: &identity.player_id,
            username: &identity.username,
            floor,
        };
        let _: SubmitAnswer = self
            .client
            .rpc("tower_leaderboard_submit", &request)
            .await?;
        Ok(())
    }
}
