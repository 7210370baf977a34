//! Dev-mode backends: no Nakama at all. Insecure by design; the server logs it loudly.

use crate::model::{
    AuthError, Authenticator, Credentials, Identity, Leaderboard, PlayerState, SaveAttempt,
    StateStore, StoreError, Version,
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

/// In-memory store with the same versioning and save-id rules as Tower's Nakama storage.
#[derive(Default)]
pub struct MemoryStore {
    objects: Mutex<BTreeMap<String, (PlayerState, u64, String)>>,
}

#[async_trait]
impl StateStore for MemoryStore {
    async fn load(&self, player_id: &str) -> Result<Option<(PlayerState, Version)>, StoreError> {
        let objects = self.objects.lock().await;
        Ok(objects
            .get(player_id)
            .map(|(s, v, _)| (s.clone(), Some(v.to_string()))))
    }

    async fn save(
        &self,
        player_id: &str,
        state: &PlayerState,
        expected: &Version,
        attempt: &SaveAttempt,
    ) -> Result<Version, StoreError> {
        let mut objects = self.objects.lock().await;
        let stored = objects.get(player_id);
        let current = stored.map(|(_, v, _)| v.to_string());
        if current != *expected {
            match stored {
                Some((_, v, id)) if *id == attempt.id => return Ok(Some(v.to_string())),
                Some((_, _, id)) if attempt.unconfirmed.contains(id) => {}
                _ => return Err(StoreError::Conflict),
            }
        }
        let next = stored.map_or(1, |(_, v, _)| v + 1);
        objects.insert(
            player_id.to_owned(),
            (state.clone(), next, attempt.id.clone()),
        );
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
            .authenticate(&Credentials::Ticket { ticket: "t".into() })
            .await;
        assert_eq!(got, Err(AuthError::TicketsDisabled));
        let me = DevAuth
            .authenticate(&Credentials::Dev { name: "ann".into() })
            .await;
        assert_eq!(me.map(|i| i.player_id), Ok("dev:ann".to_owned()));
    }

    fn attempt(id: &str, unconfirmed: &[&str]) -> SaveAttempt {
        SaveAttempt {
            id: id.into(),
            unconfirmed: unconfirmed.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    #[tokio::test]
    async fn memory_store_rejects_stale_writes() {
        let store = MemoryStore::default();
        let s = PlayerState {
            highest_floor: 2,
            ..PlayerState::default()
        };
        let v1 = store
            .save("p", &s, &None, &attempt("a", &[]))
            .await
            .expect("first write creates");
        assert_eq!(
            store.save("p", &s, &None, &attempt("b", &[])).await,
            Err(StoreError::Conflict)
        );
        let v2 = store
            .save("p", &s, &v1, &attempt("c", &[]))
            .await
            .expect("write with current version");
        assert_ne!(v1, v2);
        assert_eq!(
            store.save("p", &s, &v1, &attempt("d", &[])).await,
            Err(StoreError::Conflict)
        );
        // A repeat of the stored attempt (its answer was lost) succeeds without a write.
        assert_eq!(
            store.save("p", &s, &v1, &attempt("c", &[])).await,
            Ok(v2.clone())
        );
        // Our own unconfirmed write may be replaced.
        let v3 = store
            .save("p", &s, &v1, &attempt("e", &["c"]))
            .await
            .expect("replaces our own unconfirmed write");
        assert_ne!(v3, v2);
    }
}
