//! A fake Agones SDK sidecar for tests: the REST API of Agones v1.56 on 127.0.0.1, keeping
//! the GameServer state machine Agones documents (Scheduled → RequestReady → Ready →
//! Allocated → Shutdown, Shutdown terminal), Counters with capacity, and labels.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let sdk = tower_agones::fake::FakeSdk::start(Default::default()).await?;
//! // run the game server with AGONES_SDK_HTTP_PORT=<sdk.port()>, then:
//! assert_eq!(sdk.state(), tower_agones::GameServerState::Ready);
//! # Ok(()) }
//! ```
//!
//! Requests are answered by a pure router ([`FakeState::handle`]) under a thin hyper shell.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::wire::{
    CounterStatus, CounterUpdateBody, GameServer, GameServerState, KeyValue, ObjectMeta, Port,
    Status,
};

/// Agones prefixes the keys of labels set through the SDK.
pub const SDK_LABEL_PREFIX: &str = "agones.dev/sdk-";
const MAX_BODY: usize = 64 * 1024;

/// What the fake GameServer looks like when it starts.
#[derive(Clone, Debug)]
pub struct FakeConfig {
    /// Port to listen on (127.0.0.1); 0 picks a free one.
    pub port: u16,
    pub name: String,
    pub address: String,
    pub ports: Vec<(String, u16)>,
    /// name → (count, capacity), as the Fleet's `spec.counters` would set them.
    pub counters: BTreeMap<String, (i64, i64)>,
}

impl Default for FakeConfig {
    fn default() -> Self {
        Self {
            port: 0,
            name: "tower-fake-gs".to_owned(),
            address: "127.0.0.1".to_owned(),
            ports: vec![("game".to_owned(), 7777)],
            counters: BTreeMap::from([(crate::PLAYERS_COUNTER.to_owned(), (0, 256))]),
        }
    }
}

/// The fake's state: the GameServer it exports and what it was asked.
#[derive(Clone, Debug)]
pub struct FakeState {
    pub game_server: GameServer,
    /// Every state the GameServer went through, the initial one first.
    pub history: Vec<GameServerState>,
    pub health_pings: u64,
    /// `METHOD path` of every request, in order.
    pub requests: Vec<String>,
    /// While true, every request is answered 503 (a sidecar still starting).
    pub unavailable: bool,
}

impl FakeState {
    pub fn new(config: &FakeConfig) -> Self {
        let counters = config
            .counters
            .iter()
            .map(|(name, &(count, capacity))| (name.clone(), CounterStatus { count, capacity }))
            .collect();
        let game_server = GameServer {
            object_meta: ObjectMeta {
                name: config.name.clone(),
                namespace: "default".to_owned(),
                ..ObjectMeta::default()
            },
            status: Status {
                state: GameServerState::Scheduled,
                address: config.address.clone(),
                ports: config
                    .ports
                    .iter()
                    .map(|(name, port)| Port {
                        name: name.clone(),
                        port: i32::from(*port),
                    })
                    .collect(),
                counters,
            },
        };
        Self {
            game_server,
            history: vec![GameServerState::Scheduled],
            health_pings: 0,
            requests: Vec::new(),
            unavailable: false,
        }
    }

    fn state(&self) -> &GameServerState {
        &self.game_server.status.state
    }

    fn set_state(&mut self, next: GameServerState) {
        if *self.state() != next {
            self.game_server.status.state = next.clone();
            self.history.push(next);
        }
    }

