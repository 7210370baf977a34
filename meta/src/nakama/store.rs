//! Player state and leaderboard through Tower's Nakama RPCs (`nakama/modules/tower_state.lua`,
//! `tower_leaderboard.lua`), authenticated by the http_key.

use super::client::{NakamaClient, RpcError};
use crate::model::{PlayerState, SaveAttempt, StateStore, StoreError, Version};
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
            RpcError::Refused {
                code: Code::DataLoss,
                message,
            } => StoreError::Corrupt(message),
            RpcError::Refused { code, message } => {
                StoreError::Rejected(format!("{code:?}: {message}"))
            }
            RpcError::BadAnswer(m) => StoreError::Corrupt(m),
        }
    }
}

/// [`StateStore`] in Nakama storage through the server RPCs of `tower_state.lua` (storage
/// format 2: collection `tower_player_state`, key = user id, owned by the system user, so
/// only the game server can have written what is loaded).
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
    save_id: &'a str,
    unconfirmed: &'a [String],
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
        attempt: &SaveAttempt,
    ) -> Result<Version, StoreError> {
        let request = SaveRequest {
            user_id: player_id,
            state,
            version: expected,
            save_id: &attempt.id,
            unconfirmed: &attempt.unconfirmed,
        };
        let answer: SaveAnswer = self.client.rpc("tower_state_save", &request).await?;
        Ok(Some(answer.version))
    }

    fn is_durable(&self) -> bool {
        true
    }
}
