//! [`Leaderboard`] on Nakama's authoritative `tower_highest_floor` leaderboard (and, in the
//! same RPC, the guild board `tower_guild_highest_floor`).
//!
//! Like saves, a new highest floor is not lost while Nakama is down: a submission that fails
//! with `Unavailable` is kept (only the best floor per player) and retried in the background
//! with backoff. The boards use Nakama's "best" operator, so a late or repeated write can
//! never lower a record.

use super::client::NakamaClient;
use crate::model::{Identity, Leaderboard, StoreError};
use crate::save_queue::RetryPolicy;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

#[derive(Serialize)]
struct SubmitRequest<'a> {
    user_id: &'a str,
    username: &'a str,
    floor: u32,
}

#[derive(Deserialize)]
struct SubmitAnswer {}

async fn submit(client: &NakamaClient, identity: &Identity, floor: u32) -> Result<(), StoreError> {
    let request = SubmitRequest {
        user_id: &identity.player_id,
        username: &identity.username,
        floor,
    };
    let _: SubmitAnswer = client.rpc("tower_leaderboard_submit", &request).await?;
    Ok(())
}

#[derive(Default)]
struct Pending {
    /// Best floor not yet recorded, per player id.
    best: HashMap<String, (Identity, u32)>,
}

impl Pending {
    fn keep(&mut self, identity: &Identity, floor: u32) {
        let entry = self
            .best
            .entry(identity.player_id.clone())
            .or_insert((identity.clone(), floor));
        entry.1 = entry.1.max(floor);
    }
}

struct Shared {
    pending: Mutex<Pending>,
    work: Notify,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }
}

pub struct NakamaLeaderboard {
    client: NakamaClient,
    shared: Arc<Shared>,
    retrier: JoinHandle<()>,
}

impl NakamaLeaderboard {
    /// Starts the retry task; must be called inside a tokio runtime.
    pub fn new(client: NakamaClient) -> NakamaLeaderboard {
        NakamaLeaderboard::with_policy(client, RetryPolicy::default())
    }

    pub fn with_policy(client: NakamaClient, policy: RetryPolicy) -> NakamaLeaderboard {
        let shared = Arc::new(Shared {
            pending: Mutex::new(Pending::default()),
            work: Notify::new(),
        });
        let retrier = tokio::spawn(retry_loop(client.clone(), shared.clone(), policy));
        NakamaLeaderboard {
            client,
            shared,
            retrier,
        }
    }

    /// Submissions waiting for Nakama to come back.
    pub fn pending(&self) -> usize {
        self.shared.lock().best.len()
    }
}

impl Drop for NakamaLeaderboard {
    fn drop(&mut self) {
        self.retrier.abort();
    }
}

#[async_trait]
impl Leaderboard for NakamaLeaderboard {
    /// `Ok` once recorded, or once queued for a retry when Nakama is unavailable; refused
    /// submissions (bad user id...) are errors.
    async fn submit_highest_floor(
        &self,
        identity: &Identity,
        floor: u32,
    ) -> Result<(), StoreError> {
        match submit(&self.client, identity, floor).await {
            Err(StoreError::Unavailable(reason)) => {
                tracing::warn!(player_id = %identity.player_id, floor, %reason, "leaderboard unavailable; queued for retry");
                self.shared.lock().keep(identity, floor);
                self.shared.work.notify_one();
                Ok(())
            }
            other => other,
        }
    }
}

async fn retry_loop(client: NakamaClient, shared: Arc<Shared>, policy: RetryPolicy) {
    let mut backoff = policy.initial;
    loop {
        let batch: Vec<(Identity, u32)> = shared.lock().best.drain().map(|(_, v)| v).collect();
        if batch.is_empty() {
            shared.work.notified().await;
            continue;
        }
        let mut unavailable = false;
        for (identity, floor) in batch {
            if unavailable {
                shared.lock().keep(&identity, floor);
                continue;
            }
            match submit(&client, &identity, floor).await {
                Ok(()) => {
                    tracing::info!(player_id = %identity.player_id, floor, "queued leaderboard record written")
                }
                Err(StoreError::Unavailable(_)) => {
                    unavailable = true;
                    shared.lock().keep(&identity, floor);
                }
                Err(error) => {
                    tracing::error!(player_id = %identity.player_id, floor, %error, "leaderboard record refused")
                }
            }
        }
        if unavailable {
            tokio::time::sleep(backoff).await;
            backoff = policy.next(backoff);
        } else {
            backoff = policy.initial;
        }
    }
}