    /// Answers one request: `(status, JSON body)`. Errors use the gateway's shape,
    /// `{"code": <gRPC code>, "message": ...}`.
    pub fn handle(&mut self, method: &Method, path: &str, body: &[u8]) -> (StatusCode, Value) {
        self.requests.push(format!("{method} {path}"));
        if self.unavailable {
            return error(StatusCode::SERVICE_UNAVAILABLE, 14, "SDK server starting");
        }
        let shut_down = *self.state() == GameServerState::Shutdown;
        match (method.as_str(), path) {
            ("POST", "/ready") => {
                if shut_down {
                    return error(StatusCode::BAD_REQUEST, 9, "GameServer is Shutdown");
                }
                // The SDK asks (RequestReady); the controller then moves it to Ready.
                if matches!(self.state(), GameServerState::Scheduled) {
                    self.set_state(GameServerState::RequestReady);
                }
                self.set_state(GameServerState::Ready);
                ok_empty()
            }
            ("POST", "/allocate") => {
                if shut_down {
                    return error(StatusCode::BAD_REQUEST, 9, "GameServer is Shutdown");
                }
                self.set_state(GameServerState::Allocated);
                ok_empty()
            }
            ("POST", "/shutdown") => {
                self.set_state(GameServerState::Shutdown);
                ok_empty()
            }
            ("POST", "/health") => {
                self.health_pings += 1;
                ok_empty()
            }
            ("GET", "/gameserver") => match serde_json::to_value(&self.game_server) {
                Ok(v) => (StatusCode::OK, v),
                Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, 13, &e.to_string()),
            },
            ("PUT", "/metadata/label") => match serde_json::from_slice::<KeyValue>(body) {
                Ok(kv) if !kv.key.is_empty() => {
                    self.game_server
                        .object_meta
                        .labels
                        .insert(format!("{SDK_LABEL_PREFIX}{}", kv.key), kv.value);
                    ok_empty()
                }
                _ => error(
                    StatusCode::BAD_REQUEST,
                    3,
                    "a label needs a key and a value",
                ),
            },
            (m, p) if p.starts_with("/v1beta1/counters/") => {
                let name = &p["/v1beta1/counters/".len()..];
                match m {
                    "GET" => self.get_counter(name),
                    "PATCH" => self.update_counter(name, body),
                    _ => error(StatusCode::METHOD_NOT_ALLOWED, 12, "method not allowed"),
                }
            }
            _ => error(StatusCode::NOT_FOUND, 5, "Not Found"),
        }
    }

    fn get_counter(&self, name: &str) -> (StatusCode, Value) {
        match self.game_server.status.counters.get(name) {
            Some(c) => counter_json(name, c),
            None => error(
                StatusCode::NOT_FOUND,
                5,
                &format!("not found. {name} Counter not found"),
            ),
        }
    }

    /// As Agones: capacity first, then count, then the diff; all or nothing.
    fn update_counter(&mut self, name: &str, body: &[u8]) -> (StatusCode, Value) {
        let Ok(update) = serde_json::from_slice::<CounterUpdateBody>(body) else {
            return error(StatusCode::BAD_REQUEST, 3, "not a CounterUpdateRequest");
        };
        let Some(current) = self.game_server.status.counters.get(name).copied() else {
            return error(
                StatusCode::NOT_FOUND,
                5,
                &format!("not found. {name} Counter not found"),
            );
        };
        let mut next = current;
        if let Some(capacity) = update.capacity {
            if capacity < 0 {
                return error(
                    StatusCode::BAD_REQUEST,
                    11,
                    &format!("out of range. Capacity must be >= 0: {capacity}"),
                );
            }
            next.capacity = capacity;
        }
        if let Some(count) = update.count {
            next.count = count;
        }
        next.count = next.count.saturating_add(update.count_diff);
        if next.count < 0 || next.count > next.capacity {
            let msg = format!(
                "out of range. Count must be within range [0,Capacity]. Found Count: {}, Capacity: {}",
                next.count, next.capacity
            );
            return error(StatusCode::BAD_REQUEST, 11, &msg);
        }
        self.game_server
            .status
            .counters
            .insert(name.to_owned(), next);
        counter_json(name, &next)
    }
}

fn ok_empty() -> (StatusCode, Value) {
    (StatusCode::OK, json!({}))
}

fn error(status: StatusCode, code: i32, message: &str) -> (StatusCode, Value) {
    (
        status,
        json!({ "code": code, "message": message, "details": [] }),
    )
}

fn counter_json(name: &str, c: &CounterStatus) -> (StatusCode, Value) {
    let counter = crate::wire::Counter {
        name: name.to_owned(),
        count: c.count,
        capacity: c.capacity,
    };
    match serde_json::to_value(counter) {
        Ok(v) => (StatusCode::OK, v),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, 13, &e.to_string()),
    }
}

/// A running fake sidecar. Stops (and drops its connections) on [`FakeSdk::stop`] or drop.
pub struct FakeSdk {
    port: u16,
    state: Arc<Mutex<FakeState>>,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl FakeSdk {
    pub async fn start(config: FakeConfig) -> std::io::Result<Self> {
        let state = Arc::new(Mutex::new(FakeState::new(&config)));
        Self::serve(config.port, state).await
    }

    /// Serves an existing state again (a sidecar that restarts keeps its GameServer).
    pub async fn serve(port: u16, state: Arc<Mutex<FakeState>>) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let port = listener.local_addr()?.port();
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(accept_loop(listener, Arc::clone(&state), stopped));
        Ok(Self {
            port,
            state,
            stop,
            task: Some(task),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn env(&self) -> crate::AgonesEnv {
        crate::AgonesEnv::local(self.port)
    }

    /// The shared state, to inspect or change (e.g. `unavailable`).
    pub fn shared(&self) -> Arc<Mutex<FakeState>> {
        Arc::clone(&self.state)
    }

    pub fn snapshot(&self) -> FakeState {
        lock(&self.state).clone()
    }

    pub fn state(&self) -> GameServerState {
        lock(&self.state).game_server.status.state.clone()
    }

    pub fn history(&self) -> Vec<GameServerState> {
        lock(&self.state).history.clone()
    }

    pub fn counter(&self, name: &str) -> Option<CounterStatus> {
        lock(&self.state)
            .game_server
            .status
            .counters
            .get(name)
            .copied()
    }

    pub fn health_pings(&self) -> u64 {
        lock(&self.state).health_pings
    }

    pub fn set_unavailable(&self, unavailable: bool) {
        lock(&self.state).unavailable = unavailable;
    }

    /// The sidecar goes away: no more answers, open connections closed.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for FakeSdk {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// A poisoned lock only means a test thread panicked while holding it; the data is plain.
fn lock(state: &Mutex<FakeState>) -> MutexGuard<'_, FakeState> {
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

async fn accept_loop(
    listener: TcpListener,
    state: Arc<Mutex<FakeState>>,
    mut stopped: watch::Receiver<bool>,
) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let state = Arc::clone(&state);
                connections.spawn(async move {
                    let service = service_fn(move |request| {
                        let state = Arc::clone(&state);
                        async move { Ok::<_, Infallible>(respond(&state, request).await) }
                    });
                    let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
                });
            }
            _ = stopped.changed() => break,
        }
        // Reap finished connections so a long test does not keep them all.
        while connections.try_join_next().is_some() {}
    }
    connections.shutdown().await;
}

