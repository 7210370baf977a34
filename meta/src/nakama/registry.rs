//! This game server's entry in the Nakama registry (`nakama/modules/tower_registry.lua`):
//! registered at start, then a heartbeat every few seconds with the live player count and
//! this process's instance id (tickets name it: see [`super::ticket`]).

use super::client::{NakamaClient, RpcError};
use crate::config::NakamaConfig;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

/// A registry entry as the game server reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerEntry {
    pub id: String,
    /// Random per process start; the matchmaker writes it into every ticket for this server.
    pub instance: String,
    pub address: String,
    pub port: u16,
    pub fingerprint: String,
    pub capacity: u32,
    pub players: u32,
}

/// A registry entry as Nakama sees it (what the matchmaker chooses from).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct RegisteredServer {
    #[serde(flatten)]
    pub entry: ServerEntry,
    pub heartbeat_ms: u64,
    pub live: bool,
}

impl ServerEntry {
    pub fn from_config(cfg: &NakamaConfig, instance: &str, players: u32) -> ServerEntry {
        ServerEntry {
            id: cfg.server_id.clone(),
            instance: instance.to_owned(),
            address: cfg.public_host.clone(),
            port: cfg.public_port,
            fingerprint: cfg.cert_fingerprint.clone(),
            capacity: cfg.capacity,
            players,
        }
    }
}

#[derive(Deserialize)]
struct Ack {}

#[derive(Serialize)]
struct IdOnly<'a> {
    id: &'a str,
}

#[derive(Deserialize)]
struct ServerList {
    // Lua encodes an empty list as `{}`: accept both shapes.
    #[serde(default, deserialize_with = "list_or_empty_object")]
    servers: Vec<RegisteredServer>,
}

fn list_or_empty_object<'de, D>(d: D) -> Result<Vec<RegisteredServer>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Shape {
        List(Vec<RegisteredServer>),
        Empty(serde_json::Map<String, serde_json::Value>),
    }
    match Shape::deserialize(d)? {
        Shape::List(list) => Ok(list),
        Shape::Empty(map) if map.is_empty() => Ok(Vec::new()),
        Shape::Empty(_) => Err(serde::de::Error::custom("servers: expected a list")),
    }
}

/// Registers or refreshes an entry (the same call: a heartbeat carries the whole entry).
pub async fn heartbeat(client: &NakamaClient, entry: &ServerEntry) -> Result<(), RpcError> {
    let _: Ack = client.rpc("tower_server_heartbeat", entry).await?;
    Ok(())
}

/// A fresh instance id for this process start: unique per start (time and process id), not
/// secret (tickets are signed by Nakama; the id only makes them stale after a restart).
pub fn new_instance_id() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{nanos:x}-{:x}", std::process::id())
}

/// Removes this server from the registry (graceful shutdown).
pub async fn deregister(client: &NakamaClient, server_id: &str) -> Result<(), RpcError> {
    let _: Ack = client
        .rpc("tower_server_deregister", &IdOnly { id: server_id })
        .await?;
    Ok(())
}

/// Every registered server with its liveness as Nakama judges it.
pub async fn list_servers(client: &NakamaClient) -> Result<Vec<RegisteredServer>, RpcError> {
    let list: ServerList = client
        .rpc("tower_server_list", &serde_json::json!({}))
        .await?;
    Ok(list.servers)
}

/// Heartbeats forever (abort the handle to stop). A failed beat is logged and the next one
/// is tried on schedule: the registry forgets us only if Nakama stays unreachable.
pub fn spawn_heartbeats(
    client: NakamaClient,
    cfg: &NakamaConfig,
    instance: &str,
    players: Arc<AtomicU32>,
) -> JoinHandle<()> {
    let cfg = cfg.clone();
    let instance = instance.to_owned();
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(cfg.heartbeat());
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        ticks.tick().await; // the first tick is immediate; registration just happened
        let mut failing = false;
        loop {
            ticks.tick().await;
            let entry = ServerEntry::from_config(&cfg, &instance, players.load(Ordering::Relaxed));
            match heartbeat(&client, &entry).await {
                Ok(()) if failing => {
                    tracing::info!(server_id = %cfg.server_id, "registry heartbeat recovered");
                    failing = false;
                }
                Ok(()) => {}
                Err(error) => {
                    tracing::warn!(server_id = %cfg.server_id, %error, "registry heartbeat failed");
                    failing = true;
                }
            }
        }
    })
}
