//! Dev-mode backends: no Nakama at all. Insecure by design; the server logs it loudly.

use crate::model::{
    AuthError, Authenticator, Credentials, Identity, Leaderboard, PlayerState, StateStore,
    StoreError, Version,
};
use async_trait::async_trait;
use std::collections::BTreeMap;
use tokio::sync::Mutex;

/// Dev auth: any well-formed name is accepted.
pub struct DevAuth;

/// Names: 1..=32 chars of ASCII letters, digits, `_` and `-`.
pub fn validate_dev_name(name: &str) -> Result<(), AuthError> {
    let ok = (1..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(AuthError::BadName(name.chars().take(40).collect()))
    }
}

#[async_trait]
impl Authenticator for DevAuth {
    async fn authenticate(&self, credentials: &Credentials) -> Result<Identity, AuthError> {
        match credentials {
            Credentials::Dev { name } => {
                validate_dev_name(name)?;
                Ok(Identity {
                    player_id: format!("dev:{name}"),
                    username: name.clone(),
                    guild: None,
                })
            }
            Credentials::Ticket { .. } => Err(AuthError::TicketsDisabled),
        }
    }
}

/// In-memory store with the same versioning rules as Nakama storage.
#[derive(Default)]
pub struct MemoryStore {
    objects: Mutex<BTreeMap<String, (PlayerState, u64)>>,
}

#[async_trait]
impl StateStore for MemoryStore {
    async fn load(&self, player_id: &str) -> Result<Option<(PlayerState, Version)>, StoreError> {
        let objects = self.objects.lock().await;
        Ok(objects
            .get(player_id)
            .map(|(s, v)| (s.clone(), Some(v.to_string()))))
    }

    async fn save(
        &self,
        player_id: &str,
        state: &PlayerState,
        expected: &Version,
    ) -> Result<Version, StoreError> {
        let mut objects = self.objects.lock().await;
        let current = objects.get(player_id).map(|(_, v)| v.to_string());
        if current != *expected {
            return Err(StoreError::Conflict);
        }
        let next = objects.get(player_id).map_or(1, |(_, v)| v + 1);
        objects.insert(player_id.to_owned(), (state.clone(), next));
        Ok(Some(next.to_string()))
    }
}

/// Dev leaderboard: accepts and forgets.
pub struct NoLeaderboard;

#[async_trait]
impl Leaderboard for NoLeaderboard {
    async fn submit_highest_floor(
        &self,
        _identity: &Identity,
        _floor: u32,
    ) -> Result<(), StoreError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_names() {
        assert!(validate_dev_name("ok_name-1").is_ok());
        assert!(validate_dev_name("").is_err());
        assert!(validate_dev_name(&"x".repeat(33)).is_err());
        assert!(validate_dev_name("no spaces").is_err());
    }

    #[tokio::test]
    async fn dev_auth_refuses_tickets() {
        let got = DevAuth
            .authenticate(&Credentials::Ticket {
                ticket: "t".into(),
                session_token: "s".into(),
            })
            .await;
        assert_eq!(got, Err(AuthError::TicketsDisabled));
        let me = DevAuth
            .authenticate(&Credentials::Dev { name: "ann".into() })
            .await;
        assert_eq!(me.map(|i| i.player_id), Ok("dev:ann".to_owned()));
    }

    #[tokio::test]
    async fn memory_store_rejects_stale_writes() {
        let store = MemoryStore::default();
        let s = PlayerState {
            highest_floor: 2,
            ..PlayerState::default()
        };
        let v1 = store
            .save("p", &s, &None)
            .await
            .expect("first write creates");
        assert_eq!(store.save("p", &s, &None).await, Err(StoreError::Conflict));
        let v2 = store
            .save("p", &s, &v1)
            .await
            .expect("write with current version");
        assert_ne!(v1, v2);
        assert_eq!(store.save("p", &s, &v1).await, Err(StoreError::Conflict));
    }
}