async fn respond(state: &Mutex<FakeState>, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let (status, body) = match Limited::new(request.into_body(), MAX_BODY).collect().await {
        Ok(collected) => lock(state).handle(&method, &path, &collected.to_bytes()),
        Err(_) => error(StatusCode::PAYLOAD_TOO_LARGE, 3, "request body too large"),
    };
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(s: &mut FakeState, method: Method, path: &str, body: &str) -> (u16, Value) {
        let (status, v) = s.handle(&method, path, body.as_bytes());
        (status.as_u16(), v)
    }

    #[test]
    fn follows_the_documented_state_machine() {
        let mut s = FakeState::new(&FakeConfig::default());
        assert_eq!(call(&mut s, Method::POST, "/ready", "{}").0, 200);
        assert_eq!(call(&mut s, Method::POST, "/allocate", "{}").0, 200);
        assert_eq!(call(&mut s, Method::POST, "/shutdown", "{}").0, 200);
        use GameServerState::*;
        assert_eq!(
            s.history,
            [Scheduled, RequestReady, Ready, Allocated, Shutdown]
        );
        // Shutdown is terminal.
        assert_eq!(call(&mut s, Method::POST, "/ready", "{}").0, 400);
        assert_eq!(call(&mut s, Method::POST, "/allocate", "{}").0, 400);
        assert_eq!(*s.state(), Shutdown);
    }

    #[test]
    fn counters_keep_count_within_capacity() {
        let mut s = FakeState::new(&FakeConfig::default());
        let path = "/v1beta1/counters/players";
        assert_eq!(
            call(&mut s, Method::PATCH, path, r#"{"capacity":"2"}"#).1["capacity"],
            "2"
        );
        assert_eq!(
            call(&mut s, Method::PATCH, path, r#"{"count":"2"}"#).1["count"],
            "2"
        );
        let (status, body) = call(&mut s, Method::PATCH, path, r#"{"countDiff":"1"}"#);
        assert_eq!((status, body["code"].as_i64()), (400, Some(11)));
        assert_eq!(
            call(&mut s, Method::PATCH, path, r#"{"countDiff":"-2"}"#).1["count"],
            "0"
        );
        assert_eq!(call(&mut s, Method::PATCH, path, r#"{"count":-1}"#).0, 400);
        assert_eq!(
            call(&mut s, Method::GET, path, "").1["count"],
            "0",
            "a refused update changes nothing"
        );
        assert_eq!(
            call(&mut s, Method::GET, "/v1beta1/counters/rooms", "").0,
            404
        );
        assert_eq!(call(&mut s, Method::PATCH, path, "not json").0, 400);
    }

    #[test]
    fn labels_get_the_sdk_prefix() {
        let mut s = FakeState::new(&FakeConfig::default());
        assert_eq!(
            call(
                &mut s,
                Method::PUT,
                "/metadata/label",
                r#"{"key":"drain","value":"yes"}"#
            )
            .0,
            200
        );
        assert_eq!(
            s.game_server.object_meta.labels["agones.dev/sdk-drain"],
            "yes"
        );
        assert_eq!(
            call(
                &mut s,
                Method::PUT,
                "/metadata/label",
                r#"{"key":"","value":"x"}"#
            )
            .0,
            400
        );
    }

    #[test]
    fn unknown_paths_are_not_found() {
        let mut s = FakeState::new(&FakeConfig::default());
        assert_eq!(call(&mut s, Method::GET, "/nope", "").0, 404);
        assert_eq!(
            call(&mut s, Method::DELETE, "/v1beta1/counters/players", "").0,
            405
        );
    }
}
