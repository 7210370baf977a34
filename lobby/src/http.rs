//! Nakama's HTTP API (`/v2/...`): device authentication with the server key as basic auth,
//! then bearer-token calls as the player.

use crate::error::LobbyError;
use crate::realtime::Realtime;
use crate::tls::{NakamaTrust, client_config, host_of, is_loopback_host, trust_nothing};
use reqwest::{Method, RequestBuilder, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::sync::Arc;

/// Entry point: a Nakama server and its (public) server key.
#[derive(Clone, Debug)]
pub struct Lobby {
    http: reqwest::Client,
    base: String,
    server_key: String,
    /// The TLS configuration of an `https://` lobby (also used by its websocket).
    tls: Option<Arc<rustls::ClientConfig>>,
}

/// A logged-in player.
#[derive(Clone, Debug)]
pub struct Session {
    lobby: Lobby,
    token: String,
    refresh_token: String,
    user_id: String,
    username: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Guild {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub edge_count: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuildMember {
    pub user_id: String,
    pub username: String,
    /// Nakama group state: 0 superadmin, 1 admin, 2 member, 3 join request.
    pub state: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaderboardRecord {
    pub owner_id: String,
    pub username: String,
    pub score: u64,
}

#[derive(Deserialize)]
struct SessionAnswer {
    token: String,
    #[serde(default)]
    refresh_token: String,
}

#[derive(Deserialize)]
struct AccountAnswer {
    user: UserAnswer,
}

#[derive(Deserialize)]
struct UserAnswer {
    id: String,
    #[serde(default)]
    username: String,
}

/// Nakama encodes int64 as JSON strings (protojson); accept numbers too.
fn int_field(v: &Value) -> Option<u64> {
    v.as_u64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

async fn answer<T: DeserializeOwned>(response: Response) -> Result<T, LobbyError> {
    let status = response.status();
    let body = response.text().await?;
    if !status.is_success() {
        let message = serde_json::from_str::<Value>(&body)
            .ok()
            .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned))
            .unwrap_or(body);
        return Err(LobbyError::Status {
            status: status.as_u16(),
            message,
        });
    }
    let body = if body.trim().is_empty() {
        "{}".to_owned()
    } else {
        body
    };
    serde_json::from_str(&body).map_err(|e| LobbyError::BadAnswer(format!("{e}: {body}")))
}

fn guild_answer(v: Value) -> Result<Option<Guild>, LobbyError> {
    if v.get("found").and_then(Value::as_bool) != Some(true) {
        return Ok(None);
    }
    serde_json::from_value(v)
        .map(Some)
        .map_err(|e| LobbyError::BadAnswer(format!("guild: {e}")))
}

impl Lobby {
    /// `url` is Nakama's HTTP API: `https://...` verified against the system's roots, or
    /// `http://` towards a loopback host only (development; see [`Lobby::with_trust`]).
    pub fn new(url: &str, server_key: &str) -> Result<Lobby, LobbyError> {
        Lobby::with_trust(url, server_key, &NakamaTrust::SystemRoots)
    }

    /// Like [`Lobby::new`], verifying an `https://` Nakama with `trust` (e.g. a private CA).
    /// Plain `http://` is refused unless the host is loopback (`127.0.0.0/8`, `::1`,
    /// `localhost`): on any network it would carry the session token and the match ticket
    /// (with the game server's certificate fingerprint) in clear.
    pub fn with_trust(
        url: &str,
        server_key: &str,
        trust: &NakamaTrust,
    ) -> Result<Lobby, LobbyError> {
        let base = url.trim_end_matches('/').to_owned();
        let host = host_of(&base).unwrap_or_default();
        let tls = if base.starts_with("https://") {
            Some(client_config(trust)?)
        } else if base.starts_with("http://") {
            if !is_loopback_host(host) {
                return Err(LobbyError::BadArgument(format!(
                    "plain http to {host:?} would send sessions and tickets in clear: use https \
                     (plain http is for a loopback nakama only)"
                )));
            }
            None
        } else {
            return Err(LobbyError::BadArgument(format!(
                "nakama url must be https://... (or http:// on loopback): {url:?}"
            )));
        };
        let config = match &tls {
            Some(config) => config.clone(),
            None => trust_nothing()?,
        };
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .tls_backend_preconfigured(rustls::ClientConfig::clone(&config))
            .build()
            .map_err(|e| LobbyError::Http(e.to_string()))?;
        Ok(Lobby {
            http,
            base,
            server_key: server_key.to_owned(),
            tls,
        })
    }

    pub fn http_url(&self) -> &str {
        &self.base
    }

    /// Logs in (creating the account on first use) with a device id of 10..=128 bytes.
    pub async fn authenticate_device(
        &self,
        device_id: &str,
        username: Option<&str>,
    ) -> Result<Session, LobbyError> {
        if !(10..=128).contains(&device_id.len()) {
            return Err(LobbyError::BadArgument(
                "device id must be 10..=128 bytes".into(),
            ));
        }
        let mut query = vec![("create", "true")];
        if let Some(name) = username {
            query.push(("username", name));
        }
        let response = self
            .http
            .post(format!("{}/v2/account/authenticate/device", self.base))
            .basic_auth(&self.server_key, Some(""))
            .query(&query)
            .json(&json!({ "id": device_id }))
            .send()
            .await?;
        let session: SessionAnswer = answer(response).await?;
        let mut me = Session {
            lobby: self.clone(),
            token: session.token,
            refresh_token: session.refresh_token,
            user_id: String::new(),
            username: String::new(),
        };
        let account: AccountAnswer = me.call(Method::GET, "/v2/account", None).await?;
        me.user_id = account.user.id;
        me.username = account.user.username;
        Ok(me)
    }
}

impl Session {
    pub fn token(&self) -> &str {
        &self.token
    }
    pub fn refresh_token(&self) -> &str {
        &self.refresh_token
    }
    pub fn user_id(&self) -> &str {
        &self.user_id
    }
    pub fn username(&self) -> &str {
        &self.username
    }
    pub fn lobby(&self) -> &Lobby {
        &self.lobby
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.lobby
            .http
            .request(method, format!("{}{}", self.lobby.base, path))
            .bearer_auth(&self.token)
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<T, LobbyError> {
        let mut request = self.request(method, path);
        if let Some(body) = body {
            request = request.json(&body);
        }
        answer(request.send().await?).await
    }

    /// Calls a runtime RPC as this player (JSON in, JSON out).
    pub async fn rpc(&self, id: &str, payload: &Value) -> Result<Value, LobbyError> {
        // Nakama's HTTP gateway takes the RPC payload as a JSON-encoded string.
        let body = Value::String(payload.to_string());
        let answer: Value = self
            .call(Method::POST, &format!("/v2/rpc/{id}"), Some(body))
            .await?;
        let raw = answer
            .get("payload")
            .and_then(Value::as_str)
            .unwrap_or("{}");
        serde_json::from_str(raw).map_err(|e| LobbyError::BadAnswer(format!("{id}: {e}")))
    }

    /// Opens the realtime socket (`/ws`, JSON envelopes).
    pub async fn connect_realtime(&self) -> Result<Realtime, LobbyError> {
        Realtime::connect(&self.lobby.base, &self.token, self.lobby.tls.as_ref()).await
    }

    /// Ends the session server-side: the game server will refuse it from now on.
    pub async fn logout(&self) -> Result<(), LobbyError> {
        let body = json!({ "token": self.token, "refresh_token": self.refresh_token });
        let _: Value = self
            .call(Method::POST, "/v2/session/logout", Some(body))
            .await?;
        Ok(())
    }

    /// Creates an open guild (a Nakama group); the creator is its superadmin.
    pub async fn create_guild(&self, name: &str, description: &str) -> Result<Guild, LobbyError> {
        let body = json!({ "name": name, "description": description, "open": true });
        self.call(Method::POST, "/v2/group", Some(body)).await
    }

    pub async fn join_guild(&self, guild_id: &str) -> Result<(), LobbyError> {
        let _: Value = self
            .call(Method::POST, &format!("/v2/group/{guild_id}/join"), None)
            .await?;
        Ok(())
    }

    /// Adds users to a guild as one of its admins (Nakama's AddGroupUsers). It makes them
    /// members, but never changes their guild in Tower: that is only ever their own choice.
    pub async fn add_to_guild(&self, guild_id: &str, user_ids: &[&str]) -> Result<(), LobbyError> {
        let query: Vec<(&str, &str)> = user_ids.iter().map(|u| ("user_ids", *u)).collect();
        let request = self
            .request(Method::POST, &format!("/v2/group/{guild_id}/add"))
            .query(&query);
        let _: Value = answer(request.send().await?).await?;
        Ok(())
    }

    /// Leaves a guild (Nakama's LeaveGroup).
    pub async fn leave_guild(&self, guild_id: &str) -> Result<(), LobbyError> {
        let _: Value = self
            .call(Method::POST, &format!("/v2/group/{guild_id}/leave"), None)
            .await?;
        Ok(())
    }

    /// Makes `guild_id` this player's guild in Tower (they must be a full member of it), or
    /// none with `None` (RPC `tower_guild_set`); answers the guild now in force.
    pub async fn set_guild(&self, guild_id: Option<&str>) -> Result<Option<Guild>, LobbyError> {
        let body = match guild_id {
            Some(id) => json!({ "group_id": id }),
            None => json!({}),
        };
        guild_answer(self.rpc("tower_guild_set", &body).await?)
    }

    /// This player's guild in Tower (RPC `tower_guild_mine`): their own choice, or the oldest
    /// guild they created, while they are a full member of it.
    pub async fn my_guild(&self) -> Result<Option<Guild>, LobbyError> {
        guild_answer(self.rpc("tower_guild_mine", &json!({})).await?)
    }

    /// Guilds whose name starts with `name_prefix` (Nakama's `name` filter; `%` wildcard).
    pub async fn list_guilds(&self, name_prefix: &str) -> Result<Vec<Guild>, LobbyError> {
        #[derive(Deserialize)]
        struct List {
            #[serde(default)]
            groups: Vec<Guild>,
        }
        let request = self.request(Method::GET, "/v2/group").query(&[
            ("name", format!("{name_prefix}%")),
            ("limit", "100".to_owned()),
        ]);
        let list: List = answer(request.send().await?).await?;
        Ok(list.groups)
    }

    pub async fn guild_members(&self, guild_id: &str) -> Result<Vec<GuildMember>, LobbyError> {
        let list: Value = self
            .call(Method::GET, &format!("/v2/group/{guild_id}/user"), None)
            .await?;
        let users = list
            .get("group_users")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        users
            .iter()
            .map(|gu| {
                let user = gu
                    .get("user")
                    .ok_or_else(|| LobbyError::BadAnswer("member without user".into()))?;
                Ok(GuildMember {
                    user_id: user
                        .get("id")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                    username: user
                        .get("username")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                    state: gu.get("state").and_then(int_field).unwrap_or(0) as u32,
                })
            })
            .collect()
    }

    /// Top records of a leaderboard (`tower_highest_floor`, `tower_guild_highest_floor`).
    pub async fn leaderboard(
        &self,
        id: &str,
        limit: u32,
    ) -> Result<Vec<LeaderboardRecord>, LobbyError> {
        let request = self
            .request(Method::GET, &format!("/v2/leaderboard/{id}"))
            .query(&[("limit", limit.clamp(1, 100).to_string())]);
        let list: Value = answer(request.send().await?).await?;
        let records = list
            .get("records")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        Ok(records
            .iter()
            .map(|r| LeaderboardRecord {
                owner_id: r
                    .get("owner_id")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                username: r
                    .get("username")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                score: r.get("score").and_then(int_field).unwrap_or(0),
            })
            .collect())
    }

    /// The player's own saved game state (written by the game server, read through the
    /// `tower_state_mine` RPC: the state is owned by the system, not the player), with its
    /// storage version.
    pub async fn saved_state(&self) -> Result<Option<(Value, String)>, LobbyError> {
        let answer = self.rpc("tower_state_mine", &json!({})).await?;
        if answer.get("found").and_then(Value::as_bool) != Some(true) {
            return Ok(None);
        }
        let state = answer.get("state").cloned().unwrap_or(Value::Null);
        let version = answer
            .get("version")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        Ok(Some((state, version)))
    }

    /// Writes a storage object under this player's own id with Nakama's public storage API
    /// (what any client can try; Tower refuses its own collections).
    pub async fn write_object(
        &self,
        collection: &str,
        key: &str,
        value: &Value,
    ) -> Result<(), LobbyError> {
        let body = json!({ "objects": [{
            "collection": collection, "key": key, "value": value.to_string(),
            "permission_read": 1, "permission_write": 1,
        }]});
        let _: Value = self.call(Method::PUT, "/v2/storage", Some(body)).await?;
        Ok(())
    }

    /// Deletes one of this player's storage objects with Nakama's public storage API.
    pub async fn delete_object(&self, collection: &str, key: &str) -> Result<(), LobbyError> {
        let body = json!({ "object_ids": [{ "collection": collection, "key": key }] });
        let _: Value = self
            .call(Method::PUT, "/v2/storage/delete", Some(body))
            .await?;
        Ok(())
    }

    /// Deletes this player's Nakama account (and with it every object they own).
    pub async fn delete_account(&self) -> Result<(), LobbyError> {
        let _: Value = self.call(Method::DELETE, "/v2/account", None).await?;
        Ok(())
    }
}
